//! Robust fitting and ROUT outlier detection (Motulsky & Brown 2006, BMC Bioinformatics
//! 7:123; GraphPad Prism's "automatic outlier elimination").
//!
//! **Robust fit.** The 4PL is fitted by minimising the Lorentzian (Cauchy) merit function
//! `Σ ln(1 + (rᵢ/RSDR)²)`, where `rᵢ` are the residuals of the individual points and RSDR,
//! the robust standard deviation of the residuals, is the 68.27th percentile of `|rᵢ|`
//! (Hyndman & Fan type 7, as Motulsky documented) times `N/(N − K)` (N points, K fitted
//! parameters). The merit function is minimised by iteratively reweighted least squares:
//! each round solves the weighted least-squares problem with weights
//! `wᵢ = 1/(1 + (rᵢ/RSDR)²)` from the previous round's residuals (a majorise–minimise step,
//! so the merit never increases for a fixed scale) and then recomputes RSDR. Starting from
//! the ordinary least-squares fit and shrinking the scale as outliers lose their weight,
//! the fit becomes gradually more robust, as in the paper's adaptive method. Prism adapts
//! its Marquardt solver to the Lorentzian merit instead; both minimise the same function.
//!
//! **Outliers.** Each point's `tᵢ = |rᵢ|/RSDR` is tested against Student's t with N − K
//! degrees of freedom (two-sided). The p-values of the largest 30 % of the residuals (the
//! most ROUT can declare, as Prism documents) go through the Benjamini–Hochberg step-up
//! procedure at the false discovery rate Q: with the residuals ranked from the largest
//! (k = 1), the points up to the largest k with `p₍ₖ₎ ≤ Q·k/N` are outliers.
//!
//! What happens next is decided by [`super::fit_curve`]: the outliers are removed and the
//! rest fitted by ordinary least squares, unless more than a quarter of the points would
//! go; then nothing is removed and the curve is flagged.

use serde::{Deserialize, Serialize};

use super::curves::ParamRef;
use super::lm::{LeastSquaresModel, SolverSettings, minimize};
use super::model::response_and_gradient;
use crate::plate::WellId;
use crate::stats::t_two_sided_p;

/// Prism's default false discovery rate for ROUT, 1 %.
pub const DEFAULT_Q: f64 = 0.01;

/// The largest share of points ROUT may remove; a curve with more outliers is flagged
/// instead (issue 13).
pub const MAX_REMOVED_FRACTION: f64 = 0.25;

/// The share of the points (those with the largest residuals) that are tested.
const TESTED_FRACTION: f64 = 0.3;

/// How the curve is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitMethod {
    /// Ordinary (unweighted) least squares.
    #[default]
    LeastSquares,
    /// Prism's robust fit: the Lorentzian merit function, no point removed.
    Robust,
}

impl FitMethod {
    /// The word used in JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LeastSquares => "least_squares",
            Self::Robust => "robust",
        }
    }
}

/// Automatic outlier detection.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum OutlierChoice {
    /// No automatic detection (the default, as in Prism).
    #[default]
    Off,
    /// ROUT with false discovery rate `q` (a fraction: 0.01 is Prism's 1 %).
    Rout {
        /// The false discovery rate Q, a fraction in (0, 1).
        q: f64,
    },
}

impl OutlierChoice {
    /// Parses `rout`, `rout=1` (Q in percent, as Prism shows it), `rout=1%`, `off`.
    ///
    /// # Errors
    /// A message for anything else, or a Q outside (0, 50) %.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") || text.eq_ignore_ascii_case("none") {
            return Ok(Self::Off);
        }
        let (name, q) = match text.split_once('=') {
            Some((name, q)) => (name.trim(), Some(q.trim())),
            None => (text, None),
        };
        if !name.eq_ignore_ascii_case("rout") {
            return Err(format!(
                "unknown outlier method {name:?}: use rout, rout=Q (Q in %, e.g. rout=1) or off"
            ));
        }
        let Some(q) = q else {
            return Ok(Self::Rout { q: DEFAULT_Q });
        };
        let percent: f64 = q
            .trim_end_matches('%')
            .trim()
            .parse()
            .map_err(|_| format!("ROUT Q {q:?} is not a number (give it in %, e.g. rout=1)"))?;
        if !(percent > 0.0 && percent < 50.0) {
            return Err(format!(
                "ROUT Q {percent} % is outside (0, 50) % (Prism's default is 1 %)"
            ));
        }
        Ok(Self::Rout { q: percent / 100.0 })
    }

    /// Q as a fraction, when ROUT is on.
    #[must_use]
    pub fn q(self) -> Option<f64> {
        match self {
            Self::Off => None,
            Self::Rout { q } => Some(q),
        }
    }
}

/// A point ROUT declared an outlier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OutlierPoint {
    /// Index into [`crate::dose_response::DoseResponse::points`].
    pub index: usize,
    /// The well, when the point comes from a plate.
    pub well: Option<WellId>,
    /// Concentration (0 for a vehicle point).
    pub concentration: f64,
    /// The measured response.
    pub response: f64,
    /// Residual from the robust fit (observed − fitted).
    pub residual: f64,
    /// Two-sided p-value of `|residual|/RSDR` against t(N − K).
    pub p_value: f64,
    /// The user overruled the flag: the point stays in the fit (the app's "keep"; stored
    /// with the experiment's settings, so it stays overruled on every refit).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub kept: bool,
}

impl OutlierPoint {
    /// `C10 (4.034)`, or `conc 0.1 (4.034)` for a point without a well.
    #[must_use]
    pub fn place_and_value(&self) -> String {
        let place = self.well.map_or_else(
            || format!("conc {}", crate::report::format_number(self.concentration)),
            |w| w.to_string(),
        );
        format!("{place} ({})", crate::report::format_number(self.response))
    }
}

/// What ROUT found on one curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutlierReport {
    /// The false discovery rate used (a fraction).
    pub q: f64,
    /// The robust SD of the residuals of the robust fit.
    pub rsdr: f64,
    /// The robust fit's parameters `[bottom, top, log10_ic50, hill_slope]`.
    pub robust_params: [f64; 4],
    /// Number of points tested (N).
    pub n_tested: usize,
    /// The outliers, by decreasing |residual|.
    pub points: Vec<OutlierPoint>,
    /// Whether the outliers were removed before the final fit (false when more than a
    /// quarter of the points would have gone: then the curve is flagged instead). Points
    /// the user kept ([`OutlierPoint::kept`]) are never removed.
    pub removed: bool,
}

impl OutlierReport {
    /// Whether this flagged point was left out of the final fit.
    #[must_use]
    pub fn is_removed(&self, point: &OutlierPoint) -> bool {
        self.removed && !point.kept
    }

    /// The flagged points the user did not overrule.
    pub fn standing(&self) -> impl Iterator<Item = &OutlierPoint> {
        self.points.iter().filter(|p| !p.kept)
    }

    /// One sentence for tables and reports.
    #[must_use]
    pub fn sentence(&self, label: &str) -> String {
        let q = q_percent_text(self.q);
        if self.points.is_empty() {
            return format!("{label}: ROUT (Q = {q} %) found no outlier.");
        }
        let list: Vec<String> = self.standing().map(OutlierPoint::place_and_value).collect();
        let kept: Vec<String> = self
            .points
            .iter()
            .filter(|p| p.kept)
            .map(OutlierPoint::place_and_value)
            .collect();
        let kept_text = match kept.len() {
            0 => String::new(),
            1 => format!(
                " The user overruled the flag on {} and kept it in the fit.",
                kept[0]
            ),
            _ => format!(
                " The user overruled the flags on {} and kept them in the fit.",
                kept.join(", ")
            ),
        };
        if list.is_empty() {
            format!(
                "{label}: ROUT (Q = {q} %) flagged {} of {} points; none was removed.{kept_text}",
                self.points.len(),
                self.n_tested
            )
        } else if self.removed {
            format!(
                "{label}: ROUT (Q = {q} %) removed {} of {} points as outliers: {}; the curve was refitted without them.{kept_text}",
                list.len(),
                self.n_tested,
                list.join(", ")
            )
        } else {
            format!(
                "{label}: ROUT (Q = {q} %) would remove {} of {} points ({}), more than a quarter, so none was removed and the curve is flagged: look at the data rather than trusting an automatic rule.{kept_text}",
                list.len(),
                self.n_tested,
                list.join(", ")
            )
        }
    }
}

/// Q as people write it, in percent without trailing zeros: `1`, `0.5`, `2.5`.
#[must_use]
pub fn q_percent_text(q: f64) -> String {
    let percent = (q * 100.0 * 1e6).round() / 1e6;
    format!("{percent}")
}

/// The individual points of a curve with a weight each: the model behind the robust fit
/// (its weights change every round, so replicates cannot be grouped by level).
#[derive(Debug, Clone)]
pub(crate) struct WeightedPoints<'a> {
    /// log10 concentration per point (−∞ for dose zero).
    pub log_x: &'a [f64],
    /// Response per point.
    pub y: &'a [f64],
    /// `√wᵢ` per point.
    pub sqrt_w: Vec<f64>,
    /// Where each of `[bottom, top, log10_ic50, hill_slope]` comes from.
    pub refs: [ParamRef; 4],
    /// Number of free parameters.
    pub n_free: usize,
}

impl WeightedPoints<'_> {
    /// The full parameters for a free vector.
    pub(crate) fn full(&self, free: &[f64]) -> [f64; 4] {
        self.refs.map(|r| match r {
            ParamRef::Free(i) => free.get(i).copied().unwrap_or(f64::NAN),
            ParamRef::Fixed(v) => v,
        })
    }

    /// The free vector of full parameters.
    pub(crate) fn free(&self, full: &[f64; 4]) -> Vec<f64> {
        let mut free = vec![0.0; self.n_free];
        for (k, r) in self.refs.iter().enumerate() {
            if let ParamRef::Free(i) = r
                && let Some(slot) = free.get_mut(*i)
            {
                *slot = full[k];
            }
        }
        free
    }
}

impl LeastSquaresModel for WeightedPoints<'_> {
    fn n_params(&self) -> usize {
        self.n_free
    }

    fn n_residuals(&self) -> usize {
        self.y.len()
    }

    fn residuals(&self, params: &[f64], out: &mut [f64]) -> bool {
        let full = self.full(params);
        for (k, slot) in out.iter_mut().enumerate() {
            let (Some(x), Some(y), Some(w)) =
                (self.log_x.get(k), self.y.get(k), self.sqrt_w.get(k))
            else {
                return false;
            };
            *slot = w * (response_and_gradient(full, *x).0 - y);
        }
        true
    }

    fn jacobian(&self, params: &[f64], out: &mut [f64]) -> bool {
        let full = self.full(params);
        let rows = self.y.len();
        for (row, (x, w)) in self.log_x.iter().zip(&self.sqrt_w).enumerate() {
            let (_, gradient) = response_and_gradient(full, *x);
            for (k, r) in self.refs.iter().enumerate() {
                if let ParamRef::Free(col) = r
                    && let Some(slot) = out.get_mut(col * rows + row)
                {
                    *slot = w * gradient[k];
                }
            }
        }
        true
    }
}

/// The `p` quantile of `values` by linear interpolation between order statistics
/// (Hyndman & Fan type 7, Excel's PERCENTILE). `None` for an empty slice.
#[must_use]
pub fn quantile_type7(values: &[f64], p: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lower = h.floor() as usize;
    let upper = (lower + 1).min(n - 1);
    Some(sorted[lower] + (h - lower as f64) * (sorted[upper] - sorted[lower]))
}

/// The robust SD of residuals: P68 of `|r|` × `N/(N − K)`. `None` when `N ≤ K`.
#[must_use]
pub fn rsdr(residuals: &[f64], n_params: usize) -> Option<f64> {
    let n = residuals.len();
    if n <= n_params {
        return None;
    }
    let absolute: Vec<f64> = residuals.iter().map(|r| r.abs()).collect();
    let p68 = quantile_type7(&absolute, 0.6827)?;
    Some(p68 * n as f64 / (n - n_params) as f64)
}

/// The Lorentzian merit `Σ ln(1 + (r/scale)²)`.
#[must_use]
pub fn lorentzian_merit(residuals: &[f64], scale: f64) -> f64 {
    residuals
        .iter()
        .map(|r| (r / scale) * (r / scale))
        .map(f64::ln_1p)
        .sum()
}

/// The result of a robust fit.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustFit {
    /// `[bottom, top, log10_ic50, hill_slope]`.
    pub params: [f64; 4],
    /// Residuals (observed − fitted) per point, in input order.
    pub residuals: Vec<f64>,
    /// The robust SD of the residuals at the solution.
    pub rsdr: f64,
    /// The final IRLS weights `1/(1 + (r/RSDR)²)`.
    pub weights: Vec<f64>,
    /// Solver evaluations over all rounds.
    pub evaluations: usize,
}

/// Rounds of reweighting at most; the fit usually settles in 5–15.
const MAX_ROUNDS: usize = 60;

/// Fits the 4PL to individual points `(log10 x, y)` by minimising the Lorentzian merit
/// function with an adaptive scale (see the module docs), starting from `start` (usually
/// the least-squares fit). `refs` says which parameters are fixed. `None` when the points
/// are too few or the solver fails from the start.
#[must_use]
pub fn robust_fit(
    log_x: &[f64],
    y: &[f64],
    refs: [ParamRef; 4],
    start: [f64; 4],
) -> Option<RobustFit> {
    let n_free = refs
        .iter()
        .filter(|r| matches!(r, ParamRef::Free(_)))
        .count();
    if y.len() <= n_free || log_x.len() != y.len() {
        return None;
    }
    let mut model = WeightedPoints {
        log_x,
        y,
        sqrt_w: vec![1.0; y.len()],
        refs,
        n_free,
    };
    let residuals_at = |params: &[f64; 4]| -> Vec<f64> {
        log_x
            .iter()
            .zip(y)
            .map(|(x, yi)| yi - response_and_gradient(*params, *x).0)
            .collect()
    };
    let mut params = start;
    let mut residuals = residuals_at(&params);
    let mut evaluations = 0;
    let settings = SolverSettings {
        tolerance: 1e-12,
        patience: 50,
    };
    let scale_of_y = y.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    for _ in 0..MAX_ROUNDS {
        let scale = rsdr(&residuals, n_free)?;
        // An (almost) exact fit of most points: nothing left to reweight.
        if scale <= 1e-12 * scale_of_y {
            break;
        }
        let weights: Vec<f64> = residuals
            .iter()
            .map(|r| 1.0 / (1.0 + (r / scale) * (r / scale)))
            .collect();
        model.sqrt_w = weights.iter().map(|w| w.sqrt()).collect();
        let minimum = minimize(&model, &model.free(&params), settings);
        evaluations += minimum.evaluations;
        if !minimum.rss.is_finite() {
            break;
        }
        let next = model.full(&minimum.params);
        let next_residuals = residuals_at(&next);
        // Accept the round only if it does not worsen the merit at the current scale
        // (the majorise–minimise guarantee, kept against solver failures).
        if lorentzian_merit(&next_residuals, scale)
            > lorentzian_merit(&residuals, scale) * (1.0 + 1e-12) + 1e-300
        {
            break;
        }
        let change = next
            .iter()
            .zip(&params)
            .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
            .fold(0.0f64, f64::max);
        params = next;
        residuals = next_residuals;
        if change < 1e-9 {
            break;
        }
    }
    let scale = rsdr(&residuals, n_free)?;
    let weights = residuals
        .iter()
        .map(|r| {
            if scale > 0.0 {
                1.0 / (1.0 + (r / scale) * (r / scale))
            } else {
                1.0
            }
        })
        .collect();
    params.iter().all(|v| v.is_finite()).then_some(RobustFit {
        params,
        residuals,
        rsdr: scale,
        weights,
        evaluations,
    })
}

/// The ROUT outlier test on the residuals of a robust fit: the indices (into `residuals`)
/// of the outliers at false discovery rate `q`, by decreasing |residual|, each with its
/// two-sided p-value. `n_params` is K.
#[must_use]
pub fn rout_outliers(residuals: &[f64], rsdr: f64, n_params: usize, q: f64) -> Vec<(usize, f64)> {
    let n = residuals.len();
    if n <= n_params || !(rsdr.is_finite() && rsdr > 0.0) {
        return Vec::new();
    }
    let df = (n - n_params) as f64;
    let mut ranked: Vec<(usize, f64)> = residuals
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.abs()))
        .collect();
    // Largest first; ties by index so the order is deterministic.
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let tested = ((TESTED_FRACTION * n as f64).floor() as usize).max(1);
    let mut with_p = Vec::with_capacity(tested);
    let mut last_outlier = 0;
    for (k, (index, absolute)) in ranked.iter().take(tested).enumerate() {
        let p = t_two_sided_p(absolute / rsdr, df).unwrap_or(1.0);
        with_p.push((*index, p));
        // Step-up: the largest rank whose p-value is under its threshold decides.
        if p <= q * (k + 1) as f64 / n as f64 {
            last_outlier = k + 1;
        }
    }
    with_p.truncate(last_outlier);
    with_p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_type_7() {
        // numpy.percentile([1, 2, 3, 4, 10], 68.27) = 3.7308
        let q = quantile_type7(&[10.0, 2.0, 4.0, 1.0, 3.0], 0.6827).unwrap();
        assert!((q - 3.7308).abs() < 1e-12, "{q}");
        assert_eq!(quantile_type7(&[], 0.5), None);
        assert!((quantile_type7(&[5.0], 0.6827).unwrap() - 5.0).abs() < 1e-15);
    }

    #[test]
    fn rsdr_scales_by_degrees_of_freedom() {
        let residuals = [1.0, -2.0, 3.0, -4.0, 10.0, 0.5, -0.5, 1.5];
        // |r| sorted: .5 .5 1 1.5 2 3 4 10; h = 7·0.6827 = 4.7789 → 2 + .7789·1 = 2.7789.
        let value = rsdr(&residuals, 4).unwrap();
        assert!((value - 2.7789 * 8.0 / 4.0).abs() < 1e-12, "{value}");
        assert_eq!(rsdr(&residuals[..4], 4), None);
    }

    #[test]
    fn parses_the_cli_choice() {
        assert_eq!(
            OutlierChoice::parse("rout"),
            Ok(OutlierChoice::Rout { q: 0.01 })
        );
        let Ok(OutlierChoice::Rout { q }) = OutlierChoice::parse("rout=0.5") else {
            panic!("rout=0.5 not parsed");
        };
        assert!((q - 0.005).abs() < 1e-15);
        assert!(OutlierChoice::parse("ROUT=5%").is_ok());
        assert_eq!(OutlierChoice::parse("off"), Ok(OutlierChoice::Off));
        assert!(OutlierChoice::parse("grubbs").is_err());
        assert!(OutlierChoice::parse("rout=abc").is_err());
        assert!(OutlierChoice::parse("rout=0").is_err());
        assert!(OutlierChoice::parse("rout=60").is_err());
    }

    /// The step-up rule: a very large residual is an outlier, a moderately large one is
    /// not at Q = 1 %, and a second large residual joins when its p-value passes 2Q/N.
    #[test]
    fn benjamini_hochberg_step_up() {
        let mut residuals: Vec<f64> = (0..30).map(|k| ((k * 7) % 11) as f64 / 5.0 - 1.0).collect();
        let scale = rsdr(&residuals, 4).unwrap();
        assert!(rout_outliers(&residuals, scale, 4, 0.01).is_empty());
        residuals[3] = 40.0 * scale;
        let scale = rsdr(&residuals, 4).unwrap();
        let found = rout_outliers(&residuals, scale, 4, 0.01);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 3);
        assert!(found[0].1 < 0.01 / 30.0);
        residuals[10] = -30.0 * scale;
        let found = rout_outliers(&residuals, scale, 4, 0.01);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), vec![3, 10]);
    }

    #[test]
    fn robust_fit_ignores_a_gross_outlier() {
        let truth = [5.0, 100.0, 0.0, -1.2];
        let mut log_x = Vec::new();
        let mut y = Vec::new();
        for k in 0..9 {
            let x = -2.0 + 0.5 * f64::from(k);
            for r in 0..3 {
                log_x.push(x);
                let noise = f64::from((k * 3 + r) % 5) - 2.0;
                y.push(response_and_gradient(truth, x).0 + noise);
            }
        }
        y[13] += 60.0;
        let refs = [
            ParamRef::Free(0),
            ParamRef::Free(1),
            ParamRef::Free(2),
            ParamRef::Free(3),
        ];
        let fit = robust_fit(&log_x, &y, refs, [0.0, 110.0, 0.3, -1.0]).unwrap();
        assert!((fit.params[2] - 0.0).abs() < 0.05, "{:?}", fit.params);
        assert!(fit.weights[13] < 0.01, "{:?}", fit.weights[13]);
        let found = rout_outliers(&fit.residuals, fit.rsdr, 4, 0.01);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), vec![13]);
    }
}
