//! The `automl` command: turns flags into library calls. `compare` runs an [`automl::Compare`],
//! saves the run folder and logs the run to MLflow; `predict` loads an [`automl::Model`];
//! `runs` lists tracked compares. Exit codes: 0 success, 1 internal error, 2 bad input or usage.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use automl::models::{format_params, registry};
use automl::output::Keep;
use automl::profile::Task;
use automl::report::Report;
use automl::tracking::{self, file_store, rest};
use automl::{output, Compare, CsvOptions, Metric, Model};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "automl",
    version,
    about = "Cross-validate many regression models on a CSV and rank them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Profile a CSV, cross-validate every algorithm x setting, print and save the leaderboard.
    Compare(CompareArgs),
    /// Predict with an exported model: one prediction per row of a CSV.
    Predict(PredictArgs),
    /// List tracked compares, newest first: run id, date, data, rows, best model, its score.
    Runs(RunsArgs),
    /// Render a run folder's report.html again from its report.json.
    Report {
        /// The run folder (`--out` of the compare).
        run: PathBuf,
    },
    /// List the algorithms: id, name, backend and default grid.
    Models,
}

/// Where runs are tracked.
#[derive(clap::Args)]
struct Tracking {
    /// MLflow file store that runs are logged to.
    #[arg(long, env = "AUTOML_TRACKING_DIR", default_value = "mlruns")]
    tracking_dir: PathBuf,
    /// Log to a running MLflow tracking server instead (http://HOST:PORT).
    #[arg(long, env = "MLFLOW_TRACKING_URI")]
    tracking_uri: Option<String>,
    /// MLflow experiment name.
    #[arg(long, env = "MLFLOW_EXPERIMENT_NAME", default_value = tracking::DEFAULT_EXPERIMENT)]
    experiment: String,
}

impl Tracking {
    /// The server URI, or `None` for a file store. As in MLflow, a `file:` URI or a plain path
    /// names a file store.
    fn server(&self) -> Option<&str> {
        self.tracking_uri
            .as_deref()
            .filter(|u| u.contains("://") && !u.starts_with("file:"))
    }

    fn store(&self) -> PathBuf {
        match self.tracking_uri.as_deref() {
            Some(uri) if !uri.is_empty() && self.server().is_none() => {
                let path = uri.strip_prefix("file:").unwrap_or(uri);
                PathBuf::from(path.strip_prefix("//").unwrap_or(path))
            }
            _ => self.tracking_dir.clone(),
        }
    }
}

#[derive(clap::Args)]
struct PredictArgs {
    /// CSV file with the model's input columns (extra columns are ignored).
    data: PathBuf,
    /// A run folder, a model.automl file, or runs:/RUN_ID from `automl runs`.
    #[arg(long, short)]
    model: String,
    /// Output CSV [default: standard output].
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Keep every input column in the output, before the prediction.
    #[arg(long, conflicts_with = "id")]
    keep: bool,
    /// Keep this identifying column in the output, before the prediction.
    #[arg(long)]
    id: Option<String>,
    /// Classifiers: add one probability column per class (proba_<class>).
    #[arg(long)]
    proba: bool,
    /// Field delimiter of the input (one character; `\t` for tab).
    #[arg(long, default_value = ",")]
    sep: String,
    /// Numbers are written with a decimal comma (3,5); needs --sep other than ','.
    #[arg(long)]
    decimal_comma: bool,
    #[command(flatten)]
    tracking: Tracking,
}

#[derive(clap::Args)]
struct RunsArgs {
    /// Most runs listed.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    #[command(flatten)]
    tracking: Tracking,
}

#[derive(clap::Args)]
struct CompareArgs {
    /// CSV file with a header row.
    data: PathBuf,
    /// Column to predict.
    #[arg(long, short)]
    target: String,
    /// Field delimiter (one character; `\t` for tab).
    #[arg(long, default_value = ",")]
    sep: String,
    /// Numbers are written with a decimal comma (3,5); needs --sep other than ','.
    #[arg(long)]
    decimal_comma: bool,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Seed for fold shuffling and randomised algorithms.
    #[arg(long, default_value_t = automl::DEFAULT_SEED)]
    seed: u64,
    /// Contiguous folds, exactly as scikit-learn's KFold(shuffle=False).
    #[arg(long)]
    no_shuffle: bool,
    /// Ranking metric [default: rmse for regression, accuracy for classification]. Regression:
    /// rmse, mae, mape, smape, r2; classification: accuracy, auc, recall, precision, f1, kappa,
    /// mcc, logloss.
    #[arg(long, value_parser = parse_sort)]
    sort: Option<Metric>,
    /// The task [default: classification for a text or boolean target or an integer one with
    /// at most 10 distinct values, else regression].
    #[arg(long)]
    task: Option<Task>,
    /// Only these algorithm ids (comma-separated; see `automl models`). Without it, every
    /// algorithm but the kernel machines (svr, svc), which run only when named here.
    #[arg(long, value_delimiter = ',')]
    include: Vec<String>,
    /// Leave out these algorithm ids (comma-separated).
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
    /// Columns to leave out of the features (comma-separated), e.g. an ID or a leak.
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Leaderboard rows printed.
    #[arg(long, default_value_t = 15)]
    top: usize,
    /// Output folder [default: a new folder under ./automl-runs/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Longest one fold's fit may take, in seconds: a candidate that runs over is marked
    /// "timeout" and the sweep goes on.
    #[arg(long, value_name = "SECONDS")]
    max_fit_seconds: Option<f64>,
    /// Refit this many of the best candidates on all rows and save them (model.automl,
    /// model-2.automl, ...); 0 saves none.
    #[arg(long, default_value_t = 1)]
    export_top: usize,
    /// Do not log the run to MLflow.
    #[arg(long)]
    no_track: bool,
    #[command(flatten)]
    tracking: Tracking,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_sort(s: &str) -> Result<Metric, String> {
    let metric: Metric = s.parse()?;
    match metric {
        Metric::Mse | Metric::Rmsle => Err(format!(
            "sort by rmse, mae, mape, smape, r2 (regression) or accuracy, auc, recall, \
             precision, f1, kappa, mcc, logloss (classification), not {s}"
        )),
        m => Ok(m),
    }
}

fn parse_separator(sep: &str) -> anyhow::Result<u8> {
    match sep {
        "\\t" | "tab" => Ok(b'\t'),
        s if s.len() == 1 => Ok(s.as_bytes()[0]),
        s => Err(automl::Error::InvalidSetting(format!(
            "--sep must be one ASCII character, got '{s}'"
        ))
        .into()),
    }
}

/// Exit code of a compare stopped by Ctrl-C (128 + SIGINT, as shells report it).
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A panic outside the sweep (which turns its own into failed rows) is a bug: exit 1 with
    // its message, not Rust's 101.
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Compare(args) => compare(args),
        Command::Predict(args) => predict(args).map(|()| ExitCode::SUCCESS),
        Command::Runs(args) => runs(args).map(|()| ExitCode::SUCCESS),
        Command::Report { run } => report(&run).map(|()| ExitCode::SUCCESS),
        Command::Models => {
            models();
            Ok(ExitCode::SUCCESS)
        }
    });
    match result {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("error: {e:#}");
            let user = e
                .downcast_ref::<automl::Error>()
                .is_some_and(|e| e.is_user_error());
            ExitCode::from(if user { 2 } else { 1 })
        }
        Err(_) => {
            eprintln!("error: internal error (a bug in automl; the message is above)");
            ExitCode::from(1)
        }
    }
}

/// A flag set by the first Ctrl-C; a second one exits at once.
fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let installed = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            eprintln!("\nstopped");
            std::process::exit(i32::from(INTERRUPTED));
        }
        eprintln!(
            "\nstopping: finishing with the candidates done so far (Ctrl-C again to quit now)"
        );
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C will end the compare without a leaderboard: {e}");
    }
    stop
}

fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let stop = stop_on_ctrl_c();
    let mut compare = Compare::new(&args.target)
        .stop_when(stop.clone())
        .folds(args.folds)
        .seed(args.seed)
        .shuffle(!args.no_shuffle)
        .include(args.include.clone())
        .exclude(args.exclude.clone())
        .ignore(args.ignore.clone())
        .export_top(args.export_top)
        .csv_options(CsvOptions {
            separator: parse_separator(&args.sep)?,
            decimal_comma: args.decimal_comma,
        });
    if let Some(sort) = args.sort {
        compare = compare.sort(sort);
    }
    if let Some(task) = args.task {
        compare = compare.task(task);
    }
    if let Some(seconds) = args.max_fit_seconds {
        compare = compare.max_fit_seconds(seconds);
    }
    let server = args.tracking.server().filter(|_| !args.no_track);
    if let Some(uri) = server {
        rest::check(uri, &args.tracking.experiment)
            .context("checking the tracking server before the compare")?;
    }
    let start_ms = tracking::now_ms();
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} fold fits  {elapsed_precise}",
            )
            .expect("the template is valid"),
        );
        bar
    });
    if let Some(bar) = bar.clone() {
        compare = compare.on_progress(move |p| {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        });
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| output::new_run_dir(&PathBuf::from("automl-runs"), &args.data));
    // An output folder that cannot be made fails now, not after the sweep; a compare that
    // fails leaves no empty folder behind.
    let existed = dir.exists();
    output::create_dir(&dir)?;
    let started = std::time::Instant::now();
    let board = compare.run_csv(&args.data).inspect_err(|_| {
        if !existed {
            let _ = std::fs::remove_dir(&dir);
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed().as_secs_f64();

    println!("{}\n", board.profile);
    println!("{}", board.table(args.top));
    let ok = board
        .entries
        .iter()
        .filter(|e| e.status == automl::Status::Ok)
        .count();
    println!(
        "{} candidates ({ok} scored) x {} folds in {elapsed:.1} s",
        board.entries.len(),
        board.settings.folds
    );
    let mut written = output::write_run(&dir, &board).context("saving the run")?;
    let command: Vec<String> = std::env::args().collect();
    let source = tracking::Source::for_file(&args.data, shell_words(&command))?;
    Report::new(&board, &source)
        .write(&dir)
        .context("writing the report")?;
    written.push(dir.join(automl::report::REPORT_HTML));
    for path in &written {
        println!("wrote {}", path.display());
    }
    for error in &board.export_errors {
        eprintln!("warning: {error}");
    }
    if let Some(best) = board.best() {
        println!(
            "best: {} {} ({})",
            best.model,
            format_params(&best.params),
            best.name
        );
    }
    let code = if board.partial() {
        let count = |s: automl::Status| board.entries.iter().filter(|e| e.status == s).count();
        eprintln!(
            "interrupted: {} of {} candidates scored, {} not finished; the leaderboard is \
             partial (status 'interrupted') and no model was exported",
            count(automl::Status::Ok),
            board.entries.len(),
            count(automl::Status::Interrupted)
        );
        ExitCode::from(INTERRUPTED)
    } else {
        ExitCode::SUCCESS
    };
    if args.no_track {
        return Ok(code);
    }
    let record = tracking::record(&board, &source, start_ms, &written)?;
    let experiment = &args.tracking.experiment;
    let saved_note = || format!("logging the run (its files are in {})", dir.display());
    let logged = match server {
        Some(uri) => {
            let (logged, problems) =
                rest::log(uri, experiment, &record).with_context(saved_note)?;
            for problem in problems {
                eprintln!("warning: {problem}");
            }
            logged
        }
        None => {
            file_store::log(&args.tracking.store(), experiment, &record).with_context(saved_note)?
        }
    };
    println!(
        "tracked: run {} ({} candidate runs) in experiment '{experiment}': {}",
        logged.run_id,
        record.children.len(),
        logged.location
    );
    if board.best().is_some() && !board.models.is_empty() {
        println!(
            "predict: automl predict --model {} NEW.csv",
            dir.join(automl::model::MODEL_FILE).display()
        );
    }
    Ok(code)
}

/// The command line, with arguments quoted where a shell would need it.
fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn predict(args: PredictArgs) -> anyhow::Result<()> {
    let path = match args.model.strip_prefix("runs:/") {
        Some(id) => file_store::find_run(&args.tracking.store(), id.trim_end_matches('/'))?,
        None => PathBuf::from(&args.model),
    };
    let model = Model::load(&path)?;
    let options = CsvOptions {
        separator: parse_separator(&args.sep)?,
        decimal_comma: args.decimal_comma,
    };
    let frame = automl::load::read_csv(&args.data, &options)?;
    let predictions = model.predict(&frame)?;
    for warning in &predictions.warnings {
        eprintln!("warning: {warning}");
    }
    let keep = match (&args.id, args.keep) {
        (Some(id), _) => Keep::Id(id.clone()),
        (None, true) => Keep::All,
        (None, false) => Keep::None,
    };
    let rows = predictions.values.len();
    let mut out =
        output::predictions_frame(&frame, &predictions, &keep, &model.target, args.proba)?;
    match &args.out {
        Some(file) => {
            output::write_atomic(file, |w| output::write_frame_csv(&mut out, w))?;
            eprintln!("model: {model}");
            eprintln!("wrote {rows} predictions to {}", file.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            output::write_frame_csv(&mut out, &mut stdout)
                .and_then(|()| stdout.flush())
                .context("writing predictions to standard output")?;
        }
    }
    Ok(())
}

fn report(run: &std::path::Path) -> anyhow::Result<()> {
    Report::load(run)?.write(run)?;
    println!("wrote {}", run.join(automl::report::REPORT_HTML).display());
    Ok(())
}

fn runs(args: RunsArgs) -> anyhow::Result<()> {
    if let Some(uri) = args.tracking.server() {
        anyhow::bail!(automl::Error::InvalidSetting(format!(
            "`automl runs` reads a file store; for the server at {uri}, open its UI"
        )));
    }
    let store = args.tracking.store();
    let runs = file_store::list_runs(&store, &args.tracking.experiment)?;
    if runs.is_empty() {
        println!("no runs in experiment '{}'", args.tracking.experiment);
        return Ok(());
    }
    println!(
        "{:<32}  {:<16}  {:<8}  {:<20}  {:>7}  {:<44}  score",
        "run id", "started (UTC)", "status", "data", "rows", "best model"
    );
    for run in runs.iter().take(args.limit) {
        let started = chrono::DateTime::from_timestamp_millis(run.start_ms)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let score = run
            .score
            .map(|s| format!("{} {s:.4}", run.sort))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<32}  {:<16}  {:<8}  {:<20}  {:>7}  {:<44}  {score}",
            run.run_id, started, run.status, run.data, run.rows, run.best
        );
    }
    if runs.len() > args.limit {
        println!("... {} more (--limit)", runs.len() - args.limit);
    }
    println!(
        "predict with a run's model: automl predict --model runs:/RUN_ID --tracking-dir {} NEW.csv",
        store.display()
    );
    Ok(())
}

fn models() {
    println!(
        "{:<14} {:<8} {:<32} {:<17} default grid",
        "task", "id", "name", "backend"
    );
    for a in registry() {
        let grid: Vec<String> = a
            .grid()
            .iter()
            .map(format_params)
            .filter(|g| !g.is_empty())
            .collect();
        let grid = if grid.is_empty() {
            "-".to_string()
        } else {
            grid.join(" | ")
        };
        let mut notes = Vec::new();
        if a.needs_scaling() {
            notes.push("standardised features");
        }
        if !a.in_default_sweep() {
            notes.push("only with --include");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  [{}]", notes.join(", "))
        };
        println!(
            "{:<14} {:<8} {:<32} {:<17} {grid}{notes}",
            a.task().to_string(),
            a.id(),
            a.name(),
            a.backend()
        );
    }
}
