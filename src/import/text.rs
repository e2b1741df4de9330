//! Decoding text exports (UTF-8 with or without BOM, UTF-16 LE/BE, Windows-1252) and
//! splitting them into lines and fields without collapsing repeated delimiters.

/// Decodes a text export: UTF-16 with BOM, UTF-8 with BOM, BOM-less UTF-16 (every second
/// byte zero), strict UTF-8, and Windows-1252 as the last resort. Line endings are
/// normalised to `\n`; the BOM is stripped.
#[must_use]
pub fn decode_text(bytes: &[u8]) -> String {
    let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        encoding_rs::UTF_16LE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        encoding_rs::UTF_16BE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
    } else if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(rest).into_owned()
    } else if looks_like_bomless_utf16(bytes) {
        let encoding = if bytes.first() == Some(&0) {
            encoding_rs::UTF_16BE
        } else {
            encoding_rs::UTF_16LE
        };
        encoding.decode_without_bom_handling(bytes).0.into_owned()
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        }
    };
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    }
}

/// [`TextSource::guess_delimiter`] of a text, reading only its first lines.
#[must_use]
pub fn guess_delimiter(text: &str) -> char {
    delimiter_of_lines(text.split('\n'))
}

/// The delimiter that splits most of the first 60 non-empty lines into several fields:
/// tab, semicolon or comma (in that order of preference at equal counts).
fn delimiter_of_lines<'a>(lines: impl Iterator<Item = &'a str>) -> char {
    let sample: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).take(60).collect();
    let mut best = (',', 0usize);
    for delimiter in ['\t', ';', ','] {
        let score: usize = sample.iter().map(|l| l.matches(delimiter).count()).sum();
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

/// Whether the bytes look like UTF-16 without a BOM: many zero bytes in alternate positions.
fn looks_like_bomless_utf16(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(4096)];
    if sample.len() < 8 {
        return false;
    }
    let zeros_even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let zeros_odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    let half = sample.len() / 2;
    zeros_even.max(zeros_odd) * 10 > half * 7
}

/// A decoded text file, split into lines.
#[derive(Debug, Clone)]
pub struct TextSource {
    /// The lines, without line terminators.
    pub lines: Vec<String>,
}

impl TextSource {
    /// Splits decoded text into lines.
    #[must_use]
    pub fn new(text: &str) -> Self {
        Self {
            lines: text.split('\n').map(str::to_string).collect(),
        }
    }

    /// The delimiter that splits most of the first lines into several fields:
    /// tab, semicolon or comma (in that order of preference at equal counts).
    #[must_use]
    pub fn guess_delimiter(&self) -> char {
        delimiter_of_lines(self.lines.iter().map(String::as_str))
    }

    /// A short description of the first lines for "unrecognized file" messages.
    #[must_use]
    pub fn describe(&self) -> String {
        let first = self
            .lines
            .iter()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.chars().take(60).collect::<String>());
        match first {
            Some(line) if self.looks_like_points() => format!(
                "its first line reads {line:?}: a table of dose-response points (a concentration and a response column), not a plate. Fit such a table with `platefit fit FILE` (columns conc, response and an optional curve)"
            ),
            Some(line) => format!("its first line reads {line:?}"),
            None => "it holds no text".into(),
        }
    }

    /// Whether the first non-empty line names a concentration and a response column as a
    /// points table for `platefit fit` does (the same names `fit` reads).
    fn looks_like_points(&self) -> bool {
        use crate::dose_response::{CONCENTRATION_COLUMN, RESPONSE_COLUMN, find_column};
        let Some(line) = self.lines.iter().find(|l| !l.trim().is_empty()) else {
            return false;
        };
        let fields = split_fields(line, self.guess_delimiter());
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        find_column(&fields, CONCENTRATION_COLUMN).is_some()
            && find_column(&fields, RESPONSE_COLUMN).is_some()
    }
}

/// Splits a line on a delimiter, keeping empty fields (`a,,b` is three fields) and
/// honouring double quotes (`"1,5";2` is two fields).
#[must_use]
pub fn split_fields(line: &str, delimiter: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if in_quotes && chars.peek() == Some(&'"') {
                current.push('"');
                chars.next();
            } else {
                in_quotes = !in_quotes;
            }
        } else if c == delimiter && !in_quotes {
            fields.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    fields.push(current);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_boms_and_windows_1252() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFa\r\nb"), "a\nb");
        assert_eq!(decode_text(b"\xFF\xFEa\x00\r\x00\n\x00b\x00"), "a\nb");
        assert_eq!(decode_text(b"\xFE\xFF\x00a\x00\n\x00b"), "a\nb");
        assert_eq!(decode_text(b"37\xB0C"), "37°C");
        assert_eq!(decode_text(b"a\x00b\x00c\x00d\x00e\x00f\x00"), "abcdef");
    }

    #[test]
    fn splits_without_collapsing() {
        assert_eq!(split_fields("a,,b,", ','), vec!["a", "", "b", ""]);
        assert_eq!(split_fields("\"1,5\";2", ';'), vec!["1,5", "2"]);
    }
}
