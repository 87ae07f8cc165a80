//! The delivery engine against real HTTP handlers on loopback, on SQLite and PostgreSQL:
//! every outcome, signatures checked by an independent library, pause/resume, manual and
//! bulk replay.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use common::handler;
use common::post;
use hookyard_core::delivery::worker::{self, WorkerConfig, WorkerHandle};
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::model::{Delivery, ReplayFilter};
use hookyard_core::store::{testing, NewEndpoint, SharedStore};
use hookyard_core::time::now_ms;
use hookyard_server::{build_router, AppState};

const SOURCE_SECRET: &str = "whsec_delivery_tests";
const ENDPOINT_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

struct Setup {
    store: SharedStore,
    app: Router,
    worker: Option<WorkerHandle>,
}

async fn setup(store: &SharedStore) -> Setup {
    common::stripe_source(store, SOURCE_SECRET).await;
    let state = AppState::new(store.clone());
    let config = WorkerConfig {
        poll_interval: Duration::from_millis(50),
        ..WorkerConfig::default()
    };
    let worker = worker::spawn(
        store.clone(),
        config,
        state.ingestor.deliveries_ready.clone(),
    );
    Setup {
        store: store.clone(),
        app: build_router(state),
        worker: Some(worker),
    }
}

async fn endpoint(
    store: &SharedStore,
    url: &str,
    patterns: &[&str],
    schedule: Option<Vec<u64>>,
    timeout_ms: i64,
) -> i64 {
    endpoint_with_limit(store, url, patterns, schedule, timeout_ms, 10).await
}

async fn endpoint_with_limit(
    store: &SharedStore,
    url: &str,
    patterns: &[&str],
    schedule: Option<Vec<u64>>,
    timeout_ms: i64,
    max_in_flight: i64,
) -> i64 {
    store
        .create_endpoint(
            &NewEndpoint {
                name: url.rsplit('/').next().unwrap_or("e").into(),
                url: url.into(),
                description: String::new(),
                patterns: patterns.iter().map(|p| p.to_string()).collect(),
                source_id: None,
                secret: ENDPOINT_SECRET.into(),
                headers: vec![("x-team".into(), "payments".into())],
                timeout_ms,
                max_in_flight,
                retry_schedule: schedule,
            },
            now_ms(),
        )
        .await
        .unwrap()
}

fn event(id: &str, event_type: &str) -> Vec<u8> {
    format!(r#"{{"id":"{id}","type":"{event_type}","data":{{"object":{{"id":"pi_{id}","amount":500,"currency":"usd"}}}}}}"#).into_bytes()
}

async fn ingest(app: &Router, body: &[u8]) -> i64 {
    let mut headers = sign(
        Scheme::Stripe,
        &SchemeConfig::default(),
        SOURCE_SECRET,
        body,
        now_ms() / 1000,
        "",
    );
    headers.push(("content-type".into(), "application/json".into()));
    let reply = post(app, "/hooks/stripe", &headers, body.to_vec()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["event_id"].as_i64().unwrap()
}

/// Polls until `check` accepts the event's deliveries (or fails after `secs`).
async fn wait_deliveries(
    store: &SharedStore,
    event_id: i64,
    secs: u64,
    what: &str,
    check: impl Fn(&[Delivery]) -> bool,
) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let ds = store.deliveries_for_event(event_id).await.unwrap();
        if check(&ds) {
            return ds;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {ds:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn status_of(ds: &[Delivery], endpoint_id: i64) -> &str {
    ds.iter()
        .find(|d| d.endpoint_id == endpoint_id)
        .map_or("none", |d| d.status.as_str())
}

#[tokio::test]
async fn every_outcome_is_recorded_and_scheduled() {
    for db in testing::all().await {
        let s = setup(&db.store).await;
        let (base, log) = handler::start().await;
        let fast = Some(vec![1, 1, 1]);
        let ok = endpoint(
            &s.store,
            &format!("{base}/ok"),
            &["payment_intent.*"],
            None,
            5000,
        )
        .await;
        let flaky = endpoint(
            &s.store,
            &format!("{base}/flaky"),
            &["*"],
            fast.clone(),
            5000,
        )
        .await;
        let slow = endpoint(&s.store, &format!("{base}/slow"), &["*"], fast.clone(), 500).await;
        let hang = endpoint(&s.store, &format!("{base}/hang"), &["*"], fast.clone(), 500).await;
        let refused = endpoint(
            &s.store,
            &format!("http://127.0.0.1:{}/x", handler::closed_port()),
            &["*"],
            fast.clone(),
            5000,
        )
        .await;
        let redirect = endpoint(
            &s.store,
            &format!("{base}/redirect"),
            &["*"],
            fast.clone(),
            5000,
        )
        .await;
        let gone = endpoint(
            &s.store,
            &format!("{base}/gone"),
            &["*"],
            fast.clone(),
            5000,
        )
        .await;
        let busy = endpoint(
            &s.store,
            &format!("{base}/busy"),
            &["*"],
            fast.clone(),
            5000,
        )
        .await;
        let big = endpoint(&s.store, &format!("{base}/big"), &["*"], fast.clone(), 5000).await;
        let blocked = endpoint(
            &s.store,
            "http://169.254.169.254/latest/meta-data",
            &["*"],
            fast.clone(),
            5000,
        )
        .await;
        let unsubscribed = endpoint(
            &s.store,
            &format!("{base}/other"),
            &["invoice.paid"],
            None,
            5000,
        )
        .await;

        let body = event("evt_outcomes", "payment_intent.succeeded");
        let event_id = ingest(&s.app, &body).await;
        let ds = wait_deliveries(
            &s.store,
            event_id,
            20,
            "every first attempt and the flaky retry",
            |ds| {
                status_of(ds, ok) == "succeeded"
                    && status_of(ds, flaky) == "succeeded"
                    && ds.iter().all(|d| d.attempts >= 1)
            },
        )
        .await;
        let ctx = db.label;
        assert_eq!(ds.len(), 10, "{ctx}: one delivery per subscribed endpoint");
        assert_eq!(status_of(&ds, unsubscribed), "none", "{ctx}");

        // 2xx: one attempt, the exact body, Standard Webhooks headers, extra headers.
        let got = log.all().into_iter().find(|r| r.path == "ok").unwrap();
        assert_eq!(got.body, body, "{ctx}: body not byte-identical");
        assert_eq!(got.header("x-team"), Some("payments"));
        assert!(got.header("webhook-id").unwrap().starts_with("msg_hy"));
        assert_eq!(got.header("content-type"), Some("application/json"));
        handler::verify_with_standardwebhooks(&got, ENDPOINT_SECRET);

        let attempts = |endpoint_id: i64| {
            let store = s.store.clone();
            let id = ds.iter().find(|d| d.endpoint_id == endpoint_id).unwrap().id;
            async move { store.attempts(id).await.unwrap() }
        };
        let a = attempts(ok).await;
        assert_eq!(a.len(), 1);
        assert_eq!(
            (a[0].trigger.as_str(), a[0].response_status),
            ("initial", Some(200)),
            "{ctx}"
        );
        assert_eq!(a[0].response_body.as_deref(), Some("thanks"));

        // 500 then 200 on the automatic retry.
        let a = attempts(flaky).await;
        assert_eq!(
            a.iter().map(|a| a.response_status).collect::<Vec<_>>(),
            vec![Some(500), Some(200)],
            "{ctx}"
        );
        assert_eq!(a[1].trigger, "automatic");
        assert_eq!(a[0].error_kind.as_deref(), Some("http_status"));

        let by = |id: i64| ds.iter().find(|d| d.endpoint_id == id).unwrap().clone();
        let soon = now_ms();
        // Timeouts (slow answer, never an answer): retrying, not sooner than a minute.
        for id in [slow, hang] {
            let d = by(id);
            let a = attempts(id).await;
            assert_eq!(d.status, "retrying", "{ctx}: {d:?}");
            assert_eq!(a[0].error_kind.as_deref(), Some("timeout"), "{ctx}: {a:?}");
            assert!(
                d.next_attempt_at >= soon + 50_000,
                "{ctx}: at least 60 s after a timeout"
            );
        }
        // Connection refused.
        assert_eq!(
            attempts(refused).await[0].error_kind.as_deref(),
            Some("connect"),
            "{ctx}"
        );
        // 3xx is a failure; the redirect is not followed.
        let a = attempts(redirect).await;
        assert_eq!(
            (a[0].response_status, a[0].error_kind.as_deref()),
            (Some(302), Some("http_status"))
        );
        assert!(a[0]
            .error_message
            .as_deref()
            .unwrap()
            .contains("redirects are not followed"));
        assert_eq!(
            log.count("ok"),
            1,
            "{ctx}: the redirect target was not called"
        );
        // 410 disables the endpoint.
        assert_eq!(by(gone).status, "failed");
        let e = s.store.endpoint(gone).await.unwrap().unwrap().endpoint;
        assert_eq!(e.state, "disabled", "{ctx}");
        assert!(e.state_reason.contains("410"), "{}", e.state_reason);
        // 429 with Retry-After: 120 s.
        let d = by(busy);
        assert!(
            d.next_attempt_at >= soon + 110_000,
            "{ctx}: Retry-After honoured: {d:?}"
        );
        // Response bodies over 20 KB are cut.
        assert_eq!(
            attempts(big).await[0].response_body.as_ref().unwrap().len(),
            20 * 1024
        );
        // Metadata addresses are never contacted.
        let a = attempts(blocked).await;
        assert_eq!(a[0].error_kind.as_deref(), Some("blocked"), "{ctx}: {a:?}");

        let audit = s.store.audit_entries(10).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|(_, actor, action, _, _)| actor == "hookyard" && action == "endpoint.gone"),
            "{audit:?}"
        );
        s.worker.unwrap().stop().await;
    }
}

#[tokio::test]
async fn pause_holds_and_resume_releases_in_order() {
    for db in testing::all().await {
        let s = setup(&db.store).await;
        let (base, log) = handler::start().await;
        // One at a time, so the order of arrival is the order of release.
        let id = endpoint_with_limit(&s.store, &format!("{base}/ok"), &["*"], None, 5000, 1).await;
        s.store
            .set_endpoint_state(id, "paused", "maintenance", "test", now_ms())
            .await
            .unwrap();
        // Ingest caches endpoint settings for up to 2 s: use a fresh router.
        let app = build_router(AppState::new(s.store.clone()));
        let mut events = Vec::new();
        for i in 0..5 {
            events.push(ingest(&app, &event(&format!("evt_p{i}"), "charge.succeeded")).await);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        for e in &events {
            let ds = s.store.deliveries_for_event(*e).await.unwrap();
            assert_eq!(ds[0].status, "held", "{}", db.label);
        }
        assert_eq!(log.count("ok"), 0);
        s.store
            .set_endpoint_state(id, "enabled", "", "test", now_ms())
            .await
            .unwrap();
        for e in &events {
            wait_deliveries(&s.store, *e, 10, "release", |ds| {
                ds[0].status == "succeeded"
            })
            .await;
        }
        let order: Vec<String> = log
            .all()
            .iter()
            .map(|r| {
                serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            order,
            (0..5).map(|i| format!("evt_p{i}")).collect::<Vec<_>>(),
            "{}",
            db.label
        );
        s.worker.unwrap().stop().await;
    }
}

#[tokio::test]
async fn manual_retry_replay_and_cancel() {
    for db in testing::all().await {
        let s = setup(&db.store).await;
        let (base, log) = handler::start().await;
        let gone_soon = endpoint(
            &s.store,
            &format!("{base}/flaky"),
            &["*"],
            Some(vec![3600]),
            5000,
        )
        .await;
        let ok = endpoint(&s.store, &format!("{base}/ok"), &["*"], None, 5000).await;
        let event_id = ingest(&s.app, &event("evt_m", "charge.refunded")).await;
        let ds = wait_deliveries(&s.store, event_id, 10, "first attempts", |ds| {
            status_of(ds, ok) == "succeeded" && status_of(ds, gone_soon) == "retrying"
        })
        .await;
        let flaky = ds.iter().find(|d| d.endpoint_id == gone_soon).unwrap().id;
        // Retry now: the scheduled hour-long wait is skipped; the attempt says who asked.
        assert!(s
            .store
            .retry_delivery_now(flaky, "alice@example.com", now_ms())
            .await
            .unwrap());
        wait_deliveries(&s.store, event_id, 10, "manual retry", |ds| {
            status_of(ds, gone_soon) == "succeeded"
        })
        .await;
        let a = s.store.attempts(flaky).await.unwrap();
        assert_eq!(
            (a[1].trigger.as_str(), a[1].actor.as_deref()),
            ("manual", Some("alice@example.com")),
            "{}",
            db.label
        );

        // Replay to one chosen endpoint: a new delivery, trigger manual.
        assert_eq!(
            s.store
                .replay_event(event_id, &[ok], "alice@example.com", now_ms())
                .await
                .unwrap(),
            1
        );
        wait_deliveries(&s.store, event_id, 10, "replay", |ds| {
            ds.len() == 3 && ds.iter().all(|d| d.status == "succeeded")
        })
        .await;
        assert_eq!(log.count("ok"), 2, "{}", db.label);

        // Cancel a scheduled retry (an endpoint nobody listens on, retried hourly).
        let other = ingest(&s.app, &event("evt_cancel", "charge.failed")).await;
        let failing = endpoint(
            &s.store,
            &format!("http://127.0.0.1:{}/", handler::closed_port()),
            &["*"],
            Some(vec![3600]),
            1000,
        )
        .await;
        assert_eq!(
            s.store
                .replay_event(other, &[failing], "bob", now_ms())
                .await
                .unwrap(),
            1
        );
        let ds = wait_deliveries(&s.store, other, 10, "retrying", |ds| {
            status_of(ds, failing) == "retrying"
        })
        .await;
        let d = ds.iter().find(|d| d.endpoint_id == failing).unwrap().id;
        assert!(s.store.cancel_delivery(d, "bob", now_ms()).await.unwrap());
        assert_eq!(
            s.store.delivery(d).await.unwrap().unwrap().status,
            "cancelled"
        );
        assert!(
            !s.store.cancel_delivery(d, "bob", now_ms()).await.unwrap(),
            "cancelling twice changes nothing"
        );
        let audit = s.store.audit_entries(20).await.unwrap();
        for action in ["delivery.retry", "event.replay", "delivery.cancel"] {
            assert!(
                audit.iter().any(|(_, _, a, _, _)| a == action),
                "{} {action}: {audit:?}",
                db.label
            );
        }
        s.worker.unwrap().stop().await;
    }
}

#[tokio::test]
async fn bulk_replay_preview_equals_what_it_creates_and_cancel_stops_it() {
    for db in testing::all().await {
        let mut s = setup(&db.store).await;
        // No worker: the test steps the bulk replay itself, deterministically.
        s.worker.take().unwrap().stop().await;
        let (base, _log) = handler::start().await;
        let a = endpoint(&s.store, &format!("{base}/ok"), &["*"], None, 5000).await;
        let _b = endpoint(&s.store, &format!("{base}/ok2"), &["charge.*"], None, 5000).await;
        for i in 0..30 {
            let t = if i % 3 == 0 {
                "charge.refunded"
            } else {
                "invoice.paid"
            };
            ingest(&s.app, &event(&format!("evt_b{i}"), t)).await;
        }
        let filter = ReplayFilter {
            endpoint_id: Some(a),
            event_type: Some("invoice.paid".into()),
            ..Default::default()
        };
        let preview = s.store.count_replay(&filter).await.unwrap();
        assert_eq!(preview, 20, "{}", db.label);
        let before = s.store.count_deliveries(None).await.unwrap();
        let job = s
            .store
            .start_bulk_replay(&filter, "ops@example.com", now_ms())
            .await
            .unwrap();
        assert_eq!(job.total, preview);
        let mut last = job;
        while last.state == "running" {
            last = s
                .store
                .step_bulk_replay(last.id, 7, now_ms())
                .await
                .unwrap()
                .unwrap();
        }
        assert_eq!(
            (last.state.as_str(), last.done),
            ("finished", preview),
            "{}",
            db.label
        );
        assert_eq!(
            s.store.count_deliveries(None).await.unwrap() - before,
            preview,
            "{}",
            db.label
        );

        // Cancel: a second job stops after its first batch.
        let everything = ReplayFilter::default();
        let job = s
            .store
            .start_bulk_replay(&everything, "ops@example.com", now_ms())
            .await
            .unwrap();
        let step = s
            .store
            .step_bulk_replay(job.id, 5, now_ms())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(step.done, 5);
        assert!(s
            .store
            .cancel_bulk_replay(job.id, "ops@example.com", now_ms())
            .await
            .unwrap());
        let after = s.store.count_deliveries(None).await.unwrap();
        let step = s
            .store
            .step_bulk_replay(job.id, 5, now_ms())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (step.state.as_str(), step.done),
            ("cancelled", 5),
            "{}",
            db.label
        );
        assert_eq!(
            s.store.count_deliveries(None).await.unwrap(),
            after,
            "{}: nothing after cancel",
            db.label
        );
    }
}

#[tokio::test]
async fn one_slow_endpoint_does_not_delay_another() {
    for db in testing::all().await {
        let s = setup(&db.store).await;
        let (base, log) = handler::start().await;
        let _slow = endpoint(&s.store, &format!("{base}/slow200"), &["*"], None, 5000).await;
        let fast = endpoint(&s.store, &format!("{base}/ok"), &["*"], None, 5000).await;
        let started = std::time::Instant::now();
        let mut ids = Vec::new();
        for i in 0..40 {
            ids.push(ingest(&s.app, &event(&format!("evt_s{i}"), "charge.succeeded")).await);
        }
        for id in &ids {
            wait_deliveries(&s.store, *id, 20, "fast endpoint", |ds| {
                status_of(ds, fast) == "succeeded"
            })
            .await;
        }
        // The slow endpoint (300 ms each, 10 at a time) needs >= 1.2 s for 40; the fast one
        // must not wait behind it.
        let fast_done = started.elapsed();
        assert_eq!(log.count("ok"), 40);
        assert!(
            log.count("slow200") < 40,
            "{}: slow endpoint finished first ({fast_done:?})",
            db.label
        );
        s.worker.unwrap().stop().await;
    }
}

#[tokio::test]
async fn an_endpoint_failing_past_the_limit_is_disabled_with_its_reason() {
    for db in testing::all().await {
        common::stripe_source(&db.store, SOURCE_SECRET).await;
        let state = AppState::new(db.store.clone());
        // Disable after 0 ms of failures: the first failure crosses the line.
        let config = WorkerConfig {
            poll_interval: Duration::from_millis(50),
            disable_after: Duration::ZERO,
            ..WorkerConfig::default()
        };
        let worker = worker::spawn(
            db.store.clone(),
            config,
            state.ingestor.deliveries_ready.clone(),
        );
        let app = build_router(state);
        let dead = endpoint(
            &db.store,
            &format!("http://127.0.0.1:{}/", handler::closed_port()),
            &["*"],
            Some(vec![3600]),
            1000,
        )
        .await;
        let event_id = ingest(&app, &event("evt_dead", "charge.failed")).await;
        wait_deliveries(&db.store, event_id, 10, "first failure", |ds| {
            status_of(ds, dead) == "retrying"
        })
        .await;
        let e = db.store.endpoint(dead).await.unwrap().unwrap().endpoint;
        assert_eq!(e.state, "disabled", "{}", db.label);
        assert!(
            e.state_reason.contains("every delivery failed since"),
            "{}",
            e.state_reason
        );
        let audit = db.store.audit_entries(10).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|(_, actor, action, target, _)| actor == "hookyard"
                    && action == "endpoint.auto_disabled"
                    && *target == format!("endpoint:{dead}")),
            "{audit:?}"
        );
        // Re-enabling clears the failure clock.
        db.store
            .set_endpoint_state(dead, "enabled", "", "test", now_ms())
            .await
            .unwrap();
        assert_eq!(
            db.store
                .endpoint(dead)
                .await
                .unwrap()
                .unwrap()
                .endpoint
                .failing_since,
            None
        );
        worker.stop().await;
    }
}

/// Editing an endpoint changes where the next delivery goes, keeps its secret, and is audited;
/// health counts the attempts of the last day; a test send reaches the handler signed and
/// reports its answer without storing anything.
#[tokio::test]
async fn endpoint_edit_health_and_test_send() {
    use hookyard_core::delivery::guard::NetworkPolicy;
    use hookyard_core::delivery::worker::Poster;
    for db in testing::all().await {
        let (base, log) = handler::start().await;
        let mut s = setup(&db.store).await;
        let id = endpoint(
            &db.store,
            &format!("{base}/flaky"),
            &["charge.*"],
            Some(vec![0]),
            2000,
        )
        .await;

        // One failure then a success, on the old URL.
        let first = ingest(&s.app, &event("evt_edit_1", "charge.succeeded")).await;
        wait_deliveries(&db.store, first, 15, "the retry to succeed", |ds| {
            status_of(ds, id) == "succeeded"
        })
        .await;
        let health = db
            .store
            .endpoint_health(now_ms() - 3_600_000)
            .await
            .unwrap();
        let h = health
            .iter()
            .find(|h| h.endpoint_id == id)
            .expect("health row");
        assert_eq!((h.attempts, h.succeeded), (2, 1), "{}", db.label);
        assert_eq!(
            h.last_error.as_deref(),
            Some("answered 500"),
            "{}",
            db.label
        );

        // Point it elsewhere with other settings.
        let mut record = db.store.endpoint(id).await.unwrap().unwrap();
        let before_secret = record.secret.clone();
        let e = &mut record.endpoint;
        let edited = NewEndpoint {
            name: "renamed".into(),
            url: format!("{base}/ok"),
            description: "edited in a test".into(),
            patterns: vec!["invoice.paid".into(), "charge.*".into()],
            source_id: None,
            secret: "ignored by update".into(),
            headers: vec![("x-edited".into(), "yes".into())],
            timeout_ms: 3000,
            max_in_flight: 3,
            retry_schedule: None,
        };
        db.store
            .update_endpoint(id, &edited, "tester", now_ms())
            .await
            .unwrap();
        let after = db.store.endpoint(id).await.unwrap().unwrap();
        assert_eq!(
            after.secret, before_secret,
            "{}: the secret stays",
            db.label
        );
        assert_eq!(after.endpoint.name, "renamed");
        assert_eq!(
            after.endpoint.state, e.state,
            "{}: the state stays",
            db.label
        );
        assert_eq!(after.endpoint.patterns, ["invoice.paid", "charge.*"]);
        assert_eq!(
            (after.endpoint.timeout_ms, after.endpoint.max_in_flight),
            (3000, 3)
        );
        let audit = db.store.audit_entries(10).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|(_, actor, action, target, _)| actor == "tester"
                    && action == "endpoint.updated"
                    && *target == format!("endpoint:{id}")),
            "{}: {audit:?}",
            db.label
        );
        assert!(db
            .store
            .update_endpoint(999_999, &edited, "tester", now_ms())
            .await
            .is_err());

        // Wait for the worker's endpoint cache to expire, then the next event goes to /ok.
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let second = ingest(&s.app, &event("evt_edit_2", "invoice.paid")).await;
        wait_deliveries(&db.store, second, 15, "delivery to the new URL", |ds| {
            status_of(ds, id) == "succeeded"
        })
        .await;
        let got = log.all();
        let last = got.last().unwrap();
        assert_eq!(last.path, "ok", "{}", db.label);
        assert_eq!(last.header("x-edited"), Some("yes"));
        // The attempt log names the extra header but never keeps its value.
        let ds = db.store.deliveries_for_event(second).await.unwrap();
        let attempts = db.store.attempts(ds[0].id).await.unwrap();
        let logged = format!("{:?}", attempts.last().unwrap().request_headers);
        assert!(
            logged.contains("x-edited") && logged.contains("••••") && !logged.contains("yes"),
            "{}: {logged}",
            db.label
        );

        // A test send: signed, answered, nothing stored.
        let poster = Poster::new(NetworkPolicy::default()).unwrap();
        let events_before = db.store.count_events().await.unwrap();
        let sent = poster.send_test(&after).await;
        assert_eq!(sent.status, Some(200), "{}: {sent:?}", db.label);
        assert_eq!(sent.error, None);
        assert_eq!(sent.response_body, "thanks");
        let test = log.all().pop().unwrap();
        assert!(String::from_utf8_lossy(&test.body).contains("hookyard.test"));
        handler::verify_with_standardwebhooks(&test, ENDPOINT_SECRET);
        assert_eq!(db.store.count_events().await.unwrap(), events_before);

        // A handler that is down: a plain error, no panic.
        let mut down = after.clone();
        down.endpoint.url = format!("http://127.0.0.1:{}/x", handler::closed_port());
        let failed = poster.send_test(&down).await;
        assert_eq!(failed.status, None);
        assert!(failed.error.is_some(), "{failed:?}");

        s.worker.take().unwrap().stop().await;
    }
}
