//! Server functions of the Users & tokens and Audit log pages (admin only, by the policy
//! table). Passwords and tokens are shown once, in the answer that made them.

use hookyard_core::access::{AuditEntry, Token, User};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::api::{actor, caller, store, unavailable};

/// The answer of an action that may have made a password or token to show once.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Done {
    pub message: String,
    /// A generated password or a new token; shown once.
    pub secret: Option<String>,
    /// Which form field the error is about, if any.
    pub field: Option<String>,
}

#[cfg(feature = "ssr")]
fn refused(field: &str, message: impl Into<String>) -> Done {
    Done {
        message: message.into(),
        secret: None,
        field: Some(field.to_string()),
    }
}

#[cfg(feature = "ssr")]
fn role_from(text: &str) -> Option<hookyard_core::access::Role> {
    hookyard_core::access::Role::parse(text)
}

#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<User>, ServerFnError> {
    store()
        .access()
        .users()
        .await
        .map_err(unavailable("listing users"))
}

/// Creates a user; an empty password means "generate one" (shown once).
#[server(endpoint = "add_user")]
pub async fn add_user(
    email: String,
    role: String,
    #[server(default)] password: String,
) -> Result<Done, ServerFnError> {
    use hookyard_core::access::{check_email, password as pw};
    let email = match check_email(&email) {
        Ok(e) => e,
        Err(why) => return Ok(refused("email", why)),
    };
    let Some(role) = role_from(&role) else {
        return Ok(refused("role", "Choose a role."));
    };
    let generated = password.is_empty();
    let secret = if generated { pw::generate() } else { password };
    if let Err(why) = pw::check(&secret) {
        return Ok(refused("password", why));
    }
    let hash = pw::hash(secret.clone()).await;
    let created = store()
        .access()
        .create_user(&email, role, &hash, &actor(), hookyard_core::time::now_ms())
        .await;
    match created {
        Ok(_) => Ok(Done {
            message: format!("{email} can sign in now, as {role}."),
            secret: generated.then_some(secret),
            field: None,
        }),
        Err(hookyard_core::store::StoreError::Conflict(why)) => Ok(refused("email", why)),
        Err(err) => Err(unavailable("adding the user")(err)),
    }
}

/// Changes a user: `role` (to `role`), `disable`, `enable` or `reset_password` (a new
/// generated password, shown once).
#[server(endpoint = "change_user")]
pub async fn change_user(
    id: i64,
    change: String,
    #[server(default)] role: String,
) -> Result<Done, ServerFnError> {
    use hookyard_core::access::password as pw;
    use hookyard_core::store::access::UserChange;
    use hookyard_core::store::StoreError;
    let store = store();
    let user = store
        .access()
        .user(id)
        .await
        .map_err(unavailable("changing the user"))?
        .ok_or_else(|| ServerFnError::new(format!("User {id} does not exist.")))?;
    let me = caller().ok_or_else(|| ServerFnError::new("Sign in first."))?;
    let own = !me.token && me.id == id;
    let mut secret = None;
    let (delta, message) = match change.as_str() {
        "role" => {
            let Some(role) = role_from(&role) else {
                return Ok(refused("role", "Choose a role."));
            };
            if own && role != user.role {
                return Ok(refused(
                    "role",
                    "You cannot change your own role; ask another admin.",
                ));
            }
            let delta = UserChange {
                role: Some(role),
                ..UserChange::default()
            };
            (delta, format!("{} is now {role}.", user.email))
        }
        "disable" | "enable" => {
            let disable = change == "disable";
            if own && disable {
                return Ok(refused("state", "You cannot disable your own account."));
            }
            let delta = UserChange {
                disabled: Some(disable),
                ..UserChange::default()
            };
            let message = if disable {
                format!("{} is disabled and signed out everywhere.", user.email)
            } else {
                format!("{} can sign in again.", user.email)
            };
            (delta, message)
        }
        "reset_password" => {
            let new = pw::generate();
            let delta = UserChange {
                password_hash: Some(pw::hash(new.clone()).await),
                ..UserChange::default()
            };
            secret = Some(new);
            let message = format!(
                "New password for {}; their sessions have ended. Give it to them privately.",
                user.email
            );
            (delta, message)
        }
        other => return Err(ServerFnError::new(format!("Unknown change {other:?}."))),
    };
    match store
        .access()
        .change_user(id, &delta, &actor(), hookyard_core::time::now_ms())
        .await
    {
        Ok(()) => Ok(Done {
            message,
            secret,
            field: None,
        }),
        Err(StoreError::Conflict(why)) => Ok(refused("role", why)),
        Err(err) => Err(unavailable("changing the user")(err)),
    }
}

#[server(endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<Token>, ServerFnError> {
    store()
        .access()
        .tokens()
        .await
        .map_err(unavailable("listing tokens"))
}

/// Creates an API token; the answer carries it, once.
#[server(endpoint = "create_token")]
pub async fn create_token(name: String, role: String) -> Result<Done, ServerFnError> {
    use hookyard_core::access::token;
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Ok(refused(
            "name",
            "Say what the token is for, in at most 100 characters.",
        ));
    }
    let Some(role) = role_from(&role) else {
        return Ok(refused("role", "Choose a role."));
    };
    let secret = token::generate();
    store()
        .access()
        .create_token(
            &name,
            role,
            &token::digest(&secret),
            &token::hint(&secret),
            &actor(),
            hookyard_core::time::now_ms(),
        )
        .await
        .map_err(unavailable("creating the token"))?;
    Ok(Done {
        message: format!("Token “{name}” ({role}) is ready."),
        secret: Some(secret),
        field: None,
    })
}

#[server(endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<String, ServerFnError> {
    let revoked = store()
        .access()
        .revoke_token(id, &actor(), hookyard_core::time::now_ms())
        .await
        .map_err(unavailable("revoking the token"))?;
    Ok(if revoked {
        format!("Token {id} is revoked; requests with it are refused from now on.")
    } else {
        format!("Token {id} was already revoked.")
    })
}

/// The Audit log page's filter (all optional).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// An action prefix: `login.`, `endpoint.`, `user.`, ...
    pub action: Option<String>,
    /// `24h`, `7d`, `30d`, or all time.
    pub range: Option<String>,
    /// Entries older than this id.
    pub before: Option<i64>,
}

/// One page of the audit log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The `before` of the next page, if there is one.
    pub next: Option<i64>,
    /// Every actor, for the filter.
    pub actors: Vec<String>,
}

/// Entries per page of the audit log.
pub const AUDIT_PER_PAGE: i64 = 50;

#[server(endpoint = "list_audit", input = leptos::server_fn::codec::Json)]
pub async fn list_audit(query: AuditQuery) -> Result<AuditPage, ServerFnError> {
    use hookyard_core::access::AuditFilter;
    use hookyard_core::time::{now_ms, DAY_MS};
    let nonempty = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let since = match query.range.as_deref() {
        Some("24h") => Some(now_ms() - DAY_MS),
        Some("7d") => Some(now_ms() - 7 * DAY_MS),
        Some("30d") => Some(now_ms() - 30 * DAY_MS),
        _ => None,
    };
    let filter = AuditFilter {
        actor: nonempty(query.actor),
        action: nonempty(query.action),
        since,
        before_id: query.before,
    };
    let access = store();
    let access = access.access();
    let mut entries = access
        .list_audit(&filter, AUDIT_PER_PAGE + 1)
        .await
        .map_err(unavailable("reading the audit log"))?;
    let next = if entries.len() as i64 > AUDIT_PER_PAGE {
        entries.truncate(AUDIT_PER_PAGE as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let actors = access
        .audit_actors()
        .await
        .map_err(unavailable("reading the audit log"))?;
    Ok(AuditPage {
        entries,
        next,
        actors,
    })
}
