//! The bodies of the fuzz targets: plain functions from bytes to nothing, which panic when an
//! invariant breaks. `cargo fuzz` drives them through `fuzz_targets/`; on stable,
//! `server/tests/fuzz_corpus.rs` includes this same file and feeds it the committed seed corpus
//! and deterministic mutations of it. So this file uses only `hookyard_core`, `serde_json`,
//! `hmac`, `sha2`, and the `http` crate as `super::http` (each includer provides it).

use hookyard_core::ingest::diagnose::diagnose;
use hookyard_core::ingest::extract::{extract, identify, parse_body};
use hookyard_core::ingest::scheme::{Encoding, Scheme, SchemeConfig};
use hookyard_core::ingest::signature::{
    parse_standard_signatures, parse_stripe_header, read_claim, sign, verify, Candidate, Claim,
    Refusal,
};
use hookyard_core::store::SecretRecord;

use super::http::{HeaderMap, HeaderName, HeaderValue};

/// A fuzz target: panics when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus directory.
pub const ALL: &[(&str, Target)] = &[
    ("stripe_signature", stripe_signature),
    ("standard_signature", standard_signature),
    ("github_signature", github_signature),
    ("shopify_signature", shopify_signature),
    ("hmac_signature", hmac_signature),
    ("payload_fields", payload_fields),
];

const NOW: i64 = 1_700_000_000;
const STRIPE_SECRET: &str = "whsec_fuzz_stripe_secret";
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const RAW_SECRET: &str = "fuzz-raw-secret";

/// `Stripe-Signature` header value, then (after the first newline) the body.
pub fn stripe_signature(data: &[u8]) {
    let (value, body) = split2(data);
    if let Ok(text) = std::str::from_utf8(value) {
        if let Ok(parsed) = parse_stripe_header(text) {
            assert!(!parsed.timestamp.is_empty() && parsed.timestamp.len() <= 15);
            assert!(parsed.timestamp.bytes().all(|b| b.is_ascii_digit()));
            assert!(parsed.other_versions.iter().all(|v| v.len() <= 16));
        }
    }
    let Some(headers) = headers(&[("stripe-signature", value)]) else {
        return;
    };
    check_scheme(
        Scheme::Stripe,
        &SchemeConfig::default(),
        STRIPE_SECRET,
        &headers,
        body,
    );
}

/// `webhook-id`, `webhook-timestamp` and `webhook-signature` (or their `svix-` twins when the
/// data starts with `s`), one per line, then the body.
pub fn standard_signature(data: &[u8]) {
    let svix = data.first() == Some(&b's');
    let mut parts = data.splitn(4, |b| *b == b'\n');
    let (id, ts, sig) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let body = parts.next().unwrap_or_default();
    if let Ok(text) = std::str::from_utf8(sig) {
        let parsed = parse_standard_signatures(text);
        assert!(parsed.other_versions.iter().all(|v| v.len() <= 16));
        assert!(parsed.v1.len() <= text.split_ascii_whitespace().count());
    }
    let prefix = if svix { "svix" } else { "webhook" };
    let names = [
        format!("{prefix}-id"),
        format!("{prefix}-timestamp"),
        format!("{prefix}-signature"),
    ];
    let Some(headers) = headers(&[(&names[0], id), (&names[1], ts), (&names[2], sig)]) else {
        return;
    };
    check_scheme(
        Scheme::Standard,
        &SchemeConfig::default(),
        STANDARD_SECRET,
        &headers,
        body,
    );
}

/// `X-Hub-Signature-256` value, then the body.
pub fn github_signature(data: &[u8]) {
    let (value, body) = split2(data);
    let Some(headers) = headers(&[("x-hub-signature-256", value), ("x-github-event", b"push")])
    else {
        return;
    };
    check_scheme(
        Scheme::Github,
        &SchemeConfig::default(),
        RAW_SECRET,
        &headers,
        body,
    );
}

/// `X-Shopify-Hmac-Sha256` value, then the body.
pub fn shopify_signature(data: &[u8]) {
    let (value, body) = split2(data);
    let Some(headers) = headers(&[
        ("x-shopify-hmac-sha256", value),
        ("x-shopify-topic", b"orders/create"),
    ]) else {
        return;
    };
    check_scheme(
        Scheme::Shopify,
        &SchemeConfig::default(),
        RAW_SECRET,
        &headers,
        body,
    );
}

/// Generic HMAC: the first byte picks the encoding and prefix; then the header value, then
/// the body.
pub fn hmac_signature(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let prefixes = ["", "sha256=", "v1=", "=", "sha256=sha256="];
    let config = SchemeConfig {
        header: "x-signature".into(),
        prefix: prefixes[usize::from(selector) % prefixes.len()].into(),
        encoding: if selector & 0x80 == 0 {
            Encoding::Hex
        } else {
            Encoding::Base64
        },
        ..SchemeConfig::default()
    };
    let (value, body) = split2(rest);
    let Some(headers) = headers(&[("x-signature", value)]) else {
        return;
    };
    check_scheme(Scheme::Hmac, &config, RAW_SECRET, &headers, body);
}

/// A payload through the field extractor of every scheme. The first line is a JSON pointer
/// used as the generic scheme's id pointer; the rest is the body.
pub fn payload_fields(data: &[u8]) {
    let (pointer, body) = split2(data);
    let config = SchemeConfig {
        id_pointer: String::from_utf8_lossy(pointer).into_owned(),
        ..SchemeConfig::default()
    };
    let headers = headers(&[
        ("webhook-id", b"msg_1"),
        ("x-github-event", b"issues"),
        ("x-github-delivery", b"d-1"),
        ("x-shopify-topic", b"orders/create"),
    ])
    .expect("fixed headers are valid");
    for scheme in Scheme::ALL {
        let json = match parse_body(scheme, body) {
            Ok(json) => json,
            Err(problem) => {
                assert!(
                    scheme.requires_json(),
                    "{scheme} refused a body: {problem:?}"
                );
                continue;
            }
        };
        if let Ok(identity) = identify(scheme, &config, &headers, body, json.as_ref()) {
            assert!(
                !identity.provider_event_id.is_empty() && identity.provider_event_id.len() <= 255
            );
            assert!(!identity.event_type.is_empty() && identity.event_type.len() <= 255);
        }
        let fields = extract(json.as_ref());
        if let Some(currency) = &fields.currency {
            assert_eq!(currency, &currency.to_ascii_lowercase());
        }
        // What is extracted is stored as JSON: it must serialise and read back the same.
        let text = serde_json::to_string(&fields).expect("fields serialise");
        let back: hookyard_core::ingest::extract::Extracted =
            serde_json::from_str(&text).expect("fields read back");
        assert_eq!(back, fields);
    }
}

/// The invariants every scheme shares, checked against an independent HMAC: reading the claim
/// and verifying never panic; a request verifies exactly when one of its signatures is the
/// HMAC of the signed bytes and its timestamp is fresh; a refusal is explained without
/// naming the secret; and the same body signed as a sender would verifies.
fn check_scheme(
    scheme: Scheme,
    config: &SchemeConfig,
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
) {
    let candidates = [Candidate { id: 7, secret }];
    let claim = read_claim(scheme, config, headers);
    let verdict = verify(scheme, config, &candidates, headers, body, NOW, 300);
    match &claim {
        Ok(claim) => {
            check_claim(claim);
            let expected = independent_hmac(&key_of(scheme, secret), &claim.prefix, body);
            let genuine = claim.signatures.iter().any(|s| s[..] == expected[..]);
            let fresh = claim
                .timestamp
                .is_none_or(|t| NOW.saturating_sub(t).abs() <= 300);
            match (genuine, fresh) {
                (true, true) => assert_eq!(verdict, Ok(7), "{scheme}: a genuine signature refused"),
                (true, false) => assert!(
                    matches!(verdict, Err(Refusal::StaleTimestamp { .. })),
                    "{scheme}: stale but {verdict:?}"
                ),
                (false, _) => assert_eq!(
                    verdict,
                    Err(Refusal::SignatureMismatch),
                    "{scheme}: no genuine signature"
                ),
            }
        }
        Err(refusal) => assert_eq!(verdict.as_ref().err(), Some(refusal), "{scheme}"),
    }
    if let Err(refusal) = &verdict {
        let secrets = [SecretRecord {
            id: 7,
            secret: secret.into(),
            created_at: 0,
            expires_at: None,
        }];
        let d = diagnose(scheme, config, &secrets, headers, body, NOW, refusal);
        let shown = serde_json::to_string(&d).expect("a diagnosis serialises");
        assert!(
            !shown.contains(secret),
            "{scheme}: the diagnosis shows the secret"
        );
        let shown = serde_json::to_string(refusal).expect("a refusal serialises");
        assert!(
            !shown.contains(secret),
            "{scheme}: the refusal shows the secret"
        );
    }
    // Round trip: this body, signed as a sender would, verifies.
    let mut signed = HeaderMap::new();
    for (k, v) in sign(scheme, config, secret, body, NOW, "msg_fuzz") {
        signed.append(
            HeaderName::from_bytes(k.as_bytes()).expect("sign() names valid headers"),
            HeaderValue::from_str(&v).expect("sign() writes valid header values"),
        );
    }
    assert_eq!(
        verify(scheme, config, &candidates, &signed, body, NOW, 300),
        Ok(7),
        "{scheme}: a properly signed body did not verify"
    );
}

/// The HMAC key of `secret` under `scheme`, written out independently of the product.
fn key_of(scheme: Scheme, secret: &str) -> Vec<u8> {
    match scheme {
        // base64 of the part after `whsec_` in STANDARD_SECRET, decoded.
        Scheme::Standard => {
            assert_eq!(secret, STANDARD_SECRET);
            STANDARD_KEY.to_vec()
        }
        _ => secret.as_bytes().to_vec(),
    }
}

const STANDARD_KEY: [u8; 24] = [
    49, 242, 144, 246, 191, 6, 41, 138, 171, 79, 8, 212, 60, 63, 8, 44, 246, 72, 163, 98, 218, 45,
    164, 176,
];

fn independent_hmac(key: &[u8], prefix: &[u8], body: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(prefix);
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fn check_claim(claim: &Claim) {
    assert!(!claim.signatures.is_empty(), "a claim without signatures");
    assert!(claim.ignored_versions.iter().all(|v| v.len() <= 16));
}

/// Splits at the first newline: (before, after). No newline: (all, empty).
fn split2(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// A header map from raw names and values; `None` when a value could not be sent over HTTP
/// at all (the server never sees such a request).
fn headers(pairs: &[(&str, &[u8])]) -> Option<HeaderMap> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let value = HeaderValue::from_bytes(value).ok()?;
        map.append(HeaderName::from_bytes(name.as_bytes()).ok()?, value);
    }
    Some(map)
}
