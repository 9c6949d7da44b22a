//! A compare split over shards (a Slurm job array, a Kubernetes Indexed Job): each shard runs
//! its deal of the grid's (candidate x fold) tasks and records them ([`crate::shard`]); the
//! merge puts every task's result back in its place and concludes exactly as one machine would
//! (search-free: the shards split the grid), so the merged leaderboard is the one-machine one.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use serde_json::json;

use super::{Compare, Comparison};
use crate::algorithms::format_params;
use crate::error::{Error, Result};
use crate::io::{load, sha256_hex};
use crate::shard::{task_id, ShardFile, TaskRecord, TaskResult, SHARD_FORMAT};
use crate::sweep::{self, Candidate, FoldResult, Progress, Share};

impl Compare {
    /// The settings that decide a compare's results, as shard files record them: shards and
    /// merge must agree on every one.
    pub fn recipe(&self) -> serde_json::Value {
        json!({
            "target": self.target,
            "folds": self.folds,
            "shuffle": self.shuffle,
            "seed": self.seed,
            "task": self.task,
            "sort": self.sort,
            "include": self.include,
            "exclude": self.exclude,
            "ignore": self.ignore,
            "separator": char::from(self.csv.separator).to_string(),
            "decimal_comma": self.csv.decimal_comma,
            "encoding": self.encoding,
            "max_fit_seconds": self.max_fit_seconds,
            "ensembles": self.ensembles,
        })
    }

    /// Runs shard `share` of the grid on the CSV at `path`; `command` is the command line to
    /// record (for rerunning a missing shard). Every shard deals the tasks alike, and a task's
    /// seed comes from the fold, never from the shard.
    pub fn run_shard(&self, path: &Path, share: Share, command: &str) -> Result<ShardFile> {
        let started = Instant::now();
        self.validate()?;
        if self.trials.is_some() || self.budget.is_some() || self.start_from.is_some() {
            return Err(Error::InvalidSetting(format!(
                "{} splits the default grid; a search ({} or {}) runs on one machine: merge the \
                 shards, then widen the best algorithm with `automl tune` on the merged run",
                crate::error::Setting::Shard,
                crate::error::Setting::Trials,
                crate::error::Setting::Budget
            )));
        }
        let (bytes, sha) = read(path)?;
        let frame = load::read_csv_bytes(bytes, &self.csv, path)?;
        let prepared = self.prepare(&frame)?;
        let control = self.control()?;
        let progress = self.progress.clone();
        let report = move |p: Progress| {
            if let Some(f) = &progress {
                f(p)
            }
        };
        let (table, folds, grid) = (&prepared.table, &prepared.folds, &prepared.grid);
        let setup = (
            &self.encoding,
            self.seed,
            &control,
            &report as &(dyn Fn(Progress) + Sync),
        );
        let results = sweep::run_share(table, folds, grid, setup, share);
        if control.stopped() {
            return Err(Error::InvalidSetting(format!(
                "shard {}/{} was stopped before its tasks finished; nothing was written",
                share.index, share.count
            )));
        }
        let tasks = results
            .into_iter()
            .map(|(c, fold, result)| {
                let (algorithm, setting) = names(&grid[c]);
                TaskRecord {
                    id: task_id(&algorithm, &setting, fold, &sha),
                    algorithm,
                    setting,
                    fold,
                    result: TaskResult::from_result(result),
                }
            })
            .collect();
        let runnable = grid
            .iter()
            .filter(|c| sweep::skip_reason(table, folds, c).is_none());
        Ok(ShardFile {
            format: SHARD_FORMAT,
            automl_version: env!("CARGO_PKG_VERSION").to_string(),
            data: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
            data_sha256: sha,
            shard: share.index,
            shards: share.count,
            settings: self.recipe(),
            command: command.to_string(),
            tasks_total: runnable.count() * folds.len(),
            tasks,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Merges `shards` of a compare of the CSV at `path` (checked together by
    /// [`crate::shard::check`]) into the comparison one machine would have made.
    pub fn merge(&self, path: &Path, shards: &[ShardFile]) -> Result<Comparison> {
        let started = Instant::now();
        self.validate()?;
        let first = shards
            .first()
            .ok_or_else(|| Error::InvalidSetting("no shard files to merge".into()))?;
        if first.settings != self.recipe() {
            return Err(Error::InvalidSetting(
                "the merge's settings differ from the ones the shards ran with".into(),
            ));
        }
        let (bytes, sha) = read(path)?;
        if sha != first.data_sha256 {
            return Err(Error::InvalidSetting(format!(
                "{} is not the data the shards scored (its SHA-256 differs from theirs): give the \
                 file they read",
                path.display()
            )));
        }
        let frame = load::read_csv_bytes(bytes, &self.csv, path)?;
        let prepared = self.prepare(&frame)?;
        let mut by_id: HashMap<&str, &TaskResult> = HashMap::new();
        for task in shards.iter().flat_map(|s| &s.tasks) {
            by_id.insert(&task.id, &task.result);
        }
        let (table, folds) = (&prepared.table, &prepared.folds);
        let mut results: Vec<Vec<FoldResult>> = Vec::with_capacity(prepared.grid.len());
        for candidate in &prepared.grid {
            let (algorithm, setting) = names(candidate);
            let mut fold_results = Vec::with_capacity(folds.len());
            if sweep::skip_reason(table, folds, candidate).is_none() {
                for f in 0..folds.len() {
                    let id = task_id(&algorithm, &setting, f, &sha);
                    let result = by_id.get(id.as_str()).ok_or_else(|| {
                        Error::InvalidSetting(format!(
                            "no shard holds {algorithm} {setting} on fold {}: the shards are \
                             not of this compare; rerun them",
                            f + 1
                        ))
                    })?;
                    fold_results.push((*result).clone().into_result(f));
                }
            }
            results.push(fold_results);
        }
        let all: Vec<usize> = (0..folds.len()).collect();
        let outcomes = sweep::assemble(table, folds, &all, &prepared.grid, results);
        self.conclude(prepared, started, Some(outcomes))
    }
}

/// A data file's bytes and their SHA-256.
fn read(path: &Path) -> Result<(Vec<u8>, String)> {
    let bytes = load::read_data(path)?;
    let sha = sha256_hex(&bytes);
    Ok((bytes, sha))
}

/// A candidate's algorithm id and setting, as task ids name them.
fn names(c: &Candidate) -> (String, String) {
    (c.algorithm.id().to_string(), format_params(&c.params))
}
