//! Choosing the read to analyse and the reference read to subtract.
//!
//! CCK-8/WST-8 is read at 450 nm; dual-wavelength readers also read a reference at
//! 600–690 nm, and corrected OD = OD450 − ODref. When the file already holds a difference
//! read (SoftMax "Reduced", a `450-630` read), that read is used as it is and nothing is
//! subtracted again. Kinetic files hold one read per time point: the last one is used unless
//! the user picks another.

use serde::{Deserialize, Serialize};

use crate::plate::{Plate, ReadKind, ReadMode};

/// Which read to analyse.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadChoice {
    /// A difference read if there is one, else the read at 450 nm, else the only read.
    #[default]
    Auto,
    /// The read with this label (or, failing that, this wavelength in nm).
    Label(String),
}

/// Which reference read to subtract.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceChoice {
    /// A raw read at 600–700 nm (same time point), unless the analysed read is already a
    /// difference.
    #[default]
    Auto,
    /// Never subtract a reference.
    None,
    /// The read with this label (or wavelength).
    Label(String),
}

/// The reads chosen for one plate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChosenReads {
    /// Index of the analysed read.
    pub read: usize,
    /// Index of the reference read subtracted from it.
    pub reference: Option<usize>,
    /// A sentence saying what was chosen and why.
    pub note: String,
}

/// A read choice that cannot be satisfied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    /// The named read does not exist.
    #[error("plate {plate:?} has no read {wanted:?}; its reads are {available}")]
    NotFound {
        /// Plate name.
        plate: String,
        /// What was asked for.
        wanted: String,
        /// The labels present.
        available: String,
    },
    /// Automatic choice failed.
    #[error(
        "plate {plate:?}: cannot tell which read to analyse ({available}); choose one with --read"
    )]
    Ambiguous {
        /// Plate name.
        plate: String,
        /// The labels present.
        available: String,
    },
    /// The plate has no reads.
    #[error("plate {plate:?} holds no reads")]
    NoReads {
        /// Plate name.
        plate: String,
    },
}

fn describe_reads(plate: &Plate) -> String {
    let labels: Vec<String> = plate
        .reads
        .iter()
        .take(12)
        .map(|r| format!("{:?}", r.label))
        .collect();
    let more = plate.reads.len().saturating_sub(12);
    if more > 0 {
        format!("{} and {more} more", labels.join(", "))
    } else {
        labels.join(", ")
    }
}

fn find_by_label(plate: &Plate, wanted: &str) -> Option<usize> {
    let wanted_trim = wanted.trim();
    if let Some(idx) = plate
        .reads
        .iter()
        .rposition(|r| r.label.trim().eq_ignore_ascii_case(wanted_trim))
    {
        return Some(idx);
    }
    let wavelength: f64 = wanted_trim.trim_end_matches("nm").trim().parse().ok()?;
    // The last time point of the raw read at that wavelength.
    plate.reads.iter().rposition(|r| {
        r.kind == ReadKind::Raw
            && r.wavelength_nm
                .is_some_and(|w| (w - wavelength).abs() < 0.5)
    })
}

/// Chooses the analysed read and the reference read of a plate.
///
/// # Errors
/// [`ReadError`] when a named read does not exist or no read can be chosen automatically.
pub fn choose_reads(
    plate: &Plate,
    read: &ReadChoice,
    reference: &ReferenceChoice,
) -> Result<ChosenReads, ReadError> {
    if plate.reads.is_empty() {
        return Err(ReadError::NoReads {
            plate: plate.name.clone(),
        });
    }
    let not_found = |wanted: &str| ReadError::NotFound {
        plate: plate.name.clone(),
        wanted: wanted.to_string(),
        available: describe_reads(plate),
    };
    let (read_idx, mut note) = match read {
        ReadChoice::Label(label) => (
            find_by_label(plate, label).ok_or_else(|| not_found(label))?,
            format!("read {label:?} as chosen"),
        ),
        ReadChoice::Auto => auto_read(plate)?,
    };
    let chosen = &plate.reads[read_idx];
    let reference_idx = match reference {
        ReferenceChoice::None => None,
        ReferenceChoice::Label(label) => {
            Some(find_by_label(plate, label).ok_or_else(|| not_found(label))?)
        }
        ReferenceChoice::Auto if chosen.kind != ReadKind::Raw => None,
        ReferenceChoice::Auto => plate.reads.iter().rposition(|r| {
            r.kind == ReadKind::Raw
                && r.mode.is_none_or(|m| m == ReadMode::Absorbance)
                && r.wavelength_nm
                    .is_some_and(|w| (600.0..=700.0).contains(&w))
                && r.time_s == chosen.time_s
                && !std::ptr::eq(r, chosen)
        }),
    };
    if let Some(idx) = reference_idx {
        note.push_str(&format!(
            "; reference read {:?} subtracted",
            plate.reads[idx].label
        ));
    } else if chosen.kind == ReadKind::Difference {
        note.push_str("; it already holds the reference-subtracted difference");
    }
    Ok(ChosenReads {
        read: read_idx,
        reference: reference_idx,
        note,
    })
}

fn auto_read(plate: &Plate) -> Result<(usize, String), ReadError> {
    let last_time = |indices: Vec<usize>| -> Option<usize> {
        indices.into_iter().max_by(|a, b| {
            let ta = plate.reads[*a].time_s.unwrap_or(f64::NEG_INFINITY);
            let tb = plate.reads[*b].time_s.unwrap_or(f64::NEG_INFINITY);
            ta.total_cmp(&tb).then(a.cmp(b))
        })
    };
    let near_450 = |w: Option<f64>| w.is_some_and(|w| (440.0..=460.0).contains(&w));
    let differences: Vec<usize> = (0..plate.reads.len())
        .filter(|i| {
            let r = &plate.reads[*i];
            r.kind == ReadKind::Difference
                && (r.wavelength_nm.is_none() || near_450(r.wavelength_nm))
        })
        .collect();
    if let Some(idx) = last_time(differences) {
        return Ok((idx, format!("difference read {:?}", plate.reads[idx].label)));
    }
    // A fluorescence read excited at 450 nm is not the CCK-8 absorbance read.
    let raw_450: Vec<usize> = (0..plate.reads.len())
        .filter(|i| {
            let r = &plate.reads[*i];
            r.kind == ReadKind::Raw
                && near_450(r.wavelength_nm)
                && r.mode.is_none_or(|m| m == ReadMode::Absorbance)
        })
        .collect();
    let kinetic = raw_450.len() > 1;
    if let Some(idx) = last_time(raw_450) {
        let read = &plate.reads[idx];
        let note = match (kinetic, read.time_s) {
            (true, Some(t)) => format!("read {:?} at the last time point ({t} s)", read.label),
            _ => format!("read {:?} (450 nm)", read.label),
        };
        return Ok((idx, note));
    }
    let raw: Vec<usize> = (0..plate.reads.len())
        .filter(|i| plate.reads[*i].kind == ReadKind::Raw)
        .collect();
    let distinct_wavelengths: Vec<Option<i64>> = {
        let mut w: Vec<Option<i64>> = raw
            .iter()
            .map(|i| plate.reads[*i].wavelength_nm.map(|w| w.round() as i64))
            .collect();
        w.sort_unstable();
        w.dedup();
        w
    };
    if distinct_wavelengths.len() == 1
        && let Some(idx) = last_time(raw)
    {
        return Ok((idx, format!("the only read, {:?}", plate.reads[idx].label)));
    }
    if plate.reads.len() == 1 {
        return Ok((0, format!("the only read, {:?}", plate.reads[0].label)));
    }
    Err(ReadError::Ambiguous {
        plate: plate.name.clone(),
        available: describe_reads(plate),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plate::{PlateShape, Read};

    fn plate(reads: Vec<Read>) -> Plate {
        let mut plate = Plate::new("P", PlateShape::WELLS_96);
        plate.reads = reads;
        plate
    }

    #[test]
    fn picks_450_and_subtracts_the_reference() {
        let p = plate(vec![
            Read::empty("630", PlateShape::WELLS_96).with_wavelength(Some(630.0)),
            Read::empty("450", PlateShape::WELLS_96).with_wavelength(Some(450.0)),
        ]);
        let chosen = choose_reads(&p, &ReadChoice::Auto, &ReferenceChoice::Auto).unwrap();
        assert_eq!((chosen.read, chosen.reference), (1, Some(0)));
        let none = choose_reads(&p, &ReadChoice::Auto, &ReferenceChoice::None).unwrap();
        assert_eq!(none.reference, None);
        let by_label =
            choose_reads(&p, &ReadChoice::Label("630".into()), &ReferenceChoice::None).unwrap();
        assert_eq!(by_label.read, 0);
        let err = choose_reads(&p, &ReadChoice::Label("570".into()), &ReferenceChoice::None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"450\""), "{err}");
    }

    #[test]
    fn never_subtracts_twice() {
        let mut difference = Read::empty("450-650", PlateShape::WELLS_96);
        difference.kind = ReadKind::Difference;
        let p = plate(vec![
            Read::empty("450", PlateShape::WELLS_96).with_wavelength(Some(450.0)),
            Read::empty("650", PlateShape::WELLS_96).with_wavelength(Some(650.0)),
            difference,
        ]);
        let chosen = choose_reads(&p, &ReadChoice::Auto, &ReferenceChoice::Auto).unwrap();
        assert_eq!((chosen.read, chosen.reference), (2, None));
    }

    #[test]
    fn kinetic_uses_the_last_time_point() {
        let reads = (0..3)
            .map(|k| {
                let mut r = Read::empty(format!("450 t{k}"), PlateShape::WELLS_96)
                    .with_wavelength(Some(450.0));
                r.time_s = Some(600.0 * f64::from(k));
                r
            })
            .collect();
        let chosen =
            choose_reads(&plate(reads), &ReadChoice::Auto, &ReferenceChoice::Auto).unwrap();
        assert_eq!(chosen.read, 2);
    }
}
