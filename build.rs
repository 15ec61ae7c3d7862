//! Turns `GATEHOUSE_TEST_DATABASE_URL` into the `gatehouse_postgres_tests` cfg, so that without
//! it every PostgreSQL test is listed as ignored with the reason, instead of silently passing.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(gatehouse_postgres_tests)");
    println!("cargo::rerun-if-env-changed=GATEHOUSE_TEST_DATABASE_URL");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("GATEHOUSE_TEST_DATABASE_URL").is_ok_and(|url| !url.trim().is_empty()) {
        println!("cargo::rustc-cfg=gatehouse_postgres_tests");
    }
}
