//! The single integration test binary.

mod import_formats;
mod reference_drc;
mod reports;
