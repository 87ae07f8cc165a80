//! `/metrics` on SQLite and PostgreSQL: the figures move exactly as known events are accepted,
//! repeated, refused and delivered; the queue gauges follow the database; an optional token.
//! (Counters are per process: this file runs in a process of its own, and compares before and
//! after each step.)

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use common::{get, handler, post};
use hookyard_core::delivery::worker::{self, WorkerConfig};
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::store::{testing, NewEndpoint};
use hookyard_core::time::now_ms;
use hookyard_server::access::AccessConfig;
use hookyard_server::{build_router, AppState};

/// The value of one sample line (`name{labels}`), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

async fn scrape(app: &Router) -> String {
    let reply = get(app, "/metrics", &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    reply.text()
}

fn stripe_event(id: &str) -> Vec<u8> {
    serde_json::to_vec(
        &serde_json::json!({"id": id, "object": "event", "type": "charge.succeeded",
        "created": now_ms() / 1000, "data": {"object": {"id": "ch_1"}}}),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_known_events_and_deliveries() {
    for db in testing::all().await {
        let l = db.label;
        let slug = format!("m{}", l.to_lowercase());
        let secret = "whsec_metrics";
        let store = db.store.clone();
        store
            .create_source(
                &hookyard_core::store::NewSource {
                    slug: slug.clone(),
                    name: slug.clone(),
                    scheme: Scheme::Stripe,
                    config: SchemeConfig::default(),
                    secret: secret.into(),
                    tolerance_secs: 300,
                    max_body_bytes: 1 << 20,
                },
                now_ms(),
            )
            .await
            .unwrap();
        let (base, _log) = handler::start().await;
        store
            .create_endpoint(
                &NewEndpoint {
                    name: "metrics-ok".into(),
                    url: format!("{base}/ok"),
                    description: String::new(),
                    patterns: vec!["*".into()],
                    source_id: None,
                    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
                    headers: vec![],
                    timeout_ms: 5_000,
                    max_in_flight: 10,
                    retry_schedule: None,
                },
                now_ms(),
            )
            .await
            .unwrap();
        let state = AppState::new(store.clone());
        let ready = state.ingestor.deliveries_ready.clone();
        let app = build_router(state);
        let before = scrape(&app).await;
        let delta = |after: &str, series: &str| sample(after, series) - sample(&before, series);

        let hook = format!("/hooks/{slug}");
        for id in ["evt_m1", "evt_m2", "evt_m1"] {
            let body = stripe_event(id);
            let headers = sign(
                Scheme::Stripe,
                &SchemeConfig::default(),
                secret,
                &body,
                now_ms() / 1000,
                "",
            );
            let reply = post(&app, &hook, &headers, body).await;
            assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
        }
        let body = stripe_event("evt_forged");
        let forged = sign(
            Scheme::Stripe,
            &SchemeConfig::default(),
            "whsec_wrong",
            &body,
            now_ms() / 1000,
            "",
        );
        assert_eq!(
            post(&app, &hook, &forged, body).await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            post(&app, "/hooks/nowhere", &[], "{}").await.status,
            StatusCode::NOT_FOUND
        );

        // No worker yet: both deliveries wait, and one of them is due.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let waiting = scrape(&app).await;
        let new = format!("hookyard_events_received_total{{source=\"{slug}\",outcome=\"new\"}}");
        let dup =
            format!("hookyard_events_received_total{{source=\"{slug}\",outcome=\"duplicate\"}}");
        assert_eq!(sample(&waiting, &new), 2.0, "{l}");
        assert_eq!(sample(&waiting, &dup), 1.0, "{l}");
        assert_eq!(
            delta(
                &waiting,
                "hookyard_events_rejected_total{reason=\"signature_mismatch\"}"
            ),
            1.0,
            "{l}"
        );
        assert_eq!(
            delta(
                &waiting,
                "hookyard_events_rejected_total{reason=\"unknown_source\"}"
            ),
            1.0,
            "{l}"
        );
        assert_eq!(
            delta(&waiting, "hookyard_ingest_commit_batch_size_sum"),
            3.0,
            "{l}"
        );
        assert_eq!(
            sample(&waiting, "hookyard_delivery_queue_depth"),
            2.0,
            "{l}"
        );
        assert!(
            sample(&waiting, "hookyard_delivery_oldest_due_age_seconds") > 0.0,
            "{l}"
        );
        assert_eq!(sample(&waiting, "hookyard_database_up"), 1.0, "{l}");

        // The worker delivers both.
        let worker = worker::spawn(
            store.clone(),
            WorkerConfig {
                poll_interval: Duration::from_millis(50),
                ..WorkerConfig::default()
            },
            ready,
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while store.count_deliveries(Some("succeeded")).await.unwrap() < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "{l}: deliveries did not complete"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        worker.stop().await;
        let done = scrape(&app).await;
        assert_eq!(
            delta(&done, "hookyard_deliveries_total{outcome=\"succeeded\"}"),
            2.0,
            "{l}"
        );
        assert_eq!(
            delta(&done, "hookyard_attempt_duration_seconds_count"),
            2.0,
            "{l}"
        );
        assert_eq!(
            delta(
                &done,
                "hookyard_attempt_duration_seconds_bucket{le=\"+Inf\"}"
            ),
            2.0,
            "{l}"
        );
        assert_eq!(sample(&done, "hookyard_delivery_queue_depth"), 0.0, "{l}");
        assert_eq!(
            sample(&done, "hookyard_delivery_oldest_due_age_seconds"),
            0.0,
            "{l}"
        );
        assert!(
            done.contains("# TYPE hookyard_attempt_duration_seconds histogram"),
            "{l}"
        );

        // With a token configured, only its holder may scrape.
        let guarded = build_router(AppState::new(store.clone()).with_access(AccessConfig {
            metrics_token: Some("scrape-me".into()),
            ..AccessConfig::default()
        }));
        assert_eq!(
            get(&guarded, "/metrics", &[]).await.status,
            StatusCode::UNAUTHORIZED,
            "{l}"
        );
        let wrong = get(
            &guarded,
            "/metrics",
            &[("authorization", "Bearer scrape-you")],
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{l}");
        let right = get(
            &guarded,
            "/metrics",
            &[("authorization", "Bearer scrape-me")],
        )
        .await;
        assert_eq!(right.status, StatusCode::OK, "{l}");

        // The database goes away: counters still answer, and say so.
        store.close().await;
        let down = scrape(&app).await;
        assert_eq!(sample(&down, "hookyard_database_up"), 0.0, "{l}");
        assert_eq!(sample(&down, &new), 2.0, "{l}");
    }
}
