//! Property tests of the core on arbitrary input: layouts round-trip through the plater
//! format; layout text, points and whole plates never make the core panic, and every fit it
//! returns is either flagged or has finite numbers.

use platefit::analysis::{Experiment, PlateInput, analyze};
use platefit::fit::{FitOptions, fit_4pl};
use platefit::layout::{ConcentrationUnit, Layout, WellInfo, WellRole, parse_layout, write_layout};
use platefit::{DoseResponse, Plate, PlateShape, Read, WellId};
use proptest::prelude::*;

fn role() -> impl Strategy<Value = WellRole> {
    prop::sample::select(WellRole::ALL.to_vec())
}

fn text() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[A-Za-z0-9/ ·,\"-]{1,12}".prop_map(|s| s.trim().to_string()))
        .prop_map(|s| s.filter(|s| !s.is_empty()))
}

fn well_info() -> impl Strategy<Value = WellInfo> {
    (
        role(),
        text(),
        text(),
        text(),
        prop::option::of(1u32..9),
        prop::option::of(0.0f64..1e4),
    )
        .prop_map(
            |(role, line, drug, condition, replicate, concentration)| WellInfo {
                role,
                line,
                drug,
                condition,
                replicate,
                concentration,
            },
        )
}

/// A proptest config with `cases` and a fixed seed: the same cases in every run, CI included.
/// `PROPTEST_RNG_SEED=n` explores other cases locally (a failure found so is fixed and kept as
/// a regression test).
pub(crate) fn fixed_seed(cases: u32, seed: u64) -> ProptestConfig {
    let config = ProptestConfig::default();
    ProptestConfig {
        cases,
        rng_seed: match config.rng_seed {
            proptest::test_runner::RngSeed::Random => proptest::test_runner::RngSeed::Fixed(seed),
            chosen => chosen,
        },
        ..config
    }
}

proptest! {
    #![proptest_config(fixed_seed(64, 8))]

    #[test]
    fn layouts_round_trip(wells in prop::collection::vec(well_info(), 96), unit in prop::sample::select(ConcentrationUnit::ALL.to_vec())) {
        let mut layout = Layout::empty(PlateShape::WELLS_96);
        layout.unit = unit;
        layout.wells = wells;
        let mut bytes = Vec::new();
        write_layout(&layout, &mut bytes).unwrap();
        let again = parse_layout(std::str::from_utf8(&bytes).unwrap()).unwrap();
        // Without any concentration block the unit cannot be written, so it is not compared.
        if layout.wells.iter().all(|w| w.concentration.is_none()) {
            layout.unit = again.unit;
        }
        prop_assert_eq!(layout, again);
    }

    #[test]
    fn layout_text_never_panics(text in "(?s).{0,600}") {
        let _ = parse_layout(&text);
    }

    /// Points files of CSV-like text (headers, separators, blank lines, CR, quotes, numbers
    /// and junk): read or refused with the file's name and a line, never a panic.
    #[test]
    fn points_text_never_panics(
        body in "(curve|conc|response|K562|[0-9.eE+-]{1,6}|[,;\t \"\r\n]|\n\n|x){0,80}",
        header in prop::sample::select(vec!["curve,conc,response\n", "conc;response\r\n", "", "\u{feff}conc,response\n"]),
    ) {
        let text = format!("{header}{body}");
        match platefit::cli::parse_points(text.as_bytes(), "points.csv") {
            Ok(curves) => {
                let sound = curves.iter().all(|c| {
                    !c.points.is_empty()
                        && c.points.iter().all(|p| {
                            p.concentration.is_finite()
                                && p.concentration >= 0.0
                                && p.response.is_finite()
                        })
                });
                prop_assert!(sound, "{:?}", curves);
            }
            Err(error) => {
                let message = format!("{error:#}");
                prop_assert!(message.starts_with("points.csv: "), "{}", message);
            }
        }
    }

    /// Rows of several curves in any order (grouped, interleaved, shuffled): each curve gets
    /// exactly its own rows, in file order, and curves come in the order first seen.
    #[test]
    fn points_rows_in_any_order_are_grouped_by_curve(
        rows in prop::collection::vec((0usize..6, 0u32..1000), 1..120),
    ) {
        let mut text = String::from("curve,conc,response\n");
        for (curve, value) in &rows {
            text.push_str(&format!("line {curve},{value},{}\n", value + 1));
        }
        let curves = platefit::cli::parse_points(text.as_bytes(), "points.csv")
            .map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
        let mut order: Vec<usize> = Vec::new();
        for (curve, _) in &rows {
            if !order.contains(curve) {
                order.push(*curve);
            }
        }
        let labels: Vec<String> = order.iter().map(|c| format!("line {c}")).collect();
        let got: Vec<&str> = curves.iter().map(|c| c.label.as_str()).collect();
        prop_assert_eq!(got, labels.iter().map(String::as_str).collect::<Vec<_>>());
        for (curve, dose_response) in order.iter().zip(&curves) {
            let expected: Vec<f64> = rows
                .iter()
                .filter(|(c, _)| c == curve)
                .map(|(_, v)| f64::from(*v))
                .collect();
            let concentrations: Vec<f64> =
                dose_response.points.iter().map(|p| p.concentration).collect();
            prop_assert_eq!(concentrations, expected);
        }
    }

    #[test]
    fn fits_never_panic_and_are_finite_or_flagged(
        points in prop::collection::vec((0.0f64..1e3, -1e3f64..1e3), 0..40),
        fix_top in prop::option::of(50.0f64..150.0),
    ) {
        let options = FitOptions { fix_top, ..FitOptions::default() };
        let dose_response = DoseResponse::from_pairs("random", &points);
        let fit = fit_4pl(&dose_response, &options).unwrap();
        if let Some(ic50) = fit.reported_ic50() {
            prop_assert!(ic50.is_finite() && ic50 > 0.0);
            prop_assert!(fit.rss.is_finite());
        }
    }

    #[test]
    fn whole_plates_never_panic(
        values in prop::collection::vec(prop::option::of(-1.0f64..5.0), 96),
        layout_wells in prop::collection::vec(well_info(), 96),
    ) {
        let mut plate = Plate::new("P", PlateShape::WELLS_96);
        let mut read = Read::empty("450", PlateShape::WELLS_96).with_wavelength(Some(450.0));
        read.values = values;
        read.flag(PlateShape::WELLS_96, WellId::new(0, 0), "OVER");
        plate.reads.push(read);
        let mut layout = Layout::empty(PlateShape::WELLS_96);
        layout.wells = layout_wells;
        let experiment = Experiment {
            name: "random".into(),
            plates: vec![PlateInput {
                file: "random.csv".into(),
                sha256: None,
                format: String::new(),
                plate,
                layout,
                excluded: Default::default(),
            }],
            settings: Default::default(),
        };
        if let Ok(analysis) = analyze(&experiment) {
            let json = platefit::report::json::results_json(&[analysis], None);
            // Unknown numbers are null, never NaN: the JSON text must parse back.
            let text = serde_json::to_string(&json).unwrap();
            prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
        }
    }
}

/// Found by `cargo fuzz run import`: one byte changed in a real MARS workbook makes the
/// spreadsheet library overflow while parsing a cell reference (a panic in debug builds).
/// The importer must turn that into an error, not crash.
#[test]
fn fuzz_regression_damaged_cell_reference_in_xlsx() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/platefiles/bmg-mars-xlsx/clariostar.xlsx"
    );
    let mut bytes = std::fs::read(path).unwrap();
    assert_eq!(bytes[41312], b'd');
    bytes[41312] = b'*';
    let result = std::panic::catch_unwind(|| platefit::import::import_bytes(&bytes));
    assert!(result.is_ok(), "the importer let a panic escape");
}

// ---------------------------------------------------------------------------------------
// Damaged exports: cut at a line, blocks swapped or duplicated, a declared size changed.
// The outcome is a correct import, an error naming the place, or a read flagged incomplete —
// never a silently shorter or shifted one.

mod damaged {
    use platefit::import::{ImportError, Imported, import_bytes};
    use platefit::plate::MISSING_FLAG;
    use proptest::prelude::*;

    fn data(rel: &str) -> String {
        std::fs::read_to_string(format!("{}/{rel}", env!("CARGO_MANIFEST_DIR")))
            .expect("test export is part of the repository")
    }

    /// Text exports whose lines are cut, swapped and duplicated.
    fn exports() -> Vec<(&'static str, String)> {
        [
            "sample_plates/flumatinib_K562_72h.csv",
            "tests/data/variants/softmax_plateformat_without_column_line.txt",
            "tests/data/variants/envision_bare_grids.csv",
            "tests/data/platefiles/biotek-gen5/endpoint_stdcurve_singleplate_2.txt",
            "tests/data/platefiles/bmg-mars-csv/BMG Labtech format.CSV",
            "tests/data/platefiles/revvity-kaleido-csv/absorbance_endpoint_single_plate_example_01.csv",
            "tests/data/platefiles/molecular-devices-softmaxpro/softmaxpro_example_reduced.txt",
        ]
        .into_iter()
        .map(|rel| (rel, data(rel)))
        .collect()
    }

    /// An error must say where (a line, a cell, a sheet, the whole file) or what the file
    /// looked like.
    fn error_names_the_place(error: &ImportError) -> bool {
        let text = error.to_string();
        match error {
            ImportError::Malformed { location, .. } => !location.is_empty(),
            ImportError::Unrecognized { .. } | ImportError::Empty => !text.is_empty(),
            _ => text.contains("line") || text.contains("sheet") || text.contains("cell"),
        }
    }

    /// Every read of `damaged` agrees with the read of the same plate, label and time in
    /// `original` (the n-th such read with the n-th): each value it holds is the original
    /// value of that well (nothing shifted), and a well it lacks is flagged missing in a read
    /// marked incomplete (nothing silently shorter). Reads the original does not have must be
    /// marked incomplete or explained by a warning.
    fn faithful(original: &Imported, damaged: &Imported) -> Result<(), String> {
        for plate in &damaged.plates {
            let Some(full) = original.plates.iter().find(|p| p.name == plate.name) else {
                if damaged.warnings.is_empty() {
                    return Err(format!(
                        "plate {:?} is new and nothing says why",
                        plate.name
                    ));
                }
                continue;
            };
            let mut used = vec![false; full.reads.len()];
            for (read_index, read) in plate.reads.iter().enumerate() {
                let matches = |r: &platefit::Read| {
                    r.label == read.label
                        && r.time_s.map(f64::to_bits) == read.time_s.map(f64::to_bits)
                };
                // A duplicated block gives a second read like the first: compared with it too.
                let same = full
                    .reads
                    .iter()
                    .enumerate()
                    .find(|(i, r)| !used[*i] && matches(r))
                    .or_else(|| full.reads.iter().enumerate().find(|(_, r)| matches(r)))
                    // A title moved or renamed: the read in the same place, compared value
                    // by value (a label is what the file says; values must not move).
                    .or_else(|| full.reads.get(read_index).map(|r| (read_index, r)));
                let reused = same.is_some_and(|(i, _)| used[i]);
                let Some((idx, full_read)) = same else {
                    // A repeated grid under another label: a copy of an original read.
                    let copy = full.reads.iter().any(|r| r.values == read.values);
                    if !copy && read.incomplete.is_none() && damaged.warnings.is_empty() {
                        return Err(format!("read {:?} is new and nothing says why", read.label));
                    }
                    continue;
                };
                used[idx] = true;
                if plate.shape != full.shape {
                    if read.incomplete.is_none() && damaged.warnings.is_empty() {
                        return Err(format!("plate {:?} changed shape silently", plate.name));
                    }
                    continue;
                }
                for well in plate.shape.wells() {
                    let now = read.value_at(plate.shape, well);
                    let was = full_read.value_at(full.shape, well);
                    match (now, was) {
                        // A second read with a label already seen (a repeated block) may
                        // differ from the first only when a warning says so.
                        (Some(a), Some(b))
                            if a.to_bits() != b.to_bits()
                                && reused
                                && !damaged.warnings.is_empty() => {}
                        (Some(a), Some(b)) if a.to_bits() != b.to_bits() => {
                            return Err(format!(
                                "read {:?} well {well}: {a} instead of {b} (shifted)",
                                read.label
                            ));
                        }
                        (Some(a), None) if !full_read.flags.contains_key(&well) => {
                            return Err(format!(
                                "read {:?} well {well}: {a} where the original is empty",
                                read.label
                            ));
                        }
                        (None, Some(b)) => {
                            let flagged =
                                read.flags.get(&well).map(String::as_str) == Some(MISSING_FLAG);
                            if !(flagged && read.incomplete.is_some()) {
                                return Err(format!(
                                    "read {:?} well {well}: value {b} silently lost",
                                    read.label
                                ));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    fn check(name: &str, original: &Imported, bytes: &[u8]) -> Result<(), TestCaseError> {
        let result = std::panic::catch_unwind(|| import_bytes(bytes));
        let Ok(result) = result else {
            return Err(TestCaseError::fail(format!(
                "{name}: the importer panicked"
            )));
        };
        match result {
            Err(error) => {
                prop_assert!(error_names_the_place(&error), "{name}: {error}");
            }
            Ok(damaged) => {
                if let Err(why) = faithful(original, &damaged) {
                    return Err(TestCaseError::fail(format!(
                        "{name}: {why}; warnings {:?}",
                        damaged.warnings
                    )));
                }
            }
        }
        Ok(())
    }

    fn originals() -> Vec<(&'static str, String, Imported)> {
        exports()
            .into_iter()
            .map(|(name, text)| {
                let imported = import_bytes(text.as_bytes()).expect("the intact export imports");
                (name, text, imported)
            })
            .collect()
    }

    /// Cutting every export at every line (no randomness: all of them).
    #[test]
    fn cut_at_every_line() {
        for (name, text, original) in originals() {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            for cut in 1..lines.len() {
                let bytes = lines[..cut].concat();
                if let Err(e) = check(
                    &format!("{name} cut after line {cut}"),
                    &original,
                    bytes.as_bytes(),
                ) {
                    panic!("{e}");
                }
            }
        }
    }

    proptest! {
        // A fixed seed: the same damaged files in every run (CI included). Seed 7 holds the
        // case a random seed found: a SoftMax header declaring 384 wells over a 96-well grid,
        // which now gives a warning instead of a silent change of shape.
        #![proptest_config(crate::robustness::fixed_seed(48, 7))]

        /// Two blocks of lines swapped (a block: lines up to the next blank line).
        #[test]
        fn swapped_or_duplicated_blocks(file in 0usize..7, a in 0usize..40, b in 0usize..40, duplicate in any::<bool>()) {
            let exports = originals();
            let (name, text, original) = &exports[file % exports.len()];
            // Bare grids (EnVision without titles) carry nothing that says which plate they
            // belong to: two of them swapped or repeated whole make a different, valid file
            // (the importer warns about a grid no `Plate information` precedes).
            prop_assume!(!name.contains("bare_grids"));
            let mut blocks: Vec<String> = Vec::new();
            let mut current = String::new();
            for line in text.split_inclusive('\n') {
                current.push_str(line);
                if line.trim().is_empty() {
                    blocks.push(std::mem::take(&mut current));
                }
            }
            blocks.push(current);
            let (a, b) = (a % blocks.len(), b % blocks.len());
            if duplicate {
                let copy = blocks[a].clone();
                blocks.insert(b, copy);
            } else {
                blocks.swap(a, b);
            }
            let bytes = blocks.concat();
            check(&format!("{name} blocks {a}/{b} dup={duplicate}"), original, bytes.as_bytes())?;
        }

        /// A number in a header line (a declared size, count or position) changed.
        #[test]
        fn declared_size_changed(file in 0usize..7, line in 0usize..60, field in 0usize..30, value in prop::sample::select(vec![0usize, 1, 2, 6, 8, 10, 12, 16, 24, 48, 96, 384, 9999])) {
            let exports = originals();
            let (name, text, original) = &exports[file % exports.len()];
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            // Header lines: those holding a run of small integers or a `Plate:`/`##BLOCKS` key.
            let headers: Vec<usize> = (0..lines.len())
                .filter(|i| {
                    let l = lines[*i];
                    l.starts_with("Plate:") || l.starts_with("##BLOCKS") || l.contains(",1,2,3") || l.contains("\t1\t2\t3")
                        || l.starts_with("Number of")
                })
                .collect();
            prop_assume!(!headers.is_empty());
            let target = headers[line % headers.len()];
            let delimiter = if lines[target].contains('\t') { '\t' } else { ',' };
            let mut fields: Vec<String> = lines[target].trim_end_matches(['\r', '\n']).split(delimiter).map(str::to_string).collect();
            let numeric: Vec<usize> = (0..fields.len()).filter(|i| fields[*i].trim().parse::<usize>().is_ok()).collect();
            prop_assume!(!numeric.is_empty());
            let at = numeric[field % numeric.len()];
            fields[at] = value.to_string();
            let ending = if lines[target].ends_with("\r\n") { "\r\n" } else if lines[target].ends_with('\n') { "\n" } else { "" };
            let changed = fields.join(&delimiter.to_string()) + ending;
            let bytes: String = lines.iter().enumerate().map(|(i, l)| if i == target { changed.as_str() } else { l }).collect();
            check(&format!("{name} line {} field {at} = {value}", target + 1), original, bytes.as_bytes())?;
        }
    }

    /// Found by the swapped-blocks property with PROPTEST_RNG_SEED=44444: the Kaleido
    /// trailer (its last line, no line end) swapped with the blank line before the title
    /// merges into `Exported with Kaleido …Results for ABS mono 1`, the Kaleido reader no
    /// longer recognises the file, and the plain-grid reader read it as plate "Plate 1"
    /// without saying anything. The numbers are right; the lost plate name, read label and
    /// wavelength must be said.
    #[test]
    fn a_vendor_export_read_as_a_plain_grid_says_so() {
        let (name, text) = exports()
            .into_iter()
            .find(|(name, _)| name.contains("kaleido"))
            .expect("the Kaleido export is among the damaged-test exports");
        let mut blocks: Vec<String> = Vec::new();
        let mut current = String::new();
        for line in text.split_inclusive('\n') {
            current.push_str(line);
            if line.trim().is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        }
        blocks.push(current);
        let last = blocks.len() - 1;
        blocks.swap(1, last);
        let damaged = import_bytes(blocks.concat().as_bytes()).expect("the numbers still read");
        assert_eq!(damaged.format, "generic-grid-csv", "{name}");
        assert!(
            damaged
                .warnings
                .iter()
                .any(|w| w.contains("names Kaleido") && w.contains("plain grid")),
            "{:?}",
            damaged.warnings
        );
        let original = import_bytes(text.as_bytes()).expect("the intact export imports");
        assert!(faithful(&original, &damaged).is_ok());
        // The intact export says nothing of the kind.
        assert!(!original.warnings.iter().any(|w| w.contains("plain grid")));
    }
}
