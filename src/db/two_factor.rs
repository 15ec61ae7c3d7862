//! Queries on `totp_secrets`, `recovery_codes` and `users.two_factor_since`. Secrets arrive
//! here sealed and codes hashed; the rules (which step is accepted, when a code is used
//! up) live in `accounts::two_factor`.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::{recovery_codes, totp_secrets, users};

/// An account's authenticator secret as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = totp_secrets)]
pub struct TotpSecretRow {
    pub user_id: i64,
    pub sealed_secret: String,
    pub confirmed_at: Option<i64>,
    pub created_at: i64,
    pub last_used_step: i64,
}

pub fn find_secret(conn: &mut DbConnection, user_id: i64) -> QueryResult<Option<TotpSecretRow>> {
    totp_secrets::table
        .find(user_id)
        .select(TotpSecretRow::as_select())
        .first(conn)
        .optional()
}

/// Stores a new, unconfirmed secret in place of any earlier one.
pub fn replace_secret(
    conn: &mut DbConnection,
    user_id: i64,
    sealed_secret: &str,
    now: i64,
) -> QueryResult<()> {
    delete_secret(conn, user_id)?;
    diesel::insert_into(totp_secrets::table)
        .values((
            totp_secrets::user_id.eq(user_id),
            totp_secrets::sealed_secret.eq(sealed_secret),
            totp_secrets::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes the code of `step` for the account: true once per step and only for a step later
/// than the last one taken, so a code cannot be used twice, even by two requests at once.
pub fn take_step(conn: &mut DbConnection, user_id: i64, step: i64) -> QueryResult<bool> {
    let taken = diesel::update(
        totp_secrets::table
            .filter(totp_secrets::user_id.eq(user_id))
            .filter(totp_secrets::last_used_step.lt(step)),
    )
    .set(totp_secrets::last_used_step.eq(step))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Marks set-up done: the secret is confirmed and the account has two-step login from `now`.
pub fn confirm(conn: &mut DbConnection, user_id: i64, now: i64) -> QueryResult<()> {
    diesel::update(totp_secrets::table.find(user_id))
        .set(totp_secrets::confirmed_at.eq(now))
        .execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set((users::two_factor_since.eq(now), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

fn delete_secret(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(totp_secrets::table.filter(totp_secrets::user_id.eq(user_id))).execute(conn)
}

/// Turns two-step login off: the secret and every recovery code are deleted.
pub fn turn_off(conn: &mut DbConnection, user_id: i64, now: i64) -> QueryResult<()> {
    delete_secret(conn, user_id)?;
    delete_recovery_codes(conn, user_id)?;
    diesel::update(users::table.find(user_id))
        .set((
            users::two_factor_since.eq(None::<i64>),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

fn delete_recovery_codes(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)
}

/// Replaces every recovery code of the account (the old ones die) with these hashes.
pub fn replace_recovery_codes(
    conn: &mut DbConnection,
    user_id: i64,
    code_hashes: &[String],
    now: i64,
) -> QueryResult<()> {
    delete_recovery_codes(conn, user_id)?;
    // One statement per code: a multi-backend connection has no batch insert.
    for hash in code_hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
                recovery_codes::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses up the recovery code with this hash: true if it was there and unused.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    user_id: i64,
    code_hash: &str,
    now: i64,
) -> QueryResult<bool> {
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(code_hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(used == 1)
}

/// How many unused recovery codes the account has left.
pub fn recovery_codes_left(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}
