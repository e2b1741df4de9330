//! Shared look and feel: role and curve colours, the heat-map colour scale, number
//! formatting, and the plate grid widget used by the plate view and the layout editor.

use egui::{
    Color32, CornerRadius, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2, pos2, vec2,
};

use crate::fit::{CiMethod, Fit};
use crate::layout::WellRole;
use crate::plate::{PlateShape, WellId, row_label};
use crate::report::format_number;

use super::command::SelectMode;

/// Colour of a well role (fills in the layout editor, strips in the heat map).
#[must_use]
pub fn role_color(role: WellRole) -> Color32 {
    match role {
        WellRole::Empty => Color32::from_rgb(236, 236, 236),
        WellRole::Blank => Color32::from_rgb(176, 176, 176),
        WellRole::Vehicle => Color32::from_rgb(102, 187, 106),
        WellRole::Treated => Color32::from_rgb(100, 149, 237),
        WellRole::Positive => Color32::from_rgb(229, 115, 115),
        WellRole::Background => Color32::from_rgb(188, 143, 95),
        WellRole::T0 => Color32::from_rgb(171, 130, 214),
    }
}

/// The role's short tag shown in wells.
#[must_use]
pub fn role_tag(role: WellRole) -> &'static str {
    match role {
        WellRole::Empty => "",
        WellRole::Blank => "B",
        WellRole::Vehicle => "V",
        WellRole::Treated => "T",
        WellRole::Positive => "P",
        WellRole::Background => "Bg",
        WellRole::T0 => "T0",
    }
}

/// A role's name with a capital.
#[must_use]
pub fn role_name(role: WellRole) -> &'static str {
    match role {
        WellRole::Empty => "Empty",
        WellRole::Blank => "Blank",
        WellRole::Vehicle => "Vehicle",
        WellRole::Treated => "Treated",
        WellRole::Positive => "Positive ctrl",
        WellRole::Background => "Drug background",
        WellRole::T0 => "Time zero (t0)",
    }
}

/// Sensitive (parental) lines in blues, resistant lines in oranges/reds, others after.
const SENSITIVE: [Color32; 3] = [
    Color32::from_rgb(31, 119, 180),
    Color32::from_rgb(23, 190, 207),
    Color32::from_rgb(44, 160, 44),
];
const RESISTANT: [Color32; 3] = [
    Color32::from_rgb(214, 39, 40),
    Color32::from_rgb(255, 127, 14),
    Color32::from_rgb(148, 103, 189),
];

/// The colour of the `index`-th sensitive or resistant curve.
#[must_use]
pub fn curve_color(resistant: bool, index: usize) -> Color32 {
    if resistant {
        RESISTANT[index % RESISTANT.len()]
    } else {
        SENSITIVE[index % SENSITIVE.len()]
    }
}

/// A colour per cell line (layout strips); avoids the selection orange and the treated blue.
#[must_use]
pub fn line_color(index: usize) -> Color32 {
    const PALETTE: [Color32; 5] = [
        Color32::from_rgb(0, 150, 136),
        Color32::from_rgb(156, 39, 176),
        Color32::from_rgb(121, 85, 72),
        Color32::from_rgb(233, 30, 99),
        Color32::from_rgb(130, 119, 23),
    ];
    PALETTE[index % PALETTE.len()]
}

/// A colour per experiment in overlays.
#[must_use]
pub fn experiment_color(index: usize) -> Color32 {
    const PALETTE: [Color32; 8] = [
        Color32::from_rgb(31, 119, 180),
        Color32::from_rgb(214, 39, 40),
        Color32::from_rgb(44, 160, 44),
        Color32::from_rgb(255, 127, 14),
        Color32::from_rgb(148, 103, 189),
        Color32::from_rgb(140, 86, 75),
        Color32::from_rgb(227, 119, 194),
        Color32::from_rgb(23, 190, 207),
    ];
    PALETTE[index % PALETTE.len()]
}

/// A perceptually ordered colour for `t` in 0..=1 (viridis, 5 stops).
#[must_use]
pub fn heat_color(t: f64) -> Color32 {
    const STOPS: [[f32; 3]; 5] = [
        [68.0, 1.0, 84.0],
        [59.0, 82.0, 139.0],
        [33.0, 145.0, 140.0],
        [94.0, 201.0, 98.0],
        [253.0, 231.0, 37.0],
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0) as f32
    } else {
        0.0
    };
    let scaled = t * 4.0;
    let i = (scaled.floor() as usize).min(3);
    let f = scaled - i as f32;
    let mix = |k: usize| (STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f).round() as u8;
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

/// Black or white, whichever reads on `fill`.
#[must_use]
pub fn text_on(fill: Color32) -> Color32 {
    let l = 0.299 * f32::from(fill.r()) + 0.587 * f32::from(fill.g()) + 0.114 * f32::from(fill.b());
    if l > 140.0 {
        Color32::BLACK
    } else {
        Color32::WHITE
    }
}

/// The outline of selected wells (reads on every role colour and the heat map).
pub const SELECTED: Color32 = Color32::from_rgb(255, 111, 0);

/// Pass/warn colours.
pub const PASS: Color32 = Color32::from_rgb(46, 125, 50);
/// Warning colour.
pub const WARN: Color32 = Color32::from_rgb(230, 81, 0);

/// A number for people (4 significant digits), `—` when absent.
#[must_use]
pub fn num(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), format_number)
}

/// A percentage such as a CV, to one decimal (`8.7`), `—` when absent.
#[must_use]
pub fn percent(value: Option<f64>) -> String {
    value
        .filter(|v| v.is_finite())
        .map_or_else(|| "—".into(), |v| format!("{v:.1}"))
}

/// A bound such as `< 0.002540263171` with its number rounded like every other number
/// (`< 0.00254`); other text is returned as it is.
#[must_use]
pub fn round_bound(bound: &str) -> String {
    let bound = bound.trim();
    for sign in ['<', '>'] {
        if let Some(rest) = bound.strip_prefix(sign)
            && let Ok(v) = rest.trim().parse::<f64>()
        {
            return format!("{sign} {}", format_number(v));
        }
    }
    bound.to_string()
}

/// Internal status codes inside a sentence (`no_effect`, `ic50_below_range`) in words.
#[must_use]
pub fn human_codes(text: &str) -> String {
    // A code is a word of lower-case letters and digits joined by underscores.
    let is_code = |w: &str| {
        w.contains('_')
            && !w.starts_with('_')
            && !w.ends_with('_')
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if is_code(word) {
            out.push_str(&word.replace('_', " "));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A concentration with few digits for axis labels and wells: `50`, `0.617`, `2.5e-5`
/// (the same short form the report figures use).
#[must_use]
pub fn conc_short(value: f64) -> String {
    crate::report::figures::format_number_short(value)
}

/// The IC50 with the CI of the chosen method: `0.04231 [0.03612, 0.04955]`, or the bound
/// (`> 50`) / status when it is not a number.
#[must_use]
pub fn ic50_with_ci(fit: &Fit, method: CiMethod) -> String {
    let Some(ic50) = fit.reported_ic50() else {
        return crate::report::json::ic50_bound(fit)
            .map_or_else(|| "not determined".into(), |b| round_bound(&b));
    };
    // A weighted fit has no profile CI: its Wald CI is shown, marked.
    let wald_instead = method == CiMethod::Profile && !fit.has_profile();
    match ic50_ci(fit, method) {
        Some([lo, hi]) => format!(
            "{} [{}, {}]{}",
            format_number(ic50),
            lo.map_or_else(|| "open".into(), format_number),
            hi.map_or_else(|| "open".into(), format_number),
            if wald_instead { " (Wald)" } else { "" }
        ),
        None => format!("{} [CI not computable]", format_number(ic50)),
    }
}

/// The CI of the chosen method as numbers (open ends as `None`); the Wald CI where the
/// profile CI is chosen for a fit that has none (a weighted fit).
#[must_use]
pub fn ic50_ci(fit: &Fit, method: CiMethod) -> Option<[Option<f64>; 2]> {
    match method {
        CiMethod::Profile if !fit.has_profile() => {
            fit.ic50_ci95_wald_log.map(|[a, b]| [Some(a), Some(b)])
        }
        CiMethod::WaldLog => fit.ic50_ci95_wald_log.map(|[a, b]| [Some(a), Some(b)]),
        CiMethod::Delta => fit.ic50_ci95_delta.map(|[a, b]| [Some(a), Some(b)]),
        CiMethod::Profile => fit.ic50_ci95_profile,
    }
}

/// How one well is drawn in a [`plate_grid_ui`].
#[derive(Debug, Clone, Default)]
pub struct CellLook {
    /// Fill colour.
    pub fill: Color32,
    /// Up to two short lines of text.
    pub text: String,
    /// A thin strip of the role colour at the left edge.
    pub strip: Option<Color32>,
    /// Crossed out (excluded).
    pub crossed: bool,
    /// A warning mark (reader flag, saturation).
    pub flagged: bool,
    /// Hover text.
    pub tooltip: String,
}

/// What the user did on a plate grid this frame.
#[derive(Debug, Default)]
pub struct GridEvents {
    /// A well was clicked (with ctrl/cmd, with shift).
    pub clicked: Option<(WellId, bool, bool)>,
    /// A well was right-clicked... the well.
    pub secondary: Option<WellId>,
    /// A drag selected this rectangle of wells (from, to), with shift held.
    pub dragged: Option<(WellId, WellId, bool)>,
    /// A row header was clicked (row, shift or ctrl held).
    pub row_header: Option<(usize, bool)>,
    /// A column header was clicked (column, shift or ctrl held).
    pub col_header: Option<(usize, bool)>,
    /// The "all" corner was clicked.
    pub all: bool,
    /// The wells were too small for their texts, so none was drawn (tooltips still tell).
    pub texts_hidden: bool,
}

impl GridEvents {
    /// The selection changes these events ask for, in order: a click replaces the
    /// selection (ctrl/cmd toggles, shift adds), a drag selects the rectangle it spanned,
    /// a header its row or column, the corner every well.
    #[must_use]
    pub fn selection_changes(&self, shape: PlateShape) -> Vec<(Vec<WellId>, SelectMode)> {
        let add_or_replace = |add: bool| {
            if add {
                SelectMode::Add
            } else {
                SelectMode::Replace
            }
        };
        let mut changes = Vec::new();
        if let Some((well, ctrl, shift)) = self.clicked {
            let mode = if ctrl {
                SelectMode::Toggle
            } else {
                add_or_replace(shift)
            };
            changes.push((vec![well], mode));
        }
        if let Some((a, b, add)) = self.dragged {
            changes.push((wells_between(a, b), add_or_replace(add)));
        }
        if let Some((row, add)) = self.row_header {
            let wells = (0..shape.cols).map(|c| WellId::new(row, c)).collect();
            changes.push((wells, add_or_replace(add)));
        }
        if let Some((col, add)) = self.col_header {
            let wells = (0..shape.rows).map(|r| WellId::new(r, col)).collect();
            changes.push((wells, add_or_replace(add)));
        }
        if self.all {
            changes.push((shape.wells().collect(), SelectMode::Replace));
        }
        changes
    }
}

/// The smallest font size a well's text is shrunk to; below it the text is left out.
const MIN_CELL_FONT: f32 = 6.5;

/// `text` laid out in `font`, shrunk so it fits `room`; `None` when it would need a font
/// smaller than [`MIN_CELL_FONT`].
fn fitted_text(
    painter: &egui::Painter,
    text: &str,
    font: &FontId,
    room: Rect,
    color: Color32,
) -> Option<std::sync::Arc<egui::Galley>> {
    let galley = painter.layout_no_wrap(text.to_string(), font.clone(), color);
    let size = galley.size();
    if size.x <= room.width() && size.y <= room.height() {
        return Some(galley);
    }
    let scale = (room.width() / size.x).min(room.height() / size.y);
    let smaller = (font.size * scale).floor();
    (smaller >= MIN_CELL_FONT).then(|| {
        painter.layout_no_wrap(
            text.to_string(),
            FontId::new(smaller, font.family.clone()),
            color,
        )
    })
}

/// Wells in the rectangle spanned by two wells.
#[must_use]
pub fn wells_between(a: WellId, b: WellId) -> Vec<WellId> {
    let (r0, r1) = (a.row_idx().min(b.row_idx()), a.row_idx().max(b.row_idx()));
    let (c0, c1) = (a.col_idx().min(b.col_idx()), a.col_idx().max(b.col_idx()));
    (r0..=r1)
        .flat_map(|r| (c0..=c1).map(move |c| WellId::new(r, c)))
        .collect()
}

/// Draws a plate as a grid of wells with row and column headers. `look` describes each
/// well; selected wells get a frame. `drag` holds the well where a drag started (owned by
/// the caller's view state). Every well is an accessible widget named `Well B5`.
#[allow(clippy::too_many_lines)]
pub fn plate_grid_ui(
    ui: &mut egui::Ui,
    id: &str,
    shape: PlateShape,
    max_size: Vec2,
    look: &dyn Fn(WellId) -> CellLook,
    selected: &dyn Fn(WellId) -> bool,
    drag: &mut Option<WellId>,
) -> GridEvents {
    let mut events = GridEvents::default();
    let header = 22.0;
    let cols = shape.cols.max(1) as f32;
    let rows = shape.rows.max(1) as f32;
    let cell = ((max_size.x - header) / cols)
        .min((max_size.y - header) / rows)
        .clamp(12.0, 80.0);
    let size = vec2(header + cell * cols, header + cell * rows);
    let (outer, _) = ui.allocate_exact_size(size, Sense::hover());
    let origin = outer.min + vec2(header, header);
    let small = cell < 34.0;
    let font = FontId::proportional(if small {
        8.5
    } else {
        (cell * 0.2).clamp(9.0, 12.0)
    });
    let modifiers = ui.input(|i| i.modifiers);
    let painter = ui.painter_at(outer.expand(2.0));
    let visuals = ui.visuals().clone();

    // The corner: select all.
    let corner = Rect::from_min_size(outer.min, vec2(header, header));
    let corner_response = ui
        .interact(corner, ui.make_persistent_id((id, "all")), Sense::click())
        .on_hover_text("Select all wells");
    corner_response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "Select all wells"));
    if corner_response.clicked() {
        events.all = true;
    }
    painter.text(
        corner.center(),
        egui::Align2::CENTER_CENTER,
        "⊞",
        FontId::proportional(10.0),
        visuals.weak_text_color(),
    );

    for c in 0..shape.cols {
        let rect = Rect::from_min_size(
            pos2(origin.x + cell * c as f32, outer.min.y),
            vec2(cell, header),
        );
        let response = ui.interact(rect, ui.make_persistent_id((id, "col", c)), Sense::click());
        let name = format!("Column {}", c + 1);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
        if response.hovered() {
            painter.rect_filled(rect, 2.0, visuals.widgets.hovered.bg_fill);
        }
        if response.clicked() {
            events.col_header = Some((c, modifiers.shift || modifiers.command));
        }
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            (c + 1).to_string(),
            FontId::proportional(11.0),
            visuals.text_color(),
        );
    }
    for r in 0..shape.rows {
        let rect = Rect::from_min_size(
            pos2(outer.min.x, origin.y + cell * r as f32),
            vec2(header, cell),
        );
        let response = ui.interact(rect, ui.make_persistent_id((id, "row", r)), Sense::click());
        let name = format!("Row {}", row_label(r));
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
        if response.hovered() {
            painter.rect_filled(rect, 2.0, visuals.widgets.hovered.bg_fill);
        }
        if response.clicked() {
            events.row_header = Some((r, modifiers.shift || modifiers.command));
        }
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            row_label(r),
            FontId::proportional(11.0),
            visuals.text_color(),
        );
    }

    let cell_rect = |well: WellId| {
        Rect::from_min_size(
            pos2(
                origin.x + cell * well.col_idx() as f32,
                origin.y + cell * well.row_idx() as f32,
            ),
            Vec2::splat(cell),
        )
    };
    let well_at = |pos: Pos2| -> Option<WellId> {
        let c = ((pos.x - origin.x) / cell).floor();
        let r = ((pos.y - origin.y) / cell).floor();
        (c >= 0.0 && r >= 0.0 && (c as usize) < shape.cols && (r as usize) < shape.rows)
            .then(|| WellId::new(r as usize, c as usize))
    };
    let pointer = ui.input(|i| i.pointer.interact_pos());
    let drag_rect: Option<(WellId, WellId)> =
        drag.and_then(|start| Some((start, well_at(pointer?)?)));

    // Each well's text, shrunk to fit beside the line strip; if one does not fit even
    // shrunk, no well shows its text (a grid of numbers with holes reads worse).
    let strip_width = (cell * 0.12).clamp(2.0, 5.0);
    let looks: Vec<(WellId, CellLook)> = shape.wells().map(|w| (w, look(w))).collect();
    let galleys: Vec<Option<std::sync::Arc<egui::Galley>>> = looks
        .iter()
        .map(|(well, cell_look)| {
            let inner = cell_rect(*well).shrink(1.5);
            let strip = cell_look.strip.map_or(0.0, |_| strip_width);
            let room = Rect::from_min_max(inner.min + vec2(strip, 0.0), inner.max).shrink(1.0);
            fitted_text(
                &painter,
                &cell_look.text,
                &font,
                room,
                text_on(cell_look.fill),
            )
        })
        .collect();
    events.texts_hidden = looks
        .iter()
        .zip(&galleys)
        .any(|((_, l), g)| !l.text.is_empty() && g.is_none());

    for ((well, cell_look), galley) in looks.into_iter().zip(galleys) {
        let rect = cell_rect(well);
        let inner = rect.shrink(1.5);
        let response = ui.interact(
            rect,
            ui.make_persistent_id((id, well.row_idx(), well.col_idx())),
            Sense::click_and_drag(),
        );
        let name = format!("Well {well}");
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
        painter.rect_filled(inner, CornerRadius::same(3), cell_look.fill);
        if let Some(strip) = cell_look.strip {
            let s = Rect::from_min_size(inner.min, vec2(strip_width, inner.height()));
            painter.rect_filled(s, CornerRadius::same(1), strip);
        }
        if let Some(galley) = galley.filter(|_| !events.texts_hidden) {
            let strip = cell_look.strip.map_or(0.0, |_| strip_width);
            let room = Rect::from_min_max(inner.min + vec2(strip, 0.0), inner.max).shrink(1.0);
            painter.galley(
                room.center() - galley.size() / 2.0,
                galley,
                text_on(cell_look.fill),
            );
        }
        if cell_look.crossed {
            let stroke = Stroke::new(2.0, Color32::from_rgb(200, 0, 0));
            painter.line_segment(
                [
                    inner.left_top() + vec2(3.0, 3.0),
                    inner.right_bottom() - vec2(3.0, 3.0),
                ],
                stroke,
            );
            painter.line_segment(
                [
                    inner.right_top() + vec2(-3.0, 3.0),
                    inner.left_bottom() + vec2(3.0, -3.0),
                ],
                stroke,
            );
        }
        if cell_look.flagged {
            let tri = inner.right_top();
            let s = (cell * 0.3).clamp(6.0, 12.0);
            painter.add(egui::Shape::convex_polygon(
                vec![tri, tri + vec2(-s, 0.0), tri + vec2(0.0, s)],
                Color32::from_rgb(220, 0, 0),
                Stroke::NONE,
            ));
        }
        let in_drag = drag_rect.is_some_and(|(a, b)| {
            (a.row_idx().min(b.row_idx())..=a.row_idx().max(b.row_idx())).contains(&well.row_idx())
                && (a.col_idx().min(b.col_idx())..=a.col_idx().max(b.col_idx()))
                    .contains(&well.col_idx())
        });
        if selected(well) || in_drag {
            painter.rect_stroke(
                inner,
                CornerRadius::same(3),
                Stroke::new(3.0, SELECTED),
                StrokeKind::Inside,
            );
        } else if response.hovered() {
            painter.rect_stroke(
                inner,
                CornerRadius::same(3),
                Stroke::new(1.5, visuals.widgets.hovered.fg_stroke.color),
                StrokeKind::Inside,
            );
        }
        if response.drag_started() {
            *drag = Some(well);
        }
        if response.clicked() {
            events.clicked = Some((well, modifiers.command, modifiers.shift));
        }
        if response.secondary_clicked() {
            events.secondary = Some(well);
        }
        if !cell_look.tooltip.is_empty() {
            response.on_hover_text(cell_look.tooltip);
        }
    }
    // A drag that ends on the well it started from (a press that moved a little) selects
    // that well, as a click would.
    let released = ui.input(|i| i.pointer.any_released());
    if released
        && let Some(start) = drag.take()
        && let Some(end) = pointer.and_then(well_at)
        && events.clicked.is_none()
    {
        events.dragged = Some((start, end, modifiers.shift || modifiers.command));
    }
    events
}
