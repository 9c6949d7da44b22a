//! Our own backend: histogram trees. A fit bins each feature once into at most 256 levels
//! (cut at quantiles of the training rows) and grows trees on the one-byte bin codes; the trees
//! keep real-valued thresholds, so a fitted model predicts raw feature rows and saving it writes
//! plain numbers. One learner grows the decision tree, the random forest and extra trees (the
//! trees of a forest in parallel, each from its own seed, so the result does not depend on the
//! thread count) and gradient boosting (squared or log loss, Newton leaves with an L2 penalty).
//!
//! A node's split search sums gradients per bin of every candidate feature in one pass over the
//! node's rows (a row's codes are adjacent in memory; the one-hot levels of a category share one
//! code, LightGBM's exclusive feature bundling); nodes with fewer rows than bins read only the
//! bins their rows have instead of clearing whole histograms.
//!
//! Gradients and hessians are summed as fixed-point integers (`fixed`), so every sum is exact
//! whatever order it is added in: a large node's histogram, partition and sums are offered in
//! pieces of rows to threads of the pool that are idle, and a fit is the same to the bit however
//! many took part (a boosting fit, one tree after another, splits only this way).
//!
//! The parts, split as scikit-learn splits `_hist_gradient_boosting`: `binning` (bin codes),
//! `fixed` (fixed-point values, and the pieces threads share), `histogram` (per-bin sums),
//! `scan` (a split's score, a feature's best threshold), `split` (a node's best split), `grow`
//! (one tree), `predict` (fitted trees and ensembles), `forest` and `boosting` (the fitting
//! loops); this file holds the three algorithms.

mod binning;
mod boosting;
mod bundle;
mod fixed;
mod forest;
mod grow;
mod histogram;
mod partition;
mod predict;
mod scan;
mod split;

use ndarray::{ArrayView1, ArrayView2};

use super::params::{float_where, floats, grid, int, ints, optional_int, texts, Param, Range};
use super::{row_limit, Algorithm, FitResult, FittedModel, Learner, ParamError, Params};
use boosting::fit_boosting;
use forest::fit_forest;
use grow::Growth;
pub use predict::Ensemble;

/// Trees in each forest.
const FOREST_TREES: i64 = 100;
/// Trees of a forest's look in the race (see [`Algorithm::look`]): ten show a forest far
/// behind as well as 25 did on every table measured (the same settings went on), for 0.4 of the
/// cost. A forest's error falls with its trees, so a look is a pessimistic one.
const FOREST_LOOK_TREES: i64 = 10;
/// Forests of fully grown trees cost (and hold) about a leaf per training row per tree: above
/// this many training rows they are skipped (gradient boosting's depth-limited trees are not).
pub const FOREST_MAX_ROWS: usize = 50_000;
/// Boosting's L2 penalty on leaf values and least hessian per leaf (xgboost's defaults).
const BOOST_LAMBDA: f64 = 1.0;
const BOOST_MIN_HESSIAN: f64 = 1.0;
const BACKEND: &str = "automl";

fn boxed(ensemble: Ensemble) -> FittedModel {
    FittedModel::Trees(Box::new(ensemble))
}

/// Features tried per split: a fraction of the columns, at least one.
fn features_per_split(fraction: f64, cols: usize) -> usize {
    ((fraction * cols as f64).round() as usize).clamp(1, cols.max(1))
}

/// Reads optional `key` as a share in (0, 1], `default` when absent.
fn share_or(params: &Params, key: &str, default: f64) -> Result<f64, ParamError> {
    match params.get(key) {
        None => Ok(default),
        Some(_) => float_where(params, key, "a share in (0, 1]", |f| f > 0.0 && f <= 1.0),
    }
}

/// Reads optional `key` as a non-negative number, `default` when absent.
fn non_negative_or(params: &Params, key: &str, default: f64) -> Result<f64, ParamError> {
    match params.get(key) {
        None => Ok(default),
        Some(_) => float_where(params, key, "non-negative", |f| f >= 0.0),
    }
}

fn min_samples_leaf(params: &Params) -> Result<u32, ParamError> {
    Ok(int(params, "min_samples_leaf")?.clamp(1, u32::MAX as usize) as u32)
}

/// A single regression tree on all rows and features, best splits.
pub struct DecisionTree;

/// Random forest (bootstrap samples, best splits) or extra trees (no bootstrap, random splits).
pub struct Forest {
    pub extra: bool,
}

/// Gradient boosting with squared loss (regression) or log loss (a two-class probability model,
/// used one-vs-rest).
pub struct GradientBoosting {
    log_loss: bool,
}

impl GradientBoosting {
    pub const REGRESSION: GradientBoosting = GradientBoosting { log_loss: false };
    pub const CLASSIFICATION: GradientBoosting = GradientBoosting { log_loss: true };
}

/// A decision tree's checked setting.
struct TreeFit {
    max_depth: usize,
    min_samples_leaf: u32,
}

/// A forest's checked setting.
struct ForestFit {
    extra: bool,
    trees: usize,
    /// Share of the features tried per split.
    max_features: f64,
    min_samples_leaf: u32,
    max_depth: usize,
}

/// Gradient boosting's checked setting. The search's extra hyperparameters are optional, with
/// defaults that are the grid's behaviour: all rows and features, xgboost's L2 penalty and
/// least hessian per leaf.
struct BoostingFit {
    log_loss: bool,
    iterations: usize,
    learning_rate: f64,
    max_depth: usize,
    /// Share of the rows each tree grows on.
    subsample: f64,
    /// Share of the features tried per split.
    colsample: f64,
    l2: f64,
    min_child_weight: f64,
    min_samples_leaf: u32,
}

impl Algorithm for DecisionTree {
    fn id(&self) -> &'static str {
        "dt"
    }
    fn name(&self) -> &'static str {
        "Decision tree"
    }
    fn backend(&self) -> &'static str {
        BACKEND
    }
    fn grid(&self) -> Vec<Params> {
        let mut depths = ints(&[4, 8]);
        depths.extend(texts(&["none"]));
        grid(&[("max_depth", depths), ("min_samples_leaf", ints(&[1, 5]))])
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(TreeFit {
            max_depth: optional_int(params, "max_depth")?.unwrap_or(usize::MAX),
            min_samples_leaf: min_samples_leaf(params)?,
        }))
    }
    fn space(&self) -> Vec<(&'static str, Range)> {
        vec![
            ("max_depth", Range::Int(2, 20)),
            ("min_samples_leaf", Range::LogInt(1, 50)),
        ]
    }
}

impl Learner for TreeFit {
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, seed: u64) -> FitResult<FittedModel> {
        let growth = Growth {
            max_depth: self.max_depth,
            min_samples_leaf: self.min_samples_leaf,
            max_features: x.ncols(),
            random_splits: false,
            lambda: 0.0,
            min_hessian: 0.0,
            shrink: 1.0,
        };
        fit_forest(x, y, 1, false, &growth, seed).map(boxed)
    }
    fn cost(&self, rows: usize, cols: usize) -> f64 {
        (rows * cols) as f64 * (rows.max(2) as f64).log2()
    }
}

impl Algorithm for Forest {
    fn id(&self) -> &'static str {
        if self.extra {
            "et"
        } else {
            "rf"
        }
    }
    fn name(&self) -> &'static str {
        if self.extra {
            "Extra trees"
        } else {
            "Random forest"
        }
    }
    fn backend(&self) -> &'static str {
        BACKEND
    }
    /// Random forests try a third of the features per split besides all of them (scikit-learn's
    /// regression default); extra trees' random thresholds do well with half.
    fn grid(&self) -> Vec<Params> {
        let fewer = if self.extra { 0.5 } else { 0.33 };
        grid(&[
            ("n_trees", ints(&[FOREST_TREES])),
            ("max_features", floats(&[1.0, fewer])),
            ("min_samples_leaf", ints(&[1, 5])),
        ])
    }
    fn look(&self, params: &Params) -> Option<Params> {
        let trees = int(params, "n_trees").ok()?;
        (trees > FOREST_LOOK_TREES as usize).then(|| {
            let mut look = params.clone();
            look.insert("n_trees".into(), Param::Int(FOREST_LOOK_TREES));
            look
        })
    }
    fn skip_reason(&self, rows: usize, _cols: usize) -> Option<String> {
        row_limit(
            rows,
            FOREST_MAX_ROWS,
            "fully grown trees: a leaf per row per tree",
        )
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(ForestFit {
            extra: self.extra,
            trees: int(params, "n_trees")?.max(1),
            max_features: float_where(params, "max_features", "a share of the features", |f| {
                f > 0.0 && f <= 1.0
            })?,
            min_samples_leaf: min_samples_leaf(params)?,
            max_depth: match params.get("max_depth") {
                None => usize::MAX,
                Some(_) => optional_int(params, "max_depth")?.unwrap_or(usize::MAX),
            },
        }))
    }
    fn space(&self) -> Vec<(&'static str, Range)> {
        vec![
            ("n_trees", Range::Choice(ints(&[FOREST_TREES]))),
            ("max_features", Range::Float(0.1, 1.0)),
            ("min_samples_leaf", Range::LogInt(1, 20)),
            ("max_depth", Range::Int(4, 30)),
        ]
    }
}

impl Learner for ForestFit {
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, seed: u64) -> FitResult<FittedModel> {
        let growth = Growth {
            max_depth: self.max_depth,
            min_samples_leaf: self.min_samples_leaf,
            max_features: features_per_split(self.max_features, x.ncols()),
            random_splits: self.extra,
            lambda: 0.0,
            min_hessian: 0.0,
            shrink: 1.0,
        };
        fit_forest(x, y, self.trees, !self.extra, &growth, seed).map(boxed)
    }
    /// Fitted to the fold tasks' durations of nine tables (the bundled six, 50 x 3,000, a
    /// synthetic 20,000 rows, birthdays): a split's cost grows slower than the features it tries
    /// (fixed costs per node), larger leaves mean fewer nodes, and a random split is cheaper
    /// than a searched one.
    fn cost(&self, rows: usize, cols: usize) -> f64 {
        let tried = features_per_split(self.max_features, cols) as f64;
        let split = if self.extra { 0.7 } else { 1.0 };
        self.trees as f64 * rows as f64 * (rows.max(2) as f64).log2() * tried.powf(0.85) * split
            / f64::from(self.min_samples_leaf).sqrt()
    }
}

impl Algorithm for GradientBoosting {
    fn id(&self) -> &'static str {
        "gbm"
    }
    fn name(&self) -> &'static str {
        "Gradient boosting"
    }
    fn backend(&self) -> &'static str {
        BACKEND
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[
            ("iterations", ints(&[100, 300])),
            ("learning_rate", floats(&[0.1])),
            ("max_depth", ints(&[3, 6])),
        ])
    }
    fn staged_param(&self) -> Option<&'static str> {
        Some("iterations")
    }
    fn space(&self) -> Vec<(&'static str, Range)> {
        vec![
            ("iterations", Range::LogInt(50, 1000)),
            ("learning_rate", Range::LogFloat(0.01, 0.3)),
            ("max_depth", Range::Int(2, 10)),
            ("min_child_weight", Range::LogFloat(0.1, 30.0)),
            ("min_samples_leaf", Range::LogInt(1, 40)),
            ("subsample", Range::Float(0.5, 1.0)),
            ("colsample", Range::Float(0.3, 1.0)),
            ("l2", Range::LogFloat(0.01, 30.0)),
        ]
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(BoostingFit {
            log_loss: self.log_loss,
            iterations: int(params, "iterations")?,
            learning_rate: float_where(params, "learning_rate", "positive", |r| r > 0.0)?,
            max_depth: int(params, "max_depth")?,
            subsample: share_or(params, "subsample", 1.0)?,
            colsample: share_or(params, "colsample", 1.0)?,
            l2: non_negative_or(params, "l2", BOOST_LAMBDA)?,
            min_child_weight: non_negative_or(params, "min_child_weight", BOOST_MIN_HESSIAN)?,
            min_samples_leaf: match params.get("min_samples_leaf") {
                None => 1,
                Some(_) => min_samples_leaf(params)?,
            },
        }))
    }
}

impl Learner for BoostingFit {
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, seed: u64) -> FitResult<FittedModel> {
        let growth = Growth {
            max_depth: self.max_depth,
            min_samples_leaf: self.min_samples_leaf,
            max_features: features_per_split(self.colsample, x.ncols()),
            random_splits: false,
            lambda: self.l2,
            min_hessian: self.min_child_weight,
            shrink: self.learning_rate,
        };
        let (iterations, log_loss) = (self.iterations, self.log_loss);
        fit_boosting(x, y, iterations, &growth, log_loss, self.subsample, seed).map(boxed)
    }
    /// In the forests' units (fitted to the same durations): a depth-limited tree over all
    /// the rows costs far less than a fully grown one, more than linearly in its depth.
    fn cost(&self, rows: usize, cols: usize) -> f64 {
        let (rows, tried) = (
            rows as f64 * self.subsample,
            features_per_split(self.colsample, cols) as f64,
        );
        0.085 * self.iterations as f64 * rows * tried * (self.max_depth as f64).powf(1.28)
    }
    fn stages(&self) -> Option<usize> {
        Some(self.iterations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn step_data() -> (Array2<f64>, Vec<f64>) {
        let x = Array2::from_shape_fn((200, 3), |(i, j)| ((i * (j + 3)) % 23) as f64);
        let y = x
            .rows()
            .into_iter()
            .map(|r| if r[0] > 10.0 { 5.0 } else { -1.0 } + 0.1 * r[1])
            .collect();
        (x, y)
    }

    #[test]
    fn a_deep_tree_fits_its_training_rows() {
        let (x, y) = step_data();
        let params: Params = [
            (
                "max_depth".to_string(),
                super::super::Param::Text("none".into()),
            ),
            ("min_samples_leaf".to_string(), super::super::Param::Int(1)),
        ]
        .into();
        let model = DecisionTree
            .fit(&params, x.view(), ArrayView1::from(&y), 1)
            .unwrap();
        let pred = model.predict(x.view()).unwrap();
        // Rows with equal features share a leaf: the tree predicts their mean target.
        let worst = pred
            .iter()
            .zip(&y)
            .map(|(p, t)| (p - t).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-9, "{worst}");
    }

    #[test]
    fn cost_estimates_order_the_settings_as_measured() {
        // wage's fold tasks (2,400 rows, 28 encoded columns; seconds per fold at dabead1):
        // rf 1/1 0.170, et 1/1 0.145, rf 0.33/1 0.082, et 1/5 0.069, rf 1/5 0.063, gbm 300/6
        // 0.047. The old estimates put the booster first and ignored the leaves' size.
        let cost = |algorithm: &dyn Algorithm, params: &[(&str, Param)]| {
            let mut setting = Params::new();
            for (key, value) in params {
                setting.insert((*key).into(), value.clone());
            }
            algorithm.configure(&setting).unwrap().cost(2_400, 28)
        };
        let forest = |extra: bool, share: f64, leaf: i64| {
            let params = [
                ("n_trees", Param::Int(100)),
                ("max_features", Param::Float(share)),
                ("min_samples_leaf", Param::Int(leaf)),
            ];
            cost(&Forest { extra }, &params)
        };
        let boosting = cost(
            &GradientBoosting::REGRESSION,
            &[
                ("iterations", Param::Int(300)),
                ("learning_rate", Param::Float(0.1)),
                ("max_depth", Param::Int(6)),
            ],
        );
        // Fully grown trees cost more than trees with larger leaves, searched splits more than
        // random ones, and the three dearest forests more than the booster.
        for (extra, share) in [(false, 1.0), (false, 0.33), (true, 1.0), (true, 0.5)] {
            assert!(forest(extra, share, 1) > forest(extra, share, 5));
        }
        assert!(forest(false, 1.0, 1) > forest(true, 1.0, 1));
        for dearer in [
            forest(false, 1.0, 1),
            forest(true, 1.0, 1),
            forest(false, 0.33, 1),
        ] {
            assert!(dearer > boosting, "{dearer} against {boosting}");
        }
    }

    #[test]
    fn forests_and_boosting_are_reproducible_and_accurate() {
        let (x, y) = step_data();
        let y = ArrayView1::from(&y);
        let mean = y.sum() / y.len() as f64;
        let spread = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
        for algorithm in [
            Box::new(Forest { extra: false }) as Box<dyn Algorithm>,
            Box::new(Forest { extra: true }),
            Box::new(GradientBoosting::REGRESSION),
        ] {
            for params in algorithm.grid() {
                let a = algorithm.fit(&params, x.view(), y, 3).unwrap();
                let b = algorithm.fit(&params, x.view(), y, 3).unwrap();
                let (pa, pb) = (a.predict(x.view()).unwrap(), b.predict(x.view()).unwrap());
                assert_eq!(pa, pb, "{}", algorithm.id());
                let sse: f64 = pa.iter().zip(y).map(|(p, t)| (p - t).powi(2)).sum();
                assert!(
                    sse < 0.1 * spread,
                    "{} {params:?}: {sse} of {spread}",
                    algorithm.id()
                );
            }
        }
    }

    #[test]
    fn boosting_truncated_is_boosting_fitted_with_fewer_iterations() {
        let (x, y) = step_data();
        let y = ArrayView1::from(&y);
        for algorithm in [
            GradientBoosting::REGRESSION,
            GradientBoosting::CLASSIFICATION,
        ] {
            let y = if algorithm.log_loss {
                y.mapv(|v| f64::from(v > 2.0))
            } else {
                y.to_owned()
            };
            let setting = |iterations| {
                grid(&[
                    ("iterations", ints(&[iterations])),
                    ("learning_rate", floats(&[0.1])),
                    ("max_depth", ints(&[3])),
                ])
                .remove(0)
            };
            let long = algorithm.fit(&setting(30), x.view(), y.view(), 5).unwrap();
            let short = algorithm.fit(&setting(10), x.view(), y.view(), 5).unwrap();
            assert_eq!(
                long.truncated(10).unwrap().predict(x.view()).unwrap(),
                short.predict(x.view()).unwrap()
            );
            assert!(long.truncated(31).is_err());
        }
    }

    #[test]
    fn trees_grown_on_several_threads_are_the_same_model() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (rows, cols) = (30_000, 12);
        let x = ndarray::Array2::from_shape_fn((rows, cols), |(_, c)| match c % 3 {
            0 => f64::from(rng.gen_range(0..2u8)),
            _ => rng.gen::<f64>(),
        });
        let y: Vec<f64> = (0..rows)
            .map(|r| x[[r, 1]] * 3.0 + x[[r, 0]] - x[[r, 2]] * x[[r, 4]])
            .collect();
        // All rows and a subsample (rows left out go down the tree), squared and log loss.
        let settings = grid(&[
            ("iterations", ints(&[5])),
            ("learning_rate", floats(&[0.1])),
            ("max_depth", ints(&[6])),
            ("subsample", floats(&[1.0, 0.7])),
        ]);
        let classes: Vec<f64> = y.iter().map(|&v| f64::from(v > 1.5)).collect();
        for params in &settings {
            for (algorithm, y) in [
                (GradientBoosting::REGRESSION, &y),
                (GradientBoosting::CLASSIFICATION, &classes),
            ] {
                let on = |threads: usize| {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .unwrap();
                    pool.install(|| {
                        let model = algorithm
                            .fit(params, x.view(), ArrayView1::from(y), 1)
                            .unwrap();
                        // The trees themselves, numbered alike (subtrees grown apart on
                        // several threads), not only their predictions.
                        let trees = serde_json::to_string(&model).unwrap();
                        (model.predict(x.view()).unwrap(), trees)
                    })
                };
                let one = on(1);
                assert_eq!(one, on(3), "{params:?}");
                assert_eq!(one, on(4), "{params:?}");
            }
        }
        // A decision tree grown to its leaves has parts grown apart too.
        for params in &DecisionTree.grid() {
            let on = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let model =
                    pool.install(|| DecisionTree.fit(params, x.view(), ArrayView1::from(&y), 1));
                serde_json::to_string(&model.unwrap()).unwrap()
            };
            assert_eq!(on(1), on(3), "{params:?}");
        }
    }

    #[test]
    fn log_loss_boosting_predicts_probabilities() {
        let (x, y) = step_data();
        let y: Vec<f64> = y.iter().map(|&v| f64::from(v > 2.0)).collect();
        let params = &GradientBoosting::CLASSIFICATION.grid()[0];
        let model = GradientBoosting::CLASSIFICATION
            .fit(params, x.view(), ArrayView1::from(&y), 3)
            .unwrap();
        let p = model.predict(x.view()).unwrap();
        assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
        let right = p
            .iter()
            .zip(&y)
            .filter(|(p, t)| (**p > 0.5) == (**t > 0.5))
            .count();
        assert_eq!(right, 200);
    }
}
