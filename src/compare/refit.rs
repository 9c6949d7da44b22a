//! Refitting the best entries on every row, in parallel: a single candidate as it was scored,
//! an ensemble as its members refitted (each as it was scored) with their weights. A member
//! whose refit fails is dropped from the exported ensemble, the others' weights scaled to keep
//! their sum, and the note says so.

use std::sync::Arc;

use rayon::prelude::*;

use super::Compare;
use crate::algorithms::{format_params, format_setting, spare, Algorithm, FitError};
use crate::error::chain;
use crate::leaderboard::{Entry, Status};
use crate::metrics::argmax;
use crate::model::Model;
use crate::preprocess::Pipeline;
use crate::profile::reference::{ColumnReference, Reference, PREDICTION, SAMPLE};
use crate::table::Table;
use crate::task::Task;

/// The best `export_top` scored entries refitted on every row, best first, and a message for
/// each entry (or ensemble member) that could not be. Each fit is timed as a task of the
/// refit's `round` when the compare keeps timings.
pub(super) fn refit(
    compare: &Compare,
    table: &Table,
    target: &str,
    (entries, round): (&[Entry], Option<usize>),
    algorithms: &[Arc<dyn Algorithm>],
) -> (Vec<Model>, Vec<String>) {
    let chosen: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.status == Status::Ok)
        .take(compare.export_top)
        .collect();
    // On the global pool's threads, even a single fit: its own loops are then shared with the
    // pool's idle threads (from the calling thread, outside any pool, a fit offers none), which
    // look for parts as the sweep's idle threads do (a sleeping thread wakes too late for most).
    let results: Vec<(Result<Model, String>, Vec<String>)> = spare::with_helpers(|| {
        chosen
            .into_par_iter()
            .map(|entry| {
                let mut notes = Vec::new();
                let model = match &entry.blend {
                    None => single(compare, table, target, entry, algorithms, (false, round)),
                    Some(_) => blend(
                        compare,
                        table,
                        target,
                        entry,
                        (entries, round),
                        algorithms,
                        &mut notes,
                    ),
                };
                (model, notes)
            })
            .collect()
    });
    let mut models = Vec::new();
    let mut errors = Vec::new();
    for (result, notes) in results {
        errors.extend(notes);
        match result {
            Ok(m) => models.push(m),
            Err(e) => errors.push(e),
        }
    }
    (models, errors)
}

/// One candidate refitted on every row; an ensemble's `member` is not rated on its own. The
/// fit is timed as a task of the refit's `round` when the compare keeps timings.
fn single(
    compare: &Compare,
    table: &Table,
    target: &str,
    entry: &Entry,
    algorithms: &[Arc<dyn Algorithm>],
    (member, round): (bool, Option<usize>),
) -> Result<Model, String> {
    let start = compare.timings.as_ref().map(|t| t.now());
    let algorithm = algorithms
        .iter()
        .find(|a| a.id() == entry.model)
        .ok_or_else(|| format!("unknown algorithm {}", entry.model))?;
    let settings = (&compare.encoding, compare.seed, !member);
    let trained = Model::train(table, target, entry, algorithm.as_ref(), settings);
    if let (Some(t), Some(round), Some(start)) = (&compare.timings, round, start) {
        t.fit(round, format_setting(&entry.model, &entry.params), start);
    }
    trained.map_err(|e| {
        format!(
            "refitting #{} {} {} on all rows failed: {}",
            entry.rank,
            entry.model,
            format_params(&entry.params),
            chain(&e)
        )
    })
}

/// An ensemble: its members refitted on every row (in parallel), with their weights.
fn blend(
    compare: &Compare,
    table: &Table,
    target: &str,
    entry: &Entry,
    (entries, round): (&[Entry], Option<usize>),
    algorithms: &[Arc<dyn Algorithm>],
    notes: &mut Vec<String>,
) -> Result<Model, String> {
    let Some(blend) = &entry.blend else {
        return Err("not an ensemble".into());
    };
    let refitted: Vec<(f64, Result<Model, String>)> = blend
        .members
        .par_iter()
        .map(|member| {
            let scored = entries
                .iter()
                .find(|e| e.blend.is_none() && e.model == member.model && e.params == member.params)
                .ok_or_else(|| format!("member {} is not on the leaderboard", member.model));
            let model =
                scored.and_then(|e| single(compare, table, target, e, algorithms, (true, round)));
            (member.weight, model)
        })
        .collect();
    let total: f64 = blend.members.iter().map(|m| m.weight).sum();
    let mut members = Vec::new();
    for (weight, model) in refitted {
        match model {
            Ok(m) => members.push((weight, m)),
            Err(e) => notes.push(format!(
                "{} #{}: {e}; the member is dropped from the exported ensemble and the others' \
                 weights scaled to keep their sum",
                entry.model, entry.rank
            )),
        }
    }
    let kept: f64 = members.iter().map(|(w, _)| w).sum();
    if members.is_empty() || kept <= 0.0 {
        return Err(format!(
            "refitting #{} {}: no member could be refitted",
            entry.rank, entry.model
        ));
    }
    for (w, _) in &mut members {
        *w *= total / kept;
    }
    let failed = |e: FitError| format!("exporting #{} {}: {}", entry.rank, entry.model, chain(&e));
    let encoder = members[0].1.pipeline.encoder.clone();
    let rows: Vec<usize> = (0..table.rows()).collect();
    let shared = Pipeline {
        encoder,
        scaler: None,
    };
    let x = shared
        .transform(table, &rows)
        .map_err(|e| failed(FitError::Preprocessing(e.into())))?;
    Model::blend(entry, members, x.view(), &table.target, compare.seed).map_err(failed)
}

/// Gives each exported model its reference profile for `automl drift`: the training columns and
/// target, and the out-of-fold predictions of its setting (predicted labels for a classifier).
pub(super) fn attach_references(
    models: &mut [Model],
    table: &Table,
    target: &str,
    entries: &[Entry],
) {
    let columns: Vec<ColumnReference> = table
        .features
        .iter()
        .map(|f| ColumnReference::of(&f.name, &f.values, SAMPLE))
        .collect();
    let label = |class: f64| Some(table.classes[class as usize].as_str());
    let target_reference = match table.task() {
        Task::Regression => ColumnReference::numbers(target, &table.target, SAMPLE),
        Task::Classification => {
            ColumnReference::labels(target, table.target.iter().map(|&c| label(c)))
        }
    };
    for model in models {
        let out_of_fold = entries
            .iter()
            .find(|e| e.rank == model.rank && !e.out_of_fold.is_empty())
            .map(|e| e.out_of_fold.as_slice());
        let prediction = out_of_fold.map(|oof| {
            let width = oof.len() / table.rows().max(1);
            let values: Vec<f64> = oof
                .chunks(width.max(1))
                .map(|row| match table.task() {
                    Task::Regression => f64::from(row[0]),
                    Task::Classification => argmax(row.iter().map(|&p| f64::from(p))) as f64,
                })
                .collect();
            match table.task() {
                Task::Regression => ColumnReference::numbers(PREDICTION, &values, SAMPLE),
                Task::Classification => {
                    ColumnReference::labels(PREDICTION, values.iter().map(|&c| label(c)))
                }
            }
        });
        model.reference = Some(Reference {
            rows: table.rows(),
            columns: columns.clone(),
            target: target_reference.clone(),
            prediction,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::{FitResult, FittedModel, Learner, ParamError, Params};
    use crate::io::column::Values;
    use crate::leaderboard::{Blend, Member};
    use crate::table::Feature;
    use crate::task::Kind;
    use ndarray::{ArrayView1, ArrayView2};

    /// Predicts the mean, or (`"fails"`) refuses every fit.
    #[derive(Clone, Copy)]
    struct Fake(&'static str);

    impl Algorithm for Fake {
        fn id(&self) -> &'static str {
            self.0
        }
        fn name(&self) -> &'static str {
            self.0
        }
        fn backend(&self) -> &'static str {
            "test"
        }
        fn grid(&self) -> Vec<Params> {
            vec![Params::new()]
        }
        fn configure(&self, _: &Params) -> std::result::Result<Box<dyn Learner>, ParamError> {
            Ok(Box::new(*self))
        }
    }

    impl Learner for Fake {
        fn fit(&self, _: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
            match self.0 {
                "fails" => Err(FitError::backend("the solver", "no convergence")),
                _ => Ok(FittedModel::Constant(y.mean().unwrap_or(0.0))),
            }
        }
    }

    fn entry(model: &str, rank: usize, blend: Option<Blend>) -> Entry {
        Entry {
            rank,
            model: model.into(),
            name: model.into(),
            backend: "test".into(),
            params: Params::new(),
            status: Status::Ok,
            error: None,
            metrics: Vec::new(),
            fit_seconds: 0.0,
            folds: Vec::new(),
            out_of_fold: Vec::new(),
            blend,
        }
    }

    #[test]
    fn an_ensemble_member_whose_refit_fails_is_dropped_with_a_note() {
        let table = Table {
            features: vec![Feature {
                name: "x".into(),
                kind: Kind::Numeric,
                values: Values::Numeric((0..20).map(f64::from).collect()),
            }],
            target: (0..20).map(f64::from).collect(),
            classes: Vec::new(),
        };
        let member = |model: &str, weight| Member {
            model: model.into(),
            params: Params::new(),
            weight,
        };
        let blend = Blend {
            members: vec![
                member("mean", 0.5),
                member("fails", 0.3),
                member("other", 0.2),
            ],
            intercept: 0.0,
            in_sample: 0.0,
        };
        let entries = vec![
            entry("ensemble", 1, Some(blend)),
            entry("mean", 2, None),
            entry("fails", 3, None),
            entry("other", 4, None),
        ];
        let algorithms: Vec<Arc<dyn Algorithm>> = vec![
            Arc::new(Fake("mean")),
            Arc::new(Fake("fails")),
            Arc::new(Fake("other")),
        ];
        let compare = Compare::new("y");
        let (models, notes) = refit(&compare, &table, "y", (&entries, None), &algorithms);
        assert_eq!(models.len(), 1);
        let weights: Vec<(&str, f64)> = models[0]
            .members
            .iter()
            .map(|m| (m.algorithm.as_str(), m.weight))
            .collect();
        // The others' weights scaled to keep the sum (1): 0.5 and 0.2 become 5/7 and 2/7.
        assert_eq!(weights.len(), 2);
        assert!(
            (weights[0].1 - 5.0 / 7.0).abs() < 1e-12 && (weights[1].1 - 2.0 / 7.0).abs() < 1e-12
        );
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("dropped from the exported ensemble"),
            "{}",
            notes[0]
        );
        assert!(notes[0].contains("no convergence"), "{}", notes[0]);
    }
}
