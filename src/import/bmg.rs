//! BMG LABTECH exports: MARS CSV (`bmg-mars-csv`), MARS Excel "Table" view
//! (`bmg-mars-xlsx`, wells as rows, time points as columns) and SMART Control Excel
//! (`bmg-smartcontrol-xlsx`, numbered plate-shaped sections).
//!
//! Grids are chosen by their title, never by position: `Raw Data (450 1)` is a raw read
//! (wavelength = first number), `Blank corrected based on Raw Data (…)` a derived one;
//! layout, concentration and dilution sections are skipped.

use std::collections::BTreeMap;

use crate::plate::{PlateShape, Read, ReadKind, WellId};

use super::grid::{
    fill_read, header_in_row, lettered_rows, parse_duration, put_meta, set_cell_at, wavelength_in,
};
use super::text::TextSource;
use super::workbook::{Sheet, Workbook};
use super::{ImportError, Imported};

/// Format id of MARS CSV exports.
pub(crate) const CSV_ID: &str = "bmg-mars-csv";
/// Format id of MARS Excel "Table" exports.
pub(crate) const XLSX_ID: &str = "bmg-mars-xlsx";
/// Format id of SMART Control Excel exports.
pub(crate) const SMART_ID: &str = "bmg-smartcontrol-xlsx";

pub(crate) fn detect_csv(source: &TextSource) -> bool {
    let Some(first) = source.lines.iter().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    first.trim_start().starts_with("User: ") && first.contains("Path: ")
}

pub(crate) fn parse_csv(source: &TextSource) -> Result<Imported, ImportError> {
    let delimiter = if source
        .lines
        .iter()
        .take(3)
        .any(|l| l.contains("Path: ") && l.contains(';') && !l.contains(','))
    {
        ';'
    } else {
        ','
    };
    let sheet = Sheet::from_text(source, delimiter);
    let metadata = bmg_metadata(&sheet, "MARS");
    let mut warnings = Vec::new();
    let reads = titled_grids(&sheet, delimiter == ';', &mut warnings);
    finish(CSV_ID, &sheet, reads, metadata, warnings)
}

fn is_smart_sheet(sheet: &Sheet) -> bool {
    sheet.any_text(|t| t.starts_with("Path:") && t.contains("SMART Control"))
}

pub(crate) fn detect_smart(book: &Workbook) -> bool {
    book.sheet("Microplate End point").is_some() || book.sheets.iter().any(is_smart_sheet)
}

pub(crate) fn parse_smart(book: &Workbook) -> Result<Imported, ImportError> {
    let sheet = book
        .sheet_where(|n| n.starts_with("Microplate"))
        .or_else(|| {
            book.sheets
                .iter()
                .find(|s| is_smart_sheet(s) && (0..s.rows()).any(|r| header_in_row(s, r).is_some()))
        })
        .ok_or_else(|| {
            ImportError::malformed(
                SMART_ID,
                "workbook",
                "expected a sheet `Microplate End point` with plate-shaped sections",
            )
        })?;
    let mut metadata = bmg_metadata(sheet, "SMART Control");
    if let Some(protocol) = book.sheet("Protocol Information") {
        for row in 0..protocol.rows() {
            let key = protocol.display(row, 0);
            let value = protocol.display(row, 1);
            match key.trim().trim_end_matches(':') {
                "Microplate name" => put_meta(&mut metadata, "plate_type", &value),
                "Excitation" => put_meta(&mut metadata, "excitation", &value),
                "Emission" => put_meta(&mut metadata, "emission", &value),
                "Measurement type" => put_meta(&mut metadata, "read_mode", &value),
                _ => {}
            }
        }
    }
    let mut warnings = Vec::new();
    let reads = titled_grids(sheet, false, &mut warnings);
    finish(SMART_ID, sheet, reads, metadata, warnings)
}

pub(crate) fn detect_xlsx(book: &Workbook) -> bool {
    book.sheets.iter().any(|s| {
        s.any_text(|t| t.starts_with("Path:") && t.contains("BMG")) && table_header(s).is_some()
    })
}

/// The `Well | Content | Raw Data (…) …` header row of a MARS table sheet.
fn table_header(sheet: &Sheet) -> Option<usize> {
    (0..sheet.rows().min(200)).find(|&r| {
        sheet
            .text(r, 0)
            .is_some_and(|t| t.eq_ignore_ascii_case("Well"))
            && sheet
                .text(r, 1)
                .is_some_and(|t| t.eq_ignore_ascii_case("Content"))
            && sheet.row_len(r) > 2
    })
}

pub(crate) fn parse_xlsx(book: &Workbook) -> Result<Imported, ImportError> {
    let (sheet, header_row) = book
        .sheets
        .iter()
        .find_map(|s| table_header(s).map(|r| (s, r)))
        .ok_or_else(|| {
            ImportError::malformed(
                XLSX_ID,
                "workbook",
                "expected a `Well | Content | Raw Data (…)` header row",
            )
        })?;
    let metadata = bmg_metadata(sheet, "MARS");
    let mut warnings = Vec::new();
    let time_row = (sheet
        .text(header_row + 1, 1)
        .is_some_and(|t| t.eq_ignore_ascii_case("Time")))
    .then_some(header_row + 1);
    let first_data = time_row.map_or(header_row + 1, |r| r + 1);
    // Wells, one per row, until the first row that is not a well.
    let mut wells: Vec<(usize, WellId)> = Vec::new();
    for row in first_data..sheet.rows() {
        match WellId::parse(&sheet.display(row, 0)) {
            Ok(well) => wells.push((row, well)),
            Err(_) => break,
        }
    }
    let shape = [
        PlateShape::WELLS_96,
        PlateShape::WELLS_384,
        PlateShape::WELLS_1536,
    ]
    .into_iter()
    .find(|s| wells.iter().all(|(_, w)| s.contains(*w)))
    .ok_or_else(|| {
        ImportError::malformed(
            XLSX_ID,
            sheet.location(first_data, 0),
            "wells do not fit a 96-, 384- or 1536-well plate",
        )
    })?;
    let mut reads = Vec::new();
    for col in 2..sheet.row_len(header_row) {
        let title = sheet.display(header_row, col);
        if title.is_empty() {
            continue;
        }
        let mut read = Read::empty(title.clone(), shape);
        read.wavelength_nm = wavelength_in(&title);
        read.kind = title_kind(&title).unwrap_or(ReadKind::Derived);
        if let Some(tr) = time_row {
            let time_text = sheet.display(tr, col);
            read.time_s = parse_duration(&time_text);
            if read.time_s.is_none() && !time_text.is_empty() {
                warnings.push(format!(
                    "{}: time {time_text:?} not understood",
                    sheet.location(tr, col)
                ));
            }
        }
        let mut texts = 0;
        for (row, well) in &wells {
            if set_cell_at(&mut read, shape, *well, sheet, (*row, col), false) {
                texts += 1;
            }
        }
        if texts > wells.len() / 2 {
            warnings.push(format!(
                "{}: column {title:?} holds text; skipped",
                sheet.location(header_row, col)
            ));
            continue;
        }
        reads.push((read, shape));
    }
    finish(XLSX_ID, sheet, reads, metadata, warnings)
}

/// `Raw Data …` → raw; `… corrected …`/`based on` → derived; anything else: not a read.
fn title_kind(title: &str) -> Option<ReadKind> {
    let lower = title.to_ascii_lowercase();
    let has_word = |word: &str| {
        lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == word)
    };
    if lower.contains("corrected")
        || lower.contains("based on")
        || has_word("ratio")
        || has_word("calculated")
    {
        Some(ReadKind::Derived)
    } else if lower.contains("delta") || lower.contains("difference") {
        Some(ReadKind::Difference)
    } else if lower
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')
        .starts_with("raw data")
    {
        Some(ReadKind::Raw)
    } else {
        None
    }
}

/// The grids below titled sections (`Raw Data (450 1)`, `4. Raw Data (480-14/520-30)`).
fn titled_grids(
    sheet: &Sheet,
    decimal_comma: bool,
    warnings: &mut Vec<String>,
) -> Vec<(Read, PlateShape)> {
    let mut reads = Vec::new();
    let mut row = 0;
    while row < sheet.rows() {
        let Some(header) = header_in_row(sheet, row) else {
            row += 1;
            continue;
        };
        let rows = lettered_rows(sheet, header);
        let title = (1..=3)
            .filter_map(|up| header.row.checked_sub(up))
            .find_map(|r| sheet.first_text(r).map(|(_, t)| t))
            .unwrap_or_default();
        row = header.row + 1 + rows.len();
        let label = title
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')
            .trim()
            .to_string();
        let Some(kind) = title_kind(&title) else {
            warnings.push(format!(
                "{}: section {title:?} is not a reading; skipped",
                sheet.row_location(header.row)
            ));
            continue;
        };
        let shape = header.shape();
        let mut filled = fill_read(sheet, &label, shape, &rows, header.first_col, decimal_comma);
        if !filled.is_numeric() {
            warnings.push(format!(
                "{}: grid {label:?} holds no numbers; skipped",
                sheet.row_location(header.row)
            ));
            continue;
        }
        filled.read.kind = kind;
        filled.read.wavelength_nm = wavelength_in(&label);
        reads.push((filled.read, shape));
    }
    reads
}

/// `Key: value` cells of the header (User, Path, Test name, Date, Time, ID1-3) and the
/// instrument named in the path (`…\BMG\CLARIOstar\…`).
fn bmg_metadata(sheet: &Sheet, software: &str) -> BTreeMap<String, String> {
    let mut meta = BTreeMap::new();
    put_meta(&mut meta, "software", software);
    for row in 0..sheet.rows().min(15) {
        for cell in sheet.row(row) {
            let Some(text) = cell.text() else { continue };
            if let Some((key, value)) = text.split_once(':') {
                let key = key.trim();
                let name = match key.to_ascii_lowercase().as_str() {
                    "user" => "user",
                    "path" => "path",
                    "test run no." => "test_run",
                    "test id" => "test_id",
                    "test name" => "test_name",
                    "date" => "date",
                    "time" => "time",
                    "id1" => "id1",
                    "id2" => "id2",
                    "id3" => "id3",
                    _ => continue,
                };
                put_meta(&mut meta, name, value);
            } else if ["Absorbance", "Fluorescence", "Luminescence"]
                .iter()
                .any(|m| text.starts_with(m))
            {
                put_meta(&mut meta, "read_mode", text);
            }
        }
    }
    if let Some(path) = meta.get("path").cloned() {
        let parts: Vec<&str> = path.split('\\').collect();
        if let Some(pos) = parts.iter().position(|p| p.eq_ignore_ascii_case("BMG"))
            && let Some(instrument) = parts
                .get(pos + 1)
                .filter(|p| !p.eq_ignore_ascii_case("SMART Control"))
        {
            put_meta(&mut meta, "instrument", instrument);
        }
    }
    meta
}

fn finish(
    id: &str,
    sheet: &Sheet,
    reads: Vec<(Read, PlateShape)>,
    metadata: BTreeMap<String, String>,
    mut warnings: Vec<String>,
) -> Result<Imported, ImportError> {
    let Some(mut plate) = super::grid::single_plate(reads, &mut warnings) else {
        return Err(ImportError::malformed(
            id,
            sheet.row_location(0),
            "no `Raw Data (…)` grid with numbers found (expected a titled section with a 1 … 12 header and rows A-H)",
        ));
    };
    plate.metadata = metadata;
    Ok(Imported {
        format: id.into(),
        plates: vec![plate],
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::super::import_bytes;
    use super::*;

    #[test]
    fn mars_csv_384_with_padding_and_empty_wells() {
        let mut text = String::from(
            "User: USER,Path: C:\\Program Files\\BMG\\PHERAstar\\User\\Data,Test run no.: 1\r\nTest name: t,Date: 29/02/2016,Time: 10:00:00\r\n\r\nAbsorbance\r\n\r\nRaw Data  (484)\r\n\r\n,",
        );
        text.push_str(
            &(1..=24)
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
        text.push_str(",\r\n");
        for r in 0..16u8 {
            text.push(char::from(b'A' + r));
            for c in 0..24 {
                if r == 15 && c == 23 {
                    text.push(',');
                } else {
                    text.push_str(&format!(",0.{r:02}{c:02}"));
                }
            }
            text.push_str("\r\n");
        }
        let imported = import_bytes(text.as_bytes()).unwrap();
        assert_eq!(imported.format, CSV_ID);
        let plate = &imported.plates[0];
        assert_eq!(plate.shape, PlateShape::WELLS_384);
        assert_eq!(plate.reads[0].wavelength_nm, Some(484.0));
        assert_eq!(plate.value(0, WellId::parse("P23").unwrap()), Some(0.1522));
        assert_eq!(plate.value(0, WellId::parse("P24").unwrap()), None);
        assert_eq!(plate.metadata.get("instrument").unwrap(), "PHERAstar");
    }

    #[test]
    fn titles() {
        assert_eq!(title_kind("Raw Data (450 1)"), Some(ReadKind::Raw));
        assert_eq!(
            title_kind("4. Raw Data (480-14/520-30)"),
            Some(ReadKind::Raw)
        );
        assert_eq!(
            title_kind("5. Blank corrected based on Raw Data (480-14/520-30)"),
            Some(ReadKind::Derived)
        );
        assert_eq!(title_kind("2. Standard Concentrations in ng/mL"), None);
    }
}
