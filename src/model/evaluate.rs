//! A model scored on rows whose target is known: validation data, or new rows that came with
//! their outcome (every metric of its task, on the rows with a usable target).

use polars::prelude::*;

use super::{Model, Predictions};
use crate::error::{Error, Result};
use crate::io::column::{convert, Values};
use crate::io::names::{column_names, missing_column};
use crate::metrics::Metric;
use crate::profile::labels;

/// A model's scores on rows with a known target.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Rows scored, and rows left out (no target, or a class the model does not know).
    pub rows: usize,
    pub left_out: usize,
    /// Every metric of the task, in its leaderboard order (NaN where undefined).
    pub scores: Vec<(Metric, f64)>,
}

impl Evaluation {
    pub fn score(&self, metric: Metric) -> Option<f64> {
        self.scores
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|&(_, v)| v)
    }
}

impl Model {
    /// Predicts `frame` and scores the predictions against its target column.
    pub fn evaluate(&self, frame: &DataFrame) -> Result<Evaluation> {
        let target = frame.column(&self.target).map_err(|_| {
            missing_column(
                &column_names(frame),
                &self.target,
                "target column",
                "is not in the data; scoring the model needs it",
            )
        })?;
        let predictions = self.predict(frame)?;
        self.score_predictions(target.as_materialized_series(), &predictions)
    }

    /// Scores `predictions` against the true values in `target` (the rows in order).
    pub fn score_predictions(
        &self,
        target: &Series,
        predictions: &Predictions,
    ) -> Result<Evaluation> {
        let name = target.name().to_string();
        let values =
            convert(target).map_err(|e| Error::Internal(format!("reading '{name}': {e}")))?;
        let truth: Vec<Option<f64>> = match (self.classes.is_empty(), &values) {
            (true, Values::Numeric(v)) => v.iter().map(|&y| (!y.is_nan()).then_some(y)).collect(),
            (true, _) => {
                return Err(Error::NonNumericTarget {
                    column: name,
                    detail: "the data's values are text".into(),
                })
            }
            (false, _) => labels(&values, target.dtype() == &DataType::Boolean)
                .iter()
                .map(|l| {
                    let class = l
                        .as_ref()
                        .and_then(|l| self.classes.iter().position(|c| c == l));
                    class.map(|i| i as f64)
                })
                .collect(),
        };
        let rows: Vec<usize> = (0..truth.len()).filter(|&r| truth[r].is_some()).collect();
        if rows.is_empty() {
            return Err(Error::NotEnoughData(format!(
                "no row has a usable value of the target '{name}' to score the model on"
            )));
        }
        let actual: Vec<f64> = rows.iter().filter_map(|&r| truth[r]).collect();
        let task = self.task();
        let scores = task
            .metrics()
            .iter()
            .map(|&metric| {
                let score = match &predictions.proba {
                    Some(p) if !self.classes.is_empty() => {
                        let proba = p.select(ndarray::Axis(0), &rows);
                        let classes: Vec<usize> = actual.iter().map(|&c| c as usize).collect();
                        metric.classify(&classes, proba.view())
                    }
                    _ => {
                        let predicted: Vec<f64> =
                            rows.iter().map(|&r| predictions.values[r]).collect();
                        metric.score(&actual, &predicted)
                    }
                };
                (metric, score)
            })
            .collect();
        Ok(Evaluation {
            rows: rows.len(),
            left_out: truth.len() - rows.len(),
            scores,
        })
    }
}
