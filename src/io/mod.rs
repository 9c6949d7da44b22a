//! Files in and out: reading a CSV with polars ([`load`]), converting its columns into typed
//! values ([`column`]), finding a column by name ([`names`]), and writing files whole or not at
//! all ([`write`]).

pub mod column;
pub mod load;
pub mod names;
pub mod write;

use sha2::{Digest, Sha256};

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
