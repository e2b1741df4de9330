//! Profile-likelihood confidence interval of LogIC50 (Prism's "asymmetrical" CI).
//!
//! The limits are the LogIC50 values where the RSS minimized over the other parameters,
//! with LogIC50 held fixed, reaches `RSS_min · (1 + t²(0.975, df)/df)` (the F(1, df) limit).
//! Each side is bracketed by stepping outwards, then solved by Illinois false position.
//! A side whose profile never reaches the threshold within 3 decades beyond the tested
//! range is reported as open (`None`).

use super::curves::{CurveSet, ParamRef};
use super::lm::{SolverSettings, minimize};

/// Number of outward steps and refinement iterations allowed per side.
const MAX_STEPS: usize = 40;
const MAX_REFINE: usize = 60;

/// The profile-likelihood 95 % interval of curve 0's LogIC50 (log10 units); `None` when the
/// profile cannot be computed at all.
#[must_use]
pub fn log_ic50_interval(
    set: &CurveSet,
    free_at_optimum: &[f64],
    rss_min: f64,
    df: usize,
    t: f64,
    tested_range: Option<(f64, f64)>,
    wald_half_width: Option<f64>,
) -> Option<[Option<f64>; 2]> {
    let (_, refs) = set.curves.first()?;
    let ParamRef::Free(log_idx) = refs[2] else {
        return None;
    };
    if df == 0 || !(rss_min.is_finite() && rss_min > 0.0) {
        return None;
    }
    let log_hat = *free_at_optimum.get(log_idx)?;
    let threshold = rss_min * (1.0 + t * t / df as f64);
    let (lo_limit, hi_limit) = tested_range.map_or((log_hat - 6.0, log_hat + 6.0), |(lo, hi)| {
        (lo.log10() - 3.0, hi.log10() + 3.0)
    });
    // The reduced set: LogIC50 fixed, the other free parameters renumbered.
    let reduced_refs = |value: f64| -> CurveSet {
        let mut reduced = set.clone();
        for (_, refs) in &mut reduced.curves {
            for r in refs.iter_mut() {
                *r = match *r {
                    ParamRef::Free(i) if i == log_idx => ParamRef::Fixed(value),
                    ParamRef::Free(i) if i > log_idx => ParamRef::Free(i - 1),
                    other => other,
                };
            }
        }
        reduced.n_free -= 1;
        reduced
    };
    let others: Vec<f64> = free_at_optimum
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != log_idx)
        .map(|(_, v)| *v)
        .collect();
    let settings = SolverSettings {
        tolerance: 1e-10,
        patience: 50,
    };
    let profile = |value: f64, warm: &[f64]| -> Option<(f64, Vec<f64>)> {
        let reduced = reduced_refs(value);
        let minimum = minimize(&reduced, warm, settings);
        minimum
            .rss
            .is_finite()
            .then_some((minimum.rss.min(f64::MAX), minimum.params))
    };
    // Initial step: a fraction of a decade, scaled by the curvature at the optimum when the
    // Wald half-width is unknown.
    let mut bounds = [None, None];
    for (side, direction) in [(0usize, -1.0f64), (1, 1.0)] {
        // The Wald half-width is usually close to the profile limit: start just inside it
        // so that one or two refits bracket the limit.
        let mut step = wald_half_width
            .filter(|w| w.is_finite() && *w > 1e-6)
            .map_or(0.05, |w| (0.9 * w).min(2.0));
        let mut inside = (log_hat, others.clone(), rss_min - threshold);
        let mut outside = None;
        for _ in 0..MAX_STEPS {
            let value = inside.0 + direction * step;
            if (direction < 0.0 && value < lo_limit) || (direction > 0.0 && value > hi_limit) {
                break;
            }
            let Some((rss, params)) = profile(value, &inside.1) else {
                break;
            };
            if rss >= threshold {
                outside = Some((value, rss - threshold));
                break;
            }
            inside = (value, params, rss - threshold);
            step *= 1.6;
        }
        let Some(mut out) = outside else {
            continue;
        };
        // Illinois false position between inside (f < 0) and outside (f ≥ 0).
        let mut inn = (inside.0, inside.2);
        let mut warm = inside.1.clone();
        let mut last_side = 0i8;
        for _ in 0..MAX_REFINE {
            if (out.0 - inn.0).abs() < 1e-9 {
                break;
            }
            let value = inn.0 - inn.1 * (out.0 - inn.0) / (out.1 - inn.1);
            let value = if value.is_finite() {
                value
            } else {
                0.5 * (inn.0 + out.0)
            };
            let Some((rss, params)) = profile(value, &warm) else {
                break;
            };
            let f = rss - threshold;
            if f.abs() <= 1e-12 * threshold {
                out = (value, f);
                inn = (value, f);
                break;
            }
            if f < 0.0 {
                inn = (value, f);
                warm = params;
                if last_side == -1 {
                    out.1 *= 0.5;
                }
                last_side = -1;
            } else {
                out = (value, f);
                if last_side == 1 {
                    inn.1 *= 0.5;
                }
                last_side = 1;
            }
        }
        bounds[side] = Some(0.5 * (inn.0 + out.0));
    }
    Some(bounds)
}
