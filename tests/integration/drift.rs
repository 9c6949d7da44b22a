//! `automl drift`: the real binary on bundled data: unchanged rows do not drift, a shifted
//! column drifts alone, enough drifted columns exit 3; a classifier's predictions and target;
//! a serve prediction log; bad input exits 2 naming what is wrong, with nothing written.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{automl, dataset, read_csv, scratch_dir};

/// A compare of `data` restricted to `include`; returns its run folder.
fn trained(data: &str, target: &str, include: &str) -> PathBuf {
    let out = scratch_dir("drift-run");
    automl()
        .args(["compare", "--target", target, "--include", include])
        .args(["--no-track", "-q", "--out"])
        .arg(&out)
        .arg(dataset(data))
        .assert()
        .success();
    out
}

/// Writes `data` with `shift` added to each named numeric column.
fn shifted(data: &str, columns: &[&str], shift: f64) -> PathBuf {
    let rows = read_csv(&dataset(data));
    let index: Vec<usize> = columns
        .iter()
        .map(|c| rows[0].iter().position(|h| h == c).unwrap())
        .collect();
    let path = scratch_dir("drift-data").join(data);
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&rows[0]).unwrap();
    for row in &rows[1..] {
        let mut row = row.clone();
        for &i in &index {
            row[i] = (row[i].parse::<f64>().unwrap() + shift).to_string();
        }
        writer.write_record(&row).unwrap();
    }
    writer.flush().unwrap();
    path
}

/// Runs `automl drift` and returns its exit code and drift.json.
fn drift(model: &Path, data: &Path) -> (i32, Value) {
    let out = scratch_dir("drift-out");
    let output = automl()
        .args(["drift", "--model"])
        .arg(model)
        .arg(data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let json = std::fs::read(out.join("drift.json"))
        .unwrap_or_else(|_| panic!("no drift.json: {}", String::from_utf8_lossy(&output.stderr)));
    let html = std::fs::read_to_string(out.join("drift.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("id=\"drift-table\""));
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&json).unwrap(),
    )
}

fn drifted(json: &Value) -> Vec<String> {
    json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["drifted"] == true)
        .map(|c| c["column"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_shifted_column_drifts_alone_and_enough_drifted_columns_exit_3() {
    let run = trained("diabetes.csv", "progression", "ridge");
    let (code, same) = drift(&run, &dataset("diabetes.csv"));
    assert_eq!(code, 0);
    assert_eq!(same["columns_total"], 10);
    assert!(drifted(&same).is_empty(), "{same}");
    assert_eq!(same["columns"][0]["test"], "ks");
    assert_eq!(same["columns"][0]["score"], 1.0);
    // The target is there: the model is scored on the rows, beside its CV estimate.
    assert_eq!(same["target"]["drifted"], false);
    let rmse = &same["performance"][0];
    assert_eq!(rmse["metric"], "rmse");
    assert!(rmse["current"].as_f64().unwrap() > 0.0 && rmse["cv_mean"].as_f64().unwrap() > 0.0);

    let (code, one) = drift(&run, &shifted("diabetes.csv", &["bmi"], 4.0));
    assert_eq!((code, drifted(&one)), (0, vec!["bmi".to_string()]));
    assert_eq!(one["dataset_drift"], false);
    assert_eq!(
        one["prediction"]["drifted"], true,
        "the predictions move with bmi"
    );

    let moved = ["age", "bmi", "bp", "s1", "s2"];
    let (code, many) = drift(&run, &shifted("diabetes.csv", &moved, 30.0));
    assert_eq!(code, 3);
    assert_eq!(many["dataset_drift"], true);
    assert_eq!(many["drifted_columns"], 5);
}

#[test]
fn a_classifier_s_levels_predictions_and_target_are_compared() {
    let run = trained("credit.csv", "Student", "lr");
    let (code, json) = drift(&run, &dataset("credit.csv"));
    assert_eq!(code, 0, "{json}");
    let gender = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "Gender")
        .unwrap();
    assert_eq!(
        (&gender["kind"], &gender["test"]),
        (&Value::from("categorical"), &Value::from("z"))
    );
    assert_eq!(json["prediction"]["kind"], "categorical");
    assert_eq!(json["target"]["score"], 1.0);
    let metrics: Vec<&str> = json["performance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["metric"].as_str().unwrap())
        .collect();
    assert!(metrics.contains(&"accuracy"), "{metrics:?}");
}

#[test]
fn a_prediction_log_is_read_as_rows() {
    let run = trained("diabetes.csv", "progression", "ridge");
    let rows = read_csv(&dataset("diabetes.csv"));
    let mut log = String::new();
    for (i, chunk) in rows[1..].chunks(50).enumerate() {
        let records: Vec<Value> = chunk
            .iter()
            .map(|r| {
                let fields = rows[0].iter().zip(r).filter(|(h, _)| *h != "progression");
                Value::Object(
                    fields
                        .map(|(h, v)| (h.clone(), Value::from(v.parse::<f64>().unwrap())))
                        .collect(),
                )
            })
            .collect();
        log.push_str(&format!(
            "{{\"time\":\"t\",\"request_id\":{i},\"rows\":{},\"predictions\":[],\"latency_ms\":1}}\n",
            Value::Array(records)
        ));
    }
    let path = scratch_dir("drift-log").join("predictions.jsonl");
    std::fs::write(&path, log).unwrap();
    let (code, json) = drift(&run, &path);
    assert_eq!((code, json["rows_current"].as_u64()), (0, Some(442)));
    assert!(drifted(&json).is_empty());
    assert!(json["target"].is_null() && json["performance"].as_array().unwrap().is_empty());
}

#[test]
fn bad_input_exits_2_naming_the_problem_and_writes_nothing() {
    let run = trained("diabetes.csv", "progression", "ridge");
    let scratch = scratch_dir("drift-bad");
    let write = |name: &str, text: &str| {
        let path = scratch.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let header = "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6";
    let cases: Vec<(PathBuf, &str)> = vec![
        (write("missing.csv", "age,sex\n1,2\n"), "'bmi'"),
        (write("header.csv", &format!("{header}\n")), "no data rows"),
        (write("empty.csv", ""), "empty.csv"),
        (
            write("typed.csv", &format!("{header}\n1,2,x,4,5,6,7,8,9,10\n")),
            "column 'bmi', data row 1",
        ),
        (
            write(
                "log.jsonl",
                "{\"rows\": [{\"age\": 1}]}\n{oops\n{\"x\":1}\n",
            ),
            "line 2 is not JSON",
        ),
    ];
    for (data, expected) in cases {
        let out = scratch.join("out");
        let output = automl()
            .args(["drift", "--model"])
            .arg(&run)
            .arg(&data)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {stderr}",
            data.display()
        );
        assert!(stderr.contains(expected), "{}: {stderr}", data.display());
        assert!(!out.exists(), "nothing is written for {}", data.display());
    }
    // A model file exported before drift existed has no reference profile.
    let old = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/models/cars93-dt.automl");
    let output = automl()
        .args(["drift", "--model"])
        .arg(&old)
        .arg(dataset("cars93.csv"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no reference profile"));
    let output = automl()
        .args(["drift", "--drift-share", "0", "--model"])
        .arg(&run)
        .arg(dataset("diabetes.csv"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("drift share"));
}
