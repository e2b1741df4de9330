//! The growth-rate (GR) answers in words and JSON, shared by the JSON contract, the terminal
//! table, the exports and the app: `curves[].gr` with GR50, GRmax, GR_AOC, GEC50, h_GR,
//! GRinf and the NCI-60 GI50/TGI/LC50, and the GR-based resistance index beside the
//! IC50-based one.

use serde_json::{Value, json};

use crate::fit::Estimate;
use crate::growth::{CurveGrowth, GrowthAnalysis, GrowthComparison};
use crate::report::format_number;
use crate::report::json::{num, opt};

/// An estimate's number (null for a bound).
fn value(estimate: Estimate) -> Value {
    opt(estimate.value())
}

/// An estimate for people: the number, `> 10`, `< 0.001` or `—`.
#[must_use]
pub fn estimate_text(estimate: Estimate) -> String {
    match estimate {
        Estimate::Value(v) => format_number(v),
        other => other.bound_text().unwrap_or_else(|| "—".into()),
    }
}

/// An optional number for people (`—` when unknown).
#[must_use]
pub fn number_text(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), format_number)
}

/// The `gr` object of one curve: the metrics, each bound as text beside the number, the
/// inputs (t0 and vehicle signal, vehicle doublings) and every well's GR value.
#[must_use]
pub fn curve_gr_json(growth: &CurveGrowth) -> Value {
    let metrics = growth.metrics.as_ref();
    let estimate = |pick: fn(&crate::growth::GrMetrics) -> Estimate| {
        metrics.map_or(Estimate::Undetermined, pick)
    };
    let fit = growth.fit.as_ref();
    json!({
        "gr50": value(estimate(|m| m.gr50)),
        "gr50_bound": estimate(|m| m.gr50).bound_text(),
        "gr50_fitted": opt(metrics.and_then(|m| m.gr50_fitted)),
        "grmax": opt(metrics.and_then(|m| m.grmax)),
        "gr_aoc": opt(metrics.and_then(|m| m.gr_aoc)),
        "gec50": opt(metrics.and_then(|m| m.gec50)),
        "hill": opt(metrics.and_then(|m| m.hill)),
        "grinf": opt(metrics.and_then(|m| m.grinf)),
        "gi50": value(estimate(|m| m.gi50)),
        "gi50_bound": estimate(|m| m.gi50).bound_text(),
        "tgi": value(estimate(|m| m.tgi)),
        "tgi_bound": estimate(|m| m.tgi).bound_text(),
        "lc50": value(estimate(|m| m.lc50)),
        "lc50_bound": estimate(|m| m.lc50).bound_text(),
        "fit": fit.map(|f| if f.flat { "flat" } else { "sigmoid" }),
        "r_squared": opt(fit.and_then(|f| f.r_squared)),
        "p_flat": opt(fit.and_then(|f| f.p_flat)),
        "n": growth.points.len(),
        "t0_signal": opt(growth.t0_signal),
        "vehicle_signal": opt(growth.vehicle_signal),
        "vehicle_doublings": opt(growth.vehicle_doublings),
        "problem": growth.problem,
        "values": growth.points.iter().map(|p| json!({
            "file": p.file,
            "well": p.well.map(|w| w.to_string()),
            "conc": num(p.concentration),
            "signal": num(p.signal),
            "gr": num(p.gr),
            "percent_growth": num(p.percent_growth),
        })).collect::<Vec<_>>(),
    })
}

/// The `gr` object of one comparison: the GR-based RI, what it divides, the vehicle
/// doublings of both lines and the division-rate warning.
#[must_use]
pub fn comparison_gr_json(comparison: &GrowthComparison) -> Value {
    json!({
        "ratio": opt(comparison.ratio),
        "basis": comparison.basis,
        "ratio_bound": comparison.ratio_bound,
        "ic50_ratio": opt(comparison.ic50_ratio),
        "vehicle_doublings": {
            "reference": opt(comparison.doublings[0]),
            "test": opt(comparison.doublings[1]),
        },
        "doublings_ratio": opt(comparison.doublings_ratio),
        "division_rate_confounded": comparison.confounded,
        "warning": comparison.warning,
    })
}

/// GR-based RI for people: the number with its basis, a bound, or `—`.
#[must_use]
pub fn ratio_text(comparison: &GrowthComparison) -> String {
    match (comparison.ratio, &comparison.ratio_bound) {
        (Some(r), _) if comparison.basis == "gec50" => {
            format!("{} (GEC50 ratio)", format_number(r))
        }
        (Some(r), _) => format_number(r),
        (None, Some(bound)) => bound.clone(),
        (None, None) => "—".into(),
    }
}

/// The GR table as text lines (terminal table and plain-text exports).
#[must_use]
pub fn growth_text(growth: &GrowthAnalysis, unit: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nGrowth-rate inhibition (Hafner et al. 2016; concentrations in {unit})"
    );
    let _ = writeln!(
        out,
        "{:<24} {:>9} {:>9} {:>9} {:>8} {:>8} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "curve",
        "doublings",
        "GR50",
        "GEC50",
        "GRinf",
        "GRmax",
        "h",
        "GR_AOC",
        "GI50",
        "TGI",
        "LC50"
    );
    for curve in &growth.curves {
        let [
            label,
            doublings,
            gr50,
            gec50,
            grinf,
            grmax,
            hill,
            aoc,
            gi50,
            tgi,
            lc50,
        ] = curve_cells(curve);
        let _ = writeln!(
            out,
            "{label:<24} {doublings:>9} {gr50:>9} {gec50:>9} {grinf:>8} {grmax:>8} {hill:>6} {aoc:>9} {gi50:>9} {tgi:>9} {lc50:>9}",
        );
        if let Some(problem) = &curve.problem {
            let _ = writeln!(out, "  {}: {problem}", curve.label);
        }
    }
    for comparison in &growth.comparisons {
        let _ = writeln!(
            out,
            "RI {} vs {}: IC50-based {}, GR-based {}{}",
            comparison.test,
            comparison.reference,
            number_text(comparison.ic50_ratio),
            ratio_text(comparison),
            if comparison.confounded {
                " — division rates differ (see warnings)"
            } else {
                ""
            }
        );
    }
    out
}

/// The methods sentence for the GR metrics (only when they were computed).
#[must_use]
pub fn methods_sentence(growth: &GrowthAnalysis) -> String {
    let confounded: Vec<String> = growth
        .comparisons
        .iter()
        .filter(|c| c.confounded)
        .map(|c| {
            let (slower, faster) = match c.doublings {
                [Some(r), Some(t)] if t < r => (&c.test, &c.reference),
                _ => (&c.reference, &c.test),
            };
            format!("{slower} divided more slowly than {faster} over the assay")
        })
        .collect();
    let mut text = String::from(
        "Growth-rate inhibition (GR) values were computed per well from the blank-subtracted signal at drug addition (time zero) and at the end of the assay, GR(c) = 2^(log2(x(c)/x0)/log2(x_ctrl/x0)) − 1 (Hafner et al. 2016, Nat Methods 13:521), and fitted with GR(c) = GRinf + (1 − GRinf)/(1 + (c/GEC50)^h) by least squares within the GRmetrics bounds; GR50 is where the fitted curve crosses 0.5, GRmax the lower mean GR of the two highest concentrations, GR_AOC the area over the GR values per log10 unit of the tested range; GI50, TGI and LC50 (NCI-60 percent growth 50, 0 and −50) were interpolated on the observed curve. The GR-based resistance index is the ratio of GR50s, which corrects for differences in division rate between the lines.",
    );
    if !confounded.is_empty() {
        text.push_str(&format!(
            " The vehicle wells showed that {}; the IC50-based resistance index is therefore confounded by division rate, and the GR-based index is reported beside it.",
            confounded.join("; ")
        ));
    }
    text
}

/// One curve's GR table row as text, in the column order of the terminal and PDF tables:
/// curve, vehicle doublings, GR50, GEC50, GRinf, GRmax, h, GR_AOC, GI50, TGI, LC50.
#[must_use]
pub fn curve_cells(curve: &CurveGrowth) -> [String; 11] {
    let m = curve.metrics.as_ref();
    let est = |pick: fn(&crate::growth::GrMetrics) -> Estimate| {
        estimate_text(m.map_or(Estimate::Undetermined, pick))
    };
    let two_decimals = |v: Option<f64>| v.map_or_else(|| "—".into(), |v| format!("{v:.2}"));
    [
        curve.label.clone(),
        two_decimals(curve.vehicle_doublings),
        est(|m| m.gr50),
        number_text(m.and_then(|m| m.gec50)),
        number_text(m.and_then(|m| m.grinf)),
        number_text(m.and_then(|m| m.grmax)),
        two_decimals(m.and_then(|m| m.hill)),
        number_text(m.and_then(|m| m.gr_aoc)),
        est(|m| m.gi50),
        est(|m| m.tgi),
        est(|m| m.lc50),
    ]
}
