//! Queries on the `audit_events` table. Rows are only ever inserted and read — except that
//! when an account is deleted, its email in the rows about it becomes a tombstone id.

use diesel::prelude::*;

use super::DbConnection;
use super::models::{AuditEvent, NewAuditEvent};
use super::schema::audit_events;

pub fn insert(conn: &mut DbConnection, event: &NewAuditEvent) -> QueryResult<usize> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
}

/// The newest events that concern one user, as actor or as target.
pub fn recent_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(
            audit_events::target_id
                .eq(user_id)
                .or(audit_events::actor_id.eq(user_id)),
        )
        .order(audit_events::id.desc())
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)
}

/// The newest `limit` events that concern one user, oldest first: for their export.
pub fn all_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    let mut events = recent_for_user(conn, user_id, limit)?;
    events.reverse();
    Ok(events)
}

diesel::define_sql_function! {
    /// SQL's `replace(text, from, to)` (the same on SQLite and PostgreSQL).
    fn replace(text: diesel::sql_types::Nullable<diesel::sql_types::Text>, from: diesel::sql_types::Text, to: diesel::sql_types::Text) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Replaces a deleted account's email with `tombstone` wherever the rows about it name it:
/// as actor, as target (also rows that named only the email, such as failed logins), and
/// inside their details. The rows stay; who they were about no longer reads off them.
pub fn tombstone(
    conn: &mut DbConnection,
    user_id: i64,
    email: &str,
    tombstone: &str,
) -> QueryResult<usize> {
    use audit_events::{actor, actor_id, detail, target, target_id};
    let as_actor = diesel::update(audit_events::table.filter(actor_id.eq(user_id)))
        .set(actor.eq(tombstone))
        .execute(conn)?;
    let as_target =
        diesel::update(audit_events::table.filter(target_id.eq(user_id).or(target.eq(email))))
            .set(target.eq(tombstone))
            .execute(conn)?;
    diesel::update(audit_events::table.filter(target_id.eq(user_id).or(actor_id.eq(user_id))))
        .set(detail.eq(replace(detail, email, tombstone)))
        .execute(conn)?;
    Ok(as_actor + as_target)
}

/// Filters of the audit page; each is an exact match (emails as recorded, lower-case).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<String>,
}

/// Up to `limit` events older than `before` (newest first), and whether more are older.
pub fn page(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<(Vec<AuditEvent>, bool)> {
    let mut query = audit_events::table.into_boxed::<super::connection::MultiBackend>();
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::actor.eq(actor.clone()));
    }
    if let Some(target) = &filter.target {
        query = query.filter(audit_events::target.eq(target.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before));
    }
    let mut rows: Vec<AuditEvent> = query
        .order(audit_events::id.desc())
        .limit(limit + 1)
        .select(AuditEvent::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
