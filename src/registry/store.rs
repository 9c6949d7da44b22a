//! The registry of an MLflow file store, in MLflow's own layout (read by its client with
//! `MLFLOW_ALLOW_FILE_STORE=true`):
//!
//! mlruns/models/<name>/meta.yaml, aliases/<alias> (the version number),
//! mlruns/models/<name>/version-<n>/meta.yaml, tags/<key> (the value).
//!
//! A version is written whole in a hidden folder and renamed into place: the rename onto an
//! existing version fails, so two promotes racing on one name take different numbers, and a
//! reader never sees half a version. Aliases are replaced atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Version;
use crate::error::{Error, Result};
use crate::io::write::{create_dir, write_atomic};
use crate::tracking::file_store::{quote, read_meta};
use crate::tracking::now_ms;

fn model_dir(root: &Path, name: &str) -> Result<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\', '\0']) || name.starts_with('.') {
        return Err(Error::InvalidSetting(format!(
            "'{name}' is not a registered model name: give a non-empty name without slashes \
             that does not start with a dot"
        )));
    }
    Ok(root.join("models").join(name))
}

fn write(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |w| w.write_all(text.as_bytes()))
}

pub(super) fn exists(root: &Path, name: &str) -> bool {
    model_dir(root, name).is_ok_and(|d| d.join("meta.yaml").is_file())
}

pub(super) fn create(root: &Path, name: &str) -> Result<()> {
    let dir = model_dir(root, name)?;
    create_dir(&dir)?;
    let now = now_ms();
    write(
        &dir.join("meta.yaml"),
        &format!(
            "creation_timestamp: {now}\ndeployment_job_id: null\ndeployment_job_state: null\n\
             description: null\nlast_updated_timestamp: {now}\nname: {}\nworkspace: default\n",
            quote(name)
        ),
    )
}

pub(super) fn add_version(
    root: &Path,
    name: &str,
    source: &str,
    run_id: Option<&str>,
    tags: &BTreeMap<String, String>,
) -> Result<u64> {
    let dir = model_dir(root, name)?;
    let staging = dir.join(format!(".version-{}-{}", std::process::id(), now_ms()));
    create_dir(&staging.join("tags"))?;
    for (key, value) in tags {
        write(&staging.join("tags").join(key), value)?;
    }
    let now = now_ms();
    let run = run_id.map_or("null".to_string(), quote);
    for _ in 0..1000 {
        let number = versions(&dir).into_iter().max().unwrap_or(0) + 1;
        write(
            &staging.join("meta.yaml"),
            &format!(
                "creation_timestamp: {now}\ncurrent_stage: None\ndeployment_job_state: null\n\
                 description: null\nlast_updated_timestamp: {now}\nmodel_id: null\nname: {}\n\
                 run_id: {run}\nrun_link: null\nsource: {}\nstatus: READY\nstatus_message: null\n\
                 storage_location: {}\nuser_id: null\nversion: {number}\nworkspace: default\n",
                quote(name),
                quote(source),
                quote(source)
            ),
        )?;
        let target = dir.join(format!("version-{number}"));
        if !target.exists() && std::fs::rename(&staging, &target).is_ok() {
            return Ok(number);
        }
    }
    let _ = std::fs::remove_dir_all(&staging);
    Err(Error::Internal(format!(
        "could not claim a version number of '{name}' in {}",
        dir.display()
    )))
}

/// The version numbers under a model's folder.
fn versions(dir: &Path) -> Vec<u64> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_prefix("version-")?
                .parse()
                .ok()
        })
        .collect()
}

pub(super) fn version(root: &Path, name: &str, version: u64) -> Result<Option<Version>> {
    let dir = model_dir(root, name)?.join(format!("version-{version}"));
    let Some(meta) = read_meta(&dir.join("meta.yaml")) else {
        return Ok(None);
    };
    let tags = std::fs::read_dir(dir.join("tags"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let key = e.file_name().to_str()?.to_string();
            Some((key, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    Ok(Some(Version {
        version,
        source: meta.get("source").cloned().unwrap_or_default(),
        run_id: meta
            .get("run_id")
            .filter(|r| !r.is_empty() && r.as_str() != "null")
            .cloned(),
        tags,
    }))
}

pub(super) fn alias(root: &Path, name: &str, alias: &str) -> Result<Option<u64>> {
    let path = model_dir(root, name)?.join("aliases").join(alias);
    Ok(std::fs::read_to_string(path)
        .ok()
        .and_then(|v| v.trim().parse().ok()))
}

pub(super) fn set_alias(root: &Path, name: &str, alias: &str, version: u64) -> Result<()> {
    let dir = model_dir(root, name)?.join("aliases");
    create_dir(&dir)?;
    write(&dir.join(alias), &version.to_string())
}

pub(super) fn delete_alias(root: &Path, name: &str, alias: &str) -> Result<()> {
    let path = model_dir(root, name)?.join("aliases").join(alias);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Write { path, source: e }),
        _ => Ok(()),
    }
}
