//! Linear regression on linfa: ordinary least squares and ridge (by Cholesky of the normal
//! equations, or linfa-linear's QR least squares where they are nearly singular), lasso and
//! elastic net by coordinate descent ([`super::descent`]). Every fit matches
//! scikit-learn's objective and unpenalised intercept (`fit_intercept=True`).

use linfa::prelude::Fit;
use linfa::DatasetBase;
use linfa_linalg::cholesky::{CholeskyInplace, SolveCInplace};
use linfa_linalg::qr::QRInto;
use linfa_linalg::svd::SVDInto;
use linfa_linalg::triangular::{SolveTriangularInplace, UPLO};
use linfa_linear::LinearRegression;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis, ShapeBuilder};
use serde::{Deserialize, Serialize};

use super::descent;
use super::params::{float_where, floats, grid, Range};
use super::{Algorithm, FitError, FitResult, FittedModel, Learner, ParamError, Params};

/// Coordinate descent stops when the duality gap falls below this fraction of ||y||^2.
/// scikit-learn's default (1e-4) stops lasso(1) on unscaled diabetes features with
/// coefficients 1e-4 off the optimum; 1e-8 lands within 1e-6 of it at about 2.5x the passes.
const CD_TOLERANCE: f64 = 1e-8;
const CD_MAX_ITERATIONS: u32 = 10_000;

pub struct Ols;
pub struct Ridge;
pub struct Lasso;
pub struct ElasticNet;

/// Ridge's checked setting: the L2 penalty.
struct RidgeFit {
    alpha: f64,
}

/// Lasso's and elastic net's checked setting (lasso: `l1_ratio` 1).
struct ElasticNetFit {
    alpha: f64,
    l1_ratio: f64,
}

fn least_squares_failed(e: linfa_linear::LinearError<f64>) -> FitError {
    FitError::backend("least squares", e)
}

impl Algorithm for Ols {
    fn id(&self) -> &'static str {
        "ols"
    }
    fn name(&self) -> &'static str {
        "Linear regression (OLS)"
    }
    fn backend(&self) -> &'static str {
        "automl (linfa-linalg)"
    }
    fn grid(&self) -> Vec<Params> {
        vec![Params::new()]
    }
    fn configure(&self, _: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(Ols))
    }
}

impl Learner for Ols {
    /// On a tall table by Cholesky of the centred normal equations X'X w = X'y when no column
    /// is nearly a combination of the others (see [`trusted_cholesky`]): linfa's QR took 3.6 s
    /// a fold on 16,000 x 500, this 0.35 s. Otherwise (some column is, or the table is wider
    /// than tall) the least-squares weights of smallest norm ([`minimum_norm`]).
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        let (centering, centred_x, centred_y, y_mean) = centre(x, y)?;
        let trusted = match x.nrows() > x.ncols() {
            true => {
                let gram = centred_x.t().dot(&centred_x);
                normal_equations(gram, centred_x.view(), centred_y.view())?
            }
            false => None,
        };
        let weights = match trusted {
            Some(weights) => weights,
            None => minimum_norm(centred_x, centred_y.view())?,
        };
        Ok(FittedModel::Linear(Linear {
            centering: Some(centering),
            weights,
            intercept: y_mean,
        }))
    }
}

/// The least-squares weights of smallest norm of centred `x` and `y` (scikit-learn's answer,
/// from LAPACK's `gelsd`), by an SVD that leaves out the directions whose singular value is
/// below 1e-12 of the largest. A tall `x` is first reduced by QR of [X | y] to R and Q'y (as in
/// [`compress`]); a wide one is decomposed as it is (its centred rows have one such direction).
/// A column that is a combination of others (a copy, a date part that repeats a column) has
/// one too: linfa's QR had turned it into weights of +-1e16, whose rounding left predictions
/// off by units.
fn minimum_norm(x: Array2<f64>, y: ArrayView1<f64>) -> FitResult<Array1<f64>> {
    let (n, p) = x.dim();
    if p == 0 || n == 0 {
        return Ok(Array1::zeros(p));
    }
    let (matrix, rhs) = if n > p {
        let mut stacked = Array2::zeros((n, p + 1).f());
        stacked.slice_mut(s![.., ..p]).assign(&x);
        stacked.column_mut(p).assign(&y);
        drop(x);
        let r = stacked
            .qr_into()
            .map_err(|e| FitError::backend("QR", e))?
            .into_r();
        (
            r.slice(s![..p, ..p]).to_owned(),
            r.slice(s![..p, p]).to_owned(),
        )
    } else {
        (x, y.to_owned())
    };
    let (u, sigma, vt) = matrix
        .svd_into(true, true)
        .map_err(|e| FitError::backend("SVD", e))?;
    let (Some(u), Some(vt)) = (u, vt) else {
        return Err(FitError::backend("SVD", "no singular vectors"));
    };
    let largest = sigma.iter().fold(0.0_f64, |m, &v| m.max(v));
    let scaled: Array1<f64> = u
        .t()
        .dot(&rhs)
        .iter()
        .zip(&sigma)
        .map(|(&b, &v)| if v > 1e-12 * largest { b / v } else { 0.0 })
        .collect();
    Ok(vt.t().dot(&scaled))
}

impl Algorithm for Ridge {
    fn id(&self) -> &'static str {
        "ridge"
    }
    fn name(&self) -> &'static str {
        "Ridge regression"
    }
    fn backend(&self) -> &'static str {
        "automl (linfa-linalg)"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[("alpha", floats(&[0.1, 1.0, 10.0]))])
    }
    fn space(&self) -> Vec<(&'static str, Range)> {
        vec![("alpha", Range::LogFloat(1e-3, 1e3))]
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        let alpha = float_where(params, "alpha", "non-negative", |a| a >= 0.0)?;
        Ok(Box::new(RidgeFit { alpha }))
    }
}

impl Learner for RidgeFit {
    /// Minimises scikit-learn's objective ||y - Xw - b||^2 + alpha ||w||^2 with an unpenalised
    /// intercept, exactly: on centred data it is least squares on X stacked over sqrt(alpha) I
    /// and y stacked over zeros, solved by the same QR as OLS, or (alpha > 0) by Cholesky as
    /// scikit-learn's `cholesky` solver does, through whichever of the n x n dual and the p x p
    /// normal equations is smaller: QR on the (n + p) x p stack took 30 s a fold on 50 x 3,000
    /// and 3.6 s on 16,000 x 500 (Cholesky: 0.2 s).
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        let (centering, centred_x, centred_y, y_mean) = centre(x, y)?;
        let (n, p) = x.dim();
        let column = |v: Array1<f64>| v.insert_axis(Axis(1));
        let solved = match (self.alpha > 0.0, p > n) {
            (false, _) => None,
            // Wider than tall: w = X'(XX' + alpha I)^-1 y.
            (true, true) => {
                let mut gram = centred_x.dot(&centred_x.t());
                gram.diag_mut().mapv_inplace(|d| d + self.alpha);
                let dual = gram
                    .solvec_into(column(centred_y.clone()))
                    .map_err(|e| FitError::backend("the ridge dual's Cholesky solve", e))?;
                Some(centred_x.t().dot(&dual.column(0)))
            }
            // Taller than wide: (X'X + alpha I) w = X'y, unless nearly singular.
            (true, false) => {
                let mut gram = centred_x.t().dot(&centred_x);
                gram.diag_mut().mapv_inplace(|d| d + self.alpha);
                normal_equations(gram, centred_x.view(), centred_y.view())?
            }
        };
        if let Some(weights) = solved {
            return Ok(FittedModel::Linear(Linear {
                centering: Some(centering),
                weights,
                intercept: y_mean,
            }));
        }
        // Column-major, as QR walks columns: on birthdays a row-major copy made it 10x slower.
        let mut stacked = Array2::zeros((n + p, p).f());
        stacked.slice_mut(s![..n, ..]).assign(&centred_x);
        stacked
            .slice_mut(s![n.., ..])
            .diag_mut()
            .fill(self.alpha.sqrt());
        let targets: Array1<f64> = centred_y
            .into_iter()
            .chain(std::iter::repeat_n(0.0, p))
            .collect();
        let model = LinearRegression::new()
            .with_intercept(false)
            .fit(&DatasetBase::new(stacked, targets))
            .map_err(least_squares_failed)?;
        Ok(FittedModel::Linear(Linear {
            centering: Some(centering),
            weights: model.params().clone(),
            intercept: y_mean,
        }))
    }
}

/// The penalty of lasso and elastic net: non-negative.
fn alpha(params: &Params) -> Result<f64, ParamError> {
    float_where(params, "alpha", "non-negative", |a| a >= 0.0)
}

impl Algorithm for Lasso {
    fn id(&self) -> &'static str {
        "lasso"
    }
    fn name(&self) -> &'static str {
        "Lasso"
    }
    fn backend(&self) -> &'static str {
        "automl"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[("alpha", floats(&[0.01, 0.1, 1.0]))])
    }
    fn space(&self) -> Vec<(&'static str, Range)> {
        vec![("alpha", Range::LogFloat(1e-4, 10.0))]
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(ElasticNetFit {
            alpha: alpha(params)?,
            l1_ratio: 1.0,
        }))
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
        "automl"
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[
            ("alpha", floats(&[0.01, 0.1, 1.0])),
            ("l1_ratio", floats(&[0.2, 0.5, 0.8])),
        ])
    }
    fn space(&self) -> Vec<(&'static str, Range)> {
        vec![
            ("alpha", Range::LogFloat(1e-4, 10.0)),
            ("l1_ratio", Range::Float(0.05, 0.95)),
        ]
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(ElasticNetFit {
            alpha: alpha(params)?,
            l1_ratio: float_where(params, "l1_ratio", "between 0 and 1", |r| {
                (0.0..=1.0).contains(&r)
            })?,
        }))
    }
}

impl Learner for ElasticNetFit {
    /// Coordinate descent minimises scikit-learn's objective, 1/(2n)||y - Xw - b||^2 +
    /// alpha * l1_ratio * ||w||_1 + alpha * (1 - l1_ratio) / 2 * ||w||^2, so alpha passes
    /// through unchanged. X and y are centred here and the intercept is y's mean.
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        let (centering, y_mean) = means(x, y)?;
        let (design, targets, penalty) = compress(x, y, (&centering, y_mean), self.alpha)?;
        // Coordinate descent reads the design a column at a time: column-major keeps each
        // column contiguous (on a 40 x 3,000 table row-major columns cost a cache line a value).
        let mut columns = Array2::zeros(design.dim().f());
        columns.assign(&design);
        let (weights, _, _) = descent::elastic_net(
            columns.view(),
            targets.view(),
            penalty,
            self.l1_ratio,
            CD_TOLERANCE,
            CD_MAX_ITERATIONS,
        );
        Ok(FittedModel::Linear(Linear {
            centering: Some(centering),
            weights,
            intercept: y_mean,
        }))
    }
}

/// Centres `x` on its column means and `y` on its mean, so that a model fitted without an
/// intercept gets scikit-learn's unpenalised one back as `y`'s mean.
fn centre(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
) -> FitResult<(Centering, Array2<f64>, Array1<f64>, f64)> {
    let (centering, y_mean) = means(x, y)?;
    let centred_x = centering.apply(x);
    Ok((centering, centred_x, y.mapv(|v| v - y_mean), y_mean))
}

/// `x`'s column means and `y`'s mean.
fn means(x: ArrayView2<f64>, y: ArrayView1<f64>) -> FitResult<(Centering, f64)> {
    let centering = Centering::fit(x);
    let y_mean = y.mean().ok_or(FitError::NoRows)?;
    Ok((centering, y_mean))
}

/// The same elastic-net problem, on `x` and `y` centred (by `centering` and `y_mean`), on p
/// rows instead of n. With [X | y] = Q [R | c; 0 | d] (thin QR),
/// ||y - Xw||^2 = ||c - Rw||^2 + d^2, so 1/(2n)||y - Xw||^2 + alpha P(w) is p/n times
/// 1/(2p)||c - Rw||^2 + (alpha n/p) P(w) plus a constant: same minimiser. Coordinate descent
/// then costs p^2 rather than n p per pass. [R | c] is the transposed Cholesky factor of
/// [X | y]'[X | y] (the same R up to signs, at a fraction of QR's cost: 16,000 x 500 in 0.2 s
/// against 3.6 s), or QR's when that Gram matrix is nearly singular. The centred [X | y] is the
/// one n-row copy made (a centred X and then [X | y] were two: 260 MB on 800,000 x 20).
fn compress(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    (centering, y_mean): (&Centering, f64),
    alpha: f64,
) -> FitResult<(Array2<f64>, Array1<f64>, f64)> {
    let (n, p) = x.dim();
    if p == 0 || n <= 2 * (p + 1) {
        return Ok((centering.apply(x), y.mapv(|v| v - y_mean), alpha));
    }
    let mut stacked = Array2::zeros((n, p + 1).f());
    let mut columns = stacked.slice_mut(s![.., ..p]);
    columns.assign(&x);
    columns -= &centering.means.view().insert_axis(Axis(0));
    stacked
        .column_mut(p)
        .zip_mut_with(&y, |out, &v| *out = v - y_mean);
    let r = match trusted_cholesky(stacked.t().dot(&stacked)) {
        Some(l) => l.reversed_axes(),
        None => stacked
            .qr_into()
            .map_err(|e| FitError::backend("QR", e))?
            .into_r(),
    };
    let design = r.slice(s![..p, ..p]).to_owned();
    let targets = r.slice(s![..p, p]).to_owned();
    Ok((design, targets, alpha * n as f64 / p as f64))
}

/// The solution w of `gram` w = X'y by its [`trusted_cholesky`] factor, given the centred `x`
/// and `y`; `None` when the factor is not trusted.
fn normal_equations(
    gram: Array2<f64>,
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
) -> FitResult<Option<Array1<f64>>> {
    let Some(l) = trusted_cholesky(gram) else {
        return Ok(None);
    };
    let b = x.t().dot(&y).insert_axis(Axis(1));
    let solved = l
        .solve_triangular_into(b, UPLO::Lower)
        .and_then(|z| l.t().solve_triangular_into(z, UPLO::Upper))
        .map_err(|e| FitError::backend("the normal equations' Cholesky solve", e))?;
    Ok(Some(solved.column(0).to_owned()))
}

/// The Cholesky factor L of `gram` (L L' = gram) when every pivot keeps at least 1e-8 of its
/// diagonal entry: no column is nearly a combination of the ones before it, so working on the
/// Gram matrix (which squares the condition number) costs at most half the digits. `None`
/// otherwise (collinear or constant columns, an exact fit): the caller solves by QR.
fn trusted_cholesky(gram: Array2<f64>) -> Option<Array2<f64>> {
    let diagonal = gram.diag().to_owned();
    let l = gram.cholesky_into().ok()?;
    let kept = l
        .diag()
        .iter()
        .zip(&diagonal)
        .all(|(p, d)| p * p >= 1e-8 * d);
    kept.then_some(l)
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

    pub fn predict(&self, x: ArrayView2<f64>) -> FitResult<Vec<f64>> {
        let pred = match &self.centering {
            Some(c) => c.apply(x).dot(&self.weights),
            None => x.dot(&self.weights),
        };
        Ok(pred.into_iter().map(|p| p + self.intercept).collect())
    }
}

/// Column means of a training matrix, subtracted before fitting linear models so that an
/// unpenalised intercept comes out exactly as scikit-learn's (`fit_intercept=True`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Centering {
    means: Array1<f64>,
}

impl Centering {
    fn fit(x: ArrayView2<f64>) -> Centering {
        let means = x
            .mean_axis(Axis(0))
            .unwrap_or_else(|| Array1::zeros(x.ncols()));
        Centering { means }
    }

    fn apply(&self, x: ArrayView2<f64>) -> Array2<f64> {
        &x - &self.means.view().insert_axis(Axis(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ridge's optimality condition on centred data: X'(Xw - y) + alpha w = 0.
    fn gradient_norm(x: &Array2<f64>, y: &Array1<f64>, fit: &Linear, alpha: f64) -> f64 {
        let xc = x - &x.mean_axis(Axis(0)).unwrap();
        let yc = y - y.mean().unwrap();
        let residual = xc.dot(&fit.weights) - &yc;
        let gradient = xc.t().dot(&residual) + &fit.weights * alpha;
        gradient.iter().map(|g| g * g).sum::<f64>().sqrt()
    }

    #[test]
    fn ridge_solves_its_objective_when_tall_and_through_the_dual_when_wide() {
        for (n, p) in [(40, 5), (12, 60)] {
            let x = Array2::from_shape_fn((n, p), |(i, j)| ((i * 7 + j * 13) % 17) as f64 / 3.0);
            let y = Array1::from_shape_fn(n, |i| (i % 5) as f64 + x[[i, 0]]);
            let fit = RidgeFit { alpha: 0.5 }.fit(x.view(), y.view(), 0).unwrap();
            let FittedModel::Linear(linear) = fit else {
                panic!("a linear model")
            };
            assert!(gradient_norm(&x, &y, &linear, 0.5) < 1e-8, "{n} x {p}");
        }
    }

    #[test]
    fn ols_on_a_wide_table_is_the_least_norm_fit_that_ridge_tends_to() {
        let (n, p) = (12, 30);
        let x = Array2::from_shape_fn((n, p), |(i, j)| {
            ((i * 7 + j * 13) % 17) as f64 / 3.0 + ((i * j) % 5) as f64
        });
        let y = Array1::from_shape_fn(n, |i| (i % 5) as f64 + x[[i, 0]]);
        let fit = |learner: &dyn Learner| match learner.fit(x.view(), y.view(), 0).unwrap() {
            FittedModel::Linear(linear) => linear,
            _ => panic!("a linear model"),
        };
        let (ols, ridge) = (fit(&Ols), fit(&RidgeFit { alpha: 1e-8 }));
        assert!(gradient_norm(&x, &y, &ols, 0.0) < 1e-8);
        for (a, b) in ols.weights.iter().zip(&ridge.weights) {
            assert!((a - b).abs() < 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn ols_solves_least_squares_by_cholesky_and_with_the_least_norm_where_columns_are_collinear() {
        let (n, p) = (40, 4);
        let x = Array2::from_shape_fn((n, p), |(i, j)| ((i * 7 + j * 13) % 17) as f64 / 3.0);
        let y = Array1::from_shape_fn(n, |i| (i % 5) as f64 + x[[i, 0]] - 2.0 * x[[i, 2]]);
        // A copy of column 1: the normal equations are singular, and the two copies share its
        // weight equally (the least-norm solution).
        let mut collinear = Array2::zeros((n, p + 1));
        collinear.slice_mut(s![.., ..p]).assign(&x);
        collinear.column_mut(p).assign(&x.column(1));
        let fit = |x: &Array2<f64>| match Learner::fit(&Ols, x.view(), y.view(), 0).unwrap() {
            FittedModel::Linear(linear) => linear,
            _ => panic!("a linear model"),
        };
        let (alone, shared) = (fit(&x), fit(&collinear));
        assert!(gradient_norm(&x, &y, &alone, 0.0) < 1e-8);
        assert!(gradient_norm(&collinear, &y, &shared, 0.0) < 1e-8);
        let w = &shared.weights;
        assert!((w[1] - w[p]).abs() < 1e-9, "{w}");
        for (j, expected) in [(0, alone.weights[0]), (1, alone.weights[1] / 2.0)] {
            assert!(
                (w[j] - expected).abs() < 1e-9,
                "{w} against {}",
                alone.weights
            );
        }
    }
}
