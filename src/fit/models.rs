//! The dose-response models besides the 4PL, and the comparison of two fits of the same
//! points (issue 13).
//!
//! - **4PL** (default): Top, Bottom, LogIC50 and HillSlope fitted.
//! - **3PL**: HillSlope fixed at −1, Prism's "log(inhibitor) vs. response" with a standard
//!   slope.
//! - **Normalized 4PL**: Top fixed at 100 and Bottom at 0 (1 and 0 on a fraction scale),
//!   Prism's "log(inhibitor) vs. normalized response — variable slope".
//! - **5PL** (asymmetric, Richards): Prism's "asymmetric sigmoidal, 5PL, X is
//!   log(concentration)", `Y = Bottom + (Top − Bottom)/(1 + 10^((LogXb − X)·HillSlope))^S`
//!   with `LogXb = LogIC50 + (1/HillSlope)·log10(2^(1/S) − 1)`: LogIC50 stays the midpoint
//!   between the plateaus, S = 1 is the 4PL (so the 4PL and the 3PL are nested in it).
//!
//! **Comparison** of a simpler model (fewer parameters, here always nested in the other)
//! with a more complex one, fitted to the same N points:
//! - the extra-sum-of-squares F test, `F = ((RSS₁ − RSS₂)/(df₁ − df₂)) / (RSS₂/df₂)` with p
//!   from F(df₁ − df₂, df₂); the simpler model is the null hypothesis;
//! - Akaike's criterion with the small-sample correction,
//!   `AICc = N·ln(RSS/N) + 2K + 2K(K + 1)/(N − K − 1)` where K counts the fitted parameters
//!   plus one (the residual variance), as in Motulsky & Christopoulos and GraphPad Prism;
//!   with `Δ = AICc(simpler) − AICc(complex)` the probability that the complex model is the
//!   correct one is `e^(Δ/2)/(1 + e^(Δ/2))`.
//!
//! "Choose automatically" fits the 4PL and the 3PL and keeps the one AICc prefers, after
//! Prism's reality check: when one fit is not usable (not converged, ambiguous, too few
//! points) the other is chosen without a test. The choice and its reason are reported.
//! "Choose automatically, 5PL included" then compares the winner with the 5PL the same way
//! (both nest in the 5PL), so the model kept has the lowest AICc of the three; both
//! comparisons are reported.

use serde::{Deserialize, Serialize};

use super::{Fit, FitOptions, FitStatus};
use crate::stats::f_upper_tail;

/// A dose-response model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// Four-parameter logistic, all parameters fitted (unless fixed by the user).
    #[default]
    #[serde(rename = "4pl")]
    FourPl,
    /// Three-parameter logistic: HillSlope fixed at −1.
    #[serde(rename = "3pl")]
    ThreePl,
    /// 4PL on normalized response: Top fixed at 100 (1 on a fraction scale), Bottom at 0.
    #[serde(rename = "4pl_normalized")]
    FourPlNormalized,
    /// Asymmetric five-parameter logistic (Richards): the 4PL and an asymmetry S.
    #[serde(rename = "5pl")]
    FivePl,
}

impl Model {
    /// The word used in JSON and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FourPl => "4pl",
            Self::ThreePl => "3pl",
            Self::FourPlNormalized => "4pl_normalized",
            Self::FivePl => "5pl",
        }
    }

    /// A short name for people.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::FourPl => "4PL",
            Self::ThreePl => "3PL (Hill slope −1)",
            Self::FourPlNormalized => "normalized 4PL (Top 100, Bottom 0)",
            Self::FivePl => "5PL (asymmetric)",
        }
    }

    /// The fit options of this model: the normalized 4PL fixes Top at the control level
    /// (100 %, or 1 on a fraction scale; 100 on a raw scale, where normalizing makes no
    /// sense) and Bottom at 0; the others keep the user's options.
    #[must_use]
    pub fn options(self, options: &FitOptions) -> FitOptions {
        match self {
            Self::FourPlNormalized => FitOptions {
                fix_top: Some(options.scale.control().unwrap_or(100.0)),
                fix_bottom: Some(0.0),
                ..*options
            },
            Self::FourPl | Self::ThreePl | Self::FivePl => *options,
        }
    }

    /// The fixed Hill slope of the model, if any.
    #[must_use]
    pub fn fixed_hill(self) -> Option<f64> {
        match self {
            Self::ThreePl => Some(-1.0),
            Self::FourPl | Self::FourPlNormalized | Self::FivePl => None,
        }
    }
}

/// Which model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelChoice {
    /// One model (the 4PL by default).
    Fixed(Model),
    /// "Choose automatically": fit the 4PL and the 3PL, keep the one AICc prefers, and
    /// say which and why.
    Auto,
    /// "Choose automatically, 5PL included": as `Auto`, then the winner against the 5PL;
    /// the model with the lowest AICc of the three is kept.
    #[serde(rename = "auto_5pl")]
    AutoWithFivePl,
}

impl Default for ModelChoice {
    fn default() -> Self {
        Self::Fixed(Model::FourPl)
    }
}

impl ModelChoice {
    /// Parses `4pl`, `3pl`, `4pl-normalized` (or `normalized`), `5pl`, `auto`, `auto-5pl`.
    ///
    /// # Errors
    /// A message for any other word.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "4pl" | "4" => Ok(Self::Fixed(Model::FourPl)),
            "3pl" | "3" => Ok(Self::Fixed(Model::ThreePl)),
            "4pl-normalized" | "normalized" | "4pl-norm" => {
                Ok(Self::Fixed(Model::FourPlNormalized))
            }
            "5pl" | "5" | "asymmetric" => Ok(Self::Fixed(Model::FivePl)),
            "auto" | "automatic" => Ok(Self::Auto),
            "auto-5pl" | "auto5" | "auto-5" => Ok(Self::AutoWithFivePl),
            other => Err(format!(
                "unknown model {other:?}: use 4pl, 3pl, 4pl-normalized, 5pl, auto (3PL or 4PL) or auto-5pl (3PL, 4PL or 5PL)"
            )),
        }
    }

    /// The model fitted first (the only one unless the choice is automatic).
    #[must_use]
    pub fn primary(self) -> Model {
        match self {
            Self::Fixed(model) => model,
            Self::Auto | Self::AutoWithFivePl => Model::FourPl,
        }
    }
}

/// The comparison of two fits of the same points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelComparison {
    /// The model with fewer parameters (the null hypothesis of the F test).
    pub simpler: Model,
    /// The model with more parameters.
    pub complex: Model,
    /// Number of points.
    pub n: usize,
    /// RSS of the simpler and the complex fit.
    pub rss: [f64; 2],
    /// Residual degrees of freedom of the simpler and the complex fit.
    pub df: [usize; 2],
    /// Extra-sum-of-squares F.
    pub f: Option<f64>,
    /// `[df₁ − df₂, df₂]`.
    pub f_df: Option<[usize; 2]>,
    /// p-value of the F test (small: the complex model fits significantly better).
    pub p_value: Option<f64>,
    /// AICc of the simpler and the complex fit.
    pub aicc: [Option<f64>; 2],
    /// `AICc(simpler) − AICc(complex)` (positive: the complex model is preferred), as
    /// Prism reports it.
    pub delta_aicc: Option<f64>,
    /// Probability that the complex model is correct (AICc); the simpler one's is 1 − this.
    pub probability_complex: Option<f64>,
    /// The model kept, when the comparison decided (automatic choice).
    pub chosen: Option<Model>,
    /// Why, in one sentence.
    pub reason: String,
}

/// `AICc = N·ln(RSS/N) + 2K + 2K(K + 1)/(N − K − 1)` with K = fitted parameters + 1;
/// `None` when `N ≤ K + 1` or RSS is not positive.
#[must_use]
pub fn aicc(n: usize, rss: f64, fitted_params: usize) -> Option<f64> {
    let k = fitted_params + 1;
    if n <= k + 1 || !(rss.is_finite() && rss > 0.0) {
        return None;
    }
    let (n, k) = (n as f64, k as f64);
    Some(n * (rss / n).ln() + 2.0 * k + 2.0 * k * (k + 1.0) / (n - k - 1.0))
}

/// Whether a fit can take part in a comparison (Prism's reality check).
fn usable(fit: &Fit) -> bool {
    !matches!(
        fit.status,
        FitStatus::NotConverged | FitStatus::InsufficientData | FitStatus::Ambiguous
    ) && fit.rss.is_finite()
}

/// Compares two fits of the same points, `simpler` nested in `complex`.
#[must_use]
pub fn compare_models(simpler: (Model, &Fit), complex: (Model, &Fit)) -> ModelComparison {
    let (simple_model, simple_fit) = simpler;
    let (complex_model, complex_fit) = complex;
    let n = complex_fit.n;
    let params = |fit: &Fit| fit.n.saturating_sub(fit.df);
    let aicc_of = |fit: &Fit| aicc(fit.n, fit.rss, params(fit));
    let aicc_pair = [aicc_of(simple_fit), aicc_of(complex_fit)];
    let delta = aicc_pair[0].zip(aicc_pair[1]).map(|(a, b)| a - b);
    // e^(Δ/2)/(1 + e^(Δ/2)) computed as a logistic without overflow.
    let probability_complex = delta.map(|d| 1.0 / (1.0 + (-0.5 * d).exp()));
    let (f, f_df, p_value) = if simple_fit.df > complex_fit.df
        && complex_fit.df > 0
        && simple_fit.rss.is_finite()
        && complex_fit.rss > 0.0
    {
        let extra = simple_fit.df - complex_fit.df;
        let f = ((simple_fit.rss - complex_fit.rss) / extra as f64)
            / (complex_fit.rss / complex_fit.df as f64);
        let p = f_upper_tail(f.max(0.0), extra as f64, complex_fit.df as f64);
        (Some(f), Some([extra, complex_fit.df]), p)
    } else {
        (None, None, None)
    };
    ModelComparison {
        simpler: simple_model,
        complex: complex_model,
        n,
        rss: [simple_fit.rss, complex_fit.rss],
        df: [simple_fit.df, complex_fit.df],
        f,
        f_df,
        p_value,
        aicc: aicc_pair,
        delta_aicc: delta,
        probability_complex,
        chosen: None,
        reason: String::new(),
    }
}

/// The automatic choice between two nested fits: Prism's reality check first, then AICc.
/// Returns the comparison with `chosen` and `reason` filled in.
#[must_use]
pub fn choose(simpler: (Model, &Fit), complex: (Model, &Fit)) -> ModelComparison {
    let mut comparison = compare_models(simpler, complex);
    let (simple_model, simple_fit) = simpler;
    let (complex_model, complex_fit) = complex;
    // Probabilities as people read them: 74.3, > 99.99, < 0.01 (in %).
    let percent = |p: f64| {
        if p > 0.9999 {
            "> 99.99".to_string()
        } else if p < 0.0001 {
            "< 0.01".to_string()
        } else {
            crate::report::format_significant(100.0 * p, 3)
        }
    };
    let f_words = match (comparison.f, comparison.f_df, comparison.p_value) {
        (Some(f), Some([a, b]), Some(p)) => format!(
            "; extra-sum-of-squares F({a}, {b}) = {f:.2}, p {}",
            crate::report::table::format_p(p)
        ),
        _ => String::new(),
    };
    let (chosen, reason) = match (usable(simple_fit), usable(complex_fit)) {
        (true, false) => (
            simple_model,
            format!(
                "the {} was chosen because the {} fit is {} (no test needed)",
                simple_model.name(),
                complex_model.name(),
                complex_fit.status.words()
            ),
        ),
        (false, true) => (
            complex_model,
            format!(
                "the {} was chosen because the {} fit is {} (no test needed)",
                complex_model.name(),
                simple_model.name(),
                simple_fit.status.words()
            ),
        ),
        _ => match comparison.probability_complex {
            Some(p) if p > 0.5 => (
                complex_model,
                format!(
                    "the {} was preferred over the {} by AICc (probability {} % vs {} %){f_words}",
                    complex_model.name(),
                    simple_model.name(),
                    percent(p),
                    percent(1.0 - p)
                ),
            ),
            Some(p) => (
                simple_model,
                format!(
                    "the {} was preferred over the {} by AICc (probability {} % vs {} %){f_words}",
                    simple_model.name(),
                    complex_model.name(),
                    percent(1.0 - p),
                    percent(p)
                ),
            ),
            None => (
                complex_model,
                format!(
                    "AICc could not be computed (too few points); the {} was kept",
                    complex_model.name()
                ),
            ),
        },
    };
    comparison.chosen = Some(chosen);
    comparison.reason = reason;
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand computation: N = 30, RSS 120 with 4 parameters (K = 5) and 150 with 3 (K = 4).
    #[test]
    fn aicc_by_hand() {
        let a4 = aicc(30, 120.0, 4).unwrap();
        let expected4 = 30.0 * (4.0f64).ln() + 10.0 + 2.0 * 5.0 * 6.0 / 24.0;
        assert!((a4 - expected4).abs() < 1e-12, "{a4} vs {expected4}");
        let a3 = aicc(30, 150.0, 3).unwrap();
        let expected3 = 30.0 * (5.0f64).ln() + 8.0 + 2.0 * 4.0 * 5.0 / 25.0;
        assert!((a3 - expected3).abs() < 1e-12);
        assert_eq!(aicc(6, 1.0, 4), None);
        assert_eq!(aicc(30, 0.0, 4), None);
    }

    #[test]
    fn parses_models() {
        assert_eq!(
            ModelChoice::parse("3pl"),
            Ok(ModelChoice::Fixed(Model::ThreePl))
        );
        assert_eq!(ModelChoice::parse("4PL"), Ok(ModelChoice::default()));
        assert_eq!(
            ModelChoice::parse("4pl_normalized"),
            Ok(ModelChoice::Fixed(Model::FourPlNormalized))
        );
        assert_eq!(ModelChoice::parse("auto"), Ok(ModelChoice::Auto));
        assert_eq!(
            ModelChoice::parse("5PL"),
            Ok(ModelChoice::Fixed(Model::FivePl))
        );
        assert_eq!(
            ModelChoice::parse("auto-5pl"),
            Ok(ModelChoice::AutoWithFivePl)
        );
        assert!(ModelChoice::parse("6pl").is_err());
        assert_eq!(
            serde_json::to_string(&ModelChoice::AutoWithFivePl).unwrap(),
            "\"auto_5pl\""
        );
        assert_eq!(
            serde_json::to_string(&ModelChoice::Fixed(Model::FivePl)).unwrap(),
            "{\"fixed\":\"5pl\"}"
        );
    }
}
