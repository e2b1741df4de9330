//! Profiling driver: repeats one piece of the analysis so callgrind/perf can attribute cost.
//! `cargo run --release --example fit_loop -- fit|profile|plate N`, or
//! `cargo run --release --example fit_loop -- points FILE N` for every curve of a points
//! file (`curve,conc,response`, as `platefit fit` reads it) with the profile CI.
use platefit::analysis::{Experiment, PlateInput, analyze};
use platefit::fit::{FitOptions, fit_4pl};
use platefit::layout::parse_layout;
use platefit::report::json::results_json;

const PLATE: &[u8] = include_bytes!("../sample_plates/flumatinib_K562_72h.csv");
const LAYOUT: &str = include_str!("../sample_plates/flumatinib_K562_72h_layout.csv");

fn experiment() -> Experiment {
    let imported = platefit::import::import_bytes(PLATE).expect("sample");
    Experiment {
        name: "profile".into(),
        plates: vec![PlateInput {
            file: "sample.csv".into(),
            sha256: None,
            format: imported.format.clone(),
            plate: imported.plates[0].clone(),
            layout: parse_layout(LAYOUT).expect("layout"),
            excluded: Default::default(),
        }],
        settings: Default::default(),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "fit".into());
    if what == "points" {
        let path = std::path::PathBuf::from(args.next().unwrap_or_default());
        let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
        let curves = platefit::cli::read_points(&path).expect("points file");
        let start = std::time::Instant::now();
        let mut sink = 0usize;
        for _ in 0..n {
            for curve in &curves {
                sink += fit_4pl(curve, &FitOptions::default()).map_or(0, |f| f.evaluations);
            }
        }
        let per = start.elapsed().as_secs_f64() / (n * curves.len().max(1)) as f64;
        eprintln!("points: {:.1} µs per curve ({sink})", per * 1e6);
        return;
    }
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let experiment = experiment();
    let analysis = analyze(&experiment).expect("analysis");
    let start = std::time::Instant::now();
    let mut sink = 0usize;
    for _ in 0..n {
        match what.as_str() {
            "fit" | "profile" => {
                for curve in &analysis.curves {
                    let options = FitOptions {
                        profile_ci: what == "profile",
                        ..FitOptions::default()
                    };
                    let fit = fit_4pl(&curve.dose_response, &options).expect("fit");
                    sink += fit.evaluations;
                }
            }
            _ => {
                let analysis = analyze(&experiment).expect("analysis");
                sink += serde_json::to_string(&results_json(&[analysis], None))
                    .expect("json")
                    .len();
            }
        }
    }
    let per = start.elapsed().as_secs_f64() / n as f64;
    eprintln!("{what}: {:.1} µs per iteration ({sink})", per * 1e6);
}
