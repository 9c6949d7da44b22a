//! Algorithms: one object-safe trait for "an algorithm with a grid", whose settings are checked
//! once into a [`Learner`] that fits; an enum of fitted models that predict and are saved as
//! plain data ([`FittedModel`]); and a registry. Each backend crate is wrapped in its own file,
//! the only place that imports it; adding an algorithm is one struct there and one line in
//! [`registry`] (and a variant of [`FittedModel`] for a new kind of model).

mod baseline;
mod bayes;
mod descent;
mod error;
mod fitted;
mod linear;
mod logistic;
mod nearest;
mod one_vs_rest;
mod params;
pub mod spare;
mod svm;
mod trees;

use ndarray::{ArrayView1, ArrayView2};

use crate::task::Task;

pub use error::{guard, panic_message, FitError, FitResult};
pub use fitted::{FittedModel, ImportanceKind};
pub use params::{format_params, format_setting, Param, ParamError, Params, Range};

/// An algorithm with a default hyperparameter grid.
///
/// A classifier is fitted on class indices `0..k` (as `f64`, every class present) and returns a
/// model with [`FittedModel::predict_proba`].
pub trait Algorithm: Send + Sync {
    /// The task the algorithm learns.
    fn task(&self) -> Task {
        Task::Regression
    }
    /// Short id used to select it (`include(["rf", "ridge"])`).
    fn id(&self) -> &'static str;
    fn name(&self) -> &'static str;
    /// The crate that does the fitting.
    fn backend(&self) -> &'static str;
    /// The default grid: every setting becomes one candidate.
    fn grid(&self) -> Vec<Params>;
    /// The ranges the search samples settings from, around the grid's: empty for an
    /// algorithm without hyperparameters worth searching. A key left out takes its default.
    fn space(&self) -> Vec<(&'static str, Range)> {
        Vec::new()
    }
    /// Whether a compare runs it without `include` naming it. Kernel machines are left out,
    /// as PyCaret's default (`turbo`) library leaves out its SVM: their cost grows with the
    /// square of the rows and they rarely win on tables.
    fn in_default_sweep(&self) -> bool {
        true
    }
    /// Whether features are standardised before fitting.
    fn needs_scaling(&self) -> bool {
        false
    }
    /// The hyperparameter that counts stages (boosting iterations, k-NN's neighbours), if any:
    /// a model fitted with more stages holds every model with fewer
    /// ([`FittedModel::truncated`]), so the sweep fits only the largest of settings that
    /// differ in it alone.
    fn staged_param(&self) -> Option<&'static str> {
        None
    }
    /// Hyperparameters that change only how a fitted model predicts, not what it fits (k-NN's
    /// weighting of the neighbours it found): staged settings that differ in them too are
    /// scored from one fit, each reading it its own way (its [`Learner::stages`] tell which).
    fn prediction_params(&self) -> &'static [&'static str] {
        &[]
    }
    /// A cheaper setting that stands for `params` in the race's first-fold look, if any (a
    /// forest with a tenth of its trees): a setting the race keeps is then scored on every
    /// fold as it is, one it prunes is a row of its look.
    fn look(&self, _params: &Params) -> Option<Params> {
        None
    }
    /// Whether it is a baseline any useful model must beat.
    fn is_baseline(&self) -> bool {
        false
    }
    /// A reason not to run on a training set this large, if any.
    fn skip_reason(&self, _rows: usize, _cols: usize) -> Option<String> {
        None
    }
    /// Checks one setting into its typed form, ready to fit: the only place `params` is read.
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError>;
    /// Checks `params` and fits once: for a single fit. The sweep configures each setting once
    /// and fits it on every fold.
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        seed: u64,
    ) -> FitResult<FittedModel> {
        self.configure(params)?.fit(x, y, seed)
    }
}

/// One checked setting of an algorithm.
pub trait Learner: Send + Sync {
    /// Fits on `x` (rows x features) and `y`. `seed` drives any randomness.
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, seed: u64) -> FitResult<FittedModel>;
    /// A rough estimate of one fit's cost on `rows` x `cols` (arbitrary units, comparable
    /// between algorithms): the sweep starts the longest candidates first.
    fn cost(&self, rows: usize, cols: usize) -> f64 {
        (rows * cols) as f64
    }
    /// The number of stages of a staged setting (see [`Algorithm::staged_param`]): a fit with
    /// more holds the model of every setting of its group with fewer.
    fn stages(&self) -> Option<usize> {
        None
    }
}

/// Every algorithm, in listing order.
pub fn registry() -> Vec<Box<dyn Algorithm>> {
    vec![
        Box::new(baseline::Mean),
        Box::new(linear::Ols),
        Box::new(linear::Ridge),
        Box::new(linear::Lasso),
        Box::new(linear::ElasticNet),
        Box::new(trees::DecisionTree),
        Box::new(trees::Forest { extra: false }),
        Box::new(trees::Forest { extra: true }),
        Box::new(nearest::Knn),
        Box::new(trees::GradientBoosting::REGRESSION),
        Box::new(svm::Svr),
        Box::new(baseline::Majority),
        Box::new(logistic::LogisticRegression),
        one_vs_rest::boxed(trees::DecisionTree),
        one_vs_rest::boxed(trees::Forest { extra: false }),
        one_vs_rest::boxed(trees::Forest { extra: true }),
        one_vs_rest::boxed(nearest::Knn),
        Box::new(bayes::GaussianNaiveBayes),
        one_vs_rest::boxed(trees::GradientBoosting::CLASSIFICATION),
        one_vs_rest::boxed(svm::Svc),
    ]
}

/// The algorithms for `task`, in listing order.
pub fn for_task(task: Task) -> Vec<Box<dyn Algorithm>> {
    registry()
        .into_iter()
        .filter(|a| a.task() == task)
        .collect()
}

/// Whether the algorithm `id` is a baseline (of either task).
pub fn is_baseline(id: &str) -> bool {
    registry().iter().any(|a| a.id() == id && a.is_baseline())
}

/// The skip reason of an algorithm limited to `limit` training rows, when `rows` exceed it.
fn row_limit(rows: usize, limit: usize, why: &str) -> Option<String> {
    (rows > limit).then(|| format!("{why}: {rows} training rows exceed its limit of {limit}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};

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
    fn every_default_setting_is_valid() {
        for algorithm in registry() {
            for params in algorithm.grid() {
                if let Err(e) = algorithm.configure(&params) {
                    panic!("{} {}: {e}", algorithm.id(), format_params(&params));
                }
            }
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
