//! Provenance: where a compare's data and command came from (the data file's SHA-256, the
//! command line, the git commit and whether the work tree was clean, the user), recorded in the
//! report and the run record.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::io::sha256_file;

/// Where a compare's data and command came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The data file, absolute.
    pub data: PathBuf,
    /// SHA-256 of the data file's bytes.
    pub sha256: String,
    /// The command line, as typed.
    pub command: String,
    /// HEAD of the git repository around the working directory, if any.
    pub git_commit: Option<String>,
    /// Whether tracked files differ from that commit (the commit alone does not say the code).
    pub git_dirty: Option<bool>,
    pub user: String,
}

impl Source {
    /// Describes a run on the data file at `data`, started by `command`.
    pub fn for_file(data: &Path, command: impl Into<String>) -> Result<Source> {
        Ok(Source {
            data: std::path::absolute(data).unwrap_or_else(|_| data.to_path_buf()),
            sha256: sha256_file(data)?,
            command: command.into(),
            git_commit: git(&["rev-parse", "HEAD"]).filter(|c| c.len() == 40),
            git_dirty: git(&["status", "--porcelain", "--untracked-files=no"])
                .map(|changes| !changes.is_empty()),
            user: ["USER", "LOGNAME", "USERNAME"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
                .unwrap_or_else(|| "unknown".into()),
        })
    }
}

/// What `git args` prints in the working directory, trimmed; `None` outside a repository or
/// without git.
fn git(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    out.status.success().then_some(text)
}

/// A command line as a shell would need it typed: arguments quoted where needed.
pub fn shell_words(args: &[String]) -> String {
    shlex::try_join(args.iter().map(String::as_str)).unwrap_or_else(|_| args.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_only_where_a_shell_needs_it() {
        let args: Vec<String> = ["automl", "compare", "my data.csv", "--target", "it's"]
            .map(String::from)
            .into();
        let line = shell_words(&args);
        assert!(line.starts_with("automl compare "), "{line}");
        assert_eq!(shlex::split(&line), Some(args));
    }
}
