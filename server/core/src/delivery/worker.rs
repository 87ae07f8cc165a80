//! The delivery worker: leases due deliveries, POSTs each event's original body to its
//! endpoint with Standard Webhooks headers, records every attempt and schedules the next.
//! Several workers (one per `hookyard serve`) share the queue through leases.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Notify};

use super::guard::NetworkPolicy;
use super::retry::{next_step, parse_retry_after, Next, Outcome, DEFAULT_SCHEDULE_SECS};
use crate::ingest::scheme::{Scheme, SchemeConfig};
use crate::ingest::signature::sign;
use crate::store::{AttemptResult, Claimed, EndpointRecord, SharedStore};
use crate::time::{now_ms, DAY_MS};

/// How much of a response body is kept.
pub const RESPONSE_BODY_LIMIT: usize = 20 * 1024;

/// Tunables of the delivery worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Identifies this process in leases.
    pub owner: String,
    /// Deliveries in flight at once in this process, over all endpoints.
    pub max_in_flight: usize,
    /// How often to look for due deliveries when nothing wakes the worker.
    pub poll_interval: Duration,
    /// Disable an endpoint whose deliveries have all failed for this long.
    pub disable_after: Duration,
    /// Raise an "endpoint failing" alert after this many failed attempts in a row.
    pub alert_after_failures: i64,
    pub policy: NetworkPolicy,
    /// Bulk replays advance by this many deliveries per step.
    pub bulk_batch: i64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            owner: crate::ingest::samples::random_id("worker"),
            max_in_flight: 256,
            poll_interval: Duration::from_millis(500),
            disable_after: Duration::from_millis(5 * DAY_MS as u64),
            alert_after_failures: crate::alerts::DEFAULT_AFTER_FAILURES,
            policy: NetworkPolicy::default(),
            bulk_batch: 200,
        }
    }
}

/// A running worker; dropping it does not stop it, `stop` does.
pub struct WorkerHandle {
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops claiming new deliveries and waits for the ones in flight to be recorded.
    pub async fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let _ = self.task.await;
    }
}

/// Starts a worker. `wake` is notified by ingest when new deliveries are committed.
pub fn spawn(store: SharedStore, config: WorkerConfig, wake: Arc<Notify>) -> WorkerHandle {
    let stop = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(run(store, config, wake.clone(), stop.clone()));
    WorkerHandle { stop, wake, task }
}

async fn run(store: SharedStore, config: WorkerConfig, wake: Arc<Notify>, stop: Arc<AtomicBool>) {
    let poster = match Poster::new(config.policy.clone()) {
        Ok(poster) => poster,
        Err(err) => {
            tracing::error!(error = %err, "cannot build the HTTP client; deliveries stopped");
            return;
        }
    };
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (done_tx, done_rx) = mpsc::channel::<AttemptResult>(config.max_in_flight * 2);
    let recorder = tokio::spawn(record(
        store.clone(),
        config.clone(),
        done_rx,
        in_flight.clone(),
        wake.clone(),
    ));
    let endpoints = EndpointCache::default();

    while !stop.load(Ordering::SeqCst) {
        let free = config
            .max_in_flight
            .saturating_sub(in_flight.load(Ordering::SeqCst));
        let mut claimed_all = false;
        if free > 0 {
            match store.claim_due(&config.owner, now_ms(), free as i64).await {
                Ok(claimed) => {
                    claimed_all = claimed.len() == free;
                    for c in claimed {
                        in_flight.fetch_add(1, Ordering::SeqCst);
                        let job = Job {
                            store: store.clone(),
                            poster: poster.clone(),
                            endpoints: endpoints.clone(),
                            done: done_tx.clone(),
                        };
                        tokio::spawn(job.deliver(c));
                    }
                }
                Err(err) => tracing::warn!(error = %err, "claiming deliveries failed"),
            }
        }
        advance_bulk_replays(&store, config.bulk_batch).await;
        if !claimed_all {
            let _ = tokio::time::timeout(config.poll_interval, wake.notified()).await;
        }
    }
    drop(done_tx);
    let _ = recorder.await;
}

async fn advance_bulk_replays(store: &SharedStore, batch: i64) {
    let Ok(running) = store.running_bulk_replays().await else {
        return;
    };
    for id in running {
        if let Err(err) = store.step_bulk_replay(id, batch, now_ms()).await {
            tracing::warn!(error = %err, bulk_replay = id, "bulk replay step failed");
        }
    }
}

/// Group-commits finished attempts, then frees their in-flight slots.
async fn record(
    store: SharedStore,
    config: WorkerConfig,
    mut done: mpsc::Receiver<AttemptResult>,
    in_flight: Arc<AtomicUsize>,
    wake: Arc<Notify>,
) {
    let rules = crate::store::AttemptRules {
        disable_after_ms: config.disable_after.as_millis() as i64,
        alert_after_failures: config.alert_after_failures,
    };
    while let Some(first) = done.recv().await {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match done.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        // A failed commit leaves the leases to expire; the deliveries are then tried again.
        let recorded = store.record_attempts(&batch, &config.owner, &rules).await;
        if recorded.is_ok() {
            for a in &batch {
                let failed = a.error_kind.is_some();
                crate::metrics::attempt_recorded(
                    a.endpoint_id,
                    &a.new_status,
                    failed,
                    a.duration_ms,
                );
            }
        }
        if let Err(err) = recorded {
            tracing::error!(error = %err, attempts = batch.len(), "attempts not recorded; they will be retried when their leases expire");
        }
        in_flight.fetch_sub(batch.len(), Ordering::SeqCst);
        wake.notify_one();
    }
}

/// Endpoint settings, cached for two seconds (they change rarely; a change shows up fast).
#[derive(Clone, Default)]
struct EndpointCache(Arc<Mutex<HashMap<i64, CachedEndpoint>>>);

/// An endpoint as read at a time.
type CachedEndpoint = (Instant, Arc<EndpointRecord>);

impl EndpointCache {
    async fn get(
        &self,
        store: &SharedStore,
        id: i64,
    ) -> Result<Option<Arc<EndpointRecord>>, String> {
        let hit = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .filter(|(at, _)| at.elapsed() < Duration::from_secs(2))
            .map(|(_, e)| e.clone());
        if hit.is_some() {
            return Ok(hit);
        }
        let found = store
            .endpoint(id)
            .await
            .map_err(|e| e.to_string())?
            .map(Arc::new);
        if let Some(e) = &found {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id, (Instant::now(), e.clone()));
        }
        Ok(found)
    }
}

struct Job {
    store: SharedStore,
    poster: Poster,
    endpoints: EndpointCache,
    done: mpsc::Sender<AttemptResult>,
}

/// One attempt's raw result, before scheduling.
struct Tried {
    request_headers: Vec<(String, String)>,
    status: Option<u16>,
    response_headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    error: Option<(&'static str, String)>,
    retry_after: Option<Duration>,
}

impl Job {
    async fn deliver(self, c: Claimed) {
        let started_at = now_ms();
        let clock = Instant::now();
        let number = c.attempts + 1;
        let endpoint = self.endpoints.get(&self.store, c.endpoint_id).await;
        let tried = match endpoint {
            Ok(Some(endpoint)) => self.attempt(&c, &endpoint).await,
            Ok(None) => Tried::error("connect", "the endpoint no longer exists".into()),
            Err(err) => Tried::error("connect", format!("endpoint settings unavailable: {err}")),
        };
        let schedule = match self.endpoints.get(&self.store, c.endpoint_id).await {
            Ok(Some(e)) => e.endpoint.retry_schedule.clone(),
            _ => None,
        };
        let outcome = match (&tried.status, &tried.error) {
            (Some(s), None) if (200..300).contains(s) => Outcome::Success,
            (Some(410), _) => Outcome::Gone,
            (Some(s @ (429 | 503)), _) => Outcome::Backpressure {
                retry_after: tried.retry_after,
                status: *s,
            },
            (_, Some(("timeout", _))) => Outcome::Timeout,
            _ => Outcome::Failure,
        };
        let schedule = schedule.unwrap_or_else(|| DEFAULT_SCHEDULE_SECS.to_vec());
        let finished_at = now_ms();
        let (new_status, next_attempt_at, disable) =
            match next_step(number as u32, outcome, &schedule, jitter()) {
                Next::Succeeded => ("succeeded", finished_at, false),
                Next::RetryIn(delay) => ("retrying", finished_at + delay.as_millis() as i64, false),
                Next::Failed => ("failed", finished_at, false),
                Next::DisableEndpoint => ("failed", finished_at, true),
            };
        let json = |pairs: &[(String, String)]| {
            serde_json::to_string(pairs).unwrap_or_else(|_| "[]".into())
        };
        let result = AttemptResult {
            delivery_id: c.delivery_id,
            endpoint_id: c.endpoint_id,
            number,
            trigger: c.trigger.clone(),
            actor: c.actor.clone(),
            started_at,
            finished_at,
            duration_ms: clock.elapsed().as_millis() as i64,
            request_headers: json(&tried.request_headers),
            response_status: tried.status.map(i64::from),
            response_headers: tried.status.map(|_| json(&tried.response_headers)),
            response_body: tried.body,
            error_kind: tried.error.as_ref().map(|(k, _)| k.to_string()),
            error_message: tried.error.map(|(_, m)| m),
            new_status: new_status.into(),
            next_attempt_at,
            disable_endpoint: disable,
        };
        let _ = self.done.send(result).await;
    }

    async fn attempt(&self, c: &Claimed, endpoint: &EndpointRecord) -> Tried {
        let (body, stored_headers) = match self.store.event_for_delivery(c.event_id).await {
            Ok(Some((Some(body), headers))) => (body, headers),
            Ok(Some((None, _))) => {
                return Tried::error("connect", "the payload was purged by retention".into())
            }
            Ok(None) => return Tried::error("connect", "the event no longer exists".into()),
            Err(err) => return Tried::error("connect", format!("event unavailable: {err}")),
        };
        let content_type = serde_json::from_str::<Vec<(String, String)>>(&stored_headers)
            .ok()
            .and_then(|h| {
                h.into_iter()
                    .find(|(k, _)| k == "content-type")
                    .map(|(_, v)| v)
            })
            .unwrap_or_else(|| "application/json".into());
        let message_id = format!("msg_hy{}", c.delivery_id);
        self.poster
            .post(endpoint, body, content_type, &message_id)
            .await
    }
}

/// Sends signed requests to endpoints: the worker's deliveries and the dashboard's test sends.
/// No redirects are followed, and every address is checked against the network policy.
#[derive(Clone)]
pub struct Poster {
    client: reqwest::Client,
    policy: NetworkPolicy,
}

/// What a test send did, for people to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestSend {
    pub status: Option<u16>,
    pub duration_ms: i64,
    /// The start of the response body (lossy UTF-8).
    pub response_body: String,
    pub error: Option<String>,
}

impl Poster {
    pub fn new(policy: NetworkPolicy) -> Result<Self, reqwest::Error> {
        Ok(Self {
            client: http_client(policy.clone())?,
            policy,
        })
    }

    /// Posts a `hookyard.test` event, signed like every delivery, and reports the answer.
    /// Nothing is stored: it checks the URL, the network path and the handler's signature check.
    pub async fn send_test(&self, endpoint: &EndpointRecord) -> TestSend {
        let now = now_ms();
        let body = serde_json::json!({
            "type": "hookyard.test",
            "id": format!("evt_test_{now}"),
            "created": now / 1000,
            "data": {"message": "A test event sent from the Hookyard dashboard.", "endpoint": endpoint.endpoint.name},
        })
        .to_string()
        .into_bytes();
        let clock = Instant::now();
        let tried = self
            .post(
                endpoint,
                body,
                "application/json".into(),
                &format!("msg_hytest{now}"),
            )
            .await;
        TestSend {
            status: tried.status,
            duration_ms: clock.elapsed().as_millis() as i64,
            response_body: String::from_utf8_lossy(&tried.body.unwrap_or_default()[..])
                .chars()
                .take(2000)
                .collect(),
            error: tried.error.map(|(_, message)| message),
        }
    }

    /// Posts an alert to the alert URL, signed like every delivery with `secret`. Ok: the
    /// status of a 2xx answer; Err: what went wrong, for people to read.
    pub async fn send_alert(
        &self,
        url: &str,
        secret: &str,
        body: Vec<u8>,
        message_id: &str,
    ) -> Result<u16, String> {
        let destination = EndpointRecord {
            endpoint: crate::model::Endpoint {
                id: 0,
                name: "alerts".into(),
                url: url.into(),
                description: String::new(),
                patterns: Vec::new(),
                source_id: None,
                state: "enabled".into(),
                state_reason: String::new(),
                headers: Vec::new(),
                timeout_ms: 10_000,
                max_in_flight: 1,
                retry_schedule: None,
                failing_since: None,
                created_at: 0,
            },
            secret: secret.into(),
        };
        let tried = self
            .post(&destination, body, "application/json".into(), message_id)
            .await;
        match (tried.status, tried.error) {
            (Some(status), None) if (200..300).contains(&status) => Ok(status),
            (Some(status), _) => Err(format!("the alert URL answered HTTP {status}")),
            (None, Some((_, message))) => Err(message),
            (None, None) => Err("no answer".into()),
        }
    }

    async fn post(
        &self,
        endpoint: &EndpointRecord,
        body: Vec<u8>,
        content_type: String,
        message_id: &str,
    ) -> Tried {
        let url = match url::Url::parse(&endpoint.endpoint.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            _ => {
                return Tried::error(
                    "connect",
                    format!("invalid endpoint URL {:?}", endpoint.endpoint.url),
                )
            }
        };
        // An address written in the URL is not resolved, so it is vetted here.
        if let Some(host) = url.host_str() {
            if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
                if let Err(why) = self.policy.check(ip) {
                    return Tried::error("blocked", why);
                }
            }
        }
        let mut headers = vec![
            ("content-type".to_string(), content_type),
            (
                "user-agent".to_string(),
                concat!("Hookyard/", env!("CARGO_PKG_VERSION")).to_string(),
            ),
        ];
        headers.extend(sign(
            Scheme::Standard,
            &SchemeConfig::default(),
            &endpoint.secret,
            &body,
            now_ms() / 1000,
            message_id,
        ));
        // An extra header replaces a default of the same name (content-type, user-agent).
        let extra = &endpoint.endpoint.headers;
        headers.retain(|(name, _)| !extra.iter().any(|(n, _)| n == name));
        headers.extend(extra.iter().cloned());
        let mut request = self
            .client
            .post(url)
            .timeout(Duration::from_millis(
                endpoint.endpoint.timeout_ms.max(1) as u64
            ))
            .body(body);
        for (k, v) in &headers {
            request = request.header(k, v);
        }
        // Extra headers often carry credentials: the attempt log keeps their names only.
        let recorded = headers
            .into_iter()
            .map(|(name, value)| {
                if extra.iter().any(|(n, _)| *n == name) {
                    (name, "••••".to_string())
                } else {
                    (name, value)
                }
            })
            .collect();
        let mut tried = Tried {
            request_headers: recorded,
            status: None,
            response_headers: Vec::new(),
            body: None,
            error: None,
            retry_after: None,
        };
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(err) => {
                tried.error = Some(classify(&err));
                return tried;
            }
        };
        let status = response.status().as_u16();
        tried.status = Some(status);
        tried.response_headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        tried.retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now_ms() / 1000));
        let mut kept = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = RESPONSE_BODY_LIMIT - kept.len();
                    kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if kept.len() >= RESPONSE_BODY_LIMIT {
                        break;
                    }
                }
                Ok(None) => break,
                Err(err) => {
                    if err.is_timeout() && !(200..300).contains(&status) {
                        tried.error =
                            Some(("timeout", "the response body did not arrive in time".into()));
                    }
                    break;
                }
            }
        }
        tried.body = Some(kept);
        if !(200..300).contains(&status) {
            let why = if (300..400).contains(&status) {
                format!("answered {status} (redirects are not followed)")
            } else {
                format!("answered {status}")
            };
            tried.error = tried.error.or(Some(("http_status", why)));
        }
        tried
    }
}

impl Tried {
    fn error(kind: &'static str, message: String) -> Self {
        Tried {
            request_headers: Vec::new(),
            status: None,
            response_headers: Vec::new(),
            body: None,
            error: Some((kind, message)),
            retry_after: None,
        }
    }
}

/// A random number in [0, 1) for retry jitter.
fn jitter() -> f64 {
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

/// Refused by the network policy, raised from the resolver.
#[derive(Debug)]
struct Blocked(String);

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Blocked {}

/// The name did not resolve.
#[derive(Debug)]
struct DnsFailed(String);

impl std::fmt::Display for DnsFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for DnsFailed {}

/// Resolves names, then keeps only addresses the policy allows: the connection goes to a
/// vetted address, never to one a second lookup might return.
struct GuardedResolver {
    policy: NetworkPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| {
                    Box::new(DnsFailed(format!("cannot resolve {host}: {e}")))
                        as Box<dyn std::error::Error + Send + Sync>
                })?
                .collect();
            let mut refusal = None;
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match policy.check(a.ip()) {
                    Ok(()) => true,
                    Err(why) => {
                        refusal = Some(why);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let why = refusal.unwrap_or_else(|| format!("{host} has no address"));
                return Err(Box::new(Blocked(format!("{host}: {why}")))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client deliveries use: no redirects, no proxies from the environment, guarded DNS.
pub fn http_client(policy: NetworkPolicy) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
}

/// Sorts a failed request into an error kind and a message for people.
fn classify(err: &reqwest::Error) -> (&'static str, String) {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(b) = e.downcast_ref::<Blocked>() {
            return ("blocked", b.0.clone());
        }
        if let Some(d) = e.downcast_ref::<DnsFailed>() {
            return ("dns", d.0.clone());
        }
        source = e.source();
    }
    let text = error_chain(err);
    if err.is_timeout() {
        ("timeout", "no answer within the endpoint's timeout".into())
    } else if text.contains("certificate") || text.contains("tls") || text.contains("TLS") {
        ("tls", text)
    } else {
        ("connect", text)
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = e.source();
    }
    text
}
