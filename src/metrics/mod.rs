//! Regression and classification metrics, defined as scikit-learn and sktime define them (see
//! `../shared/reference/README.md`).

use std::fmt;
use std::str::FromStr;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::stats::mean;
use crate::task::Task;

mod classification;

pub use classification::{argmax, most_probable, roc_curve, Confusion, RocCurve};

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

impl Task {
    /// The metrics scored for the task, in leaderboard column order.
    pub fn metrics(self) -> &'static [Metric] {
        match self {
            Task::Regression => &Metric::REGRESSION,
            Task::Classification => &Metric::CLASSIFICATION,
        }
    }

    /// The metric that ranks the leaderboard unless another is chosen.
    pub fn default_sort(self) -> Metric {
        match self {
            Task::Regression => Metric::Rmse,
            Task::Classification => Metric::Accuracy,
        }
    }
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

    /// A `value` of this metric as a loss: lower is better (a score that is better higher is
    /// negated), so that every ranking sorts one way.
    pub fn loss(self, value: f64) -> f64 {
        if self.higher_is_better() {
            -value
        } else {
            value
        }
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

    const REFERENCE: &str = include_str!("../../tests/data/regression_metrics.json");

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
            serde_json::from_str(include_str!("../../tests/data/classification_metrics.json"))
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
    fn parses_names() {
        assert_eq!("RMSE".parse::<Metric>(), Ok(Metric::Rmse));
        assert_eq!("LogLoss".parse::<Metric>(), Ok(Metric::LogLoss));
        assert_eq!(Metric::Auc.task(), Task::Classification);
        assert!("roc".parse::<Metric>().is_err());
    }
}
