//! `platefit library …`: add plate files or projects to the lab library, list and filter,
//! the study across experiments, export and import.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use rayon::prelude::*;

use super::{AddOutcome, Bundle, Filter, Library, Metadata, NewEntry};
use crate::analysis::{Experiment, analyze};
use crate::cli::{
    NumberOptions, load_experiments, parse_report_date, settings_from, write_file, write_output,
};
use crate::project::Project;
use crate::study::{Baseline, StudyOptions, study};

/// `platefit library`.
#[derive(Debug, Args)]
pub struct LibraryArgs {
    /// The library file (default: `library.sqlite` in the user's data directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub library: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: LibraryCommand,
}

/// Library subcommands.
#[derive(Debug, Subcommand)]
pub enum LibraryCommand {
    /// Analyse plate files (or `.platefit` projects) and add them with their metadata.
    Add(AddArgs),
    /// List the experiments (filtered).
    List(ListArgs),
    /// Statistics across experiments: geometric mean IC50s, RI and RF with t CIs, one-sample t
    /// tests, DerSimonian-Laird random effects, Levey-Jennings control charts.
    Study(StudyArgs),
    /// Write the filtered experiments into one portable JSON bundle.
    Export(ExportArgs),
    /// Add the experiments of a bundle (each re-analysed).
    Import(ImportArgs),
}

/// Filters shared by list, study and export.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Experiments with a curve of this cell line.
    #[arg(long)]
    pub line: Option<String>,
    /// Experiments with a curve of this drug.
    #[arg(long)]
    pub drug: Option<String>,
    /// Experiments with a curve of this condition.
    #[arg(long)]
    pub condition: Option<String>,
    /// Experiments dated on or after (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<String>,
    /// Experiments dated on or before (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<String>,
    /// Experiments of this operator.
    #[arg(long)]
    pub operator: Option<String>,
    /// Experiments with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Plate QC: `pass` or `warn`.
    #[arg(long, value_name = "pass|warn")]
    pub qc: Option<String>,
    /// Only these experiment ids.
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<i64>,
}

impl FilterArgs {
    fn filter(&self) -> Result<Filter> {
        for date in [&self.from, &self.to].into_iter().flatten() {
            crate::report::ReportDate::parse(date)
                .map_err(|_| anyhow!("--from/--to {date:?}: expected a date YYYY-MM-DD"))?;
        }
        let qc_pass = match self.qc.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => None,
            Some("pass") => Some(true),
            Some("warn" | "fail") => Some(false),
            Some(other) => bail!("--qc {other:?}: use pass or warn"),
        };
        Ok(Filter {
            line: self.line.clone(),
            drug: self.drug.clone(),
            condition: self.condition.clone(),
            date_from: self.from.clone(),
            date_to: self.to.clone(),
            operator: self.operator.clone(),
            tag: self.tag.clone(),
            qc_pass,
            ids: self.ids.clone(),
        })
    }
}

/// `platefit library add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Plate-reader exports (one experiment each) or `.platefit` projects.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Plate layout (plater CSV) for all plate files; default: the layout beside each file.
    #[arg(long)]
    pub layout: Option<PathBuf>,
    /// Metadata `key=value` for every file added: date, operator, passage, drug_lot,
    /// barcode, weeks_off_drug, notes, tag (repeatable), tags (comma-separated).
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    pub meta: Vec<String>,
    /// Files per transaction (each batch is stored whole or not at all).
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub batch: usize,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub numbers: NumberOptions,
}

/// `platefit library list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Write the list as JSON here (`-` for standard output).
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
}

/// `platefit library study`.
#[derive(Debug, Args)]
pub struct StudyArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Control-chart baseline: first date (default: all experiments).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub baseline_from: Option<String>,
    /// Control-chart baseline: last date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub baseline_to: Option<String>,
    /// Chart the log10 IC50 of this reference line (repeatable; default: every parental
    /// line of a resistance comparison).
    #[arg(long = "reference-line", value_name = "LINE")]
    pub reference_lines: Vec<String>,
    /// Write the study JSON here (`-` for standard output).
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
    /// Write the study report (PDF) here.
    #[arg(long, value_name = "OUT.pdf")]
    pub report: Option<PathBuf>,
    /// Write the study workbook (Excel) here.
    #[arg(long, value_name = "OUT.xlsx")]
    pub xlsx: Option<PathBuf>,
    /// Date printed on reports (YYYY-MM-DD); default: today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub report_date: Option<String>,
}

/// `platefit library export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The bundle to write (JSON).
    pub out: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `platefit library import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A bundle written by `platefit library export`.
    pub bundle: PathBuf,
}

fn open(args: &LibraryArgs) -> Result<Library> {
    let path = match &args.library {
        Some(path) => path.clone(),
        None => Library::default_path()
            .ok_or_else(|| anyhow!("no user data directory: give --library PATH"))?,
    };
    Ok(Library::open(&path)?)
}

/// Runs `platefit library …`.
///
/// # Errors
/// A one-line reason.
pub fn run(args: &LibraryArgs) -> Result<()> {
    match &args.command {
        LibraryCommand::Add(add) => run_add(args, add),
        LibraryCommand::List(list) => run_list(args, list),
        LibraryCommand::Study(study_args) => run_study(args, study_args),
        LibraryCommand::Export(export) => {
            let library = open(args)?;
            let bundle = library.export(&export.filter.filter()?)?;
            let text = serde_json::to_string(&bundle)?;
            write_output(&export.out, text.as_bytes())?;
            eprintln!(
                "exported {} experiment(s) to {}",
                bundle.experiments.len(),
                export.out.display()
            );
            Ok(())
        }
        LibraryCommand::Import(import) => {
            let text = std::fs::read_to_string(&import.bundle)
                .with_context(|| format!("cannot read bundle {}", import.bundle.display()))?;
            let bundle = Bundle::from_json(&text)
                .with_context(|| format!("bundle {}", import.bundle.display()))?;
            let mut library = open(args)?;
            let outcomes = library.import(&bundle)?;
            eprintln!("{}", outcome_line(&outcomes));
            Ok(())
        }
    }
}

fn outcome_line(outcomes: &[AddOutcome]) -> String {
    let added: Vec<i64> = outcomes
        .iter()
        .filter_map(|o| match o {
            AddOutcome::Added(id) => Some(*id),
            AddOutcome::Duplicate { .. } => None,
        })
        .collect();
    let mut line = match (added.first(), added.last()) {
        (Some(first), Some(last)) if first == last => format!("added 1 experiment (#{first})"),
        (Some(first), Some(last)) => {
            format!("added {} experiments (#{first}–#{last})", added.len())
        }
        _ => "added no experiment".to_string(),
    };
    let duplicates: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            AddOutcome::Duplicate { existing, file } => {
                Some(format!("{file} (already #{existing})"))
            }
            AddOutcome::Added(_) => None,
        })
        .collect();
    if !duplicates.is_empty() {
        line.push_str(&format!(
            "; {} duplicate(s) skipped: {}",
            duplicates.len(),
            duplicates.join(", ")
        ));
    }
    line
}

fn run_add(args: &LibraryArgs, add: &AddArgs) -> Result<()> {
    let mut metadata = Metadata::default();
    for item in &add.meta {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| anyhow!("--meta {item:?}: expected key=value"))?;
        metadata.set(key, value)?;
    }
    let settings = settings_from(&add.numbers)?;
    let mut library = open(args)?;
    let progress = (!add.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(add.files.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut outcomes = Vec::new();
    for chunk in add.files.chunks(add.batch.max(1)) {
        let (projects, plates): (Vec<&PathBuf>, Vec<&PathBuf>) = chunk
            .iter()
            .partition(|p| p.extension().is_some_and(|e| e == "platefit"));
        let mut experiments: Vec<Experiment> = Vec::new();
        for path in projects {
            let project =
                Project::load(path).with_context(|| format!("project {}", path.display()))?;
            experiments.extend(project.experiments);
        }
        let plates: Vec<PathBuf> = plates.into_iter().cloned().collect();
        if !plates.is_empty() {
            experiments.extend(load_experiments(
                &plates,
                add.layout.as_deref(),
                &settings,
                false,
            )?);
        }
        crate::cli::exclude_wells(&mut experiments, &add.numbers.exclude)?;
        let entries: Vec<NewEntry> = experiments
            .into_par_iter()
            .map(|experiment| {
                let analysis = analyze(&experiment).with_context(|| experiment.name.clone())?;
                Ok(NewEntry {
                    experiment,
                    analysis,
                    metadata: metadata.clone(),
                })
            })
            .collect::<Result<_>>()?;
        outcomes.extend(library.add(&entries)?);
        if let Some(bar) = &progress {
            bar.inc(chunk.len() as u64);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if !add.quiet {
        eprintln!(
            "{} to {}",
            outcome_line(&outcomes),
            library.path().display()
        );
    }
    Ok(())
}

fn run_list(args: &LibraryArgs, list: &ListArgs) -> Result<()> {
    let library = open(args)?;
    let rows = library.list(&list.filter.filter()?)?;
    if let Some(path) = &list.json {
        let mut text = serde_json::to_string_pretty(&serde_json::json!({
            "platefit_version": crate::report::platefit_version(),
            "experiments": rows,
        }))?;
        text.push('\n');
        write_output(path, text.as_bytes())?;
        if crate::cli::is_stdout(path) {
            return Ok(());
        }
    }
    let mut out = String::from("id\tdate\tpassage\toperator\tQC\tname\tcurves\ttags\n");
    for row in &rows {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            row.id,
            row.metadata.date.as_deref().unwrap_or("—"),
            row.metadata
                .passage
                .map_or_else(|| "—".to_string(), |p| p.to_string()),
            row.metadata.operator.as_deref().unwrap_or("—"),
            match row.qc_pass {
                Some(true) => "pass",
                Some(false) => "warn",
                None => "—",
            },
            row.name,
            row.curves.join("; "),
            row.metadata.tags.join(", "),
        ));
    }
    out.push_str(&format!("{} experiment(s)\n", rows.len()));
    print!("{out}");
    Ok(())
}

fn run_study(args: &LibraryArgs, study_args: &StudyArgs) -> Result<()> {
    for date in [&study_args.baseline_from, &study_args.baseline_to]
        .into_iter()
        .flatten()
    {
        crate::report::ReportDate::parse(date)
            .map_err(|_| anyhow!("--baseline-from/--baseline-to {date:?}: expected YYYY-MM-DD"))?;
    }
    let library = open(args)?;
    let filter = study_args.filter.filter()?;
    let records = library.study_records(&filter)?;
    if records.is_empty() {
        bail!(
            "no experiment in the library {} matches the filter",
            library.path().display()
        );
    }
    let options = StudyOptions {
        baseline: Baseline {
            from: study_args.baseline_from.clone(),
            to: study_args.baseline_to.clone(),
        },
        reference_lines: study_args.reference_lines.clone(),
    };
    let result = study(&records, &options);
    if let Some(path) = &study_args.json {
        let mut json = result.to_json();
        if let Some(object) = json.as_object_mut() {
            object.insert(
                "platefit_version".into(),
                crate::report::platefit_version().into(),
            );
            object.insert(
                "library".into(),
                library.path().display().to_string().into(),
            );
        }
        let mut text = serde_json::to_string_pretty(&json)?;
        text.push('\n');
        write_output(path, text.as_bytes())?;
    }
    let date = parse_report_date(study_args.report_date.as_deref())?;
    if let Some(path) = &study_args.report {
        let bytes = crate::report::study::study_pdf(&result, &records, date)
            .with_context(|| format!("study report {}", path.display()))?;
        write_file(path, &bytes)?;
    }
    if let Some(path) = &study_args.xlsx {
        let bytes = crate::report::study::study_workbook(&result, &records, date)
            .with_context(|| format!("study workbook {}", path.display()))?;
        write_file(path, &bytes)?;
    }
    if study_args
        .json
        .as_ref()
        .is_none_or(|p| p.as_os_str() != "-")
    {
        print!("{}", result.to_text());
    }
    Ok(())
}
