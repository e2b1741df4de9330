//! Reading plate-reader exports into [`Plate`]s.
//!
//! One entry point, [`import_bytes`] (and [`import_file`] for a path), sniffs the content —
//! never the file extension — decodes text (UTF-8 with or without BOM, UTF-16, Windows-1252),
//! and hands it to the first format whose signature matches. Each format lives in its own
//! module and exposes `detect` and `parse`.
//!
//! Partial success is data: an [`Imported`] carries warnings next to the plates.

mod bmg;
mod cell;
mod gen5;
mod generic;
mod grid;
pub mod json;
mod perkinelmer;
mod softmax;
mod tecan;
mod text;
mod thermo;
pub mod workbook;

use std::path::Path;

use serde::Serialize;

use crate::plate::{Plate, Read, ReadKind, WellId};

pub use cell::{CellValue, parse_cell, parse_number};
pub use text::{TextSource, decode_text, guess_delimiter, split_fields};
pub use workbook::{Cell, Sheet, Workbook};

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

/// What the importer read from one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Imported {
    /// The format id (`generic-grid-csv`, `biotek-gen5-text`, …).
    pub format: String,
    /// The plates, in file order.
    pub plates: Vec<Plate>,
    /// Things the user should know (skipped sections, guessed units, …).
    pub warnings: Vec<String>,
}

/// A file that could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("file is {size} bytes; platefit reads plate files up to {max} bytes")]
    TooLarge {
        /// Size of the file.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The file is empty.
    #[error("file is empty")]
    Empty,
    /// No known format matched.
    #[error(
        "not a plate-reader export platefit knows: expected one of the supported formats ({tried}); {hint}"
    )]
    Unrecognized {
        /// The formats that were tried, comma-separated.
        tried: String,
        /// What the file looked like.
        hint: String,
    },
    /// The format was recognized, but the content is damaged or unexpected.
    #[error("{format}: {location}: {message}")]
    Malformed {
        /// The format id.
        format: String,
        /// Where: `line 12`, `sheet "Plate 1", cell B7`, `well C4`.
        location: String,
        /// What was expected.
        message: String,
    },
    /// A spreadsheet that could not be opened.
    #[error("cannot open the workbook: {0}")]
    Workbook(String),
    /// Reading the file failed.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
}

impl ImportError {
    /// A [`ImportError::Malformed`] error.
    pub fn malformed(
        format: impl Into<String>,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Malformed {
            format: format.into(),
            location: location.into(),
            message: message.into(),
        }
    }
}

/// The container a file's bytes hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// An OOXML zip (xlsx), whatever its extension.
    Xlsx,
    /// A legacy binary Excel file (BIFF, OLE compound document).
    Xls,
    /// Anything else: decoded as text.
    Text,
}

/// Sniffs the container from the first bytes.
#[must_use]
pub fn sniff_container(bytes: &[u8]) -> Container {
    if bytes.starts_with(b"PK\x03\x04") {
        Container::Xlsx
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Container::Xls
    } else {
        Container::Text
    }
}

/// The text formats, in the order they are tried (most specific first).
const TEXT_FORMATS: &[(&str, TextDetector, TextParser)] = &[
    (softmax::ID, softmax::detect, softmax::parse),
    (gen5::TEXT_ID, gen5::detect_text, gen5::parse_text),
    (bmg::CSV_ID, bmg::detect_csv, bmg::parse_csv),
    (
        perkinelmer::ENVISION_ID,
        perkinelmer::detect_envision,
        perkinelmer::parse_envision,
    ),
    (
        perkinelmer::KALEIDO_ID,
        perkinelmer::detect_kaleido,
        perkinelmer::parse_kaleido,
    ),
    (
        thermo::MULTISKAN_TEXT_ID,
        thermo::detect_multiskan_text,
        thermo::parse_multiskan_text,
    ),
    (generic::LONG_ID, generic::detect_long, generic::parse_long),
    (generic::GRID_ID, generic::detect_grid, generic::parse_grid),
];

/// The workbook formats, in the order they are tried (most specific first).
const WORKBOOK_FORMATS: &[(&str, WorkbookDetector, WorkbookParser)] = &[
    (gen5::XLSX_ID, gen5::detect_xlsx, gen5::parse_xlsx),
    (bmg::SMART_ID, bmg::detect_smart, bmg::parse_smart),
    (bmg::XLSX_ID, bmg::detect_xlsx, bmg::parse_xlsx),
    (
        tecan::MAGELLAN_ID,
        tecan::detect_magellan,
        tecan::parse_magellan,
    ),
    (
        tecan::ICONTROL_ID,
        tecan::detect_icontrol,
        tecan::parse_icontrol,
    ),
    (thermo::SKY_ID, thermo::detect_sky, thermo::parse_sky),
    (
        thermo::SKANIT_ID,
        thermo::detect_skanit,
        thermo::parse_skanit,
    ),
];

/// Software names that only an instrument's own export writes. A file that names one but
/// is read by a plain reader had its structure damaged (a moved or merged line): the plain
/// reader keeps the numbers but not the vendor's plate names, read labels or wavelengths.
const VENDOR_MARKS: &[&str] = &[
    "Kaleido",
    "EnVision",
    "EnSight",
    "SoftMax",
    "Gen5",
    "SkanIt",
    "i-control",
    "Magellan",
    "BMG LABTECH",
];

/// The warning for a plain-read file that names an instrument's software, if it does.
fn vendor_mention(source: &TextSource) -> Option<String> {
    source.lines.iter().enumerate().find_map(|(idx, line)| {
        let mark = VENDOR_MARKS.iter().find(|mark| line.contains(**mark))?;
        Some(format!(
            "line {}: the file names {mark}, but its layout is not that software's export (a line moved or merged?); read as a plain grid, without the vendor's plate names, read labels and wavelengths",
            idx + 1
        ))
    })
}

type TextDetector = fn(&TextSource) -> bool;
type WorkbookDetector = fn(&Workbook) -> bool;
type TextParser = fn(&TextSource) -> Result<Imported, ImportError>;
type WorkbookParser = fn(&Workbook) -> Result<Imported, ImportError>;

/// Imports a plate-reader export from its bytes.
///
/// # Errors
/// [`ImportError`] when the file is empty, too large, of no known format, or damaged.
pub fn import_bytes(bytes: &[u8]) -> Result<Imported, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    let size = bytes.len() as u64;
    if size > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge {
            size,
            max: MAX_FILE_BYTES,
        });
    }
    match sniff_container(bytes) {
        Container::Xlsx | Container::Xls => {
            let book = if sniff_container(bytes) == Container::Xlsx {
                workbook::read_xlsx(bytes)?
            } else {
                workbook::read_xls(bytes)?
            };
            for (_, detect, parse) in WORKBOOK_FORMATS {
                if detect(&book) {
                    return parse(&book).map(finish);
                }
            }
            let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
            Err(ImportError::Unrecognized {
                tried: supported_formats().join(", "),
                hint: format!(
                    "the file is an Excel workbook (sheets: {}) whose content matches none of them",
                    names.join(", ")
                ),
            })
        }
        Container::Text => {
            let source = TextSource::new(&decode_text(bytes));
            for (id, detect, parse) in TEXT_FORMATS {
                if detect(&source) {
                    let mut imported = parse(&source)?;
                    if *id == generic::GRID_ID || *id == generic::LONG_ID {
                        imported.warnings.extend(vendor_mention(&source));
                    }
                    return Ok(finish(imported));
                }
            }
            Err(ImportError::Unrecognized {
                tried: supported_formats().join(", "),
                hint: source.describe(),
            })
        }
    }
}

/// The checks every format shares, after its parser is done:
///
/// - **A raw read that covers fewer wells than its plate's other raw reads is incomplete**
///   (a grid cut short, a kinetic run that stopped mid-plate): the wells it lacks are flagged
///   and the read says so, instead of passing as a complete read with empty wells.
/// - Warnings are folded, one line per cause ([`crate::warnings::fold`]).
fn finish(mut imported: Imported) -> Imported {
    for plate in &mut imported.plates {
        let shape = plate.shape;
        let covered = |read: &Read| -> Vec<bool> {
            shape
                .wells()
                .map(|w| read.value_at(shape, w).is_some() || read.flags.contains_key(&w))
                .collect()
        };
        let coverage: Vec<Option<Vec<bool>>> = plate
            .reads
            .iter()
            .map(|r| (r.kind == ReadKind::Raw).then(|| covered(r)))
            .collect();
        let mut union = vec![false; shape.well_count()];
        for cov in coverage.iter().flatten() {
            for (u, c) in union.iter_mut().zip(cov) {
                *u |= *c;
            }
        }
        for (read, cov) in plate.reads.iter_mut().zip(&coverage) {
            let Some(cov) = cov else { continue };
            if read.incomplete.is_some() || !cov.iter().any(|c| *c) {
                continue;
            }
            let lacking: Vec<WellId> = shape
                .wells()
                .zip(union.iter().zip(cov))
                .filter(|(_, (u, c))| **u && !**c)
                .map(|(w, _)| w)
                .collect();
            if !lacking.is_empty() {
                let reason = format!(
                    "no value for {} that the plate's other reads have",
                    crate::warnings::name_a_few(&lacking)
                );
                imported.warnings.push(format!(
                    "plate {:?}, read {:?}: incomplete, {reason}; those wells are flagged",
                    plate.name, read.label
                ));
                for well in lacking {
                    read.flag(shape, well, crate::plate::MISSING_FLAG);
                }
                read.incomplete = Some(reason);
            }
        }
    }
    // Two reads of one plate with the same label, time and wavelength but different values
    // (a block repeated or mislabelled): the file contradicts itself; say so.
    for plate in &imported.plates {
        for (i, read) in plate.reads.iter().enumerate() {
            let twin = plate.reads[..i].iter().any(|r| {
                r.label == read.label
                    && r.time_s.map(f64::to_bits) == read.time_s.map(f64::to_bits)
                    && r.wavelength_nm.map(f64::to_bits) == read.wavelength_nm.map(f64::to_bits)
                    && r.values != read.values
            });
            if twin {
                imported.warnings.push(format!(
                    "plate {:?}: two reads labelled {:?} hold different values; the last one is analysed unless you choose",
                    plate.name, read.label
                ));
            }
        }
    }
    imported.warnings = crate::warnings::fold(std::mem::take(&mut imported.warnings));
    imported
}

/// Imports a plate-reader export from a path, refusing files over [`MAX_FILE_BYTES`]
/// before reading them.
///
/// # Errors
/// [`ImportError`] as for [`import_bytes`], plus I/O errors.
pub fn import_file(path: &Path) -> Result<Imported, ImportError> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge {
            size,
            max: MAX_FILE_BYTES,
        });
    }
    import_bytes(&std::fs::read(path)?)
}

/// The ids of every supported format.
#[must_use]
pub fn supported_formats() -> Vec<&'static str> {
    TEXT_FORMATS
        .iter()
        .map(|(id, _, _)| *id)
        .chain(WORKBOOK_FORMATS.iter().map(|(id, _, _)| *id))
        .collect()
}
