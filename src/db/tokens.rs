//! Queries on `one_time_tokens`: setup, password-reset and verification links, stored as
//! SHA-256 hashes and usable once.

use diesel::prelude::*;

use super::DbConnection;
use super::models::OneTimeToken;
use super::schema::one_time_tokens;

pub fn insert(
    conn: &mut DbConnection,
    purpose: &str,
    token_hash: &str,
    user_id: Option<i64>,
    now: i64,
    expires_at: i64,
) -> QueryResult<usize> {
    diesel::insert_into(one_time_tokens::table)
        .values((
            one_time_tokens::purpose.eq(purpose),
            one_time_tokens::token_hash.eq(token_hash),
            one_time_tokens::user_id.eq(user_id),
            one_time_tokens::created_at.eq(now),
            one_time_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// A token of `purpose` that is neither used nor expired.
pub fn find_usable(
    conn: &mut DbConnection,
    purpose: &str,
    token_hash: &str,
    now: i64,
) -> QueryResult<Option<OneTimeToken>> {
    one_time_tokens::table
        .filter(one_time_tokens::purpose.eq(purpose))
        .filter(one_time_tokens::token_hash.eq(token_hash))
        .filter(one_time_tokens::used_at.is_null())
        .filter(one_time_tokens::expires_at.gt(now))
        .select(OneTimeToken::as_select())
        .first(conn)
        .optional()
}

/// Marks a token used; false when another request used it first.
pub fn consume(conn: &mut DbConnection, id: i64, now: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        one_time_tokens::table
            .find(id)
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn purge_expired(conn: &mut DbConnection, now: i64) -> QueryResult<usize> {
    diesel::delete(one_time_tokens::table.filter(one_time_tokens::expires_at.le(now))).execute(conn)
}

/// Removes the tokens of one purpose that belong to a user (a newer link replaces them).
pub fn delete_for_user(conn: &mut DbConnection, purpose: &str, user_id: i64) -> QueryResult<usize> {
    diesel::delete(
        one_time_tokens::table
            .filter(one_time_tokens::purpose.eq(purpose))
            .filter(one_time_tokens::user_id.eq(user_id)),
    )
    .execute(conn)
}

/// When the newest token of this purpose was issued to a user.
pub fn latest_issued(
    conn: &mut DbConnection,
    purpose: &str,
    user_id: i64,
) -> QueryResult<Option<i64>> {
    one_time_tokens::table
        .filter(one_time_tokens::purpose.eq(purpose))
        .filter(one_time_tokens::user_id.eq(user_id))
        .select(diesel::dsl::max(one_time_tokens::created_at))
        .first(conn)
}
