//! The desktop app (feature `gui`): eframe/egui over the same `analysis` API as the CLI.

use std::path::PathBuf;

/// What the app opens with.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// Plate files to open.
    pub files: Vec<PathBuf>,
    /// Layout for those files.
    pub layout: Option<PathBuf>,
    /// Save a screenshot of the settled window here and exit.
    pub screenshot: Option<PathBuf>,
}

/// Opens the window.
///
/// # Errors
/// The window cannot be created.
pub fn run(launch: Launch) -> anyhow::Result<()> {
    let _ = launch;
    eframe::run_native(
        "platefit",
        eframe::NativeOptions::default(),
        Box::new(|_cc| Ok(Box::new(Placeholder))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

struct Placeholder;

impl eframe::App for Placeholder {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.label("platefit");
        });
    }
}
