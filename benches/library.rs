//! Speed of the lab library at 10,000 experiments: list all, list with filters, and the
//! study statistics with the control-chart data over the whole library.
//!
//! Then the app's Library view over that library, driven headless by egui_kittest at
//! 1366 × 768: one frame of the table with every experiment listed, and one frame with the
//! study's Levey–Jennings chart (and the trend chart) of all 10,000 drawn — the layout and the
//! plot's shapes, which is what the app does per frame (painting the shapes is the GPU's).
//!
//! The library is generated once into a temporary folder (`common/library_data.rs`, shared
//! with `examples/library_loop.rs`, the profiling driver).

#[path = "common/library_data.rs"]
mod library_data;

use criterion::{Criterion, criterion_group, criterion_main};
use library_data::{EXPERIMENTS, filtered, generate};
use platefit::library::Filter;
use platefit::study::{StudyOptions, study};
use std::hint::black_box;

fn library_bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.sqlite");
    let library = generate(&path);
    assert_eq!(
        library.list(&Filter::default()).expect("list").len(),
        EXPERIMENTS
    );
    let filtered = filtered();
    c.bench_function("library list 10000 (all)", |b| {
        b.iter(|| black_box(library.list(black_box(&Filter::default())).expect("list")));
    });
    c.bench_function("library list 10000 (line+operator+dates+tag)", |b| {
        b.iter(|| black_box(library.list(black_box(&filtered)).expect("list")));
    });
    c.bench_function("library study 10000 (records + statistics + charts)", |b| {
        b.iter(|| {
            let records = library
                .study_records(black_box(&Filter::default()))
                .expect("records");
            black_box(study(&records, &StudyOptions::default()))
        });
    });
    c.bench_function("library study 10000 filtered", |b| {
        b.iter(|| {
            let records = library
                .study_records(black_box(&filtered))
                .expect("records");
            black_box(study(&records, &StudyOptions::default()))
        });
    });
    view_bench(c, &path);
}

/// Runs frames until `done` holds (the library's worker answers on its own thread).
fn settle(
    h: &mut egui_kittest::Harness<'static, platefit::gui::App>,
    done: impl Fn(&platefit::gui::App) -> bool,
) {
    for _ in 0..3000 {
        h.step();
        if done(h.state()) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("the library view did not settle");
}

fn view_bench(c: &mut Criterion, path: &std::path::Path) {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use platefit::gui::library_view::{LibraryCommand, StudyPane};
    use platefit::gui::{App, AppOptions, Command};
    let data = tempfile::tempdir().expect("tempdir");
    let app = App::new(AppOptions {
        data_dir: Some(data.path().to_path_buf()),
        inline_analysis: true,
        picker: Box::new(platefit::gui::files::QueuedPicker::default()),
    });
    let mut h = Harness::builder()
        .with_size(egui::vec2(1366.0, 768.0))
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    h.run();
    h.state_mut()
        .apply(Command::Library(LibraryCommand::SetPath(
            path.to_path_buf(),
        )));
    h.get_by_label("📚 Library").click();
    settle(&mut h, |app| {
        app.library_state().visible.len() == EXPERIMENTS
    });
    c.bench_function("library view: a frame of the table (10000 listed)", |b| {
        b.iter(|| h.step());
    });
    h.state_mut().apply(Command::Library(LibraryCommand::Study));
    settle(&mut h, |app| app.library_state().study.is_some());
    let points = h.state().library_state().study.as_ref().map_or(0, |s| {
        s.study.control_charts.first().map_or(0, |c| c.points.len())
    });
    assert!(
        points >= 5_000,
        "the first control chart has {points} points"
    );
    h.state_mut().library_state_mut().pane = StudyPane::Control;
    h.step();
    c.bench_function(
        "library view: a frame with the Levey–Jennings chart (10000 experiments)",
        |b| b.iter(|| h.step()),
    );
    h.state_mut().library_state_mut().pane = StudyPane::Trend;
    h.step();
    c.bench_function(
        "library view: a frame with the IC50 trend chart (10000 experiments)",
        |b| b.iter(|| h.step()),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = library_bench
}
criterion_main!(benches);
