//! The grid's race on a table large enough for it: every setting on the first fold, the kept
//! ones on the others, scored exactly as without the race; the pruned ones are rows with their
//! first fold's scores and the reason; the same leaderboard at one and two threads; `--full-cv`
//! turns it off.

use std::fmt::Write as _;
use std::path::PathBuf;

use automl::algorithms::format_params;
use automl::leaderboard::Leaderboard;
use automl::{Compare, Metric, Status};

use crate::common::{automl, csv_without_times, leaderboard_at, read_csv, scratch_dir};

/// 6,000 rows (1,200 validation rows a fold): four numbers, a category, a smooth target with
/// noise enough that several algorithms come close.
fn table() -> PathBuf {
    table_of(6_000)
}

/// The first `rows` rows of that table.
fn table_of(rows: usize) -> PathBuf {
    let path = scratch_dir("race").join(format!("race-{rows}.csv"));
    let mut csv = String::from("x0,x1,x2,x3,c,y\n");
    let mut state: u64 = 7;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..rows {
        let x: Vec<f64> = (0..4).map(|_| next()).collect();
        let level = (next() * 4.0) as usize;
        let y = (6.0 * x[0]).sin() * 3.0 + x[1] * x[1] * 4.0 + x[2] + level as f64 + next() * 4.0;
        let row = format!(
            "{:.5},{:.5},{:.5},{:.5},c{level},{y:.5}",
            x[0], x[1], x[2], x[3]
        );
        writeln!(csv, "{row}").unwrap();
    }
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn a_raced_grid_scores_what_it_keeps_as_on_every_fold_at_any_thread_count() {
    let data = table();
    let compare = Compare::new("y")
        .include(["ridge", "dt", "gbm", "knn", "rf"])
        .export_top(0);
    let raced = leaderboard_at(&compare, &data, 2);
    assert_eq!(
        csv_without_times(&raced),
        csv_without_times(&leaderboard_at(&compare, &data, 1))
    );
    let full = leaderboard_at(&compare.clone().race(false), &data, 2);
    assert!(raced.settings.race && !full.settings.race);

    let singles =
        |b: &Leaderboard| -> usize { b.entries.iter().filter(|e| e.blend.is_none()).count() };
    assert_eq!(singles(&raced), singles(&full));
    let grid = singles(&full);
    let (mut kept, mut looks) = (0, 0);
    for entry in raced.entries.iter().filter(|e| e.blend.is_none()) {
        let mut params = entry.params.clone();
        if entry.model == "rf" {
            params.insert("n_trees".into(), automl::algorithms::Param::Int(100));
        }
        let same = full
            .entries
            .iter()
            .find(|f| f.model == entry.model && f.params == params)
            .unwrap();
        let name = format!("{} {}", entry.model, format_params(&entry.params));
        match &entry.status {
            // Kept: the same scores on every fold as without the race.
            Status::Ok => {
                kept += 1;
                // (As text: RMSLE is NaN on a target with negative values.)
                let text = |e: &automl::leaderboard::Entry| format!("{:?}", e.metrics);
                assert_eq!(text(entry), text(same), "{name}");
                let scores = |e: &automl::leaderboard::Entry| -> Vec<String> {
                    e.folds.iter().map(|f| format!("{:?}", f.scores)).collect()
                };
                assert_eq!(scores(entry), scores(same), "{name}");
            }
            // A forest pruned after its look: a row of the look, a tenth of the trees.
            Status::Pruned if entry.model == "rf" => {
                assert_eq!(entry.folds.len(), 1, "{name}");
                assert!(name.contains("n_trees=10"), "{name}");
                looks += 1;
            }
            // Pruned: the first fold's scores, and why.
            Status::Pruned => {
                assert_eq!(entry.folds.len(), 1, "{name}");
                let first = |e: &automl::leaderboard::Entry| format!("{:?}", e.folds[0].scores);
                assert_eq!(first(entry), first(same), "{name}");
                let why = entry.error.as_deref().unwrap_or_default();
                assert!(
                    why.starts_with("after the first fold (the race)"),
                    "{name}: {why}"
                );
            }
            other => panic!("{name}: {other}"),
        }
    }
    // An algorithm keeps a row scored on every fold when its best on the first fold is within 25%
    // of the best's there; else it is pruned whole.
    let first = |e: &automl::leaderboard::Entry| e.folds[0].scores[0];
    let singles: Vec<_> = full.entries.iter().filter(|e| e.blend.is_none()).collect();
    let leader = singles.iter().map(|e| first(e)).fold(f64::MAX, f64::min);
    let mut algorithms = 0;
    // (Not the forest: it was judged by its 10-tree look.)
    for id in ["ridge", "dt", "gbm", "knn"] {
        let best = singles
            .iter()
            .filter(|e| e.model == id)
            .map(|e| first(e))
            .fold(f64::MAX, f64::min);
        let ok = raced
            .entries
            .iter()
            .any(|e| e.model == id && e.status == Status::Ok);
        assert_eq!(ok, best <= 1.25 * leader, "{id}: {best} against {leader}");
        algorithms += usize::from(ok);
    }
    assert!(
        algorithms >= 2 && kept < grid,
        "{kept} of {grid} kept, of {algorithms} algorithms"
    );
    // The race's candidate-folds: the grid on the first fold, the kept on the other four (a
    // kept forest on all five: its look had a tenth of its trees).
    assert!(looks >= 2, "{looks} forest looks pruned");
    let forests = raced
        .entries
        .iter()
        .filter(|e| e.model == "rf" && e.status == Status::Ok);
    assert_eq!(raced.trace[0].units, grid + kept * 4 + forests.count());
    assert_eq!(full.trace[0].units, grid * 5);
    // The best single setting is the same here, raced or not.
    let best = |b: &Leaderboard| {
        let e = b.entries.iter().find(|e| e.blend.is_none()).unwrap();
        (
            e.model.clone(),
            e.params.clone(),
            e.metric(Metric::Rmse).unwrap().mean,
        )
    };
    assert_eq!(best(&raced), best(&full));
}

#[test]
fn a_thin_first_fold_judges_forests_with_all_their_trees_and_keeps_the_cheap_settings() {
    // 3,000 rows: 600 validation rows a fold, a thin first fold (1,000 to 5,000 rows).
    let data = table_of(3_000);
    let compare = Compare::new("y")
        .include(["ridge", "dt", "gbm", "rf"])
        .export_top(0);
    let raced = leaderboard_at(&compare, &data, 2);
    let full = leaderboard_at(&compare.clone().race(false), &data, 2);
    assert!(raced.settings.race);
    let mut pruned = Vec::new();
    for entry in raced.entries.iter().filter(|e| e.blend.is_none()) {
        // No 10-tree looks: every row is a setting of the grid.
        let same = full
            .entries
            .iter()
            .find(|f| f.model == entry.model && f.params == entry.params)
            .unwrap();
        let name = format!("{} {}", entry.model, format_params(&entry.params));
        let scores = |e: &automl::leaderboard::Entry| -> Vec<String> {
            e.folds.iter().map(|f| format!("{:?}", f.scores)).collect()
        };
        match entry.status {
            Status::Ok => assert_eq!(scores(entry), scores(same), "{name}"),
            Status::Pruned => {
                assert_eq!(scores(entry)[..], scores(same)[..1], "{name}");
                pruned.push(name.clone());
            }
            ref other => panic!("{name}: {other}"),
        }
        // The linear fits and the single trees cost next to nothing: never pruned.
        if ["ridge", "dt"].contains(&entry.model.as_str()) {
            assert_eq!(entry.status, Status::Ok, "{name}");
        }
    }
    // The dear settings far behind were pruned, whole forests among them.
    assert!(pruned.iter().any(|p| p.starts_with("rf ")), "{pruned:?}");
    // Below 1,000 rows (200 validation rows a fold) the grid does not race.
    let small = leaderboard_at(&compare, &table_of(990), 2);
    assert!(!small.settings.race);
}

#[test]
fn full_cv_scores_every_setting_on_every_fold() {
    let data = table();
    let out = scratch_dir("race-cli");
    let variants = [
        (&["--no-ensembles"][..], "raced"),
        (&[][..], "raced-ensembles"),
        (&["--full-cv"][..], "full"),
    ];
    for (flags, name) in variants {
        let printed = automl()
            .args([
                "compare",
                "--target",
                "y",
                "--include",
                "ridge,dt",
                "--no-track",
                "--out",
            ])
            .arg(out.join(name))
            .args(flags)
            .arg(&data)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let printed = String::from_utf8(printed).unwrap();
        let rows = read_csv(&out.join(name).join("leaderboard.csv"));
        let status = rows[0].iter().position(|h| h == "status").unwrap();
        let pruned = rows[1..].iter().filter(|r| r[status] == "pruned").count();
        let report = std::fs::read_to_string(out.join(name).join("report.html")).unwrap();
        let ok = |id: &str| rows[1..].iter().any(|r| r[1] == id && r[status] == "ok");
        let said = report.contains("the grid raced");
        if name == "raced-ensembles" {
            // Ridge is far behind, but the first fold's stack leans on it (the linear part of
            // the target): kept for the ensembles.
            assert!(pruned > 0 && said && ok("dt") && ok("ridge"), "{printed}");
        } else if name == "raced" {
            assert!(pruned > 0 && said, "{printed}");
            assert!(printed.contains("pruned after 1 of 5 folds"), "{printed}");
            // Ridge cannot fit the sine: without ensembles, pruned whole, and still tuned from
            // its pruned rows.
            assert!(ok("dt") && !ok("ridge"), "{printed}");
            automl()
                .args([
                    "tune",
                    "--model",
                    "ridge",
                    "--trials",
                    "30",
                    "-q",
                    "--no-track",
                    "--out",
                ])
                .arg(out.join("tuned"))
                .arg(out.join(name))
                .assert()
                .success();
            let tuned = read_csv(&out.join("tuned").join("leaderboard.csv"));
            assert!(tuned[1..]
                .iter()
                .any(|r| r[1] == "ridge" && r[status] == "ok"));
        } else {
            assert!(pruned == 0 && !said, "{printed}");
        }
    }
}
