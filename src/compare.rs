//! The compare builder: settings in, a ranked leaderboard and the best candidates refitted on
//! every row out. Every setting, hyperparameters included, is checked before the sweep starts.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use polars::prelude::DataFrame;
use rayon::prelude::*;

use crate::algorithms::{self, format_params, Algorithm};
use crate::error::{chain, Error, Result, Setting};
use crate::folds;
use crate::io::load::{self, CsvOptions};
use crate::leaderboard::{self, Entry, Leaderboard, Settings, Status};
use crate::metrics::Metric;
use crate::model::Model;
use crate::preprocess::{encoded_width_bound, EncodingOptions};
use crate::profile::{self, Profile};
use crate::sweep::{self, Candidate, Control, Progress};
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

    /// The selected algorithms for `task`, in registry order; an error names any unknown id.
    pub fn algorithms(&self, task: Task) -> Result<Vec<Arc<dyn Algorithm>>> {
        let all: Vec<Arc<dyn Algorithm>> = algorithms::for_task(task)
            .into_iter()
            .map(Arc::from)
            .collect();
        let known = || {
            let ids: Vec<&str> = all.iter().map(|a| a.id()).collect();
            format!("{task}: {}", ids.join(", "))
        };
        for id in self.include.iter().chain(&self.exclude) {
            if !all.iter().any(|a| a.id() == id) {
                return Err(Error::UnknownAlgorithm {
                    id: id.clone(),
                    known: known(),
                });
            }
        }
        let chosen: Vec<Arc<dyn Algorithm>> = all
            .iter()
            .filter(|a| {
                if self.include.is_empty() {
                    a.in_default_sweep()
                } else {
                    self.include.iter().any(|i| i == a.id())
                }
            })
            .filter(|a| !self.exclude.iter().any(|e| e == a.id()))
            .cloned()
            .collect();
        if chosen.is_empty() {
            return Err(Error::InvalidSetting(format!(
                "{} and {} leave no algorithm to run",
                Setting::Include,
                Setting::Exclude
            )));
        }
        Ok(chosen)
    }

    /// The sweep's limits; an error for a time limit that is not a positive number of seconds.
    fn control(&self) -> Result<Control> {
        let max_fit = match self.max_fit_seconds {
            None => None,
            Some(s) => Some(
                Duration::try_from_secs_f64(s)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        Error::InvalidSetting(format!(
                            "{} must be a positive number of seconds, got {s}",
                            Setting::MaxFitSeconds
                        ))
                    })?,
            ),
        };
        Ok(Control {
            max_fit,
            stop: self.stop.clone(),
        })
    }

    /// Checks the settings that do not depend on the data.
    fn validate(&self) -> Result<()> {
        if self.folds < 2 {
            return Err(Error::InvalidSetting(format!(
                "{} must be at least 2, got {}",
                Setting::Folds,
                self.folds
            )));
        }
        if self.encoding.max_levels < 1 {
            return Err(Error::InvalidSetting(
                "at least one level must be kept per categorical column".into(),
            ));
        }
        self.control()?;
        if let (Some(task), Some(sort)) = (self.task, self.sort) {
            check_sort(task, sort)?;
        }
        let tasks = self
            .task
            .map_or(vec![Task::Regression, Task::Classification], |t| vec![t]);
        // An id unknown to every task is a typo, whatever the data turns out to be.
        for id in self.include.iter().chain(&self.exclude) {
            if !tasks
                .iter()
                .any(|&t| algorithms::for_task(t).iter().any(|a| a.id() == id))
            {
                let known: Vec<String> = tasks
                    .iter()
                    .map(|&t| {
                        let ids: Vec<&str> =
                            algorithms::for_task(t).iter().map(|a| a.id()).collect();
                        format!("{t}: {}", ids.join(", "))
                    })
                    .collect();
                return Err(Error::UnknownAlgorithm {
                    id: id.clone(),
                    known: known.join("; "),
                });
            }
        }
        Ok(())
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
        check_sort(task, sort)?;
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
        check_width(&table, &self.encoding)?;
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

        let candidates = candidates(&algorithms)?;
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

/// An error when one-hot encoding would make the table too wide or too large, naming the
/// widest inputs.
fn check_width(table: &Table, encoding: &EncodingOptions) -> Result<()> {
    let width = encoded_width_bound(table, encoding);
    let bytes = table.rows().saturating_mul(width).saturating_mul(8);
    if width <= MAX_ENCODED_COLUMNS && bytes <= MAX_ENCODED_BYTES {
        return Ok(());
    }
    let mut widest: Vec<(usize, &str)> = table
        .features
        .iter()
        .map(|f| {
            let one = Table {
                features: vec![f.clone()],
                target: Vec::new(),
                classes: Vec::new(),
            };
            (encoded_width_bound(&one, encoding), f.name.as_str())
        })
        .collect();
    widest.sort_by_key(|w| std::cmp::Reverse(w.0));
    let names: Vec<String> = widest
        .iter()
        .take(5)
        .map(|(w, n)| format!("'{n}' ({w})"))
        .collect();
    Err(Error::InvalidSetting(format!(
        "encoding would make up to {width} columns ({:.1} GiB for {} rows), over the limits of \
         {MAX_ENCODED_COLUMNS} columns and {} GiB; the widest inputs (columns each): {}; leave \
         columns out with {}",
        bytes as f64 / f64::from(1u32 << 30),
        table.rows(),
        MAX_ENCODED_BYTES >> 30,
        names.join(", "),
        Setting::Ignore
    )))
}

/// An error unless `sort` scores `task`.
fn check_sort(task: Task, sort: Metric) -> Result<()> {
    if sort.task() == task {
        return Ok(());
    }
    let names: Vec<&str> = task.metrics().iter().map(|m| m.name()).collect();
    Err(Error::InvalidSetting(format!(
        "{} {sort} is a {} metric and this is {task}; choose one of {}",
        Setting::Sort,
        sort.task(),
        names.join(", ")
    )))
}

/// Every setting of every selected algorithm, checked: an error names the algorithm and the
/// setting it refuses, before any fit.
fn candidates(algorithms: &[Arc<dyn Algorithm>]) -> Result<Vec<Candidate>> {
    let mut candidates = Vec::new();
    for algorithm in algorithms {
        for params in algorithm.grid() {
            let learner = algorithm
                .configure(&params)
                .map_err(|e| Error::InvalidParams {
                    algorithm: algorithm.id().to_string(),
                    problem: format!("{} ({e})", format_params(&params)),
                })?;
            candidates.push(Candidate {
                algorithm: algorithm.clone(),
                params,
                learner: learner.into(),
            });
        }
    }
    Ok(candidates)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::{Learner, Param, ParamError, Params};

    /// Ridge, with a grid whose second setting it refuses.
    struct BadGrid;

    impl Algorithm for BadGrid {
        fn id(&self) -> &'static str {
            "ridge"
        }
        fn name(&self) -> &'static str {
            "ridge with a bad grid"
        }
        fn backend(&self) -> &'static str {
            "test"
        }
        fn grid(&self) -> Vec<Params> {
            [1.0, -2.0]
                .map(|a| Params::from([("alpha".to_string(), Param::Float(a))]))
                .into()
        }
        fn configure(&self, params: &Params) -> std::result::Result<Box<dyn Learner>, ParamError> {
            algorithms::for_task(Task::Regression)
                .into_iter()
                .find(|a| a.id() == "ridge")
                .expect("ridge is registered")
                .configure(params)
        }
    }

    #[test]
    fn a_bad_setting_is_refused_before_any_fit_naming_algorithm_and_value() {
        let err = candidates(&[Arc::new(BadGrid)]).err().expect("refused");
        assert!(matches!(err, Error::InvalidParams { .. }));
        assert_eq!(
            err.to_string(),
            "invalid setting of algorithm 'ridge': alpha=-2 (hyperparameter 'alpha' must be \
             non-negative, got -2)"
        );
    }

    #[test]
    fn library_messages_name_settings_not_flags() {
        let err = Compare::new("y")
            .folds(1)
            .run(&DataFrame::empty())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting: `folds` must be at least 2, got 1"
        );
        let err = Compare::new("y")
            .max_fit_seconds(-1.0)
            .run(&DataFrame::empty())
            .unwrap_err();
        assert!(
            err.to_string().contains("`max_fit_seconds` must be"),
            "{err}"
        );
    }
}
