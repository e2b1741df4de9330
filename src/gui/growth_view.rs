//! The growth-rate (GR) view of an experiment with a time-zero read: the GR table (vehicle
//! doublings, GR50, GEC50, GRinf, GRmax, h, GR_AOC, GI50, TGI, LC50), the GR-based
//! resistance index beside the IC50-based one with the division-rate warning, and the GR
//! curves (every well's GR value and the fitted GR curve against log10 concentration).

use egui::RichText;
use egui_plot::{HLine, Legend, Line, LineStyle, Plot, PlotPoints, Points};

use crate::analysis::Analysis;
use crate::fit::Estimate;
use crate::growth::{GrMetrics, GrowthAnalysis};
use crate::report::gr::{estimate_text, number_text, ratio_text};

use super::curve_plot::{LogAxis, x_axis_hints};
use super::widgets::{WARN, curve_color};

/// The GR table, the GR-based RI and the GR curves; nothing when there is no t0 read.
pub fn growth_ui(ui: &mut egui::Ui, analysis: &Analysis) {
    let Some(growth) = &analysis.growth else {
        return;
    };
    let unit = analysis.unit.symbol();
    ui.add_space(6.0);
    ui.label(RichText::new("Growth-rate inhibition (GR metrics)").strong())
        .on_hover_text("From the time-zero read: GR(c) = 2^(log2(x(c)/x0)/log2(x_ctrl/x0)) − 1 per well (Hafner et al. 2016). GR50 where the fitted GR curve crosses 0.5; GRmax = lower mean GR of the two highest concentrations; GI50/TGI/LC50 = NCI-60 percent growth 50/0/−50. Doublings = log2(vehicle/t0) over the assay.");
    for comparison in &growth.comparisons {
        ui.label(
            RichText::new(format!(
                "RI {} vs {}: GR-based {} · IC50-based {}",
                comparison.test,
                comparison.reference,
                ratio_text(comparison),
                number_text(comparison.ic50_ratio)
            ))
            .strong(),
        );
        if let Some(warning) = &comparison.warning {
            ui.label(RichText::new(format!("⚠ {warning}")).color(WARN).small());
        }
    }
    egui::ScrollArea::horizontal()
        .id_salt("gr-scroll")
        .show(ui, |ui| {
            egui::Grid::new("gr-grid")
                .striped(true)
                .spacing([14.0, 4.0])
                .show(ui, |ui| {
                    for h in [
                        "Curve".to_string(),
                        "Doublings".into(),
                        format!("GR50 ({unit})"),
                        format!("GEC50 ({unit})"),
                        "GRinf".into(),
                        "GRmax".into(),
                        "h".into(),
                        "GR_AOC".into(),
                        format!("GI50 ({unit})"),
                        format!("TGI ({unit})"),
                        format!("LC50 ({unit})"),
                    ] {
                        ui.label(RichText::new(h).strong());
                    }
                    ui.end_row();
                    for curve in &growth.curves {
                        let m = curve.metrics.as_ref();
                        let est = |pick: fn(&GrMetrics) -> Estimate| {
                            estimate_text(m.map_or(Estimate::Undetermined, pick))
                        };
                        let name = ui.label(&curve.label);
                        if let Some(problem) = &curve.problem {
                            name.on_hover_text(problem);
                        }
                        ui.label(
                            curve
                                .vehicle_doublings
                                .map_or_else(|| "—".into(), |d| format!("{d:.2}")),
                        );
                        ui.label(RichText::new(est(|m| m.gr50)).strong());
                        ui.label(number_text(m.and_then(|m| m.gec50)));
                        ui.label(number_text(m.and_then(|m| m.grinf)));
                        ui.label(number_text(m.and_then(|m| m.grmax)));
                        ui.label(
                            m.and_then(|m| m.hill)
                                .map_or_else(|| "—".into(), |h| format!("{h:.2}")),
                        );
                        ui.label(number_text(m.and_then(|m| m.gr_aoc)));
                        ui.label(est(|m| m.gi50));
                        ui.label(est(|m| m.tgi));
                        ui.label(est(|m| m.lc50));
                        ui.end_row();
                    }
                });
        });
    egui::CollapsingHeader::new("GR curves")
        .default_open(true)
        .show(ui, |ui| gr_plot_ui(ui, analysis, growth));
}

/// The GR view of the curves: GR values per well and the fitted GR curves, GR = 0 (no net
/// growth) and GR = 0.5 (GR50) marked.
fn gr_plot_ui(ui: &mut egui::Ui, analysis: &Analysis, growth: &GrowthAnalysis) {
    let axis = LogAxis::new(
        growth
            .curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.concentration)),
    );
    let unit = analysis.unit.symbol();
    let resistant: Vec<&str> = analysis
        .comparisons
        .iter()
        .map(|c| c.test.as_str())
        .collect();
    let marks_axis = axis;
    let label_axis = axis;
    Plot::new(("gr-curves", analysis.experiment.as_str()))
        .height(260.0)
        .legend(Legend::default())
        .custom_x_axes(vec![x_axis_hints()])
        .x_axis_label(format!("concentration ({unit}), log scale"))
        .y_axis_label("GR value")
        .x_grid_spacer(move |input| marks_axis.marks(&input))
        .x_axis_formatter(move |mark, _| label_axis.label(&mark))
        .include_x(axis.lo - 0.3)
        .include_x(axis.hi + 0.3)
        .include_y(-1.0)
        .include_y(1.1)
        .show(ui, |plot_ui| {
            plot_ui.hline(
                HLine::new("GR = 0 (no net growth)", 0.0)
                    .style(LineStyle::dashed_loose())
                    .color(egui::Color32::GRAY),
            );
            plot_ui.hline(
                HLine::new("GR = 0.5", 0.5)
                    .style(LineStyle::dotted_loose())
                    .color(egui::Color32::GRAY),
            );
            let (mut sensitive_index, mut resistant_index) = (0, 0);
            for curve in &growth.curves {
                let is_resistant = resistant.contains(&curve.label.as_str());
                let color = if is_resistant {
                    resistant_index += 1;
                    curve_color(true, resistant_index - 1)
                } else {
                    sensitive_index += 1;
                    curve_color(false, sensitive_index - 1)
                };
                let points: Vec<[f64; 2]> = curve
                    .points
                    .iter()
                    .map(|p| [p.concentration.log10(), p.gr])
                    .collect();
                plot_ui.points(
                    Points::new(curve.label.clone(), points)
                        .color(color)
                        .radius(2.5),
                );
                if let Some(fit) = curve.fit.clone() {
                    let (lo, hi) = curve
                        .points
                        .iter()
                        .map(|p| p.concentration.log10())
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                            (a.min(x), b.max(x))
                        });
                    if lo.is_finite() && hi > lo {
                        let line = PlotPoints::from_explicit_callback(
                            move |lx| fit.predict(10f64.powf(lx)),
                            lo..=hi,
                            200,
                        );
                        plot_ui.line(Line::new(curve.label.clone(), line).color(color).width(2.0));
                    }
                }
            }
        });
}
