//! MLflow's Model Registry, where the team sees which model is in production: registered models,
//! their versions with tags, and aliases (`champion`), on a tracking server over MLflow's REST API
//! or in a file store in MLflow's own layout ([`store`]); `models:/NAME@ALIAS` and
//! `models:/NAME/VERSION` resolve to a model; [`promote`] is the registry step of a pipeline.

pub mod promote;
mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::model::{Model, MODEL_FILE};
use crate::tracking::{file_store, rest, Sink};

/// The alias of the production model, and the one the previous champion keeps for a rollback.
pub const CHAMPION: &str = "champion";
pub const PREVIOUS: &str = "previous-champion";

/// A registered model version.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub version: u64,
    /// Where the model is: `runs:/RUN/model`, or a path.
    pub source: String,
    pub run_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A model registry: a tracking server's, or a file store's.
pub enum Registry {
    Server(rest::Client),
    Store(PathBuf),
}

impl Registry {
    /// The registry of the tracking store `sink` names.
    pub fn open(sink: &Sink) -> Result<Registry> {
        Ok(match sink {
            Sink::Server(uri) => Registry::Server(rest::Client::new(uri)?),
            Sink::Store(root) => Registry::Store(root.clone()),
        })
    }

    /// Whether registered model `name` exists (a server that cannot be reached is an error).
    pub fn exists(&self, name: &str) -> Result<bool> {
        match self {
            Registry::Server(c) => Ok(c
                .fetch("registered-models/get", &[("name", name)], false)?
                .is_some()),
            Registry::Store(root) => Ok(store::exists(root, name)),
        }
    }

    /// Registers model `name`.
    pub fn create(&self, name: &str) -> Result<()> {
        match self {
            Registry::Server(c) => c
                .post("registered-models/create", &json!({ "name": name }))
                .map(drop),
            Registry::Store(root) => store::create(root, name),
        }
    }

    /// A new version of `name` from `source`, with `tags`; returns its number.
    pub fn add_version(
        &self,
        name: &str,
        source: &str,
        run_id: Option<&str>,
        tags: &BTreeMap<String, String>,
    ) -> Result<u64> {
        match self {
            Registry::Server(c) => {
                let tags: Vec<Value> = tags
                    .iter()
                    .map(|(k, v)| json!({"key": k, "value": v}))
                    .collect();
                let mut body = json!({ "name": name, "source": source, "tags": tags });
                if let Some(run) = run_id {
                    body["run_id"] = json!(run);
                }
                let answer = c.post("model-versions/create", &body)?;
                version_number(&answer["model_version"]["version"])
            }
            Registry::Store(root) => store::add_version(root, name, source, run_id, tags),
        }
    }

    /// Version `version` of `name`, if it exists.
    pub fn version(&self, name: &str, version: u64) -> Result<Option<Version>> {
        match self {
            Registry::Server(c) => {
                let v = version.to_string();
                let answer = c.fetch(
                    "model-versions/get",
                    &[("name", name), ("version", &v)],
                    false,
                )?;
                answer
                    .map(|a| parse_version(&a["model_version"]))
                    .transpose()
            }
            Registry::Store(root) => store::version(root, name, version),
        }
    }

    /// The version `alias` of `name` points at, if it is set (the version may have been deleted
    /// since: [`Registry::version`] tells).
    pub fn alias(&self, name: &str, alias: &str) -> Result<Option<u64>> {
        let number = match self {
            Registry::Server(c) => {
                let query = [("name", name), ("alias", alias)];
                // MLflow answers an unknown alias with 400 INVALID_PARAMETER_VALUE, "... not found".
                match c.fetch("registered-models/alias", &query, false) {
                    Ok(Some(a)) => Some(version_number(&a["model_version"]["version"])?),
                    Ok(None) => None,
                    Err(e) if crate::error::chain(&e).contains("not found") => None,
                    Err(e) => return Err(e),
                }
            }
            Registry::Store(root) => store::alias(root, name, alias)?,
        };
        Ok(number)
    }

    /// Points `alias` of `name` at `version`.
    pub fn set_alias(&self, name: &str, alias: &str, version: u64) -> Result<()> {
        match self {
            Registry::Server(c) => c
                .post(
                    "registered-models/alias",
                    &json!({ "name": name, "alias": alias, "version": version.to_string() }),
                )
                .map(drop),
            Registry::Store(root) => store::set_alias(root, name, alias, version),
        }
    }

    /// Removes `alias` of `name`, if it is set.
    pub fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        match self {
            Registry::Server(c) => c
                .fetch(
                    "registered-models/alias",
                    &[("name", name), ("alias", alias)],
                    true,
                )
                .map(drop),
            Registry::Store(root) => store::delete_alias(root, name, alias),
        }
    }

    /// The model a version's `source` names: a run's `model/model.automl` artifact
    /// (`runs:/RUN/model`), or a path.
    pub fn load(&self, source: &str) -> Result<Model> {
        let run_model = source
            .strip_prefix("runs:/")
            .and_then(|rest| rest.split_once('/'));
        match (self, run_model) {
            (Registry::Server(c), Some((run, path))) => {
                let bytes = c.download(run, &format!("{path}/{MODEL_FILE}"))?;
                Model::from_bytes(&bytes).map_err(|e| Error::ModelFile {
                    path: PathBuf::from(source),
                    reason: e.to_string(),
                })
            }
            (Registry::Store(root), Some((run, path))) => Model::load(
                file_store::find_run(root, run)?
                    .join("artifacts")
                    .join(path),
            ),
            (_, None) => {
                let path = source.strip_prefix("file://").unwrap_or(source);
                Model::load(Path::new(path))
            }
        }
    }

    /// The model `uri` names (`models:/NAME@ALIAS` or `models:/NAME/VERSION`), and its version.
    pub fn resolve(&self, uri: &str) -> Result<(Model, Version)> {
        let bad = |why: &str| {
            Error::InvalidSetting(format!(
                "'{uri}' {why}: give models:/NAME@ALIAS (e.g. models:/prices@champion) or \
                 models:/NAME/VERSION"
            ))
        };
        let rest = uri
            .strip_prefix("models:/")
            .ok_or_else(|| bad("is not a models:/ URI"))?;
        let (name, number) = match (rest.split_once('@'), rest.rsplit_once('/')) {
            (Some((name, alias)), _) => {
                let number = self.alias(name, alias)?.ok_or_else(|| {
                    bad(&format!(
                        "names alias '{alias}', which registered model '{name}' does not have"
                    ))
                })?;
                (name, number)
            }
            (None, Some((name, v))) => (name, v.parse().map_err(|_| bad("has no version number"))?),
            (None, None) => return Err(bad("names no alias or version")),
        };
        let version = self.version(name, number)?.ok_or_else(|| {
            bad(&format!(
                "names version {number} of '{name}', which does not exist"
            ))
        })?;
        Ok((self.load(&version.source)?, version))
    }
}

/// A version number, which MLflow's API writes as a string.
fn version_number(v: &Value) -> Result<u64> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
        .ok_or_else(|| Error::Tracking {
            message: format!("the registry answered a version that is not a number: {v}"),
            source: None,
        })
}

fn parse_version(v: &Value) -> Result<Version> {
    let tags = v["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t["key"].as_str()?.to_string(),
                t["value"].as_str()?.to_string(),
            ))
        })
        .collect();
    Ok(Version {
        version: version_number(&v["version"])?,
        source: v["source"].as_str().unwrap_or_default().to_string(),
        run_id: v["run_id"]
            .as_str()
            .filter(|r| !r.is_empty())
            .map(String::from),
        tags,
    })
}
