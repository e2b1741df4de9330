//! Thermo Fisher exports: SkanIt Software 6/7 Excel (`thermo-skanit-xlsx`), SkanIt for
//! Multiskan Sky Excel (`thermo-multiskan-sky-xlsx`) and the Multiskan
//! `Results of Photometric1` text export (`thermo-multiskan-text`).
//!
//! SkanIt: one sheet per step (`Absorbance 1_01`, `Blank Subtraction 1_02` …), each with
//! `Wavelength: 450 nm`, a plate name line and grids whose corner cell names the quantity
//! (`Abs`, `Blank subtracted`, `Value`; `Sample` grids hold names and are skipped). Exactly
//! N columns after the corner are read, so user formulas beside the grid are ignored.
//!
//! Multiskan Sky: `Raw data NNN nm` sheets in long form (`Well | Wavelength(s) [nm] | Raw
//! absorbance | Measurement time(s)`, wells written `A 2`), one read per reading.
//!
//! Multiskan text: `Plate:1 - Wavelength:340`, `Iteration: N`, then rows with a leading tab
//! and no labels. A stray empty field inside a row is padding (the row still carries its
//! values for columns 1…N in order), so surplus empty fields between values are dropped.

use std::collections::BTreeMap;

use crate::plate::{Plate, PlateShape, Read, ReadKind, WellId, row_index_from_label};

use super::cell::{CellValue, parse_cell};
use super::grid::{fill_read, header_in_row, lettered_rows, meta_text, put_meta, wavelength_in};
use super::text::{TextSource, split_fields};
use super::workbook::{Cell, Sheet, Workbook};
use super::{ImportError, Imported};

/// Format id of SkanIt Excel exports.
pub(crate) const SKANIT_ID: &str = "thermo-skanit-xlsx";
/// Format id of Multiskan Sky Excel exports.
pub(crate) const SKY_ID: &str = "thermo-multiskan-sky-xlsx";
/// Format id of Multiskan `Results of Photometric` text exports.
pub(crate) const MULTISKAN_TEXT_ID: &str = "thermo-multiskan-text";

const INFO_SHEETS: [&str; 3] = [
    "General information",
    "Session information",
    "Instrument information",
];

fn is_skanit_step(sheet: &Sheet) -> bool {
    sheet.text(0, 0).is_some_and(|t| t == "Measurement results")
}

pub(crate) fn detect_skanit(book: &Workbook) -> bool {
    book.sheets.iter().any(is_skanit_step)
        && (book
            .sheets
            .iter()
            .any(|s| INFO_SHEETS.contains(&s.name.as_str()))
            || book
                .sheets
                .iter()
                .any(|s| s.text(1, 0).is_some_and(|t| t.ends_with(".skax"))))
        && !detect_sky(book)
}

/// Key/value pairs of the info sheets (key in column B or C, value in column D or E).
fn info_pairs(sheet: &Sheet) -> Vec<(String, Cell)> {
    (0..sheet.rows())
        .filter_map(|r| {
            let key_col = (0..sheet.row_len(r)).find(|&c| !sheet.get(r, c).is_blank())?;
            let value_col =
                (key_col + 1..sheet.row_len(r)).find(|&c| !sheet.get(r, c).is_blank())?;
            Some((sheet.display(r, key_col), sheet.get(r, value_col).clone()))
        })
        .collect()
}

fn info_metadata(book: &Workbook, meta: &mut BTreeMap<String, String>) {
    for sheet in &book.sheets {
        if !INFO_SHEETS.contains(&sheet.name.as_str()) {
            continue;
        }
        for (key, value) in info_pairs(sheet) {
            let name = match key.trim().trim_end_matches(':') {
                "Report generated with SW version" | "Version" => "software_version",
                "Executed with" => "executed_with",
                "Name" => "instrument",
                "Serial number" => "serial",
                "ESW version" | "Firmware version" => "firmware",
                "Execution time" => "date",
                "Session name" => "session",
                "Wavelength(s) [nm]" => "wavelengths",
                "Kinetic interval" => "kinetic_interval",
                "Measurement type" => "measurement_type",
                "Plate template" => "plate_type",
                _ => continue,
            };
            put_meta(meta, name, &meta_text(&value, false));
        }
    }
}

pub(crate) fn parse_skanit(book: &Workbook) -> Result<Imported, ImportError> {
    let mut meta = BTreeMap::new();
    put_meta(&mut meta, "software", "SkanIt");
    info_metadata(book, &mut meta);
    let mut plates: Vec<Plate> = Vec::new();
    let mut warnings = Vec::new();
    for sheet in book.sheets.iter().filter(|s| is_skanit_step(s)) {
        put_meta(&mut meta, "session_file", &sheet.display(1, 0));
        // The step name: first text after the three title rows.
        let step = (3..sheet.rows().min(10))
            .find_map(|r| {
                sheet
                    .first_text(r)
                    .map(|(_, t)| t)
                    .filter(|t| !t.trim().is_empty())
            })
            .unwrap_or_else(|| sheet.name.clone());
        let lower_step = step.to_ascii_lowercase();
        let measured = [
            "absorbance",
            "fluorescence",
            "luminescence",
            "photometric",
            "fluorometric",
        ]
        .iter()
        .any(|m| lower_step.starts_with(m));
        let mut wavelength: Option<f64> = None;
        let mut current_plate = "Plate 1".to_string();
        let mut row = 0;
        while row < sheet.rows() {
            if let Some(text) = sheet.text(row, 0)
                && let Some(rest) = text.strip_prefix("Wavelength:")
            {
                wavelength = wavelength_in(rest);
            }
            let Some(header) = header_in_row(sheet, row) else {
                row += 1;
                continue;
            };
            let rows = lettered_rows(sheet, header);
            row = header.row + 1 + rows.len();
            let corner = sheet.display(header.row, header.first_col.saturating_sub(1));
            let corner_col = header.first_col.saturating_sub(1);
            let found = (1..=4)
                .filter_map(|up| header.row.checked_sub(up))
                .map(|r| sheet.display(r, corner_col))
                .find(|t| {
                    let t = t.trim();
                    !t.is_empty()
                        && row_index_from_label(t).is_none()
                        && !t.starts_with("Wavelength:")
                        && !t.starts_with("Autoloading")
                });
            if let Some(name) = found {
                current_plate = name.trim().to_string();
            }
            let plate_name = current_plate.clone();
            let label = format!("{step}: {corner}");
            let shape = header.shape();
            let mut filled = fill_read(sheet, &label, shape, &rows, header.first_col, false);
            if !filled.is_numeric() {
                if !corner.eq_ignore_ascii_case("Sample") {
                    warnings.push(format!(
                        "{}: grid {label:?} holds no numbers; skipped",
                        sheet.row_location(header.row)
                    ));
                }
                continue;
            }
            let raw_corner = ["abs", "rlu", "rfu", "od", "value", "raw"]
                .contains(&corner.to_ascii_lowercase().as_str());
            filled.read.kind = if measured && raw_corner {
                ReadKind::Raw
            } else {
                ReadKind::Derived
            };
            filled.read.wavelength_nm = wavelength;
            match plates.iter_mut().find(|p| p.name == plate_name) {
                Some(plate) if plate.shape == shape => plate.reads.push(filled.read),
                Some(plate) => warnings.push(format!(
                    "{}: a {shape} grid for the {} plate {plate_name:?}; skipped",
                    sheet.row_location(header.row),
                    plate.shape
                )),
                None => {
                    let mut plate = Plate::new(plate_name, shape);
                    plate.reads.push(filled.read);
                    plates.push(plate);
                }
            }
        }
    }
    if plates.is_empty() {
        return Err(ImportError::malformed(
            SKANIT_ID,
            "workbook",
            "no numeric grid found in the step sheets (expected a corner cell such as `Abs` with 1 … 12 to its right)",
        ));
    }
    for plate in &mut plates {
        plate.metadata = meta.clone();
    }
    Ok(Imported {
        format: SKANIT_ID.into(),
        plates,
        warnings,
    })
}

fn is_sky_raw_sheet(name: &str) -> bool {
    name.starts_with("Raw data") && name.ends_with("nm")
}

pub(crate) fn detect_sky(book: &Workbook) -> bool {
    (book.sheet("Absorbance results").is_some()
        || book.sheets.iter().any(|s| is_sky_raw_sheet(&s.name)))
        && book
            .sheets
            .iter()
            .any(|s| s.any_text(|t| t.contains("Multiskan")))
}

/// One reading of the long raw sheet: wavelength, reading index, time, well cells.
type Reading = (f64, usize, Option<f64>, Vec<(WellId, Cell)>);

pub(crate) fn parse_sky(book: &Workbook) -> Result<Imported, ImportError> {
    let mut meta = BTreeMap::new();
    put_meta(&mut meta, "software", "SkanIt for Multiskan Sky");
    info_metadata(book, &mut meta);
    let plate_wells = meta.get("plate_type").and_then(|t| {
        [1536usize, 384, 96]
            .into_iter()
            .find(|n| t.contains(&n.to_string()))
    });
    let kinetic = meta
        .get("measurement_type")
        .is_some_and(|t| t.eq_ignore_ascii_case("Kinetic"));
    // (wavelength, reading index) -> (time, values)
    let mut series: Vec<Reading> = Vec::new();
    let mut warnings = Vec::new();
    for sheet in book.sheets.iter().filter(|s| is_sky_raw_sheet(&s.name)) {
        let Some(header_row) =
            (0..sheet.rows().min(30)).find(|&r| sheet.text(r, 0).is_some_and(|t| t == "Well"))
        else {
            warnings.push(format!("sheet {:?}: no `Well` header; skipped", sheet.name));
            continue;
        };
        let find = |pred: &dyn Fn(&str) -> bool| {
            (0..sheet.row_len(header_row)).find(|&c| sheet.text(header_row, c).is_some_and(pred))
        };
        let wl_col = find(&|t| t.starts_with("Wavelength"));
        let value_col =
            find(&|t| t.contains("absorbance") || t.contains("Absorbance") || t.starts_with("Raw"));
        let time_col = find(&|t| t.contains("time"));
        let Some(value_col) = value_col else {
            warnings.push(format!("sheet {:?}: no value column; skipped", sheet.name));
            continue;
        };
        let sheet_wl = wavelength_in(&sheet.name);
        let mut seen: BTreeMap<(u64, WellId), usize> = BTreeMap::new();
        for row in header_row + 1..sheet.rows() {
            let Ok(well) = WellId::parse(&sheet.display(row, 0)) else {
                break;
            };
            let wl = wl_col
                .and_then(|c| sheet.get(row, c).number())
                .or(sheet_wl)
                .unwrap_or(0.0);
            let counter = seen.entry((wl.to_bits(), well)).or_insert(0);
            let reading = *counter;
            *counter += 1;
            let time = time_col.and_then(|c| sheet.get(row, c).number());
            let cell = sheet.get(row, value_col).clone();
            match series
                .iter_mut()
                .find(|(w, r, _, _)| w.to_bits() == wl.to_bits() && *r == reading)
            {
                Some((_, _, t, cells)) => {
                    if let (Some(new), Some(old)) = (time, *t) {
                        *t = Some(old.min(new));
                    } else if t.is_none() {
                        *t = time;
                    }
                    cells.push((well, cell));
                }
                None => series.push((wl, reading, time, vec![(well, cell)])),
            }
        }
    }
    let wells: Vec<WellId> = series
        .iter()
        .flat_map(|(_, _, _, c)| c.iter().map(|(w, _)| *w))
        .collect();
    let shape = [
        plate_wells.and_then(PlateShape::from_well_count),
        Some(PlateShape::WELLS_96),
        Some(PlateShape::WELLS_384),
    ]
    .into_iter()
    .flatten()
    .find(|s| wells.iter().all(|w| s.contains(*w)))
    .ok_or_else(|| {
        ImportError::malformed(
            SKY_ID,
            "raw data sheets",
            "wells do not fit a 96- or 384-well plate",
        )
    })?;
    if series.is_empty() {
        return Err(ImportError::malformed(
            SKY_ID,
            "workbook",
            "expected a `Raw data NNN nm` sheet with `Well | Wavelength(s) [nm] | Raw absorbance` rows",
        ));
    }
    let single = series.iter().all(|(_, r, _, _)| *r == 0);
    let mut plate = Plate::new("Plate 1", shape);
    for (wl, reading, time, cells) in series {
        let wavelength = (wl > 0.0).then_some(wl);
        let label = if single && !kinetic {
            format!("{} nm", super::workbook::format_number(wl))
        } else {
            format!(
                "{} nm reading {reading}",
                super::workbook::format_number(wl)
            )
        };
        let mut read = Read::empty(label, shape);
        read.wavelength_nm = wavelength;
        read.time_s = if kinetic || !single { time } else { None };
        for (well, cell) in cells {
            super::grid::set_cell(&mut read, shape, well, &cell, false);
        }
        plate.reads.push(read);
    }
    plate.metadata = meta;
    Ok(Imported {
        format: SKY_ID.into(),
        plates: vec![plate],
        warnings,
    })
}

pub(crate) fn detect_multiskan_text(source: &TextSource) -> bool {
    source
        .lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim().starts_with("Results of Photometric"))
        || source.lines.iter().take(10).any(|l| {
            let t = l.trim();
            t.starts_with("Plate:") && t.contains("Wavelength:")
        }) && source
            .lines
            .iter()
            .take(20)
            .any(|l| l.trim().starts_with("Iteration:"))
}

/// Drops surplus empty fields that lie between values, so that `fields` keeps `cols`
/// entries (the Multiskan stray-tab quirk). Rows with the expected count are untouched.
fn normalise_row(mut fields: Vec<String>, cols: usize) -> Vec<String> {
    while fields.len() > cols {
        let last_value = fields.iter().rposition(|f| !f.trim().is_empty());
        let stray = fields
            .iter()
            .enumerate()
            .position(|(i, f)| f.trim().is_empty() && last_value.is_some_and(|l| i < l));
        match stray {
            Some(i) => {
                fields.remove(i);
            }
            None => fields.truncate(cols),
        }
    }
    fields
}

pub(crate) fn parse_multiskan_text(source: &TextSource) -> Result<Imported, ImportError> {
    let lines = &source.lines;
    let mut plates: Vec<Plate> = Vec::new();
    let mut warnings = Vec::new();
    let mut plate_name = "Plate 1".to_string();
    let mut wavelength: Option<f64> = None;
    let mut title = String::new();
    let mut idx = 0;
    while idx < lines.len() {
        let line = lines[idx].trim();
        if line.starts_with("Results of") {
            title = line.to_string();
        }
        if let Some(rest) = line.strip_prefix("Plate:") {
            let (plate, wl) = rest.split_once('-').unwrap_or((rest, ""));
            plate_name = format!("Plate {}", plate.trim());
            wavelength = wl
                .trim()
                .strip_prefix("Wavelength:")
                .and_then(|w| w.trim().parse::<f64>().ok());
        }
        let Some(iteration) = line.strip_prefix("Iteration:") else {
            idx += 1;
            continue;
        };
        let iteration = iteration.trim().to_string();
        // The grid rows: lines after the title until a blank line (rows made only of tabs
        // are unused plate rows and count).
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut j = idx + 1;
        while j < lines.len() && !lines[j].is_empty() && rows.len() < 32 {
            let fields = split_fields(&lines[j], '\t');
            rows.push(fields.into_iter().skip(1).collect());
            j += 1;
        }
        let Some(shape) = [
            PlateShape::WELLS_96,
            PlateShape::WELLS_384,
            PlateShape::WELLS_1536,
        ]
        .into_iter()
        .find(|s| rows.len() <= s.rows) else {
            return Err(ImportError::malformed(
                MULTISKAN_TEXT_ID,
                format!("line {}", idx + 1),
                "more grid rows than a 1536-well plate has",
            ));
        };
        let label = match wavelength {
            Some(w) => format!(
                "{} nm iteration {iteration}",
                super::workbook::format_number(w)
            ),
            None => format!("iteration {iteration}"),
        };
        let mut read = Read::empty(label, shape);
        read.wavelength_nm = wavelength;
        for (r, fields) in rows.into_iter().enumerate() {
            let fields = normalise_row(fields, shape.cols);
            for (c, raw) in fields.iter().enumerate() {
                let well = WellId::new(r, c);
                match parse_cell(raw, false) {
                    CellValue::Empty => {}
                    CellValue::Number(v) => read.set(shape, well, Some(v)),
                    CellValue::Flag(t) => read.flag(shape, well, t),
                    CellValue::Text(t) => {
                        warnings.push(format!(
                            "line {}: {t:?} in well {well} is not a number; flagged",
                            idx + 2 + r
                        ));
                        read.flag(shape, well, t);
                    }
                }
            }
        }
        match plates.iter_mut().find(|p| p.name == plate_name) {
            Some(plate) if plate.shape == shape => plate.reads.push(read),
            Some(_) => warnings.push(format!(
                "line {}: grid size changes within a plate; skipped",
                idx + 1
            )),
            None => {
                let mut plate = Plate::new(plate_name.clone(), shape);
                put_meta(
                    &mut plate.metadata,
                    "software",
                    "SkanIt / Ascent (Multiskan)",
                );
                put_meta(&mut plate.metadata, "title", &title);
                plate.reads.push(read);
                plates.push(plate);
            }
        }
        idx = j;
    }
    for plate in &mut plates {
        let wls: Vec<String> = plate
            .reads
            .iter()
            .filter_map(|r| r.wavelength_nm)
            .map(super::workbook::format_number)
            .fold(Vec::new(), |mut acc, w| {
                if !acc.contains(&w) {
                    acc.push(w);
                }
                acc
            });
        put_meta(&mut plate.metadata, "wavelengths", &wls.join(", "));
    }
    if plates.is_empty() {
        return Err(ImportError::malformed(
            MULTISKAN_TEXT_ID,
            "whole file",
            "no `Iteration:` block found (expected `Plate:1 - Wavelength:NNN` then `Iteration: 1` and the grid rows)",
        ));
    }
    Ok(Imported {
        format: MULTISKAN_TEXT_ID.into(),
        plates,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::super::import_bytes;
    use super::*;

    #[test]
    fn stray_tabs_are_padding() {
        let row: Vec<String> = "1\t2\t3\t4\t5\t6\t7\t8\t\t9\t10\t\t"
            .split('\t')
            .map(String::from)
            .collect();
        let fixed = normalise_row(row, 12);
        assert_eq!(fixed.len(), 12);
        assert_eq!(fixed[8], "9");
        assert_eq!(fixed[9], "10");
        let normal: Vec<String> = "1\t\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12"
            .split('\t')
            .map(String::from)
            .collect();
        assert_eq!(normalise_row(normal.clone(), 12), normal);
    }

    #[test]
    fn multiskan_text_iterations_and_nan() {
        let mut text =
            String::from("Results of Photometric1\r\n\r\n\tPlate:1 - Wavelength:340\r\n\r\n");
        for it in 1..=2 {
            text.push_str(&format!("\tIteration: {it}\r\n"));
            for r in 0..8 {
                if r == 2 && it == 2 {
                    text.push_str(&format!("\t{}\t\t\r\n", ["NaN"; 10].join("\t")));
                } else if r == 1 {
                    text.push_str("\t0.1\t0.2\t0.3\t0.4\t\t0.5\t0.6\t0.7\t0.8\t0.9\t1.0\t\t\r\n");
                } else {
                    text.push_str(&format!("{}\r\n", "\t".repeat(12)));
                }
            }
            text.push_str("\r\n");
        }
        let imported = import_bytes(text.as_bytes()).unwrap();
        assert_eq!(imported.format, MULTISKAN_TEXT_ID);
        let plate = &imported.plates[0];
        assert_eq!(plate.reads.len(), 2);
        assert_eq!(plate.reads[0].wavelength_nm, Some(340.0));
        assert_eq!(plate.value(0, WellId::parse("B5").unwrap()), Some(0.5));
        assert_eq!(plate.value(0, WellId::parse("B10").unwrap()), Some(1.0));
        assert_eq!(
            plate.reads[1]
                .flags
                .get(&WellId::parse("C1").unwrap())
                .unwrap(),
            "NaN"
        );
    }
}
