//! The inbound pipeline behind `POST /hooks/{slug}`: find the source, verify, identify,
//! store (group commit), or log a rejection with its diagnosis.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::HeaderMap;

use super::diagnose::diagnose;
use super::extract::{extract, identify, parse_body};
use super::signature::{verify, Candidate};
use super::writer::{EventWriter, WriteError};
use crate::store::{
    EndpointRecord, FanoutTarget, NewEvent, NewRejection, SharedStore, SourceRecord, StoreError,
    Stored,
};

/// How much of a refused body is kept for diagnosis.
pub const REJECTION_BODY_PREFIX: usize = 64 * 1024;
/// The default body limit of a source, and the most any source may allow.
pub const DEFAULT_MAX_BODY: i64 = 2 * 1024 * 1024;
pub const MAX_BODY_LIMIT: i64 = 25 * 1024 * 1024;
/// Default signed-timestamp tolerance.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Headers whose values are credentials: stored and shown masked.
const MASKED_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
];

/// Tunables of the inbound side.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Rejections kept; older ones are deleted.
    pub rejections_max: i64,
    /// Rejections logged per source per minute (bursts up to this many); the rest are
    /// counted in the log line only, so a flood cannot fill the disk.
    pub rejections_per_minute: u32,
    /// How long a source's settings are cached (other instances' changes show up after this).
    pub source_cache_ttl: Duration,
    /// Parallel event writers (1 suits SQLite).
    pub writers: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            rejections_max: 10_000,
            rejections_per_minute: 60,
            source_cache_ttl: Duration::from_secs(2),
            writers: 1,
        }
    }
}

/// A stored event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub event_id: i64,
    pub duplicate: bool,
}

/// A refused request: the HTTP status, a machine-readable reason and a short message that
/// never contains secret material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub reason: &'static str,
    pub message: String,
}

impl Refused {
    fn unavailable() -> Self {
        Refused {
            status: 503,
            reason: "storage_unavailable",
            message: "the event could not be stored; retry later".into(),
        }
    }
}

/// A source looked up at a time (None: no such source).
type CachedSource = (Instant, Option<Arc<SourceRecord>>);

/// The inbound service; one per process, shared by all requests.
pub struct Ingestor {
    store: SharedStore,
    writer: EventWriter,
    config: IngestConfig,
    sources: Mutex<HashMap<String, CachedSource>>,
    limiter: Mutex<HashMap<String, Bucket>>,
    rejections_logged: std::sync::atomic::AtomicU64,
    endpoints: Mutex<Option<(Instant, Arc<Vec<EndpointRecord>>)>>,
    /// Woken when new deliveries were committed, so this process's worker starts at once.
    pub deliveries_ready: Arc<tokio::sync::Notify>,
    /// Woken when payment events were queued, so this process's projector folds them in.
    pub payments_ready: Arc<tokio::sync::Notify>,
}

impl Ingestor {
    /// Starts the event writers.
    pub fn new(store: SharedStore, config: IngestConfig) -> Self {
        let writer = EventWriter::spawn(store.clone(), config.writers);
        Self {
            store,
            writer,
            config,
            sources: Mutex::new(HashMap::new()),
            limiter: Mutex::new(HashMap::new()),
            rejections_logged: Default::default(),
            endpoints: Mutex::new(None),
            deliveries_ready: Arc::new(tokio::sync::Notify::new()),
            payments_ready: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The deliveries a new event of `event_type` from `source_id` gets: one per enabled or
    /// paused endpoint whose patterns (and source filter) match. Endpoint settings are cached
    /// as long as sources are.
    pub async fn fanout_for(
        &self,
        source_id: i64,
        event_type: &str,
    ) -> Result<Vec<FanoutTarget>, StoreError> {
        let cached = lock(&self.endpoints)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < self.config.source_cache_ttl)
            .map(|(_, list)| list.clone());
        let endpoints = match cached {
            Some(list) => list,
            None => {
                let list = Arc::new(self.store.endpoints().await?);
                *lock(&self.endpoints) = Some((Instant::now(), list.clone()));
                list
            }
        };
        let ids = crate::delivery::subscribers(
            endpoints.iter().map(|r| &r.endpoint),
            source_id,
            event_type,
        );
        Ok(endpoints
            .iter()
            .filter(|r| ids.contains(&r.endpoint.id))
            .map(|r| FanoutTarget {
                endpoint_id: r.endpoint.id,
                held: r.endpoint.state == "paused",
            })
            .collect())
    }

    /// Forgets cached endpoint settings (after a change made by this process).
    pub fn forget_endpoints(&self) {
        *lock(&self.endpoints) = None;
    }

    /// The source at `slug` (cached briefly, unknown slugs included).
    pub async fn source(&self, slug: &str) -> Result<Option<Arc<SourceRecord>>, StoreError> {
        if !valid_slug(slug) {
            return Ok(None);
        }
        let now = Instant::now();
        if let Some((at, hit)) = lock(&self.sources).get(slug) {
            if now.duration_since(*at) < self.config.source_cache_ttl {
                return Ok(hit.clone());
            }
        }
        let found = self.store.source_by_slug(slug).await?.map(Arc::new);
        let mut cache = lock(&self.sources);
        if cache.len() > 10_000 {
            cache.clear(); // a flood of random slugs must not grow memory without bound
        }
        cache.insert(slug.to_string(), (now, found.clone()));
        Ok(found)
    }

    /// Forgets cached source settings (after a change made by this process).
    pub fn forget_source(&self, slug: &str) {
        lock(&self.sources).remove(slug);
    }

    /// Verifies and stores one request for `source`. The caller has enforced the body limit.
    pub async fn accept(
        &self,
        source: &SourceRecord,
        headers: &HeaderMap,
        body: Bytes,
        now_ms: i64,
    ) -> Result<Accepted, Refused> {
        let now_secs = now_ms.div_euclid(1000);
        let active: Vec<Candidate<'_>> = source
            .secrets
            .iter()
            .filter(|s| s.expires_at.is_none_or(|exp| exp > now_ms))
            .map(|s| Candidate {
                id: s.id,
                secret: &s.secret,
            })
            .collect();
        let secret_id = match verify(
            source.scheme,
            &source.config,
            &active,
            headers,
            &body,
            now_secs,
            source.tolerance_secs,
        ) {
            Ok(id) => id,
            Err(refusal) => {
                let d = diagnose(
                    source.scheme,
                    &source.config,
                    &source.secrets,
                    headers,
                    &body,
                    now_secs,
                    &refusal,
                );
                let detail = serde_json::json!({ "refusal": refusal, "diagnosis": d });
                let message = match &refusal {
                    super::signature::Refusal::MissingHeader { header } => {
                        format!("missing header {header}")
                    }
                    super::signature::Refusal::StaleTimestamp {
                        skew_secs,
                        tolerance_secs,
                    } => format!(
                        "timestamp is {} s off, tolerance is {tolerance_secs} s",
                        skew_secs.abs()
                    ),
                    super::signature::Refusal::MalformedHeader { header, problem } => {
                        format!("{header}: {problem}")
                    }
                    super::signature::Refusal::NoSupportedSignature { header } => {
                        format!("{header} has no v1 signature")
                    }
                    super::signature::Refusal::InvalidTimestamp => {
                        "the signed timestamp is not a number".into()
                    }
                    super::signature::Refusal::SignatureMismatch => "no signature matches".into(),
                };
                return Err(self
                    .refuse(
                        Some(source),
                        &source.slug,
                        400,
                        refusal.code(),
                        message,
                        detail,
                        headers,
                        &body,
                        body.len(),
                    )
                    .await);
            }
        };
        // Parsed only now that the bytes are known to come from the sender.
        let parsed = parse_body(source.scheme, &body).and_then(|json| {
            identify(source.scheme, &source.config, headers, &body, json.as_ref())
                .map(|id| (id, json))
        });
        let (identity, json) = match parsed {
            Ok(ok) => ok,
            Err(problem) => {
                let message = match &problem {
                    super::extract::Unidentified::InvalidJson { problem } => {
                        format!("body is not JSON: {problem}")
                    }
                    super::extract::Unidentified::MissingEventId { hint }
                    | super::extract::Unidentified::MissingEventType { hint } => {
                        format!("{}: {hint}", problem.code())
                    }
                };
                let detail = serde_json::json!({ "refusal": problem });
                return Err(self
                    .refuse(
                        Some(source),
                        &source.slug,
                        400,
                        problem.code(),
                        message,
                        detail,
                        headers,
                        &body,
                        body.len(),
                    )
                    .await);
            }
        };
        let fanout = match self.fanout_for(source.id, &identity.event_type).await {
            Ok(fanout) => fanout,
            Err(err) => {
                tracing::error!(error = %err, "endpoint lookup failed");
                return Err(Refused::unavailable());
            }
        };
        let has_deliveries = !fanout.is_empty();
        let payment = crate::payments::PaymentMapping::for_source(source.scheme, &source.config)
            .is_some_and(|mapping| mapping.reads(&identity.event_type));
        let event = NewEvent {
            fanout,
            payment,
            source_id: source.id,
            provider_event_id: identity.provider_event_id,
            event_type: identity.event_type,
            received_at: now_ms,
            extracted: extract(json.as_ref()),
            headers: headers_json(headers),
            verified_secret_id: Some(secret_id),
            body,
        };
        match self.writer.write(event).await {
            Ok(Stored::New(id)) => {
                if has_deliveries {
                    self.deliveries_ready.notify_one();
                }
                if payment {
                    self.payments_ready.notify_one();
                }
                Ok(Accepted {
                    event_id: id,
                    duplicate: false,
                })
            }
            Ok(Stored::Duplicate(id)) => Ok(Accepted {
                event_id: id,
                duplicate: true,
            }),
            Err(WriteError::Store(err)) => {
                tracing::error!(error = %err, source = %source.slug, "event not stored");
                Err(Refused::unavailable())
            }
            Err(WriteError::Stopped) => Err(Refused::unavailable()),
        }
    }

    /// A request for a slug that names no source.
    pub async fn refuse_unknown_source(
        &self,
        slug: &str,
        headers: &HeaderMap,
        body_prefix: &[u8],
        body_size: usize,
    ) -> Refused {
        let shown: String = slug.chars().take(64).collect();
        self.refuse(
            None,
            &shown,
            404,
            "unknown_source",
            format!("no source named {shown:?}"),
            serde_json::json!({}),
            headers,
            body_prefix,
            body_size,
        )
        .await
    }

    /// A body over the source's limit (only its first bytes were read).
    pub async fn refuse_too_large(
        &self,
        source: &SourceRecord,
        headers: &HeaderMap,
        body_prefix: &[u8],
        body_size: usize,
    ) -> Refused {
        let message = format!(
            "body exceeds this source's limit of {} bytes",
            source.max_body_bytes
        );
        let detail = serde_json::json!({ "limit": source.max_body_bytes });
        self.refuse(
            Some(source),
            &source.slug,
            413,
            "body_too_large",
            message,
            detail,
            headers,
            body_prefix,
            body_size,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn refuse(
        &self,
        source: Option<&SourceRecord>,
        slug: &str,
        status: u16,
        reason: &'static str,
        message: String,
        detail: serde_json::Value,
        headers: &HeaderMap,
        body: &[u8],
        body_size: usize,
    ) -> Refused {
        // Unknown slugs share one budget, so random slugs cannot multiply it.
        let key = source.map_or("\0unknown", |s| s.slug.as_str());
        if self.allow_log(key) {
            let rejection = NewRejection {
                source_id: source.map(|s| s.id),
                source_slug: slug.to_string(),
                reason: reason.to_string(),
                detail: detail.to_string(),
                headers: headers_json(headers),
                body_prefix: body[..body.len().min(REJECTION_BODY_PREFIX)].to_vec(),
                body_size: body_size as i64,
                received_at: crate::time::now_ms(),
            };
            if let Err(err) = self.store.insert_rejection(&rejection).await {
                tracing::warn!(error = %err, "rejection not logged");
            }
            let logged = self
                .rejections_logged
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if logged % 100 == 99 {
                if let Err(err) = self.store.trim_rejections(self.config.rejections_max).await {
                    tracing::warn!(error = %err, "rejections not trimmed");
                }
            }
        }
        tracing::info!(source = slug, status, reason, "request refused");
        Refused {
            status,
            reason,
            message,
        }
    }

    fn allow_log(&self, key: &str) -> bool {
        let per_minute = f64::from(self.config.rejections_per_minute.max(1));
        let mut buckets = lock(&self.limiter);
        if buckets.len() > 10_000 {
            buckets.clear();
        }
        buckets
            .entry(key.to_string())
            .or_insert_with(|| Bucket {
                tokens: per_minute,
                at: Instant::now(),
            })
            .take(per_minute)
    }
}

/// A token bucket: `capacity` tokens, refilled at `capacity` per minute.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self, capacity: f64) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * capacity / 60.0;
        self.tokens = (self.tokens + refill).min(capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Slugs are short lower-case names: letters, digits, `-` and `_`.
pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Headers as a JSON array of `[name, value]`, credentials masked, non-UTF-8 made lossy.
pub fn headers_json(headers: &HeaderMap) -> String {
    let pairs: Vec<(&str, String)> = headers
        .iter()
        .map(|(name, value)| {
            let shown = if MASKED_HEADERS.contains(&name.as_str()) {
                "***".to_string()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str(), shown)
        })
        .collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plain_names() {
        assert!(valid_slug("stripe"));
        assert!(valid_slug("shop-eu_2"));
        for bad in [
            "",
            "..",
            "../etc",
            "Stripe",
            "a/b",
            "a b",
            "é",
            &"a".repeat(65),
        ] {
            assert!(!valid_slug(bad), "{bad:?}");
        }
    }

    #[test]
    fn credentials_are_masked_in_stored_headers() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer hunter2".parse().unwrap());
        h.insert("stripe-signature", "t=1,v1=ab".parse().unwrap());
        let json = headers_json(&h);
        assert!(!json.contains("hunter2"));
        assert!(json.contains("t=1,v1=ab"));
    }

    #[test]
    fn the_rejection_budget_refills() {
        let mut b = Bucket {
            tokens: 2.0,
            at: Instant::now(),
        };
        assert!(b.take(2.0));
        assert!(b.take(2.0));
        assert!(!b.take(2.0));
        b.at -= Duration::from_secs(30);
        assert!(b.take(2.0));
    }
}
