//! Regression and classification metrics, defined as scikit-learn and sktime define them (see
//! `../shared/reference/README.md`).

use std::fmt;
use std::str::FromStr;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::profile::Task;

/// A score of predictions against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    Rmse,
    Mae,
    Mape,
    Smape,
    R2,
    Mse,
    Rmsle,
    Accuracy,
    Auc,
    Recall,
    Precision,
    F1,
    Kappa,
    Mcc,
    #[serde(rename = "logloss")]
    LogLoss,
}

impl Metric {
    /// Regression metrics, in leaderboard column order.
    pub const REGRESSION: [Metric; 7] = [
        Metric::Rmse,
        Metric::Mae,
        Metric::Mape,
        Metric::Smape,
        Metric::R2,
        Metric::Mse,
        Metric::Rmsle,
    ];
    /// Classification metrics, in leaderboard column order (PyCaret's).
    pub const CLASSIFICATION: [Metric; 8] = [
        Metric::Accuracy,
        Metric::Auc,
        Metric::Recall,
        Metric::Precision,
        Metric::F1,
        Metric::Kappa,
        Metric::Mcc,
        Metric::LogLoss,
    ];
    /// Every metric.
    pub const ALL: [Metric; 15] = [
        Metric::Rmse,
        Metric::Mae,
        Metric::Mape,
        Metric::Smape,
        Metric::R2,
        Metric::Mse,
        Metric::Rmsle,
        Metric::Accuracy,
        Metric::Auc,
        Metric::Recall,
        Metric::Precision,
        Metric::F1,
        Metric::Kappa,
        Metric::Mcc,
        Metric::LogLoss,
    ];

    /// The task the metric scores.
    pub fn task(self) -> Task {
        if Metric::REGRESSION.contains(&self) {
            Task::Regression
        } else {
            Task::Classification
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::Mape => "mape",
            Metric::Smape => "smape",
            Metric::R2 => "r2",
            Metric::Mse => "mse",
            Metric::Rmsle => "rmsle",
            Metric::Accuracy => "accuracy",
            Metric::Auc => "auc",
            Metric::Recall => "recall",
            Metric::Precision => "precision",
            Metric::F1 => "f1",
            Metric::Kappa => "kappa",
            Metric::Mcc => "mcc",
            Metric::LogLoss => "logloss",
        }
    }

    pub fn higher_is_better(self) -> bool {
        !matches!(
            self,
            Metric::Rmse
                | Metric::Mae
                | Metric::Mape
                | Metric::Smape
                | Metric::Mse
                | Metric::Rmsle
                | Metric::LogLoss
        )
    }

    /// The score of regression predictions `pred` against `truth` (equal, non-zero lengths).
    /// NaN where undefined: RMSLE when a value is -1 or less, R2 when the truth is constant,
    /// and for a classification metric.
    pub fn score(self, truth: &[f64], pred: &[f64]) -> f64 {
        debug_assert_eq!(truth.len(), pred.len());
        let pairs = truth.iter().zip(pred);
        match self {
            Metric::Mse => mean(pairs.map(|(y, p)| (y - p).powi(2))),
            Metric::Rmse => Metric::Mse.score(truth, pred).sqrt(),
            Metric::Mae => mean(pairs.map(|(y, p)| (y - p).abs())),
            Metric::Mape => mean(pairs.map(|(y, p)| (y - p).abs() / y.abs().max(f64::EPSILON))),
            Metric::Smape => mean(pairs.map(|(y, p)| {
                let denominator = y.abs() + p.abs();
                if denominator == 0.0 {
                    0.0
                } else {
                    2.0 * (y - p).abs() / denominator
                }
            })),
            Metric::R2 => {
                let m = mean(truth.iter().copied());
                let ss_tot: f64 = truth.iter().map(|y| (y - m).powi(2)).sum();
                let ss_res: f64 = pairs.map(|(y, p)| (y - p).powi(2)).sum();
                if ss_tot == 0.0 {
                    f64::NAN
                } else {
                    1.0 - ss_res / ss_tot
                }
            }
            Metric::Rmsle => {
                if truth.iter().chain(pred).any(|&v| v <= -1.0) {
                    return f64::NAN;
                }
                mean(pairs.map(|(y, p)| (y.ln_1p() - p.ln_1p()).powi(2))).sqrt()
            }
            _ => f64::NAN,
        }
    }

    /// The score of class probabilities `proba` (rows x classes) against the true class
    /// indices `truth`. The predicted class is the most probable one (the first on a tie).
    /// Recall, precision and F1 are of class 1 with two classes and support-weighted averages
    /// over classes with more; AUC is one-vs-rest, support-weighted, with more than two
    /// (PyCaret's choice). NaN where undefined (AUC with a single class present), and for a
    /// regression metric.
    pub fn classify(self, truth: &[usize], proba: ArrayView2<f64>) -> f64 {
        Confusion::new(truth, proba).score(self, truth, proba)
    }
}

/// The confusion matrix of most-probable-class predictions: `counts[true][predicted]`.
struct Confusion {
    counts: Vec<Vec<f64>>,
}

impl Confusion {
    fn new(truth: &[usize], proba: ArrayView2<f64>) -> Confusion {
        let k = proba.ncols();
        let mut counts = vec![vec![0.0; k]; k];
        for (&t, row) in truth.iter().zip(proba.rows()) {
            counts[t][argmax(row.iter().copied())] += 1.0;
        }
        Confusion { counts }
    }

    fn total(&self) -> f64 {
        self.counts.iter().flatten().sum()
    }
    fn support(&self, class: usize) -> f64 {
        self.counts[class].iter().sum()
    }
    fn predicted(&self, class: usize) -> f64 {
        self.counts.iter().map(|row| row[class]).sum()
    }
    fn correct(&self) -> f64 {
        (0..self.counts.len()).map(|c| self.counts[c][c]).sum()
    }

    /// Per-class (recall, precision, F1), 0 where a denominator is 0 (scikit-learn's default).
    fn per_class(&self, class: usize) -> (f64, f64, f64) {
        let hit = self.counts[class][class];
        let ratio = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
        let recall = ratio(hit, self.support(class));
        let precision = ratio(hit, self.predicted(class));
        (
            recall,
            precision,
            ratio(2.0 * precision * recall, precision + recall),
        )
    }

    /// Class 1's value with two classes, the support-weighted mean over classes otherwise.
    fn averaged(&self, pick: impl Fn((f64, f64, f64)) -> f64) -> f64 {
        let k = self.counts.len();
        if k == 2 {
            return pick(self.per_class(1));
        }
        (0..k)
            .map(|c| pick(self.per_class(c)) * self.support(c))
            .sum::<f64>()
            / self.total()
    }

    fn score(&self, metric: Metric, truth: &[usize], proba: ArrayView2<f64>) -> f64 {
        let k = self.counts.len();
        let n = self.total();
        match metric {
            Metric::Accuracy => self.correct() / n,
            Metric::Recall => self.averaged(|(r, _, _)| r),
            Metric::Precision => self.averaged(|(_, p, _)| p),
            Metric::F1 => self.averaged(|(_, _, f)| f),
            Metric::Kappa => {
                let observed = self.correct() / n;
                let expected: f64 = (0..k)
                    .map(|c| self.support(c) * self.predicted(c))
                    .sum::<f64>()
                    / (n * n);
                if expected == 1.0 {
                    f64::NAN
                } else {
                    (observed - expected) / (1.0 - expected)
                }
            }
            Metric::Mcc => {
                // scikit-learn's multiclass form (Gorodkin's R_K); 0 when undefined.
                let (c, s) = (self.correct(), n);
                let (mut tp, mut tt, mut pp) = (0.0, 0.0, 0.0);
                for class in 0..k {
                    let (t, p) = (self.support(class), self.predicted(class));
                    tp += t * p;
                    tt += t * t;
                    pp += p * p;
                }
                let denominator = ((s * s - pp) * (s * s - tt)).sqrt();
                if denominator == 0.0 {
                    0.0
                } else {
                    (c * s - tp) / denominator
                }
            }
            Metric::LogLoss => {
                let eps = f64::EPSILON;
                mean(truth.iter().zip(proba.rows()).map(|(&t, row)| {
                    let sum: f64 = row.iter().sum();
                    -(row[t] / sum).clamp(eps, 1.0 - eps).ln()
                }))
            }
            Metric::Auc if k == 2 => auc(truth.iter().map(|&t| t == 1), proba.column(1).iter()),
            Metric::Auc => {
                (0..k)
                    .map(|c| {
                        auc(truth.iter().map(|&t| t == c), proba.column(c).iter()) * self.support(c)
                    })
                    .sum::<f64>()
                    / n
            }
            _ => f64::NAN,
        }
    }
}

/// Each row's most probable class index (the first on a tie), as `f64`.
pub fn most_probable(proba: ArrayView2<f64>) -> Vec<f64> {
    proba
        .rows()
        .into_iter()
        .map(|row| argmax(row.iter().copied()) as f64)
        .collect()
}

/// The index of the largest value, the first on a tie.
pub fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// Area under the ROC curve of `scores` for the `positive` rows: the probability that a random
/// positive scores above a random negative, ties counting half (Mann-Whitney). NaN when one
/// side is empty.
fn auc<'a>(positive: impl Iterator<Item = bool>, scores: impl Iterator<Item = &'a f64>) -> f64 {
    let mut pairs: Vec<(f64, bool)> = scores.copied().zip(positive).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut positives) = (0.0, 0.0);
    let mut start = 0;
    while start < pairs.len() {
        let mut end = start + 1;
        while end < pairs.len() && pairs[end].0 == pairs[start].0 {
            end += 1;
        }
        let average_rank = (start + end + 1) as f64 / 2.0;
        for pair in &pairs[start..end] {
            if pair.1 {
                rank_sum += average_rank;
                positives += 1.0;
            }
        }
        start = end;
    }
    let negatives = pairs.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return f64::NAN;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / n as f64
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Metric {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                format!("unknown metric '{s}'; choose one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const REFERENCE: &str = include_str!("../tests/data/regression_metrics.json");

    fn floats(v: &Value) -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }

    #[test]
    fn metrics_match_scikit_learn_and_sktime() {
        let cases: Value = serde_json::from_str(REFERENCE).unwrap();
        let mut checked = 0;
        for (name, case) in cases.as_object().unwrap() {
            if name.starts_with('_') {
                continue;
            }
            let (truth, pred) = (floats(&case["y_true"]), floats(&case["y_pred"]));
            for metric in Metric::REGRESSION {
                let expected = case[metric.name()].as_f64().unwrap();
                // rmsle is referenced on |y|, |p| (see the reference README).
                let got = if metric == Metric::Rmsle {
                    let abs = |v: &[f64]| v.iter().map(|x| x.abs()).collect::<Vec<_>>();
                    metric.score(&abs(&truth), &abs(&pred))
                } else {
                    metric.score(&truth, &pred)
                };
                let tolerance = 1e-9 * expected.abs().max(1.0);
                assert!(
                    (got - expected).abs() <= tolerance,
                    "{name}/{metric}: got {got}, expected {expected}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 21);
    }

    #[test]
    fn undefined_scores_are_nan() {
        assert!(Metric::Rmsle.score(&[-2.0, 1.0], &[0.0, 1.0]).is_nan());
        assert!(Metric::R2.score(&[3.0, 3.0], &[1.0, 2.0]).is_nan());
        assert_eq!(Metric::Smape.score(&[0.0], &[0.0]), 0.0);
    }

    #[test]
    fn classification_metrics_match_scikit_learn() {
        let case: Value =
            serde_json::from_str(include_str!("../tests/data/classification_metrics.json"))
                .unwrap();
        let truth: Vec<usize> = floats(&case["y_true"])
            .iter()
            .map(|&v| v as usize)
            .collect();
        let p1 = floats(&case["proba_positive"]);
        let proba =
            ndarray::Array2::from_shape_fn(
                (p1.len(), 2),
                |(r, c)| {
                    if c == 1 {
                        p1[r]
                    } else {
                        1.0 - p1[r]
                    }
                },
            );
        for metric in Metric::CLASSIFICATION {
            let key = if metric == Metric::LogLoss {
                "log_loss"
            } else {
                metric.name()
            };
            let expected = case[key].as_f64().unwrap();
            let got = metric.classify(&truth, proba.view());
            assert!(
                (got - expected).abs() <= 1e-9,
                "{metric}: got {got}, expected {expected}"
            );
        }
    }

    /// Figures from scikit-learn 1.4 on a three-class case: accuracy_score, f1_score(average=
    /// "weighted"), cohen_kappa_score, matthews_corrcoef, roc_auc_score(multi_class="ovr",
    /// average="weighted"), log_loss.
    #[test]
    fn multiclass_metrics_are_weighted_one_vs_rest() {
        let truth = [0, 0, 1, 1, 2, 2, 2];
        let proba = ndarray::arr2(&[
            [0.7, 0.2, 0.1],
            [0.3, 0.4, 0.3],
            [0.2, 0.6, 0.2],
            [0.1, 0.8, 0.1],
            [0.1, 0.1, 0.8],
            [0.5, 0.2, 0.3],
            [0.2, 0.3, 0.5],
        ]);
        let expected = [
            (Metric::Accuracy, 0.7142857142857143),
            (Metric::Auc, 0.9535714285714285),
            (Metric::Recall, 0.7142857142857143),
            (Metric::Precision, 0.7619047619047619),
            (Metric::F1, 0.7142857142857143),
            (Metric::Kappa, 0.5757575757575757),
            (Metric::Mcc, 0.59375),
            (Metric::LogLoss, 0.6306972085064227),
        ];
        for (metric, want) in expected {
            let got = metric.classify(&truth, proba.view());
            assert!(
                (got - want).abs() <= 1e-12,
                "{metric}: got {got}, expected {want}"
            );
        }
    }

    #[test]
    fn auc_counts_ties_as_half_and_is_nan_for_one_class() {
        let scores = [0.1, 0.4, 0.4, 0.8];
        let positive = [false, false, true, true];
        assert_eq!(auc(positive.into_iter(), scores.iter()), 0.875);
        assert!(auc([true, true].into_iter(), [0.1, 0.2].iter()).is_nan());
    }

    #[test]
    fn parses_names() {
        assert_eq!("RMSE".parse::<Metric>(), Ok(Metric::Rmse));
        assert_eq!("LogLoss".parse::<Metric>(), Ok(Metric::LogLoss));
        assert_eq!(Metric::Auc.task(), Task::Classification);
        assert!("roc".parse::<Metric>().is_err());
    }
}
