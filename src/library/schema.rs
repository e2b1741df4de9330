//! The library's SQLite schema and its migrations.
//!
//! `PRAGMA user_version` holds the schema version and `PRAGMA application_id` marks the file
//! as a platefit library. A new file is created at version 1 and migrated step by step, so
//! the path from every earlier version is the path every new library takes. Each migration
//! runs inside the caller's transaction.

use rusqlite::{Connection, params};

use crate::analysis::analyze;
use crate::project::Project;

/// `PRAGMA application_id` of a platefit library (`"plft"`).
pub const APPLICATION_ID: i32 = 0x706C_6674;

/// The schema version this platefit writes.
pub const SCHEMA_VERSION: i32 = 2;

/// The first schema: experiments with their project JSON, files with hashes, curves.
pub const V1: &str = "
CREATE TABLE experiments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    added_at TEXT NOT NULL,
    date TEXT,
    operator TEXT,
    passage INTEGER,
    drug_lot TEXT,
    barcode TEXT,
    notes TEXT,
    platefit_version TEXT NOT NULL,
    project_json TEXT NOT NULL
);
CREATE TABLE files (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE INDEX files_sha256 ON files(sha256);
CREATE TABLE curves (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    line TEXT NOT NULL,
    drug TEXT NOT NULL,
    condition TEXT NOT NULL,
    status TEXT NOT NULL,
    ic50 REAL,
    ic50_lo REAL,
    ic50_hi REAL
);
";

/// Version 2: payloads in their own table (lists stay fast), results JSON, tags, plate QC,
/// per-experiment comparisons (RI, RF) and indexes for the filters.
const V1_TO_V2: &str = "
CREATE TABLE payloads (
    experiment_id INTEGER PRIMARY KEY REFERENCES experiments(id) ON DELETE CASCADE,
    project_json TEXT NOT NULL,
    results_json TEXT NOT NULL DEFAULT ''
);
INSERT INTO payloads (experiment_id, project_json) SELECT id, project_json FROM experiments;
ALTER TABLE experiments DROP COLUMN project_json;
ALTER TABLE experiments ADD COLUMN weeks_off_drug REAL;
ALTER TABLE experiments ADD COLUMN z_prime REAL;
ALTER TABLE experiments ADD COLUMN vehicle_od REAL;
ALTER TABLE experiments ADD COLUMN qc_pass INTEGER;
ALTER TABLE curves ADD COLUMN bound TEXT;
CREATE TABLE tags (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (experiment_id, tag)
);
CREATE TABLE comparisons (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    test TEXT NOT NULL,
    status TEXT NOT NULL,
    ratio REAL,
    log10_ratio REAL,
    log10_ratio_se REAL,
    ratio_lo REAL,
    ratio_hi REAL,
    f REAL,
    p_value REAL
);
CREATE INDEX files_experiment ON files(experiment_id);
CREATE INDEX curves_experiment ON curves(experiment_id);
CREATE INDEX curves_line_drug ON curves(line, drug, condition);
CREATE INDEX comparisons_experiment ON comparisons(experiment_id);
CREATE INDEX experiments_date ON experiments(date);
CREATE INDEX tags_tag ON tags(tag);
";

/// Creates the schema in an empty database (version 1, then every migration).
///
/// # Errors
/// SQLite errors.
pub fn create(conn: &Connection) -> Result<(), String> {
    conn.execute_batch(V1).map_err(|e| e.to_string())?;
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(|e| e.to_string())?;
    conn.pragma_update(None, "user_version", 1)
        .map_err(|e| e.to_string())?;
    migrate(conn, 1)
}

/// Migrates from `from` to [`SCHEMA_VERSION`].
///
/// # Errors
/// SQLite errors, or a stored experiment that can no longer be read.
pub fn migrate(conn: &Connection, from: i32) -> Result<(), String> {
    if from < 2 {
        conn.execute_batch(V1_TO_V2).map_err(|e| e.to_string())?;
        backfill_v2(conn)?;
        conn.pragma_update(None, "user_version", 2)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Version 2 stores results that version 1 did not: re-analyse every stored experiment
/// (its stored raw data and settings) and fill them in.
fn backfill_v2(conn: &Connection) -> Result<(), String> {
    let stored: Vec<(i64, String)> = {
        let mut statement = conn
            .prepare("SELECT experiment_id, project_json FROM payloads ORDER BY experiment_id")
            .map_err(|e| e.to_string())?;
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| e.to_string())?
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?
    };
    for (id, json) in stored {
        let project =
            Project::from_json(&json).map_err(|e| format!("stored experiment #{id}: {e}"))?;
        let Some(experiment) = project.experiments.first() else {
            return Err(format!("stored experiment #{id} holds no experiment"));
        };
        let analysis = analyze(experiment).map_err(|e| format!("stored experiment #{id}: {e}"))?;
        conn.execute("DELETE FROM curves WHERE experiment_id = ?1", params![id])
            .map_err(|e| e.to_string())?;
        super::write_results(conn, id, &analysis).map_err(|e| e.to_string())?;
    }
    Ok(())
}
