//! PerkinElmer EnVision Workstation CSV (`perkinelmer-envision-csv`) and Revvity/PerkinElmer
//! Kaleido CSV (`revvity-kaleido-csv`, EnSight / VICTOR Nivo software).
//!
//! EnVision: repeating `Plate information` sections (header row + value row giving plate
//! number, repeat, label), `Background information`, then the data — a titled grid
//! (`Results for …`, `Calculated results: …`) with a `01 … 12` header and lettered rows, or
//! an untitled block of 8 (16) lines of 12 (24) numbers with no labels at all. Grids after
//! `Platemap:` are placeholders and are ignored.
//!
//! Kaleido: `Results for<NBSP>…` / `Result for …` titles, a grid below; metadata after the
//! data (`Software version:`, `Excitation wavelength [nm],,,,450`); the `Platemap` grid of
//! `-` is ignored.

use std::collections::BTreeMap;

use crate::plate::{Plate, PlateShape, Read, ReadKind, ReadMode, WellId};

use super::cell::CellValue;
use super::grid::{fill_read, header_in_row, lettered_rows, put_meta, set_cell, wavelength_in};
use super::text::TextSource;
use super::workbook::Sheet;
use super::{ImportError, Imported};

/// Format id of EnVision CSV exports.
pub(crate) const ENVISION_ID: &str = "perkinelmer-envision-csv";
/// Format id of Kaleido CSV exports.
pub(crate) const KALEIDO_ID: &str = "revvity-kaleido-csv";

fn clean(text: &str) -> String {
    text.replace('\u{a0}', " ").trim().to_string()
}

pub(crate) fn detect_envision(source: &TextSource) -> bool {
    let first = source.lines.iter().find(|l| !l.trim().is_empty());
    let last = source.lines.iter().rev().find(|l| !l.trim().is_empty());
    first.is_some_and(|l| l.trim().starts_with("Plate information"))
        || last.is_some_and(|l| l.trim().starts_with("Exported with EnVision"))
}

pub(crate) fn detect_kaleido(source: &TextSource) -> bool {
    let head: Vec<String> = source.lines.iter().take(30).map(|l| clean(l)).collect();
    head.iter().any(|l| l.starts_with("EnSight Results from"))
        || (head.iter().any(|l| l.starts_with("Results for"))
            && head
                .iter()
                .any(|l| l.starts_with("Barcode:") && l.contains("PlateRepeat")))
        || source
            .lines
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| l.trim().starts_with("Exported with Kaleido"))
}

fn decimal_comma(source: &TextSource) -> (char, bool) {
    let delimiter = source.guess_delimiter();
    (delimiter, delimiter == ';')
}

/// The smallest standard plate that holds `rows` × `cols`.
fn shape_holding(rows: usize, cols: usize) -> Option<PlateShape> {
    [
        PlateShape::WELLS_96,
        PlateShape::WELLS_384,
        PlateShape::WELLS_1536,
    ]
    .into_iter()
    .find(|s| rows <= s.rows && cols <= s.cols)
}

struct PlateAcc {
    key: String,
    shape: PlateShape,
    reads: Vec<Read>,
    metadata: BTreeMap<String, String>,
}

fn push_read(
    plates: &mut Vec<PlateAcc>,
    key: &str,
    shape: PlateShape,
    read: Read,
    warnings: &mut Vec<String>,
) {
    if let Some(plate) = plates.iter_mut().find(|p| p.key == key) {
        if plate.shape == shape {
            plate.reads.push(read);
        } else {
            warnings.push(format!(
                "read {:?} is {shape}, plate {key} is {}; skipped",
                read.label, plate.shape
            ));
        }
    } else {
        plates.push(PlateAcc {
            key: key.to_string(),
            shape,
            reads: vec![read],
            metadata: BTreeMap::new(),
        });
    }
}

#[allow(clippy::too_many_lines)]
pub(crate) fn parse_envision(source: &TextSource) -> Result<Imported, ImportError> {
    let (delimiter, comma) = decimal_comma(source);
    let sheet = Sheet::from_text(source, delimiter);
    let mut plates: Vec<PlateAcc> = Vec::new();
    let mut warnings = Vec::new();
    let mut file_meta = BTreeMap::new();
    put_meta(&mut file_meta, "software", "EnVision Workstation");
    let mut plate_key = "1".to_string();
    let mut info_label = String::new();
    let mut repeat = String::new();
    let mut info_meta: BTreeMap<String, String> = BTreeMap::new();
    let mut row = 0;
    let mut expect_untitled = false;
    let mut after_platemap = false;
    while row < sheet.rows() {
        let first = sheet.first_text(row).map(|(_, t)| t).unwrap_or_default();
        if first.starts_with("Platemap") {
            after_platemap = true;
        }
        if first.starts_with("Plate information") && !after_platemap {
            // Header row, then value row.
            let header: Vec<String> = (0..sheet.row_len(row + 1))
                .map(|c| sheet.display(row + 1, c))
                .collect();
            let values: Vec<String> = (0..sheet.row_len(row + 2))
                .map(|c| sheet.display(row + 2, c))
                .collect();
            info_label.clear();
            repeat.clear();
            info_meta.clear();
            for (h, v) in header.iter().zip(values.iter()) {
                let v = v.trim_start_matches("=\"").trim_end_matches('"').trim();
                match h.as_str() {
                    "Plate" => plate_key = v.to_string(),
                    "Repeat" => repeat = v.to_string(),
                    "Label" => info_label = v.to_string(),
                    "Barcode" => put_meta(&mut info_meta, "barcode", v),
                    "Measinfo" => put_meta(&mut info_meta, "measinfo", v),
                    "Measurement date" => put_meta(&mut info_meta, "date", v),
                    _ => {}
                }
            }
            // The data may follow directly as a bare grid (no title, no header, no row
            // letters), with or without a `Background information` section in between.
            expect_untitled = true;
            row += 3;
            continue;
        }
        if first.starts_with("Background information") {
            row += 1;
            while row < sheet.rows() && !sheet.row_is_blank(row) {
                row += 1;
            }
            expect_untitled = true;
            continue;
        }
        if let Some((key, value)) = trailer_pair(&sheet, row) {
            let name = match key.trim_end_matches(':').trim() {
                "Exported with EnVision Workstation version" => "software_version",
                "Protocol name" | "Protocol Name" => "protocol",
                "Serial#" => "serial",
                "Assay Started" => "assay_started",
                "Number of rows" => "plate_rows",
                "Number of columns" => "plate_cols",
                "Name of the plate type" => "plate_type",
                _ => "",
            };
            if !name.is_empty() {
                let value = value.trim_start_matches('=').trim_matches('"');
                put_meta(&mut file_meta, name, value);
            }
        }
        if let Some(version) = first.strip_prefix("Exported with EnVision Workstation version") {
            put_meta(&mut file_meta, "software_version", version);
        }
        if let Some(header) = header_in_row(&sheet, row).filter(|_| !after_platemap) {
            expect_untitled = false;
            let rows = lettered_rows(&sheet, header);
            let title = row
                .checked_sub(1)
                .and_then(|r| sheet.first_text(r))
                .map(|(_, t)| t)
                .unwrap_or_default();
            let label = title
                .strip_prefix("Results for ")
                .or_else(|| title.strip_prefix("Calculated results: "))
                .unwrap_or(if title.is_empty() {
                    &info_label
                } else {
                    &title
                })
                .trim()
                .to_string();
            let shape = header.shape();
            let mut filled = fill_read(&sheet, &label, shape, &rows, header.first_col, comma);
            row = header.row + 1 + rows.len();
            if !filled.is_numeric() {
                warnings.push(format!(
                    "line {}: grid {label:?} holds no numbers; skipped",
                    header.row + 1
                ));
                continue;
            }
            finish_read(&mut filled.read, &title, &info_label, &repeat);
            if filled.read.kind == ReadKind::Raw {
                filled.read.mode =
                    envision_mode(&format!("{label} {info_label}"), info_meta.get("measinfo"));
            }
            push_read(&mut plates, &plate_key, shape, filled.read, &mut warnings);
            merge(&mut plates, &plate_key, &info_meta);
            continue;
        }
        if !expect_untitled
            && !after_platemap
            && !sheet.row_is_blank(row)
            && let Some((_, _, next)) = untitled_grid(&sheet, row, "", comma)
        {
            warnings.push(format!(
                "lines {}–{next}: a plate-shaped grid of numbers that no `Plate information` section precedes; ignored",
                row + 1
            ));
            row = next;
            continue;
        }
        if expect_untitled && !sheet.row_is_blank(row) {
            expect_untitled = false;
            if let Some((read, shape, next)) = untitled_grid(&sheet, row, &info_label, comma) {
                let mut read = read;
                finish_read(&mut read, "", &info_label, &repeat);
                read.mode = envision_mode(&info_label, info_meta.get("measinfo"));
                push_read(&mut plates, &plate_key, shape, read, &mut warnings);
                merge(&mut plates, &plate_key, &info_meta);
                row = next;
                continue;
            }
        }
        row += 1;
    }
    build(ENVISION_ID, plates, file_meta, warnings)
}

fn merge(plates: &mut [PlateAcc], key: &str, meta: &BTreeMap<String, String>) {
    if let Some(plate) = plates.iter_mut().find(|p| p.key == key) {
        for (k, v) in meta {
            plate.metadata.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

/// `Key,,,,value` trailer lines: first cell and last non-empty cell.
fn trailer_pair(sheet: &Sheet, row: usize) -> Option<(String, String)> {
    let (col, key) = sheet.first_text(row)?;
    let last = (col + 1..sheet.row_len(row))
        .rev()
        .find(|&c| !sheet.get(row, c).is_blank())?;
    Some((clean(&key), clean(&sheet.display(row, last))))
}

fn finish_read(read: &mut Read, title: &str, info_label: &str, repeat: &str) {
    let lower = title.to_ascii_lowercase();
    read.kind = if lower.starts_with("calculated") {
        ReadKind::Derived
    } else {
        ReadKind::Raw
    };
    if read.label.is_empty() {
        read.label = if info_label.is_empty() {
            "value".into()
        } else {
            info_label.to_string()
        };
    }
    if !repeat.is_empty() && repeat != "1" {
        read.label = format!("{} (repeat {repeat})", read.label);
    }
    if read.kind == ReadKind::Raw {
        read.wavelength_nm = wavelength_in(&read.label).or_else(|| wavelength_in(info_label));
    }
}

/// The read mode an EnVision label (`A450(1)`, `BCA Absorbance @ 562(1)`, `Luminescence`,
/// `AC HTRF Laser [Eu]`) and measurement info (`Ex=Btm Em=N/A`: no emission, absorbance)
/// name.
fn envision_mode(label: &str, measinfo: Option<&String>) -> Option<ReadMode> {
    let lower = label.to_ascii_lowercase();
    let a_number = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.len() == 4 && w.starts_with('a') && w[1..].chars().all(|c| c.is_ascii_digit()));
    if lower.contains("absorbance") || a_number {
        return Some(ReadMode::Absorbance);
    }
    if lower.contains("lum") {
        return Some(ReadMode::Luminescence);
    }
    if ["fluo", "htrf", "fret", "laser", "fp ", "alpha"]
        .iter()
        .any(|k| lower.contains(k))
    {
        return Some(ReadMode::Fluorescence);
    }
    measinfo
        .filter(|m| m.replace(' ', "").contains("Em=N/A"))
        .map(|_| ReadMode::Absorbance)
}

/// An untitled block of numeric lines (no header, no row letters) starting at `start`.
fn untitled_grid(
    sheet: &Sheet,
    start: usize,
    label: &str,
    comma: bool,
) -> Option<(Read, PlateShape, usize)> {
    let mut rows = Vec::new();
    let mut cols = 0;
    let mut row = start;
    while row < sheet.rows() && rows.len() < 32 {
        let cells = sheet.row(row);
        if cells.is_empty()
            || cells
                .iter()
                .any(|c| matches!(c.value(comma), CellValue::Text(_)))
        {
            break;
        }
        if !cells
            .iter()
            .any(|c| matches!(c.value(comma), CellValue::Number(_)))
        {
            break;
        }
        cols = cols.max(cells.len());
        rows.push(row);
        row += 1;
    }
    let shape = shape_holding(rows.len(), cols)?;
    if rows.len() < 2 {
        return None;
    }
    let mut read = Read::empty(label, shape);
    for (r, sheet_row) in rows.iter().enumerate() {
        for c in 0..shape.cols {
            set_cell(
                &mut read,
                shape,
                WellId::new(r, c),
                sheet.get(*sheet_row, c),
                comma,
            );
        }
    }
    // EnVision writes every row of the plate; fewer lines than the plate has rows means the
    // grid was cut short.
    super::grid::mark_missing_rows(&mut read, sheet, shape, &rows);
    Some((read, shape, row))
}

fn build(
    id: &str,
    plates: Vec<PlateAcc>,
    file_meta: BTreeMap<String, String>,
    warnings: Vec<String>,
) -> Result<Imported, ImportError> {
    if plates.is_empty() {
        return Err(ImportError::malformed(
            id,
            "whole file",
            "no result grid found (expected a `Results for …` title followed by a 1 … 12 header and rows A-H)",
        ));
    }
    let mut warnings = warnings;
    // The trailer's declared plate size against the grids found.
    let declared = |key: &str| {
        file_meta
            .get(key)
            .and_then(|v| v.trim().parse::<usize>().ok())
    };
    if let (Some(rows), Some(cols)) = (declared("plate_rows"), declared("plate_cols")) {
        for acc in plates
            .iter()
            .filter(|acc| (acc.shape.rows, acc.shape.cols) != (rows, cols))
        {
            warnings.push(format!(
                "plate {}: the file declares {rows} rows × {cols} columns (`Number of rows`, `Number of columns`), but its grids are a {}; read as found, check the plate type",
                acc.key, acc.shape
            ));
        }
    }
    let plates = plates
        .into_iter()
        .map(|acc| {
            let mut plate = Plate::new(format!("Plate {}", acc.key), acc.shape);
            plate.reads = acc.reads;
            plate.metadata = acc.metadata;
            for (k, v) in &file_meta {
                plate.metadata.entry(k.clone()).or_insert_with(|| v.clone());
            }
            plate
        })
        .collect();
    Ok(Imported {
        format: id.into(),
        plates,
        warnings,
    })
}

pub(crate) fn parse_kaleido(source: &TextSource) -> Result<Imported, ImportError> {
    let (delimiter, comma) = decimal_comma(source);
    let sheet = Sheet::from_text(source, delimiter);
    let mut plates: Vec<PlateAcc> = Vec::new();
    let mut warnings = Vec::new();
    let mut meta = BTreeMap::new();
    put_meta(&mut meta, "software", "Kaleido");
    let mut excitation: Option<f64> = None;
    let mut platemap = false;
    let mut title = String::new();
    let mut barcode = String::new();
    let mut row = 0;
    while row < sheet.rows() {
        let first = sheet
            .first_text(row)
            .map(|(_, t)| clean(&t))
            .unwrap_or_default();
        if first.starts_with("Platemap") {
            platemap = true;
        }
        if first.starts_with("Results for") || first.starts_with("Result for") {
            title = first
                .trim_start_matches("Results for")
                .trim_start_matches("Result for")
                .trim()
                .to_string();
            platemap = false;
        }
        if first.starts_with("Barcode:") {
            let line = (0..sheet.row_len(row))
                .map(|c| sheet.display(row, c))
                .collect::<Vec<_>>()
                .join(",");
            let line = clean(&line);
            if let Some(rest) = line.strip_prefix("Barcode:") {
                barcode = rest.split(',').next().unwrap_or("").trim().to_string();
            }
        }
        if let Some((key, value)) = trailer_pair(&sheet, row) {
            match key.trim_end_matches(':').trim() {
                "Software version" => {
                    put_meta(&mut meta, "software_version", &value);
                }
                "Instrument Serial Number" => put_meta(&mut meta, "serial", &value),
                "Measurement Started" | "Measurement Date" => put_meta(&mut meta, "date", &value),
                "Protocol Name" => put_meta(&mut meta, "protocol", &value),
                "Plate Type Name" => put_meta(&mut meta, "plate_type", &value),
                "Excitation wavelength [nm]" => {
                    put_meta(&mut meta, "excitation_nm", &value);
                    if excitation.is_none() {
                        excitation = value.parse::<f64>().ok().filter(|v| *v > 0.0);
                    }
                }
                _ => {}
            }
        }
        if let Some(header) = header_in_row(&sheet, row) {
            let rows = lettered_rows(&sheet, header);
            row = header.row + 1 + rows.len();
            if platemap {
                continue;
            }
            let shape = header.shape();
            let label = if title.is_empty() {
                "value".to_string()
            } else {
                title.clone()
            };
            let filled = fill_read(&sheet, &label, shape, &rows, header.first_col, comma);
            if !filled.is_numeric() {
                warnings.push(format!(
                    "line {}: grid {label:?} holds no numbers; skipped",
                    header.row + 1
                ));
                continue;
            }
            let key = if barcode.is_empty() {
                "1".to_string()
            } else {
                barcode.clone()
            };
            push_read(&mut plates, &key, shape, filled.read, &mut warnings);
            continue;
        }
        row += 1;
    }
    // The wavelength lives in the Measurements table after the data.
    for plate in &mut plates {
        for read in &mut plate.reads {
            let lower = read.label.to_ascii_lowercase();
            if lower.contains("abs")
                || read.wavelength_nm.is_none() && excitation.is_some() && lower.contains("fluo")
            {
                read.wavelength_nm = excitation.or_else(|| wavelength_in(&read.label));
            }
        }
    }
    let mut imported = build(KALEIDO_ID, plates, meta, warnings)?;
    for plate in &mut imported.plates {
        if let Some(name) = plate.name.strip_prefix("Plate ").filter(|n| *n != "1") {
            plate.name = name.to_string();
        }
    }
    Ok(imported)
}

#[cfg(test)]
mod tests {
    use super::super::import_bytes;
    use super::*;

    #[test]
    fn envision_untitled_384_grid_after_background() {
        let mut text = String::from(
            "Plate information\r\nPlate,Repeat,Barcode,Label,Measinfo,\r\n1,1,\"=\"\"B1\"\"\",BCA Absorbance @ 562(1),De=1st Ex=Btm Em=N/A,\r\n\r\nBackground information\r\nPlate,Label,Result,\r\n1,x,0,\r\n\r\n",
        );
        for r in 0..16 {
            let vals: Vec<String> = (0..24).map(|c| format!("{}.{r:02}{c:02}", r % 3)).collect();
            text.push_str(&vals.join(","));
            text.push_str("\r\n");
        }
        text.push_str(",,,,\r\n\r\nExported with EnVision Workstation version 1.14\r\n");
        let imported = import_bytes(text.as_bytes()).unwrap();
        assert_eq!(imported.format, ENVISION_ID);
        let plate = &imported.plates[0];
        assert_eq!(plate.shape, PlateShape::WELLS_384);
        assert_eq!(plate.reads[0].wavelength_nm, Some(562.0));
        assert_eq!(plate.value(0, WellId::parse("P24").unwrap()), Some(0.1523));
        assert_eq!(plate.metadata.get("barcode").unwrap(), "B1");
    }

    #[test]
    fn kaleido_nbsp_title_and_wavelength_from_trailer() {
        let mut text = String::from(
            "\r\n\r\nResults for\u{a0}ABS mono 1\r\n\r\nBarcode:\u{a0} X1,\u{a0}PlateRepeat:\u{a0} 1,\u{a0}WellRepeat:\u{a0} 1\r\n,1,2,3,4,5,6,7,8,9,10,11,12\r\n",
        );
        for r in "ABCDEFGH".chars() {
            text.push(r);
            text.push_str(",0.5,N/A,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5\r\n");
        }
        text.push_str("Measurements:\r\nExcitation wavelength [nm],,,,450\r\n");
        let imported = import_bytes(text.as_bytes()).unwrap();
        assert_eq!(imported.format, KALEIDO_ID);
        let plate = &imported.plates[0];
        assert_eq!(plate.name, "X1");
        assert_eq!(plate.reads[0].label, "ABS mono 1");
        assert_eq!(plate.reads[0].wavelength_nm, Some(450.0));
        assert_eq!(
            plate.reads[0]
                .flags
                .get(&WellId::parse("C2").unwrap())
                .unwrap(),
            "N/A"
        );
    }
}
