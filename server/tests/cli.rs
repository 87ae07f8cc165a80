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
