//! The library's error type: each variant names what went wrong and where, so a service embedding
//! the engine can match on it and a user can act on the message.

use std::path::PathBuf;

/// Everything that can stop a compare before or after the sweep. A single algorithm failing is
/// not an error: it becomes a failed row in the leaderboard.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // The OS error is the source, printed after this by error chains (`{:#}`).
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is not a readable CSV file: {reason}")]
    Csv { path: PathBuf, reason: String },

    #[error("{what} '{column}' {problem}; {hint}")]
    MissingColumn {
        what: String,
        column: String,
        problem: String,
        hint: String,
    },

    #[error(
        "target column '{column}' is not numeric ({detail}); regression needs a numeric target"
    )]
    NonNumericTarget { column: String, detail: String },

    #[error("column '{column}': {problem}")]
    NumberFormat { column: String, problem: String },

    #[error("target column '{column}' cannot be modelled: {reason}")]
    UnusableTarget { column: String, reason: String },

    #[error("not enough data: {0}")]
    NotEnoughData(String),

    #[error("no usable feature columns: {0}")]
    NoFeatures(String),

    #[error("invalid setting: {0}")]
    InvalidSetting(String),

    #[error("unknown algorithm id '{id}'; known ids: {known}")]
    UnknownAlgorithm { id: String, known: String },

    #[error("{path} is not a usable model: {reason}")]
    ModelFile { path: PathBuf, reason: String },

    #[error(
        "column '{column}', data row {row} (line {line} of the file): '{value}' is not {expected}; \
         fix or blank the value",
        line = row + 1
    )]
    BadValue {
        column: String,
        /// 1-based data row (the header is line 1).
        row: usize,
        value: String,
        expected: String,
    },

    #[error("tracking: {0}")]
    Tracking(String),

    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },

    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// True when the user can fix the problem by changing input, settings or paths (exit code 2);
    /// false for a fault of the engine itself (exit code 1).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Internal(_))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
