//! Outbound: endpoints, fan-out, the delivery worker, retries and manual reprocessing.

pub mod guard;
pub mod pattern;
pub mod replay;
pub mod retry;
pub mod settings;
pub mod worker;

use crate::model::Endpoint;

/// The endpoints (ids) an event of `event_type` from `source_id` goes to: enabled or paused,
/// a matching pattern, and no source filter or this source.
pub fn subscribers<'a>(
    endpoints: impl IntoIterator<Item = &'a Endpoint>,
    source_id: i64,
    event_type: &str,
) -> Vec<i64> {
    endpoints
        .into_iter()
        .filter(|e| e.state != "disabled")
        .filter(|e| e.source_id.is_none_or(|s| s == source_id))
        .filter(|e| pattern::any_matches(&e.patterns, event_type))
        .map(|e| e.id)
        .collect()
}
