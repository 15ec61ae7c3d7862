//! What every handler can reach: the account service, the cookie settings, the
//! configuration, the external sign-in providers, this instance's metrics and API token limiter, and the per-IP limit (its
//! counts are in the database). Built once in `startup`.
//! Handlers act through `accounts`; `db` is here only for operations (`/healthz`, the
//! pool's gauges, the purge job), never for queries.

use std::sync::Arc;

use actix_web::cookie::Key;

use crate::accounts::Accounts;
use crate::config::Settings;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::oidc::Providers;
use crate::rate_limit::{IpRateLimiter, KeyedRateLimiter};

pub struct AppState {
    pub accounts: Accounts,
    pub db: Db,
    pub cookies: CookieSettings,
    pub settings: Arc<Settings>,
    pub metrics: Metrics,
    /// The per-IP limit (its counts are in the database); `None` when
    /// `GATEHOUSE_IP_RATE_LIMIT=off`.
    pub ip_limiter: Option<Arc<IpRateLimiter>>,
    /// Uses of each API token, keyed by token id (see `rate_limit::API_TOKEN_LIMIT`).
    pub api_token_limiter: Arc<KeyedRateLimiter<i64>>,
    /// The external OpenID Connect providers people may sign in with, discovered at start.
    pub providers: Arc<Providers>,
}

impl AppState {
    /// "Now", as every rule sees it (tests move it forward).
    pub fn now(&self) -> i64 {
        self.accounts.clock().now()
    }
}

#[derive(Clone)]
pub struct CookieSettings {
    pub key: Key,
    pub secure: bool,
}

impl CookieSettings {
    /// `__Host-` names are only allowed (and only useful) with `Secure`.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.secure {
            "__Host-gatehouse_session"
        } else {
            "gatehouse_session"
        }
    }

    pub fn csrf_cookie_name(&self) -> &'static str {
        if self.secure {
            "__Host-gatehouse_csrf"
        } else {
            "gatehouse_csrf"
        }
    }
}
