//! The app's state ([`App`]) and [`App::apply`], the one place it changes. Widgets only read
//! the state and push [`Command`]s; `apply` is plain Rust and unit-testable without egui.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::analysis::{Analysis, Experiment};
use crate::layout::{Layout, WellRole, dilution_series, write_layout};
use crate::plate::WellId;
use crate::project::{Project, atomic_write};

use super::command::{
    Command, DilutionSpec, ExportKind, Guarded, LayoutEdit, PickRequest, SelectMode, SeriesAxis,
    Tab,
};
use super::files::{self, FilePicker, RfdPicker};
use super::jobs::{Done, Jobs};
use super::library_view::{LibraryJobs, LibraryState};
use super::view::ViewState;

/// How many undo steps are kept per experiment.
const UNDO_LIMIT: usize = 200;
/// How often unsaved changes are autosaved.
pub const AUTOSAVE_EVERY: Duration = Duration::from_secs(20);

/// One experiment of the project, with its latest analysis and its undo history.
#[derive(Debug)]
pub struct Doc {
    /// Stable id (indexes change when experiments are removed).
    pub id: u64,
    /// The experiment as edited.
    pub experiment: Experiment,
    /// Bumped by every edit; results computed from an older generation are dropped.
    pub generation: u64,
    /// The latest analysis that succeeded.
    pub analysis: Option<Analysis>,
    /// The generation `analysis` was computed from.
    pub analysed_generation: Option<u64>,
    /// Why the current state cannot be analysed, if so.
    pub error: Option<String>,
    /// How long the latest analysis took.
    pub elapsed: Option<Duration>,
    /// Its colour slot in lists and overlays: kept for the experiment's life, so removing
    /// another experiment does not recolour it.
    pub color: usize,
    /// The experiment as last saved or opened: the project is unsaved only while some
    /// experiment differs from it (an exclusion undone leaves nothing to save).
    clean: Experiment,
    undo: Vec<(Experiment, String)>,
    redo: Vec<(Experiment, String)>,
}

impl Doc {
    fn new(id: u64, experiment: Experiment) -> Self {
        Self {
            id,
            clean: experiment.clone(),
            experiment,
            generation: 1,
            analysis: None,
            analysed_generation: None,
            error: None,
            elapsed: None,
            color: 0,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    /// Whether the shown analysis belongs to the current state.
    #[must_use]
    pub fn is_current(&self) -> bool {
        self.analysed_generation == Some(self.generation) && self.error.is_none()
    }

    /// What Undo would undo.
    #[must_use]
    pub fn undo_label(&self) -> Option<&str> {
        self.undo.last().map(|(_, l)| l.as_str())
    }

    /// What Redo would redo.
    #[must_use]
    pub fn redo_label(&self) -> Option<&str> {
        self.redo.last().map(|(_, l)| l.as_str())
    }
}

/// A message in the status bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The text.
    pub text: String,
    /// Whether it reports a problem.
    pub is_error: bool,
    /// The experiment it is about ([`Doc::id`]); `None` for the project or the app.
    pub doc: Option<u64>,
    /// When it was said.
    pub at: Instant,
}

impl Status {
    /// How long a message stays in the status bar (errors longer); the message log keeps
    /// every one.
    #[must_use]
    pub fn lifetime(&self) -> Duration {
        if self.is_error {
            STATUS_ERROR_LIFETIME
        } else {
            STATUS_LIFETIME
        }
    }
}

/// How long an informational message stays in the status bar.
pub const STATUS_LIFETIME: Duration = Duration::from_secs(12);
/// How long an error stays in the status bar (unless dismissed or replaced).
pub const STATUS_ERROR_LIFETIME: Duration = Duration::from_secs(60);
/// How many messages the log keeps.
const LOG_LIMIT: usize = 500;

/// An experiment removed from the project, kept for Undo.
#[derive(Debug)]
pub(crate) struct Removed {
    index: usize,
    doc: Doc,
    /// The project revision right after the removal: Undo restores it only while nothing
    /// else changed since.
    revision: u64,
}

/// Where the app keeps its own files and how it analyses; tests use a temporary folder,
/// a [`QueuedPicker`](super::files::QueuedPicker) and inline analysis.
pub struct AppOptions {
    /// Folder of the autosave and recent files (`None`: neither is kept).
    pub data_dir: Option<PathBuf>,
    /// Analyse on the UI thread instead of the worker.
    pub inline_analysis: bool,
    /// Answers file dialogs.
    pub picker: Box<dyn FilePicker>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            data_dir: files::default_data_dir(),
            inline_analysis: false,
            picker: Box::new(RfdPicker),
        }
    }
}

/// A pending in-app screenshot (`--screenshot`).
#[derive(Debug)]
pub(crate) struct ScreenshotPlan {
    pub(crate) path: PathBuf,
    pub(crate) settled_frames: u32,
    pub(crate) requested: bool,
    pub(crate) result: std::sync::Arc<std::sync::Mutex<Option<Result<(), String>>>>,
    pub(crate) started: Instant,
}

/// The desktop app.
pub struct App {
    pub(crate) docs: Vec<Doc>,
    next_id: u64,
    pub(crate) active: usize,
    pub(crate) active_plate: usize,
    pub(crate) project_path: Option<PathBuf>,
    pub(crate) dirty: bool,
    /// Experiments were added to or removed from the project since it was saved or opened.
    structure_changed: bool,
    revision: u64,
    autosaved_revision: u64,
    last_autosave: Instant,
    pub(crate) tab: Tab,
    pub(crate) selection: BTreeSet<WellId>,
    pub(crate) show_means: bool,
    pub(crate) status: Option<Status>,
    /// Every message said, oldest first (the status bar's log).
    pub(crate) log: Vec<Status>,
    pub(crate) pending: Option<Guarded>,
    /// An experiment whose removal waits for the user's answer ([`Doc::id`]).
    pub(crate) pending_remove: Option<u64>,
    pub(crate) removed: Vec<Removed>,
    pub(crate) autosave_offer: Option<PathBuf>,
    pub(crate) recent: Vec<PathBuf>,
    data_dir: Option<PathBuf>,
    pub(crate) jobs: Jobs,
    /// The Library view's state.
    pub(crate) library: LibraryState,
    /// The library's worker.
    pub(crate) library_jobs: LibraryJobs,
    picker: Box<dyn FilePicker>,
    pub(crate) clipboard_out: Option<String>,
    /// The text last handed to the platform clipboard.
    pub(crate) last_copied: Option<String>,
    pub(crate) close_now: bool,
    quit_confirmed: bool,
    pub(crate) view: ViewState,
    pub(crate) screenshot: Option<ScreenshotPlan>,
    pub(crate) started: Instant,
    pub(crate) first_frame: Option<Duration>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("experiments", &self.docs.len())
            .field("active", &self.active)
            .field("dirty", &self.dirty)
            .finish_non_exhaustive()
    }
}

impl Default for App {
    fn default() -> Self {
        Self::new(AppOptions::default())
    }
}

impl App {
    /// A new app with no experiment open (the start screen).
    #[must_use]
    pub fn new(options: AppOptions) -> Self {
        let recent = options
            .data_dir
            .as_deref()
            .map(files::load_recent)
            .unwrap_or_default();
        let autosave_offer = options
            .data_dir
            .as_deref()
            .map(|d| d.join("autosave.platefit"))
            .filter(|p| p.is_file());
        Self {
            docs: Vec::new(),
            next_id: 1,
            active: 0,
            active_plate: 0,
            project_path: None,
            dirty: false,
            structure_changed: false,
            revision: 0,
            autosaved_revision: 0,
            last_autosave: Instant::now(),
            tab: Tab::Analysis,
            selection: BTreeSet::new(),
            show_means: false,
            status: None,
            log: Vec::new(),
            pending: None,
            pending_remove: None,
            removed: Vec::new(),
            autosave_offer,
            recent,
            data_dir: options.data_dir,
            jobs: if options.inline_analysis {
                Jobs::inline()
            } else {
                Jobs::with_worker()
            },
            library: LibraryState::default(),
            library_jobs: if options.inline_analysis {
                LibraryJobs::inline()
            } else {
                LibraryJobs::with_worker()
            },
            picker: options.picker,
            clipboard_out: None,
            last_copied: None,
            close_now: false,
            quit_confirmed: false,
            view: ViewState::default(),
            screenshot: None,
            started: Instant::now(),
            first_frame: None,
        }
    }

    // ----- read access (for views and tests) -----

    /// The experiments of the project.
    #[must_use]
    pub fn experiments(&self) -> Vec<&Experiment> {
        self.docs.iter().map(|d| &d.experiment).collect()
    }

    /// The colour slot of each experiment, in list order.
    #[must_use]
    pub fn docs_colors(&self) -> Vec<usize> {
        self.docs.iter().map(|d| d.color).collect()
    }

    /// The active experiment's document.
    #[must_use]
    pub fn active_doc(&self) -> Option<&Doc> {
        self.docs.get(self.active)
    }

    /// The active experiment's latest analysis.
    #[must_use]
    pub fn active_analysis(&self) -> Option<&Analysis> {
        self.active_doc().and_then(|d| d.analysis.as_ref())
    }

    /// Whether there are unsaved changes.
    #[must_use]
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Whether analyses are still running.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        self.jobs.busy()
            || self.library_jobs.busy()
            || self
                .docs
                .iter()
                .any(|d| d.analysed_generation != Some(d.generation) && d.error.is_none())
    }

    /// The status-bar message.
    #[must_use]
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// The selected wells.
    #[must_use]
    pub fn selection(&self) -> &BTreeSet<WellId> {
        &self.selection
    }

    /// The view shown.
    #[must_use]
    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// The project file, once saved or opened.
    #[must_use]
    pub fn project_path(&self) -> Option<&Path> {
        self.project_path.as_deref()
    }

    /// The folder of the autosave, the recent files and the log.
    #[must_use]
    pub fn data_dir(&self) -> Option<&Path> {
        self.data_dir.as_deref()
    }

    /// The autosave file.
    #[must_use]
    pub fn autosave_path(&self) -> Option<PathBuf> {
        self.data_dir.as_ref().map(|d| d.join("autosave.platefit"))
    }

    /// The text last handed to the platform clipboard (egui's `copy_text`).
    #[must_use]
    pub fn last_copied(&self) -> Option<&str> {
        self.last_copied.as_deref()
    }

    /// Text the UI will put on the clipboard at the end of the frame.
    #[must_use]
    pub fn pending_clipboard(&self) -> Option<&str> {
        self.clipboard_out.as_deref()
    }

    /// The screen position where the curve plot drew the point of `well` (plate `plate`)
    /// in the curve labelled `curve`, as of the last frame.
    #[must_use]
    pub fn point_screen_position(
        &self,
        curve: &str,
        plate: usize,
        well: WellId,
    ) -> Option<egui::Pos2> {
        self.view
            .plotted
            .iter()
            .find(|p| p.curve == curve && p.plate == plate && p.well == well)
            .map(|p| p.screen)
    }

    /// Applies the launch arguments: files (with an optional layout) or the sample.
    pub fn open_launch(&mut self, files: Vec<PathBuf>, layout: Option<PathBuf>) {
        if !files.is_empty() {
            self.apply(Command::OpenPaths {
                paths: files,
                layout,
            });
        }
    }

    /// Waits (up to `timeout`) until the worker has delivered every pending analysis.
    pub fn wait_for_analysis(&mut self, timeout: Duration) -> bool {
        let start = Instant::now();
        while self.is_busy() {
            if let Some(done) = self.jobs.try_recv() {
                self.apply(Command::AnalysisFinished(done));
                continue;
            }
            if start.elapsed() > timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }

    pub(crate) fn say(&mut self, text: impl Into<String>) {
        self.post(text.into(), false);
    }

    pub(crate) fn complain(&mut self, text: impl Into<String>) {
        let text = text.into();
        log::warn!("{text}");
        self.post(text, true);
    }

    /// A message about the active experiment (or the app when none is open), shown in the
    /// status bar while that experiment is shown and kept in the log.
    fn post(&mut self, text: String, is_error: bool) {
        let status = Status {
            text,
            is_error,
            doc: self.active_doc().map(|d| d.id),
            at: Instant::now(),
        };
        self.log.push(status.clone());
        if self.log.len() > LOG_LIMIT {
            self.log.remove(0);
        }
        self.status = Some(status);
    }

    /// The status-bar message as shown now: about the experiment shown (or the whole
    /// project) and not yet expired.
    #[must_use]
    pub fn visible_status(&self) -> Option<&Status> {
        let active = self.active_doc().map(|d| d.id);
        self.status
            .as_ref()
            .filter(|s| s.doc.is_none() || s.doc == active)
            .filter(|s| s.at.elapsed() < s.lifetime())
    }

    /// Every message said in this session, oldest first.
    #[must_use]
    pub fn message_log(&self) -> &[Status] {
        &self.log
    }

    /// Asks the picker. `None` is a cancel, unless no dialog can appear on this system: then
    /// the window says so instead of silently doing nothing.
    pub(crate) fn pick(&mut self, request: &PickRequest) -> Option<Vec<PathBuf>> {
        let picked = self.picker.pick(request).filter(|p| !p.is_empty());
        if picked.is_none() && !self.picker.dialog_available() {
            self.complain(files::no_dialog_message(request));
        }
        picked
    }

    pub(crate) fn add_doc(&mut self, experiment: Experiment) -> usize {
        // An experiment added to an open project file (the sample, a plate file, one from
        // the library) is an unsaved change of that project; `replace_project` resets this.
        // Plate files opened together without a project are not (nothing to save yet).
        let adding_to_open = !self.docs.is_empty() && self.project_path.is_some();
        let id = self.next_id;
        self.next_id += 1;
        let mut doc = Doc::new(id, experiment);
        doc.color = (0..)
            .find(|slot| self.docs.iter().all(|d| d.color != *slot))
            .unwrap_or(0);
        self.docs.push(doc);
        let index = self.docs.len() - 1;
        if adding_to_open {
            self.mark_structure_changed();
        }
        self.submit(index);
        index
    }

    fn submit(&mut self, index: usize) {
        if let Some(doc) = self.docs.get(index) {
            self.jobs
                .submit(doc.id, doc.generation, doc.experiment.clone());
        }
        // Inline results are delivered at once.
        while let Some(done) = self.jobs.try_recv() {
            self.finish(done);
        }
    }

    /// After a change: bumps the revision and works out whether anything is unsaved.
    fn changed(&mut self) {
        self.revision += 1;
        self.dirty = self.structure_changed || self.docs.iter().any(|d| d.experiment != d.clean);
    }

    /// After experiments were added to or removed from the project.
    pub(crate) fn mark_structure_changed(&mut self) {
        self.structure_changed = true;
        self.changed();
    }

    /// Changes the active experiment with an undo step. `change` returns an error message
    /// to refuse the change (nothing is recorded then).
    fn edit(
        &mut self,
        label: &str,
        change: impl FnOnce(&mut Experiment, usize) -> Result<(), String>,
    ) {
        self.edit_at(self.active, label, change);
    }

    /// Edits the experiment at `index` (the active one's plate index is passed on).
    fn edit_at(
        &mut self,
        index: usize,
        label: &str,
        change: impl FnOnce(&mut Experiment, usize) -> Result<(), String>,
    ) {
        let plate = self.active_plate;
        let Some(doc) = self.docs.get_mut(index) else {
            self.complain("open an experiment first");
            return;
        };
        let before = doc.experiment.clone();
        if let Err(message) = change(&mut doc.experiment, plate) {
            doc.experiment = before;
            self.complain(message);
            return;
        }
        if doc.experiment == before {
            return;
        }
        doc.undo.push((before, label.to_string()));
        if doc.undo.len() > UNDO_LIMIT {
            doc.undo.remove(0);
        }
        doc.redo.clear();
        doc.generation += 1;
        self.changed();
        self.submit(index);
    }

    fn finish(&mut self, done: Done) {
        let Some(doc) = self.docs.iter_mut().find(|d| d.id == done.doc) else {
            return; // the experiment was removed
        };
        if done.generation != doc.generation {
            return; // stale: the experiment changed since
        }
        match done.result {
            Ok(analysis) => {
                doc.analysis = Some(analysis);
                doc.analysed_generation = Some(done.generation);
                doc.error = None;
                doc.elapsed = Some(done.elapsed);
            }
            Err(message) if message == "superseded" => {}
            Err(message) => {
                doc.error = Some(message);
                doc.analysed_generation = Some(done.generation);
            }
        }
    }

    fn selected_or_complain(&mut self) -> Option<Vec<WellId>> {
        if self.selection.is_empty() {
            self.complain("select wells first: click, drag, or click a row or column header");
            None
        } else {
            Some(self.selection.iter().copied().collect())
        }
    }

    /// Carries out a command. The one place where the app's state changes.
    #[allow(clippy::too_many_lines)]
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::OpenFilesDialog => {
                if let Some(paths) = self.pick(&PickRequest::OpenFiles) {
                    self.apply(Command::OpenPaths {
                        paths,
                        layout: None,
                    });
                }
            }
            Command::OpenPaths { paths, layout } => {
                self.open_paths(paths, layout.as_deref(), false);
            }
            Command::AddFilesDialog => {
                if let Some(paths) = self.pick(&PickRequest::OpenFiles) {
                    self.apply(Command::AddPaths(paths));
                }
            }
            Command::AddPaths(paths) => self.open_paths(paths, None, true),
            Command::OpenSample => match files::sample_experiment() {
                Ok(experiment) => {
                    let index = self.add_doc(experiment);
                    self.activate(index);
                    self.tab = Tab::Analysis;
                    self.say("opened the bundled sample: K562 (parental) and K562/FLM (resistant), flumatinib, CCK-8 at 72 h");
                }
                Err(e) => self.complain(format!("{e:#}")),
            },
            Command::OpenProjectDialog => {
                if let Some(mut paths) = self.pick(&PickRequest::OpenProject) {
                    let path = paths.remove(0);
                    self.guard(Guarded::OpenProject(path));
                }
            }
            Command::Save => match self.project_path.clone() {
                Some(path) => self.apply(Command::SaveTo(path)),
                None => self.apply(Command::SaveAs),
            },
            Command::SaveAs => {
                let suggested = self
                    .docs
                    .first()
                    .map_or_else(|| "project".to_string(), |d| d.experiment.name.clone());
                let request = PickRequest::SaveProject {
                    suggested: format!("{}.platefit", sanitize(&suggested)),
                };
                if let Some(mut paths) = self.pick(&request) {
                    let path = with_default_extension(paths.remove(0), "platefit");
                    self.apply(Command::SaveTo(path));
                }
            }
            Command::SaveTo(path) => self.save_to(&path),
            Command::NewProject => self.guard(Guarded::NewProject),
            Command::Confirmed(action) => {
                self.pending = None;
                self.carry_out(action);
            }
            Command::SaveThen(action) => {
                self.apply(Command::Save);
                if self.dirty {
                    self.pending = Some(action);
                } else {
                    self.pending = None;
                    self.carry_out(action);
                }
            }
            Command::Cancelled => self.pending = None,
            Command::CloseRequested => self.guard(Guarded::Quit),
            Command::RestoreAutosave => {
                if let Some(path) = self.autosave_offer.take() {
                    match Project::load(&path) {
                        Ok(project) => {
                            let origin = std::fs::read_to_string(autosave_origin_path(&path))
                                .ok()
                                .map(|t| PathBuf::from(t.trim()))
                                .filter(|p| !p.as_os_str().is_empty());
                            self.replace_project(project, origin.clone());
                            self.mark_structure_changed();
                            self.say(match origin {
                                Some(p) => format!(
                                    "restored the autosaved changes to {}; save to keep them",
                                    p.display()
                                ),
                                None => "restored the autosaved project; save it to keep it".into(),
                            });
                        }
                        Err(e) => self.complain(format!("cannot restore the autosave: {e}")),
                    }
                }
            }
            Command::DiscardAutosave => {
                if let Some(path) = self.autosave_offer.take() {
                    let _ = std::fs::remove_file(autosave_origin_path(&path));
                    let _ = std::fs::remove_file(path);
                }
            }
            Command::SetTab(tab) => self.tab = tab,
            Command::SelectExperiment(index) => {
                if index < self.docs.len() {
                    self.activate(index);
                }
            }
            Command::RemoveExperiment(index) => {
                if let Some(doc) = self.docs.get(index) {
                    self.pending_remove = Some(doc.id);
                }
            }
            Command::ConfirmRemove(id) => {
                self.pending_remove = None;
                if let Some(index) = self.docs.iter().position(|d| d.id == id) {
                    let doc = self.docs.remove(index);
                    self.mark_structure_changed();
                    let name = doc.experiment.name.clone();
                    self.removed.push(Removed {
                        index,
                        doc,
                        revision: self.revision,
                    });
                    if self.active >= self.docs.len() {
                        self.active = self.docs.len().saturating_sub(1);
                    }
                    self.active_plate = 0;
                    self.selection.clear();
                    self.status = None;
                    self.post(
                        format!(
                            "removed {name} from the project; Edit › Undo (Ctrl+Z) brings it back"
                        ),
                        false,
                    );
                    if let Some(s) = self.status.as_mut() {
                        s.doc = None;
                    }
                }
            }
            Command::CancelRemove => self.pending_remove = None,
            Command::RenameExperiment { doc, name } => {
                let name = name.trim().to_string();
                if !name.is_empty()
                    && let Some(index) = self.docs.iter().position(|d| d.id == doc)
                {
                    self.edit_at(index, "rename", |e, _| {
                        e.name = name;
                        Ok(())
                    });
                }
            }
            Command::SelectPlate(index) => {
                if self
                    .active_doc()
                    .is_some_and(|d| index < d.experiment.plates.len())
                {
                    self.active_plate = index;
                    self.selection.clear();
                }
            }
            Command::SelectWells(wells, mode) => match mode {
                SelectMode::Replace => self.selection = wells.into_iter().collect(),
                SelectMode::Add => self.selection.extend(wells),
                SelectMode::Toggle => {
                    for well in wells {
                        if !self.selection.remove(&well) {
                            self.selection.insert(well);
                        }
                    }
                }
            },
            Command::EditWells(field) => {
                if let Some(wells) = self.selected_or_complain() {
                    let label = format!("{} on {} well(s)", edit_label(&field), wells.len());
                    self.edit(&label, |e, plate| {
                        let layout = &mut layout_of(e, plate)?.layout;
                        for well in &wells {
                            if let Some(info) = layout.well_mut(*well) {
                                apply_field(info, &field);
                            }
                        }
                        Ok(())
                    });
                }
            }
            Command::ApplyDilution(spec) => {
                if let Some(wells) = self.selected_or_complain() {
                    if !(spec.top.is_finite()
                        && spec.top > 0.0
                        && spec.fold > 1.0
                        && spec.steps > 0)
                    {
                        self.complain("a dilution series needs a top concentration above 0, a fold above 1 and at least one step");
                        return;
                    }
                    if let Some(problem) = series_problem(&wells, &spec) {
                        self.complain(problem);
                        return;
                    }
                    self.edit("dilution series", |e, plate| {
                        write_series(&mut layout_of(e, plate)?.layout, &wells, spec);
                        Ok(())
                    });
                }
            }
            Command::SetUnit(unit) => self.edit("unit", |e, plate| {
                layout_of(e, plate)?.layout.unit = unit;
                Ok(())
            }),
            Command::ApplyTemplate {
                line_a,
                line_b,
                drug,
                top,
                fold,
            } => {
                let unit = self
                    .active_doc()
                    .and_then(|d| d.experiment.plates.get(self.active_plate))
                    .map(|p| p.layout.unit)
                    .unwrap_or_default();
                self.edit("template", |e, plate| {
                    let input = layout_of(e, plate)?;
                    if input.plate.shape != crate::plate::PlateShape::WELLS_96 {
                        return Err(format!(
                            "the two-line triplicate template is a 96-well layout; this plate is {}",
                            input.plate.shape
                        ));
                    }
                    input.layout = Layout::two_line_triplicate(
                        line_a.trim(),
                        line_b.trim(),
                        drug.as_deref().map(str::trim).filter(|d| !d.is_empty()),
                        top,
                        fold,
                        unit,
                    );
                    Ok(())
                });
            }
            Command::ImportLayoutDialog => {
                if let Some(mut paths) = self.pick(&PickRequest::OpenLayout) {
                    self.apply(Command::ImportLayout(paths.remove(0)));
                }
            }
            Command::ImportLayout(path) => self.import_layout(&path),
            Command::ExportLayoutDialog => {
                let suggested = self
                    .active_doc()
                    .map_or_else(|| "layout".into(), |d| sanitize(&d.experiment.name));
                if let Some(mut paths) = self.pick(&PickRequest::SaveLayout {
                    suggested: format!("{suggested}_layout.csv"),
                }) {
                    let path = with_default_extension(paths.remove(0), "csv");
                    self.apply(Command::ExportLayout(path));
                }
            }
            Command::ExportLayout(path) => self.export_layout(&path),
            Command::ExportDialog(kind) => {
                let stem = self.export_stem(kind);
                let suggested = kind
                    .extension()
                    .map_or_else(|| stem.clone(), |ext| format!("{stem}.{ext}"));
                if let Some(mut paths) = self.pick(&PickRequest::SaveExport { kind, suggested }) {
                    let mut path = paths.remove(0);
                    if let Some(extension) = kind.extension() {
                        path = with_default_extension(path, extension);
                    }
                    self.apply(Command::Export(kind, path));
                }
            }
            Command::Export(kind, path) => self.export(kind, &path),
            Command::ToggleExclude {
                plate,
                well,
                reason,
            } => {
                let excluded = self
                    .active_doc()
                    .and_then(|d| d.experiment.plates.get(plate))
                    .is_some_and(|p| p.excluded.contains_key(&well));
                let label = if excluded {
                    format!("include {well}")
                } else {
                    format!("exclude {well}")
                };
                self.edit(&label, |e, _| {
                    let input = e
                        .plates
                        .get_mut(plate)
                        .ok_or_else(|| "no such plate".to_string())?;
                    if input.excluded.remove(&well).is_none() {
                        input.excluded.insert(well, reason);
                    }
                    Ok(())
                });
                self.say(if excluded {
                    format!("{well} is included again")
                } else {
                    format!("{well} is excluded from the fit (recorded in the project); Undo (Ctrl+Z) or the same click again includes it")
                });
            }
            Command::SetSettings { doc, settings } => {
                if let Some(index) = self.docs.iter().position(|d| d.id == doc) {
                    self.edit_at(index, "settings", |e, _| {
                        e.settings = settings;
                        Ok(())
                    });
                }
            }
            Command::ApplyRemedy(remedy) => {
                let label = remedy.label();
                self.edit(&label, |e, _| {
                    match remedy {
                        crate::fit::Remedy::FixBottom(v) => e.settings.fix_bottom = Some(v),
                        crate::fit::Remedy::FixTop(v) => e.settings.fix_top = Some(v),
                    }
                    Ok(())
                });
                self.say(format!("{label}: the curves are refitted"));
            }
            Command::KeepOutlier { curve, well, kept } => {
                let label = if kept {
                    format!("keep {well} against ROUT's flag")
                } else {
                    format!("accept ROUT's flag on {well}")
                };
                self.edit(&label, |e, _| {
                    e.settings.set_kept(&curve, well, kept);
                    Ok(())
                });
                self.say(format!("{label}: the curves are refitted"));
            }
            Command::ExcludeSuggested { plate, wells } => {
                let count = wells.len();
                self.edit("exclude the wells QC suggests", |e, _| {
                    e.plates
                        .get_mut(plate)
                        .ok_or_else(|| format!("no plate {}", plate + 1))?
                        .exclude_as_suggested(&wells);
                    Ok(())
                });
                self.say(format!(
                    "{count} wells excluded as QC suggested: the plate is analysed again (Ctrl+Z brings them back)"
                ));
            }
            Command::SettingsToAll => {
                if let Some(settings) = self.active_doc().map(|d| d.experiment.settings.clone()) {
                    for index in 0..self.docs.len() {
                        let s = settings.clone();
                        self.edit_at(index, "settings from another experiment", |e, _| {
                            // The ROUT flags a user overruled belong to that experiment's wells.
                            let kept = std::mem::take(&mut e.settings.kept_outliers);
                            e.settings = s;
                            e.settings.kept_outliers = kept;
                            Ok(())
                        });
                    }
                    self.say("all experiments use these settings now");
                }
            }
            Command::Undo => self.undo_redo(true),
            Command::Redo => self.undo_redo(false),
            Command::CopyResults => {
                if let Some(analysis) = self.active_analysis() {
                    self.clipboard_out = Some(super::results_view::results_tsv(analysis));
                    self.say("results table copied to the clipboard as tab-separated text: paste into Excel or Prism");
                } else {
                    self.complain("nothing to copy yet");
                }
            }
            Command::CopyComparison => {
                let analyses: Vec<&Analysis> = self
                    .docs
                    .iter()
                    .filter_map(|d| d.analysis.as_ref())
                    .collect();
                if analyses.is_empty() {
                    self.complain("nothing to copy yet");
                } else {
                    self.clipboard_out = Some(super::experiments::comparison_tsv(&analyses));
                    self.say("comparison table copied to the clipboard as tab-separated text: paste into Excel or Prism");
                }
            }
            Command::SetShowMeans(on) => self.show_means = on,
            Command::AnalysisFinished(done) => self.finish(done),
            Command::DismissStatus => self.status = None,
            Command::Library(command) => self.apply_library(command),
        }
    }

    pub(crate) fn activate(&mut self, index: usize) {
        self.active = index;
        self.active_plate = 0;
        self.selection.clear();
    }

    fn guard(&mut self, action: Guarded) {
        let discards = match action {
            Guarded::Quit => self.dirty && !self.quit_confirmed,
            Guarded::OpenProject(_) | Guarded::NewProject => self.dirty && !self.docs.is_empty(),
        };
        if discards {
            self.pending = Some(action);
        } else {
            self.carry_out(action);
        }
    }

    fn carry_out(&mut self, action: Guarded) {
        match action {
            Guarded::OpenProject(path) => match Project::load(&path) {
                Ok(project) => {
                    self.replace_project(project, Some(path.clone()));
                    self.remember(&path);
                    self.say(format!("opened {}", path.display()));
                }
                Err(e) => self.complain(format!("cannot open {}: {e}", path.display())),
            },
            Guarded::NewProject => {
                self.replace_project(Project::default(), None);
                self.remove_autosave();
            }
            Guarded::Quit => {
                self.quit_confirmed = true;
                self.remove_autosave();
                self.close_now = true;
            }
        }
    }

    fn replace_project(&mut self, project: Project, path: Option<PathBuf>) {
        self.docs.clear();
        self.selection.clear();
        self.active = 0;
        self.active_plate = 0;
        for experiment in project.experiments {
            self.add_doc(experiment);
        }
        self.project_path = path;
        self.dirty = false;
        self.structure_changed = false;
        self.removed.clear();
        self.revision += 1;
        self.autosaved_revision = self.revision;
        self.tab = Tab::Analysis;
    }

    fn remember(&mut self, path: &Path) {
        files::remember(&mut self.recent, path);
        if let Some(dir) = &self.data_dir {
            files::save_recent(dir, &self.recent);
        }
    }

    /// Opens plate files, layouts and projects. `add`: a project's experiments are added
    /// to the open project instead of replacing it.
    fn open_paths(&mut self, paths: Vec<PathBuf>, layout: Option<&Path>, add: bool) {
        let given_layout = match layout.map(crate::cli::load_layout).transpose() {
            Ok(l) => l,
            Err(e) => {
                self.complain(format!("{e:#}"));
                return;
            }
        };
        let settings = self
            .active_doc()
            .map(|d| d.experiment.settings.clone())
            .unwrap_or_default();
        let mut notes = Vec::new();
        let mut errors = Vec::new();
        let mut first_new = None;
        // Layout files among the paths (dropped together with their plates) are layouts,
        // not plates: used for the plates of this batch, or imported into the open plate.
        let (layouts, paths): (Vec<PathBuf>, Vec<PathBuf>) =
            paths.into_iter().partition(|p| looks_like_layout(p));
        let mut given_layout = given_layout;
        if !layouts.is_empty() {
            let has_plates = paths.iter().any(|p| {
                !p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("platefit"))
            });
            if has_plates && given_layout.is_none() && layouts.len() == 1 {
                given_layout = crate::cli::load_layout(&layouts[0]).ok();
                notes.push(format!("layout from {}", layouts[0].display()));
            } else if !has_plates && !self.docs.is_empty() {
                self.import_layout(&layouts[0]);
            } else if has_plates && given_layout.is_none() {
                // Several layouts: each plate finds its own beside it.
            } else {
                errors.push(format!(
                    "{} is a layout; open a plate file first, then import it in the Layout tab",
                    layouts[0].display()
                ));
            }
        }
        for path in paths {
            let is_project = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("platefit"));
            if is_project && add && !self.docs.is_empty() {
                match Project::load(&path) {
                    Ok(project) => {
                        for experiment in project.experiments {
                            let index = self.add_doc(experiment);
                            first_new.get_or_insert(index);
                        }
                        self.mark_structure_changed();
                        notes.push(format!("added the experiments of {}", path.display()));
                    }
                    Err(e) => errors.push(format!("cannot open {}: {e}", path.display())),
                }
                continue;
            }
            if is_project {
                self.guard(Guarded::OpenProject(path));
                continue;
            }
            match files::load_plate_file(&path, given_layout.as_ref(), &settings) {
                Ok(loaded) => {
                    notes.extend(loaded.notes);
                    for experiment in loaded.experiments {
                        let index = self.add_doc(experiment);
                        first_new.get_or_insert(index);
                    }
                    self.remember(&path);
                }
                Err(plate_error) => {
                    // Not a plate file: maybe a layout for the open plate.
                    let as_layout = (!self.docs.is_empty())
                        .then(|| crate::cli::load_layout(&path).ok())
                        .flatten();
                    if as_layout.is_some() {
                        self.import_layout(&path);
                    } else {
                        errors.push(format!("{plate_error:#}"));
                    }
                }
            }
        }
        if let Some(index) = first_new {
            self.activate(index);
            self.tab = Tab::Analysis;
        }
        if !errors.is_empty() {
            self.complain(errors.join("; "));
        } else if !notes.is_empty() {
            self.say(notes.join("; "));
        }
    }

    fn import_layout(&mut self, path: &Path) {
        match crate::cli::load_layout(path) {
            Ok(layout) => {
                let name = path.display().to_string();
                self.edit("import layout", |e, plate| {
                    let input = layout_of(e, plate)?;
                    if input.plate.shape != layout.shape {
                        return Err(format!(
                            "{name} is a {} layout, but the plate is {}",
                            layout.shape, input.plate.shape
                        ));
                    }
                    input.layout = layout;
                    Ok(())
                });
                if self.status.as_ref().is_none_or(|s| !s.is_error) {
                    self.say(format!("layout imported from {}", path.display()));
                }
            }
            Err(e) => self.complain(format!("{e:#}")),
        }
    }

    /// The experiments with a current analysis, for exports.
    fn analysed_items(&self, only_active: bool) -> Vec<(Experiment, Analysis)> {
        let docs: Vec<&Doc> = if only_active {
            self.active_doc().into_iter().collect()
        } else {
            self.docs.iter().collect()
        };
        docs.into_iter()
            .filter_map(|d| d.analysis.clone().map(|a| (d.experiment.clone(), a)))
            .collect()
    }

    fn export(&mut self, kind: ExportKind, path: &Path) {
        let items = self.analysed_items(kind == ExportKind::ReportPdf);
        if items.is_empty() {
            self.complain("nothing to export yet: open an experiment and let it analyse");
            return;
        }
        match write_export(kind, &items, path) {
            Ok(()) => self.say(format!("exported to {}", path.display())),
            Err(e) => self.complain(format!("export failed: {e}")),
        }
    }

    fn export_layout(&mut self, path: &Path) {
        let Some(input) = self
            .active_doc()
            .and_then(|d| d.experiment.plates.get(self.active_plate))
        else {
            self.complain("open an experiment first");
            return;
        };
        let mut bytes = Vec::new();
        let result =
            write_layout(&input.layout, &mut bytes).and_then(|()| atomic_write(path, &bytes));
        match result {
            Ok(()) => self.say(format!("layout exported to {}", path.display())),
            Err(e) => self.complain(format!("cannot write {}: {e}", path.display())),
        }
    }

    /// The suggested name of an export: the experiment's name for its own report, else the
    /// project file's name, else the experiment's (with the others counted).
    #[must_use]
    pub fn export_stem(&self, kind: ExportKind) -> String {
        let experiment = self.active_doc().map(|d| sanitize(&d.experiment.name));
        if kind == ExportKind::ReportPdf {
            return experiment.unwrap_or_else(|| "report".into());
        }
        if let Some(stem) = self
            .project_path
            .as_deref()
            .and_then(Path::file_stem)
            .map(|s| sanitize(&s.to_string_lossy()))
        {
            return stem;
        }
        let first = self.docs.first().map(|d| sanitize(&d.experiment.name));
        match (first, self.docs.len()) {
            (Some(name), 1) => name,
            (Some(name), n) => format!("{name} and {} more", n - 1),
            (None, _) => "platefit".into(),
        }
    }

    fn project(&self) -> Project {
        Project {
            experiments: self.docs.iter().map(|d| d.experiment.clone()).collect(),
            ..Project::default()
        }
    }

    fn save_to(&mut self, path: &Path) {
        match self.project().save(path) {
            Ok(()) => {
                self.project_path = Some(path.to_path_buf());
                self.dirty = false;
                self.structure_changed = false;
                for doc in &mut self.docs {
                    doc.clean = doc.experiment.clone();
                }
                self.autosaved_revision = self.revision;
                self.remember(path);
                self.remove_autosave();
                self.say(format!("saved {}", path.display()));
            }
            Err(e) => self.complain(format!("cannot save {}: {e}", path.display())),
        }
    }

    fn remove_autosave(&mut self) {
        if let Some(path) = self.autosave_path() {
            let _ = std::fs::remove_file(autosave_origin_path(&path));
            let _ = std::fs::remove_file(path);
        }
    }

    /// Writes the autosave now if there are unsaved changes not yet autosaved.
    pub fn autosave_now(&mut self) {
        if !self.dirty || self.revision == self.autosaved_revision || self.docs.is_empty() {
            return;
        }
        self.last_autosave = Instant::now();
        self.autosaved_revision = self.revision;
        let Some(path) = self.autosave_path() else {
            return;
        };
        let project = self.project();
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .map_err(crate::project::ProjectError::from)
            .and_then(|()| project.save(&path));
        if let Err(e) = result {
            log::warn!("autosave to {} failed: {e}", path.display());
        }
        // Which project file the autosave belongs to, so a restore keeps its name.
        let origin = autosave_origin_path(&path);
        let written = match &self.project_path {
            Some(project_path) => atomic_write(&origin, project_path.to_string_lossy().as_bytes()),
            None => match std::fs::remove_file(&origin) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        };
        if let Err(e) = written {
            log::warn!("cannot record the autosave's project file: {e}");
        }
    }

    /// Autosaves when it is due.
    pub(crate) fn autosave_tick(&mut self) {
        if self.last_autosave.elapsed() >= AUTOSAVE_EVERY {
            self.autosave_now();
            self.last_autosave = Instant::now();
        }
    }

    /// What Undo would do: the removal of an experiment right before, else the active
    /// experiment's last edit.
    #[must_use]
    pub fn undo_label(&self) -> Option<String> {
        match self.removed.last() {
            Some(r) if r.revision == self.revision => {
                Some(format!("remove {}", r.doc.experiment.name))
            }
            _ => self
                .active_doc()
                .and_then(Doc::undo_label)
                .map(str::to_string),
        }
    }

    fn undo_redo(&mut self, undo: bool) {
        if undo
            && self
                .removed
                .last()
                .is_some_and(|r| r.revision == self.revision)
            && let Some(removed) = self.removed.pop()
        {
            let index = removed.index.min(self.docs.len());
            let name = removed.doc.experiment.name.clone();
            self.docs.insert(index, removed.doc);
            self.changed();
            // Undo of the removal: the removal's revision is gone with it.
            self.activate(index);
            self.say(format!("undid remove {name}"));
            return;
        }
        let Some(doc) = self.docs.get_mut(self.active) else {
            return;
        };
        let (from, to) = if undo {
            (&mut doc.undo, &mut doc.redo)
        } else {
            (&mut doc.redo, &mut doc.undo)
        };
        let Some((experiment, label)) = from.pop() else {
            self.say(if undo {
                "nothing to undo"
            } else {
                "nothing to redo"
            });
            return;
        };
        let current = std::mem::replace(&mut doc.experiment, experiment);
        to.push((current, label.clone()));
        doc.generation += 1;
        let plates = doc.experiment.plates.len();
        if self.active_plate >= plates {
            self.active_plate = 0;
        }
        self.changed();
        self.submit(self.active);
        self.say(format!("{} {label}", if undo { "undid" } else { "redid" }));
    }
}

/// The file beside the autosave that names the project file it belongs to.
fn autosave_origin_path(autosave: &Path) -> PathBuf {
    autosave.with_extension("path")
}

/// Whether a file is a plater layout (it parses and names at least one role).
fn looks_like_layout(path: &Path) -> bool {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    is_csv
        && crate::cli::load_layout(path)
            .is_ok_and(|l| l.wells.iter().any(|w| w.role != WellRole::Empty))
}

fn layout_of(e: &mut Experiment, plate: usize) -> Result<&mut crate::analysis::PlateInput, String> {
    e.plates
        .get_mut(plate)
        .ok_or_else(|| "the experiment has no such plate".to_string())
}

fn edit_label(field: &LayoutEdit) -> String {
    match field {
        LayoutEdit::Role(r) => format!("role {r}"),
        LayoutEdit::Line(_) => "line".into(),
        LayoutEdit::Drug(_) => "drug".into(),
        LayoutEdit::Condition(_) => "condition".into(),
        LayoutEdit::Concentration(_) => "concentration".into(),
        LayoutEdit::Replicate(_) => "replicate".into(),
    }
}

fn apply_field(info: &mut crate::layout::WellInfo, field: &LayoutEdit) {
    match field {
        LayoutEdit::Role(role) => {
            info.role = *role;
            match role {
                WellRole::Empty => *info = crate::layout::WellInfo::default(),
                WellRole::Blank | WellRole::Positive | WellRole::T0 => {
                    info.concentration = None;
                    info.drug = None;
                }
                WellRole::Vehicle => {
                    info.concentration = Some(0.0);
                    info.drug = None;
                }
                WellRole::Treated | WellRole::Background => {
                    if info.concentration == Some(0.0) {
                        info.concentration = None;
                    }
                }
            }
        }
        LayoutEdit::Line(v) => info.line.clone_from(v),
        LayoutEdit::Drug(v) => info.drug.clone_from(v),
        LayoutEdit::Condition(v) => info.condition.clone_from(v),
        LayoutEdit::Concentration(v) => {
            info.concentration = *v;
            if info.role == WellRole::Empty && v.is_some_and(|c| c > 0.0) {
                info.role = WellRole::Treated;
            }
        }
        LayoutEdit::Replicate(v) => info.replicate = *v,
    }
}

/// Why a dilution series does not fit the selection, if so: every row (or column) of the
/// selection must hold at least `steps` wells, or the series would be cut short.
#[must_use]
pub fn series_problem(wells: &[WellId], spec: &DilutionSpec) -> Option<String> {
    let mut groups: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    for well in wells {
        let key = match spec.axis {
            SeriesAxis::AlongRows => well.row_idx(),
            SeriesAxis::AlongColumns => well.col_idx(),
        };
        *groups.entry(key).or_default() += 1;
    }
    let shortest = groups.values().copied().min()?;
    (shortest < spec.steps).then(|| {
        let (line, other) = match spec.axis {
            SeriesAxis::AlongRows => ("along a row", "down columns"),
            SeriesAxis::AlongColumns => ("down a column", "along rows"),
        };
        format!(
            "the series has {} steps but the selection holds only {shortest} well(s) {line}: select at least {} wells {line}, fewer steps, or run it {other}",
            spec.steps, spec.steps
        )
    })
}

/// Writes a dilution series into `wells`: along each row (or down each column), the
/// selected wells in order get the series' concentrations, repeating when longer.
fn write_series(layout: &mut Layout, wells: &[WellId], spec: DilutionSpec) {
    let series = dilution_series(spec.top, spec.fold, spec.steps, spec.direction);
    let mut groups: std::collections::BTreeMap<usize, Vec<WellId>> =
        std::collections::BTreeMap::new();
    for well in wells {
        let key = match spec.axis {
            SeriesAxis::AlongRows => well.row_idx(),
            SeriesAxis::AlongColumns => well.col_idx(),
        };
        groups.entry(key).or_default().push(*well);
    }
    for group in groups.values_mut() {
        group.sort_by_key(|w| match spec.axis {
            SeriesAxis::AlongRows => w.col_idx(),
            SeriesAxis::AlongColumns => w.row_idx(),
        });
        for (i, well) in group.iter().enumerate() {
            if let (Some(info), Some(c)) =
                (layout.well_mut(*well), series.get(i % series.len().max(1)))
            {
                info.concentration = Some(*c);
                if matches!(
                    info.role,
                    WellRole::Empty | WellRole::Vehicle | WellRole::Blank
                ) {
                    info.role = WellRole::Treated;
                }
            }
        }
    }
}

/// `path` with `extension` added when the name has none (save dialogs on Linux do not add
/// the filter's extension when the user types a bare name).
fn with_default_extension(mut path: PathBuf, extension: &str) -> PathBuf {
    if path.extension().is_none() {
        path.set_extension(extension);
    }
    path
}

fn sanitize(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_. ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        "project".into()
    } else {
        trimmed.into()
    }
}

/// Writes an export with the report library; every file goes through `atomic_write`.
fn write_export(
    kind: ExportKind,
    items: &[(Experiment, Analysis)],
    path: &Path,
) -> Result<(), String> {
    use crate::report::{ReportDate, figures, pdf, pzfx, xlsx};
    let date = ReportDate::today();
    let write = |bytes: &[u8]| atomic_write(path, bytes).map_err(|e| e.to_string());
    let options = pdf::PdfOptions {
        page: pdf::PageSize::A4,
        date,
    };
    match kind {
        ExportKind::ReportPdf => {
            let (experiment, analysis) = &items[0];
            write(
                &pdf::experiment_report(experiment, analysis, &options)
                    .map_err(|e| e.to_string())?,
            )
        }
        ExportKind::AllReportsPdf => {
            write(&pdf::experiments_report(items, &options).map_err(|e| e.to_string())?)
        }
        ExportKind::Workbook => write(&xlsx::workbook(items, date).map_err(|e| e.to_string())?),
        ExportKind::Prism => {
            let analyses: Vec<Analysis> = items.iter().map(|(_, a)| a.clone()).collect();
            let text = pzfx::document(&analyses, pzfx::XScale::Concentration, date)
                .map_err(|e| e.to_string())?;
            write(text.as_bytes())
        }
        ExportKind::Figures => {
            std::fs::create_dir_all(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            for (experiment, analysis) in items {
                let stem = sanitize(&analysis.experiment);
                for figure in figures::experiment_figures(experiment, analysis) {
                    let base = path.join(format!("{stem}_{}", figure.name));
                    atomic_write(&base.with_extension("svg"), figure.svg.as_bytes())
                        .map_err(|e| e.to_string())?;
                    let png = figures::png(&figure.svg, 300.0).map_err(|e| e.to_string())?;
                    atomic_write(&base.with_extension("png"), &png).map_err(|e| e.to_string())?;
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::files::QueuedPicker;

    fn app() -> (App, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = App::new(AppOptions {
            data_dir: Some(dir.path().to_path_buf()),
            inline_analysis: true,
            picker: Box::new(QueuedPicker::default()),
        });
        (app, dir)
    }

    fn ic50(app: &App, label: &str) -> Option<f64> {
        app.active_analysis()?.curve(label)?.fit.reported_ic50()
    }

    #[test]
    fn sample_opens_and_matches_analyze() {
        let (mut app, _dir) = app();
        app.apply(Command::OpenSample);
        let expected = crate::analysis::analyze(&files::sample_experiment().expect("sample"))
            .expect("analysis");
        let got = app.active_analysis().expect("analysed");
        assert_eq!(got.curves.len(), expected.curves.len());
        for (a, b) in got.curves.iter().zip(&expected.curves) {
            assert_eq!(a.fit.reported_ic50(), b.fit.reported_ic50());
        }
        assert_eq!(got.comparisons.len(), 1);
    }

    #[test]
    fn edits_undo_and_redo() {
        let (mut app, _dir) = app();
        app.apply(Command::OpenSample);
        let before = app.active_doc().expect("doc").experiment.clone();
        app.apply(Command::SelectWells(
            vec![WellId::new(0, 0)],
            SelectMode::Replace,
        ));
        app.apply(Command::EditWells(LayoutEdit::Role(WellRole::Blank)));
        let after = app.active_doc().expect("doc").experiment.clone();
        assert_ne!(before, after);
        assert_eq!(
            after.plates[0].layout.well(WellId::new(0, 0)).role,
            WellRole::Blank
        );
        app.apply(Command::Undo);
        assert_eq!(app.active_doc().expect("doc").experiment, before);
        app.apply(Command::Redo);
        assert_eq!(app.active_doc().expect("doc").experiment, after);
        assert!(app.is_dirty());
    }

    #[test]
    fn edit_without_selection_is_refused() {
        let (mut app, _dir) = app();
        app.apply(Command::OpenSample);
        app.apply(Command::EditWells(LayoutEdit::Role(WellRole::Blank)));
        assert!(app.status().is_some_and(|s| s.is_error));
        assert!(app.active_doc().expect("doc").undo_label().is_none());
    }

    #[test]
    fn exclusion_changes_the_fit_and_is_recorded() {
        let (mut app, _dir) = app();
        app.apply(Command::OpenSample);
        let before = ic50(&app, "K562 · flumatinib");
        let well = WellId::parse("B7").expect("well");
        app.apply(Command::ToggleExclude {
            plate: 0,
            well,
            reason: "test".into(),
        });
        assert_eq!(
            app.active_doc().expect("doc").experiment.plates[0]
                .excluded
                .get(&well)
                .map(String::as_str),
            Some("test")
        );
        assert_ne!(before, ic50(&app, "K562 · flumatinib"));
        app.apply(Command::ToggleExclude {
            plate: 0,
            well,
            reason: "test".into(),
        });
        assert_eq!(before, ic50(&app, "K562 · flumatinib"));
    }

    #[test]
    fn dilution_series_fills_rows() {
        let mut layout = Layout::empty(crate::plate::PlateShape::WELLS_96);
        let wells: Vec<WellId> = (0..4).map(|c| WellId::new(1, c)).collect();
        write_series(
            &mut layout,
            &wells,
            DilutionSpec {
                top: 10.0,
                fold: 2.0,
                steps: 3,
                direction: crate::layout::DilutionDirection::Decreasing,
                axis: SeriesAxis::AlongRows,
            },
        );
        let concs: Vec<Option<f64>> = wells
            .iter()
            .map(|w| layout.well(*w).concentration)
            .collect();
        assert_eq!(concs, vec![Some(10.0), Some(5.0), Some(2.5), Some(10.0)]);
        assert_eq!(layout.well(wells[0]).role, WellRole::Treated);
    }

    #[test]
    fn layouts_opened_with_plates_are_not_plates() {
        let (mut app, dir) = app();
        let plate = dir.path().join("rep1.csv");
        let layout = dir.path().join("my layout.csv");
        std::fs::write(&plate, files::SAMPLE_PLATE).expect("write");
        std::fs::write(&layout, files::SAMPLE_LAYOUT).expect("write");
        app.apply(Command::OpenPaths {
            paths: vec![plate, layout],
            layout: None,
        });
        assert_eq!(app.docs.len(), 1);
        let expected = files::sample_experiment().expect("sample");
        assert_eq!(
            app.docs[0].experiment.plates[0].layout,
            expected.plates[0].layout
        );
    }

    #[test]
    fn damaged_file_is_an_error_message_not_a_panic() {
        let (mut app, dir) = app();
        let path = dir.path().join("broken.csv");
        std::fs::write(&path, b"\x00\x01garbage,,,\n1,2\n").expect("write");
        app.apply(Command::OpenPaths {
            paths: vec![path, dir.path().join("missing.csv")],
            layout: None,
        });
        assert!(app.status().is_some_and(|s| s.is_error));
        assert!(app.docs.is_empty());
    }

    #[test]
    fn worker_delivers_and_drops_stale_results() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = App::new(AppOptions {
            data_dir: Some(dir.path().to_path_buf()),
            inline_analysis: false,
            picker: Box::new(QueuedPicker::default()),
        });
        app.apply(Command::OpenSample);
        let well = WellId::parse("B7").expect("well");
        for _ in 0..3 {
            app.apply(Command::ToggleExclude {
                plate: 0,
                well,
                reason: "x".into(),
            });
        }
        assert!(app.wait_for_analysis(Duration::from_secs(60)));
        let doc = app.active_doc().expect("doc");
        assert!(doc.is_current());
        assert!(doc.experiment.plates[0].excluded.contains_key(&well));
        let expected = crate::analysis::analyze(&doc.experiment).expect("analysis");
        assert_eq!(doc.analysis.as_ref(), Some(&expected));
    }

    #[test]
    fn autosave_is_written_and_offered() {
        let (mut app, dir) = app();
        app.apply(Command::OpenSample);
        app.apply(Command::ToggleExclude {
            plate: 0,
            well: WellId::new(1, 2),
            reason: "x".into(),
        });
        app.autosave_now();
        let path = dir.path().join("autosave.platefit");
        assert!(path.is_file());
        let mut again = App::new(AppOptions {
            data_dir: Some(dir.path().to_path_buf()),
            inline_analysis: true,
            picker: Box::new(QueuedPicker::default()),
        });
        assert!(again.autosave_offer.is_some());
        again.apply(Command::RestoreAutosave);
        assert_eq!(again.docs.len(), 1);
        assert!(again.is_dirty());
    }

    #[test]
    fn quitting_with_unsaved_changes_asks() {
        let (mut app, _dir) = app();
        app.apply(Command::OpenSample);
        app.apply(Command::CloseRequested);
        assert!(app.close_now, "nothing was changed, so nothing is lost");
        app.close_now = false;
        app.quit_confirmed = false;
        app.apply(Command::ToggleExclude {
            plate: 0,
            well: WellId::new(1, 2),
            reason: "x".into(),
        });
        app.apply(Command::CloseRequested);
        assert_eq!(app.pending, Some(Guarded::Quit));
        assert!(!app.close_now);
        app.apply(Command::Confirmed(Guarded::Quit));
        assert!(app.close_now);
    }
}
