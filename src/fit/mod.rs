//! Fitting the four-parameter logistic to a [`DoseResponse`]: start values, the
//! Levenberg–Marquardt fit, standard errors, IC50 confidence intervals three ways, and the
//! classification of fits that cannot be trusted.
//!
//! The outcome of a fit is data ([`Fit::status`]), never an error: a curve that does not
//! converge or whose IC50 lies outside the tested range is reported as such. [`FitError`]
//! is only for input that cannot be fitted at all.

pub mod asymmetric;
pub mod curves;
pub mod diagnostics;
pub mod initial;
pub mod lm;
pub mod model;
pub mod models;
pub mod profile;
pub mod projection;
pub mod rout;
pub mod verdict;

use serde::{Deserialize, Serialize};

use crate::dose_response::DoseResponse;
use crate::stats::{f_upper_tail, t95};
use lm::LeastSquaresModel;

pub use curves::{CurveData, CurveSet, ParamRef};
pub use model::{Params4pl, log10_or_neg_inf};
pub use models::{Model, ModelChoice, ModelComparison};
pub use rout::{FitMethod, OutlierChoice, OutlierPoint, OutlierReport};
pub use verdict::{Estimate, Remedy, ResponseScale, Verdict};

use model::index::{HILL, LOG_IC50};

/// Which confidence interval of the IC50 is shown first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CiMethod {
    /// Prism's default: `10^(LogIC50 ± t·SE(LogIC50))`, asymmetric in concentration.
    #[default]
    WaldLog,
    /// drc's delta method on the linear scale: `IC50 ± t·SE(IC50)`.
    Delta,
    /// Profile likelihood (Prism's "asymmetrical" CI).
    Profile,
}

impl CiMethod {
    /// All methods.
    pub const ALL: [Self; 3] = [Self::WaldLog, Self::Delta, Self::Profile];

    /// A short description.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::WaldLog => "Wald on log scale (Prism default)",
            Self::Delta => "delta method, linear scale (drc)",
            Self::Profile => "profile likelihood",
        }
    }
}

/// Options that change a fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FitOptions {
    /// Fix Top at this value (e.g. 100).
    pub fix_top: Option<f64>,
    /// Fix Bottom at this value (e.g. 0).
    pub fix_bottom: Option<f64>,
    /// What the responses are measured in: % of vehicle, fraction of control or a raw
    /// signal. Decides the level of the absolute IC50 (50 % or 0.5) and the verdicts that
    /// read the data against it.
    pub scale: ResponseScale,
    /// Compute the profile-likelihood CI (costs a few dozen small refits).
    pub profile_ci: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            fix_top: None,
            fix_bottom: None,
            scale: ResponseScale::Percent,
            profile_ci: true,
        }
    }
}

/// How the points are weighted in the least-squares fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// Every point counts equally (ordinary least squares; the default).
    #[default]
    None,
    /// Relative weighting, `1/Y²` with Y the fitted curve (Prism 5 and later): minimizes
    /// `Σ((Y_data − Y_curve)/Y_curve)²`, for data whose scatter grows in proportion to Y.
    /// As in Prism, the weights are computed from the curve and held constant while the
    /// weighted sum of squares is minimized, then recomputed until nothing changes.
    Relative,
}

impl Weighting {
    /// The word used in JSON and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Relative => "relative",
        }
    }

    /// Words for people.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "no weighting",
            Self::Relative => "relative weighting (1/Y², Y of the curve)",
        }
    }

    /// Parses `none` or `relative` (also `1/y2`, `1/y^2`).
    ///
    /// # Errors
    /// A message for any other word.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "no" | "off" | "equal" => Ok(Self::None),
            "relative" | "1/y2" | "1/y^2" | "1/y²" => Ok(Self::Relative),
            other => Err(format!(
                "unknown weighting {other:?}: use relative (1/Y², Y of the curve) or none"
            )),
        }
    }
}

/// The 5PL's asymmetry parameter S and what derives from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Asymmetry {
    /// S (1 is the symmetric 4PL).
    pub s: f64,
    /// Standard error of S.
    pub se: Option<f64>,
    /// `LogXb = LogIC50 + (1/HillSlope)·log10(2^(1/S) − 1)`, Prism's other location
    /// parameter (not the midpoint).
    pub log10_xb: f64,
    /// Covariance of `[bottom, top, log10_ic50, hill_slope, S]` (zeros for fixed ones).
    pub covariance: Option<[[f64; 5]; 5]>,
}

/// The analysis choices beyond the plain 4PL least-squares fit (issue 13): Prism's robust
/// fit and ROUT outlier detection. The default is the plain fit, bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FitChoices {
    /// Least squares (default) or Prism's robust (Lorentzian) fit.
    pub method: FitMethod,
    /// Automatic outlier detection (off by default).
    pub outliers: OutlierChoice,
    /// The model: the 4PL (default), the 3PL, the normalized 4PL, the asymmetric 5PL, or
    /// "choose automatically" (3PL or 4PL; or 3PL, 4PL or 5PL).
    pub model: ModelChoice,
    /// Unweighted (default) or relative (`1/Y²`) weighting.
    pub weighting: Weighting,
}

impl FitChoices {
    /// Whether these are the plain least-squares choices.
    #[must_use]
    pub fn is_plain(&self) -> bool {
        *self == Self::default()
    }
}

/// What a fit's numbers can be trusted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitStatus {
    /// A good fit with a determined IC50.
    Converged,
    /// The solver did not reach a minimum.
    NotConverged,
    /// The IC50 lies above the highest tested concentration: report "> top concentration".
    Ic50AboveRange,
    /// The IC50 lies below the lowest tested concentration: report "< lowest concentration".
    Ic50BelowRange,
    /// No significant dose response (F test against a horizontal line, p ≥ 0.05).
    NoEffect,
    /// The parameters are not determined by the data (singular covariance, or the IC50's
    /// relative standard error is 50 % or more).
    Ambiguous,
    /// The curve levels off above 50 % viability: the absolute IC50 is undefined.
    Partial,
    /// Too few points or concentrations for a 4PL fit.
    InsufficientData,
    /// The curve is still falling at the highest dose and Bottom is extrapolated: the
    /// relative IC50 is not determined by the data (the absolute IC50 may be).
    NoLowerPlateau,
    /// Top is extrapolated or fitted far from the control level: the relative IC50 is not
    /// determined by the data.
    NoUpperPlateau,
    /// The response increases with dose: no inhibition, no IC50.
    Increasing,
}

impl FitStatus {
    /// The word used in JSON and tables.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Converged => "converged",
            Self::NotConverged => "not_converged",
            Self::Ic50AboveRange => "ic50_above_range",
            Self::Ic50BelowRange => "ic50_below_range",
            Self::NoEffect => "no_effect",
            Self::Ambiguous => "ambiguous",
            Self::Partial => "partial",
            Self::InsufficientData => "insufficient_data",
            Self::NoLowerPlateau => "no_lower_plateau",
            Self::NoUpperPlateau => "no_upper_plateau",
            Self::Increasing => "increasing",
        }
    }

    /// A plain-language explanation for tooltips and reports.
    #[must_use]
    pub fn explain(self) -> &'static str {
        match self {
            Self::Converged => {
                "The fit converged and the IC50 lies within the tested concentrations."
            }
            Self::NotConverged => {
                "The fit did not converge from any start value; no numbers are reported."
            }
            Self::Ic50AboveRange => {
                "The IC50 lies above the highest concentration tested; it is reported as '>' that concentration, not extrapolated."
            }
            Self::Ic50BelowRange => {
                "The IC50 lies below the lowest concentration tested; it is reported as '<' that concentration, not extrapolated."
            }
            Self::NoEffect => {
                "The drug had no significant effect: a flat line fits as well as the curve (F test, p ≥ 0.05)."
            }
            Self::Ambiguous => {
                "The data do not determine the parameters well (near-singular fit or IC50 standard error ≥ 50 %); treat the IC50 with caution."
            }
            Self::Partial => {
                "Viability levels off above 50 %: the relative IC50 is the midpoint of the curve, the absolute IC50 is not reached."
            }
            Self::InsufficientData => {
                "A 4PL fit needs at least 4 distinct concentrations and more points than parameters."
            }
            Self::NoLowerPlateau => {
                "The curve is still falling at the highest dose: Bottom is extrapolated, so the relative IC50 (the midpoint between the plateaus) is not determined by the data; the absolute IC50 (where the curve crosses 50 %) is. Fixing Bottom at 0 fits a complete curve."
            }
            Self::NoUpperPlateau => {
                "Top is extrapolated or fitted far from the vehicle level: the relative IC50 (the midpoint between the plateaus) is not determined by the data. Fixing Top at 100 % anchors the curve to the vehicle."
            }
            Self::Increasing => {
                "The response increases with dose: there is no inhibition, so there is no IC50."
            }
        }
    }

    /// Words for people (`IC50 above range`, `no lower plateau`).
    #[must_use]
    pub fn words(self) -> &'static str {
        match self {
            Self::Converged => "converged",
            Self::NotConverged => "not converged",
            Self::Ic50AboveRange => "IC50 above range",
            Self::Ic50BelowRange => "IC50 below range",
            Self::NoEffect => "no effect",
            Self::Ambiguous => "ambiguous",
            Self::Partial => "partial effect",
            Self::InsufficientData => "insufficient data",
            Self::NoLowerPlateau => "no lower plateau",
            Self::NoUpperPlateau => "no upper plateau",
            Self::Increasing => "response increases with dose",
        }
    }

    /// Whether a fit of this class can carry its relative IC50 as a number (the fit's
    /// [`Verdict`] decides whether it does).
    #[must_use]
    pub fn ic50_is_reported(self) -> bool {
        matches!(
            self,
            Self::Converged
                | Self::Ambiguous
                | Self::Partial
                | Self::NoLowerPlateau
                | Self::NoUpperPlateau
        )
    }
}

/// An input that cannot be fitted at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// A point is not a finite number or has a negative concentration.
    #[error("point {index}: {message}")]
    BadPoint {
        /// 0-based index of the point.
        index: usize,
        /// What is wrong.
        message: String,
    },
}

/// A fitted 4PL curve with everything derived from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// The curve's label.
    pub label: String,
    /// The headline outcome.
    pub status: FitStatus,
    /// Every outcome class that applies (status first).
    pub flags: Vec<FitStatus>,
    /// The parameters (canonical: bottom ≤ top).
    pub params: Params4pl,
    /// Which parameters were fixed: `[bottom, top, log10_ic50, hill_slope]`.
    pub fixed: [bool; 4],
    /// Standard errors `[bottom, top, log10_ic50, hill_slope]` (None when fixed or not computable).
    pub se: [Option<f64>; 4],
    /// Covariance of `[bottom, top, log10_ic50, hill_slope]` (zeros for fixed parameters).
    pub covariance: Option<[[f64; 4]; 4]>,
    /// Number of fitted points.
    pub n: usize,
    /// Residual degrees of freedom (n − free parameters).
    pub df: usize,
    /// Residual sum of squares.
    pub rss: f64,
    /// Standard deviation of the residuals, `sqrt(RSS/df)`.
    pub sy_x: Option<f64>,
    /// Coefficient of determination.
    pub r_squared: Option<f64>,
    /// Residuals (observed − fitted), in point order of the fitted points.
    pub residuals: Vec<f64>,
    /// Lowest positive and highest concentration fitted.
    pub tested_range: Option<(f64, f64)>,
    /// p-value of the F test of the curve against a horizontal line.
    pub p_no_effect: Option<f64>,
    /// The three IC50 confidence intervals.
    pub ic50_ci95_wald_log: Option<[f64; 2]>,
    /// drc's delta CI on the linear scale (may go below 0 for poorly determined IC50s).
    pub ic50_ci95_delta: Option<[f64; 2]>,
    /// Profile-likelihood CI; a `None` bound means the profile never reached the threshold
    /// on that side (the interval is open).
    pub ic50_ci95_profile: Option<[Option<f64>; 2]>,
    /// Solver evaluations, summed over all starts.
    pub evaluations: usize,
    /// The response scale the fit was judged on.
    pub scale: ResponseScale,
    /// The verdict: status, the IC50s as numbers or bounds, and the reasons in words.
    pub verdict: Verdict,
    /// How the parameters were fitted (least squares, or the robust fit).
    pub method: FitMethod,
    /// What ROUT found, when it ran (`None` when outlier detection is off).
    pub outliers: Option<OutlierReport>,
    /// The model fitted.
    pub model: Model,
    /// The comparison that decided the model, when it was chosen automatically.
    pub model_comparison: Option<ModelComparison>,
    /// Every comparison made for the automatic choice, in order (3PL vs 4PL, then the
    /// winner vs the 5PL when the 5PL takes part); the last is `model_comparison`.
    pub model_comparisons: Vec<ModelComparison>,
    /// Why the model fitted is not the one asked for (the 5PL asked for, no 5PL curve of
    /// an accepted shape: the 4PL reported).
    pub model_note: Option<String>,
    /// Residuals per point, the runs test and the replicates test (`None` when no curve
    /// was fitted).
    pub diagnostics: Option<diagnostics::Diagnostics>,
    /// The 5PL's asymmetry S (`None` for the other models).
    pub asymmetry: Option<Asymmetry>,
    /// How the points were weighted (RSS, Sy.x, SEs, CIs and the tests are then the
    /// weighted ones).
    pub weighting: Weighting,
}

impl Fit {
    /// Whether this kind of fit has a profile-likelihood CI: the unweighted fits (4PL, 3PL
    /// and 5PL). A relatively weighted fit has the Wald (log) and delta CIs only; where the
    /// profile CI is chosen it shows the Wald CI, marked.
    #[must_use]
    pub fn has_profile(&self) -> bool {
        self.weighting == Weighting::None
    }

    /// Whether the F test of equal IC50s (a refit of two curves sharing LogIC50) exists
    /// for this kind of fit: the unweighted ones (4PL, 3PL, and the 5PL, whose refit shares
    /// the midpoint between the plateaus).
    #[must_use]
    pub fn has_shared_ic50_test(&self) -> bool {
        self.weighting == Weighting::None
    }

    /// What [`Fit::has_shared_ic50_test`] excludes, in words: `a relatively weighted fit`.
    #[must_use]
    pub fn why_no_shared_ic50_test(&self) -> Option<String> {
        (self.weighting != Weighting::None).then(|| "a relatively weighted fit".to_string())
    }

    /// The relative IC50 (midpoint between the plateaus), `10^log10_ic50`.
    #[must_use]
    pub fn relative_ic50(&self) -> f64 {
        10f64.powf(self.params.log10_ic50)
    }

    /// The relative IC50 when the verdict reports it as a number (inside the tested range,
    /// determined by the data).
    #[must_use]
    pub fn reported_ic50(&self) -> Option<f64> {
        self.verdict.relative.value().filter(|v| v.is_finite())
    }

    /// The absolute IC50, where the fitted curve crosses 50 % (0.5 on a fraction scale),
    /// when the data cross that level inside the tested range. `None` on a raw scale.
    #[must_use]
    pub fn absolute_ic50(&self) -> Option<f64> {
        self.verdict.absolute.value().filter(|v| v.is_finite())
    }

    /// The level of the absolute IC50 (50 or 0.5), `None` on a raw scale.
    #[must_use]
    pub fn half_level(&self) -> Option<f64> {
        self.scale.half()
    }

    /// `> 50` / `< 0.002` when the IC50 is a bound: the relative IC50's, else (for a curve
    /// whose midpoint is not determined) the absolute IC50's.
    #[must_use]
    pub fn ic50_bound(&self) -> Option<String> {
        self.verdict
            .relative
            .bound_text()
            .or_else(|| match self.verdict.relative {
                Estimate::Undetermined => self.verdict.absolute.bound_text(),
                _ => None,
            })
    }

    /// The concentration of F % inhibition relative to the fitted plateaus (drc's relative
    /// ED(F); F = 50 is the relative IC50), with its Wald CI on the log scale.
    #[must_use]
    pub fn ic_f(&self, f_percent: f64) -> Option<IcEstimate> {
        if !(f_percent > 0.0 && f_percent < 100.0 && self.reported_ic50().is_some()) {
            return None;
        }
        let fraction = f_percent / 100.0;
        if self.asymmetry.is_some() {
            // The 5PL reaches F % of the way from Top to Bottom where its fraction of the
            // span left is 1 − F/100.
            let (value, ci95) = self.asymmetric_log_estimate(|p| {
                let log_x = model::asymmetric_crossing(
                    Params4pl::from_array([p[0], p[1], p[2], p[3]]),
                    p[4],
                    p[0] + (p[1] - p[0]) * (1.0 - fraction),
                )?
                .log10();
                Some(log_x)
            })?;
            return Some(IcEstimate {
                f_percent,
                value,
                ci95,
            });
        }
        let shift = (fraction / (1.0 - fraction)).log10();
        let hill = self.params.hill_slope;
        if hill.abs() < 1e-12 {
            return None;
        }
        // The falling curve reaches F % inhibition at X = LogIC50 − log10(f/(1−f))/Hill.
        let log_x = self.params.log10_ic50 - shift / hill;
        let ci = self.covariance.and_then(|cov| {
            let d_log_ic50 = 1.0;
            let d_hill = shift / (hill * hill);
            let var = d_log_ic50 * d_log_ic50 * cov[LOG_IC50][LOG_IC50]
                + 2.0 * d_log_ic50 * d_hill * cov[LOG_IC50][HILL]
                + d_hill * d_hill * cov[HILL][HILL];
            let t = t95(self.df as f64)?;
            (var >= 0.0).then(|| {
                let half = t * var.sqrt();
                [10f64.powf(log_x - half), 10f64.powf(log_x + half)]
            })
        });
        Some(IcEstimate {
            f_percent,
            value: 10f64.powf(log_x),
            ci95: ci,
        })
    }

    /// The fitted response at a concentration.
    #[must_use]
    pub fn predict(&self, concentration: f64) -> f64 {
        self.response(log10_or_neg_inf(concentration))
    }

    /// The fitted curve at `log10_x` (`−∞` for dose zero), the 5PL's asymmetry included.
    #[must_use]
    pub fn response(&self, log10_x: f64) -> f64 {
        match &self.asymmetry {
            Some(a) => model::asymmetric_response_and_gradient(self.five_params(a.s), log10_x).0,
            None => self.params.response(log10_x),
        }
    }

    /// The fitted curve as a function of `log10_x` that owns what it needs (for plots).
    pub fn curve_function(&self) -> impl Fn(f64) -> f64 + Copy + Send + Sync + 'static {
        let p = self.params;
        let asymmetry = self.asymmetry.as_ref().map(|a| a.s);
        move |log10_x| match asymmetry {
            Some(s) => {
                model::asymmetric_response_and_gradient(
                    [p.bottom, p.top, p.log10_ic50, p.hill_slope, s],
                    log10_x,
                )
                .0
            }
            None => p.response(log10_x),
        }
    }

    fn five_params(&self, s: f64) -> [f64; 5] {
        let p = self.params;
        [p.bottom, p.top, p.log10_ic50, p.hill_slope, s]
    }

    /// For the 5PL: the concentration `10^g(p)` of a function `g` of
    /// `[bottom, top, log10_ic50, hill_slope, S]` with its Wald CI on the log scale by the
    /// delta method (central-difference gradient, the fit's 5 × 5 covariance).
    #[must_use]
    pub fn asymmetric_log_estimate(
        &self,
        g: impl Fn([f64; 5]) -> Option<f64>,
    ) -> Option<(f64, Option<[f64; 2]>)> {
        let a = self.asymmetry.as_ref()?;
        let p = self.five_params(a.s);
        let log_x = g(p)?;
        let ci = a.covariance.and_then(|cov| {
            let mut gradient = [0.0; 5];
            for (k, slot) in gradient.iter_mut().enumerate() {
                if cov[k][k] <= 0.0 {
                    continue;
                }
                let h = 1e-6 * p[k].abs().max(1e-3);
                let (mut up, mut down) = (p, p);
                up[k] += h;
                down[k] -= h;
                *slot = (g(up)? - g(down)?) / (2.0 * h);
            }
            let mut variance = 0.0;
            for i in 0..5 {
                for j in 0..5 {
                    variance += gradient[i] * cov[i][j] * gradient[j];
                }
            }
            let t = t95(self.df as f64)?;
            (variance.is_finite() && variance >= 0.0).then(|| {
                let half = t * variance.sqrt();
                [10f64.powf(log_x - half), 10f64.powf(log_x + half)]
            })
        });
        Some((10f64.powf(log_x), ci))
    }

    /// The points this fit was made from: `dose_response` with the outliers ROUT removed
    /// marked as excluded (the same curve when nothing was removed). Joint fits (the
    /// resistance index) use these points, so they agree with the curve's own fit.
    #[must_use]
    pub fn fitted_dose_response(&self, dose_response: &DoseResponse) -> DoseResponse {
        let mut points = dose_response.clone();
        if let Some(report) = self.outliers.as_ref().filter(|r| r.removed) {
            for outlier in report.standing() {
                if let Some(point) = points.points.get_mut(outlier.index) {
                    point.excluded = true;
                }
            }
        }
        points
    }

    /// Whether ROUT flagged the curve (more than a quarter of its points would have been
    /// removed).
    #[must_use]
    pub fn outliers_flagged(&self) -> bool {
        self.outliers
            .as_ref()
            .is_some_and(|r| !r.removed && r.standing().next().is_some())
    }
}

/// An IC_F estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IcEstimate {
    /// F, in %.
    pub f_percent: f64,
    /// The concentration.
    pub value: f64,
    /// Wald CI on the log scale.
    pub ci95: Option<[f64; 2]>,
}

/// The concentration where the curve crosses `level`, if it does.
#[must_use]
pub fn crossing(params: Params4pl, level: f64) -> Option<f64> {
    let Params4pl {
        bottom,
        top,
        log10_ic50,
        hill_slope,
    } = params;
    let ratio = (top - bottom) / (level - bottom) - 1.0;
    if !(ratio > 0.0 && ratio.is_finite()) || hill_slope.abs() < 1e-12 {
        return None;
    }
    let log_x = log10_ic50 - ratio.log10() / hill_slope;
    let x = 10f64.powf(log_x);
    (x.is_finite() && x > 0.0).then_some(x)
}

/// The variance of log10 of the 4PL's crossing of `level` (the absolute IC50 at half), by
/// the delta method from the parameters' covariance (indices as [`index`]); `None` where
/// the curve does not cross `level` or the variance is not a number.
#[must_use]
pub fn crossing_log_variance(
    params: Params4pl,
    covariance: &[[f64; 4]; 4],
    level: f64,
) -> Option<f64> {
    let (b, t, h) = (params.bottom, params.top, params.hill_slope);
    // u = (T − B)/(level − B) − 1 = (T − level)/(level − B); log x = L − log10(u)/H.
    let u = (t - level) / (level - b);
    if u.is_nan() || u <= 0.0 || h.abs() < 1e-12 {
        return None;
    }
    let ln10 = std::f64::consts::LN_10;
    let du_dt = 1.0 / (level - b);
    let du_db = (t - level) / ((level - b) * (level - b));
    let mut gradient = [0.0; 4];
    gradient[index::LOG_IC50] = 1.0;
    gradient[index::TOP] = -du_dt / (u * ln10 * h);
    gradient[index::BOTTOM] = -du_db / (u * ln10 * h);
    gradient[index::HILL] = u.log10() / (h * h);
    let mut variance = 0.0;
    for (i, gi) in gradient.iter().enumerate() {
        for (j, gj) in gradient.iter().enumerate() {
            variance += gi * covariance[i][j] * gj;
        }
    }
    (variance.is_finite() && variance >= 0.0).then_some(variance)
}

/// Fits a 4PL curve to the points of a dose-response.
///
/// # Errors
/// [`FitError`] only for points that are not numbers or have a negative concentration;
/// every other problem is a [`FitStatus`].
pub fn fit_4pl(dose_response: &DoseResponse, options: &FitOptions) -> Result<Fit, FitError> {
    check_points(dose_response)?;
    let (data, level_of) = CurveData::from_dose_response_with_levels(dose_response, options);
    Ok(fit_curve_data(
        &dose_response.label,
        &data,
        &level_of,
        dose_response,
        options,
        None,
        Engine::Logistic { fix_hill: None },
        Weighting::None,
    ))
}

/// Points that cannot be fitted at all: a concentration that is not a number ≥ 0 or a
/// response that is not finite (excluded points are not looked at).
fn check_points(dose_response: &DoseResponse) -> Result<(), FitError> {
    for (index, point) in dose_response.points.iter().enumerate() {
        if point.excluded {
            continue;
        }
        if !point.concentration.is_finite() || point.concentration < 0.0 {
            return Err(FitError::BadPoint {
                index,
                message: format!("concentration {} is not a number ≥ 0", point.concentration),
            });
        }
        if !point.response.is_finite() {
            return Err(FitError::BadPoint {
                index,
                message: "response is not a finite number".into(),
            });
        }
    }
    Ok(())
}

/// A solution found outside the least-squares search (the robust fit), to be finished into
/// a [`Fit`]: full parameters, the residual scale for the covariance, solver evaluations.
struct GivenSolution {
    params: [f64; 4],
    scale: f64,
    evaluations: usize,
}

/// Fits a curve with the analysis choices: the plain 4PL least-squares fit
/// ([`fit_4pl`], unchanged) when `choices` are the defaults; else Prism's robust fit, or
/// ROUT — the robust fit, the outlier test at Q, and the least-squares fit of the points
/// that are left (see [`rout`]). A curve where ROUT would remove more than a quarter of the
/// points keeps them all and is flagged ([`Fit::outliers_flagged`]).
///
/// # Errors
/// As [`fit_4pl`].
pub fn fit_curve(
    dose_response: &DoseResponse,
    options: &FitOptions,
    choices: &FitChoices,
) -> Result<Fit, FitError> {
    fit_curve_keeping(dose_response, options, choices, &[])
}

/// [`fit_curve`], with the points at `kept` (indexes into `dose_response.points`) never
/// removed by ROUT: the user overruled their flags. They are still listed among the
/// outliers, marked [`OutlierPoint::kept`], so the user can change their mind.
///
/// # Errors
/// As [`fit_4pl`].
pub fn fit_curve_keeping(
    dose_response: &DoseResponse,
    options: &FitOptions,
    choices: &FitChoices,
    kept: &[usize],
) -> Result<Fit, FitError> {
    if choices.is_plain() {
        return fit_4pl(dose_response, options);
    }
    let auto_with_five = match choices.model {
        ModelChoice::Fixed(Model::FivePl) => {
            let five = fit_one(dose_response, options, Model::FivePl, choices, kept)?;
            if five.status != FitStatus::NotConverged {
                return Ok(five);
            }
            // No 5PL curve of an accepted shape: every run walked toward a step or an
            // unbounded asymmetry (flat data, a single step, curves without a second
            // plateau). The 4PL is the 5PL with S = 1; it is reported, saying so, so the
            // curve still gets the verdict its points call for ("< lowest dose" for cells
            // dead at every dose, not "not converged").
            let mut four = fit_one(dose_response, options, Model::FourPl, choices, kept)?;
            if matches!(
                four.status,
                FitStatus::NotConverged | FitStatus::InsufficientData
            ) {
                return Ok(five);
            }
            four.model_note = Some(
                "the 5PL was asked for, but no 5PL curve of an accepted shape (|HillSlope| < 50, S between 1/1000 and 1000) fits these points: every fit walks toward a step or an unbounded asymmetry, so the 4PL (the 5PL with S = 1) is reported".into(),
            );
            return Ok(four);
        }
        ModelChoice::Fixed(model) => {
            return fit_one(dose_response, options, model, choices, kept);
        }
        ModelChoice::Auto => false,
        ModelChoice::AutoWithFivePl => true,
    };
    // Outliers are looked for once, with the 4PL; every model is then fitted to the same
    // points, as a comparison requires.
    let four = fit_one(dose_response, options, Model::FourPl, choices, kept)?;
    let cleaned = four.fitted_dose_response(dose_response);
    let same_points = FitChoices {
        outliers: OutlierChoice::Off,
        ..*choices
    };
    let three = fit_one(&cleaned, options, Model::ThreePl, &same_points, &[])?;
    let outliers = four.outliers.clone();
    let comparison = models::choose((Model::ThreePl, &three), (Model::FourPl, &four));
    let mut evaluations = three.evaluations + four.evaluations;
    let mut chosen = if comparison.chosen == Some(Model::ThreePl) {
        three
    } else {
        four
    };
    chosen.model_comparisons = vec![comparison.clone()];
    chosen.model_comparison = Some(comparison);
    if auto_with_five {
        // The winner of 3PL vs 4PL against the 5PL (both nest in it): the lower AICc of
        // this pair is the lowest AICc of the three models.
        let five = fit_one(&cleaned, options, Model::FivePl, &same_points, &[])?;
        evaluations += five.evaluations;
        let mut second = models::choose((chosen.model, &chosen), (Model::FivePl, &five));
        let first = chosen.model_comparisons.clone();
        if let Some(step) = first.first() {
            second.reason = format!("{}; before that, {}", second.reason, step.reason);
        }
        if second.chosen == Some(Model::FivePl) {
            chosen = five;
        }
        chosen.model_comparisons = first;
        chosen.model_comparisons.push(second.clone());
        chosen.model_comparison = Some(second);
    }
    chosen.outliers = outliers;
    chosen.evaluations = evaluations;
    Ok(chosen)
}

/// A confidence interval whose limits are numbers: `None` where a limit is 0, infinite or
/// NaN (an SE of hundreds of decades on an ambiguous fit prints as "[0, —]").
#[must_use]
pub fn computable_interval([lo, hi]: [f64; 2]) -> Option<[f64; 2]> {
    (lo > 0.0 && hi.is_finite()).then_some([lo, hi])
}

/// The least-squares fit of one model (exactly [`fit_4pl`] for the unweighted 4PL).
fn fit_model(
    dose_response: &DoseResponse,
    options: &FitOptions,
    model: Model,
    weighting: Weighting,
) -> Result<Fit, FitError> {
    let options = model.options(options);
    if model.fixed_hill().is_none() && model != Model::FivePl && weighting == Weighting::None {
        let mut fit = fit_4pl(dose_response, &options)?;
        fit.model = model;
        return Ok(fit);
    }
    check_points(dose_response)?;
    let (data, level_of) = CurveData::from_dose_response_with_levels(dose_response, &options);
    let engine = if model == Model::FivePl {
        Engine::Asymmetric
    } else {
        Engine::Logistic {
            fix_hill: model.fixed_hill(),
        }
    };
    let mut fit = fit_curve_data(
        &dose_response.label,
        &data,
        &level_of,
        dose_response,
        &options,
        None,
        engine,
        weighting,
    );
    fit.model = model;
    // Relative weighting that cannot be what the data support: the unweighted fit is
    // reported, saying why, so the curve gets the verdict its points call for.
    // - The weights 1/Y² never settled (flat or noisy points where the curve jumps between
    //   steps) or cannot be computed (the curve reaches 0 at a tested dose): "not
    //   converged" without a verdict otherwise.
    // - The weighted fit ends "no effect" or rising where the unweighted fit finds a
    //   falling curve: points scattered around 0 % get weights thousands of times those at
    //   100 % and the weighted fit follows them alone.
    let fallback_from = match fit.status {
        _ if weighting != Weighting::Relative => None,
        FitStatus::NotConverged => Some(None),
        FitStatus::NoEffect => Some(Some("no dose-dependent effect")),
        // Not significant, with the points ending below half: no effect the weights let
        // the test see either.
        FitStatus::Ambiguous if fit.p_no_effect.is_some_and(|p| p >= 0.05) => {
            Some(Some("no significant dose-dependent effect"))
        }
        FitStatus::Increasing => Some(Some("a response rising with dose")),
        _ => None,
    };
    if let Some(weighted_finds) = fallback_from {
        let unweighted = fit_model(dose_response, &options, model, Weighting::None)?;
        let usable = match unweighted.status {
            FitStatus::NotConverged | FitStatus::InsufficientData => false,
            FitStatus::NoEffect | FitStatus::Increasing => weighted_finds.is_none(),
            _ => true,
        };
        if usable {
            let why = match weighted_finds {
                Some(finds) => format!(
                    "the weighted fit finds {finds} where the unweighted fit finds a falling curve (the weights of responses near zero outweigh the rest)"
                ),
                None => fit.verdict.reasons.first().map_or_else(
                    || "the weighted fit did not converge".to_string(),
                    String::clone,
                ),
            };
            let mut unweighted = unweighted;
            unweighted.model_note = Some(format!(
                "relative weighting (1/Y²) was asked for, but {why}: the unweighted fit is reported"
            ));
            return Ok(unweighted);
        }
    }
    Ok(fit)
}

/// One model with the robust fit or ROUT.
fn fit_one(
    dose_response: &DoseResponse,
    options: &FitOptions,
    model: Model,
    choices: &FitChoices,
    kept: &[usize],
) -> Result<Fit, FitError> {
    let plain = fit_model(dose_response, options, model, choices.weighting)?;
    if choices.method == FitMethod::LeastSquares && choices.outliers == OutlierChoice::Off {
        return Ok(plain);
    }
    // There is no robust 5PL: with the 5PL the robust fit alone is not done (the command
    // line and the app refuse the combination; the fit says least squares), and ROUT looks
    // for outliers with the 4PL's robust fit before the 5PL is fitted to what is left.
    if model == Model::FivePl && choices.outliers == OutlierChoice::Off {
        return Ok(plain);
    }
    let options = &model.options(options);
    let fitted: Vec<usize> = dose_response
        .points
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.excluded && p.response.is_finite() && p.concentration.is_finite())
        .map(|(i, _)| i)
        .collect();
    let log_x: Vec<f64> = fitted
        .iter()
        .map(|i| log10_or_neg_inf(dose_response.points[*i].concentration))
        .collect();
    let y: Vec<f64> = fitted
        .iter()
        .map(|i| dose_response.points[*i].response)
        .collect();
    let set = CurveSet::single(
        CurveData::from_points(Vec::new()),
        options.fix_bottom,
        options.fix_top,
    );
    let mut refs = set.curves[0].1;
    let mut n_free = set.n_free;
    if let Some(hill) = model.fixed_hill() {
        refs[index::HILL] = ParamRef::Fixed(hill);
        n_free -= 1;
    }
    let start = if plain.params.to_array().iter().all(|v| v.is_finite()) {
        plain.params.to_array()
    } else {
        initial::start_values(
            &CurveData::from_dose_response(dose_response, options),
            options,
        )
    };
    let Some(robust) = (plain.status != FitStatus::InsufficientData)
        .then(|| rout::robust_fit(&log_x, &y, refs, start))
        .flatten()
    else {
        // Too few points for a robust fit: the plain fit, saying so in its method.
        return Ok(Fit {
            outliers: None,
            ..plain
        });
    };
    let Some(q) = choices.outliers.q() else {
        // The robust fit alone (unweighted whatever the weighting, as in Prism).
        let (data, level_of) = CurveData::from_dose_response_with_levels(dose_response, options);
        let mut fit = fit_curve_data(
            &dose_response.label,
            &data,
            &level_of,
            dose_response,
            options,
            Some(GivenSolution {
                params: robust.params,
                scale: robust.rsdr,
                evaluations: robust.evaluations + plain.evaluations,
            }),
            Engine::Logistic {
                fix_hill: model.fixed_hill(),
            },
            Weighting::None,
        );
        fit.method = FitMethod::Robust;
        fit.model = model;
        return Ok(fit);
    };
    let found = rout::rout_outliers(&robust.residuals, robust.rsdr, n_free, q);
    let points = found
        .iter()
        .map(|(k, p_value)| {
            let index = fitted[*k];
            let point = dose_response.points[index];
            OutlierPoint {
                index,
                well: point.well,
                concentration: point.concentration,
                response: point.response,
                residual: robust.residuals[*k],
                p_value: *p_value,
                kept: kept.contains(&index),
            }
        })
        .collect::<Vec<_>>();
    let mut report = OutlierReport {
        q,
        rsdr: robust.rsdr,
        robust_params: robust.params,
        n_tested: fitted.len(),
        points,
        removed: false,
    };
    // Only the flags the user did not overrule would remove points.
    let standing = report.standing().count();
    let too_many = standing as f64 > rout::MAX_REMOVED_FRACTION * fitted.len() as f64;
    if standing == 0 || too_many {
        let mut fit = plain;
        fit.outliers = Some(report);
        return Ok(fit);
    }
    report.removed = true;
    let mut cleaned = dose_response.clone();
    for outlier in report.standing() {
        cleaned.points[outlier.index].excluded = true;
    }
    let mut fit = fit_model(&cleaned, options, model, choices.weighting)?;
    fit.evaluations += plain.evaluations + robust.evaluations;
    fit.outliers = Some(report);
    Ok(fit)
}

/// The least-squares model behind one fit.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Engine {
    /// The 4PL; HillSlope fixed at the given value for the 3PL.
    Logistic {
        /// The fixed Hill slope, if any.
        fix_hill: Option<f64>,
    },
    /// The asymmetric 5PL.
    Asymmetric,
}

/// The outcome of [`relative_weighting`]: the model with the weights of the final curve,
/// the free vector, the weights per level, the solver evaluations and the rounds.
type Reweighted<M> = (M, Vec<f64>, Vec<f64>, usize, usize);

/// Relative weighting (`1/Y²` of the curve) as Prism does it: weights computed from the
/// current curve and held constant while the weighted sum of squares is minimized, then
/// recomputed from the new curve, until neither the parameters nor the weighted SS
/// change. `make` builds the model on weighted points, `curve` evaluates the curve of a
/// free vector. Returns the model with the weights of the final curve, the free vector,
/// the weights, the solver evaluations and the number of reweighting rounds; an error in
/// words when a weight cannot be computed (the curve is 0 at a tested concentration) or
/// the rounds do not settle.
fn relative_weighting<M: LeastSquaresModel>(
    data: &CurveData,
    start: Vec<f64>,
    make: impl Fn(CurveData) -> M,
    curve: impl Fn(&[f64], f64) -> f64,
) -> Result<Reweighted<M>, String> {
    /// Rounds allowed; the fits here settle in 5–15.
    const MAX_ROUNDS: usize = 200;
    let weights_of = |free: &[f64]| -> Result<Vec<f64>, String> {
        data.log_x
            .iter()
            .map(|x| {
                let fitted = curve(free, *x);
                let weight = 1.0 / (fitted * fitted);
                // 1/Y² weights say the scatter is proportional to the response: a curve at
                // or below zero (blank-subtracted viability falling to −5 %) has no such
                // scatter, and its weights near the zero crossing are arbitrarily large.
                if fitted > 0.0 && weight.is_finite() {
                    Ok(weight)
                } else {
                    Err(format!(
                        "the fitted curve is {} at {}, where relative weights (1/Y²: scatter proportional to a positive response) do not exist",
                        crate::report::format_number(fitted),
                        if x.is_finite() {
                            format!(
                                "concentration {}",
                                crate::report::format_number(10f64.powf(*x))
                            )
                        } else {
                            "dose zero".to_string()
                        }
                    ))
                }
            })
            .collect()
    };
    let settings = lm::SolverSettings::default();
    let mut free = start;
    let mut evaluations = 0;
    let mut previous_wss = f64::INFINITY;
    for round in 1..=MAX_ROUNDS {
        let weights = weights_of(&free)?;
        let weighted = data
            .reweighted(&weights)
            .ok_or_else(|| "relative weighting: a weight is not a positive number".to_string())?;
        let model = make(weighted);
        let minimum = lm::minimize(&model, &free, settings);
        evaluations += minimum.evaluations;
        if !minimum.rss.is_finite() {
            return Err("the weighted fit did not converge".to_string());
        }
        let moved = minimum
            .params
            .iter()
            .zip(&free)
            .any(|(a, b)| (a - b).abs() > 1e-13 * (1.0 + b.abs()));
        let settled = (minimum.rss - previous_wss).abs() <= 1e-12 * minimum.rss;
        previous_wss = minimum.rss;
        free = minimum.params;
        if settled && !moved {
            // The weights of the final curve: the weighted SS, the SEs and the tests are
            // those of the fit with these weights held constant.
            let weights = weights_of(&free)?;
            let weighted = data.reweighted(&weights).ok_or_else(|| {
                "relative weighting: a weight is not a positive number".to_string()
            })?;
            return Ok((make(weighted), free, weights, evaluations, round));
        }
    }
    Err(format!(
        "the relative weights did not settle in {MAX_ROUNDS} rounds of reweighting"
    ))
}

/// One solved fit, ready to be finished into a [`Fit`].
struct Solved {
    /// Bottom, Top, LogIC50 (the midpoint for the 5PL too) and HillSlope.
    params: Params4pl,
    /// The 5PL's asymmetry S with its SE and the 5 × 5 covariance.
    asymmetry: Option<Asymmetry>,
    /// The (weighted) residual sum of squares.
    rss: f64,
    covariance: Option<[[f64; 4]; 4]>,
    se: [Option<f64>; 4],
    evaluations: usize,
    robust: bool,
    /// Per-level weights of a weighted fit.
    weights: Option<Vec<f64>>,
    /// The problem and free vector for the profile-likelihood CI (unweighted least-squares
    /// fits only).
    profile: Option<ProfileInput>,
}

/// What the profile-likelihood CI refits: the 4PL / 3PL curve set or the 5PL, with the
/// free parameters at the optimum.
enum ProfileInput {
    Logistic(CurveSet, Vec<f64>),
    FivePl(Box<asymmetric::FivePlSet>, Vec<f64>),
}

/// Solves the 4PL / 3PL least-squares problem, optionally reweighted.
#[allow(clippy::too_many_arguments)]
fn solve_logistic(
    data: &CurveData,
    options: &FitOptions,
    given: Option<GivenSolution>,
    fix_hill: Option<f64>,
    weighting: Weighting,
    n: usize,
    n_free: usize,
    fixed: [bool; 4],
) -> Result<Solved, (FitStatus, Option<String>)> {
    let mut set = CurveSet::single(data.clone(), options.fix_bottom, options.fix_top);
    // A fixed Hill slope (the 3PL): the last free parameter becomes a constant.
    if let Some(hill) = fix_hill {
        set.curves[0].1[index::HILL] = ParamRef::Fixed(hill);
        set.n_free -= 1;
    }
    let (best_params, best_rss, mut evaluations, robust_scale) = match given {
        Some(solution) => (
            set.free_from_full(&solution.params),
            f64::NAN,
            solution.evaluations,
            Some(solution.scale),
        ),
        None => {
            let Some(best) = initial::fit_with_restarts(&set, data, options) else {
                return Err((FitStatus::NotConverged, None));
            };
            (best.params, best.rss, best.evaluations, None)
        }
    };
    let mut full = set.full_params(&best_params);
    let mut canonical = Params4pl::from_array(full).canonical();
    // A rising fit stored with bottom > top is the same curve; keep labels canonical unless
    // a plateau is fixed (then the labels are the user's).
    if options.fix_bottom.is_some() || options.fix_top.is_some() || fix_hill.is_some() {
        canonical = Params4pl::from_array(full);
    }
    full = canonical.to_array();
    let mut free_params = set.free_from_full(&full);
    let df = n - n_free;
    let mut weights = None;
    // Robust fits are not weighted (Prism: "it doesn't make sense to perform robust
    // regression using unequal weights").
    if weighting == Weighting::Relative && robust_scale.is_none() {
        let template = set.clone();
        let (weighted, free, level_weights, spent, _) = relative_weighting(
            data,
            free_params,
            |d| {
                let mut s = template.clone();
                s.curves[0].0 = d;
                s
            },
            |free, x| Params4pl::from_array(template.full_params(free)).response(x),
        )
        .map_err(|reason| (FitStatus::NotConverged, Some(reason)))?;
        evaluations += spent;
        set = weighted;
        free_params = free;
        canonical = Params4pl::from_array(set.full_params(&free_params));
        weights = Some(level_weights);
    }
    let rss = lm::rss(&set, &free_params).unwrap_or(best_rss);
    // The robust fit's covariance is scaled by its robust SD of the residuals (RSDR²
    // instead of RSS/df, which an outlier would inflate): an approximation, as for any
    // M-estimate, and said so where it is reported.
    let s2 = robust_scale.map_or(rss / df as f64, |scale| scale * scale);
    let unscaled = lm::unscaled_covariance(&set, &free_params);
    let covariance = unscaled.as_ref().map(|c| set.expand_covariance(c, s2));
    let se = covariance.map_or([None; 4], |cov| {
        std::array::from_fn(|k| {
            (!fixed[k])
                .then(|| cov[k][k].sqrt())
                .filter(|v| v.is_finite())
        })
    });
    let profile = (weights.is_none() && robust_scale.is_none())
        .then_some(ProfileInput::Logistic(set, free_params));
    Ok(Solved {
        params: canonical,
        asymmetry: None,
        rss,
        covariance,
        se,
        evaluations,
        robust: robust_scale.is_some(),
        weights,
        profile,
    })
}

/// Solves the asymmetric 5PL: the 4PL first (its best solution and the best points of
/// the start grid), then the 5PL from each with several asymmetries; optionally
/// reweighted.
fn solve_asymmetric(
    data: &CurveData,
    options: &FitOptions,
    weighting: Weighting,
    n: usize,
    n_free: usize,
    fixed: [bool; 4],
) -> Result<Solved, (FitStatus, Option<String>)> {
    let four = CurveSet::single(data.clone(), options.fix_bottom, options.fix_top);
    let (lo, hi) = data.tested_log_range();
    let mut starts = Vec::new();
    let mut evaluations = 0;
    if let Some(best) = initial::fit_with_restarts(&four, data, options) {
        evaluations += best.evaluations;
        let full = Params4pl::from_array(four.full_params(&best.params));
        starts.push(
            if fixed[0] || fixed[1] {
                full
            } else {
                full.canonical()
            }
            .to_array(),
        );
    }
    starts.extend(initial::grid_starts(data, options, lo, hi, 2));
    let mut set = asymmetric::FivePlSet::new(data.clone(), options.fix_bottom, options.fix_top);
    let (best, spent) = asymmetric::fit_from_4pl(&set, &starts);
    evaluations += spent;
    let Some(best) = best else {
        return Err((FitStatus::NotConverged, None));
    };
    let mut free_params = best.params;
    let mut weights = None;
    if weighting == Weighting::Relative {
        let template = set.clone();
        let (weighted, free, level_weights, spent, _) = relative_weighting(
            data,
            free_params,
            |d| asymmetric::FivePlSet {
                data: d,
                ..template.clone()
            },
            |free, x| model::asymmetric_response_and_gradient(template.full_params(free), x).0,
        )
        .map_err(|reason| (FitStatus::NotConverged, Some(reason)))?;
        evaluations += spent;
        set = weighted;
        free_params = free;
        weights = Some(level_weights);
    }
    let rss = lm::rss(&set, &free_params).unwrap_or(best.rss);
    let df = n - n_free;
    let full = set.full_params(&free_params);
    let covariance5 = set.covariance(&free_params, rss / df as f64);
    let covariance = covariance5.map(|c| std::array::from_fn(|i| std::array::from_fn(|j| c[i][j])));
    let se: [Option<f64>; 4] = covariance.map_or([None; 4], |cov: [[f64; 4]; 4]| {
        std::array::from_fn(|k| {
            (!fixed[k])
                .then(|| cov[k][k].sqrt())
                .filter(|v| v.is_finite())
        })
    });
    let s = full[asymmetric::ASYMMETRY];
    let params = Params4pl::from_array([full[0], full[1], full[2], full[3]]);
    Ok(Solved {
        params,
        asymmetry: Some(Asymmetry {
            s,
            se: covariance5
                .map(|c| c[asymmetric::ASYMMETRY][asymmetric::ASYMMETRY].sqrt())
                .filter(|v| v.is_finite()),
            log10_xb: model::asymmetry_shift(s).map_or(f64::NAN, |shift| {
                params.log10_ic50 + shift / params.hill_slope
            }),
            covariance: covariance5,
        }),
        rss,
        covariance,
        se,
        evaluations,
        robust: false,
        profile: weights
            .is_none()
            .then_some(ProfileInput::FivePl(Box::new(set), free_params)),
        weights,
    })
}

#[allow(clippy::too_many_arguments)]
fn fit_curve_data(
    label: &str,
    data: &CurveData,
    level_of: &[usize],
    dose_response: &DoseResponse,
    options: &FitOptions,
    given: Option<GivenSolution>,
    engine: Engine,
    weighting: Weighting,
) -> Fit {
    let n = data.n_points();
    let fix_hill = match engine {
        Engine::Logistic { fix_hill } => fix_hill,
        Engine::Asymmetric => None,
    };
    let fixed = [
        options.fix_bottom.is_some(),
        options.fix_top.is_some(),
        false,
        fix_hill.is_some(),
    ];
    let n_free = fixed.iter().filter(|f| !**f).count() + usize::from(engine == Engine::Asymmetric);
    let tested_range = dose_response.tested_range();
    // Concentrations equal to 1e-12 (relative) count as one level.
    let mut n_levels = 0;
    let mut positive_levels = 0;
    for (k, x) in data.log_x.iter().enumerate() {
        let repeated = k > 0 && (x - data.log_x[k - 1]).abs() <= 5e-13;
        if !repeated {
            n_levels += 1;
            positive_levels += usize::from(x.is_finite());
        }
    }
    let empty_fit = |status: FitStatus, reason: Option<String>| Fit {
        label: label.to_string(),
        status,
        flags: vec![status],
        params: Params4pl {
            bottom: f64::NAN,
            top: f64::NAN,
            log10_ic50: f64::NAN,
            hill_slope: f64::NAN,
        },
        fixed,
        se: [None; 4],
        covariance: None,
        n,
        df: n.saturating_sub(n_free),
        rss: f64::NAN,
        sy_x: None,
        r_squared: None,
        residuals: Vec::new(),
        tested_range,
        p_no_effect: None,
        ic50_ci95_wald_log: None,
        ic50_ci95_delta: None,
        ic50_ci95_profile: None,
        evaluations: 0,
        scale: options.scale,
        verdict: Verdict {
            status,
            flags: vec![status],
            relative: Estimate::Undetermined,
            absolute: Estimate::Undetermined,
            reasons: vec![reason.unwrap_or_else(|| status.explain().to_string())],
            remedy: None,
        },
        method: FitMethod::LeastSquares,
        outliers: None,
        model: Model::FourPl,
        model_comparison: None,
        model_comparisons: Vec::new(),
        model_note: None,
        diagnostics: None,
        asymmetry: None,
        weighting,
    };
    if n_levels < 4 || positive_levels < 3 || n <= n_free {
        return empty_fit(FitStatus::InsufficientData, None);
    }
    if engine == Engine::Asymmetric && positive_levels < asymmetric::MIN_CONCENTRATIONS {
        return empty_fit(
            FitStatus::InsufficientData,
            Some(format!(
                "A 5PL fit needs at least {} distinct concentrations; this curve has {positive_levels}. Fit the 4PL instead.",
                asymmetric::MIN_CONCENTRATIONS
            )),
        );
    }
    let solved = match engine {
        Engine::Logistic { fix_hill } => {
            solve_logistic(data, options, given, fix_hill, weighting, n, n_free, fixed)
        }
        Engine::Asymmetric => solve_asymmetric(data, options, weighting, n, n_free, fixed),
    };
    let solved = match solved {
        Ok(solved) => solved,
        Err((status, reason)) => return empty_fit(status, reason),
    };
    let Solved {
        params: canonical,
        asymmetry,
        rss,
        covariance,
        se,
        evaluations,
        robust,
        weights,
        profile: profile_input,
    } = solved;
    let df = n - n_free;
    let curve_at = |x: f64| match &asymmetry {
        Some(a) => {
            model::asymmetric_response_and_gradient(
                [
                    canonical.bottom,
                    canonical.top,
                    canonical.log10_ic50,
                    canonical.hill_slope,
                    a.s,
                ],
                x,
            )
            .0
        }
        None => canonical.response(x),
    };
    let mean_y = dose_response
        .fitted_points()
        .map(|p| p.response)
        .sum::<f64>()
        / n as f64;
    let tss: f64 = dose_response
        .fitted_points()
        .map(|p| (p.response - mean_y) * (p.response - mean_y))
        .sum();
    // With relative weighting a horizontal line fitted the same way (weights 1/c², held
    // constant) settles at the mean, with weighted SS Σ(y − ȳ)²/ȳ²: R² and the no-effect
    // test compare the weighted SS of the curve with that.
    let weighted = weights.is_some();
    let r_squared = if weighted {
        (tss > 0.0 && mean_y.abs() > 0.0).then(|| 1.0 - rss / (tss / (mean_y * mean_y)))
    } else {
        (tss > 0.0).then(|| 1.0 - rss / tss)
    };
    let level_fitted: Vec<f64> = data.log_x.iter().map(|x| curve_at(*x)).collect();
    let residuals: Vec<f64> = dose_response
        .fitted_points()
        .zip(level_of)
        .map(|(p, level)| p.response - level_fitted.get(*level).copied().unwrap_or(f64::NAN))
        .collect();
    // The no-effect test under the fit's own constraints: with Top fixed the null model is
    // the horizontal line at that Top (no free parameter), otherwise a free horizontal line.
    let (null_level, rss_null, null_params) = match options.fix_top {
        Some(top) => {
            let rss0: f64 = dose_response
                .fitted_points()
                .map(|p| (p.response - top) * (p.response - top))
                .sum();
            (top, rss0, 0usize)
        }
        None => (mean_y, tss, 1usize),
    };
    let scale_of_data = dose_response
        .fitted_points()
        .map(|p| p.response.abs())
        .fold(null_level.abs(), f64::max)
        .max(f64::MIN_POSITIVE);
    let null_exact = rss_null <= 1e-24 * scale_of_data * scale_of_data * n as f64;
    let (rss_plain, rss_null_tested) = if weighted {
        (
            residuals.iter().map(|r| r * r).sum::<f64>(),
            rss_null / (null_level * null_level),
        )
    } else {
        (rss, rss_null)
    };
    let p_no_effect = if null_exact {
        Some(1.0)
    } else if rss_plain <= 1e-24 * scale_of_data * scale_of_data * n as f64 {
        Some(0.0)
    } else if n_free > null_params && df > 0 && rss_null_tested.is_finite() {
        let extra = (n_free - null_params) as f64;
        let f_test = |rss_null: f64, rss_curve: f64| {
            let f = ((rss_null - rss_curve).max(0.0) / extra) / (rss_curve / df as f64);
            f_upper_tail(f, extra, df as f64)
        };
        let p_weighted = f_test(rss_null_tested, rss);
        // A relatively weighted fit: where the weighted test finds no trend, the same curve
        // on the response scale (its plain residuals against the null line's) is tested
        // too. Weights 1/Y² blow up the scatter of responses near zero, and a curve from
        // 100 % to 0 % with a few points at or below zero then "fits no better than a
        // line" (p = 1) beside points that plainly fall; the plain SS of the weighted curve
        // is no smaller than the unweighted optimum's, so this test is conservative.
        match p_weighted {
            Some(p) if weighted && p >= 0.05 => {
                Some(f_test(rss_null, rss_plain).map_or(p, |q| p.min(q)))
            }
            other => other,
        }
    } else {
        None
    };
    let t = t95(df as f64);
    let se_log = se[LOG_IC50];
    let log_ic50 = canonical.log10_ic50;
    let ic50 = 10f64.powf(log_ic50);
    // A limit beyond floating point (an SE of hundreds of decades on an ambiguous fit) would
    // print as 0 or ∞: that interval is not computable as numbers.
    let ic50_ci95_wald_log = se_log
        .zip(t)
        .map(|(se, t)| [10f64.powf(log_ic50 - t * se), 10f64.powf(log_ic50 + t * se)])
        .and_then(computable_interval);
    let ic50_ci95_delta = se_log.zip(t).map(|(se, t)| {
        let se_linear = std::f64::consts::LN_10 * ic50 * se;
        [ic50 - t * se_linear, ic50 + t * se_linear]
    });
    // The verdict reads the fit and the data.
    let verdict = {
        let treated: Vec<(f64, f64, usize)> = data
            .log_x
            .iter()
            .zip(&data.y)
            .zip(&data.count)
            .filter(|((x, _), _)| x.is_finite())
            .map(|((x, y), n)| (10f64.powf(*x), *y, *n))
            .collect();
        let vehicle = data
            .log_x
            .iter()
            .zip(&data.y)
            .zip(&data.count)
            .find(|((x, _), _)| x.is_infinite())
            .map(|((_, y), n)| verdict::LevelMean {
                concentration: 0.0,
                mean: *y,
                count: *n,
            });
        let level = |(concentration, mean, count): (f64, f64, usize)| verdict::LevelMean {
            concentration,
            mean,
            count,
        };
        let treated_range = treated
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, y, _)| {
                (lo.min(*y), hi.max(*y))
            });
        let (treated_sum, treated_count) = data
            .log_x
            .iter()
            .zip(&data.y)
            .zip(&data.count)
            .filter(|((x, _), _)| x.is_finite())
            .fold((0.0, 0usize), |(sum, count), ((_, y), n)| {
                (sum + y * *n as f64, count + n)
            });
        let inputs = verdict::VerdictInputs {
            treated_mean: treated_sum / treated_count.max(1) as f64,
            scale: options.scale,
            params: canonical,
            asymmetry: asymmetry.as_ref().map(|a| a.s),
            bottom_fixed: fixed[0],
            top_fixed: fixed[1],
            lowest: level(treated.first().copied().unwrap_or((f64::NAN, f64::NAN, 0))),
            highest: level(treated.last().copied().unwrap_or((f64::NAN, f64::NAN, 0))),
            treated: treated.iter().copied().map(level).collect(),
            vehicle,
            treated_range,
            p_effect: p_no_effect,
            null_exact,
            null_level,
            relative_se: covariance
                .and(se_log)
                .map(|se| se * std::f64::consts::LN_10),
            covariance: covariance.filter(|_| asymmetry.is_none()),
            point_sd: data
                .replicate_sd()
                .or_else(|| (df > 0).then(|| (rss_plain / df as f64).sqrt())),
        };
        verdict::decide(&inputs)
    };
    let status = verdict.status;
    let flags = verdict.flags.clone();
    // The profile-likelihood CI belongs to a relative IC50 that is reported as a number;
    // for a censored or undetermined IC50 it is not shown, so it is not searched for (that
    // search would chase the IC50 along a valley that has no end). It is computed for the
    // unweighted 4PL, 3PL and 5PL (not for a weighted or a robust fit).
    let ic50_ci95_profile = match (&profile_input, t) {
        (Some(input), Some(t)) if options.profile_ci && verdict.relative.value().is_some() => {
            let optimum = |free| profile::Optimum {
                free,
                rss_min: rss,
                df,
                t,
                tested_range,
                wald_half_width: se_log.map(|se| t * se),
            };
            match input {
                ProfileInput::Logistic(set, free) => {
                    profile::log_ic50_interval(set, &optimum(free))
                }
                ProfileInput::FivePl(set, free) => {
                    profile::five_pl_log_ic50_interval(set, &optimum(free))
                }
            }
            .map(|[lo, hi]| [lo.map(|v| 10f64.powf(v)), hi.map(|v| 10f64.powf(v))])
        }
        _ => None,
    };
    let mut fit = Fit {
        label: label.to_string(),
        status,
        flags,
        params: canonical,
        fixed,
        se,
        covariance,
        n,
        df,
        rss,
        sy_x: (df > 0).then(|| (rss / df as f64).sqrt()),
        r_squared,
        residuals,
        tested_range,
        p_no_effect,
        ic50_ci95_wald_log,
        ic50_ci95_delta,
        ic50_ci95_profile,
        evaluations,
        scale: options.scale,
        verdict,
        method: if robust {
            FitMethod::Robust
        } else {
            FitMethod::LeastSquares
        },
        outliers: None,
        model: if asymmetry.is_some() {
            Model::FivePl
        } else {
            Model::FourPl
        },
        model_comparison: None,
        model_comparisons: Vec::new(),
        model_note: None,
        diagnostics: None,
        asymmetry,
        weighting: if weighted {
            Weighting::Relative
        } else {
            Weighting::None
        },
    };
    fit.diagnostics = Some(diagnostics::diagnose(&fit, dose_response));
    fit
}

/// Indices re-exported for code that reads covariance matrices.
pub use model::index;

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic(params: Params4pl, concentrations: &[f64], reps: usize) -> DoseResponse {
        let mut pairs = Vec::new();
        for (i, c) in concentrations.iter().enumerate() {
            for r in 0..reps {
                // Deterministic small "noise" so df > 0 and RSS > 0.
                let noise = ((i * 7 + r * 3) % 5) as f64 * 0.4 - 0.8;
                pairs.push((*c, params.response_at_concentration(*c) + noise));
            }
        }
        DoseResponse::from_pairs("test", &pairs)
    }

    #[test]
    fn recovers_a_typical_curve() {
        let truth = Params4pl {
            bottom: 2.0,
            top: 100.0,
            log10_ic50: 0.3,
            hill_slope: -1.3,
        };
        let concentrations: Vec<f64> = (0..10).map(|k| 50.0 / 3f64.powi(k)).collect();
        let fit = fit_4pl(
            &synthetic(truth, &concentrations, 3),
            &FitOptions::default(),
        )
        .unwrap();
        assert_eq!(fit.status, FitStatus::Converged, "{fit:?}");
        assert!((fit.params.log10_ic50 - 0.3).abs() < 0.02, "{fit:?}");
        assert!((fit.params.hill_slope + 1.3).abs() < 0.1);
        let [lo, hi] = fit.ic50_ci95_wald_log.unwrap();
        assert!(lo < fit.relative_ic50() && fit.relative_ic50() < hi);
        let [plo, phi] = fit.ic50_ci95_profile.unwrap();
        assert!(plo.unwrap() < fit.relative_ic50() && phi.unwrap() > fit.relative_ic50());
        let absolute = fit.absolute_ic50().unwrap();
        assert!(absolute > 0.0);
        let ic90 = fit.ic_f(90.0).unwrap();
        assert!(ic90.value > fit.relative_ic50());
    }

    /// At each profile-likelihood limit, the RSS minimized with LogIC50 held there equals
    /// `RSS_min·(1 + t²/df)`, and the interval lies near the Wald interval for a
    /// well-determined curve.
    #[test]
    fn profile_limits_sit_on_the_threshold() {
        let truth = Params4pl {
            bottom: 3.0,
            top: 98.0,
            log10_ic50: -0.4,
            hill_slope: -1.1,
        };
        let concentrations: Vec<f64> = (0..10).map(|k| 50.0 / 3f64.powi(k)).collect();
        let dose_response = synthetic(truth, &concentrations, 3);
        let options = FitOptions::default();
        let fit = fit_4pl(&dose_response, &options).unwrap();
        let [Some(lo), Some(hi)] = fit.ic50_ci95_profile.unwrap() else {
            panic!("open profile interval: {fit:?}");
        };
        let t = t95(fit.df as f64).unwrap();
        let threshold = fit.rss * (1.0 + t * t / fit.df as f64);
        let data = CurveData::from_dose_response(&dose_response, &options);
        for limit in [lo, hi] {
            let log_limit = limit.log10();
            let set = CurveSet {
                curves: vec![(
                    data.clone(),
                    [
                        ParamRef::Free(0),
                        ParamRef::Free(1),
                        ParamRef::Fixed(log_limit),
                        ParamRef::Free(2),
                    ],
                )],
                n_free: 3,
            };
            let start = [fit.params.bottom, fit.params.top, fit.params.hill_slope];
            let minimum = lm::minimize(&set, &start, lm::SolverSettings::default());
            assert!(
                // Solved to z = √(RSS − RSS_min) within 1e-5: RSS within 2e-5.
                (minimum.rss / threshold - 1.0).abs() < 2e-5,
                "RSS {} at limit {limit} vs threshold {threshold}",
                minimum.rss
            );
        }
        let [wlo, whi] = fit.ic50_ci95_wald_log.unwrap();
        assert!((lo / wlo).log10().abs() < 0.05 && (hi / whi).log10().abs() < 0.05);
    }

    #[test]
    fn flat_data_is_no_effect() {
        let pairs: Vec<(f64, f64)> = (0..10)
            .flat_map(|k| {
                let c = 50.0 / 3f64.powi(k);
                (0..3).map(move |r| (c, 100.0 + ((k * 3 + r) % 4) as f64 - 1.5))
            })
            .collect();
        let fit = fit_4pl(
            &DoseResponse::from_pairs("flat", &pairs),
            &FitOptions::default(),
        )
        .unwrap();
        assert_ne!(fit.status, FitStatus::Converged, "{fit:?}");
        assert_eq!(fit.reported_ic50(), None);
    }

    #[test]
    fn too_few_concentrations() {
        let pairs = [(1.0, 90.0), (2.0, 60.0), (3.0, 20.0), (1.0, 91.0)];
        let fit = fit_4pl(
            &DoseResponse::from_pairs("few", &pairs),
            &FitOptions::default(),
        )
        .unwrap();
        assert_eq!(fit.status, FitStatus::InsufficientData);
    }

    #[test]
    fn bad_points_are_errors() {
        let pairs = [
            (-1.0, 90.0),
            (2.0, 60.0),
            (3.0, 20.0),
            (4.0, 10.0),
            (5.0, 5.0),
        ];
        assert!(
            fit_4pl(
                &DoseResponse::from_pairs("bad", &pairs),
                &FitOptions::default()
            )
            .is_err()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 48,
        // A fixed seed: the same cases in every run, CI included; PROPTEST_RNG_SEED=n
        // explores others locally.
        rng_seed: match proptest::prelude::ProptestConfig::default().rng_seed {
            proptest::test_runner::RngSeed::Random => proptest::test_runner::RngSeed::Fixed(3),
            chosen => chosen,
        },
        ..proptest::prelude::ProptestConfig::default()
    })]
        #[test]
        fn noise_free_curves_recover_their_parameters(
            bottom in -5.0f64..30.0, top in 80.0f64..120.0, log_ic50 in -2.0f64..1.0, hill in -3.0f64..-0.6,
        ) {
            let truth = Params4pl { bottom, top, log10_ic50: log_ic50, hill_slope: hill };
            let pairs: Vec<(f64, f64)> = (0..12)
                .map(|k| 100.0 / 2.5f64.powi(k))
                .map(|c| (c, truth.response_at_concentration(c)))
                .collect();
            let options = FitOptions { profile_ci: false, ..FitOptions::default() };
            let fit = fit_4pl(&DoseResponse::from_pairs("exact", &pairs), &options).unwrap();
            proptest::prop_assert!((fit.params.log10_ic50 - log_ic50).abs() < 1e-6, "{:?}", fit);
            proptest::prop_assert!((fit.params.hill_slope - hill).abs() < 1e-5, "{:?}", fit);
            proptest::prop_assert!((fit.params.top - top).abs() < 1e-5);
            proptest::prop_assert!((fit.params.bottom - bottom).abs() < 1e-5);
        }
    }
}
