//! Bulk replay: how many failed or retrying deliveries a filter takes (preview), start one
//! (the worker carries it out in batches), follow it, cancel it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use hookyard_core::delivery::replay::bulk_filter;
use hookyard_core::model::{BulkReplay as Stored, ReplayFilter};
use hookyard_core::time::now_ms;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, Caller, Errors, Json as Body, Path};
use super::{at, Timestamp};
use crate::router::AppState;

/// The deliveries a bulk replay takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkReplayInput {
    /// One endpoint's deliveries; absent for every endpoint.
    #[serde(default)]
    pub endpoint_id: Option<i64>,
    pub status: BulkStatus,
}

/// The deliveries a bulk replay may take.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkStatus {
    Failed,
    Retrying,
}

impl BulkReplayInput {
    fn filter(&self) -> Result<ReplayFilter, ApiError> {
        let status = match self.status {
            BulkStatus::Failed => "failed",
            BulkStatus::Retrying => "retrying",
        };
        bulk_filter(self.endpoint_id, status).map_err(|message| {
            ApiError::Invalid(vec![hookyard_core::model::FieldError {
                field: "status".into(),
                message,
            }])
        })
    }
}

/// How many deliveries a bulk replay would take.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkReplayPreview {
    pub count: i64,
}

/// What a bulk replay selected.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkReplayFilter {
    pub endpoint_id: Option<i64>,
    pub status: Option<String>,
}

/// A bulk replay and its progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkReplay {
    pub id: i64,
    pub filter: BulkReplayFilter,
    /// Deliveries it takes.
    pub total: i64,
    /// Deliveries replayed so far.
    pub done: i64,
    /// `running`, `finished` or `cancelled`.
    pub state: String,
    pub actor: String,
    pub created_at: Timestamp,
}

impl From<Stored> for BulkReplay {
    fn from(b: Stored) -> Self {
        BulkReplay {
            id: b.id,
            filter: BulkReplayFilter {
                endpoint_id: b.filter.endpoint_id,
                status: b.filter.status,
            },
            total: b.total,
            done: b.done,
            state: b.state,
            actor: b.actor,
            created_at: at(b.created_at),
        }
    }
}

async fn stored(state: &AppState, id: i64) -> Result<BulkReplay, ApiError> {
    state
        .store
        .bulk_replay(id)
        .await?
        .map(BulkReplay::from)
        .ok_or_else(|| ApiError::NotFound(format!("Bulk replay {id} does not exist.")))
}

/// How many deliveries a bulk replay with this filter would replay.
#[utoipa::path(
    post, path = "/bulk-replays/preview", tag = "bulk replays", request_body = BulkReplayInput,
    responses((status = 200, body = BulkReplayPreview), Errors)
)]
pub async fn preview(
    State(state): State<AppState>,
    Body(input): Body<BulkReplayInput>,
) -> Result<Json<BulkReplayPreview>, ApiError> {
    let count = state.store.count_replay(&input.filter()?).await?;
    Ok(Json(BulkReplayPreview { count }))
}

/// Starts a bulk replay.
#[utoipa::path(
    post, path = "/bulk-replays", tag = "bulk replays", request_body = BulkReplayInput,
    responses((status = 202, body = BulkReplay), Errors)
)]
pub async fn start(
    State(state): State<AppState>,
    Caller(me): Caller,
    Body(input): Body<BulkReplayInput>,
) -> Result<(StatusCode, Json<BulkReplay>), ApiError> {
    let filter = input.filter()?;
    let started = state
        .store
        .start_bulk_replay(&filter, &me.actor(), now_ms())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(started.into())))
}

/// A bulk replay's progress.
#[utoipa::path(
    get, path = "/bulk-replays/{id}", tag = "bulk replays",
    params(("id" = i64, Path, description = "Bulk replay id")),
    responses((status = 200, body = BulkReplay), Errors)
)]
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<BulkReplay>, ApiError> {
    Ok(Json(stored(&state, id).await?))
}

/// Stops a running bulk replay (deliveries it already created stay queued); 409 when it
/// has already finished.
#[utoipa::path(
    post, path = "/bulk-replays/{id}/cancel", tag = "bulk replays",
    params(("id" = i64, Path, description = "Bulk replay id")),
    responses((status = 200, body = BulkReplay), Errors)
)]
pub async fn cancel(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<i64>,
) -> Result<Json<BulkReplay>, ApiError> {
    stored(&state, id).await?;
    let changed = state
        .store
        .cancel_bulk_replay(id, &me.actor(), now_ms())
        .await?;
    if !changed {
        return Err(ApiError::Conflict(format!(
            "Bulk replay {id} has already finished."
        )));
    }
    Ok(Json(stored(&state, id).await?))
}
