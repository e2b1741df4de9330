//! Reports and exports of the sample experiment: the PDF's text (via poppler's `pdftotext`)
//! carries the same IC50s, CIs and RI as the analysis, `pdftoppm` renders every page, the
//! workbook reads back (calamine) with the analysis numbers, the `.pzfx` is well-formed
//! XML with Prism's XY-table structure and the data, and the CLI writes complete files
//! atomically.
//!
//! These tests need poppler-utils (`pdftotext`, `pdftoppm`, `pdfinfo`) and fail with a clear
//! message when it is missing.

// Test helpers panic on anything unexpected; that is their job.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use platefit::analysis::{Analysis, AnalysisSettings, Experiment, analyze};
use platefit::cli::load_experiments;
use platefit::report::figures::{FigureSize, dose_response_svg, png};
use platefit::report::pdf::{PageSize, PdfOptions, experiment_report, summary_report};
use platefit::report::pzfx::{XScale, document};
use platefit::report::table::ic50_text;
use platefit::report::text::{absolute_ic50_cell, f_test_cell, ratio_cell};
use platefit::report::xlsx::{COMPARISON_COLUMNS, FIT_COLUMNS, SHEETS, workbook};
use platefit::report::{ReportDate, format_number};

fn sample_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_plates/flumatinib_K562_72h.csv")
}

fn layout_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_plates/flumatinib_K562_72h_layout.csv")
}

fn date() -> ReportDate {
    ReportDate::parse("2025-01-15").unwrap()
}

fn sample() -> (Experiment, Analysis) {
    let experiments =
        load_experiments(&[sample_path()], None, &AnalysisSettings::default(), false).unwrap();
    let experiment = experiments.into_iter().next().unwrap();
    let analysis = analyze(&experiment).unwrap();
    (experiment, analysis)
}

/// A second biological repeat: the sample with the resistant line's absorbance scaled up 6 %.
fn second_repeat() -> (Experiment, Analysis) {
    let (mut experiment, _) = sample();
    experiment.name = "flumatinib repeat 2".into();
    let plate = &mut experiment.plates[0].plate;
    let cols = plate.shape.cols;
    for read in &mut plate.reads {
        for (index, value) in read.values.iter_mut().enumerate() {
            if (4..=6).contains(&(index / cols))
                && let Some(v) = value
            {
                *v *= 1.06;
            }
        }
    }
    let analysis = analyze(&experiment).unwrap();
    (experiment, analysis)
}

/// Runs a poppler tool; a missing tool fails the test with what to install.
fn poppler(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{tool}` ({e}): install poppler-utils (apt-get install -y poppler-utils)"
        )
    });
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pdf_text(pdf: &Path) -> String {
    collapse(&poppler(
        "pdftotext",
        &["-layout", pdf.to_str().unwrap(), "-"],
    ))
}

fn assert_renders(pdf: &Path, dir: &Path, pages: usize) {
    let prefix = dir.join("page");
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "40",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let rendered = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("page"))
        .count();
    assert_eq!(
        rendered, pages,
        "pdftoppm rendered {rendered} pages, pdfinfo says {pages}"
    );
}

fn page_count(pdf: &Path) -> usize {
    let info = poppler("pdfinfo", &[pdf.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

#[test]
fn pdf_report_prints_the_numbers_of_the_analysis() {
    let (experiment, analysis) = sample();
    let options = PdfOptions {
        page: PageSize::A4,
        date: date(),
    };
    let bytes = experiment_report(&experiment, &analysis, &options).unwrap();
    assert!(bytes.starts_with(b"%PDF-") && bytes.trim_ascii_end().ends_with(b"%%EOF"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let text = pdf_text(&path);
    assert_eq!(analysis.curves.len(), 2);
    for curve in &analysis.curves {
        let fit = &curve.fit;
        assert!(fit.reported_ic50().is_some());
        let ic50 = ic50_text(fit);
        assert!(
            text.contains(&ic50),
            "IC50 {ic50} of {} not in the PDF:\n{text}",
            fit.label
        );
        let absolute = absolute_ic50_cell(fit);
        assert!(absolute.starts_with(&format_number(fit.absolute_ic50().unwrap())));
        assert!(
            text.contains(&absolute),
            "absolute IC50 {absolute} not in the PDF"
        );
        assert!(text.contains(&format!("{:.3}", fit.r_squared.unwrap())));
    }
    assert_eq!(analysis.comparisons.len(), 1);
    let comparison = &analysis.comparisons[0];
    let ri = ratio_cell(comparison);
    assert!(ri.starts_with(&format_number(comparison.ratio.unwrap())));
    assert!(text.contains(&ri), "RI {ri} not in the PDF");
    assert!(
        text.contains(&f_test_cell(comparison)),
        "F test not in the PDF"
    );
    // Inputs, QC, methods, and the glyphs that go missing with the wrong font.
    let sha = experiment.plates[0].sha256.clone().unwrap();
    assert!(
        text.replace(' ', "").contains(&sha),
        "SHA-256 not in the PDF"
    );
    for needle in [
        "flumatinib_K562_72h.csv",
        "2025-01-15",
        "platefit 0.1.0",
        "Quality control: pass",
        "Z′",
        "µM",
        "R²",
        "≥ 0.5",
        "Excluded wells",
        "Methods",
        "Y = Bottom + (Top − Bottom) / (1 + 10^((LogIC50 − X) · HillSlope))",
        "extra-sum-of-squares F test",
    ] {
        assert!(text.contains(needle), "{needle:?} not in the PDF:\n{text}");
    }
    let pages = page_count(&path);
    assert!(pages >= 2);
    assert_renders(&path, dir.path(), pages);
    // Same input, same bytes.
    assert_eq!(
        bytes,
        experiment_report(&experiment, &analysis, &options).unwrap()
    );
}

#[test]
fn letter_pages_are_letter_sized() {
    let (experiment, analysis) = sample();
    let options = PdfOptions {
        page: PageSize::Letter,
        date: date(),
    };
    let bytes = experiment_report(&experiment, &analysis, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let info = poppler("pdfinfo", &[path.to_str().unwrap()]);
    assert!(info.contains("612 x 792 pts"), "{info}");
    assert!(pdf_text(&path).contains(&ic50_text(&analysis.curves[0].fit)));
}

#[test]
fn summary_report_shows_every_experiment_and_the_geometric_means() {
    let items = vec![sample(), second_repeat()];
    let options = PdfOptions {
        page: PageSize::A4,
        date: date(),
    };
    let bytes = summary_report(&items, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let text = pdf_text(&path);
    for (_, analysis) in &items {
        assert!(text.contains(&analysis.experiment));
        for curve in &analysis.curves {
            assert!(
                text.contains(&ic50_text(&curve.fit)),
                "{} missing",
                ic50_text(&curve.fit)
            );
        }
        let ri = ratio_cell(&analysis.comparisons[0]);
        assert!(text.contains(&ri), "RI {ri} missing:\n{text}");
    }
    let analyses: Vec<Analysis> = items.iter().map(|(_, a)| a.clone()).collect();
    let summary = platefit::summary::Summary::of(&analyses);
    let (_, ri) = summary.resistance_index.iter().next().unwrap();
    assert_eq!(ri.n, 2);
    assert!(text.contains(&format_number(ri.geometric_mean)));
    let [lo, hi] = ri.ci95.unwrap();
    assert!(text.contains(&format!("[{}, {}]", format_number(lo), format_number(hi))));
    assert!(text.contains("Geometric mean"));
    assert_renders(&path, dir.path(), page_count(&path));
}

fn cell_f64(data: &Data) -> Option<f64> {
    match data {
        Data::Float(v) => Some(*v),
        Data::Int(v) => Some(*v as f64),
        _ => None,
    }
}

#[test]
fn workbook_reads_back_with_the_analysis_numbers() {
    let (experiment, analysis) = sample();
    let items = vec![(experiment.clone(), analysis.clone())];
    let bytes = workbook(&items, date()).unwrap();
    assert_eq!(
        bytes,
        workbook(&items, date()).unwrap(),
        "workbook is not deterministic"
    );
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), SHEETS.map(String::from).to_vec());
    // Fit results: one row per curve, numbers at full precision.
    let fits = book.worksheet_range("Fit results").unwrap();
    let rows: Vec<&[Data]> = fits.rows().collect();
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(header, FIT_COLUMNS.map(String::from).to_vec());
    let col = |name: &str| FIT_COLUMNS.iter().position(|c| *c == name).unwrap();
    assert_eq!(rows.len(), 1 + analysis.curves.len());
    for (row, curve) in rows[1..].iter().zip(&analysis.curves) {
        let fit = &curve.fit;
        assert_eq!(row[col("curve")].to_string(), curve.dose_response.label);
        assert_eq!(row[col("status")].to_string(), fit.status.as_str());
        let same = |name: &str, expected: Option<f64>| {
            let got = cell_f64(&row[col(name)]);
            assert!(
                got.zip(expected)
                    .is_some_and(|(g, e)| (g - e).abs() <= 1e-12 * e.abs().max(1.0)),
                "{name}: {got:?} vs {expected:?}"
            );
        };
        same("ic50", fit.reported_ic50());
        same("ic50_ci95_low", fit.ic50_ci95_wald_log.map(|c| c[0]));
        same("ic50_ci95_high", fit.ic50_ci95_wald_log.map(|c| c[1]));
        same("absolute_ic50", fit.absolute_ic50());
        same("hill_slope", Some(fit.params.hill_slope));
        same("top", Some(fit.params.top));
        same("bottom", Some(fit.params.bottom));
        same("r_squared", fit.r_squared);
        same("n", Some(fit.n as f64));
    }
    // Comparisons.
    let comparisons = book.worksheet_range("Comparisons").unwrap();
    let rows: Vec<&[Data]> = comparisons.rows().collect();
    let c = &analysis.comparisons[0];
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(header, COMPARISON_COLUMNS.map(String::from).to_vec());
    let col = |name: &str| {
        COMPARISON_COLUMNS
            .iter()
            .position(|column| *column == name)
            .unwrap()
    };
    assert_eq!(rows[1][col("test")].to_string(), c.test);
    assert_eq!(rows[1][col("reference")].to_string(), c.reference);
    assert_eq!(cell_f64(&rows[1][col("resistance_index")]), c.ratio);
    assert_eq!(
        cell_f64(&rows[1][col("ri_ci95_low")]),
        c.ratio_ci95.map(|v| v[0])
    );
    assert_eq!(cell_f64(&rows[1][col("p_value")]), c.p_value);
    assert_eq!(
        cell_f64(&rows[1][col("ri_ci95_profile_low")]),
        c.ratio_ci95_profile.map(|v| v[0].unwrap_or(0.0))
    );
    // Plate-shaped sheets: row 0 title, row 1 column numbers, then rows A…H.
    let plate = &analysis.plates[0];
    for (sheet, value) in [
        (
            "Viability",
            Box::new(|w: &platefit::normalize::WellValues| w.viability) as Box<dyn Fn(&_) -> _>,
        ),
        (
            "Corrected absorbance",
            Box::new(|w: &platefit::normalize::WellValues| w.corrected),
        ),
        (
            "Raw absorbance",
            Box::new(|w: &platefit::normalize::WellValues| {
                experiment.plates[0].plate.value(plate.reads.read, w.well)
            }),
        ),
    ] {
        let range = book.worksheet_range(sheet).unwrap();
        for w in &plate.normalized.wells {
            let got = range
                .get((2 + w.well.row_idx(), 1 + w.well.col_idx()))
                .and_then(cell_f64);
            assert_eq!(got, value(w), "{sheet} {}", w.well);
        }
    }
    // Long form: one row per well.
    let long = book.worksheet_range("Viability (long)").unwrap();
    assert_eq!(long.rows().count(), 1 + plate.normalized.wells.len());
    // QC and settings.
    let qc = book.worksheet_range("QC").unwrap();
    let qc_rows: Vec<&[Data]> = qc.rows().collect();
    assert_eq!(cell_f64(&qc_rows[1][4]), plate.normalized.qc.z_prime);
    let settings = book.worksheet_range("Settings").unwrap();
    let all: String = settings
        .rows()
        .flatten()
        .map(|d| format!("{d}\n"))
        .collect();
    assert!(
        all.contains("platefit 0.1.0")
            && all.contains(experiment.plates[0].sha256.as_deref().unwrap())
    );
}

/// A minimal element tree read with quick-xml.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&Element> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    fn one(&self, name: &str) -> &Element {
        let found = self.all(name);
        assert_eq!(found.len(), 1, "expected one <{name}> in <{}>", self.name);
        found[0]
    }
}

fn parse_xml(text: &str) -> Element {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack = vec![Element::default()];
    let element = |e: &quick_xml::events::BytesStart<'_>| Element {
        name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
        attributes: e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect(),
        ..Element::default()
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let el = element(&e);
                stack.last_mut().unwrap().children.push(el);
            }
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Text(t) => stack
                .last_mut()
                .unwrap()
                .text
                .push_str(&t.decode().unwrap()),
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap();
                let c = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unknown entity {other}"),
                };
                stack.last_mut().unwrap().text.push_str(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unbalanced XML");
    stack.pop().unwrap().children.into_iter().next().unwrap()
}

fn sorted_bits(values: impl Iterator<Item = f64>) -> Vec<u64> {
    let mut bits: Vec<u64> = values.map(f64::to_bits).collect();
    bits.sort_unstable();
    bits
}

#[test]
fn pzfx_is_a_prism_xy_table_with_the_replicates() {
    let (_, analysis) = sample();
    let text = document(
        std::slice::from_ref(&analysis),
        XScale::Concentration,
        date(),
    )
    .unwrap();
    let root = parse_xml(&text);
    assert_eq!(root.name, "GraphPadPrismFile");
    assert_eq!(root.attr("PrismXMLVersion"), Some("5.00"));
    let refs = root.one("TableSequence").all("Ref");
    assert_eq!(refs.len(), 1);
    let table = root.one("Table");
    assert_eq!(table.attr("ID"), refs[0].attr("ID"));
    assert_eq!(table.attr("TableType"), Some("XY"));
    assert_eq!(table.attr("XFormat"), Some("numbers"));
    assert_eq!(table.attr("YFormat"), Some("replicates"));
    assert_eq!(table.one("Title").text, analysis.experiment);
    let replicates: usize = table.attr("Replicates").unwrap().parse().unwrap();
    // Three replicate rows per line; the vehicle (X = 0) row holds three vehicle wells each.
    assert_eq!(replicates, 3);
    let x: Vec<f64> = table
        .one("XColumn")
        .one("Subcolumn")
        .all("d")
        .iter()
        .map(|d| d.text.parse().unwrap())
        .collect();
    let mut expected_x: Vec<f64> = analysis
        .curves
        .iter()
        .flat_map(|c| c.dose_response.points.iter().map(|p| p.concentration))
        .collect();
    expected_x.sort_by(f64::total_cmp);
    expected_x.dedup();
    assert_eq!(x, expected_x);
    assert!(x[0].abs() < f64::MIN_POSITIVE, "vehicle wells at X = 0");
    let y_columns = table.all("YColumn");
    assert_eq!(y_columns.len(), analysis.curves.len());
    for (column, curve) in y_columns.iter().zip(&analysis.curves) {
        assert_eq!(column.one("Title").text, curve.dose_response.label);
        assert_eq!(column.attr("Subcolumns"), Some("3"));
        let subcolumns = column.all("Subcolumn");
        assert_eq!(subcolumns.len(), replicates);
        let mut values = Vec::new();
        for sub in subcolumns {
            let cells = sub.all("d");
            assert_eq!(
                cells.len(),
                x.len(),
                "every subcolumn has one cell per X row"
            );
            values.extend(
                cells
                    .iter()
                    .filter(|d| !d.text.is_empty())
                    .map(|d| d.text.parse::<f64>().unwrap()),
            );
        }
        assert_eq!(
            sorted_bits(values.into_iter()),
            sorted_bits(curve.dose_response.points.iter().map(|p| p.response)),
            "values of {}",
            curve.dose_response.label
        );
    }
    // Log X: no vehicle row, X = log10 concentration.
    let log = parse_xml(&document(std::slice::from_ref(&analysis), XScale::Log10, date()).unwrap());
    let log_x: Vec<f64> = log
        .one("Table")
        .one("XColumn")
        .one("Subcolumn")
        .all("d")
        .iter()
        .map(|d| d.text.parse().unwrap())
        .collect();
    assert_eq!(log_x.len(), expected_x.len() - 1);
    assert!((log_x[0] - expected_x[1].log10()).abs() < 1e-12);
}

#[test]
fn figures_render_to_svg_and_png() {
    let (_, analysis) = sample();
    let svg = dose_response_svg(&analysis, FigureSize::ONE_AND_HALF_COLUMN);
    let root = parse_xml(&svg);
    assert_eq!(root.name, "svg");
    assert!(svg.contains("K562/FLM · flumatinib") && svg.contains("[flumatinib] (µM)"));
    let bytes = png(&svg, 300.0).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // 114 mm at 300 dpi ≈ 1346 px wide.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert!((1300..1400).contains(&width), "{width}");
}

fn platefit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_platefit"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cli_writes_every_export_completely_and_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    // An existing report, hard-linked: an atomic replace leaves the old file (the link)
    // intact and puts a new file at the path; an in-place overwrite would change both.
    std::fs::write(out("report.pdf"), b"old report, not a PDF").unwrap();
    std::fs::hard_link(out("report.pdf"), out("old-link.pdf")).unwrap();
    let sample_file = sample_path();
    let output = platefit(&[
        "analyze",
        sample_file.to_str().unwrap(),
        "--report",
        &out("report.pdf"),
        "--xlsx",
        &out("out.xlsx"),
        "--pzfx",
        &out("out.pzfx"),
        "--figures",
        &out("figures"),
        "--page",
        "letter",
        "--report-date",
        "2025-01-15",
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pdf = std::fs::read(out("report.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-") && pdf.trim_ascii_end().ends_with(b"%%EOF"));
    assert_eq!(
        std::fs::read(out("old-link.pdf")).unwrap(),
        b"old report, not a PDF"
    );
    let (experiment, analysis) = sample();
    let expected = experiment_report(
        &experiment,
        &analysis,
        &PdfOptions {
            page: PageSize::Letter,
            date: date(),
        },
    )
    .unwrap();
    assert_eq!(pdf, expected, "the CLI's report differs from the library's");
    let xlsx = std::fs::read(out("out.xlsx")).unwrap();
    assert!(xlsx.starts_with(b"PK\x03\x04"));
    assert!(Xlsx::new(Cursor::new(xlsx)).is_ok());
    parse_xml(&std::fs::read_to_string(out("out.pzfx")).unwrap());
    let mut figures: Vec<String> = std::fs::read_dir(out("figures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    figures.sort();
    assert_eq!(
        figures,
        [
            "flumatinib_K562_72h_dose_response.png",
            "flumatinib_K562_72h_dose_response.svg",
            "flumatinib_K562_72h_plate_heatmap.png",
            "flumatinib_K562_72h_plate_heatmap.svg",
            "flumatinib_K562_72h_plate_layout.png",
            "flumatinib_K562_72h_plate_layout.svg",
            "flumatinib_K562_72h_residuals.png",
            "flumatinib_K562_72h_residuals.svg",
        ]
    );
    for name in &figures {
        let bytes = std::fs::read(dir.path().join("figures").join(name)).unwrap();
        if name.ends_with(".png") {
            assert!(
                bytes.ends_with(&[0xAE, 0x42, 0x60, 0x82]),
                "{name} is truncated"
            );
        } else {
            parse_xml(std::str::from_utf8(&bytes).unwrap());
        }
    }
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // An unwritable destination fails, names the path and leaves nothing behind.
    let bad = dir.path().join("no-such-folder").join("report.pdf");
    let output = platefit(&[
        "analyze",
        sample_file.to_str().unwrap(),
        "--report",
        bad.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(bad.to_str().unwrap()), "{stderr}");
}

#[test]
fn cli_report_writes_the_summary_of_several_experiments() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("repeat_1.csv");
    let b = dir.path().join("repeat_2.csv");
    std::fs::copy(sample_path(), &a).unwrap();
    std::fs::copy(sample_path(), &b).unwrap();
    let summary = dir.path().join("summary.pdf");
    let xlsx = dir.path().join("summary.xlsx");
    let layout = layout_path();
    let output = platefit(&[
        "report",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--layout",
        layout.to_str().unwrap(),
        "--out",
        summary.to_str().unwrap(),
        "--xlsx",
        xlsx.to_str().unwrap(),
        "--report-date",
        "2025-01-15",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = pdf_text(&summary);
    assert!(text.contains("Summary across experiments"));
    assert!(text.contains("repeat_1") && text.contains("repeat_2"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(std::fs::read(&xlsx).unwrap())).unwrap();
    assert_eq!(
        book.worksheet_range("Fit results").unwrap().rows().count(),
        1 + 4
    );
    // Without any output the command says what to give.
    let output = platefit(&[
        "report",
        a.to_str().unwrap(),
        "--layout",
        layout.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--out"));
}

#[test]
fn cli_writes_into_a_pipe_stdout_and_through_a_symbolic_link_without_replacing_them() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let points = dir.path().join("points.csv");
    let mut text = String::from("conc,response\n");
    for (conc, response) in [(0.0, 100.0), (0.1, 97.0), (1.0, 80.0), (10.0, 30.0)] {
        for delta in [-2.0, 0.0, 2.0] {
            text.push_str(&format!("{conc},{}\n", response + delta));
        }
    }
    text.push_str("100,5\n100,4\n1000,2\n1000,1\n");
    std::fs::write(&points, text).unwrap();
    // A link to a report: the file it points to gets the results, the link stays a link.
    let target = dir.path().join("results.json");
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let output = platefit(&[
        "fit",
        points.to_str().unwrap(),
        "--json",
        link.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(json["curves"].as_array().map(Vec::len), Some(1));
    // A named pipe (as `/dev/stdout` or `/dev/null` are devices): written into, not
    // replaced by a regular file.
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::Builder::new()
            .name("pipe reader".into())
            .spawn(move || std::fs::read_to_string(fifo).unwrap())
            .unwrap()
    };
    let output = platefit(&[
        "fit",
        points.to_str().unwrap(),
        "--json",
        fifo.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the pipe was replaced by a file"
    );
    let read: serde_json::Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(read["curves"].as_array().map(Vec::len), Some(1));
    // `/dev/stdout` is standard output, as `-` is: the JSON alone, not the table beside it
    // (nor written over it through a second handle).
    let output = platefit(&["fit", points.to_str().unwrap(), "--json", "/dev/stdout"]);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    assert_eq!(json["curves"].as_array().map(Vec::len), Some(1));
}
