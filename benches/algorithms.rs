//! Each algorithm's first default setting, fitted on a 10,000 x 20 synthetic table and predicting
//! 2,000 rows (kernel SVR and SVC on 2,000 x 20: they are limited to 5,000 training rows in a
//! compare). Classifiers learn three classes cut from the same target at its terciles.
//!
//! cargo bench --bench algorithms

use automl::algorithms::for_task;
use automl::Task;
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Features uniform in [0, 1); a target with linear, interaction and threshold parts plus noise.
fn table(rows: usize, cols: usize, seed: u64) -> (Array2<f64>, Array1<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((rows, cols), |_| rng.gen::<f64>());
    let y = x
        .rows()
        .into_iter()
        .map(|r| {
            3.0 * r[0] - 2.0 * r[1]
                + 4.0 * r[2] * r[3]
                + if r[4] > 0.5 { 1.5 } else { 0.0 }
                + 0.3 * rng.gen::<f64>()
        })
        .collect();
    (x, y)
}

/// Class indices 0, 1, 2 of `y` cut at its terciles.
fn terciles(y: &Array1<f64>) -> Array1<f64> {
    let mut sorted = y.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (low, high) = (sorted[y.len() / 3], sorted[2 * y.len() / 3]);
    y.mapv(|v| f64::from(u8::from(v >= low) + u8::from(v >= high)))
}

fn fits(c: &mut Criterion) {
    let (x, y) = table(10_000, 20, 1);
    let (x_small, y_small) = table(2_000, 20, 2);
    let (x_valid, _) = table(2_000, 20, 3);
    for (task, group_name) in [
        (Task::Regression, "fit 10k x 20"),
        (Task::Classification, "classify 10k x 20"),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.sample_size(10);
        for algorithm in for_task(task) {
            let params = algorithm.grid().remove(0);
            let (x, y) = if algorithm.id().starts_with("sv") {
                (&x_small, &y_small)
            } else {
                (&x, &y)
            };
            let y = match task {
                Task::Regression => y.clone(),
                Task::Classification => terciles(y),
            };
            group.bench_function(algorithm.id(), |b| {
                b.iter(|| {
                    let model = algorithm.fit(&params, x.view(), y.view(), 7).unwrap();
                    model.predict(x_valid.view()).unwrap()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, fits);
criterion_main!(benches);
