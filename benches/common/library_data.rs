//! The generated lab library of the library benchmark and the `library_loop` profiling
//! driver: the four sample-study plates, analysed once, stored 2,500 times each with their own
//! dates, passages, operators, tags and file hashes (so the IC50s repeat every four
//! experiments; the statistics' cost does not depend on the values).

use platefit::analysis::{AnalysisSettings, analyze};
use platefit::cli::load_experiments;
use platefit::library::{Filter, Library, Metadata, NewEntry};
use std::path::{Path, PathBuf};

/// How many experiments the library holds.
pub const EXPERIMENTS: usize = 10_000;

/// The filter the benchmark times: line + operator + a two-year date range + tag.
pub fn filtered() -> Filter {
    Filter {
        line: Some("K562".into()),
        operator: Some("MB".into()),
        date_from: Some("2021-01-01".into()),
        date_to: Some("2022-12-31".into()),
        tag: Some("resistance".into()),
        ..Filter::default()
    }
}

/// Writes the library at `path` (which must not exist yet) and returns it open.
pub fn generate(path: &Path) -> Library {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_plates/study");
    let files: Vec<PathBuf> = [
        "flumatinib_exp1_p12.csv",
        "flumatinib_exp2_p19.csv",
        "flumatinib_exp3_p27.csv",
        "flumatinib_ivermectin_reversal_p30.csv",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    let base: Vec<_> = load_experiments(&files, None, &AnalysisSettings::default(), false)
        .expect("sample study loads")
        .into_iter()
        .map(|e| {
            let analysis = analyze(&e).expect("sample study analyses");
            (e, analysis)
        })
        .collect();
    let mut library = Library::open(path).expect("library opens");
    let mut entries = Vec::new();
    for k in 0..EXPERIMENTS {
        let (experiment, analysis) = &base[k % base.len()];
        let mut experiment = experiment.clone();
        experiment.plates[0].sha256 = Some(format!("{k:064x}"));
        let day = k / 4;
        let metadata = Metadata {
            date: Some(format!(
                "{}-{:02}-{:02}",
                2020 + day / 360,
                (day / 30) % 12 + 1,
                day % 30 + 1
            )),
            passage: Some((k % 60) as i64 + 5),
            operator: Some(["AK", "MB", "JS"][k % 3].into()),
            tags: vec![if k % 4 == 3 { "reversal" } else { "resistance" }.into()],
            ..Metadata::default()
        };
        entries.push(NewEntry {
            experiment,
            analysis: analysis.clone(),
            metadata,
        });
        if entries.len() == 1000 {
            library.add(&entries).expect("batch stored");
            entries.clear();
        }
    }
    library
}
