//! `GET /api/v1/me`: who the token (or session) is.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{Caller, Errors};

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user's id, or the token's.
    pub id: i64,
    /// The user's email, or the token's name.
    pub name: String,
    /// `viewer`, `developer`, `operator` or `admin`.
    pub role: String,
    /// Calling with an API token rather than a session.
    pub token: bool,
}

/// Who is calling, and with which role.
#[utoipa::path(get, path = "/me", tag = "access", responses((status = 200, body = Me), Errors))]
pub async fn me(Caller(me): Caller) -> Json<Me> {
    Json(Me {
        id: me.id,
        name: me.name,
        role: me.role.as_str().into(),
        token: me.token,
    })
}
