//! Direct SQL on a test database, for checks the `Store` API does not answer (e.g. how many
//! rows hold each provider event id). Read-only.
#![allow(dead_code)]

use std::collections::HashMap;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// A read-only view of a test database (SQLite or PostgreSQL, from its URL).
pub enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Db {
    pub async fn open(url: &str) -> Db {
        if url.starts_with("sqlite:") {
            let options: SqliteConnectOptions = url.parse().expect("SQLite URL");
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.busy_timeout(std::time::Duration::from_secs(30)))
                .await
                .expect("open SQLite");
            Db::Sqlite(pool)
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .expect("open PostgreSQL");
            Db::Postgres(pool)
        }
    }

    /// Rows of a query whose columns are (text, integer).
    pub async fn pairs(&self, sql: &str) -> Vec<(String, i64)> {
        match self {
            Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// How many event rows hold each provider event id.
    pub async fn stored_ids(&self) -> HashMap<String, i64> {
        self.pairs("SELECT provider_event_id, COUNT(*) FROM events GROUP BY provider_event_id")
            .await
            .into_iter()
            .collect()
    }

    /// Deliveries per `status`.
    pub async fn delivery_states(&self) -> HashMap<String, i64> {
        self.pairs("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
            .await
            .into_iter()
            .collect()
    }

    /// Deliveries of one endpoint per `status`.
    pub async fn endpoint_delivery_states(&self, endpoint_id: i64) -> HashMap<String, i64> {
        self.pairs(&format!(
            "SELECT status, COUNT(*) FROM deliveries WHERE endpoint_id = {endpoint_id} GROUP BY status"
        ))
        .await
        .into_iter()
        .collect()
    }

    /// Attempts of one endpoint: (error kind or `http_<status>`/`ok_<status>`, count).
    pub async fn endpoint_attempt_kinds(&self, endpoint_id: i64) -> HashMap<String, i64> {
        self.pairs(&format!(
            "SELECT COALESCE(a.error_kind, 'status') || ':' || COALESCE(CAST(a.response_status AS TEXT), '-'), COUNT(*) \
             FROM attempts a JOIN deliveries d ON d.id = a.delivery_id \
             WHERE d.endpoint_id = {endpoint_id} GROUP BY 1"
        ))
        .await
        .into_iter()
        .collect()
    }

    pub async fn close(self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}
