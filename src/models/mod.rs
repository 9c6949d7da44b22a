//! Algorithms: one object-safe trait for "an algorithm with a grid that can fit", an enum of
//! fitted models that can predict and be saved as plain data, and a registry. Each backend crate
//! is wrapped in its own file, the only place that imports it; adding an algorithm is one struct
//! there and one line in [`registry`] (and a variant of [`FittedModel`] for a new kind of model).

mod baseline;
mod histogram;
mod linfa;
mod nearest;
mod one_vs_rest;

use std::collections::BTreeMap;
use std::fmt;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::metrics::most_probable;
use crate::profile::Task;

/// One hyperparameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    Int(i64),
    Float(f64),
    Text(String),
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Param::Int(v) => write!(f, "{v}"),
            Param::Float(v) => write!(f, "{v}"),
            Param::Text(v) => f.write_str(v),
        }
    }
}

/// A hyperparameter setting, in a stable (sorted) order.
pub type Params = BTreeMap<String, Param>;

/// Renders a setting as `a=1 b=none`, the form used in tables and CSV files.
pub fn format_params(params: &Params) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a fit or a prediction failed, in words for the leaderboard.
pub type ModelResult<T> = Result<T, String>;

/// An algorithm with a default hyperparameter grid.
///
/// A classifier is fitted on class indices `0..k` (as `f64`, every class present) and returns a
/// model with [`FittedModel::predict_proba`].
pub trait Algorithm: Send + Sync {
    /// The task the algorithm learns.
    fn task(&self) -> Task {
        Task::Regression
    }
    /// Short id used on the command line (`--include rf,ridge`).
    fn id(&self) -> &'static str;
    fn name(&self) -> &'static str;
    /// The crate that does the fitting.
    fn backend(&self) -> &'static str;
    /// The default grid: every setting becomes one candidate.
    fn grid(&self) -> Vec<Params>;
    /// Whether a compare runs it without `--include` naming it. Kernel machines are left out,
    /// as PyCaret's default (`turbo`) library leaves out its SVM: their cost grows with the
    /// square of the rows and they rarely win on tables.
    fn in_default_sweep(&self) -> bool {
        true
    }
    /// Whether features are standardised before fitting.
    fn needs_scaling(&self) -> bool {
        false
    }
    /// A rough estimate of one fit's cost on `rows` x `cols` (arbitrary units, comparable
    /// between algorithms): the sweep starts the longest candidates first.
    fn cost(&self, _params: &Params, rows: usize, cols: usize) -> f64 {
        (rows * cols) as f64
    }
    /// The hyperparameter that counts stages (boosting iterations), if any: a model fitted
    /// with more stages holds every model with fewer ([`FittedModel::truncated`]), so the
    /// sweep fits only the largest of settings that differ in it alone.
    fn staged_param(&self) -> Option<&'static str> {
        None
    }
    /// A reason not to run on a training set this large, if any.
    fn skip_reason(&self, _rows: usize, _cols: usize) -> Option<String> {
        None
    }
    /// Fits one setting on `x` (rows x features) and `y`. `seed` drives any randomness.
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        seed: u64,
    ) -> ModelResult<FittedModel>;
}

/// A fitted model of any algorithm. It is plain data: saving it writes numbers, loading it
/// runs no code from the file.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "state", rename_all = "snake_case")]
pub enum FittedModel {
    /// The same prediction for every row.
    Constant(f64),
    Linear(linfa::Linear),
    Svr(Box<linfa::FittedSvr>),
    Knn(Box<nearest::FittedKnn>),
    /// Histogram trees: a decision tree, a forest or gradient boosting (which with the log loss
    /// predicts a probability).
    Trees(Box<histogram::Ensemble>),
    /// Classification: the same class probabilities for every row (the training shares).
    Priors(Vec<f64>),
    /// Classification: one model per class predicting the probability of that class (a single
    /// model, of class 1, with two classes); rows are normalised to sum 1.
    OneVsRest(Vec<FittedModel>),
    Logistic(linfa::Logistic),
    NaiveBayes(linfa::NaiveBayes),
    /// A two-class SVM with Platt-scaled output: predicts the probability of class 1.
    Svc(Box<linfa::FittedSvc>),
}

/// How a model rates its own features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportanceKind {
    /// Total impurity (variance) decrease of a tree's splits on the feature, normalised to sum 1.
    Impurity,
    /// Total loss reduction of a booster's splits on the feature, normalised to sum 1.
    Gain,
    /// Coefficient times the feature's standard deviation: the change of the prediction for one
    /// standard deviation of the feature (signed).
    StandardisedCoefficient,
    /// Increase of the loss (RMSE, or log loss for a classifier) when an input column's values
    /// are shuffled across rows.
    Permutation,
}

impl FittedModel {
    /// The importances the model itself defines, one per column of its training matrix `x`,
    /// or `None` for models without them (k-NN, SVR, forests here; use permutation importance).
    pub fn intrinsic_importance(&self, x: ArrayView2<f64>) -> Option<(ImportanceKind, Vec<f64>)> {
        match self {
            FittedModel::Linear(m) => Some((
                ImportanceKind::StandardisedCoefficient,
                m.standardised_coefficients(x),
            )),
            FittedModel::Trees(m) => Some(m.importance()),
            // The classes' models' importances, averaged (all of one kind).
            FittedModel::OneVsRest(models) => {
                let each: Vec<(ImportanceKind, Vec<f64>)> = models
                    .iter()
                    .map(|m| m.intrinsic_importance(x))
                    .collect::<Option<_>>()?;
                let kind = each.first()?.0;
                let mut mean = vec![0.0; x.ncols()];
                for (_, values) in &each {
                    for (m, v) in mean.iter_mut().zip(values) {
                        *m += v / each.len() as f64;
                    }
                }
                Some((kind, mean))
            }
            FittedModel::Constant(_)
            | FittedModel::Knn(_)
            | FittedModel::Svr(_)
            | FittedModel::Priors(_)
            | FittedModel::Logistic(_)
            | FittedModel::NaiveBayes(_)
            | FittedModel::Svc(_) => None,
        }
    }

    /// One prediction per row of `x` (rows x the features the model was fitted on): the value
    /// for regression, the most probable class index for a classifier, the probability of class
    /// 1 for a two-class probability model (`Svc`, log-loss boosting).
    pub fn predict(&self, x: ArrayView2<f64>) -> ModelResult<Vec<f64>> {
        match self {
            FittedModel::Constant(v) => Ok(vec![*v; x.nrows()]),
            FittedModel::Linear(m) => m.predict(x),
            FittedModel::Svr(m) => m.predict(x),
            FittedModel::Knn(m) => m.predict(x),
            FittedModel::Trees(m) => m.predict(x),
            FittedModel::Svc(m) => m.predict(x),
            FittedModel::Priors(_)
            | FittedModel::OneVsRest(_)
            | FittedModel::Logistic(_)
            | FittedModel::NaiveBayes(_) => Ok(most_probable(self.predict_proba(x)?.view())),
        }
    }

    /// The model after its first `stages` stages (see [`Algorithm::staged_param`]): exactly
    /// the model fitted with that many.
    pub fn truncated(&self, stages: usize) -> ModelResult<FittedModel> {
        match self {
            FittedModel::Trees(m) => Ok(FittedModel::Trees(Box::new(m.truncated(stages)?))),
            FittedModel::OneVsRest(models) => models
                .iter()
                .map(|m| m.truncated(stages))
                .collect::<ModelResult<_>>()
                .map(FittedModel::OneVsRest),
            _ => Err("the model has no stages".into()),
        }
    }

    /// Whether the model is a classifier (has [`FittedModel::predict_proba`]).
    pub fn is_classifier(&self) -> bool {
        matches!(
            self,
            FittedModel::Priors(_)
                | FittedModel::OneVsRest(_)
                | FittedModel::Logistic(_)
                | FittedModel::NaiveBayes(_)
        )
    }

    /// A classifier's class probabilities: rows x classes, each row summing to 1.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> ModelResult<Array2<f64>> {
        match self {
            FittedModel::Priors(p) => {
                Ok(Array2::from_shape_fn((x.nrows(), p.len()), |(_, c)| p[c]))
            }
            FittedModel::OneVsRest(models) => one_vs_rest::proba(models, x),
            FittedModel::Logistic(m) => Ok(m.predict_proba(x)),
            FittedModel::NaiveBayes(m) => m.predict_proba(x),
            _ => Err("a regression model has no class probabilities".into()),
        }
    }
}

/// Every algorithm, in listing order.
pub fn registry() -> Vec<Box<dyn Algorithm>> {
    vec![
        Box::new(baseline::Mean),
        Box::new(linfa::Ols),
        Box::new(linfa::Ridge),
        Box::new(linfa::Lasso),
        Box::new(linfa::ElasticNet),
        Box::new(histogram::DecisionTree),
        Box::new(histogram::Forest { extra: false }),
        Box::new(histogram::Forest { extra: true }),
        Box::new(nearest::Knn),
        Box::new(histogram::GradientBoosting::REGRESSION),
        Box::new(linfa::Svr),
        Box::new(baseline::Majority),
        Box::new(linfa::LogisticRegression),
        one_vs_rest::boxed(histogram::DecisionTree),
        one_vs_rest::boxed(histogram::Forest { extra: false }),
        one_vs_rest::boxed(histogram::Forest { extra: true }),
        one_vs_rest::boxed(nearest::Knn),
        Box::new(linfa::GaussianNaiveBayes),
        one_vs_rest::boxed(histogram::GradientBoosting::CLASSIFICATION),
        one_vs_rest::boxed(linfa::Svc),
    ]
}

/// The algorithms for `task`, in listing order.
pub fn for_task(task: Task) -> Vec<Box<dyn Algorithm>> {
    registry()
        .into_iter()
        .filter(|a| a.task() == task)
        .collect()
}

/// Reads hyperparameter `key` as a float.
fn float(params: &Params, key: &str) -> ModelResult<f64> {
    match params.get(key) {
        Some(Param::Float(v)) => Ok(*v),
        Some(Param::Int(v)) => Ok(*v as f64),
        other => Err(format!(
            "hyperparameter '{key}' must be a number, got {other:?}"
        )),
    }
}

/// Reads hyperparameter `key` as a non-negative integer.
fn int(params: &Params, key: &str) -> ModelResult<usize> {
    match params.get(key) {
        Some(Param::Int(v)) if *v >= 0 => Ok(*v as usize),
        other => Err(format!(
            "hyperparameter '{key}' must be a non-negative integer, got {other:?}"
        )),
    }
}

/// Reads hyperparameter `key` as an integer or `none`.
fn optional_int(params: &Params, key: &str) -> ModelResult<Option<usize>> {
    match params.get(key) {
        Some(Param::Text(t)) if t == "none" => Ok(None),
        _ => int(params, key).map(Some),
    }
}

/// The skip reason of an algorithm limited to `limit` training rows, when `rows` exceed it.
fn row_limit(rows: usize, limit: usize, why: &str) -> Option<String> {
    (rows > limit).then(|| format!("{why}: {rows} training rows exceed its limit of {limit}"))
}

/// Builds a grid as the cartesian product of named value lists.
fn grid(axes: &[(&str, Vec<Param>)]) -> Vec<Params> {
    axes.iter()
        .fold(vec![Params::new()], |settings, (key, values)| {
            settings
                .iter()
                .flat_map(|s| {
                    values.iter().map(move |v| {
                        let mut s = s.clone();
                        s.insert(key.to_string(), v.clone());
                        s
                    })
                })
                .collect()
        })
}

fn ints(values: &[i64]) -> Vec<Param> {
    values.iter().map(|&v| Param::Int(v)).collect()
}

fn floats(values: &[f64]) -> Vec<Param> {
    values.iter().map(|&v| Param::Float(v)).collect()
}

fn texts(values: &[&str]) -> Vec<Param> {
    values.iter().map(|&v| Param::Text(v.to_string())).collect()
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

    #[test]
    fn ids_are_unique_per_task_and_grids_non_empty() {
        for task in [Task::Regression, Task::Classification] {
            let algorithms = for_task(task);
            let mut ids: Vec<&str> = algorithms.iter().map(|a| a.id()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), algorithms.len());
            assert!(algorithms.iter().all(|a| !a.grid().is_empty()));
        }
    }

    #[test]
    fn every_classifier_gives_probabilities_of_every_class() {
        // Three classes along x0, with noise in x1.
        let x = Array2::from_shape_fn((90, 2), |(i, j)| {
            if j == 0 {
                (i / 30) as f64 * 2.0 + (i % 7) as f64 * 0.1
            } else {
                (i * 13 % 11) as f64
            }
        });
        let three: Array1<f64> = (0..90).map(|i| (i / 30) as f64).collect();
        let two = three.mapv(|c| f64::from(c >= 1.0));
        for y in [two, three] {
            let k = y.iter().fold(0.0f64, |a, &b| a.max(b)) as usize + 1;
            for algorithm in for_task(Task::Classification) {
                let params = &algorithm.grid()[0];
                let model = algorithm
                    .fit(params, x.view(), y.view(), 7)
                    .unwrap_or_else(|e| panic!("{}: {e}", algorithm.id()));
                let proba = model.predict_proba(x.view()).unwrap();
                assert_eq!(proba.dim(), (90, k), "{}", algorithm.id());
                for row in proba.rows() {
                    assert!((row.sum() - 1.0).abs() < 1e-9, "{}: {row}", algorithm.id());
                    assert!(row.iter().all(|p| (0.0..=1.0).contains(p)));
                }
                let labels = model.predict(x.view()).unwrap();
                let right = labels.iter().zip(&y).filter(|(p, t)| p == t).count();
                if algorithm.id() != "majority" {
                    assert!(right >= 80, "{} k={k}: {right} of 90", algorithm.id());
                }
            }
        }
    }

    #[test]
    fn grid_is_a_cartesian_product_in_stable_order() {
        let g = grid(&[("b", ints(&[1, 2])), ("a", texts(&["x", "y"]))]);
        let rendered: Vec<String> = g.iter().map(format_params).collect();
        assert_eq!(rendered, ["a=x b=1", "a=y b=1", "a=x b=2", "a=y b=2"]);
    }

    #[test]
    fn every_algorithm_fits_and_predicts_a_line() {
        let x = Array2::from_shape_fn((60, 2), |(i, j)| (i as f64) * (j as f64 + 1.0) % 17.0);
        let y: Array1<f64> = x
            .rows()
            .into_iter()
            .map(|r| 3.0 * r[0] - r[1] + 2.0)
            .collect();
        for algorithm in for_task(Task::Regression) {
            let params = &algorithm.grid()[0];
            let model = algorithm
                .fit(params, x.view(), y.view(), 7)
                .unwrap_or_else(|e| panic!("{}: {e}", algorithm.id()));
            let pred = model.predict(x.view()).unwrap();
            assert_eq!(pred.len(), 60, "{}", algorithm.id());
            assert!(pred.iter().all(|p| p.is_finite()), "{}", algorithm.id());
        }
    }
}
