//! The per-IP limit's counts, in the database so that every instance of a site takes from
//! one allowance per client address: a request is one conditional upsert (`db::ip_limits`),
//! and a refusal one more read for its exact wait. What an allowance is (how many, per how
//! long, how addresses are grouped) is `rate_limit`'s.

use super::{AccountError, Accounts};
use crate::db::ip_limits;
use crate::rate_limit::Allowance;

/// What the per-IP limit says of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The allowance is spent: one request is back in `retry_after` seconds.
    Refused {
        retry_after: u64,
    },
}

impl Accounts {
    /// Takes one request from this allowance, on whichever instance it arrives.
    pub async fn admit(&self, allowance: Allowance) -> Result<Admission, AccountError> {
        let now = self.clock.now_millis();
        self.db
            .run(move |conn| {
                let latest = allowance.latest_full_at_to_take(now);
                if ip_limits::take(conn, &allowance.key, now, allowance.interval_ms, latest)? {
                    return Ok(Admission::Admitted);
                }
                let full_at = ip_limits::full_at(conn, &allowance.key)?.unwrap_or(now);
                Ok::<_, AccountError>(Admission::Refused {
                    retry_after: allowance.seconds_to_wait(full_at, now),
                })
            })
            .await
    }
}
