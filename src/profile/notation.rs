//! Numbers written as text: thousands separators and decimal commas, which would otherwise be
//! read as text and dropped (or, as a target, taken for classes).

use crate::error::{Error, Result, Setting};
use crate::io::column::Categorical;
use crate::io::names::display_level;

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
pub(super) fn number_format_error(name: &str, c: &Categorical) -> Result<()> {
    let present: usize = c.counts.iter().sum();
    let (rows, examples) = notations(c);
    let formatted = rows[1] + rows[2] + rows[3];
    if formatted == 0 || (rows[0] as f64) < NUMBER_SHARE * present as f64 {
        return Ok(());
    }
    let example = |i: usize| examples[i].unwrap_or_default();
    let problem = if rows[2] > 0 {
        format!(
            "it holds numbers with decimal commas (e.g. '{}'); read the file with {} \
             (and a separator other than ','), or leave the column out with {} {name}",
            example(2),
            Setting::DecimalComma,
            Setting::Ignore
        )
    } else if rows[1] > 0 {
        format!(
            "it holds numbers with thousands separators (e.g. '{}'); save the file without \
             number formatting, or leave the column out with {} {name}",
            example(1),
            Setting::Ignore
        )
    } else {
        format!(
            "it holds numbers with thousands separators or decimal commas (e.g. '{}'); save \
             the file without number formatting (or read decimal commas with {}), \
             or leave the column out with {} {name}",
            example(3),
            Setting::DecimalComma,
            Setting::Ignore
        )
    };
    Err(Error::NumberFormat {
        column: name.to_string(),
        problem,
    })
}

/// A warning for a text column whose values are mostly plain numbers, with some text.
pub(super) fn mixed_warning(name: &str, c: &Categorical) -> Option<String> {
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
