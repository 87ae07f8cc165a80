//! A real HTTP handler server on loopback for delivery tests: records every request and
//! answers per path.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

/// One request the handler received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
pub struct Log(pub Arc<Mutex<Vec<Received>>>);

impl Log {
    pub fn all(&self) -> Vec<Received> {
        self.0.lock().unwrap().clone()
    }
    pub fn count(&self, path: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }
}

/// Starts the handler; returns its base URL and the log.
pub async fn start() -> (String, Log) {
    let log = Log::default();
    let app = Router::new()
        .route("/{*path}", post(answer))
        .with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), log)
}

async fn answer(
    State(log): State<Log>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = {
        let mut all = log.0.lock().unwrap();
        all.push(Received {
            path: path.clone(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: body.to_vec(),
        });
        all.iter().filter(|r| r.path == path).count()
    };
    match path.as_str() {
        "ok" => (StatusCode::OK, "thanks").into_response(),
        "flaky" if seen == 1 => {
            (StatusCode::INTERNAL_SERVER_ERROR, "database locked").into_response()
        }
        "flaky" => (StatusCode::OK, "ok now").into_response(),
        "fails4" if seen <= 4 => {
            (StatusCode::INTERNAL_SERVER_ERROR, "still broken").into_response()
        }
        "fails4" => (StatusCode::OK, "fixed").into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            (StatusCode::OK, "late").into_response()
        }
        "hang" => std::future::pending::<Response>().await,
        "redirect" => (StatusCode::FOUND, [("location", "/ok")], "").into_response(),
        "gone" => (StatusCode::GONE, "no longer here").into_response(),
        "busy" => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "120")],
            "slow down",
        )
            .into_response(),
        "big" => (StatusCode::INTERNAL_SERVER_ERROR, "x".repeat(100_000)).into_response(),
        "slow50" => {
            tokio::time::sleep(Duration::from_millis(50)).await;
            (StatusCode::OK, "ok").into_response()
        }
        "slow200" => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            (StatusCode::OK, "ok").into_response()
        }
        _ => (StatusCode::OK, "ok").into_response(),
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Checks a signed request with the npm `standardwebhooks` library (end2end/clients).
pub fn verify_with_standardwebhooks(got: &Received, secret: &str) {
    use std::path::PathBuf;
    use std::process::Command;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile_dir();
    let body = dir.join("body");
    let headers = dir.join("headers");
    std::fs::write(&body, &got.body).unwrap();
    let map: serde_json::Map<String, serde_json::Value> = got
        .headers
        .iter()
        .filter(|(k, _)| k.starts_with("webhook-"))
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    std::fs::write(&headers, serde_json::to_vec(&map).unwrap()).unwrap();
    let out = Command::new("node")
        .arg(root.join("end2end/clients/verify-standard.mjs"))
        .args([secret, body.to_str().unwrap(), headers.to_str().unwrap()])
        .output()
        .expect("node runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "standardwebhooks rejected our signature: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh directory of its own for one check's files.
fn tempfile_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "hy-verify-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
