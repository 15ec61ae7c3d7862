//! Turns what the machine offers into cfgs, so that a suite that cannot run is listed as
//! ignored with the reason instead of silently passing:
//! - `GATEHOUSE_TEST_DATABASE_URL` set → `gatehouse_postgres_tests` (the PostgreSQL variants);
//! - `chromedriver` and `chromium` installed, and axe-core fetched from npm
//!   (`npm ci --prefix tests/browser/axe`) → `gatehouse_browser_tests` (the browser suite);
//! - Node.js, and oidc-provider fetched from npm (`npm ci --prefix tests/support/oidc`) →
//!   `gatehouse_oidc_tests` (external sign-in against a real OpenID provider).

use std::path::Path;

/// Where Debian's `chromium` and `chromium-driver` packages install them.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const AXE: &str = "tests/browser/axe/node_modules/axe-core/axe.min.js";
const NODE: &str = "/usr/bin/node";
const OIDC_PROVIDER: &str = "tests/support/oidc/node_modules/oidc-provider/package.json";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(gatehouse_postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(gatehouse_browser_tests)");
    println!("cargo::rustc-check-cfg=cfg(gatehouse_oidc_tests)");
    println!("cargo::rerun-if-env-changed=GATEHOUSE_TEST_DATABASE_URL");
    println!("cargo::rerun-if-changed=build.rs");
    // The folder changes when the packages are installed or removed.
    println!("cargo::rerun-if-changed=/usr/bin");
    println!("cargo::rerun-if-changed=tests/browser/axe");
    println!("cargo::rerun-if-changed=tests/support/oidc");
    if std::env::var("GATEHOUSE_TEST_DATABASE_URL").is_ok_and(|url| !url.trim().is_empty()) {
        println!("cargo::rustc-cfg=gatehouse_postgres_tests");
    }
    if [CHROMEDRIVER, CHROMIUM, AXE]
        .iter()
        .all(|path| Path::new(path).exists())
    {
        println!("cargo::rustc-cfg=gatehouse_browser_tests");
    }
    if [NODE, OIDC_PROVIDER]
        .iter()
        .all(|path| Path::new(path).exists())
    {
        println!("cargo::rustc-cfg=gatehouse_oidc_tests");
    }
}
