//! Server functions: the dashboard's calls into the server. Each runs on the server only and
//! reaches the store through Leptos context (provided by `hookyard_server::router`). Internal
//! errors are logged there and answered with a plain sentence, never with their detail.

use hookyard_core::model::{
    Endpoint, EventDetail, EventRow, FailureGroup, Overview, SourceSummary,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The caller, as the server's access layer found them (a session or an API token). Pages
/// and server functions only run for callers the policy table lets in; this is for what
/// depends on the role within one (payload bodies, the actor in the audit log).
#[cfg(feature = "ssr")]
pub(crate) fn caller() -> Option<hookyard_core::access::Me> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<hookyard_core::access::Me>().cloned())
}

/// Who the audit log names for this request's changes.
#[cfg(feature = "ssr")]
pub(crate) fn actor() -> String {
    caller().map_or_else(|| "dashboard".to_string(), |me| me.actor())
}

/// Appends a dashboard change to the audit log (after it is made; a failure to record is
/// logged, the change stands).
#[cfg(feature = "ssr")]
pub(crate) async fn audit(action: &str, target: &str, detail: serde_json::Value) {
    let now = hookyard_core::time::now_ms();
    if let Err(err) = store()
        .access()
        .audit(&actor(), action, target, &detail, now)
        .await
    {
        tracing::error!(error = %err, action, target, "cannot write the audit log");
    }
}

/// The caller, if their role has `permission`; otherwise an error saying which role it needs.
#[cfg(feature = "ssr")]
pub(crate) fn require(
    permission: hookyard_core::access::Permission,
    what: &str,
) -> Result<hookyard_core::access::Me, ServerFnError> {
    match caller() {
        Some(me) if me.can(permission) => Ok(me),
        Some(me) => Err(ServerFnError::new(format!(
            "{what} needs the {} role; you are {}.",
            permission.least_role(),
            me.role
        ))),
        None => Err(ServerFnError::new("Sign in first.")),
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn store() -> hookyard_core::store::SharedStore {
    expect_context::<hookyard_core::store::SharedStore>()
}

/// New events fan out by the endpoints' new settings at once (other processes: within 2 s).
#[cfg(feature = "ssr")]
pub(crate) fn endpoints_changed() {
    if let Some(ingestor) = use_context::<std::sync::Arc<hookyard_core::ingest::Ingestor>>() {
        ingestor.forget_endpoints();
    }
}

/// Requests to the source are checked against its new settings and secrets at once (other
/// processes: within 2 s).
#[cfg(feature = "ssr")]
pub(crate) fn source_changed(slug: &str) {
    if let Some(ingestor) = use_context::<std::sync::Arc<hookyard_core::ingest::Ingestor>>() {
        ingestor.forget_source(slug);
    }
}

/// The address providers reach this server at, for the inbound URLs shown: `HOOKYARD_PUBLIC_URL`
/// if set, else what a reverse proxy says (`X-Forwarded-Proto`/`-Host`), else this request's
/// `Host` over http.
#[cfg(feature = "ssr")]
pub(crate) async fn public_base() -> String {
    if let Ok(url) = std::env::var("HOOKYARD_PUBLIC_URL") {
        if !url.trim().is_empty() {
            return url.trim().trim_end_matches('/').to_string();
        }
    }
    let headers: http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let host = header("x-forwarded-host")
        .or_else(|| header("host"))
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let scheme = header("x-forwarded-proto").unwrap_or_else(|| "http".into());
    format!("{scheme}://{host}")
}

/// Logs a store error and turns it into the sentence the browser sees.
#[cfg(feature = "ssr")]
pub(crate) fn unavailable(
    what: &'static str,
) -> impl Fn(hookyard_core::store::StoreError) -> ServerFnError + Copy {
    move |err| {
        tracing::error!(error = %err, "{what} failed");
        ServerFnError::new(format!(
            "The database is not answering; {what} is not possible right now."
        ))
    }
}

/// The figures on the Overview page.
#[server(endpoint = "get_overview")]
pub async fn get_overview() -> Result<Overview, ServerFnError> {
    store()
        .overview(hookyard_core::time::now_ms())
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "overview query failed");
            ServerFnError::new("The database is not answering; the figures cannot be shown.")
        })
}

/// Rows shown per page of events.
pub const EVENTS_PER_PAGE: i64 = 50;

/// One page of the Events table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    pub rows: Vec<EventRow>,
    /// Cursor for the next (older) page, if there is one.
    pub next: Option<(i64, i64)>,
    /// Set when a payload search was limited to a recent window (and which).
    pub search_window: Option<String>,
}

/// The Events page's filters as they appear in the URL (`?source=&type=&status=&id=&q=&range=&before=`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventQuery {
    pub source: Option<String>,
    pub event_type: Option<String>,
    pub status: Option<String>,
    pub id: Option<String>,
    pub q: Option<String>,
    /// `1h`, `24h`, `7d`, `30d`; anything else: all time.
    pub range: Option<String>,
    /// Cursor `received_at_id`.
    pub before: Option<String>,
}

/// The Events page's filter for a query (shared with the export): a payload search without a
/// time range looks at the last 24 hours, which the second value says.
#[cfg(feature = "ssr")]
pub fn event_filter(
    query: &EventQuery,
    now: i64,
) -> (hookyard_core::model::EventFilter, Option<String>) {
    use hookyard_core::model::EventFilter;
    let nonempty = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let window = query.range.as_deref().and_then(EventFilter::range_ms);
    let mut filter = EventFilter {
        source: nonempty(&query.source),
        event_type: nonempty(&query.event_type),
        delivery_status: nonempty(&query.status),
        provider_id: nonempty(&query.id),
        search: nonempty(&query.q),
        from: window.map(|w| now - w),
        to: None,
        before: query
            .before
            .as_deref()
            .and_then(hookyard_core::model::parse_cursor),
    };
    let search_window = filter
        .limit_search(now)
        .then(|| "the last 24 hours".to_string());
    (filter, search_window)
}

/// The Events table for a filter. A payload search without a time range looks at the last
/// 24 hours, so it stays fast on large stores. JSON arguments: an all-empty filter would be an
/// empty URL-encoded body, which the default encoding cannot tell from a missing argument.
#[server(endpoint = "list_events", input = leptos::server_fn::codec::Json)]
pub async fn list_events(query: EventQuery) -> Result<EventPage, ServerFnError> {
    let (filter, search_window) = event_filter(&query, hookyard_core::time::now_ms());
    if filter.search.is_some() {
        require(
            hookyard_core::access::Permission::ReadPayloads,
            "Searching payloads",
        )?;
    }
    let (rows, next) = hookyard_core::store::page_of_events(&*store(), &filter, EVENTS_PER_PAGE)
        .await
        .map_err(unavailable("listing events"))?;
    Ok(EventPage {
        rows,
        next,
        search_window,
    })
}

/// One event with its payload, headers and deliveries.
#[server(endpoint = "get_event")]
pub async fn get_event(id: i64) -> Result<Option<EventDetail>, ServerFnError> {
    let detail = store()
        .event_detail(id)
        .await
        .map_err(unavailable("loading the event"))?;
    // Viewers see that an event arrived and how its deliveries went, never its contents.
    let payloads =
        caller().is_some_and(|me| me.can(hookyard_core::access::Permission::ReadPayloads));
    Ok(detail.map(|d| if payloads { d } else { d.without_payload() }))
}

/// Replays an event to one chosen endpoint, or (none chosen) to every endpoint subscribed to
/// its type; says how many.
#[server(endpoint = "replay_event")]
pub async fn replay_event(
    event_id: i64,
    // An endpoint id, or empty for every subscriber (a form's select sends "" for that).
    #[server(default)] endpoint: String,
) -> Result<String, ServerFnError> {
    use hookyard_core::delivery::replay::{self, ReplayError};
    let endpoint_id = match endpoint.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .map_err(|_| ServerFnError::new(format!("{id:?} is not an endpoint id.")))?,
        ),
    };
    let now = hookyard_core::time::now_ms();
    let done = replay::replay_event(&*store(), event_id, endpoint_id, &actor(), now)
        .await
        .map_err(|err| match err {
            ReplayError::Store(err) => unavailable("replaying")(err),
            other => ServerFnError::new(other.to_string()),
        })?;
    if let Some(name) = done.endpoint_name {
        return Ok(format!("Replayed to “{name}”: a new delivery is queued."));
    }
    let n = done.endpoint_ids.len();
    if n == 0 {
        return Ok(
            "No enabled or paused endpoint subscribes to this event type; nothing was replayed."
                .into(),
        );
    }
    Ok(format!(
        "Replayed to {n} endpoint{}: new deliveries are queued.",
        if n == 1 { "" } else { "s" }
    ))
}

/// Makes one delivery due now.
#[server(endpoint = "retry_delivery")]
pub async fn retry_delivery(delivery_id: i64) -> Result<String, ServerFnError> {
    let changed = store()
        .retry_delivery_now(delivery_id, &actor(), hookyard_core::time::now_ms())
        .await
        .map_err(unavailable("retrying"))?;
    Ok(if changed {
        format!("Delivery {delivery_id} will be retried now.")
    } else {
        format!("Delivery {delivery_id} is in flight or held; it was not changed.")
    })
}

/// Failing deliveries grouped by endpoint and error.
#[server(endpoint = "list_failures")]
pub async fn list_failures() -> Result<Vec<FailureGroup>, ServerFnError> {
    store()
        .failure_groups()
        .await
        .map_err(unavailable("listing failures"))
}

/// An endpoint as the list shows it: no secret, header values masked, with its last 24 hours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointRow {
    pub endpoint: Endpoint,
    pub health: hookyard_core::model::EndpointHealth,
}

/// Every endpoint with its health over the last 24 hours.
#[server(endpoint = "list_endpoints")]
pub async fn list_endpoints() -> Result<Vec<EndpointRow>, ServerFnError> {
    let store = store();
    let since = hookyard_core::time::now_ms() - hookyard_core::time::DAY_MS;
    let failed = unavailable("listing endpoints");
    let health = store.endpoint_health(since).await.map_err(failed)?;
    Ok(store
        .endpoints()
        .await
        .map_err(failed)?
        .into_iter()
        .map(|r| {
            let mut endpoint = r.endpoint;
            for (_, value) in &mut endpoint.headers {
                *value = "••••".into();
            }
            let health = health
                .iter()
                .find(|h| h.endpoint_id == endpoint.id)
                .cloned()
                .unwrap_or_else(|| hookyard_core::model::EndpointHealth {
                    endpoint_id: endpoint.id,
                    ..Default::default()
                });
            EndpointRow { endpoint, health }
        })
        .collect())
}

/// Pauses, resumes (enables) or disables an endpoint.
#[server(endpoint = "set_endpoint_state")]
pub async fn set_endpoint_state(id: i64, state: String) -> Result<String, ServerFnError> {
    let (target, reason, done) = match state.as_str() {
        "paused" => (
            "paused",
            "paused from the dashboard",
            "paused: new deliveries are held",
        ),
        "enabled" => (
            "enabled",
            "",
            "resumed: held deliveries are released in order",
        ),
        "disabled" => (
            "disabled",
            "disabled from the dashboard",
            "disabled: no new deliveries",
        ),
        _ => return Err(ServerFnError::new(format!("Unknown state {state:?}."))),
    };
    if target == "disabled" {
        require(
            hookyard_core::access::Permission::Administer,
            "Disabling an endpoint",
        )?;
    }
    let store = store();
    let name = store
        .endpoint(id)
        .await
        .map_err(unavailable("changing the endpoint"))?
        .map(|r| r.endpoint.name)
        .ok_or_else(|| ServerFnError::new(format!("Endpoint {id} does not exist.")))?;
    store
        .set_endpoint_state(id, target, reason, &actor(), hookyard_core::time::now_ms())
        .await
        .map_err(unavailable("changing the endpoint"))?;
    endpoints_changed();
    Ok(format!("Endpoint “{name}” {done}."))
}

/// A rejection with its explanation in sentences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectionView {
    pub source: String,
    pub reason: String,
    pub received_at: i64,
    pub body_size: i64,
    pub explanation: Vec<String>,
}

/// The Sources page: sources, the base URL senders should use, recent rejections.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourcesPage {
    pub base_url: String,
    pub sources: Vec<SourceSummary>,
    pub rejections: Vec<RejectionView>,
}

#[server(endpoint = "list_sources")]
pub async fn list_sources() -> Result<SourcesPage, ServerFnError> {
    let store = store();
    let now = hookyard_core::time::now_ms();
    let sources = store
        .list_sources(now)
        .await
        .map_err(unavailable("listing sources"))?;
    let rejections = store
        .recent_rejections(50)
        .await
        .map_err(unavailable("listing rejections"))?
        .into_iter()
        .map(|r| {
            let detail: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
            let diagnosis = serde_json::from_value(detail["diagnosis"].clone()).unwrap_or_default();
            let mut explanation = hookyard_core::ingest::diagnose::explain(&r.reason, &diagnosis);
            if explanation.is_empty() {
                explanation
                    .push(hookyard_core::ingest::diagnose::reason_text(&r.reason).to_string());
            }
            RejectionView {
                source: r.source_slug,
                reason: r.reason,
                received_at: r.received_at,
                body_size: r.body_size,
                explanation,
            }
        })
        .collect();
    Ok(SourcesPage {
        base_url: public_base().await,
        sources,
        rejections,
    })
}

/// The names of the event types seen so far (suggestions for filters and subscriptions).
#[server(endpoint = "known_event_types")]
pub async fn known_event_types() -> Result<Vec<String>, ServerFnError> {
    store()
        .event_type_names()
        .await
        .map_err(unavailable("listing event types"))
}

/// Every event type seen, with who subscribes to it.
#[server(endpoint = "list_event_types")]
pub async fn list_event_types() -> Result<Vec<hookyard_core::model::EventTypeSummary>, ServerFnError>
{
    let store = store();
    let types = store
        .event_types()
        .await
        .map_err(unavailable("listing event types"))?;
    let endpoints = store
        .endpoints()
        .await
        .map_err(unavailable("listing event types"))?;
    Ok(types
        .into_iter()
        .map(|(event_type, count, last_seen, sample_event_id)| {
            let subscribers = endpoints
                .iter()
                .map(|r| &r.endpoint)
                .filter(|e| e.state != "disabled")
                .filter(|e| hookyard_core::delivery::pattern::any_matches(&e.patterns, &event_type))
                .map(|e| e.name.clone())
                .collect();
            hookyard_core::model::EventTypeSummary {
                event_type,
                count,
                last_seen,
                sample_event_id,
                subscribers,
            }
        })
        .collect())
}

/// How many deliveries a bulk replay of `endpoint_id` (all when None) in `status` would replay.
#[server(endpoint = "preview_bulk_replay")]
pub async fn preview_bulk_replay(
    endpoint_id: Option<i64>,
    status: String,
) -> Result<i64, ServerFnError> {
    let filter = replay_filter(endpoint_id, &status)?;
    store()
        .count_replay(&filter)
        .await
        .map_err(unavailable("previewing the replay"))
}

/// Starts a bulk replay; the worker carries it out in batches.
#[server(endpoint = "start_bulk_replay")]
pub async fn start_bulk_replay(
    endpoint_id: Option<i64>,
    status: String,
) -> Result<hookyard_core::model::BulkReplay, ServerFnError> {
    let filter = replay_filter(endpoint_id, &status)?;
    store()
        .start_bulk_replay(&filter, &actor(), hookyard_core::time::now_ms())
        .await
        .map_err(unavailable("starting the replay"))
}

/// A bulk replay's progress.
#[server(endpoint = "bulk_replay_status")]
pub async fn bulk_replay_status(
    id: i64,
) -> Result<Option<hookyard_core::model::BulkReplay>, ServerFnError> {
    store()
        .bulk_replay(id)
        .await
        .map_err(unavailable("reading the replay"))
}

/// Stops a running bulk replay (what it already created stays).
#[server(endpoint = "cancel_bulk_replay")]
pub async fn cancel_bulk_replay(id: i64) -> Result<String, ServerFnError> {
    let changed = store()
        .cancel_bulk_replay(id, &actor(), hookyard_core::time::now_ms())
        .await
        .map_err(unavailable("cancelling the replay"))?;
    Ok(if changed {
        format!("Bulk replay {id} cancelled; deliveries it already created stay queued.")
    } else {
        format!("Bulk replay {id} had already finished.")
    })
}

#[cfg(feature = "ssr")]
fn replay_filter(
    endpoint_id: Option<i64>,
    status: &str,
) -> Result<hookyard_core::model::ReplayFilter, ServerFnError> {
    hookyard_core::delivery::replay::bulk_filter(endpoint_id, status).map_err(ServerFnError::new)
}
