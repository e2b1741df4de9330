//! BioTek/Agilent Gen5 exports: text (`biotek-gen5-text`, tab or semicolon) and Excel
//! (`biotek-gen5-xlsx`, the same layout shifted one column right).
//!
//! Both are parsed from a [`Sheet`]: key/value header lines (`Software Version`, `Plate
//! Number`, `Reader Type:` …, repeated per plate), then any of the result layouts Gen5
//! writes: results matrices with several labelled sub-rows per plate row (label in the column
//! after the last well), per-read matrices with a title line, kinetic wide tables
//! (`Time`, `T° <label>`, `A1`, `A2` …), `Well` + well-ID column layouts, and the well table
//! (`Well ID`, `Name`, `Well`, …). Layout grids (`Well ID` / `Conc/Dil`, `SPL1`) are skipped.

use std::collections::BTreeMap;

use crate::plate::{Plate, PlateShape, Read, ReadKind, WellId, row_index_from_label};

use super::cell::CellValue;
use super::grid::{
    Header, fill_read, header_in_row, meta_text, parse_duration, put_meta, set_cell_at,
    wavelength_in,
};
use super::text::TextSource;
use super::workbook::{Cell, Sheet, Workbook};
use super::{ImportError, Imported};

/// Format id of Gen5 text exports.
pub(crate) const TEXT_ID: &str = "biotek-gen5-text";
/// Format id of Gen5 Excel exports.
pub(crate) const XLSX_ID: &str = "biotek-gen5-xlsx";

/// Absorbance above this is not a plausible reading (a locale-mangled `1.044` → `1044`).
const MAX_OD: f64 = 10.0;

fn key_is(text: &str, key: &str) -> bool {
    let t = text.trim().trim_end_matches(':').trim();
    t.eq_ignore_ascii_case(key)
}

/// The line that names the delimiter: `Software Version<TAB or ;>`.
fn software_line(source: &TextSource) -> Option<&String> {
    source.lines.iter().take(80).find(|l| {
        let l = l.trim_start();
        l.starts_with("Software Version\t") || l.starts_with("Software Version;")
    })
}

pub(crate) fn detect_text(source: &TextSource) -> bool {
    if software_line(source).is_some() {
        return source.lines.iter().take(200).any(|l| {
            let t = l.trim_start();
            t.starts_with("Plate Number") || t.starts_with("Reader Type")
        });
    }
    source
        .lines
        .iter()
        .take(40)
        .any(|l| l.trim_start().starts_with("Well ID\tName\tWell\t"))
}

pub(crate) fn parse_text(source: &TextSource) -> Result<Imported, ImportError> {
    let delimiter = match software_line(source) {
        Some(line) if !line.contains('\t') && line.contains(';') => ';',
        _ => '\t',
    };
    let sheet = Sheet::from_text(source, delimiter);
    parse_sheets(TEXT_ID, &[&sheet], delimiter == ';')
}

pub(crate) fn detect_xlsx(book: &Workbook) -> bool {
    book.sheets.iter().any(|s| {
        let top = (0..s.rows().min(40)).any(|r| {
            s.first_text(r)
                .is_some_and(|(_, t)| key_is(&t, "Software Version"))
        });
        top && s.any_text(|t| key_is(t, "Reader Type") || key_is(t, "Plate Number"))
    })
}

pub(crate) fn parse_xlsx(book: &Workbook) -> Result<Imported, ImportError> {
    let sheets: Vec<&Sheet> = book
        .sheets
        .iter()
        .filter(|s| s.any_text(|t| key_is(t, "Software Version")))
        .collect();
    parse_sheets(XLSX_ID, &sheets, false)
}

/// One plate section of a sheet: rows `start..end`.
struct Section {
    start: usize,
    end: usize,
}

fn sections(sheet: &Sheet) -> Vec<Section> {
    let starts: Vec<usize> = (0..sheet.rows())
        .filter(|&r| {
            sheet
                .first_text(r)
                .is_some_and(|(_, t)| key_is(&t, "Software Version"))
        })
        .collect();
    if starts.is_empty() {
        return vec![Section {
            start: 0,
            end: sheet.rows(),
        }];
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| Section {
            start: if i == 0 { 0 } else { start },
            end: starts.get(i + 1).copied().unwrap_or(sheet.rows()),
        })
        .collect()
}

fn parse_sheets(id: &str, sheets: &[&Sheet], decimal_comma: bool) -> Result<Imported, ImportError> {
    let mut plates = Vec::new();
    let mut warnings = Vec::new();
    for sheet in sheets {
        for section in sections(sheet) {
            if let Some(plate) = parse_section(
                id,
                sheet,
                &section,
                decimal_comma,
                plates.len(),
                &mut warnings,
            )? {
                plates.push(plate);
            }
        }
    }
    if plates.is_empty() {
        let where_ = sheets
            .first()
            .map_or_else(|| "whole file".to_string(), |s| s.row_location(0));
        return Err(ImportError::malformed(
            id,
            where_,
            "found the Gen5 header but no results (expected a `Results` matrix with a `1 … 12` \
             header, a kinetic `Time` table or a `Well` table)",
        ));
    }
    Ok(Imported {
        format: id.into(),
        plates,
        warnings,
    })
}

#[derive(Default)]
struct Meta {
    map: BTreeMap<String, String>,
    interval_s: Option<f64>,
    absorbance: bool,
    plate_wells: Option<usize>,
}

fn read_metadata(sheet: &Sheet, section: &Section) -> Meta {
    let mut meta = Meta::default();
    let keys: &[(&str, &str)] = &[
        ("Software Version", "software_version"),
        ("Experiment File Path", "experiment_file"),
        ("Protocol File Path", "protocol_file"),
        ("Plate Number", "plate_number"),
        ("Date", "date"),
        ("Time", "time"),
        ("Reader Type", "instrument"),
        ("Reader Serial Number", "serial"),
        ("Reading Type", "reading_type"),
        ("Plate Type", "plate_type"),
    ];
    for row in section.start..section.end {
        let Some((col, key)) = sheet.first_text(row) else {
            continue;
        };
        let value_cell = sheet.get(row, col + 1);
        for (name, meta_key) in keys {
            if key_is(&key, name) && !value_cell.is_blank() {
                let text = meta_text(value_cell, *meta_key == "time");
                put_meta(&mut meta.map, meta_key, &text);
            }
        }
        // Procedure lines: any cell of the row.
        for cell in sheet.row(row) {
            let Some(text) = cell.text() else { continue };
            if let Some(rest) = text.strip_prefix("Wavelengths:") {
                let list: Vec<&str> = rest
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .collect();
                put_meta(&mut meta.map, "wavelengths", &list.join(", "));
            }
            if text.contains("Absorbance") {
                meta.absorbance = true;
                put_meta(&mut meta.map, "read_mode", "Absorbance");
            } else if text.contains("Fluorescence") {
                put_meta(&mut meta.map, "read_mode", "Fluorescence");
            } else if text.contains("Luminescence") {
                put_meta(&mut meta.map, "read_mode", "Luminescence");
            }
            if let Some(pos) = text.find("Interval ") {
                let rest = &text[pos + "Interval ".len()..];
                let token = rest.split([',', ' ']).next().unwrap_or("");
                if let Some(secs) = parse_duration(token) {
                    meta.interval_s = Some(secs);
                    put_meta(&mut meta.map, "kinetic_interval_s", &format!("{secs}"));
                }
            }
        }
        if key_is(&key, "Plate Type") {
            let text = sheet.display(row, col + 1);
            meta.plate_wells = [1536usize, 384, 96, 48, 24, 12, 6]
                .into_iter()
                .find(|n| text.contains(&n.to_string()));
        }
    }
    meta.map.insert("software".into(), "Gen5".into());
    meta
}

/// What a Gen5 row label says about the read.
fn classify(label: &str) -> ReadKind {
    let lower = label.to_ascii_lowercase();
    let difference = lower.starts_with("delta")
        || lower.contains("difference")
        || lower.starts_with("corrected")
        || {
            // "450-630" style reference-corrected labels.
            let digits: Vec<&str> = lower
                .split(|c: char| !c.is_ascii_digit() && c != '-')
                .collect();
            digits.iter().any(|d| {
                let mut parts = d.split('-');
                matches!(
                    (parts.next(), parts.next(), parts.next()),
                    (Some(a), Some(b), None) if a.len() == 3 && b.len() == 3
                )
            })
        };
    if difference {
        ReadKind::Difference
    } else if lower.starts_with("blank") || label.contains('[') || lower.contains("corrected") {
        ReadKind::Derived
    } else {
        ReadKind::Raw
    }
}

/// The wavelength of a Gen5 label: the number after the last `:` (`450nm:450`), else the
/// first plausible number (`630`, `Max V [630]`).
fn label_wavelength(label: &str) -> Option<f64> {
    if let Some((_, after)) = label.rsplit_once(':') {
        let digits: String = after
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if let Ok(v) = digits.parse::<f64>()
            && (200.0..=1000.0).contains(&v)
        {
            return Some(v);
        }
    }
    wavelength_in(label)
}

fn is_layout_label(label: &str) -> bool {
    let l = label.trim();
    key_is(l, "Well ID") || key_is(l, "Conc/Dil") || key_is(l, "Conc") || key_is(l, "Dil")
}

/// The title of a grid: the nearest non-blank line above the header (at most 3 lines up),
/// skipping `Actual Temperature:` lines.
fn title_above(sheet: &Sheet, row: usize, floor: usize) -> Option<String> {
    let mut r = row;
    let mut steps = 0;
    while r > floor && steps < 3 {
        r -= 1;
        steps += 1;
        if let Some((_, text)) = sheet.first_text(r) {
            if text.starts_with("Actual Temperature") {
                continue;
            }
            return Some(text);
        }
    }
    None
}

struct PlateBuilder {
    shape: Option<PlateShape>,
    reads: Vec<Read>,
}

impl PlateBuilder {
    fn push(&mut self, read: Read, shape: PlateShape, warnings: &mut Vec<String>, at: &str) {
        match self.shape {
            None => {
                self.shape = Some(shape);
                self.reads.push(read);
            }
            Some(existing) if existing == shape => self.reads.push(read),
            Some(existing) => warnings.push(format!(
                "{at}: a {shape} grid in a {existing} plate; skipped"
            )),
        }
    }
}

#[allow(clippy::too_many_lines)]
fn parse_section(
    id: &str,
    sheet: &Sheet,
    section: &Section,
    decimal_comma: bool,
    plate_index: usize,
    warnings: &mut Vec<String>,
) -> Result<Option<Plate>, ImportError> {
    let meta = read_metadata(sheet, section);
    let check_range = id == XLSX_ID && meta.absorbance;
    let mut builder = PlateBuilder {
        shape: None,
        reads: Vec::new(),
    };
    let mut row = section.start;
    while row < section.end {
        if let Some(header) = header_in_row(sheet, row) {
            row = read_matrix(
                sheet,
                header,
                section,
                decimal_comma,
                check_range,
                &mut builder,
                warnings,
            );
            continue;
        }
        if let Some(next) = read_kinetic(
            sheet,
            row,
            section,
            &meta,
            decimal_comma,
            check_range,
            &mut builder,
            warnings,
        )? {
            row = next;
            continue;
        }
        if let Some(next) =
            read_well_layouts(sheet, row, section, decimal_comma, &mut builder, warnings)
        {
            row = next;
            continue;
        }
        row += 1;
    }
    let Some(shape) = builder.shape else {
        return Ok(None);
    };
    // The header's plate type against the grids found: a mismatch is a damaged or
    // hand-edited file, read as found but said.
    if let Some(declared) = meta.plate_wells
        && declared != shape.well_count()
    {
        warnings.push(format!(
            "{}: the `Plate Type` declares a {declared}-well plate, but the data fill a {shape}; read as found, check the plate type",
            sheet.row_location(section.start)
        ));
    }
    let name = meta
        .map
        .get("plate_number")
        .cloned()
        .unwrap_or_else(|| format!("Plate {}", plate_index + 1));
    let mut plate = Plate::new(name, shape);
    plate.reads = builder.reads;
    plate.metadata = meta.map;
    Ok(Some(plate))
}

/// Reads a matrix (results or per-read) whose header is `header`; returns the next row.
fn read_matrix(
    sheet: &Sheet,
    header: Header,
    section: &Section,
    decimal_comma: bool,
    check_range: bool,
    builder: &mut PlateBuilder,
    warnings: &mut Vec<String>,
) -> usize {
    let shape = header.shape();
    let Some(letter_col) = header.first_col.checked_sub(1) else {
        return header.row + 1;
    };
    let label_col = header.first_col + header.cols;
    let title = title_above(sheet, header.row, section.start);
    // Collect (plate row, sub-row index, sheet row).
    let mut entries: Vec<(usize, usize, usize)> = Vec::new();
    let mut current: Option<usize> = None;
    let mut sub = 0;
    let mut row = header.row + 1;
    while row < section.end {
        let letter = sheet.display(row, letter_col);
        let has_data = (header.first_col..=label_col).any(|c| !sheet.get(row, c).is_blank());
        if !letter.is_empty() {
            match row_index_from_label(&letter) {
                Some(r) if r == current.map_or(0, |c| c + 1) && r < shape.rows => {
                    current = Some(r);
                    sub = 0;
                }
                _ => break,
            }
        } else if current.is_none() || !has_data {
            break;
        } else {
            sub += 1;
        }
        if let Some(r) = current {
            entries.push((r, sub, row));
        }
        row += 1;
    }
    // Group sub-rows by label (or by sub-row index when unlabelled).
    let mut groups: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
    for (plate_row, sub_idx, sheet_row) in &entries {
        let label = sheet.display(*sheet_row, label_col);
        let key = if label.is_empty() {
            title
                .clone()
                .unwrap_or_else(|| format!("read {}", sub_idx + 1))
        } else {
            label
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, rows)) => rows.push((*plate_row, *sheet_row)),
            None => groups.push((key, vec![(*plate_row, *sheet_row)])),
        }
    }
    let is_layout_section = title.as_deref().is_some_and(|t| key_is(t, "Layout"));
    for (label, rows) in groups {
        let at = sheet.row_location(rows.first().map_or(header.row, |r| r.1));
        if is_layout_section || is_layout_label(&label) {
            continue;
        }
        let mut plate_rows = vec![usize::MAX; shape.rows];
        for (plate_row, sheet_row) in &rows {
            if let Some(slot) = plate_rows.get_mut(*plate_row) {
                *slot = *sheet_row;
            }
        }
        let mut filled = fill_read(
            sheet,
            &label,
            shape,
            &plate_rows,
            header.first_col,
            decimal_comma,
        );
        if !filled.is_numeric() {
            warnings.push(format!("{at}: grid {label:?} holds no readings; skipped"));
            continue;
        }
        filled.read.kind = classify(&label);
        filled.read.wavelength_nm = label_wavelength(&label);
        if check_range && filled.read.kind == ReadKind::Raw {
            flag_out_of_range(&mut filled.read, shape, warnings, &at);
        }
        builder.push(filled.read, shape, warnings, &at);
    }
    row.max(header.row + 1)
}

fn flag_out_of_range(read: &mut Read, shape: PlateShape, warnings: &mut Vec<String>, at: &str) {
    let mut count = 0;
    for well in shape.wells() {
        if let Some(v) = read.value_at(shape, well)
            && v.abs() > MAX_OD
        {
            read.flag(shape, well, super::workbook::format_number(v));
            count += 1;
        }
    }
    if count > 0 {
        warnings.push(format!(
            "{at}: {count} absorbance value(s) above {MAX_OD} OD flagged (locale-damaged numbers?)"
        ));
    }
}

/// The well IDs of a header row from `from` on (stops at the first cell that is not a well).
fn well_columns(sheet: &Sheet, row: usize, from: usize) -> Vec<(usize, WellId)> {
    let mut wells = Vec::new();
    let mut col = from;
    while col < sheet.row_len(row) {
        let text = sheet.display(row, col);
        match WellId::parse(&text) {
            Ok(w) if text.trim().len() <= 4 => wells.push((col, w)),
            _ => break,
        }
        col += 1;
    }
    wells
}

fn shape_for(wells: &[(usize, WellId)], plate_wells: Option<usize>) -> Option<PlateShape> {
    let mut candidates = vec![
        PlateShape::WELLS_96,
        PlateShape::WELLS_384,
        PlateShape::WELLS_1536,
    ];
    if let Some(shape) = plate_wells.and_then(PlateShape::from_well_count) {
        candidates.insert(0, shape);
    }
    candidates
        .into_iter()
        .find(|s| wells.iter().all(|(_, w)| s.contains(*w)))
}

/// Kinetic wide table: `Time | T° <label> | A1 | A2 …`, one row per time point.
#[allow(clippy::too_many_arguments)]
fn read_kinetic(
    sheet: &Sheet,
    row: usize,
    section: &Section,
    meta: &Meta,
    decimal_comma: bool,
    check_range: bool,
    builder: &mut PlateBuilder,
    warnings: &mut Vec<String>,
) -> Result<Option<usize>, ImportError> {
    let Some((time_col, first)) = sheet.first_text(row) else {
        return Ok(None);
    };
    if !key_is(&first, "Time") {
        return Ok(None);
    }
    let wells = well_columns(sheet, row, time_col + 2);
    if wells.is_empty() {
        return Ok(None);
    }
    let Some(shape) = shape_for(&wells, meta.plate_wells) else {
        return Ok(None);
    };
    let temp_header = sheet.display(row, time_col + 1);
    let title = title_above(sheet, row, section.start).filter(|t| !key_is(t, "Procedure Details"));
    let label = title.unwrap_or_else(|| {
        temp_header.split_once(' ').map_or_else(
            || "kinetic".to_string(),
            |(_, rest)| rest.trim().to_string(),
        )
    });
    let wavelength = label_wavelength(&label);
    let kind = classify(&label);
    let mut base: Option<f64> = None;
    let mut r = row + 1;
    let mut index = 0usize;
    while r < section.end {
        let time_cell = sheet.get(r, time_col);
        let any_value = wells.iter().any(|(c, _)| !sheet.get(r, *c).is_blank());
        if !any_value {
            break;
        }
        let time_s = match time_cell {
            Cell::DateTime(v) | Cell::Number(v) => {
                let b = *base.get_or_insert(v.floor());
                let elapsed = (v - b) * 86_400.0;
                Some((elapsed * 1000.0).round() / 1000.0)
            }
            Cell::Text(t) => parse_duration(t),
            _ => None,
        }
        .or_else(|| {
            if index == 0 {
                Some(0.0)
            } else {
                meta.interval_s.map(|i| i * index as f64)
            }
        });
        let mut read = Read::empty(label.clone(), shape);
        read.wavelength_nm = wavelength;
        read.kind = kind;
        read.time_s = time_s;
        for (col, well) in &wells {
            set_cell_at(&mut read, shape, *well, sheet, (r, *col), decimal_comma);
        }
        let at = sheet.row_location(r);
        if check_range && kind == ReadKind::Raw {
            flag_out_of_range(&mut read, shape, warnings, &at);
        }
        builder.push(read, shape, warnings, &at);
        index += 1;
        r += 1;
    }
    if index == 0 {
        warnings.push(format!(
            "{}: a kinetic `Time` table without any time point below it",
            sheet.row_location(row)
        ));
    }
    Ok(Some(r.max(row + 1)))
}

/// `Well | A1 | B1 …` column layout (one line per read) and the `Well ID | Name | Well | …`
/// well table (one line per well).
fn read_well_layouts(
    sheet: &Sheet,
    row: usize,
    section: &Section,
    decimal_comma: bool,
    builder: &mut PlateBuilder,
    warnings: &mut Vec<String>,
) -> Option<usize> {
    let (col, first) = sheet.first_text(row)?;
    if key_is(&first, "Well") {
        let wells = well_columns(sheet, row, col + 1);
        if wells.is_empty() {
            return None;
        }
        let shape = shape_for(&wells, None)?;
        let mut r = row + 1;
        while r < section.end && !sheet.row_is_blank(r) {
            let label = sheet.display(r, col);
            let mut read = Read::empty(label.clone(), shape);
            read.kind = classify(&label);
            read.wavelength_nm = label_wavelength(&label);
            let mut numbers = 0;
            for (c, well) in &wells {
                let cell = sheet.get(r, *c);
                if matches!(cell.value(decimal_comma), CellValue::Number(_)) {
                    numbers += 1;
                }
                set_cell_at(&mut read, shape, *well, sheet, (r, *c), decimal_comma);
            }
            if numbers > 0 && !is_layout_label(&label) {
                builder.push(read, shape, warnings, &sheet.row_location(r));
            }
            r += 1;
        }
        return Some(r);
    }
    if key_is(&first, "Well ID") {
        let header: Vec<String> = (0..sheet.row_len(row))
            .map(|c| sheet.display(row, c))
            .collect();
        let well_col = header.iter().position(|h| key_is(h, "Well"))?;
        let skip = [
            "well id", "name", "well", "conc/dil", "count", "mean", "std dev", "cv (%)", "cv%",
            "sem",
        ];
        let value_cols: Vec<(usize, String)> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.is_empty() && !skip.contains(&h.to_ascii_lowercase().as_str()))
            .map(|(c, h)| (c, h.clone()))
            .collect();
        let mut entries = Vec::new();
        let mut r = row + 1;
        while r < section.end && !sheet.row_is_blank(r) {
            if let Ok(well) = WellId::parse(&sheet.display(r, well_col)) {
                entries.push((r, well));
            }
            r += 1;
        }
        let wells: Vec<(usize, WellId)> = entries.iter().map(|(r, w)| (*r, *w)).collect();
        let shape = shape_for(&wells, None)?;
        for (c, label) in value_cols {
            let mut read = Read::empty(label.clone(), shape);
            read.kind = classify(&label);
            read.wavelength_nm = label_wavelength(&label);
            let mut numbers = 0;
            let mut texts = 0;
            for (er, well) in &entries {
                let cell = sheet.get(*er, c);
                match cell.value(decimal_comma) {
                    CellValue::Number(_) => numbers += 1,
                    CellValue::Text(_) => texts += 1,
                    _ => {}
                }
                set_cell_at(&mut read, shape, *well, sheet, (*er, c), decimal_comma);
            }
            if numbers > 0 && texts <= numbers {
                builder.push(read, shape, warnings, &sheet.row_location(row));
            }
        }
        return Some(r);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::import_bytes;
    use super::*;

    fn results_text(delimiter: &str, value: &str) -> String {
        let d = delimiter;
        let mut text = format!(
            "Software Version{d}3.12.08\n\nPlate Number{d}Plate 1\nReader Type:{d}Synergy H1\n\
             Procedure Details\n{d}Absorbance Endpoint\n{d}Wavelengths:  450, 630\nResults\n"
        );
        text.push_str(d);
        text.push_str(&(1..=12).map(|c| c.to_string()).collect::<Vec<_>>().join(d));
        text.push('\n');
        for row in "ABCDEFGH".chars() {
            let vals = [value; 12].join(d);
            text.push_str(&format!("{row}{d}{vals}{d}450nm:450\n"));
            let vals = ["OVRFLW"; 12].join(d);
            text.push_str(&format!("{d}{vals}{d}630nm:630\n"));
        }
        text
    }

    #[test]
    fn semicolon_export_with_decimal_commas_and_cp1252() {
        let mut bytes = results_text(";", "0,125").into_bytes();
        bytes.extend_from_slice(b"\nT\xB0 450\n");
        let imported = import_bytes(&bytes).unwrap();
        assert_eq!(imported.format, TEXT_ID);
        let plate = &imported.plates[0];
        assert_eq!(plate.reads.len(), 2);
        assert_eq!(plate.reads[0].wavelength_nm, Some(450.0));
        assert_eq!(plate.value(0, WellId::parse("H12").unwrap()), Some(0.125));
        assert_eq!(plate.reads[1].wavelength_nm, Some(630.0));
        assert_eq!(
            plate.reads[1]
                .flags
                .get(&WellId::parse("B7").unwrap())
                .unwrap(),
            "OVRFLW"
        );
        assert_eq!(plate.metadata.get("instrument").unwrap(), "Synergy H1");
    }

    #[test]
    fn utf16_export_with_two_plates() {
        let text = format!(
            "{}\n{}",
            results_text("\t", "0.5"),
            results_text("\t", "*0.356*")
        );
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.replace('\n', "\r\n").encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let imported = import_bytes(&bytes).unwrap();
        assert_eq!(imported.plates.len(), 2);
        let second = &imported.plates[1];
        assert_eq!(
            second.reads[0]
                .flags
                .get(&WellId::parse("A1").unwrap())
                .unwrap(),
            "*0.356*"
        );
    }

    #[test]
    fn kinetic_table_gives_one_read_per_time_point() {
        let text = "Software Version\t3.08\nPlate Number\tPlate 1\nReader Type:\tEpoch\n\
            Start Kinetic\tRuntime 0:02:00, Interval 0:01:00, 3 Reads\n\n450\n\n\
            Time\tT\u{b0} 450\tA1\tA2\tH12\n0:00:00\t37.0\t0.1\t0.2\t0.3\n0:01:00\t37.0\t0.11\t-0.000\tOVRFLW\n\n";
        let imported = import_bytes(text.as_bytes()).unwrap();
        let plate = &imported.plates[0];
        assert_eq!(plate.reads.len(), 2);
        assert_eq!(plate.reads[1].time_s, Some(60.0));
        assert_eq!(plate.reads[1].wavelength_nm, Some(450.0));
        assert_eq!(plate.value(1, WellId::parse("A2").unwrap()), Some(-0.0));
        assert_eq!(
            plate.reads[1]
                .flags
                .get(&WellId::parse("H12").unwrap())
                .unwrap(),
            "OVRFLW"
        );
    }

    #[test]
    fn labels_classify() {
        assert_eq!(classify("450nm:450"), ReadKind::Raw);
        assert_eq!(classify("Blank 450nm:450"), ReadKind::Derived);
        assert_eq!(classify("[Concentration]"), ReadKind::Derived);
        assert_eq!(classify("Delta OD:450-630"), ReadKind::Difference);
        assert_eq!(classify("450-630"), ReadKind::Difference);
        assert_eq!(label_wavelength("Fluo:485,528"), Some(485.0));
        assert_eq!(label_wavelength("OD600:450"), Some(450.0));
    }
}
