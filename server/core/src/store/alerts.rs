//! Alert queries: the list the dashboard shows, the outbox the alert monitor sends from (leased,
//! so several instances never send one alert twice), and the quiet-event-type check. Endpoint
//! alerts are raised inside `record_attempts` and `set_endpoint_state` (store/deliveries.rs),
//! in the same transaction as the change they report.

use async_trait::async_trait;

use super::StoreError;
use crate::alerts::{Alert, AlertFilter, QuietRule, QuietStatus};

#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Alerts, newest first.
    async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError>;
    /// Leases up to `limit` alerts that are due to be sent, oldest first.
    async fn claim_unsent(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Alert>, StoreError>;
    /// The alert URL accepted it.
    async fn alert_sent(&self, id: i64, owner: &str, now_ms: i64) -> Result<(), StoreError>;
    /// Sending failed: try again at `retry_at`, or give up (`failed`) when None.
    async fn alert_send_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError>;
    /// No alert URL is configured: alerts waiting to be sent are marked `unsent`.
    async fn keep_unsent(&self) -> Result<u64, StoreError>;
    /// Raises "quiet" when no event of the rule's type arrived within its window (counted from
    /// when watching began if none ever did), and "resumed" when one arrives after that.
    /// Returns the id of the alert raised, if any.
    async fn check_quiet(&self, rule: &QuietRule, now_ms: i64) -> Result<Option<i64>, StoreError>;
    /// How each watched type stands.
    async fn quiet_status(&self, rules: &[QuietRule]) -> Result<Vec<QuietStatus>, StoreError>;
}

macro_rules! alert_queries {
    ($db:ty, $ty:ty, $d:ident) => {
        use sqlx::Row;

        use super::AlertStore;
        use crate::alerts::{Alert, AlertFilter, AlertKind, QuietRule, QuietStatus};
        use crate::store::deliveries::$d::raise_alert;
        use crate::store::{begin_write, StoreError};

        type Db = $db;

        const COLUMNS: &str = "id, kind, subject, message, detail, created_at, send_state, \
            send_attempts, next_send_at, sent_at, last_send_error";

        fn alert_from_row(r: &<Db as sqlx::Database>::Row) -> Result<Alert, sqlx::Error> {
            Ok(Alert {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                subject: r.try_get("subject")?,
                message: r.try_get("message")?,
                detail: r.try_get("detail")?,
                created_at: r.try_get("created_at")?,
                send_state: r.try_get("send_state")?,
                send_attempts: r.try_get("send_attempts")?,
                next_send_at: r.try_get("next_send_at")?,
                sent_at: r.try_get("sent_at")?,
                last_send_error: r.try_get("last_send_error")?,
            })
        }

        /// `37m`, `6h 12m`, `3d 4h`: how long a quiet spell lasted.
        fn spell(ms: i64) -> String {
            let minutes = ms / 60_000;
            match (minutes / 1440, (minutes % 1440) / 60, minutes % 60) {
                (0, 0, m) => format!("{m}m"),
                (0, h, 0) => format!("{h}h"),
                (0, h, m) => format!("{h}h {m}m"),
                (d, 0, _) => format!("{d}d"),
                (d, h, _) => format!("{d}d {h}h"),
            }
        }

        #[async_trait::async_trait]
        impl AlertStore for $ty {
            async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
                let mut q = sqlx::QueryBuilder::<Db>::new(format!("SELECT {COLUMNS} FROM alerts WHERE 1 = 1"));
                if let Some(kind) = &filter.kind {
                    q.push(" AND kind = ").push_bind(kind.clone());
                }
                if let Some(subject) = &filter.subject {
                    q.push(" AND subject = ").push_bind(subject.clone());
                }
                if let Some(before) = filter.before_id {
                    q.push(" AND id < ").push_bind(before);
                }
                q.push(" ORDER BY id DESC LIMIT ").push_bind(filter.limit.clamp(1, 500));
                let rows = q.build().fetch_all(self.pool()).await?;
                rows.iter().map(|r| alert_from_row(r).map_err(StoreError::from)).collect()
            }

            async fn claim_unsent(
                &self,
                owner: &str,
                now_ms: i64,
                lease_ms: i64,
                limit: i64,
            ) -> Result<Vec<Alert>, StoreError> {
                let lock = if <Db as sqlx::Database>::NAME == "SQLite" { "" } else { " FOR UPDATE SKIP LOCKED" };
                let sql = format!(
                    "UPDATE alerts SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (\
                     SELECT id FROM alerts WHERE send_state = 'pending' AND next_send_at <= $3 \
                     AND (lease_expires_at IS NULL OR lease_expires_at < $3) ORDER BY id LIMIT $4{lock}) \
                     RETURNING {COLUMNS}"
                );
                let mut tx = begin_write(self.pool()).await?;
                let rows = sqlx::query(&sql)
                    .bind(owner)
                    .bind(now_ms + lease_ms)
                    .bind(now_ms)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                let mut claimed = rows.iter().map(alert_from_row).collect::<Result<Vec<_>, _>>()?;
                claimed.sort_by_key(|a| a.id);
                Ok(claimed)
            }

            async fn alert_sent(&self, id: i64, owner: &str, now_ms: i64) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE alerts SET send_state = 'sent', sent_at = $3, send_attempts = send_attempts + 1, \
                     last_send_error = NULL, lease_owner = NULL, lease_expires_at = NULL \
                     WHERE id = $1 AND lease_owner = $2",
                )
                .bind(id)
                .bind(owner)
                .bind(now_ms)
                .execute(self.pool())
                .await?;
                Ok(())
            }

            async fn alert_send_failed(
                &self,
                id: i64,
                owner: &str,
                error: &str,
                retry_at: Option<i64>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE alerts SET send_state = $3, next_send_at = COALESCE($4, next_send_at), \
                     send_attempts = send_attempts + 1, last_send_error = $5, lease_owner = NULL, \
                     lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2",
                )
                .bind(id)
                .bind(owner)
                .bind(if retry_at.is_some() { "pending" } else { "failed" })
                .bind(retry_at)
                .bind(error)
                .execute(self.pool())
                .await?;
                Ok(())
            }

            async fn keep_unsent(&self) -> Result<u64, StoreError> {
                let done = sqlx::query(
                    "UPDATE alerts SET send_state = 'unsent' WHERE send_state = 'pending' AND lease_owner IS NULL",
                )
                .execute(self.pool())
                .await?;
                Ok(done.rows_affected())
            }

            async fn check_quiet(&self, rule: &QuietRule, now_ms: i64) -> Result<Option<i64>, StoreError> {
                let t = &rule.event_type;
                let mut tx = begin_write(self.pool()).await?;
                sqlx::query("INSERT INTO quiet_watch (event_type, watched_since) VALUES ($1, $2) ON CONFLICT (event_type) DO NOTHING")
                    .bind(t)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                let (watched_since, quiet_since): (i64, Option<i64>) =
                    sqlx::query_as("SELECT watched_since, quiet_since FROM quiet_watch WHERE event_type = $1")
                        .bind(t)
                        .fetch_one(&mut *tx)
                        .await?;
                let last_seen: Option<i64> = sqlx::query_scalar("SELECT MAX(received_at) FROM events WHERE event_type = $1")
                    .bind(t)
                    .fetch_one(&mut *tx)
                    .await?;
                let subject = format!("event_type:{t}");
                let window = crate::alerts::format_window(rule.window_ms);
                let mut raised = None;
                match quiet_since {
                    None => {
                        let since = last_seen.unwrap_or(watched_since).max(watched_since);
                        if now_ms - since >= rule.window_ms {
                            let message = match last_seen {
                                Some(seen) => format!(
                                    "No {t} event for {} (window {window}); the last one arrived {}.",
                                    spell(now_ms - seen),
                                    crate::time::format_utc(seen)
                                ),
                                None => format!("No {t} event has arrived since watching began {} ago (window {window}).", spell(now_ms - since)),
                            };
                            raised = raise_alert(
                                &mut tx,
                                AlertKind::EventTypeQuiet,
                                &subject,
                                &message,
                                &serde_json::json!({ "event_type": t, "window_ms": rule.window_ms, "last_seen": last_seen, "quiet_since": since }),
                                Some(&format!("quiet:{t}:{since}")),
                                now_ms,
                            )
                            .await?;
                            sqlx::query("UPDATE quiet_watch SET quiet_since = $2 WHERE event_type = $1")
                                .bind(t)
                                .bind(since)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                    Some(since) => {
                        if let Some(seen) = last_seen.filter(|seen| *seen > since) {
                            raised = raise_alert(
                                &mut tx,
                                AlertKind::EventTypeResumed,
                                &subject,
                                &format!("{t} events resumed after {} without one.", spell(seen - since)),
                                &serde_json::json!({ "event_type": t, "window_ms": rule.window_ms, "last_seen": seen, "quiet_since": since }),
                                Some(&format!("resumed:{t}:{since}")),
                                now_ms,
                            )
                            .await?;
                            sqlx::query("UPDATE quiet_watch SET quiet_since = NULL WHERE event_type = $1")
                                .bind(t)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(raised)
            }

            async fn quiet_status(&self, rules: &[QuietRule]) -> Result<Vec<QuietStatus>, StoreError> {
                let mut out = Vec::with_capacity(rules.len());
                for rule in rules {
                    let last_seen: Option<i64> = sqlx::query_scalar("SELECT MAX(received_at) FROM events WHERE event_type = $1")
                        .bind(&rule.event_type)
                        .fetch_one(self.pool())
                        .await?;
                    let quiet_since: Option<i64> = sqlx::query_scalar("SELECT quiet_since FROM quiet_watch WHERE event_type = $1")
                        .bind(&rule.event_type)
                        .fetch_optional(self.pool())
                        .await?
                        .flatten();
                    out.push(QuietStatus {
                        event_type: rule.event_type.clone(),
                        window_ms: rule.window_ms,
                        last_seen,
                        quiet_since,
                    });
                }
                Ok(out)
            }
        }
    };
}

pub(crate) mod sqlite {
    alert_queries!(sqlx::Sqlite, crate::store::SqliteStore, sqlite);
}

pub(crate) mod postgres {
    alert_queries!(sqlx::Postgres, crate::store::PostgresStore, postgres);
}
