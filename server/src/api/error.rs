//! The JSON API's one error shape, `{"error": {"code", "message", "fields"?}}`, and the
//! extractors that answer malformed requests in it. Store failures are logged here and
//! answered as `unavailable` without their detail.

use std::collections::BTreeMap;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hookyard_core::access::Me;
use hookyard_core::model::FieldError;
use hookyard_core::store::StoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::ToSchema;

/// Every failure the API answers.
#[derive(Debug)]
pub enum ApiError {
    /// 400: a parameter or body that cannot be read.
    BadRequest(String),
    /// 401: no valid session or token.
    Unauthorized(String),
    /// 403: the caller's role does not allow it.
    Forbidden(String),
    /// 404
    NotFound(String),
    /// 409: the request conflicts with the current state.
    Conflict(String),
    /// 422: readable, but these fields are wrong.
    Invalid(Vec<FieldError>),
    /// Any other status the framework chose for a malformed request (e.g. 415).
    Rejected(StatusCode, String),
    /// 503: the database did not answer (logged, never detailed).
    Unavailable,
}

/// The error answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and people (`message`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `invalid`,
    /// `unsupported_media_type` or `unavailable`.
    pub code: String,
    pub message: String,
    /// For `invalid`: each field to fix and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<ApiFieldError>,
}

/// A field the server refused, and why.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FieldError)]
pub struct ApiFieldError {
    pub field: String,
    pub message: String,
}

/// The code for an error status.
pub fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ => "error",
    }
}

/// An error answer with this status and message (the access layer refuses with it too).
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code_for(status).into(),
            message: message.into(),
            fields: Vec::new(),
        },
    };
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message, fields) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m, Vec::new()),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m, Vec::new()),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m, Vec::new()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m, Vec::new()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m, Vec::new()),
            ApiError::Rejected(status, m) => (status, m, Vec::new()),
            ApiError::Invalid(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Some fields need fixing; see `fields`.".to_string(),
                fields,
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The database is not answering; try again shortly.".to_string(),
                Vec::new(),
            ),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code_for(status).into(),
                message,
                fields: fields
                    .into_iter()
                    .map(|f| ApiFieldError {
                        field: f.field,
                        message: f.message,
                    })
                    .collect(),
            },
        };
        (status, axum::Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            other => {
                tracing::error!(error = %other, "API request failed in the store");
                ApiError::Unavailable
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        // 400 for syntax, 422 for the wrong shape, 415 without a JSON content type.
        match rejection.status() {
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Invalid(vec![FieldError {
                field: "body".into(),
                message: rejection.body_text(),
            }]),
            status => ApiError::Rejected(status, rejection.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

/// Text with a NUL character: no database stores it as text (PostgreSQL refuses it), and no
/// name, filter or setting needs it, so it is refused before it reaches the store.
fn has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// A JSON value as `T`, or the 422 that says why not.
fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    let invalid = |message: String| {
        ApiError::Invalid(vec![FieldError {
            field: "body".into(),
            message,
        }])
    };
    if has_nul(&value) {
        return Err(invalid("Text cannot contain NUL characters.".into()));
    }
    serde_json::from_value(value)
        .map_err(|e| invalid(format!("The body is not the JSON expected: {e}")))
}

/// `axum::Json`, refusing in the API's error shape.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // Content type and syntax first (415, 400), then the shape (422).
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        from_value(value).map(Json)
    }
}

/// A JSON body that may be left out entirely (empty: `T::default()`).
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::Rejected(e.status(), e.body_text()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        let value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::BadRequest(format!("The body is not JSON: {e}")))?;
        from_value(value).map(OptionalJson)
    }
}

/// Refuses a path or query string with an encoded NUL (see [`has_nul`]).
fn refuse_nul(text: Option<&str>) -> Result<(), ApiError> {
    if text.is_some_and(|t| t.to_ascii_lowercase().contains("%00")) {
        return Err(ApiError::BadRequest(
            "Text cannot contain NUL characters.".into(),
        ));
    }
    Ok(())
}

/// `axum::extract::Query`, refusing in the API's error shape.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        refuse_nul(parts.uri.query())?;
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(value))
    }
}

/// `axum::extract::Path`, refusing in the API's error shape.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        refuse_nul(Some(parts.uri.path()))?;
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}

/// The caller the access layer let in.
pub struct Caller(pub Me);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Me>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError::Unauthorized("Sign in first (or send an API token).".into()))
    }
}

/// The error answers every route may give (documented once, listed on every route).
pub struct Errors;

impl utoipa::IntoResponses for Errors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
        [
            ("400", "A parameter or the body cannot be read."),
            ("401", "No valid API token (or session)."),
            ("403", "The caller's role does not allow this."),
            ("404", "No such resource."),
            ("409", "The request conflicts with the current state."),
            ("415", "The body is not sent as application/json."),
            ("422", "Some fields need fixing (listed in `fields`)."),
            ("503", "The database is not answering."),
        ]
        .into_iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Error")))
                .build();
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", content)
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
    }
}
