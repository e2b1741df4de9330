//! Links the `platefit` executable at a fixed address on Linux (`-no-pie`).
//!
//! A position-independent executable of this size (the GUI, the PDF and spreadsheet
//! writers, the importers) carries about 46,000 relative relocations that the dynamic
//! loader applies at every start, touching some 220 pages of data: 0.4 ms of the 1.8 ms
//! that `platefit fit` on one curve took, more than the fit. Linked at a fixed address it
//! starts as fast as an empty Rust program. The shared libraries it loads are still placed
//! at random addresses; only the executable's own code is not. The objects are compiled as
//! usual (position-independent), so tests, benches and proc-macros are unaffected.
//!
//! `PLATEFIT_PIE=1` keeps the usual position-independent executable: `scripts/package.sh`
//! sets it, since a distribution's package should have its hardening (ASLR for the
//! executable too; lintian warns `hardening-no-pie` without it).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PLATEFIT_PIE");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let pie = std::env::var_os("PLATEFIT_PIE").is_some_and(|v| !v.is_empty() && v != "0");
    if os == "linux" && env == "gnu" && !pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
