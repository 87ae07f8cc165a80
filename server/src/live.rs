//! `GET /live/events`: new events as server-sent events, for the Events page's live tail.
//!
//! Each connection polls the store once a second for events received since it started that
//! match its filters. Polling (not an in-process channel) shows events taken in by every
//! server instance sharing a PostgreSQL database. A window of a few seconds is re-read on
//! every poll, so an event whose commit finished after a later one's is still shown, once.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use hookyard_core::model::{EventFilter, EventRow};
use hookyard_core::store::SharedStore;
use hookyard_core::time::now_ms;
use serde::Deserialize;

use crate::AppState;

/// How far back each poll looks again (commits can finish out of order).
const REREAD_MS: i64 = 10_000;
/// Rows read per poll at most; beyond that the page is told to reload (`event: gap`).
const PER_POLL: i64 = 100;

/// The Events page's filters, as in its URL.
#[derive(Debug, Default, Deserialize)]
pub struct LiveQuery {
    source: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    status: Option<String>,
    id: Option<String>,
    q: Option<String>,
    /// Only events received at or after this time (ms); default: now.
    since: Option<i64>,
}

struct Tail {
    store: SharedStore,
    filter: EventFilter,
    since: i64,
    /// Ids already sent, with their receive time (pruned as the window moves).
    sent: HashMap<i64, i64>,
    ready: VecDeque<EventRow>,
    first: bool,
    /// The last poll was full, so some events may not have been sent.
    flooded: bool,
}

pub async fn events(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(q): Query<LiveQuery>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // A browser reconnecting sends the id of the last event it got: its receive time.
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let text = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let tail = Tail {
        store: state.store.clone(),
        filter: EventFilter {
            source: text(q.source),
            event_type: text(q.event_type),
            delivery_status: text(q.status),
            provider_id: text(q.id),
            search: text(q.q),
            ..Default::default()
        },
        since: resume.or(q.since).unwrap_or_else(now_ms),
        sent: HashMap::new(),
        ready: VecDeque::new(),
        first: true,
        flooded: false,
    };
    let stream = stream::unfold(tail, |mut tail| async move {
        loop {
            if tail.first {
                tail.first = false;
                // Tells the page the tail is connected.
                return Some((Ok(Event::default().event("ready").data("{}")), tail));
            }
            if let Some(row) = tail.ready.pop_front() {
                let data = serde_json::to_string(&row).unwrap_or_default();
                let event = Event::default()
                    .event("event")
                    .id(row.received_at.to_string())
                    .data(data);
                return Some((Ok(event), tail));
            }
            if std::mem::take(&mut tail.flooded) {
                // More arrived in one second than one poll reads: the page should reload.
                return Some((Ok(Event::default().event("gap").data("{}")), tail));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            tail.poll().await;
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

impl Tail {
    async fn poll(&mut self) {
        let newest = self.sent.values().copied().max().unwrap_or(self.since);
        let mut filter = self.filter.clone();
        filter.from = Some((newest - REREAD_MS).max(self.since));
        match self.store.list_events(&filter, PER_POLL).await {
            Ok(rows) => {
                self.flooded = rows.len() as i64 == PER_POLL;
                // Newest first from the store; the page wants them in arrival order.
                for row in rows.into_iter().rev() {
                    if self.sent.insert(row.id, row.received_at).is_none() {
                        self.ready.push_back(row);
                    }
                }
                let horizon = newest - 2 * REREAD_MS;
                self.sent.retain(|_, at| *at >= horizon);
            }
            Err(err) => tracing::warn!(error = %err, "live tail: listing events failed"),
        }
    }
}
