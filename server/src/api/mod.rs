//! The JSON API under `/api/v1`, for scripts and other tools. One file per resource; each
//! handler is documented with `#[utoipa::path]`, and the routes are registered through
//! `utoipa_axum`, so the OpenAPI document served at `/api/v1/openapi.json` is generated from
//! the very handlers that answer (it cannot list a route that does not exist, or miss one).
//!
//! Conventions: ids are the stored integers; times are RFC 3339 strings in UTC; every error is
//! `{"error": {"code", "message"}}` (see [`error`]); lists page with a keyset cursor (`next`).
//! Who may call what is decided by the access layer from `hookyard_core::access::POLICY`;
//! handlers only decide what depends on the role within one answer (payload data).

pub mod alerts;
pub mod bulk_replays;
pub mod deliveries;
pub mod endpoints;
pub mod error;
pub mod events;
pub mod me;
pub mod payments;
pub mod sources;

use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use axum::Router;
use serde::{Serialize, Serializer};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::router::AppState;
use error::error_response;

/// Where the API lives.
pub const PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hookyard API",
        description = "Events, deliveries, endpoints, sources, replay and payments of a Hookyard \
                       server. Authenticate with `Authorization: Bearer hy_…` (`hookyard token \
                       create`). Times are RFC 3339 (UTC); errors are \
                       `{\"error\": {\"code\", \"message\"}}`."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(error::ErrorBody)),
    tags(
        (name = "events"), (name = "deliveries"), (name = "endpoints"), (name = "sources"),
        (name = "bulk replays"), (name = "payments"), (name = "alerts"), (name = "access")
    )
)]
struct ApiDoc;

/// The bearer token scheme every route needs.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("hy_…")
                    .description(Some("An API token from `hookyard token create`."))
                    .build(),
            ),
        );
    }
}

/// The API's routes with their OpenAPI document, before serving.
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::me))
        .routes(routes!(events::list))
        .routes(routes!(events::get))
        .routes(routes!(events::body))
        .routes(routes!(events::deliveries))
        .routes(routes!(events::replay))
        .routes(routes!(deliveries::get))
        .routes(routes!(deliveries::retry))
        .routes(routes!(endpoints::list, endpoints::create))
        .routes(routes!(endpoints::get, endpoints::update))
        .routes(routes!(endpoints::pause))
        .routes(routes!(endpoints::resume))
        .routes(routes!(endpoints::rotate))
        .routes(routes!(sources::list, sources::create))
        .routes(routes!(sources::get, sources::update, sources::delete))
        .routes(routes!(sources::rotate))
        .routes(routes!(bulk_replays::preview))
        .routes(routes!(bulk_replays::start))
        .routes(routes!(bulk_replays::status))
        .routes(routes!(bulk_replays::cancel))
        .routes(routes!(payments::list))
        .routes(routes!(payments::get))
        .routes(routes!(alerts::list));
    OpenApiRouter::new().nest(PREFIX, api).split_for_parts()
}

/// The OpenAPI 3.1 document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().1
}

/// Every `/api/v1` route, the OpenAPI document at `/api/v1/openapi.json`, and a JSON 404 for
/// any other path below `/api/v1`.
pub fn router() -> Router<AppState> {
    let (routes, doc) = documented();
    let json: Arc<str> = doc
        .to_json()
        .expect("the OpenAPI document serialises")
        .into();
    routes
        .route(
            &format!("{PREFIX}/openapi.json"),
            get(move || {
                let json = json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        json.to_string(),
                    )
                }
            }),
        )
        .route(
            &format!("{PREFIX}/{{*rest}}"),
            any(|| async {
                error_response(StatusCode::NOT_FOUND, "No such API route.").into_response()
            }),
        )
}

/// A time as the API writes it: RFC 3339 in UTC with milliseconds (`2026-11-24T00:59:50.408Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ToSchema)]
#[schema(value_type = String, format = DateTime, example = "2026-11-24T00:59:50.408Z")]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hookyard_core::time::format_rfc3339(self.0))
    }
}

/// A time in milliseconds, as the API writes it.
pub fn at(ms: i64) -> Timestamp {
    Timestamp(ms)
}

/// An optional time in milliseconds, as the API writes it.
pub fn at_opt(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(Timestamp)
}

/// One HTTP header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// Header pairs as the API writes them.
pub fn headers(pairs: Vec<(String, String)>) -> Vec<Header> {
    pairs
        .into_iter()
        .map(|(name, value)| Header { name, value })
        .collect()
}

/// Rows per page of a list unless `limit` says otherwise.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most rows one page holds.
pub const MAX_LIMIT: i64 = 500;

/// A page size from `limit`: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn page_limit(limit: Option<i64>) -> Result<i64, error::ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(error::ApiError::BadRequest(format!(
            "limit must be from 1 to {MAX_LIMIT}."
        )));
    }
    Ok(limit)
}

/// A text parameter, trimmed; empty counts as absent.
pub fn text(value: Option<String>) -> Option<String> {
    value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A text parameter read by `parse`, or a 400 naming it and saying what it should be.
pub fn parsed<T>(
    name: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    want: &str,
) -> Result<Option<T>, error::ApiError> {
    text(value)
        .map(|t| {
            parse(&t)
                .ok_or_else(|| error::ApiError::BadRequest(format!("{name} {t:?} is not {want}.")))
        })
        .transpose()
}

/// An RFC 3339 time parameter (`from`, `to`) in milliseconds.
pub fn time_param(name: &str, value: Option<String>) -> Result<Option<i64>, error::ApiError> {
    parsed(
        name,
        value,
        hookyard_core::time::parse_rfc3339,
        "an RFC 3339 time like 2026-01-31T12:00:00Z",
    )
}

/// A cursor parameter, as `next` gave it.
pub fn cursor_param(value: Option<String>) -> Result<Option<(i64, i64)>, error::ApiError> {
    parsed(
        "cursor",
        value,
        hookyard_core::model::parse_cursor,
        "a cursor this API gave",
    )
}

/// Appends a change made through the API to the audit log (after it is made; a failure to
/// record is logged, the change stands).
pub async fn audit(
    state: &AppState,
    me: &hookyard_core::access::Me,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) {
    let now = hookyard_core::time::now_ms();
    let log = state.store.access();
    if let Err(err) = log.audit(&me.actor(), action, target, &detail, now).await {
        tracing::error!(error = %err, action, target, "cannot write the audit log");
    }
}
