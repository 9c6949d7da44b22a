//! New rows from a `automl serve --log-predictions` file: every logged request's input rows, in
//! order, typed as the server typed them.

use std::path::Path;

use polars::prelude::DataFrame;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::serve::{records_frame, BodyError};

/// Whether `bytes` look like a prediction log (JSON lines) rather than CSV.
pub fn is_log(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The rows logged in `bytes` (read from `path`), and a warning when the last line was cut short
/// (a server still writing it) and left out.
pub fn read_log(bytes: &[u8], path: &Path) -> Result<(DataFrame, Vec<String>)> {
    let bad = |reason: String| Error::Log {
        path: path.to_path_buf(),
        reason,
    };
    let text =
        std::str::from_utf8(bytes).map_err(|e| bad(format!("it is not UTF-8 text ({e})")))?;
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: Value = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(_) if i + 1 == lines.len() => {
                warnings.push(format!(
                    "{}: the last line is incomplete (still being written?) and was left out",
                    path.display()
                ));
                continue;
            }
            Err(e) => return Err(bad(format!("line {} is not JSON ({e})", i + 1))),
        };
        match record.get("rows") {
            Some(Value::Array(r)) => rows.extend(r.iter().cloned()),
            _ => {
                return Err(bad(format!(
                    "line {} has no \"rows\" list; give a file written by `automl serve \
                     --log-predictions`, or a CSV file",
                    i + 1
                )))
            }
        }
    }
    if rows.is_empty() {
        return Err(Error::NotEnoughData(format!(
            "{} holds no logged rows",
            path.display()
        )));
    }
    let frame = records_frame(rows).map_err(|e| match e {
        BodyError::Bad(m) | BodyError::MediaType(m) => bad(m),
    })?;
    Ok((frame, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_rows_become_a_table() {
        let log = b"{\"rows\":[{\"a\":1,\"b\":\"x\"}],\"predictions\":[2]}\n\
                    {\"rows\":[{\"a\":2.5,\"b\":\"y\"},{\"a\":null,\"b\":\"x\"}]}\n{\"rows\":[{\"a\"";
        assert!(is_log(log));
        let (frame, warnings) = read_log(log, Path::new("p.jsonl")).unwrap();
        assert_eq!(frame.shape(), (3, 2));
        assert_eq!(warnings.len(), 1);
        let err = read_log(b"{\"x\":1}\n", Path::new("p.jsonl")).unwrap_err();
        assert!(err.to_string().contains("line 1 has no \"rows\""), "{err}");
        assert!(!is_log(b"a,b\n1,2\n"));
    }
}
