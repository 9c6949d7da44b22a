//! `automl drift --model PATH NEW.csv`: does new data still look like the training data? Prints
//! a table, writes `drift.json` and `drift.html`, and exits 3 when the dataset drifts (0 when it
//! does not, 2 on bad input), so cron jobs and pipelines can act on it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use automl::drift::{self, html_number as number, Drift, Options, DRIFT_HTML, DRIFT_JSON};
use automl::io::write::{create_dir, write_atomic};

use super::{flags, open_model, CsvFlags, Tracking};

#[derive(clap::Args)]
pub struct DriftArgs {
    /// The new rows: a CSV with the model's input columns (with the target too, the model is
    /// scored on them), or a prediction log written by `automl serve --log-predictions`.
    data: PathBuf,
    /// A run folder, a model.automl file, runs:/RUN_ID from `automl runs`, or
    /// models:/NAME@ALIAS (models:/NAME/VERSION) from the registry.
    #[arg(long, short)]
    model: String,
    /// Folder for drift.json and drift.html [default: a new folder under drift/].
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Share of drifted input columns at which the dataset drifts.
    #[arg(long, default_value_t = drift::DRIFT_SHARE)]
    drift_share: f64,
    /// One threshold for every column's test (p-value or distance) instead of each test's own.
    #[arg(long)]
    threshold: Option<f64>,
    #[command(flatten)]
    csv: CsvFlags,
    #[command(flatten)]
    tracking: Tracking,
}

pub(super) fn drift(args: DriftArgs) -> anyhow::Result<ExitCode> {
    let (model, _) = open_model(&args.model, &args.tracking)?;
    let options = args.csv.options()?;
    let bytes = automl::io::load::read_data(&args.data)?;
    let (frame, notes) = match drift::is_log(&bytes) {
        true => drift::read_log(&bytes, &args.data)?,
        false => (
            automl::io::load::read_csv_bytes(bytes, &options, &args.data)?,
            Vec::new(),
        ),
    };
    let settings = Options {
        drift_share: args.drift_share,
        threshold: args.threshold,
    };
    let mut result = drift::drift(&model, &frame, &settings)?;
    result.warnings.splice(0..0, notes);
    let name = args.data.file_name().map_or_else(
        || args.data.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let json = serde_json::to_vec_pretty(&result).context("serialising drift.json")?;
    let html = drift::render(&result, &name)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| automl::artifacts::new_run_dir(Path::new("drift"), &args.data));
    create_dir(&dir)?;
    for (file, bytes) in [(DRIFT_JSON, json), (DRIFT_HTML, html.into_bytes())] {
        write_atomic(&dir.join(file), |w| w.write_all(&bytes))?;
    }
    print_table(&result);
    for warning in &result.warnings {
        eprintln!("warning: {}", flags(warning));
    }
    println!(
        "wrote {} and {}",
        dir.join(DRIFT_JSON).display(),
        dir.join(DRIFT_HTML).display()
    );
    Ok(ExitCode::from(result.exit_code() as u8))
}

fn print_table(d: &Drift) {
    println!(
        "{:<28} {:<11} {:<24} {:>10} {:>9} {:<6} {:>8}  missing ref -> new",
        "column", "kind", "test", "score", "threshold", "drift", "psi"
    );
    for (name, c) in d.rows() {
        let name: String = name.chars().take(28).collect();
        println!(
            "{name:<28} {:<11} {:<24} {:>10} {:>9} {:<6} {:>8}  {:.1}% -> {:.1}%{}",
            c.kind,
            c.test.map_or("none", |t| t.name()),
            c.score.map(number).unwrap_or_default(),
            c.test.map(|_| number(c.threshold)).unwrap_or_default(),
            if c.drifted { "DRIFT" } else { "ok" },
            c.psi.map(number).unwrap_or_default(),
            c.missing_reference * 100.0,
            c.missing_current * 100.0,
            match (&c.note, c.unseen_rows) {
                (Some(n), _) => format!("  ({n})"),
                (None, 0) => String::new(),
                (None, rows) => format!("  ({rows} rows with unseen levels)"),
            }
        );
    }
    for m in &d.performance {
        println!(
            "{} on the new rows: {} (CV {} ± {}){}",
            m.metric,
            number(m.current),
            number(m.cv_mean),
            number(m.cv_std),
            if m.worse { "  WORSE than CV" } else { "" }
        );
    }
    println!(
        "{}: {} of {} input columns drifted (threshold share {}); {} new rows against {} training rows",
        if d.dataset_drift { "DATASET DRIFT" } else { "no dataset drift" },
        d.drifted_columns,
        d.columns_total,
        d.drift_share,
        d.rows_current,
        d.rows_reference
    );
}
