//! Writing results: the JSON contract, CSV tables and the terminal table. Writers take
//! `impl Write`; only the CLI and GUI decide where bytes go.

pub mod csv;
pub mod json;
pub mod table;

/// A number for people: 4 significant digits, plain notation where it reads well.
#[must_use]
pub fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    let decimals = usize::try_from((3 - magnitude).max(0)).unwrap_or(0);
    format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::format_number;

    #[test]
    fn formats_significant_digits() {
        assert_eq!(format_number(0.042_341), "0.04234");
        assert_eq!(format_number(1.9), "1.900");
        assert_eq!(format_number(1234.5), "1234");
        assert_eq!(format_number(1.0e-7), "1.000e-7");
        assert_eq!(format_number(f64::NAN), "—");
    }
}
