//! Exports on SQLite and PostgreSQL: every matching event exactly once across pages, in NDJSON
//! (bodies) and CSV; payments as CSV; the role rules; and 100,000 events streamed by a real
//! `hookyard serve` whose memory stays flat.

mod common;

use axum::http::StatusCode;
use common::instance::Instance;
use common::{get, role_token};
use hookyard_core::access::Role;
use hookyard_core::ingest::extract::Extracted;
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::store::{testing, NewEvent, NewSource, SharedStore};
use hookyard_core::time::now_ms;
use hookyard_server::{build_router, AppState};

async fn source(store: &SharedStore, slug: &str) -> i64 {
    store
        .create_source(
            &NewSource {
                slug: slug.into(),
                name: slug.into(),
                scheme: Scheme::Stripe,
                config: SchemeConfig::default(),
                secret: "whsec_export".into(),
                tolerance_secs: 300,
                max_body_bytes: 1 << 20,
            },
            0,
        )
        .await
        .unwrap()
}

/// `n` events of `source`, one a millisecond apart, bodies of about `pad` bytes.
async fn seed(store: &SharedStore, source: i64, prefix: &str, n: usize, pad: usize) {
    let now = now_ms();
    let filler = "x".repeat(pad);
    let events: Vec<NewEvent> = (0..n)
        .map(|i| NewEvent {
            source_id: source,
            provider_event_id: format!("{prefix}_{i}"),
            event_type: if i % 3 == 0 {
                "invoice.paid"
            } else {
                "charge.succeeded"
            }
            .into(),
            received_at: now - (n - i) as i64,
            body: format!(r#"{{"id":"{prefix}_{i}","n":{i},"pad":"{filler}","note":"a,b \"c\""}}"#)
                .into_bytes()
                .into(),
            headers: r#"[["content-type","application/json"]]"#.into(),
            verified_secret_id: None,
            extracted: Extracted::default(),
            fanout: vec![],
            payment: false,
        })
        .collect();
    for chunk in events.chunks(500) {
        store
            .insert_events(&chunk.iter().collect::<Vec<_>>())
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_hold_every_matching_event_once() {
    for db in testing::all().await {
        let l = db.label;
        let shop = source(&db.store, "shop").await;
        let other = source(&db.store, "other").await;
        seed(&db.store, shop, "evt", 1_203, 10).await;
        seed(&db.store, other, "oth", 7, 10).await;
        let app = build_router(AppState::new(db.store.clone()));
        let dev = common::as_role(app.clone(), &db.store, Role::Developer).await;
        let viewer = common::as_role(app.clone(), &db.store, Role::Viewer).await;

        let reply = get(&dev, "/export/events.ndjson?source=shop", &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{l}");
        assert_eq!(reply.headers["content-type"], "application/x-ndjson", "{l}");
        assert!(reply.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("hookyard-events.ndjson"));
        let text = reply.text();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(
            lines.len(),
            1_203,
            "{l}: every matching event, across pages"
        );
        let mut ids: Vec<String> = lines
            .iter()
            .map(|v| v["provider_event_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 1_203, "{l}: none twice");
        let newest = &lines[0];
        assert_eq!(newest["provider_event_id"], "evt_1202", "{l}: newest first");
        assert_eq!(newest["body"]["n"], 1202, "{l}: the body as JSON");
        assert_eq!(newest["body"]["note"], "a,b \"c\"", "{l}");
        assert_eq!(newest["headers"][0][0], "content-type", "{l}");
        assert!(
            newest["received_at"].as_str().unwrap().ends_with('Z'),
            "{l}: RFC 3339"
        );

        let csv = get(
            &viewer,
            "/export/events.csv?source=shop&type=invoice.paid",
            &[],
        )
        .await;
        assert_eq!(csv.status, StatusCode::OK, "{l}: {}", csv.text());
        let rows: Vec<&str> = csv.body_text_lines();
        assert!(rows[0].starts_with("id,received_at,source,type"), "{l}");
        assert_eq!(
            rows.len(),
            1 + 401,
            "{l}: header + every invoice.paid of shop"
        );
        assert!(
            rows[1..].iter().all(|r| r.contains(",shop,invoice.paid,")),
            "{l}"
        );
        assert!(!csv.text().contains("pad"), "{l}: metadata only, no body");

        // Bodies are for developers and up; so is searching them.
        assert_eq!(
            get(&viewer, "/export/events.ndjson", &[]).await.status,
            StatusCode::FORBIDDEN,
            "{l}"
        );
        let search = get(&viewer, "/export/events.csv?q=evt_5", &[]).await;
        assert_eq!(search.status, StatusCode::FORBIDDEN, "{l}");
        assert_eq!(
            get(&app, "/export/events.csv", &[]).await.status,
            StatusCode::UNAUTHORIZED,
            "{l}"
        );

        let payments = get(&viewer, "/export/payments.csv", &[]).await;
        assert_eq!(payments.status, StatusCode::OK, "{l}");
        assert!(
            payments
                .text()
                .starts_with("id,created_at,updated_at,source,provider_id"),
            "{l}"
        );
        let bad = get(&viewer, "/export/payments.csv?from=yesterday", &[]).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{l}");
        assert!(bad.text().contains("not a date"), "{l}");
    }
}

trait Lines {
    fn body_text_lines(&self) -> Vec<&str>;
}

impl Lines for common::Reply {
    fn body_text_lines(&self) -> Vec<&str> {
        std::str::from_utf8(&self.body)
            .unwrap()
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .collect()
    }
}

/// Peak resident memory of a process (VmHWM), in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_thousand_events_stream_in_bounded_memory() {
    use futures_util::StreamExt;
    for db in testing::all().await {
        let l = db.label;
        let shop = source(&db.store, "bulk").await;
        seed(&db.store, shop, "big", 100_000, 1_000).await;
        let token = role_token(&db.store, Role::Developer).await;
        let server = Instance::start(&db);
        let client = reqwest::Client::new();
        let url = format!("{}/export/events.ndjson", server.base);
        // Warm up (first page, code paths, pools), then measure the whole export.
        let warm = client
            .get(format!("{url}?type=none"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(warm.status(), 200, "{l}");
        warm.bytes().await.unwrap();
        let before = peak_kib(server.pid());
        let res = client.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200, "{l}");
        let mut stream = res.bytes_stream();
        let (mut bytes, mut lines) = (0usize, 0usize);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        let grew_mib = (peak_kib(server.pid()) - before) / 1024;
        println!(
            "{l}: exported {lines} events, {} MiB; peak memory grew {grew_mib} MiB",
            bytes >> 20
        );
        assert_eq!(lines, 100_000, "{l}");
        assert!(bytes > 100 << 20, "{l}: the export is {} MiB", bytes >> 20);
        assert!(
            grew_mib < 40,
            "{l}: the server's peak memory grew {grew_mib} MiB for a {} MiB export",
            bytes >> 20
        );
    }
}
