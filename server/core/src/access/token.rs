//! API tokens: random, shown once, stored as a SHA-256 hash (they carry 256 bits of entropy,
//! so a fast hash is enough; nothing to brute-force).

use base64::Engine;
use sha2::{Digest, Sha256};

/// Every token starts with this, so leaked ones are easy to find (secret scanners).
pub const PREFIX: &str = "hy_";

/// A new token to show once.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random generator works");
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What is stored and looked up.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// The first characters, shown in lists so people can tell their tokens apart.
pub fn hint(token: &str) -> String {
    format!(
        "{}…",
        token.chars().take(PREFIX.len() + 4).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 43, "{a}");
        assert_eq!(digest(&a), digest(&format!(" {a}\n")));
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(digest(&a).len(), 64);
        assert_eq!(hint(&a).chars().count(), PREFIX.len() + 5);
    }
}
