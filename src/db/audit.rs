//! Queries on the `audit_events` table. Rows are only ever inserted and read.

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
