//! Speed of the analysis core: one 4PL fit of a 33-point curve (with and without the
//! profile-likelihood CI), one whole plate from file bytes to results JSON, and a batch of
//! 1,000 plates on all cores. Inputs are the bundled sample, passed in as arguments.

use criterion::{Criterion, criterion_group, criterion_main};
use platefit::analysis::{Experiment, PlateInput, analyze};
use platefit::fit::{FitOptions, fit_4pl};
use platefit::layout::parse_layout;
use platefit::report::json::results_json;
use rayon::prelude::*;
use std::hint::black_box;

const PLATE: &[u8] = include_bytes!("../sample_plates/flumatinib_K562_72h.csv");
const LAYOUT: &str = include_str!("../sample_plates/flumatinib_K562_72h_layout.csv");

fn plate_to_json(plate: &[u8], layout: &str) -> String {
    let imported = platefit::import::import_bytes(plate).expect("sample imports");
    let layout = parse_layout(layout).expect("sample layout");
    let experiment = Experiment {
        name: "bench".into(),
        plates: imported
            .plates
            .into_iter()
            .map(|plate| PlateInput {
                file: "sample.csv".into(),
                sha256: None,
                format: imported.format.clone(),
                plate,
                layout: layout.clone(),
                excluded: Default::default(),
            })
            .collect(),
        settings: Default::default(),
    };
    let analysis = analyze(&experiment).expect("sample analyses");
    serde_json::to_string(&results_json(&[analysis], None)).expect("json")
}

fn benches(c: &mut Criterion) {
    let analysis = {
        let imported = platefit::import::import_bytes(PLATE).expect("sample");
        let experiment = Experiment {
            name: "bench".into(),
            plates: vec![PlateInput {
                file: "sample.csv".into(),
                sha256: None,
                format: imported.format.clone(),
                plate: imported.plates[0].clone(),
                layout: parse_layout(LAYOUT).expect("layout"),
                excluded: Default::default(),
            }],
            settings: Default::default(),
        };
        analyze(&experiment).expect("analysis")
    };
    let curve = analysis.curves[0].dose_response.clone();
    assert_eq!(curve.points.len(), 33);
    let no_profile = FitOptions {
        profile_ci: false,
        ..FitOptions::default()
    };
    c.bench_function("fit_4pl/33_points", |b| {
        b.iter(|| fit_4pl(black_box(&curve), black_box(&no_profile)))
    });
    c.bench_function("fit_4pl/33_points_with_profile_ci", |b| {
        b.iter(|| fit_4pl(black_box(&curve), black_box(&FitOptions::default())))
    });
    c.bench_function("plate/file_to_json", |b| {
        b.iter(|| plate_to_json(black_box(PLATE), black_box(LAYOUT)))
    });
    let mut group = c.benchmark_group("batch");
    group.sample_size(10);
    group.bench_function("1000_plates_parallel", |b| {
        b.iter(|| {
            (0..1000)
                .into_par_iter()
                .map(|_| plate_to_json(PLATE, LAYOUT).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(fit, benches);
criterion_main!(fit);
