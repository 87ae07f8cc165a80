//! `POST /hooks/{source_slug}`: the inbound URL providers call. Unauthenticated by design:
//! the signature is the authentication.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::{Bytes, BytesMut};
use hookyard_core::ingest::receive::REJECTION_BODY_PREFIX;
use hookyard_core::ingest::{Accepted, Refused};
use http_body_util::BodyExt;
use serde_json::json;

use crate::router::AppState;

/// A sender gets this long to deliver its whole request body (slow-loris uploads are cut off).
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Receives one webhook.
pub async fn receive(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let ingestor = &state.ingestor;
    let source = match ingestor.source(&slug).await {
        Ok(Some(source)) => source,
        Ok(None) => {
            let (prefix, size) = read_prefix(body).await;
            return refused(
                ingestor
                    .refuse_unknown_source(&slug, &headers, &prefix, size)
                    .await,
            );
        }
        Err(err) => {
            tracing::error!(error = %err, "source lookup failed");
            return refused(Refused {
                status: 503,
                reason: "storage_unavailable",
                message: "the event could not be stored; retry later".into(),
            });
        }
    };
    let limit = usize::try_from(source.max_body_bytes).unwrap_or(usize::MAX);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        let (prefix, _) = read_prefix(body).await;
        let size = declared.unwrap_or(0);
        return refused(
            ingestor
                .refuse_too_large(&source, &headers, &prefix, size)
                .await,
        );
    }
    let bytes = match read_limited(body, limit).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge { prefix, seen }) => {
            return refused(
                ingestor
                    .refuse_too_large(&source, &headers, &prefix, seen)
                    .await,
            );
        }
        Err(BodyError::Broken) => {
            return refused(Refused {
                status: 400,
                reason: "body_unreadable",
                message: "the request body could not be read in time".into(),
            });
        }
    };
    match ingestor
        .accept(&source, &headers, bytes, hookyard_core::time::now_ms())
        .await
    {
        Ok(Accepted {
            event_id,
            duplicate,
        }) => {
            hookyard_core::metrics::event_received(&source.slug, duplicate);
            (
            StatusCode::OK,
            Json(json!({ "status": if duplicate { "duplicate" } else { "accepted" }, "event_id": event_id })),
        )
            .into_response()
        }
        Err(refusal) => refused(refusal),
    }
}

fn refused(r: Refused) -> Response {
    hookyard_core::metrics::event_rejected(r.reason);
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (
        status,
        Json(json!({ "error": r.reason, "message": r.message })),
    )
        .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    response
}

enum BodyError {
    TooLarge { prefix: Bytes, seen: usize },
    Broken,
}

/// The whole body, or `TooLarge` as soon as it passes `limit` (keeping its first bytes), or
/// `Broken` if it fails or takes longer than [`BODY_TIMEOUT`].
async fn read_limited(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    tokio::time::timeout(BODY_TIMEOUT, read_limited_untimed(body, limit))
        .await
        .unwrap_or(Err(BodyError::Broken))
}

async fn read_limited_untimed(mut body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Broken)?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                let seen = buf.len() + data.len();
                buf.extend_from_slice(&data);
                buf.truncate(REJECTION_BODY_PREFIX);
                return Err(BodyError::TooLarge {
                    prefix: buf.freeze(),
                    seen,
                });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Up to the first 64 KiB of a body we will not store, and how much was read.
async fn read_prefix(body: Body) -> (Bytes, usize) {
    match read_limited(body, REJECTION_BODY_PREFIX).await {
        Ok(bytes) => {
            let len = bytes.len();
            (bytes, len)
        }
        Err(BodyError::TooLarge { prefix, seen }) => (prefix, seen),
        Err(BodyError::Broken) => (Bytes::new(), 0),
    }
}
