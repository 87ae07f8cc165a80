//! Sustained ingest load against a real server: clients that send signed Stripe events one
//! after another and, like a provider, resend each event until it is acknowledged with a 2xx.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::time::now_ms;

/// What the clients saw.
#[derive(Default)]
pub struct Stats {
    /// Every acknowledged event id, with how many 2xx answers it got (resends after a cut
    /// connection may be acknowledged twice: once stored, then as a duplicate).
    acked: Mutex<HashMap<String, u32>>,
    /// Requests sent.
    pub sent: AtomicU64,
    /// Requests with no HTTP answer (connection refused, reset, cut by a kill).
    pub cut: AtomicU64,
    /// 503 answers (each had a Retry-After header, or it is counted in `unexpected`).
    pub unavailable: AtomicU64,
    /// Slowest 503 answer, in ms.
    pub slowest_503_ms: AtomicU64,
    /// Answers that are neither 2xx nor a proper 503: (status, body), first 20 kept.
    unexpected: Mutex<Vec<String>>,
    /// When the last 503 was answered.
    last_503: Mutex<Option<Instant>>,
}

impl Stats {
    pub fn acked(&self) -> HashMap<String, u32> {
        self.acked.lock().unwrap().clone()
    }

    pub fn unexpected(&self) -> Vec<String> {
        self.unexpected.lock().unwrap().clone()
    }

    pub fn last_503(&self) -> Option<Instant> {
        *self.last_503.lock().unwrap()
    }

    fn surprise(&self, what: String) {
        let mut all = self.unexpected.lock().unwrap();
        if all.len() < 20 {
            all.push(what);
        }
    }
}

/// Clients sending events `{prefix}{client}_{n}` to `/hooks/stripe` of the current target.
pub struct Load {
    target: Arc<RwLock<String>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    pub stats: Arc<Stats>,
}

impl Load {
    /// Starts `clients` clients against `base` (e.g. `http://127.0.0.1:3000`).
    pub fn start(base: &str, clients: usize, prefix: &str, secret: &str) -> Load {
        let target = Arc::new(RwLock::new(base.to_string()));
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Stats::default());
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        let tasks = (0..clients)
            .map(|client| {
                let (target, stop, stats, http) =
                    (target.clone(), stop.clone(), stats.clone(), http.clone());
                let (prefix, secret) = (prefix.to_string(), secret.to_string());
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while !stop.load(Ordering::SeqCst) {
                        let id = format!("{prefix}{client}_{n}");
                        send_until_acked(&http, &target, &stats, &id, &secret).await;
                        n += 1;
                    }
                })
            })
            .collect();
        Load {
            target,
            stop,
            tasks,
            stats,
        }
    }

    /// Points every client at another server (after a restart).
    pub fn retarget(&self, base: &str) {
        *self.target.write().unwrap() = base.to_string();
    }

    /// Stops sending new events; each client still gets its current event acknowledged.
    /// Panics if that takes longer than `within`.
    pub async fn finish(self, within: Duration) -> Arc<Stats> {
        self.stop.store(true, Ordering::SeqCst);
        let all = futures_util::future::join_all(self.tasks);
        tokio::time::timeout(within, all)
            .await
            .expect("every client's last event acknowledged in time")
            .into_iter()
            .for_each(|r| r.expect("client task"));
        self.stats
    }
}

/// A Stripe event of about 400 bytes, the kind the crash test sends.
pub fn stripe_event(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","object":"event","type":"charge.succeeded","livemode":false,"created":{created},"data":{{"object":{{"id":"ch_{id}","object":"charge","amount":1999,"currency":"eur","customer":"cus_load","status":"succeeded","description":"reliability suite"}}}}}}"#,
        created = now_ms() / 1000
    )
}

async fn send_until_acked(
    http: &reqwest::Client,
    target: &RwLock<String>,
    stats: &Stats,
    id: &str,
    secret: &str,
) {
    let body = stripe_event(id);
    loop {
        let base = target.read().unwrap().clone();
        let mut request = http.post(format!("{base}/hooks/stripe")).body(body.clone());
        // Signed afresh for every try, as a provider does.
        for (k, v) in sign(
            Scheme::Stripe,
            &SchemeConfig::default(),
            secret,
            body.as_bytes(),
            now_ms() / 1000,
            "",
        ) {
            request = request.header(k, v);
        }
        stats.sent.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let response = match request.send().await {
            Ok(r) => r,
            Err(_) => {
                stats.cut.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let status = response.status().as_u16();
        let retry_after = response.headers().contains_key("retry-after");
        let text = response.text().await;
        match (status, text) {
            (200, Ok(text)) if text.contains("\"accepted\"") || text.contains("\"duplicate\"") => {
                *stats
                    .acked
                    .lock()
                    .unwrap()
                    .entry(id.to_string())
                    .or_default() += 1;
                return;
            }
            (503, Ok(text)) if retry_after && text.contains("storage_unavailable") => {
                stats.unavailable.fetch_add(1, Ordering::Relaxed);
                stats
                    .slowest_503_ms
                    .fetch_max(started.elapsed().as_millis() as u64, Ordering::Relaxed);
                *stats.last_503.lock().unwrap() = Some(Instant::now());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // The answer was cut off mid-body: no acknowledgement.
            (_, Err(_)) => {
                stats.cut.fetch_add(1, Ordering::Relaxed);
            }
            (status, Ok(text)) => {
                stats.surprise(format!("{id}: {status} {text}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
