//! k-nearest neighbours by exact search on ndarray: the squared distances of a block of query rows
//! to a tile of training rows come from one matrix product (`|q|^2 + |x|^2 - 2 q.x`), and each
//! query row keeps its k nearest as the tiles pass, ties by training row. linfa-nn's linear
//! search and k-d tree, measured here, took 60 ms and more a fit on wage (2,400 rows) where this
//! takes a few.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::params::{choice, grid, int, ints, texts, Range};
use super::{Algorithm, FitError, FitResult, FittedModel, Learner, ParamError, Params};

/// Exact neighbour search above this many training rows costs more than the rest of the sweep
/// together: k-NN is skipped there.
pub const KNN_MAX_ROWS: usize = 50_000;
/// Query rows searched together, and training rows per tile of their distances (a tile of
/// 256 x 2,048 products is 4 MiB: it is scanned while still in cache, and each training tile is
/// packed for the matrix product once per 256 queries). On synth 50,000, whose k-NN look
/// searches 10,000 rows among 40,000, whole rows of 40,000 products (blocks of 32 MiB) took
/// about 7% longer, and blocks of 13 query rows 30% longer (a product packs its training rows
/// once a call).
const QUERY_BLOCK: usize = 256;
const TRAIN_TILE: usize = 2_048;
/// Distances compared with the farthest kept at once (see [`Nearest::scan`]).
const CHUNK: usize = 8;

pub struct Knn;

/// A checked setting: neighbours averaged, and whether by inverse distance.
struct KnnFit {
    k: usize,
    by_distance: bool,
}

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
        "automl"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[
            ("k", ints(&[5, 10, 20])),
            ("weights", texts(&["uniform", "distance"])),
        ])
    }
    fn space(&self) -> Vec<(&'static str, Range)> {
        vec![
            ("k", Range::LogInt(1, 60)),
            ("weights", Range::Choice(texts(&["uniform", "distance"]))),
        ]
    }
    fn needs_scaling(&self) -> bool {
        true
    }
    /// The neighbours of a larger k hold those of every smaller one, and how they are weighed
    /// does not change which they are: the sweep searches once for the settings that differ in
    /// k and weighting alone.
    fn staged_param(&self) -> Option<&'static str> {
        Some("k")
    }
    fn prediction_params(&self) -> &'static [&'static str] {
        &["weights"]
    }
    fn skip_reason(&self, rows: usize, _cols: usize) -> Option<String> {
        (rows > KNN_MAX_ROWS).then(|| {
            format!(
                "exact neighbour search: {rows} training rows exceed its limit of {KNN_MAX_ROWS}"
            )
        })
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(KnnFit {
            k: int(params, "k")?,
            by_distance: choice(params, "weights", &["uniform", "distance"])? == 1,
        }))
    }
}

impl Learner for KnnFit {
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        if x.nrows() == 0 {
            return Err(FitError::NoRows);
        }
        Ok(FittedModel::Knn(Box::new(FittedKnn {
            x: x.to_owned(),
            y: y.to_vec(),
            k: self.k.clamp(1, x.nrows()),
            by_distance: self.by_distance,
        })))
    }
    /// Searching the validation rows (a quarter as many) among the training rows, in the
    /// forests' units (fitted to fold tasks' durations: a distance is a few cheap operations).
    fn cost(&self, rows: usize, cols: usize) -> f64 {
        0.057 * (rows * rows / 4 * cols) as f64
    }
    fn stages(&self) -> Option<usize> {
        Some(stage(self.k, self.by_distance))
    }
}

/// A k-NN setting as stages: neighbours first, then the weighting, so that a search for k
/// neighbours (weighted by distance: the most stages) holds every setting of up to k.
fn stage(k: usize, by_distance: bool) -> usize {
    2 * k + usize::from(by_distance)
}

/// The neighbours and weighting of a [`stage`].
fn unstage(stage: usize) -> (usize, bool) {
    (stage / 2, stage % 2 == 1)
}

impl FittedKnn {
    pub fn predict(&self, x: ArrayView2<f64>) -> FitResult<Vec<f64>> {
        Ok(self.predict_stages(x, &[self.stage()])?.remove(0))
    }

    /// Its setting as stages (see [`Learner::stages`]).
    pub fn stage(&self) -> usize {
        stage(self.k, self.by_distance)
    }

    /// The model of the setting of `stages` (up to its own k neighbours, weighted either way):
    /// exactly the model fitted with that setting.
    pub fn truncated(&self, stages: usize) -> FitResult<FittedKnn> {
        let (k, by_distance) = self.unstaged(stages)?;
        Ok(FittedKnn {
            k,
            by_distance,
            ..self.clone()
        })
    }

    /// The neighbours (as many as a fit with them on its rows keeps) and weighting of
    /// `stages`, if the model holds them: 1 to its own k.
    fn unstaged(&self, stages: usize) -> FitResult<(usize, bool)> {
        let (k, by_distance) = unstage(stages);
        let kept = k.min(self.x.nrows());
        match k == 0 || kept > self.k {
            true => Err(FitError::Unsupported(format!(
                "k-NN fitted with k = {} cannot predict with k = {k}",
                self.k
            ))),
            false => Ok((kept, by_distance)),
        }
    }

    /// Predictions of the setting of each of `stages` (see [`FittedKnn::truncated`]), from
    /// one search: each row's nearest are found once, in order, and each setting averages its
    /// first k its own way, as a model fitted with it does.
    pub fn predict_stages(&self, x: ArrayView2<f64>, stages: &[usize]) -> FitResult<Vec<Vec<f64>>> {
        if x.ncols() != self.x.ncols() {
            return Err(FitError::Shape(format!(
                "rows have {} features, the model {}",
                x.ncols(),
                self.x.ncols()
            )));
        }
        let settings = stages
            .iter()
            .map(|&s| self.unstaged(s))
            .collect::<FitResult<Vec<_>>>()?;
        let Some(most) = settings.iter().map(|s| s.0).max() else {
            return Ok(Vec::new());
        };
        let norms: Vec<f64> = self.x.rows().into_iter().map(|r| r.dot(&r)).collect();
        let blocks: Vec<ArrayView2<f64>> = x.axis_chunks_iter(Axis(0), QUERY_BLOCK).collect();
        let predicted: Vec<Vec<Vec<f64>>> = blocks
            .into_par_iter()
            .map(|queries| {
                let mut found: Vec<Nearest> = queries
                    .rows()
                    .into_iter()
                    .map(|q| Nearest::new(q.dot(&q), most.min(self.x.nrows())))
                    .collect();
                let tiles = self.x.axis_chunks_iter(Axis(0), TRAIN_TILE);
                for (tile, train) in tiles.enumerate() {
                    let first = tile * TRAIN_TILE;
                    let cross = queries.dot(&train.t());
                    for (nearest, cross) in found.iter_mut().zip(cross.rows()) {
                        nearest.scan(cross, &norms[first..], first);
                    }
                }
                found
                    .into_iter()
                    .map(|nearest| {
                        let nearest = nearest.sorted(&self.y);
                        settings
                            .iter()
                            .map(|&(k, by_distance)| {
                                average(&nearest[..k.min(nearest.len())], by_distance)
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let mut out = vec![Vec::with_capacity(x.nrows()); settings.len()];
        for row in predicted.into_iter().flatten() {
            for (column, value) in out.iter_mut().zip(row) {
                column.push(value);
            }
        }
        Ok(out)
    }
}

/// One query row's nearest training rows so far, as its tiles of products are scanned in
/// training-row order.
struct Nearest {
    /// The query row's squared norm.
    q2: f64,
    k: usize,
    /// The k nearest so far, farthest on top.
    kept: BinaryHeap<Near>,
    /// The farthest kept distance, in a local: a row enters only if nearer than that one (a
    /// tie loses, being a later row), so most rows cost one comparison, and no selection over
    /// every row is needed (which had been most of a large table's search).
    farthest: f64,
}

impl Nearest {
    fn new(q2: f64, k: usize) -> Nearest {
        Nearest {
            q2,
            k,
            kept: BinaryHeap::with_capacity(k + 1),
            farthest: f64::INFINITY,
        }
    }

    /// Takes in the training rows from `first` on, given the query's products with them and
    /// their squared norms.
    fn scan(&mut self, cross: ArrayView1<f64>, norms: &[f64], first: usize) {
        let q2 = self.q2;
        // Rounding leaves equal rows a hair apart (or below zero): they are at 0.
        let distance = |c: f64, x2: f64| {
            let d2 = q2 + x2 - 2.0 * c;
            if d2 <= 1e-12 * (q2 + x2) {
                0.0
            } else {
                d2
            }
        };
        let mut j = first;
        let mut cross = cross.iter().zip(norms);
        // Until k are kept, every row enters.
        while self.kept.len() < self.k {
            let Some((&c, &x2)) = cross.next() else {
                return;
            };
            self.kept.push(Near(distance(c, x2), j));
            self.farthest = self.kept.peek().map_or(f64::INFINITY, |n| n.0);
            j += 1;
        }
        // Then rows in chunks, most of which have none nearer than the farthest kept: such a
        // chunk is told without a branch per row (a NaN goes on to the exact comparison).
        let mut chunk = [0.0; CHUNK];
        loop {
            let mut len = 0;
            for (d2, (&c, &x2)) in chunk.iter_mut().zip(cross.by_ref()) {
                *d2 = distance(c, x2);
                len += 1;
            }
            let farthest = self.farthest;
            if chunk[..len]
                .iter()
                .fold(false, |any, &d2| any | (d2 < farthest) | d2.is_nan())
            {
                for (i, &d2) in chunk[..len].iter().enumerate() {
                    self.offer(d2, j + i);
                }
            }
            j += len;
            if len < CHUNK {
                return;
            }
        }
    }

    /// Keeps training row `j` at squared distance `d2` if it is nearer than the farthest kept.
    fn offer(&mut self, d2: f64, j: usize) {
        if d2.total_cmp(&self.farthest) == Ordering::Less {
            if let Some(mut top) = self.kept.peek_mut() {
                *top = Near(d2, j);
            }
            self.farthest = self.kept.peek().map_or(f64::INFINITY, |n| n.0);
        }
    }

    /// The k nearest as (distance, target), nearest first, ties by training row.
    fn sorted(self, y: &[f64]) -> Vec<(f64, f64)> {
        self.kept
            .into_sorted_vec()
            .iter()
            .map(|&Near(d2, j)| (d2.sqrt(), y[j]))
            .collect()
    }
}

/// A training row's squared distance and position, ordered by distance, ties by position.
#[derive(Clone, Copy)]
struct Near(f64, usize);

impl Ord for Near {
    fn cmp(&self, other: &Near) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

impl PartialOrd for Near {
    fn partial_cmp(&self, other: &Near) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Near {
    fn eq(&self, other: &Near) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Near {}

/// The mean target of `(distance, target)` pairs, weighted `by_distance` (1/distance) or not;
/// with weights, rows at distance 0 alone decide, as in scikit-learn.
fn average(neighbours: &[(f64, f64)], by_distance: bool) -> f64 {
    let mean = |values: &mut dyn Iterator<Item = f64>| {
        let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        sum / n.max(1) as f64
    };
    if !by_distance {
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

#[cfg(test)]
mod tests {
    use ndarray::s;

    use super::*;

    #[test]
    fn one_search_predicts_as_each_setting_fitted_alone() {
        // Rows on a coarse grid, so that many distances tie.
        let x = Array2::from_shape_fn((60, 3), |(r, c)| ((r * (c + 2)) % 5) as f64);
        let y: Vec<f64> = (0..60).map(|r| (r * r % 17) as f64).collect();
        let query = Array2::from_shape_fn((25, 3), |(r, c)| ((r + c) % 6) as f64 * 0.8);
        let fit = |k, weights| fit_knn(k, weights, x.view(), ArrayView1::from(&y));
        let FittedModel::Knn(largest) = fit(20, "distance") else {
            panic!("a k-NN model")
        };
        let settings = [
            (20, "uniform"),
            (7, "distance"),
            (1, "uniform"),
            (20, "distance"),
        ];
        let stages: Vec<usize> = settings
            .iter()
            .map(|&(k, w)| stage(k as usize, w == "distance"))
            .collect();
        let together = largest.predict_stages(query.view(), &stages).unwrap();
        for ((&(k, w), &s), predicted) in settings.iter().zip(&stages).zip(together) {
            let alone = fit(k, w).predict(query.view()).unwrap();
            assert_eq!(predicted, alone, "k = {k}, {w}");
            let truncated = largest.truncated(s).unwrap();
            assert_eq!(predicted, truncated.predict(query.view()).unwrap());
        }
        // The weightings differ where the neighbours are not all at one distance.
        assert_ne!(
            fit(7, "uniform").predict(query.view()).unwrap(),
            fit(7, "distance").predict(query.view()).unwrap()
        );
        assert!(largest.truncated(stage(21, false)).is_err());
        assert!(largest
            .predict_stages(query.view(), &[stage(0, true)])
            .is_err());
        // A k above the rows keeps them all, as a fit with it does.
        let few = |k, weights| fit_knn(k, weights, x.slice(s![..4, ..]), ArrayView1::from(&y[..4]));
        let FittedModel::Knn(small) = few(20, "distance") else {
            panic!("a k-NN model")
        };
        let uniform = small.truncated(stage(20, false)).unwrap();
        assert_eq!(
            uniform.predict(query.view()).unwrap(),
            few(20, "uniform").predict(query.view()).unwrap()
        );
    }

    #[test]
    fn the_nearest_are_the_first_k_of_all_rows_sorted_by_distance_then_row() {
        // Rows on a coarse grid (many ties), and queries on and off it.
        let x = Array2::from_shape_fn((300, 2), |(r, c)| ((r * (c + 3)) % 7) as f64);
        let y: Vec<f64> = (0..300).map(|r| r as f64).collect();
        let norms: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
        for (i, q) in [[0.0, 0.0], [3.0, 4.0], [2.5, 6.5], [9.0, -1.0]]
            .iter()
            .enumerate()
        {
            let q = ndarray::arr1(q);
            let cross = x.dot(&q);
            let mut all: Vec<(f64, usize)> = x
                .rows()
                .into_iter()
                .enumerate()
                .map(|(j, r)| ((&r - &q).mapv(|d| d * d).sum(), j))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for k in [1, 5, 37, 299, 300] {
                // Scanned in two tiles, as a search of more rows is.
                let mut nearest = Nearest::new(q.dot(&q), k);
                nearest.scan(cross.slice(s![..170]), &norms[..170], 0);
                nearest.scan(cross.slice(s![170..]), &norms[170..], 170);
                let expected: Vec<(f64, f64)> = all
                    .iter()
                    .take(k)
                    .map(|&(d2, j)| (d2.sqrt(), y[j]))
                    .collect();
                assert_eq!(nearest.sorted(&y), expected, "query {i}, k = {k}");
            }
        }
    }

    /// A k-NN model of `k` neighbours weighted by `weights`, fitted on `x` and `y`.
    fn fit_knn(k: i64, weights: &str, x: ArrayView2<f64>, y: ArrayView1<f64>) -> FittedModel {
        let params = grid(&[("k", ints(&[k])), ("weights", texts(&[weights]))]).remove(0);
        Knn.fit(&params, x, y, 0).unwrap()
    }

    #[test]
    fn neighbours_average_uniformly_or_by_inverse_distance() {
        let x = Array2::from_shape_vec((4, 1), vec![0.0, 1.0, 3.0, 10.0]).unwrap();
        let y = ndarray::arr1(&[0.0, 10.0, 30.0, 100.0]);
        let fit = |k, weights| fit_knn(k, weights, x.view(), y.view());
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
