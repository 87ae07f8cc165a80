//! Outbound queries: endpoints, deliveries, attempts, bulk replays and the audit log. As in
//! `common.rs`, written once and instantiated per database; the only difference is that
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so several instances share the queue.

macro_rules! delivery_queries {
    ($db:ty, $skip_locked:literal) => {
        use sqlx::{Pool, Row};

        use crate::alerts::AlertKind;
        use crate::model::{Attempt, BulkReplay, Delivery, Endpoint, ReplayFilter};
        use crate::crypto::{MasterKey, Purpose};
        use crate::store::{AttemptResult, Claimed, EndpointRecord, NewEndpoint, StoreError};

        type Db = $db;

        const ENDPOINT_COLUMNS: &str = "id, name, url, description, patterns, source_id, state, \
            state_reason, secret, headers, timeout_ms, max_in_flight, retry_schedule, failing_since, created_at";

        /// Header values are sealed one by one; names stay readable.
        fn seal_headers(key: &MasterKey, headers: &[(String, String)]) -> Vec<(String, String)> {
            headers
                .iter()
                .map(|(name, value)| (name.clone(), key.seal(Purpose::EndpointHeader, value)))
                .collect()
        }

        fn endpoint_from_row(r: &<Db as sqlx::Database>::Row, key: &MasterKey) -> Result<EndpointRecord, StoreError> {
            let json = |col: &str| -> Result<String, StoreError> { Ok(r.try_get::<String, _>(col)?) };
            let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
            let schedule: Option<String> = r.try_get("retry_schedule")?;
            Ok(EndpointRecord {
                endpoint: Endpoint {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    url: r.try_get("url")?,
                    description: r.try_get("description")?,
                    patterns: serde_json::from_str(&json("patterns")?).map_err(corrupt)?,
                    source_id: r.try_get("source_id")?,
                    state: r.try_get("state")?,
                    state_reason: r.try_get("state_reason")?,
                    headers: serde_json::from_str::<Vec<(String, String)>>(&json("headers")?)
                        .map_err(corrupt)?
                        .into_iter()
                        .map(|(name, value)| Ok((name, key.open(Purpose::EndpointHeader, &value)?)))
                        .collect::<Result<_, StoreError>>()?,
                    timeout_ms: r.try_get("timeout_ms")?,
                    max_in_flight: r.try_get("max_in_flight")?,
                    retry_schedule: schedule.map(|s| serde_json::from_str(&s)).transpose().map_err(corrupt)?,
                    failing_since: r.try_get("failing_since")?,
                    created_at: r.try_get("created_at")?,
                },
                secret: key.open(Purpose::EndpointSecret, &r.try_get::<String, _>("secret")?)?,
            })
        }

        pub(crate) async fn create_endpoint(pool: &Pool<Db>, key: &MasterKey, new: &NewEndpoint, now_ms: i64) -> Result<i64, StoreError> {
            let to_json = |v: &dyn erased::Json| v.json();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO endpoints (name, url, description, patterns, source_id, state, secret, headers, \
                 timeout_ms, max_in_flight, retry_schedule, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'enabled', $6, $7, $8, $9, $10, $11, $11) RETURNING id",
            )
            .bind(&new.name)
            .bind(&new.url)
            .bind(&new.description)
            .bind(to_json(&new.patterns))
            .bind(new.source_id)
            .bind(key.seal(Purpose::EndpointSecret, &new.secret))
            .bind(to_json(&seal_headers(key, &new.headers)))
            .bind(new.timeout_ms)
            .bind(new.max_in_flight)
            .bind(new.retry_schedule.as_ref().map(|s| to_json(s)))
            .bind(now_ms)
            .fetch_one(pool)
            .await?;
            Ok(id)
        }

        /// Replaces an endpoint's settings (not its secret or state), with an audit entry.
        pub(crate) async fn update_endpoint(
            pool: &Pool<Db>,
            key: &MasterKey,
            id: i64,
            new: &NewEndpoint,
            actor: &str,
            now_ms: i64,
        ) -> Result<(), StoreError> {
            let to_json = |v: &dyn erased::Json| v.json();
            let mut tx = crate::store::begin_write(pool).await?;
            let done = sqlx::query(
                "UPDATE endpoints SET name = $2, url = $3, description = $4, patterns = $5, source_id = $6, \
                 headers = $7, timeout_ms = $8, max_in_flight = $9, retry_schedule = $10, updated_at = $11 WHERE id = $1",
            )
            .bind(id)
            .bind(&new.name)
            .bind(&new.url)
            .bind(&new.description)
            .bind(to_json(&new.patterns))
            .bind(new.source_id)
            .bind(to_json(&seal_headers(key, &new.headers)))
            .bind(new.timeout_ms)
            .bind(new.max_in_flight)
            .bind(new.retry_schedule.as_ref().map(|s| to_json(s)))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("no endpoint {id}")));
            }
            audit(&mut *tx, now_ms, actor, "endpoint.updated", &format!("endpoint:{id}"),
                &serde_json::json!({"url": new.url, "patterns": new.patterns})).await?;
            tx.commit().await?;
            Ok(())
        }

        pub(crate) async fn endpoints(pool: &Pool<Db>, key: &MasterKey) -> Result<Vec<EndpointRecord>, StoreError> {
            let rows = sqlx::query(&format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints ORDER BY name, id"))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| endpoint_from_row(r, key)).collect()
        }

        pub(crate) async fn endpoint(pool: &Pool<Db>, key: &MasterKey, id: i64) -> Result<Option<EndpointRecord>, StoreError> {
            let row = sqlx::query(&format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(|r| endpoint_from_row(r, key)).transpose()
        }

        pub(crate) async fn set_endpoint_state(
            pool: &Pool<Db>,
            id: i64,
            state: &str,
            reason: &str,
            actor: &str,
            now_ms: i64,
        ) -> Result<(), StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let before: Option<(String, String)> =
                sqlx::query_as("SELECT state, name FROM endpoints WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((was, name)) = &before {
                if state == "disabled" && was != "disabled" {
                    let by = if reason.is_empty() { String::new() } else { format!(": {reason}") };
                    insert_alert(
                        &mut tx,
                        AlertKind::EndpointDisabled,
                        id,
                        &format!("Endpoint “{name}” was disabled by {actor}{by}."),
                        &serde_json::json!({ "endpoint_id": id, "endpoint": name, "reason": reason, "actor": actor }),
                        now_ms,
                    )
                    .await?;
                }
            }
            let done = sqlx::query(
                "UPDATE endpoints SET state = $2, state_reason = $3, updated_at = $4, \
                 failing_since = CASE WHEN $2 = 'enabled' THEN NULL ELSE failing_since END WHERE id = $1",
            )
            .bind(id)
            .bind(state)
            .bind(reason)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("no endpoint {id}")));
            }
            if state == "enabled" {
                // Resume: held deliveries go out in the order they were created.
                sqlx::query(
                    "UPDATE deliveries SET status = 'pending', next_attempt_at = $2, updated_at = $2 \
                     WHERE endpoint_id = $1 AND status = 'held'",
                )
                .bind(id)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
            audit(&mut *tx, now_ms, actor, &format!("endpoint.{state}"), &format!("endpoint:{id}"),
                &serde_json::json!({ "reason": reason })).await?;
            tx.commit().await?;
            Ok(())
        }

        pub(crate) async fn rotate_endpoint_secret(
            pool: &Pool<Db>,
            key: &MasterKey,
            id: i64,
            secret: &str,
            actor: &str,
            now_ms: i64,
        ) -> Result<(), StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let done = sqlx::query("UPDATE endpoints SET secret = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(key.seal(Purpose::EndpointSecret, secret))
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("no endpoint {id}")));
            }
            audit(&mut *tx, now_ms, actor, "endpoint.secret_rotated", &format!("endpoint:{id}"), &serde_json::json!({})).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn audit<'c, E>(exec: E, now_ms: i64, actor: &str, action: &str, target: &str, detail: &serde_json::Value) -> Result<(), StoreError>
        where
            E: sqlx::Executor<'c, Database = Db>,
        {
            sqlx::query("INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
                .bind(now_ms)
                .bind(actor)
                .bind(action)
                .bind(target)
                .bind(detail.to_string())
                .execute(exec)
                .await?;
            Ok(())
        }

        pub(crate) async fn claim_due(
            pool: &Pool<Db>,
            owner: &str,
            now_ms: i64,
            limit: i64,
        ) -> Result<Vec<Claimed>, StoreError> {
            // Leases of a dead worker expire: those deliveries become due again.
            sqlx::query(
                "UPDATE deliveries SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, \
                 next_attempt_at = $1, updated_at = $1 WHERE status = 'in_flight' AND lease_expires_at <= $1",
            )
            .bind(now_ms)
            .execute(pool)
            .await?;
            // Each enabled endpoint gets at most its free in-flight slots, so one slow
            // endpoint's backlog never takes the places of another's deliveries.
            let capacity: Vec<(i64, i64, i64)> = sqlx::query_as(
                "SELECT e.id, e.max_in_flight - COALESCE(f.n, 0), e.timeout_ms FROM endpoints e \
                 LEFT JOIN (SELECT endpoint_id, COUNT(*) AS n FROM deliveries WHERE status = 'in_flight' \
                            GROUP BY endpoint_id) f ON f.endpoint_id = e.id \
                 WHERE e.state = 'enabled' ORDER BY e.id",
            )
            .fetch_all(pool)
            .await?;
            let claim_sql = format!(
                "UPDATE deliveries SET status = 'in_flight', lease_owner = $1, updated_at = $2, lease_expires_at = $3 \
                 WHERE id IN (SELECT id FROM deliveries WHERE endpoint_id = $4 AND status IN ('pending', 'retrying') \
                   AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $5 {}) \
                 AND status IN ('pending', 'retrying') \
                 RETURNING id, event_id, endpoint_id, attempts, next_trigger, next_actor",
                $skip_locked
            );
            let mut claimed = Vec::new();
            for (endpoint_id, free, timeout_ms) in capacity {
                let take = free.min(limit - claimed.len() as i64);
                if take <= 0 {
                    continue;
                }
                let rows = sqlx::query(&claim_sql)
                    .bind(owner)
                    .bind(now_ms)
                    .bind(now_ms + timeout_ms + 10_000)
                    .bind(endpoint_id)
                    .bind(take)
                    .fetch_all(pool)
                    .await?;
                for r in rows {
                    claimed.push(Claimed {
                        delivery_id: r.try_get("id")?,
                        event_id: r.try_get("event_id")?,
                        endpoint_id: r.try_get("endpoint_id")?,
                        attempts: r.try_get("attempts")?,
                        trigger: r.try_get("next_trigger")?,
                        actor: r.try_get("next_actor")?,
                    });
                }
            }
            // Oldest first, across endpoints.
            Ok(claimed)
        }

        /// Records finished attempts and moves each delivery on, in one transaction.
        pub(crate) async fn record_attempts(
            pool: &Pool<Db>,
            results: &[AttemptResult],
            owner: &str,
            rules: &crate::store::AttemptRules,
        ) -> Result<(), StoreError> {
            let disable_after_ms = rules.disable_after_ms;
            let mut tx = crate::store::begin_write(pool).await?;
            // First, so that endpoint rows are locked in id order.
            endpoint_alerts(&mut tx, results, rules.alert_after_failures).await?;
            // Attempts: multi-row inserts (12 binds a row).
            for chunk in results.chunks(400) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO attempts (delivery_id, number, trigger, actor, started_at, duration_ms, \
                     request_headers, response_status, response_headers, response_body, error_kind, error_message) ",
                );
                q.push_values(chunk, |mut row, a| {
                    row.push_bind(a.delivery_id)
                        .push_bind(a.number)
                        .push_bind(a.trigger.clone())
                        .push_bind(a.actor.clone())
                        .push_bind(a.started_at)
                        .push_bind(a.duration_ms)
                        .push_bind(a.request_headers.clone())
                        .push_bind(a.response_status)
                        .push_bind(a.response_headers.clone())
                        .push_bind(a.response_body.clone())
                        .push_bind(a.error_kind.clone())
                        .push_bind(a.error_message.clone());
                });
                q.build().execute(&mut *tx).await?;
            }
            // Successes with the same answer move on in one statement; only the lease holder
            // moves a delivery on (a lease taken over after expiry belongs to the new worker).
            let mut succeeded: std::collections::BTreeMap<Option<i64>, Vec<i64>> = Default::default();
            let mut healthy: std::collections::BTreeSet<i64> = Default::default();
            for a in results.iter().filter(|a| a.new_status == "succeeded") {
                succeeded.entry(a.response_status).or_default().push(a.delivery_id);
                healthy.insert(a.endpoint_id);
            }
            let finished = results.iter().map(|a| a.finished_at).max().unwrap_or(0);
            for (status, ids) in &succeeded {
                for chunk in ids.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<Db>::new("UPDATE deliveries SET status = 'succeeded', attempts = attempts + 1, ");
                    q.push("next_trigger = 'automatic', next_actor = NULL, lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, last_status = ")
                        .push_bind(*status)
                        .push(", updated_at = ")
                        .push_bind(finished)
                        .push(" WHERE lease_owner = ")
                        .push_bind(owner.to_string())
                        .push(" AND id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    q.build().execute(&mut *tx).await?;
                }
            }
            for endpoint_id in healthy {
                sqlx::query("UPDATE endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL")
                    .bind(endpoint_id)
                    .execute(&mut *tx)
                    .await?;
            }
            for a in results.iter().filter(|a| a.new_status != "succeeded") {
                sqlx::query(
                    "UPDATE deliveries SET status = $2, attempts = $3, next_attempt_at = $4, \
                     next_trigger = 'automatic', next_actor = NULL, lease_owner = NULL, lease_expires_at = NULL, \
                     last_status = $5, last_error = $6, updated_at = $7 \
                     WHERE id = $1 AND lease_owner = $8",
                )
                .bind(a.delivery_id)
                .bind(&a.new_status)
                .bind(a.number)
                .bind(a.next_attempt_at)
                .bind(a.response_status)
                .bind(&a.error_message)
                .bind(a.finished_at)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
                let reason = if a.disable_endpoint {
                    Some(("gone", "the handler answered 410 Gone".to_string()))
                } else {
                    sqlx::query("UPDATE endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1")
                        .bind(a.endpoint_id)
                        .bind(a.finished_at)
                        .execute(&mut *tx)
                        .await?;
                    let since: Option<i64> = sqlx::query_scalar(
                        "SELECT failing_since FROM endpoints WHERE id = $1 AND state = 'enabled'",
                    )
                    .bind(a.endpoint_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .flatten();
                    since
                        .filter(|s| a.finished_at - s >= disable_after_ms)
                        .map(|s| ("auto_disabled", format!(
                            "every delivery failed since {} (for {} days or more)",
                            crate::time::format_utc(s),
                            disable_after_ms / crate::time::DAY_MS
                        )))
                };
                if let Some((action, why)) = reason {
                    let changed = sqlx::query(
                        "UPDATE endpoints SET state = 'disabled', state_reason = $2, updated_at = $3 \
                         WHERE id = $1 AND state <> 'disabled'",
                    )
                    .bind(a.endpoint_id)
                    .bind(&why)
                    .bind(a.finished_at)
                    .execute(&mut *tx)
                    .await?;
                    if changed.rows_affected() > 0 {
                        audit(&mut *tx, a.finished_at, "hookyard", &format!("endpoint.{action}"),
                            &format!("endpoint:{}", a.endpoint_id), &serde_json::json!({ "reason": why })).await?;
                        let name: String = sqlx::query_scalar("SELECT name FROM endpoints WHERE id = $1")
                            .bind(a.endpoint_id)
                            .fetch_one(&mut *tx)
                            .await?;
                        insert_alert(
                            &mut tx,
                            AlertKind::EndpointDisabled,
                            a.endpoint_id,
                            &format!("Endpoint “{name}” was disabled automatically: {why}."),
                            &serde_json::json!({ "endpoint_id": a.endpoint_id, "endpoint": name, "reason": why, "actor": "hookyard" }),
                            a.finished_at,
                        )
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        }

        /// Follows each endpoint's run of failed attempts through `results` (in the order they
        /// finished): "failing" when a run reaches `after`, "recovered" at the first success
        /// after that. Endpoint rows are read (and on PostgreSQL locked) in id order, with
        /// `FOR NO KEY UPDATE`: ingest's inserts of deliveries take `FOR KEY SHARE` on the same
        /// rows (the foreign key), and a stronger lock would make them wait, or deadlock.
        async fn endpoint_alerts(
            tx: &mut sqlx::Transaction<'static, Db>,
            results: &[AttemptResult],
            after: i64,
        ) -> Result<(), StoreError> {
            let mut by_endpoint: std::collections::BTreeMap<i64, Vec<&AttemptResult>> = Default::default();
            for a in results {
                by_endpoint.entry(a.endpoint_id).or_default().push(a);
            }
            let lock = if $skip_locked.is_empty() { "" } else { " FOR NO KEY UPDATE" };
            let select = format!("SELECT name, failure_streak, alerting_since FROM endpoints WHERE id = $1{lock}");
            for (id, mut tries) in by_endpoint {
                tries.sort_by_key(|a| a.finished_at);
                let Some(row) = sqlx::query(&select).bind(id).fetch_optional(&mut **tx).await? else {
                    continue;
                };
                let name: String = row.try_get("name")?;
                let before: (i64, Option<i64>) = (row.try_get("failure_streak")?, row.try_get("alerting_since")?);
                let (mut streak, mut alerting) = before;
                for a in tries {
                    if a.new_status == "succeeded" {
                        if let Some(since) = alerting.take() {
                            insert_alert(
                                tx,
                                AlertKind::EndpointRecovered,
                                id,
                                &format!("Endpoint “{name}” recovered: a delivery succeeded after {} in a row.", count_of(streak, "failed attempt")),
                                &serde_json::json!({ "endpoint_id": id, "endpoint": name, "failed_in_a_row": streak, "failing_since": since }),
                                a.finished_at,
                            )
                            .await?;
                        }
                        streak = 0;
                        continue;
                    }
                    streak += 1;
                    if streak >= after.max(1) && alerting.is_none() {
                        alerting = Some(a.finished_at);
                        let last = what_failed(a);
                        insert_alert(
                            tx,
                            AlertKind::EndpointFailing,
                            id,
                            &format!("Endpoint “{name}” is failing: {} in a row failed (last: {last}).", count_of(streak, "attempt")),
                            &serde_json::json!({ "endpoint_id": id, "endpoint": name, "failed_in_a_row": streak, "last_error": last, "delivery_id": a.delivery_id }),
                            a.finished_at,
                        )
                        .await?;
                    }
                }
                if (streak, alerting) != before {
                    sqlx::query("UPDATE endpoints SET failure_streak = $2, alerting_since = $3 WHERE id = $1")
                        .bind(id)
                        .bind(streak)
                        .bind(alerting)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            Ok(())
        }

        /// `1 attempt`, `3 attempts`.
        fn count_of(n: i64, noun: &str) -> String {
            if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
        }

        /// A failed attempt in a few words: `HTTP 500`, `timeout: ...`.
        fn what_failed(a: &AttemptResult) -> String {
            match (a.response_status, &a.error_kind, &a.error_message) {
                (Some(status), _, _) => format!("HTTP {status}"),
                (None, _, Some(message)) => message.chars().take(200).collect(),
                (None, Some(kind), None) => kind.clone(),
                (None, None, None) => "no answer".into(),
            }
        }

        /// Stores an alert about an endpoint (sent later by the alert monitor) and audits it.
        pub(crate) async fn insert_alert(
            tx: &mut sqlx::Transaction<'static, Db>,
            kind: AlertKind,
            endpoint_id: i64,
            message: &str,
            detail: &serde_json::Value,
            now_ms: i64,
        ) -> Result<Option<i64>, StoreError> {
            raise_alert(tx, kind, &format!("endpoint:{endpoint_id}"), message, detail, None, now_ms).await
        }

        /// Stores an alert and its audit entry. With a `dedup_key`, a second alert with the same
        /// key (another instance raising the same news) is ignored: None.
        pub(crate) async fn raise_alert(
            tx: &mut sqlx::Transaction<'static, Db>,
            kind: AlertKind,
            subject: &str,
            message: &str,
            detail: &serde_json::Value,
            dedup_key: Option<&str>,
            now_ms: i64,
        ) -> Result<Option<i64>, StoreError> {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO alerts (kind, subject, message, detail, created_at, dedup_key, next_send_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $5) ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
            )
            .bind(kind.as_str())
            .bind(subject)
            .bind(message)
            .bind(detail.to_string())
            .bind(now_ms)
            .bind(dedup_key)
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(id) = id {
                audit(&mut **tx, now_ms, "hookyard", &format!("alert.{}", kind.as_str()), subject,
                    &serde_json::json!({ "alert_id": id, "message": message })).await?;
            }
            Ok(id)
        }

        pub(crate) async fn event_for_delivery(
            pool: &Pool<Db>,
            event_id: i64,
        ) -> Result<Option<(Option<Vec<u8>>, String)>, StoreError> {
            let row = sqlx::query("SELECT body, headers FROM events WHERE id = $1")
                .bind(event_id)
                .fetch_optional(pool)
                .await?;
            row.map(|r| Ok((r.try_get("body")?, r.try_get("headers")?)))
                .transpose()
                .map_err(|e: sqlx::Error| e.into())
        }

        const DELIVERY_COLUMNS: &str = "d.id, d.event_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, \
            d.last_status, d.last_error, d.created_at, d.updated_at";

        fn delivery_from_row(r: &<Db as sqlx::Database>::Row) -> Result<Delivery, sqlx::Error> {
            Ok(Delivery {
                id: r.try_get("id")?,
                event_id: r.try_get("event_id")?,
                endpoint_id: r.try_get("endpoint_id")?,
                status: r.try_get("status")?,
                attempts: r.try_get("attempts")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
                last_status: r.try_get("last_status")?,
                last_error: r.try_get("last_error")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        }

        pub(crate) async fn deliveries_for_event(pool: &Pool<Db>, event_id: i64) -> Result<Vec<Delivery>, StoreError> {
            let rows = sqlx::query(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries d WHERE d.event_id = $1 ORDER BY d.id"))
                .bind(event_id)
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(delivery_from_row).collect::<Result<_, _>>()?)
        }

        pub(crate) async fn delivery(pool: &Pool<Db>, id: i64) -> Result<Option<Delivery>, StoreError> {
            let row = sqlx::query(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries d WHERE d.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(delivery_from_row).transpose()?)
        }

        pub(crate) async fn count_deliveries(pool: &Pool<Db>, status: Option<&str>) -> Result<i64, StoreError> {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE $1 IS NULL OR status = $1")
                .bind(status)
                .fetch_one(pool)
                .await?)
        }

        pub(crate) async fn attempts(pool: &Pool<Db>, delivery_id: i64) -> Result<Vec<Attempt>, StoreError> {
            let rows = sqlx::query(
                "SELECT id, delivery_id, number, trigger, actor, started_at, duration_ms, request_headers, \
                 response_status, response_headers, response_body, error_kind, error_message \
                 FROM attempts WHERE delivery_id = $1 ORDER BY number, id",
            )
            .bind(delivery_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    let headers = |col: &str| -> Result<Vec<(String, String)>, StoreError> {
                        let text: Option<String> = r.try_get(col)?;
                        Ok(text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
                    };
                    let body: Option<Vec<u8>> = r.try_get("response_body")?;
                    Ok(Attempt {
                        id: r.try_get("id")?,
                        delivery_id: r.try_get("delivery_id")?,
                        number: r.try_get("number")?,
                        trigger: r.try_get("trigger")?,
                        actor: r.try_get("actor")?,
                        started_at: r.try_get("started_at")?,
                        duration_ms: r.try_get("duration_ms")?,
                        request_headers: headers("request_headers")?,
                        response_status: r.try_get("response_status")?,
                        response_headers: headers("response_headers")?,
                        response_body: body.map(|b| String::from_utf8_lossy(&b).into_owned()),
                        error_kind: r.try_get("error_kind")?,
                        error_message: r.try_get("error_message")?,
                    })
                })
                .collect()
        }

        pub(crate) async fn retry_delivery_now(pool: &Pool<Db>, id: i64, actor: &str, now_ms: i64) -> Result<bool, StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let done = sqlx::query(
                "UPDATE deliveries SET status = 'pending', next_attempt_at = $2, next_trigger = 'manual', \
                 next_actor = $3, updated_at = $2 WHERE id = $1 AND status IN ('retrying', 'failed', 'cancelled', 'succeeded', 'pending')",
            )
            .bind(id)
            .bind(now_ms)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
            let changed = done.rows_affected() > 0;
            if changed {
                audit(&mut *tx, now_ms, actor, "delivery.retry", &format!("delivery:{id}"), &serde_json::json!({})).await?;
            }
            tx.commit().await?;
            Ok(changed)
        }

        pub(crate) async fn cancel_delivery(pool: &Pool<Db>, id: i64, actor: &str, now_ms: i64) -> Result<bool, StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let done = sqlx::query(
                "UPDATE deliveries SET status = 'cancelled', updated_at = $2 \
                 WHERE id = $1 AND status IN ('pending', 'retrying', 'held')",
            )
            .bind(id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            let changed = done.rows_affected() > 0;
            if changed {
                audit(&mut *tx, now_ms, actor, "delivery.cancel", &format!("delivery:{id}"), &serde_json::json!({})).await?;
            }
            tx.commit().await?;
            Ok(changed)
        }

        /// New deliveries of one event to the given endpoints (trigger `manual`).
        pub(crate) async fn replay_event(
            pool: &Pool<Db>,
            event_id: i64,
            endpoint_ids: &[i64],
            actor: &str,
            now_ms: i64,
        ) -> Result<i64, StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let mut created = 0;
            for endpoint_id in endpoint_ids {
                let state: Option<String> = sqlx::query_scalar("SELECT state FROM endpoints WHERE id = $1")
                    .bind(endpoint_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(state) = state else {
                    return Err(StoreError::NotFound(format!("no endpoint {endpoint_id}")));
                };
                let status = if state == "paused" { "held" } else { "pending" };
                sqlx::query(
                    "INSERT INTO deliveries (event_id, endpoint_id, status, next_attempt_at, next_trigger, next_actor, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, 'manual', $5, $4, $4)",
                )
                .bind(event_id)
                .bind(endpoint_id)
                .bind(status)
                .bind(now_ms)
                .bind(actor)
                .execute(&mut *tx)
                .await?;
                created += 1;
            }
            audit(&mut *tx, now_ms, actor, "event.replay", &format!("event:{event_id}"),
                &serde_json::json!({ "endpoints": endpoint_ids })).await?;
            tx.commit().await?;
            Ok(created)
        }

        /// `WHERE` clause (over deliveries `d` joined to events `ev`) for a replay filter;
        /// binds start at `$1` in the order endpoint, type, status, from, to.
        const FILTER_SQL: &str = "($1 IS NULL OR d.endpoint_id = $1) AND ($2 IS NULL OR ev.event_type = $2) \
            AND ($3 IS NULL OR d.status = $3) AND ($4 IS NULL OR ev.received_at >= $4) \
            AND ($5 IS NULL OR ev.received_at < $5)";

        pub(crate) async fn count_replay(pool: &Pool<Db>, f: &ReplayFilter) -> Result<i64, StoreError> {
            Ok(sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM deliveries d JOIN events ev ON ev.id = d.event_id WHERE {FILTER_SQL}"
            ))
            .bind(f.endpoint_id)
            .bind(&f.event_type)
            .bind(&f.status)
            .bind(f.from)
            .bind(f.to)
            .fetch_one(pool)
            .await?)
        }

        pub(crate) async fn start_bulk_replay(pool: &Pool<Db>, f: &ReplayFilter, actor: &str, now_ms: i64) -> Result<BulkReplay, StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            // The highest delivery id now bounds the job, so it never replays its own output.
            let total: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM deliveries d JOIN events ev ON ev.id = d.event_id WHERE {FILTER_SQL}"
            ))
            .bind(f.endpoint_id)
            .bind(&f.event_type)
            .bind(&f.status)
            .bind(f.from)
            .bind(f.to)
            .fetch_one(&mut *tx)
            .await?;
            let filter = serde_json::to_string(f).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO bulk_replays (filter, total, done, cursor, state, actor, created_at, updated_at) \
                 VALUES ($1, $2, 0, 0, 'running', $3, $4, $4) RETURNING id",
            )
            .bind(&filter)
            .bind(total)
            .bind(actor)
            .bind(now_ms)
            .fetch_one(&mut *tx)
            .await?;
            let max_id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM deliveries").fetch_one(&mut *tx).await?;
            sqlx::query("UPDATE bulk_replays SET filter = $2 WHERE id = $1")
                .bind(id)
                .bind(serde_json::json!({ "filter": f, "max_delivery_id": max_id.unwrap_or(0) }).to_string())
                .execute(&mut *tx)
                .await?;
            audit(&mut *tx, now_ms, actor, "bulk_replay.start", &format!("bulk_replay:{id}"),
                &serde_json::json!({ "filter": f, "count": total })).await?;
            tx.commit().await?;
            Ok(BulkReplay { id, filter: f.clone(), total, done: 0, state: "running".into(), actor: actor.into(), created_at: now_ms })
        }

        /// Advances a running bulk replay by up to `batch` deliveries; returns it afterwards.
        pub(crate) async fn step_bulk_replay(pool: &Pool<Db>, id: i64, batch: i64, now_ms: i64) -> Result<Option<BulkReplay>, StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let row = sqlx::query("SELECT filter, cursor, state, actor FROM bulk_replays WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else { return Ok(None) };
            let state: String = row.try_get("state")?;
            if state == "running" {
                let stored: serde_json::Value = serde_json::from_str(&row.try_get::<String, _>("filter")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let f: ReplayFilter = serde_json::from_value(stored["filter"].clone())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let max_id = stored["max_delivery_id"].as_i64().unwrap_or(0);
                let cursor: i64 = row.try_get("cursor")?;
                let actor: String = row.try_get("actor")?;
                let picked: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!(
                    "SELECT d.id, d.event_id, d.endpoint_id, e.state FROM deliveries d \
                     JOIN events ev ON ev.id = d.event_id JOIN endpoints e ON e.id = d.endpoint_id \
                     WHERE {FILTER_SQL} AND d.id > $6 AND d.id <= $7 ORDER BY d.id LIMIT $8"
                ))
                .bind(f.endpoint_id)
                .bind(&f.event_type)
                .bind(&f.status)
                .bind(f.from)
                .bind(f.to)
                .bind(cursor)
                .bind(max_id)
                .bind(batch)
                .fetch_all(&mut *tx)
                .await?;
                for (_, event_id, endpoint_id, endpoint_state) in &picked {
                    let status = if endpoint_state == "paused" { "held" } else { "pending" };
                    sqlx::query(
                        "INSERT INTO deliveries (event_id, endpoint_id, status, next_attempt_at, next_trigger, \
                         next_actor, created_at, updated_at) VALUES ($1, $2, $3, $4, 'bulk', $5, $4, $4)",
                    )
                    .bind(event_id)
                    .bind(endpoint_id)
                    .bind(status)
                    .bind(now_ms)
                    .bind(&actor)
                    .execute(&mut *tx)
                    .await?;
                }
                let new_cursor = picked.last().map_or(max_id, |p| p.0);
                let finished = (picked.len() as i64) < batch;
                sqlx::query(
                    "UPDATE bulk_replays SET done = done + $2, cursor = $3, updated_at = $4, \
                     state = CASE WHEN $5 THEN 'finished' ELSE state END WHERE id = $1",
                )
                .bind(id)
                .bind(picked.len() as i64)
                .bind(new_cursor)
                .bind(now_ms)
                .bind(finished)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            bulk_replay(pool, id).await
        }

        pub(crate) async fn bulk_replay(pool: &Pool<Db>, id: i64) -> Result<Option<BulkReplay>, StoreError> {
            let row = sqlx::query("SELECT id, filter, total, done, state, actor, created_at FROM bulk_replays WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            let Some(r) = row else { return Ok(None) };
            let stored: serde_json::Value = serde_json::from_str(&r.try_get::<String, _>("filter")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(Some(BulkReplay {
                id: r.try_get("id")?,
                filter: serde_json::from_value(stored["filter"].clone()).unwrap_or_default(),
                total: r.try_get("total")?,
                done: r.try_get("done")?,
                state: r.try_get("state")?,
                actor: r.try_get("actor")?,
                created_at: r.try_get("created_at")?,
            }))
        }

        pub(crate) async fn running_bulk_replays(pool: &Pool<Db>) -> Result<Vec<i64>, StoreError> {
            Ok(sqlx::query_scalar("SELECT id FROM bulk_replays WHERE state = 'running' ORDER BY id")
                .fetch_all(pool)
                .await?)
        }

        pub(crate) async fn cancel_bulk_replay(pool: &Pool<Db>, id: i64, actor: &str, now_ms: i64) -> Result<bool, StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let done = sqlx::query("UPDATE bulk_replays SET state = 'cancelled', updated_at = $2 WHERE id = $1 AND state = 'running'")
                .bind(id)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            let changed = done.rows_affected() > 0;
            if changed {
                audit(&mut *tx, now_ms, actor, "bulk_replay.cancel", &format!("bulk_replay:{id}"), &serde_json::json!({})).await?;
            }
            tx.commit().await?;
            Ok(changed)
        }

        pub(crate) async fn audit_entries(pool: &Pool<Db>, limit: i64) -> Result<Vec<(i64, String, String, String, String)>, StoreError> {
            Ok(sqlx::query_as("SELECT at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(pool)
                .await?)
        }

        mod erased {
            /// Serialises a value to JSON text for a TEXT column.
            pub trait Json {
                fn json(&self) -> String;
            }
            impl<T: serde::Serialize> Json for T {
                fn json(&self) -> String {
                    serde_json::to_string(self).unwrap_or_else(|_| "null".into())
                }
            }
        }
    };
}

pub(crate) mod sqlite {
    delivery_queries!(sqlx::Sqlite, "");
}

pub(crate) mod postgres {
    delivery_queries!(sqlx::Postgres, "FOR UPDATE SKIP LOCKED");
}
