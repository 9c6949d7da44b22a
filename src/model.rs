//! The exported model: a candidate refitted on every row, with everything needed to predict on
//! new rows (the input schema, the fitted preprocessing, the fitted model) and to know where it
//! came from (algorithm, hyperparameters, cross-validation scores, versions).
//!
//! The file is a one-line header, `AUTOML-MODEL <format> <bytes> <sha256>`, then a JSON body of
//! that many bytes with that SHA-256. Loading checks all three before parsing, so a file of
//! another format version, a truncated file and an edited file are each refused with their own
//! message. The body is data only: nothing in it is executed.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use ndarray::ArrayView1;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::column::{self, Values, MISSING};
use crate::error::{Error, Result};
use crate::importance::{self, Importance};
use crate::leaderboard::Entry;
use crate::metrics::Metric;
use crate::models::{Algorithm, FittedModel, Params};
use crate::output;
use crate::preprocess::{EncodingOptions, Pipeline, Step};
use crate::profile::{self, Kind};
use crate::sweep::catch;
use crate::table::{Feature, Table};

/// Version of the file layout and body schema; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 2;
/// File name of a model inside a run folder.
pub const MODEL_FILE: &str = "model.automl";
const MAGIC: &str = "AUTOML-MODEL";

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
    pub inputs: Vec<InputColumn>,
    pub pipeline: Pipeline,
    /// What the model relies on, measured on its training rows at export.
    #[serde(default)]
    pub importance: Option<Importance>,
    pub model: FittedModel,
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
            crate::models::format_params(&self.params),
            self.target,
            self.rows
        )?;
        for s in self.cv.iter().take(4) {
            write!(f, "; cv {} {:.4} ± {:.4}", s.metric, s.mean, s.std)?;
        }
        Ok(())
    }
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
    /// Refits the leaderboard `entry` (an `algorithm` setting) on every row of `table`.
    /// Errors and panics come back as a message, as in the sweep.
    pub(crate) fn train(
        table: &Table,
        target: &str,
        entry: &Entry,
        algorithm: &dyn Algorithm,
        encoding: &EncodingOptions,
        seed: u64,
    ) -> std::result::Result<Model, String> {
        let rows: Vec<usize> = (0..table.rows()).collect();
        let (pipeline, model, importance) = catch(|| {
            let pipeline = Pipeline::fit(table, &rows, encoding, algorithm.needs_scaling())
                .map_err(|e| e.to_string())?;
            let x = pipeline
                .transform(table, &rows)
                .map_err(|e| e.to_string())?;
            let model = algorithm.fit(
                &entry.params,
                x.view(),
                ArrayView1::from(&table.target),
                seed,
            )?;
            let importance =
                importance::importance(&model, &pipeline, x.view(), &table.target, seed)?;
            if model.is_classifier() != (table.task() == crate::profile::Task::Classification) {
                return Err("the model does not fit the task".into());
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
            cv: entry
                .metrics
                .iter()
                .filter(|(_, s)| s.mean.is_finite() && s.std.is_finite())
                .map(|&(metric, s)| CvScore {
                    metric,
                    mean: s.mean,
                    std: s.std,
                })
                .collect(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            inputs,
            pipeline,
            importance,
            model,
        })
    }

    /// The cross-validation mean of `metric`, if it was defined.
    pub fn cv_mean(&self, metric: Metric) -> Option<f64> {
        self.cv.iter().find(|s| s.metric == metric).map(|s| s.mean)
    }

    /// The file's bytes: header line, then the JSON body.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let body = serde_json::to_vec(self)
            .map_err(|e| Error::Internal(format!("serialising the model: {e}")))?;
        let mut bytes = format!(
            "{MAGIC} {FORMAT_VERSION} {} {}\n",
            body.len(),
            sha256_hex(&body)
        )
        .into_bytes();
        bytes.extend_from_slice(&body);
        Ok(bytes)
    }

    /// Saves the model to `path` atomically: the file is complete or absent.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let bytes = self.to_bytes()?;
        output::write_atomic(path.as_ref(), |w| w.write_all(&bytes))
    }

    /// Loads a model from a model file, a run folder holding `model.automl`, or an MLflow run
    /// folder holding `artifacts/model/model.automl`.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let file = model_file(path.as_ref())?;
        let bytes = std::fs::read(&file).map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?;
        Model::from_bytes(&bytes).map_err(|reason| Error::ModelFile { path: file, reason })
    }

    /// Parses a model file's bytes, checking header, length and checksum first.
    pub fn from_bytes(bytes: &[u8]) -> std::result::Result<Model, String> {
        let not_a_model = || "it is not an automl model file (no AUTOML-MODEL header)".to_string();
        let newline = bytes
            .iter()
            .take(256)
            .position(|&b| b == b'\n')
            .ok_or_else(not_a_model)?;
        let header = std::str::from_utf8(&bytes[..newline]).map_err(|_| not_a_model())?;
        let body = &bytes[newline + 1..];
        let fields: Vec<&str> = header.split(' ').collect();
        let [MAGIC, version, length, checksum] = fields[..] else {
            return Err(not_a_model());
        };
        let version: u32 = version.parse().map_err(|_| not_a_model())?;
        if version != FORMAT_VERSION {
            return Err(format!(
                "it has model format version {version}, and this automl ({}) reads version \
                 {FORMAT_VERSION}; load it with the automl version that wrote it, or re-run the \
                 compare to export it again",
                env!("CARGO_PKG_VERSION")
            ));
        }
        let length: usize = length.parse().map_err(|_| not_a_model())?;
        if body.len() < length {
            return Err(format!(
                "it is truncated: the header promises {length} bytes of model, the file has {}; \
                 copy it again from the run folder",
                body.len()
            ));
        }
        if body.len() > length {
            return Err(format!(
                "it has {} unexpected bytes after the model; the file was modified",
                body.len() - length
            ));
        }
        if sha256_hex(body) != checksum {
            return Err(
                "its SHA-256 does not match the header: the file was modified or corrupted".into(),
            );
        }
        let model: Model =
            serde_json::from_slice(body).map_err(|e| format!("its content is malformed: {e}"))?;
        model.check()?;
        Ok(model)
    }

    /// Consistency of a parsed body: what the header said, and one pipeline step per input.
    fn check(&self) -> std::result::Result<(), String> {
        if self.format_version != FORMAT_VERSION {
            return Err(format!(
                "its body says format version {}, its header {FORMAT_VERSION}; the file was \
                 modified",
                self.format_version
            ));
        }
        let steps: Vec<&str> = self
            .pipeline
            .encoder
            .steps
            .iter()
            .map(Step::column)
            .collect();
        let inputs: Vec<&str> = self.inputs.iter().map(|c| c.name.as_str()).collect();
        if steps != inputs {
            return Err("its input schema does not match its preprocessing steps".into());
        }
        Ok(())
    }

    /// Predicts one value per row of `frame`. Columns are found by name; extra columns are
    /// ignored. Values are read as the column's training kind, so a value of the wrong type is
    /// an error naming its column and row.
    pub fn predict(&self, frame: &DataFrame) -> Result<Predictions> {
        let names: Vec<&str> = frame
            .get_column_names()
            .iter()
            .map(|n| n.as_str())
            .collect();
        let mut warnings = Vec::new();
        let mut features = Vec::with_capacity(self.inputs.len());
        for (input, step) in self.inputs.iter().zip(&self.pipeline.encoder.steps) {
            let column = frame.column(&input.name).map_err(|_| {
                profile::missing_column(
                    &names,
                    &input.name,
                    "input column",
                    "is required by the model but not in the data",
                )
            })?;
            let values = read_as(column.as_materialized_series(), step)?;
            warnings.extend(notice(input, &values));
            features.push(Feature {
                name: input.name.clone(),
                kind: input.kind,
                values,
            });
        }
        let table = Table {
            features,
            target: Vec::new(),
            classes: self.classes.clone(),
        };
        let rows: Vec<usize> = (0..frame.height()).collect();
        let x = self.pipeline.transform(&table, &rows)?;
        let failed =
            |e: String| Error::Internal(format!("the {} model failed: {e}", self.algorithm));
        let proba = if self.classes.is_empty() {
            None
        } else {
            let proba = catch(|| self.model.predict_proba(x.view())).map_err(failed)?;
            if proba.ncols() != self.classes.len() {
                return Err(failed(format!(
                    "it gave probabilities of {} classes for {}",
                    proba.ncols(),
                    self.classes.len()
                )));
            }
            Some(proba)
        };
        let values = match &proba {
            None => catch(|| self.model.predict(x.view())).map_err(failed)?,
            Some(p) => crate::metrics::most_probable(p.view()),
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

/// The model file behind `path`: the file itself, or the model in a run folder.
fn model_file(path: &Path) -> Result<PathBuf> {
    if !path.is_dir() {
        if !path.exists() {
            return Err(Error::ModelFile {
                path: path.to_path_buf(),
                reason: "there is no such file or folder; give a run folder or its model.automl"
                    .into(),
            });
        }
        return Ok(path.to_path_buf());
    }
    let candidates = [
        path.join(MODEL_FILE),
        path.join("artifacts/model").join(MODEL_FILE),
        path.join("model").join(MODEL_FILE),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| Error::ModelFile {
            path: path.to_path_buf(),
            reason: format!(
                "the folder holds no {MODEL_FILE} (a compare whose candidates all failed exports \
                 none)"
            ),
        })
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads a column as the kind its preprocessing step expects.
fn read_as(series: &Series, step: &Step) -> Result<Values> {
    let name = series.name().as_str();
    let dtype = series.dtype();
    let internal = |e: PolarsError| Error::Internal(format!("reading column '{name}': {e}"));
    let text = || -> Result<Vec<Option<String>>> {
        let cast = series.cast(&DataType::String).map_err(internal)?;
        Ok(cast
            .str()
            .map_err(internal)?
            .iter()
            .map(|v| v.map(str::trim).filter(|v| !v.is_empty()).map(String::from))
            .collect())
    };
    let parse_each = |expected: &str, parse: &dyn Fn(&str) -> Option<f64>| -> Result<Vec<f64>> {
        text()?
            .into_iter()
            .enumerate()
            .map(|(row, value)| match value {
                None => Ok(f64::NAN),
                Some(v) => parse(&v).ok_or_else(|| Error::BadValue {
                    column: name.to_string(),
                    row: row + 1,
                    value: v,
                    expected: expected.to_string(),
                }),
            })
            .collect()
    };
    match step {
        Step::Numeric { .. } => {
            if dtype.is_primitive_numeric() || dtype.is_bool() {
                column::convert(series).map_err(internal)
            } else {
                parse_each("a number", &|v| {
                    v.parse::<f64>()
                        .ok()
                        .map(|x| if x.is_finite() { x } else { f64::NAN })
                })
                .map(Values::Numeric)
            }
        }
        Step::Datetime { .. } => match dtype {
            DataType::Date | DataType::Datetime(..) => column::convert(series).map_err(internal),
            _ => parse_each("a date or date-time (ISO 8601)", &column::parse_datetime)
                .map(Values::Datetime),
        },
        Step::Categorical { .. } => {
            let strings = series.cast(&DataType::String).map_err(internal)?;
            Ok(Values::Categorical(column::categorical(
                strings.str().map_err(internal)?,
            )))
        }
    }
}

/// Warnings about one prepared input column: levels never seen in training, imputed values.
fn notice(input: &InputColumn, values: &Values) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Values::Categorical(c) = values {
        let known: HashSet<&str> = input.levels.iter().map(String::as_str).collect();
        let mut unseen: BTreeMap<&str, usize> = BTreeMap::new();
        for &code in c.codes.iter().filter(|&&code| code != MISSING) {
            let level = c.levels[code as usize].as_str();
            if !known.contains(level) {
                *unseen.entry(level).or_default() += 1;
            }
        }
        if !unseen.is_empty() {
            let rows: usize = unseen.values().sum();
            let examples: Vec<&str> = unseen.keys().take(5).copied().collect();
            warnings.push(format!(
                "column '{}': {rows} row(s) hold {} level(s) not seen in training ({}{}); they \
                 are encoded as rare training levels are",
                input.name,
                unseen.len(),
                examples.join(", "),
                if unseen.len() > examples.len() {
                    ", ..."
                } else {
                    ""
                }
            ));
        }
    }
    let missing = values.missing_count();
    if missing > 0 {
        warnings.push(format!(
            "column '{}': {missing} missing value(s) imputed as in training",
            input.name
        ));
    }
    warnings
}
