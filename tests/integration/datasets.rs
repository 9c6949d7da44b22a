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

/// The winner keeps the out-of-fold prediction of every row (f32), whose pooled MSE is its CV
/// MSE up to fold-size weighting; the report's charts get every row of a small table and a
/// seeded sample of 2,000 rows of a larger one.
#[test]
fn out_of_fold_predictions_of_every_row_are_kept_for_the_winner() {
    let cases = [
        ("diabetes.csv", "progression", 442, 442, vec![]),
        ("wage.csv", "wage", 3000, 2000, vec!["logwage"]),
    ];
    for (file, target, rows, charted, ignore) in cases {
        let compare = Compare::new(target)
            .include(["ridge", "dt"])
            .ignore(ignore.clone())
            .ensembles(false)
            .export_top(0);
        let board = compare.run_csv(dataset(file)).unwrap().leaderboard;
        let best = &board.entries[0];
        let oof = &best.out_of_fold;
        assert_eq!(oof.len(), rows, "{file}");
        assert!(board.entries[1..].iter().all(|e| e.out_of_fold.is_empty()));
        let pooled = oof
            .iter()
            .zip(&board.actual)
            .map(|(&p, a)| (a - f64::from(p)).powi(2))
            .sum::<f64>()
            / rows as f64;
        let cv = best.metric(Metric::Mse).unwrap().mean;
        let tolerance = if rows == 442 { 0.01 } else { 0.02 };
        assert!(
            (pooled - cv).abs() / cv < tolerance,
            "{file}: pooled {pooled} vs cv {cv}"
        );
        let chart = board.chart_rows(best);
        assert_eq!(chart.len(), charted);
        assert!(chart.windows(2).all(|w| w[0].row < w[1].row));
        let again = compare.run_csv(dataset(file)).unwrap().leaderboard;
        assert_eq!(best.out_of_fold, again.entries[0].out_of_fold);
    }
}
