//! The window: menu bar, start screen, experiment list and settings, the analysis view
//! (curves, plate, results), the layout editor and the comparison view, dialogs and the
//! status bar. [`App::ui`] draws it all, collects [`Command`]s and applies them.

use std::collections::BTreeMap;
use std::time::Duration;

use egui::{Color32, Key, KeyboardShortcut, Modifiers, RichText};

use crate::fit::CiMethod;
use crate::normalize::Normalization;
use crate::reads::{ReadChoice, ReferenceChoice};

use super::app::{App, Doc};
use super::command::{Command, ExportKind, Guarded, Tab};
use super::curve_plot::{PlottedPoint, curve_plot_ui};
use super::layout_editor::{LayoutForm, layout_editor_ui};
use super::plate_view::{PlateMode, plate_view_ui};
use super::widgets;

/// UI-only state: what is being typed, dragged or looked at. Not part of the project.
#[derive(Debug, Default)]
pub struct ViewState {
    /// Points of the curve plot as drawn last frame.
    pub plotted: Vec<PlottedPoint>,
    /// What the heat map shows.
    pub plate_mode: PlateMode,
    /// A drag in the heat map.
    pub heatmap_drag: Option<crate::plate::WellId>,
    /// A drag in the layout editor.
    pub layout_drag: Option<crate::plate::WellId>,
    /// The layout editor's text fields.
    pub layout_form: LayoutForm,
    /// Text of the fixed Top value, per experiment ([`Doc::id`]): what ticking Fix Top
    /// uses is the number typed for that experiment, never another's.
    pub fix_top: BTreeMap<u64, String>,
    /// Text of the fixed Bottom value, per experiment.
    pub fix_bottom: BTreeMap<u64, String>,
    /// The experiment name being edited, for which document.
    pub rename: Option<(u64, String)>,
    /// Window title last sent.
    pub title: String,
}

const SHORTCUT_UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
const SHORTCUT_REDO: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);
const SHORTCUT_REDO_Y: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
const SHORTCUT_SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
const SHORTCUT_OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);

impl App {
    /// Draws the whole window into `ui` and applies what the user did.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if self.first_frame.is_none() {
            self.first_frame = Some(self.started.elapsed());
            install_fonts(&ctx);
        }
        self.jobs.set_repaint(&ctx);
        while let Some(done) = self.jobs.try_recv() {
            self.apply(Command::AnalysisFinished(done));
        }
        let mut commands = Vec::new();
        self.input_commands(&ctx, &mut commands);

        let mut view = std::mem::take(&mut self.view);
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui, &mut commands));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui, &mut commands));
        if self.docs.is_empty() {
            egui::CentralPanel::default().show(ui, |ui| self.start_ui(ui, &mut commands));
        } else {
            egui::Panel::left("experiments")
                .resizable(true)
                .default_size(270.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        self.experiments_ui(ui, &mut view, &mut commands);
                        ui.separator();
                        self.settings_ui(ui, &mut view, &mut commands);
                    });
                });
            match self.tab {
                Tab::Analysis => self.analysis_tab_ui(ui, &mut view, &mut commands),
                Tab::Layout => self.layout_tab_ui(ui, &mut view, &mut commands),
                Tab::Compare => {
                    egui::CentralPanel::default().show(ui, |ui| {
                        let analyses: Vec<&crate::analysis::Analysis> = self
                            .docs
                            .iter()
                            .filter_map(|d| d.analysis.as_ref())
                            .collect();
                        super::experiments::compare_ui(ui, &analyses, self.active, &mut commands);
                    });
                }
            }
        }
        self.dialogs_ui(&ctx, &mut commands);
        self.drop_overlay(&ctx);
        let title = self.window_title();
        if title != view.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            view.title = title;
        }
        self.view = view;

        for command in commands {
            self.apply(command);
        }
        if let Some(text) = self.clipboard_out.take() {
            ctx.copy_text(text);
        }
        if self.close_now {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.is_busy() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        self.autosave_tick();
    }

    fn window_title(&self) -> String {
        let name = self
            .project_path
            .as_deref()
            .and_then(|p| p.file_name())
            .map_or_else(
                || "unsaved project".into(),
                |n| n.to_string_lossy().into_owned(),
            );
        if self.docs.is_empty() {
            "platefit".into()
        } else {
            format!("platefit — {name}{}", if self.dirty { " •" } else { "" })
        }
    }

    fn input_commands(&self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let typing = ctx.egui_wants_keyboard_input();
        ctx.input_mut(|i| {
            if !typing {
                if i.consume_shortcut(&SHORTCUT_REDO) || i.consume_shortcut(&SHORTCUT_REDO_Y) {
                    commands.push(Command::Redo);
                } else if i.consume_shortcut(&SHORTCUT_UNDO) {
                    commands.push(Command::Undo);
                }
            }
            if i.consume_shortcut(&SHORTCUT_SAVE) {
                commands.push(Command::Save);
            }
            if i.consume_shortcut(&SHORTCUT_OPEN) {
                commands.push(Command::OpenFilesDialog);
            }
        });
        let dropped: Vec<std::path::PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            commands.push(Command::OpenPaths {
                paths: dropped,
                layout: None,
            });
        }
        if ctx.input(|i| i.viewport().close_requested())
            && self.is_dirty()
            && self.pending.is_none()
            && !self.close_now
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            commands.push(Command::CloseRequested);
        }
    }

    fn drop_overlay(&self, ctx: &egui::Context) {
        let hovering = ctx.input(|i| !i.raw.hovered_files.is_empty());
        if hovering {
            let painter = ctx.layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("drop"),
            ));
            let rect = ctx.content_rect();
            painter.rect_filled(rect, 0.0, Color32::from_black_alpha(150));
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Drop plate files, a layout CSV or a .platefit project",
                egui::FontId::proportional(24.0),
                Color32::WHITE,
            );
        }
    }

    fn menu_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        egui::MenuBar::new().ui(ui, |ui| {
            // File, Edit, Export, then the views.
            ui.menu_button("File", |ui| {
                if ui.button("New project").clicked() {
                    commands.push(Command::NewProject);
                }
                if ui.button("Open plate files…  (Ctrl+O)").clicked() {
                    commands.push(Command::OpenFilesDialog);
                }
                if ui.button("Open project…").clicked() {
                    commands.push(Command::OpenProjectDialog);
                }
                if ui.button("Open sample experiment").clicked() {
                    commands.push(Command::OpenSample);
                }
                ui.separator();
                if ui
                    .add_enabled(
                        !self.docs.is_empty(),
                        egui::Button::new("Save project  (Ctrl+S)"),
                    )
                    .clicked()
                {
                    commands.push(Command::Save);
                }
                if ui
                    .add_enabled(!self.docs.is_empty(), egui::Button::new("Save project as…"))
                    .clicked()
                {
                    commands.push(Command::SaveAs);
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    commands.push(Command::CloseRequested);
                }
            });
            ui.menu_button("Edit", |ui| {
                let doc = self.active_doc();
                let undo = doc.and_then(Doc::undo_label);
                let redo = doc.and_then(Doc::redo_label);
                if ui
                    .add_enabled(
                        undo.is_some(),
                        egui::Button::new(format!("Undo {}  (Ctrl+Z)", undo.unwrap_or(""))),
                    )
                    .clicked()
                {
                    commands.push(Command::Undo);
                }
                if ui
                    .add_enabled(
                        redo.is_some(),
                        egui::Button::new(format!("Redo {}  (Ctrl+Shift+Z)", redo.unwrap_or(""))),
                    )
                    .clicked()
                {
                    commands.push(Command::Redo);
                }
                ui.separator();
                if ui
                    .add_enabled(
                        self.active_analysis().is_some(),
                        egui::Button::new("Copy results table"),
                    )
                    .clicked()
                {
                    commands.push(Command::CopyResults);
                }
            });
            ui.menu_button("Export", |ui| {
                let analysed = self.active_analysis().is_some();
                for kind in [
                    ExportKind::ReportPdf,
                    ExportKind::AllReportsPdf,
                    ExportKind::Workbook,
                    ExportKind::Prism,
                    ExportKind::Figures,
                ] {
                    if ui
                        .add_enabled(analysed, egui::Button::new(kind.menu_label()))
                        .clicked()
                    {
                        commands.push(Command::ExportDialog(kind));
                    }
                }
            });
            if !self.docs.is_empty() {
                ui.separator();
                for (tab, label) in [
                    (Tab::Analysis, "📈 Analysis"),
                    (Tab::Layout, "⊞ Layout"),
                    (Tab::Compare, "☰ Compare experiments"),
                ] {
                    if ui.selectable_label(self.tab == tab, label).clicked() {
                        commands.push(Command::SetTab(tab));
                    }
                }
            }
        });
    }

    fn status_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if self.is_busy() {
                ui.spinner();
                ui.label("analysing…");
            } else if let Some(elapsed) = self.active_doc().and_then(|d| d.elapsed) {
                ui.label(
                    RichText::new(format!(
                        "analysed in {:.0} ms",
                        elapsed.as_secs_f64() * 1000.0
                    ))
                    .small()
                    .weak(),
                );
            }
            if let Some(status) = &self.status {
                if ui
                    .small_button("×")
                    .on_hover_text("Dismiss message")
                    .clicked()
                {
                    commands.push(Command::DismissStatus);
                }
                let color = if status.is_error {
                    Color32::from_rgb(198, 40, 40)
                } else {
                    ui.visuals().text_color()
                };
                let prefix = if status.is_error { "⚠ " } else { "" };
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    ui.add(
                        egui::Label::new(
                            RichText::new(format!("{prefix}{}", status.text)).color(color),
                        )
                        .truncate(),
                    )
                    .on_hover_text(&status.text);
                });
            }
        });
    }

    fn start_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.vertical_centered(|ui| {
            ui.add_space((ui.available_height() * 0.12).min(90.0));
            ui.label(RichText::new("platefit").size(40.0).strong());
            ui.label(RichText::new("Cell-viability dose-response: plate-reader file › layout › % viability › 4PL fit › IC50 with 95% CI › resistance index").size(15.0));
            ui.add_space(24.0);
            if let Some(status) = self.status.as_ref().filter(|s| s.is_error) {
                egui::Frame::group(ui.style())
                    .fill(Color32::from_rgb(255, 235, 238))
                    .show(ui, |ui| {
                        ui.set_max_width(700.0);
                        ui.label(
                            RichText::new(format!("Could not open: {}", status.text))
                                .color(Color32::from_rgb(183, 28, 28)),
                        );
                    });
                ui.add_space(12.0);
            }
            if let Some(path) = &self.autosave_offer {
                egui::Frame::group(ui.style()).fill(Color32::from_rgb(255, 243, 224)).show(ui, |ui| {
                    ui.set_max_width(620.0);
                    ui.label(RichText::new("platefit did not close normally: unsaved work was autosaved.").strong().color(Color32::from_rgb(120, 60, 0)));
                    ui.label(RichText::new(path.display().to_string()).small().color(Color32::from_rgb(120, 60, 0)));
                    ui.horizontal(|ui| {
                        if ui.button("Restore autosaved work").clicked() {
                            commands.push(Command::RestoreAutosave);
                        }
                        if ui.button("Discard it").clicked() {
                            commands.push(Command::DiscardAutosave);
                        }
                    });
                });
                ui.add_space(16.0);
            }
            let big = |text: &str| egui::Button::new(RichText::new(text).size(17.0)).min_size(egui::vec2(300.0, 40.0));
            if ui.add(big("📂  Open plate files…")).on_hover_text("Reader exports (BioTek, Tecan, BMG, SoftMax, PerkinElmer, Thermo, CSV/XLSX grids) or a .platefit project").clicked() {
                commands.push(Command::OpenFilesDialog);
            }
            ui.add_space(6.0);
            if ui.add(big("🗁  Open project…")).clicked() {
                commands.push(Command::OpenProjectDialog);
            }
            ui.add_space(6.0);
            if ui.add(big("🔬  Open sample experiment")).on_hover_text("Flumatinib on K562 and the resistant K562/FLM, CCK-8 at 450 nm, 72 h").clicked() {
                commands.push(Command::OpenSample);
            }
            ui.add_space(14.0);
            ui.label(RichText::new("…or drop plate files, a layout CSV or a project onto this window. A layout named <plate>_layout.csv beside the plate file is used automatically.").weak());
            ui.add_space(20.0);
            if !self.recent.is_empty() {
                ui.label(RichText::new("Recent").strong());
                for path in self.recent.iter().take(8) {
                    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
                    let exists = path.exists();
                    let response = ui
                        .add_enabled(exists, egui::Button::new(name).frame(false))
                        .on_hover_text(path.display().to_string());
                    if response.clicked() {
                        commands.push(Command::OpenPaths {
                            paths: vec![path.clone()],
                            layout: None,
                        });
                    }
                }
            }
        });
    }

    fn experiments_ui(&self, ui: &mut egui::Ui, view: &mut ViewState, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Experiments").strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .small_button("+ Add…")
                    .on_hover_text("Add plate files as experiments")
                    .clicked()
                {
                    commands.push(Command::OpenFilesDialog);
                }
            });
        });
        for (i, doc) in self.docs.iter().enumerate() {
            ui.horizontal(|ui| {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                ui.painter()
                    .rect_filled(rect, 2.0, widgets::experiment_color(i));
                let mut text = RichText::new(&doc.experiment.name);
                if doc.error.is_some() {
                    text = text.color(widgets::WARN);
                }
                let response = ui.selectable_label(i == self.active, text).on_hover_text(
                    doc.experiment
                        .plates
                        .iter()
                        .map(|p| format!("{} ({})", p.file, p.format))
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                if response.clicked() {
                    commands.push(Command::SelectExperiment(i));
                }
                response.context_menu(|ui| {
                    if ui.button("Remove from project").clicked() {
                        commands.push(Command::RemoveExperiment(i));
                    }
                });
            });
        }
        if let Some(doc) = self.active_doc() {
            let buffer = match &mut view.rename {
                Some((id, text)) if *id == doc.id => text,
                slot => {
                    *slot = Some((doc.id, doc.experiment.name.clone()));
                    &mut slot.get_or_insert_with(|| (doc.id, String::new())).1
                }
            };
            ui.horizontal(|ui| {
                let l = ui.label("Name");
                let edit = ui
                    .add(egui::TextEdit::singleline(buffer).desired_width(180.0))
                    .labelled_by(l.id);
                if edit.lost_focus() && *buffer != doc.experiment.name {
                    commands.push(Command::RenameExperiment {
                        doc: doc.id,
                        name: buffer.clone(),
                    });
                }
            });
            if doc.experiment.plates.len() > 1 {
                ui.horizontal_wrapped(|ui| {
                    ui.label("Plate");
                    for (p, plate) in doc.experiment.plates.iter().enumerate() {
                        if ui
                            .selectable_label(p == self.active_plate, &plate.plate.name)
                            .clicked()
                        {
                            commands.push(Command::SelectPlate(p));
                        }
                    }
                });
            }
            if let Some(input) = doc.experiment.plates.get(self.active_plate)
                && !input.excluded.is_empty()
            {
                ui.collapsing(format!("Excluded wells ({})", input.excluded.len()), |ui| {
                    for (well, reason) in &input.excluded {
                        ui.horizontal(|ui| {
                            if ui
                                .small_button("include")
                                .on_hover_text(format!("Include {well} again"))
                                .clicked()
                            {
                                commands.push(Command::ToggleExclude {
                                    plate: self.active_plate,
                                    well: *well,
                                    reason: String::new(),
                                });
                            }
                            ui.label(RichText::new(format!("{well}: {reason}")).small());
                        });
                    }
                });
            }
        }
    }

    #[allow(clippy::too_many_lines)]
    fn settings_ui(&self, ui: &mut egui::Ui, view: &mut ViewState, commands: &mut Vec<Command>) {
        let Some(doc) = self.active_doc() else {
            return;
        };
        let current = &doc.experiment.settings;
        let mut s = current.clone();
        ui.label(RichText::new("Settings (saved with the experiment)").strong());
        let reads: Vec<(String, Option<f64>)> = doc
            .experiment
            .plates
            .first()
            .map(|p| {
                p.plate
                    .reads
                    .iter()
                    .map(|r| (r.label.clone(), r.wavelength_nm))
                    .collect()
            })
            .unwrap_or_default();
        let analysed = doc.analysis.as_ref().and_then(|a| a.plates.first());
        egui::Grid::new("settings-grid")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let l = ui.label("Read");
                let read_text = match &s.read {
                    ReadChoice::Auto => {
                        format!("auto ({})", analysed.map_or("—", |p| p.read_label.as_str()))
                    }
                    ReadChoice::Label(l) => l.clone(),
                };
                egui::ComboBox::from_id_salt("read")
                    .selected_text(read_text)
                    .width(150.0)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(
                            &mut s.read,
                            ReadChoice::Auto,
                            "auto (difference read, else 450 nm)",
                        );
                        for (label, _) in &reads {
                            ui.selectable_value(
                                &mut s.read,
                                ReadChoice::Label(label.clone()),
                                label,
                            );
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Reference");
                let reference_text = match &s.reference_read {
                    ReferenceChoice::Auto => format!(
                        "auto ({})",
                        analysed
                            .and_then(|p| p.reference_label.as_deref())
                            .unwrap_or("none")
                    ),
                    ReferenceChoice::None => "none".into(),
                    ReferenceChoice::Label(l) => l.clone(),
                };
                egui::ComboBox::from_id_salt("reference")
                    .selected_text(reference_text)
                    .width(150.0)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(
                            &mut s.reference_read,
                            ReferenceChoice::Auto,
                            "auto (600–700 nm read)",
                        );
                        ui.selectable_value(&mut s.reference_read, ReferenceChoice::None, "none");
                        for (label, _) in &reads {
                            ui.selectable_value(
                                &mut s.reference_read,
                                ReferenceChoice::Label(label.clone()),
                                label,
                            );
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Normalize");
                egui::ComboBox::from_id_salt("normalization")
                    .selected_text(match s.normalization {
                        Normalization::PercentOfVehicle => "% of vehicle",
                        Normalization::TwoControl => "two controls",
                        Normalization::None => "none (OD)",
                    })
                    .width(150.0)
                    .show_ui(ui, |ui| {
                        for n in Normalization::ALL {
                            ui.selectable_value(&mut s.normalization, n, n.describe());
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label("IC50 CI");
                egui::ComboBox::from_id_salt("ci")
                    .selected_text(match s.ci_method {
                        CiMethod::WaldLog => "Wald, log scale",
                        CiMethod::Delta => "delta method",
                        CiMethod::Profile => "profile likelihood",
                    })
                    .width(150.0)
                    .show_ui(ui, |ui| {
                        for m in CiMethod::ALL {
                            ui.selectable_value(&mut s.ci_method, m, m.describe());
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
            });
        ui.checkbox(&mut s.vehicle_as_dose_zero, "Vehicle wells as dose-zero points")
            .on_hover_text("As drc does: the vehicle wells enter the fit at concentration 0 and pin the Top plateau.");
        ui.checkbox(&mut s.require_blanks, "Plate has blank wells")
            .on_hover_text("Untick for the explicit \"no blank\" choice: nothing is subtracted.");
        fix_row(
            ui,
            (doc.id, "Fix Top at"),
            &mut s.fix_top,
            view.fix_top.entry(doc.id).or_default(),
            100.0,
        );
        fix_row(
            ui,
            (doc.id, "Fix Bottom at"),
            &mut s.fix_bottom,
            view.fix_bottom.entry(doc.id).or_default(),
            0.0,
        );
        if s != *current {
            commands.push(Command::SetSettings {
                doc: doc.id,
                settings: s,
            });
        }
        if self.docs.len() > 1
            && ui
                .button("Use these settings for all experiments")
                .clicked()
        {
            commands.push(Command::SettingsToAll);
        }
    }

    fn analysis_tab_ui(
        &self,
        ui: &mut egui::Ui,
        view: &mut ViewState,
        commands: &mut Vec<Command>,
    ) {
        let Some(doc) = self.active_doc() else {
            return;
        };
        let experiment = &doc.experiment;
        let height = ui.available_height();
        egui::Panel::bottom("results")
            .resizable(true)
            .default_size((height * 0.36).clamp(200.0, 420.0))
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("results-v")
                    .show(ui, |ui| {
                        if let Some(error) = &doc.error {
                            error_banner(ui, error, doc.analysis.is_some());
                        }
                        match &doc.analysis {
                            Some(analysis) => super::results_view::results_ui(
                                ui,
                                analysis,
                                !doc.is_current() && doc.error.is_none(),
                                commands,
                            ),
                            None if doc.error.is_none() => {
                                ui.horizontal(|ui| {
                                    ui.spinner();
                                    ui.label("Analysing…");
                                });
                            }
                            None => {}
                        }
                    });
            });
        let width = ui.available_width();
        egui::Panel::right("plate")
            .resizable(true)
            .default_size((width * 0.38).clamp(300.0, 560.0))
            .show(ui, |ui| {
                if let Some(input) = experiment.plates.get(self.active_plate) {
                    let unit = input.layout.unit.symbol();
                    let plate = doc
                        .analysis
                        .as_ref()
                        .and_then(|a| a.plates.get(self.active_plate));
                    plate_view_ui(
                        ui,
                        input,
                        plate,
                        self.active_plate,
                        unit,
                        &self.selection,
                        view,
                        commands,
                    );
                    if let Some(analysis) = &doc.analysis {
                        ui.separator();
                        super::results_view::qc_ui(ui, analysis);
                    }
                }
            });
        egui::CentralPanel::default().show(ui, |ui| {
            // Wrapped, so that a narrow window moves the hint to a second line instead of
            // widening the panel under the plate view.
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(&experiment.name).strong().size(16.0));
                ui.separator();
                let mut means = self.show_means;
                ui.selectable_value(&mut means, false, "Replicates");
                ui.selectable_value(&mut means, true, "Mean ± SD");
                if means != self.show_means {
                    commands.push(Command::SetShowMeans(means));
                }
                ui.label(
                    RichText::new("click a point to exclude / include it")
                        .small()
                        .weak(),
                );
            });
            match &doc.analysis {
                Some(analysis) => {
                    let mut plotted = std::mem::take(&mut view.plotted);
                    curve_plot_ui(
                        ui,
                        experiment,
                        analysis,
                        self.show_means,
                        &mut plotted,
                        commands,
                    );
                    view.plotted = plotted;
                }
                None => {
                    ui.label("No curves yet.");
                }
            }
        });
    }

    fn layout_tab_ui(&self, ui: &mut egui::Ui, view: &mut ViewState, commands: &mut Vec<Command>) {
        let Some(doc) = self.active_doc() else {
            return;
        };
        let Some(input) = doc.experiment.plates.get(self.active_plate) else {
            return;
        };
        if let Some(error) = &doc.error {
            egui::Panel::top("layout-error")
                .show(ui, |ui| error_banner(ui, error, doc.analysis.is_some()));
        }
        layout_editor_ui(
            ui,
            input,
            doc.analysis.as_ref(),
            &self.selection,
            doc.undo_label(),
            doc.redo_label(),
            doc.experiment.settings.require_blanks,
            &mut view.layout_form,
            &mut view.layout_drag,
            commands,
        );
    }

    fn dialogs_ui(&self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some(action) = &self.pending else {
            return;
        };
        let what = match action {
            Guarded::OpenProject(path) => format!("open {}", path.display()),
            Guarded::NewProject => "start a new project".into(),
            Guarded::Quit => "quit".into(),
        };
        let modal = egui::Modal::new(egui::Id::unique("confirm-discard")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.label(RichText::new("Unsaved changes").strong().size(17.0));
            ui.label(format!(
                "The project has changes that are not saved. Save them before you {what}?"
            ));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Save…").clicked() {
                    commands.push(Command::SaveThen(action.clone()));
                }
                if ui.button("Discard changes").clicked() {
                    commands.push(Command::Confirmed(action.clone()));
                }
                if ui.button("Cancel").clicked() {
                    commands.push(Command::Cancelled);
                }
            });
        });
        if modal.should_close() && commands.is_empty() {
            commands.push(Command::Cancelled);
        }
    }
}

/// The default fonts, with the monospace font as a fallback for proportional text: it
/// has the arrows, primes and math signs (`→`, `Z′`, `∈`) used in messages.
fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    if fonts.font_data.contains_key("Hack")
        && let Some(list) = fonts.families.get_mut(&egui::FontFamily::Proportional)
        && !list.iter().any(|f| f == "Hack")
    {
        list.push("Hack".into());
    }
    ctx.set_fonts(fonts);
}

fn error_banner(ui: &mut egui::Ui, error: &str, has_previous: bool) {
    egui::Frame::new()
        .fill(Color32::from_rgb(255, 235, 238))
        .inner_margin(6.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!("⚠ Cannot analyse: {error}"))
                    .color(Color32::from_rgb(183, 28, 28))
                    .strong(),
            );
            if has_previous {
                ui.label(
                    RichText::new(
                        "The numbers shown are from the last state that could be analysed.",
                    )
                    .color(Color32::from_rgb(183, 28, 28)),
                );
            }
        });
}

/// A "fix at" checkbox with its value.
/// A "Fix … at" checkbox with its number field, for the experiment `key.0`; `text` is
/// that experiment's own field text.
fn fix_row(
    ui: &mut egui::Ui,
    key: (u64, &str),
    value: &mut Option<f64>,
    text: &mut String,
    default: f64,
) {
    // The field shows the value in use unless the user is typing in it: the value can
    // change under it (undo, an opened project).
    let label = key.1;
    let id = ui.make_persistent_id(("fix", key));
    let typing = ui.memory(|m| m.has_focus(id));
    let shown = text.trim().parse::<f64>().ok();
    if text.is_empty() || (!typing && value.is_some() && shown != *value) {
        *text = format!("{}", value.unwrap_or(default));
    }
    ui.horizontal(|ui| {
        let mut on = value.is_some();
        let checkbox = ui.checkbox(&mut on, label);
        if checkbox.changed() {
            *value = on.then(|| {
                text.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .unwrap_or(default)
            });
        }
        let edit = ui
            .add_enabled(
                on,
                egui::TextEdit::singleline(text).id(id).desired_width(60.0),
            )
            .labelled_by(checkbox.id);
        if on && edit.lost_focus() {
            if let Ok(v) = text.trim().parse::<f64>()
                && v.is_finite()
            {
                *value = Some(v);
            } else {
                *text = format!("{}", value.unwrap_or(default));
            }
        }
    });
}
