//! Every bundled regression dataset runs end to end and its best model beats the mean baseline.

use automl::{Compare, Metric, Status};

use crate::common::dataset;

fn check(file: &str, target: &str) {
    let board = Compare::new(target)
        .run_csv(dataset(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let failed: Vec<String> = board
        .entries
        .iter()
        .filter(|e| e.status == Status::Failed)
        .map(|e| {
            format!(
                "{} {:?}: {}",
                e.model,
                e.params,
                e.error.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert!(failed.is_empty(), "{file}: failed candidates: {failed:#?}");
    let best = board.best().expect("a scored candidate");
    let baseline = board.entries.iter().find(|e| e.model == "mean").unwrap();
    let (best_rmse, base_rmse) = (
        best.metric(Metric::Rmse).unwrap().mean,
        baseline.metric(Metric::Rmse).unwrap().mean,
    );
    assert!(
        best_rmse < 0.9 * base_rmse,
        "{file}: best {} rmse {best_rmse} is not clearly better than the mean's {base_rmse}",
        best.model
    );
}

#[test]
fn diabetes() {
    check("diabetes.csv", "progression");
}

#[test]
fn auto() {
    check("auto.csv", "mpg");
}

#[test]
fn credit() {
    check("credit.csv", "Balance");
}

#[test]
fn wage() {
    check("wage.csv", "wage");
}

#[test]
fn ncbirths() {
    check("ncbirths.csv", "weight");
}

#[test]
fn cars93() {
    check("cars93.csv", "Price");
}
