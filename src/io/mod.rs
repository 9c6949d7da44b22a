//! Files in and out: reading a CSV with polars ([`load`]), converting its columns into typed
//! values ([`column`]), finding a column by name ([`names`]), and writing files whole or not at
//! all ([`write`]).

pub mod column;
pub mod load;
pub mod names;
pub mod write;

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 of the file at `path`, lowercase hex, read a piece at a time (a large table is not
/// held whole for it).
pub fn sha256_file(path: &Path) -> Result<String> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok(hex::encode(hasher.finalize())),
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_hashed_a_piece_at_a_time_is_its_bytes_hashed_whole() {
        let dir = tempfile::tempdir().unwrap();
        // Over two of the pieces read, and not a multiple of one.
        let bytes: Vec<u8> = (0..(5u64 << 19) + 7)
            .map(|i| (i * 7919 % 251) as u8)
            .collect();
        let path = dir.path().join("data.csv");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(sha256_file(&path).unwrap(), sha256_hex(&bytes));
        std::fs::write(&path, b"").unwrap();
        assert_eq!(sha256_file(&path).unwrap(), sha256_hex(b""));
        let missing = dir.path().join("missing.csv");
        match sha256_file(&missing) {
            Err(Error::Io { path, .. }) => assert_eq!(path, missing),
            other => panic!("expected an I/O error naming the file, got {other:?}"),
        }
    }
}
