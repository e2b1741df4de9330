//! The layout editor: select wells (click, ctrl-click, drag, row and column headers) and
//! assign role, line, drug, condition, concentration; a dilution-series helper; the
//! standard template; plater CSV import/export; undo/redo. Edits go through commands, so
//! the analysis updates after each one.

use egui::{Color32, RichText};

use crate::analysis::{Analysis, PlateInput};
use crate::layout::{ConcentrationUnit, DilutionDirection, Layout, WellRole};
use crate::plate::WellId;

use super::command::{Command, DilutionSpec, LayoutEdit, SelectMode, SeriesAxis};
use super::raw::{RawValues, RawWell};
use super::widgets::{self, CellLook, conc_short, plate_grid_ui, role_color, role_name};

/// Text fields of the editor (UI-only state).
#[derive(Debug, Clone)]
pub struct LayoutForm {
    line: String,
    drug: String,
    condition: String,
    concentration: String,
    top: String,
    fold: String,
    steps: String,
    direction: DilutionDirection,
    axis: SeriesAxis,
    template_a: String,
    template_b: String,
    template_drug: String,
    template_top: String,
    template_fold: String,
    /// The selection and the experiment generation the fields were filled from: they are
    /// filled again when either changes (another selection, an edit, undo).
    filled_for: (Vec<WellId>, u64),
    /// Why the concentration typed was refused, shown under the field.
    concentration_error: Option<String>,
    /// Show the plate's readings in the wells instead of the concentrations.
    pub show_od: bool,
}

impl Default for LayoutForm {
    fn default() -> Self {
        Self {
            line: String::new(),
            drug: String::new(),
            condition: String::new(),
            concentration: String::new(),
            top: "50".into(),
            fold: "3".into(),
            steps: "10".into(),
            direction: DilutionDirection::Decreasing,
            axis: SeriesAxis::AlongRows,
            template_a: String::new(),
            template_b: String::new(),
            template_drug: String::new(),
            template_top: "50".into(),
            template_fold: "3".into(),
            filled_for: (Vec::new(), 0),
            concentration_error: None,
            show_od: false,
        }
    }
}

fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim().replace(',', ".");
    if let Some(rest) = t.strip_prefix("√") {
        return rest.trim().parse::<f64>().ok().map(f64::sqrt);
    }
    if t.eq_ignore_ascii_case("sqrt10") {
        return Some(10f64.sqrt());
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn nonempty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The value the selected wells share, if they all share one.
fn shared<T: PartialEq + Clone>(
    layout: &Layout,
    wells: &[WellId],
    get: impl Fn(&crate::layout::WellInfo) -> T,
) -> Option<T> {
    let first = get(layout.well(*wells.first()?));
    wells
        .iter()
        .all(|w| get(layout.well(*w)) == first)
        .then_some(first)
}

fn line_index(layout: &Layout, line: &str) -> usize {
    let mut lines: Vec<&str> = layout
        .wells
        .iter()
        .filter_map(|w| w.line.as_deref())
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines.iter().position(|l| *l == line).unwrap_or(0)
}

fn cell_look(
    layout: &Layout,
    well: WellId,
    unit: &str,
    excluded: bool,
    raw: Option<(&str, &RawWell)>,
    show_od: bool,
) -> CellLook {
    let info = layout.well(well);
    let mut fill = role_color(info.role);
    if info.role == WellRole::Treated
        && let Some(c) = info.concentration.filter(|c| *c > 0.0)
    {
        // Darker for higher concentrations (log scale over 6 decades).
        let t = ((c.log10() + 3.0) / 6.0).clamp(0.0, 1.0) as f32;
        let light = Color32::from_rgb(190, 212, 250);
        let dark = Color32::from_rgb(25, 70, 160);
        fill = light.lerp_to_gamma(dark, t);
    }
    let text = match info.role {
        _ if show_od => raw.map_or_else(String::new, |(_, r)| {
            r.flag
                .clone()
                .or_else(|| r.value.map(super::raw::od_text))
                .unwrap_or_default()
        }),
        WellRole::Treated | WellRole::Background => {
            info.concentration.map_or_else(|| "?".into(), conc_short)
        }
        WellRole::Empty => String::new(),
        role => widgets::role_tag(role).to_string(),
    };
    let strip = info
        .line
        .as_deref()
        .map(|l| widgets::line_color(line_index(layout, l)));
    let mut tip = vec![format!("{well} — {}", role_name(info.role))];
    for (k, v) in [
        ("line", &info.line),
        ("drug", &info.drug),
        ("condition", &info.condition),
    ] {
        if let Some(v) = v {
            tip.push(format!("{k}: {v}"));
        }
    }
    if let Some(c) = info.concentration {
        tip.push(format!("concentration: {} {unit}", conc_short(c)));
    }
    if let Some(r) = info.replicate {
        tip.push(format!("replicate: {r}"));
    }
    if let Some((label, r)) = raw {
        match (&r.flag, r.value) {
            (Some(flag), _) => tip.push(format!("{label}: {flag} (reader flag, no value)")),
            (None, Some(v)) => tip.push(format!("{label}: {}", super::raw::od_text(v))),
            (None, None) => {}
        }
    }
    CellLook {
        fill,
        text,
        strip,
        crossed: excluded,
        flagged: info.role == WellRole::Treated && info.concentration.is_none(),
        tooltip: tip.join("\n"),
    }
}

fn text_row(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) -> (bool, bool) {
    let mut apply = false;
    let mut clear = false;
    ui.horizontal(|ui| {
        let l = ui.add_sized([80.0, 20.0], egui::Label::new(label));
        // Room for the field beside the label and the Set and Clear buttons.
        let field = (ui.available_width() - 110.0).clamp(60.0, 130.0);
        let edit = ui
            .add(
                egui::TextEdit::singleline(value)
                    .hint_text(hint)
                    .desired_width(field),
            )
            .labelled_by(l.id);
        if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            apply = true;
        }
        if ui
            .button("Set")
            .on_hover_text(format!("Set {label} on the selected wells"))
            .clicked()
        {
            apply = true;
        }
        if ui
            .button("Clear")
            .on_hover_text(format!("Clear {label} of the selected wells"))
            .clicked()
        {
            clear = true;
        }
    });
    (apply, clear)
}

/// The two-line triplicate template's fields and its button: the lines get the names the
/// user types (nothing is applied until both are given).
pub fn template_form_ui(ui: &mut egui::Ui, form: &mut LayoutForm, commands: &mut Vec<Command>) {
    egui::Grid::new("template")
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for (label, value, hint) in [
                ("Parental line", &mut form.template_a, "e.g. K562"),
                ("Resistant line", &mut form.template_b, "e.g. K562/FLM"),
                ("Drug", &mut form.template_drug, "optional"),
                ("Top", &mut form.template_top, ""),
                ("Fold", &mut form.template_fold, ""),
            ] {
                let l = ui.label(format!("Template {}", label.to_lowercase()));
                ui.add(
                    egui::TextEdit::singleline(value)
                        .hint_text(hint)
                        .desired_width(120.0),
                )
                .labelled_by(l.id);
                ui.end_row();
            }
        });
    let (line_a, line_b) = (form.template_a.trim(), form.template_b.trim());
    let template = match (
        parse_number(&form.template_top),
        parse_number(&form.template_fold),
    ) {
        (Some(top), Some(fold))
            if top > 0.0
                && fold > 1.0
                && !line_a.is_empty()
                && !line_b.is_empty()
                && line_a != line_b =>
        {
            Some(Command::ApplyTemplate {
                line_a: line_a.to_string(),
                line_b: line_b.to_string(),
                drug: nonempty(&form.template_drug),
                top,
                fold,
            })
        }
        _ => None,
    };
    match template {
        Some(command) => {
            if ui.button("Apply template to this plate").clicked() {
                commands.push(command);
            }
        }
        None => {
            ui.label(
                RichText::new("Type two different line names; top > 0, fold > 1")
                    .small()
                    .color(widgets::WARN),
            );
        }
    }
}

/// The editor of the active plate's layout.
#[allow(clippy::too_many_lines, clippy::too_many_arguments)]
pub fn layout_editor_ui(
    ui: &mut egui::Ui,
    input: &PlateInput,
    analysis: Option<&Analysis>,
    raw: Option<&RawValues>,
    generation: u64,
    analysis_error: Option<&str>,
    selection: &std::collections::BTreeSet<WellId>,
    can_undo: Option<&str>,
    can_redo: Option<&str>,
    require_blanks: bool,
    form: &mut LayoutForm,
    drag: &mut Option<WellId>,
    commands: &mut Vec<Command>,
) {
    let layout = &input.layout;
    let unit = layout.unit.symbol();
    let selected: Vec<WellId> = selection.iter().copied().collect();
    if form.filled_for.0 != selected || form.filled_for.1 != generation {
        form.line = shared(layout, &selected, |w| w.line.clone())
            .flatten()
            .unwrap_or_default();
        form.drug = shared(layout, &selected, |w| w.drug.clone())
            .flatten()
            .unwrap_or_default();
        form.condition = shared(layout, &selected, |w| w.condition.clone())
            .flatten()
            .unwrap_or_default();
        form.concentration = shared(layout, &selected, |w| w.concentration)
            .flatten()
            .map(|c| format!("{c}"))
            .unwrap_or_default();
        form.filled_for = (selected.clone(), generation);
        form.concentration_error = None;
    }

    let tools_width = (ui.available_width() * 0.42).clamp(290.0, 370.0);
    egui::Panel::right("layout-tools")
        .resizable(true)
        .default_size(tools_width)
        .min_size(260.0)
        .show(ui, |ui| {
            // Keeps its size when the content is narrower (see the Analysis view's panels).
            ui.set_min_size(ui.available_size());
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.horizontal(|ui| {
                    if ui.add_enabled(can_undo.is_some(), egui::Button::new("↺ Undo")).on_hover_text(can_undo.map_or("Nothing to undo".into(), |l| format!("Undo {l} (Ctrl+Z)"))).clicked() {
                        commands.push(Command::Undo);
                    }
                    if ui.add_enabled(can_redo.is_some(), egui::Button::new("↻ Redo")).on_hover_text(can_redo.map_or("Nothing to redo".into(), |l| format!("Redo {l} (Ctrl+Shift+Z)"))).clicked() {
                        commands.push(Command::Redo);
                    }
                    ui.separator();
                    ui.label(format!("{} well(s) selected", selection.len()));
                    if !selection.is_empty() && ui.small_button("Clear").on_hover_text("Clear the selection").clicked() {
                        commands.push(Command::SelectWells(Vec::new(), SelectMode::Replace));
                    }
                });
                ui.separator();
                ui.label(RichText::new("Role of the selected wells").strong());
                ui.horizontal_wrapped(|ui| {
                    for role in WellRole::ALL {
                        let button = egui::Button::new(RichText::new(role_name(role)).color(widgets::text_on(role_color(role))))
                            .fill(role_color(role));
                        if ui.add(button).on_hover_text(format!("Mark the selected wells as {}", role.as_str())).clicked() {
                            commands.push(Command::EditWells(LayoutEdit::Role(role)));
                        }
                    }
                });
                ui.add_space(4.0);
                let (a, c) = text_row(ui, "Cell line", &mut form.line, "e.g. K562");
                if a {
                    commands.push(Command::EditWells(LayoutEdit::Line(nonempty(&form.line))));
                }
                if c {
                    commands.push(Command::EditWells(LayoutEdit::Line(None)));
                }
                let (a, c) = text_row(ui, "Drug", &mut form.drug, "e.g. flumatinib");
                if a {
                    commands.push(Command::EditWells(LayoutEdit::Drug(nonempty(&form.drug))));
                }
                if c {
                    commands.push(Command::EditWells(LayoutEdit::Drug(None)));
                }
                let (a, c) = text_row(ui, "Condition", &mut form.condition, "co-treatment");
                if a {
                    commands.push(Command::EditWells(LayoutEdit::Condition(nonempty(&form.condition))));
                }
                if c {
                    commands.push(Command::EditWells(LayoutEdit::Condition(None)));
                }
                let (a, c) = text_row(ui, &format!("Conc. ({unit})"), &mut form.concentration, "e.g. 5.5");
                if a {
                    match parse_number(&form.concentration) {
                        Some(v) if v >= 0.0 => {
                            form.concentration_error = None;
                            commands.push(Command::EditWells(LayoutEdit::Concentration(Some(v))));
                        }
                        _ if form.concentration.trim().is_empty() => {
                            form.concentration_error = Some("type a number, or use Clear to remove the concentration".into());
                        }
                        _ => {
                            form.concentration_error = Some(format!(
                                "“{}” is not a concentration: type a number ≥ 0 in {unit} (e.g. 5.5 or 0.05); nothing was changed",
                                form.concentration.trim()
                            ));
                        }
                    }
                }
                if c {
                    form.concentration_error = None;
                    commands.push(Command::EditWells(LayoutEdit::Concentration(None)));
                }
                // One line is always kept for the message, so nothing below it moves.
                let message = form.concentration_error.clone().unwrap_or_default();
                ui.add(
                    egui::Label::new(RichText::new(message.clone()).small().color(widgets::WARN)).truncate(),
                )
                .on_hover_text(message);
                ui.horizontal(|ui| {
                    let l = ui.add_sized([80.0, 20.0], egui::Label::new("Unit"));
                    let mut unit_value = layout.unit;
                    egui::ComboBox::from_id_salt("unit")
                        .selected_text(unit_value.symbol())
                        .show_ui(ui, |ui| {
                            for u in ConcentrationUnit::ALL {
                                ui.selectable_value(&mut unit_value, u, u.symbol());
                            }
                        })
                        .response
                        .labelled_by(l.id);
                    if unit_value != layout.unit {
                        commands.push(Command::SetUnit(unit_value));
                    }
                    ui.label(RichText::new("(whole plate)").small().weak());
                });

                ui.separator();
                ui.label(RichText::new("Dilution series").strong())
                    .on_hover_text("Writes the series into the selected wells, row by row (or column by column); the series repeats when a row holds more wells than steps.");
                egui::Grid::new("dilution").num_columns(2).spacing([8.0, 4.0]).show(ui, |ui| {
                    for (label, value) in [("Top", &mut form.top), ("Fold", &mut form.fold), ("Steps", &mut form.steps)] {
                        let l = ui.label(if label == "Top" { format!("Top ({unit})") } else { label.to_string() });
                        ui.add(egui::TextEdit::singleline(value).desired_width(80.0)).labelled_by(l.id);
                        ui.end_row();
                    }
                    ui.label("Direction");
                    ui.horizontal(|ui| {
                        ui.selectable_value(&mut form.direction, DilutionDirection::Decreasing, "highest first");
                        ui.selectable_value(&mut form.direction, DilutionDirection::Increasing, "lowest first");
                    });
                    ui.end_row();
                    ui.label("Runs");
                    ui.horizontal(|ui| {
                        ui.selectable_value(&mut form.axis, SeriesAxis::AlongRows, "along rows");
                        ui.selectable_value(&mut form.axis, SeriesAxis::AlongColumns, "down columns");
                    });
                    ui.end_row();
                });
                let spec = match (parse_number(&form.top), parse_number(&form.fold), form.steps.trim().parse::<usize>()) {
                    (Some(top), Some(fold), Ok(steps)) if top > 0.0 && fold > 1.0 && (1..=48).contains(&steps) => Some(DilutionSpec {
                        top,
                        fold,
                        steps,
                        direction: form.direction,
                        axis: form.axis,
                    }),
                    _ => None,
                };
                match spec {
                    Some(spec) => {
                        let series = crate::layout::dilution_series(spec.top, spec.fold, spec.steps, spec.direction);
                        let preview: Vec<String> = series.iter().map(|c| conc_short(*c)).collect();
                        ui.label(RichText::new(format!("{} {unit}", preview.join(", "))).small().weak());
                        let problem = super::app::series_problem(&selected, &spec);
                        if ui
                            .add_enabled(problem.is_none() && !selected.is_empty(), egui::Button::new("Apply series to selection"))
                            .clicked()
                        {
                            commands.push(Command::ApplyDilution(spec));
                        }
                        if let Some(problem) = problem {
                            ui.add(egui::Label::new(RichText::new(format!("⚠ {problem}")).small().color(widgets::WARN)).wrap());
                        }
                    }
                    None => {
                        ui.label(RichText::new("Top > 0, fold > 1 (e.g. 3 or √10), 1–48 steps").small().color(widgets::WARN));
                    }
                }

                ui.separator();
                ui.label(RichText::new("Template: two lines in triplicate").strong())
                    .on_hover_text("Rows B–D the parental line, E–G the resistant line; column 1 blank, column 2 vehicle, columns 3–12 a 10-step dilution; rows A and H empty.");
                template_form_ui(ui, form, commands);
                ui.separator();
                ui.horizontal(|ui| {
                    if ui.button("Import layout CSV…").on_hover_text("Read a plater-format layout").clicked() {
                        commands.push(Command::ImportLayoutDialog);
                    }
                    if ui.button("Export layout CSV…").on_hover_text("Write the layout in the plater format").clicked() {
                        commands.push(Command::ExportLayoutDialog);
                    }
                });
            });
        });

    egui::CentralPanel::default().show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Layout").strong());
            // Truncated: a long hint must not widen the panel past the window (the grid is
            // sized from the panel's width).
            let hint = "click, ctrl-click or drag to select; click a row/column header for the whole row/column; shift adds";
            ui.add(egui::Label::new(RichText::new(hint).small().weak()).truncate()).on_hover_text(hint);
        });
        // One line, always: a message never moves the grid under the pointer. The whole
        // text is on hover.
        let (message, color) = match (layout.validate(require_blanks), analysis_error) {
            (Err(e), _) => (format!("⚠ {e}"), widgets::WARN),
            (Ok(()), Some(error)) => (format!("⚠ Cannot analyse: {error}"), widgets::WARN),
            (Ok(()), None) => ("✔ layout is complete".to_string(), widgets::PASS),
        };
        ui.horizontal(|ui| {
            ui.checkbox(&mut form.show_od, format!("Show {} in the wells", raw.map_or("OD", |r| r.label.as_str())))
                .on_hover_text("The plate's readings instead of the concentrations, to see the data while painting the layout");
            ui.add(egui::Label::new(RichText::new(message.clone()).color(color)).truncate())
                .on_hover_text(message);
        });
        let excluded = &input.excluded;
        let show_od = form.show_od;
        let label = raw.map_or("OD", |r| r.label.as_str());
        let look = |well: WellId| {
            let raw_well = raw.and_then(|r| r.wells.get(&well)).map(|w| (label, w));
            cell_look(layout, well, unit, excluded.contains_key(&well), raw_well, show_od)
        };
        let size = egui::vec2(ui.available_width(), ui.available_height() - 70.0);
        let events = plate_grid_ui(ui, "layout", input.plate.shape, size, &look, &|w| selection.contains(&w), drag);
        for (wells, mode) in events.selection_changes(input.plate.shape) {
            commands.push(Command::SelectWells(wells, mode));
        }
        ui.horizontal_wrapped(|ui| {
            for role in WellRole::ALL {
                let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 2.0, role_color(role));
                ui.label(RichText::new(role_name(role)).small());
            }
            ui.label(RichText::new("· number = concentration").small().weak());
        });
        let mut lines: Vec<&str> = layout.wells.iter().filter_map(|w| w.line.as_deref()).collect();
        lines.sort_unstable();
        lines.dedup();
        if !lines.is_empty() {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("Left strip = cell line:").small());
                for line in lines {
                    let (rect, _) = ui.allocate_exact_size(egui::vec2(5.0, 12.0), egui::Sense::hover());
                    ui.painter().rect_filled(rect, 1.0, widgets::line_color(line_index(layout, line)));
                    ui.label(RichText::new(line).small());
                }
            });
        }
        if let Some(analysis) = analysis {
            let parts: Vec<String> = analysis
                .curves
                .iter()
                .map(|c| format!("{}: IC50 {}", c.dose_response.label, widgets::ic50_with_ci(&c.fit, analysis.settings.ci_method)))
                .chain(analysis.comparisons.iter().map(|c| match (c.ratio, &c.ratio_bound) {
                    (Some(r), _) => format!("RI {}", crate::report::format_number(r)),
                    (None, Some(bound)) => format!("RI {}", widgets::round_bound(bound)),
                    (None, None) => format!("RI not determined ({})", widgets::human_codes(&c.status)),
                }))
                .collect();
            ui.label(RichText::new(format!("Live: {}", parts.join(" · "))).small());
        }
    });
}
