//! A scoring request's body as MLflow's scoring server reads it: JSON with exactly one of
//! `dataframe_split`, `dataframe_records`, `instances` or `inputs` (and optional `params`), or CSV
//! text with a header row. The rows become a polars table, which the model then reads as
//! `automl predict` reads a file.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use serde_json::{Map, Value};

use crate::io::load::{read_csv_bytes, CsvOptions};

/// The body shapes a JSON request may have.
pub const SHAPES: [&str; 4] = [
    "dataframe_split",
    "dataframe_records",
    "instances",
    "inputs",
];

/// What a request asks for.
#[derive(Debug)]
pub struct ScoringRequest {
    pub rows: DataFrame,
    /// Classification: also answer each class's probability (`"params": {"predict_proba": true}`).
    pub proba: bool,
}

/// Why a body is not a request: a message for a 400 answer, or an unsupported media type (415).
#[derive(Debug, PartialEq)]
pub enum BodyError {
    Bad(String),
    MediaType(String),
}

fn bad(message: impl Into<String>) -> BodyError {
    BodyError::Bad(message.into())
}

/// Parses a body of `content_type`.
pub fn parse(content_type: Option<&str>, body: Vec<u8>) -> Result<ScoringRequest, BodyError> {
    let Some(content_type) = content_type else {
        return Err(BodyError::MediaType(
            "no Content-Type: send application/json or text/csv".into(),
        ));
    };
    let mut parts = content_type.split(';').map(str::trim);
    let mime = parts.next().unwrap_or("").to_ascii_lowercase();
    for part in parts {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let value = value.trim().trim_matches('"').to_ascii_lowercase();
        if key.trim().eq_ignore_ascii_case("charset") && value != "utf-8" && value != "utf8" {
            return Err(BodyError::MediaType(format!(
                "charset {value} is not supported: send UTF-8"
            )));
        }
    }
    if body.is_empty() {
        return Err(bad("the body is empty: send rows to predict"));
    }
    match mime.as_str() {
        "application/json" => json(&body),
        "text/csv" => {
            let rows = read_csv_bytes(body, &CsvOptions::default(), Path::new("the CSV body"))
                .map_err(|e| bad(crate::error::chain(&e)))?;
            Ok(ScoringRequest { rows, proba: false })
        }
        other => Err(BodyError::MediaType(format!(
            "Content-Type {other} is not supported: send application/json or text/csv"
        ))),
    }
}

/// Rows given as JSON objects (column name to value) as a table, typed as a request's are.
pub fn records_frame(rows: Vec<Value>) -> Result<DataFrame, BodyError> {
    frame(record_columns("rows", rows)?)
}

fn json(body: &[u8]) -> Result<ScoringRequest, BodyError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("the body is not valid JSON: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(bad(format!(
            "the body must be a JSON object with one of {}",
            SHAPES.join(", ")
        )));
    };
    let proba = match object.remove("params") {
        None | Some(Value::Null) => false,
        Some(Value::Object(params)) => match params.get("predict_proba") {
            None | Some(Value::Bool(false)) => false,
            Some(Value::Bool(true)) => true,
            Some(other) => {
                return Err(bad(format!(
                    "params.predict_proba must be true or false, got {other}"
                )))
            }
        },
        Some(other) => return Err(bad(format!("params must be an object, got {other}"))),
    };
    let found: Vec<&str> = SHAPES
        .iter()
        .copied()
        .filter(|k| object.contains_key(*k))
        .collect();
    let unknown: Vec<&String> = object
        .keys()
        .filter(|k| !SHAPES.contains(&k.as_str()))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|k| format!("'{k}'")).collect();
        return Err(bad(format!(
            "unknown field(s) {}: the body takes one of {} (and params)",
            names.join(", "),
            SHAPES.join(", ")
        )));
    }
    let [shape] = found[..] else {
        return Err(bad(format!(
            "the body must have exactly one of {}, it has {}",
            SHAPES.join(", "),
            if found.is_empty() {
                "none".to_string()
            } else {
                found.join(" and ")
            }
        )));
    };
    let value = object.remove(shape).unwrap_or(Value::Null);
    let columns = match (shape, value) {
        ("dataframe_split", Value::Object(split)) => split_columns(split)?,
        ("dataframe_records" | "instances", Value::Array(rows)) => record_columns(shape, rows)?,
        ("inputs", Value::Array(rows)) => record_columns(shape, rows)?,
        ("inputs", Value::Object(columns)) => column_arrays(columns)?,
        (shape, other) => {
            return Err(bad(format!(
                "{shape} must be {}, got {}",
                match shape {
                    "dataframe_split" => "an object with columns and data",
                    "inputs" => "an object of columns or a list of rows",
                    _ => "a list of row objects",
                },
                kind(&other)
            )))
        }
    };
    Ok(ScoringRequest {
        rows: frame(columns)?,
        proba,
    })
}

/// Columns by name, each a list of values in row order.
type Columns = Vec<(String, Vec<Value>)>;

fn split_columns(mut split: Map<String, Value>) -> Result<Columns, BodyError> {
    let names: Vec<String> = match split.remove("columns") {
        Some(Value::Array(names)) => names
            .into_iter()
            .map(|n| match n {
                Value::String(s) => Ok(s),
                other => Err(bad(format!(
                    "dataframe_split.columns must hold names, got {}",
                    kind(&other)
                ))),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(bad("dataframe_split needs columns: a list of names")),
    };
    let Some(Value::Array(data)) = split.remove("data") else {
        return Err(bad("dataframe_split needs data: a list of rows"));
    };
    let mut columns: Columns = names.into_iter().map(|n| (n, Vec::new())).collect();
    for (i, row) in data.into_iter().enumerate() {
        let Value::Array(values) = row else {
            return Err(bad(format!(
                "dataframe_split.data row {} is not a list",
                i + 1
            )));
        };
        if values.len() != columns.len() {
            return Err(bad(format!(
                "dataframe_split.data row {} has {} values for {} columns",
                i + 1,
                values.len(),
                columns.len()
            )));
        }
        for (column, value) in columns.iter_mut().zip(values) {
            column.1.push(value);
        }
    }
    Ok(columns)
}

fn record_columns(shape: &str, rows: Vec<Value>) -> Result<Columns, BodyError> {
    let count = rows.len();
    let mut columns: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        let Value::Object(fields) = row else {
            return Err(bad(format!(
                "{shape} row {} must be an object of column values, got {}",
                i + 1,
                kind(&row)
            )));
        };
        for (name, value) in fields {
            let column = columns.entry(name.clone()).or_insert_with(|| {
                order.push(name);
                vec![Value::Null; count]
            });
            column[i] = value;
        }
    }
    Ok(order
        .into_iter()
        .map(|n| {
            let values = columns.remove(&n).unwrap_or_default();
            (n, values)
        })
        .collect())
}

fn column_arrays(columns: Map<String, Value>) -> Result<Columns, BodyError> {
    let mut out: Columns = Vec::new();
    for (name, values) in columns {
        let Value::Array(values) = values else {
            return Err(bad(format!("inputs.{name} must be a list of values")));
        };
        if let Some((_, first)) = out.first() {
            if first.len() != values.len() {
                return Err(bad(format!(
                    "inputs.{name} has {} values, inputs.{} has {}",
                    values.len(),
                    out[0].0,
                    first.len()
                )));
            }
        }
        out.push((name, values));
    }
    Ok(out)
}

/// The table of `columns`: a column of numbers (and nulls) is numeric, one of booleans boolean,
/// any other column text, as a CSV reader would type it.
fn frame(columns: Columns) -> Result<DataFrame, BodyError> {
    if columns.is_empty() || columns[0].1.is_empty() {
        return Err(bad("the body has no rows to predict"));
    }
    let height = columns[0].1.len();
    let mut series = Vec::with_capacity(columns.len());
    for (name, values) in columns {
        for (row, v) in values.iter().enumerate() {
            if matches!(v, Value::Array(_) | Value::Object(_)) {
                return Err(bad(format!(
                    "column '{name}', row {}: a nested value; send one value per column",
                    row + 1
                )));
            }
        }
        let numbers = values.iter().all(|v| v.is_number() || v.is_null());
        let booleans = values.iter().all(|v| v.is_boolean() || v.is_null());
        let s = if numbers && values.iter().any(Value::is_number) {
            let v: Vec<Option<f64>> = values.iter().map(Value::as_f64).collect();
            Series::new(name.as_str().into(), v)
        } else if booleans && values.iter().any(Value::is_boolean) {
            let v: Vec<Option<bool>> = values.iter().map(Value::as_bool).collect();
            Series::new(name.as_str().into(), v)
        } else {
            let v: Vec<Option<String>> = values
                .iter()
                .map(|v| match v {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                })
                .collect();
            Series::new(name.as_str().into(), v)
        };
        series.push(Column::from(s));
    }
    DataFrame::new(height, series).map_err(|e| bad(format!("the rows do not make a table: {e}")))
}

/// What a JSON value is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(body: &str) -> DataFrame {
        parse(Some("application/json"), body.as_bytes().to_vec())
            .unwrap()
            .rows
    }

    #[test]
    fn every_shape_gives_the_same_table() {
        let split = rows(
            r#"{"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"], [2.5, null]]}}"#,
        );
        let records = rows(r#"{"dataframe_records": [{"a": 1, "b": "x"}, {"a": 2.5}]}"#);
        let instances = rows(r#"{"instances": [{"a": 1, "b": "x"}, {"a": 2.5, "b": null}]}"#);
        let inputs = rows(r#"{"inputs": {"a": [1, 2.5], "b": ["x", null]}}"#);
        for other in [&records, &instances, &inputs] {
            assert!(split.equals_missing(other), "{split} {other}");
        }
        let csv = parse(
            Some("text/csv; charset=utf-8"),
            b"a,b\n1,x\n2.5,\n".to_vec(),
        )
        .unwrap();
        assert_eq!(
            csv.rows.column("a").unwrap().f64().unwrap().get(1),
            Some(2.5)
        );
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        let err = |ct: Option<&str>, body: &str| parse(ct, body.as_bytes().to_vec()).unwrap_err();
        let json = Some("application/json");
        assert!(matches!(
            err(Some("text/plain"), "x"),
            BodyError::MediaType(_)
        ));
        assert!(matches!(
            err(Some("application/json; charset=latin-1"), "{}"),
            BodyError::MediaType(_)
        ));
        assert!(matches!(err(None, "{}"), BodyError::MediaType(_)));
        for (body, needle) in [
            ("", "empty"),
            ("{", "not valid JSON"),
            ("[1]", "JSON object"),
            ("{}", "exactly one"),
            (
                r#"{"inputs": {"a": [1]}, "instances": [{"a": 1}]}"#,
                "instances and inputs",
            ),
            (r#"{"rows": []}"#, "unknown field(s) 'rows'"),
            (
                r#"{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}"#,
                "row 1 has 2 values",
            ),
            (
                r#"{"dataframe_records": [{"a": [1]}]}"#,
                "column 'a', row 1: a nested value",
            ),
            (r#"{"dataframe_records": []}"#, "no rows"),
            (
                r#"{"instances": [1, 2]}"#,
                "instances row 1 must be an object",
            ),
            (r#"{"inputs": {"a": [1], "b": [1, 2]}}"#, "has 2 values"),
            (
                r#"{"inputs": [], "params": {"predict_proba": 1}}"#,
                "predict_proba",
            ),
        ] {
            let BodyError::Bad(message) = err(json, body) else {
                panic!("{body}")
            };
            assert!(message.contains(needle), "{body}: {message}");
        }
    }
}
