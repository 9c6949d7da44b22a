//! Prediction: fitted trees with real-valued thresholds, and the ensembles that combine them
//! (plain data, saved and loaded as it is).

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::algorithms::{FitError, FitResult, ImportanceKind};

/// A fitted tree; node 0 is the root. A split sends `x[feature] <= value` to child `left`, the
/// rest to `left + 1`; a leaf (`feature == LEAF`) predicts `value`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tree {
    pub(super) feature: Vec<u32>,
    pub(super) value: Vec<f64>,
    pub(super) left: Vec<u32>,
}

const LEAF: u32 = u32::MAX;

impl Tree {
    pub(super) fn push_leaf(&mut self) -> u32 {
        self.feature.push(LEAF);
        self.value.push(0.0);
        self.left.push(0);
        (self.feature.len() - 1) as u32
    }

    /// The prediction of one row of values.
    pub(super) fn predict_values(&self, row: ndarray::ArrayView1<f64>) -> f64 {
        match row.as_slice() {
            Some(values) => self.predict_row(values),
            None => self.predict_row(&row.to_vec()),
        }
    }

    fn predict_row(&self, row: &[f64]) -> f64 {
        let mut node = 0;
        loop {
            let feature = self.feature[node];
            if feature == LEAF {
                return self.value[node];
            }
            // Missing (NaN) goes right, as its bin is the last.
            let left = row[feature as usize] <= self.value[node];
            node = self.left[node] as usize + usize::from(!left);
        }
    }
}

/// How an ensemble turns its trees' outputs into a prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Combine {
    /// The mean of the trees (forests, a single tree).
    Mean,
    /// `base` plus the sum of the trees (boosting, squared loss).
    Sum,
    /// The logistic function of `base` plus the sum: the probability of class 1 (log loss).
    Logistic,
}

/// A fitted tree ensemble: plain data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ensemble {
    pub(super) combine: Combine,
    pub(super) base: f64,
    pub(super) trees: Vec<Tree>,
    /// Total split gain per feature, normalised to sum 1.
    pub(super) importance: Vec<f64>,
}

impl Ensemble {
    pub fn predict(&self, x: ArrayView2<f64>) -> FitResult<Vec<f64>> {
        let x = x.as_standard_layout();
        let cols = x.ncols();
        let data = x
            .as_slice()
            .ok_or_else(|| FitError::Shape("rows are not contiguous".into()))?;
        let one = |row: &[f64]| {
            let sum: f64 = self.trees.iter().map(|t| t.predict_row(row)).sum();
            match self.combine {
                Combine::Mean => sum / self.trees.len().max(1) as f64,
                Combine::Sum => self.base + sum,
                Combine::Logistic => 1.0 / (1.0 + (-(self.base + sum)).exp()),
            }
        };
        if cols == 0 {
            return Ok(vec![one(&[]); x.nrows()]);
        }
        // Rows in parallel; each row's sum keeps the trees' order.
        Ok(data.par_chunks(cols).map(one).collect())
    }

    /// Boosting after its first `stages` trees; the gains are the full model's.
    pub fn truncated(&self, stages: usize) -> FitResult<Ensemble> {
        if self.combine == Combine::Mean || stages > self.trees.len() {
            return Err(FitError::Unsupported(format!(
                "cannot take {stages} stages of a model of {} trees",
                self.trees.len()
            )));
        }
        Ok(Ensemble {
            combine: self.combine,
            base: self.base,
            trees: self.trees[..stages].to_vec(),
            importance: self.importance.clone(),
        })
    }

    /// Split gains per feature, normalised to sum 1 (all 0 for a tree without splits): the
    /// impurity decrease of a tree or forest, the loss reduction of boosting.
    pub fn importance(&self) -> (ImportanceKind, Vec<f64>) {
        let kind = match self.combine {
            Combine::Mean => ImportanceKind::Impurity,
            Combine::Sum | Combine::Logistic => ImportanceKind::Gain,
        };
        (kind, self.importance.clone())
    }
}

/// `gains` scaled to sum 1 (left as they are when they sum to 0).
pub(super) fn normalised(mut gains: Vec<f64>) -> Vec<f64> {
    let total: f64 = gains.iter().sum();
    if total > 0.0 {
        gains.iter_mut().for_each(|g| *g /= total);
    }
    gains
}
