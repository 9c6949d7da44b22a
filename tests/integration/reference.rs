//! The engine's linear models under scikit-learn's folds match scikit-learn's figures.

use automl::{Compare, Metric, Status};
use serde_json::Value;

use crate::common::{data_file, dataset, scratch_dir};

#[test]
fn linear_models_match_scikit_learn_on_contiguous_folds() {
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(data_file("diabetes_linear.json")).unwrap())
            .unwrap();
    let board = Compare::new("progression")
        .folds(5)
        .shuffle(false)
        .include(["ols", "ridge", "lasso", "enet"])
        .run_csv(dataset("diabetes.csv"))
        .unwrap()
        .leaderboard;
    let cases = [
        ("ols", "ols", ""),
        ("ridge_alpha_1", "ridge", "alpha=1"),
        ("lasso_alpha_1", "lasso", "alpha=1"),
        ("elasticnet_alpha_1_l1_0.5", "enet", "alpha=1 l1_ratio=0.5"),
    ];
    for (key, model, params) in cases {
        let entry = board
            .entries
            .iter()
            .find(|e| e.model == model && automl::algorithms::format_params(&e.params) == params)
            .unwrap_or_else(|| panic!("no {model} {params} in the leaderboard"));
        assert_eq!(entry.status, Status::Ok, "{model}: {:?}", entry.error);
        let expected_folds: Vec<f64> = reference[key]["cv5_contiguous_fold_rmse"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (fold, (got, want)) in entry
            .folds
            .iter()
            .map(|f| f.scores[0])
            .zip(&expected_folds)
            .enumerate()
        {
            assert!(
                ((got - want) / want).abs() < 1e-6,
                "{model} {params} fold {}: rmse {got} vs scikit-learn {want}",
                fold + 1
            );
        }
        let want = reference[key]["cv5_contiguous_mean_rmse"].as_f64().unwrap();
        let got = entry.metric(Metric::Rmse).unwrap().mean;
        assert!(
            ((got - want) / want).abs() < 1e-6,
            "{model} {params}: mean rmse {got} vs {want}"
        );
    }
}

/// Columns that repeat others (a copy, a negated copy) leave OLS's predictions as they were:
/// the same fold scores as scikit-learn's on diabetes without them (its QR had given the copies
/// weights of +-1e16, off by units).
#[test]
fn ols_with_repeated_columns_matches_scikit_learn_without_them() {
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(data_file("diabetes_linear.json")).unwrap())
            .unwrap();
    let text = std::fs::read_to_string(dataset("diabetes.csv")).unwrap();
    let mut repeated = String::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        let (copy, negated) = match i {
            0 => (
                format!("{}_copy", fields[2]),
                format!("{}_negated", fields[4]),
            ),
            _ => (fields[2].to_string(), format!("-{}", fields[4])),
        };
        repeated.push_str(&format!("{line},{copy},{negated}\n"));
    }
    let file = scratch_dir("repeated-columns").join("diabetes.csv");
    std::fs::write(&file, repeated).unwrap();
    assert_ols_fold_rmse(&file, &reference["ols"]["cv5_contiguous_fold_rmse"]);
}

/// OLS on a table wider than tall (the first 10 rows of diabetes: 8 training rows a fold, 10
/// columns) is the least-norm least-squares fit, scikit-learn's fold scores
/// (tests/data/wide_linear.py); linfa's least squares had scored 37.88 against 54.12.
#[test]
fn ols_wider_than_tall_matches_scikit_learn() {
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(data_file("wide_linear.json")).unwrap())
            .unwrap();
    let rows = reference["ols"]["rows"].as_u64().unwrap() as usize;
    let text = std::fs::read_to_string(dataset("diabetes.csv")).unwrap();
    let head: String = text
        .lines()
        .take(rows + 1)
        .map(|l| format!("{l}\n"))
        .collect();
    let file = scratch_dir("wide-ols").join("diabetes.csv");
    std::fs::write(&file, head).unwrap();
    assert_ols_fold_rmse(&file, &reference["ols"]["cv5_contiguous_fold_rmse"]);
}

/// OLS on `file` (target `progression`) under 5 contiguous folds scores `expected`, fold by fold.
fn assert_ols_fold_rmse(file: &std::path::Path, expected: &Value) {
    let board = Compare::new("progression")
        .folds(5)
        .shuffle(false)
        .include(["ols"])
        .ensembles(false)
        .run_csv(file)
        .unwrap()
        .leaderboard;
    let ols = &board.entries[0];
    assert_eq!(ols.status, Status::Ok, "{:?}", ols.error);
    let expected = expected.as_array().unwrap();
    assert_eq!(ols.folds.len(), expected.len());
    for (fold, want) in ols.folds.iter().zip(expected) {
        let (got, want) = (fold.scores[0], want.as_f64().unwrap());
        assert!(((got - want) / want).abs() < 1e-6, "rmse {got} vs {want}");
    }
}

/// Logistic regression (binomial and multinomial) and Gaussian naive Bayes refitted on every row
/// give scikit-learn's class probabilities (tests/data/classification_models.py).
#[test]
fn classifiers_match_scikit_learn_probabilities() {
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(data_file("classification_models.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for (data, target) in [("iris", "species"), ("breast_cancer", "diagnosis")] {
        let frame = automl::io::load::read_csv(
            &dataset(&format!("{data}.csv")),
            &automl::CsvOptions::default(),
        )
        .unwrap();
        let board = Compare::new(target)
            .include(["lr", "nb"])
            .ensembles(false)
            .export_top(4)
            .run(&frame)
            .unwrap();
        for model in &board.models {
            let key = format!(
                "{data} {} {}",
                model.algorithm,
                automl::algorithms::format_params(&model.params)
            );
            let case = &reference[&key];
            assert!(case.is_object(), "no reference for {key}");
            let classes: Vec<&str> = case["classes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            assert_eq!(model.classes, classes, "{key}");
            let predictions = model.predict(&frame).unwrap();
            let proba = predictions.proba.unwrap();
            let truth: Vec<usize> = board_truth(&frame, target, &model.classes);
            let log_loss = Metric::LogLoss.classify(&truth, proba.view());
            let want = case["log_loss"].as_f64().unwrap();
            assert!(
                (log_loss - want).abs() <= 1e-5 * want.max(0.01),
                "{key}: log loss {log_loss}, scikit-learn {want}"
            );
            for (row, expected) in case["rows"]
                .as_array()
                .unwrap()
                .iter()
                .zip(case["proba"].as_array().unwrap())
            {
                let row = row.as_u64().unwrap() as usize;
                for (c, p) in expected.as_array().unwrap().iter().enumerate() {
                    let (got, want) = (proba[[row, c]], p.as_f64().unwrap());
                    assert!(
                        (got - want).abs() <= 1e-5,
                        "{key} row {row} class {c}: {got}, scikit-learn {want}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 8);
}

/// Each row's class index of `target` in `classes`.
fn board_truth(frame: &polars::prelude::DataFrame, target: &str, classes: &[String]) -> Vec<usize> {
    let column = frame.column(target).unwrap().str().unwrap().clone();
    column
        .iter()
        .map(|v| classes.iter().position(|c| Some(c.as_str()) == v).unwrap())
        .collect()
}
