//! The ranked leaderboard: per-candidate means and standard deviations across folds, ranked by
//! one metric, with failed and skipped candidates last.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::algorithms::{format_params, Params};
use crate::metrics::Metric;
use crate::profile::Profile;
use crate::stats;
use crate::sweep::{Candidate, FoldScore, OutOfFold, Outcome};
use crate::task::Task;

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
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Timeout => "timeout",
            Status::Skipped => "skipped",
            Status::Interrupted => "interrupted",
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
    /// Out-of-fold predictions of the sampled rows (see `Compare`), by row.
    #[serde(skip)]
    pub out_of_fold: Vec<OutOfFold>,
}

impl Entry {
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
}

/// The ranking of a compare: the data profile, the settings, and the ranked candidates.
#[derive(Debug, Serialize)]
pub struct Leaderboard {
    pub profile: Profile,
    pub settings: Settings,
    pub entries: Vec<Entry>,
}

impl Leaderboard {
    /// The best scored candidate, if any candidate scored.
    pub fn best(&self) -> Option<&Entry> {
        self.entries.first().filter(|e| e.status == Status::Ok)
    }

    /// Whether the sweep was stopped before every candidate finished.
    pub fn partial(&self) -> bool {
        self.entries.iter().any(|e| e.status == Status::Interrupted)
    }
}

/// Summarises each candidate's outcome (in candidate order) and ranks them by `sort`;
/// candidate order breaks ties. The fold scores are those of `sort`'s task.
pub fn rank(candidates: Vec<Candidate>, outcomes: Vec<Outcome>, sort: Metric) -> Vec<Entry> {
    let mut entries: Vec<Entry> = candidates
        .into_iter()
        .zip(outcomes)
        .map(
            |(
                Candidate {
                    algorithm, params, ..
                },
                outcome,
            )| {
                let (status, error, folds) = match outcome {
                    Outcome::Scored(folds) => (Status::Ok, None, folds),
                    Outcome::Failed(e) => (Status::Failed, Some(e), Vec::new()),
                    Outcome::TimedOut(e) => (Status::Timeout, Some(e), Vec::new()),
                    Outcome::Skipped(e) => (Status::Skipped, Some(e), Vec::new()),
                    Outcome::Interrupted => (
                        Status::Interrupted,
                        Some("not finished when the sweep was stopped".into()),
                        Vec::new(),
                    ),
                };
                let metrics = if folds.is_empty() {
                    Vec::new()
                } else {
                    sort.task()
                        .metrics()
                        .iter()
                        .enumerate()
                        .map(|(i, &m)| (m, stat(folds.iter().map(|f| f.scores[i]))))
                        .collect()
                };
                let fit_seconds = stat(folds.iter().map(|f| f.fit_seconds)).mean;
                Entry {
                    rank: 0,
                    model: algorithm.id().to_string(),
                    name: algorithm.name().to_string(),
                    backend: algorithm.backend().to_string(),
                    params,
                    status,
                    error,
                    metrics,
                    fit_seconds: if fit_seconds.is_nan() {
                        0.0
                    } else {
                        fit_seconds
                    },
                    out_of_fold: {
                        let mut kept: Vec<OutOfFold> =
                            folds.iter().flat_map(|f| f.kept.iter().cloned()).collect();
                        kept.sort_by_key(|k| k.row);
                        kept
                    },
                    folds,
                }
            },
        )
        .collect();
    // A stable sort keeps candidate order among equal keys.
    entries.sort_by(|a, b| sort_key(a, sort).cmp_key(&sort_key(b, sort)));
    for (i, e) in entries.iter_mut().enumerate() {
        e.rank = i + 1;
    }
    entries
}

/// Ordering key: scored rows first, by the metric (best first, NaN last), then failed, timed
/// out, skipped and interrupted rows.
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
    match entry.metric(sort).map(|s| s.mean) {
        Some(v) if !v.is_nan() => Key {
            group: 0,
            value: if sort.higher_is_better() { -v } else { v },
        },
        Some(_) => Key {
            group: 1,
            value: 0.0,
        },
        None => Key {
            group: match entry.status {
                Status::Ok | Status::Failed => 2,
                Status::Timeout => 3,
                Status::Skipped => 4,
                Status::Interrupted => 5,
            },
            value: 0.0,
        },
    }
}

fn stat(values: impl Iterator<Item = f64>) -> Stat {
    let (mean, std) = stats::mean_std(&values.collect::<Vec<_>>());
    Stat { mean, std }
}

/// Leaderboard CSV: one row per candidate, a mean and a std column per metric of `task`.
pub fn write_csv<W: std::io::Write>(entries: &[Entry], task: Task, out: W) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec![
        "rank", "model", "name", "backend", "params", "status", "error",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    for &m in task.metrics() {
        header.push(format!("{m}_mean"));
        header.push(format!("{m}_std"));
    }
    header.push("fit_seconds".into());
    w.write_record(&header)?;
    for e in entries {
        let mut row = vec![
            e.rank.to_string(),
            e.model.clone(),
            e.name.clone(),
            e.backend.clone(),
            format_params(&e.params),
            e.status.to_string(),
            e.error.clone().unwrap_or_default(),
        ];
        for &m in task.metrics() {
            match e.metric(m) {
                Some(s) => {
                    row.push(s.mean.to_string());
                    row.push(s.std.to_string());
                }
                None => row.extend([String::new(), String::new()]),
            }
        }
        row.push(format!("{:.4}", e.fit_seconds));
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

impl Leaderboard {
    /// A readable table of the top `n` entries, the sort metric first.
    pub fn table(&self, n: usize) -> String {
        let sort = self.settings.sort;
        let mut metrics = vec![sort];
        metrics.extend(
            sort.task()
                .metrics()
                .iter()
                .filter(|&&m| m != sort)
                .filter(|m| {
                    !matches!(
                        m,
                        Metric::Mse | Metric::Rmsle | Metric::Recall | Metric::Precision
                    )
                }),
        );
        let note = mape_note(&self.profile);
        let shown: Vec<&Entry> = self.entries.iter().take(n).collect();
        let params: Vec<String> = shown.iter().map(|e| format_params(&e.params)).collect();
        let pw = params
            .iter()
            .map(|p| p.len())
            .max()
            .unwrap_or(0)
            .clamp(6, 48);
        let mut out = format!("{:>4}  {:<6} {:<pw$}", "rank", "model", "params");
        for m in &metrics {
            let label = if *m == sort {
                format!("{}*", m.name().to_uppercase())
            } else {
                m.name().to_uppercase()
            };
            out += &format!(" {label:>18}");
        }
        out += "  fit s\n";
        for (e, p) in shown.iter().zip(&params) {
            let p: String = if p.len() > pw {
                format!("{}~", &p[..pw - 1])
            } else {
                p.clone()
            };
            out += &format!("{:>4}  {:<6} {p:<pw$}", e.rank, e.model);
            if e.status == Status::Ok {
                for m in &metrics {
                    let s = e.metric(*m).expect("scored entries have every metric");
                    let cell = if *m == Metric::Mape && note.is_some() {
                        "inf".to_string()
                    } else {
                        format!("{} ± {}", short(s.mean), short(s.std))
                    };
                    out += &format!(" {cell:>18}");
                }
                out += &format!("  {:>5.2}\n", e.fit_seconds);
            } else {
                out += &format!("  {}: {}\n", e.status, e.error.as_deref().unwrap_or(""));
            }
        }
        let hidden = self.entries.len().saturating_sub(n);
        if hidden > 0 {
            out += &format!("  ... {hidden} more in leaderboard.csv\n");
        }
        if let Some(note) = note {
            out += &format!("  note: {note}\n");
        }
        out
    }
}

/// Why MAPE is shown as infinite, when it is: the target has zeros, and scikit-learn's MAPE
/// (kept in the leaderboard CSV) divides their errors by machine epsilon.
pub fn mape_note(profile: &Profile) -> Option<String> {
    let zeros = profile.target.zeros;
    (zeros > 0 && profile.target.task == Task::Regression).then(|| {
        format!(
            "MAPE is undefined (shown as inf): {zeros} target value(s) are 0; the leaderboard \
             CSV keeps scikit-learn's figure, which divides their errors by machine epsilon"
        )
    })
}

fn short(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x != 0.0 && (x.abs() >= 1e5 || x.abs() < 1e-3) {
        format!("{x:.2e}")
    } else {
        format!("{:.4}", x)
            .chars()
            .take(7)
            .collect::<String>()
            .trim_end_matches('.')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(rmse: f64, r2: f64) -> Outcome {
        let mut scores = vec![0.0; Metric::REGRESSION.len()];
        scores[0] = rmse;
        scores[4] = r2;
        Outcome::Scored(vec![FoldScore {
            scores,
            fit_seconds: 0.1,
            kept: Vec::new(),
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
