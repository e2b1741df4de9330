//! Speed of the analysis core: one 4PL fit of a 33-point curve (with and without the
//! profile-likelihood CI), every reference curve (drc's data sets, the synthetic CCK-8
//! plates in their three fit variants, the verdict cases) with all statistics, one whole
//! plate from file bytes to results JSON, and a batch of 1,000 plates on all cores.
//!
//! Before the criterion runs, the per-curve cost over all reference curves is printed as
//! median, 99th percentile and maximum (each curve timed as the median of 31 runs).

use criterion::{Criterion, criterion_group, criterion_main};
use platefit::analysis::{Experiment, PlateInput, analyze};
use platefit::fit::{FitOptions, fit_4pl};
use platefit::layout::parse_layout;
use platefit::report::json::results_json;
use rayon::prelude::*;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use platefit::DoseResponse;
use platefit::fit::{Fit, ResponseScale};
use serde_json::Value;

/// One reference curve with the options it is fitted with.
struct ReferenceCurve {
    name: String,
    points: DoseResponse,
    options: FitOptions,
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).expect("reference CSV reads");
    let headers: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let mut rows = vec![headers];
    rows.extend(
        reader
            .records()
            .map(|r| r.expect("row").iter().map(String::from).collect()),
    );
    rows
}

/// Every curve of `reference/reference.json` in each of its fit variants, and the verdict
/// cases of `verdicts/`.
fn reference_curves() -> Vec<ReferenceCurve> {
    let root = data_dir().join("reference");
    let text = std::fs::read_to_string(root.join("reference.json")).expect("reference.json");
    let reference: Value = serde_json::from_str(&text).expect("JSON");
    let mut out = Vec::new();
    for curve in reference["curves"].as_array().expect("curves") {
        let rows = read_csv(&root.join(curve["file"].as_str().expect("file")));
        let header = &rows[0];
        let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
        let conc = col(&["conc", "conc_uM", "dose"]).expect("conc column");
        let response = col(&["response", "viability_pct"]).expect("response column");
        let label = col(&["curve", "line"]);
        let name = curve["curve"].as_str().unwrap_or("");
        let synthetic = curve["source"] == "synthetic";
        for (variant, fit) in curve["fits"].as_object().expect("fits") {
            let pairs: Vec<(f64, f64)> = rows[1..]
                .iter()
                .filter(|r| name.is_empty() || label.is_some_and(|k| r[k] == name))
                .map(|r| {
                    (
                        r[conc].parse().expect("conc"),
                        r[response].parse().expect("y"),
                    )
                })
                .filter(|(c, _)| !synthetic || variant == "ll4_with_vehicle" || *c > 0.0)
                .collect();
            out.push(ReferenceCurve {
                name: format!("{} [{variant}]", curve["id"].as_str().unwrap_or("?")),
                points: DoseResponse::from_pairs("curve", &pairs),
                options: FitOptions {
                    fix_bottom: fit["fixed"]["c"].as_f64(),
                    fix_top: fit["fixed"]["d"].as_f64(),
                    scale: if synthetic {
                        ResponseScale::Percent
                    } else {
                        ResponseScale::Raw
                    },
                    profile_ci: true,
                },
            });
        }
    }
    let mut cases: Vec<PathBuf> = std::fs::read_dir(data_dir().join("verdicts"))
        .expect("verdict cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    cases.sort();
    for path in cases {
        let curves = platefit::cli::read_points(&path).expect("points");
        for points in curves {
            out.push(ReferenceCurve {
                name: format!("{}", path.file_name().expect("name").to_string_lossy()),
                points,
                options: FitOptions::default(),
            });
        }
    }
    out
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Times every reference curve (fit with verdict, with and without the profile CI) and
/// prints the distribution of the per-curve cost.
fn print_distribution(curves: &[ReferenceCurve]) {
    for profile_ci in [false, true] {
        let mut times: Vec<(f64, &str)> = curves
            .iter()
            .map(|curve| {
                let options = FitOptions {
                    profile_ci: profile_ci && curve.options.profile_ci,
                    ..curve.options
                };
                let mut runs: Vec<f64> = (0..31)
                    .map(|_| {
                        let start = Instant::now();
                        let fit: Fit = fit_4pl(black_box(&curve.points), &options).expect("fit");
                        black_box(fit);
                        start.elapsed().as_secs_f64()
                    })
                    .collect();
                (median(&mut runs), curve.name.as_str())
            })
            .collect();
        times.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = times.len();
        let at = |q: f64| times[((q * (n - 1) as f64).round() as usize).min(n - 1)].0 * 1e6;
        let mean = times.iter().map(|t| t.0).sum::<f64>() / n as f64 * 1e6;
        let with = if profile_ci { "with" } else { "without" };
        println!(
            "reference curves: {n} fits {with} profile CI; per curve median {:.1} µs, mean {mean:.1} µs, p99 {:.1} µs, max {:.1} µs",
            at(0.5),
            at(0.99),
            at(1.0)
        );
        for (t, name) in times.iter().rev().take(5) {
            println!("  slowest: {:>8.1} µs  {name}", t * 1e6);
        }
    }
}

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
    let curves = reference_curves();
    print_distribution(&curves);
    c.bench_function("reference_curves/all_with_profile_ci", |b| {
        b.iter(|| {
            curves
                .iter()
                .map(|curve| fit_4pl(black_box(&curve.points), &curve.options).map_or(0, |f| f.n))
                .sum::<usize>()
        })
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
