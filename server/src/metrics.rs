//! `GET /metrics`: Prometheus text format. Open like the health probes unless
//! `HOOKYARD_METRICS_TOKEN` is set; then it needs `Authorization: Bearer <that token>`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hookyard_core::metrics::{self, Gauges};
use hookyard_core::time::now_ms;

use crate::router::AppState;

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.access.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !same(given.trim().as_bytes(), expected.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                "metrics need Authorization: Bearer <HOOKYARD_METRICS_TOKEN>\n",
            )
                .into_response();
        }
    }
    let now = now_ms();
    let mut gauges = Gauges::default();
    let queue = state.store.operations().delivery_queue(now).await;
    let endpoints = state.store.endpoints().await;
    let database_up = match (queue, endpoints) {
        (Ok(queue), Ok(endpoints)) => {
            gauges.queue_depth = queue.depth;
            gauges.oldest_due_age_secs = queue
                .oldest_due_at
                .map_or(0.0, |at| (now - at).max(0) as f64 / 1000.0);
            gauges.endpoint_names = endpoints
                .into_iter()
                .map(|r| (r.endpoint.id, r.endpoint.name))
                .collect();
            1
        }
        (Err(err), _) | (_, Err(err)) => {
            tracing::warn!(error = %err, "metrics: database gauges unavailable");
            0
        }
    };
    let mut body = metrics::render(&gauges);
    body.push_str(
        "# HELP hookyard_database_up Whether the database answered this scrape.\n\
         # TYPE hookyard_database_up gauge\n",
    );
    body.push_str(&format!("hookyard_database_up {database_up}\n"));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Compares in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
