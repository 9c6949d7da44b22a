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
use crate::profile::{ColumnProfile, Profile, Task};
use crate::sweep::OutOfFold;
use crate::tracking::Source;

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
            .find(|e| e.model == "mean" || e.model == "majority")
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
            warnings => profile.warnings, baseline,
            columns_profile => Value::from_serialize(&columns_profile),
            target_chart => Value::from_safe_string(target_chart),
            metric_names => leaderboard_metrics(sort).iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            groups => Value::from_serialize(groups(&self.entries, leaderboard_metrics(sort))),
            winner => best.map(|e| Value::from_serialize(self.winner(e))),
            fold_rows => Value::from_serialize(&fold_rows), fold_numbers,
        }
    }

    fn winner(&self, best: &Entry) -> serde_json::Value {
        let sort = self.settings.sort;
        let task = self.profile.target.task;
        let stat = best.metric(sort);
        let oof = &self.out_of_fold;
        let (importance_chart, importance_note) = match &self.importance {
            Some(imp) => {
                let top: Vec<_> = imp.features.iter().take(IMPORTANCE_BARS).collect();
                let labels: Vec<String> = top.iter().map(|f| f.feature.clone()).collect();
                let values: Vec<f64> = top.iter().map(|f| f.value).collect();
                (
                    charts::bars(importance_title(imp.kind, task), &labels, &values),
                    importance_note(imp.kind, task),
                )
            }
            None => (String::new(), ""),
        };
        let rows_used = self.profile.target.rows_used;
        let mut winner = json!({
            "label": label(best), "name": best.name,
            "score": stat.map(|s| number(s.mean)), "score_std": stat.map(|s| number(s.std)),
            "points": oof.len(), "sampled": oof.len() < rows_used,
            "importance_chart": importance_chart, "importance_note": importance_note,
        });
        let charts = match task {
            Task::Regression => self.regression_charts(),
            Task::Classification => self.classification_charts(),
        };
        if let (Some(winner), serde_json::Value::Object(charts)) = (winner.as_object_mut(), charts)
        {
            winner.extend(charts);
        }
        winner
    }

    /// The winner's out-of-fold predictions against the truth: predicted vs actual, residuals.
    fn regression_charts(&self) -> serde_json::Value {
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
        json!({
            "predicted_vs_actual": charts::scatter(
                "predicted vs actual", "actual", "predicted", &actual_predicted, true),
            "residuals_vs_predicted": charts::scatter(
                "residuals vs predicted", "predicted", "actual − predicted", &residuals, false),
            "residual_histogram": residual_histogram,
        })
    }

    /// The winner's out-of-fold class predictions: the confusion matrix and ROC curves.
    fn classification_charts(&self) -> serde_json::Value {
        let labels: Vec<&str> = self
            .profile
            .target
            .classes
            .iter()
            .map(|c| c.level.as_str())
            .collect();
        json!({
            "confusion": confusion_matrix(&labels, &self.out_of_fold),
            "roc": roc_chart(&labels, &self.out_of_fold),
        })
    }
}

/// The confusion matrix of out-of-fold class predictions for the template: one row per true
/// class with each predicted class's count, its share of the row (as a shade) and the row's
/// recall, then each predicted class's total and precision. `None` without classes or rows.
fn confusion_matrix(labels: &[&str], oof: &[OutOfFold]) -> Option<serde_json::Value> {
    let k = labels.len();
    let class = |v: f64| (v.is_finite() && v >= 0.0 && (v as usize) < k).then_some(v as usize);
    let mut counts = vec![vec![0usize; k]; k];
    for p in oof {
        if let (Some(a), Some(b)) = (class(p.actual), class(p.predicted)) {
            counts[a][b] += 1;
        }
    }
    let total: usize = counts.iter().flatten().sum();
    if total == 0 {
        return None;
    }
    let ratio = |part: usize, whole: usize| (whole > 0).then(|| part as f64 / whole as f64);
    let rows: Vec<serde_json::Value> = counts
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let row_total: usize = row.iter().sum();
            let cells: Vec<serde_json::Value> = row
                .iter()
                .enumerate()
                .map(|(j, &count)| {
                    let share = ratio(count, row_total).unwrap_or(0.0);
                    json!({
                        "count": count, "share": percent(share),
                        "style": cell_style(share, i == j),
                    })
                })
                .collect();
            json!({
                "label": labels[i], "cells": cells, "total": row_total,
                "recall": ratio(row[i], row_total).map(percent).unwrap_or_else(|| "-".into()),
            })
        })
        .collect();
    let columns: Vec<serde_json::Value> = (0..k)
        .map(|j| {
            let column_total: usize = counts.iter().map(|row| row[j]).sum();
            json!({
                "total": column_total,
                "precision": ratio(counts[j][j], column_total)
                    .map(percent)
                    .unwrap_or_else(|| "-".into()),
            })
        })
        .collect();
    let correct: usize = (0..k).map(|i| counts[i][i]).sum();
    Some(json!({
        "labels": labels, "rows": rows, "columns": columns, "total": total,
        "accuracy": ratio(correct, total).map(percent),
    }))
}

/// The background of a confusion matrix cell: its share of the row, blue on the diagonal
/// (right) and red off it (wrong); white text on dark cells.
fn cell_style(share: f64, diagonal: bool) -> String {
    if share <= 0.0 {
        return String::new();
    }
    let (r, g, b) = if diagonal {
        (0x2b, 0x6c, 0xb0)
    } else {
        (0xc5, 0x30, 0x30)
    };
    let alpha = 0.08 + 0.82 * share.min(1.0);
    let text = if alpha > 0.55 { "; color: #fff" } else { "" };
    format!("background-color: rgba({r}, {g}, {b}, {alpha:.2}){text}")
}

/// A share as a whole percentage, "<1%" for a small non-zero one.
fn percent(share: f64) -> String {
    if share > 0.0 && share < 0.005 {
        "<1%".into()
    } else {
        format!("{:.0}%", share * 100.0)
    }
}

/// ROC curves of the out-of-fold class probabilities: of the positive class (index 1) for two
/// classes, one vs rest for each of up to [`ROC_CURVES`] classes (the most frequent) otherwise.
fn roc_chart(labels: &[&str], oof: &[OutOfFold]) -> String {
    let k = labels.len();
    let oof: Vec<&OutOfFold> = oof.iter().filter(|p| p.proba.len() == k).collect();
    let curve_of = |class: usize| {
        let scores: Vec<f64> = oof.iter().map(|p| p.proba[class]).collect();
        let positive: Vec<bool> = oof.iter().map(|p| p.actual == class as f64).collect();
        roc_curve(&scores, &positive)
    };
    if k == 2 {
        let Some(curve) = curve_of(1) else {
            return String::new();
        };
        let title = format!(
            "ROC: {} vs {} (AUC {})",
            labels[1],
            labels[0],
            number(curve.auc)
        );
        return charts::roc(&title, &[(String::new(), curve.points)]);
    }
    // Classes with both positive and negative rows, with their rows.
    let mut curves: Vec<(usize, usize, RocCurve)> = (0..k)
        .filter_map(|c| {
            let rows = oof.iter().filter(|p| p.actual == c as f64).count();
            curve_of(c).map(|curve| (c, rows, curve))
        })
        .collect();
    if curves.is_empty() {
        return String::new();
    }
    // The mean AUC weighted by class rows, as the leaderboard's AUC is.
    let rows: usize = curves.iter().map(|c| c.1).sum();
    let mean_auc = curves.iter().map(|c| c.2.auc * c.1 as f64).sum::<f64>() / rows as f64;
    let drawn = curves.len().min(ROC_CURVES);
    let title = if drawn < curves.len() {
        format!(
            "ROC, one vs rest, {drawn} largest of {} classes (weighted AUC {})",
            curves.len(),
            number(mean_auc)
        )
    } else {
        format!("ROC, one vs rest (weighted AUC {})", number(mean_auc))
    };
    curves.sort_by_key(|c| std::cmp::Reverse(c.1));
    curves.truncate(drawn);
    curves.sort_by_key(|c| c.0);
    let lines: Vec<(String, Vec<(f64, f64)>)> = curves
        .into_iter()
        .map(|(c, _, curve)| {
            (
                format!("{}: AUC {}", labels[c], number(curve.auc)),
                curve.points,
            )
        })
        .collect();
    charts::roc(&title, &lines)
}

/// A receiver operating characteristic curve and the area under it.
#[derive(Debug, Clone, PartialEq)]
struct RocCurve {
    /// (false positive rate, true positive rate) from (0, 0) to (1, 1), corners only.
    points: Vec<(f64, f64)>,
    auc: f64,
}

/// The ROC curve of `scores` (higher: more likely positive) for the rows marked `positive`:
/// the threshold steps down through the distinct scores, and rows with equal scores step
/// together (a diagonal segment, so a tie counts half in the area). `None` when there are no
/// positive or no negative rows.
fn roc_curve(scores: &[f64], positive: &[bool]) -> Option<RocCurve> {
    let mut rows: Vec<(f64, bool)> = scores
        .iter()
        .copied()
        .zip(positive.iter().copied())
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = rows.iter().filter(|r| r.1).count();
    let negatives = rows.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp, mut auc) = (0, 0, 0.0);
    for group in rows.chunk_by(|a, b| a.0 == b.0) {
        let group_positives = group.iter().filter(|r| r.1).count();
        tp += group_positives;
        fp += group.len() - group_positives;
        let (x0, y0) = points[points.len() - 1];
        let (x, y) = (fp as f64 / negatives as f64, tp as f64 / positives as f64);
        auc += (x - x0) * (y + y0) / 2.0;
        // A point in line with the two before it along an axis is not a corner.
        if let [.., (xa, ya), (xb, yb)] = points[..] {
            if (xa == xb && xb == x) || (ya == yb && yb == y) {
                points.pop();
            }
        }
        points.push((x, y));
    }
    Some(RocCurve { points, auc })
}

/// The leaderboard columns of the task ranked by `sort`, in order.
fn leaderboard_metrics(sort: Metric) -> &'static [Metric] {
    match sort.task() {
        Task::Regression => &Metric::REGRESSION[..5],
        Task::Classification => &Metric::CLASSIFICATION,
    }
}

/// Entries grouped by algorithm, groups in the order of their best rank, best setting first.
fn groups(entries: &[Entry], metrics: &[Metric]) -> Vec<serde_json::Value> {
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

fn importance_title(kind: ImportanceKind, task: Task) -> &'static str {
    match (kind, task) {
        (ImportanceKind::Impurity, _) => "impurity importance",
        (ImportanceKind::Gain, _) => "split gain",
        (ImportanceKind::StandardisedCoefficient, _) => "standardised coefficients",
        (ImportanceKind::Permutation, Task::Regression) => "permutation importance (RMSE increase)",
        (ImportanceKind::Permutation, Task::Classification) => {
            "permutation importance (log-loss increase)"
        }
    }
}

fn importance_note(kind: ImportanceKind, task: Task) -> &'static str {
    match (kind, task) {
        (ImportanceKind::Impurity, Task::Regression) => {
            "Share of the tree's variance reduction made by splits on each encoded column."
        }
        (ImportanceKind::Impurity, Task::Classification) => {
            "Share of the tree's impurity reduction (variance of the 0/1 class indicator, i.e. \
             Gini) made by splits on each encoded column; with more than two classes, the mean \
             over the one-vs-rest trees."
        }
        (ImportanceKind::Gain, Task::Regression) => {
            "Share of the boosted trees' total loss reduction made by splits on each encoded column."
        }
        (ImportanceKind::Gain, Task::Classification) => {
            "Share of the boosted trees' total log-loss reduction made by splits on each encoded \
             column; with more than two classes, the mean over the one-vs-rest boosters."
        }
        (ImportanceKind::StandardisedCoefficient, Task::Regression) => {
            "Coefficient × the column's standard deviation: how much the prediction moves for one \
             standard deviation of each encoded column (grey: downwards)."
        }
        (ImportanceKind::StandardisedCoefficient, Task::Classification) => {
            "Coefficient × the column's standard deviation: how much the model's class score moves \
             for one standard deviation of each encoded column (grey: downwards)."
        }
        (ImportanceKind::Permutation, Task::Regression) => {
            "How much the RMSE on the training rows grows when an input column's values are shuffled \
             (mean of 3 shuffles of up to 2,000 rows)."
        }
        (ImportanceKind::Permutation, Task::Classification) => {
            "How much the log loss on the training rows grows when an input column's values are \
             shuffled (mean of 3 shuffles of up to 2,000 rows)."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oof(actual: usize, predicted: usize, proba: &[f64]) -> OutOfFold {
        OutOfFold {
            row: 0,
            actual: actual as f64,
            predicted: predicted as f64,
            proba: proba.to_vec(),
        }
    }

    #[test]
    fn roc_of_a_perfect_separation_has_area_one() {
        let roc = roc_curve(
            &[0.9, 0.8, 0.7, 0.4, 0.1],
            &[true, true, true, false, false],
        )
        .unwrap();
        assert_eq!(roc.auc, 1.0);
        // Corners only: straight up, then across.
        assert_eq!(roc.points, [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)]);
        let reversed = roc_curve(&[0.1, 0.9], &[true, false]).unwrap();
        assert_eq!(reversed.auc, 0.0);
        assert_eq!(reversed.points, [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]);
    }

    #[test]
    fn roc_steps_over_a_tie_group_at_once() {
        // 0.8 is shared by a positive and a negative: one diagonal step, worth half a pair.
        let roc = roc_curve(&[0.8, 0.9, 0.3, 0.8], &[true, true, false, false]).unwrap();
        assert_eq!(roc.points, [(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
        assert_eq!(roc.auc, 0.875);
        // Every score equal: the chance diagonal.
        let tied = roc_curve(&[0.5; 4], &[true, false, true, false]).unwrap();
        assert_eq!(tied.points, [(0.0, 0.0), (1.0, 1.0)]);
        assert_eq!(tied.auc, 0.5);
    }

    #[test]
    fn roc_needs_both_sides() {
        assert_eq!(roc_curve(&[0.2, 0.7], &[true, true]), None);
        assert_eq!(roc_curve(&[0.2, 0.7], &[false, false]), None);
        assert_eq!(roc_curve(&[], &[]), None);
    }

    #[test]
    fn roc_area_is_the_leaderboards_auc() {
        // Scores on a coarse grid, so there are many ties.
        let truth: Vec<usize> = (0..60)
            .map(|i| usize::from(i % 3 == 0 || i % 7 == 0))
            .collect();
        let scores: Vec<f64> = (0..60)
            .map(|i| ((i * 37 % 11) as f64 / 10.0 + truth[i] as f64 * 0.3).min(1.0))
            .collect();
        let proba = ndarray::Array2::from_shape_fn((60, 2), |(r, c)| {
            if c == 1 {
                scores[r]
            } else {
                1.0 - scores[r]
            }
        });
        let positive: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
        let roc = roc_curve(&scores, &positive).unwrap();
        let expected = Metric::Auc.classify(&truth, proba.view());
        assert!((roc.auc - expected).abs() < 1e-12, "{} {expected}", roc.auc);
        assert!(roc.auc > 0.5 && roc.auc < 1.0);
        // The curve rises from (0, 0) to (1, 1).
        assert_eq!(roc.points.first(), Some(&(0.0, 0.0)));
        assert_eq!(roc.points.last(), Some(&(1.0, 1.0)));
        assert!(roc
            .points
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }

    #[test]
    fn confusion_matrix_counts_true_rows_against_predicted_columns() {
        let rows = [
            oof(0, 0, &[]),
            oof(0, 0, &[]),
            oof(0, 1, &[]),
            oof(1, 1, &[]),
            oof(2, 1, &[]),
            oof(2, 2, &[]),
        ];
        let cm = confusion_matrix(&["a", "b", "c"], &rows).unwrap();
        let counts: Vec<Vec<u64>> = cm["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["cells"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["count"].as_u64().unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(counts, [[2, 1, 0], [0, 1, 0], [0, 1, 1]]);
        assert_eq!(cm["rows"][0]["recall"], "67%");
        assert_eq!(cm["rows"][2]["cells"][1]["share"], "50%");
        assert_eq!(cm["columns"][1]["total"], 3);
        assert_eq!(cm["columns"][1]["precision"], "33%");
        assert_eq!(cm["total"], 6);
        assert_eq!(cm["accuracy"], "67%");
        // Shading: none for an empty cell, deeper for a larger share of the row.
        assert_eq!(cm["rows"][0]["cells"][2]["style"], "");
        assert!(cell_style(1.0, true).contains("0.90"));
        assert!(cell_style(0.5, false).contains("0.49"));
        assert_eq!(confusion_matrix(&["a", "b"], &[]), None);
    }

    #[test]
    fn roc_chart_draws_the_positive_class_or_one_curve_per_class() {
        let two = [
            oof(0, 0, &[0.9, 0.1]),
            oof(0, 0, &[0.6, 0.4]),
            oof(1, 1, &[0.3, 0.7]),
            oof(1, 0, &[0.55, 0.45]),
        ];
        let svg = roc_chart(&["no", "yes"], &two);
        assert!(svg.contains("ROC: yes vs no (AUC 1.000)"), "{svg}");
        let three = [
            oof(0, 0, &[0.8, 0.1, 0.1]),
            oof(1, 1, &[0.1, 0.8, 0.1]),
            oof(2, 2, &[0.1, 0.1, 0.8]),
            oof(2, 1, &[0.1, 0.85, 0.05]),
        ];
        let svg = roc_chart(&["a", "b", "c"], &three);
        assert!(svg.contains("one vs rest"), "{svg}");
        for legend in ["a: AUC 1.000", "b: AUC 0.6667", "c: AUC 0.5000"] {
            assert!(svg.contains(legend), "{legend}");
        }
    }

    #[test]
    fn permutation_importance_names_the_tasks_loss() {
        let kind = ImportanceKind::Permutation;
        assert!(importance_title(kind, Task::Regression).contains("RMSE"));
        assert!(importance_title(kind, Task::Classification).contains("log-loss"));
        assert!(importance_note(kind, Task::Classification).contains("log loss"));
    }
}
