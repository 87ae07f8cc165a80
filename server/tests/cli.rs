//! The `hookyard` binary as a user runs it: help, bad flags, unreachable databases, start-up
//! and graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_hookyard");

fn hookyard(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("HOOKYARD_BIND")
        .output()
        .expect("run hookyard")
}

#[test]
fn help_explains_every_command_and_option() {
    let out = hookyard(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "serve",
        "migrate",
        "--database-url",
        "DATABASE_URL",
        "HOOKYARD_LOG",
    ] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
    let out = hookyard(&["serve", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "--bind",
        "HOOKYARD_BIND",
        "127.0.0.1:3000",
        "sqlite://data/hookyard.db",
    ] {
        assert!(help.contains(word), "serve --help lacks {word}:\n{help}");
    }
}

#[test]
fn a_bad_flag_prints_usage_and_fails() {
    let out = hookyard(&["serve", "--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Usage:"), "{err}");
}

#[test]
fn unreachable_postgres_is_one_clear_line_not_a_panic() {
    let out = hookyard(&[
        "migrate",
        "--database-url",
        "postgres://hookyard:hunter2@127.0.0.1:1/hookyard",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("hookyard:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("cannot open database postgres://hookyard:***@127.0.0.1:1/hookyard"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("hunter2"),
        "{err}"
    );
}

#[test]
fn serve_starts_prints_its_url_and_stops_cleanly_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("hookyard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Relative database path: resolved against the working directory, created if missing.
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hookyard serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read");
    assert!(
        line.starts_with("Hookyard is running at http://127.0.0.1:"),
        "{line}"
    );
    assert!(
        dir.join("data/hookyard.db").exists(),
        "database not created in ./data/"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `hookyard payments rebuild` on a database with stored payment events: it says what it did,
/// and the table is the one the live projection built.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_rebuild_gives_the_live_table_and_says_what_it_did() {
    use hookyard_core::ingest::receive::{IngestConfig, Ingestor};
    use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
    use hookyard_core::ingest::signature::sign;
    use hookyard_core::payments::{projector, PaymentFilter};
    use hookyard_core::store::{testing, NewSource};
    for db in testing::all().await {
        let l = db.label;
        let now = hookyard_core::time::now_ms();
        db.store
            .create_source(
                &NewSource {
                    slug: "stripe".into(),
                    name: "Stripe".into(),
                    scheme: Scheme::Stripe,
                    config: SchemeConfig::default(),
                    secret: "whsec_cli".into(),
                    tolerance_secs: 300,
                    max_body_bytes: 1 << 20,
                },
                now,
            )
            .await
            .unwrap();
        let ingestor = Ingestor::new(db.store.clone(), IngestConfig::default());
        let source = ingestor.source("stripe").await.unwrap().unwrap();
        for (id, event_type, pi, status, offset) in [
            (
                "evt_c2",
                "payment_intent.succeeded",
                "pi_c1",
                "succeeded",
                5,
            ),
            (
                "evt_c1",
                "payment_intent.created",
                "pi_c1",
                "requires_payment_method",
                0,
            ),
            (
                "evt_c3",
                "payment_intent.payment_failed",
                "pi_c2",
                "requires_payment_method",
                9,
            ),
            ("evt_c4", "customer.created", "cus_1", "", 9),
        ] {
            let body = serde_json::to_vec(&serde_json::json!({"id": id, "type": event_type,
                "created": now / 1000 + offset, "livemode": true,
                "data": {"object": {"id": pi, "amount": 990, "currency": "eur", "status": status}}}))
            .unwrap();
            let mut headers = axum::http::HeaderMap::new();
            for (k, v) in sign(
                Scheme::Stripe,
                &source.config,
                "whsec_cli",
                &body,
                now / 1000,
                "",
            ) {
                headers.insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            ingestor
                .accept(&source, &headers, body.into(), now)
                .await
                .unwrap_or_else(|r| panic!("{l}: refused {r:?}"));
        }
        projector::drain(&db.store).await.unwrap();
        let table = || async {
            let mut rows = db
                .store
                .list_payments(&PaymentFilter::default(), 100)
                .await
                .unwrap();
            for r in &mut rows {
                r.id = 0;
            }
            rows.sort_by(|a, b| a.key.cmp(&b.key));
            rows
        };
        let live = table().await;
        assert_eq!(live.len(), 2, "{l}");

        let out = db
            .configure(&mut Command::new(BIN))
            .args(["payments", "rebuild", "--database-url", &db.url])
            .env("HOOKYARD_LOG", "warn")
            .output()
            .expect("run hookyard");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{l}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("Cleared 2 payments; folding in 3 stored payment events again."),
            "{l}: {stdout}"
        );
        assert!(
            stdout.contains("Rebuilt the payments table from 3 events."),
            "{l}: {stdout}"
        );
        assert_eq!(table().await, live, "{l}");
    }
}

/// Runs `hookyard` against the test database with `input` on standard input.
fn hookyard_in(
    db: &hookyard_core::store::testing::TestDb,
    input: &str,
    args: &[&str],
) -> (bool, String) {
    use std::io::Write;
    let mut command = Command::new(BIN);
    db.configure(&mut command);
    let mut child = command
        .args(args)
        .env("HOOKYARD_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hookyard");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `hookyard user …` and `hookyard token …` as an operator uses them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_tokens_from_the_command_line() {
    use hookyard_core::access::{password, Role};
    use hookyard_core::store::testing;
    for db in testing::all().await {
        let l = db.label;
        let run = |input: &str, args: &[&str]| hookyard_in(&db, input, args);

        // A password is never a flag, and a short one is refused with the rule.
        let (ok, text) = run(
            "",
            &[
                "user",
                "add",
                "--email",
                "a@x.io",
                "--role",
                "admin",
                "--password",
                "pw",
            ],
        );
        assert!(!ok && text.contains("--password"), "{l}: {text}");
        let (ok, text) = run(
            "short\n",
            &["user", "add", "--email", "a@x.io", "--role", "admin"],
        );
        assert!(
            !ok && text.contains("at least 10 characters"),
            "{l}: {text}"
        );
        let (ok, text) = run("", &["user", "list"]);
        assert!(ok && text.contains("No users yet"), "{l}: {text}");

        let (ok, text) = run(
            "first admin pw\n",
            &["user", "add", "--email", "Ana@X.io", "--role", "admin"],
        );
        assert!(ok && text.contains("ana@x.io (admin)"), "{l}: {text}");
        let stored = db
            .store
            .access()
            .user_by_email("ana@x.io")
            .await
            .unwrap()
            .unwrap();
        assert!(stored.password_hash.starts_with("$argon2id$"), "{l}");
        assert!(
            password::verify("first admin pw".into(), Some(stored.password_hash)).await,
            "{l}"
        );
        let (ok, text) = run(
            "again again\n",
            &["user", "add", "--email", "ana@x.io", "--role", "viewer"],
        );
        assert!(!ok && text.contains("already exists"), "{l}: {text}");

        // The last admin stays an admin.
        let (ok, text) = run(
            "",
            &[
                "user", "set-role", "--email", "ana@x.io", "--role", "viewer",
            ],
        );
        assert!(!ok && text.contains("no enabled admin"), "{l}: {text}");
        let (ok, _) = run(
            "second admin pw\n",
            &["user", "add", "--email", "bo@x.io", "--role", "admin"],
        );
        assert!(ok, "{l}");
        let (ok, text) = run(
            "",
            &[
                "user", "set-role", "--email", "ana@x.io", "--role", "operator",
            ],
        );
        assert!(
            ok && text.contains("ana@x.io is now operator (was admin)"),
            "{l}: {text}"
        );
        let (ok, text) = run("", &["user", "disable", "--email", "ana@x.io"]);
        assert!(ok && text.contains("disabled"), "{l}: {text}");
        let (ok, text) = run("", &["user", "list"]);
        assert!(ok && text.contains("operator   disabled"), "{l}: {text}");
        let (ok, _) = run("", &["user", "enable", "--email", "ana@x.io"]);
        assert!(ok, "{l}");
        let (ok, text) = run(
            "a brand new pw\n",
            &["user", "reset-password", "--email", "ana@x.io"],
        );
        assert!(ok && text.contains("New password set"), "{l}: {text}");
        let stored = db
            .store
            .access()
            .user_by_email("ana@x.io")
            .await
            .unwrap()
            .unwrap();
        assert!(
            password::verify("a brand new pw".into(), Some(stored.password_hash)).await,
            "{l}"
        );
        assert_eq!(stored.user.role, Role::Operator, "{l}");
        let (ok, text) = run("", &["user", "disable", "--email", "nobody@x.io"]);
        assert!(!ok && text.contains("no user nobody@x.io"), "{l}: {text}");

        // A token is printed once; the list shows only its first characters.
        let (ok, text) = run(
            "",
            &["token", "create", "--name", "deploy", "--role", "operator"],
        );
        assert!(ok, "{l}: {text}");
        let token = text
            .split_whitespace()
            .find(|w| w.starts_with("hy_"))
            .unwrap_or_else(|| panic!("{l}: no token in {text}"))
            .to_string();
        let (ok, list) = run("", &["token", "list"]);
        assert!(
            ok && list.contains("deploy") && !list.contains(&token),
            "{l}: {list}"
        );
        assert!(list.contains(&token[..7]), "{l}: {list}");
        let found = db
            .store
            .access()
            .use_token(&hookyard_core::access::token::digest(&token), 1)
            .await
            .unwrap();
        assert_eq!(found.map(|t| t.role), Some(Role::Operator), "{l}");
        let (ok, text) = run("", &["token", "revoke", "1"]);
        assert!(ok && text.contains("revoked"), "{l}: {text}");
        let (ok, text) = run("", &["token", "revoke", "1"]);
        assert!(!ok && text.contains("no active token 1"), "{l}: {text}");

        let audit = db
            .store
            .access()
            .list_audit(&Default::default(), 50)
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
        for want in [
            "user.created",
            "user.role_changed",
            "user.disabled",
            "user.enabled",
            "user.password_reset",
            "token.created",
            "token.revoked",
        ] {
            assert!(
                actions.contains(&want),
                "{l}: {want} not audited: {actions:?}"
            );
        }
        assert!(audit.iter().all(|e| e.actor == "cli"), "{l}");
    }
}

/// `hookyard replay`: the count first (`--dry-run` changes nothing), then a bulk replay that
/// matches it, recorded with the CLI as its actor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_previews_then_starts_a_bulk_replay() {
    use hookyard_core::ingest::extract::Extracted;
    use hookyard_core::store::{testing, AttemptResult, FanoutTarget, NewEndpoint, NewEvent};
    use hookyard_core::time::now_ms;
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        common_source(s).await;
        let source = s.source_by_slug("stripe").await.unwrap().unwrap().id;
        let endpoint = s
            .create_endpoint(
                &NewEndpoint {
                    name: "ledger".into(),
                    url: "http://127.0.0.1:9/".into(),
                    description: String::new(),
                    patterns: vec!["*".into()],
                    source_id: None,
                    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
                    headers: vec![],
                    timeout_ms: 1000,
                    max_in_flight: 10,
                    retry_schedule: None,
                },
                now_ms(),
            )
            .await
            .unwrap();
        let events: Vec<NewEvent> = (0..3)
            .map(|i| NewEvent {
                source_id: source,
                provider_event_id: format!("evt_r{i}"),
                event_type: if i == 2 {
                    "invoice.paid"
                } else {
                    "charge.refunded"
                }
                .into(),
                received_at: now_ms(),
                body: b"{}".to_vec().into(),
                headers: "[]".into(),
                verified_secret_id: None,
                extracted: Extracted::default(),
                fanout: vec![FanoutTarget {
                    endpoint_id: endpoint,
                    held: false,
                }],
                payment: false,
            })
            .collect();
        s.insert_events(&events.iter().collect::<Vec<_>>())
            .await
            .unwrap();
        let claimed = s.claim_due("t", now_ms() + 60_000, 10).await.unwrap();
        let failed: Vec<AttemptResult> = claimed
            .iter()
            .map(|c| AttemptResult {
                delivery_id: c.delivery_id,
                endpoint_id: c.endpoint_id,
                number: 1,
                trigger: "initial".into(),
                actor: None,
                started_at: now_ms(),
                finished_at: now_ms(),
                duration_ms: 1,
                request_headers: "[]".into(),
                response_status: Some(500),
                response_headers: None,
                response_body: None,
                error_kind: Some("http_status".into()),
                error_message: Some("HTTP 500".into()),
                new_status: "failed".into(),
                next_attempt_at: 0,
                disable_endpoint: false,
            })
            .collect();
        s.record_attempts(
            &failed,
            "t",
            &hookyard_core::store::AttemptRules {
                disable_after_ms: i64::MAX / 4,
                ..Default::default()
            },
        )
        .await
        .unwrap();

        let run = |args: &[&str]| hookyard_in(&db, "", args);
        let id = endpoint.to_string();
        let (ok, text) = run(&[
            "replay",
            "--endpoint",
            &id,
            "--type",
            "charge.refunded",
            "--since",
            "24h",
            "--dry-run",
        ]);
        assert!(ok && text.contains("2 deliveries match"), "{l}: {text}");
        assert!(text.contains("Nothing replayed"), "{l}: {text}");
        assert_eq!(
            s.count_deliveries(None).await.unwrap(),
            3,
            "{l}: a dry run changes nothing"
        );
        let (ok, text) = run(&["replay", "--status", "succeeded"]);
        assert!(
            !ok && text.contains("--status: failed or retrying"),
            "{l}: {text}"
        );
        let (ok, text) = run(&["replay", "--endpoint", "999"]);
        assert!(!ok && text.contains("no endpoint 999"), "{l}: {text}");
        let (ok, text) = run(&["replay", "--endpoint", &id]);
        assert!(
            ok && text.contains("Bulk replay 1 started: 3 deliveries"),
            "{l}: {text}"
        );
        let job = s.bulk_replay(1).await.unwrap().unwrap();
        assert_eq!((job.total, job.actor.as_str()), (3, "cli"), "{l}");
        let audit = s.audit_entries(5).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|(_, actor, action, _, _)| actor == "cli" && action == "bulk_replay.start"),
            "{l}"
        );
    }
}

async fn common_source(store: &hookyard_core::store::SharedStore) {
    use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
    store
        .create_source(
            &hookyard_core::store::NewSource {
                slug: "stripe".into(),
                name: "Stripe".into(),
                scheme: Scheme::Stripe,
                config: SchemeConfig::default(),
                secret: "whsec_replay".into(),
                tolerance_secs: 300,
                max_body_bytes: 1 << 20,
            },
            hookyard_core::time::now_ms(),
        )
        .await
        .unwrap();
}
