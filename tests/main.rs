//! The single integration test binary.

mod import_formats;
mod nist;
mod reference_drc;
mod cli;
