//! The `platefit` binary: a subcommand runs headless (`analyze`, `fit`, `import`); no
//! subcommand opens the desktop app.

use clap::Parser;
use platefit::cli::{Cli, run};

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(command) => run(command),
        None => open_gui(cli.files, cli.layout, cli.screenshot),
    };
    if let Err(err) = result {
        // One line: the reason, with its context chain.
        let message = format!("{err:#}").replace('\n', " ");
        eprintln!("platefit: {message}");
        std::process::exit(2);
    }
}

/// Prints the analysis of the opened files on the terminal as well, so the command that opens
/// the app also shows the numbers where there is no display (a remote shell, CI).
fn print_results(files: &[std::path::PathBuf], layout: Option<&std::path::Path>) -> bool {
    let settings = platefit::AnalysisSettings::default();
    let Ok(experiments) = platefit::cli::load_experiments(files, layout, &settings, false) else {
        return false;
    };
    let analyses: Vec<platefit::Analysis> = experiments
        .iter()
        .filter_map(|e| platefit::analyze(e).ok())
        .collect();
    print!("{}", platefit::report::table::results_table(&analyses));
    !analyses.is_empty()
}

/// Whether a graphical display is reachable (on Linux: an X11 or Wayland display is set).
fn has_display() -> bool {
    if cfg!(target_os = "linux") {
        ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
    } else {
        true
    }
}

#[cfg(feature = "gui")]
fn open_gui(
    files: Vec<std::path::PathBuf>,
    layout: Option<std::path::PathBuf>,
    screenshot: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let printed =
        screenshot.is_none() && !files.is_empty() && print_results(&files, layout.as_deref());
    if !has_display() {
        if printed {
            eprintln!(
                "platefit: no display (DISPLAY/WAYLAND_DISPLAY unset): results shown above; run it on a desktop to open the app"
            );
            return Ok(());
        }
        anyhow::bail!(
            "no display to open the app on (DISPLAY/WAYLAND_DISPLAY unset); use a subcommand (analyze, fit, import) or run under a desktop or xvfb-run"
        );
    }
    platefit::gui::run(platefit::gui::Launch {
        files,
        layout,
        screenshot,
    })
}

#[cfg(not(feature = "gui"))]
fn open_gui(
    files: Vec<std::path::PathBuf>,
    layout: Option<std::path::PathBuf>,
    _screenshot: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    if !files.is_empty() && print_results(&files, layout.as_deref()) {
        return Ok(());
    }
    let _ = has_display();
    anyhow::bail!(
        "this platefit was built without the desktop app (feature `gui`); use a subcommand: analyze, fit, import"
    )
}
