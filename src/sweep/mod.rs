//! The parallel sweep: every candidate on every fold. Workers (one per core) take the tasks from
//! a queue ([`schedule`]), longest candidates first, so that cores do not idle at the end behind
//! one long fit. Each fold's preprocessing is fitted once on its training rows and shared by all
//! candidates that use it ([`fold_cache`]); each fit runs in isolation ([`isolate`]), so a
//! candidate that errors, panics or runs over the time limit records why and the sweep goes on;
//! [`score`] turns a fold's predictions into scores.

mod fold_cache;
mod isolate;
mod schedule;
mod score;
mod timings;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::algorithms::{format_setting, Algorithm, Learner, Params};
use crate::folds::Fold;
use crate::preprocess::{encoded_width_bound, EncodingOptions};
use crate::table::Table;

pub use isolate::{Control, FIT_THREAD};
pub use timings::{Mark, Timing, Timings};

/// One algorithm with one hyperparameter setting, checked.
#[derive(Clone)]
pub struct Candidate {
    pub algorithm: Arc<dyn Algorithm>,
    pub params: Params,
    pub learner: Arc<dyn Learner>,
}

impl Candidate {
    /// `id(a=1 b=2)`, as the timings name it.
    pub fn label(&self) -> String {
        format_setting(self.algorithm.id(), &self.params)
    }

    /// The cheaper candidate that stands for this one in the race's first-fold look, if its
    /// algorithm has one ([`Algorithm::look`]).
    pub fn look(&self) -> Option<Candidate> {
        let params = self.algorithm.look(&self.params)?;
        let learner = self.algorithm.configure(&params).ok()?;
        Some(Candidate {
            algorithm: self.algorithm.clone(),
            params,
            learner: Arc::from(learner),
        })
    }

    /// The algorithm and the setting less its staged hyperparameter (boosting's iterations,
    /// k-NN's k), for a staged candidate: candidates with the same key are truncations of one
    /// another's model.
    pub fn staged_key(&self) -> Option<(&'static str, Params)> {
        self.key_without(&[])
    }

    /// The [`Candidate::staged_key`] less the hyperparameters that only change how a model
    /// predicts ([`Algorithm::prediction_params`]): candidates with the same key are scored
    /// from one fit.
    pub fn fit_key(&self) -> Option<(&'static str, Params)> {
        self.key_without(self.algorithm.prediction_params())
    }

    fn key_without(&self, also: &[&str]) -> Option<(&'static str, Params)> {
        let key = self.algorithm.staged_param()?;
        self.learner.stages()?;
        let mut rest = self.params.clone();
        for param in std::iter::once(&key).chain(also) {
            rest.remove(*param);
        }
        Some((self.algorithm.id(), rest))
    }
}

/// Scores of one candidate on one fold's validation rows, in the order of the task's
/// [`crate::task::Task::metrics`].
#[derive(Debug, Clone, PartialEq)]
pub struct FoldScore {
    /// Index of the fold.
    pub fold: usize,
    pub scores: Vec<f64>,
    pub fit_seconds: f64,
    /// The predictions of the fold's validation rows, in its order, as `f32`: one value per
    /// row, or (classification) each class's probability, row after row. Taken into the
    /// candidate's out-of-fold predictions once every fold is scored.
    pub predictions: Vec<f32>,
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
    /// Not finished within the time budget.
    OverBudget,
    /// Stopped early by the race or the search, with the scores of the folds it was run on and
    /// why.
    Pruned(Vec<FoldScore>, String),
}

/// Why a fold task produced no score.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TaskError {
    Failed(String),
    TimedOut(String),
    Interrupted,
    OverBudget,
}

/// Progress of a sweep: finished and total fold fits.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// One of a shard's share of the sweep: shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub index: usize,
    pub count: usize,
}

/// The result of one candidate on one fold.
pub type FoldResult = Result<FoldScore, TaskError>;

/// (candidate, fold, result) of each candidate-fold run.
pub type FoldResults = Vec<(usize, usize, FoldResult)>;

/// Runs every candidate on the folds numbered in `on` (all of `folds`, or some of them for a
/// cheap first look) and returns one outcome per candidate, in order, with each fold's scores
/// and predictions. A fold's result does not depend on the other folds run, nor on the number
/// of threads, nor on the shard that runs it.
#[allow(clippy::too_many_arguments)]
pub fn run(
    table: &Table,
    folds: &[Fold],
    on: &[usize],
    candidates: &[Candidate],
    encoding: &EncodingOptions,
    seed: u64,
    control: &Control,
    progress: &(dyn Fn(Progress) + Sync),
) -> Vec<Outcome> {
    let setup = (encoding, seed, control, progress);
    let each = vec![on.to_vec(); candidates.len()];
    run_each(table, folds, &each, candidates, setup, Vec::new())
}

/// [`run`] with folds of its own for each candidate (`on[c]`, in fold order): the race's second
/// round, where a setting kept after a cheaper look is scored on every fold and the others on
/// the folds after the first. The results `given` (candidate, fold, result: those
/// [`run_sparing`] had ahead of time) are not run again.
pub fn run_each(
    table: &Table,
    folds: &[Fold],
    on: &[Vec<usize>],
    candidates: &[Candidate],
    setup: (&EncodingOptions, u64, &Control, &(dyn Fn(Progress) + Sync)),
    given: FoldResults,
) -> Vec<Outcome> {
    let left: Vec<Vec<usize>> = (on.iter().enumerate())
        .map(|(c, folds)| {
            let had = |f: &usize| given.iter().any(|&(g, h, _)| (g, h) == (c, *f));
            folds.iter().copied().filter(|f| !had(f)).collect()
        })
        .collect();
    let union: Vec<usize> = (0..folds.len())
        .filter(|f| left.iter().any(|o| o.contains(f)))
        .collect();
    let plan = Plan {
        each: Some(&left),
        ..Plan::default()
    };
    let (mut results, _) = execute(table, folds, &union, candidates, setup, plan);
    results.extend(given.into_iter().filter(|(c, f, _)| on[*c].contains(f)));
    // Each candidate's in the order of its folds.
    results.sort_by_key(|&(c, f, _)| (c, on[c].iter().position(|&o| o == f)));
    let per_candidate = by_candidate(results, candidates.len());
    outcomes(table, folds, on, candidates, per_candidate)
}

/// [`run`], where a worker that would idle while the last tasks run (the queue empty) scores a
/// candidate on one of its `spare` folds (`spare[c]`) ahead of time instead, longest candidates
/// first: the race's first round, the survivors' other folds. Returns the outcomes on `on` and
/// the spare results had (candidate, fold, result), the same as a later run would give. Not under
/// a time budget, nor where every fold's matrices together take more than the schedule keeps
/// alive at once (256 MiB): the spare folds' matrices are alive until the end.
pub fn run_sparing(
    table: &Table,
    folds: &[Fold],
    on: &[usize],
    candidates: &[Candidate],
    setup: (&EncodingOptions, u64, &Control, &(dyn Fn(Progress) + Sync)),
    spare: &[Vec<usize>],
) -> (Vec<Outcome>, FoldResults) {
    let plan = Plan {
        spare: Some(spare),
        ..Plan::default()
    };
    let (results, spared) = execute(table, folds, on, candidates, setup, plan);
    let per_candidate = by_candidate(results, candidates.len());
    (
        assemble(table, folds, on, candidates, per_candidate),
        spared,
    )
}

/// Each of `count` candidates' results, in the order given.
fn by_candidate(results: FoldResults, count: usize) -> Vec<Vec<FoldResult>> {
    let mut per_candidate: Vec<Vec<FoldResult>> = vec![Vec::new(); count];
    for (c, _, result) in results {
        per_candidate[c].push(result);
    }
    per_candidate
}

/// Runs `share` of the (candidate x fold) tasks on every fold: the tasks are dealt to the
/// shards longest first, each to the shard with the least estimated work so far, so every
/// shard computes the same deal. Returns (candidate, fold, result) for the tasks it ran.
pub fn run_share(
    table: &Table,
    folds: &[Fold],
    candidates: &[Candidate],
    setup: (&EncodingOptions, u64, &Control, &(dyn Fn(Progress) + Sync)),
    share: Share,
) -> FoldResults {
    let all: Vec<usize> = (0..folds.len()).collect();
    let plan = Plan {
        share: Some(share),
        ..Plan::default()
    };
    execute(table, folds, &all, candidates, setup, plan).0
}

/// Every candidate's outcome from its results on the folds `on`, in fold order (a candidate
/// that cannot run on the table is skipped, whatever its results).
pub fn assemble(
    table: &Table,
    folds: &[Fold],
    on: &[usize],
    candidates: &[Candidate],
    results: Vec<Vec<FoldResult>>,
) -> Vec<Outcome> {
    let each = vec![on.to_vec(); candidates.len()];
    outcomes(table, folds, &each, candidates, results)
}

/// [`assemble`] with each candidate's own folds.
fn outcomes(
    table: &Table,
    folds: &[Fold],
    on: &[Vec<usize>],
    candidates: &[Candidate],
    results: Vec<Vec<FoldResult>>,
) -> Vec<Outcome> {
    (results.into_iter().zip(candidates).zip(on))
        .map(
            |((fold_results, c), on)| match skip_reason(table, folds, c) {
                Some(reason) => Outcome::Skipped(reason),
                None => outcome(on, fold_results),
            },
        )
        .collect()
}

/// Each candidate's estimated cost of a fold task: its learner's estimate for the largest
/// training fold and the bound on the encoded width. The schedule orders and deals the tasks by
/// it, and the race measures a cheap setting by it. Estimates, not times: the same on any
/// machine.
pub fn estimated_costs(
    table: &Table,
    folds: &[Fold],
    encoding: &EncodingOptions,
    candidates: &[Candidate],
) -> Vec<f64> {
    let max_train = folds.iter().map(|f| f.train.len()).max().unwrap_or(0);
    let cols = encoded_width_bound(table, encoding);
    candidates
        .iter()
        .map(|c| c.learner.cost(max_train, cols))
        .collect()
}

/// Why `candidate` cannot run on the table (too many rows or columns for it): then it has no
/// tasks and is skipped.
pub fn skip_reason(table: &Table, folds: &[Fold], candidate: &Candidate) -> Option<String> {
    let max_train = folds.iter().map(|f| f.train.len()).max().unwrap_or(0);
    candidate
        .algorithm
        .skip_reason(max_train, table.features.len())
}

/// What [`execute`] runs beyond every candidate on every fold of `on`.
#[derive(Default, Clone, Copy)]
struct Plan<'a> {
    /// Each candidate's own folds of `on`.
    each: Option<&'a [Vec<usize>]>,
    /// This shard's share of the tasks.
    share: Option<Share>,
    /// Each candidate's folds that a worker which would idle may score ahead of time.
    spare: Option<&'a [Vec<usize>]>,
}

/// Runs the tasks on folds `on` as `plan` says and returns (candidate, fold, result) for each
/// candidate of each task run, candidate after candidate; then the same for the spare tasks
/// run.
fn execute(
    table: &Table,
    folds: &[Fold],
    on: &[usize],
    candidates: &[Candidate],
    (encoding, seed, control, progress): (
        &EncodingOptions,
        u64,
        &Control,
        &(dyn Fn(Progress) + Sync),
    ),
    plan: Plan,
) -> (FoldResults, FoldResults) {
    let skipped: Vec<Option<String>> = candidates
        .iter()
        .map(|c| skip_reason(table, folds, c))
        .collect();
    let runnable: Vec<usize> = (0..candidates.len())
        .filter(|&c| skipped[c].is_none())
        .collect();
    let cols = encoded_width_bound(table, encoding);
    let costs = estimated_costs(table, folds, encoding, candidates);
    let budgeted = control.deadline.is_some();
    let groups = schedule::groups(candidates, &runnable, |c| costs[c], budgeted);
    // `n` folds' train and validation matrices, unscaled and standardised.
    let folds_bytes = |n: usize| table.rows() * cols * 8 * n * 2;
    let all_folds_bytes = folds_bytes(on.len());
    let mut tasks = schedule::tasks(on, groups.len(), all_folds_bytes, budgeted);
    if let Some(each) = plan.each {
        // A staged group's members share their folds (the race keeps or prunes them together).
        tasks.retain(|&(f, g)| each[groups[g][0]].contains(&f));
    }
    if let Some(share) = plan.share {
        let cost = |&(_, g): &(usize, usize)| costs[groups[g][0]];
        let dealt = schedule::deal(&tasks, cost, share.count);
        tasks = tasks
            .into_iter()
            .zip(dealt)
            .filter(|&(_, s)| s == share.index)
            .map(|(t, _)| t)
            .collect();
    }
    // The spare tasks go after the others, longest candidates first: only where every fold's
    // matrices may be alive together (they are held until the end), and never under a time
    // budget (the time is the budget's).
    let main = tasks.len();
    if let Some(spare) = plan.spare {
        if !budgeted && schedule::candidate_major(folds_bytes(folds.len()), false) {
            tasks.extend(
                groups
                    .iter()
                    .enumerate()
                    .flat_map(|(g, group)| spare[group[0]].iter().map(move |&f| (f, g))),
            );
        }
    }
    // A fold's matrices are freed after its last task: count the tasks left on it (a race's
    // round or a shard runs some groups on some folds only).
    let mut fold_tasks = vec![0; folds.len()];
    for &(f, _) in &tasks {
        fold_tasks[f] += 1;
    }
    let shared: Vec<fold_cache::SharedFold> = fold_tasks
        .into_iter()
        .map(fold_cache::SharedFold::new)
        .collect();
    let done = AtomicUsize::new(0);
    let total = main;
    // Groups with a timed-out fold: their other folds are not run.
    let timed_out: Vec<AtomicBool> = groups.iter().map(|_| AtomicBool::new(false)).collect();
    // Workers take the tasks in order from a shared queue.
    let next = AtomicUsize::new(0);
    let results: Vec<OnceLock<Result<Vec<FoldScore>, TaskError>>> =
        tasks.iter().map(|_| OnceLock::new()).collect();
    // Baselines are exempt from the time budget: however small, they are ranked.
    let unbudgeted = Control {
        deadline: None,
        ..control.clone()
    };
    let round = control.timings.as_ref().map(|t| t.next_round());
    let workers = rayon::current_num_threads().max(1);
    let pool = isolate::FitPool::new(workers);
    let worker = |w: usize| loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(&(f, g)) = tasks.get(i) else { break };
        // A spare task only while some other task runs: this worker would idle.
        if i >= main && done.load(Ordering::Acquire) >= main {
            break;
        }
        let started = control.timings.as_ref().map(|t| t.now());
        let members: Vec<&Candidate> = groups[g].iter().map(|&c| &candidates[c]).collect();
        let scaled = members[0].algorithm.needs_scaling();
        let control = match members[0].algorithm.is_baseline() {
            true => &unbudgeted,
            false => control,
        };
        let result = if control.stopped() {
            Err(TaskError::Interrupted)
        } else if control.over_budget() {
            Err(TaskError::OverBudget)
        } else if timed_out[g].load(Ordering::Relaxed) {
            Err(TaskError::TimedOut(
                "not run: another fold ran over the time limit".into(),
            ))
        } else {
            let data = shared[f].get(scaled, table, &folds[f], encoding);
            let task = score::FoldTask {
                members,
                table,
                fold: &folds[f],
                seed: schedule::fold_seed(seed, f),
                index: f,
            };
            task.run(data, control, (&pool, w))
        };
        if matches!(result, Err(TaskError::TimedOut(_))) {
            timed_out[g].store(true, Ordering::Relaxed);
        }
        if let (Some(timings), Some(start), Some(round)) = (&control.timings, started, round) {
            timings.record(Timing {
                phase: "sweep".into(),
                round,
                queue: i,
                worker: w,
                fold: Some(f),
                work: groups[g]
                    .iter()
                    .map(|&c| candidates[c].label())
                    .collect::<Vec<_>>()
                    .join("+"),
                estimated_cost: costs[groups[g][0]],
                start,
                seconds: timings.now() - start,
                cpu_seconds: 0.0,
            });
        }
        shared[f].done();
        let _ = results[i].set(result);
        if i < main {
            progress(Progress {
                done: done.fetch_add(1, Ordering::AcqRel) + 1,
                total,
            });
        }
    };
    // The workers only wait on the fits (see `isolate`): plain threads, as many as rayon's
    // (RAYON_NUM_THREADS, else the cores), and as many as the fits' threads.
    std::thread::scope(|scope| {
        for w in 0..workers {
            let worker = &worker;
            scope.spawn(move || worker(w));
        }
    });
    let mut out = Vec::new();
    let mut spared = Vec::new();
    for (i, (&(f, g), result)) in tasks.iter().zip(results).enumerate() {
        let result = match (result.into_inner(), i < main) {
            (Some(result), _) => result,
            (None, true) => Err(TaskError::Failed("the task did not run".into())),
            (None, false) => continue,
        };
        let to = if i < main { &mut out } else { &mut spared };
        match result {
            Ok(scores) => {
                for (&c, score) in groups[g].iter().zip(scores) {
                    to.push((c, f, Ok(score)));
                }
            }
            Err(e) => {
                for &c in &groups[g] {
                    to.push((c, f, Err(e.clone())));
                }
            }
        }
    }
    // Candidate after candidate, each in the order of `on`.
    let position = |f: usize| on.iter().position(|&o| o == f).unwrap_or(usize::MAX);
    out.sort_by_key(|&(c, f, _)| (c, position(f)));
    (out, spared)
}

/// A candidate's outcome from its folds' results (folds `on`): a failure names its fold and
/// wins over a time-out, which wins over an interruption, which wins over the budget.
fn outcome(on: &[usize], fold_results: Vec<Result<FoldScore, TaskError>>) -> Outcome {
    let mut scores = Vec::new();
    let (mut timed_out, mut interrupted, mut over_budget) = (None, false, false);
    for (&f, result) in on.iter().zip(fold_results) {
        match result {
            Ok(score) => scores.push(score),
            Err(TaskError::Failed(e)) => return Outcome::Failed(format!("fold {}: {e}", f + 1)),
            Err(TaskError::TimedOut(e)) => {
                timed_out.get_or_insert(format!("fold {}: {e}", f + 1));
            }
            Err(TaskError::Interrupted) => interrupted = true,
            Err(TaskError::OverBudget) => over_budget = true,
        }
    }
    match (timed_out, interrupted, over_budget) {
        (Some(e), _, _) => Outcome::TimedOut(e),
        (None, true, _) => Outcome::Interrupted,
        (None, false, true) => Outcome::OverBudget,
        (None, false, false) => Outcome::Scored(scores),
    }
}

#[cfg(test)]
mod tests;
