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
