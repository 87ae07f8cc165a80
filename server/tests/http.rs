//! The router, driven in-process: health probes, SSR pages and embedded assets, on SQLite and
//! PostgreSQL.

mod common;

use axum::http::{header, StatusCode};
use common::get;
use hookyard_core::store::testing;
use hookyard_server::{build_router, AppState};

// Server-side rendering runs on a multi-threaded runtime, as in `hookyard serve`. Tests render
// in parallel, each on its own runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_readyz_follow_the_database() {
    for db in testing::all().await {
        let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
        let health = get(&app, "/healthz", &[]).await;
        assert_eq!(health.status, StatusCode::OK, "{}", db.label);

        let ready = get(&app, "/readyz", &[]).await;
        assert_eq!(
            ready.status,
            StatusCode::OK,
            "{}: {}",
            db.label,
            ready.text()
        );
        assert!(
            ready.text().contains(db.label),
            "{}: {}",
            db.label,
            ready.text()
        );

        // The database goes away: not ready, but alive.
        db.store.close().await;
        let ready = get(&app, "/readyz", &[]).await;
        assert_eq!(
            ready.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            db.label
        );
        assert!(
            ready.text().contains("database not reachable"),
            "{}",
            ready.text()
        );
        let health = get(&app, "/healthz", &[]).await;
        assert_eq!(health.status, StatusCode::OK, "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overview_renders_on_the_server_with_an_honest_empty_state() {
    for db in testing::all().await {
        let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
        let page = get(&app, "/", &[]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", db.label);
        let html = page.text();
        assert!(
            html.starts_with("<!DOCTYPE html>"),
            "{}",
            &html[..80.min(html.len())]
        );
        assert!(
            html.contains("<title>Overview · Hookyard</title>"),
            "{}",
            db.label
        );
        assert!(
            html.contains("No events yet"),
            "{}: empty state missing",
            db.label
        );
        assert!(html.contains("hookyard source add --slug stripe --scheme stripe"));
        // Every page of PRODUCT.md is in the navigation.
        for href in [
            "/events",
            "/failures",
            "/endpoints",
            "/event-types",
            "/sources",
            "/payments",
            "/audit",
            "/users",
        ] {
            assert!(
                html.contains(&format!("href=\"{href}\"")),
                "nav lacks {href}"
            );
        }
        // The hydration script and stylesheet are linked.
        assert!(html.contains("/pkg/hookyard.js"), "{}", db.label);
        assert!(html.contains("/pkg/hookyard.css"), "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overview_shows_a_clear_error_when_the_database_is_gone() {
    let db = testing::sqlite().await;
    let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
    db.store.close().await;
    // Who is asking is in the database too: the access check says so, plainly.
    let page = get(&app, "/", &[]).await;
    let html = page.text();
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{html}");
    assert!(html.contains("The database is not answering"), "{html}");
    assert!(
        !html.contains("PoolClosed"),
        "internal detail leaked: {html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_navigation_page_renders() {
    let db = testing::sqlite().await;
    let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
    for (href, title) in [
        ("/events", "Events"),
        ("/failures", "Failures"),
        ("/endpoints", "Endpoints"),
        ("/event-types", "Event types"),
        ("/sources", "Sources"),
        ("/payments", "Payments"),
        ("/audit", "Audit log"),
        ("/users", "Users &amp; tokens"),
    ] {
        let page = get(&app, href, &[]).await;
        assert_eq!(page.status, StatusCode::OK, "{href}");
        let html = page.text();
        assert!(
            html.contains(&format!("<h1>{title}</h1>")),
            "{href}: {html}"
        );
        assert!(
            html.contains("aria-current=\"page\""),
            "{href}: no active nav item"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_path_is_a_404_page() {
    let db = testing::sqlite().await;
    let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
    let page = get(&app, "/no/such/page", &[]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text().contains("Page not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_embedded_compressed_and_revalidated() {
    let db = testing::sqlite().await;
    let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
    let css = get(&app, "/pkg/hookyard.css", &[]).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(css.text().contains("--accent"), "not our stylesheet");

    let gz = get(
        &app,
        "/pkg/hookyard.css",
        &[("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(&gz.body[..2], &[0x1f, 0x8b], "gzip magic");
    assert!(gz.body.len() < css.body.len());

    let etag = css.headers[header::ETAG]
        .to_str()
        .expect("etag")
        .to_string();
    let again = get(&app, "/pkg/hookyard.css", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    let missing = get(&app, "/pkg/../../etc/passwd", &[]).await;
    assert_ne!(missing.status, StatusCode::OK);
    let missing = get(&app, "/pkg/nope.js", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_pages_render_real_data_without_javascript() {
    use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
    use hookyard_core::ingest::signature::sign;
    use hookyard_core::store::NewEndpoint;
    for db in testing::all().await {
        common::stripe_source(&db.store, "whsec_ssr").await;
        db.store
            .create_endpoint(
                &NewEndpoint {
                    name: "ledger".into(),
                    url: "http://127.0.0.1:9/never".into(),
                    description: String::new(),
                    patterns: vec!["charge.*".into()],
                    source_id: None,
                    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
                    headers: vec![],
                    timeout_ms: 1000,
                    max_in_flight: 1,
                    retry_schedule: None,
                },
                hookyard_core::time::now_ms(),
            )
            .await
            .unwrap();
        let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
        let body = br#"{"id":"evt_ssr_1","type":"charge.succeeded","livemode":true,"data":{"object":{"id":"ch_ssr","amount":1999,"currency":"eur","metadata":{"ref":"needle-42"}}}}"#;
        let headers = sign(
            Scheme::Stripe,
            &SchemeConfig::default(),
            "whsec_ssr",
            body,
            hookyard_core::time::now_ms() / 1000,
            "",
        );
        let reply = common::post(&app, "/hooks/stripe", &headers, body.to_vec()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let id = reply.json()["event_id"].as_i64().unwrap();

        let list = get(&app, "/events?q=needle-42", &[]).await.text();
        assert!(
            list.contains("charge.succeeded") && list.contains("evt_ssr_1"),
            "{}: {list}",
            db.label
        );
        assert!(
            list.contains("0/1 delivered"),
            "{}: delivery summary",
            db.label
        );
        let none = get(&app, "/events?type=invoice.*", &[]).await.text();
        assert!(
            none.contains("No events match these filters"),
            "{}",
            db.label
        );

        let detail = get(&app, &format!("/events/{id}"), &[]).await.text();
        for needle in [
            "evt_ssr_1",
            "19.99 EUR",
            "needle-42",
            "ledger",
            "valid: matched secret",
            "stripe-signature",
            "live",
        ] {
            assert!(
                detail.contains(needle),
                "{}: event page lacks {needle}",
                db.label
            );
        }
        let missing = get(&app, "/events/999999", &[]).await.text();
        assert!(missing.contains("No such event"), "{}", db.label);

        assert!(
            get(&app, "/endpoints", &[])
                .await
                .text()
                .contains("charge.*"),
            "{}",
            db.label
        );
        let sources = get(&app, "/sources", &[]).await.text();
        assert!(sources.contains("/hooks/stripe"), "{}", db.label);
        assert!(
            get(&app, "/failures", &[])
                .await
                .text()
                .contains("Nothing is failing"),
            "{}",
            db.label
        );
    }
}

/// Many pages rendered at once, on both databases: every response completes. (Leptos streaming
/// SSR has had lost-wakeup hangs under concurrency; a page that never finishes is a page that
/// never hydrates.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_completely_under_concurrent_load() {
    for db in testing::all().await {
        common::stripe_source(&db.store, "whsec_load").await;
        let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
        let pages = [
            "/",
            "/events",
            "/events?q=nothing",
            "/failures",
            "/endpoints",
            "/event-types",
            "/sources",
            "/events/1",
            "/payments",
            "/payments?status=failed&min=10",
            "/payments/1",
        ];
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..240 {
            let app = app.clone();
            let uri = pages[i % pages.len()];
            tasks.spawn(async move {
                let reply =
                    tokio::time::timeout(std::time::Duration::from_secs(20), get(&app, uri, &[]))
                        .await
                        .unwrap_or_else(|_| panic!("{uri}: the page never finished rendering"));
                (uri, reply.status, reply.text())
            });
            // At most 16 requests in flight.
            if tasks.len() >= 16 {
                check_page(tasks.join_next().await.unwrap().unwrap(), db.label);
            }
        }
        while let Some(done) = tasks.join_next().await {
            check_page(done.unwrap(), db.label);
        }
    }
}

/// Building a router while pages render elsewhere in the process never stalls those pages.
/// Route generation sets a process-wide "suppress resource loads" flag, and a page whose data
/// started loading under it used to wait forever (leptos-rs/leptos#4773; 1 CI run in 8).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn building_routers_never_stalls_pages_rendering_meanwhile() {
    let db = testing::sqlite().await;
    common::stripe_source(&db.store, "whsec_build").await;
    let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
    let store = db.store.clone();
    let runtime = tokio::runtime::Handle::current();
    let builder = tokio::task::spawn_blocking(move || {
        let _inside = runtime.enter();
        for _ in 0..200 {
            drop(build_router(AppState::new(store.clone())));
        }
    });
    let mut rendered = 0;
    while !builder.is_finished() || rendered < 20 {
        let reply = tokio::time::timeout(std::time::Duration::from_secs(20), get(&app, "/", &[]))
            .await
            .expect("the overview never finished rendering while routers were built");
        check_page(("/", reply.status, reply.text()), db.label);
        rendered += 1;
    }
    builder.await.unwrap();
}

fn check_page((uri, status, html): (&str, StatusCode, String), label: &str) {
    assert_eq!(status, StatusCode::OK, "{label} {uri}");
    assert!(
        html.trim_end().ends_with("</html>") || html.contains("__RESOLVED_RESOURCES"),
        "{label} {uri}: incomplete page"
    );
    assert!(
        !html.contains("Loading"),
        "{label} {uri}: a fallback was never replaced: {html}"
    );
}

/// The live tail: a connection announces itself, then streams each new event that matches its
/// filters, once, as JSON rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_tail_streams_new_matching_events_once() {
    use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
    use hookyard_core::ingest::signature::sign;
    use tower::ServiceExt;
    for db in testing::all().await {
        common::stripe_source(&db.store, "whsec_live").await;
        let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
        let send = |id: &str, event_type: &str| {
            let body = format!(r#"{{"id":"{id}","type":"{event_type}","data":{{"object":{{}}}}}}"#);
            let headers = sign(
                Scheme::Stripe,
                &SchemeConfig::default(),
                "whsec_live",
                body.as_bytes(),
                hookyard_core::time::now_ms() / 1000,
                "",
            );
            let app = app.clone();
            async move {
                let reply = common::post(&app, "/hooks/stripe", &headers, body).await;
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
            }
        };
        send("evt_before", "charge.succeeded").await;
        let req = axum::http::Request::get("/live/events?type=charge.*")
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
        let mut body = res.into_body().into_data_stream();
        let mut text = String::new();
        read_until(&mut body, &mut text, "event: ready").await;
        send("evt_live_1", "charge.refunded").await;
        send("evt_other", "invoice.paid").await;
        send("evt_live_2", "charge.succeeded").await;
        read_until(&mut body, &mut text, "evt_live_2").await;
        // Two more polls: nothing is repeated.
        tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
        let rows: Vec<serde_json::Value> = text
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str(d).ok())
            .filter(|v: &serde_json::Value| v.get("provider_event_id").is_some())
            .collect();
        let ids: Vec<&str> = rows
            .iter()
            .map(|r| r["provider_event_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["evt_live_1", "evt_live_2"], "{}: {text}", db.label);
        // Each event carries its receive time as the SSE id; a browser reconnecting with it
        // resumes from there instead of from "now".
        let resume_at = rows[1]["received_at"].as_i64().unwrap();
        assert!(
            text.contains(&format!("id: {resume_at}")),
            "{}: {text}",
            db.label
        );
        let req = axum::http::Request::get("/live/events?type=charge.*")
            .header("last-event-id", resume_at.to_string())
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let mut again = res.into_body().into_data_stream();
        let mut resumed = String::new();
        read_until(&mut again, &mut resumed, "evt_live_2").await;
        assert!(!resumed.contains("evt_before"), "{}: {resumed}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editor_pages_render_their_forms_on_the_server() {
    for db in testing::all().await {
        common::stripe_source(&db.store, "whsec_forms_0123456789").await;
        let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
        let new_endpoint = get(&app, "/endpoints/new", &[]).await.text();
        for needle in [
            "New endpoint",
            "name=\"url\"",
            "name=\"events\"",
            "Create endpoint",
            "Any source",
        ] {
            assert!(
                new_endpoint.contains(needle),
                "{}: /endpoints/new lacks {needle}",
                db.label
            );
        }
        let new_source = get(&app, "/sources/new", &[]).await.text();
        for needle in [
            "New source",
            "name=\"slug\"",
            "Standard Webhooks / Svix",
            "Create source",
        ] {
            assert!(
                new_source.contains(needle),
                "{}: /sources/new lacks {needle}",
                db.label
            );
        }
        let source = get(&app, "/sources/stripe", &[]).await.text();
        assert!(
            source.contains("/hooks/stripe") && source.contains("Rotate secret"),
            "{}",
            db.label
        );
        assert!(
            source.contains("whsec_fo…89"),
            "{}: masked secret hint: {source}",
            db.label
        );
        assert!(
            !source.contains("whsec_forms_0123456789"),
            "{}: the secret leaked",
            db.label
        );
        let missing = get(&app, "/endpoints/424242", &[]).await.text();
        assert!(
            missing.contains("Endpoint 424242 does not exist."),
            "{}",
            db.label
        );
    }
}

/// Reads a streamed body into `text` until it contains `needle` (15 s at most).
async fn read_until(body: &mut axum::body::BodyDataStream, text: &mut String, needle: &str) {
    use futures_util::StreamExt;
    let found = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        while !text.contains(needle) {
            let chunk = body.next().await.expect("stream open").expect("chunk");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(found.is_ok(), "no {needle:?} in the stream: {text}");
}
/// The Payments pages and the Overview's money, rendered without JavaScript from events that
/// went through `/hooks` and the projector, on both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_pages_render_correct_figures() {
    use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
    use hookyard_core::ingest::signature::sign;
    use hookyard_core::payments::{projector, PaymentFilter};
    for db in testing::all().await {
        let l = db.label;
        common::stripe_source(&db.store, "whsec_pay").await;
        let app = common::as_admin(build_router(AppState::new(db.store.clone())), &db.store).await;
        let now = hookyard_core::time::now_ms() / 1000;
        let intent = |id: &str, status: &str, amount: i64, currency: &str, live: bool| {
            serde_json::json!({"id": id, "object": "payment_intent", "amount": amount,
                "currency": currency, "status": status, "customer": format!("cus_{id}"),
                "livemode": live, "created": now,
                "last_payment_error": if status == "requires_payment_method" {
                    serde_json::json!({"message": "Your card was declined."})
                } else { serde_json::Value::Null }})
        };
        let mut event_ids = std::collections::HashMap::new();
        for (id, event_type, object) in [
            (
                "evt_h1",
                "payment_intent.succeeded",
                intent("pi_h_usd", "succeeded", 4200, "usd", true),
            ),
            (
                "evt_h2",
                "payment_intent.succeeded",
                intent("pi_h_jpy", "succeeded", 5000, "jpy", true),
            ),
            (
                "evt_h3",
                "payment_intent.payment_failed",
                intent("pi_h_fail", "requires_payment_method", 1999, "usd", true),
            ),
            (
                "evt_h4",
                "payment_intent.succeeded",
                intent("pi_h_test", "succeeded", 7777, "usd", false),
            ),
            (
                "evt_h5",
                "refund.created",
                serde_json::json!({"id": "re_h", "object": "refund",
                "amount": 1200, "currency": "usd", "status": "succeeded", "payment_intent": "pi_h_usd"}),
            ),
        ] {
            let live = object["livemode"].as_bool().unwrap_or(true);
            let body = serde_json::to_vec(&serde_json::json!({"id": id, "object": "event",
                "type": event_type, "created": now, "livemode": live, "data": {"object": object}}))
            .unwrap();
            let headers = sign(
                Scheme::Stripe,
                &SchemeConfig::default(),
                "whsec_pay",
                &body,
                now,
                "",
            );
            let reply = common::post(&app, "/hooks/stripe", &headers, body).await;
            assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
            event_ids.insert(id, reply.json()["event_id"].as_i64().unwrap());
        }
        assert_eq!(projector::drain(&db.store).await.unwrap(), 5, "{l}");

        let page = get(&app, "/payments", &[]).await.text();
        for needle in [
            "Live mode",
            "USD collected this month",
            "42.00 USD",
            "5,000 JPY",
            "12.00 USD",     // refunded
            "1 · 19.99 USD", // failed: how many · how much
            "30.00 USD",     // net: 42.00 - 12.00
            "pi_h_fail",
            "Your card was declined.",
        ] {
            assert!(page.contains(needle), "{l}: /payments lacks {needle:?}");
        }
        assert!(
            !page.contains("77.77 USD"),
            "{l}: a test payment counted as live"
        );
        let test = get(&app, "/payments?mode=test", &[]).await.text();
        assert!(
            test.contains("77.77 USD") && !test.contains("5,000 JPY"),
            "{l}: test mode"
        );
        let failed = get(&app, "/payments?status=failed", &[]).await.text();
        assert!(
            failed.contains("pi_h_fail") && !failed.contains("pi_h_jpy"),
            "{l}: status filter"
        );
        let bad = get(&app, "/payments?min=lots", &[]).await.text();
        assert!(bad.contains("is not an amount like 19.99"), "{l}: {bad}");

        let usd = db
            .store
            .list_payments(
                &PaymentFilter {
                    search: Some("pi_h_usd".into()),
                    ..PaymentFilter::default()
                },
                1,
            )
            .await
            .unwrap();
        let detail = get(&app, &format!("/payments/{}", usd[0].id), &[])
            .await
            .text();
        for needle in [
            "42.00 USD".to_string(),
            "partially refunded".to_string(),
            "refund.created".to_string(),
            format!("href=\"/events/{}\"", event_ids["evt_h1"]),
            format!("href=\"/events/{}\"", event_ids["evt_h5"]),
        ] {
            assert!(
                detail.contains(&needle),
                "{l}: payment page lacks {needle:?}"
            );
        }
        let missing = get(&app, "/payments/999999", &[]).await.text();
        assert!(missing.contains("No such payment"), "{l}");

        let overview = get(&app, "/", &[]).await.text();
        assert!(
            overview.contains("Payments, live mode") && overview.contains("42.00 USD"),
            "{l}: overview money"
        );
        assert!(!overview.contains("77.77 USD"), "{l}");
    }
}
