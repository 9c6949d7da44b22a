//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use automl::leaderboard::Leaderboard;

/// A bundled dataset.
pub fn dataset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets")
        .join(name)
}

/// A test fixture or reference file under `tests/data`.
pub fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The `automl` binary, without inherited thread or tracking settings. Runs are tracked in a
/// fresh folder under the target directory, never in the working directory.
pub fn automl() -> Command {
    let mut cmd = Command::cargo_bin("automl").expect("the binary is built");
    cmd.env_remove("RAYON_NUM_THREADS")
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_EXPERIMENT_NAME")
        .env("AUTOML_TRACKING_DIR", scratch_dir("mlruns"));
    cmd
}

/// A new empty folder under the target directory, kept after the test for inspection.
pub fn scratch_dir(prefix: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a scratch folder")
        .keep()
}

/// Reads a CSV into rows of fields.
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).expect("readable CSV");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    std::iter::once(header)
        .chain(
            reader
                .records()
                .map(|r| r.expect("record").iter().map(String::from).collect()),
        )
        .collect()
}

/// Runs `cmd`, requires it to succeed, and returns its standard output.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).expect("UTF-8 output")
}

/// SHA-256 of `bytes`, lowercase hex, computed here independently of the library.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The leaderboard of a compare of a bundled dataset with `threads` threads and seed 7, without
/// the (timing) fit_seconds column.
pub fn leaderboard_without_times(
    data: &str,
    target: &str,
    threads: &str,
    out: &Path,
) -> Vec<Vec<String>> {
    automl()
        .env("RAYON_NUM_THREADS", threads)
        .args([
            "compare", "--target", target, "--quiet", "--seed", "7", "--out",
        ])
        .arg(out)
        .arg(dataset(data))
        .assert()
        .success();
    read_csv(&out.join("leaderboard.csv"))
        .into_iter()
        .map(|mut row| {
            row.pop(); // fit_seconds
            row
        })
        .collect()
}

/// The names of the entries of folder `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a readable folder")
        .map(|e| {
            e.expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The leaderboard of `compare` on the CSV at `data`, run on a pool of `threads` threads.
pub fn leaderboard_at(compare: &automl::Compare, data: &Path, threads: usize) -> Leaderboard {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| compare.run_csv(data)).unwrap().leaderboard
}

/// A leaderboard as its CSV, without the (timing) fit_seconds column.
pub fn csv_without_times(board: &Leaderboard) -> String {
    let mut csv = Vec::new();
    let task = board.profile.target.task;
    automl::leaderboard::write_csv(&board.entries, task, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    text.lines()
        .map(|l| &l[..l.rfind(',').unwrap()])
        .collect::<Vec<_>>()
        .join("\n")
}
