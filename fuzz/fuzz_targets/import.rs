//! Fuzzes the importer: any bytes give a result or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = platefit::import::import_bytes(data);
});
