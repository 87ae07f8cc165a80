//! Alerts as the dashboard's Alerts page lists them: newest first, by kind, keyset cursor.

use axum::extract::State;
use axum::Json;
use hookyard_core::alerts::{AlertFilter, AlertKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Errors, Query};
use super::{at, at_opt, page_limit, parsed, Timestamp};
use crate::router::AppState;

/// The filters of `GET /alerts`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// `endpoint.failing`, `endpoint.disabled`, `endpoint.recovered`, `event_type.quiet` or
    /// `event_type.resumed`.
    pub kind: Option<String>,
    /// Only alerts about this subject: `endpoint:3`, `event_type:invoice.paid`.
    pub subject: Option<String>,
    /// The `next` cursor of the previous page.
    #[param(pattern = r"^[0-9]+$")]
    pub cursor: Option<String>,
    /// Alerts per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// An alert, and whether it reached the alert URL.
#[derive(Debug, Serialize, ToSchema)]
pub struct Alert {
    pub id: i64,
    /// `endpoint.failing`, `endpoint.disabled`, `endpoint.recovered`, `event_type.quiet` or
    /// `event_type.resumed`; also the `type` of the webhook sent.
    pub kind: String,
    /// `endpoint:3` or `event_type:invoice.paid`.
    pub subject: String,
    /// One sentence for people.
    pub message: String,
    /// The particulars (endpoint id and name, last error, window, last seen, ...).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub created_at: Timestamp,
    /// `pending`, `sent`, `failed` (gave up) or `unsent` (no alert URL configured).
    pub send_state: String,
    pub send_attempts: i64,
    pub sent_at: Option<Timestamp>,
    pub last_send_error: Option<String>,
}

/// One page of alerts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage {
    pub data: Vec<Alert>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next: Option<String>,
}

/// Alerts, newest first; page with `next`.
#[utoipa::path(
    get, path = "/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = AlertPage), Errors)
)]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<AlertQuery>,
) -> Result<Json<AlertPage>, ApiError> {
    let limit = page_limit(query.limit)?;
    let kind = parsed("kind", query.kind, AlertKind::parse, "an alert kind")?;
    let before_id = parsed(
        "cursor",
        query.cursor,
        |c| c.parse::<i64>().ok(),
        "a cursor this API gave",
    )?;
    let mut rows = state
        .store
        .alerts()
        .alerts(&AlertFilter {
            kind: kind.map(|k| k.as_str().to_string()),
            subject: super::text(query.subject),
            before_id,
            limit: limit + 1,
        })
        .await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|a| a.id.to_string())
    } else {
        None
    };
    Ok(Json(AlertPage {
        data: rows
            .into_iter()
            .map(|a| Alert {
                detail: serde_json::from_str(&a.detail).unwrap_or(serde_json::Value::Null),
                id: a.id,
                kind: a.kind,
                subject: a.subject,
                message: a.message,
                created_at: at(a.created_at),
                send_state: a.send_state,
                send_attempts: a.send_attempts,
                sent_at: at_opt(a.sent_at),
                last_send_error: a.last_send_error,
            })
            .collect(),
        next,
    }))
}
