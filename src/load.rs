//! Reading a CSV file into a polars `DataFrame`.

use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};

/// Strings read as missing in every column, on top of empty fields (as pandas and R do).
pub const NULL_LITERALS: [&str; 6] = ["NA", "N/A", "NULL", "null", "NaN", "nan"];

/// How to parse the input file.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Field delimiter, `,` by default.
    pub separator: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { separator: b',' }
    }
}

/// Reads a CSV with a header row. The whole file is scanned to infer column types, so a value
/// far down a column cannot break the read.
pub fn read_csv(path: &Path, options: &CsvOptions) -> Result<DataFrame> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let csv_error = |reason: String| Error::Csv {
        path: path.to_path_buf(),
        reason,
    };
    if meta.is_dir() {
        return Err(csv_error(
            "it is a directory; give the path of a CSV file".into(),
        ));
    }
    if meta.len() == 0 {
        return Err(csv_error(
            "the file is empty; it needs a header row and data rows".into(),
        ));
    }
    let nulls: Vec<PlSmallStr> = NULL_LITERALS.iter().map(|s| PlSmallStr::from(*s)).collect();
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .map_parse_options(|parse| {
            parse
                .with_separator(options.separator)
                .with_null_values(Some(NullValues::AllColumns(nulls.clone())))
        })
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish())
        .map_err(|e| csv_error(e.to_string()))?;
    if frame.width() == 0 {
        return Err(csv_error("no columns found".into()));
    }
    if frame.height() == 0 {
        return Err(csv_error("it has a header row but no data rows".into()));
    }
    Ok(frame)
}
