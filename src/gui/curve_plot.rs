//! Dose-response curves: a log10 concentration axis labelled in real units (decades,
//! minor ticks), the vehicle as its own point group at the left, every replicate point or
//! mean ± SD, the fitted 4PL curves, IC50 markers with their CI. Clicking a point excludes
//! it (or includes it again).

use egui::{Color32, Pos2, RichText};
use egui_plot::{
    GridInput, GridMark, HoverPosition, Legend, Line, LineStyle, MarkerShape, Plot, PlotPoint,
    PlotPoints, Points,
};

use crate::analysis::{Analysis, Experiment};
use crate::fit::{Fit, FitStatus};
use crate::normalize::Normalization;
use crate::plate::WellId;

use super::command::Command;
use super::widgets::{conc_short, curve_color, ic50_ci};

/// A replicate point as drawn in the last frame (for clicks and tests).
#[derive(Debug, Clone)]
pub struct PlottedPoint {
    /// Curve label.
    pub curve: String,
    /// Plate index in the experiment.
    pub plate: usize,
    /// The well.
    pub well: WellId,
    /// Where it was drawn.
    pub screen: Pos2,
    /// Concentration (0 for vehicle).
    pub concentration: f64,
    /// Response.
    pub response: f64,
}

/// The plots' minimum grid spacing in points: [`GridInput::base_step_size`] is this many
/// points in plot units (set on both plots with `Plot::grid_spacing`).
pub const GRID_SPACING_MIN: f32 = 8.0;

/// A generous width of one tick-label character (body font), in points.
const TICK_CHAR_WIDTH: f64 = 7.0;

/// The x offset of curve `index`'s vehicle group from the vehicle mark: the groups of
/// `count` curves sit side by side, 0.12 decades apart, centred on the mark.
#[must_use]
pub fn vehicle_offset(index: usize, count: usize) -> f64 {
    (index as f64 - (count.max(1) as f64 - 1.0) / 2.0) * 0.12
}

/// The free space between the vehicle label and a decade label, edge to edge, in points.
const TICK_LABEL_GAP: f64 = 12.0;

/// The x axis of both plots. Its tick labels are short ("0.01", "100"), so they may come
/// closer than egui_plot's default 60–80 points (which leaves a plot in a 1024-point window
/// without any concentration label); a label still hides when it is wider than its space.
#[must_use]
pub fn x_axis_hints<'a>() -> egui_plot::AxisHints<'a> {
    egui_plot::AxisHints::new_x().label_spacing(egui::Rangef::new(30.0, 45.0))
}

/// The x axis: log10 concentration, with the vehicle one decade left of the lowest dose.
#[derive(Debug, Clone, Copy)]
pub struct LogAxis {
    /// log10 of the lowest tested concentration.
    pub lo: f64,
    /// log10 of the highest.
    pub hi: f64,
    /// Where the vehicle (dose 0) group sits.
    pub vehicle_x: f64,
}

impl LogAxis {
    /// The axis for these positive concentrations.
    #[must_use]
    pub fn new(concentrations: impl Iterator<Item = f64>) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for c in concentrations.filter(|c| *c > 0.0 && c.is_finite()) {
            lo = lo.min(c.log10());
            hi = hi.max(c.log10());
        }
        if !lo.is_finite() {
            (lo, hi) = (-2.0, 2.0);
        }
        if hi - lo < 1.0 {
            hi = lo + 1.0;
        }
        Self {
            lo,
            hi,
            vehicle_x: lo - 1.0,
        }
    }

    /// The x of a concentration (vehicle position for 0).
    #[must_use]
    pub fn x(&self, concentration: f64) -> f64 {
        if concentration > 0.0 {
            concentration.log10()
        } else {
            self.vehicle_x
        }
    }

    /// Where the log part of the axis starts (ticks left of it would crowd the vehicle).
    fn log_start(&self) -> f64 {
        self.vehicle_x + 0.5
    }

    /// Whether the label of the decade at `d` would come too close to the "vehicle" label
    /// with `points_per_unit` points per decade on screen.
    fn crowds_vehicle(&self, d: f64, points_per_unit: f64) -> bool {
        let label = conc_short(10f64.powf(d)).chars().count();
        let half_widths = TICK_CHAR_WIDTH * ("vehicle".len() + label) as f64 / 2.0;
        (d - self.vehicle_x).abs() * points_per_unit < half_widths + TICK_LABEL_GAP
    }

    /// Decade and minor ticks, plus the vehicle mark. A decade whose label would crowd the
    /// vehicle label on screen (narrow plots) gets a minor, unlabelled tick instead.
    #[must_use]
    pub fn marks(&self, input: &GridInput) -> Vec<GridMark> {
        let (min, max) = input.bounds;
        let points_per_unit = if input.base_step_size > 0.0 {
            f64::from(GRID_SPACING_MIN) / input.base_step_size
        } else {
            f64::INFINITY
        };
        let mut marks = vec![GridMark {
            value: self.vehicle_x,
            step_size: 1.0,
        }];
        let start = self.log_start().max(min);
        let first = start.floor() as i32 - 1;
        let last = max.ceil() as i32 + 1;
        for decade in first..=last {
            let d = f64::from(decade);
            if d >= start && d <= max {
                marks.push(GridMark {
                    value: d,
                    step_size: if self.crowds_vehicle(d, points_per_unit) {
                        0.1
                    } else {
                        1.0
                    },
                });
            }
            for k in 2..10 {
                let v = d + f64::from(k).log10();
                if v >= start && v <= max {
                    marks.push(GridMark {
                        value: v,
                        step_size: 0.1,
                    });
                }
            }
        }
        marks
    }

    /// The label of a mark.
    #[must_use]
    pub fn label(&self, mark: &GridMark) -> String {
        if (mark.value - self.vehicle_x).abs() < 1e-9 {
            "vehicle".into()
        } else if mark.step_size >= 1.0 {
            conc_short(10f64.powf(mark.value))
        } else {
            String::new()
        }
    }
}

/// What the plot draws for one curve.
struct CurveStyle {
    color: Color32,
    role: &'static str,
}

fn styles(analysis: &Analysis) -> Vec<CurveStyle> {
    let resistant: Vec<&str> = analysis
        .comparisons
        .iter()
        .map(|c| c.test.as_str())
        .collect();
    let reference: Vec<&str> = analysis
        .comparisons
        .iter()
        .map(|c| c.reference.as_str())
        .collect();
    let (mut s, mut r) = (0, 0);
    analysis
        .curves
        .iter()
        .map(|curve| {
            let label = curve.dose_response.label.as_str();
            if resistant.contains(&label) {
                r += 1;
                CurveStyle {
                    color: curve_color(true, r - 1),
                    role: "resistant",
                }
            } else {
                s += 1;
                CurveStyle {
                    color: curve_color(false, s - 1),
                    role: if reference.contains(&label) {
                        "parental"
                    } else {
                        ""
                    },
                }
            }
        })
        .collect()
}

/// The plot's name of ROUT outliers left out of the fit.
pub const ROUT_REMOVED: &str = "ROUT outlier (removed)";
/// The plot's name of ROUT-flagged points the user kept.
pub const ROUT_KEPT: &str = "ROUT flag overruled (kept)";

/// What became of a point ROUT flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoutState {
    /// Left out of the final fit.
    Removed,
    /// Kept: the user overruled the flag, or the curve had too many to remove.
    Kept,
}

/// ROUT's flagged points of a fit by index into its curve's points.
fn rout_states(fit: &Fit) -> std::collections::BTreeMap<usize, RoutState> {
    fit.outliers
        .iter()
        .flat_map(|report| {
            report.points.iter().map(move |p| {
                let state = if report.is_removed(p) {
                    RoutState::Removed
                } else {
                    RoutState::Kept
                };
                (p.index, state)
            })
        })
        .collect()
}

/// The residual plot beside the curves: each fitted point's residual (observed − fitted)
/// against log concentration, in its curve's colour, around a zero line. A pattern (runs
/// on one side) says the model does not describe the data.
pub fn residual_plot_ui(ui: &mut egui::Ui, analysis: &Analysis) {
    let percent = analysis.settings.normalization != Normalization::None;
    let axis = LogAxis::new(
        analysis
            .curves
            .iter()
            .flat_map(|c| c.dose_response.points.iter().map(|p| p.concentration)),
    );
    let styles = styles(analysis);
    let curve_count = analysis.curves.len();
    let label_axis = axis;
    let marks_axis = axis;
    ui.label(
        RichText::new("Residuals (observed − fitted)")
            .small()
            .strong(),
    );
    Plot::new(("residuals", analysis.experiment.as_str()))
        .custom_x_axes(vec![x_axis_hints()])
        .y_axis_label(if percent { "residual (%)" } else { "residual" })
        .grid_spacing(egui::Rangef::new(GRID_SPACING_MIN, 300.0))
        .x_grid_spacer(move |input| marks_axis.marks(&input))
        .x_axis_formatter(move |mark, _| label_axis.label(&mark))
        .include_x(axis.vehicle_x - 0.4)
        .include_x(axis.hi + 0.3)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show(ui, |plot_ui| {
            plot_ui.hline(
                egui_plot::HLine::new("", 0.0)
                    .color(Color32::from_gray(140))
                    .allow_hover(false),
            );
            for ((curve_index, curve), style) in analysis.curves.iter().enumerate().zip(&styles) {
                let Some(diagnostics) = &curve.fit.diagnostics else {
                    continue;
                };
                let points: Vec<[f64; 2]> = diagnostics
                    .residuals
                    .iter()
                    .filter(|r| r.residual.is_finite())
                    .map(|r| {
                        let x = if r.concentration > 0.0 {
                            axis.x(r.concentration)
                        } else {
                            axis.vehicle_x + vehicle_offset(curve_index, curve_count)
                        };
                        [x, r.residual]
                    })
                    .collect();
                if !points.is_empty() {
                    plot_ui.points(
                        Points::new(curve.dose_response.label.clone(), points)
                            .radius(3.0)
                            .color(style.color)
                            .filled(true),
                    );
                }
            }
        });
}

/// Whether a fit has a curve worth drawing.
#[must_use]
pub fn drawable(fit: &Fit) -> bool {
    !matches!(
        fit.status,
        FitStatus::NotConverged | FitStatus::InsufficientData
    ) && fit.params.to_array().iter().all(|v| v.is_finite())
}

/// The corner of the plot where a legend covering the fraction `legend` (width, height)
/// of the plot hides the fewest of the `points` (plot coordinates). The plot shows at least
/// `x` × `y` and grows to hold every point. On a tie the order is top right, bottom left,
/// bottom right, top left.
#[must_use]
pub fn legend_corner(
    points: &[[f64; 2]],
    x: [f64; 2],
    y: [f64; 2],
    legend: [f64; 2],
) -> egui_plot::Corner {
    use egui_plot::Corner;
    let finite = points
        .iter()
        .filter(|p| p[0].is_finite() && p[1].is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (x[0], x[1], y[0], y[1]);
    for p in finite.clone() {
        (x0, x1) = (x0.min(p[0]), x1.max(p[0]));
        (y0, y1) = (y0.min(p[1]), y1.max(p[1]));
    }
    let (w, h) = ((x1 - x0).max(f64::EPSILON), (y1 - y0).max(f64::EPSILON));
    let [fw, fh] = legend;
    let covered = |right: bool, top: bool| {
        finite
            .clone()
            .filter(|p| {
                let (u, v) = ((p[0] - x0) / w, (p[1] - y0) / h);
                let in_x = if right { u >= 1.0 - fw } else { u <= fw };
                let in_y = if top { v >= 1.0 - fh } else { v <= fh };
                in_x && in_y
            })
            .count()
    };
    [
        (Corner::RightTop, covered(true, true)),
        (Corner::LeftBottom, covered(false, false)),
        (Corner::RightBottom, covered(true, false)),
        (Corner::LeftTop, covered(false, true)),
    ]
    .into_iter()
    .min_by_key(|(_, n)| *n)
    .map_or(Corner::RightTop, |(c, _)| c)
}

/// The plate a point came from: the plate whose well has exactly this response.
fn plate_of(experiment_plates: usize, analysis: &Analysis, well: WellId, response: f64) -> usize {
    if experiment_plates <= 1 {
        return 0;
    }
    analysis
        .plates
        .iter()
        .position(|p| {
            p.normalized.wells.iter().any(|v| {
                v.well == well
                    && v.viability
                        .is_some_and(|x| x.to_bits() == response.to_bits())
            })
        })
        .unwrap_or(0)
}

/// The curve plot of one analysis. Records where points were drawn in `plotted` and pushes
/// a [`Command::ToggleExclude`] when a point is clicked.
#[allow(clippy::too_many_lines)]
pub fn curve_plot_ui(
    ui: &mut egui::Ui,
    experiment: &Experiment,
    analysis: &Analysis,
    show_means: bool,
    plotted: &mut Vec<PlottedPoint>,
    commands: &mut Vec<Command>,
) {
    let unit = analysis.unit.symbol();
    let percent = analysis.settings.normalization != Normalization::None;
    let ci_method = analysis.settings.ci_method;
    let axis = LogAxis::new(
        analysis
            .curves
            .iter()
            .flat_map(|c| c.dose_response.points.iter().map(|p| p.concentration)),
    );
    let drug = analysis
        .curves
        .iter()
        .map(|c| c.key.drug.as_str())
        .find(|d| !d.is_empty())
        .unwrap_or("Drug");
    let styles = styles(analysis);
    let y_label = if percent {
        "Viability (% of vehicle)"
    } else {
        "OD (blank-subtracted)"
    };
    let marks_axis = axis;
    let label_axis = axis;
    let hover_axis = axis;
    // Each curve's vehicle group gets its own x beside the others (two lines' vehicle
    // means never sit on top of each other).
    let curve_count = analysis.curves.len();
    let x_of = move |curve: usize, concentration: f64| -> f64 {
        if concentration > 0.0 {
            axis.x(concentration)
        } else {
            axis.vehicle_x + vehicle_offset(curve, curve_count)
        }
    };
    // Where each well's point is, for the hover readout (the well's ID).
    let mut hover_wells: Vec<(String, f64, f64, WellId)> = Vec::new();
    for ((i, curve), style) in analysis.curves.iter().enumerate().zip(&styles) {
        let name = if style.role.is_empty() {
            curve.dose_response.label.clone()
        } else {
            format!("{} ({})", curve.dose_response.label, style.role)
        };
        let rout = rout_states(&curve.fit);
        for (index, point) in curve.dose_response.points.iter().enumerate() {
            if let Some(well) = point.well {
                let shown_name = if point.excluded {
                    "excluded (click to include)".to_string()
                } else {
                    match rout.get(&index) {
                        Some(RoutState::Removed) => ROUT_REMOVED.to_string(),
                        Some(RoutState::Kept) => ROUT_KEPT.to_string(),
                        None => name.clone(),
                    }
                };
                hover_wells.push((
                    shown_name,
                    x_of(i, point.concentration),
                    point.response,
                    well,
                ));
            }
        }
    }
    let hover_unit = unit.to_string();
    let y_unit = if percent { " %" } else { "" };
    // The legend goes into the corner with the least data under it.
    let mut occupied: Vec<[f64; 2]> = Vec::new();
    for curve in &analysis.curves {
        occupied.extend(
            curve
                .dose_response
                .points
                .iter()
                .map(|p| [axis.x(p.concentration), p.response]),
        );
        if drawable(&curve.fit) {
            let steps = 40;
            occupied.extend((0..=steps).map(|i| {
                let lx =
                    axis.lo - 0.3 + (axis.hi - axis.lo + 0.6) * f64::from(i) / f64::from(steps);
                [lx, curve.fit.response(lx)]
            }));
        }
    }
    // The legend's size on screen, roughly: its longest line ("IC50 <curve>: <value>
    // <unit>") and a row per entry.
    let longest = analysis
        .curves
        .iter()
        .map(|c| c.dose_response.label.chars().count() + 24)
        .max()
        .unwrap_or(0);
    let plot_size = ui.available_size();
    let legend = [
        (longest as f32 * 6.5 + 30.0) / plot_size.x.max(1.0),
        (2 * analysis.curves.len()) as f32 * 18.0 / plot_size.y.max(1.0),
    ];
    let corner = legend_corner(
        &occupied,
        [axis.vehicle_x - 0.4, axis.hi + 0.3],
        [0.0, if percent { 110.0 } else { 0.1 }],
        legend.map(|f| f64::from(f.clamp(0.05, 0.95))),
    );
    // A legend wider than ~40 % of the plot (a narrow window, long names) would cover the
    // data wherever it goes: it is drawn above the plot instead, one wrapped line.
    let legend_inside = legend[0] <= 0.4;
    if !legend_inside {
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            for (curve, style) in analysis.curves.iter().zip(&styles) {
                ui.label(RichText::new("●").color(style.color));
                let mut text = curve.dose_response.label.clone();
                if !style.role.is_empty() {
                    text.push_str(&format!(" ({})", style.role));
                }
                if let Some(ic50) = curve.fit.reported_ic50() {
                    text.push_str(&format!(
                        ": IC50 {} {unit}",
                        crate::report::format_number(ic50)
                    ));
                }
                ui.label(RichText::new(text).small());
                ui.add_space(8.0);
            }
        });
    }
    let plot = Plot::new(("curves", experiment.name.as_str()));
    let plot = if legend_inside {
        plot.legend(Legend::default().position(corner))
    } else {
        plot
    };
    let plot = plot
        .custom_x_axes(vec![x_axis_hints()])
        .x_axis_label(format!("{drug} concentration ({unit}), log scale"))
        .y_axis_label(y_label)
        .grid_spacing(egui::Rangef::new(GRID_SPACING_MIN, 300.0))
        .x_grid_spacer(move |input| marks_axis.marks(&input))
        .x_axis_formatter(move |mark, _| label_axis.label(&mark))
        .label_formatter(move |pos: &HoverPosition<'_>| {
            let (name, p) = match pos {
                HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => (*plot_name, *position),
                HoverPosition::Elsewhere { position } => ("", *position),
            };
            let x = if (p.x - hover_axis.vehicle_x).abs() < 0.25 {
                "vehicle (0)".to_string()
            } else if p.x < hover_axis.vehicle_x + 0.5 {
                return None;
            } else {
                format!("{} {hover_unit}", conc_short(10f64.powf(p.x)))
            };
            let well = (!name.is_empty())
                .then(|| {
                    hover_wells
                        .iter()
                        .filter(|(n, ..)| n == name)
                        .filter(|(_, wx, wy, _)| (wx - p.x).abs() < 1e-9 && (wy - p.y).abs() < 1e-9)
                        .map(|(.., w)| w.to_string())
                        .collect::<Vec<_>>()
                })
                .filter(|w| !w.is_empty())
                .map(|w| format!("well {}\n", w.join(", ")))
                .unwrap_or_default();
            Some(if name.is_empty() {
                format!("{x}\n{:.1}{y_unit}", p.y)
            } else {
                format!("{name}\n{well}{x}\n{:.1}{y_unit}", p.y)
            })
        })
        .include_x(axis.vehicle_x - 0.4)
        .include_x(axis.hi + 0.3)
        .include_y(0.0)
        .include_y(if percent { 110.0 } else { 0.1 })
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false);

    let mut drawn: Vec<(String, usize, WellId, PlotPoint, f64, f64)> = Vec::new();
    let response = plot.show(ui, |plot_ui| {
        // A break between the vehicle group and the log axis.
        let break_x = axis.vehicle_x + 0.5;
        plot_ui.vline(
            egui_plot::VLine::new("", break_x)
                .color(Color32::from_gray(170))
                .style(LineStyle::Dashed { length: 4.0 })
                .allow_hover(false),
        );
        for ((curve_index, curve), style) in analysis.curves.iter().enumerate().zip(&styles) {
            let label = curve.dose_response.label.clone();
            let vehicle_x = x_of(curve_index, 0.0);
            let name = if style.role.is_empty() {
                label.clone()
            } else {
                format!("{label} ({})", style.role)
            };
            let color = style.color;
            let fit = &curve.fit;
            if drawable(fit) {
                let curve_at = fit.curve_function();
                // Only over the concentrations tested: the curve is not extrapolated.
                let (from, to) = fit
                    .tested_range
                    .filter(|(lo, hi)| *lo > 0.0 && hi > lo)
                    .map_or((axis.lo, axis.hi), |(lo, hi)| (lo.log10(), hi.log10()));
                let line = PlotPoints::from_explicit_callback(curve_at, from..=to, 200);
                plot_ui.line(Line::new(name.clone(), line).color(color).width(2.0));
                // The fitted Top at the vehicle position, as a short dashed reference.
                let top = curve_at(f64::NEG_INFINITY);
                if top.is_finite() {
                    plot_ui.line(
                        Line::new(
                            name.clone(),
                            vec![[vehicle_x - 0.12, top], [vehicle_x + 0.12, top]],
                        )
                        .color(color)
                        .style(LineStyle::Dashed { length: 4.0 })
                        .allow_hover(false),
                    );
                }
                if let Some(ic50) = fit.reported_ic50() {
                    let x = ic50.log10();
                    let y = fit.predict(ic50);
                    if let Some([lo, hi]) = ic50_ci(fit, ci_method) {
                        let left = lo.filter(|v| *v > 0.0).map_or(axis.lo - 0.3, f64::log10);
                        let right = hi.map_or(axis.hi + 0.3, f64::log10);
                        let cap = if percent { 3.0 } else { 0.02 };
                        plot_ui.line(
                            Line::new(name.clone(), vec![[left, y], [right, y]])
                                .color(color)
                                .width(2.5)
                                .allow_hover(false),
                        );
                        for end in [left, right] {
                            plot_ui.line(
                                Line::new(name.clone(), vec![[end, y - cap], [end, y + cap]])
                                    .color(color)
                                    .width(2.0)
                                    .allow_hover(false),
                            );
                        }
                    }
                    plot_ui.points(
                        Points::new(
                            format!(
                                "IC50 {label}: {} {unit}",
                                crate::report::format_number(ic50)
                            ),
                            vec![[x, y]],
                        )
                        .shape(MarkerShape::Diamond)
                        .radius(7.0)
                        .color(color)
                        .filled(true),
                    );
                }
            }
            if show_means {
                let mut means = Vec::new();
                for level in curve.dose_response.level_summaries() {
                    let x = x_of(curve_index, level.concentration);
                    means.push([x, level.mean]);
                    if let Some(sd) = level.sd {
                        plot_ui.line(
                            Line::new(
                                name.clone(),
                                vec![[x, level.mean - sd], [x, level.mean + sd]],
                            )
                            .color(color)
                            .width(1.5)
                            .allow_hover(false),
                        );
                        for y in [level.mean - sd, level.mean + sd] {
                            plot_ui.line(
                                Line::new(name.clone(), vec![[x - 0.04, y], [x + 0.04, y]])
                                    .color(color)
                                    .width(1.5)
                                    .allow_hover(false),
                            );
                        }
                    }
                }
                plot_ui.points(
                    Points::new(name.clone(), means)
                        .shape(MarkerShape::Square)
                        .radius(4.5)
                        .color(color)
                        .filled(true),
                );
            }
            let mut included = Vec::new();
            let mut excluded = Vec::new();
            let mut rout_removed = Vec::new();
            let mut rout_kept = Vec::new();
            let rout = rout_states(fit);
            for (index, point) in curve.dose_response.points.iter().enumerate() {
                let x = x_of(curve_index, point.concentration);
                let state = rout.get(&index).filter(|_| !point.excluded);
                if point.excluded {
                    excluded.push([x, point.response]);
                } else if state == Some(&RoutState::Removed) {
                    rout_removed.push([x, point.response]);
                } else if !show_means {
                    included.push([x, point.response]);
                }
                if state == Some(&RoutState::Kept) {
                    rout_kept.push([x, point.response]);
                }
                if let Some(well) = point.well {
                    let plate = plate_of(experiment.plates.len(), analysis, well, point.response);
                    drawn.push((
                        label.clone(),
                        plate,
                        well,
                        PlotPoint::new(x, point.response),
                        point.concentration,
                        point.response,
                    ));
                }
            }
            if !included.is_empty() {
                plot_ui.points(
                    Points::new(name.clone(), included)
                        .radius(3.5)
                        .color(color)
                        .filled(true),
                );
            }
            if !excluded.is_empty() {
                plot_ui.points(
                    Points::new("excluded (click to include)", excluded)
                        .shape(MarkerShape::Cross)
                        .radius(5.0)
                        .color(Color32::from_gray(140)),
                );
            }
            // ROUT's outliers: an open diamond in the curve's colour (as in the PDF); a
            // flag the user overruled: the filled point ringed.
            if !rout_removed.is_empty() {
                plot_ui.points(
                    Points::new(ROUT_REMOVED, rout_removed)
                        .shape(MarkerShape::Diamond)
                        .radius(6.5)
                        .color(color)
                        .filled(false),
                );
            }
            if !rout_kept.is_empty() {
                plot_ui.points(
                    Points::new(ROUT_KEPT, rout_kept)
                        .shape(MarkerShape::Circle)
                        .radius(7.0)
                        .color(color)
                        .filled(false),
                );
            }
        }
    });
    plotted.clear();
    for (curve, plate, well, point, concentration, value) in drawn {
        plotted.push(PlottedPoint {
            curve,
            plate,
            well,
            screen: response.transform.position_from_point(&point),
            concentration,
            response: value,
        });
    }
    let plot_response = response.response;
    if plot_response.clicked()
        && let Some(pos) = plot_response.interact_pointer_pos()
    {
        let nearest = plotted
            .iter()
            .map(|p| (p, p.screen.distance(pos)))
            .filter(|(_, d)| *d <= 10.0)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((point, _)) = nearest {
            let what = if point.concentration > 0.0 {
                format!("{} {unit}", conc_short(point.concentration))
            } else {
                "vehicle".into()
            };
            commands.push(Command::ToggleExclude {
                plate: point.plate,
                well: point.well,
                reason: format!(
                    "excluded by the user in the curve plot ({}, {what}, response {:.1})",
                    point.curve, point.response
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{GRID_SPACING_MIN, LogAxis, legend_corner};
    use crate::gui::widgets::conc_short;
    use egui_plot::{Corner, GridInput};

    /// The x tick marks of `axis` on a plot `width` points wide showing `bounds`, with
    /// their labels.
    fn ticks(axis: &LogAxis, bounds: (f64, f64), width: f64) -> Vec<(f64, String)> {
        let input = GridInput {
            bounds,
            base_step_size: (bounds.1 - bounds.0) / width * f64::from(GRID_SPACING_MIN),
        };
        axis.marks(&input)
            .iter()
            .map(|m| (m.value, axis.label(m)))
            .collect()
    }

    /// The sample plate's doses (50 µM in 3-fold steps, 10 of them): the vehicle sits at
    /// log10 0.00254 − 1 and 0.001 is 0.6 decades right of it. On the plot of a 1100x700
    /// window (about 430 points for 6.3 decades) "0.001" is dropped; on a wide plot it stays.
    #[test]
    fn the_first_decade_label_never_crowds_the_vehicle_label() {
        let doses: Vec<f64> = (0..10).map(|i| 50.0 / 3f64.powi(i)).collect();
        let axis = LogAxis::new(doses.iter().copied());
        let bounds = (axis.vehicle_x - 0.4, axis.hi + 0.3);
        let label_of = |ticks: &[(f64, String)], v: f64| {
            ticks
                .iter()
                .find(|(x, _)| (x - v).abs() < 1e-9)
                .map(|(_, l)| l.clone())
        };
        let narrow = ticks(&axis, bounds, 430.0);
        assert_eq!(
            label_of(&narrow, axis.vehicle_x).as_deref(),
            Some("vehicle")
        );
        // Still a tick (and grid line) at 0.001, only no label.
        assert_eq!(label_of(&narrow, -3.0).as_deref(), Some(""));
        assert_eq!(label_of(&narrow, -2.0).as_deref(), Some("0.01"));
        let wide = ticks(&axis, bounds, 1200.0);
        assert_eq!(label_of(&wide, -3.0).as_deref(), Some("0.001"));

        // At any width and for any lowest dose, labels keep a gap of at least 12 points
        // (with 7 points a character, more than the body font needs).
        for width in [250.0, 300.0, 430.0, 550.0, 700.0, 900.0, 1400.0] {
            for lowest in [1e-4, 2.5e-4, 7e-4, 1e-3, 2.54e-3, 9e-3, 0.05] {
                let axis = LogAxis::new([lowest, lowest * 1e4].into_iter());
                let bounds = (axis.vehicle_x - 0.4, axis.hi + 0.3);
                let per_unit = width / (bounds.1 - bounds.0);
                for (x, label) in ticks(&axis, bounds, width) {
                    if label.is_empty() || label == "vehicle" {
                        continue;
                    }
                    assert_eq!(label, conc_short(10f64.powf(x)));
                    let gap = (x - axis.vehicle_x) * per_unit
                        - 7.0 * (7 + label.chars().count()) as f64 / 2.0;
                    assert!(gap >= 12.0, "{label} at {width} pt, lowest {lowest}: {gap}");
                }
            }
        }
    }

    /// A falling viability curve: high on the left, low on the right.
    fn falling() -> Vec<[f64; 2]> {
        (0..=40)
            .map(|i| {
                let x = -3.0 + 5.0 * f64::from(i) / 40.0;
                [x, 100.0 / (1.0 + 10f64.powf(x + 0.5))]
            })
            .collect()
    }

    #[test]
    fn the_legend_avoids_the_data() {
        // A curve that ends high on the right (the top right is taken): bottom left.
        let mut points = falling();
        points.extend([[1.5, 100.0], [1.8, 104.0]]);
        assert!(matches!(
            legend_corner(&points, [-4.0, 2.0], [0.0, 110.0], [0.45, 0.28]),
            Corner::LeftBottom
        ));
        // Points in three corners: the fourth.
        let three = [[1.8, 105.0], [-3.8, 2.0], [-3.8, 105.0]];
        assert!(matches!(
            legend_corner(&three, [-4.0, 2.0], [0.0, 110.0], [0.45, 0.28]),
            Corner::RightBottom
        ));
        // A rising curve: low on the left, high on the right; the top left and the bottom
        // right are both free, and the bottom right comes first.
        let rising: Vec<[f64; 2]> = falling().iter().map(|p| [-p[0] - 1.0, p[1]]).collect();
        assert!(matches!(
            legend_corner(&rising, [-4.0, 2.0], [0.0, 110.0], [0.45, 0.28]),
            Corner::RightBottom
        ));
        // Nothing to avoid: the usual top right.
        assert!(matches!(
            legend_corner(&[], [-4.0, 2.0], [0.0, 110.0], [0.45, 0.28]),
            Corner::RightTop
        ));
        // NaN points are ignored.
        assert!(matches!(
            legend_corner(&[[f64::NAN, 1.0]], [-4.0, 2.0], [0.0, 110.0], [0.45, 0.28]),
            Corner::RightTop
        ));
    }
}
