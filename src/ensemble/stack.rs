//! The stack: a linear model with non-negative weights on the members' out-of-fold predictions,
//! solved by Lawson and Hanson's non-negative least squares (the `nnls` crate, a port of the
//! routine behind scipy.optimize.nnls). Regression fits an intercept (the columns are centred
//! first); classification fits the one-hot classes with the members' probabilities of each
//! class, and the weights are scaled to sum 1 so that the blend is a probability.

use ndarray::{Array1, Array2};

use super::Predictions;
use crate::algorithms::{guard, FitError};

/// The weights and the intercept of the stack on `rows`, given the row targets `actual`
/// (class indices for classification).
pub(super) fn fit(
    pool: &Predictions,
    rows: &[usize],
    actual: &[f64],
    classification: bool,
) -> Result<(Vec<f64>, f64), FitError> {
    let (width, members) = (pool.width, pool.members.len());
    let n = rows.len() * width;
    let mut x = Array2::zeros((n, members));
    for m in 0..members {
        let mut column = vec![0.0; n];
        pool.add_to(m, rows, 1.0, &mut column);
        x.column_mut(m).assign(&Array1::from(column));
    }
    let mut y: Array1<f64> = rows
        .iter()
        .flat_map(|&r| {
            (0..width).map(move |c| match classification {
                true => f64::from(actual[r] as usize == c),
                false => actual[r],
            })
        })
        .collect();
    let (means, y_mean) = if classification {
        (vec![0.0; members], 0.0)
    } else {
        let means: Vec<f64> = x
            .columns()
            .into_iter()
            .map(|c| c.mean().unwrap_or(0.0))
            .collect();
        let y_mean = y.mean().unwrap_or(0.0);
        for (mut c, &mean) in x.columns_mut().into_iter().zip(&means) {
            c -= mean;
        }
        y -= y_mean;
        (means, y_mean)
    };
    let (weights, _) = guard(|| Ok(nnls::nnls(x.view(), y.view())))?;
    let mut weights = weights.to_vec();
    if weights.iter().any(|w| !w.is_finite()) {
        return Err(FitError::backend(
            "non-negative least squares",
            "non-finite weights",
        ));
    }
    if classification {
        let total: f64 = weights.iter().sum();
        if total > 0.0 {
            weights.iter_mut().for_each(|w| *w /= total);
        } else {
            // No member helps: the first (the best-ranked) alone.
            weights = (0..members).map(|m| f64::from(m == 0)).collect();
        }
        return Ok((weights, 0.0));
    }
    let intercept = y_mean - weights.iter().zip(&means).map(|(w, m)| w * m).sum::<f64>();
    Ok((weights, intercept))
}
