//! Queries on `api_tokens`. Tokens arrive here already hashed; the rules (format, expiry,
//! how often `last_used_at` is written) live in `accounts::api_tokens`, not here.

use diesel::prelude::*;

use super::DbConnection;
use super::models::{ApiTokenRow, User};
use super::schema::{api_tokens, users};

pub struct NewApiToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// Stores a token and returns its id.
pub fn insert(conn: &mut DbConnection, token: &NewApiToken<'_>) -> QueryResult<i64> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(token.user_id),
            api_tokens::name.eq(token.name),
            api_tokens::token_hash.eq(token.token_hash),
            api_tokens::created_at.eq(token.created_at),
            api_tokens::expires_at.eq(token.expires_at),
        ))
        .returning(api_tokens::id)
        .get_result(conn)
}

/// A user's tokens, newest first.
pub fn list_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<ApiTokenRow>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::id.desc())
        .select(ApiTokenRow::as_select())
        .load(conn)
}

/// The unexpired token with this hash and its owner, as the owner is now. Run on every
/// API request, so on the backend's own connection (`on_the_backend!`).
pub fn find_usable(
    conn: &mut DbConnection,
    token_hash: &str,
    now: i64,
) -> QueryResult<Option<(ApiTokenRow, User)>> {
    crate::on_the_backend!(conn, |c| {
        api_tokens::table
            .inner_join(users::table)
            .filter(api_tokens::token_hash.eq(token_hash))
            .filter(
                api_tokens::expires_at
                    .is_null()
                    .or(api_tokens::expires_at.gt(now)),
            )
            .select((ApiTokenRow::as_select(), User::as_select()))
            .first(c)
            .optional()
    })
}

pub fn touch(conn: &mut DbConnection, id: i64, now: i64) -> QueryResult<usize> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(Some(now)))
        .execute(conn)
}

/// Deletes one of `user_id`'s tokens and returns it; `None` if it is not theirs.
pub fn delete_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    id: i64,
) -> QueryResult<Option<ApiTokenRow>> {
    let token = api_tokens::table
        .find(id)
        .filter(api_tokens::user_id.eq(user_id))
        .select(ApiTokenRow::as_select())
        .first(conn)
        .optional()?;
    if token.is_some() {
        diesel::delete(api_tokens::table.find(id)).execute(conn)?;
    }
    Ok(token)
}

/// Deletes every token of `user_id`; returns how many there were.
pub fn delete_all_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id))).execute(conn)
}

/// How many tokens `user_id` has.
pub fn count_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .count()
        .get_result(conn)
}
