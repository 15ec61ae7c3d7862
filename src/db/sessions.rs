//! Queries on the `sessions` table: server-side session rows keyed by the SHA-256 of the
//! cookie's random key (the key itself is never stored).

use diesel::prelude::*;

use super::DbConnection;
use super::models::{NewSessionRow, SessionRow, User};
use super::schema::{sessions, users};

pub fn find_by_key_hash(
    conn: &mut DbConnection,
    key_hash: &str,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .filter(sessions::key_hash.eq(key_hash))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

/// The session with this key and, in the same statement, the account it is logged in as.
/// Run on every logged-in request, so on the backend's own connection (`on_the_backend!`).
pub fn find_with_user(
    conn: &mut DbConnection,
    key_hash: &str,
) -> QueryResult<Option<(SessionRow, Option<User>)>> {
    crate::on_the_backend!(conn, |c| {
        sessions::table
            .left_join(users::table)
            .filter(sessions::key_hash.eq(key_hash))
            .select((SessionRow::as_select(), Option::<User>::as_select()))
            .first(c)
            .optional()
    })
}

pub fn insert(conn: &mut DbConnection, row: &NewSessionRow) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)
}

/// The columns a state change may move; the row's times are kept.
pub struct SessionStateUpdate<'a> {
    pub state: &'a str,
    pub public_id: &'a str,
    pub user_id: Option<i64>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Updates an existing row only: a session revoked meanwhile stays revoked.
pub fn update_state(
    conn: &mut DbConnection,
    key_hash: &str,
    update: &SessionStateUpdate<'_>,
) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::key_hash.eq(key_hash)))
        .set((
            sessions::state.eq(update.state),
            sessions::public_id.eq(update.public_id),
            sessions::user_id.eq(update.user_id),
            sessions::ip.eq(update.ip),
            sessions::user_agent.eq(update.user_agent),
        ))
        .execute(conn)
}

pub fn touch(conn: &mut DbConnection, id: i64, now: i64, expires_at: i64) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

pub fn delete_by_key_hash(conn: &mut DbConnection, key_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::key_hash.eq(key_hash))).execute(conn)
}

/// Ends every session of `user_id` except the one with `keep_public_id`.
pub fn delete_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    keep_public_id: Option<&str>,
) -> QueryResult<usize> {
    let of_user = sessions::table.filter(sessions::user_id.eq(user_id));
    match keep_public_id {
        Some(keep) => diesel::delete(of_user.filter(sessions::public_id.ne(keep))).execute(conn),
        None => diesel::delete(of_user).execute(conn),
    }
}

pub fn delete_one_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    public_id: &str,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::public_id.eq(public_id)),
    )
    .execute(conn)
}

pub fn live_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    now: i64,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::absolute_expires_at.gt(now))
        .order(sessions::last_seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

pub fn purge_expired(conn: &mut DbConnection, now: i64) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .le(now)
                .or(sessions::absolute_expires_at.le(now)),
        ),
    )
    .execute(conn)
}
