//! The `platefit` binary from the outside: `analyze`, `fit` and `import` on the bundled
//! sample and on the reference experiments, the JSON contract of DESIGN §7, exit codes and
//! one-line error messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::reference_drc::{options_for, points_for, reference_dir, reference_json};

/// The repository (the tests' working folder for the binary).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the platefit binary in the repository with `args`.
pub(crate) fn platefit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platefit"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the platefit binary runs")
}

/// The JSON a successful run printed on stdout (the run's stderr in the failure message).
pub(crate) fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

const SAMPLE: &str = "sample_plates/flumatinib_K562_72h.csv";

#[test]
fn analyze_sample_prints_ic50s_and_ri() {
    let output = platefit(&["analyze", SAMPLE]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("K562 · flumatinib"), "{text}");
    assert!(
        text.contains("resistance index K562/FLM · flumatinib / K562 · flumatinib"),
        "{text}"
    );
    assert!(text.contains("reference read \"630\" subtracted"), "{text}");
}

#[test]
fn analyze_json_has_the_contract_keys() {
    let json = json_of(&platefit(&["analyze", SAMPLE, "--json", "-"]));
    assert!(json["platefit_version"].is_string());
    let curves = json["curves"].as_array().expect("curves");
    assert_eq!(curves.len(), 2);
    for curve in curves {
        for key in [
            "curve",
            "n",
            "status",
            "top",
            "bottom",
            "hill_slope",
            "log_ic50",
            "ic50",
            "se",
            "ic50_ci95",
            "ic50_ci95_delta",
            "absolute_ic50",
            "rss",
            "df",
            "r_squared",
        ] {
            assert!(curve.get(key).is_some(), "missing {key} in {curve}");
        }
        for key in ["top", "bottom", "hill_slope", "log_ic50"] {
            assert!(curve["se"][key].is_number(), "se.{key} in {curve}");
        }
        assert_eq!(curve["status"], "converged");
        assert_eq!(curve["n"], 33, "30 treated + 3 vehicle wells");
        let ic50 = curve["ic50"].as_f64().expect("ic50");
        let ci = curve["ic50_ci95"].as_array().expect("ci");
        assert!(ci[0].as_f64().expect("lo") < ic50 && ic50 < ci[1].as_f64().expect("hi"));
        assert!((10f64.powf(curve["log_ic50"].as_f64().expect("log")) / ic50 - 1.0).abs() < 1e-12);
    }
    let comparisons = json["comparisons"].as_array().expect("comparisons");
    assert_eq!(comparisons.len(), 1);
    let c = &comparisons[0];
    assert_eq!(c["reference"], "K562 · flumatinib");
    assert_eq!(c["test"], "K562/FLM · flumatinib");
    let ratio = c["ratio"].as_f64().expect("ratio");
    let ic50 = |i: usize| curves[i]["ic50"].as_f64().expect("ic50");
    let (parental, resistant) = if curves[0]["curve"] == "K562 · flumatinib" {
        (0, 1)
    } else {
        (1, 0)
    };
    assert!(rel(ratio, ic50(resistant) / ic50(parental)) < 1e-9);
    assert!(ratio > 20.0 && ratio < 100.0, "{ratio}");
    assert_eq!(c["df"][0], 1);
    assert!(c["p_value"].as_f64().expect("p") < 1e-6);
    let plate = &json["plates"][0];
    assert_eq!(plate["file"], "flumatinib_K562_72h.csv");
    assert!(plate["z_prime"].as_f64().expect("z") > 0.5);
    assert!(plate["vehicle_cv_pct"].is_number() && plate["blank_mean"].is_number());
}

/// The whole pipeline (import → layout → blank/vehicle normalization → fit) on the reference
/// plates reproduces drc's fits of the reference's own normalized values.
#[test]
fn analyze_reference_plates_matches_drc() {
    let reference = reference_json();
    let synthetic = reference_dir().join("synthetic");
    let mut checked = 0;
    let variants: [(&str, &[&str]); 3] = [
        ("ll4", &["--no-vehicle-points"]),
        ("ll4_with_vehicle", &[]),
        (
            "ll4_fixed_c0_d100",
            &[
                "--no-vehicle-points",
                "--fix-top",
                "100",
                "--fix-bottom",
                "0",
            ],
        ),
    ];
    let mut experiments: Vec<String> = std::fs::read_dir(&synthetic)
        .expect("synthetic dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    experiments.sort();
    for experiment in &experiments {
        let dir = synthetic.join(experiment);
        let plate = dir.join("plate.csv");
        let layout = dir.join("layout.csv");
        for (variant, flags) in variants {
            let mut args = vec![
                "analyze",
                plate.to_str().expect("utf-8 path"),
                "--layout",
                layout.to_str().expect("utf-8 path"),
                "--json",
                "-",
            ];
            args.extend_from_slice(flags);
            let json = json_of(&platefit(&args));
            for curve in json["curves"].as_array().expect("curves") {
                let line = curve["curve"].as_str().expect("curve");
                let id = format!("synthetic/{experiment}/{line}");
                let record = reference["curves"]
                    .as_array()
                    .expect("curves")
                    .iter()
                    .find(|c| c["id"] == id.as_str())
                    .unwrap_or_else(|| panic!("{id} in reference.json"));
                let fit = &record["fits"][variant];
                assert_eq!(curve["n"].as_u64(), fit["n"].as_u64(), "{id} {variant}");
                if fit["optimum"]["flags"]["well_determined"] == true {
                    let e = fit["optimum"]["params"]["e"].as_f64().expect("e");
                    let ours = curve["ic50"].as_f64().unwrap_or(f64::NAN);
                    assert!(rel(ours, e) < 1e-4, "{id} {variant}: IC50 {ours} vs {e}");
                    let rss = fit["optimum"]["rss"].as_f64().expect("rss");
                    let our_rss = curve["rss"].as_f64().expect("rss");
                    // The reference normalized values are rounded to 6 decimals.
                    assert!(
                        rel(our_rss, rss) < 1e-6,
                        "{id} {variant}: RSS {our_rss} vs {rss}"
                    );
                    let [lo, hi] =
                        [0, 1].map(|k| fit["gauss_newton"]["ed50_ci_log"][k].as_f64().expect("ci"));
                    let ci = &curve["ic50_ci95"];
                    assert!(
                        rel(ci[0].as_f64().expect("lo"), lo) < 1e-3,
                        "{id} {variant} CI"
                    );
                    assert!(
                        rel(ci[1].as_f64().expect("hi"), hi) < 1e-3,
                        "{id} {variant} CI"
                    );
                } else {
                    assert_ne!(
                        curve["status"], "converged",
                        "{id} {variant} is not well determined"
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, experiments.len() * 2 * 3);
    assert_eq!(experiments.len(), 16);
}

#[test]
fn fit_command_matches_reference_and_compares() {
    let reference = reference_json();
    let curve = reference["curves"]
        .as_array()
        .expect("curves")
        .iter()
        .find(|c| c["id"] == "drc/ryegrass")
        .expect("ryegrass");
    let fit_ref = &curve["fits"]["ll4"];
    let _ = options_for(fit_ref, false);
    let points = points_for(curve, "ll4");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ryegrass.csv");
    let mut text = String::from("conc,response\n");
    for (c, r) in &points {
        text.push_str(&format!("{c},{r}\n"));
    }
    std::fs::write(&path, text).expect("write");
    let json = json_of(&platefit(&[
        "fit",
        path.to_str().expect("path"),
        "--json",
        "-",
    ]));
    let ours = &json["curves"][0];
    let e = fit_ref["optimum"]["params"]["e"].as_f64().expect("e");
    assert!(rel(ours["ic50"].as_f64().expect("ic50"), e) < 1e-4);
    assert!(
        rel(
            -ours["hill_slope"].as_f64().expect("hill"),
            fit_ref["optimum"]["params"]["b"].as_f64().expect("b")
        ) < 1e-4
    );
    assert_eq!(ours["n"], 24);

    // Two curves with a slash in a label, compared explicitly.
    let normalized = reference_dir().join("synthetic/exp01_typical/normalized.csv");
    let mut rows = String::from("conc,response,curve\n");
    let mut reader = csv::Reader::from_path(&normalized).expect("normalized.csv");
    for record in reader.records() {
        let record = record.expect("record");
        if record[1].parse::<f64>().expect("conc") > 0.0 {
            rows.push_str(&format!("{},{},{}\n", &record[1], &record[3], &record[0]));
        }
    }
    let path = dir.path().join("two.csv");
    std::fs::write(&path, rows).expect("write");
    let json = json_of(&platefit(&[
        "fit",
        path.to_str().expect("path"),
        "--compare",
        "K562/FLM",
        "--against",
        "K562",
        "--json",
        "-",
    ]));
    let comparison = &json["comparisons"][0];
    assert_eq!(comparison["test"], "K562/FLM");
    let record = reference["comparisons"]
        .as_array()
        .expect("comparisons")
        .iter()
        .find(|c| c["id"] == "synthetic/exp01_typical")
        .expect("exp01");
    let drc_ratio = record["ratio_log_scale"]["est"].as_f64().expect("ratio");
    assert!(rel(comparison["ratio"].as_f64().expect("ratio"), drc_ratio) < 1e-3);
    assert_eq!(comparison["df"], serde_json::json!([1, record["joint_df"]]));
}

#[test]
fn import_command_reports_format_and_values() {
    let file =
        reference_dir().join("../platefiles/biotek-gen5/endpoint_stdcurve_singleplate_2.txt");
    let json = json_of(&platefit(&[
        "import",
        file.to_str().expect("path"),
        "--json",
        "-",
    ]));
    assert_eq!(json["format"], "biotek-gen5-text");
    let plate = &json["plates"][0];
    assert_eq!(
        (plate["rows"].as_u64(), plate["cols"].as_u64()),
        (Some(8), Some(12))
    );
    let read = &plate["reads"][0];
    assert_eq!(read["wavelength_nm"], 450.0);
    assert_eq!(read["values"].as_array().expect("rows").len(), 8);
    let summary = platefit(&["import", file.to_str().expect("path")]);
    assert!(summary.status.success());
    assert!(String::from_utf8_lossy(&summary.stdout).contains("biotek-gen5-text"));
}

fn assert_one_line_error(output: &Output, needles: &[&str]) {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    let message = stderr(output);
    assert_eq!(message.trim_end().lines().count(), 1, "one line: {message}");
    assert!(message.starts_with("platefit: "), "{message}");
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }
}

#[test]
fn unusable_input_gives_one_line_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.csv");
    assert_one_line_error(
        &platefit(&["analyze", missing.to_str().expect("path")]),
        &["missing.csv"],
    );
    let garbage = dir.path().join("garbage.txt");
    std::fs::write(&garbage, "hello\nthis is not a plate\n").expect("write");
    assert_one_line_error(
        &platefit(&[
            "analyze",
            garbage.to_str().expect("path"),
            "--layout",
            "sample_plates/flumatinib_K562_72h_layout.csv",
        ]),
        &["garbage.txt", "hello"],
    );
    let no_layout = dir.path().join("plate.csv");
    std::fs::copy(root().join(SAMPLE), &no_layout).expect("copy");
    assert_one_line_error(
        &platefit(&["analyze", no_layout.to_str().expect("path")]),
        &["plate.csv", "--layout"],
    );
    let bad_layout = dir.path().join("bad_layout.csv");
    let text = std::fs::read_to_string(root().join("sample_plates/flumatinib_K562_72h_layout.csv"))
        .expect("layout")
        .replacen("blank,vehicle,treated", "blank,vehicle,treatd", 1);
    std::fs::write(&bad_layout, text).expect("write");
    assert_one_line_error(
        &platefit(&[
            "analyze",
            SAMPLE,
            "--layout",
            bad_layout.to_str().expect("path"),
        ]),
        &["bad_layout.csv", "well B3", "treatd"],
    );
    let points = dir.path().join("points.csv");
    std::fs::write(&points, "conc,response\n1,90\n2,abc\n").expect("write");
    assert_one_line_error(
        &platefit(&["fit", points.to_str().expect("path")]),
        &["points.csv", "line 3", "abc"],
    );
    assert_one_line_error(
        &platefit(&["analyze", SAMPLE, "--read", "570"]),
        &["570", "\"450\""],
    );
}

#[test]
fn several_plates_run_in_one_call_with_a_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = root().join("sample_plates/flumatinib_K562_72h_layout.csv");
    let mut args = vec!["analyze".to_string()];
    for k in 0..3 {
        let path = dir.path().join(format!("repeat{k}.csv"));
        std::fs::copy(root().join(SAMPLE), &path).expect("copy");
        args.push(path.to_string_lossy().into_owned());
    }
    args.extend([
        "--layout".into(),
        layout.to_string_lossy().into_owned(),
        "--json".into(),
        "-".into(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let json = json_of(&platefit(&refs));
    assert_eq!(json["curves"].as_array().expect("curves").len(), 6);
    let summary =
        &json["summary"]["resistance_index"]["K562/FLM · flumatinib vs K562 · flumatinib"];
    assert_eq!(summary["n"], 3);
    // Identical repeats: geometric mean equals each RI, and the spread is zero.
    let ri = json["comparisons"][0]["ratio"].as_f64().expect("ratio");
    assert!(rel(summary["geometric_mean"].as_f64().expect("gm"), ri) < 1e-12);
    assert!(Path::new(&args[1]).exists());
}

/// A real reader export (Gen5 text, 450 nm) runs through the whole pipeline with a layout;
/// its numbers are not a dose response, so the fits may be flagged, but nothing fails.
#[test]
fn analyze_runs_on_a_real_export() {
    let file =
        reference_dir().join("../platefiles/biotek-gen5/endpoint_stdcurve_singleplate_2.txt");
    let json = json_of(&platefit(&[
        "analyze",
        file.to_str().expect("path"),
        "--layout",
        "sample_plates/flumatinib_K562_72h_layout.csv",
        "--json",
        "-",
    ]));
    assert_eq!(json["plates"][0]["read"], "450nm:450");
    assert_eq!(json["curves"].as_array().expect("curves").len(), 2);
    for curve in json["curves"].as_array().expect("curves") {
        assert!(curve["status"].is_string());
    }
}

#[test]
fn points_files_with_padded_fields_and_blank_lines_read_as_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("padded.csv");
    std::fs::write(
        &path,
        " curve , conc , response \n A , 0 , 100 \n\n , , \nA,1, 90\n B ,  1 ,  50 \nB,2,40\n",
    )
    .expect("write");
    let curves = platefit::cli::read_points(&path).expect("reads");
    let labels: Vec<&str> = curves.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["A", "B"]);
    let points = |k: usize| -> Vec<(f64, f64)> {
        curves[k]
            .points
            .iter()
            .map(|p| (p.concentration, p.response))
            .collect()
    };
    assert_eq!(points(0), [(0.0, 100.0), (1.0, 90.0)]);
    assert_eq!(points(1), [(1.0, 50.0), (2.0, 40.0)]);
    // A bad number is named with its line (the blank lines counted, LF or CRLF).
    for (text, line, value) in [
        ("conc,response\n1,50\n\n2, x5 \n", "line 4", "\"x5\""),
        (
            "conc,response\r\n1,50\r\n\r\n\r\n2,40\r\n3,y?\r\n",
            "line 6",
            "\"y?\"",
        ),
    ] {
        std::fs::write(&path, text).expect("write");
        let error = format!(
            "{:#}",
            platefit::cli::read_points(&path).expect_err("refused")
        );
        assert!(error.contains(line) && error.contains(value), "{error}");
    }
}

/// Real points files mark a missing value as R, Excel, pandas or Prism write it (`NA`,
/// `#N/A`, `NaN`, empty, `-`): such a row is left out, named in one warning with its line,
/// and the rest is fitted; text that is not a number and not such a marker stays an error.
#[test]
fn missing_values_in_a_points_file_are_left_out_with_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("with_na.csv");
    let mut text = String::from("curve,conc,response\n");
    for (k, c) in [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0].iter().enumerate() {
        let y = 100.0 / (1.0 + c / 1.0);
        text.push_str(&format!("a,{c},{:.3}\na,{c},{:.3}\n", y + 1.0, y - 1.0));
        if k == 2 {
            text.push_str("a,1,NA\na,1,\na,NaN,50\n");
        }
    }
    text.push_str("a,10,#N/A\na,100,-\na,1000,n/a\n");
    std::fs::write(&path, &text).expect("write");
    let output = platefit(&["fit", path.to_str().expect("path"), "--json", "-"]);
    let json = json_of(&output);
    let curve = &json["curves"][0];
    assert_eq!(curve["n"], 12, "{curve}");
    assert_eq!(curve["status"], "converged", "{curve}");
    let warnings = json["warnings"].as_array().expect("warnings");
    // One warning for the rows left out; the other is the note on the guessed scale (no
    // dose-zero points).
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[1]
            .as_str()
            .is_some_and(|w| w.contains("read as % of control")),
        "{warnings:?}"
    );
    let warning = warnings[0].as_str().expect("text");
    assert!(
        warning.contains("with_na.csv")
            && warning.contains("6 rows")
            && warning.contains("line 8 (response \"NA\")")
            && warning.contains("conc \"NaN\"")
            && warning.contains("and 1 more"),
        "{warning}"
    );
    // The table prints it too.
    let table = platefit(&["fit", path.to_str().expect("path")]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("6 rows without a number"));
}

/// Column names as real points files write them: with a unit or a qualifier after the name
/// (`Concentration (µM)`, `conc_uM`, `Viability [%]`) and the cell line as the curve; an
/// exact name wins over a qualified one (`conc` before `conc_log`).
#[test]
fn points_columns_with_units_in_their_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("headers.csv");
    for header in [
        "Cell line,Concentration (µM),Viability (%)",
        "cell_line,conc_uM,viability [%]",
        "sample,dose/nM,response_mean",
        "conc_log,line,conc,response",
    ] {
        let columns: Vec<&str> = header.split(',').collect();
        let mut text = format!("{header}\n");
        for (line, ic50) in [("A", 1.0), ("B", 10.0)] {
            for c in [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0] {
                let y = 100.0 / (1.0 + c / ic50);
                let row: Vec<String> = columns
                    .iter()
                    .map(|name| match *name {
                        "conc_log" => format!("{}", f64::log10(c)),
                        n if n.to_lowercase().contains("conc") || n.starts_with("dose") => {
                            format!("{c}")
                        }
                        n if n.contains("line") || n == "sample" => line.to_string(),
                        _ => format!("{y:.4}"),
                    })
                    .collect();
                text.push_str(&row.join(","));
                text.push('\n');
            }
        }
        std::fs::write(&path, &text).expect("write");
        let curves = platefit::cli::read_points(&path).expect(header);
        let labels: Vec<&str> = curves.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["A", "B"], "{header}");
        let first = &curves[0].points[0];
        assert_eq!(
            (first.concentration, first.response),
            (0.01, 99.0099),
            "{header}"
        );
    }
    // Log concentrations are not read as concentrations: a column that says log is read as
    // log10 concentrations (where no plain one exists), one in another base is refused.
    std::fs::write(&path, "conc_log10,response\n-2,99\n-1,90\n0,50\n1,10\n").expect("write");
    let curves = platefit::cli::read_points(&path).expect("log10 concentrations");
    let concentrations: Vec<f64> = curves[0].points.iter().map(|p| p.concentration).collect();
    assert_eq!(concentrations, [0.01, 0.1, 1.0, 10.0]);
    std::fs::write(&path, "ln_conc,response\n-2,99\n-1,90\n0,50\n1,10\n").expect("write");
    let error = format!(
        "{:#}",
        platefit::cli::read_points(&path).expect_err("refused")
    );
    assert!(
        error.contains("line 1") && error.contains("\"ln_conc\" holds ln concentrations"),
        "{error}"
    );
}

/// Points tables as Prism, Excel and pandas write them: one column per replicate (`conc,
/// rep1,rep2,rep3`), replicate subcolumns under a repeated curve name (`conc,K562,K562,
/// K562/FLM,K562/FLM`), numbered replicates (`K562_1`, `HeLa (2)`, `A549.1`), a curve
/// column with replicate columns beside a summary (`viability_sd`, left out), and X as
/// log10 concentration (Prism's "X is log(concentration)"). Each reads into the curves the
/// long table would give, says how it read them, and fits to the same numbers.
#[test]
fn points_tables_in_wide_form_and_with_log_concentrations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("wide.csv");
    let doses = [0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0];
    let response = |c: f64, ic50: f64, k: usize| {
        100.0 / (1.0 + (c / ic50).powf(1.2)) + [1.5, -1.0, 0.5][k % 3]
    };
    // The long table every wide one below must equal.
    let mut long = String::from("curve,conc,response\n");
    for c in doses {
        for (line, ic50) in [("K562", 2.0), ("K562/FLM", 20.0)] {
            for k in 0..3 {
                long.push_str(&format!("{line},{c},{:.4}\n", response(c, ic50, k)));
            }
        }
    }
    let read = |text: &str| {
        std::fs::write(&path, text).expect("write");
        platefit::cli::read_points_noting(&path).expect("reads")
    };
    let sorted = |curves: &[platefit::dose_response::DoseResponse]| {
        let mut points: Vec<(String, u64, u64)> = curves
            .iter()
            .flat_map(|c| {
                c.points.iter().map(|p| {
                    (
                        c.label.clone(),
                        p.concentration.to_bits(),
                        p.response.to_bits(),
                    )
                })
            })
            .collect();
        points.sort();
        points
    };
    let (expected, _) = read(&long);
    // A wide table under `header`: the concentration, then three replicates of each line.
    let wide_text = |header: &str| {
        let mut text = format!("{header}\n");
        for c in doses {
            let mut row = vec![format!("{c}")];
            for ic50 in [2.0, 20.0] {
                for k in 0..3 {
                    row.push(format!("{:.4}", response(c, ic50, k)));
                }
            }
            text.push_str(&row.join(","));
            text.push('\n');
        }
        text
    };
    for header in [
        "conc,K562,K562,K562,K562/FLM,K562/FLM,K562/FLM",
        "Concentration (µM),K562_1,K562_2,K562_3,K562/FLM_1,K562/FLM_2,K562/FLM_3",
        "dose,K562 (1),K562 (2),K562 (3),K562/FLM (1),K562/FLM (2),K562/FLM (3)",
        "conc,K562,K562.1,K562.2,K562/FLM,K562/FLM.1,K562/FLM.2",
        "conc,K562 rep1,K562 rep2,K562 rep3,K562/FLM rep1,K562/FLM rep2,K562/FLM rep3",
    ] {
        let (curves, notes) = read(&wide_text(header));
        let labels: Vec<&str> = curves.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["K562", "K562/FLM"], "{header}");
        assert_eq!(sorted(&curves), sorted(&expected), "{header}");
        assert!(
            notes
                .iter()
                .any(|n| n.contains("one response column per replicate")
                    && n.contains("K562/FLM ← ")),
            "{header}: {notes:?}"
        );
    }
    // Replicate columns beside a curve column and a summary column; a missing cell is left
    // out and named.
    let mut text = String::from("line,conc,viability_1,viability_2,viability_3,viability_sd\n");
    for c in doses {
        for (line, ic50) in [("K562", 2.0), ("K562/FLM", 20.0)] {
            let values: Vec<String> = (0..3)
                .map(|k| format!("{:.4}", response(c, ic50, k)))
                .collect();
            text.push_str(&format!("{line},{c},{},9.9\n", values.join(",")));
        }
    }
    let (curves, _) = read(&text);
    assert_eq!(sorted(&curves), sorted(&expected));
    let (curves, notes) = read(&text.replacen("K562,0.1,", "K562,0.1,NA,", 1).replacen(
        ",9.9\nK562/FLM,0.1",
        "\nK562/FLM,0.1",
        1,
    ));
    assert_eq!(curves[0].points.len(), 3 * doses.len() - 1);
    assert!(
        notes.iter().any(|n| n.contains("1 value without a number")),
        "{notes:?}"
    );
    // Replicates only (one curve, named by the file's rows: "curve").
    let mut text = String::from("conc,rep1,rep2,rep3\n");
    for c in doses {
        let values: Vec<String> = (0..3)
            .map(|k| format!("{:.4}", response(c, 2.0, k)))
            .collect();
        text.push_str(&format!("{c},{}\n", values.join(",")));
    }
    let (curves, _) = read(&text);
    assert_eq!(curves.len(), 1);
    assert_eq!(curves[0].label, "curve");
    assert_eq!(curves[0].points.len(), 3 * doses.len());
    // A response column with another name is read when it is the one column left (a
    // column of replicate numbers is not a response), and the note says so.
    let (curves, notes) = read("curve,conc,replicate,signal\nA,1,1,90\nA,1,2,92\nA,10,1,40\n");
    let values: Vec<f64> = curves[0].points.iter().map(|p| p.response).collect();
    assert_eq!(values, [90.0, 92.0, 40.0]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("column \"signal\" read as the responses")),
        "{notes:?}"
    );
    // Through the command line: the wide table's curves are fitted and compared exactly
    // as the long table's.
    let fit_json = |text: &str| {
        std::fs::write(&path, text).expect("write");
        json_of(&platefit(&[
            "fit",
            path.to_str().expect("path"),
            "--json",
            "-",
        ]))
    };
    let wide_json = fit_json(&wide_text("conc,K562,K562,K562,K562/FLM,K562/FLM,K562/FLM"));
    let long_json = fit_json(&long);
    for key in ["ic50", "hill_slope", "top", "bottom"] {
        for k in 0..2 {
            assert_eq!(
                wide_json["curves"][k][key], long_json["curves"][k][key],
                "{key} of curve {k}"
            );
        }
    }
    assert_eq!(
        wide_json["comparisons"][0]["p_value"],
        long_json["comparisons"][0]["p_value"]
    );
    assert!(wide_json["comparisons"][0]["p_value"].as_f64().is_some());
    // X as log10 concentration (no vehicle: log 0 does not exist): the same fit as the
    // concentrations themselves, and the note says how the column was read.
    let mut plain = String::from("conc,response\n");
    let mut logged = String::from("Log[Dose],response\n");
    for c in &doses[1..] {
        for k in 0..3 {
            let y = response(*c, 2.0, k);
            plain.push_str(&format!("{c},{y:.4}\n"));
            logged.push_str(&format!("{},{y:.4}\n", c.log10()));
        }
    }
    let plain_json = fit_json(&plain);
    let log_json = fit_json(&logged);
    let ic50 = |json: &Value| json["curves"][0]["ic50"].as_f64().expect("ic50");
    assert!(
        (ic50(&plain_json) / ic50(&log_json) - 1.0).abs() < 1e-9,
        "{} vs {}",
        ic50(&plain_json),
        ic50(&log_json)
    );
    assert!(
        log_json["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w
                .as_str()
                .is_some_and(|w| w.contains("\"Log[Dose]\" read as log10"))),
        "{log_json}"
    );
    // A negative concentration names the line and says how log concentrations are read.
    std::fs::write(&path, "conc,response\n-2,99\n-1,90\n").expect("write");
    let error = format!(
        "{:#}",
        platefit::cli::read_points(&path).expect_err("refused")
    );
    assert!(
        error.contains("line 2") && error.contains("log_conc"),
        "{error}"
    );
}
