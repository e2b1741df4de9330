//! Growth-rate inhibition (GR) metrics: against an independent computation on the GRmetrics
//! example data (`tests/data/growth/`, see its README), on synthetic lines whose division
//! rates differ, through the command line's JSON, and on bad input.
// The helpers below read the committed test data; a missing file is a broken checkout.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use platefit::analysis::{Analysis, Experiment, PlateInput, analyze};
use platefit::fit::Estimate;
use platefit::growth::{fit_gr, gr_metrics, gr_value, percent_growth};
use platefit::layout::{Layout, WellInfo, WellRole};
use platefit::plate::{Plate, PlateShape, Read, WellId};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/data/growth").join(name)).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

/// (curve label, concentration, cell count, control, time zero) rows of the GRmetrics subset.
fn toy_rows() -> Vec<(String, f64, f64, f64, f64)> {
    data("toy_example_input1_subset.tsv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            (
                format!("{} · {}", f[0], f[1]),
                f[5].parse().unwrap(),
                f[6].parse().unwrap(),
                f[7].parse().unwrap(),
                f[8].parse().unwrap(),
            )
        })
        .collect()
}

fn estimate_json(estimate: Estimate, expected: &Value, what: &str) {
    match (estimate, expected.as_object()) {
        (Estimate::Value(v), Some(o)) if o.contains_key("value") => {
            let e = o["value"].as_f64().unwrap();
            assert!(rel(v, e) < 1e-9, "{what}: {v} vs {e}");
        }
        (Estimate::Above(v), Some(o)) if o.contains_key("above") => {
            assert!(rel(v, o["above"].as_f64().unwrap()) < 1e-12, "{what}");
        }
        (Estimate::Below(v), Some(o)) if o.contains_key("below") => {
            assert!(rel(v, o["below"].as_f64().unwrap()) < 1e-12, "{what}");
        }
        (got, _) => panic!("{what}: {got:?} vs {expected}"),
    }
}

/// GR values, the GR curve and every metric on the GRmetrics package's published toy
/// example (8 curves), against `make_reference.py` (numpy/scipy, written independently of
/// platefit) and against the gr_metrics Python output published with the data.
#[test]
fn gr_metrics_match_the_independent_computation_on_grmetrics_data() {
    let reference: Value = serde_json::from_str(&data("reference.json")).unwrap();
    let rows = toy_rows();
    let published: Vec<Vec<String>> = data("python_input1_GRmetrics_subset.tsv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    let curves = reference["curves"].as_array().unwrap();
    assert_eq!(curves.len(), 8);
    for expected in curves {
        let label = expected["curve"].as_str().unwrap();
        let own: Vec<_> = rows.iter().filter(|r| r.0 == label).collect();
        assert_eq!(own.len(), 9, "{label}");
        let gr: Vec<(f64, f64)> = own
            .iter()
            .map(|r| (r.1, gr_value(r.2, r.4, r.3).unwrap()))
            .collect();
        let pg: Vec<(f64, f64)> = own
            .iter()
            .map(|r| (r.1, percent_growth(r.2, r.4, r.3).unwrap()))
            .collect();
        for ((_, got), want) in gr.iter().zip(expected["gr_values"].as_array().unwrap()) {
            let want = want.as_f64().unwrap();
            assert!((got - want).abs() < 1e-12, "{label}: GR {got} vs {want}");
        }
        let fit = fit_gr(&gr).unwrap();
        assert!(!fit.flat, "{label}: {fit:?}");
        let metrics = gr_metrics(&gr, &pg, Some(&fit));
        // The least-squares optimum: RSS equal to scipy's (or lower), parameters to 1e-4.
        let rss = expected["rss"].as_f64().unwrap();
        assert!(
            fit.rss <= rss * (1.0 + 1e-6),
            "{label}: RSS {} vs {rss}",
            fit.rss
        );
        for (got, key) in [
            (metrics.grinf.unwrap(), "grinf"),
            (metrics.gec50.unwrap(), "gec50"),
            (metrics.hill.unwrap(), "hill"),
        ] {
            let want = expected[key].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-4 * want.abs().max(1.0),
                "{label}: {key} {got} vs {want}"
            );
        }
        match expected["gr50_fitted"].as_f64() {
            Some(want) => {
                let got = metrics.gr50_fitted.unwrap();
                assert!(rel(got, want) < 1e-4, "{label}: GR50 {got} vs {want}");
                assert_eq!(metrics.gr50, Estimate::Value(got), "{label}");
            }
            None => {
                assert_eq!(metrics.gr50_fitted, None, "{label}");
                assert_eq!(metrics.gr50, Estimate::Above(10.0), "{label}");
            }
        }
        for (got, key) in [
            (metrics.grmax.unwrap(), "grmax"),
            (metrics.gr_aoc.unwrap(), "gr_aoc"),
        ] {
            let want = expected[key].as_f64().unwrap();
            assert!((got - want).abs() < 1e-12, "{label}: {key} {got} vs {want}");
        }
        estimate_json(metrics.gi50, &expected["gi50"], "GI50");
        estimate_json(metrics.tgi, &expected["tgi"], "TGI");
        estimate_json(metrics.lc50, &expected["lc50"], "LC50");
        // The gr_metrics Python package's own output for the same curve (its L-BFGS-B stops
        // a little earlier than a full least-squares solve: 1e-3 relative).
        let (line, drug) = label.split_once(" · ").unwrap();
        let row = published
            .iter()
            .find(|r| r[0] == line && r[3] == drug)
            .unwrap();
        let col = |i: usize| row[i].parse::<f64>().unwrap();
        if row[5] == "inf" {
            assert!(matches!(metrics.gr50, Estimate::Above(_)), "{label}");
        } else {
            assert!(rel(metrics.gr50_fitted.unwrap(), col(5)) < 1e-3, "{label}");
        }
        assert!((metrics.grmax.unwrap() - col(6)).abs() < 1e-9, "{label}");
        assert!((metrics.gr_aoc.unwrap() - col(7)).abs() < 1e-9, "{label}");
        assert!(rel(metrics.gec50.unwrap(), col(8)) < 1e-3, "{label}");
        assert!((metrics.grinf.unwrap() - col(9)).abs() < 1e-3, "{label}");
        assert!(rel(metrics.hill.unwrap(), col(10)) < 2e-3, "{label}");
    }
}

/// One synthetic 96-well plate: rows B–D line `P`, E–G its resistant line `P-R` (replicates), column 1
/// blank, 2 vehicle, 3–12 treated (30 µM, 3-fold); row A holds P's t0 wells, row H R's.
/// Signals follow the GR model exactly: `x(c) = x0·2^(N·log2(1 + GR(c)))` with N the line's
/// vehicle doublings, so that the true GR values are known.
struct Synthetic {
    doublings: [f64; 2],
    gec50: [f64; 2],
    /// Override of the t0 signal above blank (P, P-R); None = the design value.
    t0: [Option<f64>; 2],
    /// Leave P-R without t0 wells.
    no_t0_for_r: bool,
}

const GRINF: f64 = -0.2;
const HILL: f64 = 1.5;
const X0: f64 = 0.15;
const BLANK: f64 = 0.1;

fn true_gr(c: f64, gec50: f64) -> f64 {
    GRINF + (1.0 - GRINF) / (1.0 + (c / gec50).powf(HILL))
}

fn concentrations() -> Vec<f64> {
    (0..10).map(|k| 30.0 / 3f64.powi(k)).collect()
}

impl Synthetic {
    fn experiment(&self) -> Experiment {
        let shape = PlateShape::WELLS_96;
        let mut layout = Layout::empty(shape);
        let mut values = vec![Some(0.05); 96];
        let concs = concentrations();
        for row in 0..8 {
            let line_idx = usize::from(row >= 4);
            let line = ["P", "P-R"][line_idx];
            let (n, gec50) = (self.doublings[line_idx], self.gec50[line_idx]);
            for col in 0..12 {
                let well = WellId::new(row, col);
                let idx = row * 12 + col;
                let info = if row == 0 || row == 7 {
                    if col == 0 || (row == 7 && self.no_t0_for_r) {
                        continue;
                    }
                    values[idx] = Some(BLANK + self.t0[line_idx].unwrap_or(X0));
                    WellInfo {
                        role: WellRole::T0,
                        line: Some(line.into()),
                        ..WellInfo::default()
                    }
                } else if col == 0 {
                    values[idx] = Some(BLANK);
                    WellInfo {
                        role: WellRole::Blank,
                        ..WellInfo::default()
                    }
                } else {
                    let c = if col == 1 { 0.0 } else { concs[col - 2] };
                    let gr = if col == 1 { 1.0 } else { true_gr(c, gec50) };
                    values[idx] = Some(BLANK + X0 * 2f64.powf(n * (1.0 + gr).log2()));
                    WellInfo {
                        role: if col == 1 {
                            WellRole::Vehicle
                        } else {
                            WellRole::Treated
                        },
                        line: Some(line.into()),
                        drug: Some("drug".into()),
                        concentration: Some(c),
                        replicate: Some(u32::try_from(row % 3 + 1).unwrap()),
                        ..WellInfo::default()
                    }
                };
                *layout.well_mut(well).unwrap() = info;
            }
        }
        // Vehicle wells carry no drug name: their curve key is the line's.
        for info in &mut layout.wells {
            if info.role == WellRole::Vehicle {
                info.drug = None;
            }
        }
        let mut plate = Plate::new("synthetic", shape);
        let mut read = Read::empty("450", shape).with_wavelength(Some(450.0));
        read.values = values;
        plate.reads.push(read);
        Experiment {
            name: "synthetic".into(),
            plates: vec![PlateInput {
                file: "synthetic.csv".into(),
                sha256: None,
                format: String::new(),
                plate,
                layout,
                excluded: Default::default(),
            }],
            settings: Default::default(),
        }
    }

    fn analysis(&self) -> Analysis {
        analyze(&self.experiment()).unwrap()
    }
}

/// Where the true viability (% of vehicle) of a line crosses 50 %: viability is
/// `2^(N·(log2(1 + GR) − 1))`, so it is ½ where GR = 2^(1 − 1/N) − 1.
fn predicted_absolute_ic50(doublings: f64, gec50: f64) -> f64 {
    let level: f64 = 2f64.powf(1.0 - 1.0 / doublings) - 1.0;
    gec50 * ((1.0 - GRINF) / (level - GRINF) - 1.0).powf(1.0 / HILL)
}

/// Two lines with the same drug sensitivity on the GR scale (GEC50 4× apart) but different
/// division rates: the GR-based RI is the true 4 whatever the division rates, the IC50-based
/// RI is inflated as the model predicts when the resistant line divides slower, and the
/// division-rate warning fires naming both lines' doublings.
#[test]
fn division_rates_confound_the_ic50_ratio_but_not_the_gr_ratio() {
    let slow = Synthetic {
        doublings: [3.0, 1.5],
        gec50: [0.1, 0.4],
        t0: [None, None],
        no_t0_for_r: false,
    }
    .analysis();
    let growth = slow.growth.as_ref().unwrap();
    let p = growth.curve("P · drug").unwrap();
    let r = growth.curve("P-R · drug").unwrap();
    assert!((p.vehicle_doublings.unwrap() - 3.0).abs() < 1e-9);
    assert!((r.vehicle_doublings.unwrap() - 1.5).abs() < 1e-9);
    // GR values are the true ones, so the GR fit recovers the truth.
    for point in &r.points {
        assert!((point.gr - true_gr(point.concentration, 0.4)).abs() < 1e-9);
    }
    let true_gr50 = |gec50: f64| gec50 * ((1.0 - GRINF) / (0.5 - GRINF) - 1.0).powf(1.0 / HILL);
    let gr50_p = p.metrics.as_ref().unwrap().gr50.value().unwrap();
    let gr50_r = r.metrics.as_ref().unwrap().gr50.value().unwrap();
    assert!(rel(gr50_p, true_gr50(0.1)) < 1e-5, "{gr50_p}");
    assert!(rel(gr50_r, true_gr50(0.4)) < 1e-5, "{gr50_r}");
    let comparison = growth.comparison("P · drug", "P-R · drug").unwrap();
    assert_eq!(comparison.basis, "gr50");
    assert!(rel(comparison.ratio.unwrap(), 4.0) < 1e-4, "{comparison:?}");
    // The IC50-based RI (from the 4PL fits) follows the predicted inflation: the absolute
    // IC50s sit where the true viability crosses 50 %.
    let abs = |label: &str| slow.curve(label).unwrap().fit.absolute_ic50().unwrap();
    let predicted = predicted_absolute_ic50(1.5, 0.4) / predicted_absolute_ic50(3.0, 0.1);
    let observed = abs("P-R · drug") / abs("P · drug");
    assert!(predicted > 6.0, "the design inflates the RI: {predicted}");
    assert!(rel(observed, predicted) < 0.05, "{observed} vs {predicted}");
    // The RI of relative IC50s (the 4PL midpoints) is inflated too, if less.
    let ic50_ri = slow.comparisons[0].ratio.unwrap();
    assert!(ic50_ri > 1.25 * 4.0, "IC50-based RI {ic50_ri}");
    eprintln!(
        "GR RI {:.4}, relative-IC50 RI {ic50_ri:.3}, absolute-IC50 ratio {observed:.3} (predicted {predicted:.3})",
        comparison.ratio.unwrap()
    );
    assert!(comparison.confounded);
    let warning = comparison.warning.as_deref().unwrap();
    for part in [
        "1.50 doublings",
        "3.00 for P · drug",
        "P-R · drug divides 50 % slower",
        "GR50 ratio",
    ] {
        assert!(warning.contains(part), "{part:?} in {warning}");
    }
    assert!(
        slow.warnings
            .iter()
            .any(|w| w.contains("division rates differ")),
        "{:?}",
        slow.warnings
    );
    // Same division rates: no warning, and both RIs agree (curves differ by a shift only).
    let same = Synthetic {
        doublings: [2.5, 2.5],
        gec50: [0.1, 0.4],
        t0: [None, None],
        no_t0_for_r: false,
    }
    .analysis();
    let comparison = same
        .growth
        .as_ref()
        .unwrap()
        .comparison("P · drug", "P-R · drug")
        .unwrap();
    assert!(!comparison.confounded && comparison.warning.is_none());
    assert!(rel(comparison.ratio.unwrap(), 4.0) < 1e-4);
    assert!(rel(same.comparisons[0].ratio.unwrap(), 4.0) < 1e-3);
    assert!(!same.warnings.iter().any(|w| w.contains("division rates")));
}

/// The results JSON that `platefit analyze` and `platefit fit` write straight from the
/// analyses (without a `Value` tree) is, byte for byte, the pretty-printed `results_json`
/// tree: with GR metrics, comparisons, several experiments and their summary.
#[test]
fn results_json_text_equals_the_value_tree() {
    use platefit::report::json::{results_json, results_json_pretty};
    let analysis = Synthetic {
        doublings: [3.0, 1.5],
        gec50: [0.1, 0.4],
        t0: [None, None],
        no_t0_for_r: false,
    }
    .analysis();
    let one = std::slice::from_ref(&analysis);
    assert_eq!(
        results_json_pretty(one, None, false).unwrap(),
        serde_json::to_string_pretty(&results_json(one, None)).unwrap()
    );
    let mut other = analysis.clone();
    other.experiment = format!("{} again", other.experiment);
    let several = [analysis, other];
    let summary = platefit::summary::Summary::of(&several);
    let text = results_json_pretty(&several, Some(&summary), false).unwrap();
    assert_eq!(
        text,
        serde_json::to_string_pretty(&results_json(&several, Some(&summary))).unwrap()
    );
    assert!(text.contains("\"residuals\": [") && text.contains("\"summary\": {"));
}

/// Without t0 wells there are no GR answers and the JSON has no `gr` keys.
#[test]
fn no_time_zero_no_gr() {
    let mut experiment = Synthetic {
        doublings: [3.0, 3.0],
        gec50: [0.1, 0.4],
        t0: [None, None],
        no_t0_for_r: false,
    }
    .experiment();
    for info in &mut experiment.plates[0].layout.wells {
        if info.role == WellRole::T0 {
            *info = WellInfo::default();
        }
    }
    let analysis = analyze(&experiment).unwrap();
    assert!(analysis.growth.is_none());
    let json = platefit::report::json::results_json(&[analysis], None);
    assert!(json["curves"][0].get("gr").is_none());
    assert!(json["comparisons"][0].get("gr").is_none());
}

/// Bad input never panics and says what is wrong: t0 at or above the vehicle signal, a
/// line without t0 wells, a t0 signal not above the blank.
#[test]
fn bad_time_zero_input_gives_clear_messages() {
    let t0_too_high = Synthetic {
        doublings: [3.0, 2.0],
        gec50: [0.1, 0.4],
        t0: [None, Some(X0 * 5.0)],
        no_t0_for_r: false,
    }
    .analysis();
    let growth = t0_too_high.growth.as_ref().unwrap();
    let r = growth.curve("P-R · drug").unwrap();
    assert!(r.metrics.is_none());
    let problem = r.problem.as_deref().unwrap();
    assert!(
        problem.contains("synthetic.csv")
            && problem.contains("not above the t0 signal")
            && problem.contains("\"P-R\""),
        "{problem}"
    );
    assert!(
        t0_too_high
            .warnings
            .iter()
            .any(|w| w.contains("curve P-R · drug: GR metrics not computed")),
        "{:?}",
        t0_too_high.warnings
    );
    // The other line still has its GR answers; the comparison has no GR ratio.
    assert!(growth.curve("P · drug").unwrap().metrics.is_some());
    assert!(growth.comparisons[0].ratio.is_none());
    let json = platefit::report::json::results_json(&[t0_too_high], None);
    let text = serde_json::to_string(&json).unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_ok());

    let missing = Synthetic {
        doublings: [3.0, 2.0],
        gec50: [0.1, 0.4],
        t0: [None, None],
        no_t0_for_r: true,
    }
    .analysis();
    let r = missing
        .growth
        .as_ref()
        .unwrap()
        .curve("P-R · drug")
        .unwrap();
    assert!(
        r.problem
            .as_deref()
            .unwrap()
            .contains("no t0 wells for line \"P-R\""),
        "{r:?}"
    );

    let below_blank = Synthetic {
        doublings: [3.0, 2.0],
        gec50: [0.1, 0.4],
        t0: [Some(-0.01), None],
        no_t0_for_r: false,
    }
    .analysis();
    let p = below_blank
        .growth
        .as_ref()
        .unwrap()
        .curve("P · drug")
        .unwrap();
    let problem = p.problem.as_deref().unwrap();
    assert!(
        problem.contains("not above the blank") && problem.contains("synthetic.csv:A2"),
        "{problem}"
    );
}

fn platefit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_platefit"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the platefit binary runs")
}

const SAMPLE: &str = "sample_plates/flumatinib_K562_72h.csv";
const SAMPLE_T0: &str = "sample_plates/flumatinib_K562_t0.csv";

/// `analyze --t0` on the sample: `curves[].gr` with the contract keys, GI50/TGI/LC50 at the
/// curve level, the GR-based RI and the division-rate warning in the comparison and in the
/// warnings; the terminal table shows the GR table.
#[test]
fn cli_json_has_the_gr_keys() {
    let output = platefit(&["analyze", SAMPLE, "--t0", SAMPLE_T0, "--json", "-"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    for curve in json["curves"].as_array().unwrap() {
        let gr = &curve["gr"];
        for key in [
            "gr50", "grmax", "gr_aoc", "gec50", "hill", "grinf", "gi50", "tgi", "lc50",
        ] {
            assert!(gr.get(key).is_some(), "gr.{key} in {gr}");
        }
        for key in ["gi50", "tgi", "lc50"] {
            assert_eq!(curve[key], gr[key], "{key}");
        }
        assert!(gr["gr50"].as_f64().unwrap() > 0.0, "{gr}");
        assert!(gr["vehicle_doublings"].as_f64().unwrap() > 1.0);
        assert_eq!(gr["values"].as_array().unwrap().len(), 30);
    }
    let comparison = &json["comparisons"][0]["gr"];
    assert!(comparison["ratio"].as_f64().unwrap() > 1.0, "{comparison}");
    assert_eq!(comparison["basis"], "gr50");
    assert_eq!(comparison["division_rate_confounded"], true);
    let doublings = &comparison["vehicle_doublings"];
    assert!((doublings["reference"].as_f64().unwrap() - 3.0).abs() < 0.15);
    assert!((doublings["test"].as_f64().unwrap() - 1.8).abs() < 0.15);
    let warnings = json["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("division rates differ")),
        "{warnings:?}"
    );
    // Without --t0 the sample's JSON has no GR keys.
    let plain: Value =
        serde_json::from_slice(&platefit(&["analyze", SAMPLE, "--json", "-"]).stdout).unwrap();
    assert!(plain["curves"][0].get("gr").is_none());
    assert!(plain["curves"][0].get("gi50").is_none());
    // The terminal table.
    let text = platefit(&["analyze", SAMPLE, "--t0", SAMPLE_T0]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Growth-rate inhibition"), "{text}");
    assert!(text.contains("GR-based"), "{text}");
    // A missing t0 file is a one-line error naming it.
    let output = platefit(&["analyze", SAMPLE, "--t0", "no/such/t0.csv"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no/such/t0.csv"), "{stderr}");
}

/// The fixed-cell layout with t0 wells on the end-point plate gives GR answers too.
#[test]
fn t0_wells_in_the_layout() {
    let output = platefit(&[
        "analyze",
        "tests/data/growth/t0_wells_plate.csv",
        "--layout",
        "tests/data/growth/t0_wells_plate_layout.csv",
        "--json",
        "-",
    ]);
    assert!(output.status.success());
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["curves"][0]["gr"]["gr50"].as_f64().unwrap() > 0.0);
    assert_eq!(
        json["comparisons"][0]["gr"]["division_rate_confounded"],
        true
    );
}
