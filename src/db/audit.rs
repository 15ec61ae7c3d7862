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
