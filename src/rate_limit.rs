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

/// The per-IP limit. An IPv6 client usually holds a whole network (a /64 at least), so
/// IPv6 addresses count per network of `ipv6_prefix` bits; IPv4 addresses one by one.
pub struct IpRateLimiter {
    limiter: KeyedRateLimiter<IpAddr>,
    ipv6_prefix: u8,
}

impl IpRateLimiter {
    pub fn new(limit: RateLimit, ipv6_prefix: u8) -> Self {
        Self {
            limiter: KeyedRateLimiter::new(limit),
            ipv6_prefix,
        }
    }

    /// `Err(seconds to wait)` when this client's address (or IPv6 network) is over its limit.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.limiter.check(network_of(ip, self.ipv6_prefix))
    }

    pub fn forget_idle(&self) {
        self.limiter.forget_idle();
    }
}

/// The key an address counts under: itself (IPv4), or its network of `prefix` bits (IPv6).
fn network_of(ip: IpAddr, ipv6_prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let bits = u32::from(ipv6_prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_addresses_count_per_network_and_ipv4_ones_each() {
        assert_eq!(
            network_of(ip("2001:db8:1:2:aaaa::1"), 64),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            network_of(ip("2001:db8:1:2:aaaa::1"), 48),
            ip("2001:db8:1::")
        );
        assert_eq!(network_of(ip("2001:db8::1"), 128), ip("2001:db8::1"));
        assert_eq!(network_of(ip("2001:db8::1"), 0), ip("::"));
        assert_eq!(network_of(ip("203.0.113.7"), 64), ip("203.0.113.7"));
    }

    #[test]
    fn one_ipv6_network_shares_one_allowance() {
        let limiter = IpRateLimiter::new(
            RateLimit {
                requests: 2,
                per_seconds: 60,
            },
            64,
        );
        assert!(limiter.check(ip("2001:db8::1")).is_ok());
        assert!(limiter.check(ip("2001:db8::2")).is_ok());
        assert!(limiter.check(ip("2001:db8::ffff:3")).is_err());
        assert!(
            limiter.check(ip("2001:db8:0:1::1")).is_ok(),
            "the next /64 has its own"
        );
    }
}
