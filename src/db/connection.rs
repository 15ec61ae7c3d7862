//! Connecting to the database: the backend is chosen from the `DATABASE_URL` scheme, the
//! r2d2 pool, per-connection SQLite pragmas and the embedded migrations.
//! Queries live in the sibling modules, never here.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::watch::{self, ConnectionWatch, QueryCounts};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = r2d2::Pool<DbConnectionManager>;

/// Runs one query written once on the connection of the backend in hand, rather than
/// through [`DbConnection`]: for the statements every request runs. Through the
/// multi-backend connection Diesel writes a statement's SQL again on each run, even when
/// the statement is prepared and cached; on the backend's own connection a cached
/// statement is found by its type alone.
#[macro_export]
macro_rules! on_the_backend {
    ($conn:expr, |$backend:ident| $query:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($backend) => $query,
            $crate::db::DbConnection::Postgres($backend) => $query,
        }
    };
}

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path, or `:memory:`.
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    /// Accepts `sqlite://PATH`, `sqlite::memory:`, `postgres://…` and `postgresql://…`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw == "sqlite::memory:" || raw == "sqlite://:memory:" {
            return Ok(Self::Sqlite(":memory:".into()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://data/gatehouse.db".into());
            }
            return Ok(Self::Sqlite(path.to_string()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(|e| format!("not a valid PostgreSQL URL: {e}"))?;
            return Ok(Self::Postgres(raw.to_string()));
        }
        Err("expected sqlite://PATH, sqlite::memory: or postgres://USER@HOST/DB".into())
    }

    pub fn is_memory(&self) -> bool {
        matches!(self, Self::Sqlite(path) if path == ":memory:")
    }

    /// The URL with any password removed, for log lines.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{path}"),
            Self::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("***"));
                    }
                    url.to_string()
                }
                Err(_) => "postgres://(unparseable)".into(),
            },
        }
    }
}

/// An r2d2 manager that opens exactly the backend the URL names (the derived
/// `MultiConnection::establish` would try each backend in turn and hide the real error),
/// and watches every connection it opens (`watch`).
#[derive(Debug, Clone)]
pub struct DbConnectionManager {
    url: DatabaseUrl,
    counts: Arc<QueryCounts>,
}

fn watch_of(conn: &mut DbConnection) -> Option<&mut ConnectionWatch> {
    conn.instrumentation().downcast_mut::<ConnectionWatch>()
}

impl ManageConnection for DbConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        let mut conn = self.open()?;
        conn.set_instrumentation(ConnectionWatch::new(self.counts.clone()));
        Ok(conn)
    }

    /// Lent again without a check when it answered a moment ago (under load, always).
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if watch_of(conn).is_some_and(|watch| watch.answered_recently()) {
            return Ok(());
        }
        conn.batch_execute(watch::CHECK)
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        if watch_of(conn).is_some_and(|watch| watch.is_broken()) {
            return true;
        }
        match conn {
            DbConnection::Postgres(c) => c.is_broken(),
            DbConnection::Sqlite(c) => c.is_broken(),
        }
    }
}

impl DbConnectionManager {
    fn open(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            DatabaseUrl::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                // Every pooled connection gets the pragmas: WAL survives a killed process
                // without losing a committed write; busy_timeout waits instead of failing;
                // a page cache of 1 MiB per connection bounds memory (the OS caches the file).
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -1024;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Opens the database: one connection first (so a wrong URL fails fast with its real
/// reason), the embedded migrations on it, and only then the pool, so that no pooled
/// connection opens while the schema is half made (SQLite connections opened during a
/// migration were seen to go on missing its tables). Returns the pool and the migrations
/// applied now.
pub fn open(url: &DatabaseUrl, size: u32) -> anyhow::Result<Opened> {
    if let DatabaseUrl::Sqlite(path) = url {
        create_parent_dir(path)?;
    }
    let counts = Arc::<QueryCounts>::default();
    let manager = DbConnectionManager {
        url: url.clone(),
        counts: counts.clone(),
    };
    let mut first = manager
        .open()
        .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", url.redacted()))?;
    if url.is_memory() {
        // An in-memory database lives as long as its one connection does: the pool's.
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(1)
            .min_idle(Some(1))
            .idle_timeout(None)
            .max_lifetime(None)
            .build(manager)?;
        let applied = run_migrations(&mut *pool.get()?)?;
        return Ok(Opened {
            pool,
            counts,
            applied,
        });
    }
    let applied = run_migrations(&mut first)?;
    drop(first);
    let pool = r2d2::Pool::builder()
        .connection_timeout(Duration::from_secs(10))
        .max_size(size)
        .min_idle(Some(1))
        .build(manager)
        .with_context(|| format!("cannot open the database pool for {}", url.redacted()))?;
    Ok(Opened {
        pool,
        counts,
        applied,
    })
}

/// An open, migrated database.
pub struct Opened {
    pub pool: DbPool,
    /// What the pool's connections are asked, by kind.
    pub counts: Arc<QueryCounts>,
    /// The migrations applied while opening it.
    pub applied: Vec<String>,
}

fn create_parent_dir(path: &str) -> anyhow::Result<()> {
    if path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    }
    Ok(())
}

/// Runs the embedded migrations of this connection's backend. On PostgreSQL an advisory lock
/// keeps several instances starting together from racing each other.
fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
            .iter()
            .map(|v| v.to_string())
            .collect(),
        DbConnection::Postgres(c) => {
            c.batch_execute("SELECT pg_advisory_lock(7271650001)")?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.iter().map(|v| v.to_string()).collect::<Vec<_>>())
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
            c.batch_execute("SELECT pg_advisory_unlock(7271650001)")?;
            result?
        }
    };
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;

    #[test]
    fn sqlite_and_postgres_urls_are_recognised() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/gatehouse.db"),
            Ok(DatabaseUrl::Sqlite("data/gatehouse.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/g.db"),
            Ok(DatabaseUrl::Sqlite("/var/lib/g.db".into()))
        );
        assert!(DatabaseUrl::parse("sqlite::memory:").unwrap().is_memory());
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@localhost/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
    }

    #[test]
    fn a_libpq_keyword_string_is_refused_instead_of_becoming_a_file_name() {
        assert!(DatabaseUrl::parse("host=localhost dbname=x").is_err());
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_hidden_in_log_lines() {
        let url = DatabaseUrl::parse("postgres://bob:hunter2@db/x").unwrap();
        assert!(!url.redacted().contains("hunter2"));
    }
}
