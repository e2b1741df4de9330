//! Molecular Devices SoftMax Pro text export (`softmax-pro-text`): `##BLOCKS= N`, then
//! `Note:`/`Group:`/`Plate:` blocks ending with `~End`.
//!
//! Each `Plate:` block becomes one plate. Its tab-separated header carries the export format
//! (`PlateFormat` grids or `TimeFormat` one-line-per-time-point), the read type, the data type
//! (`Raw` or `Reduced` — a reduced plate holds the already-subtracted difference, imported as
//! [`ReadKind::Difference`]), the wavelength count and list, and the plate size. In
//! PlateFormat, several wavelengths sit side by side (one 1…N header run each) and kinetic
//! time points follow one another as 8-row blocks; in TimeFormat, wells are columns
//! (repeated per wavelength) and time points are lines.

use std::collections::BTreeMap;

use crate::plate::{Plate, PlateShape, Read, ReadKind, WellId};

use super::cell::{CellValue, parse_cell};
use super::grid::{parse_duration, put_meta};
use super::text::{TextSource, split_fields};
use super::{ImportError, Imported};

/// Format id.
pub(crate) const ID: &str = "softmax-pro-text";

pub(crate) fn detect(source: &TextSource) -> bool {
    source
        .lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with("##BLOCKS="))
}

/// What the `Plate:` header line says.
#[derive(Debug, Default)]
struct PlateHeader {
    name: String,
    time_format: bool,
    read_type: String,
    reduced: bool,
    wavelengths: Vec<f64>,
    shape: Option<PlateShape>,
    first_row: usize,
}

fn parse_header(fields: &[String]) -> PlateHeader {
    let get = |i: usize| fields.get(i).map_or("", |s| s.trim());
    let mut header = PlateHeader {
        name: get(1).to_string(),
        time_format: get(3).eq_ignore_ascii_case("TimeFormat"),
        read_type: get(4).to_string(),
        reduced: get(6).eq_ignore_ascii_case("Reduced"),
        first_row: 1,
        ..PlateHeader::default()
    };
    // The wavelength count n followed by a field with n numbers; then first column,
    // number of columns, plate size, first row, number of rows (columns come from the
    // grid header itself).
    for i in 8..fields.len() {
        let Ok(n) = get(i).parse::<usize>() else {
            continue;
        };
        let list: Vec<f64> = get(i + 1)
            .split_whitespace()
            .filter_map(|t| t.parse::<f64>().ok())
            .collect();
        if (1..=16).contains(&n) && list.len() == n {
            header.wavelengths = list;
            let num = |j: usize| get(j).parse::<usize>().ok();
            header.shape = num(i + 4).and_then(PlateShape::from_well_count);
            header.first_row = num(i + 5).unwrap_or(1).max(1);
            break;
        }
    }
    if header.shape.is_none() {
        header.shape = fields
            .iter()
            .filter_map(|f| f.trim().parse::<usize>().ok())
            .filter(|n| [96, 384, 1536].contains(n))
            .find_map(PlateShape::from_well_count);
    }
    header
}

pub(crate) fn parse(source: &TextSource) -> Result<Imported, ImportError> {
    let lines = &source.lines;
    let mut plates = Vec::new();
    let mut warnings = Vec::new();
    let mut file_meta: BTreeMap<String, String> = BTreeMap::new();
    let mut idx = 0;
    while idx < lines.len() {
        let line = &lines[idx];
        if let Some(rest) = line.trim_start().strip_prefix("Original Filename:") {
            let mut parts = rest.split(';');
            put_meta(
                &mut file_meta,
                "original_filename",
                parts.next().unwrap_or(""),
            );
            for part in parts {
                if let Some(date) = part.trim().strip_prefix("Date Last Saved:") {
                    put_meta(&mut file_meta, "date_last_saved", date);
                }
            }
        }
        if !line.starts_with("Plate:") {
            idx += 1;
            continue;
        }
        // The block runs to `~End` (or EOF, for truncated files).
        let end = (idx + 1..lines.len())
            .find(|&j| lines[j].trim_start().starts_with("~End"))
            .unwrap_or(lines.len());
        let fields = split_fields(line, '\t');
        let header = parse_header(&fields);
        let Some(shape) = header.shape else {
            return Err(ImportError::malformed(
                ID,
                format!("line {}", idx + 1),
                "the `Plate:` header names no plate size (expected 96, 384 or 1536)",
            ));
        };
        let block = &lines[idx + 1..end];
        let reads = if header.time_format {
            time_format(&header, shape, block, idx + 2, &mut warnings)?
        } else {
            plate_format(&header, shape, block, idx + 2, &mut warnings)?
        };
        if reads.is_empty() {
            warnings.push(format!(
                "line {}: plate {:?} holds no values",
                idx + 1,
                header.name
            ));
        } else {
            let mut plate = Plate::new(
                if header.name.is_empty() {
                    format!("Plate {}", plates.len() + 1)
                } else {
                    header.name.clone()
                },
                shape,
            );
            plate.reads = reads;
            let m = &mut plate.metadata;
            put_meta(m, "software", "SoftMax Pro");
            put_meta(m, "block_version", fields.get(2).map_or("", String::as_str));
            put_meta(m, "export_format", fields.get(3).map_or("", String::as_str));
            put_meta(m, "read_type", &header.read_type);
            put_meta(m, "read_mode", fields.get(5).map_or("", String::as_str));
            put_meta(m, "data_type", fields.get(6).map_or("", String::as_str));
            let wl: Vec<String> = header.wavelengths.iter().map(|w| format!("{w}")).collect();
            put_meta(m, "wavelengths", &wl.join(", "));
            plates.push(plate);
        }
        idx = end + 1;
    }
    if plates.is_empty() {
        return Err(ImportError::malformed(
            ID,
            "whole file",
            "no `Plate:` block with values (expected a line starting `Plate:` followed by a grid)",
        ));
    }
    for plate in &mut plates {
        for (k, v) in &file_meta {
            plate.metadata.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Ok(Imported {
        format: ID.into(),
        plates,
        warnings,
    })
}

/// The label, wavelength and kind of the `index`-th grid of a plate with `grids` grids.
fn read_identity(
    header: &PlateHeader,
    index: usize,
    grids: usize,
) -> (String, Option<f64>, ReadKind) {
    let name = if header.name.is_empty() {
        "Plate"
    } else {
        &header.name
    };
    if header.reduced && grids == 1 {
        let list: Vec<String> = header.wavelengths.iter().map(|w| format!("{w}")).collect();
        let label = if list.len() > 1 {
            format!("{name} Reduced ({})", list.join("-"))
        } else {
            format!("{name} Reduced")
        };
        return (
            label,
            header.wavelengths.first().copied(),
            ReadKind::Difference,
        );
    }
    let wavelength = header.wavelengths.get(index).copied();
    let label = match wavelength {
        Some(w) => format!("{name} {w}"),
        None => format!("{name} read {}", index + 1),
    };
    let kind = if header.reduced {
        ReadKind::Derived
    } else {
        ReadKind::Raw
    };
    (label, wavelength, kind)
}

fn store(read: &mut Read, shape: PlateShape, well: WellId, raw: &str) {
    match parse_cell(raw, false) {
        CellValue::Empty => {}
        CellValue::Number(v) => read.set(shape, well, Some(v)),
        CellValue::Flag(t) | CellValue::Text(t) => read.flag(shape, well, t),
    }
}

/// TimeFormat: header `Time, Temperature, A1, A2 …` (wells repeat per wavelength), then one
/// line per time point.
fn time_format(
    header: &PlateHeader,
    shape: PlateShape,
    block: &[String],
    first_line_no: usize,
    warnings: &mut Vec<String>,
) -> Result<Vec<Read>, ImportError> {
    let Some(head) = block.first() else {
        return Ok(Vec::new());
    };
    let fields = split_fields(head, '\t');
    // (column, grid index, well)
    let mut columns: Vec<(usize, usize, WellId)> = Vec::new();
    let mut grid = 0;
    let mut seen: Vec<WellId> = Vec::new();
    for (col, text) in fields.iter().enumerate().skip(2) {
        let Ok(well) = WellId::parse(text) else {
            continue;
        };
        if seen.contains(&well) {
            grid += 1;
            seen.clear();
        }
        seen.push(well);
        columns.push((col, grid, well));
    }
    if columns.is_empty() {
        return Err(ImportError::malformed(
            ID,
            format!("line {first_line_no}"),
            "expected a TimeFormat header with well columns (A1, A2, …)",
        ));
    }
    let grids = grid + 1;
    let kinetic = !header.read_type.eq_ignore_ascii_case("Endpoint");
    let mut reads = Vec::new();
    for (offset, line) in block.iter().enumerate().skip(1) {
        let values = split_fields(line, '\t');
        if values.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let time_s = if kinetic {
            values.first().and_then(|t| parse_duration(t))
        } else {
            None
        };
        let mut line_reads: Vec<Read> = (0..grids)
            .map(|g| {
                let (label, wavelength, kind) = read_identity(header, g, grids);
                let mut read = Read::empty(label, shape);
                read.wavelength_nm = wavelength;
                read.kind = kind;
                read.time_s = time_s;
                read
            })
            .collect();
        for (col, g, well) in &columns {
            if !shape.contains(*well) {
                warnings.push(format!(
                    "line {}: well {well} lies outside the {shape}; ignored",
                    first_line_no + offset
                ));
                continue;
            }
            if let (Some(read), Some(raw)) = (line_reads.get_mut(*g), values.get(*col)) {
                store(read, shape, *well, raw);
            }
        }
        reads.append(&mut line_reads);
    }
    Ok(reads)
}

/// PlateFormat: header `\tTemperature\t1…12[\t\t1…12]`, then blocks of rows (one per plate
/// row), kinetic blocks separated by blank lines; the first row of a block starts with the
/// time (kinetic) and temperature.
fn plate_format(
    header: &PlateHeader,
    shape: PlateShape,
    block: &[String],
    first_line_no: usize,
    warnings: &mut Vec<String>,
) -> Result<Vec<Read>, ImportError> {
    let Some(head) = block.first() else {
        return Ok(Vec::new());
    };
    let fields = split_fields(head, '\t');
    // Runs of column numbers: (grid index) -> Vec<(field col, plate col)>.
    let mut runs: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut prev: Option<usize> = None;
    for (col, text) in fields.iter().enumerate() {
        match text.trim().parse::<usize>() {
            Ok(n) if n >= 1 && n <= shape.cols => {
                if prev.is_none_or(|p| n <= p) {
                    runs.push(Vec::new());
                }
                if let Some(run) = runs.last_mut() {
                    run.push((col, n - 1));
                }
                prev = Some(n);
            }
            _ => prev = None,
        }
    }
    if runs.is_empty() {
        return Err(ImportError::malformed(
            ID,
            format!("line {first_line_no}"),
            "expected a PlateFormat header with column numbers 1, 2, …",
        ));
    }
    let grids = runs.len();
    let kinetic = !header.read_type.eq_ignore_ascii_case("Endpoint");
    let mut reads = Vec::new();
    let mut row_in_block = 0usize;
    let mut current: Vec<Read> = Vec::new();
    let flush = |current: &mut Vec<Read>, reads: &mut Vec<Read>| reads.append(current);
    for (offset, line) in block.iter().enumerate().skip(1) {
        let values = split_fields(line, '\t');
        if values.iter().all(|f| f.trim().is_empty()) {
            flush(&mut current, &mut reads);
            row_in_block = 0;
            continue;
        }
        if row_in_block == 0 {
            let time_s = if kinetic {
                values.first().and_then(|t| parse_duration(t))
            } else {
                None
            };
            current = (0..grids)
                .map(|g| {
                    let (label, wavelength, kind) = read_identity(header, g, grids);
                    let mut read = Read::empty(label, shape);
                    read.wavelength_nm = wavelength;
                    read.kind = kind;
                    read.time_s = time_s;
                    read
                })
                .collect();
        }
        let plate_row = header.first_row - 1 + row_in_block;
        if plate_row >= shape.rows {
            warnings.push(format!(
                "line {}: more rows than the {shape} has; ignored",
                first_line_no + offset
            ));
        } else {
            for (g, run) in runs.iter().enumerate() {
                for (col, plate_col) in run {
                    if let (Some(read), Some(raw)) = (current.get_mut(g), values.get(*col)) {
                        store(read, shape, WellId::new(plate_row, *plate_col), raw);
                    }
                }
            }
        }
        row_in_block += 1;
        if row_in_block >= shape.rows {
            flush(&mut current, &mut reads);
            row_in_block = 0;
        }
    }
    flush(&mut current, &mut reads);
    Ok(reads)
}

#[cfg(test)]
mod tests {
    use super::super::import_bytes;
    use super::*;

    fn plate_format_text(kinetic: bool) -> String {
        let mut text = String::from("##BLOCKS= 1\t\n");
        text.push_str(&format!(
            "Plate:\tPlate1\t1.3\tPlateFormat\t{}\tAbsorbance\tRaw\tFALSE\t2\t\t\t\t\t\t2\t450 650 \t1\t12\t96\t1\t8\n",
            if kinetic { "Kinetic" } else { "Endpoint" }
        ));
        let cols: Vec<String> = (1..=12).map(|c| c.to_string()).collect();
        text.push_str(&format!(
            "\tTemperature(\u{a1}C)\t{}\t\t{}\n",
            cols.join("\t"),
            cols.join("\t")
        ));
        for t in 0..2 {
            for r in 0..8 {
                let lead = if r == 0 {
                    format!("0:{:02}\t25.1", t * 30)
                } else {
                    "\t".into()
                };
                let a: Vec<String> = (0..12).map(|c| format!("0.{r}{c:02}{t}")).collect();
                let b: Vec<String> = (0..12)
                    .map(|c| {
                        if r == 1 && c == 6 {
                            "OVER".into()
                        } else {
                            format!("1.{r}{c:02}{t}")
                        }
                    })
                    .collect();
                text.push_str(&format!("{lead}\t{}\t\t{}\n", a.join("\t"), b.join("\t")));
            }
            text.push_str("\t\t\t\n");
        }
        text.push_str("~End \n");
        text
    }

    #[test]
    fn side_by_side_wavelengths_and_kinetic_blocks() {
        let imported = import_bytes(plate_format_text(true).as_bytes()).unwrap();
        assert_eq!(imported.format, ID);
        let plate = &imported.plates[0];
        assert_eq!(plate.reads.len(), 4);
        assert_eq!(plate.reads[1].wavelength_nm, Some(650.0));
        assert_eq!(plate.reads[2].time_s, Some(30.0));
        let h12 = WellId::parse("H12").unwrap();
        assert_eq!(plate.value(2, h12), Some(0.7111));
        assert_eq!(
            plate.reads[1]
                .flags
                .get(&WellId::parse("B7").unwrap())
                .unwrap(),
            "OVER"
        );
    }

    #[test]
    fn truncated_block_without_end() {
        let text = plate_format_text(false).replace("~End \n", "");
        let imported = import_bytes(text.as_bytes()).unwrap();
        // Two 8-row blocks x two wavelengths, the last one ended by EOF.
        assert_eq!(imported.plates[0].reads.len(), 4);
    }

    #[test]
    fn reduced_time_format_is_a_difference() {
        let wells: Vec<String> = PlateShape::WELLS_96
            .wells()
            .map(|w| w.to_string())
            .collect();
        let values: Vec<String> = (0..96)
            .map(|i| format!("{}", f64::from(i) / 100.0))
            .collect();
        let text = format!(
            "##BLOCKS= 1\nPlate:\tP\t1.3\tTimeFormat\tEndpoint\tAbsorbance\tReduced\tFALSE\t1\t\t\t\t\t\t2\t450 650 \t1\t12\t96\t1\t8\n\t\t{}\n\t\t{}\n~End\n",
            wells.join("\t"),
            values.join("\t")
        );
        let imported = import_bytes(text.as_bytes()).unwrap();
        let read = &imported.plates[0].reads[0];
        assert_eq!(read.kind, ReadKind::Difference);
        assert_eq!(read.wavelength_nm, Some(450.0));
        assert_eq!(
            imported.plates[0].value(0, WellId::parse("B1").unwrap()),
            Some(0.12)
        );
    }
}
