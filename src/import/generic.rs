//! Plain plate-shaped CSV/TSV (`generic-grid-csv`) and long well tables (`generic-long-csv`).
//!
//! A grid: a header row whose fields after the first are the column numbers 1…N (N = 12 for
//! a 96-well plate, 24 for 384), then one row per plate row labelled `A`, `B`, …. Several
//! grids in one file become several reads; the header's first cell, if any, is the read label.
//! Grids whose cells are text (a layout block such as `Drug`) are not reads and are skipped.
//!
//! A long table: a header row with a `well` column and one or more value columns; one line
//! per well (`A1` or `A01`). Each value column becomes one read.

use crate::plate::{Plate, PlateShape, Read, WellId, row_index_from_label, row_label};

use super::cell::{CellValue, parse_cell};
use super::text::{TextSource, split_fields};
use super::{ImportError, Imported};

/// Format id of plate-shaped CSV/TSV.
pub(crate) const GRID_ID: &str = "generic-grid-csv";
/// Format id of long `well,value` tables.
pub(crate) const LONG_ID: &str = "generic-long-csv";

/// Whether the header fields after the first are 1, 2, …, N (also `01`, `1.0`) for a
/// standard plate width N.
fn is_grid_header(fields: &[String]) -> Option<usize> {
    let numbers: Vec<&str> = fields
        .iter()
        .skip(1)
        .map(|f| f.trim())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .skip_while(|f| f.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if numbers.len() < 2 {
        return None;
    }
    for (idx, text) in numbers.iter().enumerate() {
        let value: f64 = text.parse().ok()?;
        if (value - (idx + 1) as f64).abs() > 1e-9 {
            return None;
        }
    }
    PlateShape::from_cols(numbers.len()).map(|shape| shape.cols)
}

/// Whether the delimiter writes decimal commas (semicolon- or tab-separated with `0,123`).
fn uses_decimal_comma(source: &TextSource, delimiter: char) -> bool {
    delimiter != ','
        && source.lines.iter().take(200).any(|l| {
            split_fields(l, delimiter).iter().any(|f| {
                let f = f.trim();
                f.contains(',')
                    && !f.contains('.')
                    && f.replacen(',', ".", 1).parse::<f64>().is_ok()
            })
        })
}

pub(crate) fn detect_grid(source: &TextSource) -> bool {
    let delimiter = source.guess_delimiter();
    source
        .lines
        .iter()
        .take(2000)
        .any(|l| is_grid_header(&split_fields(l, delimiter)).is_some())
}

pub(crate) fn parse_grid(source: &TextSource) -> Result<Imported, ImportError> {
    let delimiter = source.guess_delimiter();
    let decimal_comma = uses_decimal_comma(source, delimiter);
    let mut reads: Vec<Read> = Vec::new();
    let mut shape: Option<PlateShape> = None;
    let mut warnings = Vec::new();
    let mut line_idx = 0;
    while line_idx < source.lines.len() {
        let header = split_fields(&source.lines[line_idx], delimiter);
        let Some(cols) = is_grid_header(&header) else {
            line_idx += 1;
            continue;
        };
        let title = header[0].trim().to_string();
        let header_line = line_idx + 1;
        // Collect the rows labelled A, B, … that follow.
        let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
        line_idx += 1;
        while line_idx < source.lines.len() {
            let fields = split_fields(&source.lines[line_idx], delimiter);
            match row_index_from_label(fields[0].trim()) {
                Some(row) if row == rows.len() && !fields[0].trim().is_empty() => {
                    rows.push((line_idx + 1, fields));
                    line_idx += 1;
                }
                _ => break,
            }
        }
        // The plate this grid belongs to: the shape of the grids before it, else the
        // standard plate of its width. A grid with fewer rows is cut short (a truncated
        // file): it is kept as an incomplete read, never as a shorter plate or dropped.
        let expected = shape
            .filter(|s| s.cols == cols)
            .or_else(|| PlateShape::from_cols(cols));
        // A header with no rows at the end of the file, after other grids: the file was cut
        // right after it. The read is kept with every well missing, not dropped silently.
        let at_end = source.lines[line_idx..].iter().all(|l| l.trim().is_empty());
        if rows.is_empty()
            && at_end
            && let Some(grid_shape) = shape.filter(|s| s.cols == cols)
        {
            let mut read = Read::empty(grid_title(&title, reads.len()), grid_shape);
            read.wavelength_nm = wavelength_from_label(&title);
            let all_rows: Vec<usize> = (0..grid_shape.rows).collect();
            read.mark_incomplete(
                grid_shape,
                &all_rows,
                format!(
                    "the file ends at line {header_line}, right after the grid's header; a {grid_shape} has rows A–{}",
                    row_label(grid_shape.rows - 1)
                ),
            );
            reads.push(read);
            continue;
        }
        let Some(grid_shape) = expected.filter(|s| !rows.is_empty() && rows.len() <= s.rows) else {
            warnings.push(format!(
                "line {header_line}: a grid with {} rows and {cols} columns is not a plate; skipped",
                rows.len()
            ));
            continue;
        };
        let mut read = Read::empty(grid_title(&title, reads.len()), grid_shape);
        read.wavelength_nm = wavelength_from_label(&title);
        let mut text_cells = 0;
        let mut number_cells = 0;
        for (row_idx, (_line_no, fields)) in rows.iter().enumerate() {
            for col in 0..cols {
                let raw = fields.get(col + 1).map_or("", String::as_str);
                let well = WellId::new(row_idx, col);
                match parse_cell(raw, decimal_comma) {
                    CellValue::Empty => {}
                    CellValue::Number(value) => {
                        number_cells += 1;
                        read.set(grid_shape, well, Some(value));
                    }
                    CellValue::Flag(text) => read.flag(grid_shape, well, text),
                    CellValue::Text(text) => {
                        text_cells += 1;
                        read.flag(grid_shape, well, text);
                    }
                }
            }
        }
        if text_cells > number_cells {
            // A layout block (role, line, drug names), not a measurement.
            warnings.push(format!(
                "line {header_line}: grid {title:?} holds text, not readings; skipped"
            ));
            continue;
        }
        if text_cells > 0
            && let Some((well, text)) = read
                .flags
                .iter()
                .find(|(_, t)| !matches!(parse_cell(t, decimal_comma), CellValue::Flag(_)))
        {
            let line_no = rows[well.row_idx()].0;
            return Err(ImportError::malformed(
                GRID_ID,
                format!("line {line_no}, well {well}"),
                format!("expected a number, found {text:?}"),
            ));
        }
        if let Some(cut) = cut_last_row(source, &rows, cols) {
            // The file ends inside this row: its values may be cut, so none is kept.
            let last = rows.len() - 1;
            let missing: Vec<usize> = (last..grid_shape.rows).collect();
            read.mark_incomplete(
                grid_shape,
                &missing,
                format!(
                    "the file ends inside row {} at line {} ({cut}); a {grid_shape} has rows A–{}",
                    row_label(last),
                    rows[last].0,
                    row_label(grid_shape.rows - 1)
                ),
            );
        } else if rows.len() < grid_shape.rows {
            let last = rows.len() - 1;
            let missing: Vec<usize> = (rows.len()..grid_shape.rows).collect();
            read.mark_incomplete(
                grid_shape,
                &missing,
                format!(
                    "the grid ends after row {} at line {}; a {grid_shape} has rows A–{}",
                    row_label(last),
                    rows[last].0,
                    row_label(grid_shape.rows - 1)
                ),
            );
        }
        if let Some(existing) = shape
            && existing != grid_shape
        {
            return Err(ImportError::malformed(
                GRID_ID,
                format!("line {header_line}"),
                format!("grid is {grid_shape}, but an earlier grid is {existing}"),
            ));
        }
        shape = Some(grid_shape);
        reads.push(read);
    }
    let Some(shape) = shape else {
        return Err(ImportError::malformed(
            GRID_ID,
            "whole file",
            "found a header row of column numbers but no numeric plate grid below it",
        ));
    };
    let mut plate = Plate::new("Plate 1", shape);
    plate.reads = reads;
    Ok(Imported {
        format: GRID_ID.into(),
        plates: vec![plate],
        warnings,
    })
}

/// Whether the grid's last row is the file's last line, without a line end, and looks cut:
/// fewer fields than the header has columns, or a last number with fewer decimals than every
/// other number of the grid (which all have the same count). Says how, if so.
fn cut_last_row(source: &TextSource, rows: &[(usize, Vec<String>)], cols: usize) -> Option<String> {
    let (line_no, fields) = rows.last()?;
    let ends_without_newline = *line_no == source.lines.len()
        && source
            .lines
            .last()
            .is_some_and(|l| !l.trim_end_matches('\r').is_empty());
    if !ends_without_newline {
        return None;
    }
    if fields.len() < cols + 1 {
        return Some(format!(
            "{} of {cols} values, no line end",
            fields.len().saturating_sub(1)
        ));
    }
    let decimals = |text: &str| -> Option<usize> {
        let text = text.trim();
        text.parse::<f64>().ok()?;
        Some(text.split_once(['.', ',']).map_or(0, |(_, d)| d.len()))
    };
    let last = decimals(fields.get(cols)?)?;
    let others: Vec<usize> = rows
        .iter()
        .flat_map(|(_, f)| f.iter().skip(1).take(cols))
        .filter_map(|t| decimals(t))
        .collect();
    let (others, _) = others.split_at(others.len().saturating_sub(1));
    let min = others.iter().min()?;
    (others.len() >= 8 && others.iter().all(|d| d == min) && last < *min).then(|| {
        format!("its last number has {last} decimals where the grid's have {min}, no line end")
    })
}

fn grid_title(title: &str, index: usize) -> String {
    if title.is_empty() {
        if index == 0 {
            "value".into()
        } else {
            format!("value {}", index + 1)
        }
    } else {
        title.to_string()
    }
}

/// A wavelength in a label such as `450`, `OD450`, `450nm`, `Abs 450 nm`, `A450`.
#[must_use]
pub fn wavelength_from_label(label: &str) -> Option<f64> {
    let digits: Vec<String> = label
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    digits
        .iter()
        .filter_map(|d| d.parse::<f64>().ok())
        .find(|v| (200.0..=1000.0).contains(v))
}

pub(crate) fn detect_long(source: &TextSource) -> bool {
    let delimiter = source.guess_delimiter();
    let Some(header) = source.lines.iter().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let fields = split_fields(header, delimiter);
    fields.len() >= 2 && fields.iter().any(|f| f.trim().eq_ignore_ascii_case("well"))
}

pub(crate) fn parse_long(source: &TextSource) -> Result<Imported, ImportError> {
    let delimiter = source.guess_delimiter();
    let decimal_comma = uses_decimal_comma(source, delimiter);
    let Some(header_idx) = source.lines.iter().position(|l| !l.trim().is_empty()) else {
        return Err(ImportError::Empty);
    };
    let header = split_fields(&source.lines[header_idx], delimiter);
    let Some(well_col) = header
        .iter()
        .position(|f| f.trim().eq_ignore_ascii_case("well"))
    else {
        return Err(ImportError::malformed(
            LONG_ID,
            format!("line {}", header_idx + 1),
            "expected a header with a `well` column",
        ));
    };
    let mut entries: Vec<(usize, WellId, Vec<String>)> = Vec::new();
    for (idx, line) in source.lines.iter().enumerate().skip(header_idx + 1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields = split_fields(line, delimiter);
        let well_text = fields.get(well_col).map_or("", String::as_str);
        let well = WellId::parse(well_text).map_err(|e| {
            ImportError::malformed(LONG_ID, format!("line {}", idx + 1), e.to_string())
        })?;
        entries.push((idx + 1, well, fields));
    }
    let max_row = entries
        .iter()
        .map(|(_, w, _)| w.row_idx())
        .max()
        .unwrap_or(0);
    let max_col = entries
        .iter()
        .map(|(_, w, _)| w.col_idx())
        .max()
        .unwrap_or(0);
    let shape = [
        PlateShape::WELLS_96,
        PlateShape::WELLS_384,
        PlateShape::WELLS_1536,
    ]
    .into_iter()
    .find(|s| max_row < s.rows && max_col < s.cols)
    .ok_or_else(|| {
        ImportError::malformed(
            LONG_ID,
            "well column",
            format!(
                "well {} does not fit a 96-, 384- or 1536-well plate",
                WellId::new(max_row, max_col)
            ),
        )
    })?;
    // Value columns: every column but `well` whose cells are mostly numbers.
    let mut reads = Vec::new();
    for (col_idx, name) in header.iter().enumerate() {
        if col_idx == well_col {
            continue;
        }
        let mut read = Read::empty(name.trim(), shape);
        read.wavelength_nm = wavelength_from_label(name);
        let (mut numbers, mut texts) = (0, 0);
        for (_, well, fields) in &entries {
            match parse_cell(
                fields.get(col_idx).map_or("", String::as_str),
                decimal_comma,
            ) {
                CellValue::Empty => {}
                CellValue::Number(v) => {
                    numbers += 1;
                    read.set(shape, *well, Some(v));
                }
                CellValue::Flag(t) => read.flag(shape, *well, t),
                CellValue::Text(_) => texts += 1,
            }
        }
        if numbers > 0 && texts == 0 {
            reads.push(read);
        }
    }
    if reads.is_empty() {
        return Err(ImportError::malformed(
            LONG_ID,
            format!("line {}", header_idx + 1),
            "expected at least one numeric value column next to `well`",
        ));
    }
    let mut plate = Plate::new("Plate 1", shape);
    plate.reads = reads;
    Ok(Imported {
        format: LONG_ID.into(),
        plates: vec![plate],
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::import_bytes;
    use super::*;

    #[test]
    fn reads_plain_grid_with_semicolons_and_decimal_commas() {
        let mut text = String::from(";1;2;3;4;5;6;7;8;9;10;11;12\n");
        for row in "ABCDEFGH".chars() {
            text.push(row);
            for col in 1..=12 {
                text.push_str(&format!(";0,{col:02}"));
            }
            text.push('\n');
        }
        let imported = import_bytes(text.as_bytes()).unwrap();
        assert_eq!(imported.format, GRID_ID);
        let plate = &imported.plates[0];
        assert_eq!(plate.shape, PlateShape::WELLS_96);
        assert_eq!(plate.value(0, WellId::parse("H12").unwrap()), Some(0.12));
    }

    #[test]
    fn reads_long_tables() {
        let text = "well,od450,od630\nA1,0.5,0.04\nB02,OVER,0.05\n";
        let imported = import_bytes(text.as_bytes()).unwrap();
        assert_eq!(imported.format, LONG_ID);
        let plate = &imported.plates[0];
        assert_eq!(plate.reads.len(), 2);
        assert_eq!(plate.reads[0].wavelength_nm, Some(450.0));
        assert_eq!(plate.value(0, WellId::parse("A1").unwrap()), Some(0.5));
        assert_eq!(
            plate.reads[0]
                .flags
                .get(&WellId::parse("B2").unwrap())
                .unwrap(),
            "OVER"
        );
    }

    #[test]
    fn bad_number_names_line_and_well() {
        let mut text = String::from(",1,2,3,4,5,6,7,8,9,10,11,12\n");
        for row in "ABCDEFGH".chars() {
            text.push(row);
            for col in 1..=12 {
                if row == 'C' && col == 4 {
                    text.push_str(",0.1x");
                } else {
                    text.push_str(",0.1");
                }
            }
            text.push('\n');
        }
        let err = import_bytes(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("line 4, well C4"), "{err}");
        assert!(err.contains("0.1x"), "{err}");
    }
}
