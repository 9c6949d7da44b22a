//! `automl serve`: a real server on loopback and a real HTTP client (ureq) speaking MLflow's
//! scoring protocol; predictions equal the library's to the bit; bad requests get 4xx answers
//! naming what is wrong; the server counts, logs and stops gracefully.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use automl::Model;
use serde_json::{json, Value};

use crate::common::{automl, dataset, scratch_dir};

/// A served model: the child process and its base URL; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `automl serve --model model --port 0 extra...` and waits until it listens.
    fn start(model: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("automl"))
            .args(["serve", "--port", "0", "--model"])
            .arg(model)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = send.send(url);
                }
            }
        });
        let url = receive
            .recv_timeout(Duration::from_secs(30))
            .expect("the server listens within 30 s");
        Server { child, url }
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let url = format!("{}{path}", self.url);
        let mut response = match method {
            "GET" => agent.get(&url).call().unwrap(),
            _ => {
                let mut request = agent.post(&url);
                if let Some(ct) = content_type {
                    request = request.header("Content-Type", ct);
                }
                request.send(body).unwrap()
            }
        };
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    fn post_json(&self, body: &Value) -> (u16, Value) {
        let (status, text) = self.call(
            "POST",
            "/invocations",
            Some("application/json"),
            body.to_string().as_bytes(),
        );
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Runs a compare of `data` and returns its run folder.
fn trained(data: &str, target: &str, include: &str) -> PathBuf {
    let out = scratch_dir("serve-run");
    automl()
        .args([
            "compare",
            "--target",
            target,
            "--include",
            include,
            "--no-track",
            "-q",
            "--out",
        ])
        .arg(&out)
        .arg(dataset(data))
        .assert()
        .success();
    out
}

/// The rows of `data` without `target`, as MLflow's dataframe_split.
fn split(data: &str, target: &str) -> Value {
    let rows = crate::common::read_csv(&dataset(data));
    let keep: Vec<usize> = (0..rows[0].len())
        .filter(|&i| rows[0][i] != target)
        .collect();
    let columns: Vec<&str> = keep.iter().map(|&i| rows[0][i].as_str()).collect();
    let data: Vec<Vec<Value>> = rows[1..]
        .iter()
        .map(|r| {
            keep.iter()
                .map(|&i| match r[i].parse::<f64>() {
                    Ok(x) => json!(x),
                    Err(_) if r[i].is_empty() => Value::Null,
                    Err(_) => json!(r[i]),
                })
                .collect()
        })
        .collect();
    json!({"dataframe_split": {"columns": columns, "data": data}})
}

#[test]
fn predictions_equal_the_library_s_in_every_body_shape() {
    let run = trained("diabetes.csv", "progression", "ridge,gbm,knn");
    let server = Server::start(&run, &[]);
    let model = Model::load(&run).unwrap();
    let frame = automl::io::load::read_csv(&dataset("diabetes.csv"), &Default::default()).unwrap();
    let expected = model.predict(&frame).unwrap().values;

    let (status, answer) = server.post_json(&split("diabetes.csv", "progression"));
    assert_eq!(status, 200, "{answer}");
    let got: Vec<f64> = answer["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(got.len(), 442);
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g.to_bits(), e.to_bits(), "{g} vs {e}");
    }
    // The CSV body, read as `automl predict` reads a file: the same bits.
    let csv = std::fs::read(dataset("diabetes.csv")).unwrap();
    let (status, text) = server.call("POST", "/invocations", Some("text/csv"), &csv);
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let from_csv: Vec<f64> = answer["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(from_csv, got);
    // The other shapes, on two rows.
    let first = json!({"age": 59, "sex": 2, "bmi": 32.1, "bp": 101, "s1": 157, "s2": 93.2, "s3": 38, "s4": 4, "s5": 4.8598, "s6": 87});
    let second = json!({"age": 48, "sex": 1, "bmi": 21.6, "bp": 87, "s1": 183, "s2": 103.2, "s3": 70, "s4": 3, "s5": 3.8918, "s6": 69});
    let columns: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let inputs: serde_json::Map<String, Value> = columns
        .iter()
        .map(|c| (c.to_string(), json!([first[c], second[c]])))
        .collect();
    for body in [
        json!({"dataframe_records": [first, second]}),
        json!({"instances": [first, second]}),
        json!({"inputs": inputs}),
        json!({"inputs": [first, second], "params": {}}),
    ] {
        let (status, answer) = server.post_json(&body);
        assert_eq!(status, 200, "{body}: {answer}");
        let values: Vec<f64> = answer["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(values, got[..2], "{body}");
    }
}

#[test]
fn a_classifier_answers_labels_and_probabilities_when_asked() {
    let run = trained("iris.csv", "species", "lr,knn");
    let server = Server::start(&run, &[]);
    let mut body = split("iris.csv", "species");
    let (status, answer) = server.post_json(&body);
    assert_eq!(status, 200);
    let labels = answer["predictions"].as_array().unwrap();
    assert_eq!(labels.len(), 150);
    assert!(labels
        .iter()
        .all(|l| ["setosa", "versicolor", "virginica"].contains(&l.as_str().unwrap())));
    assert!(answer.get("probabilities").is_none());
    body["params"] = json!({"predict_proba": true});
    let (status, answer) = server.post_json(&body);
    assert_eq!(status, 200);
    assert_eq!(
        answer["classes"],
        json!(["setosa", "versicolor", "virginica"])
    );
    for row in answer["probabilities"].as_array().unwrap() {
        let sum: f64 = row
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-9);
    }
    let (status, metadata) = server.call("GET", "/metadata", None, b"");
    assert_eq!(status, 200);
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    assert_eq!(metadata["task"], "classification");
    assert_eq!(metadata["target"], "species");
    assert_eq!(metadata["inputs"].as_array().unwrap().len(), 4);
    assert!(metadata["data_sha256"]
        .as_str()
        .is_some_and(|s| s.len() == 64));
}

#[test]
fn bad_requests_get_4xx_answers_and_the_server_goes_on() {
    let run = trained("credit.csv", "Balance", "ridge");
    let server = Server::start(&run, &["--max-body-bytes", "20000"]);
    let row = json!({"Income": 14.891, "Limit": 3606, "Rating": 283, "Cards": 2, "Age": 34,
        "Education": 11, "Gender": "Male", "Student": "No", "Married": "Yes", "Ethnicity": "Caucasian"});
    let bad = |body: Value, needle: &str| {
        let (status, answer) = server.post_json(&body);
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error_code"], "BAD_REQUEST");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body}: {message}");
    };
    let mut missing = row.clone();
    missing.as_object_mut().unwrap().remove("Limit");
    bad(json!({"dataframe_records": [missing]}), "'Limit'");
    let mut wrong = row.clone();
    wrong["Rating"] = json!("high");
    bad(
        json!({"dataframe_records": [row, wrong]}),
        "column 'Rating', data row 2",
    );
    bad(json!({"dataframe_records": []}), "no rows");
    bad(json!({"records": [row]}), "unknown field");
    let (status, text) = server.call(
        "POST",
        "/invocations",
        Some("application/json"),
        b"{\"dataframe_records\": [",
    );
    assert_eq!(status, 400, "{text}");
    let (status, _) = server.call("POST", "/invocations", Some("application/json"), b"");
    assert_eq!(status, 400);
    let (status, _) = server.call("POST", "/invocations", Some("text/plain"), b"x");
    assert_eq!(status, 415);
    let (status, _) = server.call("POST", "/invocations", None, b"{}");
    assert_eq!(status, 415);
    let big = vec![b' '; 30_000];
    let (status, text) = server.call("POST", "/invocations", Some("application/json"), &big);
    assert_eq!(status, 413, "{text}");
    let (status, _) = server.call("GET", "/nothing", None, b"");
    assert_eq!(status, 404);
    // Unseen levels and missing values are predicted as `automl predict` does, with warnings.
    let mut unseen = row.clone();
    unseen["Ethnicity"] = json!("Martian");
    unseen["Income"] = Value::Null;
    let (status, answer) = server.post_json(&json!({"dataframe_records": [unseen]}));
    assert_eq!(status, 200, "{answer}");
    let warnings = answer["warnings"].to_string();
    assert!(
        warnings.contains("Martian") && warnings.contains("'Income'"),
        "{warnings}"
    );
    // Still up, and counting.
    let (status, _) = server.call("GET", "/ping", None, b"");
    assert_eq!(status, 200);
    let (_, metrics) = server.call("GET", "/metrics", None, b"");
    assert!(
        metrics.contains("automl_requests_total{route=\"/invocations\",code=\"400\"} 6"),
        "{metrics}"
    );
    assert!(
        metrics.contains("automl_errors_total{route=\"/invocations\",code=\"415\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("automl_rows_predicted_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("automl_request_duration_seconds_bucket{"),
        "{metrics}"
    );
}

#[test]
fn concurrent_requests_are_logged_whole_and_sigterm_stops_gracefully() {
    let run = trained("diabetes.csv", "progression", "ridge");
    let log = scratch_dir("serve-log").join("predictions.jsonl");
    let log_arg = log.to_str().unwrap().to_string();
    let mut server = Server::start(&run, &["--log-predictions", &log_arg]);
    let body = split("diabetes.csv", "progression");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..10 {
                    let (status, answer) = server.post_json(&body);
                    assert_eq!(status, 200, "{answer}");
                }
            });
        }
    });
    assert!(started.elapsed() < Duration::from_secs(60));
    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 40);
    let mut ids: Vec<u64> = lines
        .iter()
        .map(|l| l["request_id"].as_u64().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 40);
    for line in &lines {
        assert_eq!(line["rows"].as_array().unwrap().len(), 442);
        assert_eq!(line["predictions"].as_array().unwrap().len(), 442);
        assert!(line["latency_ms"].as_f64().unwrap() >= 0.0);
    }
    // SIGTERM: the server stops and exits 0.
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
