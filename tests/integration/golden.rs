//! Golden files: the default leaderboard of every bundled dataset (fit times aside), at one and
//! two threads, and the predictions of model files saved by an earlier build. A change that moves
//! any of these bits fails here; a change to the defaults updates them on purpose, in its own
//! commit, with `AUTOML_UPDATE_GOLDEN=1 cargo test --test integration golden`.

use std::fmt::Write as _;
use std::path::PathBuf;

use automl::{Compare, Model};

use crate::common::dataset;

/// Every bundled dataset and its target.
const DATASETS: [(&str, &str); 9] = [
    ("auto.csv", "mpg"),
    ("breast_cancer.csv", "diagnosis"),
    ("cars93.csv", "Price"),
    ("credit.csv", "Balance"),
    ("diabetes.csv", "progression"),
    ("iris.csv", "species"),
    ("ncbirths.csv", "weight"),
    ("smarket.csv", "Direction"),
    ("wage.csv", "wage"),
];

/// Saved models, one per kind of fitted model: (file stem, data, target, algorithm id).
const MODELS: [(&str, &str, &str, &str); 13] = [
    ("cars93-mean", "cars93.csv", "Price", "mean"),
    ("cars93-ridge", "cars93.csv", "Price", "ridge"),
    ("cars93-lasso", "cars93.csv", "Price", "lasso"),
    ("cars93-knn", "cars93.csv", "Price", "knn"),
    ("cars93-dt", "cars93.csv", "Price", "dt"),
    ("cars93-gbm", "cars93.csv", "Price", "gbm"),
    ("cars93-svr", "cars93.csv", "Price", "svr"),
    ("iris-majority", "iris.csv", "species", "majority"),
    ("iris-lr", "iris.csv", "species", "lr"),
    ("iris-nb", "iris.csv", "species", "nb"),
    ("iris-dt", "iris.csv", "species", "dt"),
    ("iris-gbm", "iris.csv", "species", "gbm"),
    ("iris-svc", "iris.csv", "species", "svc"),
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn updating() -> bool {
    std::env::var_os("AUTOML_UPDATE_GOLDEN").is_some()
}

/// Compares `actual` with the golden file `name`, or writes it when updating.
fn check(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("\r\n", "\n");
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(5)
            .map(|(i, (e, a))| format!("line {}:\n  golden: {e}\n  now:    {a}", i + 1))
            .collect();
        panic!(
            "{name} differs from its golden file ({} vs {} lines):\n{}",
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

/// The leaderboard CSV of the default compare of `data` on `threads` threads, without the
/// fit_seconds column.
fn leaderboard(data: &str, target: &str, threads: usize) -> String {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let board = pool
        .install(|| Compare::new(target).export_top(0).run_csv(dataset(data)))
        .unwrap_or_else(|e| panic!("{data}: {e}"))
        .leaderboard;
    let mut csv = Vec::new();
    automl::leaderboard::write_csv(&board.entries, board.profile.target.task, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let cut = line.rfind(',').unwrap();
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

#[test]
fn default_leaderboards_are_unchanged_at_one_and_two_threads() {
    for (data, target) in DATASETS {
        let name = format!("leaderboards/{}", data);
        let one = leaderboard(data, target, 1);
        check(&name, &one);
        let two = leaderboard(data, target, 2);
        assert_eq!(one, two, "{data}: one and two threads differ");
    }
}

/// Every prediction (and class probability) of `model` on `data`, in full precision.
fn predictions(model: &Model, data: &str) -> String {
    let frame = automl::io::load::read_csv(&dataset(data), &Default::default()).unwrap();
    let p = model.predict(&frame).unwrap();
    let mut out = String::new();
    for (i, v) in p.values.iter().enumerate() {
        write!(out, "{v:?}").unwrap();
        if let Some(proba) = &p.proba {
            for q in proba.row(i) {
                write!(out, ",{q:?}").unwrap();
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn saved_models_load_and_predict_the_same_bits() {
    for (stem, data, target, algorithm) in MODELS {
        let file = golden_dir().join(format!("models/{stem}.automl"));
        // A model file is written once, when missing: the files saved by earlier builds are
        // what this test loads (without ensembles, so that the file is the algorithm's own).
        if updating() && !file.exists() {
            let result = Compare::new(target)
                .include([algorithm])
                .ensembles(false)
                .run_csv(dataset(data))
                .unwrap();
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            result.models[0].save(&file).unwrap();
        }
        let model = Model::load(&file).unwrap_or_else(|e| panic!("{stem}: {e}"));
        check(
            &format!("models/{stem}.predictions"),
            &predictions(&model, data),
        );
    }
}
