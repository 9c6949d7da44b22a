//! The profile as printed: one line per column with its kind, missing and distinct counts and a
//! summary.

use std::fmt;

use super::{ColumnProfile, Profile};
use crate::io::names::display_level;

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
