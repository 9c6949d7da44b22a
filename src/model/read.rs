//! Reading new rows as the model's training kinds, and what is noticed on the way: unseen
//! levels, imputed values.

use std::collections::{BTreeMap, HashSet};

use polars::prelude::*;

use super::InputColumn;
use crate::error::{Error, Result};
use crate::io::column::{self, Values, MISSING};
use crate::preprocess::Step;

/// Reads a column as the kind its preprocessing step expects.
pub(super) fn read_as(series: &Series, step: &Step) -> Result<Values> {
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
pub(super) fn notice(input: &InputColumn, values: &Values) -> Vec<String> {
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
