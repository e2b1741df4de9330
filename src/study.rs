//! Studies across experiments (DESIGN §9): the experiment is the unit of replication.
//!
//! - Per curve label (line · drug · condition) over k experiments, `y_i = log10 IC50_i`:
//!   geometric mean `10^ȳ`, 95 % CI `10^(ȳ ± t(0.975, k−1)·s/√k)` with `s` the sample SD of
//!   `y_i`. IC50s outside the tested range (censored) are counted, never averaged.
//! - Per experiment a ratio (RI: resistant/parental; RF: drug alone / drug + modulator, same
//!   line), `r_i = log10 ratio_i` with `SE_i` from that plate's joint fit. Across experiments:
//!   geometric mean with the t CI above; the one-sample t test of `r_i` against 0 (the paired
//!   test of log IC50s: "is the ratio different from 1 across independent experiments?");
//!   and the DerSimonian–Laird random-effects pooled ratio, which weights each experiment by
//!   its own precision and widens the CI by the between-experiment variance τ²:
//!   `w_i = 1/SE_i²`, `r̄_w = Σw_i r_i/Σw_i`, `Q = Σw_i (r_i − r̄_w)²`,
//!   `τ² = max(0, (Q − (k−1)) / (Σw_i − Σw_i²/Σw_i))`, `w*_i = 1/(SE_i² + τ²)`,
//!   `pooled = Σw*_i r_i/Σw*_i`, `SE = (Σw*_i)^−½`, CI `pooled ± 1.96·SE` (normal, not
//!   Hartung–Knapp), `I² = max(0, (Q − (k−1))/Q)`.
//! - Levey–Jennings control charts: mean and SD (n − 1) of a baseline the user picks, limits
//!   ±2 SD and ±3 SD, and the Westgard rules 1-3s (a point beyond 3 SD), 2-2s (this and the
//!   previous point beyond 2 SD on the same side), R-4s (this and the previous point more
//!   than 4 SD apart) and 10-x (this and the nine previous points on the same side of the
//!   mean). A rule is flagged on the point where it fires.
//!
//! Everything here is pure: plain records in, plain structs out, so the CLI, the reports and
//! an app view all show the same numbers.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::report::json::{interval, num, opt};

use crate::stats::{mean, sample_sd, t_two_sided_p, t95};

/// The normal 97.5 % quantile used by the random-effects CI.
pub const Z975: f64 = 1.959_963_984_540_054;

/// A geometric mean over experiments with its t-based CI (all on the log10 scale inside).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogMean {
    /// Number of values averaged.
    pub n: usize,
    /// Mean of the log10 values.
    pub mean_log10: f64,
    /// Sample SD of the log10 values (None for one value).
    pub sd_log10: Option<f64>,
    /// `10^mean_log10`.
    pub geometric_mean: f64,
    /// `10^(mean ± t(0.975, n−1)·sd/√n)` (None for one value).
    pub ci95: Option<[f64; 2]>,
}

/// The geometric mean and t CI of values given as log10.
#[must_use]
pub fn log_mean(log10_values: &[f64]) -> Option<LogMean> {
    if log10_values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let m = mean(log10_values)?;
    let sd = sample_sd(log10_values);
    let n = log10_values.len();
    let ci95 = sd.zip(t95(n as f64 - 1.0)).map(|(sd, t)| {
        let half = t * sd / (n as f64).sqrt();
        [10f64.powf(m - half), 10f64.powf(m + half)]
    });
    Some(LogMean {
        n,
        mean_log10: m,
        sd_log10: sd,
        geometric_mean: 10f64.powf(m),
        ci95,
    })
}

/// A one-sample t test of log10 values against 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OneSampleT {
    /// `t = ȳ/(s/√k)`.
    pub t: f64,
    /// `k − 1`.
    pub df: usize,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// The one-sample t test of `values` against 0; None for fewer than two values or no spread.
#[must_use]
pub fn one_sample_t(values: &[f64]) -> Option<OneSampleT> {
    let m = mean(values)?;
    let sd = sample_sd(values)?;
    if sd <= 0.0 || !sd.is_finite() {
        return None;
    }
    let n = values.len();
    let t = m / (sd / (n as f64).sqrt());
    let p_value = t_two_sided_p(t, (n - 1) as f64)?;
    Some(OneSampleT {
        t,
        df: n - 1,
        p_value,
    })
}

/// A DerSimonian–Laird random-effects meta-analysis of log10 ratios.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RandomEffects {
    /// Number of experiments.
    pub k: usize,
    /// The fixed-effect (inverse-variance) mean `r̄_w`.
    pub fixed_log10: f64,
    /// Cochran's Q.
    pub q: f64,
    /// Between-experiment variance τ² (log10² units).
    pub tau2: f64,
    /// I² as a fraction (0–1).
    pub i2: f64,
    /// The pooled log10 ratio.
    pub pooled_log10: f64,
    /// Its standard error.
    pub pooled_se: f64,
    /// `10^pooled_log10`.
    pub ratio: f64,
    /// `10^(pooled ± 1.96·SE)`.
    pub ratio_ci95: [f64; 2],
    /// `"DerSimonian-Laird"`.
    pub method: &'static str,
}

/// DerSimonian–Laird over `(r_i, SE_i)`; None for no usable experiment (an SE must be
/// finite and positive). With one experiment it is that experiment's own estimate.
#[must_use]
pub fn dersimonian_laird(estimates: &[(f64, f64)]) -> Option<RandomEffects> {
    if estimates.is_empty()
        || estimates
            .iter()
            .any(|(r, se)| !r.is_finite() || !se.is_finite() || *se <= 0.0)
    {
        return None;
    }
    let k = estimates.len();
    let w: Vec<f64> = estimates.iter().map(|(_, se)| 1.0 / (se * se)).collect();
    let sum_w: f64 = w.iter().sum();
    let sum_w2: f64 = w.iter().map(|x| x * x).sum();
    let fixed = estimates
        .iter()
        .zip(&w)
        .map(|((r, _), w)| w * r)
        .sum::<f64>()
        / sum_w;
    let q: f64 = estimates
        .iter()
        .zip(&w)
        .map(|((r, _), w)| w * (r - fixed) * (r - fixed))
        .sum();
    let df = (k - 1) as f64;
    let c = sum_w - sum_w2 / sum_w;
    let tau2 = if k > 1 && c > 0.0 {
        ((q - df) / c).max(0.0)
    } else {
        0.0
    };
    let i2 = if q > 0.0 {
        ((q - df) / q).max(0.0)
    } else {
        0.0
    };
    let w_star: Vec<f64> = estimates
        .iter()
        .map(|(_, se)| 1.0 / (se * se + tau2))
        .collect();
    let sum_w_star: f64 = w_star.iter().sum();
    let pooled = estimates
        .iter()
        .zip(&w_star)
        .map(|((r, _), w)| w * r)
        .sum::<f64>()
        / sum_w_star;
    let se = sum_w_star.sqrt().recip();
    Some(RandomEffects {
        k,
        fixed_log10: fixed,
        q,
        tau2,
        i2,
        pooled_log10: pooled,
        pooled_se: se,
        ratio: 10f64.powf(pooled),
        ratio_ci95: [
            10f64.powf(pooled - Z975 * se),
            10f64.powf(pooled + Z975 * se),
        ],
        method: "DerSimonian-Laird",
    })
}

/// A Westgard rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum WestgardRule {
    /// One point beyond 3 SD.
    #[serde(rename = "1-3s")]
    OneThreeS,
    /// Two consecutive points beyond 2 SD on the same side.
    #[serde(rename = "2-2s")]
    TwoTwoS,
    /// Two consecutive points more than 4 SD apart.
    #[serde(rename = "R-4s")]
    RFourS,
    /// Ten consecutive points on the same side of the mean.
    #[serde(rename = "10-x")]
    TenX,
}

impl WestgardRule {
    /// The rule's usual name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneThreeS => "1-3s",
            Self::TwoTwoS => "2-2s",
            Self::RFourS => "R-4s",
            Self::TenX => "10-x",
        }
    }
}

/// One point of a control chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartPoint {
    /// The experiment (library id).
    pub id: i64,
    /// Experiment date, when recorded.
    pub date: Option<String>,
    /// The charted value (log10 IC50, Z′ or vehicle OD).
    pub value: f64,
    /// `(value − mean)/sd`.
    pub z: f64,
    /// Whether the point belongs to the baseline.
    pub baseline: bool,
    /// Rules that fire on this point.
    pub flags: Vec<WestgardRule>,
}

impl ChartPoint {
    /// The rules that fire here, as the reports print them (`1-3s, 2-2s`); empty if none.
    #[must_use]
    pub fn rules_text(&self) -> String {
        self.flags
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A Levey–Jennings chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlChart {
    /// What is charted (`log10 IC50 K562 · flumatinib`, `Z′`, `vehicle OD`).
    pub quantity: String,
    /// Baseline mean.
    pub mean: f64,
    /// Baseline SD (n − 1).
    pub sd: f64,
    /// Number of baseline points.
    pub baseline_n: usize,
    /// `[mean − 2 SD, mean + 2 SD]`.
    pub limits_2sd: [f64; 2],
    /// `[mean − 3 SD, mean + 3 SD]`.
    pub limits_3sd: [f64; 2],
    /// The points in chart order (date, then id).
    pub points: Vec<ChartPoint>,
}

impl ControlChart {
    /// Each point where a Westgard rule fires, as the app, the reports and the terminal
    /// print it: `#12 (2026-10-05): 1-3s, 2-2s`.
    #[must_use]
    pub fn flagged(&self) -> Vec<String> {
        self.points
            .iter()
            .filter(|p| !p.flags.is_empty())
            .map(|p| match &p.date {
                Some(date) => format!("#{} ({date}): {}", p.id, p.rules_text()),
                None => format!("#{}: {}", p.id, p.rules_text()),
            })
            .collect()
    }

    /// Whether any point violates a rule.
    #[must_use]
    pub fn in_control(&self) -> bool {
        self.points.iter().all(|p| p.flags.is_empty())
    }
}

/// A chart input: (experiment id, date, value, in the baseline).
pub type ChartInput = (i64, Option<String>, f64, bool);

/// Builds a Levey–Jennings chart from points already in chart order. None when fewer than two
/// baseline points or no baseline spread.
#[must_use]
pub fn levey_jennings(quantity: &str, points: &[ChartInput]) -> Option<ControlChart> {
    let baseline: Vec<f64> = points
        .iter()
        .filter(|p| p.3 && p.2.is_finite())
        .map(|p| p.2)
        .collect();
    let m = mean(&baseline)?;
    let sd = sample_sd(&baseline)?;
    if sd <= 0.0 || !sd.is_finite() {
        return None;
    }
    let finite: Vec<&ChartInput> = points.iter().filter(|p| p.2.is_finite()).collect();
    let z: Vec<f64> = finite.iter().map(|p| (p.2 - m) / sd).collect();
    let chart_points = finite
        .iter()
        .enumerate()
        .map(|(i, p)| ChartPoint {
            id: p.0,
            date: p.1.clone(),
            value: p.2,
            z: z[i],
            baseline: p.3,
            flags: westgard_flags(&z, i),
        })
        .collect();
    Some(ControlChart {
        quantity: quantity.to_string(),
        mean: m,
        sd,
        baseline_n: baseline.len(),
        limits_2sd: [m - 2.0 * sd, m + 2.0 * sd],
        limits_3sd: [m - 3.0 * sd, m + 3.0 * sd],
        points: chart_points,
    })
}

/// The Westgard rules that fire at point `i` of the z-scores.
#[must_use]
pub fn westgard_flags(z: &[f64], i: usize) -> Vec<WestgardRule> {
    let mut flags = Vec::new();
    if z[i].abs() > 3.0 {
        flags.push(WestgardRule::OneThreeS);
    }
    if i >= 1 {
        let (a, b) = (z[i - 1], z[i]);
        if (a > 2.0 && b > 2.0) || (a < -2.0 && b < -2.0) {
            flags.push(WestgardRule::TwoTwoS);
        }
        if (a - b).abs() > 4.0 {
            flags.push(WestgardRule::RFourS);
        }
    }
    if i >= 9 {
        let window = &z[i - 9..=i];
        if window.iter().all(|v| *v > 0.0) || window.iter().all(|v| *v < 0.0) {
            flags.push(WestgardRule::TenX);
        }
    }
    flags
}

/// What kind of ratio a comparison is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ComparisonKind {
    /// RI = IC50(resistant line)/IC50(parental line), same drug and condition.
    Resistance,
    /// RF = IC50(drug alone)/IC50(drug + modulator), same line and drug.
    Reversal,
    /// Any other explicit pair: IC50(test)/IC50(reference).
    Other,
}

impl ComparisonKind {
    /// `resistance`, `reversal` or `other`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resistance => "resistance",
            Self::Reversal => "reversal",
            Self::Other => "other",
        }
    }

    /// Parses [`Self::as_str`].
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "resistance" => Some(Self::Resistance),
            "reversal" => Some(Self::Reversal),
            "other" => Some(Self::Other),
            _ => None,
        }
    }
}

/// One curve of one experiment, as the study needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveRecord {
    /// Cell line.
    pub line: String,
    /// Drug.
    pub drug: String,
    /// Condition (empty = drug alone).
    pub condition: String,
    /// The curve label.
    pub label: String,
    /// Fit status (`converged`, `ic50_above_range`, …).
    pub status: String,
    /// The reported IC50 (None when censored or not determined).
    pub ic50: Option<f64>,
    /// Its 95 % CI on this plate.
    pub ic50_ci95: Option<[f64; 2]>,
    /// `"> 50"` / `"< 0.002"` for a censored IC50.
    pub bound: Option<String>,
}

/// One ratio of one experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatioRecord {
    /// Resistance, reversal or other.
    pub kind: ComparisonKind,
    /// The reference curve's label (parental line; for reversal the drug alone).
    pub reference: String,
    /// The test curve's label (resistant line; for reversal drug + modulator).
    pub test: String,
    /// RI or RF.
    pub ratio: Option<f64>,
    /// `log10 ratio`.
    pub log10_ratio: Option<f64>,
    /// SE of `log10 ratio` from the plate's joint fit.
    pub log10_ratio_se: Option<f64>,
    /// The plate's 95 % CI of the ratio.
    pub ratio_ci95: Option<[f64; 2]>,
    /// The plate's F test p (do the IC50s differ on this plate?).
    pub p_value: Option<f64>,
    /// `ok` or why the ratio is not determined.
    pub status: String,
}

/// One experiment as the study sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentRecord {
    /// Library id.
    pub id: i64,
    /// Experiment name.
    pub name: String,
    /// Date of the experiment (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// Cell line passage.
    pub passage: Option<i64>,
    /// Weeks without drug (stability experiments).
    pub weeks_off_drug: Option<f64>,
    /// Mean Z′ of the plates.
    pub z_prime: Option<f64>,
    /// Mean vehicle OD of the plates.
    pub vehicle_od: Option<f64>,
    /// Curves.
    pub curves: Vec<CurveRecord>,
    /// Ratios.
    pub comparisons: Vec<RatioRecord>,
}

/// One experiment's entry in a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupExperiment {
    /// Library id.
    pub id: i64,
    /// Experiment name.
    pub name: String,
    /// Date.
    pub date: Option<String>,
    /// Passage.
    pub passage: Option<i64>,
    /// IC50 (None when censored or not determined).
    pub ic50: Option<f64>,
    /// Plate CI of the IC50.
    pub ic50_ci95: Option<[f64; 2]>,
    /// Fit status.
    pub status: String,
    /// Bound of a censored IC50.
    pub bound: Option<String>,
}

/// A line × drug × condition over experiments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Line.
    pub line: String,
    /// Drug.
    pub drug: String,
    /// Condition.
    pub condition: String,
    /// Curve label.
    pub label: String,
    /// The experiments, in date order.
    pub experiments: Vec<GroupExperiment>,
    /// Number of IC50s averaged.
    pub n: usize,
    /// Number of censored IC50s (outside the tested range), counted not averaged.
    pub censored: usize,
    /// Number of curves with no IC50 for other reasons (no effect, not converged).
    pub undetermined: usize,
    /// Geometric mean and t CI of the determined IC50s.
    pub summary: Option<LogMean>,
}

/// One experiment's ratio in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonExperiment {
    /// Library id.
    pub id: i64,
    /// Date.
    pub date: Option<String>,
    /// Passage.
    pub passage: Option<i64>,
    /// Weeks without drug.
    pub weeks_off_drug: Option<f64>,
    /// The ratio (None when not determined on that plate).
    pub ratio: Option<f64>,
    /// `log10 ratio`.
    pub log10_ratio: Option<f64>,
    /// SE of `log10 ratio` from the plate's joint fit.
    pub log10_ratio_se: Option<f64>,
    /// The plate's CI.
    pub ratio_ci95: Option<[f64; 2]>,
    /// The plate's F-test p.
    pub p_value: Option<f64>,
    /// `ok` or why not.
    pub status: String,
}

/// A ratio over experiments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyComparison {
    /// Resistance or reversal.
    pub kind: ComparisonKind,
    /// Reference curve label.
    pub reference: String,
    /// Test curve label.
    pub test: String,
    /// Per experiment.
    pub per_experiment: Vec<ComparisonExperiment>,
    /// Geometric mean ratio with t CI over experiments (determined ratios only).
    pub summary: Option<LogMean>,
    /// One-sample t test of `log10 ratio` against 0.
    pub t_test: Option<OneSampleT>,
    /// DerSimonian–Laird (experiments with an SE).
    pub meta: Option<RandomEffects>,
    /// For a reversal: the label of the modulator-alone curve in the same line (the
    /// toxicity control), found by the modulator's name in the condition.
    pub modulator_alone: Option<String>,
}

/// Which experiments form the control-chart baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// First date (inclusive, `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Last date (inclusive).
    pub to: Option<String>,
}

impl Baseline {
    fn contains(&self, date: Option<&str>) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        let Some(date) = date else { return false };
        self.from.as_deref().is_none_or(|f| date >= f)
            && self.to.as_deref().is_none_or(|t| date <= t)
    }
}

/// Options of a study.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StudyOptions {
    /// Control-chart baseline (default: every experiment).
    pub baseline: Baseline,
    /// The reference line(s) charted (default: every parental line of a resistance
    /// comparison).
    pub reference_lines: Vec<String>,
}

/// The study across experiments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Study {
    /// Number of experiments.
    pub experiments: usize,
    /// Per line × drug × condition.
    pub groups: Vec<Group>,
    /// Per ratio.
    pub comparisons: Vec<StudyComparison>,
    /// Levey–Jennings charts (log10 IC50 of reference curves, Z′, vehicle OD).
    pub control_charts: Vec<ControlChart>,
}

fn chart_order(a: &ExperimentRecord, b: &ExperimentRecord) -> std::cmp::Ordering {
    a.date.cmp(&b.date).then(a.id.cmp(&b.id))
}

/// Computes the study over experiments (any order; the output is in date order).
#[must_use]
pub fn study(experiments: &[ExperimentRecord], options: &StudyOptions) -> Study {
    let mut ordered: Vec<&ExperimentRecord> = experiments.iter().collect();
    ordered.sort_by(|a, b| chart_order(a, b));
    let mut groups: BTreeMap<(String, String, String), Group> = BTreeMap::new();
    let mut comparisons: BTreeMap<(ComparisonKind, String, String), StudyComparison> =
        BTreeMap::new();
    for experiment in &ordered {
        for curve in &experiment.curves {
            let group = groups
                .entry((
                    curve.line.clone(),
                    curve.drug.clone(),
                    curve.condition.clone(),
                ))
                .or_insert_with(|| Group {
                    line: curve.line.clone(),
                    drug: curve.drug.clone(),
                    condition: curve.condition.clone(),
                    label: curve.label.clone(),
                    experiments: Vec::new(),
                    n: 0,
                    censored: 0,
                    undetermined: 0,
                    summary: None,
                });
            group.experiments.push(GroupExperiment {
                id: experiment.id,
                name: experiment.name.clone(),
                date: experiment.date.clone(),
                passage: experiment.passage,
                ic50: curve.ic50,
                ic50_ci95: curve.ic50_ci95,
                status: curve.status.clone(),
                bound: curve.bound.clone(),
            });
        }
        for ratio in &experiment.comparisons {
            let comparison = comparisons
                .entry((ratio.kind, ratio.reference.clone(), ratio.test.clone()))
                .or_insert_with(|| StudyComparison {
                    kind: ratio.kind,
                    reference: ratio.reference.clone(),
                    test: ratio.test.clone(),
                    per_experiment: Vec::new(),
                    summary: None,
                    t_test: None,
                    meta: None,
                    modulator_alone: None,
                });
            comparison.per_experiment.push(ComparisonExperiment {
                id: experiment.id,
                date: experiment.date.clone(),
                passage: experiment.passage,
                weeks_off_drug: experiment.weeks_off_drug,
                ratio: ratio.ratio,
                log10_ratio: ratio.log10_ratio,
                log10_ratio_se: ratio.log10_ratio_se,
                ratio_ci95: ratio.ratio_ci95,
                p_value: ratio.p_value,
                status: ratio.status.clone(),
            });
        }
    }
    let mut groups: Vec<Group> = groups.into_values().collect();
    for group in &mut groups {
        let logs: Vec<f64> = group
            .experiments
            .iter()
            .filter_map(|e| e.ic50.filter(|v| *v > 0.0 && v.is_finite()))
            .map(f64::log10)
            .collect();
        group.n = logs.len();
        group.censored = group
            .experiments
            .iter()
            .filter(|e| e.ic50.is_none() && is_censored(&e.status))
            .count();
        group.undetermined = group.experiments.len() - group.n - group.censored;
        group.summary = log_mean(&logs);
    }
    let mut comparisons: Vec<StudyComparison> = comparisons.into_values().collect();
    for comparison in &mut comparisons {
        let logs: Vec<f64> = comparison
            .per_experiment
            .iter()
            .filter_map(|e| e.log10_ratio.filter(|v| v.is_finite()))
            .collect();
        comparison.summary = log_mean(&logs);
        comparison.t_test = one_sample_t(&logs);
        let with_se: Vec<(f64, f64)> = comparison
            .per_experiment
            .iter()
            .filter_map(|e| Some((e.log10_ratio?, e.log10_ratio_se?)))
            .filter(|(r, se)| r.is_finite() && se.is_finite() && *se > 0.0)
            .collect();
        comparison.meta = dersimonian_laird(&with_se);
    }
    for comparison in comparisons
        .iter_mut()
        .filter(|c| c.kind == ComparisonKind::Reversal)
    {
        let Some(with_modulator) = groups.iter().find(|g| g.label == comparison.reference) else {
            continue;
        };
        let condition = with_modulator.condition.to_lowercase();
        comparison.modulator_alone = groups
            .iter()
            .find(|g| {
                g.line == with_modulator.line
                    && g.condition.is_empty()
                    && !g.drug.is_empty()
                    && g.drug != with_modulator.drug
                    && condition.contains(&g.drug.to_lowercase())
            })
            .map(|g| g.label.clone());
    }
    let control_charts = control_charts(&ordered, &groups, &comparisons, options);
    Study {
        experiments: experiments.len(),
        groups,
        comparisons,
        control_charts,
    }
}

/// Whether a fit status means the IC50 lies outside the tested range (platefit reports a
/// bound, `"> top"` or `"< lowest"`, for these; `no_effect` is `"> top"`).
#[must_use]
pub fn is_censored(status: &str) -> bool {
    matches!(
        status,
        "ic50_above_range" | "ic50_below_range" | "no_effect"
    )
}

fn control_charts(
    ordered: &[&ExperimentRecord],
    groups: &[Group],
    comparisons: &[StudyComparison],
    options: &StudyOptions,
) -> Vec<ControlChart> {
    let mut reference_lines: Vec<String> = if options.reference_lines.is_empty() {
        let mut lines: Vec<String> = Vec::new();
        for comparison in comparisons
            .iter()
            .filter(|c| c.kind == ComparisonKind::Resistance)
        {
            if let Some(group) = groups.iter().find(|g| g.label == comparison.reference) {
                lines.push(group.line.clone());
            }
        }
        lines
    } else {
        options.reference_lines.clone()
    };
    reference_lines.sort();
    reference_lines.dedup();
    let mut charts = Vec::new();
    for group in groups
        .iter()
        .filter(|g| reference_lines.contains(&g.line) && g.condition.is_empty())
    {
        let points: Vec<ChartInput> = group
            .experiments
            .iter()
            .filter_map(|e| {
                let v = e.ic50.filter(|v| *v > 0.0)?.log10();
                Some((
                    e.id,
                    e.date.clone(),
                    v,
                    options.baseline.contains(e.date.as_deref()),
                ))
            })
            .collect();
        if let Some(chart) = levey_jennings(&format!("log10 IC50 {}", group.label), &points) {
            charts.push(chart);
        }
    }
    for (quantity, value) in [
        (
            "Z′",
            (|e: &ExperimentRecord| e.z_prime) as fn(&ExperimentRecord) -> Option<f64>,
        ),
        ("vehicle OD", |e: &ExperimentRecord| e.vehicle_od),
    ] {
        let points: Vec<ChartInput> = ordered
            .iter()
            .filter_map(|e| {
                Some((
                    e.id,
                    e.date.clone(),
                    value(e)?,
                    options.baseline.contains(e.date.as_deref()),
                ))
            })
            .collect();
        if let Some(chart) = levey_jennings(quantity, &points) {
            charts.push(chart);
        }
    }
    charts
}

/// Which test answers which question, for the outputs.
pub const TESTS_EXPLAINED: [(&str, &str); 4] = [
    (
        "F test (per experiment, p_value)",
        "do the two curves' IC50s differ on this plate? (technical replicates only)",
    ),
    (
        "one-sample t test of log10 ratio (t_test_p)",
        "is the ratio different from 1 across independent experiments? (the experiment is the unit)",
    ),
    (
        "t CI of the geometric mean ratio (ratio_ci95)",
        "how large is the ratio, with the day-to-day spread of the experiments",
    ),
    (
        "DerSimonian-Laird random effects (meta)",
        "the pooled ratio weighting each experiment by its precision, with between-experiment variance tau2 and I2",
    ),
];

impl Study {
    /// The study as JSON (DESIGN §9; log10 throughout; unknown numbers are null).
    #[must_use]
    pub fn to_json(&self) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| {
                json!({
                    "line": g.line,
                    "drug": g.drug,
                    "condition": g.condition,
                    "label": g.label,
                    "experiments": g.experiments.iter().map(|e| json!({
                        "id": e.id,
                        "name": e.name,
                        "date": e.date,
                        "passage": e.passage,
                        "ic50": opt(e.ic50),
                        "ic50_ci95": interval(e.ic50_ci95),
                        "status": e.status,
                        "bound": e.bound,
                    })).collect::<Vec<_>>(),
                    "n": g.n,
                    "censored": g.censored,
                    "undetermined": g.undetermined,
                    "geometric_mean_ic50": opt(g.summary.as_ref().map(|s| s.geometric_mean)),
                    "ic50_ci95": interval(g.summary.as_ref().and_then(|s| s.ci95)),
                    "mean_log10_ic50": opt(g.summary.as_ref().map(|s| s.mean_log10)),
                    "sd_log10_ic50": opt(g.summary.as_ref().and_then(|s| s.sd_log10)),
                })
            })
            .collect();
        let comparisons: Vec<Value> = self
            .comparisons
            .iter()
            .map(|c| {
                let definition = match c.kind {
                    ComparisonKind::Resistance => "RI = IC50(test)/IC50(reference): resistant line over parental line",
                    ComparisonKind::Reversal => "RF = IC50(test)/IC50(reference) = IC50(drug alone)/IC50(drug + modulator): above 1 means the modulator lowers the IC50",
                    ComparisonKind::Other => "IC50(test)/IC50(reference)",
                };
                json!({
                    "kind": c.kind.as_str(),
                    "reference": c.reference,
                    "test": c.test,
                    "ratio_definition": definition,
                    "per_experiment": c.per_experiment.iter().map(|e| json!({
                        "id": e.id,
                        "date": e.date,
                        "passage": e.passage,
                        "weeks_off_drug": opt(e.weeks_off_drug),
                        "ratio": opt(e.ratio),
                        "log10_ratio": opt(e.log10_ratio),
                        "log10_ratio_se": opt(e.log10_ratio_se),
                        "ratio_ci95": interval(e.ratio_ci95),
                        "f_test_p": opt(e.p_value),
                        "status": e.status,
                    })).collect::<Vec<_>>(),
                    "n": c.summary.as_ref().map_or(0, |s| s.n),
                    "geometric_mean_ratio": opt(c.summary.as_ref().map(|s| s.geometric_mean)),
                    "ratio_ci95": interval(c.summary.as_ref().and_then(|s| s.ci95)),
                    "mean_log10_ratio": opt(c.summary.as_ref().map(|s| s.mean_log10)),
                    "sd_log10_ratio": opt(c.summary.as_ref().and_then(|s| s.sd_log10)),
                    "t_test_t": opt(c.t_test.map(|t| t.t)),
                    "t_test_df": c.t_test.map(|t| t.df),
                    "t_test_p": opt(c.t_test.map(|t| t.p_value)),
                    "modulator_alone": c.modulator_alone.as_ref().map_or(Value::Null, |label| {
                        let group = self.groups.iter().find(|g| &g.label == label);
                        json!({
                            "curve": label,
                            "n": group.map_or(0, |g| g.n),
                            "censored": group.map_or(0, |g| g.censored),
                            "geometric_mean_ic50": opt(group.and_then(|g| g.summary.as_ref()).map(|s| s.geometric_mean)),
                            "role": "toxicity control: the modulator's own dose response in this line",
                        })
                    }),
                    "meta": c.meta.as_ref().map_or(Value::Null, |m| json!({
                        "k": m.k,
                        "ratio": num(m.ratio),
                        "ratio_ci95": interval(Some(m.ratio_ci95)),
                        "pooled_log10": num(m.pooled_log10),
                        "se_log10": num(m.pooled_se),
                        "tau2": num(m.tau2),
                        "i2": num(m.i2),
                        "q": num(m.q),
                        "method": m.method,
                        "ci": "normal (z = 1.96), not Hartung-Knapp",
                    })),
                })
            })
            .collect();
        let charts: Vec<Value> = self
            .control_charts
            .iter()
            .map(|c| {
                json!({
                    "quantity": c.quantity,
                    "mean": num(c.mean),
                    "sd": num(c.sd),
                    "baseline_n": c.baseline_n,
                    "limits_2sd": interval(Some(c.limits_2sd)),
                    "limits_3sd": interval(Some(c.limits_3sd)),
                    "in_control": c.in_control(),
                    "points": c.points.iter().map(|p| json!({
                        "id": p.id,
                        "date": p.date,
                        "value": num(p.value),
                        "z": num(p.z),
                        "baseline": p.baseline,
                        "flags": p.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "experiments": self.experiments,
            "scale": "log10",
            "tests_explained": TESTS_EXPLAINED.iter().map(|(test, question)| json!({"test": test, "answers": question})).collect::<Vec<_>>(),
            "groups": groups,
            "comparisons": comparisons,
            "control_charts": charts,
        })
    }

    /// The study as terminal text.
    #[must_use]
    pub fn to_text(&self) -> String {
        use crate::report::format_number as f;
        use std::fmt::Write as _;
        let ci = |c: Option<[f64; 2]>| {
            c.map_or(String::new(), |[a, b]| format!(" [{}, {}]", f(a), f(b)))
        };
        let mut out = format!(
            "Study of {} experiment(s)\n\nIC50 per line · drug · condition (geometric mean [95% t CI over experiments])\n",
            self.experiments
        );
        for g in &self.groups {
            let mean = g.summary.as_ref().map_or("—".to_string(), |s| {
                format!("{}{}", f(s.geometric_mean), ci(s.ci95))
            });
            let _ = write!(out, "  {}: {mean}, n = {}", g.label, g.n);
            if g.censored > 0 {
                let _ = write!(
                    out,
                    ", {} censored (outside the tested range, not averaged)",
                    g.censored
                );
            }
            if g.undetermined > 0 {
                let _ = write!(out, ", {} undetermined", g.undetermined);
            }
            out.push('\n');
        }
        for c in &self.comparisons {
            let name = match c.kind {
                ComparisonKind::Resistance => "RI",
                ComparisonKind::Reversal => "RF",
                ComparisonKind::Other => "ratio",
            };
            let _ = writeln!(
                out,
                "\n{name} {} vs {} ({})",
                c.test,
                c.reference,
                c.kind.as_str()
            );
            for e in &c.per_experiment {
                let _ = writeln!(
                    out,
                    "  #{} {}: {}{}{}",
                    e.id,
                    e.date.as_deref().unwrap_or("undated"),
                    e.ratio.map_or_else(|| e.status.clone(), f),
                    ci(e.ratio_ci95),
                    e.p_value.map_or(String::new(), |p| format!(
                        ", F test on the plate p {}",
                        crate::report::table::format_p(p)
                    ))
                );
            }
            if let Some(s) = &c.summary {
                let _ = writeln!(
                    out,
                    "  across experiments: geometric mean {}{} (n = {})",
                    f(s.geometric_mean),
                    ci(s.ci95),
                    s.n
                );
            }
            if let Some(t) = &c.t_test {
                let _ = writeln!(
                    out,
                    "  one-sample t test of log10 {name} against 0: t = {:.3}, df = {}, p {}",
                    t.t,
                    t.df,
                    crate::report::table::format_p(t.p_value)
                );
            }
            if let Some(label) = &c.modulator_alone {
                let group = self.groups.iter().find(|g| &g.label == label);
                let ic50 = group
                    .and_then(|g| g.summary.as_ref())
                    .map_or_else(|| "not determined".to_string(), |s| f(s.geometric_mean));
                let _ = writeln!(out, "  toxicity control {label}: IC50 {ic50}");
            }
            if let Some(m) = &c.meta {
                let _ = writeln!(
                    out,
                    "  random effects (DerSimonian-Laird): {}{}, tau² = {:.4}, I² = {:.0}%",
                    f(m.ratio),
                    ci(Some(m.ratio_ci95)),
                    m.tau2,
                    100.0 * m.i2
                );
            }
        }
        for chart in &self.control_charts {
            let flagged = chart.flagged();
            let _ = writeln!(
                out,
                "\nControl chart {}: mean {:.4}, SD {:.4} (baseline n = {}), ±2 SD [{:.4}, {:.4}], ±3 SD [{:.4}, {:.4}]: {}",
                chart.quantity,
                chart.mean,
                chart.sd,
                chart.baseline_n,
                chart.limits_2sd[0],
                chart.limits_2sd[1],
                chart.limits_3sd[0],
                chart.limits_3sd[1],
                if flagged.is_empty() {
                    "in control".to_string()
                } else {
                    format!("Westgard flags {}", flagged.join(", "))
                }
            );
        }
        out.push_str("\nWhich test answers which question:\n");
        for (test, question) in TESTS_EXPLAINED {
            let _ = writeln!(out, "  {test}: {question}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dersimonian_laird_by_hand() {
        // Two experiments with equal SE: fixed = mean; Q = w·Σ(r−r̄)².
        let re = dersimonian_laird(&[(0.0, 0.1), (1.0, 0.1)]).unwrap();
        assert!((re.fixed_log10 - 0.5).abs() < 1e-12);
        assert!((re.q - 50.0).abs() < 1e-9);
        // c = 200 − 20000/200 = 100; τ² = (50 − 1)/100.
        assert!((re.tau2 - 0.49).abs() < 1e-12);
        assert!((re.i2 - 49.0 / 50.0).abs() < 1e-12);
        assert!((re.pooled_se - (0.5f64 / 2.0).sqrt()).abs() < 1e-12);
        assert!(dersimonian_laird(&[(0.1, 0.0)]).is_none());
        assert!(dersimonian_laird(&[]).is_none());
    }

    /// The flagged points as every output prints them, with and without a date.
    #[test]
    fn flagged_points_name_experiment_date_and_rules() {
        let mut points: Vec<ChartInput> = (1..=8)
            .map(|i| {
                (
                    i,
                    Some(format!("2026-01-{i:02}")),
                    f64::from(i as i32 % 2),
                    true,
                )
            })
            .collect();
        points.push((9, None, 20.0, false));
        let chart = levey_jennings("Z′", &points).expect("chart");
        assert_eq!(chart.flagged(), ["#9: 1-3s, R-4s"]);
        assert!(!chart.in_control());
        points[8].1 = Some("2026-02-01".into());
        let chart = levey_jennings("Z′", &points).expect("chart");
        assert_eq!(chart.flagged(), ["#9 (2026-02-01): 1-3s, R-4s"]);
        assert_eq!(chart.points[0].rules_text(), "");
    }

    #[test]
    fn westgard_rules_fire_where_they_should() {
        let z = [0.5, 3.5, -0.2, 2.1, 2.2, -2.1, 0.1, 0.2, 0.3, 0.4];
        assert_eq!(westgard_flags(&z, 1), vec![WestgardRule::OneThreeS]);
        assert_eq!(westgard_flags(&z, 4), vec![WestgardRule::TwoTwoS]);
        assert_eq!(westgard_flags(&z, 5), vec![WestgardRule::RFourS]);
        assert!(westgard_flags(&z, 6).is_empty());
        let ones = [1.0; 10];
        assert_eq!(westgard_flags(&ones, 9), vec![WestgardRule::TenX]);
        assert!(westgard_flags(&ones, 8).is_empty());
    }

    #[test]
    fn censored_ic50s_are_counted_not_averaged() {
        let curve = |status: &str, ic50: Option<f64>| CurveRecord {
            line: "K562".into(),
            drug: "d".into(),
            condition: String::new(),
            label: "K562 · d".into(),
            status: status.into(),
            ic50,
            ic50_ci95: None,
            bound: None,
        };
        let experiment = |id, c| ExperimentRecord {
            id,
            name: format!("e{id}"),
            date: Some(format!("2026-01-0{id}")),
            passage: None,
            weeks_off_drug: None,
            z_prime: None,
            vehicle_od: None,
            curves: vec![c],
            comparisons: vec![],
        };
        let s = study(
            &[
                experiment(1, curve("converged", Some(1.0))),
                experiment(2, curve("converged", Some(100.0))),
                experiment(3, curve("ic50_above_range", None)),
                experiment(4, curve("not_converged", None)),
            ],
            &StudyOptions::default(),
        );
        let g = &s.groups[0];
        assert_eq!((g.n, g.censored, g.undetermined), (2, 1, 1));
        assert!((g.summary.as_ref().unwrap().geometric_mean - 10.0).abs() < 1e-9);
    }

    fn close(a: f64, b: f64, what: &str) {
        let tol = 1e-9 * b.abs().max(1e-300);
        assert!(
            (a - b).abs() <= tol.max(1e-15),
            "{what}: platefit {a} vs reference {b}"
        );
    }

    /// The numbers of `tests/data/study/make_reference.py` (scipy/statsmodels), ≤ 1e-9 relative.
    #[test]
    fn matches_the_independent_reference() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/study/reference.json"
        ))
        .unwrap();
        let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
        let floats = |v: &serde_json::Value| -> Vec<f64> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        };
        let mut checked = 0;
        for (name, case) in reference["log_means"].as_object().unwrap() {
            let m = log_mean(&floats(&case["values"])).unwrap();
            close(
                m.geometric_mean,
                case["geometric_mean"].as_f64().unwrap(),
                name,
            );
            let ci = floats(&case["ci95"]);
            let [lo, hi] = m.ci95.unwrap();
            close(lo, ci[0], name);
            close(hi, ci[1], name);
            checked += 1;
        }
        for (name, case) in reference["t_tests"].as_object().unwrap() {
            let t = one_sample_t(&floats(&case["values"])).unwrap();
            close(t.t, case["t"].as_f64().unwrap(), name);
            assert_eq!(t.df as u64, case["df"].as_u64().unwrap());
            close(t.p_value, case["p_value"].as_f64().unwrap(), name);
            checked += 1;
        }
        for (name, case) in reference["meta"].as_object().unwrap() {
            let estimates: Vec<(f64, f64)> = case["estimates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                .collect();
            let re = dersimonian_laird(&estimates).unwrap();
            for (got, key) in [
                (re.fixed_log10, "fixed"),
                (re.q, "q"),
                (re.tau2, "tau2"),
                (re.i2, "i2"),
                (re.pooled_log10, "pooled"),
                (re.pooled_se, "se"),
                (re.ratio, "ratio"),
            ] {
                close(got, case[key].as_f64().unwrap(), &format!("{name} {key}"));
            }
            let ci = floats(&case["ratio_ci95"]);
            close(re.ratio_ci95[0], ci[0], name);
            close(re.ratio_ci95[1], ci[1], name);
            checked += 1;
        }
        let chart = &reference["chart"];
        let values = floats(&chart["values"]);
        let baseline: Vec<bool> = chart["baseline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect();
        let points: Vec<ChartInput> = values
            .iter()
            .zip(&baseline)
            .enumerate()
            .map(|(i, (v, b))| (i as i64, None, *v, *b))
            .collect();
        let lj = levey_jennings("x", &points).unwrap();
        close(lj.mean, chart["mean"].as_f64().unwrap(), "mean");
        close(lj.sd, chart["sd"].as_f64().unwrap(), "sd");
        for (got, key) in [(lj.limits_2sd, "limits_2sd"), (lj.limits_3sd, "limits_3sd")] {
            let want = floats(&chart[key]);
            close(got[0], want[0], key);
            close(got[1], want[1], key);
        }
        let flags: Vec<Vec<String>> = lj
            .points
            .iter()
            .map(|p| p.flags.iter().map(|f| f.as_str().to_string()).collect())
            .collect();
        let want: Vec<Vec<String>> = serde_json::from_value(chart["flags"].clone()).unwrap();
        assert_eq!(flags, want);
        assert!(flags.iter().flatten().count() > 10);
        assert_eq!(checked, 12);
    }
}
