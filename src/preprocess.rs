//! Preprocessing fitted on a fold's training rows and applied to any rows: median imputation of
//! numbers, one-hot encoding of categories (most frequent level imputed, rare levels pooled, a
//! smoothed target mean for columns with more levels than the cap), datetime parts, and optional
//! standardisation. The fitted pieces are plain data, saved with a model.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike};
use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io::column::{Values, MISSING};
use crate::table::{Feature, Table};

/// Name of the column that pools rare and unseen levels of a categorical feature.
pub const OTHER_LEVEL: &str = "__other__";
/// Name of the target-mean column of a categorical feature with more levels than the cap.
pub const TARGET_MEAN: &str = "__target_mean__";
/// Weight, in rows, of the overall mean in a level's smoothed target mean.
const TARGET_MEAN_SMOOTHING: f64 = 20.0;
const DATE_PARTS: [&str; 4] = ["year", "month", "day", "weekday"];

/// How categorical features are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodingOptions {
    /// Most levels kept per categorical column (the most frequent ones); the rest are pooled.
    pub max_levels: usize,
    /// A level seen in fewer training rows than this is pooled.
    pub min_level_rows: usize,
}

impl Default for EncodingOptions {
    fn default() -> Self {
        EncodingOptions {
            max_levels: 25,
            min_level_rows: 5,
        }
    }
}

/// One fitted step per input feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// Missing values become the training median.
    Numeric { column: String, median: f64 },
    /// One 0/1 column per kept level except `reference`, the most frequent level, which is all
    /// zeros, as are missing values (imputed to it). Pooled levels, and levels never seen in
    /// training, go to the `__other__` column when training had pooled levels, else to the
    /// reference. A column with more levels than the cap also gets `target_mean`.
    Categorical {
        column: String,
        reference: String,
        levels: Vec<String>,
        other: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_mean: Option<TargetMean>,
    },
    /// Year, month, day and weekday (Monday = 0) of the timestamp; missing values become the
    /// training median timestamp.
    Datetime { column: String, median: f64 },
}

/// Each level's training target mean, shrunk towards the overall mean by
/// `TARGET_MEAN_SMOOTHING` rows so that rare levels say little; missing and unseen levels get
/// the overall mean. Fitted on training rows only, like every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetMean {
    pub prior: f64,
    pub means: BTreeMap<String, f64>,
}

impl Step {
    /// The input column the step reads.
    pub fn column(&self) -> &str {
        match self {
            Step::Numeric { column, .. }
            | Step::Categorical { column, .. }
            | Step::Datetime { column, .. } => column,
        }
    }

    /// Names of the matrix columns the step writes.
    pub fn outputs(&self) -> Vec<String> {
        match self {
            Step::Numeric { column, .. } => vec![column.clone()],
            Step::Categorical {
                column,
                levels,
                other,
                target_mean,
                ..
            } => levels
                .iter()
                .map(String::as_str)
                .chain(other.then_some(OTHER_LEVEL))
                .chain(target_mean.is_some().then_some(TARGET_MEAN))
                .map(|level| format!("{column}={level}"))
                .collect(),
            Step::Datetime { column, .. } => {
                DATE_PARTS.iter().map(|p| format!("{column}.{p}")).collect()
            }
        }
    }
}

/// The most columns the encoding of `table` can have (before fitting, which may keep fewer
/// levels): one per number, four per datetime, per categorical its kept levels plus the pooled
/// and target-mean columns.
pub fn encoded_width_bound(table: &Table, options: &EncodingOptions) -> usize {
    table
        .features
        .iter()
        .map(|f| match &f.values {
            Values::Numeric(_) => 1,
            Values::Datetime(_) => DATE_PARTS.len(),
            Values::Categorical(c) => c.levels.len().min(options.max_levels).saturating_sub(1) + 2,
        })
        .sum()
}

/// Imputation and encoding of every feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    pub steps: Vec<Step>,
    /// Names of the output columns, in matrix order.
    pub outputs: Vec<String>,
}

impl Encoder {
    /// Fits every step on the training `rows` of `table` only.
    pub fn fit(table: &Table, rows: &[usize], options: &EncodingOptions) -> Encoder {
        let steps: Vec<Step> = table
            .features
            .iter()
            .map(|f| fit_step(f, &table.target, table.classes.len() > 2, rows, options))
            .collect();
        let outputs = steps.iter().flat_map(Step::outputs).collect();
        Encoder { steps, outputs }
    }

    /// The encoded matrix of `rows` of `table`, one row each, in order. Columns are found by
    /// name, so `table` may come from another file with the same columns.
    pub fn transform(&self, table: &Table, rows: &[usize]) -> Result<Array2<f64>> {
        let by_name: HashMap<&str, &Feature> = table
            .features
            .iter()
            .map(|f| (f.name.as_str(), f))
            .collect();
        let width = self.outputs.len();
        let mut x = Array2::<f64>::zeros((rows.len(), width));
        let mut offset = 0;
        for step in &self.steps {
            let feature = by_name.get(step.column()).ok_or_else(|| {
                Error::InvalidSetting(format!("required column '{}' is missing", step.column()))
            })?;
            offset += write_step(step, &feature.values, rows, &mut x, offset)?;
        }
        Ok(x)
    }
}

/// `multiclass`: the target holds class indices of more than two classes, whose mean means
/// nothing, so no target-mean column is made.
fn fit_step(
    feature: &Feature,
    target: &[f64],
    multiclass: bool,
    rows: &[usize],
    options: &EncodingOptions,
) -> Step {
    let column = feature.name.clone();
    match &feature.values {
        Values::Numeric(v) => Step::Numeric {
            column,
            median: median(rows.iter().map(|&r| v[r])),
        },
        Values::Datetime(v) => Step::Datetime {
            column,
            median: median(rows.iter().map(|&r| v[r])),
        },
        Values::Categorical(c) => {
            let mut counts = vec![0usize; c.levels.len()];
            for &r in rows {
                if c.codes[r] != MISSING {
                    counts[c.codes[r] as usize] += 1;
                }
            }
            let mut seen: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 0).collect();
            seen.sort_by(|&a, &b| {
                counts[b]
                    .cmp(&counts[a])
                    .then_with(|| c.levels[a].cmp(&c.levels[b]))
            });
            let reference = seen
                .first()
                .map(|&i| c.levels[i].clone())
                .unwrap_or_default();
            let kept: Vec<String> = seen
                .iter()
                .skip(1)
                .take(options.max_levels.saturating_sub(1))
                .filter(|&&i| counts[i] >= options.min_level_rows)
                .map(|&i| c.levels[i].clone())
                .collect();
            let other = seen.len() > kept.len() + 1;
            let target_mean = (seen.len() > options.max_levels && !multiclass).then(|| {
                let prior = rows.iter().map(|&r| target[r]).sum::<f64>() / rows.len() as f64;
                let mut sums = vec![0.0; c.levels.len()];
                for &r in rows.iter().filter(|&&r| c.codes[r] != MISSING) {
                    sums[c.codes[r] as usize] += target[r];
                }
                let means = seen
                    .iter()
                    .map(|&i| {
                        let shrunk = (sums[i] + TARGET_MEAN_SMOOTHING * prior)
                            / (counts[i] as f64 + TARGET_MEAN_SMOOTHING);
                        (c.levels[i].clone(), shrunk)
                    })
                    .collect();
                TargetMean { prior, means }
            });
            Step::Categorical {
                column,
                reference,
                levels: kept,
                other,
                target_mean,
            }
        }
    }
}

/// Writes the step's output columns for `rows` at column `offset`; returns how many it wrote.
fn write_step(
    step: &Step,
    values: &Values,
    rows: &[usize],
    x: &mut Array2<f64>,
    offset: usize,
) -> Result<usize> {
    let kind_error = |expected: &str| {
        Error::InvalidSetting(format!(
            "column '{}' should hold {expected} values",
            step.column()
        ))
    };
    match (step, values) {
        (Step::Numeric { median, .. }, Values::Numeric(v)) => {
            for (i, &r) in rows.iter().enumerate() {
                x[[i, offset]] = if v[r].is_nan() { *median } else { v[r] };
            }
            Ok(1)
        }
        (Step::Datetime { median, .. }, Values::Datetime(v)) => {
            for (i, &r) in rows.iter().enumerate() {
                let t = if v[r].is_nan() { *median } else { v[r] };
                for (j, part) in date_parts(t).into_iter().enumerate() {
                    x[[i, offset + j]] = part;
                }
            }
            Ok(DATE_PARTS.len())
        }
        (
            Step::Categorical {
                levels,
                other,
                reference,
                target_mean,
                ..
            },
            Values::Categorical(c),
        ) => {
            let position: HashMap<&str, usize> = levels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.as_str(), i))
                .collect();
            let pooled = other.then_some(levels.len());
            // Output column of each of this table's codes; `None` is the all-zero reference.
            let target: Vec<Option<usize>> = c
                .levels
                .iter()
                .map(|l| match position.get(l.as_str()) {
                    Some(&i) => Some(i),
                    None if l == reference => None,
                    None => pooled,
                })
                .collect();
            for (i, &r) in rows.iter().enumerate() {
                let code = c.codes[r];
                if code != MISSING {
                    if let Some(j) = target[code as usize] {
                        x[[i, offset + j]] = 1.0;
                    }
                }
            }
            let mut width = levels.len() + usize::from(*other);
            if let Some(tm) = target_mean {
                let means: Vec<f64> = c
                    .levels
                    .iter()
                    .map(|l| tm.means.get(l).copied().unwrap_or(tm.prior))
                    .collect();
                for (i, &r) in rows.iter().enumerate() {
                    let code = c.codes[r];
                    x[[i, offset + width]] = if code == MISSING {
                        tm.prior
                    } else {
                        means[code as usize]
                    };
                }
                width += 1;
            }
            Ok(width)
        }
        (Step::Numeric { .. }, _) => Err(kind_error("numeric")),
        (Step::Datetime { .. }, _) => Err(kind_error("date or date-time")),
        (Step::Categorical { .. }, _) => Err(kind_error("text")),
    }
}

fn date_parts(seconds: f64) -> [f64; 4] {
    match DateTime::from_timestamp(seconds.floor() as i64, 0) {
        Some(t) => [
            t.year() as f64,
            t.month() as f64,
            t.day() as f64,
            t.weekday().num_days_from_monday() as f64,
        ],
        None => [f64::NAN; 4],
    }
}

/// Median of the non-missing values; 0 when there are none.
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    let (_, upper, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if v.len() % 2 == 1 {
        upper
    } else {
        let lower = v[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// Standardisation to zero mean and unit variance, fitted on training rows. A constant column
/// is centred only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Scaler {
    pub fn fit(x: &Array2<f64>) -> Scaler {
        let n = x.nrows().max(1) as f64;
        let mean: Vec<f64> = x.axis_iter(Axis(1)).map(|c| c.sum() / n).collect();
        let std = x
            .axis_iter(Axis(1))
            .zip(&mean)
            .map(|(c, m)| {
                let sd = (c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt();
                if sd > 0.0 && sd.is_finite() {
                    sd
                } else {
                    1.0
                }
            })
            .collect();
        Scaler { mean, std }
    }

    pub fn transform(&self, x: &Array2<f64>) -> Array2<f64> {
        let mut out = x.clone();
        for mut row in out.rows_mut() {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
        out
    }
}

/// A fitted preprocessing pipeline: encoding, then standardisation when the algorithm needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub encoder: Encoder,
    pub scaler: Option<Scaler>,
}

impl Pipeline {
    /// Fits the pipeline on the training `rows` of `table`.
    pub fn fit(
        table: &Table,
        rows: &[usize],
        options: &EncodingOptions,
        scale: bool,
    ) -> Result<Pipeline> {
        let encoder = Encoder::fit(table, rows, options);
        let scaler = if scale {
            Some(Scaler::fit(&encoder.transform(table, rows)?))
        } else {
            None
        };
        Ok(Pipeline { encoder, scaler })
    }

    pub fn transform(&self, table: &Table, rows: &[usize]) -> Result<Array2<f64>> {
        let x = self.encoder.transform(table, rows)?;
        Ok(match &self.scaler {
            Some(s) => s.transform(&x),
            None => x,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::column::Categorical;
    use crate::task::Kind;

    fn table() -> Table {
        let codes = vec![0, 0, 0, 1, 1, 2, MISSING, 0];
        Table {
            features: vec![
                Feature {
                    name: "x".into(),
                    kind: Kind::Numeric,
                    values: Values::Numeric(vec![1.0, f64::NAN, 3.0, 4.0, 100.0, 6.0, 7.0, 8.0]),
                },
                Feature {
                    name: "g".into(),
                    kind: Kind::Categorical,
                    values: Values::Categorical(Categorical {
                        codes,
                        levels: vec!["a".into(), "b".into(), "c".into(), "unseen".into()],
                        counts: vec![4, 2, 1, 0],
                    }),
                },
            ],
            target: vec![0.0; 8],
            classes: Vec::new(),
        }
    }

    #[test]
    fn fitted_on_training_rows_only() {
        let t = table();
        let train = [0, 1, 2, 3];
        let options = EncodingOptions {
            max_levels: 25,
            min_level_rows: 1,
        };
        let enc = Encoder::fit(&t, &train, &options);
        // Median of 1, 3, 4 (row 1 missing); row 4's 100 is outside the training rows.
        assert_eq!(
            enc.steps[0],
            Step::Numeric {
                column: "x".into(),
                median: 3.0
            }
        );
        assert_eq!(
            enc.steps[1],
            Step::Categorical {
                column: "g".into(),
                reference: "a".into(),
                levels: vec!["b".into()],
                other: false,
                target_mean: None,
            }
        );
        let x = enc.transform(&t, &[1, 4, 5, 6]).unwrap();
        // Row 5's level "c" was never seen in training and there is no pooled column: reference.
        assert_eq!(
            x,
            ndarray::array![[3.0, 0.0], [100.0, 1.0], [6.0, 0.0], [7.0, 0.0]]
        );
    }

    #[test]
    fn rare_levels_are_pooled() {
        let t = table();
        let rows: Vec<usize> = (0..8).collect();
        let options = EncodingOptions {
            max_levels: 25,
            min_level_rows: 2,
        };
        let enc = Encoder::fit(&t, &rows, &options);
        assert_eq!(enc.outputs, vec!["x", "g=b", "g=__other__"]);
        let x = enc.transform(&t, &[5]).unwrap();
        assert_eq!(x.row(0).to_vec(), vec![6.0, 0.0, 1.0]);
    }

    #[test]
    fn levels_beyond_the_cap_get_a_smoothed_target_mean() {
        let mut t = table();
        t.target = vec![10.0, 10.0, 10.0, 30.0, 30.0, 0.0, 5.0, 10.0];
        let rows: Vec<usize> = (0..8).collect();
        let options = EncodingOptions {
            max_levels: 2,
            min_level_rows: 1,
        };
        let enc = Encoder::fit(&t, &rows, &options);
        assert_eq!(
            enc.outputs,
            vec!["x", "g=b", "g=__other__", "g=__target_mean__"]
        );
        let prior = 105.0 / 8.0;
        let b = (60.0 + 20.0 * prior) / 22.0;
        let x = enc.transform(&t, &[3, 6]).unwrap();
        assert_eq!(x.row(0).to_vec(), vec![4.0, 1.0, 0.0, b]);
        // A missing level gets the overall mean.
        assert_eq!(x[[1, 3]], prior);
    }

    #[test]
    fn datetime_parts() {
        // 2024-02-29 is a Thursday.
        let t = crate::io::column::parse_datetime("2024-02-29").unwrap();
        assert_eq!(date_parts(t), [2024.0, 2.0, 29.0, 3.0]);
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), 2.0);
        assert_eq!(median([4.0, 1.0, f64::NAN, 2.0, 3.0].into_iter()), 2.5);
        assert_eq!(median(std::iter::empty()), 0.0);
    }

    #[test]
    fn scaler_standardises_training_columns() {
        let x = ndarray::array![[1.0, 5.0], [3.0, 5.0]];
        let s = Scaler::fit(&x);
        assert_eq!(s.transform(&x), ndarray::array![[-1.0, 0.0], [1.0, 0.0]]);
    }
}
