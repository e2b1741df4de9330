//! Speed of the lab library at 10,000 experiments: list all, list with filters, and the
//! study statistics with the control-chart data over the whole library.
//!
//! The library is generated once into a temporary folder (`common/library_data.rs`, shared
//! with `examples/library_loop.rs`, the profiling driver).

#[path = "common/library_data.rs"]
mod library_data;

use criterion::{Criterion, criterion_group, criterion_main};
use library_data::{EXPERIMENTS, filtered, generate};
use platefit::library::Filter;
use platefit::study::{StudyOptions, study};
use std::hint::black_box;

fn library_bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = generate(&dir.path().join("bench.sqlite"));
    assert_eq!(
        library.list(&Filter::default()).expect("list").len(),
        EXPERIMENTS
    );
    let filtered = filtered();
    c.bench_function("library list 10000 (all)", |b| {
        b.iter(|| black_box(library.list(black_box(&Filter::default())).expect("list")));
    });
    c.bench_function("library list 10000 (line+operator+dates+tag)", |b| {
        b.iter(|| black_box(library.list(black_box(&filtered)).expect("list")));
    });
    c.bench_function("library study 10000 (records + statistics + charts)", |b| {
        b.iter(|| {
            let records = library
                .study_records(black_box(&Filter::default()))
                .expect("records");
            black_box(study(&records, &StudyOptions::default()))
        });
    });
    c.bench_function("library study 10000 filtered", |b| {
        b.iter(|| {
            let records = library
                .study_records(black_box(&filtered))
                .expect("records");
            black_box(study(&records, &StudyOptions::default()))
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = library_bench
}
criterion_main!(benches);
