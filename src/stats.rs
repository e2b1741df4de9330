//! The few distribution functions the statistics need (Student t quantiles, F and t tail
//! probabilities), computed with `statrs` so that tiny p-values keep their precision.

use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::beta::beta_reg;
use std::sync::OnceLock;

/// The `p` quantile of Student's t with `df` degrees of freedom (`t(0.975, df)` for a 95 %
/// interval). `None` for `df` ≤ 0 or `p` outside (0, 1).
#[must_use]
pub fn t_quantile(p: f64, df: f64) -> Option<f64> {
    if !(df > 0.0 && p > 0.0 && p < 1.0) {
        return None;
    }
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let value = dist.inverse_cdf(p);
    value.is_finite().then_some(value)
}

/// The two-sided 95 % t multiplier, `t(0.975, df)`. Whole degrees of freedom up to 1024
/// (every plate's fits) are computed once per process and then looked up.
#[must_use]
pub fn t95(df: f64) -> Option<f64> {
    const CACHED: usize = 1024;
    static TABLE: [OnceLock<Option<f64>>; CACHED] = [const { OnceLock::new() }; CACHED];
    if df >= 1.0 && df.fract() == 0.0 && df < CACHED as f64 {
        // Whole df below CACHED: the cast is exact.
        let slot = &TABLE[df as usize];
        return *slot.get_or_init(|| t_quantile(0.975, df));
    }
    t_quantile(0.975, df)
}

/// Upper tail `P(F > f)` of the F distribution with `(df1, df2)` degrees of freedom,
/// computed as `I_{df2/(df1·f + df2)}(df2/2, df1/2)` so that p-values far below 1e-16 are
/// not rounded to zero.
#[must_use]
pub fn f_upper_tail(f: f64, df1: f64, df2: f64) -> Option<f64> {
    if !(df1 > 0.0 && df2 > 0.0) || f.is_nan() {
        return None;
    }
    if f <= 0.0 {
        return Some(1.0);
    }
    if f.is_infinite() {
        return Some(0.0);
    }
    let x = df2 / (df1 * f + df2);
    let p = beta_reg(df2 / 2.0, df1 / 2.0, x);
    p.is_finite().then_some(p.clamp(0.0, 1.0))
}

/// Two-sided p-value of a t statistic with `df` degrees of freedom.
#[must_use]
pub fn t_two_sided_p(t: f64, df: f64) -> Option<f64> {
    f_upper_tail(t * t, 1.0, df)
}

/// Arithmetic mean; `None` for an empty slice.
#[must_use]
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample standard deviation (n − 1 in the denominator); `None` for fewer than 2 values.
#[must_use]
pub fn sample_sd(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let ss: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    Some((ss / (values.len() - 1) as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cached t95 equals the directly computed quantile for whole df (first call and
    /// repeated calls), and fractional or large df bypass the cache correctly.
    #[test]
    fn cached_t95_equals_the_quantile() {
        for df in [
            1.0, 2.0, 3.0, 10.0, 29.0, 58.0, 1023.0, 1024.0, 5000.0, 2.5, 57.3,
        ] {
            let direct = t_quantile(0.975, df).unwrap();
            assert_eq!(t95(df).unwrap().to_bits(), direct.to_bits(), "df {df}");
            assert_eq!(
                t95(df).unwrap().to_bits(),
                direct.to_bits(),
                "df {df} again"
            );
        }
        assert_eq!(t95(0.0), None);
        assert_eq!(t95(-3.0), None);
        assert_eq!(t95(f64::NAN), None);
    }

    #[test]
    fn known_quantiles_and_tails() {
        // R: qt(0.975, 10) = 2.228138851986274; qt(0.975, 1) = 12.70620473617471
        assert!((t95(10.0).unwrap() - 2.228_138_851_986_274).abs() < 1e-9);
        assert!((t95(1.0).unwrap() - 12.706_204_736_174_71).abs() < 1e-7);
        // R: pf(4.5, 1, 20, lower.tail = FALSE) = 0.04654...; pf(300, 1, 50, lower=F) ~ 1.6e-22
        assert!((f_upper_tail(4.5, 1.0, 20.0).unwrap() - 0.046_583_797_740_232_83).abs() < 1e-10);
        let tiny = f_upper_tail(300.0, 1.0, 50.0).unwrap();
        assert!(
            (tiny / 9.014_147_542_981_283e-23 - 1.0).abs() < 1e-6,
            "{tiny}"
        );
        assert_eq!(t95(0.0), None);
        assert!((sample_sd(&[1.0, 2.0, 3.0]).unwrap() - 1.0).abs() < 1e-12);
    }
}
