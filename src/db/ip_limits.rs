//! Queries on `ip_limits`: the per-IP limit's allowances, one row per client address (or
//! IPv6 network), shared by every instance on the database. The row holds when the
//! allowance is full again; the arithmetic is `rate_limit::Allowance`'s, these only store it.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::DbConnection;
use super::schema::ip_limits;

/// Takes one request from `network`'s allowance in one statement: a new row (a full
/// allowance, less this request), or the row moved `interval_ms` on from `now_ms` or from
/// where it stood, whichever is later — only when it stands at `latest_ms` or earlier (else
/// the allowance is spent and nothing is written). Answers whether the request was taken.
/// The statement is atomic on both backends: concurrent requests on any instance each see
/// the others' writes.
pub fn take(
    conn: &mut DbConnection,
    network: &str,
    now_ms: i64,
    interval_ms: i64,
    latest_ms: i64,
) -> QueryResult<bool> {
    // Each placeholder appears once and in order: SQLite numbers `$n` by first appearance.
    let changed = diesel::sql_query(
        "INSERT INTO ip_limits (network, full_at_ms) VALUES ($1, $2) \
         ON CONFLICT (network) DO UPDATE SET \
           full_at_ms = CASE WHEN ip_limits.full_at_ms > $3 THEN ip_limits.full_at_ms ELSE $4 END + $5 \
         WHERE ip_limits.full_at_ms <= $6",
    )
    .bind::<Text, _>(network)
    .bind::<BigInt, _>(now_ms + interval_ms)
    .bind::<BigInt, _>(now_ms)
    .bind::<BigInt, _>(now_ms)
    .bind::<BigInt, _>(interval_ms)
    .bind::<BigInt, _>(latest_ms)
    .execute(conn)?;
    Ok(changed > 0)
}

/// When `network`'s allowance is full again, if it has a row.
pub fn full_at(conn: &mut DbConnection, network: &str) -> QueryResult<Option<i64>> {
    ip_limits::table
        .find(network)
        .select(ip_limits::full_at_ms)
        .first(conn)
        .optional()
}

/// Forgets the allowances that are full again by `now_ms`: such a row says no more than
/// no row.
pub fn purge_full(conn: &mut DbConnection, now_ms: i64) -> QueryResult<usize> {
    diesel::delete(ip_limits::table.filter(ip_limits::full_at_ms.le(now_ms))).execute(conn)
}
