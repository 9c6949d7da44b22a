//! The `automl` binary end to end.

use predicates::prelude::*;
use serde_json::Value;

use crate::common::{automl, data_file, dataset, file_names, leaderboard_without_times, read_csv};

#[test]
fn compare_prints_and_writes_the_leaderboard_and_profile() {
    let out = tempfile::tempdir().unwrap();
    automl()
        .args([
            "compare",
            "--target",
            "progression",
            "--quiet",
            "--top",
            "5",
            "--out",
        ])
        .arg(out.path())
        .arg(dataset("diabetes.csv"))
        .assert()
        .success()
        .stdout(predicate::str::contains("442 rows x 11 columns"))
        .stdout(predicate::str::contains("RMSE*"))
        .stdout(predicate::str::contains("more in leaderboard.csv"));

    let rows = read_csv(&out.path().join("leaderboard.csv"));
    assert_eq!(
        rows[0][..7],
        ["rank", "model", "name", "backend", "params", "status", "error"]
    );
    assert_eq!(rows[0].last().unwrap(), "fit_seconds");
    let candidates: usize = automl::algorithms::for_task(automl::Task::Regression)
        .iter()
        .filter(|a| a.in_default_sweep())
        .map(|a| a.grid().len())
        .sum();
    // The grid, the greedy ensemble and the stack.
    assert_eq!(rows.len() - 1, candidates + 2);
    let rmse_at = rows[0].iter().position(|h| h == "rmse_mean").unwrap();
    let rmses: Vec<f64> = rows[1..]
        .iter()
        .map(|r| r[rmse_at].parse().unwrap())
        .collect();
    assert!(
        rmses.windows(2).all(|w| w[0] <= w[1]),
        "ranked by rmse: {rmses:?}"
    );

    let profile: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("profile.json")).unwrap())
            .unwrap();
    assert_eq!(profile["rows"], 442);
    assert_eq!(profile["target"]["column"]["name"], "progression");
    assert_eq!(profile["features"].as_array().unwrap().len(), 10);
    // Nothing but the outputs is left behind (no temporary files).
    let files = file_names(out.path());
    assert_eq!(
        files,
        [
            "leaderboard.csv",
            "model.automl",
            "profile.json",
            "report.html",
            "report.json",
            "tracking.json"
        ]
    );
}

#[test]
fn the_leaderboard_does_not_depend_on_the_thread_count() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let single = leaderboard_without_times("diabetes.csv", "progression", "1", one.path());
    let double = leaderboard_without_times("diabetes.csv", "progression", "2", two.path());
    assert_eq!(single.len(), double.len());
    for (a, b) in single.iter().zip(&double) {
        assert_eq!(a, b);
    }
}

#[test]
fn timings_list_every_fold_task_and_the_simulator_replays_them() {
    let out = tempfile::tempdir().unwrap();
    let timings = out.path().join("timings.csv");
    automl()
        .args([
            "compare",
            "--target",
            "progression",
            "--quiet",
            "--folds",
            "3",
        ])
        .args(["--include", "ridge,gbm", "--out"])
        .arg(out.path().join("run"))
        .arg("--timings")
        .arg(&timings)
        .arg(dataset("diabetes.csv"))
        .env("RAYON_NUM_THREADS", "2")
        .assert()
        .success();
    let rows = read_csv(&timings);
    assert_eq!(
        rows[0],
        [
            "phase",
            "round",
            "queue",
            "worker",
            "fold",
            "work",
            "estimated_cost",
            "start_s",
            "seconds",
            "cpu_s"
        ]
    );
    let tasks: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[0] == "sweep").collect();
    // 3 ridge settings and 2 staged gbm fits (of 4 settings), on 3 folds each.
    assert_eq!(tasks.len(), (3 + 2) * 3);
    let mut queue: Vec<usize> = tasks.iter().map(|r| r[2].parse().unwrap()).collect();
    queue.sort();
    assert_eq!(queue, (0..tasks.len()).collect::<Vec<_>>());
    assert!(tasks
        .iter()
        .all(|r| r[1] == "0" && ["1", "2", "3"].contains(&r[4].as_str())));
    assert!(tasks.iter().all(|r| ["0", "1"].contains(&r[3].as_str())));
    assert!(tasks.iter().all(|r| r[8].parse::<f64>().unwrap() >= 0.0));
    let staged = "gbm(iterations=300 learning_rate=0.1 max_depth=3)+\
                  gbm(iterations=100 learning_rate=0.1 max_depth=3)";
    assert_eq!(tasks.iter().filter(|r| r[5] == staged).count(), 3);
    // The phases after the sweep, each a round, with their CPU time (the tracking's too: the
    // file is written after it); the refit's fits are lines of the refit's round.
    let phases: Vec<&Vec<String>> = rows[1..]
        .iter()
        .filter(|r| r[0] != "sweep" && r[0] != "fit")
        .collect();
    let names: Vec<&str> = phases.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["ensembles", "refit", "outputs", "tracking"]);
    assert!(phases.iter().all(|r| r[9].parse::<f64>().unwrap() >= 0.0));
    let fits: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[0] == "fit").collect();
    assert!(!fits.is_empty());
    assert!(fits.iter().all(|r| r[1] == phases[1][1] && r[4].is_empty()));

    let simulator = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/schedule/simulate.py");
    let report = std::process::Command::new("python3")
        .args([simulator, "--workers", "1,2,16"])
        .arg(&timings)
        .output()
        .expect("python3 runs the simulator");
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{text}");
    assert!(text.contains("replay on 2: "), "{text}");
    assert!(text.contains("| 16 |"), "{text}");
}

#[test]
fn rows_with_a_missing_target_are_dropped_and_counted() {
    let out = tempfile::tempdir().unwrap();
    automl()
        .args([
            "compare",
            "--target",
            "y",
            "--quiet",
            "--include",
            "mean,ols",
            "--out",
        ])
        .arg(out.path())
        .arg(data_file("missing_target.csv"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "57 rows used, 3 dropped (target missing)",
        ));
}

#[test]
fn include_exclude_select_algorithms() {
    let out = tempfile::tempdir().unwrap();
    automl()
        .args([
            "compare",
            "--target",
            "progression",
            "--quiet",
            "--include",
            "ridge,lasso,dt",
            "--exclude",
            "dt",
        ])
        .arg("--out")
        .arg(out.path())
        .arg(dataset("diabetes.csv"))
        .assert()
        .success();
    let rows = read_csv(&out.path().join("leaderboard.csv"));
    let mut models: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    models.sort_unstable();
    models.dedup();
    assert_eq!(models, ["ensemble", "lasso", "ridge", "stack"]);
}

#[test]
fn semicolon_separated_files_read_with_sep() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dataset("diabetes.csv"))
        .unwrap()
        .replace(',', ";");
    let path = dir.path().join("semi.csv");
    std::fs::write(&path, text).unwrap();
    automl()
        .args([
            "compare",
            "--target",
            "progression",
            "--quiet",
            "--include",
            "ols",
            "--sep",
            ";",
            "--out",
        ])
        .arg(dir.path().join("run"))
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("best: ols"));
}

#[test]
fn a_leaking_column_is_flagged_and_can_be_ignored() {
    let out = tempfile::tempdir().unwrap();
    automl()
        .args([
            "compare",
            "--target",
            "wage",
            "--quiet",
            "--include",
            "ols",
            "--out",
        ])
        .arg(out.path())
        .arg(dataset("wage.csv"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "warning: 'logwage' has rank correlation 1.000",
        ))
        .stdout(predicate::str::contains("DROPPED: constant"));
    automl()
        .args([
            "compare",
            "--target",
            "wage",
            "--quiet",
            "--include",
            "ols",
            "--ignore",
            "logwage",
            "--out",
        ])
        .arg(out.path())
        .arg(dataset("wage.csv"))
        .assert()
        .success()
        .stdout(predicate::str::contains("DROPPED: ignored (--ignore)"))
        .stdout(predicate::str::contains("warning").not());
}

#[test]
fn a_missing_target_column_suggests_close_names() {
    automl()
        .args(["compare", "--target", "Progression"])
        .arg(dataset("diabetes.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "target column 'Progression' is not in the data",
        ))
        .stderr(predicate::str::contains("did you mean progression?"));
}

#[test]
fn a_text_target_is_a_clear_error_for_regression() {
    automl()
        .args(["compare", "--target", "Type", "--task", "regression"])
        .arg(dataset("cars93.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "target column 'Type' is not numeric",
        ));
}

#[test]
fn unknown_ids_and_bad_settings_are_usage_errors() {
    automl()
        .args(["compare", "--target", "progression", "--include", "xgb"])
        .arg(dataset("diabetes.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown algorithm id 'xgb'; known ids: regression: mean, ols",
        ));
    automl()
        .args(["compare", "--target", "progression", "--folds", "1"])
        .arg(dataset("diabetes.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--folds must be at least 2"));
    automl()
        .args(["compare", "--target", "progression", "--sort", "auc"])
        .arg(dataset("diabetes.csv"))
        .assert()
        .code(2);
}

#[test]
fn a_missing_file_is_named() {
    automl()
        .args(["compare", "--target", "y", "no/such/file.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/file.csv"));
}

#[test]
fn a_header_without_rows_and_a_single_row_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let header = dir.path().join("header.csv");
    std::fs::write(&header, "a,b,y\n").unwrap();
    automl()
        .args(["compare", "--target", "y"])
        .arg(&header)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "header.csv is not a readable CSV file: it has a header row but no data rows",
        ));
    let one = dir.path().join("one.csv");
    std::fs::write(&one, "a,b,y\n1,2,3\n").unwrap();
    automl()
        .args(["compare", "--target", "y"])
        .arg(&one)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "only one row has a value in target column 'y'",
        ));
}

#[test]
fn models_lists_ids_names_and_grids() {
    automl()
        .arg("models")
        .assert()
        .success()
        .stdout(predicate::str::contains("ridge"))
        .stdout(predicate::str::contains("alpha=0.1 | alpha=1 | alpha=10"))
        .stdout(predicate::str::contains("linfa-svm"))
        .stdout(predicate::str::contains("only with --include"));
}

/// Ctrl-C in the middle of a sweep: the compare stops promptly, exits 130, and leaves a
/// complete leaderboard of the candidates that finished, the rest marked interrupted, and no
/// model or half-written file.
#[test]
fn ctrl_c_leaves_a_partial_leaderboard() {
    let out = crate::common::scratch_dir("interrupted");
    // A sweep that takes far longer than the wait below on any machine (about a minute of a
    // debug build's fold fits, none over two seconds): wage's rows three times, ten folds,
    // every fold of every candidate, one thread.
    let wage = std::fs::read_to_string(dataset("wage.csv")).unwrap();
    let (header, body) = wage.split_once('\n').unwrap();
    let data = crate::common::scratch_dir("wage-thrice").join("wage.csv");
    std::fs::write(&data, format!("{header}\n{body}{body}{body}")).unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("automl"))
        .args([
            "compare",
            "--target",
            "wage",
            "--ignore",
            "logwage",
            "--quiet",
            "--folds",
            "10",
            "--full-cv",
        ])
        .arg("--out")
        .arg(&out)
        .env("AUTOML_TRACKING_DIR", crate::common::scratch_dir("mlruns"))
        .env("RAYON_NUM_THREADS", "1")
        .arg(&data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough for the first candidates to finish, well before the sweep does.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let signalled = std::time::Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = child.wait_with_output().unwrap();
    let stopped_in = signalled.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stopped_in.as_secs() < 10, "took {stopped_in:?} to stop");
    assert!(stderr.contains("the leaderboard is partial"), "{stderr}");
    let rows = read_csv(&out.join("leaderboard.csv"));
    let status_at = rows[0].iter().position(|h| h == "status").unwrap();
    let statuses: Vec<&str> = rows[1..].iter().map(|r| r[status_at].as_str()).collect();
    assert_eq!(statuses.len(), 41);
    assert!(statuses.contains(&"interrupted"), "{statuses:?}");
    assert!(statuses.contains(&"ok"), "{statuses:?}");
    // Scored rows first, interrupted ones last.
    let first_interrupted = statuses.iter().position(|s| *s == "interrupted").unwrap();
    assert!(statuses[first_interrupted..]
        .iter()
        .all(|s| *s == "interrupted"));
    let files = file_names(&out);
    assert_eq!(
        files,
        [
            "leaderboard.csv",
            "profile.json",
            "report.html",
            "report.json",
            "tracking.json"
        ]
    );
}

#[test]
fn a_time_limit_marks_slow_candidates_and_the_sweep_finishes() {
    let out = crate::common::scratch_dir("time-limit");
    automl()
        .args([
            "compare", "--target", "wage", "--ignore", "logwage", "--quiet",
        ])
        .args([
            "--include",
            "mean,ridge,svr",
            "--max-fit-seconds",
            "0.3",
            "--out",
        ])
        .arg(&out)
        .arg(dataset("wage.csv"))
        .assert()
        .success();
    let rows = read_csv(&out.join("leaderboard.csv"));
    let (model_at, status_at, error_at) = (
        rows[0].iter().position(|h| h == "model").unwrap(),
        rows[0].iter().position(|h| h == "status").unwrap(),
        rows[0].iter().position(|h| h == "error").unwrap(),
    );
    for row in &rows[1..] {
        match row[model_at].as_str() {
            "svr" => {
                assert_eq!(row[status_at], "timeout");
                assert!(row[error_at].contains("limit of 0.3 s (--max-fit-seconds)"));
            }
            _ => assert_eq!(row[status_at], "ok", "{row:?}"),
        }
    }
    automl()
        .args(["compare", "--target", "wage", "--max-fit-seconds", "0"])
        .arg(dataset("wage.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--max-fit-seconds must be a positive number of seconds",
        ));
}
