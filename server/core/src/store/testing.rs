//! Test support (used by this crate's and the server's tests): the same test body against a fresh SQLite file and a fresh PostgreSQL
//! database. PostgreSQL comes from `HOOKYARD_TEST_POSTGRES_URL` (a URL to any database on a
//! server where the user may create databases); the README's test command starts a throwaway
//! cluster and sets it. With `HOOKYARD_REQUIRE_POSTGRES=1` a missing URL is an error, so CI can
//! never pass on SQLite alone.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

use super::{connect_with, KeySource, SharedStore, SqliteStore, Store};
use crate::crypto::{self, MasterKey};

/// A migrated, empty database that exists for one test.
pub struct TestDb {
    /// "SQLite" or "PostgreSQL", for assertion messages.
    pub label: &'static str,
    pub store: SharedStore,
    /// The URL the store was opened with (to open a second store, or a `hookyard` process).
    pub url: String,
    /// The master key of its secrets: SQLite's is in the key file beside the database (as in
    /// production), PostgreSQL's is generated per database.
    pub key: MasterKey,
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

impl TestDb {
    /// A second store on the same database, with the same key.
    pub async fn reopen(&self) -> SharedStore {
        connect_with(&self.url, KeySource::Key(self.key.clone()))
            .await
            .unwrap_or_else(|e| panic!("{}: reopen: {e}", self.label))
    }

    /// Points a `hookyard` command at this database: `DATABASE_URL`, and the master key as
    /// `HOOKYARD_SECRET_KEY` on PostgreSQL (SQLite finds its key file; a variable inherited
    /// from the test's environment is removed so that it does).
    pub fn configure<'c>(
        &self,
        command: &'c mut std::process::Command,
    ) -> &'c mut std::process::Command {
        command.env("DATABASE_URL", &self.url);
        if self.url.starts_with("sqlite:") {
            command.env_remove(crypto::KEY_ENV)
        } else {
            command.env(crypto::KEY_ENV, self.key.to_base64())
        }
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
    let store = SqliteStore::connect(&url, None).await.expect("open SQLite");
    store.migrate().await.expect("migrate SQLite");
    let key = crypto::read_key_file(&dir.join("hookyard.key"))
        .expect("read the key file")
        .expect("the key file was created");
    TestDb {
        label: "SQLite",
        store: std::sync::Arc::new(store),
        url,
        key,
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
    let key = MasterKey::generate();
    let store = connect_with(&url, KeySource::Key(key.clone()))
        .await
        .expect("open PostgreSQL");
    store.migrate().await.expect("migrate PostgreSQL");
    Some(TestDb {
        label: "PostgreSQL",
        store,
        url,
        key,
        _dir: None,
    })
}

/// Every configured backend, SQLite first.
pub async fn all() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}
