//! Queries on `deletion_requests` (deletions an account's owner asked an admin for) and
//! `invitations` (pending invitations, their tokens stored as hashes). The rules live in
//! `accounts::own_data` and `accounts::invitations`.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::{deletion_requests, invitations};

/// When the owner of `user_id` asked for its deletion, if they did.
pub fn deletion_requested_at(conn: &mut DbConnection, user_id: i64) -> QueryResult<Option<i64>> {
    deletion_requests::table
        .find(user_id)
        .select(deletion_requests::requested_at)
        .first(conn)
        .optional()
}

/// Records a deletion request (a second one keeps the first's time).
pub fn request_deletion(conn: &mut DbConnection, user_id: i64, now: i64) -> QueryResult<()> {
    if deletion_requested_at(conn, user_id)?.is_none() {
        diesel::insert_into(deletion_requests::table)
            .values((
                deletion_requests::user_id.eq(user_id),
                deletion_requests::requested_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Withdraws a deletion request; whether there was one.
pub fn withdraw_deletion(conn: &mut DbConnection, user_id: i64) -> QueryResult<bool> {
    diesel::delete(deletion_requests::table.find(user_id))
        .execute(conn)
        .map(|n| n > 0)
}

/// The accounts whose owners asked for deletion, oldest request first: (user id, when).
pub fn deletion_requests(conn: &mut DbConnection) -> QueryResult<Vec<(i64, i64)>> {
    deletion_requests::table
        .order(deletion_requests::requested_at.asc())
        .select((deletion_requests::user_id, deletion_requests::requested_at))
        .load(conn)
}

/// A pending invitation as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct InvitationRow {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub token_hash: String,
    pub invited_by: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An invitation to store.
#[derive(Debug, Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation<'a> {
    pub email: &'a str,
    pub role: &'a str,
    pub token_hash: &'a str,
    pub invited_by: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Stores an invitation; one already stored for the email is a unique violation.
pub fn insert_invitation(conn: &mut DbConnection, row: &NewInvitation) -> QueryResult<i64> {
    diesel::insert_into(invitations::table)
        .values(row)
        .returning(invitations::id)
        .get_result(conn)
}

/// The invitations not yet expired, newest first.
pub fn pending_invitations(conn: &mut DbConnection, now: i64) -> QueryResult<Vec<InvitationRow>> {
    invitations::table
        .filter(invitations::expires_at.gt(now))
        .order(invitations::id.desc())
        .select(InvitationRow::as_select())
        .load(conn)
}

pub fn find_invitation(conn: &mut DbConnection, id: i64) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .find(id)
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()
}

/// The invitation with this token hash, if it has not expired.
pub fn find_usable_invitation(
    conn: &mut DbConnection,
    token_hash: &str,
    now: i64,
) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .filter(invitations::expires_at.gt(now))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()
}

/// The invitation for this email (expired or not).
pub fn find_invitation_by_email(
    conn: &mut DbConnection,
    email: &str,
) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .filter(invitations::email.eq(email))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()
}

/// A new token and expiry for an invitation (resending it ends the old link).
pub fn renew_invitation(
    conn: &mut DbConnection,
    id: i64,
    token_hash: &str,
    expires_at: i64,
) -> QueryResult<bool> {
    diesel::update(invitations::table.find(id))
        .set((
            invitations::token_hash.eq(token_hash),
            invitations::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|n| n > 0)
}

/// Deletes an invitation (accepted or revoked); whether it was there (another request may
/// have taken it first).
pub fn delete_invitation(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    diesel::delete(invitations::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}

/// Deletes expired invitations (the purge job).
pub fn purge_expired_invitations(conn: &mut DbConnection, now: i64) -> QueryResult<usize> {
    diesel::delete(invitations::table.filter(invitations::expires_at.le(now))).execute(conn)
}
