//! Turns what the machine offers into cfgs, so that a suite that cannot run is listed as
//! ignored with the reason instead of silently passing:
//! - `GATEHOUSE_TEST_DATABASE_URL` set → `gatehouse_postgres_tests` (the PostgreSQL variants);
//! - `chromedriver` and `chromium` installed, and axe-core fetched from npm
//!   (`npm ci --prefix tests/browser/axe`) → `gatehouse_browser_tests` (the browser suite).

use std::path::Path;

/// Where Debian's `chromium` and `chromium-driver` packages install them.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const AXE: &str = "tests/browser/axe/node_modules/axe-core/axe.min.js";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(gatehouse_postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(gatehouse_browser_tests)");
    println!("cargo::rerun-if-env-changed=GATEHOUSE_TEST_DATABASE_URL");
    println!("cargo::rerun-if-changed=build.rs");
    // The folder changes when the packages are installed or removed.
    println!("cargo::rerun-if-changed=/usr/bin");
    println!("cargo::rerun-if-changed=tests/browser/axe");
    if std::env::var("GATEHOUSE_TEST_DATABASE_URL").is_ok_and(|url| !url.trim().is_empty()) {
        println!("cargo::rustc-cfg=gatehouse_postgres_tests");
    }
    if [CHROMEDRIVER, CHROMIUM, AXE]
        .iter()
        .all(|path| Path::new(path).exists())
    {
        println!("cargo::rustc-cfg=gatehouse_browser_tests");
    }
}
