//! Structural helpers shared by the format modules: plate-grid headers (`1 … 12`),
//! lettered rows, filling a [`Read`] from cells, time and wavelength parsing.

use crate::plate::{MISSING_FLAG, Plate, PlateShape, Read, WellId, row_index_from_label};

use super::cell::CellValue;
use super::workbook::{Cell, Sheet};

/// Plate widths a grid header may have (96, 384, 1536 wells).
const GRID_WIDTHS: [usize; 3] = [12, 24, 48];

/// The integer a header cell holds: `1`, `01`, `1.0` (numeric or text).
#[must_use]
pub fn header_number(cell: &Cell) -> Option<usize> {
    let value = match cell {
        Cell::Number(v) => *v,
        Cell::Text(t) => t.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (value.fract() == 0.0 && (1.0..=100.0).contains(&value)).then_some(value as usize)
}

/// A grid header found in a row: the column holding `1` and the plate width N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Zero-based row of the header.
    pub row: usize,
    /// Column of the cell `1`.
    pub first_col: usize,
    /// Number of columns (12, 24, 48).
    pub cols: usize,
}

impl Header {
    /// The plate shape of this grid width.
    #[must_use]
    pub fn shape(self) -> PlateShape {
        PlateShape::from_cols(self.cols).unwrap_or(PlateShape::WELLS_96)
    }
}

/// The grid header in `row`, if it holds a run `1, 2, …, N` with N ∈ {12, 24, 48}
/// (the run must end there: a 13th consecutive number means it is not a plate header).
#[must_use]
pub fn header_in_row(sheet: &Sheet, row: usize) -> Option<Header> {
    let cells = sheet.row(row);
    let mut col = 0;
    while col < cells.len() {
        if header_number(&cells[col]) == Some(1) {
            let mut n = 1;
            while cells
                .get(col + n)
                .and_then(header_number)
                .is_some_and(|v| v == n + 1)
            {
                n += 1;
            }
            if GRID_WIDTHS.contains(&n) {
                return Some(Header {
                    row,
                    first_col: col,
                    cols: n,
                });
            }
            col += n;
        } else {
            col += 1;
        }
    }
    None
}

/// The rows below a header whose cell left of the `1` holds the row letters A, B, … in
/// order (stops at the first row that does not continue the sequence, or at the plate's
/// last row).
#[must_use]
pub fn lettered_rows(sheet: &Sheet, header: Header) -> Vec<usize> {
    let Some(label_col) = header.first_col.checked_sub(1) else {
        return Vec::new();
    };
    let max_rows = header.shape().rows;
    let mut rows = Vec::new();
    let mut row = header.row + 1;
    while row < sheet.rows() && rows.len() < max_rows {
        let label = sheet.display(row, label_col);
        if row_index_from_label(&label) == Some(rows.len()) {
            rows.push(row);
            row += 1;
        } else {
            break;
        }
    }
    rows
}

/// A read filled from grid cells, with counts that tell a reading from a text layout.
#[derive(Debug, Clone)]
pub struct FilledRead {
    /// The read.
    pub read: Read,
    /// Cells that held numbers.
    pub numbers: usize,
    /// Cells that held text that is neither a number nor a known flag token.
    pub texts: usize,
    /// Cells that held dates/times.
    pub times: usize,
}

impl FilledRead {
    /// Whether the grid holds readings: no dates/times, no more text than numbers, and at
    /// least one number or flag token (a fully saturated read is still a read).
    #[must_use]
    pub fn is_numeric(&self) -> bool {
        let flags = self
            .read
            .flags
            .values()
            .filter(|t| t.as_str() != MISSING_FLAG)
            .count();
        self.times == 0 && self.texts <= self.numbers && (self.numbers > 0 || flags > self.texts)
    }
}

/// Fills a read of `shape` from `plate_rows` (sheet row for plate row 0, 1, …; `usize::MAX`
/// for a row the grid does not have), reading `shape.cols` cells from `first_col`. Text cells
/// become flags with their raw text; formula cells keep their value and are marked derived.
/// A grid with fewer rows than the plate is an incomplete read (see [`mark_missing_rows`]).
#[must_use]
pub fn fill_read(
    sheet: &Sheet,
    label: &str,
    shape: PlateShape,
    plate_rows: &[usize],
    first_col: usize,
    decimal_comma: bool,
) -> FilledRead {
    let mut read = Read::empty(label, shape);
    let (mut numbers, mut texts, mut times) = (0, 0, 0);
    for (plate_row, sheet_row) in plate_rows.iter().enumerate().take(shape.rows) {
        for col in 0..shape.cols {
            let cell = sheet.get(*sheet_row, first_col + col);
            let well = WellId::new(plate_row, col);
            if matches!(cell, Cell::DateTime(_)) {
                times += 1;
            }
            if let Some(formula) = sheet.formula(*sheet_row, first_col + col)
                && !cell.is_blank()
            {
                read.derived.insert(well, formula.to_string());
            }
            match cell.value(decimal_comma) {
                CellValue::Empty => {}
                CellValue::Number(v) => {
                    numbers += 1;
                    read.set(shape, well, Some(v));
                }
                CellValue::Flag(raw) => read.flag(shape, well, raw),
                CellValue::Text(raw) => {
                    texts += 1;
                    read.flag(shape, well, raw);
                }
            }
        }
    }
    mark_missing_rows(&mut read, sheet, shape, plate_rows);
    FilledRead {
        read,
        numbers,
        texts,
        times,
    }
}

/// Marks a read incomplete when its grid lacks plate rows (`plate_rows` shorter than the
/// plate, or `usize::MAX`/beyond the sheet for a row): a grid cut short by a truncated file
/// must not pass as a plate with empty wells.
pub fn mark_missing_rows(read: &mut Read, sheet: &Sheet, shape: PlateShape, plate_rows: &[usize]) {
    let missing: Vec<usize> = (0..shape.rows)
        .filter(|r| plate_rows.get(*r).is_none_or(|s| *s >= sheet.rows()))
        .collect();
    if missing.is_empty() || missing.len() == shape.rows {
        return;
    }
    let present: Vec<usize> = (0..shape.rows).filter(|r| !missing.contains(r)).collect();
    let last_present = present.last().copied().unwrap_or(0);
    let at = plate_rows
        .get(last_present)
        .map_or_else(String::new, |s| sheet.row_location(*s));
    read.mark_incomplete(
        shape,
        &missing,
        format!(
            "the grid has no row {} ({} rows of {}; last row read: {} at {at})",
            crate::plate::row_label(missing[0]),
            present.len(),
            shape.rows,
            crate::plate::row_label(last_present),
        ),
    );
}

/// Sets one well from the cell at (`row`, `col`) of a sheet, marking formula cells derived.
/// Returns whether the cell was plain text (see [`set_cell`]).
pub fn set_cell_at(
    read: &mut Read,
    shape: PlateShape,
    well: WellId,
    sheet: &Sheet,
    (row, col): (usize, usize),
    decimal_comma: bool,
) -> bool {
    let cell = sheet.get(row, col);
    if let Some(formula) = sheet.formula(row, col)
        && !cell.is_blank()
        && shape.contains(well)
    {
        read.derived.insert(well, formula.to_string());
    }
    set_cell(read, shape, well, cell, decimal_comma)
}

/// Stores one well value from a cell into a read (number, flag or nothing).
/// Returns whether the cell was plain text (neither number nor flag token).
pub fn set_cell(
    read: &mut Read,
    shape: PlateShape,
    well: WellId,
    cell: &Cell,
    decimal_comma: bool,
) -> bool {
    match cell.value(decimal_comma) {
        CellValue::Empty => false,
        CellValue::Number(v) => {
            read.set(shape, well, Some(v));
            false
        }
        CellValue::Flag(raw) => {
            read.flag(shape, well, raw);
            false
        }
        CellValue::Text(raw) => {
            read.flag(shape, well, raw);
            true
        }
    }
}

/// A wavelength in nm from a label: the first number in 200–1000 (`450nm:450` → 450,
/// `Raw Data (450 1)` → 450, `A450(1)` → 450, `Abs 600 nm` → 600).
#[must_use]
pub fn wavelength_in(label: &str) -> Option<f64> {
    super::generic::wavelength_from_label(label)
}

/// Parses an elapsed time: `H:MM:SS`, `M:SS` (two parts: minutes and seconds),
/// `1 h 3 min 5 s`, `95.3` or `95.3 s` (seconds), `1.5 min`.
#[must_use]
pub fn parse_duration(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let nums: Option<Vec<f64>> = parts
            .iter()
            .map(|p| {
                p.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
            })
            .collect();
        let nums = nums?;
        return match nums.as_slice() {
            [m, s] => Some(m * 60.0 + s),
            [h, m, s] => Some(h * 3600.0 + m * 60.0 + s),
            [d, h, m, s] => Some(d * 86400.0 + h * 3600.0 + m * 60.0 + s),
            _ => None,
        };
    }
    // Units: "1 h 3 min", "0 h ", "95.3 s", "30 sec", "2 min".
    let lower = text.to_ascii_lowercase();
    let tokens: Vec<&str> = lower.split_whitespace().collect();
    let mut total = 0.0;
    let mut seen = false;
    let mut idx = 0;
    while idx < tokens.len() {
        let token = tokens[idx];
        let split = token
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(token.len());
        let (num_text, unit_inline) = token.split_at(split);
        let value: f64 = num_text.parse().ok().filter(|v: &f64| v.is_finite())?;
        let unit = if unit_inline.is_empty() {
            idx += 1;
            tokens.get(idx).copied().unwrap_or("s")
        } else {
            unit_inline
        };
        let factor = match unit {
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "min" | "mins" | "m" | "minute" | "minutes" => 60.0,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            _ => return None,
        };
        total += value * factor;
        seen = true;
        idx += 1;
    }
    seen.then_some(total)
}

/// Inserts a metadata entry when the value is not empty (keeps the first value seen).
pub fn put_meta(metadata: &mut std::collections::BTreeMap<String, String>, key: &str, value: &str) {
    let value = value.trim();
    if !value.is_empty() {
        metadata
            .entry(key.to_string())
            .or_insert_with(|| value.to_string());
    }
}

/// An Excel serial (days since 1899-12-30) as an ISO date `YYYY-MM-DD`.
#[must_use]
pub fn serial_to_date(serial: f64) -> Option<String> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // Serial 25569 is 1970-01-01.
    let (year, month, day) = crate::calendar::civil_from_days(serial.floor() as i64 - 25_569);
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// The clock time of an Excel serial (its fraction of a day) as `HH:MM:SS`.
#[must_use]
pub fn serial_to_clock(serial: f64) -> Option<String> {
    if !serial.is_finite() {
        return None;
    }
    let secs = (serial.rem_euclid(1.0) * 86_400.0).round() as i64 % 86_400;
    Some(format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    ))
}

/// The text of a metadata cell: dates as ISO dates, times as clock times, else display text.
#[must_use]
pub fn meta_text(cell: &Cell, is_time: bool) -> String {
    match cell {
        Cell::DateTime(v) | Cell::Number(v) if is_time => serial_to_clock(*v).unwrap_or_default(),
        Cell::DateTime(v) => {
            if *v >= 1.0 && v.fract() != 0.0 {
                format!(
                    "{} {}",
                    serial_to_date(*v).unwrap_or_default(),
                    serial_to_clock(*v).unwrap_or_default()
                )
            } else if *v >= 1.0 {
                serial_to_date(*v).unwrap_or_default()
            } else {
                serial_to_clock(*v).unwrap_or_default()
            }
        }
        other => other.display(),
    }
}

/// One plate from reads of (usually) one shape: the first read's shape is the plate's; reads
/// of another shape are skipped with a warning. `None` when there are no reads.
pub fn single_plate(reads: Vec<(Read, PlateShape)>, warnings: &mut Vec<String>) -> Option<Plate> {
    let shape = reads.first().map(|(_, s)| *s)?;
    let mut plate = Plate::new("Plate 1", shape);
    for (read, s) in reads {
        if s == shape {
            plate.reads.push(read);
        } else {
            warnings.push(format!(
                "read {:?} is {s}, the plate {shape}; skipped",
                read.label
            ));
        }
    }
    Some(plate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::text::TextSource;

    #[test]
    fn serials() {
        assert_eq!(serial_to_date(45233.0).as_deref(), Some("2023-11-03"));
        assert_eq!(serial_to_clock(2.740_497_685).as_deref(), Some("17:46:19"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0:15:00"), Some(900.0));
        assert_eq!(parse_duration("1:02:03"), Some(3723.0));
        assert_eq!(parse_duration("0:30"), Some(30.0));
        assert_eq!(parse_duration("0 h "), Some(0.0));
        assert_eq!(parse_duration("0 h 3 min"), Some(180.0));
        assert_eq!(parse_duration("16 h 48 min"), Some(60480.0));
        assert_eq!(parse_duration("95.3"), Some(95.3));
        assert_eq!(parse_duration("0s"), Some(0.0));
        assert_eq!(parse_duration("abc"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn headers_need_a_plate_width() {
        let source = TextSource::new(
            "x,1,2,3,4,5,6,7,8,9,10,11,12,label\n,1,2,3\n,01,02,03,04,05,06,07,08,09,10,11,12,13",
        );
        let sheet = Sheet::from_text(&source, ',');
        assert_eq!(
            header_in_row(&sheet, 0),
            Some(Header {
                row: 0,
                first_col: 1,
                cols: 12
            })
        );
        assert_eq!(header_in_row(&sheet, 1), None);
        assert_eq!(header_in_row(&sheet, 2), None);
    }

    #[test]
    fn wavelengths_from_labels() {
        assert_eq!(wavelength_in("450nm:450"), Some(450.0));
        assert_eq!(wavelength_in("Raw Data (450 1)"), Some(450.0));
        assert_eq!(wavelength_in("A450(1)"), Some(450.0));
        assert_eq!(wavelength_in("Plate 1"), None);
    }
}
