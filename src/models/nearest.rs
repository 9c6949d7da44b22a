//! The linfa-nn backend: k-nearest neighbours by exact search, linear over the training rows for
//! small tables and a k-d tree for larger ones.

use linfa_nn::distance::{Distance, L2Dist};
use linfa_nn::{CommonNearestNeighbour, NearestNeighbour};
use ndarray::{Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{grid, int, ints, texts, Algorithm, FittedModel, ModelResult, Params};

/// Exact neighbour search above this many training rows costs more than the rest of the sweep
/// together: k-NN is skipped there.
pub const KNN_MAX_ROWS: usize = 50_000;
/// Up to this many training rows a linear scan beats building a k-d tree.
const LINEAR_SEARCH_ROWS: usize = 10_000;

pub struct Knn;

/// The training rows and targets: predicting searches them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedKnn {
    x: Array2<f64>,
    y: Vec<f64>,
    k: usize,
    /// Neighbours weigh 1/distance (scikit-learn's `weights="distance"`), else equally.
    by_distance: bool,
}

impl Algorithm for Knn {
    fn id(&self) -> &'static str {
        "knn"
    }
    fn name(&self) -> &'static str {
        "k-nearest neighbours"
    }
    fn backend(&self) -> &'static str {
        "linfa-nn"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[
            ("k", ints(&[5, 10, 20])),
            ("weights", texts(&["uniform", "distance"])),
        ])
    }
    fn needs_scaling(&self) -> bool {
        true
    }
    /// Searching the validation rows (a quarter as many) among the training rows.
    fn cost(&self, _: &Params, rows: usize, cols: usize) -> f64 {
        (rows * rows / 4 * cols) as f64
    }
    fn skip_reason(&self, rows: usize, _cols: usize) -> Option<String> {
        (rows > KNN_MAX_ROWS).then(|| {
            format!(
                "exact neighbour search: {rows} training rows exceed its limit of {KNN_MAX_ROWS}"
            )
        })
    }
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        _: u64,
    ) -> ModelResult<FittedModel> {
        if x.nrows() == 0 {
            return Err("no training rows".into());
        }
        let by_distance = match params.get("weights").map(|p| p.to_string()).as_deref() {
            Some("distance") => true,
            Some("uniform") | None => false,
            Some(other) => return Err(format!("unknown weights '{other}'")),
        };
        Ok(FittedModel::Knn(Box::new(FittedKnn {
            x: x.to_owned(),
            y: y.to_vec(),
            k: int(params, "k")?.clamp(1, x.nrows()),
            by_distance,
        })))
    }
}

impl FittedKnn {
    pub fn predict(&self, x: ArrayView2<f64>) -> ModelResult<Vec<f64>> {
        if x.ncols() != self.x.ncols() {
            return Err(format!(
                "rows have {} features, the model {}",
                x.ncols(),
                self.x.ncols()
            ));
        }
        let search = if self.x.nrows() <= LINEAR_SEARCH_ROWS {
            CommonNearestNeighbour::LinearSearch
        } else {
            CommonNearestNeighbour::KdTree
        };
        let index = search
            .from_batch(&self.x, L2Dist)
            .map_err(|e| format!("neighbour index: {e}"))?;
        (0..x.nrows())
            .into_par_iter()
            .map(|i| {
                let row = x.row(i);
                let found = index
                    .k_nearest(row, self.k)
                    .map_err(|e| format!("neighbour search: {e}"))?;
                let neighbours: Vec<(f64, f64)> = found
                    .iter()
                    .map(|(point, j)| (L2Dist.distance(point.view(), row), self.y[*j]))
                    .collect();
                Ok(self.average(&neighbours))
            })
            .collect()
    }

    /// The (distance-weighted) mean target of `(distance, target)` pairs; with weights, rows at
    /// distance 0 alone decide, as in scikit-learn.
    fn average(&self, neighbours: &[(f64, f64)]) -> f64 {
        let mean = |values: &mut dyn Iterator<Item = f64>| {
            let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
            sum / n.max(1) as f64
        };
        if !self.by_distance {
            return mean(&mut neighbours.iter().map(|n| n.1));
        }
        if neighbours.iter().any(|n| n.0 == 0.0) {
            return mean(&mut neighbours.iter().filter(|n| n.0 == 0.0).map(|n| n.1));
        }
        let (weighted, weights) = neighbours
            .iter()
            .fold((0.0, 0.0), |(s, w), &(d, y)| (s + y / d, w + 1.0 / d));
        weighted / weights
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_average_uniformly_or_by_inverse_distance() {
        let x = Array2::from_shape_vec((4, 1), vec![0.0, 1.0, 3.0, 10.0]).unwrap();
        let y = ndarray::arr1(&[0.0, 10.0, 30.0, 100.0]);
        let fit = |k: i64, weights: &str| {
            let params = grid(&[("k", ints(&[k])), ("weights", texts(&[weights]))]).remove(0);
            Knn.fit(&params, x.view(), y.view(), 0).unwrap()
        };
        let query = Array2::from_shape_vec((2, 1), vec![0.5, 1.0]).unwrap();
        // Two nearest of 0.5: 0 and 1 (targets 0, 10).
        assert_eq!(fit(2, "uniform").predict(query.view()).unwrap()[0], 5.0);
        // Distance 0.5 to both: equal weights.
        assert_eq!(fit(2, "distance").predict(query.view()).unwrap()[0], 5.0);
        // A training row at distance 0 decides alone.
        assert_eq!(fit(3, "distance").predict(query.view()).unwrap()[1], 10.0);
        // k above the rows uses them all.
        assert_eq!(fit(50, "uniform").predict(query.view()).unwrap()[0], 35.0);
    }
}
