//! Operational queries: retention (purging payload bodies, headers, attempts and rejections
//! older than a cutoff, in small batches, each its own short transaction so ingest never waits
//! long; event rows stay, so deduplication keeps working; payment rows are not touched) and the
//! delivery queue's gauges for `/metrics`.

use async_trait::async_trait;

use super::StoreError;

/// What one purge batch removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// Events whose body and headers were dropped.
    pub bodies: u64,
    pub attempts: u64,
    pub rejections: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.bodies + self.attempts + self.rejections
    }
}

/// The delivery queue at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueState {
    /// Pending or retrying deliveries.
    pub depth: i64,
    /// When the oldest delivery that is due now became due (None: nothing due).
    pub oldest_due_at: Option<i64>,
}

/// Retention and queue queries.
#[async_trait]
pub trait Operations: Send + Sync {
    /// Purges up to `batch` of each kind received (or attempted) before `cutoff_ms`.
    async fn purge_batch(
        &self,
        cutoff_ms: i64,
        batch: i64,
        now_ms: i64,
    ) -> Result<Purged, StoreError>;
    /// How many deliveries wait, and since when the oldest due one is due.
    async fn delivery_queue(&self, now_ms: i64) -> Result<QueueState, StoreError>;
    /// Bodies (None once purged) and headers JSON of these events, for the export.
    async fn event_payloads(&self, ids: &[i64]) -> Result<Vec<EventPayload>, StoreError>;
}

/// An event's stored request, for the export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventPayload {
    pub id: i64,
    pub body: Option<Vec<u8>>,
    /// JSON array of `[name, value]`, credentials masked.
    pub headers: String,
}

macro_rules! retention_queries {
    ($ty:ty) => {
        use super::{EventPayload, Operations, Purged, QueueState};
        use sqlx::Row;
        use crate::store::{begin_write, StoreError};

        #[async_trait::async_trait]
        impl Operations for $ty {
            async fn purge_batch(
                &self,
                cutoff_ms: i64,
                batch: i64,
                now_ms: i64,
            ) -> Result<Purged, StoreError> {
                let mut purged = Purged::default();
                let mut tx = begin_write(self.pool()).await?;
                purged.bodies = sqlx::query(
                    "UPDATE events SET body = NULL, headers = '[]', body_purged_at = $1 \
                     WHERE id IN (SELECT id FROM events WHERE body IS NOT NULL AND received_at < $2 \
                     ORDER BY received_at LIMIT $3)",
                )
                .bind(now_ms)
                .bind(cutoff_ms)
                .bind(batch)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                let mut tx = begin_write(self.pool()).await?;
                purged.attempts = sqlx::query(
                    "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE started_at < $1 \
                     ORDER BY started_at LIMIT $2)",
                )
                .bind(cutoff_ms)
                .bind(batch)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                purged.rejections = sqlx::query(
                    "DELETE FROM rejections WHERE id IN (SELECT id FROM rejections WHERE received_at < $1 \
                     ORDER BY received_at LIMIT $2)",
                )
                .bind(cutoff_ms)
                .bind(batch)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(purged)
            }

            async fn delivery_queue(&self, now_ms: i64) -> Result<QueueState, StoreError> {
                let depth: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'retrying')",
                )
                .fetch_one(self.pool())
                .await?;
                let oldest_due_at: Option<i64> = sqlx::query_scalar(
                    "SELECT MIN(next_attempt_at) FROM deliveries \
                     WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1",
                )
                .bind(now_ms)
                .fetch_one(self.pool())
                .await?;
                Ok(QueueState { depth, oldest_due_at })
            }

            async fn event_payloads(&self, ids: &[i64]) -> Result<Vec<EventPayload>, StoreError> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT id, body, headers FROM events WHERE id IN ({})",
                    marks.join(", ")
                );
                let mut query = sqlx::query(&sql);
                for id in ids {
                    query = query.bind(id);
                }
                let rows = query.fetch_all(self.pool()).await?;
                rows.iter()
                    .map(|r| {
                        Ok(EventPayload {
                            id: r.try_get("id")?,
                            body: r.try_get("body")?,
                            headers: r.try_get("headers")?,
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) mod sqlite {
    retention_queries!(crate::store::SqliteStore);
}

pub(crate) mod postgres {
    retention_queries!(crate::store::PostgresStore);
}

/// Purges everything older than `days` before `now_ms`, batch by batch, pausing between
/// batches so other writers get the database; returns the totals.
pub async fn purge_older_than(
    store: &super::SharedStore,
    days: u64,
    batch: i64,
    now_ms: i64,
) -> Result<Purged, StoreError> {
    let cutoff = now_ms
        - i64::try_from(days).unwrap_or(i64::MAX / crate::time::DAY_MS) * crate::time::DAY_MS;
    let mut total = Purged::default();
    loop {
        let step = store
            .operations()
            .purge_batch(cutoff, batch, now_ms)
            .await?;
        total.bodies += step.bodies;
        total.attempts += step.attempts;
        total.rejections += step.rejections;
        let batch = u64::try_from(batch).unwrap_or(0);
        if step.bodies < batch && step.attempts < batch && step.rejections < batch {
            return Ok(total);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The background job `serve` runs: a purge at start and then every hour (`days` = 0: never).
pub fn spawn_retention(store: super::SharedStore, days: u64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if days == 0 {
            return;
        }
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match purge_older_than(&store, days, 500, crate::time::now_ms()).await {
                Ok(p) if p.total() == 0 => tracing::debug!("retention: nothing to purge"),
                Ok(p) => tracing::info!(
                    bodies = p.bodies,
                    attempts = p.attempts,
                    rejections = p.rejections,
                    days,
                    "retention: purged"
                ),
                Err(err) => {
                    tracing::warn!(error = %err, "retention: purge failed; next try in an hour")
                }
            }
        }
    })
}
