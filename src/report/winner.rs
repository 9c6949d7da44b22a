//! The winner's section of the report: its out-of-fold predictions against the truth
//! (predicted vs actual and residuals, or the confusion matrix and ROC curves) and what it relies
//! on (its importances).

use serde_json::json;

use super::{charts, label, number, Report, IMPORTANCE_BARS, ROC_CURVES};
use crate::algorithms::ImportanceKind;
use crate::leaderboard::Entry;
use crate::leaderboard::OutOfFold;
use crate::metrics::{roc_curve, Confusion, RocCurve};
use crate::stats::Histogram;
use crate::task::Task;

impl Report {
    pub(super) fn winner(&self, best: &Entry) -> serde_json::Value {
        let sort = self.settings.sort;
        let task = self.profile.target.task;
        let stat = best.metric(sort);
        let oof = &self.out_of_fold;
        let (importance_chart, importance_note) = match &self.importance {
            Some(imp) => {
                let top: Vec<_> = imp.features.iter().take(IMPORTANCE_BARS).collect();
                let labels: Vec<String> = top.iter().map(|f| f.feature.clone()).collect();
                let values: Vec<f64> = top.iter().map(|f| f.value).collect();
                let note = importance_note(imp.kind, task);
                let note = match best.blend {
                    Some(_) => format!(
                        "{note} For an ensemble: each member's, on 500 rows, times its weight, summed."
                    ),
                    None => note.to_string(),
                };
                let title = importance_title(imp.kind, task);
                (charts::bars(title, &labels, &values), note)
            }
            None => (String::new(), String::new()),
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
        let residual_histogram = Histogram::of(&residual_values)
            .map(|h| {
                charts::histogram(
                    "residual distribution",
                    "actual − predicted",
                    &h.edges,
                    &h.counts,
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
    let class = |v: f64| {
        if v.is_finite() && v >= 0.0 {
            v as usize
        } else {
            usize::MAX
        }
    };
    let truth: Vec<usize> = oof.iter().map(|p| class(p.actual)).collect();
    let predicted: Vec<usize> = oof.iter().map(|p| class(p.predicted)).collect();
    let counts: Vec<Vec<usize>> = Confusion::of_classes(&truth, &predicted, k)
        .counts
        .iter()
        .map(|row| row.iter().map(|&c| c as usize).collect())
        .collect();
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
