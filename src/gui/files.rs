//! Files: the file-dialog seam ([`FilePicker`]), loading plate files with their layout, the
//! bundled sample experiment, recent files and the autosave location.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, bail};
use sha2::{Digest as _, Sha256};

use crate::analysis::{AnalysisSettings, Experiment, PlateInput};
use crate::import::{MAX_FILE_BYTES, import_bytes};
use crate::layout::{Layout, parse_layout};

use super::command::PickRequest;

/// The sample plate file, embedded so "Open sample experiment" works from any directory.
pub const SAMPLE_PLATE: &[u8] = include_bytes!("../../sample_plates/flumatinib_K562_72h.csv");
/// The sample layout.
pub const SAMPLE_LAYOUT: &[u8] =
    include_bytes!("../../sample_plates/flumatinib_K562_72h_layout.csv");
/// The sample's file name as shown.
pub const SAMPLE_NAME: &str = "flumatinib_K562_72h.csv";

/// Asks the user for files. The app calls it from [`Command`](super::Command)s that need a
/// path; tests inject paths through [`QueuedPicker`] instead of opening dialogs.
pub trait FilePicker {
    /// The chosen paths, or `None` when the user cancelled (or no dialog could be shown).
    fn pick(&mut self, request: &PickRequest) -> Option<Vec<PathBuf>>;

    /// Whether a dialog can be shown at all. The app asks after [`pick`](Self::pick) returned
    /// `None`, to tell "no dialog on this system" apart from a cancel.
    fn dialog_available(&self) -> bool {
        true
    }
}

/// Whether rfd can show a native file dialog, from the environment alone.
///
/// On Linux and the BSDs rfd asks the xdg desktop portal over the D-Bus session bus, and
/// without a bus (or portal) it runs `zenity`; with neither, its `pick_*` return `None` at
/// once, exactly like a cancel. So a dialog is possible when a session bus can be reached
/// (`session_bus` is `DBUS_SESSION_BUS_ADDRESS`, `runtime_dir` is `XDG_RUNTIME_DIR`, whose
/// `bus` socket libdbus also tries) or when `zenity` is a file in a folder of `path_var`
/// (`PATH`). `is_file` checks a path (injected so this is testable without touching the
/// disk). Elsewhere (`portal_platform` false: Windows, macOS) the dialog is native and
/// always available. A reachable bus without a portal and without zenity still counts as
/// available: that case cannot be told from the environment.
#[must_use]
pub fn native_dialog_available(
    portal_platform: bool,
    session_bus: Option<&std::ffi::OsStr>,
    runtime_dir: Option<&std::ffi::OsStr>,
    path_var: Option<&std::ffi::OsStr>,
    is_file: impl Fn(&Path) -> bool,
) -> bool {
    if !portal_platform {
        return true;
    }
    if session_bus.is_some_and(|v| !v.is_empty()) {
        return true;
    }
    if runtime_dir.is_some_and(|dir| !dir.is_empty() && is_file(&Path::new(dir).join("bus"))) {
        return true;
    }
    path_var.is_some_and(|path| {
        std::env::split_paths(path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .any(|dir| is_file(&dir.join("zenity")))
    })
}

/// Whether the platform's dialogs go through the xdg portal or zenity (rfd's Linux backend).
const PORTAL_PLATFORM: bool = cfg!(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd"
));

/// The message shown when a dialog was asked for and none can appear.
#[must_use]
pub fn no_dialog_message(request: &PickRequest) -> String {
    let base = "no file dialog is available on this system (no xdg desktop portal on a D-Bus session bus and no zenity on PATH): install zenity or xdg-desktop-portal";
    match request {
        PickRequest::OpenLibrary => {
            format!("{base}, or start platefit with PLATEFIT_LIBRARY=FILE to use that library file")
        }
        PickRequest::OpenFiles | PickRequest::OpenProject | PickRequest::OpenLayout => format!(
            "{base}, or drag the files onto this window, or pass them on the command line (platefit FILE…)"
        ),
        PickRequest::SaveProject { .. }
        | PickRequest::NewLibrary { .. }
        | PickRequest::SaveStudyReport { .. }
        | PickRequest::SaveLayout { .. }
        | PickRequest::SaveExport { .. } => format!("{base} to choose where to save"),
    }
}

/// Each extension in lower and upper case: the portal's and GTK's filters are
/// case-sensitive globs, and readers write `PLATE.CSV` (BMG) as often as `plate.csv`.
#[must_use]
pub fn both_cases(extensions: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for e in extensions {
        for v in [e.to_lowercase(), e.to_uppercase()] {
            if !all.contains(&v) {
                all.push(v);
            }
        }
    }
    all
}

/// Native dialogs through `rfd` (xdg portal, else zenity on Linux).
#[derive(Debug, Default)]
pub struct RfdPicker;

impl FilePicker for RfdPicker {
    fn pick(&mut self, request: &PickRequest) -> Option<Vec<PathBuf>> {
        let plates = both_cases(&[
            "csv", "txt", "tsv", "xlsx", "xls", "ods", "asc", "json", "platefit",
        ]);
        let project = both_cases(&["platefit"]);
        let csv = both_cases(&["csv"]);
        match request {
            PickRequest::OpenFiles => rfd::FileDialog::new()
                .set_title("Open plate files or a project")
                .add_filter("Plate files and projects", &plates)
                .add_filter("All files", &["*"])
                .pick_files(),
            PickRequest::OpenProject => rfd::FileDialog::new()
                .set_title("Open project")
                .add_filter("platefit project", &project)
                .pick_file()
                .map(|p| vec![p]),
            PickRequest::SaveProject { suggested } => rfd::FileDialog::new()
                .set_title("Save project")
                .add_filter("platefit project", &project)
                .set_file_name(suggested)
                .save_file()
                .map(|p| vec![p]),
            PickRequest::OpenLayout => rfd::FileDialog::new()
                .set_title("Import layout (plater CSV)")
                .add_filter("Layout CSV", &csv)
                .pick_file()
                .map(|p| vec![p]),
            PickRequest::SaveLayout { suggested } => rfd::FileDialog::new()
                .set_title("Export layout (plater CSV)")
                .add_filter("Layout CSV", &csv)
                .set_file_name(suggested)
                .save_file()
                .map(|p| vec![p]),
            PickRequest::OpenLibrary => rfd::FileDialog::new()
                .set_title("Open library file")
                .add_filter("platefit library (SQLite)", &both_cases(&["sqlite", "db"]))
                .add_filter("All files", &["*"])
                .pick_file()
                .map(|p| vec![p]),
            PickRequest::NewLibrary { suggested } => rfd::FileDialog::new()
                .set_title("New library file")
                .add_filter("platefit library (SQLite)", &both_cases(&["sqlite"]))
                .set_file_name(suggested)
                .save_file()
                .map(|p| vec![p]),
            PickRequest::SaveStudyReport { suggested } => rfd::FileDialog::new()
                .set_title("Study report")
                .add_filter("PDF report", &["pdf"])
                .add_filter("Excel workbook", &["xlsx"])
                .set_file_name(suggested)
                .save_file()
                .map(|p| vec![p]),
            PickRequest::SaveExport { kind, suggested } => match kind.extension() {
                Some(extension) => rfd::FileDialog::new()
                    .set_title(kind.menu_label().trim_end_matches('…'))
                    .add_filter(extension, &[extension])
                    .set_file_name(suggested)
                    .save_file()
                    .map(|p| vec![p]),
                None => rfd::FileDialog::new()
                    .set_title("Folder for the figures")
                    .pick_folder()
                    .map(|p| vec![p]),
            },
        }
    }

    fn dialog_available(&self) -> bool {
        // A socket is not a regular file: "exists and is not a directory" covers the bus
        // socket and the zenity binary (or a symlink to it).
        native_dialog_available(
            PORTAL_PLATFORM,
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").as_deref(),
            std::env::var_os("XDG_RUNTIME_DIR").as_deref(),
            std::env::var_os("PATH").as_deref(),
            |p| std::fs::metadata(p).is_ok_and(|m| !m.is_dir()),
        )
    }
}

/// Answers dialogs from a queue filled by the caller (tests); an empty queue is a cancel.
#[derive(Debug, Clone, Default)]
pub struct QueuedPicker {
    /// The answers, first in first out.
    pub answers: Arc<Mutex<VecDeque<Vec<PathBuf>>>>,
}

impl QueuedPicker {
    /// Queues the answer to the next dialog.
    pub fn push(&self, paths: Vec<PathBuf>) {
        if let Ok(mut queue) = self.answers.lock() {
            queue.push_back(paths);
        }
    }
}

impl FilePicker for QueuedPicker {
    fn pick(&mut self, _request: &PickRequest) -> Option<Vec<PathBuf>> {
        self.answers.lock().ok()?.pop_front()
    }
}

/// The folder for the autosave and the recent-files list: `$XDG_DATA_HOME/platefit`, else
/// `~/.local/share/platefit` (`%APPDATA%\platefit` on Windows).
#[must_use]
pub fn default_data_dir() -> Option<PathBuf> {
    let nonempty = |key: &str| {
        std::env::var_os(key)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = nonempty("XDG_DATA_HOME") {
        return Some(dir.join("platefit"));
    }
    if cfg!(windows)
        && let Some(dir) = nonempty("APPDATA")
    {
        return Some(dir.join("platefit"));
    }
    nonempty("HOME").map(|home| home.join(".local").join("share").join("platefit"))
}

/// The recent files list, newest first.
#[must_use]
pub fn load_recent(data_dir: &Path) -> Vec<PathBuf> {
    std::fs::read_to_string(data_dir.join("recent.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Vec<PathBuf>>(&text).ok())
        .unwrap_or_default()
}

/// Saves the recent files list (best effort).
pub fn save_recent(data_dir: &Path, recent: &[PathBuf]) {
    let result = std::fs::create_dir_all(data_dir).and_then(|()| {
        let text = serde_json::to_string_pretty(recent).map_err(std::io::Error::other)?;
        crate::project::atomic_write(&data_dir.join("recent.json"), text.as_bytes())
    });
    if let Err(e) = result {
        log::warn!("cannot save the recent files list: {e}");
    }
}

/// Puts `path` first in the list (at most 10 entries).
pub fn remember(recent: &mut Vec<PathBuf>, path: &Path) {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    recent.retain(|p| p != &path);
    recent.insert(0, path);
    recent.truncate(10);
}

/// What opening plate files produced.
#[derive(Debug)]
pub struct Loaded {
    /// One experiment per plate.
    pub experiments: Vec<Experiment>,
    /// Things the user should know (template used, importer warnings).
    pub notes: Vec<String>,
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Builds experiments from a reader export's bytes and a layout (or an empty layout: the
/// user paints one; nothing is invented).
///
/// # Errors
/// The bytes are not a plate file platefit can read.
pub fn experiments_from_bytes(
    name: &str,
    bytes: &[u8],
    layout: Option<&Layout>,
    settings: &AnalysisSettings,
    notes: &mut Vec<String>,
) -> Result<Vec<Experiment>> {
    let imported = import_bytes(bytes).with_context(|| name.to_string())?;
    notes.extend(imported.warnings.iter().map(|w| format!("{name}: {w}")));
    let sha256 = format!("{:x}", Sha256::digest(bytes));
    let count = imported.plates.len();
    let stem = Path::new(name)
        .file_stem()
        .map_or_else(|| name.to_string(), |s| s.to_string_lossy().into_owned());
    let mut experiments = Vec::new();
    for plate in imported.plates {
        let layout = match layout {
            Some(layout) => layout.clone(),
            None => {
                notes.push(format!(
                    "{name}: no layout yet — the plate's readings are shown; paint the layout in the Layout tab, import a plater CSV, or apply the two-line template with your line names"
                ));
                Layout::empty(plate.shape)
            }
        };
        let experiment_name = if count > 1 {
            format!("{stem} · {}", plate.name)
        } else {
            stem.clone()
        };
        experiments.push(Experiment {
            name: experiment_name,
            plates: vec![PlateInput {
                file: name.to_string(),
                sha256: Some(sha256.clone()),
                format: imported.format.clone(),
                plate,
                layout,
                excluded: BTreeMap::new(),
            }],
            settings: settings.clone(),
        });
    }
    Ok(experiments)
}

/// Loads a plate file with the given layout, else the one beside it, else an empty layout.
///
/// # Errors
/// The file or layout cannot be read.
pub fn load_plate_file(
    path: &Path,
    layout: Option<&Layout>,
    settings: &AnalysisSettings,
) -> Result<Loaded> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .len();
    if size > MAX_FILE_BYTES {
        bail!(
            "{}: the file is {size} bytes; platefit reads plate files up to {MAX_FILE_BYTES} bytes",
            path.display()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut notes = Vec::new();
    let beside;
    let layout = match layout {
        Some(l) => Some(l),
        None => match crate::cli::layout_beside(path) {
            Some(layout_path) => {
                beside = crate::cli::load_layout(&layout_path)?;
                notes.push(format!(
                    "{}: layout from {}",
                    file_name(path),
                    file_name(&layout_path)
                ));
                Some(&beside)
            }
            None => None,
        },
    };
    let experiments =
        experiments_from_bytes(&file_name(path), &bytes, layout, settings, &mut notes)?;
    Ok(Loaded { experiments, notes })
}

/// The bundled sample experiment.
///
/// # Errors
/// Only if the embedded files were damaged at build time.
pub fn sample_experiment() -> Result<Experiment> {
    let text = String::from_utf8_lossy(SAMPLE_LAYOUT);
    let layout = parse_layout(&text).context("the bundled sample layout")?;
    let mut notes = Vec::new();
    let mut experiments = experiments_from_bytes(
        SAMPLE_NAME,
        SAMPLE_PLATE,
        Some(&layout),
        &AnalysisSettings::default(),
        &mut notes,
    )?;
    if experiments.is_empty() {
        bail!("the bundled sample holds no plate");
    }
    let mut experiment = experiments.remove(0);
    experiment.name = "flumatinib K562 72 h (sample)".into();
    Ok(experiment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    fn path_of(dirs: &[&str]) -> std::ffi::OsString {
        std::env::join_paths(dirs).expect("paths without separators")
    }

    #[test]
    fn dialog_filters_match_upper_case_extensions() {
        let all = both_cases(&["csv", "platefit"]);
        assert_eq!(all, ["csv", "CSV", "platefit", "PLATEFIT"]);
    }

    #[test]
    fn dialog_needs_a_session_bus_or_zenity_on_linux() {
        let zenity_in = |dir: &'static str| move |p: &Path| p == Path::new(dir).join("zenity");
        let path = path_of(&["/opt/bin", "/usr/bin"]);
        let path = Some(path.as_os_str());
        let nothing = |_: &Path| false;
        // Neither bus nor zenity: no dialog.
        assert!(!native_dialog_available(true, None, None, path, nothing));
        assert!(!native_dialog_available(
            true,
            Some(OsStr::new("")),
            Some(OsStr::new("")),
            path,
            nothing
        ));
        assert!(!native_dialog_available(true, None, None, None, nothing));
        // zenity in any folder of PATH, but not in a folder outside it.
        assert!(native_dialog_available(
            true,
            None,
            None,
            path,
            zenity_in("/usr/bin")
        ));
        assert!(native_dialog_available(
            true,
            None,
            None,
            path,
            zenity_in("/opt/bin")
        ));
        assert!(!native_dialog_available(
            true,
            None,
            None,
            path,
            zenity_in("/usr/local/bin")
        ));
        // A session bus address, or the bus socket in XDG_RUNTIME_DIR.
        assert!(native_dialog_available(
            true,
            Some(OsStr::new("unix:path=/run/user/1000/bus")),
            None,
            path,
            nothing
        ));
        let socket = |p: &Path| p == Path::new("/run/user/1000/bus");
        assert!(native_dialog_available(
            true,
            None,
            Some(OsStr::new("/run/user/1000")),
            path,
            socket
        ));
        assert!(!native_dialog_available(
            true,
            None,
            Some(OsStr::new("/run/user/0")),
            path,
            socket
        ));
    }

    #[test]
    fn dialog_is_always_available_off_linux() {
        assert!(native_dialog_available(false, None, None, None, |_| false));
    }

    #[test]
    fn no_dialog_message_says_what_to_do() {
        let open = no_dialog_message(&PickRequest::OpenFiles);
        for needle in [
            "no file dialog",
            "zenity",
            "xdg-desktop-portal",
            "drag",
            "command line",
        ] {
            assert!(open.contains(needle), "{needle:?} missing from {open:?}");
        }
        let save = no_dialog_message(&PickRequest::SaveProject {
            suggested: "p.platefit".into(),
        });
        assert!(save.contains("zenity") && save.contains("save"), "{save}");
        assert!(!save.contains("drag"), "{save}");
    }

    #[test]
    fn queued_picker_is_available_and_an_empty_queue_is_a_cancel() {
        let mut picker = QueuedPicker::default();
        assert!(picker.dialog_available());
        assert_eq!(picker.pick(&PickRequest::OpenFiles), None);
        picker.push(vec![PathBuf::from("a.csv")]);
        assert_eq!(
            picker.pick(&PickRequest::OpenFiles),
            Some(vec![PathBuf::from("a.csv")])
        );
    }
}
