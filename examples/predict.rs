//! A Rust service predicting with an exported model: load it once at start-up, then answer
//! requests from rows built in memory. No Python, no pickle: the model file is data.
//!
//! cargo run --release --example predict -- automl-runs/<run>/model.automl
//!
//! Without an argument it first trains a model on the bundled diabetes data and saves it to a
//! temporary folder, so the example runs on a fresh checkout.

use std::path::PathBuf;

use automl::{Compare, Model};
use polars::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scratch = tempfile::tempdir()?;
    let path = match std::env::args().nth(1) {
        Some(path) => PathBuf::from(path),
        None => {
            let result = Compare::new("progression")
                .exclude(["svr"])
                .run_csv("datasets/diabetes.csv")?;
            let model = result
                .models
                .first()
                .ok_or("no candidate could be exported")?;
            let path = scratch.path().join("model.automl");
            model.save(&path)?;
            path
        }
    };

    // Start-up: load and check the model (format version, length, SHA-256).
    let model = Model::load(&path)?;
    println!("loaded {model}");
    let inputs: Vec<&str> = model.inputs.iter().map(|c| c.name.as_str()).collect();
    println!("expects columns: {}", inputs.join(", "));

    // A request: two patients. Column order does not matter, extra columns are ignored, a
    // missing value is imputed as in training.
    let request = df!(
        "patient" => ["p-001", "p-002"],
        "age" => [59.0, 48.0],
        "sex" => [2.0, 1.0],
        "bmi" => [Some(32.1), None],
        "bp" => [101.0, 87.0],
        "s1" => [157.0, 183.0],
        "s2" => [93.2, 103.2],
        "s3" => [38.0, 70.0],
        "s4" => [4.0, 3.0],
        "s5" => [4.8598, 3.8918],
        "s6" => [87.0, 69.0],
    )?;
    let predictions = model.predict(&request)?;
    for warning in &predictions.warnings {
        println!("warning: {warning}");
    }
    let ids = request.column("patient")?.str()?;
    for (id, value) in ids.iter().zip(&predictions.values) {
        println!(
            "{}: predicted {} = {value:.1}",
            id.unwrap_or("?"),
            model.target
        );
    }
    Ok(())
}
