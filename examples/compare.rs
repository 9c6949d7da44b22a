//! A Rust service ranking models on a CSV with the library API.
//!
//! cargo run --release --example compare -- datasets/diabetes.csv progression

use automl::{Compare, Metric, Status};

fn main() -> Result<(), automl::Error> {
    let mut args = std::env::args().skip(1);
    let data = args
        .next()
        .unwrap_or_else(|| "datasets/diabetes.csv".into());
    let target = args.next().unwrap_or_else(|| "progression".into());

    let board = Compare::new(target)
        .folds(5)
        .seed(42)
        .sort(Metric::Rmse)
        .exclude(["svr"])
        .run_csv(&data)?
        .leaderboard;

    println!("{} rows used", board.profile.target.rows_used);
    for column in board.profile.dropped() {
        println!(
            "dropped {}: {}",
            column.name,
            column.dropped.as_deref().unwrap_or("")
        );
    }
    for entry in board.entries.iter().take(5) {
        match (&entry.status, entry.metric(Metric::Rmse)) {
            (Status::Ok, Some(rmse)) => println!(
                "#{} {:<6} {:<40} rmse {:.3} ± {:.3}",
                entry.rank,
                entry.model,
                automl::algorithms::format_params(&entry.params),
                rmse.mean,
                rmse.std
            ),
            _ => println!(
                "#{} {} {}: {:?}",
                entry.rank, entry.model, entry.status, entry.error
            ),
        }
    }
    Ok(())
}
