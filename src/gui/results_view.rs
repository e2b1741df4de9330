//! The results: one row per curve (IC50 [95% CI], absolute IC50, Hill slope, Top, Bottom,
//! R², n, status explained on hover), the resistance index with its CI and F test, and the
//! QC of each plate with pass/warn colours. The same table as tab-separated text for the
//! clipboard (pastes into Excel and Prism).

use egui::{Color32, RichText};

use crate::analysis::Analysis;
use crate::compare::Comparison;
use crate::fit::{OutlierPoint, OutlierReport};
use crate::normalize::{PlateQc, QcVerdict};
use crate::report::format_number;

use super::command::Command;
use super::widgets::{PASS, WARN, ic50_with_ci, num};

/// The resistance-index sentence, the same as the table's, the JSON's and the reports':
/// `RI K562/FLM / K562 = 12.3 [9.9, 15.2]; the IC50s differ (F(1, 58) = 699, p < 1e-15).`,
/// or the bound and why there is no F test when an IC50 is censored.
#[must_use]
pub fn ri_text(comparison: &Comparison) -> String {
    comparison.verdict.clone()
}

/// The QC line of one plate.
#[must_use]
pub fn qc_text(qc: &PlateQc) -> String {
    format!(
        "Z' {} · vehicle CV {} % · blank CV {} % · S/B {} · blank {}",
        num(qc.z_prime),
        super::widgets::percent(qc.vehicle_cv_pct),
        super::widgets::percent(qc.blank_cv_pct),
        num(qc.signal_to_blank),
        num(qc.blank_mean)
    )
}

/// The results as tab-separated text with a header row (Excel, Prism).
#[must_use]
pub fn results_tsv(analysis: &Analysis) -> String {
    let unit = analysis.unit.symbol();
    let method = analysis.settings.ci_method;
    let f = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map_or_else(String::new, format_number)
    };
    let mut out = format!(
        "Experiment\tCurve\tIC50 ({unit})\tIC50 95% CI low\tIC50 95% CI high\tIC50 text\tAbsolute IC50 ({unit})\tHill slope\tTop\tBottom\tR²\tn\tStatus\n"
    );
    for curve in &analysis.curves {
        let fit = &curve.fit;
        let ci = super::widgets::ic50_ci(fit, method);
        let params_known = fit.params.log10_ic50.is_finite();
        let p = |v: f64| {
            if params_known {
                f(Some(v))
            } else {
                String::new()
            }
        };
        out.push_str(
            &[
                analysis.experiment.clone(),
                curve.dose_response.label.clone(),
                f(fit.reported_ic50()),
                f(ci.and_then(|c| c[0])
                    .filter(|_| fit.reported_ic50().is_some())),
                f(ci.and_then(|c| c[1])
                    .filter(|_| fit.reported_ic50().is_some())),
                ic50_with_ci(fit, method),
                f(fit.absolute_ic50()),
                p(fit.params.hill_slope),
                p(fit.params.top),
                p(fit.params.bottom),
                f(fit.r_squared),
                fit.n.to_string(),
                fit.status.as_str().to_string(),
            ]
            .join("\t"),
        );
        out.push('\n');
    }
    if !analysis.comparisons.is_empty() {
        out.push_str("\nTest\tReference\tRI\tRI 95% CI low\tRI 95% CI high\tF\tp\n");
        for c in &analysis.comparisons {
            out.push_str(
                &[
                    c.test.clone(),
                    c.reference.clone(),
                    c.ratio
                        .map_or_else(|| c.ratio_bound.clone().unwrap_or_default(), format_number),
                    f(c.ratio_ci95.map(|x| x[0])),
                    f(c.ratio_ci95.map(|x| x[1])),
                    f(c.f),
                    c.p_value.map_or_else(String::new, |p| format!("{p:.3e}")),
                ]
                .join("\t"),
            );
            out.push('\n');
        }
    }
    out.push_str("\nPlate\tZ'\tVehicle CV %\tBlank CV %\tS/B\tQC\n");
    for plate in &analysis.plates {
        let qc = &plate.normalized.qc;
        out.push_str(
            &[
                plate.file.clone(),
                f(qc.z_prime),
                f(qc.vehicle_cv_pct),
                f(qc.blank_cv_pct),
                f(qc.signal_to_blank),
                match qc.verdict {
                    QcVerdict::Pass => "pass".into(),
                    QcVerdict::Warn => format!("warn: {}", qc.warnings.join("; ")),
                    QcVerdict::Fail => format!("FAIL: {}", qc.warnings.join("; ")),
                },
            ]
            .join("\t"),
        );
        out.push('\n');
    }
    out
}

/// The results table, the comparison and the QC of the active experiment.
pub fn results_ui(
    ui: &mut egui::Ui,
    analysis: &Analysis,
    stale: bool,
    commands: &mut Vec<Command>,
) {
    let unit = analysis.unit.symbol();
    let method = analysis.settings.ci_method;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Results").strong());
        ui.label(
            RichText::new(format!("IC50 in {unit}, 95% CI: {}", method.describe()))
                .small()
                .weak(),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("📋 Copy table")
                .on_hover_text("Copy to the system clipboard as tab-separated text (Ctrl+Shift+C); pastes into Excel and Prism")
                .clicked()
            {
                commands.push(Command::CopyResults);
            }
        });
    });
    if stale {
        ui.label(
            RichText::new("Updating… (numbers below are from the previous state)").color(WARN),
        );
    }
    for comparison in &analysis.comparisons {
        let text = ri_text(comparison);
        ui.label(RichText::new(text).strong().size(15.0))
            .on_hover_text("Resistance index = IC50(resistant) / IC50(parental); 95% CI from the joint fit of both curves; p from the extra-sum-of-squares F test of a shared IC50.");
    }
    egui::ScrollArea::horizontal()
        .id_salt("results-scroll")
        .show(ui, |ui| {
            egui::Grid::new("results-grid")
                .striped(true)
                .spacing([14.0, 4.0])
                .show(ui, |ui| {
                    for h in [
                        "Curve".to_string(),
                        format!("IC50 [95% CI] ({unit})"),
                        format!("Absolute IC50 ({unit})"),
                        "Hill slope".into(),
                        "Top".into(),
                        "Bottom".into(),
                        "R²".into(),
                        "n".into(),
                        "Status".into(),
                    ] {
                        ui.label(RichText::new(h).strong());
                    }
                    ui.end_row();
                    for curve in &analysis.curves {
                        let fit = &curve.fit;
                        let known = fit.params.log10_ic50.is_finite();
                        let p = |v: f64| {
                            if known {
                                format_number(v)
                            } else {
                                "—".into()
                            }
                        };
                        ui.label(&curve.dose_response.label);
                        ui.label(RichText::new(ic50_with_ci(fit, method)).strong());
                        ui.label(crate::report::table::absolute_text(fit));
                        ui.label(p(fit.params.hill_slope));
                        ui.label(p(fit.params.top));
                        ui.label(p(fit.params.bottom));
                        ui.label(num(fit.r_squared));
                        ui.label(fit.n.to_string());
                        let color = if fit.status == crate::fit::FitStatus::Converged {
                            PASS
                        } else {
                            WARN
                        };
                        let mut explain = fit.verdict.reasons.join("\n");
                        if explain.is_empty() {
                            explain = fit.status.explain().to_string();
                        }
                        for flag in fit.flags.iter().filter(|f| **f != fit.status) {
                            explain.push_str(&format!("\nAlso: {}", flag.explain()));
                        }
                        if let Some(problem) = curve.not_analysed() {
                            explain = problem.to_string();
                        } else if let Some(problem) = &curve.problem {
                            explain.push_str(&format!("\n{problem}"));
                        }
                        ui.label(RichText::new(format!("{} ℹ", curve.status_words())).color(color))
                            .on_hover_text(explain);
                        ui.end_row();
                    }
                });
        });
    // Each flagged curve's reasons where the user looks, with the one-click remedy.
    // A converged curve is listed only when a reason says why a column is empty.
    for curve in &analysis.curves {
        let fit = &curve.fit;
        let converged = fit.status == crate::fit::FitStatus::Converged;
        if converged && fit.verdict.reasons.is_empty() {
            continue;
        }
        ui.horizontal_wrapped(|ui| {
            let heading =
                RichText::new(format!("{}: {}", curve.dose_response.label, curve.status_words()))
                    .strong();
            ui.label(if converged { heading } else { heading.color(WARN) });
            if let Some(remedy) = fit.verdict.remedy
                && ui
                    .small_button(remedy.label())
                    .on_hover_text("Refit every curve of this experiment with this constraint (undo with Ctrl+Z)")
                    .clicked()
            {
                commands.push(Command::ApplyRemedy(remedy));
            }
        });
        if let Some(problem) = curve.not_analysed() {
            ui.label(RichText::new(problem).small());
            continue;
        }
        for reason in &fit.verdict.reasons {
            ui.label(RichText::new(reason).small());
        }
    }
    choices_ui(ui, analysis, commands);
    super::growth_view::growth_ui(ui, analysis);
    for warning in &analysis.warnings {
        ui.label(RichText::new(format!("⚠ {warning}")).color(WARN).small());
    }
}

/// The text of a ROUT-flagged point's state: `removed`, `kept (flag overruled)`, or
/// `flagged, not removed` (a curve with too many outliers keeps them all).
#[must_use]
pub fn outlier_state(report: &OutlierReport, point: &OutlierPoint) -> &'static str {
    if point.kept {
        "kept (flag overruled)"
    } else if report.is_removed(point) {
        "removed"
    } else {
        "flagged, not removed"
    }
}

/// The model each curve was fitted with and, for an automatic choice, why; the points ROUT
/// flagged (curve, well, concentration, value), each with a button to keep it in the fit
/// against the flag or to accept the flag again.
fn choices_ui(ui: &mut egui::Ui, analysis: &Analysis, commands: &mut Vec<Command>) {
    let unit = analysis.unit.symbol();
    let choices = analysis.settings.choices;
    // The model line per curve: for a model choice, and wherever a fit says it differs from
    // what was asked (the 5PL fell back to the 4PL, relative weighting to unweighted).
    if choices.model != crate::fit::ModelChoice::default()
        || analysis.curves.iter().any(|c| c.fit.model_note.is_some())
    {
        for curve in &analysis.curves {
            let fit = &curve.fit;
            let text = match &fit.model_comparison {
                Some(comparison) => format!(
                    "{}: model {} — {}",
                    curve.dose_response.label,
                    fit.model.name(),
                    comparison.reason
                ),
                None => format!("{}: model {}", curve.dose_response.label, fit.model.name()),
            };
            let text = match &fit.model_note {
                Some(note) => format!("{text} — {note}"),
                None => text,
            };
            let text = match fit.asymmetry.as_ref().filter(|a| a.s.is_finite()) {
                Some(asymmetry) => format!(
                    "{text} (asymmetry S = {})",
                    crate::report::format_number(asymmetry.s)
                ),
                None => text,
            };
            ui.label(RichText::new(text).small());
        }
    }
    if choices.weighting == crate::fit::Weighting::Relative {
        ui.label(
            RichText::new("Weighted by 1/Y² (Y of the fitted curve, as Prism): RSS, R², SEs, CIs and model comparisons are weighted; no profile-likelihood CI.")
                .small(),
        );
    }
    if choices.method == crate::fit::FitMethod::Robust && choices.outliers.q().is_none() {
        ui.label(
            RichText::new("Robust fit (Lorentzian merit function): no point removed; SEs and CIs are approximate.")
                .small(),
        );
    }
    let Some(q) = choices.outliers.q() else {
        return;
    };
    let reports: Vec<_> = analysis
        .curves
        .iter()
        .filter_map(|c| Some((c, c.fit.outliers.as_ref()?)))
        .collect();
    let flagged: usize = reports.iter().map(|(_, r)| r.points.len()).sum();
    ui.label(
        RichText::new(format!(
            "Outliers (ROUT, Q = {} %): {flagged} flagged",
            crate::fit::rout::q_percent_text(q)
        ))
        .strong(),
    );
    if flagged == 0 {
        return;
    }
    egui::Grid::new("outliers-grid")
        .striped(true)
        .spacing([14.0, 2.0])
        .show(ui, |ui| {
            for h in [
                "Curve".to_string(),
                "Well".into(),
                format!("Conc ({unit})"),
                "Value".into(),
                "Outlier".into(),
                String::new(),
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for (curve, report) in &reports {
                for point in &report.points {
                    let label = curve.dose_response.label.clone();
                    ui.label(&label);
                    let well = point.well.map_or_else(|| "—".to_string(), |w| w.to_string());
                    ui.label(&well);
                    ui.label(if point.concentration > 0.0 {
                        format_number(point.concentration)
                    } else {
                        "vehicle".into()
                    });
                    ui.label(format_number(point.response));
                    let state = outlier_state(report, point);
                    ui.label(RichText::new(state).color(if point.kept { PASS } else { WARN }))
                        .on_hover_text(format!(
                            "robust-fit residual {}, p = {:.2e}",
                            format_number(point.residual),
                            point.p_value
                        ));
                    if let Some(w) = point.well {
                        let (text, hover) = if point.kept {
                            (
                                format!("Remove {w}"),
                                "Accept ROUT's flag: leave this point out of the fit (undo with Ctrl+Z)",
                            )
                        } else {
                            (
                                format!("Keep {w}"),
                                "Overrule ROUT: keep this point in the fit; saved with the experiment and kept on every refit (undo with Ctrl+Z)",
                            )
                        };
                        if ui.small_button(text).on_hover_text(hover).clicked() {
                            commands.push(Command::KeepOutlier {
                                curve: label,
                                well: w,
                                kept: !point.kept,
                            });
                        }
                    } else {
                        ui.label("");
                    }
                    ui.end_row();
                }
            }
        });
    for (curve, report) in &reports {
        if !report.points.is_empty() {
            ui.label(RichText::new(report.sentence(&curve.dose_response.label)).small());
        }
    }
}

/// The QC of each plate: Z', CVs, S/B with a pass/warn badge and the reasons.
pub fn qc_ui(ui: &mut egui::Ui, analysis: &Analysis, commands: &mut Vec<Command>) {
    ui.label(RichText::new("Plate QC").strong());
    for (index, plate) in analysis.plates.iter().enumerate() {
        let qc = &plate.normalized.qc;
        let (color, verdict) = match qc.verdict {
            QcVerdict::Pass => (PASS, "PASS"),
            QcVerdict::Warn => (WARN, "WARN"),
            QcVerdict::Fail => (Color32::from_rgb(180, 30, 30), "FAIL"),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(verdict).color(Color32::WHITE).background_color(color).strong());
            ui.label(qc_text(qc))
                .on_hover_text("Z' ≥ 0.5 and vehicle CV ≤ 15 % are the usual acceptance limits. S/B = mean vehicle / mean blank OD.");
        });
        for warning in &qc.warnings {
            ui.label(RichText::new(format!("⚠ {warning}")).color(WARN).small());
        }
        if !qc.suggested_exclusions.is_empty() {
            let wells: Vec<String> = qc
                .suggested_exclusions
                .keys()
                .map(ToString::to_string)
                .collect();
            let shown = if wells.len() > 6 {
                format!("{} …", wells[..6].join(" "))
            } else {
                wells.join(" ")
            };
            if ui
                .button(format!(
                    "Exclude the {} suggested wells ({shown})",
                    wells.len()
                ))
                .on_hover_text(
                    "Leave these blank or vehicle wells out and analyse again (undo with Ctrl+Z)",
                )
                .clicked()
            {
                commands.push(Command::ExcludeSuggested {
                    plate: index,
                    wells: qc.suggested_exclusions.clone(),
                });
            }
        }
        ui.label(
            RichText::new(format!("{}: {}", plate.file, plate.reads.note))
                .small()
                .weak(),
        );
    }
}
