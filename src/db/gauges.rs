//! Counts for the operator's gauges (`/metrics`), read in one statement: logged-in sessions
//! alive now, emails whose password login is locked now, and locks ever applied (audit
//! rows of the given action, found through the `(action, id)` index).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::DbConnection;

/// Site-wide counts: the same on every instance of one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct SiteGauges {
    #[diesel(sql_type = BigInt)]
    pub live_sessions: i64,
    #[diesel(sql_type = BigInt)]
    pub locked_logins: i64,
    #[diesel(sql_type = BigInt)]
    pub lockouts: i64,
}

/// `lock_action` is the audit action that records a lock being applied.
pub fn site_gauges(
    conn: &mut DbConnection,
    now: i64,
    lock_action: &str,
) -> QueryResult<SiteGauges> {
    // Each placeholder appears once and in order: SQLite numbers `$n` by first appearance.
    diesel::sql_query(
        "SELECT \
           (SELECT COUNT(*) FROM sessions WHERE user_id IS NOT NULL \
              AND expires_at > $1 AND absolute_expires_at > $2) AS live_sessions, \
           (SELECT COUNT(*) FROM login_throttles WHERE locked_until > $3) AS locked_logins, \
           (SELECT COUNT(*) FROM audit_events WHERE action = $4) AS lockouts",
    )
    .bind::<BigInt, _>(now)
    .bind::<BigInt, _>(now)
    .bind::<BigInt, _>(now)
    .bind::<Text, _>(lock_action)
    .get_result(conn)
}
