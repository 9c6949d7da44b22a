//! Writing run outputs: every file appears whole or not at all (temporary file, then rename).

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::{Column, CsvWriter, DataFrame, SerWriter};

use crate::error::{Error, Result};
use crate::leaderboard::{self, Leaderboard};
use crate::model::{Predictions, MODEL_FILE};
use crate::profile::missing_column;

/// Writes `path` atomically with what `fill` writes.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let error = |e: &dyn std::fmt::Display| Error::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    // Readable by others, as a plainly created file would be (temporary files default to 0600).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut file = builder.tempfile_in(dir).map_err(|e| error(&e))?;
    fill(file.as_file_mut()).map_err(|e| error(&e))?;
    file.as_file_mut().sync_all().map_err(|e| error(&e))?;
    file.persist(path).map_err(|e| error(&e.error))?;
    Ok(())
}

/// Creates `dir` (and its parents) if needed.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Write {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })
}

/// A new, not yet existing folder under `base` named for the time and the data file.
pub fn new_run_dir(base: &Path, data: &Path) -> PathBuf {
    let stem = data
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into());
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let mut dir = base.join(format!("{stamp}-{stem}"));
    let mut n = 2;
    while dir.exists() {
        dir = base.join(format!("{stamp}-{stem}-{n}"));
        n += 1;
    }
    dir
}

/// File name of the `rank`-th exported model in a run folder: `model.automl` for the best,
/// `model-2.automl` and so on for the next.
pub fn model_file_name(position: usize) -> String {
    if position <= 1 {
        MODEL_FILE.to_string()
    } else {
        format!("model-{position}.automl")
    }
}

/// Writes `leaderboard.csv`, `profile.json` and the exported models into `dir`, creating it.
pub fn write_run(dir: &Path, board: &Leaderboard) -> Result<Vec<PathBuf>> {
    create_dir(dir)?;
    let csv_path = dir.join("leaderboard.csv");
    write_atomic(&csv_path, |w| {
        leaderboard::write_csv(&board.entries, board.profile.target.task, w)
            .map_err(std::io::Error::other)
    })?;
    let profile_path = dir.join("profile.json");
    write_atomic(&profile_path, |w| {
        serde_json::to_writer_pretty(&mut *w, &board.profile)?;
        writeln!(w)
    })?;
    let mut written = vec![csv_path, profile_path];
    for (i, model) in board.models.iter().enumerate() {
        let path = dir.join(model_file_name(i + 1));
        model.save(&path)?;
        written.push(path);
    }
    Ok(written)
}

/// Which input columns go with the predictions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// The prediction only.
    None,
    /// Every input column, then the prediction.
    All,
    /// One identifying column, then the prediction.
    Id(String),
}

/// The predictions as a table: the kept input columns, then `prediction` (`predicted_<target>`
/// when the input has a `prediction` column): the value, or the class label of a classifier,
/// and with `proba` one `proba_<class>` column per class.
pub fn predictions_frame(
    frame: &DataFrame,
    predictions: &Predictions,
    keep: &Keep,
    target: &str,
    proba: bool,
) -> Result<DataFrame> {
    let mut columns: Vec<Column> = match keep {
        Keep::None => Vec::new(),
        Keep::All => frame.columns().to_vec(),
        Keep::Id(id) => {
            let column = frame.column(id).map_err(|_| {
                let names: Vec<&str> = frame
                    .get_column_names()
                    .iter()
                    .map(|n| n.as_str())
                    .collect();
                missing_column(&names, id, "--id column", "is not in the data")
            })?;
            vec![column.clone()]
        }
    };
    let name = if columns.iter().any(|c| c.name() == "prediction") {
        format!("predicted_{target}")
    } else {
        "prediction".to_string()
    };
    match predictions.labels() {
        Some(labels) => columns.push(Column::new(name.into(), labels)),
        None => columns.push(Column::new(name.into(), &predictions.values)),
    }
    match (&predictions.proba, proba) {
        (Some(p), true) => {
            for (class, values) in predictions.classes.iter().zip(p.columns()) {
                columns.push(Column::new(
                    format!("proba_{class}").into(),
                    values.to_vec(),
                ));
            }
        }
        (None, true) => {
            return Err(Error::InvalidSetting(
                "--proba needs a classifier; this model predicts a number".into(),
            ))
        }
        (_, false) => {}
    }
    DataFrame::new(frame.height(), columns).map_err(|e| Error::Internal(e.to_string()))
}

/// Writes a table as CSV to `w`; floats keep every digit, so they read back to the same bits.
pub fn write_frame_csv(frame: &mut DataFrame, w: &mut dyn Write) -> std::io::Result<()> {
    CsvWriter::new(w)
        .include_header(true)
        .finish(frame)
        .map_err(std::io::Error::other)
}
