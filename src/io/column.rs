//! Typed column values: each input column converted once from polars into the plain vectors the
//! rest of the engine reads (numbers with NaN for missing, categorical codes, timestamps).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use polars::prelude::*;

/// Code of a missing categorical value.
pub const MISSING: u32 = u32::MAX;

/// Date and date-time layouts recognised in text columns (ISO 8601 and its common variants).
const DATETIME_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
];
const DATE_FORMATS: [&str; 2] = ["%Y-%m-%d", "%Y/%m/%d"];

/// A column's values after conversion.
#[derive(Debug, Clone)]
pub enum Values {
    /// Numbers (booleans as 0/1); NaN marks a missing or non-finite value.
    Numeric(Vec<f64>),
    /// Text levels, trimmed of surrounding spaces.
    Categorical(Categorical),
    /// Seconds since the Unix epoch (UTC); NaN marks a missing value.
    Datetime(Vec<f64>),
}

/// Categorical values as codes into `levels`; `MISSING` marks a missing value.
#[derive(Debug, Clone)]
pub struct Categorical {
    pub codes: Vec<u32>,
    /// Levels in order of first appearance.
    pub levels: Vec<String>,
    /// Rows per level, parallel to `levels`.
    pub counts: Vec<usize>,
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Numeric(v) | Values::Datetime(v) => v.len(),
            Values::Categorical(c) => c.codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_missing(&self, row: usize) -> bool {
        match self {
            Values::Numeric(v) | Values::Datetime(v) => v[row].is_nan(),
            Values::Categorical(c) => c.codes[row] == MISSING,
        }
    }

    pub fn missing_count(&self) -> usize {
        (0..self.len()).filter(|&r| self.is_missing(r)).count()
    }

    /// Keeps only `rows`, in that order.
    pub fn take(&self, rows: &[usize]) -> Values {
        match self {
            Values::Numeric(v) => Values::Numeric(rows.iter().map(|&r| v[r]).collect()),
            Values::Datetime(v) => Values::Datetime(rows.iter().map(|&r| v[r]).collect()),
            Values::Categorical(c) => {
                let codes: Vec<u32> = rows.iter().map(|&r| c.codes[r]).collect();
                let mut counts = vec![0; c.levels.len()];
                for &code in codes.iter().filter(|&&c| c != MISSING) {
                    counts[code as usize] += 1;
                }
                Values::Categorical(Categorical {
                    codes,
                    levels: c.levels.clone(),
                    counts,
                })
            }
        }
    }
}

/// Converts a polars column. Text columns whose every value is a date or date-time become
/// `Datetime`; other text becomes `Categorical`.
pub fn convert(series: &Series) -> Result<Values, PolarsError> {
    match series.dtype() {
        DataType::String => {
            let strings = series.str()?;
            Ok(parse_datetimes(strings)
                .map(Values::Datetime)
                .unwrap_or_else(|| Values::Categorical(categorical(strings))))
        }
        DataType::Date => {
            let days = series.cast(&DataType::Int32)?;
            Ok(Values::Datetime(
                days.i32()?
                    .iter()
                    .map(|d| d.map_or(f64::NAN, |d| d as f64 * 86_400.0))
                    .collect(),
            ))
        }
        DataType::Datetime(unit, _) => {
            let per_second = match unit {
                TimeUnit::Nanoseconds => 1e9,
                TimeUnit::Microseconds => 1e6,
                TimeUnit::Milliseconds => 1e3,
            };
            let raw = series.cast(&DataType::Int64)?;
            Ok(Values::Datetime(
                raw.i64()?
                    .iter()
                    .map(|t| t.map_or(f64::NAN, |t| t as f64 / per_second))
                    .collect(),
            ))
        }
        dtype if dtype.is_primitive_numeric() || dtype.is_bool() => {
            let floats = series.cast(&DataType::Float64)?;
            Ok(Values::Numeric(
                floats
                    .f64()?
                    .iter()
                    .map(|v| v.filter(|v| v.is_finite()).unwrap_or(f64::NAN))
                    .collect(),
            ))
        }
        other => Err(PolarsError::ComputeError(
            format!("unsupported column type {other}").into(),
        )),
    }
}

/// Codes text values (trimmed; empty is missing) by order of first appearance.
pub fn categorical(strings: &StringChunked) -> Categorical {
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut levels = Vec::new();
    let mut counts = Vec::new();
    let codes = strings
        .iter()
        .map(
            |value| match value.map(str::trim).filter(|v| !v.is_empty()) {
                None => MISSING,
                Some(v) => {
                    let code = *index.entry(v).or_insert_with(|| {
                        levels.push(v.to_string());
                        counts.push(0);
                        (levels.len() - 1) as u32
                    });
                    counts[code as usize] += 1;
                    code
                }
            },
        )
        .collect();
    Categorical {
        codes,
        levels,
        counts,
    }
}

/// Seconds since the epoch for every value, or `None` as soon as one non-empty value is not a
/// date (so a text column is scanned only as far as its first non-date).
fn parse_datetimes(strings: &StringChunked) -> Option<Vec<f64>> {
    let mut seen = 0usize;
    let parsed: Option<Vec<f64>> = strings
        .iter()
        .map(
            |value| match value.map(str::trim).filter(|v| !v.is_empty()) {
                None => Some(f64::NAN),
                Some(v) => {
                    seen += 1;
                    parse_datetime(v)
                }
            },
        )
        .collect();
    parsed.filter(|_| seen > 0)
}

/// Parses one date or date-time into seconds since the epoch (UTC).
pub fn parse_datetime(text: &str) -> Option<f64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp() as f64);
    }
    DATETIME_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            DATE_FORMATS
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|t| t.and_utc().timestamp() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_dates_and_times() {
        assert_eq!(parse_datetime("1970-01-02"), Some(86_400.0));
        assert_eq!(parse_datetime("1970-01-01T00:01:00Z"), Some(60.0));
        assert_eq!(parse_datetime("1970-01-01 00:00:05"), Some(5.0));
        assert_eq!(parse_datetime("Wed"), None);
        assert_eq!(parse_datetime("12"), None);
    }

    #[test]
    fn text_is_trimmed_and_counted() {
        let s = Series::new(
            "g".into(),
            &[Some(" Male"), Some("Female"), None, Some("Male ")],
        );
        let Values::Categorical(c) = convert(&s).unwrap() else {
            panic!("expected categorical")
        };
        assert_eq!(c.levels, vec!["Male", "Female"]);
        assert_eq!(c.counts, vec![2, 1]);
        assert_eq!(c.codes, vec![0, 1, MISSING, 0]);
    }

    #[test]
    fn date_text_becomes_datetime() {
        let s = Series::new("d".into(), &[Some("2020-01-01"), None, Some("2020-01-02")]);
        let Values::Datetime(v) = convert(&s).unwrap() else {
            panic!("expected datetime")
        };
        assert_eq!(v[2] - v[0], 86_400.0);
        assert!(v[1].is_nan());
    }
}
