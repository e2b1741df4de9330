//! Across experiments (biological repeats, drugs, co-treatments): IC50s as geometric means
//! with geometric SDs, resistance indices per experiment and their geometric mean with a
//! t-based CI on log RI.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::analysis::Analysis;
use crate::report::json::{num, opt};
use crate::stats::{mean, sample_sd, t95};

/// Geometric summary of positive values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeometricSummary {
    /// Number of values.
    pub n: usize,
    /// Geometric mean.
    pub geometric_mean: f64,
    /// Geometric SD factor, `10^sd(log10 values)` (None for one value).
    pub geometric_sd: Option<f64>,
    /// 95 % CI of the geometric mean, `10^(mean ± t(0.975, n−1)·sd/√n)`.
    pub ci95: Option<[f64; 2]>,
    /// The values, in experiment order.
    pub values: Vec<(String, f64)>,
}

impl GeometricSummary {
    /// Summarises (experiment, value) pairs; non-positive values are ignored.
    #[must_use]
    pub fn of(values: Vec<(String, f64)>) -> Option<Self> {
        let values: Vec<(String, f64)> = values
            .into_iter()
            .filter(|(_, v)| v.is_finite() && *v > 0.0)
            .collect();
        let logs: Vec<f64> = values.iter().map(|(_, v)| v.log10()).collect();
        let m = mean(&logs)?;
        let sd = sample_sd(&logs);
        let n = logs.len();
        let ci95 = sd.zip(t95(n as f64 - 1.0)).map(|(sd, t)| {
            let half = t * sd / (n as f64).sqrt();
            [10f64.powf(m - half), 10f64.powf(m + half)]
        });
        Some(Self {
            n,
            geometric_mean: 10f64.powf(m),
            geometric_sd: sd.map(|s| 10f64.powf(s)),
            ci95,
            values,
        })
    }

    fn to_json(&self) -> Value {
        json!({
            "n": self.n,
            "geometric_mean": num(self.geometric_mean),
            "geometric_sd": opt(self.geometric_sd),
            "ci95": self.ci95.map_or(Value::Null, |[a, b]| json!([num(a), num(b)])),
            "values": self.values.iter().map(|(e, v)| json!({"experiment": e, "value": num(*v)})).collect::<Vec<_>>(),
        })
    }
}

/// The across-experiment summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Per curve label: the IC50s of the experiments where it was determined.
    pub ic50: BTreeMap<String, GeometricSummary>,
    /// Per comparison `test vs reference`: the RIs.
    pub resistance_index: BTreeMap<String, GeometricSummary>,
}

impl Summary {
    /// Summarises several analysed experiments.
    #[must_use]
    pub fn of(analyses: &[Analysis]) -> Self {
        let mut ic50: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
        let mut ri: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
        for analysis in analyses {
            for curve in &analysis.curves {
                if let Some(v) = curve.fit.reported_ic50() {
                    ic50.entry(curve.dose_response.label.clone())
                        .or_default()
                        .push((analysis.experiment.clone(), v));
                }
            }
            for comparison in &analysis.comparisons {
                if let Some(v) = comparison.ratio {
                    ri.entry(format!("{} vs {}", comparison.test, comparison.reference))
                        .or_default()
                        .push((analysis.experiment.clone(), v));
                }
            }
        }
        let summarise = |map: BTreeMap<String, Vec<(String, f64)>>| {
            map.into_iter()
                .filter_map(|(k, v)| GeometricSummary::of(v).map(|s| (k, s)))
                .collect()
        };
        Self {
            ic50: summarise(ic50),
            resistance_index: summarise(ri),
        }
    }

    /// The summary as JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "ic50": self.ic50.iter().map(|(k, v)| (k.clone(), v.to_json())).collect::<serde_json::Map<_, _>>(),
            "resistance_index": self.resistance_index.iter().map(|(k, v)| (k.clone(), v.to_json())).collect::<serde_json::Map<_, _>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_mean_and_ci() {
        let s = GeometricSummary::of(vec![
            ("a".into(), 10.0),
            ("b".into(), 100.0),
            ("c".into(), 1000.0),
        ])
        .unwrap();
        assert!((s.geometric_mean - 100.0).abs() < 1e-9);
        assert!((s.geometric_sd.unwrap() - 10.0).abs() < 1e-9);
        // t(0.975, 2) = 4.302652729911275; half-width = t / sqrt(3) decades.
        let half = 4.302_652_729_911_275 / 3f64.sqrt();
        let [lo, hi] = s.ci95.unwrap();
        assert!(
            (lo.log10() - (2.0 - half)).abs() < 1e-9 && (hi.log10() - (2.0 + half)).abs() < 1e-9
        );
        assert!(GeometricSummary::of(vec![("a".into(), -1.0)]).is_none());
    }
}
