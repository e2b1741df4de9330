//! Profile-likelihood confidence interval of LogIC50 (Prism's "asymmetrical" CI).
//!
//! The limits are the LogIC50 values where the RSS minimized over the other parameters,
//! with LogIC50 held fixed, reaches `RSS_min · (1 + t²(0.975, df)/df)` (the F(1, df) limit).
//! Each side is bracketed by stepping outwards, then solved by Illinois false position.
//! A side whose profile never reaches the threshold within 3 decades beyond the tested
//! range is reported as open (`None`).

use std::cell::RefCell;

use super::curves::{CurveData, CurveSet, ParamRef};
use super::lm::{LeastSquaresModel, SolverSettings, minimize};
use super::model::fraction_of_top;

/// Refits allowed per side.
const MAX_REFITS: usize = 60;

/// One curve with LogIC50 held fixed, seen as a problem in the Hill slope alone (variable
/// projection, Golub & Pereyra): for any slope the model is linear in the free plateaus, so
/// they are solved exactly by weighted linear least squares, and the solver moves one
/// parameter instead of three. The minimum over the slope is the minimum over all three.
///
/// The Jacobian is Kaufman's: the slope derivative projected onto the orthogonal complement
/// of the plateau columns. At the linear optimum the residuals already lie in that
/// complement, so the gradient `Jᵀr` is exact.
struct ProjectedProfile<'a> {
    data: &'a CurveData,
    /// Fixed `[bottom, top]`; `None` where the plateau is solved for.
    fixed: [Option<f64>; 2],
    log_ic50: f64,
    /// The projection at the slope last asked for: the solver asks for the Jacobian at the
    /// point whose residuals it has just computed.
    last: RefCell<Option<Projection>>,
}

/// The linear part solved at one slope.
#[derive(Clone)]
struct Projection {
    hill: f64,
    /// The fraction of Top at each level (`s`; Bottom's column is `1 − s`).
    s: Vec<f64>,
    /// `[bottom, top]`: the fixed values and the least-squares free ones.
    plateaus: [f64; 2],
    /// The inverse of the weighted normal matrix of the free plateau columns (zero rows and
    /// columns for fixed plateaus); `None` when the free columns are (nearly) dependent.
    inverse: Option<[[f64; 2]; 2]>,
}

impl ProjectedProfile<'_> {
    fn project(&self, hill: f64) -> Projection {
        if let Some(last) = self.last.borrow().as_ref()
            && last.hill.to_bits() == hill.to_bits()
        {
            return last.clone();
        }
        let free = self.fixed.map(|f| f.is_none());
        let fixed = self.fixed.map(|f| f.unwrap_or(0.0));
        let s: Vec<f64> = self
            .data
            .log_x
            .iter()
            .map(|x| fraction_of_top(self.log_ic50, hill, *x))
            .collect();
        // Normal equations Σ nₗ aᵢ aⱼ · p = Σ nₗ aᵢ (ȳₗ − fixed part), a = (1 − s, s).
        let mut m = [[0.0; 2]; 2];
        let mut rhs = [0.0; 2];
        let mut weighted_sum = 0.0;
        let mut total = 0.0;
        for ((s, y), n) in s.iter().zip(&self.data.y).zip(&self.data.count) {
            let n = *n as f64;
            let a = [1.0 - s, *s];
            let target = y
                - (0..2)
                    .filter(|k| !free[*k])
                    .map(|k| a[k] * fixed[k])
                    .sum::<f64>();
            for i in 0..2 {
                rhs[i] += n * a[i] * target;
                for j in 0..2 {
                    m[i][j] += n * a[i] * a[j];
                }
            }
            weighted_sum += n * y;
            total += n;
        }
        let inverse = match free {
            [true, true] => {
                let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
                (det > 1e-12 * m[0][0] * m[1][1]).then(|| {
                    [
                        [m[1][1] / det, -m[0][1] / det],
                        [-m[1][0] / det, m[0][0] / det],
                    ]
                })
            }
            [true, false] => (m[0][0] > 1e-300).then(|| [[1.0 / m[0][0], 0.0], [0.0, 0.0]]),
            [false, true] => (m[1][1] > 1e-300).then(|| [[0.0, 0.0], [0.0, 1.0 / m[1][1]]]),
            [false, false] => Some([[0.0; 2]; 2]),
        };
        let plateaus = match inverse {
            Some(inv) => std::array::from_fn(|i| {
                if free[i] {
                    inv[i][0] * rhs[0] + inv[i][1] * rhs[1]
                } else {
                    fixed[i]
                }
            }),
            // Dependent columns: any combination with the same fitted values solves it; a
            // flat line through the data (at the fixed plateau, if one is fixed).
            None => {
                let flat = self.fixed[0]
                    .or(self.fixed[1])
                    .unwrap_or(weighted_sum / total.max(1.0));
                self.fixed.map(|f| f.unwrap_or(flat))
            }
        };
        let projection = Projection {
            hill,
            s,
            plateaus,
            inverse,
        };
        *self.last.borrow_mut() = Some(projection.clone());
        projection
    }
}

impl LeastSquaresModel for ProjectedProfile<'_> {
    fn n_params(&self) -> usize {
        1
    }

    fn n_residuals(&self) -> usize {
        self.data.y.len()
    }

    fn rss_offset(&self) -> f64 {
        self.data.pure_error
    }

    fn residuals(&self, params: &[f64], out: &mut [f64]) -> bool {
        let Some(&hill) = params.first() else {
            return false;
        };
        let Projection {
            s,
            plateaus: [bottom, top],
            ..
        } = self.project(hill);
        for (((slot, s), y), n) in out
            .iter_mut()
            .zip(&s)
            .zip(&self.data.y)
            .zip(&self.data.count)
        {
            *slot = (*n as f64).sqrt() * (bottom + (top - bottom) * s - y);
        }
        out.iter().all(|v| v.is_finite())
    }

    fn jacobian(&self, params: &[f64], out: &mut [f64]) -> bool {
        let Some(&hill) = params.first() else {
            return false;
        };
        let Projection {
            s,
            plateaus: [bottom, top],
            inverse,
            ..
        } = self.project(hill);
        // g = W ∂f/∂hill; then g − W A (AᵀW²A)⁻¹ AᵀW g over the free columns A (the
        // inverse has zero rows and columns for fixed plateaus).
        let mut projection = [0.0; 2];
        for (((slot, s), x), n) in out
            .iter_mut()
            .zip(&s)
            .zip(&self.data.log_x)
            .zip(&self.data.count)
        {
            let derivative = if *x == f64::NEG_INFINITY {
                0.0
            } else {
                -(top - bottom) * std::f64::consts::LN_10 * s * (1.0 - s) * (self.log_ic50 - x)
            };
            let w = (*n as f64).sqrt();
            *slot = w * derivative;
            projection[0] += w * (1.0 - s) * *slot;
            projection[1] += w * s * *slot;
        }
        if let Some(inv) = inverse {
            let coef = [
                inv[0][0] * projection[0] + inv[0][1] * projection[1],
                inv[1][0] * projection[0] + inv[1][1] * projection[1],
            ];
            for ((slot, s), n) in out.iter_mut().zip(&s).zip(&self.data.count) {
                *slot -= (*n as f64).sqrt() * ((1.0 - s) * coef[0] + s * coef[1]);
            }
        }
        out.iter().all(|v| v.is_finite())
    }
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
    let target = (threshold - rss_min).sqrt();
    let (lo_limit, hi_limit) = tested_range.map_or((log_hat - 6.0, log_hat + 6.0), |(lo, hi)| {
        (lo.log10() - 3.0, hi.log10() + 3.0)
    });
    // One curve: the slope alone, plateaus projected out. Several curves (a joint fit):
    // the reduced set, LogIC50 fixed and the other free parameters renumbered.
    let fixed_value = |r: ParamRef| match r {
        ParamRef::Fixed(v) => Some(v),
        ParamRef::Free(_) => None,
    };
    let mut projected = match (set.curves.as_slice(), refs[3]) {
        ([(data, _)], ParamRef::Free(_)) => Some(ProjectedProfile {
            data,
            fixed: [fixed_value(refs[0]), fixed_value(refs[1])],
            log_ic50: log_hat,
            last: RefCell::new(None),
        }),
        _ => None,
    };
    let mut reduced = set.clone();
    let mut fixed_slots = Vec::new();
    for (curve, (_, refs)) in reduced.curves.iter_mut().enumerate() {
        for (slot, r) in refs.iter_mut().enumerate() {
            *r = match *r {
                ParamRef::Free(i) if i == log_idx => {
                    fixed_slots.push((curve, slot));
                    ParamRef::Fixed(log_hat)
                }
                ParamRef::Free(i) if i > log_idx => ParamRef::Free(i - 1),
                other => other,
            };
        }
    }
    reduced.n_free -= 1;
    let others: Vec<f64> = if projected.is_some() {
        vec![set.full_params(free_at_optimum)[3]]
    } else {
        free_at_optimum
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != log_idx)
            .map(|(_, v)| *v)
            .collect()
    };
    let settings = SolverSettings {
        tolerance: 1e-10,
        patience: 20,
    };
    // z(v) and the refitted other parameters (the slope alone for one curve) at
    // LogIC50 = v.
    let mut profile = |value: f64, warm: &[f64]| -> Option<(f64, Vec<f64>)> {
        let minimum = if let Some(model) = projected.as_mut() {
            model.log_ic50 = value;
            model.last = RefCell::new(None);
            minimize(model, warm, settings)
        } else {
            for &(curve, slot) in &fixed_slots {
                reduced.curves[curve].1[slot] = ParamRef::Fixed(value);
            }
            minimize(&reduced, warm, settings)
        };
        minimum
            .rss
            .is_finite()
            .then(|| ((minimum.rss - rss_min).max(0.0).sqrt(), minimum.params))
    };
    let initial_step = wald_half_width
        .filter(|w| w.is_finite() && *w > 1e-6)
        .map_or(0.05, |w| w.min(2.0));
    let mut bounds = [None, None];
    for (side, direction) in [(0usize, -1.0f64), (1, 1.0)] {
        let limit = if direction < 0.0 {
            log_hat - lo_limit
        } else {
            hi_limit - log_hat
        };
        // Distances from the estimate. `inside`: the farthest point with z < z* (and the
        // parameters there, the warm start of the next refit); `outside`: the nearest point
        // with z ≥ z*, once one is found; `older`/`latest`: the last two points, for the
        // secant.
        let mut inside = (0.0f64, 0.0f64, others.clone());
        let mut outside: Option<(f64, f64)> = None;
        let mut older = (0.0f64, 0.0f64);
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
        bounds[side] = found.map(|d| log_hat + direction * d);
    }
    Some(bounds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::model::response_and_gradient;

    fn curve() -> CurveData {
        let truth = [4.0, 97.0, -0.3, -1.3];
        let points = (0..9).flat_map(|k| {
            let x = 1.7 - 0.5 * f64::from(k);
            (0..3).map(move |r| {
                let noise = [1.9, -2.3, 0.7][r] * (1.0 + 0.1 * f64::from(k));
                (x, response_and_gradient(truth, x).0 + noise)
            })
        });
        CurveData::from_points(
            points.chain([(f64::NEG_INFINITY, 101.0), (f64::NEG_INFINITY, 98.5)]),
        )
    }

    /// The slope-only problem with the plateaus projected out reaches the same minimum as
    /// the solver moving the plateaus too, with both plateaus free, one fixed or both fixed.
    #[test]
    fn projected_profile_equals_the_full_refit() {
        let data = curve();
        for fixed in [
            [None, None],
            [Some(0.0), None],
            [None, Some(100.0)],
            [Some(2.0), Some(100.0)],
        ] {
            for log_ic50 in [-1.2, -0.6, -0.3, 0.2, 0.9] {
                let model = ProjectedProfile {
                    data: &data,
                    fixed,
                    log_ic50,
                    last: RefCell::new(None),
                };
                let settings = SolverSettings::default();
                let projected = minimize(&model, &[-1.0], settings);
                let mut next = 0;
                let mut slot = |f: Option<f64>| {
                    f.map_or_else(
                        || {
                            next += 1;
                            ParamRef::Free(next - 1)
                        },
                        ParamRef::Fixed,
                    )
                };
                let refs = [
                    slot(fixed[0]),
                    slot(fixed[1]),
                    ParamRef::Fixed(log_ic50),
                    slot(None),
                ];
                let set = CurveSet {
                    curves: vec![(data.clone(), refs)],
                    n_free: next,
                };
                let start: Vec<f64> = [
                    fixed[0].map_or(Some(5.0), |_| None),
                    fixed[1].map_or(Some(95.0), |_| None),
                    Some(-1.0),
                ]
                .into_iter()
                .flatten()
                .collect();
                let full = minimize(&set, &start, settings);
                assert!(projected.success && full.success, "{fixed:?} {log_ic50}");
                assert!(
                    (projected.rss / full.rss - 1.0).abs() < 1e-9,
                    "{fixed:?} at {log_ic50}: projected {} vs full {}",
                    projected.rss,
                    full.rss
                );
                // With both plateaus free the mirror curve (slope negated, plateaus swapped)
                // is the same curve: compare magnitudes.
                let hill = full.params[full.params.len() - 1];
                assert!(
                    (projected.params[0].abs() - hill.abs()).abs() < 1e-5 * hill.abs().max(1.0),
                    "{fixed:?} at {log_ic50}: hill {} vs {hill}, rss {} {}",
                    projected.params[0],
                    projected.rss,
                    full.rss
                );
            }
        }
    }
}
