//! The embedded default: SQLite in WAL mode with `synchronous=FULL`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{impl_store, redact_url, StoreError};
use crate::model::Backend;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// A SQLite database file.
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (and creates if missing) the database file named by a `sqlite:` URL.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let connect_err = |source| StoreError::Connect {
            url: redact_url(url),
            source,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                    dir: dir.display().to_string(),
                    source,
                })?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(connect_err)?;
        Ok(Self { pool })
    }

    /// The connection pool, for code in this crate that needs SQLite specifically.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

use super::common::sqlite as queries;
use super::deliveries::sqlite as delivery_queries;
use super::payments::sqlite as payment_queries;
use super::views::sqlite as view_queries;

impl_store!(
    SqliteStore,
    queries,
    delivery_queries,
    view_queries,
    Backend::Sqlite,
    MIGRATOR
);
