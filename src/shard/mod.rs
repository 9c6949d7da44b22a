//! Shard files: one shard's share of a compare's (candidate x fold) tasks, with each task's
//! scores and out-of-fold predictions and everything a merge must agree on (automl version, data
//! SHA-256, the settings that decide results), and the checks a merge makes before it trusts
//! them: every shard of the same compare, each once, every task present exactly once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io::sha256_hex;
use crate::io::write::write_atomic;
use crate::sweep::{FoldResult, FoldScore, Share, TaskError};

/// Version of the shard file layout.
pub const SHARD_FORMAT: u32 = 1;

/// A shard's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: u32,
    pub automl_version: String,
    /// The data file as given, made absolute, and its SHA-256.
    pub data: PathBuf,
    pub data_sha256: String,
    pub shard: usize,
    pub shards: usize,
    /// The settings that decide results ([`crate::Compare::recipe`]).
    pub settings: serde_json::Value,
    /// The command line that ran the shard, for a merge to rerun what is missing.
    pub command: String,
    /// Tasks of the whole compare (every shard's), and this shard's.
    pub tasks_total: usize,
    pub tasks: Vec<TaskRecord>,
    /// Wall time of the shard, seconds.
    pub seconds: f64,
}

/// One candidate on one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Stable id: a digest of algorithm, setting, fold and data SHA-256.
    pub id: String,
    pub algorithm: String,
    /// The setting, as `format_params` writes it.
    pub setting: String,
    pub fold: usize,
    pub result: TaskResult,
}

/// A task's result as stored: scores as optional numbers (JSON has no NaN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskResult {
    Scored {
        scores: Vec<Option<f64>>,
        fit_seconds: f64,
        predictions: Vec<f32>,
    },
    Error(TaskError),
}

/// The stable id of a task.
pub fn task_id(algorithm: &str, setting: &str, fold: usize, data_sha256: &str) -> String {
    sha256_hex(format!("{algorithm}\n{setting}\n{fold}\n{data_sha256}").as_bytes())[..16]
        .to_string()
}

impl TaskResult {
    pub fn from_result(result: FoldResult) -> TaskResult {
        match result {
            Ok(s) => TaskResult::Scored {
                scores: s
                    .scores
                    .iter()
                    .map(|&v| v.is_finite().then_some(v))
                    .collect(),
                fit_seconds: s.fit_seconds,
                predictions: s.predictions,
            },
            Err(e) => TaskResult::Error(e),
        }
    }

    pub fn into_result(self, fold: usize) -> FoldResult {
        match self {
            TaskResult::Scored {
                scores,
                fit_seconds,
                predictions,
            } => Ok(FoldScore {
                fold,
                scores: scores.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
                fit_seconds,
                predictions,
            }),
            TaskResult::Error(e) => Err(e),
        }
    }
}

/// The file name of shard `index` of `count` in a shard folder.
pub fn file_name(share: Share) -> String {
    format!("shard-{:04}-of-{:04}.json", share.index, share.count)
}

/// Parses `K/N` (shard K of N, K from 0).
pub fn parse_share(text: &str) -> std::result::Result<Share, String> {
    let bad = || {
        format!("'{text}' is not a shard: give K/N, shard K (from 0) of N shards, e.g. 0/4 .. 3/4")
    };
    let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
    let (index, count): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    match (index, count) {
        (_, 0) => Err(format!("'{text}': the number of shards must be at least 1")),
        (k, n) if k >= n => Err(format!(
            "'{text}': shard numbers run from 0 to {} for {n} shards",
            n - 1
        )),
        _ => Ok(Share { index, count }),
    }
}

impl ShardFile {
    /// Writes the shard into `dir` (atomically: a complete file or none), holding an exclusive
    /// lock on its name while the shard runs, so two processes never write the same shard.
    pub fn write_to(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join(file_name(Share {
            index: self.shard,
            count: self.shards,
        }));
        let bytes = serde_json::to_vec(self)
            .map_err(|e| Error::Internal(format!("serialising the shard: {e}")))?;
        write_atomic(&path, |w| w.write_all(&bytes))?;
        Ok(path)
    }

    /// Reads a shard file, refusing a truncated or foreign one with a message naming it.
    pub fn read(path: &Path) -> Result<ShardFile> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |reason: String| Error::InvalidSetting(format!("{}: {reason}", path.display()));
        let shard: ShardFile = serde_json::from_slice(&bytes).map_err(|e| {
            bad(format!(
                "not a complete shard file ({e}); run that shard again (its --shard K/N is in \
                 the file name)"
            ))
        })?;
        if shard.format != SHARD_FORMAT {
            return Err(bad(format!(
                "shard format {} (this automl reads {SHARD_FORMAT})",
                shard.format
            )));
        }
        Ok(shard)
    }
}

/// The shard files in `dirs` (each a folder of shard files, or one shard file), sorted.
pub fn find(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for dir in dirs {
        if dir.is_file() {
            files.push(dir.clone());
            continue;
        }
        let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let before = files.len();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("shard-") && name.ends_with(".json") {
                files.push(entry.path());
            }
        }
        if files.len() == before {
            return Err(Error::InvalidSetting(format!(
                "{} holds no shard files (shard-K-of-N.json); give the folders the shards wrote to",
                dir.display()
            )));
        }
    }
    // The same file named twice (two spellings of one folder) counts once.
    let mut files: Vec<PathBuf> = files
        .into_iter()
        .map(|f| f.canonicalize().unwrap_or(f))
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// Checks that `shards` (read from `paths`) are the complete, consistent set of one compare:
/// the same version, data and settings, each shard once, and no task twice.
pub fn check(shards: &[ShardFile], paths: &[PathBuf]) -> Result<()> {
    let Some(first) = shards.first() else {
        return Err(Error::InvalidSetting("no shard files to merge".into()));
    };
    let name = |i: usize| paths[i].display().to_string();
    for (i, s) in shards.iter().enumerate() {
        let differs = [
            (
                s.automl_version != first.automl_version,
                "automl version",
                &s.automl_version,
                &first.automl_version,
            ),
            (
                s.data_sha256 != first.data_sha256,
                "data (SHA-256)",
                &s.data_sha256,
                &first.data_sha256,
            ),
        ];
        for (different, what, this, other) in differs {
            if different {
                return Err(Error::InvalidSetting(format!(
                    "{} has another {what} ({this}) than {} ({other}): it belongs to another \
                     compare; remove it or rerun it with the same data and version",
                    name(i),
                    name(0)
                )));
            }
        }
        if s.settings != first.settings || s.shards != first.shards {
            return Err(Error::InvalidSetting(format!(
                "{} and {} were run with different settings or shard counts ({} and {} shards): \
                 they belong to different compares; keep the shards of one (their command lines: \
                 '{}' and '{}')",
                name(0),
                name(i),
                first.shards,
                s.shards,
                first.command,
                s.command
            )));
        }
    }
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, s) in shards.iter().enumerate() {
        if let Some(j) = seen.insert(s.shard, i) {
            return Err(Error::InvalidSetting(format!(
                "shard {}/{} is there twice: {} and {}; keep one",
                s.shard,
                s.shards,
                name(j),
                name(i)
            )));
        }
    }
    let missing: Vec<String> = (0..first.shards)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{}", first.shards))
        .collect();
    if !missing.is_empty() {
        return Err(Error::InvalidSetting(format!(
            "{} of {} shards missing; rerun them with --shard {} (no leaderboard is written \
             from an incomplete set)",
            missing.len(),
            first.shards,
            missing.join(", --shard ")
        )));
    }
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, s) in shards.iter().enumerate() {
        for t in &s.tasks {
            if let Some(j) = ids.insert(&t.id, i) {
                return Err(Error::InvalidSetting(format!(
                    "task {} ({} {} fold {}) is in both {} and {}",
                    t.id,
                    t.algorithm,
                    t.setting,
                    t.fold + 1,
                    name(j),
                    name(i)
                )));
            }
        }
    }
    if ids.len() != first.tasks_total {
        return Err(Error::InvalidSetting(format!(
            "the shards hold {} of the compare's {} tasks: a shard file is incomplete; rerun \
             the shards",
            ids.len(),
            first.tasks_total
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_parsed_and_checked() {
        assert_eq!(parse_share("2/7"), Ok(Share { index: 2, count: 7 }));
        for bad in ["7/7", "1/0", "x", "1/", "-1/3", "1/2/3"] {
            assert!(parse_share(bad).is_err(), "{bad}");
        }
    }

    fn shard(k: usize, n: usize, ids: &[&str]) -> ShardFile {
        ShardFile {
            format: SHARD_FORMAT,
            automl_version: "1".into(),
            data: "d.csv".into(),
            data_sha256: "abc".into(),
            shard: k,
            shards: n,
            settings: serde_json::json!({"seed": 1}),
            command: "automl compare d.csv --target y --shard K/N".into(),
            tasks_total: 3,
            tasks: ids
                .iter()
                .map(|id| TaskRecord {
                    id: id.to_string(),
                    algorithm: "a".into(),
                    setting: String::new(),
                    fold: 0,
                    result: TaskResult::Error(TaskError::OverBudget),
                })
                .collect(),
            seconds: 0.0,
        }
    }

    #[test]
    fn a_merge_needs_every_shard_once_and_every_task_once() {
        let paths: Vec<PathBuf> = (0..3).map(|i| format!("s{i}.json").into()).collect();
        let good = [shard(0, 2, &["x", "y"]), shard(1, 2, &["z"])];
        assert!(check(&good, &paths).is_ok());
        let missing = check(&good[..1], &paths).unwrap_err().to_string();
        assert!(missing.contains("--shard 1/2"), "{missing}");
        let twice = check(&[good[0].clone(), good[0].clone()], &paths).unwrap_err();
        assert!(twice.to_string().contains("twice"), "{twice}");
        let mut foreign = good[1].clone();
        foreign.data_sha256 = "def".into();
        let err = check(&[good[0].clone(), foreign], &paths).unwrap_err();
        assert!(
            err.to_string().contains("s1.json has another data"),
            "{err}"
        );
        let short = [shard(0, 2, &["x"]), shard(1, 2, &["z"])];
        assert!(check(&short, &paths)
            .unwrap_err()
            .to_string()
            .contains("2 of the compare's 3"));
    }
}
