//! Several experiments side by side: one table of every experiment's IC50s and RIs, the
//! across-experiment summary (geometric means with CIs, [`Summary`]), and an overlay of
//! all fitted curves.

use std::collections::BTreeSet;

use egui::RichText;
use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoints, Points};

use crate::analysis::Analysis;
use crate::normalize::Normalization;
use crate::report::format_number;
use crate::summary::Summary;

use super::command::Command;
use super::curve_plot::{GRID_SPACING_MIN, LogAxis, drawable, legend_corner};
use super::widgets::{experiment_color, ic50_with_ci};

fn curve_labels(analyses: &[&Analysis]) -> Vec<String> {
    let set: BTreeSet<String> = analyses
        .iter()
        .flat_map(|a| a.curves.iter().map(|c| c.dose_response.label.clone()))
        .collect();
    set.into_iter().collect()
}

fn comparison_labels(analyses: &[&Analysis]) -> Vec<String> {
    let set: BTreeSet<String> = analyses
        .iter()
        .flat_map(|a| {
            a.comparisons
                .iter()
                .map(|c| format!("{} vs {}", c.test, c.reference))
        })
        .collect();
    set.into_iter().collect()
}

fn ri_of(analysis: &Analysis, label: &str) -> String {
    analysis
        .comparisons
        .iter()
        .find(|c| format!("{} vs {}", c.test, c.reference) == label)
        .map_or_else(String::new, |c| match (c.ratio, c.ratio_ci95) {
            (Some(r), Some([a, b])) => format!(
                "{} {}",
                format_number(r),
                crate::report::format_ratio_ci(a, b)
            ),
            (Some(r), None) => format_number(r),
            (None, _) => c.ratio_bound.as_deref().map_or_else(
                || super::widgets::human_codes(&c.status),
                super::widgets::round_bound,
            ),
        })
}

/// The comparison table as tab-separated text.
#[must_use]
pub fn comparison_tsv(analyses: &[&Analysis]) -> String {
    let curves = curve_labels(analyses);
    let comparisons = comparison_labels(analyses);
    let mut header = vec!["Experiment".to_string()];
    header.extend(curves.iter().map(|c| format!("IC50 {c}")));
    header.extend(comparisons.iter().map(|c| format!("RI {c}")));
    let mut out = header.join("\t");
    out.push('\n');
    for a in analyses {
        let mut row = vec![a.experiment.clone()];
        for label in &curves {
            row.push(
                a.curve(label)
                    .map_or_else(String::new, |c| ic50_with_ci(&c.fit, a.settings.ci_method)),
            );
        }
        for label in &comparisons {
            row.push(ri_of(a, label));
        }
        out.push_str(&row.join("\t"));
        out.push('\n');
    }
    let owned: Vec<Analysis> = analyses.iter().map(|a| (*a).clone()).collect();
    let summary = Summary::of(&owned);
    out.push_str("\nAcross experiments\tGeometric mean\t95% CI low\t95% CI high\tn\n");
    for (label, s) in summary
        .ic50
        .iter()
        .map(|(k, v)| (format!("IC50 {k}"), v))
        .chain(
            summary
                .resistance_index
                .iter()
                .map(|(k, v)| (format!("RI {k}"), v)),
        )
    {
        let ci = s.ci95.map_or([String::new(), String::new()], |[a, b]| {
            [format_number(a), format_number(b)]
        });
        out.push_str(&format!(
            "{label}\t{}\t{}\t{}\t{}\n",
            format_number(s.geometric_mean),
            ci[0],
            ci[1],
            s.n
        ));
    }
    out
}

/// The side-by-side view.
///
/// `docs[i]` is the experiment index of `analyses[i]` and `colors[i]` its colour (colours
/// belong to experiments, not to positions in the list).
pub fn compare_ui(
    ui: &mut egui::Ui,
    analyses: &[&Analysis],
    docs: &[usize],
    colors: &[egui::Color32],
    active: usize,
    commands: &mut Vec<Command>,
) {
    let color_of = |i: usize| {
        colors
            .get(i)
            .copied()
            .unwrap_or_else(|| experiment_color(i))
    };
    if analyses.is_empty() {
        ui.label("No analysed experiment yet.");
        return;
    }
    let curves = curve_labels(analyses);
    let comparisons = comparison_labels(analyses);
    ui.horizontal(|ui| {
        ui.label(RichText::new(if analyses.len() == 1 { "1 experiment (open more to compare)".to_string() } else { format!("{} experiments side by side", analyses.len()) }).strong());
        if ui
            .button("📋 Copy table")
            .on_hover_text("Copy to the system clipboard as tab-separated text (Ctrl+Shift+C); pastes into Excel and Prism")
            .clicked()
        {
            commands.push(Command::CopyComparison);
        }
    });
    let table_height = (ui.available_height() * 0.45).max(160.0);
    egui::ScrollArea::both()
        .id_salt("compare-table")
        .max_height(table_height)
        .show(ui, |ui| {
            egui::Grid::new("compare-grid")
                .striped(true)
                .spacing([14.0, 4.0])
                .show(ui, |ui| {
                    ui.label(RichText::new("Experiment").strong());
                    for c in &curves {
                        ui.label(RichText::new(format!("IC50 {c}")).strong());
                    }
                    for c in &comparisons {
                        ui.label(RichText::new(format!("RI {c}")).strong());
                    }
                    ui.end_row();
                    for (i, a) in analyses.iter().enumerate() {
                        let swatch = RichText::new("■ ").color(color_of(i));
                        let doc = docs.get(i).copied().unwrap_or(i);
                        ui.horizontal(|ui| {
                            ui.label(swatch);
                            if ui
                                .selectable_label(doc == active, &a.experiment)
                                .on_hover_text("Show this experiment")
                                .clicked()
                            {
                                commands.push(Command::SelectExperiment(doc));
                            }
                        });
                        for label in &curves {
                            match a.curve(label) {
                                Some(c) => ui
                                    .label(ic50_with_ci(&c.fit, a.settings.ci_method))
                                    .on_hover_text(c.status_explained()),
                                None => ui.label("—"),
                            };
                        }
                        for label in &comparisons {
                            ui.label(ri_of(a, label));
                        }
                        ui.end_row();
                    }
                });
            let owned: Vec<Analysis> = analyses.iter().map(|a| (*a).clone()).collect();
            let summary = Summary::of(&owned);
            if analyses.len() > 1 {
                ui.add_space(8.0);
                ui.label(
                    RichText::new("Across experiments (geometric mean [95% CI], geometric SD, n)")
                        .strong(),
                );
                egui::Grid::new("summary-grid")
                    .striped(true)
                    .spacing([14.0, 4.0])
                    .show(ui, |ui| {
                        for (label, s) in summary
                            .ic50
                            .iter()
                            .map(|(k, v)| (format!("IC50 {k}"), v))
                            .chain(
                                summary
                                    .resistance_index
                                    .iter()
                                    .map(|(k, v)| (format!("RI {k}"), v)),
                            )
                        {
                            ui.label(label);
                            let ci = s.ci95.map_or_else(String::new, |[a, b]| {
                                format!(" [{}, {}]", format_number(a), format_number(b))
                            });
                            ui.label(
                                RichText::new(format!("{}{ci}", format_number(s.geometric_mean)))
                                    .strong(),
                            );
                            ui.label(
                                s.geometric_sd.map_or_else(String::new, |g| {
                                    format!("GSD {}", format_number(g))
                                }),
                            );
                            ui.label(format!("n = {}", s.n));
                            ui.end_row();
                        }
                    });
            }
        });
    ui.separator();
    overlay_plot_ui(ui, analyses, colors);
}

/// The overlay's x axis label: "<drug> concentration (<unit>), log scale" when all curves
/// compared are of one drug (as on the curve plot), without the drug when they differ or
/// none is named.
#[must_use]
pub fn overlay_x_label<'a>(drugs: impl IntoIterator<Item = &'a str>, unit: &str) -> String {
    let mut named = drugs.into_iter().filter(|d| !d.is_empty());
    let first = named.next();
    match first {
        Some(drug) if named.all(|d| d == drug) => {
            format!("{drug} concentration ({unit}), log scale")
        }
        _ => format!("concentration ({unit}), log scale"),
    }
}

/// All experiments' fitted curves (and mean points) in one plot, a colour per experiment and
/// a line style per curve.
fn overlay_plot_ui(ui: &mut egui::Ui, analyses: &[&Analysis], colors: &[egui::Color32]) {
    let axis = LogAxis::new(analyses.iter().flat_map(|a| {
        a.curves
            .iter()
            .flat_map(|c| c.dose_response.points.iter().map(|p| p.concentration))
    }));
    let unit = analyses.first().map_or("", |a| a.unit.symbol()).to_string();
    let percent = analyses
        .iter()
        .all(|a| a.settings.normalization != Normalization::None);
    let curves = curve_labels(analyses);
    // The legend names colours only: say which line style is which curve.
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Colour: experiment (as in the list) · line:").weak());
        for (i, label) in curves.iter().enumerate() {
            let sample = ["———", "– – –", "·······"][i % 3];
            ui.label(format!("{sample} {label}"));
        }
    });
    let mut occupied: Vec<[f64; 2]> = Vec::new();
    for a in analyses {
        for curve in &a.curves {
            occupied.extend(
                curve
                    .dose_response
                    .level_summaries()
                    .iter()
                    .map(|l| [axis.x(l.concentration), l.mean]),
            );
            if drawable(&curve.fit) {
                occupied.extend((0..=40).map(|i| {
                    let lx = axis.lo - 0.3 + (axis.hi - axis.lo + 0.6) * f64::from(i) / 40.0;
                    [lx, curve.fit.response(lx)]
                }));
            }
        }
    }
    let entries: usize = analyses.iter().map(|a| a.curves.len()).sum();
    let longest = analyses
        .iter()
        .flat_map(|a| {
            a.curves
                .iter()
                .map(|c| a.experiment.chars().count() + c.dose_response.label.chars().count() + 3)
        })
        .max()
        .unwrap_or(0);
    let plot_size = ui.available_size();
    let corner = legend_corner(
        &occupied,
        [axis.vehicle_x - 0.4, axis.hi + 0.3],
        [0.0, if percent { 110.0 } else { 0.1 }],
        [
            f64::from(((longest as f32 * 6.5 + 30.0) / plot_size.x.max(1.0)).clamp(0.05, 0.95)),
            f64::from((entries as f32 * 18.0 / plot_size.y.max(1.0)).clamp(0.05, 0.95)),
        ],
    );
    let marks_axis = axis;
    let label_axis = axis;
    // In a narrow window the legend would cover the curves: the caption above the plot
    // (line style per curve) and the experiment list (colour per experiment) say the same.
    let legend_fraction = (longest as f32 * 6.5 + 30.0) / plot_size.x.max(1.0);
    let plot = Plot::new("overlay");
    let plot = if legend_fraction <= 0.4 {
        plot.legend(Legend::default().position(corner))
    } else {
        plot
    };
    plot.custom_x_axes(vec![super::curve_plot::x_axis_hints()])
        .x_axis_label(overlay_x_label(
            analyses
                .iter()
                .flat_map(|a| a.curves.iter().map(|c| c.key.drug.as_str())),
            &unit,
        ))
        .y_axis_label(if percent {
            "Viability (% of vehicle)"
        } else {
            "response"
        })
        .grid_spacing(egui::Rangef::new(GRID_SPACING_MIN, 300.0))
        .x_grid_spacer(move |input| marks_axis.marks(&input))
        .x_axis_formatter(move |mark, _| label_axis.label(&mark))
        .include_x(axis.vehicle_x - 0.4)
        .include_x(axis.hi + 0.3)
        .include_y(0.0)
        .include_y(if percent { 110.0 } else { 0.1 })
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |plot_ui| {
            for (i, a) in analyses.iter().enumerate() {
                let color = colors
                    .get(i)
                    .copied()
                    .unwrap_or_else(|| experiment_color(i));
                for curve in &a.curves {
                    let style = match curves
                        .iter()
                        .position(|c| *c == curve.dose_response.label)
                        .unwrap_or(0)
                        % 3
                    {
                        0 => LineStyle::Solid,
                        1 => LineStyle::Dashed { length: 8.0 },
                        _ => LineStyle::Dotted { spacing: 6.0 },
                    };
                    let name = format!("{} — {}", a.experiment, curve.dose_response.label);
                    if drawable(&curve.fit) {
                        let curve_at = curve.fit.curve_function();
                        // Only over the concentrations tested, as in the Analysis view.
                        let (from, to) = curve
                            .fit
                            .tested_range
                            .filter(|(lo, hi)| *lo > 0.0 && hi > lo)
                            .map_or((axis.lo, axis.hi), |(lo, hi)| (lo.log10(), hi.log10()));
                        plot_ui.line(
                            Line::new(
                                name.clone(),
                                PlotPoints::from_explicit_callback(curve_at, from..=to, 160),
                            )
                            .color(color)
                            .style(style)
                            .width(2.0),
                        );
                    }
                    let means: Vec<[f64; 2]> = curve
                        .dose_response
                        .level_summaries()
                        .iter()
                        .map(|l| [axis.x(l.concentration), l.mean])
                        .collect();
                    plot_ui.points(
                        Points::new(name, means)
                            .color(color)
                            .radius(3.0)
                            .filled(true),
                    );
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::overlay_x_label;

    #[test]
    fn the_overlay_axis_names_the_drug_when_there_is_one() {
        assert_eq!(
            overlay_x_label(["flumatinib", "flumatinib", "", "flumatinib"], "µM"),
            "flumatinib concentration (µM), log scale"
        );
        assert_eq!(
            overlay_x_label(["flumatinib", "imatinib"], "nM"),
            "concentration (nM), log scale"
        );
        assert_eq!(
            overlay_x_label(["", ""], "µM"),
            "concentration (µM), log scale"
        );
        assert_eq!(overlay_x_label([], "µM"), "concentration (µM), log scale");
    }
}
