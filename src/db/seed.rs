//! Bulk fake users for benchmarks and demos (`gatehouse seed-users`): `user<i>@example.com`,
//! `Given<i> Family<i>`, role `user`, all sharing one password hash. Rows are written as
//! multi-row INSERTs of generated literals (no user input reaches this SQL) and existing
//! emails are skipped, so a re-run adds only what is missing.

use std::fmt::Write;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::DbConnection;

/// Rows per INSERT statement.
pub const ROWS_PER_STATEMENT: i64 = 1_000;
/// Seeded sign-ups are this far apart, user `total` being the newest: a million users span
/// about three years (some 900 a day), like a real user base rather than one busy afternoon.
pub const SECONDS_BETWEEN_SIGNUPS: i64 = 95;

/// Inserts users `first..=last` of `total` (skipping emails that exist); returns how many
/// were new.
pub fn insert_range(
    conn: &mut DbConnection,
    first: i64,
    last: i64,
    total: i64,
    password_hash: &str,
    now: i64,
) -> QueryResult<usize> {
    assert!(
        password_hash
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "$./".contains(c)),
        "a bcrypt hash has no quoting characters"
    );
    let mut inserted = 0;
    let mut start = first;
    while start <= last {
        let end = (start + ROWS_PER_STATEMENT - 1).min(last);
        let mut sql = String::with_capacity(((end - start + 1) * 160) as usize);
        sql.push_str("INSERT INTO users (email, name, password_hash, role, active, created_at, updated_at, last_login_at) VALUES ");
        for i in start..=end {
            // Every other user has logged in at some point in the last 30 days.
            let created = now - (total - i) * SECONDS_BETWEEN_SIGNUPS;
            let last_login = if i % 2 == 0 {
                (now - (i * 7919) % 2_592_000).to_string()
            } else {
                "NULL".into()
            };
            let separator = if i == start { "" } else { "," };
            let _ = write!(
                sql,
                "{separator}('user{i}@example.com','Given{i} Family{i}','{password_hash}','user',TRUE,{created},{created},{last_login})"
            );
        }
        sql.push_str(" ON CONFLICT (email) DO NOTHING");
        inserted += diesel::sql_query(sql).execute(conn)?;
        start = end + 1;
    }
    Ok(inserted)
}

/// Refreshes the planner's statistics after a bulk load (and, on PostgreSQL, the
/// visibility map that index-only scans need).
pub fn analyze(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => conn.batch_execute("ANALYZE"),
        DbConnection::Postgres(_) => conn.batch_execute("VACUUM ANALYZE users"),
    }
}
