//! Forests: a random forest, extra trees or (one tree) a decision tree, trees grown in parallel
//! each from its own random stream.

use ndarray::{ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::binning::Binned;
use super::fixed::{Fixed, Hessians, Units};
use super::grow::{grow, relevance, Fitting, Grown, Growth};
use super::predict::{normalised, Combine, Ensemble};
use crate::algorithms::{FitError, FitResult};

/// A random forest (each tree on a bootstrap sample) or extra trees (each on all rows); with
/// one tree, a decision tree.
pub(super) fn fit_forest(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    trees: usize,
    bootstrap: bool,
    growth: &Growth,
    seed: u64,
) -> FitResult<Ensemble> {
    let rows = x.nrows();
    if rows == 0 {
        return Err(FitError::NoRows);
    }
    let bins = Binned::new(x);
    // A tree's sample is `rows` rows (a bootstrap's, repeats included).
    let grad = Fixed::new(&y.to_vec(), rows);
    let relevance = relevance(&bins, growth, y, true);
    let fitting = Fitting {
        bins: &bins,
        relevance: &relevance,
        grad: &grad.values,
        hess: Hessians::Ones,
        units: Units {
            g: grad.unit,
            h: 1.0,
        },
    };
    let grown: Vec<Grown> = (0..trees)
        .into_par_iter()
        .map(|t| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(t as u64);
            let mut sample: Vec<u32> = if bootstrap {
                // Ascending rows read memory forward: the draws counted per row, then each row
                // as often as drawn (the draws sorted, without a sort).
                let mut drawn = vec![0u32; rows];
                for _ in 0..rows {
                    drawn[rng.gen_range(0..rows as u32) as usize] += 1;
                }
                let mut sample = Vec::with_capacity(rows);
                for (r, &times) in drawn.iter().enumerate() {
                    sample.extend(std::iter::repeat_n(r as u32, times as usize));
                }
                sample
            } else {
                (0..rows as u32).collect()
            };
            grow(&fitting, growth, &mut rng, &mut sample, &mut Vec::new())
        })
        .collect();
    let mut gains = vec![0.0; x.ncols()];
    let mut trees = Vec::with_capacity(grown.len());
    for g in grown {
        for (total, tree_gains) in gains.iter_mut().zip(normalised(g.gains)) {
            *total += tree_gains;
        }
        trees.push(g.tree);
    }
    Ok(Ensemble::new(Combine::Mean, 0.0, trees, normalised(gains)))
}
