//! Logistic regression on linfa-logistic: binomial for two classes, multinomial (softmax) for
//! more, with scikit-learn's inverse regularisation strength `c`.

use linfa::prelude::Fit;
use linfa::DatasetBase;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::one_vs_rest::class_count;
use super::params::{float_where, floats, grid, Range};
use super::{Algorithm, FitError, FitResult, FittedModel, Learner, ParamError, Params};
use crate::task::Task;

/// Iterations of logistic regression's L-BFGS.
const LOGISTIC_MAX_ITERATIONS: u64 = 1_000;

pub struct LogisticRegression;

/// A checked setting: the inverse regularisation strength.
struct LogisticFit {
    c: f64,
}

impl Algorithm for LogisticRegression {
    fn task(&self) -> Task {
        Task::Classification
    }
    fn id(&self) -> &'static str {
        "lr"
    }
    fn name(&self) -> &'static str {
        "Logistic regression"
    }
    fn backend(&self) -> &'static str {
        "linfa-logistic"
    }
    /// `c` is scikit-learn's inverse regularisation strength: linfa-logistic minimises the summed
    /// log loss plus alpha/2 ||w||^2, which is scikit-learn's objective divided by C when
    /// alpha = 1 / C.
    fn grid(&self) -> Vec<Params> {
        grid(&[("c", floats(&[0.1, 1.0, 10.0]))])
    }
    fn space(&self) -> Vec<(&'static str, Range)> {
        vec![("c", Range::LogFloat(1e-3, 1e3))]
    }
    fn needs_scaling(&self) -> bool {
        true
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        let c = float_where(params, "c", "positive", |c| c > 0.0)?;
        Ok(Box::new(LogisticFit { c }))
    }
}

impl Learner for LogisticFit {
    /// Two classes: binomial; more: multinomial (softmax).
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        let c = self.c;
        let classes = class_count(y)?;
        let labels: Array1<usize> = y.mapv(|c| c as usize);
        let data = DatasetBase::new(x, labels);
        let fail = |e: linfa_logistic::error::Error| FitError::backend("logistic regression", e);
        let model = if classes == 2 {
            let model = linfa_logistic::LogisticRegression::default()
                .alpha(1.0 / c)
                .max_iterations(LOGISTIC_MAX_ITERATIONS)
                .fit(&data)
                .map_err(fail)?;
            Logistic::Binary(model)
        } else {
            let model = linfa_logistic::MultiLogisticRegression::default()
                .alpha(1.0 / c)
                .max_iterations(LOGISTIC_MAX_ITERATIONS)
                .fit(&data)
                .map_err(fail)?;
            Logistic::Multinomial(model)
        };
        Ok(FittedModel::Logistic(model))
    }
}

#[derive(Serialize, Deserialize)]
pub enum Logistic {
    Binary(linfa_logistic::FittedLogisticRegression<f64, usize>),
    Multinomial(linfa_logistic::MultiFittedLogisticRegression<f64, usize>),
}

impl Logistic {
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Array2<f64> {
        match self {
            Logistic::Binary(m) => {
                // linfa-logistic's positive class is the larger class, not always class 1.
                let p = m.predict_probabilities(&x);
                let positive_is_one = m.labels().pos.class == 1;
                Array2::from_shape_fn((x.nrows(), 2), |(r, c)| {
                    if (c == 1) == positive_is_one {
                        p[r]
                    } else {
                        1.0 - p[r]
                    }
                })
            }
            // Columns in ascending class order, which are our class indices.
            Logistic::Multinomial(m) => m.predict_probabilities(&x),
        }
    }
}
