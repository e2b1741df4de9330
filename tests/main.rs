//! The single integration test binary.

mod import_formats;
mod reference_drc;

#[cfg(feature = "gui")]
mod gui;
