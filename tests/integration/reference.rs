//! The engine's linear models under scikit-learn's folds match scikit-learn's figures.

use automl::{Compare, Metric, Status};
use serde_json::Value;

use crate::common::{data_file, dataset};

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
        .unwrap();
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
            .find(|e| e.model == model && automl::models::format_params(&e.params) == params)
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
