//! Events: the list with the Events page's filters (keyset cursor), one event, its raw body,
//! its deliveries with their attempts, and replay. Viewers get what arrived and how delivery
//! went, never bodies, headers or attempt contents (`EventDetail::without_payload`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hookyard_core::access::Permission;
use hookyard_core::delivery::replay::{self, ReplayError};
use hookyard_core::model::{format_cursor, EventDetail, EventFilter, EventRow};
use hookyard_core::store::page_of_events;
use hookyard_core::time::now_ms;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::deliveries::{Delivery, DeliveryStatus};
use super::error::{ApiError, Caller, Errors, OptionalJson, Path, Query};
use super::{at, at_opt, cursor_param, headers, page_limit, text, time_param, Header, Timestamp};
use crate::router::AppState;

/// The Events page's time ranges.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
pub enum Range {
    #[serde(rename = "1h")]
    Hour,
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
}

impl Range {
    fn as_str(self) -> &'static str {
        match self {
            Range::Hour => "1h",
            Range::Day => "24h",
            Range::Week => "7d",
            Range::Month => "30d",
        }
    }
}

/// The filters of `GET /events` (all optional; they combine with AND).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Source slug.
    pub source: Option<String>,
    /// Event type: exact, or a pattern ending in `*` (`charge.*`).
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Events with at least one delivery in this status.
    #[param(inline)]
    pub status: Option<DeliveryStatus>,
    /// The provider's event id or object id (exact).
    pub id: Option<String>,
    /// Text that must appear in the payload (developers and above). Without a time range it
    /// looks at the last 24 hours only.
    pub q: Option<String>,
    /// Received within the last hour, day, week or 30 days.
    #[param(inline)]
    pub range: Option<Range>,
    /// Received at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Received before this time (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// The `next` cursor of the previous page.
    #[param(pattern = r"^[0-9]+_[0-9]+$")]
    pub cursor: Option<String>,
    /// Events per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// How an event's deliveries stand.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryCounts {
    pub total: i64,
    pub succeeded: i64,
    /// Retrying or failed.
    pub failing: i64,
    /// Not tried yet, in flight or held.
    pub pending: i64,
}

/// An event as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    pub id: i64,
    /// The source's slug.
    pub source: String,
    pub provider_event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub received_at: Timestamp,
    /// Live or test mode, when the provider says.
    pub livemode: Option<bool>,
    /// How many times the provider sent it again after the first.
    pub duplicate_count: i64,
    pub deliveries: DeliveryCounts,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            id: r.id,
            source: r.source,
            provider_event_id: r.provider_event_id,
            event_type: r.event_type,
            received_at: at(r.received_at),
            livemode: r.livemode,
            duplicate_count: r.duplicate_count,
            deliveries: DeliveryCounts {
                total: r.deliveries_total,
                succeeded: r.deliveries_succeeded,
                failing: r.deliveries_failing,
                pending: r.deliveries_pending,
            },
        }
    }
}

/// One page of events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub data: Vec<Event>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next: Option<String>,
    /// Set when a payload search was narrowed to a recent window (and which).
    pub search_window: Option<String>,
}

/// An event with what was extracted from it; body and headers only for developers and above.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDetails {
    #[serde(flatten)]
    pub event: Event,
    /// How the source authenticates (`stripe`, `standard`, `github`, `shopify`, `hmac`).
    pub scheme: String,
    /// The body as text (lossy UTF-8); null when withheld or purged. Exact bytes: `/body`.
    pub body: Option<String>,
    pub body_size: i64,
    /// The request headers as received (authentication headers masked); empty when withheld.
    pub headers: Vec<Header>,
    pub object_id: Option<String>,
    pub object_type: Option<String>,
    /// In the currency's minor unit.
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub customer: Option<String>,
    pub status: Option<String>,
    pub last_duplicate_at: Option<Timestamp>,
    /// Body, headers and attempt contents were left out (the caller's role has no payloads).
    pub payload_withheld: bool,
}

impl From<EventDetail> for EventDetails {
    fn from(d: EventDetail) -> Self {
        EventDetails {
            event: d.row.into(),
            scheme: d.scheme,
            body: d.body,
            body_size: d.body_size,
            headers: headers(d.headers),
            object_id: d.object_id,
            object_type: d.object_type,
            amount: d.amount,
            currency: d.currency,
            customer: d.customer,
            status: d.status,
            last_duplicate_at: at_opt(d.last_duplicate_at),
            payload_withheld: d.payload_withheld,
        }
    }
}

/// The store's filter for `query`; payload search only for roles that may read payloads.
fn filter_for(query: EventQuery, caller: &Caller) -> Result<EventFilter, ApiError> {
    let window = query.range.and_then(|r| EventFilter::range_ms(r.as_str()));
    let from = time_param("from", query.from)?;
    let to = time_param("to", query.to)?;
    let before = cursor_param(query.cursor)?;
    let search = text(query.q);
    if search.is_some() && !caller.0.can(Permission::ReadPayloads) {
        return Err(ApiError::Forbidden(format!(
            "Searching payloads needs the developer role; you are {}.",
            caller.0.role
        )));
    }
    let window_from = window.map(|w| now_ms() - w);
    Ok(EventFilter {
        source: text(query.source),
        event_type: text(query.event_type),
        delivery_status: query.status.map(|s| s.as_str().to_string()),
        provider_id: text(query.id),
        search,
        // Both a range and `from`: the later start.
        from: match (window_from, from) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        },
        to,
        before,
    })
}

/// Events, newest first, with the Events page's filters; page with `next`.
#[utoipa::path(
    get, path = "/events", tag = "events", params(EventQuery),
    responses((status = 200, body = EventPage), Errors)
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<EventQuery>,
) -> Result<Json<EventPage>, ApiError> {
    let limit = page_limit(query.limit)?;
    let mut filter = filter_for(query, &caller)?;
    let search_window = filter
        .limit_search(now_ms())
        .then(|| "the last 24 hours".to_string());
    let (rows, next) = page_of_events(&*state.store, &filter, limit).await?;
    Ok(Json(EventPage {
        data: rows.into_iter().map(Event::from).collect(),
        next: next.map(format_cursor),
        search_window,
    }))
}

/// The event `id` as the caller may see it (without payload data for viewers).
async fn detail_for(state: &AppState, caller: &Caller, id: i64) -> Result<EventDetail, ApiError> {
    let detail = state
        .store
        .event_detail(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Event {id} does not exist.")))?;
    Ok(if caller.0.can(Permission::ReadPayloads) {
        detail
    } else {
        detail.without_payload()
    })
}

/// One event; its body and headers for developers and above.
#[utoipa::path(
    get, path = "/events/{id}", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, body = EventDetails), Errors)
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<EventDetails>, ApiError> {
    Ok(Json(detail_for(&state, &caller, id).await?.into()))
}

/// The body exactly as received, with its original `Content-Type` when it had one.
#[utoipa::path(
    get, path = "/events/{id}/body", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    responses(
        (status = 200, description = "The stored bytes, with the sender's `Content-Type` (`application/octet-stream` when it sent none)"),
        Errors
    )
)]
pub async fn body(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (body, stored_headers) = state
        .store
        .event_for_delivery(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Event {id} does not exist.")))?;
    let body = body
        .ok_or_else(|| ApiError::NotFound(format!("Event {id}'s body was purged by retention.")))?;
    let pairs: Vec<(String, String)> = serde_json::from_str(&stored_headers).unwrap_or_default();
    let content_type = pairs
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map_or_else(|| "application/octet-stream".to_string(), |(_, v)| v);
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            // The bytes are the sender's, not ours: never let a browser run them.
            (header::CONTENT_DISPOSITION, "attachment".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        body,
    )
        .into_response())
}

/// The event's deliveries with their attempts, oldest attempt first (attempt request and
/// response data for developers and above).
#[utoipa::path(
    get, path = "/events/{id}/deliveries", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, body = Vec<Delivery>), Errors)
)]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    let detail = detail_for(&state, &caller, id).await?;
    Ok(Json(
        detail.deliveries.into_iter().map(Delivery::from).collect(),
    ))
}

/// Where to replay an event.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// One endpoint; leave out for every enabled or paused endpoint subscribed to the event.
    pub endpoint_id: Option<i64>,
}

/// What a replay queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayResult {
    /// The endpoints that got a new delivery (empty: nothing subscribes to this event).
    pub endpoint_ids: Vec<i64>,
    pub message: String,
}

/// Replays the event: a new delivery to one endpoint, or to every subscriber.
#[utoipa::path(
    post, path = "/events/{id}/replay", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    request_body(content = Option<ReplayRequest>, description = "Optional; empty for every subscriber"),
    responses((status = 202, body = ReplayResult), Errors)
)]
pub async fn replay(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<i64>,
    OptionalJson(request): OptionalJson<ReplayRequest>,
) -> Result<(axum::http::StatusCode, Json<ReplayResult>), ApiError> {
    let done = replay::replay_event(
        &*state.store,
        id,
        request.endpoint_id,
        &me.actor(),
        now_ms(),
    )
    .await
    .map_err(|err| match err {
        ReplayError::Store(err) => err.into(),
        ReplayError::Disabled(_) => ApiError::Conflict(err.to_string()),
        ReplayError::NoEndpoint(_) => ApiError::Invalid(vec![hookyard_core::model::FieldError {
            field: "endpoint_id".into(),
            message: err.to_string(),
        }]),
        ReplayError::NoEvent(_) | ReplayError::NoSource => ApiError::NotFound(err.to_string()),
    })?;
    let n = done.endpoint_ids.len();
    let message = match (&done.endpoint_name, n) {
        (Some(name), _) => format!("Replayed to “{name}”: a new delivery is queued."),
        (None, 0) => {
            "No enabled or paused endpoint subscribes to this event; nothing was replayed.".into()
        }
        (None, n) => format!("Replayed to {n} endpoint(s): new deliveries are queued."),
    };
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(ReplayResult {
            endpoint_ids: done.endpoint_ids,
            message,
        }),
    ))
}
