//! `--log-predictions FILE`: one JSON line per request (time, request id, the input rows, the
//! predictions, the latency), appended under a lock so that concurrent requests never interleave,
//! and flushed per line: the input of `automl drift` and of joining predictions with outcomes.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;

use crate::error::{Error, Result};

/// An append-only JSON-lines file.
pub struct PredictionLog {
    path: PathBuf,
    file: Mutex<BufWriter<File>>,
}

impl PredictionLog {
    /// Opens `path` for appending, creating it if needed.
    pub fn open(path: &Path) -> Result<PredictionLog> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(PredictionLog {
            path: path.to_path_buf(),
            file: Mutex::new(BufWriter::new(file)),
        })
    }

    /// Appends `record` as one line.
    pub fn append(&self, record: &Value) -> Result<()> {
        let mut line = serde_json::to_vec(record)
            .map_err(|e| Error::Internal(format!("serialising a log line: {e}")))?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&line)
            .and_then(|()| file.flush())
            .map_err(|source| Error::Write {
                path: self.path.clone(),
                source,
            })
    }
}
