//! The least-squares problem of the asymmetric 5PL (see
//! [`super::model::asymmetric_response_and_gradient`]) on one curve, and its fit from the
//! 4PL solution.
//!
//! The solver sees `u = ln S` instead of S: the asymmetry stays positive without a bound,
//! and the steps are scaled sensibly (S = 0.5 and S = 2 are as far from the 4PL's S = 1).
//! The covariance is converted back to S at the optimum (`∂S/∂u = S`, exact for the
//! linearised covariance), so the SE of S is the one a fit in S would report.

use super::curves::{CurveData, ParamRef};
use super::lm::{LeastSquaresModel, Minimum, SolverSettings, minimize, unscaled_covariance};
use super::model::asymmetric_response_and_gradient;

/// The fewest distinct (positive) concentrations a 5PL is fitted to: five parameters need
/// at least six levels to leave one degree of freedom for the shape (Prism advises many
/// more points; QuBAS requires six doses).
pub const MIN_CONCENTRATIONS: usize = 6;

/// Index of the asymmetry S in `[bottom, top, log10_ic50, hill_slope, asymmetry]`.
pub const ASYMMETRY: usize = 4;

/// One 5PL curve: the points and where each of the five parameters comes from (the
/// asymmetry's free slot holds `ln S`).
#[derive(Debug, Clone, PartialEq)]
pub struct FivePlSet {
    /// The points, grouped by concentration (and weighted, for relative weighting).
    pub data: CurveData,
    /// `[bottom, top, log10_ic50, hill_slope, asymmetry]`.
    pub refs: [ParamRef; 5],
    /// Number of free parameters.
    pub n_free: usize,
}

impl FivePlSet {
    /// Bottom and Top free unless fixed; LogIC50, HillSlope and S always free.
    #[must_use]
    pub fn new(data: CurveData, fix_bottom: Option<f64>, fix_top: Option<f64>) -> Self {
        let mut next = 0;
        let mut free = |fixed: Option<f64>| ParamRef::fixed_or_next(fixed, &mut next);
        let refs = [
            free(fix_bottom),
            free(fix_top),
            free(None),
            free(None),
            free(None),
        ];
        Self {
            data,
            refs,
            n_free: next,
        }
    }

    /// The full `[bottom, top, log10_ic50, hill_slope, S]` for a free vector.
    #[must_use]
    pub fn full_params(&self, free: &[f64]) -> [f64; 5] {
        std::array::from_fn(|k| match self.refs[k] {
            ParamRef::Free(i) => {
                let v = free.get(i).copied().unwrap_or(f64::NAN);
                if k == ASYMMETRY { v.exp() } else { v }
            }
            ParamRef::Fixed(v) => v,
        })
    }

    /// The free vector holding `full` (S as `ln S`).
    #[must_use]
    pub fn free_from_full(&self, full: &[f64; 5]) -> Vec<f64> {
        let mut free = vec![0.0; self.n_free];
        for (k, r) in self.refs.iter().enumerate() {
            if let ParamRef::Free(i) = r
                && let Some(slot) = free.get_mut(*i)
            {
                *slot = if k == ASYMMETRY {
                    full[k].ln()
                } else {
                    full[k]
                };
            }
        }
        free
    }

    /// The 5 × 5 covariance of the full parameters (S, not ln S), scaled by `s2`; fixed
    /// parameters get zero rows and columns. `None` when `JᵀJ` is singular.
    #[must_use]
    pub fn covariance(&self, free: &[f64], s2: f64) -> Option<[[f64; 5]; 5]> {
        let unscaled = unscaled_covariance(self, free)?;
        let full = self.full_params(free);
        // d(full_k)/d(free_i): 1, or S for the asymmetry (free slot ln S).
        let factor = |k: usize| if k == ASYMMETRY { full[k] } else { 1.0 };
        let mut out = [[0.0; 5]; 5];
        for (a, ra) in self.refs.iter().enumerate() {
            for (b, rb) in self.refs.iter().enumerate() {
                if let (ParamRef::Free(i), ParamRef::Free(j)) = (ra, rb) {
                    out[a][b] = unscaled[(*i, *j)] * factor(a) * factor(b) * s2;
                }
            }
        }
        out.iter().flatten().all(|v| v.is_finite()).then_some(out)
    }
}

impl LeastSquaresModel for FivePlSet {
    fn n_params(&self) -> usize {
        self.n_free
    }

    fn n_residuals(&self) -> usize {
        self.data.y.len()
    }

    fn rss_offset(&self) -> f64 {
        self.data.pure_error
    }

    fn residuals(&self, params: &[f64], out: &mut [f64]) -> bool {
        let full = self.full_params(params);
        for ((x, y, w), slot) in self.data.levels().zip(out.iter_mut()) {
            *slot = w * (asymmetric_response_and_gradient(full, x).0 - y);
        }
        out.iter().all(|v| v.is_finite())
    }

    fn jacobian(&self, params: &[f64], out: &mut [f64]) -> bool {
        out.fill(0.0);
        let rows = self.n_residuals();
        let full = self.full_params(params);
        for (row, (x, _, w)) in self.data.levels().enumerate() {
            let (_, gradient) = asymmetric_response_and_gradient(full, x);
            for (k, r) in self.refs.iter().enumerate() {
                if let ParamRef::Free(i) = r
                    && let Some(slot) = out.get_mut(i * rows + row)
                {
                    // ∂/∂ln S = S·∂/∂S.
                    let chain = if k == ASYMMETRY { full[k] } else { 1.0 };
                    *slot = w * gradient[k] * chain;
                }
            }
        }
        out.iter().all(|v| v.is_finite())
    }
}

/// The asymmetries tried from the 4PL solution: the 4PL itself and curves skewed either
/// way.
pub const STARTS: [f64; 7] = [1.0, 0.5, 2.0, 0.2, 5.0, 0.08, 12.0];

/// Whether a 5PL minimum is a curve worth reporting: solved, finite, a Hill slope below
/// 50 in size, the midpoint within three decades of the data, S between 1/1000 and 1000
/// (beyond, the curve is a step or a different function, not an asymmetric sigmoid), and
/// Prism's labels: Bottom below Top (a falling curve has HillSlope < 0 and Top at low
/// doses). Unlike the 4PL, the 5PL with its plateaus swapped and HillSlope negated is a
/// different curve (the asymmetry moves to the other end); that mirrored family is not
/// searched.
fn plausible(minimum: &Minimum, set: &FivePlSet, lo: f64, hi: f64) -> bool {
    let full = set.full_params(&minimum.params);
    (minimum.success || minimum.termination == "LostPatience")
        && minimum.rss.is_finite()
        && full[2] > lo - 3.0
        && full[2] < hi + 3.0
        && plausible_shape(&full)
}

/// The shape part of [`plausible`], which also holds for the profile's refits (LogIC50
/// given): a Hill slope below 50 in size, S between 1/1000 and 1000, Bottom below Top.
#[must_use]
pub fn plausible_shape(full: &[f64; 5]) -> bool {
    full[3].abs() < 50.0 && (1e-3..=1e3).contains(&full[ASYMMETRY]) && full[0] <= full[1]
}

/// Fits the 5PL from `starts_4pl` (full 4PL parameters, the best first), each with every
/// asymmetry of a fixed list; returns the plausible minimum with the lowest RSS (ties: the
/// first found, so the result is deterministic) and the evaluations spent. The later starts
/// are tried only while no plausible minimum is found: on the 34 5PL fits of the reference
/// cases and the synthetic plates, the best 4PL solution with its seven asymmetries found
/// every optimum the other starts found.
#[must_use]
pub fn fit_from_4pl(set: &FivePlSet, starts_4pl: &[[f64; 4]]) -> (Option<Minimum>, usize) {
    let (lo, hi) = set.data.tested_log_range();
    // Each run gets 120 evaluations: on the 5PL fits of the reference cases and the
    // synthetic plates every plausible optimum converged within 55, and a run that needs
    // more walks toward a step or S → 0 or ∞ without a proper optimum (with 1,200 those
    // walks cost up to 0.15 s a curve and ended where `plausible` rejects them).
    let settings = SolverSettings {
        patience: 20,
        ..SolverSettings::default()
    };
    let mut evaluations = 0;
    let mut best: Option<Minimum> = None;
    for start in starts_4pl {
        if best.is_some() {
            break;
        }
        if !start.iter().all(|v| v.is_finite()) {
            continue;
        }
        for s in STARTS {
            let full = [start[0], start[1], start[2], start[3], s];
            let minimum = minimize(set, &set.free_from_full(&full), settings);
            evaluations += minimum.evaluations;
            if plausible(&minimum, set, lo, hi)
                && best
                    .as_ref()
                    .is_none_or(|b| minimum.rss < b.rss * (1.0 - 1e-12))
            {
                best = Some(minimum);
            }
        }
    }
    (best, evaluations)
}

/// Several curves of the 5PL family (a 4PL or 3PL curve is one with S fixed at 1) whose
/// `refs` index one shared free vector: the reduced model of the F test of equal IC50s,
/// one LogIC50 for both curves. The residuals are the curves' in turn.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedFivePl {
    /// The curves, each with its references into the shared free vector.
    pub curves: Vec<FivePlSet>,
    /// Number of free parameters.
    pub n_free: usize,
}

impl LeastSquaresModel for SharedFivePl {
    fn n_params(&self) -> usize {
        self.n_free
    }

    fn n_residuals(&self) -> usize {
        self.curves.iter().map(|c| c.data.y.len()).sum()
    }

    fn rss_offset(&self) -> f64 {
        self.curves.iter().map(|c| c.data.pure_error).sum()
    }

    fn residuals(&self, params: &[f64], out: &mut [f64]) -> bool {
        let mut start = 0;
        for curve in &self.curves {
            let rows = curve.data.y.len();
            let Some(slice) = out.get_mut(start..start + rows) else {
                return false;
            };
            // Each curve reads the shared vector through its own references.
            if !curve.residuals(params, slice) {
                return false;
            }
            start += rows;
        }
        true
    }

    fn jacobian(&self, params: &[f64], out: &mut [f64]) -> bool {
        let total = self.n_residuals();
        out.fill(0.0);
        let mut start = 0;
        let mut own = Vec::new();
        for curve in &self.curves {
            let rows = curve.data.y.len();
            own.clear();
            own.resize(rows * self.n_free, 0.0);
            if !curve.jacobian(params, &mut own) {
                return false;
            }
            for column in 0..self.n_free {
                for row in 0..rows {
                    if let Some(slot) = out.get_mut(column * total + start + row) {
                        *slot = own[column * rows + row];
                    }
                }
            }
            start += rows;
        }
        true
    }
}
