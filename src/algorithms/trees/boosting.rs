//! Gradient boosting: depth-limited trees fitted one after another to the gradients of squared
//! or log loss.

use ndarray::{ArrayView1, ArrayView2};
use rand::seq::index;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::binning::Binned;
use super::grow::{grow, relevance, Fitting, Growth};
use super::predict::{normalised, Combine, Ensemble};
use crate::algorithms::{FitError, FitResult};

/// Gradient boosting of depth-limited trees, squared loss or (`log_loss`, targets 0/1) log
/// loss. Each tree grows on a seeded sample of `subsample` of the rows (all rows at 1.0).
pub(super) fn fit_boosting(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    iterations: usize,
    growth: &Growth,
    log_loss: bool,
    subsample: f64,
    seed: u64,
) -> FitResult<Ensemble> {
    let rows = x.nrows();
    if rows == 0 {
        return Err(FitError::NoRows);
    }
    let bins = Binned::new(x);
    let mean = y.sum() / rows as f64;
    let base = if log_loss {
        let p = mean.clamp(1e-12, 1.0 - 1e-12);
        (p / (1.0 - p)).ln()
    } else {
        mean
    };
    // Squared error leaves every hessian 1; log loss never does.
    let relevance = relevance(&bins, growth, y, !log_loss);
    let mut raw = vec![base; rows];
    let (mut grad, mut hess) = (vec![0.0; rows], vec![1.0; rows]);
    let mut sample: Vec<u32> = (0..rows as u32).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut trees = Vec::with_capacity(iterations);
    let mut gains = vec![0.0; x.ncols()];
    for _ in 0..iterations {
        // Each tree starts from the rows in order (the last one left them grouped by leaf).
        let drawn = if subsample < 1.0 {
            let n = ((subsample * rows as f64).round() as usize).clamp(1, rows);
            let mut drawn = index::sample(&mut rng, rows, n).into_vec();
            drawn.sort_unstable();
            for (r, &d) in sample.iter_mut().zip(&drawn) {
                *r = d as u32;
            }
            Some(drawn.len())
        } else {
            for (i, r) in sample.iter_mut().enumerate() {
                *r = i as u32;
            }
            None
        };
        for r in 0..rows {
            if log_loss {
                let p = 1.0 / (1.0 + (-raw[r]).exp());
                grad[r] = y[r] - p;
                hess[r] = (p * (1.0 - p)).max(1e-16);
            } else {
                grad[r] = y[r] - raw[r];
            }
        }
        let fitting = Fitting {
            bins: &bins,
            relevance: &relevance,
            grad: &grad,
            hess: &hess,
            unit_hessians: !log_loss,
        };
        let grown = match drawn {
            None => grow(&fitting, growth, &mut rng, &mut sample),
            Some(n) => grow(&fitting, growth, &mut rng, &mut sample[..n]),
        };
        let mut updated = vec![drawn.is_none(); if drawn.is_some() { rows } else { 0 }];
        for &(leaf, start, end) in &grown.leaves {
            let value = grown.tree.value[leaf as usize];
            for &r in &sample[start..end] {
                raw[r as usize] += value;
                if let Some(u) = updated.get_mut(r as usize) {
                    *u = true;
                }
            }
        }
        // Rows left out of the sample go down the tree by their values.
        for (r, _) in updated.iter().enumerate().filter(|(_, &u)| !u) {
            raw[r] += grown.tree.predict_values(x.row(r));
        }
        for (total, g) in gains.iter_mut().zip(&grown.gains) {
            *total += g;
        }
        trees.push(grown.tree);
    }
    let combine = if log_loss {
        Combine::Logistic
    } else {
        Combine::Sum
    };
    Ok(Ensemble::new(combine, base, trees, normalised(gains)))
}
