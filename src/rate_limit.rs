//! Limits per key, kept in memory per instance: per client IP on the forms that cost the
//! most (applied by `web::ip_limit`), and per token id on the API (`auth::api_auth`).
//! Anonymous requests never write to the database for this.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimit;

/// Uses of one API token: a burst of 200, refilled at 20 a second.
pub const API_TOKEN_LIMIT: RateLimit = RateLimit {
    requests: 200,
    per_seconds: 10,
};

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
