//! This instance's counters for Prometheus: requests by route and status, a latency
//! histogram by route, the database pool's connections, and logins by outcome. Routes are
//! the matched patterns (`/admin/users/{id}`), never raw paths, so neither ids nor tokens
//! become labels and the number of series stays bounded. Served at `GET /metrics`
//! (`routes::operations`); no account data is counted here.
//!
//! Besides, three site-wide numbers read from the database at each scrape
//! ([`SiteGauges`]): live sessions, emails locked now, and locks applied. Every instance of
//! one database reports the same values (aggregate them with `max`, not `sum`); they are
//! left out of a scrape when the database does not answer, rather than shown stale. The
//! scrape's own statement is not counted in `gatehouse_db_queries_total`, so that reading
//! the counts does not move them.

use std::sync::atomic::{AtomicU64, Ordering};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

use crate::db::Db;
use crate::db::gauges::SiteGauges;
use crate::db::watch::QueryKind;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    logins: IntCounterVec,
    pool: IntGaugeVec,
    queries: IntCounterVec,
    /// The site-wide numbers, gathered only when they were read.
    site: Registry,
    live_sessions: IntGauge,
    locked_logins: IntGauge,
    lockouts: IntCounter,
    /// Reads made by scrapes themselves, left out of `db_queries_total`.
    own_reads: AtomicU64,
}

/// How a password login ended, as counted by `gatehouse_logins_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    Success,
    Failure,
    Locked,
}

impl LoginOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Locked => "locked",
        }
    }
}

impl Metrics {
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new_custom(Some("gatehouse".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by route, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer, by route")
                .buckets(vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ]),
            &["route"],
        )?;
        let logins = IntCounterVec::new(
            Opts::new("logins_total", "Password logins, by outcome"),
            &["outcome"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections, by state"),
            &["state"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(logins.clone()))?;
        let queries = IntCounterVec::new(
            Opts::new(
                "db_queries_total",
                "Database statements run, by kind (read, write, check, other)",
            ),
            &["kind"],
        )?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(queries.clone()))?;
        for outcome in [
            LoginOutcome::Success,
            LoginOutcome::Failure,
            LoginOutcome::Locked,
        ] {
            logins.with_label_values(&[outcome.as_str()]);
        }
        let site = Registry::new_custom(Some("gatehouse".into()), None)?;
        let live_sessions = IntGauge::new(
            "sessions_live",
            "Logged-in sessions not expired, on the whole site (from the database)",
        )?;
        let locked_logins = IntGauge::new(
            "logins_locked",
            "Emails whose password login is locked now, on the whole site (from the database)",
        )?;
        let lockouts = IntCounter::new(
            "lockouts_total",
            "Password-login locks applied (five failed logins), on the whole site (from the audit log)",
        )?;
        site.register(Box::new(live_sessions.clone()))?;
        site.register(Box::new(locked_logins.clone()))?;
        site.register(Box::new(lockouts.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            logins,
            pool,
            queries,
            site,
            live_sessions,
            locked_logins,
            lockouts,
            own_reads: AtomicU64::new(0),
        })
    }

    /// One answered request; `route` is the matched pattern, or `unmatched`.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.latency.with_label_values(&[route]).observe(seconds);
    }

    pub fn count_login(&self, outcome: LoginOutcome) {
        self.logins.with_label_values(&[outcome.as_str()]).inc();
    }

    /// The text exposition, with the pool's state and query counts read now, and the
    /// site-wide numbers when the scrape could read them (with one statement of its own).
    pub fn render(&self, db: &Db, site: Option<&SiteGauges>) -> anyhow::Result<String> {
        let pool = db.pool();
        if let Some(site) = site {
            self.own_reads.fetch_add(1, Ordering::Relaxed);
            self.live_sessions.set(site.live_sessions);
            self.locked_logins.set(site.locked_logins);
            let lockouts = u64::try_from(site.lockouts).unwrap_or(0);
            self.lockouts
                .inc_by(lockouts.saturating_sub(self.lockouts.get()));
        }
        for kind in QueryKind::ALL {
            let counter = self.queries.with_label_values(&[kind.as_str()]);
            let mut total = db.query_counts().get(kind);
            if kind == QueryKind::Read {
                total = total.saturating_sub(self.own_reads.load(Ordering::Relaxed));
            }
            counter.inc_by(total.saturating_sub(counter.get()));
        }
        let state = pool.state();
        let idle = i64::from(state.idle_connections);
        self.pool.with_label_values(&["idle"]).set(idle);
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(state.connections) - idle);
        self.pool
            .with_label_values(&["max"])
            .set(i64::from(pool.max_size()));
        let mut families = self.registry.gather();
        if site.is_some() {
            families.extend(self.site.gather());
        }
        let mut text = Vec::new();
        prometheus::TextEncoder::new().encode(&families, &mut text)?;
        Ok(String::from_utf8(text)?)
    }
}
