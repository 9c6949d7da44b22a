//! A running MLflow tracking server, over its REST API (`/api/2.0/mlflow/...`): the same runs the
//! file store gets, created with `runs/create`, filled with `runs/log-batch`, their artifacts
//! uploaded through the server's artifact proxy, and closed with `runs/update`.

use std::time::Duration;

use serde_json::{json, Value};

use super::{Logged, Record, Run};
use crate::error::{BoxError, Error, Result, Setting};

/// Most params plus tags, and most metrics, in one `log-batch` call (MLflow's limits).
const BATCH_TAGS: usize = 100;
const BATCH_METRICS: usize = 1000;
const ARTIFACT_SCHEME: &str = "mlflow-artifacts:";

/// A tracking server at a base URI such as `http://127.0.0.1:5000`.
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    pub fn new(uri: &str) -> Result<Client> {
        let base = uri.trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&base).map_err(|e| bad_uri(uri, &e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(bad_uri(
                uri,
                "it must be http://HOST:PORT or https://HOST:PORT",
            ));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Ok(Client { agent, base })
    }

    fn fail(&self, what: &str, reason: impl Into<BoxError>) -> Error {
        Error::Tracking {
            message: format!("{what} on {} failed", self.base),
            source: Some(reason.into()),
        }
    }

    /// Turns a response into its JSON body, or an error carrying MLflow's message.
    fn answer(
        &self,
        what: &str,
        response: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, Value)> {
        let mut response = response.map_err(|e| self.fail(what, e))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| self.fail(what, e))?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) || status == 404 {
            return Ok((status, body));
        }
        let message = body["message"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| text.chars().take(300).collect());
        Err(self.fail(what, format!("HTTP {status}: {message}")))
    }

    pub(crate) fn post(&self, endpoint: &str, body: &Value) -> Result<Value> {
        let url = format!("{}/api/2.0/mlflow/{endpoint}", self.base);
        let response = self.agent.post(&url).send_json(body);
        match self.answer(endpoint, response)? {
            (404, body) => Err(self.fail(endpoint, format!("HTTP 404: {body}"))),
            (_, body) => Ok(body),
        }
    }

    /// A GET (or, `delete`, a DELETE) of `endpoint` with `query`: the body, or `None` when the
    /// server answers 404 (no such resource).
    pub(crate) fn fetch(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
        delete: bool,
    ) -> Result<Option<Value>> {
        let url = format!("{}/api/2.0/mlflow/{endpoint}", self.base);
        let response = match delete {
            true => self
                .agent
                .delete(&url)
                .query_pairs(query.iter().copied())
                .call(),
            false => self
                .agent
                .get(&url)
                .query_pairs(query.iter().copied())
                .call(),
        };
        match self.answer(endpoint, response)? {
            (404, _) => Ok(None),
            (_, body) => Ok(Some(body)),
        }
    }

    /// Downloads the artifact at `path` of run `run_id` through the server's artifact proxy.
    pub(crate) fn download(&self, run_id: &str, path: &str) -> Result<Vec<u8>> {
        let run = self
            .fetch("runs/get", &[("run_id", run_id)], false)?
            .ok_or_else(|| self.fail("runs/get", format!("no run {run_id}")))?;
        let uri = run["run"]["info"]["artifact_uri"].as_str().unwrap_or("");
        let Some(rest) = proxied_path(uri) else {
            return Err(self.fail(
                "artifact download",
                format!(
                    "run {run_id} keeps its artifacts at {uri}, which the server does not proxy"
                ),
            ));
        };
        let url = format!(
            "{}/api/2.0/mlflow-artifacts/artifacts/{rest}/{path}",
            self.base
        );
        let mut response = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| self.fail("artifact download", e))?;
        if response.status().as_u16() != 200 {
            return Err(self.fail(
                "artifact download",
                format!("HTTP {} for {url}", response.status()),
            ));
        }
        response
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .map_err(|e| self.fail("artifact download", e))
    }

    /// The id of experiment `name`, if the server has it.
    pub fn find_experiment(&self, name: &str) -> Result<Option<String>> {
        let url = format!("{}/api/2.0/mlflow/experiments/get-by-name", self.base);
        let response = self.agent.get(&url).query("experiment_name", name).call();
        match self.answer("experiments/get-by-name", response)? {
            (404, _) => Ok(None),
            (_, body) => Ok(body["experiment"]["experiment_id"]
                .as_str()
                .map(String::from)),
        }
    }

    fn experiment(&self, name: &str) -> Result<String> {
        if let Some(id) = self.find_experiment(name)? {
            return Ok(id);
        }
        let (key, value) = super::EXPERIMENT_KIND;
        let body = self.post(
            "experiments/create",
            &json!({ "name": name, "tags": [{"key": key, "value": value}] }),
        )?;
        body["experiment_id"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| self.fail("experiments/create", "no experiment_id in the answer"))
    }

    /// Creates, fills and closes one run; returns its id and any artifact problem.
    fn log_run(
        &self,
        experiment_id: &str,
        run: &Run,
        parent: Option<&str>,
    ) -> Result<(String, Option<String>)> {
        let pairs = |v: &[(String, String)]| -> Vec<Value> {
            v.iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect()
        };
        let mut tags = run.tags.clone();
        tags.extend(parent.map(|p| ("mlflow.parentRunId".to_string(), p.to_string())));
        let created = self.post(
            "runs/create",
            &json!({
                "experiment_id": experiment_id,
                "run_name": run.name,
                "start_time": run.start_ms,
                "user_id": run.user,
                "tags": pairs(&tags),
            }),
        )?;
        let info = &created["run"]["info"];
        let run_id = info["run_id"]
            .as_str()
            .ok_or_else(|| self.fail("runs/create", "no run_id in the answer"))?
            .to_string();
        for params in run.params.chunks(BATCH_TAGS) {
            self.post(
                "runs/log-batch",
                &json!({"run_id": run_id, "params": pairs(params)}),
            )?;
        }
        let metrics: Vec<Value> = run
            .metrics
            .iter()
            .map(|(k, v)| json!({"key": k, "value": v, "timestamp": run.end_ms, "step": 0}))
            .collect();
        for batch in metrics.chunks(BATCH_METRICS) {
            self.post(
                "runs/log-batch",
                &json!({"run_id": run_id, "metrics": batch}),
            )?;
        }
        let artifact_uri = info["artifact_uri"].as_str().unwrap_or_default();
        let problem = if run.artifacts.is_empty() {
            None
        } else {
            self.upload(artifact_uri, run)?
        };
        self.post(
            "runs/update",
            &json!({"run_id": run_id, "status": run.status.name(), "end_time": run.end_ms}),
        )?;
        Ok((run_id, problem))
    }

    /// Uploads a run's artifacts through the server's proxy. A server that does not proxy
    /// artifacts (its artifact URI is not `mlflow-artifacts:`) is reported, not an error.
    fn upload(&self, artifact_uri: &str, run: &Run) -> Result<Option<String>> {
        let Some(rest) = proxied_path(artifact_uri) else {
            return Ok(Some(format!(
                "the server stores artifacts at {artifact_uri}, which it does not proxy; start \
                 it with --artifacts-destination (the default) to receive them. The files are \
                 in the local run folder"
            )));
        };
        for artifact in &run.artifacts {
            let url = format!(
                "{}/api/2.0/mlflow-artifacts/artifacts/{rest}/{}",
                self.base, artifact.path
            );
            let response = self.agent.put(&url).send(&artifact.bytes[..]);
            if let (404, _) = self.answer("artifact upload", response)? {
                return Err(self.fail("artifact upload", format!("HTTP 404 for {url}")));
            }
        }
        Ok(None)
    }
}

/// The path under the server's artifact proxy of an artifact URI it proxies:
/// `mlflow-artifacts:/1/<run>/artifacts` or `mlflow-artifacts://host/1/<run>/artifacts`.
fn proxied_path(artifact_uri: &str) -> Option<&str> {
    let rest = artifact_uri.strip_prefix(ARTIFACT_SCHEME)?;
    Some(match rest.strip_prefix("//") {
        Some(hosted) => hosted.split_once('/').map_or("", |(_, path)| path),
        None => rest.trim_start_matches('/'),
    })
}

fn bad_uri(uri: &str, reason: &str) -> Error {
    Error::InvalidSetting(format!(
        "{} '{uri}' is not usable: {reason}",
        Setting::TrackingUri
    ))
}

/// Checks that the server answers before a long compare starts.
pub fn check(uri: &str, experiment: &str) -> Result<()> {
    Client::new(uri)?.find_experiment(experiment).map(drop)
}

/// Logs `record` to the server at `uri` under `experiment` (created if needed). Returns where,
/// and messages about artifacts the server could not take.
pub fn log(uri: &str, experiment: &str, record: &Record) -> Result<(Logged, Vec<String>)> {
    let client = Client::new(uri)?;
    let experiment_id = client.experiment(experiment)?;
    let (parent_id, problem) = client.log_run(&experiment_id, &record.parent, None)?;
    let mut problems: Vec<String> = problem.into_iter().collect();
    for child in &record.children {
        let (_, problem) = client.log_run(&experiment_id, child, Some(&parent_id))?;
        problems.extend(problem.filter(|p| !problems.contains(p)));
    }
    Ok((
        Logged {
            location: format!(
                "{}/#/experiments/{experiment_id}/runs/{parent_id}",
                client.base
            ),
            experiment_id,
            run_id: parent_id,
        },
        problems,
    ))
}
