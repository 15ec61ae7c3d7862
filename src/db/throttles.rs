//! Queries on `login_throttles`: counting failed password logins per typed email (whether
//! or not an account has it) and locking it. The policy (how many, how long, how the email
//! is normalised) lives in `accounts::login`; these only store it.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::DbConnection;
use super::schema::login_throttles;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = login_throttles)]
pub struct Throttle {
    pub email: String,
    pub failures: i64,
    pub window_started_at: i64,
    pub locked_until: Option<i64>,
    pub lockouts: i64,
}

pub fn find(conn: &mut DbConnection, email: &str) -> QueryResult<Option<Throttle>> {
    login_throttles::table
        .find(email)
        .select(Throttle::as_select())
        .first(conn)
        .optional()
}

/// Counts one failure in the window that started at most `window` seconds ago (or starts a
/// new one). Call inside a transaction: the first statement writes, which serialises
/// concurrent failures on both backends. Returns the row after the count.
pub fn count_failure(
    conn: &mut DbConnection,
    email: &str,
    now: i64,
    window: i64,
) -> QueryResult<Throttle> {
    diesel::sql_query(
        "INSERT INTO login_throttles (email, failures, window_started_at, lockouts) VALUES ($1, 0, $2, 0) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind::<Text, _>(email)
    .bind::<BigInt, _>(now)
    .execute(conn)?;
    // Each placeholder appears once and in order: SQLite numbers `$n` by first appearance.
    let cutoff = now - window;
    diesel::sql_query(
        "UPDATE login_throttles SET \
           failures = CASE WHEN window_started_at <= $1 THEN 1 ELSE failures + 1 END, \
           window_started_at = CASE WHEN window_started_at <= $2 THEN $3 ELSE window_started_at END \
         WHERE email = $4",
    )
    .bind::<BigInt, _>(cutoff)
    .bind::<BigInt, _>(cutoff)
    .bind::<BigInt, _>(now)
    .bind::<Text, _>(email)
    .execute(conn)?;
    login_throttles::table
        .find(email)
        .select(Throttle::as_select())
        .first(conn)
}

/// Locks the account until `until` and starts counting afresh.
pub fn lock(conn: &mut DbConnection, email: &str, until: i64) -> QueryResult<usize> {
    diesel::update(login_throttles::table.find(email))
        .set((
            login_throttles::locked_until.eq(Some(until)),
            login_throttles::lockouts.eq(login_throttles::lockouts + 1),
            login_throttles::failures.eq(0),
        ))
        .execute(conn)
}

/// Forgets failures and lockouts (a successful login, or an admin lifting a lock).
pub fn clear(conn: &mut DbConnection, email: &str) -> QueryResult<usize> {
    diesel::delete(login_throttles::table.find(email)).execute(conn)
}

/// Forgets counts that ended before `cutoff`: no failure in a window since, no lock since.
pub fn purge_older_than(conn: &mut DbConnection, cutoff: i64) -> QueryResult<usize> {
    diesel::delete(
        login_throttles::table
            .filter(login_throttles::window_started_at.lt(cutoff))
            .filter(
                login_throttles::locked_until
                    .is_null()
                    .or(login_throttles::locked_until.lt(cutoff)),
            ),
    )
    .execute(conn)
}
