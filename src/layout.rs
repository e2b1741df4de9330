//! What each well holds: the plate [`Layout`].
//!
//! Roles (`blank`, `vehicle`, `treated`, `positive`, `background`, `empty`) and the per-well
//! variables `line` (cell line), `drug`, `condition` (e.g. a co-treatment), `replicate` and a
//! concentration. A **curve** is the set of treated wells sharing line, drug and condition; its
//! 100 % reference is the vehicle wells of the same line (and condition, if given).
//!
//! The interchange format is the R `plater` CSV: one plate-shaped block per variable, blocks
//! separated by an empty line, each block's first row `<variable>,1,…,12` and then rows
//! `A`…`H`. Concentration blocks carry the unit in the name (`conc_uM`, `conc_nM`, …).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Read as IoRead, Write};

use serde::{Deserialize, Serialize};

use crate::import::{TextSource, decode_text};
use crate::plate::{PlateShape, WellId, row_index_from_label, row_label};

/// What a well holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum WellRole {
    /// Nothing that counts (edge wells with PBS, unused wells).
    #[default]
    Empty,
    /// Medium + assay reagent, no cells: the 0-signal background.
    Blank,
    /// Cells + vehicle (DMSO): the 100 % reference.
    Vehicle,
    /// Cells + drug at a concentration.
    Treated,
    /// A kill control (0 % viability), optional.
    Positive,
    /// Drug + medium, no cells (reducing drugs react with WST-8), optional.
    Background,
    /// Cells read at the time of drug addition (time zero): the growth reference of the
    /// GR metrics (`growth.rs`), optional.
    T0,
}

impl WellRole {
    /// Every role, in display order.
    pub const ALL: [Self; 7] = [
        Self::Blank,
        Self::Vehicle,
        Self::Treated,
        Self::Positive,
        Self::Background,
        Self::T0,
        Self::Empty,
    ];

    /// The word used in layout files.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Blank => "blank",
            Self::Vehicle => "vehicle",
            Self::Treated => "treated",
            Self::Positive => "positive",
            Self::Background => "background",
            Self::T0 => "t0",
        }
    }

    /// Reads a role word, accepting common synonyms (`medium`, `control`, `DMSO`, `sample`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let lower = text.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "" | "empty" | "none" | "unused" | "pbs" | "edge" => Self::Empty,
            "blank" | "blk" | "medium" | "media" | "bkg" | "no cells" => Self::Blank,
            "vehicle" | "veh" | "control" | "ctrl" | "dmso" | "untreated" | "negative" | "neg" => {
                Self::Vehicle
            }
            "treated" | "sample" | "drug" | "compound" | "test" | "spl" => Self::Treated,
            "positive" | "pos" | "kill" | "max_kill" => Self::Positive,
            "background" | "drug_blank" | "drug blank" => Self::Background,
            "t0" | "time0" | "time_zero" | "time zero" | "day0" | "day 0" | "t=0" => Self::T0,
            _ => return None,
        })
    }
}

impl fmt::Display for WellRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A concentration unit; concentrations are kept in the layout's unit and IC50s are
/// reported in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ConcentrationUnit {
    /// mol/L.
    #[serde(rename = "M")]
    Molar,
    /// mmol/L.
    #[serde(rename = "mM")]
    Millimolar,
    /// µmol/L (the default).
    #[default]
    #[serde(rename = "uM")]
    Micromolar,
    /// nmol/L.
    #[serde(rename = "nM")]
    Nanomolar,
    /// pmol/L.
    #[serde(rename = "pM")]
    Picomolar,
    /// µg/mL (mass concentration, when the molar mass is not given).
    #[serde(rename = "ug_mL")]
    MicrogramPerMl,
}

impl ConcentrationUnit {
    /// All units.
    pub const ALL: [Self; 6] = [
        Self::Molar,
        Self::Millimolar,
        Self::Micromolar,
        Self::Nanomolar,
        Self::Picomolar,
        Self::MicrogramPerMl,
    ];

    /// The suffix in plater variable names (`conc_uM`).
    #[must_use]
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Molar => "M",
            Self::Millimolar => "mM",
            Self::Micromolar => "uM",
            Self::Nanomolar => "nM",
            Self::Picomolar => "pM",
            Self::MicrogramPerMl => "ug_mL",
        }
    }

    /// The unit as shown to people (`µM`).
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Molar => "M",
            Self::Millimolar => "mM",
            Self::Micromolar => "µM",
            Self::Nanomolar => "nM",
            Self::Picomolar => "pM",
            Self::MicrogramPerMl => "µg/mL",
        }
    }

    /// Reads a unit suffix (`uM`, `µM`, `nm` is not accepted as nanometres here).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let cleaned = text.trim().replace(['µ', 'μ'], "u");
        Some(match cleaned.as_str() {
            "M" | "m" | "mol" => Self::Molar,
            "mM" | "mm" | "MM" => Self::Millimolar,
            "uM" | "um" | "UM" => Self::Micromolar,
            "nM" | "nm" | "NM" => Self::Nanomolar,
            "pM" | "pm" | "PM" => Self::Picomolar,
            "ug_mL" | "ug/mL" | "ug_ml" | "ugml" => Self::MicrogramPerMl,
            _ => return None,
        })
    }
}

impl fmt::Display for ConcentrationUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// Everything the layout says about one well.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WellInfo {
    /// The role.
    pub role: WellRole,
    /// Cell line (`K562`, `K562/FLM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// Drug (compound) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drug: Option<String>,
    /// Condition (co-treatment, e.g. `+ verapamil 5 µM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Replicate number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicate: Option<u32>,
    /// Concentration in the layout's unit (0 for vehicle wells).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concentration: Option<f64>,
}

/// Identifies a curve: the treated wells sharing line, drug and condition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CurveKey {
    /// Cell line (empty when the layout names none).
    pub line: String,
    /// Drug (empty when the layout names none).
    pub drug: String,
    /// Condition (empty when the layout names none).
    pub condition: String,
}

impl CurveKey {
    /// The curve's label: the line, plus drug/condition when present, joined by " · ".
    #[must_use]
    pub fn label(&self) -> String {
        let parts: Vec<&str> = [&self.line, &self.drug, &self.condition]
            .into_iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            "curve".into()
        } else {
            parts.join(" · ")
        }
    }
}

impl fmt::Display for CurveKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// A plate layout: one [`WellInfo`] per well, row-major, and the concentration unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Rows × columns.
    pub shape: PlateShape,
    /// Unit of every concentration.
    pub unit: ConcentrationUnit,
    /// Row-major well annotations.
    pub wells: Vec<WellInfo>,
    /// Variables the layout file held that platefit does not interpret, kept for round trips.
    #[serde(default)]
    pub extra: BTreeMap<String, Vec<String>>,
}

/// A layout that cannot be read or used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LayoutError {
    /// The file is not in plater format.
    #[error("line {line}: {message}")]
    Format {
        /// 1-based line number.
        line: usize,
        /// What was expected.
        message: String,
    },
    /// A well's annotation is unusable.
    #[error("well {well}: {message}")]
    Well {
        /// The well.
        well: WellId,
        /// What is wrong.
        message: String,
    },
    /// A curve as a whole is unusable.
    #[error("curve {curve}: {message}")]
    Curve {
        /// The curve label.
        curve: String,
        /// What is wrong.
        message: String,
    },
    /// No well is treated, so there is no curve at all.
    #[error("the layout has no treated wells, so there is no curve to fit")]
    NoCurve,
    /// The layout has a different shape than the plate.
    #[error("the layout is a {layout}, but the plate is a {plate}")]
    ShapeMismatch {
        /// Layout shape.
        layout: PlateShape,
        /// Plate shape.
        plate: PlateShape,
    },
}

impl Layout {
    /// An all-empty layout.
    #[must_use]
    pub fn empty(shape: PlateShape) -> Self {
        Self {
            shape,
            unit: ConcentrationUnit::default(),
            wells: vec![WellInfo::default(); shape.well_count()],
            extra: BTreeMap::new(),
        }
    }

    /// The annotation of a well (an empty one when the well is off the plate).
    #[must_use]
    pub fn well(&self, well: WellId) -> &WellInfo {
        static EMPTY: WellInfo = WellInfo {
            role: WellRole::Empty,
            line: None,
            drug: None,
            condition: None,
            replicate: None,
            concentration: None,
        };
        self.shape
            .index(well)
            .and_then(|idx| self.wells.get(idx))
            .unwrap_or(&EMPTY)
    }

    /// Mutable annotation of a well.
    pub fn well_mut(&mut self, well: WellId) -> Option<&mut WellInfo> {
        self.shape
            .index(well)
            .and_then(move |idx| self.wells.get_mut(idx))
    }

    /// Wells with their annotation, row by row.
    pub fn iter(&self) -> impl Iterator<Item = (WellId, &WellInfo)> {
        self.shape.wells().zip(self.wells.iter())
    }

    /// The curve a treated well belongs to.
    #[must_use]
    pub fn curve_key(info: &WellInfo) -> CurveKey {
        CurveKey {
            line: info.line.clone().unwrap_or_default(),
            drug: info.drug.clone().unwrap_or_default(),
            condition: info.condition.clone().unwrap_or_default(),
        }
    }

    /// The curves (sorted), each with its treated wells.
    #[must_use]
    pub fn curves(&self) -> BTreeMap<CurveKey, Vec<WellId>> {
        let mut curves: BTreeMap<CurveKey, Vec<WellId>> = BTreeMap::new();
        for (well, info) in self.iter() {
            if info.role == WellRole::Treated {
                curves.entry(Self::curve_key(info)).or_default().push(well);
            }
        }
        curves
    }

    /// The vehicle wells that are the 100 % reference of a curve: same line and condition;
    /// when none carry the curve's condition, the line's vehicle wells without a condition.
    #[must_use]
    pub fn vehicle_wells_for(&self, curve: &CurveKey) -> Vec<WellId> {
        let of_line = |condition: &str| -> Vec<WellId> {
            self.iter()
                .filter(|(_, info)| {
                    info.role == WellRole::Vehicle
                        && info.line.as_deref().unwrap_or("") == curve.line
                        && info.condition.as_deref().unwrap_or("") == condition
                })
                .map(|(well, _)| well)
                .collect()
        };
        let exact = of_line(&curve.condition);
        if exact.is_empty() && !curve.condition.is_empty() {
            of_line("")
        } else {
            exact
        }
    }

    /// Wells with a role.
    #[must_use]
    pub fn wells_with_role(&self, role: WellRole) -> Vec<WellId> {
        self.iter()
            .filter(|(_, info)| info.role == role)
            .map(|(well, _)| well)
            .collect()
    }

    /// Checks that the layout can be analysed: every treated well has a positive
    /// concentration, every curve has vehicle wells, and the plate has blank wells unless
    /// `require_blanks` is false. Curves with fewer than 4 distinct concentrations are not an
    /// error here (their fit is reported as not possible).
    ///
    /// # Errors
    /// The first problem found, naming the well or curve.
    pub fn validate(&self, require_blanks: bool) -> Result<(), LayoutError> {
        if self.wells.len() != self.shape.well_count() {
            return Err(LayoutError::Format {
                line: 1,
                message: format!(
                    "the layout holds {} wells, but a {} has {}",
                    self.wells.len(),
                    self.shape,
                    self.shape.well_count()
                ),
            });
        }
        for (well, info) in self.iter() {
            match info.role {
                WellRole::Treated => match info.concentration {
                    None => {
                        return Err(LayoutError::Well {
                            well,
                            message: "treated, but no concentration is given".into(),
                        });
                    }
                    Some(c) if !(c.is_finite() && c > 0.0) => {
                        return Err(LayoutError::Well {
                            well,
                            message: format!(
                                "treated, but its concentration is {c}; a treated well needs a concentration above 0 (use role vehicle for 0)"
                            ),
                        });
                    }
                    Some(_) => {}
                },
                WellRole::Vehicle => {
                    if let Some(c) = info.concentration.filter(|c| c.abs() > 0.0) {
                        return Err(LayoutError::Well {
                            well,
                            message: format!(
                                "vehicle, but its concentration is {c}; vehicle wells are the 0 concentration"
                            ),
                        });
                    }
                }
                _ => {}
            }
        }
        let curves = self.curves();
        if curves.is_empty() {
            return Err(LayoutError::NoCurve);
        }
        for curve in curves.keys() {
            if self.vehicle_wells_for(curve).is_empty() {
                return Err(LayoutError::Curve {
                    curve: curve.label(),
                    message: format!(
                        "no vehicle wells for line {:?}: mark at least one well of that line as vehicle (the 100 % reference)",
                        curve.line
                    ),
                });
            }
        }
        if require_blanks && self.wells_with_role(WellRole::Blank).is_empty() {
            return Err(LayoutError::Curve {
                curve: "(plate)".into(),
                message:
                    "no blank wells: mark the medium-only wells as blank, or choose \"no blank\""
                        .into(),
            });
        }
        Ok(())
    }

    /// The layout of a time-zero plate read with the same layout as the end-point plate: its
    /// vehicle wells become `t0` wells (cells at drug addition), its treated wells are left
    /// out (drug was just added, or not at all), everything else is kept.
    #[must_use]
    pub fn as_time_zero(&self) -> Self {
        let mut layout = self.clone();
        for info in &mut layout.wells {
            match info.role {
                WellRole::Vehicle => {
                    info.role = WellRole::T0;
                    info.concentration = None;
                }
                WellRole::Treated => {
                    info.role = WellRole::Empty;
                    info.concentration = None;
                }
                _ => {}
            }
        }
        layout
    }

    /// The standard two-line triplicate plate (the sample experiment's layout): rows A and H
    /// empty; rows B–D `line_a` and E–G `line_b`, replicates 1–3; column 1 blank, column 2
    /// vehicle, columns 3–12 treated from `top` down in `fold`-fold steps.
    #[must_use]
    pub fn two_line_triplicate(
        line_a: &str,
        line_b: &str,
        drug: Option<&str>,
        top: f64,
        fold: f64,
        unit: ConcentrationUnit,
    ) -> Self {
        let mut layout = Self::empty(PlateShape::WELLS_96);
        layout.unit = unit;
        let concentrations = dilution_series(top, fold, 10, DilutionDirection::Decreasing);
        for row in 1..7 {
            let line = if row <= 3 { line_a } else { line_b };
            let replicate = u32::try_from((row - 1) % 3 + 1).unwrap_or(1);
            for col in 0..12 {
                let info = WellInfo {
                    role: match col {
                        0 => WellRole::Blank,
                        1 => WellRole::Vehicle,
                        _ => WellRole::Treated,
                    },
                    line: (col > 0).then(|| line.to_string()),
                    drug: (col > 1).then(|| drug.map(str::to_string)).flatten(),
                    condition: None,
                    replicate: (col > 0).then_some(replicate),
                    concentration: match col {
                        0 => None,
                        1 => Some(0.0),
                        _ => concentrations.get(col - 2).copied(),
                    },
                };
                if let Some(slot) = layout.well_mut(WellId::new(row, col)) {
                    *slot = info;
                }
            }
        }
        layout
    }
}

/// Which way a dilution series runs across the wells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DilutionDirection {
    /// Highest concentration first.
    #[default]
    Decreasing,
    /// Lowest concentration first.
    Increasing,
}

/// A serial dilution: `steps` concentrations from `top`, each `fold` times lower.
/// `fold` may be any number above 1 (2, 3, √10 ≈ 3.162…). With
/// [`DilutionDirection::Increasing`] the lowest comes first.
#[must_use]
pub fn dilution_series(
    top: f64,
    fold: f64,
    steps: usize,
    direction: DilutionDirection,
) -> Vec<f64> {
    let mut series: Vec<f64> = (0..steps)
        .map(|step| top / fold.powi(i32::try_from(step).unwrap_or(i32::MAX)))
        .collect();
    if direction == DilutionDirection::Increasing {
        series.reverse();
    }
    series
}

/// Known variable names (lowercase) and what they mean.
enum Variable {
    Role,
    Line,
    Drug,
    Condition,
    Replicate,
    Concentration(Option<ConcentrationUnit>),
    Other,
}

fn classify_variable(name: &str) -> Variable {
    let lower = name.trim().to_ascii_lowercase();
    match lower.as_str() {
        "role" | "type" | "well_type" | "welltype" | "content" => Variable::Role,
        "line" | "cell_line" | "cellline" | "cells" | "cell" => Variable::Line,
        "drug" | "compound" | "treatment" => Variable::Drug,
        "condition" | "cotreatment" | "co_treatment" => Variable::Condition,
        "replicate" | "rep" => Variable::Replicate,
        "conc" | "concentration" | "dose" => Variable::Concentration(None),
        _ => {
            let trimmed = name.trim();
            for prefix in [
                "conc_",
                "concentration_",
                "dose_",
                "Conc_",
                "Concentration_",
                "Dose_",
            ] {
                if let Some(unit) = trimmed.strip_prefix(prefix) {
                    return Variable::Concentration(ConcentrationUnit::parse(unit));
                }
            }
            Variable::Other
        }
    }
}

/// Reads a plater-format layout.
///
/// # Errors
/// [`LayoutError`] naming the line or well that could not be read.
pub fn read_layout(mut reader: impl IoRead) -> Result<Layout, LayoutError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| LayoutError::Format {
            line: 0,
            message: format!("cannot read the layout: {e}"),
        })?;
    parse_layout(&decode_text(&bytes))
}

/// Parses plater-format layout text.
///
/// # Errors
/// [`LayoutError`] naming the line or well that could not be read.
#[allow(clippy::too_many_lines)]
pub fn parse_layout(text: &str) -> Result<Layout, LayoutError> {
    let source = TextSource::new(text);
    let delimiter = source.guess_delimiter();
    let mut blocks: Vec<(usize, String, Vec<Vec<String>>)> = Vec::new();
    let mut idx = 0;
    let mut shape: Option<PlateShape> = None;
    while idx < source.lines.len() {
        let fields = crate::import::split_fields(&source.lines[idx], delimiter);
        if fields.iter().all(|f| f.trim().is_empty()) {
            idx += 1;
            continue;
        }
        let header_line = idx + 1;
        let name = fields[0].trim().to_string();
        let numbers: Vec<&str> = fields[1..]
            .iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
            .collect();
        let is_header = !numbers.is_empty()
            && numbers
                .iter()
                .enumerate()
                .all(|(i, n)| n.parse::<usize>().ok() == Some(i + 1));
        if name.is_empty() || !is_header {
            return Err(LayoutError::Format {
                line: header_line,
                message: format!(
                    "expected a block header `<variable>,1,2,…,12`, found {:?}",
                    source.lines[idx].chars().take(60).collect::<String>()
                ),
            });
        }
        let cols = numbers.len();
        let mut rows = Vec::new();
        idx += 1;
        while idx < source.lines.len() {
            let row_fields = crate::import::split_fields(&source.lines[idx], delimiter);
            if row_fields.iter().all(|f| f.trim().is_empty()) {
                break;
            }
            let label = row_fields[0].trim();
            if row_index_from_label(label) != Some(rows.len()) {
                return Err(LayoutError::Format {
                    line: idx + 1,
                    message: format!(
                        "in block {name:?}, expected row {} but found {label:?}",
                        row_label(rows.len())
                    ),
                });
            }
            rows.push(
                row_fields[1..]
                    .iter()
                    .map(|f| f.trim().to_string())
                    .collect(),
            );
            idx += 1;
        }
        let block_shape = PlateShape {
            rows: rows.len(),
            cols,
        };
        if PlateShape::from_well_count(block_shape.well_count()) != Some(block_shape) {
            return Err(LayoutError::Format {
                line: header_line,
                message: format!(
                    "block {name:?} is {} × {cols}, which is not a standard plate",
                    rows.len()
                ),
            });
        }
        match shape {
            Some(existing) if existing != block_shape => {
                return Err(LayoutError::Format {
                    line: header_line,
                    message: format!(
                        "block {name:?} is a {block_shape}, but the first block is a {existing}"
                    ),
                });
            }
            _ => shape = Some(block_shape),
        }
        blocks.push((header_line, name, rows));
    }
    let Some(shape) = shape else {
        return Err(LayoutError::Format {
            line: 1,
            message: "the layout file holds no blocks".into(),
        });
    };
    let mut layout = Layout::empty(shape);
    let mut has_role = false;
    let mut unit_seen: Option<ConcentrationUnit> = None;
    for (header_line, name, rows) in &blocks {
        let variable = classify_variable(name);
        for (row, cells) in rows.iter().enumerate() {
            for col in 0..shape.cols {
                let well = WellId::new(row, col);
                let cell = cells.get(col).map_or("", String::as_str);
                let line_no = header_line + row + 1;
                let Some(info) = layout.well_mut(well) else {
                    continue;
                };
                let text_value = (!cell.is_empty()).then(|| cell.to_string());
                match variable {
                    Variable::Role => {
                        has_role = true;
                        info.role = WellRole::parse(cell).ok_or_else(|| LayoutError::Well {
                            well,
                            message: format!(
                                "line {line_no}: unknown role {cell:?} (expected blank, vehicle, treated, positive, background, t0 or empty)"
                            ),
                        })?;
                    }
                    Variable::Line => info.line = text_value,
                    Variable::Drug => info.drug = text_value,
                    Variable::Condition => info.condition = text_value,
                    Variable::Replicate => {
                        info.replicate = if cell.is_empty() {
                            None
                        } else {
                            Some(cell.parse::<u32>().map_err(|_| LayoutError::Well {
                                well,
                                message: format!(
                                    "line {line_no}: replicate {cell:?} is not a whole number"
                                ),
                            })?)
                        };
                    }
                    Variable::Concentration(unit) => {
                        if let Some(unit) = unit {
                            if unit_seen.is_some_and(|u| u != unit) {
                                return Err(LayoutError::Format {
                                    line: *header_line,
                                    message: format!(
                                        "block {name:?} uses another concentration unit than an earlier block"
                                    ),
                                });
                            }
                            unit_seen = Some(unit);
                        }
                        info.concentration = if cell.is_empty() {
                            None
                        } else {
                            Some(
                                crate::import::parse_number(cell, delimiter != ',').ok_or_else(
                                    || LayoutError::Well {
                                        well,
                                        message: format!(
                                            "line {line_no}: concentration {cell:?} is not a number"
                                        ),
                                    },
                                )?,
                            )
                        };
                    }
                    Variable::Other => {
                        layout
                            .extra
                            .entry(name.clone())
                            .or_insert_with(|| vec![String::new(); shape.well_count()])
                            [row * shape.cols + col] = cell.to_string();
                    }
                }
            }
        }
    }
    if let Some(unit) = unit_seen {
        layout.unit = unit;
    }
    if !has_role {
        // Without a role block: a positive concentration is treated, zero with a line is
        // vehicle, the rest is empty.
        for info in &mut layout.wells {
            info.role = match info.concentration {
                Some(c) if c > 0.0 => WellRole::Treated,
                Some(_) if info.line.is_some() => WellRole::Vehicle,
                _ => WellRole::Empty,
            };
        }
    }
    Ok(layout)
}

/// Writes a layout in plater format (role, line, drug, condition, concentration, replicate,
/// then any extra variables). Reading the output back gives the same layout.
///
/// # Errors
/// I/O errors of the writer.
pub fn write_layout(layout: &Layout, mut out: impl Write) -> std::io::Result<()> {
    let shape = layout.shape;
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    blocks.push((
        "role".into(),
        layout
            .wells
            .iter()
            .map(|w| w.role.as_str().to_string())
            .collect(),
    ));
    let text_block = |get: &dyn Fn(&WellInfo) -> Option<String>| -> Option<Vec<String>> {
        let values: Vec<String> = layout
            .wells
            .iter()
            .map(|w| get(w).unwrap_or_default())
            .collect();
        values.iter().any(|v| !v.is_empty()).then_some(values)
    };
    if let Some(values) = text_block(&|w| w.line.clone()) {
        blocks.push(("line".into(), values));
    }
    if let Some(values) = text_block(&|w| w.drug.clone()) {
        blocks.push(("drug".into(), values));
    }
    if let Some(values) = text_block(&|w| w.condition.clone()) {
        blocks.push(("condition".into(), values));
    }
    if let Some(values) = text_block(&|w| w.concentration.map(|c| format!("{c}"))) {
        blocks.push((format!("conc_{}", layout.unit.suffix()), values));
    }
    if let Some(values) = text_block(&|w| w.replicate.map(|r| r.to_string())) {
        blocks.push(("replicate".into(), values));
    }
    for (name, values) in &layout.extra {
        blocks.push((name.clone(), values.clone()));
    }
    let quote = |s: &str| -> String {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    for (block_idx, (name, values)) in blocks.iter().enumerate() {
        if block_idx > 0 {
            writeln!(out)?;
        }
        let header: Vec<String> = (1..=shape.cols).map(|c| c.to_string()).collect();
        writeln!(out, "{},{}", quote(name), header.join(","))?;
        for row in 0..shape.rows {
            let cells: Vec<String> = (0..shape.cols)
                .map(|col| {
                    quote(
                        values
                            .get(row * shape.cols + col)
                            .map_or("", String::as_str),
                    )
                })
                .collect();
            writeln!(out, "{},{}", row_label(row), cells.join(","))?;
        }
    }
    Ok(())
}

/// Pairs of (reference, test) curves the layout names as parental and resistant lines:
/// a line named like another line plus a resistance marker (see [`is_resistant_name`]) is
/// compared against that line with the same drug and condition — but only when exactly one
/// parental candidate matches. Sorted.
#[must_use]
pub fn resistance_pairs(curves: &BTreeSet<CurveKey>) -> Vec<(CurveKey, CurveKey)> {
    // Lines by their trimmed name: a parent's name is a prefix of its resistant line's, so
    // only the line's own prefixes are looked up (a file may hold hundreds of lines).
    let mut lines: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for line in curves
        .iter()
        .map(|c| c.line.as_str())
        .collect::<BTreeSet<_>>()
    {
        lines.entry(line.trim()).or_default().push(line);
    }
    let mut pairs = Vec::new();
    for test in curves {
        let name = test.line.trim();
        let candidates = name
            .char_indices()
            .skip(1)
            .filter_map(|(at, _)| lines.get(&name[..at]))
            .flatten()
            .copied();
        let Some(parent) = parental_line(&test.line, candidates) else {
            continue;
        };
        let reference = CurveKey {
            line: parent.to_string(),
            drug: test.drug.clone(),
            condition: test.condition.clone(),
        };
        if curves.contains(&reference) {
            pairs.push((reference, test.clone()));
        }
    }
    pairs.sort();
    pairs
}

/// The one line among `candidates` that `line` names as its parent, or None when none or
/// several do.
#[must_use]
pub fn parental_line<'a>(
    line: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut found = candidates
        .into_iter()
        .filter(|parent| is_resistant_name(line, parent));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// Whether `line` is the name of a line derived from `parent`: the parental name followed by
/// a marker — a separator (`/`, `-`, `_`, space, `.`) and any further text (`K562/FLM`,
/// `K562-FLM`, `K562 FLM-res`, `MCF7 TamR`), or directly `R`, `res` or `resistant`
/// (`K562R`). `K5621` is not derived from `K562`, nor is `drugB 0.0375` from `drugB 0`: a
/// decimal point between digits continues a number (curves labelled by a partner drug's
/// dose), it does not mark a derived line.
#[must_use]
pub fn is_resistant_name(line: &str, parent: &str) -> bool {
    let (line, parent) = (line.trim(), parent.trim());
    if parent.is_empty() || line.len() <= parent.len() {
        return false;
    }
    let Some(rest) = line.strip_prefix(parent) else {
        return false;
    };
    let mut chars = rest.chars();
    let decimal = parent.ends_with(|c: char| c.is_ascii_digit())
        && matches!(chars.clone().next(), Some('.' | ','))
        && chars.clone().nth(1).is_some_and(|c| c.is_ascii_digit());
    if decimal {
        return false;
    }
    match chars.next() {
        Some('/' | '-' | '_' | ' ' | '.') => !chars
            .as_str()
            .trim_matches(['/', '-', '_', ' ', '.'])
            .is_empty(),
        _ => matches!(
            rest.to_ascii_lowercase().as_str(),
            "r" | "res" | "resistant"
        ),
    }
}

/// Reversal pairs (drug alone, drug + modulator): curves of the same line and drug, one with
/// no condition and one with a condition. Sorted.
#[must_use]
pub fn reversal_pairs(curves: &BTreeSet<CurveKey>) -> Vec<(CurveKey, CurveKey)> {
    let mut pairs = Vec::new();
    for with_modulator in curves.iter().filter(|c| !c.condition.is_empty()) {
        let alone = CurveKey {
            line: with_modulator.line.clone(),
            drug: with_modulator.drug.clone(),
            condition: String::new(),
        };
        if curves.contains(&alone) {
            pairs.push((alone, with_modulator.clone()));
        }
    }
    pairs.sort();
    pairs
}

/// The layout variable that names, per treated well, the reference curve its curve is
/// compared with (a full curve label, or just a line name meaning that line with the same
/// drug and condition).
pub const COMPARE_TO_VARIABLE: &str = "compare_to";

/// Explicit (reference, test) pairs from the layout's `compare_to` block. Unknown references
/// are returned as errors naming the curve, for the caller to warn about.
#[must_use]
pub fn explicit_pairs(
    layout: &Layout,
    curves: &BTreeSet<CurveKey>,
) -> (Vec<(CurveKey, CurveKey)>, Vec<String>) {
    let Some(values) = layout.extra.get(COMPARE_TO_VARIABLE) else {
        return (Vec::new(), Vec::new());
    };
    let mut named: BTreeMap<CurveKey, String> = BTreeMap::new();
    for (idx, info) in layout.wells.iter().enumerate() {
        if info.role != WellRole::Treated {
            continue;
        }
        let Some(text) = values.get(idx).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        named
            .entry(Layout::curve_key(info))
            .or_insert_with(|| text.to_string());
    }
    let mut pairs = Vec::new();
    let mut problems = Vec::new();
    for (test, reference_name) in named {
        let reference = curves
            .iter()
            .find(|c| c.label() == reference_name)
            .cloned()
            .or_else(|| {
                let key = CurveKey {
                    line: reference_name.clone(),
                    drug: test.drug.clone(),
                    condition: test.condition.clone(),
                };
                curves.contains(&key).then_some(key)
            });
        match reference {
            Some(reference) if reference != test => pairs.push((reference, test)),
            _ => problems.push(format!(
                "{COMPARE_TO_VARIABLE}: curve {} names {reference_name:?}, which is not another curve of the layout",
                test.label()
            )),
        }
    }
    pairs.sort();
    (pairs, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_layout() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/reference/synthetic/exp01_typical/layout.csv"
        ))
        .unwrap()
    }

    #[test]
    fn reads_the_reference_layout() {
        let layout = parse_layout(&reference_layout()).unwrap();
        assert_eq!(layout.shape, PlateShape::WELLS_96);
        assert_eq!(layout.unit, ConcentrationUnit::Micromolar);
        let b3 = layout.well(WellId::parse("B3").unwrap());
        assert_eq!(b3.role, WellRole::Treated);
        assert_eq!(b3.line.as_deref(), Some("K562"));
        assert_eq!(b3.concentration, Some(50.0));
        assert_eq!(
            layout.well(WellId::parse("G2").unwrap()).line.as_deref(),
            Some("K562/FLM")
        );
        let curves = layout.curves();
        assert_eq!(curves.len(), 2);
        assert!(curves.values().all(|w| w.len() == 30));
        layout.validate(true).unwrap();
        let keys: BTreeSet<CurveKey> = curves.keys().cloned().collect();
        let pairs = resistance_pairs(&keys);
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].0.line, "K562");
        assert_eq!(pairs[0].1.line, "K562/FLM");
    }

    #[test]
    fn resistance_pairs_look_parents_up_by_prefix_as_among_all_lines() {
        let lines = [
            "K562",
            "K562/FLM",
            "K562/FLM-R",
            "K562R",
            "K5621",
            " HeLa",
            "HeLa res",
            "HeLa",
            "Zellé",
            "Zellé/R",
            "MCF7",
            "MCF7 TamR",
            "A549",
            "A549-R",
            "A549_R",
        ];
        let key = |line: &str, drug: &str| CurveKey {
            line: line.to_string(),
            drug: drug.to_string(),
            condition: String::new(),
        };
        let keys: BTreeSet<CurveKey> = lines
            .iter()
            .flat_map(|line| [key(line, "FLM"), key(line, "IM")])
            .collect();
        // The rule itself: every line against every other one.
        let mut expected = Vec::new();
        for test in &keys {
            let all = keys
                .iter()
                .map(|k| k.line.as_str())
                .collect::<BTreeSet<_>>();
            if let Some(parent) = parental_line(&test.line, all) {
                let reference = key(parent, &test.drug);
                if keys.contains(&reference) {
                    expected.push((reference, test.clone()));
                }
            }
        }
        expected.sort();
        let pairs = resistance_pairs(&keys);
        assert_eq!(pairs, expected);
        let named = |test: &str| {
            pairs
                .iter()
                .find(|(_, t)| t.line == test && t.drug == "FLM")
                .map(|(r, _)| r.line.as_str())
        };
        assert_eq!(named("K562/FLM"), Some("K562"));
        assert_eq!(named("K562/FLM-R"), None, "two parents: K562 and K562/FLM");
        assert_eq!(named("Zellé/R"), Some("Zellé"));
        assert_eq!(named("HeLa res"), None, "two parents: 'HeLa' and ' HeLa'");
        assert_eq!(named("A549_R"), Some("A549"));
        assert_eq!(named("K5621"), None);
    }

    #[test]
    fn round_trips_through_plater() {
        let layout = parse_layout(&reference_layout()).unwrap();
        let mut out = Vec::new();
        write_layout(&layout, &mut out).unwrap();
        let again = parse_layout(std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(layout, again);
    }

    #[test]
    fn validation_names_the_well() {
        let mut layout = parse_layout(&reference_layout()).unwrap();
        layout
            .well_mut(WellId::parse("C5").unwrap())
            .unwrap()
            .concentration = None;
        let err = layout.validate(true).unwrap_err().to_string();
        assert!(err.starts_with("well C5:"), "{err}");
        let mut layout = parse_layout(&reference_layout()).unwrap();
        for well in layout.wells_with_role(WellRole::Vehicle) {
            if layout.well(well).line.as_deref() == Some("K562/FLM") {
                layout.well_mut(well).unwrap().role = WellRole::Empty;
            }
        }
        let err = layout.validate(true).unwrap_err().to_string();
        assert!(err.contains("K562/FLM") && err.contains("vehicle"), "{err}");
    }

    #[test]
    fn parse_errors_name_the_line() {
        let err = parse_layout("role,1,2\nA,blank,vehicle\nB,treated,bogus\n").unwrap_err();
        assert!(err.to_string().contains("not a standard plate"), "{err}");
        let mut text = reference_layout();
        text = text.replacen("B,blank,vehicle", "B,blank,vehicel", 1);
        let err = parse_layout(&text).unwrap_err().to_string();
        assert!(err.contains("well B2") && err.contains("vehicel"), "{err}");
    }

    #[test]
    fn template_and_dilutions() {
        let layout = Layout::two_line_triplicate(
            "K562",
            "K562/FLM",
            Some("flumatinib"),
            50.0,
            3.0,
            ConcentrationUnit::Micromolar,
        );
        layout.validate(true).unwrap();
        assert_eq!(layout.curves().len(), 2);
        let series = dilution_series(100.0, 10f64.sqrt(), 5, DilutionDirection::Increasing);
        assert!((series[0] - 1.0).abs() < 1e-12 && (series[4] - 100.0).abs() < 1e-12);
    }

    #[test]
    fn parental_lines() {
        for resistant in [
            "K562/FLM",
            "K562R",
            "K562-R",
            "K562-FLM",
            "K562 FLM-res",
            "K562/X",
            "K562res",
            "K562 resistant",
            "K562_R",
        ] {
            assert_eq!(
                parental_line(resistant, ["K562", "HeLa", resistant]),
                Some("K562"),
                "{resistant}"
            );
        }
        assert_eq!(parental_line("A549-R", ["A549"]), Some("A549"));
        assert_eq!(parental_line("MCF7 TamR", ["MCF7"]), Some("MCF7"));
        assert_eq!(parental_line("K562", ["K562"]), None);
        assert_eq!(parental_line("K5621", ["K562"]), None);
        // A partner drug's dose in the label continues a number: not a derived line (the
        // single-agent rows of a combination matrix, `pyro0` and `pyro0.0375`).
        assert_eq!(parental_line("pyro0.0375", ["pyro0"]), None);
        assert_eq!(parental_line("drug 1,5", ["drug 1"]), None);
        assert_eq!(parental_line("HEK293.R", ["HEK293"]), Some("HEK293"));
        assert_eq!(parental_line("K562/", ["K562"]), None);
        assert_eq!(parental_line("HER", ["HeLa"]), None);
        // Two parental candidates: ambiguous, no pair.
        assert_eq!(parental_line("K562/FLM-R", ["K562", "K562/FLM"]), None);
        // A further derived name whose remainder is not a marker pairs with the one parent.
        assert_eq!(
            parental_line("K562-FLM2", ["K562", "K562-FLM"]),
            Some("K562")
        );
    }

    #[test]
    fn explicit_and_reversal_pairs() {
        let key = |line: &str, condition: &str| CurveKey {
            line: line.into(),
            drug: "flumatinib".into(),
            condition: condition.into(),
        };
        let keys: BTreeSet<CurveKey> = [
            key("K562", ""),
            key("K562", "+ ivermectin 2 µM"),
            key("Other", ""),
        ]
        .into_iter()
        .collect();
        let pairs = reversal_pairs(&keys);
        assert_eq!(
            pairs,
            vec![(key("K562", ""), key("K562", "+ ivermectin 2 µM"))]
        );
        let mut layout = Layout::two_line_triplicate(
            "Other",
            "K562",
            Some("flumatinib"),
            50.0,
            3.0,
            ConcentrationUnit::Micromolar,
        );
        let compare_to: Vec<String> = layout
            .wells
            .iter()
            .map(|w| {
                if w.role == WellRole::Treated && w.line.as_deref() == Some("K562") {
                    "Other".to_string()
                } else {
                    String::new()
                }
            })
            .collect();
        layout.extra.insert(COMPARE_TO_VARIABLE.into(), compare_to);
        let keys: BTreeSet<CurveKey> = layout.curves().into_keys().collect();
        let (pairs, problems) = explicit_pairs(&layout, &keys);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(pairs.len(), 1);
        assert_eq!(
            (pairs[0].0.line.as_str(), pairs[0].1.line.as_str()),
            ("Other", "K562")
        );
        // The same layout through plater text keeps the block.
        let mut out = Vec::new();
        write_layout(&layout, &mut out).unwrap();
        let again = parse_layout(std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(explicit_pairs(&again, &keys).0, pairs);
    }
}
