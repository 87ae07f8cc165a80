//! Sources (where events come from, one per provider account): list and read (developers;
//! never their secrets), create, change, delete and rotate the signing secret (admins; a new
//! secret is answered once).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use hookyard_core::ingest::source_settings::{
    check_limits, check_new, check_rotation, SourceDraft,
};
use hookyard_core::model::{FieldError, SourceSummary};
use hookyard_core::store::StoreError;
use hookyard_core::time::{now_ms, HOUR_MS};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, Caller, Errors, Json as Body, OptionalJson, Path};
use super::{at, Timestamp};
use crate::router::AppState;
use hookyard_core::access::Me;

/// Where events come from.
#[derive(Debug, Serialize, ToSchema)]
pub struct Source {
    pub id: i64,
    /// Providers send to `/hooks/{slug}`.
    pub slug: String,
    pub name: String,
    /// `stripe`, `standard`, `github`, `shopify` or `hmac`.
    pub scheme: String,
    /// How far a signed timestamp may be from now.
    pub tolerance_secs: i64,
    pub max_body_bytes: i64,
    /// Secrets accepted now (the current one and rotated-out ones not yet expired).
    pub active_secrets: i64,
    /// The path providers send to.
    pub inbound_path: String,
    pub created_at: Timestamp,
}

impl From<SourceSummary> for Source {
    fn from(s: SourceSummary) -> Self {
        Source {
            inbound_path: format!("/hooks/{}", s.slug),
            id: s.id,
            slug: s.slug,
            name: s.name,
            scheme: s.scheme,
            tolerance_secs: s.tolerance_secs,
            max_body_bytes: s.max_body_bytes,
            active_secrets: s.active_secrets,
            created_at: at(s.created_at),
        }
    }
}

/// A new source.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSourceInput {
    /// 1 to 64 lower-case letters, digits, `-` or `_`.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$")]
    pub slug: String,
    /// Defaults to the slug.
    #[serde(default)]
    pub name: String,
    /// `stripe`, `standard`, `github`, `shopify` or `hmac`.
    #[schema(pattern = "^(stripe|standard|github|shopify|hmac)$")]
    pub scheme: String,
    /// The provider's signing secret; absent or empty: one is generated.
    #[serde(default)]
    pub secret: String,
    /// 1 to 86400 (default 300).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 86400)]
    pub tolerance_secs: Option<i64>,
    /// 1 to 25600 (default 2048).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 25600)]
    pub max_body_kib: Option<i64>,
    /// For `hmac`: the header carrying the signature.
    #[serde(default)]
    pub hmac_header: String,
    /// For `hmac`: `hex` (default) or `base64`.
    #[serde(default)]
    pub hmac_encoding: String,
}

/// A new source and its secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSource {
    pub source: Source,
    pub secret: String,
    /// Set when the secret does not look like the provider's.
    pub warning: Option<String>,
}

/// Changes to a source (absent fields stay as they are).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceChangeInput {
    #[schema(max_length = 100)]
    pub name: Option<String>,
    /// 1 to 86400.
    #[schema(minimum = 1, maximum = 86400)]
    pub tolerance_secs: Option<i64>,
    /// 1 to 25600.
    #[schema(minimum = 1, maximum = 25600)]
    pub max_body_kib: Option<i64>,
}

/// A secret rotation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateInput {
    /// The new secret; absent or empty: generated (not for `stripe` and `shopify`, whose
    /// dashboards make it).
    #[serde(default)]
    pub secret: String,
    /// Hours the previous secret keeps working, 0 to 720 (default 24).
    #[schema(minimum = 0, maximum = 720)]
    pub overlap_hours: Option<i64>,
}

/// The secret now current (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSourceSecret {
    pub secret: String,
    /// Until when the previous secret is still accepted.
    pub previous_valid_until: Timestamp,
}

async fn summary(state: &AppState, slug: &str) -> Result<Source, ApiError> {
    state
        .store
        .list_sources(now_ms())
        .await?
        .into_iter()
        .find(|s| s.slug == slug)
        .map(Source::from)
        .ok_or_else(|| ApiError::NotFound(format!("Source {slug:?} does not exist.")))
}

/// Appends a change of source `slug` to the audit log.
async fn audit(state: &AppState, me: &Me, action: &str, slug: &str, detail: serde_json::Value) {
    super::audit(state, me, action, &format!("source:{slug}"), detail).await;
}

/// Every source, by slug.
#[utoipa::path(
    get, path = "/sources", tag = "sources",
    responses((status = 200, body = Vec<Source>), Errors)
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Source>>, ApiError> {
    let all = state.store.list_sources(now_ms()).await?;
    Ok(Json(all.into_iter().map(Source::from).collect()))
}

/// One source.
#[utoipa::path(
    get, path = "/sources/{slug}", tag = "sources",
    params(("slug" = String, Path, description = "Source slug")),
    responses((status = 200, body = Source), Errors)
)]
pub async fn get(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Source>, ApiError> {
    Ok(Json(summary(&state, &slug).await?))
}

/// Creates a source; answers its secret once.
#[utoipa::path(
    post, path = "/sources", tag = "sources", request_body = NewSourceInput,
    responses((status = 201, body = CreatedSource), Errors)
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(me): Caller,
    Body(input): Body<NewSourceInput>,
) -> Result<(StatusCode, Json<CreatedSource>), ApiError> {
    let draft = SourceDraft {
        slug: input.slug,
        name: input.name,
        scheme: input.scheme,
        secret: input.secret,
        tolerance_secs: input.tolerance_secs.unwrap_or(300).to_string(),
        max_body_kib: input.max_body_kib.unwrap_or(2048).to_string(),
        hmac_header: input.hmac_header,
        hmac_encoding: input.hmac_encoding,
    };
    let checked = check_new(&draft).map_err(ApiError::Invalid)?;
    let new = checked.source;
    match state.store.create_source(&new, now_ms()).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::Conflict(format!(
                "A source named {:?} already exists.",
                new.slug
            )))
        }
        Err(err) => return Err(err.into()),
    }
    state.ingestor.forget_source(&new.slug);
    let detail = serde_json::json!({ "scheme": new.scheme.as_str() });
    audit(&state, &me, "source.created", &new.slug, detail).await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedSource {
            source: summary(&state, &new.slug).await?,
            secret: new.secret,
            warning: checked.warning,
        }),
    ))
}

/// Changes a source's name and limits.
#[utoipa::path(
    patch, path = "/sources/{slug}", tag = "sources",
    params(("slug" = String, Path, description = "Source slug")),
    request_body = SourceChangeInput,
    responses((status = 200, body = Source), Errors)
)]
pub async fn update(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(slug): Path<String>,
    Body(input): Body<SourceChangeInput>,
) -> Result<Json<Source>, ApiError> {
    let current = summary(&state, &slug).await?;
    let change = check_limits(
        input.name.as_deref().unwrap_or(&current.name),
        &input
            .tolerance_secs
            .unwrap_or(current.tolerance_secs)
            .to_string(),
        &input
            .max_body_kib
            .unwrap_or(current.max_body_bytes / 1024)
            .to_string(),
    )
    .map_err(ApiError::Invalid)?;
    state.store.update_source(&slug, &change, now_ms()).await?;
    state.ingestor.forget_source(&slug);
    let detail = serde_json::json!({ "tolerance_secs": change.tolerance_secs, "max_body_bytes": change.max_body_bytes });
    audit(&state, &me, "source.updated", &slug, detail).await;
    Ok(Json(summary(&state, &slug).await?))
}

/// Deletes a source that has no events (409 otherwise).
#[utoipa::path(
    delete, path = "/sources/{slug}", tag = "sources",
    params(("slug" = String, Path, description = "Source slug")),
    responses((status = 204, description = "Deleted"), Errors)
)]
pub async fn delete(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    summary(&state, &slug).await?;
    state.store.delete_source(&slug).await?;
    state.ingestor.forget_source(&slug);
    audit(&state, &me, "source.deleted", &slug, serde_json::json!({})).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a new secret current; the previous one keeps working for `overlap_hours`.
#[utoipa::path(
    post, path = "/sources/{slug}/rotate", tag = "sources",
    params(("slug" = String, Path, description = "Source slug")),
    request_body(content = Option<RotateInput>, description = "Optional; empty generates a secret with 24 hours of overlap"),
    responses((status = 200, body = RotatedSourceSecret), Errors)
)]
pub async fn rotate(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(slug): Path<String>,
    OptionalJson(input): OptionalJson<RotateInput>,
) -> Result<Json<RotatedSourceSecret>, ApiError> {
    let source = state
        .store
        .source_by_slug(&slug)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Source {slug:?} does not exist.")))?;
    let overlap = input.overlap_hours.unwrap_or(24).to_string();
    let (secret, hours) = check_rotation(source.scheme, &input.secret, &overlap)
        .map_err(|e: FieldError| ApiError::Invalid(vec![e]))?;
    let now = now_ms();
    let until = now + hours * HOUR_MS;
    state
        .store
        .rotate_source_secret(&slug, &secret, until, now)
        .await?;
    state.ingestor.forget_source(&slug);
    let detail = serde_json::json!({ "previous_valid_until": until });
    audit(&state, &me, "source.secret_rotated", &slug, detail).await;
    Ok(Json(RotatedSourceSecret {
        secret,
        previous_valid_until: at(until),
    }))
}
