//! Queries whose SQL is the same on both databases (`$n` placeholders, `RETURNING` and
//! `ON CONFLICT` mean the same in SQLite and PostgreSQL). The macro writes each function once
//! and instantiates it for each database's concrete pool type, so both are type-checked and
//! tested, without sqlx's generic-executor trait bounds.

macro_rules! shared_queries {
    ($db:ty) => {
        use sqlx::{Pool, Row};

        use crate::model::{Overview, RejectionSummary, SourceSummary};
        use crate::store::{
            first_overview_hour, hourly_buckets, NewEvent, NewRejection, NewSource, SecretRecord,
            SourceChange, SourceRecord, Stored, StoreError,
        };
        use crate::crypto::{MasterKey, Purpose};
        use crate::time::{DAY_MS, HOUR_MS};

        type Db = $db;

        pub(crate) async fn analyze(pool: &Pool<Db>) -> Result<(), StoreError> {
            sqlx::query("ANALYZE").execute(pool).await?;
            Ok(())
        }

        pub(crate) async fn ping(pool: &Pool<Db>) -> Result<(), StoreError> {
            sqlx::query("SELECT 1").execute(pool).await?;
            Ok(())
        }

        pub(crate) async fn overview(pool: &Pool<Db>, now_ms: i64) -> Result<Overview, StoreError> {
            let since = first_overview_hour(now_ms) * HOUR_MS;
            let per_hour = |table: &str| {
                format!(
                    "SELECT received_at / $1 AS hour, COUNT(*) FROM {table} \
                     WHERE received_at >= $2 GROUP BY received_at / $1"
                )
            };
            let events: Vec<(i64, i64)> = sqlx::query_as(&per_hour("events"))
                .bind(HOUR_MS)
                .bind(since)
                .fetch_all(pool)
                .await?;
            let failed_attempts: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT started_at / $1 AS hour, COUNT(*) FROM attempts \
                 WHERE started_at >= $2 AND error_kind IS NOT NULL GROUP BY started_at / $1",
            )
            .bind(HOUR_MS)
            .bind(since)
            .fetch_all(pool)
            .await?;
            let rejections: Vec<(i64, i64)> = sqlx::query_as(&per_hour("rejections"))
                .bind(HOUR_MS)
                .bind(since)
                .fetch_all(pool)
                .await?;
            let counts: (i64, i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM events), \
                 (SELECT COUNT(*) FROM events WHERE received_at >= $1), \
                 (SELECT COUNT(*) FROM rejections WHERE received_at >= $1), \
                 (SELECT COUNT(*) FROM sources), \
                 (SELECT COUNT(*) FROM attempts WHERE started_at >= $1), \
                 (SELECT COUNT(*) FROM attempts WHERE started_at >= $1 AND error_kind IS NOT NULL), \
                 (SELECT COUNT(*) FROM deliveries WHERE status = 'retrying'), \
                 (SELECT COUNT(*) FROM deliveries WHERE status = 'failed'), \
                 (SELECT COUNT(*) FROM endpoints WHERE failing_since IS NOT NULL OR state = 'disabled')",
            )
            .bind(now_ms - DAY_MS)
            .fetch_one(pool)
            .await?;
            let recent: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(
                "SELECT a.started_at, d.event_id, n.name, COALESCE(a.error_message, a.error_kind) \
                 FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN endpoints n ON n.id = d.endpoint_id \
                 WHERE a.error_kind IS NOT NULL ORDER BY a.id DESC LIMIT 5",
            )
            .fetch_all(pool)
            .await?;
            Ok(Overview {
                events_total: counts.0,
                events_24h: counts.1,
                rejections_24h: counts.2,
                sources: counts.3,
                hourly: hourly_buckets(now_ms, &events, &rejections, &failed_attempts),
                attempts_24h: counts.4,
                failed_attempts_24h: counts.5,
                retrying: counts.6,
                failed: counts.7,
                failing_endpoints: counts.8,
                recent_failures: recent
                    .into_iter()
                    .map(|(at, event_id, endpoint, error)| crate::model::RecentFailure {
                        at,
                        event_id,
                        endpoint,
                        error: error.unwrap_or_default(),
                    })
                    .collect(),
            })
        }

        pub(crate) async fn create_source(
            pool: &Pool<Db>,
            key: &MasterKey,
            new: &NewSource,
            now_ms: i64,
        ) -> Result<i64, StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let inserted = sqlx::query(
                "INSERT INTO sources (slug, name, scheme, config, tolerance_secs, max_body_bytes, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 ON CONFLICT (slug) DO NOTHING RETURNING id",
            )
            .bind(&new.slug)
            .bind(&new.name)
            .bind(new.scheme.as_str())
            .bind(serde_json::to_string(&new.config).unwrap_or_else(|_| "{}".into()))
            .bind(new.tolerance_secs)
            .bind(new.max_body_bytes)
            .bind(now_ms)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = inserted else {
                return Err(StoreError::Conflict(format!("a source with slug {:?} exists", new.slug)));
            };
            let id: i64 = row.try_get(0)?;
            sqlx::query("INSERT INTO source_secrets (source_id, secret, created_at) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(key.seal(Purpose::SourceSecret, &new.secret))
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(id)
        }

        pub(crate) async fn source_by_slug(
            pool: &Pool<Db>,
            key: &MasterKey,
            slug: &str,
        ) -> Result<Option<SourceRecord>, StoreError> {
            let row = sqlx::query(
                "SELECT id, slug, name, scheme, config, tolerance_secs, max_body_bytes \
                 FROM sources WHERE slug = $1",
            )
            .bind(slug)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let id: i64 = row.try_get("id")?;
            let secrets = sqlx::query(
                "SELECT id, secret, created_at, expires_at FROM source_secrets \
                 WHERE source_id = $1 ORDER BY expires_at IS NOT NULL, id DESC",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| {
                let sealed: String = r.try_get("secret")?;
                Ok(SecretRecord {
                    id: r.try_get("id")?,
                    secret: key.open(Purpose::SourceSecret, &sealed)?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
            let scheme: String = row.try_get("scheme")?;
            let config: String = row.try_get("config")?;
            Ok(Some(SourceRecord {
                id,
                slug: row.try_get("slug")?,
                name: row.try_get("name")?,
                scheme: scheme.parse().map_err(StoreError::Corrupt)?,
                config: serde_json::from_str(&config).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                tolerance_secs: row.try_get("tolerance_secs")?,
                max_body_bytes: row.try_get("max_body_bytes")?,
                secrets,
            }))
        }

        pub(crate) async fn list_sources(
            pool: &Pool<Db>,
            now_ms: i64,
        ) -> Result<Vec<SourceSummary>, StoreError> {
            let rows = sqlx::query(
                "SELECT s.id, s.slug, s.name, s.scheme, s.tolerance_secs, s.max_body_bytes, s.created_at, \
                 (SELECT COUNT(*) FROM source_secrets k WHERE k.source_id = s.id \
                    AND (k.expires_at IS NULL OR k.expires_at > $1)) AS active_secrets \
                 FROM sources s ORDER BY s.slug",
            )
            .bind(now_ms)
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(SourceSummary {
                        id: r.try_get("id")?,
                        slug: r.try_get("slug")?,
                        name: r.try_get("name")?,
                        scheme: r.try_get("scheme")?,
                        tolerance_secs: r.try_get("tolerance_secs")?,
                        max_body_bytes: r.try_get("max_body_bytes")?,
                        created_at: r.try_get("created_at")?,
                        active_secrets: r.try_get("active_secrets")?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()
                .map_err(StoreError::from)
        }

        pub(crate) async fn update_source(
            pool: &Pool<Db>,
            slug: &str,
            change: &SourceChange,
            now_ms: i64,
        ) -> Result<(), StoreError> {
            let done = sqlx::query(
                "UPDATE sources SET name = COALESCE($2, name), tolerance_secs = COALESCE($3, tolerance_secs), \
                 max_body_bytes = COALESCE($4, max_body_bytes), updated_at = $5 WHERE slug = $1",
            )
            .bind(slug)
            .bind(&change.name)
            .bind(change.tolerance_secs)
            .bind(change.max_body_bytes)
            .bind(now_ms)
            .execute(pool)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("no source with slug {slug:?}")));
            }
            Ok(())
        }

        /// Deletes a source that has no events (events keep their source for good).
        pub(crate) async fn delete_source(pool: &Pool<Db>, slug: &str) -> Result<(), StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM sources WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&mut *tx)
                .await?;
            let id = id.ok_or_else(|| StoreError::NotFound(format!("no source with slug {slug:?}")))?;
            let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE source_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            if events > 0 {
                return Err(StoreError::Conflict(format!(
                    "source {slug:?} has {events} stored events; it cannot be deleted (rotate its secret to lock senders out)"
                )));
            }
            sqlx::query("DELETE FROM sources WHERE id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        }

        pub(crate) async fn rotate_source_secret(
            pool: &Pool<Db>,
            key: &MasterKey,
            slug: &str,
            secret: &str,
            previous_expires_at: i64,
            now_ms: i64,
        ) -> Result<(), StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM sources WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&mut *tx)
                .await?;
            let id = id.ok_or_else(|| StoreError::NotFound(format!("no source with slug {slug:?}")))?;
            // The current secret keeps working until the overlap ends; older ones keep
            // their own (earlier) expiry.
            sqlx::query(
                "UPDATE source_secrets SET expires_at = $2 WHERE source_id = $1 AND expires_at IS NULL",
            )
            .bind(id)
            .bind(previous_expires_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO source_secrets (source_id, secret, created_at) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(key.seal(Purpose::SourceSecret, secret))
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE sources SET updated_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }

        /// One transaction, one commit, for the whole batch (group commit). Events go in with
        /// multi-row `INSERT ... ON CONFLICT DO NOTHING RETURNING`; rows that come back are new,
        /// the rest are duplicates of rows already stored (or earlier in the same batch).
        pub(crate) async fn insert_events(
            pool: &Pool<Db>,
            batch: &[&NewEvent],
        ) -> Result<Vec<Stored>, StoreError> {
            use std::collections::HashMap;
            // 17 binds a row; stays well under both databases' parameter limits.
            const ROWS_PER_STATEMENT: usize = 500;
            let mut tx = crate::store::begin_write(pool).await?;
            let mut inserted: HashMap<(i64, String), i64> = HashMap::with_capacity(batch.len());
            for chunk in batch.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO events (source_id, provider_event_id, event_type, received_at, body, \
                     body_size, headers, verified_secret_id, livemode, object_id, object_type, \
                     api_version, amount, currency, customer, status, provider_created_at) ",
                );
                q.push_values(chunk, |mut row, ev| {
                    let x = &ev.extracted;
                    row.push_bind(ev.source_id)
                        .push_bind(ev.provider_event_id.clone())
                        .push_bind(ev.event_type.clone())
                        .push_bind(ev.received_at)
                        .push_bind(ev.body.to_vec())
                        .push_bind(ev.body.len() as i64)
                        .push_bind(ev.headers.clone())
                        .push_bind(ev.verified_secret_id)
                        .push_bind(x.livemode)
                        .push_bind(x.object_id.clone())
                        .push_bind(x.object_type.clone())
                        .push_bind(x.api_version.clone())
                        .push_bind(x.amount)
                        .push_bind(x.currency.clone())
                        .push_bind(x.customer.clone())
                        .push_bind(x.status.clone())
                        .push_bind(x.provider_created_at);
                });
                q.push(" ON CONFLICT (source_id, provider_event_id) DO NOTHING RETURNING id, source_id, provider_event_id");
                for row in q.build().fetch_all(&mut *tx).await? {
                    inserted.insert((row.try_get(1)?, row.try_get(2)?), row.try_get(0)?);
                }
            }
            let mut results = Vec::with_capacity(batch.len());
            let mut deliveries: Vec<(i64, &crate::store::FanoutTarget, i64)> = Vec::new();
            let mut payment_events: Vec<i64> = Vec::new();
            for ev in batch {
                // The first event of a key in this batch owns the new row; later ones are repeats.
                let stored = match inserted.remove(&(ev.source_id, ev.provider_event_id.clone())) {
                    Some(id) => {
                        deliveries.extend(ev.fanout.iter().map(|t| (id, t, ev.received_at)));
                        if ev.payment {
                            payment_events.push(id);
                        }
                        Stored::New(id)
                    }
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "UPDATE events SET duplicate_count = duplicate_count + 1, \
                             last_duplicate_at = $3 WHERE source_id = $1 AND provider_event_id = $2 \
                             RETURNING id",
                        )
                        .bind(ev.source_id)
                        .bind(&ev.provider_event_id)
                        .bind(ev.received_at)
                        .fetch_one(&mut *tx)
                        .await?;
                        Stored::Duplicate(id)
                    }
                };
                results.push(stored);
            }
            for chunk in deliveries.chunks(ROWS_PER_STATEMENT * 2) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO deliveries (event_id, endpoint_id, status, next_attempt_at, created_at, updated_at) ",
                );
                q.push_values(chunk, |mut row, (event_id, target, at)| {
                    row.push_bind(*event_id)
                        .push_bind(target.endpoint_id)
                        .push_bind(if target.held { "held" } else { "pending" })
                        .push_bind(*at)
                        .push_bind(*at)
                        .push_bind(*at);
                });
                q.build().execute(&mut *tx).await?;
            }
            // The payments projector folds these in after the commit (see store/payments.rs).
            for chunk in payment_events.chunks(ROWS_PER_STATEMENT * 2) {
                let mut q = sqlx::QueryBuilder::<Db>::new("INSERT INTO payment_queue (event_id) ");
                q.push_values(chunk, |mut row, id| {
                    row.push_bind(*id);
                });
                q.push(" ON CONFLICT (event_id) DO NOTHING");
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(results)
        }

        pub(crate) async fn insert_rejection(
            pool: &Pool<Db>,
            r: &NewRejection,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO rejections (source_id, source_slug, reason, detail, headers, \
                 body_prefix, body_size, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(r.source_id)
            .bind(&r.source_slug)
            .bind(&r.reason)
            .bind(&r.detail)
            .bind(&r.headers)
            .bind(&r.body_prefix[..])
            .bind(r.body_size)
            .bind(r.received_at)
            .execute(pool)
            .await?;
            Ok(())
        }

        pub(crate) async fn trim_rejections(pool: &Pool<Db>, keep: i64) -> Result<u64, StoreError> {
            let done = sqlx::query(
                "DELETE FROM rejections WHERE id <= \
                 (SELECT id FROM rejections ORDER BY id DESC LIMIT 1 OFFSET $1)",
            )
            .bind(keep)
            .execute(pool)
            .await?;
            Ok(done.rows_affected())
        }

        pub(crate) async fn recent_rejections(
            pool: &Pool<Db>,
            limit: i64,
        ) -> Result<Vec<RejectionSummary>, StoreError> {
            let rows = sqlx::query(
                "SELECT id, source_slug, reason, detail, body_size, received_at FROM rejections \
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(RejectionSummary {
                        id: r.try_get("id")?,
                        source_slug: r.try_get("source_slug")?,
                        reason: r.try_get("reason")?,
                        detail: r.try_get("detail")?,
                        body_size: r.try_get("body_size")?,
                        received_at: r.try_get("received_at")?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()
                .map_err(StoreError::from)
        }

        pub(crate) async fn event_body(
            pool: &Pool<Db>,
            id: i64,
        ) -> Result<Option<(Option<Vec<u8>>, i64)>, StoreError> {
            let row = sqlx::query("SELECT body, duplicate_count FROM events WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.map(|r| Ok((r.try_get("body")?, r.try_get("duplicate_count")?)))
                .transpose()
                .map_err(|e: sqlx::Error| e.into())
        }

        pub(crate) async fn count_events(pool: &Pool<Db>) -> Result<i64, StoreError> {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(pool).await?)
        }
    };
}

pub(crate) mod sqlite {
    shared_queries!(sqlx::Sqlite);
}

pub(crate) mod postgres {
    shared_queries!(sqlx::Postgres);
}
