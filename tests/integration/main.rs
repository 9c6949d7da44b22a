//! Integration tests, built into one binary (as ripgrep does) to link once.

mod bad_input;
mod classification;
mod cli;
mod common;
mod datasets;
mod drift;
mod golden;
mod model;
mod race;
mod reference;
mod registry;
mod report;
mod search;
mod serve;
mod shard;
mod tracking;
mod trees;
