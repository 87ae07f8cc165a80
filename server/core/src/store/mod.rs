//! Storage: one interface, a SQLite and a PostgreSQL implementation, chosen at start-up from
//! the database URL. All SQL lives below this module.

pub mod access;
pub mod alerts;
mod common;
mod deliveries;
pub mod operations;
mod payments;
mod postgres;
mod secrets;
mod sqlite;
pub mod testing;
mod views;

use std::sync::Arc;

use async_trait::async_trait;

use crate::crypto::{KeyError, MasterKey, SealError};
use crate::ingest::extract::Extracted;
use crate::ingest::scheme::{Scheme, SchemeConfig};
use crate::model::{
    Attempt, Backend, BulkReplay, Delivery, EventDetail, EventFilter, EventRow, FailureGroup,
    HourBucket, Overview, RejectionSummary, ReplayFilter, SourceSummary,
};
use crate::payments::{
    CurrencyTotals, DayTotals, PaymentDetail, PaymentFilter, PaymentReset, PaymentRow,
};
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
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Sealed(#[from] SealError),
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
    /// Users, tokens, sessions and the audit log.
    fn access(&self) -> &dyn access::AccessStore;
    /// Retention and the delivery queue's gauges.
    fn operations(&self) -> &dyn operations::Operations;
    /// Alerts: the list, the outbox, the quiet-event-type check.
    fn alerts(&self) -> &dyn alerts::AlertStore;
    /// Applies any migrations not yet applied and encrypts any plain-text secret (written
    /// before encryption at rest) under the master key (safe to call on every start).
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Fails with [`SealError::OtherKey`] when a stored secret was encrypted with another key.
    async fn check_master_key(&self) -> Result<(), StoreError>;
    /// Re-encrypts every secret under `new`, in one transaction, with an audit entry; values
    /// already under `new` (a run interrupted before) are left as they are. Afterwards only
    /// `new` opens them: this store, which holds the old key, must not be used again.
    async fn rotate_master_key(
        &self,
        new: &MasterKey,
        actor: &str,
        now_ms: i64,
    ) -> Result<Resealed, StoreError>;
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Refreshes the query planner's statistics (after a bulk load).
    async fn analyze(&self) -> Result<(), StoreError>;
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
    /// Changes a source's name and limits (fields left `None` stay as they are).
    async fn update_source(
        &self,
        slug: &str,
        change: &SourceChange,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// Deletes a source without events; `Conflict` otherwise.
    async fn delete_source(&self, slug: &str) -> Result<(), StoreError>;
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

    /// Creates an endpoint (enabled).
    async fn create_endpoint(&self, new: &NewEndpoint, now_ms: i64) -> Result<i64, StoreError>;
    /// Every endpoint, by name.
    async fn endpoints(&self) -> Result<Vec<EndpointRecord>, StoreError>;
    async fn endpoint(&self, id: i64) -> Result<Option<EndpointRecord>, StoreError>;
    /// Enables, pauses or disables an endpoint (audit-logged). Enabling releases its held
    /// deliveries in order.
    async fn set_endpoint_state(
        &self,
        id: i64,
        state: &str,
        reason: &str,
        actor: &str,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    async fn rotate_endpoint_secret(
        &self,
        id: i64,
        secret: &str,
        actor: &str,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// Replaces an endpoint's settings; its secret (in `new`, ignored) and state stay.
    async fn update_endpoint(
        &self,
        id: i64,
        new: &NewEndpoint,
        actor: &str,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// Leases up to `limit` due deliveries to `owner`, respecting each endpoint's in-flight limit.
    async fn claim_due(
        &self,
        owner: &str,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>, StoreError>;
    /// Records finished attempts and their consequences, in one transaction.
    async fn record_attempts(
        &self,
        results: &[AttemptResult],
        owner: &str,
        rules: &AttemptRules,
    ) -> Result<(), StoreError>;
    /// The stored body and headers JSON of an event.
    async fn event_for_delivery(
        &self,
        event_id: i64,
    ) -> Result<Option<(Option<Vec<u8>>, String)>, StoreError>;
    async fn deliveries_for_event(&self, event_id: i64) -> Result<Vec<Delivery>, StoreError>;
    async fn delivery(&self, id: i64) -> Result<Option<Delivery>, StoreError>;
    /// Deliveries in `status` (all when None).
    async fn count_deliveries(&self, status: Option<&str>) -> Result<i64, StoreError>;
    async fn attempts(&self, delivery_id: i64) -> Result<Vec<Attempt>, StoreError>;
    /// Makes a delivery due now (trigger `manual`); false if it is in flight or held.
    async fn retry_delivery_now(
        &self,
        id: i64,
        actor: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Cancels a pending, retrying or held delivery; false otherwise.
    async fn cancel_delivery(&self, id: i64, actor: &str, now_ms: i64) -> Result<bool, StoreError>;
    /// New deliveries of an event to these endpoints; returns how many.
    async fn replay_event(
        &self,
        event_id: i64,
        endpoint_ids: &[i64],
        actor: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError>;
    /// How many deliveries a bulk replay with this filter would replay.
    async fn count_replay(&self, filter: &ReplayFilter) -> Result<i64, StoreError>;
    async fn start_bulk_replay(
        &self,
        filter: &ReplayFilter,
        actor: &str,
        now_ms: i64,
    ) -> Result<BulkReplay, StoreError>;
    /// Replays the next `batch` deliveries of a running bulk replay.
    async fn step_bulk_replay(
        &self,
        id: i64,
        batch: i64,
        now_ms: i64,
    ) -> Result<Option<BulkReplay>, StoreError>;
    async fn bulk_replay(&self, id: i64) -> Result<Option<BulkReplay>, StoreError>;
    async fn running_bulk_replays(&self) -> Result<Vec<i64>, StoreError>;
    async fn cancel_bulk_replay(
        &self,
        id: i64,
        actor: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Newest first: (at, actor, action, target, detail JSON).
    async fn audit_entries(
        &self,
        limit: i64,
    ) -> Result<Vec<(i64, String, String, String, String)>, StoreError>;

    /// The Events page: newest first, after the filter's cursor.
    async fn list_events(
        &self,
        filter: &EventFilter,
        limit: i64,
    ) -> Result<Vec<EventRow>, StoreError>;
    /// An event with payload, headers, deliveries and attempts.
    async fn event_detail(&self, id: i64) -> Result<Option<EventDetail>, StoreError>;
    /// Retrying and failed deliveries grouped by endpoint and error.
    async fn failure_groups(&self) -> Result<Vec<FailureGroup>, StoreError>;
    /// Every event type seen: (type, count, last received, newest event id).
    async fn event_types(&self) -> Result<Vec<(String, i64, i64, i64)>, StoreError>;
    /// The names of every event type seen, sorted (cheap at any size, for suggestions).
    async fn event_type_names(&self) -> Result<Vec<String>, StoreError>;
    /// Attempts per endpoint since `since` (endpoints without attempts are absent).
    async fn endpoint_health(
        &self,
        since: i64,
    ) -> Result<Vec<crate::model::EndpointHealth>, StoreError>;

    /// Folds up to `limit` queued payment events into the payments table, in one transaction;
    /// returns how many were taken (0: none waiting).
    async fn project_payments(&self, limit: i64) -> Result<i64, StoreError>;
    /// Empties the payments table and queues every stored payment event to be folded in again.
    async fn reset_payments(&self) -> Result<PaymentReset, StoreError>;
    /// How many stored payment events wait to be folded in.
    async fn payment_queue_len(&self) -> Result<i64, StoreError>;
    /// Drops the oldest queued payment event unfolded (one that cannot be folded in);
    /// returns its event id.
    async fn skip_queued_payment(&self) -> Result<Option<i64>, StoreError>;
    /// Money per currency of the payments created in [from_ms, to_ms), in one mode.
    async fn payment_totals(
        &self,
        livemode: bool,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CurrencyTotals>, StoreError>;
    /// The same per UTC day, oldest first.
    async fn payment_daily(
        &self,
        livemode: bool,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<DayTotals>, StoreError>;
    /// The Payments table: newest first, after the filter's cursor.
    async fn list_payments(
        &self,
        filter: &PaymentFilter,
        limit: i64,
    ) -> Result<Vec<PaymentRow>, StoreError>;
    /// One payment with its timeline.
    async fn payment_detail(&self, id: i64) -> Result<Option<PaymentDetail>, StoreError>;
}

/// Implements [`Store`] for a backend by delegating to its query module (`$q`), which holds
/// the shared queries of `common.rs` plus anything written for that database alone.
macro_rules! impl_store {
    ($ty:ty, $q:ident, $d:ident, $v:ident, $backend:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $ty {
            fn backend(&self) -> $crate::model::Backend {
                $backend
            }
            fn access(&self) -> &dyn $crate::store::access::AccessStore {
                self
            }
            fn operations(&self) -> &dyn $crate::store::operations::Operations {
                self
            }
            fn alerts(&self) -> &dyn $crate::store::alerts::AlertStore {
                self
            }
            async fn migrate(&self) -> Result<(), StoreError> {
                $migrator.run(&self.pool).await?;
                // `secret_queries` is the backend's module of store/secrets.rs.
                secret_queries::reseal(&self.pool, None, &self.key, None).await?;
                Ok(())
            }
            async fn check_master_key(&self) -> Result<(), StoreError> {
                let ids = secret_queries::sealed_key_ids(&self.pool).await?;
                match ids.into_iter().find(|id| id != self.key.id()) {
                    Some(found) => Err($crate::crypto::SealError::OtherKey {
                        found,
                        expected: self.key.id().to_string(),
                    }
                    .into()),
                    None => Ok(()),
                }
            }
            async fn rotate_master_key(
                &self,
                new: &$crate::crypto::MasterKey,
                actor: &str,
                now_ms: i64,
            ) -> Result<$crate::store::Resealed, StoreError> {
                secret_queries::reseal(&self.pool, Some(&self.key), new, Some((actor, now_ms)))
                    .await
            }
            async fn analyze(&self) -> Result<(), StoreError> {
                $q::analyze(&self.pool).await
            }
            async fn ping(&self) -> Result<(), StoreError> {
                $q::ping(&self.pool).await
            }
            async fn close(&self) {
                self.writer.close().await;
                self.pool.close().await;
            }
            async fn overview(&self, now_ms: i64) -> Result<$crate::model::Overview, StoreError> {
                $q::overview(&self.pool, now_ms).await
            }
            async fn create_source(
                &self,
                new: &$crate::store::NewSource,
                now_ms: i64,
            ) -> Result<i64, StoreError> {
                $q::create_source(&self.pool, &self.key, new, now_ms).await
            }
            async fn source_by_slug(
                &self,
                slug: &str,
            ) -> Result<Option<$crate::store::SourceRecord>, StoreError> {
                $q::source_by_slug(&self.pool, &self.key, slug).await
            }
            async fn list_sources(
                &self,
                now_ms: i64,
            ) -> Result<Vec<$crate::model::SourceSummary>, StoreError> {
                $q::list_sources(&self.pool, now_ms).await
            }
            async fn update_source(
                &self,
                slug: &str,
                change: &$crate::store::SourceChange,
                now_ms: i64,
            ) -> Result<(), StoreError> {
                $q::update_source(&self.pool, slug, change, now_ms).await
            }
            async fn delete_source(&self, slug: &str) -> Result<(), StoreError> {
                $q::delete_source(&self.pool, slug).await
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
                    q::rotate_source_secret(
                        &self.pool,
                        &self.key,
                        slug,
                        secret,
                        previous_expires_at,
                        now_ms,
                    )
                    .await
                }
            }
            async fn insert_events(
                &self,
                batch: &[&$crate::store::NewEvent],
            ) -> Result<Vec<$crate::store::Stored>, StoreError> {
                $q::insert_events(&self.writer, batch).await
            }
            async fn insert_rejection(
                &self,
                rejection: &$crate::store::NewRejection,
            ) -> Result<(), StoreError> {
                $q::insert_rejection(&self.pool, rejection).await
            }
            async fn trim_rejections(&self, keep: i64) -> Result<u64, StoreError> {
                $q::trim_rejections(&self.pool, keep).await
            }
            async fn recent_rejections(
                &self,
                limit: i64,
            ) -> Result<Vec<$crate::model::RejectionSummary>, StoreError> {
                $q::recent_rejections(&self.pool, limit).await
            }
            async fn event_body(
                &self,
                id: i64,
            ) -> Result<Option<(Option<Vec<u8>>, i64)>, StoreError> {
                $q::event_body(&self.pool, id).await
            }
            async fn count_events(&self) -> Result<i64, StoreError> {
                $q::count_events(&self.pool).await
            }
            async fn create_endpoint(
                &self,
                new: &$crate::store::NewEndpoint,
                now_ms: i64,
            ) -> Result<i64, StoreError> {
                $d::create_endpoint(&self.pool, &self.key, new, now_ms).await
            }
            async fn endpoints(&self) -> Result<Vec<$crate::store::EndpointRecord>, StoreError> {
                $d::endpoints(&self.pool, &self.key).await
            }
            async fn endpoint(
                &self,
                id: i64,
            ) -> Result<Option<$crate::store::EndpointRecord>, StoreError> {
                $d::endpoint(&self.pool, &self.key, id).await
            }
            async fn set_endpoint_state(
                &self,
                id: i64,
                state: &str,
                reason: &str,
                actor: &str,
                now_ms: i64,
            ) -> Result<(), StoreError> {
                $d::set_endpoint_state(&self.pool, id, state, reason, actor, now_ms).await
            }
            async fn rotate_endpoint_secret(
                &self,
                id: i64,
                secret: &str,
                actor: &str,
                now_ms: i64,
            ) -> Result<(), StoreError> {
                $d::rotate_endpoint_secret(&self.pool, &self.key, id, secret, actor, now_ms).await
            }
            async fn update_endpoint(
                &self,
                id: i64,
                new: &$crate::store::NewEndpoint,
                actor: &str,
                now_ms: i64,
            ) -> Result<(), StoreError> {
                $d::update_endpoint(&self.pool, &self.key, id, new, actor, now_ms).await
            }
            async fn claim_due(
                &self,
                owner: &str,
                now_ms: i64,
                limit: i64,
            ) -> Result<Vec<$crate::store::Claimed>, StoreError> {
                $d::claim_due(&self.writer, owner, now_ms, limit).await
            }
            async fn record_attempts(
                &self,
                results: &[$crate::store::AttemptResult],
                owner: &str,
                rules: &$crate::store::AttemptRules,
            ) -> Result<(), StoreError> {
                $d::record_attempts(&self.writer, results, owner, rules).await
            }
            async fn event_for_delivery(
                &self,
                event_id: i64,
            ) -> Result<Option<(Option<Vec<u8>>, String)>, StoreError> {
                $d::event_for_delivery(&self.pool, event_id).await
            }
            async fn deliveries_for_event(
                &self,
                event_id: i64,
            ) -> Result<Vec<$crate::model::Delivery>, StoreError> {
                $d::deliveries_for_event(&self.pool, event_id).await
            }
            async fn delivery(
                &self,
                id: i64,
            ) -> Result<Option<$crate::model::Delivery>, StoreError> {
                $d::delivery(&self.pool, id).await
            }
            async fn count_deliveries(&self, status: Option<&str>) -> Result<i64, StoreError> {
                $d::count_deliveries(&self.pool, status).await
            }
            async fn attempts(
                &self,
                delivery_id: i64,
            ) -> Result<Vec<$crate::model::Attempt>, StoreError> {
                $d::attempts(&self.pool, delivery_id).await
            }
            async fn retry_delivery_now(
                &self,
                id: i64,
                actor: &str,
                now_ms: i64,
            ) -> Result<bool, StoreError> {
                $d::retry_delivery_now(&self.pool, id, actor, now_ms).await
            }
            async fn cancel_delivery(
                &self,
                id: i64,
                actor: &str,
                now_ms: i64,
            ) -> Result<bool, StoreError> {
                $d::cancel_delivery(&self.pool, id, actor, now_ms).await
            }
            async fn replay_event(
                &self,
                event_id: i64,
                endpoint_ids: &[i64],
                actor: &str,
                now_ms: i64,
            ) -> Result<i64, StoreError> {
                $d::replay_event(&self.pool, event_id, endpoint_ids, actor, now_ms).await
            }
            async fn count_replay(
                &self,
                filter: &$crate::model::ReplayFilter,
            ) -> Result<i64, StoreError> {
                $d::count_replay(&self.pool, filter).await
            }
            async fn start_bulk_replay(
                &self,
                filter: &$crate::model::ReplayFilter,
                actor: &str,
                now_ms: i64,
            ) -> Result<$crate::model::BulkReplay, StoreError> {
                $d::start_bulk_replay(&self.pool, filter, actor, now_ms).await
            }
            async fn step_bulk_replay(
                &self,
                id: i64,
                batch: i64,
                now_ms: i64,
            ) -> Result<Option<$crate::model::BulkReplay>, StoreError> {
                $d::step_bulk_replay(&self.pool, id, batch, now_ms).await
            }
            async fn bulk_replay(
                &self,
                id: i64,
            ) -> Result<Option<$crate::model::BulkReplay>, StoreError> {
                $d::bulk_replay(&self.pool, id).await
            }
            async fn running_bulk_replays(&self) -> Result<Vec<i64>, StoreError> {
                $d::running_bulk_replays(&self.pool).await
            }
            async fn cancel_bulk_replay(
                &self,
                id: i64,
                actor: &str,
                now_ms: i64,
            ) -> Result<bool, StoreError> {
                $d::cancel_bulk_replay(&self.pool, id, actor, now_ms).await
            }
            async fn audit_entries(
                &self,
                limit: i64,
            ) -> Result<Vec<(i64, String, String, String, String)>, StoreError> {
                $d::audit_entries(&self.pool, limit).await
            }
            async fn list_events(
                &self,
                filter: &$crate::model::EventFilter,
                limit: i64,
            ) -> Result<Vec<$crate::model::EventRow>, StoreError> {
                $v::list_events(&self.pool, filter, limit).await
            }
            async fn event_detail(
                &self,
                id: i64,
            ) -> Result<Option<$crate::model::EventDetail>, StoreError> {
                $v::event_detail(&self.pool, id).await
            }
            async fn failure_groups(&self) -> Result<Vec<$crate::model::FailureGroup>, StoreError> {
                $v::failure_groups(&self.pool).await
            }
            async fn event_types(&self) -> Result<Vec<(String, i64, i64, i64)>, StoreError> {
                $v::event_types(&self.pool).await
            }
            async fn event_type_names(&self) -> Result<Vec<String>, StoreError> {
                $v::event_type_names(&self.pool).await
            }
            async fn endpoint_health(
                &self,
                since: i64,
            ) -> Result<Vec<$crate::model::EndpointHealth>, StoreError> {
                $v::endpoint_health(&self.pool, since).await
            }
            // `payment_queries` is the backend's module of store/payments.rs, imported under
            // that name where the macro is used.
            async fn project_payments(&self, limit: i64) -> Result<i64, StoreError> {
                payment_queries::project_payments(&self.writer, limit).await
            }
            async fn reset_payments(&self) -> Result<$crate::payments::PaymentReset, StoreError> {
                payment_queries::reset_payments(&self.writer).await
            }
            async fn payment_queue_len(&self) -> Result<i64, StoreError> {
                payment_queries::payment_queue_len(&self.pool).await
            }
            async fn skip_queued_payment(&self) -> Result<Option<i64>, StoreError> {
                payment_queries::skip_queued_payment(&self.writer).await
            }
            async fn payment_totals(
                &self,
                livemode: bool,
                from_ms: i64,
                to_ms: i64,
            ) -> Result<Vec<$crate::payments::CurrencyTotals>, StoreError> {
                payment_queries::payment_totals(&self.pool, livemode, from_ms, to_ms).await
            }
            async fn payment_daily(
                &self,
                livemode: bool,
                from_ms: i64,
                to_ms: i64,
            ) -> Result<Vec<$crate::payments::DayTotals>, StoreError> {
                payment_queries::payment_daily(&self.pool, livemode, from_ms, to_ms).await
            }
            async fn list_payments(
                &self,
                filter: &$crate::payments::PaymentFilter,
                limit: i64,
            ) -> Result<Vec<$crate::payments::PaymentRow>, StoreError> {
                payment_queries::list_payments(&self.pool, filter, limit).await
            }
            async fn payment_detail(
                &self,
                id: i64,
            ) -> Result<Option<$crate::payments::PaymentDetail>, StoreError> {
                payment_queries::payment_detail(&self.pool, id).await
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

/// A change to a source's settings.
#[derive(Debug, Clone, Default)]
pub struct SourceChange {
    pub name: Option<String>,
    pub tolerance_secs: Option<i64>,
    pub max_body_bytes: Option<i64>,
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
    /// Deliveries to create with the event (ignored for a duplicate).
    pub fanout: Vec<FanoutTarget>,
    /// The event may be about a payment: queue it for the payments projection (ignored for
    /// a duplicate, which never counts twice).
    pub payment: bool,
}

/// A delivery to create with a new event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanoutTarget {
    pub endpoint_id: i64,
    /// The endpoint is paused: the delivery waits as `held`.
    pub held: bool,
}

/// What creating an endpoint needs.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub name: String,
    pub url: String,
    pub description: String,
    pub patterns: Vec<String>,
    pub source_id: Option<i64>,
    pub secret: String,
    pub headers: Vec<(String, String)>,
    pub timeout_ms: i64,
    pub max_in_flight: i64,
    pub retry_schedule: Option<Vec<u64>>,
}

/// An endpoint with its signing secret (never sent to a browser).
#[derive(Clone)]
pub struct EndpointRecord {
    pub endpoint: crate::model::Endpoint,
    pub secret: String,
}

impl std::fmt::Debug for EndpointRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointRecord")
            .field("endpoint", &self.endpoint)
            .field("secret", &"***")
            .finish()
    }
}

/// A delivery leased to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub delivery_id: i64,
    pub event_id: i64,
    pub endpoint_id: i64,
    /// Attempts made before this one.
    pub attempts: i64,
    /// The trigger to record on this attempt.
    pub trigger: String,
    pub actor: Option<String>,
}

/// A finished attempt and what it means for its delivery.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub delivery_id: i64,
    pub endpoint_id: i64,
    pub number: i64,
    pub trigger: String,
    pub actor: Option<String>,
    pub started_at: i64,
    pub finished_at: i64,
    pub duration_ms: i64,
    /// JSON array of `[name, value]`.
    pub request_headers: String,
    pub response_status: Option<i64>,
    pub response_headers: Option<String>,
    pub response_body: Option<Vec<u8>>,
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
    /// `succeeded`, `retrying` or `failed`.
    pub new_status: String,
    pub next_attempt_at: i64,
    /// The handler answered 410: disable the endpoint.
    pub disable_endpoint: bool,
}

/// What recorded attempts lead to beyond their deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptRules {
    /// Disable an endpoint whose deliveries have all failed for this long.
    pub disable_after_ms: i64,
    /// Raise an "endpoint failing" alert after this many failed attempts in a row.
    pub alert_after_failures: i64,
}

impl Default for AttemptRules {
    fn default() -> Self {
        Self {
            disable_after_ms: 5 * crate::time::DAY_MS,
            alert_after_failures: crate::alerts::DEFAULT_AFTER_FAILURES,
        }
    }
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

/// One page of events (newest first) and the cursor of the next page, if there is one.
pub async fn page_of_events(
    store: &dyn Store,
    filter: &EventFilter,
    limit: i64,
) -> Result<(Vec<EventRow>, Option<(i64, i64)>), StoreError> {
    let mut rows = store.list_events(filter, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| (r.received_at, r.id))
    } else {
        None
    };
    Ok((rows, next))
}

/// One page of payments (newest first) and the cursor of the next page, if there is one.
pub async fn page_of_payments(
    store: &dyn Store,
    filter: &PaymentFilter,
    limit: i64,
) -> Result<(Vec<PaymentRow>, Option<(i64, i64)>), StoreError> {
    let mut rows = store.list_payments(filter, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| (r.created_at, r.id))
    } else {
        None
    };
    Ok((rows, next))
}

/// Opens the database named by `url` (creating a SQLite file and its directory if missing).
/// What a master-key rotation (or the start-up pass over plain-text secrets) changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Source signing secrets (current and rotated-out) re-encrypted.
    pub source_secrets: u64,
    /// Endpoint signing secrets re-encrypted.
    pub endpoint_secrets: u64,
    /// Extra header values of endpoints re-encrypted.
    pub header_values: u64,
    /// Values left as they were: already under the target key (or, on start-up, under
    /// another key, which the key check then reports).
    pub unchanged: u64,
}

/// Where a store's master key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// This key.
    Key(MasterKey),
    /// `HOOKYARD_SECRET_KEY` if set; otherwise, on SQLite, the key file beside the database
    /// (generated with mode 0600 if missing); PostgreSQL refuses to start without the variable.
    Environment,
}

/// Opens the database named by `url` (creating a SQLite file and its directory if missing)
/// with the master key from the environment or the key file ([`KeySource::Environment`]).
/// Does not migrate.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    connect_with(url, KeySource::Environment).await
}

/// Opens the database named by `url` with the master key from `key`. Does not migrate.
pub async fn connect_with(url: &str, key: KeySource) -> Result<Arc<dyn Store>, StoreError> {
    let key = match key {
        KeySource::Key(key) => Some(key),
        KeySource::Environment => MasterKey::from_env()?,
    };
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, key).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url, key).await?))
    } else {
        Err(StoreError::UnsupportedUrl(redact_url(url)))
    }
}

/// The key file a SQLite database at `url` uses when `HOOKYARD_SECRET_KEY` is not set; None
/// for PostgreSQL and in-memory databases.
pub fn key_file_for(url: &str) -> Option<std::path::PathBuf> {
    if url.starts_with("sqlite:") {
        sqlite::database_file(url).map(|db| crate::crypto::key_file_beside(&db))
    } else {
        None
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
    failed_attempts: &[(i64, i64)],
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
            failed_attempts: count_at(failed_attempts, hour),
        })
        .collect()
}

/// The first hour (as an hour number) covered by the Overview's 24 buckets.
pub(crate) fn first_overview_hour(now_ms: i64) -> i64 {
    now_ms.div_euclid(HOUR_MS) - 23
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with
/// "database is locked" if another writer committed in between, without waiting for the busy
/// timeout. PostgreSQL's row locks make a plain `BEGIN` right there.
pub(crate) async fn begin_write<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
) -> Result<sqlx::Transaction<'static, DB>, sqlx::Error> {
    let statement = if DB::NAME == "SQLite" {
        "BEGIN IMMEDIATE"
    } else {
        "BEGIN"
    };
    pool.begin_with(statement).await
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
        let buckets = hourly_buckets(now, &[(100, 5), (77, 2), (76, 9)], &[(90, 1)], &[(99, 4)]);
        assert_eq!(buckets.len(), 24);
        assert_eq!(buckets[0].start_ms, 77 * HOUR_MS);
        assert_eq!(buckets[0].events, 2);
        assert_eq!(buckets[23].start_ms, 100 * HOUR_MS);
        assert_eq!(buckets[23].events, 5);
        assert_eq!(buckets[13].rejections, 1);
        assert_eq!(buckets[22].failed_attempts, 4);
        // Hour 76 is outside the window and must not leak in.
        assert_eq!(buckets.iter().map(|b| b.events).sum::<i64>(), 7);
        assert_eq!(first_overview_hour(now), 77);
    }
}
