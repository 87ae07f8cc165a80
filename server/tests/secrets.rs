//! Signing secrets at rest, through the real `hookyard` binary on SQLite and PostgreSQL: the
//! secrets made by `source add`, `endpoint add` and their rotations never reach a log line or
//! the database in plain text; events are still verified and deliveries still signed; and
//! `hookyard rotate-master-key` moves everything to a new key that then works alone.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use common::handler::{self, Log};
use hookyard_core::crypto::{self, MasterKey, Stored, KEY_ENV, NEW_KEY_ENV};
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::{verify, Candidate};
use hookyard_core::store::testing::{self, TestDb};
use hookyard_core::store::{connect_with, KeySource};
use hookyard_core::time::now_ms;

const BIN: &str = env!("CARGO_BIN_EXE_hookyard");
const TOKEN: &str = "Bearer tok_secret_header_5e6f7a8b";

/// Every log line written by every `hookyard` process of one test.
struct Logs {
    dir: PathBuf,
    text: String,
}

impl Logs {
    fn new(label: &str) -> Logs {
        let dir = std::env::temp_dir().join(format!(
            "hookyard-secrets-{}-{}-{label}",
            std::process::id(),
            now_ms()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Logs {
            dir,
            text: String::new(),
        }
    }

    /// Runs `hookyard ARGS` on `db` with every log level on; keeps its standard error.
    fn run(&mut self, db: &TestDb, args: &[&str], env: &[(&str, String)]) -> Output {
        let mut command = Command::new(BIN);
        db.configure(&mut command)
            .args(args)
            .env("HOOKYARD_LOG", "debug")
            .env_remove(NEW_KEY_ENV);
        for (k, v) in env {
            command.env(k, v);
        }
        let out = command.output().expect("run hookyard");
        self.text.push_str(&String::from_utf8_lossy(&out.stderr));
        out
    }

    /// Like `run`, and it must succeed; its standard output.
    fn ok(&mut self, db: &TestDb, args: &[&str], env: &[(&str, String)]) -> String {
        let out = self.run(db, args, env);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{} {args:?}: {stdout}\n{}",
            db.label,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// Starts `hookyard serve`, its log going to a file read when it stops.
    fn serve(&self, db: &TestDb, env: &[(&str, String)]) -> Serve {
        let log_path = self.dir.join(format!("serve-{}.log", now_ms()));
        let mut command = Command::new(BIN);
        db.configure(&mut command)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("HOOKYARD_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log_path).unwrap());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn hookyard serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("Hookyard is running at ")
            .unwrap_or_else(|| {
                panic!(
                    "{}: unexpected first line {line:?}: {}",
                    db.label,
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                )
            })
            .trim_end_matches('/')
            .to_string();
        Serve {
            child,
            base,
            log_path,
        }
    }

    /// Stops `serve` gracefully (SIGTERM) and keeps its log.
    fn stop(&mut self, mut serve: Serve) {
        let _ = Command::new("kill")
            .args(["-TERM", &serve.child.id().to_string()])
            .status();
        let _ = serve.child.wait();
        self.text
            .push_str(&std::fs::read_to_string(&serve.log_path).unwrap());
    }

    /// None of `secrets` appears in any log line.
    fn assert_clean(&self, label: &str, secrets: &[&str]) {
        assert!(
            self.text.contains("listening"),
            "{label}: the logs were captured"
        );
        for secret in secrets {
            assert!(
                !self.text.contains(secret),
                "{label}: {secret} is in the log:\n{}",
                self.text
            );
        }
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `hookyard serve` process, killed if a test fails before stopping it.
struct Serve {
    child: Child,
    base: String,
    log_path: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value printed after `label` in a command's output.
fn printed(stdout: &str, label: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.split_once(label).map(|(_, v)| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no {label:?} in {stdout}"))
}

/// Waits for the handler to have received `n` deliveries; the last one.
async fn delivered(log: &Log, n: usize) -> handler::Received {
    for _ in 0..200 {
        if log.count("ok") >= n {
            return log
                .all()
                .into_iter()
                .filter(|r| r.path == "ok")
                .nth(n - 1)
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("only {} of {n} deliveries arrived", log.count("ok"));
}

/// The delivery carries the endpoint's extra header and verifies with its secret.
fn assert_signed(label: &str, received: &handler::Received, endpoint_secret: &str) {
    assert_eq!(received.header("authorization"), Some(TOKEN), "{label}");
    let mut headers = HeaderMap::new();
    for (k, v) in &received.headers {
        headers.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let candidates = [Candidate {
        id: 1,
        secret: endpoint_secret,
    }];
    let checked = verify(
        Scheme::Standard,
        &SchemeConfig::default(),
        &candidates,
        &headers,
        &received.body,
        now_ms() / 1000,
        300,
    );
    assert_eq!(
        checked,
        Ok(1),
        "{label}: delivery signed with the endpoint secret"
    );
}

/// No secret in the database: the SQLite file bytes (with its write-ahead log), or the raw
/// PostgreSQL column values (each sealed under `key`).
async fn assert_database_clean(db: &TestDb, key: &MasterKey, secrets: &[&str]) {
    let l = db.label;
    if let Some(path) = db.url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) else {
                continue;
            };
            for secret in secrets {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{l}: {path}{suffix} holds {secret}"
                );
            }
        }
    }
    let values: Vec<String> = if db.url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let v = sqlx::query_scalar(
            "SELECT secret FROM source_secrets UNION ALL SELECT secret FROM endpoints \
             UNION ALL SELECT headers FROM endpoints",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        v
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let v = sqlx::query_scalar(
            "SELECT secret FROM source_secrets UNION ALL SELECT secret FROM endpoints \
             UNION ALL SELECT headers FROM endpoints",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        v
    };
    assert_eq!(
        values.len(),
        4,
        "{l}: two source secrets, one endpoint: {values:?}"
    );
    for value in &values {
        for secret in secrets {
            assert!(!value.contains(secret), "{l}: {secret} stored as {value}");
        }
        let sealed = if value.starts_with('[') {
            let pairs: Vec<(String, String)> = serde_json::from_str(value).unwrap();
            pairs[0].1.clone()
        } else {
            value.clone()
        };
        assert_eq!(
            crypto::inspect(&sealed),
            Stored::SealedUnder(key.id().to_string()),
            "{l}"
        );
    }
}

fn key_file(db: &TestDb) -> Option<PathBuf> {
    db.url
        .strip_prefix("sqlite://")
        .map(|p| Path::new(p).with_extension("key"))
}

#[tokio::test]
async fn secrets_stay_out_of_logs_and_the_database_through_a_master_key_rotation() {
    for db in testing::all().await {
        let l = db.label;
        let mut logs = Logs::new(if l == "SQLite" { "sqlite" } else { "pg" });
        let (handler_base, received) = handler::start().await;
        let serve = logs.serve(&db, &[]);

        // Create, send, deliver.
        let out = logs.ok(
            &db,
            &["source", "add", "--slug", "shop", "--scheme", "stripe"],
            &[],
        );
        let source_first = printed(&out, "Signing secret:");
        let out = logs.ok(
            &db,
            &[
                "endpoint",
                "add",
                "--name",
                "orders",
                "--url",
                &format!("{handler_base}/ok"),
                "--events",
                "*",
                "--header",
                &format!("Authorization: {TOKEN}"),
            ],
            &[],
        );
        let endpoint_first = printed(&out, "Signing secret:");
        let out = logs.ok(
            &db,
            &["send", "--source", "shop", "--url", &serve.base],
            &[],
        );
        assert!(out.contains("accepted"), "{l}: {out}");
        assert_signed(l, &delivered(&received, 1).await, &endpoint_first);

        // Rotate both secrets, send, deliver.
        let out = logs.ok(&db, &["source", "rotate-secret", "--slug", "shop"], &[]);
        let source_second = printed(&out, "New signing secret for shop:");
        let out = logs.ok(&db, &["endpoint", "rotate-secret", "1"], &[]);
        let endpoint_second = printed(&out, "New signing secret for endpoint 1:");
        // `serve` caches source and endpoint settings for 2 s.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let out = logs.ok(
            &db,
            &["send", "--source", "shop", "--url", &serve.base],
            &[],
        );
        assert!(out.contains("accepted"), "{l}: {out}");
        assert_signed(l, &delivered(&received, 2).await, &endpoint_second);
        logs.stop(serve);

        let secrets = [
            source_first.as_str(),
            source_second.as_str(),
            endpoint_first.as_str(),
            endpoint_second.as_str(),
            TOKEN,
            "tok_secret_header",
        ];
        let old_key = db.key.to_base64();
        logs.assert_clean(l, &secrets);
        logs.assert_clean(l, &[&old_key]);
        assert_database_clean(&db, &db.key, &secrets).await;

        // Rotate the master key: SQLite replaces its key file; PostgreSQL takes the new key
        // from HOOKYARD_NEW_SECRET_KEY and says to change HOOKYARD_SECRET_KEY.
        let (new_key, rotate_env) = match key_file(&db) {
            Some(_) => (None, vec![]),
            None => {
                let key = MasterKey::generate();
                let env = vec![(NEW_KEY_ENV, key.to_base64())];
                (Some(key), env)
            }
        };
        let out = logs.ok(&db, &["rotate-master-key"], &rotate_env);
        assert!(
            out.contains("Re-encrypted 2 source secrets, 1 endpoint secret and 1 endpoint header value under master key"),
            "{l}: {out}"
        );
        let new_key = match (new_key, key_file(&db)) {
            (Some(key), _) => {
                assert!(
                    out.contains("set HOOKYARD_SECRET_KEY to the new key"),
                    "{l}: {out}"
                );
                key
            }
            (None, Some(file)) => {
                assert!(out.contains("now holds the new key"), "{l}: {out}");
                assert!(
                    !crypto::aside_path(&file, "new").exists(),
                    "{l}: no leftover"
                );
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
                    assert_eq!(mode & 0o777, 0o600, "{l}");
                }
                crypto::read_key_file(&file).unwrap().unwrap()
            }
            (None, None) => unreachable!(),
        };
        assert_ne!(new_key, db.key, "{l}");
        for text in [&out, &logs.text] {
            for secret in secrets
                .iter()
                .chain([&old_key.as_str(), &new_key.to_base64().as_str()])
            {
                assert!(
                    !text.contains(secret),
                    "{l}: {secret} printed by the rotation"
                );
            }
        }
        assert_database_clean(&db, &new_key, &secrets).await;

        // The old key no longer opens the secrets: `serve` refuses to start with it.
        let stale = connect_with(&db.url, KeySource::Key(db.key.clone()))
            .await
            .unwrap();
        assert!(stale.check_master_key().await.is_err(), "{l}");
        stale.close().await;
        let out = logs.run(&db, &["migrate"], &[(KEY_ENV, db.key.to_base64())]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{l}: started with the old key");
        assert!(
            err.contains("encrypted with another master key") && err.contains(new_key.id()),
            "{l}: {err}"
        );

        // With the new key: ingest still verifies, deliveries still sign.
        let new_env = match key_file(&db) {
            Some(_) => vec![],
            None => vec![(KEY_ENV, new_key.to_base64())],
        };
        let serve = logs.serve(&db, &new_env);
        let out = logs.ok(
            &db,
            &["send", "--source", "shop", "--url", &serve.base],
            &new_env,
        );
        assert!(out.contains("accepted"), "{l}: {out}");
        assert_signed(l, &delivered(&received, 3).await, &endpoint_second);
        logs.stop(serve);
        logs.assert_clean(l, &secrets);
        logs.assert_clean(l, &[&old_key, &new_key.to_base64()]);
    }
}

/// A rotation interrupted after the database committed but before the key file was replaced
/// (the new key waits in `hookyard.key.new`): running it again finishes the job.
#[tokio::test]
async fn an_interrupted_rotation_is_finished_by_running_it_again() {
    let db = testing::sqlite().await;
    let mut logs = Logs::new("interrupted");
    let out = logs.ok(
        &db,
        &["source", "add", "--slug", "shop", "--scheme", "stripe"],
        &[],
    );
    let secret = printed(&out, "Signing secret:");
    let file = key_file(&db).unwrap();
    let pending = crypto::aside_path(&file, "new");
    let new = MasterKey::generate();
    crypto::write_private(&pending, &new).unwrap();
    db.store
        .rotate_master_key(&new, "cli", now_ms())
        .await
        .unwrap();
    assert_eq!(
        crypto::read_key_file(&file).unwrap().as_ref(),
        Some(&db.key)
    );

    // A different new key now would strand the pending one: refused.
    let other = MasterKey::generate();
    let refused = logs.run(
        &db,
        &["rotate-master-key"],
        &[(NEW_KEY_ENV, other.to_base64())],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("unfinished rotation"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let out = logs.ok(&db, &["rotate-master-key"], &[]);
    assert!(
        out.contains(&format!("Finishing the rotation to key {}", new.id())),
        "{out}"
    );
    assert!(out.contains("Re-encrypted 0 source secrets"), "{out}");
    assert!(
        out.contains("1 value was already under the new key"),
        "{out}"
    );
    assert_eq!(crypto::read_key_file(&file).unwrap(), Some(new.clone()));
    assert!(!pending.exists());
    // Everything opens with the key file alone again.
    let out = logs.ok(&db, &["source", "list"], &[]);
    assert!(out.contains("shop"), "{out}");
    assert!(!logs.text.contains(&secret));
}

#[test]
fn generate_master_key_prints_a_usable_key() {
    let out = Command::new(BIN)
        .arg("generate-master-key")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let key = MasterKey::parse(&text, "output").unwrap();
    assert_eq!(text.trim(), key.to_base64());
}

#[test]
fn a_malformed_master_key_is_one_clear_line_without_the_key() {
    let dir = std::env::temp_dir().join(format!("hookyard-badkey-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(BIN)
        .args(["migrate", "--database-url", "sqlite://data/hookyard.db"])
        .current_dir(&dir)
        .env(KEY_ENV, "hunter2-is-not-a-key")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("HOOKYARD_SECRET_KEY is not a valid master key")
            && err.contains("openssl rand -base64 32"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}
