//! Profiling driver for the lab library: repeats one library query so callgrind/perf can
//! attribute its cost. The library of the benchmark (10,000 experiments) is generated at
//! PATH on the first run and reused after.
//!
//! `cargo run --profile dev --example library_loop -- PATH list|filtered|study|study-filtered N`

#[path = "../benches/common/library_data.rs"]
mod library_data;

use platefit::library::{Filter, Library};
use platefit::study::{StudyOptions, study};
use std::hint::black_box;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().unwrap_or_else(|| "library-bench.sqlite".into()));
    let what = args.next().unwrap_or_else(|| "list".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let library = if path.exists() {
        Library::open(&path).expect("library opens")
    } else {
        library_data::generate(&path)
    };
    let start = std::time::Instant::now();
    for _ in 0..n {
        match what.as_str() {
            "list" => drop(black_box(library.list(&Filter::default()).expect("list"))),
            "filtered" => drop(black_box(
                library.list(&library_data::filtered()).expect("list"),
            )),
            "study" | "study-filtered" => {
                let filter = if what == "study" {
                    Filter::default()
                } else {
                    library_data::filtered()
                };
                let records = library.study_records(&filter).expect("records");
                black_box(study(&records, &StudyOptions::default()));
            }
            other => panic!("unknown {other:?}: list, filtered, study or study-filtered"),
        }
    }
    println!(
        "{what}: {:.2} ms per run ({} experiments)",
        start.elapsed().as_secs_f64() * 1e3 / n as f64,
        library_data::EXPERIMENTS
    );
}
