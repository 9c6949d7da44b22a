//! automl: profile a CSV, cross-validate many regression algorithms and hyperparameter settings
//! in parallel, and rank them.
//!
//! The flow runs one way: [`load`] a CSV with polars -> [`profile`] its columns -> a [`table`] of
//! typed features -> [`folds`] built once -> the [`sweep`] (per fold: fit [`preprocess`]ing on the
//! training rows, fit each [`models`] candidate, score it with [`metrics`]) -> a ranked
//! [`leaderboard`] -> files written by [`output`]. [`Compare`] drives it all.

pub mod column;
pub mod compare;
pub mod error;
pub mod folds;
pub mod importance;
pub mod leaderboard;
pub mod load;
pub mod metrics;
pub mod model;
pub mod models;
pub mod output;
pub mod preprocess;
pub mod profile;
pub mod report;
pub mod sweep;
pub mod table;
pub mod tracking;

pub use compare::{Compare, DEFAULT_SEED};
pub use error::{Error, Result};
pub use leaderboard::{Entry, Leaderboard, Status};
pub use load::CsvOptions;
pub use metrics::Metric;
pub use model::{Model, Predictions};
pub use profile::{Profile, Task};
