//! The command line: argument parsing, loading files, running analyses in parallel, writing
//! results. The only core module that uses `anyhow` and paths.

use std::collections::{BTreeSet, HashMap};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::analysis::{Analysis, AnalysisSettings, Experiment, PlateInput, analyze};
use crate::compare::compare;
use crate::dose_response::DoseResponse;
use crate::fit::{
    FitChoices, FitMethod, FitOptions, Model, ModelChoice, OutlierChoice, ResponseScale, Weighting,
    fit_curve,
};
use crate::import::import_bytes;
use crate::import::json::{import_json, import_summary};
use crate::layout::{CurveKey, Layout, read_layout, resistance_pairs};
use crate::normalize::Normalization;
use crate::project::atomic_write_regenerable;
use crate::reads::{ReadChoice, ReferenceChoice};
use crate::report::{
    csv::write_results_csv, json::results_json_pretty, table::results_table,
    table::results_table_in,
};
use crate::summary::Summary;

/// platefit: cell-viability dose-response analysis (CCK-8, MTT, resazurin).
///
/// Without a subcommand, opens the desktop app (with the given files, if any).
#[derive(Debug, Parser)]
#[command(
    name = "platefit",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do; none opens the GUI.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Plate-reader files to open in the GUI.
    pub files: Vec<PathBuf>,
    /// Plate layout (plater CSV) for the files opened in the GUI.
    #[arg(long)]
    pub layout: Option<PathBuf>,
    /// Render the GUI window once it has settled, save it as PNG and exit.
    #[arg(long, value_name = "OUT.png")]
    pub screenshot: Option<PathBuf>,
}

/// Headless subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole pipeline on plate files: % viability, 4PL fits, IC50s, resistance index.
    Analyze(AnalyzeArgs),
    /// Fit a 4PL curve to points given as CSV (columns conc, response, optional curve).
    Fit(FitArgs),
    /// Show what the importer reads from a plate-reader export.
    Import(ImportArgs),
    /// Analyse several experiments and write the summary report across them (PDF).
    Report(ReportArgs),
    /// The lab library: add analysed experiments with metadata, list and filter them, and
    /// the study across experiments (biological replicates, RI, RF, control charts).
    Library(crate::library::cli::LibraryArgs),
}

/// Report and export files (PDF, Excel, Prism, figures), shared by `analyze` and `report`.
#[derive(Debug, Args, Clone)]
pub struct ExportOptions {
    /// Write an Excel workbook (raw, corrected, % viability, fits, comparisons, QC, settings).
    #[arg(long, value_name = "OUT.xlsx")]
    pub xlsx: Option<PathBuf>,
    /// Write a GraphPad Prism file: one XY table per experiment, replicates as subcolumns.
    #[arg(long, value_name = "OUT.pzfx")]
    pub pzfx: Option<PathBuf>,
    /// X column of the Prism tables: `conc` (concentration, vehicle at 0) or `log` (log10).
    #[arg(long, value_name = "X", default_value = "conc")]
    pub pzfx_x: String,
    /// Write every figure as SVG and PNG (300 dpi) into this folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub figures: Option<PathBuf>,
    /// Paper size of PDF reports: `a4` or `letter`.
    #[arg(long, value_name = "SIZE", default_value = "a4")]
    pub page: String,
    /// Date printed on reports (YYYY-MM-DD); default: today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub report_date: Option<String>,
}

/// `platefit report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Plate-reader exports; each plate is one experiment (biological repeat).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Plate layout (plater CSV) for all files. If omitted, the layout beside each file.
    #[arg(long)]
    pub layout: Option<PathBuf>,
    /// Write the summary report (PDF) here.
    #[arg(long, value_name = "SUMMARY.pdf")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub exports: ExportOptions,
    #[command(flatten)]
    pub numbers: NumberOptions,
}

/// Options that change the numbers of an analysis.
#[derive(Debug, Args, Clone)]
pub struct NumberOptions {
    /// Fit treated wells only (by default vehicle wells enter as dose-zero points).
    #[arg(long)]
    pub no_vehicle_points: bool,
    /// Fix Top at this value (e.g. 100).
    #[arg(long, value_name = "V", allow_negative_numbers = true)]
    pub fix_top: Option<f64>,
    /// Fix Bottom at this value (e.g. 0).
    #[arg(long, value_name = "V", allow_negative_numbers = true)]
    pub fix_bottom: Option<f64>,
    /// Analyse this read (label or wavelength) instead of the automatic 450 nm choice.
    #[arg(long, value_name = "LABEL")]
    pub read: Option<String>,
    /// Subtract this reference read (label or wavelength); `none` to subtract nothing.
    #[arg(long, value_name = "LABEL")]
    pub reference_read: Option<String>,
    /// Normalization: `vehicle` (% of vehicle, default), `two-control`, or `none`.
    #[arg(long, value_name = "MODE", default_value = "vehicle")]
    pub normalization: String,
    /// The plate has no blank wells: do not subtract a blank.
    #[arg(long)]
    pub no_blank: bool,
    /// Compare these curves instead of the automatic pairs: `"TEST vs REFERENCE"` with curve
    /// labels or line names (repeatable; e.g. `--compare "K562R vs K562"`).
    #[arg(long = "compare", value_name = "TEST vs REFERENCE")]
    pub compare: Vec<String>,
    /// Leave these wells out of every mean and fit, on every plate (`B1,C1` or repeated;
    /// e.g. the wells a failed QC suggests excluding).
    #[arg(long = "exclude", value_name = "WELLS", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Use spreadsheet formula cells (marked derived on import) as readings.
    #[arg(long)]
    pub include_formula_cells: bool,
    #[command(flatten)]
    pub choices: ChoiceArgs,
}

/// Analysis choices beyond the plain least-squares 4PL (issue 13).
#[derive(Debug, Args, Clone, Default)]
pub struct ChoiceArgs {
    /// Automatic outlier detection: `rout` (ROUT, Q = 1 %, Prism's default), `rout=Q` with
    /// Q in % (e.g. `rout=0.5`), or `off`. Outliers are removed before the least-squares
    /// fit and listed (well and value); a curve where more than a quarter of the points
    /// would go keeps them all and is flagged.
    #[arg(long, value_name = "rout[=Q]")]
    pub outliers: Option<String>,
    /// Prism's robust fit (Lorentzian merit function) instead of least squares; no point is
    /// removed. Standard errors are approximate (scaled by the robust SD of the residuals).
    #[arg(long, conflicts_with = "outliers")]
    pub robust: bool,
    /// The model: `4pl` (default), `3pl` (Hill slope fixed at −1), `4pl-normalized` (Top
    /// 100, Bottom 0), `5pl` (asymmetric, Prism's 5PL; needs ≥ 6 concentrations), `auto`
    /// (fit the 4PL and the 3PL and keep the one AICc prefers) or `auto-5pl` (the 3PL, 4PL
    /// and 5PL: the lowest AICc); the output says which and why.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Weighting: `none` (default) or `relative` (1/Y², Y of the fitted curve, as Prism;
    /// for scatter proportional to the response). RSS, SEs, CIs and model comparisons are
    /// then the weighted ones.
    #[arg(long, value_name = "none|relative")]
    pub weighting: Option<String>,
}

impl ChoiceArgs {
    /// The fit choices these arguments ask for.
    ///
    /// # Errors
    /// An unknown outlier method or a Q outside (0, 50) %.
    pub fn choices(&self) -> Result<FitChoices> {
        let outliers = match self.outliers.as_deref() {
            None => OutlierChoice::Off,
            Some(text) => OutlierChoice::parse(text).map_err(|e| anyhow!("--outliers: {e}"))?,
        };
        let model = match self.model.as_deref() {
            None => ModelChoice::default(),
            Some(text) => ModelChoice::parse(text).map_err(|e| anyhow!("--model: {e}"))?,
        };
        let weighting = match self.weighting.as_deref() {
            None => Weighting::None,
            Some(text) => Weighting::parse(text).map_err(|e| anyhow!("--weighting: {e}"))?,
        };
        if self.robust && matches!(model, ModelChoice::Auto | ModelChoice::AutoWithFivePl) {
            bail!(
                "--model {} compares least-squares fits; it cannot be combined with --robust",
                self.model.as_deref().unwrap_or("auto")
            );
        }
        if self.robust && model == ModelChoice::Fixed(Model::FivePl) {
            bail!(
                "--robust is not available for the 5PL (use --outliers rout: outliers are then found with the 4PL's robust fit)"
            );
        }
        if self.robust && weighting == Weighting::Relative {
            bail!(
                "--robust cannot be combined with --weighting relative: a robust fit is unweighted (as in Prism, where unequal weights would give outliers too much weight)"
            );
        }
        Ok(FitChoices {
            method: if self.robust {
                FitMethod::Robust
            } else {
                FitMethod::LeastSquares
            },
            outliers,
            model,
            weighting,
        })
    }
}

/// `platefit analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Plate-reader exports; each plate is analysed as its own experiment, in parallel.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Plate layout (plater CSV). If omitted, `<name>_layout.csv` or `layout.csv` beside
    /// the plate file is used.
    #[arg(long)]
    pub layout: Option<PathBuf>,
    /// Write the results JSON here (`-` for standard output).
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
    /// Write the results CSV here (`-` for standard output).
    #[arg(long, value_name = "OUT")]
    pub csv: Option<PathBuf>,
    /// Treat all files as plates of one experiment (their points pooled per curve).
    #[arg(long)]
    pub pool: bool,
    /// A time-zero plate (cells read at drug addition) read with the same layout: its
    /// vehicle wells give each line's t0 signal for the GR metrics. Added to every
    /// experiment. `t0` wells in the layout work without it.
    #[arg(long = "t0", value_name = "FILE")]
    pub t0: Option<PathBuf>,
    /// Print nothing on the terminal but errors.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub numbers: NumberOptions,
    /// Write the PDF report here (one report per experiment, then a summary if several).
    #[arg(long, value_name = "OUT.pdf")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub exports: ExportOptions,
}

/// `platefit fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// CSV with columns `conc` (or `log_conc`: log10 concentrations), `response` and
    /// optionally `curve`; or one response column per replicate or curve (`conc,K562_1,
    /// K562_2,K562/FLM_1,K562/FLM_2`, Prism's `conc,K562,K562,…`).
    pub points: PathBuf,
    /// Write the results JSON here (`-` for standard output).
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
    /// Write the results CSV here (`-` for standard output).
    #[arg(long, value_name = "OUT")]
    pub csv: Option<PathBuf>,
    /// Fix Top at this value.
    #[arg(long, value_name = "V", allow_negative_numbers = true)]
    pub fix_top: Option<f64>,
    /// Fix Bottom at this value.
    #[arg(long, value_name = "V", allow_negative_numbers = true)]
    pub fix_bottom: Option<f64>,
    /// Compare this curve (the resistant line) …
    #[arg(long, value_name = "TEST", requires = "against")]
    pub compare: Option<String>,
    /// … against this reference curve (the parental line).
    #[arg(long, value_name = "REFERENCE", requires = "compare")]
    pub against: Option<String>,
    /// What the responses are: `percent` (% of vehicle, 50 % = absolute IC50), `fraction`
    /// (fraction of control, drc's convention: 0.5), `raw` (a signal: relative IC50 only).
    /// Default: guessed from a fixed Top or the dose-zero points (0.8–1.25 → fraction,
    /// 80–125 → percent, else raw), else the highest level mean (0.5–1.6 → fraction, 4–250 →
    /// percent, else raw; below 40 with the response falling to less than half of it: raw;
    /// a note then says which scale was assumed).
    #[arg(long, value_name = "SCALE", value_parser = ["percent", "fraction", "raw"])]
    pub scale: Option<String>,
    /// Same as `--scale percent`.
    #[arg(long, conflicts_with_all = ["scale", "raw"])]
    pub percent: bool,
    /// Same as `--scale raw`.
    #[arg(long, conflicts_with = "scale")]
    pub raw: bool,
    #[command(flatten)]
    pub choices: ChoiceArgs,
}

/// `platefit import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The plate-reader export.
    pub file: PathBuf,
    /// Write the import JSON here (`-` for standard output).
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
}

/// Runs a headless subcommand.
///
/// # Errors
/// A one-line reason for unusable input.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Analyze(args) => run_analyze(&args),
        Command::Fit(args) => run_fit(&args),
        Command::Import(args) => run_import(&args),
        Command::Report(args) => run_report(&args),
        Command::Library(args) => crate::library::cli::run(&args),
    }
}

/// `f` over `items` in order: on all cores when there are at least `worth_threads` items
/// (the same results as one after the other). Starting the thread pool (its threads, the
/// system's core count, their wake-ups) costs about 0.4 ms on a 2-core machine, as much
/// as fitting half a dozen curves: a few curves are done here, one after the other.
fn map_items<T: Sync, R: Send>(
    items: &[T],
    worth_threads: usize,
    f: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    if items.len() >= worth_threads.max(2) {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// Files, plates and experiments: each is many curves, worth a thread of its own.
const FILES_WORTH_THREADS: usize = 2;
/// Curves fitted from a points table: on two cores the pool pays for itself from about
/// two dozen (a curve is 0.05–0.1 ms; measured with `hyperfine` on the synthetic curves).
const CURVES_WORTH_THREADS: usize = 24;
/// Comparisons (each a joint refit, about twice a curve's work).
const PAIRS_WORTH_THREADS: usize = 12;

/// Writes bytes to a path atomically (not synced: see [`atomic_write_regenerable`]), or to
/// standard output for `-`.
pub(crate) fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    if is_stdout(path) {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(bytes)?;
        stdout.flush()?;
        Ok(())
    } else {
        atomic_write_regenerable(path, bytes).map_err(|e| anyhow!(e))
    }
}

/// `-`, or a name of this process's standard output (`/dev/stdout`, `/dev/fd/1`,
/// `/proc/self/fd/1`): written through the standard output handle, so that what is printed
/// there and the file do not overwrite each other.
pub(crate) fn is_stdout(path: &Path) -> bool {
    ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]
        .iter()
        .any(|name| path.as_os_str() == *name)
}

fn to_stdout(path: Option<&PathBuf>) -> bool {
    path.is_some_and(|p| is_stdout(p))
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Settings from the command-line number options.
///
/// # Errors
/// An unknown normalization mode.
pub fn settings_from(numbers: &NumberOptions) -> Result<AnalysisSettings> {
    let normalization = match numbers.normalization.to_ascii_lowercase().as_str() {
        "vehicle" | "percent" | "percent-of-vehicle" => Normalization::PercentOfVehicle,
        "two-control" | "two_control" | "twocontrol" => Normalization::TwoControl,
        "none" | "raw" => Normalization::None,
        other => bail!("unknown normalization {other:?}: use vehicle, two-control or none"),
    };
    Ok(AnalysisSettings {
        read: numbers
            .read
            .clone()
            .map_or(ReadChoice::Auto, ReadChoice::Label),
        reference_read: match numbers.reference_read.as_deref() {
            None => ReferenceChoice::Auto,
            Some(s) if s.eq_ignore_ascii_case("none") => ReferenceChoice::None,
            Some(s) => ReferenceChoice::Label(s.to_string()),
        },
        normalization,
        vehicle_as_dose_zero: !numbers.no_vehicle_points,
        fix_top: numbers.fix_top,
        fix_bottom: numbers.fix_bottom,
        require_blanks: !numbers.no_blank,
        comparisons: numbers
            .compare
            .iter()
            .map(|pair| {
                pair.split_once(" vs ")
                    .map(|(test, reference)| {
                        (reference.trim().to_string(), test.trim().to_string())
                    })
                    .ok_or_else(|| anyhow!("--compare {pair:?}: expected \"TEST vs REFERENCE\""))
            })
            .collect::<Result<_>>()?,
        include_formula_cells: numbers.include_formula_cells,
        choices: numbers.choices.choices()?,
        ..AnalysisSettings::default()
    })
}

/// Marks the `--exclude` wells excluded on every plate of the experiments.
///
/// # Errors
/// A text that is not a well of a plate (`--exclude Z99`).
pub fn exclude_wells(experiments: &mut [Experiment], wells: &[String]) -> Result<()> {
    for text in wells.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
        let well = crate::plate::WellId::parse(text)
            .map_err(|e| anyhow!("--exclude {text:?}: {e} (expected a well such as B7)"))?;
        for input in experiments.iter_mut().flat_map(|e| e.plates.iter_mut()) {
            if input.plate.shape.index(well).is_none() {
                bail!(
                    "--exclude {text}: no such well on the {} plate {}",
                    input.plate.shape,
                    input.file
                );
            }
            input
                .excluded
                .entry(well)
                .or_insert_with(|| "excluded on the command line (--exclude)".to_string());
        }
    }
    Ok(())
}

/// The layout file beside a plate file: `<stem>_layout.csv`, `<stem>.layout.csv`, or
/// `layout.csv` in the same folder.
#[must_use]
pub fn layout_beside(plate_file: &Path) -> Option<PathBuf> {
    let dir = plate_file.parent().unwrap_or_else(|| Path::new("."));
    let stem = plate_file.file_stem()?.to_string_lossy().into_owned();
    [
        format!("{stem}_layout.csv"),
        format!("{stem}.layout.csv"),
        "layout.csv".to_string(),
    ]
    .into_iter()
    .map(|name| dir.join(name))
    .find(|p| p.is_file())
}

/// Reads a layout file with the path in any error.
///
/// # Errors
/// The file cannot be read or is not a valid layout.
pub fn load_layout(path: &Path) -> Result<Layout> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open layout {}", path.display()))?;
    read_layout(file).with_context(|| format!("layout {}", path.display()))
}

/// Adds the time-zero plate file to every experiment: its plates with the layout given
/// (`--layout`), else the one beside it, else the experiment's first plate's, turned into a
/// time-zero layout ([`Layout::as_time_zero`]: vehicle wells become `t0` wells).
///
/// # Errors
/// The file cannot be imported, or its layout does not fit its plate.
pub fn add_time_zero_plate(
    experiments: &mut [Experiment],
    path: &Path,
    layout: Option<&Path>,
) -> Result<()> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read time-zero plate file {}", path.display()))?;
    let imported =
        import_bytes(&bytes).with_context(|| format!("time-zero plate {}", path.display()))?;
    let own_layout = match layout {
        Some(layout) => Some(load_layout(layout)?),
        None => layout_beside(path).map(|p| load_layout(&p)).transpose()?,
    };
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    for experiment in experiments.iter_mut() {
        let Some(base) = own_layout
            .clone()
            .or_else(|| experiment.plates.first().map(|p| p.layout.clone()))
        else {
            continue;
        };
        let time_zero = base.as_time_zero();
        if time_zero
            .wells_with_role(crate::layout::WellRole::T0)
            .is_empty()
        {
            bail!(
                "time-zero plate {}: its layout has no vehicle wells to read the t0 signal from",
                path.display()
            );
        }
        for plate in &imported.plates {
            if plate.shape != time_zero.shape {
                bail!(
                    "time-zero plate {}: the plate is a {}, but the layout is a {}",
                    path.display(),
                    plate.shape,
                    time_zero.shape
                );
            }
            experiment.plates.push(PlateInput {
                file: display_name(path),
                sha256: Some(sha256.clone()),
                format: imported.format.clone(),
                plate: plate.clone(),
                layout: time_zero.clone(),
                excluded: std::collections::BTreeMap::new(),
            });
        }
    }
    Ok(())
}

/// Imports plate files and pairs every plate with its layout: one experiment per plate,
/// or one experiment with all plates when `pool` is set.
///
/// # Errors
/// A file that cannot be imported, or no layout.
pub fn load_experiments(
    files: &[PathBuf],
    layout: Option<&Path>,
    settings: &AnalysisSettings,
    pool: bool,
) -> Result<Vec<Experiment>> {
    let is_project = |p: &PathBuf| p.extension().is_some_and(|e| e == "platefit");
    let mut from_projects: Vec<Experiment> = Vec::new();
    for path in files.iter().filter(|p| is_project(p)) {
        let project = crate::project::Project::load(path)
            .with_context(|| format!("project {}", path.display()))?;
        from_projects.extend(project.experiments);
    }
    let files: Vec<PathBuf> = files.iter().filter(|p| !is_project(p)).cloned().collect();
    if files.is_empty() {
        return Ok(from_projects);
    }
    let given_layout = layout.map(load_layout).transpose()?;
    let read_file = |path: &PathBuf| -> Result<Vec<PlateInput>> {
        let size = std::fs::metadata(path)
            .with_context(|| format!("cannot open plate file {}", path.display()))?
            .len();
        if size > crate::import::MAX_FILE_BYTES {
            bail!(
                "{}: file is {size} bytes; platefit reads plate files up to {} bytes",
                path.display(),
                crate::import::MAX_FILE_BYTES
            );
        }
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read plate file {}", path.display()))?;
        let imported = import_bytes(&bytes).with_context(|| format!("{}", path.display()))?;
        let layout = match &given_layout {
            Some(layout) => layout.clone(),
            None => {
                let beside = layout_beside(path).ok_or_else(|| {
                        anyhow!(
                            "{}: no layout given and none found beside it (expected {}_layout.csv or layout.csv); use --layout",
                            path.display(),
                            path.file_stem().map_or(String::new(), |s| s.to_string_lossy().into_owned())
                        )
                    })?;
                load_layout(&beside)?
            }
        };
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        Ok(imported
            .plates
            .into_iter()
            .map(|plate| PlateInput {
                file: display_name(path),
                sha256: Some(sha256.clone()),
                format: imported.format.clone(),
                plate,
                layout: layout.clone(),
                excluded: std::collections::BTreeMap::new(),
            })
            .collect())
    };
    let inputs: Vec<Vec<PlateInput>> = map_items(&files, FILES_WORTH_THREADS, read_file)
        .into_iter()
        .collect::<Result<_>>()?;
    let experiment_name = |input: &PlateInput, plates_in_file: usize| {
        let stem = Path::new(&input.file)
            .file_stem()
            .map_or_else(|| input.file.clone(), |s| s.to_string_lossy().into_owned());
        if plates_in_file > 1 {
            format!("{stem} · {}", input.plate.name)
        } else {
            stem
        }
    };
    if pool {
        let plates: Vec<PlateInput> = inputs.into_iter().flatten().collect();
        let name = plates
            .first()
            .map(|p| experiment_name(p, 1))
            .unwrap_or_default();
        from_projects.push(Experiment {
            name,
            plates,
            settings: settings.clone(),
        });
        return Ok(from_projects);
    }
    let from_plates: Vec<Experiment> = inputs
        .into_iter()
        .flat_map(|plates| {
            let count = plates.len();
            plates
                .into_iter()
                .map(move |input| (experiment_name(&input, count), input))
        })
        .map(|(name, input)| Experiment {
            name,
            plates: vec![input],
            settings: settings.clone(),
        })
        .collect();
    from_projects.extend(from_plates);
    Ok(from_projects)
}

fn run_analyze(args: &AnalyzeArgs) -> Result<()> {
    let settings = settings_from(&args.numbers)?;
    let mut experiments =
        load_experiments(&args.files, args.layout.as_deref(), &settings, args.pool)?;
    exclude_wells(&mut experiments, &args.numbers.exclude)?;
    if let Some(path) = &args.t0 {
        add_time_zero_plate(&mut experiments, path, args.layout.as_deref())?;
    }
    let progress = (experiments.len() > 1 && std::io::stderr().is_terminal() && !args.quiet)
        .then(|| indicatif::ProgressBar::new(experiments.len() as u64));
    let analyses: Vec<Analysis> = map_items(&experiments, FILES_WORTH_THREADS, |experiment| {
        let result = analyze(experiment).with_context(|| experiment.name.clone());
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        result
    })
    .into_iter()
    .collect::<Result<_>>()?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let summary = (analyses.len() > 1).then(|| Summary::of(&analyses));
    if let Some(path) = &args.json {
        let mut text = results_json_pretty(&analyses, summary.as_ref(), false)?;
        text.push('\n');
        write_output(path, text.as_bytes())?;
    }
    if let Some(path) = &args.csv {
        let mut bytes = Vec::new();
        write_results_csv(&analyses, &mut bytes)?;
        write_output(path, &bytes)?;
    }
    let items: Vec<(Experiment, Analysis)> = experiments
        .into_iter()
        .zip(analyses.iter().cloned())
        .collect();
    if let Some(path) = &args.report {
        let options = pdf_options(&args.exports)?;
        let bytes = crate::report::pdf::experiments_report(&items, &options)
            .with_context(|| format!("report {}", path.display()))?;
        write_file(path, &bytes)?;
    }
    write_exports(&args.exports, &items)?;
    if !args.quiet && !to_stdout(args.json.as_ref()) && !to_stdout(args.csv.as_ref()) {
        let mut text = results_table(&analyses);
        if let Some(summary) = &summary {
            text.push_str(&summary_text(summary));
        }
        print!("{text}");
    }
    Ok(())
}

/// Writes a file atomically (never to standard output; not synced: see
/// [`atomic_write_regenerable`]), naming the path in errors.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic_write_regenerable(path, bytes).map_err(|e| anyhow!(e))
}

fn report_date(exports: &ExportOptions) -> Result<crate::report::ReportDate> {
    parse_report_date(exports.report_date.as_deref())
}

/// The `--report-date` (today when not given).
pub(crate) fn parse_report_date(text: Option<&str>) -> Result<crate::report::ReportDate> {
    text.map_or_else(
        || Ok(crate::report::ReportDate::today()),
        |text| crate::report::ReportDate::parse(text).map_err(|e| anyhow!(e)),
    )
}

fn pdf_options(exports: &ExportOptions) -> Result<crate::report::pdf::PdfOptions> {
    let page = crate::report::pdf::PageSize::parse(&exports.page)
        .ok_or_else(|| anyhow!("unknown page size {:?}: use a4 or letter", exports.page))?;
    Ok(crate::report::pdf::PdfOptions {
        page,
        date: report_date(exports)?,
    })
}

/// A file-name-safe form of an experiment name.
fn file_stem_of(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_matches(['_', '.']).to_string();
    if stem.is_empty() {
        "experiment".into()
    } else {
        stem
    }
}

/// Writes the Excel, Prism and figure exports that were asked for.
fn write_exports(exports: &ExportOptions, items: &[(Experiment, Analysis)]) -> Result<()> {
    let date = report_date(exports)?;
    if let Some(path) = &exports.xlsx {
        let bytes = crate::report::xlsx::workbook(items, date)
            .with_context(|| format!("workbook {}", path.display()))?;
        write_file(path, &bytes)?;
    }
    if let Some(path) = &exports.pzfx {
        let scale = match exports.pzfx_x.to_ascii_lowercase().as_str() {
            "conc" | "concentration" => crate::report::pzfx::XScale::Concentration,
            "log" | "log10" => crate::report::pzfx::XScale::Log10,
            other => bail!("unknown --pzfx-x {other:?}: use conc or log"),
        };
        let analyses: Vec<Analysis> = items.iter().map(|(_, a)| a.clone()).collect();
        let text = crate::report::pzfx::document(&analyses, scale, date)
            .with_context(|| format!("Prism file {}", path.display()))?;
        write_file(path, text.as_bytes())?;
    }
    if let Some(dir) = &exports.figures {
        write_figures(dir, items)?;
    }
    Ok(())
}

/// Writes every figure as `<experiment>_<figure>.svg` and `.png` (300 dpi) into `dir`.
fn write_figures(dir: &Path, items: &[(Experiment, Analysis)]) -> Result<()> {
    use crate::report::figures::{
        experiment_figures, forest_plot_svg, png, resistance_forest_rows,
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the figures folder {}", dir.display()))?;
    let mut figures: Vec<(String, String)> = Vec::new();
    for (experiment, analysis) in items {
        let stem = file_stem_of(&analysis.experiment);
        for figure in experiment_figures(experiment, analysis) {
            figures.push((format!("{stem}_{}", figure.name), figure.svg));
        }
    }
    if items.len() > 1 {
        let analyses: Vec<Analysis> = items.iter().map(|(_, a)| a.clone()).collect();
        for (label, rows) in resistance_forest_rows(&analyses) {
            let svg = forest_plot_svg(
                &rows,
                &format!("Resistance index, {label} (log scale)"),
                480.0,
            );
            figures.push((format!("summary_ri_{}", file_stem_of(&label)), svg));
        }
    }
    for (name, svg) in figures {
        let svg_path = dir.join(format!("{name}.svg"));
        write_file(&svg_path, svg.as_bytes())?;
        let png_path = dir.join(format!("{name}.png"));
        let bytes = png(&svg, 300.0).with_context(|| format!("figure {}", png_path.display()))?;
        write_file(&png_path, &bytes)?;
    }
    Ok(())
}

fn run_report(args: &ReportArgs) -> Result<()> {
    let settings = settings_from(&args.numbers)?;
    let mut experiments = load_experiments(&args.files, args.layout.as_deref(), &settings, false)?;
    exclude_wells(&mut experiments, &args.numbers.exclude)?;
    let analyses: Vec<Analysis> = map_items(&experiments, FILES_WORTH_THREADS, |experiment| {
        analyze(experiment).with_context(|| experiment.name.clone())
    })
    .into_iter()
    .collect::<Result<_>>()?;
    let items: Vec<(Experiment, Analysis)> = experiments
        .into_iter()
        .zip(analyses.iter().cloned())
        .collect();
    if args.out.is_none()
        && args.exports.xlsx.is_none()
        && args.exports.pzfx.is_none()
        && args.exports.figures.is_none()
    {
        bail!("nothing to write: give --out SUMMARY.pdf (and/or --xlsx, --pzfx, --figures)");
    }
    if let Some(path) = &args.out {
        let options = pdf_options(&args.exports)?;
        let bytes = crate::report::pdf::summary_report(&items, &options)
            .with_context(|| format!("summary report {}", path.display()))?;
        write_file(path, &bytes)?;
    }
    write_exports(&args.exports, &items)?;
    let summary = Summary::of(&analyses);
    print!("{}", summary_text(&summary));
    Ok(())
}

fn summary_text(summary: &Summary) -> String {
    use crate::report::format_number as f;
    let mut out = String::from("Across experiments (geometric mean [95% CI], n)\n");
    for (label, s) in &summary.ic50 {
        out.push_str(&format!(
            "  IC50 {label}: {}{} (n={})\n",
            f(s.geometric_mean),
            s.ci95
                .map_or(String::new(), |[a, b]| format!(" [{}, {}]", f(a), f(b))),
            s.n
        ));
    }
    for (label, s) in &summary.resistance_index {
        out.push_str(&format!(
            "  RI {label}: {}{} (n={})\n",
            f(s.geometric_mean),
            s.ci95
                .map_or(String::new(), |[a, b]| format!(" [{}, {}]", f(a), f(b))),
            s.n
        ));
    }
    out
}

/// Reads `conc,response[,curve]` points, grouped by curve in order of first appearance.
///
/// # Errors
/// A missing column or a value that is not a number, naming the line.
pub fn read_points(path: &Path) -> Result<Vec<DoseResponse>> {
    Ok(read_points_noting(path)?.0)
}

/// [`read_points`], with the warnings about rows left out (a missing value: `NA`, empty).
///
/// # Errors
/// As [`read_points`].
pub fn read_points_noting(path: &Path) -> Result<(Vec<DoseResponse>, Vec<String>)> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read points file {}", path.display()))?;
    parse_points_noting(&bytes, &path.display().to_string())
}

/// [`read_points`] on a file's bytes; `name` names the file in the errors.
///
/// # Errors
/// As [`read_points`].
pub fn parse_points(bytes: &[u8], name: &str) -> Result<Vec<DoseResponse>> {
    Ok(parse_points_noting(bytes, name)?.0)
}

/// How R, Excel, pandas and Prism write a value that is missing (a well not read, a point
/// removed): such a row is left out with a warning, not an error for the whole file.
fn is_missing_value(text: &str) -> bool {
    text.is_empty()
        || [
            "na", "n/a", "#n/a", "nan", "null", "none", "missing", "-", "—", ".",
        ]
        .iter()
        .any(|marker| text.eq_ignore_ascii_case(marker))
}

/// [`parse_points`], with the warnings about rows left out.
///
/// # Errors
/// As [`read_points`].
pub fn parse_points_noting(bytes: &[u8], name: &str) -> Result<(Vec<DoseResponse>, Vec<String>)> {
    let text = crate::import::decode_text(bytes);
    let delimiter = crate::import::guess_delimiter(&text);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(u8::try_from(delimiter).unwrap_or(b','))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .with_context(|| format!("{name}: cannot read the header line"))?
        .clone();
    let names: Vec<&str> = headers.iter().collect();
    let columns = PointsColumns::find(&names, name)?;
    let conc = columns.dose;
    let curve = columns.curve;
    let mut curves: Vec<DoseResponse> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // One record read into again and again; only the columns used are trimmed. Lines are
    // numbered as in the file: the reader skips empty lines and places a record where it
    // began skipping, so the line is counted here from the record's first byte.
    let bytes = text.as_bytes();
    let mut counted = (0usize, 1usize);
    let mut line_at = |byte: usize| {
        let start = (byte..bytes.len())
            .find(|&i| !matches!(bytes[i], b'\r' | b'\n'))
            .unwrap_or(bytes.len());
        let (from, line) = counted;
        let line = line
            + bytes[from.min(start)..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
        counted = (start, line);
        line
    };
    let mut record = ::csv::StringRecord::new();
    let mut missing: Vec<String> = Vec::new();
    loop {
        let start = reader.position().byte();
        let more = reader
            .read_record(&mut record)
            .with_context(|| format!("{name}: line {}", line_at(to_index(start))))?;
        if !more {
            break;
        }
        let line = line_at(
            record
                .position()
                .map_or(to_index(start), |p| to_index(p.byte())),
        );
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let field = |col: usize| record.get(col).map_or("", str::trim);
        let number = |col: usize, what: &str| -> Result<f64> {
            let text = field(col);
            crate::import::parse_number(text, delimiter != ',')
                .ok_or_else(|| anyhow!("{name}: line {line}: {what} {text:?} is not a number"))
        };
        let dose_text = field(conc);
        if is_missing_value(dose_text) {
            missing.push(format!(
                "line {line} ({} {dose_text:?})",
                columns.dose_word()
            ));
            continue;
        }
        let c = if columns.log_dose {
            let log = number(conc, "log10 conc")?;
            let c = 10f64.powf(log);
            if !(c.is_finite() && c > 0.0) {
                bail!(
                    "{name}: line {line}: log10 conc {log} gives no concentration a double can hold"
                );
            }
            c
        } else {
            number(conc, "conc")?
        };
        if c < 0.0 {
            bail!(
                "{name}: line {line}: conc {c} is negative (for log10 concentrations name the column `log_conc`)"
            );
        }
        let row_label = curve.map(field).filter(|label| !label.is_empty());
        for (col, series) in &columns.responses {
            let text = field(*col);
            // What the column is called in a message (built only for one).
            let what = || {
                if columns.wide {
                    format!("column {:?}", names[*col])
                } else {
                    "response".to_string()
                }
            };
            if is_missing_value(text) {
                missing.push(format!("line {line} ({} {text:?})", what()));
                continue;
            }
            let Some(r) = crate::import::parse_number(text, delimiter != ',') else {
                bail!("{name}: line {line}: {} {text:?} is not a number", what());
            };
            let joined;
            let label = match (row_label, series.as_deref()) {
                (Some(row), Some(series)) => {
                    joined = format!("{row} {series}");
                    joined.as_str()
                }
                (Some(row), None) => row,
                (None, Some(series)) => series,
                (None, None) => "curve",
            };
            let point = crate::dose_response::DosePoint {
                concentration: c,
                response: r,
                well: None,
                excluded: false,
            };
            // Rows of one curve usually follow each other: the last curve is tried first,
            // then the index (a file may hold hundreds of curves).
            let found = match curves.last() {
                Some(last) if last.label == label => Some(curves.len() - 1),
                _ => index.get(label).copied(),
            };
            match found {
                Some(at) => curves[at].points.push(point),
                None => {
                    index.insert(label.to_string(), curves.len());
                    curves.push(DoseResponse {
                        label: label.to_string(),
                        points: vec![point],
                    });
                }
            }
        }
    }
    if curves.is_empty() {
        bail!("{name}: no points");
    }
    let mut warnings: Vec<String> = columns
        .notes(&names)
        .into_iter()
        .map(|note| format!("{name}: {note}"))
        .collect();
    if !missing.is_empty() {
        const SHOWN: usize = 5;
        let more = missing.len().saturating_sub(SHOWN);
        warnings.push(format!(
            "{name}: {} {}{} without a number left out (a missing value): {}{}",
            missing.len(),
            if columns.wide { "value" } else { "row" },
            if missing.len() == 1 { "" } else { "s" },
            missing[..missing.len().min(SHOWN)].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    Ok((curves, warnings))
}

/// Which columns of a points table hold what.
struct PointsColumns {
    /// The concentration column.
    dose: usize,
    /// Whether it holds log10 concentrations.
    log_dose: bool,
    /// The curve (label) column.
    curve: Option<usize>,
    /// The response columns, each with the curve it names in a wide table (`None`: the
    /// row's curve, or one curve for the file).
    responses: Vec<(usize, Option<String>)>,
    /// One response column per replicate or curve (a wide table) rather than one per file.
    wide: bool,
    /// The one response column has none of the response names: it is the only column left.
    guessed: bool,
}

impl PointsColumns {
    /// The columns of a points table with these headers: a concentration column (or one of
    /// log10 concentrations), an optional curve column, and either one response column (a
    /// long table) or several (a wide table: `conc,rep1,rep2,rep3`, `conc,K562,K562,
    /// K562/FLM,K562/FLM`, `line,conc,viability_1,viability_2`).
    fn find(names: &[&str], file: &str) -> Result<Self> {
        use crate::dose_response::{
            CONCENTRATION_COLUMN, CURVE_COLUMN, RESPONSE_COLUMN, find_column, find_columns,
            find_log_concentration_column, is_not_a_response, other_log_base, replicate_series,
        };
        let (dose, log_dose) = match find_column(names, CONCENTRATION_COLUMN) {
            Some(k) => (k, false),
            None => match find_log_concentration_column(names) {
                Some(k) => (k, true),
                None => {
                    if let Some((header, base)) = names
                        .iter()
                        .find_map(|h| other_log_base(h).map(|base| (h, base)))
                    {
                        bail!(
                            "{file}: line 1: column {header:?} holds {base} concentrations; platefit reads concentrations (`conc`) or log10 concentrations (`log_conc`)"
                        );
                    }
                    bail!(
                        "{file}: line 1: expected a `conc` column (or `log_conc` for log10 concentrations) (found {names:?})"
                    );
                }
            },
        };
        let curve = find_column(names, CURVE_COLUMN).filter(|&k| k != dose);
        let others = |k: &usize| *k != dose && Some(*k) != curve;
        let named: Vec<usize> = find_columns(names, RESPONSE_COLUMN)
            .into_iter()
            .filter(others)
            .collect();
        let measured: Vec<usize> = named
            .iter()
            .copied()
            .filter(|&k| !is_not_a_response(names[k]))
            .collect();
        let responses: Vec<usize> = match (named.as_slice(), measured.len()) {
            ([only], _) => vec![*only],
            (_, 1..) => measured,
            _ => (0..names.len())
                .filter(others)
                .filter(|&k| !is_not_a_response(names[k]) && !names[k].trim().is_empty())
                .collect(),
        };
        if responses.is_empty() {
            bail!("{file}: line 1: expected a `response` column (found {names:?})");
        }
        let wide = responses.len() > 1;
        let guessed = !wide && named.is_empty();
        let responses = responses
            .into_iter()
            .map(|k| {
                (
                    k,
                    if wide {
                        replicate_series(names[k])
                    } else {
                        None
                    },
                )
            })
            .collect();
        Ok(Self {
            dose,
            log_dose,
            curve,
            responses,
            wide,
            guessed,
        })
    }

    /// The concentration column as errors and notes name it.
    fn dose_word(&self) -> &'static str {
        if self.log_dose { "log10 conc" } else { "conc" }
    }

    /// What was read other than a plain long table, said once: log10 concentrations, and
    /// how a wide table's columns became curves.
    fn notes(&self, names: &[&str]) -> Vec<String> {
        let mut notes = Vec::new();
        if self.log_dose {
            notes.push(format!(
                "column {:?} read as log10 concentrations (concentration = 10^value)",
                names[self.dose]
            ));
        }
        if let (true, Some((k, _))) = (self.guessed, self.responses.first()) {
            notes.push(format!(
                "column {:?} read as the responses (the one column that is not the concentration, the curve or a summary)",
                names[*k]
            ));
        }
        if self.wide {
            let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
            for (k, series) in &self.responses {
                let curve = match (self.curve, series) {
                    (Some(_), Some(series)) => format!("<curve> {series}"),
                    (Some(_), None) => "<curve>".to_string(),
                    (None, Some(series)) => series.clone(),
                    (None, None) => "curve".to_string(),
                };
                match groups.iter_mut().find(|(name, _)| *name == curve) {
                    Some((_, columns)) => columns.push(names[*k]),
                    None => groups.push((curve, vec![names[*k]])),
                }
            }
            let described: Vec<String> = groups
                .iter()
                .map(|(curve, columns)| format!("{curve} ← {}", columns.join(", ")))
                .collect();
            notes.push(format!(
                "one response column per replicate or curve: {}",
                described.join("; ")
            ));
        }
        notes
    }
}

/// A byte offset reported by the CSV reader as an index into the text.
fn to_index(byte: u64) -> usize {
    usize::try_from(byte).unwrap_or(usize::MAX)
}

/// The response scale of points given without one: from a fixed Top, else the mean of all
/// dose-zero points, else the level means of the curves (the highest: a viability curve's
/// top). Where there is no control to go by (neither a fixed Top nor dose-zero points) the
/// guess rests on the size of the numbers alone, and a note says what was assumed and how
/// to say otherwise: raw absorbance around 1 reads as a fraction of control, and its
/// absolute IC50 would be where the curve crosses 0.5.
fn guess_scale(curves: &[DoseResponse], fix_top: Option<f64>) -> (ResponseScale, Option<String>) {
    let mean = |values: &[f64]| {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let vehicle: Vec<f64> = curves
        .iter()
        .flat_map(|c| c.fitted_points())
        .filter(|p| p.concentration == 0.0)
        .map(|p| p.response)
        .collect();
    let levels: Vec<f64> = curves
        .iter()
        .flat_map(|c| c.level_summaries())
        .map(|l| l.mean)
        .collect();
    let highest_level = levels.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lowest_level = levels.iter().copied().fold(f64::INFINITY, f64::min);
    let vehicle_mean = mean(&vehicle);
    if fix_top.is_none()
        && let Some((scale, note)) = scale_from_some_vehicles(curves, highest_level)
    {
        return (scale, Some(note));
    }
    let scale = ResponseScale::guess(fix_top, vehicle_mean, highest_level, lowest_level);
    if fix_top.is_some() || vehicle_mean.is_some() || !highest_level.is_finite() {
        return (scale, None);
    }
    let highest = crate::compare::format_sig(highest_level);
    let (read_as, so, otherwise) = match scale {
        ResponseScale::Fraction => (
            "fractions of control",
            "the absolute IC50 is where the curve crosses 0.5",
            "--scale raw for raw signals (absorbance) or --scale percent for % of control",
        ),
        ResponseScale::Percent => (
            "% of control",
            "the absolute IC50 is where the curve crosses 50 %",
            "--scale raw for raw signals or --scale fraction for fractions of control",
        ),
        ResponseScale::Raw => (
            "raw signals",
            "only the relative IC50 is reported",
            "--scale percent for % of control or --scale fraction for fractions of control",
        ),
    };
    let note = format!(
        "No dose-zero points and no fixed Top: the responses were read as {read_as} from their size (highest level mean {highest}), so {so}; give {otherwise}."
    );
    (scale, Some(note))
}

/// The scale of a file whose curves' dose-zero points disagree: some average the control
/// level of one scale (80–125 %, or 0.8–1.25) and the others lie below it — single agents
/// beside combination slices, whose dose-zero point is the partner drug alone (3–60 %).
/// Pooled, their mean (40 %) reads as a raw signal and every curve lost its absolute IC50;
/// the curves at the control level say what the numbers are, when no number in the file is
/// beyond that scale (a raw signal's counts are). A note names the curves read that way.
fn scale_from_some_vehicles(
    curves: &[DoseResponse],
    highest_level: f64,
) -> Option<(ResponseScale, String)> {
    let (low, high) = crate::fit::verdict::CONTROL_BAND;
    let per_curve: Vec<(&str, f64)> = curves
        .iter()
        .filter_map(|c| {
            let values: Vec<f64> = c
                .fitted_points()
                .filter(|p| p.concentration == 0.0)
                .map(|p| p.response)
                .collect();
            (!values.is_empty()).then(|| {
                (
                    c.label.as_str(),
                    values.iter().sum::<f64>() / values.len() as f64,
                )
            })
        })
        .collect();
    let within = |m: f64, control: f64| (low * control..=high * control).contains(&m);
    let at_fraction = per_curve.iter().filter(|(_, m)| within(*m, 1.0)).count();
    let at_percent = per_curve.iter().filter(|(_, m)| within(*m, 100.0)).count();
    let (scale, control, ceiling) = match (at_fraction, at_percent) {
        (0, 0) => return None,
        (_, 0) => (ResponseScale::Fraction, 1.0, 2.5),
        (0, _) => (ResponseScale::Percent, 100.0, 250.0),
        _ => return None,
    };
    let off: Vec<(&str, f64)> = per_curve
        .iter()
        .copied()
        .filter(|(_, m)| !within(*m, control))
        .collect();
    // All at the control level: the pooled guess says the same without a note. Others
    // above the band, or any number beyond the scale: not this scale's numbers.
    if off.is_empty() || off.iter().any(|(_, m)| *m > high * control) || highest_level > ceiling {
        return None;
    }
    let named: Vec<String> = off
        .iter()
        .take(3)
        .map(|(label, m)| format!("{label} ({})", crate::compare::format_sig(*m)))
        .collect();
    let more = if off.len() > 3 {
        format!(" and {} more", off.len() - 3)
    } else {
        String::new()
    };
    let (read_as, band) = match scale {
        ResponseScale::Fraction => ("fractions of control", "0.8–1.25"),
        _ => ("% of control", "80–125"),
    };
    let note = format!(
        "{} of {} curves have dose-zero points at the control level ({band}); the others' dose-zero points are below it ({}{more}): all were read as {read_as}, so the absolute IC50 is where a curve crosses {}; give --scale raw if the numbers are raw signals.",
        per_curve.len() - off.len(),
        per_curve.len(),
        named.join(", "),
        if scale == ResponseScale::Fraction {
            "0.5"
        } else {
            "50 %"
        }
    );
    Some((scale, note))
}

fn run_fit(args: &FitArgs) -> Result<()> {
    let (curves, mut warnings) = read_points_noting(&args.points)?;
    let scale = match (args.scale.as_deref(), args.percent, args.raw) {
        (Some("fraction"), _, _) => ResponseScale::Fraction,
        (Some("raw"), _, _) | (None, _, true) => ResponseScale::Raw,
        (Some(_), _, _) | (None, true, _) => ResponseScale::Percent,
        (None, false, false) => {
            let (scale, note) = guess_scale(&curves, args.fix_top);
            warnings.extend(note);
            scale
        }
    };
    let percent = scale != ResponseScale::Raw;
    let options = FitOptions {
        fix_top: args.fix_top,
        fix_bottom: args.fix_bottom,
        scale,
        profile_ci: true,
    };
    let choices = args.choices.choices()?;
    // The curves are independent: fitted on all cores (in file order; the same results as
    // one after the other). One curve is fitted here, without starting the thread pool.
    let fit_one = |c: &DoseResponse| {
        fit_curve(c, &options, &choices)
            .with_context(|| format!("{}: curve {}", args.points.display(), c.label))
    };
    let fits = map_items(&curves, CURVES_WORTH_THREADS, fit_one)
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let position = |label: &str| -> Result<usize> {
        curves.iter().position(|c| c.label == label).ok_or_else(|| {
            anyhow!(
                "{}: no curve {label:?} (curves: {})",
                args.points.display(),
                curves
                    .iter()
                    .map(|c| c.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    };
    let pairs: Vec<(usize, usize)> = match (&args.compare, &args.against) {
        (Some(test), Some(reference)) => vec![(position(reference)?, position(test)?)],
        _ => {
            let keys: BTreeSet<CurveKey> = curves
                .iter()
                .map(|c| CurveKey {
                    line: c.label.clone(),
                    drug: String::new(),
                    condition: String::new(),
                })
                .collect();
            resistance_pairs(&keys)
                .into_iter()
                .filter_map(|(r, t)| Some((position(&r.line).ok()?, position(&t.line).ok()?)))
                .collect()
        }
    };
    let compare_pair = |&(r, t): &(usize, usize)| {
        // The points each curve was fitted to (without the outliers ROUT removed).
        let reference = fits[r].fitted_dose_response(&curves[r]);
        let test = fits[t].fitted_dose_response(&curves[t]);
        let options = choices.model.primary().options(&options);
        compare((&reference, &fits[r]), (&test, &fits[t]), &options)
    };
    let comparisons = map_items(&pairs, PAIRS_WORTH_THREADS, compare_pair);
    let analysis = Analysis {
        experiment: display_name(&args.points),
        plates: Vec::new(),
        curves: curves
            .iter()
            .zip(&fits)
            .map(|(c, f)| crate::analysis::CurveResult {
                key: CurveKey {
                    line: c.label.clone(),
                    drug: String::new(),
                    condition: String::new(),
                },
                dose_response: c.clone(),
                fit: f.clone(),
                problem: None,
            })
            .collect(),
        comparisons,
        unit: crate::layout::ConcentrationUnit::default(),
        warnings,
        growth: None,
        settings: AnalysisSettings {
            normalization: if percent {
                Normalization::PercentOfVehicle
            } else {
                Normalization::None
            },
            fix_top: args.fix_top,
            fix_bottom: args.fix_bottom,
            choices,
            ..AnalysisSettings::default()
        },
    };
    let analyses = [analysis];
    if let Some(path) = &args.json {
        // Points files carry no unit: IC50s are in the unit of the `conc` column.
        let mut text = results_json_pretty(&analyses, None, true)?;
        text.push('\n');
        write_output(path, text.as_bytes())?;
    }
    if let Some(path) = &args.csv {
        let mut bytes = Vec::new();
        write_results_csv(&analyses, &mut bytes)?;
        write_output(path, &bytes)?;
    }
    if !to_stdout(args.json.as_ref()) && !to_stdout(args.csv.as_ref()) {
        print!("{}", results_table_in(&analyses, false));
    }
    Ok(())
}

fn run_import(args: &ImportArgs) -> Result<()> {
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?
        .len();
    if size > crate::import::MAX_FILE_BYTES {
        bail!(
            "{}: file is {size} bytes; platefit reads plate files up to {} bytes",
            args.file.display(),
            crate::import::MAX_FILE_BYTES
        );
    }
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let imported = import_bytes(&bytes).with_context(|| format!("{}", args.file.display()))?;
    let name = display_name(&args.file);
    if let Some(path) = &args.json {
        let mut text = serde_json::to_string_pretty(&import_json(&name, &imported))?;
        text.push('\n');
        write_output(path, text.as_bytes())?;
    }
    if !to_stdout(args.json.as_ref()) {
        print!("{}", import_summary(&name, &imported));
    }
    Ok(())
}
