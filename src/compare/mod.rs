//! The compare builder: settings in, a ranked leaderboard and the best candidates refitted on
//! every row out. Every setting, hyperparameters included, is checked before the sweep starts.
//! The grid (and, within a budget, the search) is scored by [`crate::search`], the ensembles
//! built from its out-of-fold predictions by [`crate::ensemble`], and the best refitted here
//! ([`refit`]).

mod checks;
mod refit;
mod shard;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use polars::prelude::DataFrame;

use crate::algorithms::{Algorithm, Params};
use crate::ensemble;
use crate::error::{Error, Result};
use crate::folds;
use crate::io::load::{self, CsvOptions};
use crate::leaderboard::{self, Leaderboard, Settings};
use crate::metrics::Metric;
use crate::model::Model;
use crate::preprocess::EncodingOptions;
use crate::profile::{self, Profile};
use crate::search;
use crate::sweep::{Candidate, Outcome, Progress, Timings};
use crate::table::Table;
use crate::task::Task;

/// Seed used when none is given, so that two runs agree by default.
pub const DEFAULT_SEED: u64 = 42;
/// Most columns the encoded table may have, and most bytes one encoded copy of it may take:
/// the sweep holds several copies (each fold's training and validation rows).
pub const MAX_ENCODED_COLUMNS: usize = 20_000;
pub const MAX_ENCODED_BYTES: usize = 4 << 30;
/// Share of a time budget the grid and the search may use; the rest is kept for the ensembles,
/// the refit of the winner and the export.
pub const SEARCH_SHARE: f64 = 0.85;

type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// A compare's data and grid, ready for the sweep.
struct Prepared {
    profile: Profile,
    table: Table,
    folds: Vec<folds::Fold>,
    algorithms: Vec<Arc<dyn Algorithm>>,
    grid: Vec<Candidate>,
    sort: Metric,
}

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
    budget: Option<f64>,
    trials: Option<usize>,
    ensembles: bool,
    race: bool,
    start_from: Option<Vec<(String, Params)>>,
    stop: Option<Arc<AtomicBool>>,
    progress: Option<ProgressFn>,
    timings: Option<Arc<Timings>>,
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
            budget: None,
            trials: None,
            ensembles: true,
            race: true,
            start_from: None,
            stop: None,
            progress: None,
            timings: None,
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

    /// Bounds the whole compare's wall time, reading the file included: the grid and the search
    /// stop at [`SEARCH_SHARE`] of it (candidates not finished are skipped, running fits
    /// abandoned), leaving the rest for the ensembles, the refit and the export. With a budget the
    /// search goes on past the grid until the time is up. Not reproducible: how far it gets
    /// depends on the machine; see [`Compare::trials`].
    pub fn budget(mut self, seconds: f64) -> Compare {
        self.budget = Some(seconds);
        self
    }

    /// Searches past the grid for `trials` candidate-folds (one candidate scored on one fold),
    /// in rounds of successive halving: the same seed gives the same leaderboard on any
    /// machine and at any thread count.
    pub fn trials(mut self, trials: usize) -> Compare {
        self.trials = Some(trials);
        self
    }

    /// Whether the greedy ensemble and the stack are built and ranked (the default).
    pub fn ensembles(mut self, on: bool) -> Compare {
        self.ensembles = on;
        self
    }

    /// Whether the grid races (the default) when the first fold has at least
    /// [`search::RACE_MIN_ROWS`] validation rows: every setting is scored on the first fold; of
    /// those within 25% of the best's score there, the five best and the best setting of each
    /// algorithm go on to the other folds, and those a stack of the first fold's predictions
    /// leans on (see [`crate::ensemble::leaned_on`]), with the settings sharing their staged fits; the
    /// others are ranked below as `pruned`, with their first fold's scores and the reason (a
    /// forest looks with a tenth of its trees: kept, it is scored on every fold; pruned, its
    /// row is the look). On a first fold of fewer than [`search::RACE_THIN_ROWS`] rows forests
    /// are scored with all their trees and the cheap settings go on too
    /// ([`search::RACE_CHEAP`]). Off, every setting is scored on every fold (`--full-cv`).
    /// Shards always score the whole grid: they never wait for each other.
    pub fn race(mut self, on: bool) -> Compare {
        self.race = on;
        self
    }

    /// Starts from these settings (algorithm id and hyperparameters) instead of the default
    /// grid: a search that continues a finished run.
    pub fn start_from(mut self, settings: Vec<(String, Params)>) -> Compare {
        self.start_from = Some(settings);
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

    /// Records every fold task's duration and the phases after the sweep into `timings` (see
    /// [`Timings`]): what the schedule simulator reads.
    pub fn timings(mut self, timings: Arc<Timings>) -> Compare {
        self.timings = Some(timings);
        self
    }

    /// Reads `path` as CSV and runs the compare on it.
    pub fn run_csv(&self, path: impl AsRef<Path>) -> Result<Comparison> {
        let started = Instant::now();
        self.validate()?;
        let frame = load::read_csv(path.as_ref(), &self.csv)?;
        self.run_validated(&frame, started)
    }

    /// Runs the compare on a table already in memory.
    pub fn run(&self, frame: &DataFrame) -> Result<Comparison> {
        let started = Instant::now();
        self.validate()?;
        self.run_validated(frame, started)
    }

    /// Profiles `frame` without training anything.
    pub fn profile(&self, frame: &DataFrame) -> Result<Profile> {
        let values = profile::convert_columns(frame)?;
        profile::profile(frame, &values, &self.target, &self.ignore, self.task)
    }

    /// The compare of `frame`; a time budget counts from `started`, reading the file included.
    fn run_validated(&self, frame: &DataFrame, started: Instant) -> Result<Comparison> {
        let prepared = self.prepare(frame)?;
        self.conclude(prepared, started, None)
    }

    /// Everything before the sweep: the profile, the table, the folds and the grid.
    fn prepare(&self, frame: &DataFrame) -> Result<Prepared> {
        let values = profile::convert_columns(frame)?;
        let profile = profile::profile(frame, &values, &self.target, &self.ignore, self.task)?;
        let task = profile.target.task;
        let sort = self.sort.unwrap_or(task.default_sort());
        checks::check_sort(task, sort)?;
        let algorithms = self.algorithms(task)?;
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
        let grid = match &self.start_from {
            None => checks::candidates(&algorithms)?,
            Some(settings) => checks::settings(&algorithms, settings)?,
        };
        Ok(Prepared {
            profile,
            table,
            folds,
            algorithms,
            grid,
            sort,
        })
    }

    /// The sweep (or its merged `scored` outcomes), the search, the ensembles and the refit.
    fn conclude(
        &self,
        prepared: Prepared,
        started: Instant,
        scored: Option<Vec<Outcome>>,
    ) -> Result<Comparison> {
        let Prepared {
            profile,
            table,
            folds,
            algorithms,
            grid,
            sort,
        } = prepared;
        let task = profile.target.task;
        // Merged shards were scored on every fold.
        let race = self.race && scored.is_none() && search::races(&folds);
        let mut control = self.control()?;
        control.deadline = self
            .budget
            .map(|b| started + Duration::from_secs_f64(b * SEARCH_SHARE));
        let progress = self.progress.clone();
        let report = move |p: Progress| {
            if let Some(f) = &progress {
                f(p)
            }
        };
        // The first fold's targets, for the race's rule for the ensembles (none: no rule).
        let first_targets: Vec<f64> = match folds.first() {
            Some(f) if race && self.ensembles => f.valid.iter().map(|&r| table.target[r]).collect(),
            _ => Vec::new(),
        };
        let leaned_on = |looks: &[search::Look]| ensemble::leaned_on(looks, &first_targets, task);
        let context = search::Context {
            table: &table,
            folds: &folds,
            encoding: &self.encoding,
            seed: self.seed,
            sort,
            race,
            control: &control,
            leaned_on: &leaned_on,
            progress: &report,
        };
        let budget = search::Budget {
            trials: self.trials,
            until: control.deadline,
        };
        // Out-of-fold predictions are kept for the pool the ensembles choose from (ranked after
        // the grid and each round of the search), then for the winner alone (the report's charts).
        let tidy = |entries: &mut Vec<leaderboard::Entry>| {
            let mut ranked = leaderboard::rank(std::mem::take(entries), sort);
            let pool = ensemble::pool(&ranked, sort);
            for (i, e) in ranked.iter_mut().enumerate() {
                if !pool.contains(&i) && i > 0 {
                    e.out_of_fold = Vec::new();
                }
            }
            *entries = ranked;
        };
        let searched = search::run(&context, grid, &algorithms, &budget, &tidy, scored);
        let mut entries = leaderboard::rank(searched.entries, sort);
        let stopped = control.stopped();
        if self.ensembles && !stopped {
            let start = self.timings.as_ref().map(|t| t.mark());
            entries.extend(ensemble::build(&entries, &folds, &table.target, task, sort));
            entries = leaderboard::rank(entries, sort);
            if let (Some(t), Some(start)) = (&self.timings, start) {
                t.phase("ensembles", None, start)
            }
        }
        // The exported models keep theirs, the reference of their predictions for `automl drift`.
        for e in entries.iter_mut().skip(self.export_top.max(1)) {
            e.out_of_fold = Vec::new();
        }
        // The refit is a phase; its fits, run in parallel, are timed as tasks of its round.
        let refit_round = self.timings.as_ref().map(|t| (t.next_round(), t.mark()));
        let (mut models, export_errors) = if stopped {
            (Vec::new(), Vec::new())
        } else {
            refit::refit(
                self,
                &table,
                &profile.target.column.name,
                (&entries, refit_round.map(|r| r.0)),
                &algorithms,
            )
        };
        refit::attach_references(&mut models, &table, &profile.target.column.name, &entries);
        if let (Some(t), Some((round, start))) = (&self.timings, refit_round) {
            t.phase("refit", Some(round), start);
        }
        for model in &mut models {
            model.ranked_by = Some(sort);
        }
        let leaderboard = Leaderboard {
            profile,
            settings: Settings {
                folds: self.folds,
                shuffle: self.shuffle,
                seed: self.seed,
                sort,
                export_top: self.export_top,
                budget_seconds: self.budget,
                trials: self.trials,
                race,
            },
            entries,
            trace: searched.trace,
            actual: table.target,
        };
        Ok(Comparison {
            leaderboard,
            models,
            export_errors,
        })
    }
}
