//! `hookyard rotate-master-key` and `hookyard generate-master-key`.

use anyhow::{bail, Context};
use hookyard_core::crypto::{self, KeyError, MasterKey, HOW_TO_MAKE_A_KEY, NEW_KEY_ENV};
use hookyard_core::store::{self, KeySource, Resealed};
use hookyard_core::time::now_ms;

use crate::cli::RotateMasterKeyArgs;

/// Who the audit log names for the rotation.
const CLI_ACTOR: &str = "cli";

/// `hookyard generate-master-key`: a fresh key on standard output, for HOOKYARD_SECRET_KEY.
pub fn generate() -> anyhow::Result<()> {
    println!("{}", MasterKey::generate().to_base64());
    Ok(())
}

/// `hookyard rotate-master-key`.
///
/// With the SQLite key file, the new key is written beside it (`hookyard.key.new`, 0600)
/// before anything is encrypted under it, and renamed over the key file once the database
/// committed: a crash at any point leaves either the old key opening everything, or the new
/// key on disk, which a second run picks up and finishes with.
pub async fn rotate(args: &RotateMasterKeyArgs, database_url: &str) -> anyhow::Result<()> {
    let env_key = MasterKey::from_env()?;
    let key_file = match env_key {
        Some(_) => None,
        None => store::key_file_for(database_url),
    };
    let current = match (env_key, &key_file) {
        (Some(key), _) => key,
        (None, Some(path)) => crypto::read_key_file(path)?.with_context(|| {
            format!(
                "there is no key file {} (and HOOKYARD_SECRET_KEY is not set): no secret is encrypted yet, so there is nothing to rotate",
                path.display()
            )
        })?,
        (None, None) => return Err(KeyError::Missing.into()),
    };
    let pending_file = key_file.as_ref().map(|f| crypto::aside_path(f, "new"));
    let pending = match &pending_file {
        Some(path) => crypto::read_key_file(path)?,
        None => None,
    };
    let given = match &args.new_key_file {
        Some(path) => Some(
            crypto::read_key_file(path)?
                .with_context(|| format!("--new-key-file {}: no such file", path.display()))?,
        ),
        None => MasterKey::from_env_var(NEW_KEY_ENV)?,
    };
    let new = match (given, pending) {
        (Some(given), Some(pending)) if given != pending => bail!(
            "{} holds the new key of an unfinished rotation (key {}): run `hookyard rotate-master-key` without a new key to finish it first (or delete that file if the rotation never started)",
            pending_file.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
            pending.id()
        ),
        (Some(key), _) => key,
        (None, Some(pending)) => {
            println!("Finishing the rotation to key {} found in {}.", pending.id(),
                pending_file.as_deref().map(|p| p.display().to_string()).unwrap_or_default());
            pending
        }
        (None, None) if key_file.is_some() => MasterKey::generate(),
        (None, None) => bail!(
            "give the new master key in a file (--new-key-file FILE) or in {NEW_KEY_ENV}; {HOW_TO_MAKE_A_KEY}"
        ),
    };
    if new == current {
        bail!(
            "the new master key is the key in use (id {}): nothing to do",
            current.id()
        );
    }
    if let Some(path) = &pending_file {
        // Kept on disk before any secret is encrypted under it.
        if crypto::read_key_file(path)?.as_ref() != Some(&new) {
            crypto::write_private(path, &new)?;
        }
    }

    let store = store::connect_with(database_url, KeySource::Key(current.clone())).await?;
    store.migrate().await?;
    let done = store.rotate_master_key(&new, CLI_ACTOR, now_ms()).await?;
    store.close().await;

    println!(
        "Re-encrypted {} under master key {} (was {}).",
        describe(&done),
        new.id(),
        current.id()
    );
    match (&pending_file, &key_file) {
        (Some(pending), Some(file)) => {
            crypto::replace_key_file(pending, file)?;
            println!(
                "The key file {} now holds the new key. Back it up: the old key no longer opens the secrets, and without the new one they are lost.",
                file.display()
            );
        }
        _ => println!(
            "Now set HOOKYARD_SECRET_KEY to the new key (id {}) on every instance and start them again: the old key no longer opens the secrets. Keep a copy of the new key: without it they are lost.",
            new.id()
        ),
    }
    Ok(())
}

fn describe(done: &Resealed) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut text = format!(
        "{}, {} and {}",
        plural(done.source_secrets, "source secret", "source secrets"),
        plural(done.endpoint_secrets, "endpoint secret", "endpoint secrets"),
        plural(
            done.header_values,
            "endpoint header value",
            "endpoint header values"
        ),
    );
    if done.unchanged > 0 {
        text.push_str(&format!(
            " ({} already under the new key)",
            plural(done.unchanged, "value was", "values were")
        ));
    }
    text
}
