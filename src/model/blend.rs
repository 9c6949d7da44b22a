//! An exported ensemble: one model file holding every member's fitted model (and its scaling)
//! with its weight. The members share the model's input reading and encoding; its prediction is
//! the intercept plus the weighted sum of the members' predictions (classification: of their
//! class probabilities).

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Model;
use crate::algorithms::{FitError, FitResult, FittedModel, Params};
use crate::importance::{self, Importance};
use crate::leaderboard::Entry;
use crate::preprocess::{Pipeline, Scaler};

/// One member of an exported ensemble.
#[derive(Serialize, Deserialize)]
pub struct MemberModel {
    /// Algorithm id, name and setting.
    pub algorithm: String,
    pub name: String,
    pub params: Params,
    pub weight: f64,
    /// The standardisation its algorithm needs, applied after the shared encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaler: Option<Scaler>,
    pub model: FittedModel,
}

/// A model's output on encoded rows: values, or class probabilities.
pub(super) enum Output {
    Values(Vec<f64>),
    Proba(Array2<f64>),
}

impl Model {
    /// The ensemble `entry` from its members refitted on every row, each with its weight; the
    /// importance is the members' permutation importance, weighted. `x` and `y` are the rows
    /// it was fitted on, encoded without scaling.
    pub(crate) fn blend(
        entry: &Entry,
        members: Vec<(f64, Model)>,
        x: ArrayView2<f64>,
        y: &[f64],
        seed: u64,
    ) -> FitResult<Model> {
        let blend = entry
            .blend
            .as_ref()
            .ok_or_else(|| FitError::Unsupported("the entry is not an ensemble".into()))?;
        let parts: Vec<(f64, Importance)> = members
            .par_iter()
            .map(|(weight, member)| {
                let importance = importance::permutation_importance(
                    &member.model,
                    &member.pipeline,
                    x,
                    y,
                    seed,
                )?;
                Ok((*weight, importance))
            })
            .collect::<FitResult<_>>()?;
        let intercept = blend.intercept;
        let mut members = members.into_iter().map(|(weight, m)| {
            let member = MemberModel {
                algorithm: m.algorithm.clone(),
                name: m.name.clone(),
                params: m.params.clone(),
                weight,
                scaler: m.pipeline.scaler.clone(),
                model: FittedModel::Constant(0.0),
            };
            (member, m)
        });
        let (first_member, first) = members.next().ok_or(FitError::NoRows)?;
        let mut kept = vec![MemberModel {
            model: first.model,
            ..first_member
        }];
        kept.extend(members.map(|(member, m)| MemberModel {
            model: m.model,
            ..member
        }));
        Ok(Model {
            algorithm: entry.model.clone(),
            name: entry.name.clone(),
            backend: entry.backend.clone(),
            params: entry.params.clone(),
            rank: entry.rank,
            cv: super::cv_scores(entry),
            pipeline: Pipeline {
                encoder: first.pipeline.encoder,
                scaler: None,
            },
            importance: Some(importance::weighted(&parts)),
            model: FittedModel::Constant(intercept),
            members: kept,
            ..first
        })
    }

    /// The output of the model on rows encoded by its pipeline.
    pub(super) fn output(&self, x: ArrayView2<f64>) -> FitResult<Output> {
        let classify = !self.classes.is_empty();
        if self.members.is_empty() {
            return Ok(match classify {
                true => Output::Proba(self.model.predict_proba(x)?),
                false => Output::Values(self.model.predict(x)?),
            });
        }
        let FittedModel::Constant(intercept) = self.model else {
            return Err(FitError::Shape(
                "an ensemble's model must be its intercept".into(),
            ));
        };
        let mut sum = Output::Values(vec![intercept; x.nrows()]);
        if classify {
            sum = Output::Proba(Array2::from_elem(
                (x.nrows(), self.classes.len()),
                intercept,
            ));
        }
        for member in &self.members {
            let x = scaled(&member.scaler, x);
            match &mut sum {
                Output::Values(total) => {
                    for (t, p) in total.iter_mut().zip(member.model.predict(x.view())?) {
                        *t += member.weight * p;
                    }
                }
                Output::Proba(total) => {
                    let proba = member.model.predict_proba(x.view())?;
                    if proba.dim() != total.dim() {
                        return Err(FitError::Shape(format!(
                            "member {} gave probabilities of {} classes for {}",
                            member.algorithm,
                            proba.ncols(),
                            total.ncols()
                        )));
                    }
                    total.scaled_add(member.weight, &proba);
                }
            }
        }
        Ok(sum)
    }
}

/// `x` standardised by `scaler`, or as it is.
fn scaled(scaler: &Option<Scaler>, x: ArrayView2<f64>) -> Array2<f64> {
    match scaler {
        Some(s) => s.transform(&x.to_owned()),
        None => x.to_owned(),
    }
}
