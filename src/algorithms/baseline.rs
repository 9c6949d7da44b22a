//! Baselines any useful model must beat: the training mean (regression) and the training class
//! shares (classification).

use ndarray::{ArrayView1, ArrayView2};

use super::one_vs_rest::class_count;
use super::{Algorithm, FitError, FitResult, FittedModel, Learner, ParamError, Params};
use crate::task::Task;

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
    fn is_baseline(&self) -> bool {
        true
    }
    fn grid(&self) -> Vec<Params> {
        vec![Params::new()]
    }
    fn configure(&self, _: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(Mean))
    }
}

impl Learner for Mean {
    fn fit(&self, _: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        let mean = y.mean().ok_or(FitError::NoRows)?;
        Ok(FittedModel::Constant(mean))
    }
}

/// The majority-class baseline: every row gets the training class shares as probabilities, so
/// it always predicts the most frequent class (scikit-learn's `DummyClassifier(strategy="prior")`).
pub struct Majority;

impl Algorithm for Majority {
    fn task(&self) -> Task {
        Task::Classification
    }
    fn id(&self) -> &'static str {
        "majority"
    }
    fn name(&self) -> &'static str {
        "Majority-class baseline"
    }
    fn backend(&self) -> &'static str {
        "automl"
    }
    fn is_baseline(&self) -> bool {
        true
    }
    fn grid(&self) -> Vec<Params> {
        vec![Params::new()]
    }
    fn configure(&self, _: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(Majority))
    }
}

impl Learner for Majority {
    fn fit(&self, _: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        let mut shares = vec![0.0; class_count(y)?];
        for &c in y {
            shares[c as usize] += 1.0 / y.len() as f64;
        }
        Ok(FittedModel::Priors(shares))
    }
}
