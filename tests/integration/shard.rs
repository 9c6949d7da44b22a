//! A compare split over shards and merged: the merged leaderboard equals the one-machine one
//! scored on every fold (`--full-cv`: shards never race; fit times aside) for 1, 3 and 7
//! shards, and so does the exported model's prediction; shards read their index from Slurm's
//! environment; a merge refuses a missing, duplicated, truncated or foreign shard, naming it; a
//! shard refuses a malformed `--shard`, a search, and a folder another process is writing the
//! same shard into.

use std::path::{Path, PathBuf};

use crate::common::{automl, dataset, read_csv, scratch_dir};

const INCLUDE: &str = "mean,ridge,dt,gbm,knn,rf";

fn compare_args(data: &Path) -> Vec<String> {
    [
        "compare",
        "--target",
        "Price",
        "--include",
        INCLUDE,
        "--no-track",
        "-q",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([data.display().to_string()])
    .collect()
}

/// Runs the `n` shards of a cars93 compare into a new folder and returns it.
fn shards(n: usize, data: &Path) -> PathBuf {
    let dir = scratch_dir("shards");
    for k in 0..n {
        automl()
            .args(compare_args(data))
            .args(["--shard", &format!("{k}/{n}"), "--out"])
            .arg(&dir)
            .assert()
            .success();
    }
    dir
}

/// A leaderboard's rows without the fit-time column.
fn board(run: &Path) -> Vec<Vec<String>> {
    let rows = read_csv(&run.join("leaderboard.csv"));
    let time = rows[0].iter().position(|h| h == "fit_seconds").unwrap();
    rows.into_iter()
        .map(|mut r| {
            r.remove(time);
            r
        })
        .collect()
}

fn predictions(run: &Path) -> Vec<f64> {
    let model = automl::Model::load(run).unwrap();
    let frame = automl::io::load::read_csv(&dataset("cars93.csv"), &Default::default()).unwrap();
    model.predict(&frame).unwrap().values
}

#[test]
fn the_merged_leaderboard_is_the_one_machine_leaderboard_for_any_shard_count() {
    let data = dataset("cars93.csv");
    let one = scratch_dir("one-machine");
    automl()
        .args(compare_args(&data))
        .args(["--full-cv", "--out"])
        .arg(&one)
        .assert()
        .success();
    let expected = board(&one);
    assert!(expected.len() > 20, "{expected:?}");
    for n in [1, 3, 7] {
        let dir = shards(n, &data);
        let merged = scratch_dir("merged");
        automl()
            .args(["merge", "--no-track", "-q", "--out"])
            .arg(&merged)
            .arg(&dir)
            .assert()
            .success();
        assert_eq!(board(&merged), expected, "{n} shards");
        assert_eq!(predictions(&merged), predictions(&one), "{n} shards");
    }
    // Slurm's array variables name the shard.
    let dir = scratch_dir("slurm-shards");
    for id in 5..8 {
        automl()
            .args(compare_args(&data))
            .args(["--shard", "env", "--out"])
            .arg(&dir)
            .env("SLURM_ARRAY_TASK_ID", id.to_string())
            .env("SLURM_ARRAY_TASK_MIN", "5")
            .env("SLURM_ARRAY_TASK_COUNT", "3")
            .assert()
            .success();
    }
    let merged = scratch_dir("merged-slurm");
    automl()
        .args(["merge", "--no-track", "-q", "--out"])
        .arg(&merged)
        .arg(&dir)
        .assert()
        .success();
    assert_eq!(board(&merged), expected);
}

/// Runs `automl merge` on `dirs` and returns its exit code and standard error.
fn merge(dirs: &[&Path]) -> (i32, String) {
    let out = scratch_dir("bad-merge").join("run");
    let output = automl()
        .args(["merge", "--no-track", "-q", "--out"])
        .arg(&out)
        .args(dirs)
        .output()
        .unwrap();
    assert!(
        !out.join("leaderboard.csv").exists(),
        "no leaderboard from a refused merge"
    );
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_shards_and_merges_exit_2_naming_the_file_and_what_to_do() {
    let data = dataset("cars93.csv");
    let dir = shards(3, &data);
    let file = |k: usize| dir.join(format!("shard-{k:04}-of-0003.json"));

    let missing = scratch_dir("missing");
    std::fs::copy(file(0), missing.join("shard-0000-of-0003.json")).unwrap();
    std::fs::copy(file(2), missing.join("shard-0002-of-0003.json")).unwrap();
    let (code, err) = merge(&[&missing]);
    assert_eq!(code, 2);
    assert!(err.contains("--shard 1/3"), "{err}");

    let twice = scratch_dir("twice");
    std::fs::copy(file(1), twice.join("shard-0001-of-0003.json")).unwrap();
    let (code, err) = merge(&[&dir, &twice]);
    assert_eq!(code, 2);
    assert!(err.contains("there twice"), "{err}");

    let truncated = scratch_dir("truncated");
    for k in 0..3 {
        std::fs::copy(
            file(k),
            truncated.join(format!("shard-{k:04}-of-0003.json")),
        )
        .unwrap();
    }
    let cut = truncated.join("shard-0002-of-0003.json");
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (code, err) = merge(&[&truncated]);
    assert_eq!(code, 2);
    assert!(
        err.contains("shard-0002-of-0003.json") && err.contains("run that shard again"),
        "{err}"
    );

    // A shard of other data: the same table with one price changed.
    let other = scratch_dir("other-data").join("cars93.csv");
    let text = std::fs::read_to_string(&data).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[1] = lines[1].replacen(",", ",1", 1);
    std::fs::write(&other, lines.join("\n") + "\n").unwrap();
    let foreign = scratch_dir("foreign");
    for k in [0, 1] {
        std::fs::copy(file(k), foreign.join(format!("shard-{k:04}-of-0003.json"))).unwrap();
    }
    automl()
        .args(compare_args(&other))
        .args(["--shard", "2/3", "--out"])
        .arg(&foreign)
        .assert()
        .success();
    let (code, err) = merge(&[&foreign]);
    assert_eq!(code, 2);
    assert!(err.contains("another data"), "{err}");

    for (flags, expected) in [
        (vec!["--shard", "3/3"], "run from 0 to 2"),
        (vec!["--shard", "0/0"], "at least 1"),
        (vec!["--shard", "two"], "is not a shard"),
        (vec!["--shard", "env"], "SLURM_ARRAY_TASK_ID"),
        (vec!["--shard", "0/2", "--trials", "10"], "automl tune"),
    ] {
        let output = automl()
            .args(compare_args(&data))
            .args(&flags)
            .arg("--out")
            .arg(scratch_dir("bad-shard"))
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(expected), "{flags:?}: {err}");
    }

    // Another process holds the shard: refused, not raced.
    let busy = scratch_dir("busy");
    let lock = std::fs::File::create(busy.join(".shard-0000-of-0002.json.lock")).unwrap();
    lock.lock().unwrap();
    let output = automl()
        .args(compare_args(&data))
        .args(["--shard", "0/2", "--out"])
        .arg(&busy)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("another process is running shard 0/2")
    );
    assert!(!busy.join("shard-0000-of-0002.json").exists());
}
