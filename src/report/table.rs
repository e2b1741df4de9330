//! The readable results table printed on the terminal.

use std::fmt::Write as _;

use crate::analysis::Analysis;
use crate::fit::{Fit, FitStatus};
use crate::report::format_number as f;

/// `0.04231 [0.03612, 0.04955]`, or the bound / status for undetermined IC50s.
#[must_use]
pub fn ic50_text(fit: &Fit) -> String {
    marked_ic50_text(fit, "")
}

/// [`ic50_text`] with `mark` after the number (`*` for a flagged fit's IC50: shown because
/// it explains the verdict, not an estimate to quote).
fn marked_ic50_text(fit: &Fit, mark: &str) -> String {
    match (fit.reported_ic50(), fit.ic50_ci95_wald_log) {
        (Some(ic50), Some([lo, hi])) => format!("{}{mark} [{}, {}]", f(ic50), f(lo), f(hi)),
        (Some(ic50), None) => format!("{}{mark} [CI not computable]", f(ic50)),
        (None, _) => fit.ic50_bound().unwrap_or_else(|| "not determined".into()),
    }
}

/// The absolute IC50 cell: the number, a bound, or `—`.
#[must_use]
pub fn absolute_text(fit: &Fit) -> String {
    fit.absolute_ic50().map_or_else(
        || {
            fit.verdict
                .absolute
                .bound_text()
                .unwrap_or_else(|| "—".into())
        },
        f,
    )
}

/// A plateau for the table: one decimal in the usual range, 4 significant digits beyond.
fn short(value: f64) -> String {
    if value.abs() < 1000.0 {
        format!("{value:.1}")
    } else {
        f(value)
    }
}

/// The results of one or more analyses as a text table.
#[must_use]
pub fn results_table(analyses: &[Analysis]) -> String {
    results_table_in(analyses, true)
}

/// [`results_table`], with the concentration unit in the headers or without it (points
/// files carry no unit: IC50s are in the unit of their `conc` column).
#[must_use]
pub fn results_table_in(analyses: &[Analysis], with_unit: bool) -> String {
    let mut out = String::new();
    for analysis in analyses {
        let unit = if with_unit {
            analysis.unit.symbol()
        } else {
            ""
        };
        let unit_word = |word: &str| {
            if unit.is_empty() {
                word.to_string()
            } else {
                format!("{word} {unit}")
            }
        };
        let _ = writeln!(out, "{}", analysis.experiment);
        for plate in &analysis.plates {
            let qc = &plate.normalized.qc;
            let _ = writeln!(
                out,
                "  plate {} ({}): {}; Z′ {}, vehicle CV {} %, S/B {}, blank {}{}",
                plate.name,
                plate.file,
                plate.reads.note,
                qc.z_prime.map_or("—".into(), |z| format!("{z:.2}")),
                qc.vehicle_cv_pct.map_or("—".into(), |v| format!("{v:.1}")),
                qc.signal_to_blank.map_or("—".into(), |v| format!("{v:.1}")),
                qc.blank_mean.map_or("—".into(), |v| format!("{v:.4}")),
                if qc.warnings.is_empty() {
                    String::new()
                } else {
                    format!("  ⚠ {}", qc.warnings.join("; "))
                }
            );
        }
        let rows: Vec<[String; 7]> = analysis
            .curves
            .iter()
            .map(|c| {
                let fit = &c.fit;
                // The parameters of a flagged fit explain its verdict: shown, marked with
                // `*` (they are not estimates to quote).
                let known = fit.params.log10_ic50.is_finite()
                    && fit.params.hill_slope.is_finite()
                    && fit.params.top.is_finite()
                    && fit.params.bottom.is_finite();
                let mark = if matches!(fit.status, FitStatus::Converged | FitStatus::Partial) {
                    ""
                } else {
                    "*"
                };
                [
                    c.dose_response.label.clone(),
                    marked_ic50_text(fit, mark),
                    absolute_text(fit),
                    if known {
                        format!("{:.2}{mark}", fit.params.hill_slope)
                    } else {
                        "—".into()
                    },
                    if known {
                        format!(
                            "{} / {}{mark}",
                            short(fit.params.top),
                            short(fit.params.bottom)
                        )
                    } else {
                        "—".into()
                    },
                    fit.r_squared.map_or("—".into(), |r| format!("{r:.3}")),
                    format!("{} (n={})", c.status_words(), fit.n),
                ]
            })
            .collect();
        let header = [
            "curve".to_string(),
            format!("{} [95% CI]", unit_word("IC50")),
            unit_word("abs. IC50"),
            "Hill".into(),
            "Top / Bottom".into(),
            "R²".into(),
            "status".into(),
        ];
        let mut widths = header.clone().map(|h| h.chars().count());
        for row in &rows {
            for (k, cell) in row.iter().enumerate() {
                widths[k] = widths[k].max(cell.chars().count());
            }
        }
        let line = |cells: &[String; 7]| -> String {
            let padded: Vec<String> = cells
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            format!("  {}", padded.join("  ").trim_end())
        };
        let _ = writeln!(out, "{}", line(&header));
        for row in &rows {
            let _ = writeln!(out, "{}", line(row));
        }
        if rows
            .iter()
            .any(|r| r[1].contains('*') || r[3].ends_with('*') || r[4].ends_with('*'))
        {
            let _ = writeln!(
                out,
                "  * values of a flagged fit, shown because they explain its verdict (not estimates to quote)"
            );
        }
        for c in &analysis.curves {
            if let Some(problem) = c.not_analysed() {
                let _ = writeln!(out, "  {}: not analysed — {problem}", c.dose_response.label);
            } else {
                // A converged curve's reasons say why a column is empty (an absolute IC50
                // the data leave undetermined); a flagged curve's say why it is flagged.
                for reason in &c.fit.verdict.reasons {
                    let _ = writeln!(out, "  {}: {reason}", c.dose_response.label);
                }
            }
        }
        if analysis.settings.choices.weighting == crate::fit::Weighting::Relative {
            let _ = writeln!(
                out,
                "  weighting: relative, 1/Y² with Y the fitted curve (Prism); RSS, R², SEs, CIs and model comparisons are weighted"
            );
        }
        for note in crate::report::text::model_notes(analysis)
            .into_iter()
            .chain(crate::report::text::outlier_notes(analysis))
            .chain(crate::report::text::diagnostic_notes(analysis))
        {
            let _ = writeln!(out, "  {note}");
        }
        for c in &analysis.comparisons {
            let _ = writeln!(
                out,
                "  {}",
                c.verdict.replacen("RI ", "resistance index ", 1)
            );
        }
        if let Some(growth) = &analysis.growth {
            for text_line in crate::report::gr::growth_text(growth, unit).lines() {
                if !text_line.is_empty() {
                    let _ = writeln!(out, "  {text_line}");
                }
            }
        }
        for warning in &analysis.warnings {
            let _ = writeln!(out, "  note: {warning}");
        }
        out.push('\n');
    }
    out
}

/// A p-value with its relation, as people write it: `< 1e-15`, `= 2.3e-5`, `= 0.041`.
#[must_use]
pub fn format_p(p: f64) -> String {
    if p < 1e-15 {
        "< 1e-15".into()
    } else if p < 0.001 {
        format!("= {p:.1e}")
    } else {
        format!("= {p:.3}")
    }
}
