//! Tecan Excel exports: Magellan well lists (`tecan-magellan-xlsx`) and i-control /
//! SparkControl result sheets (`tecan-icontrol-xlsx`).
//!
//! Magellan writes one row per well (`Raw data | Well positions | Plate`, or `Well positions |
//! Label1 | Label2`), found by header text, with the measurement parameters in a trailer
//! below the list (`Measurement wavelength: 595 nm`, `Plate definition file: GRE96ft.pdf`).
//!
//! i-control/Spark write key/value rows, then per label (`Label: Abs600`, Spark `Name`) an
//! endpoint grid with the corner cell `<>`, or a kinetic block: i-control puts `Cycle Nr.`,
//! `Time [s]`, `Temp. [°C]` as rows with cycles across and one row per well; SparkControl
//! puts them as a header row with one row per cycle. Non-numeric cells (`OVER`) are flags.

use std::collections::BTreeMap;

use crate::plate::{Plate, PlateShape, Read, ReadKind, ReadMode, WellId};

use super::grid::{
    fill_read, header_in_row, lettered_rows, parse_duration, put_meta, set_cell_at, wavelength_in,
};
use super::workbook::{Cell, Sheet, Workbook};
use super::{ImportError, Imported};

/// Format id of Magellan exports.
pub(crate) const MAGELLAN_ID: &str = "tecan-magellan-xlsx";
/// Format id of i-control / SparkControl exports.
pub(crate) const ICONTROL_ID: &str = "tecan-icontrol-xlsx";

fn shape_of_wells(wells: &[WellId], hint: Option<usize>) -> Option<PlateShape> {
    let mut candidates = vec![
        PlateShape::WELLS_96,
        PlateShape::WELLS_384,
        PlateShape::WELLS_1536,
    ];
    if let Some(shape) = hint.and_then(PlateShape::from_well_count) {
        candidates.insert(0, shape);
    }
    candidates
        .into_iter()
        .find(|s| wells.iter().all(|w| s.contains(*w)))
}

fn magellan_header(sheet: &Sheet) -> Option<(usize, usize)> {
    (0..sheet.rows().min(30)).find_map(|r| {
        (0..sheet.row_len(r))
            .find(|&c| {
                sheet
                    .text(r, c)
                    .is_some_and(|t| t.eq_ignore_ascii_case("Well positions"))
            })
            .map(|c| (r, c))
    })
}

pub(crate) fn detect_magellan(book: &Workbook) -> bool {
    book.sheets.iter().any(|s| {
        magellan_header(s).is_some()
            || (s.any_text(|t| t.starts_with("Measurement mode:"))
                && s.any_text(|t| t.ends_with(".mth")))
    })
}

pub(crate) fn parse_magellan(book: &Workbook) -> Result<Imported, ImportError> {
    let (sheet, (header_row, well_col)) = book
        .sheets
        .iter()
        .find_map(|s| magellan_header(s).map(|h| (s, h)))
        .ok_or_else(|| {
            ImportError::malformed(
                MAGELLAN_ID,
                "workbook",
                "expected a header cell `Well positions` above the well list",
            )
        })?;
    let value_cols: Vec<(usize, String)> = (0..sheet.row_len(header_row))
        .filter(|&c| c != well_col)
        .filter_map(|c| {
            let text = sheet.display(header_row, c);
            let lower = text.to_ascii_lowercase();
            (!text.is_empty() && lower != "plate" && lower != "plate id").then_some((c, text))
        })
        .collect();
    // Rows under the header: optional time/temperature rows, then wells until the first
    // row that is not a well.
    let mut entries: Vec<(usize, WellId)> = Vec::new();
    let mut extra_rows: Vec<usize> = Vec::new();
    let mut row = header_row + 1;
    while row < sheet.rows() {
        match WellId::parse(&sheet.display(row, well_col)) {
            Ok(well) => entries.push((row, well)),
            Err(_) if entries.is_empty() && row < header_row + 4 => extra_rows.push(row),
            Err(_) => break,
        }
        row += 1;
    }
    let trailer_start = row;
    // Trailer metadata.
    let mut meta = BTreeMap::new();
    put_meta(&mut meta, "software", "Magellan");
    let mut wavelengths: Vec<f64> = Vec::new();
    let mut plate_wells = None;
    let mut mode = String::new();
    for r in trailer_start..sheet.rows().min(trailer_start + 200) {
        for c in 0..sheet.row_len(r) {
            let Some(text) = sheet.text(r, c) else {
                continue;
            };
            if let Some(rest) = text.strip_prefix("Measurement wavelength:") {
                if let Some(w) = wavelength_in(rest) {
                    wavelengths.push(w);
                }
            } else if let Some(rest) = text.strip_prefix("Measurement mode:") {
                mode = rest.trim().to_string();
                put_meta(&mut meta, "read_mode", rest);
            } else if let Some(rest) = text.strip_prefix("Plate definition file:") {
                put_meta(&mut meta, "plate_definition", rest);
                plate_wells = [1536usize, 384, 96, 48, 24, 12, 6]
                    .into_iter()
                    .find(|n| rest.contains(&n.to_string()));
            } else if let Some(rest) = text.strip_prefix("Instrument serial number:") {
                put_meta(&mut meta, "serial", rest);
            } else if let Some(rest) = text.strip_prefix("Date of measurement:") {
                let (date, time) = rest
                    .split_once("/Time of measurement:")
                    .unwrap_or((rest, ""));
                put_meta(&mut meta, "date", date);
                put_meta(&mut meta, "time", time);
            } else if text.to_ascii_lowercase().ends_with(".mth") && !text.contains('\\') {
                put_meta(&mut meta, "method", text);
            } else if let Some(rest) = text.strip_prefix("Unit:") {
                put_meta(&mut meta, "unit", rest);
            } else if let Some((key, value)) = text.split_once(':')
                && key.starts_with("Meas. temperature")
            {
                put_meta(&mut meta, "temperature", value);
            }
        }
    }
    // The instrument name is a bare line after the user line; keep what is unambiguous.
    let wells: Vec<WellId> = entries.iter().map(|(_, w)| *w).collect();
    let shape = shape_of_wells(&wells, plate_wells).ok_or_else(|| {
        ImportError::malformed(
            MAGELLAN_ID,
            sheet.location(header_row + 1, well_col),
            "wells do not fit a 96-, 384- or 1536-well plate",
        )
    })?;
    if entries.is_empty() {
        return Err(ImportError::malformed(
            MAGELLAN_ID,
            sheet.location(header_row + 1, well_col),
            "expected well positions (A1, B1, …) below the header",
        ));
    }
    let mut plate = Plate::new("Plate 1", shape);
    let mut warnings = Vec::new();
    for (idx, (col, label)) in value_cols.iter().enumerate() {
        let mut read = Read::empty(label.clone(), shape);
        read.wavelength_nm = if wavelengths.len() == value_cols.len() {
            wavelengths.get(idx).copied()
        } else if wavelengths.len() == 1 {
            wavelengths.first().copied()
        } else {
            wavelength_in(label)
        };
        if mode.eq_ignore_ascii_case("Absorbance") || mode.is_empty() {
            read.kind = ReadKind::Raw;
        }
        for extra in &extra_rows {
            let text = sheet.display(*extra, *col);
            if text.ends_with('s')
                && let Some(t) = parse_duration(&text)
                && t > 0.0
            {
                read.time_s = Some(t);
            }
        }
        let mut texts = 0;
        for (r, well) in &entries {
            if set_cell_at(&mut read, shape, *well, sheet, (*r, *col), false) {
                texts += 1;
            }
        }
        if texts * 2 > entries.len() {
            warnings.push(format!(
                "{}: column {label:?} holds text; skipped",
                sheet.location(header_row, *col)
            ));
            continue;
        }
        plate.reads.push(read);
    }
    let plate_col = (0..sheet.row_len(header_row)).find(|&c| {
        sheet
            .text(header_row, c)
            .is_some_and(|t| t.eq_ignore_ascii_case("Plate"))
    });
    if let Some(name) = plate_col.and_then(|c| {
        entries
            .iter()
            .map(|(r, _)| sheet.display(*r, c))
            .find(|t| !t.is_empty())
    }) {
        plate.name = name;
    }
    plate.metadata = meta;
    Ok(Imported {
        format: MAGELLAN_ID.into(),
        plates: vec![plate],
        warnings,
    })
}

pub(crate) fn detect_icontrol(book: &Workbook) -> bool {
    book.sheets.iter().any(|s| {
        (0..s.rows().min(5)).any(|r| {
            s.first_text(r).is_some_and(|(_, t)| {
                t.starts_with("Application: Tecan i-control")
                    || t.starts_with("Application: SparkControl")
            })
        }) || s.any_text(|t| t.contains("SparkControl")) && s.any_text(|t| t == "<>")
    })
}

/// The value of a key/value row: the first non-empty cell right of column A.
fn row_value(sheet: &Sheet, row: usize) -> Option<&Cell> {
    sheet.row(row).iter().skip(1).find(|c| !c.is_blank())
}

#[allow(clippy::too_many_lines)]
pub(crate) fn parse_icontrol(book: &Workbook) -> Result<Imported, ImportError> {
    let sheet = book
        .sheets
        .iter()
        .find(|s| s.any_text(|t| t == "<>" || t == "Cycle Nr." || t == "Cycle Nr"))
        .ok_or_else(|| {
            ImportError::malformed(
                ICONTROL_ID,
                "workbook",
                "expected a result grid (corner cell `<>`) or a `Cycle Nr.` kinetic block",
            )
        })?;
    let mut meta = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut reads: Vec<(Read, PlateShape)> = Vec::new();
    // The measurements the settings describe, in order; each data block (a `<>` grid or a
    // `Cycle Nr.` block) takes the measurement its title names, else the next one in order.
    let mut measurements: Vec<Measurement> = Vec::new();
    let mut blocks_seen = 0usize;
    let mut title: Option<(usize, String)> = None;
    let mut row = 0;
    while row < sheet.rows() {
        let a = sheet.display(row, 0);
        let value = row_value(sheet, row).map(Cell::display).unwrap_or_default();
        if let Some(text) = bare_title(sheet, row) {
            title = Some((row, text));
        }
        if let Some(app) = a.strip_prefix("Application:") {
            put_meta(&mut meta, "software", app);
            put_meta(
                &mut meta,
                "software_version",
                value.rsplit(',').next().unwrap_or(""),
            );
        } else if let Some(device) = a.strip_prefix("Device:") {
            put_meta(&mut meta, "instrument", device);
            if let Some(serial) = value.strip_prefix("Serial number:") {
                put_meta(&mut meta, "serial", serial);
            }
        } else if a.starts_with("Firmware") {
            put_meta(&mut meta, "firmware", &value);
        } else if a == "Date:" {
            put_meta(&mut meta, "date", &value);
        } else if a == "Time:" {
            put_meta(&mut meta, "time", &value);
        } else if let Some(l) = a.strip_prefix("Label:") {
            measurements.push(Measurement::named(l.trim()));
        } else if a == "Name" && !value.is_empty() {
            measurements.push(Measurement::named(&value));
        } else if a == "Mode" {
            put_meta(&mut meta, "read_mode", &value);
            // A `Mode` row after a complete measurement starts the next one, named by the
            // title row just above it (if any).
            if measurements.last().is_none_or(|m| m.mode_text.is_some()) {
                let name = title
                    .as_ref()
                    .filter(|(r, _)| row.saturating_sub(*r) <= 2)
                    .map_or("", |(_, t)| t.as_str());
                measurements.push(Measurement::named(name));
            }
            if let Some(m) = measurements.last_mut() {
                m.mode_text = Some(value.clone());
            }
        } else if a.to_ascii_lowercase().starts_with("excitation wavelength") {
            if let Some(m) = measurements.last_mut() {
                m.wavelength = value.parse::<f64>().ok().filter(|v| *v > 0.0);
            }
        } else if a.to_ascii_lowercase().starts_with("emission wavelength") {
            if let Some(m) = measurements.last_mut() {
                m.emission = value.parse::<f64>().ok().filter(|v| *v > 0.0);
            }
        } else if a.starts_with("Measurement Wavelength") || a.starts_with("Measurement wavelength")
        {
            let wavelength = value.parse::<f64>().ok().filter(|v| *v > 0.0);
            if measurements.is_empty() {
                measurements.push(Measurement::named(""));
            }
            if let Some(m) = measurements.last_mut() {
                m.wavelength = wavelength;
            }
            if let Some(w) = wavelength {
                let entry = meta
                    .entry("wavelengths".to_string())
                    .or_insert_with(String::new);
                let text = super::workbook::format_number(w);
                if !entry.split(", ").any(|x| x == text) {
                    if !entry.is_empty() {
                        entry.push_str(", ");
                    }
                    entry.push_str(&text);
                }
            }
        }
        let grid_header = (a == "<>")
            .then(|| header_in_row(sheet, row).filter(|h| h.first_col == 1))
            .flatten();
        if grid_header.is_some() || a.starts_with("Cycle Nr") {
            let block_title = title
                .as_ref()
                .filter(|(r, _)| row.saturating_sub(*r) <= 2)
                .map(|(_, t)| t.clone());
            let measurement = block_measurement(&measurements, block_title.as_deref(), blocks_seen);
            blocks_seen += 1;
            let first_new = reads.len();
            let read_label = if measurement.name.is_empty() {
                "value".to_string()
            } else {
                measurement.name.clone()
            };
            if let Some(header) = grid_header {
                // Endpoint grid with corner `<>`.
                let rows = lettered_rows(sheet, header);
                let shape = header.shape();
                let filled = fill_read(sheet, &read_label, shape, &rows, 1, false);
                reads.push((filled.read, shape));
                row = header.row + 1 + rows.len();
            } else {
                // Kinetic blocks.
                let next = if sheet.text(row, 1).is_some_and(|t| t.starts_with("Time")) {
                    spark_kinetic(sheet, row, &read_label, None, &mut reads)
                } else {
                    icontrol_kinetic(sheet, row, &read_label, None, &mut reads, &mut warnings)
                };
                row = next.max(row + 1);
            }
            for (read, _) in &mut reads[first_new..] {
                read.wavelength_nm = measurement.wavelength;
                read.emission_nm = measurement.emission;
                read.mode = measurement
                    .mode_text
                    .as_deref()
                    .and_then(ReadMode::from_text);
            }
            title = None;
            continue;
        }
        row += 1;
    }
    let Some(mut plate) = super::grid::single_plate(reads, &mut warnings) else {
        return Err(ImportError::malformed(
            ICONTROL_ID,
            sheet.row_location(0),
            "found the Tecan header but no values (expected a `<>` grid or a `Cycle Nr.` block)",
        ));
    };
    plate.metadata = meta;
    Ok(Imported {
        format: ICONTROL_ID.into(),
        plates: vec![plate],
        warnings,
    })
}

/// One measurement the i-control/Spark settings describe.
#[derive(Debug, Clone, Default)]
struct Measurement {
    name: String,
    mode_text: Option<String>,
    /// Measurement wavelength (absorbance) or excitation wavelength (fluorescence).
    wavelength: Option<f64>,
    emission: Option<f64>,
}

impl Measurement {
    fn named(name: &str) -> Self {
        Self {
            name: name.trim().to_string(),
            ..Self::default()
        }
    }
}

/// The measurement a data block belongs to: the one its title names; else, when the
/// settings describe several, the `index`-th block takes the `index`-th measurement (the
/// last one when there are more blocks); a title that names none labels a nameless one.
fn block_measurement(
    measurements: &[Measurement],
    title: Option<&str>,
    index: usize,
) -> Measurement {
    if let Some(title) = title
        && let Some(m) = measurements
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(title))
    {
        return m.clone();
    }
    let mut measurement = measurements
        .get(index)
        .or(measurements.last())
        .cloned()
        .unwrap_or_default();
    if let Some(title) = title
        && measurement.name.is_empty()
    {
        measurement.name = title.to_string();
    }
    measurement
}

/// The text of a row that holds a single short text cell in column A and nothing else,
/// which is not a key (`Label:`, `Mode`, …), a well or a grid corner: a block title such as
/// `OD600` or `GFP`.
fn bare_title(sheet: &Sheet, row: usize) -> Option<String> {
    let cells = sheet.row(row);
    let text = cells.first()?.text()?;
    if cells.iter().skip(1).any(|c| !c.is_blank())
        || text.is_empty()
        || text.len() > 40
        || text.contains(':')
        || text == "<>"
        || WellId::parse(text).is_ok()
    {
        return None;
    }
    const KEYS: [&str; 12] = [
        "Mode",
        "Name",
        "Cycle Nr.",
        "Cycle Nr",
        "Plate",
        "System",
        "User",
        "Kinetic",
        "Shaking",
        "Temperature",
        "Start Time",
        "End Time",
    ];
    (!KEYS.iter().any(|k| text.eq_ignore_ascii_case(k))).then(|| text.to_string())
}

/// i-control: `Cycle Nr.` / `Time [s]` / `Temp.` rows, cycles across, one row per well.
fn icontrol_kinetic(
    sheet: &Sheet,
    cycle_row: usize,
    label: &str,
    wavelength: Option<f64>,
    reads: &mut Vec<(Read, PlateShape)>,
    warnings: &mut Vec<String>,
) -> usize {
    let mut time_row = None;
    let mut row = cycle_row + 1;
    while row < sheet.rows() && row < cycle_row + 4 {
        let a = sheet.display(row, 0);
        if a.starts_with("Time") {
            time_row = Some(row);
        }
        if WellId::parse(&a).is_ok() {
            break;
        }
        row += 1;
    }
    let mut wells: Vec<(usize, WellId)> = Vec::new();
    while row < sheet.rows() {
        match WellId::parse(&sheet.display(row, 0)) {
            Ok(w) => wells.push((row, w)),
            Err(_) => break,
        }
        row += 1;
    }
    let ids: Vec<WellId> = wells.iter().map(|(_, w)| *w).collect();
    let Some(shape) = shape_of_wells(&ids, None) else {
        warnings.push(format!(
            "{}: wells do not fit a plate; kinetic block skipped",
            sheet.row_location(cycle_row)
        ));
        return row;
    };
    for col in 1..sheet.row_len(cycle_row) {
        if sheet.get(cycle_row, col).is_blank() {
            continue;
        }
        let time_s = time_row.and_then(|r| sheet.get(r, col).number());
        let has_values = wells.iter().any(|(r, _)| !sheet.get(*r, col).is_blank());
        if time_s.is_none() && !has_values {
            continue;
        }
        let mut read = Read::empty(label, shape);
        read.wavelength_nm = wavelength;
        read.time_s = time_s;
        for (r, well) in &wells {
            set_cell_at(&mut read, shape, *well, sheet, (*r, col), false);
        }
        reads.push((read, shape));
    }
    row
}

/// SparkControl: header `Cycle Nr. | Time [s] | Temp. [°C] | A1 | A2 …`, one row per cycle.
fn spark_kinetic(
    sheet: &Sheet,
    header_row: usize,
    label: &str,
    wavelength: Option<f64>,
    reads: &mut Vec<(Read, PlateShape)>,
) -> usize {
    let wells: Vec<(usize, WellId)> = (1..sheet.row_len(header_row))
        .filter_map(|c| {
            let text = sheet.display(header_row, c);
            (text.len() <= 4)
                .then(|| WellId::parse(&text).ok())
                .flatten()
                .map(|w| (c, w))
        })
        .collect();
    let ids: Vec<WellId> = wells.iter().map(|(_, w)| *w).collect();
    let Some(shape) = shape_of_wells(&ids, None) else {
        return header_row + 1;
    };
    let mut row = header_row + 1;
    while row < sheet.rows() && sheet.get(row, 0).number().is_some() {
        let time_s = sheet
            .get(row, 1)
            .number()
            .or_else(|| parse_duration(&sheet.display(row, 1)));
        let mut read = Read::empty(label, shape);
        read.wavelength_nm = wavelength;
        read.time_s = time_s;
        for (c, well) in &wells {
            set_cell_at(&mut read, shape, *well, sheet, (row, *c), false);
        }
        reads.push((read, shape));
        row += 1;
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::text::TextSource;

    fn sheet(text: &str) -> Workbook {
        let mut s = Sheet::from_text(&TextSource::new(text), '\t');
        s.from_text = false;
        s.name = "Sheet1".into();
        Workbook { sheets: vec![s] }
    }

    #[test]
    fn spark_kinetic_rows_and_over_flags() {
        let book = sheet(
            "Method name:\tx\nApplication: SparkControl\t\t\t\t3.1\nName\t\t\t\tAbs450\nMeasurement wavelength\t\t\t\t450\nCycle Nr.\tTime [s]\tTemp. [°C]\tA1\tH12\n1\t0\t25\t0.1\tOVER\n2\t60.5\t25\t0.2\t0.3\n",
        );
        assert!(detect_icontrol(&book));
        let imported = parse_icontrol(&book).unwrap();
        let plate = &imported.plates[0];
        assert_eq!(plate.reads.len(), 2);
        assert_eq!(plate.reads[1].time_s, Some(60.5));
        assert_eq!(plate.reads[0].wavelength_nm, Some(450.0));
        assert_eq!(plate.reads[0].label, "Abs450");
        assert_eq!(
            plate.reads[0]
                .flags
                .get(&WellId::parse("H12").unwrap())
                .unwrap(),
            "OVER"
        );
    }

    #[test]
    fn magellan_two_labels_row_major_384() {
        let mut text =
            String::from("Well positions\tLabel1\tLabel2\n\t0s\t0s\n\t24.8 °C\t24.8 °C\n");
        for r in 0..16 {
            for c in 0..24 {
                text.push_str(&format!(
                    "{}{}\t0.{r:02}{c:02}\t1.5\n",
                    char::from(b'A' + r as u8),
                    c + 1
                ));
            }
        }
        text.push_str("Measurement 1:\nMeasurement wavelength: 450 nm\nMeasurement 2:\nMeasurement wavelength: 630 nm\nPlate definition file: COS384ft.pdf\n");
        let book = sheet(&text);
        assert!(detect_magellan(&book));
        let imported = parse_magellan(&book).unwrap();
        let plate = &imported.plates[0];
        assert_eq!(plate.shape, PlateShape::WELLS_384);
        assert_eq!(plate.reads.len(), 2);
        assert_eq!(plate.reads[1].wavelength_nm, Some(630.0));
        assert_eq!(plate.value(0, WellId::parse("P24").unwrap()), Some(0.1523));
    }
}
