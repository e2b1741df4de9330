//! The lab library: analysed experiments in one SQLite file, with what is needed to re-open
//! and re-analyse each exactly (the `.platefit` project JSON of the experiment: raw readings,
//! layouts, settings, exclusions, input file names and SHA-256), its results, and the
//! metadata a lab records (date, operator, passage, drug lot, plate barcode, notes, tags).
//!
//! - WAL mode and a busy timeout, so two app windows or processes can share a library; every
//!   write is one `BEGIN IMMEDIATE` transaction, so a crash leaves either the whole batch or
//!   none of it.
//! - The file is versioned (`PRAGMA user_version`, see [`schema`]) and marked with
//!   `PRAGMA application_id`; a damaged or foreign file gives an error naming the file.
//! - List, filter and study functions return plain structs (for the CLI, reports and an app
//!   view alike).

pub mod cli;
pub mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, Experiment, analyze};
use crate::layout::CurveKey;
use crate::normalize::QcVerdict;
use crate::project::Project;
use crate::report::json::{ic50_bound, results_json};
use crate::report::text::ic50_ci;
use crate::study::{ComparisonKind, CurveRecord, ExperimentRecord, RatioRecord};

/// A library that cannot be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// Not a platefit library (another program's database, or not a database at all).
    #[error("not a platefit library ({reason}): {path}")]
    NotALibrary {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Written by a newer platefit.
    #[error("library schema version {found} is newer than this platefit understands ({SCHEMA}): {path}", SCHEMA = schema::SCHEMA_VERSION)]
    TooNew {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: i32,
    },
    /// SQLite reported an error (damaged file, disk full, locked too long …).
    #[error("library error ({message}): {path}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's message.
        message: String,
    },
    /// A stored experiment or an imported bundle cannot be read.
    #[error("{0}")]
    Content(String),
    /// Invalid metadata.
    #[error("{0}")]
    Metadata(String),
}

/// What a lab records about an experiment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metadata {
    /// Date of the experiment (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// Who ran it.
    pub operator: Option<String>,
    /// Cell line passage number.
    pub passage: Option<i64>,
    /// Drug lot.
    pub drug_lot: Option<String>,
    /// Plate barcode.
    pub barcode: Option<String>,
    /// Weeks the resistant line was kept without drug (stability experiments).
    pub weeks_off_drug: Option<f64>,
    /// Free notes.
    pub notes: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

impl Metadata {
    /// The keys [`Self::set`] understands.
    pub const KEYS: [&'static str; 9] = [
        "date",
        "operator",
        "passage",
        "drug_lot",
        "barcode",
        "weeks_off_drug",
        "notes",
        "tag",
        "tags",
    ];

    /// Sets one `key=value` (`tag` adds a tag; `tags` takes a comma-separated list).
    ///
    /// # Errors
    /// An unknown key or a value of the wrong form.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), LibraryError> {
        let value = value.trim();
        let text = || (!value.is_empty()).then(|| value.to_string());
        let bad = |what: &str| LibraryError::Metadata(format!("{key}={value:?}: {what}"));
        match key.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "date" => {
                crate::report::ReportDate::parse(value)
                    .map_err(|_| bad("expected a date YYYY-MM-DD"))?;
                self.date = text();
            }
            "operator" => self.operator = text(),
            "passage" | "p" => {
                self.passage = Some(value.parse().map_err(|_| bad("expected a whole number"))?);
            }
            "drug_lot" | "lot" => self.drug_lot = text(),
            "barcode" | "plate_barcode" => self.barcode = text(),
            "weeks_off_drug" | "weeks_without_drug" => {
                let weeks: f64 = value.parse().map_err(|_| bad("expected a number"))?;
                if !weeks.is_finite() || weeks < 0.0 {
                    return Err(bad("expected a number ≥ 0"));
                }
                self.weeks_off_drug = Some(weeks);
            }
            "notes" | "note" => self.notes = text(),
            "tag" => {
                if let Some(tag) = text()
                    && !self.tags.contains(&tag)
                {
                    self.tags.push(tag);
                }
            }
            "tags" => {
                for tag in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    if !self.tags.iter().any(|t| t == tag) {
                        self.tags.push(tag.to_string());
                    }
                }
            }
            _ => {
                return Err(LibraryError::Metadata(format!(
                    "unknown metadata key {key:?}: use one of {}",
                    Self::KEYS.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// An experiment to add: what was analysed, its analysis and its metadata.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// The experiment (raw data, layout, settings).
    pub experiment: Experiment,
    /// Its analysis (by this platefit).
    pub analysis: Analysis,
    /// Metadata.
    pub metadata: Metadata,
}

/// What became of an experiment given to [`Library::add`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AddOutcome {
    /// Stored under this id.
    Added(i64),
    /// A file of it is already in the library.
    Duplicate {
        /// The experiment already holding the file.
        existing: i64,
        /// The file.
        file: String,
    },
}

/// One experiment in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentRow {
    /// Library id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// When it was added (`YYYY-MM-DD`).
    pub added_at: String,
    /// Metadata.
    #[serde(flatten)]
    pub metadata: Metadata,
    /// Mean Z′ of its plates.
    pub z_prime: Option<f64>,
    /// Mean vehicle OD of its plates.
    pub vehicle_od: Option<f64>,
    /// Whether every plate passed QC.
    pub qc_pass: Option<bool>,
    /// The platefit version that added it.
    pub platefit_version: String,
    /// Input files.
    pub files: Vec<String>,
    /// Curve labels.
    pub curves: Vec<String>,
}

/// A stored experiment, re-opened.
#[derive(Debug, Clone)]
pub struct StoredExperiment {
    /// Its list row.
    pub row: ExperimentRow,
    /// The experiment exactly as stored.
    pub experiment: Experiment,
    /// The results JSON stored when it was added.
    pub results_json: String,
}

/// Which experiments to list or study. Empty fields do not filter; text matches ignore
/// case; line, drug and condition must hold for one and the same curve.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Cell line.
    pub line: Option<String>,
    /// Drug.
    pub drug: Option<String>,
    /// Condition.
    pub condition: Option<String>,
    /// First date (inclusive).
    pub date_from: Option<String>,
    /// Last date (inclusive).
    pub date_to: Option<String>,
    /// Operator.
    pub operator: Option<String>,
    /// Tag.
    pub tag: Option<String>,
    /// QC pass (true) or warn (false).
    pub qc_pass: Option<bool>,
    /// Only these ids.
    pub ids: Vec<i64>,
}

impl Filter {
    /// The WHERE clause over `experiments e` and its parameters.
    fn sql(&self) -> (String, Vec<SqlValue>) {
        let mut clauses: Vec<String> = Vec::new();
        let mut values: Vec<SqlValue> = Vec::new();
        let mut curve: Vec<String> = Vec::new();
        for (column, value) in [
            ("line", &self.line),
            ("drug", &self.drug),
            ("condition", &self.condition),
        ] {
            if let Some(value) = value {
                values.push(SqlValue::Text(value.clone()));
                curve.push(format!("c.{column} = ?{} COLLATE NOCASE", values.len()));
            }
        }
        if !curve.is_empty() {
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM curves c WHERE c.experiment_id = e.id AND {})",
                curve.join(" AND ")
            ));
        }
        if let Some(from) = &self.date_from {
            values.push(SqlValue::Text(from.clone()));
            clauses.push(format!("e.date >= ?{}", values.len()));
        }
        if let Some(to) = &self.date_to {
            values.push(SqlValue::Text(to.clone()));
            clauses.push(format!("e.date <= ?{}", values.len()));
        }
        if let Some(operator) = &self.operator {
            values.push(SqlValue::Text(operator.clone()));
            clauses.push(format!("e.operator = ?{} COLLATE NOCASE", values.len()));
        }
        if let Some(tag) = &self.tag {
            values.push(SqlValue::Text(tag.clone()));
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM tags t WHERE t.experiment_id = e.id AND t.tag = ?{} COLLATE NOCASE)",
                values.len()
            ));
        }
        if let Some(pass) = self.qc_pass {
            clauses.push(format!("e.qc_pass = {}", i32::from(pass)));
        }
        if !self.ids.is_empty() {
            let list: Vec<String> = self.ids.iter().map(i64::to_string).collect();
            clauses.push(format!("e.id IN ({})", list.join(",")));
        }
        if clauses.is_empty() {
            ("1".into(), values)
        } else {
            (clauses.join(" AND "), values)
        }
    }
}

/// A portable export of experiments: metadata plus each experiment's project JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// Always `"platefit-library-bundle"`.
    pub format: String,
    /// Bundle version (1).
    pub version: u32,
    /// The platefit that wrote it.
    pub written_by: String,
    /// The experiments.
    pub experiments: Vec<BundleEntry>,
}

/// One experiment of a [`Bundle`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleEntry {
    /// Metadata.
    pub metadata: Metadata,
    /// The experiment as a one-experiment `.platefit` project.
    pub project: Project,
}

impl Bundle {
    /// Parses a bundle.
    ///
    /// # Errors
    /// [`LibraryError::Content`] for anything that is not a bundle.
    pub fn from_json(text: &str) -> Result<Self, LibraryError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| LibraryError::Content(format!("not a JSON bundle: {e}")))?;
        if value.get("format").and_then(serde_json::Value::as_str)
            != Some("platefit-library-bundle")
        {
            return Err(LibraryError::Content(
                "no \"format\": \"platefit-library-bundle\" field".into(),
            ));
        }
        if value.get("version").and_then(serde_json::Value::as_u64) != Some(1) {
            return Err(LibraryError::Content(
                "unknown bundle version (this platefit reads version 1)".into(),
            ));
        }
        serde_json::from_value(value)
            .map_err(|e| LibraryError::Content(format!("damaged bundle: {e}")))
    }
}

/// An open library.
pub struct Library {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").field("path", &self.path).finish()
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`.
fn today() -> String {
    crate::report::ReportDate::today().to_string()
}

/// The kind of a plate comparison, from its two curves.
#[must_use]
pub fn comparison_kind(reference: &CurveKey, test: &CurveKey) -> ComparisonKind {
    if reference.line == test.line
        && reference.drug == test.drug
        && test.condition.is_empty()
        && !reference.condition.is_empty()
    {
        ComparisonKind::Reversal
    } else if reference.line != test.line
        && reference.drug == test.drug
        && reference.condition == test.condition
    {
        ComparisonKind::Resistance
    } else {
        ComparisonKind::Other
    }
}

fn mean_of(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let values: Vec<f64> = values.flatten().filter(|v| v.is_finite()).collect();
    crate::stats::mean(&values)
}

/// Writes an analysis's results for experiment `id` (curves, comparisons, plate QC,
/// results JSON). The caller holds the transaction.
pub(crate) fn write_results(
    conn: &Connection,
    id: i64,
    analysis: &Analysis,
) -> rusqlite::Result<()> {
    let mut insert_curve = conn.prepare_cached(
        "INSERT INTO curves (experiment_id, label, line, drug, condition, status, ic50, ic50_lo, ic50_hi, bound)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for curve in &analysis.curves {
        let ci = ic50_ci(&curve.fit, analysis.settings.ci_method);
        insert_curve.execute(params![
            id,
            curve.dose_response.label,
            curve.key.line,
            curve.key.drug,
            curve.key.condition,
            curve.fit.status.as_str(),
            curve.fit.reported_ic50(),
            ci.map(|c| c[0]),
            ci.map(|c| c[1]),
            ic50_bound(&curve.fit),
        ])?;
    }
    let mut insert_comparison = conn.prepare_cached(
        "INSERT INTO comparisons (experiment_id, kind, reference, test, status, ratio, log10_ratio, log10_ratio_se, ratio_lo, ratio_hi, f, p_value)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for comparison in &analysis.comparisons {
        let key = |label: &str| analysis.curve(label).map(|c| c.key.clone());
        let kind = match (key(&comparison.reference), key(&comparison.test)) {
            (Some(r), Some(t)) => comparison_kind(&r, &t),
            _ => ComparisonKind::Other,
        };
        insert_comparison.execute(params![
            id,
            kind.as_str(),
            comparison.reference,
            comparison.test,
            comparison.status,
            comparison.ratio,
            comparison.log10_ratio,
            comparison.log10_ratio_se,
            comparison.ratio_ci95.map(|c| c[0]),
            comparison.ratio_ci95.map(|c| c[1]),
            comparison.f,
            comparison.p_value,
        ])?;
    }
    let z_prime = mean_of(analysis.plates.iter().map(|p| p.normalized.qc.z_prime));
    let vehicle_od = mean_of(analysis.plates.iter().map(|p| p.normalized.qc.vehicle_mean));
    let qc_pass = analysis
        .plates
        .iter()
        .all(|p| p.normalized.qc.verdict == QcVerdict::Pass);
    conn.execute(
        "UPDATE experiments SET z_prime = ?2, vehicle_od = ?3, qc_pass = ?4 WHERE id = ?1",
        params![id, z_prime, vehicle_od, qc_pass],
    )?;
    let json = results_json(std::slice::from_ref(analysis), None);
    conn.execute(
        "UPDATE payloads SET results_json = ?2 WHERE experiment_id = ?1",
        params![id, json.to_string()],
    )?;
    Ok(())
}

impl Library {
    /// The default library: `library.sqlite` in the user's data directory
    /// (`~/.local/share/platefit` on Linux).
    #[must_use]
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("org", "platefit", "platefit")
            .map(|dirs| dirs.data_dir().join("library.sqlite"))
    }

    fn sqlite(&self, error: &rusqlite::Error) -> LibraryError {
        sqlite_error(&self.path, error)
    }

    /// The library file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens a library, creating it (and its folder) if the file does not exist, migrating
    /// an older schema.
    ///
    /// # Errors
    /// [`LibraryError`] naming the file: not a database, another program's database, a newer
    /// schema, or a damaged file.
    pub fn open(path: &Path) -> Result<Self, LibraryError> {
        // Another process creating the library, or switching it to WAL, holds locks that
        // SQLite reports at once ("database is locked") instead of waiting for them with
        // the busy timeout: opening is tried again, with growing pauses, for as long as
        // the busy timeout (two writers opening a new library at once failed about one run
        // in a hundred before).
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(2);
        loop {
            match Self::open_once(path) {
                Err(Opening::Busy(error)) if std::time::Instant::now() < deadline => {
                    log::debug!("{}: {error}; opening again", path.display());
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(Opening::Busy(error) | Opening::Failed(error)) => return Err(error),
                Ok(library) => return Ok(library),
            }
        }
    }

    /// One attempt of [`Library::open`]; `Busy` when SQLite reported a lock held by
    /// another connection.
    fn open_once(path: &Path) -> Result<Self, Opening> {
        if path.is_dir() {
            return Err(Opening::Failed(LibraryError::NotALibrary {
                path: path.to_path_buf(),
                reason: "a folder".into(),
            }));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| LibraryError::Sqlite {
                path: path.to_path_buf(),
                message: format!("cannot create the folder: {e}"),
            })?;
        }
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Opening::from_sqlite(&e, sqlite_error(path, &e)))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| Opening::from_sqlite(&e, sqlite_error(path, &e)))?;
        let not_a_library = |e: &rusqlite::Error| {
            let message = e.to_string();
            let error = if message.contains("not a database") || message.contains("malformed") {
                LibraryError::NotALibrary {
                    path: path.to_path_buf(),
                    reason: format!("damaged or not an SQLite database: {message}"),
                }
            } else {
                sqlite_error(path, e)
            };
            Opening::from_sqlite(e, error)
        };
        {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| not_a_library(&e))?;
            let app_id: i32 = tx
                .query_row("PRAGMA application_id", [], |r| r.get(0))
                .map_err(|e| not_a_library(&e))?;
            let version: i32 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(|e| not_a_library(&e))?;
            let objects: i64 = tx
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(|e| not_a_library(&e))?;
            if app_id == 0 && version == 0 && objects == 0 {
                schema::create(&tx).map_err(|message| LibraryError::Sqlite {
                    path: path.to_path_buf(),
                    message,
                })?;
            } else if app_id != schema::APPLICATION_ID {
                return Err(Opening::Failed(LibraryError::NotALibrary {
                    path: path.to_path_buf(),
                    reason: "an SQLite database of another program".into(),
                }));
            } else if version > schema::SCHEMA_VERSION {
                return Err(Opening::Failed(LibraryError::TooNew {
                    path: path.to_path_buf(),
                    found: version,
                }));
            } else if version < schema::SCHEMA_VERSION {
                schema::migrate(&tx, version).map_err(|message| LibraryError::Sqlite {
                    path: path.to_path_buf(),
                    message: format!("migrating from schema version {version}: {message}"),
                })?;
            }
            tx.commit().map_err(|e| not_a_library(&e))?;
        }
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| not_a_library(&e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            log::warn!("{}: journal mode {mode}, not WAL", path.display());
        }
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(|e| not_a_library(&e))?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The schema version of the open file.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn schema_version(&self) -> Result<i32, LibraryError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.sqlite(&e))
    }

    /// SQLite's `PRAGMA integrity_check` (`"ok"` for a sound file).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn integrity_check(&self) -> Result<String, LibraryError> {
        let mut statement = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.sqlite(&e))?;
        let lines: Vec<String> = statement
            .query_map([], |r| r.get(0))
            .map_err(|e| self.sqlite(&e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(&e))?;
        Ok(lines.join("\n"))
    }

    /// The experiment already holding a file with this SHA-256.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn find_file(&self, sha256: &str) -> Result<Option<i64>, LibraryError> {
        self.conn
            .query_row(
                "SELECT experiment_id FROM files WHERE sha256 = ?1 ORDER BY experiment_id LIMIT 1",
                params![sha256],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite(&e))
    }

    /// Adds experiments in one transaction: all are stored, or none. An experiment with a
    /// file whose SHA-256 is already in the library (or earlier in this batch) is not
    /// stored but reported as [`AddOutcome::Duplicate`].
    ///
    /// # Errors
    /// SQLite errors (then nothing of the batch is stored).
    pub fn add(&mut self, entries: &[NewEntry]) -> Result<Vec<AddOutcome>, LibraryError> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| sqlite_error(&path, &e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let mut outcomes = Vec::with_capacity(entries.len());
        let version = crate::report::platefit_version();
        let added_at = today();
        for entry in entries {
            let mut duplicate = None;
            for plate in &entry.experiment.plates {
                let Some(sha) = &plate.sha256 else { continue };
                let existing: Option<i64> = tx
                    .query_row(
                        "SELECT experiment_id FROM files WHERE sha256 = ?1 ORDER BY experiment_id LIMIT 1",
                        params![sha],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(err)?;
                if let Some(existing) = existing {
                    duplicate = Some(AddOutcome::Duplicate {
                        existing,
                        file: plate.file.clone(),
                    });
                    break;
                }
            }
            if let Some(duplicate) = duplicate {
                outcomes.push(duplicate);
                continue;
            }
            let metadata = &entry.metadata;
            tx.execute(
                "INSERT INTO experiments (name, added_at, date, operator, passage, drug_lot, barcode, notes, weeks_off_drug, platefit_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    entry.experiment.name,
                    added_at,
                    metadata.date,
                    metadata.operator,
                    metadata.passage,
                    metadata.drug_lot,
                    metadata.barcode,
                    metadata.notes,
                    metadata.weeks_off_drug,
                    version,
                ],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            let project = Project {
                experiments: vec![entry.experiment.clone()],
                ..Project::default()
            };
            let project_json = serde_json::to_string(&project)
                .map_err(|e| LibraryError::Content(format!("{}: {e}", entry.experiment.name)))?;
            tx.execute(
                "INSERT INTO payloads (experiment_id, project_json) VALUES (?1, ?2)",
                params![id, project_json],
            )
            .map_err(err)?;
            for plate in &entry.experiment.plates {
                tx.execute(
                    "INSERT INTO files (experiment_id, name, sha256) VALUES (?1, ?2, ?3)",
                    params![id, plate.file, plate.sha256.clone().unwrap_or_default()],
                )
                .map_err(err)?;
            }
            for tag in &metadata.tags {
                tx.execute(
                    "INSERT OR IGNORE INTO tags (experiment_id, tag) VALUES (?1, ?2)",
                    params![id, tag],
                )
                .map_err(err)?;
            }
            write_results(&tx, id, &entry.analysis).map_err(err)?;
            outcomes.push(AddOutcome::Added(id));
        }
        tx.commit().map_err(err)?;
        Ok(outcomes)
    }

    /// The experiments that pass the filter, in date order (undated last), then by id.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn list(&self, filter: &Filter) -> Result<Vec<ExperimentRow>, LibraryError> {
        let (clause, values) = filter.sql();
        // `ORDER BY e.date, e.id` is the order of the `experiments_date` index (ties by rowid),
        // so SQLite walks the index instead of sorting every row; undated experiments come
        // first in it and are moved to the end below.
        let sql = format!(
            "SELECT e.id, e.name, e.added_at, e.date, e.operator, e.passage, e.drug_lot, e.barcode,
                    e.notes, e.weeks_off_drug, e.z_prime, e.vehicle_od, e.qc_pass, e.platefit_version
             FROM experiments e WHERE {clause}
             ORDER BY e.date, e.id"
        );
        let mut statement = self.conn.prepare(&sql).map_err(|e| self.sqlite(&e))?;
        let mut rows = statement
            .query_map(rusqlite::params_from_iter(values.iter()), |r| {
                Ok(ExperimentRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    added_at: r.get(2)?,
                    metadata: Metadata {
                        date: r.get(3)?,
                        operator: r.get(4)?,
                        passage: r.get(5)?,
                        drug_lot: r.get(6)?,
                        barcode: r.get(7)?,
                        notes: r.get(8)?,
                        weeks_off_drug: r.get(9)?,
                        tags: Vec::new(),
                    },
                    z_prime: r.get(10)?,
                    vehicle_od: r.get(11)?,
                    qc_pass: r.get::<_, Option<i64>>(12)?.map(|v| v != 0),
                    platefit_version: r.get(13)?,
                    files: Vec::new(),
                    curves: Vec::new(),
                })
            })
            .map_err(|e| self.sqlite(&e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sqlite(&e))?;
        let undated = rows
            .iter()
            .take_while(|r| r.metadata.date.is_none())
            .count();
        rows.rotate_left(undated);
        if rows.is_empty() {
            return Ok(rows);
        }
        // Tags, files and curve labels: one pass over each table (in experiment order) instead
        // of three subqueries per listed experiment.
        let position: std::collections::HashMap<i64, usize> =
            rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        // Unfiltered: whole tables. Filtered: the listed ids (integers from the database, so
        // written into the SQL), which spares evaluating the filter three more times.
        let only = if filter == &Filter::default() {
            String::new()
        } else {
            let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
            format!("WHERE experiment_id IN ({})", ids.join(","))
        };
        // Only the order within an experiment matters: tags by name (the primary key's
        // index), files and curves as added (rowid order: a plain scan of the table).
        for (table, column, order) in [
            ("tags", "tag", "experiment_id, tag"),
            ("files", "name", "rowid"),
            ("curves", "label", "rowid"),
        ] {
            let sql =
                format!("SELECT experiment_id, {column} FROM {table} {only} ORDER BY {order}");
            let mut statement = self.conn.prepare(&sql).map_err(|e| self.sqlite(&e))?;
            let mut cursor = statement.query([]).map_err(|e| self.sqlite(&e))?;
            while let Some(r) = cursor.next().map_err(|e| self.sqlite(&e))? {
                let id: i64 = r.get(0).map_err(|e| self.sqlite(&e))?;
                let text: String = r.get(1).map_err(|e| self.sqlite(&e))?;
                if let Some(row) = position.get(&id).and_then(|&i| rows.get_mut(i)) {
                    match table {
                        "tags" => row.metadata.tags.push(text),
                        "files" => row.files.push(text),
                        _ => row.curves.push(text),
                    }
                }
            }
        }
        Ok(rows)
    }

    /// Re-opens a stored experiment exactly as it was added.
    ///
    /// # Errors
    /// No such experiment, or its stored JSON cannot be read.
    pub fn load(&self, id: i64) -> Result<StoredExperiment, LibraryError> {
        let row = self
            .list(&Filter {
                ids: vec![id],
                ..Filter::default()
            })?
            .pop()
            .ok_or_else(|| {
                LibraryError::Content(format!(
                    "no experiment #{id} in the library {}",
                    self.path.display()
                ))
            })?;
        let (project_json, results_json): (String, String) = self
            .conn
            .query_row(
                "SELECT project_json, results_json FROM payloads WHERE experiment_id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.sqlite(&e))?;
        let project = Project::from_json(&project_json).map_err(|e| {
            LibraryError::Content(format!(
                "stored experiment #{id} in {}: {e}",
                self.path.display()
            ))
        })?;
        let experiment = project.experiments.into_iter().next().ok_or_else(|| {
            LibraryError::Content(format!("stored experiment #{id} holds no experiment"))
        })?;
        Ok(StoredExperiment {
            row,
            experiment,
            results_json,
        })
    }

    /// The study records (curves and ratios per experiment) of the filtered experiments.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn study_records(&self, filter: &Filter) -> Result<Vec<ExperimentRecord>, LibraryError> {
        let (clause, values) = filter.sql();
        // The experiments' own columns only: the study needs no file, tag or curve lists.
        let experiments_sql = format!(
            "SELECT e.id, e.name, e.date, e.passage, e.weeks_off_drug, e.z_prime, e.vehicle_od
             FROM experiments e WHERE {clause}"
        );
        let mut statement = self
            .conn
            .prepare(&experiments_sql)
            .map_err(|e| self.sqlite(&e))?;
        let mut records: BTreeMap<i64, ExperimentRecord> = statement
            .query_map(rusqlite::params_from_iter(values.iter()), |r| {
                Ok(ExperimentRecord {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    date: r.get(2)?,
                    passage: r.get(3)?,
                    weeks_off_drug: r.get(4)?,
                    z_prime: r.get(5)?,
                    vehicle_od: r.get(6)?,
                    curves: Vec::new(),
                    comparisons: Vec::new(),
                })
            })
            .map_err(|e| self.sqlite(&e))?
            .map(|record| record.map(|r| (r.id, r)))
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(&e))?;
        // Curves and ratios in rowid order (as added; a plain scan of the table, no index
        // lookups), all of them when nothing is filtered.
        let only = if filter == &Filter::default() {
            String::new()
        } else {
            format!("WHERE experiment_id IN (SELECT e.id FROM experiments e WHERE {clause})")
        };
        let params: &[SqlValue] = if only.is_empty() { &[] } else { &values };
        let curves_sql = format!(
            "SELECT experiment_id, label, line, drug, condition, status, ic50, ic50_lo, ic50_hi, bound
             FROM curves {only} ORDER BY rowid"
        );
        let mut statement = self
            .conn
            .prepare(&curves_sql)
            .map_err(|e| self.sqlite(&e))?;
        let curves = statement
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                let lo: Option<f64> = r.get(7)?;
                let hi: Option<f64> = r.get(8)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    CurveRecord {
                        label: r.get(1)?,
                        line: r.get(2)?,
                        drug: r.get(3)?,
                        condition: r.get(4)?,
                        status: r.get(5)?,
                        ic50: r.get(6)?,
                        ic50_ci95: lo.zip(hi).map(|(a, b)| [a, b]),
                        bound: r.get(9)?,
                    },
                ))
            })
            .map_err(|e| self.sqlite(&e))?;
        for curve in curves {
            let (id, curve) = curve.map_err(|e| self.sqlite(&e))?;
            if let Some(record) = records.get_mut(&id) {
                record.curves.push(curve);
            }
        }
        let comparisons_sql = format!(
            "SELECT experiment_id, kind, reference, test, status, ratio, log10_ratio, log10_ratio_se, ratio_lo, ratio_hi, p_value
             FROM comparisons {only} ORDER BY rowid"
        );
        let mut statement = self
            .conn
            .prepare(&comparisons_sql)
            .map_err(|e| self.sqlite(&e))?;
        let comparisons = statement
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                let kind: String = r.get(1)?;
                let lo: Option<f64> = r.get(8)?;
                let hi: Option<f64> = r.get(9)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    RatioRecord {
                        kind: ComparisonKind::parse(&kind).unwrap_or(ComparisonKind::Other),
                        reference: r.get(2)?,
                        test: r.get(3)?,
                        status: r.get(4)?,
                        ratio: r.get(5)?,
                        log10_ratio: r.get(6)?,
                        log10_ratio_se: r.get(7)?,
                        ratio_ci95: lo.zip(hi).map(|(a, b)| [a, b]),
                        p_value: r.get(10)?,
                    },
                ))
            })
            .map_err(|e| self.sqlite(&e))?;
        for comparison in comparisons {
            let (id, comparison) = comparison.map_err(|e| self.sqlite(&e))?;
            if let Some(record) = records.get_mut(&id) {
                record.comparisons.push(comparison);
            }
        }
        Ok(records.into_values().collect())
    }

    /// The filtered experiments as a portable bundle.
    ///
    /// # Errors
    /// SQLite errors or unreadable stored experiments.
    pub fn export(&self, filter: &Filter) -> Result<Bundle, LibraryError> {
        let mut experiments = Vec::new();
        for row in self.list(filter)? {
            let stored = self.load(row.id)?;
            experiments.push(BundleEntry {
                metadata: stored.row.metadata,
                project: Project {
                    experiments: vec![stored.experiment],
                    ..Project::default()
                },
            });
        }
        Ok(Bundle {
            format: "platefit-library-bundle".into(),
            version: 1,
            written_by: crate::report::platefit_version(),
            experiments,
        })
    }

    /// Imports a bundle (each experiment re-analysed by this platefit) in one transaction.
    ///
    /// # Errors
    /// An experiment that cannot be analysed (then nothing is imported), or SQLite errors.
    pub fn import(&mut self, bundle: &Bundle) -> Result<Vec<AddOutcome>, LibraryError> {
        let mut entries = Vec::new();
        for (idx, entry) in bundle.experiments.iter().enumerate() {
            let Some(experiment) = entry.project.experiments.first() else {
                return Err(LibraryError::Content(format!(
                    "bundle experiment {}: no experiment",
                    idx + 1
                )));
            };
            let analysis = analyze(experiment).map_err(|e| {
                LibraryError::Content(format!("bundle experiment {}: {e}", experiment.name))
            })?;
            entries.push(NewEntry {
                experiment: experiment.clone(),
                analysis,
                metadata: entry.metadata.clone(),
            });
        }
        self.add(&entries)
    }
}

fn sqlite_error(path: &Path, error: &rusqlite::Error) -> LibraryError {
    LibraryError::Sqlite {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// How long a connection waits for another one's lock (SQLite's busy timeout, and the time
/// [`Library::open`] keeps trying).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why one attempt to open a library failed: a lock held by another connection (try again)
/// or anything else.
enum Opening {
    Busy(LibraryError),
    Failed(LibraryError),
}

impl Opening {
    /// `error` (made from the SQLite error `cause`), as `Busy` when the cause is a lock.
    fn from_sqlite(cause: &rusqlite::Error, error: LibraryError) -> Self {
        match cause.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                Self::Busy(error)
            }
            _ => Self::Failed(error),
        }
    }
}

impl From<LibraryError> for Opening {
    fn from(error: LibraryError) -> Self {
        Self::Failed(error)
    }
}
