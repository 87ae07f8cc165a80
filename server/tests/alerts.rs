//! Alerts on SQLite and PostgreSQL, against real HTTP servers: an endpoint that fails then
//! recovers, disables (by hand and automatic), quiet event types, sending (signed, checked by
//! the npm `standardwebhooks` library), retries, several instances, the page and the API.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use common::{get, handler, post};
use hookyard_core::alerts::monitor::{run_once, MonitorConfig};
use hookyard_core::alerts::{Alert, AlertFilter, AlertSettings, QuietRule};
use hookyard_core::delivery::guard::NetworkPolicy;
use hookyard_core::delivery::worker::{self, Poster, WorkerConfig};
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::store::{testing, SharedStore};
use hookyard_core::time::now_ms;
use hookyard_server::{build_router, AppState};

const SOURCE_SECRET: &str = "whsec_alert_tests";
const ALERT_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn monitor(url: Option<String>, owner: &str) -> MonitorConfig {
    MonitorConfig {
        settings: AlertSettings {
            url,
            after_failures: 3,
            quiet: vec![],
        },
        secret: Some(ALERT_SECRET.into()),
        owner: owner.into(),
        tick: Duration::from_millis(100),
        policy: NetworkPolicy::default(),
    }
}

fn poster() -> Poster {
    Poster::new(NetworkPolicy::default()).unwrap()
}

/// Every alert, oldest first.
async fn all_alerts(store: &SharedStore) -> Vec<Alert> {
    let mut alerts = store
        .alerts()
        .alerts(&AlertFilter {
            limit: 500,
            ..AlertFilter::default()
        })
        .await
        .unwrap();
    alerts.reverse();
    alerts
}

fn kinds(alerts: &[Alert]) -> Vec<String> {
    alerts.iter().map(|a| a.kind.clone()).collect()
}

async fn ingest(app: &Router, id: &str, event_type: &str) -> i64 {
    let body = format!(r#"{{"id":"{id}","type":"{event_type}","data":{{"object":{{}}}}}}"#);
    let mut headers = sign(
        Scheme::Stripe,
        &SchemeConfig::default(),
        SOURCE_SECRET,
        body.as_bytes(),
        now_ms() / 1000,
        "",
    );
    headers.push(("content-type".into(), "application/json".into()));
    let reply = post(app, "/hooks/stripe", &headers, body.into_bytes()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["event_id"].as_i64().unwrap()
}

async fn wait_for(what: &str, secs: u64, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_then_recovering_raises_exactly_failing_then_recovered() {
    for db in testing::all().await {
        let l = db.label;
        let (base, log) = handler::start().await;
        common::stripe_source(&db.store, SOURCE_SECRET).await;
        let state = AppState::new(db.store.clone());
        let config = WorkerConfig {
            poll_interval: Duration::from_millis(50),
            alert_after_failures: 3,
            ..WorkerConfig::default()
        };
        let worker = worker::spawn(
            db.store.clone(),
            config,
            state.ingestor.deliveries_ready.clone(),
        );
        let app = build_router(state);
        // Four 500s, then 200; retried after about a second each time.
        let flaky =
            common::endpoint(&db.store, &format!("{base}/fails4"), 5000, 10, vec![1; 8]).await;
        let healthy = common::endpoint(&db.store, &format!("{base}/ok"), 5000, 10, vec![1]).await;
        let event_id = ingest(&app, "evt_alerts_1", "charge.succeeded").await;
        wait_for(
            "the flaky endpoint's fifth attempt to succeed",
            30,
            async || {
                let ds = db.store.deliveries_for_event(event_id).await.unwrap();
                ds.iter()
                    .any(|d| d.endpoint_id == flaky && d.status == "succeeded" && d.attempts == 5)
            },
        )
        .await;
        worker.stop().await;

        let alerts = all_alerts(&db.store).await;
        assert_eq!(
            kinds(&alerts),
            ["endpoint.failing", "endpoint.recovered"],
            "{l}: {alerts:#?}"
        );
        let subject = format!("endpoint:{flaky}");
        assert!(
            alerts.iter().all(|a| a.subject == subject),
            "{l}: {alerts:#?}"
        );
        assert!(
            alerts[0]
                .message
                .contains("3 attempts in a row failed (last: HTTP 500)"),
            "{l}: {}",
            alerts[0].message
        );
        assert!(
            alerts[1]
                .message
                .contains("after 4 failed attempts in a row"),
            "{l}: {}",
            alerts[1].message
        );
        assert!(
            alerts.iter().all(|a| a.send_state == "pending"),
            "{l}: waiting to be sent"
        );
        let _ = healthy;

        // Sent once each, in order, signed; a second round sends nothing.
        let url = Some(format!("{base}/alert-receiver"));
        run_once(&db.store, &monitor(url.clone(), "a"), &poster()).await;
        run_once(&db.store, &monitor(url, "a"), &poster()).await;
        let got: Vec<_> = log
            .all()
            .into_iter()
            .filter(|r| r.path == "alert-receiver")
            .collect();
        assert_eq!(got.len(), 2, "{l}: {got:#?}");
        for (request, alert) in got.iter().zip(&alerts) {
            handler::verify_with_standardwebhooks(request, ALERT_SECRET);
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(body["type"], alert.kind.as_str(), "{l}");
            assert_eq!(body["id"], format!("alert_{}", alert.id), "{l}");
            assert_eq!(body["text"], alert.message.as_str(), "{l}");
            assert_eq!(body["data"]["endpoint_id"], flaky, "{l}");
            assert_eq!(
                request.header("webhook-id"),
                Some(format!("alert_{}", alert.id).as_str())
            );
        }
        let alerts = all_alerts(&db.store).await;
        assert!(
            alerts
                .iter()
                .all(|a| a.send_state == "sent" && a.sent_at.is_some() && a.send_attempts == 1),
            "{l}: {alerts:#?}"
        );
        let audit = db.store.audit_entries(50).await.unwrap();
        for action in ["alert.endpoint.failing", "alert.endpoint.recovered"] {
            assert!(
                audit
                    .iter()
                    .any(|(_, actor, a, target, _)| actor == "hookyard"
                        && a == action
                        && *target == subject),
                "{l}: {action} audited: {audit:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_an_endpoint_raises_one_alert_by_hand_or_automatically() {
    for db in testing::all().await {
        let l = db.label;
        let (base, _log) = handler::start().await;
        common::stripe_source(&db.store, SOURCE_SECRET).await;
        let by_hand = common::endpoint(&db.store, &format!("{base}/ok"), 5000, 10, vec![1]).await;
        for _ in 0..2 {
            db.store
                .set_endpoint_state(
                    by_hand,
                    "disabled",
                    "maintenance",
                    "ops@example.com",
                    now_ms(),
                )
                .await
                .unwrap();
        }
        db.store
            .set_endpoint_state(by_hand, "paused", "", "ops@example.com", now_ms())
            .await
            .unwrap();
        let alerts = all_alerts(&db.store).await;
        assert_eq!(
            kinds(&alerts),
            ["endpoint.disabled"],
            "{l}: once, not per click"
        );
        assert!(
            alerts[0]
                .message
                .contains("was disabled by ops@example.com: maintenance"),
            "{l}: {}",
            alerts[0].message
        );

        // 410 Gone disables the endpoint automatically.
        let gone = common::endpoint(&db.store, &format!("{base}/gone"), 5000, 10, vec![1]).await;
        let state = AppState::new(db.store.clone());
        let worker = worker::spawn(
            db.store.clone(),
            WorkerConfig {
                poll_interval: Duration::from_millis(50),
                ..WorkerConfig::default()
            },
            state.ingestor.deliveries_ready.clone(),
        );
        let app = build_router(state);
        ingest(&app, "evt_alerts_gone", "charge.succeeded").await;
        wait_for(
            "the endpoint answering 410 to be disabled",
            20,
            async || {
                db.store
                    .endpoint(gone)
                    .await
                    .unwrap()
                    .unwrap()
                    .endpoint
                    .state
                    == "disabled"
            },
        )
        .await;
        worker.stop().await;
        let alerts = all_alerts(&db.store).await;
        assert_eq!(
            kinds(&alerts),
            ["endpoint.disabled", "endpoint.disabled"],
            "{l}: {alerts:#?}"
        );
        assert_eq!(alerts[1].subject, format!("endpoint:{gone}"));
        assert!(
            alerts[1]
                .message
                .contains("was disabled automatically: the handler answered 410 Gone"),
            "{l}: {}",
            alerts[1].message
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_event_type_raises_quiet_then_resumed_once_each() {
    for db in testing::all().await {
        let l = db.label;
        common::stripe_source(&db.store, SOURCE_SECRET).await;
        let app = build_router(AppState::new(db.store.clone()));
        let rule = QuietRule {
            event_type: "invoice.paid".into(),
            window_ms: 60_000,
        };
        let alerts = db.store.alerts();
        let t0 = now_ms();
        assert_eq!(
            alerts.check_quiet(&rule, t0).await.unwrap(),
            None,
            "{l}: watching begins"
        );
        assert_eq!(
            alerts.check_quiet(&rule, t0 + 59_000).await.unwrap(),
            None,
            "{l}"
        );
        // Two instances checking at once raise one alert.
        let (a, b) = tokio::join!(
            alerts.check_quiet(&rule, t0 + 61_000),
            alerts.check_quiet(&rule, t0 + 61_000)
        );
        let raised: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(raised.len(), 1, "{l}: one quiet alert");
        assert_eq!(
            alerts.check_quiet(&rule, t0 + 300_000).await.unwrap(),
            None,
            "{l}"
        );
        // Another type arriving changes nothing; the watched one resumes.
        ingest(&app, "evt_other", "invoice.created").await;
        assert_eq!(
            alerts.check_quiet(&rule, t0 + 301_000).await.unwrap(),
            None,
            "{l}"
        );
        ingest(&app, "evt_paid_1", "invoice.paid").await;
        assert!(
            alerts.check_quiet(&rule, now_ms()).await.unwrap().is_some(),
            "{l}"
        );
        let status = alerts
            .quiet_status(std::slice::from_ref(&rule))
            .await
            .unwrap();
        assert!(
            status[0].last_seen.is_some() && status[0].quiet_since.is_none(),
            "{l}"
        );
        let seen = status[0].last_seen.unwrap();
        assert_eq!(
            alerts.check_quiet(&rule, seen + 30_000).await.unwrap(),
            None,
            "{l}"
        );
        // Quiet again a window after the last one.
        assert!(
            alerts
                .check_quiet(&rule, seen + 60_000)
                .await
                .unwrap()
                .is_some(),
            "{l}"
        );

        let all = all_alerts(&db.store).await;
        assert_eq!(
            kinds(&all),
            ["event_type.quiet", "event_type.resumed", "event_type.quiet"],
            "{l}: {all:#?}"
        );
        assert!(
            all.iter().all(|a| a.subject == "event_type:invoice.paid"),
            "{l}"
        );
        assert!(
            all[0]
                .message
                .contains("No invoice.paid event has arrived since watching began"),
            "{l}: {}",
            all[0].message
        );
        assert!(
            all[1].message.contains("invoice.paid events resumed"),
            "{l}: {}",
            all[1].message
        );
        assert!(
            all[2]
                .message
                .contains("No invoice.paid event for 1m (window 1m); the last one arrived"),
            "{l}: {}",
            all[2].message
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_retries_gives_up_and_two_instances_send_each_alert_once() {
    for db in testing::all().await {
        let l = db.label;
        let (base, log) = handler::start().await;
        let ids: Vec<i64> = {
            let mut ids = Vec::new();
            for i in 0..6 {
                let id =
                    common::endpoint(&db.store, &format!("{base}/ok{i}"), 5000, 10, vec![1]).await;
                db.store
                    .set_endpoint_state(id, "disabled", "", "test", now_ms())
                    .await
                    .unwrap();
                ids.push(id);
            }
            ids
        };

        // Nobody listens: the alert stays pending with the error, to be tried again later.
        let dead = Some(format!("http://127.0.0.1:{}/", handler::closed_port()));
        run_once(&db.store, &monitor(dead, "a"), &poster()).await;
        let alerts = all_alerts(&db.store).await;
        assert_eq!(alerts.len(), ids.len(), "{l}");
        for a in &alerts {
            assert_eq!(
                (a.send_state.as_str(), a.send_attempts),
                ("pending", 1),
                "{l}"
            );
            assert!(
                a.last_send_error.as_deref().is_some_and(|e| !e.is_empty()),
                "{l}"
            );
            assert!(
                a.next_send_at >= now_ms() + 5_000,
                "{l}: retried after a pause"
            );
        }

        // Once due, two instances share the work: each alert is sent exactly once.
        let now = now_ms() + 11_000;
        let store = db.store.alerts();
        // The claim is what divides the work; it leases every due alert to one owner.
        let (a, b) = tokio::join!(
            store.claim_unsent("a", now, 60_000, 4),
            store.claim_unsent("b", now, 60_000, 4)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len() + b.len(), ids.len(), "{l}: every due alert claimed");
        let a_ids: Vec<i64> = a.iter().map(|x| x.id).collect();
        assert!(
            b.iter().all(|x| !a_ids.contains(&x.id)),
            "{l}: none claimed twice"
        );
        let url = format!("{base}/alert-receiver");
        let p = poster();
        for (owner, claimed) in [("a", &a), ("b", &b)] {
            for alert in claimed.iter() {
                let body = hookyard_core::alerts::monitor::webhook_body(alert);
                p.send_alert(&url, ALERT_SECRET, body, &format!("alert_{}", alert.id))
                    .await
                    .unwrap();
                store.alert_sent(alert.id, owner, now).await.unwrap();
            }
        }
        // A monitor round finds nothing left to send.
        run_once(&db.store, &monitor(Some(url.clone()), "c"), &poster()).await;
        assert_eq!(log.count("alert-receiver"), ids.len(), "{l}");

        // Giving up is recorded as such.
        db.store
            .set_endpoint_state(ids[0], "enabled", "", "test", now_ms())
            .await
            .unwrap();
        db.store
            .set_endpoint_state(ids[0], "disabled", "again", "test", now_ms())
            .await
            .unwrap();
        let claimed = store.claim_unsent("d", now_ms(), 60_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "{l}");
        store
            .alert_send_failed(claimed[0].id, "d", "HTTP 500", None)
            .await
            .unwrap();
        let last = all_alerts(&db.store).await.pop().unwrap();
        assert_eq!(last.send_state, "failed", "{l}");
        assert_eq!(last.last_send_error.as_deref(), Some("HTTP 500"), "{l}");

        // Without an alert URL, new alerts are kept as unsent.
        db.store
            .set_endpoint_state(ids[1], "enabled", "", "test", now_ms())
            .await
            .unwrap();
        db.store
            .set_endpoint_state(ids[1], "disabled", "", "test", now_ms())
            .await
            .unwrap();
        run_once(&db.store, &monitor(None, "e"), &poster()).await;
        let last = all_alerts(&db.store).await.pop().unwrap();
        assert_eq!(last.send_state, "unsent", "{l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alerts_page_and_api_show_alerts_to_every_role() {
    use hookyard_core::access::Role;
    for db in testing::all().await {
        let l = db.label;
        let id = common::endpoint(&db.store, "http://127.0.0.1:9/orders", 5000, 10, vec![1]).await;
        db.store
            .set_endpoint_state(
                id,
                "disabled",
                "handler retired",
                "ops@example.com",
                now_ms(),
            )
            .await
            .unwrap();
        let state = AppState::new(db.store.clone()).with_alerts(AlertSettings {
            url: Some("https://hooks.slack.com/services/T0/B0/SECRETPATH".into()),
            after_failures: 3,
            quiet: vec![QuietRule {
                event_type: "invoice.paid".into(),
                window_ms: 6 * 3_600_000,
            }],
        });
        let app = common::as_role(build_router(state), &db.store, Role::Viewer).await;
        let page = get(&app, "/alerts", &[]).await;
        assert_eq!(page.status, StatusCode::OK, "{l}");
        let html = page.text();
        for expected in [
            "was disabled by ops@example.com: handler retired",
            "https://hooks.slack.com/…",
            "after 3 failed attempts in a row",
            "invoice.paid",
            "6h without one",
        ] {
            assert!(html.contains(expected), "{l}: {expected:?} not on the page");
        }
        assert!(
            !html.contains("SECRETPATH"),
            "{l}: the URL's path is a credential"
        );

        let token = common::role_token(&db.store, Role::Viewer).await;
        let auth = format!("Bearer {token}");
        let reply = get(
            &app,
            "/api/v1/alerts?kind=endpoint.disabled",
            &[("authorization", &auth)],
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
        let json = reply.json();
        assert_eq!(json["data"][0]["kind"], "endpoint.disabled", "{l}");
        assert_eq!(json["data"][0]["detail"]["endpoint_id"], id, "{l}");
        assert_eq!(json["data"][0]["send_state"], "pending", "{l}");
        let reply = get(
            &app,
            "/api/v1/alerts?kind=nope",
            &[("authorization", &auth)],
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{l}");
    }
}
