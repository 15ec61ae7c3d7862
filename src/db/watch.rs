//! What each pooled connection is asked, watched through Diesel's instrumentation: every
//! query is counted as a read, a write, a check or other (`BEGIN`, `PRAGMA`, …) for
//! `/metrics` and for the tests that hold a logged-in page to one read and no write. The
//! watch also tells the pool what it needs without another round trip: a connection whose
//! query failed for want of a connection is broken, and one that answered a moment ago
//! needs no check before it is lent again — unless, since then, some connection of the pool
//! lost the database (a restart ends them all: each is checked before its next use).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::result::{DatabaseErrorKind, Error};

/// The query the pool sends to check a connection that has been idle.
pub const CHECK: &str = "SELECT 'alive'";
/// A connection that answered within this long is lent again without a check.
pub const FRESH_FOR: Duration = Duration::from_secs(2);

/// Queries run by the connections of one pool, by kind.
#[derive(Debug, Default)]
pub struct QueryCounts {
    reads: AtomicU64,
    writes: AtomicU64,
    checks: AtomicU64,
    other: AtomicU64,
    /// How many times a connection of the pool found the database gone.
    losses: AtomicU64,
}

/// What kind of statement a query is, from its first word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    Read,
    Write,
    Check,
    Other,
}

impl QueryKind {
    pub const ALL: [QueryKind; 4] = [Self::Read, Self::Write, Self::Check, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Check => "check",
            Self::Other => "other",
        }
    }

    fn of(sql: &str) -> Self {
        let sql = sql.trim_start();
        if sql.starts_with(CHECK) {
            return Self::Check;
        }
        let word = sql
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or("");
        match word.to_ascii_uppercase().as_str() {
            "SELECT" | "WITH" => Self::Read,
            "INSERT" | "UPDATE" | "DELETE" | "REPLACE" => Self::Write,
            _ => Self::Other,
        }
    }
}

impl QueryCounts {
    pub fn get(&self, kind: QueryKind) -> u64 {
        self.counter(kind).load(Ordering::Relaxed)
    }

    fn counter(&self, kind: QueryKind) -> &AtomicU64 {
        match kind {
            QueryKind::Read => &self.reads,
            QueryKind::Write => &self.writes,
            QueryKind::Check => &self.checks,
            QueryKind::Other => &self.other,
        }
    }
}

/// The instrumentation of one pooled connection.
pub struct ConnectionWatch {
    counts: Arc<QueryCounts>,
    broken: bool,
    last_answer: Option<Instant>,
    /// The pool's losses when this connection last answered.
    losses_seen: u64,
}

impl ConnectionWatch {
    pub fn new(counts: Arc<QueryCounts>) -> Self {
        Self {
            counts,
            broken: false,
            last_answer: None,
            losses_seen: 0,
        }
    }

    /// A query failed because the connection is gone: the pool must not lend it again.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// The connection answered a moment ago, and no connection of the pool lost the
    /// database since: it needs no check before it is lent.
    pub fn answered_recently(&self) -> bool {
        self.last_answer.is_some_and(|at| at.elapsed() < FRESH_FOR)
            && self.losses_seen == self.counts.losses.load(Ordering::Relaxed)
    }
}

impl Instrumentation for ConnectionWatch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        let InstrumentationEvent::FinishQuery { query, error, .. } = event else {
            return;
        };
        let mut start = Start::default();
        // Only the first words are written; the rest of the query is cut short.
        let _ = write!(start, "{query}");
        let kind = QueryKind::of(start.as_str());
        self.counts.counter(kind).fetch_add(1, Ordering::Relaxed);
        match error {
            None => {
                self.last_answer = Some(Instant::now());
                self.losses_seen = self.counts.losses.load(Ordering::Relaxed);
            }
            Some(error) => {
                // Checked before its next use, whatever went wrong.
                self.last_answer = None;
                self.broken |= is_connection_lost(error);
                // Not a refusal of the data (a taken email, …): the database itself may be
                // going away (a restart first terminates every backend), so every
                // connection of the pool is checked before its next use.
                if !is_about_the_data(error) {
                    self.counts.losses.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

fn is_about_the_data(error: &Error) -> bool {
    matches!(
        error,
        Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation
                | DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::NotNullViolation
                | DatabaseErrorKind::CheckViolation
                | DatabaseErrorKind::RestrictViolation
                | DatabaseErrorKind::ExclusionViolation
                | DatabaseErrorKind::SerializationFailure,
            _
        ) | Error::NotFound
    )
}

fn is_connection_lost(error: &Error) -> bool {
    matches!(
        error,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | Error::BrokenTransactionManager
    )
}

/// The first bytes of a query's text; writing more is refused, which ends the formatting.
#[derive(Default)]
struct Start {
    bytes: [u8; 24],
    len: usize,
}

impl Start {
    fn as_str(&self) -> &str {
        // Cut on a character boundary: the prefix of valid UTF-8 up to `len`.
        let bytes = &self.bytes[..self.len];
        match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => std::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or(""),
        }
    }
}

impl std::fmt::Write for Start {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let room = self.bytes.len() - self.len;
        let taken = text.len().min(room);
        self.bytes[self.len..self.len + taken].copy_from_slice(&text.as_bytes()[..taken]);
        self.len += taken;
        if taken < text.len() {
            Err(std::fmt::Error)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_counted_by_their_first_word() {
        assert_eq!(
            QueryKind::of("SELECT \"users\".\"id\" FROM"),
            QueryKind::Read
        );
        assert_eq!(QueryKind::of("  select 1"), QueryKind::Read);
        assert_eq!(QueryKind::of("INSERT INTO users"), QueryKind::Write);
        assert_eq!(QueryKind::of("UPDATE \"sessions\" SET"), QueryKind::Write);
        assert_eq!(QueryKind::of("DELETE FROM x"), QueryKind::Write);
        assert_eq!(QueryKind::of("BEGIN IMMEDIATE"), QueryKind::Other);
        assert_eq!(QueryKind::of(CHECK), QueryKind::Check);
    }

    #[test]
    fn only_the_start_of_a_long_query_is_kept() {
        let mut start = Start::default();
        assert!(write!(start, "{}", "SELECT ".repeat(20)).is_err());
        assert_eq!(start.as_str().len(), 24);
        assert!(start.as_str().starts_with("SELECT SELECT"));
    }
}
