//! Every real export in `tests/data/platefiles/` imports with the right format, plates, shape,
//! reads, wavelengths, times, flags and values (checked at the first and last well, a
//! transposed pair such as B3/C2, special values, every read kind and the last read), and
//! the importer never panics on arbitrary or damaged input (proptest).

use platefit::import::json::{import_json, import_summary};
use platefit::import::{ImportError, Imported, import_bytes, import_file};
use platefit::{PlateShape, ReadKind, ReadMode, WellId};

fn sample(rel: &str) -> String {
    format!("{}/tests/data/platefiles/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn load(rel: &str) -> Imported {
    let path = sample(rel);
    match import_file(std::path::Path::new(&path)) {
        Ok(imported) => imported,
        Err(e) => panic!("{rel}: {e}"),
    }
}

fn w(name: &str) -> WellId {
    WellId::parse(name).expect("test well name")
}

/// Value of a well in read `read` of plate `plate`.
fn val(imported: &Imported, plate: usize, read: usize, well: &str) -> Option<f64> {
    imported.plates[plate].value(read, w(well))
}

fn flag<'a>(imported: &'a Imported, plate: usize, read: usize, well: &str) -> Option<&'a str> {
    imported.plates[plate].reads[read]
        .flags
        .get(&w(well))
        .map(String::as_str)
}

fn labels(imported: &Imported, plate: usize) -> Vec<&str> {
    imported.plates[plate]
        .reads
        .iter()
        .map(|r| r.label.as_str())
        .collect()
}

fn meta<'a>(imported: &'a Imported, key: &str) -> Option<&'a str> {
    imported.plates[0].metadata.get(key).map(String::as_str)
}

const ALL: &[&str] = &[
    "biotek-gen5/endpoint_stdcurve_singleplate_2.txt",
    "biotek-gen5-xlsx/BioTek_Epoch2.xlsx",
    "molecular-devices-softmaxpro/softmaxpro_example_reduced.txt",
    "bmg-mars-csv/BMG Labtech format.CSV",
    "bmg-mars-xlsx/clariostar.xlsx",
    "bmg-smartcontrol-xlsx/fluroescence_endpoint_example1.xlsx",
    "perkinelmer-envision-csv/PE_Envision_fluorescence_example01.csv",
    "revvity-kaleido-csv/absorbance_endpoint_single_plate_example_01.csv",
    "tecan-magellan-xlsx/SLA01P01_OD.xlsx",
    "tecan-icontrol-xlsx/sample_ODs.xlsx",
    "thermo-skanit-xlsx/skanit_data.xlsx",
    "thermo-multiskan-sky-xlsx/Multiskan Sky.xlsx",
    "thermo-skanit-txt/multiskan_spectrum_1500.txt",
    "generic-grid-csv/example-1.csv",
];

#[test]
fn gen5_text_results_matrix_with_sub_rows() {
    let imp = load("biotek-gen5/endpoint_stdcurve_singleplate_2.txt");
    assert_eq!(imp.format, "biotek-gen5-text");
    assert_eq!(imp.plates.len(), 1);
    let plate = &imp.plates[0];
    assert_eq!(plate.name, "Plate 1");
    assert_eq!(plate.shape, PlateShape::WELLS_96);
    assert_eq!(
        labels(&imp, 0),
        ["450nm:450", "Blank 450nm:450", "[Concentration]"]
    );
    let kinds: Vec<ReadKind> = plate.reads.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [ReadKind::Raw, ReadKind::Derived, ReadKind::Derived]);
    assert_eq!(plate.reads[0].wavelength_nm, Some(450.0));
    assert_eq!(plate.reads[1].wavelength_nm, Some(450.0));
    assert_eq!(plate.reads[0].time_s, None);
    assert_eq!(val(&imp, 0, 0, "A1"), Some(3.411));
    assert_eq!(val(&imp, 0, 0, "H12"), Some(0.169));
    assert_eq!(val(&imp, 0, 0, "B3"), Some(1.114));
    assert_eq!(val(&imp, 0, 0, "C2"), Some(0.370));
    // -0.000 in the blank-subtracted row is a (negative) zero, not a flag.
    let h3 = val(&imp, 0, 1, "H3").expect("H3 has a value");
    assert!(h3 == 0.0 && h3.is_sign_negative());
    assert_eq!(val(&imp, 0, 1, "H12"), Some(0.168));
    assert_eq!(val(&imp, 0, 2, "A1"), Some(1014.822));
    assert!(plate.reads.iter().all(|r| r.flags.is_empty()));
    assert_eq!(meta(&imp, "software_version"), Some("3.12.08"));
    assert_eq!(meta(&imp, "date"), Some("8/26/2022"));
    assert_eq!(meta(&imp, "time"), Some("10:14:27 AM"));
    assert_eq!(meta(&imp, "wavelengths"), Some("450"));
}

#[test]
fn gen5_xlsx_kinetic_table_and_results() {
    let imp = load("biotek-gen5-xlsx/BioTek_Epoch2.xlsx");
    assert_eq!(imp.format, "biotek-gen5-xlsx");
    assert_eq!(imp.plates.len(), 1);
    let plate = &imp.plates[0];
    assert_eq!(plate.shape, PlateShape::WELLS_96);
    // 354 time points every 15 min, then the derived Max V and R-Squared grids.
    assert_eq!(plate.reads.len(), 356);
    let first = &plate.reads[0];
    assert_eq!(first.label, "630");
    assert_eq!(first.wavelength_nm, Some(630.0));
    assert_eq!(first.time_s, Some(0.0));
    assert_eq!(plate.reads[1].time_s, Some(900.0));
    assert_eq!(plate.reads[353].time_s, Some(317_700.0));
    assert_eq!(val(&imp, 0, 0, "A1"), Some(0.097));
    assert_eq!(val(&imp, 0, 0, "D9"), Some(0.1));
    assert_eq!(val(&imp, 0, 0, "B3"), Some(0.098));
    assert_eq!(val(&imp, 0, 0, "C2"), Some(0.098));
    assert_eq!(val(&imp, 0, 0, "E1"), None);
    assert_eq!(val(&imp, 0, 353, "A1"), Some(0.172));
    assert_eq!(val(&imp, 0, 353, "D9"), Some(0.226));
    assert_eq!(plate.reads[354].label, "Max V [630]");
    assert_eq!(plate.reads[354].kind, ReadKind::Derived);
    assert_eq!(val(&imp, 0, 354, "A4"), Some(-0.067));
    assert_eq!(meta(&imp, "instrument"), Some("ELx808"));
    assert_eq!(meta(&imp, "date"), Some("2023-11-03"));
    assert_eq!(meta(&imp, "time"), Some("17:46:19"));
    assert_eq!(meta(&imp, "software_version"), Some("3.08.01"));
}

#[test]
fn softmax_reduced_time_format() {
    let imp = load("molecular-devices-softmaxpro/softmaxpro_example_reduced.txt");
    assert_eq!(imp.format, "softmax-pro-text");
    assert_eq!(imp.plates.len(), 1);
    let plate = &imp.plates[0];
    assert_eq!(plate.name, "Plate1");
    assert_eq!(plate.shape, PlateShape::WELLS_96);
    assert_eq!(plate.reads.len(), 1);
    let read = &plate.reads[0];
    assert_eq!(read.kind, ReadKind::Difference);
    assert_eq!(read.wavelength_nm, Some(450.0));
    assert_eq!(read.time_s, None);
    assert_eq!(val(&imp, 0, 0, "A1"), Some(1.8565999999999998));
    assert_eq!(val(&imp, 0, 0, "H12"), Some(-0.0001));
    assert_eq!(val(&imp, 0, 0, "B3"), Some(2.0092000000000003));
    assert_eq!(val(&imp, 0, 0, "C2"), Some(0.34149999999999997));
    assert_eq!(val(&imp, 0, 0, "D6"), Some(0.47680000000000006));
    assert_eq!(meta(&imp, "data_type"), Some("Reduced"));
    assert_eq!(meta(&imp, "wavelengths"), Some("450, 650"));
}

#[test]
fn bmg_mars_csv() {
    let imp = load("bmg-mars-csv/BMG Labtech format.CSV");
    assert_eq!(imp.format, "bmg-mars-csv");
    assert_eq!(imp.plates.len(), 1);
    assert_eq!(imp.plates[0].shape, PlateShape::WELLS_96);
    assert_eq!(labels(&imp, 0), ["Raw Data (450 1)"]);
    assert_eq!(imp.plates[0].reads[0].wavelength_nm, Some(450.0));
    assert_eq!(val(&imp, 0, 0, "A1"), Some(0.073));
    assert_eq!(val(&imp, 0, 0, "H12"), Some(0.207));
    assert_eq!(val(&imp, 0, 0, "B3"), Some(0.012));
    assert_eq!(val(&imp, 0, 0, "C2"), Some(0.065));
    assert_eq!(meta(&imp, "date"), Some("5/14/2021"));
    assert_eq!(meta(&imp, "read_mode"), Some("Absorbance"));
    assert_eq!(meta(&imp, "test_run"), Some("445"));
}

#[test]
fn bmg_mars_xlsx_wells_as_rows_kinetic() {
    let imp = load("bmg-mars-xlsx/clariostar.xlsx");
    assert_eq!(imp.format, "bmg-mars-xlsx");
    assert_eq!(imp.plates.len(), 1);
    let plate = &imp.plates[0];
    assert_eq!(plate.shape, PlateShape::WELLS_96);
    assert_eq!(plate.reads.len(), 337);
    assert!(plate.reads.iter().all(|r| r.label == "Raw Data (600)"));
    assert!(plate.reads.iter().all(|r| r.wavelength_nm == Some(600.0)));
    assert_eq!(plate.reads[0].time_s, Some(0.0));
    assert_eq!(plate.reads[1].time_s, Some(180.0));
    assert_eq!(plate.reads[336].time_s, Some(60_480.0));
    assert_eq!(val(&imp, 0, 0, "A1"), Some(0.142));
    assert_eq!(val(&imp, 0, 1, "A1"), Some(0.139));
    assert_eq!(val(&imp, 0, 0, "A2"), Some(0.152));
    assert_eq!(val(&imp, 0, 336, "F8"), Some(0.146));
    assert_eq!(val(&imp, 0, 0, "G1"), None);
    assert_eq!(meta(&imp, "instrument"), Some("CLARIOstar"));
    assert_eq!(meta(&imp, "date"), Some("2022-10-31"));
}

#[test]
fn bmg_smart_control_sections_by_title() {
    let imp = load("bmg-smartcontrol-xlsx/fluroescence_endpoint_example1.xlsx");
    assert_eq!(imp.format, "bmg-smartcontrol-xlsx");
    assert_eq!(imp.plates.len(), 1);
    assert_eq!(imp.plates[0].shape, PlateShape::WELLS_96);
    assert_eq!(
        labels(&imp, 0),
        [
            "Raw Data (480-14/520-30)",
            "Blank corrected based on Raw Data (480-14/520-30)"
        ]
    );
    let reads = &imp.plates[0].reads;
    assert_eq!(reads[0].kind, ReadKind::Raw);
    assert_eq!(reads[1].kind, ReadKind::Derived);
    assert_eq!(reads[0].wavelength_nm, Some(480.0));
    assert_eq!(val(&imp, 0, 0, "A1"), Some(4_180_171.0));
    assert_eq!(val(&imp, 0, 0, "H12"), Some(32_522.0));
    assert_eq!(val(&imp, 0, 0, "B3"), Some(949_879.0));
    assert_eq!(val(&imp, 0, 0, "C2"), Some(240_450.0));
    assert_eq!(val(&imp, 0, 0, "A12"), None);
    assert_eq!(val(&imp, 0, 1, "A1"), Some(4_147_291.0));
    assert_eq!(val(&imp, 0, 1, "H9"), Some(92_299.0));
    assert_eq!(meta(&imp, "read_mode"), Some("Fluorescence (FI)"));
}

#[test]
fn envision_titled_and_calculated_grids() {
    let imp = load("perkinelmer-envision-csv/PE_Envision_fluorescence_example01.csv");
    assert_eq!(imp.format, "perkinelmer-envision-csv");
    assert_eq!(imp.plates.len(), 1);
    let plate = &imp.plates[0];
    assert_eq!(plate.shape, PlateShape::WELLS_96);
    assert_eq!(plate.reads.len(), 3);
    assert!(plate.reads[0].label.starts_with("Calc 1: General"));
    assert_eq!(plate.reads[0].kind, ReadKind::Derived);
    assert_eq!(
        plate.reads[1].label,
        "AC HTRF Laser [Eu](1) - channel 1 window 1 (Counts)"
    );
    assert_eq!(plate.reads[1].wavelength_nm, None);
    assert_eq!(val(&imp, 0, 0, "A1"), Some(3912.12920565));
    assert_eq!(val(&imp, 0, 0, "A4"), None);
    assert_eq!(val(&imp, 0, 1, "A1"), Some(31441.0));
    assert_eq!(val(&imp, 0, 1, "B3"), Some(19621.0));
    assert_eq!(val(&imp, 0, 1, "C2"), Some(12502.0));
    assert_eq!(val(&imp, 0, 2, "H7"), Some(81633.0));
    assert_eq!(val(&imp, 0, 2, "H12"), None);
    assert_eq!(meta(&imp, "software_version"), Some("1.14.3049.1193"));
}

#[test]
fn kaleido_absorbance_endpoint() {
    let imp = load("revvity-kaleido-csv/absorbance_endpoint_single_plate_example_01.csv");
    assert_eq!(imp.format, "revvity-kaleido-csv");
    assert_eq!(imp.plates.len(), 1);
    assert_eq!(imp.plates[0].shape, PlateShape::WELLS_96);
    assert_eq!(labels(&imp, 0), ["ABS mono 1"]);
    assert_eq!(imp.plates[0].reads[0].wavelength_nm, Some(450.0));
    assert_eq!(val(&imp, 0, 0, "A1"), Some(2.2075694995298862));
    assert_eq!(val(&imp, 0, 0, "H12"), Some(0.04316096081934782));
    assert_eq!(val(&imp, 0, 0, "B3"), Some(1.9378645820556875));
    assert_eq!(val(&imp, 0, 0, "C2"), Some(0.590226617658263));
    assert_eq!(meta(&imp, "software_version"), Some("Kaleido 2.0.3058.126"));
    assert_eq!(meta(&imp, "serial"), Some("1234567"));
}

#[test]
fn magellan_well_list() {
    let imp = load("tecan-magellan-xlsx/SLA01P01_OD.xlsx");
    assert_eq!(imp.format, "tecan-magellan-xlsx");
    assert_eq!(imp.plates.len(), 1);
    assert_eq!(imp.plates[0].name, "96WEL008");
    assert_eq!(imp.plates[0].shape, PlateShape::WELLS_96);
    assert_eq!(labels(&imp, 0), ["Raw data"]);
    assert_eq!(imp.plates[0].reads[0].wavelength_nm, Some(595.0));
    assert_eq!(val(&imp, 0, 0, "A1"), Some(0.1462));
    assert_eq!(val(&imp, 0, 0, "B1"), Some(0.2118));
    assert_eq!(val(&imp, 0, 0, "H12"), Some(0.0461));
    assert_eq!(val(&imp, 0, 0, "A12"), Some(0.0487));
    assert_eq!(meta(&imp, "serial"), Some("12901000069"));
    assert_eq!(meta(&imp, "plate_definition"), Some("GRE96ft.pdf"));
}

#[test]
fn icontrol_endpoint_and_kinetic_wells_as_rows() {
    let imp = load("tecan-icontrol-xlsx/sample_ODs.xlsx");
    assert_eq!(imp.format, "tecan-icontrol-xlsx");
    assert_eq!(imp.plates.len(), 1);
    let plate = &imp.plates[0];
    assert_eq!(plate.shape, PlateShape::WELLS_96);
    // One endpoint grid and 632 kinetic cycles (cycle 633 has no data).
    assert_eq!(plate.reads.len(), 633);
    assert_eq!(plate.reads[0].label, "Abs600_Copy1");
    assert_eq!(plate.reads[0].time_s, None);
    assert!(plate.reads.iter().all(|r| r.wavelength_nm == Some(600.0)));
    assert!(plate.reads[1..].iter().all(|r| r.label == "Abs600"));
    assert_eq!(val(&imp, 0, 0, "A1"), Some(0.25619998574256897));
    assert_eq!(val(&imp, 0, 0, "B1"), Some(0.263700008392334));
    assert_eq!(plate.reads[1].time_s, Some(0.0));
    assert_eq!(plate.reads[2].time_s, Some(95.3));
    assert_eq!(val(&imp, 0, 1, "A1"), Some(0.25699999928474426));
    assert_eq!(val(&imp, 0, 2, "A2"), Some(0.10109999775886536));
    assert_eq!(val(&imp, 0, 599, "H12"), Some(0.9552000164985657));
    assert_eq!(plate.reads[599].time_s, Some(56_997.1));
    assert_eq!(plate.reads[632].time_s, Some(60_143.3));
    assert_eq!(val(&imp, 0, 632, "A1"), Some(0.8641999959945679));
    assert_eq!(val(&imp, 0, 632, "H12"), Some(0.9556000232696533));
    assert_eq!(meta(&imp, "instrument"), Some("infinite 200Pro"));
    assert_eq!(meta(&imp, "software_version"), Some("2.0.10.0"));
    assert_eq!(meta(&imp, "date"), Some("20.02.2024"));
}

#[test]
fn skanit_step_sheets() {
    let imp = load("thermo-skanit-xlsx/skanit_data.xlsx");
    assert_eq!(imp.format, "thermo-skanit-xlsx");
    assert_eq!(imp.plates.len(), 1);
    let plate = &imp.plates[0];
    assert_eq!(plate.name, "Plate 1");
    assert_eq!(plate.shape, PlateShape::WELLS_96);
    assert_eq!(
        labels(&imp, 0),
        [
            "Absorbance 1: Abs",
            "Blank Subtraction 1: Blank subtracted",
            "Standard Curve 1: Signal",
            "Standard Curve 1: Conc. [microg/ml]",
            "Dilution Factor 1: Value",
            "Dilution Factor 1: Dilution factor"
        ]
    );
    assert_eq!(plate.reads[0].kind, ReadKind::Raw);
    assert!(plate.reads[1..].iter().all(|r| r.kind == ReadKind::Derived));
    assert!(plate.reads.iter().all(|r| r.wavelength_nm == Some(450.0)));
    assert_eq!(val(&imp, 0, 0, "A1"), Some(1.7455));
    assert_eq!(val(&imp, 0, 0, "H12"), Some(0.1032));
    assert_eq!(val(&imp, 0, 0, "B3"), Some(0.3925));
    assert_eq!(val(&imp, 0, 0, "C2"), Some(0.953));
    assert_eq!(val(&imp, 0, 1, "H1"), Some(-0.000555));
    assert_eq!(flag(&imp, 0, 4, "A1"), Some("NaN"));
    assert_eq!(val(&imp, 0, 4, "D3"), Some(64.0));
    assert_eq!(val(&imp, 0, 4, "H1"), None);
    assert_eq!(meta(&imp, "instrument"), Some("Varioskan LUX"));
    assert_eq!(meta(&imp, "serial"), Some("3020-81776"));
}

#[test]
fn multiskan_sky_long_raw_sheet() {
    let imp = load("thermo-multiskan-sky-xlsx/Multiskan Sky.xlsx");
    assert_eq!(imp.format, "thermo-multiskan-sky-xlsx");
    assert_eq!(imp.plates.len(), 1);
    let plate = &imp.plates[0];
    assert_eq!(plate.shape, PlateShape::WELLS_96);
    assert_eq!(plate.reads.len(), 101);
    assert!(plate.reads.iter().all(|r| r.wavelength_nm == Some(340.0)));
    assert_eq!(plate.reads[0].time_s, Some(0.0));
    assert_eq!(plate.reads[1].time_s, Some(5.99));
    assert_eq!(plate.reads[100].time_s, Some(599.99));
    assert_eq!(val(&imp, 0, 0, "A2"), Some(1.1296));
    assert_eq!(val(&imp, 0, 0, "G2"), Some(0.1092));
    assert_eq!(val(&imp, 0, 0, "A1"), None);
    assert_eq!(val(&imp, 0, 100, "A2"), Some(1.0306));
    assert_eq!(val(&imp, 0, 100, "G2"), Some(0.1093));
    assert_eq!(meta(&imp, "serial"), Some("1530-00516C"));
    assert_eq!(meta(&imp, "instrument"), Some("Multiskan Sky"));
}

#[test]
fn multiskan_text_iterations_stray_tabs_and_nan() {
    let imp = load("thermo-skanit-txt/multiskan_spectrum_1500.txt");
    assert_eq!(imp.format, "thermo-multiskan-text");
    assert_eq!(imp.plates.len(), 1);
    let plate = &imp.plates[0];
    assert_eq!(plate.shape, PlateShape::WELLS_96);
    assert_eq!(plate.reads.len(), 62);
    assert!(
        plate.reads[..31]
            .iter()
            .all(|r| r.wavelength_nm == Some(340.0))
    );
    assert!(
        plate.reads[31..]
            .iter()
            .all(|r| r.wavelength_nm == Some(420.0))
    );
    assert_eq!(plate.reads[0].label, "340 nm iteration 1");
    assert_eq!(val(&imp, 0, 0, "A1"), Some(0.0440802853056135));
    assert_eq!(val(&imp, 0, 0, "F10"), Some(3.20105597773776));
    assert_eq!(val(&imp, 0, 0, "G1"), None);
    // Iteration 2 line 17: `...1.7601945810398\t\t2.57561880119168...` - the stray tab is
    // padding, so B9 and B10 keep their values.
    assert_eq!(val(&imp, 0, 1, "B8"), Some(1.7601945810398));
    assert_eq!(val(&imp, 0, 1, "B9"), Some(2.57561880119168));
    assert_eq!(val(&imp, 0, 1, "B10"), Some(3.05211696472569));
    assert_eq!(val(&imp, 0, 1, "F6"), Some(1.06125319043754));
    assert_eq!(val(&imp, 0, 1, "B11"), None);
    // Iteration 31 at 340 nm: rows A-D are NaN (flags, never 0), row E has values.
    assert_eq!(flag(&imp, 0, 30, "A1"), Some("NaN"));
    assert_eq!(flag(&imp, 0, 30, "D10"), Some("NaN"));
    assert_eq!(val(&imp, 0, 30, "D10"), None);
    assert_eq!(val(&imp, 0, 30, "E1"), Some(0.0382875146933363));
    // The last read: 420 nm, iteration 31.
    assert_eq!(plate.reads[61].label, "420 nm iteration 31");
    assert_eq!(val(&imp, 0, 61, "D1"), Some(0.0344325821273442));
}

#[test]
fn plater_generic_grid_numeric_blocks() {
    let imp = load("generic-grid-csv/example-1.csv");
    assert_eq!(imp.format, "generic-grid-csv");
    assert_eq!(imp.plates.len(), 1);
    assert_eq!(imp.plates[0].shape, PlateShape::WELLS_96);
    assert_eq!(labels(&imp, 0), ["Concentration", "Killing"]);
    assert_eq!(val(&imp, 0, 0, "A11"), Some(0.00001024));
    assert_eq!(val(&imp, 0, 0, "H12"), Some(0.0));
    assert_eq!(val(&imp, 0, 1, "A1"), Some(98.0));
    assert_eq!(val(&imp, 0, 1, "H12"), Some(0.5));
    assert_eq!(val(&imp, 0, 1, "B3"), Some(3.0));
    assert_eq!(val(&imp, 0, 1, "C2"), Some(21.0));
    assert_eq!(imp.warnings.len(), 2);
}

#[test]
fn every_sample_gives_json_without_nan_and_a_summary() {
    for rel in ALL {
        let imp = load(rel);
        let value = import_json(rel, &imp);
        // Numbers are finite or null (a bare NaN would not parse back).
        let text = serde_json::to_string(&value).expect("json");
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "{rel}"
        );
        assert_eq!(value["format"], imp.format.as_str(), "{rel}");
        let plate = &value["plates"][0];
        assert_eq!(
            plate["rows"].as_u64(),
            Some(imp.plates[0].shape.rows as u64)
        );
        let values = &plate["reads"][0]["values"];
        assert_eq!(
            values.as_array().map(Vec::len),
            Some(imp.plates[0].shape.rows)
        );
        let summary = import_summary(rel, &imp);
        assert!(summary.contains(&imp.format), "{rel}");
    }
}

#[test]
fn xlsx_named_xls_and_extensions_do_not_matter() {
    let bytes = std::fs::read(sample("tecan-magellan-xlsx/SLA01P01_OD.xlsx")).expect("read");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(" odd name.XLS");
    std::fs::write(&path, &bytes).expect("write");
    let imp = import_file(&path).expect("xlsx named .xls");
    assert_eq!(imp.format, "tecan-magellan-xlsx");
}

#[test]
fn unknown_and_broken_files_give_clear_errors() {
    let err = import_bytes(b"hello world\nthis is not a plate\n").expect_err("unknown");
    let text = err.to_string();
    assert!(matches!(err, ImportError::Unrecognized { .. }));
    assert!(
        text.contains("biotek-gen5-text") && text.contains("thermo-skanit-xlsx"),
        "{text}"
    );
    assert!(text.contains("hello world"), "{text}");
    assert!(!text.contains("platefit fit"), "{text}");
    // A table of dose-response points opened as a plate (in the app, or `analyze`) says
    // what it is and which command reads it.
    for table in [
        "curve,conc,response\nK562,0,100\nK562,1,50\n",
        "Concentration (uM);Viability (%)\n0;100\n1;50\n",
    ] {
        let err = import_bytes(table.as_bytes()).expect_err("points");
        let text = err.to_string();
        assert!(
            text.contains("table of dose-response points") && text.contains("platefit fit"),
            "{text}"
        );
    }
    // A legacy .xls signature with garbage is refused clearly.
    let err =
        import_bytes(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).expect_err("xls");
    assert!(err.to_string().contains(".xls"), "{err}");
    // A truncated xlsx zip.
    let bytes = std::fs::read(sample("bmg-mars-xlsx/clariostar.xlsx")).expect("read");
    let err = import_bytes(&bytes[..bytes.len() / 2]).expect_err("truncated");
    assert!(matches!(err, ImportError::Workbook(_)), "{err}");
    // A SoftMax plate block without a plate size names the line.
    let err = import_bytes(b"##BLOCKS= 1\nPlate:\tP\t1.3\tPlateFormat\tEndpoint\n~End\n")
        .expect_err("no size");
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(matches!(import_bytes(b""), Err(ImportError::Empty)));
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    fn text_samples() -> Vec<Vec<u8>> {
        ALL.iter()
            .filter(|rel| !rel.ends_with(".xlsx"))
            .map(|rel| std::fs::read(sample(rel)).expect("sample"))
            .collect()
    }

    fn xlsx_samples() -> Vec<Vec<u8>> {
        ALL.iter()
            .filter(|rel| rel.ends_with(".xlsx") && !rel.contains("icontrol"))
            .map(|rel| std::fs::read(sample(rel)).expect("sample"))
            .collect()
    }

    /// Applies one mutation to a file: truncate, flip bytes, duplicate a line, empty cells.
    fn mutate(mut bytes: Vec<u8>, op: u8, a: usize, b: usize) -> Vec<u8> {
        let len = bytes.len().max(1);
        match op % 4 {
            0 => bytes.truncate(a % len),
            1 => {
                for k in 0..8usize {
                    let idx = a.wrapping_add(k.wrapping_mul(b)) % len;
                    if let Some(byte) = bytes.get_mut(idx) {
                        *byte ^= (b as u8) | 1;
                    }
                }
            }
            2 => {
                let text = bytes
                    .split(|c| *c == b'\n')
                    .map(<[u8]>::to_vec)
                    .collect::<Vec<_>>();
                let line = a % text.len().max(1);
                let mut out = Vec::new();
                for (i, l) in text.iter().enumerate() {
                    out.extend_from_slice(l);
                    out.push(b'\n');
                    if i == line {
                        for _ in 0..(b % 5 + 1) {
                            out.extend_from_slice(l);
                            out.push(b'\n');
                        }
                    }
                }
                bytes = out;
            }
            _ => {
                // Empty cells: drop the characters between delimiters in a region.
                let start = a % len;
                let end = start.saturating_add(b % 400).min(bytes.len());
                let mut out = bytes[..start].to_vec();
                out.extend(
                    bytes[start..end]
                        .iter()
                        .copied()
                        .filter(|c| matches!(c, b'\t' | b',' | b';' | b'\n' | b'\r')),
                );
                out.extend_from_slice(&bytes[end..]);
                bytes = out;
            }
        }
        bytes
    }

    proptest! {
        #![proptest_config(crate::robustness::fixed_seed(128, 5))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = import_bytes(&bytes);
        }

        #[test]
        fn mutated_text_exports_never_panic(which in 0usize..16, op in any::<u8>(), a in any::<usize>(), b in any::<usize>(), rounds in 1usize..4) {
            let samples = text_samples();
            let mut bytes = samples[which % samples.len()].clone();
            for r in 0..rounds {
                bytes = mutate(bytes, op.wrapping_add(r as u8), a.wrapping_mul(r + 1), b);
            }
            if let Ok(imported) = import_bytes(&bytes) {
                let text = serde_json::to_string(&import_json("x", &imported)).expect("json");
                prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
            }
        }
    }

    proptest! {
        #![proptest_config(crate::robustness::fixed_seed(48, 6))]

        #[test]
        fn mutated_workbooks_never_panic(which in 0usize..16, op in 0u8..2, a in any::<usize>(), b in any::<usize>()) {
            let samples = xlsx_samples();
            let bytes = mutate(samples[which % samples.len()].clone(), op, a, b);
            let _ = import_bytes(&bytes);
        }
    }

    /// Structured corruption of plate grids: values replaced by tokens, rows dropped or
    /// duplicated, fields emptied — still no panic, and numbers never turn into flags or 0.
    #[test]
    fn tokens_in_real_grids_are_flags() {
        let path = sample("bmg-mars-csv/BMG Labtech format.CSV");
        let text = std::fs::read_to_string(path).expect("read");
        let text = text
            .replacen("0.073", "OVER", 1)
            .replacen("0.224", "?????", 1);
        let imp = import_bytes(text.as_bytes()).expect("import");
        assert_eq!(flag(&imp, 0, 0, "A1"), Some("OVER"));
        assert_eq!(flag(&imp, 0, 0, "H2"), Some("?????"));
        assert_eq!(val(&imp, 0, 0, "A1"), None);
        assert_eq!(val(&imp, 0, 0, "A2"), Some(0.082));
    }
}

// ---------------------------------------------------------------------------------------
// Variants of the vendor formats, built by hand (tests/data/variants/make_variants.py), and
// damaged inputs that must not pass as good ones.

fn variant(name: &str) -> Imported {
    let path = format!("{}/tests/data/variants/{name}", env!("CARGO_MANIFEST_DIR"));
    match import_file(std::path::Path::new(&path)) {
        Ok(imported) => imported,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn sample_experiment(plate: platefit::Plate, file: &str) -> platefit::analysis::Experiment {
    let layout_text = std::fs::read_to_string(format!(
        "{}/sample_plates/flumatinib_K562_72h_layout.csv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the sample layout is part of the repository");
    let layout = platefit::layout::parse_layout(&layout_text).expect("the sample layout parses");
    platefit::analysis::Experiment {
        name: "damaged".into(),
        plates: vec![platefit::analysis::PlateInput {
            file: file.into(),
            sha256: None,
            format: String::new(),
            plate,
            layout,
            excluded: Default::default(),
        }],
        settings: Default::default(),
    }
}

#[test]
fn softmax_plate_format_without_column_number_line() {
    let imp = variant("softmax_plateformat_without_column_line.txt");
    assert_eq!(imp.format, "softmax-pro-text");
    let plate = &imp.plates[0];
    assert_eq!(plate.shape, PlateShape::WELLS_96);
    assert_eq!(plate.reads.len(), 2);
    assert_eq!(plate.reads[0].wavelength_nm, Some(450.0));
    assert_eq!(plate.reads[1].wavelength_nm, Some(650.0));
    assert_eq!(plate.reads[0].mode, Some(ReadMode::Absorbance));
    // The temperature (23.6) on the first row is not a well.
    assert_eq!(val(&imp, 0, 0, "A1"), Some(0.1));
    assert_eq!(val(&imp, 0, 0, "A12"), Some(0.21));
    assert_eq!(val(&imp, 0, 0, "B3"), Some(0.22));
    assert_eq!(val(&imp, 0, 0, "H12"), Some(0.91));
    assert_eq!(val(&imp, 0, 1, "A1"), Some(0.04));
    assert_eq!(val(&imp, 0, 1, "H12"), Some(0.0481));
    for read in &plate.reads {
        assert!(read.incomplete.is_none());
        assert_eq!(read.values.iter().flatten().count(), 96);
    }
}

#[test]
fn envision_bare_grids_several_plates() {
    let imp = variant("envision_bare_grids.csv");
    assert_eq!(imp.format, "perkinelmer-envision-csv");
    assert_eq!(imp.plates.len(), 2, "{:?}", imp.warnings);
    for (idx, plate) in imp.plates.iter().enumerate() {
        assert_eq!(plate.shape, PlateShape::WELLS_96);
        assert_eq!(plate.reads.len(), 1);
        let read = &plate.reads[0];
        assert_eq!(read.label, "A450(1)");
        assert_eq!(read.wavelength_nm, Some(450.0));
        assert_eq!(read.mode, Some(ReadMode::Absorbance));
        assert_eq!(read.values.iter().flatten().count(), 96);
        assert!(read.incomplete.is_none());
        let base = (idx + 1) as f64;
        assert_eq!(val(&imp, idx, 0, "A1"), Some(base));
        assert_eq!(val(&imp, idx, 0, "A12"), Some(base + 0.011));
        assert_eq!(val(&imp, idx, 0, "H1"), Some(base + 0.7));
    }
    assert_eq!(imp.plates[1].name, "Plate 2");
}

#[test]
fn icontrol_kinetic_two_measurements_keep_their_names_modes_and_wavelengths() {
    let imp = variant("icontrol_kinetic_two_measurements.xlsx");
    assert_eq!(imp.format, "tecan-icontrol-xlsx");
    let plate = &imp.plates[0];
    assert_eq!(labels(&imp, 0), ["OD", "OD", "OD", "GFP", "GFP", "GFP"]);
    for read in &plate.reads[..3] {
        assert_eq!(read.mode, Some(ReadMode::Absorbance));
        assert_eq!(read.wavelength_nm, Some(600.0));
        assert_eq!(read.emission_nm, None);
    }
    for read in &plate.reads[3..] {
        assert_eq!(read.mode, Some(ReadMode::Fluorescence));
        assert_eq!(read.wavelength_nm, Some(485.0));
        assert_eq!(read.emission_nm, Some(535.0));
    }
    let times: Vec<Option<f64>> = plate.reads.iter().map(|r| r.time_s).collect();
    assert_eq!(
        times,
        [
            Some(0.0),
            Some(600.2),
            Some(1200.5),
            Some(0.0),
            Some(600.2),
            Some(1200.5)
        ]
    );
    assert_eq!(val(&imp, 0, 0, "A1"), Some(0.1));
    assert_eq!(val(&imp, 0, 2, "A1"), Some(0.2));
    assert_eq!(val(&imp, 0, 3, "B1"), Some(1100.0));
    assert_eq!(val(&imp, 0, 4, "H12"), Some(1000.0 + 250.0 + 700.0 + 110.0));
    assert_eq!(flag(&imp, 0, 5, "A1"), Some("OVER"));
}

#[test]
fn skanit_formula_cells_are_kept_but_marked_derived_and_left_out_of_the_fit() {
    let imp = variant("skanit_formula_cells.xlsx");
    assert_eq!(imp.format, "thermo-skanit-xlsx");
    let read = &imp.plates[0].reads[0];
    assert_eq!(read.wavelength_nm, Some(450.0));
    let derived: Vec<String> = read.derived.keys().map(ToString::to_string).collect();
    assert_eq!(derived, ["C12", "D12"]);
    assert_eq!(read.derived[&w("C12")], "=AVERAGE(B13:D13)");
    // The value Excel cached is kept (mean of 0.4, 0.41, 0.42).
    let c12 = val(&imp, 0, 0, "C12").unwrap();
    assert!((c12 - 0.41).abs() < 1e-9, "{c12}");
    // A measured neighbour is not derived; the user's column beside the grid is not a well.
    assert_eq!(val(&imp, 0, 0, "C11"), Some(0.5));
    assert_eq!(read.values.iter().flatten().count(), 96);
    // Analysis leaves the formula wells out and says why.
    let mut plate = imp.plates[0].clone();
    plate.reads.truncate(1);
    let analysis = platefit::analyze(&sample_experiment(plate, "formulas.xlsx")).unwrap();
    let qc = &analysis.plates[0].normalized.qc;
    assert_eq!(
        qc.flagged_wells.get(&w("C12")).map(String::as_str),
        Some("formula =AVERAGE(B13:D13)")
    );
    assert!(
        qc.warnings
            .iter()
            .any(|m| m.contains("spreadsheet formulas")),
        "{:?}",
        qc.warnings
    );
    let json = import_json("formulas.xlsx", &imp);
    assert_eq!(
        json["plates"][0]["reads"][0]["derived"]["C12"],
        "=AVERAGE(B13:D13)"
    );
}

#[test]
fn formula_cells_are_readings_when_the_user_includes_them() {
    let imp = variant("skanit_formula_cells.xlsx");
    let mut plate = imp.plates[0].clone();
    plate.reads.truncate(1);
    let mut experiment = sample_experiment(plate, "formulas.xlsx");
    let default = platefit::analyze(&experiment).unwrap();
    let well = |analysis: &platefit::analysis::Analysis, id: &str| {
        analysis.plates[0]
            .normalized
            .wells
            .iter()
            .find(|v| v.well == w(id))
            .cloned()
            .unwrap()
    };
    let c12 = well(&default, "C12");
    assert!(c12.absorbance.is_none() && c12.flag.is_some(), "{c12:?}");
    experiment.settings.include_formula_cells = true;
    let included = platefit::analyze(&experiment).unwrap();
    let qc = &included.plates[0].normalized.qc;
    assert!(!qc.flagged_wells.contains_key(&w("C12")), "{qc:?}");
    assert!(
        !qc.warnings
            .iter()
            .any(|m| m.contains("spreadsheet formulas, not readings"))
    );
    let c12 = well(&included, "C12");
    assert!(
        c12.absorbance.is_some_and(|v| (v - 0.41).abs() < 1e-9) && c12.flag.is_none(),
        "{c12:?}"
    );
    // The choice stays visible.
    assert!(
        included
            .warnings
            .iter()
            .any(|m| m.contains("formula cells used as readings") && m.contains("C12, D12")),
        "{:?}",
        included.warnings
    );
    // It is saved with the experiment, and absent (not `false`) when off.
    let saved = serde_json::to_value(&experiment.settings).unwrap();
    assert_eq!(saved["include_formula_cells"], true);
    let off = serde_json::to_value(platefit::analysis::AnalysisSettings::default()).unwrap();
    assert!(off.get("include_formula_cells").is_none());
    let back: platefit::analysis::AnalysisSettings = serde_json::from_value(saved).unwrap();
    assert!(back.include_formula_cells);
}

#[test]
fn the_cli_includes_formula_cells_and_excludes_wells_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let layout = data.join("sample_plates/flumatinib_K562_72h_layout.csv");
    let run = |file: &std::path::Path, extra: &[&str]| -> (bool, serde_json::Value, String) {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_platefit"))
            .arg("analyze")
            .arg(file)
            .arg("--layout")
            .arg(&layout)
            .args(["--json", "-"])
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let json = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
        (output.status.success(), json, stderr)
    };
    let formulas = data.join("tests/data/variants/skanit_formula_cells.xlsx");
    let (ok, json, stderr) = run(&formulas, &[]);
    assert!(ok, "{stderr}");
    let text = json.to_string();
    assert!(text.contains("formula =AVERAGE(B13:D13)"), "{text}");
    let (ok, json, stderr) = run(&formulas, &["--include-formula-cells"]);
    assert!(ok, "{stderr}");
    let text = json.to_string();
    assert!(!text.contains("formula =AVERAGE(B13:D13)"));
    assert!(text.contains("formula cells used as readings"), "{text}");
    // The QC of the blank-above-vehicle plate names the wells to exclude ...
    let blank = data.join("tests/data/variants/sample_blank_above_vehicle.csv");
    let (ok, json, stderr) = run(&blank, &[]);
    assert!(ok, "{stderr}");
    let qc = &json["plates"][0];
    let suggested: Vec<&str> = qc["suggested_exclusions"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(suggested, ["B1", "C1", "D1", "E1", "F1"], "{qc}");
    assert!(qc.to_string().contains("--exclude B1,C1,D1,E1,F1"), "{qc}");
    // ... and excluding them on the command line passes the signal window.
    let (ok, json, stderr) = run(&blank, &["--exclude", "B1,C1,D1,E1,F1"]);
    assert!(ok, "{stderr}");
    let qc = &json["plates"][0];
    assert_ne!(qc["qc"], "fail", "{qc}");
    assert!(qc.get("suggested_exclusions").is_none(), "{qc}");
    // A well that is not on the plate is refused with the option named.
    let (ok, _, stderr) = run(&blank, &["--exclude", "Z99"]);
    assert!(!ok);
    assert!(stderr.contains("--exclude"), "{stderr}");
    drop(dir);
}

#[test]
fn a_failed_signal_window_offers_the_exclusion_that_fixes_it() {
    let imp = variant("sample_blank_above_vehicle.csv");
    let mut experiment = sample_experiment(imp.plates[0].clone(), "blank.csv");
    let analysis = platefit::analyze(&experiment).unwrap();
    let qc = &analysis.plates[0].normalized.qc;
    let suggested: Vec<String> = qc
        .suggested_exclusions
        .keys()
        .map(ToString::to_string)
        .collect();
    // The saturated blanks; the good blank (G1) and the vehicles stay.
    assert_eq!(suggested, ["B1", "C1", "D1", "E1", "F1"]);
    assert!(qc.suggested_exclusions[&w("B1")].contains("saturated"));
    assert!(
        qc.warnings
            .iter()
            .any(|m| m.contains("suggested exclusion: B1 C1 D1 E1 F1")),
        "{:?}",
        qc.warnings
    );
    let json = serde_json::to_value(qc).unwrap();
    assert!(json["suggested_exclusions"]["B1"].is_string(), "{json}");
    // Accepting the offer gives a plate that passes the signal window and has IC50s.
    assert_eq!(experiment.plates[0].exclude_suggested(qc), 5);
    assert_eq!(experiment.plates[0].exclude_suggested(qc), 0);
    let again = platefit::analyze(&experiment).unwrap();
    let qc = &again.plates[0].normalized.qc;
    assert_ne!(
        qc.verdict,
        platefit::normalize::QcVerdict::Fail,
        "{:?}",
        qc.warnings
    );
    assert!(qc.suggested_exclusions.is_empty());
    assert!(again.curves.iter().any(|c| c.fit.reported_ic50().is_some()));
}

/// A plain CSV cut between or inside its blocks: every trace of the cut makes the read
/// incomplete (never a shorter plate, a dropped read or a shortened number).
#[test]
fn a_plain_csv_cut_between_blocks_is_flagged_not_shorter() {
    let full = {
        let path = format!(
            "{}/sample_plates/flumatinib_K562_72h.csv",
            env!("CARGO_MANIFEST_DIR")
        );
        import_file(std::path::Path::new(&path)).unwrap()
    };
    // Cut right after the 630 nm header: the read is there, every well missing.
    let imp = variant("sample_cut_after_630_header.csv");
    let reads = &imp.plates[0].reads;
    assert_eq!(reads.len(), 2, "the cut read must not be dropped");
    assert_eq!(reads[1].wavelength_nm, Some(630.0));
    let why = reads[1].incomplete.as_deref().unwrap_or_default();
    assert!(why.contains("line 11") && why.contains("header"), "{why}");
    assert_eq!(flag(&imp, 0, 1, "A1"), Some(platefit::plate::MISSING_FLAG));
    assert_eq!(flag(&imp, 0, 1, "H12"), Some(platefit::plate::MISSING_FLAG));
    assert!(reads[0].incomplete.is_none());
    // Cut inside row D after three values: row D on is missing, A–C keep their values.
    let imp = variant("sample_cut_inside_630_row_D.csv");
    let read = &imp.plates[0].reads[1];
    let why = read.incomplete.as_deref().unwrap_or_default();
    assert!(
        why.contains("inside row D") && why.contains("line 15"),
        "{why}"
    );
    assert_eq!(flag(&imp, 0, 1, "D1"), Some(platefit::plate::MISSING_FLAG));
    assert_eq!(flag(&imp, 0, 1, "D12"), Some(platefit::plate::MISSING_FLAG));
    assert_eq!(val(&imp, 0, 1, "C12"), val(&full, 0, 1, "C12"));
    // Cut inside the last number (0.0493 → 0.04): not read as 0.04.
    let imp = variant("sample_cut_inside_last_number.csv");
    let read = &imp.plates[0].reads[1];
    let why = read.incomplete.as_deref().unwrap_or_default();
    assert!(why.contains("decimals"), "{why}");
    assert_ne!(val(&imp, 0, 1, "H12"), Some(0.04));
    assert_eq!(flag(&imp, 0, 1, "H12"), Some(platefit::plate::MISSING_FLAG));
    assert_eq!(val(&imp, 0, 1, "G12"), val(&full, 0, 1, "G12"));
    // Each goes through analysis as a failed plate without IC50.
    for name in [
        "sample_cut_after_630_header.csv",
        "sample_cut_inside_630_row_D.csv",
    ] {
        let imp = variant(name);
        let analysis = platefit::analyze(&sample_experiment(imp.plates[0].clone(), name)).unwrap();
        let qc = &analysis.plates[0].normalized.qc;
        assert_eq!(qc.verdict, platefit::normalize::QcVerdict::Fail, "{name}");
        assert!(
            analysis
                .curves
                .iter()
                .all(|c| c.fit.reported_ic50().is_none()),
            "{name}"
        );
    }
    // The intact file and one without a final line end read complete.
    assert!(full.plates[0].reads.iter().all(|r| r.incomplete.is_none()));
    let path = format!(
        "{}/sample_plates/flumatinib_K562_72h.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let imp = platefit::import::import_bytes(text.trim_end().as_bytes()).unwrap();
    assert!(imp.plates[0].reads.iter().all(|r| r.incomplete.is_none()));
    assert_eq!(val(&imp, 0, 1, "H12"), Some(0.0493));
}

/// Headers that declare a plate size: a declaration the grids do not match is said.
#[test]
fn a_declared_plate_size_that_the_grids_do_not_fill_is_a_warning() {
    let imp = variant("gen5_plate_type_384_over_96_grid.txt");
    assert_eq!(imp.plates[0].shape, PlateShape::WELLS_96);
    assert!(
        imp.warnings
            .iter()
            .any(|m| m.contains("declares a 384-well plate") && m.contains("96")),
        "{:?}",
        imp.warnings
    );
    let imp = variant("envision_declares_16x24_over_8x12_grid.csv");
    assert_eq!(imp.plates[0].shape, PlateShape::WELLS_96);
    assert!(
        imp.warnings
            .iter()
            .any(|m| m.contains("declares 16 rows × 24 columns")),
        "{:?}",
        imp.warnings
    );
    // The unchanged exports declare what they hold, and say nothing.
    for path in [
        "biotek-gen5/endpoint_stdcurve_singleplate_2.txt",
        "perkinelmer-envision-csv/PE_Envision_fluorescence_example01.csv",
    ] {
        let full = format!(
            "{}/tests/data/platefiles/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        let imp = import_file(std::path::Path::new(&full)).unwrap();
        assert!(
            !imp.warnings.iter().any(|m| m.contains("declares")),
            "{path}: {:?}",
            imp.warnings
        );
    }
}

#[test]
fn one_cause_one_line_for_locale_damaged_gen5_values() {
    let imp = variant("gen5_xlsx_kinetic_locale_damaged.xlsx");
    let damaged: Vec<&String> = imp
        .warnings
        .iter()
        .filter(|w| w.contains("above 10 OD"))
        .collect();
    assert_eq!(damaged.len(), 1, "{:#?}", imp.warnings);
    assert!(damaged[0].contains("150×"), "{}", damaged[0]);
    assert!(damaged[0].contains("e.g."), "{}", damaged[0]);
    assert!(imp.warnings.len() <= 5, "{:#?}", imp.warnings);
    // The damaged values are flagged, not imported as readings.
    let flagged: usize = imp.plates[0].reads.iter().map(|r| r.flags.len()).sum();
    assert!(flagged > 150, "{flagged}");
    let json = import_json("damaged.xlsx", &imp);
    assert_eq!(
        json["warnings"].as_array().unwrap().len(),
        imp.warnings.len()
    );
}

#[test]
fn a_truncated_reference_block_fails_qc_and_gives_no_ic50() {
    let imp = variant("sample_630_cut_after_row_C.csv");
    let plate = &imp.plates[0];
    assert_eq!(labels(&imp, 0), ["450", "630"]);
    let reference = &plate.reads[1];
    let why = reference
        .incomplete
        .as_deref()
        .expect("the 630 read is incomplete");
    assert!(why.contains("row C") && why.contains("line 14"), "{why}");
    assert_eq!(flag(&imp, 0, 1, "D1"), Some(platefit::plate::MISSING_FLAG));
    assert_eq!(flag(&imp, 0, 1, "H12"), Some(platefit::plate::MISSING_FLAG));
    assert_eq!(val(&imp, 0, 1, "C12"), Some(0.0433));
    let analysis = platefit::analyze(&sample_experiment(plate.clone(), "cut.csv")).unwrap();
    // The reference read is still the one subtracted (not silently dropped).
    assert_eq!(analysis.plates[0].reference_label.as_deref(), Some("630"));
    let qc = &analysis.plates[0].normalized.qc;
    assert_eq!(qc.verdict, platefit::normalize::QcVerdict::Fail);
    assert!(
        qc.warnings[0].contains("incomplete") && qc.warnings[0].contains("60 wells"),
        "{:?}",
        qc.warnings
    );
    assert!(
        analysis
            .curves
            .iter()
            .all(|c| c.fit.reported_ic50().is_none()),
        "a damaged plate gave an IC50"
    );
    // Every curve of the plate carries the reason instead of an IC50.
    assert!(!analysis.curves.is_empty());
    for curve in &analysis.curves {
        let problem = curve.problem.as_deref().unwrap_or_default();
        assert!(problem.contains("plate QC failed"), "{problem:?}");
        // ... and says so as its status, not "insufficient data (needs 4 concentrations)".
        assert_eq!(curve.status_words(), "not analysed");
        assert_eq!(curve.status_explained(), problem);
    }
    let table = platefit::report::table::results_table(std::slice::from_ref(&analysis));
    assert!(table.contains("not analysed"), "{table}");
    assert!(!table.contains("insufficient data"), "{table}");
    let json = platefit::report::json::results_json(std::slice::from_ref(&analysis), None);
    for curve in json["curves"].as_array().expect("curves") {
        let said = curve["status_explained"].as_str().unwrap_or_default();
        assert!(said.contains("plate QC failed"), "{said}");
    }
}

#[test]
fn a_blank_above_the_vehicle_fails_qc_names_the_wells_and_gives_no_ic50() {
    let imp = variant("sample_blank_above_vehicle.csv");
    let analysis =
        platefit::analyze(&sample_experiment(imp.plates[0].clone(), "blank.csv")).unwrap();
    let qc = &analysis.plates[0].normalized.qc;
    assert_eq!(qc.verdict, platefit::normalize::QcVerdict::Fail);
    assert!(
        qc.warnings[0].contains("signal window is not positive"),
        "{:?}",
        qc.warnings
    );
    for well in ["B1", "C1", "D1", "E1", "F1"] {
        let why = qc.suspect_controls.get(&w(well)).map(String::as_str);
        assert!(
            why.is_some_and(|t| t.starts_with("blank") && t.contains("saturated")),
            "{well}: {why:?}"
        );
    }
    assert!(
        qc.warnings.iter().any(|m| m.contains("B1 (blank: OD")),
        "{:?}",
        qc.warnings
    );
    assert!(
        analysis
            .curves
            .iter()
            .all(|c| c.fit.reported_ic50().is_none()),
        "a plate with a blank above its vehicle gave an IC50"
    );
}

#[test]
fn the_intact_sample_still_passes_qc() {
    let path = format!(
        "{}/sample_plates/flumatinib_K562_72h.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let imp = import_file(std::path::Path::new(&path)).unwrap();
    assert!(imp.plates[0].reads.iter().all(|r| r.incomplete.is_none()));
    let analysis = platefit::analyze(&sample_experiment(imp.plates[0].clone(), "ok.csv")).unwrap();
    let qc = &analysis.plates[0].normalized.qc;
    assert_ne!(
        qc.verdict,
        platefit::normalize::QcVerdict::Fail,
        "{:?}",
        qc.warnings
    );
    assert!(qc.suspect_controls.is_empty());
    assert!(qc.suggested_exclusions.is_empty());
    assert!(
        serde_json::to_value(qc)
            .unwrap()
            .get("suggested_exclusions")
            .is_none()
    );
    assert_eq!(
        analysis
            .curves
            .iter()
            .filter(|c| c.fit.reported_ic50().is_some())
            .count(),
        2
    );
}
