//! Plain data shared by the server and the browser (serialised through server functions).

use serde::{Deserialize, Serialize};

/// The figures on the Overview page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Events stored, all time.
    pub events_total: i64,
    /// Events received in the last 24 hours.
    pub events_24h: i64,
    /// Requests refused in the last 24 hours.
    pub rejections_24h: i64,
    /// Configured sources.
    pub sources: i64,
    /// The last 24 hours, oldest first, one bucket per hour.
    pub hourly: Vec<HourBucket>,
    /// Delivery attempts in the last 24 hours, and how many of them failed.
    #[serde(default)]
    pub attempts_24h: i64,
    #[serde(default)]
    pub failed_attempts_24h: i64,
    /// Deliveries waiting for an automatic retry.
    #[serde(default)]
    pub retrying: i64,
    /// Deliveries whose attempts are exhausted.
    #[serde(default)]
    pub failed: i64,
    /// Endpoints currently failing or disabled.
    #[serde(default)]
    pub failing_endpoints: i64,
    /// The newest failed attempts.
    #[serde(default)]
    pub recent_failures: Vec<RecentFailure>,
}

/// A failed attempt for the Overview's list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecentFailure {
    pub at: i64,
    pub event_id: i64,
    pub endpoint: String,
    pub error: String,
}

/// Counts for one hour of the Overview chart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HourBucket {
    /// Start of the hour, milliseconds since the Unix epoch (UTC).
    pub start_ms: i64,
    pub events: i64,
    pub rejections: i64,
    /// Delivery attempts that failed in this hour.
    #[serde(default)]
    pub failed_attempts: i64,
}

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// A configured inbound source, as lists and the dashboard show it (no secret material).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub scheme: String,
    pub tolerance_secs: i64,
    pub max_body_bytes: i64,
    pub created_at: i64,
    /// Secrets currently accepted (the current one plus rotated-out ones not yet expired).
    pub active_secrets: i64,
}

/// An accepted event as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    pub id: i64,
    pub source_id: i64,
    pub provider_event_id: String,
    pub event_type: String,
    pub received_at: i64,
    pub body_size: i64,
    pub duplicate_count: i64,
    pub livemode: Option<bool>,
}

/// A refused request as the rejections log shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectionSummary {
    pub id: i64,
    pub source_slug: String,
    pub reason: String,
    /// JSON: the diagnosis (missing header, skew, ...).
    pub detail: String,
    pub body_size: i64,
    pub received_at: i64,
}

/// A handler endpoint as lists, forms and the API show it (the secret is never included).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub description: String,
    pub patterns: Vec<String>,
    pub source_id: Option<i64>,
    /// `enabled`, `paused` or `disabled`.
    pub state: String,
    /// Why it is paused or disabled (empty when enabled).
    pub state_reason: String,
    pub headers: Vec<(String, String)>,
    pub timeout_ms: i64,
    pub max_in_flight: i64,
    /// Delays in seconds after each failed try; None = the default schedule.
    pub retry_schedule: Option<Vec<u64>>,
    pub failing_since: Option<i64>,
    pub created_at: i64,
}

/// One (event, endpoint) delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    pub event_id: i64,
    pub endpoint_id: i64,
    /// `pending`, `in_flight`, `succeeded`, `retrying`, `failed`, `held` or `cancelled`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One HTTP try of a delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub id: i64,
    pub delivery_id: i64,
    pub number: i64,
    /// `initial`, `automatic`, `manual` or `bulk`.
    pub trigger: String,
    pub actor: Option<String>,
    pub started_at: i64,
    pub duration_ms: i64,
    pub request_headers: Vec<(String, String)>,
    pub response_status: Option<i64>,
    pub response_headers: Vec<(String, String)>,
    /// The first 20 KB of the response body, as text (lossy).
    pub response_body: Option<String>,
    /// `timeout`, `connect`, `dns`, `tls`, `http_status` or `blocked`.
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
}

impl Attempt {
    /// Drops the request and response data (what a viewer may not see).
    pub fn withhold_payload(&mut self) {
        self.request_headers.clear();
        self.response_headers.clear();
        self.response_body = None;
    }
}

/// What a bulk replay selects: deliveries by endpoint, event type, status and time window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplayFilter {
    pub endpoint_id: Option<i64>,
    pub event_type: Option<String>,
    pub status: Option<String>,
    /// Event received at or after (ms).
    pub from: Option<i64>,
    /// Event received before (ms).
    pub to: Option<i64>,
}

/// A bulk replay's progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkReplay {
    pub id: i64,
    pub filter: ReplayFilter,
    pub total: i64,
    pub done: i64,
    /// `running`, `finished` or `cancelled`.
    pub state: String,
    pub actor: String,
    pub created_at: i64,
}

/// Filters of the Events page (all optional; they combine with AND).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Source slug.
    pub source: Option<String>,
    /// Exact type, or a prefix pattern like `charge.*`.
    pub event_type: Option<String>,
    /// Events with at least one delivery in this status.
    pub delivery_status: Option<String>,
    /// The provider's event id or object id (exact).
    pub provider_id: Option<String>,
    /// Bytes that must appear in the payload.
    pub search: Option<String>,
    /// Received at or after (ms).
    pub from: Option<i64>,
    /// Received before (ms).
    pub to: Option<i64>,
    /// Keyset cursor: continue after this (received_at, id).
    pub before: Option<(i64, i64)>,
}

/// A keyset cursor (newest-first lists of events and payments) as it appears in URLs and the
/// API: `{time}_{id}`.
pub fn format_cursor((at, id): (i64, i64)) -> String {
    format!("{at}_{id}")
}

/// The cursor [`format_cursor`] wrote, or `None`.
pub fn parse_cursor(text: &str) -> Option<(i64, i64)> {
    let (at, id) = text.trim().split_once('_')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

impl EventFilter {
    /// The Events page's time ranges (`1h`, `24h`, `7d`, `30d`) in milliseconds; anything else
    /// is all time.
    pub fn range_ms(range: &str) -> Option<i64> {
        const HOUR: i64 = 3_600_000;
        match range {
            "1h" => Some(HOUR),
            "24h" => Some(24 * HOUR),
            "7d" => Some(7 * 24 * HOUR),
            "30d" => Some(30 * 24 * HOUR),
            _ => None,
        }
    }

    /// A payload search without a time range looks at the last 24 hours only, so that it stays
    /// fast on large stores. Returns whether it narrowed the filter so.
    pub fn limit_search(&mut self, now_ms: i64) -> bool {
        let narrowed = self.search.is_some() && self.from.is_none();
        if narrowed {
            self.from = Some(now_ms - 24 * 3_600_000);
        }
        narrowed
    }
}

/// One row of the Events page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub source: String,
    pub provider_event_id: String,
    pub event_type: String,
    pub received_at: i64,
    pub livemode: Option<bool>,
    pub duplicate_count: i64,
    pub deliveries_total: i64,
    pub deliveries_succeeded: i64,
    pub deliveries_failing: i64,
    pub deliveries_pending: i64,
}

/// Everything the event detail page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventDetail {
    pub row: EventRow,
    pub scheme: String,
    /// The body as text (lossy UTF-8); None once retention purged it.
    pub body: Option<String>,
    pub body_size: i64,
    pub headers: Vec<(String, String)>,
    pub verified_secret_id: Option<i64>,
    pub object_id: Option<String>,
    pub object_type: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub customer: Option<String>,
    pub status: Option<String>,
    pub last_duplicate_at: Option<i64>,
    pub deliveries: Vec<DeliveryDetail>,
    /// When retention purged the body and headers (None: still stored).
    #[serde(default)]
    pub body_purged_at: Option<i64>,
    /// The body, headers and attempt contents were left out for a role without payloads.
    #[serde(default)]
    pub payload_withheld: bool,
}

impl EventDetail {
    /// The event without its contents: no body, no headers, no attempt request or response
    /// data (what a viewer may see).
    pub fn without_payload(mut self) -> Self {
        self.body = None;
        self.headers.clear();
        for delivery in &mut self.deliveries {
            for attempt in &mut delivery.attempts {
                attempt.withhold_payload();
            }
        }
        self.payload_withheld = true;
        self
    }
}

/// A delivery with its endpoint's name and its attempts, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryDetail {
    pub delivery: Delivery,
    pub endpoint_name: String,
    pub endpoint_url: String,
    pub attempts: Vec<Attempt>,
}

/// Failing deliveries of one endpoint, grouped by their last error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureGroup {
    pub endpoint_id: i64,
    pub endpoint_name: String,
    pub endpoint_state: String,
    pub error: String,
    pub retrying: i64,
    pub failed: i64,
    pub next_attempt_at: Option<i64>,
    pub latest_delivery_id: i64,
    pub latest_event_id: i64,
}

/// One event type as the Event types page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventTypeSummary {
    pub event_type: String,
    pub count: i64,
    pub last_seen: i64,
    /// The newest event of this type (a sample to open).
    pub sample_event_id: i64,
    /// Names of the endpoints whose patterns match it.
    pub subscribers: Vec<String>,
}

/// A form field the server refused, and why (shown next to the field).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// How an endpoint's deliveries went over a window (the Endpoints page shows 24 hours).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointHealth {
    pub endpoint_id: i64,
    pub attempts: i64,
    pub succeeded: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_ranges_are_the_pages() {
        assert_eq!(parse_cursor(&format_cursor((1_700, 42))), Some((1_700, 42)));
        assert_eq!(parse_cursor("17_x"), None);
        assert_eq!(parse_cursor("17"), None);
        assert_eq!(EventFilter::range_ms("1h"), Some(3_600_000));
        assert_eq!(EventFilter::range_ms("30d"), Some(30 * 86_400_000));
        assert_eq!(EventFilter::range_ms("all"), None);
        let mut search = EventFilter {
            search: Some("x".into()),
            ..Default::default()
        };
        assert!(search.limit_search(100 * 86_400_000));
        assert_eq!(search.from, Some(99 * 86_400_000));
        assert!(
            !search.limit_search(0),
            "a search with a start is left alone"
        );
    }
}
