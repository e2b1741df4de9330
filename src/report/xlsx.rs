//! The Excel workbook (.xlsx): raw absorbance, blank-corrected absorbance and % viability as
//! plate-shaped grids, % viability in long form (one row per well), fit results,
//! comparisons, plate QC, the across-experiment summary and the settings. Numbers are stored
//! as numbers (full precision), missing values as empty cells.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::analysis::{Analysis, Experiment, PlateAnalysis, PlateInput};
use crate::normalize::WellValues;
use crate::plate::row_label;
use crate::report::text::{ic50_ci, verdict_word};
use crate::report::{ReportDate, ReportError, absolute_ic50_ci, platefit_version};
use crate::summary::Summary;

/// Names of the sheets, in workbook order.
pub const SHEETS: [&str; 10] = [
    "Raw absorbance",
    "Corrected absorbance",
    "Viability",
    "Viability (long)",
    "Fit results",
    "Comparisons",
    "QC",
    "Summary",
    "Settings",
    "Outliers",
];

/// The column headers of the "Fit results" sheet.
pub const FIT_COLUMNS: [&str; 44] = [
    "experiment",
    "curve",
    "line",
    "drug",
    "condition",
    "status",
    "n",
    "unit",
    "ic50",
    "ic50_ci95_low",
    "ic50_ci95_high",
    "ci_method",
    "ic50_ci95_wald_low",
    "ic50_ci95_wald_high",
    "ic50_ci95_delta_low",
    "ic50_ci95_delta_high",
    "ic50_ci95_profile_low",
    "ic50_ci95_profile_high",
    "absolute_ic50",
    "absolute_ic50_ci95_low",
    "absolute_ic50_ci95_high",
    "log_ic50",
    "se_log_ic50",
    "hill_slope",
    "se_hill_slope",
    "top",
    "se_top",
    "bottom",
    "se_bottom",
    "df",
    "r_squared",
    "ic50_bound",
    "absolute_ic50_bound",
    "verdict",
    "model",
    "fit_method",
    "model_compared_with",
    "model_f_p_value",
    "model_delta_aicc",
    "model_choice_reason",
    "rout_outliers_removed",
    "asymmetry_s",
    "asymmetry_s_se",
    "weighting",
];

/// The column headers of the "Outliers" sheet: every point ROUT flagged.
pub const OUTLIER_COLUMNS: [&str; 11] = [
    "experiment",
    "curve",
    "well",
    "conc",
    "unit",
    "response",
    "robust_residual",
    "p_value",
    "q_pct",
    "state",
    "note",
];

/// The column headers of the "Comparisons" sheet.
pub const COMPARISON_COLUMNS: [&str; 19] = [
    "experiment",
    "test",
    "reference",
    "status",
    "resistance_index",
    "ri_ci95_low",
    "ri_ci95_high",
    "ri_ci95_delta_low",
    "ri_ci95_delta_high",
    "ri_ci95_profile_low",
    "ri_ci95_profile_high",
    "ri_bound",
    "log10_ri",
    "se_log10_ri",
    "f",
    "df_num",
    "df_den",
    "p_value",
    "verdict",
];

/// A cell value.
enum Cell {
    Text(String),
    Number(Option<f64>),
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn number(value: Option<f64>) -> Cell {
    Cell::Number(value.filter(|v| v.is_finite()))
}

fn count(value: usize) -> Cell {
    Cell::Number(Some(value as f64))
}

fn write_row(sheet: &mut Worksheet, row: u32, cells: &[Cell]) -> Result<(), XlsxError> {
    for (col, cell) in cells.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        match cell {
            Cell::Text(s) if !s.is_empty() => {
                sheet.write_string(row, col, s)?;
            }
            Cell::Number(Some(v)) => {
                sheet.write_number(row, col, *v)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn write_header(
    sheet: &mut Worksheet,
    row: u32,
    headers: &[&str],
    bold: &Format,
) -> Result<(), XlsxError> {
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(row, u16::try_from(col).unwrap_or(u16::MAX), *h, bold)?;
    }
    Ok(())
}

/// Writes plate-shaped blocks: a title row, a header row of column numbers, one row per
/// plate row; a blank row between blocks.
fn plate_blocks(
    sheet: &mut Worksheet,
    items: &[(Experiment, Analysis)],
    bold: &Format,
    title: &str,
    value: &dyn Fn(&PlateInput, &PlateAnalysis, &WellValues) -> Option<f64>,
) -> Result<(), XlsxError> {
    let mut row = 0u32;
    for (experiment, analysis) in items {
        for (input, plate) in experiment.plates.iter().zip(&analysis.plates) {
            sheet.write_string_with_format(
                row,
                0,
                format!(
                    "{} — {} — {} — {title}",
                    analysis.experiment, input.file, input.plate.name
                ),
                bold,
            )?;
            row += 1;
            let shape = input.plate.shape;
            for c in 0..shape.cols {
                sheet.write_number_with_format(
                    row,
                    u16::try_from(c + 1).unwrap_or(u16::MAX),
                    (c + 1) as f64,
                    bold,
                )?;
            }
            row += 1;
            for r in 0..shape.rows {
                sheet.write_string_with_format(row, 0, row_label(r), bold)?;
                for values in plate
                    .normalized
                    .wells
                    .iter()
                    .filter(|w| w.well.row_idx() == r)
                {
                    if let Some(v) = value(input, plate, values).filter(|v| v.is_finite()) {
                        sheet.write_number(
                            row,
                            u16::try_from(values.well.col_idx() + 1).unwrap_or(u16::MAX),
                            v,
                        )?;
                    }
                }
                row += 1;
            }
            row += 1;
        }
    }
    Ok(())
}

fn raw_read(input: &PlateInput, read: Option<usize>, values: &WellValues) -> Option<f64> {
    input.plate.value(read?, values.well)
}

fn long_sheet(
    sheet: &mut Worksheet,
    items: &[(Experiment, Analysis)],
    bold: &Format,
) -> Result<(), XlsxError> {
    let headers = [
        "experiment",
        "file",
        "plate",
        "well",
        "row",
        "column",
        "role",
        "line",
        "drug",
        "condition",
        "concentration",
        "unit",
        "absorbance_read",
        "absorbance_reference",
        "absorbance",
        "corrected",
        "viability",
        "excluded",
        "exclusion_reason",
        "reader_flag",
    ];
    write_header(sheet, 0, &headers, bold)?;
    let mut row = 1u32;
    for (experiment, analysis) in items {
        for (input, plate) in experiment.plates.iter().zip(&analysis.plates) {
            for values in &plate.normalized.wells {
                let info = input.layout.well(values.well);
                let cells = [
                    text(analysis.experiment.clone()),
                    text(input.file.clone()),
                    text(input.plate.name.clone()),
                    text(values.well.to_string()),
                    text(row_label(values.well.row_idx())),
                    count(values.well.col_idx() + 1),
                    text(values.role.as_str()),
                    text(info.line.clone().unwrap_or_default()),
                    text(info.drug.clone().unwrap_or_default()),
                    text(info.condition.clone().unwrap_or_default()),
                    number(info.concentration),
                    text(input.layout.unit.suffix()),
                    number(raw_read(input, Some(plate.reads.read), values)),
                    number(raw_read(input, plate.reads.reference, values)),
                    number(values.absorbance),
                    number(values.corrected),
                    number(values.viability),
                    text(if values.excluded { "yes" } else { "" }),
                    text(
                        input
                            .excluded
                            .get(&values.well)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    text(values.flag.clone().unwrap_or_default()),
                ];
                write_row(sheet, row, &cells)?;
                row += 1;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn fits_sheet(
    sheet: &mut Worksheet,
    items: &[(Experiment, Analysis)],
    bold: &Format,
) -> Result<(), XlsxError> {
    write_header(sheet, 0, &FIT_COLUMNS, bold)?;
    let mut row = 1u32;
    for (_, analysis) in items {
        let method = analysis.settings.ci_method;
        for curve in &analysis.curves {
            let fit = &curve.fit;
            let reported = fit.reported_ic50().is_some();
            let chosen = ic50_ci(fit, method);
            let wald = fit.ic50_ci95_wald_log.filter(|_| reported);
            let delta = fit.ic50_ci95_delta.filter(|_| reported);
            let profile = fit.ic50_ci95_profile.filter(|_| reported);
            let absolute = absolute_ic50_ci(fit);
            let known = fit.params.log10_ic50.is_finite();
            let param = |v: f64| number(known.then_some(v));
            let cells = [
                text(analysis.experiment.clone()),
                text(curve.dose_response.label.clone()),
                text(curve.key.line.clone()),
                text(curve.key.drug.clone()),
                text(curve.key.condition.clone()),
                text(fit.status.as_str()),
                count(fit.n),
                text(analysis.unit.suffix()),
                number(fit.reported_ic50()),
                number(chosen.map(|c| c[0])),
                number(chosen.map(|c| c[1])),
                text(method.describe()),
                number(wald.map(|c| c[0])),
                number(wald.map(|c| c[1])),
                number(delta.map(|c| c[0])),
                number(delta.map(|c| c[1])),
                number(profile.and_then(|c| c[0])),
                number(profile.and_then(|c| c[1])),
                number(fit.absolute_ic50()),
                number(absolute.map(|c| c[0])),
                number(absolute.map(|c| c[1])),
                param(fit.params.log10_ic50),
                number(fit.se[crate::fit::index::LOG_IC50]),
                param(fit.params.hill_slope),
                number(fit.se[crate::fit::index::HILL]),
                param(fit.params.top),
                number(fit.se[crate::fit::index::TOP]),
                param(fit.params.bottom),
                number(fit.se[crate::fit::index::BOTTOM]),
                count(fit.df),
                number(fit.r_squared),
                text(fit.ic50_bound().unwrap_or_default()),
                text(fit.verdict.absolute.bound_text().unwrap_or_default()),
                text(fit.verdict.reasons.join(" ")),
                text(fit.model.as_str()),
                text(fit.method.as_str()),
                text(fit.model_comparison.as_ref().map_or(String::new(), |c| {
                    let other = if c.chosen == Some(c.simpler) {
                        c.complex
                    } else {
                        c.simpler
                    };
                    other.as_str().to_string()
                })),
                number(fit.model_comparison.as_ref().and_then(|c| c.p_value)),
                number(fit.model_comparison.as_ref().and_then(|c| c.delta_aicc)),
                text(
                    fit.model_comparison
                        .as_ref()
                        .map_or(String::new(), |c| c.reason.clone()),
                ),
                count(
                    fit.outliers
                        .as_ref()
                        .map_or(0, |r| r.points.iter().filter(|p| r.is_removed(p)).count()),
                ),
                number(fit.asymmetry.as_ref().map(|a| a.s).filter(|_| known)),
                number(fit.asymmetry.as_ref().and_then(|a| a.se)),
                text(fit.weighting.as_str()),
            ];
            write_row(sheet, row, &cells)?;
            row += 1;
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    Ok(())
}

fn comparisons_sheet(
    sheet: &mut Worksheet,
    items: &[(Experiment, Analysis)],
    bold: &Format,
) -> Result<(), XlsxError> {
    write_header(sheet, 0, &COMPARISON_COLUMNS, bold)?;
    let mut row = 1u32;
    for (_, analysis) in items {
        for c in &analysis.comparisons {
            let cells = [
                text(analysis.experiment.clone()),
                text(c.test.clone()),
                text(c.reference.clone()),
                text(c.status.clone()),
                number(c.ratio),
                number(c.ratio_ci95.map(|v| v[0])),
                number(c.ratio_ci95.map(|v| v[1])),
                number(c.ratio_ci95_delta.map(|v| v[0])),
                number(c.ratio_ci95_delta.map(|v| v[1])),
                // An open lower limit is 0; an open upper limit is left empty, as an
                // unbounded Wald limit is.
                number(c.ratio_ci95_profile.map(|v| v[0].unwrap_or(0.0))),
                number(c.ratio_ci95_profile.and_then(|v| v[1])),
                text(c.ratio_bound.clone().unwrap_or_default()),
                number(c.log10_ratio),
                number(c.log10_ratio_se),
                number(c.f),
                number(c.df.map(|d| d[0] as f64)),
                number(c.df.map(|d| d[1] as f64)),
                number(c.p_value),
                text(c.verdict.clone()),
            ];
            write_row(sheet, row, &cells)?;
            row += 1;
        }
    }
    Ok(())
}

fn qc_sheet(
    sheet: &mut Worksheet,
    items: &[(Experiment, Analysis)],
    bold: &Format,
) -> Result<(), XlsxError> {
    let headers = [
        "experiment",
        "file",
        "plate",
        "verdict",
        "z_prime",
        "z_prime_negative",
        "vehicle_cv_pct",
        "blank_cv_pct",
        "signal_to_blank",
        "blank_mean",
        "vehicle_mean",
        "edge_effect_pct",
        "saturated_wells",
        "flagged_wells",
        "read",
        "reference_read",
        "warnings",
    ];
    write_header(sheet, 0, &headers, bold)?;
    let mut row = 1u32;
    for (_, analysis) in items {
        for plate in &analysis.plates {
            let qc = &plate.normalized.qc;
            let cells = [
                text(analysis.experiment.clone()),
                text(plate.file.clone()),
                text(plate.name.clone()),
                text(verdict_word(qc.verdict)),
                number(qc.z_prime),
                text(qc.z_prime_negative.clone()),
                number(qc.vehicle_cv_pct),
                number(qc.blank_cv_pct),
                number(qc.signal_to_blank),
                number(qc.blank_mean),
                number(qc.vehicle_mean),
                number(qc.edge_effect_pct),
                text(
                    qc.saturated_wells
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                text(
                    qc.flagged_wells
                        .iter()
                        .map(|(w, t)| format!("{w}={t}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                text(plate.read_label.clone()),
                text(plate.reference_label.clone().unwrap_or_default()),
                text(qc.warnings.join("; ")),
            ];
            write_row(sheet, row, &cells)?;
            row += 1;
        }
    }
    Ok(())
}

fn summary_sheet(
    sheet: &mut Worksheet,
    items: &[(Experiment, Analysis)],
    bold: &Format,
) -> Result<(), XlsxError> {
    let analyses: Vec<Analysis> = items.iter().map(|(_, a)| a.clone()).collect();
    let summary = Summary::of(&analyses);
    let headers = [
        "quantity",
        "label",
        "n",
        "geometric_mean",
        "geometric_sd",
        "ci95_low",
        "ci95_high",
        "experiments",
    ];
    write_header(sheet, 0, &headers, bold)?;
    let mut row = 1u32;
    let groups = [
        ("ic50", &summary.ic50),
        ("resistance_index", &summary.resistance_index),
    ];
    for (quantity, map) in groups {
        for (label, s) in map {
            let cells = [
                text(quantity),
                text(label.clone()),
                count(s.n),
                number(Some(s.geometric_mean)),
                number(s.geometric_sd),
                number(s.ci95.map(|c| c[0])),
                number(s.ci95.map(|c| c[1])),
                text(
                    s.values
                        .iter()
                        .map(|(e, _)| e.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            ];
            write_row(sheet, row, &cells)?;
            row += 1;
        }
    }
    Ok(())
}

fn outliers_sheet(
    sheet: &mut Worksheet,
    items: &[(Experiment, Analysis)],
    bold: &Format,
) -> Result<(), XlsxError> {
    write_header(sheet, 0, &OUTLIER_COLUMNS, bold)?;
    let mut row = 1u32;
    for (_, analysis) in items {
        for curve in &analysis.curves {
            let Some(report) = &curve.fit.outliers else {
                continue;
            };
            for point in &report.points {
                let state = if point.kept {
                    "kept by the user (flag overruled)"
                } else if report.is_removed(point) {
                    "removed"
                } else {
                    "flagged, not removed (more than a quarter)"
                };
                let cells = [
                    text(analysis.experiment.clone()),
                    text(curve.dose_response.label.clone()),
                    text(point.well.map_or_else(String::new, |w| w.to_string())),
                    number(Some(point.concentration)),
                    text(analysis.unit.suffix()),
                    number(Some(point.response)),
                    number(Some(point.residual)),
                    number(Some(point.p_value)),
                    number(Some(report.q * 100.0)),
                    text(state),
                    text(report.sentence(&curve.dose_response.label)),
                ];
                write_row(sheet, row, &cells)?;
                row += 1;
            }
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    Ok(())
}

fn settings_sheet(
    sheet: &mut Worksheet,
    items: &[(Experiment, Analysis)],
    date: ReportDate,
    bold: &Format,
) -> Result<(), XlsxError> {
    write_header(sheet, 0, &["experiment", "setting", "value"], bold)?;
    let mut rows: Vec<[String; 3]> = vec![
        [String::new(), "software".into(), platefit_version()],
        [String::new(), "report date".into(), date.to_string()],
    ];
    for (experiment, analysis) in items {
        let s = &analysis.settings;
        let name = analysis.experiment.clone();
        let fixed = |v: Option<f64>| v.map_or("free".to_string(), |v| format!("fixed at {v}"));
        rows.extend([
            [
                name.clone(),
                "normalization".into(),
                s.normalization.describe().into(),
            ],
            [
                name.clone(),
                "vehicle wells as dose-zero points".into(),
                if s.vehicle_as_dose_zero { "yes" } else { "no" }.into(),
            ],
            [name.clone(), "top".into(), fixed(s.fix_top)],
            [name.clone(), "bottom".into(), fixed(s.fix_bottom)],
            [
                name.clone(),
                "IC50 CI shown".into(),
                s.ci_method.describe().into(),
            ],
            [
                name.clone(),
                "blanks required".into(),
                if s.require_blanks { "yes" } else { "no" }.into(),
            ],
            [
                name.clone(),
                "concentration unit".into(),
                analysis.unit.symbol().into(),
            ],
            [
                name.clone(),
                "model".into(),
                crate::report::text::model_setting_text(s.choices.model),
            ],
            [
                name.clone(),
                "fit method".into(),
                crate::report::text::fit_method_setting_text(s),
            ],
            [
                name.clone(),
                "weighting".into(),
                crate::report::text::weighting_setting_text(s.choices.weighting),
            ],
        ]);
        for (reference, test) in &s.comparisons {
            rows.push([
                name.clone(),
                "comparison".into(),
                format!("{test} vs {reference}"),
            ]);
        }
        for (input, plate) in experiment.plates.iter().zip(&analysis.plates) {
            rows.push([
                name.clone(),
                format!("{}: SHA-256", input.file),
                input.sha256.clone().unwrap_or_default(),
            ]);
            rows.push([
                name.clone(),
                format!("{}: format", input.file),
                input.format.clone(),
            ]);
            rows.push([
                name.clone(),
                format!("{}: reads", input.file),
                plate.reads.note.clone(),
            ]);
            for (key, value) in &input.plate.metadata {
                rows.push([
                    name.clone(),
                    format!("{}: {key}", input.file),
                    value.clone(),
                ]);
            }
        }
    }
    for (k, r) in rows.iter().enumerate() {
        write_row(
            sheet,
            u32::try_from(k + 1).unwrap_or(u32::MAX),
            &[text(r[0].clone()), text(r[1].clone()), text(r[2].clone())],
        )?;
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 36)?;
    sheet.set_column_width(2, 80)?;
    Ok(())
}

/// The workbook of one or more analysed experiments, as .xlsx bytes. `date` is stored as the
/// document's creation date (so the same input gives the same bytes).
///
/// # Errors
/// [`ReportError::Empty`] for no experiments, [`ReportError::Xlsx`] when the workbook cannot
/// be assembled.
pub fn workbook(
    items: &[(Experiment, Analysis)],
    date: ReportDate,
) -> Result<Vec<u8>, ReportError> {
    if items.is_empty() {
        return Err(ReportError::Empty("no experiments".into()));
    }
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(date.year, date.month, date.day)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(
                items
                    .iter()
                    .map(|(_, a)| a.experiment.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
            .set_author(platefit_version())
            .set_comment(format!("Written by {}", platefit_version()))
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    plate_blocks(
        book.add_worksheet().set_name(SHEETS[0])?,
        items,
        &bold,
        "raw absorbance of the analysed read",
        &|input, plate, values| raw_read(input, Some(plate.reads.read), values),
    )?;
    plate_blocks(
        book.add_worksheet().set_name(SHEETS[1])?,
        items,
        &bold,
        "absorbance, blank subtracted",
        &|_, _, values| values.corrected,
    )?;
    plate_blocks(
        book.add_worksheet().set_name(SHEETS[2])?,
        items,
        &bold,
        "% viability",
        &|_, _, values| values.viability,
    )?;
    long_sheet(book.add_worksheet().set_name(SHEETS[3])?, items, &bold)?;
    fits_sheet(book.add_worksheet().set_name(SHEETS[4])?, items, &bold)?;
    comparisons_sheet(book.add_worksheet().set_name(SHEETS[5])?, items, &bold)?;
    qc_sheet(book.add_worksheet().set_name(SHEETS[6])?, items, &bold)?;
    summary_sheet(book.add_worksheet().set_name(SHEETS[7])?, items, &bold)?;
    settings_sheet(
        book.add_worksheet().set_name(SHEETS[8])?,
        items,
        date,
        &bold,
    )?;
    outliers_sheet(book.add_worksheet().set_name(SHEETS[9])?, items, &bold)?;
    // Only when a plate set had a time-zero read, so other workbooks are unchanged.
    if items.iter().any(|(_, a)| a.growth.is_some()) {
        gr_sheet(book.add_worksheet().set_name(GR_SHEET)?, items, &bold)?;
    }
    Ok(book.save_to_buffer()?)
}

/// The name of the GR metrics sheet (added after [`SHEETS`] when there is a t0 read).
pub const GR_SHEET: &str = "GR metrics";

const GR_COLUMNS: [&str; 19] = [
    "experiment",
    "curve",
    "t0_signal",
    "vehicle_signal",
    "vehicle_doublings",
    "gr50",
    "gr50_bound",
    "gec50",
    "grinf",
    "hill",
    "grmax",
    "gr_aoc",
    "gi50",
    "gi50_bound",
    "tgi",
    "tgi_bound",
    "lc50",
    "lc50_bound",
    "problem",
];

/// One row per curve with the GR metrics, then one row per comparison with the GR-based
/// and the IC50-based RI and the division-rate warning.
fn gr_sheet(
    sheet: &mut Worksheet,
    items: &[(Experiment, Analysis)],
    bold: &Format,
) -> Result<(), XlsxError> {
    use crate::fit::Estimate;
    write_header(sheet, 0, &GR_COLUMNS, bold)?;
    let mut row = 1u32;
    let bound = |e: Estimate| text(e.bound_text().unwrap_or_default());
    for (_, analysis) in items {
        let Some(growth) = &analysis.growth else {
            continue;
        };
        for c in &growth.curves {
            let m = c.metrics.as_ref();
            let est = |pick: fn(&crate::growth::GrMetrics) -> Estimate| {
                m.map_or(Estimate::Undetermined, pick)
            };
            let cells = [
                text(analysis.experiment.clone()),
                text(c.label.clone()),
                number(c.t0_signal),
                number(c.vehicle_signal),
                number(c.vehicle_doublings),
                number(est(|m| m.gr50).value()),
                bound(est(|m| m.gr50)),
                number(m.and_then(|m| m.gec50)),
                number(m.and_then(|m| m.grinf)),
                number(m.and_then(|m| m.hill)),
                number(m.and_then(|m| m.grmax)),
                number(m.and_then(|m| m.gr_aoc)),
                number(est(|m| m.gi50).value()),
                bound(est(|m| m.gi50)),
                number(est(|m| m.tgi).value()),
                bound(est(|m| m.tgi)),
                number(est(|m| m.lc50).value()),
                bound(est(|m| m.lc50)),
                text(c.problem.clone().unwrap_or_default()),
            ];
            write_row(sheet, row, &cells)?;
            row += 1;
        }
    }
    row += 1;
    write_header(
        sheet,
        row,
        &[
            "experiment",
            "test",
            "reference",
            "ic50_ri",
            "gr_ri",
            "gr_ri_basis",
            "gr_ri_bound",
            "doublings_reference",
            "doublings_test",
            "division_rate_warning",
        ],
        bold,
    )?;
    row += 1;
    for (_, analysis) in items {
        let Some(growth) = &analysis.growth else {
            continue;
        };
        for c in &growth.comparisons {
            let cells = [
                text(analysis.experiment.clone()),
                text(c.test.clone()),
                text(c.reference.clone()),
                number(c.ic50_ratio),
                number(c.ratio),
                text(c.basis),
                text(c.ratio_bound.clone().unwrap_or_default()),
                number(c.doublings[0]),
                number(c.doublings[1]),
                text(c.warning.clone().unwrap_or_default()),
            ];
            write_row(sheet, row, &cells)?;
            row += 1;
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    Ok(())
}
