//! The JSON results contract (DESIGN §7): `curves`, `comparisons`, `plates`, plus an
//! across-experiment `summary` when several experiments are analysed together.
//! Unknown numbers are `null`, never NaN.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use crate::analysis::Analysis;
use crate::compare::Comparison;
use crate::fit::Fit;
use crate::summary::Summary;

/// A finite number, or null.
#[must_use]
pub fn num(value: f64) -> Value {
    if value.is_finite() {
        json!(value)
    } else {
        Value::Null
    }
}

/// An optional finite number, or null.
#[must_use]
pub fn opt(value: Option<f64>) -> Value {
    value.map_or(Value::Null, num)
}

/// A two-number interval, or null.
#[must_use]
pub fn interval(value: Option<[f64; 2]>) -> Value {
    value.map_or(Value::Null, |[a, b]| json!([num(a), num(b)]))
}

/// The text bound for an IC50 that lies outside the tested range (`"> 50"`).
#[must_use]
pub fn ic50_bound(fit: &Fit) -> Option<String> {
    fit.ic50_bound()
}

/// One curve's JSON object.
#[must_use]
pub fn curve_json(fit: &Fit, unit: &str, experiment: Option<&str>) -> Value {
    let mut object = curve_map(fit, json!(unit), experiment);
    object.insert("residuals".into(), residuals_json(fit));
    Value::Object(object)
}

/// One curve's JSON object without its `residuals` (the longest part, which
/// [`CurveOut`] writes straight from the fit).
fn curve_map(fit: &Fit, unit: Value, experiment: Option<&str>) -> Map<String, Value> {
    let params_known = fit.params.log10_ic50.is_finite();
    let p = |v: f64| if params_known { num(v) } else { Value::Null };
    let ic90 = fit.ic_f(90.0);
    let reported = fit.reported_ic50().is_some();
    let mut value = json!({
        "curve": fit.label,
        "n": fit.n,
        "status": fit.status.as_str(),
        "flags": fit.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "status_explained": fit.verdict.reasons.first().map_or(fit.status.explain(), String::as_str),
        "reasons": fit.verdict.reasons,
        "remedy": fit.verdict.remedy.map(|r| json!({"action": match r {
            crate::fit::Remedy::FixBottom(_) => "fix_bottom",
            crate::fit::Remedy::FixTop(_) => "fix_top",
        }, "value": match r {
            crate::fit::Remedy::FixBottom(v) | crate::fit::Remedy::FixTop(v) => v,
        }, "label": r.label()})),
        "scale": fit.scale.as_str(),
        "top": p(fit.params.top),
        "bottom": p(fit.params.bottom),
        "hill_slope": p(fit.params.hill_slope),
        "log_ic50": p(fit.params.log10_ic50),
        "ic50": opt(fit.reported_ic50()),
        "ic50_bound": ic50_bound(fit),
        "relative_ic50_fitted": if params_known { num(fit.relative_ic50()) } else { Value::Null },
        "unit": unit,
        "se": {
            "top": opt(fit.se[1]),
            "bottom": opt(fit.se[0]),
            "hill_slope": opt(fit.se[3]),
            "log_ic50": opt(fit.se[2]),
        },
        "fixed": {
            "top": fit.fixed[1].then(|| num(fit.params.top)),
            "bottom": fit.fixed[0].then(|| num(fit.params.bottom)),
        },
        "ic50_ci95": if reported { interval(fit.ic50_ci95_wald_log) } else { Value::Null },
        "ic50_ci95_delta": if reported { interval(fit.ic50_ci95_delta) } else { Value::Null },
        "ic50_ci95_profile": match fit.ic50_ci95_profile {
            Some([lo, hi]) if reported => json!([opt(lo), opt(hi)]),
            _ => Value::Null,
        },
        "absolute_ic50": opt(fit.absolute_ic50()),
        "absolute_ic50_bound": fit.verdict.absolute.bound_text(),
        "absolute_ic50_ci95": interval(crate::report::absolute_ic50_ci(fit)),
        "ic90": opt(ic90.map(|i| i.value)),
        "ic90_ci95": interval(ic90.and_then(|i| i.ci95)),
        "rss": if fit.rss.is_finite() { num(fit.rss) } else { Value::Null },
        "df": fit.df,
        "sy_x": opt(fit.sy_x),
        "r_squared": opt(fit.r_squared),
        "p_no_effect": opt(fit.p_no_effect),
        "tested_range": fit.tested_range.map_or(Value::Null, |(a, b)| json!([num(a), num(b)])),
        "fit_method": fit.method.as_str(),
        "model": fit.model.as_str(),
        "model_comparison": fit.model_comparison.as_ref().map_or(Value::Null, model_comparison_json),
        "model_note": fit.model_note.as_deref().map_or(Value::Null, |note| json!(note)),
        "outliers": outliers_json(fit),
        "outlier_detection": outlier_detection_json(fit),
        "diagnostics": diagnostics_json(fit),
    });
    if let Some(object) = value.as_object_mut() {
        // The 5PL's asymmetry S (null for the other models) and its other location
        // parameter LogXb; how the points were weighted; every model comparison made.
        object.insert(
            "asymmetry".into(),
            fit.asymmetry.as_ref().map_or(Value::Null, |a| p(a.s)),
        );
        object.insert(
            "log_xb".into(),
            fit.asymmetry
                .as_ref()
                .map_or(Value::Null, |a| p(a.log10_xb)),
        );
        if let Some(se) = object.get_mut("se").and_then(Value::as_object_mut) {
            se.insert(
                "asymmetry".into(),
                fit.asymmetry.as_ref().map_or(Value::Null, |a| opt(a.se)),
            );
        }
        object.insert("weighting".into(), json!(fit.weighting.as_str()));
        object.insert(
            "model_comparisons".into(),
            Value::Array(
                fit.model_comparisons
                    .iter()
                    .map(model_comparison_json)
                    .collect(),
            ),
        );
        if let Some(name) = experiment {
            object.insert("experiment".into(), json!(name));
        }
    }
    match value {
        Value::Object(object) => object,
        _ => Map::new(),
    }
}

/// A finite number, or null, written without building a [`Value`] (the same output as
/// [`num`]).
struct Num(f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            serializer.serialize_f64(self.0)
        } else {
            serializer.serialize_none()
        }
    }
}

/// A value written as the string of its `Display`.
struct DisplayStr<'a, T: std::fmt::Display>(&'a T);

impl<T: std::fmt::Display> Serialize for DisplayStr<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// One entry of [`residuals_json`], written straight from the fit: the keys in the
/// order a [`Value`] object keeps them (sorted), so the text is the same.
struct ResidualOut<'a>(&'a crate::fit::diagnostics::Residual);

impl Serialize for ResidualOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("conc", &Num(r.concentration))?;
        map.serialize_entry("fitted", &Num(r.fitted))?;
        map.serialize_entry("residual", &Num(r.residual))?;
        map.serialize_entry("response", &Num(r.response))?;
        match &r.well {
            Some(well) => map.serialize_entry("well", &DisplayStr(well))?,
            None => map.serialize_entry("row", &(r.index + 1))?,
        }
        map.end()
    }
}

/// The residuals of a fit as [`residuals_json`] has them.
struct ResidualsOut<'a>(&'a [crate::fit::diagnostics::Residual]);

impl Serialize for ResidualsOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ResidualOut))
    }
}

/// One curve's object: [`curve_map`] with the residuals written straight from the fit,
/// inserted where the sorted keys of a [`Value`] object put them.
struct CurveOut<'a> {
    rest: Map<String, Value>,
    residuals: &'a [crate::fit::diagnostics::Residual],
}

impl Serialize for CurveOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const KEY: &str = "residuals";
        let mut map = serializer.serialize_map(Some(self.rest.len() + 1))?;
        let mut pending = true;
        for (key, value) in &self.rest {
            if pending && key.as_str() > KEY {
                map.serialize_entry(KEY, &ResidualsOut(self.residuals))?;
                pending = false;
            }
            if key != KEY {
                map.serialize_entry(key, value)?;
            }
        }
        if pending {
            map.serialize_entry(KEY, &ResidualsOut(self.residuals))?;
        }
        map.end()
    }
}

/// The outliers ROUT found: `well` (plate data) or `row` (the point's 1-based position
/// among its curve's points, for `platefit fit`), `conc`, `response`, the robust fit's
/// `residual` and the outlier test's `p_value`, and whether it was `removed`; `kept: true`
/// when the user overruled the flag (the point stays in the fit). Empty when ROUT did not
/// run or found none.
#[must_use]
pub fn outliers_json(fit: &Fit) -> Value {
    let Some(report) = &fit.outliers else {
        return json!([]);
    };
    Value::Array(
        report
            .points
            .iter()
            .map(|p| {
                let mut value = json!({
                    "conc": num(p.concentration),
                    "response": num(p.response),
                    "residual": num(p.residual),
                    "p_value": num(p.p_value),
                    "removed": report.is_removed(p),
                });
                if let Some(object) = value.as_object_mut() {
                    if p.kept {
                        object.insert("kept".into(), json!(true));
                    }
                    match p.well {
                        Some(well) => object.insert("well".into(), json!(well.to_string())),
                        None => object.insert("row".into(), json!(p.index + 1)),
                    };
                }
                value
            })
            .collect(),
    )
}

/// How outliers were looked for: `null` when off, else the method, Q (in %), the robust
/// SD of the residuals, the number of points tested, how many were found, whether they
/// were removed, and `flagged` when more than a quarter would have gone.
#[must_use]
pub fn outlier_detection_json(fit: &Fit) -> Value {
    fit.outliers.as_ref().map_or(Value::Null, |report| {
        json!({
            "method": "rout",
            "q_pct": num(report.q * 100.0),
            "rsdr": num(report.rsdr),
            "n_tested": report.n_tested,
            "n_outliers": report.points.len(),
            "removed": report.removed,
            "flagged": fit.outliers_flagged(),
            "summary": report.sentence(&fit.label),
        })
    })
}

/// The comparison of two models fitted to the same points: both models' RSS, df and
/// AICc, the extra-sum-of-squares F test, the probability of each model by AICc, and,
/// for an automatic choice, the model kept and why.
#[must_use]
pub fn model_comparison_json(comparison: &crate::fit::ModelComparison) -> Value {
    let [simple, complex] = [comparison.simpler, comparison.complex].map(|m| m.as_str());
    json!({
        "models": [simple, complex],
        "n": comparison.n,
        "rss": {simple: num(comparison.rss[0]), complex: num(comparison.rss[1])},
        "df": {simple: comparison.df[0], complex: comparison.df[1]},
        "aicc": {simple: opt(comparison.aicc[0]), complex: opt(comparison.aicc[1])},
        "delta_aicc": opt(comparison.delta_aicc),
        "probability": {
            simple: opt(comparison.probability_complex.map(|p| 1.0 - p)),
            complex: opt(comparison.probability_complex),
        },
        "f": opt(comparison.f),
        "f_df": comparison.f_df.map_or(Value::Null, |[a, b]| json!([a, b])),
        "p_value": opt(comparison.p_value),
        "chosen": comparison.chosen.map(|m| m.as_str()),
        "chosen_by": "aicc",
        "reason": comparison.reason,
    })
}

/// Every fitted point's residual: `well` (plate data) or `row` (1-based position among the
/// curve's points), `conc`, `response`, `fitted`, `residual`.
#[must_use]
pub fn residuals_json(fit: &Fit) -> Value {
    let Some(diagnostics) = &fit.diagnostics else {
        return json!([]);
    };
    Value::Array(
        diagnostics
            .residuals
            .iter()
            .map(|r| {
                let mut value = json!({
                    "conc": num(r.concentration),
                    "response": num(r.response),
                    "fitted": num(r.fitted),
                    "residual": num(r.residual),
                });
                if let Some(object) = value.as_object_mut() {
                    match r.well {
                        Some(well) => object.insert("well".into(), json!(well.to_string())),
                        None => object.insert("row".into(), json!(r.index + 1)),
                    };
                }
                value
            })
            .collect(),
    )
}

/// The runs test and the replicates test, with the plain-language lines of the tests that
/// fail (`warnings`).
#[must_use]
pub fn diagnostics_json(fit: &Fit) -> Value {
    let Some(diagnostics) = &fit.diagnostics else {
        return Value::Null;
    };
    json!({
        "runs_test": diagnostics.runs.map_or(Value::Null, |t| json!({
            "runs": t.runs,
            "positive": t.positive,
            "negative": t.negative,
            "p_value": num(t.p_value),
        })),
        "replicates_test": diagnostics.replicates.map_or(Value::Null, |t| json!({
            "f": num(t.f),
            "df": [t.df_lack_of_fit, t.df_pure_error],
            "p_value": num(t.p_value),
            "ss_lack_of_fit": num(t.ss_lack_of_fit),
            "ss_pure_error": num(t.ss_pure_error),
        })),
        "warnings": diagnostics.warnings,
    })
}

/// One comparison's JSON object.
#[must_use]
pub fn comparison_json(comparison: &Comparison, experiment: Option<&str>) -> Value {
    let mut value = json!({
        "reference": comparison.reference,
        "test": comparison.test,
        "status": comparison.status,
        "ratio": opt(comparison.ratio),
        "ratio_ci95": interval(comparison.ratio_ci95),
        "ratio_ci95_delta": interval(comparison.ratio_ci95_delta),
        "ratio_ci95_profile": comparison
            .ratio_ci95_profile
            .map_or(Value::Null, |[lo, hi]| json!([opt(lo), opt(hi)])),
        "ratio_bound": comparison.ratio_bound,
        "log10_ratio": opt(comparison.log10_ratio),
        "log10_ratio_se": opt(comparison.log10_ratio_se),
        "f": opt(comparison.f),
        "df": comparison.df.map_or(Value::Null, |[a, b]| json!([a, b])),
        "p_value": opt(comparison.p_value),
        "rss_full": opt(comparison.rss_full),
        "rss_reduced": opt(comparison.rss_reduced),
        "verdict": comparison.verdict,
    });
    if let (Some(name), Some(object)) = (experiment, value.as_object_mut()) {
        object.insert("experiment".into(), json!(name));
    }
    value
}

/// The results JSON for one or more analysed experiments.
#[must_use]
pub fn results_json(analyses: &[Analysis], summary: Option<&Summary>) -> Value {
    serde_json::to_value(results(analyses, summary, false)).unwrap_or(Value::Null)
}

/// The results JSON as pretty-printed text (the same as [`results_json`] through
/// `serde_json::to_string_pretty`), written without building the whole [`Value`] tree
/// first. With `points_file` every curve's `unit` is null (a points file carries no unit:
/// IC50s are in the unit of its `conc` column).
///
/// # Errors
/// When serialization fails.
pub fn results_json_pretty(
    analyses: &[Analysis],
    summary: Option<&Summary>,
    points_file: bool,
) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&results(analyses, summary, points_file))
}

/// The results, ready to be written by serde: the top-level keys in sorted order (as a
/// [`Value`] object keeps them).
pub struct Results<'a> {
    curves: Vec<CurveOut<'a>>,
    comparisons: Vec<Value>,
    plates: Vec<Value>,
    warnings: Vec<String>,
    summary: Option<Value>,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5 + usize::from(self.summary.is_some())))?;
        map.serialize_entry("comparisons", &self.comparisons)?;
        map.serialize_entry("curves", &self.curves)?;
        map.serialize_entry("platefit_version", env!("CARGO_PKG_VERSION"))?;
        map.serialize_entry("plates", &self.plates)?;
        if let Some(summary) = &self.summary {
            map.serialize_entry("summary", summary)?;
        }
        map.serialize_entry("warnings", &self.warnings)?;
        map.end()
    }
}

/// The results of `analyses` (see [`results_json`]).
#[must_use]
pub fn results<'a>(
    analyses: &'a [Analysis],
    summary: Option<&Summary>,
    points_file: bool,
) -> Results<'a> {
    let several = analyses.len() > 1;
    let mut curves = Vec::new();
    let mut comparisons = Vec::new();
    let mut plates = Vec::new();
    let mut warnings = Vec::new();
    for analysis in analyses {
        let experiment = several.then_some(analysis.experiment.as_str());
        for curve in &analysis.curves {
            let unit = if points_file {
                Value::Null
            } else {
                json!(analysis.unit.suffix())
            };
            let mut object = curve_map(&curve.fit, unit, experiment);
            if let Some(problem) = &curve.problem {
                object.insert("problem".into(), json!(problem));
                if curve.not_analysed().is_some() {
                    object.insert("status_explained".into(), json!(problem));
                }
            }
            // GR metrics only when the plate set had a time-zero read.
            let growth = analysis
                .growth
                .as_ref()
                .and_then(|g| g.curve(&curve.dose_response.label));
            if let Some(growth) = growth {
                let gr = crate::report::gr::curve_gr_json(growth);
                for key in ["gi50", "tgi", "lc50"] {
                    object.insert(key.into(), gr[key].clone());
                }
                object.insert("gr".into(), gr);
            }
            curves.push(CurveOut {
                rest: object,
                residuals: curve
                    .fit
                    .diagnostics
                    .as_ref()
                    .map_or(&[], |d| d.residuals.as_slice()),
            });
        }
        comparisons.extend(analysis.comparisons.iter().map(|c| {
            let mut value = comparison_json(c, experiment);
            let growth = analysis
                .growth
                .as_ref()
                .and_then(|g| g.comparison(&c.reference, &c.test));
            if let (Some(growth), Some(object)) = (growth, value.as_object_mut()) {
                object.insert("gr".into(), crate::report::gr::comparison_gr_json(growth));
            }
            value
        }));
        for plate in &analysis.plates {
            let qc = &plate.normalized.qc;
            plates.push(json!({
                "file": plate.file,
                "plate": plate.name,
                "experiment": analysis.experiment,
                "read": plate.read_label,
                "reference_read": plate.reference_label,
                "reads_note": plate.reads.note,
                "z_prime": opt(qc.z_prime),
                "z_prime_negative": qc.z_prime_negative,
                "vehicle_cv_pct": opt(qc.vehicle_cv_pct),
                "blank_cv_pct": opt(qc.blank_cv_pct),
                "blank_mean": opt(qc.blank_mean),
                "vehicle_mean": opt(qc.vehicle_mean),
                "signal_to_blank": opt(qc.signal_to_blank),
                "edge_effect_pct": opt(qc.edge_effect_pct),
                "lines": qc.lines.iter().map(|l| json!({
                    "line": l.line,
                    "vehicle_mean": opt(l.vehicle_mean),
                    "vehicle_cv_pct": opt(l.vehicle_cv_pct),
                    "z_prime": opt(l.z_prime),
                })).collect::<Vec<_>>(),
                "saturated_wells": qc.saturated_wells.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "flagged_wells": qc.flagged_wells.iter().map(|(w, t)| (w.to_string(), json!(t))).collect::<serde_json::Map<_, _>>(),
                "qc": match qc.verdict { crate::normalize::QcVerdict::Pass => "pass", crate::normalize::QcVerdict::Warn => "warn", crate::normalize::QcVerdict::Fail => "fail" },
                "qc_warnings": qc.warnings,
            }));
            // Only when QC has a remedy to offer, so other plates' JSON is unchanged.
            if let (false, Some(serde_json::Value::Object(object))) =
                (qc.suggested_exclusions.is_empty(), plates.last_mut())
            {
                object.insert(
                    "suggested_exclusions".into(),
                    json!(
                        qc.suggested_exclusions
                            .iter()
                            .map(|(w, t)| (w.to_string(), json!(t)))
                            .collect::<serde_json::Map<_, _>>()
                    ),
                );
            }
        }
        warnings.extend(analysis.warnings.iter().cloned());
    }
    Results {
        curves,
        comparisons,
        plates,
        warnings,
        summary: summary.map(Summary::to_json),
    }
}
