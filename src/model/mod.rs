//! The exported model: a candidate refitted on every row, with everything needed to predict on
//! new rows (the input schema, the fitted preprocessing, the fitted model) and to know where it
//! came from (algorithm, hyperparameters, cross-validation scores, versions).
//!
//! Saved and loaded as a checksummed file of plain data ([`file`]); new rows are read as the
//! training kinds ([`read`]) and predictions turned into a table ([`frame`]).

mod blend;
mod evaluate;
mod file;
mod frame;
mod read;

use ndarray::ArrayView1;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::algorithms::{format_params, guard, Algorithm, FitError, FittedModel, Params};
use crate::error::{Error, Result};
use crate::importance::{self, Importance};
use crate::io::column::Values;
use crate::io::names::{column_names, missing_column};
use crate::leaderboard::Entry;
use crate::metrics::{most_probable, Metric};
use crate::preprocess::{EncodingOptions, Pipeline};
use crate::profile::reference::Reference;
use crate::table::{Feature, Table};
use crate::task::{Kind, Task};

pub use blend::MemberModel;
pub use evaluate::Evaluation;
pub use file::{ModelFileError, FORMAT_VERSION, MODEL_FILE};
pub use frame::{predictions_frame, Keep};

/// One input column the model needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    pub name: String,
    pub kind: Kind,
    /// Every level seen in training (categorical columns), most frequent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
}

/// A cross-validation score of the model's setting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CvScore {
    pub metric: Metric,
    pub mean: f64,
    pub std: f64,
}

/// A trained model, ready to predict and to be saved.
#[derive(Serialize, Deserialize)]
pub struct Model {
    pub format_version: u32,
    /// Version of automl that trained it.
    pub automl_version: String,
    /// Algorithm id (`gbm`, `ridge`, ...), name and backend crate.
    pub algorithm: String,
    pub name: String,
    pub backend: String,
    pub params: Params,
    /// Rank of the setting in the compare that chose it.
    pub rank: usize,
    pub target: String,
    /// Classification: the class labels, in the order of the model's class indices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// Rows it was fitted on (every row with a target).
    pub rows: usize,
    pub seed: u64,
    /// Cross-validation scores of the setting (means and standard deviations across folds).
    pub cv: Vec<CvScore>,
    /// UTC time of training, RFC 3339.
    pub created: String,
    /// SHA-256 of the data file it was trained on, when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sha256: Option<String>,
    pub inputs: Vec<InputColumn>,
    pub pipeline: Pipeline,
    /// What the model relies on, measured on its training rows at export.
    #[serde(default)]
    pub importance: Option<Importance>,
    /// The fitted model; for an ensemble, the constant its members' weighted predictions are
    /// added to (its intercept).
    pub model: FittedModel,
    /// An ensemble's members, each with its weight (empty for a single model).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberModel>,
    /// The training data's distributions, for `automl drift` (absent in files exported before
    /// it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    /// The metric the compare ranked by (absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranked_by: Option<Metric>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("algorithm", &self.algorithm)
            .field("params", &self.params)
            .field("target", &self.target)
            .field("rows", &self.rows)
            .field("inputs", &self.inputs.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Display for Model {
    /// One line: algorithm, setting, target and CV scores.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}) {} predicting '{}', trained on {} rows",
            self.algorithm,
            self.name,
            format_params(&self.params),
            self.target,
            self.rows
        )?;
        for s in self.cv.iter().take(4) {
            write!(f, "; cv {} {:.4} ± {:.4}", s.metric, s.mean, s.std)?;
        }
        Ok(())
    }
}

/// The cross-validation scores of a leaderboard entry that are defined.
fn cv_scores(entry: &Entry) -> Vec<CvScore> {
    entry
        .metrics
        .iter()
        .filter(|(_, s)| s.mean.is_finite() && s.std.is_finite())
        .map(|&(metric, s)| CvScore {
            metric,
            mean: s.mean,
            std: s.std,
        })
        .collect()
}

/// Predictions for new rows, with what was noticed on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// One prediction per input row, in order: the value, or for a classifier the index of the
    /// predicted class in `classes`.
    pub values: Vec<f64>,
    /// Classification: the class labels; empty for regression.
    pub classes: Vec<String>,
    /// Classification: each row's probability of each class (rows x classes).
    pub proba: Option<ndarray::Array2<f64>>,
    /// Unseen categorical levels and imputed missing values, per column.
    pub warnings: Vec<String>,
}

impl Predictions {
    /// Classification: the predicted class label of each row.
    pub fn labels(&self) -> Option<Vec<&str>> {
        (!self.classes.is_empty()).then(|| {
            self.values
                .iter()
                .map(|&c| self.classes[c as usize].as_str())
                .collect()
        })
    }
}

impl Model {
    /// Refits the leaderboard `entry` (an `algorithm` setting) on every row of `table`, and
    /// measures its importance when `rate` (an ensemble's members are rated together).
    /// Errors and panics come back as a fit error, as in the sweep.
    pub(crate) fn train(
        table: &Table,
        target: &str,
        entry: &Entry,
        algorithm: &dyn Algorithm,
        (encoding, seed, rate): (&EncodingOptions, u64, bool),
    ) -> std::result::Result<Model, FitError> {
        let rows: Vec<usize> = (0..table.rows()).collect();
        let learner = algorithm.configure(&entry.params)?;
        let (pipeline, model, importance) = guard(|| {
            let preprocessing = |e: Error| FitError::Preprocessing(e.into());
            let pipeline = Pipeline::fit(table, &rows, encoding, algorithm.needs_scaling())
                .map_err(preprocessing)?;
            let x = pipeline.transform(table, &rows).map_err(preprocessing)?;
            let model = learner.fit(x.view(), ArrayView1::from(&table.target), seed)?;
            let importance = match rate {
                true => importance::importance(&model, &pipeline, x.view(), &table.target, seed)?,
                false => None,
            };
            if model.is_classifier() != (table.task() == Task::Classification) {
                return Err(FitError::Unsupported(
                    "the model does not fit the task".into(),
                ));
            }
            Ok((pipeline, model, importance))
        })?;
        let inputs = table
            .features
            .iter()
            .map(|f| InputColumn {
                name: f.name.clone(),
                kind: f.kind,
                levels: match &f.values {
                    Values::Categorical(c) => {
                        let mut seen: Vec<usize> =
                            (0..c.levels.len()).filter(|&i| c.counts[i] > 0).collect();
                        seen.sort_by_key(|&i| std::cmp::Reverse(c.counts[i]));
                        seen.into_iter().map(|i| c.levels[i].clone()).collect()
                    }
                    _ => Vec::new(),
                },
            })
            .collect();
        Ok(Model {
            format_version: FORMAT_VERSION,
            automl_version: env!("CARGO_PKG_VERSION").to_string(),
            algorithm: entry.model.clone(),
            name: entry.name.clone(),
            backend: entry.backend.clone(),
            params: entry.params.clone(),
            rank: entry.rank,
            target: target.to_string(),
            classes: table.classes.clone(),
            rows: table.rows(),
            seed,
            cv: cv_scores(entry),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            data_sha256: None,
            inputs,
            pipeline,
            importance,
            model,
            members: Vec::new(),
            reference: None,
            ranked_by: None,
        })
    }

    /// The model's input columns read from `frame` as in training (extra columns ignored; a
    /// missing column, or a value of the wrong type, is an error naming it), with warnings about
    /// unseen levels and imputed values.
    pub fn read_inputs(&self, frame: &DataFrame) -> Result<(Vec<Feature>, Vec<String>)> {
        let names = column_names(frame);
        let mut warnings = Vec::new();
        let mut features = Vec::with_capacity(self.inputs.len());
        for (input, step) in self.inputs.iter().zip(&self.pipeline.encoder.steps) {
            let column = frame.column(&input.name).map_err(|_| {
                missing_column(
                    &names,
                    &input.name,
                    "input column",
                    "is required by the model but not in the data",
                )
            })?;
            let values = read::read_as(column.as_materialized_series(), step)?;
            warnings.extend(read::notice(input, &values));
            features.push(Feature {
                name: input.name.clone(),
                kind: input.kind,
                values,
            });
        }
        Ok((features, warnings))
    }

    /// Regression, or classification when the model has classes.
    pub fn task(&self) -> Task {
        match self.classes.is_empty() {
            true => Task::Regression,
            false => Task::Classification,
        }
    }

    /// Predicts every row of `frame`, read as [`Model::read_inputs`] reads it.
    pub fn predict(&self, frame: &DataFrame) -> Result<Predictions> {
        let (features, warnings) = self.read_inputs(frame)?;
        let table = Table {
            features,
            target: Vec::new(),
            classes: self.classes.clone(),
        };
        let rows: Vec<usize> = (0..frame.height()).collect();
        let x = self.pipeline.transform(&table, &rows)?;
        let failed = |e: FitError| Error::Predict {
            algorithm: self.algorithm.clone(),
            source: e.into(),
        };
        let (values, proba) = match guard(|| self.output(x.view())).map_err(failed)? {
            blend::Output::Values(values) => (values, None),
            blend::Output::Proba(proba) => {
                if proba.ncols() != self.classes.len() {
                    return Err(failed(FitError::Shape(format!(
                        "it gave probabilities of {} classes for {}",
                        proba.ncols(),
                        self.classes.len()
                    ))));
                }
                (most_probable(proba.view()), Some(proba))
            }
        };
        if values.len() != rows.len() {
            return Err(Error::Internal(format!(
                "the model gave {} predictions for {} rows",
                values.len(),
                rows.len()
            )));
        }
        Ok(Predictions {
            values,
            classes: self.classes.clone(),
            proba,
            warnings,
        })
    }
}
