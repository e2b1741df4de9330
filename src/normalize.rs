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
use crate::plate::{Plate, WellId};
use crate::stats::{mean, sample_sd};

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
    /// Pass or warn.
    pub verdict: QcVerdict,
    /// Why it warns.
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
    let qc = plate_qc(
        shape, layout, &usable, &raw_max, &flags, &blanks, &positives, &vehicles,
    );
    NormalizedPlate {
        wells: wells_out,
        blank_by_curve,
        vehicle_by_curve,
        qc,
        curve_problems,
    }
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
    let saturated_wells: Vec<WellId> = raw
        .iter()
        .filter(|(_, v)| **v >= SATURATION_OD)
        .map(|(w, _)| *w)
        .collect();
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
        let names: Vec<String> = qc.saturated_wells.iter().map(ToString::to_string).collect();
        qc.warnings.push(format!(
            "possibly saturated (OD ≥ {SATURATION_OD}): {}",
            names.join(", ")
        ));
    }
    if !qc.flagged_wells.is_empty() {
        let names: Vec<String> = qc
            .flagged_wells
            .iter()
            .map(|(w, t)| format!("{w} ({t})"))
            .collect();
        qc.warnings
            .push(format!("not measured by the reader: {}", names.join(", ")));
    }
    if blanks.is_empty() {
        qc.warnings
            .push("no blank wells: absorbance not blank-subtracted".into());
    }
    if !qc.warnings.is_empty() {
        qc.verdict = QcVerdict::Warn;
    }
    qc
}
