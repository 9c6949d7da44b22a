//! Criterion benchmarks of the engine's stages on the bundled diabetes data (preprocessing also on
//! wage, which has categoricals; a classification sweep on breast_cancer).
//!
//! cargo bench --bench engine

use std::path::Path;

use automl::folds::kfold;
use automl::io::load::{read_csv, CsvOptions};
use automl::preprocess::{EncodingOptions, Pipeline};
use automl::profile::{convert_columns, profile};
use automl::table::Table;
use automl::{Compare, Model};
use criterion::{criterion_group, criterion_main, Criterion};

fn diabetes() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/diabetes.csv"
    ))
}

fn breast_cancer() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/breast_cancer.csv"
    ))
}

fn load_and_profile(c: &mut Criterion) {
    c.bench_function("load+profile diabetes", |b| {
        b.iter(|| {
            let frame = read_csv(diabetes(), &CsvOptions::default()).unwrap();
            let values = convert_columns(&frame).unwrap();
            profile(&frame, &values, "progression", &[], None).unwrap()
        })
    });
}

/// Fitting one fold's preprocessing on its training rows and transforming its training and
/// validation rows, unscaled and standardised.
fn preprocessing(c: &mut Criterion) {
    let mut group = c.benchmark_group("preprocess");
    for (file, target) in [("diabetes.csv", "progression"), ("wage.csv", "wage")] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("datasets")
            .join(file);
        let frame = read_csv(&path, &CsvOptions::default()).unwrap();
        let values = convert_columns(&frame).unwrap();
        let profile = profile(&frame, &values, target, &[], None).unwrap();
        let table = Table::new(&frame, values, &profile).unwrap();
        let fold = kfold(table.rows(), 5, Some(42)).unwrap().remove(0);
        for scaled in [false, true] {
            let name = format!(
                "{file} fit+transform{}",
                if scaled { " scaled" } else { "" }
            );
            group.bench_function(name, |b| {
                b.iter(|| {
                    let pipeline =
                        Pipeline::fit(&table, &fold.train, &EncodingOptions::default(), scaled)
                            .unwrap();
                    (
                        pipeline.transform(&table, &fold.train).unwrap(),
                        pipeline.transform(&table, &fold.valid).unwrap(),
                    )
                })
            });
        }
    }
    group.finish();
}

fn sweep(c: &mut Criterion) {
    let mut group = c.benchmark_group("compare diabetes");
    group.sample_size(10);
    group.bench_function("linear models", |b| {
        let compare = Compare::new("progression").include(["ols", "ridge", "lasso", "enet"]);
        b.iter(|| compare.run_csv(diabetes()).unwrap())
    });
    group.bench_function("default sweep", |b| {
        let compare = Compare::new("progression");
        b.iter(|| compare.run_csv(diabetes()).unwrap())
    });
    group.finish();
    let mut group = c.benchmark_group("compare breast_cancer");
    group.sample_size(10);
    group.bench_function("default sweep", |b| {
        let compare = Compare::new("diagnosis");
        b.iter(|| compare.run_csv(breast_cancer()).unwrap())
    });
    group.finish();
}

/// Serving: loading an exported model (header, checksum, JSON), predicting on new rows, and a
/// one-row scoring request inside the process (the JSON body parsed as `automl serve` parses it,
/// then predicted): the server's latency without the network.
fn serve(c: &mut Criterion) {
    let frame = read_csv(diabetes(), &CsvOptions::default()).unwrap();
    let mut group = c.benchmark_group("serve diabetes");
    let one_row = br#"{"dataframe_split": {"columns": ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"], "data": [[59, 2, 32.1, 101, 157, 93.2, 38, 4, 4.8598, 87]]}}"#;
    for id in ["ridge", "gbm", "rf", "ensemble"] {
        let compare = Compare::new("progression");
        let compare = match id {
            "ensemble" => compare.include(["ridge", "gbm", "rf", "knn"]),
            _ => compare.include([id]).ensembles(false),
        };
        let result = compare.export_top(3).run(&frame).unwrap();
        let Some(model) = result
            .models
            .iter()
            .find(|m| m.algorithm == id || (id == "ensemble" && !m.members.is_empty()))
        else {
            eprintln!("no {id} among the three best");
            continue;
        };
        let bytes = model.to_bytes().unwrap();
        eprintln!("{id} model file: {} bytes", bytes.len());
        group.bench_function(format!("load {id}"), |b| {
            b.iter(|| Model::from_bytes(&bytes).unwrap())
        });
        group.bench_function(format!("predict 442 rows {id}"), |b| {
            b.iter(|| model.predict(&frame).unwrap())
        });
        group.bench_function(format!("one-row request {id}"), |b| {
            b.iter(|| {
                let request =
                    automl::serve::parse(Some("application/json"), one_row.to_vec()).unwrap();
                model.predict(&request.rows).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, load_and_profile, preprocessing, sweep, serve);
criterion_main!(benches);
