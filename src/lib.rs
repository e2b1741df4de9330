//! platefit: cell-viability dose-response analysis for microplate assays (CCK-8/WST-8, MTT,
//! resazurin).
//!
//! The pipeline, in the lab's words: a reader export becomes a [`Plate`]; with a [`Layout`]
//! (which wells are blanks, vehicle controls, treated wells at which concentration) it is
//! normalized to % viability; each cell line's points form a [`DoseResponse`] that is fitted
//! with a four-parameter logistic ([`Fit`]); two curves are compared ([`Comparison`]) to give
//! the resistance index with its confidence interval and an F test.
//!
//! This library has no GUI dependency; the `platefit` binary's GUI (feature `gui`) and CLI are
//! thin layers over it.

pub mod analysis;
pub mod calendar;
pub mod cli;
pub mod compare;
pub mod dose_response;
pub mod fit;
pub mod growth;
#[cfg(feature = "gui")]
pub mod gui;
pub mod import;
pub mod layout;
pub mod library;
#[path = "library/view.rs"]
pub mod library_view;
pub mod normalize;
pub mod plate;
pub mod project;
pub mod reads;
pub mod report;
pub mod stats;
pub mod study;
pub mod summary;
pub mod warnings;

pub use analysis::{Analysis, AnalysisSettings, Experiment, PlateInput, analyze};
pub use compare::{Comparison, compare};
pub use dose_response::{DosePoint, DoseResponse};
pub use fit::{Fit, FitOptions, FitStatus, fit_4pl};
pub use layout::{ConcentrationUnit, CurveKey, Layout, WellInfo, WellRole};
pub use normalize::Normalization;
pub use plate::{Plate, PlateShape, Read, ReadKind, ReadMode, WellId};
pub use project::Project;
