//! Queries on the `users` table.

use diesel::prelude::*;

use super::DbConnection;
use super::models::{NewUserRow, User};
use super::schema::users;

pub fn find_by_id(conn: &mut DbConnection, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// `email` must already be normalised by [`crate::domain::Email`].
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Inserts a user and returns its id; a taken email comes back as a unique violation.
pub fn insert(conn: &mut DbConnection, row: &NewUserRow<'_>) -> QueryResult<i64> {
    diesel::insert_into(users::table)
        .values(row)
        .returning(users::id)
        .get_result(conn)
}

pub fn update_profile(
    conn: &mut DbConnection,
    id: i64,
    name: &str,
    email: &str,
    now: i64,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::name.eq(name),
            users::email.eq(email),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// `Some(time)` marks the email verified then; `None` marks it unverified.
pub fn set_email_verified(
    conn: &mut DbConnection,
    id: i64,
    verified_at: Option<i64>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::email_verified_at.eq(verified_at))
        .execute(conn)
}

pub fn set_password_hash(
    conn: &mut DbConnection,
    id: i64,
    hash: &str,
    now: i64,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)
}

pub fn record_login(conn: &mut DbConnection, id: i64, now: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(Some(now)))
        .execute(conn)
}

pub fn active_admin_exists(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(users::role.eq("admin"))
            .filter(users::active.eq(true)),
    ))
    .get_result(conn)
}

/// Whether an active admin other than `except` exists.
pub fn other_active_admin_exists(conn: &mut DbConnection, except: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(users::role.eq("admin"))
            .filter(users::active.eq(true))
            .filter(users::id.ne(except)),
    ))
    .get_result(conn)
}

/// What an admin may change on an account.
pub struct AdminChanges<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub active: bool,
    pub password_hash: Option<&'a str>,
}

pub fn apply_admin_changes(
    conn: &mut DbConnection,
    id: i64,
    changes: &AdminChanges<'_>,
    now: i64,
) -> QueryResult<usize> {
    let target = users::table.find(id);
    let updated = diesel::update(target)
        .set((
            users::name.eq(changes.name),
            users::email.eq(changes.email),
            users::role.eq(changes.role),
            users::active.eq(changes.active),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    if let Some(hash) = changes.password_hash {
        set_password_hash(conn, id, hash, now)?;
    }
    Ok(updated)
}

/// Serialises changes to admin accounts, so that two admins demoting each other at once
/// cannot leave none. Call first thing inside a transaction of `Db::transaction`.
pub fn lock_admin_changes(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        // Held until the transaction ends.
        DbConnection::Postgres(_) => diesel::sql_query("SELECT pg_advisory_xact_lock(7271650002)")
            .execute(conn)
            .map(drop),
        // `BEGIN IMMEDIATE` already holds SQLite's one write lock for the whole transaction.
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Deletes an account; its sessions and tokens go with it (foreign keys cascade).
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(users::table.find(id)).execute(conn)
}

/// The accounts with these ids (missing ids are skipped), by email.
pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::id.eq_any(ids))
        .order(users::email.asc())
        .select(User::as_select())
        .load(conn)
}

pub fn set_active(conn: &mut DbConnection, id: i64, active: bool, now: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::active.eq(active), users::updated_at.eq(now)))
        .execute(conn)
}
