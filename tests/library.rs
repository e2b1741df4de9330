//! The lab library on real SQLite files in a tempdir: add / re-open / re-analyse, duplicate
//! detection, the migration from a v1 file, a process killed mid-batch, two writers at once,
//! damaged and foreign files, the `library` CLI and its study JSON on the sample study, and
//! `.platefit` projects as `analyze` input.

// Helpers shared by the tests unwrap like the tests themselves.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use platefit::analysis::analyze;
use platefit::cli::load_experiments;
use platefit::library::{AddOutcome, Filter, Library, Metadata, NewEntry};
use platefit::report::json::results_json;
use platefit::{AnalysisSettings, Project};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn study_file(name: &str) -> PathBuf {
    root().join("sample_plates/study").join(name)
}

const EXPERIMENTS: [(&str, &str, &str); 3] = [
    ("flumatinib_exp1_p12.csv", "2026-09-07", "12"),
    ("flumatinib_exp2_p19.csv", "2026-09-21", "19"),
    ("flumatinib_exp3_p27.csv", "2026-10-05", "27"),
];
const REVERSAL: &str = "flumatinib_ivermectin_reversal_p30.csv";

fn platefit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platefit"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the platefit binary runs")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn entries_for(files: &[PathBuf], metadata: &Metadata) -> Vec<NewEntry> {
    load_experiments(files, None, &AnalysisSettings::default(), false)
        .unwrap()
        .into_iter()
        .map(|experiment| NewEntry {
            analysis: analyze(&experiment).unwrap(),
            experiment,
            metadata: metadata.clone(),
        })
        .collect()
}

/// The sample study in a library: three resistance experiments and the reversal plate.
fn sample_library(path: &Path) {
    for (file, date, passage) in EXPERIMENTS {
        let file = study_file(file);
        ok(&platefit(&[
            "library",
            "--library",
            path.to_str().unwrap(),
            "add",
            file.to_str().unwrap(),
            "--meta",
            &format!("date={date}"),
            "--meta",
            &format!("passage={passage}"),
            "--meta",
            "operator=AK",
            "--meta",
            "tag=resistance",
        ]));
    }
    let reversal = study_file(REVERSAL);
    ok(&platefit(&[
        "library",
        "--library",
        path.to_str().unwrap(),
        "add",
        reversal.to_str().unwrap(),
        "--meta",
        "date=2026-10-19",
        "--meta",
        "passage=30",
        "--meta",
        "operator=MB",
        "--meta",
        "tags=reversal,ivermectin",
    ]));
}

#[test]
fn add_reopen_reanalyse_gives_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.sqlite");
    sample_library(&path);
    let library = Library::open(&path).unwrap();
    assert_eq!(library.schema_version().unwrap(), 2);
    let rows = library.list(&Filter::default()).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].metadata.passage, Some(12));
    assert_eq!(rows[3].metadata.tags, vec!["ivermectin", "reversal"]);
    for row in &rows {
        let stored = library.load(row.id).unwrap();
        // The stored raw data is the file's data: the same analysis as from the file itself.
        let from_file = load_experiments(
            &[study_file(&stored.experiment.plates[0].file)],
            None,
            &AnalysisSettings::default(),
            false,
        )
        .unwrap();
        assert_eq!(from_file[0], stored.experiment);
        let again = analyze(&stored.experiment).unwrap();
        let json = results_json(std::slice::from_ref(&again), None).to_string();
        assert_eq!(json, stored.results_json, "experiment #{}", row.id);
        assert!(stored.experiment.plates[0].sha256.as_ref().unwrap().len() == 64);
    }
    // Filters.
    let by = |filter: Filter| library.list(&filter).unwrap().len();
    assert_eq!(
        by(Filter {
            line: Some("k562".into()),
            ..Filter::default()
        }),
        3
    );
    assert_eq!(
        by(Filter {
            condition: Some("+ ivermectin 2 µM".into()),
            ..Filter::default()
        }),
        1
    );
    assert_eq!(
        by(Filter {
            operator: Some("MB".into()),
            ..Filter::default()
        }),
        1
    );
    assert_eq!(
        by(Filter {
            tag: Some("resistance".into()),
            date_from: Some("2026-09-10".into()),
            date_to: Some("2026-10-05".into()),
            ..Filter::default()
        }),
        2
    );
    assert_eq!(
        by(Filter {
            drug: Some("cisplatin".into()),
            ..Filter::default()
        }),
        0
    );
    assert_eq!(library.integrity_check().unwrap(), "ok");
}

#[test]
fn the_same_file_twice_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.sqlite");
    let file = study_file(EXPERIMENTS[0].0);
    let mut library = Library::open(&path).unwrap();
    let entries = entries_for(std::slice::from_ref(&file), &Metadata::default());
    assert_eq!(library.add(&entries).unwrap(), vec![AddOutcome::Added(1)]);
    // Twice in one batch and again later: both found by hash.
    let twice: Vec<NewEntry> = entries.iter().chain(&entries).cloned().collect();
    let outcomes = library.add(&twice).unwrap();
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, AddOutcome::Duplicate { existing: 1, .. })),
        "{outcomes:?}"
    );
    drop(library);
    let output = platefit(&[
        "library",
        "--library",
        path.to_str().unwrap(),
        "add",
        file.to_str().unwrap(),
    ]);
    ok(&output);
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("1 duplicate(s) skipped") && message.contains("already #1"),
        "{message}"
    );
    assert_eq!(
        Library::open(&path)
            .unwrap()
            .list(&Filter::default())
            .unwrap()
            .len(),
        1
    );
}

fn v1_fixture() -> PathBuf {
    root().join("tests/data/library/v1.sqlite")
}

/// Writes the v1 fixture as platefit's first library schema stored an experiment: the v1
/// tables, the project JSON in `experiments`, curves without bounds, no comparisons.
fn write_v1_fixture(path: &Path) {
    let _ = std::fs::remove_file(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(platefit::library::schema::V1).unwrap();
    conn.pragma_update(
        None,
        "application_id",
        platefit::library::schema::APPLICATION_ID,
    )
    .unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    let file = root().join("sample_plates/flumatinib_K562_72h.csv");
    let experiment = load_experiments(&[file], None, &AnalysisSettings::default(), false)
        .unwrap()
        .remove(0);
    let analysis = analyze(&experiment).unwrap();
    let project = Project {
        experiments: vec![experiment.clone()],
        ..Project::default()
    };
    conn.execute(
        "INSERT INTO experiments (id, name, added_at, date, operator, passage, platefit_version, project_json)
         VALUES (1, ?1, '2026-11-30', '2026-11-21', 'AK', 8, 'platefit 0.1.0', ?2)",
        rusqlite::params![experiment.name, serde_json::to_string(&project).unwrap()],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO files (experiment_id, name, sha256) VALUES (1, ?1, ?2)",
        rusqlite::params![
            experiment.plates[0].file,
            experiment.plates[0].sha256.clone().unwrap()
        ],
    )
    .unwrap();
    for curve in &analysis.curves {
        conn.execute(
            "INSERT INTO curves (experiment_id, label, line, drug, condition, status, ic50) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                curve.dose_response.label,
                curve.key.line,
                curve.key.drug,
                curve.key.condition,
                curve.fit.status.as_str(),
                curve.fit.reported_ic50()
            ],
        )
        .unwrap();
    }
}

#[test]
fn a_v1_library_is_migrated() {
    let fixture = v1_fixture();
    if !fixture.exists() || std::env::var_os("UPDATE_FIXTURES").is_some() {
        write_v1_fixture(&fixture);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    std::fs::copy(&fixture, &path).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1, "the fixture is a v1 file");
    }
    let library = Library::open(&path).unwrap();
    assert_eq!(library.schema_version().unwrap(), 2);
    let rows = library.list(&Filter::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].metadata.passage, Some(8));
    assert!(rows[0].z_prime.is_some(), "QC filled in by the migration");
    // The migration re-analysed the stored experiment: its RI is there now.
    let records = library.study_records(&Filter::default()).unwrap();
    assert_eq!(records[0].comparisons.len(), 1);
    let ratio = records[0].comparisons[0].ratio.unwrap();
    assert!(ratio > 10.0, "{ratio}");
    let stored = library.load(rows[0].id).unwrap();
    assert!(stored.results_json.contains("\"comparisons\""));
    assert_eq!(library.integrity_check().unwrap(), "ok");
    // Opening again is a no-op.
    drop(library);
    assert_eq!(
        Library::open(&path)
            .unwrap()
            .list(&Filter::default())
            .unwrap(),
        rows
    );
}

/// `n` distinct plate files (one reading changed per copy, so every hash differs), each with
/// its layout beside it.
fn many_plates(dir: &Path, n: usize) -> Vec<PathBuf> {
    let source = std::fs::read_to_string(study_file(EXPERIMENTS[0].0)).unwrap();
    let layout = std::fs::read(study_file("flumatinib_exp1_p12_layout.csv")).unwrap();
    std::fs::write(dir.join("layout.csv"), layout).unwrap();
    (0..n)
        .map(|k| {
            // A1 is a PBS edge well: changing it changes the hash, not the fits.
            let start = source.find("\nA,").unwrap() + 3;
            let end = start + source[start..].find(',').unwrap();
            let text = format!("{}0.{:06}{}", &source[..start], 50_000 + k, &source[end..]);
            assert_ne!(text, source);
            let path = dir.join(format!("plate_{k:04}.csv"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

fn count_complete(library: &Library) -> (usize, usize) {
    let rows = library.list(&Filter::default()).unwrap();
    let complete = rows
        .iter()
        .filter(|row| {
            row.files.len() == 1
                && row.curves.len() == 2
                && library
                    .load(row.id)
                    .is_ok_and(|s| !s.results_json.is_empty())
        })
        .count();
    (rows.len(), complete)
}

#[test]
fn a_process_killed_mid_batch_leaves_a_consistent_library() {
    let dir = tempfile::tempdir().unwrap();
    let files = many_plates(dir.path(), 400);
    let path = dir.path().join("lab.sqlite");
    let mut args: Vec<String> = vec![
        "library".into(),
        "--library".into(),
        path.display().to_string(),
        "add".into(),
        "--batch".into(),
        "10".into(),
        "--quiet".into(),
    ];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_platefit"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some batches are stored, then kill the writer in the middle of the run.
    let start = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let stored = Library::open(&path)
            .ok()
            .and_then(|l| l.list(&Filter::default()).ok())
            .map_or(0, |rows| rows.len());
        if stored >= 20 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the writer stored nothing"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the writer ended early"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let library = Library::open(&path).unwrap();
    assert_eq!(library.integrity_check().unwrap(), "ok");
    let (stored, complete) = count_complete(&library);
    assert!(stored < 400, "killed before the end: {stored} stored");
    assert_eq!(stored, complete, "every stored experiment is complete");
    assert_eq!(stored % 10, 0, "whole batches only: {stored}");
}

/// Several connections opening a new library at the same moment: one creates it and
/// switches it to WAL while the others wait for it. SQLite reports some of the locks met
/// on the way at once ("database is locked") instead of waiting for the busy timeout; that
/// made `two_writers_at_once` fail about one run in a hundred. `open` now tries again until
/// the busy timeout. 100 rounds of four threads meeting at a barrier (the old `open` failed
/// within the first 20 here).
#[test]
fn many_connections_open_a_new_library_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..100 {
        let path = dir.path().join(format!("lab{round}.sqlite"));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|k| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::Builder::new()
                    .name(format!("opener-{k}"))
                    .spawn(move || {
                        barrier.wait();
                        Library::open(&path).map(|library| library.schema_version())
                    })
                    .unwrap()
            })
            .collect();
        for thread in threads {
            let opened = thread.join().unwrap();
            assert!(
                matches!(opened, Ok(Ok(_))),
                "round {round}: {:?}",
                opened
                    .map(|v| v.map_err(|e| e.to_string()))
                    .map_err(|e| e.to_string())
            );
        }
        let library = Library::open(&path).unwrap();
        assert_eq!(library.integrity_check().unwrap(), "ok");
    }
}

#[test]
fn two_writers_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let files = many_plates(dir.path(), 60);
    let path = dir.path().join("lab.sqlite");
    let spawn = |part: &[PathBuf]| {
        let mut args: Vec<String> = vec![
            "library".into(),
            "--library".into(),
            path.display().to_string(),
            "add".into(),
            "--batch".into(),
            "3".into(),
        ];
        args.extend(part.iter().map(|f| f.display().to_string()));
        Command::new(env!("CARGO_BIN_EXE_platefit"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Both start on a library that does not exist yet, and both create and write it.
    let first = spawn(&files[..30]);
    let second = spawn(&files[30..]);
    // A third writer in this process, through the API, at the same time.
    let path_for_thread = path.clone();
    let extra = std::thread::Builder::new()
        .name("third-writer".into())
        .spawn(move || {
            let entries = entries_for(
                &[study_file(EXPERIMENTS[1].0)],
                &Metadata {
                    operator: Some("thread".into()),
                    ..Metadata::default()
                },
            );
            let mut library = Library::open(&path_for_thread).unwrap();
            library.add(&entries).unwrap()
        })
        .unwrap();
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        ok(&output);
    }
    assert!(matches!(extra.join().unwrap()[..], [AddOutcome::Added(_)]));
    let library = Library::open(&path).unwrap();
    assert_eq!(library.integrity_check().unwrap(), "ok");
    let (stored, complete) = count_complete(&library);
    assert_eq!((stored, complete), (61, 61));
}

#[test]
fn damaged_and_foreign_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    // Garbage bytes.
    let garbage = dir.path().join("garbage.sqlite");
    std::fs::write(
        &garbage,
        b"this is not a database at all, just text\n".repeat(200),
    )
    .unwrap();
    let err = Library::open(&garbage).unwrap_err().to_string();
    assert!(
        err.contains("not a platefit library") && err.contains("garbage.sqlite"),
        "{err}"
    );
    // Another program's SQLite database.
    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('hi');")
        .unwrap();
    let err = Library::open(&foreign).unwrap_err().to_string();
    assert!(
        err.contains("another program") && err.contains("foreign.db"),
        "{err}"
    );
    // A truncated library: the error (when opening or reading) names the file, no panic.
    let good = dir.path().join("good.sqlite");
    sample_library(&good);
    {
        // Fold the WAL into the main file first so truncation hits real data.
        let conn = rusqlite::Connection::open(&good).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.sqlite");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let result = Library::open(&truncated).and_then(|l| {
        let rows = l.list(&Filter::default())?;
        for row in rows {
            l.load(row.id)?;
        }
        l.study_records(&Filter::default())
    });
    let err = result.unwrap_err().to_string();
    assert!(err.contains("truncated.sqlite"), "{err}");
    // The CLI: exit code 2, one line naming the file.
    let output = platefit(&["library", "--library", garbage.to_str().unwrap(), "list"]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("garbage.sqlite") && message.lines().count() == 1,
        "{message}"
    );
    // A newer schema is refused, not damaged.
    let newer = dir.path().join("newer.sqlite");
    std::fs::copy(&good, &newer).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Library::open(&newer).unwrap_err().to_string();
    assert!(
        err.contains("newer") && err.contains("newer.sqlite"),
        "{err}"
    );
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs()
}

#[test]
fn study_json_of_the_sample_study() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.sqlite");
    sample_library(&path);
    let pdf = dir.path().join("study.pdf");
    let xlsx = dir.path().join("study.xlsx");
    let out = ok(&platefit(&[
        "library",
        "--library",
        path.to_str().unwrap(),
        "study",
        "--json",
        "-",
        "--report",
        pdf.to_str().unwrap(),
        "--xlsx",
        xlsx.to_str().unwrap(),
        "--report-date",
        "2026-12-03",
    ]));
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["experiments"], 4);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    let groups = json["groups"].as_array().unwrap();
    let group = |label: &str| {
        groups
            .iter()
            .find(|g| g["label"] == label)
            .unwrap_or_else(|| panic!("no group {label}"))
    };
    let parental = group("K562 · flumatinib");
    for key in [
        "line",
        "drug",
        "condition",
        "experiments",
        "n",
        "geometric_mean_ic50",
        "ic50_ci95",
    ] {
        assert!(parental.get(key).is_some(), "{key}");
    }
    assert_eq!(parental["n"], 3);
    for e in parental["experiments"].as_array().unwrap() {
        for key in ["id", "date", "passage", "ic50", "status"] {
            assert!(e.get(key).is_some(), "{key}");
        }
    }
    // The geometric mean is 10^mean(log10 IC50) of the listed experiments.
    let logs: Vec<f64> = parental["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ic50"].as_f64().unwrap().log10())
        .collect();
    let mean = logs.iter().sum::<f64>() / 3.0;
    assert!(close(
        parental["geometric_mean_ic50"].as_f64().unwrap(),
        10f64.powf(mean)
    ));
    // K562/FLM appears in 4 experiments (3 + the reversal plate's drug-alone curve).
    assert_eq!(group("K562/FLM · flumatinib")["n"], 4);
    // The modulator alone is its own group (toxicity control).
    assert!(groups.iter().any(|g| g["drug"] == "ivermectin"));
    let comparisons = json["comparisons"].as_array().unwrap();
    let resistance = comparisons
        .iter()
        .find(|c| c["kind"] == "resistance")
        .unwrap();
    assert_eq!(resistance["reference"], "K562 · flumatinib");
    assert_eq!(resistance["test"], "K562/FLM · flumatinib");
    assert_eq!(resistance["n"], 3);
    let per: Vec<(f64, f64)> = resistance["per_experiment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["ratio"].as_f64().unwrap().log10(),
                e["log10_ratio_se"].as_f64().unwrap(),
            )
        })
        .collect();
    let mean = per.iter().map(|p| p.0).sum::<f64>() / 3.0;
    let ri = resistance["geometric_mean_ratio"].as_f64().unwrap();
    assert!(close(ri, 10f64.powf(mean)), "{ri}");
    // The sample's truth is RI ≈ 45: resistance is there, and the t test says so.
    assert!((20.0..100.0).contains(&ri), "{ri}");
    assert!(resistance["t_test_p"].as_f64().unwrap() < 0.01);
    let ci = resistance["ratio_ci95"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() < ri && ri < ci[1].as_f64().unwrap());
    for key in ["ratio", "ratio_ci95", "tau2", "i2", "method"] {
        assert!(resistance["meta"].get(key).is_some(), "meta.{key}");
    }
    assert_eq!(resistance["meta"]["method"], "DerSimonian-Laird");
    // DL by hand from the per-experiment estimates.
    let w: Vec<f64> = per.iter().map(|p| 1.0 / (p.1 * p.1)).collect();
    let sw: f64 = w.iter().sum();
    let fixed = per.iter().zip(&w).map(|(p, w)| w * p.0).sum::<f64>() / sw;
    let q: f64 = per
        .iter()
        .zip(&w)
        .map(|(p, w)| w * (p.0 - fixed).powi(2))
        .sum();
    let tau2 = ((q - 2.0) / (sw - w.iter().map(|x| x * x).sum::<f64>() / sw)).max(0.0);
    assert!((resistance["meta"]["tau2"].as_f64().unwrap() - tau2).abs() < 1e-12);
    // The reversal: RF = IC50(flumatinib alone)/IC50(flumatinib + ivermectin), truth 5.5.
    let reversal = comparisons
        .iter()
        .find(|c| c["kind"] == "reversal")
        .unwrap();
    assert_eq!(reversal["test"], "K562/FLM · flumatinib");
    assert_eq!(
        reversal["reference"],
        "K562/FLM · flumatinib · + ivermectin 2 µM"
    );
    assert_eq!(
        reversal["modulator_alone"]["curve"],
        "K562/FLM · ivermectin"
    );
    let rf = reversal["per_experiment"][0]["ratio"].as_f64().unwrap();
    assert!((2.5..12.0).contains(&rf), "{rf}");
    assert!(reversal["per_experiment"][0]["f_test_p"].as_f64().unwrap() < 0.001);
    // Control charts: K562 log10 IC50, Z′, vehicle OD; limits are mean ± 2/3 SD.
    let charts = json["control_charts"].as_array().unwrap();
    let lj = charts
        .iter()
        .find(|c| c["quantity"] == "log10 IC50 K562 · flumatinib")
        .unwrap();
    let m = lj["mean"].as_f64().unwrap();
    let sd = lj["sd"].as_f64().unwrap();
    assert!(close(m, logs.iter().sum::<f64>() / 3.0));
    let limits = lj["limits_3sd"].as_array().unwrap();
    assert!(close(limits[1].as_f64().unwrap(), m + 3.0 * sd));
    assert!(charts.iter().any(|c| c["quantity"] == "Z′"));
    assert!(json["tests_explained"].as_array().unwrap().len() >= 3);
    // Filtered study and text output.
    let text = ok(&platefit(&[
        "library",
        "--library",
        path.to_str().unwrap(),
        "study",
        "--tag",
        "resistance",
    ]));
    assert!(text.contains("one-sample t test"), "{text}");
    assert!(!text.contains("RF "), "{text}");
}

#[test]
fn list_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.sqlite");
    sample_library(&path);
    let list: Value = serde_json::from_str(&ok(&platefit(&[
        "library",
        "--library",
        path.to_str().unwrap(),
        "list",
        "--line",
        "K562",
        "--json",
        "-",
    ])))
    .unwrap();
    assert_eq!(list["experiments"].as_array().unwrap().len(), 3);
    let bundle = dir.path().join("study.json");
    ok(&platefit(&[
        "library",
        "--library",
        path.to_str().unwrap(),
        "export",
        bundle.to_str().unwrap(),
        "--tag",
        "resistance",
    ]));
    let other = dir.path().join("other.sqlite");
    let import = platefit(&[
        "library",
        "--library",
        other.to_str().unwrap(),
        "import",
        bundle.to_str().unwrap(),
    ]);
    ok(&import);
    let imported = Library::open(&other).unwrap();
    let rows = imported.list(&Filter::default()).unwrap();
    assert_eq!(rows.len(), 3);
    let original = Library::open(&path).unwrap();
    for (row, again) in original.list(&Filter::default()).unwrap().iter().zip(&rows) {
        assert_eq!(row.metadata, again.metadata);
        assert_eq!(
            original.load(row.id).unwrap().results_json,
            imported.load(again.id).unwrap().results_json
        );
    }
    // Importing again: all duplicates.
    let again = platefit(&[
        "library",
        "--library",
        other.to_str().unwrap(),
        "import",
        bundle.to_str().unwrap(),
    ]);
    ok(&again);
    assert!(String::from_utf8_lossy(&again.stderr).contains("3 duplicate(s)"));
    // A bad bundle names the file.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"format\": \"something else\"}").unwrap();
    let output = platefit(&[
        "library",
        "--library",
        other.to_str().unwrap(),
        "import",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad.json"));
}

#[test]
fn metadata_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.sqlite");
    let file = study_file(EXPERIMENTS[0].0);
    for (meta, expected) in [
        ("date=21.11.2026", "YYYY-MM-DD"),
        ("passage=ten", "whole number"),
        ("colour=blue", "unknown metadata key"),
        ("passage", "key=value"),
    ] {
        let output = platefit(&[
            "library",
            "--library",
            path.to_str().unwrap(),
            "add",
            file.to_str().unwrap(),
            "--meta",
            meta,
        ]);
        assert_eq!(output.status.code(), Some(2), "{meta}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains(expected), "{meta}: {message}");
    }
}

#[test]
fn analyze_accepts_platefit_projects() {
    let dir = tempfile::tempdir().unwrap();
    let file = study_file(REVERSAL);
    let experiments = load_experiments(
        std::slice::from_ref(&file),
        None,
        &AnalysisSettings::default(),
        false,
    )
    .unwrap();
    let project = Project {
        experiments,
        ..Project::default()
    };
    let project_path = dir.path().join("reversal.platefit");
    project.save(&project_path).unwrap();
    let from_project = ok(&platefit(&[
        "analyze",
        project_path.to_str().unwrap(),
        "--json",
        "-",
    ]));
    let from_file = ok(&platefit(&[
        "analyze",
        file.to_str().unwrap(),
        "--json",
        "-",
    ]));
    assert_eq!(from_project, from_file);
    let json: Value = serde_json::from_str(&from_file).unwrap();
    // The reversal plate's comparison on the plate: RF with its F test.
    let comparisons = json["comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), 1, "{comparisons:?}");
    assert_eq!(comparisons[0]["test"], "K562/FLM · flumatinib");
    // `report` too.
    let pdf = dir.path().join("summary.pdf");
    ok(&platefit(&[
        "report",
        project_path.to_str().unwrap(),
        "--out",
        pdf.to_str().unwrap(),
    ]));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
}

#[test]
fn explicit_pairs_from_the_command_line() {
    // Rename K562/FLM to K562R in a copy of the sample: the naming rule pairs it, and
    // --compare chooses another pair.
    let dir = tempfile::tempdir().unwrap();
    let plate = dir.path().join("plate.csv");
    std::fs::copy(study_file(EXPERIMENTS[0].0), &plate).unwrap();
    let layout = std::fs::read_to_string(study_file("flumatinib_exp1_p12_layout.csv"))
        .unwrap()
        .replace("K562/FLM", "K562 FLM-res");
    std::fs::write(dir.path().join("plate_layout.csv"), layout).unwrap();
    let json: Value = serde_json::from_str(&ok(&platefit(&[
        "analyze",
        plate.to_str().unwrap(),
        "--json",
        "-",
    ])))
    .unwrap();
    assert_eq!(json["comparisons"][0]["test"], "K562 FLM-res · flumatinib");
    assert_eq!(json["comparisons"][0]["reference"], "K562 · flumatinib");
    let json: Value = serde_json::from_str(&ok(&platefit(&[
        "analyze",
        plate.to_str().unwrap(),
        "--compare",
        "K562 vs K562 FLM-res",
        "--json",
        "-",
    ])))
    .unwrap();
    assert_eq!(json["comparisons"][0]["test"], "K562 · flumatinib");
    assert_eq!(
        json["comparisons"][0]["reference"],
        "K562 FLM-res · flumatinib"
    );
    let ri = json["comparisons"][0]["ratio"].as_f64().unwrap();
    assert!(ri < 0.1, "{ri}");
}
