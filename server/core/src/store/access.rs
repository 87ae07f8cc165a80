//! Users, API tokens, sign-in sessions, failed sign-ins and the audit log's reading side.
//! The SQL is the same on both databases; the macro writes each query once per pool type.

use async_trait::async_trait;

use super::StoreError;
use crate::access::{AuditEntry, AuditFilter, Role, Token, User};

/// A user with the password hash, for signing in.
#[derive(Clone)]
pub struct UserRecord {
    pub user: User,
    pub password_hash: String,
}

/// A change to a user; fields left `None` stay as they are.
#[derive(Clone, Debug, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// A new argon2id hash.
    pub password_hash: Option<String>,
}

/// Failed sign-ins in a window, per account and per address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginFailures {
    pub by_email: i64,
    pub by_ip: i64,
    /// The oldest failure counted for the account, and for the address.
    pub first_by_email: Option<i64>,
    pub first_by_ip: Option<i64>,
}

/// What the access layer reads and writes.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Creates a user (email lower-cased); `Conflict` if the address is taken.
    async fn create_user(
        &self,
        email: &str,
        role: Role,
        password_hash: &str,
        actor: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError>;
    /// Every user, by email.
    async fn users(&self) -> Result<Vec<User>, StoreError>;
    async fn user(&self, id: i64) -> Result<Option<User>, StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError>;
    /// Changes a user (audit-logged). Disabling or a new password ends the user's sessions.
    /// `Conflict` if the change would leave no enabled admin.
    async fn change_user(
        &self,
        id: i64,
        change: &UserChange,
        actor: &str,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// Whether an enabled admin exists.
    async fn has_admin(&self) -> Result<bool, StoreError>;

    /// Failed sign-ins since `since` for this address and this IP.
    async fn login_failures(
        &self,
        email: &str,
        ip: &str,
        since: i64,
    ) -> Result<LoginFailures, StoreError>;
    /// Records a failed sign-in (and the audit entry); forgets failures older than a day.
    async fn login_failed(
        &self,
        email: &str,
        ip: &str,
        reason: &str,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// Records a sign-in (and the audit entry); clears the account's failures.
    async fn login_succeeded(&self, user: &User, ip: &str, now_ms: i64) -> Result<(), StoreError>;

    async fn create_token(
        &self,
        name: &str,
        role: Role,
        token_hash: &str,
        hint: &str,
        actor: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError>;
    /// Every token, newest first (revoked ones too).
    async fn tokens(&self) -> Result<Vec<Token>, StoreError>;
    /// The unrevoked token with this hash; notes its use (at most once a minute).
    async fn use_token(&self, token_hash: &str, now_ms: i64) -> Result<Option<Token>, StoreError>;
    /// Revokes a token; false if it was already revoked or does not exist.
    async fn revoke_token(&self, id: i64, actor: &str, now_ms: i64) -> Result<bool, StoreError>;

    /// Stores a new session; false if the id is taken.
    async fn session_create(
        &self,
        id: &str,
        user_id: Option<i64>,
        data: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError>;
    async fn session_save(
        &self,
        id: &str,
        user_id: Option<i64>,
        data: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// A session's data, unless it expired.
    async fn session_load(&self, id: &str, now_ms: i64) -> Result<Option<String>, StoreError>;
    async fn session_delete(&self, id: &str) -> Result<(), StoreError>;
    /// Deletes expired sessions; returns how many.
    async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError>;

    /// Appends to the audit log.
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &serde_json::Value,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// The audit log, newest first.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    /// Every actor that appears in the audit log, sorted (for the page's filter).
    async fn audit_actors(&self) -> Result<Vec<String>, StoreError>;
}

fn role_of(text: &str) -> Result<Role, StoreError> {
    Role::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown role {text:?}")))
}

/// Forgotten after this long (the rate limit looks back 15 minutes).
const FAILURE_MEMORY_MS: i64 = crate::time::DAY_MS;

macro_rules! access_queries {
    ($db:ty, $ty:ty) => {
        use sqlx::Row;

        use super::{role_of, AccessStore, LoginFailures, UserChange, UserRecord, FAILURE_MEMORY_MS};
        use crate::access::{AuditEntry, AuditFilter, Role, Token, User};
        use crate::store::{begin_write, StoreError};

        type Db = $db;

        const USER_COLUMNS: &str =
            "id, email, role, disabled_at, created_at, last_login_at, password_hash";
        const TOKEN_COLUMNS: &str =
            "id, name, role, hint, created_by, created_at, last_used_at, revoked_at";

        fn user_row(r: &<Db as sqlx::Database>::Row) -> Result<UserRecord, StoreError> {
            Ok(UserRecord {
                user: User {
                    id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    role: role_of(r.try_get::<&str, _>("role")?)?,
                    disabled_at: r.try_get("disabled_at")?,
                    created_at: r.try_get("created_at")?,
                    last_login_at: r.try_get("last_login_at")?,
                },
                password_hash: r.try_get("password_hash")?,
            })
        }

        fn token_row(r: &<Db as sqlx::Database>::Row) -> Result<Token, StoreError> {
            Ok(Token {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                role: role_of(r.try_get::<&str, _>("role")?)?,
                hint: r.try_get("hint")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                last_used_at: r.try_get("last_used_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })
        }

        async fn audit_in<'c, E>(
            exec: E,
            actor: &str,
            action: &str,
            target: &str,
            detail: &serde_json::Value,
            now_ms: i64,
        ) -> Result<(), StoreError>
        where
            E: sqlx::Executor<'c, Database = Db>,
        {
            sqlx::query(
                "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(now_ms)
            .bind(actor)
            .bind(action)
            .bind(target)
            .bind(detail.to_string())
            .execute(exec)
            .await?;
            Ok(())
        }

        async fn enabled_admins<'c, E>(exec: E) -> Result<i64, StoreError>
        where
            E: sqlx::Executor<'c, Database = Db>,
        {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
            )
            .fetch_one(exec)
            .await?)
        }

        #[async_trait::async_trait]
        impl AccessStore for $ty {
            async fn create_user(
                &self,
                email: &str,
                role: Role,
                password_hash: &str,
                actor: &str,
                now_ms: i64,
            ) -> Result<i64, StoreError> {
                let email = email.trim().to_lowercase();
                let mut tx = begin_write(self.pool()).await?;
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO users (email, role, password_hash, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) ON CONFLICT (email) DO NOTHING RETURNING id",
                )
                .bind(&email)
                .bind(role.as_str())
                .bind(password_hash)
                .bind(now_ms)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else {
                    return Err(StoreError::Conflict(format!("A user {email} already exists.")));
                };
                let detail = serde_json::json!({ "role": role });
                audit_in(&mut *tx, actor, "user.created", &email, &detail, now_ms).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn users(&self) -> Result<Vec<User>, StoreError> {
                let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY email"))
                    .fetch_all(self.pool())
                    .await?;
                rows.iter().map(|r| user_row(r).map(|u| u.user)).collect()
            }

            async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(self.pool())
                    .await?;
                row.as_ref().map(|r| user_row(r).map(|u| u.user)).transpose()
            }

            async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
                let row =
                    sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
                        .bind(email.trim().to_lowercase())
                        .fetch_optional(self.pool())
                        .await?;
                row.as_ref().map(user_row).transpose()
            }

            async fn change_user(
                &self,
                id: i64,
                change: &UserChange,
                actor: &str,
                now_ms: i64,
            ) -> Result<(), StoreError> {
                let mut tx = begin_write(self.pool()).await?;
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(before) = row.as_ref().map(user_row).transpose()? else {
                    return Err(StoreError::NotFound(format!("no user {id}")));
                };
                let before = before.user;
                let email = before.email.clone();
                if let Some(role) = change.role.filter(|r| *r != before.role) {
                    sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
                        .bind(role.as_str())
                        .bind(now_ms)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let detail = serde_json::json!({ "from": before.role, "to": role });
                    audit_in(&mut *tx, actor, "user.role_changed", &email, &detail, now_ms).await?;
                }
                let was_disabled = before.disabled_at.is_some();
                let mut end_sessions = false;
                if let Some(disable) = change.disabled.filter(|d| *d != was_disabled) {
                    let at = disable.then_some(now_ms);
                    sqlx::query("UPDATE users SET disabled_at = $1, updated_at = $2 WHERE id = $3")
                        .bind(at)
                        .bind(now_ms)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let action = if disable { "user.disabled" } else { "user.enabled" };
                    audit_in(&mut *tx, actor, action, &email, &serde_json::json!({}), now_ms).await?;
                    end_sessions |= disable;
                }
                if let Some(hash) = &change.password_hash {
                    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                        .bind(hash)
                        .bind(now_ms)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let detail = serde_json::json!({});
                    audit_in(&mut *tx, actor, "user.password_reset", &email, &detail, now_ms).await?;
                    end_sessions = true;
                }
                if before.role == Role::Admin && !was_disabled && enabled_admins(&mut *tx).await? == 0 {
                    return Err(StoreError::Conflict(
                        "That would leave no enabled admin; make someone else admin first.".into(),
                    ));
                }
                if end_sessions {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn has_admin(&self) -> Result<bool, StoreError> {
                Ok(enabled_admins(self.pool()).await? > 0)
            }

            async fn login_failures(
                &self,
                email: &str,
                ip: &str,
                since: i64,
            ) -> Result<LoginFailures, StoreError> {
                let (by_email, first_by_email): (i64, Option<i64>) = sqlx::query_as(
                    "SELECT COUNT(*), MIN(at) FROM login_failures WHERE email = $1 AND at >= $2",
                )
                .bind(email.trim().to_lowercase())
                .bind(since)
                .fetch_one(self.pool())
                .await?;
                let (by_ip, first_by_ip): (i64, Option<i64>) = sqlx::query_as(
                    "SELECT COUNT(*), MIN(at) FROM login_failures WHERE ip = $1 AND at >= $2",
                )
                .bind(ip)
                .bind(since)
                .fetch_one(self.pool())
                .await?;
                Ok(LoginFailures {
                    by_email,
                    by_ip,
                    first_by_email,
                    first_by_ip,
                })
            }

            async fn login_failed(
                &self,
                email: &str,
                ip: &str,
                reason: &str,
                now_ms: i64,
            ) -> Result<(), StoreError> {
                let email = email.trim().to_lowercase();
                let mut tx = begin_write(self.pool()).await?;
                sqlx::query("INSERT INTO login_failures (at, email, ip) VALUES ($1, $2, $3)")
                    .bind(now_ms)
                    .bind(&email)
                    .bind(ip)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM login_failures WHERE at < $1")
                    .bind(now_ms - FAILURE_MEMORY_MS)
                    .execute(&mut *tx)
                    .await?;
                let detail = serde_json::json!({ "ip": ip, "reason": reason });
                audit_in(&mut *tx, &email, "login.failed", &email, &detail, now_ms).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn login_succeeded(
                &self,
                user: &User,
                ip: &str,
                now_ms: i64,
            ) -> Result<(), StoreError> {
                let mut tx = begin_write(self.pool()).await?;
                sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
                    .bind(now_ms)
                    .bind(user.id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM login_failures WHERE email = $1")
                    .bind(&user.email)
                    .execute(&mut *tx)
                    .await?;
                let detail = serde_json::json!({ "ip": ip });
                audit_in(&mut *tx, &user.email, "login.succeeded", &user.email, &detail, now_ms)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_token(
                &self,
                name: &str,
                role: Role,
                token_hash: &str,
                hint: &str,
                actor: &str,
                now_ms: i64,
            ) -> Result<i64, StoreError> {
                let mut tx = begin_write(self.pool()).await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO api_tokens (name, role, token_hash, hint, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(name)
                .bind(role.as_str())
                .bind(token_hash)
                .bind(hint)
                .bind(actor)
                .bind(now_ms)
                .fetch_one(&mut *tx)
                .await?;
                let detail = serde_json::json!({ "id": id, "role": role });
                audit_in(&mut *tx, actor, "token.created", name, &detail, now_ms).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn tokens(&self) -> Result<Vec<Token>, StoreError> {
                let rows =
                    sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id DESC"))
                        .fetch_all(self.pool())
                        .await?;
                rows.iter().map(token_row).collect()
            }

            async fn use_token(
                &self,
                token_hash: &str,
                now_ms: i64,
            ) -> Result<Option<Token>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
                ))
                .bind(token_hash)
                .fetch_optional(self.pool())
                .await?;
                let Some(token) = row.as_ref().map(token_row).transpose()? else {
                    return Ok(None);
                };
                if token.last_used_at.is_none_or(|at| at < now_ms - 60_000) {
                    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                        .bind(now_ms)
                        .bind(token.id)
                        .execute(self.pool())
                        .await?;
                }
                Ok(Some(token))
            }

            async fn revoke_token(
                &self,
                id: i64,
                actor: &str,
                now_ms: i64,
            ) -> Result<bool, StoreError> {
                let mut tx = begin_write(self.pool()).await?;
                let name: Option<String> = sqlx::query_scalar(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
                     RETURNING name",
                )
                .bind(now_ms)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(name) = name else {
                    return Ok(false);
                };
                let detail = serde_json::json!({ "id": id });
                audit_in(&mut *tx, actor, "token.revoked", &name, &detail, now_ms).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn session_create(
                &self,
                id: &str,
                user_id: Option<i64>,
                data: &str,
                expires_at: i64,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(id)
                .bind(user_id)
                .bind(data)
                .bind(expires_at)
                .execute(self.pool())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn session_save(
                &self,
                id: &str,
                user_id: Option<i64>,
                data: &str,
                expires_at: i64,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, \
                     expires_at = excluded.expires_at",
                )
                .bind(id)
                .bind(user_id)
                .bind(data)
                .bind(expires_at)
                .execute(self.pool())
                .await?;
                Ok(())
            }

            async fn session_load(
                &self,
                id: &str,
                now_ms: i64,
            ) -> Result<Option<String>, StoreError> {
                Ok(
                    sqlx::query_scalar("SELECT data FROM sessions WHERE id = $1 AND expires_at > $2")
                        .bind(id)
                        .bind(now_ms)
                        .fetch_optional(self.pool())
                        .await?,
                )
            }

            async fn session_delete(&self, id: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM sessions WHERE id = $1")
                    .bind(id)
                    .execute(self.pool())
                    .await?;
                Ok(())
            }

            async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(now_ms)
                    .execute(self.pool())
                    .await?;
                Ok(done.rows_affected())
            }

            async fn audit(
                &self,
                actor: &str,
                action: &str,
                target: &str,
                detail: &serde_json::Value,
                now_ms: i64,
            ) -> Result<(), StoreError> {
                audit_in(self.pool(), actor, action, target, detail, now_ms).await
            }

            async fn list_audit(
                &self,
                filter: &AuditFilter,
                limit: i64,
            ) -> Result<Vec<AuditEntry>, StoreError> {
                // Each condition is always present and switched off by a NULL argument, so
                // one statement serves every combination of filters.
                let rows: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(
                    "SELECT id, at, actor, action, target, detail FROM audit_log \
                     WHERE ($1 IS NULL OR actor = $1) \
                     AND ($2 IS NULL OR substr(action, 1, length($2)) = $2) \
                     AND ($3 IS NULL OR at >= $3) \
                     AND ($4 IS NULL OR id < $4) \
                     ORDER BY id DESC LIMIT $5",
                )
                .bind(filter.actor.as_deref())
                .bind(filter.action.as_deref())
                .bind(filter.since)
                .bind(filter.before_id)
                .bind(limit)
                .fetch_all(self.pool())
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, at, actor, action, target, detail)| AuditEntry {
                        id,
                        at,
                        actor,
                        action,
                        target,
                        detail,
                    })
                    .collect())
            }

            async fn audit_actors(&self) -> Result<Vec<String>, StoreError> {
                Ok(
                    sqlx::query_scalar("SELECT DISTINCT actor FROM audit_log ORDER BY actor")
                        .fetch_all(self.pool())
                        .await?,
                )
            }
        }
    };
}

pub(crate) mod sqlite {
    access_queries!(sqlx::Sqlite, crate::store::SqliteStore);
}

pub(crate) mod postgres {
    access_queries!(sqlx::Postgres, crate::store::PostgresStore);
}
