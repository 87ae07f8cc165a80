//! Storage: one interface, a SQLite and a PostgreSQL implementation, chosen at start-up from
//! the database URL. All SQL lives below this module.

mod common;
mod postgres;
mod sqlite;
pub mod testing;

use std::sync::Arc;

use async_trait::async_trait;

use crate::ingest::extract::Extracted;
use crate::ingest::scheme::{Scheme, SchemeConfig};
use crate::model::{Backend, HourBucket, Overview, RejectionSummary, SourceSummary};
use crate::time::HOUR_MS;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// The store as the server and the dashboard share it.
pub type SharedStore = Arc<dyn Store>;

/// The database URL used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/hookyard.db";

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported DATABASE_URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("cannot open database {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the directory {dir} for the database: {source}")]
    CreateDir {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// One failure reported to several waiters (a failed group commit).
    #[error("{0}")]
    Shared(Arc<StoreError>),
}

/// Everything Hookyard reads from and writes to its database.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which database this is.
    fn backend(&self) -> Backend;
    /// Applies any migrations not yet applied (safe to call on every start).
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Closes every connection; later calls fail.
    async fn close(&self);
    /// The Overview page's figures as of `now_ms`.
    async fn overview(&self, now_ms: i64) -> Result<Overview, StoreError>;

    /// Creates a source with its first secret; `Conflict` if the slug is taken.
    async fn create_source(&self, new: &NewSource, now_ms: i64) -> Result<i64, StoreError>;
    /// A source with all its secrets (expired ones included, newest first).
    async fn source_by_slug(&self, slug: &str) -> Result<Option<SourceRecord>, StoreError>;
    /// Every source, by slug.
    async fn list_sources(&self, now_ms: i64) -> Result<Vec<SourceSummary>, StoreError>;
    /// Makes `secret` current; the previous current secret stays valid until
    /// `previous_expires_at`.
    async fn rotate_source_secret(
        &self,
        slug: &str,
        secret: &str,
        previous_expires_at: i64,
        now_ms: i64,
    ) -> Result<(), StoreError>;

    /// Stores a batch of events in one transaction (group commit): each is new, or a
    /// duplicate of an event already stored (whose counter goes up). All or nothing.
    async fn insert_events(&self, batch: &[&NewEvent]) -> Result<Vec<Stored>, StoreError>;
    /// Logs a refused request.
    async fn insert_rejection(&self, rejection: &NewRejection) -> Result<(), StoreError>;
    /// Deletes all but the newest `keep` rejections; returns how many went.
    async fn trim_rejections(&self, keep: i64) -> Result<u64, StoreError>;
    /// The newest rejections first.
    async fn recent_rejections(&self, limit: i64) -> Result<Vec<RejectionSummary>, StoreError>;
    /// An event's stored body (None once purged) and its duplicate count.
    async fn event_body(&self, id: i64) -> Result<Option<(Option<Vec<u8>>, i64)>, StoreError>;
    /// How many events are stored.
    async fn count_events(&self) -> Result<i64, StoreError>;
}

/// Implements [`Store`] for a backend by delegating to its query module (`$q`), which holds
/// the shared queries of `common.rs` plus anything written for that database alone.
macro_rules! impl_store {
    ($ty:ty, $q:path, $backend:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $ty {
            fn backend(&self) -> $crate::model::Backend {
                $backend
            }
            async fn migrate(&self) -> Result<(), StoreError> {
                $migrator.run(&self.pool).await?;
                Ok(())
            }
            async fn ping(&self) -> Result<(), StoreError> {
                {
                    use $q as q;
                    q::ping(&self.pool).await
                }
            }
            async fn close(&self) {
                self.pool.close().await;
            }
            async fn overview(&self, now_ms: i64) -> Result<$crate::model::Overview, StoreError> {
                {
                    use $q as q;
                    q::overview(&self.pool, now_ms).await
                }
            }
            async fn create_source(
                &self,
                new: &$crate::store::NewSource,
                now_ms: i64,
            ) -> Result<i64, StoreError> {
                {
                    use $q as q;
                    q::create_source(&self.pool, new, now_ms).await
                }
            }
            async fn source_by_slug(
                &self,
                slug: &str,
            ) -> Result<Option<$crate::store::SourceRecord>, StoreError> {
                {
                    use $q as q;
                    q::source_by_slug(&self.pool, slug).await
                }
            }
            async fn list_sources(
                &self,
                now_ms: i64,
            ) -> Result<Vec<$crate::model::SourceSummary>, StoreError> {
                {
                    use $q as q;
                    q::list_sources(&self.pool, now_ms).await
                }
            }
            async fn rotate_source_secret(
                &self,
                slug: &str,
                secret: &str,
                previous_expires_at: i64,
                now_ms: i64,
            ) -> Result<(), StoreError> {
                {
                    use $q as q;
                    q::rotate_source_secret(&self.pool, slug, secret, previous_expires_at, now_ms)
                        .await
                }
            }
            async fn insert_events(
                &self,
                batch: &[&$crate::store::NewEvent],
            ) -> Result<Vec<$crate::store::Stored>, StoreError> {
                {
                    use $q as q;
                    q::insert_events(&self.pool, batch).await
                }
            }
            async fn insert_rejection(
                &self,
                rejection: &$crate::store::NewRejection,
            ) -> Result<(), StoreError> {
                {
                    use $q as q;
                    q::insert_rejection(&self.pool, rejection).await
                }
            }
            async fn trim_rejections(&self, keep: i64) -> Result<u64, StoreError> {
                {
                    use $q as q;
                    q::trim_rejections(&self.pool, keep).await
                }
            }
            async fn recent_rejections(
                &self,
                limit: i64,
            ) -> Result<Vec<$crate::model::RejectionSummary>, StoreError> {
                {
                    use $q as q;
                    q::recent_rejections(&self.pool, limit).await
                }
            }
            async fn event_body(
                &self,
                id: i64,
            ) -> Result<Option<(Option<Vec<u8>>, i64)>, StoreError> {
                {
                    use $q as q;
                    q::event_body(&self.pool, id).await
                }
            }
            async fn count_events(&self) -> Result<i64, StoreError> {
                {
                    use $q as q;
                    q::count_events(&self.pool).await
                }
            }
        }
    };
}
pub(crate) use impl_store;

/// A source as ingest needs it: scheme, limits and every secret.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub scheme: Scheme,
    pub config: SchemeConfig,
    pub tolerance_secs: i64,
    pub max_body_bytes: i64,
    /// Newest first; the current secret has no expiry.
    pub secrets: Vec<SecretRecord>,
}

/// One signing secret of a source.
#[derive(Clone)]
pub struct SecretRecord {
    pub id: i64,
    pub secret: String,
    pub created_at: i64,
    /// None: current. Otherwise accepted until then (rotation overlap).
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for SecretRecord {
    // Never print secret material, even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRecord")
            .field("id", &self.id)
            .field("secret", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What creating a source needs.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub slug: String,
    pub name: String,
    pub scheme: Scheme,
    pub config: SchemeConfig,
    pub secret: String,
    pub tolerance_secs: i64,
    pub max_body_bytes: i64,
}

/// An event ready to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub source_id: i64,
    pub provider_event_id: String,
    pub event_type: String,
    pub received_at: i64,
    /// The body exactly as received.
    pub body: bytes::Bytes,
    /// JSON array of `[name, value]` pairs, auth headers masked.
    pub headers: String,
    pub verified_secret_id: Option<i64>,
    pub extracted: Extracted,
}

/// The result of storing one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new row with this id.
    New(i64),
    /// Already stored under this id (same source and provider event id).
    Duplicate(i64),
}

impl Stored {
    pub fn id(self) -> i64 {
        match self {
            Stored::New(id) | Stored::Duplicate(id) => id,
        }
    }
}

/// A refused request to log.
#[derive(Debug, Clone)]
pub struct NewRejection {
    pub source_id: Option<i64>,
    pub source_slug: String,
    pub reason: String,
    /// JSON diagnosis.
    pub detail: String,
    /// JSON array of `[name, value]` pairs, auth headers masked.
    pub headers: String,
    /// The first 64 KiB of the body.
    pub body_prefix: Vec<u8>,
    pub body_size: i64,
    pub received_at: i64,
}

/// Opens the database named by `url` (creating a SQLite file and its directory if missing).
/// Does not migrate.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(redact_url(url)))
    }
}

/// The URL with any password replaced, fit for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{masked}@{host}{path}")
        }
        None => url.to_string(),
    }
}

/// Turns sparse per-hour counts into the 24 buckets ending with the hour that holds `now_ms`,
/// oldest first, with zeroes where nothing happened.
pub(crate) fn hourly_buckets(
    now_ms: i64,
    events: &[(i64, i64)],
    rejections: &[(i64, i64)],
) -> Vec<HourBucket> {
    let current = now_ms.div_euclid(HOUR_MS);
    let count_at = |rows: &[(i64, i64)], hour: i64| {
        rows.iter().find(|(h, _)| *h == hour).map_or(0, |(_, n)| *n)
    };
    (current - 23..=current)
        .map(|hour| HourBucket {
            start_ms: hour * HOUR_MS,
            events: count_at(events, hour),
            rejections: count_at(rejections, hour),
        })
        .collect()
}

/// The first hour (as an hour number) covered by the Overview's 24 buckets.
pub(crate) fn first_overview_hour(now_ms: i64) -> i64 {
    now_ms.div_euclid(HOUR_MS) - 23
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password_only() {
        assert_eq!(
            redact_url("postgres://hy:s3cret@db.local:5432/hookyard"),
            "postgres://hy:***@db.local:5432/hookyard"
        );
        assert_eq!(
            redact_url("postgres://hy@db.local/hookyard"),
            "postgres://hy@db.local/hookyard"
        );
        assert_eq!(
            redact_url("sqlite://data/hookyard.db"),
            "sqlite://data/hookyard.db"
        );
        // An '@' in the path is not userinfo.
        assert_eq!(redact_url("sqlite://a/b@c.db"), "sqlite://a/b@c.db");
    }

    #[test]
    fn buckets_cover_24_hours_ending_now() {
        let now = 100 * HOUR_MS + 1234;
        let buckets = hourly_buckets(now, &[(100, 5), (77, 2), (76, 9)], &[(90, 1)]);
        assert_eq!(buckets.len(), 24);
        assert_eq!(buckets[0].start_ms, 77 * HOUR_MS);
        assert_eq!(buckets[0].events, 2);
        assert_eq!(buckets[23].start_ms, 100 * HOUR_MS);
        assert_eq!(buckets[23].events, 5);
        assert_eq!(buckets[13].rejections, 1);
        // Hour 76 is outside the window and must not leak in.
        assert_eq!(buckets.iter().map(|b| b.events).sum::<i64>(), 7);
        assert_eq!(first_overview_hour(now), 77);
    }
}
