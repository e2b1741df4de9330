//! From absorbance to % viability, and the plate's quality control.
//!
//! - `absorbance`: the chosen read, minus the reference read when there is one.
//! - `blank` = mean of the blank wells (per line when blanks are assigned to lines).
//! - `viability% = 100 × (OD − blank) / (mean(vehicle OD of that line) − blank)`.
//! - Two-control mode: `100 × (OD − mean(positive)) / (mean(vehicle) − mean(positive))`.
//! - Background wells (drug + medium, no cells) at a drug's concentration add their excess
//!   over the blank to that concentration's blank.
//!
//! QC: CV% of vehicle and blank wells, S/B = mean(vehicle)/mean(blank),
//! Z′ = 1 − 3(σ_vehicle + σ_neg)/|μ_vehicle − μ_neg| (neg = positive control if present,
//! else blank), edge effect (outer vs inner vehicle wells), saturated and flagged wells.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::layout::{CurveKey, Layout, WellRole};
use crate::plate::{Plate, Read, WellId};
use crate::stats::{mean, sample_sd};
use crate::warnings::{fold, name_a_few};

/// How responses are expressed before fitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    /// Blank-subtracted absorbance, not normalized.
    None,
    /// % of the vehicle control after blank subtraction (the default).
    #[default]
    PercentOfVehicle,
    /// % between the vehicle (100) and the positive control (0).
    TwoControl,
}

impl Normalization {
    /// All modes.
    pub const ALL: [Self; 3] = [Self::PercentOfVehicle, Self::TwoControl, Self::None];

    /// A short description.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::None => "blank-subtracted OD (no normalization)",
            Self::PercentOfVehicle => "% of vehicle after blank subtraction",
            Self::TwoControl => "% between vehicle (100) and positive control (0)",
        }
    }
}

/// Absorbance above which a well is reported as possibly saturated.
pub const SATURATION_OD: f64 = 3.0;

/// Per-well numbers of one plate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WellValues {
    /// The well.
    pub well: WellId,
    /// Its role.
    pub role: WellRole,
    /// Absorbance of the analysed read (reference subtracted when there is one).
    pub absorbance: Option<f64>,
    /// Blank-subtracted absorbance.
    pub corrected: Option<f64>,
    /// % viability (or the response in the chosen normalization).
    pub viability: Option<f64>,
    /// The raw text of a value the reader could not measure.
    pub flag: Option<String>,
    /// Excluded by the user.
    pub excluded: bool,
}

/// QC numbers of one cell line on a plate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineQc {
    /// Cell line.
    pub line: String,
    /// Mean vehicle absorbance.
    pub vehicle_mean: Option<f64>,
    /// CV% of the vehicle wells.
    pub vehicle_cv_pct: Option<f64>,
    /// Z′ of this line's vehicle wells against the negative control.
    pub z_prime: Option<f64>,
}

/// QC verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QcVerdict {
    /// Within the usual acceptance limits.
    Pass,
    /// Outside a usual acceptance limit.
    Warn,
    /// The plate cannot give trustworthy numbers (an incomplete read, no positive signal
    /// window): no IC50 is computed from it. The reasons come first in `warnings`.
    Fail,
}

/// Quality control of one plate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlateQc {
    /// Mean blank absorbance.
    pub blank_mean: Option<f64>,
    /// CV% of the blank wells.
    pub blank_cv_pct: Option<f64>,
    /// Mean absorbance of all vehicle wells.
    pub vehicle_mean: Option<f64>,
    /// CV% of all vehicle wells.
    pub vehicle_cv_pct: Option<f64>,
    /// Signal window S/B = mean(vehicle)/mean(blank).
    pub signal_to_blank: Option<f64>,
    /// Z′ of all vehicle wells against the negative control.
    pub z_prime: Option<f64>,
    /// Which wells were the negative control for Z′ (`blank` or `positive`).
    pub z_prime_negative: String,
    /// Edge effect: 100 × (mean outer vehicle / mean inner vehicle − 1).
    pub edge_effect_pct: Option<f64>,
    /// Per cell line.
    pub lines: Vec<LineQc>,
    /// Wells at or above [`SATURATION_OD`].
    pub saturated_wells: Vec<WellId>,
    /// Wells the reader could not measure, with the raw text.
    pub flagged_wells: BTreeMap<WellId, String>,
    /// Blank, vehicle and positive-control wells that look wrong (outliers within their group,
    /// saturated or not measured), with why; named when the signal window fails.
    pub suspect_controls: BTreeMap<WellId, String>,
    /// The suspect control wells whose exclusion restores a clearly positive signal window
    /// (measured wells only: saturated or outliers), with why. Empty when the window is fine
    /// or when no exclusion of suspect wells would fix it. Apply them with
    /// `PlateInput::exclude_suggested` (or by hand) and analyse again.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub suggested_exclusions: BTreeMap<WellId, String>,
    /// Pass, warn or fail.
    pub verdict: QcVerdict,
    /// Why it fails or warns: the failures first, one line per cause.
    pub warnings: Vec<String>,
}

/// The normalized plate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NormalizedPlate {
    /// Every well, row by row.
    pub wells: Vec<WellValues>,
    /// The blank used for each curve.
    pub blank_by_curve: BTreeMap<CurveKey, f64>,
    /// The vehicle mean used for each curve.
    pub vehicle_by_curve: BTreeMap<CurveKey, f64>,
    /// QC.
    pub qc: PlateQc,
    /// Problems that keep a curve from being normalized (curve → reason).
    pub curve_problems: BTreeMap<CurveKey, String>,
}

fn mean_of(wells: &[WellId], values: &BTreeMap<WellId, f64>) -> Option<f64> {
    let v: Vec<f64> = wells
        .iter()
        .filter_map(|w| values.get(w).copied())
        .collect();
    mean(&v)
}

fn sd_of(wells: &[WellId], values: &BTreeMap<WellId, f64>) -> Option<f64> {
    let v: Vec<f64> = wells
        .iter()
        .filter_map(|w| values.get(w).copied())
        .collect();
    sample_sd(&v)
}

fn cv_pct(wells: &[WellId], values: &BTreeMap<WellId, f64>) -> Option<f64> {
    let m = mean_of(wells, values)?;
    let sd = sd_of(wells, values)?;
    (m.abs() > 0.0).then(|| 100.0 * sd / m.abs())
}

fn z_prime(
    positive: &[WellId],
    negative: &[WellId],
    values: &BTreeMap<WellId, f64>,
) -> Option<f64> {
    let (mp, mn) = (mean_of(positive, values)?, mean_of(negative, values)?);
    let (sp, sn) = (sd_of(positive, values)?, sd_of(negative, values)?);
    let gap = (mp - mn).abs();
    (gap > 0.0).then(|| 1.0 - 3.0 * (sp + sn) / gap)
}

/// Normalizes one plate's absorbance with its layout.
///
/// `read` and `reference` are the chosen reads' indices; `excluded` are wells the user
/// excluded (kept in the output, left out of every mean and fit).
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn normalize_plate(
    plate: &Plate,
    layout: &Layout,
    read: usize,
    reference: Option<usize>,
    excluded: &BTreeSet<WellId>,
    normalization: Normalization,
) -> NormalizedPlate {
    let shape = plate.shape;
    let main = plate.reads.get(read);
    let reference_read = reference.and_then(|r| plate.reads.get(r));
    let mut absorbance: BTreeMap<WellId, f64> = BTreeMap::new();
    let mut flags: BTreeMap<WellId, String> = BTreeMap::new();
    let mut raw_max: BTreeMap<WellId, f64> = BTreeMap::new();
    for well in shape.wells() {
        let Some(main) = main else { break };
        if let Some(text) = main.flags.get(&well) {
            flags.insert(well, text.clone());
            continue;
        }
        if let Some(formula) = main.derived.get(&well) {
            flags.insert(well, format!("formula {formula}"));
            continue;
        }
        if let Some(text) = reference_read.and_then(|r| r.flags.get(&well)) {
            flags.insert(well, format!("reference: {text}"));
            continue;
        }
        let Some(value) = main.value_at(shape, well) else {
            continue;
        };
        raw_max.insert(well, value);
        let value = match reference_read {
            Some(r) => match r.value_at(shape, well) {
                Some(reference_value) => value - reference_value,
                None => continue,
            },
            None => value,
        };
        absorbance.insert(well, value);
    }
    // Values that enter means: measured and not excluded.
    let usable: BTreeMap<WellId, f64> = absorbance
        .iter()
        .filter(|(w, _)| !excluded.contains(w))
        .map(|(w, v)| (*w, *v))
        .collect();
    let blanks = layout.wells_with_role(WellRole::Blank);
    let positives = layout.wells_with_role(WellRole::Positive);
    let vehicles = layout.wells_with_role(WellRole::Vehicle);
    let plate_blank = mean_of(&blanks, &usable);
    let blank_for_line = |line: &str| -> Option<f64> {
        let own: Vec<WellId> = blanks
            .iter()
            .copied()
            .filter(|w| layout.well(*w).line.as_deref() == Some(line))
            .collect();
        if own.is_empty() {
            let unassigned: Vec<WellId> = blanks
                .iter()
                .copied()
                .filter(|w| layout.well(*w).line.is_none())
                .collect();
            mean_of(
                if unassigned.is_empty() {
                    &blanks
                } else {
                    &unassigned
                },
                &usable,
            )
        } else {
            mean_of(&own, &usable)
        }
    };
    // Background wells: mean per (drug, concentration).
    let mut background: BTreeMap<(String, u64), Vec<WellId>> = BTreeMap::new();
    for well in layout.wells_with_role(WellRole::Background) {
        let info = layout.well(well);
        if let Some(c) = info.concentration {
            background
                .entry((info.drug.clone().unwrap_or_default(), c.to_bits()))
                .or_default()
                .push(well);
        }
    }
    let mut blank_by_curve = BTreeMap::new();
    let mut vehicle_by_curve = BTreeMap::new();
    let mut curve_problems = BTreeMap::new();
    let mut wells_out: Vec<WellValues> = Vec::with_capacity(shape.well_count());
    let curves = layout.curves();
    let mut curve_of_well: BTreeMap<WellId, CurveKey> = BTreeMap::new();
    for (key, wells) in &curves {
        for well in wells {
            curve_of_well.insert(*well, key.clone());
        }
        for well in layout.vehicle_wells_for(key) {
            curve_of_well.entry(well).or_insert_with(|| key.clone());
        }
    }
    for key in curves.keys() {
        let blank = if blanks.is_empty() {
            Some(0.0)
        } else {
            blank_for_line(&key.line)
        };
        let vehicle = mean_of(&layout.vehicle_wells_for(key), &usable);
        match (blank, vehicle) {
            (Some(b), Some(v)) => {
                blank_by_curve.insert(key.clone(), b);
                vehicle_by_curve.insert(key.clone(), v);
                if normalization != Normalization::None && (v - b).abs() <= f64::EPSILON {
                    curve_problems.insert(
                        key.clone(),
                        "vehicle and blank absorbance are equal: cannot normalize".to_string(),
                    );
                }
            }
            (None, _) => {
                curve_problems.insert(key.clone(), "no measured blank well".to_string());
            }
            (_, None) => {
                curve_problems.insert(key.clone(), "no measured vehicle well".to_string());
            }
        }
    }
    let main_is_absorbance = main.is_none_or(Read::is_absorbance);
    let mut failures: Vec<String> = Vec::new();
    for (what, chosen) in [("analysed read", main), ("reference read", reference_read)] {
        if let Some(reason) = chosen.and_then(|r| r.incomplete.as_ref().map(|i| (r, i))) {
            let (r, why) = reason;
            let missing: Vec<WellId> = r
                .flags
                .iter()
                .filter(|(_, t)| t.as_str() == crate::plate::MISSING_FLAG)
                .map(|(w, _)| *w)
                .collect();
            failures.push(format!(
                "the {what} {:?} is incomplete ({why}): {} have no value",
                r.label,
                name_a_few(&missing)
            ));
        }
    }
    let mut suspect_controls: BTreeMap<WellId, String> = BTreeMap::new();
    let mut suggested_exclusions: BTreeMap<WellId, String> = BTreeMap::new();
    if normalization != Normalization::None || !blanks.is_empty() {
        for key in curves.keys() {
            let low_wells: Vec<WellId> = if normalization == Normalization::TwoControl {
                let own: Vec<WellId> = positives
                    .iter()
                    .copied()
                    .filter(|w| layout.well(*w).line.as_deref() == Some(key.line.as_str()))
                    .collect();
                if own.is_empty() {
                    positives.clone()
                } else {
                    own
                }
            } else {
                blank_wells_for(layout, &blanks, &key.line)
            };
            let vehicle_wells = layout.vehicle_wells_for(key);
            if let Some(reason) = signal_window_problem(&vehicle_wells, &low_wells, &usable) {
                let low_name = if normalization == Normalization::TwoControl {
                    "positive control"
                } else {
                    "blank"
                };
                let mut curve_suspects: BTreeMap<WellId, String> = BTreeMap::new();
                for (wells, role) in [(&low_wells, low_name), (&vehicle_wells, "vehicle")] {
                    for (well, why) in
                        suspect_wells(wells, &usable, &flags, &raw_max, main_is_absorbance)
                    {
                        curve_suspects.insert(well, format!("{role}: {why}"));
                    }
                }
                // Offer the exclusion only when it is a real remedy: the measured suspects
                // (wells without a value are out already) leave both groups non-empty and
                // the signal window clearly positive without them.
                let without: BTreeMap<WellId, f64> = usable
                    .iter()
                    .filter(|(w, _)| !curve_suspects.contains_key(w))
                    .map(|(w, v)| (*w, *v))
                    .collect();
                let measured_suspects = curve_suspects.keys().any(|w| usable.contains_key(w));
                if measured_suspects
                    && mean_of(&vehicle_wells, &without).is_some()
                    && mean_of(&low_wells, &without).is_some()
                    && signal_window_problem(&vehicle_wells, &low_wells, &without).is_none()
                {
                    for (well, why) in &curve_suspects {
                        if usable.contains_key(well) {
                            suggested_exclusions.insert(*well, why.clone());
                        }
                    }
                }
                suspect_controls.extend(curve_suspects);
                failures.push(format!(
                    "{}: signal window {reason}; % viability would be a ratio of noise",
                    key.label()
                ));
            }
        }
    }
    if !suspect_controls.is_empty() {
        let named: Vec<String> = suspect_controls
            .iter()
            .map(|(w, why)| format!("{w} ({why})"))
            .collect();
        failures.push(format!(
            "control wells that look wrong: {}",
            named.join(", ")
        ));
    }
    if !suggested_exclusions.is_empty() {
        let wells: Vec<String> = suggested_exclusions
            .keys()
            .map(ToString::to_string)
            .collect();
        failures.push(format!(
            "suggested exclusion: {} (without them the signal window is clearly positive); exclude them and analyse again (command line: --exclude {})",
            wells.join(" "),
            wells.join(",")
        ));
    }
    let failures = fold(failures);
    if !failures.is_empty() {
        for key in curves.keys() {
            curve_problems.insert(
                key.clone(),
                format!("plate QC failed, no IC50 from this plate: {}", failures[0]),
            );
        }
    }
    let positive_for_line = |line: &str| -> Option<f64> {
        let own: Vec<WellId> = positives
            .iter()
            .copied()
            .filter(|w| layout.well(*w).line.as_deref() == Some(line))
            .collect();
        mean_of(if own.is_empty() { &positives } else { &own }, &usable)
    };
    for well in shape.wells() {
        let info = layout.well(well);
        let od = absorbance.get(&well).copied();
        let key = curve_of_well.get(&well);
        let blank = key
            .and_then(|k| blank_by_curve.get(k).copied())
            .or(plate_blank)
            .unwrap_or(0.0);
        let extra_background = if info.role == WellRole::Treated {
            info.concentration
                .and_then(|c| background.get(&(info.drug.clone().unwrap_or_default(), c.to_bits())))
                .and_then(|w| mean_of(w, &usable))
                .map_or(0.0, |bg| bg - blank)
        } else {
            0.0
        };
        let corrected = od.map(|v| v - blank - extra_background);
        let viability = match (corrected, key) {
            (Some(c), Some(k)) if !curve_problems.contains_key(k) => {
                let vehicle = vehicle_by_curve.get(k).copied();
                match normalization {
                    Normalization::None => Some(c),
                    Normalization::PercentOfVehicle => vehicle.map(|v| 100.0 * c / (v - blank)),
                    Normalization::TwoControl => {
                        let pos = positive_for_line(&k.line);
                        match (vehicle, pos) {
                            (Some(v), Some(p)) if (v - p).abs() > f64::EPSILON => {
                                od.map(|o| 100.0 * (o - extra_background - p) / (v - p))
                            }
                            _ => None,
                        }
                    }
                }
            }
            _ => None,
        };
        wells_out.push(WellValues {
            well,
            role: info.role,
            absorbance: od,
            corrected,
            viability: viability.filter(|v| v.is_finite()),
            flag: flags.get(&well).cloned(),
            excluded: excluded.contains(&well),
        });
    }
    if normalization == Normalization::TwoControl && positives.is_empty() {
        for key in curves.keys() {
            curve_problems
                .entry(key.clone())
                .or_insert_with(|| "two-control normalization needs positive-control wells".into());
        }
    }
    let mut qc = plate_qc(
        shape,
        layout,
        &usable,
        &raw_max,
        &flags,
        &blanks,
        &positives,
        &vehicles,
        main_is_absorbance,
    );
    if !failures.is_empty() {
        qc.verdict = QcVerdict::Fail;
        qc.warnings.splice(0..0, failures);
    }
    qc.suspect_controls = suspect_controls;
    qc.suggested_exclusions = suggested_exclusions;
    NormalizedPlate {
        wells: wells_out,
        blank_by_curve,
        vehicle_by_curve,
        qc,
        curve_problems,
    }
}

/// The blank wells that serve a line: its own, else the unassigned ones, else all.
pub(crate) fn blank_wells_for(layout: &Layout, blanks: &[WellId], line: &str) -> Vec<WellId> {
    let own: Vec<WellId> = blanks
        .iter()
        .copied()
        .filter(|w| layout.well(*w).line.as_deref() == Some(line))
        .collect();
    if !own.is_empty() {
        return own;
    }
    let unassigned: Vec<WellId> = blanks
        .iter()
        .copied()
        .filter(|w| layout.well(*w).line.is_none())
        .collect();
    if unassigned.is_empty() {
        blanks.to_vec()
    } else {
        unassigned
    }
}

/// Why the signal window (mean vehicle − mean low control) is not clearly positive, if it
/// is not: it must be above zero and above three standard errors of the difference.
fn signal_window_problem(
    vehicles: &[WellId],
    lows: &[WellId],
    values: &BTreeMap<WellId, f64>,
) -> Option<String> {
    let vehicle = mean_of(vehicles, values)?;
    let low = mean_of(lows, values)?;
    let window = vehicle - low;
    if window <= 0.0 {
        return Some(format!(
            "is not positive: vehicle {vehicle:.4} − control {low:.4} = {window:.4}"
        ));
    }
    let n = |wells: &[WellId]| wells.iter().filter(|w| values.contains_key(w)).count() as f64;
    let var = |wells: &[WellId]| sd_of(wells, values).map_or(0.0, |sd| sd * sd);
    let se = (var(vehicles) / n(vehicles).max(1.0) + var(lows) / n(lows).max(1.0)).sqrt();
    (window < 3.0 * se).then(|| {
        format!(
            "is not clearly positive: vehicle {vehicle:.4} − control {low:.4} = {window:.4}, within 3 standard errors ({se:.4})"
        )
    })
}

/// Wells of one control group that look wrong: not measured, saturated (absorbance only) or
/// outliers (further from the group median than 3.5 robust SDs, and than 20 % of it).
fn suspect_wells(
    wells: &[WellId],
    values: &BTreeMap<WellId, f64>,
    flags: &BTreeMap<WellId, String>,
    raw: &BTreeMap<WellId, f64>,
    absorbance: bool,
) -> Vec<(WellId, String)> {
    let mut out = Vec::new();
    let saturated = |w: &WellId| absorbance && raw.get(w).is_some_and(|v| *v >= SATURATION_OD);
    // The group's centre from its unsaturated wells: five saturated blanks must not make
    // the one good blank look like the outlier.
    let mut sorted: Vec<f64> = wells
        .iter()
        .filter(|w| !saturated(w))
        .filter_map(|w| values.get(w).copied())
        .collect();
    sorted.sort_by(f64::total_cmp);
    let median = |v: &[f64]| -> Option<f64> {
        let n = v.len();
        (n > 0).then(|| {
            if n % 2 == 1 {
                v[n / 2]
            } else {
                f64::midpoint(v[n / 2 - 1], v[n / 2])
            }
        })
    };
    let center = median(&sorted);
    let mad = center.and_then(|c| {
        let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - c).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        median(&deviations)
    });
    for well in wells {
        if !values.contains_key(well) && !flags.contains_key(well) {
            continue; // excluded by the user, or empty
        }
        if let Some(text) = flags.get(well) {
            out.push((*well, format!("no value: {text}")));
            continue;
        }
        if absorbance && let Some(od) = raw.get(well).filter(|v| **v >= SATURATION_OD) {
            out.push((*well, format!("OD {od:.3}, saturated")));
            continue;
        }
        if let (Some(value), Some(c), Some(mad)) = (values.get(well), center, mad)
            && sorted.len() >= 3
            && !saturated(well)
        {
            let limit = (3.5 * 1.4826 * mad).max(0.2 * c.abs());
            if (value - c).abs() > limit {
                out.push((*well, format!("{value:.4}, an outlier (median {c:.4})")));
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn plate_qc(
    shape: crate::plate::PlateShape,
    layout: &Layout,
    usable: &BTreeMap<WellId, f64>,
    raw: &BTreeMap<WellId, f64>,
    flags: &BTreeMap<WellId, String>,
    blanks: &[WellId],
    positives: &[WellId],
    vehicles: &[WellId],
    absorbance: bool,
) -> PlateQc {
    let negative: &[WellId] = if positives.is_empty() {
        blanks
    } else {
        positives
    };
    let blank_mean = mean_of(blanks, usable);
    let vehicle_mean = mean_of(vehicles, usable);
    let mut lines: Vec<String> = vehicles
        .iter()
        .filter_map(|w| layout.well(*w).line.clone())
        .collect();
    lines.sort();
    lines.dedup();
    let line_qc: Vec<LineQc> = lines
        .iter()
        .map(|line| {
            let wells: Vec<WellId> = vehicles
                .iter()
                .copied()
                .filter(|w| layout.well(*w).line.as_deref() == Some(line.as_str()))
                .collect();
            LineQc {
                line: line.clone(),
                vehicle_mean: mean_of(&wells, usable),
                vehicle_cv_pct: cv_pct(&wells, usable),
                z_prime: z_prime(&wells, negative, usable),
            }
        })
        .collect();
    let (outer, inner): (Vec<WellId>, Vec<WellId>) =
        vehicles.iter().partition(|w| shape.is_edge(**w));
    let edge_effect_pct = match (mean_of(&outer, usable), mean_of(&inner, usable)) {
        (Some(o), Some(i)) if i.abs() > 0.0 => Some(100.0 * (o / i - 1.0)),
        _ => None,
    };
    // Saturation at OD ≥ 3 is an absorbance notion: fluorescence and luminescence reads
    // count in the thousands and have their own overflow tokens (flagged by the importer).
    let saturated_wells: Vec<WellId> = if absorbance {
        raw.iter()
            .filter(|(_, v)| **v >= SATURATION_OD)
            .map(|(w, _)| *w)
            .collect()
    } else {
        Vec::new()
    };
    let mut qc = PlateQc {
        blank_mean,
        blank_cv_pct: cv_pct(blanks, usable),
        vehicle_mean,
        vehicle_cv_pct: cv_pct(vehicles, usable),
        signal_to_blank: match (vehicle_mean, blank_mean) {
            (Some(v), Some(b)) if b.abs() > 0.0 => Some(v / b),
            _ => None,
        },
        z_prime: z_prime(vehicles, negative, usable),
        z_prime_negative: if positives.is_empty() {
            "blank"
        } else {
            "positive"
        }
        .into(),
        edge_effect_pct,
        lines: line_qc,
        saturated_wells,
        flagged_wells: flags.clone(),
        suspect_controls: BTreeMap::new(),
        suggested_exclusions: BTreeMap::new(),
        verdict: QcVerdict::Pass,
        warnings: Vec::new(),
    };
    if let Some(z) = qc.z_prime.filter(|z| *z < 0.5) {
        qc.warnings.push(format!("Z′ = {z:.2} is below 0.5"));
    }
    for line in &qc.lines {
        if let Some(cv) = line.vehicle_cv_pct.filter(|cv| *cv > 15.0) {
            qc.warnings.push(format!(
                "vehicle CV of {} is {cv:.1} % (above 15 %)",
                line.line
            ));
        }
    }
    if let Some(e) = qc.edge_effect_pct.filter(|e| e.abs() > 15.0) {
        qc.warnings.push(format!(
            "edge effect: outer vehicle wells differ by {e:+.0} %"
        ));
    }
    if !qc.saturated_wells.is_empty() {
        qc.warnings.push(format!(
            "possibly saturated (OD ≥ {SATURATION_OD}): {}",
            name_a_few(&qc.saturated_wells)
        ));
    }
    // Flagged wells, one line per cause (the flag text): `OVER` in 40 wells is one line.
    let mut by_text: BTreeMap<&str, Vec<WellId>> = BTreeMap::new();
    for (well, text) in &qc.flagged_wells {
        by_text.entry(text.as_str()).or_default().push(*well);
    }
    for (text, wells) in by_text {
        qc.warnings.push(if text.starts_with("formula ") {
            format!(
                "spreadsheet formulas, not readings (left out of the fit): {}",
                name_a_few(&wells)
            )
        } else {
            format!(
                "not measured by the reader ({text}): {}",
                name_a_few(&wells)
            )
        });
    }
    if blanks.is_empty() {
        qc.warnings
            .push("no blank wells: absorbance not blank-subtracted".into());
    }
    qc.warnings = fold(std::mem::take(&mut qc.warnings));
    if !qc.warnings.is_empty() {
        qc.verdict = QcVerdict::Warn;
    }
    qc
}
