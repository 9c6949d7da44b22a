//! Regression metrics, defined as scikit-learn and sktime define them (see
//! `../shared/reference/README.md`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
}

impl Metric {
    /// Every metric, in leaderboard column order.
    pub const ALL: [Metric; 7] = [
        Metric::Rmse,
        Metric::Mae,
        Metric::Mape,
        Metric::Smape,
        Metric::R2,
        Metric::Mse,
        Metric::Rmsle,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::Mape => "mape",
            Metric::Smape => "smape",
            Metric::R2 => "r2",
            Metric::Mse => "mse",
            Metric::Rmsle => "rmsle",
        }
    }

    pub fn higher_is_better(self) -> bool {
        self == Metric::R2
    }

    /// The score of `pred` against `truth` (equal, non-zero lengths). NaN where undefined:
    /// RMSLE when a value is -1 or less, R2 when the truth is constant.
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
        }
    }
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
            for metric in Metric::ALL {
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
    fn parses_names() {
        assert_eq!("RMSE".parse::<Metric>(), Ok(Metric::Rmse));
        assert!("auc".parse::<Metric>().is_err());
    }
}
