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
