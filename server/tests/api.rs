//! The JSON API (`/api/v1`) end to end, on SQLite and PostgreSQL: each route's answer and its
//! errors, one error shape, keyset paging without gaps or repeats, what each role receives
//! (a viewer never gets payload bytes), and the OpenAPI document against the routes and the
//! policy table.

mod common;

use std::collections::HashSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use common::{post, send, Reply};
use hookyard_core::access::{self, Kind, Role, POLICY};
use hookyard_core::ingest::extract::Extracted;
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::store::{
    testing, AttemptResult, FanoutTarget, NewEndpoint, NewEvent, SharedStore,
};
use hookyard_core::time::{format_rfc3339, now_ms, HOUR_MS};
use hookyard_server::{build_router, AppState};
use serde_json::{json, Value};

const BODY_MARK: &str = "secret-order-note-7731";
const HEADER_MARK: &str = "header-mark-5518";
const RESPONSE_MARK: &str = "handler-said-4471";

/// One request with a bearer token (none: anonymous) and an optional JSON body.
async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    send(app, req.body(body).unwrap()).await
}

/// Asserts the API's error shape with this status and code.
fn assert_error(reply: &Reply, status: StatusCode, code: &str, ctx: &str) {
    assert_eq!(reply.status, status, "{ctx}: {}", reply.text());
    let body = reply.json();
    assert_eq!(body["error"]["code"], code, "{ctx}: {}", reply.text());
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{ctx}: {}",
        reply.text()
    );
}

/// A token per role.
struct Tokens {
    viewer: String,
    developer: String,
    operator: String,
    admin: String,
}

async fn tokens(store: &SharedStore) -> Tokens {
    Tokens {
        viewer: common::role_token(store, Role::Viewer).await,
        developer: common::role_token(store, Role::Developer).await,
        operator: common::role_token(store, Role::Operator).await,
        admin: common::role_token(store, Role::Admin).await,
    }
}

async fn endpoint(store: &SharedStore, name: &str, patterns: &[&str]) -> i64 {
    store
        .create_endpoint(
            &NewEndpoint {
                name: name.into(),
                url: "http://127.0.0.1:9/hook".into(),
                description: String::new(),
                patterns: patterns.iter().map(|p| p.to_string()).collect(),
                source_id: None,
                secret: "whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0".into(),
                headers: vec![("x-team".into(), "payments".into())],
                timeout_ms: 5_000,
                max_in_flight: 4,
                retry_schedule: None,
            },
            now_ms(),
        )
        .await
        .expect("create endpoint")
}

/// A signed Stripe event through `/hooks/stripe`, with a marked body and header; its id.
async fn receive(app: &Router, provider_id: &str, event_type: &str) -> i64 {
    let now = now_ms() / 1000;
    let body = serde_json::to_vec(&json!({
        "id": provider_id, "object": "event", "type": event_type,
        "created": now, "livemode": true,
        "data": {"object": {"id": format!("pi_{provider_id}"), "object": "payment_intent",
            "amount": 1999, "currency": "usd", "status": "succeeded", "created": now,
            "metadata": {"note": BODY_MARK}}}
    }))
    .unwrap();
    let mut headers = sign(
        Scheme::Stripe,
        &SchemeConfig::default(),
        "whsec_api",
        &body,
        now,
        "",
    );
    headers.push(("x-order-trace".into(), HEADER_MARK.into()));
    headers.push((
        "content-type".into(),
        "application/json; charset=utf-8".into(),
    ));
    let reply = post(app, "/hooks/stripe", &headers, body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["event_id"].as_i64().unwrap()
}

/// Makes the delivery's first attempt, answered 500 with a marked body.
async fn fail_once(store: &SharedStore) -> i64 {
    let claimed = store.claim_due("test", now_ms() + 1000, 10).await.unwrap();
    let c = claimed.first().expect("a due delivery").clone();
    let now = now_ms();
    store
        .record_attempts(
            &[AttemptResult {
                delivery_id: c.delivery_id,
                endpoint_id: c.endpoint_id,
                number: c.attempts + 1,
                trigger: c.trigger.clone(),
                actor: c.actor.clone(),
                started_at: now,
                finished_at: now + 12,
                duration_ms: 12,
                request_headers: json!([["webhook-id", HEADER_MARK]]).to_string(),
                response_status: Some(500),
                response_headers: Some(json!([["x-handler", RESPONSE_MARK]]).to_string()),
                response_body: Some(RESPONSE_MARK.as_bytes().to_vec()),
                error_kind: Some("http_status".into()),
                error_message: Some("answered 500".into()),
                new_status: "failed".into(),
                next_attempt_at: now,
                disable_endpoint: false,
            }],
            "test",
            &hookyard_core::store::AttemptRules {
                disable_after_ms: i64::MAX,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    c.delivery_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_page_through_every_event_once_and_filters_narrow() {
    for db in testing::all().await {
        let l = db.label;
        common::stripe_source(&db.store, "whsec_api").await;
        let source_id = db.store.source_by_slug("stripe").await.unwrap().unwrap().id;
        let app = build_router(AppState::new(db.store.clone()));
        let t = tokens(&db.store).await;
        let ep = endpoint(&db.store, "orders", &["charge.*"]).await;
        // 250 events; pairs share a received_at, so the cursor must break ties by id.
        let base = now_ms() - 10 * HOUR_MS;
        let types = ["charge.succeeded", "charge.refunded", "invoice.paid"];
        let events: Vec<NewEvent> = (0..250i64)
            .map(|i| NewEvent {
                source_id,
                provider_event_id: format!("evt_{i}"),
                event_type: types[(i % 3) as usize].into(),
                received_at: base + (i / 2) * 60_000,
                body: format!(r#"{{"id":"evt_{i}"}}"#).into_bytes().into(),
                headers: "[]".into(),
                verified_secret_id: None,
                extracted: Extracted::default(),
                fanout: if i % 10 == 0 {
                    vec![FanoutTarget {
                        endpoint_id: ep,
                        held: false,
                    }]
                } else {
                    vec![]
                },
                payment: false,
            })
            .collect();
        for chunk in events.chunks(50) {
            db.store
                .insert_events(&chunk.iter().collect::<Vec<_>>())
                .await
                .unwrap();
        }

        let mut seen = Vec::new();
        let mut keys = Vec::new();
        let mut uri = "/api/v1/events?limit=100".to_string();
        for page in 0.. {
            assert!(page < 5, "{l}: paging does not end");
            let reply = call(&app, Method::GET, &uri, Some(&t.viewer), None).await;
            assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
            let body = reply.json();
            for e in body["data"].as_array().unwrap() {
                seen.push(e["id"].as_i64().unwrap());
                let at = e["received_at"].as_str().unwrap().to_string();
                keys.push((at, e["id"].as_i64().unwrap()));
            }
            match body["next"].as_str() {
                Some(next) => uri = format!("/api/v1/events?limit=100&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 250, "{l}: every event once");
        assert_eq!(
            seen.iter().collect::<HashSet<_>>().len(),
            250,
            "{l}: no repeats"
        );
        // Newest first; RFC 3339 strings of one format sort as the times do.
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(keys, sorted, "{l}: newest first, ties by id");
        assert!(
            keys[0].0.ends_with('Z') && keys[0].0.contains('T'),
            "{l}: {}",
            keys[0].0
        );

        let count = |query: &'static str| {
            let app = app.clone();
            let token = t.viewer.clone();
            async move {
                let reply = call(
                    &app,
                    Method::GET,
                    &format!("/api/v1/events?limit=500&{query}"),
                    Some(&token),
                    None,
                )
                .await;
                assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text());
                reply.json()["data"].as_array().unwrap().len()
            }
        };
        assert_eq!(count("type=charge.*").await, 167, "{l}");
        assert_eq!(count("type=invoice.paid").await, 83, "{l}");
        assert_eq!(count("source=stripe").await, 250, "{l}");
        assert_eq!(count("source=nope").await, 0, "{l}");
        assert_eq!(count("id=evt_7").await, 1, "{l}");
        assert_eq!(count("status=pending").await, 25, "{l}");
        assert_eq!(count("range=1h").await, 0, "{l}");
        assert_eq!(count("range=30d").await, 250, "{l}");
        let from = format_rfc3339(base + 100 * 60_000);
        let to = format_rfc3339(base + 110 * 60_000);
        let uri = format!("/api/v1/events?from={from}&to={to}");
        let reply = call(&app, Method::GET, &uri, Some(&t.viewer), None).await;
        assert_eq!(
            reply.json()["data"].as_array().unwrap().len(),
            20,
            "{l}: {uri}"
        );

        for bad in [
            "limit=0",
            "limit=501",
            "limit=x",
            "cursor=nonsense",
            "from=yesterday",
            "status=lost",
            "range=2d",
        ] {
            let reply = call(
                &app,
                Method::GET,
                &format!("/api/v1/events?{bad}"),
                Some(&t.viewer),
                None,
            )
            .await;
            assert_error(
                &reply,
                StatusCode::BAD_REQUEST,
                "bad_request",
                &format!("{l}: {bad}"),
            );
        }
        // Payload search reveals payloads: developers only.
        let reply = call(
            &app,
            Method::GET,
            "/api/v1/events?q=evt_3",
            Some(&t.viewer),
            None,
        )
        .await;
        assert_error(&reply, StatusCode::FORBIDDEN, "forbidden", l);
        let reply = call(
            &app,
            Method::GET,
            "/api/v1/events?q=%22evt_3%22&range=30d",
            Some(&t.developer),
            None,
        )
        .await;
        assert_eq!(
            reply.json()["data"].as_array().unwrap().len(),
            1,
            "{l}: {}",
            reply.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_its_body_and_deliveries_as_each_role_may_see_them() {
    for db in testing::all().await {
        let l = db.label;
        common::stripe_source(&db.store, "whsec_api").await;
        let app = build_router(AppState::new(db.store.clone()));
        let t = tokens(&db.store).await;
        let ep = endpoint(&db.store, "orders", &["payment_intent.*"]).await;
        let id = receive(&app, "evt_api_1", "payment_intent.succeeded").await;
        let delivery = fail_once(&db.store).await;

        let paths = [
            format!("/api/v1/events/{id}"),
            format!("/api/v1/events/{id}/deliveries"),
            format!("/api/v1/deliveries/{delivery}"),
            "/api/v1/events".to_string(),
            format!("/api/v1/endpoints/{ep}"),
            "/api/v1/endpoints".to_string(),
        ];
        // A viewer: what arrived and how delivery went, never a byte of payload.
        for path in &paths {
            let reply = call(&app, Method::GET, path, Some(&t.viewer), None).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{l}: {path}: {}",
                reply.text()
            );
            let text = reply.text();
            for mark in [
                BODY_MARK,
                HEADER_MARK,
                RESPONSE_MARK,
                "whsec_",
                "v1=",
                "payments",
            ] {
                assert!(
                    !text.contains(mark),
                    "{l}: {path} gave a viewer {mark:?}: {text}"
                );
            }
        }
        let viewed = call(&app, Method::GET, &paths[0], Some(&t.viewer), None)
            .await
            .json();
        assert_eq!(viewed["type"], "payment_intent.succeeded", "{l}");
        assert_eq!(viewed["payload_withheld"], true, "{l}");
        assert_eq!(viewed["body"], Value::Null, "{l}");
        assert_eq!(viewed["headers"], json!([]), "{l}");
        let reply = call(
            &app,
            Method::GET,
            &format!("/api/v1/events/{id}/body"),
            Some(&t.viewer),
            None,
        )
        .await;
        assert_error(&reply, StatusCode::FORBIDDEN, "forbidden", l);
        assert!(!reply.text().contains(BODY_MARK), "{l}");

        // A developer gets everything, so the assertions above could fail.
        let detail = call(&app, Method::GET, &paths[0], Some(&t.developer), None)
            .await
            .json();
        assert_eq!(detail["payload_withheld"], false, "{l}");
        assert!(detail["body"].as_str().unwrap().contains(BODY_MARK), "{l}");
        assert!(detail.to_string().contains(HEADER_MARK), "{l}");
        assert_eq!(detail["deliveries"]["total"], 1, "{l}");
        let deliveries = call(&app, Method::GET, &paths[1], Some(&t.developer), None)
            .await
            .json();
        let d = &deliveries[0];
        assert_eq!(d["id"], delivery, "{l}");
        assert_eq!(d["endpoint_id"], ep, "{l}");
        assert_eq!(d["status"], "failed", "{l}");
        assert_eq!(d["attempts"][0]["response_status"], 500, "{l}");
        assert_eq!(d["attempts"][0]["response_body"], RESPONSE_MARK, "{l}");
        assert!(d["created_at"].as_str().unwrap().ends_with('Z'), "{l}");
        let one = call(&app, Method::GET, &paths[2], Some(&t.developer), None)
            .await
            .json();
        assert_eq!(
            one["attempts"][0]["response_headers"][0]["value"], RESPONSE_MARK,
            "{l}"
        );

        // The raw body: the exact bytes and the sender's content type.
        let stored = db.store.event_body(id).await.unwrap().unwrap().0.unwrap();
        let raw = call(
            &app,
            Method::GET,
            &format!("/api/v1/events/{id}/body"),
            Some(&t.developer),
            None,
        )
        .await;
        assert_eq!(raw.status, StatusCode::OK, "{l}");
        assert_eq!(raw.body, stored, "{l}: byte for byte");
        assert_eq!(
            raw.headers["content-type"], "application/json; charset=utf-8",
            "{l}"
        );
        assert_eq!(raw.headers["x-content-type-options"], "nosniff", "{l}");

        // Endpoints never show header values or the secret, to anyone.
        let e = call(&app, Method::GET, &paths[4], Some(&t.admin), None).await;
        assert_eq!(e.json()["header_names"], json!(["x-team"]), "{l}");
        assert!(
            !e.text().contains("whsec_") && !e.text().contains("payments"),
            "{l}"
        );

        for missing in [
            "/api/v1/events/999999",
            "/api/v1/events/999999/deliveries",
            "/api/v1/events/999999/body",
            "/api/v1/deliveries/999999",
            "/api/v1/endpoints/999999",
            "/api/v1/payments/999999",
            "/api/v1/sources/nope",
            "/api/v1/bulk-replays/999999",
        ] {
            let reply = call(&app, Method::GET, missing, Some(&t.admin), None).await;
            assert_error(
                &reply,
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("{l}: {missing}"),
            );
        }
        let reply = call(
            &app,
            Method::GET,
            "/api/v1/events/abc",
            Some(&t.admin),
            None,
        )
        .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "bad_request", l);

        // Payments: the event above was folded into one.
        db.store.project_payments(100).await.unwrap();
        let page = call(&app, Method::GET, "/api/v1/payments", Some(&t.viewer), None)
            .await
            .json();
        let payment = &page["data"][0];
        assert_eq!(payment["key"], "pi_evt_api_1", "{l}: {page}");
        assert_eq!(payment["amount"], 1999, "{l}");
        assert_eq!(payment["status"], "succeeded", "{l}");
        let pid = payment["id"].as_i64().unwrap();
        let one = call(
            &app,
            Method::GET,
            &format!("/api/v1/payments/{pid}"),
            Some(&t.viewer),
            None,
        )
        .await
        .json();
        assert_eq!(one["timeline"][0]["event_id"], id, "{l}: {one}");
        let test_mode = call(
            &app,
            Method::GET,
            "/api/v1/payments?mode=test",
            Some(&t.viewer),
            None,
        )
        .await
        .json();
        assert_eq!(test_mode["data"], json!([]), "{l}");
        let reply = call(
            &app,
            Method::GET,
            "/api/v1/payments?min=lots",
            Some(&t.viewer),
            None,
        )
        .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "bad_request", l);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_retry_pause_resume_and_bulk_replay() {
    for db in testing::all().await {
        let l = db.label;
        common::stripe_source(&db.store, "whsec_api").await;
        let app = build_router(AppState::new(db.store.clone()));
        let t = tokens(&db.store).await;
        let ep = endpoint(&db.store, "orders", &["payment_intent.*"]).await;
        let other = endpoint(&db.store, "other", &["invoice.*"]).await;
        let id = receive(&app, "evt_api_2", "payment_intent.succeeded").await;
        let delivery = fail_once(&db.store).await;
        let op = Some(t.operator.as_str());

        // Replay to every subscriber, then to one chosen endpoint.
        let uri = format!("/api/v1/events/{id}/replay");
        let reply = call(&app, Method::POST, &uri, op, None).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{l}: {}", reply.text());
        assert_eq!(reply.json()["endpoint_ids"], json!([ep]), "{l}");
        let reply = call(
            &app,
            Method::POST,
            &uri,
            op,
            Some(json!({"endpoint_id": other})),
        )
        .await;
        assert_eq!(
            reply.json()["endpoint_ids"],
            json!([other]),
            "{l}: {}",
            reply.text()
        );
        let reply = call(
            &app,
            Method::POST,
            &uri,
            op,
            Some(json!({"endpoint_id": 999999})),
        )
        .await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid", l);
        assert_eq!(
            reply.json()["error"]["fields"][0]["field"],
            "endpoint_id",
            "{l}"
        );
        let reply = call(&app, Method::POST, &uri, op, Some(json!({"endpoint": 1}))).await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid", l);
        let reply = call(&app, Method::POST, "/api/v1/events/999999/replay", op, None).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found", l);
        let deliveries = call(
            &app,
            Method::GET,
            &format!("/api/v1/events/{id}/deliveries"),
            op,
            None,
        )
        .await
        .json();
        assert_eq!(deliveries.as_array().unwrap().len(), 3, "{l}: {deliveries}");
        // Viewers and developers may not act.
        for token in [&t.viewer, &t.developer] {
            let reply = call(&app, Method::POST, &uri, Some(token), None).await;
            assert_error(&reply, StatusCode::FORBIDDEN, "forbidden", l);
        }

        // Retry: a failed delivery becomes due; one in flight cannot.
        let uri = format!("/api/v1/deliveries/{delivery}/retry");
        let reply = call(&app, Method::POST, &uri, op, None).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{l}: {}", reply.text());
        assert_eq!(reply.json()["status"], "pending", "{l}: {}", reply.text());
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/deliveries/999999/retry",
            op,
            None,
        )
        .await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found", l);
        db.store
            .claim_due("test", now_ms() + 1000, 10)
            .await
            .unwrap();
        let reply = call(&app, Method::POST, &uri, op, None).await;
        assert_error(&reply, StatusCode::CONFLICT, "conflict", l);

        // Pause and resume.
        let reply = call(
            &app,
            Method::POST,
            &format!("/api/v1/endpoints/{ep}/pause"),
            op,
            None,
        )
        .await;
        assert_eq!(reply.json()["state"], "paused", "{l}: {}", reply.text());
        let reply = call(
            &app,
            Method::POST,
            &format!("/api/v1/endpoints/{ep}/resume"),
            op,
            None,
        )
        .await;
        assert_eq!(reply.json()["state"], "enabled", "{l}: {}", reply.text());
        db.store
            .set_endpoint_state(other, "disabled", "test", "test", now_ms())
            .await
            .unwrap();
        let reply = call(
            &app,
            Method::POST,
            &format!("/api/v1/endpoints/{other}/resume"),
            op,
            None,
        )
        .await;
        assert_error(&reply, StatusCode::CONFLICT, "conflict", l);
        let reply = call(
            &app,
            Method::POST,
            &format!("/api/v1/events/{id}/replay"),
            op,
            Some(json!({"endpoint_id": other})),
        )
        .await;
        assert_error(&reply, StatusCode::CONFLICT, "conflict", l);

        // Bulk replay: preview, start, status, cancel.
        let second = receive(&app, "evt_api_3", "payment_intent.succeeded").await;
        assert!(second > id);
        fail_once(&db.store).await;
        let filter = json!({"endpoint_id": ep, "status": "failed"});
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/bulk-replays/preview",
            op,
            Some(filter.clone()),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
        let count = reply.json()["count"].as_i64().unwrap();
        assert!(count >= 1, "{l}: {}", reply.text());
        let reply = call(&app, Method::POST, "/api/v1/bulk-replays", op, Some(filter)).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{l}: {}", reply.text());
        let started = reply.json();
        assert_eq!(started["total"], count, "{l}");
        assert_eq!(started["state"], "running", "{l}");
        let bid = started["id"].as_i64().unwrap();
        let status = call(
            &app,
            Method::GET,
            &format!("/api/v1/bulk-replays/{bid}"),
            op,
            None,
        )
        .await
        .json();
        assert_eq!(status["filter"]["status"], "failed", "{l}: {status}");
        let reply = call(
            &app,
            Method::POST,
            &format!("/api/v1/bulk-replays/{bid}/cancel"),
            op,
            None,
        )
        .await;
        assert_eq!(reply.json()["state"], "cancelled", "{l}: {}", reply.text());
        let reply = call(
            &app,
            Method::POST,
            &format!("/api/v1/bulk-replays/{bid}/cancel"),
            op,
            None,
        )
        .await;
        assert_error(&reply, StatusCode::CONFLICT, "conflict", l);
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/bulk-replays/preview",
            op,
            Some(json!({"status": "succeeded"})),
        )
        .await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid", l);
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/bulk-replays/preview",
            op,
            Some(json!({})),
        )
        .await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid", l);
        let reply = call(
            &app,
            Method::GET,
            &format!("/api/v1/bulk-replays/{bid}"),
            Some(&t.developer),
            None,
        )
        .await;
        assert_error(&reply, StatusCode::FORBIDDEN, "forbidden", l);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_create_change_and_rotate_endpoints_and_sources() {
    for db in testing::all().await {
        let l = db.label;
        common::stripe_source(&db.store, "whsec_api").await;
        let app = build_router(AppState::new(db.store.clone()));
        let t = tokens(&db.store).await;
        let admin = Some(t.admin.as_str());

        // Endpoints.
        let input = json!({
            "name": "billing", "url": "https://billing.example/hooks",
            "events": ["invoice.*", "charge.refunded"], "source": "stripe",
            "headers": {"X-Api-Key": "k-123"}, "timeout_secs": 20, "retry_schedule": [5, 60]
        });
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/endpoints",
            admin,
            Some(input.clone()),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{l}: {}", reply.text());
        let created = reply.json();
        let secret = created["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("whsec_"), "{l}");
        let e = &created["endpoint"];
        assert_eq!(e["events"], json!(["invoice.*", "charge.refunded"]), "{l}");
        assert_eq!(e["header_names"], json!(["x-api-key"]), "{l}");
        assert_eq!(e["timeout_ms"], 20_000, "{l}");
        assert_eq!(e["retry_schedule"], json!([5, 60]), "{l}");
        assert_eq!(e["state"], "enabled", "{l}");
        let id = e["id"].as_i64().unwrap();
        let got = call(
            &app,
            Method::GET,
            &format!("/api/v1/endpoints/{id}"),
            admin,
            None,
        )
        .await;
        assert!(
            !got.text().contains(&secret) && !got.text().contains("k-123"),
            "{l}: secret shown again"
        );

        let bad = json!({"name": "", "url": "ftp://x", "events": [], "source": "nope", "timeout_secs": 0});
        let reply = call(&app, Method::POST, "/api/v1/endpoints", admin, Some(bad)).await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid", l);
        let fields: HashSet<String> = reply.json()["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_string())
            .collect();
        for f in ["name", "url", "events", "source", "timeout_secs"] {
            assert!(fields.contains(f), "{l}: {f} not reported: {fields:?}");
        }
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/endpoints",
            admin,
            Some(json!({"name": "x"})),
        )
        .await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid", l);
        for smuggled in [
            json!({"headers": {"X-A": "v\nX-B: w"}}),
            json!({"events": ["invoice.paid,charge.*"]}),
            json!({"retry_schedule": []}),
        ] {
            let mut body = input.clone();
            let extra = smuggled.as_object().unwrap().clone();
            body.as_object_mut().unwrap().extend(extra);
            let reply = call(&app, Method::POST, "/api/v1/endpoints", admin, Some(body)).await;
            let ctx = format!("{l}: {smuggled}");
            assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid", &ctx);
        }
        let no_json = post(
            &app,
            "/api/v1/endpoints",
            &[("authorization".into(), format!("Bearer {}", t.admin))],
            "name=x",
        )
        .await;
        assert_error(
            &no_json,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            l,
        );

        // Update keeps headers left out; rotate answers a new secret once.
        let mut change = input.clone();
        change["name"] = json!("billing v2");
        change.as_object_mut().unwrap().remove("headers");
        let reply = call(
            &app,
            Method::PUT,
            &format!("/api/v1/endpoints/{id}"),
            admin,
            Some(change),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
        assert_eq!(reply.json()["name"], "billing v2", "{l}");
        assert_eq!(reply.json()["header_names"], json!(["x-api-key"]), "{l}");
        let kept = db.store.endpoint(id).await.unwrap().unwrap();
        assert_eq!(
            kept.endpoint.headers,
            vec![("x-api-key".to_string(), "k-123".to_string())],
            "{l}"
        );
        let reply = call(
            &app,
            Method::PUT,
            "/api/v1/endpoints/999999",
            admin,
            Some(input.clone()),
        )
        .await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found", l);
        let reply = call(
            &app,
            Method::POST,
            &format!("/api/v1/endpoints/{id}/rotate"),
            admin,
            None,
        )
        .await;
        let rotated = reply.json()["secret"].as_str().unwrap().to_string();
        assert!(rotated.starts_with("whsec_") && rotated != secret, "{l}");
        assert_eq!(
            db.store.endpoint(id).await.unwrap().unwrap().secret,
            rotated,
            "{l}"
        );
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/endpoints/999999/rotate",
            admin,
            None,
        )
        .await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found", l);
        // Operators may pause, not configure.
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/endpoints",
            Some(&t.operator),
            Some(input),
        )
        .await;
        assert_error(&reply, StatusCode::FORBIDDEN, "forbidden", l);

        // Sources.
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/sources",
            admin,
            Some(json!({"slug": "gh", "scheme": "github"})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{l}: {}", reply.text());
        let created = reply.json();
        assert_eq!(created["source"]["inbound_path"], "/hooks/gh", "{l}");
        assert_eq!(created["source"]["max_body_bytes"], 2048 * 1024, "{l}");
        let gh_secret = created["secret"].as_str().unwrap().to_string();
        assert!(!gh_secret.is_empty(), "{l}");
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/sources",
            admin,
            Some(json!({"slug": "gh", "scheme": "github"})),
        )
        .await;
        assert_error(&reply, StatusCode::CONFLICT, "conflict", l);
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/sources",
            admin,
            Some(json!({"slug": "Bad Slug", "scheme": "fax"})),
        )
        .await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid", l);
        let list = call(
            &app,
            Method::GET,
            "/api/v1/sources",
            Some(&t.developer),
            None,
        )
        .await;
        assert_eq!(list.json().as_array().unwrap().len(), 2, "{l}");
        assert!(
            !list.text().contains(&gh_secret) && !list.text().contains("whsec_api"),
            "{l}"
        );
        let reply = call(&app, Method::GET, "/api/v1/sources", Some(&t.viewer), None).await;
        assert_error(&reply, StatusCode::FORBIDDEN, "forbidden", l);
        let reply = call(
            &app,
            Method::PATCH,
            "/api/v1/sources/gh",
            admin,
            Some(json!({"name": "GitHub", "max_body_kib": 64})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
        assert_eq!(reply.json()["name"], "GitHub", "{l}");
        assert_eq!(reply.json()["max_body_bytes"], 64 * 1024, "{l}");
        assert_eq!(reply.json()["tolerance_secs"], 300, "{l}: unchanged");
        let reply = call(
            &app,
            Method::PATCH,
            "/api/v1/sources/gh",
            admin,
            Some(json!({"tolerance_secs": 0})),
        )
        .await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid", l);
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/sources/gh/rotate",
            admin,
            Some(json!({"overlap_hours": 2})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
        let new_secret = reply.json()["secret"].as_str().unwrap().to_string();
        assert_ne!(new_secret, gh_secret, "{l}");
        let source = db.store.source_by_slug("gh").await.unwrap().unwrap();
        assert_eq!(source.secrets[0].secret, new_secret, "{l}: current");
        assert!(
            source.secrets[1].expires_at.is_some(),
            "{l}: the old one expires"
        );
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/sources/stripe/rotate",
            admin,
            None,
        )
        .await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid", l);
        assert_eq!(reply.json()["error"]["fields"][0]["field"], "secret", "{l}");
        let reply = call(&app, Method::DELETE, "/api/v1/sources/gh", admin, None).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "{l}: {}",
            reply.text()
        );
        let reply = call(&app, Method::GET, "/api/v1/sources/gh", admin, None).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found", l);
        // Changes are in the audit log under the token's name.
        let audit = db.store.audit_entries(50).await.unwrap();
        for action in [
            "endpoint.created",
            "source.created",
            "source.updated",
            "source.secret_rotated",
            "source.deleted",
        ] {
            assert!(
                audit
                    .iter()
                    .any(|(_, actor, a, _, _)| a == action && actor == "token:test admin"),
                "{l}: {action} not audited: {audit:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_share_the_error_shape() {
    for db in testing::all().await {
        let l = db.label;
        let app = build_router(AppState::new(db.store.clone()));
        let t = tokens(&db.store).await;
        let reply = call(&app, Method::GET, "/api/v1/events", None, None).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "unauthorized", l);
        let reply = call(
            &app,
            Method::GET,
            "/api/v1/events",
            Some("hy_not_a_token"),
            None,
        )
        .await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "unauthorized", l);
        let reply = call(
            &app,
            Method::POST,
            "/api/v1/endpoints/1/pause",
            Some(&t.viewer),
            None,
        )
        .await;
        assert_error(&reply, StatusCode::FORBIDDEN, "forbidden", l);
        let reply = call(
            &app,
            Method::GET,
            "/api/v1/no-such-thing",
            Some(&t.admin),
            None,
        )
        .await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found", l);
        let me = call(&app, Method::GET, "/api/v1/me", Some(&t.operator), None)
            .await
            .json();
        assert_eq!(me["role"], "operator", "{l}");
        assert_eq!(me["token"], true, "{l}");
        // With the database gone, the access check says so in the same shape.
        db.store.close().await;
        let reply = call(&app, Method::GET, "/api/v1/events", Some(&t.admin), None).await;
        assert_error(&reply, StatusCode::SERVICE_UNAVAILABLE, "unavailable", l);
        assert!(
            !reply.text().contains("PoolClosed"),
            "{l}: internal detail leaked"
        );
    }
}

/// `/api/v1/events/{id}` as the policy table writes it: `/api/v1/events/:id`.
fn policy_path(path: &str) -> String {
    path.split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_exactly_the_routes_in_the_policy() {
    let db = testing::sqlite().await;
    let app = build_router(AppState::new(db.store.clone()));
    // Public: tools read it before they have a token.
    let reply = call(&app, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut documented = HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let rule = access::rule_for(&method, &path.replace(['{', '}'], ""));
            assert_eq!(
                (rule.kind, rule.path),
                (Kind::Route(leak(&method)), leak(&policy_path(path))),
                "{method} {path} has no policy entry of its own"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}"
            );
            assert_eq!(
                responses["403"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Error"
            );
            documented.insert(format!("{method} {}", policy_path(path)));
        }
    }
    for rule in POLICY
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
    {
        let Kind::Route(method) = rule.kind else {
            continue;
        };
        assert!(
            documented.contains(&format!("{method} {}", rule.path)),
            "policy lists {method} {}, which the document does not",
            rule.path
        );
    }
    assert_eq!(
        hookyard_server::api::openapi().to_json().unwrap(),
        reply.text()
    );
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}
