//! Helpers shared by the server's integration tests.
#![allow(dead_code)]

pub mod db;
pub mod faulty;
pub mod handler;
pub mod instance;
pub mod load;
pub mod proxy;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A response, fully read.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request through the router in-process.
pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let uri = req.uri().clone();
    // A request that does not finish is a failure with a message, not a CI run that hangs.
    let res = tokio::time::timeout(std::time::Duration::from_secs(30), app.clone().oneshot(req))
        .await
        .unwrap_or_else(|_| panic!("{uri}: no answer within 30 s"))
        .expect("router answers");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(app, req.body(Body::empty()).expect("request")).await
}

pub async fn post(
    app: &Router,
    uri: &str,
    headers: &[(String, String)],
    body: impl Into<Body>,
) -> Reply {
    let mut req = Request::post(uri);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    send(app, req.body(body.into()).expect("request")).await
}

/// Creates a Stripe-scheme source with slug `stripe` and a 1 MiB body limit.
pub async fn stripe_source(store: &hookyard_core::store::SharedStore, secret: &str) {
    use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
    store
        .create_source(
            &hookyard_core::store::NewSource {
                slug: "stripe".into(),
                name: "Stripe".into(),
                scheme: Scheme::Stripe,
                config: SchemeConfig::default(),
                secret: secret.into(),
                tolerance_secs: 300,
                max_body_bytes: 1 << 20,
            },
            hookyard_core::time::now_ms(),
        )
        .await
        .expect("create source");
}

/// `app` as seen by a caller with `role`: every request carries a fresh API token of that
/// role (tokens are accepted wherever a session is).
pub async fn as_role(
    app: Router,
    store: &hookyard_core::store::SharedStore,
    role: hookyard_core::access::Role,
) -> Router {
    let token = role_token(store, role).await;
    app.layer(axum::middleware::map_request(
        move |mut req: Request<Body>| {
            let value = format!("Bearer {token}");
            async move {
                if !req.headers().contains_key("authorization") {
                    req.headers_mut()
                        .insert("authorization", value.parse().expect("header value"));
                }
                req
            }
        },
    ))
}

/// `app` as seen by an admin.
pub async fn as_admin(app: Router, store: &hookyard_core::store::SharedStore) -> Router {
    as_role(app, store, hookyard_core::access::Role::Admin).await
}

/// A new API token with `role`.
pub async fn role_token(
    store: &hookyard_core::store::SharedStore,
    role: hookyard_core::access::Role,
) -> String {
    use hookyard_core::access::token;
    let secret = token::generate();
    store
        .access()
        .create_token(
            &format!("test {role}"),
            role,
            &token::digest(&secret),
            &token::hint(&secret),
            "test",
            hookyard_core::time::now_ms(),
        )
        .await
        .expect("create token");
    secret
}

/// Creates an endpoint for every event type at `url`; returns its id.
pub async fn endpoint(
    store: &hookyard_core::store::SharedStore,
    url: &str,
    timeout_ms: i64,
    max_in_flight: i64,
    retry_schedule: Vec<u64>,
) -> i64 {
    store
        .create_endpoint(
            &hookyard_core::store::NewEndpoint {
                name: url.to_string(),
                url: url.to_string(),
                description: String::new(),
                patterns: vec!["*".into()],
                source_id: None,
                secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
                headers: vec![],
                timeout_ms,
                max_in_flight,
                retry_schedule: Some(retry_schedule),
            },
            hookyard_core::time::now_ms(),
        )
        .await
        .expect("create endpoint")
}

/// A number from the environment (the long versions of the reliability tests), or `default`.
pub fn knob(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}
