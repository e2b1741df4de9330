//! Issue 13's analysis choices: ROUT outlier detection and Prism's robust fit.
//!
//! - The robust fit, the outlier test and the refit match an independent computation with
//!   scipy (`tests/data/rout/make_reference.py`, values in `reference.json`).
//! - Simulated CCK-8 curves (4PL, triplicates, Gaussian noise of 4 % of vehicle): the share
//!   of clean curves with any point flagged, and the share of planted 6 SD outliers found.
//! - The defaults leave the 4PL fit exactly as it was; too many outliers flag the curve;
//!   the CLI takes `--outliers rout[=Q]` and `--robust` and reports the outliers in JSON.

use platefit::DoseResponse;
use platefit::fit::{
    FitChoices, FitMethod, FitOptions, Model, ModelChoice, OutlierChoice, Params4pl, fit_4pl,
    fit_curve,
};
use serde_json::Value;

use crate::cli::{json_of, platefit, root};

fn rout(q: f64) -> FitChoices {
    FitChoices {
        outliers: OutlierChoice::Rout { q },
        ..FitChoices::default()
    }
}

fn reference() -> Value {
    let path = root().join("tests/data/rout/reference.json");
    let text = std::fs::read_to_string(&path).expect("tests/data/rout/reference.json");
    serde_json::from_str(&text).expect("reference JSON")
}

/// A JSON array of numbers.
pub(crate) fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

/// Writes a reference case's `conc` and `response` arrays as a `platefit fit` points file
/// `name` in `dir`; returns its path.
pub(crate) fn write_case_points(dir: &std::path::Path, name: &str, case: &Value) -> String {
    let path = dir.join(name);
    let mut text = String::from("conc,response\n");
    for (c, r) in numbers(&case["conc"])
        .iter()
        .zip(numbers(&case["response"]))
    {
        text.push_str(&format!("{c},{r}\n"));
    }
    std::fs::write(&path, text).expect("write points");
    path.to_string_lossy().into_owned()
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * (1.0 + b.abs())
}

#[test]
fn robust_fit_outlier_test_and_refit_match_scipy() {
    let reference = reference();
    let cases = reference["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 3);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let conc = numbers(&case["conc"]);
        let response = numbers(&case["response"]);
        let pairs: Vec<(f64, f64)> = conc.into_iter().zip(response).collect();
        let points = DoseResponse::from_pairs(name, &pairs);
        let options = FitOptions::default();
        let fit = fit_curve(&points, &options, &rout(0.01)).expect("fit");
        let report = fit.outliers.as_ref().expect("ROUT ran");
        let robust = numbers(&case["robust"]);
        for (k, (a, b)) in report.robust_params.iter().zip(&robust).enumerate() {
            assert!(
                close(*a, *b, 1e-5),
                "{name}: robust param {k}: {a} vs scipy {b}"
            );
        }
        let rsdr = case["rsdr"].as_f64().expect("rsdr");
        assert!(
            close(report.rsdr, rsdr, 1e-5),
            "{name}: RSDR {} vs {rsdr}",
            report.rsdr
        );
        let expected: Vec<usize> = case["outliers"]
            .as_array()
            .expect("outliers")
            .iter()
            .map(|v| usize::try_from(v.as_u64().expect("index")).expect("index"))
            .collect();
        let found: Vec<usize> = report.points.iter().map(|p| p.index).collect();
        assert_eq!(found, expected, "{name}: outliers");
        for (point, p) in report.points.iter().zip(numbers(&case["p_values"])) {
            assert!(
                (point.p_value / p - 1.0).abs() < 1e-3,
                "{name}: p {} vs {p}",
                point.p_value
            );
        }
        assert_eq!(report.removed, !expected.is_empty());
        let last = numbers(&case["final"]);
        let params = fit.params.to_array();
        for (k, (a, b)) in params.iter().zip(&last).enumerate() {
            assert!(
                close(*a, *b, 1e-6),
                "{name}: final param {k}: {a} vs scipy {b}"
            );
        }
        let rss = case["final_rss"].as_f64().expect("rss");
        assert!(
            close(fit.rss, rss, 1e-8),
            "{name}: RSS {} vs {rss}",
            fit.rss
        );
        assert_eq!(fit.n, pairs.len() - expected.len());
        // The robust fit alone reports the robust parameters, no point removed.
        let robust_only = fit_curve(
            &points,
            &options,
            &FitChoices {
                method: FitMethod::Robust,
                ..FitChoices::default()
            },
        )
        .expect("robust fit");
        assert_eq!(robust_only.method, FitMethod::Robust);
        assert_eq!(robust_only.n, pairs.len());
        for (k, (a, b)) in robust_only
            .params
            .to_array()
            .iter()
            .zip(&robust)
            .enumerate()
        {
            assert!(
                close(*a, *b, 1e-5),
                "{name}: robust-only param {k}: {a} vs {b}"
            );
        }
        assert!(
            robust_only.se[2].is_some(),
            "{name}: approximate SE reported"
        );
        assert_eq!(robust_only.ic50_ci95_profile, None);
    }
}

#[test]
fn default_choices_leave_the_fit_unchanged() {
    let reference = reference();
    for case in reference["cases"].as_array().expect("cases") {
        let pairs: Vec<(f64, f64)> = numbers(&case["conc"])
            .into_iter()
            .zip(numbers(&case["response"]))
            .collect();
        let points = DoseResponse::from_pairs("curve", &pairs);
        let options = FitOptions::default();
        let plain = fit_4pl(&points, &options).expect("fit");
        let chosen = fit_curve(&points, &options, &FitChoices::default()).expect("fit");
        assert_eq!(plain, chosen);
        assert_eq!(plain.outliers, None);
        assert_eq!(plain.method, FitMethod::LeastSquares);
    }
}

/// A deterministic generator (SplitMix64) and Gaussian deviates (Box–Muller), so the
/// simulation gives the same curves on every machine.
struct Random(u64);

impl Random {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn gaussian(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

const NOISE_SD: f64 = 4.0;

/// A CCK-8-like curve: 9 threefold dilutions from 30 µM in triplicate plus 6 vehicle
/// wells, % of vehicle with Gaussian noise (SD 4 %), and a random true curve.
fn simulated(random: &mut Random) -> Vec<(f64, f64)> {
    let truth = Params4pl {
        bottom: 2.0 + 8.0 * random.uniform(),
        top: 100.0,
        log10_ic50: -1.0 + 2.0 * random.uniform(),
        hill_slope: -(0.8 + 1.2 * random.uniform()),
    };
    let mut pairs = Vec::new();
    for k in 0..9 {
        let c = 30.0 / 3f64.powi(k);
        for _ in 0..3 {
            pairs.push((
                c,
                truth.response_at_concentration(c) + NOISE_SD * random.gaussian(),
            ));
        }
    }
    for _ in 0..6 {
        pairs.push((0.0, 100.0 + NOISE_SD * random.gaussian()));
    }
    pairs
}

/// Motulsky & Brown report that with Q = 1 % and Gaussian scatter ROUT falsely finds one
/// or more outliers in about 1–3 % of experiments, and that it found a 4.5 SD outlier in
/// 58 % of their simulations. Issue 13's acceptance: ≤ 5 % of clean curves with a flagged
/// point, ≥ 90 % of planted outliers of 6 SD or more found (sizes drawn from 6–12 SD).
/// Exactly 6 SD is at the edge of what the test can see with 33 points (the critical
/// |t| at Q/N is about 4.3 robust SDs, and the noise of the outlier's own well shifts it by
/// ±1 SD): that rate is measured and guarded too. The rates are in the README.
#[test]
fn simulated_false_flags_and_detection_rates() {
    const CURVES: usize = 400;
    let mut random = Random(0x0013_0001);
    let options = FitOptions {
        profile_ci: false,
        ..FitOptions::default()
    };
    let mut clean_flagged = 0;
    let mut found_6_to_12 = 0;
    let mut found_exactly_6 = 0;
    let mut false_extra = 0;
    let planted_fit = |pairs: &[(f64, f64)], random: &mut Random, size_sd: f64| {
        let mut planted = pairs.to_vec();
        let index = (random.next_u64() % planted.len() as u64) as usize;
        let sign = if random.uniform() < 0.5 { -1.0 } else { 1.0 };
        planted[index].1 += sign * size_sd * NOISE_SD;
        let fit = fit_curve(
            &DoseResponse::from_pairs("planted", &planted),
            &options,
            &rout(0.01),
        )
        .expect("fit");
        let report = fit.outliers.expect("ROUT ran");
        let found = report.points.iter().any(|p| p.index == index);
        let extra = report.points.iter().any(|p| p.index != index);
        (found, extra)
    };
    for _ in 0..CURVES {
        let pairs = simulated(&mut random);
        let fit = fit_curve(
            &DoseResponse::from_pairs("clean", &pairs),
            &options,
            &rout(0.01),
        )
        .expect("fit");
        if fit.outliers.as_ref().is_some_and(|r| !r.points.is_empty()) {
            clean_flagged += 1;
        }
        let size = 6.0 + 6.0 * random.uniform();
        let (found, extra) = planted_fit(&simulated(&mut random), &mut random, size);
        found_6_to_12 += usize::from(found);
        false_extra += usize::from(extra);
        let (found, _) = planted_fit(&simulated(&mut random), &mut random, 6.0);
        found_exactly_6 += usize::from(found);
    }
    let rate = |count: usize| count as f64 / CURVES as f64;
    println!(
        "ROUT Q = 1 %, {CURVES} curves each: clean curves with a flagged point {:.1} %; planted outliers of 6-12 SD found {:.1} % (curves with another point flagged too {:.1} %); planted outliers of exactly 6 SD found {:.1} %",
        100.0 * rate(clean_flagged),
        100.0 * rate(found_6_to_12),
        100.0 * rate(false_extra),
        100.0 * rate(found_exactly_6),
    );
    assert!(
        rate(clean_flagged) <= 0.05,
        "clean curves flagged: {}",
        rate(clean_flagged)
    );
    assert!(
        rate(found_6_to_12) >= 0.90,
        "6-12 SD found: {}",
        rate(found_6_to_12)
    );
    assert!(
        rate(found_exactly_6) >= 0.80,
        "6 SD found: {}",
        rate(found_exactly_6)
    );
}

#[test]
fn too_many_outliers_flag_the_curve_and_remove_nothing() {
    // Nine of 33 points (27 %) pushed far off: ROUT would remove more than a quarter.
    let mut random = Random(7);
    let mut pairs = simulated(&mut random);
    for (n, k) in [1, 5, 9, 13, 17, 21, 25, 29, 32].into_iter().enumerate() {
        pairs[k].1 += if n % 2 == 0 { 200.0 } else { -200.0 };
    }
    let points = DoseResponse::from_pairs("messy", &pairs);
    let options = FitOptions::default();
    let fit = fit_curve(&points, &options, &rout(0.05)).expect("fit");
    let report = fit.outliers.as_ref().expect("ROUT ran");
    assert!(
        report.points.len() * 4 > pairs.len(),
        "{} outliers",
        report.points.len()
    );
    assert!(!report.removed);
    assert!(fit.outliers_flagged());
    assert_eq!(fit.n, pairs.len(), "nothing removed");
    let plain = fit_4pl(&points, &options).expect("fit");
    assert_eq!(fit.params, plain.params);
    assert!(report.sentence("messy").contains("more than a quarter"));
}

#[test]
fn cli_fit_lists_rout_outliers_in_json() {
    let reference = reference();
    let case = &reference["cases"][1];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_case_points(dir.path(), "points.csv", case);
    let json = json_of(&platefit(&[
        "fit",
        &path,
        "--outliers",
        "rout",
        "--json",
        "-",
    ]));
    let curve = &json["curves"][0];
    assert_eq!(curve["fit_method"], "least_squares");
    let outliers = curve["outliers"].as_array().expect("outliers array");
    assert_eq!(outliers.len(), 1, "{curve}");
    assert_eq!(outliers[0]["row"], 14, "the 14th point of the file");
    let response = numbers(&case["response"])[13];
    assert!((outliers[0]["response"].as_f64().expect("response") - response).abs() < 1e-12);
    assert!(outliers[0]["conc"].as_f64().is_some());
    assert_eq!(outliers[0]["removed"], true);
    assert_eq!(curve["outlier_detection"]["q_pct"], 1.0);
    assert_eq!(curve["outlier_detection"]["flagged"], false);
    assert_eq!(curve["n"], 32);
    // Off by default: the same points keep all 33.
    let json = json_of(&platefit(&["fit", &path, "--json", "-"]));
    assert_eq!(json["curves"][0]["n"], 33);
    assert_eq!(json["curves"][0]["outliers"], serde_json::json!([]));
    assert_eq!(json["curves"][0]["outlier_detection"], Value::Null);
    // The table lists the outlier.
    let output = platefit(&["fit", &path, "--outliers", "rout=1"]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("ROUT (Q = 1 %) removed 1 of 33 points"),
        "{table}"
    );
    // The robust fit alone.
    let json = json_of(&platefit(&["fit", &path, "--robust", "--json", "-"]));
    assert_eq!(json["curves"][0]["fit_method"], "robust");
    assert_eq!(json["curves"][0]["n"], 33);
    // Bad choices are one-line errors.
    for bad in [["--outliers", "grubbs"], ["--outliers", "rout=0"]] {
        let output = platefit(&["fit", &path, bad[0], bad[1]]);
        assert!(!output.status.success());
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains("--outliers"), "{message}");
    }
}

#[test]
fn cli_analyze_names_the_outlier_well_and_says_so_in_the_methods() {
    let source = root().join("tests/data/reference/synthetic/exp01_typical");
    let plate = std::fs::read_to_string(source.join("plate.csv")).expect("plate");
    // C10 (0.9517 OD, about 63 % viability) misread as 0.2000.
    assert!(plate.contains("0.9517"));
    let damaged = plate.replacen("0.9517", "0.2000", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let plate_path = dir.path().join("plate.csv");
    std::fs::write(&plate_path, damaged).expect("write plate");
    let report = dir.path().join("report.pdf");
    let plate_path = plate_path.to_string_lossy().into_owned();
    let layout = source.join("layout.csv").to_string_lossy().into_owned();
    let output = platefit(&[
        "analyze",
        &plate_path,
        "--layout",
        &layout,
        "--outliers",
        "rout",
        "--json",
        "-",
        "--report",
        &report.to_string_lossy(),
    ]);
    let json = json_of(&output);
    let flagged: Vec<&Value> = json["curves"]
        .as_array()
        .expect("curves")
        .iter()
        .flat_map(|c| c["outliers"].as_array().expect("outliers"))
        .collect();
    // The misread well is the first (largest) outlier. This synthetic plate's vehicle and
    // plateau wells scatter more than its mid-curve wells (about 3 % against 1.3 %), so
    // ROUT also flags a few of them: it judges every residual by the robust SD of all.
    assert_eq!(flagged[0]["well"], "C10", "{json}");
    assert_eq!(flagged[0]["removed"], true);
    assert!(flagged.len() * 4 <= 33, "{} outliers", flagged.len());
    assert!(report.is_file());
    // The experiment's text table and methods say what was done.
    let output = platefit(&[
        "analyze",
        &plate_path,
        "--layout",
        &layout,
        "--outliers",
        "rout",
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("ROUT (Q = 1 %) removed"), "{text}");
    assert!(text.contains("C10 (4.034)"), "{text}");
}

fn models_reference() -> Value {
    let path = root().join("tests/data/models/reference.json");
    let text = std::fs::read_to_string(&path).expect("tests/data/models/reference.json");
    serde_json::from_str(&text).expect("reference JSON")
}

fn model_choices(model: ModelChoice) -> FitChoices {
    FitChoices {
        model,
        ..FitChoices::default()
    }
}

/// The 3PL and the normalized 4PL reach scipy's least-squares optimum (many starts), with
/// the same SEs from `s²(JᵀJ)⁻¹`; AICc, ΔAICc, the probability and the F test match the
/// hand formulas computed by the script.
#[test]
fn models_match_scipy_and_the_comparison_matches_hand_computation() {
    let reference = models_reference();
    for case in reference["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let pairs: Vec<(f64, f64)> = numbers(&case["conc"])
            .into_iter()
            .zip(numbers(&case["response"]))
            .collect();
        let points = DoseResponse::from_pairs(name, &pairs);
        let options = FitOptions::default();
        for (model, key) in [
            (Model::FourPl, "4pl"),
            (Model::ThreePl, "3pl"),
            (Model::FourPlNormalized, "4pl_normalized"),
        ] {
            let expected = &case["fits"][key];
            let fit = fit_curve(&points, &options, &model_choices(ModelChoice::Fixed(model)))
                .expect("fit");
            assert_eq!(fit.model, model);
            let rss = expected["rss"].as_f64().expect("rss");
            assert!(
                close(fit.rss, rss, 1e-9),
                "{name} {key}: RSS {} vs {rss}",
                fit.rss
            );
            assert_eq!(
                fit.df,
                usize::try_from(expected["df"].as_u64().expect("df")).expect("df")
            );
            let params = &expected["params"];
            let se = &expected["se"];
            let ours = [
                ("bottom", fit.params.bottom, fit.se[0]),
                ("top", fit.params.top, fit.se[1]),
                ("log_ic50", fit.params.log10_ic50, fit.se[2]),
                ("hill_slope", fit.params.hill_slope, fit.se[3]),
            ];
            for (param, value, standard_error) in ours {
                if let Some(v) = params[param].as_f64() {
                    assert!(
                        close(value, v, 1e-5),
                        "{name} {key} {param}: {value} vs {v}"
                    );
                    let s = se[param].as_f64().expect("se");
                    let standard_error = standard_error.expect("SE of a fitted parameter");
                    assert!(
                        (standard_error / s - 1.0).abs() < 1e-3,
                        "{name} {key} SE {param}: {standard_error} vs {s}"
                    );
                } else {
                    assert_eq!(standard_error, None, "{name} {key}: {param} is fixed");
                }
            }
        }
        let auto = fit_curve(&points, &options, &model_choices(ModelChoice::Auto)).expect("fit");
        let comparison = auto.model_comparison.as_ref().expect("comparison");
        let expected = &case["compare_3pl_4pl"];
        let aicc = |key: &str| case["fits"][key]["aicc"].as_f64().expect("aicc");
        assert!(close(comparison.aicc[0].expect("aicc"), aicc("3pl"), 1e-8));
        assert!(close(comparison.aicc[1].expect("aicc"), aicc("4pl"), 1e-8));
        let delta = expected["delta_aicc"].as_f64().expect("delta");
        assert!(
            (comparison.delta_aicc.expect("delta") - delta).abs() < 1e-6,
            "{name}"
        );
        let probability = expected["probability_complex"].as_f64().expect("p");
        assert!((comparison.probability_complex.expect("p") - probability).abs() < 1e-8);
        let f = expected["f"].as_f64().expect("f");
        assert!(close(comparison.f.expect("f"), f, 1e-6), "{name}: F");
        let p = expected["p_value"].as_f64().expect("p");
        assert!(
            (comparison.p_value.expect("p") / p - 1.0).abs() < 1e-4,
            "{name}: p"
        );
        let chosen = if probability > 0.5 {
            Model::FourPl
        } else {
            Model::ThreePl
        };
        assert_eq!(comparison.chosen, Some(chosen), "{name}");
        assert_eq!(auto.model, chosen, "{name}");
        assert!(
            comparison.reason.contains("by AICc"),
            "{}",
            comparison.reason
        );
    }
}

/// "Choose automatically" on held-back knowledge: curves simulated with HillSlope −1 are
/// mostly given the 3PL, steep curves (HillSlope −3) almost always the 4PL (a steep drop
/// that falls between two concentrations cannot show its slope).
#[test]
fn automatic_choice_follows_the_true_slope() {
    let mut random = Random(0x0013_0002);
    let options = FitOptions {
        profile_ci: false,
        ..FitOptions::default()
    };
    let mut three_for_standard = 0;
    let mut four_for_steep = 0;
    const CURVES: usize = 100;
    for _ in 0..CURVES {
        for (hill, counter) in [(-1.0, &mut three_for_standard), (-3.0, &mut four_for_steep)] {
            let truth = Params4pl {
                bottom: 5.0,
                top: 100.0,
                log10_ic50: -0.5 + random.uniform(),
                hill_slope: hill,
            };
            let mut pairs = Vec::new();
            for k in 0..9 {
                let c = 30.0 / 3f64.powi(k);
                for _ in 0..3 {
                    pairs.push((
                        c,
                        truth.response_at_concentration(c) + NOISE_SD * random.gaussian(),
                    ));
                }
            }
            let fit = fit_curve(
                &DoseResponse::from_pairs("auto", &pairs),
                &options,
                &model_choices(ModelChoice::Auto),
            )
            .expect("fit");
            let wanted = if hill > -2.0 {
                Model::ThreePl
            } else {
                Model::FourPl
            };
            *counter += usize::from(fit.model == wanted);
        }
    }
    println!(
        "auto: true slope −1 → 3PL in {three_for_standard}/{CURVES}; slope −3 → 4PL in {four_for_steep}/{CURVES}"
    );
    assert!(
        three_for_standard * 100 >= 60 * CURVES,
        "{three_for_standard}"
    );
    assert!(four_for_steep * 100 >= 97 * CURVES, "{four_for_steep}");
}

#[test]
fn cli_model_choice_is_explicit_in_json_and_text() {
    let reference = models_reference();
    let case = &reference["cases"][1];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_case_points(dir.path(), "steep.csv", case);
    let json = json_of(&platefit(&["fit", &path, "--model", "auto", "--json", "-"]));
    let curve = &json["curves"][0];
    assert_eq!(curve["model"], "4pl");
    let comparison = &curve["model_comparison"];
    assert_eq!(comparison["chosen"], "4pl");
    assert_eq!(comparison["chosen_by"], "aicc");
    assert_eq!(comparison["models"], serde_json::json!(["3pl", "4pl"]));
    assert!(comparison["probability"]["4pl"].as_f64().expect("p") > 0.99);
    assert!(
        comparison["reason"]
            .as_str()
            .expect("reason")
            .starts_with("the 4PL was preferred over the 3PL (Hill slope −1) by AICc")
    );
    let json = json_of(&platefit(&["fit", &path, "--model", "3pl", "--json", "-"]));
    assert_eq!(json["curves"][0]["model"], "3pl");
    assert_eq!(json["curves"][0]["hill_slope"], -1.0);
    assert_eq!(json["curves"][0]["se"]["hill_slope"], Value::Null);
    assert_eq!(json["curves"][0]["model_comparison"], Value::Null);
    let output = platefit(&["fit", &path, "--model", "auto"]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("model: the 4PL was preferred"), "{table}");
    let output = platefit(&["fit", &path, "--model", "6pl"]);
    assert!(!output.status.success());
    let output = platefit(&["fit", &path, "--model", "auto", "--robust"]);
    assert!(!output.status.success());
}

/// The residuals, the runs test and the replicates test: a steep curve forced through the
/// 3PL lies far from its replicates (the replicates test fails and says so in words); the
/// replicates test matches its definition computed here by hand, the runs test the exact
/// distribution.
#[test]
fn diagnostics_flag_a_model_that_does_not_describe_the_data() {
    let reference = models_reference();
    let case = &reference["cases"][1];
    let pairs: Vec<(f64, f64)> = numbers(&case["conc"])
        .into_iter()
        .zip(numbers(&case["response"]))
        .collect();
    let points = DoseResponse::from_pairs("steep", &pairs);
    let options = FitOptions::default();
    let three = fit_curve(
        &points,
        &options,
        &model_choices(ModelChoice::Fixed(Model::ThreePl)),
    )
    .expect("fit");
    let diagnostics = three.diagnostics.as_ref().expect("diagnostics");
    assert_eq!(diagnostics.residuals.len(), pairs.len());
    let rss: f64 = diagnostics
        .residuals
        .iter()
        .map(|r| r.residual * r.residual)
        .sum();
    assert!(close(rss, three.rss, 1e-9));
    // Pure error by hand: replicates around their mean at each concentration.
    let mut levels: Vec<(f64, Vec<f64>)> = Vec::new();
    for (c, r) in &pairs {
        match levels.iter_mut().find(|(x, _)| (x - c).abs() < 1e-12) {
            Some((_, values)) => values.push(*r),
            None => levels.push((*c, vec![*r])),
        }
    }
    let ss_pe: f64 = levels
        .iter()
        .map(|(_, v)| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
        })
        .sum();
    let df_pe = pairs.len() - levels.len();
    let replicates = diagnostics.replicates.expect("replicates test");
    assert_eq!(replicates.df_pure_error, df_pe);
    assert_eq!(replicates.df_lack_of_fit, three.df - df_pe);
    let f = ((three.rss - ss_pe) / (three.df - df_pe) as f64) / (ss_pe / df_pe as f64);
    assert!(close(replicates.f, f, 1e-9), "{} vs {f}", replicates.f);
    assert!(replicates.p_value < 0.05, "{replicates:?}");
    // The runs test sees only the 10 concentration means here: 4 runs of 5 positive and 5
    // negative means, P(R ≤ 4) = (2 + 8 + 32)/252 by enumeration: not significant.
    let runs = diagnostics.runs.expect("runs test");
    assert_eq!((runs.runs, runs.positive, runs.negative), (4, 5, 5));
    assert!((runs.p_value - 42.0 / 252.0).abs() < 1e-12, "{runs:?}");
    assert!(
        diagnostics
            .warnings
            .iter()
            .any(|w| w.starts_with("The curve does not describe the data")),
        "{:?}",
        diagnostics.warnings
    );
    // The 4PL describes the same points: no warning.
    let four = fit_4pl(&points, &options).expect("fit");
    let diagnostics = four.diagnostics.as_ref().expect("diagnostics");
    assert!(
        diagnostics.warnings.is_empty(),
        "{:?}",
        diagnostics.warnings
    );
    assert!(diagnostics.replicates.expect("replicates").p_value > 0.05);
}

#[test]
fn cli_json_has_residuals_and_diagnostics() {
    let reference = models_reference();
    let case = &reference["cases"][1];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_case_points(dir.path(), "steep.csv", case);
    let json = json_of(&platefit(&["fit", &path, "--model", "3pl", "--json", "-"]));
    let curve = &json["curves"][0];
    let residuals = curve["residuals"].as_array().expect("residuals");
    assert_eq!(residuals.len(), 33);
    assert_eq!(residuals[0]["row"], 1);
    let r0 = &residuals[0];
    let difference = r0["response"].as_f64().expect("y") - r0["fitted"].as_f64().expect("f");
    assert!((difference - r0["residual"].as_f64().expect("r")).abs() < 1e-12);
    assert_eq!(curve["diagnostics"]["runs_test"]["runs"], 4);
    assert!(
        curve["diagnostics"]["replicates_test"]["p_value"]
            .as_f64()
            .expect("p")
            < 0.05
    );
    assert_eq!(
        curve["diagnostics"]["warnings"]
            .as_array()
            .expect("warnings")
            .len(),
        1
    );
    let output = platefit(&["fit", &path, "--model", "3pl"]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("The curve does not describe the data"),
        "{table}"
    );
}

/// The bundled sample with C9 (K562, mid-curve) misread as 0.2000 OD instead of 0.6885,
/// ROUT on at Q = 1 %.
fn sample_with_planted_outlier() -> platefit::analysis::Experiment {
    let sample = root().join("sample_plates/flumatinib_K562_72h.csv");
    let settings = platefit::analysis::AnalysisSettings {
        choices: rout(0.01),
        ..Default::default()
    };
    let mut experiment = platefit::cli::load_experiments(&[sample], None, &settings, false)
        .expect("sample")
        .remove(0);
    let plate = &mut experiment.plates[0].plate;
    let index = 2 * plate.shape.cols + 8;
    let read = plate
        .reads
        .iter_mut()
        .find(|r| r.label.contains("450"))
        .expect("450 nm read");
    assert_eq!(read.values[index], Some(0.6885));
    read.values[index] = Some(0.2);
    experiment
}

/// A flag the user overrules (the app's "Keep"): the point stays in the fit on every refit,
/// is still listed (kept, not removed) in the JSON, the workbook's Outliers sheet and the
/// Prism file, and the methods say so. Without the flag the point is removed everywhere.
#[test]
fn a_kept_outlier_stays_in_the_fit_and_every_export_says_so() {
    let c9 = platefit::WellId::parse("C9").expect("well");
    let label = "K562 · flumatinib";
    let mut experiment = sample_with_planted_outlier();
    let removed = platefit::analyze(&experiment).expect("analysis");
    let curve = removed.curve(label).expect("K562");
    let report = curve.fit.outliers.as_ref().expect("ROUT ran");
    let point = report
        .points
        .iter()
        .find(|p| p.well == Some(c9))
        .expect("C9 flagged");
    assert!(report.is_removed(point) && !point.kept);
    let json = platefit::report::json::outliers_json(&curve.fit);
    let c9_json = |json: &Value| {
        json.as_array()
            .expect("outliers")
            .iter()
            .find(|p| p["well"] == "C9")
            .cloned()
            .expect("C9 in JSON")
    };
    assert_eq!(c9_json(&json)["removed"], true);
    assert!(c9_json(&json).get("kept").is_none());

    experiment.settings.set_kept(label, c9, true);
    let kept = platefit::analyze(&experiment).expect("analysis");
    let curve = kept.curve(label).expect("K562");
    let report = curve.fit.outliers.as_ref().expect("ROUT ran");
    let point = report
        .points
        .iter()
        .find(|p| p.well == Some(c9))
        .expect("C9 still listed");
    assert!(point.kept && !report.is_removed(point));
    let fitted = curve.fit.fitted_dose_response(&curve.dose_response);
    assert!(
        fitted
            .points
            .iter()
            .any(|p| p.well == Some(c9) && !p.excluded)
    );
    // C9 is in the fit: the fit has one more point than with C9 removed.
    let removed_fit = &removed.curve(label).expect("K562").fit;
    assert_eq!(curve.fit.n, removed_fit.n + 1);
    let json = platefit::report::json::outliers_json(&curve.fit);
    assert_eq!(c9_json(&json)["removed"], false);
    assert_eq!(c9_json(&json)["kept"], true);
    let methods = platefit::report::text::methods_paragraph(&kept);
    assert!(
        methods.contains("overruled by the user") && methods.contains("C9"),
        "{methods}"
    );
    assert!(
        report.sentence(label).contains("C9"),
        "{}",
        report.sentence(label)
    );

    // The workbook's Outliers sheet and the Prism file.
    use calamine::Reader;
    let date = platefit::report::ReportDate::parse("2025-01-15").expect("date");
    for (analysis, state, excluded) in [
        (&removed, "removed", true),
        (&kept, "kept by the user (flag overruled)", false),
    ] {
        let items = vec![(experiment.clone(), analysis.clone())];
        let bytes = platefit::report::xlsx::workbook(&items, date).expect("workbook");
        let mut book: calamine::Xlsx<_> =
            calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
        let sheet = book.worksheet_range("Outliers").expect("Outliers sheet");
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect();
        let column = |name: &str| {
            platefit::report::xlsx::OUTLIER_COLUMNS
                .iter()
                .position(|c| *c == name)
                .expect("column")
        };
        let row = rows
            .iter()
            .find(|r| r[column("well")] == "C9")
            .expect("C9 row");
        assert_eq!(row[column("state")], state);
        let response: f64 = row[column("response")].parse().expect("a number");
        assert!((response - point.response).abs() <= 1e-9 * point.response.abs());
        let fits = book.worksheet_range("Fit results").expect("fits");
        let header: Vec<String> = fits
            .rows()
            .next()
            .expect("header")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(header.contains(&"rout_outliers_removed".to_string()));
        let prism = platefit::report::pzfx::document(
            std::slice::from_ref(analysis),
            platefit::report::pzfx::XScale::Concentration,
            date,
        )
        .expect("pzfx");
        let marked = format!(r#"<d Excluded="1">{}</d>"#, point.response);
        assert_eq!(prism.contains(&marked), excluded, "C9 in the Prism file");
        assert!(prism.contains("ROUT (Q = 1 %)"));
    }
}
