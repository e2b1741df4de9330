//! Speed through the command line, the way a user (or a script) runs platefit: the release
//! binary started once per file, timed from the outside.
//!
//! For every synthetic CCK-8 plate in `tests/data/reference/synthetic/`:
//! - each curve alone, as a points file given to `platefit fit` (the fit with its profile CI,
//!   the no-effect test, the diagnostics and the results JSON);
//! - the whole plate through `platefit analyze` (import, layout, QC, normalization, both
//!   curves, the resistance index with its F test, the JSON);
//! - all curves of all plates in one points file given to `platefit fit`, which also compares
//!   the two curves of each plate.
//!
//! Every command runs `RUNS` times; the minimum is kept (the least disturbed by other work on
//! the machine) and the median is printed beside it. The start of the process alone (`platefit
//! --version`: loading a 40 MB binary) is timed the same way and subtracted, so "per curve"
//! is what the work costs, and "with start" what a user waits for one file.
//!
//! Run with `cargo bench --bench cli` (a release build).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 21;

fn platefit() -> &'static str {
    env!("CARGO_BIN_EXE_platefit")
}

/// CPU time (user + system) used so far by this process's finished children, in ms.
fn children_cpu_ms() -> f64 {
    use nix::sys::resource::{UsageWho, getrusage};
    use nix::sys::time::TimeValLike;
    getrusage(UsageWho::RUSAGE_CHILDREN).map_or(f64::NAN, |usage| {
        (usage.user_time().num_microseconds() + usage.system_time().num_microseconds()) as f64 / 1e3
    })
}

/// One command's cost over `RUNS` runs: the minimum and median wall time and the median CPU
/// time (user + system of the process, which waiting for a busy core does not inflate), ms.
#[derive(Clone, Copy)]
struct Cost {
    wall_min: f64,
    wall_median: f64,
    cpu: f64,
}

fn time(args: &[&str]) -> Cost {
    let mut walls = Vec::with_capacity(RUNS);
    let mut cpus = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let cpu_before = children_cpu_ms();
        let start = Instant::now();
        let status = Command::new(platefit())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("platefit starts");
        walls.push(start.elapsed().as_secs_f64() * 1e3);
        cpus.push(children_cpu_ms() - cpu_before);
        assert!(status.success(), "platefit {args:?} failed");
    }
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    Cost {
        wall_min: walls[0],
        wall_median: walls[RUNS / 2],
        cpu: cpus[RUNS / 2],
    }
}

/// The synthetic plates: (name, directory).
fn plates() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference/synthetic");
    let mut plates: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .expect("synthetic plates")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("plate.csv").exists())
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, p)
        })
        .collect();
    plates.sort();
    plates
}

/// The points of each curve of a plate's `normalized.csv` as `curve,conc,response` text.
fn curves_of(dir: &Path) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_path(dir.join("normalized.csv")).expect("normalized.csv");
    let mut curves: Vec<(String, String)> = Vec::new();
    for record in reader.records() {
        let record = record.expect("record");
        let (line, conc, response) = (&record[0], &record[1], &record[3]);
        if !curves.iter().any(|(l, _)| l == line) {
            curves.push((line.to_string(), "curve,conc,response\n".to_string()));
        }
        if let Some((_, text)) = curves.iter_mut().find(|(l, _)| l == line) {
            text.push_str(&format!("{line},{conc},{response}\n"));
        }
    }
    curves
}

/// Mean and slowest of `rows`, each less the process start, by CPU time and by least wall time.
fn summary(what: &str, rows: &[(String, Cost)], start: Cost) {
    let n = rows.len() as f64;
    let mean = |f: fn(&Cost) -> f64| rows.iter().map(|r| f(&r.1)).sum::<f64>() / n;
    let slowest = |f: fn(&Cost) -> f64| {
        rows.iter()
            .max_by(|a, b| f(&a.1).total_cmp(&f(&b.1)))
            .map(|r| (r.0.as_str(), f(&r.1)))
            .unwrap_or_default()
    };
    let (cpu_mean, wall_mean) = (mean(|c| c.cpu), mean(|c| c.wall_min));
    let ((cpu_name, cpu_max), (wall_name, wall_max)) =
        (slowest(|c| c.cpu), slowest(|c| c.wall_min));
    println!("{what} ({} files):", rows.len());
    println!(
        "  CPU time:  mean {:.3} ms of work ({cpu_mean:.3} ms with the start), slowest {cpu_name} {:.3} ms of work",
        cpu_mean - start.cpu,
        cpu_max - start.cpu
    );
    println!(
        "  wall time: mean {:.3} ms of work ({wall_mean:.3} ms with the start), slowest {wall_name} {:.3} ms of work",
        wall_mean - start.wall_min,
        wall_max - start.wall_min
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.json");
    let out_arg = out.to_string_lossy().into_owned();
    let start = time(&["--version"]);
    println!(
        "process start (platefit --version): CPU {:.3} ms, wall min {:.3} ms, median {:.3} ms",
        start.cpu, start.wall_min, start.wall_median
    );
    let row = |name: &str, what: &str, c: Cost| {
        println!(
            "{name:<28} {what:<10} {:>8.3} {:>8.3} {:>8.3}",
            c.cpu, c.wall_min, c.wall_median
        );
    };
    let mut per_curve = Vec::new();
    let mut per_plate = Vec::new();
    let mut all = String::from("curve,conc,response\n");
    println!(
        "{:<28} {:<10} {:>8} {:>8} {:>8}   (ms, with the process start)",
        "plate", "curve", "CPU", "wall min", "median"
    );
    for (name, plate) in plates() {
        for (line, text) in curves_of(&plate) {
            let file = dir
                .path()
                .join(format!("{name}_{}.csv", line.replace('/', "_")));
            std::fs::write(&file, &text).expect("write points");
            all.push_str(
                &text
                    .lines()
                    .skip(1)
                    .map(|l| format!("{name} {l}\n"))
                    .collect::<String>(),
            );
            let cost = time(&["fit", &file.to_string_lossy(), "--json", &out_arg]);
            row(&name, &line, cost);
            per_curve.push((format!("{name} {line}"), cost));
        }
        let cost = time(&[
            "analyze",
            &plate.join("plate.csv").to_string_lossy(),
            "--layout",
            &plate.join("layout.csv").to_string_lossy(),
            "--json",
            &out_arg,
        ]);
        row(&name, "(analyze)", cost);
        per_plate.push((name.clone(), cost));
    }
    let all_file = dir.path().join("all.csv");
    std::fs::write(&all_file, &all).expect("write all");
    let whole = time(&["fit", &all_file.to_string_lossy(), "--json", &out_arg]);
    println!();
    summary("platefit fit, one curve per file", &per_curve, start);
    summary(
        "platefit analyze, one plate (2 curves + RI and F test) per file",
        &per_plate,
        start,
    );
    let curves = per_curve.len() as f64;
    println!(
        "platefit fit, all {} curves in one file (each plate's pair compared too): CPU {:.2} ms, wall min {:.2} ms; per curve {:.3} ms of work (CPU)",
        per_curve.len(),
        whole.cpu,
        whole.wall_min,
        (whole.cpu - start.cpu) / curves
    );
}
