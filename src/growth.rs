//! Growth-rate inhibition (GR) metrics (Hafner, Niepel, Chung & Sorger 2016, Nat Methods
//! 13:521) and the NCI-60 GI50, TGI and LC50: the answers that do not depend on how fast the
//! cells divide, computed when the plate set holds a time-zero read.
//!
//! With `x0` the blank-subtracted signal at drug addition (the `t0` wells of the line, on the
//! end-point plate or on a separate time-zero plate), `x(c)` a treated well's and `x_ctrl` the
//! mean vehicle signal at the end of the assay (all blank-subtracted):
//!
//! - GR value per well: `GR(c) = 2^(log2(x(c)/x0) / log2(x_ctrl/x0)) − 1`; `x(c)/x0` is floored
//!   at 1e-6 as the GRmetrics Python package does (a well without signal has GR ≈ −1).
//! - Vehicle growth of a line: `log2(x_ctrl/x0)` doublings over the assay.
//! - The GR curve `GR(c) = GRinf + (1 − GRinf)/(1 + (c/GEC50)^h)`, fitted by least squares to
//!   every treated well's GR value, with GRmetrics' box: GRinf ∈ [−1, 1], log10 GEC50 within
//!   two decades of the tested range, h ∈ [0.1, 5]. The minimum over the box is found by
//!   Levenberg–Marquardt on every face of the box (each parameter free, at its lower or at
//!   its upper bound), from a small deterministic set of starts.
//! - A flat line (the mean GR) replaces the curve when the extra-sum-of-squares F test
//!   `F = ((RSS_flat − RSS)/2) / (RSS/(n − 3))`, p from F(2, n − 3), gives p > 0.05.
//! - GR50: where the fitted curve crosses 0.5, `GEC50·((1 − GRinf)/(0.5 − GRinf) − 1)^(1/h)`;
//!   "> top" when GRinf ≥ 0.5 or the crossing lies above the highest tested concentration,
//!   "< lowest" below the lowest (the IC50 verdicts' convention).
//! - GRmax: GRmetrics' definition — the lower of the mean GR values at the two highest
//!   tested concentrations (the observed effect at the top of the range, robust to one
//!   outlying dose).
//! - GR_AOC: the trapezoid area between 1 and the mean GR per concentration over log10
//!   concentration, divided by the log10 range (GRmetrics' Python normalisation).
//! - NCI-60: percent growth `PG = 100·(x − x0)/(x_ctrl − x0)` when `x ≥ x0`, else
//!   `100·(x − x0)/x0`; GI50 where PG = 50, TGI where PG = 0 (x = x0), LC50 where PG = −50.
//!   Interpolated on the observed curve (mean PG per concentration, linear in log10
//!   concentration between the two tested concentrations where PG first falls to the level,
//!   as the NCI screen does); "> top" when never reached, "< lowest" when reached already at
//!   the lowest concentration.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analysis::{CurveResult, PlateAnalysis, PlateInput};
use crate::compare::Comparison;
use crate::fit::Estimate;
use crate::fit::lm::{LeastSquaresModel, SolverSettings, minimize};
use crate::layout::{CurveKey, Layout, WellRole};
use crate::plate::WellId;
use crate::stats::{f_upper_tail, mean};

/// Two compared lines whose vehicle doublings differ by more than this factor make the
/// IC50-based resistance index confounded by division rate. At a fixed end point a given
/// growth-rate inhibition GR leaves `2^(N·(log2(1 + GR) − 1))` of the vehicle signal after
/// N doublings: at GR = 0.5 that is 42 % for N = 3 but 52 % for N = 2.4 — a line dividing
/// 25 % slower already moves across the IC50 level with the same drug effect.
pub const DOUBLINGS_RATIO_WARNING: f64 = 1.25;

/// Below this many vehicle doublings over the assay GR values are dominated by noise
/// (the denominator `log2(x_ctrl/x0)` is small).
pub const FEW_DOUBLINGS: f64 = 1.0;

/// The floor of `x(c)/x0` before taking log2 (GRmetrics' Python `_normalize_log2`).
pub const MIN_RELATIVE_TO_T0: f64 = 1e-6;

/// p-value above which the flat line replaces the GR curve (GRmetrics' 0.05).
pub const FLAT_P_VALUE: f64 = 0.05;

/// The GR value of a well: `2^(log2(x/x0)/log2(x_ctrl/x0)) − 1`, with `x/x0` floored at
/// [`MIN_RELATIVE_TO_T0`]. None unless `x0 > 0` and `x_ctrl > x0`.
#[must_use]
pub fn gr_value(x: f64, x0: f64, x_ctrl: f64) -> Option<f64> {
    if !(x.is_finite() && x0 > 0.0 && x_ctrl > x0 && x_ctrl.is_finite()) {
        return None;
    }
    let treated = (x / x0).max(MIN_RELATIVE_TO_T0).log2();
    let control = (x_ctrl / x0).log2();
    Some(2f64.powf(treated / control) - 1.0)
}

/// NCI-60 percent growth: `100·(x − x0)/(x_ctrl − x0)` when `x ≥ x0`, else `100·(x − x0)/x0`.
#[must_use]
pub fn percent_growth(x: f64, x0: f64, x_ctrl: f64) -> Option<f64> {
    if !(x.is_finite() && x0 > 0.0 && x_ctrl > x0 && x_ctrl.is_finite()) {
        return None;
    }
    Some(if x >= x0 {
        100.0 * (x - x0) / (x_ctrl - x0)
    } else {
        100.0 * (x - x0) / x0
    })
}

/// Parameters of the GR curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GrParams {
    /// GR at infinite concentration.
    pub grinf: f64,
    /// log10 of the concentration of half effect (GR halfway between 1 and GRinf).
    pub log10_gec50: f64,
    /// Hill coefficient (positive for a falling curve).
    pub hill: f64,
}

/// `w = 1/(1 + 10^(−s))` computed without overflow.
fn toward_inf(s: f64) -> f64 {
    let z = s * std::f64::consts::LN_10;
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl GrParams {
    /// The curve's GR at a concentration (1 at concentration 0).
    #[must_use]
    pub fn gr(&self, concentration: f64) -> f64 {
        if concentration <= 0.0 {
            return 1.0;
        }
        let w = toward_inf(self.hill * (concentration.log10() - self.log10_gec50));
        self.grinf + (1.0 - self.grinf) * (1.0 - w)
    }

    /// Where the curve crosses `level` (None when it never does).
    #[must_use]
    pub fn crossing(&self, level: f64) -> Option<f64> {
        if !(level < 1.0 && level > self.grinf) {
            return None;
        }
        let ratio = (1.0 - self.grinf) / (level - self.grinf) - 1.0;
        let c = 10f64.powf(self.log10_gec50) * ratio.powf(1.0 / self.hill);
        (c.is_finite() && c > 0.0).then_some(c)
    }
}

/// The least-squares fit of the GR curve to a curve's GR values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrFit {
    /// The sigmoid's parameters (also when the flat line was kept).
    pub params: GrParams,
    /// RSS of the sigmoid.
    pub rss: f64,
    /// RSS of the flat line (the mean GR): the total sum of squares.
    pub rss_flat: f64,
    /// Number of GR values fitted.
    pub n: usize,
    /// p of the F test of the sigmoid against the flat line.
    pub p_flat: Option<f64>,
    /// The flat line was kept (p > 0.05): no dose dependence shown.
    pub flat: bool,
    /// The mean GR (the flat line's level).
    pub flat_value: f64,
    /// R² of the sigmoid.
    pub r_squared: Option<f64>,
}

impl GrFit {
    /// The fitted GR at a concentration: the sigmoid, or the flat line when it was kept.
    #[must_use]
    pub fn predict(&self, concentration: f64) -> f64 {
        if self.flat {
            self.flat_value
        } else {
            self.params.gr(concentration)
        }
    }
}

/// The GR curve with some parameters held at a bound.
struct GrModel<'a> {
    log10_x: &'a [f64],
    y: &'a [f64],
    /// `Some(value)`: the parameter is held there.
    held: [Option<f64>; 3],
}

impl GrModel<'_> {
    fn full(&self, free: &[f64]) -> [f64; 3] {
        let mut values = free.iter();
        self.held
            .map(|held| held.unwrap_or_else(|| values.next().copied().unwrap_or(f64::NAN)))
    }
}

impl LeastSquaresModel for GrModel<'_> {
    fn n_params(&self) -> usize {
        self.held.iter().filter(|h| h.is_none()).count()
    }

    fn n_residuals(&self) -> usize {
        self.y.len()
    }

    fn residuals(&self, params: &[f64], out: &mut [f64]) -> bool {
        let [grinf, log10_gec50, hill] = self.full(params);
        for ((x, y), r) in self.log10_x.iter().zip(self.y).zip(out.iter_mut()) {
            let w = toward_inf(hill * (x - log10_gec50));
            *r = grinf + (1.0 - grinf) * (1.0 - w) - y;
        }
        out.iter().all(|r| r.is_finite())
    }

    fn jacobian(&self, params: &[f64], out: &mut [f64]) -> bool {
        let [grinf, log10_gec50, hill] = self.full(params);
        let rows = self.y.len();
        for (row, x) in self.log10_x.iter().enumerate() {
            let w = toward_inf(hill * (x - log10_gec50));
            let slope = (1.0 - grinf) * std::f64::consts::LN_10 * w * (1.0 - w);
            let derivatives = [w, slope * hill, -slope * (x - log10_gec50)];
            let mut col = 0;
            for (param, derivative) in derivatives.iter().enumerate() {
                if self.held[param].is_none() {
                    out[col * rows + row] = *derivative;
                    col += 1;
                }
            }
        }
        out.iter().all(|v| v.is_finite())
    }
}

/// GRmetrics' box for the GR curve: `[lower, upper]` per parameter.
fn bounds(log10_x: &[f64]) -> [[f64; 2]; 3] {
    let lo = log10_x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = log10_x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    [[-1.0, 1.0], [lo - 2.0, hi + 2.0], [0.1, 5.0]]
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

/// Fits the GR curve to `(concentration, GR)` points (concentrations above 0). None with
/// fewer than 4 points or fewer than 2 distinct concentrations.
#[must_use]
pub fn fit_gr(points: &[(f64, f64)]) -> Option<GrFit> {
    let usable: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(c, g)| *c > 0.0 && c.is_finite() && g.is_finite())
        .collect();
    let levels: BTreeSet<u64> = usable.iter().map(|(c, _)| c.to_bits()).collect();
    if usable.len() < 4 || levels.len() < 2 {
        return None;
    }
    let log10_x: Vec<f64> = usable.iter().map(|(c, _)| c.log10()).collect();
    let y: Vec<f64> = usable.iter().map(|(_, g)| *g).collect();
    let box_ = bounds(&log10_x);
    let mid = median(&log10_x);
    // GRmetrics' prior first, then a small grid around it.
    let mut starts: Vec<[f64; 3]> = vec![[0.1, mid, 2.0]];
    for grinf in [-0.5, 0.1, 0.6] {
        for offset in [-1.0, 0.0, 1.0] {
            for hill in [0.7, 2.0, 4.0] {
                starts.push([grinf, mid + offset, hill]);
            }
        }
    }
    let settings = SolverSettings {
        tolerance: 1e-12,
        patience: 100,
    };
    let inside = |value: f64, [lo, hi]: [f64; 2]| value >= lo - 1e-9 && value <= hi + 1e-9;
    let mut best: Option<([f64; 3], f64)> = None;
    // Every face of the box: each parameter free (0), at its lower (1) or upper (2) bound.
    for face in 0..27usize {
        let choice = [face % 3, (face / 3) % 3, face / 9];
        let held: [Option<f64>; 3] = std::array::from_fn(|p| match choice[p] {
            1 => Some(box_[p][0]),
            2 => Some(box_[p][1]),
            _ => None,
        });
        let model = GrModel {
            log10_x: &log10_x,
            y: &y,
            held,
        };
        let n_free = model.n_params();
        let mut tried: BTreeSet<Vec<u64>> = BTreeSet::new();
        for start in &starts {
            let free: Vec<f64> = (0..3)
                .filter(|p| held[*p].is_none())
                .map(|p| start[p].clamp(box_[p][0], box_[p][1]))
                .collect();
            if !tried.insert(free.iter().map(|v| v.to_bits()).collect()) {
                continue;
            }
            let found = if n_free == 0 {
                crate::fit::lm::rss(&model, &[]).map(|rss| (Vec::new(), rss))
            } else {
                let minimum = minimize(&model, &free, settings);
                minimum
                    .rss
                    .is_finite()
                    .then_some((minimum.params, minimum.rss))
            };
            let Some((params, rss)) = found else { continue };
            let full = model.full(&params);
            if !(0..3).all(|p| inside(full[p], box_[p])) {
                continue;
            }
            let better = match &best {
                None => true,
                Some((_, best_rss)) => rss < *best_rss - 1e-15 * best_rss.abs().max(1e-300),
            };
            if better {
                best = Some((full, rss));
            }
        }
    }
    let (params, rss) = best?;
    let n = y.len();
    let flat_value = mean(&y)?;
    let rss_flat: f64 = y.iter().map(|v| (v - flat_value).powi(2)).sum();
    let p_flat = if n > 3 && rss > 0.0 {
        let f = ((rss_flat - rss) / 2.0) / (rss / (n - 3) as f64);
        f_upper_tail(f, 2.0, (n - 3) as f64)
    } else if n > 3 {
        Some(0.0)
    } else {
        None
    };
    let flat = p_flat.is_none_or(|p| p > FLAT_P_VALUE);
    Some(GrFit {
        params: GrParams {
            grinf: params[0],
            log10_gec50: params[1],
            hill: params[2],
        },
        rss,
        rss_flat,
        n,
        p_flat,
        flat,
        flat_value,
        r_squared: (rss_flat > 0.0).then(|| 1.0 - rss / rss_flat),
    })
}

/// One well's growth numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrPoint {
    /// The well (None for points given as numbers).
    pub well: Option<WellId>,
    /// The plate file.
    pub file: String,
    /// Concentration, in the layout's unit.
    pub concentration: f64,
    /// Blank-subtracted signal at the end of the assay.
    pub signal: f64,
    /// GR value.
    pub gr: f64,
    /// NCI-60 percent growth.
    pub percent_growth: f64,
}

/// The GR metrics of one curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrMetrics {
    /// GR50 (a number inside the tested range, or a bound).
    pub gr50: Estimate,
    /// The fitted curve's crossing of 0.5 even outside the tested range (None when it
    /// never crosses or the flat line was kept).
    pub gr50_fitted: Option<f64>,
    /// GRmax (GRmetrics: the lower mean GR of the two highest concentrations).
    pub grmax: Option<f64>,
    /// GR_AOC (area over the GR values, per log10 unit of the tested range).
    pub gr_aoc: Option<f64>,
    /// GEC50 (None when the flat line was kept).
    pub gec50: Option<f64>,
    /// Hill coefficient h_GR (None when the flat line was kept).
    pub hill: Option<f64>,
    /// GRinf (the flat line's level when it was kept).
    pub grinf: Option<f64>,
    /// NCI-60 GI50 (percent growth 50).
    pub gi50: Estimate,
    /// NCI-60 TGI (percent growth 0: no net growth).
    pub tgi: Estimate,
    /// NCI-60 LC50 (percent growth −50: half the cells present at t0 lost).
    pub lc50: Estimate,
}

/// Means per concentration, ascending.
fn level_means(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut groups: BTreeMap<u64, (f64, Vec<f64>)> = BTreeMap::new();
    for (c, v) in points {
        if *c > 0.0 && v.is_finite() {
            groups
                .entry(c.to_bits())
                .or_insert((*c, Vec::new()))
                .1
                .push(*v);
        }
    }
    let mut out: Vec<(f64, f64)> = groups
        .into_values()
        .filter_map(|(c, values)| Some((c, mean(&values)?)))
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// Where the observed mean curve first falls to `level` (linear in log10 concentration).
fn observed_crossing(means: &[(f64, f64)], level: f64) -> Estimate {
    let (Some(first), Some(last)) = (means.first(), means.last()) else {
        return Estimate::Undetermined;
    };
    match means.iter().position(|(_, v)| *v <= level) {
        None => Estimate::Above(last.0),
        Some(0) => Estimate::Below(first.0),
        Some(i) => {
            let (c0, v0) = means[i - 1];
            let (c1, v1) = means[i];
            let (l0, l1) = (c0.log10(), c1.log10());
            let fraction = if (v0 - v1).abs() > 0.0 {
                (v0 - level) / (v0 - v1)
            } else {
                0.5
            };
            Estimate::Value(10f64.powf(l0 + fraction * (l1 - l0)))
        }
    }
}

/// The GR metrics of a curve's points: GR values `(concentration, GR)` and percent growth
/// `(concentration, PG)`, and the fit (None when the GR curve could not be fitted).
#[must_use]
pub fn gr_metrics(gr: &[(f64, f64)], pg: &[(f64, f64)], fit: Option<&GrFit>) -> GrMetrics {
    let means = level_means(gr);
    let lowest = means.first().map(|m| m.0);
    let highest = means.last().map(|m| m.0);
    let grmax = match means.len() {
        0 => None,
        1 => Some(means[0].1),
        n => Some(means[n - 1].1.min(means[n - 2].1)),
    };
    let gr_aoc = if means.len() >= 2 {
        let (first, last) = (means[0].0.log10(), means[means.len() - 1].0.log10());
        let area: f64 = means
            .windows(2)
            .map(|w| 0.5 * ((1.0 - w[0].1) + (1.0 - w[1].1)) * (w[1].0.log10() - w[0].0.log10()))
            .sum();
        (last > first).then(|| area / (last - first))
    } else {
        None
    };
    let (gr50, gr50_fitted, gec50, hill, grinf) = match (fit, lowest, highest) {
        (Some(fit), Some(lo), Some(hi)) if fit.flat => (
            if fit.flat_value > 0.5 {
                Estimate::Above(hi)
            } else {
                Estimate::Below(lo)
            },
            None,
            None,
            None,
            Some(fit.flat_value),
        ),
        (Some(fit), Some(lo), Some(hi)) => {
            let crossing = fit.params.crossing(0.5);
            let estimate = match crossing {
                None => Estimate::Above(hi),
                Some(c) if c > hi => Estimate::Above(hi),
                Some(c) if c < lo => Estimate::Below(lo),
                Some(c) => Estimate::Value(c),
            };
            (
                estimate,
                crossing,
                Some(10f64.powf(fit.params.log10_gec50)),
                Some(fit.params.hill),
                Some(fit.params.grinf),
            )
        }
        _ => (Estimate::Undetermined, None, None, None, None),
    };
    let pg_means = level_means(pg);
    GrMetrics {
        gr50,
        gr50_fitted,
        grmax,
        gr_aoc,
        gec50,
        hill,
        grinf,
        gi50: observed_crossing(&pg_means, 50.0),
        tgi: observed_crossing(&pg_means, 0.0),
        lc50: observed_crossing(&pg_means, -50.0),
    }
}

/// The time-zero signal of one cell line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineT0 {
    /// Cell line.
    pub line: String,
    /// Mean blank-subtracted signal of its t0 wells (`x0`).
    pub signal: f64,
    /// The t0 wells used, as `file:well`.
    pub wells: Vec<String>,
}

/// The growth answers of one curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveGrowth {
    /// Line, drug, condition.
    pub key: CurveKey,
    /// The curve's label.
    pub label: String,
    /// `x0`, the line's time-zero signal.
    pub t0_signal: Option<f64>,
    /// `x_ctrl`, the mean blank-subtracted vehicle signal at the end (mean over plates).
    pub vehicle_signal: Option<f64>,
    /// Vehicle doublings over the assay, `log2(x_ctrl/x0)` (mean over plates).
    pub vehicle_doublings: Option<f64>,
    /// Every treated well's GR value and percent growth.
    pub points: Vec<GrPoint>,
    /// The GR curve fit.
    pub fit: Option<GrFit>,
    /// The metrics.
    pub metrics: Option<GrMetrics>,
    /// Why GR metrics could not be computed.
    pub problem: Option<String>,
}

/// The GR comparison of two curves, beside the IC50-based one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrowthComparison {
    /// Reference (parental) curve label.
    pub reference: String,
    /// Test (resistant) curve label.
    pub test: String,
    /// GR-based resistance index.
    pub ratio: Option<f64>,
    /// What the ratio divides: `gr50`, or `gec50` when a GR50 is not reached but both GR
    /// curves were fitted.
    pub basis: &'static str,
    /// A bound when one GR50 lies outside the tested range (`"> 12.5"`).
    pub ratio_bound: Option<String>,
    /// The IC50-based RI, for the side-by-side view.
    pub ic50_ratio: Option<f64>,
    /// Vehicle doublings of the reference and test lines.
    pub doublings: [Option<f64>; 2],
    /// Faster over slower doublings.
    pub doublings_ratio: Option<f64>,
    /// The division rates differ enough to confound the IC50-based RI.
    pub confounded: bool,
    /// The warning, naming both numbers.
    pub warning: Option<String>,
}

/// Growth answers of an experiment with a time-zero read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrowthAnalysis {
    /// Time-zero signal per line, sorted.
    pub lines: Vec<LineT0>,
    /// Per curve, in the analysis' curve order.
    pub curves: Vec<CurveGrowth>,
    /// Per comparison, in the analysis' comparison order.
    pub comparisons: Vec<GrowthComparison>,
}

impl GrowthAnalysis {
    /// The growth answers of the curve with this label.
    #[must_use]
    pub fn curve(&self, label: &str) -> Option<&CurveGrowth> {
        self.curves.iter().find(|c| c.label == label)
    }

    /// The GR comparison of (reference, test).
    #[must_use]
    pub fn comparison(&self, reference: &str, test: &str) -> Option<&GrowthComparison> {
        self.comparisons
            .iter()
            .find(|c| c.reference == reference && c.test == test)
    }
}

/// Whether the layout is a time-zero plate's: t0 wells and no treated well.
#[must_use]
pub fn is_time_zero_layout(layout: &Layout) -> bool {
    !layout.wells_with_role(WellRole::T0).is_empty()
        && layout.wells_with_role(WellRole::Treated).is_empty()
}

/// The blank a line's wells are corrected with on a plate: the mean absorbance of its own
/// blank wells, else of the blanks assigned to no line, else of all blanks; 0 without blanks.
fn blank_for_line(input: &PlateInput, plate: &PlateAnalysis, line: &str) -> Option<f64> {
    let blanks = input.layout.wells_with_role(WellRole::Blank);
    if blanks.is_empty() {
        return Some(0.0);
    }
    let wells = crate::normalize::blank_wells_for(&input.layout, &blanks, line);
    let values: Vec<f64> = plate
        .normalized
        .wells
        .iter()
        .filter(|w| wells.contains(&w.well) && !w.excluded && w.flag.is_none())
        .filter_map(|w| w.absorbance)
        .collect();
    mean(&values)
}

/// The line's time-zero signal over all plates.
fn line_t0(plates: &[(&PlateInput, &PlateAnalysis)], line: &str) -> Result<Option<LineT0>, String> {
    let mut values = Vec::new();
    let mut wells = Vec::new();
    let mut unmeasured = Vec::new();
    for (input, plate) in plates {
        let t0_wells: Vec<WellId> = input
            .layout
            .wells_with_role(WellRole::T0)
            .into_iter()
            .filter(|w| input.layout.well(*w).line.as_deref().unwrap_or("") == line)
            .collect();
        if t0_wells.is_empty() {
            continue;
        }
        let Some(blank) = blank_for_line(input, plate, line) else {
            return Err(format!(
                "{}: no measured blank well to subtract from the t0 wells of line {line:?}",
                input.file
            ));
        };
        for value in &plate.normalized.wells {
            if !t0_wells.contains(&value.well) || value.excluded {
                continue;
            }
            match (value.absorbance, &value.flag) {
                (Some(od), None) => {
                    values.push(od - blank);
                    wells.push(format!("{}:{}", input.file, value.well));
                }
                _ => unmeasured.push(format!("{}:{}", input.file, value.well)),
            }
        }
    }
    if values.is_empty() {
        if unmeasured.is_empty() {
            return Ok(None);
        }
        return Err(format!(
            "the t0 wells of line {line:?} have no measured value ({})",
            unmeasured.join(", ")
        ));
    }
    let signal = mean(&values).unwrap_or(f64::NAN);
    if signal.is_nan() || signal <= 0.0 {
        return Err(format!(
            "the t0 signal of line {line:?} is not above the blank (mean blank-subtracted t0 = {signal:.4}; wells {}): no cells measured at drug addition",
            wells.join(", ")
        ));
    }
    Ok(Some(LineT0 {
        line: line.to_string(),
        signal,
        wells,
    }))
}

/// The growth answers of an analysed experiment, or None when no plate has t0 wells.
/// Problems (no t0 for a line, vehicle not above t0) leave that curve without GR metrics
/// and are added to `warnings`, naming the file, line or wells.
#[must_use]
pub fn analyze_growth(
    plates: &[(&PlateInput, &PlateAnalysis)],
    curves: &[CurveResult],
    comparisons: &[Comparison],
    warnings: &mut Vec<String>,
) -> Option<GrowthAnalysis> {
    if !plates
        .iter()
        .any(|(input, _)| !input.layout.wells_with_role(WellRole::T0).is_empty())
    {
        return None;
    }
    let lines: BTreeSet<&str> = curves.iter().map(|c| c.key.line.as_str()).collect();
    let mut t0_by_line: BTreeMap<String, Result<LineT0, String>> = BTreeMap::new();
    for line in lines {
        let found = match line_t0(plates, line) {
            Ok(Some(t0)) => Ok(t0),
            Ok(None) => Err(format!(
                "no t0 wells for line {line:?}: mark wells of that line as t0 in the layout (role t0) or give a time-zero plate (--t0)"
            )),
            Err(problem) => Err(problem),
        };
        t0_by_line.insert(line.to_string(), found);
    }
    let mut out_curves = Vec::new();
    for curve in curves {
        let label = curve.dose_response.label.clone();
        let growth = match t0_by_line.get(&curve.key.line) {
            Some(Ok(t0)) => curve_growth(plates, curve, t0),
            Some(Err(problem)) => CurveGrowth {
                key: curve.key.clone(),
                label: label.clone(),
                t0_signal: None,
                vehicle_signal: None,
                vehicle_doublings: None,
                points: Vec::new(),
                fit: None,
                metrics: None,
                problem: Some(problem.clone()),
            },
            None => continue,
        };
        if let Some(problem) = &growth.problem {
            warnings.push(format!("curve {label}: GR metrics not computed: {problem}"));
        } else if let Some(d) = growth.vehicle_doublings.filter(|d| *d < FEW_DOUBLINGS) {
            warnings.push(format!(
                "curve {label}: the vehicle wells grew only {d:.2} doublings over the assay; GR values are noisy when the cells hardly divide"
            ));
        }
        out_curves.push(growth);
    }
    let mut out_comparisons = Vec::new();
    for comparison in comparisons {
        let find = |label: &str| out_curves.iter().find(|c| c.label == label);
        let (Some(reference), Some(test)) = (find(&comparison.reference), find(&comparison.test))
        else {
            continue;
        };
        let gr_comparison = compare_growth(reference, test, comparison);
        if let Some(warning) = &gr_comparison.warning {
            warnings.push(warning.clone());
        }
        out_comparisons.push(gr_comparison);
    }
    Some(GrowthAnalysis {
        lines: t0_by_line.into_values().filter_map(Result::ok).collect(),
        curves: out_curves,
        comparisons: out_comparisons,
    })
}

/// GR values, fit and metrics of one curve.
fn curve_growth(
    plates: &[(&PlateInput, &PlateAnalysis)],
    curve: &CurveResult,
    t0: &LineT0,
) -> CurveGrowth {
    let key = &curve.key;
    let label = curve.dose_response.label.clone();
    let x0 = t0.signal;
    let mut points = Vec::new();
    let mut controls = Vec::new();
    let mut doublings = Vec::new();
    let mut problem = None;
    for (input, plate) in plates {
        let normalized = &plate.normalized;
        let (Some(vehicle), Some(blank)) = (
            normalized.vehicle_by_curve.get(key),
            normalized.blank_by_curve.get(key),
        ) else {
            continue;
        };
        if normalized.curve_problems.contains_key(key) {
            continue;
        }
        let x_ctrl = vehicle - blank;
        if x_ctrl.is_nan() || x_ctrl <= x0 {
            problem = Some(format!(
                "{}: the vehicle signal at the end ({x_ctrl:.4}, blank-subtracted) is not above the t0 signal of line {:?} ({x0:.4}): the cells did not grow over the assay, so GR values are undefined; check that the t0 wells or plate belong to this experiment",
                input.file, key.line
            ));
            continue;
        }
        controls.push(x_ctrl);
        doublings.push((x_ctrl / x0).log2());
        for value in &normalized.wells {
            if value.role != WellRole::Treated || value.excluded || value.flag.is_some() {
                continue;
            }
            let info = input.layout.well(value.well);
            if &Layout::curve_key(info) != key {
                continue;
            }
            let (Some(concentration), Some(signal)) = (info.concentration, value.corrected) else {
                continue;
            };
            let (Some(gr), Some(pg)) = (
                gr_value(signal, x0, x_ctrl),
                percent_growth(signal, x0, x_ctrl),
            ) else {
                continue;
            };
            points.push(GrPoint {
                well: Some(value.well),
                file: input.file.clone(),
                concentration,
                signal,
                gr,
                percent_growth: pg,
            });
        }
    }
    points.sort_by(|a, b| {
        a.concentration
            .total_cmp(&b.concentration)
            .then(a.file.cmp(&b.file))
            .then(a.well.cmp(&b.well))
    });
    let gr: Vec<(f64, f64)> = points.iter().map(|p| (p.concentration, p.gr)).collect();
    let pg: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.concentration, p.percent_growth))
        .collect();
    let fit = fit_gr(&gr);
    if points.is_empty() && problem.is_none() {
        problem = Some("no treated well with a measured value".into());
    } else if fit.is_none() && problem.is_none() {
        problem =
            Some("too few GR values to fit the GR curve (need 4 and 2 concentrations)".into());
    }
    let metrics = (!points.is_empty()).then(|| gr_metrics(&gr, &pg, fit.as_ref()));
    CurveGrowth {
        key: key.clone(),
        label,
        t0_signal: Some(x0),
        vehicle_signal: mean(&controls),
        vehicle_doublings: mean(&doublings),
        points,
        fit,
        metrics,
        problem,
    }
}

/// The GR-based RI and the division-rate warning of one comparison.
fn compare_growth(
    reference: &CurveGrowth,
    test: &CurveGrowth,
    comparison: &Comparison,
) -> GrowthComparison {
    let metric = |c: &CurveGrowth| c.metrics.as_ref().map(|m| (m.gr50, m.gec50));
    let (mut ratio, mut basis, mut ratio_bound) = (None, "gr50", None);
    if let (Some((gr50_r, gec50_r)), Some((gr50_t, gec50_t))) = (metric(reference), metric(test)) {
        match (gr50_r, gr50_t) {
            (Estimate::Value(r), Estimate::Value(t)) => ratio = Some(t / r),
            (Estimate::Value(r), Estimate::Above(t)) => {
                ratio_bound = Some(format!("> {}", crate::report::format_significant(t / r, 3)));
            }
            (Estimate::Below(r), Estimate::Value(t) | Estimate::Above(t)) => {
                ratio_bound = Some(format!("> {}", crate::report::format_significant(t / r, 3)));
            }
            (Estimate::Value(r) | Estimate::Above(r), Estimate::Below(t)) => {
                ratio_bound = Some(format!("< {}", crate::report::format_significant(t / r, 3)));
            }
            (Estimate::Above(r), Estimate::Value(t)) => {
                ratio_bound = Some(format!("< {}", crate::report::format_significant(t / r, 3)));
            }
            _ => {
                if let (Some(r), Some(t)) = (gec50_r, gec50_t) {
                    ratio = Some(t / r);
                    basis = "gec50";
                }
            }
        }
    }
    let doublings = [reference.vehicle_doublings, test.vehicle_doublings];
    let doublings_ratio = match doublings {
        [Some(a), Some(b)] if a > 0.0 && b > 0.0 => Some(a.max(b) / a.min(b)),
        _ => None,
    };
    let confounded = doublings_ratio.is_some_and(|r| r > DOUBLINGS_RATIO_WARNING);
    let warning = match (confounded, doublings) {
        (true, [Some(dr), Some(dt)]) => {
            let (slower, faster) = if dt < dr {
                (&test.label, &reference.label)
            } else {
                (&reference.label, &test.label)
            };
            let gr_text = match (ratio, &ratio_bound) {
                (Some(r), _) => format!(
                    "GR-based RI ({}) = {}",
                    if basis == "gr50" {
                        "GR50 ratio"
                    } else {
                        "GEC50 ratio"
                    },
                    crate::report::format_significant(r, 3)
                ),
                (None, Some(bound)) => format!("GR-based RI {bound}"),
                (None, None) => "GR-based RI not determined".into(),
            };
            let ic50_text = comparison.ratio.map_or_else(
                || {
                    comparison
                        .ratio_bound
                        .as_ref()
                        .map_or("not determined".into(), |b| b.clone())
                },
                |r| format!("= {}", crate::report::format_significant(r, 3)),
            );
            Some(format!(
                "{} vs {}: division rates differ — the vehicle wells grew {:.2} doublings over the assay for {} (×{:.1} from t0) and {:.2} for {} (×{:.1}); {slower} divides {:.0} % slower than {faster}, so the IC50-based RI is confounded by division rate (a slower line looks more resistant at a fixed end point); {gr_text}, IC50-based RI {ic50_text}",
                test.label,
                reference.label,
                dt,
                test.label,
                2f64.powf(dt),
                dr,
                reference.label,
                2f64.powf(dr),
                100.0 * (1.0 - dr.min(dt) / dr.max(dt)),
            ))
        }
        _ => None,
    };
    GrowthComparison {
        reference: reference.label.clone(),
        test: test.label.clone(),
        ratio,
        basis,
        ratio_bound,
        ic50_ratio: comparison.ratio,
        doublings,
        doublings_ratio,
        confounded,
        warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gr_value_matches_the_definition() {
        // GRmetrics' docstring example: 0.965305500206.
        let gr = gr_value(1710.0, 492.8, 1766.0).unwrap();
        assert!((gr - 0.965_305_500_206).abs() < 1e-9, "{gr}");
        assert!((gr_value(1766.0, 492.8, 1766.0).unwrap() - 1.0).abs() < 1e-12);
        assert!(gr_value(492.8, 492.8, 1766.0).unwrap().abs() < 1e-12);
        assert!(gr_value(100.0, 200.0, 150.0).is_none());
        assert!(gr_value(0.0, 200.0, 800.0).unwrap() < -0.99);
        assert!((percent_growth(100.0, 200.0, 800.0).unwrap() + 50.0).abs() < 1e-12);
        assert!((percent_growth(500.0, 200.0, 800.0).unwrap() - 50.0).abs() < 1e-12);
    }

    #[test]
    fn recovers_a_noise_free_curve() {
        let truth = GrParams {
            grinf: -0.3,
            log10_gec50: -0.5,
            hill: 1.7,
        };
        let points: Vec<(f64, f64)> = (0..9)
            .flat_map(|i| {
                let c = 10f64.powf(-3.0 + 0.5 * f64::from(i));
                [(c, truth.gr(c)), (c, truth.gr(c))]
            })
            .collect();
        let fit = fit_gr(&points).unwrap();
        assert!(!fit.flat);
        assert!((fit.params.grinf - truth.grinf).abs() < 1e-6, "{fit:?}");
        assert!((fit.params.log10_gec50 - truth.log10_gec50).abs() < 1e-6);
        assert!((fit.params.hill - truth.hill).abs() < 1e-5);
        let gr50 = fit.params.crossing(0.5).unwrap();
        assert!((truth.gr(gr50) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn observed_crossings_are_censored() {
        let means = [(1.0, 100.0), (10.0, 60.0), (100.0, 40.0)];
        match observed_crossing(&means, 50.0) {
            Estimate::Value(c) => assert!((c - 10f64.powf(1.5)).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
        assert_eq!(observed_crossing(&means, 0.0), Estimate::Above(100.0));
        assert_eq!(observed_crossing(&means, 100.0), Estimate::Below(1.0));
    }
}
