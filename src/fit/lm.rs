//! The bridge to the `levenberg-marquardt` crate: any least-squares model with an analytic
//! Jacobian is minimized through [`minimize`]; nalgebra stays inside this module and the
//! covariance helper.

use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt, TerminationReason};
use nalgebra::allocator::{Allocator, Reallocator};
use nalgebra::{
    DMatrix, DVector, DefaultAllocator, Dim, DimMaximum, Dyn, OMatrix, OVector, Owned, U4,
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
    /// The solver's termination reason, as text.
    pub termination: String,
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

struct Adapter<'a, M: LeastSquaresModel, N: Dim>
where
    DefaultAllocator: Allocator<N>,
{
    model: &'a M,
    params: OVector<f64, N>,
    n: N,
}

impl<M: LeastSquaresModel, N: Dim> LeastSquaresProblem<f64, Dyn, N> for Adapter<'_, M, N>
where
    DefaultAllocator: Allocator<N> + Allocator<Dyn, N> + Allocator<Dyn>,
{
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, N>;
    type ParameterStorage = Owned<f64, N>;

    fn set_params(&mut self, x: &OVector<f64, N>) {
        self.params.copy_from(x);
    }

    fn params(&self) -> OVector<f64, N> {
        self.params.clone()
    }

    fn residuals(&self) -> Option<DVector<f64>> {
        let mut out = DVector::<f64>::zeros_generic(Dyn(self.model.n_residuals()), nalgebra::U1);
        let computed = self
            .model
            .residuals(self.params.as_slice(), out.as_mut_slice());
        // A trial step into a region where the model overflows is a bad step, not the end
        // of the fit: report huge (finite) residuals so the solver rejects the step and
        // shrinks its trust region, as MINPACK users do.
        if !computed || out.iter().any(|v| !v.is_finite()) {
            out.fill(OVERFLOW_RESIDUAL);
        }
        Some(out)
    }

    fn jacobian(&self) -> Option<OMatrix<f64, Dyn, N>> {
        let mut out = OMatrix::<f64, Dyn, N>::zeros_generic(Dyn(self.model.n_residuals()), self.n);
        self.model
            .jacobian(self.params.as_slice(), out.as_mut_slice())
            .then_some(out)
            .filter(|j| j.iter().all(|v| v.is_finite()))
    }
}

fn run<M: LeastSquaresModel, N: Dim>(
    model: &M,
    start: &[f64],
    settings: SolverSettings,
    n: N,
) -> Minimum
where
    DefaultAllocator: Allocator<N>
        + Allocator<Dyn, N>
        + Allocator<Dyn>
        + Reallocator<f64, Dyn, N, DimMaximum<Dyn, N>, N>,
    Dyn: nalgebra::DimMin<N> + nalgebra::DimMax<N>,
{
    let adapter = Adapter {
        model,
        params: OVector::<f64, N>::from_iterator_generic(n, nalgebra::U1, start.iter().copied()),
        n,
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
        termination: format!("{:?}", report.termination),
    }
}

/// Minimizes the model's residual sum of squares from `start`. Four-parameter problems (the
/// plain 4PL fit) run with fixed-size parameter storage, which lets nalgebra unroll the
/// small linear algebra; everything else uses dynamic storage.
#[must_use]
pub fn minimize<M: LeastSquaresModel>(
    model: &M,
    start: &[f64],
    settings: SolverSettings,
) -> Minimum {
    if model.n_params() == 4 && start.len() == 4 {
        run(model, start, settings, U4)
    } else {
        run(model, start, settings, Dyn(start.len()))
    }
}

/// The residual sum of squares of the model at `params`.
#[must_use]
pub fn rss<M: LeastSquaresModel>(model: &M, params: &[f64]) -> Option<f64> {
    let mut out = vec![0.0; model.n_residuals()];
    model.residuals(params, &mut out).then_some(())?;
    let sum: f64 = out.iter().map(|r| r * r).sum();
    sum.is_finite().then_some(sum)
}

/// The unscaled covariance `(JᵀJ)⁻¹` at `params`, if `JᵀJ` is invertible and well conditioned.
/// Multiply by `s² = RSS/df` for the covariance of the estimates.
#[must_use]
pub fn unscaled_covariance<M: LeastSquaresModel>(
    model: &M,
    params: &[f64],
) -> Option<DMatrix<f64>> {
    let mut jacobian = DMatrix::zeros(model.n_residuals(), model.n_params());
    if !model.jacobian(params, jacobian.as_mut_slice()) {
        return None;
    }
    let n = model.n_params();
    // Scale columns to unit norm before inverting, so the condition check is about the
    // geometry of the problem, not about the units of the parameters.
    let norms: Vec<f64> = (0..n).map(|k| jacobian.column(k).norm()).collect();
    if norms.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    for (k, norm) in norms.iter().enumerate() {
        jacobian.column_mut(k).scale_mut(1.0 / norm);
    }
    let jtj = jacobian.transpose() * &jacobian;
    let eigen = jtj.clone().symmetric_eigen();
    let max = eigen.eigenvalues.max();
    let min = eigen.eigenvalues.min();
    if !(min > 0.0 && max.is_finite() && min / max > 1e-14) {
        return None;
    }
    let inverse = jtj.cholesky()?.inverse();
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
