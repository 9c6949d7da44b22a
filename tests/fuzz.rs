//! Property-based "fuzz" tests: arbitrary input through load -> profile -> table -> folds ->
//! preprocessing, and a whole `Compare` run with the cheapest baseline, asserting that nothing
//! panics. Errors are expected and fine; a panic is a bug (proptest then shrinks the input and
//! reports the minimal one).
//!
//! 64 cases per strategy by default; `PROPTEST_CASES=N` overrides it:
//!
//! ```text
//! PROPTEST_CASES=5000 cargo test --test fuzz -- --nocapture
//! ```
//!
//! Each strategy prints to stderr how many cases ran (shrinking steps included) and how deep
//! they got, and the most common errors (all of them, each with its smallest input, with
//! `AUTOML_FUZZ_EXAMPLES=1`). An input that aborts the process cannot be shrunk: the case being
//! run is kept in `$TMPDIR/automl-fuzz-last-<strategy>.txt`. The `replay` test runs one file.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use automl::io::column::Values;
use automl::preprocess::{EncodingOptions, Pipeline};
use automl::table::Table;
use automl::{Compare, CsvOptions, Status, Task};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

// ---------------------------------------------------------------------------------------------
// The case and the pipeline under test
// ---------------------------------------------------------------------------------------------

/// One fuzz input: the file's bytes and the knobs of the run.
#[derive(Clone)]
struct Case {
    csv: Vec<u8>,
    separator: u8,
    /// Picks the target among the columns (modulo their number).
    target_pick: usize,
    task: Option<Task>,
    folds: usize,
    seed: u64,
}

impl fmt::Debug for Case {
    /// The bytes as a Rust byte-string literal, so a shrunk failure can be pasted into a test.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let escaped: String = self
            .csv
            .iter()
            .flat_map(|&b| std::ascii::escape_default(b))
            .map(char::from)
            .collect();
        write!(
            f,
            "Case {{ csv: b\"{escaped}\", separator: b'{}', target_pick: {}, task: {:?}, \
             folds: {}, seed: {} }}",
            std::ascii::escape_default(self.separator),
            self.target_pick,
            self.task,
            self.folds,
            self.seed,
        )
    }
}

/// The smallest case seen with a property, and the columns concerned.
type Example = std::sync::Mutex<Option<(Case, Vec<String>)>>;

/// How far the cases of one strategy got.
#[derive(Default)]
struct Stats {
    cases: AtomicUsize,
    read_ok: AtomicUsize,
    profile_ok: AtomicUsize,
    table_ok: AtomicUsize,
    folds_ok: AtomicUsize,
    pipeline_ok: AtomicUsize,
    /// Cases whose preprocessed validation matrix held a NaN or an infinity: without, with
    /// standardisation.
    non_finite: [AtomicUsize; 2],
    /// The smallest such case of each, with the offending output columns.
    non_finite_example: [Example; 2],
    compare_ok: AtomicUsize,
    compare_scored: AtomicUsize,
    /// How often each stage failed with each kind of error (see `error_kind`), with the
    /// smallest input that gave it.
    errors: std::sync::Mutex<std::collections::HashMap<String, (usize, Case)>>,
}

impl Stats {
    /// The value, or `None` after counting the error.
    fn ok<T, E: fmt::Display>(&self, case: &Case, stage: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                let key = format!("{stage}: {}", error_kind(&e.to_string()));
                let mut errors = self.errors.lock().unwrap();
                let entry = errors.entry(key).or_insert_with(|| (0, case.clone()));
                entry.0 += 1;
                if case.csv.len() < entry.1.csv.len() {
                    entry.1 = case.clone();
                }
                None
            }
        }
    }

    fn bump(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn print(&self, name: &str, seconds: f64) {
        let g = |c: &AtomicUsize| c.load(Ordering::Relaxed);
        eprintln!(
            "[fuzz {name}] {} cases in {seconds:.1}s: read ok {}, profile ok {}, \
             table ok {}, folds ok {}, pipeline ok {} (non-finite output: unscaled {}, scaled \
             {}), compare ok {} (scored {})",
            g(&self.cases),
            g(&self.read_ok),
            g(&self.profile_ok),
            g(&self.table_ok),
            g(&self.folds_ok),
            g(&self.pipeline_ok),
            g(&self.non_finite[0]),
            g(&self.non_finite[1]),
            g(&self.compare_ok),
            g(&self.compare_scored),
        );
        let errors = self.errors.lock().unwrap();
        let mut errors: Vec<_> = errors.iter().collect();
        errors.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
        let examples = std::env::var_os("AUTOML_FUZZ_EXAMPLES").is_some();
        for (kind, (count, case)) in errors.iter().take(if examples { usize::MAX } else { 12 }) {
            eprintln!("[fuzz {name}]   {count:>7} x {kind}");
            if examples {
                eprintln!("[fuzz {name}]             smallest: {case:?}");
            }
        }
        for (scaled, example) in self.non_finite_example.iter().enumerate() {
            if let Some((case, columns)) = example.lock().unwrap().as_ref() {
                let how = ["unscaled", "scaled"][scaled];
                eprintln!(
                    "[fuzz {name}] smallest non-finite {how} preprocessing output, in \
                     {columns:?}: {case:?}"
                );
            }
        }
    }
}

/// An error message with names, values, numbers and paths blanked out and cut short, so that
/// messages of one kind count together: words holding a quote, a digit, a path or non-ASCII
/// text become `_`.
fn error_kind(message: &str) -> String {
    let mut words: Vec<&str> = Vec::new();
    for word in message.split_whitespace() {
        let blank = word.len() > 24
            || word.contains(['\'', '"', '`', '\\', '/', '<', '>'])
            || word.contains(|c: char| c.is_ascii_digit() || !c.is_ascii() || c.is_control());
        let word = if blank { "_" } else { word };
        if !(word == "_" && words.last() == Some(&"_")) {
            words.push(word);
        }
    }
    words.truncate(16);
    words.join(" ")
}

/// Runs one case through the whole path. Returns an error (a test failure) for an invariant
/// broken without a panic; a panic propagates and proptest reports it.
fn run_case(case: &Case, stats: &Stats) -> Result<(), TestCaseError> {
    Stats::bump(&stats.cases);
    let mut file = tempfile::Builder::new()
        .prefix("automl-fuzz-")
        .suffix(".csv")
        .tempfile()
        .expect("temp file");
    file.write_all(&case.csv).expect("write temp file");
    file.flush().expect("flush temp file");

    // 1. load
    let options = CsvOptions {
        separator: case.separator,
        ..CsvOptions::default()
    };
    let Some(frame) = stats.ok(
        case,
        "read",
        automl::io::load::read_csv(file.path(), &options),
    ) else {
        return Ok(());
    };
    Stats::bump(&stats.read_ok);
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let target = names[case.target_pick % names.len()].clone();

    // 2. convert + profile
    let mut profiled_task = None;
    if let Some(values) = stats.ok(case, "convert", automl::profile::convert_columns(&frame)) {
        prop_assert_eq!(values.len(), names.len());
        for v in &values {
            prop_assert_eq!(v.len(), frame.height());
        }
        let profile = automl::profile::profile(&frame, &values, &target, &[], case.task);
        if let Some(profile) = stats.ok(case, "profile", profile) {
            Stats::bump(&stats.profile_ok);
            profiled_task = Some(profile.target.task);
            // Display and summaries are part of the public surface (printed by the CLI).
            let _ = profile.to_string();
            for column in &profile.features {
                let _ = column.summary();
            }
            // 3. table, folds, preprocessing of the first fold
            deep(case, stats, &frame, values, &profile)?;
        }
    }

    // 4. the whole compare with the cheapest algorithm of the task
    let id = match profiled_task.or(case.task) {
        Some(Task::Classification) => "majority",
        _ => "mean",
    };
    let mut compare = Compare::new(target.as_str())
        .include([id])
        .folds(2)
        .seed(case.seed)
        .export_top(0);
    if let Some(task) = case.task {
        compare = compare.task(task);
    }
    if let Some(board) = stats.ok(case, "compare", compare.run(&frame).map(|r| r.leaderboard)) {
        Stats::bump(&stats.compare_ok);
        for entry in &board.entries {
            // The sweep turns a panic in preprocessing or fitting into a failed row; for the
            // baselines that is still a bug.
            if let Some(error) = &entry.error {
                prop_assert!(
                    !error.contains("panicked"),
                    "candidate {} failed with a caught panic: {}",
                    entry.model,
                    error
                );
            }
            if entry.status == Status::Ok {
                Stats::bump(&stats.compare_scored);
            } else {
                let why = entry.error.as_deref().unwrap_or("no message");
                stats.ok::<(), _>(
                    case,
                    "compare entry",
                    Err(format!("{}: {why}", entry.status)),
                );
            }
        }
        let _ = board.profile.to_string();
    }
    Ok(())
}

/// Table, folds, and the preprocessing pipeline of the first fold.
fn deep(
    case: &Case,
    stats: &Stats,
    frame: &polars::prelude::DataFrame,
    values: Vec<Values>,
    profile: &automl::Profile,
) -> Result<(), TestCaseError> {
    let Some(table) = stats.ok(case, "table", Table::new(frame, values, profile)) else {
        return Ok(());
    };
    Stats::bump(&stats.table_ok);
    for feature in &table.features {
        prop_assert_eq!(feature.values.len(), table.rows());
    }
    let folds = match profile.target.task {
        Task::Regression => automl::folds::kfold(table.rows(), case.folds, Some(case.seed)),
        Task::Classification => {
            let classes = table.class_indices();
            for &c in &classes {
                prop_assert!(c < table.classes.len(), "class index {} out of range", c);
            }
            automl::folds::stratified_kfold(&classes, &table.classes, case.folds, Some(case.seed))
        }
    };
    let Some(folds) = stats.ok(case, "folds", folds) else {
        return Ok(());
    };
    Stats::bump(&stats.folds_ok);
    prop_assert_eq!(folds.len(), case.folds);
    let fold = &folds[0];
    prop_assert_eq!(fold.train.len() + fold.valid.len(), table.rows());
    for scaled in [false, true] {
        let pipeline = Pipeline::fit(&table, &fold.train, &EncodingOptions::default(), scaled);
        let Some(pipeline) = stats.ok(case, "pipeline fit", pipeline) else {
            return Ok(());
        };
        let x = pipeline.transform(&table, &fold.valid);
        let Some(x) = stats.ok(case, "pipeline transform", x) else {
            return Ok(());
        };
        prop_assert_eq!(x.nrows(), fold.valid.len());
        prop_assert_eq!(x.ncols(), pipeline.encoder.outputs.len());
        // Not asserted (a NaN or infinity is not a panic), but counted and shown.
        let bad: Vec<String> = x
            .columns()
            .into_iter()
            .zip(&pipeline.encoder.outputs)
            .filter(|(c, _)| c.iter().any(|v| !v.is_finite()))
            .map(|(_, name)| name.clone())
            .collect();
        if !bad.is_empty() {
            Stats::bump(&stats.non_finite[usize::from(scaled)]);
            let mut example = stats.non_finite_example[usize::from(scaled)]
                .lock()
                .unwrap();
            if example
                .as_ref()
                .is_none_or(|(e, _)| case.csv.len() < e.csv.len())
            {
                *example = Some((case.clone(), bad));
            }
        }
    }
    Stats::bump(&stats.pipeline_ok);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------------

/// 64 cases unless `PROPTEST_CASES` says otherwise; no regression files written to the repo.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        failure_persistence: None,
        // Shrink well, but give up after a minute rather than stall CI.
        max_shrink_iters: 50_000,
        max_shrink_time: 60_000,
        // Skipped cases (`prop_assume!`) are rejects; many are fine over a long run.
        max_global_rejects: u32::MAX,
        ..Config::default()
    }
}

fn fuzz(name: &str, strategy: impl Strategy<Value = Case>) {
    let stats = Stats::default();
    let start = std::time::Instant::now();
    let mut runner = TestRunner::new(config());
    // The case being run, for inputs that abort the process (no unwinding, so no shrinking).
    let last = std::env::temp_dir().join(format!("automl-fuzz-last-{name}.txt"));
    let result = runner.run(&strategy, |case| {
        let _ = std::fs::write(&last, format!("{case:?}\n"));
        run_case(&case, &stats)
    });
    stats.print(name, start.elapsed().as_secs_f64());
    if let Err(e) = result {
        panic!("[fuzz {name}] {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Mostly the usual separators, sometimes any ASCII byte (the CLI's `--sep` accepts any).
fn separator() -> impl Strategy<Value = u8> {
    prop_oneof![
        6 => Just(b','),
        2 => Just(b';'),
        2 => Just(b'\t'),
        1 => 0u8..128,
    ]
}

fn task() -> impl Strategy<Value = Option<Task>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Task::Regression)),
        1 => Just(Some(Task::Classification)),
    ]
}

/// The knobs shared by every strategy, around a file and its separator. (Built with `prop_map`
/// rather than `prop_flat_map`, so that a failing file still shrinks.)
fn case_around(file: impl Strategy<Value = (Vec<u8>, u8)>) -> impl Strategy<Value = Case> {
    (file, 0usize..16, task(), 2usize..6, any::<u64>()).prop_map(
        |((csv, separator), target_pick, task, folds, seed)| Case {
            csv,
            separator,
            target_pick,
            task,
            folds,
            seed,
        },
    )
}

/// (a) Arbitrary bytes: half uniformly random, half drawn mostly from the bytes CSV files are
/// made of (uniform bytes are almost never valid UTF-8, so they rarely get past the reader).
fn bytes_case() -> impl Strategy<Value = Case> {
    const CSV_BYTES: &[u8] =
        b"0123456789012345678901234567890123456789abcxyAN.,,,,;\t\n\n\n\r' -+eE:/T";
    let csvish = || {
        prop_oneof![
            40 => proptest::sample::select(CSV_BYTES),
            1 => Just(b'"'),
            1 => any::<u8>(),
        ]
    };
    let bytes = prop_oneof![
        2 => proptest::collection::vec(any::<u8>(), 0..2000),
        3 => proptest::collection::vec(csvish(), 0..64),
        3 => proptest::collection::vec(csvish(), 0..2000),
    ];
    case_around((bytes, separator()))
}

/// Header names that tend to break things. Quoted forms are written as they appear in the file.
fn nasty_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just("  y  ".to_string()),
        Just("y".to_string()),
        Just("y".to_string()),
        Just("x".to_string()),
        Just("target".to_string()),
        Just("é名".to_string()),
        Just("🦀".to_string()),
        Just("\"q\"".to_string()),
        Just("\"a,b\"".to_string()),
        Just("a,b".to_string()),
        Just(";".to_string()),
        Just("\"\"\"\"".to_string()),
        Just("\"".to_string()),
        Just("NA".to_string()),
        Just("1".to_string()),
        Just("\t".to_string()),
        Just("\"multi\nline\"".to_string()),
        "[a-z]{1,6}",
        "\\PC{0,8}",
    ]
}

/// Cells that tend to break things, written verbatim into the file.
fn nasty_cell() -> impl Strategy<Value = String> {
    let tokens = prop_oneof![
        Just(""),
        Just("\"\""),
        Just("NA"),
        Just("N/A"),
        Just("NaN"),
        Just("nan"),
        Just("null"),
        Just("inf"),
        Just("-inf"),
        Just("Infinity"),
        Just("1e308"),
        Just("-1e308"),
        Just("1e309"),
        Just("1e-320"),
        Just("0"),
        Just("-0"),
        Just("\"1,234.5\""),
        Just("3,5"),
        Just("true"),
        Just("FALSE"),
        Just("2024-02-30"),
        Just("2024-01-01"),
        Just("2024-01-01 10:00:00"),
        Just("2024-01-01T10:00:00Z"),
        Just("9999-12-31 23:59:59"),
        Just("\"a\"\"b\""),
        Just("\"line\nbreak\""),
        Just("\"cr\rin\""),
        Just("\r"),
        Just("\t"),
        Just(" "),
        Just("🦀"),
        Just("a\"b"),
        Just("0x1F"),
        Just("1_000"),
        Just("+5"),
        Just(".5"),
        Just("5."),
        Just("18446744073709551616"),
        Just("-9223372036854775809"),
        Just("9223372036854775807"),
    ]
    .prop_map(String::from);
    prop_oneof![
        80 => tokens,
        // A lone quote opens a quoted field that runs on; rare, or few files would parse.
        1 => Just("\"".to_string()),
        10 => Just("x".repeat(5000)),
        10 => "[a-c]{1,3}",
        40 => any::<f64>().prop_map(|v| v.to_string()),
        20 => any::<f64>().prop_map(|v| format!("{v:e}")),
        20 => any::<i64>().prop_map(|v| v.to_string()),
        60 => (0i32..4).prop_map(|v| v.to_string()),
        20 => "\\PC{0,6}",
    ]
}

/// (b) Structured CSV text: a header of 1-6 nasty names, 0-40 rows of nasty cells, sometimes
/// ragged, with `,`, `;` or tab (or another ASCII byte) as separator.
fn structured_case() -> impl Strategy<Value = Case> {
    case_around(structured_file())
}

fn structured_file() -> impl Strategy<Value = (Vec<u8>, u8)> {
    // Per case: are rows ragged (10% of rows of 1 case in 5), are duplicate names kept (1 case
    // in 4; otherwise a suffix makes them unique), are cells quoted where needed (3 cases in 5),
    // so that many cases get past the reader. Per column: nasty cells throughout, or mostly
    // small integers or mostly numbers with a nasty cell now and then, so that many cases
    // also get past profiling to the folds and preprocessing.
    (
        separator(),
        proptest::collection::vec((nasty_name(), 0u8..3), 1..=6),
        proptest::bool::weighted(0.2),
        proptest::bool::weighted(0.25),
        proptest::bool::weighted(0.6),
    )
        .prop_flat_map(|(sep, columns, ragged, keep_duplicates, escape)| {
            let (header, kinds): (Vec<String>, Vec<u8>) = columns.into_iter().unzip();
            let header = if keep_duplicates {
                header
            } else {
                unique(header)
            };
            let full_row: Vec<BoxedStrategy<String>> = kinds
                .iter()
                .map(|&kind| match kind {
                    0 => nasty_cell().boxed(),
                    1 => prop_oneof![
                        12 => (0i32..3).prop_map(|v| v.to_string()),
                        1 => nasty_cell(),
                    ]
                    .boxed(),
                    _ => prop_oneof![
                        12 => (-1e6f64..1e6).prop_map(|v| v.to_string()),
                        1 => nasty_cell(),
                    ]
                    .boxed(),
                })
                .collect();
            let row = if ragged {
                prop_oneof![
                    9 => full_row,
                    1 => proptest::collection::vec(nasty_cell(), 0..=8),
                ]
                .boxed()
            } else {
                full_row.boxed()
            };
            (
                Just(sep),
                Just(header),
                proptest::collection::vec(row, 0..=40).prop_map(move |rows| {
                    if escape {
                        rows.into_iter()
                            .map(|row| row.into_iter().map(|c| escaped(&c, sep)).collect())
                            .collect()
                    } else {
                        rows
                    }
                }),
                prop_oneof![4 => Just("\n"), 2 => Just("\r\n"), 1 => Just("\r")],
                any::<bool>(),
            )
        })
        .prop_map(|(sep, header, rows, newline, trailing)| {
            (to_csv(sep, &header, &rows, newline, trailing), sep)
        })
}

/// The cell quoted as CSV writers do when it holds the separator, a quote or a line break (so
/// its nasty content reaches the parser intact instead of breaking the row).
fn escaped(cell: &str, sep: u8) -> String {
    if cell
        .bytes()
        .any(|b| b == sep || b == b'"' || b == b'\n' || b == b'\r')
    {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// Names made unique by a numeric suffix on repeats (`y`, `y_1`, ...).
fn unique(names: Vec<String>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for name in names {
        let mut candidate = name.clone();
        let mut i = 0;
        while seen.iter().any(|s| s.trim() == candidate.trim()) {
            i += 1;
            candidate = format!("{name}_{i}");
        }
        seen.push(candidate);
    }
    seen
}

/// (c) Numeric-heavy tables, so that profiling, folds and preprocessing run deep.
#[derive(Debug, Clone, Copy)]
enum ColumnKind {
    Floats,
    Extremes,
    SmallInts,
    Constant,
    AllMissing,
    MostlyMissing,
    Levels,
    Bools,
    Dates,
}

fn column_kind() -> impl Strategy<Value = ColumnKind> {
    prop_oneof![
        8 => Just(ColumnKind::Floats),
        3 => Just(ColumnKind::Extremes),
        4 => Just(ColumnKind::SmallInts),
        1 => Just(ColumnKind::Constant),
        1 => Just(ColumnKind::AllMissing),
        2 => Just(ColumnKind::MostlyMissing),
        2 => Just(ColumnKind::Levels),
        1 => Just(ColumnKind::Bools),
        1 => Just(ColumnKind::Dates),
    ]
}

fn missing() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), Just("NA".into()), Just("NaN".into())]
}

fn float() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (-1e3f64..1e3).prop_map(|v| v.to_string()),
        1 => any::<f64>().prop_map(|v| format!("{v:e}")),
        1 => Just("1e308".to_string()),
        1 => Just("-1e308".to_string()),
        1 => Just("1.7976931348623157e308".to_string()),
        1 => Just("5e-324".to_string()),
        1 => Just("1e-320".to_string()),
        1 => Just("0".to_string()),
        1 => Just("-0".to_string()),
    ]
}

fn cell_of(kind: ColumnKind) -> BoxedStrategy<String> {
    match kind {
        ColumnKind::Floats => prop_oneof![12 => float(), 1 => missing()].boxed(),
        ColumnKind::Extremes => prop_oneof![
            Just("1e308".to_string()),
            Just("-1e308".to_string()),
            Just("1.7976931348623157e308".to_string()),
            Just("-1.7976931348623157e308".to_string()),
            Just("5e-324".to_string()),
            Just("1e300".to_string()),
            Just("0".to_string()),
            Just("inf".to_string()),
            missing(),
        ]
        .boxed(),
        ColumnKind::SmallInts => {
            prop_oneof![15 => (0i32..4).prop_map(|v| v.to_string()), 1 => missing()].boxed()
        }
        ColumnKind::Constant => Just("7".to_string()).boxed(),
        ColumnKind::AllMissing => missing().boxed(),
        ColumnKind::MostlyMissing => prop_oneof![1 => float(), 6 => missing()].boxed(),
        ColumnKind::Levels => prop_oneof![
            6 => "[a-d]".prop_map(String::from),
            1 => Just(" a ".to_string()),
            1 => missing(),
            1 => "[a-z]{5}".prop_map(String::from),
        ]
        .boxed(),
        ColumnKind::Bools => prop_oneof![
            4 => Just("true".to_string()),
            4 => Just("false".to_string()),
            1 => missing(),
        ]
        .boxed(),
        ColumnKind::Dates => prop_oneof![
            4 => (1900i32..2100, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            2 => (0i64..4_000_000_000).prop_map(|s| {
                chrono::DateTime::from_timestamp(s, 0)
                    .map(|t| t.naive_utc().to_string())
                    .unwrap_or_default()
            }),
            1 => missing(),
        ]
        .boxed(),
    }
}

fn numeric_case() -> impl Strategy<Value = Case> {
    case_around(numeric_file())
}

fn numeric_file() -> impl Strategy<Value = (Vec<u8>, u8)> {
    // Mostly small tables; 1 in 20 large enough for polars to parse in chunks and for
    // `Compare` to sample its out-of-fold rows (over 2,000).
    // (The row count is the vector's own size range, so that a failure shrinks to few rows.)
    proptest::collection::vec(column_kind(), 1..=6)
        .prop_flat_map(|kinds| {
            let row: Vec<BoxedStrategy<String>> = kinds.iter().map(|&k| cell_of(k)).collect();
            let header: Vec<String> = (0..kinds.len()).map(|i| format!("c{i}")).collect();
            (
                Just(header),
                prop_oneof![
                    19 => proptest::collection::vec(row.clone(), 1..=60),
                    1 => proptest::collection::vec(row, 100..=2500),
                ],
                separator(),
            )
        })
        // Numbers and dates never contain `;` or tab, so these separators need no quoting;
        // other bytes are fine too: a failure to parse is an error, not a panic.
        .prop_map(|(header, rows, sep)| (to_csv(sep, &header, &rows, "\n", true), sep))
}

fn to_csv(
    sep: u8,
    header: &[String],
    rows: &[Vec<String>],
    newline: &str,
    trailing: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    let line = |cells: &[String], out: &mut Vec<u8>| {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(sep);
            }
            out.extend_from_slice(cell.as_bytes());
        }
    };
    line(header, &mut out);
    for row in rows {
        out.extend_from_slice(newline.as_bytes());
        line(row, &mut out);
    }
    if trailing {
        out.extend_from_slice(newline.as_bytes());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

/// Replays one input: `AUTOML_FUZZ_REPLAY=file.csv [AUTOML_FUZZ_SEP=';'] cargo test --test fuzz
/// replay -- --ignored --nocapture` (`AUTOML_FUZZ_SEP='\t'`, backslash and t, means tab). Also
/// `AUTOML_FUZZ_TASK=regression|classification`, `AUTOML_FUZZ_TARGET=<column index>`,
/// `AUTOML_FUZZ_FOLDS=<k>` (2), `AUTOML_FUZZ_SEED=<seed>` (0).
#[test]
#[ignore = "replays the file named by AUTOML_FUZZ_REPLAY"]
fn replay() {
    let path = std::env::var("AUTOML_FUZZ_REPLAY").expect("set AUTOML_FUZZ_REPLAY");
    let var = |name: &str| std::env::var(name).ok();
    let case = Case {
        csv: std::fs::read(&path).expect("read the replay file"),
        separator: match var("AUTOML_FUZZ_SEP").as_deref() {
            None => b',',
            Some("\\t") => b'\t',
            Some(s) => s.as_bytes()[0],
        },
        target_pick: var("AUTOML_FUZZ_TARGET").map_or(0, |t| t.parse().expect("column index")),
        task: var("AUTOML_FUZZ_TASK").map(|t| t.parse().expect("task")),
        folds: var("AUTOML_FUZZ_FOLDS").map_or(2, |k| k.parse().expect("folds")),
        seed: var("AUTOML_FUZZ_SEED").map_or(0, |s| s.parse().expect("seed")),
    };
    eprintln!("{case:?}");
    let stats = Stats::default();
    match run_case(&case, &stats) {
        Err(TestCaseError::Reject(why)) => eprintln!("skipped: {why}"),
        result => result.expect("invariant"),
    }
    stats.print("replay", 0.0);
}

#[test]
fn fuzz_arbitrary_bytes() {
    fuzz("bytes", bytes_case());
}

#[test]
fn fuzz_structured_csv() {
    fuzz("structured", structured_case());
}

#[test]
fn fuzz_numeric_tables() {
    fuzz("numeric", numeric_case());
}
