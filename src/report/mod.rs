//! Writing results: the JSON contract, CSV tables and the terminal table, and the files a lab
//! files and shares: PDF reports ([`pdf`]), Excel workbooks ([`xlsx`]), GraphPad Prism
//! tables ([`pzfx`]) and figures as SVG/PNG ([`figures`]). Writers return bytes or take
//! `impl Write`; only the CLI and GUI decide where bytes go (atomically, via
//! [`crate::project::atomic_write`]).

pub mod csv;
pub mod figures;
pub mod fonts;
pub mod gr;
pub mod json;
pub mod pdf;
pub mod pzfx;
pub mod study;
pub mod table;
pub mod text;
pub mod xlsx;

/// A report or export that cannot be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Nothing to report (no experiment given).
    #[error("nothing to report: {0}")]
    Empty(String),
    /// A figure could not be parsed or rendered.
    #[error("cannot render figure {name}: {message}")]
    Figure {
        /// Which figure.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// The PDF could not be assembled.
    #[error("cannot assemble the PDF: {0}")]
    Pdf(String),
    /// The Excel workbook could not be assembled.
    #[error("cannot assemble the Excel workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The report date is not `YYYY-MM-DD`.
    #[error("report date {0:?} is not a date of the form YYYY-MM-DD")]
    BadDate(String),
}

/// A calendar date for reports (`2025-03-14`). Reports take the date as a parameter so the
/// same input gives the same bytes; the CLI passes today's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportDate {
    /// Year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
}

impl ReportDate {
    /// Parses `YYYY-MM-DD`.
    ///
    /// # Errors
    /// [`ReportError::BadDate`] for anything else.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        let bad = || ReportError::BadDate(text.to_string());
        let mut parts = text.trim().split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let year: u16 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let day: u8 = d.parse().map_err(|_| bad())?;
        if y.len() != 4 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(bad());
        }
        Ok(Self { year, month, day })
    }

    /// The date (UTC) of a number of seconds since the Unix epoch.
    #[must_use]
    pub fn from_unix_seconds(seconds: u64) -> Self {
        let days = i64::try_from(seconds / 86_400).unwrap_or(0);
        let (year, month, day) = crate::calendar::civil_from_days(days);
        Self {
            year: u16::try_from(year).unwrap_or(9999),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }

    /// Today (UTC), from the system clock.
    #[must_use]
    pub fn today() -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self::from_unix_seconds(seconds)
    }
}

impl std::fmt::Display for ReportDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The platefit version written into every report and export.
#[must_use]
pub fn platefit_version() -> String {
    format!("platefit {}", env!("CARGO_PKG_VERSION"))
}

/// A number for people: 4 significant digits, plain notation where it reads well.
#[must_use]
pub fn format_number(value: f64) -> String {
    format_significant(value, 4)
}

/// A ratio's 95 % CI, `[9.870, 15.43]`; a limit the data do not bound (a lower limit of 0,
/// an upper limit that is not finite, as when the standard error is unbounded) is open:
/// `(0, 15.43]`, `[1.055, ∞)`.
#[must_use]
pub fn format_ratio_ci(lo: f64, hi: f64) -> String {
    let open_lo = !(lo > 0.0 && lo.is_finite());
    let open_hi = !hi.is_finite();
    format!(
        "{}{}, {}{}",
        if open_lo { "(" } else { "[" },
        if open_lo {
            "0".into()
        } else {
            format_number(lo)
        },
        if open_hi {
            "∞".into()
        } else {
            format_number(hi)
        },
        if open_hi { ")" } else { "]" },
    )
}

/// `value` with `digits` significant digits: plain notation from 1e-4 to below 1e6,
/// scientific (with `digits − 1` decimals) outside; "—" when not finite.
#[must_use]
pub fn format_significant(value: f64, digits: i32) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        let decimals = usize::try_from(digits - 1).unwrap_or(0);
        return format!("{value:.decimals$e}");
    }
    let decimals = usize::try_from((digits - 1 - magnitude).max(0)).unwrap_or(0);
    format!("{value:.decimals$}")
}

/// The 95 % CI of the absolute IC50 (where the fitted curve crosses 50 %, or 0.5 on a fraction scale): a Wald interval
/// on the log10 scale, `log10 IC50_abs ± t(0.975, df)·SE`, with the SE from the fit's
/// covariance by the delta method on
/// `log10 IC50_abs = LogIC50 − log10((Top − Bottom)/(50 − Bottom) − 1)/HillSlope`.
///
/// `None` when the absolute IC50 is not reported or the covariance is not available.
#[must_use]
pub fn absolute_ic50_ci(fit: &crate::fit::Fit) -> Option<[f64; 2]> {
    let absolute = fit.absolute_ic50()?;
    let level = fit.half_level()?;
    if fit.asymmetry.is_some() {
        // The 5PL: the delta method on the crossing of the asymmetric curve.
        return fit
            .asymmetric_log_estimate(|p| {
                crate::fit::model::asymmetric_crossing(
                    crate::fit::Params4pl::from_array([p[0], p[1], p[2], p[3]]),
                    p[4],
                    level,
                )
                .map(f64::log10)
            })
            .and_then(|(_, ci)| ci)
            .and_then(crate::fit::computable_interval);
    }
    let covariance = fit.covariance?;
    let variance = crate::fit::crossing_log_variance(fit.params, &covariance, level)?;
    let t_quantile = crate::stats::t95(fit.df as f64)?;
    let log_x = absolute.log10();
    let half = t_quantile * variance.sqrt();
    // Limits beyond floating point (0 or ∞: an SE of hundreds of decades on an ambiguous
    // fit) are no interval, as for the relative IC50's Wald CI.
    crate::fit::computable_interval([10f64.powf(log_x - half), 10f64.powf(log_x + half)])
}

#[cfg(test)]
mod tests {
    use super::{ReportDate, format_number, format_ratio_ci};

    #[test]
    fn a_ratio_ci_the_data_do_not_bound_is_written_open() {
        assert_eq!(format_ratio_ci(1.5, 12.0), "[1.500, 12.00]");
        assert_eq!(format_ratio_ci(0.0, f64::INFINITY), "(0, ∞)");
        assert_eq!(format_ratio_ci(0.25, f64::INFINITY), "[0.2500, ∞)");
        assert_eq!(format_ratio_ci(0.0, 3.0), "(0, 3.000]");
    }

    #[test]
    fn dates_parse_and_come_from_the_clock() {
        assert_eq!(
            ReportDate::parse("2025-03-14").unwrap().to_string(),
            "2025-03-14"
        );
        assert!(ReportDate::parse("2025-13-01").is_err());
        assert!(ReportDate::parse("14.03.2025").is_err());
        assert_eq!(ReportDate::from_unix_seconds(0).to_string(), "1970-01-01");
        assert_eq!(
            ReportDate::from_unix_seconds(1_709_164_800).to_string(),
            "2024-02-29"
        );
    }

    #[test]
    fn formats_significant_digits() {
        assert_eq!(format_number(0.042_341), "0.04234");
        assert_eq!(format_number(1.9), "1.900");
        assert_eq!(format_number(1234.5), "1234");
        assert_eq!(format_number(1.0e-7), "1.000e-7");
        assert_eq!(format_number(f64::NAN), "—");
    }
}
