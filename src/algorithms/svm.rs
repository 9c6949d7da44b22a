//! Kernel machines on linfa-svm: RBF support vector regression and a two-class RBF support
//! vector classifier with Platt-scaled probabilities (a one-vs-rest part). Their cost grows with
//! the square of the rows: they run only when named, and are skipped on large tables.

use linfa::dataset::Pr;
use linfa::prelude::{Fit, Predict};
use linfa::DatasetBase;
use linfa_svm::Svm;
use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::params::{float_where, floats, grid};
use super::{row_limit, Algorithm, FitError, FitResult, FittedModel, Learner, ParamError, Params};

/// Kernel SVR stores a dense rows x rows kernel matrix and its solver is quadratic or worse in
/// rows: above this many training rows it is skipped.
pub const SVR_MAX_ROWS: usize = 5_000;

/// A kernel machine's cost: kernel rows times columns, for many solver passes.
fn kernel_cost(rows: usize, cols: usize) -> f64 {
    100.0 * (rows * rows * cols) as f64
}

pub struct Svr;
/// A two-class SVM with an RBF kernel and Platt-scaled probabilities (a one-vs-rest part).
pub struct Svc;

/// SVR's checked setting.
struct SvrFit {
    c: f64,
    epsilon: f64,
}

/// SVC's checked setting.
struct SvcFit {
    c: f64,
}

impl Algorithm for Svr {
    fn in_default_sweep(&self) -> bool {
        false
    }
    fn id(&self) -> &'static str {
        "svr"
    }
    fn name(&self) -> &'static str {
        "Support vector regression (RBF)"
    }
    fn backend(&self) -> &'static str {
        "linfa-svm"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[("c", floats(&[1.0, 10.0])), ("epsilon", floats(&[0.1]))])
    }
    fn needs_scaling(&self) -> bool {
        true
    }
    fn skip_reason(&self, rows: usize, _cols: usize) -> Option<String> {
        row_limit(rows, SVR_MAX_ROWS, "kernel SVR is quadratic in rows")
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(SvrFit {
            c: float_where(params, "c", "positive", |c| c > 0.0)?,
            epsilon: float_where(params, "epsilon", "non-negative", |e| e >= 0.0)?,
        }))
    }
}

impl Learner for SvrFit {
    /// The target is standardised for fitting (epsilon is in target standard deviations) and the
    /// RBF width follows scikit-learn's `gamma="scale"` on standardised features: 1 / features.
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        let (c, epsilon) = (self.c, self.epsilon);
        let mean = y.mean().ok_or(FitError::NoRows)?;
        let std = y.std(0.0);
        let std = if std > 0.0 { std } else { 1.0 };
        let scaled_y = y.mapv(|v| (v - mean) / std);
        let model = Svm::<f64, f64>::params()
            .c_svr(c, Some(epsilon))
            .gaussian_kernel(x.ncols().max(1) as f64)
            .eps(1e-3)
            // linfa-svm 0.8.1's shrinking heuristic can underflow its active-set counter.
            .shrinking(false)
            .fit(&DatasetBase::new(x.to_owned(), scaled_y))
            .map_err(|e| FitError::backend("SVR solver", e))?;
        Ok(FittedModel::Svr(Box::new(FittedSvr { model, mean, std })))
    }
    fn cost(&self, rows: usize, cols: usize) -> f64 {
        kernel_cost(rows, cols)
    }
}

#[derive(Serialize, Deserialize)]
pub struct FittedSvr {
    model: Svm<f64, f64>,
    mean: f64,
    std: f64,
}

impl FittedSvr {
    pub fn predict(&self, x: ArrayView2<f64>) -> FitResult<Vec<f64>> {
        let pred: Array1<f64> = self.model.predict(&x);
        Ok(pred.into_iter().map(|p| p * self.std + self.mean).collect())
    }
}

impl Algorithm for Svc {
    fn in_default_sweep(&self) -> bool {
        false
    }
    fn id(&self) -> &'static str {
        "svc"
    }
    fn name(&self) -> &'static str {
        "Support vector classifier (RBF)"
    }
    fn backend(&self) -> &'static str {
        "linfa-svm"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[("c", floats(&[1.0, 10.0]))])
    }
    fn needs_scaling(&self) -> bool {
        true
    }
    fn skip_reason(&self, rows: usize, _cols: usize) -> Option<String> {
        row_limit(rows, SVR_MAX_ROWS, "kernel SVC is quadratic in rows")
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(SvcFit {
            c: float_where(params, "c", "positive", |c| c > 0.0)?,
        }))
    }
}

impl Learner for SvcFit {
    /// Fits the 0/1 indicator `y`; the RBF width is scikit-learn's `gamma="scale"` on
    /// standardised features, as for SVR.
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        let c = self.c;
        let positive: Array1<bool> = y.mapv(|v| v == 1.0);
        let model = Svm::<f64, Pr>::params()
            .pos_neg_weights(c, c)
            .gaussian_kernel(x.ncols().max(1) as f64)
            .eps(1e-3)
            .shrinking(false)
            .fit(&DatasetBase::new(x.to_owned(), positive))
            .map_err(|e| FitError::backend("SVC solver", e))?;
        Ok(FittedModel::Svc(Box::new(FittedSvc { model })))
    }
    fn cost(&self, rows: usize, cols: usize) -> f64 {
        kernel_cost(rows, cols)
    }
}

#[derive(Serialize, Deserialize)]
pub struct FittedSvc {
    model: Svm<f64, Pr>,
}

impl FittedSvc {
    /// The probability of class 1.
    pub fn predict(&self, x: ArrayView2<f64>) -> FitResult<Vec<f64>> {
        let pred: Array1<Pr> = self.model.predict(&x);
        Ok(pred.iter().map(|p| f64::from(**p)).collect())
    }
}
