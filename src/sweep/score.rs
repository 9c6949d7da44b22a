//! One group of candidates (see [`super::schedule::groups`]) on one fold: fit the group's
//! leader on the training rows, predict the validation rows with it and its truncations, and
//! score them with every metric of the task.

use std::time::Instant;

use ndarray::{Array2, ArrayView1, ArrayView2};

use super::fold_cache::Prepared;
use super::isolate::{self, FitPool};
use super::{Candidate, Control, FoldScore, TaskError};
use crate::algorithms::{FitError, FittedModel};
use crate::error::chain;
use crate::folds::Fold;
use crate::table::Table;
use crate::task::Task;

/// A group of candidates on one fold.
pub(super) struct FoldTask<'a> {
    pub members: Vec<&'a Candidate>,
    pub table: &'a Table,
    pub fold: &'a Fold,
    pub seed: u64,
    /// Index of the fold.
    pub index: usize,
}

impl FoldTask<'_> {
    /// Fits on the fold's training rows and scores the validation rows, one score per member,
    /// in isolation on a thread of the sweep's pool (`lane`: the pool and the worker, see
    /// [`isolate`]) so that the limits of `control` hold.
    pub fn run(
        &self,
        data: Prepared,
        control: &Control,
        lane: (&FitPool, usize),
    ) -> Result<Vec<FoldScore>, TaskError> {
        if let Err(e) = data.as_ref() {
            return Err(TaskError::Failed(e.clone()));
        }
        let y_train: Vec<f64> = self
            .fold
            .train
            .iter()
            .map(|&r| self.table.target[r])
            .collect();
        let y_valid: Vec<f64> = self
            .fold
            .valid
            .iter()
            .map(|&r| self.table.target[r])
            .collect();
        let leader = self.members[0];
        let (learner, seed) = (leader.learner.clone(), self.seed);
        // The stages of each member's model, for all but the leader.
        let stages: Vec<Option<usize>> = self
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| m.learner.stages().filter(|_| i > 0))
            .collect();
        let (task, classes) = (self.table.task(), self.table.classes.len());
        let started = Instant::now();
        let predicted = isolate::run(leader.algorithm.id(), control, lane, move || {
            let Ok(data) = data.as_ref() else {
                unreachable!("checked above")
            };
            let failed = |e: FitError| chain(&e);
            let model = learner
                .fit(data.train.view(), ArrayView1::from(&y_train), seed)
                .map_err(failed)?;
            let valid = data.valid.view();
            if task == Task::Regression {
                let values = model.predict_staged(valid, &stages).map_err(failed)?;
                return values
                    .into_iter()
                    .map(|v| Predicted::Values(v).checked(valid.nrows()))
                    .collect();
            }
            stages
                .iter()
                .map(|&stages| match stages {
                    None => Predicted::of(&model, task, classes, valid),
                    Some(n) => {
                        Predicted::of(&model.truncated(n).map_err(failed)?, task, classes, valid)
                    }
                })
                .collect::<Result<Vec<Predicted>, String>>()
        })?;
        let fit_seconds = started.elapsed().as_secs_f64();
        Ok(predicted
            .iter()
            .map(|predicted| FoldScore {
                fold: self.index,
                scores: predicted.scores(task, &y_valid),
                fit_seconds,
                predictions: predicted.as_f32(),
            })
            .collect())
    }
}

/// A model's predictions of a fold's validation rows.
pub(super) enum Predicted {
    Values(Vec<f64>),
    /// Rows x classes.
    Proba(Array2<f64>),
}

impl Predicted {
    /// Predicts `x` as the task needs: values, or probabilities of each of the `classes`.
    fn of(
        model: &FittedModel,
        task: Task,
        classes: usize,
        x: ArrayView2<f64>,
    ) -> Result<Predicted, String> {
        let predicted = match task {
            Task::Regression => Predicted::Values(model.predict(x).map_err(|e| chain(&e))?),
            Task::Classification => {
                let proba = model.predict_proba(x).map_err(|e| chain(&e))?;
                if proba.ncols() != classes {
                    return Err(format!(
                        "the model gave probabilities of {} classes, the target has {classes}",
                        proba.ncols(),
                    ));
                }
                Predicted::Proba(proba)
            }
        };
        predicted.checked(x.nrows())
    }

    /// The predictions, if there is one for each of `expected` rows and all are finite.
    fn checked(self, expected: usize) -> Result<Predicted, String> {
        let (rows, values) = match &self {
            Predicted::Values(v) => (v.len(), v.as_slice()),
            Predicted::Proba(p) => (p.nrows(), p.as_slice().unwrap_or(&[])),
        };
        if rows != expected {
            return Err(format!("predicted {rows} rows for {expected}"));
        }
        if let Some(bad) = values.iter().find(|p| !p.is_finite()) {
            return Err(format!("the model predicted a non-finite value ({bad})"));
        }
        Ok(self)
    }

    fn scores(&self, task: Task, truth: &[f64]) -> Vec<f64> {
        match self {
            Predicted::Values(pred) => task
                .metrics()
                .iter()
                .map(|m| m.score(truth, pred))
                .collect(),
            Predicted::Proba(proba) => {
                let classes: Vec<usize> = truth.iter().map(|&c| c as usize).collect();
                task.metrics()
                    .iter()
                    .map(|m| m.classify(&classes, proba.view()))
                    .collect()
            }
        }
    }

    /// The predictions as `f32`, row after row.
    fn as_f32(&self) -> Vec<f32> {
        match self {
            Predicted::Values(v) => v.iter().map(|&p| p as f32).collect(),
            Predicted::Proba(p) => p.iter().map(|&p| p as f32).collect(),
        }
    }
}
