//! Comparing two curves: the resistance index (RI = IC50 of the test curve / IC50 of the
//! reference curve) with its confidence intervals, and the extra-sum-of-squares F test of
//! whether the IC50s differ.
//!
//! - `log10 RI = LogIC50_test − LogIC50_ref`. The joint fit of the two curves with all
//!   parameters free has the same estimates as the separate fits; its pooled residual
//!   variance `s² = (RSS_ref + RSS_test)/(n − p)` scales each curve's `(JᵀJ)⁻¹`, and
//!   `SE(log10 RI) = sqrt(var_ref + var_test)`. The CI is `10^(log10 RI ± t(0.975, df)·SE)`.
//! - drc's `EDcomp` delta CI: `RI ± t·SE(RI)` with `SE(RI) = RI·ln10·SE(log10 RI)`.
//! - F test: the reduced model shares one LogIC50 between the curves;
//!   `F = ((RSS_r − RSS_f)/(df_r − df_f)) / (RSS_f/df_f)`, p from F(df_r − df_f, df_f).

use serde::Serialize;

use crate::dose_response::DoseResponse;
use crate::fit::asymmetric::{self, FivePlSet, SharedFivePl};
use crate::fit::curves::{CurveData, CurveSet, ParamRef};
use crate::fit::lm::{SolverSettings, minimize};
use crate::fit::models::Model;
use crate::fit::projection::ProjectedCurves;
use crate::fit::{Fit, FitOptions, FitStatus, index};
use crate::stats::{f_upper_tail, t95};

/// The comparison of a test curve against a reference curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Label of the reference (sensitive, parental) curve.
    pub reference: String,
    /// Label of the test (resistant) curve.
    pub test: String,
    /// Whether the ratio is determined: `ok`, or why not.
    pub status: String,
    /// RI = IC50(test)/IC50(reference), when both IC50s are determined.
    pub ratio: Option<f64>,
    /// `log10 RI`.
    pub log10_ratio: Option<f64>,
    /// Standard error of `log10 RI` from the joint fit.
    pub log10_ratio_se: Option<f64>,
    /// 95 % CI of RI from the joint fit, on the log scale.
    pub ratio_ci95: Option<[f64; 2]>,
    /// drc-style delta CI of RI on the linear scale (can go below 0).
    pub ratio_ci95_delta: Option<[f64; 2]>,
    /// Profile-likelihood 95 % CI of RI: the ratios whose joint refit (each curve's own
    /// plateaus and slope, the test curve's LogIC50 held at the reference's plus log10 of
    /// the ratio) the F test would not reject. It agrees with the F test of equal IC50s
    /// (1 lies inside exactly when p ≥ 0.05); a `None` limit is open (the profile never
    /// reached the threshold within 3 decades beyond the tested ranges). Computed where the
    /// F test is (unweighted 4PL and 3PL fits) and disagrees with `ratio_ci95` (or that CI
    /// is not computable): elsewhere the two agree and this one would add nothing.
    pub ratio_ci95_profile: Option<[Option<f64>; 2]>,
    /// A bound when one IC50 lies outside its tested range (`"> 25.3"`).
    pub ratio_bound: Option<String>,
    /// Extra-sum-of-squares F statistic for a shared LogIC50.
    pub f: Option<f64>,
    /// Degrees of freedom of the F test `[df_r − df_f, df_f]`.
    pub df: Option<[usize; 2]>,
    /// p-value: do the IC50s differ?
    pub p_value: Option<f64>,
    /// RSS of the full model (both curves free).
    pub rss_full: Option<f64>,
    /// RSS of the reduced model (shared LogIC50).
    pub rss_reduced: Option<f64>,
    /// Residual df of the joint full fit.
    pub df_joint: Option<usize>,
    /// The comparison in one sentence, consistent with the ratio and the test shown beside
    /// it (used by the table, the app, the JSON and the reports).
    pub verdict: String,
}

impl Comparison {
    fn undetermined(reference: &Fit, test: &Fit, status: String) -> Self {
        Self {
            reference: reference.label.clone(),
            test: test.label.clone(),
            status,
            ratio: None,
            log10_ratio: None,
            log10_ratio_se: None,
            ratio_ci95: None,
            ratio_ci95_delta: None,
            ratio_ci95_profile: None,
            ratio_bound: None,
            f: None,
            df: None,
            p_value: None,
            rss_full: None,
            rss_reduced: None,
            df_joint: None,
            verdict: String::new(),
        }
    }
}

fn free_refs(
    options: &FitOptions,
    next: &mut usize,
    shared_log: Option<usize>,
    fixed_hill: Option<f64>,
) -> [ParamRef; 4] {
    let mut take = |fixed: Option<f64>| ParamRef::fixed_or_next(fixed, next);
    let bottom = take(options.fix_bottom);
    let top = take(options.fix_top);
    let log = match shared_log {
        Some(i) => ParamRef::Free(i),
        None => take(None),
    };
    let hill = match fixed_hill {
        Some(h) => ParamRef::Fixed(h),
        None => take(None),
    };
    [bottom, top, log, hill]
}

/// Compares a test curve against a reference curve (both already fitted with `options`).
///
/// The ratio is a number only when both relative IC50s are numbers; when one is censored
/// (outside the tested range) the ratio is a bound, and the F test of equal IC50s is not
/// reported (a censored LogIC50 is an extrapolation, not an estimate to test). The
/// [`Comparison::verdict`] sentence says which.
#[must_use]
pub fn compare(
    reference: (&DoseResponse, &Fit),
    test: (&DoseResponse, &Fit),
    options: &FitOptions,
) -> Comparison {
    let mut comparison = compare_fits(reference, test, options);
    let (reference_fit, test_fit) = (reference.1, test.1);
    let both_numbers =
        reference_fit.reported_ic50().is_some() && test_fit.reported_ic50().is_some();
    if !both_numbers {
        comparison.f = None;
        comparison.df = None;
        comparison.p_value = None;
        comparison.ratio_bound = ratio_bound(reference_fit, test_fit);
    }
    comparison.verdict = sentence(&comparison, reference_fit, test_fit);
    comparison
}

/// Why a fit's relative IC50 is not a number, in words.
fn censored_words(fit: &Fit) -> String {
    match fit.ic50_bound() {
        Some(bound) => format!("{}'s IC50 is {bound} ({})", fit.label, fit.status.words()),
        // A curve left without any point (its plate failed QC, no vehicle well) was not
        // analysed: "insufficient data" would blame its concentrations.
        None if fit.n == 0 => format!("{}'s IC50 is not determined (no usable points)", fit.label),
        None => format!(
            "{}'s IC50 is not determined ({})",
            fit.label,
            fit.status.words()
        ),
    }
}

fn sentence(comparison: &Comparison, reference: &Fit, test: &Fit) -> String {
    use crate::report::format_number as f;
    let name = format!("{} / {}", comparison.test, comparison.reference);
    match comparison.ratio {
        Some(ratio) => {
            let profile = comparison.ratio_ci95_profile.map(|[lo, hi]| {
                let text =
                    crate::report::format_ratio_ci(lo.unwrap_or(0.0), hi.unwrap_or(f64::INFINITY));
                // A limit at 1 beside a significant F test is open (see `profile_holds_one`).
                match (comparison.p_value, lo, hi) {
                    (Some(p), Some(lo), _) if p < 0.05 && at_one(lo) => format!("({}", &text[1..]),
                    (Some(p), _, Some(hi)) if p < 0.05 && at_one(hi) => {
                        format!("{})", &text[..text.len() - 1])
                    }
                    _ => text,
                }
            });
            let ci = match (comparison.ratio_ci95, &profile) {
                (Some([lo, hi]), _) => format!(" {}", crate::report::format_ratio_ci(lo, hi)),
                (None, Some(profile)) => format!(" {profile} (profile-likelihood CI)"),
                (None, None) => String::new(),
            };
            // The CI from the standard error and the F test can disagree near p = 0.05 in
            // small samples: the profile-likelihood CI, which agrees with the test, is named.
            let reconciled = match (comparison.ratio_ci95, &profile, comparison.p_value) {
                (Some([lo, hi]), Some(profile), Some(p)) => {
                    let excludes = lo > 1.0 || hi < 1.0;
                    let (ci_says, test_says) = if excludes {
                        ("excludes 1", "does not confirm a difference")
                    } else {
                        ("includes 1", "finds a difference")
                    };
                    debug_assert_eq!(excludes, p >= 0.05);
                    format!(
                        " The CI above, from the standard error, {ci_says} but the F test {test_says}: the profile-likelihood CI, which agrees with the F test, is {profile}."
                    )
                }
                _ => String::new(),
            };
            let test_words = match (comparison.f, comparison.p_value, comparison.df) {
                (Some(fv), Some(p), Some([a, b])) => {
                    let stat = format!(
                        "F({a}, {b}) = {fv:.2}, p {}",
                        crate::report::table::format_p(p)
                    );
                    if p < 0.05 {
                        format!("the IC50s differ ({stat})")
                    } else {
                        format!("no evidence that the IC50s differ ({stat})")
                    }
                }
                _ => match reference
                    .why_no_shared_ic50_test()
                    .or_else(|| test.why_no_shared_ic50_test())
                {
                    Some(kind) => format!(
                        "the F test of equal IC50s (a refit sharing LogIC50) is done for unweighted fits only, not for {kind}: judge the difference by the RI's CI"
                    ),
                    None if [reference, test]
                        .iter()
                        .any(|fit| fit.model == Model::FivePl) =>
                    {
                        "the F test of equal IC50s could not be computed (no refit of the two curves with one shared LogIC50 converged to sigmoid curves: the IC50s are too far apart for one midpoint): judge the difference by the RI's CI".into()
                    }
                    None => "the F test of equal IC50s could not be computed".into(),
                },
            };
            // A ratio of IC50s that are numbers but flagged keeps the flag in the sentence.
            let caution: Vec<String> = [reference, test]
                .iter()
                .filter(|fit| fit.status != crate::fit::FitStatus::Converged)
                .map(|fit| format!("{}: {}", fit.label, fit.status.words()))
                .collect();
            let caution = if caution.is_empty() {
                String::new()
            } else {
                format!(
                    " Caution ({}): see the reasons; the ratio rests on the relative IC50s.",
                    caution.join(", ")
                )
            };
            format!(
                "RI {name} = {}{ci}; {test_words}.{reconciled}{caution}",
                f(ratio)
            )
        }
        None => {
            let mut why = Vec::new();
            for fit in [reference, test] {
                if fit.reported_ic50().is_none() {
                    why.push(censored_words(fit));
                }
            }
            let why = why.join("; ");
            match &comparison.ratio_bound {
                Some(bound) => format!(
                    "RI {name} {bound}: {why}, so the ratio is a bound; the IC50s are not tested for a difference because a censored IC50 is not an estimate."
                ),
                None => format!("RI {name} not determined: {why}."),
            }
        }
    }
}

fn compare_fits(
    reference: (&DoseResponse, &Fit),
    test: (&DoseResponse, &Fit),
    options: &FitOptions,
) -> Comparison {
    let (reference_points, reference_fit) = reference;
    let (test_points, test_fit) = test;
    let usable = |fit: &Fit| {
        !matches!(
            fit.status,
            FitStatus::NotConverged | FitStatus::InsufficientData
        ) && fit.params.log10_ic50.is_finite()
    };
    if !usable(reference_fit) || !usable(test_fit) {
        return Comparison::undetermined(
            reference_fit,
            test_fit,
            format!(
                "no fit to compare ({}: {}, {}: {})",
                reference_fit.label,
                reference_fit.status.as_str(),
                test_fit.label,
                test_fit.status.as_str()
            ),
        );
    }
    let mut comparison = Comparison::undetermined(reference_fit, test_fit, "ok".into());
    let df_full = reference_fit.df + test_fit.df;
    let rss_full = reference_fit.rss + test_fit.rss;
    comparison.rss_full = Some(rss_full);
    comparison.df_joint = Some(df_full);
    let log10_ratio = test_fit.params.log10_ic50 - reference_fit.params.log10_ic50;
    // Pooled variance rescales each curve's own covariance.
    let pooled_s2 = (df_full > 0).then(|| rss_full / df_full as f64);
    let own_unscaled_var = |fit: &Fit| -> Option<f64> {
        let cov = fit.covariance?;
        let s2 = fit.rss / fit.df as f64;
        (s2 > 0.0).then(|| cov[index::LOG_IC50][index::LOG_IC50] / s2)
    };
    // Two fits with different weightings (relative weighting asked for, one curve fell
    // back to the unweighted fit) have residual variances on different scales: no pooled
    // variance, each curve's own, with Welch–Satterthwaite degrees of freedom.
    let same_weighting = reference_fit.weighting == test_fit.weighting;
    let own_var = |fit: &Fit| -> Option<f64> {
        let v = fit.covariance?[index::LOG_IC50][index::LOG_IC50];
        (v.is_finite() && v >= 0.0 && fit.df > 0).then_some(v)
    };
    let (se_log, t) = if same_weighting {
        let se = pooled_s2.and_then(|s2| {
            let var = s2 * (own_unscaled_var(reference_fit)? + own_unscaled_var(test_fit)?);
            (var.is_finite() && var >= 0.0).then(|| var.sqrt())
        });
        (se, t95(df_full as f64))
    } else {
        match (own_var(reference_fit), own_var(test_fit)) {
            (Some(a), Some(b)) if a + b > 0.0 => {
                let welch_df = (a + b) * (a + b)
                    / (a * a / reference_fit.df as f64 + b * b / test_fit.df as f64);
                (Some((a + b).sqrt()), t95(welch_df))
            }
            _ => (None, None),
        }
    };
    let ratio = 10f64.powf(log10_ratio);
    let both_reported =
        reference_fit.reported_ic50().is_some() && test_fit.reported_ic50().is_some();
    if both_reported {
        comparison.ratio = Some(ratio);
        comparison.log10_ratio = Some(log10_ratio);
        comparison.log10_ratio_se = se_log;
        if let (Some(se), Some(t)) = (se_log, t) {
            comparison.ratio_ci95 = Some([
                10f64.powf(log10_ratio - t * se),
                10f64.powf(log10_ratio + t * se),
            ]);
            let se_ratio = ratio * std::f64::consts::LN_10 * se;
            comparison.ratio_ci95_delta = Some([ratio - t * se_ratio, ratio + t * se_ratio]);
        }
    } else {
        comparison.status = format!(
            "ratio not determined ({}: {}, {}: {})",
            reference_fit.label,
            reference_fit.status.as_str(),
            test_fit.label,
            test_fit.status.as_str()
        );
        comparison.ratio_bound = ratio_bound(reference_fit, test_fit);
        // No F test of equal IC50s when an IC50 is censored (see `compare`).
        return comparison;
    }
    // The shared-LogIC50 refit exists for unweighted fits only: for a relatively weighted
    // curve the ratio and its CI above (each curve's own covariance, pooled residual
    // variance) stand, and the F test is not computed (the sentence says why).
    if !reference_fit.has_shared_ic50_test() || !test_fit.has_shared_ic50_test() {
        return comparison;
    }
    // A 5PL among the two: the reduced model is the 5PL family with one LogIC50.
    if reference_fit.model == Model::FivePl || test_fit.model == Model::FivePl {
        if let Some((rss_reduced, df_reduced)) = shared_five_pl(reference, test, options) {
            extra_sum_of_squares(&mut comparison, rss_reduced, df_reduced);
        }
        return comparison;
    }
    // Reduced model: one LogIC50 for both curves.
    let reference_data = CurveData::from_dose_response(reference_points, options);
    let test_data = CurveData::from_dose_response(test_points, options);
    let mut next = 0;
    let reference_refs = free_refs(options, &mut next, None, reference_fit.model.fixed_hill());
    let ParamRef::Free(shared) = reference_refs[index::LOG_IC50] else {
        return comparison;
    };
    let test_refs = free_refs(
        options,
        &mut next,
        Some(shared),
        test_fit.model.fixed_hill(),
    );
    let set = CurveSet {
        curves: vec![(reference_data, reference_refs), (test_data, test_refs)],
        n_free: next,
    };
    let start_for = |log_ic50: f64| -> Vec<f64> {
        let mut start = vec![0.0; next];
        for (refs, fit) in [(reference_refs, reference_fit), (test_refs, test_fit)] {
            let values = fit.params.to_array();
            for (k, r) in refs.iter().enumerate() {
                if let ParamRef::Free(i) = r {
                    start[*i] = if k == index::LOG_IC50 {
                        log_ic50
                    } else {
                        values[k]
                    };
                }
            }
        }
        start
    };
    let settings = SolverSettings {
        tolerance: 1e-12,
        patience: 20,
    };
    // The reduced model's minimum on `set` (the two curves, the test curve's concentrations
    // divided by 10^δ for the RI's profile: δ = 0 for the F test), whose test curve has its
    // own LogIC50 at `test_log` in that frame: the RSS and the solver's parameters (the
    // nonlinear ones where the plateaus are projected).
    //
    // At a shared LogIC50 L the two curves are independent, so the reduced RSS is the sum
    // of each curve's own profile at L (its lowest RSS over its slope, the plateaus solved
    // exactly). That sum is searched over L on a grid from below the lower of the two
    // LogIC50s to above the higher and refined, each profile itself a search over the
    // slope from nearly flat to a step; the solver then polishes the best point. No start
    // decides the valley: between very different curves a shared LogIC50 turns one of them
    // into a step, and solvers started from the curves' own fits stopped in higher valleys
    // or walked slowly down the one towards the step (on random pairs the reduced RSS was
    // up to twelve times too high, the F test falsely significant).
    let reference_log = reference_fit.params.log10_ic50;
    let reduced_fit = |set: &CurveSet, test_log: f64| -> Option<Minimum> {
        let start = start_for(0.5 * (reference_log + test_log));
        let range = (
            reference_log.min(test_log) - SHARED_MARGIN,
            reference_log.max(test_log) + SHARED_MARGIN,
        );
        let mut candidates: Vec<Minimum> = Vec::new();
        match ProjectedCurves::from_set(set) {
            Some((model, map)) => {
                let start: Vec<f64> = map.iter().map(|i| start[*i]).collect();
                if let Some((rss, params)) = model.shared_log_ic50_minimum(range, &start) {
                    let polished = minimize(&model, &params, settings);
                    candidates.push((rss, params));
                    candidates.push((polished.rss, polished.params));
                }
            }
            None => {
                let minimum = minimize(set, &start, settings);
                candidates.push((minimum.rss, minimum.params));
            }
        }
        lowest_minimum(candidates)
    };
    // The solver resumed from `warm` (the profile's previous point) on a projected set.
    let resumed_fit = |set: &CurveSet, warm: &[f64]| -> Option<Minimum> {
        let (model, _) = ProjectedCurves::from_set(set)?;
        let resumed = minimize(&model, warm, PROFILE_SETTINGS);
        Some((resumed.rss, resumed.params))
    };
    // The test curve's concentrations divided by 10^δ (its LogIC50 held at the reference's
    // plus δ in the shared-LogIC50 model).
    let shift = |target: &mut CurveSet, delta: f64| {
        for (x, original) in target.curves[1]
            .0
            .log_x
            .iter_mut()
            .zip(&set.curves[1].0.log_x)
        {
            *x = original - delta;
        }
    };
    let at_full = start_for(reference_fit.params.log10_ic50);
    let full_start: Vec<f64> = match ProjectedCurves::from_set(&set) {
        Some((_, map)) => map.iter().map(|i| at_full[*i]).collect(),
        None => at_full,
    };
    let mut shifted = set.clone();
    let Some((rss_reduced, reduced_params)) = reduced_fit(&set, test_fit.params.log10_ic50) else {
        return comparison;
    };
    let df_reduced = set.n_points().saturating_sub(next);
    extra_sum_of_squares(&mut comparison, rss_reduced, df_reduced);
    // Where the CI from the standard error and the F test agree (or there is no F test),
    // the profile adds nothing to the verdict and is not computed; where they disagree
    // (small samples, asymmetric likelihoods), or there is no such CI, it is the interval
    // that agrees with the test.
    let disagree = match (comparison.ratio_ci95, comparison.p_value) {
        (Some([lo, hi]), Some(p)) => (lo > 1.0 || hi < 1.0) != (p < 0.05),
        (None, Some(_)) => true,
        (_, None) => false,
    };
    if !disagree {
        return comparison;
    }
    // The profile of log10 RI: the joint model with the test curve's LogIC50 held at the
    // reference's plus δ is the shared-LogIC50 model on the test curve's concentrations
    // divided by 10^δ. At δ = log10 RI its minimum is the full model's (each curve's own
    // fit); the limits are where the F statistic against the full model reaches its 5 %
    // critical value. Each point is solved as the F test's reduced model is (the same
    // starts, in the shifted frame) and from the previous point, so that at δ = 0 the
    // profile is the F test's refit and the interval holds 1 exactly when p ≥ 0.05.
    let (reference_range, test_range) = (
        set.curves[0].0.tested_log_range(),
        set.curves[1].0.tested_log_range(),
    );
    let limits = (
        test_range.0 - reference_range.1 - 3.0,
        test_range.1 - reference_range.0 + 3.0,
    );
    let others = full_start;
    // Each point is the lower of the global search's minimum and the solver resumed from the
    // warm start. The profile asks again at the same δ from another warm start (after a
    // jump): the search's minimum, which does not depend on it, is kept from the first time.
    let mut searched: Option<(f64, Option<Minimum>)> = None;
    let mut refit = |delta: f64, warm: &[f64]| -> Option<Minimum> {
        shift(&mut shifted, delta);
        let global = match &searched {
            Some((at, global)) if at.to_bits() == delta.to_bits() => global.clone(),
            _ => {
                let global = reduced_fit(&shifted, test_fit.params.log10_ic50 - delta);
                searched = Some((delta, global.clone()));
                global
            }
        };
        lowest_minimum(global.into_iter().chain(resumed_fit(&shifted, warm)))
    };
    if let Some(t) = t95(df_full as f64) {
        let fit = (rss_full, df_full, t);
        let mut bounds = crate::fit::profile::interval(
            log10_ratio,
            others,
            fit,
            limits,
            se_log.map(|se| t * se),
            &mut refit,
        );
        // A profile with more than one valley: from the estimate it reaches the threshold
        // before RI = 1, yet at 1 (the F test's refit) it is below it again. The interval
        // then spans every RI the F test does not reject: on that side its limit is where
        // the profile crosses the threshold beyond 1.
        if let (Some([lo, hi]), Some(p)) = (bounds.as_mut(), comparison.p_value)
            && p >= 0.05
        {
            let side = if lo.is_some_and(|lo| lo > 0.0) {
                Some((lo, -1.0))
            } else if hi.is_some_and(|hi| hi < 0.0) {
                Some((hi, 1.0))
            } else {
                None
            };
            if let Some((limit, direction)) = side {
                *limit = crate::fit::profile::outer_limit(
                    0.0,
                    rss_reduced,
                    reduced_params,
                    direction,
                    fit,
                    limits,
                    &mut refit,
                );
            }
        }
        comparison.ratio_ci95_profile =
            bounds.map(|bounds| bounds.map(|b| b.map(|v| 10f64.powf(v))));
    }
    // Where both curves are steps between doses the profile is flat down to RI = 1 and jumps
    // there (the steps can be placed on either side of one dose): its limit, found to
    // 1e-4 decades, can land a hair beyond 1 while the F test (the profile at 1 exactly)
    // excludes 1. The limit is then 1, open: the data exclude RI = 1 and nothing above it.
    if let (Some([lo, hi]), Some(p)) = (comparison.ratio_ci95_profile, comparison.p_value) {
        let (lo, hi) = if p < 0.05 {
            (
                if lo.is_some_and(at_one) {
                    Some(1.0)
                } else {
                    lo
                },
                if hi.is_some_and(at_one) {
                    Some(1.0)
                } else {
                    hi
                },
            )
        } else {
            (lo, hi)
        };
        comparison.ratio_ci95_profile = Some([lo, hi]);
        // Otherwise a refit on another branch than the F test's right beside RI = 1 can
        // leave an interval that disagrees with the test: it is not shown.
        if profile_holds_one([lo, hi], p) != (p >= 0.05) {
            comparison.ratio_ci95_profile = None;
        }
    }
    comparison
}

/// A minimum of the reduced model: its RSS and the solver's parameters.
type Minimum = (f64, Vec<f64>);

/// The lowest finite minimum among `candidates`.
fn lowest_minimum(candidates: impl IntoIterator<Item = Minimum>) -> Option<Minimum> {
    candidates
        .into_iter()
        .filter(|(rss, _)| rss.is_finite())
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

/// How close to RI = 1 (in decades) a profile limit at a jump is taken to be 1: twice the
/// tolerance to which the profile places a jump.
const JUMP_AT_ONE: f64 = 2e-4;

/// Whether a profile limit of the RI lies at 1, up to where the profile places a jump.
fn at_one(limit: f64) -> bool {
    limit.log10().abs() <= JUMP_AT_ONE
}

/// Whether a profile CI of the RI holds 1. A limit of exactly 1 beside a significant F test
/// is the place of a jump, open: 1 itself is excluded.
fn profile_holds_one([lo, hi]: [Option<f64>; 2], p: f64) -> bool {
    let open_at_one = p < 0.05;
    let above = lo.is_none_or(|lo| lo < 1.0 || (lo <= 1.0 && !open_at_one));
    let below = hi.is_none_or(|hi| hi > 1.0 || (hi >= 1.0 && !open_at_one));
    above && below
}

/// How far beyond the two curves' own LogIC50s (decades) the shared one is searched: the
/// sum of two profiles each lowest at its own curve's LogIC50 is lowest between them.
const SHARED_MARGIN: f64 = 0.3;

/// The refits of the RI's profile: as tight as the LogIC50 profile's.
const PROFILE_SETTINGS: SolverSettings = SolverSettings {
    tolerance: 1e-10,
    patience: 20,
};

/// The F test of equal IC50s from the reduced model's RSS and residual df (the full
/// model's are in `comparison`).
fn extra_sum_of_squares(comparison: &mut Comparison, rss_reduced: f64, df_reduced: usize) {
    let (Some(rss_full), Some(df_full)) = (comparison.rss_full, comparison.df_joint) else {
        return;
    };
    comparison.rss_reduced = Some(rss_reduced);
    if df_full > 0 && df_reduced > df_full && rss_full > 0.0 {
        let df_num = df_reduced - df_full;
        let f = ((rss_reduced - rss_full).max(0.0) / df_num as f64) / (rss_full / df_full as f64);
        comparison.f = Some(f);
        comparison.df = Some([df_num, df_full]);
        comparison.p_value = f_upper_tail(f, df_num as f64, df_full as f64);
    }
}

/// The reduced model of the F test when a 5PL is among the two curves: both curves of the
/// 5PL family (a 4PL or 3PL one with S fixed at 1, as fitted), each with its own plateaus,
/// slope and asymmetry, and one LogIC50 (the midpoint between the plateaus). Solved from
/// each curve's own parameters with the shared LogIC50 at the midpoint of the two and at
/// each curve's own; the lowest RSS of a converged refit whose 5PL curves are ones the fit
/// accepts (|HillSlope| < 50, S within [1/1000, 1000], Bottom below Top). Returns the RSS
/// and the residual df; `None` (no F test) when no refit is such a curve, as for two curves
/// whose midpoints lie so far apart that a shared one turns either into a step.
fn shared_five_pl(
    reference: (&DoseResponse, &Fit),
    test: (&DoseResponse, &Fit),
    options: &FitOptions,
) -> Option<(f64, usize)> {
    let mut next = 0;
    let mut shared = None;
    let mut curves = Vec::new();
    let mut own = Vec::new();
    let mut n_points = 0;
    for (points, fit) in [reference, test] {
        let data = CurveData::from_dose_response(points, options);
        n_points += data.count.iter().sum::<usize>();
        let mut take = |fixed: Option<f64>| ParamRef::fixed_or_next(fixed, &mut next);
        let bottom = take(options.fix_bottom);
        let top = take(options.fix_top);
        let log = *shared.get_or_insert_with(|| take(None));
        let hill = take(fit.model.fixed_hill());
        let five = fit.model == Model::FivePl;
        let s = if five {
            take(None)
        } else {
            ParamRef::Fixed(1.0)
        };
        curves.push(FivePlSet {
            data,
            refs: [bottom, top, log, hill, s],
            n_free: 0,
        });
        let p = fit.params;
        let asymmetry = fit.asymmetry.as_ref().map_or(1.0, |a| a.s);
        own.push((
            [p.bottom, p.top, p.log10_ic50, p.hill_slope, asymmetry],
            five,
        ));
    }
    for curve in &mut curves {
        curve.n_free = next;
    }
    let model = SharedFivePl {
        curves,
        n_free: next,
    };
    // A start: the shared LogIC50, and each curve's own S, or S = 1 for both.
    let start_for = |log_ic50: f64, symmetric: bool| -> Vec<f64> {
        let mut start = vec![0.0; next];
        for (curve, (values, _)) in model.curves.iter().zip(&own) {
            for (k, r) in curve.refs.iter().enumerate() {
                if let ParamRef::Free(i) = r {
                    start[*i] = match k {
                        index::LOG_IC50 => log_ic50,
                        asymmetric::ASYMMETRY if symmetric => 0.0,
                        asymmetric::ASYMMETRY => values[k].ln(),
                        _ => values[k],
                    };
                }
            }
        }
        start
    };
    let settings = SolverSettings {
        tolerance: 1e-12,
        patience: 20,
    };
    let (log_ref, log_test) = (own[0].0[index::LOG_IC50], own[1].0[index::LOG_IC50]);
    // Each curve from its own S first; from S = 1 as well where a refit from its own S
    // leaves the accepted curves (the shared midpoint can pull an asymmetric curve far).
    let mut best: Option<f64> = None;
    let starts = [false, true].into_iter().flat_map(|symmetric| {
        [0.5 * (log_ref + log_test), log_ref, log_test]
            .into_iter()
            .map(move |log_start| (log_start, symmetric))
    });
    for (log_start, symmetric) in starts {
        if symmetric && best.is_some() {
            break;
        }
        let minimum = minimize(&model, &start_for(log_start, symmetric), settings);
        // Only a converged refit: one that walked a valley until its budget ran out is, for
        // the 5PL, a curve running off to a step or to plateaus far outside the data.
        let accepted = minimum.success
            && minimum.rss.is_finite()
            && model.curves.iter().zip(&own).all(|(curve, (_, five))| {
                !five || asymmetric::plausible_shape(&curve.full_params(&minimum.params))
            });
        if accepted && best.is_none_or(|rss| minimum.rss < rss) {
            best = Some(minimum.rss);
        }
    }
    Some((best?, n_points.saturating_sub(next)))
}

fn ratio_bound(reference: &Fit, test: &Fit) -> Option<String> {
    use crate::fit::Estimate::{Above, Below, Value};
    // RI = test / reference: a lower bound when the test IC50 is at least its value and the
    // reference at most its value, and so on.
    let (relation, value) = match (test.verdict.relative, reference.verdict.relative) {
        (Value(t), Below(r)) | (Above(t), Value(r)) | (Above(t), Below(r)) => (">", t / r),
        (Value(t), Above(r)) | (Below(t), Value(r)) | (Below(t), Above(r)) => ("<", t / r),
        _ => return None,
    };
    value
        .is_finite()
        .then(|| format!("{relation} {}", format_sig(value)))
}

/// A number with 3 significant digits.
#[must_use]
pub fn format_sig(value: f64) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    if value == 0.0 {
        return "0".into();
    }
    let digits = 3 - 1 - value.abs().log10().floor() as i32;
    if digits > 0 {
        format!(
            "{value:.prec$}",
            prec = usize::try_from(digits).unwrap_or(0)
        )
    } else {
        format!("{value:.0}")
    }
}
