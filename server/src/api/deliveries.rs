//! Deliveries (one event to one endpoint) and their attempts: read one, retry it now.

use axum::extract::State;
use axum::Json;
use hookyard_core::access::Permission;
use hookyard_core::model::DeliveryDetail;
use hookyard_core::time::now_ms;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, Caller, Errors, Path};
use super::{at, headers, Header, Timestamp};
use crate::router::AppState;

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    InFlight,
    Succeeded,
    Retrying,
    Failed,
    Held,
    Cancelled,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::InFlight => "in_flight",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Held => "held",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }
}

/// One HTTP try of a delivery. Request and response data only for developers and above.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attempt {
    pub id: i64,
    /// 1 for the first try.
    pub number: i64,
    /// `initial`, `automatic`, `manual` or `bulk`.
    pub trigger: String,
    /// Who asked for a manual or bulk try.
    pub actor: Option<String>,
    pub started_at: Timestamp,
    pub duration_ms: i64,
    pub request_headers: Vec<Header>,
    pub response_status: Option<i64>,
    pub response_headers: Vec<Header>,
    /// The first 20 KB of the response body, as text.
    pub response_body: Option<String>,
    /// `timeout`, `connect`, `dns`, `tls`, `http_status` or `blocked`.
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
}

impl From<hookyard_core::model::Attempt> for Attempt {
    fn from(a: hookyard_core::model::Attempt) -> Self {
        Attempt {
            id: a.id,
            number: a.number,
            trigger: a.trigger,
            actor: a.actor,
            started_at: at(a.started_at),
            duration_ms: a.duration_ms,
            request_headers: headers(a.request_headers),
            response_status: a.response_status,
            response_headers: headers(a.response_headers),
            response_body: a.response_body,
            error_kind: a.error_kind,
            error_message: a.error_message,
        }
    }
}

/// One event's delivery to one endpoint, with its attempts (oldest first).
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub event_id: i64,
    pub endpoint_id: i64,
    pub endpoint_name: String,
    pub endpoint_url: String,
    /// `pending`, `in_flight`, `succeeded`, `retrying`, `failed`, `held` or `cancelled`.
    pub status: String,
    /// Tries made so far.
    pub attempt_count: i64,
    pub next_attempt_at: Timestamp,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub attempts: Vec<Attempt>,
}

impl From<DeliveryDetail> for Delivery {
    fn from(d: DeliveryDetail) -> Self {
        let x = d.delivery;
        Delivery {
            id: x.id,
            event_id: x.event_id,
            endpoint_id: x.endpoint_id,
            endpoint_name: d.endpoint_name,
            endpoint_url: d.endpoint_url,
            status: x.status,
            attempt_count: x.attempts,
            next_attempt_at: at(x.next_attempt_at),
            last_status: x.last_status,
            last_error: x.last_error,
            created_at: at(x.created_at),
            updated_at: at(x.updated_at),
            attempts: d.attempts.into_iter().map(Attempt::from).collect(),
        }
    }
}

/// The delivery `id` with its attempts, as `caller` may see it.
async fn delivery(state: &AppState, caller: &Caller, id: i64) -> Result<Delivery, ApiError> {
    let store = &state.store;
    let delivery = store
        .delivery(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Delivery {id} does not exist.")))?;
    let endpoint = store.endpoint(delivery.endpoint_id).await?;
    let mut attempts = store.attempts(id).await?;
    if !caller.0.can(Permission::ReadPayloads) {
        attempts
            .iter_mut()
            .for_each(hookyard_core::model::Attempt::withhold_payload);
    }
    let (endpoint_name, endpoint_url) = endpoint
        .map(|r| (r.endpoint.name, r.endpoint.url))
        .unwrap_or_default();
    Ok(DeliveryDetail {
        delivery,
        endpoint_name,
        endpoint_url,
        attempts,
    }
    .into())
}

/// One delivery with its attempts (request and response data for developers and above).
#[utoipa::path(
    get, path = "/deliveries/{id}", tag = "deliveries",
    params(("id" = i64, Path, description = "Delivery id")),
    responses((status = 200, body = Delivery), Errors)
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Delivery>, ApiError> {
    Ok(Json(delivery(&state, &caller, id).await?))
}

/// Makes the delivery due now (a `manual` attempt). 409 while it is in flight or held.
#[utoipa::path(
    post, path = "/deliveries/{id}/retry", tag = "deliveries",
    params(("id" = i64, Path, description = "Delivery id")),
    responses((status = 202, body = Delivery), Errors)
)]
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<(axum::http::StatusCode, Json<Delivery>), ApiError> {
    if state.store.delivery(id).await?.is_none() {
        return Err(ApiError::NotFound(format!("Delivery {id} does not exist.")));
    }
    let changed = state
        .store
        .retry_delivery_now(id, &caller.0.actor(), now_ms())
        .await?;
    if !changed {
        return Err(ApiError::Conflict(format!(
            "Delivery {id} is in flight or held; it was not changed."
        )));
    }
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(delivery(&state, &caller, id).await?),
    ))
}
