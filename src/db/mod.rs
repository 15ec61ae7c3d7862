//! Persistence: the connection and pool (`connection`), the schema, row models and the
//! queries of each table. Everything here is blocking Diesel code and knows nothing of
//! HTTP or of the account rules: callers reach it through [`Db::run`] or
//! [`Db::transaction`], which move the work onto the blocking thread pool, and get a
//! [`DbError`] (or their own error type made from one) back.

pub mod api_tokens;
pub mod audit;
pub mod connection;
pub mod external_identities;
pub mod gauges;
pub mod ip_limits;
pub mod models;
pub mod own_data;
pub mod passkeys;
pub mod schema;
pub mod seed;
pub mod sessions;
pub mod throttles;
pub mod tokens;
pub mod two_factor;
pub mod user_list;
pub mod users;
pub mod watch;

pub use connection::{DatabaseUrl, DbConnection, DbPool};

use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2;

/// Why the database could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Unavailable(#[from] r2d2::PoolError),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("the database task stopped: {0}")]
    Task(String),
}

impl DbError {
    /// True for a unique-constraint violation (e.g. an email taken meanwhile).
    pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
        matches!(
            error,
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            )
        )
    }
}

/// How long `/healthz` waits for a connection before it says the database is down.
pub const HEALTH_WAIT: Duration = Duration::from_secs(2);

/// The database handle shared by the account use cases, the session store and background jobs.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    counts: Arc<watch::QueryCounts>,
}

impl Db {
    /// Opens and migrates the database (see [`connection::open`]); returns the handle and
    /// the migrations applied now.
    pub fn open(url: &DatabaseUrl, size: u32) -> anyhow::Result<(Self, Vec<String>)> {
        let opened = connection::open(url, size)?;
        let db = Self {
            pool: opened.pool,
            counts: opened.counts,
        };
        Ok((db, opened.applied))
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// The queries this pool's connections ran, by kind.
    pub fn query_counts(&self) -> &watch::QueryCounts {
        &self.counts
    }

    /// Runs `work` with a pooled connection on the blocking thread pool, never on an async
    /// worker. `E` is the caller's error type: anything a [`DbError`] converts into.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            work(&mut conn)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Like [`Db::run`], inside one transaction: all of `work` is written, or none of it.
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, work)).await
    }

    /// True when the database answers a trivial query within [`HEALTH_WAIT`] (for
    /// `/healthz`). A load balancer's check must be answered while the database is down:
    /// not after the pool's own wait for a connection (10 s), nor behind requests that hold
    /// every blocking thread while they wait for one.
    pub async fn is_healthy(&self) -> bool {
        use diesel::connection::SimpleConnection;
        let pool = self.pool.clone();
        let check = tokio::task::spawn_blocking(move || -> Result<(), DbError> {
            let mut conn = pool.get_timeout(HEALTH_WAIT)?;
            Ok(conn.batch_execute("SELECT 1")?)
        });
        let in_time = HEALTH_WAIT + Duration::from_secs(1);
        let answer = match tokio::time::timeout(in_time, check).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(stopped)) => Err(DbError::Task(stopped.to_string())),
            Err(_) => Err(DbError::Task("no thread was free to ask it in time".into())),
        };
        match answer {
            Ok(()) => true,
            Err(error) => {
                log::warn!("the database does not answer: {error}");
                false
            }
        }
    }
}

/// `Connection::transaction`, except that on SQLite it takes the one write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`). A transaction that reads before it writes would otherwise fail at
/// once ("database is locked") when another connection wrote in between, instead of
/// waiting its turn for the busy timeout. PostgreSQL begins as usual.
fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(postgres) => AnsiTransactionManager::begin_transaction(postgres)?,
    }
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        // As Diesel's own `transaction`: a failed rollback is reported unless the original
        // error is the more telling one.
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback_error) => Err(rollback_error.into()),
        },
    }
}
