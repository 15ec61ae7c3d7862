//! Queries on `passkeys` and `passkey_ceremonies`. Credentials arrive here as the JSON
//! webauthn-rs makes of them; what is checked, and when a counter is refused, lives in
//! `accounts::passkeys`.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::{passkey_ceremonies, passkeys};

/// One passkey as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = passkeys)]
pub struct PasskeyRow {
    pub id: i64,
    pub user_id: i64,
    pub credential_id: String,
    pub user_handle: String,
    pub name: String,
    pub passkey: String,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A passkey to store.
#[derive(Debug, Insertable)]
#[diesel(table_name = passkeys)]
pub struct NewPasskey<'a> {
    pub user_id: i64,
    pub credential_id: &'a str,
    pub user_handle: &'a str,
    pub name: &'a str,
    pub passkey: &'a str,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub created_at: i64,
}

/// The account's passkeys, oldest first.
pub fn list_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<PasskeyRow>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .order(passkeys::id.asc())
        .select(PasskeyRow::as_select())
        .load(conn)
}

pub fn count_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

pub fn find_by_credential_id(
    conn: &mut DbConnection,
    credential_id: &str,
) -> QueryResult<Option<PasskeyRow>> {
    passkeys::table
        .filter(passkeys::credential_id.eq(credential_id))
        .select(PasskeyRow::as_select())
        .first(conn)
        .optional()
}

/// Stores a new passkey; a credential id already stored (on any account) is a unique violation.
pub fn insert(conn: &mut DbConnection, passkey: &NewPasskey) -> QueryResult<PasskeyRow> {
    let id: i64 = diesel::insert_into(passkeys::table)
        .values(passkey)
        .returning(passkeys::id)
        .get_result(conn)?;
    passkeys::table
        .find(id)
        .select(PasskeyRow::as_select())
        .first(conn)
}

pub fn rename(conn: &mut DbConnection, user_id: i64, id: i64, name: &str) -> QueryResult<usize> {
    diesel::update(
        passkeys::table
            .filter(passkeys::id.eq(id))
            .filter(passkeys::user_id.eq(user_id)),
    )
    .set(passkeys::name.eq(name))
    .execute(conn)
}

/// Deletes one of the account's passkeys, answering it; `None` when it is not theirs.
pub fn delete_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    id: i64,
) -> QueryResult<Option<PasskeyRow>> {
    let passkey = passkeys::table
        .find(id)
        .filter(passkeys::user_id.eq(user_id))
        .select(PasskeyRow::as_select())
        .first(conn)
        .optional()?;
    if passkey.is_some() {
        diesel::delete(passkeys::table.find(id)).execute(conn)?;
    }
    Ok(passkey)
}

/// Deletes every passkey of `user_id`; returns how many there were.
pub fn delete_all_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(passkeys::table.filter(passkeys::user_id.eq(user_id))).execute(conn)
}

/// After a use: the credential as webauthn-rs updated it, its counter and backup state.
pub fn record_use(
    conn: &mut DbConnection,
    id: i64,
    passkey: &str,
    sign_count: i64,
    backup_state: bool,
    now: i64,
) -> QueryResult<()> {
    diesel::update(passkeys::table.find(id))
        .set((
            passkeys::passkey.eq(passkey),
            passkeys::sign_count.eq(sign_count),
            passkeys::backup_state.eq(backup_state),
            passkeys::last_used_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A ceremony between its two requests.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = passkey_ceremonies)]
pub struct CeremonyRow {
    pub id: String,
    pub purpose: String,
    pub user_id: Option<i64>,
    pub state: String,
    pub expires_at: i64,
}

pub fn insert_ceremony(conn: &mut DbConnection, ceremony: &CeremonyRow) -> QueryResult<()> {
    diesel::insert_into(passkey_ceremonies::table)
        .values(ceremony)
        .execute(conn)?;
    Ok(())
}

/// Takes a ceremony: it is deleted, and answered only if this call deleted it and it had
/// not expired, so a ceremony finishes once even when two requests race for it (the
/// second delete waits for the first transaction and then finds nothing).
pub fn take_ceremony(
    conn: &mut DbConnection,
    id: &str,
    now: i64,
) -> QueryResult<Option<CeremonyRow>> {
    let ceremony = passkey_ceremonies::table
        .find(id)
        .select(CeremonyRow::as_select())
        .first(conn)
        .optional()?;
    let Some(ceremony) = ceremony else {
        return Ok(None);
    };
    let deleted = diesel::delete(passkey_ceremonies::table.find(id)).execute(conn)?;
    Ok(Some(ceremony).filter(|c| deleted == 1 && c.expires_at > now))
}

/// Forgets ceremonies that were never finished.
pub fn purge_expired_ceremonies(conn: &mut DbConnection, now: i64) -> QueryResult<usize> {
    diesel::delete(passkey_ceremonies::table.filter(passkey_ceremonies::expires_at.le(now)))
        .execute(conn)
}
