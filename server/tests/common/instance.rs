//! A real `hookyard serve` process for tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use hookyard_core::store::testing::TestDb;

/// A `hookyard serve` process, killed (SIGKILL) when dropped.
pub struct Instance {
    pub child: Child,
    pub base: String,
}

impl Instance {
    pub fn start(db: &TestDb) -> Instance {
        let mut child = db
            .configure(&mut Command::new(env!("CARGO_BIN_EXE_hookyard")))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("HOOKYARD_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn hookyard serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("Hookyard is running at ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .trim_end_matches('/')
            .to_string();
        Instance { child, base }
    }

    pub fn kill(mut self) {
        let _ = self.child.kill(); // SIGKILL: no shutdown code runs
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
