//! Limits per key. The per-IP limit on the forms that cost the most (applied by
//! `web::ip_limit`) is shared by every instance of a site: its counts live in the database
//! (`accounts::ip_limits`), and this module says only what they mean. The limit per API
//! token id (`auth::api_auth`) is kept in each instance's memory.

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

/// A limit per key (an API token id), kept in memory.
pub struct KeyedRateLimiter<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
}

/// The per-IP limit: `requests` per `per_seconds` as a burst that refills evenly, as the
/// generic cell rate algorithm counts it (one number per client: when its allowance is full
/// again). An IPv6 client usually holds a whole network (a /64 at least), so IPv6 addresses
/// count per network of `ipv6_prefix` bits; IPv4 addresses one by one.
pub struct IpRateLimiter {
    limit: RateLimit,
    ipv6_prefix: u8,
}

impl IpRateLimiter {
    pub fn new(limit: RateLimit, ipv6_prefix: u8) -> Self {
        Self { limit, ipv6_prefix }
    }

    /// The allowance this client's address (or IPv6 network) takes a request from.
    pub fn allowance(&self, ip: IpAddr) -> Allowance {
        let requests = i64::from(self.limit.requests.max(1));
        let period_ms = i64::from(self.limit.per_seconds) * 1000;
        Allowance {
            key: network_of(ip, self.ipv6_prefix).to_string(),
            interval_ms: (period_ms / requests).max(1),
            burst: requests,
        }
    }
}

/// One client's allowance: `burst` requests at once, one more back every `interval_ms`.
/// Its state is one time, "full again at" (Unix milliseconds; stored per `key`): each
/// request moves it `interval_ms` on from now or from where it stood, whichever is later,
/// and a request is allowed while that stays within `burst` intervals of now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    /// The address, or the IPv6 network, as text (`2001:db8:1:2::` for a /64).
    pub key: String,
    pub interval_ms: i64,
    pub burst: i64,
}

impl Allowance {
    /// The latest "full again" time from which one more request may be taken at `now_ms`.
    pub fn latest_full_at_to_take(&self, now_ms: i64) -> i64 {
        now_ms + (self.burst - 1) * self.interval_ms
    }

    /// Whole seconds (at least one) from `now_ms` until a request can be taken from an
    /// allowance full again at `full_at_ms`: the `Retry-After` of a refusal.
    pub fn seconds_to_wait(&self, full_at_ms: i64, now_ms: i64) -> u64 {
        let wait_ms = full_at_ms - self.latest_full_at_to_take(now_ms);
        u64::try_from(wait_ms).unwrap_or(0).div_ceil(1000).max(1)
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

    fn limiter(requests: u32, per_seconds: u32) -> IpRateLimiter {
        IpRateLimiter::new(
            RateLimit {
                requests,
                per_seconds,
            },
            64,
        )
    }

    #[test]
    fn one_ipv6_network_shares_one_allowance() {
        let limiter = limiter(2, 60);
        let key = |text| limiter.allowance(ip(text)).key;
        assert_eq!(key("2001:db8::1"), key("2001:db8::ffff:3"));
        assert_eq!(key("2001:db8::1"), "2001:db8::");
        assert_ne!(
            key("2001:db8::1"),
            key("2001:db8:0:1::1"),
            "the next /64 has its own"
        );
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
    }

    /// The allowance as the database keeps it, played out in memory.
    fn take(allowance: &Allowance, full_at: &mut i64, now: i64) -> Result<(), u64> {
        if *full_at > allowance.latest_full_at_to_take(now) {
            return Err(allowance.seconds_to_wait(*full_at, now));
        }
        *full_at = (*full_at).max(now) + allowance.interval_ms;
        Ok(())
    }

    #[test]
    fn a_burst_then_one_request_per_interval_with_the_exact_wait() {
        let allowance = limiter(3, 60).allowance(ip("192.0.2.1"));
        assert_eq!((allowance.interval_ms, allowance.burst), (20_000, 3));
        let (mut full_at, start) = (0, 1_000_000_000_000);
        for _ in 0..3 {
            assert_eq!(take(&allowance, &mut full_at, start), Ok(()));
        }
        assert_eq!(take(&allowance, &mut full_at, start), Err(20));
        assert_eq!(take(&allowance, &mut full_at, start + 19_001), Err(1));
        assert_eq!(take(&allowance, &mut full_at, start + 20_000), Ok(()));
        assert_eq!(take(&allowance, &mut full_at, start + 20_000), Err(20));
        assert_eq!(
            take(&allowance, &mut full_at, start + 100_000),
            Ok(()),
            "the whole burst is back after a quiet minute"
        );
        assert_eq!(take(&allowance, &mut full_at, start + 100_000), Ok(()));
        assert_eq!(take(&allowance, &mut full_at, start + 100_000), Ok(()));
        assert!(take(&allowance, &mut full_at, start + 100_000).is_err());
    }

    #[test]
    fn many_requests_a_second_come_back_in_milliseconds() {
        let allowance = limiter(4000, 1).allowance(ip("192.0.2.1"));
        assert_eq!(allowance.interval_ms, 1, "never less than a millisecond");
        let allowance = limiter(30, 1).allowance(ip("192.0.2.1"));
        assert_eq!(allowance.interval_ms, 33);
        assert_eq!(allowance.seconds_to_wait(0, 1_000), 1, "at least a second");
    }
}
