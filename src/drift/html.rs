//! `drift.html`: the drift in the report's style: the verdict, a table of the columns (drifted
//! first), the model's metrics on the new rows, and each column's reference and new
//! distributions side by side.

use minijinja::context;

use super::{ColumnDrift, Drift};
use crate::error::Result;
use crate::report::{charts, render_page};

const TEMPLATE: &str = include_str!("drift.html");

/// The page for `drift` of the new data named `data_name`.
pub fn render(drift: &Drift, data_name: &str) -> Result<String> {
    let shown = drift.rows();
    let rows: Vec<minijinja::Value> = shown
        .iter()
        .map(|(name, c)| {
            context! {
                column => name,
                kind => c.kind,
                test => c.test.map(|t| t.name()).unwrap_or("none"),
                score => c.score.map(number).unwrap_or_default(),
                threshold => c.test.map(|_| number(c.threshold)).unwrap_or_default(),
                drifted => c.drifted,
                note => c.note,
                psi => c.psi.map(number).unwrap_or_default(),
                missing => format!("{} → {}", percent(c.missing_reference), percent(c.missing_current)),
                unseen => unseen(c),
            }
        })
        .collect();
    let charts: Vec<String> = shown
        .iter()
        .map(|(name, c)| {
            let title = format!("{name}{}", if c.drifted { ": drift" } else { "" });
            charts::paired_shares(
                &title,
                &c.chart.labels,
                &c.chart.reference,
                &c.chart.current,
            )
        })
        .collect();
    let performance: Vec<minijinja::Value> = drift
        .performance
        .iter()
        .map(|m| {
            context! {
                metric => m.metric.name(),
                current => number(m.current),
                cv => format!("{} ± {}", number(m.cv_mean), number(m.cv_std)),
                worse => m.worse,
            }
        })
        .collect();
    let prediction = drift.prediction.as_ref().map(|p| {
        context! {
            drifted => p.drifted,
            test => p.test.map(|t| t.name()).unwrap_or("none"),
            score => p.score.map(number).unwrap_or_default(),
        }
    });
    render_page(
        TEMPLATE,
        context! { drift => drift, data_name => data_name, rows => rows, charts => charts,
        performance => performance, prediction => prediction },
    )
}

fn unseen(c: &ColumnDrift) -> String {
    if c.unseen_rows == 0 {
        return String::new();
    }
    let more = if c.unseen_levels.len() < 10 {
        ""
    } else {
        ", ..."
    };
    format!(
        "{} rows: {}{more}",
        c.unseen_rows,
        c.unseen_levels.join(", ")
    )
}

/// Four significant digits, scientific notation for tiny values.
pub fn number(v: f64) -> String {
    match v.abs() {
        _ if !v.is_finite() => v.to_string(),
        a if a != 0.0 && a < 1e-4 => format!("{v:.3e}"),
        _ => format!("{v:.4}"),
    }
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}
