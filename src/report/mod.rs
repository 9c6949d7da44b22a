//! The HTML report of a run: one self-contained page (inline CSS, inline SVG charts, a small
//! sorting script, nothing fetched) rendered with minijinja from [`Report`], the run's data as
//! saved in `report.json`, so `automl report RUN_DIR` can render it again.

mod charts;

use std::path::Path;

use minijinja::{context, Environment, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, Result};
use crate::importance::Importance;
use crate::leaderboard::{Entry, Leaderboard, Settings, Status};
use crate::metrics::Metric;
use crate::models::{format_params, ImportanceKind};
use crate::output::write_atomic;
use crate::profile::{ColumnProfile, Profile};
use crate::sweep::OutOfFold;
use crate::tracking::Source;

/// File names in a run folder.
pub const REPORT_HTML: &str = "report.html";
pub const REPORT_DATA: &str = "report.json";
/// Candidates whose per-fold scores are listed.
const FOLD_ROWS: usize = 10;
/// Features shown in the importance chart.
const IMPORTANCE_BARS: usize = 20;
const TEMPLATE: &str = include_str!("report.html");

/// Everything the report shows.
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    pub automl_version: String,
    /// UTC time of the run, RFC 3339.
    pub created: String,
    pub source: Source,
    pub settings: Settings,
    pub profile: Profile,
    pub entries: Vec<Entry>,
    /// Per-fold scores of the ranking metric for the top candidates, by rank.
    pub fold_scores: Vec<(usize, Vec<f64>)>,
    /// The winner's out-of-fold predictions and, when it was exported, its importances.
    pub out_of_fold: Vec<OutOfFold>,
    pub importance: Option<Importance>,
}

impl Report {
    /// The report of a finished compare on the data described by `source`.
    pub fn new(board: &Leaderboard, source: &Source) -> Report {
        let sort_at = Metric::ALL
            .iter()
            .position(|&m| m == board.settings.sort)
            .unwrap_or(0);
        let fold_scores = board
            .entries
            .iter()
            .filter(|e| e.status == Status::Ok)
            .take(FOLD_ROWS)
            .map(|e| (e.rank, e.folds.iter().map(|f| f.scores[sort_at]).collect()))
            .collect();
        let best = board.best();
        Report {
            automl_version: env!("CARGO_PKG_VERSION").to_string(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            source: source.clone(),
            settings: board.settings.clone(),
            profile: board.profile.clone(),
            entries: board.entries.clone(),
            fold_scores,
            out_of_fold: best.map(|e| e.out_of_fold.clone()).unwrap_or_default(),
            importance: board
                .models
                .first()
                .filter(|m| best.is_some_and(|b| b.rank == m.rank))
                .and_then(|m| m.importance.clone()),
        }
    }

    /// Reads `report.json` from a run folder.
    pub fn load(dir: &Path) -> Result<Report> {
        let path = dir.join(REPORT_DATA);
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| {
            Error::InvalidSetting(format!(
                "{} is not a report data file of this automl version: {e}",
                path.display()
            ))
        })
    }

    /// Writes `report.json` and `report.html` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let data = serde_json::to_vec(self).map_err(|e| Error::Internal(e.to_string()))?;
        write_atomic(&dir.join(REPORT_DATA), |w| w.write_all(&data))?;
        let html = self.render()?;
        write_atomic(&dir.join(REPORT_HTML), |w| w.write_all(html.as_bytes()))
    }

    /// The HTML page.
    pub fn render(&self) -> Result<String> {
        let mut env = Environment::new();
        env.add_template("report.html", TEMPLATE)
            .map_err(|e| Error::Internal(format!("report template: {e}")))?;
        let template = env
            .get_template("report.html")
            .map_err(|e| Error::Internal(e.to_string()))?;
        template
            .render(self.context())
            .map_err(|e| Error::Internal(format!("rendering the report: {e:#}")))
    }

    fn context(&self) -> Value {
        let profile = &self.profile;
        let sort = self.settings.sort;
        let target = &profile.target.column;
        let data_name = self
            .source
            .data
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let best = self.entries.first().filter(|e| e.status == Status::Ok);
        let baseline = self
            .entries
            .iter()
            .find(|e| e.model == "mean")
            .and_then(|e| e.metric(sort))
            .map(|s| number(s.mean));
        let columns_profile: Vec<serde_json::Value> = std::iter::once((target, true))
            .chain(profile.features.iter().map(|c| (c, false)))
            .map(|(c, is_target)| {
                json!({
                    "name": c.name, "kind": c.kind.to_string().trim(), "dtype": c.dtype,
                    "missing": c.missing, "distinct": c.distinct, "summary": c.summary(),
                    "spark": c.histogram.as_ref().map(|h| charts::sparkline(&h.counts))
                        .unwrap_or_else(|| level_bars(c)),
                    "dropped": c.dropped, "is_target": is_target,
                })
            })
            .collect();
        let target_chart = target
            .histogram
            .as_ref()
            .map(|h| {
                charts::histogram(
                    &format!("target: {}", target.name),
                    &target.name,
                    &h.edges,
                    &h.counts,
                )
            })
            .unwrap_or_default();
        let scored = self
            .entries
            .iter()
            .filter(|e| e.status == Status::Ok)
            .count();
        let fold_rows: Vec<serde_json::Value> = self
            .fold_scores
            .iter()
            .filter_map(|(rank, scores)| {
                let e = self.entries.iter().find(|e| e.rank == *rank)?;
                Some(json!({
                    "rank": rank, "label": label(e),
                    "scores": scores.iter().map(|s| number(*s)).collect::<Vec<_>>(),
                }))
            })
            .collect();
        let fold_numbers: Vec<usize> = (1..=self.settings.folds).collect();
        context! {
            data_name, target => target.name, version => self.automl_version,
            created => self.created, source => Value::from_serialize(&self.source),
            rows => profile.rows, columns => profile.columns,
            rows_used => profile.target.rows_used, rows_dropped => profile.target.rows_dropped,
            features_used => profile.kept().count(),
            candidates => self.entries.len(), scored, folds => self.settings.folds,
            seed => self.settings.seed, shuffle => self.settings.shuffle,
            export_top => self.settings.export_top, sort => sort.to_string(),
            warnings => profile.warnings, baseline,
            columns_profile => Value::from_serialize(&columns_profile),
            target_chart => Value::from_safe_string(target_chart),
            metric_names => LEADERBOARD_METRICS.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            groups => Value::from_serialize(groups(&self.entries)),
            winner => best.map(|e| Value::from_serialize(self.winner(e))),
            fold_rows => Value::from_serialize(&fold_rows), fold_numbers,
        }
    }

    fn winner(&self, best: &Entry) -> serde_json::Value {
        let sort = self.settings.sort;
        let stat = best.metric(sort);
        let oof = &self.out_of_fold;
        let actual_predicted: Vec<(f64, f64)> =
            oof.iter().map(|p| (p.actual, p.predicted)).collect();
        let residuals: Vec<(f64, f64)> = oof
            .iter()
            .map(|p| (p.predicted, p.actual - p.predicted))
            .collect();
        let residual_values: Vec<f64> = residuals.iter().map(|r| r.1).collect();
        let residual_histogram = histogram_of(&residual_values)
            .map(|(edges, counts)| {
                charts::histogram(
                    "residual distribution",
                    "actual − predicted",
                    &edges,
                    &counts,
                )
            })
            .unwrap_or_default();
        let (importance_chart, importance_note) = match &self.importance {
            Some(imp) => {
                let top: Vec<_> = imp.features.iter().take(IMPORTANCE_BARS).collect();
                let labels: Vec<String> = top.iter().map(|f| f.feature.clone()).collect();
                let values: Vec<f64> = top.iter().map(|f| f.value).collect();
                (
                    charts::bars(importance_title(imp.kind), &labels, &values),
                    importance_note(imp.kind),
                )
            }
            None => (String::new(), ""),
        };
        let rows_used = self.profile.target.rows_used;
        json!({
            "label": label(best), "name": best.name,
            "score": stat.map(|s| number(s.mean)), "score_std": stat.map(|s| number(s.std)),
            "points": oof.len(), "sampled": oof.len() < rows_used,
            "predicted_vs_actual": charts::scatter(
                "predicted vs actual", "actual", "predicted", &actual_predicted, true),
            "residuals_vs_predicted": charts::scatter(
                "residuals vs predicted", "predicted", "actual − predicted", &residuals, false),
            "residual_histogram": residual_histogram,
            "importance_chart": importance_chart, "importance_note": importance_note,
        })
    }
}

/// The leaderboard columns, in order.
const LEADERBOARD_METRICS: [Metric; 5] = [
    Metric::Rmse,
    Metric::Mae,
    Metric::Mape,
    Metric::Smape,
    Metric::R2,
];

/// Entries grouped by algorithm, groups in the order of their best rank, best setting first.
fn groups(entries: &[Entry]) -> Vec<serde_json::Value> {
    let mut order: Vec<&str> = Vec::new();
    for e in entries {
        if !order.contains(&e.model.as_str()) {
            order.push(&e.model);
        }
    }
    order
        .iter()
        .map(|model| {
            let rows: Vec<serde_json::Value> = entries
                .iter()
                .filter(|e| e.model == *model)
                .map(|e| {
                    let metrics: Vec<serde_json::Value> = LEADERBOARD_METRICS
                        .iter()
                        .map(|&m| match e.metric(m) {
                            Some(s) if s.mean.is_finite() => json!({
                                "mean": number(s.mean), "std": number(s.std),
                                "sort_value": s.mean,
                            }),
                            _ => json!({"mean": "", "std": "", "sort_value": ""}),
                        })
                        .collect();
                    json!({
                        "rank": e.rank, "model": e.model, "params": format_params(&e.params),
                        "status": e.status.to_string(), "error": e.error, "metrics": metrics,
                        "fit_seconds": e.fit_seconds, "fit_text": format!("{:.3}", e.fit_seconds),
                    })
                })
                .collect();
            json!({"entries": rows})
        })
        .collect()
}

fn label(e: &Entry) -> String {
    format!("{} {}", e.model, format_params(&e.params))
        .trim()
        .to_string()
}

/// Four significant digits, as a leaderboard shows them.
fn number(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let magnitude = if v == 0.0 {
        0
    } else {
        v.abs().log10().floor() as i32
    };
    let decimals = (3 - magnitude).clamp(0, 6) as usize;
    format!("{v:.decimals$}")
}

/// Bars of the top levels' counts, for categorical columns' distribution cell.
fn level_bars(c: &ColumnProfile) -> String {
    if c.top.is_empty() {
        return String::new();
    }
    charts::sparkline(&c.top.iter().map(|l| l.count).collect::<Vec<_>>())
}

fn histogram_of(values: &[f64]) -> Option<(Vec<f64>, Vec<usize>)> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo < hi).then(|| {
        let h = crate::profile::Histogram::new(values, lo, hi);
        (h.edges, h.counts)
    })
}

fn importance_title(kind: ImportanceKind) -> &'static str {
    match kind {
        ImportanceKind::Impurity => "impurity importance",
        ImportanceKind::Gain => "split gain",
        ImportanceKind::StandardisedCoefficient => "standardised coefficients",
        ImportanceKind::Permutation => "permutation importance (RMSE increase)",
    }
}

fn importance_note(kind: ImportanceKind) -> &'static str {
    match kind {
        ImportanceKind::Impurity => {
            "Share of the tree's variance reduction made by splits on each encoded column."
        }
        ImportanceKind::Gain => {
            "Share of the boosted trees' total loss reduction made by splits on each encoded column."
        }
        ImportanceKind::StandardisedCoefficient => {
            "Coefficient × the column's standard deviation: how much the prediction moves for one \
             standard deviation of each encoded column (grey: downwards)."
        }
        ImportanceKind::Permutation => {
            "How much the RMSE on the training rows grows when an input column's values are shuffled \
             (mean of 3 shuffles of up to 2,000 rows)."
        }
    }
}
