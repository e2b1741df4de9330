//! Fuzzes the plater layout parser and, for layouts that parse, validation and the writer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(layout) = platefit::layout::parse_layout(&text) {
        let _ = layout.validate(true);
        let mut out = Vec::new();
        let _ = platefit::layout::write_layout(&layout, &mut out);
    }
});
