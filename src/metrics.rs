//! This instance's counters for Prometheus: requests by route and status, a latency
//! histogram by route, the database pool's connections, and logins by outcome. Routes are
//! the matched patterns (`/admin/users/{id}`), never raw paths, so neither ids nor tokens
//! become labels and the number of series stays bounded. Served at `GET /metrics`
//! (`routes::operations`); no account data is counted here.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
};

use crate::db::Db;
use crate::db::watch::QueryKind;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    logins: IntCounterVec,
    pool: IntGaugeVec,
    queries: IntCounterVec,
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
        Ok(Self {
            registry,
            requests,
            latency,
            logins,
            pool,
            queries,
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

    /// The text exposition, with the pool's state and query counts read now.
    pub fn render(&self, db: &Db) -> anyhow::Result<String> {
        let pool = db.pool();
        for kind in QueryKind::ALL {
            let counter = self.queries.with_label_values(&[kind.as_str()]);
            counter.inc_by(db.query_counts().get(kind).saturating_sub(counter.get()));
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
        let mut text = Vec::new();
        prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        Ok(String::from_utf8(text)?)
    }
}
