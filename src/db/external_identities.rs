//! Queries on `external_identities`: which provider accounts open which Gatehouse accounts.
//! The rules (who may link what, the last way in) live in `accounts::external_sign_in`.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::external_identities;

/// One linked provider account as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = external_identities)]
pub struct ExternalIdentityRow {
    pub id: i64,
    pub user_id: i64,
    pub provider: String,
    pub subject: String,
    /// The email the provider gave when it was linked.
    pub email: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A provider account to link.
#[derive(Debug, Insertable)]
#[diesel(table_name = external_identities)]
pub struct NewExternalIdentity<'a> {
    pub user_id: i64,
    pub provider: &'a str,
    pub subject: &'a str,
    pub email: Option<&'a str>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The account linked to this provider account, if any.
pub fn find_by_subject(
    conn: &mut DbConnection,
    provider: &str,
    subject: &str,
) -> QueryResult<Option<ExternalIdentityRow>> {
    external_identities::table
        .filter(external_identities::provider.eq(provider))
        .filter(external_identities::subject.eq(subject))
        .select(ExternalIdentityRow::as_select())
        .first(conn)
        .optional()
}

/// The account's linked providers, in the order they were linked.
pub fn list_for_user(
    conn: &mut DbConnection,
    user_id: i64,
) -> QueryResult<Vec<ExternalIdentityRow>> {
    external_identities::table
        .filter(external_identities::user_id.eq(user_id))
        .order(external_identities::id.asc())
        .select(ExternalIdentityRow::as_select())
        .load(conn)
}

pub fn count_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
    external_identities::table
        .filter(external_identities::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// Links a provider account; one already linked (anywhere), or a second link of the same
/// provider to one account, is a unique violation.
pub fn insert(conn: &mut DbConnection, identity: &NewExternalIdentity) -> QueryResult<()> {
    diesel::insert_into(external_identities::table)
        .values(identity)
        .execute(conn)
        .map(drop)
}

/// Records a sign-in with this link.
pub fn touch(conn: &mut DbConnection, id: i64, now: i64) -> QueryResult<()> {
    diesel::update(external_identities::table.find(id))
        .set(external_identities::last_used_at.eq(Some(now)))
        .execute(conn)
        .map(drop)
}

/// Unlinks the account's link to `provider`; whether there was one.
pub fn delete(conn: &mut DbConnection, user_id: i64, provider: &str) -> QueryResult<bool> {
    diesel::delete(
        external_identities::table
            .filter(external_identities::user_id.eq(user_id))
            .filter(external_identities::provider.eq(provider)),
    )
    .execute(conn)
    .map(|n| n > 0)
}
