//! The bundled font (DejaVu Sans, regular and bold; Bitstream Vera licence in
//! `assets/fonts/LICENSE-DejaVu.txt`). Reports and figures use only this font, so they render
//! identically on any machine, and text never silently disappears for want of a system font
//! (usvg maps `sans-serif` to Arial, which many Linux machines lack).

use std::sync::{Arc, LazyLock};

/// DejaVu Sans regular, as TTF bytes.
pub static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans bold, as TTF bytes.
pub static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
/// The family name figures ask for.
pub const FAMILY: &str = "DejaVu Sans";

static REGULAR_FACE: LazyLock<Option<ttf_parser::Face<'static>>> =
    LazyLock::new(|| ttf_parser::Face::parse(REGULAR, 0).ok());
static BOLD_FACE: LazyLock<Option<ttf_parser::Face<'static>>> =
    LazyLock::new(|| ttf_parser::Face::parse(BOLD, 0).ok());
static FONT_DB: LazyLock<Arc<usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(REGULAR.to_vec());
    db.load_font_data(BOLD.to_vec());
    db.set_sans_serif_family(FAMILY);
    db.set_serif_family(FAMILY);
    db.set_monospace_family(FAMILY);
    Arc::new(db)
});

/// A font database holding only the bundled font, with every generic family mapped to it.
#[must_use]
pub fn font_database() -> Arc<usvg::fontdb::Database> {
    Arc::clone(&FONT_DB)
}

/// usvg options that resolve every font to the bundled one.
#[must_use]
pub fn svg_options() -> usvg::Options<'static> {
    usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: font_database(),
        ..usvg::Options::default()
    }
}

/// The advance width of `text` at `size` points (no kerning; close enough for layout).
#[must_use]
pub fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let face = if bold { &*BOLD_FACE } else { &*REGULAR_FACE };
    let Some(face) = face.as_ref() else {
        // Not reachable with the bundled font; a rough average keeps layout sane.
        return text.chars().count() as f32 * size * 0.55;
    };
    let units = f32::from(face.units_per_em());
    let advance: f32 = text
        .chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .map_or(units * 0.6, f32::from)
        })
        .sum();
    advance * size / units
}

/// Whether the bundled font has a glyph for every character of `text`.
#[must_use]
pub fn covers(text: &str) -> bool {
    REGULAR_FACE.as_ref().is_some_and(|face| {
        text.chars()
            .all(|c| c.is_whitespace() || face.glyph_index(c).is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_font_covers_the_symbols_reports_use() {
        assert!(covers("µM ± ′ ² · — ≥ ≤ × − α β 10⁻³ ⁰¹²³⁴⁵⁶⁷⁸⁹ Z′ R²"));
        let w = text_width("IC50", 10.0, false);
        assert!(w > 15.0 && w < 30.0, "{w}");
        assert!(text_width("IC50", 10.0, true) > w);
    }
}
