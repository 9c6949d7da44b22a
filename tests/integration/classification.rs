//! Classification end to end: the task inferred from the target, stratified folds, the
//! classification metrics, export and `automl predict` with labels and probabilities.

use std::collections::HashMap;
use std::path::Path;

use predicates::prelude::*;

use crate::common::{automl, dataset, leaderboard_without_times, read_csv, scratch_dir, stdout_of};

/// Runs a default compare and returns the leaderboard rows (header first) and stdout.
fn compare(data: &str, target: &str, extra: &[&str], out: &Path) -> (Vec<Vec<String>>, String) {
    let stdout = stdout_of(
        automl()
            .args([
                "compare",
                "--target",
                target,
                "--quiet",
                "--no-track",
                "--out",
            ])
            .arg(out)
            .args(extra)
            .arg(dataset(data)),
    );
    (read_csv(&out.join("leaderboard.csv")), stdout)
}

/// The value of `column` in leaderboard row `row` (1 = best).
fn cell<'a>(rows: &'a [Vec<String>], row: usize, column: &str) -> &'a str {
    let at = rows[0].iter().position(|h| h == column).unwrap();
    &rows[row][at]
}

fn best_accuracy(rows: &[Vec<String>]) -> f64 {
    cell(rows, 1, "accuracy_mean").parse().unwrap()
}

/// Predicts `data` with the run's model and returns (labels, probability rows, header).
fn predict_with_proba(run: &Path, data: &Path) -> (Vec<String>, Vec<Vec<f64>>, Vec<String>) {
    let out = run.join("predictions.csv");
    automl()
        .args(["predict", "--proba", "--model"])
        .arg(run)
        .arg(data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let rows = read_csv(&out);
    let labels = rows[1..].iter().map(|r| r[0].clone()).collect();
    let proba = rows[1..]
        .iter()
        .map(|r| r[1..].iter().map(|p| p.parse().unwrap()).collect())
        .collect();
    (labels, proba, rows[0].clone())
}

#[test]
fn iris_runs_end_to_end_with_three_classes() {
    let out = scratch_dir("iris");
    let (rows, stdout) = compare("iris.csv", "species", &[], &out);
    assert!(
        stdout.contains("target 'species' (classification)"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("3 classes: setosa 50 (33.3%), versicolor 50 (33.3%), virginica 50 (33.3%)"),
        "{stdout}"
    );
    assert!(stdout.contains("ACCURACY*"), "{stdout}");
    let header = &rows[0];
    for metric in [
        "accuracy",
        "auc",
        "recall",
        "precision",
        "f1",
        "kappa",
        "mcc",
        "logloss",
    ] {
        assert!(header.contains(&format!("{metric}_mean")), "{metric}");
    }
    assert!(!header.contains(&"rmse_mean".to_string()));
    // Every classifier scored, sorted by accuracy, the majority baseline at 1/3.
    let statuses: Vec<&str> = (1..rows.len()).map(|r| cell(&rows, r, "status")).collect();
    assert!(statuses.iter().all(|s| *s == "ok"), "{statuses:?}");
    let accuracies: Vec<f64> = (1..rows.len())
        .map(|r| cell(&rows, r, "accuracy_mean").parse().unwrap())
        .collect();
    assert!(accuracies.windows(2).all(|w| w[0] >= w[1]));
    assert!(best_accuracy(&rows) >= 0.95, "{}", best_accuracy(&rows));
    let majority = (1..rows.len())
        .find(|&r| cell(&rows, r, "model") == "majority")
        .unwrap();
    assert!(
        (cell(&rows, majority, "accuracy_mean")
            .parse::<f64>()
            .unwrap()
            - 1.0 / 3.0)
            .abs()
            < 1e-9
    );
    assert_eq!(
        cell(&rows, majority, "auc_mean").parse::<f64>().unwrap(),
        0.5
    );
    let models: Vec<&str> = (1..rows.len()).map(|r| cell(&rows, r, "model")).collect();
    for id in ["lr", "dt", "rf", "et", "knn", "nb", "gbm", "majority"] {
        assert!(models.contains(&id), "{id} missing from {models:?}");
    }
    // Kernel machines run only when named.
    assert!(!models.contains(&"svc"), "{models:?}");

    // The exported model predicts labels; probabilities sum to 1, one column per class.
    let (labels, proba, header) = predict_with_proba(&out, &dataset("iris.csv"));
    assert_eq!(
        header,
        [
            "prediction",
            "proba_setosa",
            "proba_versicolor",
            "proba_virginica"
        ]
    );
    assert_eq!(labels.len(), 150);
    let truth: Vec<String> = read_csv(&dataset("iris.csv"))[1..]
        .iter()
        .map(|r| r[4].clone())
        .collect();
    let right = labels.iter().zip(&truth).filter(|(p, t)| p == t).count();
    assert!(right >= 140, "{right} of 150 right on the training rows");
    for (label, p) in labels.iter().zip(&proba) {
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let most = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        assert_eq!(&header[most + 1]["proba_".len()..], label);
    }
}

#[test]
fn breast_cancer_is_binary_with_malignant_as_the_positive_class() {
    let out = scratch_dir("breast-cancer");
    let (rows, stdout) = compare("breast_cancer.csv", "diagnosis", &["--sort", "auc"], &out);
    assert!(
        stdout.contains("2 classes: benign 357 (62.7%), malignant 212 (37.3%)"),
        "{stdout}"
    );
    assert!(stdout.contains("AUC*"), "{stdout}");
    let aucs: Vec<f64> = (1..rows.len())
        .filter(|&r| cell(&rows, r, "status") == "ok")
        .map(|r| cell(&rows, r, "auc_mean").parse().unwrap())
        .collect();
    assert!(aucs.windows(2).all(|w| w[0] >= w[1]));
    assert!(aucs[0] >= 0.98, "best AUC {}", aucs[0]);
    let accuracy: f64 = cell(&rows, 1, "accuracy_mean").parse().unwrap();
    assert!(accuracy >= 0.94, "{accuracy}");
    let (labels, _, header) = predict_with_proba(&out, &dataset("breast_cancer.csv"));
    assert_eq!(header, ["prediction", "proba_benign", "proba_malignant"]);
    let counts = labels.iter().fold(HashMap::new(), |mut m, l| {
        *m.entry(l.as_str()).or_insert(0) += 1;
        m
    });
    assert!(
        counts["malignant"] > 180 && counts["benign"] > 330,
        "{counts:?}"
    );
}

#[test]
fn smarket_flags_the_leak_and_is_a_coin_toss_without_it() {
    let out = scratch_dir("smarket");
    let (rows, stdout) = compare("smarket.csv", "Direction", &[], &out);
    assert!(
        stdout.contains("'Today' alone separates the two classes (AUC 1.000)"),
        "{stdout}"
    );
    assert!(best_accuracy(&rows) >= 0.95, "{}", best_accuracy(&rows));
    let honest = scratch_dir("smarket-honest");
    let (rows, _) = compare("smarket.csv", "Direction", &["--ignore", "Today"], &honest);
    let best = best_accuracy(&rows);
    assert!((0.48..0.60).contains(&best), "{best}");
}

#[test]
fn the_classification_leaderboard_does_not_depend_on_the_thread_count() {
    let (one, two) = (scratch_dir("iris-1"), scratch_dir("iris-2"));
    let single = leaderboard_without_times("breast_cancer.csv", "diagnosis", "1", &one);
    let double = leaderboard_without_times("breast_cancer.csv", "diagnosis", "2", &two);
    assert_eq!(single, double);
}

#[test]
fn task_and_sort_settings_are_checked() {
    // cylinders: 5 integer levels, so classes; '5' has 3 rows, fewer than 5 folds.
    automl()
        .args([
            "compare",
            "--target",
            "cylinders",
            "--quiet",
            "--no-track",
            "--ignore",
            "name",
        ])
        .arg(dataset("auto.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "class '5' of the target has 3 row(s)",
        ))
        .stderr(predicate::str::contains("use --folds 3"));
    let out = scratch_dir("cylinders");
    let (rows, stdout) = compare(
        "auto.csv",
        "cylinders",
        &[
            "--folds",
            "3",
            "--ignore",
            "name",
            "--include",
            "lr,majority",
        ],
        &out,
    );
    assert!(
        stdout.contains("5 classes: 3 4 (1.0%), 4 199 (50.8%)"),
        "{stdout}"
    );
    assert_eq!(rows.len(), 1 + 3 + 1);
    // The same column as a quantity.
    let out = scratch_dir("cylinders-regression");
    let (rows, _) = compare(
        "auto.csv",
        "cylinders",
        &[
            "--task",
            "regression",
            "--ignore",
            "name",
            "--include",
            "ridge",
        ],
        &out,
    );
    assert!(rows[0].contains(&"rmse_mean".to_string()));
    automl()
        .args(["compare", "--target", "species", "--sort", "rmse"])
        .arg(dataset("iris.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--sort rmse is a regression metric and this is classification",
        ));
    automl()
        .args(["compare", "--target", "species", "--include", "ridge"])
        .arg(dataset("iris.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown algorithm id 'ridge'; known ids: classification: majority, lr",
        ));
    // --proba needs a classifier.
    let ridge = scratch_dir("ridge");
    compare(
        "diabetes.csv",
        "progression",
        &["--include", "ridge"],
        &ridge,
    );
    automl()
        .args(["predict", "--proba", "--model"])
        .arg(&ridge)
        .arg(dataset("diabetes.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--proba needs a classifier"));
}
