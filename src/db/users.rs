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
