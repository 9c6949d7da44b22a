//! The engine's own histogram trees (decision tree, random forest, extra trees) against
//! smartcore's exact-split trees, which they replaced: on the same folds and the same
//! preprocessed matrices, cross-validated RMSE within a few percent (or better) on the shared
//! regression datasets.

use automl::folds::{kfold, Fold};
use automl::io::load::{read_csv, CsvOptions};
use automl::preprocess::{EncodingOptions, Pipeline};
use automl::profile::{convert_columns, profile};
use automl::table::Table;
use automl::{Compare, Metric, Status, DEFAULT_SEED};
use ndarray::Array2;
use smartcore::ensemble::extra_trees_regressor::{
    ExtraTreesRegressor, ExtraTreesRegressorParameters,
};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_regressor::{
    DecisionTreeRegressor, DecisionTreeRegressorParameters,
};

use crate::common::dataset;

/// One fold's unscaled matrices and targets.
struct FoldData {
    cols: usize,
    train: DenseMatrix<f64>,
    y_train: Vec<f64>,
    valid: DenseMatrix<f64>,
    y_valid: Vec<f64>,
}

fn dense(x: Array2<f64>) -> DenseMatrix<f64> {
    DenseMatrix::new(x.nrows(), x.ncols(), x.iter().copied().collect(), false).unwrap()
}

/// The compare's folds (5, shuffled with the default seed) through its preprocessing.
fn folds(file: &str, target: &str, ignore: &[&str]) -> Vec<FoldData> {
    let frame = read_csv(&dataset(file), &CsvOptions::default()).unwrap();
    let values = convert_columns(&frame).unwrap();
    let ignore: Vec<String> = ignore.iter().map(|s| s.to_string()).collect();
    let profile = profile(&frame, &values, target, &ignore, None).unwrap();
    let table = Table::new(&frame, values, &profile).unwrap();
    let folds: Vec<Fold> = kfold(table.rows(), 5, Some(DEFAULT_SEED)).unwrap();
    folds
        .iter()
        .map(|fold| {
            let pipeline =
                Pipeline::fit(&table, &fold.train, &EncodingOptions::default(), false).unwrap();
            let y = |rows: &[usize]| rows.iter().map(|&r| table.target[r]).collect();
            let train = pipeline.transform(&table, &fold.train).unwrap();
            FoldData {
                cols: train.ncols(),
                train: dense(train),
                y_train: y(&fold.train),
                valid: dense(pipeline.transform(&table, &fold.valid).unwrap()),
                y_valid: y(&fold.valid),
            }
        })
        .collect()
}

fn rmse(pred: &[f64], truth: &[f64]) -> f64 {
    Metric::Rmse.score(truth, pred)
}

/// smartcore's mean fold RMSE of the model `fit` makes on each fold.
fn smartcore_rmse(folds: &[FoldData], fit: impl Fn(&FoldData) -> Vec<f64>) -> f64 {
    folds.iter().map(|f| rmse(&fit(f), &f.y_valid)).sum::<f64>() / folds.len() as f64
}

/// Our mean fold RMSE of candidate `id` with `params` (as the leaderboard writes them).
fn our_rmse(file: &str, target: &str, ignore: &[&str], id: &str, params: &str) -> f64 {
    let board = Compare::new(target)
        .ignore(ignore.iter().copied())
        .include([id])
        .export_top(0)
        .run_csv(dataset(file))
        .unwrap()
        .leaderboard;
    let entry = board
        .entries
        .iter()
        .find(|e| automl::algorithms::format_params(&e.params) == params)
        .unwrap_or_else(|| panic!("no {id} {params}"));
    assert_eq!(entry.status, Status::Ok, "{id} {params}: {:?}", entry.error);
    entry.metric(Metric::Rmse).unwrap().mean
}

/// Within 5% of smartcore's RMSE, or better.
fn assert_close(what: &str, ours: f64, theirs: f64) {
    eprintln!(
        "{what}: ours {ours:.4}, smartcore {theirs:.4} ({:+.2}%)",
        (ours / theirs - 1.0) * 100.0
    );
    assert!(
        ours <= theirs * 1.05,
        "{what}: ours {ours} vs smartcore {theirs}"
    );
}

const DATASETS: [(&str, &str, &[&str]); 5] = [
    ("diabetes.csv", "progression", &[]),
    ("auto.csv", "mpg", &["name"]),
    ("credit.csv", "Balance", &[]),
    ("ncbirths.csv", "weight", &["lowbirthweight"]),
    ("cars93.csv", "Price", &["Min.Price", "Max.Price"]),
];

#[test]
fn random_forest_and_extra_trees_match_smartcore() {
    for (file, target, ignore) in DATASETS {
        let data = folds(file, target, ignore);
        let cols = data[0].cols;
        for leaf in [1, 5] {
            let params = RandomForestRegressorParameters {
                max_depth: None,
                min_samples_leaf: leaf,
                min_samples_split: 2,
                n_trees: 100,
                m: Some(cols),
                keep_samples: false,
                seed: DEFAULT_SEED,
            };
            let theirs = smartcore_rmse(&data, |f| {
                RandomForestRegressor::fit(&f.train, &f.y_train, params.clone())
                    .and_then(|m| m.predict(&f.valid))
                    .unwrap()
            });
            let setting = format!("max_features=1 min_samples_leaf={leaf} n_trees=100");
            let ours = our_rmse(file, target, ignore, "rf", &setting);
            assert_close(&format!("{file} rf {setting}"), ours, theirs);

            let params = ExtraTreesRegressorParameters {
                max_depth: None,
                min_samples_leaf: leaf,
                min_samples_split: 2,
                n_trees: 100,
                m: Some(cols),
                keep_samples: false,
                seed: DEFAULT_SEED,
            };
            let theirs = smartcore_rmse(&data, |f| {
                ExtraTreesRegressor::fit(&f.train, &f.y_train, params.clone())
                    .and_then(|m| m.predict(&f.valid))
                    .unwrap()
            });
            let ours = our_rmse(file, target, ignore, "et", &setting);
            assert_close(&format!("{file} et {setting}"), ours, theirs);
        }
    }
}

#[test]
fn decision_trees_match_smartcore() {
    for (file, target, ignore) in DATASETS {
        let data = folds(file, target, ignore);
        for (depth, leaf) in [(Some(4), 1), (Some(8), 5), (None, 5)] {
            let params = DecisionTreeRegressorParameters {
                max_depth: depth,
                min_samples_leaf: leaf,
                min_samples_split: 2,
                seed: Some(DEFAULT_SEED),
            };
            let theirs = smartcore_rmse(&data, |f| {
                DecisionTreeRegressor::fit(&f.train, &f.y_train, params.clone())
                    .and_then(|m| m.predict(&f.valid))
                    .unwrap()
            });
            let depth = depth.map_or("none".to_string(), |d| d.to_string());
            let setting = format!("max_depth={depth} min_samples_leaf={leaf}");
            let ours = our_rmse(file, target, ignore, "dt", &setting);
            // A single tree's exact and binned splits differ most (up to 256 bins).
            assert_close(&format!("{file} dt {setting}"), ours, theirs);
        }
    }
}
