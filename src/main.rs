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

#[cfg(feature = "gui")]
fn open_gui(
    files: Vec<std::path::PathBuf>,
    layout: Option<std::path::PathBuf>,
    screenshot: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    platefit::gui::run(platefit::gui::Launch {
        files,
        layout,
        screenshot,
    })
}

#[cfg(not(feature = "gui"))]
fn open_gui(
    _files: Vec<std::path::PathBuf>,
    _layout: Option<std::path::PathBuf>,
    _screenshot: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    anyhow::bail!(
        "this platefit was built without the desktop app (feature `gui`); use a subcommand: analyze, fit, import"
    )
}
