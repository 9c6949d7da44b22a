//! The ranked leaderboard: per-candidate means and standard deviations across folds, ranked by
//! one metric, with candidates the search pruned, failed and skipped candidates last; and every
//! scored candidate's out-of-fold predictions, which the ensembles are built from.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::algorithms::{format_params, format_setting, Params};
use crate::folds::Fold;
use crate::metrics::{argmax, Metric};
use crate::profile::Profile;
use crate::stats;
use crate::sweep::{Candidate, FoldScore, Outcome};
use crate::task::Task;

mod display;

pub use display::{mape_note, optimism, write_csv};

/// Rows of the out-of-fold predictions shown in the report's charts (a seeded sample of larger
/// tables).
pub const CHART_ROWS: usize = 2_000;

/// Mean and standard deviation of one metric across folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    #[serde(deserialize_with = "nan_from_null")]
    pub mean: f64,
    /// Population standard deviation across folds (as numpy's default and PyCaret report).
    #[serde(deserialize_with = "nan_from_null")]
    pub std: f64,
}

/// Reads back a float that JSON wrote as `null` because it was NaN.
fn nan_from_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// Whether a candidate was scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
    /// A fold ran over the time limit (`Compare::max_fit_seconds`).
    Timeout,
    Skipped,
    /// Not finished when the sweep was stopped (Ctrl-C).
    Interrupted,
    /// Stopped early by the search: scored on some folds only (those are its scores), not
    /// promising enough to be scored on the rest. Not ranked with the others.
    Pruned,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Timeout => "timeout",
            Status::Skipped => "skipped",
            Status::Interrupted => "interrupted",
            Status::Pruned => "pruned",
        })
    }
}

/// One row of the leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// 1-based rank.
    pub rank: usize,
    /// Algorithm id (`rf`, `ridge`, ...).
    pub model: String,
    pub name: String,
    pub backend: String,
    pub params: Params,
    pub status: Status,
    /// Why the candidate failed or was skipped.
    pub error: Option<String>,
    /// Per metric of the task, in [`Task::metrics`] order; empty unless `status` is `Ok`.
    pub metrics: Vec<(Metric, Stat)>,
    /// Mean seconds to fit and predict one fold.
    pub fit_seconds: f64,
    /// Per-fold scores, in fold order.
    #[serde(skip)]
    pub folds: Vec<FoldScore>,
    /// Out-of-fold predictions of every row, as `f32`, row after row: one value per row, or
    /// (classification) each class's probability. Kept for the candidates an ensemble may use
    /// and the winner; empty for the others.
    #[serde(skip)]
    pub out_of_fold: Vec<f32>,
    /// An ensemble's members and weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blend: Option<Blend>,
}

/// An ensemble of leaderboard candidates: its prediction is the intercept plus the weighted sum
/// of its members' predictions (classification: of their class probabilities).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blend {
    pub members: Vec<Member>,
    pub intercept: f64,
    /// The ranking metric's cross-validation mean when the weights are chosen on every fold's
    /// out-of-fold predictions, the folds they are then scored on: how flattering that
    /// estimate is next to the honest one in the entry's metrics.
    pub in_sample: f64,
}

/// One member of an ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Algorithm id and setting of a candidate.
    pub model: String,
    pub params: Params,
    pub weight: f64,
}

impl Blend {
    /// `gbm(max_depth=3 ...)*0.45 + rf(...)*0.30`, the form shown in tables.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .members
            .iter()
            .map(|m| format!("{:.3}*{}", m.weight, format_setting(&m.model, &m.params)))
            .collect();
        if self.intercept != 0.0 {
            parts.push(format!("{:.4}", self.intercept));
        }
        parts.join(" + ")
    }
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

impl Entry {
    /// The setting as tables show it: the hyperparameters, or an ensemble's weighted members.
    pub fn setting(&self) -> String {
        match &self.blend {
            Some(blend) => blend.describe(),
            None => format_params(&self.params),
        }
    }

    pub fn metric(&self, metric: Metric) -> Option<Stat> {
        self.metrics
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|(_, s)| *s)
    }
}

/// Settings a leaderboard was produced with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub folds: usize,
    pub shuffle: bool,
    pub seed: u64,
    pub sort: Metric,
    pub export_top: usize,
    /// The wall-time budget in seconds, if one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_seconds: Option<f64>,
    /// The work budget of the search in fold fits, if one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trials: Option<usize>,
    /// Whether the grid raced (settings pruned after the first fold; see
    /// [`crate::Compare::race`]); false in runs from before the race.
    #[serde(default)]
    pub race: bool,
}

/// The ranking of a compare: the data profile, the settings, and the ranked candidates.
#[derive(Debug, Serialize)]
pub struct Leaderboard {
    pub profile: Profile,
    pub settings: Settings,
    pub entries: Vec<Entry>,
    /// The search's progress: the best cross-validated score after each round.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TracePoint>,
    /// The target of every row (classification: the class index), for out-of-fold charts.
    #[serde(skip)]
    pub actual: Vec<f64>,
}

/// The best score of the ranking metric among candidates scored on every fold, after some work.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TracePoint {
    /// Work units (fold fits) spent, the default grid's included.
    pub units: usize,
    /// Seconds since the sweep started.
    pub seconds: f64,
    /// Candidates tried (pruned ones included).
    pub candidates: usize,
    pub best: f64,
}

impl Leaderboard {
    /// The out-of-fold predictions of `entry` for the report's charts: every row of a small
    /// table, a seeded sample of [`CHART_ROWS`] of a large one; empty when they were not kept.
    pub fn chart_rows(&self, entry: &Entry) -> Vec<OutOfFold> {
        let rows = self.actual.len();
        if rows == 0
            || !entry.out_of_fold.len().is_multiple_of(rows)
            || entry.out_of_fold.is_empty()
        {
            return Vec::new();
        }
        let width = entry.out_of_fold.len() / rows;
        let classification = self.profile.target.task == Task::Classification;
        sample_rows(rows, self.settings.seed)
            .into_iter()
            .map(|row| {
                let values = &entry.out_of_fold[row * width..(row + 1) * width];
                let proba: Vec<f64> = values.iter().map(|&p| f64::from(p)).collect();
                OutOfFold {
                    row,
                    actual: self.actual[row],
                    predicted: if classification {
                        argmax(proba.iter().copied()) as f64
                    } else {
                        proba[0]
                    },
                    proba: if classification { proba } else { Vec::new() },
                }
            })
            .collect()
    }

    /// The best scored candidate, if any candidate scored.
    pub fn best(&self) -> Option<&Entry> {
        self.entries.first().filter(|e| e.status == Status::Ok)
    }

    /// Whether the sweep was stopped before every candidate finished.
    pub fn partial(&self) -> bool {
        self.entries.iter().any(|e| e.status == Status::Interrupted)
    }
}

/// The rows shown in charts, in order: all rows of a small table, a seeded sample of a large one.
fn sample_rows(rows: usize, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    if rows <= CHART_ROWS {
        return (0..rows).collect();
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut sample = rand::seq::index::sample(&mut rng, rows, CHART_ROWS).into_vec();
    sample.sort_unstable();
    sample
}

/// Summarises each candidate's outcome (in candidate order) as an unranked entry: metrics of
/// `task` across its folds, and, when it was scored on every one of `folds`, the out-of-fold
/// predictions of all `rows`.
pub fn entries(
    candidates: Vec<Candidate>,
    outcomes: Vec<Outcome>,
    task: Task,
    folds: &[Fold],
    rows: usize,
) -> Vec<Entry> {
    candidates
        .into_iter()
        .zip(outcomes)
        .map(|(candidate, outcome)| {
            let (status, error, mut scores) = match outcome {
                Outcome::Scored(scores) => (Status::Ok, None, scores),
                Outcome::Pruned(scores, why) => (Status::Pruned, Some(why), scores),
                Outcome::Failed(e) => (Status::Failed, Some(e), Vec::new()),
                Outcome::TimedOut(e) => (Status::Timeout, Some(e), Vec::new()),
                Outcome::Skipped(e) => (Status::Skipped, Some(e), Vec::new()),
                Outcome::Interrupted => (
                    Status::Interrupted,
                    Some("not finished when the sweep was stopped".into()),
                    Vec::new(),
                ),
                Outcome::OverBudget => (
                    Status::Skipped,
                    Some("not finished within the time budget (`budget`)".into()),
                    Vec::new(),
                ),
            };
            let out_of_fold = if status == Status::Ok && scores.len() == folds.len() {
                take_out_of_fold(&mut scores, folds, rows)
            } else {
                Vec::new()
            };
            let fit_seconds = stat(scores.iter().map(|f| f.fit_seconds)).mean;
            Entry {
                rank: 0,
                model: candidate.algorithm.id().to_string(),
                name: candidate.algorithm.name().to_string(),
                backend: candidate.algorithm.backend().to_string(),
                params: candidate.params,
                status,
                error,
                metrics: metrics(task, &scores),
                fit_seconds: if fit_seconds.is_nan() {
                    0.0
                } else {
                    fit_seconds
                },
                folds: scores,
                out_of_fold,
                blend: None,
            }
        })
        .collect()
}

/// Each metric of `task`: mean and standard deviation across `folds` (none when empty).
pub fn metrics(task: Task, folds: &[FoldScore]) -> Vec<(Metric, Stat)> {
    if folds.is_empty() {
        return Vec::new();
    }
    task.metrics()
        .iter()
        .enumerate()
        .map(|(i, &m)| (m, stat(folds.iter().map(|f| f.scores[i]))))
        .collect()
}

/// The folds' predictions, taken out of them, laid out in row order.
pub fn take_out_of_fold(scores: &mut [FoldScore], folds: &[Fold], rows: usize) -> Vec<f32> {
    let width = scores
        .iter()
        .zip(folds)
        .find(|(_, f)| !f.valid.is_empty())
        .map_or(1, |(s, f)| s.predictions.len() / f.valid.len());
    let mut all = vec![f32::NAN; rows * width];
    for score in scores.iter_mut() {
        let predictions = std::mem::take(&mut score.predictions);
        for (i, &row) in folds[score.fold].valid.iter().enumerate() {
            all[row * width..(row + 1) * width]
                .copy_from_slice(&predictions[i * width..(i + 1) * width]);
        }
    }
    all
}

/// Ranks `entries` by `sort`, keeping their order among equals.
pub fn rank(mut entries: Vec<Entry>, sort: Metric) -> Vec<Entry> {
    // A stable sort keeps candidate order among equal keys.
    entries.sort_by(|a, b| sort_key(a, sort).cmp_key(&sort_key(b, sort)));
    for (i, e) in entries.iter_mut().enumerate() {
        e.rank = i + 1;
    }
    entries
}

/// Ordering key: scored rows first, by the metric (best first, NaN last), then pruned rows by
/// their partial score, then failed, timed out, skipped and interrupted rows.
struct Key {
    group: u8,
    value: f64,
}

impl Key {
    fn cmp_key(&self, other: &Key) -> Ordering {
        self.group
            .cmp(&other.group)
            .then_with(|| self.value.total_cmp(&other.value))
    }
}

fn sort_key(entry: &Entry, sort: Metric) -> Key {
    let value = entry.metric(sort).map(|s| s.mean);
    if entry.status == Status::Pruned {
        return Key {
            group: 2,
            value: value
                .filter(|v| !v.is_nan())
                .map_or(f64::INFINITY, |v| sort.loss(v)),
        };
    }
    match value {
        Some(v) if !v.is_nan() => Key {
            group: 0,
            value: sort.loss(v),
        },
        Some(_) => Key {
            group: 1,
            value: 0.0,
        },
        None => Key {
            group: match entry.status {
                Status::Ok | Status::Failed | Status::Pruned => 3,
                Status::Timeout => 4,
                Status::Skipped => 5,
                Status::Interrupted => 6,
            },
            value: 0.0,
        },
    }
}

fn stat(values: impl Iterator<Item = f64>) -> Stat {
    let (mean, std) = stats::mean_std(&values.collect::<Vec<_>>());
    Stat { mean, std }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(rmse: f64, r2: f64) -> Outcome {
        let mut scores = vec![0.0; Metric::REGRESSION.len()];
        scores[0] = rmse;
        scores[4] = r2;
        Outcome::Scored(vec![FoldScore {
            fold: 0,
            scores,
            fit_seconds: 0.1,
            predictions: vec![0.0],
        }])
    }

    /// `n` candidates told apart by a hyperparameter `i`.
    fn candidates(n: i64) -> Vec<Candidate> {
        let algorithm: std::sync::Arc<dyn crate::algorithms::Algorithm> =
            crate::algorithms::registry().remove(0).into();
        let learner: std::sync::Arc<dyn crate::algorithms::Learner> =
            algorithm.configure(&Params::new()).unwrap().into();
        (0..n)
            .map(|i| Candidate {
                algorithm: algorithm.clone(),
                params: Params::from([("i".to_string(), crate::algorithms::Param::Int(i))]),
                learner: learner.clone(),
            })
            .collect()
    }

    fn order(entries: Vec<Entry>) -> Vec<String> {
        entries.iter().map(|e| format_params(&e.params)).collect()
    }

    #[test]
    fn failed_and_nan_rank_last_and_ties_keep_candidate_order() {
        let outcomes = vec![
            Outcome::Failed("boom".into()),
            scored(2.0, 0.5),
            scored(f64::NAN, f64::NAN),
            scored(1.0, 0.9),
            Outcome::Skipped("too big".into()),
            scored(2.0, 0.5),
        ];
        let folds = [Fold {
            train: Vec::new(),
            valid: vec![0],
        }];
        let rank = |candidates, outcomes, sort| {
            rank(
                entries(candidates, outcomes, Task::Regression, &folds, 1),
                sort,
            )
        };
        let expected = ["i=3", "i=1", "i=5", "i=2", "i=0", "i=4"];
        assert_eq!(
            order(rank(candidates(6), outcomes.clone(), Metric::Rmse)),
            expected
        );
        assert_eq!(order(rank(candidates(6), outcomes, Metric::R2)), expected);
    }

    #[test]
    fn mean_and_population_std_across_folds() {
        let s = stat([1.0, 3.0].into_iter());
        assert_eq!((s.mean, s.std), (2.0, 1.0));
    }
}
