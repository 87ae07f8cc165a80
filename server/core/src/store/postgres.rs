//! The scale-out path: PostgreSQL, shared by several `hookyard serve` processes.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::{impl_store, redact_url, StoreError};
use crate::crypto::{KeyError, MasterKey};
use crate::model::Backend;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// A PostgreSQL database.
pub struct PostgresStore {
    pool: PgPool,
    /// The same pool: PostgreSQL's writers do not share one lock (see `SqliteStore::writer`).
    writer: PgPool,
    key: MasterKey,
}

impl PostgresStore {
    /// Connects to the database named by a `postgres://` URL; fails fast when it is unreachable.
    /// Every instance must share one master key, so none is generated: `key` is required.
    pub async fn connect(url: &str, key: Option<MasterKey>) -> Result<Self, StoreError> {
        let connect_err = |source| StoreError::Connect {
            url: redact_url(url),
            source,
        };
        let options = PgConnectOptions::from_str(url).map_err(connect_err)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(connect_err)?;
        // Checked after connecting, so an unreachable database is reported as such first.
        let key = key.ok_or(KeyError::Missing)?;
        Ok(Self {
            writer: pool.clone(),
            pool,
            key,
        })
    }

    /// The connection pool, for code in this crate that needs PostgreSQL specifically.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

use super::common::postgres as queries;
use super::deliveries::postgres as delivery_queries;
use super::payments::postgres as payment_queries;
use super::secrets::postgres as secret_queries;
use super::views::postgres as view_queries;

impl_store!(
    PostgresStore,
    queries,
    delivery_queries,
    view_queries,
    Backend::Postgres,
    MIGRATOR
);
