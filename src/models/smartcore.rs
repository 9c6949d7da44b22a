//! The smartcore backend: decision tree, random forest, extra trees and k-nearest neighbours.

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use smartcore::ensemble::extra_trees_regressor::{
    ExtraTreesRegressor, ExtraTreesRegressorParameters,
};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::metrics::distance::euclidian::Euclidian;
use smartcore::neighbors::knn_regressor::{KNNRegressor, KNNRegressorParameters};
use smartcore::neighbors::KNNWeightFunction;
use smartcore::tree::decision_tree_regressor::{
    DecisionTreeRegressor, DecisionTreeRegressorParameters,
};

use super::{
    float, floats, grid, int, ints, optional_int, row_limit, texts, Algorithm, FittedModel,
    ModelResult, Params,
};

/// Trees in each forest.
const FOREST_TREES: i64 = 100;
/// smartcore grows a forest's trees one after another with exact splits (on wage, 2,400 rows:
/// 1.2 s for 100 trees; on birthdays, 300,000 rows: about 10 s for one tree). Above this many
/// training rows the forests are skipped.
pub const FOREST_MAX_ROWS: usize = 20_000;
const FOREST_LIMIT: &str = "smartcore's forests grow exact-split trees one at a time";
/// Exact nearest-neighbour search (a cover tree) above this many training rows costs more than
/// the rest of the sweep together: k-NN is skipped there.
pub const KNN_MAX_ROWS: usize = 50_000;

type Matrix = DenseMatrix<f64>;

pub struct DecisionTree;
/// Random forest (bootstrap samples, best splits) or extra trees (all rows, random splits).
pub struct Forest {
    pub extra: bool,
}
pub struct Knn;

#[derive(Serialize, Deserialize)]
pub enum Model {
    Tree(DecisionTreeRegressor<f64, f64, Matrix, Vec<f64>>),
    Forest(RandomForestRegressor<f64, f64, Matrix, Vec<f64>>),
    ExtraTrees(ExtraTreesRegressor<f64, f64, Matrix, Vec<f64>>),
    Knn(KNNRegressor<f64, f64, Matrix, Vec<f64>, Euclidian<f64>>),
}

fn matrix(x: ArrayView2<f64>) -> ModelResult<Matrix> {
    DenseMatrix::new(x.nrows(), x.ncols(), x.iter().copied().collect(), false)
        .map_err(|e| e.to_string())
}

fn fitted(model: Result<Model, smartcore::error::Failed>) -> ModelResult<FittedModel> {
    model.map(FittedModel::Smartcore).map_err(|e| e.to_string())
}

/// Features tried per split: a fraction of the columns, at least one.
fn features_per_split(params: &Params, cols: usize) -> ModelResult<usize> {
    let fraction = float(params, "max_features")?;
    Ok(((fraction * cols as f64).round() as usize).clamp(1, cols.max(1)))
}

fn max_depth(params: &Params) -> ModelResult<Option<u16>> {
    Ok(optional_int(params, "max_depth")?.map(|d| d.min(u16::MAX as usize) as u16))
}

impl Algorithm for DecisionTree {
    fn id(&self) -> &'static str {
        "dt"
    }
    fn name(&self) -> &'static str {
        "Decision tree"
    }
    fn backend(&self) -> &'static str {
        "smartcore"
    }
    fn grid(&self) -> Vec<Params> {
        let mut depths = ints(&[4, 8]);
        depths.extend(texts(&["none"]));
        grid(&[("max_depth", depths), ("min_samples_leaf", ints(&[1, 5]))])
    }
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        seed: u64,
    ) -> ModelResult<FittedModel> {
        let parameters = DecisionTreeRegressorParameters {
            max_depth: max_depth(params)?,
            min_samples_leaf: int(params, "min_samples_leaf")?,
            min_samples_split: 2,
            seed: Some(seed),
        };
        let y: Vec<f64> = y.to_vec();
        fitted(DecisionTreeRegressor::fit(&matrix(x)?, &y, parameters).map(Model::Tree))
    }
}

impl Algorithm for Forest {
    fn skip_reason(&self, rows: usize, _cols: usize) -> Option<String> {
        row_limit(rows, FOREST_MAX_ROWS, FOREST_LIMIT)
    }
    fn id(&self) -> &'static str {
        if self.extra {
            "et"
        } else {
            "rf"
        }
    }
    fn name(&self) -> &'static str {
        if self.extra {
            "Extra trees"
        } else {
            "Random forest"
        }
    }
    fn backend(&self) -> &'static str {
        "smartcore"
    }
    /// Random forests try a third of the features per split besides all of them (scikit-learn's
    /// regression default); extra trees' random thresholds do well with half.
    fn grid(&self) -> Vec<Params> {
        let fewer = if self.extra { 0.5 } else { 0.33 };
        grid(&[
            ("n_trees", ints(&[FOREST_TREES])),
            ("max_features", floats(&[1.0, fewer])),
            ("min_samples_leaf", ints(&[1, 5])),
        ])
    }
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        seed: u64,
    ) -> ModelResult<FittedModel> {
        let (min_samples_leaf, n_trees) =
            (int(params, "min_samples_leaf")?, int(params, "n_trees")?);
        let m = Some(features_per_split(params, x.ncols())?);
        let (x, y) = (matrix(x)?, y.to_vec());
        let model = if self.extra {
            let parameters = ExtraTreesRegressorParameters {
                max_depth: None,
                min_samples_leaf,
                min_samples_split: 2,
                n_trees,
                m,
                keep_samples: false,
                seed,
            };
            ExtraTreesRegressor::fit(&x, &y, parameters).map(Model::ExtraTrees)
        } else {
            let parameters = RandomForestRegressorParameters {
                max_depth: None,
                min_samples_leaf,
                min_samples_split: 2,
                n_trees,
                m,
                keep_samples: false,
                seed,
            };
            RandomForestRegressor::fit(&x, &y, parameters).map(Model::Forest)
        };
        fitted(model)
    }
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
        let parameters = KNNRegressorParameters::default()
            .with_k(k)
            .with_weight(weight);
        let y: Vec<f64> = y.to_vec();
        fitted(KNNRegressor::fit(&matrix(x)?, &y, parameters).map(Model::Knn))
    }
}

impl Model {
    /// A single tree's impurity importances (smartcore's forests do not expose their trees).
    pub fn impurity_importance(&self) -> Option<Vec<f64>> {
        match self {
            Model::Tree(m) => m.compute_feature_importances(true).ok(),
            _ => None,
        }
    }

    pub fn predict(&self, x: ArrayView2<f64>) -> ModelResult<Vec<f64>> {
        let result = match self {
            Model::Tree(m) => m.predict(&matrix(x)?),
            Model::Forest(m) => m.predict(&matrix(x)?),
            Model::ExtraTrees(m) => m.predict(&matrix(x)?),
            Model::Knn(m) => m.predict(&matrix(x)?),
        };
        result.map_err(|e| e.to_string())
    }
}
