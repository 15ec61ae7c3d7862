//! Queries on `login_throttles`: counting an account's failed password logins and locking
//! it. The policy (how many, how long) lives in `accounts::login`; these only store it.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::DbConnection;
use super::schema::login_throttles;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = login_throttles)]
pub struct Throttle {
    pub user_id: i64,
    pub failures: i64,
    pub window_started_at: i64,
    pub locked_until: Option<i64>,
    pub lockouts: i64,
}

pub fn find(conn: &mut DbConnection, user_id: i64) -> QueryResult<Option<Throttle>> {
    login_throttles::table
        .find(user_id)
        .select(Throttle::as_select())
        .first(conn)
        .optional()
}

/// Counts one failure in the window that started at most `window` seconds ago (or starts a
/// new one). Call inside a transaction: the first statement writes, which serialises
/// concurrent failures on both backends. Returns the row after the count.
pub fn count_failure(
    conn: &mut DbConnection,
    user_id: i64,
    now: i64,
    window: i64,
) -> QueryResult<Throttle> {
    diesel::sql_query(
        "INSERT INTO login_throttles (user_id, failures, window_started_at, lockouts) VALUES ($1, 0, $2, 0) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind::<BigInt, _>(user_id)
    .bind::<BigInt, _>(now)
    .execute(conn)?;
    // Each placeholder appears once and in order: SQLite numbers `$n` by first appearance.
    let cutoff = now - window;
    diesel::sql_query(
        "UPDATE login_throttles SET \
           failures = CASE WHEN window_started_at <= $1 THEN 1 ELSE failures + 1 END, \
           window_started_at = CASE WHEN window_started_at <= $2 THEN $3 ELSE window_started_at END \
         WHERE user_id = $4",
    )
    .bind::<BigInt, _>(cutoff)
    .bind::<BigInt, _>(cutoff)
    .bind::<BigInt, _>(now)
    .bind::<BigInt, _>(user_id)
    .execute(conn)?;
    login_throttles::table
        .find(user_id)
        .select(Throttle::as_select())
        .first(conn)
}

/// Locks the account until `until` and starts counting afresh.
pub fn lock(conn: &mut DbConnection, user_id: i64, until: i64) -> QueryResult<usize> {
    diesel::update(login_throttles::table.find(user_id))
        .set((
            login_throttles::locked_until.eq(Some(until)),
            login_throttles::lockouts.eq(login_throttles::lockouts + 1),
            login_throttles::failures.eq(0),
        ))
        .execute(conn)
}

/// Forgets failures and lockouts (a successful login, or an admin lifting a lock).
pub fn clear(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(login_throttles::table.find(user_id)).execute(conn)
}
