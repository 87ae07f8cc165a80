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
}

/// Counts for one hour of the Overview chart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HourBucket {
    /// Start of the hour, milliseconds since the Unix epoch (UTC).
    pub start_ms: i64,
    pub events: i64,
    pub rejections: i64,
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
