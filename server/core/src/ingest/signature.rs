//! Signature verification for every scheme: raw body bytes, headers, secrets and a clock in, a
//! verdict out. Pure functions: no I/O, no clock of their own. Nothing here parses the body
//! before its signature is checked, and every MAC comparison is constant-time
//! (`Mac::verify_slice`).

use base64::Engine;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::scheme::{Encoding, Scheme, SchemeConfig};

type HmacSha256 = Hmac<Sha256>;

/// Longest signature header we read; anything longer is refused as malformed.
const MAX_SIGNATURE_HEADER: usize = 8 * 1024;

/// A secret that may have signed a request.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    pub id: i64,
    pub secret: &'a str,
}

/// Why a signature check refused a request; `code()` is the machine-readable reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    /// A header the scheme needs is absent.
    MissingHeader { header: String },
    /// The signature header could not be read at all.
    MalformedHeader { header: String, problem: String },
    /// Signatures were present, but only in versions we do not accept (`v0=`, `v1a,`).
    NoSupportedSignature { header: String },
    /// The signed timestamp is not a number of seconds.
    InvalidTimestamp,
    /// No signature matched any current secret.
    SignatureMismatch,
    /// The signature matched, but the signed timestamp is outside the tolerance
    /// (positive skew: the request is old; negative: from the future).
    StaleTimestamp { skew_secs: i64, tolerance_secs: i64 },
}

impl Refusal {
    /// The short reason sent in the 400 answer and stored with the rejection.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::MissingHeader { .. } => "missing_signature_header",
            Refusal::MalformedHeader { .. } => "malformed_signature_header",
            Refusal::NoSupportedSignature { .. } => "no_supported_signature",
            Refusal::InvalidTimestamp => "invalid_timestamp",
            Refusal::SignatureMismatch => "signature_mismatch",
            Refusal::StaleTimestamp { .. } => "timestamp_out_of_tolerance",
        }
    }
}

/// What a request claims: the bytes that were signed (`prefix` then the body), the
/// signatures offered, and the signed timestamp if the scheme has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub prefix: Vec<u8>,
    pub signatures: Vec<Vec<u8>>,
    pub timestamp: Option<i64>,
    /// Versions seen but not accepted, e.g. `v0`, `v1a` (for the explanation).
    pub ignored_versions: Vec<String>,
}

/// Reads the signature material of a request for `scheme`, without checking anything.
pub fn read_claim(
    scheme: Scheme,
    config: &SchemeConfig,
    headers: &HeaderMap,
) -> Result<Claim, Refusal> {
    match scheme {
        Scheme::Stripe => {
            let value = header_str(headers, "stripe-signature")?;
            let parsed =
                parse_stripe_header(value).map_err(|problem| Refusal::MalformedHeader {
                    header: "Stripe-Signature".into(),
                    problem: problem.into(),
                })?;
            let timestamp = parsed
                .timestamp
                .parse::<i64>()
                .map_err(|_| Refusal::InvalidTimestamp)?;
            claim_with_signatures(
                "Stripe-Signature",
                format!("{}.", parsed.timestamp).into_bytes(),
                parsed.v1,
                Some(timestamp),
                parsed.other_versions,
            )
        }
        Scheme::Standard => {
            let (id, ts, sig) = standard_headers(headers)?;
            let timestamp = ts
                .trim()
                .parse::<i64>()
                .map_err(|_| Refusal::InvalidTimestamp)?;
            let parsed = parse_standard_signatures(sig);
            claim_with_signatures(
                "webhook-signature",
                format!("{id}.{ts}.").into_bytes(),
                parsed.v1,
                Some(timestamp),
                parsed.other_versions,
            )
        }
        Scheme::Github => {
            let value = header_str(headers, "x-hub-signature-256")?;
            let sig = value
                .strip_prefix("sha256=")
                .and_then(|hex| hex::decode(hex.trim()).ok())
                .ok_or_else(|| Refusal::MalformedHeader {
                    header: "X-Hub-Signature-256".into(),
                    problem: "expected sha256=<hex>".into(),
                })?;
            Ok(body_only_claim(sig))
        }
        Scheme::Shopify => {
            let value = header_str(headers, "x-shopify-hmac-sha256")?;
            let sig = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .map_err(|_| Refusal::MalformedHeader {
                    header: "X-Shopify-Hmac-Sha256".into(),
                    problem: "expected base64".into(),
                })?;
            Ok(body_only_claim(sig))
        }
        Scheme::Hmac => {
            let value = header_str(headers, &config.header)?;
            let encoded = value
                .trim()
                .strip_prefix(config.prefix.as_str())
                .ok_or_else(|| Refusal::MalformedHeader {
                    header: config.header.clone(),
                    problem: format!("expected the prefix {:?}", config.prefix),
                })?;
            let sig = match config.encoding {
                Encoding::Hex => hex::decode(encoded.trim()).ok(),
                Encoding::Base64 => base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .ok(),
            }
            .ok_or_else(|| Refusal::MalformedHeader {
                header: config.header.clone(),
                problem: format!("expected {:?}", config.encoding).to_lowercase(),
            })?;
            Ok(body_only_claim(sig))
        }
    }
}

fn body_only_claim(signature: Vec<u8>) -> Claim {
    Claim {
        prefix: Vec::new(),
        signatures: vec![signature],
        timestamp: None,
        ignored_versions: Vec::new(),
    }
}

fn claim_with_signatures(
    header: &str,
    prefix: Vec<u8>,
    signatures: Vec<Vec<u8>>,
    timestamp: Option<i64>,
    ignored_versions: Vec<String>,
) -> Result<Claim, Refusal> {
    if signatures.is_empty() {
        return Err(if ignored_versions.is_empty() {
            Refusal::MalformedHeader {
                header: header.into(),
                problem: "no signature in the header".into(),
            }
        } else {
            Refusal::NoSupportedSignature {
                header: header.into(),
            }
        });
    }
    Ok(Claim {
        prefix,
        signatures,
        timestamp,
        ignored_versions,
    })
}

/// The Standard Webhooks headers, `webhook-*` or their `svix-*` twins: (id, timestamp, signature).
fn standard_headers(headers: &HeaderMap) -> Result<(&str, &str, &str), Refusal> {
    let pick = |name: &str| {
        header_str(headers, &format!("webhook-{name}"))
            .or_else(|missing| header_str(headers, &format!("svix-{name}")).map_err(|_| missing))
    };
    Ok((pick("id")?, pick("timestamp")?, pick("signature")?))
}

/// A header as text; absent, non-UTF-8 or oversized values are refusals.
fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, Refusal> {
    let value = headers.get(name).ok_or_else(|| Refusal::MissingHeader {
        header: name.to_string(),
    })?;
    if value.len() > MAX_SIGNATURE_HEADER {
        return Err(Refusal::MalformedHeader {
            header: name.to_string(),
            problem: "header too long".into(),
        });
    }
    value.to_str().map_err(|_| Refusal::MalformedHeader {
        header: name.to_string(),
        problem: "not ASCII text".into(),
    })
}

/// A parsed `Stripe-Signature` header.
#[derive(Debug, PartialEq, Eq)]
pub struct StripeHeader<'a> {
    /// The `t=` value exactly as sent (it is part of the signed bytes).
    pub timestamp: &'a str,
    /// Every decodable `v1=` signature.
    pub v1: Vec<Vec<u8>>,
    /// Keys of other entries (`v0`, ...), never used to accept.
    pub other_versions: Vec<String>,
}

/// Parses `t=...,v1=...[,v1=...]`. Unknown keys and undecodable `v1` values are skipped, as
/// Stripe's own libraries do; a missing or non-numeric `t` is an error.
pub fn parse_stripe_header(value: &str) -> Result<StripeHeader<'_>, &'static str> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    let mut other_versions = Vec::new();
    for item in value.split(',') {
        let Some((key, val)) = item.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" if timestamp.is_none() => timestamp = Some(val),
            "v1" => v1.extend(hex::decode(val).ok()),
            "t" => {}
            other => {
                if !other_versions.iter().any(|v| v == other) && other.len() <= 16 {
                    other_versions.push(other.to_string());
                }
            }
        }
    }
    let timestamp = timestamp.ok_or("no t= timestamp")?;
    if timestamp.is_empty()
        || timestamp.len() > 15
        || !timestamp.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("t= is not a number of seconds");
    }
    Ok(StripeHeader {
        timestamp,
        v1,
        other_versions,
    })
}

/// Parsed `webhook-signature`: space-separated `version,base64` entries.
#[derive(Debug, PartialEq, Eq)]
pub struct StandardSignatures {
    pub v1: Vec<Vec<u8>>,
    pub other_versions: Vec<String>,
}

/// Parses `v1,<b64> v1,<b64> v1a,<b64>`; only `v1` entries that decode are kept.
pub fn parse_standard_signatures(value: &str) -> StandardSignatures {
    let mut v1 = Vec::new();
    let mut other_versions = Vec::new();
    for entry in value.split_ascii_whitespace() {
        let Some((version, sig)) = entry.split_once(',') else {
            continue;
        };
        if version == "v1" {
            v1.extend(base64::engine::general_purpose::STANDARD.decode(sig).ok());
        } else if !other_versions.iter().any(|v| v == version) && version.len() <= 16 {
            other_versions.push(version.to_string());
        }
    }
    StandardSignatures { v1, other_versions }
}

/// The HMAC key a secret stands for under `scheme`; `None` if the secret cannot be one.
pub fn signing_key(scheme: Scheme, secret: &str) -> Option<Vec<u8>> {
    match scheme {
        // Stripe: the UTF-8 bytes of the whole `whsec_...` string.
        Scheme::Stripe | Scheme::Github | Scheme::Shopify | Scheme::Hmac => {
            Some(secret.as_bytes().to_vec())
        }
        // Standard Webhooks: the base64-decoded part after `whsec_`.
        Scheme::Standard => base64::engine::general_purpose::STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
            .ok(),
    }
}

/// Whether any of the claim's signatures is the HMAC of `prefix || body` under `key`.
pub fn signature_matches(key: &[u8], claim: &Claim, body: &[u8]) -> bool {
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return false;
    };
    mac.update(&claim.prefix);
    mac.update(body);
    // Every offered signature is compared (no early exit on the first mismatch).
    claim.signatures.iter().fold(false, |found, sig| {
        mac.clone().verify_slice(sig).is_ok() | found
    })
}

/// The id of the first secret whose key verifies the claim, if any.
pub fn matching_secret(
    scheme: Scheme,
    secrets: &[Candidate<'_>],
    claim: &Claim,
    body: &[u8],
) -> Option<i64> {
    secrets.iter().find_map(|candidate| {
        let key = signing_key(scheme, candidate.secret)?;
        signature_matches(&key, claim, body).then_some(candidate.id)
    })
}

/// The whole check: signature first, then the timestamp (so a forged request learns nothing
/// about the clock). Returns the id of the secret that matched.
pub fn verify(
    scheme: Scheme,
    config: &SchemeConfig,
    secrets: &[Candidate<'_>],
    headers: &HeaderMap,
    body: &[u8],
    now_secs: i64,
    tolerance_secs: i64,
) -> Result<i64, Refusal> {
    let claim = read_claim(scheme, config, headers)?;
    let secret_id =
        matching_secret(scheme, secrets, &claim, body).ok_or(Refusal::SignatureMismatch)?;
    if let Some(ts) = claim.timestamp {
        let skew_secs = now_secs.saturating_sub(ts);
        if skew_secs.abs() > tolerance_secs {
            return Err(Refusal::StaleTimestamp {
                skew_secs,
                tolerance_secs,
            });
        }
    }
    Ok(secret_id)
}

/// Signs like a sender of `scheme` would, for `hookyard send` and tests: the headers to add.
pub fn sign(
    scheme: Scheme,
    config: &SchemeConfig,
    secret: &str,
    body: &[u8],
    now_secs: i64,
    event_id: &str,
) -> Vec<(String, String)> {
    let key = signing_key(scheme, secret).unwrap_or_default();
    let mac = |prefix: &[u8]| {
        let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(prefix);
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    };
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match scheme {
        Scheme::Stripe => {
            let sig = hex::encode(mac(format!("{now_secs}.").as_bytes()));
            vec![("stripe-signature".into(), format!("t={now_secs},v1={sig}"))]
        }
        Scheme::Standard => {
            let sig = b64(&mac(format!("{event_id}.{now_secs}.").as_bytes()));
            vec![
                ("webhook-id".into(), event_id.into()),
                ("webhook-timestamp".into(), now_secs.to_string()),
                ("webhook-signature".into(), format!("v1,{sig}")),
            ]
        }
        Scheme::Github => vec![
            (
                "x-hub-signature-256".into(),
                format!("sha256={}", hex::encode(mac(b""))),
            ),
            ("x-github-delivery".into(), event_id.into()),
        ],
        Scheme::Shopify => vec![
            ("x-shopify-hmac-sha256".into(), b64(&mac(b""))),
            ("x-shopify-webhook-id".into(), event_id.into()),
        ],
        Scheme::Hmac => {
            let sig = match config.encoding {
                Encoding::Hex => hex::encode(mac(b"")),
                Encoding::Base64 => b64(&mac(b"")),
            };
            vec![(config.header.clone(), format!("{}{sig}", config.prefix))]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(String, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    const NOW: i64 = 1_700_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1","type":"charge.succeeded"}"#;

    fn verify_with(
        scheme: Scheme,
        secret: &str,
        h: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<i64, Refusal> {
        let config = SchemeConfig::default();
        verify(
            scheme,
            &config,
            &[Candidate { id: 7, secret }],
            h,
            body,
            now,
            300,
        )
    }

    #[test]
    fn every_scheme_accepts_its_own_signature_and_refuses_tampering() {
        let config = SchemeConfig::default();
        for scheme in Scheme::ALL {
            let secret = super::super::scheme::generate_secret(scheme);
            let h = headers(&sign(scheme, &config, &secret, BODY, NOW, "msg_1"));
            assert_eq!(
                verify_with(scheme, &secret, &h, BODY, NOW),
                Ok(7),
                "{scheme}"
            );
            let tampered = br#"{"id":"evt_1","type":"charge.refunded"}"#;
            assert_eq!(
                verify_with(scheme, &secret, &h, tampered, NOW),
                Err(Refusal::SignatureMismatch),
                "{scheme}"
            );
            let other = super::super::scheme::generate_secret(scheme);
            assert_eq!(
                verify_with(scheme, &other, &h, BODY, NOW),
                Err(Refusal::SignatureMismatch),
                "{scheme}: wrong secret"
            );
        }
    }

    #[test]
    fn timestamps_are_checked_both_ways_after_the_signature() {
        for scheme in [Scheme::Stripe, Scheme::Standard] {
            let secret = super::super::scheme::generate_secret(scheme);
            let config = SchemeConfig::default();
            let old = headers(&sign(scheme, &config, &secret, BODY, NOW - 301, "m"));
            assert_eq!(
                verify_with(scheme, &secret, &old, BODY, NOW),
                Err(Refusal::StaleTimestamp {
                    skew_secs: 301,
                    tolerance_secs: 300
                })
            );
            let future = headers(&sign(scheme, &config, &secret, BODY, NOW + 301, "m"));
            assert_eq!(
                verify_with(scheme, &secret, &future, BODY, NOW),
                Err(Refusal::StaleTimestamp {
                    skew_secs: -301,
                    tolerance_secs: 300
                })
            );
            let edge = headers(&sign(scheme, &config, &secret, BODY, NOW - 300, "m"));
            assert_eq!(verify_with(scheme, &secret, &edge, BODY, NOW), Ok(7));
            // A forged old request is a mismatch, not a clock hint.
            assert_eq!(
                verify_with(scheme, "whsec_AAAA", &old, BODY, NOW),
                Err(Refusal::SignatureMismatch)
            );
        }
    }

    #[test]
    fn rotation_accepts_any_valid_secret_and_reports_which() {
        let config = SchemeConfig::default();
        let h = headers(&sign(Scheme::Stripe, &config, "whsec_old", BODY, NOW, "m"));
        let secrets = [
            Candidate {
                id: 1,
                secret: "whsec_new",
            },
            Candidate {
                id: 2,
                secret: "whsec_old",
            },
        ];
        assert_eq!(
            verify(Scheme::Stripe, &config, &secrets, &h, BODY, NOW, 300),
            Ok(2)
        );
        // Two v1 signatures, one per secret: either secret alone accepts.
        let sig_new = sign(Scheme::Stripe, &config, "whsec_new", BODY, NOW, "m");
        let sig_old = sign(Scheme::Stripe, &config, "whsec_old", BODY, NOW, "m");
        let v1_new = sig_new[0].1.split_once(",v1=").unwrap().1;
        let both = headers(&[(
            "stripe-signature".into(),
            format!("{},v1={v1_new}", sig_old[0].1),
        )]);
        for only in [&secrets[..1], &secrets[1..]] {
            assert!(verify(Scheme::Stripe, &config, only, &both, BODY, NOW, 300).is_ok());
        }
    }

    #[test]
    fn unknown_versions_alone_never_accept() {
        let config = SchemeConfig::default();
        let good = sign(Scheme::Stripe, &config, "whsec_x", BODY, NOW, "m");
        let sig = good[0].1.split_once(",v1=").unwrap().1.to_string();
        let v0_only = headers(&[("stripe-signature".into(), format!("t={NOW},v0={sig}"))]);
        assert_eq!(
            verify_with(Scheme::Stripe, "whsec_x", &v0_only, BODY, NOW),
            Err(Refusal::NoSupportedSignature {
                header: "Stripe-Signature".into()
            })
        );
        let std_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let good = sign(Scheme::Standard, &config, std_secret, BODY, NOW, "m");
        let b64 = good[2].1.strip_prefix("v1,").unwrap();
        let mut pairs = good.clone();
        pairs[2].1 = format!("v1a,{b64}");
        assert_eq!(
            verify_with(Scheme::Standard, std_secret, &headers(&pairs), BODY, NOW),
            Err(Refusal::NoSupportedSignature {
                header: "webhook-signature".into()
            })
        );
    }

    #[test]
    fn same_literal_secret_does_not_cross_schemes() {
        // Key confusion: the same whsec_ string is a different key under each scheme.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let config = SchemeConfig::default();
        let stripe = sign(Scheme::Stripe, &config, secret, BODY, NOW, "m");
        let standard = sign(Scheme::Standard, &config, secret, BODY, NOW, "m");
        assert!(verify_with(Scheme::Stripe, secret, &headers(&stripe), BODY, NOW).is_ok());
        assert!(verify_with(Scheme::Standard, secret, &headers(&standard), BODY, NOW).is_ok());
        // Move each signature into the other scheme's header format.
        let stripe_hex = stripe[0].1.split_once(",v1=").unwrap().1;
        let as_standard = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(hex::decode(stripe_hex).unwrap())
        );
        let mut forged = standard.clone();
        forged[2].1 = as_standard;
        assert_eq!(
            verify_with(Scheme::Standard, secret, &headers(&forged), BODY, NOW),
            Err(Refusal::SignatureMismatch)
        );
    }

    #[test]
    fn published_standard_webhooks_vector_verifies() {
        // From the Standard Webhooks specification's reference implementations.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let h = headers(&[
            ("webhook-id".into(), "msg_p5jXN8AQM9LWM0D4loKWxJek".into()),
            ("webhook-timestamp".into(), "1614265330".into()),
            (
                "webhook-signature".into(),
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".into(),
            ),
        ]);
        assert_eq!(
            verify_with(Scheme::Standard, secret, &h, body, 1_614_265_330),
            Ok(7)
        );
        // svix-* header names are the same scheme.
        let svix = headers(&[
            ("svix-id".into(), "msg_p5jXN8AQM9LWM0D4loKWxJek".into()),
            ("svix-timestamp".into(), "1614265330".into()),
            (
                "svix-signature".into(),
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".into(),
            ),
        ]);
        assert_eq!(
            verify_with(Scheme::Standard, secret, &svix, body, 1_614_265_330),
            Ok(7)
        );
    }

    #[test]
    fn missing_headers_are_named() {
        let h = HeaderMap::new();
        let missing = |scheme| match verify_with(scheme, "s", &h, BODY, NOW) {
            Err(Refusal::MissingHeader { header }) => header,
            other => panic!("{scheme}: {other:?}"),
        };
        assert_eq!(missing(Scheme::Stripe), "stripe-signature");
        assert_eq!(missing(Scheme::Standard), "webhook-id");
        assert_eq!(missing(Scheme::Github), "x-hub-signature-256");
        assert_eq!(missing(Scheme::Shopify), "x-shopify-hmac-sha256");
        assert_eq!(missing(Scheme::Hmac), "x-signature");
    }

    #[test]
    fn random_header_bytes_never_panic() {
        // A cheap property test: thousands of random printable header values per scheme.
        let config = SchemeConfig::default();
        let mut seed = [0u8; 4096];
        for round in 0..200 {
            getrandom::fill(&mut seed).unwrap();
            let len = usize::from(seed[0]) * 8 % 2048;
            let text: String = seed[1..=len]
                .iter()
                .map(|b| match b % 8 {
                    0 => ',',
                    1 => '=',
                    2 => ' ',
                    3 => 't',
                    4 => 'v',
                    5 => '1',
                    _ => char::from(b' ' + b % 94),
                })
                .collect();
            let _ = parse_stripe_header(&text);
            let _ = parse_standard_signatures(&text);
            let Ok(value) = http::HeaderValue::from_str(&text) else {
                continue;
            };
            for scheme in Scheme::ALL {
                let mut h = HeaderMap::new();
                for name in [
                    "stripe-signature",
                    "webhook-signature",
                    "webhook-id",
                    "webhook-timestamp",
                    "x-hub-signature-256",
                    "x-shopify-hmac-sha256",
                    "x-signature",
                ] {
                    h.insert(name, value.clone());
                }
                let result = verify(
                    scheme,
                    &config,
                    &[Candidate {
                        id: 1,
                        secret: "whsec_x",
                    }],
                    &h,
                    b"{}",
                    round,
                    300,
                );
                assert!(result.is_err(), "{scheme} accepted random bytes {text:?}");
            }
        }
    }

    #[test]
    fn hostile_header_values_never_panic() {
        let long = "v1=".repeat(5000);
        let samples: Vec<&str> = vec![
            "",
            ",",
            ",,,,",
            "=",
            "t=",
            "t=,v1=",
            "t=abc,v1=00",
            "t=1,v1=zz",
            "t=99999999999999999999",
            "v1=00",
            "t=1,t=2,v1=00",
            "t=1,,,v1=,,",
            " t = 1 , v1 = 00 ",
            &long,
            "t=1\u{0}v1=00",
        ];
        for s in &samples {
            let _ = parse_stripe_header(s);
            let _ = parse_standard_signatures(s);
            let _ = parse_standard_signatures(&s.replace(',', " v1,"));
        }
        assert_eq!(
            parse_stripe_header("t=1,,,v1=,,").map(|h| h.v1.len()),
            Ok(1)
        ); // empty hex decodes to []
        assert!(parse_stripe_header("t=99999999999999999999").is_err());
        assert!(parse_stripe_header("v1=00").is_err());
        // Non-UTF-8 header bytes are a refusal, not a panic.
        let mut h = HeaderMap::new();
        h.insert(
            "stripe-signature",
            http::HeaderValue::from_bytes(b"t=1,v1=\xff\xfe").unwrap(),
        );
        assert!(matches!(
            verify_with(Scheme::Stripe, "whsec_x", &h, BODY, NOW),
            Err(Refusal::MalformedHeader { .. })
        ));
    }
}
