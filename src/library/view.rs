//! Queries and helpers for a browsing view of the library (the app's Library view): the
//! distinct values the filters offer, free-text search over list rows, and dates as day
//! numbers for trend charts. Plain Rust over the library file, no GUI types.
//!
//! [`facets`] reads through its own read-only connection (the library runs in WAL mode, so
//! it never blocks a writer); open the file with
//! [`Library::open`](crate::library::Library::open) first, which creates or migrates it.
//!
//! The module is declared in `lib.rs` as `library_view` (`#[path]`), so that this file can
//! grow without touching `library/mod.rs`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::library::{ExperimentRow, LibraryError};

/// The distinct values stored in a library, for the filters' choices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Number of experiments.
    pub experiments: usize,
    /// Cell lines.
    pub lines: Vec<String>,
    /// Drugs.
    pub drugs: Vec<String>,
    /// Conditions (co-treatments); the empty condition is left out.
    pub conditions: Vec<String>,
    /// Operators.
    pub operators: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// First and last experiment date, when any is recorded.
    pub date_range: Option<(String, String)>,
}

fn sqlite(path: &Path, error: &rusqlite::Error) -> LibraryError {
    LibraryError::Sqlite {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

fn distinct(conn: &Connection, path: &Path, sql: &str) -> Result<Vec<String>, LibraryError> {
    let mut statement = conn.prepare(sql).map_err(|e| sqlite(path, &e))?;
    let values = statement
        .query_map([], |r| r.get::<_, Option<String>>(0))
        .map_err(|e| sqlite(path, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sqlite(path, &e))?;
    Ok(values
        .into_iter()
        .flatten()
        .filter(|v| !v.trim().is_empty())
        .collect())
}

/// The distinct lines, drugs, conditions, operators and tags of a library file (sorted,
/// case-insensitively), its number of experiments and its date range.
///
/// # Errors
/// The file cannot be read as a library.
pub fn facets(path: &Path) -> Result<Facets, LibraryError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sqlite(path, &e))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| sqlite(path, &e))?;
    let experiments: i64 = conn
        .query_row("SELECT count(*) FROM experiments", [], |r| r.get(0))
        .map_err(|e| sqlite(path, &e))?;
    let date_range: (Option<String>, Option<String>) = conn
        .query_row(
            "SELECT min(date), max(date) FROM experiments WHERE date IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| sqlite(path, &e))?;
    let by = |column: &str, table: &str| {
        format!(
            "SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY {column} COLLATE NOCASE"
        )
    };
    Ok(Facets {
        experiments: usize::try_from(experiments).unwrap_or(0),
        lines: distinct(&conn, path, &by("line", "curves"))?,
        drugs: distinct(&conn, path, &by("drug", "curves"))?,
        conditions: distinct(&conn, path, &by("condition", "curves"))?,
        operators: distinct(&conn, path, &by("operator", "experiments"))?,
        tags: distinct(&conn, path, &by("tag", "tags"))?,
        date_range: match date_range {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        },
    })
}

/// The text a free-text search looks in, lower case: name, date, operator, passage, drug
/// lot, barcode, notes, tags, file names and curve labels.
#[must_use]
pub fn search_text(row: &ExperimentRow) -> String {
    let m = &row.metadata;
    let mut parts: Vec<String> = vec![format!("#{}", row.id), row.name.clone()];
    parts.extend(m.date.clone());
    parts.extend(m.operator.clone());
    parts.extend(m.passage.map(|p| format!("p{p} passage {p}")));
    parts.extend(m.drug_lot.clone());
    parts.extend(m.barcode.clone());
    parts.extend(m.notes.clone());
    parts.extend(m.tags.iter().cloned());
    parts.extend(row.files.iter().cloned());
    parts.extend(row.curves.iter().cloned());
    parts.join("\u{1f}").to_lowercase()
}

/// Whether `haystack` (from [`search_text`]) holds every word of `query` (case-insensitive;
/// an empty query matches everything).
#[must_use]
pub fn matches_search(haystack: &str, query: &str) -> bool {
    query
        .split_whitespace()
        .all(|word| haystack.contains(&word.to_lowercase()))
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian), for date axes.
#[must_use]
pub fn days_from_date(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.get(..2)?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days-from-civil, the inverse of `calendar::civil_from_days`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (crate::calendar::civil_from_days(days) == (year, month, day)).then_some(days)
}

/// The `YYYY-MM-DD` of a day number (see [`days_from_date`]).
#[must_use]
pub fn date_from_days(days: i64) -> String {
    let (y, m, d) = crate::calendar::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::Metadata;

    #[test]
    fn dates_round_trip_and_bad_dates_are_refused() {
        assert_eq!(days_from_date("1970-01-01"), Some(0));
        assert_eq!(days_from_date("2000-02-29"), Some(11_016));
        assert_eq!(days_from_date("2026-11-22"), Some(20_779));
        for days in [-700_000, -1, 0, 59, 60, 20_000, 400_000] {
            assert_eq!(days_from_date(&date_from_days(days)), Some(days));
        }
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "2026-1",
            "x-y-z",
            "2025-02-29",
        ] {
            assert_eq!(days_from_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn search_matches_every_word_in_any_field() {
        let row = ExperimentRow {
            id: 7,
            name: "flumatinib_exp2".into(),
            added_at: "2026-10-01".into(),
            metadata: Metadata {
                date: Some("2026-09-21".into()),
                operator: Some("AK".into()),
                passage: Some(19),
                barcode: Some("PL-00042".into()),
                tags: vec!["reversal".into()],
                ..Metadata::default()
            },
            z_prime: None,
            vehicle_od: None,
            qc_pass: Some(true),
            platefit_version: "platefit 0.1.0".into(),
            files: vec!["exp2.csv".into()],
            curves: vec!["K562/FLM · flumatinib".into()],
        };
        let text = search_text(&row);
        assert!(matches_search(&text, ""));
        assert!(matches_search(&text, "ak k562/flm"));
        assert!(matches_search(&text, "pl-00042 Reversal"));
        assert!(matches_search(&text, "p19"));
        assert!(matches_search(&text, "#7"));
        assert!(!matches_search(&text, "ak imatinib"));
    }
}
