//! The linfa backend: ordinary least squares and ridge (linfa-linear's QR least squares), lasso
//! and elastic net by coordinate descent (linfa-elasticnet), kernel SVR and SVC (linfa-svm),
//! logistic regression (linfa-logistic) and Gaussian naive Bayes (linfa-bayes).

use linfa::dataset::Pr;
use linfa::prelude::{Fit, Predict};
use linfa::DatasetBase;
use linfa_bayes::{GaussianNb, NaiveBayes as _};
use linfa_elasticnet::ElasticNetParams;
use linfa_linalg::qr::QRInto;
use linfa_linear::LinearRegression;
use linfa_svm::Svm;
use ndarray::{concatenate, s, Array1, Array2, ArrayView1, ArrayView2, Axis, ShapeBuilder};

use serde::{Deserialize, Serialize};

use super::one_vs_rest::class_count;
use super::{
    float, floats, grid, row_limit, Algorithm, Centering, FittedModel, ModelResult, Params,
};
use crate::profile::Task;

/// Kernel SVR stores a dense rows x rows kernel matrix and its solver is quadratic or worse in
/// rows: above this many training rows it is skipped.
pub const SVR_MAX_ROWS: usize = 5_000;

/// A kernel machine's cost: kernel rows times columns, for many solver passes.
fn kernel_cost(rows: usize, cols: usize) -> f64 {
    100.0 * (rows * rows * cols) as f64
}

/// Coordinate descent stops when the duality gap falls below this fraction of ||y||^2.
/// scikit-learn's default (1e-4) stops lasso(1) on unscaled diabetes features with
/// coefficients 1e-4 off the optimum; 1e-8 lands within 1e-6 of it at about 2.5x the passes.
const CD_TOLERANCE: f64 = 1e-8;
const CD_MAX_ITERATIONS: u32 = 10_000;

pub struct Ols;
pub struct Ridge;
pub struct Lasso;
pub struct ElasticNet;
pub struct Svr;
pub struct LogisticRegression;
pub struct GaussianNaiveBayes;
/// A two-class SVM with an RBF kernel and Platt-scaled probabilities (a one-vs-rest part).
pub struct Svc;

/// Iterations of logistic regression's L-BFGS.
const LOGISTIC_MAX_ITERATIONS: u64 = 1_000;

impl Algorithm for Ols {
    fn id(&self) -> &'static str {
        "ols"
    }
    fn name(&self) -> &'static str {
        "Linear regression (OLS)"
    }
    fn backend(&self) -> &'static str {
        "linfa-linear"
    }
    fn grid(&self) -> Vec<Params> {
        vec![Params::new()]
    }
    fn fit(
        &self,
        _: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        _: u64,
    ) -> ModelResult<FittedModel> {
        let model = LinearRegression::new()
            .fit(&DatasetBase::new(x, y))
            .map_err(|e| format!("least squares failed: {e}"))?;
        Ok(FittedModel::Linear(Linear {
            centering: None,
            weights: model.params().clone(),
            intercept: model.intercept(),
        }))
    }
}

impl Algorithm for Ridge {
    fn id(&self) -> &'static str {
        "ridge"
    }
    fn name(&self) -> &'static str {
        "Ridge regression"
    }
    fn backend(&self) -> &'static str {
        "linfa-linear"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[("alpha", floats(&[0.1, 1.0, 10.0]))])
    }
    /// Minimises scikit-learn's objective ||y - Xw - b||^2 + alpha ||w||^2 with an unpenalised
    /// intercept, exactly: on centred data it is least squares on X stacked over sqrt(alpha) I
    /// and y stacked over zeros, solved by the same QR as OLS.
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        _: u64,
    ) -> ModelResult<FittedModel> {
        let alpha = float(params, "alpha")?;
        if alpha < 0.0 {
            return Err(format!("alpha must be non-negative, got {alpha}"));
        }
        let (centering, centred_x, centred_y, y_mean) = centre(x, y)?;
        let (n, p) = x.dim();
        // Column-major, as QR walks columns: on birthdays a row-major copy made it 10x slower.
        let mut stacked = Array2::zeros((n + p, p).f());
        stacked.slice_mut(s![..n, ..]).assign(&centred_x);
        stacked.slice_mut(s![n.., ..]).diag_mut().fill(alpha.sqrt());
        let targets: Array1<f64> = centred_y
            .into_iter()
            .chain(std::iter::repeat_n(0.0, p))
            .collect();
        let model = LinearRegression::new()
            .with_intercept(false)
            .fit(&DatasetBase::new(stacked, targets))
            .map_err(|e| format!("least squares failed: {e}"))?;
        Ok(FittedModel::Linear(Linear {
            centering: Some(centering),
            weights: model.params().clone(),
            intercept: y_mean,
        }))
    }
}

impl Algorithm for Lasso {
    fn id(&self) -> &'static str {
        "lasso"
    }
    fn name(&self) -> &'static str {
        "Lasso"
    }
    fn backend(&self) -> &'static str {
        "linfa-elasticnet"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[("alpha", floats(&[0.01, 0.1, 1.0]))])
    }
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        _: u64,
    ) -> ModelResult<FittedModel> {
        fit_elastic_net(float(params, "alpha")?, 1.0, x, y)
    }
}

impl Algorithm for ElasticNet {
    fn id(&self) -> &'static str {
        "enet"
    }
    fn name(&self) -> &'static str {
        "Elastic net"
    }
    fn backend(&self) -> &'static str {
        "linfa-elasticnet"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[
            ("alpha", floats(&[0.01, 0.1, 1.0])),
            ("l1_ratio", floats(&[0.2, 0.5, 0.8])),
        ])
    }
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        _: u64,
    ) -> ModelResult<FittedModel> {
        fit_elastic_net(float(params, "alpha")?, float(params, "l1_ratio")?, x, y)
    }
}

/// linfa-elasticnet minimises scikit-learn's objective, 1/(2n)||y - Xw - b||^2 +
/// alpha * l1_ratio * ||w||_1 + alpha * (1 - l1_ratio) / 2 * ||w||^2, so alpha passes through
/// unchanged. It centres y but not X, so both are centred here and the intercept is y's mean.
fn fit_elastic_net(
    alpha: f64,
    l1_ratio: f64,
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
) -> ModelResult<FittedModel> {
    let (centering, centred_x, centred_y, y_mean) = centre(x, y)?;
    let (design, targets, penalty) = compress(centred_x, centred_y, alpha)?;
    let model = ElasticNetParams::new()
        .penalty(penalty)
        .l1_ratio(l1_ratio)
        .with_intercept(false)
        .tolerance(CD_TOLERANCE)
        .max_iterations(CD_MAX_ITERATIONS)
        .fit(&DatasetBase::new(design, targets))
        .map_err(|e| format!("coordinate descent failed: {e}"))?;
    Ok(FittedModel::Linear(Linear {
        centering: Some(centering),
        weights: model.hyperplane().clone(),
        intercept: y_mean,
    }))
}

/// Centres `x` on its column means and `y` on its mean, so that a model fitted without an
/// intercept gets scikit-learn's unpenalised one back as `y`'s mean.
fn centre(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
) -> ModelResult<(Centering, Array2<f64>, Array1<f64>, f64)> {
    let centering = Centering::fit(x);
    let y_mean = y.mean().ok_or("no training rows")?;
    let centred_x = centering.apply(x);
    Ok((centering, centred_x, y.mapv(|v| v - y_mean), y_mean))
}

/// The same elastic-net problem on p rows instead of n. With [X | y] = Q [R | c; 0 | d] (thin QR),
/// ||y - Xw||^2 = ||c - Rw||^2 + d^2, so 1/(2n)||y - Xw||^2 + alpha P(w) is p/n times
/// 1/(2p)||c - Rw||^2 + (alpha n/p) P(w) plus a constant: same minimiser. Coordinate descent
/// then costs p^2 rather than n p per pass, after one QR as costly as least squares.
fn compress(
    x: Array2<f64>,
    y: Array1<f64>,
    alpha: f64,
) -> ModelResult<(Array2<f64>, Array1<f64>, f64)> {
    let (n, p) = x.dim();
    if p == 0 || n <= 2 * (p + 1) {
        return Ok((x, y, alpha));
    }
    let stacked = concatenate(Axis(1), &[x.view(), y.view().insert_axis(Axis(1))])
        .map_err(|e| e.to_string())?;
    let r = stacked
        .qr_into()
        .map_err(|e| format!("QR failed: {e}"))?
        .into_r();
    let design = r.slice(s![..p, ..p]).to_owned();
    let targets = r.slice(s![..p, p]).to_owned();
    Ok((design, targets, alpha * n as f64 / p as f64))
}

/// A linear model: `(x - means) . weights + intercept`.
#[derive(Serialize, Deserialize)]
pub struct Linear {
    centering: Option<Centering>,
    weights: Array1<f64>,
    intercept: f64,
}

impl Linear {
    /// Each weight times its column's standard deviation in `x`.
    pub fn standardised_coefficients(&self, x: ArrayView2<f64>) -> Vec<f64> {
        self.weights
            .iter()
            .zip(x.columns())
            .map(|(w, c)| w * c.std(0.0))
            .collect()
    }

    pub fn predict(&self, x: ArrayView2<f64>) -> ModelResult<Vec<f64>> {
        let pred = match &self.centering {
            Some(c) => c.apply(x).dot(&self.weights),
            None => x.dot(&self.weights),
        };
        Ok(pred.into_iter().map(|p| p + self.intercept).collect())
    }
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
    fn cost(&self, _: &Params, rows: usize, cols: usize) -> f64 {
        kernel_cost(rows, cols)
    }
    fn skip_reason(&self, rows: usize, _cols: usize) -> Option<String> {
        row_limit(rows, SVR_MAX_ROWS, "kernel SVR is quadratic in rows")
    }
    /// The target is standardised for fitting (epsilon is in target standard deviations) and the
    /// RBF width follows scikit-learn's `gamma="scale"` on standardised features: 1 / features.
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        _: u64,
    ) -> ModelResult<FittedModel> {
        let (c, epsilon) = (float(params, "c")?, float(params, "epsilon")?);
        let mean = y.mean().ok_or("no training rows")?;
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
            .map_err(|e| format!("SVR solver failed: {e}"))?;
        Ok(FittedModel::Svr(Box::new(FittedSvr { model, mean, std })))
    }
}

#[derive(Serialize, Deserialize)]
pub struct FittedSvr {
    model: Svm<f64, f64>,
    mean: f64,
    std: f64,
}

impl FittedSvr {
    pub fn predict(&self, x: ArrayView2<f64>) -> ModelResult<Vec<f64>> {
        let pred: Array1<f64> = self.model.predict(&x);
        Ok(pred.into_iter().map(|p| p * self.std + self.mean).collect())
    }
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
    fn needs_scaling(&self) -> bool {
        true
    }
    /// Two classes: binomial; more: multinomial (softmax).
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        _: u64,
    ) -> ModelResult<FittedModel> {
        let c = float(params, "c")?;
        if c <= 0.0 {
            return Err(format!("c must be positive, got {c}"));
        }
        let classes = class_count(y)?;
        let labels: Array1<usize> = y.mapv(|c| c as usize);
        let data = DatasetBase::new(x, labels);
        let fail = |e: linfa_logistic::error::Error| format!("logistic regression failed: {e}");
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
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        _: u64,
    ) -> ModelResult<FittedModel> {
        let classes = class_count(y)?;
        let labels: Array1<usize> = y.mapv(|c| c as usize);
        let model = GaussianNb::params()
            .var_smoothing(float(params, "var_smoothing")?)
            .fit(&DatasetBase::new(x, labels))
            .map_err(|e| format!("naive Bayes failed: {e}"))?;
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
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> ModelResult<Array2<f64>> {
        let log_likelihood = self.model.joint_log_likelihood(x);
        let mut out = Array2::from_elem((x.nrows(), self.classes), f64::NEG_INFINITY);
        for (&class, values) in log_likelihood {
            if class >= self.classes {
                return Err(format!("naive Bayes returned an unknown class {class}"));
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
    fn cost(&self, _: &Params, rows: usize, cols: usize) -> f64 {
        kernel_cost(rows, cols)
    }
    fn skip_reason(&self, rows: usize, _cols: usize) -> Option<String> {
        row_limit(rows, SVR_MAX_ROWS, "kernel SVC is quadratic in rows")
    }
    /// Fits the 0/1 indicator `y`; the RBF width is scikit-learn's `gamma="scale"` on
    /// standardised features, as for SVR.
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        _: u64,
    ) -> ModelResult<FittedModel> {
        let c = float(params, "c")?;
        let positive: Array1<bool> = y.mapv(|v| v == 1.0);
        let model = Svm::<f64, Pr>::params()
            .pos_neg_weights(c, c)
            .gaussian_kernel(x.ncols().max(1) as f64)
            .eps(1e-3)
            .shrinking(false)
            .fit(&DatasetBase::new(x.to_owned(), positive))
            .map_err(|e| format!("SVC solver failed: {e}"))?;
        Ok(FittedModel::Svc(Box::new(FittedSvc { model })))
    }
}

#[derive(Serialize, Deserialize)]
pub struct FittedSvc {
    model: Svm<f64, Pr>,
}

impl FittedSvc {
    /// The probability of class 1.
    pub fn predict(&self, x: ArrayView2<f64>) -> ModelResult<Vec<f64>> {
        let pred: Array1<Pr> = self.model.predict(&x);
        Ok(pred.iter().map(|p| f64::from(**p)).collect())
    }
}
