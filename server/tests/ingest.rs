//! `POST /hooks/{slug}` end to end, on SQLite and PostgreSQL: every scheme, every refusal,
//! duplicates, limits, a database that goes away, independent signing libraries, and
//! concurrent clients over real TCP.

mod common;

use std::path::PathBuf;
use std::process::Command;

use axum::http::StatusCode;
use axum::Router;
use common::{post, Reply};
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::store::{testing, NewSource, SharedStore};
use hookyard_core::time::now_ms;
use hookyard_server::{build_router, AppState};

const STD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn secret_for(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Stripe => "whsec_test_stripe_secret_0123456789",
        Scheme::Standard => STD_SECRET,
        Scheme::Github => "github-secret",
        Scheme::Shopify => "shopify-secret",
        Scheme::Hmac => "hmac-secret",
    }
}

fn hmac_config() -> SchemeConfig {
    SchemeConfig {
        header: "x-acme-signature".into(),
        prefix: "sha256=".into(),
        ..SchemeConfig::default()
    }
}

fn config_for(scheme: Scheme) -> SchemeConfig {
    if scheme == Scheme::Hmac {
        hmac_config()
    } else {
        SchemeConfig::default()
    }
}

/// One source per scheme, slug = scheme name, 4 KiB body limit.
async fn with_sources(store: &SharedStore) {
    for scheme in Scheme::ALL {
        store
            .create_source(
                &NewSource {
                    slug: scheme.as_str().into(),
                    name: scheme.as_str().into(),
                    scheme,
                    config: config_for(scheme),
                    secret: secret_for(scheme).into(),
                    tolerance_secs: 300,
                    max_body_bytes: 4096,
                },
                now_ms(),
            )
            .await
            .expect("create source");
    }
}

fn body_for(id: &str) -> Vec<u8> {
    format!(r#"{{"id":"{id}","type":"charge.succeeded","livemode":false,"data":{{"object":{{"id":"ch_1","object":"charge","amount":1500,"currency":"eur"}}}}}}"#).into_bytes()
}

/// Headers a correct sender of `scheme` would send.
fn signed(scheme: Scheme, secret: &str, body: &[u8], ts: i64, id: &str) -> Vec<(String, String)> {
    let mut h = sign(scheme, &config_for(scheme), secret, body, ts, id);
    match scheme {
        Scheme::Github => h.push(("x-github-event".into(), "push".into())),
        Scheme::Shopify => h.push(("x-shopify-topic".into(), "orders/create".into())),
        _ => {}
    }
    h.push(("content-type".into(), "application/json".into()));
    h
}

async fn hook(app: &Router, slug: &str, headers: &[(String, String)], body: Vec<u8>) -> Reply {
    post(app, &format!("/hooks/{slug}"), headers, body).await
}

fn now_secs() -> i64 {
    now_ms() / 1000
}

fn assert_refused(reply: &Reply, status: StatusCode, reason: &str, ctx: &str) {
    assert_eq!(reply.status, status, "{ctx}: {}", reply.text());
    assert_eq!(reply.json()["error"], reason, "{ctx}: {}", reply.text());
}

#[tokio::test]
async fn every_scheme_accepts_valid_requests_and_stores_the_exact_bytes() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        for scheme in Scheme::ALL {
            let ctx = format!("{} {scheme}", db.label);
            let body = body_for(&format!("evt_valid_{scheme}"));
            let reply = hook(
                &app,
                scheme.as_str(),
                &signed(
                    scheme,
                    secret_for(scheme),
                    &body,
                    now_secs(),
                    &format!("msg_{scheme}"),
                ),
                body.clone(),
            )
            .await;
            assert_eq!(reply.status, StatusCode::OK, "{ctx}: {}", reply.text());
            assert_eq!(reply.json()["status"], "accepted", "{ctx}");
            let id = reply.json()["event_id"].as_i64().expect("event id");
            let (stored, dups) = db.store.event_body(id).await.unwrap().expect("row");
            assert_eq!(
                stored.as_deref(),
                Some(&body[..]),
                "{ctx}: body not byte-identical"
            );
            assert_eq!(dups, 0);
        }
        assert_eq!(db.store.count_events().await.unwrap(), 5, "{}", db.label);
    }
}

#[tokio::test]
async fn tampering_wrong_secrets_and_unknown_versions_are_refused_and_nothing_is_stored() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        for scheme in Scheme::ALL {
            let ctx = format!("{} {scheme}", db.label);
            let body = body_for("evt_t");
            let good = signed(scheme, secret_for(scheme), &body, now_secs(), "msg_t");
            let mut tampered = body.clone();
            tampered[10] ^= 1;
            let r = hook(&app, scheme.as_str(), &good, tampered).await;
            assert_refused(
                &r,
                StatusCode::BAD_REQUEST,
                "signature_mismatch",
                &format!("{ctx} tampered"),
            );
            let wrong = signed(
                scheme,
                "whsec_c29tZXRoaW5nIGVsc2UgZW50aXJlbHk=",
                &body,
                now_secs(),
                "msg_t",
            );
            let r = hook(&app, scheme.as_str(), &wrong, body.clone()).await;
            assert_refused(
                &r,
                StatusCode::BAD_REQUEST,
                "signature_mismatch",
                &format!("{ctx} wrong secret"),
            );
            assert!(
                !r.text().contains(secret_for(scheme)),
                "{ctx}: secret echoed"
            );
        }
        // Only unknown versions: v0= for Stripe, v1a, for Standard Webhooks.
        let body = body_for("evt_v");
        let mut v0 = signed(
            Scheme::Stripe,
            secret_for(Scheme::Stripe),
            &body,
            now_secs(),
            "m",
        );
        v0[0].1 = v0[0].1.replace("v1=", "v0=");
        let r = hook(&app, "stripe", &v0, body.clone()).await;
        assert_refused(
            &r,
            StatusCode::BAD_REQUEST,
            "no_supported_signature",
            db.label,
        );
        let mut v1a = signed(Scheme::Standard, STD_SECRET, &body, now_secs(), "m");
        v1a[2].1 = v1a[2].1.replace("v1,", "v1a,");
        let r = hook(&app, "standard", &v1a, body.clone()).await;
        assert_refused(
            &r,
            StatusCode::BAD_REQUEST,
            "no_supported_signature",
            db.label,
        );
        assert_eq!(db.store.count_events().await.unwrap(), 0, "{}", db.label);
        // Every refusal was logged with its reason.
        let logged = db.store.recent_rejections(100).await.unwrap();
        assert_eq!(logged.len(), 12, "{}", db.label);
        assert!(logged.iter().any(|r| r.reason == "no_supported_signature"));
    }
}

#[tokio::test]
async fn stale_and_future_timestamps_are_refused_with_the_skew() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        for scheme in [Scheme::Stripe, Scheme::Standard] {
            for offset in [-301, 301] {
                let body = body_for("evt_ts");
                let h = signed(scheme, secret_for(scheme), &body, now_secs() + offset, "m");
                let r = hook(&app, scheme.as_str(), &h, body).await;
                assert_refused(
                    &r,
                    StatusCode::BAD_REQUEST,
                    "timestamp_out_of_tolerance",
                    &format!("{} {scheme} {offset}", db.label),
                );
            }
        }
        let detail = &db.store.recent_rejections(1).await.unwrap()[0].detail;
        assert!(
            detail.contains("\"skew_secs\":-30"),
            "skew recorded: {detail}"
        );
        assert_eq!(db.store.count_events().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn each_required_header_missing_is_named() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        for scheme in Scheme::ALL {
            let body = body_for("evt_h");
            let full = signed(scheme, secret_for(scheme), &body, now_secs(), "msg_h");
            let required: Vec<String> = full
                .iter()
                .map(|(k, _)| k.clone())
                .filter(|k| {
                    k != "content-type" && k != "x-github-delivery" && k != "x-shopify-webhook-id"
                })
                .collect();
            for name in required {
                let without: Vec<_> = full.iter().filter(|(k, _)| *k != name).cloned().collect();
                let r = hook(&app, scheme.as_str(), &without, body.clone()).await;
                assert_eq!(
                    r.status,
                    StatusCode::BAD_REQUEST,
                    "{} {scheme} without {name}: {}",
                    db.label,
                    r.text()
                );
                assert!(
                    r.text().to_lowercase().contains(&name),
                    "{scheme}: reply names {name}: {}",
                    r.text()
                );
            }
        }
        assert_eq!(db.store.count_events().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn rotation_accepts_the_previous_secret_until_it_expires() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        for scheme in Scheme::ALL {
            let new_secret = match scheme {
                Scheme::Standard => "whsec_bmV3IHNlY3JldCBmb3Igcm90YXRpb24=".to_string(),
                _ => format!("{}-rotated", secret_for(scheme)),
            };
            db.store
                .rotate_source_secret(scheme.as_str(), &new_secret, now_ms() + 60_000, now_ms())
                .await
                .unwrap();
        }
        // The ingest cache holds source settings for up to 2 s; a fresh router sees the change.
        let app_after = build_router(AppState::new(db.store.clone()));
        drop(app);
        for scheme in Scheme::ALL {
            let ctx = format!("{} {scheme}", db.label);
            let body = body_for(&format!("evt_rot_{scheme}"));
            let old = signed(
                scheme,
                secret_for(scheme),
                &body,
                now_secs(),
                &format!("m_old_{scheme}"),
            );
            let r = hook(&app_after, scheme.as_str(), &old, body).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{ctx}: old secret within overlap: {}",
                r.text()
            );
        }
        // Stripe with two v1 signatures (old and new secret) in one header.
        let body = body_for("evt_two_sigs");
        let old = signed(
            Scheme::Stripe,
            secret_for(Scheme::Stripe),
            &body,
            now_secs(),
            "m",
        );
        let new = signed(
            Scheme::Stripe,
            "whsec_test_stripe_secret_0123456789-rotated",
            &body,
            now_secs(),
            "m",
        );
        let v1_new = new[0].1.split_once(",v1=").unwrap().1;
        let mut both = old.clone();
        both[0].1 = format!("{},v1={v1_new}", old[0].1);
        let r = hook(&app_after, "stripe", &both, body).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", db.label, r.text());
        // Standard Webhooks with two space-separated v1 signatures.
        let body = body_for("evt_two_std");
        let old = signed(Scheme::Standard, STD_SECRET, &body, now_secs(), "msg_two");
        let new = signed(
            Scheme::Standard,
            "whsec_bmV3IHNlY3JldCBmb3Igcm90YXRpb24=",
            &body,
            now_secs(),
            "msg_two",
        );
        let mut both = new.clone();
        both[2].1 = format!("{} {}", new[2].1, old[2].1);
        let r = hook(&app_after, "standard", &both, body).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", db.label, r.text());

        // After the overlap, the old secret is refused and the explanation says why.
        db.store
            .rotate_source_secret("stripe", "whsec_third", now_ms() - 1, now_ms())
            .await
            .unwrap();
        let app_later = build_router(AppState::new(db.store.clone()));
        let body = body_for("evt_expired");
        let h = signed(
            Scheme::Stripe,
            "whsec_test_stripe_secret_0123456789-rotated",
            &body,
            now_secs(),
            "m",
        );
        let r = hook(&app_later, "stripe", &h, body).await;
        assert_refused(&r, StatusCode::BAD_REQUEST, "signature_mismatch", db.label);
        let detail = &db.store.recent_rejections(1).await.unwrap()[0].detail;
        assert!(
            detail.contains("\"matched_expired_secret\":true"),
            "{detail}"
        );
    }
}

#[tokio::test]
async fn duplicates_answer_200_store_one_row_and_count_the_repeat() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        for scheme in Scheme::ALL {
            let body = body_for(&format!("evt_dup_{scheme}"));
            let h = signed(
                scheme,
                secret_for(scheme),
                &body,
                now_secs(),
                &format!("msg_dup_{scheme}"),
            );
            let first = hook(&app, scheme.as_str(), &h, body.clone()).await;
            let second = hook(&app, scheme.as_str(), &h, body.clone()).await;
            assert_eq!(first.status, StatusCode::OK);
            assert_eq!(second.status, StatusCode::OK, "{}", second.text());
            assert_eq!(
                second.json()["status"],
                "duplicate",
                "{} {scheme}",
                db.label
            );
            assert_eq!(first.json()["event_id"], second.json()["event_id"]);
            let id = first.json()["event_id"].as_i64().unwrap();
            assert_eq!(
                db.store.event_body(id).await.unwrap().unwrap().1,
                1,
                "{} {scheme}",
                db.label
            );
        }
        assert_eq!(db.store.count_events().await.unwrap(), 5, "{}", db.label);
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_and_not_stored() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        for scheme in Scheme::ALL {
            let mut body = body_for("evt_big");
            body.truncate(body.len() - 1);
            body.extend(std::iter::repeat_n(b' ', 5000));
            body.push(b'}');
            let h = signed(scheme, secret_for(scheme), &body, now_secs(), "m_big");
            let r = hook(&app, scheme.as_str(), &h, body).await;
            assert_refused(
                &r,
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                &format!("{} {scheme}", db.label),
            );
        }
        // Streamed without a Content-Length: cut off while reading.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..10).map(|_| Ok(vec![b'x'; 1024])).collect();
        let stream = axum::body::Body::from_stream(futures_util::stream::iter(chunks));
        let r = post(
            &app,
            "/hooks/github",
            &signed(Scheme::Github, "github-secret", b"", now_secs(), "m"),
            stream,
        )
        .await;
        assert_refused(
            &r,
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            db.label,
        );
        assert_eq!(db.store.count_events().await.unwrap(), 0, "{}", db.label);
        let logged = db.store.recent_rejections(1).await.unwrap();
        assert_eq!(logged[0].reason, "body_too_large");
    }
}

#[tokio::test]
async fn invalid_json_unknown_sources_and_hostile_slugs() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        for scheme in [Scheme::Stripe, Scheme::Standard] {
            let body = b"{\"id\": \"evt_1\", broken".to_vec();
            let h = signed(scheme, secret_for(scheme), &body, now_secs(), "m");
            let r = hook(&app, scheme.as_str(), &h, body).await;
            assert_refused(
                &r,
                StatusCode::BAD_REQUEST,
                "invalid_json",
                &format!("{} {scheme}", db.label),
            );
        }
        // GitHub may send form-encoded bodies: accepted.
        let body = b"payload=%7B%7D".to_vec();
        let h = signed(Scheme::Github, "github-secret", &body, now_secs(), "m_form");
        assert_eq!(hook(&app, "github", &h, body).await.status, StatusCode::OK);

        let r = hook(&app, "nope", &[], b"{}".to_vec()).await;
        assert_refused(&r, StatusCode::NOT_FOUND, "unknown_source", db.label);
        for slug in ["..%2F..%2Fetc%2Fpasswd", "STRIPE", "%00", "a%20b"] {
            let r = hook(&app, slug, &[], b"{}".to_vec()).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{slug}: {}", r.text());
        }
        assert_eq!(db.store.count_events().await.unwrap(), 1, "{}", db.label);
    }
}

#[tokio::test]
async fn a_database_that_goes_away_answers_503_and_loses_nothing_acknowledged() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        let body = body_for("evt_before");
        let h = signed(
            Scheme::Stripe,
            secret_for(Scheme::Stripe),
            &body,
            now_secs(),
            "m",
        );
        assert_eq!(hook(&app, "stripe", &h, body).await.status, StatusCode::OK);
        db.store.close().await;
        for id in ["evt_during_1", "evt_during_2"] {
            let body = body_for(id);
            let h = signed(
                Scheme::Stripe,
                secret_for(Scheme::Stripe),
                &body,
                now_secs(),
                "m",
            );
            let r = hook(&app, "stripe", &h, body).await;
            assert_refused(
                &r,
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                db.label,
            );
            assert!(r.headers.contains_key("retry-after"));
        }
        // An unknown (uncached) source cannot be looked up either: 503, not 404.
        let r = hook(&app, "shopify-eu", &[], b"{}".to_vec()).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", db.label);
        // Reopen: exactly the acknowledged event is there.
        let reopened = db.reopen().await;
        assert_eq!(reopened.count_events().await.unwrap(), 1, "{}", db.label);
    }
}

/// Runs `node end2end/clients/sign.mjs` (the providers' own libraries).
fn independent_signature(
    scheme: &str,
    secret: &str,
    body: &[u8],
    ts: i64,
) -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let file = std::env::temp_dir().join(format!(
        "hookyard-body-{}-{scheme}.json",
        std::process::id()
    ));
    std::fs::write(&file, body).unwrap();
    let out = Command::new("node")
        .arg(root.join("end2end/clients/sign.mjs"))
        .args([scheme, secret, file.to_str().unwrap(), &ts.to_string()])
        .output()
        .expect("node is installed (scripts/setup.sh --test)");
    assert!(
        out.status.success(),
        "node sign.mjs {scheme} failed (npm packages installed? run scripts/setup.sh --test): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).unwrap();
    map.into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn signatures_from_the_providers_own_libraries_are_accepted() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        for (lib, slug) in [
            ("stripe", "stripe"),
            ("standard", "standard"),
            ("svix", "standard"),
            ("github", "github"),
        ] {
            let scheme: Scheme = slug.parse().unwrap();
            let body = body_for(&format!("evt_lib_{lib}"));
            let mut h = independent_signature(lib, secret_for(scheme), &body, now_secs());
            if lib == "github" {
                h.push(("x-github-event".into(), "push".into()));
            }
            let r = hook(&app, slug, &h, body.clone()).await;
            assert_eq!(r.status, StatusCode::OK, "{} {lib}: {}", db.label, r.text());
            // And their signature on altered bytes is refused.
            let mut altered = body.clone();
            altered.push(b' ');
            let r = hook(&app, slug, &h, altered).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{} {lib} altered",
                db.label
            );
        }
        // Stripe's library with a timestamp 301 s old.
        let body = body_for("evt_lib_stale");
        let h = independent_signature(
            "stripe",
            secret_for(Scheme::Stripe),
            &body,
            now_secs() - 301,
        );
        let r = hook(&app, "stripe", &h, body).await;
        assert_refused(
            &r,
            StatusCode::BAD_REQUEST,
            "timestamp_out_of_tolerance",
            db.label,
        );
    }
}

#[tokio::test]
async fn concurrent_clients_over_tcp_every_2xx_is_stored_exactly_once() {
    for db in testing::all().await {
        with_sources(&db.store).await;
        let app = build_router(AppState::new(db.store.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let client = reqwest::Client::new();
        let mut tasks = Vec::new();
        for worker in 0..32 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let mut ok = 0;
                for i in 0..25 {
                    // Every 5th request repeats an earlier id: a duplicate, acknowledged but not a new row.
                    let n = if i % 5 == 4 { i - 1 } else { i };
                    let body = body_for(&format!("evt_c_{worker}_{n}"));
                    let mut req = client
                        .post(format!("http://{addr}/hooks/stripe"))
                        .body(body.clone());
                    for (k, v) in signed(
                        Scheme::Stripe,
                        "whsec_test_stripe_secret_0123456789",
                        &body,
                        now_secs(),
                        "m",
                    ) {
                        req = req.header(k, v);
                    }
                    let res = req.send().await.unwrap();
                    if res.status() == 200 {
                        let json: serde_json::Value = res.json().await.unwrap();
                        if json["status"] == "accepted" {
                            ok += 1;
                        }
                    }
                }
                ok
            }));
        }
        let mut accepted = 0;
        for t in tasks {
            accepted += t.await.unwrap();
        }
        server.abort();
        assert_eq!(accepted, 32 * 20, "{}", db.label);
        assert_eq!(
            db.store.count_events().await.unwrap(),
            accepted,
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn the_rejection_log_is_bounded_and_rate_limited() {
    use hookyard_core::ingest::IngestConfig;
    for db in testing::all().await {
        with_sources(&db.store).await;
        // Bounded: after every 100 logged rejections the log is cut back to the newest `max`.
        let bounded = IngestConfig {
            rejections_max: 5,
            rejections_per_minute: 10_000,
            ..IngestConfig::default()
        };
        let app = build_router(AppState::with_ingest_config(db.store.clone(), bounded));
        for _ in 0..100 {
            let r = hook(&app, "stripe", &[], body_for("evt_x")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
        }
        let kept = db.store.recent_rejections(1000).await.unwrap();
        assert_eq!(kept.len(), 5, "{}", db.label);

        // Rate-limited: a flood is answered in full but logged only up to the budget, and
        // random unknown slugs share one budget.
        let limited = IngestConfig {
            rejections_max: 10_000,
            rejections_per_minute: 10,
            ..IngestConfig::default()
        };
        let app = build_router(AppState::with_ingest_config(db.store.clone(), limited));
        for i in 0..30 {
            let r = hook(&app, &format!("unknown-{i}"), &[], b"{}".to_vec()).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
        }
        let unknown = db
            .store
            .recent_rejections(1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.reason == "unknown_source")
            .count();
        assert_eq!(unknown, 10, "{}", db.label);
    }
}
