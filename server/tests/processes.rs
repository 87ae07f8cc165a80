//! The real `hookyard` binary under faults: SIGKILL while deliveries are in flight, and two
//! instances sharing one PostgreSQL database.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::handler::{self, Log};
use common::instance::Instance;
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::store::{testing, NewEndpoint, SharedStore};
use hookyard_core::time::now_ms;

const SECRET: &str = "whsec_process_tests";

async fn prepare(store: &SharedStore, urls: &[String]) {
    common::stripe_source(store, SECRET).await;
    for url in urls {
        store
            .create_endpoint(
                &NewEndpoint {
                    name: url.clone(),
                    url: url.clone(),
                    description: String::new(),
                    patterns: vec!["*".into()],
                    source_id: None,
                    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
                    headers: vec![],
                    timeout_ms: 2000,
                    max_in_flight: 8,
                    retry_schedule: Some(vec![1, 1, 1, 1, 1]),
                },
                now_ms(),
            )
            .await
            .unwrap();
    }
}

async fn send_events(client: &reqwest::Client, bases: &[String], prefix: &str, n: usize) {
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (client, bases, prefix) = (client.clone(), bases.to_vec(), prefix.to_string());
        tasks.push(tokio::spawn(async move {
            for i in (worker..n).step_by(8) {
                let body = format!(r#"{{"id":"{prefix}{i}","type":"charge.succeeded"}}"#);
                let base = &bases[i % bases.len()];
                let mut req = client
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
                    req = req.header(k, v);
                }
                let res = req.send().await.expect("server answers");
                assert_eq!(
                    res.status(),
                    200,
                    "{}",
                    res.text().await.unwrap_or_default()
                );
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

async fn wait_succeeded(store: &SharedStore, expected: i64, secs: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let done = store.count_deliveries(Some("succeeded")).await.unwrap();
        if done == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {done} of {expected} deliveries succeeded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn event_ids(log: &Log, path: &str) -> Vec<String> {
    log.all()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn sigkill_during_deliveries_loses_none() {
    for db in testing::all().await {
        let (base, log) = handler::start().await;
        prepare(&db.store, &[format!("{base}/slow200")]).await;
        let client = reqwest::Client::new();
        let first = Instance::start(&db.url);
        send_events(&client, std::slice::from_ref(&first.base), "evt_k", 60).await;
        // Let some deliveries start (each takes 300 ms at the handler), then kill.
        tokio::time::sleep(Duration::from_millis(700)).await;
        first.kill();
        let before_restart = store_succeeded(&db.store).await;
        assert!(
            before_restart < 60,
            "{}: everything finished before the kill; the test proves nothing",
            db.label
        );

        let _second = Instance::start(&db.url);
        // In-flight leases of the dead process expire (2 s timeout + 10 s margin), then retry.
        wait_succeeded(&db.store, 60, 90).await;
        let ids = event_ids(&log, "slow200");
        let distinct: HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), 60, "{}: every event delivered", db.label);
        assert_eq!(db.store.count_events().await.unwrap(), 60, "{}", db.label);
    }
}

async fn store_succeeded(store: &SharedStore) -> i64 {
    store.count_deliveries(Some("succeeded")).await.unwrap()
}

#[tokio::test]
async fn two_instances_on_postgres_deliver_each_event_exactly_once() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    let (base, log) = handler::start().await;
    let paths = ["e1", "e2", "e3"];
    prepare(&db.store, &paths.map(|p| format!("{base}/{p}"))).await;
    let a = Instance::start(&db.url);
    let b = Instance::start(&db.url);
    let client = reqwest::Client::new();
    send_events(&client, &[a.base.clone(), b.base.clone()], "evt_two_", 1000).await;
    wait_succeeded(&db.store, 3000, 180).await;
    for path in paths {
        let ids = event_ids(&log, path);
        let distinct: HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), 1000, "{path}: every event");
        assert_eq!(ids.len(), 1000, "{path}: no event twice");
    }
}
