//! One cause, one line: folding repeated warnings into a count and a few examples.
//!
//! Importers, QC and the analysis say what they noticed one place at a time (`row 40: …`,
//! `well B7: …`). A damaged kinetic file can repeat the same cause hundreds of times, and a
//! list of 150 lines drowns the one thing the user must read. [`fold`] is the one place that
//! turns such repeats into one line; every surface (the import JSON, the CLI, the app, the
//! reports) shows what it returns.
//!
//! Two warnings have the same cause when they differ only in their *variable tokens*: runs of
//! letters, digits and `.`/`-`/`_` that contain a digit (`row 40`, `A1`, `1044`, `0.5`). A
//! group of two or more becomes one line: the text with each token that varies replaced by
//! `…`, then the count and the first [`EXAMPLES`] values of the varying tokens.

use std::collections::BTreeMap;

/// How many examples a folded line names.
pub const EXAMPLES: usize = 3;

/// A warning split into text pieces; variable tokens are the odd positions.
fn tokens(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if word.is_empty() {
            return;
        }
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.push(std::mem::take(word));
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push_str(word);
            word.clear();
        }
    };
    for c in line.chars() {
        if c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+') {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            if let Some(last) = out.last_mut() {
                last.push(c);
            }
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The cause of a warning: its text with every variable token replaced by `…`.
fn cause(pieces: &[String]) -> String {
    pieces
        .iter()
        .enumerate()
        .map(|(idx, piece)| if idx % 2 == 1 { "…" } else { piece.as_str() })
        .collect()
}

/// Folds warnings with the same cause into one line each (first-seen order is kept; a
/// warning that occurs once is returned as it is, and exact duplicates count as repeats).
#[must_use]
pub fn fold<I: IntoIterator<Item = String>>(warnings: I) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for warning in warnings {
        let pieces = tokens(&warning);
        let key = cause(&pieces);
        let group = groups.entry(key.clone()).or_default();
        if group.is_empty() {
            order.push(key);
        }
        group.push(pieces);
    }
    order
        .into_iter()
        .filter_map(|key| groups.remove(&key))
        .map(|group| fold_group(&group))
        .collect()
}

fn fold_group(group: &[Vec<String>]) -> String {
    let first = &group[0];
    if group.len() == 1 {
        return first.concat();
    }
    let varying: Vec<usize> = (1..first.len())
        .step_by(2)
        .filter(|&idx| group.iter().any(|pieces| pieces.get(idx) != first.get(idx)))
        .collect();
    let text: String = first
        .iter()
        .enumerate()
        .map(|(idx, piece)| {
            if varying.contains(&idx) {
                "…"
            } else {
                piece.as_str()
            }
        })
        .collect();
    if varying.is_empty() {
        return format!("{text} ({}×)", group.len());
    }
    let mut examples: Vec<String> = Vec::new();
    for pieces in group {
        let example: Vec<&str> = varying
            .iter()
            .filter_map(|idx| pieces.get(*idx).map(String::as_str))
            .collect();
        let example = example.join(" ");
        if !examples.contains(&example) {
            examples.push(example);
        }
        if examples.len() == EXAMPLES {
            break;
        }
    }
    let more = if group.len() > examples.len() {
        ", …"
    } else {
        ""
    };
    format!(
        "{text} ({}×, e.g. {}{more})",
        group.len(),
        examples.join("; ")
    )
}

/// `N wells: A1, A2, A3, … H12` style list of wells (or any names): all of them when there
/// are at most `EXAMPLES + 2`, else the first [`EXAMPLES`] and the count.
#[must_use]
pub fn name_a_few<T: std::fmt::Display>(items: &[T]) -> String {
    let n = items.len();
    let shown: Vec<String> = items
        .iter()
        .take(if n <= EXAMPLES + 2 { n } else { EXAMPLES })
        .map(ToString::to_string)
        .collect();
    let noun = if n == 1 { "well" } else { "wells" };
    if shown.len() == n {
        format!("{n} {noun} ({})", shown.join(", "))
    } else {
        format!("{n} {noun} ({}, …)", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_fold_into_one_line_with_a_count_and_examples() {
        let lines: Vec<String> = (0..150)
            .map(|i| {
                format!(
                    "sheet \"Plate 1 - Sheet1\", row {}: value {} in well A{} flagged",
                    40 + i,
                    1000 + i,
                    i % 12 + 1
                )
            })
            .chain(["the file has no blank wells".to_string()])
            .collect();
        let folded = fold(lines);
        assert_eq!(folded.len(), 2, "{folded:#?}");
        assert_eq!(
            folded[0],
            "sheet \"Plate 1 - Sheet1\", row …: value … in well … flagged (150×, e.g. 40 1000 A1; 41 1001 A2; 42 1002 A3, …)"
        );
        assert_eq!(folded[1], "the file has no blank wells");
    }

    #[test]
    fn single_warnings_and_duplicates() {
        assert_eq!(fold(vec!["line 12: x".to_string()]), vec!["line 12: x"]);
        assert_eq!(
            fold(vec!["same".to_string(), "same".to_string()]),
            vec!["same (2×)"]
        );
        // Different causes stay apart, in first-seen order.
        let folded = fold(vec![
            "line 3: grid skipped".to_string(),
            "line 9: value flagged".to_string(),
            "line 20: grid skipped".to_string(),
        ]);
        assert_eq!(
            folded,
            vec![
                "line …: grid skipped (2×, e.g. 3; 20)",
                "line 9: value flagged"
            ]
        );
    }

    #[test]
    fn a_few_wells() {
        let wells: Vec<String> = (1..=96).map(|i| format!("W{i}")).collect();
        assert_eq!(name_a_few(&wells), "96 wells (W1, W2, W3, …)");
        assert_eq!(name_a_few(&wells[..2]), "2 wells (W1, W2)");
        assert_eq!(name_a_few(&wells[..1]), "1 well (W1)");
    }
}
