//! The compare builder: settings in, a ranked leaderboard and the best candidates refitted on
//! every row out. Every setting, hyperparameters included, is checked before the sweep starts.

mod checks;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use polars::prelude::DataFrame;
use rayon::prelude::*;

use crate::algorithms::{format_params, Algorithm};
use crate::error::{chain, Error, Result};
use crate::folds;
use crate::io::load::{self, CsvOptions};
use crate::leaderboard::{self, Entry, Leaderboard, Settings, Status};
use crate::metrics::Metric;
use crate::model::Model;
use crate::preprocess::EncodingOptions;
use crate::profile::{self, Profile};
use crate::sweep::{self, Progress};
use crate::table::Table;
use crate::task::Task;

/// Seed used when none is given, so that two runs agree by default.
pub const DEFAULT_SEED: u64 = 42;
/// Most columns the encoded table may have, and most bytes one encoded copy of it may take:
/// the sweep holds several copies (each fold's training and validation rows).
pub const MAX_ENCODED_COLUMNS: usize = 20_000;
pub const MAX_ENCODED_BYTES: usize = 4 << 30;
/// Rows whose out-of-fold predictions are kept for every candidate.
pub const OUT_OF_FOLD_ROWS: usize = 2_000;

type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// What a compare gives: the leaderboard and the best candidates refitted on every row.
#[derive(Debug)]
pub struct Comparison {
    pub leaderboard: Leaderboard,
    /// The top scored candidates refitted on all rows, best first (see [`Compare::export_top`]).
    pub models: Vec<Model>,
    /// Why a top candidate could not be refitted, one message each.
    pub export_errors: Vec<String>,
}

/// Cross-validates every selected algorithm and hyperparameter setting on a table and ranks
/// them. The task (regression or classification) is inferred from the target unless set.
///
/// ```no_run
/// use automl::{Compare, Metric};
///
/// let result = Compare::new("progression")
///     .folds(5)
///     .seed(42)
///     .sort(Metric::Rmse)
///     .run_csv("datasets/diabetes.csv")?;
/// let best = result.leaderboard.best().expect("some candidate scored");
/// println!("{} {:?}", best.model, best.metric(Metric::Rmse));
/// # Ok::<(), automl::Error>(())
/// ```
#[derive(Clone)]
pub struct Compare {
    target: String,
    folds: usize,
    shuffle: bool,
    seed: u64,
    task: Option<Task>,
    sort: Option<Metric>,
    include: Vec<String>,
    exclude: Vec<String>,
    ignore: Vec<String>,
    csv: CsvOptions,
    encoding: EncodingOptions,
    export_top: usize,
    max_fit_seconds: Option<f64>,
    stop: Option<Arc<AtomicBool>>,
    progress: Option<ProgressFn>,
}

impl Compare {
    /// A compare predicting the column `target`, with 5 shuffled folds (stratified for
    /// classification), seed 42, ranked by RMSE (regression) or accuracy (classification).
    pub fn new(target: impl Into<String>) -> Compare {
        Compare {
            target: target.into(),
            folds: 5,
            shuffle: true,
            seed: DEFAULT_SEED,
            task: None,
            sort: None,
            include: Vec::new(),
            exclude: Vec::new(),
            ignore: Vec::new(),
            csv: CsvOptions::default(),
            encoding: EncodingOptions::default(),
            export_top: 1,
            max_fit_seconds: None,
            stop: None,
            progress: None,
        }
    }

    /// Number of cross-validation folds (at least 2).
    pub fn folds(mut self, folds: usize) -> Compare {
        self.folds = folds;
        self
    }

    /// Shuffle rows before splitting into folds (the default). Without shuffling the folds are
    /// contiguous blocks, exactly as scikit-learn's `KFold(shuffle=False)`.
    pub fn shuffle(mut self, shuffle: bool) -> Compare {
        self.shuffle = shuffle;
        self
    }

    /// Seed for the fold shuffle and every randomised algorithm.
    pub fn seed(mut self, seed: u64) -> Compare {
        self.seed = seed;
        self
    }

    /// The metric that ranks the leaderboard; it must be one of the task's.
    pub fn sort(mut self, metric: Metric) -> Compare {
        self.sort = Some(metric);
        self
    }

    /// The task, instead of inferring it from the target: a numeric target can be learnt as
    /// classes, a few integer levels as a quantity.
    pub fn task(mut self, task: Task) -> Compare {
        self.task = Some(task);
        self
    }

    /// Runs only these algorithm ids (all when empty).
    pub fn include<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Compare {
        self.include = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Leaves out these algorithm ids.
    pub fn exclude<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Compare {
        self.exclude = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Leaves these columns out of the features (an ID, or a column that leaks the target).
    pub fn ignore<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Compare {
        self.ignore = columns.into_iter().map(Into::into).collect();
        self
    }

    /// How the CSV file is parsed (`run_csv`).
    pub fn csv_options(mut self, options: CsvOptions) -> Compare {
        self.csv = options;
        self
    }

    /// How categorical columns are one-hot encoded.
    pub fn encoding(mut self, options: EncodingOptions) -> Compare {
        self.encoding = options;
        self
    }

    /// How many of the best scored candidates are refitted on every row and returned as
    /// [`Model`]s in [`Comparison::models`] (1 by default; 0 refits none).
    pub fn export_top(mut self, n: usize) -> Compare {
        self.export_top = n;
        self
    }

    /// Longest one fold's fit may take: a candidate that runs over is marked timed out and the
    /// sweep goes on (the backends cannot be interrupted: the abandoned fit finishes on its own
    /// thread and its result is dropped).
    pub fn max_fit_seconds(mut self, seconds: f64) -> Compare {
        self.max_fit_seconds = Some(seconds);
        self
    }

    /// Stops the sweep when `flag` becomes true (Ctrl-C, a service shutting down): no fit starts,
    /// running ones are abandoned, and the leaderboard of the candidates that finished comes
    /// back, the others marked interrupted ([`Leaderboard::partial`]); nothing is refitted.
    pub fn stop_when(mut self, flag: Arc<AtomicBool>) -> Compare {
        self.stop = Some(flag);
        self
    }

    /// Called after every finished fold fit, from the worker threads.
    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Compare {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Reads `path` as CSV and runs the compare on it.
    pub fn run_csv(&self, path: impl AsRef<Path>) -> Result<Comparison> {
        self.validate()?;
        let frame = load::read_csv(path.as_ref(), &self.csv)?;
        self.run_validated(&frame)
    }

    /// Runs the compare on a table already in memory.
    pub fn run(&self, frame: &DataFrame) -> Result<Comparison> {
        self.validate()?;
        self.run_validated(frame)
    }

    /// Profiles `frame` without training anything.
    pub fn profile(&self, frame: &DataFrame) -> Result<Profile> {
        let values = profile::convert_columns(frame)?;
        profile::profile(frame, &values, &self.target, &self.ignore, self.task)
    }

    fn run_validated(&self, frame: &DataFrame) -> Result<Comparison> {
        let values = profile::convert_columns(frame)?;
        let profile = profile::profile(frame, &values, &self.target, &self.ignore, self.task)?;
        let task = profile.target.task;
        let sort = self.sort.unwrap_or(task.default_sort());
        checks::check_sort(task, sort)?;
        let algorithms = self.algorithms(task)?;
        let control = self.control()?;
        if profile.kept().next().is_none() {
            let reasons: Vec<String> = profile
                .dropped()
                .map(|c| format!("'{}' ({})", c.name, c.dropped.as_deref().unwrap_or("")))
                .collect();
            return Err(Error::NoFeatures(if reasons.is_empty() {
                "the file has no column besides the target".into()
            } else {
                format!("every column was dropped: {}", reasons.join("; "))
            }));
        }
        let table = Table::new(frame, values, &profile)?;
        checks::check_width(&table, &self.encoding)?;
        let shuffle = self.shuffle.then_some(self.seed);
        let folds = match task {
            Task::Regression => folds::kfold(table.rows(), self.folds, shuffle)?,
            Task::Classification => folds::stratified_kfold(
                &table.class_indices(),
                &table.classes,
                self.folds,
                shuffle,
            )?,
        };

        let candidates = checks::candidates(&algorithms)?;
        let progress = self.progress.clone();
        let report = move |p: Progress| {
            if let Some(f) = &progress {
                f(p)
            }
        };
        let outcomes = sweep::run(
            &table,
            &folds,
            &candidates,
            &self.encoding,
            self.seed,
            &sample_rows(table.rows(), self.seed),
            &control,
            &report,
        );
        let entries = leaderboard::rank(candidates, outcomes, sort);
        let (models, export_errors) = if control.stopped() {
            (Vec::new(), Vec::new())
        } else {
            self.refit(&table, &profile.target.column.name, &entries, &algorithms)
        };
        let leaderboard = Leaderboard {
            profile,
            settings: Settings {
                folds: self.folds,
                shuffle: self.shuffle,
                seed: self.seed,
                sort,
                export_top: self.export_top,
            },
            entries,
        };
        Ok(Comparison {
            leaderboard,
            models,
            export_errors,
        })
    }

    /// Refits the best `export_top` scored entries (of the selected `algorithms`) on every
    /// row, in parallel.
    fn refit(
        &self,
        table: &Table,
        target: &str,
        entries: &[Entry],
        algorithms: &[Arc<dyn Algorithm>],
    ) -> (Vec<Model>, Vec<String>) {
        let results: Vec<std::result::Result<Model, String>> = entries
            .iter()
            .filter(|e| e.status == Status::Ok)
            .take(self.export_top)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|entry| {
                let algorithm = algorithms
                    .iter()
                    .find(|a| a.id() == entry.model)
                    .ok_or_else(|| format!("unknown algorithm {}", entry.model))?;
                Model::train(
                    table,
                    target,
                    entry,
                    algorithm.as_ref(),
                    &self.encoding,
                    self.seed,
                )
                .map_err(|e| {
                    format!(
                        "refitting #{} {} {} on all rows failed: {}",
                        entry.rank,
                        entry.model,
                        format_params(&entry.params),
                        chain(&e)
                    )
                })
            })
            .collect();
        let mut models = Vec::new();
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(m) => models.push(m),
                Err(e) => errors.push(e),
            }
        }
        (models, errors)
    }
}

/// Rows whose out-of-fold predictions every candidate keeps (for residual plots): all rows of a
/// small table, a seeded sample of `OUT_OF_FOLD_ROWS` of a large one.
fn sample_rows(rows: usize, seed: u64) -> Vec<bool> {
    use rand::seq::index::sample;
    use rand::SeedableRng;
    if rows <= OUT_OF_FOLD_ROWS {
        return vec![true; rows];
    }
    let mut keep = vec![false; rows];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for row in sample(&mut rng, rows, OUT_OF_FOLD_ROWS) {
        keep[row] = true;
    }
    keep
}
