//! The `automl` command: flags in, validated library calls out, and nothing else. Each
//! subcommand has its file; this one parses, dispatches, and maps the library's errors to exit
//! codes, naming flags where the library names settings. Exit codes: 0 success, 1 internal
//! error, 2 bad input or usage, 130 a compare stopped by Ctrl-C.

mod compare;
mod drift;
mod predict;
mod promote;
mod runs;
mod serve;
mod shard;
mod tune;

use std::path::PathBuf;
use std::process::ExitCode;

use automl::tracking;
use automl::Setting;
use clap::{Parser, Subcommand};

use compare::CompareArgs;
use drift::DriftArgs;
use predict::PredictArgs;
use promote::PromoteArgs;
use runs::RunsArgs;
use serve::ServeArgs;
use shard::MergeArgs;
use tune::TuneArgs;

#[derive(Parser)]
#[command(
    name = "automl",
    version,
    about = "Cross-validate many regression models on a CSV and rank them"
)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Profile a CSV, cross-validate every algorithm x setting, print and save the leaderboard.
    Compare(CompareArgs),
    /// Merge the shard files of a compare run with --shard into its run, as one machine would.
    Merge(MergeArgs),
    /// Widen one algorithm's search from a finished compare: a new run, within a budget.
    Tune(TuneArgs),
    /// Predict with an exported model: one prediction per row of a CSV.
    Predict(PredictArgs),
    /// Register a model in MLflow's Model Registry and make it the champion only when it beats
    /// the current one; exit 0 promoted, 3 champion kept.
    Promote(PromoteArgs),
    /// Serve a model over HTTP with MLflow's scoring protocol (POST /invocations).
    Serve(ServeArgs),
    /// Test new data (a CSV or a serve prediction log) for drift from the model's training data;
    /// exit code 3 when the dataset drifts.
    Drift(DriftArgs),
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
    /// Where runs are logged: the server or file store `--tracking-uri` names (as in MLflow),
    /// else the store at `--tracking-dir`.
    fn sink(&self) -> tracking::Sink {
        tracking::Sink::from_uri(self.tracking_uri.as_deref(), &self.tracking_dir)
    }

    /// The file store that runs are read from: the one the URI names, else `--tracking-dir`.
    fn store(&self) -> PathBuf {
        match self.sink() {
            tracking::Sink::Store(root) => root,
            tracking::Sink::Server(_) => self.tracking_dir.clone(),
        }
    }
}

/// The model `spec` names, and the MLflow run it was logged in when known: a model file or run
/// folder, `runs:/RUN_ID` in the tracking store, or `models:/NAME@ALIAS` / `models:/NAME/N` in
/// its model registry.
fn open_model(spec: &str, tracking: &Tracking) -> anyhow::Result<(automl::Model, Option<String>)> {
    use automl::registry::Registry;
    if spec.starts_with("models:/") {
        let (model, version) = Registry::open(&tracking.sink())?.resolve(spec)?;
        return Ok((model, version.run_id));
    }
    if let Some(id) = spec.strip_prefix("runs:/") {
        let id = id.trim_end_matches('/');
        let model = match tracking.sink() {
            tracking::Sink::Store(root) => {
                automl::Model::load(tracking::file_store::find_run(&root, id)?)?
            }
            sink => Registry::open(&sink)?.load(&format!("runs:/{id}/model"))?,
        };
        return Ok((model, Some(id.to_string())));
    }
    let path = PathBuf::from(spec);
    Ok((
        automl::Model::load(&path)?,
        tracking::file_store::run_of(&path),
    ))
}

/// The compare a recorded command line ran (`whose` names it in messages: "the run's"), to run
/// again from it: a tune widens its search, a merge concludes its shards.
fn compare_args(command: &str, whose: &str) -> anyhow::Result<compare::CompareArgs> {
    use anyhow::Context;
    let words = shlex::split(command)
        .with_context(|| format!("reading {whose} command line '{command}'"))?;
    match Cli::try_parse_from(&words) {
        Ok(Cli {
            command: Command::Compare(run),
        }) => Ok(run),
        _ => Err(usage(&format!(
            "{whose} command line is not a compare: '{command}'"
        ))
        .into()),
    }
}

/// A bad-input message (exit code 2).
fn usage(message: &str) -> automl::Error {
    automl::Error::InvalidSetting(message.to_string())
}

/// The command line's exit code, after printing what went wrong.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Compare(args) => compare::compare(args),
        Command::Tune(args) => tune::tune(args),
        Command::Merge(args) => shard::merge(args),
        Command::Serve(args) => serve::serve(args).map(|()| ExitCode::SUCCESS),
        Command::Drift(args) => drift::drift(args),
        Command::Promote(args) => promote::promote(args),
        Command::Predict(args) => predict::predict(args).map(|()| ExitCode::SUCCESS),
        Command::Runs(args) => runs::runs(args).map(|()| ExitCode::SUCCESS),
        Command::Report { run } => runs::report(&run).map(|()| ExitCode::SUCCESS),
        Command::Models => {
            runs::models();
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", flags(&format!("{e:#}")));
            let user = e
                .downcast_ref::<automl::Error>()
                .is_some_and(|e| e.is_user_error());
            ExitCode::from(if user { 2 } else { 1 })
        }
    }
}

/// The library's text with each setting it names in backticks (`` `folds` ``) replaced by the
/// flag that sets it (`--folds`).
pub fn flags(text: &str) -> String {
    Setting::ALL.iter().fold(text.to_string(), |text, s| {
        text.replace(&s.to_string(), s.flag())
    })
}

/// A field delimiter given as one ASCII character, or `\t` / `tab`.
/// Where a run made from another (a tune, a merge) goes.
#[derive(clap::Args)]
pub(crate) struct RunFlags {
    /// Output folder [default: a new folder under ./automl-runs/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Do not log the run to MLflow.
    #[arg(long)]
    no_track: bool,
    #[command(flatten)]
    tracking: Tracking,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

impl RunFlags {
    /// Sets them on the compare `run` stands for.
    fn apply(self, run: &mut compare::CompareArgs) {
        run.out = self.out;
        run.no_track = self.no_track;
        run.tracking = self.tracking;
        run.quiet = self.quiet;
    }
}

/// How a CSV file is written.
#[derive(clap::Args)]
pub(crate) struct CsvFlags {
    /// Field delimiter (one character; `\t` for tab).
    #[arg(long, default_value = ",")]
    sep: String,
    /// Numbers are written with a decimal comma (3,5); needs --sep other than ','.
    #[arg(long)]
    decimal_comma: bool,
}

impl CsvFlags {
    fn options(&self) -> anyhow::Result<automl::CsvOptions> {
        Ok(automl::CsvOptions {
            separator: parse_separator(&self.sep)?,
            decimal_comma: self.decimal_comma,
        })
    }
}

fn parse_separator(sep: &str) -> anyhow::Result<u8> {
    match sep {
        "\\t" | "tab" => Ok(b'\t'),
        s if s.len() == 1 => Ok(s.as_bytes()[0]),
        s => Err(automl::Error::InvalidSetting(format!(
            "{} must be one ASCII character, got '{s}'",
            Setting::Separator
        ))
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_as_their_flags() {
        assert_eq!(
            flags("use `folds` 2 or fewer; leave it out with `ignore` x; `separator` ';'"),
            "use --folds 2 or fewer; leave it out with --ignore x; --sep ';'"
        );
        // Each flag is one clap knows.
        let command = <Cli as clap::CommandFactory>::command();
        let known: Vec<String> = command
            .get_subcommands()
            .flat_map(|c| c.get_arguments())
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        for setting in Setting::ALL {
            assert!(
                known.iter().any(|k| k == setting.flag()),
                "{}",
                setting.flag()
            );
        }
    }
}
