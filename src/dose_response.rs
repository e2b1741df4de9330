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

/// The index of a column of log10 concentrations (GraphPad Prism's "X is log(concentration)"):
/// a header that says `log` or `log10` and names a concentration (`log_conc`, `Log[Dose]`,
/// `conc_log10`, `dose (log M)`, `log(x)`). Read only where no plain concentration column
/// exists. A header that says another base (`log2`, `ln`) is not one: see
/// [`other_log_base`].
#[must_use]
pub fn find_log_concentration_column(headers: &[&str]) -> Option<usize> {
    headers.iter().position(|h| {
        let letters = alphanumeric_lowercase(h);
        let names_dose = letters.contains("conc") || letters.contains("dose");
        let bare_x = matches!(letters.as_str(), "logx" | "log10x" | "xlog" | "xlog10");
        letters.contains("log") && other_log_base(h).is_none() && (names_dose || bare_x)
    })
}

/// The base a concentration header names where it is not 10 (`log2`, `ln`): such a column
/// is refused rather than read as log10.
#[must_use]
pub fn other_log_base(header: &str) -> Option<&'static str> {
    let letters = alphanumeric_lowercase(header);
    if !(letters.contains("conc") || letters.contains("dose")) {
        return None;
    }
    if letters.contains("log2") {
        Some("log2")
    } else if header
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| word == "ln")
    {
        Some("ln")
    } else {
        None
    }
}

fn alphanumeric_lowercase(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The curve a column of a wide points table belongs to: its header without a replicate
/// number (`K562_1`, `K562 (2)`, `K562.1` as pandas writes a repeated name, `rep3` → the
/// curve of the row), so that `conc,K562_1,K562_2,K562/FLM_1,K562/FLM_2` or
/// `conc,K562,K562,K562/FLM,K562/FLM` (Prism's replicate subcolumns) hold two curves. A
/// number that is part of a name (`K562`, `A549`, `MCF7`) stays. `None` for a header that
/// names only a replicate or a response (`rep1`, `Y2`, `replicate 3`, `response`): those
/// columns are replicates of the curve the row (or the file) names.
#[must_use]
pub fn replicate_series(header: &str) -> Option<String> {
    let mut name = header.trim();
    // "K562 (2)" → "K562 "
    if let Some(inner) = name.strip_suffix(')')
        && let Some(open) = inner.rfind('(')
        && !inner[open + 1..].is_empty()
        && inner[open + 1..].chars().all(|c| c.is_ascii_digit())
    {
        name = &inner[..open];
    } else {
        let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
        if stem.len() < name.len() {
            let separated = stem.trim_end_matches([' ', '_', '.', '-', ':', '#']);
            let has_separator = separated.len() < stem.len() || stem.is_empty();
            let lower = separated.to_ascii_lowercase();
            let marker = ["replicate", "rep", "r", "y"].into_iter().find(|m| {
                lower.ends_with(m)
                    && lower[..lower.len() - m.len()]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !c.is_ascii_alphanumeric())
            });
            match marker {
                Some(marker) => name = &separated[..separated.len() - marker.len()],
                None if has_separator => name = separated,
                None => {}
            }
        }
    }
    let name = name.trim_end_matches([' ', '_', '.', '-', ':', '#']).trim();
    let lower = name.to_ascii_lowercase();
    let generic = name.is_empty()
        || ["replicate", "rep", "r", "y"].contains(&lower.as_str())
        || RESPONSE_COLUMN.contains(&lower.as_str());
    (!generic).then(|| name.to_string())
}

/// Whether a header names a summary or a description rather than a measured response
/// (`viability_sd`, `SEM`, `n`, `well`, `drug`): such columns are not replicates in a wide
/// points table.
#[must_use]
pub fn is_not_a_response(header: &str) -> bool {
    const WORDS: &[&str] = &[
        "sd",
        "sem",
        "se",
        "std",
        "stdev",
        "stddev",
        "error",
        "err",
        "cv",
        "n",
        "count",
        "well",
        "wells",
        "plate",
        "row",
        "column",
        "col",
        "drug",
        "compound",
        "treatment",
        "time",
        "unit",
        "units",
        "id",
        "note",
        "notes",
        "comment",
        "comments",
        "date",
    ];
    // A column of replicate numbers or row indices (a number only in a wide table's
    // `rep1`, `replicate 2`).
    const WHOLE: &[&str] = &[
        "replicate",
        "replicates",
        "rep",
        "repeat",
        "index",
        "no",
        "number",
        "#",
        "name",
    ];
    let lower = header.trim().to_ascii_lowercase();
    WHOLE.contains(&lower.as_str())
        || lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| WORDS.contains(&word))
}

/// The index of every header that is one of `names` or one of them with a qualifier, as
/// [`find_column`] matches them.
#[must_use]
pub fn find_columns(headers: &[&str], names: &[&str]) -> Vec<usize> {
    (0..headers.len())
        .filter(|&k| find_column(&headers[k..=k], names).is_some())
        .collect()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicate_columns_name_their_curve() {
        for (header, series) in [
            ("K562_1", Some("K562")),
            ("K562 (2)", Some("K562")),
            ("K562.1", Some("K562")),
            ("K562 rep3", Some("K562")),
            ("K562_rep_1", Some("K562")),
            ("K562/FLM-2", Some("K562/FLM")),
            ("HeLa 2", Some("HeLa")),
            // A number that is part of the name stays.
            ("K562", Some("K562")),
            ("A549", Some("A549")),
            ("MCF7", Some("MCF7")),
            ("HER2", Some("HER2")),
            // Columns that name only a replicate or a response.
            ("rep1", None),
            ("Rep 2", None),
            ("replicate_3", None),
            ("Y1", None),
            ("r2", None),
            ("response", None),
            ("viability_2", None),
            ("", None),
        ] {
            assert_eq!(replicate_series(header).as_deref(), series, "{header:?}");
        }
    }

    #[test]
    fn log_concentration_columns() {
        for header in [
            "log_conc",
            "logconc",
            "Log[Dose]",
            "log10 concentration (M)",
            "conc_log10",
            "dose (log M)",
            "log(x)",
        ] {
            assert_eq!(
                find_log_concentration_column(&["curve", header, "response"]),
                Some(1),
                "{header}"
            );
        }
        for header in ["log2_conc", "ln conc", "conc", "log_response", "catalog"] {
            assert_eq!(
                find_log_concentration_column(&[header, "response"]),
                None,
                "{header}"
            );
        }
        assert_eq!(other_log_base("log2(conc)"), Some("log2"));
        assert_eq!(other_log_base("ln conc"), Some("ln"));
        assert_eq!(other_log_base("log_conc"), None);
    }
}
