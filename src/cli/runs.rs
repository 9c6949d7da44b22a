//! `automl runs`, `automl report` and `automl models`: what is tracked, a report rendered again,
//! and the algorithms.

use std::path::Path;

use automl::algorithms::{format_params, registry};
use automl::io::write::write_atomic;
use automl::report::{Report, REPORT_HTML};
use automl::tracking::file_store;

use super::Tracking;

#[derive(clap::Args)]
pub struct RunsArgs {
    /// Most runs listed.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    #[command(flatten)]
    tracking: Tracking,
}

pub(super) fn report(run: &Path) -> anyhow::Result<()> {
    let html = Report::load(run)?.render()?;
    let path = run.join(REPORT_HTML);
    write_atomic(&path, |w| w.write_all(html.as_bytes()))?;
    println!("wrote {}", path.display());
    Ok(())
}

pub(super) fn runs(args: RunsArgs) -> anyhow::Result<()> {
    if let automl::tracking::Sink::Server(uri) = args.tracking.sink() {
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

pub(super) fn models() {
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
