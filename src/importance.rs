//! Feature importance of an exported model, on its training rows: what the model itself defines
//! (tree impurity, booster gain, standardised coefficients) or, for the others, permutation
//! importance per input column.

use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::algorithms::{FitResult, FittedModel, ImportanceKind};
use crate::metrics::Metric;
use crate::preprocess::Pipeline;

/// Rows used for permutation importance (a seeded sample of larger tables); an ensemble's
/// members, each shuffled in turn, use a quarter as many.
const PERMUTATION_ROWS: usize = 2_000;
pub const MEMBER_PERMUTATION_ROWS: usize = PERMUTATION_ROWS / 4;
/// Shuffles per column, averaged.
const PERMUTATION_REPEATS: usize = 3;

/// One feature's importance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImportance {
    pub feature: String,
    pub value: f64,
}

/// Importances of a model's features, largest magnitude first. Intrinsic kinds rate encoded
/// columns (`colour=red`, `date.year`); permutation rates input columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    pub kind: ImportanceKind,
    pub features: Vec<FeatureImportance>,
}

/// The importance of `model`, fitted on `x` (the pipeline's output on the training rows) and `y`.
pub fn importance(
    model: &FittedModel,
    pipeline: &Pipeline,
    x: ArrayView2<f64>,
    y: &[f64],
    seed: u64,
) -> FitResult<Option<Importance>> {
    let (kind, features) = match model.intrinsic_importance(x) {
        Some((kind, values)) => (
            kind,
            pipeline
                .encoder
                .outputs
                .iter()
                .cloned()
                .zip(values)
                .collect(),
        ),
        None if matches!(model, FittedModel::Constant(_) | FittedModel::Priors(_)) => {
            return Ok(None)
        }
        None => (
            ImportanceKind::Permutation,
            permutation(model, pipeline, x, y, seed, PERMUTATION_ROWS)?,
        ),
    };
    Ok(Some(sorted(kind, features)))
}

/// The permutation importance of `model` (fitted on `x` and `y`) per input column on a sample
/// of [`MEMBER_PERMUTATION_ROWS`], whatever importance the model defines itself.
pub fn permutation_importance(
    model: &FittedModel,
    pipeline: &Pipeline,
    x: ArrayView2<f64>,
    y: &[f64],
    seed: u64,
) -> FitResult<Importance> {
    let values = permutation(model, pipeline, x, y, seed, MEMBER_PERMUTATION_ROWS)?;
    Ok(sorted(ImportanceKind::Permutation, values))
}

/// The weighted sum of importances of one kind (an ensemble's members' permutation importance),
/// feature by feature.
pub fn weighted(parts: &[(f64, Importance)]) -> Importance {
    let mut sums: Vec<(String, f64)> = Vec::new();
    for (weight, importance) in parts {
        for f in &importance.features {
            match sums.iter_mut().find(|(name, _)| *name == f.feature) {
                Some((_, sum)) => *sum += weight * f.value,
                None => sums.push((f.feature.clone(), weight * f.value)),
            }
        }
    }
    let kind = parts
        .first()
        .map_or(ImportanceKind::Permutation, |p| p.1.kind);
    sorted(kind, sums)
}

/// Finite importances, largest magnitude first.
fn sorted(kind: ImportanceKind, features: Vec<(String, f64)>) -> Importance {
    let mut features: Vec<FeatureImportance> = features
        .into_iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(feature, value)| FeatureImportance { feature, value })
        .collect();
    features.sort_by(|a, b| b.value.abs().total_cmp(&a.value.abs()));
    Importance { kind, features }
}

/// The loss of `model` on `x`: log loss for a classifier (`y` class indices), RMSE otherwise.
fn loss(model: &FittedModel, x: ArrayView2<f64>, y: &[f64]) -> FitResult<f64> {
    if model.is_classifier() {
        let classes: Vec<usize> = y.iter().map(|&c| c as usize).collect();
        Ok(Metric::LogLoss.classify(&classes, model.predict_proba(x)?.view()))
    } else {
        Ok(Metric::Rmse.score(y, &model.predict(x)?))
    }
}

/// Mean loss increase (RMSE, or log loss for a classifier) when each input column's block of
/// encoded columns is shuffled across a seeded sample of rows.
fn permutation(
    model: &FittedModel,
    pipeline: &Pipeline,
    x: ArrayView2<f64>,
    y: &[f64],
    seed: u64,
    at_most: usize,
) -> FitResult<Vec<(String, f64)>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows: Vec<usize> = (0..x.nrows()).collect();
    if rows.len() > at_most {
        rows.shuffle(&mut rng);
        rows.truncate(at_most);
        rows.sort_unstable();
    }
    let sample: Array2<f64> = x.select(ndarray::Axis(0), &rows);
    let truth: Vec<f64> = rows.iter().map(|&r| y[r]).collect();
    let base = loss(model, sample.view(), &truth)?;
    let mut out = Vec::new();
    let mut offset = 0;
    for step in &pipeline.encoder.steps {
        let width = step.outputs().len();
        let mut increase = 0.0;
        for _ in 0..PERMUTATION_REPEATS {
            let mut order: Vec<usize> = (0..sample.nrows()).collect();
            order.shuffle(&mut rng);
            let mut shuffled = sample.clone();
            for (i, &from) in order.iter().enumerate() {
                for j in offset..offset + width {
                    shuffled[[i, j]] = sample[[from, j]];
                }
            }
            let shuffled_loss = loss(model, shuffled.view(), &truth)?;
            increase += (shuffled_loss - base) / PERMUTATION_REPEATS as f64;
        }
        out.push((step.column().to_string(), increase));
        offset += width;
    }
    Ok(out)
}
