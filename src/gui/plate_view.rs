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
    fn label(self) -> &'static str {
        match self {
            Self::Absorbance => "OD",
            Self::Corrected => "Corrected OD",
            Self::Viability => "% viability",
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
fn tooltip(input: &PlateInput, values: Option<&WellValues>, well: WellId, unit: &str) -> String {
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
    if let Some(v) = values {
        lines.push(format!("OD: {}", num(v.absorbance)));
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
    plate_index: usize,
    unit: &str,
    selection: &std::collections::BTreeSet<WellId>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Plate").strong());
        for mode in [
            PlateMode::Absorbance,
            PlateMode::Corrected,
            PlateMode::Viability,
        ] {
            ui.selectable_value(&mut view.plate_mode, mode, mode.label());
        }
    });
    let Some(plate) = plate else {
        ui.label("The plate is being analysed…");
        return;
    };
    let wells = &plate.normalized.wells;
    let find = |well: WellId| wells.iter().find(|v| v.well == well);
    let mode = view.plate_mode;
    let range = {
        let values: Vec<f64> = wells
            .iter()
            .filter(|v| v.role != WellRole::Empty)
            .filter_map(|v| mode.value(v))
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
        let value = values.and_then(|v| mode.value(v));
        let fill = match value {
            Some(v) if info.role != WellRole::Empty => {
                heat_color((v - range.0) / (range.1 - range.0))
            }
            Some(_) => Color32::from_gray(225),
            None => Color32::from_gray(245),
        };
        let text = match (values.and_then(|v| v.flag.clone()), value) {
            (Some(flag), _) => flag,
            (None, Some(v)) if mode == PlateMode::Viability => format!("{v:.0}"),
            (None, Some(v)) => format!("{v:.3}"),
            (None, None) => String::new(),
        };
        CellLook {
            fill,
            text,
            strip: (info.role != WellRole::Empty).then(|| role_color(info.role)),
            crossed: input.excluded.contains_key(&well),
            flagged: values.is_some_and(|v| {
                v.flag.is_some() || v.absorbance.is_some_and(|a| a >= SATURATION_OD)
            }),
            tooltip: tooltip(input, values, well, unit),
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
            RichText::new(format!("{} {}", mode.label(), widgets::num(Some(range.0)))).small(),
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
