//! What every handler can reach: the database, the password hasher, the clock, the cookie
//! settings and the configuration. Built once in `startup`.

use std::sync::Arc;

use actix_web::cookie::Key;

use crate::auth::PasswordHasher;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::mail::Mailer;
use crate::web::metrics::Metrics;
use crate::web::rate_limit::{IpRateLimiter, KeyedRateLimiter};

pub struct AppState {
    pub db: Db,
    pub hasher: PasswordHasher,
    pub clock: Clock,
    pub cookies: CookieSettings,
    pub settings: Arc<Settings>,
    pub mailer: Arc<Mailer>,
    pub metrics: Metrics,
    /// `None` when `GATEHOUSE_IP_RATE_LIMIT=off`.
    pub ip_limiter: Option<Arc<IpRateLimiter>>,
    /// Uses of each API token, keyed by token id (see `accounts::api_tokens::RATE_LIMIT`).
    pub api_token_limiter: Arc<KeyedRateLimiter<i64>>,
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
