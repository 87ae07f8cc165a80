//! `hookyard user …` and `hookyard token …`.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};
use hookyard_core::access::{check_email, password, token, Role, User, CLI_ACTOR};
use hookyard_core::store::access::UserChange;
use hookyard_core::store::SharedStore;
use hookyard_core::time::{format_utc, now_ms};

use super::serve::open_store;
use crate::cli::{TokenCreateArgs, TokenRevokeArgs, UserAddArgs, UserArgs};

pub async fn add_user(args: &UserAddArgs, database_url: &str) -> anyhow::Result<()> {
    let email = check_email(&args.email).map_err(anyhow::Error::msg)?;
    let secret = read_password(&format!("Password for {email}: "))?;
    let store = open_store(database_url).await?;
    let hash = password::hash(secret).await;
    let role = Role::from(args.role);
    let id = store
        .access()
        .create_user(&email, role, &hash, CLI_ACTOR, now_ms())
        .await?;
    println!("Created user {id}: {email} ({role}). They can sign in now.");
    Ok(())
}

pub async fn list_users(database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let users = store.access().users().await?;
    if users.is_empty() {
        println!(
            "No users yet. Create an admin: hookyard user add --email you@example.com --role admin"
        );
        return Ok(());
    }
    println!(
        "{:<5} {:<32} {:<10} {:<9} last sign-in",
        "id", "email", "role", "state"
    );
    for u in users {
        let state = if u.disabled_at.is_some() {
            "disabled"
        } else {
            "active"
        };
        let last = u
            .last_login_at
            .map_or_else(|| "never".to_string(), format_utc);
        println!(
            "{:<5} {:<32} {:<10} {:<9} {last}",
            u.id,
            u.email,
            u.role.as_str(),
            state
        );
    }
    Ok(())
}

pub async fn set_role(args: &UserAddArgs, database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let user = find_user(&store, &args.email).await?;
    let role = Role::from(args.role);
    let change = UserChange {
        role: Some(role),
        ..UserChange::default()
    };
    store
        .access()
        .change_user(user.id, &change, CLI_ACTOR, now_ms())
        .await?;
    println!("{} is now {role} (was {}).", user.email, user.role);
    Ok(())
}

pub async fn set_disabled(
    args: &UserArgs,
    disabled: bool,
    database_url: &str,
) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let user = find_user(&store, &args.email).await?;
    let change = UserChange {
        disabled: Some(disabled),
        ..UserChange::default()
    };
    store
        .access()
        .change_user(user.id, &change, CLI_ACTOR, now_ms())
        .await?;
    if disabled {
        println!("{} is disabled; their sessions have ended.", user.email);
    } else {
        println!("{} can sign in again.", user.email);
    }
    Ok(())
}

pub async fn reset_password(args: &UserArgs, database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let user = find_user(&store, &args.email).await?;
    let secret = read_password(&format!("New password for {}: ", user.email))?;
    let change = UserChange {
        password_hash: Some(password::hash(secret).await),
        ..UserChange::default()
    };
    store
        .access()
        .change_user(user.id, &change, CLI_ACTOR, now_ms())
        .await?;
    println!(
        "New password set for {}; their sessions have ended.",
        user.email
    );
    Ok(())
}

pub async fn create_token(args: &TokenCreateArgs, database_url: &str) -> anyhow::Result<()> {
    let name = args.name.trim();
    if name.is_empty() {
        bail!("--name: say what the token is for");
    }
    let store = open_store(database_url).await?;
    let secret = token::generate();
    let role = Role::from(args.role);
    let id = store
        .access()
        .create_token(
            name,
            role,
            &token::digest(&secret),
            &token::hint(&secret),
            CLI_ACTOR,
            now_ms(),
        )
        .await?;
    println!("Token {id} ({name}, {role}):\n\n  {secret}\n");
    println!("Shown once; only its hash is stored. Use it as: Authorization: Bearer <token>");
    Ok(())
}

pub async fn list_tokens(database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let tokens = store.access().tokens().await?;
    if tokens.is_empty() {
        println!("No tokens. Create one: hookyard token create --name NAME --role viewer");
        return Ok(());
    }
    println!(
        "{:<5} {:<24} {:<10} {:<12} {:<20} state",
        "id", "name", "role", "starts", "last used"
    );
    for t in tokens {
        let state = t.revoked_at.map_or_else(
            || "active".to_string(),
            |at| format!("revoked {}", format_utc(at)),
        );
        let used = t
            .last_used_at
            .map_or_else(|| "never".to_string(), format_utc);
        println!(
            "{:<5} {:<24} {:<10} {:<12} {:<20} {state}",
            t.id,
            t.name,
            t.role.as_str(),
            t.hint,
            used
        );
    }
    Ok(())
}

pub async fn revoke_token(args: &TokenRevokeArgs, database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    if store
        .access()
        .revoke_token(args.id, CLI_ACTOR, now_ms())
        .await?
    {
        println!(
            "Token {} is revoked; requests with it are refused from now on.",
            args.id
        );
        Ok(())
    } else {
        bail!(
            "no active token {} (hookyard token list shows them)",
            args.id
        )
    }
}

async fn find_user(store: &SharedStore, email: &str) -> anyhow::Result<User> {
    let email = check_email(email).map_err(anyhow::Error::msg)?;
    Ok(store
        .access()
        .user_by_email(&email)
        .await?
        .with_context(|| format!("no user {email} (hookyard user list shows them)"))?
        .user)
}

/// A new password: typed twice at a prompt (not echoed), or the first line of standard input.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    let secret = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt)?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            bail!("the two passwords differ; nothing changed");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    password::check(&secret).map_err(anyhow::Error::msg)?;
    Ok(secret)
}
