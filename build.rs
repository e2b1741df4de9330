//! Links the `platefit` executable at a fixed address on Linux (`-no-pie`).
//!
//! A position-independent executable of this size (the GUI, the PDF and spreadsheet
//! writers, the importers) carries about 46,000 relative relocations that the dynamic
//! loader applies at every start, touching some 220 pages of data: 0.4 ms of the 1.8 ms
//! that `platefit fit` on one curve took, more than the fit. Linked at a fixed address it
//! starts as fast as an empty Rust program. The shared libraries it loads are still placed
//! at random addresses; only the executable's own code is not. The objects are compiled as
//! usual (position-independent), so tests, benches and proc-macros are unaffected.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
