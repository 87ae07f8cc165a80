//! The embedded default: SQLite in WAL mode with `synchronous=FULL`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{impl_store, redact_url, StoreError};
use crate::crypto::{self, KeyError, MasterKey};
use crate::model::Backend;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// A SQLite database file.
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection for the hot write paths (ingest, payments projection, delivery worker):
    /// writers queue for it in order instead of in SQLite's busy handler, which sleeps in steps
    /// of up to 100 ms while another connection holds the write lock.
    writer: SqlitePool,
    key: MasterKey,
}

/// The database file a `sqlite:` URL names; None for an in-memory database.
pub(crate) fn database_file(url: &str) -> Option<std::path::PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    (!file.as_os_str().is_empty() && file.as_os_str() != ":memory:").then(|| file.to_path_buf())
}

impl SqliteStore {
    /// Opens (and creates if missing) the database file named by a `sqlite:` URL. Without a
    /// `key`, the key file beside the database holds it (generated if missing, unless the
    /// database already holds encrypted secrets: then the file was lost).
    pub async fn connect(url: &str, key: Option<MasterKey>) -> Result<Self, StoreError> {
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
            // A secret overwritten in place (re-encrypted, rotated) leaves no copy in the
            // page's free space; FAST costs no extra I/O.
            .pragma("secure_delete", "FAST")
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
            .connect_with(options.clone())
            .await
            .map_err(connect_err)?;
        // An in-memory database exists once per connection pool: it writes through `pool`.
        // The hot writers wait for the database less than other connections do: while
        // something else holds the write lock (a long outage, another process), each of them
        // gives up within 2 s, so the queue for this connection keeps moving and ingest answers
        // 503 within seconds instead of holding its senders for up to half a minute.
        let writer = match database_file(url) {
            Some(_) => SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options.busy_timeout(Duration::from_secs(2)))
                .await
                .map_err(connect_err)?,
            None => pool.clone(),
        };
        let key = match key {
            Some(key) => key,
            None => match database_file(url) {
                Some(db) => Self::file_key(&pool, &crypto::key_file_beside(&db)).await?,
                // Nothing outlives an in-memory database, so neither need its key.
                None => MasterKey::generate(),
            },
        };
        Ok(Self { pool, writer, key })
    }

    async fn file_key(pool: &SqlitePool, path: &std::path::Path) -> Result<MasterKey, StoreError> {
        if let Some(key) = crypto::read_key_file(path)? {
            return Ok(key);
        }
        // A fresh key would make every stored secret unreadable: refuse instead. (Before the
        // first migration there are no tables: nothing to lose.)
        if let Ok(ids) = secret_queries::sealed_key_ids(pool).await {
            if let Some(key_id) = ids.into_iter().next() {
                return Err(KeyError::FileMissing {
                    path: path.display().to_string(),
                    key_id,
                }
                .into());
            }
        }
        Ok(crypto::load_or_create_key_file(path)?)
    }

    /// The connection pool, for code in this crate that needs SQLite specifically.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

use super::common::sqlite as queries;
use super::deliveries::sqlite as delivery_queries;
use super::payments::sqlite as payment_queries;
use super::secrets::sqlite as secret_queries;
use super::views::sqlite as view_queries;

impl_store!(
    SqliteStore,
    queries,
    delivery_queries,
    view_queries,
    Backend::Sqlite,
    MIGRATOR
);
