//! The smartcore backend: k-nearest neighbours.

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use smartcore::algorithm::neighbour::KNNAlgorithmName;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::metrics::distance::euclidian::Euclidian;
use smartcore::neighbors::knn_regressor::{KNNRegressor, KNNRegressorParameters};
use smartcore::neighbors::KNNWeightFunction;

use super::{grid, int, ints, texts, Algorithm, FittedModel, ModelResult, Params};

/// Exact nearest-neighbour search (a cover tree) above this many training rows costs more than
/// the rest of the sweep together: k-NN is skipped there.
pub const KNN_MAX_ROWS: usize = 50_000;

type Matrix = DenseMatrix<f64>;

pub struct Knn;

#[derive(Serialize, Deserialize)]
pub enum Model {
    Knn(KNNRegressor<f64, f64, Matrix, Vec<f64>, Euclidian<f64>>),
}

fn matrix(x: ArrayView2<f64>) -> ModelResult<Matrix> {
    DenseMatrix::new(x.nrows(), x.ncols(), x.iter().copied().collect(), false)
        .map_err(|e| e.to_string())
}

fn fitted(model: Result<Model, smartcore::error::Failed>) -> ModelResult<FittedModel> {
    model.map(FittedModel::Smartcore).map_err(|e| e.to_string())
}

impl Algorithm for Knn {
    fn id(&self) -> &'static str {
        "knn"
    }
    fn name(&self) -> &'static str {
        "k-nearest neighbours"
    }
    fn backend(&self) -> &'static str {
        "smartcore"
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
    /// Neighbour search of the validation rows (a quarter as many) among the training rows.
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
        let k = int(params, "k")?.min(x.nrows());
        let weight = match params.get("weights").map(|p| p.to_string()).as_deref() {
            Some("distance") => KNNWeightFunction::Distance,
            _ => KNNWeightFunction::Uniform,
        };
        let search = if std::env::var("KNN_LINEAR").is_ok() {
            KNNAlgorithmName::LinearSearch
        } else {
            KNNAlgorithmName::CoverTree
        };
        let parameters = KNNRegressorParameters::default()
            .with_k(k)
            .with_algorithm(search)
            .with_weight(weight);
        let y: Vec<f64> = y.to_vec();
        fitted(KNNRegressor::fit(&matrix(x)?, &y, parameters).map(Model::Knn))
    }
}

impl Model {
    pub fn predict(&self, x: ArrayView2<f64>) -> ModelResult<Vec<f64>> {
        let result = match self {
            Model::Knn(m) => m.predict(&matrix(x)?),
        };
        result.map_err(|e| e.to_string())
    }
}
