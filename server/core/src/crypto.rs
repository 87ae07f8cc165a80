//! Signing secrets encrypted at rest: the master key, where it comes from, and sealing and
//! opening one secret with XChaCha20-Poly1305.
//!
//! A sealed value is text, `v1:<key id>:<base64(nonce || ciphertext)>`, with a random 24-byte
//! nonce per value. The cipher is authenticated: the wrong key or a changed byte fails to open,
//! never yields garbage. The key id (8 hex digits of a SHA-256 over the key, not secret) names
//! the key that sealed a value, so a wrong key is reported as such and a rotation can tell the
//! values it already re-encrypted from those still to do. The associated data binds a value to
//! what it is ([`Purpose`]): a sealed header value copied into a source's secret fails to open.
//!
//! Nothing here puts key bytes, secrets or ciphertexts in an error message or a `Debug` output.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

/// The environment variable holding the master key.
pub const KEY_ENV: &str = "HOOKYARD_SECRET_KEY";
/// The environment variable `hookyard rotate-master-key` reads the new key from.
pub const NEW_KEY_ENV: &str = "HOOKYARD_NEW_SECRET_KEY";
/// How to make a key, for error messages and help.
pub const HOW_TO_MAKE_A_KEY: &str =
    "make one with `hookyard generate-master-key` or `openssl rand -base64 32`";

const VERSION: &str = "v1";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const ID_LEN: usize = 8;

/// What a sealed value is; part of the associated data, so a value only opens as what it was
/// sealed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `source_secrets.secret`.
    SourceSecret,
    /// `endpoints.secret`.
    EndpointSecret,
    /// A value in `endpoints.headers` (may be a credential such as `Authorization: Bearer …`).
    EndpointHeader,
}

impl Purpose {
    fn associated_data(self) -> &'static [u8] {
        match self {
            Purpose::SourceSecret => b"hookyard:source_secret",
            Purpose::EndpointSecret => b"hookyard:endpoint_secret",
            Purpose::EndpointHeader => b"hookyard:endpoint_header",
        }
    }
}

/// A 256-bit master key.
#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; 32],
    id: String,
}

impl fmt::Debug for MasterKey {
    // The id only: key bytes never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

impl PartialEq for MasterKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source works");
        Self::from_bytes(bytes)
    }

    fn from_bytes(bytes: [u8; 32]) -> Self {
        let digest = Sha256::new()
            .chain_update(b"hookyard master key id\0")
            .chain_update(bytes)
            .finalize();
        let id = hex::encode(&digest[..ID_LEN / 2]);
        Self { bytes, id }
    }

    /// Reads a key written as base64 (44 characters, as `openssl rand -base64 32` prints) or
    /// as 64 hex digits; surrounding whitespace is ignored. `what` names where the text came
    /// from, for the error.
    pub fn parse(text: &str, what: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let decoded = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).ok()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(text))
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
                .ok()
        };
        match decoded.map(<[u8; 32]>::try_from) {
            Some(Ok(bytes)) => Ok(Self::from_bytes(bytes)),
            // The message says how long the text was, never what it was.
            _ => Err(KeyError::Malformed {
                what: what.to_string(),
                len: text.chars().count(),
            }),
        }
    }

    /// The key from `HOOKYARD_SECRET_KEY`, or None when it is unset or empty.
    pub fn from_env() -> Result<Option<Self>, KeyError> {
        Self::from_env_var(KEY_ENV)
    }

    /// The key from the environment variable `name`, or None when it is unset or empty.
    pub fn from_env_var(name: &str) -> Result<Option<Self>, KeyError> {
        match std::env::var(name) {
            Ok(text) if !text.trim().is_empty() => Self::parse(&text, name).map(Some),
            _ => Ok(None),
        }
    }

    /// The key's id: 8 hex digits, not secret, the same wherever the key is used.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key as base64, the format of the key file and of `HOOKYARD_SECRET_KEY`.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.bytes)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.bytes).into())
    }

    /// Encrypts `plaintext` under this key.
    pub fn seal(&self, purpose: Purpose, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random source works");
        let ciphertext = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: purpose.associated_data(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message of this size");
        let mut packed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        packed.extend_from_slice(&nonce);
        packed.extend_from_slice(&ciphertext);
        format!(
            "{VERSION}:{}:{}",
            self.id,
            base64::engine::general_purpose::STANDARD.encode(packed)
        )
    }

    /// Decrypts a value sealed under this key for `purpose`.
    pub fn open(&self, purpose: Purpose, sealed: &str) -> Result<String, SealError> {
        let Some(parts) = parse_sealed(sealed) else {
            return Err(SealError::NotSealed);
        };
        if parts.key_id != self.id {
            return Err(SealError::OtherKey {
                found: parts.key_id.to_string(),
                expected: self.id.clone(),
            });
        }
        let (nonce, ciphertext) = parts.packed.split_at(NONCE_LEN);
        let plaintext = self
            .cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.associated_data(),
                },
            )
            .map_err(|_| SealError::Damaged)?;
        String::from_utf8(plaintext).map_err(|_| SealError::Damaged)
    }
}

/// `value` re-encrypted under `to`, or None when it needs no change. Plain text is sealed;
/// a value already under `to` stays; a value under `from` is opened and sealed again. A value
/// under any other key is an error when re-encrypting from a key (`from`), and is left alone
/// when only sealing plain text (`from` is None).
pub fn reseal(
    value: &str,
    purpose: Purpose,
    from: Option<&MasterKey>,
    to: &MasterKey,
) -> Result<Option<String>, SealError> {
    match inspect(value) {
        Stored::Plain => Ok(Some(to.seal(purpose, value))),
        Stored::SealedUnder(id) if id == to.id() => Ok(None),
        Stored::SealedUnder(_) => match from {
            Some(from) => Ok(Some(to.seal(purpose, &from.open(purpose, value)?))),
            None => Ok(None),
        },
    }
}

/// What a stored value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Plain text (written before encryption at rest existed).
    Plain,
    /// Sealed under the key with this id.
    SealedUnder(String),
}

/// Tells a sealed value from plain text, and names the key that sealed it.
pub fn inspect(value: &str) -> Stored {
    match parse_sealed(value) {
        Some(parts) => Stored::SealedUnder(parts.key_id.to_string()),
        None => Stored::Plain,
    }
}

struct SealedParts<'a> {
    key_id: &'a str,
    packed: Vec<u8>,
}

/// The parts of a well-formed sealed value. Strict, so that a plain secret which merely
/// starts with `v1:` is never taken for a sealed one.
fn parse_sealed(value: &str) -> Option<SealedParts<'_>> {
    let rest = value.strip_prefix(VERSION)?.strip_prefix(':')?;
    let (key_id, data) = rest.split_once(':')?;
    if key_id.len() != ID_LEN
        || !key_id
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let packed = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    (packed.len() >= NONCE_LEN + TAG_LEN).then_some(SealedParts { key_id, packed })
}

/// A master key that is missing, malformed or unreadable.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{what} is not a valid master key: expected 32 bytes as base64 (44 characters) or as 64 hex digits, found {len} characters; {HOW_TO_MAKE_A_KEY}")]
    Malformed { what: String, len: usize },
    #[error("PostgreSQL needs a master key to encrypt signing secrets: set HOOKYARD_SECRET_KEY to the same key on every instance ({HOW_TO_MAKE_A_KEY}) and keep a copy: losing it loses the secrets")]
    Missing,
    #[error("the master key file {path} is missing but the database holds secrets encrypted with master key {key_id}: restore the key file from a backup, or set HOOKYARD_SECRET_KEY to that key")]
    FileMissing { path: String, key_id: String },
    #[error("cannot {doing} the master key file {path}: {source}")]
    Io {
        doing: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A stored secret that cannot be opened. Never names the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("a stored secret was encrypted with another master key (id {found}; the key in use is {expected}): set HOOKYARD_SECRET_KEY to the key the secrets were encrypted with, or run `hookyard rotate-master-key` with that key to re-encrypt them")]
    OtherKey { found: String, expected: String },
    #[error("a stored secret is not encrypted (expected v1:<key id>:<data>)")]
    NotSealed,
    #[error("a stored secret does not decrypt: it was changed or damaged")]
    Damaged,
}

/// Where the embedded default keeps its key: beside the database file, `hookyard.db` →
/// `hookyard.key`.
pub fn key_file_beside(database: &Path) -> PathBuf {
    let path = database.with_extension("key");
    if path == database {
        database.with_extension("key.key")
    } else {
        path
    }
}

fn io_err(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> KeyError {
    let path = path.display().to_string();
    move |source| KeyError::Io {
        doing,
        path,
        source,
    }
}

/// Reads the key file at `path`; None when there is none. Warns when group or others may
/// read it.
pub fn read_key_file(path: &Path) -> Result<Option<MasterKey>, KeyError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("read", path)(e)),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = format!("{:o}", meta.permissions().mode() & 0o777),
                    "the master key file can be read by other users; restrict it with chmod 600"
                );
            }
        }
    }
    MasterKey::parse(&text, &format!("the key file {}", path.display())).map(Some)
}

/// The key in the key file at `path`, generated (mode 0600) if the file does not exist.
/// Several processes starting at once agree on one key: the file appears complete or not at
/// all (written aside, then hard-linked into place, which fails if another got there first).
pub fn load_or_create_key_file(path: &Path) -> Result<MasterKey, KeyError> {
    if let Some(key) = read_key_file(path)? {
        return Ok(key);
    }
    let key = MasterKey::generate();
    // Unique per process and call: a concurrent creator never writes into this file.
    let aside = aside_path(
        path,
        &format!("tmp-{}-{}", std::process::id(), crate::time::now_ms()),
    );
    write_private(&aside, &key)?;
    let linked = std::fs::hard_link(&aside, path);
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => {
            sync_dir(path);
            tracing::info!(path = %path.display(), key_id = key.id(), "generated a master key for signing secrets; back this file up: losing it loses the secrets");
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(path)?
            .ok_or_else(|| io_err("read", path)(std::io::ErrorKind::NotFound.into())),
        Err(e) => Err(io_err("create", path)(e)),
    }
}

/// Writes `key` to a new file at `path` readable by its owner only (mode 0600 from the
/// moment it exists), flushed to disk. Replaces a file already there.
pub fn write_private(path: &Path, key: &MasterKey) -> Result<(), KeyError> {
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_err("create", path))?;
    file.write_all(format!("{}\n", key.to_base64()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_err("write", path))
}

/// Puts `from` in place of `to` atomically (rename) and flushes the directory.
pub fn replace_key_file(from: &Path, to: &Path) -> Result<(), KeyError> {
    std::fs::rename(from, to).map_err(io_err("replace", to))?;
    sync_dir(to);
    Ok(())
}

/// `path` with `.suffix` appended (a file beside it in the same directory).
pub fn aside_path(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{suffix}"));
    PathBuf::from(name)
}

fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_never_repeats_a_ciphertext() {
        let key = MasterKey::generate();
        let a = key.seal(Purpose::SourceSecret, "whsec_abc");
        let b = key.seal(Purpose::SourceSecret, "whsec_abc");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("whsec_abc"));
        assert!(a.starts_with(&format!("v1:{}:", key.id())));
        assert_eq!(key.open(Purpose::SourceSecret, &a).unwrap(), "whsec_abc");
        assert_eq!(inspect(&a), Stored::SealedUnder(key.id().to_string()));
        assert_eq!(
            key.open(
                Purpose::EndpointHeader,
                &key.seal(Purpose::EndpointHeader, "")
            )
            .unwrap(),
            ""
        );
    }

    #[test]
    fn the_wrong_key_a_changed_byte_or_another_purpose_fail_clearly() {
        let key = MasterKey::generate();
        let other = MasterKey::generate();
        let sealed = key.seal(Purpose::EndpointSecret, "whsec_xyz");
        let err = other.open(Purpose::EndpointSecret, &sealed).unwrap_err();
        assert_eq!(
            err,
            SealError::OtherKey {
                found: key.id().into(),
                expected: other.id().into()
            }
        );
        let message = err.to_string();
        assert!(message.contains("rotate-master-key") && message.contains("HOOKYARD_SECRET_KEY"));
        assert!(
            !message.contains(&sealed[8..]),
            "no ciphertext in the message"
        );
        assert_eq!(
            key.open(Purpose::SourceSecret, &sealed),
            Err(SealError::Damaged),
            "bound to its purpose"
        );
        // Flip one bit of the ciphertext.
        let (head, data) = sealed.rsplit_once(':').unwrap();
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        let changed = format!(
            "{head}:{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        assert_eq!(
            key.open(Purpose::EndpointSecret, &changed),
            Err(SealError::Damaged)
        );
        assert_eq!(
            key.open(Purpose::EndpointSecret, "whsec_plain"),
            Err(SealError::NotSealed)
        );
    }

    #[test]
    fn reseal_moves_values_to_the_new_key_once() {
        let (old, new, other) = (
            MasterKey::generate(),
            MasterKey::generate(),
            MasterKey::generate(),
        );
        let p = Purpose::SourceSecret;
        let under_old = old.seal(p, "s1");
        let moved = reseal(&under_old, p, Some(&old), &new).unwrap().unwrap();
        assert_eq!(new.open(p, &moved).unwrap(), "s1");
        assert_eq!(
            reseal(&moved, p, Some(&old), &new).unwrap(),
            None,
            "already done"
        );
        let sealed = reseal("plain", p, None, &new).unwrap().unwrap();
        assert_eq!(new.open(p, &sealed).unwrap(), "plain");
        // Only sealing plain text: values under other keys are left for the key check.
        assert_eq!(reseal(&other.seal(p, "x"), p, None, &new).unwrap(), None);
        assert!(matches!(
            reseal(&other.seal(p, "x"), p, Some(&old), &new),
            Err(SealError::OtherKey { .. })
        ));
    }

    #[test]
    fn plain_secrets_are_never_taken_for_sealed_ones() {
        for plain in [
            "whsec_abc",
            "v1:",
            "v1:abcdefgh:AAAA",
            "v1:0123abcd:not base64!",
            "v1,sig",
            "",
        ] {
            assert_eq!(inspect(plain), Stored::Plain, "{plain:?}");
        }
    }

    #[test]
    fn keys_parse_from_base64_or_hex_and_malformed_ones_are_refused_without_echo() {
        let key = MasterKey::generate();
        let b64 = key.to_base64();
        assert_eq!(b64.len(), 44);
        assert_eq!(MasterKey::parse(&format!(" {b64}\n"), "x").unwrap(), key);
        let hex = hex::encode(key.bytes);
        let parsed = MasterKey::parse(&hex.to_uppercase(), "x").unwrap();
        assert_eq!(parsed, key);
        assert_eq!(parsed.id(), key.id());
        for bad in ["", "short", "hunter2hunter2hunter2", &b64[..40], &hex[..62]] {
            let err = MasterKey::parse(bad, "HOOKYARD_SECRET_KEY")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("HOOKYARD_SECRET_KEY is not a valid master key"),
                "{err}"
            );
            assert!(bad.is_empty() || !err.contains(bad), "{err}");
        }
        assert!(!format!("{key:?}").contains(&b64));
    }

    #[test]
    fn key_file_is_created_private_once_and_reused() {
        let dir = std::env::temp_dir().join(format!(
            "hookyard-key-{}-{}",
            std::process::id(),
            crate::time::now_ms()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = key_file_beside(&dir.join("hookyard.db"));
        assert_eq!(path, dir.join("hookyard.key"));
        let first = load_or_create_key_file(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(load_or_create_key_file(&path).unwrap(), first);
        assert_eq!(read_key_file(&path).unwrap(), Some(first));
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
