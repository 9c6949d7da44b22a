//! Criterion benchmarks of the engine's stages on the bundled diabetes data.
//!
//! cargo bench --bench engine

use std::path::Path;

use automl::load::{read_csv, CsvOptions};
use automl::profile::{convert_columns, profile};
use automl::Compare;
use criterion::{criterion_group, criterion_main, Criterion};

fn diabetes() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/diabetes.csv"
    ))
}

fn load_and_profile(c: &mut Criterion) {
    c.bench_function("load+profile diabetes", |b| {
        b.iter(|| {
            let frame = read_csv(diabetes(), &CsvOptions::default()).unwrap();
            let values = convert_columns(&frame).unwrap();
            profile(&frame, &values, "progression", &[]).unwrap()
        })
    });
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
}

criterion_group!(benches, load_and_profile, sweep);
criterion_main!(benches);
