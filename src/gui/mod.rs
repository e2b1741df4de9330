//! The desktop app (feature `gui`): eframe/egui over the same `analysis` API as the CLI.
//!
//! - [`App`] owns the state; widgets emit [`Command`]s; [`App::apply`] is the one place
//!   state changes ([`app`]).
//! - Analyses run on a named worker thread with a generation counter ([`jobs`]).
//! - File dialogs sit behind [`files::FilePicker`] so tests inject paths.
//! - Views: [`view`] (window, start screen, settings), [`plate_view`], [`layout_editor`],
//!   [`curve_plot`], [`results_view`], [`experiments`]; shared look in [`widgets`].

pub mod app;
pub mod command;
pub mod curve_plot;
pub mod experiments;
pub mod files;
pub mod growth_view;
pub mod jobs;
pub mod layout_editor;
pub mod library_view;
pub mod plate_view;
pub mod raw;
pub mod results_view;
pub mod view;
pub mod widgets;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use app::{App, AppOptions};
pub use command::{Command, Tab};

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

/// Frame timing for `PLATEFIT_PERF=1` (written to stderr at exit).
#[derive(Debug, Default)]
struct Perf {
    enabled: bool,
    ui_times: Vec<Duration>,
    frame_starts: Vec<Instant>,
}

/// The eframe wrapper: the app plus the screenshot and measurement hooks.
struct Window {
    app: App,
    perf: Perf,
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let start = Instant::now();
        self.app.ui(ui);
        if self.perf.enabled {
            self.perf.ui_times.push(start.elapsed());
            self.perf.frame_starts.push(start);
        }
        self.screenshot_step(ui.ctx());
    }
}

impl Window {
    /// Takes the screenshot once the window has settled (analyses done, a few frames
    /// drawn; 120 frames when measuring), saves it and closes the window.
    fn screenshot_step(&mut self, ctx: &egui::Context) {
        let perf_frames = if self.perf.enabled { 120 } else { 0 };
        let busy = self.app.is_busy();
        let Some(plan) = self.app.screenshot.as_mut() else {
            if self.perf.enabled && self.perf.ui_times.len() < perf_frames {
                ctx.request_repaint();
            }
            return;
        };
        if busy {
            plan.settled_frames = 0;
            ctx.request_repaint();
            return;
        }
        plan.settled_frames += 1;
        let outcome = plan.result.lock().ok().and_then(|mut r| r.take());
        if let Some(outcome) = outcome {
            match outcome {
                Ok(()) => eprintln!(
                    "platefit: screenshot saved to {} ({:.2} s after start)",
                    plan.path.display(),
                    plan.started.elapsed().as_secs_f64()
                ),
                Err(e) => eprintln!("platefit: screenshot failed: {e}"),
            }
            self.perf_report();
            self.app.screenshot = None;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        if !plan.requested && plan.settled_frames >= 4 && self.perf.ui_times.len() >= perf_frames {
            plan.requested = true;
            let path = plan.path.clone();
            let result = plan.result.clone();
            let repaint = ctx.clone();
            ctx.request_screenshot(move |image: std::sync::Arc<egui::ColorImage>| {
                let [w, h] = image.size;
                let saved = u32::try_from(w)
                    .ok()
                    .zip(u32::try_from(h).ok())
                    .ok_or_else(|| "image too large".to_string())
                    .and_then(|(w, h)| {
                        image::save_buffer(
                            &path,
                            image.as_raw(),
                            w,
                            h,
                            image::ExtendedColorType::Rgba8,
                        )
                        .map_err(|e| e.to_string())
                    });
                if let Ok(mut slot) = result.lock() {
                    *slot = Some(saved);
                }
                repaint.request_repaint();
            });
        }
        ctx.request_repaint();
    }

    fn perf_report(&self) {
        if !self.perf.enabled {
            return;
        }
        let first = self.app.first_frame.unwrap_or_default();
        // Skip the first frames (start-up, font atlas) for the steady-state numbers.
        let steady: Vec<f64> = self
            .perf
            .ui_times
            .iter()
            .skip(10)
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect();
        let intervals: Vec<f64> = self
            .perf
            .frame_starts
            .windows(2)
            .skip(10)
            .map(|w| (w[1] - w[0]).as_secs_f64() * 1000.0)
            .collect();
        let stats = |v: &[f64]| {
            let mut s = v.to_vec();
            s.sort_by(f64::total_cmp);
            let mean = s.iter().sum::<f64>() / s.len().max(1) as f64;
            let p = |q: f64| {
                s.get(((s.len() as f64 - 1.0) * q).round() as usize)
                    .copied()
                    .unwrap_or(f64::NAN)
            };
            format!(
                "mean {mean:.2} ms, median {:.2} ms, p95 {:.2} ms, max {:.2} ms (n={})",
                p(0.5),
                p(0.95),
                p(1.0),
                s.len()
            )
        };
        eprintln!(
            "platefit perf: first frame {:.1} ms after App::new",
            first.as_secs_f64() * 1000.0
        );
        eprintln!("platefit perf: experiments open: {}", self.app.docs.len());
        let analysis_ms: Vec<f64> = self
            .app
            .docs
            .iter()
            .filter_map(|d| d.elapsed)
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect();
        eprintln!(
            "platefit perf: analysis per experiment on the worker: {}",
            stats(&analysis_ms)
        );
        eprintln!("platefit perf: App::ui time per frame: {}", stats(&steady));
        eprintln!(
            "platefit perf: frame interval (ui + render + present): {}",
            stats(&intervals)
        );
    }
}

/// The log file's name in the data folder.
pub const LOG_FILE: &str = "platefit.log";
/// The log is started afresh when it grows past this.
const LOG_MAX_BYTES: u64 = 1 << 20;
/// The application id: the desktop entry's name, the Wayland app id and the X11 class.
pub const APP_ID: &str = "org.platefit.Platefit";
/// The window icon (the 256-pixel PNG of `assets/icons/platefit.svg`).
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/icons/platefit-256.png");

/// Prints warnings and errors (e.g. why a file dialog could not open) to stderr and appends
/// them to the log file in the data folder.
struct Logger {
    file: std::sync::Mutex<Option<std::fs::File>>,
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = format!(
                "platefit [{}] {}: {}",
                record.level(),
                record.target(),
                record.args()
            );
            eprintln!("{line}");
            if let Ok(mut file) = self.file.lock()
                && let Some(file) = file.as_mut()
            {
                use std::io::Write as _;
                let seconds = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let _ = writeln!(file, "{seconds} {line}");
            }
        }
    }

    fn flush(&self) {}
}

static LOGGER: Logger = Logger {
    file: std::sync::Mutex::new(None),
};

/// Opens the log file for appending (a fresh one when the old one is large).
fn open_log(dir: &std::path::Path) -> Option<std::fs::File> {
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(LOG_FILE);
    let large = std::fs::metadata(&path).is_ok_and(|m| m.len() > LOG_MAX_BYTES);
    std::fs::OpenOptions::new()
        .create(true)
        .append(!large)
        .write(true)
        .truncate(large)
        .open(path)
        .ok()
}

/// Opens the window.
///
/// # Errors
/// The window cannot be created.
pub fn run(launch: Launch) -> anyhow::Result<()> {
    let process_start = Instant::now();
    if let Ok(mut file) = LOGGER.file.lock() {
        *file = files::default_data_dir().as_deref().and_then(open_log);
    }
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
    let mut app = App::new(AppOptions::default());
    app.open_launch(launch.files, launch.layout);
    match std::env::var("PLATEFIT_TAB").ok().as_deref() {
        Some("layout") => app.apply(Command::SetTab(Tab::Layout)),
        Some("compare") => app.apply(Command::SetTab(Tab::Compare)),
        Some("library") => app.apply(Command::SetTab(Tab::Library)),
        _ => {}
    }
    // The library file for this session (e.g. for screenshots of the Library view).
    if let Some(path) = std::env::var_os("PLATEFIT_LIBRARY").filter(|v| !v.is_empty()) {
        // And its study summary once the list is in (PLATEFIT_STUDY=1, or =trend / =control
        // for a chart); set first: the list may come back at once.
        app.library.study_after_list = std::env::var("PLATEFIT_STUDY").ok();
        app.apply(Command::Library(library_view::LibraryCommand::SetPath(
            PathBuf::from(path),
        )));
    }
    if std::env::var("PLATEFIT_SELECT").is_ok_and(|v| !v.is_empty()) {
        // For screenshots of the layout editor: select a well range, e.g. "B3:D6".
        if let Ok(spec) = std::env::var("PLATEFIT_SELECT")
            && let Some((a, b)) = spec.split_once(':')
            && let (Ok(a), Ok(b)) = (a.parse(), b.parse())
        {
            app.apply(Command::SelectWells(
                widgets::wells_between(a, b),
                command::SelectMode::Replace,
            ));
        }
    }
    app.screenshot = launch.screenshot.map(|path| app::ScreenshotPlan {
        path,
        settled_frames: 0,
        requested: false,
        result: std::sync::Arc::default(),
        started: process_start,
    });
    let perf = Perf {
        enabled: std::env::var("PLATEFIT_PERF").is_ok_and(|v| v == "1"),
        ..Perf::default()
    };
    let size = std::env::var("PLATEFIT_WINDOW")
        .ok()
        .and_then(|v| parse_window_size(&v))
        .unwrap_or([1400.0, 900.0]);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("platefit")
            .with_app_id(APP_ID)
            .with_inner_size(size)
            .with_min_inner_size([900.0, 600.0])
            .with_drag_and_drop(true),
        ..eframe::NativeOptions::default()
    };
    let options = match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => eframe::NativeOptions {
            viewport: options.viewport.with_icon(icon),
            ..options
        },
        Err(e) => {
            log::warn!("the window icon cannot be decoded: {e}");
            options
        }
    };
    eframe::run_native(
        "platefit",
        options,
        Box::new(move |cc| {
            cc.egui_ctx.set_theme(egui::Theme::Light);
            Ok(Box::new(Window { app, perf }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// The window size of `PLATEFIT_WINDOW=WxH` (e.g. `1100x700`, for screenshots at other
/// sizes); `None` for anything else or a size below the window's minimum of 900×600.
fn parse_window_size(text: &str) -> Option<[f32; 2]> {
    let (w, h) = text.trim().split_once(['x', 'X'])?;
    let (w, h) = (w.trim().parse::<f32>().ok()?, h.trim().parse::<f32>().ok()?);
    (w.is_finite() && h.is_finite() && w >= 900.0 && h >= 600.0 && w <= 10_000.0 && h <= 10_000.0)
        .then_some([w, h])
}

#[cfg(test)]
mod tests {
    use super::parse_window_size;

    #[test]
    fn window_size_from_the_environment() {
        assert_eq!(parse_window_size("1100x700"), Some([1100.0, 700.0]));
        assert_eq!(parse_window_size(" 1920X1080 "), Some([1920.0, 1080.0]));
        for bad in ["", "1100", "800x600", "1100x", "axb", "1e9x700", "NaNx700"] {
            assert_eq!(parse_window_size(bad), None, "{bad:?}");
        }
    }
}
