//! Every bundled regression dataset runs end to end and its best model beats the mean baseline.

use automl::{Compare, Metric, Status};

use crate::common::dataset;

fn check(file: &str, target: &str) {
    let board = Compare::new(target)
        .run_csv(dataset(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .leaderboard;
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

/// Every candidate keeps out-of-fold predictions: every row of a small table, a seeded sample of
/// 2,000 rows of a larger one; their pooled MSE is the CV MSE up to fold-size weighting.
#[test]
fn out_of_fold_predictions_are_kept_for_residual_plots() {
    let cases = [
        ("diabetes.csv", "progression", 442, vec![]),
        ("wage.csv", "wage", 2000, vec!["logwage"]),
    ];
    for (file, target, rows, ignore) in cases {
        let board = Compare::new(target)
            .include(["ridge", "dt"])
            .ignore(ignore.clone())
            .export_top(0)
            .run_csv(dataset(file))
            .unwrap()
            .leaderboard;
        for entry in &board.entries {
            let oof = &entry.out_of_fold;
            assert_eq!(oof.len(), rows, "{file} {}", entry.model);
            assert!(
                oof.windows(2).all(|w| w[0].row < w[1].row),
                "one per row, sorted"
            );
            let pooled = oof
                .iter()
                .map(|p| (p.actual - p.predicted).powi(2))
                .sum::<f64>()
                / oof.len() as f64;
            let cv = entry.metric(Metric::Mse).unwrap().mean;
            let tolerance = if rows == 442 { 0.01 } else { 0.15 };
            assert!(
                (pooled - cv).abs() / cv < tolerance,
                "{file} {}: pooled {pooled} vs cv {cv}",
                entry.model
            );
        }
        let again = Compare::new(target)
            .include(["ridge", "dt"])
            .ignore(ignore)
            .export_top(0)
            .run_csv(dataset(file))
            .unwrap()
            .leaderboard;
        assert_eq!(board.entries[0].out_of_fold, again.entries[0].out_of_fold);
    }
}
