//! Variable projection (Golub & Pereyra) for sets of 4PL curves: for given LogIC50s and Hill
//! slopes every curve is linear in its own plateaus, so they are solved exactly by weighted
//! linear least squares and the solver moves only the nonlinear parameters. The minimum over
//! those is the minimum over all of them.
//!
//! Used where many small refits are needed: the profile-likelihood CI (one curve, LogIC50
//! held, the slope alone) and the reduced model of the F test of equal IC50s (two curves,
//! one shared LogIC50 and two slopes instead of seven parameters), whose minimum is also
//! searched globally here ([`ProjectedCurves::shared_log_ic50_minimum`]).
//!
//! The Jacobian is Kaufman's: each nonlinear derivative projected onto the orthogonal
//! complement of its curve's plateau columns. At the linear optimum the residuals already
//! lie in that complement, so the gradient `Jᵀr` is exact.

use std::cell::RefCell;

use super::curves::{CurveData, CurveSet, ParamRef};
use super::lm::LeastSquaresModel;
use super::model::fraction_of_top;

/// One curve: its data, fixed plateaus (`None` where solved for), and where its LogIC50 and
/// Hill slope come from (indices into the nonlinear parameter vector).
#[derive(Debug, Clone)]
struct Curve<'a> {
    data: &'a CurveData,
    fixed: [Option<f64>; 2],
    log_ic50: ParamRef,
    hill: ParamRef,
}

/// The linear part of one curve solved at given nonlinear values.
#[derive(Debug, Clone, Default)]
struct Projection {
    log_ic50: f64,
    hill: f64,
    /// The fraction of Top at each level (`s`; Bottom's column is `1 − s`).
    s: Vec<f64>,
    /// `[bottom, top]`: the fixed values and the least-squares free ones.
    plateaus: [f64; 2],
    /// The inverse of the weighted normal matrix of the free plateau columns (zero rows and
    /// columns for fixed plateaus); `None` when the free columns are (nearly) dependent.
    inverse: Option<[[f64; 2]; 2]>,
}

/// A [`CurveSet`] with its plateaus projected out.
#[derive(Debug)]
pub struct ProjectedCurves<'a> {
    curves: Vec<Curve<'a>>,
    n_params: usize,
    /// The projections at the parameters last asked for: the solver asks for the Jacobian
    /// at the point whose residuals it has just computed. Recomputed in place (the buffers
    /// are reused), so an evaluation allocates nothing once the first one is done.
    last: RefCell<Cache>,
}

/// The projections of every curve at `at` (`None` before the first evaluation).
#[derive(Debug, Default)]
struct Cache {
    at: Option<Vec<f64>>,
    projections: Vec<Projection>,
}

impl<'a> ProjectedCurves<'a> {
    /// The projected problem of `set`, and for each of its nonlinear parameters the index of
    /// the set's free parameter it stands for. `None` when a free plateau is shared between
    /// curves (then the curves' linear problems do not separate).
    #[must_use]
    pub fn from_set(set: &'a CurveSet) -> Option<(Self, Vec<usize>)> {
        let mut plateau_uses = vec![0usize; set.n_free];
        let mut nonlinear: Vec<usize> = Vec::new();
        for (_, refs) in &set.curves {
            for (k, r) in refs.iter().enumerate() {
                if let ParamRef::Free(i) = *r {
                    if k < 2 {
                        *plateau_uses.get_mut(i)? += 1;
                    } else if !nonlinear.contains(&i) {
                        nonlinear.push(i);
                    }
                }
            }
        }
        if plateau_uses.iter().any(|uses| *uses > 1)
            || nonlinear.iter().any(|i| plateau_uses[*i] > 0)
        {
            return None;
        }
        nonlinear.sort_unstable();
        let renumber = |r: ParamRef| match r {
            ParamRef::Free(i) => nonlinear
                .iter()
                .position(|j| *j == i)
                .map_or(ParamRef::Fixed(f64::NAN), ParamRef::Free),
            fixed => fixed,
        };
        let fixed_value = |r: ParamRef| match r {
            ParamRef::Fixed(v) => Some(v),
            ParamRef::Free(_) => None,
        };
        let curves = set
            .curves
            .iter()
            .map(|(data, refs)| Curve {
                data,
                fixed: [fixed_value(refs[0]), fixed_value(refs[1])],
                log_ic50: renumber(refs[2]),
                hill: renumber(refs[3]),
            })
            .collect();
        let projected = Self {
            curves,
            n_params: nonlinear.len(),
            last: RefCell::new(Cache::default()),
        };
        Some((projected, nonlinear))
    }

    fn value(r: ParamRef, params: &[f64]) -> f64 {
        match r {
            ParamRef::Free(i) => params.get(i).copied().unwrap_or(f64::NAN),
            ParamRef::Fixed(v) => v,
        }
    }

    /// Calls `f` with the projections of every curve at `params` (from the cache when they
    /// were the last ones asked for, else recomputed into the cache's buffers).
    fn with_projections<T>(&self, params: &[f64], f: impl FnOnce(&[Projection]) -> T) -> T {
        let mut cache = self.last.borrow_mut();
        let cached = cache.at.as_ref().is_some_and(|at| {
            at.len() == params.len()
                && at
                    .iter()
                    .zip(params)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
        });
        if !cached {
            let Cache { at, projections } = &mut *cache;
            let at = at.get_or_insert_with(Vec::new);
            at.clear();
            at.extend_from_slice(params);
            projections.resize_with(self.curves.len(), Projection::default);
            for (curve, projection) in self.curves.iter().zip(projections.iter_mut()) {
                project_curve_into(
                    curve,
                    Self::value(curve.log_ic50, params),
                    Self::value(curve.hill, params),
                    projection,
                );
            }
        }
        f(&cache.projections)
    }

    /// The full `[bottom, top, log10_ic50, hill]` of curve `curve` at `params`.
    #[must_use]
    pub fn curve_params(&self, curve: usize, params: &[f64]) -> Option<[f64; 4]> {
        let c = self.curves.get(curve)?;
        let (log_ic50, hill) = (Self::value(c.log_ic50, params), Self::value(c.hill, params));
        let [bottom, top] = project_curve(c, log_ic50, hill).plateaus;
        Some([bottom, top, log_ic50, hill])
    }
}

/// Solves one curve's plateaus at a LogIC50 and Hill slope.
fn project_curve(curve: &Curve<'_>, log_ic50: f64, hill: f64) -> Projection {
    let mut projection = Projection::default();
    project_curve_into(curve, log_ic50, hill, &mut projection);
    projection
}

/// [`project_curve`] into `projection`, reusing its buffer.
fn project_curve_into(curve: &Curve<'_>, log_ic50: f64, hill: f64, projection: &mut Projection) {
    let free = curve.fixed.map(|f| f.is_none());
    let fixed = curve.fixed.map(|f| f.unwrap_or(0.0));
    let data = curve.data;
    let mut s = std::mem::take(&mut projection.s);
    s.clear();
    s.extend(
        data.log_x
            .iter()
            .map(|x| fraction_of_top(log_ic50, hill, *x)),
    );
    // Normal equations Σ nₗ aᵢ aⱼ · p = Σ nₗ aᵢ (ȳₗ − fixed part), a = (1 − s, s).
    let mut m = [[0.0; 2]; 2];
    let mut rhs = [0.0; 2];
    let mut weighted_sum = 0.0;
    let mut total = 0.0;
    for ((s, y), n) in s.iter().zip(&data.y).zip(&data.count) {
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
        // Dependent columns: any combination with the same fitted values solves it; a flat
        // line through the data (at the fixed plateau, if one is fixed).
        None => {
            let flat = curve.fixed[0]
                .or(curve.fixed[1])
                .unwrap_or(weighted_sum / total.max(1.0));
            curve.fixed.map(|f| f.unwrap_or(flat))
        }
    };
    *projection = Projection {
        log_ic50,
        hill,
        s,
        plateaus,
        inverse,
    };
}

impl LeastSquaresModel for ProjectedCurves<'_> {
    fn n_params(&self) -> usize {
        self.n_params
    }

    fn n_residuals(&self) -> usize {
        self.curves.iter().map(|c| c.data.y.len()).sum()
    }

    fn rss_offset(&self) -> f64 {
        self.curves.iter().map(|c| c.data.pure_error).sum()
    }

    fn residuals(&self, params: &[f64], out: &mut [f64]) -> bool {
        self.with_projections(params, |projections| self.residuals_at(projections, out))
    }

    fn jacobian(&self, params: &[f64], out: &mut [f64]) -> bool {
        self.with_projections(params, |projections| self.jacobian_at(projections, out))
    }
}

impl ProjectedCurves<'_> {
    fn residuals_at(&self, projections: &[Projection], out: &mut [f64]) -> bool {
        let mut row = 0;
        for (curve, projection) in self.curves.iter().zip(projections) {
            let [bottom, top] = projection.plateaus;
            for ((s, y), n) in projection
                .s
                .iter()
                .zip(&curve.data.y)
                .zip(&curve.data.count)
            {
                let Some(slot) = out.get_mut(row) else {
                    return false;
                };
                *slot = (*n as f64).sqrt() * (bottom + (top - bottom) * s - y);
                row += 1;
            }
        }
        out.iter().all(|v| v.is_finite())
    }

    fn jacobian_at(&self, projections: &[Projection], out: &mut [f64]) -> bool {
        out.fill(0.0);
        let rows = self.n_residuals();
        let mut first_row = 0;
        for (curve, projection) in self.curves.iter().zip(projections) {
            let levels = curve.data.y.len();
            let [bottom, top] = projection.plateaus;
            for (which, r) in [(0, curve.log_ic50), (1, curve.hill)] {
                let ParamRef::Free(column) = r else {
                    continue;
                };
                let Some(col) =
                    out.get_mut(column * rows + first_row..column * rows + first_row + levels)
                else {
                    return false;
                };
                // g = W ∂f/∂p; then g − W A (AᵀW²A)⁻¹ AᵀW g over the free plateau columns.
                let mut dot = [0.0; 2];
                for (((slot, s), x), n) in col
                    .iter_mut()
                    .zip(&projection.s)
                    .zip(&curve.data.log_x)
                    .zip(&curve.data.count)
                {
                    let derivative = if *x == f64::NEG_INFINITY {
                        0.0
                    } else {
                        let ds_dz = -s * (1.0 - s) * std::f64::consts::LN_10;
                        // z = (log_ic50 − x)·hill
                        let dz = if which == 0 {
                            projection.hill
                        } else {
                            projection.log_ic50 - x
                        };
                        (top - bottom) * ds_dz * dz
                    };
                    let w = (*n as f64).sqrt();
                    *slot = w * derivative;
                    dot[0] += w * (1.0 - s) * *slot;
                    dot[1] += w * s * *slot;
                }
                if let Some(inv) = projection.inverse {
                    let coef = [
                        inv[0][0] * dot[0] + inv[0][1] * dot[1],
                        inv[1][0] * dot[0] + inv[1][1] * dot[1],
                    ];
                    for ((slot, s), n) in col.iter_mut().zip(&projection.s).zip(&curve.data.count) {
                        *slot -= (*n as f64).sqrt() * ((1.0 - s) * coef[0] + s * coef[1]);
                    }
                }
            }
            first_row += levels;
        }
        out.iter().all(|v| v.is_finite())
    }
}

/// The slopes tried for each curve at a shared LogIC50 before the best is refined: from
/// nearly flat to a step (|Hill| 10¹²). Above 50 a decade apart: with the shared LogIC50 a
/// hair δ from a dose, a slope of about 1/δ gives that dose's points any value between the
/// plateaus (a step that passes right through a dose), a valley about three decades wide.
const SLOPE_GRID: [f64; 24] = [
    0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.4, 2.0, 3.0, 4.5, 7.0, 11.0, 20.0, 50.0, 150.0, 1e3, 1e4,
    1e5, 1e6, 1e7, 1e8, 1e9, 1e12,
];

/// Spacing of the shared LogIC50's grid, in decades: at least three grid points between
/// two doses of a 2-fold series, where a steep curve's profile can have a valley of its own.
const SHARED_GRID_STEP: f64 = 0.1;

/// How close to a tested dose (decades) the shared LogIC50 is tried on either side of it:
/// with the steepest slope tried a dose that close is on a plateau.
const BESIDE_A_DOSE: f64 = 1e-7;

/// How many local minima of the shared LogIC50's samples (the lowest) are refined.
const REFINED_MINIMA: usize = 2;

/// Golden-section steps of a slope profile's refinement at the grid's ends and among the
/// steep slopes: the bracket shrinks to 0.618⁹ ≈ 0.013 of its width.
const GOLDEN_STEPS: usize = 9;

/// Golden-section steps of the shared LogIC50's refinement on each side of a local minimum
/// of its samples (0.1 decades apart): to 0.618⁷ ≈ 0.034 of that, 0.003 decades, which
/// places the valley; the solver's polish from there finds its bottom.
const SHARED_GOLDEN_STEPS: usize = 7;

/// The minimum of `f` on `[a, b]` by golden-section search (`f` unimodal there), with its
/// value: `(x, f(x))`.
fn golden(mut a: f64, mut b: f64, steps: usize, mut f: impl FnMut(f64) -> f64) -> (f64, f64) {
    let ratio = 0.5 * (5f64.sqrt() - 1.0);
    let mut c = b - ratio * (b - a);
    let mut d = a + ratio * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..steps {
        if fc <= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - ratio * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + ratio * (b - a);
            fd = f(d);
        }
    }
    if fc <= fd { (c, fc) } else { (d, fd) }
}

/// Up to this |Hill| the slope profile is refined by parabolas: no dose is so close to the
/// LogIC50 that the curve's value there swings between the plateaus within a grid step
/// (beside a dose a steep slope sets that dose's fraction of Top, a narrow valley in log
/// |Hill| that golden section finds and parabolas miss).
const SMOOTH_SLOPES: f64 = 20.0;

/// Steps of the parabolic refinement of a slope profile: each a parabola through the best
/// point and its neighbours (a golden-section step where the parabola does not help).
const PARABOLIC_STEPS: usize = 6;

/// The minimum of `f` from three points `(x, f(x))` in ascending `x` whose middle one is the
/// lowest, by successive parabolic interpolation (Brent's step, safeguarded by golden
/// section): the best point found, `(x, f(x))`. For the smooth valleys of a slope profile
/// each step gains digits where golden section gains a factor 0.618.
fn parabolic(
    mut points: [(f64, f64); 3],
    steps: usize,
    mut f: impl FnMut(f64) -> f64,
) -> (f64, f64) {
    // Brent's safeguard: a parabolic step must move less than half the step before the
    // last one, or the function is not parabola-like there (an asymmetric valley, where
    // parabolas creep in from one side) and a golden-section step is taken instead.
    let (mut before_last, mut last) = (points[2].0 - points[0].0, points[2].0 - points[0].0);
    for _ in 0..steps {
        let [(a, fa), (b, fb), (c, fc)] = points;
        let (p, q) = ((b - a) * (fb - fc), (b - c) * (fb - fa));
        let vertex = b - 0.5 * ((b - a) * p - (b - c) * q) / (p - q);
        let margin = 1e-3 * (c - a);
        let x = if vertex.is_finite()
            && vertex > a + margin
            && vertex < c - margin
            && (vertex - b).abs() > margin
            && (vertex - b).abs() < 0.5 * before_last
        {
            vertex
        } else if b - a > c - b {
            b - 0.381_966 * (b - a)
        } else {
            b + 0.381_966 * (c - b)
        };
        (before_last, last) = (last, (x - b).abs());
        let fx = f(x);
        points = match (fx < fb, x < b) {
            (true, true) => [(a, fa), (x, fx), (b, fb)],
            (true, false) => [(b, fb), (x, fx), (c, fc)],
            (false, true) => [(x, fx), (b, fb), (c, fc)],
            (false, false) => [(a, fa), (b, fb), (x, fx)],
        };
    }
    points[1]
}

/// The index of the smallest value (NaN never wins); `None` when every value is NaN.
fn lowest(values: &[f64]) -> Option<usize> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(k, _)| k)
}

/// One curve prepared for the searches' inner loop, where its RSS is evaluated thousands of
/// times at given LogIC50s and slopes with the plateaus solved: the level sums that do not
/// depend on the curve (`Σ n ȳ²`, `Σ n ȳ`, `Σ n`) once, and at each evaluation only the five
/// sums of the plateaus' normal equations, from one exponential and one division per level.
/// For the slopes of the grid the exponential itself is precomputed: `10^(h·(L − x))` is
/// `10^(h·(L − c)) · 10^(−h·(x − c))`, one factor per evaluation and one per level, so a
/// grid evaluation costs a multiplication and a division per level.
#[derive(Debug)]
struct SearchCurve {
    /// `[log10 dose, n, n·ȳ]` of each level with a positive dose.
    levels: Vec<[f64; 3]>,
    /// `[n, n·ȳ]` of the dose-zero levels: on a plateau at every slope.
    zero: [f64; 2],
    /// `Σ n ȳ²`, `Σ n ȳ` and `Σ n` over all levels.
    yy: f64,
    sum: f64,
    total: f64,
    pure_error: f64,
    fixed: [Option<f64>; 2],
    /// The curve's slope: fixed (`Ok`) or free of this sign (`Err`).
    slope: Result<f64, f64>,
    /// Where the grid's factors are taken from (the middle of the doses).
    centre: f64,
    /// For the first `factored` slopes of [`SLOPE_GRID`] (times the sign), row after row:
    /// `e^(−hill·ln 10·(x − centre))` of each level. Only slopes whose two factors stay
    /// below e^600 over the doses and the searched LogIC50s are factored; steeper ones
    /// are evaluated directly.
    factors: Vec<f64>,
    factored: usize,
}

/// Beyond this exponent the grid's two factors are not used (their product could overflow).
const LARGEST_FACTOR_EXPONENT: f64 = 600.0;

impl SearchCurve {
    /// `curve` prepared for a search of the LogIC50 over `range`, its slope fixed or free of
    /// the sign given.
    fn new(curve: &Curve<'_>, slope: Result<f64, f64>, range: (f64, f64)) -> Self {
        let data = curve.data;
        let mut levels = Vec::with_capacity(data.log_x.len());
        let mut zero = [0.0; 2];
        let (mut yy, mut sum, mut total) = (0.0, 0.0, 0.0);
        for ((x, y), n) in data.log_x.iter().zip(&data.y).zip(&data.count) {
            let n = *n as f64;
            if *x == f64::NEG_INFINITY {
                zero[0] += n;
                zero[1] += n * y;
            } else {
                levels.push([*x, n, n * y]);
            }
            yy += n * y * y;
            sum += n * y;
            total += n;
        }
        let (low, high) = levels
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), l| {
                (lo.min(l[0]), hi.max(l[0]))
            });
        let centre = if low <= high { 0.5 * (low + high) } else { 0.0 };
        let reach =
            0.5 * (high - low).max(0.0) + (range.0 - centre).abs().max((range.1 - centre).abs());
        let mut factors = Vec::new();
        let mut factored = 0;
        if let Err(sign) = slope
            && reach.is_finite()
        {
            for h in SLOPE_GRID {
                if h * std::f64::consts::LN_10 * reach > LARGEST_FACTOR_EXPONENT {
                    break;
                }
                let hill = sign * h;
                factors.extend(
                    levels
                        .iter()
                        .map(|l| (-hill * std::f64::consts::LN_10 * (l[0] - centre)).exp()),
                );
                factored += 1;
            }
        }
        Self {
            levels,
            zero,
            yy,
            sum,
            total,
            pure_error: data.pure_error,
            fixed: curve.fixed,
            slope,
            centre,
            factors,
            factored,
        }
    }

    /// The sums `[Σ n a², Σ n a s, Σ n s², Σ n ȳ a, Σ n ȳ s]` (`s` the fraction of Top,
    /// `a = 1 − s`) of the dose-zero levels, on the plateau the slope's sign puts them.
    fn zero_sums(&self, hill: f64) -> [f64; 5] {
        let [n, ny] = self.zero;
        if hill < 0.0 {
            [0.0, 0.0, n, 0.0, ny]
        } else if hill > 0.0 {
            [n, 0.0, 0.0, ny, 0.0]
        } else {
            [0.25 * n, 0.25 * n, 0.25 * n, 0.5 * ny, 0.5 * ny]
        }
    }

    /// The RSS (pure error included) at a LogIC50 and Hill slope, the plateaus solved.
    fn rss(&self, log_ic50: f64, hill: f64) -> f64 {
        let mut sums = self.zero_sums(hill);
        let scale = hill * std::f64::consts::LN_10;
        for &[x, n, ny] in &self.levels {
            // s = 1 / (1 + e^z) as `fraction_of_top` computes it (e^(−|z|) never
            // overflows), and a = 1 − s as the projection takes it: a Bottom column that
            // rounds to zero is dependent here as there.
            let z = (log_ic50 - x) * scale;
            let e = (-z.abs()).exp();
            let s = if z > 0.0 {
                e / (1.0 + e)
            } else {
                1.0 / (1.0 + e)
            };
            accumulate(&mut sums, s, 1.0 - s, n, ny);
        }
        self.rss_from_sums(sums)
    }

    /// [`Self::rss`] at the `k`-th (factored) slope of the grid.
    fn grid_rss(&self, log_ic50: f64, k: usize) -> f64 {
        let sign = match self.slope {
            Ok(_) => return f64::INFINITY,
            Err(sign) => sign,
        };
        let hill = sign * SLOPE_GRID[k];
        let mut sums = self.zero_sums(hill);
        let shared = (hill * std::f64::consts::LN_10 * (log_ic50 - self.centre)).exp();
        let row = &self.factors[k * self.levels.len()..(k + 1) * self.levels.len()];
        for (&[_, n, ny], factor) in self.levels.iter().zip(row) {
            let s = 1.0 / (1.0 + shared * factor);
            accumulate(&mut sums, s, 1.0 - s, n, ny);
        }
        self.rss_from_sums(sums)
    }

    /// The RSS at the plateaus that minimise it (the free ones solved from the normal
    /// equations, the fixed ones as given): `Σ n ȳ² − 2 pᵀr + pᵀMp`, plus the pure error.
    fn rss_from_sums(&self, [m00, m01, m11, r0, r1]: [f64; 5]) -> f64 {
        let quadratic = |b: f64, t: f64| {
            self.yy - 2.0 * (b * r0 + t * r1) + b * b * m00 + 2.0 * b * t * m01 + t * t * m11
        };
        // A flat line at `v` (the dependent-columns case).
        let flat = |v: f64| self.yy - 2.0 * v * self.sum + v * v * self.total;
        let level_sum = match self.fixed {
            [None, None] => {
                let det = m00 * m11 - m01 * m01;
                if det > 1e-12 * m00 * m11 {
                    let bottom = (m11 * r0 - m01 * r1) / det;
                    let top = (m00 * r1 - m01 * r0) / det;
                    self.yy - (bottom * r0 + top * r1)
                } else {
                    self.yy - self.sum * self.sum / self.total.max(1.0)
                }
            }
            [None, Some(top)] if m00 > 1e-300 => quadratic((r0 - top * m01) / m00, top),
            [Some(bottom), None] if m11 > 1e-300 => quadratic(bottom, (r1 - bottom * m01) / m11),
            [Some(bottom), Some(top)] => quadratic(bottom, top),
            [None, Some(v)] | [Some(v), None] => flat(v),
        };
        let rss = level_sum.max(0.0) + self.pure_error;
        if rss.is_finite() { rss } else { f64::INFINITY }
    }

    /// The curve's profile at a LogIC50: its lowest RSS over the Hill slope (of its sign, or
    /// the fixed slope), and that slope. A grid from nearly flat to a step, then
    /// parabolic steps between the neighbours of the best grid point (in log |Hill|;
    /// golden section at the grid's ends), so a steep curve whose RSS has a valley at each
    /// dose gets the lowest of them.
    fn profile(&self, log_ic50: f64) -> (f64, f64) {
        let sign = match self.slope {
            Ok(fixed) => return (self.rss(log_ic50, fixed), fixed),
            Err(sign) => sign,
        };
        // Slopes so steep that every dose is on a plateau give the step's RSS: of those only
        // the step is tried (|Hill| times the distance to the nearest dose above 20 leaves
        // less than 1e-20 of the span at every dose).
        let nearest = self
            .levels
            .iter()
            .map(|l| (l[0] - log_ic50).abs())
            .fold(f64::INFINITY, f64::min);
        let last = SLOPE_GRID.len() - 1;
        let mut slopes = [0.0; SLOPE_GRID.len()];
        let mut values = [0.0; SLOPE_GRID.len()];
        let mut tried = 0;
        for (k, h) in SLOPE_GRID.into_iter().enumerate() {
            if k < last && h * nearest > 20.0 {
                continue;
            }
            slopes[tried] = h;
            values[tried] = if k < self.factored {
                self.grid_rss(log_ic50, k)
            } else {
                self.rss(log_ic50, sign * h)
            };
            tried += 1;
        }
        let (slopes, values) = (&slopes[..tried], &values[..tried]);
        let Some(k) = lowest(values) else {
            return (f64::INFINITY, sign);
        };
        let at = |k: usize| (slopes[k].ln(), values[k]);
        let valley = |u: f64| self.rss(log_ic50, sign * u.exp());
        let (u, rss) = if k > 0 && k + 1 < tried && slopes[k + 1] <= SMOOTH_SLOPES {
            parabolic([at(k - 1), at(k), at(k + 1)], PARABOLIC_STEPS, valley)
        } else {
            let (a, b) = (at(k.saturating_sub(1)).0, at((k + 1).min(tried - 1)).0);
            golden(a, b, GOLDEN_STEPS, valley)
        };
        if rss < values[k] {
            (rss, sign * u.exp())
        } else {
            (values[k], sign * slopes[k])
        }
    }
}

/// Adds one level (fraction of Top `s`, `a = 1 − s`, `n` points of mean `ny / n`) to the
/// sums of [`SearchCurve::zero_sums`].
#[inline]
fn accumulate(sums: &mut [f64; 5], s: f64, a: f64, n: f64, ny: f64) {
    let (na, ns) = (n * a, n * s);
    sums[0] += na * a;
    sums[1] += na * s;
    sums[2] += ns * s;
    sums[3] += ny * a;
    sums[4] += ny * s;
}

impl ProjectedCurves<'_> {
    /// The minimum of a model whose curves share one LogIC50 and each have their own Hill
    /// slope (free, of the sign it has in `start`, or fixed), the plateaus projected. At a
    /// shared LogIC50 L the curves are independent, so the model's RSS is the sum of their
    /// own profiles at L, each a search over one slope. L is sampled over `range`, cut at
    /// the tested doses (0.1 decades apart, a hair inside each dose, and the doses
    /// themselves), and the lowest local minima are refined. No start decides which valley
    /// is found, and the work is bounded by the range's width and the number of doses in it
    /// (about 100 sums of slope profiles for a typical pair). Returns the RSS (pure error
    /// included) and the nonlinear parameters; `None` when the curves do not share one free
    /// LogIC50.
    #[must_use]
    pub fn shared_log_ic50_minimum(
        &self,
        range: (f64, f64),
        start: &[f64],
    ) -> Option<(f64, Vec<f64>)> {
        let ParamRef::Free(shared) = self.curves.first()?.log_ic50 else {
            return None;
        };
        if self
            .curves
            .iter()
            .any(|c| c.log_ic50 != ParamRef::Free(shared))
            || !(range.0.is_finite() && range.1.is_finite() && range.0 <= range.1)
        {
            return None;
        }
        // Ok(fixed slope) or Err(sign of the free slope).
        let slopes: Vec<Result<f64, f64>> = self
            .curves
            .iter()
            .map(|c| match c.hill {
                ParamRef::Fixed(v) => Ok(v),
                ParamRef::Free(j) => Err(if start.get(j).is_some_and(|h| *h > 0.0) {
                    1.0
                } else {
                    -1.0
                }),
            })
            .collect();
        let prepared: Vec<SearchCurve> = self
            .curves
            .iter()
            .zip(&slopes)
            .map(|(c, slope)| SearchCurve::new(c, *slope, range))
            .collect();
        let total = |l: f64| -> f64 { prepared.iter().map(|c| c.profile(l).0).sum() };
        let (lo, hi) = range;
        // Between two doses the sum is smooth; at a dose it can jump (a curve that is a
        // step between two doses fits equally well wherever its midpoint lies between
        // them, so the other curve pulls the shared LogIC50 right up to a dose, and the
        // minimum is the limit there; the step at the dose itself puts that dose's points
        // at the middle of the plateaus, another value). So the range is cut at the tested
        // doses into segments, each sampled 0.1 decades apart and a hair inside its ends;
        // the doses themselves are tried too.
        let mut doses: Vec<f64> = self
            .curves
            .iter()
            .flat_map(|c| c.data.log_x.iter().copied())
            .filter(|x| *x > lo && *x < hi)
            .collect();
        doses.sort_by(f64::total_cmp);
        doses.dedup();
        let bounds: Vec<f64> = std::iter::once(lo)
            .chain(doses.iter().copied())
            .chain(std::iter::once(hi))
            .collect();
        let step = (hi - lo) / (((hi - lo) / SHARED_GRID_STEP).ceil().clamp(8.0, 80.0));
        let (mut l, mut rss) = (f64::NAN, f64::INFINITY);
        for dose in &doses {
            let value = total(*dose);
            if value < rss {
                (l, rss) = (*dose, value);
            }
        }
        // Each segment's samples and their values.
        let mut segments: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
        let last = bounds.len() - 2;
        for (s, pair) in bounds.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            let start = if s > 0 { a + BESIDE_A_DOSE } else { a };
            let end = if s < last { b - BESIDE_A_DOSE } else { b };
            if end < start {
                continue;
            }
            // The segment's ends and the points of the range's grid between them.
            let mut samples = vec![start];
            let mut next = lo + ((start - lo) / step).floor() * step + step;
            while next < end {
                samples.push(next);
                next += step;
            }
            if end > start {
                samples.push(end);
            }
            let values: Vec<f64> = samples.iter().map(|x| total(*x)).collect();
            let Some(k) = lowest(&values) else {
                continue;
            };
            if values[k] < rss {
                (l, rss) = (samples[k], values[k]);
            }
            segments.push((samples, values));
        }
        // Within a segment the sum can have more than one valley (each curve's slope can
        // switch branch): the lowest local minima of the samples, over all segments, are
        // refined, each side of the sample on its own (a valley on either side of it).
        let mut minima: Vec<(f64, f64, f64, f64)> = Vec::new();
        for (samples, values) in &segments {
            let n = samples.len();
            for k in 0..n {
                let (before, after) = (k.saturating_sub(1), (k + 1).min(n - 1));
                if values[k] <= values[before] && values[k] <= values[after] {
                    minima.push((values[k], samples[before], samples[k], samples[after]));
                }
            }
        }
        minima.sort_by(|a, b| a.0.total_cmp(&b.0));
        for &(_, before, at, after) in minima.iter().take(REFINED_MINIMA) {
            for (a, b) in [(before, at), (at, after)] {
                if b > a {
                    let (refined, value) = golden(a, b, SHARED_GOLDEN_STEPS, total);
                    if value < rss {
                        (l, rss) = (refined, value);
                    }
                }
            }
        }
        if !rss.is_finite() {
            return None;
        }
        let mut params = start.to_vec();
        *params.get_mut(shared)? = l;
        for (c, search) in self.curves.iter().zip(&prepared) {
            if let ParamRef::Free(j) = c.hill {
                *params.get_mut(j)? = search.profile(l).1;
            }
        }
        Some((rss, params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slope profile's parabolic refinement: exact on a parabola after one step; on a
    /// valley steep on one side and flat on the other (as slope profiles are, where plain
    /// parabolas crept in from the flat side), Brent's safeguard gets as close as golden
    /// section's eleven evaluations in six; never worse than the point it starts from.
    #[test]
    fn parabolic_refinement_finds_asymmetric_valleys() {
        let parabola = |u: f64| (u - 1.3).powi(2) + 2.0;
        let start = [1.0, 1.5, 2.0].map(|u| (u, parabola(u)));
        let (u, value) = parabolic(start, 1, parabola);
        assert!(
            (u - 1.3).abs() < 1e-12 && (value - 2.0).abs() < 1e-12,
            "{u} {value}"
        );
        let skewed = |u: f64| (4.0 * (u - 1.3)).exp() - 4.0 * (u - 1.3);
        let start = [3f64.ln(), 4.5f64.ln(), 7f64.ln()].map(|u| (u, skewed(u)));
        let (u, value) = parabolic(start, PARABOLIC_STEPS, skewed);
        let (_, golden_value) = golden(start[0].0, start[2].0, GOLDEN_STEPS, skewed);
        assert!(
            value <= start[1].1,
            "{value} above the start {}",
            start[1].1
        );
        assert!((u - 1.3).abs() < 0.02, "{u}");
        assert!(
            value - 1.0 <= 1.5 * (golden_value - 1.0) + 1e-6,
            "{value} against golden {golden_value}"
        );
    }

    /// A real slope profile with that shape (a random pair's curve, one point per dose, at
    /// a LogIC50 a hair below its dose 0.81): steep towards shallow slopes, flat towards
    /// steep ones. Without Brent's safeguard six parabolic steps stopped at RSS 25.6605;
    /// golden section's eleven evaluations reach 25.6552, and so must the profile.
    #[test]
    fn slope_profile_matches_golden_section_on_a_one_sided_valley() {
        let points = [
            (0.01, 100.6672),
            (0.03, 98.2702),
            (0.09, 100.7783),
            (0.27, 100.1632),
            (0.81, 70.7894),
            (2.43, 37.9165),
            (7.29, 36.6539),
            (21.87, 37.1520),
            (65.61, 32.6505),
        ];
        let data = CurveData::from_points(points.map(|(c, y): (f64, f64)| (c.log10(), y)));
        let curve = Curve {
            data: &data,
            fixed: [None, None],
            log_ic50: ParamRef::Free(0),
            hill: ParamRef::Free(1),
        };
        let search = SearchCurve::new(&curve, Err(-1.0), (-1.0, 1.0));
        let log_ic50 = 0.81f64.log10() - BESIDE_A_DOSE;
        let (rss, _) = search.profile(log_ic50);
        let (_, golden_rss) = golden(3f64.ln(), 7f64.ln(), GOLDEN_STEPS, |u| {
            search.rss(log_ic50, -u.exp())
        });
        assert!(
            rss <= golden_rss * (1.0 + 1e-5),
            "profile {rss} against golden section {golden_rss}"
        );
    }

    /// The searches' RSS from level sums equals the projection's (solve, then residuals),
    /// evaluated directly and from the grid's precomputed factors, with free and fixed
    /// plateaus, and with dependent plateau columns (a slope so shallow that the curve is
    /// flat, or so steep that every dose is on one plateau).
    #[test]
    fn search_rss_equals_the_projection() {
        let data = CurveData::from_points(
            [(f64::NEG_INFINITY, 101.0), (f64::NEG_INFINITY, 98.0)]
                .into_iter()
                .chain((0..8).flat_map(|k| {
                    let x = -2.0 + 0.5 * f64::from(k);
                    let y = 5.0 + 95.0 / (1.0 + 10f64.powf((x - 0.1) * 1.3));
                    [(x, y + f64::from(k % 3)), (x, y - 1.5)]
                })),
        );
        let two_pass = |fixed: [Option<f64>; 2], log_ic50: f64, hill: f64| {
            let curve = Curve {
                data: &data,
                fixed,
                log_ic50: ParamRef::Fixed(log_ic50),
                hill: ParamRef::Fixed(hill),
            };
            let projection = project_curve(&curve, log_ic50, hill);
            let [bottom, top] = projection.plateaus;
            projection
                .s
                .iter()
                .zip(&data.y)
                .zip(&data.count)
                .map(|((s, y), n)| *n as f64 * (bottom + (top - bottom) * s - y).powi(2))
                .sum::<f64>()
                + data.pure_error
        };
        let range = (-2.5, 2.0);
        for fixed in [
            [None, None],
            [Some(0.0), None],
            [None, Some(100.0)],
            [Some(3.0), Some(97.0)],
        ] {
            for sign in [-1.0, 1.0] {
                let curve = Curve {
                    data: &data,
                    fixed,
                    log_ic50: ParamRef::Free(0),
                    hill: ParamRef::Free(1),
                };
                let search = SearchCurve::new(&curve, Err(sign), range);
                assert!(search.factored >= 10, "{}", search.factored);
                for log_ic50 in [0.1, -1.0, 0.7, -0.5, 1.99, -2.5] {
                    for (k, h) in SLOPE_GRID.into_iter().enumerate() {
                        let expected = two_pass(fixed, log_ic50, sign * h);
                        let tolerance = 1e-9 * expected;
                        let direct = search.rss(log_ic50, sign * h);
                        assert!(
                            (direct - expected).abs() <= tolerance,
                            "{fixed:?} L {log_ic50} Hill {}: {direct} against {expected}",
                            sign * h
                        );
                        if k < search.factored {
                            let factored = search.grid_rss(log_ic50, k);
                            assert!(
                                (factored - expected).abs() <= tolerance,
                                "{fixed:?} L {log_ic50} Hill {} (grid): {factored} against \
                                 {expected}",
                                sign * h
                            );
                        }
                    }
                    let expected = two_pass(fixed, log_ic50, -1e-9);
                    let flat = search.rss(log_ic50, -1e-9);
                    assert!(
                        (flat - expected).abs() <= 1e-9 * expected,
                        "{flat} {expected}"
                    );
                }
            }
        }
    }
    use crate::fit::lm::{SolverSettings, minimize};
    use crate::fit::model::response_and_gradient;

    fn curve(truth: [f64; 4], wobble: f64) -> CurveData {
        let points = (0..9).flat_map(|k| {
            let x = 1.7 - 0.5 * f64::from(k);
            (0..3).map(move |r| {
                let noise = [1.9, -2.3, 0.7][r] * (1.0 + wobble * f64::from(k));
                (x, response_and_gradient(truth, x).0 + noise)
            })
        });
        CurveData::from_points(
            points.chain([(f64::NEG_INFINITY, 101.0), (f64::NEG_INFINITY, 98.5)]),
        )
    }

    fn refs(fixed: [Option<f64>; 2], next: &mut usize, log: ParamRef) -> [ParamRef; 4] {
        let mut take = |f: Option<f64>| {
            f.map_or_else(
                || {
                    *next += 1;
                    ParamRef::Free(*next - 1)
                },
                ParamRef::Fixed,
            )
        };
        let bottom = take(fixed[0]);
        let top = take(fixed[1]);
        let log = match log {
            ParamRef::Free(_) => take(None),
            fixed => fixed,
        };
        [bottom, top, log, take(None)]
    }

    /// One curve with LogIC50 held (the profile's refit): the slope-only problem reaches the
    /// minimum of the solver moving the plateaus too, with both plateaus free, one fixed or
    /// both fixed.
    #[test]
    fn projected_profile_equals_the_full_refit() {
        let data = curve([4.0, 97.0, -0.3, -1.3], 0.1);
        for fixed in [
            [None, None],
            [Some(0.0), None],
            [None, Some(100.0)],
            [Some(2.0), Some(100.0)],
        ] {
            for log_ic50 in [-1.2, -0.6, -0.3, 0.2, 0.9] {
                let mut next = 0;
                let set = CurveSet {
                    curves: vec![(
                        data.clone(),
                        refs(fixed, &mut next, ParamRef::Fixed(log_ic50)),
                    )],
                    n_free: 0,
                };
                let set = CurveSet {
                    n_free: next,
                    ..set
                };
                let (model, map) = ProjectedCurves::from_set(&set).expect("separable");
                assert_eq!(map.len(), 1);
                let settings = SolverSettings::default();
                let projected = minimize(&model, &[-1.0], settings);
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
                    (projected.params[0].abs() - hill.abs()).abs() < 1e-5 * hill.abs().max(1.0)
                );
            }
        }
    }

    /// Two curves with one shared LogIC50 (the F test's reduced model): three nonlinear
    /// parameters reach the minimum of the solver moving all seven.
    #[test]
    fn projected_joint_fit_equals_the_full_joint_fit() {
        let a = curve([4.0, 97.0, -0.3, -1.3], 0.1);
        let b = curve([8.0, 99.0, 0.4, -0.9], -0.05);
        for fixed in [[None, None], [Some(0.0), Some(100.0)]] {
            let mut next = 0;
            let refs_a = refs(fixed, &mut next, ParamRef::Free(0));
            let ParamRef::Free(shared) = refs_a[2] else {
                panic!("shared LogIC50 is free")
            };
            let mut refs_b = refs(fixed, &mut next, ParamRef::Fixed(0.0));
            refs_b[2] = ParamRef::Free(shared);
            let set = CurveSet {
                curves: vec![(a.clone(), refs_a), (b.clone(), refs_b)],
                n_free: next,
            };
            let (model, map) = ProjectedCurves::from_set(&set).expect("separable");
            assert_eq!(map.len(), 3);
            let settings = SolverSettings::default();
            let projected = minimize(&model, &[0.0, -1.0, -1.0], settings);
            let mut start = vec![0.0; next];
            for (k, v) in [(0, 5.0), (1, 95.0), (2, 0.0), (3, -1.0)] {
                if let ParamRef::Free(i) = refs_a[k] {
                    start[i] = v;
                }
                if let ParamRef::Free(i) = refs_b[k] {
                    start[i] = v;
                }
            }
            let full = minimize(&set, &start, settings);
            assert!(projected.success && full.success, "{fixed:?}");
            assert!(
                (projected.rss / full.rss - 1.0).abs() < 1e-9,
                "{fixed:?}: projected {} vs full {}",
                projected.rss,
                full.rss
            );
            let shared_full = full.params[shared];
            let at = map
                .iter()
                .position(|i| *i == shared)
                .expect("shared mapped");
            assert!((projected.params[at] - shared_full).abs() < 1e-6);
        }
    }

    /// The levenberg-marquardt crate's numerical differentiation checks the gradient `Jᵀr`
    /// of the projected problem (Kaufman's Jacobian gives it exactly).
    #[test]
    fn gradient_matches_numerical_differentiation() {
        let a = curve([4.0, 97.0, -0.3, -1.3], 0.1);
        let b = curve([8.0, 99.0, 0.4, -0.9], -0.05);
        let set = CurveSet {
            curves: vec![
                (
                    a,
                    [
                        ParamRef::Free(0),
                        ParamRef::Free(1),
                        ParamRef::Free(2),
                        ParamRef::Free(3),
                    ],
                ),
                (
                    b,
                    [
                        ParamRef::Fixed(0.0),
                        ParamRef::Free(4),
                        ParamRef::Free(2),
                        ParamRef::Free(5),
                    ],
                ),
            ],
            n_free: 6,
        };
        let (model, _) = ProjectedCurves::from_set(&set).expect("separable");
        let (analytic, numeric, r) = crate::fit::lm::numerical_check(&model, &[0.1, -1.1, -0.8]);
        let diff = (numeric.transpose() * &r - analytic.transpose() * &r)
            .abs()
            .max();
        let scale = (numeric.transpose() * &r).abs().max().max(1.0);
        assert!(diff < 1e-5 * scale, "gradient difference {diff} of {scale}");
    }
}
