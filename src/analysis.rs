//! The whole pipeline for one experiment — plates + layouts + settings → normalized wells,
//! QC, one fitted curve per cell line (and drug/condition), and the comparisons of resistant
//! against parental lines. The single API the CLI and the GUI both call.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::compare::{Comparison, compare};
use crate::dose_response::{DosePoint, DoseResponse};
use crate::fit::{CiMethod, Fit, FitChoices, FitOptions, ResponseScale, fit_curve_keeping};
use crate::layout::{
    CurveKey, Layout, LayoutError, WellRole, explicit_pairs, resistance_pairs, reversal_pairs,
};
use crate::normalize::{Normalization, NormalizedPlate, normalize_plate};
use crate::plate::{Plate, WellId};
use crate::reads::{ChosenReads, ReadChoice, ReadError, ReferenceChoice, choose_reads};

/// Settings that change the numbers; saved with the experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisSettings {
    /// Which read to analyse.
    pub read: ReadChoice,
    /// Which reference read to subtract.
    pub reference_read: ReferenceChoice,
    /// How responses are normalized.
    pub normalization: Normalization,
    /// Vehicle wells enter the fit as dose-zero points (as drc does).
    pub vehicle_as_dose_zero: bool,
    /// Fix Top and/or Bottom.
    pub fix_top: Option<f64>,
    /// Fix Bottom.
    pub fix_bottom: Option<f64>,
    /// The IC50 CI shown first.
    pub ci_method: CiMethod,
    /// Require blank wells (false = the explicit "no blank" choice).
    pub require_blanks: bool,
    /// Explicit comparisons `(reference label, test label)`; when empty, resistant lines
    /// (`X/…`, `X-R`) are compared against their parental line `X`.
    pub comparisons: Vec<(String, String)>,
    /// Spreadsheet cells that hold a formula (marked derived on import) are left out of means
    /// and fits; `true` uses their cached values as readings (the user's explicit choice,
    /// noted in the warnings). Not written when false, so older files stay byte-identical.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub include_formula_cells: bool,
    /// Robust fit and ROUT outlier detection (off by default; issue 13).
    pub choices: FitChoices,
    /// ROUT flags the user overruled: these points stay in the fit on every refit (and
    /// stay listed, marked kept). Not written when empty, so older files stay identical.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept_outliers: Vec<KeptOutlier>,
}

/// A point ROUT flagged that the user kept: the curve's label and the well.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeptOutlier {
    /// The curve's label (`K562 · flumatinib`).
    pub curve: String,
    /// The well.
    pub well: WellId,
}

impl AnalysisSettings {
    /// Whether the user kept the point of `well` on curve `curve` against ROUT's flag.
    #[must_use]
    pub fn is_kept(&self, curve: &str, well: WellId) -> bool {
        self.kept_outliers
            .iter()
            .any(|k| k.curve == curve && k.well == well)
    }

    /// Keeps (overrules ROUT's flag) or lets the flag stand for one point.
    pub fn set_kept(&mut self, curve: &str, well: WellId, kept: bool) {
        self.kept_outliers
            .retain(|k| !(k.curve == curve && k.well == well));
        if kept {
            self.kept_outliers.push(KeptOutlier {
                curve: curve.to_string(),
                well,
            });
            self.kept_outliers.sort();
        }
    }
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        Self {
            read: ReadChoice::Auto,
            reference_read: ReferenceChoice::Auto,
            normalization: Normalization::PercentOfVehicle,
            vehicle_as_dose_zero: true,
            fix_top: None,
            fix_bottom: None,
            ci_method: CiMethod::WaldLog,
            require_blanks: true,
            comparisons: Vec::new(),
            include_formula_cells: false,
            choices: FitChoices::default(),
            kept_outliers: Vec::new(),
        }
    }
}

impl AnalysisSettings {
    /// The fit options these settings imply.
    #[must_use]
    pub fn fit_options(&self) -> FitOptions {
        FitOptions {
            fix_top: self.fix_top,
            fix_bottom: self.fix_bottom,
            scale: if self.normalization == Normalization::None {
                ResponseScale::Raw
            } else {
                ResponseScale::Percent
            },
            profile_ci: true,
        }
    }
}

/// One plate of an experiment with its layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlateInput {
    /// The file it came from (name only, as shown to the user).
    pub file: String,
    /// SHA-256 of the file, when known (for reports).
    #[serde(default)]
    pub sha256: Option<String>,
    /// The reader format id.
    #[serde(default)]
    pub format: String,
    /// The measured plate.
    pub plate: Plate,
    /// What the wells hold.
    pub layout: Layout,
    /// Wells the user excluded, with the reason.
    #[serde(default)]
    pub excluded: BTreeMap<WellId, String>,
}

impl PlateInput {
    /// Excludes the wells that this plate's QC suggests excluding
    /// ([`crate::normalize::PlateQc::suggested_exclusions`]), each with the QC's reason;
    /// returns how many were newly excluded. Analyse again to see the effect.
    pub fn exclude_suggested(&mut self, qc: &crate::normalize::PlateQc) -> usize {
        self.exclude_as_suggested(&qc.suggested_exclusions)
    }

    /// Excludes `wells` (a QC's suggestion: well → reason), keeping exclusions the user
    /// already made; returns how many were newly excluded.
    pub fn exclude_as_suggested(&mut self, wells: &BTreeMap<WellId, String>) -> usize {
        let mut added = 0;
        for (well, why) in wells {
            if !self.excluded.contains_key(well) {
                self.excluded
                    .insert(*well, format!("suggested by QC: {why}"));
                added += 1;
            }
        }
        added
    }
}

/// An experiment: one or more plates with their layouts, and the settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// Name shown in tables (`Flumatinib rep 1`).
    pub name: String,
    /// The plates.
    pub plates: Vec<PlateInput>,
    /// Settings that change numbers.
    #[serde(default)]
    pub settings: AnalysisSettings,
}

/// An experiment that cannot be analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// No plates.
    #[error("the experiment has no plates")]
    NoPlates,
    /// The layout is unusable.
    #[error("{file}: layout: {source}")]
    Layout {
        /// The plate file.
        file: String,
        /// What is wrong.
        source: LayoutError,
    },
    /// The reads cannot be chosen.
    #[error("{file}: {source}")]
    Read {
        /// The plate file.
        file: String,
        /// What is wrong.
        source: ReadError,
    },
}

/// One analysed plate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlateAnalysis {
    /// The plate file.
    pub file: String,
    /// Plate name.
    pub name: String,
    /// The reads used.
    pub reads: ChosenReads,
    /// Label of the read analysed.
    pub read_label: String,
    /// Label of the reference read subtracted.
    pub reference_label: Option<String>,
    /// Normalized wells and QC.
    pub normalized: NormalizedPlate,
}

/// One fitted curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveResult {
    /// Line, drug, condition.
    pub key: CurveKey,
    /// The points (every replicate well, vehicle wells as dose-zero points).
    pub dose_response: DoseResponse,
    /// The fit.
    pub fit: Fit,
    /// Why the curve could not be normalized, if so.
    pub problem: Option<String>,
}

impl CurveResult {
    /// The problem that left this curve without any point (its plate failed QC, it has no
    /// vehicle well…), if so: then the curve was not analysed, and its fit's
    /// "insufficient data" is not the reason to show.
    #[must_use]
    pub fn not_analysed(&self) -> Option<&str> {
        self.problem.as_deref().filter(|_| self.fit.n == 0)
    }

    /// The curve's status in words for a table: "not analysed" when its plate left it
    /// without points, else the fit's status (`IC50 above range`, `converged`…).
    #[must_use]
    pub fn status_words(&self) -> &'static str {
        if self.not_analysed().is_some() {
            "not analysed"
        } else {
            self.fit.status.words()
        }
    }

    /// Why the curve has the status it has, in one sentence: the plate's problem when it
    /// was not analysed, else the fit's first reason or its status's explanation.
    #[must_use]
    pub fn status_explained(&self) -> &str {
        match self.not_analysed() {
            Some(problem) => problem,
            None => self
                .fit
                .verdict
                .reasons
                .first()
                .map_or(self.fit.status.explain(), String::as_str),
        }
    }
}

/// The result of analysing an experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Experiment name.
    pub experiment: String,
    /// Per plate.
    pub plates: Vec<PlateAnalysis>,
    /// Per curve, sorted by key.
    pub curves: Vec<CurveResult>,
    /// Resistant vs parental comparisons.
    pub comparisons: Vec<Comparison>,
    /// Concentration unit of the layout(s).
    pub unit: crate::layout::ConcentrationUnit,
    /// Things the user should know.
    pub warnings: Vec<String>,
    /// The settings used.
    pub settings: AnalysisSettings,
    /// Growth-rate inhibition (GR) metrics, when the plate set has a time-zero read
    /// (`t0` wells or a time-zero plate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth: Option<crate::growth::GrowthAnalysis>,
}

impl Analysis {
    /// The curve with this label.
    #[must_use]
    pub fn curve(&self, label: &str) -> Option<&CurveResult> {
        self.curves.iter().find(|c| c.dose_response.label == label)
    }
}

/// Analyses an experiment.
///
/// # Errors
/// [`AnalysisError`] when there is no plate, a layout is unusable or no read can be chosen;
/// fits that cannot be trusted are not errors but flagged in their [`Fit::status`].
pub fn analyze(experiment: &Experiment) -> Result<Analysis, AnalysisError> {
    let settings = &experiment.settings;
    if experiment.plates.is_empty() {
        return Err(AnalysisError::NoPlates);
    }
    let mut plates = Vec::new();
    let mut warnings = Vec::new();
    let mut points: BTreeMap<CurveKey, Vec<DosePoint>> = BTreeMap::new();
    let mut problems: BTreeMap<CurveKey, String> = BTreeMap::new();
    let unit = experiment.plates[0].layout.unit;
    for input in &experiment.plates {
        let layout_error = |source| AnalysisError::Layout {
            file: input.file.clone(),
            source,
        };
        if input.layout.shape != input.plate.shape {
            return Err(layout_error(LayoutError::ShapeMismatch {
                layout: input.layout.shape,
                plate: input.plate.shape,
            }));
        }
        // A time-zero plate (t0 wells, no treated well) has no curve of its own: it only
        // needs its blanks.
        let time_zero_plate = crate::growth::is_time_zero_layout(&input.layout);
        if time_zero_plate {
            if settings.require_blanks && input.layout.wells_with_role(WellRole::Blank).is_empty() {
                return Err(layout_error(LayoutError::Curve {
                    curve: "(time-zero plate)".into(),
                    message: "no blank wells: mark the medium-only wells as blank, or choose \"no blank\"".into(),
                }));
            }
        } else {
            input
                .layout
                .validate(settings.require_blanks)
                .map_err(layout_error)?;
        }
        if input.layout.unit != unit {
            warnings.push(format!(
                "{}: layout unit {} differs from the first plate's {}; concentrations are used as written",
                input.file, input.layout.unit, unit
            ));
        }
        let chosen = choose_reads(&input.plate, &settings.read, &settings.reference_read).map_err(
            |source| AnalysisError::Read {
                file: input.file.clone(),
                source,
            },
        )?;
        let excluded: BTreeSet<WellId> = input.excluded.keys().copied().collect();
        // Formula cells re-included by the user: the numbers see a plate without the
        // derived marks; the warning keeps the choice visible.
        let with_formulas;
        let plate = if settings.include_formula_cells
            && input.plate.reads.iter().any(|r| !r.derived.is_empty())
        {
            let mut plate = input.plate.clone();
            let mut wells: BTreeSet<WellId> = BTreeSet::new();
            for read in &mut plate.reads {
                wells.extend(read.derived.keys().copied());
                read.derived.clear();
            }
            let named: Vec<WellId> = wells.into_iter().collect();
            warnings.push(format!(
                "{}: spreadsheet formula cells used as readings (include_formula_cells): {}",
                input.file,
                crate::warnings::name_a_few(&named)
            ));
            with_formulas = plate;
            &with_formulas
        } else {
            &input.plate
        };
        let normalized = normalize_plate(
            plate,
            &input.layout,
            chosen.read,
            chosen.reference,
            &excluded,
            settings.normalization,
        );
        for (key, problem) in &normalized.curve_problems {
            problems.insert(key.clone(), format!("{}: {problem}", input.file));
        }
        let curve_keys: Vec<CurveKey> = input.layout.curves().into_keys().collect();
        let mut vehicle_targets: BTreeMap<WellId, Vec<CurveKey>> = BTreeMap::new();
        for key in &curve_keys {
            for well in input.layout.vehicle_wells_for(key) {
                vehicle_targets.entry(well).or_default().push(key.clone());
            }
        }
        for values in &normalized.wells {
            let info = input.layout.well(values.well);
            let key = Layout::curve_key(info);
            let concentration = match values.role {
                WellRole::Treated => info.concentration,
                WellRole::Vehicle if settings.vehicle_as_dose_zero => Some(0.0),
                _ => None,
            };
            let Some(concentration) = concentration else {
                continue;
            };
            if let Some(flag) = &values.flag {
                warnings.push(format!(
                    "{}: well {} has no value ({flag}); left out of the fit",
                    input.file, values.well
                ));
                continue;
            }
            let Some(response) = values.viability else {
                continue;
            };
            let targets: Vec<CurveKey> = if values.role == WellRole::Vehicle {
                // A vehicle well is the dose-zero point of every curve it is the reference of.
                vehicle_targets
                    .get(&values.well)
                    .cloned()
                    .unwrap_or_default()
            } else {
                vec![key]
            };
            for target in targets {
                points.entry(target).or_default().push(DosePoint {
                    concentration,
                    response,
                    well: Some(values.well),
                    excluded: values.excluded,
                });
            }
        }
        let read_label = input
            .plate
            .reads
            .get(chosen.read)
            .map(|r| r.label.clone())
            .unwrap_or_default();
        let reference_label = chosen
            .reference
            .and_then(|r| input.plate.reads.get(r))
            .map(|r| r.label.clone());
        plates.push(PlateAnalysis {
            file: input.file.clone(),
            name: input.plate.name.clone(),
            reads: chosen,
            read_label,
            reference_label,
            normalized,
        });
    }
    let options = settings.fit_options();
    // All curve keys of all layouts, so a curve with no usable point still appears.
    let mut keys: BTreeSet<CurveKey> = BTreeSet::new();
    for input in &experiment.plates {
        keys.extend(input.layout.curves().into_keys());
    }
    let mut curves = Vec::new();
    for key in &keys {
        let mut curve_points = points.remove(key).unwrap_or_default();
        curve_points.sort_by(|a, b| {
            a.concentration
                .total_cmp(&b.concentration)
                .then(a.well.cmp(&b.well))
        });
        let dose_response = DoseResponse {
            label: key.label(),
            points: curve_points,
        };
        let kept: Vec<usize> = dose_response
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.well
                    .is_some_and(|w| settings.is_kept(&dose_response.label, w))
            })
            .map(|(i, _)| i)
            .collect();
        let fit = match fit_curve_keeping(&dose_response, &options, &settings.choices, &kept) {
            Ok(fit) => fit,
            Err(e) => {
                // A curve left without points by its plate's QC says why, not just "no data".
                match problems.get(key) {
                    Some(problem) => warnings.push(format!("curve {}: {problem}", key.label())),
                    None => warnings.push(format!("curve {}: {e}", key.label())),
                }
                continue;
            }
        };
        curves.push(CurveResult {
            key: key.clone(),
            dose_response,
            fit,
            problem: problems.get(key).cloned(),
        });
    }
    let layouts: Vec<&Layout> = experiment.plates.iter().map(|p| &p.layout).collect();
    // The joint fits of the comparisons use each model's constraints (the normalized 4PL's
    // fixed plateaus; the 3PL's slope comes from each fit).
    let comparison_options = settings.choices.model.primary().options(&options);
    let comparisons = comparisons_for(
        &layouts,
        &curves,
        settings,
        &comparison_options,
        &mut warnings,
    );
    let plate_pairs: Vec<(&PlateInput, &PlateAnalysis)> =
        experiment.plates.iter().zip(&plates).collect();
    let growth = crate::growth::analyze_growth(&plate_pairs, &curves, &comparisons, &mut warnings);
    Ok(Analysis {
        experiment: experiment.name.clone(),
        plates,
        curves,
        comparisons,
        unit,
        warnings: crate::warnings::fold(warnings),
        settings: settings.clone(),
        growth,
    })
}

/// The comparisons made when the settings name none: the layout's `compare_to` pairs if it
/// has any, else resistant lines against their parental line and, for reversal, drug +
/// modulator against drug alone (as `(reference = drug + modulator, test = drug alone)`, so
/// that the ratio IC50(test)/IC50(reference) is the reversal fold RF).
fn default_pairs(
    layouts: &[&Layout],
    keys: &BTreeSet<CurveKey>,
    warnings: &mut Vec<String>,
) -> Vec<(CurveKey, CurveKey)> {
    let mut explicit = BTreeSet::new();
    for layout in layouts {
        let (pairs, problems) = explicit_pairs(layout, keys);
        explicit.extend(pairs);
        warnings.extend(problems);
    }
    if !explicit.is_empty() {
        return explicit.into_iter().collect();
    }
    let mut pairs = resistance_pairs(keys);
    pairs.extend(
        reversal_pairs(keys)
            .into_iter()
            .map(|(alone, with_modulator)| (with_modulator, alone)),
    );
    pairs
}

/// The curve pairs a named comparison means: two curve labels, or two line names (then
/// every drug and condition the two lines share).
fn named_pairs(curves: &[CurveResult], reference: &str, test: &str) -> Vec<(usize, usize)> {
    let find = |label: &str| curves.iter().position(|c| c.dose_response.label == label);
    if let (Some(r), Some(t)) = (find(reference), find(test)) {
        return vec![(r, t)];
    }
    let mut pairs = Vec::new();
    for (t, test_curve) in curves
        .iter()
        .enumerate()
        .filter(|(_, c)| c.key.line == test)
    {
        if let Some(r) = curves.iter().position(|c| {
            c.key.line == reference
                && c.key.drug == test_curve.key.drug
                && c.key.condition == test_curve.key.condition
        }) {
            pairs.push((r, t));
        }
    }
    pairs
}

fn comparisons_for(
    layouts: &[&Layout],
    curves: &[CurveResult],
    settings: &AnalysisSettings,
    options: &FitOptions,
    warnings: &mut Vec<String>,
) -> Vec<Comparison> {
    let pairs: Vec<(usize, usize)> = if settings.comparisons.is_empty() {
        let keys: BTreeSet<CurveKey> = curves.iter().map(|c| c.key.clone()).collect();
        default_pairs(layouts, &keys, warnings)
            .into_iter()
            .filter_map(|(reference, test)| {
                let r = curves.iter().position(|c| c.key == reference)?;
                let t = curves.iter().position(|c| c.key == test)?;
                Some((r, t))
            })
            .collect()
    } else {
        settings
            .comparisons
            .iter()
            .flat_map(|(reference, test)| {
                let pairs = named_pairs(curves, reference, test);
                if pairs.is_empty() {
                    warnings.push(format!("comparison {test} vs {reference}: no such curve"));
                }
                pairs
            })
            .collect()
    };
    pairs
        .into_iter()
        .map(|(r, t)| {
            // The points each curve was fitted to (without the outliers ROUT removed).
            let reference = curves[r].fit.fitted_dose_response(&curves[r].dose_response);
            let test = curves[t].fit.fitted_dose_response(&curves[t].dose_response);
            compare(
                (&reference, &curves[r].fit),
                (&test, &curves[t].fit),
                options,
            )
        })
        .collect()
}
