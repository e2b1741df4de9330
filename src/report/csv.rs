//! Results as CSV: one row per curve (IC50s, CIs, parameters, status), then one row per
//! comparison, so the file opens in Excel or R as two small tables.

use std::io::Write;

use crate::analysis::Analysis;

fn cell(value: Option<f64>) -> String {
    value
        .filter(|v| v.is_finite())
        .map(|v| format!("{v}"))
        .unwrap_or_default()
}

/// Writes the curve and comparison tables of one or more analyses.
///
/// # Errors
/// CSV or I/O errors of the writer.
pub fn write_results_csv(analyses: &[Analysis], out: impl Write) -> Result<(), ::csv::Error> {
    let mut writer = ::csv::WriterBuilder::new().flexible(true).from_writer(out);
    writer.write_record([
        "experiment",
        "curve",
        "status",
        "n",
        "unit",
        "ic50",
        "ic50_ci95_low",
        "ic50_ci95_high",
        "ic50_ci95_delta_low",
        "ic50_ci95_delta_high",
        "ic50_ci95_profile_low",
        "ic50_ci95_profile_high",
        "absolute_ic50",
        "log_ic50",
        "se_log_ic50",
        "hill_slope",
        "se_hill_slope",
        "top",
        "se_top",
        "bottom",
        "se_bottom",
        "rss",
        "df",
        "r_squared",
        "ic50_bound",
        "absolute_ic50_bound",
    ])?;
    for analysis in analyses {
        for curve in &analysis.curves {
            let fit = &curve.fit;
            let reported = fit.reported_ic50().is_some();
            let wald = fit.ic50_ci95_wald_log.filter(|_| reported);
            let delta = fit.ic50_ci95_delta.filter(|_| reported);
            let profile = fit.ic50_ci95_profile.filter(|_| reported);
            writer.write_record([
                analysis.experiment.clone(),
                fit.label.clone(),
                fit.status.as_str().to_string(),
                fit.n.to_string(),
                analysis.unit.suffix().to_string(),
                cell(fit.reported_ic50()),
                cell(wald.map(|c| c[0])),
                cell(wald.map(|c| c[1])),
                cell(delta.map(|c| c[0])),
                cell(delta.map(|c| c[1])),
                cell(profile.and_then(|c| c[0])),
                cell(profile.and_then(|c| c[1])),
                cell(fit.absolute_ic50()),
                cell(Some(fit.params.log10_ic50)),
                cell(fit.se[2]),
                cell(Some(fit.params.hill_slope)),
                cell(fit.se[3]),
                cell(Some(fit.params.top)),
                cell(fit.se[1]),
                cell(Some(fit.params.bottom)),
                cell(fit.se[0]),
                cell(Some(fit.rss)),
                fit.df.to_string(),
                cell(fit.r_squared),
                fit.ic50_bound().unwrap_or_default(),
                fit.verdict.absolute.bound_text().unwrap_or_default(),
            ])?;
        }
    }
    let comparisons: Vec<_> = analyses
        .iter()
        .flat_map(|a| a.comparisons.iter().map(move |c| (a, c)))
        .collect();
    if !comparisons.is_empty() {
        writer.write_record([""])?;
        writer.write_record([
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
            "f",
            "df_num",
            "df_den",
            "p_value",
            "verdict",
        ])?;
        for (analysis, c) in comparisons {
            writer.write_record([
                analysis.experiment.clone(),
                c.test.clone(),
                c.reference.clone(),
                c.status.clone(),
                cell(c.ratio),
                cell(c.ratio_ci95.map(|v| v[0])),
                cell(c.ratio_ci95.map(|v| v[1])),
                cell(c.ratio_ci95_delta.map(|v| v[0])),
                cell(c.ratio_ci95_delta.map(|v| v[1])),
                cell(c.ratio_ci95_profile.map(|v| v[0].unwrap_or(0.0))),
                cell(c.ratio_ci95_profile.and_then(|v| v[1])),
                cell(c.f),
                c.df.map(|d| d[0].to_string()).unwrap_or_default(),
                c.df.map(|d| d[1].to_string()).unwrap_or_default(),
                cell(c.p_value),
                c.verdict.clone(),
            ])?;
        }
    }
    writer.flush()?;
    Ok(())
}
