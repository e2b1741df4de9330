//! The plate heat map: absorbance, corrected OD or % viability per well, with role strips,
//! excluded and flagged wells marked and every number on hover. Wells are selected as in
//! the layout editor (click, ctrl-click, drag, row/column headers); right-click excludes or
//! includes a well.

use egui::{Color32, RichText, vec2};

use crate::analysis::{PlateAnalysis, PlateInput};
use crate::layout::WellRole;
use crate::normalize::{SATURATION_OD, WellValues};
use crate::plate::WellId;

use super::command::Command;
use super::raw::{RawValues, RawWell};
use super::view::ViewState;
use super::widgets::{self, CellLook, heat_color, num, plate_grid_ui, role_color, role_name};

/// Which number the heat map shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlateMode {
    /// The analysed read (reference subtracted when there is one).
    #[default]
    Absorbance,
    /// Blank-subtracted OD.
    Corrected,
    /// % viability.
    Viability,
}

impl PlateMode {
    /// The tab's name; `od` names the absorbance shown (e.g. `A450 − A630`).
    fn label(self, od: &str) -> String {
        match self {
            Self::Absorbance => od.to_string(),
            Self::Corrected => "blank-corrected".into(),
            Self::Viability => "% viability".into(),
        }
    }

    fn value(self, v: &WellValues) -> Option<f64> {
        match self {
            Self::Absorbance => v.absorbance,
            Self::Corrected => v.corrected,
            Self::Viability => v.viability,
        }
    }
}

/// Hover text of a well: position, layout, every number, flags.
fn tooltip(
    input: &PlateInput,
    values: Option<&WellValues>,
    raw: Option<&RawWell>,
    od: &str,
    well: WellId,
    unit: &str,
) -> String {
    let info = input.layout.well(well);
    let mut lines = vec![format!("{well} — {}", role_name(info.role))];
    if let Some(line) = &info.line {
        lines.push(format!("line: {line}"));
    }
    if let Some(drug) = &info.drug {
        lines.push(format!("drug: {drug}"));
    }
    if let Some(condition) = &info.condition {
        lines.push(format!("condition: {condition}"));
    }
    if let Some(c) = info.concentration {
        lines.push(format!("concentration: {} {unit}", widgets::conc_short(c)));
    }
    if values.is_none()
        && let Some(r) = raw
    {
        lines.push(format!("{od}: {}", num(r.value)));
        if let Some(flag) = &r.flag {
            lines.push(format!("reader flag: {flag} (no value; left out)"));
        }
    }
    if let Some(v) = values {
        lines.push(format!("{od}: {}", num(v.absorbance)));
        if v.corrected.is_some() {
            lines.push(format!("blank-corrected OD: {}", num(v.corrected)));
        }
        if v.viability.is_some() {
            lines.push(format!("viability: {} %", num(v.viability)));
        }
        if let Some(flag) = &v.flag {
            lines.push(format!("reader flag: {flag} (no value; left out)"));
        }
        if v.absorbance.is_some_and(|a| a >= SATURATION_OD) {
            lines.push(format!("OD ≥ {SATURATION_OD}: possibly saturated"));
        }
    }
    if let Some(reason) = input.excluded.get(&well) {
        lines.push(format!("EXCLUDED: {reason}"));
    }
    lines.push("right-click: exclude / include".into());
    lines.join("\n")
}

/// The heat map of the active plate.
#[allow(clippy::too_many_arguments)]
pub fn plate_view_ui(
    ui: &mut egui::Ui,
    input: &PlateInput,
    plate: Option<&PlateAnalysis>,
    raw: Option<&RawValues>,
    plate_index: usize,
    unit: &str,
    selection: &std::collections::BTreeSet<WellId>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    let od = raw.map_or("OD", |r| r.label.as_str());
    // Without an analysis (no layout yet, or one that cannot be analysed) the plate shows
    // its readings; the other views need the layout.
    let mode = if plate.is_some() {
        view.plate_mode
    } else {
        PlateMode::Absorbance
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Plate").strong());
        for m in [
            PlateMode::Absorbance,
            PlateMode::Corrected,
            PlateMode::Viability,
        ] {
            let response = ui.add_enabled(
                plate.is_some() || m == PlateMode::Absorbance,
                egui::Button::selectable(mode == m, m.label(od)),
            );
            if response.clicked() {
                view.plate_mode = m;
            }
            if m == PlateMode::Absorbance {
                response.on_hover_text(format!(
                    "The plate as read: {od} (the analysed read minus the reference read)"
                ));
            } else if plate.is_none() {
                response.on_disabled_hover_text("needs a layout with blank and vehicle wells");
            }
        }
    });
    let wells: &[WellValues] = plate.map_or(&[], |p| p.normalized.wells.as_slice());
    let find = |well: WellId| wells.iter().find(|v| v.well == well);
    let raw_of = |well: WellId| raw.and_then(|r| r.wells.get(&well));
    let value_of = |well: WellId| -> (Option<f64>, Option<String>) {
        match find(well) {
            Some(v) => (mode.value(v), v.flag.clone()),
            None if plate.is_none() => {
                raw_of(well).map_or((None, None), |r| (r.value, r.flag.clone()))
            }
            None => (None, None),
        }
    };
    let shows = |well: WellId| plate.is_none() || input.layout.well(well).role != WellRole::Empty;
    let range = {
        let values: Vec<f64> = input
            .plate
            .shape
            .wells()
            .filter(|w| shows(*w))
            .filter_map(|w| value_of(w).0)
            .filter(|v| v.is_finite())
            .collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() && hi > lo {
            (lo, hi)
        } else {
            (0.0, 1.0)
        }
    };
    let look = |well: WellId| -> CellLook {
        let info = input.layout.well(well);
        let values = find(well);
        let (value, flag) = value_of(well);
        let fill = match value {
            Some(v) if shows(well) => heat_color((v - range.0) / (range.1 - range.0)),
            Some(_) => Color32::from_gray(225),
            None => Color32::from_gray(245),
        };
        let text = match (flag.clone(), value) {
            (Some(flag), _) => flag,
            (None, Some(v)) if mode == PlateMode::Viability => whole_number(v),
            (None, Some(v)) => super::raw::od_text(v),
            (None, None) => String::new(),
        };
        CellLook {
            fill,
            text,
            strip: (info.role != WellRole::Empty).then(|| role_color(info.role)),
            crossed: input.excluded.contains_key(&well),
            flagged: flag.is_some()
                || values.is_some_and(|v| v.absorbance.is_some_and(|a| a >= SATURATION_OD))
                || (plate.is_none() && value.is_some_and(|a| a >= SATURATION_OD)),
            tooltip: tooltip(input, values, raw_of(well), od, well, unit),
        }
    };
    let available = vec2(
        ui.available_width(),
        (ui.available_height() - 190.0).max(120.0),
    );
    let events = plate_grid_ui(
        ui,
        "heatmap",
        input.plate.shape,
        available,
        &look,
        &|w| selection.contains(&w),
        &mut view.heatmap_drag,
    );
    for (wells, mode) in events.selection_changes(input.plate.shape) {
        commands.push(Command::SelectWells(wells, mode));
    }
    if let Some(well) = events.secondary {
        commands.push(Command::ToggleExclude {
            plate: plate_index,
            well,
            reason: "excluded by the user in the plate view".into(),
        });
    }
    // Legend: colour scale and role strips.
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        ui.label(
            RichText::new(format!(
                "{} {}",
                mode.label(od),
                widgets::num(Some(range.0))
            ))
            .small(),
        );
        for i in 0..=8 {
            let (rect, _) = ui.allocate_exact_size(vec2(10.0, 10.0), egui::Sense::hover());
            ui.painter()
                .rect_filled(rect, 1.0, heat_color(f64::from(i) / 8.0));
        }
        ui.label(RichText::new(widgets::num(Some(range.1))).small());
        ui.add_space(8.0);
        for role in [
            WellRole::Blank,
            WellRole::Vehicle,
            WellRole::Treated,
            WellRole::Positive,
            WellRole::Background,
            WellRole::T0,
        ] {
            // Swatch and name as one label, so they wrap together.
            let mut job = egui::text::LayoutJob::default();
            let small = egui::TextStyle::Small.resolve(ui.style());
            job.append(
                "▌",
                0.0,
                egui::TextFormat::simple(small.clone(), role_color(role)),
            );
            job.append(
                role_name(role),
                1.0,
                egui::TextFormat::simple(small, ui.visuals().text_color()),
            );
            ui.add(egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend));
        }
        ui.add(
            egui::Label::new(
                RichText::new("⚠ flag/saturated  × excluded")
                    .small()
                    .color(Color32::from_rgb(200, 0, 0)),
            )
            .wrap_mode(egui::TextWrapMode::Extend),
        );
        if events.texts_hidden {
            ui.label(RichText::new("· widen the panel or hover a well for its value").small());
        }
    });
    let Some(plate) = plate else {
        return;
    };
    if !plate.normalized.qc.flagged_wells.is_empty()
        || !plate.normalized.qc.saturated_wells.is_empty()
    {
        let flagged: Vec<String> = plate
            .normalized
            .qc
            .flagged_wells
            .iter()
            .map(|(w, f)| format!("{w} {f}"))
            .chain(
                plate
                    .normalized
                    .qc
                    .saturated_wells
                    .iter()
                    .map(|w| format!("{w} saturated")),
            )
            .collect();
        ui.label(
            RichText::new(format!("Flagged: {}", flagged.join(", ")))
                .small()
                .color(widgets::WARN),
        );
    }
}

/// A percentage rounded to a whole number, never `-0`.
fn whole_number(value: f64) -> String {
    let text = format!("{value:.0}");
    if text == "-0" { "0".into() } else { text }
}
