//! Read-only queries behind the dashboard pages (events list and detail, failures), written
//! once and instantiated per database. The only difference is the payload search predicate:
//! SQLite's `instr` and PostgreSQL's `position` both find bytes inside the stored body.

macro_rules! view_queries {
    ($db:ty, $search:literal, $backend:ident) => {
        use sqlx::{Pool, Row};

        use crate::model::{DeliveryDetail, EventDetail, EventFilter, EventRow, FailureGroup};
        use crate::store::views::{Arg, Where};
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
            // Only the filters that are set become SQL, so that each can use its index
            // (`$x IS NULL OR …` predicates hide indexes from the planner).
            let mut w = Where::default();
            if let Some(slug) = &f.source {
                let p = w.arg(Arg::Text(slug.clone()));
                w.cond(format!("e.source_id = (SELECT id FROM sources WHERE slug = {p})"));
            }
            match f.event_type.as_deref().map(str::trim) {
                Some("*") | Some("") | None => {}
                Some(t) => match t.strip_suffix(".*") {
                    Some(prefix) => {
                        // Not sargable on purpose: scanning newest first and skipping the
                        // other types beats sorting every event of the prefix.
                        let p = w.arg(Arg::Text(format!("{prefix}.")));
                        w.cond(format!("substr(e.event_type, 1, length({p})) = {p}"));
                    }
                    None => {
                        let p = w.arg(Arg::Text(t.to_string()));
                        w.cond(format!("e.event_type = {p}"));
                    }
                },
            }
            if let Some(status) = &f.delivery_status {
                let p = w.arg(Arg::Text(status.clone()));
                w.cond(format!("e.id IN (SELECT d.event_id FROM deliveries d WHERE d.status = {p})"));
            }
            if let Some(id) = &f.provider_id {
                let p = w.arg(Arg::Text(id.clone()));
                w.cond(format!("(e.provider_event_id = {p} OR e.object_id = {p})"));
            }
            if let Some(text) = &f.search {
                let p = w.arg(Arg::Bytes(text.as_bytes().to_vec()));
                w.cond(format!($search, p));
            }
            if let Some(from) = f.from {
                let p = w.arg(Arg::Int(from));
                w.cond(format!("e.received_at >= {p}"));
            }
            if let Some(to) = f.to {
                let p = w.arg(Arg::Int(to));
                w.cond(format!("e.received_at < {p}"));
            }
            if let Some((at, id)) = f.before {
                let (a, b) = (w.arg(Arg::Int(at)), w.arg(Arg::Int(id)));
                // A row-value comparison: both databases walk the (received_at, id) index from it.
                w.cond(format!("(e.received_at, e.id) < ({a}, {b})"));
            }
            let lim = w.arg(Arg::Int(limit));
            let sql = format!(
                "SELECT {ROW_COLUMNS} FROM events e JOIN sources s ON s.id = e.source_id {} \
                 ORDER BY e.received_at DESC, e.id DESC LIMIT {lim}",
                w.clause()
            );
            let mut query = sqlx::query(&sql);
            for arg in w.args {
                query = match arg {
                    Arg::Text(v) => query.bind(v),
                    Arg::Int(v) => query.bind(v),
                    Arg::Bytes(v) => query.bind(v),
                };
            }
            let rows = query.fetch_all(pool).await?;
            Ok(rows.iter().map(row_from).collect::<Result<_, _>>()?)
        }

        pub(crate) async fn event_detail(pool: &Pool<Db>, id: i64) -> Result<Option<EventDetail>, StoreError> {
            let row = sqlx::query(&format!(
                "SELECT {ROW_COLUMNS}, s.scheme, e.body, e.body_size, e.headers, e.verified_secret_id, e.object_id, \
                 e.object_type, e.amount, e.currency, e.customer, e.status, e.last_duplicate_at, e.body_purged_at \
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
                body_purged_at: r.try_get("body_purged_at")?,
                payload_withheld: false,
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

        /// The distinct event types, in order, found by hopping along the type index (one
        /// lookup per type, not a scan of every event).
        pub(crate) async fn event_type_names(pool: &Pool<Db>) -> Result<Vec<String>, StoreError> {
            Ok(sqlx::query_scalar(
                "WITH RECURSIVE t(name) AS ( \
                   SELECT MIN(event_type) FROM events \
                   UNION ALL \
                   SELECT (SELECT MIN(event_type) FROM events WHERE event_type > t.name) FROM t WHERE t.name IS NOT NULL \
                 ) SELECT name FROM t WHERE name IS NOT NULL",
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
    view_queries!(sqlx::Sqlite, "instr(e.body, {}) > 0", sqlite);
}

pub(crate) mod postgres {
    view_queries!(sqlx::Postgres, "position({} in e.body) > 0", postgres);
}

/// A value bound to a numbered placeholder.
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Bytes(Vec<u8>),
}

/// A `WHERE` clause assembled from the conditions that apply, with their arguments in
/// placeholder order (`$1`, `$2`, … on both databases).
#[derive(Default)]
pub(crate) struct Where {
    conds: Vec<String>,
    pub(crate) args: Vec<Arg>,
}

impl Where {
    /// Adds an argument; returns its placeholder.
    pub(crate) fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub(crate) fn cond(&mut self, cond: String) {
        self.conds.push(cond);
    }

    /// `WHERE a AND b`, or nothing.
    pub(crate) fn clause(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conds.join(" AND "))
        }
    }
}
