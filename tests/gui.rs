//! The desktop app driven as a user would, through its accessibility tree (egui_kittest):
//! open the sample, read the IC50 and RI labels, paint wells, exclude a point, change a
//! concentration, save and reopen, undo and redo; select wells by dragging and by headers;
//! the dilution helper and the template; layout CSV import/export; the settings that change
//! results; files dropped onto the window. The numbers on screen are compared with what
//! `analyze()` computes for the same experiment.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable};
use platefit::WellRole;
use platefit::analysis::{Analysis, AnalysisSettings, Experiment, analyze};
use platefit::fit::CiMethod;
use platefit::gui::command::PickRequest;
use platefit::gui::files::{
    FilePicker, QueuedPicker, SAMPLE_LAYOUT, SAMPLE_PLATE, sample_experiment,
};
use platefit::gui::results_view::{qc_text, ri_text};
use platefit::gui::widgets::ic50_with_ci;
use platefit::gui::{App, AppOptions};
use platefit::layout::{ConcentrationUnit, DilutionDirection, Layout};
use platefit::normalize::Normalization;
use platefit::plate::WellId;
use platefit::project::Project;
use platefit::reads::{ReadChoice, ReferenceChoice};
use platefit::report::format_number;

const K562: &str = "K562 · flumatinib";

fn app(dir: &Path, picker: &QueuedPicker, inline: bool) -> App {
    App::new(AppOptions {
        data_dir: Some(dir.to_path_buf()),
        inline_analysis: inline,
        picker: Box::new(picker.clone()),
    })
}

fn harness(app: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app)
}

/// A fresh app (data folder in a temporary directory, dialogs answered by the returned
/// picker) with the bundled sample open. Keep the directory alive for the whole test.
fn sample_session() -> (tempfile::TempDir, QueuedPicker, Harness<'static, App>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    open_sample(&mut h);
    (dir, picker, h)
}

/// File › Open sample experiment (with experiments open already).
fn open_sample_again(h: &mut Harness<'static, App>) {
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open sample experiment").click();
    h.run();
}

fn open_sample(h: &mut Harness<'static, App>) {
    h.get_by_label_contains("Open sample experiment").click();
    h.run();
}

fn experiment(h: &Harness<'static, App>) -> Experiment {
    h.state()
        .active_doc()
        .expect("an experiment is open")
        .experiment
        .clone()
}

/// The IC50 and RI texts on screen are the ones `analyze()` gives for `experiment` (with
/// the CI of the method its settings choose).
fn assert_shows(h: &Harness<'static, App>, expected: &Analysis) {
    for curve in &expected.curves {
        let text = ic50_with_ci(&curve.fit, expected.settings.ci_method);
        assert!(
            !h.query_all_by_label(&text).collect::<Vec<_>>().is_empty(),
            "IC50 label {text:?} of {} not on screen",
            curve.dose_response.label
        );
    }
    for comparison in &expected.comparisons {
        h.get_by_label(&ri_text(comparison));
    }
}

/// The first number in a label such as `0.04231 [0.03612, 0.04955]`.
fn leading_number(text: &str) -> f64 {
    text.split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The centre of a well of the plate grid on screen.
fn well_center(h: &Harness<'static, App>, well: &str) -> egui::Pos2 {
    h.get_by_label(&format!("Well {well}")).rect().center()
}

/// Presses the primary button on one well, moves over the grid and releases it on another,
/// one pointer event per frame as a mouse would.
fn drag_wells(h: &mut Harness<'static, App>, from: &str, to: &str) {
    let (a, b) = (well_center(h, from), well_center(h, to));
    h.event(egui::Event::PointerMoved(a));
    h.event(egui::Event::PointerButton {
        pos: a,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    for step in 1..=4 {
        h.event(egui::Event::PointerMoved(a.lerp(b, step as f32 / 4.0)));
    }
    h.event(egui::Event::PointerButton {
        pos: b,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run();
}

/// Replaces the text of the field labelled `label` (focus, select all, type).
fn type_into(h: &mut Harness<'static, App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label(label).type_text(text);
    h.run();
}

/// Opens the combo box labelled `combo` and picks `option`.
fn choose(h: &mut Harness<'static, App>, combo: &str, option: &str) {
    h.get_by_label(combo).click();
    h.run();
    h.get_by_label(option).click();
    h.run();
}

fn wells(spec: &[&str]) -> BTreeSet<WellId> {
    spec.iter()
        .map(|w| WellId::parse(w).expect("well"))
        .collect()
}

/// The wells whose layout annotation differs between `a` and `b`.
fn changed_wells(a: &Layout, b: &Layout) -> BTreeSet<WellId> {
    a.iter()
        .filter(|(well, info)| b.well(*well) != *info)
        .map(|(well, _)| well)
        .collect()
}

/// The text a combo box shows (its selected value).
fn combo_value(h: &Harness<'static, App>, label: &str) -> String {
    h.get_by_label(label).value().unwrap_or_default()
}

/// Clicks the checkbox named `label` (also when it labels a text field beside it).
fn tick(h: &mut Harness<'static, App>, label: &str) {
    h.get(By::new().role(Role::CheckBox).label(label).include_labels())
        .click();
    h.run();
}

/// The IC50 of the K562 curve in `analysis`.
fn k562_ic50(analysis: &Analysis) -> Option<f64> {
    analysis.curve(K562).and_then(|c| c.fit.reported_ic50())
}

/// Saves the project through File › Save project as… and reads the file back.
fn save_and_load(h: &mut Harness<'static, App>, picker: &QueuedPicker, path: &Path) -> Project {
    picker.push(vec![path.to_path_buf()]);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Save project as…").click();
    h.run();
    assert!(!h.state().is_dirty());
    Project::load(path).expect("saved project")
}

fn open_layout_tab(h: &mut Harness<'static, App>) {
    h.get_by_label("⊞ Layout").click();
    h.run();
}

fn click_at(h: &mut Harness<'static, App>, pos: egui::Pos2) {
    h.event(egui::Event::PointerMoved(pos));
    h.run();
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.run();
}

#[test]
fn start_screen_then_sample_shows_the_numbers_of_analyze() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    h.get_by_label_contains("Open plate files");
    h.get_by_label_contains("Open project");
    open_sample(&mut h);
    let expected = analyze(&sample_experiment().expect("sample")).expect("analysis");
    assert_eq!(expected.curves.len(), 2);
    assert_eq!(expected.comparisons.len(), 1);
    assert_shows(&h, &expected);
    // The label's number is the fit's IC50 to 4 significant digits.
    for curve in &expected.curves {
        let ic50 = curve
            .fit
            .reported_ic50()
            .expect("sample IC50s are determined");
        let shown = leading_number(&ic50_with_ci(&curve.fit, CiMethod::WaldLog));
        assert!((shown - ic50).abs() <= ic50 * 1e-3, "{shown} vs {ic50}");
    }
    let ratio = expected.comparisons[0].ratio.expect("RI");
    let ri_label = ri_text(&expected.comparisons[0]);
    let shown: f64 = ri_label
        .split(" = ")
        .nth(1)
        .map(leading_number)
        .unwrap_or(f64::NAN);
    assert!((shown - ratio).abs() <= ratio * 1e-3, "{shown} vs {ratio}");
    // Plate QC is shown.
    h.get_by_label_contains(&qc_text(&expected.plates[0].normalized.qc));
}

#[test]
fn painting_wells_as_blank_changes_qc_and_undo_redo_restore_it() {
    let (_dir, _picker, mut h) = sample_session();
    let before = analyze(&experiment(&h)).expect("analysis");
    let qc_before = qc_text(&before.plates[0].normalized.qc);
    h.get_by_label_contains(&qc_before);

    h.get_by_label("⊞ Layout").click();
    h.run();
    h.get_by_label("Row A").click();
    h.run();
    assert_eq!(h.state().selection().len(), 12);
    h.get_by_role_and_label(Role::Button, "Blank").click();
    h.run();
    let painted = experiment(&h);
    assert!((0..12).all(
        |c| painted.plates[0].layout.well(WellId::new(0, c)).role == platefit::WellRole::Blank
    ));
    let after = analyze(&painted).expect("analysis");
    let qc_after = qc_text(&after.plates[0].normalized.qc);
    assert_ne!(qc_before, qc_after);

    h.get_by_label("📈 Analysis").click();
    h.run();
    h.get_by_label_contains(&qc_after);
    assert!(h.query_by_label_contains(&qc_before).is_none());

    // Undo and redo from the Edit menu.
    h.get_by_label("Edit").click();
    h.run();
    h.get_by_label_contains("Undo role blank").click();
    h.run();
    h.get_by_label_contains(&qc_before);
    assert_eq!(experiment(&h), sample_experiment().expect("sample"));
    h.get_by_label("Edit").click();
    h.run();
    h.get_by_label_contains("Redo role blank").click();
    h.run();
    h.get_by_label_contains(&qc_after);
    assert_eq!(experiment(&h), painted);
}

#[test]
fn clicking_a_point_excludes_it_and_the_ic50_changes() {
    let (_dir, _picker, mut h) = sample_session();
    let before = analyze(&experiment(&h)).expect("analysis");
    let well = WellId::parse("B8").expect("well");
    let pos = h
        .state()
        .point_screen_position(K562, 0, well)
        .expect("the point of B8 is drawn");
    click_at(&mut h, pos);
    let excluded = experiment(&h);
    let reason = excluded.plates[0]
        .excluded
        .get(&well)
        .expect("B8 is excluded");
    assert!(reason.contains("curve plot"), "{reason}");
    let after = analyze(&excluded).expect("analysis");
    let ic50_before = before.curve(K562).and_then(|c| c.fit.reported_ic50());
    let ic50_after = after.curve(K562).and_then(|c| c.fit.reported_ic50());
    assert_ne!(ic50_before, ic50_after);
    assert_shows(&h, &after);
    assert!(
        h.query_by_label(&ic50_with_ci(
            &before.curve(K562).expect("curve").fit,
            CiMethod::WaldLog
        ))
        .is_none()
    );
    // Clicking it again includes it.
    let pos = h
        .state()
        .point_screen_position(K562, 0, well)
        .expect("still drawn");
    click_at(&mut h, pos);
    assert!(experiment(&h).plates[0].excluded.is_empty());
    assert_shows(&h, &before);
}

#[test]
fn changing_a_concentration_updates_the_fit() {
    let (_dir, _picker, mut h) = sample_session();
    h.get_by_label("⊞ Layout").click();
    h.run();
    h.get_by_label("Well B7").click();
    h.run();
    for well in ["Well C7", "Well D7"] {
        h.get_by_label(well)
            .click_modifiers(egui::Modifiers::COMMAND);
        h.run();
    }
    assert_eq!(h.state().selection().len(), 3);
    let field = h.get_by_label("Conc. (µM)");
    field.focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Conc. (µM)").type_text("0.9");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    let changed = experiment(&h);
    for row in 1..4 {
        assert_eq!(
            changed.plates[0]
                .layout
                .well(WellId::new(row, 6))
                .concentration,
            Some(0.9)
        );
    }
    let expected = analyze(&changed).expect("analysis");
    h.get_by_label("📈 Analysis").click();
    h.run();
    assert_shows(&h, &expected);
}

#[test]
fn save_and_reopen_gives_the_same_numbers() {
    let (dir, picker, mut h) = sample_session();
    // Exclude a point so the saved state differs from the sample.
    let pos = h
        .state()
        .point_screen_position(K562, 0, WellId::parse("C6").expect("well"))
        .expect("drawn");
    click_at(&mut h, pos);
    let saved_experiment = experiment(&h);
    let expected = analyze(&saved_experiment).expect("analysis");
    assert!(h.state().is_dirty());

    let path: PathBuf = dir.path().join("my project.platefit");
    picker.push(vec![path.clone()]);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Save project as…").click();
    h.run();
    assert!(path.is_file());
    assert!(!h.state().is_dirty());

    h.get_by_label("File").click();
    h.run();
    h.get_by_label("New project").click();
    h.run();
    assert!(h.state().experiments().is_empty());

    picker.push(vec![path.clone()]);
    h.get_by_label_contains("Open project").click();
    h.run();
    assert_eq!(experiment(&h), saved_experiment);
    assert_shows(&h, &expected);
}

#[test]
fn unsaved_changes_are_guarded() {
    let (_dir, _picker, mut h) = sample_session();
    let pos = h
        .state()
        .point_screen_position(K562, 0, WellId::parse("C6").expect("well"))
        .expect("drawn");
    click_at(&mut h, pos);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("New project").click();
    h.run();
    h.get_by_label_contains("changes that are not saved");
    h.get_by_label("Cancel").click();
    h.run();
    assert_eq!(h.state().experiments().len(), 1);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("New project").click();
    h.run();
    h.get_by_label("Discard changes").click();
    h.run();
    assert!(h.state().experiments().is_empty());
}

#[test]
fn a_damaged_file_shows_an_error_and_the_app_carries_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let broken = dir.path().join("broken.xlsx");
    std::fs::write(&broken, b"PK\x03\x04 this is not really a workbook").expect("write");
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    picker.push(vec![broken]);
    h.get_by_label_contains("Open plate files").click();
    h.run();
    h.get_by_label_contains("⚠");
    assert!(h.state().experiments().is_empty());
    open_sample(&mut h);
    assert_eq!(h.state().experiments().len(), 1);
}

/// A system where no file dialog can appear (Linux without a portal and without zenity):
/// every pick comes back empty, like a cancel, and the picker says it has no dialog.
struct NoDialog;

impl FilePicker for NoDialog {
    fn pick(&mut self, _request: &PickRequest) -> Option<Vec<PathBuf>> {
        None
    }

    fn dialog_available(&self) -> bool {
        false
    }
}

#[test]
fn without_a_file_dialog_open_says_so_instead_of_doing_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(App::new(AppOptions {
        data_dir: Some(dir.path().to_path_buf()),
        inline_analysis: true,
        picker: Box::new(NoDialog),
    }));
    h.run();
    assert!(h.query_by_label_contains("no file dialog").is_none());
    h.get_by_label_contains("Open plate files").click();
    h.run();
    let status = h.state().status().expect("a message").clone();
    assert!(status.is_error);
    for needle in ["no file dialog", "zenity", "xdg-desktop-portal", "drag"] {
        assert!(status.text.contains(needle), "{needle:?}: {}", status.text);
    }
    // On the start screen and in the status bar.
    h.get_by_label_contains("Could not open: no file dialog is available");
    h.get_by_label_contains("⚠ no file dialog is available");
    assert!(h.state().experiments().is_empty());

    // Saving with an experiment open: the same reason, worded for a save.
    h.get_by_label("×").click();
    h.run();
    assert!(h.state().status().is_none());
    open_sample(&mut h);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label_contains("Save project as").click();
    h.run();
    let status = h.state().status().expect("a message").clone();
    assert!(status.is_error && status.text.contains("to choose where to save"));
    assert!(h.state().project_path().is_none());
}

#[test]
fn a_cancelled_dialog_says_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    h.get_by_label_contains("Open plate files").click();
    h.run();
    assert!(h.state().status().is_none());
    assert!(h.query_by_label_contains("no file dialog").is_none());
    assert!(h.state().experiments().is_empty());
}

#[test]
fn the_worker_thread_delivers_results_to_the_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, false));
    h.run();
    h.get_by_label_contains("Open sample experiment").click();
    // While the worker is busy the window keeps repainting, so step instead of `run`.
    h.run_steps(2);
    for _ in 0..2000 {
        if !h.state().is_busy() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.run();
    assert!(!h.state().is_busy());
    let expected = analyze(&sample_experiment().expect("sample")).expect("analysis");
    assert_shows(&h, &expected);
}

#[test]
fn several_experiments_side_by_side() {
    let (_dir, _picker, mut h) = sample_session();
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open sample experiment").click();
    h.run();
    assert_eq!(h.state().experiments().len(), 2);
    h.get_by_label("☰ Compare experiments").click();
    h.run();
    h.get_by_label_contains("2 experiments side by side");
    h.get_by_label_contains("Across experiments");
    let expected = analyze(&sample_experiment().expect("sample")).expect("analysis");
    let text = ic50_with_ci(&expected.curves[0].fit, CiMethod::WaldLog);
    assert_eq!(h.query_all_by_label(&text).count(), 2);
    h.get_by_label_contains("Copy table").click();
    h.run();
}

/// The Export menu writes the report, the workbook, the Prism file and the figures of the
/// open experiment through the report library.
#[test]
fn export_menu_writes_report_workbook_prism_and_figures() {
    let (dir, picker, mut h) = sample_session();
    let pdf = dir.path().join("report.pdf");
    let xlsx = dir.path().join("book.xlsx");
    let pzfx = dir.path().join("prism.pzfx");
    let figures = dir.path().join("figures");
    for (label, typed, path) in [
        // A bare name typed into the save dialog gets the format's extension.
        (
            "PDF report of this experiment…",
            dir.path().join("report"),
            &pdf,
        ),
        ("Excel workbook…", xlsx.clone(), &xlsx),
        ("GraphPad Prism file (.pzfx)…", pzfx.clone(), &pzfx),
        (
            "Figures (SVG + PNG) to a folder…",
            figures.clone(),
            &figures,
        ),
    ] {
        picker.push(vec![typed]);
        h.get_by_label("Export").click();
        h.run();
        h.get_by_label(label).click();
        h.run();
        assert!(path.exists(), "{label} wrote nothing");
    }
    assert!(std::fs::read(&pdf).expect("pdf").starts_with(b"%PDF"));
    assert!(std::fs::read(&xlsx).expect("xlsx").starts_with(b"PK"));
    let prism = std::fs::read_to_string(&pzfx).expect("pzfx");
    assert!(prism.contains("GraphPadPrismFile") && prism.contains(K562));
    let pngs = std::fs::read_dir(&figures)
        .expect("figures")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png"))
        })
        .count();
    assert!(pngs >= 3, "{pngs} PNG figures");
}

/// Press on B3, drag to D5, release: the 3×3 rectangle is selected (and nothing else), and
/// a role given through the window lands on exactly those wells. Column and row headers
/// select whole columns and rows; shift on a header adds to the selection.
#[test]
fn dragging_over_wells_selects_a_rectangle_and_edits_apply_to_it() {
    let (_dir, _picker, mut h) = sample_session();
    open_layout_tab(&mut h);
    let sample = experiment(&h);

    drag_wells(&mut h, "B3", "D5");
    let rectangle = wells(&["B3", "B4", "B5", "C3", "C4", "C5", "D3", "D4", "D5"]);
    assert_eq!(h.state().selection(), &rectangle);
    h.get_by_label_contains("9 well(s) selected");

    h.get_by_role_and_label(Role::Button, "Positive ctrl")
        .click();
    h.run();
    let painted = experiment(&h);
    let (before, after) = (&sample.plates[0].layout, &painted.plates[0].layout);
    assert_eq!(changed_wells(before, after), rectangle);
    for well in &rectangle {
        let info = after.well(*well);
        assert_eq!(info.role, WellRole::Positive, "{well}");
        assert_eq!(info.concentration, None, "{well}");
        assert_eq!(info.line, before.well(*well).line, "{well} keeps its line");
    }
    let expected = analyze(&painted).expect("analysis");
    assert_ne!(
        expected.curve(K562).and_then(|c| c.fit.reported_ic50()),
        analyze(&sample)
            .expect("analysis")
            .curve(K562)
            .and_then(|c| c.fit.reported_ic50())
    );
    h.get_by_label("📈 Analysis").click();
    h.run();
    assert_shows(&h, &expected);

    // A drag the other way round (bottom-right to top-left) selects the same kind of box.
    open_layout_tab(&mut h);
    drag_wells(&mut h, "G12", "F11");
    assert_eq!(h.state().selection(), &wells(&["F11", "F12", "G11", "G12"]));

    // Column header, then shift + row header adds the row.
    h.get_by_label("Column 12").click();
    h.run();
    let column: BTreeSet<WellId> = (0..8).map(|r| WellId::new(r, 11)).collect();
    assert_eq!(h.state().selection(), &column);
    h.get_by_label("Row H")
        .click_modifiers(egui::Modifiers::SHIFT);
    h.run();
    let mut both = column.clone();
    both.extend((0..12).map(|c| WellId::new(7, c)));
    assert_eq!(h.state().selection(), &both);
    assert_eq!(both.len(), 19);

    // A cell line typed into the form goes to those 19 wells only.
    type_into(&mut h, "Cell line", "K562");
    h.key_press(egui::Key::Enter);
    h.run();
    let relined = experiment(&h);
    assert_eq!(
        changed_wells(&painted.plates[0].layout, &relined.plates[0].layout),
        // Wells that already were K562 (B12–D12) do not change.
        both.iter()
            .copied()
            .filter(|w| !wells(&["B12", "C12", "D12"]).contains(w))
            .collect()
    );
    assert!(
        both.iter()
            .all(|w| { relined.plates[0].layout.well(*w).line.as_deref() == Some("K562") })
    );
    h.get_by_label("📈 Analysis").click();
    h.run();
    assert_shows(&h, &analyze(&relined).expect("analysis"));

    // The "select all" corner.
    open_layout_tab(&mut h);
    h.get_by_label("Select all wells").click();
    h.run();
    assert_eq!(h.state().selection().len(), 96);
}

/// The dilution-series helper writes top / fold / steps / direction into the selected
/// wells along rows or down columns; the unit combo box changes the layout's unit.
#[test]
fn dilution_series_helper_fills_the_selection_and_the_fit_follows() {
    let (_dir, _picker, mut h) = sample_session();
    open_layout_tab(&mut h);
    let sample = experiment(&h);

    choose(&mut h, "Unit", "nM");
    assert_eq!(
        experiment(&h).plates[0].layout.unit,
        ConcentrationUnit::Nanomolar
    );
    h.get_by_label("Top (nM)");

    drag_wells(&mut h, "B3", "G12");
    assert_eq!(h.state().selection().len(), 60);
    type_into(&mut h, "Top (nM)", "10");
    type_into(&mut h, "Fold", "2");
    type_into(&mut h, "Steps", "10");
    h.get_by_label("lowest first").click();
    h.run();
    // The preview shows the series.
    h.get_by_label_contains("0.0195, 0.0391");
    h.get_by_label("Apply series to selection").click();
    h.run();
    let diluted = experiment(&h);
    let series = platefit::layout::dilution_series(10.0, 2.0, 10, DilutionDirection::Increasing);
    assert!((series[0] - 10.0 / 512.0).abs() < 1e-15);
    for row in 1..7 {
        for col in 2..12 {
            assert_eq!(
                diluted.plates[0]
                    .layout
                    .well(WellId::new(row, col))
                    .concentration,
                Some(series[col - 2]),
                "{}",
                WellId::new(row, col)
            );
        }
    }
    let changed = changed_wells(&sample.plates[0].layout, &diluted.plates[0].layout);
    assert_eq!(changed.len(), 60);
    let expected = analyze(&diluted).expect("analysis");
    assert_eq!(expected.unit, ConcentrationUnit::Nanomolar);
    // The live line under the grid and the analysis view show the new fit.
    let k562 = expected.curve(K562).expect("curve");
    h.get_by_label_contains(&format!(
        "{K562}: IC50 {}",
        ic50_with_ci(&k562.fit, CiMethod::WaldLog)
    ));
    h.get_by_label("📈 Analysis").click();
    h.run();
    assert_shows(&h, &expected);
    h.get_by_label_contains("IC50 in nM");

    // Down columns: a 3-step series over rows B–G of column 3 repeats twice.
    open_layout_tab(&mut h);
    h.get_by_label("down columns").click();
    h.get_by_label("highest first").click();
    h.run();
    type_into(&mut h, "Top (nM)", "√10");
    type_into(&mut h, "Steps", "3");
    drag_wells(&mut h, "B3", "G3");
    h.get_by_label("Apply series to selection").click();
    h.run();
    let down = experiment(&h);
    let series =
        platefit::layout::dilution_series(10f64.sqrt(), 2.0, 3, DilutionDirection::Decreasing);
    let got: Vec<Option<f64>> = (1..7)
        .map(|r| down.plates[0].layout.well(WellId::new(r, 2)).concentration)
        .collect();
    let want: Vec<Option<f64>> = (0..6).map(|i| Some(series[i % 3])).collect();
    assert_eq!(got, want);
    assert_eq!(
        changed_wells(&diluted.plates[0].layout, &down.plates[0].layout).len(),
        6
    );
    // An invalid fold disables the button and says why.
    type_into(&mut h, "Fold", "1");
    h.get_by_label_contains("Top > 0, fold > 1");
    assert!(h.query_by_label("Apply series to selection").is_none());
}

/// "Apply template to this plate" with the template fields filled in replaces the layout
/// with `Layout::two_line_triplicate` of those values, and the curves are renamed.
#[test]
fn template_button_lays_out_two_lines_in_triplicate() {
    let (_dir, _picker, mut h) = sample_session();
    open_layout_tab(&mut h);
    type_into(&mut h, "Template parental line", "HL-60");
    type_into(&mut h, "Template resistant line", "HL-60/ADR");
    type_into(&mut h, "Template drug", "doxorubicin");
    type_into(&mut h, "Template top", "20");
    type_into(&mut h, "Template fold", "4");
    // Without a resistant line name (or with the same name twice) there is no button,
    // and a hint says what is missing.
    type_into(&mut h, "Template resistant line", " ");
    h.get_by_label_contains("two different line names");
    assert!(h.query_by_label("Apply template to this plate").is_none());
    type_into(&mut h, "Template resistant line", "HL-60");
    assert!(h.query_by_label("Apply template to this plate").is_none());
    type_into(&mut h, "Template resistant line", "HL-60/ADR");
    h.get_by_label("Apply template to this plate").click();
    h.run();
    let templated = experiment(&h);
    assert_eq!(
        templated.plates[0].layout,
        Layout::two_line_triplicate(
            "HL-60",
            "HL-60/ADR",
            Some("doxorubicin"),
            20.0,
            4.0,
            ConcentrationUnit::Micromolar
        )
    );
    let expected = analyze(&templated).expect("analysis");
    let labels: Vec<&str> = expected
        .curves
        .iter()
        .map(|c| c.dose_response.label.as_str())
        .collect();
    assert_eq!(labels, ["HL-60 · doxorubicin", "HL-60/ADR · doxorubicin"]);
    assert_eq!(expected.comparisons.len(), 1);
    h.get_by_label("📈 Analysis").click();
    h.run();
    assert_shows(&h, &expected);
    h.get_by_label_contains("RI HL-60/ADR · doxorubicin / HL-60 · doxorubicin");
    // Undo puts the sample layout back.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert_eq!(experiment(&h), sample_experiment().expect("sample"));
}

/// Export writes a plater CSV that `platefit::layout` reads back to the same layout;
/// import (the file dialog answered by the test) replaces the layout and the analysis.
#[test]
fn layout_csv_export_and_import_through_the_window() {
    let (dir, picker, mut h) = sample_session();
    open_layout_tab(&mut h);
    // Give the layout something the sample file does not have: a condition on row B.
    h.get_by_label("Row B").click();
    h.run();
    type_into(&mut h, "Condition", "+ verapamil, 5 µM");
    h.key_press(egui::Key::Enter);
    h.run();
    let edited = experiment(&h);
    assert_eq!(
        edited.plates[0]
            .layout
            .well(WellId::parse("B7").expect("well"))
            .condition
            .as_deref(),
        Some("+ verapamil, 5 µM")
    );

    // The name typed without an extension gets ".csv".
    let exported = dir.path().join("exported layout.csv");
    picker.push(vec![dir.path().join("exported layout")]);
    h.get_by_label("Export layout CSV…").click();
    h.run();
    let text = std::fs::read_to_string(&exported).expect("exported");
    assert!(text.starts_with("role,1,2,3"), "{text}");
    assert!(text.contains("conc_uM"), "{text}");
    let parsed = platefit::layout::parse_layout(&text).expect("parses");
    assert_eq!(parsed, edited.plates[0].layout);
    h.get_by_label_contains("layout exported to");

    // Import a different layout: the template with other names, in nM.
    let other = Layout::two_line_triplicate(
        "MCF7",
        "MCF7/TAM",
        Some("tamoxifen"),
        1000.0,
        3.0,
        ConcentrationUnit::Nanomolar,
    );
    let mut bytes = Vec::new();
    platefit::layout::write_layout(&other, &mut bytes).expect("write");
    let imported = dir.path().join("other_layout.csv");
    std::fs::write(&imported, bytes).expect("write");
    picker.push(vec![imported.clone()]);
    h.get_by_label("Import layout CSV…").click();
    h.run();
    let now = experiment(&h);
    assert_eq!(now.plates[0].layout, other);
    h.get_by_label_contains("layout imported from");
    let expected = analyze(&now).expect("analysis");
    assert_eq!(expected.unit, ConcentrationUnit::Nanomolar);
    assert!(expected.curve("MCF7 · tamoxifen").is_some());
    h.get_by_label("📈 Analysis").click();
    h.run();
    assert_shows(&h, &expected);

    // A 384-well layout does not fit the 96-well plate: refused, nothing changes.
    let mut bytes = Vec::new();
    platefit::layout::write_layout(
        &Layout::empty(platefit::plate::PlateShape::from_well_count(384).expect("384")),
        &mut bytes,
    )
    .expect("write");
    let wrong = dir.path().join("wrong.csv");
    std::fs::write(&wrong, bytes).expect("write");
    open_layout_tab(&mut h);
    picker.push(vec![wrong]);
    h.get_by_label("Import layout CSV…").click();
    h.run();
    assert_eq!(experiment(&h), now);
    h.get_by_label_contains("but the plate is");
    // A cancelled dialog does nothing.
    h.get_by_label("Import layout CSV…").click();
    h.run();
    assert_eq!(experiment(&h), now);
}

/// The sample plate with a third read at 570 nm whose values are the 450 nm ones to the
/// power 1.5 (so a different read gives different % viability and IC50s).
fn three_read_experiment() -> Experiment {
    let mut experiment = sample_experiment().expect("sample");
    let plate = &mut experiment.plates[0].plate;
    let mut extra = plate.reads[0].clone();
    extra.label = "570".into();
    extra.wavelength_nm = Some(570.0);
    for value in extra.values.iter_mut().flatten() {
        *value = value.powf(1.5);
    }
    plate.reads.insert(1, extra);
    experiment
}

/// Read and reference choice through the combo boxes: each choice is the experiment's
/// setting, the numbers shown are `analyze()`'s with it, and it is saved in the project.
#[test]
fn read_and_reference_choice_change_the_numbers_and_are_saved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let start = three_read_experiment();
    let labels: Vec<String> = start.plates[0]
        .plate
        .reads
        .iter()
        .map(|r| r.label.clone())
        .collect();
    assert_eq!(labels.len(), 3);
    let (read_450, read_570, read_630) = (&labels[0], &labels[1], &labels[2]);
    let project_path = dir.path().join("three reads.platefit");
    Project {
        experiments: vec![start.clone()],
        ..Project::default()
    }
    .save(&project_path)
    .expect("save");
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    picker.push(vec![project_path]);
    h.get_by_label_contains("Open project").click();
    h.run();
    let auto = analyze(&start).expect("analysis");
    assert_eq!(&auto.plates[0].read_label, read_450);
    assert_eq!(auto.plates[0].reference_label.as_ref(), Some(read_630));
    assert_shows(&h, &auto);
    assert_eq!(combo_value(&h, "Read"), format!("auto ({read_450})"));
    assert_eq!(combo_value(&h, "Reference"), format!("auto ({read_630})"));

    choose(&mut h, "Reference", "none");
    let unreferenced = experiment(&h);
    assert_eq!(unreferenced.settings.reference_read, ReferenceChoice::None);
    assert_eq!(combo_value(&h, "Reference"), "none");
    let expected = analyze(&unreferenced).expect("analysis");
    assert_eq!(expected.plates[0].reference_label, None);
    assert_ne!(k562_ic50(&expected), k562_ic50(&auto));
    assert_shows(&h, &expected);

    choose(&mut h, "Read", read_570);
    let chosen = experiment(&h);
    assert_eq!(chosen.settings.read, ReadChoice::Label(read_570.clone()));
    assert_eq!(&combo_value(&h, "Read"), read_570);
    let expected = analyze(&chosen).expect("analysis");
    assert_eq!(&expected.plates[0].read_label, read_570);
    assert_ne!(k562_ic50(&expected), k562_ic50(&auto));
    assert_shows(&h, &expected);
    h.get_by_label_contains(&format!("read {read_570:?} as chosen"));

    // An explicit reference read.
    choose(&mut h, "Reference", read_630);
    let referenced = experiment(&h);
    assert_eq!(
        referenced.settings.reference_read,
        ReferenceChoice::Label(read_630.clone())
    );
    let expected = analyze(&referenced).expect("analysis");
    assert_eq!(expected.plates[0].reference_label.as_ref(), Some(read_630));
    assert_shows(&h, &expected);

    // Saved with the experiment: File › Save project (the project it was opened from).
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Save project  (Ctrl+S)").click();
    h.run();
    let saved = Project::load(&dir.path().join("three reads.platefit")).expect("load");
    assert_eq!(saved.experiments[0].settings, referenced.settings);
    assert_eq!(
        saved.experiments[0].settings,
        AnalysisSettings {
            read: ReadChoice::Label(read_570.clone()),
            reference_read: ReferenceChoice::Label(read_630.clone()),
            ..AnalysisSettings::default()
        }
    );
}

/// The normalization combo box: no normalization, then two controls (with the top
/// concentration's wells marked as positive controls by dragging over them).
#[test]
fn normalization_modes_follow_analyze_and_are_saved() {
    let (dir, picker, mut h) = sample_session();
    let default = analyze(&experiment(&h)).expect("analysis");

    choose(
        &mut h,
        "Normalize",
        "blank-subtracted OD (no normalization)",
    );
    let raw = experiment(&h);
    assert_eq!(raw.settings.normalization, Normalization::None);
    let expected = analyze(&raw).expect("analysis");
    assert_eq!(combo_value(&h, "Normalize"), "none (OD)");
    // A linear rescaling: the same relative IC50 (up to the solver's tolerance), but the
    // plateaus are in OD now.
    let (od, percent) = (
        k562_ic50(&expected).expect("IC50"),
        k562_ic50(&default).expect("IC50"),
    );
    assert!((od / percent - 1.0).abs() < 1e-6, "{od} vs {percent}");
    for curve in &expected.curves {
        let top = curve.fit.params.top;
        assert!(top < 5.0, "an OD plateau, not a percentage: {top}");
        h.get_by_label(&format_number(top));
        h.get_by_label(&format_number(curve.fit.params.bottom));
    }
    for curve in &default.curves {
        assert!(
            h.query_by_label(&format_number(curve.fit.params.top))
                .is_none()
        );
    }
    assert_shows(&h, &expected);

    // Two controls without positive-control wells: every curve says why it has no fit.
    let two = "% between vehicle (100) and positive control (0)";
    choose(&mut h, "Normalize", two);
    let expected = analyze(&experiment(&h)).expect("analysis");
    assert!(
        expected
            .curves
            .iter()
            .all(|c| c.fit.reported_ic50().is_none())
    );
    assert_shows(&h, &expected);

    // Mark the 50 µM wells of both lines as positive controls.
    open_layout_tab(&mut h);
    drag_wells(&mut h, "B3", "G3");
    h.get_by_role_and_label(Role::Button, "Positive ctrl")
        .click();
    h.run();
    h.get_by_label("📈 Analysis").click();
    h.run();
    let two_control = experiment(&h);
    assert_eq!(
        two_control.settings.normalization,
        Normalization::TwoControl
    );
    let expected = analyze(&two_control).expect("analysis");
    assert!(k562_ic50(&expected).is_some());
    assert_ne!(k562_ic50(&expected), k562_ic50(&default));
    assert_eq!(combo_value(&h, "Normalize"), "two controls");
    assert_shows(&h, &expected);

    let saved = save_and_load(&mut h, &picker, &dir.path().join("norm.platefit"));
    assert_eq!(saved.experiments[0], two_control);
    assert_eq!(
        saved.experiments[0].settings,
        AnalysisSettings {
            normalization: Normalization::TwoControl,
            ..AnalysisSettings::default()
        }
    );
}

/// The CI method combo box changes the interval shown next to each IC50 (the fit itself
/// is the same).
#[test]
fn ci_method_choice_changes_the_interval_shown() {
    let (dir, picker, mut h) = sample_session();
    let wald = analyze(&experiment(&h)).expect("analysis");
    let wald_text = ic50_with_ci(&wald.curves[0].fit, CiMethod::WaldLog);
    for (option, method) in [
        ("delta method, linear scale (drc)", CiMethod::Delta),
        ("profile likelihood", CiMethod::Profile),
    ] {
        choose(&mut h, "IC50 CI", option);
        let chosen = experiment(&h);
        assert_eq!(chosen.settings.ci_method, method);
        let expected = analyze(&chosen).expect("analysis");
        assert_eq!(
            expected.curves[0].fit.reported_ic50(),
            wald.curves[0].fit.reported_ic50()
        );
        let text = ic50_with_ci(&expected.curves[0].fit, method);
        assert_ne!(text, wald_text);
        assert_shows(&h, &expected);
        assert!(
            h.query_by_label(&wald_text).is_none(),
            "{wald_text} still shown"
        );
        h.get_by_label_contains(&format!("95% CI: {option}"));
    }
    let saved = save_and_load(&mut h, &picker, &dir.path().join("ci.platefit"));
    assert_eq!(saved.experiments[0].settings.ci_method, CiMethod::Profile);
}

/// Fix Top at 100 / Bottom at 0 (and another Top typed in), vehicle wells as dose-zero
/// points off, no blanks: each is the experiment's setting and the shown IC50s are
/// `analyze()`'s; the project saves them and Undo steps back through them.
#[test]
fn fixing_top_and_bottom_and_vehicle_points_follow_analyze() {
    let (dir, picker, mut h) = sample_session();
    let free = analyze(&experiment(&h)).expect("analysis");

    tick(&mut h, "Fix Top at");
    let fixed_top = experiment(&h);
    assert_eq!(fixed_top.settings.fix_top, Some(100.0));
    let expected = analyze(&fixed_top).expect("analysis");
    assert_ne!(k562_ic50(&expected), k562_ic50(&free));
    assert!((expected.curve(K562).expect("curve").fit.params.top - 100.0).abs() < 1e-9);
    assert_shows(&h, &expected);

    tick(&mut h, "Fix Bottom at");
    let fixed_both = experiment(&h);
    assert_eq!(fixed_both.settings.fix_bottom, Some(0.0));
    let expected = analyze(&fixed_both).expect("analysis");
    assert!(expected.curve(K562).expect("curve").fit.params.bottom.abs() < 1e-9);
    assert_shows(&h, &expected);

    // Another Top typed into the field beside the checkbox.
    let field = By::new().role(Role::TextInput).label("Fix Top at");
    h.get(field.clone()).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get(field).type_text("95");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    let top_95 = experiment(&h);
    assert_eq!(top_95.settings.fix_top, Some(95.0));
    let expected = analyze(&top_95).expect("analysis");
    assert!((expected.curve(K562).expect("curve").fit.params.top - 95.0).abs() < 1e-9);
    assert_shows(&h, &expected);

    // Vehicle wells no longer enter the fit as dose-zero points: fewer points per curve.
    tick(&mut h, "Vehicle wells as dose-zero points");
    let no_vehicle = experiment(&h);
    assert!(!no_vehicle.settings.vehicle_as_dose_zero);
    let expected = analyze(&no_vehicle).expect("analysis");
    let with = analyze(&top_95).expect("analysis");
    assert_eq!(
        expected.curve(K562).expect("curve").fit.n + 3,
        with.curve(K562).expect("curve").fit.n
    );
    assert_shows(&h, &expected);

    // The explicit "no blank" choice.
    tick(&mut h, "Plate has blank wells");
    let no_blank = experiment(&h);
    assert!(!no_blank.settings.require_blanks);
    assert_shows(&h, &analyze(&no_blank).expect("analysis"));

    let saved = save_and_load(&mut h, &picker, &dir.path().join("fixed.platefit"));
    assert_eq!(
        saved.experiments[0].settings,
        AnalysisSettings {
            fix_top: Some(95.0),
            fix_bottom: Some(0.0),
            vehicle_as_dose_zero: false,
            require_blanks: false,
            ..AnalysisSettings::default()
        }
    );

    // Settings changes are undo steps, and the Top field shows the value in use.
    let top_field = By::new().role(Role::TextInput).label("Fix Top at");
    for state in [&no_vehicle, &top_95, &fixed_both] {
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
        h.run();
        assert_eq!(&experiment(&h), state);
        assert_shows(&h, &analyze(state).expect("analysis"));
        let shown = h.get(top_field.clone()).value().unwrap_or_default();
        assert_eq!(
            shown.parse::<f64>().ok(),
            state.settings.fix_top,
            "the field shows {shown:?}"
        );
    }
    // Unticking Fix Top frees it again.
    tick(&mut h, "Fix Top at");
    assert_eq!(experiment(&h).settings.fix_top, None);
}

/// A press on a well that moves a little but stays inside it (a drag in egui's eyes, not
/// a click) selects that well.
#[test]
fn a_short_drag_inside_one_well_selects_it() {
    let (_dir, _picker, mut h) = sample_session();
    open_layout_tab(&mut h);
    h.get_by_label("Row A").click();
    h.run();
    let rect = h.get_by_label("Well C4").rect();
    assert!(rect.width() > 20.0, "{rect:?}");
    let (a, b) = (
        rect.center() - egui::vec2(8.0, 8.0),
        rect.center() + egui::vec2(8.0, 8.0),
    );
    h.event(egui::Event::PointerMoved(a));
    h.event(egui::Event::PointerButton {
        pos: a,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    h.event(egui::Event::PointerMoved(b));
    h.event(egui::Event::PointerButton {
        pos: b,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run();
    assert_eq!(h.state().selection(), &wells(&["C4"]));
    // Ctrl-click adds and removes single wells (a click is never also a drag).
    h.get_by_label("Well C5")
        .click_modifiers(egui::Modifiers::COMMAND);
    h.run();
    assert_eq!(h.state().selection(), &wells(&["C4", "C5"]));
    h.get_by_label("Well C4")
        .click_modifiers(egui::Modifiers::COMMAND);
    h.run();
    assert_eq!(h.state().selection(), &wells(&["C5"]));
}

/// The heat map on the Analysis tab selects like the layout editor: drag a rectangle,
/// click a row or column header, the corner for all wells.
#[test]
fn heat_map_drag_and_headers_select_wells() {
    let (_dir, _picker, mut h) = sample_session();
    drag_wells(&mut h, "B3", "C4");
    assert_eq!(h.state().selection(), &wells(&["B3", "B4", "C3", "C4"]));
    h.get_by_label("Row E").click();
    h.run();
    assert_eq!(h.state().selection().len(), 12);
    h.get_by_label("Column 2")
        .click_modifiers(egui::Modifiers::SHIFT);
    h.run();
    assert_eq!(h.state().selection().len(), 19);
    h.get_by_label("Select all wells").click();
    h.run();
    assert_eq!(h.state().selection().len(), 96);
    // The selection carries over to the layout editor.
    open_layout_tab(&mut h);
    h.get_by_label_contains("96 well(s) selected");
}

/// A file dropped onto the window, as eframe's winit integration hands it to egui.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Drops files onto the window: the next frame's raw input carries them (egui keeps them
/// for that one frame).
fn drop_files(h: &mut Harness<'static, App>, paths: &[&Path]) {
    h.input_mut().dropped_files = paths
        .iter()
        .map(|p| Arc::new(Dropped(p.to_path_buf())) as egui::DroppedFileHandle)
        .collect();
    h.run();
}

/// Dropping a plate file on the start screen opens it with the layout beside it; dropping
/// a layout CSV onto an open experiment imports it; dropping a project opens it; a damaged
/// file gives a message.
#[test]
fn dropping_files_onto_the_window_opens_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let plate = dir.path().join("flumatinib_K562_72h.csv");
    std::fs::write(&plate, SAMPLE_PLATE).expect("write");
    std::fs::write(
        dir.path().join("flumatinib_K562_72h_layout.csv"),
        SAMPLE_LAYOUT,
    )
    .expect("write");
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&plate]);
    assert_eq!(h.state().experiments().len(), 1);
    let opened = experiment(&h);
    let sample = sample_experiment().expect("sample");
    assert_eq!(opened.name, "flumatinib_K562_72h");
    assert_eq!(opened.plates[0].plate, sample.plates[0].plate);
    assert_eq!(opened.plates[0].layout, sample.plates[0].layout);
    let expected = analyze(&opened).expect("analysis");
    assert_eq!(
        expected.curves.iter().map(|c| &c.fit).collect::<Vec<_>>(),
        analyze(&sample)
            .expect("analysis")
            .curves
            .iter()
            .map(|c| &c.fit)
            .collect::<Vec<_>>()
    );
    assert_shows(&h, &expected);
    h.get_by_label_contains("layout from flumatinib_K562_72h_layout.csv");
    // Nothing is opened twice: the drop was one frame's input.
    h.run();
    assert_eq!(h.state().experiments().len(), 1);

    // A layout CSV dropped onto the open experiment replaces its layout.
    let other = Layout::two_line_triplicate(
        "K562",
        "K562/FLM",
        Some("flumatinib"),
        10.0,
        2.0,
        ConcentrationUnit::Micromolar,
    );
    let mut bytes = Vec::new();
    platefit::layout::write_layout(&other, &mut bytes).expect("write");
    let layout_path = dir.path().join("two-fold.csv");
    std::fs::write(&layout_path, bytes).expect("write");
    drop_files(&mut h, &[&layout_path]);
    assert_eq!(h.state().experiments().len(), 1);
    let relaid = experiment(&h);
    assert_eq!(relaid.plates[0].layout, other);
    assert_shows(&h, &analyze(&relaid).expect("analysis"));

    // Save, then drop the project: it replaces the open one (nothing unsaved).
    let project = dir.path().join("dropped.platefit");
    save_and_load(&mut h, &picker, &project);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("New project").click();
    h.run();
    assert!(h.state().experiments().is_empty());
    drop_files(&mut h, &[&project]);
    assert_eq!(h.state().project_path(), Some(project.as_path()));
    assert_eq!(experiment(&h), relaid);
    assert_shows(&h, &analyze(&relaid).expect("analysis"));

    // A damaged file: a message, and the open project stays as it was.
    let broken = dir.path().join("broken.xlsx");
    std::fs::write(&broken, b"PK\x03\x04 not a workbook").expect("write");
    drop_files(&mut h, &[&broken]);
    assert_eq!(h.state().experiments().len(), 1);
    let status = h.state().status().expect("a message").clone();
    assert!(
        status.is_error && status.text.contains("broken.xlsx"),
        "{status:?}"
    );
    h.get_by_label(&format!("⚠ {}", status.text));
}

/// A plate and a layout with an unrelated name dropped together: the layout is used for
/// the plate (not opened as a plate).
#[test]
fn dropping_a_plate_with_its_layout_uses_the_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let plate = dir.path().join("rep 2.csv");
    let layout = dir.path().join("plate map.csv");
    std::fs::write(&plate, SAMPLE_PLATE).expect("write");
    std::fs::write(&layout, SAMPLE_LAYOUT).expect("write");
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&layout, &plate]);
    assert_eq!(h.state().experiments().len(), 1);
    let opened = experiment(&h);
    let sample = sample_experiment().expect("sample");
    assert_eq!(opened.plates[0].layout, sample.plates[0].layout);
    assert_shows(&h, &analyze(&sample).expect("analysis"));
}

/// Whether the last frame painted a text containing `needle` (for painted-only text that
/// is not in the accessibility tree).
fn painted_text(h: &Harness<'static, App>, needle: &str) -> bool {
    fn find(shape: &egui::Shape, needle: &str) -> bool {
        match shape {
            egui::Shape::Text(text) => text.galley.text().contains(needle),
            egui::Shape::Vec(shapes) => shapes.iter().any(|s| find(s, needle)),
            _ => false,
        }
    }
    h.output().shapes.iter().any(|c| find(&c.shape, needle))
}

/// Files dragged over the window (not yet dropped) darken it with a hint and open nothing.
#[test]
fn files_hovering_over_the_window_show_the_drop_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    let hint = "Drop plate files, a layout CSV or a .platefit project";
    assert!(!painted_text(&h, hint));
    h.input_mut().hovered_files = vec![egui::HoveredFile {
        path: Some(dir.path().join("plate.csv")),
        mime: String::new(),
    }];
    // egui repaints continuously while files hover, so step frames instead of `run`.
    h.run_steps(2);
    assert!(painted_text(&h, hint));
    assert!(h.state().experiments().is_empty());
    h.input_mut().hovered_files.clear();
    h.run();
    assert!(!painted_text(&h, hint));
}

/// Replaces the text of the number field beside the checkbox `label` and presses Enter.
fn type_fix_value(h: &mut Harness<'static, App>, label: &str, text: &str, enter: bool) {
    let field = By::new().role(Role::TextInput).label(label);
    h.get(field.clone()).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get(field).type_text(text);
    h.run();
    if enter {
        h.key_press(egui::Key::Enter);
        h.run();
    }
}

/// The number shown in the field beside the checkbox `label`.
fn fix_field_value(h: &Harness<'static, App>, label: &str) -> String {
    h.get(By::new().role(Role::TextInput).label(label))
        .value()
        .unwrap_or_default()
}

/// Each experiment keeps its own Fix Top / Fix Bottom number: a value typed for experiment
/// A is not what ticking Fix Top in experiment B uses (B gets the default, or the number
/// typed for B). A field of A that still has focus as B is picked in the list commits to
/// A: B's settings and name are not overwritten with A's.
#[test]
fn fix_values_typed_for_one_experiment_stay_with_it() {
    let (_dir, _picker, mut h) = sample_session();
    type_into(&mut h, "Name", "A");
    h.key_press(egui::Key::Enter);
    h.run();
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open sample experiment").click();
    h.run();
    type_into(&mut h, "Name", "B");
    h.key_press(egui::Key::Enter);
    h.run();
    let select = |h: &mut Harness<'static, App>, name: &str| {
        h.get(By::new().role(Role::Button).label(name)).click();
        h.run();
        assert_eq!(experiment(h).name, name);
    };

    // A: Top fixed at 80, Bottom typed as 7 and left with focus while B is picked.
    select(&mut h, "A");
    tick(&mut h, "Fix Top at");
    type_fix_value(&mut h, "Fix Top at", "80", true);
    tick(&mut h, "Fix Bottom at");
    type_fix_value(&mut h, "Fix Bottom at", "7", false);
    select(&mut h, "B");
    let docs = h.state().experiments();
    assert_eq!(docs[0].settings.fix_top, Some(80.0));
    assert_eq!(docs[1].settings.fix_top, None);
    assert_eq!(docs[1].settings.fix_bottom, None);

    // B shows and uses its own defaults, not A's numbers.
    assert_eq!(fix_field_value(&h, "Fix Top at"), "100");
    assert_eq!(fix_field_value(&h, "Fix Bottom at"), "0");
    tick(&mut h, "Fix Top at");
    assert_eq!(experiment(&h).settings.fix_top, Some(100.0));
    tick(&mut h, "Fix Bottom at");
    assert_eq!(experiment(&h).settings.fix_bottom, Some(0.0));
    assert_eq!(h.state().experiments()[0].settings.fix_top, Some(80.0));

    // A number typed for B and unticked again stays B's; A's field still shows 80.
    type_fix_value(&mut h, "Fix Top at", "90", true);
    assert_eq!(experiment(&h).settings.fix_top, Some(90.0));
    tick(&mut h, "Fix Top at");
    assert_eq!(experiment(&h).settings.fix_top, None);
    select(&mut h, "A");
    assert_eq!(fix_field_value(&h, "Fix Top at"), "80");
    tick(&mut h, "Fix Top at");
    assert_eq!(experiment(&h).settings.fix_top, None);
    select(&mut h, "B");
    assert_eq!(fix_field_value(&h, "Fix Top at"), "90");
    tick(&mut h, "Fix Top at");
    assert_eq!(experiment(&h).settings.fix_top, Some(90.0));
    assert_eq!(h.state().experiments()[0].settings.fix_top, None);

    // A name typed for A (no Enter) when B is picked renames A, not B.
    select(&mut h, "A");
    type_into(&mut h, "Name", "A2");
    select(&mut h, "B");
    let names: Vec<String> = h
        .state()
        .experiments()
        .iter()
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(names, ["A2", "B"]);
}

/// The heat map writes each well's OD into it when the wells are big enough, and in a
/// small window (where the numbers would overrun the wells) writes none and says to hover.
#[test]
fn heat_map_numbers_fit_their_wells_or_are_left_out() {
    let od_b3 = |h: &Harness<'static, App>| {
        let plate = &h.state().active_analysis().expect("analysis").plates[0];
        let well = WellId::parse("B3").expect("well");
        let v = plate
            .normalized
            .wells
            .iter()
            .find(|v| v.well == well)
            .and_then(|v| v.absorbance)
            .expect("OD of B3");
        format!("{v:.3}")
    };
    let hint = "widen the panel or hover a well for its value";
    for (size, shown) in [
        (egui::vec2(1400.0, 900.0), true),
        (egui::vec2(1100.0, 700.0), false),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let picker = QueuedPicker::default();
        let mut h = Harness::builder().with_size(size).build_ui_state(
            |ui, app: &mut App| app.ui(ui),
            app(dir.path(), &picker, true),
        );
        h.run();
        open_sample(&mut h);
        h.run();
        let text = od_b3(&h);
        assert_eq!(painted_text(&h, &text), shown, "{text} at {size:?}");
        assert_eq!(
            h.query_by_label_contains(hint).is_some(),
            !shown,
            "hint at {size:?}"
        );
    }
}

/// The overlay of several experiments says which line style is which curve (its legend
/// only shows the experiments' colours).
#[test]
fn compare_view_names_the_line_styles() {
    let (_dir, _picker, mut h) = sample_session();
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open sample experiment").click();
    h.run();
    h.get_by_label("☰ Compare experiments").click();
    h.run();
    h.get_by_label_contains("line:");
    h.get_by_label(&format!("——— {K562}"));
    h.get_by_label("– – – K562/FLM · flumatinib");
}

/// Whether the last frame asked the window to close.
fn closing(h: &Harness<'static, App>) -> bool {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .is_some_and(|v| {
            v.commands
                .iter()
                .any(|c| matches!(c, egui::ViewportCommand::Close))
        })
}

/// The menu bar reads File, Edit, Export, then the views. The menu items no other test
/// clicks through the menus do what they say: File › Open plate files…, Open project…,
/// Quit; Edit › Copy results table; Export › PDF report of all experiments + summary…;
/// the experiment list's context menu › Remove from project.
#[test]
fn menu_bar_order_and_the_remaining_menu_items() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    let left = |h: &Harness<'static, App>, label: &str| h.get_by_label(label).rect().left();
    assert!(left(&h, "File") < left(&h, "Edit"));
    assert!(left(&h, "Edit") < left(&h, "Export"));

    // File › Open plate files…
    let plate = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_plates/flumatinib_K562_72h.csv");
    picker.push(vec![plate]);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open plate files…  (Ctrl+O)").click();
    h.run();
    assert_eq!(h.state().experiments().len(), 1);
    assert_eq!(experiment(&h).name, "flumatinib_K562_72h");
    assert!(left(&h, "Export") < left(&h, "📈 Analysis"));

    // Edit › Copy results table: the results as tab-separated text on the clipboard.
    h.get_by_label("Edit").click();
    h.run();
    h.get_by_label_contains("Copy results table").click();
    h.step();
    let expected =
        platefit::gui::results_view::results_tsv(h.state().active_analysis().expect("analysis"));
    assert!(expected.contains(K562));
    assert!(
        h.output()
            .platform_output
            .commands
            .contains(&egui::OutputCommand::CopyText(expected)),
        "{:?}",
        h.output().platform_output.commands
    );
    h.run();

    // Export › PDF report of all experiments + summary…
    let all = dir.path().join("all.pdf");
    picker.push(vec![all.clone()]);
    h.get_by_label("Export").click();
    h.run();
    h.get_by_label("PDF report of all experiments + summary…")
        .click();
    h.run();
    assert!(std::fs::read(&all).expect("pdf").starts_with(b"%PDF"));

    // File › Open project… (after saving it and starting a new project).
    let path = dir.path().join("menu.platefit");
    save_and_load(&mut h, &picker, &path);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("New project").click();
    h.run();
    assert!(h.state().experiments().is_empty());
    picker.push(vec![path.clone()]);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open project…").click();
    h.run();
    assert_eq!(h.state().experiments().len(), 1);
    assert_eq!(h.state().project_path(), Some(path.as_path()));

    // The experiment list's context menu: Remove from project.
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open sample experiment").click();
    h.run();
    assert_eq!(h.state().experiments().len(), 2);
    h.get(By::new().role(Role::Button).label("flumatinib_K562_72h"))
        .click_secondary();
    h.run();
    h.get_by_label("Remove from project…").click();
    h.run();
    // It asks first.
    h.get_by_label("Remove").click();
    h.run();
    let names: Vec<String> = h
        .state()
        .experiments()
        .iter()
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(names, ["flumatinib K562 72 h (sample)"]);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Save project  (Ctrl+S)").click();
    h.run();
    assert!(!h.state().is_dirty());

    // File › Quit, with nothing unsaved, closes the window.
    assert!(!closing(&h));
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Quit").click();
    // Not run(): a closing window keeps asking for frames until the shell closes it.
    h.step();
    assert!(closing(&h));
}

// ----- issue 11: the app in a newcomer's hands -----

/// A copy of the sample plate without any layout beside it.
fn plate_without_layout(dir: &Path) -> PathBuf {
    let plate = dir.join("my_plate.csv");
    std::fs::write(&plate, SAMPLE_PLATE).expect("write");
    plate
}

/// Ctrl+Shift+C and Edit › Copy results table put the results on the clipboard (as an
/// egui output command; scripts/x11_clipboard_check.sh checks the real X11 clipboard).
#[test]
fn copy_table_shortcut_and_menu_entry() {
    let (_dir, _picker, mut h) = sample_session();
    let expected =
        platefit::gui::results_view::results_tsv(h.state().active_analysis().expect("analysis"));
    h.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::C,
    );
    h.run();
    assert_eq!(h.state().last_copied(), Some(expected.as_str()));
    h.run();
    let status = h.state().status().expect("a message").clone();
    assert!(
        status.text.contains("copied to the clipboard"),
        "{}",
        status.text
    );
    // The menu names the shortcut.
    h.get_by_label("Edit").click();
    h.run();
    assert!(painted_text(&h, "Ctrl+Shift+C"));
    // In the Compare view the same shortcut copies the comparison.
    h.key_press(egui::Key::Escape);
    h.run();
    h.get_by_label("☰ Compare experiments").click();
    h.run();
    h.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::C,
    );
    h.run();
    let analysis = h.state().active_analysis().expect("analysis").clone();
    let comparison = platefit::gui::experiments::comparison_tsv(&[&analysis]);
    assert_eq!(h.state().last_copied(), Some(comparison.as_str()));
}

/// A plate without a layout opens on its readings with a "no layout yet" panel: no line
/// names are invented, nothing is fitted, and the template takes the names typed.
#[test]
fn a_plate_without_layout_shows_its_readings_and_invents_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let plate = plate_without_layout(dir.path());
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&plate]);
    h.run();
    let opened = experiment(&h);
    assert!(
        opened.plates[0]
            .layout
            .wells
            .iter()
            .all(|w| w.role == WellRole::Empty && w.line.is_none())
    );
    h.get_by_label("No layout yet");
    assert!(h.query_by_label_contains("parental/resistant").is_none());
    assert!(!painted_text(&h, "parental/resistant"));
    assert!(h.query_by_label_contains("being analysed").is_none());
    // The heat map shows the readings: A450 − A630 of well B3.
    assert!(h.query_all_by_label_contains("A450 − A630").count() > 0);
    let input = &opened.plates[0];
    let b3 = WellId::parse("B3").expect("well");
    let od = input.plate.value(0, b3).expect("450") - input.plate.value(1, b3).expect("630");
    assert!(painted_text(&h, &format!("{od:.3}")), "{od:.3} not painted");
    // The template: nothing until both names are typed; then exactly those names.
    assert!(h.query_by_label("Apply template to this plate").is_none());
    type_into(&mut h, "Template parental line", "HeLa");
    type_into(&mut h, "Template resistant line", "HeLa/CDDP");
    h.get_by_label("Apply template to this plate").click();
    h.run();
    let lines: BTreeSet<String> = experiment(&h).plates[0]
        .layout
        .wells
        .iter()
        .filter_map(|w| w.line.clone())
        .collect();
    assert_eq!(
        lines,
        ["HeLa", "HeLa/CDDP"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert!(h.query_by_label("No layout yet").is_none());
}

/// The layout editor shows the plate's readings in the wells on request; a plate whose
/// layout cannot be analysed shows its readings, not a busy message.
#[test]
fn layout_editor_shows_the_readings_while_painting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let plate = plate_without_layout(dir.path());
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&plate]);
    open_layout_tab(&mut h);
    let input = experiment(&h).plates[0].clone();
    let h5 = WellId::parse("H5").expect("well");
    let od = input.plate.value(0, h5).expect("450") - input.plate.value(1, h5).expect("630");
    let text = format!("{od:.3}");
    assert!(!painted_text(&h, &text));
    tick(&mut h, "Show A450 − A630 in the wells");
    assert!(
        painted_text(&h, &text),
        "{text} not painted in the layout grid"
    );
    // Paint one vehicle well only: the layout cannot be analysed; the Analysis view shows
    // the plate's readings and says why, never "being analysed".
    drag_wells(&mut h, "B2", "B2");
    h.get(By::new().label("Vehicle").role(Role::Button)).click();
    h.run();
    h.get_by_label("📈 Analysis").click();
    h.run();
    assert!(!h.state().is_busy());
    assert!(h.query_by_label_contains("being analysed").is_none());
    assert!(h.query_by_label_contains("Analysing").is_none());
    assert!(painted_text(&h, &text));
}

/// Letters in the concentration field are refused in place and change nothing; after an
/// undo the field shows the restored value.
#[test]
fn a_bad_concentration_is_refused_and_undo_restores_the_field() {
    let (_dir, _picker, mut h) = sample_session();
    open_layout_tab(&mut h);
    drag_wells(&mut h, "B5", "B5");
    let before = experiment(&h);
    let b5 = WellId::parse("B5").expect("well");
    let original = before.plates[0]
        .layout
        .well(b5)
        .concentration
        .expect("conc");
    let field = "Conc. (µM)";
    type_into(&mut h, field, "50abc");
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(experiment(&h), before);
    h.get_by_label_contains("is not a concentration");
    // A valid value applies; undo restores the well and the field.
    type_into(&mut h, field, "7");
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(
        experiment(&h).plates[0].layout.well(b5).concentration,
        Some(7.0)
    );
    assert!(
        h.query_by_label_contains("is not a concentration")
            .is_none()
    );
    h.get_by_label("↺ Undo").click();
    h.run();
    assert_eq!(
        experiment(&h).plates[0].layout.well(b5).concentration,
        Some(original)
    );
    assert_eq!(
        h.get_by_label(field).value().unwrap_or_default(),
        format!("{original}")
    );
}

/// A message (an analysis error while painting) never moves the plate grid.
#[test]
fn messages_do_not_move_the_layout_grid() {
    let (_dir, _picker, mut h) = sample_session();
    open_layout_tab(&mut h);
    let a1 = h.get_by_label("Well A1").rect();
    let vehicle = By::new().label("Vehicle").role(Role::Button);
    let role = h.get(vehicle.clone()).rect();
    // All vehicle wells empty: the plate cannot be analysed, an error is shown.
    drag_wells(&mut h, "A2", "H2");
    h.get(By::new().label("Empty").role(Role::Button)).click();
    h.run();
    assert!(h.state().active_doc().expect("doc").error.is_some());
    assert_eq!(h.get_by_label("Well A1").rect(), a1);
    assert_eq!(h.get(vehicle).rect(), role);
}

/// Removing an experiment asks first, is undone by Ctrl+Z, and the other experiments keep
/// their colours.
#[test]
fn removing_an_experiment_asks_and_can_be_undone() {
    let (_dir, _picker, mut h) = sample_session();
    open_sample_again(&mut h);
    open_sample_again(&mut h);
    assert_eq!(h.state().experiments().len(), 3);
    let colors: Vec<usize> = h.state().docs_colors();
    h.get_by_label("🗑").click();
    h.run();
    h.get_by_label_contains("from the project? Its plate file stays on disk");
    h.get_by_label("Keep it").click();
    h.run();
    assert_eq!(h.state().experiments().len(), 3);
    // Remove the first one.
    h.get_by_label("☰ Compare experiments").click();
    h.run();
    h.state_mut()
        .apply(platefit::gui::Command::SelectExperiment(0));
    h.run();
    h.get_by_label("🗑").click();
    h.run();
    h.get_by_label("Remove").click();
    h.run();
    assert_eq!(h.state().experiments().len(), 2);
    assert_eq!(h.state().docs_colors(), colors[1..].to_vec());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert_eq!(h.state().experiments().len(), 3);
    assert_eq!(h.state().docs_colors(), colors);
}

/// "+ Add…" with a project adds its experiments to the open project.
#[test]
fn adding_a_project_adds_its_experiments() {
    let (dir, picker, mut h) = sample_session();
    let saved = dir.path().join("two.platefit");
    Project {
        experiments: vec![
            sample_experiment().expect("sample"),
            sample_experiment().expect("sample"),
        ],
        ..Project::default()
    }
    .save(&saved)
    .expect("save");
    picker.push(vec![saved]);
    h.get_by_label("+ Add…").click();
    h.run();
    assert_eq!(h.state().experiments().len(), 3);
}

/// The dilution helper refuses a series longer than the selection instead of cutting it.
#[test]
fn dilution_series_longer_than_the_selection_is_refused() {
    let (_dir, _picker, mut h) = sample_session();
    open_layout_tab(&mut h);
    drag_wells(&mut h, "B3", "D12");
    h.get_by_label("down columns").click();
    h.run();
    h.get_by_label_contains("the series has 10 steps but the selection holds only 3");
    let before = experiment(&h);
    h.get_by_label("Apply series to selection").click();
    h.run();
    assert_eq!(experiment(&h), before);
    h.get_by_label("along rows").click();
    h.run();
    assert!(
        h.query_by_label_contains("the series has 10 steps")
            .is_none()
    );
}

/// A restored autosave keeps the name of the project file it belongs to.
#[test]
fn a_restored_autosave_remembers_its_project_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let path = dir.path().join("screen.platefit");
    {
        let mut h = harness(app(dir.path(), &picker, true));
        h.run();
        open_sample(&mut h);
        save_and_load(&mut h, &picker, &path);
        let pos = h
            .state()
            .point_screen_position(K562, 0, WellId::parse("C6").expect("well"))
            .expect("drawn");
        click_at(&mut h, pos);
        assert!(h.state().is_dirty());
        h.state_mut().autosave_now();
    }
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    h.get_by_label("Restore autosaved work").click();
    h.run();
    assert_eq!(h.state().project_path(), Some(path.as_path()));
    assert!(h.state().is_dirty());
    assert!(painted_text(&h, "screen.platefit") || h.state().project_path().is_some());
}

/// Messages belong to their experiment and stay reachable in the message log.
#[test]
fn messages_belong_to_their_experiment_and_are_logged() {
    let (_dir, _picker, mut h) = sample_session();
    open_sample_again(&mut h);
    h.state_mut()
        .apply(platefit::gui::Command::SelectExperiment(0));
    h.run();
    h.state_mut().apply(platefit::gui::Command::CopyResults);
    h.run();
    let text = h.state().visible_status().expect("shown").text.clone();
    assert!(text.contains("copied"));
    h.state_mut()
        .apply(platefit::gui::Command::SelectExperiment(1));
    h.run();
    assert!(h.state().visible_status().is_none());
    assert!(
        h.query_by_label_contains("copied to the clipboard")
            .is_none()
    );
    assert!(h.state().message_log().iter().any(|s| s.text == text));
    h.get_by_label_contains("Messages (").click();
    h.run();
    h.get_by_label_contains("copied to the clipboard");
}

/// Two-control normalization without positive-control wells says so where the plot is.
#[test]
fn two_controls_without_positive_wells_say_why_where_the_plot_is() {
    let (_dir, _picker, mut h) = sample_session();
    choose(
        &mut h,
        "Normalize",
        "% between vehicle (100) and positive control (0)",
    );
    h.get_by_label_contains("needs positive-control wells — mark the 0 %");
}

/// A converged curve whose absolute IC50 column is empty says why, in the app too: K562/FLM
/// levels off above 50 % and its three wells at 50 µM scatter just below it (about 45 %):
/// the mean is below half but within the scatter of a curve that does not reach it.
#[test]
fn converged_curve_explains_an_empty_absolute_ic50() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let plate = sample_with_resistant_viability(dir.path(), "levels_off", |replicate, c| {
        if c > 49.0 {
            [34.0, 56.0, 40.0][replicate]
        } else {
            52.0 + 48.0 / (1.0 + (c / 0.5f64).powf(1.5))
        }
    });
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&plate]);
    let expected = analyze(&experiment(&h)).expect("analysis");
    let resistant = &expected.curves[1].fit;
    assert_eq!(
        resistant.status,
        platefit::FitStatus::Converged,
        "{:?}",
        resistant.verdict
    );
    assert_eq!(resistant.absolute_ic50(), None, "{:?}", resistant.verdict);
    h.get_by_label("K562/FLM · flumatinib: converged");
    h.get_by_label_contains("The absolute IC50 is not determined: points fall below 50 %");
}

/// Help › About names the version, the licence, how to cite and the data files.
#[test]
fn about_window_names_version_licence_and_files() {
    let (dir, _picker, mut h) = sample_session();
    h.get_by_label("Help").click();
    h.run();
    h.get_by_label("About platefit").click();
    h.run();
    h.get_by_label(&format!("platefit {}", env!("CARGO_PKG_VERSION")));
    h.get_by_label_contains("MIT or Apache-2.0");
    h.get_by_label_contains("fitted with platefit");
    h.get_by_label_contains(&dir.path().join("autosave.platefit").display().to_string());
    h.get_by_label_contains(&dir.path().join("platefit.log").display().to_string());
}

/// The sample plate with K562/FLM's treated wells (rows E–G) set to `viability(row, conc)`
/// % of the vehicle (blank and reference read as in the sample), written with its layout to
/// `dir/name`; returns the plate's path.
fn sample_with_resistant_viability(
    dir: &std::path::Path,
    name: &str,
    viability: impl Fn(usize, f64) -> f64,
) -> PathBuf {
    let text = String::from_utf8(SAMPLE_PLATE.to_vec()).expect("UTF-8 sample");
    let concentrations = [
        50.0,
        16.666_666_67,
        5.555_555_556,
        1.851_851_852,
        0.617_283_950_6,
        0.205_761_316_9,
        0.068_587_105_62,
        0.022_862_368_54,
        0.007_620_789_514,
        0.002_540_263_171,
    ];
    let mut block = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("630,") {
                block = 1;
            }
            let row = line.split(',').next().unwrap_or("");
            let replicate = ["E", "F", "G"].iter().position(|r| *r == row);
            match replicate {
                Some(replicate) if block == 0 => {
                    let mut cells: Vec<String> = line.split(',').map(String::from).collect();
                    for (k, c) in concentrations.iter().enumerate() {
                        // Blank ≈ 0.128 and vehicle ≈ 1.42 (corrected), reference ≈ 0.046.
                        let od = 0.046 + 0.128 + viability(replicate, *c) / 100.0 * (1.42 - 0.128);
                        cells[k + 3] = format!("{od:.4}");
                    }
                    cells.join(",")
                }
                _ => line.to_string(),
            }
        })
        .collect();
    let plate = dir.join(format!("{name}.csv"));
    std::fs::write(&plate, lines.join("\n") + "\n").expect("write");
    std::fs::write(dir.join(format!("{name}_layout.csv")), SAMPLE_LAYOUT).expect("write");
    plate
}

/// A curve without a lower plateau (the sample with K562/FLM still falling at 50 µM, its
/// Bottom extrapolated far below 0) shows its verdict in words under the results, with the
/// one-click remedy; the click fixes Bottom at 0 (undoable) and the curve is complete.
#[test]
fn no_lower_plateau_offers_fix_bottom_at_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    // % viability of a 4PL with Bottom −60 %, IC50 30 µM, Hill −0.8: 4 % at 50 µM.
    let plate = sample_with_resistant_viability(dir.path(), "no_plateau", |_, c| {
        -60.0 + 160.0 / (1.0 + (c / 30.0f64).powf(0.8))
    });
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&plate]);
    let opened = experiment(&h);
    let expected = analyze(&opened).expect("analysis");
    let resistant = &expected.curves[1].fit;
    assert_eq!(
        resistant.status,
        platefit::FitStatus::NoLowerPlateau,
        "{:?}",
        resistant.verdict
    );
    h.get_by_label("K562/FLM · flumatinib: no lower plateau");
    h.get_by_label_contains("No lower plateau: Bottom is extrapolated");
    h.get_by_label("Fix Bottom at 0").click();
    h.run();
    let fixed = experiment(&h);
    assert_eq!(fixed.settings.fix_bottom, Some(0.0));
    let refit = analyze(&fixed).expect("analysis");
    assert_ne!(
        refit.curves[1].fit.status,
        platefit::FitStatus::NoLowerPlateau
    );
    assert!(h.query_by_label("Fix Bottom at 0").is_none());
    // Undo takes the constraint back.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert_eq!(experiment(&h).settings.fix_bottom, None);
}

/// A plate whose blank wells are saturated (blank above the vehicle) fails QC; the plate
/// panel offers to exclude the wells QC names, one click excludes exactly those, the
/// plate passes and the curves get IC50s; Ctrl+Z brings the wells back.
#[test]
fn failed_qc_offers_to_exclude_the_suggested_wells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/variants/sample_blank_above_vehicle.csv");
    let plate = dir.path().join("blank_above_vehicle.csv");
    std::fs::copy(&source, &plate).expect("copy");
    std::fs::write(
        dir.path().join("blank_above_vehicle_layout.csv"),
        SAMPLE_LAYOUT,
    )
    .expect("write");
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&plate]);
    let opened = experiment(&h);
    let before = analyze(&opened).expect("analysis");
    let qc = &before.plates[0].normalized.qc;
    assert_eq!(qc.verdict, platefit::normalize::QcVerdict::Fail, "{qc:?}");
    assert!(!qc.suggested_exclusions.is_empty());
    assert!(
        before
            .curves
            .iter()
            .all(|c| c.fit.reported_ic50().is_none())
    );
    // The verdict follows the plate: its curves were not analysed because the plate failed
    // QC, not because they have too few concentrations.
    assert!(h.query_by_label_contains("insufficient data").is_none());
    assert!(h.query_all_by_label_contains("not analysed").count() >= 2);
    assert!(
        h.query_all_by_label_contains("plate QC failed")
            .next()
            .is_some()
    );
    let label = format!(
        "Exclude the {} suggested wells",
        qc.suggested_exclusions.len()
    );
    h.get_by_label_contains(&label).click();
    h.run();
    let excluded = experiment(&h);
    let wells: Vec<_> = excluded.plates[0].excluded.keys().copied().collect();
    let suggested: Vec<_> = qc.suggested_exclusions.keys().copied().collect();
    assert_eq!(wells, suggested);
    let after = analyze(&excluded).expect("analysis");
    assert_ne!(
        after.plates[0].normalized.qc.verdict,
        platefit::normalize::QcVerdict::Fail
    );
    assert!(after.curves.iter().any(|c| c.fit.reported_ic50().is_some()));
    assert!(h.query_by_label_contains(&label).is_none());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert!(experiment(&h).plates[0].excluded.is_empty());
}

/// Where the plate panel and the results panel sit once a project is open: the left and
/// right edges of the plate grid and the top of the results panel.
fn panel_geometry(h: &Harness<'static, App>) -> (f32, f32, f32) {
    let a1 = h.get_by_label("Well A1").rect();
    let a12 = h.get_by_label("Well A12").rect();
    let results = h.get_by_label("📋 Copy table").rect();
    let status = h.get_by_label_contains("Messages (").rect();
    eprintln!("geometry: A1 {a1:?} A12 {a12:?} results {results:?} status {status:?}");
    (a1.left(), a12.right(), results.top())
}

/// Issue 11 item 6: panel sizes do not depend on how the project was opened (command line,
/// Recent, restored autosave), and a resized panel keeps its size across experiments.
#[test]
fn panel_sizes_do_not_depend_on_how_the_project_was_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let path = dir.path().join("panels.platefit");
    {
        let mut h = harness(app(dir.path(), &picker, true));
        h.run();
        open_sample(&mut h);
        save_and_load(&mut h, &picker, &path);
    }
    // As from the command line: the project is open before the first frame.
    let mut from_cli = app(dir.path(), &picker, true);
    from_cli.open_launch(vec![path.clone()], None);
    let mut cli = harness(from_cli);
    cli.run();
    cli.run();
    let expected = panel_geometry(&cli);
    // From Recent on the start screen.
    let mut recent = harness(app(dir.path(), &picker, true));
    recent.run();
    recent.get_by_label("panels.platefit").click();
    recent.run();
    recent.run();
    assert_eq!(panel_geometry(&recent), expected, "opened from Recent");
    // From a restored autosave (with the worker thread, as in the app).
    {
        let mut h = harness(app(dir.path(), &picker, true));
        h.run();
        h.get_by_label("panels.platefit").click();
        h.run();
        // An experiment added to the open project is an unsaved change: autosaved.
        open_sample_again(&mut h);
        assert!(h.state().is_dirty());
        h.state_mut().autosave_now();
    }
    let mut restored = harness(app(dir.path(), &picker, false));
    restored.run();
    restored.get_by_label("Restore autosaved work").click();
    // One frame only: the worker's spinner repaints until the results are in.
    restored.step();
    assert!(
        restored
            .state_mut()
            .wait_for_analysis(Duration::from_secs(60))
    );
    restored.run();
    restored.run();
    assert_eq!(panel_geometry(&restored), expected, "restored autosave");
    // Switching experiments keeps the panels where they are.
    restored
        .state_mut()
        .apply(platefit::gui::Command::SelectExperiment(1));
    restored.run();
    restored.run();
    assert_eq!(panel_geometry(&restored), expected, "other experiment");
}

// ----- the Library view (issue 10 item 5) -----

use platefit::gui::library_view::{LibraryCommand, StudyPane};
use platefit::library::{Filter, Library, Metadata, NewEntry};

/// The sample study (three resistance experiments and the reversal plate) in a library
/// file in `dir`, with dates, passages, operators and tags; returns the file.
fn sample_study_library(dir: &Path) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_plates/study");
    let path = dir.join("lab.sqlite");
    let mut library = Library::open(&path).expect("library");
    for (file, date, passage, operator, tag) in [
        (
            "flumatinib_exp1_p12.csv",
            "2026-09-07",
            "12",
            "AK",
            "resistance",
        ),
        (
            "flumatinib_exp2_p19.csv",
            "2026-09-21",
            "19",
            "AK",
            "resistance",
        ),
        (
            "flumatinib_exp3_p27.csv",
            "2026-10-05",
            "27",
            "BT",
            "resistance",
        ),
        (
            "flumatinib_ivermectin_reversal_p30.csv",
            "2026-10-19",
            "30",
            "BT",
            "reversal",
        ),
    ] {
        let mut metadata = Metadata::default();
        for (key, value) in [
            ("date", date),
            ("passage", passage),
            ("operator", operator),
            ("tag", tag),
        ] {
            metadata.set(key, value).expect("metadata");
        }
        let experiments = platefit::cli::load_experiments(
            &[root.join(file)],
            None,
            &AnalysisSettings::default(),
            false,
        )
        .expect("sample study plate");
        let entries: Vec<NewEntry> = experiments
            .into_iter()
            .map(|experiment| NewEntry {
                analysis: analyze(&experiment).expect("analysis"),
                experiment,
                metadata: metadata.clone(),
            })
            .collect();
        library.add(&entries).expect("added");
    }
    path
}

/// A fresh app on the start screen with `library` chosen and the Library view shown.
fn library_session(library: &Path) -> (tempfile::TempDir, QueuedPicker, Harness<'static, App>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    picker.push(vec![library.to_path_buf()]);
    h.get_by_label("📚 Library").click();
    h.run();
    h.get_by_label("Open library file…").click();
    h.run();
    h.run();
    (dir, picker, h)
}

/// Picks `option` in the filter combo box `combo` (the option's text also sits in table
/// cells, which are plain labels).
fn choose_filter(h: &mut Harness<'static, App>, combo: &str, option: &str) {
    h.get_by_label(combo).click();
    h.run();
    h.get_by_role_and_label(Role::Button, option).click();
    h.run();
}

fn shown_names(h: &Harness<'static, App>) -> Vec<String> {
    h.state()
        .library_state()
        .shown()
        .map(|r| r.name.clone())
        .collect()
}

#[test]
fn library_view_lists_filters_and_searches() {
    let store = tempfile::tempdir().expect("tempdir");
    let library = sample_study_library(store.path());
    let (_dir, _picker, mut h) = library_session(&library);
    assert_eq!(shown_names(&h).len(), 4);
    h.get_by_label_contains("4 of 4 experiment(s) shown");
    // Every experiment is a row: its name is a link, its id a checkbox.
    h.get_by_label("flumatinib_exp1_p12");
    h.get_by_label("#4");
    // Operator filter (the choices come from the file).
    choose_filter(&mut h, "Operator", "BT");
    h.run();
    assert_eq!(
        shown_names(&h),
        ["flumatinib_exp3_p27", "flumatinib_ivermectin_reversal_p30"]
    );
    assert!(h.query_by_label("flumatinib_exp1_p12").is_none());
    // A date range on top of it.
    type_into(&mut h, "From", "2026-10-10");
    h.run();
    assert_eq!(shown_names(&h), ["flumatinib_ivermectin_reversal_p30"]);
    // Clear, then tag and a free-text search (in memory, over the cached rows).
    h.get_by_label("Clear filters").click();
    h.run();
    h.run();
    assert_eq!(shown_names(&h).len(), 4);
    choose_filter(&mut h, "Tag", "resistance");
    h.run();
    assert_eq!(shown_names(&h).len(), 3);
    type_into(&mut h, "Search", "p19");
    h.run();
    assert_eq!(shown_names(&h), ["flumatinib_exp2_p19"]);
    h.get_by_label_contains("1 of 4 experiment(s) shown");
    // Line filter: K562/FLM is on every plate, ivermectin only on the reversal plate.
    h.get_by_label("Search").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.key_press(egui::Key::Backspace);
    h.run();
    assert_eq!(h.state().library_state().search, "");
    h.get_by_label("Clear filters").click();
    h.run();
    h.run();
    choose_filter(&mut h, "Drug", "ivermectin");
    h.run();
    assert_eq!(shown_names(&h), ["flumatinib_ivermectin_reversal_p30"]);
}

#[test]
fn library_selection_compares_and_summarises_with_the_core_study() {
    let store = tempfile::tempdir().expect("tempdir");
    let library = sample_study_library(store.path());
    let (_dir, _picker, mut h) = library_session(&library);
    for id in ["#1", "#2", "#3"] {
        h.get_by_label(id).click();
        h.run();
    }
    assert_eq!(
        h.state()
            .library_state()
            .selected
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    h.get_by_label("3 selected");
    // The study summary equals the core's study of the same experiments.
    h.get_by_label("Study summary of selected").click();
    h.run();
    let records = Library::open(&library)
        .expect("library")
        .study_records(&Filter {
            ids: vec![1, 2, 3],
            ..Filter::default()
        })
        .expect("records");
    let expected = platefit::study::study(&records, &platefit::study::StudyOptions::default());
    let shown = &h
        .state()
        .library_state()
        .study
        .as_ref()
        .expect("study")
        .study;
    assert_eq!(shown, &expected);
    let resistant = expected
        .groups
        .iter()
        .find(|g| g.line == "K562/FLM")
        .and_then(|g| g.summary.as_ref())
        .expect("K562/FLM geometric mean");
    h.get_by_label(&format_number(resistant.geometric_mean));
    let ri = expected
        .comparisons
        .iter()
        .find(|c| c.kind == platefit::study::ComparisonKind::Resistance)
        .expect("RI across experiments");
    assert_eq!(ri.per_experiment.len(), 3);
    let summary = ri.summary.as_ref().expect("RI geometric mean");
    h.get_by_label_contains(&format!("{} [", format_number(summary.geometric_mean)));
    let meta = ri.meta.as_ref().expect("random effects");
    h.get_by_label_contains(&format!("{} [", format_number(meta.ratio)));
    // Compare: the three experiments open side by side.
    h.get_by_label("Compare selected").click();
    h.run();
    assert_eq!(h.state().tab(), platefit::gui::Tab::Compare);
    let names: Vec<String> = h
        .state()
        .experiments()
        .iter()
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "flumatinib_exp1_p12",
            "flumatinib_exp2_p19",
            "flumatinib_exp3_p27"
        ]
    );
    h.get_by_label("3 experiments side by side");
}

#[test]
fn a_click_on_a_chart_point_opens_its_experiment() {
    let store = tempfile::tempdir().expect("tempdir");
    let library = sample_study_library(store.path());
    let (_dir, _picker, mut h) = library_session(&library);
    h.get_by_label("Study summary of shown").click();
    h.run();
    // Trend of the first group (IC50 against date), then the Levey–Jennings chart.
    h.get_by_label("Trends").click();
    h.run();
    h.run();
    let pos = h.state().library_chart_point(2).expect("point of #2 drawn");
    click_at(&mut h, pos);
    assert_eq!(h.state().tab(), platefit::gui::Tab::Analysis);
    assert_eq!(experiment(&h).name, "flumatinib_exp2_p19");
    // Back to the library: the control chart, a click on the third experiment.
    h.get_by_label("📚 Library").click();
    h.run();
    h.get_by_label("Control charts").click();
    h.run();
    h.run();
    assert_eq!(h.state().library_state().pane, StudyPane::Control);
    let pos = h.state().library_chart_point(3).expect("point of #3 drawn");
    click_at(&mut h, pos);
    assert_eq!(experiment(&h).name, "flumatinib_exp3_p27");
    assert_eq!(h.state().experiments().len(), 2);
}

#[test]
fn the_control_charts_baseline_period_is_chosen_in_the_app() {
    let store = tempfile::tempdir().expect("tempdir");
    let library = sample_study_library(store.path());
    let (_dir, _picker, mut h) = library_session(&library);
    h.get_by_label("Study summary of shown").click();
    h.run();
    h.get_by_label("Control charts").click();
    h.run();
    let whole = |h: &Harness<'static, App>| {
        h.state()
            .library_state()
            .study
            .as_ref()
            .expect("study")
            .study
            .control_charts
            .iter()
            .map(|c| c.baseline_n)
            .collect::<Vec<_>>()
    };
    // Default: every experiment is the baseline (three carry the parental line).
    assert!(whole(&h).iter().all(|&n| n >= 3), "{:?}", whole(&h));
    h.get_by_label_contains("baseline (every experiment)");
    // September only: the first two experiments (7 and 21 September).
    type_into(&mut h, "Baseline from", "2026-09-01");
    type_into(&mut h, "until", "2026-09-30");
    h.get_by_label("Apply baseline").click();
    h.run();
    h.run();
    let shown = h.state().library_state().study.as_ref().expect("study");
    assert_eq!(
        shown.options.baseline,
        platefit::study::Baseline {
            from: Some("2026-09-01".into()),
            to: Some("2026-09-30".into()),
        }
    );
    let records = Library::open(&library)
        .expect("library")
        .study_records(&Filter {
            ids: shown.ids.clone(),
            ..Filter::default()
        })
        .expect("records");
    let expected = platefit::study::study(&records, &shown.options);
    assert_eq!(shown.study, expected);
    assert!(
        expected
            .control_charts
            .iter()
            .any(|c| c.quantity.starts_with("log10 IC50") && c.baseline_n == 2),
        "{:?}",
        expected
            .control_charts
            .iter()
            .map(|c| (&c.quantity, c.baseline_n))
            .collect::<Vec<_>>()
    );
    assert_eq!(h.state().library_state().pane, StudyPane::Control);
    h.get_by_label_contains("baseline (2026-09-01 – 2026-09-30)");
    // A reversed period is refused in place; the study stays as it was.
    type_into(&mut h, "Baseline from", "2026-10-30");
    h.get_by_label("Apply baseline").click();
    h.run();
    h.get_by_label_contains("is after to 2026-09-30");
    let kept = h.state().library_state().study.as_ref().expect("study");
    assert_eq!(kept.options.baseline.from.as_deref(), Some("2026-09-01"));
    // Not a date.
    type_into(&mut h, "Baseline from", "Sept");
    h.get_by_label("Apply baseline").click();
    h.run();
    h.get_by_label_contains("expected a date YYYY-MM-DD");
}

#[test]
fn adding_the_open_experiment_asks_for_metadata_and_remembers_it() {
    let (dir, picker, mut h) = sample_session();
    let library = dir.path().join("new-library.sqlite");
    h.state_mut()
        .apply(platefit::gui::Command::Library(LibraryCommand::SetPath(
            library.clone(),
        )));
    h.get_by_label("📚 Library").click();
    h.run();
    h.get_by_label("The library is empty. Open an experiment, let it analyse, then “+ Add this experiment to the library…” — or add plate files from the command line: platefit library add FILE… --meta date=YYYY-MM-DD --meta operator=…");
    h.get_by_label("+ Add this experiment to the library…")
        .click();
    h.run();
    type_into(&mut h, "Experiment date", "2026-09-07");
    type_into(&mut h, "Operator (who ran it)", "AK");
    type_into(&mut h, "Passage number", "twelve");
    type_into(&mut h, "Drug lot", "FLM-2026-03");
    type_into(&mut h, "Plate barcode", "PL-0001");
    type_into(&mut h, "Tags (comma-separated)", "sample, flumatinib");
    type_into(&mut h, "Notes", "bundled sample");
    h.get_by_label("Add to library").click();
    h.run();
    // A passage that is not a number is refused in the form; nothing is stored.
    h.get_by_label_contains("expected a whole number");
    assert!(
        Library::open(&library)
            .expect("library")
            .list(&Filter::default())
            .expect("list")
            .is_empty()
    );
    type_into(&mut h, "Passage number", "12");
    h.get_by_label("Add to library").click();
    h.run();
    h.run();
    let rows = Library::open(&library)
        .expect("library")
        .list(&Filter::default())
        .expect("list");
    assert_eq!(rows.len(), 1);
    let m = &rows[0].metadata;
    assert_eq!(m.date.as_deref(), Some("2026-09-07"));
    assert_eq!(m.operator.as_deref(), Some("AK"));
    assert_eq!(m.passage, Some(12));
    assert_eq!(m.drug_lot.as_deref(), Some("FLM-2026-03"));
    assert_eq!(m.barcode.as_deref(), Some("PL-0001"));
    assert_eq!(m.notes.as_deref(), Some("bundled sample"));
    assert_eq!(m.tags, ["flumatinib", "sample"]);
    // The list shows it at once.
    h.get_by_label_contains("1 of 1 experiment(s) shown");
    // The same plate again is recognised by its file's hash.
    h.get_by_label("+ Add this experiment to the library…")
        .click();
    h.run();
    // The form remembers the last values.
    assert_eq!(
        h.get_by_label("Operator (who ran it)").value().as_deref(),
        Some("AK"),
        "operator remembered"
    );
    h.get_by_label("Add to library").click();
    h.run();
    h.run();
    assert!(
        h.state()
            .visible_status()
            .is_some_and(|s| s.text.contains("already in the library as #1")),
        "{:?}",
        h.state().visible_status()
    );
    // A new session remembers the file and the metadata.
    drop(h);
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    open_sample(&mut h);
    h.get_by_label("📚 Library").click();
    h.run();
    h.run();
    assert_eq!(
        h.state().library_state().path.as_deref(),
        Some(library.as_path())
    );
    h.get_by_label_contains("1 of 1 experiment(s) shown");
    h.get_by_label("+ Add this experiment to the library…")
        .click();
    h.run();
    assert_eq!(
        h.get_by_label("Passage number").value().as_deref(),
        Some("12")
    );
}

/// Issue 10 item 5: a library of 10,000 experiments stays fluid. The list comes from the
/// worker once per filter change (the library's own benchmark times that query); what the
/// view adds per frame is measured here: a frame of the table (only the visible rows are
/// laid out) and a search typed over all rows. The times are printed, not asserted:
/// `cargo bench --bench library` (release) measures the speed.
#[test]
fn library_view_stays_fluid_with_10000_experiments() {
    use platefit::library::ExperimentRow;
    use std::time::Instant;
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    h.get_by_label("📚 Library").click();
    h.run();
    let rows: Vec<ExperimentRow> = (1..=10_000_i64)
        .map(|id| ExperimentRow {
            id,
            name: format!("flumatinib_plate_{id:05}"),
            added_at: "2026-11-01".into(),
            metadata: Metadata {
                date: Some(format!("2026-{:02}-{:02}", 1 + id % 12, 1 + id % 28)),
                operator: Some(["AK", "MB", "TS"][(id % 3) as usize].into()),
                passage: Some(10 + id % 40),
                barcode: Some(format!("PL-{id:06}")),
                tags: vec![
                    if id % 10 == 0 {
                        "reversal"
                    } else {
                        "resistance"
                    }
                    .into(),
                ],
                ..Metadata::default()
            },
            z_prime: Some(0.8),
            vehicle_od: Some(1.3),
            qc_pass: Some(id % 17 != 0),
            platefit_version: "platefit 0.1.0".into(),
            files: vec![format!("plate_{id:05}.csv")],
            curves: vec!["K562 · flumatinib".into(), "K562/FLM · flumatinib".into()],
        })
        .collect();
    let start = Instant::now();
    h.state_mut().library_state_mut().set_rows(rows);
    let load = start.elapsed();
    let start = Instant::now();
    h.run();
    let frame = start.elapsed();
    assert_eq!(h.state().library_state().visible.len(), 10_000);
    h.get_by_label("flumatinib_plate_00001");
    let start = Instant::now();
    h.state_mut().library_state_mut().search = "pl-004242".into();
    h.run();
    let search = start.elapsed();
    assert_eq!(
        h.state()
            .library_state()
            .shown()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        [4242]
    );
    eprintln!(
        "library view, 10,000 experiments: rows in {:.1} ms, a frame {:.1} ms, a search {:.1} ms (debug build)",
        load.as_secs_f64() * 1e3,
        frame.as_secs_f64() * 1e3,
        search.as_secs_f64() * 1e3
    );
}

/// A plate with t0 wells in its layout (`tests/data/growth/`): the app shows the GR table,
/// and the GR50 on screen is the one `analyze()` computes; the division-rate warning of the
/// slower K562/FLM is shown beside the GR-based RI.
#[test]
fn gr_metrics_of_a_plate_with_t0_wells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/growth");
    let mut with_t0 = app(dir.path(), &picker, true);
    with_t0.open_launch(
        vec![data.join("t0_wells_plate.csv")],
        Some(data.join("t0_wells_plate_layout.csv")),
    );
    let mut h = harness(with_t0);
    h.run();
    h.run();
    let expected = analyze(&experiment(&h)).expect("the plate analyses");
    let growth = expected
        .growth
        .as_ref()
        .expect("GR metrics from the t0 wells");
    h.get_by_label("Growth-rate inhibition (GR metrics)");
    for curve in &growth.curves {
        let gr50 = curve.metrics.as_ref().expect("metrics").gr50;
        assert!(gr50.value().is_some(), "{}: {gr50:?}", curve.label);
        let text = platefit::report::gr::estimate_text(gr50);
        assert!(
            !h.query_all_by_label(&text).collect::<Vec<_>>().is_empty(),
            "GR50 label {text:?} of {} not on screen",
            curve.label
        );
    }
    let comparison = &growth.comparisons[0];
    assert!(comparison.confounded);
    // Under the GR-based RI and in the warnings.
    assert!(
        h.query_all_by_label_contains("division rates differ")
            .count()
            >= 1
    );
    h.get_by_label_contains(&format!(
        "GR-based {}",
        platefit::report::gr::ratio_text(comparison)
    ));
}

/// Issue 13 in the app: a plate with a planted outlier (C9 of K562 misread as 0.2000 OD
/// instead of 0.6885). ROUT turned on in the settings removes C9, which is drawn and listed
/// (well, concentration, value) with a button to keep it; keeping it refits with C9 in and
/// is saved with the experiment; the automatic model choice shows the model kept and why;
/// Ctrl+Z steps back through all of it.
#[test]
fn rout_in_the_app_lists_the_outlier_and_the_user_can_keep_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let sample = String::from_utf8_lossy(SAMPLE_PLATE).into_owned();
    assert_eq!(sample.matches("0.6885").count(), 1);
    let plate = dir.path().join("planted_outlier.csv");
    std::fs::write(&plate, sample.replacen("0.6885", "0.2000", 1)).expect("write");
    std::fs::write(dir.path().join("planted_outlier_layout.csv"), SAMPLE_LAYOUT).expect("write");
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&plate]);
    let c9 = WellId::parse("C9").expect("well");
    // Off by default: nothing listed, C9 fitted.
    assert_eq!(combo_value(&h, "Outliers"), "off");
    assert!(h.query_by_label("Keep C9").is_none());

    choose(&mut h, "Outliers", "ROUT, Q = 1 %");
    let on = experiment(&h);
    assert_eq!(
        on.settings.choices.outliers,
        platefit::fit::OutlierChoice::Rout { q: 0.01 }
    );
    let expected = analyze(&on).expect("analysis");
    let k562 = expected.curve(K562).expect("K562 curve");
    let report = k562.fit.outliers.as_ref().expect("ROUT ran");
    let point = report
        .points
        .iter()
        .find(|p| p.well == Some(c9))
        .expect("C9 flagged");
    assert!(report.is_removed(point));
    assert_shows(&h, &expected);
    h.get_by_label_contains("Outliers (ROUT, Q = 1 %)");
    h.get_by_label("Keep C9");
    assert!(
        !h.query_all_by_label("removed")
            .collect::<Vec<_>>()
            .is_empty()
    );
    for value in [point.response, point.concentration] {
        let text = format_number(value);
        assert!(
            h.query_all_by_label(&text).next().is_some(),
            "{text} not listed"
        );
    }
    assert!(
        h.query_all_by_label_contains(&format!("{K562}: ROUT (Q = 1 %) removed"))
            .next()
            .is_some()
    );

    // The user overrules the flag: C9 stays in the fit, and stays so on refits.
    h.get_by_label("Keep C9").click();
    h.run();
    let kept = experiment(&h);
    assert!(kept.settings.is_kept(K562, c9));
    let refit = analyze(&kept).expect("analysis");
    let curve = refit.curve(K562).expect("K562 curve");
    let report = curve.fit.outliers.as_ref().expect("ROUT ran");
    let point = report
        .points
        .iter()
        .find(|p| p.well == Some(c9))
        .expect("C9 still flagged");
    assert!(point.kept && !report.is_removed(point));
    assert!(
        !curve
            .fit
            .fitted_dose_response(&curve.dose_response)
            .points
            .iter()
            .any(|p| p.well == Some(c9) && p.excluded)
    );
    assert_ne!(curve.fit.reported_ic50(), k562.fit.reported_ic50());
    assert_shows(&h, &refit);
    h.get_by_label("Remove C9");
    h.get_by_label("kept (flag overruled)");
    // Another setting refits: the overruled flag stays overruled.
    choose(&mut h, "IC50 CI", "profile likelihood");
    assert!(experiment(&h).settings.is_kept(K562, c9));
    h.get_by_label("Remove C9");

    // The automatic model choice: the model kept and why.
    choose(&mut h, "Model", "auto (4PL or 3PL by AICc)");
    let auto = experiment(&h);
    assert_eq!(
        auto.settings.choices.model,
        platefit::fit::ModelChoice::Auto
    );
    let chosen = analyze(&auto).expect("analysis");
    let fit = &chosen.curve(K562).expect("K562 curve").fit;
    let comparison = fit.model_comparison.as_ref().expect("a comparison");
    h.get_by_label(&format!(
        "{K562}: model {} — {}",
        fit.model.name(),
        comparison.reason
    ));
    assert_shows(&h, &chosen);

    // Saved with the project.
    let saved = save_and_load(&mut h, &picker, &dir.path().join("rout.platefit"));
    let settings = &saved.experiments[0].settings;
    assert!(settings.is_kept(K562, c9));
    assert_eq!(settings.choices.model, platefit::fit::ModelChoice::Auto);

    // Undo: the model, the CI method, the kept point, ROUT.
    for _ in 0..3 {
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
        h.run();
    }
    let undone = experiment(&h);
    assert!(!undone.settings.is_kept(K562, c9));
    assert_eq!(
        undone.settings.choices.model,
        platefit::fit::ModelChoice::default()
    );
    h.get_by_label("Keep C9");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert!(experiment(&h).settings.choices.outliers.q().is_none());
    assert!(h.query_by_label("Keep C9").is_none());

    // Prism's robust fit alone.
    tick(&mut h, "Robust fit (no outlier removed)");
    let robust = experiment(&h);
    assert_eq!(
        robust.settings.choices.method,
        platefit::fit::FitMethod::Robust
    );
    assert_shows(&h, &analyze(&robust).expect("analysis"));
}

/// A plate file with C9 (K562) misread as 0.2000 OD, and its layout, in `dir`.
fn planted_outlier_plate(dir: &Path) -> PathBuf {
    let sample = String::from_utf8_lossy(SAMPLE_PLATE).into_owned();
    assert_eq!(sample.matches("0.6885").count(), 1);
    let plate = dir.join("planted_outlier.csv");
    std::fs::write(&plate, sample.replacen("0.6885", "0.2000", 1)).expect("write");
    std::fs::write(dir.join("planted_outlier_layout.csv"), SAMPLE_LAYOUT).expect("write");
    plate
}

/// "Use these settings for all experiments" gives every experiment the active one's
/// settings but leaves each experiment's overruled ROUT flags (they name its own wells).
#[test]
fn settings_for_all_experiments_keep_each_ones_overruled_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let plate = planted_outlier_plate(dir.path());
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&plate]);
    let c9 = WellId::parse("C9").expect("well");
    choose(&mut h, "Outliers", "ROUT, Q = 1 %");
    h.get_by_label("Keep C9").click();
    h.run();
    assert!(experiment(&h).settings.is_kept(K562, c9));
    open_sample_again(&mut h);
    assert!(experiment(&h).settings.kept_outliers.is_empty());
    choose(&mut h, "Model", "3PL (slope −1)");
    h.get_by_label("Use these settings for all experiments")
        .click();
    h.run();
    let experiments: Vec<Experiment> = h.state().experiments().into_iter().cloned().collect();
    assert_eq!(experiments.len(), 2);
    for e in &experiments {
        assert_eq!(
            e.settings.choices.model,
            platefit::fit::ModelChoice::Fixed(platefit::fit::Model::ThreePl)
        );
        assert!(e.settings.choices.outliers.q().is_none());
    }
    assert!(experiments[0].settings.is_kept(K562, c9));
    assert!(experiments[1].settings.kept_outliers.is_empty());
}

/// The asymmetric 5PL and relative (1/Y²) weighting chosen in an experiment's settings:
/// each IC50 on screen is the one `analyze()` gives for those settings, the 5PL's
/// asymmetry S is named under the results, both choices are saved with the project, and a
/// saved experiment without the weighting key loads unweighted.
#[test]
fn five_pl_and_relative_weighting_chosen_in_the_app() {
    use platefit::fit::{Model, ModelChoice, Weighting};
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let plate = dir.path().join("sample.csv");
    std::fs::write(&plate, SAMPLE_PLATE).expect("write");
    std::fs::write(dir.path().join("sample_layout.csv"), SAMPLE_LAYOUT).expect("write");
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&plate]);
    assert_eq!(combo_value(&h, "Weighting"), "none");
    let four = analyze(&experiment(&h)).expect("analysis");

    choose(&mut h, "Model", "5PL (asymmetric)");
    let five = experiment(&h);
    assert_eq!(
        five.settings.choices.model,
        ModelChoice::Fixed(Model::FivePl)
    );
    let expected = analyze(&five).expect("analysis");
    let fit = &expected.curve(K562).expect("K562 curve").fit;
    assert_eq!(fit.model, Model::FivePl);
    let s = fit.asymmetry.as_ref().expect("S").s;
    assert!(fit.reported_ic50().is_some(), "{:?}", fit.verdict);
    assert_ne!(fit.reported_ic50(), k562_ic50(&four));
    assert_shows(&h, &expected);
    h.get_by_label(&format!(
        "{K562}: model 5PL (asymmetric) (asymmetry S = {})",
        format_number(s)
    ));
    // The unweighted 5PL has its own profile-likelihood CI (not the Wald one, unmarked).
    choose(&mut h, "IC50 CI", "profile likelihood");
    let [Some(lo), Some(hi)] = fit.ic50_ci95_profile.expect("5PL profile CI") else {
        panic!("a closed profile CI for K562");
    };
    assert_ne!(Some([lo, hi]), fit.ic50_ci95_wald_log);
    h.get_by_label(&format!(
        "{} [{}, {}]",
        format_number(fit.reported_ic50().expect("IC50")),
        format_number(lo),
        format_number(hi)
    ));
    choose(&mut h, "IC50 CI", "Wald on log scale (Prism default)");

    choose(&mut h, "Weighting", "relative (1/Y²)");
    let weighted = experiment(&h);
    assert_eq!(weighted.settings.choices.weighting, Weighting::Relative);
    let expected = analyze(&weighted).expect("analysis");
    assert!(
        expected
            .curves
            .iter()
            .any(|c| c.fit.weighting == Weighting::Relative && c.fit.reported_ic50().is_some())
    );
    assert_shows(&h, &expected);
    h.get_by_label_contains("Weighted by 1/Y²");
    // The RI sentence says why there is no F test of equal IC50s.
    h.get_by_label_contains("is done for unweighted fits only, not for a relatively weighted fit");
    // The profile CI chosen: these fits have none, their Wald CI is shown and marked.
    choose(&mut h, "IC50 CI", "profile likelihood");
    let fit = &expected.curve(K562).expect("K562 curve").fit;
    let [lo, hi] = fit.ic50_ci95_wald_log.expect("Wald CI");
    let ic50 = fit.reported_ic50().expect("IC50");
    h.get_by_label(&format!(
        "{} [{}, {}] (Wald)",
        format_number(ic50),
        format_number(lo),
        format_number(hi)
    ));
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();

    let saved = save_and_load(&mut h, &picker, &dir.path().join("fivepl.platefit"));
    let settings = &saved.experiments[0].settings;
    assert_eq!(settings.choices.weighting, Weighting::Relative);
    assert_eq!(settings.choices.model, ModelChoice::Fixed(Model::FivePl));
    // An experiment saved before weighting existed: the key is absent, the fit unweighted.
    let mut old = serde_json::to_value(&saved.experiments[0].settings).expect("settings");
    old["choices"]
        .as_object_mut()
        .expect("choices object")
        .remove("weighting");
    let loaded: AnalysisSettings = serde_json::from_value(old).expect("old settings load");
    assert_eq!(loaded.choices.weighting, Weighting::None);
}

/// Relative weighting chosen for a plate whose parental line falls below the blank at the
/// highest doses (viability −1 % to −2 %): 1/Y² weights do not exist for a curve at or below
/// zero, so that curve's unweighted fit is shown, and the results say so on the curve's
/// model line (the same note as the table and the JSON).
#[test]
fn relative_weighting_that_falls_back_is_named_in_the_app() {
    use platefit::fit::Weighting;
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let plate = dir.path().join("below_blank.csv");
    // The 450 nm read (the first block): K562's four highest doses (B–D, columns 3–6) below
    // the blank wells' OD.
    let text = String::from_utf8(SAMPLE_PLATE.to_vec()).expect("UTF-8 sample");
    let mut first_block = true;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line.trim().is_empty() {
                first_block = false;
            }
            let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
            if first_block && ["B", "C", "D"].contains(&fields[0].as_str()) {
                for field in &mut fields[3..=6] {
                    *field = "0.1500".into();
                }
            }
            fields.join(",")
        })
        .collect();
    std::fs::write(&plate, lines.join("\n")).expect("write");
    std::fs::write(dir.path().join("below_blank_layout.csv"), SAMPLE_LAYOUT).expect("write");
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    drop_files(&mut h, &[&plate]);
    choose(&mut h, "Weighting", "relative (1/Y²)");
    let expected = analyze(&experiment(&h)).expect("analysis");
    let fit = &expected.curve(K562).expect("K562 curve").fit;
    assert_eq!(fit.weighting, Weighting::None, "{:?}", fit.model_note);
    let note = fit.model_note.as_deref().expect("a model note");
    assert!(note.contains("do not exist"), "{note}");
    assert_shows(&h, &expected);
    h.get_by_label_contains(&format!("{K562}: model"));
    h.get_by_label_contains("relative weighting (1/Y²) was asked for");
}
