//! Signing secrets at rest, on SQLite and PostgreSQL: never stored in plain text, plain-text
//! rows of older databases encrypted on start, and the master key rotated.

use hookyard_core::crypto::{self, MasterKey, SealError, Stored};
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::store::testing::{self, TestDb};
use hookyard_core::store::{connect_with, KeySource, NewEndpoint, NewSource, StoreError};

const SOURCE_FIRST: &str = "whsec_source_first_4f1c9a";
const SOURCE_SECOND: &str = "whsec_source_second_77b2de";
const ENDPOINT_FIRST: &str = "whsec_RW5kcG9pbnRGaXJzdFNlY3JldDEyMzQ1";
const ENDPOINT_SECOND: &str = "whsec_RW5kcG9pbnRTZWNvbmRTZWNyZXQ2Nzg5";
const TOKEN_FIRST: &str = "Bearer tok_first_9d8e7f";
const TOKEN_SECOND: &str = "Bearer tok_second_1a2b3c";

const ALL: [&str; 6] = [
    SOURCE_FIRST,
    SOURCE_SECOND,
    ENDPOINT_FIRST,
    ENDPOINT_SECOND,
    TOKEN_FIRST,
    TOKEN_SECOND,
];

fn endpoint(secret: &str, token: &str) -> NewEndpoint {
    NewEndpoint {
        name: "orders".into(),
        url: "http://127.0.0.1:9/hooks".into(),
        description: String::new(),
        patterns: vec!["*".into()],
        source_id: None,
        secret: secret.into(),
        headers: vec![
            ("authorization".into(), token.into()),
            ("x-empty".into(), String::new()),
        ],
        timeout_ms: 1000,
        max_in_flight: 1,
        retry_schedule: None,
    }
}

/// Creates a source and an endpoint and rotates both (every write path); returns the
/// endpoint's id.
async fn write_every_secret(db: &TestDb) -> i64 {
    let s = &db.store;
    s.create_source(
        &NewSource {
            slug: "shop".into(),
            name: "Shop".into(),
            scheme: Scheme::Stripe,
            config: SchemeConfig::default(),
            secret: SOURCE_FIRST.into(),
            tolerance_secs: 300,
            max_body_bytes: 1024,
        },
        1_000,
    )
    .await
    .unwrap();
    s.rotate_source_secret("shop", SOURCE_SECOND, 50_000, 2_000)
        .await
        .unwrap();
    let id = s
        .create_endpoint(&endpoint(ENDPOINT_FIRST, TOKEN_FIRST), 1_000)
        .await
        .unwrap();
    s.rotate_endpoint_secret(id, ENDPOINT_SECOND, "test", 2_000)
        .await
        .unwrap();
    s.update_endpoint(id, &endpoint("ignored", TOKEN_SECOND), "test", 3_000)
        .await
        .unwrap();
    id
}

/// What the store answers: every secret in plain text, as ingest and delivery need them.
async fn assert_reads_back(db: &TestDb, store: &hookyard_core::store::SharedStore, id: i64) {
    let l = db.label;
    let source = store.source_by_slug("shop").await.unwrap().unwrap();
    let secrets: Vec<&str> = source.secrets.iter().map(|k| k.secret.as_str()).collect();
    assert_eq!(secrets, [SOURCE_SECOND, SOURCE_FIRST], "{l}");
    let record = store.endpoint(id).await.unwrap().unwrap();
    assert_eq!(record.secret, ENDPOINT_SECOND, "{l}");
    assert_eq!(
        record.endpoint.headers,
        [
            ("authorization".to_string(), TOKEN_SECOND.to_string()),
            ("x-empty".to_string(), String::new())
        ],
        "{l}"
    );
    assert_eq!(
        store.endpoints().await.unwrap()[0].secret,
        ENDPOINT_SECOND,
        "{l}"
    );
}

/// Every stored secret value, straight from the database: (source secrets, endpoint secrets,
/// endpoint header values).
async fn raw_values(db: &TestDb) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (sources, endpoints): (Vec<String>, Vec<(String, String)>) = if db.url.starts_with("sqlite")
    {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let sources = sqlx::query_scalar("SELECT secret FROM source_secrets ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        let endpoints = sqlx::query_as("SELECT secret, headers FROM endpoints ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        (sources, endpoints)
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let sources = sqlx::query_scalar("SELECT secret FROM source_secrets ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        let endpoints = sqlx::query_as("SELECT secret, headers FROM endpoints ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        (sources, endpoints)
    };
    let mut headers = Vec::new();
    let mut secrets = Vec::new();
    for (secret, json) in endpoints {
        secrets.push(secret);
        let pairs: Vec<(String, String)> = serde_json::from_str(&json).unwrap();
        headers.extend(pairs.into_iter().map(|(_, v)| v));
    }
    (sources, secrets, headers)
}

/// Every raw value is sealed under `key`, and none contains a secret.
async fn assert_sealed_under(db: &TestDb, key: &MasterKey) {
    let l = db.label;
    let (sources, endpoints, headers) = raw_values(db).await;
    assert_eq!(
        (sources.len(), endpoints.len(), headers.len()),
        (2, 1, 2),
        "{l}"
    );
    for value in sources.iter().chain(&endpoints).chain(&headers) {
        assert_eq!(
            crypto::inspect(value),
            Stored::SealedUnder(key.id().to_string()),
            "{l}: {value}"
        );
        for secret in ALL {
            assert!(
                !value.contains(secret),
                "{l}: {secret} stored in plain text"
            );
        }
    }
}

/// The bytes of the SQLite database and its write-ahead log hold no secret.
fn assert_sqlite_files_clean(db: &TestDb) {
    let Some(path) = db.url.strip_prefix("sqlite://") else {
        return;
    };
    let mut checked = 0;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) else {
            continue;
        };
        checked += bytes.len();
        for secret in ALL.iter().chain(&["tok_first", "tok_second"]) {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{path}{suffix} holds {secret} in plain text"
            );
        }
    }
    assert!(checked > 0, "no database file at {path}");
}

#[tokio::test]
async fn secrets_are_encrypted_at_rest_and_read_back_in_plain_text() {
    for db in testing::all().await {
        let id = write_every_secret(&db).await;
        assert_reads_back(&db, &db.store, id).await;
        assert_sealed_under(&db, &db.key).await;
        assert_sqlite_files_clean(&db);
        // A second store with the same key reads them too.
        assert_reads_back(&db, &db.reopen().await, id).await;
        db.store.check_master_key().await.unwrap();
    }
}

#[tokio::test]
async fn the_wrong_master_key_is_refused_with_a_clear_error_never_garbage() {
    for db in testing::all().await {
        let l = db.label;
        let id = write_every_secret(&db).await;
        let wrong = connect_with(&db.url, KeySource::Key(MasterKey::generate()))
            .await
            .unwrap();
        let err = wrong.check_master_key().await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Sealed(SealError::OtherKey { found, .. }) if found == db.key.id()),
            "{l}: {err}"
        );
        for err in [
            wrong.source_by_slug("shop").await.unwrap_err(),
            wrong.endpoint(id).await.unwrap_err(),
        ] {
            let message = err.to_string();
            assert!(
                message.contains("encrypted with another master key")
                    && message.contains(db.key.id())
                    && message.contains("HOOKYARD_SECRET_KEY")
                    && message.contains("rotate-master-key"),
                "{l}: {message}"
            );
            assert!(!message.contains("v1:"), "{l}: no ciphertext in {message}");
        }
    }
}

#[tokio::test]
async fn plain_text_secrets_of_an_older_database_are_encrypted_on_start() {
    for db in testing::all().await {
        let l = db.label;
        // Rows as a version before encryption at rest wrote them.
        let statements = [
            "INSERT INTO sources (slug, name, scheme, config, tolerance_secs, max_body_bytes, created_at, updated_at) \
             VALUES ('shop', 'Shop', 'stripe', '{}', 300, 1024, 1, 1)",
            &format!("INSERT INTO source_secrets (source_id, secret, created_at, expires_at) VALUES ((SELECT id FROM sources), '{SOURCE_FIRST}', 1, 50000)"),
            &format!("INSERT INTO source_secrets (source_id, secret, created_at) VALUES ((SELECT id FROM sources), '{SOURCE_SECOND}', 2)"),
            &format!(
                "INSERT INTO endpoints (name, url, description, patterns, state, secret, headers, timeout_ms, max_in_flight, created_at, updated_at) \
                 VALUES ('orders', 'http://127.0.0.1:9/hooks', '', '[\"*\"]', 'enabled', '{ENDPOINT_SECOND}', \
                 '[[\"authorization\",\"{TOKEN_SECOND}\"],[\"x-empty\",\"\"]]', 1000, 1, 1, 1)"
            ),
        ];
        if db.url.starts_with("sqlite") {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            for sql in statements {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            for sql in statements {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        let (before, _, _) = raw_values(&db).await;
        assert_eq!(before[1], SOURCE_SECOND, "{l}: the test wrote plain text");

        // The start-up step: migrate.
        let store = db.reopen().await;
        store.migrate().await.unwrap();
        assert_sealed_under(&db, &db.key).await;
        assert_reads_back(&db, &store, 1).await;
        assert_sqlite_files_clean(&db);
        store.check_master_key().await.unwrap();

        // Idempotent: a second start changes nothing.
        let sealed = raw_values(&db).await;
        store.migrate().await.unwrap();
        assert_eq!(raw_values(&db).await, sealed, "{l}");
        store.close().await;
    }
}

#[tokio::test]
async fn rotating_the_master_key_re_encrypts_everything_once() {
    for db in testing::all().await {
        let l = db.label;
        let id = write_every_secret(&db).await;
        let new = MasterKey::generate();
        let done = db
            .store
            .rotate_master_key(&new, "cli", 9_000)
            .await
            .unwrap();
        assert_eq!(
            (
                done.source_secrets,
                done.endpoint_secrets,
                done.header_values,
                done.unchanged
            ),
            (2, 1, 2, 0),
            "{l}"
        );
        assert_sealed_under(&db, &new).await;
        assert_sqlite_files_clean(&db);

        // The old key no longer opens them; the new one does.
        let old = db.reopen().await;
        assert!(
            matches!(
                old.check_master_key().await,
                Err(StoreError::Sealed(SealError::OtherKey { .. }))
            ),
            "{l}"
        );
        assert!(old.source_by_slug("shop").await.is_err(), "{l}");
        let renewed = connect_with(&db.url, KeySource::Key(new.clone()))
            .await
            .unwrap();
        renewed.check_master_key().await.unwrap();
        assert_reads_back(&db, &renewed, id).await;

        // Run again (as after an interruption): nothing left to do, nothing broken.
        let again = db
            .store
            .rotate_master_key(&new, "cli", 9_500)
            .await
            .unwrap();
        assert_eq!(
            (
                again.source_secrets,
                again.endpoint_secrets,
                again.header_values,
                again.unchanged
            ),
            (0, 0, 0, 5),
            "{l}"
        );
        assert_reads_back(&db, &renewed, id).await;

        // A rotation from a key that sealed nothing here is refused, and changes nothing.
        let stranger = connect_with(&db.url, KeySource::Key(MasterKey::generate()))
            .await
            .unwrap();
        assert!(
            stranger
                .rotate_master_key(&MasterKey::generate(), "cli", 9_600)
                .await
                .is_err(),
            "{l}"
        );
        assert_sealed_under(&db, &new).await;

        // Audit-logged, with key ids and counts only.
        let audit = renewed.audit_entries(10).await.unwrap();
        let rotations: Vec<_> = audit
            .iter()
            .filter(|(_, _, action, _, _)| action == "master_key.rotated")
            .collect();
        assert_eq!(rotations.len(), 2, "{l}: {audit:?}");
        let (_, actor, _, _, detail) = rotations[1];
        assert_eq!(actor, "cli");
        let detail: serde_json::Value = serde_json::from_str(detail).unwrap();
        assert_eq!(detail["from_key"], db.key.id(), "{l}");
        assert_eq!(detail["to_key"], new.id(), "{l}");
        assert_eq!(detail["source_secrets"], 2, "{l}");
        for (_, _, _, _, detail) in &audit {
            for secret in ALL {
                assert!(!detail.contains(secret), "{l}: audit {detail}");
            }
            assert!(
                !detail.contains(&new.to_base64()),
                "{l}: audit holds the key"
            );
        }
    }
}

#[tokio::test]
async fn postgres_without_a_master_key_refuses_to_start_and_says_how_to_make_one() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    // SQLite generates a key file; PostgreSQL instances must share one key, so none is made up.
    let err = match connect_with(&db.url, KeySource::Environment).await {
        Ok(_) if std::env::var(crypto::KEY_ENV).is_ok() => return,
        Ok(_) => panic!("PostgreSQL opened without a master key"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.contains("HOOKYARD_SECRET_KEY") && err.contains("openssl rand -base64 32"),
        "{err}"
    );
}

#[tokio::test]
async fn a_lost_key_file_is_reported_not_replaced() {
    let db = testing::sqlite().await;
    write_every_secret(&db).await;
    let path = db.url.strip_prefix("sqlite://").unwrap();
    let key_file = std::path::Path::new(path).with_extension("key");
    std::fs::remove_file(&key_file).unwrap();
    let err = match hookyard_core::store::SqliteStore::connect(&db.url, None).await {
        Ok(_) => panic!("opened with a fresh key"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.contains("is missing") && err.contains(db.key.id()),
        "{err}"
    );
    assert!(!key_file.exists(), "no new key file made up");
}
