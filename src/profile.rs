//! Profiling: what each column holds, which columns can help a model, and the target's summary.

use std::fmt;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::column::{self, Categorical, Values};
use crate::error::{Error, Result};
use crate::metrics::Metric;

/// A text column with more distinct values than this, making up at least `ID_LIKE_RATIO` of its
/// non-missing rows, is a label per row (a name or an ID) and cannot generalise.
const ID_LIKE_MIN_DISTINCT: usize = 10;
const ID_LIKE_RATIO: f64 = 0.5;
/// Levels listed per categorical column in the profile.
const TOP_LEVELS: usize = 5;
/// A numeric feature whose rank correlation with the target reaches this is flagged as a
/// possible leak (a copy or transform of the target).
const LEAK_CORRELATION: f64 = 0.99;

/// What a column holds, as inferred from its type and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Numeric,
    Categorical,
    Boolean,
    Datetime,
    /// Free text or an identifier: nearly one distinct value per row.
    Text,
    Constant,
    /// Every value missing.
    Empty,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Kind::Numeric => "numeric",
            Kind::Categorical => "categorical",
            Kind::Boolean => "boolean",
            Kind::Datetime => "datetime",
            Kind::Text => "text/ID",
            Kind::Constant => "constant",
            Kind::Empty => "empty",
        };
        f.pad(name)
    }
}

/// An integer target column with at most this many distinct values is taken as class labels
/// (classification).
pub const MAX_INTEGER_CLASSES: usize = 10;
/// More classes than this is refused: such a target is a number or an identifier.
pub const MAX_CLASSES: usize = 100;

/// The learning task, inferred from the target or given with `--task`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    #[default]
    Regression,
    Classification,
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

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Task::Regression => "regression",
            Task::Classification => "classification",
        })
    }
}

impl std::str::FromStr for Task {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Task, String> {
        match s.to_ascii_lowercase().as_str() {
            "regression" => Ok(Task::Regression),
            "classification" => Ok(Task::Classification),
            _ => Err(format!(
                "unknown task '{s}'; choose regression or classification"
            )),
        }
    }
}

/// Summary statistics of a numeric column (missing values excluded).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NumericStats {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Sample standard deviation (n - 1).
    pub std: f64,
}

/// Equal-width bins of a numeric or datetime column's present values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Bin edges, one more than the counts; the last bin includes its upper edge.
    pub edges: Vec<f64>,
    pub counts: Vec<usize>,
}

/// Bins per histogram.
const HISTOGRAM_BINS: usize = 20;

impl Histogram {
    /// The histogram of the finite `values` between `min` and `max` (`min < max`).
    pub fn new(values: &[f64], min: f64, max: f64) -> Histogram {
        let width = (max - min) / HISTOGRAM_BINS as f64;
        let edges = (0..=HISTOGRAM_BINS)
            .map(|i| min + width * i as f64)
            .collect();
        let mut counts = vec![0; HISTOGRAM_BINS];
        for v in values.iter().filter(|v| v.is_finite()) {
            let bin = ((v - min) / width).floor() as usize;
            counts[bin.min(HISTOGRAM_BINS - 1)] += 1;
        }
        Histogram { edges, counts }
    }
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
    let names: Vec<&str> = frame
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect();
    let target_at = names
        .iter()
        .position(|n| *n == target)
        .ok_or_else(|| missing_column(&names, target, "target column", "is not in the data"))?;
    for column in ignore {
        if column == target {
            return Err(Error::InvalidSetting(format!(
                "--ignore names the target '{target}'"
            )));
        }
        if !names.contains(&column.as_str()) {
            return Err(missing_column(
                &names,
                column,
                "column",
                "given to --ignore is not in the data",
            ));
        }
    }
    let columns = frame.columns();
    let profile_at = |i: usize| {
        profile_column(columns[i].as_materialized_series(), &values[i])
            .map_err(|e| Error::Internal(format!("profiling column '{}': {e}", names[i])))
    };
    if let Values::Categorical(c) = &values[target_at] {
        number_format_error(names[target_at], c)?;
    }
    let target_profile = target_summary(profile_at(target_at)?, &values[target_at], task)?;
    let y = target_values(&values[target_at], &target_profile)?;
    let mut features = Vec::new();
    let mut warnings = Vec::new();
    for i in (0..columns.len()).filter(|&i| i != target_at) {
        let mut profile = profile_at(i)?;
        if ignore.iter().any(|c| c == names[i]) {
            profile.dropped = Some("ignored (--ignore)".into());
        } else if let Values::Categorical(c) = &values[i] {
            number_format_error(names[i], c)?;
            warnings.extend(mixed_warning(names[i], c));
        }
        if let (None, Values::Numeric(x)) = (&profile.dropped, &values[i]) {
            warnings.extend(match target_profile.classes.len() {
                0 => leak_warning(names[i], x, &y),
                2 => separation_warning(names[i], x, &y),
                _ => None,
            });
        }
        features.push(profile);
    }
    Ok(Profile {
        rows: frame.height(),
        columns: frame.width(),
        target: target_profile,
        features,
        warnings,
    })
}

/// Share of a text column's rows that must read as numbers for it to be taken as numbers in
/// another notation, or as a numeric column with stray text.
const NUMBER_SHARE: f64 = 0.9;

/// How a text value reads as a number: plain, with thousands separators (`1,234.5`), with a
/// decimal comma (`3,5`), or either of the two (`3,240`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notation {
    Plain,
    Thousands,
    DecimalComma,
    Ambiguous,
}

fn notation(text: &str) -> Option<Notation> {
    let t = text.trim();
    if t.parse::<f64>().is_ok() {
        return Some(Notation::Plain);
    }
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && digits(groups[0])
        && groups[1..].iter().all(|g| g.len() == 3 && digits(g))
        && (fraction.is_empty() || digits(fraction));
    let decimal = unsigned
        .split_once(',')
        .is_some_and(|(a, b)| digits(a) && digits(b));
    match (grouped, decimal) {
        (true, true) if !unsigned.contains('.') => Some(Notation::Ambiguous),
        (true, _) => Some(Notation::Thousands),
        (false, true) => Some(Notation::DecimalComma),
        (false, false) => None,
    }
}

/// Rows of a text column by notation: (numbers in any notation, thousands-separated, decimal
/// comma, ambiguous), and the first value in each of the last three.
fn notations(c: &Categorical) -> ([usize; 4], [Option<&str>; 4]) {
    let (mut rows, mut examples) = ([0; 4], [None; 4]);
    for (level, &count) in c.levels.iter().zip(&c.counts).filter(|(_, &n)| n > 0) {
        let Some(n) = notation(level) else { continue };
        rows[0] += count;
        let slot = match n {
            Notation::Plain => continue,
            Notation::Thousands => 1,
            Notation::DecimalComma => 2,
            Notation::Ambiguous => 3,
        };
        rows[slot] += count;
        examples[slot].get_or_insert(level.as_str());
    }
    (rows, examples)
}

/// An error for a text column that holds numbers written with thousands separators or decimal
/// commas, which would otherwise be read as text and dropped (or, as a target, as classes).
fn number_format_error(name: &str, c: &Categorical) -> Result<()> {
    let present: usize = c.counts.iter().sum();
    let (rows, examples) = notations(c);
    let formatted = rows[1] + rows[2] + rows[3];
    if formatted == 0 || (rows[0] as f64) < NUMBER_SHARE * present as f64 {
        return Ok(());
    }
    let example = |i: usize| examples[i].unwrap_or_default();
    let problem = if rows[2] > 0 {
        format!(
            "it holds numbers with decimal commas (e.g. '{}'); read the file with --decimal-comma \
             (and a separator other than ','), or leave the column out with --ignore {name}",
            example(2)
        )
    } else if rows[1] > 0 {
        format!(
            "it holds numbers with thousands separators (e.g. '{}'); save the file without \
             number formatting, or leave the column out with --ignore {name}",
            example(1)
        )
    } else {
        format!(
            "it holds numbers with thousands separators or decimal commas (e.g. '{}'); save \
             the file without number formatting (or read decimal commas with --decimal-comma), \
             or leave the column out with --ignore {name}",
            example(3)
        )
    };
    Err(Error::NumberFormat {
        column: name.to_string(),
        problem,
    })
}

/// A warning for a text column whose values are mostly plain numbers, with some text.
fn mixed_warning(name: &str, c: &Categorical) -> Option<String> {
    let present: usize = c.counts.iter().sum();
    let (rows, _) = notations(c);
    let text = present - rows[0];
    if rows[0] * 2 < present || text == 0 {
        return None;
    }
    let example = c
        .levels
        .iter()
        .zip(&c.counts)
        .find(|(l, &n)| n > 0 && notation(l).is_none())
        .map(|(l, _)| display_level(l))
        .unwrap_or_default();
    Some(format!(
        "'{name}' mixes numbers with text ({text} of {present} rows, e.g. '{example}'), so it \
         is read as text; blank or fix the text values to use it as a number"
    ))
}

/// A level as printed: newlines and tabs escaped, at most 40 characters.
pub fn display_level(level: &str) -> String {
    const MAX: usize = 40;
    let escaped = level
        .replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t");
    if escaped.chars().count() > MAX {
        let cut: String = escaped.chars().take(MAX - 1).collect();
        format!("{cut}…")
    } else {
        escaped
    }
}

/// A warning when a kept numeric feature's rank correlation with the target is nearly perfect.
fn leak_warning(name: &str, x: &[f64], y: &[f64]) -> Option<String> {
    let rho = rank_correlation(x, y)?;
    (rho.abs() >= LEAK_CORRELATION).then(|| {
        format!(
            "'{name}' has rank correlation {rho:.3} with the target: if it is a copy or \
             transform of the target, leave it out with --ignore {name}"
        )
    })
}

/// A warning when a kept numeric feature alone separates the two classes of the target almost
/// perfectly (its AUC, or 1 - AUC, reaches `LEAK_CORRELATION`).
fn separation_warning(name: &str, x: &[f64], y: &[f64]) -> Option<String> {
    let rows: Vec<usize> = (0..x.len())
        .filter(|&r| !x[r].is_nan() && !y[r].is_nan())
        .collect();
    let classes: Vec<usize> = rows.iter().map(|&r| y[r] as usize).collect();
    let scores =
        ndarray::Array2::from_shape_fn(
            (rows.len(), 2),
            |(i, c)| {
                if c == 1 {
                    x[rows[i]]
                } else {
                    0.0
                }
            },
        );
    let auc = Metric::Auc.classify(&classes, scores.view());
    let separation = auc.max(1.0 - auc);
    (separation >= LEAK_CORRELATION).then(|| {
        format!(
            "'{name}' alone separates the two classes (AUC {separation:.3}): if it is known only \
             with the target, leave it out with --ignore {name}"
        )
    })
}

/// Spearman's rank correlation over rows where both values are present.
fn rank_correlation(x: &[f64], y: &[f64]) -> Option<f64> {
    let rows: Vec<usize> = (0..x.len())
        .filter(|&r| !x[r].is_nan() && !y[r].is_nan())
        .collect();
    if rows.len() < 3 {
        return None;
    }
    let (rx, ry) = (
        ranks(rows.iter().map(|&r| x[r])),
        ranks(rows.iter().map(|&r| y[r])),
    );
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let cov: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = rx.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = ry.iter().map(|b| (b - my).powi(2)).sum();
    (vx > 0.0 && vy > 0.0).then(|| cov / (vx * vy).sqrt())
}

/// Ranks from 1, ties sharing their average rank.
fn ranks(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let values: Vec<f64> = values.collect();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let average = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = average;
        }
        start = end;
    }
    ranks
}

/// Mean and sample standard deviation of the finite `values`, computed on values divided by
/// `scale` (the largest magnitude) so that sums of values near the float limits do not
/// overflow.
fn mean_and_std(values: &[f64], scale: f64) -> (f64, f64) {
    let scale = if scale > 0.0 && scale.is_finite() {
        scale
    } else {
        1.0
    };
    let scaled: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| v / scale)
        .collect();
    let n = scaled.len() as f64;
    let mean = scaled.iter().sum::<f64>() / n;
    let variance = scaled.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean * scale, variance.sqrt() * scale)
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
                let (mean, std) = mean_and_std(v, min.abs().max(max.abs()));
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

fn target_summary(
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
                 takes; if it is a quantity, use --task regression",
                classes.len()
            ),
        });
    }
    let mut column = column;
    column.dropped = None;
    Ok(TargetProfile {
        column,
        task,
        classes,
        rows_dropped,
        rows_used,
    })
}

/// The class label of a classification target's value at `row`, or `None` when missing.
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
pub(crate) fn target_values(values: &Values, target: &TargetProfile) -> Result<Vec<f64>> {
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

/// An error for a column name that is not in the data, with close names as a hint.
pub(crate) fn missing_column(names: &[&str], wanted: &str, what: &str, problem: &str) -> Error {
    let lower = wanted.to_lowercase();
    let close: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            let n = n.to_lowercase();
            let (short, long) = if n.len() < lower.len() {
                (&n, &lower)
            } else {
                (&lower, &n)
            };
            (short.chars().count() >= 3 && long.contains(short.as_str()))
                || edit_distance(&n, &lower) <= lower.chars().count() / 3
        })
        .collect();
    let separator = [';', '\t', '|']
        .into_iter()
        .find(|&c| names.len() == 1 && names[0].contains(c));
    let hint = if let Some(c) = separator {
        let flag = if c == '\t' {
            "\\t".to_string()
        } else {
            c.to_string()
        };
        format!(
            "the header was read as one column '{}': is the file separated by '{flag}'? read it \
             with --sep '{flag}'",
            display_level(names[0])
        )
    } else if close.is_empty() {
        format!("the columns are: {}", names.join(", "))
    } else {
        format!("did you mean {}?", close.join(" or "))
    };
    Error::MissingColumn {
        what: what.to_string(),
        column: wanted.to_string(),
        problem: problem.to_string(),
        hint,
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
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
    frame
        .columns()
        .iter()
        .map(|c| {
            column::convert(c.as_materialized_series())
                .map_err(|e| Error::Internal(format!("reading column '{}': {e}", c.name())))
        })
        .collect()
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.target;
        writeln!(
            f,
            "{} rows x {} columns; target '{}' ({}): {} rows used, {} dropped (target missing)",
            self.rows, self.columns, t.column.name, t.task, t.rows_used, t.rows_dropped
        )?;
        if !t.classes.is_empty() {
            let balance: Vec<String> = t
                .classes
                .iter()
                .map(|c| {
                    let share = 100.0 * c.count as f64 / t.rows_used.max(1) as f64;
                    format!("{} {} ({share:.1}%)", c.level, c.count)
                })
                .collect();
            writeln!(f, "  {} classes: {}", t.classes.len(), balance.join(", "))?;
        }
        let width = std::iter::once(&t.column)
            .chain(&self.features)
            .map(|c| c.name.chars().count() + 1)
            .max()
            .unwrap_or(6);
        let width = width.clamp(6, 28);
        writeln!(
            f,
            "  {:<width$}  {:<11} {:>7} {:>8}  summary",
            "column", "kind", "missing", "distinct"
        )?;
        for c in std::iter::once(&t.column).chain(&self.features) {
            let mut name: String = c.name.chars().take(width).collect();
            if c.name == t.column.name {
                name = format!("{name}*");
            }
            let summary = match &c.dropped {
                Some(reason) => format!("DROPPED: {reason}"),
                None => c.summary(),
            };
            writeln!(
                f,
                "  {name:<width$}  {:<11} {:>7} {:>8}  {summary}",
                c.kind, c.missing, c.distinct
            )?;
        }
        write!(f, "  (* target)")?;
        for warning in &self.warnings {
            write!(f, "\n  warning: {warning}")?;
        }
        Ok(())
    }
}

impl ColumnProfile {
    /// One line: range, mean and std of numbers, the date range, or the top levels with counts.
    pub fn summary(&self) -> String {
        if let Some(s) = self.stats {
            return format!(
                "min {} max {} mean {} std {}",
                num(s.min),
                num(s.max),
                num(s.mean),
                num(s.std)
            );
        }
        if let Some((from, to)) = &self.range {
            return format!("{from} .. {to}");
        }
        self.top
            .iter()
            .map(|l| format!("{} ({})", display_level(&l.level), l.count))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn num(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
        format!("{x:.3e}")
    } else {
        format!("{}", (x * 1000.0).round() / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn histogram_bins_cover_min_to_max() {
        let values = [0.0, 1.0, 9.9, 10.0, f64::NAN, 5.0];
        let h = Histogram::new(&values, 0.0, 10.0);
        assert_eq!(h.edges.len(), 21);
        assert_eq!((h.edges[0], h.edges[20]), (0.0, 10.0));
        assert_eq!(h.counts.iter().sum::<usize>(), 5);
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts[2], 1);
        assert_eq!(h.counts[10], 1);
        // 9.9 and the maximum itself fall in the last bin.
        assert_eq!(h.counts[19], 2);
    }

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
        assert_eq!(p.features[0].dropped.as_deref(), Some("ignored (--ignore)"));
        let err = profile(&df, &values, "y", &["xx".into()], None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("column 'xx' given to --ignore is not in the data"),
            "{err}"
        );
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
    fn ranks_average_ties() {
        assert_eq!(
            ranks([3.0, 1.0, 3.0, 2.0].into_iter()),
            vec![3.5, 1.0, 3.5, 2.0]
        );
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
