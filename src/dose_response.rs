//! [`DoseResponse`]: one curve's (concentration, response) points, every replicate well a
//! point, vehicle wells as dose-zero points.

use serde::Serialize;

use crate::plate::WellId;

/// One point of a dose-response curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DosePoint {
    /// Concentration in the layout's unit; 0 for a vehicle well.
    pub concentration: f64,
    /// The response: % viability, or corrected OD when not normalized.
    pub response: f64,
    /// The well the point comes from, when it comes from a plate.
    pub well: Option<WellId>,
    /// Excluded by the user (shown, not fitted).
    pub excluded: bool,
}

/// The points of one curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoseResponse {
    /// The curve's label (`K562`, `K562/FLM · flumatinib`).
    pub label: String,
    /// All points, excluded ones included, sorted by concentration then well.
    pub points: Vec<DosePoint>,
}

impl DoseResponse {
    /// A curve from (concentration, response) pairs.
    #[must_use]
    pub fn from_pairs(label: impl Into<String>, pairs: &[(f64, f64)]) -> Self {
        Self {
            label: label.into(),
            points: pairs
                .iter()
                .map(|&(concentration, response)| DosePoint {
                    concentration,
                    response,
                    well: None,
                    excluded: false,
                })
                .collect(),
        }
    }

    /// The points that enter the fit (not excluded, finite).
    pub fn fitted_points(&self) -> impl Iterator<Item = &DosePoint> {
        self.points
            .iter()
            .filter(|p| !p.excluded && p.response.is_finite() && p.concentration.is_finite())
    }

    /// The distinct concentrations of the fitted points, ascending (0 included if present).
    #[must_use]
    pub fn distinct_concentrations(&self) -> Vec<f64> {
        let mut concentrations: Vec<f64> = self.fitted_points().map(|p| p.concentration).collect();
        concentrations.sort_by(f64::total_cmp);
        concentrations.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * b.abs().max(1e-300));
        concentrations
    }

    /// Lowest positive and highest concentration of the fitted points.
    #[must_use]
    pub fn tested_range(&self) -> Option<(f64, f64)> {
        self.fitted_points()
            .map(|p| p.concentration)
            .filter(|c| *c > 0.0)
            .fold(None, |range, c| match range {
                None => Some((c, c)),
                Some((lo, hi)) => Some((f64::min(lo, c), f64::max(hi, c))),
            })
    }

    /// Mean, SD and count of the fitted responses at each concentration, ascending.
    #[must_use]
    pub fn level_summaries(&self) -> Vec<LevelSummary> {
        self.distinct_concentrations()
            .into_iter()
            .map(|concentration| {
                let values: Vec<f64> = self
                    .fitted_points()
                    .filter(|p| {
                        (p.concentration - concentration).abs()
                            <= 1e-12 * concentration.abs().max(1e-300)
                    })
                    .map(|p| p.response)
                    .collect();
                LevelSummary {
                    concentration,
                    mean: crate::stats::mean(&values).unwrap_or(f64::NAN),
                    sd: crate::stats::sample_sd(&values),
                    n: values.len(),
                }
            })
            .collect()
    }
}

/// Summary of the replicates at one concentration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LevelSummary {
    /// Concentration.
    pub concentration: f64,
    /// Mean response.
    pub mean: f64,
    /// Sample SD (None for a single replicate).
    pub sd: Option<f64>,
    /// Number of replicates.
    pub n: usize,
}

/// The names a points table (`platefit fit`) gives its concentration column.
pub const CONCENTRATION_COLUMN: &[&str] = &["conc", "concentration", "dose", "x"];
/// The names of its response column.
pub const RESPONSE_COLUMN: &[&str] = &["response", "viability", "viability_pct", "y", "value"];
/// The names of its optional curve (label) column.
pub const CURVE_COLUMN: &[&str] = &[
    "curve",
    "line",
    "group",
    "cell_line",
    "cell line",
    "sample",
    "label",
];

/// The index of the header that is one of `names` (case-insensitive, trimmed), or else one
/// of them followed by a unit or a qualifier (`conc_uM`, `Concentration (µM)`,
/// `viability [%]`): an exact name wins. A qualifier that says "log" (`conc_log10`,
/// `dose (log M)`) is not the column: log concentrations read as concentrations would be a
/// silent error.
#[must_use]
pub fn find_column(headers: &[&str], names: &[&str]) -> Option<usize> {
    let exact = |h: &&str| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n));
    let qualified = |h: &&str| {
        let h = h.trim();
        names.iter().any(|n| {
            h.get(..n.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(n))
                && h[n.len()..].starts_with([' ', '_', '(', '[', '/'])
                && !h[n.len()..].to_ascii_lowercase().contains("log")
        })
    };
    headers
        .iter()
        .position(exact)
        .or_else(|| headers.iter().position(qualified))
}
