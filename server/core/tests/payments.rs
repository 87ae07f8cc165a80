//! The payments projection on real databases (SQLite and PostgreSQL): events go in through
//! the real ingest pipeline (signed, verified, group-committed, queued in the ingest
//! transaction), the projector folds them in, and a rebuild from the stored events gives the
//! same table.

use bytes::Bytes;
use hookyard_core::ingest::receive::{IngestConfig, Ingestor};
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::payments::{
    self, projector, CurrencyTotals, GenericMapping, PaymentDetail, PaymentEvent, PaymentFilter,
    PaymentKind, PaymentStatus, Verdict,
};
use hookyard_core::store::{testing, NewSource, SharedStore};
use hookyard_core::time::{now_ms, DAY_MS};
use serde_json::{json, Value};

/// 2026-01-15 00:00:00 UTC, in seconds: the provider day of the story.
const DAY: i64 = 1_768_435_200;

/// A source and the ingest pipeline in front of the store.
struct Inbox {
    ingestor: Ingestor,
}

impl Inbox {
    async fn new(store: SharedStore) -> Self {
        for (slug, scheme, config) in [
            ("stripe", Scheme::Stripe, SchemeConfig::default()),
            (
                "acme",
                Scheme::Hmac,
                SchemeConfig {
                    payments: Some(GenericMapping::default()),
                    ..SchemeConfig::default()
                },
            ),
        ] {
            store
                .create_source(
                    &NewSource {
                        slug: slug.into(),
                        name: slug.into(),
                        scheme,
                        config,
                        secret: format!("whsec_{slug}_secret"),
                        tolerance_secs: 300,
                        max_body_bytes: 1 << 20,
                    },
                    now_ms(),
                )
                .await
                .expect("create source");
        }
        let ingestor = Ingestor::new(store.clone(), IngestConfig::default());
        Inbox { ingestor }
    }

    /// POSTs `body` to the source as its sender would; returns (event id, duplicate).
    async fn send(&self, slug: &str, body: &Value) -> (i64, bool) {
        let source = self
            .ingestor
            .source(slug)
            .await
            .expect("source lookup")
            .expect("the source exists");
        let bytes = serde_json::to_vec(body).expect("JSON");
        let now = now_ms();
        let mut headers = http::HeaderMap::new();
        for (name, value) in sign(
            source.scheme,
            &source.config,
            &source.secrets[0].secret,
            &bytes,
            now / 1000,
            "",
        ) {
            headers.insert(
                http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                value.parse().expect("header value"),
            );
        }
        let accepted = self
            .ingestor
            .accept(&source, &headers, Bytes::from(bytes), now)
            .await
            .unwrap_or_else(|refused| panic!("refused: {refused:?}"));
        (accepted.event_id, accepted.duplicate)
    }

    async fn stripe(&self, id: &str, event_type: &str, offset: i64, object: Value) -> (i64, bool) {
        let livemode = object["livemode"].as_bool().unwrap_or(true);
        self.send(
            "stripe",
            &json!({
                "id": id, "object": "event", "api_version": "2024-06-20", "created": DAY + offset,
                "livemode": livemode, "pending_webhooks": 1, "type": event_type,
                "data": {"object": object},
            }),
        )
        .await
    }
}

fn intent(id: &str, status: &str, amount: i64, currency: &str, livemode: bool) -> Value {
    json!({
        "id": id, "object": "payment_intent", "amount": amount, "currency": currency,
        "status": status, "customer": "cus_story", "description": format!("Order {id}"),
        "livemode": livemode, "created": DAY, "last_payment_error": null,
    })
}

fn failed_intent(id: &str, amount: i64) -> Value {
    let mut pi = intent(id, "requires_payment_method", amount, "usd", true);
    pi["last_payment_error"] = json!({"code": "card_declined", "message": "Your card was declined.", "type": "card_error"});
    pi
}

fn refund(id: &str, pi: &str, amount: i64, currency: &str) -> Value {
    json!({
        "id": id, "object": "refund", "amount": amount, "currency": currency, "status": "succeeded",
        "payment_intent": pi, "charge": pi.replacen("pi_", "ch_", 1), "created": DAY,
    })
}

/// Ids of the story's events, for assertions.
struct Story {
    created_event: i64,
    succeeded_event: i64,
}

/// Live USD paid and partly refunded (its events out of order, one repeated, the refund told
/// twice), a live JPY payment, a failed USD payment, a test-mode payment, a disputed EUR
/// payment, a customer event (not a payment), and a payment from a generic provider.
async fn tell_the_story(inbox: &Inbox) -> Story {
    let (succeeded_event, _) = inbox
        .stripe(
            "evt_usd_ok",
            "payment_intent.succeeded",
            10,
            intent("pi_usd", "succeeded", 5000, "usd", true),
        )
        .await;
    // Stripe delivered the creation after the success: stale, must not regress the status.
    let (created_event, _) = inbox
        .stripe(
            "evt_usd_created",
            "payment_intent.created",
            0,
            intent("pi_usd", "requires_payment_method", 5000, "usd", true),
        )
        .await;
    // A redelivery: answered as a duplicate, never counted twice.
    let (again, duplicate) = inbox
        .stripe(
            "evt_usd_ok",
            "payment_intent.succeeded",
            10,
            intent("pi_usd", "succeeded", 5000, "usd", true),
        )
        .await;
    assert!(duplicate);
    assert_eq!(again, succeeded_event);
    // The same refund object reported by two events counts once.
    inbox
        .stripe(
            "evt_usd_refund",
            "refund.created",
            100,
            refund("re_usd", "pi_usd", 1500, "usd"),
        )
        .await;
    inbox
        .stripe(
            "evt_usd_refund_upd",
            "refund.updated",
            110,
            refund("re_usd", "pi_usd", 1500, "usd"),
        )
        .await;
    inbox
        .stripe(
            "evt_jpy_ok",
            "payment_intent.succeeded",
            20,
            intent("pi_jpy", "succeeded", 5000, "jpy", true),
        )
        .await;
    inbox
        .stripe(
            "evt_fail",
            "payment_intent.payment_failed",
            30,
            failed_intent("pi_fail", 2500),
        )
        .await;
    inbox
        .stripe(
            "evt_test_ok",
            "payment_intent.succeeded",
            40,
            intent("pi_test", "succeeded", 99_900, "usd", false),
        )
        .await;
    inbox
        .stripe(
            "evt_eur_ok",
            "payment_intent.succeeded",
            50,
            intent("pi_eur", "succeeded", 3000, "eur", true),
        )
        .await;
    inbox
        .stripe(
            "evt_eur_dispute",
            "charge.dispute.created",
            60,
            json!({"id": "dp_eur", "object": "dispute", "amount": 3000, "currency": "eur",
                   "status": "needs_response", "reason": "fraudulent", "charge": "ch_eur",
                   "payment_intent": "pi_eur", "livemode": true, "created": DAY + 60}),
        )
        .await;
    inbox
        .stripe(
            "evt_customer",
            "customer.created",
            70,
            json!({"id": "cus_story", "object": "customer", "email": "ann@example.com"}),
        )
        .await;
    inbox
        .send(
            "acme",
            &json!({"id": "acme_1", "type": "payment.completed", "created": DAY + 80,
                    "data": {"id": "pay_acme_9", "amount": 1250, "currency": "GBP",
                             "status": "paid", "customer": "ann@example.com"}}),
        )
        .await;
    Story {
        created_event,
        succeeded_event,
    }
}

/// The whole projection as the pages read it: every payment with its timeline, by key.
async fn snapshot(store: &SharedStore) -> Vec<PaymentDetail> {
    let rows = store
        .list_payments(&PaymentFilter::default(), 10_000)
        .await
        .expect("list payments");
    let mut all = Vec::new();
    for row in rows {
        let mut detail = store
            .payment_detail(row.id)
            .await
            .expect("payment detail")
            .expect("listed payment exists");
        detail.row.id = 0; // a rebuild numbers rows anew
        all.push(detail);
    }
    all.sort_by(|a, b| a.row.key.cmp(&b.row.key));
    all
}

fn by_currency(totals: &[CurrencyTotals], currency: &str) -> CurrencyTotals {
    totals
        .iter()
        .find(|t| t.currency == currency)
        .cloned()
        .unwrap_or_else(|| panic!("no {currency} totals in {totals:?}"))
}

#[tokio::test]
async fn ingest_queues_payment_events_and_the_projector_folds_them_in() {
    for db in testing::all().await {
        let l = db.label;
        let inbox = Inbox::new(db.store.clone()).await;
        let story = tell_the_story(&inbox).await;
        let store = &db.store;

        // Queued in the ingest transaction: 10 Stripe payment events (the repeat and the
        // customer event are not) and the generic one.
        assert_eq!(store.payment_queue_len().await.unwrap(), 10, "{l}");
        assert!(snapshot(store).await.is_empty(), "{l}: nothing folded yet");
        assert_eq!(projector::drain(store).await.unwrap(), 10, "{l}");
        assert_eq!(store.payment_queue_len().await.unwrap(), 0, "{l}");

        let day = (DAY * 1000, DAY * 1000 + DAY_MS);
        let live = store.payment_totals(true, day.0, day.1).await.unwrap();
        let currencies: Vec<&str> = live.iter().map(|t| t.currency.as_str()).collect();
        assert_eq!(currencies, ["eur", "gbp", "jpy", "usd"], "{l}");
        let usd = by_currency(&live, "usd");
        assert_eq!(
            (
                usd.succeeded_amount,
                usd.succeeded_count,
                usd.refunded_amount
            ),
            (5000, 1, 1500),
            "{l}: the test payment and the repeat are not counted, the refund once"
        );
        assert_eq!((usd.failed_count, usd.failed_amount), (1, 2500), "{l}");
        assert_eq!(usd.net_amount(), 3500, "{l}");
        let jpy = by_currency(&live, "jpy");
        assert_eq!(
            (jpy.succeeded_amount, jpy.succeeded_count),
            (5000, 1),
            "{l}"
        );
        let eur = by_currency(&live, "eur");
        assert_eq!(
            (eur.succeeded_amount, eur.disputed_amount),
            (3000, 3000),
            "{l}"
        );
        assert_eq!(by_currency(&live, "gbp").succeeded_amount, 1250, "{l}");

        let test = store.payment_totals(false, day.0, day.1).await.unwrap();
        assert_eq!(test.len(), 1, "{l}: {test:?}");
        assert_eq!(by_currency(&test, "usd").succeeded_amount, 99_900, "{l}");
        let next_day = store
            .payment_totals(true, day.1, day.1 + DAY_MS)
            .await
            .unwrap();
        assert!(next_day.is_empty(), "{l}: {next_day:?}");

        let daily = store.payment_daily(true, day.0, day.1).await.unwrap();
        assert_eq!(daily.len(), 4, "{l}: one day, four currencies");
        assert!(daily.iter().all(|d| d.day_ms == day.0), "{l}");

        // The USD payment's page: status never regressed by the stale creation event.
        let usd_rows = store
            .list_payments(
                &PaymentFilter {
                    search: Some("PI_USD".into()),
                    ..PaymentFilter::default()
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(usd_rows.len(), 1, "{l}: search ignores case");
        let detail = store.payment_detail(usd_rows[0].id).await.unwrap().unwrap();
        assert_eq!(detail.row.status, PaymentStatus::PartiallyRefunded, "{l}");
        assert_eq!(detail.row.amount_refunded, 1500, "{l}");
        assert_eq!(detail.row.event_count, 4, "{l}");
        let created = detail
            .timeline
            .iter()
            .find(|t| t.event_id == story.created_event)
            .expect("the creation is on the timeline");
        assert_eq!(created.verdict, Verdict::Stale, "{l}");
        assert_eq!(
            detail.timeline[0].event_id, story.created_event,
            "{l}: by provider time"
        );
        let succeeded = detail
            .timeline
            .iter()
            .find(|t| t.event_id == story.succeeded_event)
            .expect("the success is on the timeline");
        assert_eq!(
            (succeeded.verdict, succeeded.repeats),
            (Verdict::Applied, 1),
            "{l}"
        );

        let generic = store
            .list_payments(
                &PaymentFilter {
                    currency: Some("GBP".into()),
                    ..PaymentFilter::default()
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(generic.len(), 1, "{l}");
        assert_eq!(
            (
                generic[0].kind,
                generic[0].source.as_str(),
                generic[0].status
            ),
            (PaymentKind::Generic, "acme", PaymentStatus::Succeeded),
            "{l}"
        );
    }
}

#[tokio::test]
async fn the_table_filters_by_status_mode_currency_customer_and_amount() {
    for db in testing::all().await {
        let l = db.label;
        let inbox = Inbox::new(db.store.clone()).await;
        tell_the_story(&inbox).await;
        projector::drain(&db.store).await.unwrap();
        let keys = |filter: PaymentFilter| {
            let store = db.store.clone();
            async move {
                let mut keys: Vec<String> = store
                    .list_payments(&filter, 100)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.key)
                    .collect();
                keys.sort();
                keys
            }
        };
        let failed = keys(PaymentFilter {
            status: Some(PaymentStatus::Failed),
            ..PaymentFilter::default()
        })
        .await;
        assert_eq!(failed, ["pi_fail"], "{l}");
        let test = keys(PaymentFilter {
            livemode: Some(false),
            ..PaymentFilter::default()
        })
        .await;
        assert_eq!(test, ["pi_test"], "{l}");
        let live = keys(PaymentFilter {
            livemode: Some(true),
            ..PaymentFilter::default()
        })
        .await;
        assert_eq!(
            live.len(),
            5,
            "{l}: {live:?} (the generic payment has no mode: live)"
        );
        // 50 in major units: 50.00 USD/EUR/GBP, but 50 JPY; the JPY payment is 5,000 JPY.
        let bound = |text: &str| payments::AmountBound::parse(text);
        let at_least_50 = keys(PaymentFilter {
            min_amount: bound("50"),
            livemode: Some(true),
            ..PaymentFilter::default()
        })
        .await;
        assert_eq!(at_least_50, ["pi_jpy", "pi_usd"], "{l}");
        let between = keys(PaymentFilter {
            min_amount: bound("12.5"),
            max_amount: bound("30"),
            ..PaymentFilter::default()
        })
        .await;
        assert_eq!(between, ["pay_acme_9", "pi_eur", "pi_fail"], "{l}");
        let customer = keys(PaymentFilter {
            customer: Some("ann@example.com".into()),
            ..PaymentFilter::default()
        })
        .await;
        assert_eq!(customer, ["pay_acme_9"], "{l}");

        // Keyset pages cover every row once.
        let first = db
            .store
            .list_payments(&PaymentFilter::default(), 4)
            .await
            .unwrap();
        let last = first.last().unwrap();
        let rest = db
            .store
            .list_payments(
                &PaymentFilter {
                    before: Some((last.created_at, last.id)),
                    ..PaymentFilter::default()
                },
                100,
            )
            .await
            .unwrap();
        assert_eq!(first.len() + rest.len(), 6, "{l}");
        assert!(first.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    }
}

#[tokio::test]
async fn a_rebuild_from_stored_events_gives_the_same_table() {
    for db in testing::all().await {
        let l = db.label;
        let inbox = Inbox::new(db.store.clone()).await;
        tell_the_story(&inbox).await;
        projector::drain(&db.store).await.unwrap();
        let live = snapshot(&db.store).await;
        assert_eq!(live.len(), 6, "{l}");

        let reset = db.store.reset_payments().await.unwrap();
        assert_eq!(
            (
                reset.payments_deleted,
                reset.events_queued,
                reset.events_purged
            ),
            (6, 10, 0),
            "{l}"
        );
        assert!(snapshot(&db.store).await.is_empty(), "{l}");
        assert_eq!(projector::drain(&db.store).await.unwrap(), 10, "{l}");
        assert_eq!(snapshot(&db.store).await, live, "{l}");

        // And both agree with the pure fold of the same stored events.
        let mut events = Vec::new();
        for id in 1..=20 {
            let Some(detail) = db.store.event_detail(id).await.unwrap() else {
                continue;
            };
            if detail.row.source != "stripe" {
                continue;
            }
            events.push(PaymentEvent {
                event_id: id,
                provider_event_id: detail.row.provider_event_id.clone(),
                event_type: detail.row.event_type.clone(),
                created_ms: None,
                received_at: detail.row.received_at,
                livemode: detail.row.livemode,
                payload: serde_json::from_str(&detail.body.unwrap()).unwrap(),
            });
        }
        let pure = payments::project(&events);
        for p in live.iter().filter(|p| p.row.source == "stripe") {
            let expected = &pure[&p.row.key];
            assert_eq!(
                (p.row.status, p.row.amount, p.row.amount_refunded),
                (expected.status, expected.amount, expected.amount_refunded),
                "{l}: {}",
                p.row.key
            );
        }
    }
}

/// Several projectors (two connection pools, as two `hookyard serve` processes) fold events of
/// one payment at once: no update is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_projectors_never_lose_an_update() {
    const REFUNDS: i64 = 40;
    for db in testing::all().await {
        let l = db.label;
        let inbox = Inbox::new(db.store.clone()).await;
        inbox
            .stripe(
                "evt_many_ok",
                "payment_intent.succeeded",
                0,
                intent("pi_many", "succeeded", 10_000, "usd", true),
            )
            .await;
        for i in 0..REFUNDS {
            inbox
                .stripe(
                    &format!("evt_many_re_{i}"),
                    "refund.created",
                    1 + i,
                    refund(&format!("re_many_{i}"), "pi_many", 1, "usd"),
                )
                .await;
        }
        let second: SharedStore = db.reopen().await;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..6 {
            let store = if i % 2 == 0 {
                db.store.clone()
            } else {
                second.clone()
            };
            tasks.spawn(async move {
                let mut taken = 0;
                loop {
                    let n = store.project_payments(3).await.expect("project");
                    if n == 0 {
                        return taken;
                    }
                    taken += n;
                }
            });
        }
        let mut total = 0;
        while let Some(taken) = tasks.join_next().await {
            total += taken.unwrap();
        }
        assert_eq!(total, REFUNDS + 1, "{l}: every queued event taken once");
        let all = snapshot(&db.store).await;
        assert_eq!(all.len(), 1, "{l}");
        let p = &all[0];
        assert_eq!(p.row.amount_refunded, REFUNDS, "{l}");
        assert_eq!(p.row.event_count, REFUNDS + 1, "{l}");
        assert_eq!(p.timeline.len() as i64, REFUNDS + 1, "{l}");
    }
}

/// A payment whose stored state cannot be read poisons every event about it; the projector
/// sets such an event aside (logged, retried by a rebuild) and goes on with the others.
#[tokio::test]
async fn one_event_that_cannot_be_folded_does_not_stop_the_others() {
    for db in testing::all().await {
        let l = db.label;
        let inbox = Inbox::new(db.store.clone()).await;
        inbox
            .stripe(
                "evt_poison_ok",
                "payment_intent.succeeded",
                0,
                intent("pi_poison", "succeeded", 500, "usd", true),
            )
            .await;
        projector::drain(&db.store).await.unwrap();
        let corrupt = "UPDATE payments SET ledger = 'not json'";
        if db.url.starts_with("sqlite") {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query(corrupt).execute(&pool).await.unwrap();
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query(corrupt).execute(&pool).await.unwrap();
        }
        inbox
            .stripe(
                "evt_poison_refund",
                "refund.created",
                1,
                refund("re_poison", "pi_poison", 100, "usd"),
            )
            .await;
        inbox
            .stripe(
                "evt_after_poison",
                "payment_intent.succeeded",
                2,
                intent("pi_after", "succeeded", 700, "usd", true),
            )
            .await;
        assert!(
            db.store.project_payments(10).await.is_err(),
            "{l}: the batch fails"
        );
        let wake = std::sync::Arc::new(tokio::sync::Notify::new());
        let running = projector::spawn(db.store.clone(), wake);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let all = snapshot(&db.store).await;
            if all.iter().any(|p| p.row.key == "pi_after")
                && db.store.payment_queue_len().await.unwrap() == 0
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{l}: stuck: {all:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        running.stop().await;
    }
}
