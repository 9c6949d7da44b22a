//! Malformed, hostile and merely unusual inputs, one test per fixture of `tests/fixtures/bad/`
//! (its README lists them) plus a few generated at test time (too big to commit) and
//! `automl predict` with damaged model files.
//!
//! Every run must end without a panic. Bad input is exit code 2 with a short message on stderr
//! naming the problem (and the file, column or line where there is one); unusual input succeeds
//! with outputs that make sense.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::{automl, dataset, read_csv, scratch_dir};

/// Fast regression algorithms: the default grid is not the point here (debug build).
const REG: &[&str] = &["--include", "mean,ridge,dt"];
/// Fast classification algorithms.
const CLS: &[&str] = &["--include", "majority,lr,dt"];

/// A fixture under `tests/fixtures/bad`.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bad")
        .join(name)
}

/// One finished `automl` process.
struct Run {
    what: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The `--out` folder of a compare.
    out: PathBuf,
    /// The paths given on the command line, which messages may quote.
    paths: Vec<PathBuf>,
}

/// Runs `automl` with `args`, checks it did not panic, and keeps what it printed. `paths` are
/// the paths among `args`.
fn run(args: &[&std::ffi::OsStr], out: PathBuf, paths: &[&Path]) -> Run {
    let output = automl().args(args).output().expect("automl runs");
    let run = Run {
        what: format!("automl {}", shell_line(args)),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
    };
    run.did_not_panic();
    run
}

fn shell_line(args: &[&std::ffi::OsStr]) -> String {
    args.iter()
        .map(|a| {
            let a = a.to_string_lossy();
            if a.is_empty() || a.contains([' ', ';', '\'', '\\', '"', '\t']) {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `automl compare DATA --quiet --no-track --out <scratch> EXTRA...`.
fn compare(data: &Path, extra: &[&str]) -> Run {
    compare_to(data, &scratch_dir("bad-input"), extra)
}

/// As [`compare`], writing to `out`.
fn compare_to(data: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "compare".as_ref(),
        data.as_os_str(),
        "--quiet".as_ref(),
        "--no-track".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    run(&args, out.to_path_buf(), &[data, out])
}

/// `automl predict --model MODEL DATA --out <scratch>/predictions.csv`.
fn predict(model: &Path, data: &Path) -> Run {
    let out = scratch_dir("bad-predict");
    let file = out.join("predictions.csv");
    run(
        &[
            "predict".as_ref(),
            "--model".as_ref(),
            model.as_os_str(),
            data.as_os_str(),
            "--out".as_ref(),
            file.as_os_str(),
        ],
        out.clone(),
        &[model, data, &file],
    )
}

impl Run {
    fn context(&self) -> String {
        format!(
            "{}\nexit code {:?}\n--- stderr\n{}\n--- stdout\n{}",
            self.what,
            self.code,
            self.stderr,
            self.stdout.chars().take(3000).collect::<String>()
        )
    }

    fn did_not_panic(&self) {
        assert_ne!(self.code, Some(101), "panicked: {}", self.context());
        assert!(
            self.code.is_some(),
            "killed by a signal: {}",
            self.context()
        );
        assert!(
            !self.stderr.contains("panicked"),
            "panicked: {}",
            self.context()
        );
    }

    /// Exit code 2 with a short `error: ...` message (a few lines, not a dump of the file).
    fn fails(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(2),
            "expected exit code 2: {}",
            self.context()
        );
        assert!(
            self.stderr.contains("error: "),
            "no error message: {}",
            self.context()
        );
        assert!(
            self.stderr.len() < 1000,
            "the message should be a few lines, not {} bytes: {}",
            self.stderr.len(),
            self.context()
        );
        self
    }

    /// The text `needle` is looked for in, lowercased. A needle naming a file (a file name given
    /// on the command line, or anything with a `/`) is looked for in all of stderr; any other
    /// needle in stderr without the paths of the command line, so that "png" is not found in
    /// ".../png_junk.csv".
    fn haystack(&self, needle: &str) -> String {
        let names: Vec<String> = self
            .paths
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        if needle.contains('/') || names.iter().any(|n| n.eq_ignore_ascii_case(needle)) {
            return self.stderr.to_lowercase();
        }
        let mut paths: Vec<String> = self.paths.iter().map(|p| p.display().to_string()).collect();
        paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let mut message = self.stderr.clone();
        for quoted in paths.iter().chain(&names) {
            message = message.replace(quoted.as_str(), "<path>");
        }
        message.to_lowercase()
    }

    /// stderr contains every one of `needles` (ignoring case; see [`Run::haystack`]).
    fn says(&self, needles: &[&str]) -> &Self {
        for needle in needles {
            assert!(
                self.haystack(needle).contains(&needle.to_lowercase()),
                "stderr should mention {needle:?}: {}",
                self.context()
            );
        }
        self
    }

    /// stderr contains at least one of `needles` (ignoring case): wording may vary.
    fn says_one_of(&self, needles: &[&str]) -> &Self {
        assert!(
            needles
                .iter()
                .any(|n| self.haystack(n).contains(&n.to_lowercase())),
            "stderr should mention one of {needles:?}: {}",
            self.context()
        );
        self
    }

    /// Exit code 0, a profile and a leaderboard with at least one scored row whose ranking
    /// metric is a finite number.
    fn succeeds(&self) -> &Self {
        assert_eq!(self.code, Some(0), "expected success: {}", self.context());
        let board = self.leaderboard();
        assert!(board.len() > 1, "an empty leaderboard: {}", self.context());
        let metric = &board[0][7];
        assert!(
            metric == "rmse_mean" || metric == "accuracy_mean",
            "unexpected leaderboard header {:?}",
            board[0]
        );
        let best = &board[1];
        assert_eq!(best[5], "ok", "the best row is not scored: {best:?}");
        let score: f64 = best[7].parse().expect("a number");
        assert!(score.is_finite(), "best {metric} is {score}: {best:?}");
        self
    }

    fn leaderboard(&self) -> Vec<Vec<String>> {
        let path = self.out.join("leaderboard.csv");
        assert!(path.is_file(), "no leaderboard.csv: {}", self.context());
        read_csv(&path)
    }

    /// The value of `column` in leaderboard row `row` (1 = best).
    fn cell(&self, row: usize, column: &str) -> String {
        let board = self.leaderboard();
        let at = board[0]
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("no column {column} in {:?}", board[0]));
        board[row][at].clone()
    }

    /// `profile.json`, parsed strictly (serde_json refuses NaN and infinities).
    fn profile(&self) -> Value {
        let text = std::fs::read_to_string(self.out.join("profile.json")).expect("profile.json");
        serde_json::from_str(&text).expect("profile.json is JSON")
    }

    /// The profile entry of feature `name`.
    fn feature(&self, name: &str) -> Value {
        let profile = self.profile();
        profile["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no feature {name:?} in {}", profile["features"]))
            .clone()
    }

    /// Names of the profiled features that are used (not dropped).
    fn used_features(&self) -> Vec<String> {
        self.profile()["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f.get("dropped").is_none_or(Value::is_null))
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// A line of stdout or stderr with a warning that mentions every one of `needles`.
    fn warns(&self, needles: &[&str]) -> &Self {
        let found =
            self.stdout.lines().chain(self.stderr.lines()).any(|l| {
                l.to_lowercase().contains("warning") && needles.iter().all(|n| l.contains(n))
            });
        assert!(
            found,
            "expected a warning line mentioning {needles:?}: {}",
            self.context()
        );
        self
    }
}

/// `rejects!(test, "fixture.csv", [args...], [needles...])`: the fixture is refused with exit
/// code 2 and a message mentioning every needle. The fast regression algorithms are included.
macro_rules! rejects {
    ($test:ident, $file:literal, [$($arg:expr),* $(,)?], [$($needle:literal),+ $(,)?]) => {
        #[test]
        fn $test() {
            let mut args: Vec<&str> = vec![$($arg),*];
            args.extend_from_slice(REG);
            compare(&fixture($file), &args).fails().says(&[$($needle),+]);
        }
    };
}

/// `accepts!(test, "fixture.csv", [args...], |run| { checks })`: the fixture is accepted (a
/// regression with the fast algorithms), then the checks run on it.
macro_rules! accepts {
    ($test:ident, $file:literal, [$($arg:expr),* $(,)?], |$run:ident| $check:block) => {
        #[test]
        fn $test() {
            let mut args: Vec<&str> = vec![$($arg),*];
            args.extend_from_slice(REG);
            let $run = compare(&fixture($file), &args);
            $run.succeeds();
            $check
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Files that are not tables, or tables without rows.

rejects!(
    empty_file,
    "empty.csv",
    ["--target", "y"],
    ["empty.csv", "empty"]
);

rejects!(
    header_only,
    "header_only.csv",
    ["--target", "y"],
    ["header_only.csv", "no data rows"]
);

rejects!(
    one_data_row,
    "one_row.csv",
    ["--target", "y"],
    ["only one row", "'y'"]
);

rejects!(
    fewer_rows_than_folds,
    "three_rows.csv",
    ["--target", "y"],
    ["3 rows", "5 folds", "--folds 3"]
);

#[test]
fn png_magic_and_random_bytes() {
    compare(&fixture("png_junk.csv"), &["--target", "y"])
        .fails()
        .says(&["png_junk.csv"])
        .says_one_of(&["binary", "png", "not a text"]);
}

/// A gzip-compressed CSV named `.csv`: reading it is fine; refusing it must say it is
/// compressed (not give a build hint meant for developers).
#[test]
fn gzip_compressed_csv() {
    let run = compare(
        &fixture("gzip_junk.csv"),
        &["--target", "y", REG[0], REG[1]],
    );
    if run.code == Some(0) {
        run.succeeds();
        assert_eq!(run.profile()["rows"], 40);
    } else {
        run.fails()
            .says(&["gzip_junk.csv"])
            .says_one_of(&["gzip", "compressed"]);
        assert!(
            !run.stderr.contains("compile with feature"),
            "a build hint is no use to a user: {}",
            run.context()
        );
    }
}

#[test]
fn a_directory_as_input() {
    let dir = fixture("");
    compare(&dir, &["--target", "y", REG[0], REG[1]])
        .fails()
        .says(&["is a directory"]);
}

#[test]
fn a_missing_file() {
    let path = scratch_dir("missing").join("no-such-file.csv");
    let run = compare(&path, &["--target", "y", REG[0], REG[1]]);
    run.fails().says(&["no-such-file.csv", "no such file"]);
    assert_eq!(
        run.stderr.matches("No such file or directory").count(),
        1,
        "the OS error is repeated: {}",
        run.context()
    );
}

// ---------------------------------------------------------------------------------------------
// Malformed CSV.

rejects!(
    ragged_row_with_too_many_fields,
    "ragged_too_many.csv",
    ["--target", "y"],
    ["ragged_too_many.csv", "line 7", "fields"]
);

rejects!(
    ragged_row_with_too_few_fields,
    "ragged_too_few.csv",
    ["--target", "y"],
    ["ragged_too_few.csv", "line 9", "fields"]
);

rejects!(
    unterminated_quote,
    "unterminated_quote.csv",
    ["--target", "y"],
    ["unterminated_quote.csv", "line 12", "quote"]
);

rejects!(
    invalid_utf8_in_a_text_field,
    "invalid_utf8.csv",
    ["--target", "y"],
    ["invalid_utf8.csv", "UTF-8", "line 6", "'city'"]
);

#[test]
fn duplicate_column_names() {
    compare(
        &fixture("duplicate_names.csv"),
        &["--target", "y", REG[0], REG[1]],
    )
    .fails()
    .says(&["'x1'"])
    .says_one_of(&["duplicate", "twice", "more than once"]);
}

#[test]
fn semicolons_without_sep() {
    compare(
        &fixture("semicolon.csv"),
        &["--target", "y", REG[0], REG[1]],
    )
    .fails()
    .says(&["'y'", "--sep"]);
}

accepts!(utf8_byte_order_mark, "bom.csv", ["--target", "y"], |run| {
    let profile = run.profile();
    assert_eq!(profile["target"]["column"]["name"], "y");
    assert_eq!(run.used_features(), ["x1", "x2", "color"]);
});

accepts!(crlf_line_endings, "crlf.csv", ["--target", "y"], |run| {
    let profile = run.profile();
    assert_eq!(profile["target"]["column"]["name"], "y");
    assert_eq!(profile["target"]["task"], "regression");
    assert_eq!(profile["rows"], 40);
    assert_eq!(run.used_features(), ["x1", "x2", "color"]);
    assert_eq!(
        run.feature("color")["distinct"],
        3,
        "a '\\r' left on values?"
    );
});

accepts!(
    tab_separated,
    "tab_separated.tsv",
    ["--target", "y", "--sep", "\\t"],
    |run| {
        assert_eq!(run.profile()["columns"], 4);
        assert_eq!(run.used_features(), ["x1", "x2", "color"]);
    }
);

accepts!(
    quoted_fields_with_newlines,
    "quoted_newlines.csv",
    ["--target", "y"],
    |run| {
        let profile = run.profile();
        assert_eq!(profile["rows"], 40);
        let note = run.feature("note");
        assert_eq!(note["kind"], "categorical");
        let levels: Vec<&str> = note["top"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["level"].as_str().unwrap())
            .collect();
        assert!(levels.contains(&"line one\nline two"), "{levels:?}");
    }
);

/// The printed profile keeps one line per column: a newline inside a value is shown escaped.
#[test]
fn quoted_newlines_do_not_break_the_printed_profile() {
    let run = compare(
        &fixture("quoted_newlines.csv"),
        &["--target", "y", REG[0], REG[1]],
    );
    run.succeeds();
    let profile = run.stdout.split("(* target)").next().unwrap();
    assert!(
        !profile.contains("line one\nline two") && !profile.contains("hi\"\nthen"),
        "a value's newline breaks the profile table: {}",
        run.context()
    );
}

accepts!(
    blank_lines_are_skipped,
    "blank_lines.csv",
    ["--target", "y"],
    |run| {
        assert_eq!(run.profile()["rows"], 40, "blank lines are not rows");
        assert!(
            run.stdout.contains("40 rows used, 0 dropped"),
            "{}",
            run.context()
        );
    }
);

accepts!(
    trailing_separator_on_every_line,
    "trailing_comma.csv",
    ["--target", "y"],
    |run| {
        assert_eq!(run.used_features(), ["x1", "x2", "color"]);
    }
);

accepts!(
    header_names_with_padding_spaces,
    "padded_header.csv",
    ["--target", "y"],
    |run| {
        assert_eq!(run.profile()["target"]["column"]["name"], "y");
        assert_eq!(run.used_features(), ["x1", "x2, raw", "color"]);
    }
);

accepts!(
    nul_byte_in_a_text_field,
    "nul_byte.csv",
    ["--target", "y"],
    |run| {
        assert_eq!(run.profile()["rows"], 40);
    }
);

// ---------------------------------------------------------------------------------------------
// Column names and the target.

#[test]
fn missing_target_column_suggests_close_names() {
    compare(
        &fixture("target_typo.csv"),
        &["--target", "pric", REG[0], REG[1]],
    )
    .fails()
    .says(&["'pric' is not in the data", "did you mean price"]);
}

accepts!(
    spaces_and_non_ascii_names,
    "unicode_names.csv",
    ["--target", "prix €"],
    |run| {
        let profile = run.profile();
        assert_eq!(profile["target"]["column"]["name"], "prix €");
        assert_eq!(run.used_features(), ["Größe", "名前", "poids (kg)"]);
        assert_eq!(run.feature("名前")["kind"], "categorical");
        // The exported model reads the same names back.
        let predicted = predict(&run.out, &fixture("unicode_names.csv"));
        assert_eq!(predicted.code, Some(0), "{}", predicted.context());
        let rows = read_csv(&predicted.out.join("predictions.csv"));
        assert_eq!(rows.len(), 41);
    }
);

rejects!(
    target_entirely_missing,
    "target_all_blank.csv",
    ["--target", "y"],
    ["'y'", "every value is missing"]
);

rejects!(
    constant_target,
    "constant_target.csv",
    ["--target", "y"],
    ["'y'", "7.5"]
);

#[test]
fn single_class_target() {
    let mut args = vec!["--target", "label"];
    args.extend_from_slice(CLS);
    compare(&fixture("single_class.csv"), &args)
        .fails()
        .says(&["'label'", "yes"]);
}

#[test]
fn class_with_two_rows_and_five_folds() {
    let mut args = vec!["--target", "label"];
    args.extend_from_slice(CLS);
    compare(&fixture("class_of_two.csv"), &args).fails().says(&[
        "class 'green'",
        "2 row(s)",
        "--folds 2",
    ]);
}

rejects!(
    text_target_as_regression,
    "text_target.csv",
    ["--target", "shade", "--task", "regression"],
    ["'shade'", "not numeric"]
);

// The message shows a value of the column (it used to show an empty list).
rejects!(
    datetime_target,
    "datetime_target.csv",
    ["--target", "shipped"],
    ["'shipped'", "dates", "2024-01-01"]
);

rejects!(
    only_the_target_column,
    "only_target.csv",
    ["--target", "y"],
    ["no usable feature columns"]
);

rejects!(
    only_an_id_column_besides_the_target,
    "only_id_column.csv",
    ["--target", "y"],
    ["no usable feature columns", "'customer'", "text/ID-like"]
);

rejects!(
    only_constant_features,
    "only_constant_features.csv",
    ["--target", "y"],
    ["no usable feature columns", "'k'", "'flag'", "constant"]
);

#[test]
fn boolean_target_is_a_classification() {
    let mut args = vec!["--target", "churned"];
    args.extend_from_slice(CLS);
    let run = compare(&fixture("bool_target.csv"), &args);
    run.succeeds();
    let profile = run.profile();
    assert_eq!(profile["target"]["task"], "classification");
    assert_eq!(profile["target"]["classes"].as_array().unwrap().len(), 2);
}

accepts!(
    target_with_huge_outliers,
    "outlier_target.csv",
    ["--target", "y"],
    |run| {
        let board = run.leaderboard();
        let rmse_at = board[0].iter().position(|h| h == "rmse_mean").unwrap();
        for row in board[1..].iter().filter(|r| r[5] == "ok") {
            let rmse: f64 = row[rmse_at].parse().unwrap();
            assert!(rmse.is_finite(), "{row:?}");
        }
        assert_eq!(run.profile()["target"]["rows_used"], 40);
    }
);

accepts!(
    negative_and_zero_targets,
    "negative_zero_target.csv",
    ["--target", "y"],
    |run| {
        for metric in ["mape_mean", "smape_mean", "rmse_mean", "r2_mean"] {
            let value: f64 = run.cell(1, metric).parse().unwrap();
            assert!(value.is_finite(), "{metric} = {value}");
        }
        // RMSLE is undefined with values of -1 or less: empty (or NaN), never a number.
        let rmsle = run.cell(1, "rmsle_mean");
        assert!(
            rmsle.is_empty() || rmsle.parse::<f64>().is_ok_and(f64::is_nan),
            "rmsle_mean {rmsle:?}"
        );
        // MAPE divides by the target: with zeros it is undefined, shown as inf, and said why
        // once (the CSV keeps scikit-learn's figure).
        let table: Vec<&str> = run.stdout.lines().filter(|l| l.contains(" ± ")).collect();
        assert!(
            !table.is_empty() && table.iter().all(|l| l.contains(" inf ")),
            "{table:?}"
        );
        let notes = run
            .stdout
            .matches("MAPE is undefined (shown as inf)")
            .count();
        assert_eq!(notes, 1, "{}", run.stdout);
    }
);

// ---------------------------------------------------------------------------------------------
// Values.

accepts!(
    null_literals_in_a_numeric_feature,
    "null_literals.csv",
    ["--target", "y"],
    |run| {
        let x1 = run.feature("x1");
        assert_eq!(x1["kind"], "numeric");
        assert_eq!(
            x1["missing"], 7,
            "inf, -inf, NaN, NA, N/A, null and empty are missing"
        );
        assert!(x1["stats"]["max"].as_f64().unwrap() < 10.0, "{x1}");
        assert!(x1["stats"]["min"].as_f64().unwrap() > 0.0, "{x1}");
    }
);

accepts!(
    null_literals_in_the_target,
    "null_literals_target.csv",
    ["--target", "y"],
    |run| {
        assert!(
            run.stdout
                .contains("33 rows used, 7 dropped (target missing)"),
            "{}",
            run.context()
        );
        assert_eq!(run.profile()["target"]["rows_used"], 33);
    }
);

rejects!(
    thousands_separators_in_a_feature,
    "thousands_feature.csv",
    ["--target", "y"],
    ["'income'", "thousands"]
);

rejects!(
    thousands_separators_in_the_target,
    "thousands_target.csv",
    ["--target", "price"],
    ["'price'", "thousands"]
);

rejects!(
    decimal_commas_in_a_feature,
    "decimal_comma_feature.csv",
    ["--target", "y", "--sep", ";"],
    ["'weight'", "decimal comma"]
);

rejects!(
    decimal_commas_in_the_target,
    "decimal_comma_target.csv",
    ["--target", "price", "--sep", ";"],
    ["'price'", "decimal comma"]
);

/// 1,000 categorical columns of 30 levels: up to 26 encoded columns each, 26,000 in all.
#[test]
fn one_hot_width_is_capped() {
    let dir = scratch_dir("wide-categories");
    let path = dir.join("wide.csv");
    let mut text: String = (0..1000).map(|c| format!("c{c},")).collect::<String>() + "y\n";
    for r in 0..100 {
        for c in 0..1000 {
            text += &format!("l{},", (r * 7 + c) % 30);
        }
        text += &format!("{}\n", r % 17);
    }
    std::fs::write(&path, text).unwrap();
    compare(&path, &["--target", "y", "--include", "mean"])
        .fails()
        .says(&["26000 columns", "--ignore", "'c0' (26)"]);
}

// ... and read as numbers with --decimal-comma.
accepts!(
    decimal_commas_read_with_the_flag,
    "decimal_comma_target.csv",
    ["--target", "price", "--sep", ";", "--decimal-comma"],
    |run| {
        assert_eq!(run.profile()["target"]["task"], "regression");
        assert_eq!(run.profile()["target"]["column"]["kind"], "numeric");
    }
);

// Mostly numbers with a few words: the run goes on, and a warning names the column and a word.
accepts!(
    numbers_and_words_in_one_column,
    "mixed_type.csv",
    ["--target", "y"],
    |run| {
        run.warns(&["'age'", "unknown"]);
    }
);

accepts!(a_100_kb_field, "long_field.csv", ["--target", "y"], |run| {
    assert_eq!(run.profile()["rows"], 40);
    run.feature("comment");
});

/// The printed profile shortens long values instead of printing 100 KB to the terminal.
#[test]
fn a_100_kb_field_is_not_printed_whole() {
    let run = compare(
        &fixture("long_field.csv"),
        &["--target", "y", REG[0], REG[1]],
    );
    run.succeeds();
    assert!(
        run.stdout.len() < 20_000,
        "stdout is {} bytes",
        run.stdout.len()
    );
}

accepts!(
    values_near_the_float_limits,
    "huge_numbers.csv",
    ["--target", "y"],
    |run| {
        let board = run.leaderboard();
        assert!(board[1..].iter().any(|r| r[1] == "mean" && r[5] == "ok"));
        for row in board[1..].iter().filter(|r| r[5] != "ok") {
            assert!(
                !row[6].is_empty(),
                "a failed row without its reason: {row:?}"
            );
        }
    }
);

/// Statistics of values near the float limits are computed without overflow (the mean of
/// -1.7e308 and 1e308 is finite).
#[test]
fn values_near_the_float_limits_have_finite_statistics() {
    let run = compare(
        &fixture("huge_numbers.csv"),
        &["--target", "y", REG[0], REG[1]],
    );
    run.succeeds();
    let stats = &run.feature("x1")["stats"];
    for stat in ["min", "max", "mean", "std"] {
        assert!(
            stats[stat].as_f64().is_some_and(f64::is_finite),
            "x1 {stat} is {}: {stats}",
            stats[stat]
        );
    }
}

accepts!(
    a_feature_with_no_values,
    "all_missing_feature.csv",
    ["--target", "y"],
    |run| {
        assert_eq!(run.used_features(), ["x1", "color"]);
        assert!(run.stdout.contains("DROPPED: every value is missing"));
    }
);

// ---------------------------------------------------------------------------------------------
// Generated at test time: too big to commit.

/// 25,000 rows with a 10,000-level categorical column (each level 2 or 3 times, so it is not
/// ID-like) whose level carries signal.
#[test]
fn ten_thousand_levels() {
    let dir = scratch_dir("levels");
    let path = dir.join("levels.csv");
    let mut text = String::from("x1,shop,y\n");
    for i in 0..25_000u32 {
        let level = i % 10_000;
        let x1 = f64::from(i.wrapping_mul(2_654_435_761) % 1000) / 100.0;
        let y = 2.0 * x1 + f64::from(level % 7);
        text.push_str(&format!("{x1},shop-{level:05},{y}\n"));
    }
    std::fs::write(&path, text).unwrap();
    let run = compare_to(
        &path,
        &dir.join("run"),
        &["--target", "y", "--include", "mean,ridge"],
    );
    run.succeeds();
    let shop = run.feature("shop");
    assert_eq!(shop["kind"], "categorical", "{shop}");
    assert_eq!(shop["distinct"], 10_000);
    assert_eq!(run.used_features(), ["x1", "shop"]);
    assert_eq!(run.cell(1, "model"), "ridge");
}

/// 200 rows x 2,000 numeric columns (plus the target).
#[test]
fn two_thousand_columns() {
    let dir = scratch_dir("wide");
    let path = dir.join("wide.csv");
    let mut text: String = (0..2000).map(|j| format!("f{j},")).collect();
    text.push_str("y\n");
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..200 {
        let mut row = Vec::with_capacity(2001);
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            row.push((state % 2000) as f64 / 1000.0 - 1.0);
        }
        let y = 3.0 * row[0] + row[1];
        let mut line: String = row.iter().map(|v| format!("{v},")).collect();
        line.push_str(&format!("{y}\n"));
        text.push_str(&line);
    }
    std::fs::write(&path, text).unwrap();
    let run = compare_to(
        &path,
        &dir.join("run"),
        &["--target", "y", "--include", "mean,dt"],
    );
    run.succeeds();
    let profile = run.profile();
    assert_eq!(profile["columns"], 2001);
    assert_eq!(run.used_features().len(), 2000);
    assert_eq!(run.cell(1, "model"), "dt");
}

// ---------------------------------------------------------------------------------------------
// Outputs.

/// `--out` below a regular file fails for every user, root included.
#[test]
fn out_folder_below_a_file() {
    let out = fixture("plain.csv").join("sub");
    compare_to(
        &fixture("plain.csv"),
        &out,
        &["--target", "y", REG[0], REG[1]],
    )
    .fails()
    .says(&["plain.csv/sub"]);
}

/// An unusable output folder is found before the sweep, not after minutes of work.
#[test]
fn out_folder_below_a_file_is_refused_before_the_sweep() {
    let out = fixture("plain.csv").join("sub");
    let run = compare_to(
        &fixture("plain.csv"),
        &out,
        &["--target", "y", REG[0], REG[1]],
    );
    run.fails();
    assert!(
        !run.stdout.contains("candidates ("),
        "the sweep ran before the output folder was checked: {}",
        run.context()
    );
}

/// `--out` inside a read-only folder. Root can write there anyway: then there is nothing to test.
#[test]
fn out_folder_in_a_read_only_folder() {
    use std::os::unix::fs::PermissionsExt;
    let parent = scratch_dir("read-only");
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = parent.join("probe");
    if std::fs::write(&probe, b"").is_ok() {
        std::fs::remove_file(&probe).unwrap();
        std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!("skipped: this user (root?) can write to a 0o555 folder");
        return;
    }
    let out = parent.join("run");
    let run = compare_to(
        &fixture("plain.csv"),
        &out,
        &["--target", "y", REG[0], REG[1]],
    );
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o755)).unwrap();
    run.fails().says(&[&out.display().to_string()]);
}

// ---------------------------------------------------------------------------------------------
// `automl predict` with damaged models.

/// A ridge model of diabetes, exported once for all the predict tests.
fn ridge_model() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        let run = compare(
            &dataset("diabetes.csv"),
            &["--target", "progression", "--include", "ridge"],
        );
        run.succeeds();
        run.out.join("model.automl")
    })
}

/// A copy of the ridge model with `edit` applied to its bytes.
fn edited_model(name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(ridge_model()).unwrap();
    edit(&mut bytes);
    let path = scratch_dir("model").join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn predict_with_a_model_of_another_format_version() {
    let model = edited_model("v9.automl", |bytes| {
        let header = format!("AUTOML-MODEL {} ", automl::model::FORMAT_VERSION);
        assert!(bytes.starts_with(header.as_bytes()));
        bytes[b"AUTOML-MODEL ".len()] = b'9';
    });
    predict(&model, &dataset("diabetes.csv"))
        .fails()
        .says(&["v9.automl", "format version 9"]);
}

#[test]
fn predict_with_a_corrupted_model() {
    let model = edited_model("flipped.automl", |bytes| {
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
    });
    predict(&model, &dataset("diabetes.csv"))
        .fails()
        .says(&["flipped.automl", "SHA-256 does not match"]);
}

#[test]
fn predict_with_a_truncated_model() {
    let model = edited_model("truncated.automl", |bytes| bytes.truncate(bytes.len() / 2));
    predict(&model, &dataset("diabetes.csv"))
        .fails()
        .says(&["truncated.automl", "truncated"]);
}

#[test]
fn predict_with_a_file_that_is_not_a_model() {
    predict(&fixture("not_a_model.automl"), &dataset("diabetes.csv"))
        .fails()
        .says(&["not_a_model.automl", "not an automl model file"]);
}

#[test]
fn predict_on_data_without_the_model_columns() {
    predict(ridge_model(), &fixture("plain.csv"))
        .fails()
        .says(&["'age'"]);
}

#[test]
fn predict_on_an_empty_file() {
    predict(ridge_model(), &fixture("empty.csv"))
        .fails()
        .says(&["empty.csv", "empty"]);
}
