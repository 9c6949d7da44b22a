//! MLflow's file-store layout (`./mlruns`), as MLflow 3 reads it (`../shared/tools/MLFLOW.md`):
//!
//! ```text
//! mlruns/<experiment id>/meta.yaml
//! mlruns/<experiment id>/<run id>/meta.yaml, params/<key>, tags/<key>, metrics/<key>, artifacts/
//! ```
//!
//! Runs are written into a staging folder beside the store and renamed into it, so the store
//! never holds half a run. Reading is done here too: listing the runs, and finding one by id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{random_hex, Logged, Record, Run};
use crate::error::{Error, Result, Setting};
use crate::io::write::{create_dir, write_atomic};

/// Writes `record` into the store at `root` under `experiment` (created if needed).
pub fn log(root: &Path, experiment: &str, record: &Record) -> Result<Logged> {
    let root = open_store(root)?;
    let experiment_id = match find_experiment(&root, experiment)? {
        Some(id) => id,
        None => create_experiment(&root, experiment)?,
    };
    let staging_parent = root.parent().unwrap_or(Path::new("."));
    let staging = tempfile::Builder::new()
        .prefix(".automl-staging-")
        .tempdir_in(staging_parent)
        .map_err(|e| write_error(staging_parent, e))?;
    let parent_id = random_hex(16);
    let mut runs = vec![(parent_id.clone(), &record.parent, None)];
    for child in &record.children {
        runs.push((random_hex(16), child, Some(parent_id.as_str())));
    }
    // Side by side, each run in its own folder; the first failure in run order is told.
    let written: Vec<Result<()>> = runs
        .par_iter()
        .map(|(id, run, parent)| {
            let final_dir = root.join(&experiment_id).join(id);
            let staged = staging.path().join(id);
            write_run(&staged, &final_dir, &experiment_id, id, run, *parent)
        })
        .collect();
    written.into_iter().collect::<Result<()>>()?;
    // Children first: the parent, which `automl runs` lists, appears last, complete.
    for (id, _, _) in runs.iter().rev() {
        let to = root.join(&experiment_id).join(id);
        std::fs::rename(staging.path().join(id), &to).map_err(|e| write_error(&to, e))?;
    }
    Ok(Logged {
        location: root
            .join(&experiment_id)
            .join(&parent_id)
            .display()
            .to_string(),
        experiment_id,
        run_id: parent_id,
    })
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates the store if needed (with `.trash` and the conventional Default experiment `0`) and
/// returns its absolute path.
fn open_store(root: &Path) -> Result<PathBuf> {
    if root.exists() && !root.is_dir() {
        return Err(Error::InvalidSetting(format!(
            "{} {} is a file; give a folder (MLflow's ./mlruns)",
            Setting::TrackingDir,
            root.display()
        )));
    }
    create_dir(&root.join(".trash"))?;
    let root = std::fs::canonicalize(root).map_err(|e| write_error(root, e))?;
    let default = root.join("0");
    if !default.join("meta.yaml").exists() && find_experiment(&root, "Default")?.is_none() {
        write_experiment(&root, "0", "Default")?;
    }
    Ok(root)
}

fn create_experiment(root: &Path, name: &str) -> Result<String> {
    use rand::Rng;
    // MLflow's file store uses 18 random digits.
    let id = rand::thread_rng()
        .gen_range(100_000_000_000_000_000u64..1_000_000_000_000_000_000)
        .to_string();
    write_experiment(root, &id, name)?;
    Ok(id)
}

fn write_experiment(root: &Path, id: &str, name: &str) -> Result<()> {
    let dir = root.join(id);
    create_dir(&dir)?;
    let now = super::now_ms();
    let meta = format!(
        "artifact_location: {}\ncreation_time: {now}\nexperiment_id: '{id}'\n\
         last_update_time: {now}\nlifecycle_stage: active\nname: {}\n",
        quote(&file_uri(&dir)),
        quote(name)
    );
    write_atomic(&dir.join("meta.yaml"), |w| w.write_all(meta.as_bytes()))?;
    // MLflow's UI opens a classic-ML experiment on its runs, not on the GenAI traces page.
    let tags = dir.join("tags");
    create_dir(&tags)?;
    write_atomic(&tags.join(super::EXPERIMENT_KIND.0), |w| {
        w.write_all(super::EXPERIMENT_KIND.1.as_bytes())
    })
}

/// Writes one run's folder at `dir`; paths inside refer to where it will be, `final_dir`.
fn write_run(
    dir: &Path,
    final_dir: &Path,
    experiment_id: &str,
    run_id: &str,
    run: &Run,
    parent: Option<&str>,
) -> Result<()> {
    for sub in ["params", "tags", "metrics", "artifacts"] {
        create_dir(&dir.join(sub))?;
    }
    // Artifact paths (and any key with `/`, which MLflow reads as a sub-folder) are nested.
    let write = |sub: &str, key: &str, bytes: &[u8]| {
        let path = dir.join(sub).join(key);
        if key.contains('/') {
            if let Some(parent) = path.parent() {
                create_dir(parent)?;
            }
        }
        std::fs::write(&path, bytes).map_err(|e| write_error(&path, e))
    };
    for (key, value) in &run.params {
        write("params", key, value.as_bytes())?;
    }
    let parent_tag = parent.map(|p| ("mlflow.parentRunId".to_string(), p.to_string()));
    for (key, value) in run.tags.iter().chain(&parent_tag) {
        write("tags", key, value.as_bytes())?;
    }
    for (key, value) in &run.metrics {
        let line = format!("{} {value} 0\n", run.end_ms);
        write("metrics", key, line.as_bytes())?;
    }
    for artifact in &run.artifacts {
        write("artifacts", &artifact.path, &artifact.bytes)?;
    }
    let meta = format!(
        "artifact_uri: {}\nend_time: {}\nentry_point_name: ''\nexperiment_id: '{experiment_id}'\n\
         lifecycle_stage: active\nrun_id: {run_id}\nrun_name: {}\nsource_name: ''\n\
         source_type: 4\nsource_version: ''\nstart_time: {}\nstatus: {}\ntags: []\nuser_id: {}\n",
        quote(&file_uri(&final_dir.join("artifacts"))),
        run.end_ms,
        quote(&run.name),
        run.start_ms,
        run.status.code(),
        quote(&run.user),
    );
    std::fs::write(dir.join("meta.yaml"), meta.as_bytes())
        .map_err(|e| write_error(&dir.join("meta.yaml"), e))
}

/// A YAML scalar: JSON's double-quoted string, which YAML reads unchanged.
pub(crate) fn quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn file_uri(path: &Path) -> String {
    url::Url::from_file_path(path)
        .map(String::from)
        .unwrap_or_else(|_| format!("file://{}", path.display()))
}

/// The `key: value` scalars of a meta.yaml (as MLflow or automl wrote it), unquoted.
pub(crate) fn read_meta(path: &Path) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.starts_with(' '))
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), unquote(v.trim())))
            .collect(),
    )
}

fn unquote(v: &str) -> String {
    if v.starts_with('"') {
        serde_json::from_str(v).unwrap_or_else(|_| v.to_string())
    } else if let Some(inner) = v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else {
        v.to_string()
    }
}

/// The id of the active experiment called `name`, if the store has one.
pub fn find_experiment(root: &Path, name: &str) -> Result<Option<String>> {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Io {
                path: root.to_path_buf(),
                source,
            })
        }
    };
    for entry in entries.flatten() {
        let Some(meta) = read_meta(&entry.path().join("meta.yaml")) else {
            continue;
        };
        if meta.get("name").map(String::as_str) == Some(name)
            && meta.get("lifecycle_stage").map(String::as_str) != Some("deleted")
        {
            return Ok(Some(entry.file_name().to_string_lossy().into_owned()));
        }
    }
    Ok(None)
}

/// A compare as `automl runs` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub run_id: String,
    pub start_ms: i64,
    pub status: String,
    pub data: String,
    pub rows: String,
    pub best: String,
    pub sort: String,
    /// The winner's score on the ranking metric.
    pub score: Option<f64>,
    pub path: PathBuf,
}

/// The compares (parent runs) of `experiment` in the store at `root`, newest first.
pub fn list_runs(root: &Path, experiment: &str) -> Result<Vec<RunSummary>> {
    if !root.is_dir() {
        return Err(Error::InvalidSetting(format!(
            "no tracking folder at {}; run a compare first or set {}",
            root.display(),
            Setting::TrackingDir
        )));
    }
    let Some(id) = find_experiment(root, experiment)? else {
        return Err(Error::InvalidSetting(format!(
            "no experiment '{experiment}' in {}; set {}",
            root.display(),
            Setting::Experiment
        )));
    };
    let dir = root.join(&id);
    let mut runs = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?
        .flatten()
    {
        let path = entry.path();
        let Some(meta) = read_meta(&path.join("meta.yaml")) else {
            continue;
        };
        let tag = |k: &str| std::fs::read_to_string(path.join("tags").join(k)).ok();
        if tag("mlflow.parentRunId").is_some() || !meta.contains_key("run_id") {
            continue;
        }
        let param = |k: &str| std::fs::read_to_string(path.join("params").join(k)).ok();
        let sort = param("sort").unwrap_or_else(|| "rmse".into());
        let score = std::fs::read_to_string(path.join("metrics").join(&sort))
            .ok()
            .and_then(|text| {
                text.lines()
                    .last()
                    .and_then(|l| l.split(' ').nth(1))
                    .and_then(|v| v.parse().ok())
            });
        let status = match meta.get("status").map(String::as_str) {
            Some("1") => "running",
            Some("3") => "finished",
            Some("4") => "failed",
            Some("5") => "killed",
            _ => "?",
        };
        runs.push(RunSummary {
            run_id: meta.get("run_id").cloned().unwrap_or_default(),
            start_ms: meta
                .get("start_time")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0),
            status: status.to_string(),
            data: tag("automl.data.path")
                .map(|p| {
                    Path::new(&p)
                        .file_name()
                        .map_or(p.clone(), |n| n.to_string_lossy().into_owned())
                })
                .unwrap_or_else(|| "-".into()),
            rows: tag("automl.data.rows").unwrap_or_else(|| "-".into()),
            best: tag("automl.best").unwrap_or_else(|| "-".into()),
            sort,
            score,
            path,
        });
    }
    runs.sort_by(|a, b| {
        b.start_ms
            .cmp(&a.start_ms)
            .then_with(|| a.run_id.cmp(&b.run_id))
    });
    Ok(runs)
}

/// The folder of run `run_id` in any experiment of the store at `root`.
pub fn find_run(root: &Path, run_id: &str) -> Result<PathBuf> {
    let not_found = || {
        Error::InvalidSetting(format!(
            "no run {run_id} in {}; the store's runs are listed by `automl runs`, {} picks the store",
            root.display(),
            Setting::TrackingDir
        ))
    };
    if run_id.is_empty() || !run_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::InvalidSetting(format!(
            "'{run_id}' is not a run id (32 hex digits, as `automl runs` shows)"
        )));
    }
    let entries = std::fs::read_dir(root).map_err(|_| not_found())?;
    entries
        .flatten()
        .map(|e| e.path().join(run_id))
        .find(|p| p.join("meta.yaml").is_file())
        .ok_or_else(not_found)
}

/// The id of the MLflow run whose folder holds `path` (a model file or folder among a run's
/// artifacts in a file store), if it is in one.
pub fn run_of(path: &Path) -> Option<String> {
    let path = path.canonicalize().ok()?;
    path.ancestors().skip(1).take(4).find_map(|dir| {
        let name = dir.file_name()?.to_str()?;
        let is_run = dir.join("meta.yaml").is_file()
            && dir.join("artifacts").is_dir()
            && name.chars().all(|c| c.is_ascii_alphanumeric());
        is_run.then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_among_a_run_s_artifacts_names_its_run() {
        let root = tempfile::tempdir().unwrap();
        let run = root.path().join("0").join("0123abcd");
        std::fs::create_dir_all(run.join("artifacts")).unwrap();
        std::fs::write(run.join("meta.yaml"), "run_id: 0123abcd\n").unwrap();
        let model = run.join("artifacts").join("model.automl");
        std::fs::write(&model, "x").unwrap();
        assert_eq!(run_of(&model).as_deref(), Some("0123abcd"));
        assert_eq!(run_of(&run.join("artifacts")).as_deref(), Some("0123abcd"));
        assert_eq!(run_of(root.path()), None);
    }

    #[test]
    fn meta_values_read_back_whoever_wrote_them() {
        for name in ["automl", "it's: \"quoted\"", "two\nlines", "ünïcode"] {
            assert_eq!(unquote(&quote(name)), name);
        }
        // As MLflow writes them.
        assert_eq!(unquote("'123'"), "123");
        assert_eq!(unquote("'it''s'"), "it's");
        assert_eq!(unquote("Default"), "Default");
    }

    #[test]
    fn experiments_are_found_by_name_and_deleted_ones_skipped() {
        let root = tempfile::tempdir().unwrap();
        write_experiment(root.path(), "7", "mine").unwrap();
        assert_eq!(
            find_experiment(root.path(), "mine").unwrap(),
            Some("7".into())
        );
        assert_eq!(find_experiment(root.path(), "other").unwrap(), None);
        let meta = root.path().join("7/meta.yaml");
        let text = std::fs::read_to_string(&meta).unwrap();
        std::fs::write(&meta, text.replace("active", "deleted")).unwrap();
        assert_eq!(find_experiment(root.path(), "mine").unwrap(), None);
    }

    #[test]
    fn run_ids_cannot_leave_the_store() {
        let root = tempfile::tempdir().unwrap();
        let e = find_run(root.path(), "../../etc").unwrap_err().to_string();
        assert!(e.contains("not a run id"), "{e}");
    }
}
