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

use crate::plate::{Plate, PlateShape, Read, ReadKind, ReadMode, WellId};

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
    /// First plate column of the grid (1-based) and number of columns read.
    first_col: usize,
    n_cols: Option<usize>,
    /// Number of plate rows read.
    n_rows: Option<usize>,
    /// Number of reads (time points) the header announces.
    n_reads: Option<usize>,
    mode: Option<ReadMode>,
}

/// The wavelength list of a `Plate:` header (`450 650 `: numbers separated by spaces, with
/// a trailing space) and the count in the field before it, when they disagree.
fn wavelength_count_mismatch(fields: &[String]) -> Option<(usize, usize, String)> {
    let (idx, list) = fields.iter().enumerate().skip(9).find_map(|(i, f)| {
        let tokens: Vec<f64> = f
            .split_whitespace()
            .map(|t| {
                t.parse::<f64>()
                    .ok()
                    .filter(|w| (150.0..=1100.0).contains(w))
            })
            .collect::<Option<Vec<f64>>>()?;
        (!tokens.is_empty() && f.contains(' ')).then_some((i, tokens))
    })?;
    let announced = fields.get(idx - 1)?.trim().parse::<usize>().ok()?;
    (announced != list.len()).then(|| (announced, list.len(), fields[idx].trim().to_string()))
}

fn parse_header(fields: &[String]) -> PlateHeader {
    let get = |i: usize| fields.get(i).map_or("", |s| s.trim());
    let mut header = PlateHeader {
        name: get(1).to_string(),
        time_format: get(3).eq_ignore_ascii_case("TimeFormat"),
        read_type: get(4).to_string(),
        reduced: get(6).eq_ignore_ascii_case("Reduced"),
        first_row: 1,
        first_col: 1,
        n_reads: get(8).parse::<usize>().ok().filter(|n| *n >= 1),
        mode: ReadMode::from_text(get(5)),
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
            header.first_col = num(i + 2).unwrap_or(1).max(1);
            header.n_cols = num(i + 3).filter(|n| *n >= 1);
            header.n_rows = num(i + 6).filter(|n| *n >= 1);
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
        // The block runs to `~End`, or — when a truncated or spliced file lacks it — to the
        // next block header or EOF.
        let end = (idx + 1..lines.len())
            .find(|&j| {
                let l = lines[j].trim_start();
                ["~End", "Plate:", "Group:", "Note:", "##BLOCKS"]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .unwrap_or(lines.len());
        let fields = split_fields(line, '\t');
        if let Some((announced, listed, list)) = wavelength_count_mismatch(&fields) {
            return Err(ImportError::malformed(
                ID,
                format!("line {}", idx + 1),
                format!(
                    "the `Plate:` header announces {announced} wavelength(s) but lists {listed} ({list})"
                ),
            ));
        }
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
        let mut reads = reads;
        for read in &mut reads {
            read.mode = header.mode;
        }
        // A declared plate size larger than the grid the values fill (a 384-well header over
        // an 8 × 12 grid) would change the plate's shape silently: say so.
        let (mut max_row, mut max_col) = (0usize, 0usize);
        for read in &reads {
            for well in shape.wells() {
                if read.value_at(shape, well).is_some() || read.flags.contains_key(&well) {
                    max_row = max_row.max(well.row_idx() + 1);
                    max_col = max_col.max(well.col_idx() + 1);
                }
            }
        }
        if max_row > 0
            && let Some(smaller) = PlateShape::from_well_count(96)
            && shape.well_count() > smaller.well_count()
            && max_row <= smaller.rows
            && max_col <= smaller.cols
        {
            warnings.push(format!(
                "line {}: the `Plate:` header declares {} wells but the values fill only {max_row} rows × {max_col} columns (a 96-well grid); check the plate size",
                idx + 1,
                shape.well_count()
            ));
        }
        let time_points = {
            let mut times: Vec<u64> = reads
                .iter()
                .map(|r| r.time_s.unwrap_or(-1.0).to_bits())
                .collect();
            times.dedup();
            times.len()
        };
        if let Some(declared) = header.n_reads
            && !header.read_type.eq_ignore_ascii_case("Endpoint")
            && !reads.is_empty()
            && time_points < declared
        {
            warnings.push(format!(
                "line {}: plate {:?} announces {declared} reads but the file holds {time_points}; the file looks truncated (the last time point present is not the end of the run)",
                idx + 1,
                header.name
            ));
        }
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
        idx = if lines
            .get(end)
            .is_some_and(|l| l.trim_start().starts_with("~End"))
        {
            end + 1
        } else {
            end
        };
    }
    if plates.is_empty() {
        return Err(ImportError::malformed(
            ID,
            "whole file",
            "no `Plate:` block with values (expected a line starting `Plate:` followed by a grid)",
        ));
    }
    // `##BLOCKS= N` announces the blocks; fewer `~End` lines means the file was cut short.
    let announced = lines
        .iter()
        .find_map(|l| l.trim_start().strip_prefix("##BLOCKS="))
        .and_then(|n| n.trim().parse::<usize>().ok());
    let ended = lines
        .iter()
        .filter(|l| l.trim_start().starts_with("~End"))
        .count();
    if let Some(announced) = announced
        && ended < announced
    {
        warnings.push(format!(
            "line 1: the file announces {announced} blocks but only {ended} end with `~End`; it looks truncated (blocks after the last one present are missing)"
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
        // A line with fewer fields than the header has wells was cut short.
        let cut: Vec<(usize, WellId)> = columns
            .iter()
            .filter(|(col, _, well)| *col >= values.len() && shape.contains(*well))
            .map(|(_, g, well)| (*g, *well))
            .collect();
        for (g, read) in line_reads.iter_mut().enumerate() {
            let missing: Vec<WellId> = cut
                .iter()
                .filter(|(cg, _)| *cg == g)
                .map(|(_, w)| *w)
                .collect();
            if !missing.is_empty() {
                read.mark_incomplete_wells(
                    shape,
                    &missing,
                    format!(
                        "line {} ends after {} of its {} fields",
                        first_line_no + offset,
                        values.len(),
                        fields.len()
                    ),
                );
            }
        }
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

/// Runs of column numbers in a PlateFormat header line: one run per grid, each
/// `(field index, zero-based plate column)`.
fn column_runs(fields: &[String], shape: PlateShape) -> Vec<Vec<(usize, usize)>> {
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
    runs
}

/// The grid columns of a PlateFormat block without a column-number line, from what the
/// `Plate:` header says: the first column and number of columns, and how many grids sit
/// side by side (one per wavelength, one for reduced data), separated by one empty field.
/// The values are the last fields of a row after the leading time (kinetic) and
/// temperature fields; a first data row with more fields than that shows extra leading
/// fields, which are skipped too.
fn headerless_runs(
    header: &PlateHeader,
    shape: PlateShape,
    first_row: &[String],
) -> Option<Vec<Vec<(usize, usize)>>> {
    let n_cols = header
        .n_cols
        .unwrap_or(shape.cols)
        .min(shape.cols.saturating_sub(header.first_col - 1));
    if n_cols == 0 {
        return None;
    }
    let grids = if header.reduced {
        1
    } else {
        header.wavelengths.len().max(1)
    };
    let width = grids * n_cols + (grids - 1);
    let kinetic = !header.read_type.eq_ignore_ascii_case("Endpoint");
    let used = first_row
        .iter()
        .rposition(|f| !f.trim().is_empty())
        .map_or(0, |i| i + 1);
    let mut lead = if kinetic { 2 } else { 1 };
    // One extra leading field is an (empty) time column; anything more means the header's
    // counts do not describe these rows, and reading on would shift every well.
    if used == lead + 1 + width {
        lead += 1;
    } else if used > lead + width {
        return None;
    }
    Some(
        (0..grids)
            .map(|g| {
                (0..n_cols)
                    .map(|j| (lead + g * (n_cols + 1) + j, header.first_col - 1 + j))
                    .collect()
            })
            .collect(),
    )
}

/// PlateFormat: header `\tTemperature\t1…12[\t\t1…12]` (or no such line: then the `Plate:`
/// header's counts place the grid), then blocks of rows (one per plate row), kinetic blocks
/// separated by blank lines; the first row of a block starts with the time (kinetic) and
/// temperature. A block with fewer rows than the header announces is an incomplete read.
#[allow(clippy::too_many_lines)]
fn plate_format(
    header: &PlateHeader,
    shape: PlateShape,
    block: &[String],
    first_line_no: usize,
    warnings: &mut Vec<String>,
) -> Result<Vec<Read>, ImportError> {
    let Some(head) = block.iter().position(|l| !l.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let fields = split_fields(&block[head], '\t');
    let mut runs = column_runs(&fields, shape);
    let mut data_start = head + 1;
    if runs.is_empty() {
        runs = headerless_runs(header, shape, &fields).ok_or_else(|| {
            ImportError::malformed(
                ID,
                format!("line {}", first_line_no + head),
                format!(
                    "expected a PlateFormat header with column numbers 1, 2, …, or rows of {} columns × {} wavelength(s) as the `Plate:` header announces; the row has {} fields",
                    header.n_cols.unwrap_or(shape.cols),
                    header.wavelengths.len().max(1),
                    fields.len()
                ),
            )
        })?;
        data_start = head;
    }
    let grids = runs.len();
    let kinetic = !header.read_type.eq_ignore_ascii_case("Endpoint");
    let first_row = header.first_row - 1;
    let last_col = header.first_col - 1 + header.n_cols.unwrap_or(0);
    if first_row + header.n_rows.unwrap_or(0) > shape.rows || last_col > shape.cols {
        return Err(ImportError::malformed(
            ID,
            format!("line {}", first_line_no - 1),
            format!(
                "the `Plate:` header places rows {}…{} and columns {}…{} on a {shape}; they do not fit",
                header.first_row,
                first_row + header.n_rows.unwrap_or(0),
                header.first_col,
                last_col
            ),
        ));
    }
    let rows_per_block = header
        .n_rows
        .unwrap_or(shape.rows)
        .min(shape.rows.saturating_sub(first_row))
        .max(1);
    let mut reads = Vec::new();
    let mut row_in_block = 0usize;
    let mut last_line_no = 0usize;
    let mut current: Vec<Read> = Vec::new();
    // Ends the current block; a block cut short marks its reads incomplete.
    let flush = |current: &mut Vec<Read>,
                 reads: &mut Vec<Read>,
                 row_in_block: usize,
                 last_line_no: usize| {
        if current.is_empty() {
            return;
        }
        if row_in_block < rows_per_block {
            let missing: Vec<usize> =
                (first_row + row_in_block..first_row + rows_per_block).collect();
            let reason = format!(
                "the grid ends after row {} at line {last_line_no}; the `Plate:` header announces rows {}–{}",
                crate::plate::row_label(first_row + row_in_block.saturating_sub(1)),
                crate::plate::row_label(first_row),
                crate::plate::row_label(first_row + rows_per_block - 1),
            );
            for read in current.iter_mut() {
                read.mark_incomplete(shape, &missing, reason.clone());
            }
        }
        reads.append(current);
    };
    let mut block_full = false;
    for (offset, line) in block.iter().enumerate().skip(data_start) {
        let values = split_fields(line, '\t');
        if values.iter().all(|f| f.trim().is_empty()) {
            flush(&mut current, &mut reads, row_in_block, last_line_no);
            row_in_block = 0;
            block_full = false;
            continue;
        }
        // A full block followed directly by another row: only a kinetic read's next time
        // point may start there (with its time); anything else means the header's row
        // count does not describe the grid, and reading on would shift the rows.
        if block_full && !(kinetic && values.first().is_some_and(|t| parse_duration(t).is_some())) {
            return Err(ImportError::malformed(
                ID,
                format!("line {}", first_line_no + offset),
                format!("more grid rows than the {rows_per_block} the `Plate:` header announces"),
            ));
        }
        block_full = false;
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
        let plate_row = first_row + row_in_block;
        last_line_no = first_line_no + offset;
        if plate_row >= shape.rows {
            warnings.push(format!(
                "line {last_line_no}: more rows than the {shape} has; ignored"
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
        if row_in_block >= rows_per_block {
            flush(&mut current, &mut reads, row_in_block, last_line_no);
            row_in_block = 0;
            block_full = true;
        }
    }
    flush(&mut current, &mut reads, row_in_block, last_line_no);
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
