//! PDF reports: the experiment report (inputs with SHA-256 and instrument metadata, results,
//! resistance index, dose-response figure, plate maps, heat maps, QC, excluded wells, methods)
//! and the summary report across experiments (side-by-side IC50s and RIs, geometric means,
//! forest plot).
//!
//! Layout happens first, into a display list of pages (text, lines, rectangles, SVG figures);
//! the pages are then drawn with krilla. Text is real, selectable text in the bundled DejaVu
//! Sans; figures stay vectors (krilla-svg). The report date is a parameter, so the same input
//! gives the same bytes.

use std::sync::Arc;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla_svg::{SurfaceExt, SvgSettings};

use crate::analysis::{Analysis, Experiment};
use crate::report::figures::{
    FigureSize, concentration_title, dose_response_svg, forest_plot_svg, heat_map_svg, parse_svg,
    plate_map_svg, residuals_svg, resistance_forest_rows,
};
use crate::report::fonts::{BOLD, REGULAR, text_width};
use crate::report::text::{
    absolute_ic50_cell, excluded_wells, f_test_cell, ic50_cell, methods_paragraph, parameter_cell,
    percent_scale, qc_rows, ratio_cell, status_words, verdict_notes, verdict_word,
};
use crate::report::{ReportDate, ReportError, format_number, platefit_version};
use crate::summary::Summary;

/// Paper size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageSize {
    /// ISO A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in.
    Letter,
}

impl PageSize {
    /// Width and height in points.
    #[must_use]
    pub fn points(self) -> (f32, f32) {
        match self {
            Self::A4 => (595.276, 841.89),
            Self::Letter => (612.0, 792.0),
        }
    }

    /// Reads `a4` or `letter` (any case).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "a4" => Some(Self::A4),
            "letter" | "us-letter" | "usletter" => Some(Self::Letter),
            _ => None,
        }
    }
}

/// What every PDF report needs besides the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfOptions {
    /// Paper size.
    pub page: PageSize,
    /// The date printed on the report and stored in its metadata.
    pub date: ReportDate,
}

type Rgb = [u8; 3];
const BLACK: Rgb = [0, 0, 0];
const GREY: Rgb = [90, 90, 90];
const HEADER_FILL: Rgb = [220, 228, 238];
const ACCENT: Rgb = [0, 84, 147];
const WARN: Rgb = [176, 60, 0];

enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        color: Rgb,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Rgb,
    },
    Svg {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        tree: Arc<usvg::Tree>,
    },
}

/// Column alignment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

struct Column {
    title: String,
    weight: f32,
    align: Align,
}

fn col(title: impl Into<String>, weight: f32, align: Align) -> Column {
    Column {
        title: title.into(),
        weight,
        align,
    }
}

/// Breaks `text` into lines no wider than `width`; words wider than a line are split.
fn wrap(text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size, bold) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word wider than the line (a SHA-256) is cut into pieces that fit.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if text_width(&piece, size, bold) > width && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
}

/// Where a paragraph of `lines` lines breaks to the next page when `room` points are left
/// on this one: nowhere when it fits; before the first line when a short paragraph (up to
/// six lines) or fewer than two lines would stay here; else where the page is full, moved
/// up a line when only one line would go over (no orphan or widow line on a page).
fn paragraph_break(lines: usize, room: f32, line_height: f32) -> Option<usize> {
    let fitting = if room <= 0.0 {
        0
    } else {
        (room / line_height).floor() as usize
    };
    if fitting >= lines {
        return None;
    }
    if lines <= 6 || fitting < 2 {
        return Some(0);
    }
    if lines - fitting < 2 {
        return Some(fitting - 1).filter(|b| *b >= 2).or(Some(0));
    }
    Some(fitting)
}

/// Column widths: shares of `total` by weight, then widened so that the longest word of
/// every cell fits (numbers and names are not broken inside) where the other columns have
/// room to give.
fn column_widths(weights: &[f32], needs: &[f32], total: f32) -> Vec<f32> {
    let sum: f32 = weights.iter().sum::<f32>().max(f32::EPSILON);
    let mut widths: Vec<f32> = weights.iter().map(|w| w / sum * total).collect();
    for _ in 0..4 {
        let short: f32 = widths
            .iter()
            .zip(needs)
            .map(|(w, n)| (n - w).max(0.0))
            .sum();
        let spare: f32 = widths
            .iter()
            .zip(needs)
            .map(|(w, n)| (w - n).max(0.0))
            .sum();
        if short <= 0.01 || spare <= 0.01 {
            break;
        }
        let take = short.min(spare);
        let (give_ratio, get_ratio) = (take / spare, take / short);
        for (w, n) in widths.iter_mut().zip(needs) {
            if *w > *n {
                *w -= (*w - n) * give_ratio;
            } else {
                *w += (n - *w) * get_ratio;
            }
        }
    }
    widths
}

struct Pages {
    width: f32,
    height: f32,
    margin: f32,
    top: f32,
    bottom: f32,
    pages: Vec<Vec<Item>>,
    y: f32,
}

impl Pages {
    fn new(page: PageSize) -> Self {
        let (width, height) = page.points();
        let mut pages = Self {
            width,
            height,
            margin: 50.0,
            top: 48.0,
            bottom: height - 52.0,
            pages: Vec::new(),
            y: 0.0,
        };
        pages.new_page();
        pages
    }

    fn content_width(&self) -> f32 {
        self.width - 2.0 * self.margin
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.top;
    }

    fn push(&mut self, item: Item) {
        if let Some(page) = self.pages.last_mut() {
            page.push(item);
        }
    }

    /// Starts a new page unless `height` more points fit on this one.
    fn ensure(&mut self, height: f32) {
        if self.y + height > self.bottom && self.y > self.top + 1.0 {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, color: Rgb, text: &str) {
        self.push(Item::Text {
            x,
            y,
            size,
            bold,
            color,
            text: text.to_string(),
        });
    }

    fn rule(&mut self, y: f32, width: f32, color: Rgb) {
        let (x1, x2) = (self.margin, self.width - self.margin);
        self.push(Item::Line {
            x1,
            y1: y,
            x2,
            y2: y,
            width,
            color,
        });
    }

    fn title(&mut self, title: &str, subtitle: &str) {
        for line in wrap(title, self.content_width(), 17.0, true) {
            self.y += 20.0;
            self.text(self.margin, self.y, 17.0, true, BLACK, &line);
        }
        self.y += 6.0;
        self.paragraph(subtitle, 8.5, GREY);
        self.y += 2.0;
        self.rule(self.y, 1.0, ACCENT);
        self.y += 6.0;
    }

    fn heading(&mut self, text: &str) {
        self.heading_keeping(text, 60.0);
    }

    /// A heading that moves to the next page unless `keep` points fit below it.
    fn heading_keeping(&mut self, text: &str, keep: f32) {
        self.ensure(keep);
        self.y += 20.0;
        self.text(self.margin, self.y, 11.5, true, ACCENT, text);
        self.y += 4.0;
        self.rule(self.y, 0.4, [180, 180, 180]);
        self.y += 5.0;
    }

    fn subheading(&mut self, text: &str) {
        self.ensure(40.0);
        self.y += 13.0;
        self.text(self.margin, self.y, 9.5, true, BLACK, text);
        self.y += 3.0;
    }

    fn paragraph(&mut self, text: &str, size: f32, color: Rgb) {
        self.paragraph_at(self.margin, self.content_width(), text, size, false, color);
    }

    fn paragraph_at(&mut self, x: f32, width: f32, text: &str, size: f32, bold: bool, color: Rgb) {
        let line_height = size * 1.35;
        let lines = wrap(text, width, size, bold);
        let breaks = paragraph_break(lines.len(), self.bottom - self.y, line_height);
        if breaks == Some(0) {
            self.new_page();
        }
        for (index, line) in lines.iter().enumerate() {
            if index > 0 && breaks == Some(index) {
                self.new_page();
            }
            self.ensure(line_height);
            self.y += line_height;
            self.text(x, self.y - size * 0.3, size, bold, color, line);
        }
    }

    /// A label in bold followed by wrapped text.
    fn labelled(&mut self, label: &str, text: &str, size: f32) {
        let label_width = 92.0;
        let start_y = self.y;
        let start_page = self.pages.len();
        self.paragraph_at(
            self.margin + label_width,
            self.content_width() - label_width,
            text,
            size,
            false,
            BLACK,
        );
        // The label goes on the first line of the text (same page).
        // A paragraph that started on a full page moves to the next one, and so does its label.
        let (label_page, y) = if self.pages.len() == start_page {
            (start_page - 1, start_y + size * 1.35 - size * 0.3)
        } else {
            (start_page, self.top + size * 1.35 - size * 0.3)
        };
        if let Some(page) = self.pages.get_mut(label_page) {
            page.push(Item::Text {
                x: self.margin,
                y,
                size,
                bold: true,
                color: GREY,
                text: label.to_string(),
            });
        }
    }

    fn table_header(&mut self, columns: &[Column], widths: &[f32], size: f32) {
        let lines: Vec<Vec<String>> = columns
            .iter()
            .zip(widths)
            .map(|(c, w)| wrap(&c.title, w - 6.0, size, true))
            .collect();
        let n = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = n as f32 * size * 1.3 + 5.0;
        self.push(Item::Rect {
            x: self.margin,
            y: self.y,
            w: self.content_width(),
            h: height,
            fill: HEADER_FILL,
        });
        self.cells(columns, widths, &lines, size, true, BLACK);
        self.y += height;
    }

    fn cells(
        &mut self,
        columns: &[Column],
        widths: &[f32],
        lines: &[Vec<String>],
        size: f32,
        bold: bool,
        color: Rgb,
    ) {
        let mut x = self.margin;
        for ((column, width), cell_lines) in columns.iter().zip(widths).zip(lines) {
            for (k, line) in cell_lines.iter().enumerate() {
                let y = self.y + 3.0 + (k as f32 + 1.0) * size * 1.3 - size * 0.3;
                let tx = match column.align {
                    Align::Left => x + 3.0,
                    Align::Right => x + width - 3.0 - text_width(line, size, bold),
                };
                self.text(tx, y, size, bold, color, line);
            }
            x += width;
        }
    }

    /// A table whose columns share the content width by weight; cells wrap; the header
    /// repeats on every page the table spans.
    fn table(&mut self, columns: &[Column], rows: &[Vec<String>], size: f32) {
        let weights: Vec<f32> = columns.iter().map(|c| c.weight).collect();
        let needs: Vec<f32> = (0..columns.len())
            .map(|i| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .flat_map(|cell| cell.split([' ', '\n']))
                    .map(|word| text_width(word, size, false))
                    .fold(0.0_f32, f32::max)
                    + 7.0
            })
            .collect();
        let widths = column_widths(&weights, &needs, self.content_width());
        self.ensure(size * 6.0);
        self.y += 4.0;
        self.table_header(columns, &widths, size);
        for (index, row) in rows.iter().enumerate() {
            let lines: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| wrap(cell, w - 6.0, size, false))
                .collect();
            let n = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let height = n as f32 * size * 1.3 + 5.0;
            if self.y + height > self.bottom {
                self.new_page();
                self.table_header(columns, &widths, size);
            }
            if index % 2 == 1 {
                self.push(Item::Rect {
                    x: self.margin,
                    y: self.y,
                    w: self.content_width(),
                    h: height,
                    fill: [246, 246, 246],
                });
            }
            let color = if row.iter().any(|c| c == "warn") {
                WARN
            } else {
                BLACK
            };
            self.cells(columns, &widths, &lines, size, false, color);
            self.y += height;
        }
        self.rule(self.y, 0.5, [160, 160, 160]);
        self.y += 4.0;
    }

    /// Figures side by side, each scaled to its share of the width (at most 100 % of its own
    /// size), with a caption below each.
    fn figures(&mut self, figures: &[(Arc<usvg::Tree>, String)], max_width: f32) {
        let gap = 14.0;
        let n = figures.len().max(1) as f32;
        let slot = ((self.content_width() - gap * (n - 1.0)) / n).min(max_width);
        let placed: Vec<(f32, f32, Vec<String>)> = figures
            .iter()
            .map(|(tree, caption)| {
                let size = tree.size();
                // usvg sizes are at 96 px/in; the figures are drawn in points.
                let natural = size.width() * 0.75;
                let w = slot.min(natural);
                let h = w * size.height() / size.width();
                (w, h, wrap(caption, slot, 7.5, false))
            })
            .collect();
        let block = placed
            .iter()
            .map(|(_, h, c)| h + c.len() as f32 * 10.0 + 6.0)
            .fold(0.0, f32::max);
        self.ensure(block);
        let total_width: f32 = placed.iter().map(|(w, _, _)| *w).sum::<f32>() + gap * (n - 1.0);
        let mut x = self.margin + ((self.content_width() - total_width) / 2.0).max(0.0);
        let y = self.y + 4.0;
        for ((tree, _), (w, h, caption)) in figures.iter().zip(placed) {
            self.push(Item::Svg {
                x,
                y,
                w,
                h,
                tree: Arc::clone(tree),
            });
            let mut cy = y + h + 2.0;
            for line in caption {
                cy += 10.0;
                self.text(x, cy - 2.0, 7.5, false, GREY, &line);
            }
            x += w + gap;
        }
        self.y += block + 4.0;
    }

    fn space(&mut self, points: f32) {
        self.y += points;
    }
}

fn fill(color: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(color[0], color[1], color[2]).into(),
        opacity: NormalizedF32::ONE,
        rule: krilla::paint::FillRule::default(),
    }
}

fn draw_item(surface: &mut Surface<'_>, item: &Item, regular: &Font, bold_font: &Font) {
    match item {
        Item::Text {
            x,
            y,
            size,
            bold,
            color,
            text,
        } => {
            surface.set_stroke(None);
            surface.set_fill(Some(fill(*color)));
            let font = if *bold { bold_font } else { regular };
            surface.draw_text(
                Point::from_xy(*x, *y),
                font.clone(),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Item::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        } => {
            let mut builder = PathBuilder::new();
            builder.move_to(*x1, *y1);
            builder.line_to(*x2, *y2);
            if let Some(path) = builder.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(color[0], color[1], color[2]).into(),
                    width: *width,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        Item::Rect {
            x,
            y,
            w,
            h,
            fill: c,
        } => {
            let mut builder = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                builder.push_rect(rect);
            }
            if let Some(path) = builder.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(fill(*c)));
                surface.draw_path(&path);
            }
        }
        Item::Svg { x, y, w, h, tree } => {
            if let Some(size) = Size::from_wh(*w, *h) {
                surface.push_transform(&Transform::from_translate(*x, *y));
                let _ = surface.draw_svg(tree, size, SvgSettings::default());
                surface.pop();
            }
        }
    }
}

fn render(pages: Pages, title: &str, options: &PdfOptions) -> Result<Vec<u8>, ReportError> {
    let regular = Font::new(REGULAR.into(), 0)
        .ok_or_else(|| ReportError::Pdf("the bundled font cannot be read".into()))?;
    let bold = Font::new(BOLD.into(), 0)
        .ok_or_else(|| ReportError::Pdf("the bundled bold font cannot be read".into()))?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .creator(platefit_version())
            .producer(platefit_version())
            .language("en".into())
            .creation_date(
                DateTime::new(options.date.year)
                    .month(options.date.month)
                    .day(options.date.day),
            ),
    );
    let count = pages.pages.len();
    let footer_left = format!("{} · {title}", platefit_version());
    for (index, items) in pages.pages.iter().enumerate() {
        let settings = PageSettings::from_wh(pages.width, pages.height)
            .ok_or_else(|| ReportError::Pdf("invalid page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for item in items {
            draw_item(&mut surface, item, &regular, &bold);
        }
        let footer_y = pages.height - 30.0;
        let footer = [
            Item::Line {
                x1: pages.margin,
                y1: footer_y - 10.0,
                x2: pages.width - pages.margin,
                y2: footer_y - 10.0,
                width: 0.4,
                color: [180, 180, 180],
            },
            Item::Text {
                x: pages.margin,
                y: footer_y,
                size: 7.0,
                bold: false,
                color: GREY,
                text: ellipsize(&footer_left, pages.width - 2.0 * pages.margin - 90.0, 7.0),
            },
            {
                let text = format!("{} · page {} of {count}", options.date, index + 1);
                Item::Text {
                    x: pages.width - pages.margin - text_width(&text, 7.0, false),
                    y: footer_y,
                    size: 7.0,
                    bold: false,
                    color: GREY,
                    text,
                }
            },
        ];
        for item in &footer {
            draw_item(&mut surface, item, &regular, &bold);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

fn ellipsize(text: &str, width: f32, size: f32) -> String {
    if text_width(text, size, false) <= width {
        return text.to_string();
    }
    let mut out: String = String::new();
    for c in text.chars() {
        if text_width(&format!("{out}{c}…"), size, false) > width {
            break;
        }
        out.push(c);
    }
    format!("{out}…")
}

fn tree(name: &str, svg: &str) -> Result<Arc<usvg::Tree>, ReportError> {
    parse_svg(name, svg).map(Arc::new)
}

/// The results table rows (one per curve), as printed in the report.
#[must_use]
pub fn results_rows(analysis: &Analysis) -> Vec<Vec<String>> {
    analysis
        .curves
        .iter()
        .map(|c| {
            let fit = &c.fit;
            vec![
                c.dose_response.label.clone(),
                ic50_cell(fit, analysis.settings.ci_method),
                absolute_ic50_cell(fit),
                parameter_cell(fit, fit.params.hill_slope, 2),
                if fit.params.log10_ic50.is_finite() {
                    format!("{:.1} / {:.1}", fit.params.top, fit.params.bottom)
                } else {
                    "—".into()
                },
                fit.r_squared.map_or("—".into(), |r| format!("{r:.3}")),
                fit.n.to_string(),
                status_words(fit.status),
            ]
        })
        .collect()
}

fn results_section(pages: &mut Pages, analysis: &Analysis) {
    let unit = analysis.unit.symbol();
    pages.heading("Results");
    let columns = [
        col("Curve", 78.0, Align::Left),
        col(format!("IC50 ({unit}) [95% CI]"), 123.0, Align::Left),
        col(format!("Abs. IC50 ({unit}) [95% CI]"), 123.0, Align::Left),
        col("Hill", 27.0, Align::Right),
        col("Top / Bottom", 48.0, Align::Right),
        col("R²", 28.0, Align::Right),
        col("n", 16.0, Align::Right),
        col("Status", 52.0, Align::Left),
    ];
    pages.table(&columns, &results_rows(analysis), 7.0);
    for note in verdict_notes(analysis) {
        pages.paragraph(&note, 7.0, GREY);
    }
    pages.paragraph(
        &format!(
            "IC50 = relative IC50 (10^LogIC50, midway between the fitted plateaus); CI: {}. Absolute IC50 = where the fitted curve crosses 50 %. Top/Bottom in {}.",
            analysis.settings.ci_method.describe(),
            if percent_scale(analysis) { "% viability" } else { "response units" }
        ),
        7.0,
        GREY,
    );
    if !analysis.comparisons.is_empty() {
        pages.subheading("Resistance index");
        let columns = [
            col("Resistant vs parental", 1.7, Align::Left),
            col("RI [95% CI] (joint fit)", 1.9, Align::Left),
            col("RI 95% CI (delta, drc)", 1.5, Align::Left),
            col("Do the IC50s differ? (F test)", 2.2, Align::Left),
        ];
        let rows: Vec<Vec<String>> = analysis
            .comparisons
            .iter()
            .map(|c| {
                vec![
                    format!("{} vs {}", c.test, c.reference),
                    ratio_cell(c),
                    c.ratio_ci95_delta.map_or("—".into(), |[a, b]| {
                        format!("[{}, {}]", format_number(a), format_number(b))
                    }),
                    f_test_cell(c),
                ]
            })
            .collect();
        pages.table(&columns, &rows, 7.5);
        for c in &analysis.comparisons {
            pages.paragraph(&c.verdict, 7.5, GREY);
        }
        pages.paragraph(
            "RI = IC50(resistant) / IC50(parental); CI from the joint fit of both curves on the log scale. F test: separate fits vs a fit sharing LogIC50 (extra sum of squares).",
            7.0,
            GREY,
        );
    }
    if let Some(growth) = &analysis.growth {
        growth_section(pages, growth, unit);
    }
}

/// The GR table (only when the plate set had a time-zero read): per curve the vehicle
/// doublings and the GR metrics, then the GR-based RI beside the IC50-based one and the
/// division-rate warnings.
fn growth_section(pages: &mut Pages, growth: &crate::growth::GrowthAnalysis, unit: &str) {
    use crate::report::gr::{number_text, ratio_text};
    pages.subheading("Growth-rate inhibition (GR metrics)");
    let columns = [
        col("Curve", 64.0, Align::Left),
        col("Doublings", 50.0, Align::Right),
        col(format!("GR50 ({unit})"), 44.0, Align::Right),
        col(format!("GEC50 ({unit})"), 46.0, Align::Right),
        col("GRinf", 32.0, Align::Right),
        col("GRmax", 32.0, Align::Right),
        col("h", 20.0, Align::Right),
        col("GR_AOC", 38.0, Align::Right),
        col(format!("GI50 ({unit})"), 40.0, Align::Right),
        col(format!("TGI ({unit})"), 40.0, Align::Right),
        col(format!("LC50 ({unit})"), 42.0, Align::Right),
    ];
    let rows: Vec<Vec<String>> = growth
        .curves
        .iter()
        .map(|c| crate::report::gr::curve_cells(c).to_vec())
        .collect();
    pages.table(&columns, &rows, 7.0);
    for c in growth.curves.iter().filter(|c| c.problem.is_some()) {
        pages.paragraph(
            &format!("{}: {}", c.label, c.problem.as_deref().unwrap_or_default()),
            7.0,
            GREY,
        );
    }
    if !growth.comparisons.is_empty() {
        let columns = [
            col("Resistant vs parental", 1.7, Align::Left),
            col("IC50-based RI", 1.0, Align::Right),
            col("GR-based RI", 1.2, Align::Right),
            col("Vehicle doublings (resistant / parental)", 2.0, Align::Left),
        ];
        let rows: Vec<Vec<String>> = growth
            .comparisons
            .iter()
            .map(|c| {
                vec![
                    format!("{} vs {}", c.test, c.reference),
                    number_text(c.ic50_ratio),
                    ratio_text(c),
                    format!(
                        "{} / {}",
                        c.doublings[1].map_or_else(|| "—".into(), |d| format!("{d:.2}")),
                        c.doublings[0].map_or_else(|| "—".into(), |d| format!("{d:.2}"))
                    ),
                ]
            })
            .collect();
        pages.table(&columns, &rows, 7.5);
        for warning in growth.comparisons.iter().filter_map(|c| c.warning.as_ref()) {
            pages.paragraph(warning, 7.5, BLACK);
        }
    }
    pages.paragraph(
        "GR(c) = 2^(log2(x(c)/x0)/log2(x_ctrl/x0)) − 1 per well (x0: time-zero signal); GR curve GRinf + (1 − GRinf)/(1 + (c/GEC50)^h). GR50 where the fitted curve crosses 0.5; GRmax the lower mean GR of the two highest concentrations; GR_AOC per log10 unit. GI50/TGI/LC50: NCI-60 percent growth 50/0/−50 on the observed curve. Doublings = log2(vehicle/t0).",
        7.0,
        GREY,
    );
}

fn inputs_section(pages: &mut Pages, experiment: &Experiment, analysis: &Analysis) {
    pages.heading("Input files");
    for (input, plate) in experiment.plates.iter().zip(&analysis.plates) {
        pages.subheading(&input.file);
        pages.labelled(
            "Plate",
            &format!(
                "{} ({} wells, {} × {}); reader format {}",
                input.plate.name,
                input.plate.shape.well_count(),
                input.plate.shape.rows,
                input.plate.shape.cols,
                if input.format.is_empty() {
                    "unknown"
                } else {
                    &input.format
                }
            ),
            8.0,
        );
        pages.labelled(
            "SHA-256",
            input.sha256.as_deref().unwrap_or("not recorded"),
            8.0,
        );
        pages.labelled("Reads", &plate.reads.note, 8.0);
        let metadata = if input.plate.metadata.is_empty() {
            "none recorded in the file".to_string()
        } else {
            input
                .plate
                .metadata
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        pages.labelled("Instrument", &metadata, 8.0);
    }
}

fn plates_section(
    pages: &mut Pages,
    experiment: &Experiment,
    analysis: &Analysis,
) -> Result<(), ReportError> {
    for (k, (input, plate)) in experiment.plates.iter().zip(&analysis.plates).enumerate() {
        pages.heading_keeping(
            &if experiment.plates.len() > 1 {
                format!("Plate {}: {} ({})", k + 1, input.file, input.plate.name)
            } else {
                format!("Plate: {} ({})", input.file, input.plate.name)
            },
            260.0,
        );
        let map = tree("plate map", &plate_map_svg(input))?;
        let heat = tree(
            "heat map",
            &heat_map_svg(plate, input.plate.shape, analysis.settings.normalization),
        )?;
        pages.figures(
            &[
                (
                    map,
                    "Plate map: roles and concentrations; crossed wells are excluded.".to_string(),
                ),
                (
                    heat,
                    format!(
                        "{} per well.",
                        crate::report::figures::response_title(analysis.settings.normalization)
                    ),
                ),
            ],
            260.0,
        );
        let qc = &plate.normalized.qc;
        pages.subheading(&format!("Quality control: {}", verdict_word(qc.verdict)));
        let rows: Vec<Vec<String>> = qc_rows(qc)
            .into_iter()
            .map(|r| vec![r.metric, r.value, r.acceptance, r.verdict])
            .collect();
        pages.table(
            &[
                col("Metric", 2.4, Align::Left),
                col("Value", 1.6, Align::Left),
                col("Acceptance", 1.2, Align::Left),
                col("Verdict", 0.7, Align::Left),
            ],
            &rows,
            7.5,
        );
        for warning in &qc.warnings {
            pages.paragraph(&format!("⚠ {warning}"), 7.5, WARN);
        }
    }
    Ok(())
}

fn exclusions_and_notes(pages: &mut Pages, experiment: &Experiment, analysis: &Analysis) {
    pages.heading("Excluded wells");
    let excluded = excluded_wells(experiment, analysis);
    if excluded.is_empty() {
        pages.paragraph(
            "No well was excluded, and the reader gave a number for every well.",
            8.0,
            BLACK,
        );
    } else {
        let rows: Vec<Vec<String>> = excluded
            .into_iter()
            .map(|(file, well, reason)| vec![file, well, reason])
            .collect();
        pages.table(
            &[
                col("File", 1.6, Align::Left),
                col("Well", 0.5, Align::Left),
                col("Reason", 3.6, Align::Left),
            ],
            &rows,
            7.5,
        );
    }
    let mut notes: Vec<String> = Vec::new();
    for curve in &analysis.curves {
        if let Some(problem) = curve.not_analysed() {
            notes.push(format!(
                "{}: not analysed — {problem}",
                curve.dose_response.label
            ));
            continue;
        }
        if curve.fit.status != crate::fit::FitStatus::Converged {
            notes.push(format!(
                "{}: {} — {}",
                curve.dose_response.label,
                status_words(curve.fit.status),
                curve.fit.status.explain()
            ));
        }
        if let Some(problem) = &curve.problem {
            notes.push(format!("{}: {problem}", curve.dose_response.label));
        }
    }
    notes.extend(analysis.warnings.iter().cloned());
    if !notes.is_empty() {
        pages.heading("Notes");
        for note in notes {
            pages.paragraph(&format!("• {note}"), 8.0, BLACK);
        }
    }
}

fn experiment_pages(
    pages: &mut Pages,
    experiment: &Experiment,
    analysis: &Analysis,
    options: &PdfOptions,
) -> Result<(), ReportError> {
    pages.title(
        &analysis.experiment,
        &format!(
            "Cell viability dose-response report · {} · {} · {} plate{} · {}",
            options.date,
            platefit_version(),
            analysis.plates.len(),
            if analysis.plates.len() == 1 { "" } else { "s" },
            analysis.settings.normalization.describe()
        ),
    );
    results_section(pages, analysis);
    let dose = tree(
        "dose-response",
        &dose_response_svg(analysis, FigureSize::ONE_AND_HALF_COLUMN),
    )?;
    pages.figures(
        &[(
            dose,
            format!(
                "Figure: % viability against {} (log scale; vehicle wells at 0). Points: replicate wells (open: excluded; open diamonds: ROUT outliers); lines: fitted curves; dashed lines and triangles: relative IC50.",
                concentration_title(analysis)
            ),
        )],
        400.0,
    );
    let residuals = tree(
        "residuals",
        &residuals_svg(analysis, FigureSize::ONE_AND_HALF_COLUMN),
    )?;
    pages.figures(
        &[(
            residuals,
            "Figure: residuals (observed − fitted) of every fitted point against concentration; the runs and replicates tests are in the notes.".to_string(),
        )],
        400.0,
    );
    inputs_section(pages, experiment, analysis);
    plates_section(pages, experiment, analysis)?;
    exclusions_and_notes(pages, experiment, analysis);
    pages.heading("Methods");
    pages.paragraph(&methods_paragraph(analysis), 8.5, BLACK);
    Ok(())
}

/// The PDF report of one experiment.
///
/// # Errors
/// [`ReportError`] when a figure or the PDF cannot be assembled.
pub fn experiment_report(
    experiment: &Experiment,
    analysis: &Analysis,
    options: &PdfOptions,
) -> Result<Vec<u8>, ReportError> {
    let mut pages = Pages::new(options.page);
    experiment_pages(&mut pages, experiment, analysis, options)?;
    render(pages, &analysis.experiment, options)
}

/// One PDF with the report of every experiment (each starting on a new page), followed by
/// the summary across experiments when there are two or more.
///
/// # Errors
/// [`ReportError::Empty`] for no experiments; otherwise as [`experiment_report`].
pub fn experiments_report(
    items: &[(Experiment, Analysis)],
    options: &PdfOptions,
) -> Result<Vec<u8>, ReportError> {
    if items.is_empty() {
        return Err(ReportError::Empty("no experiments".into()));
    }
    let mut pages = Pages::new(options.page);
    // The summary across experiments comes first: it is what a reader wants to see.
    if items.len() > 1 {
        summary_pages(&mut pages, items, options)?;
    }
    for (index, (experiment, analysis)) in items.iter().enumerate() {
        if index > 0 || items.len() > 1 {
            pages.new_page();
        }
        experiment_pages(&mut pages, experiment, analysis, options)?;
    }
    let title = if items.len() == 1 {
        items[0].1.experiment.clone()
    } else {
        format!("{} experiments", items.len())
    };
    render(pages, &title, options)
}

/// The summary report across experiments: the side-by-side table of IC50s and RIs, their
/// geometric means with geometric SD and 95 % CI, and a forest plot of the RIs.
///
/// # Errors
/// [`ReportError::Empty`] for no experiments; [`ReportError`] when the PDF cannot be
/// assembled.
pub fn summary_report(
    items: &[(Experiment, Analysis)],
    options: &PdfOptions,
) -> Result<Vec<u8>, ReportError> {
    if items.is_empty() {
        return Err(ReportError::Empty("no experiments".into()));
    }
    let mut pages = Pages::new(options.page);
    summary_pages(&mut pages, items, options)?;
    render(pages, "Summary across experiments", options)
}

fn ordered_labels<T>(items: &[T], labels: impl Fn(&T) -> Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        for label in labels(item) {
            if !out.contains(&label) {
                out.push(label);
            }
        }
    }
    out
}

#[allow(clippy::too_many_lines)]
fn summary_pages(
    pages: &mut Pages,
    items: &[(Experiment, Analysis)],
    options: &PdfOptions,
) -> Result<(), ReportError> {
    let analyses: Vec<Analysis> = items.iter().map(|(_, a)| a.clone()).collect();
    let summary = Summary::of(&analyses);
    pages.title(
        "Summary across experiments",
        &format!(
            "{} experiments · {} · {}",
            items.len(),
            options.date,
            platefit_version()
        ),
    );
    let mut units: Vec<&str> = analyses.iter().map(|a| a.unit.symbol()).collect();
    units.dedup();
    let unit = units.first().copied().unwrap_or("");
    if units.len() > 1 {
        pages.paragraph(
            &format!("⚠ The experiments use different concentration units ({}); IC50s are shown in each experiment's unit and their geometric means mix units.", units.join(", ")),
            8.0,
            WARN,
        );
    }
    pages.heading("Experiments");
    let rows: Vec<Vec<String>> = items
        .iter()
        .enumerate()
        .map(|(k, (experiment, analysis))| {
            vec![
                (k + 1).to_string(),
                analysis.experiment.clone(),
                experiment
                    .plates
                    .iter()
                    .map(|p| p.file.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                analysis
                    .plates
                    .iter()
                    .map(|p| verdict_word(p.normalized.qc.verdict))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    pages.table(
        &[
            col("#", 0.3, Align::Right),
            col("Experiment", 2.2, Align::Left),
            col("Files", 3.0, Align::Left),
            col("Plate QC", 0.8, Align::Left),
        ],
        &rows,
        7.5,
    );
    let curve_labels = ordered_labels(&analyses, |a| {
        a.curves
            .iter()
            .map(|c| c.dose_response.label.clone())
            .collect()
    });
    let comparison_labels = ordered_labels(&analyses, |a| {
        a.comparisons
            .iter()
            .map(|c| format!("{} vs {}", c.test, c.reference))
            .collect()
    });
    pages.heading("IC50 and resistance index per experiment");
    let cell_of = |analysis: &Analysis, label: &str| -> String {
        analysis.curve(label).map_or("—".into(), |c| {
            ic50_cell(&c.fit, analysis.settings.ci_method)
        })
    };
    let ri_of = |analysis: &Analysis, label: &str| -> String {
        analysis
            .comparisons
            .iter()
            .find(|c| format!("{} vs {}", c.test, c.reference) == label)
            .map_or("—".into(), ratio_cell)
    };
    let value_columns = curve_labels.len() + comparison_labels.len();
    if value_columns <= 4 {
        let mut columns = vec![col("Experiment", 1.6, Align::Left)];
        for label in &curve_labels {
            columns.push(col(
                format!("IC50 {label} ({unit}) [95% CI]"),
                2.0,
                Align::Left,
            ));
        }
        for label in &comparison_labels {
            columns.push(col(format!("RI {label} [95% CI]"), 2.0, Align::Left));
        }
        let rows: Vec<Vec<String>> = analyses
            .iter()
            .map(|a| {
                let mut row = vec![a.experiment.clone()];
                row.extend(curve_labels.iter().map(|l| cell_of(a, l)));
                row.extend(comparison_labels.iter().map(|l| ri_of(a, l)));
                row
            })
            .collect();
        pages.table(&columns, &rows, 7.5);
    } else {
        let mut rows = Vec::new();
        for a in &analyses {
            for label in &curve_labels {
                rows.push(vec![
                    a.experiment.clone(),
                    format!("IC50 {label} ({unit})"),
                    cell_of(a, label),
                ]);
            }
            for label in &comparison_labels {
                rows.push(vec![
                    a.experiment.clone(),
                    format!("RI {label}"),
                    ri_of(a, label),
                ]);
            }
        }
        pages.table(
            &[
                col("Experiment", 2.0, Align::Left),
                col("Quantity", 2.0, Align::Left),
                col("Value [95% CI]", 2.4, Align::Left),
            ],
            &rows,
            7.5,
        );
    }
    pages.heading("Across experiments (geometric means)");
    let mut rows = Vec::new();
    for (label, s) in &summary.ic50 {
        rows.push(summary_row(&format!("IC50 {label} ({unit})"), s));
    }
    for (label, s) in &summary.resistance_index {
        rows.push(summary_row(&format!("RI {label}"), s));
    }
    if rows.is_empty() {
        pages.paragraph(
            "No IC50 or resistance index was determined in any experiment.",
            8.0,
            BLACK,
        );
    } else {
        pages.table(
            &[
                col("Quantity", 2.2, Align::Left),
                col("n", 0.4, Align::Right),
                col("Geometric mean", 1.2, Align::Right),
                col("Geometric SD (×/÷)", 1.2, Align::Right),
                col("95% CI of the geometric mean", 1.9, Align::Left),
            ],
            &rows,
            7.5,
        );
        pages.paragraph(
            "Geometric mean = 10^mean(log10 values); geometric SD factor = 10^SD(log10 values); 95 % CI = 10^(mean ± t(0.975, n − 1)·SD/√n) on the log scale. Only experiments where the value was determined enter.",
            7.0,
            GREY,
        );
    }
    let groups = resistance_forest_rows(&analyses);
    if !groups.is_empty() {
        pages.heading("Resistance index per experiment");
        for (label, rows) in &groups {
            let svg = forest_plot_svg(
                rows,
                &format!("Resistance index, {label} (log scale)"),
                480.0,
            );
            let figure = tree("forest plot", &svg)?;
            pages.figures(
                &[(
                    figure,
                    format!("Forest plot: RI of {label} with 95 % CI per experiment; dashed line: RI = 1 (no resistance); diamond: geometric mean with 95 % CI."),
                )],
                480.0,
            );
        }
    }
    pages.space(4.0);
    Ok(())
}

fn summary_row(label: &str, s: &crate::summary::GeometricSummary) -> Vec<String> {
    vec![
        label.to_string(),
        s.n.to_string(),
        format_number(s.geometric_mean),
        s.geometric_sd.map_or("—".into(), format_number),
        s.ci95.map_or("—".into(), |[a, b]| {
            format!("[{}, {}]", format_number(a), format_number(b))
        }),
    ]
}

/// One block of a generic report built by [`document`] (for reports assembled elsewhere,
/// such as the library's study report).
#[derive(Debug, Clone)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// A smaller heading.
    Subheading(String),
    /// A paragraph of body text.
    Paragraph(String),
    /// A table: column titles with relative widths and right alignment, then rows.
    Table {
        /// `(title, weight, right-aligned)`.
        columns: Vec<(String, f32, bool)>,
        /// Cells.
        rows: Vec<Vec<String>>,
    },
    /// Figures side by side: `(name, svg, caption)`.
    Figures(Vec<(String, String, String)>),
}

/// Renders a titled report from [`Block`]s with the same page layout, fonts and figure
/// handling as the experiment reports.
///
/// # Errors
/// [`ReportError`] when a figure cannot be parsed or the PDF cannot be assembled.
pub fn document(
    title: &str,
    subtitle: &str,
    blocks: &[Block],
    options: &PdfOptions,
) -> Result<Vec<u8>, ReportError> {
    let mut pages = Pages::new(options.page);
    pages.title(title, subtitle);
    for block in blocks {
        match block {
            Block::Heading(text) => pages.heading(text),
            Block::Subheading(text) => pages.subheading(text),
            Block::Paragraph(text) => pages.paragraph(text, 8.5, BLACK),
            Block::Table { columns, rows } => {
                let columns: Vec<Column> = columns
                    .iter()
                    .map(|(t, w, right)| {
                        col(
                            t.clone(),
                            *w,
                            if *right { Align::Right } else { Align::Left },
                        )
                    })
                    .collect();
                pages.table(&columns, rows, 7.5);
            }
            Block::Figures(figures) => {
                let trees = figures
                    .iter()
                    .map(|(name, svg, caption)| Ok((tree(name, svg)?, caption.clone())))
                    .collect::<Result<Vec<_>, ReportError>>()?;
                pages.figures(&trees, 520.0);
            }
        }
    }
    render(pages, title, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_leave_no_single_line_on_a_page() {
        // Fits: no break.
        assert_eq!(paragraph_break(3, 100.0, 10.0), None);
        // A short paragraph moves whole.
        assert_eq!(paragraph_break(5, 30.0, 10.0), Some(0));
        // One line would go over: break a line earlier.
        assert_eq!(paragraph_break(10, 95.0, 10.0), Some(8));
        // One line would stay: move the paragraph.
        assert_eq!(paragraph_break(10, 15.0, 10.0), Some(0));
        assert_eq!(paragraph_break(20, 100.0, 10.0), Some(10));
    }

    #[test]
    fn columns_widen_for_their_longest_word() {
        let widths = column_widths(&[1.0, 1.0, 1.0], &[50.0, 10.0, 10.0], 90.0);
        assert!(widths[0] >= 49.9, "{widths:?}");
        assert!((widths.iter().sum::<f32>() - 90.0).abs() < 0.1);
        // Not enough room: the shares stay as they are.
        let same = column_widths(&[1.0, 1.0], &[100.0, 100.0], 90.0);
        assert_eq!(same, vec![45.0, 45.0]);
    }

    #[test]
    fn wrapping_keeps_lines_within_the_width() {
        let text = "a4b5c6d7e8f9a4b5c6d7e8f9a4b5c6d7e8f9a4b5c6d7e8f9a4b5c6d7e8f9a4b5 is a digest";
        for line in wrap(text, 80.0, 8.0, false) {
            assert!(text_width(&line, 8.0, false) <= 80.0, "{line}");
        }
        assert_eq!(
            wrap("one two", 500.0, 8.0, false),
            vec!["one two".to_string()]
        );
        assert_eq!(PageSize::parse("Letter"), Some(PageSize::Letter));
    }
}
