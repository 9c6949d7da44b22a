//! The model file: a one-line header, `AUTOML-MODEL <format> <bytes> <sha256>`, then a JSON
//! body of that many bytes with that SHA-256. Loading checks all three before parsing, so a file
//! of another format version, a truncated file and an edited file are each refused with their
//! own message. The body is data only: nothing in it is executed.

use std::path::{Path, PathBuf};

use super::Model;
use crate::error::{Error, Result};
use crate::io::sha256_hex;
use crate::io::write::write_atomic;
use crate::preprocess::Step;

/// Version of the file layout and body schema; bumped on any incompatible change. Version 3
/// added ensembles (`members`); version 2 files (single models) load unchanged.
pub const FORMAT_VERSION: u32 = 3;
/// The oldest version this build reads.
const OLDEST_READ: u32 = 2;
/// File name of a model inside a run folder.
pub const MODEL_FILE: &str = "model.automl";
const MAGIC: &str = "AUTOML-MODEL";

/// Why bytes are not a model this version can load.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelFileError {
    #[error("it is not an automl model file (no AUTOML-MODEL header)")]
    NotAModel,
    #[error(
        "it has model format version {found}, and this automl ({}) reads versions \
         {OLDEST_READ} to {FORMAT_VERSION}; load it with the automl version that wrote it, or re-run the \
         compare to export it again",
        env!("CARGO_PKG_VERSION")
    )]
    Version { found: u32 },
    #[error(
        "it is truncated: the header promises {promised} bytes of model, the file has {has}; \
         copy it again from the run folder"
    )]
    Truncated { promised: usize, has: usize },
    #[error("it has {0} unexpected bytes after the model; the file was modified")]
    Trailing(usize),
    #[error("its SHA-256 does not match the header: the file was modified or corrupted")]
    Checksum,
    #[error("its content is malformed: {0}")]
    Malformed(String),
    #[error("{0}; the file was modified")]
    Inconsistent(String),
    #[error("its input schema does not match its preprocessing steps")]
    Schema,
}

impl Model {
    /// The file's bytes: header line, then the JSON body.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let body = serde_json::to_vec(self)
            .map_err(|e| Error::Internal(format!("serialising the model: {e}")))?;
        let mut bytes = format!(
            "{MAGIC} {FORMAT_VERSION} {} {}\n",
            body.len(),
            sha256_hex(&body)
        )
        .into_bytes();
        bytes.extend_from_slice(&body);
        Ok(bytes)
    }

    /// Saves the model to `path` atomically: the file is complete or absent.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let bytes = self.to_bytes()?;
        write_atomic(path.as_ref(), |w| w.write_all(&bytes))
    }

    /// Loads a model from a model file, a run folder holding `model.automl`, or an MLflow run
    /// folder holding `artifacts/model/model.automl`.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let file = model_file(path.as_ref())?;
        let bytes = std::fs::read(&file).map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?;
        Model::from_bytes(&bytes).map_err(|e| Error::ModelFile {
            path: file,
            reason: e.to_string(),
        })
    }

    /// Parses a model file's bytes, checking header, length and checksum first.
    pub fn from_bytes(bytes: &[u8]) -> std::result::Result<Model, ModelFileError> {
        use ModelFileError::*;
        let newline = bytes
            .iter()
            .take(256)
            .position(|&b| b == b'\n')
            .ok_or(NotAModel)?;
        let header = std::str::from_utf8(&bytes[..newline]).map_err(|_| NotAModel)?;
        let body = &bytes[newline + 1..];
        let fields: Vec<&str> = header.split(' ').collect();
        let [MAGIC, version, length, checksum] = fields[..] else {
            return Err(NotAModel);
        };
        let version: u32 = version.parse().map_err(|_| NotAModel)?;
        if !(OLDEST_READ..=FORMAT_VERSION).contains(&version) {
            return Err(Version { found: version });
        }
        let length: usize = length.parse().map_err(|_| NotAModel)?;
        if body.len() < length {
            return Err(Truncated {
                promised: length,
                has: body.len(),
            });
        }
        if body.len() > length {
            return Err(Trailing(body.len() - length));
        }
        if sha256_hex(body) != checksum {
            return Err(Checksum);
        }
        let model: Model = serde_json::from_slice(body).map_err(|e| Malformed(e.to_string()))?;
        model.check(version)?;
        Ok(model)
    }

    /// Consistency of a parsed body: what the header said, and one pipeline step per input.
    fn check(&self, version: u32) -> std::result::Result<(), ModelFileError> {
        if self.format_version != version {
            return Err(ModelFileError::Inconsistent(format!(
                "its body says format version {}, its header {version}",
                self.format_version
            )));
        }
        let steps: Vec<&str> = self
            .pipeline
            .encoder
            .steps
            .iter()
            .map(Step::column)
            .collect();
        let inputs: Vec<&str> = self.inputs.iter().map(|c| c.name.as_str()).collect();
        if steps != inputs {
            return Err(ModelFileError::Schema);
        }
        Ok(())
    }
}

/// The model file behind `path`: the file itself, or the model in a run folder.
fn model_file(path: &Path) -> Result<PathBuf> {
    if !path.is_dir() {
        if !path.exists() {
            return Err(Error::ModelFile {
                path: path.to_path_buf(),
                reason: "there is no such file or folder; give a run folder or its model.automl"
                    .into(),
            });
        }
        return Ok(path.to_path_buf());
    }
    let candidates = [
        path.join(MODEL_FILE),
        path.join("artifacts/model").join(MODEL_FILE),
        path.join("model").join(MODEL_FILE),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| Error::ModelFile {
            path: path.to_path_buf(),
            reason: format!(
                "the folder holds no {MODEL_FILE} (a compare whose candidates all failed exports \
                 none)"
            ),
        })
}
