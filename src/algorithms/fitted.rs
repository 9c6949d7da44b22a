//! A fitted model of any algorithm, as plain data: saving it writes numbers, loading it runs no
//! code from the file.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{bayes, linear, logistic, nearest, one_vs_rest, svm, trees, FitError, FitResult};
use crate::metrics::most_probable;

/// A fitted model of any algorithm. It is plain data: saving it writes numbers, loading it
/// runs no code from the file.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "state", rename_all = "snake_case")]
pub enum FittedModel {
    /// The same prediction for every row.
    Constant(f64),
    Linear(linear::Linear),
    Svr(Box<svm::FittedSvr>),
    Knn(Box<nearest::FittedKnn>),
    /// Histogram trees: a decision tree, a forest or gradient boosting (which with the log loss
    /// predicts a probability).
    Trees(Box<trees::Ensemble>),
    /// Classification: the same class probabilities for every row (the training shares).
    Priors(Vec<f64>),
    /// Classification: one model per class predicting the probability of that class (a single
    /// model, of class 1, with two classes); rows are normalised to sum 1.
    OneVsRest(Vec<FittedModel>),
    Logistic(logistic::Logistic),
    NaiveBayes(bayes::NaiveBayes),
    /// A two-class SVM with Platt-scaled output: predicts the probability of class 1.
    Svc(Box<svm::FittedSvc>),
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
    pub fn predict(&self, x: ArrayView2<f64>) -> FitResult<Vec<f64>> {
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
    pub fn truncated(&self, stages: usize) -> FitResult<FittedModel> {
        match self {
            FittedModel::Trees(m) => Ok(FittedModel::Trees(Box::new(m.truncated(stages)?))),
            FittedModel::Knn(m) => Ok(FittedModel::Knn(Box::new(m.truncated(stages)?))),
            FittedModel::OneVsRest(models) => models
                .iter()
                .map(|m| m.truncated(stages))
                .collect::<FitResult<_>>()
                .map(FittedModel::OneVsRest),
            _ => Err(FitError::Unsupported("the model has no stages".into())),
        }
    }

    /// Predictions of the model (`None`) and of its truncations to some stages, one list per
    /// entry of `stages`: each equals `truncated(n)?.predict(x)`, but k-NN searches the
    /// neighbours once for all (each of its settings, weighted either way, a truncation).
    pub fn predict_staged(
        &self,
        x: ArrayView2<f64>,
        stages: &[Option<usize>],
    ) -> FitResult<Vec<Vec<f64>>> {
        match self {
            FittedModel::Knn(m) => {
                let stages: Vec<usize> = stages.iter().map(|s| s.unwrap_or(m.stage())).collect();
                m.predict_stages(x, &stages)
            }
            _ => stages
                .iter()
                .map(|s| match s {
                    None => self.predict(x),
                    Some(n) => self.truncated(*n)?.predict(x),
                })
                .collect(),
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
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> FitResult<Array2<f64>> {
        match self {
            FittedModel::Priors(p) => {
                Ok(Array2::from_shape_fn((x.nrows(), p.len()), |(_, c)| p[c]))
            }
            FittedModel::OneVsRest(models) => one_vs_rest::proba(models, x),
            FittedModel::Logistic(m) => Ok(m.predict_proba(x)),
            FittedModel::NaiveBayes(m) => m.predict_proba(x),
            _ => Err(FitError::Unsupported(
                "a regression model has no class probabilities".into(),
            )),
        }
    }
}
