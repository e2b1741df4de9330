//! Everything the user can do, as data: widgets push a [`Command`], and
//! [`App::apply`](super::App::apply) is the one place that changes state.

use std::path::PathBuf;

use crate::analysis::AnalysisSettings;
use crate::layout::{ConcentrationUnit, DilutionDirection, WellRole};
use crate::plate::WellId;

use super::jobs::Done;

/// Which main view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// Curves, plate heat map and results of the active experiment.
    #[default]
    Analysis,
    /// The layout editor of the active plate.
    Layout,
    /// All experiments side by side.
    Compare,
    /// The lab library: experiments across plates and months.
    Library,
}

/// How a click changes the well selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectMode {
    /// The clicked wells become the selection.
    Replace,
    /// The clicked wells are added.
    Add,
    /// The clicked wells are toggled.
    Toggle,
}

/// A layout field to set on the selected wells.
#[derive(Debug, Clone, PartialEq)]
pub enum LayoutEdit {
    /// The role.
    Role(WellRole),
    /// The cell line (`None` clears it).
    Line(Option<String>),
    /// The drug.
    Drug(Option<String>),
    /// The condition (co-treatment).
    Condition(Option<String>),
    /// The concentration, in the layout's unit.
    Concentration(Option<f64>),
    /// The replicate number.
    Replicate(Option<u32>),
}

/// Which way a dilution series runs over the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeriesAxis {
    /// Along each row (column by column).
    #[default]
    AlongRows,
    /// Down each column (row by row).
    AlongColumns,
}

/// A dilution series to write into the selected wells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DilutionSpec {
    /// Highest concentration.
    pub top: f64,
    /// Fold between steps (> 1).
    pub fold: f64,
    /// Number of concentrations; the series repeats when the selection is longer.
    pub steps: usize,
    /// Highest first or lowest first.
    pub direction: DilutionDirection,
    /// Along rows or down columns.
    pub axis: SeriesAxis,
}

/// A file-dialog purpose; the [`FilePicker`](super::files::FilePicker) answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickRequest {
    /// Plate files (or a project) to open.
    OpenFiles,
    /// A project to open.
    OpenProject,
    /// Where to save the project.
    SaveProject {
        /// Suggested file name.
        suggested: String,
    },
    /// A plater CSV layout to import.
    OpenLayout,
    /// Where to export the layout.
    SaveLayout {
        /// Suggested file name.
        suggested: String,
    },
    /// An existing library file to use.
    OpenLibrary,
    /// Where to create a new library file.
    NewLibrary {
        /// Suggested file name.
        suggested: String,
    },
    /// Where to write a study report (`.pdf`, or `.xlsx` for the workbook).
    SaveStudyReport {
        /// Suggested file name.
        suggested: String,
    },
    /// Where to write an export (report, workbook, Prism file) or, for figures, which folder.
    SaveExport {
        /// What is exported.
        kind: ExportKind,
        /// Suggested file name.
        suggested: String,
    },
}

/// What the Export menu writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// PDF report of the active experiment.
    ReportPdf,
    /// One PDF with every experiment's report and the summary across them.
    AllReportsPdf,
    /// Excel workbook of every experiment.
    Workbook,
    /// GraphPad Prism file with one XY table per experiment.
    Prism,
    /// Every figure of every experiment as SVG and 300-dpi PNG, into a folder.
    Figures,
}

impl ExportKind {
    /// The menu entry (also the accessible label).
    #[must_use]
    pub fn menu_label(self) -> &'static str {
        match self {
            Self::ReportPdf => "PDF report of this experiment…",
            Self::AllReportsPdf => "PDF report of all experiments + summary…",
            Self::Workbook => "Excel workbook…",
            Self::Prism => "GraphPad Prism file (.pzfx)…",
            Self::Figures => "Figures (SVG + PNG) to a folder…",
        }
    }

    /// File extension (None for a folder).
    #[must_use]
    pub fn extension(self) -> Option<&'static str> {
        match self {
            Self::ReportPdf | Self::AllReportsPdf => Some("pdf"),
            Self::Workbook => Some("xlsx"),
            Self::Prism => Some("pzfx"),
            Self::Figures => None,
        }
    }
}

/// An action that would discard unsaved changes and waits for the user's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Guarded {
    /// Open this project.
    OpenProject(PathBuf),
    /// Start an empty project.
    NewProject,
    /// Close the window.
    Quit,
}

/// Everything that changes the app's state.
#[derive(Debug)]
pub enum Command {
    /// Ask for files with the picker, then open them.
    OpenFilesDialog,
    /// Open plate files (with an optional layout), a project, or a layout CSV.
    OpenPaths {
        /// The files.
        paths: Vec<PathBuf>,
        /// Layout for plate files (else the one beside them, else the template).
        layout: Option<PathBuf>,
    },
    /// Open the bundled sample experiment.
    OpenSample,
    /// Ask for a project file with the picker, then open it.
    OpenProjectDialog,
    /// Save to the current project file (or ask where).
    Save,
    /// Ask where, then save.
    SaveAs,
    /// Save the project to this path.
    SaveTo(PathBuf),
    /// Start an empty project (asks first when there are unsaved changes).
    NewProject,
    /// Carry out a guarded action after the user confirmed.
    Confirmed(Guarded),
    /// Save, then carry out the guarded action if the save succeeded.
    SaveThen(Guarded),
    /// The user declined the guarded action.
    Cancelled,
    /// The window's close button was pressed.
    CloseRequested,
    /// Restore the autosaved project found at start.
    RestoreAutosave,
    /// Delete the autosave found at start.
    DiscardAutosave,
    /// Show a view.
    SetTab(Tab),
    /// Make an experiment the active one.
    SelectExperiment(usize),
    /// Ask whether to remove an experiment from the project.
    RemoveExperiment(usize),
    /// Remove the experiment (by [`Doc::id`](super::app::Doc::id)); Undo brings it back.
    ConfirmRemove(u64),
    /// Keep the experiment after all.
    CancelRemove,
    /// Ask for files with the picker and add them (a project's experiments are added,
    /// not opened in place of the open project).
    AddFilesDialog,
    /// Add plate files or the experiments of projects to the open project.
    AddPaths(Vec<PathBuf>),
    /// Rename an experiment (by [`Doc::id`](super::app::Doc::id): a name typed for one
    /// experiment stays with it even when another is picked in the same frame).
    RenameExperiment {
        /// The experiment's id.
        doc: u64,
        /// The new name.
        name: String,
    },
    /// Show another plate of the active experiment.
    SelectPlate(usize),
    /// Change the well selection.
    SelectWells(Vec<WellId>, SelectMode),
    /// Set a field on the selected wells.
    EditWells(LayoutEdit),
    /// Write a dilution series into the selected wells.
    ApplyDilution(DilutionSpec),
    /// Set the concentration unit of the active layout.
    SetUnit(ConcentrationUnit),
    /// Replace the active layout with the standard two-line triplicate template.
    ApplyTemplate {
        /// Parental (sensitive) line.
        line_a: String,
        /// Resistant line.
        line_b: String,
        /// Drug name.
        drug: Option<String>,
        /// Top concentration.
        top: f64,
        /// Fold dilution.
        fold: f64,
    },
    /// Ask for a plater CSV, then import it into the active plate.
    ImportLayoutDialog,
    /// Import a plater CSV layout into the active plate.
    ImportLayout(PathBuf),
    /// Ask where, then export the active layout as plater CSV.
    ExportLayoutDialog,
    /// Export the active layout as plater CSV.
    ExportLayout(PathBuf),
    /// Ask where, then export.
    ExportDialog(ExportKind),
    /// Write an export to this path (a folder for figures).
    Export(ExportKind, PathBuf),
    /// Exclude a well of a plate of the active experiment, or include it again.
    ToggleExclude {
        /// Plate index in the experiment.
        plate: usize,
        /// The well.
        well: WellId,
        /// Why (recorded with the exclusion).
        reason: String,
    },
    /// Replace the settings of an experiment (by [`Doc::id`](super::app::Doc::id), as
    /// for [`Command::RenameExperiment`]).
    SetSettings {
        /// The experiment's id.
        doc: u64,
        /// Its new settings.
        settings: AnalysisSettings,
    },
    /// Use the active experiment's settings for all experiments.
    SettingsToAll,
    /// Apply a fit's one-click remedy (fix Bottom at 0, fix Top at 100) to the active
    /// experiment's settings; undoable like any settings change.
    ApplyRemedy(crate::fit::Remedy),
    /// Overrule ROUT's flag on one point of the active experiment (`kept`: the point stays
    /// in the fit) or let the flag stand again; saved with the settings, undoable.
    KeepOutlier {
        /// The curve's label.
        curve: String,
        /// The flagged well.
        well: WellId,
        /// Keep the point (true) or accept the flag and remove it (false).
        kept: bool,
    },
    /// Exclude the wells a failed plate QC suggests (blank or vehicle wells that are
    /// saturated or outliers), each with the QC's reason; undoable like any exclusion.
    ExcludeSuggested {
        /// The plate of the active experiment.
        plate: usize,
        /// The wells and why.
        wells: std::collections::BTreeMap<WellId, String>,
    },
    /// Undo the last change of the active experiment.
    Undo,
    /// Redo.
    Redo,
    /// Put the results table on the clipboard (tab-separated).
    CopyResults,
    /// Put the across-experiment table on the clipboard.
    CopyComparison,
    /// Show replicate points or mean ± SD.
    SetShowMeans(bool),
    /// An analysis finished on the worker.
    AnalysisFinished(Done),
    /// Close the message bar.
    DismissStatus,
    /// Something in the Library view.
    Library(super::library_view::LibraryCommand),
}
