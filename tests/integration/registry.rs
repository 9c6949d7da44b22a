//! `automl promote` on MLflow's file-store registry: three promotes of one name (v1 champion,
//! a worse v2 kept, a better v3 promoted, v1 kept as previous-champion), `models:/` URIs in
//! predict, bad input, and two promotes racing on one name. (CI runs the same on a real
//! `mlflow server` and checks both with MLflow's client.)

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{automl, dataset, scratch_dir};

/// Train and validation files of diabetes: the first 350 rows, and the rest.
fn split(dir: &Path) -> (PathBuf, PathBuf) {
    let text = std::fs::read_to_string(dataset("diabetes.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (train, valid) = (dir.join("train.csv"), dir.join("valid.csv"));
    std::fs::write(&train, lines[..351].join("\n") + "\n").unwrap();
    let rest: Vec<&str> = std::iter::once(lines[0])
        .chain(lines[351..].iter().copied())
        .collect();
    std::fs::write(&valid, rest.join("\n") + "\n").unwrap();
    (train, valid)
}

fn trained(dir: &Path, train: &Path, include: &str, store: &Path) -> PathBuf {
    let out = dir.join(format!("run-{include}"));
    automl()
        .args([
            "compare",
            "--target",
            "progression",
            "--include",
            include,
            "-q",
            "--out",
        ])
        .arg(&out)
        .arg("--tracking-dir")
        .arg(store)
        .arg(train)
        .assert()
        .success();
    out
}

fn promote(run: &Path, valid: &Path, store: &Path, name: &str) -> (i32, Value, String) {
    let out = scratch_dir("promote-out");
    let output = automl()
        .args(["promote", "--name", name, "--model"])
        .arg(run)
        .arg("--data")
        .arg(valid)
        .arg("--tracking-dir")
        .arg(store)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let json = std::fs::read(out.join("promote.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap(), json, text)
}

fn alias(store: &Path, name: &str, alias: &str) -> Option<String> {
    std::fs::read_to_string(store.join("models").join(name).join("aliases").join(alias)).ok()
}

#[test]
fn only_a_better_challenger_becomes_champion() {
    let dir = scratch_dir("registry");
    let store = dir.join("mlruns");
    let (train, valid) = split(&dir);
    let [tree, mean, ridge] = ["dt", "mean", "ridge"].map(|m| trained(&dir, &train, m, &store));

    let (code, first, text) = promote(&tree, &valid, &store, "progression");
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        (first["version"].as_u64(), first["decision"].as_str()),
        (Some(1), Some("promoted"))
    );
    assert!(
        text.contains("registered model 'progression' created"),
        "{text}"
    );
    let (code, worse, text) = promote(&mean, &valid, &store, "progression");
    assert_eq!(code, 3, "{text}");
    assert_eq!(
        (
            worse["version"].as_u64(),
            worse["champion_version"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(worse["comparison"], "validation data");
    let (code, better, text) = promote(&ridge, &valid, &store, "progression");
    assert_eq!(code, 0, "{text}");
    assert_eq!(better["version"], 3);
    assert!(better["challenger_score"].as_f64() < better["champion_score"].as_f64());
    assert_eq!(
        alias(&store, "progression", "champion").as_deref(),
        Some("3")
    );
    assert_eq!(
        alias(&store, "progression", "previous-champion").as_deref(),
        Some("1")
    );
    let tags = store.join("models/progression/version-2/tags");
    assert_eq!(
        std::fs::read_to_string(tags.join("automl.decision")).unwrap(),
        "kept"
    );
    assert!(tags.join("automl.score.rmse").is_file());
    // The version's source is the tracked run's model.
    let meta =
        std::fs::read_to_string(store.join("models/progression/version-3/meta.yaml")).unwrap();
    assert!(meta.contains("source: \"runs:/"), "{meta}");

    // models:/ URIs predict with the champion, or a version.
    for uri in ["models:/progression@champion", "models:/progression/3"] {
        let output = automl()
            .args(["predict", "--model", uri, "--tracking-dir"])
            .arg(&store)
            .arg(&valid)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // A header, then one prediction per validation row.
        assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 93);
    }
    let output = automl()
        .args([
            "predict",
            "--model",
            "models:/progression@nope",
            "--tracking-dir",
        ])
        .arg(&store)
        .arg(&valid)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("alias 'nope'"));

    // Bad input: validation data without the target; a challenger of another task.
    let no_target = dir.join("no-target.csv");
    let text = std::fs::read_to_string(&valid).unwrap();
    let cut: Vec<String> = text
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect();
    std::fs::write(&no_target, cut.join("\n") + "\n").unwrap();
    let (code, _, text) = promote(&ridge, &no_target, &store, "progression");
    assert_eq!(code, 2);
    assert!(text.contains("target column 'progression'"), "{text}");
    let iris = dir.join("iris-run");
    automl()
        .args([
            "compare",
            "--target",
            "species",
            "--include",
            "lr",
            "-q",
            "--no-track",
            "--out",
        ])
        .arg(&iris)
        .arg(dataset("iris.csv"))
        .assert()
        .success();
    let (code, _, text) = promote(&iris, &dataset("iris.csv"), &store, "progression");
    assert_eq!(code, 2);
    assert!(text.contains("another name"), "{text}");
    // Neither bad promote registered a version.
    assert!(!store.join("models/progression/version-4").exists());

    // A registry that cannot be reached fails at once, before any scoring.
    let started = std::time::Instant::now();
    let output = automl()
        .args([
            "promote",
            "--name",
            "progression",
            "--tracking-uri",
            "http://127.0.0.1:9",
        ])
        .arg("--model")
        .arg(&ridge)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(String::from_utf8_lossy(&output.stderr).contains("127.0.0.1:9"));

    // An alias left on a deleted version counts as no champion, and is moved.
    let aliases = store.join("models/progression/aliases");
    std::fs::write(aliases.join("champion"), "9").unwrap();
    let (code, json, text) = promote(&mean, &valid, &store, "progression");
    assert_eq!(code, 0, "{text}");
    assert_eq!(json["version"], 4);
    assert!(text.contains("version 9, which no longer exists"), "{text}");
    assert_eq!(
        alias(&store, "progression", "champion").as_deref(),
        Some("4")
    );
}

#[test]
fn racing_promotes_take_distinct_versions_and_the_alias_names_one() {
    let dir = scratch_dir("registry-race");
    let store = dir.join("mlruns");
    let (train, valid) = split(&dir);
    let run = trained(&dir, &train, "ridge", &store);
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("automl"));
            cmd.args(["promote", "--name", "raced", "--model"])
                .arg(&run)
                .arg("--data")
                .arg(&valid)
                .arg("--tracking-dir")
                .arg(&store)
                .arg("--out")
                .arg(scratch_dir("race-out"))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut racer in racers {
        let code = racer.wait().unwrap().code();
        assert!(matches!(code, Some(0) | Some(3)), "{code:?}");
    }
    let versions: Vec<String> = std::fs::read_dir(store.join("models/raced"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("version-"))
        .collect();
    assert_eq!(versions.len(), 4, "{versions:?}");
    let champion = alias(&store, "raced", "champion").unwrap();
    assert!(store
        .join(format!("models/raced/version-{champion}/meta.yaml"))
        .is_file());
}
