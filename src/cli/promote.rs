//! `automl promote --model RUN --name NAME [--data VALID.csv]`: the registry step of a pipeline.
//! The challenger becomes a new version of NAME in MLflow's Model Registry; the alias
//! `champion` moves to it only when it beats the current champion. Exit 0 promoted, 3 champion
//! kept (not an error), 2 bad input, 1 internal error; a table on stdout and `promote.json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use automl::io::sha256_hex;
use automl::io::write::{create_dir, write_atomic};
use automl::registry::promote::{self, Margin, Promotion, Request};
use automl::registry::Registry;
use automl::{Metric, Model};

use super::{open_model, CsvFlags, Tracking};

/// What `automl compare` writes into its run folder once the run is tracked.
pub(super) const TRACKED_FILE: &str = "tracking.json";

#[derive(clap::Args)]
pub struct PromoteArgs {
    /// The challenger: a run folder, a model.automl file, or runs:/RUN_ID.
    #[arg(long)]
    model: String,
    /// The registered model's name.
    #[arg(long)]
    name: String,
    /// Validation rows with the target: both models are scored on them [default: compare the
    /// CV estimates].
    #[arg(long)]
    data: Option<PathBuf>,
    /// The metric that decides [default: the one the challenger's compare ranked by].
    #[arg(long)]
    metric: Option<Metric>,
    /// How much better the challenger must be: a number (0.5) or a share of the champion's
    /// score (2%); 0 is any improvement.
    #[arg(long, default_value = "0")]
    min_improvement: Margin,
    /// Promote even when the challenger does not win.
    #[arg(long)]
    force: bool,
    /// Folder for promote.json.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    #[command(flatten)]
    csv: CsvFlags,
    #[command(flatten)]
    tracking: Tracking,
}

pub(super) fn promote(args: PromoteArgs) -> anyhow::Result<ExitCode> {
    let sink = args.tracking.sink();
    let registry = Registry::open(&sink)?;
    let (model, logged) = open_model(&args.model, &args.tracking)?;
    let run_id = logged.or_else(|| tracked_run(&args.model, &sink));
    let source = match &run_id {
        Some(run) => format!("runs:/{run}/model"),
        None => model_file(&args.model)?,
    };
    let validation = match &args.data {
        Some(path) => {
            let bytes = automl::io::load::read_data(path)?;
            let sha = sha256_hex(&bytes);
            Some((
                automl::io::load::read_csv_bytes(bytes, &args.csv.options()?, path)?,
                sha,
            ))
        }
        None => None,
    };
    let request = Request {
        name: &args.name,
        model: &model,
        source,
        run_id,
        validation: validation.as_ref().map(|(f, sha)| (f, sha.clone())),
        metric: args.metric,
        margin: args.min_improvement,
        force: args.force,
    };
    let done = promote::promote(&registry, &request)?;
    print(&done, &model);
    create_dir(&args.out)?;
    let json = serde_json::to_vec_pretty(&done).context("serialising promote.json")?;
    let path = args.out.join("promote.json");
    write_atomic(&path, |w| w.write_all(&json))?;
    println!("wrote {}", path.display());
    Ok(ExitCode::from(done.exit_code()))
}

/// The MLflow run a compare's run folder was tracked in, when it was this registry's store.
fn tracked_run(spec: &str, sink: &automl::tracking::Sink) -> Option<String> {
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(spec).join(TRACKED_FILE)).ok()?).ok()?;
    (record["store"].as_str()? == store_name(sink))
        .then(|| record["run_id"].as_str().map(String::from))?
}

/// How `tracking.json` names a tracking store.
pub(super) fn store_name(sink: &automl::tracking::Sink) -> String {
    match sink {
        automl::tracking::Sink::Server(uri) => uri.trim_end_matches('/').to_string(),
        automl::tracking::Sink::Store(root) => std::path::absolute(root)
            .unwrap_or_else(|_| root.clone())
            .display()
            .to_string(),
    }
}

/// The challenger's model file as an absolute path (a source with no tracked run).
fn model_file(spec: &str) -> anyhow::Result<String> {
    let path = Path::new(spec);
    let file = match path.is_dir() {
        true => path.join(automl::model::MODEL_FILE),
        false => path.to_path_buf(),
    };
    Ok(std::path::absolute(&file)
        .with_context(|| format!("locating {}", file.display()))?
        .display()
        .to_string())
}

fn print(p: &Promotion, model: &Model) {
    let score = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.6}"));
    println!("{:<12} {:<10} {:>14}  model", "", "version", p.metric);
    println!(
        "{:<12} {:<10} {:>14}  {} {}",
        "challenger",
        p.version,
        score(Some(p.challenger_score)),
        model.algorithm,
        automl::algorithms::format_params(&model.params)
    );
    let champion = p.previous_champion.or(if p.decision == "kept" {
        Some(p.champion_version)
    } else {
        None
    });
    println!(
        "{:<12} {:<10} {:>14}",
        "champion",
        champion.map_or("-".into(), |v| v.to_string()),
        score(p.champion_score)
    );
    for note in &p.notes {
        println!("note: {note}");
    }
    println!(
        "decision: {} (compared on {}; rule: {}{}): '{}' champion is version {}",
        p.decision,
        p.comparison,
        p.rule,
        if p.forced { "; forced" } else { "" },
        p.name,
        p.champion_version
    );
}
