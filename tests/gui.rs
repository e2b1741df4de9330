//! The desktop app driven as a user would, through its accessibility tree (egui_kittest):
//! open the sample, read the IC50 and RI labels, paint wells, exclude a point, change a
//! concentration, save and reopen, undo and redo. The numbers on screen are compared with
//! what `analyze()` computes for the same experiment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::{Harness, kittest::Queryable};
use platefit::analysis::{Analysis, Experiment, analyze};
use platefit::fit::CiMethod;
use platefit::gui::files::{QueuedPicker, sample_experiment};
use platefit::gui::results_view::{qc_text, ri_text};
use platefit::gui::widgets::ic50_with_ci;
use platefit::gui::{App, AppOptions};
use platefit::plate::WellId;

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

/// The IC50 and RI texts on screen are the ones `analyze()` gives for `experiment`.
fn assert_shows(h: &Harness<'static, App>, expected: &Analysis) {
    for curve in &expected.curves {
        let text = ic50_with_ci(&curve.fit, CiMethod::WaldLog);
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
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    open_sample(&mut h);
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
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    open_sample(&mut h);
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
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    open_sample(&mut h);
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
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    open_sample(&mut h);
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
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    open_sample(&mut h);
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
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    open_sample(&mut h);
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
    let dir = tempfile::tempdir().expect("tempdir");
    let picker = QueuedPicker::default();
    let mut h = harness(app(dir.path(), &picker, true));
    h.run();
    open_sample(&mut h);
    let pdf = dir.path().join("report.pdf");
    let xlsx = dir.path().join("book.xlsx");
    let pzfx = dir.path().join("prism.pzfx");
    let figures = dir.path().join("figures");
    for (label, path) in [
        ("PDF report of this experiment…", &pdf),
        ("Excel workbook…", &xlsx),
        ("GraphPad Prism file (.pzfx)…", &pzfx),
        ("Figures (SVG + PNG) to a folder…", &figures),
    ] {
        picker.push(vec![path.clone()]);
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
