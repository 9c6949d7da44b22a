//! The mean baseline: predicts the training mean. Any useful model must beat it.

use ndarray::{ArrayView1, ArrayView2};

use super::{Algorithm, FittedModel, ModelResult, Params};

pub struct Mean;

impl Algorithm for Mean {
    fn id(&self) -> &'static str {
        "mean"
    }
    fn name(&self) -> &'static str {
        "Mean baseline"
    }
    fn backend(&self) -> &'static str {
        "automl"
    }
    fn grid(&self) -> Vec<Params> {
        vec![Params::new()]
    }
    fn fit(
        &self,
        _: &Params,
        _: ArrayView2<f64>,
        y: ArrayView1<f64>,
        _: u64,
    ) -> ModelResult<FittedModel> {
        let mean = y.mean().ok_or("no training rows")?;
        Ok(FittedModel::Constant(mean))
    }
}
