//! `automl tune RUN --model ID --budget 2m`: widens one algorithm's search from a finished
//! compare (PyCaret's `tune_model`). The run's own command line is read back from its report,
//! so the data, target, folds, seed and every other setting are the run's; the search starts
//! from that algorithm's settings the run scored, and the result is a run like any other.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use automl::io::sha256_file;
use automl::report::Report;
use automl::Status;

use super::compare::{self, parse_budget, parse_trials};
use super::{compare_args, usage, RunFlags};

#[derive(clap::Args)]
pub struct TuneArgs {
    /// A finished compare's run folder (its `--out`).
    run: PathBuf,
    /// The algorithm id whose search is widened (see `automl models`).
    #[arg(long)]
    model: String,
    /// Bound the tune's wall time (90s, 5m, 1h or plain seconds). Not reproducible.
    #[arg(long, value_name = "DURATION", value_parser = parse_budget)]
    budget: Option<f64>,
    /// Search for this many candidate-folds: reproducible.
    #[arg(long, value_name = "N", value_parser = parse_trials)]
    trials: Option<usize>,
    #[command(flatten)]
    output: RunFlags,
}

pub(super) fn tune(args: TuneArgs) -> anyhow::Result<ExitCode> {
    if args.budget.is_none() && args.trials.is_none() {
        bail!(usage(
            "give --budget (e.g. 2m) or --trials (e.g. 200), or both"
        ));
    }
    let report = Report::load(&args.run)?;
    let version = env!("CARGO_PKG_VERSION");
    if report.automl_version != version {
        bail!(usage(&format!(
            "{} was made by automl {}, this is {version}: its settings may not mean the same; \
             run the compare again with this version",
            args.run.display(),
            report.automl_version
        )));
    }
    let settings: Vec<_> = report
        .entries
        .iter()
        // A raced run's pruned rows too: the race may have pruned the algorithm whole.
        .filter(|e| e.model == args.model && e.blend.is_none())
        .filter(|e| matches!(e.status, Status::Ok | Status::Pruned))
        .map(|e| (e.model.clone(), e.params.clone()))
        .collect();
    if settings.is_empty() {
        let mut scored: Vec<&str> = report
            .entries
            .iter()
            .filter(|e| matches!(e.status, Status::Ok | Status::Pruned) && e.blend.is_none())
            .map(|e| e.model.as_str())
            .collect();
        scored.dedup();
        scored.sort_unstable();
        scored.dedup();
        bail!(usage(&format!(
            "the run has no scored candidate of '{}' (--model); it scored: {}",
            args.model,
            scored.join(", ")
        )));
    }
    let sha256 = sha256_file(&report.source.data)
        .with_context(|| format!("reading the run's data {}", report.source.data.display()))?;
    if sha256 != report.source.sha256 {
        bail!(usage(&format!(
            "the run's data {} changed since the run (its SHA-256 differs); tune needs the data \
             the run was scored on",
            report.source.data.display()
        )));
    }
    let mut run = compare_args(&report.source.command, "the run's")?;
    run.data = report.source.data.clone();
    run.include = vec![args.model.clone()];
    run.exclude = Vec::new();
    run.budget = args.budget;
    run.trials = args.trials;
    args.output.apply(&mut run);
    run.export_top = run.export_top.max(1);
    let tune = compare::configure(&run, compare::stop_on_ctrl_c())?.start_from(settings);
    compare::execute(&run, tune)
}
