//! Start values for the 4PL fit, derived from the data, and a small deterministic grid of
//! restarts when the first fit fails or lands somewhere implausible.
//!
//! Plateaus come from the mean responses at the lowest and highest concentrations, LogIC50
//! from where the level means cross the midpoint, the Hill slope from a logit regression.
//! Starting with the right sign matters: a falling curve started with a positive slope
//! converges to a mirror solution or a poor local minimum.

use super::FitOptions;
use super::curves::{CurveData, CurveSet};
use super::lm::{Minimum, SolverSettings, minimize};
use super::model::fraction_of_top;

/// Mean response per distinct log-concentration level, ascending (−∞ first).
#[must_use]
pub fn level_means(data: &CurveData) -> Vec<(f64, f64)> {
    data.log_x
        .iter()
        .copied()
        .zip(data.y.iter().copied())
        .collect()
}

/// Data-derived start values `[bottom, top, log10_ic50, hill_slope]`.
#[must_use]
pub fn start_values(data: &CurveData, options: &FitOptions) -> [f64; 4] {
    let levels = level_means(data);
    let low_dose = levels.first().map_or(100.0, |l| l.1);
    let high_dose = levels.last().map_or(0.0, |l| l.1);
    // With a plateau fixed, Top is the zero-dose level and Bottom the infinite-dose level
    // (Prism's "log(inhibitor) vs. response"): the start falls.
    let falling = low_dose >= high_dose || fixed_plateau(options);
    let (mut top, mut bottom) = if falling {
        (low_dose, high_dose)
    } else {
        (high_dose, low_dose)
    };
    if let Some(v) = options.fix_top {
        top = v;
    }
    if let Some(v) = options.fix_bottom {
        bottom = v;
    }
    if (top - bottom).abs() < 1e-9 {
        top = bottom + 1.0;
    }
    let finite: Vec<(f64, f64)> = levels.iter().copied().filter(|l| l.0.is_finite()).collect();
    let lo = finite.first().map_or(0.0, |l| l.0);
    let hi = finite.last().map_or(0.0, |l| l.0);
    let mid = 0.5 * (top + bottom);
    let mut log_ic50 = None;
    for pair in finite.windows(2) {
        let (x0, y0) = pair[0];
        let (x1, y1) = pair[1];
        if (y0 - mid) * (y1 - mid) <= 0.0 && (y1 - y0).abs() > 0.0 {
            log_ic50 = Some(x0 + (mid - y0) / (y1 - y0) * (x1 - x0));
            break;
        }
    }
    let log_ic50 = log_ic50.unwrap_or_else(|| {
        finite
            .iter()
            .min_by(|a, b| (a.1 - mid).abs().total_cmp(&(b.1 - mid).abs()))
            .map_or(0.5 * (lo + hi), |l| l.0)
    });
    // Logit regression of the responses between the plateaus: log10((1 − v)/v) = (L − X)·h.
    let (mut sx, mut sw, mut sxx, mut sxw, mut count) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let span = top - bottom;
    for ((x, y), replicates) in data.log_x.iter().zip(&data.y).zip(&data.count) {
        if !x.is_finite() {
            continue;
        }
        let weight = *replicates as f64;
        // v is the fraction of the way from bottom to top, as the model's s (falling: top at
        // low dose). For a rising curve the same formula holds with the roles swapped.
        let v = (y - bottom) / span;
        if !(0.05..=0.95).contains(&v) {
            continue;
        }
        let w = ((1.0 - v) / v).log10();
        sx += weight * x;
        sw += weight * w;
        sxx += weight * x * x;
        sxw += weight * x * w;
        count += weight;
    }
    let sign = if falling { -1.0 } else { 1.0 };
    let denominator = count * sxx - sx * sx;
    let mut hill = sign;
    if count >= 2.0 && denominator.abs() > 1e-12 {
        let slope = (count * sxw - sx * sw) / denominator;
        let candidate = -slope;
        if candidate * sign > 0.0 {
            hill = sign * candidate.abs().clamp(0.3, 5.0);
        }
    }
    let log_ic50 = log_ic50.clamp(lo - 3.0, hi + 3.0);
    let (bottom, top) = refine_plateaus(data, options, [bottom, top, log_ic50, hill]);
    [bottom, top, log_ic50, hill]
}

/// The plateaus enter the model linearly: given the start's LogIC50 and Hill slope, the
/// best Bottom and Top are a 2 × 2 weighted least-squares problem. Solving it puts the
/// start closer to the optimum (fewer solver iterations); the plateaus from the level
/// means are kept when the solution is degenerate or turns the curve over.
fn refine_plateaus(data: &CurveData, options: &FitOptions, start: [f64; 4]) -> (f64, f64) {
    let [bottom, top, log_ic50, hill] = start;
    if options.fix_bottom.is_some() && options.fix_top.is_some() {
        return (bottom, top);
    }
    let Some((new_bottom, new_top)) = best_plateaus(data, options, log_ic50, hill, 1e-9) else {
        return (bottom, top);
    };
    let same_orientation = (new_top - new_bottom) * (top - bottom) > 0.0;
    if new_bottom.is_finite() && new_top.is_finite() && same_orientation {
        (new_bottom, new_top)
    } else {
        (bottom, top)
    }
}

/// The best Bottom and Top for a given LogIC50 and Hill slope: the normal equations of
/// `y ≈ bottom·(1 − s) + top·s` over the level means, weighted by the replicate counts, with
/// fixed plateaus kept. `None` when the free 2 × 2 system is degenerate (determinant below
/// `degenerate` relative).
fn best_plateaus(
    data: &CurveData,
    options: &FitOptions,
    log_ic50: f64,
    hill: f64,
    degenerate: f64,
) -> Option<(f64, f64)> {
    let (mut bb, mut bt, mut tt, mut by, mut ty) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for ((x, y), count) in data.log_x.iter().zip(&data.y).zip(&data.count) {
        let w = *count as f64;
        let s = fraction_of_top(log_ic50, hill, *x);
        let (b, t) = (1.0 - s, s);
        bb += w * b * b;
        bt += w * b * t;
        tt += w * t * t;
        by += w * b * y;
        ty += w * t * y;
    }
    match (options.fix_bottom, options.fix_top) {
        (Some(b), Some(t)) => Some((b, t)),
        (Some(b), None) => Some((b, (ty - bt * b) / tt)),
        (None, Some(t)) => Some(((by - bt * t) / bb, t)),
        (None, None) => {
            let det = bb * tt - bt * bt;
            (!det.is_nan() && det > degenerate * bb * tt)
                .then(|| ((by * tt - bt * ty) / det, (bb * ty - bt * by) / det))
        }
    }
}

/// The weighted residual sum of squares over the level means with the best plateaus for a
/// given LogIC50 and Hill slope (fixed plateaus respected), and those plateaus.
fn projected_rss(
    data: &CurveData,
    options: &FitOptions,
    log_ic50: f64,
    hill: f64,
) -> Option<(f64, f64, f64)> {
    let (bottom, top) = best_plateaus(data, options, log_ic50, hill, 1e-12)?;
    let mut rss = 0.0;
    for ((x, y), count) in data.log_x.iter().zip(&data.y).zip(&data.count) {
        let s = fraction_of_top(log_ic50, hill, *x);
        let r = bottom + (top - bottom) * s - y;
        rss += *count as f64 * r * r;
    }
    (rss.is_finite() && bottom.is_finite() && top.is_finite()).then_some((rss, bottom, top))
}

/// The `count` best starts `[bottom, top, log10_ic50, hill]` on a grid of LogIC50 (two
/// decades beyond the data, quarter-decade steps) × falling Hill slopes (0.3 to 8), with the
/// best plateaus at each grid point. Falling slopes cover every curve: with free plateaus a
/// rising curve is the same curve with Bottom and Top swapped.
#[must_use]
pub fn grid_starts(
    data: &CurveData,
    options: &FitOptions,
    lo: f64,
    hi: f64,
    count: usize,
) -> Vec<[f64; 4]> {
    const HILLS: [f64; 7] = [-0.3, -0.6, -1.0, -1.6, -2.5, -4.0, -8.0];
    let steps = (((hi - lo) + 4.0) / 0.25).ceil().clamp(1.0, 80.0) as usize;
    let mut scored: Vec<(f64, [f64; 4])> = Vec::with_capacity(steps * HILLS.len());
    for k in 0..=steps {
        let log_ic50 = lo - 2.0 + k as f64 * 0.25;
        for hill in HILLS {
            if let Some((rss, bottom, top)) = projected_rss(data, options, log_ic50, hill) {
                scored.push((rss, [bottom, top, log_ic50, hill]));
            }
        }
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Distinct starts: not two at the same slope within half a decade.
    let mut chosen: Vec<[f64; 4]> = Vec::with_capacity(count);
    for (_, start) in scored {
        if chosen.len() == count {
            break;
        }
        let near = chosen
            .iter()
            .any(|c| (c[3] - start[3]).abs() < 1e-12 && (c[2] - start[2]).abs() < 0.5);
        if !near {
            chosen.push(start);
        }
    }
    chosen
}

/// Whether Top or Bottom is fixed: then the fixed values keep their meaning (Top at dose
/// zero, Bottom at infinite dose) and only falling orientations (Hill ≤ 0) are fitted.
fn fixed_plateau(options: &FitOptions) -> bool {
    options.fix_top.is_some() || options.fix_bottom.is_some()
}

fn plausible(minimum: &Minimum, set: &CurveSet, lo: f64, hi: f64, falling_only: bool) -> bool {
    let full = set.full_params(&minimum.params);
    minimum.success
        && minimum.rss.is_finite()
        && full[3].abs() < 50.0
        && full[2] > lo - 3.0
        && full[2] < hi + 3.0
        && !(falling_only && full[3] > 0.0)
}

/// Fits from the data-derived start, retrying from a small fixed grid when that fails or
/// lands implausibly (|Hill| ≥ 50, LogIC50 more than 3 decades outside the data); returns
/// the successful minimum with the lowest RSS.
#[must_use]
pub fn fit_with_restarts(
    set: &CurveSet,
    data: &CurveData,
    options: &FitOptions,
) -> Option<Minimum> {
    let settings = SolverSettings::default();
    let start = start_values(data, options);
    let (lo, hi) = data.tested_log_range();
    let falling_only = fixed_plateau(options);
    // A 4PL from a data-derived start converges in well under 20 evaluations; a run that
    // needs more than 50 is walking a valley without a proper optimum, and the grid below
    // is the better use of the budget.
    let first_settings = SolverSettings {
        tolerance: settings.tolerance,
        patience: 10,
    };
    let first = minimize(set, &set.free_from_full(&start), first_settings);
    let mut evaluations = first.evaluations;
    if plausible(&first, set, lo, hi, falling_only) {
        return Some(first);
    }
    // A run that used up its budget walking along a diverging valley (an incomplete curve
    // whose IC50 runs off beyond the data) still holds a valid, lower RSS: it is a candidate
    // too, and the classification flags where it went. With a fixed plateau only falling
    // orientations count (a rising one would put the fixed Top at infinite dose).
    let usable = |m: &Minimum| {
        (m.success || m.termination == "LostPatience")
            && m.rss.is_finite()
            && !(falling_only && set.full_params(&m.params)[3] > 0.0)
    };
    let rising_first = (!usable(&first) && first.rss.is_finite()).then(|| first.clone());
    let mut best = usable(&first).then_some(first);
    // Where the data-derived start failed, scan (LogIC50, Hill) on a grid with the best
    // plateaus for each point (they enter the model linearly), and polish the best few grid
    // points with short solver runs. The cost is bounded by design: a fixed grid, a fixed
    // number of polishing runs, each with a small evaluation budget (30 for four
    // parameters: a curve without a proper optimum walks a diverging valley; the verdict,
    // not the walk, says so).
    let polish = SolverSettings {
        tolerance: settings.tolerance,
        patience: 6,
    };
    for trial in grid_starts(data, options, lo, hi, 2) {
        let minimum = minimize(set, &set.free_from_full(&trial), polish);
        evaluations += minimum.evaluations;
        if usable(&minimum)
            && best
                .as_ref()
                .is_none_or(|b| minimum.rss < b.rss * (1.0 - 1e-12))
        {
            best = Some(minimum);
        }
    }
    best.or(rising_first).map(|mut b| {
        b.evaluations = evaluations;
        b
    })
}
