//! Read-only queries behind the dashboard pages (events list and detail, failures), written
//! once and instantiated per database. The only difference is the payload search predicate:
//! SQLite's `instr` and PostgreSQL's `position` both find bytes inside the stored body.

macro_rules! view_queries {
    ($db:ty, $search:literal, $backend:ident) => {
        use sqlx::{Pool, Row};

        use crate::model::{DeliveryDetail, EventDetail, EventFilter, EventRow, FailureGroup};
        use crate::store::StoreError;

        type Db = $db;

        const ROW_COLUMNS: &str = "e.id, s.slug, e.provider_event_id, e.event_type, e.received_at, e.livemode, \
            e.duplicate_count, \
            (SELECT COUNT(*) FROM deliveries d WHERE d.event_id = e.id) AS d_total, \
            (SELECT COUNT(*) FROM deliveries d WHERE d.event_id = e.id AND d.status = 'succeeded') AS d_ok, \
            (SELECT COUNT(*) FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('retrying', 'failed')) AS d_bad, \
            (SELECT COUNT(*) FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'in_flight', 'held')) AS d_wait";

        fn row_from(r: &<Db as sqlx::Database>::Row) -> Result<EventRow, sqlx::Error> {
            Ok(EventRow {
                id: r.try_get("id")?,
                source: r.try_get("slug")?,
                provider_event_id: r.try_get("provider_event_id")?,
                event_type: r.try_get("event_type")?,
                received_at: r.try_get("received_at")?,
                livemode: r.try_get("livemode")?,
                duplicate_count: r.try_get("duplicate_count")?,
                deliveries_total: r.try_get("d_total")?,
                deliveries_succeeded: r.try_get("d_ok")?,
                deliveries_failing: r.try_get("d_bad")?,
                deliveries_pending: r.try_get("d_wait")?,
            })
        }

        /// Newest first, `limit` rows after the keyset cursor.
        pub(crate) async fn list_events(pool: &Pool<Db>, f: &EventFilter, limit: i64) -> Result<Vec<EventRow>, StoreError> {
            let (type_exact, type_prefix) = match f.event_type.as_deref().map(str::trim) {
                Some("*") | Some("") | None => (None, None),
                Some(t) => match t.strip_suffix(".*") {
                    Some(prefix) => (None, Some(format!("{prefix}."))),
                    None => (Some(t.to_string()), None),
                },
            };
            let sql = format!(
                "SELECT {ROW_COLUMNS} FROM events e JOIN sources s ON s.id = e.source_id WHERE \
                 ($1 IS NULL OR s.slug = $1) \
                 AND ($2 IS NULL OR e.event_type = $2) \
                 AND ($3 IS NULL OR substr(e.event_type, 1, length($3)) = $3) \
                 AND ($4 IS NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = $4)) \
                 AND ($5 IS NULL OR e.provider_event_id = $5 OR e.object_id = $5) \
                 AND ($6 IS NULL OR {}) \
                 AND ($7 IS NULL OR e.received_at >= $7) \
                 AND ($8 IS NULL OR e.received_at < $8) \
                 AND ($9 IS NULL OR e.received_at < $9 OR (e.received_at = $9 AND e.id < $10)) \
                 ORDER BY e.received_at DESC, e.id DESC LIMIT $11",
                $search
            );
            let rows = sqlx::query(&sql)
                .bind(&f.source)
                .bind(type_exact)
                .bind(type_prefix)
                .bind(&f.delivery_status)
                .bind(&f.provider_id)
                .bind(f.search.as_ref().map(|s| s.as_bytes().to_vec()))
                .bind(f.from)
                .bind(f.to)
                .bind(f.before.map(|b| b.0))
                .bind(f.before.map_or(0, |b| b.1))
                .bind(limit)
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(row_from).collect::<Result<_, _>>()?)
        }

        pub(crate) async fn event_detail(pool: &Pool<Db>, id: i64) -> Result<Option<EventDetail>, StoreError> {
            let row = sqlx::query(&format!(
                "SELECT {ROW_COLUMNS}, s.scheme, e.body, e.body_size, e.headers, e.verified_secret_id, e.object_id, \
                 e.object_type, e.amount, e.currency, e.customer, e.status, e.last_duplicate_at \
                 FROM events e JOIN sources s ON s.id = e.source_id WHERE e.id = $1"
            ))
            .bind(id)
            .fetch_optional(pool)
            .await?;
            let Some(r) = row else { return Ok(None) };
            let body: Option<Vec<u8>> = r.try_get("body")?;
            let headers: String = r.try_get("headers")?;
            let deliveries = sqlx::query(
                "SELECT d.id, n.name, n.url FROM deliveries d JOIN endpoints n ON n.id = d.endpoint_id \
                 WHERE d.event_id = $1 ORDER BY d.id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let mut details = Vec::with_capacity(deliveries.len());
            for d in deliveries {
                let delivery_id: i64 = d.try_get("id")?;
                let Some(delivery) = super::super::deliveries::$backend::delivery(pool, delivery_id).await? else { continue };
                details.push(DeliveryDetail {
                    delivery,
                    endpoint_name: d.try_get("name")?,
                    endpoint_url: d.try_get("url")?,
                    attempts: super::super::deliveries::$backend::attempts(pool, delivery_id).await?,
                });
            }
            Ok(Some(EventDetail {
                row: row_from(&r)?,
                scheme: r.try_get("scheme")?,
                body: body.map(|b| String::from_utf8_lossy(&b).into_owned()),
                body_size: r.try_get("body_size")?,
                headers: serde_json::from_str(&headers).unwrap_or_default(),
                verified_secret_id: r.try_get("verified_secret_id")?,
                object_id: r.try_get("object_id")?,
                object_type: r.try_get("object_type")?,
                amount: r.try_get("amount")?,
                currency: r.try_get("currency")?,
                customer: r.try_get("customer")?,
                status: r.try_get("status")?,
                last_duplicate_at: r.try_get("last_duplicate_at")?,
                deliveries: details,
            }))
        }

        /// Every event type seen: (type, count, last received, newest event id), most recent first.
        pub(crate) async fn event_types(pool: &Pool<Db>) -> Result<Vec<(String, i64, i64, i64)>, StoreError> {
            Ok(sqlx::query_as(
                "SELECT event_type, COUNT(*), MAX(received_at), MAX(id) FROM events \
                 GROUP BY event_type ORDER BY MAX(received_at) DESC",
            )
            .fetch_all(pool)
            .await?)
        }

        /// Per endpoint since `since`: attempts, successful attempts, and the latest error.
        pub(crate) async fn endpoint_health(pool: &Pool<Db>, since: i64) -> Result<Vec<crate::model::EndpointHealth>, StoreError> {
            let counts: Vec<(i64, i64, i64)> = sqlx::query_as(
                "SELECT d.endpoint_id, COUNT(*), \
                 SUM(CASE WHEN a.error_kind IS NULL AND a.response_status BETWEEN 200 AND 299 THEN 1 ELSE 0 END) \
                 FROM attempts a JOIN deliveries d ON d.id = a.delivery_id \
                 WHERE a.started_at >= $1 GROUP BY d.endpoint_id",
            )
            .bind(since)
            .fetch_all(pool)
            .await?;
            let errors: Vec<(i64, i64, String)> = sqlx::query_as(
                "SELECT d.endpoint_id, a.started_at, COALESCE(a.error_message, a.error_kind) \
                 FROM attempts a JOIN deliveries d ON d.id = a.delivery_id \
                 WHERE a.id IN (SELECT MAX(a2.id) FROM attempts a2 JOIN deliveries d2 ON d2.id = a2.delivery_id \
                                WHERE a2.started_at >= $1 AND a2.error_kind IS NOT NULL GROUP BY d2.endpoint_id)",
            )
            .bind(since)
            .fetch_all(pool)
            .await?;
            let mut health: Vec<crate::model::EndpointHealth> = counts
                .into_iter()
                .map(|(endpoint_id, attempts, succeeded)| crate::model::EndpointHealth {
                    endpoint_id,
                    attempts,
                    succeeded,
                    ..Default::default()
                })
                .collect();
            for (endpoint_id, at, message) in errors {
                if let Some(h) = health.iter_mut().find(|h| h.endpoint_id == endpoint_id) {
                    h.last_error = Some(message);
                    h.last_error_at = Some(at);
                }
            }
            Ok(health)
        }

        /// Retrying and failed deliveries, grouped by endpoint and last error, worst first.
        pub(crate) async fn failure_groups(pool: &Pool<Db>) -> Result<Vec<FailureGroup>, StoreError> {
            let rows = sqlx::query(
                "SELECT d.endpoint_id, n.name, n.state, COALESCE(d.last_error, 'unknown error') AS error, \
                 SUM(CASE WHEN d.status = 'retrying' THEN 1 ELSE 0 END) AS retrying, \
                 SUM(CASE WHEN d.status = 'failed' THEN 1 ELSE 0 END) AS failed, \
                 MIN(CASE WHEN d.status = 'retrying' THEN d.next_attempt_at END) AS next_at, \
                 MAX(d.id) AS latest_delivery, MAX(d.event_id) AS latest_event \
                 FROM deliveries d JOIN endpoints n ON n.id = d.endpoint_id \
                 WHERE d.status IN ('retrying', 'failed') \
                 GROUP BY d.endpoint_id, n.name, n.state, COALESCE(d.last_error, 'unknown error') \
                 ORDER BY COUNT(*) DESC, n.name",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(FailureGroup {
                        endpoint_id: r.try_get("endpoint_id")?,
                        endpoint_name: r.try_get("name")?,
                        endpoint_state: r.try_get("state")?,
                        error: r.try_get("error")?,
                        retrying: r.try_get("retrying")?,
                        failed: r.try_get("failed")?,
                        next_attempt_at: r.try_get("next_at")?,
                        latest_delivery_id: r.try_get("latest_delivery")?,
                        latest_event_id: r.try_get("latest_event")?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()
                .map_err(StoreError::from)
        }
    };
}

pub(crate) mod sqlite {
    view_queries!(sqlx::Sqlite, "instr(e.body, $6) > 0", sqlite);
}

pub(crate) mod postgres {
    view_queries!(sqlx::Postgres, "position($6 in e.body) > 0", postgres);
}
