//! The parallel sweep: every candidate on every fold. Workers (one per core) take the tasks from
//! a queue, longest candidates first, so that cores do not idle at the end behind one long fit.
//! Each fold's preprocessing is fitted once on its training rows and shared by all candidates
//! that use it; a candidate that errors or panics records its message and the sweep goes on.
//!
//! Each fit runs on a thread of its own while the worker that started it waits, so a fit
//! that runs over `Control::max_fit`, or is running when `Control::stop` is set, can be left
//! behind: the backends cannot be interrupted, so the abandoned thread computes on until its fit
//! ends, and its result is dropped.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::folds::Fold;
use crate::metrics::argmax;
use crate::models::{Algorithm, FittedModel, ModelResult, Param, Params};
use crate::preprocess::{encoded_width_bound, EncodingOptions, Pipeline};
use crate::profile::Task as MlTask;
use crate::table::Table;

/// One algorithm with one hyperparameter setting.
#[derive(Clone)]
pub struct Candidate {
    pub algorithm: Arc<dyn Algorithm>,
    pub params: Params,
}

/// Scores of one candidate on one fold's validation rows, in the order of the task's
/// [`Task::metrics`].
#[derive(Debug, Clone, PartialEq)]
pub struct FoldScore {
    pub scores: Vec<f64>,
    pub fit_seconds: f64,
    /// The out-of-fold predictions of the validation rows marked to keep.
    pub kept: Vec<OutOfFold>,
}

/// A row's prediction by a model that did not see it in training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutOfFold {
    /// Row of the modelling table (rows with a target).
    pub row: usize,
    /// The target, or the class index.
    pub actual: f64,
    /// The prediction, or the most probable class index.
    pub predicted: f64,
    /// Classification: the probability of each class.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proba: Vec<f64>,
}

/// What became of a candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Scored on every fold, in fold order.
    Scored(Vec<FoldScore>),
    /// An error or panic on some fold.
    Failed(String),
    /// A fold fit ran over the time limit.
    TimedOut(String),
    /// Not run, for the reason given.
    Skipped(String),
    /// Not finished when the sweep was stopped.
    Interrupted,
}

/// Limits on a sweep.
#[derive(Debug, Clone, Default)]
pub struct Control {
    /// Longest one fold's fit and prediction may take; a candidate that runs over is timed out
    /// and its remaining folds are not run.
    pub max_fit: Option<Duration>,
    /// When set (by Ctrl-C, or a service shutting down), no fit starts and running fits are
    /// abandoned: the candidates not finished are `Interrupted`.
    pub stop: Option<Arc<AtomicBool>>,
}

impl Control {
    pub fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    }
}

/// Below this many bytes of encoded matrices for all folds, candidates run one after another
/// (all folds of one, then the next), so a stopped sweep has whole candidates finished; above
/// it, fold after fold, so that only one fold's matrices are alive at a time.
const CANDIDATE_MAJOR_BYTES: usize = 256 << 20;

/// How often a waiting worker looks at the clock and the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// Why a fold task produced no score.
#[derive(Debug, Clone)]
enum TaskError {
    Failed(String),
    TimedOut(String),
    Interrupted,
}

/// Progress of a sweep: finished and total fold fits.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// The matrices of one fold under one preprocessing variant.
struct FoldData {
    train: Array2<f64>,
    valid: Array2<f64>,
}

/// A fold's matrices, or why preprocessing failed.
type Prepared = Arc<Result<FoldData, String>>;

/// A fold's data, built by the first task that needs it and dropped after the last one.
/// Slot 0 holds the unscaled variant, slot 1 the standardised one.
struct SharedFold {
    data: [Mutex<Option<Prepared>>; 2],
    remaining: AtomicUsize,
}

/// Runs every candidate on every fold and returns one outcome per candidate, in order, with
/// the out-of-fold predictions of the rows where `keep` is true. The result does not depend on
/// the number of threads.
#[allow(clippy::too_many_arguments)]
pub fn run(
    table: &Table,
    folds: &[Fold],
    candidates: &[Candidate],
    encoding: &EncodingOptions,
    seed: u64,
    keep: &[bool],
    control: &Control,
    progress: &(dyn Fn(Progress) + Sync),
) -> Vec<Outcome> {
    quiet_panics_in_tasks();
    let max_train = folds.iter().map(|f| f.train.len()).max().unwrap_or(0);
    let skipped: Vec<Option<String>> = candidates
        .iter()
        .map(|c| c.algorithm.skip_reason(max_train, table.features.len()))
        .collect();
    let runnable: Vec<usize> = (0..candidates.len())
        .filter(|&c| skipped[c].is_none())
        .collect();
    // Longest first, so that no core idles at the end waiting on one long fit.
    let cols = encoded_width_bound(table, encoding);
    let cost = |c: usize| {
        candidates[c]
            .algorithm
            .cost(&candidates[c].params, max_train, cols)
    };
    let mut groups = stage_groups(candidates, &runnable);
    groups.sort_by(|a, b| cost(b[0]).total_cmp(&cost(a[0])).then(a[0].cmp(&b[0])));
    // Every fold's train and validation matrices, unscaled and standardised.
    let all_folds_bytes = table.rows() * cols * 8 * folds.len() * 2;
    let tasks: Vec<(usize, usize)> = if all_folds_bytes <= CANDIDATE_MAJOR_BYTES {
        (0..groups.len())
            .flat_map(|g| (0..folds.len()).map(move |f| (f, g)))
            .collect()
    } else {
        // A fold's shared matrices live only while its tasks run.
        (0..folds.len())
            .flat_map(|f| (0..groups.len()).map(move |g| (f, g)))
            .collect()
    };
    let shared: Vec<SharedFold> = folds
        .iter()
        .map(|_| SharedFold {
            data: [Mutex::new(None), Mutex::new(None)],
            remaining: AtomicUsize::new(groups.len()),
        })
        .collect();
    let done = AtomicUsize::new(0);
    let total = tasks.len();
    // Groups with a timed-out fold: their other folds are not run.
    let timed_out: Vec<AtomicBool> = groups.iter().map(|_| AtomicBool::new(false)).collect();
    // Workers take the tasks in order from a shared queue.
    let next = AtomicUsize::new(0);
    let results: Vec<OnceLock<Result<Vec<FoldScore>, TaskError>>> =
        tasks.iter().map(|_| OnceLock::new()).collect();
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(&(f, g)) = tasks.get(i) else { break };
        let members: Vec<&Candidate> = groups[g].iter().map(|&c| &candidates[c]).collect();
        let scaled = members[0].algorithm.needs_scaling();
        let result = if control.stopped() {
            Err(TaskError::Interrupted)
        } else if timed_out[g].load(Ordering::Relaxed) {
            Err(TaskError::TimedOut(
                "not run: another fold ran over the time limit".into(),
            ))
        } else {
            let data = fold_data(&shared[f], scaled, table, &folds[f], encoding);
            let task = Task {
                members,
                table,
                fold: &folds[f],
                seed: task_seed(seed, f),
                keep,
            };
            task.run(data, control)
        };
        if matches!(result, Err(TaskError::TimedOut(_))) {
            timed_out[g].store(true, Ordering::Relaxed);
        }
        if shared[f].remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            for slot in &shared[f].data {
                *lock(slot) = None;
            }
        }
        progress(Progress {
            done: done.fetch_add(1, Ordering::AcqRel) + 1,
            total,
        });
        let _ = results[i].set(result);
    };
    // The workers only wait on fit threads (see the module notes): plain threads, as many as
    // rayon's (RAYON_NUM_THREADS, else the cores).
    std::thread::scope(|scope| {
        for _ in 0..rayon::current_num_threads().max(1) {
            scope.spawn(worker);
        }
    });
    let results = results.into_iter().map(|r| {
        r.into_inner()
            .unwrap_or(Err(TaskError::Failed("the task did not run".into())))
    });

    let mut per_candidate: Vec<Vec<Result<FoldScore, TaskError>>> =
        vec![Vec::new(); candidates.len()];
    for (&(_, g), result) in tasks.iter().zip(results) {
        for (i, &c) in groups[g].iter().enumerate() {
            per_candidate[c].push(match &result {
                Ok(scores) => Ok(scores[i].clone()),
                Err(e) => Err(e.clone()),
            });
        }
    }
    per_candidate
        .into_iter()
        .zip(skipped)
        .map(|(fold_results, skip)| match skip {
            Some(reason) => Outcome::Skipped(reason),
            None => outcome(fold_results),
        })
        .collect()
}

/// A candidate's outcome from its folds' results: a failure names its fold and wins over a
/// time-out, which wins over an interruption.
fn outcome(fold_results: Vec<Result<FoldScore, TaskError>>) -> Outcome {
    let mut scores = Vec::new();
    let (mut timed_out, mut interrupted) = (None, false);
    for (f, result) in fold_results.into_iter().enumerate() {
        match result {
            Ok(score) => scores.push(score),
            Err(TaskError::Failed(e)) => return Outcome::Failed(format!("fold {}: {e}", f + 1)),
            Err(TaskError::TimedOut(e)) => {
                timed_out.get_or_insert(format!("fold {}: {e}", f + 1));
            }
            Err(TaskError::Interrupted) => interrupted = true,
        }
    }
    match (timed_out, interrupted) {
        (Some(e), _) => Outcome::TimedOut(e),
        (None, true) => Outcome::Interrupted,
        (None, false) => Outcome::Scored(scores),
    }
}

/// The runnable candidates in groups scored from one fit: candidates of an algorithm with a
/// staged hyperparameter (boosting's iterations) that differ only in it share the fit with the
/// most stages, first in its group; the others are its truncations, which are exactly the
/// models fitted with fewer stages. Every other candidate is a group of its own.
fn stage_groups(candidates: &[Candidate], runnable: &[usize]) -> Vec<Vec<usize>> {
    let staged = |c: usize| {
        let candidate = &candidates[c];
        let key = candidate.algorithm.staged_param()?;
        let stages = match candidate.params.get(key) {
            Some(Param::Int(n)) => *n,
            _ => return None,
        };
        let mut rest = candidate.params.clone();
        rest.remove(key);
        Some((candidate.algorithm.id(), rest, stages))
    };
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &c in runnable {
        let same = staged(c).and_then(|(id, rest, _)| {
            groups.iter().position(|g| {
                staged(g[0]).is_some_and(|(other, other_rest, _)| other == id && other_rest == rest)
            })
        });
        match same {
            Some(g) => groups[g].push(c),
            None => groups.push(vec![c]),
        }
    }
    for group in &mut groups {
        group.sort_by_key(|&c| (std::cmp::Reverse(staged(c).map_or(0, |s| s.2)), c));
    }
    groups
}

/// A distinct, reproducible seed for each fold.
fn task_seed(seed: u64, fold: usize) -> u64 {
    seed ^ (fold as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn fold_data(
    shared: &SharedFold,
    scaled: bool,
    table: &Table,
    fold: &Fold,
    encoding: &EncodingOptions,
) -> Prepared {
    let mut slot = lock(&shared.data[usize::from(scaled)]);
    slot.get_or_insert_with(|| {
        Arc::new(catch(|| {
            Pipeline::fit(table, &fold.train, encoding, scaled)
                .and_then(|p| {
                    Ok(FoldData {
                        train: p.transform(table, &fold.train)?,
                        valid: p.transform(table, &fold.valid)?,
                    })
                })
                .map_err(|e| format!("preprocessing failed: {e}"))
        }))
    })
    .clone()
}

/// A group of candidates (see [`stage_groups`]) on one fold.
struct Task<'a> {
    members: Vec<&'a Candidate>,
    table: &'a Table,
    fold: &'a Fold,
    seed: u64,
    keep: &'a [bool],
}

impl Task<'_> {
    /// Fits on the fold's training rows and scores the validation rows, on a thread of its own
    /// (see the module notes) so that the limits of `control` hold.
    fn run(&self, data: Prepared, control: &Control) -> Result<Vec<FoldScore>, TaskError> {
        if let Err(e) = data.as_ref() {
            return Err(TaskError::Failed(e.clone()));
        }
        let y_train: Vec<f64> = self
            .fold
            .train
            .iter()
            .map(|&r| self.table.target[r])
            .collect();
        let y_valid: Vec<f64> = self
            .fold
            .valid
            .iter()
            .map(|&r| self.table.target[r])
            .collect();
        let leader = self.members[0];
        let (algorithm, params, seed) =
            (leader.algorithm.clone(), leader.params.clone(), self.seed);
        // The stages of each member's model, for all but the leader.
        let stages: Vec<Option<usize>> = self
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let key = m.algorithm.staged_param()?;
                match m.params.get(key) {
                    Some(Param::Int(n)) if i > 0 => Some(*n as usize),
                    _ => None,
                }
            })
            .collect();
        let (task, classes) = (self.table.task(), self.table.classes.len());
        let started = Instant::now();
        let (send, receive) = mpsc::channel();
        std::thread::Builder::new()
            .name(format!("fit {}", algorithm.id()))
            .spawn(move || {
                let fit = || {
                    catch(|| {
                        let Ok(data) = data.as_ref() else {
                            unreachable!("checked above")
                        };
                        let model = algorithm.fit(
                            &params,
                            data.train.view(),
                            ArrayView1::from(&y_train),
                            seed,
                        )?;
                        stages
                            .iter()
                            .map(|&stages| match stages {
                                None => Predicted::of(&model, task, classes, data.valid.view()),
                                Some(n) => Predicted::of(
                                    &model.truncated(n)?,
                                    task,
                                    classes,
                                    data.valid.view(),
                                ),
                            })
                            .collect::<ModelResult<Vec<Predicted>>>()
                    })
                };
                // The sweep's workers already keep every core busy: a fit's own parallel
                // work (a forest's trees) runs on this thread alone.
                let predicted = match rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .use_current_thread()
                    .build()
                {
                    Ok(pool) => pool.install(fit),
                    Err(_) => fit(),
                };
                // The receiver is gone when the fit was abandoned.
                let _ = send.send(predicted);
            })
            .map_err(|e| TaskError::Failed(format!("cannot start a thread: {e}")))?;
        let predicted = loop {
            match receive.recv_timeout(POLL) {
                Ok(result) => break result.map_err(TaskError::Failed)?,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(TaskError::Failed("the fit ended without a result".into()))
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if control.stopped() {
                        return Err(TaskError::Interrupted);
                    }
                    if let Some(limit) = control.max_fit.filter(|&l| started.elapsed() > l) {
                        return Err(TaskError::TimedOut(format!(
                            "ran over the limit of {} s (--max-fit-seconds)",
                            limit.as_secs_f64()
                        )));
                    }
                }
            }
        };
        let fit_seconds = started.elapsed().as_secs_f64();
        Ok(predicted
            .iter()
            .map(|predicted| FoldScore {
                scores: predicted.scores(task, &y_valid),
                fit_seconds,
                kept: self
                    .fold
                    .valid
                    .iter()
                    .enumerate()
                    .filter(|(_, &row)| self.keep.get(row).copied().unwrap_or(false))
                    .map(|(i, &row)| predicted.out_of_fold(row, y_valid[i], i))
                    .collect(),
            })
            .collect())
    }
}

/// A model's predictions of a fold's validation rows.
enum Predicted {
    Values(Vec<f64>),
    /// Rows x classes.
    Proba(Array2<f64>),
}

impl Predicted {
    /// Predicts `x` as the task needs: values, or probabilities of each of the `classes`.
    fn of(
        model: &FittedModel,
        task: MlTask,
        classes: usize,
        x: ArrayView2<f64>,
    ) -> ModelResult<Predicted> {
        let predicted = match task {
            MlTask::Regression => Predicted::Values(model.predict(x)?),
            MlTask::Classification => {
                let proba = model.predict_proba(x)?;
                if proba.ncols() != classes {
                    return Err(format!(
                        "the model gave probabilities of {} classes, the target has {classes}",
                        proba.ncols(),
                    ));
                }
                Predicted::Proba(proba)
            }
        };
        let (rows, values) = match &predicted {
            Predicted::Values(v) => (v.len(), v.as_slice()),
            Predicted::Proba(p) => (p.nrows(), p.as_slice().unwrap_or(&[])),
        };
        if rows != x.nrows() {
            return Err(format!("predicted {rows} rows for {}", x.nrows()));
        }
        if let Some(bad) = values.iter().find(|p| !p.is_finite()) {
            return Err(format!("the model predicted a non-finite value ({bad})"));
        }
        Ok(predicted)
    }

    fn scores(&self, task: MlTask, truth: &[f64]) -> Vec<f64> {
        match self {
            Predicted::Values(pred) => task
                .metrics()
                .iter()
                .map(|m| m.score(truth, pred))
                .collect(),
            Predicted::Proba(proba) => {
                let classes: Vec<usize> = truth.iter().map(|&c| c as usize).collect();
                task.metrics()
                    .iter()
                    .map(|m| m.classify(&classes, proba.view()))
                    .collect()
            }
        }
    }

    /// The out-of-fold record of validation row `i` (table row `row`).
    fn out_of_fold(&self, row: usize, actual: f64, i: usize) -> OutOfFold {
        match self {
            Predicted::Values(v) => OutOfFold {
                row,
                actual,
                predicted: v[i],
                proba: Vec::new(),
            },
            Predicted::Proba(p) => OutOfFold {
                row,
                actual,
                predicted: argmax(p.row(i).iter().copied()) as f64,
                proba: p.row(i).to_vec(),
            },
        }
    }
}

thread_local! {
    static IN_TASK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into an error message.
pub(crate) fn catch<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    IN_TASK.with(|t| t.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    IN_TASK.with(|t| t.set(false));
    result.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(format!("panicked: {message}"))
    })
}

/// A panic inside a candidate is reported in its leaderboard row, not on stderr; panics
/// anywhere else still reach the previous hook.
fn quiet_panics_in_tasks() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_TASK.with(|t| t.get()) {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::Values;
    use crate::folds::kfold;
    use crate::models::{FittedModel, ModelResult};
    use crate::profile::Kind;
    use crate::table::Feature;
    use ndarray::ArrayView2;

    /// Fails in the way its name says.
    struct Faulty(&'static str);

    impl Algorithm for Faulty {
        fn id(&self) -> &'static str {
            self.0
        }
        fn name(&self) -> &'static str {
            self.0
        }
        fn backend(&self) -> &'static str {
            "test"
        }
        fn grid(&self) -> Vec<Params> {
            vec![Params::new()]
        }
        fn skip_reason(&self, rows: usize, _: usize) -> Option<String> {
            (self.0 == "huge").then(|| format!("{rows} rows"))
        }
        fn fit(
            &self,
            _: &Params,
            _: ArrayView2<f64>,
            y: ArrayView1<f64>,
            _: u64,
        ) -> ModelResult<FittedModel> {
            match self.0 {
                "slow" => {
                    std::thread::sleep(Duration::from_secs(3));
                    Ok(FittedModel::Constant(0.0))
                }
                "panics" => panic!("boom"),
                "errors" => Err("no convergence".into()),
                "nan" => Ok(FittedModel::Constant(f64::NAN)),
                _ => Ok(FittedModel::Constant(y.mean().unwrap())),
            }
        }
    }

    fn line_table() -> Table {
        Table {
            features: vec![Feature {
                name: "x".into(),
                kind: Kind::Numeric,
                values: Values::Numeric((0..20).map(f64::from).collect()),
            }],
            target: (0..20).map(|v| f64::from(v) * 2.0).collect(),
            classes: Vec::new(),
        }
    }

    fn candidates(ids: &[&'static str]) -> Vec<Candidate> {
        ids.iter()
            .map(|&id| Candidate {
                algorithm: Arc::new(Faulty(id)),
                params: Params::new(),
            })
            .collect()
    }

    #[test]
    fn a_slow_candidate_times_out_and_a_stopped_sweep_is_interrupted() {
        let table = line_table();
        let folds = kfold(20, 4, Some(1)).unwrap();
        let control = Control {
            max_fit: Some(Duration::from_millis(100)),
            stop: None,
        };
        let started = Instant::now();
        let outcomes = run(
            &table,
            &folds,
            &candidates(&["slow", "ok"]),
            &EncodingOptions::default(),
            1,
            &[],
            &control,
            &|_| {},
        );
        // Four folds of a 3 s fit, abandoned after 0.1 s each at most.
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(
            matches!(&outcomes[0], Outcome::TimedOut(e) if e.contains("limit of 0.1 s")),
            "{:?}",
            outcomes[0]
        );
        assert!(matches!(outcomes[1], Outcome::Scored(_)));

        let stop = Arc::new(AtomicBool::new(true));
        let control = Control {
            max_fit: None,
            stop: Some(stop),
        };
        let outcomes = run(
            &table,
            &folds,
            &candidates(&["ok", "huge"]),
            &EncodingOptions::default(),
            1,
            &[],
            &control,
            &|_| {},
        );
        assert_eq!(outcomes[0], Outcome::Interrupted);
        assert!(matches!(outcomes[1], Outcome::Skipped(_)));
    }

    #[test]
    fn a_failing_candidate_is_an_outcome_not_a_crash() {
        let table = line_table();
        let folds = kfold(20, 4, Some(1)).unwrap();
        let candidates = candidates(&["ok", "panics", "errors", "nan", "huge"]);
        let calls = AtomicUsize::new(0);
        let outcomes = run(
            &table,
            &folds,
            &candidates,
            &EncodingOptions::default(),
            1,
            &[true; 20],
            &Control::default(),
            &|p| {
                calls.fetch_add(1, Ordering::Relaxed);
                assert!(p.done <= p.total && p.total == 16);
            },
        );
        assert_eq!(calls.into_inner(), 16);
        assert!(matches!(&outcomes[0], Outcome::Scored(f) if f.len() == 4));
        // Every row kept: each has exactly one out-of-fold prediction, its fold's training mean.
        let Outcome::Scored(scored) = &outcomes[0] else {
            unreachable!()
        };
        let mut rows: Vec<usize> = scored.iter().flat_map(|f| &f.kept).map(|k| k.row).collect();
        rows.sort_unstable();
        assert_eq!(rows, (0..20).collect::<Vec<_>>());
        for (fold, score) in folds.iter().zip(scored) {
            let mean =
                fold.train.iter().map(|&r| table.target[r]).sum::<f64>() / fold.train.len() as f64;
            assert!(score
                .kept
                .iter()
                .all(|k| k.predicted == mean && k.actual == table.target[k.row]));
        }
        assert_eq!(
            outcomes[1],
            Outcome::Failed("fold 1: panicked: boom".into())
        );
        assert_eq!(
            outcomes[2],
            Outcome::Failed("fold 1: no convergence".into())
        );
        assert_eq!(
            outcomes[3],
            Outcome::Failed("fold 1: the model predicted a non-finite value (NaN)".into())
        );
        assert_eq!(outcomes[4], Outcome::Skipped("15 rows".into()));
    }
}
