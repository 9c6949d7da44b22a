//! `automl predict`: loads an exported model and writes one prediction per row of a CSV.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use automl::io::write::{write_atomic, write_frame_csv};
use automl::model::{predictions_frame, Keep};

use super::{flags, open_model, CsvFlags, Tracking};

#[derive(clap::Args)]
pub struct PredictArgs {
    /// CSV file with the model's input columns (extra columns are ignored).
    data: PathBuf,
    /// A run folder, a model.automl file, runs:/RUN_ID from `automl runs`, or
    /// models:/NAME@ALIAS (models:/NAME/VERSION) from the registry.
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
    #[command(flatten)]
    csv: CsvFlags,
    #[command(flatten)]
    tracking: Tracking,
}

pub(super) fn predict(args: PredictArgs) -> anyhow::Result<()> {
    let (model, _) = open_model(&args.model, &args.tracking)?;
    let options = args.csv.options()?;
    let frame = automl::io::load::read_csv(&args.data, &options)?;
    let predictions = model.predict(&frame)?;
    for warning in &predictions.warnings {
        eprintln!("warning: {}", flags(warning));
    }
    let keep = match (&args.id, args.keep) {
        (Some(id), _) => Keep::Id(id.clone()),
        (None, true) => Keep::All,
        (None, false) => Keep::None,
    };
    let rows = predictions.values.len();
    let mut out = predictions_frame(&frame, &predictions, &keep, &model.target, args.proba)?;
    match &args.out {
        Some(file) => {
            write_atomic(file, |w| write_frame_csv(&mut out, w))?;
            eprintln!("model: {model}");
            eprintln!("wrote {rows} predictions to {}", file.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            write_frame_csv(&mut out, &mut stdout)
                .and_then(|()| stdout.flush())
                .context("writing predictions to standard output")?;
        }
    }
    Ok(())
}
