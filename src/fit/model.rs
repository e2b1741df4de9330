//! The four-parameter logistic (4PL) model in Prism's form and its analytic derivatives.
//!
//! With `X = log10(concentration)`:
//!
//! `Y = bottom + (top − bottom) / (1 + 10^((log10_ic50 − X) · hill_slope))`
//!
//! `hill_slope < 0` for a falling viability curve (Prism's sign; drc's `b = −hill_slope`).
//! A zero concentration is `X = −∞`, where the model is `top` for a falling curve and
//! `bottom` for a rising one, as in drc's LL.4 at dose 0.
//!
//! We fit `log10_ic50` rather than the IC50 because plates span 4–6 decades of
//! concentration; in log space the optimizer sees a well-scaled parameter.

/// The four parameters, in the fixed order used throughout the fit code.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Params4pl {
    /// Response at infinite concentration for a falling curve (lower plateau).
    pub bottom: f64,
    /// Response at zero concentration for a falling curve (upper plateau).
    pub top: f64,
    /// log10 of the relative IC50 (the midpoint between the plateaus).
    pub log10_ic50: f64,
    /// Hill slope, negative for a falling curve.
    pub hill_slope: f64,
}

/// Index of each parameter in `[bottom, top, log10_ic50, hill_slope]` arrays.
pub mod index {
    /// Bottom.
    pub const BOTTOM: usize = 0;
    /// Top.
    pub const TOP: usize = 1;
    /// log10 IC50.
    pub const LOG_IC50: usize = 2;
    /// Hill slope.
    pub const HILL: usize = 3;
}

impl Params4pl {
    /// The parameters as `[bottom, top, log10_ic50, hill_slope]`.
    #[must_use]
    pub fn to_array(self) -> [f64; 4] {
        [self.bottom, self.top, self.log10_ic50, self.hill_slope]
    }

    /// From `[bottom, top, log10_ic50, hill_slope]`.
    #[must_use]
    pub fn from_array(values: [f64; 4]) -> Self {
        Self {
            bottom: values[0],
            top: values[1],
            log10_ic50: values[2],
            hill_slope: values[3],
        }
    }

    /// The model at `log10_x` (`−∞` for a zero concentration).
    #[must_use]
    pub fn response(self, log10_x: f64) -> f64 {
        let s = fraction_of_top(self.log10_ic50, self.hill_slope, log10_x);
        self.bottom + (self.top - self.bottom) * s
    }

    /// The model at a concentration (zero allowed).
    #[must_use]
    pub fn response_at_concentration(self, concentration: f64) -> f64 {
        self.response(log10_or_neg_inf(concentration))
    }

    /// The same curve labelled so that `bottom <= top` (the model is invariant under
    /// swapping bottom and top while negating the Hill slope).
    #[must_use]
    pub fn canonical(self) -> Self {
        if self.bottom > self.top {
            Self {
                bottom: self.top,
                top: self.bottom,
                log10_ic50: self.log10_ic50,
                hill_slope: -self.hill_slope,
            }
        } else {
            self
        }
    }
}

/// `log10(x)`, with `−∞` for zero (dose-zero points).
#[must_use]
pub fn log10_or_neg_inf(concentration: f64) -> f64 {
    if concentration > 0.0 {
        concentration.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// `s = 1 / (1 + 10^z)` with `z = (log10_ic50 − X) · hill`, computed without overflow;
/// the limits at `X = −∞` are taken exactly.
#[must_use]
pub fn fraction_of_top(log10_ic50: f64, hill_slope: f64, log10_x: f64) -> f64 {
    if log10_x == f64::NEG_INFINITY {
        return if hill_slope > 0.0 {
            0.0
        } else if hill_slope < 0.0 {
            1.0
        } else {
            0.5
        };
    }
    // 10^z as exp(z·ln 10): the same number to rounding, and much cheaper than powf.
    let z = (log10_ic50 - log10_x) * hill_slope * std::f64::consts::LN_10;
    if z > 0.0 {
        let e = (-z).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + z.exp())
    }
}

/// The model value and its gradient with respect to `[bottom, top, log10_ic50, hill_slope]`.
#[must_use]
pub fn response_and_gradient(params: [f64; 4], log10_x: f64) -> (f64, [f64; 4]) {
    let [bottom, top, log10_ic50, hill] = params;
    let s = fraction_of_top(log10_ic50, hill, log10_x);
    let value = bottom + (top - bottom) * s;
    if log10_x == f64::NEG_INFINITY {
        // At the dose-zero limit the model is a plateau: only bottom/top move it.
        return (value, [1.0 - s, s, 0.0, 0.0]);
    }
    let g = -(top - bottom) * std::f64::consts::LN_10 * s * (1.0 - s);
    (value, [1.0 - s, s, g * hill, g * (log10_ic50 - log10_x)])
}

/// `log10(2^(1/S) − 1)`, the shift of the 5PL's `LogXb` from the midpoint times the Hill
/// slope; `None` unless `S > 0` gives a finite value.
#[must_use]
pub fn asymmetry_shift(asymmetry: f64) -> Option<f64> {
    let shift = (std::f64::consts::LN_2 / asymmetry).exp_m1().log10();
    (asymmetry > 0.0 && shift.is_finite()).then_some(shift)
}

/// `ln(1 + e^v)` without overflow.
fn softplus(v: f64) -> f64 {
    if v > 0.0 {
        v + (-v).exp().ln_1p()
    } else {
        v.exp().ln_1p()
    }
}

/// `e^v/(1 + e^v)` without overflow.
fn logistic(v: f64) -> f64 {
    if v > 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
    }
}

/// The asymmetric five-parameter logistic (5PL, Richards; Prism's "asymmetric sigmoidal,
/// 5PL, X is log(concentration)") and its gradient with respect to
/// `[bottom, top, log10_ic50, hill_slope, asymmetry]`:
///
/// `Y = Bottom + (Top − Bottom)/(1 + 10^((LogXb − X)·HillSlope))^S` with
/// `LogXb = LogIC50 + (1/HillSlope)·log10(2^(1/S) − 1)`,
///
/// so that `LogIC50` is the midpoint between the plateaus for every S, and S = 1 is the 4PL.
/// The value is NaN when `S ≤ 0` (the solver then rejects the step).
#[must_use]
pub fn asymmetric_response_and_gradient(params: [f64; 5], log10_x: f64) -> (f64, [f64; 5]) {
    let [bottom, top, log10_ic50, hill, asymmetry] = params;
    let Some(shift) = asymmetry_shift(asymmetry) else {
        return (f64::NAN, [f64::NAN; 5]);
    };
    if log10_x == f64::NEG_INFINITY {
        // Dose zero: the plateau the curve starts from (half-way for a flat slope, where
        // 10^q = 2^(1/S) − 1 and the fraction is exactly 1/2).
        let fraction = if hill > 0.0 {
            0.0
        } else if hill < 0.0 {
            1.0
        } else {
            0.5
        };
        return (
            bottom + (top - bottom) * fraction,
            [1.0 - fraction, fraction, 0.0, 0.0, 0.0],
        );
    }
    let ln10 = std::f64::consts::LN_10;
    // q = (LogXb − X)·HillSlope = (LogIC50 − X)·HillSlope + log10(2^(1/S) − 1).
    let q_ln = ((log10_ic50 - log10_x) * hill + shift) * ln10;
    let log_denominator = softplus(q_ln);
    let fraction = (-asymmetry * log_denominator).exp();
    let span = top - bottom;
    let d_fraction_dq = -asymmetry * ln10 * fraction * logistic(q_ln);
    // d log10(2^(1/S) − 1)/dS = −(ln 2/S²)·2^(1/S)/((2^(1/S) − 1)·ln 10).
    let a = std::f64::consts::LN_2 / asymmetry;
    let d_shift = -(a / asymmetry) / (ln10 * -(-a).exp_m1());
    let d_fraction_ds = -log_denominator * fraction + d_fraction_dq * d_shift;
    (
        bottom + span * fraction,
        [
            1.0 - fraction,
            fraction,
            span * d_fraction_dq * hill,
            span * d_fraction_dq * (log10_ic50 - log10_x),
            span * d_fraction_ds,
        ],
    )
}

/// Where the 5PL crosses `level`: `X = LogIC50 − (log10(φ^(−1/S) − 1) − log10(2^(1/S) − 1))/HillSlope`
/// with `φ = (level − Bottom)/(Top − Bottom)`; the 4PL's [`super::crossing`] for S = 1.
#[must_use]
pub fn asymmetric_crossing(params: Params4pl, asymmetry: f64, level: f64) -> Option<f64> {
    let shift = asymmetry_shift(asymmetry)?;
    let fraction = (level - params.bottom) / (params.top - params.bottom);
    let inner = fraction.powf(-1.0 / asymmetry) - 1.0;
    if !(fraction > 0.0 && fraction < 1.0 && inner > 0.0 && inner.is_finite())
        || params.hill_slope.abs() < 1e-12
    {
        return None;
    }
    let log_x = params.log10_ic50 - (inner.log10() - shift) / params.hill_slope;
    let x = 10f64.powf(log_x);
    (x.is_finite() && x > 0.0).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_midpoint() {
        let p = Params4pl {
            bottom: 5.0,
            top: 100.0,
            log10_ic50: 0.0,
            hill_slope: -1.0,
        };
        assert!((p.response(0.0) - 52.5).abs() < 1e-12);
        assert!((p.response(f64::NEG_INFINITY) - 100.0).abs() < 1e-12);
        assert!((p.response(400.0) - 5.0).abs() < 1e-9);
        assert!((p.response(-400.0) - 100.0).abs() < 1e-9);
        let c = Params4pl {
            bottom: 100.0,
            top: 5.0,
            log10_ic50: 0.0,
            hill_slope: 1.0,
        }
        .canonical();
        for (a, b) in c.to_array().iter().zip(p.to_array()) {
            assert!((a - b).abs() < 1e-15);
        }
    }

    /// S = 1 is the 4PL; LogIC50 is the midpoint for any S; the crossing inverts the model.
    #[test]
    fn asymmetric_model_reduces_to_the_4pl_and_keeps_the_midpoint() {
        let p = Params4pl {
            bottom: 4.0,
            top: 98.0,
            log10_ic50: -0.3,
            hill_slope: -1.4,
        };
        for x in [f64::NEG_INFINITY, -3.0, -0.3, 0.0, 1.2] {
            let (five, _) = asymmetric_response_and_gradient([4.0, 98.0, -0.3, -1.4, 1.0], x);
            assert!((five - p.response(x)).abs() < 1e-12, "{x}: {five}");
        }
        for s in [0.2, 0.7, 3.0, 12.0] {
            let (mid, _) = asymmetric_response_and_gradient([4.0, 98.0, -0.3, -1.4, s], -0.3);
            assert!((mid - 51.0).abs() < 1e-9, "S {s}: {mid}");
            let x = asymmetric_crossing(p, s, 30.0).unwrap();
            let (y, _) = asymmetric_response_and_gradient([4.0, 98.0, -0.3, -1.4, s], x.log10());
            assert!((y - 30.0).abs() < 1e-9, "S {s}: {y}");
        }
        let four = super::super::crossing(p, 30.0).unwrap();
        assert!((asymmetric_crossing(p, 1.0, 30.0).unwrap() / four - 1.0).abs() < 1e-12);
        assert!(
            asymmetric_response_and_gradient([4.0, 98.0, -0.3, -1.4, 0.0], 0.0)
                .0
                .is_nan()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 64,
        // A fixed seed: the same cases in every run, CI included; PROPTEST_RNG_SEED=n
        // explores others locally.
        rng_seed: match proptest::prelude::ProptestConfig::default().rng_seed {
            proptest::test_runner::RngSeed::Random => proptest::test_runner::RngSeed::Fixed(7),
            chosen => chosen,
        },
        ..proptest::prelude::ProptestConfig::default()
    })]
        #[test]
        fn asymmetric_gradient_matches_finite_differences(
            bottom in -20.0f64..40.0, span in 10.0f64..150.0, log_ic50 in -3.0f64..2.0,
            hill in -4.0f64..-0.3, s in 0.15f64..8.0, x in -4.0f64..3.0,
        ) {
            let params = [bottom, bottom + span, log_ic50, hill, s];
            let (_, gradient) = asymmetric_response_and_gradient(params, x);
            for k in 0..5 {
                let h = 1e-6 * params[k].abs().max(0.1);
                let mut up = params;
                let mut down = params;
                up[k] += h;
                down[k] -= h;
                let numeric = (asymmetric_response_and_gradient(up, x).0
                    - asymmetric_response_and_gradient(down, x).0) / (2.0 * h);
                proptest::prop_assert!((numeric - gradient[k]).abs() <= 1e-5 * (1.0 + gradient[k].abs()),
                    "param {}: numeric {} analytic {}", k, numeric, gradient[k]);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
        cases: proptest::prelude::ProptestConfig::default().cases,
        // A fixed seed: the same cases in every run, CI included; PROPTEST_RNG_SEED=n
        // explores others locally.
        rng_seed: match proptest::prelude::ProptestConfig::default().rng_seed {
            proptest::test_runner::RngSeed::Random => proptest::test_runner::RngSeed::Fixed(2),
            chosen => chosen,
        },
        ..proptest::prelude::ProptestConfig::default()
    })]
        #[test]
        fn gradient_matches_finite_differences(
            bottom in -20.0f64..40.0, span in 10.0f64..150.0, log_ic50 in -3.0f64..2.0,
            hill in -4.0f64..-0.3, x in -4.0f64..3.0,
        ) {
            let params = [bottom, bottom + span, log_ic50, hill];
            let (_, gradient) = response_and_gradient(params, x);
            for k in 0..4 {
                let h = 1e-6 * params[k].abs().max(1.0);
                let mut up = params;
                let mut down = params;
                up[k] += h;
                down[k] -= h;
                let numeric = (response_and_gradient(up, x).0 - response_and_gradient(down, x).0) / (2.0 * h);
                proptest::prop_assert!((numeric - gradient[k]).abs() <= 1e-5 * (1.0 + gradient[k].abs()),
                    "param {}: numeric {} analytic {}", k, numeric, gradient[k]);
            }
        }
    }
}
