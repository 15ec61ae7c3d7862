//! The per-IP limit on the forms that cost the most (password hashing, mail): POSTs to
//! `/login`, `/register` and `/password-reset`. Keyed on the client IP as resolved by
//! `request_context` (so `X-Forwarded-For` counts only from trusted proxies). The counts
//! live in memory, per instance: anonymous requests never write to the database.
//! The same keyed limiter, keyed by token id, limits the use of each API token.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ClientIp;
use crate::config::RateLimit;
use crate::errors::AppError;
use crate::state::AppState;

/// A limit per key (an IP address, an API token id), kept in memory.
pub struct KeyedRateLimiter<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
}

pub type IpRateLimiter = KeyedRateLimiter<IpAddr>;

impl<K: Hash + Eq + Clone> KeyedRateLimiter<K> {
    /// `requests` per `per_seconds`, as a burst that refills evenly.
    pub fn new(limit: RateLimit) -> Self {
        let burst = NonZeroU32::new(limit.requests.max(1)).expect("at least one request");
        let period = Duration::from_secs(u64::from(limit.per_seconds)) / burst.get();
        let quota = Quota::with_period(period.max(Duration::from_millis(1)))
            .expect("a positive period")
            .allow_burst(burst);
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// `Err(seconds to wait)` when this key is over its limit.
    pub fn check(&self, key: K) -> Result<(), u64> {
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Forgets keys that are back to a full allowance (called by the purge job).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

fn is_limited(req: &ServiceRequest) -> bool {
    let path = req.path();
    req.method() == Method::POST
        && (path == "/login"
            || path == "/register"
            || path == "/password-reset"
            || path.starts_with("/password-reset/"))
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if is_limited(&req) {
        let limiter = req
            .app_data::<web::Data<AppState>>()
            .and_then(|state| state.ip_limiter.clone());
        let ip = req.extensions().get::<ClientIp>().copied();
        if let (Some(limiter), Some(ip)) = (limiter, ip) {
            if let Err(retry_after) = limiter.check(ip.0) {
                return Ok(req.error_response(AppError::TooManyRequests { retry_after }));
            }
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
