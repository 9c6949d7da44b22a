//! A run's outputs, built once as (name, bytes): the leaderboard CSV, the profile, the report's
//! data and page, and the exported models. Every sink writes this one list: the run folder here,
//! the MLflow file store and the tracking server through the `tracking` room. No sink re-reads a
//! file or decides on its own what a run contains.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::compare::Comparison;
use crate::error::{Error, Result};
use crate::io::write::{create_dir, write_atomic};
use crate::leaderboard;
use crate::model::MODEL_FILE;
use crate::report::{Report, REPORT_DATA, REPORT_HTML};

pub const LEADERBOARD_FILE: &str = "leaderboard.csv";
pub const PROFILE_FILE: &str = "profile.json";

/// One output file.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// The file's path in the run folder (and under a run's artifacts).
    pub path: String,
    pub bytes: Vec<u8>,
    /// The position of the exported model it holds (1 for the best), if it is one.
    pub model: Option<usize>,
}

/// Every output of a run, in the order they are written.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifacts {
    pub files: Vec<Artifact>,
}

impl Artifacts {
    /// The outputs of a finished compare and its report.
    pub fn build(comparison: &Comparison, report: &Report) -> Result<Artifacts> {
        let board = &comparison.leaderboard;
        let file = |path: &str, bytes: Vec<u8>| Artifact {
            path: path.to_string(),
            bytes,
            model: None,
        };
        let mut csv = Vec::new();
        leaderboard::write_csv(&board.entries, board.profile.target.task, &mut csv)
            .map_err(|e| Error::Internal(format!("writing the leaderboard: {e}")))?;
        let mut profile = serde_json::to_vec_pretty(&board.profile)
            .map_err(|e| Error::Internal(format!("serialising the profile: {e}")))?;
        profile.push(b'\n');
        let mut files = vec![file(LEADERBOARD_FILE, csv), file(PROFILE_FILE, profile)];
        // The models and the report are made side by side.
        let (models, (data, page)) = rayon::join(
            || {
                (comparison.models.par_iter().enumerate())
                    .map(|(i, model)| {
                        Ok(Artifact {
                            path: model_file_name(i + 1),
                            bytes: model.to_bytes()?,
                            model: Some(i + 1),
                        })
                    })
                    .collect::<Vec<Result<Artifact>>>()
            },
            || rayon::join(|| report.to_json(), || report.render()),
        );
        for model in models {
            files.push(model?);
        }
        files.push(file(REPORT_DATA, data?));
        files.push(file(REPORT_HTML, page?.into_bytes()));
        Ok(Artifacts { files })
    }

    /// Writes every file into `dir` (created if needed), each whole or not at all; returns
    /// their paths.
    pub fn write_to(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        create_dir(dir)?;
        // Side by side (each waits on its own disk sync); the first failure in order is told.
        let written: Vec<Result<PathBuf>> = self
            .files
            .par_iter()
            .map(|f| {
                let path = dir.join(&f.path);
                write_atomic(&path, |w| w.write_all(&f.bytes))?;
                Ok(path)
            })
            .collect();
        written.into_iter().collect()
    }

    /// The exported model at `position` (1 for the best).
    pub fn model(&self, position: usize) -> Option<&Artifact> {
        self.files.iter().find(|f| f.model == Some(position))
    }
}

/// File name of the `position`-th exported model in a run folder: `model.automl` for the best,
/// `model-2.automl` and so on for the next.
pub fn model_file_name(position: usize) -> String {
    if position <= 1 {
        MODEL_FILE.to_string()
    } else {
        format!("model-{position}.automl")
    }
}

/// A run folder being made: created before the compare, so that one that cannot be made fails
/// early, and removed again if the compare fails before writing anything into it.
#[derive(Debug)]
pub struct RunFolder {
    pub path: PathBuf,
    existed: bool,
}

impl RunFolder {
    /// Creates `path` (and its parents) if needed.
    pub fn prepare(path: PathBuf) -> Result<RunFolder> {
        let existed = path.exists();
        create_dir(&path)?;
        Ok(RunFolder { path, existed })
    }

    /// Removes the folder if this made it and it is still empty.
    pub fn abandon(&self) {
        if !self.existed {
            let _ = std::fs::remove_dir(&self.path);
        }
    }
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
