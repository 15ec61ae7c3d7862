//! Persistence: the connection and pool (`connection`), the schema, row models and the
//! queries of each table. Everything here is blocking Diesel code; handlers reach it only
//! through [`Db::run`], which moves the work onto the blocking thread pool.

pub mod api_tokens;
pub mod audit;
pub mod connection;
pub mod models;
pub mod schema;
pub mod seed;
pub mod sessions;
pub mod throttles;
pub mod tokens;
pub mod user_list;
pub mod users;

pub use connection::{DatabaseUrl, DbConnection, DbPool};

use crate::errors::AppError;

/// The database handle shared by handlers, the session store and background jobs.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
}

impl Db {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Runs `work` with a pooled connection on the blocking thread pool, never on an async worker.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(AppError::from)?;
            work(&mut conn)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }

    /// True when the database answers a trivial query (for `/healthz`).
    pub async fn is_healthy(&self) -> bool {
        use diesel::connection::SimpleConnection;
        self.run(|conn| conn.batch_execute("SELECT 1").map_err(AppError::from))
            .await
            .is_ok()
    }
}
