//! The single integration test binary.

mod analysis_choices;
mod cli;
mod five_pl;
mod growth;
mod import_formats;
mod library;
mod nist;
mod reference_drc;
mod reports;
mod robustness;
mod verdicts;

#[cfg(feature = "gui")]
mod gui;
