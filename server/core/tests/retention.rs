//! Retention on SQLite and PostgreSQL: old bodies, headers, attempts and rejections go, in
//! batches; everything recent stays; event rows stay, so a repeat is still a duplicate; ingest
//! keeps going while a large purge runs.

use std::time::{Duration, Instant};

use hookyard_core::ingest::extract::Extracted;
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::store::operations::purge_older_than;
use hookyard_core::store::{
    testing, AttemptResult, FanoutTarget, NewEndpoint, NewEvent, NewRejection, NewSource,
    SharedStore, Stored,
};
use hookyard_core::time::{now_ms, DAY_MS};

async fn setup(store: &SharedStore) -> (i64, i64) {
    let source = store
        .create_source(
            &NewSource {
                slug: "shop".into(),
                name: "shop".into(),
                scheme: Scheme::Stripe,
                config: SchemeConfig::default(),
                secret: "whsec_keep".into(),
                tolerance_secs: 300,
                max_body_bytes: 1 << 20,
            },
            0,
        )
        .await
        .unwrap();
    let endpoint = store
        .create_endpoint(
            &NewEndpoint {
                name: "e".into(),
                url: "http://127.0.0.1:9/".into(),
                description: String::new(),
                patterns: vec!["*".into()],
                source_id: None,
                secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
                headers: vec![],
                timeout_ms: 1000,
                max_in_flight: 100_000,
                retry_schedule: None,
            },
            0,
        )
        .await
        .unwrap();
    (source, endpoint)
}

fn event(source: i64, endpoint: Option<i64>, id: &str, at: i64) -> NewEvent {
    NewEvent {
        source_id: source,
        provider_event_id: id.into(),
        event_type: "charge.succeeded".into(),
        received_at: at,
        body: format!(r#"{{"id":"{id}","note":"payload of {id}"}}"#)
            .into_bytes()
            .into(),
        headers: r#"[["stripe-signature","t=1,v1=abc"]]"#.into(),
        verified_secret_id: None,
        extracted: Extracted::default(),
        fanout: endpoint
            .map(|endpoint_id| {
                vec![FanoutTarget {
                    endpoint_id,
                    held: false,
                }]
            })
            .unwrap_or_default(),
        payment: false,
    }
}

async fn insert(store: &SharedStore, events: &[NewEvent]) -> Vec<Stored> {
    let mut stored = Vec::new();
    for chunk in events.chunks(500) {
        stored.extend(
            store
                .insert_events(&chunk.iter().collect::<Vec<_>>())
                .await
                .unwrap(),
        );
    }
    stored
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_payloads_and_attempts_go_recent_ones_and_dedup_stay() {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        let (source, endpoint) = setup(s).await;
        let now = now_ms();
        let old_at = now - 40 * DAY_MS;
        let recent_at = now - 2 * DAY_MS;
        let mut events: Vec<NewEvent> = (0..1_200)
            .map(|i| event(source, Some(endpoint), &format!("evt_old_{i}"), old_at + i))
            .collect();
        events.extend((0..10).map(|i| {
            event(
                source,
                Some(endpoint),
                &format!("evt_new_{i}"),
                recent_at + i,
            )
        }));
        let stored = insert(s, &events).await;
        let old_id = stored[0].id();
        let new_id = stored[1_200].id();

        // One attempt per delivery, started when its event arrived.
        let claimed = s.claim_due("t", now + DAY_MS, 5_000).await.unwrap();
        assert_eq!(claimed.len(), 1_210, "{l}");
        let results: Vec<AttemptResult> = claimed
            .iter()
            .map(|c| {
                let at = if c.event_id == new_id || c.event_id > stored[1_199].id() {
                    recent_at
                } else {
                    old_at
                };
                AttemptResult {
                    delivery_id: c.delivery_id,
                    endpoint_id: c.endpoint_id,
                    number: 1,
                    trigger: "initial".into(),
                    actor: None,
                    started_at: at,
                    finished_at: at + 5,
                    duration_ms: 5,
                    request_headers: "[]".into(),
                    response_status: Some(500),
                    response_headers: Some("[]".into()),
                    response_body: Some(b"handler said no".to_vec()),
                    error_kind: Some("http_status".into()),
                    error_message: Some("HTTP 500".into()),
                    new_status: "failed".into(),
                    next_attempt_at: 0,
                    disable_endpoint: false,
                }
            })
            .collect();
        for chunk in results.chunks(300) {
            s.record_attempts(
                chunk,
                "t",
                &hookyard_core::store::AttemptRules {
                    disable_after_ms: i64::MAX / 4,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        for (at, slug) in [(old_at, "old"), (recent_at, "new")] {
            s.insert_rejection(&NewRejection {
                source_id: Some(source),
                source_slug: slug.into(),
                reason: "signature_mismatch".into(),
                detail: "{}".into(),
                headers: "[]".into(),
                body_prefix: b"{}".to_vec(),
                body_size: 2,
                received_at: at,
            })
            .await
            .unwrap();
        }

        let purged = purge_older_than(s, 30, 250, now).await.unwrap();
        assert_eq!(
            (purged.bodies, purged.attempts, purged.rejections),
            (1_200, 1_200, 1),
            "{l}"
        );

        let old = s.event_detail(old_id).await.unwrap().unwrap();
        assert_eq!(old.body, None, "{l}");
        assert!(old.headers.is_empty(), "{l}: headers purged with the body");
        assert_eq!(old.body_purged_at, Some(now), "{l}");
        assert_eq!(
            old.deliveries.len(),
            1,
            "{l}: the delivery and its outcome stay"
        );
        assert_eq!(old.deliveries[0].delivery.status, "failed", "{l}");
        assert!(
            old.deliveries[0].attempts.is_empty(),
            "{l}: old attempts purged"
        );
        let new = s.event_detail(new_id).await.unwrap().unwrap();
        assert!(
            new.body
                .as_deref()
                .unwrap()
                .contains("payload of evt_new_0"),
            "{l}"
        );
        assert_eq!(new.headers.len(), 1, "{l}");
        assert_eq!(new.body_purged_at, None, "{l}");
        assert_eq!(
            new.deliveries[0].attempts.len(),
            1,
            "{l}: recent attempts kept"
        );
        let rejections = s.recent_rejections(10).await.unwrap();
        assert_eq!(rejections.len(), 1, "{l}");
        assert_eq!(rejections[0].source_slug, "new", "{l}");

        // The provider sends an old event again: still a duplicate of the kept row.
        let again = insert(s, &[event(source, Some(endpoint), "evt_old_0", now)]).await;
        assert_eq!(again[0], Stored::Duplicate(old_id), "{l}");
        assert_eq!(s.count_events().await.unwrap(), 1_210, "{l}");
        // Nothing left to do.
        let purged = purge_older_than(s, 30, 250, now).await.unwrap();
        assert_eq!(purged.total(), 0, "{l}");
        // A cutoff of "now" purges the ten recent ones (the repeat added no row).
        let purged = purge_older_than(s, 0, 250, now + 1).await.unwrap();
        assert_eq!(purged.bodies, 10, "{l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_keeps_going_while_a_large_purge_runs() {
    for db in testing::all().await {
        let l = db.label;
        let s = db.store.clone();
        let (source, _) = setup(&s).await;
        let now = now_ms();
        let old: Vec<NewEvent> = (0..10_000)
            .map(|i| event(source, None, &format!("evt_o{i}"), now - 60 * DAY_MS + i))
            .collect();
        insert(&s, &old).await;
        let purge = {
            let s = s.clone();
            tokio::spawn(async move { purge_older_than(&s, 30, 500, now).await })
        };
        let mut slowest = Duration::ZERO;
        for i in 0..100 {
            let started = Instant::now();
            insert(
                &s,
                &[event(source, None, &format!("evt_live_{i}"), now_ms())],
            )
            .await;
            slowest = slowest.max(started.elapsed());
        }
        let purged = purge.await.unwrap().unwrap();
        assert_eq!(purged.bodies, 10_000, "{l}");
        assert!(
            slowest < Duration::from_secs(1),
            "{l}: an insert waited {slowest:?} for the purge"
        );
        println!("{l}: slowest insert during the purge: {slowest:?}");
    }
}
