//! Password hashing with argon2id. Hashing is slow on purpose, so it runs on a blocking
//! thread, never on the async runtime's workers.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The shortest password accepted.
pub const MIN_LEN: usize = 10;
/// The longest (hashing cost grows with length; nobody types more).
pub const MAX_LEN: usize = 1024;

/// Why a new password is refused, as a sentence for the person typing it.
pub fn check(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(format!("The password needs at least {MIN_LEN} characters."));
    }
    if password.len() > MAX_LEN {
        return Err(format!("The password may have at most {MAX_LEN} bytes."));
    }
    if password.trim().is_empty() {
        return Err("The password cannot be only spaces.".into());
    }
    Ok(())
}

/// The argon2id PHC string of `password` (random salt, the crate's recommended cost).
pub async fn hash(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .expect("hashing does not panic")
}

fn hash_now(password: &str) -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random generator works");
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any password up to MAX_LEN")
        .to_string()
}

/// Whether `password` matches `stored` (a PHC string). With no stored hash (unknown or
/// disabled user) a dummy hash is checked, so the answer takes as long either way.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY.with(|d| d.clone()));
        let ok = PasswordHash::new(&stored).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        ok && known
    })
    .await
    .unwrap_or(false)
}

thread_local! {
    static DUMMY: String = hash_now("no such user: the time is spent anyway");
}

/// A random password for a reset or a new user, shown once (about 100 bits).
pub fn generate() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 15];
    getrandom::fill(&mut bytes).expect("the OS random generator works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse battery".into()).await;
        let b = hash("correct horse battery".into()).await;
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(verify("correct horse battery".into(), Some(a.clone())).await);
        assert!(!verify("correct horse batterY".into(), Some(a)).await);
        assert!(!verify("anything".into(), None).await);
        assert!(!verify("x".into(), Some("not a hash".into())).await);
    }

    #[test]
    fn new_passwords_are_checked() {
        assert!(check("short").is_err());
        assert!(check("          ").is_err());
        assert!(check("long enough pw").is_ok());
        assert!(check(&"x".repeat(MAX_LEN + 1)).is_err());
        assert_eq!(generate().len(), 20);
        assert!(check(&generate()).is_ok());
    }
}
