//! The HTML report: written into every run folder, self-contained, rebuilt by `automl report`,
//! and rendered by a real browser (headless Chromium, run by `.ci/run`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use predicates::prelude::*;

use crate::common::{automl, dataset, scratch_dir, sha256};

/// A compare of diabetes (every algorithm) with its run folder.
fn diabetes_run() -> PathBuf {
    let out = scratch_dir("report");
    automl()
        .args([
            "compare",
            "--target",
            "progression",
            "--quiet",
            "--no-track",
            "--out",
        ])
        .arg(&out)
        .arg(dataset("diabetes.csv"))
        .assert()
        .success()
        .stdout(predicate::str::contains("report.html"));
    out
}

#[test]
fn every_run_folder_gets_a_self_contained_report() {
    let out = diabetes_run();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    // Offline: nothing is fetched.
    for remote in ["src=\"http", "href=\"http", "url(http", "@import", "<link"] {
        assert!(!html.contains(remote), "{remote}");
    }
    // Profile: every column, the target's histogram and one sparkline per column.
    for column in [
        "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6",
    ] {
        assert!(html.contains(&format!("<td>{column}</td>")), "{column}");
    }
    assert!(html.contains("target: progression"));
    // Leaderboard: 41 candidates in 10 algorithm groups (the kernel SVR runs only when named),
    // and the two ensembles.
    let board = &html[html.find("id=\"leaderboard\"").unwrap()..];
    let board = &board[..board.find("</table>").unwrap()];
    assert_eq!(board.matches("<tbody>").count(), 12);
    assert_eq!(board.matches("<tr class=\"ok").count(), 43);
    // The ensembles' weights, and their honest and in-sample scores.
    assert!(html.contains("id=\"ensembles\""));
    assert!(html.contains("Greedy ensemble weights") && html.contains("Stacked ensemble weights"));
    assert!(html.contains("weights chosen on the folds they are scored on"));
    // The winner's charts and importance, the per-fold table.
    for title in [
        "predicted vs actual",
        "residuals vs predicted",
        "residual distribution",
        "permutation importance (RMSE increase)",
    ] {
        assert!(html.contains(title), "{title}");
    }
    assert!(html.matches("<svg").count() >= 16, "charts drawn");
    assert!(html.contains("fold 5"));
    // Provenance.
    assert!(html.contains(&sha256(&fs::read(dataset("diabetes.csv")).unwrap())));
    assert!(html.contains("seed 42"));

    // `automl report` rebuilds the same page from report.json.
    fs::remove_file(out.join("report.html")).unwrap();
    automl().arg("report").arg(&out).assert().success();
    assert_eq!(fs::read_to_string(out.join("report.html")).unwrap(), html);
}

/// A compare of a classification data set (every algorithm); the run folder's report page.
fn classification_report(file: &str, target: &str) -> String {
    let out = scratch_dir("report");
    automl()
        .args([
            "compare",
            "--target",
            target,
            "--quiet",
            "--no-track",
            "--out",
        ])
        .arg(&out)
        .arg(dataset(file))
        .assert()
        .success();
    fs::read_to_string(out.join("report.html")).unwrap()
}

/// The text of the first element starting with `open` up to the following `close`.
fn section<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html.find(open).unwrap_or_else(|| panic!("no {open}"));
    let rest = &html[start..];
    &rest[..rest
        .find(close)
        .unwrap_or_else(|| panic!("no {close} after {open}"))]
}

/// The `data-count` values of a confusion matrix table.
fn confusion_counts(table: &str) -> Vec<usize> {
    table
        .split("data-count=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect()
}

#[test]
fn a_classification_report_has_a_confusion_matrix_and_roc_curves() {
    let html = classification_report("iris.csv", "species");
    for remote in ["src=\"http", "href=\"http", "url(http", "@import", "<link"] {
        assert!(!html.contains(remote), "{remote}");
    }
    assert!(html.contains("majority-class baseline"));
    assert!(!html.contains("mean baseline"));
    // No regression charts.
    for title in [
        "predicted vs actual",
        "residuals vs predicted",
        "residual distribution",
    ] {
        assert!(!html.contains(title), "{title}");
    }
    // The confusion matrix: the three classes as row and column headers, 150 rows in 3 × 3.
    let table = section(&html, "<table id=\"confusion\"", "</table>");
    let head = section(table, "<thead>", "</thead>");
    for class in ["setosa", "versicolor", "virginica"] {
        assert!(
            head.contains(&format!("<th class=\"num\">{class}</th>")),
            "{class}"
        );
        assert!(table.contains(&format!("<tr><th>{class}</th>")), "{class}");
    }
    let counts = confusion_counts(table);
    assert_eq!(counts.len(), 9);
    assert_eq!(counts.iter().sum::<usize>(), 150);
    // Mostly right: the diagonal holds most rows; each true class has its 50 rows.
    let diagonal: usize = (0..3).map(|i| counts[i * 4]).sum();
    assert!(diagonal >= 135, "{counts:?}");
    for row in counts.chunks(3) {
        assert_eq!(row.iter().sum::<usize>(), 50, "{counts:?}");
    }
    assert!(table.contains("recall"));
    // The ROC chart: one vs rest, a legend entry with an AUC per class.
    let charts = section(&html, "id=\"winner-charts\"", "<h3>");
    let roc = section(charts, "<svg", "</svg>");
    assert!(roc.contains("ROC, one vs rest"), "{roc}");
    for class in ["setosa", "versicolor", "virginica"] {
        assert!(roc.contains(&format!("{class}: AUC ")), "{class}");
    }
    assert!(html.contains("target: species"));
    assert!(html.contains("permutation importance (log-loss increase)"));
}

#[test]
fn a_two_class_report_draws_the_positive_class_roc_with_its_auc() {
    let html = classification_report("breast_cancer.csv", "diagnosis");
    let table = section(&html, "<table id=\"confusion\"", "</table>");
    for class in ["benign", "malignant"] {
        assert!(table.contains(&format!("<tr><th>{class}</th>")), "{class}");
    }
    let counts = confusion_counts(table);
    assert_eq!(counts.len(), 4);
    assert_eq!(counts.iter().sum::<usize>(), 569);
    // The title names the positive class (the second) and the area under its curve.
    let title = section(&html, "ROC: malignant vs benign (AUC ", ")");
    let auc: f64 = title["ROC: malignant vs benign (AUC ".len()..]
        .parse()
        .unwrap_or_else(|e| panic!("{title}: {e}"));
    assert!((0.9..=1.0).contains(&auc), "{auc}");
}

#[test]
fn a_folder_without_report_data_is_named() {
    automl()
        .arg("report")
        .arg(scratch_dir("empty"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("report.json"));
}

/// Headless Chromium as `.ci/run` installs it (Debian's `chromium`).
fn chromium(args: &[&str], page: &Path) -> std::process::Output {
    let profile = scratch_dir("chromium");
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

#[test]
#[ignore = "needs Debian's chromium; .ci/run installs it and runs this"]
fn the_report_renders_in_a_browser() {
    for (file, target, ignore) in [
        ("diabetes.csv", "progression", ""),
        ("auto.csv", "mpg", "name"),
        ("credit.csv", "Balance", ""),
        ("wage.csv", "wage", "logwage"),
        ("ncbirths.csv", "weight", ""),
        ("cars93.csv", "Price", ""),
    ] {
        let out = scratch_dir("report");
        let mut cmd = automl();
        cmd.args([
            "compare",
            "--target",
            target,
            "--quiet",
            "--no-track",
            "--out",
        ])
        .arg(&out);
        if !ignore.is_empty() {
            cmd.args(["--ignore", ignore]);
        }
        cmd.arg(dataset(file)).assert().success();
        let page = out.join("report.html");

        // The DOM after the page's script ran: tables, charts, the sort buttons.
        let dom = chromium(&["--dump-dom"], &page);
        let dom = String::from_utf8(dom.stdout).unwrap();
        assert!(dom.contains("id=\"leaderboard\""), "{file}: leaderboard");
        assert!(dom.contains("predicted vs actual"), "{file}: winner charts");
        assert!(dom.matches("<svg").count() >= 5, "{file}: charts");
        assert!(dom.contains("id=\"profile-table\""), "{file}: profile");

        // Sorted by the browser: by model name, then by RMSE descending.
        let models_in_order = |hash: &str| -> Vec<String> {
            let url = format!("{}#sort={hash}", page.display());
            let dom = chromium(&["--dump-dom"], Path::new(&url));
            let dom = String::from_utf8(dom.stdout).unwrap();
            let board = &dom[dom.find("id=\"leaderboard\"").unwrap()..];
            let board = &board[..board.find("</table>").unwrap()];
            board
                .split("<tbody")
                .skip(1)
                .map(|group| {
                    let cell = group.split("<td data-v=\"").nth(1).unwrap();
                    cell[..cell.find('"').unwrap()].to_string()
                })
                .collect()
        };
        let by_name = models_in_order("model");
        let mut sorted = by_name.clone();
        sorted.sort();
        assert_eq!(by_name, sorted, "{file}: sorted by model");
        // Ten algorithms and the two ensembles.
        assert_eq!(by_name.len(), 12, "{file}");
        let by_rmse_desc = models_in_order("rmse-desc");
        assert_eq!(
            by_rmse_desc.last().map(String::as_str),
            Some(ranked_first(&out).as_str())
        );

        // A screenshot that is not blank: many distinct colours, not one background.
        let shot = out.join("report.png");
        let run = chromium(
            &[
                "--window-size=1280,2000",
                &format!("--screenshot={}", shot.display()),
            ],
            &page,
        );
        assert!(shot.is_file(), "{file}: no screenshot: {run:?}");
        let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(&shot).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        let pixels = &buf[..info.buffer_size()];
        let step = info.color_type.samples();
        let mut colours: Vec<&[u8]> = pixels.chunks(step).collect();
        let white = colours
            .iter()
            .filter(|c| c.iter().all(|&v| v > 245))
            .count();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() > 50, "{file}: {} colours", colours.len());
        assert!(
            white < pixels.len() / step * 97 / 100,
            "{file}: the screenshot is almost all white"
        );
    }
    classification_renders_in_a_browser();
}

/// A classification report in the browser: the confusion matrix, the ROC chart, and the
/// page's own sorting hint (`#sort=auc-desc`).
fn classification_renders_in_a_browser() {
    let out = scratch_dir("report");
    automl()
        .args([
            "compare",
            "--target",
            "species",
            "--quiet",
            "--no-track",
            "--out",
        ])
        .arg(&out)
        .arg(dataset("iris.csv"))
        .assert()
        .success();
    let page = out.join("report.html");
    let dom = chromium(&["--dump-dom"], &page);
    let dom = String::from_utf8(dom.stdout).unwrap();
    assert!(dom.contains("id=\"confusion\""), "confusion matrix");
    assert!(dom.contains("ROC, one vs rest"), "ROC chart");
    // Sorted by AUC, descending: the header shows it.
    let url = format!("{}#sort=auc-desc", page.display());
    let dom = chromium(&["--dump-dom"], Path::new(&url));
    let dom = String::from_utf8(dom.stdout).unwrap();
    assert!(dom.contains("<th class=\"num desc\" data-type=\"num\">auc</th>"));
}

/// The algorithm id ranked first in a run folder's leaderboard.csv.
fn ranked_first(out: &Path) -> String {
    crate::common::read_csv(&out.join("leaderboard.csv"))[1][1].clone()
}
