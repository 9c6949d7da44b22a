//! The reference profile an exported model carries, so that `automl drift` can tell whether new
//! data still looks like the data the model learnt from: per training column its missing share
//! and the distribution the drift tests need (the numbers themselves, or an equal-weight
//! quantile sketch of a large column; the level counts of a categorical one), and the same for
//! the target and the out-of-fold predictions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::io::column::{Values, MISSING};
use crate::stats;

/// Numbers kept exactly up to this many per column; a larger column keeps this many quantiles.
pub const SAMPLE: usize = 10_000;
/// Numbers with at most this many distinct values also keep each value's exact count (the drift
/// tests bin such a column by its values, as evidently does).
pub const COUNTED: usize = 20;

/// The name of the predictions' column, in the reference and in drift reports.
pub const PREDICTION: &str = "prediction";

/// The training data's distributions, column by column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Training rows.
    pub rows: usize,
    /// The model's input columns, in input order.
    pub columns: Vec<ColumnReference>,
    /// The target's training values (class labels for a classifier).
    pub target: ColumnReference,
    /// The out-of-fold predictions of the exported setting (predicted labels for a classifier),
    /// when they were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<ColumnReference>,
}

/// One column's reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnReference {
    pub name: String,
    /// Rows with no value.
    pub missing: usize,
    pub values: Distribution,
}

/// What a column holds, missing values left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Distribution {
    /// Numbers (booleans as 0/1, dates as seconds since the epoch).
    Numbers(Numbers),
    /// Text levels with their rows, most frequent first (ties by level).
    Levels { counts: Vec<(String, usize)> },
}

/// A numeric column's non-missing values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Numbers {
    /// Values (rows with one).
    pub count: usize,
    /// Distinct values.
    pub distinct: usize,
    /// Mean and population standard deviation of every value.
    pub mean: f64,
    pub std: f64,
    /// Sorted: every value when `count <= SAMPLE`, else `SAMPLE` equally spaced quantiles.
    pub sorted: Vec<f64>,
    /// Every distinct value with its rows, when there are at most `COUNTED`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<(f64, usize)>,
}

impl Numbers {
    /// Whether `sorted` holds every value rather than a sketch.
    pub fn exact(&self) -> bool {
        self.sorted.len() == self.count
    }
}

impl ColumnReference {
    /// The reference of a converted column, numbers sketched beyond `sample` values.
    pub fn of(name: &str, values: &Values, sample: usize) -> ColumnReference {
        match values {
            Values::Numeric(v) | Values::Datetime(v) => ColumnReference::numbers(name, v, sample),
            Values::Categorical(c) => ColumnReference::labels(
                name,
                c.codes
                    .iter()
                    .map(|&code| (code != MISSING).then(|| c.levels[code as usize].as_str())),
            ),
        }
    }

    /// The reference of numbers (NaN is missing), sketched beyond `sample` values.
    pub fn numbers(name: &str, values: &[f64], sample: usize) -> ColumnReference {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        let count = sorted.len();
        // No values (a column missing throughout): zeros, as JSON cannot hold NaN.
        let (mean, std) = match count {
            0 => (0.0, 0.0),
            _ => stats::mean_std(&sorted),
        };
        let mut counts: Vec<(f64, usize)> = Vec::new();
        let mut distinct = 0;
        for (i, &v) in sorted.iter().enumerate() {
            if i == 0 || v != sorted[i - 1] {
                distinct += 1;
                if distinct <= COUNTED {
                    counts.push((v, 0));
                }
            }
            if let Some(last) = counts.last_mut().filter(|_| distinct <= COUNTED) {
                last.1 += 1;
            }
        }
        if distinct > COUNTED {
            counts.clear();
        }
        if count > sample {
            sorted = (0..sample)
                .map(|i| sorted[((2 * i + 1) * count) / (2 * sample)])
                .collect();
        }
        ColumnReference {
            name: name.to_string(),
            missing: values.len() - count,
            values: Distribution::Numbers(Numbers {
                count,
                distinct,
                mean,
                std,
                sorted,
                counts,
            }),
        }
    }

    /// The reference of text labels; `None` is missing.
    pub fn labels<'a>(
        name: &str,
        labels: impl Iterator<Item = Option<&'a str>>,
    ) -> ColumnReference {
        let mut rows: BTreeMap<&str, usize> = BTreeMap::new();
        let mut missing = 0;
        for label in labels {
            match label {
                Some(l) => *rows.entry(l).or_default() += 1,
                None => missing += 1,
            }
        }
        let mut counts: Vec<(String, usize)> =
            rows.into_iter().map(|(l, n)| (l.to_string(), n)).collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ColumnReference {
            name: name.to_string(),
            missing,
            values: Distribution::Levels { counts },
        }
    }

    /// Rows, missing ones included.
    pub fn rows(&self) -> usize {
        self.missing
            + match &self.values {
                Distribution::Numbers(n) => n.count,
                Distribution::Levels { counts } => counts.iter().map(|(_, n)| n).sum(),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_columns_keep_every_value_and_counts() {
        let r = ColumnReference::numbers("x", &[3.0, f64::NAN, 1.0, 3.0, 2.0], SAMPLE);
        assert_eq!(r.missing, 1);
        let Distribution::Numbers(n) = &r.values else {
            panic!("numbers")
        };
        assert!(n.exact());
        assert_eq!(n.sorted, vec![1.0, 2.0, 3.0, 3.0]);
        assert_eq!(n.counts, vec![(1.0, 1), (2.0, 1), (3.0, 2)]);
        assert_eq!((n.count, n.distinct, n.mean), (4, 3, 2.25));
        assert!((n.std - 0.82915619758885).abs() < 1e-12);
        assert_eq!(r.rows(), 5);
    }

    #[test]
    fn large_columns_keep_a_quantile_sketch() {
        let values: Vec<f64> = (0..3 * SAMPLE).rev().map(|i| i as f64).collect();
        let r = ColumnReference::numbers("x", &values, SAMPLE);
        let Distribution::Numbers(n) = &r.values else {
            panic!("numbers")
        };
        assert!(!n.exact());
        assert_eq!(n.sorted.len(), SAMPLE);
        assert_eq!(
            (n.sorted[0], n.sorted[SAMPLE - 1]),
            (1.0, (3 * SAMPLE - 2) as f64)
        );
        assert!(n.counts.is_empty());
        assert_eq!(n.distinct, 3 * SAMPLE);
    }

    #[test]
    fn labels_are_counted_most_frequent_first() {
        let r = ColumnReference::labels("c", [Some("b"), None, Some("a"), Some("b")].into_iter());
        assert_eq!(
            r.values,
            Distribution::Levels {
                counts: vec![("b".into(), 2), ("a".into(), 1)]
            }
        );
        assert_eq!((r.missing, r.rows()), (1, 4));
    }
}
