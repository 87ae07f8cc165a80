//! The access layer: who is calling (a session cookie or an API token), whether the policy
//! table lets them (`hookyard_core::access::POLICY`), cross-site request refusal, and the
//! sign-in and sign-out routes. Every request passes through [`authorize`].

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use hookyard_core::access::{self, password, token, Kind, Me, Need, Viewer};
use hookyard_core::store::SharedStore;
use hookyard_core::time::now_ms;
use serde_json::json;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use crate::router::AppState;

/// Session and sign-in settings.
#[derive(Clone, Debug)]
pub struct AccessConfig {
    /// A session ends after this long without a request.
    pub idle: Duration,
    /// And this long after signing in, whatever happens.
    pub absolute: Duration,
    /// Send the session cookie over HTTPS only.
    pub secure_cookies: bool,
    /// Failed sign-ins allowed per account, and per client address, within `failure_window`.
    pub failures_per_account: i64,
    pub failures_per_ip: i64,
    pub failure_window: Duration,
    /// If set, `/metrics` needs `Authorization: Bearer` with this token.
    pub metrics_token: Option<String>,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(12 * 3600),
            absolute: Duration::from_secs(7 * 24 * 3600),
            secure_cookies: false,
            failures_per_account: 5,
            failures_per_ip: 20,
            failure_window: Duration::from_secs(15 * 60),
            metrics_token: None,
        }
    }
}

/// The session cookie's name.
pub const COOKIE: &str = "hookyard_session";
/// Session keys.
const USER_ID: &str = "user_id";
const SIGNED_IN_AT: &str = "signed_in_at";
const SEEN_AT: &str = "seen_at";

/// The session layer: sessions in Hookyard's database, HttpOnly, SameSite=Lax, idle expiry.
pub fn session_layer(store: SharedStore, config: &AccessConfig) -> SessionManagerLayer<SessionDb> {
    let idle = tower_sessions::cookie::time::Duration::seconds(
        i64::try_from(config.idle.as_secs()).unwrap_or(i64::MAX / 2),
    );
    SessionManagerLayer::new(SessionDb(store))
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

/// tower-sessions' store, kept in the `sessions` table.
#[derive(Clone)]
pub struct SessionDb(SharedStore);

impl std::fmt::Debug for SessionDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionDb")
    }
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn encode(record: &Record) -> session_store::Result<(Option<i64>, String, i64)> {
    let data =
        serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let user = record.data.get(USER_ID).and_then(|v| v.as_i64());
    let expires = i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    Ok((user, data, expires))
}

#[async_trait::async_trait]
impl SessionStore for SessionDb {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let (user, data, expires) = encode(record)?;
            let id = record.id.to_string();
            let access = self.0.access();
            if access
                .session_create(&id, user, &data, expires)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            // 128 random bits collided: draw again.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (user, data, expires) = encode(record)?;
        let id = record.id.to_string();
        self.0
            .access()
            .session_save(&id, user, &data, expires)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let data = self
            .0
            .access()
            .session_load(&id.to_string(), now_ms())
            .await
            .map_err(backend)?;
        data.map(|d| {
            serde_json::from_str(&d).map_err(|e| session_store::Error::Decode(e.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0
            .access()
            .session_delete(&id.to_string())
            .await
            .map_err(backend)
    }
}

/// Checks every request against the policy table. Puts the caller ([`Me`], if any) and the
/// [`Viewer`] into the request's extensions for the pages and server functions.
pub async fn authorize(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let rule = access::rule_for(method.as_str(), &path);
    let form = Form::of(rule.kind, &path);
    // Signatures authenticate the inbound hooks, and nothing else is needed for them.
    if rule.need == Need::Public && path.starts_with("/hooks/") {
        return next.run(request).await;
    }
    let bearer = bearer_token(request.headers());
    if bearer.is_none() && !is_safe(&method) {
        if let Err(why) = same_origin(request.headers()) {
            tracing::warn!(%method, %path, why, "cross-site request refused");
            return refuse(
                form,
                StatusCode::FORBIDDEN,
                &format!("Cross-site request refused: {why}."),
            );
        }
    }
    // Health checks, assets and the sign-in form answer whoever asks, even when the database
    // (which knows who is asking) does not.
    if rule.need == Need::Public && rule.kind != Kind::Page {
        return next.run(request).await;
    }
    let me = match bearer {
        Some(token) => match state
            .store
            .access()
            .use_token(&token::digest(&token), now_ms())
            .await
        {
            Ok(Some(t)) => Some(Me {
                id: t.id,
                name: t.name,
                role: t.role,
                token: true,
            }),
            Ok(None) => {
                return refuse(
                    form,
                    StatusCode::UNAUTHORIZED,
                    "That API token is not valid (unknown or revoked).",
                );
            }
            Err(err) => return unavailable(form, err),
        },
        None => match signed_in(&state, &session).await {
            Ok(me) => me,
            Err(err) => return unavailable(form, err),
        },
    };
    let role = me.as_ref().map(|me| me.role);
    if !access::allows(rule.need, role) {
        return match (&me, rule.kind) {
            (None, Kind::Page) => {
                let next = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
                Redirect::to(&format!("/login?next={}", url_escape(next))).into_response()
            }
            (None, _) => refuse(
                form,
                StatusCode::UNAUTHORIZED,
                "Sign in first (or send an API token).",
            ),
            (Some(me), _) => {
                let needed = match rule.need {
                    Need::Allowed(p) => p.least_role().as_str(),
                    _ => "admin",
                };
                refuse(
                    form,
                    StatusCode::FORBIDDEN,
                    &format!(
                        "Your role ({}) cannot use this; it needs {needed}.",
                        me.role
                    ),
                )
            }
        };
    }
    if me.is_some() && path == "/login" {
        return Redirect::to("/").into_response();
    }
    let needs_admin = if me.is_none() && rule.kind == Kind::Page {
        match state.store.access().has_admin().await {
            Ok(has) => !has,
            Err(err) => return unavailable(form, err),
        }
    } else {
        false
    };
    request.extensions_mut().insert(Viewer {
        me: me.clone(),
        needs_admin,
    });
    if let Some(me) = me {
        request.extensions_mut().insert(me);
    }
    next.run(request).await
}

/// The signed-in user of this session, if it is still valid: the user exists and is enabled,
/// and neither the idle nor the absolute limit has passed.
async fn signed_in(
    state: &AppState,
    session: &Session,
) -> Result<Option<Me>, hookyard_core::store::StoreError> {
    let Ok(Some(user_id)) = session.get::<i64>(USER_ID).await else {
        return Ok(None);
    };
    let now = now_ms();
    let signed_in_at = session
        .get::<i64>(SIGNED_IN_AT)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    let absolute = i64::try_from(state.access.absolute.as_millis()).unwrap_or(i64::MAX);
    let user = state.store.access().user(user_id).await?;
    let valid =
        user.filter(|u| u.disabled_at.is_none() && now.saturating_sub(signed_in_at) < absolute);
    let Some(user) = valid else {
        let _ = session.flush().await;
        return Ok(None);
    };
    // Touch the session at most once a minute: each touch is a write, and it is what moves
    // the idle expiry forward.
    let minute = now / 60_000;
    if session.get::<i64>(SEEN_AT).await.ok().flatten() != Some(minute) {
        let _ = session.insert(SEEN_AT, minute).await;
    }
    Ok(Some(Me {
        id: user.id,
        name: user.email,
        role: user.role,
        token: false,
    }))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// A state-changing request must come from a page of this site: the browser says so with
/// `Sec-Fetch-Site`, or else with an `Origin` naming this host.
fn same_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return match site {
            "same-origin" => Ok(()),
            _ => Err("the request came from another site"),
        };
    }
    let Some(origin) = text("origin") else {
        return Err("the request does not say where it came from (no Origin header)");
    };
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    let hosts = [text("x-forwarded-host"), text("host")];
    if origin_host.is_some_and(|o| {
        hosts
            .iter()
            .flatten()
            .any(|h| h.split(',').next().map(str::trim) == Some(o))
    }) {
        Ok(())
    } else {
        Err("the request came from another origin")
    }
}

/// How a refusal is written for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// A small HTML page (dashboard pages).
    Page,
    /// `{"error": "message"}` (server functions and other routes).
    Json,
    /// The JSON API's shape, `{"error": {"code", "message"}}`.
    Api,
}

impl Form {
    fn of(kind: Kind, path: &str) -> Self {
        match kind {
            Kind::Page => Form::Page,
            _ if path == crate::api::PREFIX
                || path.starts_with(&format!("{}/", crate::api::PREFIX)) =>
            {
                Form::Api
            }
            _ => Form::Json,
        }
    }
}

/// A refusal in the form the caller reads.
fn refuse(form: Form, status: StatusCode, message: &str) -> Response {
    match form {
        Form::Page => (status, Html(message_page(status, message))).into_response(),
        Form::Json => (status, Json(json!({ "error": message }))).into_response(),
        Form::Api => crate::api::error::error_response(status, message),
    }
}

fn unavailable(form: Form, err: hookyard_core::store::StoreError) -> Response {
    tracing::error!(error = %err, "access check failed");
    refuse(
        form,
        StatusCode::SERVICE_UNAVAILABLE,
        "The database is not answering, so your access cannot be checked. Try again shortly.",
    )
}

/// A small page of its own (the dashboard's layout needs a caller it may show).
fn message_page(status: StatusCode, message: &str) -> String {
    let title = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNAUTHORIZED => "Sign in first",
        _ => "Not available",
    };
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Hookyard</title><link rel=\"stylesheet\" href=\"/pkg/hookyard.css\"></head>\
         <body><main class=\"message-page\"><div class=\"card\"><h1>{title}</h1><p>{}</p>\
         <p><a href=\"/\">Back to the overview</a></p></div></main></body></html>",
        html_escape(message)
    )
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn url_escape(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The sign-in form's fields (missing ones are empty, and fail like a wrong password).
#[derive(Default)]
struct SignIn {
    email: String,
    password: String,
    next: String,
}

impl SignIn {
    fn parse(body: &[u8]) -> Self {
        let mut form = SignIn::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            match key.as_ref() {
                "email" => form.email = value.into_owned(),
                "password" => form.password = value.into_owned(),
                "next" => form.next = value.into_owned(),
                _ => {}
            }
        }
        form
    }
}

/// `POST /login`: checks the password (argon2id), the rate limits, and starts a session.
/// Every refusal reads the same whether or not the account exists.
pub async fn login(State(state): State<AppState>, session: Session, request: Request) -> Response {
    let ip = client_ip(&request);
    let body = axum::body::to_bytes(request.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let form = SignIn::parse(&body);
    let email = form.email.trim().to_lowercase();
    let next = safe_next(&form.next);
    let back = |error: &str, wait: Option<i64>| {
        let mut url = format!("/login?error={error}&email={}", url_escape(&email));
        if let Some(min) = wait {
            url.push_str(&format!("&wait={min}"));
        }
        if next != "/" {
            url.push_str(&format!("&next={}", url_escape(&next)));
        }
        Redirect::to(&url).into_response()
    };
    let access = state.store.access();
    let now = now_ms();
    let window = i64::try_from(state.access.failure_window.as_millis()).unwrap_or(i64::MAX);
    let failures = match access.login_failures(&email, &ip, now - window).await {
        Ok(f) => f,
        Err(err) => return unavailable(Form::Page, err),
    };
    let limited_since = if failures.by_email >= state.access.failures_per_account {
        failures.first_by_email
    } else if failures.by_ip >= state.access.failures_per_ip {
        failures.first_by_ip
    } else {
        None
    };
    if let Some(first) = limited_since {
        let wait_min = ((first + window - now).max(0) + 59_999) / 60_000;
        let detail = json!({ "ip": ip, "reason": "rate limited" });
        let _ = access
            .audit(&email, "login.rate_limited", &email, &detail, now)
            .await;
        return back("limited", Some(wait_min.max(1)));
    }
    let record = match access.user_by_email(&email).await {
        Ok(r) => r,
        Err(err) => return unavailable(Form::Page, err),
    };
    let enabled = record.filter(|r| r.user.disabled_at.is_none());
    let ok = password::verify(
        form.password,
        enabled.as_ref().map(|r| r.password_hash.clone()),
    )
    .await;
    let Some(user) = enabled.filter(|_| ok).map(|r| r.user) else {
        let reason = if ok {
            "disabled"
        } else {
            "wrong email or password"
        };
        if let Err(err) = access.login_failed(&email, &ip, reason, now).await {
            return unavailable(Form::Page, err);
        }
        return back("invalid", None);
    };
    // A new session id at sign-in: an id planted before it is worth nothing after.
    let started = async {
        session.cycle_id().await?;
        session.insert(USER_ID, user.id).await?;
        session.insert(SIGNED_IN_AT, now).await?;
        session.insert(SEEN_AT, now / 60_000).await
    };
    if let Err(err) = started.await {
        tracing::error!(error = %err, "cannot start a session");
        return refuse(
            Form::Page,
            StatusCode::SERVICE_UNAVAILABLE,
            "Signing in is not possible right now; try again shortly.",
        );
    }
    if let Err(err) = access.login_succeeded(&user, &ip, now).await {
        return unavailable(Form::Page, err);
    }
    Redirect::to(&next).into_response()
}

/// `POST /logout`: ends the session on the server (the cookie alone is worth nothing after).
pub async fn logout(State(state): State<AppState>, session: Session, request: Request) -> Response {
    if let Some(me) = request.extensions().get::<Me>() {
        let _ = state
            .store
            .access()
            .audit(&me.actor(), "logout", &me.name, &json!({}), now_ms())
            .await;
    }
    if let Err(err) = session.flush().await {
        tracing::error!(error = %err, "cannot end a session");
    }
    Redirect::to("/login?signed_out=1").into_response()
}

/// Only a path on this site; anything else (another host, `//evil`) goes to the overview.
fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/login");
    if ok {
        next.to_string()
    } else {
        "/".to_string()
    }
}

fn client_ip(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(
            || "unknown".to_string(),
            |ConnectInfo(addr)| addr.ip().to_string(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/events?type=x"), "/events?type=x");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("/login?next=/x"), "/");
        assert_eq!(safe_next(""), "/");
    }

    #[test]
    fn origin_checks() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.insert(*k, v.parse().unwrap());
            }
            map
        };
        assert!(same_origin(&h(&[("sec-fetch-site", "same-origin")])).is_ok());
        assert!(same_origin(&h(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://a")
        ]))
        .is_err());
        assert!(same_origin(&h(&[("sec-fetch-site", "same-site")])).is_err());
        assert!(same_origin(&h(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ]))
        .is_ok());
        assert!(same_origin(&h(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:3000")
        ]))
        .is_err());
        assert!(same_origin(&h(&[("host", "127.0.0.1:3000")])).is_err());
        assert!(same_origin(&h(&[("origin", "null"), ("host", "127.0.0.1:3000")])).is_err());
    }

    #[test]
    fn bearer_is_parsed() {
        let mut map = HeaderMap::new();
        map.insert(header::AUTHORIZATION, "Bearer hy_abc".parse().unwrap());
        assert_eq!(bearer_token(&map).as_deref(), Some("hy_abc"));
        map.insert(header::AUTHORIZATION, "Basic eDp5".parse().unwrap());
        assert_eq!(bearer_token(&map), None);
    }
}
