//! A platefit project: several experiments saved in one self-contained, versioned JSON file
//! (`.platefit`) that holds the raw readings, layouts, exclusions and settings.
//!
//! Saving is atomic: the file is written beside its destination and renamed over it, so an
//! existing project is never half overwritten.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::analysis::Experiment;

/// The current project file version.
pub const PROJECT_VERSION: u32 = 1;

/// A set of experiments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Always `"platefit-project"`.
    pub format: String,
    /// File version ([`PROJECT_VERSION`]).
    pub version: u32,
    /// The platefit version that wrote it.
    #[serde(default)]
    pub written_by: String,
    /// The experiments, in display order.
    pub experiments: Vec<Experiment>,
}

impl Default for Project {
    fn default() -> Self {
        Self {
            format: "platefit-project".into(),
            version: PROJECT_VERSION,
            written_by: format!("platefit {}", env!("CARGO_PKG_VERSION")),
            experiments: Vec::new(),
        }
    }
}

/// A project file that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// Not a platefit project, or damaged.
    #[error("not a readable platefit project: {0}")]
    Format(String),
    /// Written by a newer platefit.
    #[error(
        "project file version {found} is newer than this platefit understands ({PROJECT_VERSION})"
    )]
    TooNew {
        /// The version in the file.
        found: u32,
    },
    /// I/O.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Project {
    /// Parses a project from JSON text.
    ///
    /// # Errors
    /// [`ProjectError`] for text that is not a platefit project of a known version.
    pub fn from_json(text: &str) -> Result<Self, ProjectError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ProjectError::Format(e.to_string()))?;
        if value.get("format").and_then(serde_json::Value::as_str) != Some("platefit-project") {
            return Err(ProjectError::Format(
                "the file has no \"format\": \"platefit-project\" field".into(),
            ));
        }
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0);
        if version > PROJECT_VERSION {
            return Err(ProjectError::TooNew { found: version });
        }
        serde_json::from_value(value).map_err(|e| ProjectError::Format(e.to_string()))
    }

    /// The project as pretty JSON.
    ///
    /// # Errors
    /// Serialization errors (non-finite numbers are written as null by serde_json).
    pub fn to_json(&self) -> Result<String, ProjectError> {
        serde_json::to_string_pretty(self).map_err(|e| ProjectError::Format(e.to_string()))
    }

    /// Reads a project file.
    ///
    /// # Errors
    /// [`ProjectError`].
    pub fn load(path: &Path) -> Result<Self, ProjectError> {
        Self::from_json(&std::fs::read_to_string(path)?)
    }

    /// Writes the project atomically.
    ///
    /// # Errors
    /// [`ProjectError`].
    pub fn save(&self, path: &Path) -> Result<(), ProjectError> {
        let mut project = self.clone();
        project.written_by = format!("platefit {}", env!("CARGO_PKG_VERSION"));
        atomic_write(path, project.to_json()?.as_bytes())?;
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same folder,
/// flushed and synced to the disk, then renamed over the destination. For what the user
/// made (projects, layouts, the app's exports).
///
/// A destination that exists and is not a regular file (`/dev/null`, a named pipe), or that
/// names an open descriptor (`/dev/stdout`, also when the shell redirected it to a file), is
/// written in place: renaming a file over it would replace the device, pipe or link instead
/// of writing to it. A symbolic link to a regular file is followed, so the file it
/// points to is replaced and the link stays.
///
/// # Errors
/// I/O errors, with the path in the message.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically(path, bytes, Durability::Synced)
}

/// [`atomic_write`] for an output that can be made again from its inputs (what the command
/// line writes: results, reports, exports): a reader never sees a partial file and a
/// failed write leaves the old one, but the file is not synced to the disk before the
/// rename. Syncing costs a millisecond or more per file (a scripted run writes thousands);
/// a power cut just after may lose the new file (ext4 and most file systems order the
/// rename after the data) and the command is run again.
///
/// # Errors
/// I/O errors, with the path in the message.
pub fn atomic_write_regenerable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically(path, bytes, Durability::NotSynced)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    Synced,
    NotSynced,
}

fn write_atomically(path: &Path, bytes: &[u8], sync: Durability) -> std::io::Result<()> {
    let in_place = |e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
    };
    // `/dev/stdout`, `/dev/fd/N` and `/proc/self/fd/N` name an open file descriptor (a
    // terminal, a pipe, or the file the shell redirected to): replacing what they point to
    // would write beside the descriptor, not into it.
    let descriptor = path.starts_with("/dev/") || path.starts_with("/proc/");
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() || descriptor => {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|mut out| out.write_all(bytes))
                .map_err(in_place);
        }
        Ok(_) if path.is_symlink() => {
            let target = std::fs::canonicalize(path).map_err(in_place)?;
            return replace_file(&target, bytes, sync).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("{e} (the file {} points to)", path.display()),
                )
            });
        }
        _ => {}
    }
    replace_file(path, bytes, sync)
}

/// The atomic replace of [`atomic_write`] for a regular (or new) file.
fn replace_file(path: &Path, bytes: &[u8], sync: Durability) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        if sync == Durability::Synced {
            file.sync_all()?;
        }
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(std::io::Error::new(
            e.kind(),
            format!("cannot write {}: {e}", path.display()),
        ));
    }
    Ok(())
}
