//! Figures as SVG (text kept as `<text>` in the bundled DejaVu Sans, so it stays editable in
//! Illustrator/Inkscape) and PNG (rendered with resvg at a given resolution): the
//! dose-response plot, the plate map (layout), the % viability heat map and the forest plot
//! of resistance indices.
//!
//! Figures are drawn directly as SVG: the coordinates are points (1/72 in), and the `width`
//! and `height` attributes give the physical size in mm, so a figure placed at 100 % is at
//! publication size. Numbers are written with fixed decimals, so the same analysis gives the
//! same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::analysis::{Analysis, Experiment, PlateAnalysis, PlateInput};
use crate::layout::WellRole;
use crate::normalize::Normalization;
use crate::plate::{PlateShape, WellId, row_label};
use crate::report::fonts::{FAMILY, svg_options, text_width};
use crate::report::{ReportError, format_number};

/// Colours of curves, in curve order (Okabe–Ito, safe for colour-blind readers).
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
];

/// The colour of the `index`-th curve.
#[must_use]
pub fn curve_color(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// A figure's size in points (1/72 in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FigureSize {
    /// Width in points.
    pub width: f64,
    /// Height in points.
    pub height: f64,
}

impl FigureSize {
    /// A journal's 1.5-column width (about 114 mm), the default dose-response figure.
    pub const ONE_AND_HALF_COLUMN: Self = Self {
        width: 323.0,
        height: 242.0,
    };
    /// A journal's single column (about 85 mm).
    pub const SINGLE_COLUMN: Self = Self {
        width: 241.0,
        height: 200.0,
    };
}

/// A named figure: `name` is a file stem (`dose_response`, `plate1_layout`).
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File stem, unique within an experiment.
    pub name: String,
    /// A caption for reports.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text anchor.
#[derive(Clone, Copy)]
enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Middle => "middle",
            Self::End => "end",
        }
    }
}

/// A tiny SVG writer with fixed-precision numbers.
struct Svg {
    width: f64,
    height: f64,
    defs: String,
    body: String,
}

impl Svg {
    fn new(width: f64, height: f64) -> Self {
        let mut svg = Self {
            width,
            height,
            defs: String::new(),
            body: String::new(),
        };
        svg.rect(0.0, 0.0, width, height, "#ffffff", None, 0.0);
        svg
    }

    #[allow(clippy::too_many_arguments)]
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: Option<&str>, sw: f64) {
        let _ = write!(
            self.body,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="{fill}""#
        );
        if let Some(stroke) = stroke {
            let _ = write!(self.body, r#" stroke="{stroke}" stroke-width="{sw:.2}""#);
        }
        self.body.push_str("/>\n");
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        stroke: &str,
        sw: f64,
        dash: Option<&str>,
    ) {
        let _ = write!(
            self.body,
            r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="{stroke}" stroke-width="{sw:.2}""#
        );
        if let Some(dash) = dash {
            let _ = write!(self.body, r#" stroke-dasharray="{dash}""#);
        }
        self.body.push_str("/>\n");
    }

    fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str, stroke: &str, sw: f64) {
        let _ = writeln!(
            self.body,
            r#"<circle cx="{cx:.2}" cy="{cy:.2}" r="{r:.2}" fill="{fill}" stroke="{stroke}" stroke-width="{sw:.2}"/>"#
        );
    }

    fn path(&mut self, d: &str, fill: &str, stroke: &str, sw: f64, extra: &str) {
        let _ = writeln!(
            self.body,
            r#"<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{sw:.2}" stroke-linejoin="round"{extra}/>"#
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        anchor: Anchor,
        bold: bool,
        fill: &str,
        text: &str,
    ) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.2}" y="{y:.2}" font-size="{size:.2}" text-anchor="{}"{} fill="{fill}">{}</text>"#,
            anchor.as_str(),
            if bold { r#" font-weight="bold""# } else { "" },
            escape(text)
        );
    }

    fn vertical_text(&mut self, x: f64, y: f64, size: f64, text: &str) {
        let _ = writeln!(
            self.body,
            r##"<text x="0" y="0" font-size="{size:.2}" text-anchor="middle" fill="#000000" transform="translate({x:.2} {y:.2}) rotate(-90)">{}</text>"##,
            escape(text)
        );
    }

    fn clip_rect(&mut self, id: &str, x: f64, y: f64, w: f64, h: f64) {
        let _ = writeln!(
            self.defs,
            r#"<clipPath id="{id}"><rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}"/></clipPath>"#
        );
    }

    fn finish(self) -> String {
        let mm = |pt: f64| pt * 25.4 / 72.0;
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{:.2}mm\" height=\"{:.2}mm\" viewBox=\"0 0 {:.2} {:.2}\" font-family=\"{FAMILY}, sans-serif\">\n",
            mm(self.width),
            mm(self.height),
            self.width,
            self.height
        );
        if !self.defs.is_empty() {
            out.push_str("<defs>\n");
            out.push_str(&self.defs);
            out.push_str("</defs>\n");
        }
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out
    }
}

/// `10⁻³`-style label of a decade, plain numbers where they read well.
#[must_use]
pub fn decade_label(exponent: i32) -> String {
    if (-3..=4).contains(&exponent) {
        if exponent < 0 {
            format!(
                "0.{}1",
                "0".repeat(usize::try_from(-exponent - 1).unwrap_or(0))
            )
        } else {
            format!("1{}", "0".repeat(usize::try_from(exponent).unwrap_or(0)))
        }
    } else {
        let digits: String = exponent
            .to_string()
            .chars()
            .map(|c| match c {
                '-' => '⁻',
                '0' => '⁰',
                '1' => '¹',
                '2' => '²',
                '3' => '³',
                '4' => '⁴',
                '5' => '⁵',
                '6' => '⁶',
                '7' => '⁷',
                '8' => '⁸',
                _ => '⁹',
            })
            .collect();
        format!("10{digits}")
    }
}

/// The response axis title for a normalization.
#[must_use]
pub fn response_title(normalization: Normalization) -> &'static str {
    match normalization {
        Normalization::PercentOfVehicle => "Viability (% of vehicle)",
        Normalization::TwoControl => "Response (% between controls)",
        Normalization::None => "Blank-corrected OD",
    }
}

/// The concentration axis title: `[Flumatinib] (µM)` when all curves share a drug.
#[must_use]
pub fn concentration_title(analysis: &Analysis) -> String {
    let mut drugs: Vec<&str> = analysis
        .curves
        .iter()
        .map(|c| c.key.drug.as_str())
        .collect();
    drugs.sort_unstable();
    drugs.dedup();
    match drugs.as_slice() {
        [drug] if !drug.is_empty() => format!("[{drug}] ({})", analysis.unit.symbol()),
        _ => format!("Concentration ({})", analysis.unit.symbol()),
    }
}

/// A log10 axis over whole decades covering `values`.
fn decade_range(values: impl Iterator<Item = f64>) -> Option<(i32, i32)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v.log10());
        hi = hi.max(v.log10());
    }
    if !lo.is_finite() {
        return None;
    }
    let lo = lo.floor() as i32;
    let mut hi = hi.ceil() as i32;
    if hi <= lo {
        hi = lo + 1;
    }
    Some((lo, hi))
}

/// Lays legend entries in rows that fit `width`; returns `(x offset, row)` per entry and
/// the number of rows.
fn legend_rows(labels: &[String], width: f64, size: f64) -> (Vec<(f64, usize)>, usize) {
    let mut placed = Vec::new();
    let (mut x, mut row) = (0.0, 0);
    for label in labels {
        let w = 14.0 + f64::from(text_width(label, size as f32, false)) + 12.0;
        if x > 0.0 && x + w > width {
            x = 0.0;
            row += 1;
        }
        placed.push((x, row));
        x += w;
    }
    (placed, if labels.is_empty() { 0 } else { row + 1 })
}

/// The dose-response figure: every replicate point, the fitted 4PL curves, the relative IC50
/// of each reported curve as a dashed drop line, a log concentration axis, and the vehicle
/// (dose-zero) points on a separate `0` position left of an axis break.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn dose_response_svg(analysis: &Analysis, size: FigureSize) -> String {
    let font = 8.5;
    let small = 7.5;
    let labels: Vec<String> = analysis
        .curves
        .iter()
        .map(|c| c.dose_response.label.clone())
        .collect();
    let (left, right, top) = (46.0, 10.0, 8.0);
    let (legend, legend_row_count) = legend_rows(&labels, size.width - left - right, font);
    let bottom = 38.0 + 13.0 * legend_row_count as f64;
    let mut svg = Svg::new(size.width, size.height);
    let (x0, x1) = (left, size.width - right);
    let (y0, y1) = (top, size.height - bottom);
    let all_points = analysis
        .curves
        .iter()
        .flat_map(|c| c.dose_response.points.iter());
    let has_zero = all_points.clone().any(|p| p.concentration <= 0.0);
    let (lo, hi) = decade_range(all_points.clone().map(|p| p.concentration)).unwrap_or((-3, 2));
    let responses: Vec<f64> = all_points
        .map(|p| p.response)
        .filter(|r| r.is_finite())
        .collect();
    let percent = analysis.settings.normalization != Normalization::None;
    let (y_min, y_max, y_step) = if percent {
        let min = responses.iter().copied().fold(0.0_f64, f64::min);
        let max = responses.iter().copied().fold(100.0_f64, f64::max);
        let step = if max - min > 200.0 { 50.0 } else { 20.0 };
        (
            (min / step).floor() * step,
            ((max + 5.0) / step).ceil() * step,
            step,
        )
    } else {
        let max = responses.iter().copied().fold(0.0_f64, f64::max).max(1e-6);
        let min = responses.iter().copied().fold(0.0_f64, f64::min);
        let raw_step = (max - min) / 5.0;
        let magnitude = 10f64.powf(raw_step.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw_step)
            .unwrap_or(raw_step);
        (
            (min / step).floor() * step,
            (max / step).ceil() * step,
            step,
        )
    };
    let zero_slot = if has_zero { (x1 - x0) * 0.11 } else { 0.0 };
    let gap = if has_zero { 8.0 } else { 0.0 };
    let log_x0 = x0 + zero_slot + gap;
    let x_of = |conc: f64| -> f64 {
        if conc <= 0.0 {
            x0 + zero_slot / 2.0
        } else {
            log_x0 + (conc.log10() - f64::from(lo)) / f64::from(hi - lo) * (x1 - log_x0)
        }
    };
    let y_of = |v: f64| y1 - (v - y_min) / (y_max - y_min) * (y1 - y0);
    // Reference lines at 0 % and 100 %.
    if percent {
        for level in [0.0, 100.0] {
            if level > y_min && level < y_max {
                svg.line(
                    x0,
                    y_of(level),
                    x1,
                    y_of(level),
                    "#bbbbbb",
                    0.5,
                    Some("2 2"),
                );
            }
        }
    }
    // Axes.
    svg.line(x0, y0, x0, y1, "#000000", 0.8, None);
    if has_zero {
        svg.line(x0, y1, x0 + zero_slot, y1, "#000000", 0.8, None);
        svg.line(log_x0, y1, x1, y1, "#000000", 0.8, None);
        for bx in [x0 + zero_slot, log_x0] {
            svg.line(bx - 2.0, y1 + 3.0, bx + 2.0, y1 - 3.0, "#000000", 0.8, None);
        }
        svg.line(x_of(0.0), y1, x_of(0.0), y1 + 3.5, "#000000", 0.8, None);
        svg.text(
            x_of(0.0),
            y1 + 13.0,
            font,
            Anchor::Middle,
            false,
            "#000000",
            "0",
        );
    } else {
        svg.line(x0, y1, x1, y1, "#000000", 0.8, None);
    }
    for decade in lo..=hi {
        let x = x_of(10f64.powi(decade));
        svg.line(x, y1, x, y1 + 3.5, "#000000", 0.8, None);
        svg.text(
            x,
            y1 + 13.0,
            font,
            Anchor::Middle,
            false,
            "#000000",
            &decade_label(decade),
        );
        if decade < hi {
            for m in 2..=9 {
                let xm = x_of(f64::from(m) * 10f64.powi(decade));
                svg.line(xm, y1, xm, y1 + 2.0, "#000000", 0.5, None);
            }
        }
    }
    let mut tick = y_min;
    while tick <= y_max + 1e-9 {
        let y = y_of(tick);
        svg.line(x0 - 3.5, y, x0, y, "#000000", 0.8, None);
        svg.text(
            x0 - 5.5,
            y + 3.0,
            font,
            Anchor::End,
            false,
            "#000000",
            &format_number_short(tick),
        );
        tick += y_step;
    }
    svg.text(
        (x0 + x1) / 2.0,
        y1 + 26.0,
        font,
        Anchor::Middle,
        false,
        "#000000",
        &concentration_title(analysis),
    );
    svg.vertical_text(
        12.0,
        (y0 + y1) / 2.0,
        font,
        response_title(analysis.settings.normalization),
    );
    svg.clip_rect("plot", x0, y0 - 2.0, x1 - x0 + 2.0, y1 - y0 + 2.0);
    // Curves, drop lines, points.
    for (index, curve) in analysis.curves.iter().enumerate() {
        let color = curve_color(index);
        let fit = &curve.fit;
        if fit.params.log10_ic50.is_finite() && fit.status != crate::fit::FitStatus::NotConverged {
            let mut d = String::new();
            let samples = 240;
            for k in 0..=samples {
                let log_c = f64::from(lo) + f64::from(hi - lo) * f64::from(k) / f64::from(samples);
                let y = fit.predict(10f64.powf(log_c));
                if !y.is_finite() {
                    continue;
                }
                let y = y.clamp(y_min - (y_max - y_min), y_max + (y_max - y_min));
                let _ = write!(
                    d,
                    "{}{:.2} {:.2}",
                    if d.is_empty() { "M" } else { " L" },
                    x_of(10f64.powf(log_c)),
                    y_of(y)
                );
            }
            if !d.is_empty() {
                svg.path(&d, "none", color, 1.3, r#" clip-path="url(#plot)""#);
            }
            if let Some(ic50) = fit.reported_ic50() {
                let log_ic50 = ic50.log10();
                if log_ic50 >= f64::from(lo) && log_ic50 <= f64::from(hi) {
                    let x = x_of(ic50);
                    let y = y_of(fit.predict(ic50).clamp(y_min, y_max));
                    svg.line(x, y1, x, y, color, 0.8, Some("3 2"));
                    svg.path(
                        &format!(
                            "M{:.2} {:.2} L{:.2} {:.2} L{:.2} {:.2} Z",
                            x - 3.0,
                            y1 - 0.5,
                            x + 3.0,
                            y1 - 0.5,
                            x,
                            y1 - 5.0
                        ),
                        color,
                        color,
                        0.5,
                        "",
                    );
                }
            }
        }
        // Points whose flag the user overruled are drawn as ordinary points: they are fitted.
        let outliers: Vec<usize> = fit
            .outliers
            .iter()
            .flat_map(|r| r.standing().map(|p| p.index))
            .collect();
        for (index, point) in curve.dose_response.points.iter().enumerate() {
            if !point.response.is_finite() {
                continue;
            }
            let (x, y) = (x_of(point.concentration), y_of(point.response));
            if outliers.contains(&index) {
                // A ROUT outlier: an open diamond in the curve's colour.
                svg.path(
                    &format!(
                        "M{:.2} {:.2} L{:.2} {:.2} L{:.2} {:.2} L{:.2} {:.2} Z",
                        x,
                        y - 3.2,
                        x + 3.2,
                        y,
                        x,
                        y + 3.2,
                        x - 3.2,
                        y
                    ),
                    "#ffffff",
                    color,
                    1.0,
                    "",
                );
            } else if point.excluded {
                svg.circle(x, y, 2.2, "#ffffff", "#888888", 0.7);
                svg.line(x - 2.0, y - 2.0, x + 2.0, y + 2.0, "#888888", 0.7, None);
            } else {
                svg.circle(x, y, 2.1, color, "#ffffff", 0.3);
            }
        }
    }
    // Legend below the axis title.
    let legend_y = y1 + 40.0;
    for ((label, (dx, row)), index) in labels.iter().zip(&legend).zip(0..) {
        let x = x0 + dx;
        let y = legend_y + 13.0 * *row as f64;
        let color = curve_color(index);
        svg.line(x, y - 3.0, x + 10.0, y - 3.0, color, 1.3, None);
        svg.circle(x + 5.0, y - 3.0, 2.1, color, "#ffffff", 0.3);
        svg.text(x + 14.0, y, font, Anchor::Start, false, "#000000", label);
    }
    let _ = small;
    svg.finish()
}

/// The residual plot: every fitted point's residual (observed − fitted) against
/// concentration on the same log axis as the dose-response figure, one colour per curve,
/// with the zero line. A curve that describes the data scatters its residuals evenly
/// around zero at every concentration.
#[must_use]
pub fn residuals_svg(analysis: &Analysis, size: FigureSize) -> String {
    let font = 8.5;
    let labels: Vec<String> = analysis
        .curves
        .iter()
        .map(|c| c.dose_response.label.clone())
        .collect();
    let (left, right, top) = (46.0, 10.0, 8.0);
    let (legend, legend_row_count) = legend_rows(&labels, size.width - left - right, font);
    let bottom = 38.0 + 13.0 * legend_row_count as f64;
    let mut svg = Svg::new(size.width, size.height);
    let (x0, x1) = (left, size.width - right);
    let (y0, y1) = (top, size.height - bottom);
    let residuals: Vec<(usize, f64, f64)> = analysis
        .curves
        .iter()
        .enumerate()
        .flat_map(|(k, c)| {
            c.fit
                .diagnostics
                .iter()
                .flat_map(|d| d.residuals.iter())
                .map(move |r| (k, r.concentration, r.residual))
        })
        .filter(|(_, _, r)| r.is_finite())
        .collect();
    let has_zero = residuals.iter().any(|(_, c, _)| *c <= 0.0);
    let (lo, hi) = decade_range(residuals.iter().map(|(_, c, _)| *c)).unwrap_or((-3, 2));
    let largest = residuals
        .iter()
        .fold(0.0_f64, |m, (_, _, r)| m.max(r.abs()))
        .max(1e-9);
    let raw_step = largest / 2.0;
    let magnitude = 10f64.powf(raw_step.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw_step)
        .unwrap_or(raw_step);
    let y_max = (largest / step).ceil() * step;
    let y_min = -y_max;
    let zero_slot = if has_zero { (x1 - x0) * 0.11 } else { 0.0 };
    let gap = if has_zero { 8.0 } else { 0.0 };
    let log_x0 = x0 + zero_slot + gap;
    let x_of = |conc: f64| -> f64 {
        if conc <= 0.0 {
            x0 + zero_slot / 2.0
        } else {
            log_x0 + (conc.log10() - f64::from(lo)) / f64::from((hi - lo).max(1)) * (x1 - log_x0)
        }
    };
    let y_of = |v: f64| y1 - (v - y_min) / (y_max - y_min) * (y1 - y0);
    svg.line(x0, y_of(0.0), x1, y_of(0.0), "#888888", 0.6, Some("2 2"));
    svg.line(x0, y0, x0, y1, "#000000", 0.8, None);
    svg.line(x0, y1, x1, y1, "#000000", 0.8, None);
    if has_zero {
        svg.text(
            x_of(0.0),
            y1 + 13.0,
            font,
            Anchor::Middle,
            false,
            "#000000",
            "0",
        );
    }
    for decade in lo..=hi {
        let x = x_of(10f64.powi(decade));
        svg.line(x, y1, x, y1 + 3.5, "#000000", 0.8, None);
        svg.text(
            x,
            y1 + 13.0,
            font,
            Anchor::Middle,
            false,
            "#000000",
            &decade_label(decade),
        );
    }
    let mut tick = y_min;
    while tick <= y_max + 1e-9 * step {
        let y = y_of(tick);
        svg.line(x0 - 3.5, y, x0, y, "#000000", 0.8, None);
        svg.text(
            x0 - 5.5,
            y + 3.0,
            font,
            Anchor::End,
            false,
            "#000000",
            &format_number_short(tick),
        );
        tick += step;
    }
    svg.text(
        (x0 + x1) / 2.0,
        y1 + 26.0,
        font,
        Anchor::Middle,
        false,
        "#000000",
        &concentration_title(analysis),
    );
    svg.vertical_text(12.0, (y0 + y1) / 2.0, font, "Residual (observed − fitted)");
    for (k, c, r) in &residuals {
        svg.circle(x_of(*c), y_of(*r), 2.0, curve_color(*k), "#ffffff", 0.3);
    }
    let legend_y = y1 + 40.0;
    for ((label, (dx, row)), index) in labels.iter().zip(&legend).zip(0..) {
        let x = x0 + dx;
        let y = legend_y + 13.0 * *row as f64;
        svg.circle(x + 5.0, y - 3.0, 2.1, curve_color(index), "#ffffff", 0.3);
        svg.text(x + 14.0, y, font, Anchor::Start, false, "#000000", label);
    }
    svg.finish()
}

/// A compact number for tick labels and wells: up to 3 significant digits, no trailing zeros.
#[must_use]
pub fn format_number_short(value: f64) -> String {
    let text = super::format_significant(value, 3);
    match text.split_once('e') {
        // Scientific: one decimal is enough on a tick or a well.
        Some(_) => format!("{value:.1e}"),
        None if text.contains('.') => text.trim_end_matches('0').trim_end_matches('.').into(),
        None => text,
    }
}

struct Grid {
    shape: PlateShape,
    cell: f64,
    left: f64,
    top: f64,
}

impl Grid {
    fn new(shape: PlateShape) -> Self {
        let cell = if shape.cols > 24 {
            6.0
        } else if shape.cols > 12 {
            10.0
        } else {
            19.0
        };
        Self {
            shape,
            cell,
            left: 14.0,
            top: 12.0,
        }
    }

    fn width(&self) -> f64 {
        self.left + self.shape.cols as f64 * self.cell + 4.0
    }

    fn origin(&self, well: WellId) -> (f64, f64) {
        (
            self.left + well.col_idx() as f64 * self.cell,
            self.top + well.row_idx() as f64 * self.cell,
        )
    }

    fn labels(&self, svg: &mut Svg) {
        let size = (self.cell * 0.38).clamp(4.0, 7.0);
        let every = if self.shape.cols > 24 { 4 } else { 1 };
        for col in (0..self.shape.cols).filter(|c| (c + 1) % every == 0 || *c == 0) {
            svg.text(
                self.left + (col as f64 + 0.5) * self.cell,
                self.top - 3.0,
                size,
                Anchor::Middle,
                false,
                "#444444",
                &(col + 1).to_string(),
            );
        }
        for row in (0..self.shape.rows).filter(|r| r % every == 0) {
            svg.text(
                self.left - 3.0,
                self.top + (row as f64 + 0.5) * self.cell + size * 0.35,
                size,
                Anchor::End,
                false,
                "#444444",
                &row_label(row),
            );
        }
    }

    fn text_size(&self) -> Option<f64> {
        (self.cell >= 14.0).then_some(self.cell * 0.27)
    }
}

fn mix(color: &str, toward_white: f64) -> String {
    let channel = |i: usize| {
        u8::from_str_radix(color.get(i..i + 2).unwrap_or("80"), 16).map_or(128.0, f64::from)
    };
    let (r, g, b) = (channel(1), channel(3), channel(5));
    let t = toward_white.clamp(0.0, 1.0);
    let blend = |c: f64| (c + (255.0 - c) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", blend(r), blend(g), blend(b))
}

fn legend_swatches(
    svg: &mut Svg,
    x0: f64,
    y: f64,
    width: f64,
    entries: &[(String, String)],
) -> f64 {
    let size = 6.5;
    let labels: Vec<String> = entries.iter().map(|(l, _)| l.clone()).collect();
    let (placed, rows) = legend_rows(&labels, width, size);
    for ((label, fill), (dx, row)) in entries.iter().zip(placed) {
        let yy = y + row as f64 * 11.0;
        svg.rect(x0 + dx, yy - 6.5, 9.0, 7.0, fill, Some("#888888"), 0.4);
        svg.text(
            x0 + dx + 12.0,
            yy,
            size,
            Anchor::Start,
            false,
            "#000000",
            label,
        );
    }
    rows as f64 * 11.0
}

/// The plate map: each well coloured by role (treated wells by cell line, darker at higher
/// concentration) and labelled with its concentration; excluded wells are crossed out.
#[must_use]
pub fn plate_map_svg(input: &PlateInput) -> String {
    let layout = &input.layout;
    let grid = Grid::new(layout.shape);
    let mut lines: Vec<String> = layout
        .iter()
        .filter(|(_, w)| w.role == WellRole::Treated)
        .filter_map(|(_, w)| w.line.clone())
        .collect();
    lines.sort();
    lines.dedup();
    let concs: Vec<f64> = layout
        .iter()
        .filter_map(|(_, w)| w.concentration.filter(|c| *c > 0.0))
        .collect();
    let (c_lo, c_hi) = concs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| {
            (a.min(c.log10()), b.max(c.log10()))
        });
    let legend_height = 24.0;
    let height = grid.top + layout.shape.rows as f64 * grid.cell + 8.0 + legend_height;
    let mut svg = Svg::new(grid.width(), height);
    grid.labels(&mut svg);
    let line_color = |line: Option<&String>| {
        line.and_then(|l| lines.iter().position(|x| x == l))
            .map_or("#777777", curve_color)
    };
    for (well, info) in layout.iter() {
        let (x, y) = grid.origin(well);
        let (fill, label) = match info.role {
            WellRole::Empty => ("#ffffff".to_string(), String::new()),
            WellRole::Blank => ("#d9d9d9".to_string(), "B".to_string()),
            WellRole::Vehicle => ("#fff1a8".to_string(), "V".to_string()),
            WellRole::Positive => ("#f4a6a6".to_string(), "+".to_string()),
            WellRole::Background => ("#e3d4f2".to_string(), "Bg".to_string()),
            WellRole::T0 => ("#d7c4ee".to_string(), "T0".to_string()),
            WellRole::Treated => {
                let c = info.concentration.unwrap_or(0.0);
                let t = if c > 0.0 && c_hi > c_lo {
                    (c.log10() - c_lo) / (c_hi - c_lo)
                } else {
                    0.5
                };
                (
                    mix(line_color(info.line.as_ref()), 0.85 - 0.6 * t),
                    format_number_short(c),
                )
            }
        };
        svg.rect(
            x + 0.6,
            y + 0.6,
            grid.cell - 1.2,
            grid.cell - 1.2,
            &fill,
            Some("#9a9a9a"),
            0.4,
        );
        if let Some(size) = grid.text_size()
            && !label.is_empty()
        {
            let dark = info.role == WellRole::Treated && fill.as_str() < "#a0a0a0";
            let size = if label.chars().count() > 4 {
                size * 0.85
            } else {
                size
            };
            svg.text(
                x + grid.cell / 2.0,
                y + grid.cell / 2.0 + size * 0.35,
                size,
                Anchor::Middle,
                false,
                if dark { "#ffffff" } else { "#000000" },
                &label,
            );
        }
        if input.excluded.contains_key(&well) {
            svg.line(
                x + 2.0,
                y + 2.0,
                x + grid.cell - 2.0,
                y + grid.cell - 2.0,
                "#c00000",
                0.9,
                None,
            );
            svg.line(
                x + grid.cell - 2.0,
                y + 2.0,
                x + 2.0,
                y + grid.cell - 2.0,
                "#c00000",
                0.9,
                None,
            );
        }
    }
    let mut entries = vec![
        ("Blank (B)".to_string(), "#d9d9d9".to_string()),
        ("Vehicle (V)".to_string(), "#fff1a8".to_string()),
    ];
    for line in &lines {
        entries.push((
            format!("{line} ({})", layout.unit.symbol()),
            mix(line_color(Some(line)), 0.45),
        ));
    }
    if layout.iter().any(|(_, w)| w.role == WellRole::Positive) {
        entries.push(("Positive (+)".into(), "#f4a6a6".into()));
    }
    if layout.iter().any(|(_, w)| w.role == WellRole::Background) {
        entries.push(("Background (Bg)".into(), "#e3d4f2".into()));
    }
    let legend_y = grid.top + layout.shape.rows as f64 * grid.cell + 14.0;
    legend_swatches(
        &mut svg,
        grid.left,
        legend_y,
        grid.width() - grid.left,
        &entries,
    );
    svg.finish()
}

/// The colour of a % viability on a sequential blue scale (0 % dark, ≥ 120 % white).
fn viability_color(v: f64) -> String {
    let t = (v / 120.0).clamp(0.0, 1.0);
    // From #08306b (0 %) to #f7fbff (120 %).
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        lerp(8.0, 247.0),
        lerp(48.0, 251.0),
        lerp(107.0, 255.0)
    )
}

/// The heat map of one plate: % viability of every treated and vehicle well (the response
/// of the chosen normalization), blank wells grey, wells without a value marked `n/a`,
/// excluded wells crossed out.
#[must_use]
pub fn heat_map_svg(
    plate: &PlateAnalysis,
    shape: PlateShape,
    normalization: Normalization,
) -> String {
    let grid = Grid::new(shape);
    let legend_height = 24.0;
    let height = grid.top + shape.rows as f64 * grid.cell + 8.0 + legend_height;
    let mut svg = Svg::new(grid.width(), height);
    grid.labels(&mut svg);
    let max_response = plate
        .normalized
        .wells
        .iter()
        .filter_map(|w| w.viability)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let scale = |v: f64| {
        if normalization == Normalization::None {
            viability_color(120.0 * v / max_response)
        } else {
            viability_color(v)
        }
    };
    for values in &plate.normalized.wells {
        let (x, y) = grid.origin(values.well);
        let (fill, label, dark) = match (values.role, values.viability, &values.flag) {
            (_, _, Some(_)) => ("#ffffff".to_string(), "n/a".to_string(), false),
            (WellRole::Treated | WellRole::Vehicle, Some(v), None) => {
                let light = if normalization == Normalization::None {
                    120.0 * v / max_response
                } else {
                    v
                };
                (
                    scale(v),
                    if normalization == Normalization::None {
                        format_number_short(v)
                    } else {
                        format!("{v:.0}")
                    },
                    light < 55.0,
                )
            }
            (WellRole::Blank, _, None) => ("#d9d9d9".to_string(), "B".to_string(), false),
            (WellRole::Empty, _, None) => ("#ffffff".to_string(), String::new(), false),
            (_, _, None) => ("#eeeeee".to_string(), String::new(), false),
        };
        svg.rect(
            x + 0.6,
            y + 0.6,
            grid.cell - 1.2,
            grid.cell - 1.2,
            &fill,
            Some("#9a9a9a"),
            0.4,
        );
        if let Some(size) = grid.text_size()
            && !label.is_empty()
        {
            svg.text(
                x + grid.cell / 2.0,
                y + grid.cell / 2.0 + size * 0.35,
                size,
                Anchor::Middle,
                false,
                if dark { "#ffffff" } else { "#000000" },
                &label,
            );
        }
        if values.excluded {
            svg.line(
                x + 2.0,
                y + 2.0,
                x + grid.cell - 2.0,
                y + grid.cell - 2.0,
                "#c00000",
                0.9,
                None,
            );
            svg.line(
                x + grid.cell - 2.0,
                y + 2.0,
                x + 2.0,
                y + grid.cell - 2.0,
                "#c00000",
                0.9,
                None,
            );
        }
    }
    // Colour bar.
    let bar_y = grid.top + shape.rows as f64 * grid.cell + 8.0;
    let bar_x = grid.left;
    let bar_w = (grid.width() - grid.left - 60.0).max(60.0);
    let steps = 24;
    for k in 0..steps {
        let v = 120.0 * f64::from(k) / f64::from(steps);
        svg.rect(
            bar_x + bar_w * f64::from(k) / f64::from(steps),
            bar_y,
            bar_w / f64::from(steps) + 0.3,
            6.0,
            &viability_color(v),
            None,
            0.0,
        );
    }
    svg.rect(bar_x, bar_y, bar_w, 6.0, "none", Some("#888888"), 0.4);
    let ticks: Vec<(f64, String)> = if normalization == Normalization::None {
        vec![
            (0.0, "0".into()),
            (120.0, format_number_short(max_response)),
        ]
    } else {
        vec![
            (0.0, "0".into()),
            (50.0, "50".into()),
            (100.0, "100".into()),
            (120.0, "120 %".into()),
        ]
    };
    for (v, label) in ticks {
        let x = bar_x + bar_w * v / 120.0;
        svg.line(x, bar_y + 6.0, x, bar_y + 8.0, "#444444", 0.4, None);
        svg.text(
            x,
            bar_y + 14.5,
            6.0,
            Anchor::Middle,
            false,
            "#000000",
            &label,
        );
    }
    svg.text(
        bar_x + bar_w + 6.0,
        bar_y + 6.0,
        6.5,
        Anchor::Start,
        false,
        "#000000",
        if normalization == Normalization::None {
            "OD"
        } else {
            "viability"
        },
    );
    svg.finish()
}

/// One row of a forest plot.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestRow {
    /// Row label (experiment, or "Geometric mean").
    pub label: String,
    /// The estimate.
    pub value: f64,
    /// Its 95 % CI.
    pub ci95: Option<[f64; 2]>,
    /// A summary row (drawn as a diamond).
    pub summary: bool,
}

/// A forest plot of ratios on a log axis with a reference line at 1: one row per estimate,
/// its 95 % CI as a whisker, summary rows as diamonds, the numbers printed on the right.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn forest_plot_svg(rows: &[ForestRow], axis_title: &str, width: f64) -> String {
    let font = 7.5;
    let row_h = 15.0;
    let texts: Vec<String> = rows
        .iter()
        .map(|r| match r.ci95 {
            Some([a, b]) => format!(
                "{} [{}, {}]",
                format_number(r.value),
                format_number(a),
                format_number(b)
            ),
            None => format_number(r.value),
        })
        .collect();
    let label_w = rows
        .iter()
        .map(|r| f64::from(text_width(&r.label, font as f32, r.summary)))
        .fold(40.0, f64::max)
        + 10.0;
    let value_w = texts
        .iter()
        .map(|t| f64::from(text_width(t, font as f32, false)))
        .fold(40.0, f64::max)
        + 10.0;
    let top = 16.0;
    let height = top + rows.len() as f64 * row_h + 36.0;
    let mut svg = Svg::new(width, height);
    let x0 = label_w + 6.0;
    let x1 = (width - value_w - 6.0).max(x0 + 60.0);
    let values = rows.iter().flat_map(|r| {
        let mut v = vec![r.value];
        if let Some([a, b]) = r.ci95 {
            v.extend([a, b]);
        }
        v
    });
    let (lo, hi) = decade_range(values.chain([1.0])).unwrap_or((0, 1));
    let x_of =
        |v: f64| x0 + (v.max(1e-300).log10() - f64::from(lo)) / f64::from(hi - lo) * (x1 - x0);
    let y_bottom = top + rows.len() as f64 * row_h + 4.0;
    svg.text(x0 - 6.0, top - 5.0, font, Anchor::End, true, "#000000", "");
    svg.text(
        width - 4.0,
        top - 5.0,
        font,
        Anchor::End,
        true,
        "#000000",
        "RI [95% CI]",
    );
    svg.line(
        x_of(1.0),
        top - 2.0,
        x_of(1.0),
        y_bottom,
        "#888888",
        0.6,
        Some("3 2"),
    );
    svg.line(x0, y_bottom, x1, y_bottom, "#000000", 0.8, None);
    for decade in lo..=hi {
        let x = x_of(10f64.powi(decade));
        svg.line(x, y_bottom, x, y_bottom + 3.5, "#000000", 0.8, None);
        svg.text(
            x,
            y_bottom + 12.0,
            font,
            Anchor::Middle,
            false,
            "#000000",
            &decade_label(decade),
        );
        if decade < hi && hi - lo <= 3 {
            for m in 2..=9 {
                let xm = x_of(f64::from(m) * 10f64.powi(decade));
                svg.line(xm, y_bottom, xm, y_bottom + 2.0, "#000000", 0.5, None);
            }
        }
    }
    svg.text(
        (x0 + x1) / 2.0,
        y_bottom + 24.0,
        font,
        Anchor::Middle,
        false,
        "#000000",
        axis_title,
    );
    for (k, (row, text)) in rows.iter().zip(&texts).enumerate() {
        let y = top + (k as f64 + 0.5) * row_h;
        if row.summary && k > 0 {
            svg.line(
                4.0,
                y - row_h / 2.0,
                width - 4.0,
                y - row_h / 2.0,
                "#cccccc",
                0.5,
                None,
            );
        }
        svg.text(
            x0 - 6.0,
            y + 2.7,
            font,
            Anchor::End,
            row.summary,
            "#000000",
            &row.label,
        );
        svg.text(
            width - 4.0,
            y + 2.7,
            font,
            Anchor::End,
            row.summary,
            "#000000",
            text,
        );
        if let Some([a, b]) = row.ci95 {
            svg.line(x_of(a).max(x0), y, x_of(b).min(x1), y, "#000000", 0.9, None);
            if !row.summary {
                for v in [a, b] {
                    let x = x_of(v).clamp(x0, x1);
                    svg.line(x, y - 2.5, x, y + 2.5, "#000000", 0.9, None);
                }
            }
        }
        let x = x_of(row.value);
        if row.summary {
            let (a, b) = row
                .ci95
                .map_or((x - 4.0, x + 4.0), |[a, b]| (x_of(a), x_of(b)));
            svg.path(
                &format!(
                    "M{a:.2} {y:.2} L{x:.2} {:.2} L{b:.2} {y:.2} L{x:.2} {:.2} Z",
                    y - 4.5,
                    y + 4.5
                ),
                "#333333",
                "#000000",
                0.6,
                "",
            );
        } else {
            svg.rect(x - 2.6, y - 2.6, 5.2, 5.2, curve_color(0), None, 0.0);
        }
    }
    svg.finish()
}

/// All figures of one experiment: the dose-response plot, and per plate its map and heat map.
#[must_use]
pub fn experiment_figures(experiment: &Experiment, analysis: &Analysis) -> Vec<Figure> {
    let mut figures = vec![Figure {
        name: "dose_response".into(),
        caption: format!(
            "Dose-response curves of {} (points: replicate wells; lines: 4PL fits; dashed: relative IC50).",
            analysis.experiment
        ),
        svg: dose_response_svg(analysis, FigureSize::ONE_AND_HALF_COLUMN),
    }];
    figures.push(Figure {
        name: "residuals".into(),
        caption: format!(
            "Residuals (observed − fitted) of the fits of {} against concentration.",
            analysis.experiment
        ),
        svg: residuals_svg(analysis, FigureSize::ONE_AND_HALF_COLUMN),
    });
    let numbered = experiment.plates.len() > 1;
    for (k, (input, plate)) in experiment.plates.iter().zip(&analysis.plates).enumerate() {
        let stem = if numbered {
            format!("plate{}_", k + 1)
        } else {
            "plate_".to_string()
        };
        figures.push(Figure {
            name: format!("{stem}layout"),
            caption: format!("Plate map of {} ({})", input.file, input.plate.name),
            svg: plate_map_svg(input),
        });
        figures.push(Figure {
            name: format!("{stem}heatmap"),
            caption: format!(
                "{} of {} ({})",
                response_title(analysis.settings.normalization),
                input.file,
                input.plate.name
            ),
            svg: heat_map_svg(plate, input.plate.shape, analysis.settings.normalization),
        });
    }
    figures
}

/// The forest plot rows of every comparison across experiments, grouped by comparison,
/// each group ending with its geometric mean (95 % CI) when there are two or more.
#[must_use]
pub fn resistance_forest_rows(analyses: &[Analysis]) -> BTreeMap<String, Vec<ForestRow>> {
    let summary = crate::summary::Summary::of(analyses);
    let mut groups: BTreeMap<String, Vec<ForestRow>> = BTreeMap::new();
    for analysis in analyses {
        for c in &analysis.comparisons {
            if let Some(ratio) = c.ratio {
                groups
                    .entry(format!("{} vs {}", c.test, c.reference))
                    .or_default()
                    .push(ForestRow {
                        label: analysis.experiment.clone(),
                        value: ratio,
                        ci95: c.ratio_ci95,
                        summary: false,
                    });
            }
        }
    }
    for (key, rows) in &mut groups {
        if rows.len() > 1
            && let Some(s) = summary.resistance_index.get(key)
        {
            rows.push(ForestRow {
                label: "Geometric mean".into(),
                value: s.geometric_mean,
                ci95: s.ci95,
                summary: true,
            });
        }
    }
    groups
}

/// Renders an SVG to PNG at `dpi` pixels per inch, on a white background.
///
/// # Errors
/// [`ReportError::Figure`] when the SVG cannot be parsed or the image would be empty or huge.
pub fn png(svg: &str, dpi: f32) -> Result<Vec<u8>, ReportError> {
    let error = |message: String| ReportError::Figure {
        name: "png".into(),
        message,
    };
    let tree = usvg::Tree::from_str(svg, &svg_options()).map_err(|e| error(e.to_string()))?;
    // usvg sizes documents at 96 px per inch.
    let scale = dpi / 96.0;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil(),
        (size.height() * scale).ceil(),
    );
    if !(w >= 1.0 && h >= 1.0 && w * h <= 100_000_000.0) {
        return Err(error(format!("unusable image size {w}×{h} px")));
    }
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w as u32, h as u32)
        .ok_or_else(|| error("cannot allocate the image".into()))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| error(e.to_string()))
}

/// Parses an SVG with the bundled font (for embedding in PDFs).
///
/// # Errors
/// [`ReportError::Figure`] naming the figure when the SVG cannot be parsed.
pub fn parse_svg(name: &str, svg: &str) -> Result<usvg::Tree, ReportError> {
    usvg::Tree::from_str(svg, &svg_options()).map_err(|e| ReportError::Figure {
        name: name.to_string(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decade_labels() {
        assert_eq!(decade_label(-3), "0.001");
        assert_eq!(decade_label(0), "1");
        assert_eq!(decade_label(2), "100");
        assert_eq!(decade_label(-6), "10⁻⁶");
        assert_eq!(format_number_short(0.0032), "0.0032");
        assert_eq!(format_number_short(10.0), "10");
        assert_eq!(format_number_short(0.125), "0.125");
    }

    #[test]
    fn text_is_escaped_and_png_renders() {
        let mut svg = Svg::new(60.0, 20.0);
        svg.text(5.0, 12.0, 8.0, Anchor::Start, false, "#000000", "a<b & µ");
        let text = svg.finish();
        assert!(text.contains("a&lt;b &amp; µ"));
        let bytes = png(&text, 150.0).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
