//! The words and numbers of a report, shared by the PDF, the workbook and the GUI: result
//! cells formatted exactly as the terminal table formats them, the comparison sentence, QC
//! rows with their acceptance limits, and the methods paragraph.

use crate::analysis::{Analysis, Experiment};
use crate::compare::Comparison;
use crate::fit::{CiMethod, Fit, FitStatus};
use crate::normalize::{Normalization, PlateQc, QcVerdict};
use crate::report::table::{format_p, ic50_text};
use crate::report::{absolute_ic50_ci, format_number as f, platefit_version};

/// Whether the analysis reports % viability (enables the absolute IC50).
#[must_use]
pub fn percent_scale(analysis: &Analysis) -> bool {
    analysis.settings.normalization != Normalization::None
}

/// The IC50 CI of the method the settings show first.
#[must_use]
pub fn ic50_ci(fit: &Fit, method: CiMethod) -> Option<[f64; 2]> {
    fit.reported_ic50()?;
    match method {
        // A weighted fit has no profile CI: the Wald CI stands in (the methods text says
        // so).
        CiMethod::Profile if !fit.has_profile() => fit.ic50_ci95_wald_log,
        CiMethod::WaldLog => fit.ic50_ci95_wald_log,
        CiMethod::Delta => fit.ic50_ci95_delta,
        CiMethod::Profile => match fit.ic50_ci95_profile {
            Some([Some(lo), Some(hi)]) => Some([lo, hi]),
            _ => None,
        },
    }
}

/// `0.04231 [0.03612, 0.04955]` with the CI of `method` (for the default Wald CI this is
/// exactly [`ic50_text`], the terminal table's cell).
#[must_use]
pub fn ic50_cell(fit: &Fit, method: CiMethod) -> String {
    if method == CiMethod::WaldLog {
        return ic50_text(fit);
    }
    match (fit.reported_ic50(), ic50_ci(fit, method)) {
        (Some(ic50), Some([lo, hi])) => format!("{} [{}, {}]", f(ic50), f(lo), f(hi)),
        _ => ic50_text(fit),
    }
}

/// The absolute IC50 with its CI, its bound (`> 50`), or `—` when undefined.
#[must_use]
pub fn absolute_ic50_cell(fit: &Fit) -> String {
    match (fit.absolute_ic50(), absolute_ic50_ci(fit)) {
        (Some(v), Some([lo, hi])) => format!("{} [{}, {}]", f(v), f(lo), f(hi)),
        (Some(v), None) => f(v),
        (None, _) => fit
            .verdict
            .absolute
            .bound_text()
            .unwrap_or_else(|| "—".into()),
    }
}

/// A fitted parameter, `—` when the fit has none.
#[must_use]
pub fn parameter_cell(fit: &Fit, value: f64, decimals: usize) -> String {
    if fit.params.log10_ic50.is_finite() && value.is_finite() {
        format!("{value:.decimals$}")
    } else {
        "—".into()
    }
}

/// The status word as people read it (`converged`, `IC50 above range`).
#[must_use]
pub fn status_words(status: FitStatus) -> String {
    status.words().to_string()
}

/// The notes under a results table: each curve's reasons (why it is flagged, or why a
/// converged curve leaves a column empty), `label: reason`, then what ROUT found on each
/// curve it ran on (outliers listed with well and value).
#[must_use]
pub fn verdict_notes(analysis: &Analysis) -> Vec<String> {
    analysis
        .curves
        .iter()
        .flat_map(|c| {
            c.fit
                .verdict
                .reasons
                .iter()
                .map(move |r| format!("{}: {r}", c.dose_response.label))
        })
        .chain(model_notes(analysis))
        .chain(outlier_notes(analysis))
        .chain(diagnostic_notes(analysis))
        .collect()
}

/// The plain-language lines of the diagnostics that fail (runs test, replicates test),
/// `label: line`.
#[must_use]
pub fn diagnostic_notes(analysis: &Analysis) -> Vec<String> {
    analysis
        .curves
        .iter()
        .flat_map(|c| {
            c.fit
                .diagnostics
                .iter()
                .flat_map(|d| d.warnings.iter())
                .map(move |w| format!("{}: {w}", c.dose_response.label))
        })
        .collect()
}

/// One sentence per curve whose model was chosen automatically: which and why.
#[must_use]
pub fn model_notes(analysis: &Analysis) -> Vec<String> {
    analysis
        .curves
        .iter()
        .flat_map(|c| {
            let comparison = c.fit.model_comparison.as_ref().map(|comparison| {
                format!("{}: model: {}.", c.dose_response.label, comparison.reason)
            });
            let asymmetry = c
                .fit
                .asymmetry
                .as_ref()
                .filter(|a| a.s.is_finite())
                .map(|a| {
                    format!(
                        "{}: 5PL asymmetry S = {}{} (S = 1 is the symmetric 4PL).",
                        c.dose_response.label,
                        crate::report::format_number(a.s),
                        a.se.map_or(String::new(), |se| format!(
                            " ± {} (SE)",
                            crate::report::format_number(se)
                        ))
                    )
                });
            let note = c
                .fit
                .model_note
                .as_ref()
                .map(|note| format!("{}: model: {note}.", c.dose_response.label));
            comparison.into_iter().chain(note).chain(asymmetry)
        })
        .collect()
}

/// One sentence per curve on which ROUT found outliers: which points (well and value),
/// and whether they were removed or the curve was flagged instead.
#[must_use]
pub fn outlier_notes(analysis: &Analysis) -> Vec<String> {
    analysis
        .curves
        .iter()
        .filter_map(|c| {
            let report = c.fit.outliers.as_ref()?;
            (!report.points.is_empty()).then(|| report.sentence(&c.dose_response.label))
        })
        .collect()
}

/// The model setting in one line for the workbook's settings: the choice and its equation.
#[must_use]
pub fn model_setting_text(choice: crate::fit::ModelChoice) -> String {
    let name = match choice {
        crate::fit::ModelChoice::Fixed(model) => model.name().to_string(),
        crate::fit::ModelChoice::Auto => "chosen per curve by AICc (4PL or 3PL)".to_string(),
        crate::fit::ModelChoice::AutoWithFivePl => {
            "chosen per curve by AICc (3PL, 4PL or 5PL)".to_string()
        }
    };
    format!("{name}: {}", model_text(choice))
}

/// The weighting setting in one line for the workbook's settings.
#[must_use]
pub fn weighting_setting_text(weighting: crate::fit::Weighting) -> String {
    match weighting {
        crate::fit::Weighting::None => "none (unweighted least squares)".to_string(),
        crate::fit::Weighting::Relative => "relative, 1/Y² with Y the fitted curve (GraphPad Prism 5 and later): the weights are recomputed from the curve until the weighted sum of squares no longer changes".to_string(),
    }
}

/// The weighting sentence of the methods paragraph (empty when unweighted).
fn weighting_text(analysis: &Analysis) -> String {
    let choices = analysis.settings.choices;
    if choices.weighting == crate::fit::Weighting::None {
        return String::new();
    }
    let robust_only =
        choices.method == crate::fit::FitMethod::Robust && choices.outliers.q().is_none();
    if robust_only {
        return "Relative weighting was chosen but not applied: the robust fit is unweighted (as in GraphPad Prism). ".to_string();
    }
    "The fits were weighted by 1/Y², Y the fitted curve (relative weighting, as GraphPad Prism 5 and later: the weighted sum of squares Σ((Y_data − Y_curve)/Y_curve)² was minimised with the weights held constant and recomputed from the new curve until it no longer changed); residual SD, standard errors, confidence intervals, R² and the model comparisons use the weighted sum of squares, and the profile-likelihood interval is not computed. ".to_string()
}

/// The fitting-method setting in one line: least squares, the robust fit, or ROUT with Q
/// and the points the user kept against its flags.
#[must_use]
pub fn fit_method_setting_text(settings: &crate::analysis::AnalysisSettings) -> String {
    let choices = settings.choices;
    let mut text = match choices.outliers.q() {
        Some(q) => format!(
            "least squares after ROUT outlier removal (Q = {} %)",
            crate::fit::rout::q_percent_text(q)
        ),
        None if choices.method == crate::fit::FitMethod::Robust => {
            "robust fit (Lorentzian merit function, no point removed)".to_string()
        }
        None => "least squares".to_string(),
    };
    if !settings.kept_outliers.is_empty() {
        let kept: Vec<String> = settings
            .kept_outliers
            .iter()
            .map(|k| format!("{} {}", k.curve, k.well))
            .collect();
        text.push_str(&format!(
            "; ROUT flags overruled by the user (points kept): {}",
            kept.join(", ")
        ));
    }
    text
}

/// The model clause of the methods paragraph.
fn model_text(choice: crate::fit::ModelChoice) -> &'static str {
    use crate::fit::{Model, ModelChoice};
    match choice {
        ModelChoice::Fixed(Model::FourPl) => {
            "the four-parameter logistic model Y = Bottom + (Top − Bottom) / (1 + 10^((LogIC50 − X) · HillSlope))"
        }
        ModelChoice::Fixed(Model::ThreePl) => {
            "the three-parameter logistic model Y = Bottom + (Top − Bottom) / (1 + 10^((LogIC50 − X) · HillSlope)) with HillSlope fixed at −1 (GraphPad Prism's standard slope)"
        }
        ModelChoice::Fixed(Model::FourPlNormalized) => {
            "the four-parameter logistic model on normalized response, Y = 100 / (1 + 10^((LogIC50 − X) · HillSlope)) (Top fixed at 100 % and Bottom at 0)"
        }
        ModelChoice::Auto => {
            "the four-parameter logistic model Y = Bottom + (Top − Bottom) / (1 + 10^((LogIC50 − X) · HillSlope)) and the three-parameter model with HillSlope fixed at −1, keeping for each curve the model preferred by Akaike's information criterion corrected for small samples (AICc = N·ln(RSS/N) + 2K + 2K(K + 1)/(N − K − 1), K = fitted parameters + 1; the probability of each model and the extra-sum-of-squares F test are reported)"
        }
        ModelChoice::Fixed(Model::FivePl) => {
            "the asymmetric five-parameter logistic model (Richards; GraphPad Prism's \"asymmetric sigmoidal, 5PL, X is log(concentration)\") Y = Bottom + (Top − Bottom) / (1 + 10^((LogXb − X) · HillSlope))^S with LogXb = LogIC50 + (1/HillSlope) · log10(2^(1/S) − 1), so that LogIC50 is the midpoint between the plateaus and S = 1 is the 4PL (fitted only to curves with at least 6 concentrations)"
        }
        ModelChoice::AutoWithFivePl => {
            "the three-parameter (HillSlope −1), four-parameter and asymmetric five-parameter logistic models (GraphPad Prism's 5PL, Y = Bottom + (Top − Bottom) / (1 + 10^((LogXb − X) · HillSlope))^S with LogXb = LogIC50 + (1/HillSlope) · log10(2^(1/S) − 1)), keeping for each curve the model with the lowest AICc (AICc = N·ln(RSS/N) + 2K + 2K(K + 1)/(N − K − 1), K = fitted parameters + 1): the 3PL against the 4PL, then the preferred one against the 5PL, each pair with its probability and the extra-sum-of-squares F test reported"
        }
    }
}

/// The fitting-method sentence of the methods paragraph: least squares, the robust fit,
/// or ROUT with its Q and what it did.
fn fitting_text(analysis: &Analysis) -> String {
    let choices = analysis.settings.choices;
    if let Some(q) = choices.outliers.q() {
        let found: usize = analysis
            .curves
            .iter()
            .filter_map(|c| c.fit.outliers.as_ref())
            .filter(|r| r.removed)
            .map(|r| r.standing().count())
            .sum();
        let kept: Vec<String> = analysis
            .curves
            .iter()
            .filter_map(|c| Some((c, c.fit.outliers.as_ref()?)))
            .flat_map(|(c, r)| {
                r.points
                    .iter()
                    .filter(|p| p.kept)
                    .map(move |p| format!("{} {}", c.dose_response.label, p.place_and_value()))
            })
            .collect();
        let flagged: Vec<&str> = analysis
            .curves
            .iter()
            .filter(|c| c.fit.outliers_flagged())
            .map(|c| c.dose_response.label.as_str())
            .collect();
        let mut text = format!(
            "Outliers were identified with the ROUT method (Motulsky & Brown 2006, Q = {} %): a robust fit minimising the Lorentzian merit function Σ ln(1 + (r/RSDR)²), with RSDR the 68.27th percentile of the absolute residuals × N/(N − K), then each residual tested against t(N − K) with the Benjamini–Hochberg false-discovery-rate procedure (the largest 30 % of residuals tested); the outliers were removed and the remaining points fitted by least squares. A curve where more than a quarter of the points would have been removed kept all its points and was flagged. ",
            crate::fit::rout::q_percent_text(q)
        );
        text.push_str(&match found {
            0 => "No outlier was removed. ".to_string(),
            1 => {
                "One point was removed as an outlier (listed with its well and value). ".to_string()
            }
            n => format!(
                "{n} points were removed as outliers (listed with their wells and values). "
            ),
        });
        if !flagged.is_empty() {
            text.push_str(&format!(
                "Flagged for too many outliers, fitted with all points: {}. ",
                flagged.join(", ")
            ));
        }
        if !kept.is_empty() {
            text.push_str(&format!(
                "ROUT's flag was overruled by the user and the point kept in the fit: {}. ",
                kept.join("; ")
            ));
        }
        text
    } else if choices.method == crate::fit::FitMethod::Robust {
        "The curves were fitted by GraphPad Prism's robust method instead of least squares: the Lorentzian merit function Σ ln(1 + (r/RSDR)²) was minimised (iteratively reweighted, RSDR the 68.27th percentile of the absolute residuals × N/(N − K)); no point was removed, and standard errors and confidence intervals are approximate (scaled by RSDR). ".into()
    } else {
        String::new()
    }
}

/// The resistance index cell: `12.34 [9.870, 15.43]`, a bound (`> 25.3`), or why not.
#[must_use]
pub fn ratio_cell(comparison: &Comparison) -> String {
    match (comparison.ratio, comparison.ratio_ci95) {
        (Some(r), Some([lo, hi])) => format!("{} {}", f(r), super::format_ratio_ci(lo, hi)),
        (Some(r), None) => f(r),
        (None, _) => comparison
            .ratio_bound
            .clone()
            .unwrap_or_else(|| comparison.status.replace('_', " ")),
    }
}

/// The F test cell: `yes: F(1, 62) = 512.3, p < 1e-15`, `no: …`, or why it is not tested.
#[must_use]
pub fn f_test_cell(comparison: &Comparison) -> String {
    match (comparison.f, comparison.p_value, comparison.df) {
        (Some(fv), Some(p), Some([a, b])) => format!(
            "{}: F({a}, {b}) = {fv:.2}, p {}",
            if p < 0.05 { "yes" } else { "no evidence" },
            format_p(p)
        ),
        _ if comparison.ratio.is_none() => "not tested (an IC50 is censored)".into(),
        _ => "—".into(),
    }
}

/// One QC row: metric, value, acceptance, verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QcRow {
    /// What is measured.
    pub metric: String,
    /// Its value.
    pub value: String,
    /// The usual acceptance limit.
    pub acceptance: String,
    /// `pass`, `warn` or empty (information only).
    pub verdict: String,
}

fn qc_row(metric: &str, value: String, acceptance: &str, pass: Option<bool>) -> QcRow {
    QcRow {
        metric: metric.into(),
        value,
        acceptance: acceptance.into(),
        verdict: match pass {
            Some(true) => "pass".into(),
            Some(false) => "warn".into(),
            None => String::new(),
        },
    }
}

/// The QC rows of one plate, in reading order.
#[must_use]
pub fn qc_rows(qc: &PlateQc) -> Vec<QcRow> {
    let dash = || "—".to_string();
    let mut rows = vec![
        qc_row(
            &format!("Z′ (vehicle vs {})", qc.z_prime_negative),
            qc.z_prime.map_or_else(dash, |z| format!("{z:.2}")),
            "≥ 0.5",
            qc.z_prime.map(|z| z >= 0.5),
        ),
        qc_row(
            "Vehicle CV",
            qc.vehicle_cv_pct.map_or_else(dash, |v| format!("{v:.1} %")),
            "≤ 15 %",
            qc.vehicle_cv_pct.map(|v| v <= 15.0),
        ),
        qc_row(
            "Blank CV",
            qc.blank_cv_pct.map_or_else(dash, |v| format!("{v:.1} %")),
            "information",
            None,
        ),
        qc_row(
            "Signal/blank (S/B)",
            qc.signal_to_blank.map_or_else(dash, |v| format!("{v:.1}")),
            "information",
            None,
        ),
        qc_row(
            "Blank mean OD",
            qc.blank_mean.map_or_else(dash, |v| format!("{v:.4}")),
            "information",
            None,
        ),
        qc_row(
            "Vehicle mean OD",
            qc.vehicle_mean.map_or_else(dash, |v| format!("{v:.4}")),
            "information",
            None,
        ),
        qc_row(
            "Edge effect (outer vs inner vehicle)",
            qc.edge_effect_pct
                .map_or_else(dash, |v| format!("{v:+.1} %")),
            "information",
            None,
        ),
        qc_row(
            "Saturated wells (OD ≥ 3)",
            if qc.saturated_wells.is_empty() {
                "none".into()
            } else {
                qc.saturated_wells
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            "none",
            Some(qc.saturated_wells.is_empty()),
        ),
        qc_row(
            "Wells without a value",
            if qc.flagged_wells.is_empty() {
                "none".into()
            } else {
                qc.flagged_wells
                    .iter()
                    .map(|(w, t)| format!("{w} ({t})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            "none",
            Some(qc.flagged_wells.is_empty()),
        ),
    ];
    for line in &qc.lines {
        rows.push(qc_row(
            &format!("{}: vehicle CV / Z′", line.line),
            format!(
                "{} / {}",
                line.vehicle_cv_pct
                    .map_or_else(dash, |v| format!("{v:.1} %")),
                line.z_prime.map_or_else(dash, |z| format!("{z:.2}"))
            ),
            "≤ 15 % / ≥ 0.5",
            match (line.vehicle_cv_pct, line.z_prime) {
                (Some(cv), Some(z)) => Some(cv <= 15.0 && z >= 0.5),
                _ => None,
            },
        ));
    }
    rows
}

/// `pass` or `warn`.
#[must_use]
pub fn verdict_word(verdict: QcVerdict) -> &'static str {
    match verdict {
        QcVerdict::Pass => "pass",
        QcVerdict::Warn => "warn",
        QcVerdict::Fail => "fail",
    }
}

/// Excluded and unusable wells of an experiment: `(file, well, reason)`, sorted by file and
/// well.
#[must_use]
pub fn excluded_wells(
    experiment: &Experiment,
    analysis: &Analysis,
) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for (input, plate) in experiment.plates.iter().zip(&analysis.plates) {
        for (well, reason) in &input.excluded {
            let reason = if reason.trim().is_empty() {
                "excluded by the user (no reason given)".to_string()
            } else {
                format!("excluded by the user: {reason}")
            };
            rows.push((input.file.clone(), well.to_string(), reason));
        }
        for (well, text) in &plate.normalized.qc.flagged_wells {
            if !input.excluded.contains_key(well) {
                rows.push((
                    input.file.clone(),
                    well.to_string(),
                    format!("the reader gave no number ({text}); left out of the fit"),
                ));
            }
        }
    }
    rows
}

fn plateaus_text(top: Option<f64>, bottom: Option<f64>) -> String {
    match (top, bottom) {
        (None, None) => "Top and Bottom were fitted".into(),
        (Some(t), None) => format!("Top was fixed at {} and Bottom was fitted", f(t)),
        (None, Some(b)) => format!("Bottom was fixed at {} and Top was fitted", f(b)),
        (Some(t), Some(b)) => format!("Top was fixed at {} and Bottom at {}", f(t), f(b)),
    }
}

fn ci_method_text(method: CiMethod) -> &'static str {
    match method {
        CiMethod::WaldLog => {
            "as LogIC50 ± t(0.975, df)·SE(LogIC50), back-transformed to concentration (asymmetric; GraphPad Prism's default)"
        }
        CiMethod::Delta => {
            "by the delta method on the concentration scale, IC50 ± t(0.975, df)·SE(IC50) (as R drc reports it)"
        }
        CiMethod::Profile => {
            "by profile likelihood: the LogIC50 values where the residual sum of squares reaches RSS_min·(1 + t²(0.975, df)/df) (for a weighted fit, which has no profile CI here, the Wald CI on LogIC50 is given instead)"
        }
    }
}

fn normalization_text(analysis: &Analysis) -> String {
    match analysis.settings.normalization {
        Normalization::PercentOfVehicle => "The mean absorbance of the blank wells (medium and assay reagent, no cells) was subtracted from every well, and viability was expressed as percent of the vehicle control of the same cell line: viability (%) = 100 × (OD − mean blank OD) / (mean vehicle OD − mean blank OD).".into(),
        Normalization::TwoControl => "Responses were normalized between the vehicle control (100 %) and the positive (kill) control (0 %): response (%) = 100 × (OD − mean positive OD) / (mean vehicle OD − mean positive OD).".into(),
        Normalization::None => "The mean absorbance of the blank wells was subtracted and the blank-corrected absorbance was fitted without further normalization.".into(),
    }
}

fn reads_text(analysis: &Analysis) -> String {
    let mut reads: Vec<String> = analysis
        .plates
        .iter()
        .map(|p| match &p.reference_label {
            Some(reference) => format!(
                "read \"{}\" with reference read \"{}\" subtracted",
                p.read_label, reference
            ),
            None => format!("read \"{}\"", p.read_label),
        })
        .collect();
    reads.dedup();
    format!("Absorbance was taken from {}.", reads.join("; "))
}

/// The methods paragraph: normalization formula, model equation, fitting method, CI method,
/// degrees of freedom, comparison and software version, ready to paste into a paper.
#[must_use]
pub fn methods_paragraph(analysis: &Analysis) -> String {
    let settings = &analysis.settings;
    let mut text = String::new();
    if !analysis.plates.is_empty() {
        text.push_str(&reads_text(analysis));
        text.push(' ');
        text.push_str(&normalization_text(analysis));
        text.push(' ');
    }
    let response = if percent_scale(analysis) {
        "viability"
    } else {
        "the response"
    };
    text.push_str(&format!(
        "For each cell line, {response} was fitted against X = log10(concentration) with {} {} (Levenberg–Marquardt with an analytic Jacobian), using every replicate well as a separate point{}; {}. ",
        model_text(settings.choices.model),
        if settings.choices.method == crate::fit::FitMethod::Robust && settings.choices.outliers.q().is_none() {
            "by the robust method described below"
        } else if settings.choices.weighting == crate::fit::Weighting::Relative {
            "by least squares weighted by 1/Y² (described below)"
        } else {
            "by unweighted least squares"
        },
        if settings.vehicle_as_dose_zero {
            " and the vehicle wells as dose-zero points"
        } else {
            ""
        },
        if settings.choices.model == crate::fit::ModelChoice::Fixed(crate::fit::Model::FourPlNormalized) {
            plateaus_text(Some(100.0), Some(0.0))
        } else {
            plateaus_text(settings.fix_top, settings.fix_bottom)
        },
    ));
    text.push_str(&fitting_text(analysis));
    text.push_str(&weighting_text(analysis));
    for note in model_notes(analysis) {
        text.push_str(&format!("{} ", note.replace(": model: the", ": the")));
    }
    text.push_str(
        "The relative IC50 is 10^LogIC50, the concentration halfway between the fitted plateaus",
    );
    if percent_scale(analysis) {
        text.push_str("; the absolute IC50 is the concentration at which the fitted curve crosses 50 % viability (its CI by the delta method on the log scale)");
    }
    text.push_str(". ");
    let dfs: Vec<String> = analysis
        .curves
        .iter()
        .filter(|c| c.fit.reported_ic50().is_some())
        .map(|c| {
            format!(
                "{}: n = {}, df = {}",
                c.dose_response.label, c.fit.n, c.fit.df
            )
        })
        .collect();
    text.push_str(&format!(
        "95 % confidence intervals of the IC50 were computed {}, with df = n − p (p = number of fitted parameters){}. ",
        ci_method_text(settings.ci_method),
        if dfs.is_empty() {
            String::new()
        } else {
            format!(" ({})", dfs.join("; "))
        }
    ));
    let comparisons: Vec<&Comparison> = analysis
        .comparisons
        .iter()
        .filter(|c| c.ratio.is_some())
        .collect();
    if !comparisons.is_empty() {
        let dfs: Vec<String> = comparisons
            .iter()
            .filter_map(|c| c.df_joint.map(|df| format!("df = {df}")))
            .collect();
        text.push_str(&format!(
            "The resistance index (RI = IC50 of the resistant line / IC50 of the parental line) was computed on the log scale, log10 RI = LogIC50(resistant) − LogIC50(parental), with its 95 % CI from the joint fit of both curves (pooled residual variance{}): RI × 10^(± t(0.975, df)·SE(log10 RI)). Whether the IC50s differ was tested with the extra-sum-of-squares F test comparing separate fits with a fit sharing LogIC50. ",
            if dfs.is_empty() {
                String::new()
            } else {
                format!(", {}", dfs.join(", "))
            }
        ));
    }
    text.push_str("The fits were checked with the runs test of the residuals (exact, on the mean residual per concentration) and, where there are replicates, the replicates test for lack of fit (F test of the residual scatter against the scatter of replicates); ");
    let failing = diagnostic_notes(analysis).len();
    text.push_str(&if failing == 0 {
        "neither indicated a systematic deviation at p < 0.05. ".to_string()
    } else {
        format!("{failing} test result(s) at p < 0.05 are listed with the results. ")
    });
    if let Some(growth) = &analysis.growth {
        text.push_str(&crate::report::gr::methods_sentence(growth));
        text.push(' ');
    }
    text.push_str(&format!(
        "Curve fitting and statistics were performed with {}.",
        platefit_version()
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_read_like_prose() {
        assert_eq!(status_words(FitStatus::Ic50AboveRange), "IC50 above range");
        assert_eq!(status_words(FitStatus::Converged), "converged");
    }
}
