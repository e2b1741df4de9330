//! The Library view: the lab library (an SQLite file, [`crate::library`]) as a table of
//! experiments with search and filters, multi-select → compare / study summary / study
//! report, "add this experiment" with the lab's metadata (the last values remembered), and
//! the trend and Levey–Jennings charts of the study, where a click on a point opens that
//! experiment.
//!
//! - The library is read and written on a worker thread ([`LibraryJobs`], named
//!   `library-worker`), never in a frame: the list is queried once per filter change and
//!   cached with its search texts, so typing in the search box filters the cached rows
//!   in memory. Tests run the same requests inline.
//! - State changes go through [`LibraryCommand`] and `App::apply_library`, like the rest of
//!   the app.

use std::collections::BTreeSet;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use egui::{Color32, RichText};
use egui_plot::{HoverPosition, Line, LineStyle, MarkerShape, Plot, PlotPoint, Points};
use serde::{Deserialize, Serialize};

use crate::analysis::Experiment;
use crate::library::{AddOutcome, ExperimentRow, Filter, Library, Metadata, NewEntry};
use crate::library_view::{
    Facets, date_from_days, days_from_date, facets, matches_search, search_text,
};
use crate::report::format_number;
use crate::study::{ComparisonKind, ExperimentRecord, Study, StudyOptions, study};

use super::app::App;
use super::command::{Command, PickRequest, Tab};

/// The file in the data folder that remembers the library file and the last metadata.
pub const LIBRARY_SETTINGS_FILE: &str = "library.json";

// ----- the worker -----

/// What the worker is asked to do. Every request names the library file.
#[derive(Debug)]
enum Request {
    /// List the experiments passing a filter, with the filters' choices.
    List { filter: Filter, generation: u64 },
    /// The study over these experiments.
    Study {
        ids: Vec<i64>,
        options: StudyOptions,
    },
    /// Add experiments.
    Add { entries: Vec<NewEntry> },
    /// Load stored experiments (to open or compare them).
    Load { ids: Vec<i64>, compare: bool },
    /// Write the study report of these experiments (PDF, or a workbook for `.xlsx`).
    Report {
        ids: Vec<i64>,
        out: PathBuf,
        options: StudyOptions,
    },
}

/// What the worker answers.
#[derive(Debug)]
pub enum Reply {
    /// The list (for the request of `generation`).
    Listed {
        /// The request's generation: older lists are dropped.
        generation: u64,
        /// The rows.
        rows: Vec<ExperimentRow>,
        /// The filters' choices.
        facets: Facets,
        /// How long the query took.
        elapsed: Duration,
    },
    /// A study.
    Studied {
        /// The experiments.
        ids: Vec<i64>,
        /// Their records.
        records: Vec<ExperimentRecord>,
        /// The study.
        study: Box<Study>,
        /// The options it was computed with.
        options: StudyOptions,
    },
    /// Experiments added.
    Added(Vec<AddOutcome>),
    /// Experiments loaded.
    Loaded {
        /// (library id, experiment).
        experiments: Vec<(i64, Experiment)>,
        /// Open them side by side in Compare (else the first in Analysis).
        compare: bool,
    },
    /// A report written.
    Reported(PathBuf),
    /// A request failed.
    Failed(String),
}

struct Job {
    path: PathBuf,
    request: Request,
}

/// Holds the open library between requests (re-opened when the file changes).
#[derive(Default)]
struct Handler {
    open: Option<Library>,
}

impl Handler {
    fn library(&mut self, path: &Path) -> Result<&mut Library, String> {
        if self.open.as_ref().is_none_or(|l| l.path() != path) {
            self.open = None;
            self.open = Some(Library::open(path).map_err(|e| e.to_string())?);
        }
        self.open
            .as_mut()
            .ok_or_else(|| "the library is not open".to_string())
    }

    fn handle(&mut self, job: Job) -> Reply {
        let path = job.path;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.run(&path, job.request)
        }));
        match result {
            Ok(Ok(reply)) => reply,
            Ok(Err(message)) => Reply::Failed(message),
            Err(_) => {
                self.open = None;
                Reply::Failed("the library request stopped on an internal error".into())
            }
        }
    }

    fn run(&mut self, path: &Path, request: Request) -> Result<Reply, String> {
        let library = self.library(path)?;
        match request {
            Request::List { filter, generation } => {
                let start = Instant::now();
                let rows = library.list(&filter).map_err(|e| e.to_string())?;
                let facets = facets(path).map_err(|e| e.to_string())?;
                Ok(Reply::Listed {
                    generation,
                    rows,
                    facets,
                    elapsed: start.elapsed(),
                })
            }
            Request::Study { ids, options } => {
                let records = library
                    .study_records(&Filter {
                        ids: ids.clone(),
                        ..Filter::default()
                    })
                    .map_err(|e| e.to_string())?;
                let result = study(&records, &options);
                Ok(Reply::Studied {
                    ids,
                    records,
                    study: Box::new(result),
                    options,
                })
            }
            Request::Add { entries } => library
                .add(&entries)
                .map(Reply::Added)
                .map_err(|e| e.to_string()),
            Request::Load { ids, compare } => {
                let mut experiments = Vec::new();
                for id in ids {
                    let stored = library.load(id).map_err(|e| e.to_string())?;
                    experiments.push((id, stored.experiment));
                }
                Ok(Reply::Loaded {
                    experiments,
                    compare,
                })
            }
            Request::Report { ids, out, options } => {
                let records = library
                    .study_records(&Filter {
                        ids,
                        ..Filter::default()
                    })
                    .map_err(|e| e.to_string())?;
                let result = study(&records, &options);
                let date = crate::report::ReportDate::today();
                let xlsx = out
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
                let bytes = if xlsx {
                    crate::report::study::study_workbook(&result, &records, date)
                } else {
                    crate::report::study::study_pdf(&result, &records, date)
                }
                .map_err(|e| e.to_string())?;
                crate::project::atomic_write(&out, &bytes)
                    .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
                Ok(Reply::Reported(out))
            }
        }
    }
}

/// The library runner: a worker thread, or inline (tests).
pub struct LibraryJobs {
    sender: Option<Sender<Job>>,
    receiver: Option<Receiver<Reply>>,
    inline: Option<Handler>,
    inline_done: VecDeque<Reply>,
    in_flight: usize,
    repaint: std::sync::Arc<std::sync::Mutex<Option<egui::Context>>>,
}

impl std::fmt::Debug for LibraryJobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibraryJobs")
            .field("worker", &self.sender.is_some())
            .field("in_flight", &self.in_flight)
            .finish()
    }
}

impl LibraryJobs {
    /// Requests run on the calling thread.
    #[must_use]
    pub fn inline() -> Self {
        Self {
            sender: None,
            receiver: None,
            inline: Some(Handler::default()),
            inline_done: VecDeque::new(),
            in_flight: 0,
            repaint: std::sync::Arc::default(),
        }
    }

    /// A worker thread named `library-worker` (inline when it cannot start).
    #[must_use]
    pub fn with_worker() -> Self {
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let (reply_tx, reply_rx) = mpsc::channel::<Reply>();
        let repaint: std::sync::Arc<std::sync::Mutex<Option<egui::Context>>> =
            std::sync::Arc::default();
        let worker_repaint = repaint.clone();
        let spawned = std::thread::Builder::new()
            .name("library-worker".into())
            .spawn(move || {
                let mut handler = Handler::default();
                while let Ok(job) = job_rx.recv() {
                    let reply = handler.handle(job);
                    if reply_tx.send(reply).is_err() {
                        break;
                    }
                    if let Ok(ctx) = worker_repaint.lock()
                        && let Some(ctx) = ctx.as_ref()
                    {
                        ctx.request_repaint();
                    }
                }
            });
        match spawned {
            Ok(_) => Self {
                sender: Some(job_tx),
                receiver: Some(reply_rx),
                inline: None,
                inline_done: VecDeque::new(),
                in_flight: 0,
                repaint,
            },
            Err(e) => {
                log::warn!("cannot start the library worker ({e}); using the UI thread");
                Self::inline()
            }
        }
    }

    /// The context to wake when a reply arrives.
    pub fn set_repaint(&self, ctx: &egui::Context) {
        if let Ok(mut slot) = self.repaint.lock()
            && slot.is_none()
        {
            *slot = Some(ctx.clone());
        }
    }

    fn submit(&mut self, path: &Path, request: Request) {
        let job = Job {
            path: path.to_path_buf(),
            request,
        };
        if let Some(handler) = self.inline.as_mut() {
            let reply = handler.handle(job);
            self.inline_done.push_back(reply);
            return;
        }
        match &self.sender {
            Some(sender) if sender.send(job).is_ok() => self.in_flight += 1,
            _ => self
                .inline_done
                .push_back(Reply::Failed("the library worker has stopped".into())),
        }
    }

    /// A reply, if one is ready.
    pub fn try_recv(&mut self) -> Option<Reply> {
        if let Some(reply) = self.inline_done.pop_front() {
            return Some(reply);
        }
        let reply = self.receiver.as_ref()?.try_recv().ok()?;
        self.in_flight = self.in_flight.saturating_sub(1);
        Some(reply)
    }

    /// Whether requests are still running.
    #[must_use]
    pub fn busy(&self) -> bool {
        self.in_flight > 0 || !self.inline_done.is_empty()
    }
}

// ----- state -----

/// The metadata fields of the "add to library" form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetadataForm {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Operator.
    pub operator: String,
    /// Passage number.
    pub passage: String,
    /// Drug lot.
    pub drug_lot: String,
    /// Plate barcode.
    pub barcode: String,
    /// Weeks without drug.
    pub weeks_off_drug: String,
    /// Notes.
    pub notes: String,
    /// Tags, comma-separated.
    pub tags: String,
}

impl MetadataForm {
    /// The metadata, checked by the library's own rules.
    ///
    /// # Errors
    /// The first field that is not valid, in words.
    pub fn metadata(&self) -> Result<Metadata, String> {
        let mut metadata = Metadata::default();
        for (key, value) in [
            ("date", &self.date),
            ("operator", &self.operator),
            ("passage", &self.passage),
            ("drug_lot", &self.drug_lot),
            ("barcode", &self.barcode),
            ("weeks_off_drug", &self.weeks_off_drug),
            ("notes", &self.notes),
            ("tags", &self.tags),
        ] {
            if !value.trim().is_empty() {
                metadata.set(key, value).map_err(|e| e.to_string())?;
            }
        }
        Ok(metadata)
    }
}

/// What the data folder's `library.json` remembers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LibrarySettings {
    /// The library file last chosen in the app.
    pub path: Option<PathBuf>,
    /// The metadata last entered when adding.
    pub last_metadata: MetadataForm,
}

/// The filter form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterForm {
    /// Cell line.
    pub line: Option<String>,
    /// Drug.
    pub drug: Option<String>,
    /// Condition.
    pub condition: Option<String>,
    /// Operator.
    pub operator: Option<String>,
    /// Tag.
    pub tag: Option<String>,
    /// QC pass / warn.
    pub qc_pass: Option<bool>,
    /// First date, as typed.
    pub date_from: String,
    /// Last date, as typed.
    pub date_to: String,
}

impl FilterForm {
    /// The library filter; a date that is not `YYYY-MM-DD` does not filter (the field says
    /// so).
    #[must_use]
    pub fn filter(&self) -> Filter {
        let date = |text: &str| {
            let text = text.trim();
            days_from_date(text).map(|_| text.to_string())
        };
        Filter {
            line: self.line.clone(),
            drug: self.drug.clone(),
            condition: self.condition.clone(),
            date_from: date(&self.date_from),
            date_to: date(&self.date_to),
            operator: self.operator.clone(),
            tag: self.tag.clone(),
            qc_pass: self.qc_pass,
            ids: Vec::new(),
        }
    }
}

/// Which chart the study section shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StudyPane {
    /// Geometric means and ratios.
    #[default]
    Summary,
    /// IC50 or ratio against date or passage.
    Trend,
    /// Levey–Jennings.
    Control,
}

/// The x axis of a trend chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrendAxis {
    /// Experiment date.
    #[default]
    Date,
    /// Passage number.
    Passage,
    /// Weeks without drug (ratios only).
    WeeksOffDrug,
}

/// A computed study and the experiments it covers.
#[derive(Debug, Clone)]
pub struct StudyResult {
    /// The experiments.
    pub ids: Vec<i64>,
    /// The options it was computed with (the control charts' baseline).
    pub options: StudyOptions,
    /// Their records.
    pub records: Vec<ExperimentRecord>,
    /// The study.
    pub study: Study,
}

/// A point of a library chart as drawn last frame (for clicks and tests).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartPoint {
    /// The experiment.
    pub id: i64,
    /// Where it was drawn.
    pub screen: egui::Pos2,
}

/// The Library view's state: the chosen file, the cached list, the selection, the study.
#[derive(Debug, Default)]
pub struct LibraryState {
    /// The library file.
    pub path: Option<PathBuf>,
    /// The rows of the last list query (the filter's result).
    pub rows: Vec<ExperimentRow>,
    /// `search_text` of each row.
    search_keys: Vec<String>,
    /// Indexes into `rows` that match the search.
    pub visible: Vec<usize>,
    /// The search the visible rows were computed for.
    visible_for: Option<String>,
    /// The search box.
    pub search: String,
    /// The filters' choices.
    pub facets: Facets,
    /// The filter form.
    pub form: FilterForm,
    /// The filter of the last list request.
    applied: Option<Filter>,
    /// The list must be queried again (file chosen, experiments added).
    stale: bool,
    /// Generation of the last list request.
    generation: u64,
    /// A list request is running.
    pub listing: bool,
    /// How long the last list query took.
    pub list_time: Option<Duration>,
    /// Selected experiments (library ids).
    pub selected: BTreeSet<i64>,
    /// The study shown.
    pub study: Option<StudyResult>,
    /// A study request is running.
    pub studying: bool,
    /// First date of the control charts' baseline, as typed (empty: from the first
    /// experiment).
    pub baseline_from: String,
    /// Last date of the baseline, as typed (empty: to the last experiment).
    pub baseline_to: String,
    /// Which study pane is shown.
    pub pane: StudyPane,
    /// Which chart: index into the study's groups then comparisons (trend) or charts.
    pub chart: usize,
    /// Trend x axis.
    pub axis: TrendAxis,
    /// Points of the chart as drawn last frame.
    pub chart_points: Vec<ChartPoint>,
    /// The add form, while open.
    pub add_form: Option<MetadataForm>,
    /// Why the add form's metadata was refused.
    pub add_error: Option<String>,
    /// Remembered settings (file, last metadata).
    pub settings: LibrarySettings,
    /// The last error of a library request.
    pub error: Option<String>,
    /// Loaded from the data folder.
    initialised: bool,
    /// Compute the study as soon as the list arrives, and show this pane (`1`, `trend`,
    /// `control`); for screenshots.
    pub(crate) study_after_list: Option<String>,
}

impl LibraryState {
    /// The rows shown (filtered by the search).
    pub fn shown(&self) -> impl Iterator<Item = &ExperimentRow> {
        self.visible.iter().filter_map(|i| self.rows.get(*i))
    }

    /// Recomputes the visible rows when the search or the rows changed.
    fn refresh_visible(&mut self) {
        if self.visible_for.as_deref() == Some(self.search.as_str()) {
            return;
        }
        self.visible = self
            .search_keys
            .iter()
            .enumerate()
            .filter(|(_, key)| matches_search(key, &self.search))
            .map(|(i, _)| i)
            .collect();
        self.visible_for = Some(self.search.clone());
    }

    /// Replaces the listed rows (the worker's answer; benchmarks feed their own).
    pub fn set_rows(&mut self, rows: Vec<ExperimentRow>) {
        self.search_keys = rows.iter().map(search_text).collect();
        self.rows = rows;
        self.visible_for = None;
        let present: BTreeSet<i64> = self.rows.iter().map(|r| r.id).collect();
        self.selected.retain(|id| present.contains(id));
        self.refresh_visible();
    }

    /// The selected experiments, else every shown one.
    #[must_use]
    pub fn chosen_ids(&self) -> Vec<i64> {
        if self.selected.is_empty() {
            self.shown().map(|r| r.id).collect()
        } else {
            self.selected.iter().copied().collect()
        }
    }
}

/// Everything the Library view can do.
#[derive(Debug)]
pub enum LibraryCommand {
    /// Use this library file (created when it does not exist).
    SetPath(PathBuf),
    /// Ask for an existing library file.
    OpenFileDialog,
    /// Ask where to create a new library file.
    NewFileDialog,
    /// Query the list again.
    Refresh,
    /// Select or deselect an experiment.
    Toggle(i64),
    /// Select every shown experiment.
    SelectShown,
    /// Clear the selection.
    ClearSelection,
    /// Open one experiment in the Analysis view.
    Open(i64),
    /// Open the selected experiments side by side in Compare.
    Compare,
    /// Compute the study of the selected (else the shown) experiments.
    Study,
    /// Compute the shown study again with the baseline typed in the control-chart pane.
    ApplyBaseline,
    /// Ask where, then write the study report.
    ReportDialog,
    /// Write the study report (PDF; `.xlsx` writes the workbook).
    Report(PathBuf),
    /// Open the "add this experiment" form.
    AddDialog,
    /// Add the active experiment with this metadata.
    Add(MetadataForm),
    /// Close the add form.
    AddCancel,
    /// A reply of the worker.
    Replied(Reply),
}

// ----- applying commands -----

impl App {
    /// The library file the view uses: the one chosen in the app (remembered), else
    /// `library.sqlite` in the data folder (the CLI's default library for the real data
    /// folder).
    fn default_library_path(&self) -> Option<PathBuf> {
        let data_dir = self.data_dir()?;
        if super::files::default_data_dir().as_deref() == Some(data_dir)
            && let Some(path) = Library::default_path()
        {
            return Some(path);
        }
        Some(data_dir.join("library.sqlite"))
    }

    fn library_settings_path(&self) -> Option<PathBuf> {
        self.data_dir().map(|d| d.join(LIBRARY_SETTINGS_FILE))
    }

    fn save_library_settings(&self) {
        if let Some(path) = self.library_settings_path()
            && let Ok(text) = serde_json::to_string_pretty(&self.library.settings)
            && let Err(e) = crate::project::atomic_write(&path, text.as_bytes())
        {
            log::warn!(
                "cannot remember the library settings in {}: {e}",
                path.display()
            );
        }
    }

    /// Loads the remembered file and metadata once.
    fn init_library(&mut self) {
        if self.library.initialised {
            return;
        }
        self.library.initialised = true;
        if let Some(settings) = self
            .library_settings_path()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str::<LibrarySettings>(&t).ok())
        {
            self.library.settings = settings;
        }
        if self.library.path.is_none() {
            self.library.path = self
                .library
                .settings
                .path
                .clone()
                .or_else(|| self.default_library_path());
            self.library.stale = true;
        }
    }

    /// Sends a list request when the filter changed or the list is stale (never every
    /// frame: the list is cached).
    pub(crate) fn library_tick(&mut self) {
        self.init_library();
        while let Some(reply) = self.library_jobs.try_recv() {
            self.apply_library(LibraryCommand::Replied(reply));
        }
        let Some(path) = self.library.path.clone() else {
            return;
        };
        let filter = self.library.form.filter();
        if self.library.stale || self.library.applied.as_ref() != Some(&filter) {
            self.library.stale = false;
            self.library.applied = Some(filter.clone());
            self.library.generation += 1;
            self.library.listing = true;
            let generation = self.library.generation;
            self.library_jobs
                .submit(&path, Request::List { filter, generation });
            while let Some(reply) = self.library_jobs.try_recv() {
                self.apply_library(LibraryCommand::Replied(reply));
            }
        }
        self.library.refresh_visible();
    }

    /// Whether library requests are running.
    #[must_use]
    pub fn library_busy(&self) -> bool {
        self.library_jobs.busy()
    }

    /// The Library view's state (for tests).
    #[must_use]
    pub fn library_state(&self) -> &LibraryState {
        &self.library
    }

    /// The Library view's state, to change (benchmarks).
    pub fn library_state_mut(&mut self) -> &mut LibraryState {
        &mut self.library
    }

    /// Where the library chart drew the point of experiment `id` last frame.
    #[must_use]
    pub fn library_chart_point(&self, id: i64) -> Option<egui::Pos2> {
        self.library
            .chart_points
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.screen)
    }

    /// The study options from the baseline typed in the control-chart pane; `None` (with a
    /// message) when a date is not `YYYY-MM-DD` or the period is reversed.
    fn library_study_options(&mut self) -> Option<StudyOptions> {
        let mut bounds = [None, None];
        let typed = [
            (self.library.baseline_from.clone(), "from"),
            (self.library.baseline_to.clone(), "to"),
        ];
        for (k, (text, name)) in typed.into_iter().enumerate() {
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            if days_from_date(text).is_none() {
                let message =
                    format!("baseline {name} {text:?}: expected a date YYYY-MM-DD (or nothing)");
                self.complain(message);
                return None;
            }
            bounds[k] = Some(text.to_string());
        }
        let [from, to] = bounds;
        if let (Some(f), Some(t)) = (&from, &to)
            && f > t
        {
            let message = format!("baseline from {f} is after to {t}: no experiment is in it");
            self.complain(message);
            return None;
        }
        Some(StudyOptions {
            baseline: crate::study::Baseline { from, to },
            ..StudyOptions::default()
        })
    }

    /// Computes the study of `ids` on the worker, with the baseline typed in the
    /// control-chart pane (refused in place when it is not a period).
    fn submit_study(&mut self, ids: Vec<i64>) {
        let Some(options) = self.library_study_options() else {
            return;
        };
        if let Some(path) = self.library_path_or_complain() {
            self.library.studying = true;
            self.library_jobs
                .submit(&path, Request::Study { ids, options });
            self.drain_library();
        }
    }

    fn library_path_or_complain(&mut self) -> Option<PathBuf> {
        let path = self.library.path.clone();
        if path.is_none() {
            self.complain("no library file: choose one with Library › Open library file…");
        }
        path
    }

    /// Carries out a Library view command.
    #[allow(clippy::too_many_lines)]
    pub(crate) fn apply_library(&mut self, command: LibraryCommand) {
        self.init_library();
        match command {
            LibraryCommand::SetPath(path) => {
                if path.is_dir() {
                    self.complain(format!(
                        "{} is a folder, not a library file",
                        path.display()
                    ));
                    return;
                }
                self.library.path = Some(path.clone());
                self.library.settings.path = Some(path.clone());
                self.library.rows.clear();
                self.library.search_keys.clear();
                self.library.visible.clear();
                self.library.visible_for = None;
                self.library.selected.clear();
                self.library.study = None;
                self.library.error = None;
                self.library.facets = Facets::default();
                self.library.form = FilterForm::default();
                self.library.stale = true;
                self.save_library_settings();
                self.say(format!("library: {}", path.display()));
                self.library_tick();
            }
            LibraryCommand::OpenFileDialog => {
                if let Some(mut paths) = self.pick(&PickRequest::OpenLibrary) {
                    self.apply_library(LibraryCommand::SetPath(paths.remove(0)));
                }
            }
            LibraryCommand::NewFileDialog => {
                if let Some(mut paths) = self.pick(&PickRequest::NewLibrary {
                    suggested: "library.sqlite".into(),
                }) {
                    let path = paths.remove(0);
                    let path = if path.extension().is_none() {
                        path.with_extension("sqlite")
                    } else {
                        path
                    };
                    self.apply_library(LibraryCommand::SetPath(path));
                }
            }
            LibraryCommand::Refresh => {
                self.library.stale = true;
                self.library_tick();
            }
            LibraryCommand::Toggle(id) => {
                if !self.library.selected.remove(&id) {
                    self.library.selected.insert(id);
                }
            }
            LibraryCommand::SelectShown => {
                let ids: Vec<i64> = self.library.shown().map(|r| r.id).collect();
                self.library.selected.extend(ids);
            }
            LibraryCommand::ClearSelection => self.library.selected.clear(),
            LibraryCommand::Open(id) => {
                if let Some(path) = self.library_path_or_complain() {
                    self.library_jobs.submit(
                        &path,
                        Request::Load {
                            ids: vec![id],
                            compare: false,
                        },
                    );
                    self.drain_library();
                }
            }
            LibraryCommand::Compare => {
                let ids: Vec<i64> = self.library.selected.iter().copied().collect();
                if ids.len() < 2 {
                    self.complain(
                        "select two or more experiments (tick them in the table) to compare them",
                    );
                    return;
                }
                if let Some(path) = self.library_path_or_complain() {
                    self.library_jobs
                        .submit(&path, Request::Load { ids, compare: true });
                    self.drain_library();
                }
            }
            LibraryCommand::Study => {
                let ids = self.library.chosen_ids();
                if ids.is_empty() {
                    self.complain("no experiment to summarise: the filter shows none");
                    return;
                }
                self.submit_study(ids);
            }
            LibraryCommand::ApplyBaseline => {
                let Some(ids) = self.library.study.as_ref().map(|s| s.ids.clone()) else {
                    self.complain("no study to chart: compute a study summary first");
                    return;
                };
                self.submit_study(ids);
            }
            LibraryCommand::ReportDialog => {
                if self.library.chosen_ids().is_empty() {
                    self.complain("no experiment for a study report: the filter shows none");
                    return;
                }
                if let Some(mut paths) = self.pick(&PickRequest::SaveStudyReport {
                    suggested: "study.pdf".into(),
                }) {
                    let path = paths.remove(0);
                    let path = if path.extension().is_none() {
                        path.with_extension("pdf")
                    } else {
                        path
                    };
                    self.apply_library(LibraryCommand::Report(path));
                }
            }
            LibraryCommand::Report(out) => {
                let ids = self.library.chosen_ids();
                if ids.is_empty() {
                    self.complain("no experiment for a study report: the filter shows none");
                    return;
                }
                let Some(options) = self.library_study_options() else {
                    return;
                };
                if let Some(path) = self.library_path_or_complain() {
                    self.library_jobs
                        .submit(&path, Request::Report { ids, out, options });
                    self.drain_library();
                }
            }
            LibraryCommand::AddDialog => {
                if self.active_analysis().is_none() {
                    self.complain(
                        "open and analyse an experiment first, then add it to the library",
                    );
                    return;
                }
                let mut form = self.library.settings.last_metadata.clone();
                if form.date.trim().is_empty() {
                    form.date = crate::report::ReportDate::today().to_string();
                }
                self.library.add_form = Some(form);
                self.library.add_error = None;
            }
            LibraryCommand::AddCancel => {
                self.library.add_form = None;
                self.library.add_error = None;
            }
            LibraryCommand::Add(form) => {
                let metadata = match form.metadata() {
                    Ok(m) => m,
                    Err(e) => {
                        self.library.add_error = Some(e);
                        self.library.add_form = Some(form);
                        return;
                    }
                };
                let Some(doc) = self.active_doc() else {
                    self.complain("open an experiment first");
                    return;
                };
                let Some(analysis) = doc.analysis.clone().filter(|_| doc.is_current()) else {
                    self.library.add_error = Some(
                        "the experiment is still being analysed (or cannot be analysed): wait for its results".into(),
                    );
                    self.library.add_form = Some(form);
                    return;
                };
                let entry = NewEntry {
                    experiment: doc.experiment.clone(),
                    analysis,
                    metadata,
                };
                let Some(path) = self.library_path_or_complain() else {
                    return;
                };
                self.library.settings.last_metadata = form;
                self.library.add_form = None;
                self.library.add_error = None;
                self.save_library_settings();
                self.library_jobs.submit(
                    &path,
                    Request::Add {
                        entries: vec![entry],
                    },
                );
                self.drain_library();
            }
            LibraryCommand::Replied(reply) => self.library_reply(reply),
        }
    }

    fn drain_library(&mut self) {
        while let Some(reply) = self.library_jobs.try_recv() {
            self.library_reply(reply);
        }
    }

    fn library_reply(&mut self, reply: Reply) {
        match reply {
            Reply::Listed {
                generation,
                rows,
                facets,
                elapsed,
            } => {
                if generation != self.library.generation {
                    return; // an older filter's answer
                }
                self.library.listing = false;
                self.library.error = None;
                self.library.list_time = Some(elapsed);
                self.library.facets = facets;
                self.library.set_rows(rows);
                if let Some(pane) = self.library.study_after_list.take() {
                    self.library.pane = match pane.as_str() {
                        "trend" => StudyPane::Trend,
                        "control" => StudyPane::Control,
                        _ => StudyPane::Summary,
                    };
                    self.apply_library(LibraryCommand::Study);
                }
            }
            Reply::Studied {
                ids,
                records,
                study,
                options,
            } => {
                self.library.studying = false;
                // A new baseline keeps the chart the user is looking at.
                let same = self.library.study.as_ref().is_some_and(|s| s.ids == ids);
                if !same {
                    self.library.chart = 0;
                }
                self.library.study = Some(StudyResult {
                    ids,
                    options,
                    records,
                    study: *study,
                });
            }
            Reply::Added(outcomes) => {
                let mut said = Vec::new();
                for outcome in outcomes {
                    match outcome {
                        AddOutcome::Added(id) => {
                            said.push(format!("added to the library as #{id}"))
                        }
                        AddOutcome::Duplicate { existing, file } => said.push(format!(
                            "not added: {file} is already in the library as #{existing}"
                        )),
                    }
                }
                let library = self
                    .library
                    .path
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                self.say(format!("{} ({library})", said.join("; ")));
                self.library.stale = true;
            }
            Reply::Loaded {
                experiments,
                compare,
            } => {
                let mut first = None;
                for (_, experiment) in experiments {
                    let open = self.docs.iter().position(|d| d.experiment == experiment);
                    let index = match open {
                        Some(index) if !compare => index,
                        Some(index) => index,
                        None => {
                            let index = self.add_doc(experiment);
                            self.mark_structure_changed();
                            index
                        }
                    };
                    first.get_or_insert(index);
                }
                if let Some(index) = first {
                    self.activate(index);
                    self.tab = if compare { Tab::Compare } else { Tab::Analysis };
                }
            }
            Reply::Reported(path) => {
                self.say(format!("study report written to {}", path.display()))
            }
            Reply::Failed(message) => {
                self.library.listing = false;
                self.library.studying = false;
                self.library.error = Some(message.clone());
                self.complain(message);
            }
        }
    }
}

// ----- drawing -----

fn combo(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut Option<String>,
    choices: &[String],
    width: f32,
) {
    let l = ui.label(label);
    egui::ComboBox::from_id_salt(("library-filter", label))
        .selected_text(value.as_deref().unwrap_or("any"))
        .width(width)
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, "any");
            for choice in choices {
                ui.selectable_value(value, Some(choice.clone()), choice);
            }
        })
        .response
        .labelled_by(l.id);
}

fn date_field(ui: &mut egui::Ui, label: &str, text: &mut String) {
    let l = ui.label(label);
    let bad = !text.trim().is_empty() && days_from_date(text).is_none();
    let mut edit = egui::TextEdit::singleline(text)
        .hint_text("YYYY-MM-DD")
        .desired_width(86.0);
    if bad {
        edit = edit.text_color(Color32::from_rgb(198, 40, 40));
    }
    ui.add(edit).labelled_by(l.id).on_hover_text(if bad {
        "not a date YYYY-MM-DD: this bound does not filter"
    } else {
        "inclusive; empty: no bound"
    });
}

/// The ratio's short name.
fn kind_word(kind: ComparisonKind) -> &'static str {
    match kind {
        ComparisonKind::Resistance => "RI",
        ComparisonKind::Reversal => "RF",
        ComparisonKind::Other => "ratio",
    }
}

fn ci_text(ci: Option<[f64; 2]>) -> String {
    ci.map_or_else(
        || "—".into(),
        |[a, b]| format!("[{}, {}]", format_number(a), format_number(b)),
    )
}

/// A p-value as the command line and the reports print it (`0.012`, `1.4e-4`, `< 1e-15`),
/// without the `= `.
fn p_text(p: f64) -> String {
    let text = crate::report::table::format_p(p);
    text.strip_prefix("= ").map_or(text.clone(), str::to_string)
}

/// The columns of the table: title and width.
const COLUMNS: [(&str, f32); 9] = [
    ("", 58.0),
    ("Experiment", 220.0),
    ("Date", 84.0),
    ("Curves", 260.0),
    ("Run by", 70.0),
    ("Passage", 56.0),
    ("Tags", 120.0),
    ("QC pass", 52.0),
    ("Z′", 44.0),
];

impl App {
    /// The Library view (the whole window below the menu).
    pub(crate) fn library_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        self.library_tick();
        let mut out: Vec<LibraryCommand> = Vec::new();
        let mut lib = std::mem::take(&mut self.library);
        let can_add = self.active_analysis().is_some();
        let active_name = self.active_doc().map(|d| d.experiment.name.clone());
        egui::Panel::top("library-head").show(ui, |ui| {
            head_ui(ui, &mut lib, can_add, active_name.as_deref(), &mut out);
        });
        let height = ui.available_height();
        egui::Panel::bottom("library-study")
            .resizable(true)
            .default_size((height * 0.45).clamp(220.0, 520.0))
            .min_size(120.0)
            .show(ui, |ui| {
                // Keeps its size while it shows less (see the Analysis view's panels).
                ui.set_min_size(ui.available_size());
                study_ui(ui, &mut lib, &mut out);
            });
        egui::CentralPanel::default().show(ui, |ui| table_ui(ui, &lib, &mut out));
        add_dialog_ui(ui.ctx(), &mut lib, active_name.as_deref(), &mut out);
        self.library = lib;
        commands.extend(out.into_iter().map(Command::Library));
    }
}

fn head_ui(
    ui: &mut egui::Ui,
    lib: &mut LibraryState,
    can_add: bool,
    active_name: Option<&str>,
    out: &mut Vec<LibraryCommand>,
) {
    ui.add_space(2.0);
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Library").strong().size(16.0));
        let path = lib
            .path
            .as_deref()
            .map_or_else(|| "no file".to_string(), |p| p.display().to_string());
        ui.add(egui::Label::new(RichText::new(path).small().weak()).truncate())
            .on_hover_text("The lab library file (SQLite). The command line uses the same file: platefit library --library FILE …");
        if ui.small_button("Open library file…").clicked() {
            out.push(LibraryCommand::OpenFileDialog);
        }
        if ui.small_button("New library file…").clicked() {
            out.push(LibraryCommand::NewFileDialog);
        }
        if ui.small_button("Refresh").on_hover_text("Read the file again (another window or the command line may have added experiments)").clicked() {
            out.push(LibraryCommand::Refresh);
        }
        let add = ui
            .add_enabled(
                can_add,
                egui::Button::new("+ Add this experiment to the library…"),
            )
            .on_hover_text(active_name.map_or_else(
                || "Open and analyse an experiment first".to_string(),
                |n| format!("Add “{n}” with its metadata (date, operator, passage, lot, barcode, notes, tags)"),
            ));
        if add.clicked() {
            out.push(LibraryCommand::AddDialog);
        }
    });
    ui.horizontal_wrapped(|ui| {
        let l = ui.label("Search");
        ui.add(
            egui::TextEdit::singleline(&mut lib.search)
                .hint_text("name, notes, barcode, lot, tag, file…")
                .desired_width(200.0),
        )
        .labelled_by(l.id);
        let facets = lib.facets.clone();
        combo(ui, "Line", &mut lib.form.line, &facets.lines, 110.0);
        combo(ui, "Drug", &mut lib.form.drug, &facets.drugs, 110.0);
        combo(
            ui,
            "Condition",
            &mut lib.form.condition,
            &facets.conditions,
            130.0,
        );
        combo(
            ui,
            "Operator",
            &mut lib.form.operator,
            &facets.operators,
            80.0,
        );
        combo(ui, "Tag", &mut lib.form.tag, &facets.tags, 90.0);
        let l = ui.label("QC");
        egui::ComboBox::from_id_salt("library-qc")
            .selected_text(match lib.form.qc_pass {
                None => "any",
                Some(true) => "pass",
                Some(false) => "warn",
            })
            .width(60.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut lib.form.qc_pass, None, "any");
                ui.selectable_value(&mut lib.form.qc_pass, Some(true), "pass");
                ui.selectable_value(&mut lib.form.qc_pass, Some(false), "warn");
            })
            .response
            .labelled_by(l.id);
        date_field(ui, "From", &mut lib.form.date_from);
        date_field(ui, "to", &mut lib.form.date_to);
        if lib.form != FilterForm::default() && ui.small_button("Clear filters").clicked() {
            lib.form = FilterForm::default();
        }
    });
    ui.horizontal_wrapped(|ui| {
        let shown = lib.visible.len();
        let selected = lib.selected.len();
        let mut count = format!("{shown} of {} experiment(s) shown", lib.facets.experiments);
        if let Some(t) = lib.list_time {
            count.push_str(&format!(" (query {:.0} ms)", t.as_secs_f64() * 1000.0));
        }
        ui.label(count);
        if lib.listing {
            ui.spinner();
        }
        ui.separator();
        ui.label(format!("{selected} selected"));
        if ui.small_button("Select all shown").clicked() {
            out.push(LibraryCommand::SelectShown);
        }
        if ui
            .add_enabled(selected > 0, egui::Button::new("Clear selection").small())
            .clicked()
        {
            out.push(LibraryCommand::ClearSelection);
        }
        ui.separator();
        if ui
            .add_enabled(selected >= 2, egui::Button::new("Compare selected"))
            .on_hover_text("Open the selected experiments side by side in Compare (added to the open project)")
            .clicked()
        {
            out.push(LibraryCommand::Compare);
        }
        let scope = if selected > 0 { "selected" } else { "shown" };
        if ui
            .add_enabled(
                selected > 0 || shown > 0,
                egui::Button::new(format!("Study summary of {scope}")),
            )
            .on_hover_text("Geometric mean IC50s with t CIs over experiments, RI/RF per experiment and across them (one-sample t test, random-effects meta-analysis), control charts")
            .clicked()
        {
            out.push(LibraryCommand::Study);
        }
        if ui
            .add_enabled(
                selected > 0 || shown > 0,
                egui::Button::new(format!("Study report of {scope}…")),
            )
            .on_hover_text("PDF (or .xlsx workbook) of the study, as `platefit library study --report`")
            .clicked()
        {
            out.push(LibraryCommand::ReportDialog);
        }
    });
    if let Some(error) = &lib.error {
        ui.label(RichText::new(format!("⚠ {error}")).color(Color32::from_rgb(198, 40, 40)));
    }
    ui.add_space(2.0);
}

fn table_ui(ui: &mut egui::Ui, lib: &LibraryState, out: &mut Vec<LibraryCommand>) {
    if lib.rows.is_empty() && !lib.listing {
        ui.add_space(20.0);
        ui.vertical_centered(|ui| {
            if lib.facets.experiments == 0 {
                ui.label("The library is empty. Open an experiment, let it analyse, then “+ Add this experiment to the library…” — or add plate files from the command line: platefit library add FILE… --meta date=YYYY-MM-DD --meta operator=…");
            } else {
                ui.label("No experiment passes the filters.");
            }
        });
        return;
    }
    egui::ScrollArea::horizontal()
        .id_salt("library-table-h")
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                for (title, width) in COLUMNS {
                    ui.add_sized(
                        [width, 18.0],
                        egui::Label::new(RichText::new(title).strong()),
                    );
                }
            });
            ui.separator();
            let row_height = ui.spacing().interact_size.y + 2.0;
            egui::ScrollArea::vertical()
                .id_salt("library-table-v")
                .auto_shrink([false, false])
                .show_rows(ui, row_height, lib.visible.len(), |ui, range| {
                    for index in range {
                        let Some(row) = lib.visible.get(index).and_then(|i| lib.rows.get(*i))
                        else {
                            continue;
                        };
                        row_ui(ui, row, lib.selected.contains(&row.id), out);
                    }
                });
        });
}

fn cell(ui: &mut egui::Ui, width: f32, text: impl Into<egui::WidgetText>) {
    ui.add_sized([width, 18.0], egui::Label::new(text).truncate());
}

fn row_ui(ui: &mut egui::Ui, row: &ExperimentRow, selected: bool, out: &mut Vec<LibraryCommand>) {
    ui.horizontal(|ui| {
        let mut on = selected;
        let (_, w0) = COLUMNS[0];
        ui.allocate_ui(egui::vec2(w0, 18.0), |ui| {
            if ui
                .checkbox(&mut on, format!("#{}", row.id))
                .on_hover_text("Select for compare, summary and report")
                .changed()
            {
                out.push(LibraryCommand::Toggle(row.id));
            }
        });
        let name = ui
            .add_sized(
                [COLUMNS[1].1, 18.0],
                egui::Button::new(RichText::new(&row.name).color(Color32::from_rgb(21, 101, 192)))
                    .frame(false)
                    .truncate(),
            )
            .on_hover_text(format!(
                "Open {} in the Analysis view\nfiles: {}\nadded {} by {}{}",
                row.name,
                row.files.join(", "),
                row.added_at,
                row.platefit_version,
                row.metadata
                    .notes
                    .as_deref()
                    .map(|n| format!("\nnotes: {n}"))
                    .unwrap_or_default()
            ));
        if name.clicked() {
            out.push(LibraryCommand::Open(row.id));
        }
        let m = &row.metadata;
        cell(ui, COLUMNS[2].1, m.date.as_deref().unwrap_or("—"));
        cell(ui, COLUMNS[3].1, row.curves.join("; "));
        cell(ui, COLUMNS[4].1, m.operator.as_deref().unwrap_or("—"));
        cell(
            ui,
            COLUMNS[5].1,
            m.passage.map_or_else(|| "—".into(), |p| p.to_string()),
        );
        cell(ui, COLUMNS[6].1, m.tags.join(", "));
        let qc = match row.qc_pass {
            Some(true) => RichText::new("pass").color(Color32::from_rgb(46, 125, 50)),
            Some(false) => RichText::new("warn").color(super::widgets::WARN),
            None => RichText::new("—"),
        };
        cell(ui, COLUMNS[7].1, qc);
        cell(
            ui,
            COLUMNS[8].1,
            row.z_prime
                .map_or_else(|| "—".into(), |z| format!("{z:.2}")),
        );
    });
}

fn study_ui(ui: &mut egui::Ui, lib: &mut LibraryState, out: &mut Vec<LibraryCommand>) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Study across experiments").strong());
        ui.separator();
        for (pane, label) in [
            (StudyPane::Summary, "Summary"),
            (StudyPane::Trend, "Trends"),
            (StudyPane::Control, "Control charts"),
        ] {
            ui.selectable_value(&mut lib.pane, pane, label);
        }
        if lib.studying {
            ui.spinner();
        }
    });
    // Taken out for the frame (and put back below) instead of cloned: a study of thousands
    // of experiments is large.
    let Some(result) = lib.study.take() else {
        lib.chart_points.clear();
        ui.label(
            RichText::new("Tick experiments (or filter the list), then “Study summary”: geometric mean IC50s with CIs over experiments, RI and RF per experiment and across them, trends and Levey–Jennings charts.")
                .weak(),
        );
        return;
    };
    ui.label(
        RichText::new(format!(
            "{} experiment(s): {}",
            result.study.experiments,
            id_list(&result.ids)
        ))
        .small()
        .weak(),
    );
    match lib.pane {
        StudyPane::Summary => {
            lib.chart_points.clear();
            egui::ScrollArea::vertical()
                .id_salt("library-summary")
                .show(ui, |ui| summary_ui(ui, &result.study));
        }
        StudyPane::Trend => trend_ui(ui, lib, &result.study, out),
        StudyPane::Control => control_ui(ui, lib, &result, out),
    }
    lib.study = Some(result);
}

/// `#1, #2, …` (the first 20 ids, then how many more).
fn id_list(ids: &[i64]) -> String {
    let mut text = ids
        .iter()
        .take(20)
        .map(|id| format!("#{id}"))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > 20 {
        text.push_str(&format!(" and {} more", ids.len() - 20));
    }
    text
}

fn summary_ui(ui: &mut egui::Ui, study: &Study) {
    ui.label(RichText::new("IC50 per line · drug · condition — the experiment is the unit: geometric mean with its t-based 95% CI over experiments").small());
    egui::Grid::new("library-groups")
        .striped(true)
        .spacing([14.0, 3.0])
        .show(ui, |ui| {
            for title in [
                "Curve",
                "n",
                "Geometric mean IC50",
                "95% CI (t, over experiments)",
                "not averaged",
            ] {
                ui.label(RichText::new(title).strong());
            }
            ui.end_row();
            for g in &study.groups {
                ui.label(&g.label);
                ui.label(g.n.to_string());
                ui.label(
                    g.summary
                        .as_ref()
                        .map_or_else(|| "—".into(), |s| format_number(s.geometric_mean)),
                );
                ui.label(ci_text(g.summary.as_ref().and_then(|s| s.ci95)));
                let mut notes = Vec::new();
                if g.censored > 0 {
                    notes.push(format!("{} outside the tested range", g.censored));
                }
                if g.undetermined > 0 {
                    notes.push(format!("{} undetermined", g.undetermined));
                }
                ui.label(notes.join(", "));
                ui.end_row();
            }
        });
    if study.comparisons.is_empty() {
        return;
    }
    ui.add_space(6.0);
    ui.label(RichText::new("Ratios (RI = resistant/parental, RF = drug alone / drug + modulator): per experiment from the plate's joint fit; across experiments the geometric mean with its t CI and the one-sample t test of log ratio = 0 (“is the ratio different from 1 across independent experiments?”), and the DerSimonian–Laird random-effects estimate weighting each experiment by its own SE").small());
    egui::Grid::new("library-ratios")
        .striped(true)
        .spacing([14.0, 3.0])
        .show(ui, |ui| {
            for title in [
                "Ratio",
                "n",
                "Geometric mean [95% t CI]",
                "t test p",
                "Random effects [95% CI]",
                "τ²",
                "I²",
            ] {
                ui.label(RichText::new(title).strong());
            }
            ui.end_row();
            for c in &study.comparisons {
                ui.label(format!(
                    "{} {} vs {}",
                    kind_word(c.kind),
                    c.test,
                    c.reference
                ));
                ui.label(c.summary.as_ref().map_or(0, |s| s.n).to_string());
                ui.label(c.summary.as_ref().map_or_else(
                    || "—".into(),
                    |s| format!("{} {}", format_number(s.geometric_mean), ci_text(s.ci95)),
                ));
                ui.label(
                    c.t_test
                        .as_ref()
                        .map_or_else(|| "—".into(), |t| p_text(t.p_value)),
                );
                ui.label(c.meta.as_ref().map_or_else(
                    || "—".into(),
                    |m| format!("{} {}", format_number(m.ratio), ci_text(Some(m.ratio_ci95))),
                ));
                ui.label(
                    c.meta
                        .as_ref()
                        .map_or_else(|| "—".into(), |m| format!("{:.4}", m.tau2)),
                );
                ui.label(
                    c.meta
                        .as_ref()
                        .map_or_else(|| "—".into(), |m| format!("{:.0} %", m.i2 * 100.0)),
                );
                ui.end_row();
            }
        });
    ui.collapsing(
        "Per experiment and in full (as platefit library study prints it)",
        |ui| {
            ui.add(egui::Label::new(RichText::new(study.to_text()).monospace()).selectable(true));
        },
    );
}

/// One series of a trend chart: label, and points (id, x, y log10, CI log10).
type Series = (String, Vec<(i64, f64, f64, Option<[f64; 2]>)>);

fn trend_series(study: &Study, chart: usize, axis: TrendAxis) -> Option<(Series, bool)> {
    let x_of = |date: Option<&str>, passage: Option<i64>, weeks: Option<f64>| match axis {
        TrendAxis::Date => date.and_then(days_from_date).map(|d| d as f64),
        TrendAxis::Passage => passage.map(|p| p as f64),
        TrendAxis::WeeksOffDrug => weeks,
    };
    let log_ci = |ci: Option<[f64; 2]>| {
        ci.filter(|[a, b]| *a > 0.0 && *b > 0.0)
            .map(|[a, b]| [a.log10(), b.log10()])
    };
    if let Some(group) = study.groups.get(chart) {
        let points = group
            .experiments
            .iter()
            .filter_map(|e| {
                let y = e.ic50.filter(|v| *v > 0.0 && v.is_finite())?.log10();
                let x = x_of(e.date.as_deref(), e.passage, None)?;
                Some((e.id, x, y, log_ci(e.ic50_ci95)))
            })
            .collect();
        return Some(((format!("IC50 {}", group.label), points), false));
    }
    let comparison = study.comparisons.get(chart - study.groups.len())?;
    let points = comparison
        .per_experiment
        .iter()
        .filter_map(|e| {
            let y = e.ratio.filter(|v| *v > 0.0 && v.is_finite())?.log10();
            let x = x_of(e.date.as_deref(), e.passage, e.weeks_off_drug)?;
            Some((e.id, x, y, log_ci(e.ratio_ci95)))
        })
        .collect();
    Some((
        (
            format!(
                "{} {} vs {}",
                kind_word(comparison.kind),
                comparison.test,
                comparison.reference
            ),
            points,
        ),
        true,
    ))
}

fn chart_choice(ui: &mut egui::Ui, lib: &mut LibraryState, names: &[String]) {
    let l = ui.label("Chart");
    let current = names.get(lib.chart).cloned().unwrap_or_default();
    egui::ComboBox::from_id_salt("library-chart")
        .selected_text(current)
        .width(300.0)
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                ui.selectable_value(&mut lib.chart, i, name);
            }
        })
        .response
        .labelled_by(l.id);
}

fn clicked_point(response: &egui::Response, points: &[ChartPoint], out: &mut Vec<LibraryCommand>) {
    if response.clicked()
        && let Some(pos) = response.interact_pointer_pos()
        && let Some(point) = points
            .iter()
            .map(|p| (p, p.screen.distance(pos)))
            .filter(|(_, d)| *d <= 10.0)
            .min_by(|a, b| a.1.total_cmp(&b.1))
    {
        out.push(LibraryCommand::Open(point.0.id));
    }
}

fn trend_ui(
    ui: &mut egui::Ui,
    lib: &mut LibraryState,
    study: &Study,
    out: &mut Vec<LibraryCommand>,
) {
    let mut names: Vec<String> = study
        .groups
        .iter()
        .map(|g| format!("IC50 · {}", g.label))
        .collect();
    names.extend(
        study
            .comparisons
            .iter()
            .map(|c| format!("{} · {} vs {}", kind_word(c.kind), c.test, c.reference)),
    );
    if names.is_empty() {
        ui.label("No curves in these experiments.");
        return;
    }
    lib.chart = lib.chart.min(names.len() - 1);
    ui.horizontal(|ui| {
        chart_choice(ui, lib, &names);
        ui.label("against");
        ui.selectable_value(&mut lib.axis, TrendAxis::Date, "date");
        ui.selectable_value(&mut lib.axis, TrendAxis::Passage, "passage");
        ui.selectable_value(&mut lib.axis, TrendAxis::WeeksOffDrug, "weeks without drug");
        ui.label(
            RichText::new("click a point to open its experiment")
                .small()
                .weak(),
        );
    });
    let Some(((title, points), ratio)) = trend_series(study, lib.chart, lib.axis) else {
        return;
    };
    if points.is_empty() {
        ui.label(match lib.axis {
            TrendAxis::Date => "No experiment of this chart has a date recorded.",
            TrendAxis::Passage => "No experiment of this chart has a passage recorded.",
            TrendAxis::WeeksOffDrug => {
                "No experiment of this chart has weeks without drug recorded."
            }
        });
        lib.chart_points.clear();
        return;
    }
    let axis = lib.axis;
    let x_label = match axis {
        TrendAxis::Date => "date",
        TrendAxis::Passage => "passage",
        TrendAxis::WeeksOffDrug => "weeks without drug",
    };
    let y_label = if ratio {
        "ratio (log scale)"
    } else {
        "IC50 (log scale)"
    };
    let hover_points = points.clone();
    let plot = Plot::new(("library-trend", lib.chart))
        .x_axis_label(x_label)
        .y_axis_label(y_label)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .x_axis_formatter(move |mark, _| match axis {
            TrendAxis::Date => date_from_days(mark.value.round() as i64),
            _ => format!("{}", mark.value),
        })
        .y_axis_formatter(|mark, _| format_number(10f64.powf(mark.value)))
        .label_formatter(move |pos: &HoverPosition<'_>| {
            let HoverPosition::NearDataPoint { position, .. } = pos else {
                return None;
            };
            let point = hover_points.iter().find(|(_, x, y, _)| {
                (x - position.x).abs() < 1e-9 && (y - position.y).abs() < 1e-9
            })?;
            let x = match axis {
                TrendAxis::Date => date_from_days(point.1.round() as i64),
                _ => format!("{}", point.1),
            };
            Some(format!(
                "#{} ({x}): {}\nclick to open",
                point.0,
                format_number(10f64.powf(point.2))
            ))
        });
    let color = Color32::from_rgb(21, 101, 192);
    let response = plot.show(ui, |plot_ui| {
        let mut sorted = points.clone();
        sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
        plot_ui.line(
            Line::new(
                title.clone(),
                sorted.iter().map(|p| [p.1, p.2]).collect::<Vec<_>>(),
            )
            .color(color.gamma_multiply(0.5))
            .width(1.0),
        );
        for (_, x, _, ci) in &points {
            if let Some([lo, hi]) = ci {
                plot_ui.line(
                    Line::new(title.clone(), vec![[*x, *lo], [*x, *hi]])
                        .color(color)
                        .width(1.0),
                );
            }
        }
        plot_ui.points(
            Points::new(
                title.clone(),
                points.iter().map(|p| [p.1, p.2]).collect::<Vec<_>>(),
            )
            .radius(4.5)
            .color(color)
            .filled(true),
        );
        if ratio {
            plot_ui.hline(
                egui_plot::HLine::new("ratio 1", 0.0)
                    .color(Color32::from_gray(150))
                    .style(LineStyle::Dashed { length: 5.0 }),
            );
        }
    });
    lib.chart_points = points
        .iter()
        .map(|(id, x, y, _)| ChartPoint {
            id: *id,
            screen: response
                .transform
                .position_from_point(&PlotPoint::new(*x, *y)),
        })
        .collect();
    clicked_point(&response.response, &lib.chart_points, out);
}

fn control_ui(
    ui: &mut egui::Ui,
    lib: &mut LibraryState,
    result: &StudyResult,
    out: &mut Vec<LibraryCommand>,
) {
    let charts = &result.study.control_charts;
    if charts.is_empty() {
        lib.chart_points.clear();
        ui.label("No control chart: it needs at least two experiments with a value (a reference line's IC50, Z′ or vehicle OD) that differ.");
        return;
    }
    let names: Vec<String> = charts
        .iter()
        .map(|c| format!("Levey–Jennings · {}", c.quantity))
        .collect();
    lib.chart = lib.chart.min(names.len() - 1);
    let baseline = &result.options.baseline;
    let period = match (&baseline.from, &baseline.to) {
        (None, None) => "every experiment".to_string(),
        (from, to) => format!(
            "{} – {}",
            from.as_deref().unwrap_or("first"),
            to.as_deref().unwrap_or("last")
        ),
    };
    ui.horizontal(|ui| {
        chart_choice(ui, lib, &names);
        ui.label(RichText::new(format!("mean and ±2/±3 SD of the baseline ({period}); red: a Westgard rule fires; click a point to open its experiment")).small().weak());
    });
    ui.horizontal(|ui| {
        date_field(ui, "Baseline from", &mut lib.baseline_from);
        date_field(ui, "until", &mut lib.baseline_to);
        if ui
            .button("Apply baseline")
            .on_hover_text("Compute the mean and SD of the charts from the experiments dated in this period (inclusive; empty: no bound); the limits and the Westgard rules then apply to every experiment")
            .clicked()
        {
            out.push(LibraryCommand::ApplyBaseline);
        }
    });
    let Some(chart) = charts.get(lib.chart) else {
        return;
    };
    let flagged = chart.flagged();
    ui.label(if flagged.is_empty() {
        RichText::new(format!(
            "in control: no Westgard rule fires (1-3s, 2-2s, R-4s, 10-x); mean {:.3}, SD {:.3} over {} baseline point(s)",
            chart.mean, chart.sd, chart.baseline_n
        ))
        .color(Color32::from_rgb(46, 125, 50))
    } else {
        RichText::new(format!("⚠ out of control: {}", flagged.join("; ")))
            .color(Color32::from_rgb(198, 40, 40))
    });
    let points: Vec<(i64, f64, f64, bool, String)> = chart
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                p.id,
                (i + 1) as f64,
                p.value,
                !p.flags.is_empty(),
                format!(
                    "#{} {}: {:.3} (z {:+.2}){}",
                    p.id,
                    p.date.as_deref().unwrap_or(""),
                    p.value,
                    p.z,
                    if p.flags.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", p.rules_text())
                    }
                ),
            )
        })
        .collect();
    let hover = points.clone();
    let n = points.len() as f64;
    let plot = Plot::new(("library-lj", lib.chart))
        .x_axis_label("experiment (in date order)")
        .y_axis_label(chart.quantity.clone())
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_x(0.5)
        .include_x(n + 0.5)
        .include_y(chart.limits_3sd[0])
        .include_y(chart.limits_3sd[1])
        .label_formatter(move |pos: &HoverPosition<'_>| {
            let HoverPosition::NearDataPoint { position, .. } = pos else {
                return None;
            };
            hover
                .iter()
                .find(|p| (p.1 - position.x).abs() < 1e-9 && (p.2 - position.y).abs() < 1e-9)
                .map(|p| format!("{}\nclick to open", p.4))
        });
    let response = plot.show(ui, |plot_ui| {
        let mean = Color32::from_rgb(46, 125, 50);
        let two = Color32::from_rgb(239, 108, 0);
        let three = Color32::from_rgb(198, 40, 40);
        plot_ui.hline(egui_plot::HLine::new("mean", chart.mean).color(mean));
        for (value, name, color) in [
            (chart.limits_2sd[0], "±2 SD", two),
            (chart.limits_2sd[1], "±2 SD", two),
            (chart.limits_3sd[0], "±3 SD", three),
            (chart.limits_3sd[1], "±3 SD", three),
        ] {
            plot_ui.hline(
                egui_plot::HLine::new(name, value)
                    .color(color)
                    .style(LineStyle::Dashed { length: 6.0 }),
            );
        }
        plot_ui.line(
            Line::new(
                "values",
                points.iter().map(|p| [p.1, p.2]).collect::<Vec<_>>(),
            )
            .color(Color32::from_gray(140))
            .width(1.0),
        );
        let ok: Vec<[f64; 2]> = points.iter().filter(|p| !p.3).map(|p| [p.1, p.2]).collect();
        let bad: Vec<[f64; 2]> = points.iter().filter(|p| p.3).map(|p| [p.1, p.2]).collect();
        plot_ui.points(
            Points::new("in control", ok)
                .radius(4.5)
                .color(Color32::from_rgb(21, 101, 192))
                .filled(true),
        );
        if !bad.is_empty() {
            plot_ui.points(
                Points::new("Westgard rule fires", bad)
                    .shape(MarkerShape::Diamond)
                    .radius(6.0)
                    .color(three)
                    .filled(true),
            );
        }
    });
    lib.chart_points = points
        .iter()
        .map(|p| ChartPoint {
            id: p.0,
            screen: response
                .transform
                .position_from_point(&PlotPoint::new(p.1, p.2)),
        })
        .collect();
    clicked_point(&response.response, &lib.chart_points, out);
}

fn add_dialog_ui(
    ctx: &egui::Context,
    lib: &mut LibraryState,
    active_name: Option<&str>,
    out: &mut Vec<LibraryCommand>,
) {
    let Some(form) = lib.add_form.as_mut() else {
        return;
    };
    let error = lib.add_error.clone();
    let modal = egui::Modal::new(egui::Id::unique("library-add")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.label(RichText::new("Add to the library").strong().size(17.0));
        ui.label(format!(
            "“{}” with its raw data, layout, settings, exclusions and results. The fields keep what you entered last time.",
            active_name.unwrap_or("")
        ));
        ui.add_space(6.0);
        egui::Grid::new("library-add-grid")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                for (label, text, hint) in [
                    ("Experiment date", &mut form.date, "YYYY-MM-DD"),
                    ("Operator (who ran it)", &mut form.operator, "initials"),
                    ("Passage number", &mut form.passage, "e.g. 20"),
                    ("Drug lot", &mut form.drug_lot, ""),
                    ("Plate barcode", &mut form.barcode, ""),
                    ("Weeks without drug", &mut form.weeks_off_drug, "stability experiments"),
                    ("Tags (comma-separated)", &mut form.tags, "e.g. study, reversal"),
                    ("Notes", &mut form.notes, ""),
                ] {
                    let l = ui.label(label);
                    ui.add(
                        egui::TextEdit::singleline(text)
                            .hint_text(hint)
                            .desired_width(260.0),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                }
            });
        if let Some(error) = &error {
            ui.label(RichText::new(format!("⚠ {error}")).color(Color32::from_rgb(198, 40, 40)));
        }
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Add to library").clicked() {
                out.push(LibraryCommand::Add(form.clone()));
            }
            if ui.button("Cancel").clicked() {
                out.push(LibraryCommand::AddCancel);
            }
        });
    });
    if modal.should_close() && out.is_empty() {
        out.push(LibraryCommand::AddCancel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_form_is_checked_by_the_library_rules() {
        let form = MetadataForm {
            date: "2026-09-07".into(),
            operator: "AK".into(),
            passage: "12".into(),
            tags: "study, flumatinib".into(),
            ..MetadataForm::default()
        };
        let m = form.metadata().expect("valid");
        assert_eq!(m.passage, Some(12));
        assert_eq!(m.tags, vec!["study".to_string(), "flumatinib".to_string()]);
        let bad = MetadataForm {
            passage: "twelve".into(),
            ..form.clone()
        };
        assert!(bad.metadata().unwrap_err().contains("passage"));
        let bad = MetadataForm {
            date: "07.09.2026".into(),
            ..form
        };
        assert!(bad.metadata().unwrap_err().contains("date"));
    }

    #[test]
    fn a_bad_date_in_the_filter_does_not_filter() {
        let form = FilterForm {
            date_from: "2026-09".into(),
            date_to: "2026-10-31".into(),
            ..FilterForm::default()
        };
        let filter = form.filter();
        assert_eq!(filter.date_from, None);
        assert_eq!(filter.date_to.as_deref(), Some("2026-10-31"));
    }
}
