//! The plate's own numbers before any layout is applied: the analysed read minus the
//! reference read, per well, with the reader's flags. The heat map and the layout editor
//! show them while there is no layout yet (or the layout cannot be analysed), so the user
//! paints the layout while seeing the data.

use std::collections::BTreeMap;

use crate::analysis::{AnalysisSettings, PlateInput};
use crate::plate::{Read, ReadKind, WellId};
use crate::reads::choose_reads;

/// The value of one well as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawWell {
    /// Read minus reference read, when both hold a number.
    pub value: Option<f64>,
    /// The reader's text where it gave no number (`OVER`, `?????`).
    pub flag: Option<String>,
}

/// The plate's read (minus its reference read), well by well.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawValues {
    /// What the numbers are, e.g. `A450 − A630` or `A450`.
    pub label: String,
    /// Per well.
    pub wells: BTreeMap<WellId, RawWell>,
}

/// A read's short name: `A450` for an absorbance at 450 nm, else its label.
#[must_use]
pub fn read_name(read: &Read) -> String {
    match (read.kind, read.wavelength_nm) {
        (ReadKind::Raw, Some(nm)) if nm.is_finite() && nm > 0.0 => format!("A{nm:.0}"),
        _ => read.label.clone(),
    }
}

/// The numbers the analysis starts from: the chosen read, minus the chosen reference read.
/// `None` when the settings name a read the plate does not have.
#[must_use]
pub fn raw_values(input: &PlateInput, settings: &AnalysisSettings) -> Option<RawValues> {
    let plate = &input.plate;
    let chosen = choose_reads(plate, &settings.read, &settings.reference_read).ok()?;
    let read = plate.reads.get(chosen.read)?;
    let reference = chosen.reference.and_then(|r| plate.reads.get(r));
    let label = match reference {
        Some(reference) => format!("{} − {}", read_name(read), read_name(reference)),
        None => read_name(read),
    };
    let wells = plate
        .shape
        .wells()
        .map(|well| {
            let flag = read
                .flags
                .get(&well)
                .or_else(|| reference.and_then(|r| r.flags.get(&well)))
                .cloned();
            let value = read
                .value_at(plate.shape, well)
                .and_then(|v| match reference {
                    Some(r) => r.value_at(plate.shape, well).map(|b| v - b),
                    None => Some(v),
                });
            (well, RawWell { value, flag })
        })
        .collect();
    Some(RawValues { label, wells })
}

/// A short number for a well: three decimals, never `-0.000`.
#[must_use]
pub fn od_text(value: f64) -> String {
    let text = format!("{value:.3}");
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn od_text_has_no_negative_zero() {
        assert_eq!(od_text(-0.0001), "0.000");
        assert_eq!(od_text(1.41649), "1.416");
        assert_eq!(od_text(-0.25), "-0.250");
    }

    #[test]
    fn sample_reads_are_named_by_wavelength() {
        let experiment = crate::gui::files::sample_experiment().expect("sample");
        let input = &experiment.plates[0];
        let raw = raw_values(input, &experiment.settings).expect("reads");
        assert_eq!(raw.label, "A450 − A630");
        let a1 = WellId::new(0, 0);
        let expected = input.plate.value(0, a1).zip(input.plate.value(1, a1));
        if let (Some((a, b)), Some(v)) = (expected, raw.wells[&a1].value) {
            assert!((v - (a - b)).abs() < 1e-12);
        }
        assert_eq!(raw.wells.len(), 96);
    }
}
