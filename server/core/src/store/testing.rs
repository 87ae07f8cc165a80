//! Test support (used by this crate's and the server's tests): the same test body against a fresh SQLite file and a fresh PostgreSQL
//! database. PostgreSQL comes from `HOOKYARD_TEST_POSTGRES_URL` (a URL to any database on a
//! server where the user may create databases); the README's test command starts a throwaway
//! cluster and sets it. With `HOOKYARD_REQUIRE_POSTGRES=1` a missing URL is an error, so CI can
//! never pass on SQLite alone.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

use super::{connect, SharedStore};

/// A migrated, empty database that exists for one test.
pub struct TestDb {
    /// "SQLite" or "PostgreSQL", for assertion messages.
    pub label: &'static str,
    pub store: SharedStore,
    /// The URL the store was opened with (to open a second store, or a `hookyard` process).
    pub url: String,
    // Keeps the SQLite file's directory alive as long as the test needs it.
    _dir: Option<TempDir>,
}

/// A directory removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    format!(
        "hookyard_test_{}_{}_{}",
        std::process::id(),
        crate::time::now_ms(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh SQLite database in its own temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/hookyard.db", dir.display());
    let store = connect(&url).await.expect("open SQLite");
    store.migrate().await.expect("migrate SQLite");
    TestDb {
        label: "SQLite",
        store,
        url,
        _dir: Some(TempDir(dir)),
    }
}

/// A fresh PostgreSQL database, or `None` when no server is configured (and not required).
pub async fn postgres() -> Option<TestDb> {
    let Some(admin_url) = std::env::var("HOOKYARD_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        if std::env::var("HOOKYARD_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("HOOKYARD_REQUIRE_POSTGRES=1 but HOOKYARD_TEST_POSTGRES_URL is not set");
        }
        eprintln!("note: HOOKYARD_TEST_POSTGRES_URL not set; PostgreSQL half of this test skipped");
        return None;
    };
    let name = unique_name();
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to HOOKYARD_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let url = match admin_url.rfind('/') {
        Some(i) if admin_url[..i].contains("://") && i > admin_url.find("://").unwrap_or(0) + 2 => {
            let (base, rest) = admin_url.split_at(i);
            let query = rest.find('?').map_or("", |q| &rest[q..]);
            format!("{base}/{name}{query}")
        }
        _ => panic!("HOOKYARD_TEST_POSTGRES_URL must name a database: postgres://USER@HOST/DB"),
    };
    let store = connect(&url).await.expect("open PostgreSQL");
    store.migrate().await.expect("migrate PostgreSQL");
    Some(TestDb {
        label: "PostgreSQL",
        store,
        url,
        _dir: None,
    })
}

/// Every configured backend, SQLite first.
pub async fn all() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}
