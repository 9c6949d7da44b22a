//! Finding a column by name, and saying which names were meant when it is not there.

use crate::error::Error;

/// An error for a column name that is not among `names`, with close names as a hint: names that
/// contain the wanted one (or are contained in it) or are a few edits away, ignoring case.
pub fn missing_column(names: &[&str], wanted: &str, what: &str, problem: &str) -> Error {
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
                || strsim::levenshtein(&n, &lower) <= lower.chars().count() / 3
        })
        .collect();
    let separator = [';', '\t', '|']
        .into_iter()
        .find(|&c| names.len() == 1 && names[0].contains(c));
    let hint = if let Some(c) = separator {
        let shown = if c == '\t' {
            "\\t".to_string()
        } else {
            c.to_string()
        };
        format!(
            "the header was read as one column '{}': is the file separated by '{shown}'? read it \
             with {} '{shown}'",
            display_level(names[0]),
            crate::error::Setting::Separator
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

/// A value as printed in messages and tables: newlines and tabs escaped, at most 40 characters.
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

/// The column names of `frame`.
pub fn column_names(frame: &polars::prelude::DataFrame) -> Vec<&str> {
    frame
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_a_one_column_header_hints_at_the_separator() {
        let e = missing_column(
            &["price", "Prices", "other"],
            "Price",
            "column",
            "is missing",
        );
        assert!(
            e.to_string().ends_with("did you mean price or Prices?"),
            "{e}"
        );
        let e = missing_column(&["a;b;c"], "b", "column", "is missing");
        assert!(
            e.to_string().contains("read it with `separator` ';'"),
            "{e}"
        );
        let e = missing_column(&["abc", "xyz"], "q", "column", "is missing");
        assert!(e.to_string().ends_with("the columns are: abc, xyz"), "{e}");
    }
}
