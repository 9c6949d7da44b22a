//! Writing files: every file appears whole or not at all (temporary file, then rename).

use std::io::Write;
use std::path::Path;

use polars::prelude::{CsvWriter, DataFrame, SerWriter};

use crate::error::{Error, Result};

/// Writes `path` atomically with what `fill` writes.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let error = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    // Readable by others, as a plainly created file would be (temporary files default to 0600).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut file = builder.tempfile_in(dir).map_err(error)?;
    fill(file.as_file_mut()).map_err(error)?;
    file.as_file_mut().sync_all().map_err(error)?;
    file.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}

/// Creates `dir` (and its parents) if needed.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes a table as CSV to `w`; floats keep every digit, so they read back to the same bits.
pub fn write_frame_csv(frame: &mut DataFrame, w: &mut dyn Write) -> std::io::Result<()> {
    CsvWriter::new(w)
        .include_header(true)
        .finish(frame)
        .map_err(std::io::Error::other)
}
