//! A simple in-memory grid of cells that every format parses: Excel worksheets (read with
//! calamine) and delimited text alike.
//!
//! An xlsx worksheet is streamed cell by cell (so a damaged or hostile file that claims a
//! huge dimension cannot make us allocate it) into a [`Sheet`] of rows, each row as long as
//! its last used cell. Legacy BIFF `.xls` files are read through calamine's `Xls` reader.
//! Text exports become a [`Sheet`] too ([`Sheet::from_text`]), so the grid-finding helpers in
//! `grid.rs` serve both.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Xls, Xlsx};

use super::ImportError;
use super::cell::{CellValue, parse_cell};
use super::text::{TextSource, split_fields};

/// Workbooks with more used cells than this are refused (a 1536-well kinetic run with a
/// thousand cycles stays well below).
pub const MAX_CELLS: usize = 20_000_000;

/// One cell of a [`Sheet`].
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cell {
    /// Nothing.
    #[default]
    Empty,
    /// A numeric cell.
    Number(f64),
    /// A text cell (for text files: every non-empty field).
    Text(String),
    /// A boolean cell.
    Bool(bool),
    /// A date, time or duration, as an Excel serial (days since 1899-12-30).
    DateTime(f64),
    /// An Excel error value (`#N/A`, `#DIV/0!`), with its text.
    Error(String),
}

impl Cell {
    /// The text of a text cell, trimmed (including no-break spaces); `None` otherwise.
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text.trim_matches(|c: char| c.is_whitespace())),
            _ => None,
        }
    }

    /// The cell as display text (numbers printed as Rust prints them, `1.0` as `1`).
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Number(v) | Self::DateTime(v) => format_number(*v),
            Self::Text(text) => text.trim().to_string(),
            Self::Bool(b) => b.to_string(),
            Self::Error(e) => e.clone(),
        }
    }

    /// Whether the cell is empty or blank text.
    #[must_use]
    pub fn is_blank(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a plate value: numbers as numbers, text through the tolerant
    /// [`parse_cell`], errors as flags. Dates/times are not readings: they come back as text.
    #[must_use]
    pub fn value(&self, decimal_comma: bool) -> CellValue {
        match self {
            Self::Empty => CellValue::Empty,
            Self::Number(v) => {
                if v.is_finite() {
                    CellValue::Number(*v)
                } else {
                    CellValue::Flag(v.to_string())
                }
            }
            Self::Text(text) => parse_cell(text, decimal_comma),
            Self::Bool(b) => CellValue::Text(b.to_string()),
            Self::DateTime(v) => CellValue::Text(format_number(*v)),
            Self::Error(e) => CellValue::Flag(e.clone()),
        }
    }

    /// The cell as a number: numeric cells, and text that parses as a number.
    #[must_use]
    pub fn number(&self) -> Option<f64> {
        match self.value(false) {
            CellValue::Number(v) => Some(v),
            _ => None,
        }
    }
}

/// Formats a number the short way (`1` for 1.0, `0.25` for 0.25).
#[must_use]
pub fn format_number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// One worksheet (or one text file) as rows of cells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    /// The sheet name (empty for text files).
    pub name: String,
    /// Rows of cells, starting at A1; each row ends at its last used cell.
    pub cells: Vec<Vec<Cell>>,
    /// Whether the sheet came from a text file (locations are then given as lines).
    pub from_text: bool,
    /// Cells that hold a formula (xlsx), with the formula text (`=AVERAGE(B13:D13)`); their
    /// cell value is the value Excel cached.
    pub formulas: std::collections::BTreeMap<(usize, usize), String>,
}

static EMPTY: Cell = Cell::Empty;

impl Sheet {
    /// A sheet from the lines of a text file, split on `delimiter`; every non-empty field
    /// becomes a [`Cell::Text`].
    #[must_use]
    pub fn from_text(source: &TextSource, delimiter: char) -> Self {
        let cells = source
            .lines
            .iter()
            .map(|line| {
                let mut row: Vec<Cell> = split_fields(line, delimiter)
                    .into_iter()
                    .map(|f| {
                        if f.trim().is_empty() {
                            Cell::Empty
                        } else {
                            Cell::Text(f)
                        }
                    })
                    .collect();
                while row.last().is_some_and(Cell::is_blank) {
                    row.pop();
                }
                row
            })
            .collect();
        Self {
            name: String::new(),
            cells,
            from_text: true,
            formulas: std::collections::BTreeMap::new(),
        }
    }

    /// The cell at zero-based row and column (empty when outside the used area).
    #[must_use]
    pub fn get(&self, row: usize, col: usize) -> &Cell {
        self.cells
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&EMPTY)
    }

    /// The formula of a cell (`=AVERAGE(B13:D13)`), if it holds one.
    #[must_use]
    pub fn formula(&self, row: usize, col: usize) -> Option<&str> {
        if self.formulas.is_empty() {
            return None;
        }
        self.formulas.get(&(row, col)).map(String::as_str)
    }

    /// The trimmed text of a text cell.
    #[must_use]
    pub fn text(&self, row: usize, col: usize) -> Option<&str> {
        self.get(row, col).text()
    }

    /// The display text of any cell (empty string for empty cells).
    #[must_use]
    pub fn display(&self, row: usize, col: usize) -> String {
        self.get(row, col).display()
    }

    /// Number of rows.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.cells.len()
    }

    /// Length of a row (up to its last used cell).
    #[must_use]
    pub fn row_len(&self, row: usize) -> usize {
        self.cells.get(row).map_or(0, Vec::len)
    }

    /// The row's cells.
    #[must_use]
    pub fn row(&self, row: usize) -> &[Cell] {
        self.cells.get(row).map_or(&[], Vec::as_slice)
    }

    /// Whether every cell of the row is blank.
    #[must_use]
    pub fn row_is_blank(&self, row: usize) -> bool {
        self.row(row).iter().all(Cell::is_blank)
    }

    /// The first non-blank cell of a row as display text, with its column.
    #[must_use]
    pub fn first_text(&self, row: usize) -> Option<(usize, String)> {
        self.row(row)
            .iter()
            .position(|c| !c.is_blank())
            .map(|col| (col, self.display(row, col)))
    }

    /// A human location: `line 12` for text, `sheet "Plate 1", cell B7` for workbooks.
    #[must_use]
    pub fn location(&self, row: usize, col: usize) -> String {
        if self.from_text {
            format!("line {}, field {}", row + 1, col + 1)
        } else {
            format!("sheet {:?}, cell {}", self.name, cell_ref(row, col))
        }
    }

    /// A human location of a row: `line 12` or `sheet "Plate 1", row 12`.
    #[must_use]
    pub fn row_location(&self, row: usize) -> String {
        if self.from_text {
            format!("line {}", row + 1)
        } else {
            format!("sheet {:?}, row {}", self.name, row + 1)
        }
    }

    /// Finds the first cell (row-major, from `from_row`) whose text satisfies `pred`.
    pub fn find(&self, from_row: usize, pred: impl Fn(&str) -> bool) -> Option<(usize, usize)> {
        for row in from_row..self.rows() {
            for (col, cell) in self.row(row).iter().enumerate() {
                if let Some(text) = cell.text()
                    && pred(text)
                {
                    return Some((row, col));
                }
            }
        }
        None
    }

    /// Whether any text cell satisfies `pred`.
    pub fn any_text(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.find(0, pred).is_some()
    }
}

/// The Excel reference of a zero-based cell: (0, 0) → `A1`, (6, 27) → `AB7`.
#[must_use]
pub fn cell_ref(row: usize, col: usize) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 && letters.len() < 4 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), row + 1)
}

/// All worksheets of a workbook, in workbook order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Workbook {
    /// The sheets.
    pub sheets: Vec<Sheet>,
}

impl Workbook {
    /// The sheet with this name (exact), if any.
    #[must_use]
    pub fn sheet(&self, name: &str) -> Option<&Sheet> {
        self.sheets.iter().find(|s| s.name == name)
    }

    /// The first sheet whose name satisfies `pred`.
    pub fn sheet_where(&self, pred: impl Fn(&str) -> bool) -> Option<&Sheet> {
        self.sheets.iter().find(|s| pred(&s.name))
    }

    /// Whether any sheet has a text cell satisfying `pred`.
    pub fn any_text(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.sheets.iter().any(|s| s.any_text(&pred))
    }
}

/// Reads an xlsx (OOXML zip) workbook from its bytes.
///
/// # Errors
/// [`ImportError::Workbook`] when the zip or its XML is damaged, or the sheets hold more
/// than [`MAX_CELLS`] cells.
pub fn read_xlsx(bytes: &[u8]) -> Result<Workbook, ImportError> {
    guard_panics(|| {
        let mut xlsx = Xlsx::new(Cursor::new(bytes))
            .map_err(|e| ImportError::Workbook(format!("not a readable xlsx workbook: {e}")))?;
        let names = xlsx.sheet_names();
        let mut sheets = Vec::new();
        let mut total = 0usize;
        for name in names {
            let mut reader = xlsx.worksheet_cells_reader(&name).map_err(|e| {
                ImportError::Workbook(format!("sheet {name:?} cannot be read: {e}"))
            })?;
            let mut cells: Vec<Vec<Cell>> = Vec::new();
            let mut formulas = std::collections::BTreeMap::new();
            loop {
                let next = reader.next_cell_with_formula().map_err(|e| {
                    ImportError::Workbook(format!("sheet {name:?} is damaged: {e}"))
                })?;
                let Some(cell) = next else { break };
                let (row, col) = cell.pos;
                let value = from_data_ref(&cell.value);
                if value == Cell::Empty {
                    continue;
                }
                if let Some(formula) = cell.formula.filter(|f| !f.trim().is_empty()) {
                    let text = if formula.starts_with('=') {
                        formula
                    } else {
                        format!("={formula}")
                    };
                    formulas.insert((row as usize, col as usize), text);
                }
                total += 1;
                if total > MAX_CELLS {
                    return Err(ImportError::Workbook(format!(
                        "the workbook holds more than {MAX_CELLS} cells"
                    )));
                }
                place(&mut cells, row as usize, col as usize, value)?;
            }
            sheets.push(Sheet {
                name,
                cells,
                from_text: false,
                formulas,
            });
        }
        Ok(Workbook { sheets })
    })
}

/// Reads a legacy BIFF `.xls` workbook from its bytes.
///
/// # Errors
/// [`ImportError::Workbook`] when calamine cannot read it.
pub fn read_xls(bytes: &[u8]) -> Result<Workbook, ImportError> {
    guard_panics(|| {
        let mut xls = Xls::new(Cursor::new(bytes)).map_err(|e| {
            ImportError::Workbook(format!(
                "not a readable legacy Excel (.xls) workbook: {e}; re-save it as .xlsx"
            ))
        })?;
        let names = xls.sheet_names();
        let mut sheets = Vec::new();
        let mut total = 0usize;
        for name in names {
            let range = xls.worksheet_range(&name).map_err(|e| {
                ImportError::Workbook(format!("sheet {name:?} cannot be read: {e}"))
            })?;
            let mut cells: Vec<Vec<Cell>> = Vec::new();
            for (row, col, data) in range.used_cells() {
                let value = from_data(data);
                if value == Cell::Empty {
                    continue;
                }
                total += 1;
                if total > MAX_CELLS {
                    return Err(ImportError::Workbook(format!(
                        "the workbook holds more than {MAX_CELLS} cells"
                    )));
                }
                let (r0, c0) = range.start().unwrap_or((0, 0));
                place(&mut cells, row + r0 as usize, col + c0 as usize, value)?;
            }
            sheets.push(Sheet {
                name,
                cells,
                from_text: false,
                formulas: std::collections::BTreeMap::new(),
            });
        }
        Ok(Workbook { sheets })
    })
}

/// Runs a workbook reader, turning a panic inside the spreadsheet library (damaged files
/// have triggered them in the past) into an error.
fn guard_panics(
    f: impl FnOnce() -> Result<Workbook, ImportError> + std::panic::UnwindSafe,
) -> Result<Workbook, ImportError> {
    std::panic::catch_unwind(f).unwrap_or_else(|_| {
        Err(ImportError::Workbook(
            "the spreadsheet library failed on this file (damaged workbook)".into(),
        ))
    })
}

fn place(
    cells: &mut Vec<Vec<Cell>>,
    row: usize,
    col: usize,
    value: Cell,
) -> Result<(), ImportError> {
    // Excel's own limits; anything beyond is a damaged file.
    if row >= 1_048_576 || col >= 16_384 {
        return Err(ImportError::Workbook(format!(
            "cell {} lies outside Excel's grid",
            cell_ref(row, col)
        )));
    }
    if cells.len() <= row {
        cells.resize_with(row + 1, Vec::new);
    }
    if let Some(r) = cells.get_mut(row) {
        if r.len() <= col {
            r.resize(col + 1, Cell::Empty);
        }
        if let Some(slot) = r.get_mut(col) {
            *slot = value;
        }
    }
    Ok(())
}

fn from_data_ref(data: &DataRef<'_>) -> Cell {
    match data {
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => text_cell(s),
        DataRef::SharedString(s) => text_cell(s),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => Cell::DateTime(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => text_cell(s),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

fn from_data(data: &Data) -> Cell {
    match data {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => text_cell(s),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => Cell::DateTime(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => text_cell(s),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

fn text_cell(s: &str) -> Cell {
    if s.trim().is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_refs() {
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(6, 27), "AB7");
        assert_eq!(cell_ref(166, 633), "XJ167");
    }

    #[test]
    fn text_sheet_keeps_empty_fields() {
        let source = TextSource::new("a\t\tb\t\n\tx");
        let sheet = Sheet::from_text(&source, '\t');
        assert_eq!(sheet.text(0, 2), Some("b"));
        assert_eq!(sheet.get(0, 1), &Cell::Empty);
        assert_eq!(sheet.row_len(0), 3);
        assert_eq!(sheet.location(1, 1), "line 2, field 2");
    }

    #[test]
    fn damaged_zip_is_an_error() {
        assert!(read_xlsx(b"PK\x03\x04garbage").is_err());
        assert!(read_xls(&[0xD0, 0xCF, 0x11, 0xE0, 1, 2, 3]).is_err());
    }
}
