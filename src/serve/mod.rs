//! `automl serve`: an exported model behind HTTP (axum on tokio), speaking MLflow's scoring
//! protocol so that clients written for `mlflow models serve` work unchanged:
//! `POST /invocations` (JSON in one of MLflow's four shapes, or CSV; see [`body`]) answers
//! `{"predictions": [...]}`; `GET /ping` and `/health`, `GET /version`, and two of our own:
//! `GET /metadata` (the model's schema and scores) and `GET /metrics` (Prometheus, see
//! [`metrics`]). Predictions run on tokio's blocking pool, one per core at a time, so every core
//! serves and waiting requests are taken in turn; a bad request
//! is a 4xx answer naming what is wrong; SIGTERM or Ctrl-C stops accepting and lets the requests
//! in flight finish. Predictions equal `automl predict`'s to the bit: the rows are read by the
//! same code.

mod body;
mod log;
mod metrics;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use polars::prelude::{AnyValue, DataFrame};
use serde_json::{json, Value};

use crate::error::{chain, Error, Result};
use crate::model::Model;

pub use body::{parse, records_frame, BodyError, ScoringRequest, SHAPES};
pub use log::PredictionLog;
pub use metrics::Metrics;

/// Largest request body accepted by default (bytes); larger ones are answered 413.
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct Options {
    pub host: String,
    pub port: u16,
    /// Append every request's rows and predictions to this JSON-lines file.
    pub log_predictions: Option<PathBuf>,
    pub max_body_bytes: usize,
    /// The MLflow run the model was logged to, if known, for `GET /metadata`.
    pub run_id: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            host: "127.0.0.1".into(),
            port: 8080,
            log_predictions: None,
            max_body_bytes: MAX_BODY_BYTES,
            run_id: None,
        }
    }
}

/// What every request shares.
struct App {
    model: Model,
    metadata: Value,
    metrics: Metrics,
    log: Option<PredictionLog>,
    requests: AtomicU64,
    max_body_bytes: usize,
    /// One prediction per core at a time: the others wait their turn in order, rather than all
    /// sharing the cores and all finishing late.
    cores: tokio::sync::Semaphore,
}

/// Serves `model` until SIGTERM or Ctrl-C; `ready` is called with the bound address once the
/// server listens (port 0 picks a free one).
pub fn serve(model: Model, options: &Options, ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let log = options
        .log_predictions
        .as_deref()
        .map(PredictionLog::open)
        .transpose()?;
    let app = Arc::new(App {
        metadata: metadata(&model, options.run_id.as_deref()),
        model,
        metrics: Metrics::default(),
        log,
        requests: AtomicU64::new(0),
        max_body_bytes: options.max_body_bytes,
        cores: tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        ),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("starting the server's runtime: {e}")))?;
    let address = format!("{}:{}", options.host, options.port);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|e| Error::InvalidSetting(format!("cannot listen on {address}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::Internal(format!("the listening address: {e}")))?;
        ready(bound);
        axum::serve(listener, router(app))
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| Error::Internal(format!("serving: {e}")))
    })
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/invocations", post(invocations))
        .route("/ping", get(ping))
        .route("/health", get(ping))
        .route("/version", get(version))
        .route("/metadata", get(metadata_route))
        .route("/metrics", get(metrics_route))
        .route_layer(middleware::from_fn_with_state(app.clone(), track))
        .fallback(not_found)
        .layer(DefaultBodyLimit::disable())
        .with_state(app)
}

/// Counts every routed answer by route and code, with its latency.
async fn track(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |m| m.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    app.metrics
        .answered(&route, response.status().as_u16(), started.elapsed());
    response
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// An error answer in MLflow's shape.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error_code": code, "message": message});
    (status, axum::Json(body)).into_response()
}

async fn not_found(request: Request) -> Response {
    let message = format!(
        "no route {} {}: POST /invocations, GET /ping, /health, /version, /metadata, /metrics",
        request.method(),
        request.uri().path()
    );
    error(StatusCode::NOT_FOUND, "ENDPOINT_NOT_FOUND", &message)
}

async fn ping() -> &'static str {
    "\n"
}

async fn version() -> Response {
    axum::Json(json!({
        "automl_version": env!("CARGO_PKG_VERSION"),
        "model_format": crate::model::FORMAT_VERSION,
    }))
    .into_response()
}

async fn metadata_route(State(app): State<Arc<App>>) -> Response {
    axum::Json(app.metadata.clone()).into_response()
}

async fn metrics_route(State(app): State<Arc<App>>) -> Response {
    let mut response = app.metrics.text().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Why a scoring request got no predictions.
enum Failure {
    Body(BodyError),
    Bad(String),
    Internal(String),
}

async fn invocations(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let limit = app.max_body_bytes;
    let bytes = match axum::body::to_bytes(request.into_body(), limit).await {
        Ok(bytes) => bytes.to_vec(),
        Err(_) => {
            let message =
                format!("the body is over the limit of {limit} bytes; send fewer rows per request");
            return error(StatusCode::PAYLOAD_TOO_LARGE, "BAD_REQUEST", &message);
        }
    };
    let id = app.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let Ok(_turn) = app.cores.acquire().await else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "INTERNAL_ERROR",
            "the server is stopping",
        );
    };
    let worker = app.clone();
    let answer = tokio::task::spawn_blocking(move || {
        predict(&worker, content_type.as_deref(), bytes, id, started)
    })
    .await;
    match answer {
        Ok(Ok(body)) => {
            let mut response = Response::new(Body::from(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Ok(Err(Failure::Body(BodyError::MediaType(m)))) => {
            error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "BAD_REQUEST", &m)
        }
        Ok(Err(Failure::Body(BodyError::Bad(m)) | Failure::Bad(m))) => {
            error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &m)
        }
        Ok(Err(Failure::Internal(m))) => {
            error(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", &m)
        }
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            &format!("the prediction did not finish: {e}"),
        ),
    }
}

/// Parses, predicts and answers one request (on the blocking pool).
fn predict(
    app: &App,
    content_type: Option<&str>,
    bytes: Vec<u8>,
    id: u64,
    started: Instant,
) -> std::result::Result<Vec<u8>, Failure> {
    let request = body::parse(content_type, bytes).map_err(Failure::Body)?;
    let predictions = app
        .model
        .predict(&request.rows)
        .map_err(|e| match e.is_user_error() {
            true => Failure::Bad(chain(&e)),
            false => Failure::Internal(chain(&e)),
        })?;
    app.metrics.predicted(predictions.values.len());
    let values: Vec<Value> = match predictions.labels() {
        Some(labels) => labels.into_iter().map(|l| json!(l)).collect(),
        None => predictions.values.iter().map(|&v| json!(v)).collect(),
    };
    let mut answer = json!({ "predictions": values });
    if let (true, Some(proba)) = (request.proba, &predictions.proba) {
        answer["probabilities"] = json!(proba
            .rows()
            .into_iter()
            .map(|r| r.to_vec())
            .collect::<Vec<_>>());
        answer["classes"] = json!(predictions.classes);
    }
    if !predictions.warnings.is_empty() {
        answer["warnings"] = json!(predictions.warnings);
    }
    if let Some(log) = &app.log {
        let line = json!({
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "request_id": id,
            "rows": records(&request.rows),
            "predictions": answer["predictions"],
            "latency_ms": started.elapsed().as_secs_f64() * 1e3,
        });
        log.append(&line)
            .map_err(|e| Failure::Internal(chain(&e)))?;
    }
    serde_json::to_vec(&answer).map_err(|e| Failure::Internal(format!("writing the answer: {e}")))
}

/// The rows as JSON objects, column by column.
fn records(rows: &DataFrame) -> Vec<Value> {
    (0..rows.height())
        .map(|i| {
            let fields = rows.columns().iter().map(|c| {
                let value = match c.get(i) {
                    Ok(AnyValue::Null) | Err(_) => Value::Null,
                    Ok(AnyValue::Boolean(b)) => json!(b),
                    Ok(AnyValue::String(s)) => json!(s),
                    Ok(AnyValue::StringOwned(s)) => json!(s.as_str()),
                    Ok(v) => v
                        .extract::<f64>()
                        .map_or_else(|| json!(v.to_string()), |x| json!(x)),
                };
                (c.name().to_string(), value)
            });
            Value::Object(fields.collect())
        })
        .collect()
}

/// What `GET /metadata` answers: the model's setting, schema and scores.
fn metadata(model: &Model, run_id: Option<&str>) -> Value {
    json!({
        "algorithm": model.algorithm,
        "name": model.name,
        "backend": model.backend,
        "params": model.params,
        "target": model.target,
        "task": if model.classes.is_empty() { "regression" } else { "classification" },
        "classes": model.classes,
        "inputs": model.inputs,
        "cv": model.cv,
        "rows": model.rows,
        "seed": model.seed,
        "created": model.created,
        "automl_version": model.automl_version,
        "format_version": model.format_version,
        "members": model.members.iter().map(|m| json!({
            "algorithm": m.algorithm, "params": m.params, "weight": m.weight,
        })).collect::<Vec<_>>(),
        "data_sha256": model.data_sha256,
        "run_id": run_id,
    })
}
