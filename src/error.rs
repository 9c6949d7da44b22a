//! The library's error type: each variant names what went wrong and where, so a service embedding
//! the engine can match on it and a user can act on the message. Messages speak of settings by
//! their library names in backticks (`` `folds` ``, `` `ignore` ``, see [`Setting`]); the CLI
//! shows the same messages with its flags instead.

use std::path::PathBuf;

/// An error from a backend or the system, kept as the source of ours.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

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

    /// polars could not parse the file; its error is the source.
    #[error("{path} is not a readable prediction log: {reason}")]
    Log { path: PathBuf, reason: String },

    #[error("{path} is not a readable CSV file")]
    Parse {
        path: PathBuf,
        #[source]
        source: BoxError,
    },

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

    /// A hyperparameter setting that its algorithm refuses, found before any fit.
    #[error("invalid setting of algorithm '{algorithm}': {problem}")]
    InvalidParams { algorithm: String, problem: String },

    #[error("{path} is not a usable model: {reason}")]
    ModelFile { path: PathBuf, reason: String },

    /// A loaded model failed to predict.
    #[error("the {algorithm} model failed")]
    Predict {
        algorithm: String,
        #[source]
        source: BoxError,
    },

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

    #[error("tracking: {message}")]
    Tracking {
        message: String,
        #[source]
        source: Option<BoxError>,
    },

    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// True when the user can fix the problem by changing input, settings or paths (exit code 2);
    /// false for a fault of the engine itself (exit code 1).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Internal(_) | Error::Predict { .. })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `error` and its sources, joined by ": " (as `anyhow` prints a chain with `{:#}`).
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// A setting of a compare, a prediction or a tracking call. Library messages name it in
/// backticks by [`Setting::name`]; the CLI replaces that with [`Setting::flag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Folds,
    Seed,
    Shuffle,
    Sort,
    Task,
    Include,
    Exclude,
    Ignore,
    Separator,
    DecimalComma,
    MaxFitSeconds,
    ExportTop,
    Budget,
    Trials,
    Id,
    Proba,
    TrackingDir,
    TrackingUri,
    Experiment,
    Shard,
}

impl Setting {
    pub const ALL: [Setting; 20] = [
        Setting::Folds,
        Setting::Seed,
        Setting::Shuffle,
        Setting::Sort,
        Setting::Task,
        Setting::Include,
        Setting::Exclude,
        Setting::Ignore,
        Setting::Separator,
        Setting::DecimalComma,
        Setting::MaxFitSeconds,
        Setting::ExportTop,
        Setting::Budget,
        Setting::Trials,
        Setting::Id,
        Setting::Proba,
        Setting::TrackingDir,
        Setting::TrackingUri,
        Setting::Experiment,
        Setting::Shard,
    ];

    /// The setting's name in the library: the builder method or option field that sets it.
    pub fn name(self) -> &'static str {
        match self {
            Setting::Folds => "folds",
            Setting::Seed => "seed",
            Setting::Shuffle => "shuffle",
            Setting::Sort => "sort",
            Setting::Task => "task",
            Setting::Include => "include",
            Setting::Exclude => "exclude",
            Setting::Ignore => "ignore",
            Setting::Separator => "separator",
            Setting::DecimalComma => "decimal_comma",
            Setting::MaxFitSeconds => "max_fit_seconds",
            Setting::ExportTop => "export_top",
            Setting::Budget => "budget",
            Setting::Trials => "trials",
            Setting::Id => "id",
            Setting::Proba => "proba",
            Setting::TrackingDir => "tracking_dir",
            Setting::TrackingUri => "tracking_uri",
            Setting::Experiment => "experiment",
            Setting::Shard => "shard",
        }
    }

    /// The command-line flag that sets it.
    pub fn flag(self) -> &'static str {
        match self {
            Setting::Folds => "--folds",
            Setting::Seed => "--seed",
            Setting::Shuffle => "--no-shuffle",
            Setting::Sort => "--sort",
            Setting::Task => "--task",
            Setting::Include => "--include",
            Setting::Exclude => "--exclude",
            Setting::Ignore => "--ignore",
            Setting::Separator => "--sep",
            Setting::DecimalComma => "--decimal-comma",
            Setting::MaxFitSeconds => "--max-fit-seconds",
            Setting::ExportTop => "--export-top",
            Setting::Budget => "--budget",
            Setting::Trials => "--trials",
            Setting::Id => "--id",
            Setting::Proba => "--proba",
            Setting::TrackingDir => "--tracking-dir",
            Setting::TrackingUri => "--tracking-uri",
            Setting::Experiment => "--experiment",
            Setting::Shard => "--shard",
        }
    }
}

impl std::fmt::Display for Setting {
    /// The name as messages quote it: `` `folds` ``.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`", self.name())
    }
}
