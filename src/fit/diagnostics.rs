//! Diagnostics a reviewer asks for (issue 13): the residuals, the runs test and the
//! replicates test for lack of fit, each with a plain-language line when it fails.
//!
//! - **Runs test** (as in GraphPad Prism): do the residuals change sign as often as a curve
//!   that describes the data would make them? The residuals are averaged per concentration
//!   (so the order of replicate wells does not matter), ordered by concentration, and the
//!   runs of equal sign counted (zero means are left out). The p-value is the exact
//!   one-sided probability of that few runs or fewer given the numbers of positive and
//!   negative means (Wald–Wolfowitz); a small p means the curve deviates systematically.
//! - **Replicates test** (Prism's, the lack-of-fit F test): with replicates, the residual
//!   sum of squares splits into pure error (scatter of replicates around their mean,
//!   `df_pe = N − levels`) and lack of fit (`RSS − SS_pe`, `df_lof = df − df_pe`);
//!   `F = (SS_lof/df_lof)/(SS_pe/df_pe)`, p from F(df_lof, df_pe). A small p means the
//!   points lie farther from the curve than the replicates lie from each other.

use serde::Serialize;

use super::Fit;
use crate::dose_response::DoseResponse;
use crate::plate::WellId;
use crate::stats::f_upper_tail;
use statrs::function::gamma::ln_gamma;

/// The significance level of the diagnostics.
pub const ALPHA: f64 = 0.05;

/// The runs test of the residuals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunsTest {
    /// Number of runs of equal sign.
    pub runs: usize,
    /// Concentrations with a positive mean residual.
    pub positive: usize,
    /// Concentrations with a negative mean residual.
    pub negative: usize,
    /// Exact one-sided `P(runs ≤ observed)`.
    pub p_value: f64,
}

/// The replicates test for lack of fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReplicatesTest {
    /// Pure-error sum of squares (replicates around their means).
    pub ss_pure_error: f64,
    /// Its degrees of freedom, `N − levels`.
    pub df_pure_error: usize,
    /// Lack-of-fit sum of squares, `RSS − SS_pe`.
    pub ss_lack_of_fit: f64,
    /// Its degrees of freedom, `df − df_pe`.
    pub df_lack_of_fit: usize,
    /// `F = (SS_lof/df_lof)/(SS_pe/df_pe)`.
    pub f: f64,
    /// p-value from F(df_lof, df_pe).
    pub p_value: f64,
}

/// One point's residual.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Residual {
    /// Index into the dose-response's points.
    pub index: usize,
    /// The well, when the point comes from a plate.
    pub well: Option<WellId>,
    /// Concentration.
    pub concentration: f64,
    /// Measured response.
    pub response: f64,
    /// Fitted response.
    pub fitted: f64,
    /// `response − fitted`.
    pub residual: f64,
}

/// The diagnostics of one fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostics {
    /// Every fitted point's residual, in point order.
    pub residuals: Vec<Residual>,
    /// The runs test (`None` with fewer than two signs among the concentration means).
    pub runs: Option<RunsTest>,
    /// The replicates test (`None` without replicates or without lack-of-fit df).
    pub replicates: Option<ReplicatesTest>,
    /// Plain-language lines for the tests that fail (empty when none does).
    pub warnings: Vec<String>,
}

fn ln_choose(n: usize, k: usize) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// `P(R = r)` for the number of runs R of `n1` and `n2` symbols in random order.
fn runs_probability(r: usize, n1: usize, n2: usize) -> f64 {
    if r < 2 || n1 == 0 || n2 == 0 {
        return 0.0;
    }
    let total = ln_choose(n1 + n2, n1);
    let k = r / 2;
    if r.is_multiple_of(2) {
        (std::f64::consts::LN_2 + ln_choose(n1 - 1, k - 1) + ln_choose(n2 - 1, k - 1) - total).exp()
    } else {
        let a = ln_choose(n1 - 1, k) + ln_choose(n2 - 1, k - 1);
        let b = ln_choose(n1 - 1, k - 1) + ln_choose(n2 - 1, k);
        ((a - total).exp() + (b - total).exp()).max(0.0)
    }
}

/// The runs test of a sequence of residuals (already in concentration order; zeros are
/// skipped). `None` unless both signs occur.
#[must_use]
pub fn runs_test(ordered: &[f64]) -> Option<RunsTest> {
    let signs: Vec<bool> = ordered
        .iter()
        .filter(|r| r.is_finite() && **r != 0.0)
        .map(|r| *r > 0.0)
        .collect();
    let positive = signs.iter().filter(|s| **s).count();
    let negative = signs.len() - positive;
    if positive == 0 || negative == 0 {
        return None;
    }
    let runs = 1 + signs.windows(2).filter(|w| w[0] != w[1]).count();
    let p_value: f64 = (2..=runs)
        .map(|r| runs_probability(r, positive, negative))
        .sum();
    Some(RunsTest {
        runs,
        positive,
        negative,
        p_value: p_value.clamp(0.0, 1.0),
    })
}

/// The diagnostics of `fit` on the points of `dose_response` it was fitted to (the points
/// not excluded; use [`Fit::fitted_dose_response`] after ROUT).
#[must_use]
pub fn diagnose(fit: &Fit, dose_response: &DoseResponse) -> Diagnostics {
    let known = fit.params.to_array().iter().all(|v| v.is_finite());
    let residuals: Vec<Residual> = if known {
        dose_response
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.excluded && p.response.is_finite() && p.concentration.is_finite())
            .map(|(index, p)| {
                let fitted = fit.predict(p.concentration);
                Residual {
                    index,
                    well: p.well,
                    concentration: p.concentration,
                    response: p.response,
                    fitted,
                    residual: p.response - fitted,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    // Group by concentration (the points of a dose-response are sorted by concentration
    // in the pipeline, but a points file need not be).
    let mut by_level: Vec<(f64, Vec<f64>)> = Vec::new();
    let mut sorted: Vec<&Residual> = residuals.iter().collect();
    sorted.sort_by(|a, b| a.concentration.total_cmp(&b.concentration));
    for r in sorted {
        match by_level.last_mut() {
            Some((c, values)) if (*c - r.concentration).abs() <= 1e-12 * c.abs().max(1e-300) => {
                values.push(r.residual);
            }
            _ => by_level.push((r.concentration, vec![r.residual])),
        }
    }
    let means: Vec<f64> = by_level
        .iter()
        .map(|(_, v)| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    let runs = runs_test(&means);
    let n = residuals.len();
    let levels = by_level.len();
    let ss_pure_error: f64 = by_level
        .iter()
        .map(|(_, v)| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>()
        })
        .sum();
    let df_pure_error = n.saturating_sub(levels);
    let replicates = (known && df_pure_error > 0 && fit.df > df_pure_error && ss_pure_error > 0.0)
        .then(|| {
            let df_lack_of_fit = fit.df - df_pure_error;
            let ss_lack_of_fit = (fit.rss - ss_pure_error).max(0.0);
            let f =
                (ss_lack_of_fit / df_lack_of_fit as f64) / (ss_pure_error / df_pure_error as f64);
            let p_value = f_upper_tail(f, df_lack_of_fit as f64, df_pure_error as f64)?;
            Some(ReplicatesTest {
                ss_pure_error,
                df_pure_error,
                ss_lack_of_fit,
                df_lack_of_fit,
                f,
                p_value,
            })
        })
        .flatten();
    let mut warnings = Vec::new();
    if let Some(test) = replicates.filter(|t| t.p_value < ALPHA) {
        warnings.push(format!(
            "The curve does not describe the data: the points lie farther from the curve than the replicates lie from each other (replicates test, F({}, {}) = {:.2}, p {}). Consider another model (the 4PL if a simpler one was fitted), a different weighting, outlier detection, or whether the plate has a systematic error.",
            test.df_lack_of_fit,
            test.df_pure_error,
            test.f,
            crate::report::table::format_p(test.p_value)
        ));
    }
    if let Some(test) = runs.filter(|t| t.p_value < ALPHA) {
        warnings.push(format!(
            "The curve deviates systematically from the data: the residuals change sign too rarely ({} runs over {} concentrations, runs test p {}). Consider another model (the 4PL if a simpler one was fitted, or an asymmetric curve) or whether the response has a second phase.",
            test.runs,
            test.positive + test.negative,
            crate::report::table::format_p(test.p_value)
        ));
    }
    Diagnostics {
        residuals,
        runs,
        replicates,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact runs distribution by hand: n1 = n2 = 2: sequences ++--, +-+-, +--+, -++-,
    /// -+-+, --++ have 2, 4, 3, 3, 4, 2 runs; P(2) = 2/6, P(3) = 2/6, P(4) = 2/6.
    #[test]
    fn runs_distribution_by_enumeration() {
        for (r, expected) in [(2, 2.0 / 6.0), (3, 2.0 / 6.0), (4, 2.0 / 6.0)] {
            assert!(
                (runs_probability(r, 2, 2) - expected).abs() < 1e-12,
                "r = {r}"
            );
        }
        // n1 = 3, n2 = 2 (10 orders): 2 runs in 2, 3 runs in 3, 4 runs in 4, 5 runs in 1.
        for (r, count) in [(2, 2.0), (3, 3.0), (4, 4.0), (5, 1.0)] {
            assert!(
                (runs_probability(r, 3, 2) - count / 10.0).abs() < 1e-12,
                "r = {r}"
            );
        }
        let total: f64 = (2..=13).map(|r| runs_probability(r, 6, 7)).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn runs_test_detects_systematic_deviation() {
        let systematic = [
            1.0, 2.0, 1.5, 1.0, -1.0, -2.0, -2.0, -1.0, 1.0, 2.0, 1.0, 0.5,
        ];
        let test = runs_test(&systematic).unwrap();
        assert_eq!(test.runs, 3);
        assert!(test.p_value < 0.05, "{test:?}");
        let alternating = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
        assert!(runs_test(&alternating).unwrap().p_value > 0.5);
        assert_eq!(runs_test(&[1.0, 2.0, 0.0]), None);
    }
}
