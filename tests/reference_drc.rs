//! platefit's fits against `tests/data/reference/reference.json`: R drc fits of drc's own
//! data sets and of synthetic CCK-8 plates, with the exact least-squares optimum and the
//! Gauss–Newton standard errors at it.
//!
//! Well-determined fits must match the optimum (parameters ≤ 1e-4 relative, RSS ≤ 1e-8
//! relative) and the `s²(JᵀJ)⁻¹` standard errors and CIs (≤ 1e-3 relative). Fits the
//! reference marks as not well determined must carry an outcome class other than
//! `converged` instead of a confident number.

use std::collections::BTreeMap;
use std::path::PathBuf;

use platefit::fit::lm::{SolverSettings, minimize};
use platefit::fit::{
    CurveData, CurveSet, FitOptions, FitStatus, ParamRef, ResponseScale, fit_4pl, log10_or_neg_inf,
};
use platefit::stats::t95;
use platefit::{DoseResponse, Fit};
use serde_json::Value;

pub(crate) fn reference_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/reference"))
}

pub(crate) fn reference_json() -> Value {
    let text = std::fs::read_to_string(reference_dir().join("reference.json"))
        .expect("tests/data/reference/reference.json is part of the repository");
    serde_json::from_str(&text).expect("reference.json parses")
}

/// (conc, response, curve) rows of a reference CSV file.
pub(crate) fn read_rows(file: &str) -> Vec<(f64, f64, String)> {
    let mut reader = csv::Reader::from_path(reference_dir().join(file)).expect("reference csv");
    let headers = reader.headers().expect("headers").clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (conc, response, curve) = if let Some(v) = col("viability_pct") {
        (col("conc_uM").expect("conc_uM"), v, col("line"))
    } else {
        (
            col("conc").expect("conc"),
            col("response").expect("response"),
            col("curve"),
        )
    };
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            (
                r[conc].parse().expect("conc"),
                r[response].parse().expect("response"),
                curve.map(|c| r[c].to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

/// The points a reference fit used.
pub(crate) fn points_for(curve: &Value, variant: &str) -> Vec<(f64, f64)> {
    let file = curve["file"].as_str().expect("file");
    let name = curve["curve"].as_str().unwrap_or("");
    read_rows(file)
        .into_iter()
        .filter(|(_, _, c)| name.is_empty() || c == name)
        .filter(|(conc, _, _)| {
            curve["source"] != "synthetic" || variant == "ll4_with_vehicle" || *conc > 0.0
        })
        .map(|(c, r, _)| (c, r))
        .collect()
}

pub(crate) fn options_for(fit: &Value, percent_scale: bool) -> FitOptions {
    FitOptions {
        fix_bottom: fit["fixed"]["c"].as_f64(),
        fix_top: fit["fixed"]["d"].as_f64(),
        scale: if percent_scale {
            ResponseScale::Percent
        } else {
            ResponseScale::Raw
        },
        profile_ci: true,
    }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// The RSS minimized over the other parameters with LogIC50 held at `log_ic50`.
fn profile_rss(points: &[(f64, f64)], options: &FitOptions, fit: &Fit, log_ic50: f64) -> f64 {
    let data = CurveData::from_points(points.iter().map(|(c, r)| (log10_or_neg_inf(*c), *r)));
    let mut next = 0;
    let mut slot = |fixed: Option<f64>| {
        fixed.map_or_else(
            || {
                next += 1;
                ParamRef::Free(next - 1)
            },
            ParamRef::Fixed,
        )
    };
    let refs = [
        slot(options.fix_bottom),
        slot(options.fix_top),
        ParamRef::Fixed(log_ic50),
        slot(None),
    ];
    let start: Vec<f64> = refs
        .iter()
        .zip(fit.params.to_array())
        .filter(|(r, _)| matches!(r, ParamRef::Free(_)))
        .map(|(_, v)| v)
        .collect();
    let set = CurveSet {
        curves: vec![(data, refs)],
        n_free: next,
    };
    minimize(&set, &start, SolverSettings::default()).rss
}

/// Checks one well-determined fit; returns the problems found.
fn check_well_determined(
    id: &str,
    fit: &Fit,
    reference: &Value,
    points: &[(f64, f64)],
    options: &FitOptions,
    profile_limits: &mut BTreeMap<&'static str, usize>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let optimum = &reference["optimum"];
    let gauss = &reference["gauss_newton"];
    let e_opt = optimum["params"]["e"].as_f64().expect("e");
    if !fit.status.ic50_is_reported() || matches!(fit.status, FitStatus::Ambiguous) {
        problems.push(format!(
            "{id}: status {:?}, expected a determined IC50",
            fit.status
        ));
    }
    let e = fit.relative_ic50();
    if rel(e, e_opt) > 1e-4 {
        problems.push(format!("{id}: e {e} vs optimum {e_opt}"));
    }
    let rss_opt = optimum["rss"].as_f64().expect("rss");
    if fit.rss > rss_opt * (1.0 + 1e-8) {
        problems.push(format!("{id}: rss {} above optimum {rss_opt}", fit.rss));
    }
    // b = -hill, c = bottom, d = top; c and d compared relative to their scale or SE.
    let pairs = [
        ("b", -fit.params.hill_slope, fit.se[3]),
        ("c", fit.params.bottom, fit.se[0]),
        ("d", fit.params.top, fit.se[1]),
    ];
    for (name, ours, se) in pairs {
        let Some(theirs) = optimum["params"][name].as_f64() else {
            continue;
        };
        if reference["fixed"][name].as_f64().is_some() {
            continue;
        }
        let scale = theirs.abs().max(gauss["se"][name].as_f64().unwrap_or(0.0));
        if (ours - theirs).abs() > 1e-4 * scale {
            problems.push(format!("{id}: {name} {ours} vs optimum {theirs}"));
        }
        if let (Some(se), Some(se_ref)) = (se, gauss["se"][name].as_f64())
            && rel(se, se_ref) > 1e-3
        {
            problems.push(format!("{id}: SE({name}) {se} vs {se_ref}"));
        }
    }
    if let (Some(se_log), Some(se_e)) = (fit.se[2], gauss["se"]["e"].as_f64()) {
        let se_e_ours = e * std::f64::consts::LN_10 * se_log;
        if rel(se_e_ours, se_e) > 1e-3 {
            problems.push(format!("{id}: SE(e) {se_e_ours} vs {se_e}"));
        }
    } else {
        problems.push(format!("{id}: no SE for LogIC50"));
    }
    let compare_ci = |name: &str, ours: Option<[f64; 2]>, key: &str| -> Option<String> {
        let lo = gauss[key][0].as_f64()?;
        let hi = gauss[key][1].as_f64()?;
        match ours {
            Some([a, b]) if rel(a, lo) <= 1e-3 && rel(b, hi) <= 1e-3 => None,
            other => Some(format!("{id}: {name} CI {other:?} vs [{lo}, {hi}]")),
        }
    };
    problems.extend(compare_ci(
        "log-scale",
        fit.ic50_ci95_wald_log,
        "ed50_ci_log",
    ));
    problems.extend(compare_ci("delta", fit.ic50_ci95_delta, "ed50_ci_linear"));
    // The profile CI lies around the estimate. At each of its limits the RSS minimized with
    // LogIC50 held there (refitted from the optimum) is RSS_min·(1 + t²/df) where the
    // profile is continuous; where it jumps (steep curves whose midpoint passes a tested
    // concentration) the limit is the jump, and the refit there lands above the threshold.
    match fit.ic50_ci95_profile {
        Some([Some(lo), Some(hi)]) if lo < e && e < hi => {
            let t = t95(fit.df as f64).expect("df > 0");
            let threshold = fit.rss * (1.0 + t * t / fit.df as f64);
            for limit in [lo, hi] {
                let rss = profile_rss(points, options, fit, limit.log10());
                // The limit is solved to z = √(RSS − RSS_min) within 1e-5: RSS within 2e-5.
                if rel(rss, threshold) <= 2e-5 {
                    *profile_limits.entry("on the threshold").or_default() += 1;
                } else if rss > threshold {
                    *profile_limits.entry("at a jump").or_default() += 1;
                } else {
                    problems.push(format!(
                        "{id}: profile limit {limit}: RSS {rss} below threshold {threshold}"
                    ));
                }
            }
        }
        other => problems.push(format!("{id}: profile CI {other:?} around {e}")),
    }
    problems
}

#[test]
fn fits_match_drc_optimum_or_are_flagged() {
    let reference = reference_json();
    let mut problems = Vec::new();
    let mut checked = BTreeMap::<&str, usize>::new();
    let mut profile_limits = BTreeMap::<&str, usize>::new();
    for curve in reference["curves"].as_array().expect("curves") {
        let id = curve["id"].as_str().expect("id");
        let percent_scale = curve["source"] == "synthetic";
        for (variant, fit_ref) in curve["fits"].as_object().expect("fits") {
            let points = points_for(curve, variant);
            let options = options_for(fit_ref, percent_scale);
            let label = format!("{id} [{variant}]");
            let fit = fit_4pl(&DoseResponse::from_pairs(&label, &points), &options)
                .expect("reference points are valid");
            if fit.n != fit_ref["n"].as_u64().expect("n") as usize {
                problems.push(format!("{label}: n {} vs {}", fit.n, fit_ref["n"]));
            }
            let well_determined = fit_ref["optimum"]["flags"]["well_determined"] == true;
            if well_determined {
                problems.extend(check_well_determined(
                    &label,
                    &fit,
                    fit_ref,
                    &points,
                    &options,
                    &mut profile_limits,
                ));
                *checked.entry("well-determined").or_default() += 1;
            } else {
                if fit.status == FitStatus::Converged {
                    problems.push(format!(
                        "{label}: reference says not well determined ({}), platefit says converged with IC50 {}",
                        fit_ref["optimum"]["flags"], fit.relative_ic50()
                    ));
                }
                *checked.entry("flagged").or_default() += 1;
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The shipped reference set (16 of the 30 synthetic experiments plus drc's data sets)
    // holds 102 well-determined and 7 other fits; none may be skipped.
    assert_eq!(checked.get("well-determined"), Some(&102), "{checked:?}");
    assert_eq!(checked.get("flagged"), Some(&7), "{checked:?}");
    // Jumps are the exception (steep or five-concentration curves).
    let on = profile_limits.get("on the threshold").copied().unwrap_or(0);
    let jumps = profile_limits.get("at a jump").copied().unwrap_or(0);
    eprintln!("profile limits: {profile_limits:?}");
    assert!(on >= 9 * (on + jumps) / 10, "{profile_limits:?}");
}

#[test]
fn comparisons_match_drc() {
    let reference = reference_json();
    let mut problems = Vec::new();
    let mut checked = 0;
    for record in reference["comparisons"].as_array().expect("comparisons") {
        let id = record["id"].as_str().expect("id");
        let numerator = record["numerator"].as_str().expect("numerator");
        let denominator = record["denominator"].as_str().expect("denominator");
        let synthetic = record["source"] == "synthetic";
        let curve_id = |name: &str| format!("{id}/{name}");
        let fit_of = |name: &str| -> Option<(DoseResponse, Fit, Value)> {
            let cid = curve_id(name);
            let curve = reference["curves"]
                .as_array()?
                .iter()
                .find(|c| c["id"] == cid.as_str())?;
            let points = points_for(curve, "ll4");
            let dose_response = DoseResponse::from_pairs(name, &points);
            let options = options_for(&curve["fits"]["ll4"], synthetic);
            let fit = fit_4pl(&dose_response, &options).ok()?;
            Some((dose_response, fit, curve["fits"]["ll4"].clone()))
        };
        let (Some(reference_curve), Some(test_curve)) = (fit_of(denominator), fit_of(numerator))
        else {
            problems.push(format!("{id}: curves not found"));
            continue;
        };
        let options = FitOptions {
            scale: if synthetic {
                ResponseScale::Percent
            } else {
                ResponseScale::Raw
            },
            ..FitOptions::default()
        };
        let comparison = platefit::compare(
            (&reference_curve.0, &reference_curve.1),
            (&test_curve.0, &test_curve.1),
            &options,
        );
        let determined = |v: &Value| v["optimum"]["flags"]["well_determined"] == true;
        let both_determined = determined(&reference_curve.2) && determined(&test_curve.2);
        checked += 1;
        if !both_determined {
            if comparison.ratio.is_some() && comparison.status == "ok" {
                problems.push(format!(
                    "{id}: a curve is not well determined, yet RI {:?} is reported as ok",
                    comparison.ratio
                ));
            }
            continue;
        }
        // Ratio of the optimum ED50s.
        let e = |v: &Value| v["optimum"]["params"]["e"].as_f64().expect("e");
        let expected_ratio = e(&test_curve.2) / e(&reference_curve.2);
        let Some(ratio) = comparison.ratio else {
            problems.push(format!("{id}: no ratio ({})", comparison.status));
            continue;
        };
        if rel(ratio, expected_ratio) > 1e-4 {
            problems.push(format!("{id}: ratio {ratio} vs {expected_ratio}"));
        }
        // Log-scale CI: J'J at the optimum with the pooled variance, rebuilt from the
        // reference's per-curve Gauss-Newton SEs (natural-log ED50 SEs at their own s²).
        let joint_df = record["joint_df"].as_f64().expect("joint_df");
        let joint_rss = record["joint_rss"].as_f64().expect("joint_rss");
        let pooled = |v: &Value| {
            let se = v["gauss_newton"]["log_ed50_se"].as_f64().expect("se");
            let own_s2 = v["optimum"]["rss"].as_f64().expect("rss") / v["df"].as_f64().expect("df");
            se * se / own_s2
        };
        let rss_full_opt = reference_curve.2["optimum"]["rss"]
            .as_f64()
            .unwrap_or(joint_rss)
            + test_curve.2["optimum"]["rss"].as_f64().unwrap_or(0.0);
        let s2 = rss_full_opt / joint_df;
        let se_ln = (s2 * (pooled(&reference_curve.2) + pooled(&test_curve.2))).sqrt();
        let t = platefit::stats::t95(joint_df).expect("t");
        let ln_ratio = expected_ratio.ln();
        let expected_ci = [(ln_ratio - t * se_ln).exp(), (ln_ratio + t * se_ln).exp()];
        match comparison.ratio_ci95 {
            Some([lo, hi])
                if rel(lo, expected_ci[0]) <= 1e-3 && rel(hi, expected_ci[1]) <= 1e-3 => {}
            other => problems.push(format!("{id}: RI CI {other:?} vs {expected_ci:?}")),
        }
        // drc's own log-scale CI uses its Hessian-based SEs: agree within a few percent.
        let drc_log = &record["ratio_log_scale"];
        if let (Some(lo), Some(hi), Some([ours_lo, ours_hi])) = (
            drc_log["lower"].as_f64(),
            drc_log["upper"].as_f64(),
            comparison.ratio_ci95,
        ) && (rel(ours_lo, lo) > 0.05 || rel(ours_hi, hi) > 0.05)
        {
            problems.push(format!(
                "{id}: RI CI [{ours_lo}, {ours_hi}] far from drc's [{lo}, {hi}]"
            ));
        }
        // F test against the tight refit (or better: a lower reduced RSS than drc found).
        let tight = &record["f_test_shared_e"]["tight"];
        let (Some(f), Some(p), Some(rss_r)) =
            (comparison.f, comparison.p_value, comparison.rss_reduced)
        else {
            problems.push(format!("{id}: no F test"));
            continue;
        };
        let tight_rss_r = tight["rss_reduced"].as_f64().expect("rss_reduced");
        if rss_r > tight_rss_r * (1.0 + 1e-6) {
            problems.push(format!(
                "{id}: reduced RSS {rss_r} above drc's {tight_rss_r}"
            ));
        } else if rel(rss_r, tight_rss_r) <= 1e-6 {
            let tight_f = tight["F"].as_f64().expect("F");
            let tight_p = tight["p"].as_f64().expect("p");
            if rel(f, tight_f) > 1e-3 {
                problems.push(format!("{id}: F {f} vs {tight_f}"));
            }
            if rel(p, tight_p) > 1e-2 && (p - tight_p).abs() > 1e-300 {
                problems.push(format!("{id}: p {p} vs {tight_p}"));
            }
        }
        // Where drc's reduced fit stopped in a degenerate valley (a curve turning into a
        // straight line), platefit's lower RSS gives a smaller F; the conclusion at the 5 %
        // level must still be the same.
        let tight_p = tight["p"].as_f64().expect("p");
        if (p < 0.05) != (tight_p < 0.05) {
            problems.push(format!("{id}: p {p} and drc's {tight_p} disagree at 5 %"));
        }
        if comparison.df != Some([1, joint_df as usize]) {
            problems.push(format!("{id}: df {:?}", comparison.df));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(checked, 17);
}
