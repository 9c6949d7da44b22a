//! Reading a CSV file into a polars `DataFrame`.

use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result, Setting};

/// Strings read as missing in every column, on top of empty fields (as pandas and R do).
pub const NULL_LITERALS: [&str; 6] = ["NA", "N/A", "NULL", "null", "NaN", "nan"];

/// How to parse the input file.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Field delimiter, `,` by default.
    pub separator: u8,
    /// Numbers are written with a decimal comma (`3,5`); the separator must then not be `,`.
    pub decimal_comma: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            separator: b',',
            decimal_comma: false,
        }
    }
}

/// Reads a CSV with a header row. The whole file is scanned to infer column types, so a value
/// far down a column cannot break the read. Before polars parses it, the file is checked for
/// what polars would accept silently or explain poorly (see [`check_text`]). Header names are
/// trimmed of surrounding spaces, as values are, and rows with every field empty (blank lines)
/// are skipped.
pub fn read_csv(path: &Path, options: &CsvOptions) -> Result<DataFrame> {
    read_csv_bytes(read_data(path)?, options, path)
}

/// The bytes of the data file at `path`: a directory or an empty file is refused with a
/// message saying what to give instead.
pub fn read_data(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let csv_error = |reason: &str| Error::Csv {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    if meta.is_dir() {
        return Err(csv_error("it is a directory; give the path of a CSV file"));
    }
    if meta.len() == 0 {
        return Err(csv_error(
            "the file is empty; it needs a header row and data rows",
        ));
    }
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The separator and decimal mark can be read together.
fn check_options(options: &CsvOptions) -> Result<()> {
    if matches!(options.separator, b'"' | b'\n' | b'\r') {
        return Err(Error::InvalidSetting(format!(
            "the field separator cannot be a quote or a line break; give another with {}",
            Setting::Separator
        )));
    }
    if options.decimal_comma && options.separator == b',' {
        return Err(Error::InvalidSetting(format!(
            "{} needs a field separator other than ','; give it with {sep}, e.g. {sep} ';'",
            Setting::DecimalComma,
            sep = Setting::Separator
        )));
    }
    Ok(())
}

/// Reads CSV text already in memory (a request's body) as [`read_csv`] reads a file, with the
/// same checks; `source` names it in messages.
pub fn read_csv_bytes(bytes: Vec<u8>, options: &CsvOptions, source: &Path) -> Result<DataFrame> {
    let path = source;
    let csv_error = |reason: String| Error::Csv {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.is_empty() {
        return Err(csv_error(
            "it is empty; it needs a header row and data rows".into(),
        ));
    }
    check_options(options)?;
    // A large file's raw text is checked on a thread of its own beside the parse (both read
    // the whole file; its reasons come first when both fail); a small one's (a request's body)
    // before it, as starting a thread would cost more than it saves. The parse stays on the
    // calling thread, whose stack polars may need (a file of thousands of columns).
    let parsed = if bytes.len() < CHECK_BESIDE_BYTES {
        check_text(&bytes, options.separator).map_err(csv_error)?;
        parse(&bytes, options)
    } else {
        let (checked, parsed) = std::thread::scope(|scope| {
            let checking = scope.spawn(|| check_text(&bytes, options.separator));
            let parsed = parse(&bytes, options);
            (checking.join(), parsed)
        });
        checked
            .unwrap_or_else(|_| Err("checking its text failed".into()))
            .map_err(csv_error)?;
        parsed
    };
    let mut frame = parsed.map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    if frame.width() == 0 {
        return Err(csv_error("no columns found".into()));
    }
    let trimmed: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.trim().to_string())
        .collect();
    frame
        .set_column_names(&trimmed)
        .map_err(|e| csv_error(e.to_string()))?;
    let blank = frame
        .columns()
        .iter()
        .fold(None::<BooleanChunked>, |all, c| {
            let missing = c.is_null();
            Some(all.map_or(missing.clone(), |a| a & missing))
        });
    if let Some(blank) = blank.filter(|b| b.any()) {
        frame = frame
            .filter(&!blank)
            .map_err(|e| csv_error(e.to_string()))?;
    }
    if frame.height() == 0 {
        return Err(csv_error("it has a header row but no data rows".into()));
    }
    Ok(frame)
}

/// Files of at least this many bytes have their text checked beside the parse.
const CHECK_BESIDE_BYTES: usize = 1 << 20;

/// Parses CSV text with polars, inferring each column's type from every row.
fn parse(bytes: &[u8], options: &CsvOptions) -> PolarsResult<DataFrame> {
    let nulls: Vec<PlSmallStr> = NULL_LITERALS.iter().map(|s| PlSmallStr::from(*s)).collect();
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .map_parse_options(|parse| {
            parse
                .with_separator(options.separator)
                .with_decimal_comma(options.decimal_comma)
                .with_null_values(Some(NullValues::AllColumns(nulls.clone())))
        })
        .into_reader_with_file_handle(std::io::Cursor::new(bytes))
        .finish()
}

/// File signatures of formats that are not CSV text, with what to do.
const NOT_TEXT: [(&[u8], &str); 6] = [
    (
        b"\x1f\x8b",
        "it is gzip-compressed; decompress it first (gunzip)",
    ),
    (
        b"PK\x03\x04",
        "it is a zip archive (or an Excel workbook); extract or export it as CSV",
    ),
    (b"\x89PNG", "it is a PNG image, not CSV text"),
    (b"%PDF", "it is a PDF document, not CSV text"),
    (b"PAR1", "it is a Parquet file, not CSV text"),
    (
        b"BZh",
        "it is bzip2-compressed; decompress it first (bunzip2)",
    ),
];

/// Checks the raw file: a known binary format, bytes that are not UTF-8 text, duplicate header
/// names, a row with another number of fields than the header (naming its line), and a quote
/// that is never closed. The reason comes back in words.
pub fn check_text(bytes: &[u8], separator: u8) -> std::result::Result<(), String> {
    if let Some((_, what)) = NOT_TEXT.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Err(what.to_string());
    }
    let head = &bytes[..bytes.len().min(8192)];
    let control = head
        .iter()
        .filter(|&&b| b < 0x09 || (0x0e..0x20).contains(&b))
        .count();
    if control * 20 > head.len() {
        return Err("it looks like a binary file, not CSV text".into());
    }
    if let Some(line) = unclosed_quote(bytes, separator) {
        return Err(format!(
            "the quoted field that starts on line {line} is never closed; add the closing quote"
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut header: Vec<String> = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(format!("line {line}: {e}")),
        }
        let line = record.position().map_or(line, |p| p.line());
        for (i, field) in record.iter().enumerate() {
            if std::str::from_utf8(field).is_err() {
                let column = header
                    .get(i)
                    .map_or(String::new(), |n| format!(", column '{n}'"));
                return Err(format!(
                    "line {line}{column}: the bytes are not UTF-8 text; save the file as UTF-8"
                ));
            }
        }
        if header.is_empty() {
            header = record
                .iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect();
            if let Some((i, name)) = header
                .iter()
                .enumerate()
                .find(|(i, n)| header[..*i].contains(n))
            {
                let first = header.iter().position(|n| n == name).unwrap_or(0);
                return Err(format!(
                    "the column name '{name}' appears more than once (columns {} and {}); \
                     rename one so that every name is unique",
                    first + 1,
                    i + 1
                ));
            }
            continue;
        }
        if record.len() != header.len() {
            let multiline = record.iter().any(|f| f.contains(&b'\n'));
            let hint = if multiline {
                ": a quoted field there runs over several lines, perhaps to the end of the \
                 file; is a closing quote missing?"
            } else {
                "; every row needs one field per column"
            };
            let fields = |n: usize| format!("{n} field{}", if n == 1 { "" } else { "s" });
            return Err(format!(
                "line {line} has {}, the header has {}{hint}",
                fields(record.len()),
                fields(header.len())
            ));
        }
    }
}

/// The line where a quoted field opens that the file never closes (RFC 4180 quoting: a field
/// that starts with a quote ends at a quote not followed by another).
fn unclosed_quote(bytes: &[u8], separator: u8) -> Option<usize> {
    let (mut line, mut opened) = (1, 0);
    let (mut quoted, mut field_start) = (false, true);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if quoted {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == b'"' && field_start {
            quoted = true;
            opened = line;
        }
        field_start = !quoted && (b == separator || b == b'\n');
        if b == b'\n' {
            line += 1;
            if !quoted {
                field_start = true;
            }
        }
        i += 1;
    }
    quoted.then_some(opened)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_files_text_reasons_come_before_the_parsers() {
        // Checked beside the parse: a row with a field too many, past the first megabyte.
        let mut text = String::from("a,b\n");
        while text.len() <= CHECK_BESIDE_BYTES {
            text.push_str("1.5,2.5\n");
        }
        let line = text.lines().count() + 1;
        text.push_str("1,2,3\n");
        let err = read_csv_bytes(
            text.into_bytes(),
            &CsvOptions::default(),
            Path::new("big.csv"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(&format!("line {line} has 3 fields, the header has 2")),
            "{err}"
        );
    }

    #[test]
    fn an_unclosed_quote_is_found_with_its_line() {
        assert_eq!(unclosed_quote(b"a,b\n1,\"x\n2,3\n", b','), Some(2));
        assert_eq!(unclosed_quote(b"a\n\"", b','), Some(2));
        assert_eq!(
            unclosed_quote(b"a,b\n1,\"x\"\"y\"\n\"p\nq\",2\n", b','),
            None
        );
        // A quote inside an unquoted field is a character, not quoting.
        assert_eq!(unclosed_quote(b"a,b\n5\",2\n", b','), None);
        assert!(check_text(b"a,b\n1,\"\r", b',').is_err());
    }
}
