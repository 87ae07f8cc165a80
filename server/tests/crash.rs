//! Crash test (reliability suite): real `hookyard serve` processes under sustained ingest load
//! are SIGKILLed several times. After each restart every event that got a 2xx is stored
//! exactly once; in the end every delivery completes. On SQLite and PostgreSQL.
//!
//! Bounded by default (3 kills, ~1.5 s of load between them). The long version:
//! `scripts/reliability.sh crash --rounds 20` (knobs `HOOKYARD_CRASH_ROUNDS`,
//! `HOOKYARD_CRASH_LOAD_MS`, `HOOKYARD_CRASH_CLIENTS`).

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::db::Db;
use common::handler;
use common::instance::Instance;
use common::load::Load;
use hookyard_core::store::testing::{self, TestDb};

const SECRET: &str = "whsec_crash_tests";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_acknowledged_event_and_every_delivery_completes() {
    let rounds = common::knob("HOOKYARD_CRASH_ROUNDS", 3);
    let load_ms = common::knob("HOOKYARD_CRASH_LOAD_MS", 1500);
    let clients = common::knob("HOOKYARD_CRASH_CLIENTS", 16) as usize;
    for db in testing::all().await {
        crash_rounds(&db, rounds, load_ms, clients).await;
    }
}

async fn crash_rounds(db: &TestDb, rounds: u64, load_ms: u64, clients: usize) {
    let started = Instant::now();
    let label = db.label;
    common::stripe_source(&db.store, SECRET).await;
    let (handler, log) = handler::start().await;
    // A fast handler and one that takes 50 ms, so that deliveries are in flight at each kill.
    // A 1 s timeout keeps the leases of a killed process short (timeout + 10 s).
    let fast = common::endpoint(&db.store, &format!("{handler}/ok"), 1000, 64, vec![1; 8]).await;
    let slow = common::endpoint(
        &db.store,
        &format!("{handler}/slow50"),
        1000,
        64,
        vec![1; 8],
    )
    .await;
    let check = Db::open(&db.url).await;

    let mut instance = Instance::start(db);
    let load = Load::start(&instance.base, clients, "evt_crash_", SECRET);
    let mut in_flight_deliveries = Vec::new();
    for round in 1..=rounds {
        // Vary the moment of the kill: between 0.5 and 1.5 times the load period.
        let jitter = 0.5 + (round as f64 * 0.618_034).fract();
        tokio::time::sleep(Duration::from_millis((load_ms as f64 * jitter) as u64)).await;
        let cut_before = load.stats.cut.load(std::sync::atomic::Ordering::Relaxed);
        instance.kill();
        let states = check.delivery_states().await;
        in_flight_deliveries.push(states.get("in_flight").copied().unwrap_or(0));

        instance = Instance::start(db);
        load.retarget(&instance.base);
        // Every event acknowledged so far (before the kill, or by the new process) is stored
        // exactly once.
        let acked = load.stats.acked();
        let stored = check.stored_ids().await;
        let lost: Vec<_> = acked
            .keys()
            .filter(|id| !stored.contains_key(*id))
            .collect();
        assert!(
            lost.is_empty(),
            "{label} round {round}: {} acknowledged events missing, e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        );
        let doubled: Vec<_> = stored.iter().filter(|(_, n)| **n != 1).collect();
        assert!(doubled.is_empty(), "{label}: stored twice: {doubled:?}");
        eprintln!(
            "{label} round {round}: {} acknowledged, {} stored, {} requests cut so far (+{} since the kill), {} deliveries in flight at the kill",
            acked.len(),
            stored.len(),
            load.stats.cut.load(std::sync::atomic::Ordering::Relaxed),
            load.stats.cut.load(std::sync::atomic::Ordering::Relaxed) - cut_before,
            in_flight_deliveries.last().unwrap_or(&0),
        );
    }
    tokio::time::sleep(Duration::from_millis(load_ms)).await;
    let stats = load.finish(Duration::from_secs(60)).await;
    assert!(
        stats.unexpected().is_empty(),
        "{label}: answers other than 2xx/503: {:?}",
        stats.unexpected()
    );

    // Every event sent was eventually acknowledged (clients resend until 2xx), and the store
    // holds exactly those, once each.
    let acked = stats.acked();
    let stored = check.stored_ids().await;
    let acked_ids: HashSet<&String> = acked.keys().collect();
    let stored_ids: HashSet<&String> = stored.keys().collect();
    assert_eq!(
        acked_ids.len(),
        stored_ids.len(),
        "{label}: acknowledged vs stored"
    );
    assert!(acked_ids == stored_ids, "{label}: acknowledged != stored");
    assert!(stored.values().all(|n| *n == 1), "{label}: a duplicate row");
    let cut = stats.cut.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        cut > 0,
        "{label}: no request was ever cut by a kill; the test proves nothing"
    );
    assert!(
        in_flight_deliveries.iter().any(|n| *n > 0),
        "{label}: no delivery was ever in flight at a kill; the test proves nothing"
    );

    // Every delivery completes: the killed processes' leases expire and are taken over.
    let events = stored.len() as i64;
    // A long run leaves a large backlog: fail only when deliveries stop progressing.
    let (mut progress_at, mut last_succeeded) = (Instant::now(), -1);
    loop {
        let states = check.delivery_states().await;
        let succeeded = states.get("succeeded").copied().unwrap_or(0);
        if succeeded == 2 * events && states.len() == 1 {
            break;
        }
        if succeeded > last_succeeded {
            (progress_at, last_succeeded) = (Instant::now(), succeeded);
        }
        assert!(
            progress_at.elapsed() < Duration::from_secs(45),
            "{label}: no delivery completed for 45 s: {states:?} for {events} events\n{}",
            instance.log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut redelivered = 0;
    for (path, endpoint) in [("ok", fast), ("slow50", slow)] {
        let received: Vec<String> = log
            .all()
            .into_iter()
            .filter(|r| r.path == path)
            .map(|r| {
                let json: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON body");
                json["id"].as_str().expect("an id").to_string()
            })
            .collect();
        let distinct: HashSet<&String> = received.iter().collect();
        assert!(
            distinct == acked_ids,
            "{label}: endpoint {endpoint} did not get every event once at least"
        );
        redelivered += received.len() - distinct.len();
    }
    check.close().await;
    eprintln!(
        "{label}: {rounds} kills, {events} events acknowledged and stored exactly once, \
         {} requests sent ({cut} cut by kills, {} answered 503), {} deliveries completed \
         ({redelivered} sent again after a kill), in {:.1} s",
        stats.sent.load(std::sync::atomic::Ordering::Relaxed),
        stats.unavailable.load(std::sync::atomic::Ordering::Relaxed),
        2 * events,
        started.elapsed().as_secs_f64()
    );
}
