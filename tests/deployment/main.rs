//! Gatehouse as it is deployed: the release-or-debug binary Cargo built, run as separate
//! processes behind Debian's nginx on one PostgreSQL database, and the faults a deployment
//! meets — a rolling restart, a PostgreSQL restart, a `kill -9` on SQLite — each printing
//! its numbers (requests sent, errors seen, rows lost).
//!
//! Not part of a plain `cargo test` (it starts servers and takes a minute or two): run it
//! with `cargo test --test deployment -- --nocapture`, as `.ci/run` does. It needs nginx,
//! PostgreSQL's server programs and `GATEHOUSE_TEST_DATABASE_URL`; without one of them a test
//! prints `DEPLOYMENT SKIPPED: …` and passes — except under `CI=true`, where it fails.

mod faults;
mod site;
mod support;

use std::path::Path;

use support::{Instance, Nginx, PgDatabase, SiteSettings};

/// Two instances on one fresh PostgreSQL database behind nginx, and an admin.
pub struct Site {
    pub nginx: Nginx,
    pub instances: [Instance; 2],
    pub settings: SiteSettings,
    pub database: PgDatabase,
}

pub const ADMIN_EMAIL: &str = "admin@example.com";

impl Site {
    pub async fn start(nginx: &Path, server: &str, dir: &Path, ip_rate_limit: &str) -> Self {
        let database = PgDatabase::create(server);
        let settings = SiteSettings::new(&database.url, dir, ip_rate_limit);
        // What an operator does first: migrate once, then make the first admin.
        settings.run(&["migrate"], "");
        settings.run(
            &["create-admin", "--email", ADMIN_EMAIL, "--name", "Admin"],
            support::PASSWORD,
        );
        let mut instances = [
            Instance::new("instance-1", &settings, dir),
            Instance::new("instance-2", &settings, dir),
        ];
        for instance in &mut instances {
            instance.start().await;
        }
        let nginx = Nginx::start(nginx, dir, &[&instances[0], &instances[1]]).await;
        Self {
            nginx,
            instances,
            settings,
            database,
        }
    }

    /// Which instance an `X-Upstream` address is (1 or 2); 0 for none (nginx names the
    /// upstream group when no instance was available).
    pub fn instance_of(&self, address: &str) -> u8 {
        self.instances
            .iter()
            .position(|i| i.address() == address)
            .map_or(0, |i| i as u8 + 1)
    }
}
