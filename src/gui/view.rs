//! The window: menu bar, start screen, experiment list and settings, the analysis view
//! (curves, plate, results), the layout editor and the comparison view, dialogs and the
//! status bar. [`App::ui`] draws it all, collects [`Command`]s and applies them.

use std::collections::BTreeMap;
use std::time::Duration;

use egui::{Color32, Key, KeyboardShortcut, Modifiers, RichText};

use crate::fit::{CiMethod, FitChoices, FitMethod, Model, ModelChoice, OutlierChoice, Weighting};
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
    /// The message log window is open.
    pub show_log: bool,
    /// The About window is open.
    pub show_about: bool,
}

const SHORTCUT_UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
const SHORTCUT_REDO: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);
const SHORTCUT_REDO_Y: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
const SHORTCUT_SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
const SHORTCUT_OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
/// Copy the table of the view shown (Ctrl+C stays with text fields and selections).
pub const SHORTCUT_COPY_TABLE: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::C);

impl App {
    /// Draws the whole window into `ui` and applies what the user did.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if self.first_frame.is_none() {
            self.first_frame = Some(self.started.elapsed());
            install_fonts(&ctx);
        }
        self.jobs.set_repaint(&ctx);
        self.library_jobs.set_repaint(&ctx);
        while let Some(done) = self.jobs.try_recv() {
            self.apply(Command::AnalysisFinished(done));
        }
        let mut commands = Vec::new();
        self.input_commands(&ctx, &mut commands);

        let mut view = std::mem::take(&mut self.view);
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui, &mut view, &mut commands));
        // A fixed height: its right-to-left row fills whatever height the bar had in its
        // first frame, which differed with how the project was opened and moved the panels
        // above it.
        let status_height = ui.spacing().interact_size.y + 8.0;
        egui::Panel::bottom("status")
            .exact_size(status_height)
            .show(ui, |ui| self.status_ui(ui, &mut view, &mut commands));
        if self.tab == Tab::Library {
            self.library_ui(ui, &mut commands);
        } else if self.docs.is_empty() {
            egui::CentralPanel::default().show(ui, |ui| self.start_ui(ui, &mut commands));
        } else {
            // Narrow windows (down to the 900-point minimum) give the views more room.
            let window_width = ctx.content_rect().width();
            egui::Panel::left("experiments")
                .resizable(true)
                .default_size((window_width * 0.2).clamp(200.0, 270.0))
                .min_size(160.0)
                .show(ui, |ui| {
                    // The panel keeps its size: content smaller than the panel must not shrink it
                    // (egui stores a resizable panel's size from what its content used).
                    ui.set_min_size(ui.available_size());
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        self.experiments_ui(ui, &mut view, &mut commands);
                        ui.separator();
                        self.settings_ui(ui, &mut view, &mut commands);
                    });
                });
            match self.tab {
                Tab::Analysis | Tab::Library => {
                    self.analysis_tab_ui(ui, &mut view, &mut commands);
                }
                Tab::Layout => self.layout_tab_ui(ui, &mut view, &mut commands),
                Tab::Compare => {
                    egui::CentralPanel::default().show(ui, |ui| {
                        let mut analyses = Vec::new();
                        let mut docs = Vec::new();
                        let mut colors = Vec::new();
                        for (i, d) in self.docs.iter().enumerate() {
                            if let Some(a) = &d.analysis {
                                analyses.push(a);
                                docs.push(i);
                                colors.push(widgets::experiment_color(d.color));
                            }
                        }
                        super::experiments::compare_ui(
                            ui,
                            &analyses,
                            &docs,
                            &colors,
                            self.active,
                            &mut commands,
                        );
                    });
                }
            }
        }
        self.dialogs_ui(&ctx, &mut commands);
        self.remove_dialog_ui(&ctx, &mut commands);
        self.log_window(&ctx, &mut view);
        self.about_window(&ctx, &mut view);
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
            ctx.copy_text(text.clone());
            self.last_copied = Some(text);
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
            if !self.docs.is_empty() && i.consume_shortcut(&SHORTCUT_COPY_TABLE) {
                commands.push(if self.tab == Tab::Compare {
                    Command::CopyComparison
                } else {
                    Command::CopyResults
                });
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

    fn menu_ui(&self, ui: &mut egui::Ui, view: &mut ViewState, commands: &mut Vec<Command>) {
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
                if ui
                    .add_enabled(
                        !self.docs.is_empty(),
                        egui::Button::new("Add plate files or a project to this project…"),
                    )
                    .clicked()
                {
                    commands.push(Command::AddFilesDialog);
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
                if ui
                    .add_enabled(
                        self.active_analysis().is_some(),
                        egui::Button::new("Add this experiment to the library…"),
                    )
                    .clicked()
                {
                    commands.push(Command::SetTab(Tab::Library));
                    commands.push(Command::Library(
                        super::library_view::LibraryCommand::AddDialog,
                    ));
                }
                if ui.button("Lab library").clicked() {
                    commands.push(Command::SetTab(Tab::Library));
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    commands.push(Command::CloseRequested);
                }
            });
            ui.menu_button("Edit", |ui| {
                let doc = self.active_doc();
                let undo = self.undo_label();
                let redo = doc.and_then(Doc::redo_label);
                if ui
                    .add_enabled(
                        undo.is_some(),
                        egui::Button::new(format!(
                            "Undo {}  (Ctrl+Z)",
                            undo.as_deref().unwrap_or("")
                        )),
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
                let (copy, command) = if self.tab == Tab::Compare {
                    ("Copy comparison table", Command::CopyComparison)
                } else {
                    ("Copy results table", Command::CopyResults)
                };
                if ui
                    .add_enabled(
                        self.active_analysis().is_some(),
                        egui::Button::new(copy).shortcut_text("Ctrl+Shift+C"),
                    )
                    .on_hover_text("Tab-separated text on the system clipboard: paste into Excel, Prism or a text editor")
                    .clicked()
                {
                    commands.push(command);
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
            ui.menu_button("Help", |ui| {
                if ui.button("About platefit").clicked() {
                    view.show_about = true;
                }
                if ui.button("Messages of this session").clicked() {
                    view.show_log = true;
                }
            });
            ui.separator();
            let tabs: &[(Tab, &str)] = if self.docs.is_empty() {
                &[(Tab::Analysis, "🏠 Start"), (Tab::Library, "📚 Library")]
            } else {
                &[
                    (Tab::Analysis, "📈 Analysis"),
                    (Tab::Layout, "⊞ Layout"),
                    (Tab::Compare, "☰ Compare experiments"),
                    (Tab::Library, "📚 Library"),
                ]
            };
            for (tab, label) in tabs {
                if ui.selectable_label(self.tab == *tab, *label).clicked() {
                    commands.push(Command::SetTab(*tab));
                }
            }
        });
    }

    fn status_ui(&self, ui: &mut egui::Ui, view: &mut ViewState, commands: &mut Vec<Command>) {
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
            if !self.log.is_empty()
                && ui
                    .small_button(format!("Messages ({})", self.log.len()))
                    .on_hover_text("Every message of this session, in full")
                    .clicked()
            {
                view.show_log = !view.show_log;
            }
            if let Some(status) = self.visible_status() {
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
                // Repaint when it expires, so it disappears without input.
                ui.ctx()
                    .request_repaint_after(status.lifetime().saturating_sub(status.at.elapsed()));
            }
        });
    }

    /// Help › About: version, licence, how to cite, where the app keeps its files.
    fn about_window(&self, ctx: &egui::Context, view: &mut ViewState) {
        if !view.show_about {
            return;
        }
        let mut open = view.show_about;
        egui::Window::new("About platefit")
            .open(&mut open)
            .collapsible(false)
            .default_width(520.0)
            .show(ctx, |ui| {
                for line in about_lines(self.data_dir()) {
                    match line {
                        AboutLine::Heading(t) => {
                            ui.add_space(4.0);
                            ui.label(RichText::new(t).strong());
                        }
                        AboutLine::Text(t) => {
                            ui.add(egui::Label::new(t).wrap().selectable(true));
                        }
                    }
                }
            });
        view.show_about = open;
    }

    /// The message log: every message of the session, newest first, selectable.
    fn log_window(&self, ctx: &egui::Context, view: &mut ViewState) {
        if !view.show_log {
            return;
        }
        let mut open = true;
        egui::Window::new("Messages")
            .open(&mut open)
            .default_size([560.0, 300.0])
            .show(ctx, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let now = std::time::Instant::now();
                    for status in self.log.iter().rev() {
                        let ago = now.duration_since(status.at).as_secs();
                        let about = status
                            .doc
                            .and_then(|id| self.docs.iter().find(|d| d.id == id))
                            .map(|d| format!(" [{}]", d.experiment.name))
                            .unwrap_or_default();
                        let text = format!(
                            "{}{} s ago{about}: {}",
                            if status.is_error { "⚠ " } else { "" },
                            ago,
                            status.text
                        );
                        let mut rich = RichText::new(text);
                        if status.is_error {
                            rich = rich.color(Color32::from_rgb(198, 40, 40));
                        }
                        ui.add(egui::Label::new(rich).wrap().selectable(true));
                        ui.separator();
                    }
                });
            });
        if !open {
            view.show_log = false;
        }
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
            ui.add_space(6.0);
            if ui.add(big("📚  Lab library")).on_hover_text("Experiments across plates and months: filter, compare, study statistics (RI/RF across experiments), trends and control charts").clicked() {
                commands.push(Command::SetTab(Tab::Library));
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
                    .on_hover_text("Add plate files, or the experiments of a .platefit project, to this project")
                    .clicked()
                {
                    commands.push(Command::AddFilesDialog);
                }
            });
        });
        for (i, doc) in self.docs.iter().enumerate() {
            ui.horizontal(|ui| {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                ui.painter()
                    .rect_filled(rect, 2.0, widgets::experiment_color(doc.color));
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
                    if ui.button("Remove from project…").clicked() {
                        commands.push(Command::RemoveExperiment(i));
                    }
                });
                if i == self.active {
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui
                            .small_button("🗑")
                            .on_hover_text(format!(
                                "Remove {} from the project…",
                                doc.experiment.name
                            ))
                            .clicked()
                        {
                            commands.push(Command::RemoveExperiment(i));
                        }
                    });
                }
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
                analysis_choices_ui(ui, &mut s.choices);
            });
        // The robust fit is unweighted and there is no robust 5PL: the box is offered only
        // where it can be honoured (and a choice that rules it out clears it).
        let robust_possible = s.choices.weighting == Weighting::None
            && !matches!(
                s.choices.model,
                ModelChoice::Fixed(Model::FivePl) | ModelChoice::AutoWithFivePl
            );
        if !robust_possible && s.choices.outliers.q().is_none() {
            s.choices.method = FitMethod::LeastSquares;
        }
        if s.choices.outliers.q().is_none() && robust_possible {
            let mut robust = s.choices.method == FitMethod::Robust;
            if ui
                .checkbox(&mut robust, "Robust fit (no outlier removed)")
                .on_hover_text("Prism's robust fit: the Lorentzian merit function Σ ln(1 + (r/RSDR)²) instead of least squares; outliers weigh little, none is removed. ROUT uses it to find outliers.")
                .changed()
            {
                s.choices.method = if robust {
                    FitMethod::Robust
                } else {
                    FitMethod::LeastSquares
                };
            }
        }
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
        let input = experiment.plates.get(self.active_plate);
        let has_layout = input.is_some_and(|i| has_layout(&i.layout));
        let raw = input.and_then(|i| super::raw::raw_values(i, &experiment.settings));
        // Default sizes from the window, not from the space left in this frame: that
        // depends on the status bar's height in the frame the panel first appears, so a
        // project opened from Recent would get other panel sizes than from the command line.
        let height = ui.ctx().content_rect().height();
        if has_layout {
            egui::Panel::bottom("results")
                .resizable(true)
                .default_size((height * 0.26).clamp(150.0, 420.0))
                .show(ui, |ui| {
                    // The panel keeps its size: content smaller than the panel must not shrink it
                    // (egui stores a resizable panel's size from what its content used).
                    ui.set_min_size(ui.available_size());
                    egui::ScrollArea::vertical()
                        .id_salt("results-v")
                        .show(ui, |ui| match &doc.analysis {
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
                            None => {
                                ui.label("No results: the layout cannot be analysed yet (see above the plot).");
                            }
                        });
                });
        }
        let width = ui.available_width();
        egui::Panel::right("plate")
            .resizable(true)
            .default_size((width * 0.38).clamp(300.0, 560.0))
            .show(ui, |ui| {
                // The panel keeps its size: content smaller than the panel must not shrink it
                // (egui stores a resizable panel's size from what its content used).
                ui.set_min_size(ui.available_size());
                egui::ScrollArea::vertical()
                    .id_salt("plate-v")
                    .show(ui, |ui| {
                        if let Some(input) = input {
                            let unit = input.layout.unit.symbol();
                            let plate = doc
                                .analysis
                                .as_ref()
                                .filter(|_| has_layout)
                                .and_then(|a| a.plates.get(self.active_plate));
                            plate_view_ui(
                                ui,
                                input,
                                plate,
                                raw.as_ref(),
                                self.active_plate,
                                unit,
                                &self.selection,
                                view,
                                commands,
                            );
                            if let Some(analysis) = doc.analysis.as_ref().filter(|_| has_layout) {
                                ui.separator();
                                super::results_view::qc_ui(ui, analysis, commands);
                            }
                        }
                    });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if !has_layout {
                no_layout_ui(ui, raw.as_ref(), view, commands);
                return;
            }
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
            if let Some(error) = &doc.error {
                error_banner(ui, error, doc.analysis.is_some());
            }
            if let Some(analysis) = &doc.analysis {
                curve_problems_ui(ui, analysis);
            }
            match &doc.analysis {
                Some(analysis) => {
                    if analysis.curves.iter().any(|c| {
                        c.fit
                            .diagnostics
                            .as_ref()
                            .is_some_and(|d| !d.residuals.is_empty())
                    }) {
                        let height = ui.available_height();
                        egui::Panel::bottom("residual-plot")
                            .resizable(true)
                            .default_size((height * 0.25).clamp(90.0, 220.0))
                            .show(ui, |ui| {
                                ui.set_min_size(ui.available_size());
                                super::curve_plot::residual_plot_ui(ui, analysis);
                            });
                    }
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
                None if doc.error.is_some() => {
                    ui.label("Fix the layout in the Layout tab; the curves appear as soon as it can be analysed.");
                }
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Analysing…");
                    });
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
        let raw = super::raw::raw_values(input, &doc.experiment.settings);
        let analysis_error = doc.error.as_deref().filter(|_| has_layout(&input.layout));
        layout_editor_ui(
            ui,
            input,
            doc.analysis.as_ref(),
            raw.as_ref(),
            doc.generation,
            analysis_error,
            &self.selection,
            doc.undo_label(),
            doc.redo_label(),
            doc.experiment.settings.require_blanks,
            &mut view.layout_form,
            &mut view.layout_drag,
            commands,
        );
    }

    fn remove_dialog_ui(&self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some(doc) = self
            .pending_remove
            .and_then(|id| self.docs.iter().find(|d| d.id == id))
        else {
            return;
        };
        let modal = egui::Modal::new(egui::Id::unique("confirm-remove")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.label(RichText::new("Remove experiment").strong().size(17.0));
            ui.label(format!(
                "Remove “{}” from the project? Its plate file stays on disk; Edit › Undo (Ctrl+Z) brings it back.",
                doc.experiment.name
            ));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Remove").clicked() {
                    commands.push(Command::ConfirmRemove(doc.id));
                }
                if ui.button("Keep it").clicked() {
                    commands.push(Command::CancelRemove);
                }
            });
        });
        if modal.should_close() && commands.is_empty() {
            commands.push(Command::CancelRemove);
        }
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

/// One line of the About window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AboutLine {
    /// A heading.
    Heading(String),
    /// Selectable text.
    Text(String),
}

/// What the About window says: version, licence, citation, file locations.
#[must_use]
pub fn about_lines(data_dir: Option<&std::path::Path>) -> Vec<AboutLine> {
    let version = env!("CARGO_PKG_VERSION");
    let mut lines = vec![
        AboutLine::Heading(format!("platefit {version}")),
        AboutLine::Text(env!("CARGO_PKG_DESCRIPTION").to_string()),
        AboutLine::Heading("Licence".into()),
        AboutLine::Text(format!(
            "{} (either, at your option). No warranty.",
            env!("CARGO_PKG_LICENSE").replace(" OR ", " or ")
        )),
        AboutLine::Heading("How to cite".into()),
        AboutLine::Text(format!(
            "Dose-response curves were fitted with platefit {version} (four-parameter log-logistic model, as drc LL.4 / GraphPad Prism “log(inhibitor) vs. response — variable slope”); the PDF report’s Methods paragraph gives the settings used."
        )),
        AboutLine::Heading("Where platefit keeps its files".into()),
    ];
    match data_dir {
        Some(dir) => {
            lines.push(AboutLine::Text(format!("folder: {}", dir.display())));
            for (what, name) in [
                ("autosave of unsaved work", "autosave.platefit"),
                ("recent files", "recent.json"),
                ("log (warnings and errors)", super::LOG_FILE),
            ] {
                lines.push(AboutLine::Text(format!(
                    "{what}: {}",
                    dir.join(name).display()
                )));
            }
        }
        None => lines.push(AboutLine::Text(
            "no data folder (HOME and XDG_DATA_HOME are unset): no autosave, recent files or log"
                .into(),
        )),
    }
    lines
}

/// Why curves have no points, said where the plot is (not only in a tooltip): one line
/// per distinct reason, naming the curves.
fn curve_problems_ui(ui: &mut egui::Ui, analysis: &crate::analysis::Analysis) {
    let mut reasons: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for curve in &analysis.curves {
        if let Some(problem) = &curve.problem {
            reasons
                .entry(problem.as_str())
                .or_default()
                .push(curve.dose_response.label.as_str());
        }
    }
    for (problem, curves) in reasons {
        let mut text = format!("⚠ {}: {problem}", curves.join(", "));
        if problem.contains("positive-control") {
            text.push_str(" — mark the 0 % (kill) control wells as “positive” in the Layout tab, or choose Normalize: “% of vehicle”");
        }
        egui::Frame::new()
            .fill(Color32::from_rgb(255, 243, 224))
            .inner_margin(6.0)
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.add(
                    egui::Label::new(RichText::new(text).color(Color32::from_rgb(120, 60, 0)))
                        .wrap(),
                );
            });
    }
}

/// Whether a layout says anything (a plate opened without one has every well empty).
#[must_use]
pub fn has_layout(layout: &crate::layout::Layout) -> bool {
    layout
        .wells
        .iter()
        .any(|w| w.role != crate::layout::WellRole::Empty)
}

/// The Analysis view of a plate without a layout: what is shown, and the three ways to
/// give it one. Nothing is invented: the template takes the names the user types.
fn no_layout_ui(
    ui: &mut egui::Ui,
    raw: Option<&super::raw::RawValues>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    egui::ScrollArea::vertical().id_salt("no-layout").show(ui, |ui| {
        ui.label(RichText::new("No layout yet").strong().size(18.0));
        ui.label(format!(
            "The plate on the right shows its readings ({}). To fit curves, platefit needs to know which wells are blanks, vehicle controls and which concentrations and cell lines sit where.",
            raw.map_or("OD", |r| r.label.as_str())
        ));
        ui.add_space(10.0);
        if ui
            .button("⊞ Paint the layout…")
            .on_hover_text("Open the Layout view: select wells and set role, line, drug and concentration")
            .clicked()
        {
            commands.push(Command::SetTab(Tab::Layout));
        }
        ui.add_space(6.0);
        if ui
            .button("Import a layout CSV (plater format)…")
            .clicked()
        {
            commands.push(Command::ImportLayoutDialog);
        }
        ui.add_space(10.0);
        ui.label(RichText::new("Or apply the standard template with your names").strong())
            .on_hover_text("Rows B–D the parental line, E–G the resistant line; column 1 blank, column 2 vehicle, columns 3–12 a 10-step dilution; rows A and H empty.");
        ui.label(
            RichText::new("rows B–D and E–G: the two lines; column 1 blank, column 2 vehicle, columns 3–12 the dilution series")
                .small()
                .weak(),
        );
        super::layout_editor::template_form_ui(ui, &mut view.layout_form, commands);
    });
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

/// Q values offered for ROUT, in % (Prism's default is 1 %).
const ROUT_Q_PERCENT: [f64; 6] = [0.1, 0.5, 1.0, 2.0, 5.0, 10.0];

/// The words for an outlier choice in the settings.
fn outlier_choice_text(choice: OutlierChoice) -> String {
    match choice.q() {
        None => "off".into(),
        Some(q) => format!("ROUT, Q = {} %", crate::fit::rout::q_percent_text(q)),
    }
}

/// The words for a model choice in the settings.
fn model_choice_text(choice: ModelChoice) -> &'static str {
    match choice {
        ModelChoice::Fixed(Model::FourPl) => "4PL (variable slope)",
        ModelChoice::Fixed(Model::ThreePl) => "3PL (slope −1)",
        ModelChoice::Fixed(Model::FourPlNormalized) => "4PL normalized (0–100)",
        ModelChoice::Auto => "auto (4PL or 3PL by AICc)",
        ModelChoice::Fixed(Model::FivePl) => "5PL (asymmetric)",
        ModelChoice::AutoWithFivePl => "auto (3PL, 4PL or 5PL by AICc)",
    }
}

/// The words for a weighting in the settings.
fn weighting_text(weighting: Weighting) -> &'static str {
    match weighting {
        Weighting::None => "none",
        Weighting::Relative => "relative (1/Y²)",
    }
}

/// The rows of the settings grid for issue 13's choices: the model and ROUT with its Q.
fn analysis_choices_ui(ui: &mut egui::Ui, choices: &mut FitChoices) {
    let l = ui.label("Model");
    egui::ComboBox::from_id_salt("model")
        .selected_text(model_choice_text(choices.model))
        .width(150.0)
        .show_ui(ui, |ui| {
            for choice in [
                ModelChoice::Fixed(Model::FourPl),
                ModelChoice::Fixed(Model::ThreePl),
                ModelChoice::Fixed(Model::FourPlNormalized),
                ModelChoice::Fixed(Model::FivePl),
                ModelChoice::Auto,
                ModelChoice::AutoWithFivePl,
            ] {
                ui.selectable_value(&mut choices.model, choice, model_choice_text(choice));
            }
        })
        .response
        .labelled_by(l.id)
        .on_hover_text("Auto fits the 4PL and the 3PL to the same points and keeps the one AICc prefers; auto with the 5PL then compares the winner with the asymmetric 5PL (Prism's). The 5PL needs at least 6 concentrations. The results say which model and why.");
    ui.end_row();
    let l = ui.label("Weighting");
    egui::ComboBox::from_id_salt("weighting")
        .selected_text(weighting_text(choices.weighting))
        .width(150.0)
        .show_ui(ui, |ui| {
            for weighting in [Weighting::None, Weighting::Relative] {
                ui.selectable_value(&mut choices.weighting, weighting, weighting_text(weighting));
            }
        })
        .response
        .labelled_by(l.id)
        .on_hover_text("Relative weighting minimises Σ((Y − Y_curve)/Y_curve)², Y_curve the fitted curve (Prism 5 and later), for scatter that grows in proportion to the response. Not with the robust fit, which is unweighted.");
    ui.end_row();
    let l = ui.label("Outliers");
    let before = choices.outliers;
    egui::ComboBox::from_id_salt("outliers")
        .selected_text(outlier_choice_text(choices.outliers))
        .width(150.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut choices.outliers, OutlierChoice::Off, "off");
            for percent in ROUT_Q_PERCENT {
                let choice = OutlierChoice::Rout { q: percent / 100.0 };
                ui.selectable_value(&mut choices.outliers, choice, outlier_choice_text(choice));
            }
        })
        .response
        .labelled_by(l.id)
        .on_hover_text("ROUT (Motulsky & Brown 2006): a robust fit, each residual tested at the false discovery rate Q, the outliers removed and the rest fitted by least squares. The flagged points are listed under the results, where each can be kept.");
    ui.end_row();
    // ROUT brings its own robust fit; its final fit is least squares.
    if choices.outliers != before && choices.outliers.q().is_some() {
        choices.method = FitMethod::LeastSquares;
    }
}
