//! Profiling: what each column holds, which columns can help a model, and the target's summary.

mod display;
mod leaks;
mod notation;
pub mod reference;
mod target;

use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, Setting};
use crate::io::column::{self, Values};
use crate::io::names::{column_names, missing_column};
use crate::stats::{self, Histogram};
use crate::task::{Kind, Task};

pub use target::{labels, target_values, TargetProfile, MAX_CLASSES, MAX_INTEGER_CLASSES};

/// A text column with more distinct values than this, making up at least `ID_LIKE_RATIO` of its
/// non-missing rows, is a label per row (a name or an ID) and cannot generalise.
const ID_LIKE_MIN_DISTINCT: usize = 10;
const ID_LIKE_RATIO: f64 = 0.5;
/// Levels listed per categorical column in the profile.
const TOP_LEVELS: usize = 5;

/// Summary statistics of a numeric column (missing values excluded).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NumericStats {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Sample standard deviation (n - 1).
    pub std: f64,
}

/// A level of a categorical column and how many rows have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCount {
    pub level: String,
    pub count: usize,
}

/// The profile of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    pub kind: Kind,
    /// The type polars inferred from the file.
    pub dtype: String,
    pub missing: usize,
    pub distinct: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<NumericStats>,
    /// Earliest and latest value of a datetime column, ISO 8601.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<(String, String)>,
    /// Most frequent levels of a categorical, boolean or text column.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub top: Vec<LevelCount>,
    /// Distribution of a numeric or datetime column with more than one value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub histogram: Option<Histogram>,
    /// Why the column is not used as a feature; `None` when it is used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped: Option<String>,
}

/// The profile of a whole table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub rows: usize,
    pub columns: usize,
    pub target: TargetProfile,
    /// Every column but the target, in file order.
    pub features: Vec<ColumnProfile>,
    /// Things a user should look at, such as a feature that may leak the target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Profile {
    /// The feature columns kept for modelling.
    pub fn kept(&self) -> impl Iterator<Item = &ColumnProfile> {
        self.features.iter().filter(|c| c.dropped.is_none())
    }

    /// The feature columns left out, with their reasons.
    pub fn dropped(&self) -> impl Iterator<Item = &ColumnProfile> {
        self.features.iter().filter(|c| c.dropped.is_some())
    }
}

/// Profiles `frame` and the converted `values` of its columns (parallel to the frame's columns).
/// Columns named in `ignore` are profiled but dropped. The task is inferred from the target
/// unless given.
pub fn profile(
    frame: &DataFrame,
    values: &[Values],
    target: &str,
    ignore: &[String],
    task: Option<Task>,
) -> Result<Profile> {
    let names = column_names(frame);
    let target_at = names
        .iter()
        .position(|n| *n == target)
        .ok_or_else(|| missing_column(&names, target, "target column", "is not in the data"))?;
    for column in ignore {
        if column == target {
            return Err(Error::InvalidSetting(format!(
                "{} names the target '{target}'",
                Setting::Ignore
            )));
        }
        if !names.contains(&column.as_str()) {
            return Err(missing_column(
                &names,
                column,
                "column",
                &format!("given to {} is not in the data", Setting::Ignore),
            ));
        }
    }
    let columns = frame.columns();
    let profile_at = |i: usize| {
        profile_column(columns[i].as_materialized_series(), &values[i])
            .map_err(|e| Error::Internal(format!("profiling column '{}': {e}", names[i])))
    };
    if let Values::Categorical(c) = &values[target_at] {
        notation::number_format_error(names[target_at], c)?;
    }
    let target_profile = target::summary(profile_at(target_at)?, &values[target_at], task)?;
    let y = target_values(&values[target_at], &target_profile)?;
    // Each column on its own (in parallel); the first failure in column order is told.
    let feature = |i: usize| -> Result<(ColumnProfile, Vec<String>)> {
        let mut profile = profile_at(i)?;
        let mut warnings = Vec::new();
        if ignore.iter().any(|c| c == names[i]) {
            profile.dropped = Some(format!("ignored ({})", Setting::Ignore));
        } else if let Values::Categorical(c) = &values[i] {
            notation::number_format_error(names[i], c)?;
            warnings.extend(notation::mixed_warning(names[i], c));
        }
        if let (None, Values::Numeric(x)) = (&profile.dropped, &values[i]) {
            warnings.extend(match target_profile.classes.len() {
                0 => leaks::leak_warning(names[i], x, &y),
                2 => leaks::separation_warning(names[i], x, &y),
                _ => None,
            });
        }
        Ok((profile, warnings))
    };
    let mut features = Vec::new();
    let mut warnings = Vec::new();
    let profiled = per_column(columns.len(), |i| (i != target_at).then(|| feature(i)));
    for column in profiled.into_iter().flatten() {
        let (profile, told) = column?;
        features.push(profile);
        warnings.extend(told);
    }
    Ok(Profile {
        rows: frame.height(),
        columns: frame.width(),
        target: target_profile,
        features,
        warnings,
    })
}

fn profile_column(series: &Series, values: &Values) -> PolarsResult<ColumnProfile> {
    let missing = values.missing_count();
    let present = values.len() - missing;
    let mut profile = ColumnProfile {
        name: series.name().to_string(),
        kind: Kind::Numeric,
        dtype: series.dtype().to_string(),
        missing,
        distinct: 0,
        stats: None,
        range: None,
        top: Vec::new(),
        histogram: None,
        dropped: None,
    };
    match values {
        Values::Numeric(v) | Values::Datetime(v) => {
            let clean: Float64Chunked = v.iter().map(|x| (!x.is_nan()).then_some(*x)).collect();
            let clean = clean.into_series();
            profile.distinct = clean.drop_nulls().n_unique()?;
            if let (Some(min), Some(max)) = (clean.min::<f64>()?, clean.max::<f64>()?) {
                let (mean, std) = stats::scaled_mean_std(v, min.abs().max(max.abs()));
                let stats = NumericStats {
                    min,
                    max,
                    mean,
                    std,
                };
                if min < max && !series.dtype().is_bool() {
                    profile.histogram = Some(Histogram::new(v, min, max));
                }
                if matches!(values, Values::Datetime(_)) {
                    profile.kind = Kind::Datetime;
                    profile.range = Some((iso(min), iso(max)));
                } else {
                    profile.stats = Some(stats);
                }
            }
            if series.dtype().is_bool() {
                profile.kind = Kind::Boolean;
                profile.stats = None;
                let trues = v.iter().filter(|&&x| x == 1.0).count();
                profile.top = top_levels(vec![
                    ("true".to_string(), trues),
                    ("false".to_string(), present - trues),
                ]);
            }
        }
        Values::Categorical(c) => {
            profile.kind = Kind::Categorical;
            profile.distinct = c.levels.len();
            let levels = c.levels.iter().cloned().zip(c.counts.iter().copied());
            profile.top = top_levels(levels.collect());
            if c.levels.len() > ID_LIKE_MIN_DISTINCT
                && c.levels.len() as f64 >= ID_LIKE_RATIO * present as f64
            {
                profile.kind = Kind::Text;
                profile.dropped = Some(format!(
                    "text/ID-like: {} distinct values in {present} rows",
                    c.levels.len()
                ));
            }
        }
    }
    if present == 0 {
        profile.kind = Kind::Empty;
        profile.dropped = Some("every value is missing".into());
    } else if profile.distinct == 1 {
        profile.kind = Kind::Constant;
        profile.dropped = Some("constant: a single distinct value".into());
    }
    Ok(profile)
}

fn top_levels(mut levels: Vec<(String, usize)>) -> Vec<LevelCount> {
    levels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    levels
        .into_iter()
        .take(TOP_LEVELS)
        .map(|(level, count)| LevelCount { level, count })
        .collect()
}

fn iso(seconds: f64) -> String {
    chrono::DateTime::from_timestamp(seconds as i64, 0)
        .map(|t| t.naive_utc().to_string())
        .unwrap_or_default()
}

/// Converts every column of `frame` (see [`column::convert`]).
pub fn convert_columns(frame: &DataFrame) -> Result<Vec<Values>> {
    let columns = frame.columns();
    per_column(columns.len(), |i| {
        let c = &columns[i];
        column::convert(c.as_materialized_series())
            .map_err(|e| Error::Internal(format!("reading column '{}': {e}", c.name())))
    })
    .into_iter()
    .collect()
}

/// `each` of the columns `0..count`, in order, run in parallel in at most one group per thread
/// (every so many columns, for a mix of kinds), each group in order on one thread. Few jobs, not
/// one per column: polars' own parallel work inside `each` runs on polars' pool, and a thread of
/// this pool waiting for it runs other jobs of this pool on top of its stack (thousands of
/// columns overflowed it).
fn per_column<T: Send>(count: usize, each: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let groups = rayon::current_num_threads().clamp(1, count.max(1));
    let mut done: Vec<(usize, T)> = (0..groups)
        .into_par_iter()
        .flat_map_iter(|group| {
            let columns = (group..count).step_by(groups);
            columns.map(|i| (i, each(i))).collect::<Vec<_>>()
        })
        .collect();
    done.sort_by_key(|&(i, _)| i);
    done.into_iter().map(|(_, value)| value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        df!(
            "y" => &[Some(1.0), Some(2.0), None, Some(4.0)],
            "x" => &[1.0, 2.0, 3.0, 4.0],
            "same" => &[5, 5, 5, 5],
            "gone" => &[None::<f64>, None, None, None],
            "g" => &["a", "b", "a", "b"],
        )
        .unwrap()
    }

    #[test]
    fn kinds_and_drop_reasons() {
        let df = frame();
        let values = convert_columns(&df).unwrap();
        let p = profile(&df, &values, "y", &[], None).unwrap();
        assert_eq!(p.target.rows_dropped, 1);
        assert_eq!(p.target.rows_used, 3);
        let kinds: Vec<Kind> = p.features.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Numeric,
                Kind::Constant,
                Kind::Empty,
                Kind::Categorical
            ]
        );
        let kept: Vec<&str> = p.kept().map(|c| c.name.as_str()).collect();
        assert_eq!(kept, ["x", "g"]);
        let stats = p.features[0].stats.unwrap();
        assert_eq!((stats.min, stats.max, stats.mean), (1.0, 4.0, 2.5));
    }

    #[test]
    fn ignored_columns_are_dropped_and_unknown_ones_named() {
        let df = frame();
        let values = convert_columns(&df).unwrap();
        let p = profile(&df, &values, "y", &["x".into()], None).unwrap();
        assert_eq!(p.features[0].dropped.as_deref(), Some("ignored (`ignore`)"));
        let err = profile(&df, &values, "y", &["xx".into()], None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("column 'xx' given to `ignore` is not in the data"),
            "{err}"
        );
    }

    #[test]
    fn of_several_failing_columns_the_first_is_told() {
        // Columns are profiled in parallel; the error is the first column's, every time.
        let formatted = ["1,234", "2,345", "3", "4"];
        let df = df!(
            "y" => &[1.0, 2.0, 3.0, 4.0],
            "ok" => &[1.0, 2.0, 3.0, 4.0],
            "first" => &formatted,
            "second" => &formatted,
            "third" => &formatted,
        )
        .unwrap();
        let values = convert_columns(&df).unwrap();
        for _ in 0..20 {
            let err = profile(&df, &values, "y", &[], None)
                .unwrap_err()
                .to_string();
            assert!(err.contains("'first'") && !err.contains("second"), "{err}");
        }
    }

    #[test]
    fn a_monotone_transform_of_the_target_is_flagged() {
        let y: Vec<f64> = (1..=50).map(|v| f64::from(v) * 1.5).collect();
        let leak: Vec<f64> = y.iter().map(|v| v.ln()).collect();
        let noise: Vec<f64> = (0..50).map(|v| f64::from((v * 37) % 11)).collect();
        let df = df!("y" => &y, "log_y" => &leak, "noise" => &noise).unwrap();
        let values = convert_columns(&df).unwrap();
        let p = profile(&df, &values, "y", &[], None).unwrap();
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0].starts_with("'log_y' has rank correlation 1.000"));
    }

    #[test]
    fn missing_target_suggests_close_names() {
        let df = frame();
        let values = convert_columns(&df).unwrap();
        let err = profile(&df, &values, "G", &[], None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean g?"), "{err}");
    }

    #[test]
    fn text_target_is_classification_and_refused_for_regression() {
        let df = frame();
        let values = convert_columns(&df).unwrap();
        let p = profile(&df, &values, "g", &[], None).unwrap();
        assert_eq!(p.target.task, Task::Classification);
        let classes: Vec<&str> = p.target.classes.iter().map(|c| c.level.as_str()).collect();
        let mut sorted = classes.clone();
        sorted.sort_unstable();
        assert_eq!(classes, sorted);
        let err = profile(&df, &values, "g", &[], Some(Task::Regression)).unwrap_err();
        assert!(matches!(err, Error::NonNumericTarget { .. }), "{err}");
    }

    #[test]
    fn few_whole_numbers_are_classes_in_numeric_order() {
        let df = df!(
            "x" => (0..30).map(f64::from).collect::<Vec<_>>(),
            "y" => (0..30).map(|i| [2i64, 10, 1][i % 3]).collect::<Vec<_>>(),
        )
        .unwrap();
        let values = convert_columns(&df).unwrap();
        let p = profile(&df, &values, "y", &[], None).unwrap();
        assert_eq!(p.target.task, Task::Classification);
        let classes: Vec<(&str, usize)> = p
            .target
            .classes
            .iter()
            .map(|c| (c.level.as_str(), c.count))
            .collect();
        assert_eq!(classes, [("1", 10), ("2", 10), ("10", 10)]);
        let codes = target_values(&values[1], &p.target).unwrap();
        assert_eq!(&codes[..3], [1.0, 2.0, 0.0]);
        let forced = profile(&df, &values, "y", &[], Some(Task::Regression)).unwrap();
        assert_eq!(forced.target.task, Task::Regression);
        assert!(forced.target.classes.is_empty());
    }
}
