//! GraphPad Prism `.pzfx` export: one XY data table per experiment, X = concentration (or
//! log10 concentration), one Y data set per curve with the replicate wells as subcolumns,
//! so a Prism user can refit or restyle the figures.
//!
//! The structure follows the files Prism itself writes (and that the R package `pzfx` reads
//! and writes): `GraphPadPrismFile` → `TableSequence` of `Ref`s, then one `Table`
//! (`TableType="XY"`, `XFormat="numbers"`, `YFormat="replicates"`, `Replicates=`) holding an
//! `XColumn` and one `YColumn` per data set, each with `Subcolumn`s of `d` cells. Excluded
//! wells are kept and marked `Excluded="1"` (Prism shows them struck out and leaves them out
//! of fits), and so are the outliers ROUT removed; the project notes say which model was
//! fitted (and why, when chosen by AICc), how, and which points ROUT flagged.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::analysis::Analysis;
use crate::report::{ReportDate, ReportError, platefit_version};

/// What the X column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XScale {
    /// The concentration as tested; vehicle wells are rows with X = 0. Prism's
    /// "[Inhibitor] vs. response — Variable slope (four parameters)" then fits the same model
    /// and data as platefit.
    #[default]
    Concentration,
    /// log10 of the concentration (Prism's "log(inhibitor) vs. response"); vehicle wells
    /// (X = 0) cannot be placed on a log axis and are left out.
    Log10,
}

/// One X row of a table: its value and, per data set, the replicate values (with their
/// excluded flags).
type Rows = BTreeMap<u64, Vec<Vec<(f64, bool)>>>;

fn number(value: f64) -> String {
    // Shortest representation that reads back to the same f64.
    let text = format!("{value}");
    if text == "-0" { "0".into() } else { text }
}

fn table_rows(analysis: &Analysis, scale: XScale) -> (Rows, usize) {
    let mut rows: Rows = BTreeMap::new();
    let n_sets = analysis.curves.len();
    for (set, curve) in analysis.curves.iter().enumerate() {
        // ROUT's removed outliers are excluded values too, so Prism fits the same points.
        let fitted = curve.fit.fitted_dose_response(&curve.dose_response);
        for point in &fitted.points {
            let c = point.concentration;
            if !c.is_finite() || c < 0.0 || !point.response.is_finite() {
                continue;
            }
            if scale == XScale::Log10 && c <= 0.0 {
                continue;
            }
            // Non-negative f64s sort like their bit patterns.
            let entry = rows
                .entry(c.to_bits())
                .or_insert_with(|| vec![Vec::new(); n_sets]);
            entry[set].push((point.response, point.excluded));
        }
    }
    let replicates = rows
        .values()
        .flat_map(|sets| sets.iter().map(Vec::len))
        .max()
        .unwrap_or(1)
        .max(1);
    (rows, replicates)
}

fn x_title(analysis: &Analysis, scale: XScale) -> String {
    let mut drugs: Vec<&str> = analysis
        .curves
        .iter()
        .map(|c| c.key.drug.as_str())
        .collect();
    drugs.sort_unstable();
    drugs.dedup();
    let name = match drugs.as_slice() {
        [drug] if !drug.is_empty() => (*drug).to_string(),
        _ => "Concentration".to_string(),
    };
    match scale {
        XScale::Concentration => format!("{name} ({})", analysis.unit.symbol()),
        XScale::Log10 => format!("log10 {name} ({})", analysis.unit.symbol()),
    }
}

fn write_table(out: &mut String, id: usize, analysis: &Analysis, scale: XScale) {
    let (rows, replicates) = table_rows(analysis, scale);
    let _ = writeln!(
        out,
        r#"<Table ID="Table{id}" XFormat="numbers" YFormat="replicates" Replicates="{replicates}" TableType="XY" EVFormat="AsteriskAfterNumber">"#
    );
    let _ = writeln!(
        out,
        "<Title>{}</Title>",
        escape(analysis.experiment.as_str())
    );
    let _ = writeln!(out, r#"<XColumn Width="100" Decimals="6" Subcolumns="1">"#);
    let _ = writeln!(
        out,
        "<Title>{}</Title>",
        escape(x_title(analysis, scale).as_str())
    );
    out.push_str("<Subcolumn>\n");
    for bits in rows.keys() {
        let c = f64::from_bits(*bits);
        let x = match scale {
            XScale::Concentration => c,
            XScale::Log10 => c.log10(),
        };
        let _ = writeln!(out, "<d>{}</d>", number(x));
    }
    out.push_str("</Subcolumn>\n</XColumn>\n");
    for (set, curve) in analysis.curves.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<YColumn Width="{}" Decimals="2" Subcolumns="{replicates}">"#,
            81 * replicates
        );
        let _ = writeln!(
            out,
            "<Title>{}</Title>",
            escape(curve.dose_response.label.as_str())
        );
        for k in 0..replicates {
            out.push_str("<Subcolumn>\n");
            for sets in rows.values() {
                match sets[set].get(k) {
                    Some((value, true)) => {
                        let _ = writeln!(out, r#"<d Excluded="1">{}</d>"#, number(*value));
                    }
                    Some((value, false)) => {
                        let _ = writeln!(out, "<d>{}</d>", number(*value));
                    }
                    None => out.push_str("<d/>\n"),
                }
            }
            out.push_str("</Subcolumn>\n");
        }
        out.push_str("</YColumn>\n");
    }
    out.push_str("</Table>\n");
}

/// The `.pzfx` document (UTF-8 XML) with one XY table per analysis.
///
/// # Errors
/// [`ReportError::Empty`] when there is no analysis or no curve to export.
pub fn document(
    analyses: &[Analysis],
    scale: XScale,
    date: ReportDate,
) -> Result<String, ReportError> {
    if analyses.iter().all(|a| a.curves.is_empty()) {
        return Err(ReportError::Empty("no curves to export to Prism".into()));
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<GraphPadPrismFile PrismXMLVersion=\"5.00\">\n<Created>\n");
    let _ = writeln!(
        out,
        r#"<OriginalVersion CreatedByProgram="platefit" CreatedByVersion="{}" Login="" DateTime="{date}T00:00:00+00:00"/>"#,
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("</Created>\n");
    out.push_str("<InfoSequence>\n<Ref ID=\"Info0\" Selected=\"1\"/>\n</InfoSequence>\n");
    out.push_str("<Info ID=\"Info0\">\n<Title>Project info 1</Title>\n<Notes>");
    let note = format!(
        "Exported by {}. One XY table per experiment; Y = {}; replicate wells as subcolumns; {}.",
        platefit_version(),
        analyses
            .first()
            .map_or("response", |a| crate::report::figures::response_title(
                a.settings.normalization
            )),
        match scale {
            XScale::Concentration => "vehicle wells at X = 0",
            XScale::Log10 => "X = log10 concentration, vehicle wells left out",
        }
    );
    let mut note = note;
    // platefit's verdicts travel with the data: each flagged curve's reasons and each
    // comparison's sentence.
    for analysis in analyses {
        for line in crate::report::text::verdict_notes(analysis) {
            note.push_str(&format!(" {}: {line}", analysis.experiment));
        }
        for comparison in &analysis.comparisons {
            note.push_str(&format!(" {}: {}", analysis.experiment, comparison.verdict));
        }
        // GR metrics (time-zero read only): one line per curve and per comparison.
        if let Some(growth) = &analysis.growth {
            note.push_str(&gr_notes(&analysis.experiment, growth));
        }
        // The analysis choices: model (and why, when chosen), fitting method, outliers.
        let settings = &analysis.settings;
        if !settings.choices.is_plain() {
            note.push_str(&format!(
                " {}: model {}; {}; weighting {}.",
                analysis.experiment,
                crate::report::text::model_setting_text(settings.choices.model),
                crate::report::text::fit_method_setting_text(settings),
                crate::report::text::weighting_setting_text(settings.choices.weighting)
            ));
        }
        for curve in &analysis.curves {
            if let Some(asymmetry) = &curve.fit.asymmetry {
                note.push_str(&format!(
                    " {}: {}: 5PL asymmetry S = {}{}, LogXb = {}.",
                    analysis.experiment,
                    curve.dose_response.label,
                    crate::report::format_number(asymmetry.s),
                    asymmetry.se.map_or(String::new(), |se| format!(
                        " (SE {})",
                        crate::report::format_number(se)
                    )),
                    crate::report::format_number(asymmetry.log10_xb)
                ));
            }
        }
        for curve in &analysis.curves {
            if let Some(comparison) = &curve.fit.model_comparison {
                note.push_str(&format!(
                    " {}: {}: {} ({}).",
                    analysis.experiment,
                    curve.dose_response.label,
                    curve.fit.model.name(),
                    comparison.reason
                ));
            }
        }
        for line in crate::report::text::outlier_notes(analysis) {
            note.push_str(&format!(
                " {}: {line} ROUT's removed outliers are marked excluded.",
                analysis.experiment
            ));
        }
    }
    out.push_str(&escape(note.as_str()));
    out.push_str("</Notes>\n");
    let _ = writeln!(
        out,
        "<Constant><Name>Experiment Date</Name><Value>{date}</Value></Constant>"
    );
    let _ = writeln!(
        out,
        "<Constant><Name>Experiment ID</Name><Value>{}</Value></Constant>",
        escape(
            analyses
                .iter()
                .map(|a| a.experiment.as_str())
                .collect::<Vec<_>>()
                .join("; ")
                .as_str()
        )
    );
    out.push_str("</Info>\n<TableSequence>\n");
    let exported: Vec<&Analysis> = analyses.iter().filter(|a| !a.curves.is_empty()).collect();
    for id in 0..exported.len() {
        let selected = if id == 0 { r#" Selected="1""# } else { "" };
        let _ = writeln!(out, r#"<Ref ID="Table{id}"{selected}/>"#);
    }
    out.push_str("</TableSequence>\n");
    for (id, analysis) in exported.into_iter().enumerate() {
        write_table(&mut out, id, analysis, scale);
    }
    out.push_str("</GraphPadPrismFile>\n");
    Ok(out)
}

/// The GR metrics as note text: per curve GR50, GRmax, GR_AOC and the vehicle doublings;
/// per comparison the GR-based RI beside the IC50-based one, and the division-rate warning.
fn gr_notes(experiment: &str, growth: &crate::growth::GrowthAnalysis) -> String {
    use crate::report::gr::{estimate_text, number_text, ratio_text};
    let mut out = String::new();
    for c in &growth.curves {
        match &c.metrics {
            Some(m) => out.push_str(&format!(
                " {experiment}: {} GR50 {}, GRmax {}, GR_AOC {}, vehicle doublings {}.",
                c.label,
                estimate_text(m.gr50),
                number_text(m.grmax),
                number_text(m.gr_aoc),
                number_text(c.vehicle_doublings)
            )),
            None => out.push_str(&format!(
                " {experiment}: {} GR metrics not computed: {}.",
                c.label,
                c.problem.as_deref().unwrap_or("no GR values")
            )),
        }
    }
    for c in &growth.comparisons {
        out.push_str(&format!(
            " {experiment}: {} vs {}: GR-based RI {}, IC50-based RI {}.",
            c.test,
            c.reference,
            ratio_text(c),
            number_text(c.ic50_ratio)
        ));
        if let Some(warning) = &c.warning {
            out.push_str(&format!(" {warning}."));
        }
    }
    out
}
