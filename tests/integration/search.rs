//! The search past the grid and the ensembles: reproducible work budgets, pruned candidates,
//! ensembles scored by nested cross-validation and exported as one model, and `automl tune`.

use automl::{Compare, Model, Status};

use crate::common::{
    automl, csv_without_times, dataset, leaderboard_at, read_csv, scratch_dir, stdout_of,
};

/// The leaderboard CSV (fit times aside) of `compare` on `data` at `threads` threads.
fn leaderboard_csv(compare: &Compare, data: &str, threads: usize) -> String {
    csv_without_times(&leaderboard_at(compare, &dataset(data), threads))
}

#[test]
fn a_work_budget_gives_the_same_leaderboard_at_one_and_two_threads() {
    let compare = Compare::new("mpg")
        .ignore(["name"])
        .include(["ridge", "knn", "gbm"])
        .trials(80)
        .export_top(0);
    let one = leaderboard_csv(&compare, "auto.csv", 1);
    let two = leaderboard_csv(&compare, "auto.csv", 2);
    assert_eq!(one, two);
    // The search ran: pruned rows, and more candidates than the grid's.
    assert!(one.contains(",pruned,"), "{one}");
    let board = compare.run_csv(dataset("auto.csv")).unwrap().leaderboard;
    let grid = 3 + 6 + 4;
    assert!(board.entries.len() > grid);
    // Spent: the grid's candidate-folds, then at most 80 more.
    let trace = &board.trace;
    assert_eq!(trace[0].units, grid * 5);
    let last = trace.last().unwrap();
    assert!(last.units > trace[0].units && last.units <= trace[0].units + 80);
    // The trace's best never gets worse, and ends at the best single candidate.
    assert!(trace.windows(2).all(|w| w[1].best <= w[0].best));
    let best_single = board
        .entries
        .iter()
        .find(|e| e.status == Status::Ok && e.blend.is_none())
        .unwrap();
    let rmse = best_single.metric(automl::Metric::Rmse).unwrap().mean;
    assert_eq!(last.best, rmse);
    // Pruned rows were scored on the first fold only, and rank after every scored row.
    let first_pruned = board
        .entries
        .iter()
        .position(|e| e.status == Status::Pruned)
        .unwrap();
    assert!(board.entries[..first_pruned]
        .iter()
        .all(|e| e.status == Status::Ok));
    for e in board.entries.iter().filter(|e| e.status == Status::Pruned) {
        assert_eq!(e.folds.len(), 1);
        assert_eq!(e.folds[0].fold, 0);
    }
}

#[test]
fn ensembles_are_ranked_with_honest_scores_and_exported_as_one_model() {
    let result = Compare::new("progression")
        .include(["ridge", "knn", "et"])
        .export_top(20)
        .run_csv(dataset("diabetes.csv"))
        .unwrap();
    let board = &result.leaderboard;
    let sort = board.settings.sort;
    for id in ["ensemble", "stack"] {
        let e = board.entries.iter().find(|e| e.model == id).unwrap();
        assert_eq!(e.status, Status::Ok);
        let blend = e.blend.as_ref().unwrap();
        assert!(blend.members.len() >= 2);
        assert!(blend.members.iter().all(|m| m.weight > 0.0));
        // Weights chosen on the folds they are scored on flatter: in-sample <= honest RMSE.
        assert!(blend.in_sample <= e.metric(sort).unwrap().mean + 1e-9);
        assert_eq!(e.folds.len(), 5);
    }
    let greedy = board
        .entries
        .iter()
        .find(|e| e.model == "ensemble")
        .unwrap();
    let total: f64 = greedy
        .blend
        .as_ref()
        .unwrap()
        .members
        .iter()
        .map(|m| m.weight)
        .sum();
    assert!((total - 1.0).abs() < 1e-12);

    // The exported ensemble predicts the weighted sum of its members refitted alone.
    let frame = automl::io::load::read_csv(&dataset("diabetes.csv"), &Default::default()).unwrap();
    let model = result
        .models
        .iter()
        .find(|m| m.algorithm == "ensemble")
        .expect("the ensemble is among the top 20");
    let blend = greedy.blend.as_ref().unwrap();
    let mut expected = vec![blend.intercept; frame.height()];
    for member in &blend.members {
        let alone = result
            .models
            .iter()
            .find(|m| m.algorithm == member.model && m.params == member.params)
            .expect("each member is among the top 20 too");
        for (e, p) in expected
            .iter_mut()
            .zip(alone.predict(&frame).unwrap().values)
        {
            *e += member.weight * p;
        }
    }
    let predicted = model.predict(&frame).unwrap().values;
    for (p, e) in predicted.iter().zip(&expected) {
        assert!((p - e).abs() < 1e-9 * e.abs().max(1.0), "{p} vs {e}");
    }
    // Saved and loaded, it predicts the same bits; its importance covers the input columns.
    let file = scratch_dir("ensemble").join("model.automl");
    model.save(&file).unwrap();
    let loaded = Model::load(&file).unwrap();
    assert_eq!(loaded.predict(&frame).unwrap().values, predicted);
    assert_eq!(loaded.members.len(), blend.members.len());
    let importance = loaded.importance.as_ref().unwrap();
    assert_eq!(importance.features.len(), 10);
}

#[test]
fn classification_ensembles_blend_probabilities() {
    let result = Compare::new("diagnosis")
        .include(["lr", "knn", "nb"])
        .run_csv(dataset("breast_cancer.csv"))
        .unwrap();
    let board = &result.leaderboard;
    let stack = board.entries.iter().find(|e| e.model == "stack").unwrap();
    let total: f64 = stack
        .blend
        .as_ref()
        .unwrap()
        .members
        .iter()
        .map(|m| m.weight)
        .sum();
    assert!((total - 1.0).abs() < 1e-9);
    // An exported classifier ensemble gives probabilities that sum to 1.
    let top = Compare::new("diagnosis")
        .include(["lr", "knn", "nb"])
        .export_top(6)
        .run_csv(dataset("breast_cancer.csv"))
        .unwrap();
    if let Some(model) = top.models.iter().find(|m| !m.members.is_empty()) {
        let frame =
            automl::io::load::read_csv(&dataset("breast_cancer.csv"), &Default::default()).unwrap();
        let proba = model.predict(&frame).unwrap().proba.unwrap();
        for row in proba.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-9);
        }
    }
}

#[test]
fn budgets_and_trials_that_are_not_positive_are_usage_errors() {
    for (flag, value) in [
        ("--budget", "0"),
        ("--budget", "-5"),
        ("--budget", "soon"),
        ("--budget", "0s"),
        ("--trials", "0"),
        ("--trials", "-1"),
    ] {
        let out = automl()
            .args([
                "compare",
                "datasets/iris.csv",
                "--target",
                "species",
                "--no-track",
            ])
            .arg(format!("{flag}={value}"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(flag), "{flag} {value}: {stderr}");
    }
}

#[test]
fn a_budget_too_small_for_any_candidate_still_ranks_the_baseline() {
    let out = scratch_dir("tiny-budget");
    let stdout = stdout_of(
        automl()
            .args([
                "compare",
                "--target",
                "wage",
                "--ignore",
                "logwage",
                "--no-track",
                "-q",
            ])
            .arg(dataset("wage.csv"))
            .args(["--budget", "0.001s", "--out"])
            .arg(&out),
    );
    let rows = read_csv(&out.join("leaderboard.csv"));
    assert_eq!(rows[1][1], "mean", "{stdout}");
    assert_eq!(rows[1][5], "ok");
    assert!(rows[2..].iter().all(|r| r[5] == "skipped"), "{rows:?}");
    assert!(stdout.contains("only the baseline"), "{stdout}");
}

#[test]
fn tune_widens_one_family_from_a_finished_run() {
    let run = scratch_dir("tune-run");
    stdout_of(
        automl()
            .args([
                "compare",
                "--target",
                "mpg",
                "--ignore",
                "name",
                "--no-track",
                "-q",
            ])
            .args(["--include", "ridge,knn", "--out"])
            .arg(&run)
            .arg(dataset("auto.csv")),
    );
    let tuned = scratch_dir("tune-out");
    let store = scratch_dir("tune-mlruns");
    let stdout = stdout_of(
        automl()
            .env("AUTOML_TRACKING_DIR", &store)
            .args(["tune", "--model", "knn", "--trials", "40", "-q", "--out"])
            .arg(&tuned)
            .arg(&run),
    );
    assert!(stdout.contains("search: "), "{stdout}");
    // The report shows the search; every trial is a run, pruned ones with their status.
    let html = std::fs::read_to_string(tuned.join("report.html")).unwrap();
    assert!(html.contains("id=\"search\"") && html.contains("best cross-validated rmse"));
    let pruned = walk(&store)
        .into_iter()
        .filter(|p| p.ends_with("tags/automl.status"))
        .filter(|p| std::fs::read_to_string(p).unwrap() == "pruned")
        .collect::<Vec<_>>();
    assert!(!pruned.is_empty());
    for tag in pruned {
        let run = tag.parent().unwrap().parent().unwrap();
        assert!(run.join("metrics/folds_scored").is_file());
        assert!(run.join("params/k").is_file());
    }
    let rows = read_csv(&tuned.join("leaderboard.csv"));
    assert!(rows[1..]
        .iter()
        .all(|r| ["knn", "ensemble", "stack"].contains(&r[1].as_str())));
    // The six grid settings of the run, and more.
    assert!(rows.len() > 7);

    let fails = |args: &[&str], run: &std::path::Path, needle: &str| {
        let out = automl().arg("tune").args(args).arg(run).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    };
    fails(
        &["--model", "gbm", "--trials", "10"],
        &run,
        "no scored candidate of 'gbm'",
    );
    fails(&["--model", "knn"], &run, "--budget");
    // A run folder of another version.
    let report = std::fs::read_to_string(run.join("report.json")).unwrap();
    let version = format!("\"automl_version\":\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(report.contains(&version));
    let other = scratch_dir("tune-other");
    std::fs::write(
        other.join("report.json"),
        report.replace(&version, "\"automl_version\":\"0.0.1\""),
    )
    .unwrap();
    fails(
        &["--model", "knn", "--trials", "10"],
        &other,
        "automl 0.0.1",
    );
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
