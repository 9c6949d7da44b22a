//! Writing run outputs: every file appears whole or not at all (temporary file, then rename).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::leaderboard::{self, Leaderboard};
use crate::model::MODEL_FILE;

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
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| error(&e))?;
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
        leaderboard::write_csv(&board.entries, w).map_err(std::io::Error::other)
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
