//! `automl compare`: runs a compare, prints the profile and the leaderboard, writes the run
//! folder, and logs the run to MLflow.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use automl::algorithms::is_baseline;
use automl::artifacts::{self, Artifacts, RunFolder};
use automl::provenance::{self, Source};
use automl::report::Report;
use automl::sweep::Timings;
use automl::task::Task;
use automl::tracking;
use automl::{Compare, Comparison, Metric};
use indicatif::{ProgressBar, ProgressStyle};

use super::{flags, CsvFlags, Tracking};

#[derive(clap::Args)]
pub struct CompareArgs {
    /// CSV file with a header row.
    pub(super) data: PathBuf,
    /// Column to predict.
    #[arg(long, short)]
    pub(super) target: String,
    #[command(flatten)]
    pub(super) csv: CsvFlags,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    pub(super) folds: usize,
    /// Seed for fold shuffling and randomised algorithms.
    #[arg(long, default_value_t = automl::DEFAULT_SEED)]
    pub(super) seed: u64,
    /// Contiguous folds, exactly as scikit-learn's KFold(shuffle=False).
    #[arg(long)]
    pub(super) no_shuffle: bool,
    /// Ranking metric [default: rmse for regression, accuracy for classification]. Regression:
    /// rmse, mae, mape, smape, r2; classification: accuracy, auc, recall, precision, f1, kappa,
    /// mcc, logloss.
    #[arg(long, value_parser = parse_sort)]
    pub(super) sort: Option<Metric>,
    /// The task [default: classification for a text or boolean target or an integer one with
    /// at most 10 distinct values, else regression].
    #[arg(long)]
    pub(super) task: Option<Task>,
    /// Only these algorithm ids (comma-separated; see `automl models`). Without it, every
    /// algorithm but the kernel machines (svr, svc), which run only when named here.
    #[arg(long, value_delimiter = ',')]
    pub(super) include: Vec<String>,
    /// Leave out these algorithm ids (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub(super) exclude: Vec<String>,
    /// Columns to leave out of the features (comma-separated), e.g. an ID or a leak.
    #[arg(long, value_delimiter = ',')]
    pub(super) ignore: Vec<String>,
    /// Leaderboard rows printed.
    #[arg(long, default_value_t = 15)]
    pub(super) top: usize,
    /// Output folder [default: a new folder under ./automl-runs/].
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
    /// Longest one fold's fit may take, in seconds: a candidate that runs over is marked
    /// "timeout" and the sweep goes on.
    #[arg(long, value_name = "SECONDS")]
    pub(super) max_fit_seconds: Option<f64>,
    /// Refit this many of the best candidates on all rows and save them (model.automl,
    /// model-2.automl, ...); 0 saves none.
    #[arg(long, default_value_t = 1)]
    pub(super) export_top: usize,
    /// Bound the whole compare's wall time (90s, 5m, 1h or plain seconds) and search past the
    /// default grid until it is spent. Not reproducible: see --trials.
    #[arg(long, value_name = "DURATION", value_parser = parse_budget)]
    pub(super) budget: Option<f64>,
    /// Search past the default grid for this many candidate-folds (one setting scored on one
    /// fold): reproducible, the same leaderboard on any machine and thread count.
    #[arg(long, value_name = "N", value_parser = parse_trials)]
    pub(super) trials: Option<usize>,
    /// Score every setting of the grid on every fold. By default a table whose first fold has
    /// 200 validation rows or more (1,000 rows at 5 folds) races its grid: every setting is
    /// scored on the first fold and only the promising ones go on to the others (the rest are
    /// ranked as "pruned").
    /// Shards always score every fold: a merge equals this.
    #[arg(long)]
    pub(super) full_cv: bool,
    /// Do not build the greedy ensemble and the stack.
    #[arg(long)]
    pub(super) no_ensembles: bool,
    /// Do not log the run to MLflow.
    #[arg(long)]
    pub(super) no_track: bool,
    #[command(flatten)]
    pub(super) tracking: Tracking,
    /// No progress bar.
    #[arg(long, short)]
    pub(super) quiet: bool,
    /// Run one shard of the grid and write its shard file into --out: K/N (shard K from 0 of
    /// N), or `env` for a Slurm job array's or a Kubernetes Indexed Job's index; then
    /// `automl merge` the shards' folders.
    #[arg(long, value_name = "K/N|env")]
    pub(super) shard: Option<String>,
    /// Write every fold task's worker, start and duration, and the phases after the sweep, to
    /// this CSV file: the input of the schedule simulator (benches/schedule/simulate.py).
    #[arg(long, value_name = "FILE")]
    pub(super) timings: Option<PathBuf>,
}

/// A ranking metric: any metric of a task but mse and rmsle.
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

/// A duration: `90s`, `5m`, `1h`, or plain seconds; positive.
pub(super) fn parse_budget(s: &str) -> Result<f64, String> {
    let text = s.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((i, 's')) => (&text[..i], 1.0),
        Some((i, 'm')) => (&text[..i], 60.0),
        Some((i, 'h')) => (&text[..i], 3600.0),
        _ => (text, 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v * unit),
        _ => Err(format!(
            "'{s}' is not a positive duration: give seconds (90, 90s), minutes (5m) or hours (1h)"
        )),
    }
}

/// A positive count of candidate-folds.
pub(super) fn parse_trials(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "'{s}' is not a positive whole number of candidate-folds (one setting on one fold)"
        )),
    }
}

/// Exit code of a compare stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub(super) const INTERRUPTED: u8 = 130;

/// A flag set by the first Ctrl-C; a second one exits at once.
pub(super) fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let installed = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            eprintln!("\nstopped");
            std::process::exit(i32::from(INTERRUPTED));
        }
        // True in every phase: after the sweep nothing is left to skip, and the run ends as
        // it would have (exit 0, a model); during it, with a partial leaderboard (exit 130).
        eprintln!(
            "\nstopping: candidates not yet scored are skipped, then the run saves what it has \
             (Ctrl-C again to quit now)"
        );
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C will end the compare without a leaderboard: {e}");
    }
    stop
}

/// The compare the flags describe.
pub(super) fn configure(args: &CompareArgs, stop: Arc<AtomicBool>) -> anyhow::Result<Compare> {
    let mut compare = Compare::new(&args.target)
        .stop_when(stop)
        .folds(args.folds)
        .seed(args.seed)
        .shuffle(!args.no_shuffle)
        .include(args.include.clone())
        .exclude(args.exclude.clone())
        .ignore(args.ignore.clone())
        .export_top(args.export_top)
        .csv_options(args.csv.options()?);
    if let Some(sort) = args.sort {
        compare = compare.sort(sort);
    }
    if let Some(task) = args.task {
        compare = compare.task(task);
    }
    if let Some(seconds) = args.max_fit_seconds {
        compare = compare.max_fit_seconds(seconds);
    }
    if let Some(seconds) = args.budget {
        compare = compare.budget(seconds);
    }
    if let Some(trials) = args.trials {
        compare = compare.trials(trials);
    }
    Ok(compare.ensembles(!args.no_ensembles).race(!args.full_cv))
}

/// The run's texts as a command-line user reads them: settings named by their flags, in the
/// printed tables and in the run folder's files alike.
fn name_flags(result: &mut Comparison) {
    let board = &mut result.leaderboard;
    let profile = &mut board.profile;
    for text in board
        .entries
        .iter_mut()
        .filter_map(|e| e.error.as_mut())
        .chain(profile.warnings.iter_mut())
        .chain(
            profile
                .features
                .iter_mut()
                .filter_map(|c| c.dropped.as_mut()),
        )
        .chain(result.export_errors.iter_mut())
    {
        *text = flags(text);
    }
}

/// A progress bar on standard error when it is a terminal.
fn progress_bar(quiet: bool) -> Option<ProgressBar> {
    (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} fold fits  {elapsed_precise}",
            )
            .expect("the template is valid"),
        );
        bar
    })
}

pub(super) fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    if let Some(spec) = &args.shard {
        return super::shard::run_shard(&args, spec);
    }
    let compare = configure(&args, stop_on_ctrl_c())?;
    execute(&args, compare)
}

/// Runs `compare` on `args.data` as `args` say: prints, saves the run folder and tracks it.
pub(super) fn execute(args: &CompareArgs, compare: Compare) -> anyhow::Result<ExitCode> {
    execute_with(args, compare, |c, data| c.run_csv(data))
}

/// As [`execute`], the comparison made by `run` (a compare, or a merge of shards).
pub(super) fn execute_with(
    args: &CompareArgs,
    mut compare: Compare,
    run: impl FnOnce(&Compare, &std::path::Path) -> automl::Result<Comparison>,
) -> anyhow::Result<ExitCode> {
    let sink = (!args.no_track).then(|| args.tracking.sink());
    if let Some(sink) = &sink {
        sink.check(&args.tracking.experiment)
            .context("checking the tracking server before the compare")?;
    }
    let start_ms = tracking::now_ms();
    let bar = progress_bar(args.quiet);
    if let Some(bar) = bar.clone() {
        compare = compare.on_progress(move |p| {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        });
    }
    let folder = RunFolder::prepare(
        args.out
            .clone()
            .unwrap_or_else(|| artifacts::new_run_dir(&PathBuf::from("automl-runs"), &args.data)),
    )?;
    let dir = &folder.path;
    let timings = args.timings.as_ref().map(|_| Arc::new(Timings::new()));
    if let Some(t) = &timings {
        compare = compare.timings(t.clone());
    }
    let command: Vec<String> = std::env::args().collect();
    let command = provenance::shell_words(&command);
    let started = std::time::Instant::now();
    // The data file's hash and the git state are taken while the compare runs: they read only
    // the file and the repository, and the outputs wait on nothing but the compare.
    let (result, source) = std::thread::scope(|scope| {
        let source = scope.spawn(|| Source::for_file(&args.data, command));
        (run(&compare, &args.data), source.join())
    });
    let mut result = result.inspect_err(|_| folder.abandon())?;
    let writing = timings.as_ref().map(|t| t.mark());
    name_flags(&mut result);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let board = &result.leaderboard;
    println!("{}\n", board.profile);
    println!("{}", board.table(args.top));
    let count = |s: automl::Status| board.entries.iter().filter(|e| e.status == s).count();
    println!(
        "{} candidates ({} scored, {} pruned) x {} folds in {elapsed:.1} s",
        board.entries.len(),
        count(automl::Status::Ok),
        count(automl::Status::Pruned),
        board.settings.folds
    );
    let useful = |e: &&automl::Entry| e.status == automl::Status::Ok && !is_baseline(&e.model);
    if let Some(budget) = board.settings.budget_seconds {
        if !board.entries.iter().any(|e| useful(&e)) {
            println!(
                "the budget of {budget} s (--budget) was too small for a single candidate: \
                 only the baseline was scored"
            );
        }
    }
    if let (Some(first), Some(last)) = (board.trace.first(), board.trace.last()) {
        if board.trace.len() > 1 {
            println!(
                "search: {} rounds, {} candidate-folds after the grid's {}; best {} {:.6} -> {:.6}",
                board.trace.len() - 1,
                last.units - first.units,
                first.units,
                board.settings.sort,
                first.best,
                last.best
            );
        }
    }
    let source = source.unwrap_or_else(|_| {
        Err(automl::Error::Internal(
            "hashing the data file failed".into(),
        ))
    })?;
    for model in &mut result.models {
        model.data_sha256 = Some(source.sha256.clone());
    }
    let report = Report::new(&result, &source);
    let outputs = Artifacts::build(&result, &report).context("saving the run")?;
    for path in outputs.write_to(dir).context("saving the run")? {
        println!("wrote {}", path.display());
    }
    for error in &result.export_errors {
        eprintln!("warning: {error}");
    }
    if let (Some(t), Some(writing)) = (&timings, writing) {
        t.phase("outputs", None, writing);
    }
    // The timings file is written last, after the tracking it times too.
    let write_timings = || -> anyhow::Result<()> {
        if let (Some(t), Some(path)) = (&timings, &args.timings) {
            automl::io::write::write_atomic(path, |w| t.write_csv(w))
                .with_context(|| format!("writing the timings to {}", path.display()))?;
            println!("wrote {}", path.display());
        }
        Ok(())
    };
    if let Some(best) = board.best() {
        println!("best: {} {} ({})", best.model, best.setting(), best.name);
    }
    let code = if board.partial() {
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
    let Some(sink) = sink else {
        write_timings()?;
        return Ok(code);
    };
    let tracking = timings.as_ref().map(|t| t.mark());
    let experiment = &args.tracking.experiment;
    let tracked = (|| -> anyhow::Result<_> {
        let record = tracking::record(&result, &outputs, &source, start_ms)?;
        let (logged, problems) = sink
            .log(experiment, &record)
            .with_context(|| format!("logging the run (its files are in {})", dir.display()))?;
        // Where the run was tracked, for `automl promote` to register it by its run.
        let tracked = serde_json::json!({
            "store": super::promote::store_name(&sink),
            "experiment_id": logged.experiment_id,
            "run_id": logged.run_id,
        });
        automl::io::write::write_atomic(&dir.join(super::promote::TRACKED_FILE), |w| {
            w.write_all(tracked.to_string().as_bytes())
        })?;
        Ok((record, logged, problems))
    })();
    if let (Some(t), Some(tracking)) = (&timings, tracking) {
        t.phase("tracking", None, tracking);
    }
    // Written whether the tracking worked or not; a tracking failure is told first.
    let timings_written = write_timings();
    let (record, logged, problems) = tracked?;
    timings_written?;
    for problem in problems {
        eprintln!("warning: {problem}");
    }
    println!(
        "tracked: run {} ({} candidate runs) in experiment '{experiment}': {}",
        logged.run_id,
        record.children.len(),
        logged.location
    );
    if board.best().is_some() && !result.models.is_empty() {
        println!(
            "predict: automl predict --model {} NEW.csv",
            dir.join(automl::model::MODEL_FILE).display()
        );
    }
    Ok(code)
}
