//! Who may do what. Roles, the permissions they grant, and the one policy table that every
//! page, server function and API route is checked against (by the server's access layer; the
//! dashboard uses the same table to hide what a role cannot use).

#[cfg(feature = "server")]
pub mod password;
#[cfg(feature = "server")]
pub mod token;

use serde::{Deserialize, Serialize};

/// A user's or token's role. Each role has every permission of the roles before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Overview, payments, events without bodies.
    Viewer,
    /// + payloads and headers.
    Developer,
    /// + retry, replay, pause/resume.
    Operator,
    /// + sources, endpoints, secrets, users, tokens, the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Developer, Role::Operator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Developer => "developer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// What this role adds, for forms and help text.
    pub fn summary(self) -> &'static str {
        match self {
            Role::Viewer => "overview, payments, events without payloads",
            Role::Developer => "viewer + payloads and headers",
            Role::Operator => "developer + retry, replay, pause and resume",
            Role::Admin => "everything: sources, endpoints, secrets, users, tokens, audit log",
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        self >= permission.least_role()
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request needs beyond being signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    /// Overview, payments, event metadata, failures, endpoints, event types.
    Read,
    /// Event bodies and headers, payload search, sources, attempt request and response data.
    ReadPayloads,
    /// Retry, replay, bulk replay, cancel, pause and resume, test sends.
    Operate,
    /// Sources, endpoints, secrets, users, tokens, the audit log.
    Administer,
}

impl Permission {
    /// The first role that has it.
    pub fn least_role(self) -> Role {
        match self {
            Permission::Read => Role::Viewer,
            Permission::ReadPayloads => Role::Developer,
            Permission::Operate => Role::Operator,
            Permission::Administer => Role::Admin,
        }
    }
}

/// Who is making a request, as the dashboard shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The user's id, or the token's.
    pub id: i64,
    /// The user's email, or the token's name.
    pub name: String,
    pub role: Role,
    /// Signed in with an API token rather than a password.
    pub token: bool,
}

impl Me {
    pub fn can(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }

    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        if self.token {
            format!("token:{}", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// What the server knows about the person looking at a page (rendered into it, so the browser
/// shows the same navigation and actions the server allows).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub me: Option<Me>,
    /// No enabled admin exists yet: the dashboard says how to create one.
    pub needs_admin: bool,
}

impl Viewer {
    pub fn can(&self, permission: Permission) -> bool {
        self.me.as_ref().is_some_and(|me| me.can(permission))
    }
}

/// A dashboard user, as the Users page lists it (never the password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

/// An API token as listed (never the token or its hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The token's first characters.
    pub hint: String,
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    /// A user's email, `token:NAME`, `cli`, or `hookyard` for automatic actions.
    pub actor: String,
    /// `login.failed`, `endpoint.disabled`, `user.created`, ...
    pub action: String,
    pub target: String,
    /// JSON with the action's particulars (filters and counts of bulk actions, ...).
    pub detail: String,
}

/// Which audit entries to list: newest first, older than `before_id` when set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Exactly this actor.
    pub actor: Option<String>,
    /// Actions starting with this (`login.` for every sign-in entry).
    pub action: Option<String>,
    /// At or after this time (ms).
    pub since: Option<i64>,
    pub before_id: Option<i64>,
}

/// Who the audit log names for command-line changes.
pub const CLI_ACTOR: &str = "cli";

/// A sign-in address, lower-cased, or why it is not one.
pub fn check_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err("Enter an email address like ana@example.com.".into())
    }
}

/// What a route asks of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Anyone (signatures, health checks, assets, the sign-in page).
    Public,
    /// Any signed-in user or token.
    SignedIn,
    /// A caller whose role has this permission.
    Allowed(Permission),
}

/// How a route is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A dashboard page (GET, rendered by the server).
    Page,
    /// A dashboard server function (`POST /api/{name}`).
    ServerFn,
    /// Any other route, with its method.
    Route(&'static str),
}

/// One entry of the policy table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub kind: Kind,
    /// A page or route path (`:name` matches one segment, a final `*` the rest), or a server
    /// function's name.
    pub path: &'static str,
    pub need: Need,
}

const fn page(path: &'static str, need: Need) -> Rule {
    Rule {
        kind: Kind::Page,
        path,
        need,
    }
}

const fn server_fn(name: &'static str, permission: Permission) -> Rule {
    Rule {
        kind: Kind::ServerFn,
        path: name,
        need: Need::Allowed(permission),
    }
}

const fn route(method: &'static str, path: &'static str, need: Need) -> Rule {
    Rule {
        kind: Kind::Route(method),
        path,
        need,
    }
}

use Need::{Allowed, Public, SignedIn};
use Permission::{Administer, Operate, Read, ReadPayloads};

/// Every page, server function and route, and what it needs. The server refuses anything not
/// listed here (see [`rule_for`]); the tests walk this table with every role.
pub const POLICY: &[Rule] = &[
    // Pages.
    page("/", Allowed(Read)),
    page("/events", Allowed(Read)),
    page("/events/:id", Allowed(Read)),
    page("/failures", Allowed(Read)),
    page("/endpoints", Allowed(Read)),
    page("/endpoints/new", Allowed(Administer)),
    page("/endpoints/:id", Allowed(Administer)),
    page("/event-types", Allowed(Read)),
    page("/sources", Allowed(ReadPayloads)),
    page("/sources/:slug", Allowed(Administer)),
    page("/payments", Allowed(Read)),
    page("/payments/:id", Allowed(Read)),
    page("/alerts", Allowed(Read)),
    page("/audit", Allowed(Administer)),
    page("/users", Allowed(Administer)),
    page("/login", Public),
    // Server functions.
    server_fn("get_overview", Read),
    server_fn("get_money_overview", Read),
    server_fn("list_events", Read),
    server_fn("get_event", Read),
    server_fn("list_failures", Read),
    server_fn("list_endpoints", Read),
    server_fn("known_event_types", Read),
    server_fn("list_event_types", Read),
    server_fn("get_payments", Read),
    server_fn("get_payment", Read),
    server_fn("list_sources", ReadPayloads),
    server_fn("replay_event", Operate),
    server_fn("retry_delivery", Operate),
    server_fn("set_endpoint_state", Operate),
    server_fn("preview_bulk_replay", Operate),
    server_fn("start_bulk_replay", Operate),
    server_fn("bulk_replay_status", Operate),
    server_fn("cancel_bulk_replay", Operate),
    server_fn("send_test_event", Operate),
    server_fn("endpoint_form", Administer),
    server_fn("save_endpoint", Administer),
    server_fn("rotate_endpoint_secret", Administer),
    server_fn("source_form", Administer),
    server_fn("create_source", Administer),
    server_fn("update_source", Administer),
    server_fn("rotate_source_secret", Administer),
    server_fn("list_users", Administer),
    server_fn("add_user", Administer),
    server_fn("change_user", Administer),
    server_fn("list_tokens", Administer),
    server_fn("create_token", Administer),
    server_fn("revoke_token", Administer),
    server_fn("list_audit", Administer),
    server_fn("list_alerts", Read),
    // Other routes.
    route("POST", "/login", Public),
    route("POST", "/logout", SignedIn),
    route("GET", "/healthz", Public),
    route("GET", "/readyz", Public),
    // Open like the probes, unless HOOKYARD_METRICS_TOKEN asks for its own token.
    route("GET", "/metrics", Public),
    route("GET", "/pkg/*", Public),
    route("POST", "/hooks/*", Public),
    route("GET", "/live/events", Allowed(Read)),
    // Bodies and headers: developers and up. Metadata and payments: every role.
    route("GET", "/export/events.ndjson", Allowed(ReadPayloads)),
    route("GET", "/export/events.csv", Allowed(Read)),
    route("GET", "/export/payments.csv", Allowed(Read)),
    // The JSON API (server/src/api/): viewers read metadata only; bodies and sources need
    // payloads; actions need operators; configuration needs admins.
    route("GET", "/api/v1/openapi.json", Public),
    route("GET", "/api/v1/me", SignedIn),
    route("GET", "/api/v1/events", Allowed(Read)),
    route("GET", "/api/v1/events/:id", Allowed(Read)),
    route("GET", "/api/v1/events/:id/body", Allowed(ReadPayloads)),
    route("GET", "/api/v1/events/:id/deliveries", Allowed(Read)),
    route("POST", "/api/v1/events/:id/replay", Allowed(Operate)),
    route("GET", "/api/v1/deliveries/:id", Allowed(Read)),
    route("POST", "/api/v1/deliveries/:id/retry", Allowed(Operate)),
    route("GET", "/api/v1/endpoints", Allowed(Read)),
    route("POST", "/api/v1/endpoints", Allowed(Administer)),
    route("GET", "/api/v1/endpoints/:id", Allowed(Read)),
    route("PUT", "/api/v1/endpoints/:id", Allowed(Administer)),
    route("POST", "/api/v1/endpoints/:id/pause", Allowed(Operate)),
    route("POST", "/api/v1/endpoints/:id/resume", Allowed(Operate)),
    route("POST", "/api/v1/endpoints/:id/rotate", Allowed(Administer)),
    route("GET", "/api/v1/sources", Allowed(ReadPayloads)),
    route("POST", "/api/v1/sources", Allowed(Administer)),
    route("GET", "/api/v1/sources/:slug", Allowed(ReadPayloads)),
    route("PATCH", "/api/v1/sources/:slug", Allowed(Administer)),
    route("DELETE", "/api/v1/sources/:slug", Allowed(Administer)),
    route("POST", "/api/v1/sources/:slug/rotate", Allowed(Administer)),
    route("POST", "/api/v1/bulk-replays/preview", Allowed(Operate)),
    route("POST", "/api/v1/bulk-replays", Allowed(Operate)),
    route("GET", "/api/v1/bulk-replays/:id", Allowed(Operate)),
    route("POST", "/api/v1/bulk-replays/:id/cancel", Allowed(Operate)),
    route("GET", "/api/v1/payments", Allowed(Read)),
    route("GET", "/api/v1/payments/:id", Allowed(Read)),
    route("GET", "/api/v1/alerts", Allowed(Read)),
];

/// Server functions are served under this prefix.
pub const SERVER_FN_PREFIX: &str = "/api/";

/// What a request needs: its rule in [`POLICY`], or, for anything not listed, the strictest
/// rule that still lets the router answer (an unknown page renders "not found" to a signed-in
/// user; anything else unknown needs an admin).
pub fn rule_for(method: &str, path: &str) -> Rule {
    let is_get = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    let found = POLICY.iter().find(|rule| match rule.kind {
        Kind::Page => is_get && path_matches(rule.path, path),
        Kind::ServerFn => path
            .strip_prefix(SERVER_FN_PREFIX)
            .is_some_and(|name| name == rule.path),
        Kind::Route(m) => {
            (m.eq_ignore_ascii_case(method) || (m == "GET" && is_get))
                && path_matches(rule.path, path)
        }
    });
    match found {
        Some(rule) => *rule,
        None if is_get && !path.starts_with(SERVER_FN_PREFIX) => page(UNLISTED, Allowed(Read)),
        None => route("*", UNLISTED, Allowed(Administer)),
    }
}

/// The path of the rule given to requests the table does not list.
pub const UNLISTED: &str = "(unlisted)";

/// Whether `path` fits `pattern`: `:name` matches one non-empty segment, a final `*` anything
/// below (at least one segment).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.trim_start_matches('/').split('/');
    let mut have = path.trim_start_matches('/').split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some("*"), Some(seg)) => return !seg.is_empty() || have.next().is_some(),
            (Some(w), Some(h)) if w.starts_with(':') => {
                if h.is_empty() {
                    return false;
                }
            }
            (Some(w), Some(h)) => {
                if w != h {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Whether a caller with `role` (None: anonymous) may use a route that needs `need`.
pub fn allows(need: Need, role: Option<Role>) -> bool {
    match need {
        Need::Public => true,
        Need::SignedIn => role.is_some(),
        Need::Allowed(permission) => role.is_some_and(|role| role.can(permission)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_cumulative() {
        assert!(Role::Viewer.can(Read));
        assert!(!Role::Viewer.can(ReadPayloads));
        assert!(Role::Developer.can(ReadPayloads));
        assert!(!Role::Developer.can(Operate));
        assert!(Role::Operator.can(Operate));
        assert!(!Role::Operator.can(Administer));
        assert!(Role::Admin.can(Administer));
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(check_email(" Ana@Example.com ").unwrap(), "ana@example.com");
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "a b@example.com",
            "a@b@c",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patterns_match_segments() {
        assert!(path_matches("/events/:id", "/events/42"));
        assert!(!path_matches("/events/:id", "/events/"));
        assert!(!path_matches("/events/:id", "/events/42/x"));
        assert!(path_matches("/", "/"));
        assert!(!path_matches("/", "/events"));
        assert!(path_matches("/hooks/*", "/hooks/stripe"));
        assert!(!path_matches("/hooks/*", "/hooks/"));
        assert!(!path_matches("/hooks/*", "/hooks"));
    }

    #[test]
    fn the_table_decides_and_unknown_is_strict() {
        assert_eq!(rule_for("GET", "/events/7").need, Allowed(Read));
        // A page path is not a licence to POST to it.
        assert_eq!(rule_for("POST", "/events/7").need, Allowed(Administer));
        assert_eq!(
            rule_for("POST", "/api/save_endpoint").need,
            Allowed(Administer)
        );
        assert_eq!(
            rule_for("POST", "/api/no_such_fn").need,
            Allowed(Administer)
        );
        assert_eq!(rule_for("GET", "/nowhere").need, Allowed(Read));
        assert_eq!(rule_for("POST", "/hooks/stripe").need, Public);
        assert_eq!(rule_for("GET", "/hooks/stripe").need, Allowed(Read));
        assert_eq!(rule_for("HEAD", "/healthz").need, Public);
        assert_eq!(rule_for("GET", "/endpoints/new").need, Allowed(Administer));
    }

    #[test]
    fn every_entry_is_listed_once() {
        for (i, a) in POLICY.iter().enumerate() {
            for b in &POLICY[i + 1..] {
                assert!(
                    !(a.kind == b.kind && a.path == b.path),
                    "{:?} {} listed twice",
                    a.kind,
                    a.path
                );
            }
        }
    }
}
