//! automl: profile a CSV, cross-validate many regression and classification algorithms and
//! hyperparameter settings in parallel, rank them, and export the best with a tracked record.
//!
//! The modules follow the flow, and none imports from one later in it:
//!
//! - vocabulary: [`task`] (task and column kinds), [`stats`], [`error`];
//! - data: [`io`] (read a CSV with polars, typed columns, atomic writes) -> [`profile`] its
//!   columns -> a [`table`] of typed features -> [`folds`] built once -> [`preprocess`]ing
//!   fitted inside each training fold;
//! - learning: [`metrics`], the [`algorithms`] (checked settings, fitted models, the registry),
//!   [`importance`];
//! - the [`sweep`] (every candidate on every fold, in parallel) -> a ranked [`leaderboard`] ->
//!   the exported [`model`]; [`compare`] drives it all;
//! - records: [`provenance`] -> the HTML [`report`] -> the run's [`artifacts`], built once ->
//!   [`tracking`] (MLflow's file store or a tracking server) -> its model [`registry`];
//! - after the compare: [`serve`] an exported model over HTTP, and watch new data for
//!   [`drift`] from the reference profile the model carries.

pub mod algorithms;
pub mod artifacts;
pub mod compare;
pub mod drift;
pub mod ensemble;
pub mod error;
pub mod folds;
pub mod importance;
pub mod io;
pub mod leaderboard;
pub mod metrics;
pub mod model;
pub mod preprocess;
pub mod profile;
pub mod provenance;
pub mod registry;
pub mod report;
pub mod search;
pub mod serve;
pub mod shard;
pub mod stats;
pub mod sweep;
pub mod table;
pub mod task;
pub mod tracking;

pub use compare::{Compare, Comparison, DEFAULT_SEED};
pub use error::{Error, Result, Setting};
pub use io::load::CsvOptions;
pub use leaderboard::{Entry, Leaderboard, Status};
pub use metrics::Metric;
pub use model::{Model, Predictions};
pub use profile::Profile;
pub use task::Task;
