//! The forust-ml backend: histogram gradient boosting.

use forust_ml::data::Matrix;
use forust_ml::gradientbooster::ImportanceMethod;
use forust_ml::objective::ObjectiveType;
use forust_ml::GradientBooster;
use ndarray::{ArrayView1, ArrayView2};

use serde::{Deserialize, Serialize};

use super::{float, floats, grid, int, ints, Algorithm, FittedModel, ModelResult, Params};

/// Gradient boosting with squared loss (regression) or log loss (a two-class probability model,
/// used one-vs-rest).
pub struct GradientBoosting {
    log_loss: bool,
}

impl GradientBoosting {
    pub const REGRESSION: GradientBoosting = GradientBoosting { log_loss: false };
    pub const CLASSIFICATION: GradientBoosting = GradientBoosting { log_loss: true };
}

#[derive(Serialize, Deserialize)]
pub struct Booster(GradientBooster);

/// forust reads features column by column.
fn column_major(x: ArrayView2<f64>) -> Vec<f64> {
    x.t().iter().copied().collect()
}

impl Algorithm for GradientBoosting {
    fn id(&self) -> &'static str {
        "gbm"
    }
    fn name(&self) -> &'static str {
        "Gradient boosting"
    }
    fn backend(&self) -> &'static str {
        "forust-ml"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[
            ("iterations", ints(&[100, 300])),
            ("learning_rate", floats(&[0.1])),
            ("max_depth", ints(&[3, 6])),
        ])
    }
    /// Single-threaded inside: the sweep already runs candidates in parallel.
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        seed: u64,
    ) -> ModelResult<FittedModel> {
        let mut booster = GradientBooster::default()
            .set_objective_type(if self.log_loss {
                ObjectiveType::LogLoss
            } else {
                ObjectiveType::SquaredLoss
            })
            .set_iterations(int(params, "iterations")?)
            .set_learning_rate(float(params, "learning_rate")? as f32)
            .set_max_depth(int(params, "max_depth")?)
            .set_parallel(false)
            .set_seed(seed);
        let data = column_major(x);
        let matrix = Matrix::new(&data, x.nrows(), x.ncols());
        let y = y.to_vec();
        let weights = vec![1.0; y.len()];
        booster
            .fit(&matrix, &y, &weights, None)
            .map_err(|e| format!("gradient boosting failed: {e}"))?;
        Ok(FittedModel::Boosting(Box::new(Booster(booster))))
    }
}

impl Booster {
    /// Total split gain per feature, normalised to sum 1; unused features get 0.
    pub fn gain_importance(&self, features: usize) -> Vec<f64> {
        let gains = self
            .0
            .calculate_feature_importance(ImportanceMethod::TotalGain, true);
        (0..features)
            .map(|f| gains.get(&f).map_or(0.0, |&g| f64::from(g)))
            .collect()
    }

    /// Predicted values, or with the log loss the probability of class 1.
    pub fn predict(&self, x: ArrayView2<f64>) -> ModelResult<Vec<f64>> {
        let data = column_major(x);
        // Rows in parallel (each row's sum over trees keeps its order, so the result does not
        // depend on the thread count): serving a large file is then not one core's work.
        let raw = self
            .0
            .predict(&Matrix::new(&data, x.nrows(), x.ncols()), true);
        Ok(match self.0.objective_type {
            ObjectiveType::LogLoss => raw.into_iter().map(|z| 1.0 / (1.0 + (-z).exp())).collect(),
            _ => raw,
        })
    }
}
