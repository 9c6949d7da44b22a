//! The HTML report of a run: one self-contained page (inline CSS, inline SVG charts, a small
//! sorting script, nothing fetched) rendered with minijinja from [`Report`], the run's data as
//! saved in `report.json`, so `automl report RUN_DIR` can render it again.

pub mod charts;
mod winner;

use std::path::Path;

use minijinja::{context, Environment, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::algorithms::{format_params, is_baseline};
use crate::compare::Comparison;
use crate::error::{Error, Result};
use crate::importance::Importance;
use crate::leaderboard::{mape_note, Entry, Settings, Status};
use crate::leaderboard::{OutOfFold, TracePoint};
use crate::metrics::Metric;
use crate::profile::{ColumnProfile, Profile};
use crate::provenance::Source;
use crate::task::Task;

/// File names in a run folder.
pub const REPORT_HTML: &str = "report.html";
pub const REPORT_DATA: &str = "report.json";
/// Candidates whose per-fold scores are listed.
const FOLD_ROWS: usize = 10;
/// Features shown in the importance chart.
const IMPORTANCE_BARS: usize = 20;
/// Classes drawn in a one-vs-rest ROC chart.
const ROC_CURVES: usize = 10;
const TEMPLATE: &str = include_str!("report.html");
/// The pages' style sheet, shared by every page in the report's style.
const STYLE: &str = include_str!("style.css");

/// Renders a page `template` (minijinja) with `context` and the report's style sheet as `style`.
pub fn render_page(template: &str, context: Value) -> Result<String> {
    let mut env = Environment::new();
    env.add_template("page", template)
        .map_err(|e| Error::Internal(format!("page template: {e}")))?;
    let page = env
        .get_template("page")
        .map_err(|e| Error::Internal(e.to_string()))?;
    page.render(context! { style => STYLE, ..context })
        .map_err(|e| Error::Internal(format!("rendering the page: {e:#}")))
}

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
    /// The search's best score after the grid and after each round.
    #[serde(default)]
    pub trace: Vec<TracePoint>,
}

impl Report {
    /// The report of a finished compare on the data described by `source`.
    pub fn new(comparison: &Comparison, source: &Source) -> Report {
        let board = &comparison.leaderboard;
        let sort = board.settings.sort;
        let sort_at = sort
            .task()
            .metrics()
            .iter()
            .position(|&m| m == sort)
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
            out_of_fold: best
                .map(|e| comparison.leaderboard.chart_rows(e))
                .unwrap_or_default(),
            importance: comparison
                .models
                .first()
                .filter(|m| best.is_some_and(|b| b.rank == m.rank))
                .and_then(|m| m.importance.clone()),
            trace: board.trace.clone(),
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

    /// The report's data, as `report.json` holds it.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self)
            .map_err(|e| Error::Internal(format!("serialising the report: {e}")))
    }

    /// The HTML page.
    pub fn render(&self) -> Result<String> {
        render_page(TEMPLATE, self.context())
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
            .find(|e| is_baseline(&e.model))
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
        let mape = mape_note(profile);
        let classes = &profile.target.classes;
        let target_chart = match &target.histogram {
            // Classification: the rows of each class.
            _ if !classes.is_empty() => charts::class_counts(
                &format!("target: {}", target.name),
                &classes.iter().map(|c| c.level.clone()).collect::<Vec<_>>(),
                &classes.iter().map(|c| c.count).collect::<Vec<_>>(),
            ),
            Some(h) => charts::histogram(
                &format!("target: {}", target.name),
                &target.name,
                &h.edges,
                &h.counts,
            ),
            None => String::new(),
        };
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
        let classification = profile.target.task == Task::Classification;
        let (baseline_name, sort_examples) = if classification {
            ("majority-class baseline", ["logloss", "auc-desc"])
        } else {
            ("mean baseline", ["mae", "r2-desc"])
        };
        context! {
            classification, baseline_name, sort_examples,
            data_name, target => target.name, version => self.automl_version,
            created => self.created, source => Value::from_serialize(&self.source),
            rows => profile.rows, columns => profile.columns,
            rows_used => profile.target.rows_used, rows_dropped => profile.target.rows_dropped,
            features_used => profile.kept().count(),
            candidates => self.entries.len(), scored, folds => self.settings.folds,
            seed => self.settings.seed, shuffle => self.settings.shuffle,
            export_top => self.settings.export_top, sort => sort.to_string(),
            race => self.settings.race,
            warnings => profile.warnings.iter().cloned().chain(mape.clone()).collect::<Vec<_>>(),
            baseline,
            columns_profile => Value::from_serialize(&columns_profile),
            target_chart => Value::from_safe_string(target_chart),
            metric_names => leaderboard_metrics(sort).iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            groups => Value::from_serialize(groups(&self.entries, leaderboard_metrics(sort), mape.is_some())),
            winner => best.map(|e| Value::from_serialize(self.winner(e))),
            fold_rows => Value::from_serialize(&fold_rows), fold_numbers,
            search => Value::from_serialize(self.search()),
            ensembles => Value::from_serialize(self.ensembles()),
        }
    }

    /// The search section: its trace as a chart and in figures; none without a search.
    fn search(&self) -> Option<serde_json::Value> {
        if self.trace.len() < 2 {
            return None;
        }
        let sort = self.settings.sort;
        let points: Vec<(f64, f64)> = self
            .trace
            .iter()
            .map(|p| (p.units as f64, p.best))
            .collect();
        let chart = charts::trace(
            &format!("best cross-validated {sort}"),
            "candidate-folds scored (the grid's first)",
            &sort.to_string(),
            &points,
        );
        let (first, last) = (self.trace[0], self.trace[self.trace.len() - 1]);
        let pruned = self
            .entries
            .iter()
            .filter(|e| e.status == Status::Pruned)
            .count();
        Some(json!({
            "chart": chart, "rounds": self.trace.len() - 1, "pruned": pruned,
            "grid_units": first.units, "units": last.units, "seconds": format!("{:.1}", last.seconds),
            "grid_best": number(first.best), "best": number(last.best),
            "points": self.trace.iter().map(|p| json!({
                "units": p.units, "seconds": format!("{:.2}", p.seconds),
                "candidates": p.candidates, "best": number(p.best),
            })).collect::<Vec<_>>(),
        }))
    }

    /// Each ensemble's members and weights, and its honest and in-sample scores.
    fn ensembles(&self) -> Vec<serde_json::Value> {
        let sort = self.settings.sort;
        self.entries
            .iter()
            .filter_map(|e| {
                let blend = e.blend.as_ref()?;
                let labels: Vec<String> = blend
                    .members
                    .iter()
                    .map(|m| format!("{} {}", m.model, format_params(&m.params)))
                    .collect();
                let weights: Vec<f64> = blend.members.iter().map(|m| m.weight).collect();
                Some(json!({
                    "rank": e.rank, "name": e.name, "model": e.model,
                    "honest": e.metric(sort).map(|s| number(s.mean)),
                    "in_sample": number(blend.in_sample),
                    "intercept": (blend.intercept != 0.0).then(|| number(blend.intercept)),
                    "note": crate::leaderboard::optimism(e, sort),
                    "chart": charts::bars(&format!("{} weights", e.name), &labels, &weights),
                }))
            })
            .collect()
    }
}

/// The leaderboard columns of the task ranked by `sort`, in order.
fn leaderboard_metrics(sort: Metric) -> &'static [Metric] {
    match sort.task() {
        Task::Regression => &Metric::REGRESSION[..5],
        Task::Classification => &Metric::CLASSIFICATION,
    }
}

/// Entries grouped by algorithm, groups in the order of their best rank, best setting first.
/// With `mape_undefined`, MAPE cells read "inf" (see [`mape_note`]).
fn groups(entries: &[Entry], metrics: &[Metric], mape_undefined: bool) -> Vec<serde_json::Value> {
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
                    let metrics: Vec<serde_json::Value> = metrics
                        .iter()
                        .map(|&m| match e.metric(m) {
                            Some(s) if m == Metric::Mape && mape_undefined => json!({
                                "mean": "inf", "std": "", "sort_value": s.mean,
                            }),
                            Some(s) if s.mean.is_finite() => json!({
                                "mean": number(s.mean), "std": number(s.std),
                                "sort_value": s.mean,
                            }),
                            _ => json!({"mean": "", "std": "", "sort_value": ""}),
                        })
                        .collect();
                    json!({
                        "rank": e.rank, "model": e.model, "params": e.setting(),
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
    format!("{} {}", e.model, e.setting()).trim().to_string()
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
