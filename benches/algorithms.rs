//! Each algorithm's first default setting, fitted on a 10,000 x 20 synthetic table and predicting
//! 2,000 rows (kernel SVR on 2,000 x 20: it is limited to 5,000 training rows in a compare).
//!
//! cargo bench --bench algorithms

use automl::models::registry;
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

fn fits(c: &mut Criterion) {
    let (x, y) = table(10_000, 20, 1);
    let (x_small, y_small) = table(2_000, 20, 2);
    let (x_valid, _) = table(2_000, 20, 3);
    let mut group = c.benchmark_group("fit 10k x 20");
    group.sample_size(10);
    for algorithm in registry() {
        let params = algorithm.grid().remove(0);
        let (x, y) = if algorithm.id() == "svr" {
            (&x_small, &y_small)
        } else {
            (&x, &y)
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

criterion_group!(benches, fits);
criterion_main!(benches);
