//! Endpoints (where events are delivered): list and read (header values and the signing
//! secret are never returned), create and update (admins), pause and resume (operators),
//! rotate the signing secret (admins; the new secret is answered once).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use hookyard_core::delivery::settings::{checked_endpoint, EndpointDraft, KEEP_VALUE};
use hookyard_core::ingest::scheme::{generate_secret, Scheme};
use hookyard_core::model::FieldError;
use hookyard_core::store::{EndpointRecord, StoreError};
use hookyard_core::time::now_ms;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, Caller, Errors, Json as Body, Path};
use super::{at, at_opt, Timestamp};
use crate::router::AppState;

/// Where events are delivered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Endpoint {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub description: String,
    /// Event types it receives: exact names or patterns ending in `*`.
    pub events: Vec<String>,
    /// Only events from this source (its id); null for every source.
    pub source_id: Option<i64>,
    /// `enabled`, `paused` or `disabled`.
    pub state: String,
    /// Why it is paused or disabled (empty when enabled).
    pub state_reason: String,
    /// Names of the extra headers it is sent (their values are never returned).
    pub header_names: Vec<String>,
    pub timeout_ms: i64,
    pub max_in_flight: i64,
    /// Seconds to wait after each failed try; null for the default schedule.
    pub retry_schedule: Option<Vec<u64>>,
    pub failing_since: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl From<EndpointRecord> for Endpoint {
    fn from(r: EndpointRecord) -> Self {
        let e = r.endpoint;
        Endpoint {
            id: e.id,
            name: e.name,
            url: e.url,
            description: e.description,
            events: e.patterns,
            source_id: e.source_id,
            state: e.state,
            state_reason: e.state_reason,
            header_names: e.headers.into_iter().map(|(name, _)| name).collect(),
            timeout_ms: e.timeout_ms,
            max_in_flight: e.max_in_flight,
            retry_schedule: e.retry_schedule,
            failing_since: at_opt(e.failing_since),
            created_at: at(e.created_at),
        }
    }
}

/// An endpoint's settings, to create or replace it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// An http:// or https:// URL.
    #[schema(pattern = "^https?://[^/?#\\s]+")]
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Event types to receive: exact names or patterns ending in `*` (`["*"]` for all).
    #[schema(min_items = 1)]
    pub events: Vec<String>,
    /// Only events from this source (its slug); null or absent for every source.
    #[serde(default)]
    pub source: Option<String>,
    /// Extra headers to send, name to value. On update, absent keeps the current headers.
    #[serde(default)]
    pub headers: Option<std::collections::BTreeMap<String, String>>,
    /// 1 to 300 (default 15).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 300)]
    pub timeout_secs: Option<i64>,
    /// 1 to 1000 (default 10).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000)]
    pub max_in_flight: Option<i64>,
    /// Seconds to wait after each failed try; null or absent for the default schedule.
    #[serde(default)]
    pub retry_schedule: Option<Vec<u64>>,
}

impl EndpointInput {
    /// The same settings as the dashboard's form types them, to be checked by the same rules
    /// (`current` supplies the headers when the input leaves them out); or what cannot be
    /// written as form text at all.
    fn draft(&self, current: Option<&EndpointRecord>) -> Result<EndpointDraft, ApiError> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: &str| {
            errors.push(FieldError {
                field: field.into(),
                message: message.into(),
            })
        };
        // The form separates entries with these; inside one entry they would make two.
        if self.events.iter().any(|e| e.contains([',', '\n', '\r'])) {
            fail(
                "events",
                "One event type or pattern per entry, without commas or line breaks.",
            );
        }
        let headers = match (&self.headers, current) {
            (Some(map), _) => {
                if map
                    .iter()
                    .any(|(k, v)| k.contains([':', '\n', '\r']) || v.contains(['\n', '\r']))
                {
                    fail(
                        "headers",
                        "Header names and values cannot contain line breaks (nor names a colon).",
                    );
                }
                map.iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            (None, Some(r)) => r
                .endpoint
                .headers
                .iter()
                .map(|(k, _)| format!("{k}: {KEEP_VALUE}"))
                .collect::<Vec<_>>()
                .join("\n"),
            (None, None) => String::new(),
        };
        let retry_schedule = match &self.retry_schedule {
            None => String::new(),
            Some(delays) if delays.is_empty() => {
                fail(
                    "retry_schedule",
                    "Give at least one delay, or null for the default schedule.",
                );
                String::new()
            }
            Some(delays) => delays
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(","),
        };
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        Ok(EndpointDraft {
            name: self.name.clone(),
            url: self.url.clone(),
            description: self.description.clone(),
            events: self.events.join("\n"),
            headers,
            timeout_secs: self.timeout_secs.unwrap_or(15).to_string(),
            max_in_flight: self.max_in_flight.unwrap_or(10).to_string(),
            retry_schedule,
        })
    }
}

/// A new endpoint and its signing secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpoint {
    pub endpoint: Endpoint,
    /// The signing secret (Standard Webhooks `whsec_…`); not retrievable later.
    pub secret: String,
}

/// A new signing secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    pub secret: String,
}

async fn record(state: &AppState, id: i64) -> Result<EndpointRecord, ApiError> {
    state
        .store
        .endpoint(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Endpoint {id} does not exist.")))
}

/// Every endpoint, by name.
#[utoipa::path(
    get, path = "/endpoints", tag = "endpoints",
    responses((status = 200, body = Vec<Endpoint>), Errors)
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Endpoint>>, ApiError> {
    let all = state.store.endpoints().await?;
    Ok(Json(all.into_iter().map(Endpoint::from).collect()))
}

/// One endpoint.
#[utoipa::path(
    get, path = "/endpoints/{id}", tag = "endpoints",
    params(("id" = i64, Path, description = "Endpoint id")),
    responses((status = 200, body = Endpoint), Errors)
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Endpoint>, ApiError> {
    Ok(Json(record(&state, id).await?.into()))
}

/// Creates an endpoint (enabled); answers its signing secret once.
#[utoipa::path(
    post, path = "/endpoints", tag = "endpoints", request_body = EndpointInput,
    responses((status = 201, body = CreatedEndpoint), Errors)
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(me): Caller,
    Body(input): Body<EndpointInput>,
) -> Result<(StatusCode, Json<CreatedEndpoint>), ApiError> {
    let source = input.source.clone().unwrap_or_default();
    let mut new = checked_endpoint(&*state.store, &input.draft(None)?, &source, &[])
        .await?
        .map_err(ApiError::Invalid)?;
    new.secret = generate_secret(Scheme::Standard);
    let now = now_ms();
    let id = state.store.create_endpoint(&new, now).await?;
    state.ingestor.forget_endpoints();
    let detail = serde_json::json!({ "name": new.name, "url": new.url, "events": new.patterns });
    super::audit(
        &state,
        &me,
        "endpoint.created",
        &format!("endpoint:{id}"),
        detail,
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpoint {
            endpoint: record(&state, id).await?.into(),
            secret: new.secret,
        }),
    ))
}

/// Replaces an endpoint's settings (its state and secret stay).
#[utoipa::path(
    put, path = "/endpoints/{id}", tag = "endpoints",
    params(("id" = i64, Path, description = "Endpoint id")),
    request_body = EndpointInput,
    responses((status = 200, body = Endpoint), Errors)
)]
pub async fn update(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<i64>,
    Body(input): Body<EndpointInput>,
) -> Result<Json<Endpoint>, ApiError> {
    let current = record(&state, id).await?;
    let source = input.source.clone().unwrap_or_default();
    let draft = input.draft(Some(&current))?;
    let new = checked_endpoint(&*state.store, &draft, &source, &current.endpoint.headers)
        .await?
        .map_err(ApiError::Invalid)?;
    state
        .store
        .update_endpoint(id, &new, &me.actor(), now_ms())
        .await?;
    state.ingestor.forget_endpoints();
    Ok(Json(record(&state, id).await?.into()))
}

/// Sets an endpoint's state; refuses to resume or pause a disabled one (admins enable it).
async fn set_state(
    state: &AppState,
    me: &hookyard_core::access::Me,
    id: i64,
    target: &str,
    reason: &str,
) -> Result<Json<Endpoint>, ApiError> {
    let current = record(state, id).await?;
    if current.endpoint.state == "disabled" {
        return Err(ApiError::Conflict(format!(
            "Endpoint {id} is disabled; an admin enables it from the dashboard."
        )));
    }
    state
        .store
        .set_endpoint_state(id, target, reason, &me.actor(), now_ms())
        .await?;
    state.ingestor.forget_endpoints();
    Ok(Json(record(state, id).await?.into()))
}

/// Pauses an endpoint: new deliveries are held until it is resumed.
#[utoipa::path(
    post, path = "/endpoints/{id}/pause", tag = "endpoints",
    params(("id" = i64, Path, description = "Endpoint id")),
    responses((status = 200, body = Endpoint), Errors)
)]
pub async fn pause(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<i64>,
) -> Result<Json<Endpoint>, ApiError> {
    set_state(&state, &me, id, "paused", "paused through the API").await
}

/// Resumes a paused endpoint: held deliveries are released in order.
#[utoipa::path(
    post, path = "/endpoints/{id}/resume", tag = "endpoints",
    params(("id" = i64, Path, description = "Endpoint id")),
    responses((status = 200, body = Endpoint), Errors)
)]
pub async fn resume(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<i64>,
) -> Result<Json<Endpoint>, ApiError> {
    set_state(&state, &me, id, "enabled", "").await
}

/// Gives the endpoint a new signing secret (the old one stops at once); answers it once.
#[utoipa::path(
    post, path = "/endpoints/{id}/rotate", tag = "endpoints",
    params(("id" = i64, Path, description = "Endpoint id")),
    responses((status = 200, body = RotatedSecret), Errors)
)]
pub async fn rotate(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<i64>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let secret = generate_secret(Scheme::Standard);
    match state
        .store
        .rotate_endpoint_secret(id, &secret, &me.actor(), now_ms())
        .await
    {
        Ok(()) => Ok(Json(RotatedSecret { secret })),
        Err(StoreError::NotFound(_)) => {
            Err(ApiError::NotFound(format!("Endpoint {id} does not exist.")))
        }
        Err(err) => Err(err.into()),
    }
}
