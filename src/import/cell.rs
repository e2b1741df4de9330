//! The tolerant cell parser shared by every format: numbers (decimal point or comma),
//! flagged non-values with their raw text, and empty cells.

/// What one cell of a grid holds.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// Nothing: an empty well.
    Empty,
    /// A number.
    Number(f64),
    /// A value the reader could not measure or that was masked (`OVER`, `?????`, `*0.356*`),
    /// kept with its raw text.
    Flag(String),
    /// Text that is neither a number nor a known flag token.
    Text(String),
}

/// Tokens plate-reader software writes instead of a number.
const FLAG_TOKENS: &[&str] = &[
    "over",
    "ovrflw",
    "overflow",
    "sat",
    "saturated",
    "under",
    "nan",
    "n/a",
    "na",
    "#n/a",
    "inf",
    "-inf",
    "+inf",
    "infinity",
    "-infinity",
    "invalid",
    "error",
    "err",
    "range?",
    "masked",
    "<min",
    ">max",
    "out of range",
    "oor",
    "-",
    "--",
    "---",
    "#value!",
    "#div/0!",
    "#num!",
];

/// Parses one cell. `decimal_comma` says whether `0,123` means 0.123 (the file uses a
/// delimiter other than the comma and the locale writes decimal commas).
#[must_use]
pub fn parse_cell(raw: &str, decimal_comma: bool) -> CellValue {
    let text = raw.trim().trim_matches('\u{a0}').trim();
    if text.is_empty() {
        return CellValue::Empty;
    }
    if let Some(number) = parse_number(text, decimal_comma) {
        return CellValue::Number(number);
    }
    let lower = text.to_ascii_lowercase();
    let all_question = text.chars().all(|c| c == '?');
    let starred = text.len() > 1 && (text.starts_with('*') || text.ends_with('*'));
    if all_question
        || starred
        || FLAG_TOKENS.contains(&lower.as_str())
        || lower.starts_with("over")
        || lower.starts_with('>')
        || lower.starts_with('<')
    {
        return CellValue::Flag(text.to_string());
    }
    CellValue::Text(text.to_string())
}

/// Parses a number written as `0.123`, `-0.000`, `1.2E-3`, `0,123` (with `decimal_comma`).
/// Thousands separators are not accepted (plate-reader values do not use them).
#[must_use]
pub fn parse_number(text: &str, decimal_comma: bool) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    // Rust's parser accepts "inf" and "nan": those are flags here, not numbers.
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+' | 'e' | 'E'))
    {
        return None;
    }
    if !text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let owned;
    let candidate = if decimal_comma && text.contains(',') && !text.contains('.') {
        owned = text.replacen(',', ".", 1);
        owned.as_str()
    } else {
        text
    };
    candidate.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_flags_and_text() {
        assert_eq!(parse_cell(" 0.1234 ", false), CellValue::Number(0.1234));
        assert_eq!(parse_cell("0,1234", true), CellValue::Number(0.1234));
        assert_eq!(parse_cell("1.5E-3", false), CellValue::Number(0.0015));
        assert_eq!(parse_cell("-0.000", false), CellValue::Number(-0.0));
        assert_eq!(parse_cell("", false), CellValue::Empty);
        for flag in [
            "OVER", "OVRFLW", "?????", "*0.356*", "NaN", "N/A", "Sat", ">3.5",
        ] {
            assert_eq!(
                parse_cell(flag, false),
                CellValue::Flag(flag.into()),
                "{flag}"
            );
        }
        assert_eq!(parse_cell("K562", false), CellValue::Text("K562".into()));
        // Without decimal comma, "0,5" is not a number.
        assert_eq!(parse_cell("0,5", false), CellValue::Text("0,5".into()));
    }
}
