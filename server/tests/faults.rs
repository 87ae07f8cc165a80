//! Fault injection (reliability suite), against real `hookyard serve` processes on SQLite and
//! PostgreSQL:
//! - handler endpoints that reset connections, never answer, trickle their answer byte by
//!   byte, send bodies of hundreds of MiB, or answer storms of 5xx: every attempt is recorded
//!   with what went wrong, every delivery completes, a healthy endpoint is not held up, and
//!   the server's memory stays bounded;
//! - the database unavailable for 10 s during ingest load: ingest answers 503 meanwhile,
//!   recovers without a restart, and nothing acknowledged is lost.
//!
//! The long version: `scripts/reliability.sh faults --rounds 5 --outage-secs 30`
//! (knobs `HOOKYARD_OUTAGE_SECS`, `HOOKYARD_OUTAGE_ROUNDS`, `HOOKYARD_FAULT_EVENTS`).

mod common;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::db::Db;
use common::instance::Instance;
use common::load::{stripe_event, Load};
use common::proxy::{upstream_of, Proxy};
use common::{faulty, handler};
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::model::Attempt;
use hookyard_core::store::testing::{self, TestDb};
use hookyard_core::time::now_ms;

const SECRET: &str = "whsec_fault_tests";

/// Endpoint timeout in these tests.
const TIMEOUT_MS: i64 = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn misbehaving_handlers_are_recorded_and_every_delivery_completes() {
    let events = common::knob("HOOKYARD_FAULT_EVENTS", 6) as usize;
    for db in testing::all().await {
        misbehaving_handlers(&db, events).await;
    }
}

async fn misbehaving_handlers(db: &TestDb, events: usize) {
    let label = db.label;
    let started = Instant::now();
    common::stripe_source(&db.store, SECRET).await;
    let (bad, tries) = faulty::start().await;
    let paths = [
        "ok",
        "reset",
        "hang",
        "trickle-head",
        "trickle-body",
        "huge",
        "huge500",
        "storm",
    ];
    let mut endpoints = HashMap::new();
    for path in paths {
        let id = common::endpoint(
            &db.store,
            &format!("{bad}/{path}"),
            TIMEOUT_MS,
            4,
            vec![1; 8],
        )
        .await;
        endpoints.insert(path, id);
    }
    let instance = Instance::start(db);
    let client = reqwest::Client::new();
    for i in 0..events {
        let status = post_event(&client, &instance.base, &format!("evt_fault_{i}")).await;
        assert_eq!(status, 200, "{label}");
    }
    let sent_at = Instant::now();
    let check = Db::open(&db.url).await;
    let check = &check;

    // The healthy endpoint is not held up by the others (each has its own in-flight limit).
    let healthy = endpoints["ok"];
    wait_for(
        label,
        "the healthy endpoint",
        Duration::from_secs(5),
        || async move { done(check, healthy, events).await },
    )
    .await;
    let healthy_after = sent_at.elapsed();

    // The endpoints that never answer (or answer too slowly) time out; a timeout is retried
    // no sooner than 60 s, so an operator's "retry now" takes the second try.
    for path in ["hang", "trickle-head"] {
        let id = endpoints[path];
        wait_for(label, path, Duration::from_secs(10), || async move {
            check
                .endpoint_delivery_states(id)
                .await
                .get("retrying")
                .copied()
                == Some(events as i64)
        })
        .await;
        for (delivery, attempts) in deliveries(check, &db.store, id).await {
            let first = &attempts[0];
            assert_eq!(
                first.error_kind.as_deref(),
                Some("timeout"),
                "{label} {path}: {first:?}"
            );
            assert!(
                first.duration_ms < TIMEOUT_MS + 1500,
                "{label} {path}: the attempt took {} ms",
                first.duration_ms
            );
            let next = db.store.delivery(delivery).await.unwrap().unwrap();
            assert!(
                next.next_attempt_at >= first.started_at + 59_000,
                "{label} {path}: retried sooner than 60 s after a timeout: {next:?}"
            );
            assert!(db
                .store
                .retry_delivery_now(delivery, "reliability-test", now_ms())
                .await
                .unwrap());
        }
    }

    for path in paths {
        let id = endpoints[path];
        wait_for(label, path, Duration::from_secs(30), || async move {
            done(check, id, events).await
        })
        .await;
    }
    let mut summary = Vec::new();
    for path in paths {
        let list = deliveries(check, &db.store, endpoints[path]).await;
        assert_eq!(list.len(), events, "{label} {path}");
        for (delivery, attempts) in &list {
            let shape: Vec<String> = attempts.iter().map(describe).collect();
            let expected: Vec<String> = match path {
                "ok" | "trickle-body" | "huge" => vec!["200".into()],
                "reset" => vec!["connect".into(), "200".into()],
                "hang" | "trickle-head" => vec!["timeout".into(), "200".into()],
                "huge500" => vec!["500".into(), "200".into()],
                "storm" => faulty::STORM
                    .iter()
                    .map(u16::to_string)
                    .chain(["200".to_string()])
                    .collect(),
                _ => unreachable!(),
            };
            assert_eq!(shape, expected, "{label} {path}: delivery {delivery}");
            for a in attempts {
                // Never more than 20 KB of an answer is kept, however much was sent.
                let kept = a.response_body.as_deref().map_or(0, str::len);
                assert!(kept <= 20 * 1024, "{label} {path}: kept {kept} bytes");
                // A slow or endless body does not hold the worker past the timeout.
                assert!(
                    a.duration_ms < TIMEOUT_MS + 1500,
                    "{label} {path}: attempt took {} ms",
                    a.duration_ms
                );
            }
            if path == "huge500" {
                assert_eq!(
                    attempts[0].response_body.as_deref().map(str::len),
                    Some(20 * 1024),
                    "{label}: the first 20 KB of the 500's body are kept"
                );
            }
        }
        summary.push(format!("{path} {}", tries.total(path)));
    }
    // 2 × 256 MiB answers per event were offered; none of them was held in memory.
    let rss = instance.rss_kib().unwrap_or(0);
    assert!(rss < 300 * 1024, "{label}: server RSS {rss} KiB");
    eprintln!(
        "{label}: {events} events × {} misbehaving endpoints all delivered; healthy endpoint done \
         {:.2} s after ingest; requests per path: {}; server RSS {} MiB; {:.1} s",
        paths.len() - 1,
        healthy_after.as_secs_f64(),
        summary.join(", "),
        rss / 1024,
        started.elapsed().as_secs_f64()
    );
}

fn describe(a: &Attempt) -> String {
    match (&a.error_kind, a.response_status) {
        (Some(kind), _) if kind != "http_status" => kind.clone(),
        (_, Some(status)) => status.to_string(),
        (kind, None) => format!("{kind:?}"),
    }
}

/// Each delivery of an endpoint with its attempts in order.
async fn deliveries(
    check: &Db,
    store: &hookyard_core::store::SharedStore,
    endpoint: i64,
) -> Vec<(i64, Vec<Attempt>)> {
    let ids = check
        .pairs(&format!(
            "SELECT status, id FROM deliveries WHERE endpoint_id = {endpoint} ORDER BY id"
        ))
        .await;
    let mut out = Vec::new();
    for (_, id) in ids {
        let mut attempts = store.attempts(id).await.unwrap();
        attempts.sort_by_key(|a| a.number);
        out.push((id, attempts));
    }
    out
}

async fn done(check: &Db, endpoint: i64, events: usize) -> bool {
    check
        .endpoint_delivery_states(endpoint)
        .await
        .get("succeeded")
        == Some(&(events as i64))
}

async fn wait_for<F, Fut>(label: &str, what: &str, within: Duration, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !ready().await {
        assert!(
            Instant::now() < deadline,
            "{label}: {what} not done within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post_event(client: &reqwest::Client, base: &str, id: &str) -> u16 {
    let body = stripe_event(id);
    let mut request = client
        .post(format!("{base}/hooks/stripe"))
        .body(body.clone());
    for (k, v) in sign(
        Scheme::Stripe,
        &SchemeConfig::default(),
        SECRET,
        body.as_bytes(),
        now_ms() / 1000,
        "",
    ) {
        request = request.header(k, v);
    }
    request.send().await.expect("an answer").status().as_u16()
}

/// How the database is made unavailable.
enum Outage {
    /// SQLite: another connection holds the write lock (`BEGIN EXCLUSIVE`).
    Locked(sqlx::SqliteConnection),
    /// PostgreSQL: the proxy in between resets every connection and refuses new ones.
    Cut,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn database_unavailable_under_load_answers_503_recovers_and_loses_nothing() {
    let secs = common::knob("HOOKYARD_OUTAGE_SECS", 10);
    let rounds = common::knob("HOOKYARD_OUTAGE_ROUNDS", 1);
    for db in testing::all().await {
        database_outage(&db, Duration::from_secs(secs), rounds).await;
    }
}

async fn database_outage(db: &TestDb, outage: Duration, rounds: u64) {
    use sqlx::Connection;
    let label = db.label;
    common::stripe_source(&db.store, SECRET).await;
    let (handler, log) = handler::start().await;
    common::endpoint(
        &db.store,
        &format!("{handler}/ok"),
        TIMEOUT_MS,
        16,
        vec![1; 8],
    )
    .await;
    let proxy = match db.label {
        "PostgreSQL" => Some(Proxy::start(upstream_of(&db.url)).await),
        _ => None,
    };
    let served_url = proxy
        .as_ref()
        .map_or(db.url.clone(), |p| p.url_for(&db.url));
    let instance = Instance::start_at(db, &served_url);
    let http = reqwest::Client::new();
    let load = Load::start(&instance.base, 8, "evt_outage_", SECRET);
    let check = Db::open(&db.url).await;
    let check = &check;

    for round in 1..=rounds {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let before = load.stats.acked().len();
        assert!(
            before > 0,
            "{label}: nothing acknowledged before the outage"
        );
        let unavailable_before = load.stats.unavailable.load(Ordering::Relaxed);

        let held = match &proxy {
            Some(p) => {
                p.cut();
                Outage::Cut
            }
            None => {
                let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
                sqlx::query("BEGIN EXCLUSIVE")
                    .execute(&mut conn)
                    .await
                    .expect("take the write lock");
                Outage::Locked(conn)
            }
        };
        let cut_at = Instant::now();
        // Meanwhile the readiness probe says so (PostgreSQL: no connection at all; SQLite in
        // WAL mode still serves reads, so it stays ready while writes fail).
        let mut unready = false;
        while cut_at.elapsed() < outage {
            let ready = http
                .get(format!("{}/readyz", instance.base))
                .timeout(Duration::from_secs(8))
                .send()
                .await
                .map(|r| r.status().as_u16());
            unready |= matches!(ready, Ok(503));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let acked_during_outage: usize;
        match held {
            Outage::Cut => {
                acked_during_outage = load.stats.acked().len();
                proxy.as_ref().unwrap().restore();
                assert!(
                    unready,
                    "{label}: /readyz never answered 503 during the outage"
                );
            }
            Outage::Locked(mut conn) => {
                acked_during_outage = load.stats.acked().len();
                sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
        let restored_at = Instant::now();
        let unavailable = load.stats.unavailable.load(Ordering::Relaxed) - unavailable_before;
        assert!(
            unavailable > 0,
            "{label}: no 503 during a {outage:?} outage"
        );
        // Recovers without a restart: new events are acknowledged again.
        let stats = &load.stats;
        wait_for(
            label,
            "ingest after the outage",
            Duration::from_secs(15),
            || async move { stats.acked().len() > acked_during_outage + 20 },
        )
        .await;
        let recovered_in = restored_at.elapsed();
        // What was acknowledged up to now is stored.
        let acked = load.stats.acked();
        let stored = check.stored_ids().await;
        let lost = acked.keys().filter(|id| !stored.contains_key(*id)).count();
        assert_eq!(lost, 0, "{label} round {round}: acknowledged events lost");
        eprintln!(
            "{label} round {round}: {:?} outage; {} acknowledged before, {} while it lasted; \
             {unavailable} answers 503 (slowest {} ms); ingest recovered {:.2} s after; \
             /readyz went 503: {unready}",
            outage,
            before,
            acked_during_outage.saturating_sub(before),
            load.stats.slowest_503_ms.load(Ordering::Relaxed),
            recovered_in.as_secs_f64(),
        );
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let stats = load.finish(Duration::from_secs(60)).await;
    assert!(
        stats.unexpected().is_empty(),
        "{label}: answers other than 2xx/503: {:?}\n{}",
        stats.unexpected(),
        instance.log_tail(20)
    );
    let slowest = stats.slowest_503_ms.load(Ordering::Relaxed);
    assert!(slowest < 15_000, "{label}: a 503 took {slowest} ms to come");
    let acked = stats.acked();
    let stored = check.stored_ids().await;
    assert_eq!(acked.len(), stored.len(), "{label}: acknowledged vs stored");
    assert!(
        acked.keys().all(|id| stored.get(id) == Some(&1)),
        "{label}: an acknowledged event missing or stored twice"
    );
    // Deliveries recorded while the database was away are taken up again.
    let events = stored.len() as i64;
    wait_for(
        label,
        "every delivery",
        Duration::from_secs(60),
        || async move { check.delivery_states().await.get("succeeded") == Some(&events) },
    )
    .await;
    let delivered: std::collections::HashSet<String> = log
        .all()
        .into_iter()
        .map(|r| {
            let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            json["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        delivered.len() as i64,
        events,
        "{label}: every event delivered"
    );
    eprintln!(
        "{label}: {events} events acknowledged, stored once each and delivered; {} requests, \
         {} answered 503, {} without an answer",
        stats.sent.load(Ordering::Relaxed),
        stats.unavailable.load(Ordering::Relaxed),
        stats.cut.load(Ordering::Relaxed),
    );
}
