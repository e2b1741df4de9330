//! The bridge to the `levenberg-marquardt` crate: any least-squares model with an analytic
//! Jacobian is minimized through [`minimize`]; nalgebra stays inside this module and the
//! covariance helper.

use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt, TerminationReason};
use nalgebra::allocator::{Allocator, Reallocator};
use nalgebra::{
    Const, DMatrix, DefaultAllocator, Dim, DimMaximum, DimName, Dyn, OMatrix, OVector, Owned, U1,
    U2, U3, U4,
};

/// A least-squares model: residuals `r(p)` and their Jacobian `∂r/∂p`.
pub trait LeastSquaresModel {
    /// Number of parameters.
    fn n_params(&self) -> usize;
    /// Number of residuals.
    fn n_residuals(&self) -> usize;
    /// Writes the residuals (model − observation) for `params`; false if not computable.
    fn residuals(&self, params: &[f64], out: &mut [f64]) -> bool;
    /// Writes the Jacobian, column-major (`out[col * n_residuals + row]` = ∂r_row/∂p_col);
    /// false if not computable.
    fn jacobian(&self, params: &[f64], out: &mut [f64]) -> bool;
    /// A constant part of the residual sum of squares that the residuals do not carry
    /// (e.g. the pure error of replicates grouped into one residual per level).
    fn rss_offset(&self) -> f64 {
        0.0
    }
}

/// How the solver stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The parameters where it stopped.
    pub params: Vec<f64>,
    /// Residual sum of squares there.
    pub rss: f64,
    /// Number of residual evaluations.
    pub evaluations: usize,
    /// Whether the solver reports success (converged, orthogonal or zero residuals).
    pub success: bool,
    /// The solver's termination reason (the variant name of the crate's
    /// `TerminationReason`, e.g. `Converged`, `LostPatience`).
    pub termination: &'static str,
}

/// Solver settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverSettings {
    /// ftol = xtol = gtol.
    pub tolerance: f64,
    /// Evaluations allowed are `patience × (n_params + 1)`.
    pub patience: usize,
}

impl Default for SolverSettings {
    fn default() -> Self {
        Self {
            tolerance: 1e-12,
            patience: 200,
        }
    }
}

/// The residual reported where the model cannot be evaluated; its square summed over
/// millions of points is still finite.
const OVERFLOW_RESIDUAL: f64 = 1e100;

struct Adapter<'a, M: LeastSquaresModel, R: Dim, N: Dim>
where
    DefaultAllocator: Allocator<N>,
{
    model: &'a M,
    params: OVector<f64, N>,
    rows: R,
    n: N,
    /// The model's own residual count: the rows below it (zero padding up to a fixed
    /// size) stay zero, which leaves the least-squares problem unchanged.
    used: usize,
}

impl<M: LeastSquaresModel, R: Dim, N: Dim> LeastSquaresProblem<f64, R, N> for Adapter<'_, M, R, N>
where
    DefaultAllocator: Allocator<N> + Allocator<R, N> + Allocator<R>,
{
    type ResidualStorage = Owned<f64, R>;
    type JacobianStorage = Owned<f64, R, N>;
    type ParameterStorage = Owned<f64, N>;

    fn set_params(&mut self, x: &OVector<f64, N>) {
        self.params.copy_from(x);
    }

    fn params(&self) -> OVector<f64, N> {
        self.params.clone()
    }

    fn residuals(&self) -> Option<OVector<f64, R>> {
        let mut out = OVector::<f64, R>::zeros_generic(self.rows, nalgebra::U1);
        let computed = match out.as_mut_slice().get_mut(..self.used) {
            Some(rows) => self.model.residuals(self.params.as_slice(), rows),
            None => false,
        };
        // A trial step into a region where the model overflows is a bad step, not the end
        // of the fit: report huge (finite) residuals so the solver rejects the step and
        // shrinks its trust region, as MINPACK users do.
        if !computed || out.iter().any(|v| !v.is_finite()) {
            out.fill(OVERFLOW_RESIDUAL);
        }
        Some(out)
    }

    fn jacobian(&self) -> Option<OMatrix<f64, R, N>> {
        let mut out = OMatrix::<f64, R, N>::zeros_generic(self.rows, self.n);
        let (used, padded, n) = (self.used, out.nrows(), out.ncols());
        let slice = out.as_mut_slice();
        let computed = self
            .model
            .jacobian(self.params.as_slice(), slice.get_mut(..used * n)?);
        if used < padded {
            // The model wrote its columns with `used` rows each: move them (last first, so
            // none is overwritten before it moves) to the padded stride, then zero the
            // padding.
            for col in (1..n).rev() {
                slice.copy_within(col * used..(col + 1) * used, col * padded);
            }
            for col in 0..n {
                slice[col * padded + used..(col + 1) * padded].fill(0.0);
            }
        }
        computed
            .then_some(out)
            .filter(|j| j.iter().all(|v| v.is_finite()))
    }
}

fn run<M: LeastSquaresModel, R, N: Dim>(
    model: &M,
    start: &[f64],
    settings: SolverSettings,
    rows: R,
    n: N,
) -> Minimum
where
    DefaultAllocator:
        Allocator<N> + Allocator<R, N> + Allocator<R> + Reallocator<f64, R, N, DimMaximum<R, N>, N>,
    R: Dim + nalgebra::DimMin<N> + nalgebra::DimMax<N>,
{
    let adapter = Adapter {
        model,
        params: OVector::<f64, N>::from_iterator_generic(n, nalgebra::U1, start.iter().copied()),
        rows,
        n,
        used: model.n_residuals(),
    };
    let (adapter, report) = LevenbergMarquardt::new()
        .with_tol(settings.tolerance)
        .with_patience(settings.patience)
        .minimize(adapter);
    let params: Vec<f64> = adapter.params.iter().copied().collect();
    let rss = rss(model, &params).unwrap_or(f64::INFINITY);
    let success = matches!(
        report.termination,
        TerminationReason::Converged { .. }
            | TerminationReason::Orthogonal
            | TerminationReason::ResidualsZero
            | TerminationReason::NoImprovementPossible(_)
    ) && rss.is_finite();
    Minimum {
        params,
        rss,
        evaluations: report.number_of_evaluations,
        success,
        termination: termination_name(&report.termination),
    }
}

fn termination_name(reason: &TerminationReason) -> &'static str {
    match reason {
        TerminationReason::User(_) => "User",
        TerminationReason::Numerical(_) => "Numerical",
        TerminationReason::ResidualsZero => "ResidualsZero",
        TerminationReason::Orthogonal => "Orthogonal",
        TerminationReason::Converged { .. } => "Converged",
        TerminationReason::NoImprovementPossible(_) => "NoImprovementPossible",
        TerminationReason::LostPatience => "LostPatience",
        TerminationReason::NoParameters => "NoParameters",
        TerminationReason::NoResiduals => "NoResiduals",
        TerminationReason::WrongDimensions(_) => "WrongDimensions",
    }
}

/// Minimizes the model's residual sum of squares from `start`.
///
/// A single curve (one to four free parameters: the plain 4PL, a fit with a plateau fixed,
/// the slope-only refits of the profile-likelihood CI; 4–16 concentration levels) runs with
/// fixed-size storage for both dimensions: nalgebra then keeps the solver's small matrices
/// on the stack and unrolls their loops. The shared-LogIC50 joint fits of the F test (one to
/// three free parameters, 17–32 rows) run with fixed-size storage too, their rows padded
/// with zero residuals (and zero Jacobian rows) up to 24 or 32: zero rows add nothing to
/// any sum of squares, norm or product the solver takes, so the minimum is the same (up to
/// the order of floating-point sums) without a heap allocation per iteration. Everything
/// else uses dynamic storage.
#[must_use]
pub fn minimize<M: LeastSquaresModel>(
    model: &M,
    start: &[f64],
    settings: SolverSettings,
) -> Minimum {
    let rows = model.n_residuals();
    if model.n_params() != start.len() {
        return run(model, start, settings, Dyn(rows), Dyn(start.len()));
    }
    macro_rules! fixed_rows {
        ($n:ty; $($m:literal)*) => {
            match rows {
                $($m => run(model, start, settings, Const::<$m>, <$n>::name()),)*
                _ => run(model, start, settings, Dyn(rows), <$n>::name()),
            }
        };
        ($n:ty; $($m:literal)*; padded) => {
            match rows {
                $($m => run(model, start, settings, Const::<$m>, <$n>::name()),)*
                17..=24 => run(model, start, settings, Const::<24>, <$n>::name()),
                25..=32 => run(model, start, settings, Const::<32>, <$n>::name()),
                _ => run(model, start, settings, Dyn(rows), <$n>::name()),
            }
        };
    }
    match start.len() {
        4 => fixed_rows!(U4; 4 5 6 7 8 9 10 11 12 13 14 15 16),
        3 => fixed_rows!(U3; 3 4 5 6 7 8 9 10 11 12 13 14 15 16; padded),
        2 => fixed_rows!(U2; 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; padded),
        1 => fixed_rows!(U1; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; padded),
        n => run(model, start, settings, Dyn(rows), Dyn(n)),
    }
}

/// The residual sum of squares of the model at `params`.
#[must_use]
pub fn rss<M: LeastSquaresModel>(model: &M, params: &[f64]) -> Option<f64> {
    let mut out = vec![0.0; model.n_residuals()];
    model.residuals(params, &mut out).then_some(())?;
    let sum: f64 = out.iter().map(|r| r * r).sum::<f64>() + model.rss_offset();
    sum.is_finite().then_some(sum)
}

/// The unscaled covariance `(JᵀJ)⁻¹` at `params`, if `JᵀJ` is invertible and well conditioned.
/// Multiply by `s² = RSS/df` for the covariance of the estimates.
#[must_use]
pub fn unscaled_covariance<M: LeastSquaresModel>(
    model: &M,
    params: &[f64],
) -> Option<DMatrix<f64>> {
    let (rows, n) = (model.n_residuals(), model.n_params());
    let mut jacobian = vec![0.0; rows * n];
    if !model.jacobian(params, &mut jacobian) {
        return None;
    }
    let columns: Vec<&[f64]> = jacobian.chunks_exact(rows.max(1)).collect();
    // Scale columns to unit norm before inverting, so the condition check is about the
    // geometry of the problem, not about the units of the parameters.
    let norms: Vec<f64> = columns
        .iter()
        .map(|c| c.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    if norms.len() != n || norms.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    let jtj = DMatrix::from_fn(n, n, |i, j| {
        let dot: f64 = columns[i].iter().zip(columns[j]).map(|(a, b)| a * b).sum();
        dot / (norms[i] * norms[j])
    });
    let inverse = jtj.cholesky()?.inverse();
    // With a unit diagonal, λ_max ≤ n and λ_min ≥ 1/trace((JᵀJ)⁻¹): refuse matrices whose
    // condition number may exceed 1e14 (the parameters are then not determined).
    let trace = inverse.trace();
    if !(trace.is_finite() && trace > 0.0 && trace * n as f64 <= 1e14) {
        return None;
    }
    let mut covariance = inverse;
    for i in 0..n {
        for j in 0..n {
            covariance[(i, j)] /= norms[i] * norms[j];
        }
    }
    covariance
        .iter()
        .all(|v| v.is_finite())
        .then_some(covariance)
}

/// Test support: the model's analytic Jacobian and the levenberg-marquardt crate's numerical
/// one at `params` (both `n_residuals × n_params`), and the residuals there.
#[cfg(test)]
pub(crate) fn numerical_check<M: LeastSquaresModel>(
    model: &M,
    params: &[f64],
) -> (DMatrix<f64>, DMatrix<f64>, nalgebra::DVector<f64>) {
    use levenberg_marquardt::differentiate_numerically;
    let mut adapter = Adapter {
        model,
        params: nalgebra::DVector::from_column_slice(params),
        rows: Dyn(model.n_residuals()),
        n: Dyn(params.len()),
        used: model.n_residuals(),
    };
    let numeric = differentiate_numerically(&mut adapter).expect("numerical Jacobian");
    let analytic = adapter.jacobian().expect("analytic Jacobian");
    let residuals = adapter.residuals().expect("residuals");
    (analytic, numeric, residuals)
}
