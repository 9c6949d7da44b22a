//! `automl drift`: does new data still look like the data the model learnt from? Each input
//! column of the new rows is tested against the reference profile the model file carries, with
//! the test evidently chooses by default ([`stattest`]), beside the PSI, the change in missing
//! share and unseen levels; so are the model's predictions (against its out-of-fold ones) and,
//! when the new rows have it, the target, with the model's metrics on them against its CV
//! estimate. The dataset drifts when at least `drift_share` of the input columns do.

mod column;
mod html;
mod log;
pub mod stattest;

use polars::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::io::column::convert;
use crate::metrics::Metric;
use crate::model::Model;
use crate::profile::labels;
use crate::profile::reference::{ColumnReference, Reference, PREDICTION};
use crate::task::Task;

pub use column::{Chart, ColumnDrift};
pub use html::{number as html_number, render};
pub use log::{is_log, read_log};

/// File names in a drift run's output folder.
pub const DRIFT_JSON: &str = "drift.json";
pub const DRIFT_HTML: &str = "drift.html";

/// The default share of drifted input columns that makes the dataset drift (evidently's).
pub const DRIFT_SHARE: f64 = 0.5;

/// How drift is decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Share of drifted input columns at which the dataset drifts.
    pub drift_share: f64,
    /// One threshold for every column's test instead of each test's default.
    pub threshold: Option<f64>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            drift_share: DRIFT_SHARE,
            threshold: None,
        }
    }
}

/// Everything `automl drift` found.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub automl_version: String,
    pub model: ModelSummary,
    pub rows_reference: usize,
    pub rows_current: usize,
    pub drift_share: f64,
    pub dataset_drift: bool,
    pub drifted_columns: usize,
    pub columns_total: usize,
    /// The input columns, in the model's input order.
    pub columns: Vec<ColumnDrift>,
    /// The model's predictions on the new rows against its out-of-fold predictions.
    pub prediction: Option<ColumnDrift>,
    /// The new rows' target against the training target, when the new rows have it.
    pub target: Option<ColumnDrift>,
    /// The model's metrics on the new rows against its CV estimate, when they have the target.
    pub performance: Vec<MetricChange>,
    /// Unseen levels, imputed values, rows left out of the metrics.
    pub warnings: Vec<String>,
}

/// Which model the drift was measured for.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    pub algorithm: String,
    pub params: String,
    pub target: String,
    pub created: String,
    pub data_sha256: Option<String>,
}

/// A metric on the new rows beside its cross-validation estimate.
#[derive(Debug, Clone, Serialize)]
pub struct MetricChange {
    pub metric: Metric,
    pub current: f64,
    pub cv_mean: f64,
    pub cv_std: f64,
    /// Worse than the CV mean by more than twice the CV standard deviation across folds.
    pub worse: bool,
}

impl Drift {
    /// The exit code for pipelines: 3 when the dataset drifts, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.dataset_drift {
            3
        } else {
            0
        }
    }

    /// What a report lists, each with its label: the model's output, the target, then the
    /// input columns as [`Drift::ranked`] orders them.
    pub fn rows(&self) -> Vec<(String, &ColumnDrift)> {
        let mut rows = Vec::new();
        if let Some(p) = &self.prediction {
            rows.push((format!("{} (model output)", p.column), p));
        }
        if let Some(t) = &self.target {
            rows.push((format!("{} (target)", t.column), t));
        }
        rows.extend(self.ranked().into_iter().map(|c| (c.column.clone(), c)));
        rows
    }

    /// The columns, drifted ones first (most significant first), then the others by name.
    pub fn ranked(&self) -> Vec<&ColumnDrift> {
        let mut columns: Vec<&ColumnDrift> = self.columns.iter().collect();
        let strength = |c: &ColumnDrift| match (c.test, c.score) {
            (Some(t), Some(s)) if t.is_p_value() => -s,
            (_, Some(s)) => s,
            _ => f64::INFINITY,
        };
        columns.sort_by(|a, b| {
            b.drifted
                .cmp(&a.drifted)
                .then(strength(b).total_cmp(&strength(a)))
                .then(a.column.cmp(&b.column))
        });
        columns
    }
}

/// The drift of `frame`'s rows from the data `model` learnt from.
pub fn drift(model: &Model, frame: &DataFrame, options: &Options) -> Result<Drift> {
    if !(options.drift_share > 0.0 && options.drift_share <= 1.0) {
        return Err(Error::InvalidSetting(format!(
            "the drift share must be above 0 and at most 1, not {}",
            options.drift_share
        )));
    }
    if let Some(t) = options.threshold.filter(|t| !(t.is_finite() && *t > 0.0)) {
        return Err(Error::InvalidSetting(format!(
            "the drift threshold must be a positive number, not {t}"
        )));
    }
    let reference = model.reference.as_ref().ok_or_else(|| {
        Error::InvalidSetting(format!(
            "this model file has no reference profile of its training data (it was exported by \
         automl {} before `automl drift` existed); run the compare again with this version to \
         export a model that has one",
            model.automl_version
        ))
    })?;
    if frame.height() == 0 {
        return Err(Error::NotEnoughData(
            "the new data has a header but no rows".into(),
        ));
    }
    let (features, mut warnings) = model.read_inputs(frame)?;
    let columns: Vec<ColumnDrift> = reference
        .columns
        .iter()
        .zip(&features)
        .map(|(r, f)| {
            let current = ColumnReference::of(&f.name, &f.values, usize::MAX);
            column::drift(r, &current, options.threshold)
        })
        .collect();
    let predictions = model.predict(frame)?;
    let predicted = match predictions.labels() {
        Some(l) => ColumnReference::labels(PREDICTION, l.into_iter().map(Some)),
        None => ColumnReference::numbers(PREDICTION, &predictions.values, usize::MAX),
    };
    let prediction = reference
        .prediction
        .as_ref()
        .map(|r| column::drift(r, &predicted, options.threshold));
    let (target, performance) = match frame.column(&model.target) {
        Ok(c) => outcomes(
            model,
            reference,
            c.as_materialized_series(),
            &predictions,
            options,
            &mut warnings,
        )?,
        Err(_) => (None, Vec::new()),
    };
    let drifted_columns = columns.iter().filter(|c| c.drifted).count();
    let columns_total = columns.len();
    Ok(Drift {
        automl_version: env!("CARGO_PKG_VERSION").to_string(),
        model: ModelSummary {
            algorithm: model.algorithm.clone(),
            params: crate::algorithms::format_params(&model.params),
            target: model.target.clone(),
            created: model.created.clone(),
            data_sha256: model.data_sha256.clone(),
        },
        rows_reference: reference.rows,
        rows_current: frame.height(),
        drift_share: options.drift_share,
        dataset_drift: columns_total > 0
            && drifted_columns as f64 >= options.drift_share * columns_total as f64,
        drifted_columns,
        columns_total,
        columns,
        prediction,
        target,
        performance,
        warnings,
    })
}

/// The target's drift and the model's metrics on the rows that have a target.
fn outcomes(
    model: &Model,
    reference: &Reference,
    series: &Series,
    predictions: &crate::model::Predictions,
    options: &Options,
    warnings: &mut Vec<String>,
) -> Result<(Option<ColumnDrift>, Vec<MetricChange>)> {
    let name = &model.target;
    let values = convert(series).map_err(|e| Error::Internal(format!("reading '{name}': {e}")))?;
    let task = model.task();
    let current = match (task, &values) {
        (Task::Regression, crate::io::column::Values::Numeric(v)) => {
            ColumnReference::numbers(name, v, usize::MAX)
        }
        (Task::Regression, _) => {
            return Err(Error::NonNumericTarget {
                column: name.clone(),
                detail: "the new data's values are text".into(),
            })
        }
        (Task::Classification, _) => {
            let labels = labels(&values, series.dtype() == &DataType::Boolean);
            ColumnReference::labels(name, labels.iter().map(|l| l.as_deref()))
        }
    };
    let drift = column::drift(&reference.target, &current, options.threshold);
    let Ok(scored) = model.score_predictions(series, predictions) else {
        warnings.push(format!(
            "target '{name}': no row has a usable value to score the model on"
        ));
        return Ok((Some(drift), Vec::new()));
    };
    if scored.left_out > 0 {
        warnings.push(format!(
            "target '{name}': {} row(s) without a {} left out of the metrics",
            scored.left_out,
            if task == Task::Regression {
                "value"
            } else {
                "known class"
            }
        ));
    }
    let performance = scored
        .scores
        .iter()
        .filter_map(|&(metric, current)| {
            let cv = model.cv.iter().find(|s| s.metric == metric)?;
            let gap = metric.loss(current) - metric.loss(cv.mean);
            Some(MetricChange {
                metric,
                current,
                cv_mean: cv.mean,
                cv_std: cv.std,
                worse: current.is_finite() && gap > 2.0 * cv.std,
            })
        })
        .collect();
    Ok((Some(drift), performance))
}
