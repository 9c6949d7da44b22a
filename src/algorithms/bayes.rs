//! Gaussian naive Bayes on linfa-bayes, with probabilities normalised stably.

use linfa::prelude::Fit;
use linfa::DatasetBase;
use linfa_bayes::{GaussianNb, NaiveBayes as _};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::one_vs_rest::class_count;
use super::params::{float_where, floats, grid};
use super::{Algorithm, FitError, FitResult, FittedModel, Learner, ParamError, Params};
use crate::task::Task;

pub struct GaussianNaiveBayes;

/// A checked setting: the share of the largest variance added to every variance.
struct NaiveBayesFit {
    var_smoothing: f64,
}

impl Algorithm for GaussianNaiveBayes {
    fn task(&self) -> Task {
        Task::Classification
    }
    fn id(&self) -> &'static str {
        "nb"
    }
    fn name(&self) -> &'static str {
        "Gaussian naive Bayes"
    }
    fn backend(&self) -> &'static str {
        "linfa-bayes"
    }
    /// `var_smoothing`: the share of the largest feature variance added to every variance
    /// (scikit-learn's default).
    fn grid(&self) -> Vec<Params> {
        grid(&[("var_smoothing", floats(&[1e-9]))])
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        let var_smoothing = float_where(params, "var_smoothing", "non-negative", |v| v >= 0.0)?;
        Ok(Box::new(NaiveBayesFit { var_smoothing }))
    }
}

impl Learner for NaiveBayesFit {
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        let classes = class_count(y)?;
        let labels: Array1<usize> = y.mapv(|c| c as usize);
        let model = GaussianNb::params()
            .var_smoothing(self.var_smoothing)
            .fit(&DatasetBase::new(x, labels))
            .map_err(|e| FitError::backend("naive Bayes", e))?;
        Ok(FittedModel::NaiveBayes(NaiveBayes { model, classes }))
    }
}

#[derive(Serialize, Deserialize)]
pub struct NaiveBayes {
    #[serde(serialize_with = "with_sorted_keys")]
    model: GaussianNb<f64, usize>,
    classes: usize,
}

/// Serialises through a `serde_json::Value`, whose maps are sorted by key: linfa-bayes keeps its
/// classes in a `HashMap`, whose order would differ between runs and so would the model file.
fn with_sorted_keys<T: Serialize, S: serde::Serializer>(
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    serde_json::to_value(value)
        .map_err(serde::ser::Error::custom)?
        .serialize(s)
}

impl NaiveBayes {
    /// Class probabilities from linfa-bayes's joint log-likelihoods, normalised by a stable
    /// softmax: linfa-bayes 0.8's own `predict_proba` exponentiates the log-likelihoods before
    /// subtracting their maximum, which overflows to inf or NaN on near-constant columns (a
    /// one-hot column that is all zeros within a class).
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> FitResult<Array2<f64>> {
        let log_likelihood = self.model.joint_log_likelihood(x);
        let mut out = Array2::from_elem((x.nrows(), self.classes), f64::NEG_INFINITY);
        for (&class, values) in log_likelihood {
            if class >= self.classes {
                return Err(FitError::Unsupported(format!(
                    "naive Bayes returned an unknown class {class}"
                )));
            }
            out.column_mut(class).assign(&values);
        }
        for mut row in out.rows_mut() {
            let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            row.mapv_inplace(|v| (v - max).exp());
            let sum = row.sum();
            row /= sum;
        }
        Ok(out)
    }
}
