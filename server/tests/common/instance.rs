//! Real `hookyard serve` processes for the process-level tests (crash, faults, hostile input).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use hookyard_core::store::testing::TestDb;

/// A `hookyard serve` process, killed (SIGKILL) when dropped. Its log (stderr) goes to a file
/// that [`Instance::log_tail`] reads, so a failing test can show what the server said.
pub struct Instance {
    child: Child,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub addr: std::net::SocketAddr,
    log: PathBuf,
}

impl Instance {
    /// Starts `hookyard serve` on a free loopback port against the test database.
    pub fn start(db: &TestDb) -> Instance {
        Self::start_with(db, &db.url, &[])
    }

    /// Against `database_url` (the test database reached another way, e.g. through a proxy),
    /// with the test database's master key.
    pub fn start_at(db: &TestDb, database_url: &str) -> Instance {
        Self::start_with(db, database_url, &[])
    }

    /// Like [`Instance::start_at`], with extra environment variables.
    pub fn start_with(db: &TestDb, database_url: &str, env: &[(&str, &str)]) -> Instance {
        let log = std::env::temp_dir().join(format!(
            "hookyard_instance_{}_{}.log",
            std::process::id(),
            hookyard_core::time::now_ms()
        ));
        let mut command = Command::new(env!("CARGO_BIN_EXE_hookyard"));
        db.configure(&mut command);
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", database_url)
            .env("HOOKYARD_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("instance log file"));
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn hookyard serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the first line of hookyard serve");
        let base = match line.trim().strip_prefix("Hookyard is running at ") {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => panic!(
                "unexpected first line {line:?}; log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
        };
        let addr = base
            .trim_start_matches("http://")
            .parse()
            .expect("a socket address");
        Instance {
            child,
            base,
            addr,
            log,
        }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in KiB (Linux), for bounds on what a hostile client can make it hold.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// The last `n` lines the server logged.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
