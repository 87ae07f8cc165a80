//! Access control end to end, on SQLite and PostgreSQL: the policy table for every route and
//! role, sign-in and its limits, sessions, cross-site refusal, and what a viewer may receive.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use common::{get, post, send};
use hookyard_core::access::{self, password, Kind, Need, Role, POLICY};
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::store::{testing, SharedStore};
use hookyard_server::access::{AccessConfig, COOKIE};
use hookyard_server::{build_router, AppState};
use tower::ServiceExt;

const ORIGIN: &str = "http://hookyard.test";

/// Status and `Location` of a request, without reading the body (the live tail never ends).
async fn status_of(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let uri = req.uri().clone();
    let res = tokio::time::timeout(Duration::from_secs(30), app.clone().oneshot(req))
        .await
        .unwrap_or_else(|_| panic!("{uri}: no answer within 30 s"))
        .expect("router answers");
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (res.status(), location)
}

/// A concrete request for a policy entry (`:id` → 1, `:slug` → stripe, `*` → x).
fn request_for(rule: &access::Rule) -> (Method, String) {
    let path = |p: &str| {
        p.split('/')
            .map(|seg| match seg {
                ":id" => "1",
                ":slug" => "stripe",
                "*" => "x",
                other => other,
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    match rule.kind {
        Kind::Page => (Method::GET, path(rule.path)),
        Kind::ServerFn => (Method::POST, format!("/api/{}", rule.path)),
        Kind::Route(m) => (m.parse().expect("method"), path(rule.path)),
    }
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Verdict {
    Allowed,
    SignInFirst,
    Forbidden,
}

fn verdict(kind: Kind, status: StatusCode, location: &str) -> Verdict {
    match status {
        StatusCode::FORBIDDEN => Verdict::Forbidden,
        StatusCode::UNAUTHORIZED => Verdict::SignInFirst,
        StatusCode::SEE_OTHER if kind == Kind::Page && location.starts_with("/login?next=") => {
            Verdict::SignInFirst
        }
        _ => Verdict::Allowed,
    }
}

/// What the table says a caller with `role` (None: anonymous) gets.
fn expected(need: Need, role: Option<Role>) -> Verdict {
    if access::allows(need, role) {
        Verdict::Allowed
    } else if role.is_none() {
        Verdict::SignInFirst
    } else {
        Verdict::Forbidden
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_table_decides_every_route_for_every_role() {
    for db in testing::all().await {
        let l = db.label;
        common::stripe_source(&db.store, "whsec_policy").await;
        let app = build_router(AppState::new(db.store.clone()));
        let mut callers: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
        for role in Role::ALL {
            callers.push((Some(role), Some(common::role_token(&db.store, role).await)));
        }
        let mut checked = 0;
        for rule in POLICY {
            let (method, uri) = request_for(rule);
            for (role, token) in &callers {
                let mut req = Request::builder()
                    .method(method.clone())
                    .uri(&uri)
                    .header("sec-fetch-site", "same-origin");
                if let Some(token) = token {
                    req = req.header("authorization", format!("Bearer {token}"));
                }
                let (status, location) = status_of(&app, req.body(Body::empty()).unwrap()).await;
                let got = verdict(rule.kind, status, &location);
                let want = expected(rule.need, *role);
                assert_eq!(
                    got, want,
                    "{l}: {method} {uri} as {role:?}: {status} {location} (policy: {:?})",
                    rule.need
                );
                checked += 1;
            }
        }
        assert_eq!(checked, POLICY.len() * 5, "{l}");
        // Not listed: a signed-in page that does not exist, anything else for admins only.
        let viewer = &callers[1].1.clone().unwrap();
        let req = Request::post("/api/not_a_function")
            .header("authorization", format!("Bearer {viewer}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(status_of(&app, req).await.0, StatusCode::FORBIDDEN, "{l}");
    }
}

#[test]
fn every_page_and_server_function_is_in_the_policy_table() {
    let listed = |kind: Kind, path: &str| POLICY.iter().any(|r| r.kind == kind && r.path == path);
    let routes = hookyard_server::router::route_list();
    let mut pages = 0;
    for route in &routes {
        // Axum's `{id}` is the table's `:id`.
        let path = route.path().replace('{', ":").replace('}', "");
        assert!(listed(Kind::Page, &path), "page {path} has no policy entry");
        pages += 1;
    }
    let page_rules = POLICY.iter().filter(|r| r.kind == Kind::Page).count();
    assert_eq!(pages, page_rules, "a page policy entry names no page");

    let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    for path in &registered {
        let name = path
            .strip_prefix(access::SERVER_FN_PREFIX)
            .unwrap_or_else(|| {
                panic!(
                    "server function {path} outside {}",
                    access::SERVER_FN_PREFIX
                )
            });
        assert!(
            listed(Kind::ServerFn, name),
            "server function {name} has no policy entry"
        );
    }
    for rule in POLICY.iter().filter(|r| r.kind == Kind::ServerFn) {
        let path = format!("{}{}", access::SERVER_FN_PREFIX, rule.path);
        assert!(
            registered.contains(&path),
            "policy names {path}, which does not exist"
        );
    }
}

/// An app with these access settings, and a user of each role with password `pw-{role}-123`.
async fn app_with_users(store: &SharedStore, config: AccessConfig) -> Router {
    for role in Role::ALL {
        let hash = password::hash(format!("pw-{role}-123")).await;
        store
            .access()
            .create_user(&format!("{role}@example.com"), role, &hash, "test", 0)
            .await
            .unwrap();
    }
    build_router(AppState::new(store.clone()).with_access(config))
}

/// Posts the sign-in form; returns the redirect and the session cookie, if one was set.
async fn sign_in(app: &Router, email: &str, pw: &str) -> (String, Option<String>) {
    let body = format!(
        "email={}&password={}&next=%2Fevents",
        email.replace('@', "%40"),
        pw
    );
    let reply = post(
        app,
        "/login",
        &[
            ("origin".into(), ORIGIN.into()),
            ("host".into(), "hookyard.test".into()),
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ],
        body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let location = reply.headers["location"].to_str().unwrap().to_string();
    let cookie = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(COOKIE))
        .map(|c| c.to_string());
    (location, cookie)
}

/// `name=value` of a Set-Cookie header.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

async fn page_as(app: &Router, uri: &str, cookie: &str) -> (StatusCode, String) {
    let reply = get(app, uri, &[("cookie", cookie)]).await;
    let location = reply
        .headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (reply.status, location)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_refuses_alike_and_limits_attempts() {
    for db in testing::all().await {
        let l = db.label;
        let config = AccessConfig {
            failures_per_account: 3,
            failures_per_ip: 7,
            ..AccessConfig::default()
        };
        let app = app_with_users(&db.store, config).await;

        let (ok, cookie) = sign_in(&app, "viewer@example.com", "pw-viewer-123").await;
        assert_eq!(ok, "/events", "{l}");
        let set_cookie = cookie.expect("a session cookie");
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
        let (status, _) = page_as(&app, "/events", &pair(&set_cookie)).await;
        assert_eq!(status, StatusCode::OK, "{l}");

        // A wrong password and an unknown account read exactly the same.
        let (wrong, c1) = sign_in(&app, "admin@example.com", "nope-nope-nope").await;
        let (unknown, c2) = sign_in(&app, "nobody@example.com", "nope-nope-nope").await;
        assert!(wrong.starts_with("/login?error=invalid"), "{l}: {wrong}");
        assert_eq!(
            wrong.replace("admin", "X"),
            unknown.replace("nobody", "X"),
            "{l}"
        );
        assert!(
            c1.is_none() && c2.is_none(),
            "{l}: no session for a failure"
        );
        let login = get(&app, &wrong, &[]).await.text();
        assert!(login.contains("do not match an active account"), "{l}");

        // Three failures for one account: even the right password waits now.
        sign_in(&app, "admin@example.com", "nope-nope-nope").await;
        sign_in(&app, "admin@example.com", "nope-nope-nope").await;
        let (limited, cookie) = sign_in(&app, "admin@example.com", "pw-admin-123").await;
        assert!(
            limited.starts_with("/login?error=limited"),
            "{l}: {limited}"
        );
        assert!(limited.contains("wait=15"), "{l}: {limited}");
        assert!(cookie.is_none(), "{l}");
        let page = get(&app, &limited, &[]).await.text();
        assert!(
            page.contains("Too many failed sign-ins. Wait 15 minutes"),
            "{l}"
        );
        // Another account still signs in (the limit is per account)...
        let (ok, _) = sign_in(&app, "developer@example.com", "pw-developer-123").await;
        assert_eq!(ok, "/events", "{l}");
        // ...until the address has failed too often (4 failures so far, 7 allowed).
        for _ in 0..3 {
            sign_in(&app, "someone@example.com", "nope-nope-nope").await;
        }
        let (limited, _) = sign_in(&app, "operator@example.com", "pw-operator-123").await;
        assert!(
            limited.starts_with("/login?error=limited"),
            "{l}: {limited}"
        );

        let audit = db
            .store
            .access()
            .list_audit(&access::AuditFilter::default(), 100)
            .await
            .unwrap();
        let count = |action: &str| audit.iter().filter(|e| e.action == action).count();
        assert_eq!(count("login.succeeded"), 2, "{l}");
        assert_eq!(count("login.failed"), 7, "{l}");
        assert_eq!(count("login.rate_limited"), 2, "{l}");
        assert!(
            audit.iter().all(|e| !e.detail.contains("nope-nope")),
            "{l}: a password reached the audit log"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_and_sign_out_ends_them_on_the_server() {
    for db in testing::all().await {
        let l = db.label;
        let idle = AccessConfig {
            idle: Duration::from_millis(1500),
            secure_cookies: true,
            ..AccessConfig::default()
        };
        let app = app_with_users(&db.store, idle).await;
        let (_, cookie) = sign_in(&app, "viewer@example.com", "pw-viewer-123").await;
        let cookie = cookie.unwrap();
        assert!(cookie.contains("Secure"), "{l}: {cookie}");
        let cookie = pair(&cookie);
        assert_eq!(
            page_as(&app, "/events", &cookie).await.0,
            StatusCode::OK,
            "{l}"
        );
        tokio::time::sleep(Duration::from_millis(2000)).await;
        let (status, location) = page_as(&app, "/events", &cookie).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{l}: idle session still valid"
        );
        assert_eq!(location, "/login?next=%2Fevents", "{l}");

        // Absolute limit: active all along, still over after it.
        let strict = AccessConfig {
            absolute: Duration::from_millis(2500),
            ..AccessConfig::default()
        };
        let app = build_router(AppState::new(db.store.clone()).with_access(strict));
        let (_, cookie) = sign_in(&app, "viewer@example.com", "pw-viewer-123").await;
        let cookie = pair(&cookie.unwrap());
        for _ in 0..2 {
            tokio::time::sleep(Duration::from_millis(900)).await;
            assert_eq!(page_as(&app, "/", &cookie).await.0, StatusCode::OK, "{l}");
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(
            page_as(&app, "/", &cookie).await.0,
            StatusCode::SEE_OTHER,
            "{l}"
        );

        // Sign out: the session row is gone, so the old cookie is worth nothing.
        let app = build_router(AppState::new(db.store.clone()));
        let (_, cookie) = sign_in(&app, "admin@example.com", "pw-admin-123").await;
        let cookie = pair(&cookie.unwrap());
        let id = cookie.split_once('=').unwrap().1.to_string();
        assert!(
            db.store
                .access()
                .session_load(&id, 0)
                .await
                .unwrap()
                .is_some(),
            "{l}"
        );
        let out = post(
            &app,
            "/logout",
            &[
                ("cookie".into(), cookie.clone()),
                ("sec-fetch-site".into(), "same-origin".into()),
            ],
            "",
        )
        .await;
        assert_eq!(out.status, StatusCode::SEE_OTHER, "{l}");
        assert_eq!(out.headers["location"], "/login?signed_out=1", "{l}");
        assert!(
            db.store
                .access()
                .session_load(&id, 0)
                .await
                .unwrap()
                .is_none(),
            "{l}"
        );
        assert_eq!(
            page_as(&app, "/", &cookie).await.0,
            StatusCode::SEE_OTHER,
            "{l}"
        );

        // Disabling a user ends their sessions at once.
        let (_, cookie) = sign_in(&app, "developer@example.com", "pw-developer-123").await;
        let cookie = pair(&cookie.unwrap());
        assert_eq!(page_as(&app, "/", &cookie).await.0, StatusCode::OK, "{l}");
        let dev = db
            .store
            .access()
            .user_by_email("developer@example.com")
            .await
            .unwrap()
            .unwrap();
        let change = hookyard_core::store::access::UserChange {
            disabled: Some(true),
            ..Default::default()
        };
        db.store
            .access()
            .change_user(dev.user.id, &change, "test", 1)
            .await
            .unwrap();
        assert_eq!(
            page_as(&app, "/", &cookie).await.0,
            StatusCode::SEE_OTHER,
            "{l}"
        );
        let (refused, _) = sign_in(&app, "developer@example.com", "pw-developer-123").await;
        assert!(
            refused.starts_with("/login?error=invalid"),
            "{l}: {refused}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused_and_same_site_ones_work() {
    for db in testing::all().await {
        let l = db.label;
        let app = app_with_users(&db.store, AccessConfig::default()).await;
        let (_, cookie) = sign_in(&app, "admin@example.com", "pw-admin-123").await;
        let cookie = pair(&cookie.unwrap());
        let create = |extra: Vec<(String, String)>| {
            let mut headers = vec![
                ("cookie".to_string(), cookie.clone()),
                ("host".to_string(), "hookyard.test".to_string()),
                (
                    "content-type".to_string(),
                    "application/x-www-form-urlencoded".to_string(),
                ),
            ];
            headers.extend(extra);
            headers
        };
        let h = |k: &str, v: &str| (k.to_string(), v.to_string());
        for (why, headers) in [
            (
                "another site",
                create(vec![h("origin", "https://evil.example")]),
            ),
            (
                "cross-site fetch",
                create(vec![h("sec-fetch-site", "cross-site"), h("origin", ORIGIN)]),
            ),
            (
                "same-site subdomain",
                create(vec![h("sec-fetch-site", "same-site")]),
            ),
            ("no origin at all", create(vec![])),
        ] {
            let reply = post(&app, "/api/create_token", &headers, "name=evil&role=admin").await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{l}: {why}: {}",
                reply.text()
            );
            assert!(
                reply.text().contains("Cross-site request refused"),
                "{l}: {why}"
            );
        }
        assert!(
            db.store.access().tokens().await.unwrap().is_empty(),
            "{l}: a refused request acted"
        );

        for headers in [
            create(vec![h("origin", ORIGIN)]),
            create(vec![
                h("sec-fetch-site", "same-origin"),
                h("origin", ORIGIN),
            ]),
        ] {
            let reply = post(&app, "/api/create_token", &headers, "name=ci&role=viewer").await;
            assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
            assert!(
                reply.json()["secret"].as_str().unwrap().starts_with("hy_"),
                "{l}"
            );
        }
        assert_eq!(db.store.access().tokens().await.unwrap().len(), 2, "{l}");
        // Sign-in itself is a state change: a cross-site login form is refused too.
        let reply = post(
            &app,
            "/login",
            &[
                h("origin", "https://evil.example"),
                h("host", "hookyard.test"),
            ],
            "email=admin%40example.com&password=pw-admin-123",
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_never_receives_payloads_or_headers() {
    const BODY_MARK: &str = "secret-order-note-7731";
    const HEADER_MARK: &str = "header-mark-5518";
    for db in testing::all().await {
        let l = db.label;
        common::stripe_source(&db.store, "whsec_view").await;
        let app = build_router(AppState::new(db.store.clone()));
        let now = hookyard_core::time::now_ms() / 1000;
        let body = serde_json::to_vec(&serde_json::json!({
            "id": "evt_view", "object": "event", "type": "payment_intent.succeeded",
            "created": now, "livemode": true,
            "data": {"object": {"id": "pi_view", "object": "payment_intent", "amount": 500,
                "currency": "usd", "status": "succeeded", "created": now,
                "metadata": {"note": BODY_MARK}}}
        }))
        .unwrap();
        let mut headers = sign(
            Scheme::Stripe,
            &SchemeConfig::default(),
            "whsec_view",
            &body,
            now,
            "",
        );
        headers.push(("x-order-trace".into(), HEADER_MARK.into()));
        let reply = post(&app, "/hooks/stripe", &headers, body).await;
        assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
        let id = reply.json()["event_id"].as_i64().unwrap();

        let viewer = common::as_role(app.clone(), &db.store, Role::Viewer).await;
        let developer = common::as_role(app.clone(), &db.store, Role::Developer).await;
        let event_page = format!("/events/{id}");
        let fn_headers = |body: &str| {
            let kind = if body.starts_with('{') {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            };
            vec![("content-type".to_string(), kind.to_string())]
        };
        let fn_body = format!("id={id}");
        let mut seen = Vec::new();
        for uri in [
            event_page.as_str(),
            "/events",
            "/",
            "/payments",
            "/failures",
            "/event-types",
        ] {
            let reply = get(&viewer, uri, &[]).await;
            assert_eq!(reply.status, StatusCode::OK, "{l}: {uri}");
            seen.push((uri.to_string(), reply.body));
        }
        let reply = post(
            &viewer,
            "/api/get_event",
            &fn_headers(&fn_body),
            fn_body.clone(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
        assert_eq!(reply.json()["payload_withheld"], true, "{l}");
        seen.push(("get_event".into(), reply.body));
        let reply = post(
            &viewer,
            "/api/list_events",
            &fn_headers("{"),
            r#"{"query":{}}"#,
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{l}: {}", reply.text());
        seen.push(("list_events".into(), reply.body));
        for (what, bytes) in &seen {
            let text = String::from_utf8_lossy(bytes);
            for mark in [BODY_MARK, HEADER_MARK, "whsec_view", "v1="] {
                assert!(!text.contains(mark), "{l}: {what} gave a viewer {mark:?}");
            }
        }
        let page = String::from_utf8_lossy(&seen[0].1).into_owned();
        assert!(
            page.contains("payment_intent.succeeded"),
            "{l}: the viewer sees what arrived"
        );
        assert!(page.contains("Not shown: your role (viewer)"), "{l}");
        // Searching payloads would reveal them: refused.
        let reply = post(
            &viewer,
            "/api/list_events",
            &fn_headers("{"),
            format!(r#"{{"query":{{"q":"{BODY_MARK}"}}}}"#),
        )
        .await;
        assert!(
            reply
                .text()
                .contains("Searching payloads needs the developer role"),
            "{l}: {}",
            reply.text()
        );

        // A developer gets them: the assertions above could fail.
        let page = get(&developer, &event_page, &[]).await.text();
        assert!(
            page.contains(BODY_MARK) && page.contains(HEADER_MARK),
            "{l}"
        );
        let reply = post(
            &developer,
            "/api/get_event",
            &fn_headers(&fn_body),
            fn_body.clone(),
        )
        .await;
        assert!(reply.text().contains(BODY_MARK), "{l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_the_dashboard_says_how_to_create_one() {
    for db in testing::all().await {
        let l = db.label;
        let app = build_router(AppState::new(db.store.clone()));
        let reply = get(&app, "/", &[]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{l}");
        let login = get(&app, "/login", &[]).await.text();
        assert!(login.contains("Create the first admin"), "{l}");
        assert!(
            login.contains("hookyard user add --email you@example.com --role admin"),
            "{l}"
        );
        assert!(
            !login.contains("name=\"password\""),
            "{l}: no form without accounts"
        );
        // A viewer alone is not enough: someone must be able to manage access.
        let hash = password::hash("viewer-password".into()).await;
        db.store
            .access()
            .create_user("v@example.com", Role::Viewer, &hash, "test", 0)
            .await
            .unwrap();
        assert!(
            get(&app, "/login", &[])
                .await
                .text()
                .contains("Create the first admin"),
            "{l}"
        );
        db.store
            .access()
            .create_user("a@example.com", Role::Admin, &hash, "test", 0)
            .await
            .unwrap();
        let login = get(&app, "/login", &[]).await.text();
        assert!(
            !login.contains("Create the first admin") && login.contains("name=\"password\""),
            "{l}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_act_with_their_role_until_revoked() {
    for db in testing::all().await {
        let l = db.label;
        let app = build_router(AppState::new(db.store.clone()));
        let token = common::role_token(&db.store, Role::Operator).await;
        let me = |t: String| {
            Request::get("/api/v1/me")
                .header("authorization", format!("Bearer {t}"))
                .body(Body::empty())
                .unwrap()
        };
        let reply = send(&app, me(token.clone())).await;
        assert_eq!(reply.status, StatusCode::OK, "{l}");
        assert_eq!(reply.json()["role"], "operator", "{l}");
        assert_eq!(reply.json()["token"], true, "{l}");
        let listed = db.store.access().tokens().await.unwrap();
        assert!(listed[0].last_used_at.is_some(), "{l}: last use noted");
        assert!(
            !format!("{listed:?}").contains(&token),
            "{l}: only the hash is kept"
        );
        db.store
            .access()
            .revoke_token(listed[0].id, "test", 1)
            .await
            .unwrap();
        let reply = send(&app, me(token)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{l}");
        assert!(reply.text().contains("not valid"), "{l}");
        let reply = send(&app, me("hy_made_up".into())).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_admin_cannot_be_removed() {
    for db in testing::all().await {
        let l = db.label;
        let hash = password::hash("admin-password".into()).await;
        let id = db
            .store
            .access()
            .create_user("a@example.com", Role::Admin, &hash, "test", 0)
            .await
            .unwrap();
        use hookyard_core::store::access::UserChange;
        for change in [
            UserChange {
                role: Some(Role::Operator),
                ..Default::default()
            },
            UserChange {
                disabled: Some(true),
                ..Default::default()
            },
        ] {
            let err = db
                .store
                .access()
                .change_user(id, &change, "test", 1)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("no enabled admin"), "{l}: {err}");
        }
        let user = db.store.access().user(id).await.unwrap().unwrap();
        assert_eq!(
            (user.role, user.disabled_at),
            (Role::Admin, None),
            "{l}: rolled back"
        );
        let second = db
            .store
            .access()
            .create_user("b@example.com", Role::Admin, &hash, "test", 0)
            .await
            .unwrap();
        let demote = UserChange {
            role: Some(Role::Viewer),
            ..Default::default()
        };
        db.store
            .access()
            .change_user(id, &demote, "test", 2)
            .await
            .unwrap();
        assert!(
            db.store
                .access()
                .change_user(second, &demote, "test", 3)
                .await
                .is_err(),
            "{l}"
        );
        let dup = db
            .store
            .access()
            .create_user("B@Example.com", Role::Viewer, &hash, "test", 4)
            .await;
        assert!(
            dup.unwrap_err().to_string().contains("already exists"),
            "{l}"
        );
    }
}
