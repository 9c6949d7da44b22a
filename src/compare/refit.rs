//! Refitting the best entries on every row, in parallel: a single candidate as it was scored,
//! an ensemble as its members refitted (each as it was scored) with their weights. A member
//! whose refit fails is dropped from the exported ensemble, the others' weights scaled to keep
//! their sum, and the note says so.

use std::sync::Arc;

use rayon::prelude::*;

use super::Compare;
use crate::algorithms::{format_params, Algorithm, FitError};
use crate::error::chain;
use crate::leaderboard::{Entry, Status};
use crate::model::Model;
use crate::preprocess::Pipeline;
use crate::table::Table;

/// The best `export_top` scored entries refitted on every row, best first, and a message for
/// each entry (or ensemble member) that could not be.
pub(super) fn refit(
    compare: &Compare,
    table: &Table,
    target: &str,
    entries: &[Entry],
    algorithms: &[Arc<dyn Algorithm>],
) -> (Vec<Model>, Vec<String>) {
    let chosen: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.status == Status::Ok)
        .take(compare.export_top)
        .collect();
    let results: Vec<(Result<Model, String>, Vec<String>)> = chosen
        .into_par_iter()
        .map(|entry| {
            let mut notes = Vec::new();
            let model = match &entry.blend {
                None => single(compare, table, target, entry, algorithms, false),
                Some(_) => blend(
                    compare, table, target, entry, entries, algorithms, &mut notes,
                ),
            };
            (model, notes)
        })
        .collect();
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

/// One candidate refitted on every row; an ensemble's `member` is not rated on its own.
fn single(
    compare: &Compare,
    table: &Table,
    target: &str,
    entry: &Entry,
    algorithms: &[Arc<dyn Algorithm>],
    member: bool,
) -> Result<Model, String> {
    let algorithm = algorithms
        .iter()
        .find(|a| a.id() == entry.model)
        .ok_or_else(|| format!("unknown algorithm {}", entry.model))?;
    let settings = (&compare.encoding, compare.seed, !member);
    Model::train(table, target, entry, algorithm.as_ref(), settings).map_err(|e| {
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
    entries: &[Entry],
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
            let model = scored.and_then(|e| single(compare, table, target, e, algorithms, true));
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
