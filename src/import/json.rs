//! The `import` JSON (DESIGN §7) and a readable terminal summary of an [`Imported`] file.
//!
//! JSON shape: `{ "file", "format", "plates": [ { "name", "rows", "cols", "metadata",
//! "reads": [ { "label", "wavelength_nm", "emission_nm", "mode", "time_s", "kind",
//! "values": [[row A…], …], "flags": { "B7": "OVER" }, "derived": { "B13": "=AVERAGE(…)" },
//! "incomplete": null | "why" } ] } ], "warnings" }`. Values are numbers or `null`; NaN and
//! infinities never appear (they become `null`). Warnings come one line per cause.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::Imported;
use crate::plate::{Plate, Read, ReadKind};

/// A finite number as JSON, anything else as `null`.
fn number(v: Option<f64>) -> Value {
    v.filter(|x| x.is_finite())
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

fn kind_name(kind: ReadKind) -> &'static str {
    match kind {
        ReadKind::Raw => "raw",
        ReadKind::Difference => "difference",
        ReadKind::Derived => "derived",
    }
}

fn read_json(plate: &Plate, read: &Read) -> Value {
    let shape = plate.shape;
    let values: Vec<Value> = (0..shape.rows)
        .map(|r| {
            Value::Array(
                (0..shape.cols)
                    .map(|c| number(read.values.get(r * shape.cols + c).copied().flatten()))
                    .collect(),
            )
        })
        .collect();
    let flags: Map<String, Value> = read
        .flags
        .iter()
        .map(|(well, raw)| (well.to_string(), Value::String(raw.clone())))
        .collect();
    let derived: Map<String, Value> = read
        .derived
        .iter()
        .map(|(well, formula)| (well.to_string(), Value::String(formula.clone())))
        .collect();
    json!({
        "label": read.label,
        "wavelength_nm": number(read.wavelength_nm),
        "emission_nm": number(read.emission_nm),
        "mode": read.mode.map(|m| m.name()),
        "time_s": number(read.time_s),
        "kind": kind_name(read.kind),
        "values": values,
        "flags": flags,
        "derived": derived,
        "incomplete": read.incomplete,
    })
}

/// The `platefit import --json` document for one file.
#[must_use]
pub fn import_json(file: &str, imported: &Imported) -> Value {
    let plates: Vec<Value> = imported
        .plates
        .iter()
        .map(|plate| {
            json!({
                "name": plate.name,
                "rows": plate.shape.rows,
                "cols": plate.shape.cols,
                "metadata": plate.metadata,
                "reads": plate.reads.iter().map(|r| read_json(plate, r)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "file": file,
        "format": imported.format,
        "plates": plates,
        "warnings": imported.warnings,
    })
}

/// A readable summary for the terminal: format, plates, shapes, each read (wavelength, time,
/// kind, count of values and flags, value range), metadata and warnings. Long kinetic series
/// are shortened to their first and last reads.
#[must_use]
pub fn import_summary(file: &str, imported: &Imported) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{file}");
    let _ = writeln!(
        out,
        "  format: {}  ({} plate{})",
        imported.format,
        imported.plates.len(),
        if imported.plates.len() == 1 { "" } else { "s" }
    );
    for plate in &imported.plates {
        let _ = writeln!(
            out,
            "  plate {:?}: {}, {} read{}",
            plate.name,
            plate.shape,
            plate.reads.len(),
            if plate.reads.len() == 1 { "" } else { "s" }
        );
        let n = plate.reads.len();
        for (idx, read) in plate.reads.iter().enumerate() {
            if n > 12 && idx == 5 {
                let _ = writeln!(out, "    … {} more reads …", n - 10);
            }
            if n > 12 && (5..n - 5).contains(&idx) {
                continue;
            }
            let _ = writeln!(out, "    {}", read_line(read));
        }
        if !plate.metadata.is_empty() {
            let _ = writeln!(out, "    metadata:");
            for (key, value) in &plate.metadata {
                let _ = writeln!(out, "      {key}: {value}");
            }
        }
    }
    if !imported.warnings.is_empty() {
        let _ = writeln!(out, "  warnings:");
        for warning in &imported.warnings {
            let _ = writeln!(out, "    - {warning}");
        }
    }
    out
}

fn read_line(read: &Read) -> String {
    let mut line = format!("{:?}", read.label);
    if let Some(mode) = read.mode {
        let _ = write!(line, "  {}", mode.name());
    }
    match (read.wavelength_nm, read.emission_nm) {
        (Some(ex), Some(em)) => {
            let _ = write!(line, "  ex {ex} / em {em} nm");
        }
        (Some(w), None) => {
            let _ = write!(line, "  {w} nm");
        }
        _ => {}
    }
    if let Some(t) = read.time_s {
        let _ = write!(line, "  t = {t} s");
    }
    if read.kind != ReadKind::Raw {
        let _ = write!(line, "  [{}]", kind_name(read.kind));
    }
    let values: Vec<f64> = read.values.iter().flatten().copied().collect();
    let _ = write!(line, "  {} values", values.len());
    if let (Some(min), Some(max)) = (
        values.iter().copied().reduce(f64::min),
        values.iter().copied().reduce(f64::max),
    ) {
        let _ = write!(line, " ({min} … {max})");
    }
    if !read.flags.is_empty() {
        let shown: Vec<String> = read
            .flags
            .iter()
            .take(3)
            .map(|(w, raw)| format!("{w}={raw}"))
            .collect();
        let _ = write!(
            line,
            ", {} flagged ({}{})",
            read.flags.len(),
            shown.join(", "),
            if read.flags.len() > 3 { ", …" } else { "" }
        );
    }
    if !read.derived.is_empty() {
        let _ = write!(
            line,
            ", {} spreadsheet formula cell{} (not readings)",
            read.derived.len(),
            if read.derived.len() == 1 { "" } else { "s" }
        );
    }
    if let Some(why) = &read.incomplete {
        let _ = write!(line, "  INCOMPLETE: {why}");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plate::{PlateShape, WellId};

    fn sample() -> Imported {
        let shape = PlateShape::WELLS_96;
        let mut read = Read::empty("450", shape).with_wavelength(Some(450.0));
        read.set(shape, WellId::new(0, 0), Some(0.25));
        read.set(shape, WellId::new(0, 1), Some(f64::NAN));
        read.flag(shape, WellId::parse("B7").unwrap(), "OVER");
        let mut plate = Plate::new("Plate 1", shape);
        plate.reads.push(read);
        plate.metadata.insert("software".into(), "Gen5".into());
        Imported {
            format: "biotek-gen5-text".into(),
            plates: vec![plate],
            warnings: vec!["something".into()],
        }
    }

    #[test]
    fn json_has_the_contract_keys_and_no_nan() {
        let value = import_json("a.txt", &sample());
        assert_eq!(value["format"], "biotek-gen5-text");
        let plate = &value["plates"][0];
        assert_eq!(plate["rows"], 8);
        assert_eq!(plate["cols"], 12);
        let read = &plate["reads"][0];
        assert_eq!(read["wavelength_nm"], 450.0);
        assert!(read["time_s"].is_null());
        assert_eq!(read["values"][0][0], 0.25);
        assert!(read["values"][0][1].is_null());
        assert!(read["values"][1][6].is_null());
        assert_eq!(read["flags"]["B7"], "OVER");
        assert_eq!(read["kind"], "raw");
        assert_eq!(value["warnings"][0], "something");
        let text = serde_json::to_string(&value).unwrap();
        assert!(!text.contains("NaN"));
    }

    #[test]
    fn summary_mentions_reads_flags_and_metadata() {
        let text = import_summary("a.txt", &sample());
        assert!(text.contains("biotek-gen5-text"), "{text}");
        assert!(text.contains("96-well"), "{text}");
        assert!(text.contains("450 nm"), "{text}");
        assert!(text.contains("B7=OVER"), "{text}");
        assert!(text.contains("software: Gen5"), "{text}");
        assert!(text.contains("something"), "{text}");
    }
}
