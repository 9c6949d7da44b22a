//! Run records in MLflow's data model: one parent run per compare (its settings, where the data
//! came from, the winner's scores, and the run's outputs as artifacts) and one child run per
//! candidate (with its exported model, if any). A record is built once from a finished
//! [`Comparison`] and its [`Artifacts`], and then written by one of two sinks: MLflow's
//! file-store layout ([`file_store`]) or a tracking server's REST API ([`rest`]). No Python is
//! involved.

pub mod file_store;
mod mlmodel;
pub mod rest;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::algorithms::{format_params, format_setting};
use crate::artifacts::{Artifact, Artifacts};
use crate::compare::Comparison;
use crate::error::{Error, Result};
use crate::leaderboard::{Leaderboard, Status};
use crate::metrics::Metric;
use crate::model::MODEL_FILE;
use crate::provenance::Source;

/// Default experiment name.
pub const DEFAULT_EXPERIMENT: &str = "automl";
/// MLflow's longest param and tag values; longer ones are cut (a server refuses them).
const MAX_PARAM_CHARS: usize = 6000;
const MAX_TAG_CHARS: usize = 8000;

/// MLflow's run statuses that automl uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Finished,
    Failed,
    /// Stopped before it finished (an interrupted compare, its unfinished candidates).
    Killed,
}

impl RunStatus {
    /// The number in a file store's meta.yaml.
    pub fn code(self) -> u8 {
        match self {
            RunStatus::Finished => 3,
            RunStatus::Failed => 4,
            RunStatus::Killed => 5,
        }
    }

    /// The name in the REST API.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Finished => "FINISHED",
            RunStatus::Failed => "FAILED",
            RunStatus::Killed => "KILLED",
        }
    }
}

/// One run, sink-independent. The parent link is added by the sink, which knows the ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub name: String,
    pub status: RunStatus,
    pub start_ms: i64,
    pub end_ms: i64,
    pub user: String,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    /// Final values; non-finite ones are left out.
    pub metrics: Vec<(String, f64)>,
    pub artifacts: Vec<Artifact>,
}

/// A compare as runs: the parent and one child per candidate, in leaderboard order.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub parent: Run,
    pub children: Vec<Run>,
}

/// The experiment tag MLflow's UI reads to open an experiment on its runs (classic ML).
pub const EXPERIMENT_KIND: (&str, &str) = ("mlflow.experimentKind", "custom_model_development");

/// Where records are logged: MLflow's file store, or a tracking server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    Store(PathBuf),
    Server(String),
}

impl Sink {
    /// The sink a tracking URI names, as MLflow reads one: `http(s)://HOST:PORT` a server, a
    /// `file:` URI or a plain path a file store; without one (or an empty one), the store `dir`.
    pub fn from_uri(uri: Option<&str>, dir: &Path) -> Sink {
        match uri.filter(|u| !u.is_empty()) {
            Some(u) if u.contains("://") && !u.starts_with("file:") => Sink::Server(u.to_string()),
            Some(u) => {
                let path = u.strip_prefix("file:").unwrap_or(u);
                Sink::Store(PathBuf::from(path.strip_prefix("//").unwrap_or(path)))
            }
            None => Sink::Store(dir.to_path_buf()),
        }
    }

    /// Checks that a server answers, before a long compare; a file store is made when logged to.
    pub fn check(&self, experiment: &str) -> Result<()> {
        match self {
            Sink::Server(uri) => rest::check(uri, experiment),
            Sink::Store(_) => Ok(()),
        }
    }

    /// Logs `record` under `experiment` (created if needed). Returns where, and what a server
    /// could not take (its artifacts, when it does not proxy them).
    pub fn log(&self, experiment: &str, record: &Record) -> Result<(Logged, Vec<String>)> {
        match self {
            Sink::Server(uri) => rest::log(uri, experiment, record),
            Sink::Store(root) => Ok((file_store::log(root, experiment, record)?, Vec::new())),
        }
    }
}

/// Where a record was logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub experiment_id: String,
    pub run_id: String,
    /// The parent run's folder (file store) or its page (server).
    pub location: String,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Builds the runs of a finished compare. The run's outputs are the parent's artifacts, the
/// exported models under `model/` (the best) and with their candidate's child run.
pub fn record(
    comparison: &Comparison,
    outputs: &Artifacts,
    source: &Source,
    start_ms: i64,
) -> Result<Record> {
    let board = &comparison.leaderboard;
    let end_ms = now_ms().max(start_ms);
    let settings = &board.settings;
    let profile = &board.profile;
    let tag = |k: &str, v: String| (k.to_string(), v);
    let common_tags = [
        tag("mlflow.user", source.user.clone()),
        tag("mlflow.source.name", "automl".into()),
        tag("mlflow.source.type", "LOCAL".into()),
        tag("automl.version", env!("CARGO_PKG_VERSION").into()),
    ];
    let git = source
        .git_commit
        .iter()
        .map(|c| tag("mlflow.source.git.commit", c.clone()));
    let run = |name: String,
               status,
               params: Vec<(String, String)>,
               tags: Vec<(String, String)>,
               metrics,
               artifacts| Run {
        tags: std::iter::once(tag("mlflow.runName", name.clone()))
            .chain(common_tags.iter().cloned())
            .chain(git.clone())
            .chain(tags)
            .map(|(k, v)| (k, clip(v, MAX_TAG_CHARS)))
            .collect(),
        params: params
            .into_iter()
            .map(|(k, v)| (k, clip(v, MAX_PARAM_CHARS)))
            .collect(),
        name,
        status,
        start_ms,
        end_ms,
        user: source.user.clone(),
        metrics,
        artifacts,
    };

    // Each exported model as the run folder has it: the best goes with the parent and its
    // child run.
    let exported: Vec<(&crate::model::Model, Vec<Artifact>)> = comparison
        .models
        .iter()
        .enumerate()
        .map(|(i, model)| {
            let file = outputs.model(i + 1).ok_or_else(|| {
                Error::Internal(format!("exported model {} has no output file", i + 1))
            })?;
            let artifacts = vec![
                Artifact {
                    path: format!("model/{MODEL_FILE}"),
                    bytes: file.bytes.clone(),
                    model: None,
                },
                Artifact {
                    path: "model/MLmodel".into(),
                    bytes: mlmodel::mlmodel(model).into_bytes(),
                    model: None,
                },
            ];
            Ok((model, artifacts))
        })
        .collect::<Result<_>>()?;

    let mut children = Vec::with_capacity(board.entries.len());
    for entry in &board.entries {
        let mut params = vec![
            ("algorithm".to_string(), entry.model.clone()),
            ("backend".to_string(), entry.backend.clone()),
        ];
        params.extend(entry.params.iter().map(|(k, v)| (k.clone(), v.to_string())));
        // An ensemble's members and weights.
        for (i, m) in entry
            .blend
            .iter()
            .flat_map(|b| b.members.iter().enumerate())
        {
            let member = format_setting(&m.model, &m.params);
            params.push((format!("member_{}", i + 1), member));
            params.push((format!("member_{}_weight", i + 1), m.weight.to_string()));
        }
        if let Some(b) = &entry.blend {
            params.push(("intercept".into(), b.intercept.to_string()));
        }
        let mut tags = vec![
            tag("automl.rank", entry.rank.to_string()),
            tag("automl.status", entry.status.to_string()),
            tag("automl.algorithm", entry.name.clone()),
        ];
        tags.extend(entry.error.iter().map(|e| tag("automl.error", e.clone())));
        let mut metrics = metric_values(&entry.metrics);
        if matches!(entry.status, Status::Ok | Status::Pruned) {
            metrics.push(("fit_seconds".into(), entry.fit_seconds));
        }
        if let Some(b) = &entry.blend {
            let sort = board.settings.sort;
            metrics.push((format!("{sort}_in_sample"), b.in_sample));
        }
        if entry.status == Status::Pruned {
            metrics.push(("folds_scored".into(), entry.folds.len() as f64));
        }
        let artifacts = exported
            .iter()
            .find(|(m, _)| m.rank == entry.rank && m.algorithm == entry.model)
            .map(|(_, artifacts)| artifacts.clone())
            .unwrap_or_default();
        let status = match entry.status {
            Status::Failed | Status::Timeout => RunStatus::Failed,
            Status::Interrupted => RunStatus::Killed,
            Status::Ok | Status::Skipped | Status::Pruned => RunStatus::Finished,
        };
        let name = format!("{} {}", entry.model, format_params(&entry.params))
            .trim()
            .to_string();
        children.push(run(name, status, params, tags, metrics, artifacts));
    }

    let data_name = source
        .data
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(",")
        }
    };
    let count = |s: Status| board.entries.iter().filter(|e| e.status == s).count();
    let params = vec![
        ("target".to_string(), profile.target.column.name.clone()),
        ("folds".to_string(), settings.folds.to_string()),
        ("shuffle".to_string(), settings.shuffle.to_string()),
        ("seed".to_string(), settings.seed.to_string()),
        ("task".to_string(), profile.target.task.to_string()),
        ("sort".to_string(), settings.sort.to_string()),
        ("export_top".to_string(), settings.export_top.to_string()),
        ("race".to_string(), settings.race.to_string()),
        ("candidates".to_string(), board.entries.len().to_string()),
        ("algorithms".to_string(), list(&algorithm_ids(board))),
        (
            "features".to_string(),
            list(&profile.kept().map(|c| c.name.clone()).collect::<Vec<_>>()),
        ),
        (
            "ignored".to_string(),
            list(
                &profile
                    .dropped()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>(),
            ),
        ),
    ];
    let best = board.best();
    let mut tags = vec![
        tag("automl.role", "compare".into()),
        tag("automl.data.path", source.data.display().to_string()),
        tag("automl.data.sha256", source.sha256.clone()),
        tag("automl.data.rows", profile.rows.to_string()),
        tag("automl.data.columns", profile.columns.to_string()),
        tag("automl.seed", settings.seed.to_string()),
        tag("automl.command", source.command.clone()),
    ];
    tags.extend(
        source
            .git_dirty
            .map(|dirty| tag("automl.git.dirty", dirty.to_string())),
    );
    let mut metrics = vec![
        ("candidates_scored".to_string(), count(Status::Ok) as f64),
        (
            "candidates_failed".to_string(),
            count(Status::Failed) as f64,
        ),
        (
            "candidates_skipped".to_string(),
            count(Status::Skipped) as f64,
        ),
        (
            "duration_seconds".to_string(),
            (end_ms - start_ms) as f64 / 1e3,
        ),
    ];
    let note = match best {
        Some(best) => {
            let score = best.metric(settings.sort).map_or(f64::NAN, |s| s.mean);
            let setting = format!("{} {}", best.model, best.setting());
            tags.push(tag("automl.best", setting.trim().to_string()));
            metrics.extend(metric_values(&best.metrics));
            format!(
                "Best of {} candidates on `{data_name}` ({} rows, target `{}`): **{}** ({}), \
                 CV {} {score:.6}.",
                board.entries.len(),
                profile.target.rows_used,
                profile.target.column.name,
                setting.trim(),
                best.name,
                settings.sort
            )
        }
        None => format!("No candidate scored on `{data_name}`."),
    };
    tags.push(tag("mlflow.note.content", note));
    // Model files go under model/ (above), with their MLmodel.
    let mut artifacts: Vec<Artifact> = outputs
        .files
        .iter()
        .filter(|f| f.model.is_none())
        .cloned()
        .collect();
    if let Some((_, model)) = exported.first() {
        artifacts.extend(model.iter().cloned());
    }
    let parent = run(
        format!("compare {data_name}"),
        if board.partial() {
            RunStatus::Killed
        } else {
            RunStatus::Finished
        },
        params,
        tags,
        metrics,
        artifacts,
    );
    Ok(Record { parent, children })
}

/// `value` cut to at most `max` characters, ending in "..." when cut.
fn clip(value: String, max: usize) -> String {
    if value.chars().count() <= max {
        return value;
    }
    let mut cut: String = value.chars().take(max - 3).collect();
    cut.push_str("...");
    cut
}

fn algorithm_ids(board: &Leaderboard) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for e in &board.entries {
        if !ids.contains(&e.model) {
            ids.push(e.model.clone());
        }
    }
    ids
}

/// Means as `rmse`, standard deviations as `rmse_std`; undefined values left out.
fn metric_values(stats: &[(Metric, crate::leaderboard::Stat)]) -> Vec<(String, f64)> {
    stats
        .iter()
        .flat_map(|(m, s)| [(m.to_string(), s.mean), (format!("{m}_std"), s.std)])
        .filter(|(_, v)| v.is_finite())
        .collect()
}

/// A random id of `bytes` bytes as lowercase hex (32 characters for a run id).
fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_uris_name_a_server_or_a_file_store_as_in_mlflow() {
        let dir = Path::new("mlruns");
        let sink = |uri| Sink::from_uri(uri, dir);
        assert_eq!(sink(None), Sink::Store(dir.into()));
        assert_eq!(sink(Some("")), Sink::Store(dir.into()));
        assert_eq!(
            sink(Some("http://127.0.0.1:5000")),
            Sink::Server("http://127.0.0.1:5000".into())
        );
        assert_eq!(
            sink(Some("file:///tmp/runs")),
            Sink::Store("/tmp/runs".into())
        );
        assert_eq!(sink(Some("file:runs")), Sink::Store("runs".into()));
        assert_eq!(
            sink(Some("elsewhere/mlruns")),
            Sink::Store("elsewhere/mlruns".into())
        );
    }

    #[test]
    fn long_values_are_clipped_to_mlflow_limits() {
        assert_eq!(clip("abc".into(), 5), "abc");
        let long = "é".repeat(7000);
        let cut = clip(long, MAX_PARAM_CHARS);
        assert_eq!(cut.chars().count(), MAX_PARAM_CHARS);
        assert!(cut.ends_with("..."));
    }
}
