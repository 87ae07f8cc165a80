//! Manual reprocessing as the dashboard and the JSON API both offer it: replaying one event
//! (to a chosen endpoint or to every subscriber) and choosing what a bulk replay takes.

use crate::model::ReplayFilter;
use crate::store::{Store, StoreError};

/// What a replay of one event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// The endpoints that got a new delivery (empty: nothing subscribes).
    pub endpoint_ids: Vec<i64>,
    /// The chosen endpoint's name, when one was chosen.
    pub endpoint_name: Option<String>,
}

/// Why an event could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("Event {0} does not exist.")]
    NoEvent(i64),
    #[error("The event's source no longer exists.")]
    NoSource,
    #[error("Endpoint {0} does not exist.")]
    NoEndpoint(i64),
    #[error("“{0}” is disabled; enable it first, then replay.")]
    Disabled(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Replays event `event_id` to `endpoint_id`, or (None) to every enabled or paused endpoint
/// subscribed to its type and source.
pub async fn replay_event(
    store: &dyn Store,
    event_id: i64,
    endpoint_id: Option<i64>,
    actor: &str,
    now_ms: i64,
) -> Result<Replayed, ReplayError> {
    let event = store
        .event_detail(event_id)
        .await?
        .ok_or(ReplayError::NoEvent(event_id))?;
    let source = store
        .source_by_slug(&event.row.source)
        .await?
        .ok_or(ReplayError::NoSource)?;
    let endpoints = store.endpoints().await?;
    let (targets, endpoint_name) = match endpoint_id {
        Some(chosen) => {
            let endpoint = &endpoints
                .iter()
                .find(|r| r.endpoint.id == chosen)
                .ok_or(ReplayError::NoEndpoint(chosen))?
                .endpoint;
            if endpoint.state == "disabled" {
                return Err(ReplayError::Disabled(endpoint.name.clone()));
            }
            (vec![chosen], Some(endpoint.name.clone()))
        }
        None => (
            super::subscribers(
                endpoints.iter().map(|r| &r.endpoint),
                source.id,
                &event.row.event_type,
            ),
            None,
        ),
    };
    if !targets.is_empty() {
        store
            .replay_event(event_id, &targets, actor, now_ms)
            .await?;
    }
    Ok(Replayed {
        endpoint_ids: targets,
        endpoint_name,
    })
}

/// The delivery statuses a bulk replay may take.
pub const BULK_STATUSES: [&str; 2] = ["failed", "retrying"];

/// What a bulk replay of `endpoint_id` (every endpoint when None) in `status` selects, or
/// why it cannot.
pub fn bulk_filter(endpoint_id: Option<i64>, status: &str) -> Result<ReplayFilter, String> {
    if !BULK_STATUSES.contains(&status) {
        return Err("Bulk replay takes failed or retrying deliveries.".into());
    }
    Ok(ReplayFilter {
        endpoint_id,
        status: Some(status.to_string()),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_replay_takes_failed_or_retrying_only() {
        assert_eq!(
            bulk_filter(Some(3), "failed").unwrap().status.as_deref(),
            Some("failed")
        );
        assert!(bulk_filter(None, "retrying").is_ok());
        assert!(bulk_filter(None, "succeeded").is_err());
        assert!(bulk_filter(None, "").is_err());
    }
}
