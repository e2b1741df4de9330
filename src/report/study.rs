//! The study report across experiments of the library (PDF and Excel): per line × drug the
//! experiments side by side with their geometric means, RI and RF with CIs across
//! experiments, forest plots, trends and Levey–Jennings control charts, and a methods
//! paragraph naming the statistics.

use std::fmt::Write as _;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use crate::report::figures::{ForestRow, forest_plot_svg};
use crate::report::pdf::{Block, PageSize, PdfOptions, document};
use crate::report::{ReportDate, ReportError, format_number, platefit_version};
use crate::study::{ComparisonKind, ControlChart, ExperimentRecord, Study, StudyComparison};

/// The methods paragraph: which statistic answers which question.
#[must_use]
pub fn methods_paragraph() -> String {
    "Methods. The unit of replication is the experiment (an independent plate run on its own day). \
     Per line × drug × condition the IC50s of k experiments are summarised on the log10 scale: \
     geometric mean 10^ȳ with the 95 % CI 10^(ȳ ± t(0.975, k−1)·s/√k). IC50s outside the tested \
     range are counted as censored and not averaged. Per experiment the ratio (RI = IC50 resistant / \
     IC50 parental; RF = IC50 drug alone / IC50 drug + modulator, same line) comes with SE(log10 ratio) \
     from that plate's joint fit, and the plate's extra-sum-of-squares F test says whether the two IC50s \
     differ on that plate. Across experiments: the geometric mean ratio with the t-based CI; the one-sample \
     t test of log10 ratios against 0 (the paired comparison of log IC50s: is the ratio different from 1 \
     across independent experiments?); and the DerSimonian–Laird random-effects pooled ratio (weights \
     1/(SE² + τ²), normal 95 % CI, between-experiment variance τ² and I²). Control charts (Levey–Jennings) \
     use the mean and SD of the chosen baseline, limits ±2 SD and ±3 SD, and the Westgard rules 1-3s, 2-2s, \
     R-4s and 10-x."
        .to_string()
}

fn f(value: f64) -> String {
    format_number(value)
}

fn ci_text(ci: Option<[f64; 2]>) -> String {
    ci.map_or_else(|| "—".into(), |[a, b]| format!("[{}, {}]", f(a), f(b)))
}

fn kind_word(kind: ComparisonKind) -> &'static str {
    match kind {
        ComparisonKind::Resistance => "RI",
        ComparisonKind::Reversal => "RF",
        ComparisonKind::Other => "ratio",
    }
}

/// The forest plot rows of a comparison: each experiment, then the geometric mean (t CI)
/// and the random-effects estimate.
#[must_use]
pub fn forest_rows(comparison: &StudyComparison) -> Vec<ForestRow> {
    let mut rows: Vec<ForestRow> = comparison
        .per_experiment
        .iter()
        .filter_map(|e| {
            Some(ForestRow {
                label: format!("#{} {}", e.id, e.date.as_deref().unwrap_or("")),
                value: e.ratio?,
                ci95: e.ratio_ci95,
                summary: false,
            })
        })
        .collect();
    if let Some(s) = &comparison.summary {
        rows.push(ForestRow {
            label: "Geometric mean (t CI)".into(),
            value: s.geometric_mean,
            ci95: s.ci95,
            summary: true,
        });
    }
    if let Some(m) = &comparison.meta {
        rows.push(ForestRow {
            label: "Random effects (DL)".into(),
            value: m.ratio,
            ci95: Some(m.ratio_ci95),
            summary: true,
        });
    }
    rows
}

/// A point of a series chart: x label, y value, optional y interval, flagged.
pub type SeriesPoint = (String, f64, Option<[f64; 2]>, bool);

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A simple series chart (experiments in order along x) with optional horizontal reference
/// lines `(y, label, dashed)`: used for trends and Levey–Jennings charts.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn series_chart_svg(
    title: &str,
    y_title: &str,
    points: &[SeriesPoint],
    lines: &[(f64, String, bool)],
) -> String {
    let (width, height) = (480.0_f64, 240.0_f64);
    let (left, right, top, bottom) = (56.0, 70.0, 24.0, 52.0);
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for (_, y, ci, _) in points {
        for v in [Some(*y), ci.map(|c| c[0]), ci.map(|c| c[1])]
            .into_iter()
            .flatten()
            .filter(|v| v.is_finite())
        {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    for (y, _, _) in lines {
        if y.is_finite() {
            lo = lo.min(*y);
            hi = hi.max(*y);
        }
    }
    if !lo.is_finite() || !hi.is_finite() {
        lo = 0.0;
        hi = 1.0;
    }
    if (hi - lo).abs() < 1e-12 {
        lo -= 0.5;
        hi += 0.5;
    }
    let pad = 0.08 * (hi - lo);
    let (lo, hi) = (lo - pad, hi + pad);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let n = points.len().max(1) as f64;
    let x_at = |i: usize| left + plot_w * (i as f64 + 0.5) / n;
    let y_at = |v: f64| top + plot_h * (hi - v) / (hi - lo);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans\" font-size=\"8\">\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\
         <text x=\"{left}\" y=\"14\" font-size=\"9\" font-weight=\"bold\">{}</text>\
         <rect x=\"{left}\" y=\"{top}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#444\" stroke-width=\"0.6\"/>",
        escape(title)
    );
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let y = y_at(v);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - 4.0,
            y + 3.0,
            escape(&crate::report::format_significant(v, 3))
        );
    }
    let _ = write!(
        svg,
        "<text transform=\"translate(12,{}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        top + plot_h / 2.0,
        escape(y_title)
    );
    for (y, label, dashed) in lines {
        if !y.is_finite() || *y < lo || *y > hi {
            continue;
        }
        let yy = y_at(*y);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"#0054a0\" stroke-width=\"0.7\"{}/>\
             <text x=\"{}\" y=\"{}\" fill=\"#0054a0\">{}</text>",
            left + plot_w,
            if *dashed {
                " stroke-dasharray=\"3,2\""
            } else {
                ""
            },
            left + plot_w + 3.0,
            yy + 3.0,
            escape(label)
        );
    }
    let mut path = String::new();
    for (i, (_, y, _, _)) in points.iter().enumerate() {
        if y.is_finite() {
            let _ = write!(
                path,
                "{}{:.2},{:.2} ",
                if path.is_empty() { "M" } else { "L" },
                x_at(i),
                y_at(*y)
            );
        }
    }
    if !path.is_empty() {
        let _ = write!(
            svg,
            "<path d=\"{path}\" fill=\"none\" stroke=\"#888\" stroke-width=\"0.6\"/>"
        );
    }
    let step = (points.len() / 12).max(1);
    for (i, (label, y, ci, flagged)) in points.iter().enumerate() {
        let x = x_at(i);
        if let Some([a, b]) = ci
            && a.is_finite()
            && b.is_finite()
        {
            let _ = write!(
                svg,
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#333\" stroke-width=\"0.7\"/>",
                y_at(*a),
                y_at(*b)
            );
        }
        if y.is_finite() {
            let _ = write!(
                svg,
                "<circle cx=\"{x}\" cy=\"{}\" r=\"2.6\" fill=\"{}\"/>",
                y_at(*y),
                if *flagged { "#c0392b" } else { "#222" }
            );
        }
        if i % step == 0 {
            let _ = write!(
                svg,
                "<text transform=\"translate({x},{}) rotate(-40)\" text-anchor=\"end\">{}</text>",
                top + plot_h + 10.0,
                escape(label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The Levey–Jennings chart of a control chart.
#[must_use]
pub fn control_chart_svg(chart: &ControlChart) -> String {
    let points: Vec<SeriesPoint> = chart
        .points
        .iter()
        .map(|p| {
            (
                format!("#{} {}", p.id, p.date.as_deref().unwrap_or("")),
                p.value,
                None,
                !p.flags.is_empty(),
            )
        })
        .collect();
    let lines = vec![
        (chart.mean, "mean".to_string(), false),
        (chart.limits_2sd[0], "−2 SD".to_string(), true),
        (chart.limits_2sd[1], "+2 SD".to_string(), true),
        (chart.limits_3sd[0], "−3 SD".to_string(), false),
        (chart.limits_3sd[1], "+3 SD".to_string(), false),
    ];
    series_chart_svg(
        &format!("Levey–Jennings: {}", chart.quantity),
        &chart.quantity,
        &points,
        &lines,
    )
}

fn passage_text(passage: Option<i64>) -> String {
    passage.map_or_else(|| "—".into(), |p| p.to_string())
}

/// The blocks of the study report.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn study_blocks(study: &Study, records: &[ExperimentRecord]) -> Vec<Block> {
    let mut blocks = Vec::new();
    blocks.push(Block::Heading("Experiments".into()));
    let mut ordered: Vec<&ExperimentRecord> = records.iter().collect();
    ordered.sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
    blocks.push(Block::Table {
        columns: vec![
            ("#".into(), 0.5, true),
            ("Experiment".into(), 3.0, false),
            ("Date".into(), 1.4, false),
            ("Passage".into(), 0.8, true),
            ("Z′".into(), 0.8, true),
            ("Vehicle OD".into(), 1.0, true),
        ],
        rows: ordered
            .iter()
            .map(|e| {
                vec![
                    e.id.to_string(),
                    e.name.clone(),
                    e.date.clone().unwrap_or_else(|| "—".into()),
                    passage_text(e.passage),
                    e.z_prime.map_or_else(|| "—".into(), |z| format!("{z:.2}")),
                    e.vehicle_od
                        .map_or_else(|| "—".into(), |v| format!("{v:.3}")),
                ]
            })
            .collect(),
    });
    blocks.push(Block::Heading(
        "IC50 per line × drug × condition (experiments side by side)".into(),
    ));
    for group in &study.groups {
        blocks.push(Block::Subheading(group.label.clone()));
        let mut rows: Vec<Vec<String>> = group
            .experiments
            .iter()
            .map(|e| {
                vec![
                    format!("#{} {}", e.id, e.name),
                    e.date.clone().unwrap_or_else(|| "—".into()),
                    passage_text(e.passage),
                    e.ic50
                        .map(f)
                        .or_else(|| e.bound.clone())
                        .unwrap_or_else(|| "—".into()),
                    ci_text(e.ic50_ci95),
                    e.status.clone(),
                ]
            })
            .collect();
        if let Some(s) = &group.summary {
            rows.push(vec![
                format!(
                    "Geometric mean (n = {}{})",
                    group.n,
                    if group.censored > 0 {
                        format!(", {} censored not averaged", group.censored)
                    } else {
                        String::new()
                    }
                ),
                String::new(),
                String::new(),
                f(s.geometric_mean),
                ci_text(s.ci95),
                "t CI over experiments".into(),
            ]);
        }
        blocks.push(Block::Table {
            columns: vec![
                ("Experiment".into(), 2.6, false),
                ("Date".into(), 1.2, false),
                ("Passage".into(), 0.7, true),
                ("IC50".into(), 1.0, true),
                ("95 % CI".into(), 1.8, true),
                ("Status".into(), 1.5, false),
            ],
            rows,
        });
        let trend: Vec<SeriesPoint> = group
            .experiments
            .iter()
            .filter_map(|e| {
                let v = e.ic50.filter(|v| *v > 0.0)?;
                Some((
                    format!(
                        "{} p{}",
                        e.date.as_deref().unwrap_or(""),
                        passage_text(e.passage)
                    ),
                    v.log10(),
                    e.ic50_ci95
                        .filter(|c| c[0] > 0.0 && c[1] > 0.0)
                        .map(|c| [c[0].log10(), c[1].log10()]),
                    false,
                ))
            })
            .collect();
        if trend.len() >= 2 {
            let lines = group
                .summary
                .as_ref()
                .map(|s| vec![(s.mean_log10, "geo. mean".to_string(), true)])
                .unwrap_or_default();
            blocks.push(Block::Figures(vec![(
                format!("trend {}", group.label),
                series_chart_svg(
                    &format!("IC50 over time: {}", group.label),
                    "log10 IC50",
                    &trend,
                    &lines,
                ),
                "IC50 (log10, plate 95 % CI) by date and passage".into(),
            )]));
        }
    }
    blocks.push(Block::Heading(
        "Resistance (RI) and reversal (RF) across experiments".into(),
    ));
    for comparison in &study.comparisons {
        let word = kind_word(comparison.kind);
        blocks.push(Block::Subheading(format!(
            "{word}: {} vs {}",
            comparison.test, comparison.reference
        )));
        let mut rows: Vec<Vec<String>> = comparison
            .per_experiment
            .iter()
            .map(|e| {
                vec![
                    format!("#{}", e.id),
                    e.date.clone().unwrap_or_else(|| "—".into()),
                    passage_text(e.passage),
                    e.ratio.map_or_else(|| e.status.clone(), f),
                    ci_text(e.ratio_ci95),
                    e.log10_ratio_se
                        .map_or_else(|| "—".into(), |s| format!("{s:.4}")),
                    e.p_value.map_or_else(
                        || "—".into(),
                        |p| format!("p {}", crate::report::table::format_p(p)),
                    ),
                ]
            })
            .collect();
        if let Some(s) = &comparison.summary {
            rows.push(vec![
                format!("Geometric mean, n = {}", s.n),
                String::new(),
                String::new(),
                f(s.geometric_mean),
                ci_text(s.ci95),
                String::new(),
                comparison.t_test.map_or_else(
                    || "—".into(),
                    |t| format!("t test p {}", crate::report::table::format_p(t.p_value)),
                ),
            ]);
        }
        if let Some(m) = &comparison.meta {
            rows.push(vec![
                format!("Random effects (DL), k = {}", m.k),
                String::new(),
                String::new(),
                f(m.ratio),
                ci_text(Some(m.ratio_ci95)),
                format!("{:.4}", m.pooled_se),
                format!("τ² = {:.4}, I² = {:.0} %", m.tau2, 100.0 * m.i2),
            ]);
        }
        blocks.push(Block::Table {
            columns: vec![
                ("Experiment".into(), 1.8, false),
                ("Date".into(), 1.1, false),
                ("Passage".into(), 0.7, true),
                (word.into(), 0.9, true),
                ("95 % CI".into(), 1.6, true),
                ("SE log10".into(), 0.8, true),
                ("Test".into(), 1.8, true),
            ],
            rows,
        });
        // The ratio against passage (resistance development) and against weeks without drug
        // (stability), when the experiments record them.
        for (axis, key) in [
            (
                "passage",
                (|e: &crate::study::ComparisonExperiment| e.passage.map(|p| p as f64))
                    as fn(&crate::study::ComparisonExperiment) -> Option<f64>,
            ),
            ("weeks without drug", |e| e.weeks_off_drug),
        ] {
            let mut points: Vec<(f64, SeriesPoint)> = comparison
                .per_experiment
                .iter()
                .filter_map(|e| {
                    let x = key(e)?;
                    let ratio = e.ratio.filter(|r| *r > 0.0)?;
                    Some((
                        x,
                        (
                            format!("{axis} {}", crate::report::format_significant(x, 3)),
                            ratio.log10(),
                            e.ratio_ci95
                                .filter(|c| c[0] > 0.0 && c[1] > 0.0)
                                .map(|c| [c[0].log10(), c[1].log10()]),
                            false,
                        ),
                    ))
                })
                .collect();
            if points.len() < 2 {
                continue;
            }
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let series: Vec<SeriesPoint> = points.into_iter().map(|(_, p)| p).collect();
            blocks.push(Block::Figures(vec![(
                format!("{word} by {axis} {}", comparison.test),
                series_chart_svg(
                    &format!(
                        "{word} by {axis}: {} vs {}",
                        comparison.test, comparison.reference
                    ),
                    &format!("log10 {word}"),
                    &series,
                    &[(0.0, "no change".to_string(), true)],
                ),
                format!("log10 {word} (plate 95 % CI) in order of {axis}"),
            )]));
        }
        let rows = forest_rows(comparison);
        if !rows.is_empty() {
            blocks.push(Block::Figures(vec![(
                format!("forest {} {}", comparison.test, comparison.reference),
                forest_plot_svg(&rows, &format!("{word} (log scale)"), 480.0),
                format!(
                    "{word} per experiment (plate 95 % CI), the geometric mean (t CI) and the random-effects estimate"
                ),
            )]));
        }
    }
    if !study.control_charts.is_empty() {
        blocks.push(Block::Heading("Control charts (Levey–Jennings)".into()));
        for chart in &study.control_charts {
            let flagged = chart.flagged();
            blocks.push(Block::Figures(vec![(
                format!("chart {}", chart.quantity),
                control_chart_svg(chart),
                format!(
                    "mean {} ± SD {} from {} baseline experiments; {}",
                    crate::report::format_significant(chart.mean, 4),
                    crate::report::format_significant(chart.sd, 3),
                    chart.baseline_n,
                    if flagged.is_empty() {
                        "no Westgard rule violated".to_string()
                    } else {
                        format!("Westgard flags: {}", flagged.join("; "))
                    }
                ),
            )]));
        }
    }
    blocks.push(Block::Heading("Methods".into()));
    blocks.push(Block::Paragraph(methods_paragraph()));
    blocks
}

/// The study report as PDF.
///
/// # Errors
/// [`ReportError`] when the PDF cannot be assembled.
pub fn study_pdf(
    study: &Study,
    records: &[ExperimentRecord],
    date: ReportDate,
) -> Result<Vec<u8>, ReportError> {
    if records.is_empty() {
        return Err(ReportError::Empty("no experiments".into()));
    }
    document(
        "Study across experiments",
        &format!(
            "{} experiments · {} · {}",
            study.experiments,
            date,
            platefit_version()
        ),
        &study_blocks(study, records),
        &PdfOptions {
            page: PageSize::A4,
            date,
        },
    )
}

fn write_row(
    sheet: &mut Worksheet,
    row: u32,
    cells: &[Option<String>],
    numbers: &[Option<f64>],
) -> Result<(), ReportError> {
    let mut col: u16 = 0;
    for cell in cells {
        if let Some(text) = cell {
            sheet.write_string(row, col, text)?;
        }
        col += 1;
    }
    for number in numbers {
        if let Some(v) = number.filter(|v| v.is_finite()) {
            sheet.write_number(row, col, v)?;
        }
        col += 1;
    }
    Ok(())
}

/// The study workbook: groups, comparisons (per experiment and across), control charts,
/// methods.
///
/// # Errors
/// [`ReportError`] from the workbook writer.
#[allow(clippy::too_many_lines)]
pub fn study_workbook(
    study: &Study,
    records: &[ExperimentRecord],
    date: ReportDate,
) -> Result<Vec<u8>, ReportError> {
    if records.is_empty() {
        return Err(ReportError::Empty("no experiments".into()));
    }
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(date.year, date.month, date.day)?;
    book.set_properties(
        &DocProperties::new()
            .set_title("Study across experiments")
            .set_author(platefit_version())
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    {
        let sheet = book.add_worksheet().set_name("IC50 groups")?;
        let header = [
            "line",
            "drug",
            "condition",
            "experiment id",
            "name",
            "date",
            "passage",
            "status",
            "bound",
            "IC50",
            "CI low",
            "CI high",
        ];
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(0, u16::try_from(c).unwrap_or(0), *h, &bold)?;
        }
        let mut row = 1;
        for group in &study.groups {
            for e in &group.experiments {
                write_row(
                    sheet,
                    row,
                    &[
                        Some(group.line.clone()),
                        Some(group.drug.clone()),
                        Some(group.condition.clone()),
                        Some(e.id.to_string()),
                        Some(e.name.clone()),
                        e.date.clone(),
                        e.passage.map(|p| p.to_string()),
                        Some(e.status.clone()),
                        e.bound.clone(),
                    ],
                    &[e.ic50, e.ic50_ci95.map(|c| c[0]), e.ic50_ci95.map(|c| c[1])],
                )?;
                row += 1;
            }
            if let Some(s) = &group.summary {
                write_row(
                    sheet,
                    row,
                    &[
                        Some(group.line.clone()),
                        Some(group.drug.clone()),
                        Some(group.condition.clone()),
                        None,
                        Some(format!(
                            "geometric mean, n = {}, censored = {}",
                            group.n, group.censored
                        )),
                        None,
                        None,
                        Some("t CI over experiments".into()),
                        None,
                    ],
                    &[
                        Some(s.geometric_mean),
                        s.ci95.map(|c| c[0]),
                        s.ci95.map(|c| c[1]),
                    ],
                )?;
                row += 1;
            }
        }
    }
    {
        let sheet = book.add_worksheet().set_name("Ratios")?;
        let header = [
            "kind",
            "reference",
            "test",
            "experiment id",
            "date",
            "passage",
            "status",
            "ratio",
            "CI low",
            "CI high",
            "log10 ratio",
            "SE log10 ratio",
            "F test p (plate)",
        ];
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(0, u16::try_from(c).unwrap_or(0), *h, &bold)?;
        }
        let mut row = 1;
        for c in &study.comparisons {
            for e in &c.per_experiment {
                write_row(
                    sheet,
                    row,
                    &[
                        Some(c.kind.as_str().into()),
                        Some(c.reference.clone()),
                        Some(c.test.clone()),
                        Some(e.id.to_string()),
                        e.date.clone(),
                        e.passage.map(|p| p.to_string()),
                        Some(e.status.clone()),
                    ],
                    &[
                        e.ratio,
                        e.ratio_ci95.map(|x| x[0]),
                        e.ratio_ci95.map(|x| x[1]),
                        e.log10_ratio,
                        e.log10_ratio_se,
                        e.p_value,
                    ],
                )?;
                row += 1;
            }
        }
        row += 1;
        let across = [
            "kind",
            "reference",
            "test",
            "statistic",
            "",
            "",
            "",
            "ratio",
            "CI low",
            "CI high",
            "p / tau2",
            "I2",
        ];
        for (c, h) in across.iter().enumerate() {
            sheet.write_string_with_format(row, u16::try_from(c).unwrap_or(0), *h, &bold)?;
        }
        row += 1;
        for c in &study.comparisons {
            let base = || {
                vec![
                    Some(c.kind.as_str().to_string()),
                    Some(c.reference.clone()),
                    Some(c.test.clone()),
                ]
            };
            if let Some(s) = &c.summary {
                let mut cells = base();
                cells.extend([
                    Some(format!(
                        "geometric mean, t CI, one-sample t test p (n = {})",
                        s.n
                    )),
                    None,
                    None,
                    None,
                ]);
                write_row(
                    sheet,
                    row,
                    &cells,
                    &[
                        Some(s.geometric_mean),
                        s.ci95.map(|x| x[0]),
                        s.ci95.map(|x| x[1]),
                        c.t_test.map(|t| t.p_value),
                    ],
                )?;
                row += 1;
            }
            if let Some(m) = &c.meta {
                let mut cells = base();
                cells.extend([
                    Some(format!("DerSimonian-Laird random effects (k = {})", m.k)),
                    None,
                    None,
                    None,
                ]);
                write_row(
                    sheet,
                    row,
                    &cells,
                    &[
                        Some(m.ratio),
                        Some(m.ratio_ci95[0]),
                        Some(m.ratio_ci95[1]),
                        Some(m.tau2),
                        Some(m.i2),
                    ],
                )?;
                row += 1;
            }
        }
    }
    {
        let sheet = book.add_worksheet().set_name("Control charts")?;
        let header = [
            "quantity",
            "experiment id",
            "date",
            "baseline",
            "flags",
            "value",
            "z",
            "mean",
            "SD",
            "-3 SD",
            "-2 SD",
            "+2 SD",
            "+3 SD",
        ];
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(0, u16::try_from(c).unwrap_or(0), *h, &bold)?;
        }
        let mut row = 1;
        for chart in &study.control_charts {
            for p in &chart.points {
                write_row(
                    sheet,
                    row,
                    &[
                        Some(chart.quantity.clone()),
                        Some(p.id.to_string()),
                        p.date.clone(),
                        Some(if p.baseline { "yes" } else { "no" }.into()),
                        Some(
                            p.flags
                                .iter()
                                .map(|r| r.as_str())
                                .collect::<Vec<_>>()
                                .join(" "),
                        ),
                    ],
                    &[
                        Some(p.value),
                        Some(p.z),
                        Some(chart.mean),
                        Some(chart.sd),
                        Some(chart.limits_3sd[0]),
                        Some(chart.limits_2sd[0]),
                        Some(chart.limits_2sd[1]),
                        Some(chart.limits_3sd[1]),
                    ],
                )?;
                row += 1;
            }
        }
    }
    {
        let sheet = book.add_worksheet().set_name("Methods")?;
        sheet.write_string(0, 0, methods_paragraph())?;
        sheet.write_string(1, 0, format!("Written by {}", platefit_version()))?;
    }
    Ok(book.save_to_buffer()?)
}
