//! The target column: its task (inferred or given), its classes, and the checks that it can be
//! learnt at all.

use serde::{Deserialize, Serialize};

use super::{ColumnProfile, LevelCount};
use crate::error::{Error, Result, Setting};
use crate::io::column::Values;
use crate::io::names::display_level;
use crate::task::Task;

/// An integer target column with at most this many distinct values is taken as class labels
/// (classification).
pub const MAX_INTEGER_CLASSES: usize = 10;
/// More classes than this is refused: such a target is a number or an identifier.
pub const MAX_CLASSES: usize = 100;

/// The target column's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetProfile {
    pub column: ColumnProfile,
    /// Regression in profiles written before classification existed.
    #[serde(default)]
    pub task: Task,
    /// Classification: every class label, in class order (numbers numerically, text
    /// alphabetically; the second of two is the positive class), with its rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<LevelCount>,
    /// Rows dropped because the target is missing.
    pub rows_dropped: usize,
    /// Rows left for training and validation.
    pub rows_used: usize,
    /// Regression: rows whose target is exactly 0, where MAPE is undefined.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub zeros: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Summarises the target column (profiled as `column`) and checks it can be learnt.
pub(super) fn summary(
    column: ColumnProfile,
    values: &Values,
    task: Option<Task>,
) -> Result<TargetProfile> {
    let rows_dropped = column.missing;
    let rows_used = values.len() - rows_dropped;
    let name = column.name.clone();
    let boolean = column.dtype.eq_ignore_ascii_case("bool");
    let labels = || {
        let examples: Vec<String> = match &column.range {
            Some((from, to)) => vec![from.clone(), to.clone()],
            None => column.top.iter().map(|l| display_level(&l.level)).collect(),
        };
        format!("{} values such as {}", column.kind, examples.join(", "))
    };
    if matches!(values, Values::Datetime(_)) {
        return Err(Error::UnusableTarget {
            column: name,
            reason: format!(
                "it holds dates or times ({}); predict a number or a label derived from them",
                labels()
            ),
        });
    }
    let inferred = match values {
        Values::Numeric(_) if !boolean => {
            let integer = column.dtype.starts_with('i') || column.dtype.starts_with('u');
            if integer && column.distinct <= MAX_INTEGER_CLASSES {
                Task::Classification
            } else {
                Task::Regression
            }
        }
        _ => Task::Classification,
    };
    let task = task.unwrap_or(inferred);
    if task == Task::Regression && (boolean || matches!(values, Values::Categorical(_))) {
        return Err(Error::NonNumericTarget {
            column: name,
            detail: labels(),
        });
    }
    if rows_used == 0 {
        return Err(Error::UnusableTarget {
            column: name,
            reason: "every value is missing".into(),
        });
    }
    if rows_used == 1 {
        return Err(Error::NotEnoughData(format!(
            "only one row has a value in target column '{name}'; cross-validation needs rows to train and to validate on"
        )));
    }
    if column.distinct == 1 {
        let value = match (&column.stats, column.top.first()) {
            (Some(s), _) => s.min.to_string(),
            (None, Some(level)) => level.level.clone(),
            (None, None) => String::new(),
        };
        return Err(Error::UnusableTarget {
            column: name,
            reason: format!("every row has the value {value}; there is nothing to learn"),
        });
    }
    let classes = match task {
        Task::Regression => Vec::new(),
        Task::Classification => class_counts(values, boolean),
    };
    if classes.len() > MAX_CLASSES {
        return Err(Error::UnusableTarget {
            column: name,
            reason: format!(
                "it has {} distinct values, more than the {MAX_CLASSES} classes a classifier \
                 takes; if it is a quantity, use {} regression",
                classes.len(),
                Setting::Task
            ),
        });
    }
    let mut column = column;
    column.dropped = None;
    let zeros = match (task, values) {
        (Task::Regression, Values::Numeric(v)) => v.iter().filter(|&&y| y == 0.0).count(),
        _ => 0,
    };
    Ok(TargetProfile {
        column,
        task,
        classes,
        rows_dropped,
        rows_used,
        zeros,
    })
}

/// The class label of a classification target's value at `row`, or `None` when missing.
/// Each row's value as a class label (`None` where missing): how a classification target's
/// values are named, `boolean` when the column was read as booleans.
pub fn labels(values: &Values, boolean: bool) -> Vec<Option<String>> {
    (0..values.len())
        .map(|row| class_label(values, boolean, row))
        .collect()
}

fn class_label(values: &Values, boolean: bool, row: usize) -> Option<String> {
    match values {
        _ if values.is_missing(row) => None,
        Values::Numeric(v) if boolean => Some((v[row] == 1.0).to_string()),
        Values::Numeric(v) | Values::Datetime(v) => Some(v[row].to_string()),
        Values::Categorical(c) => Some(c.levels[c.codes[row] as usize].clone()),
    }
}

/// Every class of a classification target with its rows, in class order: numbers
/// numerically, text alphabetically (byte order), booleans false then true.
fn class_counts(values: &Values, boolean: bool) -> Vec<LevelCount> {
    match values {
        Values::Categorical(c) => {
            let mut classes: Vec<LevelCount> = c
                .levels
                .iter()
                .zip(&c.counts)
                .filter(|(_, &n)| n > 0)
                .map(|(level, &count)| LevelCount {
                    level: level.clone(),
                    count,
                })
                .collect();
            classes.sort_by(|a, b| a.level.cmp(&b.level));
            classes
        }
        Values::Numeric(v) | Values::Datetime(v) => {
            let mut present: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
            present.sort_by(f64::total_cmp);
            present
                .chunk_by(|a, b| a == b)
                .map(|run| LevelCount {
                    level: if boolean {
                        (run[0] == 1.0).to_string()
                    } else {
                        run[0].to_string()
                    },
                    count: run.len(),
                })
                .collect()
        }
    }
}

/// The target as numbers: its values for regression, class indices (NaN where missing) for
/// classification.
pub fn target_values(values: &Values, target: &TargetProfile) -> Result<Vec<f64>> {
    match (target.task, values) {
        (Task::Regression, Values::Numeric(v)) => Ok(v.clone()),
        (Task::Regression, _) => Err(Error::Internal(format!(
            "target '{}' is not numeric",
            target.column.name
        ))),
        (Task::Classification, _) => {
            let boolean = target.column.dtype.eq_ignore_ascii_case("bool");
            let index: std::collections::HashMap<&str, usize> = target
                .classes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.level.as_str(), i))
                .collect();
            Ok((0..values.len())
                .map(|row| {
                    class_label(values, boolean, row)
                        .and_then(|label| index.get(label.as_str()).map(|&i| i as f64))
                        .unwrap_or(f64::NAN)
                })
                .collect())
        }
    }
}
