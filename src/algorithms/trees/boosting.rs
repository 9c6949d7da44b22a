//! Gradient boosting: depth-limited trees fitted one after another to the gradients of squared
//! or log loss.

use ndarray::{ArrayView1, ArrayView2};
use rand::seq::index;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::binning::Binned;
use super::fixed::{piece_rows, Fixed, Hessians, Units};
use super::grow::{grow, relevance, Fitting, Grown, Growth};
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
    let target = y.to_vec();
    let mut raw = vec![base; rows];
    let (mut grad, mut hess) = (vec![0.0; rows], vec![0.0; rows]);
    // In fixed point, in units set for each tree (see `super::fixed`).
    let (mut fixed_grad, mut fixed_hess) = (Fixed::default(), Fixed::default());
    let mut sample: Vec<u32> = (0..rows as u32).collect();
    // Scratch for the trees' partitions (see `grow`).
    let mut spare = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut trees = Vec::with_capacity(iterations);
    let mut gains = vec![0.0; x.ncols()];
    for _ in 0..iterations {
        // Rows per piece of the loops below that idle threads may share (see `super::fixed`).
        let piece = piece_rows(rows);
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
            sample
                .par_chunks_mut(piece)
                .enumerate()
                .for_each(|(at, sample)| {
                    for (i, r) in sample.iter_mut().enumerate() {
                        *r = (at * piece + i) as u32;
                    }
                });
            None
        };
        grad.par_chunks_mut(piece)
            .zip(hess.par_chunks_mut(piece))
            .zip(target.par_chunks(piece).zip(raw.par_chunks(piece)))
            .for_each(|((grad, hess), (y, raw))| {
                for (r, &raw) in raw.iter().enumerate() {
                    if log_loss {
                        let p = 1.0 / (1.0 + (-raw).exp());
                        grad[r] = y[r] - p;
                        hess[r] = (p * (1.0 - p)).max(1e-16);
                    } else {
                        grad[r] = y[r] - raw;
                    }
                }
            });
        fixed_grad.set(&grad, rows);
        if log_loss {
            fixed_hess.set(&hess, rows);
        }
        let fitting = Fitting {
            bins: &bins,
            relevance: &relevance,
            grad: &fixed_grad.values,
            hess: match log_loss {
                true => Hessians::Each(&fixed_hess.values),
                false => Hessians::Ones,
            },
            units: Units {
                g: fixed_grad.unit,
                h: if log_loss { fixed_hess.unit } else { 1.0 },
            },
        };
        let grown = match drawn {
            None => grow(&fitting, growth, &mut rng, &mut sample, &mut spare),
            Some(n) => grow(&fitting, growth, &mut rng, &mut sample[..n], &mut spare),
        };
        add_leaf_values(&mut raw, &grown, &sample, x, drawn.is_some());
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

/// Adds each row's leaf value to its raw score, in pieces of the rows: a leaf's rows are an
/// ascending range of `sample`, so each piece finds its own rows in every leaf by two binary
/// searches. When the tree grew on a `subsampled` sample, the rows left out go down the tree by
/// their values.
fn add_leaf_values(
    raw: &mut [f64],
    grown: &Grown,
    sample: &[u32],
    x: ArrayView2<f64>,
    subsampled: bool,
) {
    // One piece when no thread could take another (each piece searches every leaf).
    let piece = piece_rows(raw.len());
    raw.par_chunks_mut(piece).enumerate().for_each(|(at, raw)| {
        let first = (at * piece) as u32;
        let end = first + raw.len() as u32;
        let mut added = vec![false; if subsampled { raw.len() } else { 0 }];
        for &(leaf, start, stop) in &grown.leaves {
            let rows = &sample[start..stop];
            let from = rows.partition_point(|&r| r < first);
            let to = from + rows[from..].partition_point(|&r| r < end);
            let value = grown.tree.value[leaf as usize];
            for &r in &rows[from..to] {
                raw[(r - first) as usize] += value;
                if let Some(a) = added.get_mut((r - first) as usize) {
                    *a = true;
                }
            }
        }
        for (i, _) in added.iter().enumerate().filter(|(_, &a)| !a) {
            raw[i] += grown.tree.predict_values(x.row(first as usize + i));
        }
    });
}
