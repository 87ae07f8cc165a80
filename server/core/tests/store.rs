//! The storage layer against real databases: every test body runs on SQLite and PostgreSQL.

use hookyard_core::store::testing;
use hookyard_core::time::HOUR_MS;

#[tokio::test]
async fn migrations_are_idempotent_and_the_database_answers() {
    for db in testing::all().await {
        db.store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: second migrate: {e}", db.label));
        db.store
            .ping()
            .await
            .unwrap_or_else(|e| panic!("{}: ping: {e}", db.label));
    }
}

#[tokio::test]
async fn empty_database_has_an_honest_zero_overview() {
    for db in testing::all().await {
        let now = 1_700_000_000_000 + 42 * 60_000;
        let overview = db.store.overview(now).await.expect("overview");
        assert_eq!(overview.events_total, 0, "{}", db.label);
        assert_eq!(overview.events_24h, 0, "{}", db.label);
        assert_eq!(overview.rejections_24h, 0, "{}", db.label);
        assert_eq!(overview.sources, 0, "{}", db.label);
        assert_eq!(overview.hourly.len(), 24, "{}", db.label);
        assert_eq!(
            overview.hourly[23].start_ms,
            now - now % HOUR_MS,
            "{}",
            db.label
        );
        assert!(overview
            .hourly
            .iter()
            .all(|b| b.events == 0 && b.rejections == 0));
    }
}

#[tokio::test]
async fn a_closed_store_reports_errors_instead_of_hanging() {
    for db in testing::all().await {
        db.store.close().await;
        assert!(
            db.store.ping().await.is_err(),
            "{}: ping after close",
            db.label
        );
        assert!(
            db.store.overview(0).await.is_err(),
            "{}: query after close",
            db.label
        );
    }
}

#[tokio::test]
async fn unreachable_postgres_fails_fast_with_a_clear_error() {
    let started = std::time::Instant::now();
    let err = match hookyard_core::store::connect("postgres://hy:pw@127.0.0.1:1/hookyard").await {
        Ok(_) => panic!("connected to a closed port"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.starts_with("cannot open database postgres://hy:***@127.0.0.1:1/hookyard"),
        "{err}"
    );
    assert!(!err.contains("pw"), "the password leaked: {err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
}

#[tokio::test]
async fn unsupported_url_is_refused() {
    let err = match hookyard_core::store::connect("mysql://localhost/x").await {
        Ok(_) => panic!("accepted mysql"),
        Err(err) => err.to_string(),
    };
    assert!(err.contains("unsupported DATABASE_URL"), "{err}");
}

#[tokio::test]
async fn sources_are_created_listed_updated_rotated_and_deleted() {
    use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
    use hookyard_core::store::{NewSource, SourceChange, StoreError};
    for db in testing::all().await {
        let s = &db.store;
        let new = NewSource {
            slug: "shop".into(),
            name: "Shop".into(),
            scheme: Scheme::Shopify,
            config: SchemeConfig::default(),
            secret: "first".into(),
            tolerance_secs: 300,
            max_body_bytes: 1024,
        };
        s.create_source(&new, 1_000).await.unwrap();
        assert!(
            matches!(
                s.create_source(&new, 1_000).await,
                Err(StoreError::Conflict(_))
            ),
            "{}",
            db.label
        );
        s.update_source(
            "shop",
            &SourceChange {
                name: Some("Shop EU".into()),
                max_body_bytes: Some(4096),
                ..Default::default()
            },
            2_000,
        )
        .await
        .unwrap();
        s.rotate_source_secret("shop", "second", 10_000, 3_000)
            .await
            .unwrap();
        let record = s.source_by_slug("shop").await.unwrap().unwrap();
        assert_eq!(
            (
                record.name.as_str(),
                record.max_body_bytes,
                record.tolerance_secs
            ),
            ("Shop EU", 4096, 300)
        );
        let secrets: Vec<(&str, Option<i64>)> = record
            .secrets
            .iter()
            .map(|k| (k.secret.as_str(), k.expires_at))
            .collect();
        assert_eq!(
            secrets,
            vec![("second", None), ("first", Some(10_000))],
            "{}",
            db.label
        );
        let listed = s.list_sources(5_000).await.unwrap();
        assert_eq!(
            (listed.len(), listed[0].active_secrets),
            (1, 2),
            "{}",
            db.label
        );
        assert_eq!(
            s.list_sources(20_000).await.unwrap()[0].active_secrets,
            1,
            "expired secret not counted"
        );
        assert!(
            format!("{record:?}").contains("***") && !format!("{record:?}").contains("second"),
            "secrets never in debug output"
        );
        s.delete_source("shop").await.unwrap();
        assert!(s.source_by_slug("shop").await.unwrap().is_none());
        assert!(matches!(
            s.delete_source("shop").await,
            Err(StoreError::NotFound(_))
        ));
    }
}

/// Every filter of the Events page, alone and combined, and keyset paging, on both databases.
#[tokio::test]
async fn events_are_listed_by_every_filter_and_paged_without_gaps() {
    use hookyard_core::ingest::extract::Extracted;
    use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
    use hookyard_core::model::EventFilter;
    use hookyard_core::store::{FanoutTarget, NewEndpoint, NewEvent, NewSource};
    for db in testing::all().await {
        let s = &db.store;
        let mut sources = Vec::new();
        for slug in ["shop", "billing"] {
            let new = NewSource {
                slug: slug.into(),
                name: slug.into(),
                scheme: Scheme::Stripe,
                config: SchemeConfig::default(),
                secret: "whsec_x".into(),
                tolerance_secs: 300,
                max_body_bytes: 1 << 20,
            };
            sources.push(s.create_source(&new, 1_000).await.unwrap());
        }
        let endpoint = s
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
                    max_in_flight: 1,
                    retry_schedule: None,
                },
                1_000,
            )
            .await
            .unwrap();
        // 12 events, one a minute: alternating sources, three types, one delivery on every
        // fourth, a findable word in two bodies.
        let types = ["charge.succeeded", "charge.refunded", "invoice.paid"];
        let events: Vec<NewEvent> = (0..12i64)
            .map(|i| NewEvent {
                source_id: sources[(i % 2) as usize],
                provider_event_id: format!("evt_{i}"),
                event_type: types[(i % 3) as usize].into(),
                received_at: 10 * HOUR_MS + i * 60_000,
                body: format!(
                    r#"{{"id":"evt_{i}","note":"{}"}}"#,
                    if i == 3 || i == 10 { "needle" } else { "hay" }
                )
                .into_bytes()
                .into(),
                headers: "[]".into(),
                verified_secret_id: None,
                extracted: Extracted {
                    object_id: Some(format!("obj_{i}")),
                    ..Default::default()
                },
                fanout: if i % 4 == 0 {
                    vec![FanoutTarget {
                        endpoint_id: endpoint,
                        held: false,
                    }]
                } else {
                    vec![]
                },
                payment: false,
            })
            .collect();
        s.insert_events(&events.iter().collect::<Vec<_>>())
            .await
            .unwrap();
        let ids = |filter: EventFilter| async move {
            s.list_events(&filter, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.provider_event_id)
                .collect::<Vec<_>>()
        };
        let l = db.label;
        let all = ids(EventFilter::default()).await;
        assert_eq!(
            all.first().map(String::as_str),
            Some("evt_11"),
            "{l}: newest first"
        );
        assert_eq!(all.len(), 12, "{l}");
        let by = |f: EventFilter| ids(f);
        assert_eq!(
            by(EventFilter {
                source: Some("billing".into()),
                ..Default::default()
            })
            .await,
            ["evt_11", "evt_9", "evt_7", "evt_5", "evt_3", "evt_1"],
            "{l}: source"
        );
        assert_eq!(
            by(EventFilter {
                event_type: Some("invoice.paid".into()),
                ..Default::default()
            })
            .await,
            ["evt_11", "evt_8", "evt_5", "evt_2"],
            "{l}: exact type"
        );
        assert_eq!(
            by(EventFilter {
                event_type: Some("charge.*".into()),
                source: Some("shop".into()),
                ..Default::default()
            })
            .await,
            ["evt_10", "evt_6", "evt_4", "evt_0"],
            "{l}: prefix and source"
        );
        assert_eq!(
            by(EventFilter {
                provider_id: Some("evt_7".into()),
                ..Default::default()
            })
            .await,
            ["evt_7"],
            "{l}"
        );
        assert_eq!(
            by(EventFilter {
                provider_id: Some("obj_4".into()),
                ..Default::default()
            })
            .await,
            ["evt_4"],
            "{l}"
        );
        assert_eq!(
            by(EventFilter {
                search: Some("needle".into()),
                ..Default::default()
            })
            .await,
            ["evt_10", "evt_3"],
            "{l}: payload search"
        );
        assert_eq!(
            by(EventFilter {
                delivery_status: Some("pending".into()),
                ..Default::default()
            })
            .await,
            ["evt_8", "evt_4", "evt_0"],
            "{l}: delivery status"
        );
        assert!(by(EventFilter {
            delivery_status: Some("failed".into()),
            ..Default::default()
        })
        .await
        .is_empty());
        assert_eq!(
            by(EventFilter {
                from: Some(10 * HOUR_MS + 2 * 60_000),
                to: Some(10 * HOUR_MS + 5 * 60_000),
                ..Default::default()
            })
            .await,
            ["evt_4", "evt_3", "evt_2"],
            "{l}: time range"
        );
        // Keyset pages of 5 give every event once, in order.
        let mut paged = Vec::new();
        let mut before = None;
        loop {
            let page = s
                .list_events(
                    &EventFilter {
                        before,
                        ..Default::default()
                    },
                    5,
                )
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            before = page.last().map(|r| (r.received_at, r.id));
            paged.extend(page.into_iter().map(|r| r.provider_event_id));
        }
        assert_eq!(paged, all, "{l}: paging");
        assert_eq!(
            s.event_type_names().await.unwrap(),
            ["charge.refunded", "charge.succeeded", "invoice.paid"],
            "{l}"
        );
    }
}
