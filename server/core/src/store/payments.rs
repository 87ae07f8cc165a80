//! Payments: the projector's writes (drain the queue filled at ingest, fold each event into its
//! payment with [`crate::payments::apply`], keep the timeline) and the Payments page's reads.
//! Written once and instantiated per database. The differences: PostgreSQL claims queued
//! events with `FOR UPDATE SKIP LOCKED` and takes a transaction-scoped advisory lock per
//! payment (in one fixed order), so that several instances never fold into the same payment at
//! once and never lose an update; SQLite has one writer, and every transaction here writes first,
//! so it holds the write lock from its first statement.

macro_rules! payment_queries {
    ($db:ty, $skip_locked:literal, $lock_payment:expr, $lock_tables:expr) => {
        use std::collections::{BTreeMap, BTreeSet, HashMap};

        use sqlx::{Pool, Row};

        use crate::money::{THREE_DECIMAL, ZERO_DECIMAL};
        use crate::payments::{
            apply, AmountBound, CurrencyTotals, DayTotals, DisputeStatus, Ledger, Payment,
            PaymentChange, PaymentDetail, PaymentEvent, PaymentFilter, PaymentKind,
            PaymentMapping, PaymentReset, PaymentRow, PaymentStatus, TimelineEntry, TimelineRow,
            Verdict,
        };
        use crate::store::StoreError;
        use crate::time::DAY_MS;

        type Db = $db;

        /// Folds up to `limit` queued payment events into their payments, in one transaction;
        /// returns how many queued events were taken (0: the queue is empty).
        pub(crate) async fn project_payments(pool: &Pool<Db>, limit: i64) -> Result<i64, StoreError> {
            let mut tx = crate::store::begin_write(pool).await?;
            let claim = format!(
                "DELETE FROM payment_queue WHERE event_id IN \
                 (SELECT event_id FROM payment_queue ORDER BY event_id LIMIT $1 {}) RETURNING event_id",
                $skip_locked
            );
            let mut claimed: Vec<i64> = sqlx::query_scalar(&claim).bind(limit).fetch_all(&mut *tx).await?;
            if claimed.is_empty() {
                return Ok(0);
            }
            claimed.sort_unstable();
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "SELECT e.id, e.source_id, e.provider_event_id, e.event_type, e.received_at, e.livemode, \
                 e.provider_created_at, e.body, s.scheme, s.config \
                 FROM events e JOIN sources s ON s.id = e.source_id WHERE e.id IN (",
            );
            let mut ids = q.separated(", ");
            for id in &claimed {
                ids.push_bind(*id);
            }
            q.push(") ORDER BY e.id");
            let rows = q.build().fetch_all(&mut *tx).await?;
            let mut mappings: HashMap<i64, Option<PaymentMapping>> = HashMap::new();
            let mut changes = Vec::with_capacity(rows.len());
            for row in &rows {
                let source_id: i64 = row.try_get("source_id")?;
                let mapping = match mappings.get(&source_id) {
                    Some(mapping) => mapping.clone(),
                    None => {
                        let mapping = source_mapping(row.try_get("scheme")?, row.try_get("config")?);
                        mappings.insert(source_id, mapping.clone());
                        mapping
                    }
                };
                let Some(mapping) = mapping else { continue };
                let Some(event) = payment_event(row)? else { continue };
                if let Some(change) = mapping.map(&event) {
                    changes.push((source_id, change));
                }
            }
            fold_in(&mut tx, changes).await?;
            tx.commit().await?;
            Ok(claimed.len() as i64)
        }

        /// The mapping of a source as stored (scheme name and config JSON); `None` if the source's
        /// events are not payments or its config cannot be read.
        fn source_mapping(scheme: String, config: String) -> Option<PaymentMapping> {
            let scheme = scheme.parse().ok()?;
            let config = serde_json::from_str(&config).ok()?;
            PaymentMapping::for_source(scheme, &config)
        }

        /// A stored event as the mappings read it; `None` when its body is gone (retention) or
        /// is not JSON, which the projection cannot read.
        fn payment_event(row: &<Db as sqlx::Database>::Row) -> Result<Option<PaymentEvent>, StoreError> {
            let event_id: i64 = row.try_get("id")?;
            let Some(body) = row.try_get::<Option<Vec<u8>>, _>("body")? else {
                tracing::warn!(event_id, "payment event has no stored body; skipped by the projection");
                return Ok(None);
            };
            let payload = match serde_json::from_slice(&body) {
                Ok(payload) => payload,
                Err(err) => {
                    tracing::warn!(event_id, error = %err, "payment event is not JSON; skipped by the projection");
                    return Ok(None);
                }
            };
            Ok(Some(PaymentEvent {
                event_id,
                provider_event_id: row.try_get("provider_event_id")?,
                event_type: row.try_get("event_type")?,
                created_ms: row.try_get("provider_created_at")?,
                received_at: row.try_get("received_at")?,
                livemode: row.try_get("livemode")?,
                payload,
            }))
        }

        /// Folds `changes` (in event order) into the stored payments and their timelines.
        async fn fold_in(
            tx: &mut sqlx::Transaction<'_, Db>,
            changes: Vec<(i64, PaymentChange)>,
        ) -> Result<(), StoreError> {
            let keys: BTreeSet<(i64, String)> =
                changes.iter().map(|(source, c)| (*source, c.key.clone())).collect();
            let lock_payment: Option<&str> = $lock_payment;
            if let Some(lock) = lock_payment {
                // One fixed order (by lock id) so that two instances never wait on each other.
                let mut lock_ids: Vec<i64> = keys.iter().map(|(s, k)| lock_id(*s, k)).collect();
                lock_ids.sort_unstable();
                lock_ids.dedup();
                for id in lock_ids {
                    sqlx::query(lock).bind(id).execute(&mut **tx).await?;
                }
            }
            // Few statements per batch, not a few per event: on SQLite the batch holds the one
            // write lock, and each statement is a round trip to the connection's thread.
            const CHUNK: usize = 400;
            let mut payments: BTreeMap<(i64, String), Payment> = BTreeMap::new();
            let keys: Vec<&(i64, String)> = keys.iter().collect();
            for chunk in keys.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "SELECT source_id, payment_key, ledger FROM payments WHERE (source_id, payment_key) IN (",
                );
                let mut pairs = q.separated(", ");
                for (source_id, key) in chunk {
                    pairs.push("(");
                    pairs.push_bind_unseparated(*source_id);
                    pairs.push_unseparated(", ");
                    pairs.push_bind_unseparated(key.as_str());
                    pairs.push_unseparated(")");
                }
                q.push(")");
                for row in q.build().fetch_all(&mut **tx).await? {
                    let source_id: i64 = row.try_get(0)?;
                    let key: String = row.try_get(1)?;
                    let ledger: String = row.try_get(2)?;
                    let ledger: Ledger = serde_json::from_str(&ledger).map_err(|e| {
                        StoreError::Corrupt(format!("payment {key:?}: ledger is not readable: {e}"))
                    })?;
                    payments.insert((source_id, key.clone()), ledger.into_payment(key));
                }
            }
            let mut timeline: Vec<((i64, String), TimelineEntry)> = Vec::with_capacity(changes.len());
            for (source_id, change) in &changes {
                let slot = (*source_id, change.key.clone());
                let (payment, entry) = apply(payments.remove(&slot), change);
                payments.insert(slot.clone(), payment);
                timeline.push((slot, entry));
            }
            let mut rows = Vec::with_capacity(payments.len());
            for ((source_id, key), p) in &payments {
                let ledger = serde_json::to_string(&p.ledger)
                    .map_err(|e| StoreError::Corrupt(format!("payment {key:?}: {e}")))?;
                rows.push((*source_id, key, p, ledger));
            }
            let mut ids: HashMap<(i64, String), i64> = HashMap::with_capacity(payments.len());
            for chunk in rows.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO payments (source_id, payment_key, kind, livemode, amount, currency, customer, \
                     description, status, provider_status, amount_refunded, amount_disputed, dispute_status, \
                     failure_message, event_count, created_at, updated_at, ledger) ",
                );
                q.push_values(chunk, |mut row, (source_id, key, p, ledger)| {
                    row.push_bind(*source_id)
                        .push_bind(key.as_str())
                        .push_bind(p.kind.as_str())
                        .push_bind(p.livemode)
                        .push_bind(p.amount)
                        .push_bind(p.currency.as_deref())
                        .push_bind(p.customer.as_deref())
                        .push_bind(p.description.as_deref())
                        .push_bind(p.status.as_str())
                        .push_bind(p.provider_status.as_deref())
                        .push_bind(p.amount_refunded)
                        .push_bind(p.amount_disputed)
                        .push_bind(p.dispute.map(DisputeStatus::as_str))
                        .push_bind(p.failure_message.as_deref())
                        .push_bind(p.event_count() as i64)
                        .push_bind(p.created_at)
                        .push_bind(p.updated_at)
                        .push_bind(ledger.as_str());
                });
                q.push(
                    " ON CONFLICT (source_id, payment_key) DO UPDATE SET kind = excluded.kind, \
                     livemode = excluded.livemode, amount = excluded.amount, currency = excluded.currency, \
                     customer = excluded.customer, description = excluded.description, status = excluded.status, \
                     provider_status = excluded.provider_status, amount_refunded = excluded.amount_refunded, \
                     amount_disputed = excluded.amount_disputed, dispute_status = excluded.dispute_status, \
                     failure_message = excluded.failure_message, event_count = excluded.event_count, \
                     created_at = excluded.created_at, updated_at = excluded.updated_at, ledger = excluded.ledger \
                     RETURNING id, source_id, payment_key",
                );
                for row in q.build().fetch_all(&mut **tx).await? {
                    ids.insert((row.try_get(1)?, row.try_get(2)?), row.try_get(0)?);
                }
            }
            let entries: Vec<(i64, TimelineEntry)> = timeline
                .into_iter()
                .filter_map(|(slot, entry)| Some((*ids.get(&slot)?, entry)))
                .collect();
            for chunk in entries.chunks(CHUNK) {
                // An event folded in again (a rebuild racing the live projector) keeps the
                // verdict it was first given.
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO payment_events (payment_id, event_id, provider_event_id, event_type, verdict, \
                     reported_status, amount, currency, at_ms) ",
                );
                q.push_values(chunk, |mut row, (payment_id, entry)| {
                    row.push_bind(*payment_id)
                        .push_bind(entry.event_id)
                        .push_bind(entry.provider_event_id.as_str())
                        .push_bind(entry.event_type.as_str())
                        .push_bind(entry.verdict.as_str())
                        .push_bind(entry.reported_status.map(PaymentStatus::as_str))
                        .push_bind(entry.amount)
                        .push_bind(entry.currency.as_deref())
                        .push_bind(entry.at_ms);
                });
                q.push(" ON CONFLICT (payment_id, event_id) DO NOTHING");
                q.build().execute(&mut **tx).await?;
            }
            Ok(())
        }

        /// A stable 64-bit id for a payment's advisory lock.
        #[allow(dead_code)]
        fn lock_id(source_id: i64, key: &str) -> i64 {
            use sha2::{Digest, Sha256};
            let digest = Sha256::digest(format!("{source_id}:{key}").as_bytes());
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&digest[..8]);
            i64::from_be_bytes(bytes)
        }

        /// Empties the projection and queues every stored payment event again, in one
        /// transaction; the projector then folds them in as it does live events.
        pub(crate) async fn reset_payments(pool: &Pool<Db>) -> Result<PaymentReset, StoreError> {
            const PAGE: i64 = 5_000;
            let mut tx = crate::store::begin_write(pool).await?;
            // PostgreSQL: projectors and ingest wait until the reset is committed, so that no
            // fold of the old table survives into the new one. SQLite: the first statement
            // writes, which takes the one write lock (see the module doc).
            let lock_tables: Option<&str> = $lock_tables;
            if let Some(lock) = lock_tables {
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM payment_queue").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM payment_events").execute(&mut *tx).await?;
            let deleted = sqlx::query("DELETE FROM payments").execute(&mut *tx).await?.rows_affected();
            let sources: Vec<(i64, String, String)> =
                sqlx::query_as("SELECT id, scheme, config FROM sources").fetch_all(&mut *tx).await?;
            let mappings: HashMap<i64, PaymentMapping> = sources
                .into_iter()
                .filter_map(|(id, scheme, config)| Some((id, source_mapping(scheme, config)?)))
                .collect();
            let mut reset = PaymentReset { payments_deleted: deleted as i64, ..PaymentReset::default() };
            let mut after = 0_i64;
            loop {
                let page: Vec<(i64, i64, String, bool)> = sqlx::query_as(
                    "SELECT id, source_id, event_type, body IS NULL FROM events WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(PAGE)
                .fetch_all(&mut *tx)
                .await?;
                let Some(last) = page.last() else { break };
                after = last.0;
                let mut queued = Vec::new();
                for (id, source_id, event_type, purged) in &page {
                    if !mappings.get(source_id).is_some_and(|m| m.reads(event_type)) {
                        continue;
                    }
                    if *purged {
                        reset.events_purged += 1;
                    } else {
                        queued.push(*id);
                    }
                }
                for chunk in queued.chunks(1_000) {
                    let mut q = sqlx::QueryBuilder::<Db>::new("INSERT INTO payment_queue (event_id) ");
                    q.push_values(chunk, |mut row, id| {
                        row.push_bind(*id);
                    });
                    q.push(" ON CONFLICT (event_id) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                }
                reset.events_queued += queued.len() as i64;
            }
            tx.commit().await?;
            Ok(reset)
        }

        /// How many stored payment events wait to be folded in.
        /// Takes the oldest queued payment event out of the queue without folding it in (the
        /// projector's way past an event that cannot be folded); returns its id.
        pub(crate) async fn skip_queued_payment(pool: &Pool<Db>) -> Result<Option<i64>, StoreError> {
            Ok(sqlx::query_scalar(
                "DELETE FROM payment_queue WHERE event_id = (SELECT MIN(event_id) FROM payment_queue) RETURNING event_id",
            )
            .fetch_optional(pool)
            .await?)
        }

        pub(crate) async fn payment_queue_len(pool: &Pool<Db>) -> Result<i64, StoreError> {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM payment_queue").fetch_one(pool).await?)
        }

        /// `COALESCE(livemode, TRUE) = ?`: a provider without modes is live.
        const MODE: &str = "COALESCE(p.livemode, TRUE) = ";
        const COLLECTED: &str = "p.status IN ('succeeded', 'partially_refunded', 'refunded')";

        fn totals_columns() -> String {
            format!(
                "p.currency, \
                 CAST(COALESCE(SUM(CASE WHEN {COLLECTED} THEN COALESCE(p.amount, 0) ELSE 0 END), 0) AS BIGINT) AS succeeded_amount, \
                 CAST(COALESCE(SUM(CASE WHEN {COLLECTED} THEN 1 ELSE 0 END), 0) AS BIGINT) AS succeeded_count, \
                 CAST(COALESCE(SUM(p.amount_refunded), 0) AS BIGINT) AS refunded_amount, \
                 CAST(COALESCE(SUM(p.amount_disputed), 0) AS BIGINT) AS disputed_amount, \
                 CAST(COALESCE(SUM(CASE WHEN p.status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed_count, \
                 CAST(COALESCE(SUM(CASE WHEN p.status = 'failed' THEN COALESCE(p.amount, 0) ELSE 0 END), 0) AS BIGINT) AS failed_amount"
            )
        }

        fn totals_from(r: &<Db as sqlx::Database>::Row) -> Result<CurrencyTotals, sqlx::Error> {
            Ok(CurrencyTotals {
                currency: r.try_get("currency")?,
                succeeded_amount: r.try_get("succeeded_amount")?,
                succeeded_count: r.try_get("succeeded_count")?,
                refunded_amount: r.try_get("refunded_amount")?,
                disputed_amount: r.try_get("disputed_amount")?,
                failed_count: r.try_get("failed_count")?,
                failed_amount: r.try_get("failed_amount")?,
            })
        }

        /// Money per currency of the payments created in [from, to) in one mode. Subscriptions
        /// are left out: their money arrives as invoices, which are counted.
        pub(crate) async fn payment_totals(
            pool: &Pool<Db>,
            livemode: bool,
            from: i64,
            to: i64,
        ) -> Result<Vec<CurrencyTotals>, StoreError> {
            let sql = format!(
                "SELECT {} FROM payments p WHERE p.kind <> 'subscription' AND p.currency IS NOT NULL \
                 AND {MODE}$1 AND p.created_at >= $2 AND p.created_at < $3 \
                 GROUP BY p.currency ORDER BY p.currency",
                totals_columns()
            );
            let rows = sqlx::query(&sql).bind(livemode).bind(from).bind(to).fetch_all(pool).await?;
            Ok(rows.iter().map(totals_from).collect::<Result<_, _>>()?)
        }

        /// [`payment_totals`] per UTC day, oldest first; days without payments are left out.
        pub(crate) async fn payment_daily(
            pool: &Pool<Db>,
            livemode: bool,
            from: i64,
            to: i64,
        ) -> Result<Vec<DayTotals>, StoreError> {
            let sql = format!(
                "SELECT p.created_at / $4 AS day, {} FROM payments p WHERE p.kind <> 'subscription' \
                 AND p.currency IS NOT NULL AND {MODE}$1 AND p.created_at >= $2 AND p.created_at < $3 \
                 GROUP BY p.created_at / $4, p.currency ORDER BY day, p.currency",
                totals_columns()
            );
            let rows = sqlx::query(&sql)
                .bind(livemode)
                .bind(from)
                .bind(to)
                .bind(DAY_MS)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(DayTotals {
                        day_ms: r.try_get::<i64, _>("day")? * DAY_MS,
                        totals: totals_from(r)?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()
                .map_err(StoreError::from)
        }

        const ROW_COLUMNS: &str = "p.id, s.slug, p.payment_key, p.kind, p.livemode, p.amount, p.currency, \
            p.customer, p.description, p.status, p.provider_status, p.amount_refunded, p.amount_disputed, \
            p.dispute_status, p.failure_message, p.event_count, p.created_at, p.updated_at";

        fn row_from(r: &<Db as sqlx::Database>::Row) -> Result<PaymentRow, StoreError> {
            let word = |col: &str| -> Result<String, StoreError> { Ok(r.try_get::<String, _>(col)?) };
            let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("payment {what} {value:?}"));
            let kind = word("kind")?;
            let status = word("status")?;
            let dispute: Option<String> = r.try_get("dispute_status")?;
            Ok(PaymentRow {
                id: r.try_get("id")?,
                source: r.try_get("slug")?,
                key: r.try_get("payment_key")?,
                kind: PaymentKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
                livemode: r.try_get("livemode")?,
                amount: r.try_get("amount")?,
                currency: r.try_get("currency")?,
                customer: r.try_get("customer")?,
                description: r.try_get("description")?,
                status: PaymentStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
                provider_status: r.try_get("provider_status")?,
                amount_refunded: r.try_get("amount_refunded")?,
                amount_disputed: r.try_get("amount_disputed")?,
                dispute: match dispute {
                    Some(d) => Some(dispute_status(&d).ok_or_else(|| corrupt("dispute status", &d))?),
                    None => None,
                },
                failure_message: r.try_get("failure_message")?,
                event_count: r.try_get("event_count")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        }

        fn dispute_status(name: &str) -> Option<DisputeStatus> {
            [
                DisputeStatus::Inquiry,
                DisputeStatus::NeedsResponse,
                DisputeStatus::UnderReview,
                DisputeStatus::InquiryClosed,
                DisputeStatus::Won,
                DisputeStatus::Lost,
            ]
            .into_iter()
            .find(|d| d.as_str() == name)
        }

        /// `amount >= bound` (or `<=`) in each currency's own minor unit.
        fn push_amount_bound(q: &mut sqlx::QueryBuilder<'_, Db>, op: &str, bound: &AmountBound) {
            let list = |codes: &[&str]| codes.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ");
            q.push(format!(" AND p.amount {op} CASE WHEN p.currency IN ({}) THEN ", list(ZERO_DECIMAL)));
            q.push_bind(bound.zero_decimals);
            q.push(format!(" WHEN p.currency IN ({}) THEN ", list(THREE_DECIMAL)));
            q.push_bind(bound.three_decimals);
            q.push(" ELSE ");
            q.push_bind(bound.two_decimals);
            q.push(" END");
        }

        /// The Payments table: newest first, `limit` rows after the filter's cursor.
        pub(crate) async fn list_payments(
            pool: &Pool<Db>,
            f: &PaymentFilter,
            limit: i64,
        ) -> Result<Vec<PaymentRow>, StoreError> {
            let mut q = sqlx::QueryBuilder::<Db>::new(format!(
                "SELECT {ROW_COLUMNS} FROM payments p JOIN sources s ON s.id = p.source_id WHERE 1 = 1"
            ));
            if let Some(live) = f.livemode {
                q.push(format!(" AND {MODE}")).push_bind(live);
            }
            if let Some(status) = f.status {
                q.push(" AND p.status = ").push_bind(status.as_str());
            }
            if let Some(currency) = &f.currency {
                q.push(" AND p.currency = ").push_bind(currency.to_ascii_lowercase());
            }
            if let Some(customer) = &f.customer {
                q.push(" AND p.customer = ").push_bind(customer.clone());
            }
            if let Some(min) = &f.min_amount {
                push_amount_bound(&mut q, ">=", min);
            }
            if let Some(max) = &f.max_amount {
                push_amount_bound(&mut q, "<=", max);
            }
            if let Some(search) = &f.search {
                let escaped = search.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                let pattern = format!("%{escaped}%");
                q.push(" AND (LOWER(p.payment_key) LIKE ").push_bind(pattern.clone());
                q.push(" ESCAPE '\\' OR LOWER(COALESCE(p.customer, '')) LIKE ").push_bind(pattern.clone());
                q.push(" ESCAPE '\\' OR LOWER(COALESCE(p.description, '')) LIKE ").push_bind(pattern);
                q.push(" ESCAPE '\\')");
            }
            if let Some(from) = f.from {
                q.push(" AND p.created_at >= ").push_bind(from);
            }
            if let Some(to) = f.to {
                q.push(" AND p.created_at < ").push_bind(to);
            }
            if let Some((at, id)) = f.before {
                q.push(" AND (p.created_at < ").push_bind(at);
                q.push(" OR (p.created_at = ").push_bind(at);
                q.push(" AND p.id < ").push_bind(id);
                q.push("))");
            }
            q.push(" ORDER BY p.created_at DESC, p.id DESC LIMIT ").push_bind(limit);
            let rows = q.build().fetch_all(pool).await?;
            rows.iter().map(row_from).collect()
        }

        /// One payment with its timeline, oldest event first.
        pub(crate) async fn payment_detail(pool: &Pool<Db>, id: i64) -> Result<Option<PaymentDetail>, StoreError> {
            let row = sqlx::query(&format!(
                "SELECT {ROW_COLUMNS} FROM payments p JOIN sources s ON s.id = p.source_id WHERE p.id = $1"
            ))
            .bind(id)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let entries = sqlx::query(
                "SELECT pe.event_id, pe.provider_event_id, pe.event_type, pe.at_ms, pe.verdict, \
                 pe.reported_status, pe.amount, pe.currency, e.duplicate_count \
                 FROM payment_events pe JOIN events e ON e.id = pe.event_id \
                 WHERE pe.payment_id = $1 ORDER BY pe.at_ms, pe.event_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let timeline = entries
                .iter()
                .map(|r| {
                    let verdict: String = r.try_get("verdict")?;
                    let reported: Option<String> = r.try_get("reported_status")?;
                    Ok(TimelineRow {
                        event_id: r.try_get("event_id")?,
                        provider_event_id: r.try_get("provider_event_id")?,
                        event_type: r.try_get("event_type")?,
                        at_ms: r.try_get("at_ms")?,
                        verdict: match verdict.as_str() {
                            "applied" => Verdict::Applied,
                            "stale" => Verdict::Stale,
                            "duplicate" => Verdict::Duplicate,
                            other => return Err(StoreError::Corrupt(format!("timeline verdict {other:?}"))),
                        },
                        reported_status: reported.as_deref().and_then(PaymentStatus::parse),
                        amount: r.try_get("amount")?,
                        currency: r.try_get("currency")?,
                        repeats: r.try_get("duplicate_count")?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            Ok(Some(PaymentDetail { row: row_from(&row)?, timeline }))
        }
    };
}

pub(crate) mod sqlite {
    payment_queries!(sqlx::Sqlite, "", None, None);
}

pub(crate) mod postgres {
    payment_queries!(
        sqlx::Postgres,
        "FOR UPDATE SKIP LOCKED",
        Some("SELECT pg_advisory_xact_lock($1)"),
        Some("LOCK TABLE payment_queue, payments, payment_events IN EXCLUSIVE MODE")
    );
}
