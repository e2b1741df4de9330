//! Profile-likelihood confidence interval of LogIC50 (Prism's "asymmetrical" CI).
//!
//! The limits are the LogIC50 values where the RSS minimized over the other parameters,
//! with LogIC50 held fixed, reaches `RSS_min · (1 + t²(0.975, df)/df)` (the F(1, df) limit).
//! Each side is bracketed by stepping outwards, then solved by Illinois false position.
//! A side whose profile never reaches the threshold within 3 decades beyond the tested
//! range is reported as open (`None`).

use super::asymmetric::{self, FivePlSet};
use super::curves::{CurveSet, ParamRef};
use super::lm::{SolverSettings, minimize};
use super::projection::ProjectedCurves;

/// Refits allowed per side.
const MAX_REFITS: usize = 60;

/// The fit a profile is searched around: its free parameters, RSS and residual df, the
/// t quantile that sets the threshold, the tested range (the search stops 3 decades beyond
/// it) and the Wald half-width of LogIC50 (the first step), when known.
#[derive(Debug, Clone, Copy)]
pub struct Optimum<'a> {
    /// The free parameters at the optimum.
    pub free: &'a [f64],
    /// The RSS there.
    pub rss_min: f64,
    /// Residual degrees of freedom.
    pub df: usize,
    /// t(0.975, df).
    pub t: f64,
    /// The lowest and highest tested concentration, log10.
    pub tested_range: Option<(f64, f64)>,
    /// The Wald half-width of LogIC50 (t · SE).
    pub wald_half_width: Option<f64>,
}

/// The profile-likelihood 95 % interval of curve 0's LogIC50 (log10 units); `None` when the
/// profile cannot be computed at all.
///
/// Each side solves `z(v) = z*` with `z(v) = √(RSS_profile(v) − RSS_min)` and
/// `z* = √(threshold − RSS_min)`. Near the optimum `z` is almost linear in `v` (exactly so
/// for a quadratic RSS surface, where the root is the Wald limit), so the search starts at
/// the Wald limit and takes secant steps on `z`: two or three refits per side for a
/// well-determined curve. Steps are safeguarded by the bracket once the threshold has been
/// crossed, and grow geometrically while the profile is flat.
#[must_use]
pub fn log_ic50_interval(set: &CurveSet, optimum: &Optimum<'_>) -> Option<[Option<f64>; 2]> {
    let (_, refs) = set.curves.first()?;
    let ParamRef::Free(log_idx) = refs[2] else {
        return None;
    };
    let (problem, others_full) = Profile::at(log_idx, optimum)?;
    let log_hat = problem.log_hat;
    // The reduced set: LogIC50 fixed, the other free parameters renumbered. The refits
    // move only the slopes, the plateaus projected out (for one curve: the slope alone).
    let mut reduced = set.clone();
    let mut fixed_slots = Vec::new();
    for (curve, (_, refs)) in reduced.curves.iter_mut().enumerate() {
        for (slot, r) in refs.iter_mut().enumerate() {
            *r = match *r {
                ParamRef::Free(i) if i == log_idx => {
                    fixed_slots.push((curve, slot));
                    ParamRef::Fixed(log_hat)
                }
                other => renumbered(other, log_idx),
            };
        }
    }
    reduced.n_free -= 1;
    let nonlinear = ProjectedCurves::from_set(&reduced).map(|(_, map)| map);
    let others: Vec<f64> = match &nonlinear {
        Some(map) => map.iter().map(|i| others_full[*i]).collect(),
        None => others_full,
    };
    // The RSS and the refitted free parameters (the nonlinear ones where projected) at
    // LogIC50 = v.
    let profile = |value: f64, warm: &[f64]| -> Option<(f64, Vec<f64>)> {
        for &(curve, slot) in &fixed_slots {
            reduced.curves[curve].1[slot] = ParamRef::Fixed(value);
        }
        let minimum = match (&nonlinear, ProjectedCurves::from_set(&reduced)) {
            (Some(_), Some((model, _))) => minimize(&model, warm, SETTINGS),
            _ => minimize(&reduced, warm, SETTINGS),
        };
        Some((minimum.rss, minimum.params))
    };
    Some(problem.interval(others, profile))
}

/// The profile-likelihood 95 % interval of a 5PL fit's LogIC50 (the midpoint between the
/// plateaus, a fitted parameter of Prism's 5PL), as [`log_ic50_interval`] does for the
/// 4PL: Bottom, Top (where free), HillSlope and S refitted at each LogIC50.
#[must_use]
pub fn five_pl_log_ic50_interval(
    set: &FivePlSet,
    optimum: &Optimum<'_>,
) -> Option<[Option<f64>; 2]> {
    let ParamRef::Free(log_idx) = set.refs[2] else {
        return None;
    };
    let (problem, others) = Profile::at(log_idx, optimum)?;
    let mut reduced = set.clone();
    for r in &mut reduced.refs {
        *r = renumbered(*r, log_idx);
    }
    reduced.n_free -= 1;
    // Each refit keeps to the curves the fit itself accepts (a Hill slope below 50 in
    // size, S within [1/1000, 1000], Bottom below Top): from the previous point; if that
    // refit is not such a curve, from the optimum's values; if neither is, from the optimum
    // with each of the fit's asymmetries. Where no refit stays one, the profile counts as
    // above the threshold there (the fit would not report such a curve). A refit far above
    // the threshold is tried again from the optimum by the search itself.
    let optimum = others.clone();
    let asymmetry_slot = match reduced.refs[asymmetric::ASYMMETRY] {
        ParamRef::Free(i) => Some(i),
        ParamRef::Fixed(_) => None,
    };
    let profile = |value: f64, warm: &[f64]| -> Option<(f64, Vec<f64>)> {
        reduced.refs[2] = ParamRef::Fixed(value);
        let refit = |start: &[f64]| {
            let minimum = minimize(&reduced, start, SETTINGS);
            (minimum.rss.is_finite()
                && asymmetric::plausible_shape(&reduced.full_params(&minimum.params)))
            .then_some((minimum.rss, minimum.params))
        };
        let lower = |a: Option<(f64, Vec<f64>)>, b: Option<(f64, Vec<f64>)>| match (a, b) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        let mut best = refit(warm).or_else(|| refit(&optimum));
        if best.is_none()
            && let Some(slot) = asymmetry_slot
        {
            for s in asymmetric::STARTS {
                let mut start = optimum.clone();
                start[slot] = s.ln();
                best = lower(best, refit(&start));
            }
        }
        Some(best.unwrap_or((f64::MAX, warm.to_vec())))
    };
    Some(problem.interval(others, profile))
}

/// The profile-likelihood 95 % interval of any parameter (log10 units, as LogIC50's):
/// `estimate` at the optimum, whose RSS is `rss_min` with `df` residual degrees of freedom
/// and the t quantile `t`; the limits are where `refit(v, warm)` (the RSS minimized with
/// the parameter held at `v`, and the refitted parameters, the next warm start) reaches
/// `rss_min · (1 + t²/df)`. `others` are the refitted parameters at the optimum; the search
/// stops at `limits` (an open side is `None`). `None` where there is no profile (no
/// degrees of freedom, or no positive finite RSS).
pub fn interval(
    estimate: f64,
    others: Vec<f64>,
    fit: (f64, usize, f64),
    limits: (f64, f64),
    wald_half_width: Option<f64>,
    refit: impl FnMut(f64, &[f64]) -> Option<(f64, Vec<f64>)>,
) -> Option<[Option<f64>; 2]> {
    let (rss_min, df, t) = fit;
    if df == 0 || !(rss_min.is_finite() && rss_min > 0.0) || !estimate.is_finite() {
        return None;
    }
    let problem = Profile {
        log_hat: estimate,
        rss_min,
        df,
        t,
        limits,
        wald_half_width,
    };
    Some(problem.interval(others, refit))
}

/// Where a profile has more than one valley, the limit beyond a known inside point: from
/// `center` (a value whose profile RSS `rss_center` is below the threshold, with the refitted
/// parameters `params` there) outwards in `direction` (−1 or +1) to where the profile
/// reaches the threshold of `fit` = (RSS_min, df, t), as `interval` searches from the
/// optimum; `None` where it does not before `limits`. The 95 % interval that spans every
/// value the F test does not reject, where the first crossing from the optimum leaves some
/// out.
pub fn outer_limit(
    center: f64,
    rss_center: f64,
    params: Vec<f64>,
    direction: f64,
    fit: (f64, usize, f64),
    limits: (f64, f64),
    mut refit: impl FnMut(f64, &[f64]) -> Option<(f64, Vec<f64>)>,
) -> Option<f64> {
    let (rss_min, df, t) = fit;
    if df == 0 || !(rss_min.is_finite() && rss_min > 0.0) || !center.is_finite() {
        return None;
    }
    let problem = Profile {
        log_hat: center,
        rss_min,
        df,
        t,
        limits,
        wald_half_width: None,
    };
    let z_center = (rss_center - rss_min).max(0.0).sqrt();
    problem.side(direction.signum(), (z_center, params), &mut refit)
}

/// A free parameter's slot once LogIC50's (`log_idx`) is taken out.
fn renumbered(r: ParamRef, log_idx: usize) -> ParamRef {
    match r {
        ParamRef::Free(i) if i > log_idx => ParamRef::Free(i - 1),
        other => other,
    }
}

/// The refits of a profile point: tight, and bounded.
const SETTINGS: SolverSettings = SolverSettings {
    tolerance: 1e-10,
    patience: 20,
};

/// One profile-likelihood search: the optimum and what sets the threshold and the range.
struct Profile {
    log_hat: f64,
    rss_min: f64,
    df: usize,
    t: f64,
    /// The search stops at these values of the parameter.
    limits: (f64, f64),
    wald_half_width: Option<f64>,
}

impl Profile {
    /// The search around `optimum` (LogIC50 in slot `log_idx` of its free parameters),
    /// and the other free parameters at the optimum; `None` where there is no profile (no
    /// degrees of freedom, or no positive finite RSS).
    fn at(log_idx: usize, optimum: &Optimum<'_>) -> Option<(Self, Vec<f64>)> {
        let &Optimum {
            free,
            rss_min,
            df,
            t,
            tested_range,
            wald_half_width,
        } = optimum;
        if df == 0 || !(rss_min.is_finite() && rss_min > 0.0) {
            return None;
        }
        let log_hat = *free.get(log_idx)?;
        let others = free
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != log_idx)
            .map(|(_, v)| *v)
            .collect();
        let limits = tested_range.map_or((log_hat - 6.0, log_hat + 6.0), |(lo, hi)| {
            (lo.log10() - 3.0, hi.log10() + 3.0)
        });
        let problem = Self {
            log_hat,
            rss_min,
            df,
            t,
            limits,
            wald_half_width,
        };
        Some((problem, others))
    }

    /// Both limits, from `refit(v, warm)`: the RSS minimized with LogIC50 = v (and the
    /// refitted free parameters, the next warm start), `None` where the refit failed.
    /// `others` are the free parameters at the optimum, LogIC50 left out.
    fn interval(
        &self,
        others: Vec<f64>,
        mut refit: impl FnMut(f64, &[f64]) -> Option<(f64, Vec<f64>)>,
    ) -> [Option<f64>; 2] {
        [
            self.side(-1.0, (0.0, others.clone()), &mut refit),
            self.side(1.0, (0.0, others), &mut refit),
        ]
    }

    /// The first value, from `log_hat` outwards in `direction` (−1 or +1), where the profile
    /// reaches the threshold; `None` where it does not before the limit, or a refit failed.
    /// `start`: z = √(RSS − RSS_min) at `log_hat` (0 at the optimum) and the free parameters
    /// there.
    fn side(
        &self,
        direction: f64,
        start: (f64, Vec<f64>),
        refit: &mut impl FnMut(f64, &[f64]) -> Option<(f64, Vec<f64>)>,
    ) -> Option<f64> {
        let Self {
            log_hat,
            rss_min,
            df,
            t,
            limits: (lo_limit, hi_limit),
            wald_half_width,
        } = *self;
        let threshold = rss_min * (1.0 + t * t / df as f64);
        let target = (threshold - rss_min).sqrt();
        // z(v) = √(RSS_profile(v) − RSS_min).
        let mut profile = |value: f64, warm: &[f64]| -> Option<(f64, Vec<f64>)> {
            refit(value, warm)
                .filter(|(rss, _)| rss.is_finite())
                .map(|(rss, params)| ((rss - rss_min).max(0.0).sqrt(), params))
        };
        let initial_step = wald_half_width
            .filter(|w| w.is_finite() && *w > 1e-6)
            .map_or(0.05, |w| w.min(2.0));
        let (z_start, others) = start;
        let limit = if direction < 0.0 {
            log_hat - lo_limit
        } else {
            hi_limit - log_hat
        };
        // Distances from the estimate. `inside`: the farthest point with z < z* (and the
        // parameters there, the warm start of the next refit); `outside`: the nearest point
        // with z ≥ z*, once one is found; `older`/`latest`: the last two points, for the
        // secant.
        let mut inside = (0.0f64, z_start, others.clone());
        let mut outside: Option<(f64, f64)> = None;
        let mut older = (0.0f64, z_start);
        let mut distance = initial_step;
        let mut reference_width = f64::INFINITY;
        let mut slow_steps = 0;
        let mut flat_profile = false;
        let mut found = None;
        for _ in 0..MAX_REFITS {
            if distance >= limit {
                if outside.is_none() && inside.0 >= limit {
                    break;
                }
                distance = limit;
            }
            let value = log_hat + direction * distance;
            let mut refit = profile(value, &inside.2);
            // A refit far above the threshold may have followed the warm start into a worse
            // local minimum (a jump in the profile): try again from the optimum's values.
            // Once the profile is known to be flat-then-jumping, a refit beyond the jump
            // is expected to land high, and the warm start (from the nearest inside point)
            // is the better one: no second refit.
            if !flat_profile
                && inside.0 > 0.0
                && refit.as_ref().is_none_or(|(z, _)| *z > 1.5 * target)
                && let Some(again) = profile(value, &others)
                && refit.as_ref().is_none_or(|(z, _)| again.0 < *z)
            {
                refit = Some(again);
            }
            let Some((z, params)) = refit else {
                break;
            };
            // z within 1e-5 of z*: the RSS there is the threshold to 2e-5 (relative) and the
            // limit is off by 1e-5 of its distance from the estimate, far inside the four
            // significant digits reported.
            if (z - target).abs() <= 1e-5 * target {
                found = Some(distance);
                break;
            }
            // A refit inside the threshold with the same RSS as the previous inside point:
            // the profile is flat here (it will jump, as for very steep curves).
            flat_profile |= z < target && inside.0 > 0.0 && (z - inside.1).abs() <= 1e-9 * target;
            if z < target {
                inside = (distance, z, params);
            } else if outside.is_none_or(|o| distance < o.0) {
                outside = Some((distance, z));
            }
            let latest = (distance, z);
            let secant =
                latest.0 + (target - latest.1) * (latest.0 - older.0) / (latest.1 - older.1);
            older = latest;
            distance = match outside {
                Some((d_out, z_out)) => {
                    let width = d_out - inside.0;
                    // Where the profile jumps (flat, then a refit on another branch), the
                    // limit is the jump's place, found to 1e-4 decades (0.023 % of the
                    // IC50, below the 4 significant digits reported); a smooth profile is
                    // solved to 1e-7.
                    let tolerance = if flat_profile { 1e-4 } else { 1e-7 };
                    if width <= tolerance {
                        // The first point known to reach the threshold (at a jump, the
                        // profile is below it just inside).
                        found = Some(d_out);
                        break;
                    }
                    // Secant steps shrink the bracket fast where z is close to linear. Where
                    // it is not (flat, then a jump where the refit changes branch), bisect:
                    // from then on once the profile was flat, and whenever three steps have
                    // not halved the bracket.
                    if width <= 0.5 * reference_width {
                        reference_width = width;
                        slow_steps = 0;
                    } else {
                        slow_steps += 1;
                    }
                    let bisecting = flat_profile || slow_steps >= 3;
                    let within = |d: f64| d.is_finite() && d > inside.0 && d < d_out;
                    let false_position =
                        inside.0 + (target - inside.1) * (d_out - inside.0) / (z_out - inside.1);
                    if bisecting {
                        0.5 * (inside.0 + d_out)
                    } else if within(secant) {
                        secant
                    } else if within(false_position) {
                        false_position
                    } else {
                        0.5 * (inside.0 + d_out)
                    }
                }
                // Not bracketed yet: extrapolate along z, by at most 4× the distance so far;
                // where the profile is flat, step out geometrically.
                None if secant.is_finite() && secant > inside.0 => secant.min(4.0 * inside.0),
                None => 1.6 * inside.0.max(initial_step),
            };
        }
        found.map(|d| log_hat + direction * d)
    }
}
