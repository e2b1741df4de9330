//! The verdict beside a fitted curve: one decision table whose inputs are the fit *and* the
//! data, so that the words next to a number never contradict the points on the screen.
//!
//! The table is written out in `docs/verdicts.md`; each rule there names the case it serves.
//! In short, in the order the rules are tried:
//!
//! 1. `insufficient_data`, `not_converged` — no curve to judge.
//! 2. `no_effect` — the null model (a horizontal line under the fit's own constraints: the
//!    line at a fixed Top, otherwise a free line) fits the data exactly, or the curve is not
//!    significantly better than it (extra-sum-of-squares F test, p ≥ 0.05). On a known scale
//!    (% of vehicle, fraction of control) a flat response below half at every dose is not "no
//!    effect" but a maximal one: `ic50_below_range`.
//! 3. `increasing` — the fitted curve rises with dose: no inhibition, no IC50.
//! 4. A falling curve on a known scale is placed by the *data* against the half level (50 %
//!    or 0.5): below half already at the lowest dose → `ic50_below_range`; still above half
//!    at the highest dose → `ic50_above_range` (or `partial` when the curve levels off above
//!    half); otherwise 50 % is crossed inside the tested range and the absolute IC50 is a
//!    number. The relative IC50 (the fitted midpoint) is then a number only when it lies in
//!    the tested range and both plateaus are supported by the data (`no_lower_plateau`,
//!    `no_upper_plateau` otherwise).
//! 5. On an unknown scale (raw signal) the relative IC50 is placed against the tested range,
//!    with the same check that the data at the end of the range agree.
//! 6. `ambiguous` — a determined-looking IC50 whose standard error is too large (relative SE
//!    ≥ 50 %) or whose covariance is singular.

use serde::{Deserialize, Serialize};

use super::FitStatus;
use super::model::Params4pl;
use crate::report::format_number as num;

/// What the responses are measured in, which decides the level that "50 %" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseScale {
    /// % of the vehicle control (100 = untreated).
    #[default]
    Percent,
    /// Fraction of the control (1 = untreated; drc's convention).
    Fraction,
    /// A raw signal (OD, RFU): no absolute IC50, verdicts from the relative IC50.
    Raw,
}

impl ResponseScale {
    /// The untreated level: 100 or 1; `None` for a raw signal.
    #[must_use]
    pub fn control(self) -> Option<f64> {
        match self {
            Self::Percent => Some(100.0),
            Self::Fraction => Some(1.0),
            Self::Raw => None,
        }
    }

    /// The level of the absolute IC50: 50 or 0.5.
    #[must_use]
    pub fn half(self) -> Option<f64> {
        self.control().map(|c| 0.5 * c)
    }

    /// The word used in JSON and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Percent => "percent",
            Self::Fraction => "fraction",
            Self::Raw => "raw",
        }
    }

    /// Renders a response on this scale for a sentence (`62 %`, `0.62`, `1.25`).
    #[must_use]
    pub fn show(self, value: f64) -> String {
        match self {
            Self::Percent => format!("{} %", round_for_text(value)),
            Self::Fraction | Self::Raw => num(value),
        }
    }

    /// Guesses the scale of points given without one: a fixed Top near 1 or 100, else the
    /// mean of the vehicle (dose-zero) points, else the level means of the treated points.
    /// With a control (fixed Top or vehicle) the data are a fraction or % of it only when
    /// the control lies within [`CONTROL_BAND`] of 1 or 100 — the band in which the verdict
    /// accepts a Top as the vehicle level, so no verdict says "the vehicle is 100 %" beside
    /// vehicle points at 135 or 1.35 (raw absorbance, counts). Without a control a highest
    /// level mean between 0.5 and 1.6 reads as a fraction and between 4 and 250 as %: where
    /// every dose inhibits the highest level is far below 100 % (18–35 % is cells dead at
    /// every dose, not a raw signal); raw absorbance stays below 4, luminescence and
    /// fluorescence counts are in the hundreds or more. One exception: a response that
    /// falls to less than half of its highest level while that level is below 40 is a
    /// complete curve of a raw signal (root length 8 → 0.5, a count of 30 → 2), not cells
    /// dead at every dose that die further: read as %, its lowest dose would already be
    /// "below half" and a curve the points show whole would be called "IC50 below range".
    #[must_use]
    pub fn guess(
        fix_top: Option<f64>,
        vehicle_mean: Option<f64>,
        highest_level: f64,
        lowest_level: f64,
    ) -> Self {
        let (low, high) = CONTROL_BAND;
        let falls_by_half = lowest_level < 0.5 * highest_level;
        match fix_top.or(vehicle_mean) {
            Some(c) if (low..=high).contains(&c) => Self::Fraction,
            Some(c) if (100.0 * low..=100.0 * high).contains(&c) => Self::Percent,
            Some(_) => Self::Raw,
            None if (0.5..=1.6).contains(&highest_level) => Self::Fraction,
            None if highest_level < 40.0 && falls_by_half => Self::Raw,
            None if (4.0..=250.0).contains(&highest_level) => Self::Percent,
            None => Self::Raw,
        }
    }
}

/// The range, as a multiple of the control (1 or 100), within which a fitted Top or a
/// vehicle mean is the untreated level: outside it a free Top is an extrapolated upper
/// plateau, and a vehicle mean says the data are not normalized to it.
pub const CONTROL_BAND: (f64, f64) = (0.8, 1.25);

fn round_for_text(value: f64) -> String {
    // An extrapolated plateau of −9523450067 % reads as a slip: beyond 100,000 % (only a
    // parameter running off can be) in powers of ten.
    if value.abs() >= 1e5 {
        format!("{value:.1e}")
    } else if value.abs() >= 10.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Where an IC50 stands relative to the tested concentrations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Estimate {
    /// A number inside the tested range.
    Value(f64),
    /// Below the lowest tested concentration (`< value`).
    Below(f64),
    /// Above the highest tested concentration (`> value`).
    Above(f64),
    /// Not determined by the data (no bound either).
    Undetermined,
}

impl Estimate {
    /// The number, when there is one.
    #[must_use]
    pub fn value(self) -> Option<f64> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }

    /// `> 50`, `< 0.002` or `None`.
    #[must_use]
    pub fn bound_text(self) -> Option<String> {
        match self {
            Self::Below(v) => Some(format!("< {}", num(v))),
            Self::Above(v) => Some(format!("> {}", num(v))),
            _ => None,
        }
    }
}

/// A one-click change of the fit that answers a flag.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "value")]
pub enum Remedy {
    /// Fix Bottom at this value (0 % for viability).
    FixBottom(f64),
    /// Fix Top at this value (100 % for viability).
    FixTop(f64),
}

impl Remedy {
    /// The button text.
    #[must_use]
    pub fn label(self) -> String {
        match self {
            Self::FixBottom(v) => format!("Fix Bottom at {}", num(v)),
            Self::FixTop(v) => format!("Fix Top at {}", num(v)),
        }
    }
}

/// The verdict on one fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The headline class.
    pub status: FitStatus,
    /// Every class that applies, headline first.
    pub flags: Vec<FitStatus>,
    /// The relative IC50 (midpoint between the fitted plateaus).
    pub relative: Estimate,
    /// The absolute IC50 (where the curve crosses 50 % / 0.5); `Undetermined` on a raw
    /// scale.
    pub absolute: Estimate,
    /// Plain-language reasons, the headline's first: what the data show and why the
    /// verdict follows.
    pub reasons: Vec<String>,
    /// The change of the fit that answers the headline flag, where one exists.
    pub remedy: Option<Remedy>,
}

/// The mean response at one concentration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelMean {
    /// Concentration (0 for the vehicle).
    pub concentration: f64,
    /// Mean response.
    pub mean: f64,
    /// Number of points averaged.
    pub count: usize,
}

/// Everything the decision table reads.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictInputs {
    /// The response scale.
    pub scale: ResponseScale,
    /// The fitted parameters (labels as fitted: with fixed plateaus not canonicalized).
    pub params: Params4pl,
    /// Whether Bottom / Top were fixed.
    pub bottom_fixed: bool,
    /// See `bottom_fixed`.
    pub top_fixed: bool,
    /// Mean at the lowest positive concentration.
    pub lowest: LevelMean,
    /// Mean at the highest concentration.
    pub highest: LevelMean,
    /// The mean at every positive concentration, ascending.
    pub treated: Vec<LevelMean>,
    /// Mean of the vehicle (dose-zero) points in the fit, if any.
    pub vehicle: Option<LevelMean>,
    /// The smallest and largest mean over the positive concentrations.
    pub treated_range: (f64, f64),
    /// The mean of all points at positive concentrations.
    pub treated_mean: f64,
    /// p-value of the curve against the null line under the fit's constraints; `None`
    /// when not computable.
    pub p_effect: Option<f64>,
    /// The null line fits the data exactly (constant data, or data equal to a fixed Top).
    pub null_exact: bool,
    /// The null line's level (the fixed Top, or the mean of all points).
    pub null_level: f64,
    /// Relative standard error of the IC50 (`ln 10 · SE(LogIC50)`), `None` if not computable.
    pub relative_se: Option<f64>,
    /// The 4PL parameters' covariance (indices as `fit::index`), for the absolute IC50's
    /// standard error; `None` when singular, not computed, or for the 5PL.
    pub covariance: Option<[[f64; 4]; 4]>,
    /// The scatter of single points on the response scale: the replicates' SD about their
    /// level means where there are replicates (it does not grow when the curve fails to
    /// follow the points), else `√(RSS/df)` of the unweighted residuals; `None` without
    /// either.
    pub point_sd: Option<f64>,
    /// The 5PL's asymmetry S (`None`: the 4PL).
    pub asymmetry: Option<f64>,
}

/// The fitted curve at `log10_x`: the 4PL, or the 5PL with asymmetry `s`.
fn curve_at(params: Params4pl, asymmetry: Option<f64>, log10_x: f64) -> f64 {
    match asymmetry {
        Some(s) => {
            super::model::asymmetric_response_and_gradient(
                [
                    params.bottom,
                    params.top,
                    params.log10_ic50,
                    params.hill_slope,
                    s,
                ],
                log10_x,
            )
            .0
        }
        None => params.response(log10_x),
    }
}

/// Fraction of the fitted span left above Bottom at `log10_x` (1 at the top, 0 at the
/// bottom) for a falling curve.
fn fraction_left(params: Params4pl, asymmetry: Option<f64>, log10_x: f64) -> f64 {
    let span = params.top - params.bottom;
    if span.abs() < f64::MIN_POSITIVE {
        return 1.0;
    }
    (curve_at(params, asymmetry, log10_x) - params.bottom) / span
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Below,
    Within,
    Above,
}

/// The decision table. Pure: the same inputs give the same verdict.
#[must_use]
pub fn decide(inputs: &VerdictInputs) -> Verdict {
    let p = inputs.params;
    let lo = inputs.lowest.concentration;
    let hi = inputs.highest.concentration;
    let scale = inputs.scale;
    let show = |v: f64| scale.show(v);
    // A value said to lie below (or above) `level`, with a decimal where the rounded text
    // would read as the level itself ("below 50 % … (50 % at 1.6)" for 49.6 %).
    let show_beside = |v: f64, level: f64| {
        let text = show(v);
        if scale == ResponseScale::Percent && text == show(level) {
            format!("{v:.1} %")
        } else {
            text
        }
    };
    let mut verdict = Verdict {
        status: FitStatus::Converged,
        flags: Vec::new(),
        relative: Estimate::Undetermined,
        absolute: Estimate::Undetermined,
        reasons: Vec::new(),
        remedy: None,
    };
    let half = scale.half();
    let below_half = |v: f64| half.is_some_and(|h| v < h);
    let above_half = |v: f64| half.is_some_and(|h| v >= h);
    let (treated_min, treated_max) = inputs.treated_range;
    // "> highest" claims the response stays above half of the untreated level up to the
    // highest dose: only when the data show it. On a raw signal half is that of the vehicle
    // (dose-zero) mean; without vehicle points a flat signal may be cells alive or dead at
    // every dose (OD 1.8 or the background's 0.05), and the data do not say which.
    let half_or_vehicle = half.or_else(|| inputs.vehicle.map(|v| 0.5 * v.mean));
    let stays_above_half =
        half_or_vehicle.is_some_and(|h| inputs.highest.mean >= h && treated_min >= h);
    // A level mean beyond `level` (above for `sign` 1, below for −1) by more than twice its
    // standard error (the points' scatter over √n): the points show the response there
    // beyond `level`, which noise around a curve levelling off just short of it would not.
    // The half level `h` in words: "50 %", or on a raw scale "half of the vehicle mean (…)".
    let half_words = |h: f64| match half {
        Some(h) => show(h),
        None => format!("half of the vehicle mean ({})", show(h)),
    };
    let clearly_beyond = |l: &LevelMean, level: f64, sign: f64| {
        let se = inputs.point_sd.unwrap_or(0.0) / (l.count.max(1) as f64).sqrt();
        sign * (l.mean - level) > 2.0 * se
    };
    let clearly_below = |level: f64| {
        inputs
            .treated
            .iter()
            .any(|l| clearly_beyond(l, level, -1.0))
    };
    // "< lowest" says the response fell below half before the lowest dose. A response that
    // then rises clearly above half and falls clearly below it again has fallen below half
    // twice (resazurin beside H2O2: 48 % at the lowest dose, 29 %, then 55–58 %, and 46–33 %
    // at the highest doses), and the data do not say which fall is the IC50: neither the
    // IC50 nor a bound is determined. A recovery at the end of the range alone (a drug that
    // precipitates) does not move where the response first fell, and neither does a hump
    // after a lowest dose below 40 %: a fall that far is the first fall, whatever follows.
    let falls_twice = |verdict: &mut Verdict| -> bool {
        let Some(h) = half_or_vehicle else {
            return false;
        };
        if inputs.lowest.mean >= h || inputs.lowest.mean < 0.8 * h {
            return false;
        }
        let Some(up) = inputs
            .treated
            .iter()
            .position(|l| clearly_beyond(l, h, 1.0))
        else {
            return false;
        };
        let Some(down) = inputs.treated[up..]
            .iter()
            .find(|l| clearly_beyond(l, h, -1.0))
        else {
            return false;
        };
        let above = inputs.treated[up];
        verdict.status = FitStatus::Ambiguous;
        verdict.relative = Estimate::Undetermined;
        verdict.absolute = Estimate::Undetermined;
        let half_text = half_words(h);
        verdict.reasons.push(format!(
            "The response falls below {half_text} twice: it is below it at the lowest dose ({} at {}), above it again at {} ({}) and below it at {} ({}). A sigmoid curve does not follow these points, and the data do not say which fall is the IC50: neither the IC50 nor a bound on it is determined.",
            show(inputs.lowest.mean),
            num(lo),
            num(above.concentration),
            show(above.mean),
            num(down.concentration),
            show(down.mean)
        ));
        verdict.flags.push(verdict.status);
        true
    };

    // Rule 2: no effect under the fit's own constraints.
    let not_significant = inputs.null_exact || inputs.p_effect.is_none_or(|p| p >= 0.05);
    if not_significant {
        let why = if inputs.null_exact {
            format!(
                "the data equal a horizontal line at {} exactly",
                show(inputs.null_level)
            )
        } else {
            format!(
                "a horizontal line at {} fits as well as the curve (F test, p = {})",
                show(inputs.null_level),
                inputs
                    .p_effect
                    .map_or_else(|| "not computable".to_string(), |p| format!("{p:.2}"))
            )
        };
        // The first dose whose mean is below half: "< that dose" is what the points show;
        // "< lowest" only when that is the lowest dose (a recovery at higher doses, as where
        // a drug precipitates, does not move where the response first fell).
        let below_from = half.and_then(|h| {
            let k = inputs.treated.iter().position(|l| l.mean < h)?;
            Some((k, inputs.treated[k].concentration))
        });
        let below_on_average = below_half(inputs.treated_mean);
        if let (true, Some((k, from))) = (below_on_average, below_from)
            && k > 0
        {
            // Below half on average and at `from`, but not at the lowest dose: the data cross
            // half inside the range, and the curve's trend is not significant, so the IC50 is
            // below `from` and not determined further ("< lowest" would contradict the point
            // at the lowest dose).
            verdict.status = FitStatus::Ambiguous;
            verdict.absolute = Estimate::Below(from);
            verdict.reasons.push(format!(
                "The response is below {} at {}, but {} at the lowest dose ({}): the IC50 is below {}, and the data do not determine it further: {why}.",
                show(half.unwrap_or(0.5)),
                num(from),
                show(inputs.lowest.mean),
                num(lo),
                num(from)
            ));
        } else if below_on_average && falls_twice(&mut verdict) {
            return verdict;
        } else if below_on_average {
            // Cases 3 and 4 on a known scale: a response below half from the lowest dose on,
            // without a trend, is a maximal effect, not "no effect".
            verdict.status = FitStatus::Ic50BelowRange;
            verdict.relative = Estimate::Below(lo);
            verdict.absolute = Estimate::Below(lo);
            let h = half.unwrap_or(0.5);
            let seen = if treated_max < h {
                format!(
                    "throughout the tested range ({} to {}, from the lowest dose, {}, on)",
                    show(treated_min),
                    show(treated_max),
                    num(lo)
                )
            } else {
                format!(
                    "at the lowest dose ({} at {}) and on average over the tested range ({})",
                    show(inputs.lowest.mean),
                    num(lo),
                    show(inputs.treated_mean)
                )
            };
            verdict.reasons.push(format!(
                "The response is below {} {seen}, so the IC50 is below the tested range (< {}). There is no trend within the range: {why}.",
                show(h),
                num(lo)
            ));
        } else {
            verdict.status = FitStatus::NoEffect;
            // "> max" claims the response stays above half: only when the data do.
            if stays_above_half {
                verdict.relative = Estimate::Above(hi);
                if half.is_some() {
                    verdict.absolute = Estimate::Above(hi);
                }
                // "at 100 % to 100 %" reads as a slip: one value when both print the same.
                let (low, high) = (show(treated_min), show(treated_max));
                let level = if low == high {
                    low
                } else {
                    format!("{low} to {high}")
                };
                verdict.reasons.push(format!(
                    "No dose-dependent effect: {why}. The response stays at {level} up to the highest dose, so the IC50 is above the tested range (> {}).",
                    num(hi)
                ));
            } else if half_or_vehicle.is_none() {
                verdict.reasons.push(format!(
                    "No dose-dependent effect: {why}. The response stays at {} to {}; on a raw signal without vehicle (dose-zero) points the data do not show whether that is above or below half of the untreated level, so no IC50 bound can be given.",
                    show(treated_min),
                    show(treated_max)
                ));
            } else if let Some((h, k)) = half_or_vehicle.and_then(|h| {
                // The level means cross half once, downwards: above it up to some dose, below
                // it from the next one to the highest.
                let k = inputs.treated.iter().position(|l| l.mean < h)?;
                (k > 0 && inputs.treated[k..].iter().all(|l| l.mean < h)).then_some((h, k))
            }) {
                // The response ends below half: its fall at the last doses is not significant
                // against the scatter at the others, which is not "no effect" (a
                // single-replicate screen at 87–128 % that reads 30 % at its highest dose).
                verdict.status = FitStatus::Ambiguous;
                let half_text = half_words(h);
                let (before_min, before_max) = inputs.treated[..k]
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), l| {
                        (lo.min(l.mean), hi.max(l.mean))
                    });
                let first_below = inputs.treated[k];
                let from = if k + 1 == inputs.treated.len() {
                    format!(
                        "at the highest dose ({} at {})",
                        show_beside(first_below.mean, h),
                        num(hi)
                    )
                } else {
                    format!(
                        "from {} on ({} there, {} at the highest dose)",
                        num(first_below.concentration),
                        show_beside(first_below.mean, h),
                        show_beside(inputs.highest.mean, h)
                    )
                };
                verdict.reasons.push(format!(
                    "The response is below {half_text} {from}, but that fall is not significant against the scatter at the lower doses ({} to {}): {why}. The data do not determine an IC50; replicates or a higher dose would tell.",
                    show(before_min),
                    show(before_max)
                ));
            } else {
                verdict.reasons.push(format!(
                    "No dose-dependent trend: {why}. The response ranges from {} to {} without a trend, so no IC50 can be given.",
                    show(treated_min),
                    show(treated_max)
                ));
            }
        }
        verdict.flags.push(verdict.status);
        return verdict;
    }

    // Rule 3: a rising curve. On a known scale, a response below half at both ends of the
    // range is a maximal effect whatever it does inside it (a rise from 0 % to 2 % is no
    // IC50 above the range). A rise that crosses half is not: a sigmoid from 3 % to 98 %
    // is cells that grow with dose — or, far more often, % inhibition given as if it were
    // % viability — and "below the range" would deny the half of the points above 50 %.
    let span = p.top - p.bottom;
    let falling = span * p.hill_slope < 0.0;
    // The fitted curve below half at both ends of the range (it is monotone: below half
    // over the whole range) while a level mean is clearly above it.
    let fitted_lo = curve_at(p, inputs.asymmetry, lo.log10());
    let fitted_hi = curve_at(p, inputs.asymmetry, hi.log10());
    if half_or_vehicle.is_some_and(|h| fitted_lo.max(fitted_hi) < h) && falls_twice(&mut verdict) {
        return verdict;
    }
    if !falling
        && below_half(inputs.lowest.mean)
        && below_half(inputs.treated_mean)
        && below_half(inputs.highest.mean)
    {
        verdict.status = FitStatus::Ic50BelowRange;
        verdict.relative = Estimate::Below(lo);
        verdict.absolute = Estimate::Below(lo);
        verdict.reasons.push(format!(
            "The response is below {} from the lowest dose on ({} at {}; {} at the highest dose): the IC50 is below the tested range (< {}).",
            show(half.unwrap_or(0.5)),
            show(inputs.lowest.mean),
            num(lo),
            show(inputs.highest.mean),
            num(lo)
        ));
        verdict.flags.push(verdict.status);
        return verdict;
    }
    if !falling {
        verdict.status = FitStatus::Increasing;
        if stays_above_half {
            verdict.relative = Estimate::Above(hi);
            if half.is_some() {
                verdict.absolute = Estimate::Above(hi);
            }
        }
        verdict.reasons.push(format!(
            "The response increases with dose (from {} at {} to {} at {}): there is no inhibition, so there is no IC50.",
            show(inputs.lowest.mean),
            num(lo),
            show(inputs.highest.mean),
            num(hi)
        ));
        if below_half(inputs.lowest.mean) && above_half(inputs.highest.mean) {
            let complement = if scale == ResponseScale::Fraction {
                "1 − response (inhibition as a fraction)"
            } else {
                "100 − response"
            };
            verdict.reasons.push(format!(
                "If the responses are % inhibition or % cytotoxicity rather than viability, give {complement}."
            ));
        }
        verdict.flags.push(verdict.status);
        return verdict;
    }

    // A falling curve. Canonical view: top above bottom.
    let (bottom, top) = if span > 0.0 {
        (p.bottom, p.top)
    } else {
        (p.top, p.bottom)
    };
    let log_lo = lo.log10();
    let log_hi = hi.log10();
    let relative_side = if p.log10_ic50 < log_lo {
        Side::Below
    } else if p.log10_ic50 > log_hi {
        Side::Above
    } else {
        Side::Within
    };
    let relative_value = 10f64.powf(p.log10_ic50);
    // The relative IC50 as a number inside the range; outside it, not a bound a reader can
    // use (its plateau is extrapolated or its midpoint is not where the data cross half).
    let in_range_only = |side: Side| match side {
        Side::Within => Estimate::Value(relative_value),
        _ => Estimate::Undetermined,
    };
    // Plateaus supported by the data?
    // The 5PL is not symmetric under swapping the plateaus: its labels are as fitted.
    let oriented = if inputs.asymmetry.is_some() {
        p
    } else {
        canonical(p)
    };
    let left_at_hi = fraction_left(oriented, inputs.asymmetry, log_hi);
    let left_at_lo = fraction_left(oriented, inputs.asymmetry, log_lo);
    let control = scale.control();
    // Bottom far below what the points show: below zero by a tenth of the vehicle level
    // (% or fraction of it), or on a raw scale (a signal, whose lower plateau is not below
    // zero) below both zero and the lowest level mean by a tenth of Top.
    let bottom_below_the_data = match control {
        Some(c) => bottom < -0.1 * c,
        None => top > 0.0 && bottom < treated_min.min(0.0) - 0.1 * top,
    };
    let lower_extrapolated =
        !inputs.bottom_fixed && (left_at_hi > 0.25 || (bottom_below_the_data && left_at_hi > 0.05));
    let has_vehicle = inputs.vehicle.is_some();
    let upper_extrapolated = !inputs.top_fixed
        && ((!has_vehicle && left_at_lo < 0.75)
            || control.is_some_and(|c| top < CONTROL_BAND.0 * c || top > CONTROL_BAND.1 * c));
    // The tested doses at which the curve is within a quarter of its span of Bottom: its
    // lower plateau as the data show it. A free Bottom seen at the highest dose alone is
    // that point, not a level the response settles at ("levels off at 55 %" beside a last
    // step from 75 % to 55 % is not in the data).
    let doses_at_bottom = inputs
        .treated
        .iter()
        .filter(|l| fraction_left(oriented, inputs.asymmetry, l.concentration.log10()) <= 0.25)
        .count();
    let bottom_on_one_dose = !inputs.bottom_fixed && doses_at_bottom < 2;
    // The two highest doses' means equal within their noise (twice the SE of their
    // difference): the points have levelled off there, whatever the curve does.
    let levelled = match (inputs.treated.as_slice(), inputs.point_sd) {
        ([.., a, b], Some(sd)) => {
            let se = sd * (1.0 / a.count.max(1) as f64 + 1.0 / b.count.max(1) as f64).sqrt();
            (a.mean - b.mean).abs() <= 2.0 * se
        }
        _ => false,
    };
    // The points at the highest dose within 5 % of the control (or of Top on a raw scale)
    // of zero: whatever the curve does beyond, the response cannot fall much further.
    let ends_near_zero = match control {
        Some(c) => inputs.highest.mean <= 0.05 * c,
        None => top > 0.0 && inputs.highest.mean.abs() <= 0.05 * top,
    };
    // Why Bottom is not a lower plateau, in the words the points support: the curve is
    // still falling at the highest dose, or Bottom lies below points that have levelled off
    // (4.9 % and 3.8 % at the two highest doses under a Bottom of −13 %), or it rests on the
    // highest dose alone (a last step from 75 % to 55 %).
    let lower_reason = |shown: bool| {
        let why = if left_at_hi > 0.25 && !levelled && !ends_near_zero {
            format!(
                "Bottom is extrapolated to {} (the curve is still falling at the highest dose, {} at {})",
                show(bottom),
                show(inputs.highest.mean),
                num(hi)
            )
        } else if bottom_on_one_dose && !levelled && !bottom_below_the_data {
            format!(
                "Bottom ({}) rests on the highest dose alone ({} at {}), so the data do not show where the response levels off",
                show(bottom),
                show(inputs.highest.mean),
                num(hi)
            )
        } else {
            format!(
                "Bottom is extrapolated to {}, below the points ({} at the highest dose, {})",
                show(bottom),
                show(inputs.highest.mean),
                num(hi)
            )
        };
        // A relative IC50 inside the range is still shown (as drc and Prism give it), with
        // what it rests on.
        let relative = if shown {
            "the relative IC50 shown, the midpoint between the plateaus, rests on that Bottom: it is not determined by the data, so read it with caution"
        } else {
            "the relative IC50, the midpoint between the plateaus, is not determined by the data"
        };
        format!("No lower plateau: {why}; {relative}.")
    };
    // The curve at the lowest dose within a tenth of its span of Top: the treated points
    // reach the upper plateau, so Top is observed, not extrapolated.
    let top_reached = left_at_lo >= 0.9;
    // Without vehicle points at the control level (none, or a curve whose dose-zero point
    // is a partner drug alone at 60 %) the control is the scale's 100 % or 1, not a mean of
    // the data.
    let vehicle_at_control = inputs
        .vehicle
        .zip(control)
        .is_some_and(|(v, c)| (CONTROL_BAND.0 * c..=CONTROL_BAND.1 * c).contains(&v.mean));
    let (control_word, control_level) = if vehicle_at_control {
        ("the vehicle", "the vehicle level")
    } else {
        ("the control", "the control level")
    };
    let upper_reason = |shown: bool| match control {
        // A plateau the points show, but not at the vehicle level: the midpoint is a number
        // the data determine; what it is the midpoint between is what the reader must know.
        Some(c) if top_reached => {
            let (side, cause) = if top > c {
                (
                    "above",
                    "a stimulation at low doses — hormesis — or data normalized to another control",
                )
            } else {
                (
                    "below",
                    "an effect already at doses below the lowest tested, or data normalized to another control",
                )
            };
            format!(
                "No upper plateau at {control_level}: Top is fitted at {}, {side} {control_word} ({}), and the response levels off there at the lowest doses ({cause}). The relative IC50 is the midpoint between {} and {}, not between {control_word} and Bottom.",
                show(top),
                show(c),
                show(top),
                show(bottom)
            )
        }
        _ => {
            let against = control.map_or(String::new(), |c| {
                if vehicle_at_control {
                    format!(" (the vehicle is {})", show(c))
                } else {
                    format!(" ({} is the control level on this scale)", show(c))
                }
            });
            let relative = if shown {
                "the relative IC50 shown, the midpoint between the plateaus, rests on that Top: it is not determined by the data, so read it with caution"
            } else {
                "the relative IC50, the midpoint between the plateaus, is not determined by the data"
            };
            format!(
                "No upper plateau: Top is fitted at {}{against}, so {relative}.",
                show(top)
            )
        }
    };

    // The lowest level mean and its dose, for a sentence ("38 % at 0.0102").
    let lowest_level_text = || {
        inputs
            .treated
            .iter()
            .min_by(|a, b| a.mean.total_cmp(&b.mean))
            .map_or_else(String::new, |l| {
                format!("{} at {}", show(l.mean), num(l.concentration))
            })
    };
    // The fitted response at the highest dose lies above `level` by more than twice its
    // standard error, taken from the points that determine it: the levels where the curve
    // is within 5 % of its span of its value at the highest dose (the lower plateau of a
    // curve that levels off; else the highest dose alone), the points' scatter over the
    // square root of their number. Without a scatter (no replicates, no residual degrees
    // of freedom) the fitted value alone decides.
    let fitted_above_by_its_se = |level: f64, fitted_hi: f64| {
        let Some(sd) = inputs.point_sd else {
            return fitted_hi >= level;
        };
        let near = 0.05 * (p.top - p.bottom).abs();
        let count: usize = inputs
            .treated
            .iter()
            .filter(|l| {
                (curve_at(p, inputs.asymmetry, l.concentration.log10()) - fitted_hi).abs() <= near
            })
            .map(|l| l.count)
            .sum();
        fitted_hi - level > 2.0 * sd / (count.max(1) as f64).sqrt()
    };

    if let Some(h) = half {
        // Rule 4: place the curve by the data against the half level. Every level mean on
        // one side of half places it there whatever the fitted curve does (a constrained or
        // poorly fitting curve may cross half where no point does); otherwise the observed
        // and the fitted response at the end of the range must agree. "Above" says the
        // response stays above half up to the highest dose, so no level mean may lie
        // clearly below half: a response at 15 % in the middle of the range that recovers to
        // 60 % at the highest doses (a drug that precipitates, a coloured compound) has
        // crossed half inside the range, whatever the end of the range shows.
        let side = if below_half(inputs.lowest.mean) && (fitted_lo < h || treated_max < h) {
            Side::Below
        } else if above_half(inputs.highest.mean)
            && (fitted_hi >= h || treated_min >= h)
            && !clearly_below(h)
        {
            Side::Above
        } else {
            Side::Within
        };
        match side {
            Side::Below => {
                verdict.status = FitStatus::Ic50BelowRange;
                verdict.relative = Estimate::Below(lo);
                verdict.absolute = Estimate::Below(lo);
                verdict.reasons.push(format!(
                    "The response is already below {} at the lowest dose ({} at {}): the IC50 is below the tested range (< {}).",
                    show(h),
                    show_beside(inputs.lowest.mean, h),
                    num(lo),
                    num(lo)
                ));
                if upper_extrapolated {
                    verdict.flags.push(FitStatus::NoUpperPlateau);
                    verdict
                        .reasons
                        .push(upper_reason(verdict.relative.value().is_some()));
                }
            }
            Side::Above => {
                // A level mean just below half, within the scatter, is noise about a curve
                // that levels off above half — when the curve is above half by more than
                // its own uncertainty there. A curve at 53 % whose plateau points scatter
                // from 38 % to 67 % does not say the response stays above half: whether it
                // reaches half is not determined, and neither is the absolute IC50.
                let dips_below = treated_min < h;
                let settled = !dips_below || fitted_above_by_its_se(h, fitted_hi);
                let stays = if settled {
                    verdict.absolute = Estimate::Above(hi);
                    let about = if dips_below { "about " } else { "" };
                    format!(
                        "the response stays above {about}{} up to the highest dose ({} at {}), so 50 % is not reached in the tested range (absolute IC50 > {})",
                        show(h),
                        show(inputs.highest.mean),
                        num(hi),
                        num(hi)
                    )
                } else {
                    format!(
                        "points fall below {} (lowest: {}), within their scatter of the fitted curve, which is at {} at the highest dose ({}): too close to {} to tell whether the response reaches it, so the absolute IC50 is not determined",
                        show(h),
                        lowest_level_text(),
                        show(fitted_hi),
                        num(hi),
                        show(h)
                    )
                };
                // A free curve whose midpoint lies inside the range with the data above half
                // at its end has passed its midpoint but not reached its lower plateau,
                // whether Bottom counts as extrapolated or lies, below 40 %, under the points
                // ("> highest" for its relative IC50 would contradict the fitted curve). A
                // Bottom fixed at 0 makes the midpoint the curve's crossing of half, which
                // the points above half contradict: that stays "> highest".
                let bottom_unreached = lower_extrapolated
                    || (!inputs.bottom_fixed && bottom < 0.8 * h)
                    || bottom_on_one_dose;
                // A free Bottom at the control level, with no dose's mean clearly (2 SE)
                // below the control: the curve falls from above the control back to it — a
                // stimulation at low doses, or one high first point — and the cells are
                // never inhibited below the untreated level (121 % at the lowest doses,
                // 105–112 % at the highest: that was "partial: levels off at 108 %", relative
                // IC50 0.25).
                let at_control = control.filter(|c| {
                    !inputs.bottom_fixed
                        && !lower_extrapolated
                        && !bottom_on_one_dose
                        && bottom >= CONTROL_BAND.0 * c
                        && !clearly_below(*c)
                });
                if let Some(c) = at_control {
                    verdict.status = FitStatus::NoEffect;
                    verdict.relative = Estimate::Above(hi);
                    verdict.reasons.push(format!(
                        "No inhibition below the control level: the curve levels off at {} (Bottom) and no dose's response lies clearly below the control ({}); the fall of the points from {} is a return to the control level (a stimulation at low doses, or a high first point). Also, {stays}.",
                        show(bottom),
                        show(c),
                        show(treated_max)
                    ));
                } else if relative_side == Side::Within && bottom_unreached {
                    verdict.status = FitStatus::NoLowerPlateau;
                    verdict.relative = Estimate::Value(relative_value);
                    verdict
                        .reasons
                        .push(lower_reason(verdict.relative.value().is_some()));
                    verdict.reasons.push(format!("Also, {stays}."));
                    verdict.remedy = control.map(|_| Remedy::FixBottom(0.0));
                } else if !lower_extrapolated && !bottom_on_one_dose && bottom >= 0.8 * h {
                    verdict.status = FitStatus::Partial;
                    // A midpoint outside the range is not a bound a reader can use: "<
                    // lowest dose" would say half the cells are dead there.
                    verdict.relative = in_range_only(relative_side);
                    verdict.reasons.push(format!(
                        "A partial effect: the curve levels off at {} (Bottom); {stays}. The relative IC50 is the midpoint between {} and {}.",
                        show(bottom),
                        show(top),
                        show(bottom)
                    ));
                } else {
                    verdict.status = FitStatus::Ic50AboveRange;
                    verdict.relative = Estimate::Above(hi);
                    let midpoint = 0.5 * (top + bottom);
                    if settled {
                        verdict.reasons.push(format!(
                            "The IC50 is above the tested range (> {}): {stays}.",
                            num(hi)
                        ));
                    } else if treated_min >= midpoint || fitted_above_by_its_se(midpoint, fitted_hi)
                    {
                        verdict.reasons.push(format!(
                            "The relative IC50 is above the tested range (> {}): the curve has not reached its midpoint ({}) at the highest dose. Also, {stays}.",
                            num(hi),
                            show(midpoint)
                        ));
                    } else {
                        // The curve's midpoint is as close to the points' end as half is
                        // (Bottom fixed at 0: the midpoint is about half): neither IC50 is
                        // placed by the data.
                        verdict.status = FitStatus::Ambiguous;
                        verdict.relative = Estimate::Undetermined;
                        verdict.reasons.push(format!(
                            "Whether the IC50 lies in the tested range is not determined: {stays}; the same holds for the curve's midpoint ({}), so the relative IC50 is not determined either.",
                            show(midpoint)
                        ));
                    }
                    if lower_extrapolated {
                        verdict.flags.push(FitStatus::NoLowerPlateau);
                        verdict
                            .reasons
                            .push(lower_reason(verdict.relative.value().is_some()));
                    }
                }
            }
            Side::Within => {
                let crossing = match inputs.asymmetry {
                    Some(s) => super::model::asymmetric_crossing(p, s, h),
                    None => super::crossing(p, h),
                };
                // The data cross half inside the range; a fitted crossing outside it would
                // contradict them, so it is not reported (neither as a number nor a bound).
                verdict.absolute = match crossing {
                    Some(x) if x >= lo && x <= hi => Estimate::Value(x),
                    _ => Estimate::Undetermined,
                };
                let absolute_text = match verdict.absolute {
                    Estimate::Value(x) => num(x),
                    _ => "not determined (the fitted curve crosses half outside the range where the data do)".to_string(),
                };
                // A free Bottom well above zero (a fifth of the control) that only the
                // highest dose shows: a partial lower plateau the points do not establish
                // (68.7, 54.6, 45.7 % at the three highest doses, Bottom 43.6 %), no more
                // than where the response stays above half (5b).
                let partial_on_one_dose =
                    bottom_on_one_dose && control.is_some_and(|c| bottom > 0.2 * c);
                if lower_extrapolated || partial_on_one_dose {
                    verdict.status = FitStatus::NoLowerPlateau;
                    verdict.relative = in_range_only(relative_side);
                    verdict
                        .reasons
                        .push(lower_reason(verdict.relative.value().is_some()));
                    verdict.reasons.push(format!(
                        "The data cross {} inside the tested range: the absolute IC50 is {absolute_text}. Fixing Bottom at 0 fits a complete curve.",
                        show(h)
                    ));
                    verdict.remedy = Some(Remedy::FixBottom(0.0));
                    if upper_extrapolated {
                        verdict.flags.push(FitStatus::NoUpperPlateau);
                    }
                } else if upper_extrapolated {
                    verdict.status = FitStatus::NoUpperPlateau;
                    verdict.relative = in_range_only(relative_side);
                    verdict
                        .reasons
                        .push(upper_reason(verdict.relative.value().is_some()));
                    verdict.reasons.push(format!(
                        "The data cross {} inside the tested range: the absolute IC50 is {absolute_text}.",
                        show(h)
                    ));
                    verdict.remedy = control.map(Remedy::FixTop);
                } else if relative_side == Side::Within {
                    verdict.status = FitStatus::Converged;
                    verdict.relative = Estimate::Value(relative_value);
                    if verdict.absolute == Estimate::Undetermined {
                        // A level mean below half (the lowest is named) where the fitted
                        // curve does not cross it.
                        let seen = lowest_level_text();
                        let falls = format!(
                            "it falls from {} to {} within the range",
                            show(fitted_lo),
                            show(curve_at(p, inputs.asymmetry, log_hi))
                        );
                        if clearly_below(h) {
                            // Clearly below: a response that recovers at the highest
                            // doses, or a curve levelling off just above half; the curve
                            // does not follow the points there.
                            verdict.status = FitStatus::Ambiguous;
                            verdict.reasons.push(format!(
                                "The data fall below {} inside the tested range ({seen}), but the fitted curve does not ({falls}): the curve does not follow the points there, so the absolute IC50 is not determined; treat the relative IC50 with caution.",
                                show(h)
                            ));
                        } else {
                            // Within their scatter of a curve that levels off just above
                            // half: the fit says the response does not reach half, the
                            // points do not say it does. No number and no bound, and the
                            // reader is told why the column is empty.
                            verdict.reasons.push(format!(
                                "The absolute IC50 is not determined: points fall below {} (lowest: {seen}), but within their scatter of the fitted curve, which does not cross {} in the tested range ({falls}).",
                                show(h),
                                show(h)
                            ));
                        }
                    }
                } else {
                    // The data cross half inside the range while the midpoint between the
                    // (determined) plateaus lies outside it: a curve whose lower plateau is
                    // high (the midpoint lies above 50 %) or low.
                    verdict.status = FitStatus::Partial;
                    verdict.relative = Estimate::Undetermined;
                    verdict.reasons.push(format!(
                        "The curve falls from {} to {}; its midpoint ({}) lies {} the tested range while the data cross {} inside it: the absolute IC50 is {absolute_text}, the relative IC50 is not within the data.",
                        show(top),
                        show(bottom),
                        show(0.5 * (top + bottom)),
                        if relative_side == Side::Below { "below" } else { "above" },
                        show(h)
                    ));
                }
            }
        }
    } else {
        // Rule 5: a raw scale: the relative IC50 against the range, checked by the data.
        let midpoint = 0.5 * (top + bottom);
        // "> highest" claims the response has not fallen halfway at the highest dose. A
        // signal's lower plateau is not below zero, so halfway is at least Top / 2 however
        // far below zero Bottom is extrapolated (the last dose kills, no lower plateau):
        // below that the data have passed every midpoint the curve could have.
        // With vehicle points, half of the vehicle mean is such a level too.
        let halfway_at_least = if top > 0.0 {
            0.5 * (top + bottom.max(0.0))
        } else {
            midpoint
        }
        .max(inputs.vehicle.map_or(f64::NEG_INFINITY, |v| 0.5 * v.mean));
        // "< lowest" claims the response at the lowest dose is already past halfway down from
        // the untreated level. A Top extrapolated above every point the data show (no vehicle
        // points; a noise step on a flat signal) raises the midpoint without evidence, so
        // halfway is taken from Top no higher than the highest level the points show (the
        // vehicle mean, or the highest treated level mean).
        let highest_seen = treated_max.max(inputs.vehicle.map_or(f64::NEG_INFINITY, |v| v.mean));
        let halfway_at_most = 0.5 * (top.min(highest_seen) + bottom);
        // As on a known scale, "above" needs every level mean at or above that level, not
        // only the highest dose's.
        let side = match relative_side {
            Side::Above
                if inputs.highest.mean < halfway_at_least || clearly_below(halfway_at_least) =>
            {
                Side::Within
            }
            Side::Below if inputs.lowest.mean > halfway_at_most => Side::Within,
            other => other,
        };
        match side {
            Side::Below => {
                verdict.status = FitStatus::Ic50BelowRange;
                verdict.relative = Estimate::Below(lo);
                verdict.reasons.push(format!(
                    "The response is already past the midpoint of the curve at the lowest dose ({} at {}): the IC50 is below the tested range (< {}).",
                    show(inputs.lowest.mean),
                    num(lo),
                    num(lo)
                ));
            }
            Side::Above => {
                verdict.status = FitStatus::Ic50AboveRange;
                verdict.relative = Estimate::Above(hi);
                verdict.reasons.push(format!(
                    "The response has not reached the midpoint of the curve at the highest dose ({} at {}): the IC50 is above the tested range (> {}).",
                    show(inputs.highest.mean),
                    num(hi),
                    num(hi)
                ));
            }
            // A midpoint beyond the highest dose that the data have passed: Bottom is
            // extrapolated.
            Side::Within if relative_side == Side::Above || lower_extrapolated => {
                verdict.status = FitStatus::NoLowerPlateau;
                verdict.relative = in_range_only(relative_side);
                verdict
                    .reasons
                    .push(lower_reason(verdict.relative.value().is_some()));
                // A signal whose points reach zero at the highest dose (within 5 % of Top):
                // its lower plateau is zero, which the free fit does not see.
                if !inputs.bottom_fixed && top > 0.0 && inputs.highest.mean.abs() <= 0.05 * top {
                    verdict.reasons.push(format!(
                        "The points fall to {:.0} % of Top at the highest dose ({} at {}), close to zero, where a signal's lower plateau lies: fixing Bottom at 0 fits a complete curve.",
                        100.0 * inputs.highest.mean / top,
                        show(inputs.highest.mean),
                        num(hi)
                    ));
                    verdict.remedy = Some(Remedy::FixBottom(0.0));
                }
            }
            // A midpoint below the lowest dose that the data have not passed there: Top is
            // extrapolated above what the points show.
            Side::Within if relative_side == Side::Below || upper_extrapolated => {
                verdict.status = FitStatus::NoUpperPlateau;
                verdict.relative = in_range_only(relative_side);
                verdict
                    .reasons
                    .push(upper_reason(verdict.relative.value().is_some()));
            }
            Side::Within => {
                verdict.status = FitStatus::Converged;
                verdict.relative = Estimate::Value(relative_value);
            }
        }
    }

    // A fall between two neighbouring doses with none tested in between, which places `what`
    // between them and no further (`rest` says why).
    let untested_gap = |a: LevelMean, b: LevelMean, what: &str, rest: &str| {
        format!(
            "The response falls from {} at {} to {} at {} with no tested dose in between: {what} lies between {} and {}, {rest}. Test doses between them to place it.",
            show(a.mean),
            num(a.concentration),
            show(b.mean),
            num(b.concentration),
            num(a.concentration),
            num(b.concentration)
        )
    };
    // Rule 6: an IC50 that looks determined but is not.
    let poorly_determined = inputs.relative_se.is_none_or(|r| r >= 0.5);
    if poorly_determined && verdict.relative.value().is_some() {
        if verdict.status == FitStatus::Converged {
            verdict.status = FitStatus::Ambiguous;
        } else {
            verdict.flags.push(FitStatus::Ambiguous);
        }
        // A step between two neighbouring doses: the curve covers most of its span (four
        // fifths) between them, with its midpoint in between, so the data place the IC50
        // between those two doses and say little about where between them, or about the
        // slope (a fall from 97 % to 31 % between 6.25 and 12.5 put the IC50 at 7.07, next
        // to the point at 97 %, with a standard error of 290 %).
        let step = inputs.treated.windows(2).find_map(|pair| {
            let (a, b) = (pair[0], pair[1]);
            let (log_a, log_b) = (a.concentration.log10(), b.concentration.log10());
            (p.log10_ic50 >= log_a
                && p.log10_ic50 <= log_b
                && fraction_left(oriented, inputs.asymmetry, log_a)
                    - fraction_left(oriented, inputs.asymmetry, log_b)
                    >= 0.8)
                .then_some((a, b))
        });
        verdict.reasons.push(match step {
            Some((a, b)) => untested_gap(
                a,
                b,
                "the IC50",
                "and the data do not determine it (or the Hill slope) further",
            ),
            None => {
                let text = inputs.relative_se.map_or_else(
                    || "the fit's covariance is singular".to_string(),
                    |r| {
                        format!(
                            "the IC50's standard error is {:.0} % of its value",
                            100.0 * r
                        )
                    },
                );
                format!(
                    "The data do not determine the parameters well ({text}); treat the IC50 with caution."
                )
            }
        });
    } else if let (Estimate::Value(x), Some(h), None, None) = (
        verdict.absolute,
        half,
        inputs.asymmetry,
        verdict.relative.value(),
    ) {
        // The same caution for an absolute IC50 reported as a number without a relative
        // one (a relative IC50 that is determined carries the curve): its own standard error (the delta method on the crossing of half)
        // half its value or more, or not computable. A fall from 104 % at 1000 to 1.2 % at
        // 10000 with a free Bottom running to −10⁹ % put it at 9141, inside the untested
        // gap, without a word.
        let relative_se = inputs
            .covariance
            .and_then(|c| super::crossing_log_variance(p, &c, h))
            .map(|v| std::f64::consts::LN_10 * v.sqrt());
        if relative_se.is_none_or(|r| r >= 0.5) {
            if verdict.status == FitStatus::Converged {
                verdict.status = FitStatus::Ambiguous;
            } else {
                verdict.flags.push(FitStatus::Ambiguous);
            }
            let error = relative_se.map_or_else(
                || "its standard error is not computable".to_string(),
                |r| format!("its standard error is {:.0} % of its value", 100.0 * r),
            );
            // The neighbouring doses whose means lie on either side of half around it.
            let bracket = inputs.treated.windows(2).find_map(|pair| {
                let (a, b) = (pair[0], pair[1]);
                (a.concentration <= x && x <= b.concentration && a.mean >= h && b.mean < h)
                    .then_some((a, b))
            });
            verdict.reasons.push(match bracket {
                Some((a, b)) => untested_gap(
                    a,
                    b,
                    "the absolute IC50",
                    &format!(
                        "and where between them depends on the fitted curve's shape alone ({error})"
                    ),
                ),
                None => format!(
                    "The data do not determine the absolute IC50 well ({error}); treat it with caution."
                ),
            });
        }
    }
    verdict.flags.insert(0, verdict.status);
    verdict.flags.dedup();
    verdict
}

fn canonical(params: Params4pl) -> Params4pl {
    params.canonical()
}
