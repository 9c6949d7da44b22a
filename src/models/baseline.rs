//! The mean baseline: predicts the training mean. Any useful model must beat it.

use ndarray::{ArrayView1, ArrayView2};

use super::{Algorithm, Fitted, ModelResult, Params};

pub struct Mean;

struct FittedMean(f64);

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
    ) -> ModelResult<Box<dyn Fitted>> {
        let mean = y.mean().ok_or("no training rows")?;
        Ok(Box::new(FittedMean(mean)))
    }
}

impl Fitted for FittedMean {
    fn predict(&self, x: ArrayView2<f64>) -> ModelResult<Vec<f64>> {
        Ok(vec![self.0; x.nrows()])
    }
}
