//! Why a signature failed, in words a developer can act on. Runs only on the refusal path.

use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::scheme::{secret_format_warning, Scheme, SchemeConfig};
use super::signature::{matching_secret, read_claim, Candidate, Claim, Refusal};
use crate::store::SecretRecord;

/// Facts about a refused request, stored with the rejection and explained in the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The header that was missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_header: Option<String>,
    /// Seconds between the signed timestamp and our clock (positive: the request is old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skew_secs: Option<i64>,
    /// The signature is valid for a secret that was rotated out and has expired.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub matched_expired_secret: bool,
    /// The signature matches the body re-serialised (compact or pretty JSON): something
    /// between the sender and us re-encoded the body.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_reencoded: bool,
    /// The configured secret looks like another scheme's format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_warning: Option<String>,
    /// Signature versions offered but not accepted (`v0`, `v1a`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_versions: Vec<String>,
    /// How many signatures the request offered in versions we accept.
    pub signatures_offered: usize,
}

/// Looks for the likely cause of `refusal`. `now_secs` is the server clock.
pub fn diagnose(
    scheme: Scheme,
    config: &SchemeConfig,
    secrets: &[SecretRecord],
    headers: &HeaderMap,
    body: &[u8],
    now_secs: i64,
    refusal: &Refusal,
) -> Diagnosis {
    let mut d = Diagnosis {
        secret_warning: secrets
            .iter()
            .find(|s| s.expires_at.is_none())
            .and_then(|s| secret_format_warning(scheme, &s.secret)),
        ..Diagnosis::default()
    };
    match refusal {
        Refusal::MissingHeader { header } => d.missing_header = Some(header.clone()),
        Refusal::StaleTimestamp { skew_secs, .. } => d.skew_secs = Some(*skew_secs),
        _ => {}
    }
    let Ok(claim) = read_claim(scheme, config, headers) else {
        return d;
    };
    d.signatures_offered = claim.signatures.len();
    d.ignored_versions = claim.ignored_versions.clone();
    if let Some(ts) = claim.timestamp {
        d.skew_secs = Some(now_secs.saturating_sub(ts));
    }
    if *refusal == Refusal::SignatureMismatch {
        let all: Vec<Candidate<'_>> = secrets
            .iter()
            .map(|s| Candidate {
                id: s.id,
                secret: &s.secret,
            })
            .collect();
        d.matched_expired_secret = matching_secret(scheme, &all, &claim, body).is_some();
        d.body_reencoded = reencoded_body_matches(scheme, &all, &claim, body);
    }
    d
}

/// Whether a compact or pretty re-serialisation of the body would have verified.
fn reencoded_body_matches(
    scheme: Scheme,
    secrets: &[Candidate<'_>],
    claim: &Claim,
    body: &[u8],
) -> bool {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    let variants = [serde_json::to_vec(&json), serde_json::to_vec_pretty(&json)];
    variants
        .into_iter()
        .flatten()
        .filter(|variant| variant != body)
        .any(|variant| matching_secret(scheme, secrets, claim, &variant).is_some())
}

/// A reason code in words, for refusals that need no further explanation.
pub fn reason_text(reason: &str) -> &'static str {
    match reason {
        "unknown_source" => "No source has this slug: check the URL configured at the sender.",
        "body_too_large" => "The body is larger than this source's limit.",
        "invalid_json" => "The signature was valid but the body is not JSON.",
        "missing_event_id" => {
            "The signature was valid but the event has no id where this scheme expects one."
        }
        "missing_event_type" => {
            "The signature was valid but the event has no type where this scheme expects one."
        }
        "malformed_signature_header" => "The signature header could not be read.",
        "no_supported_signature" => "Only signature versions Hookyard does not accept were sent.",
        "invalid_timestamp" => "The signed timestamp is not a number.",
        "signature_mismatch" => "No configured secret produces this signature.",
        "timestamp_out_of_tolerance" => "The signed timestamp is too far from the server's clock.",
        "missing_signature_header" => "A header the scheme needs is missing.",
        _ => "Refused.",
    }
}

/// The diagnosis as sentences for people, most useful first.
pub fn explain(reason: &str, d: &Diagnosis) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(h) = &d.missing_header {
        out.push(format!("The request has no {h} header; the sender is not signing, or is configured for another scheme."));
    }
    if reason == "timestamp_out_of_tolerance" {
        if let Some(skew) = d.skew_secs {
            let dir = if skew >= 0 { "old" } else { "in the future" };
            out.push(format!("The signature is valid, but its timestamp is {} s {dir}: a replayed request, or a sender whose clock is off.", skew.abs()));
        }
    }
    if d.matched_expired_secret {
        out.push("The signature is valid for a rotated-out secret that has expired: the sender still uses the old secret.".into());
    }
    if d.body_reencoded {
        out.push("The signature matches the body with different JSON formatting: something between the sender and Hookyard re-encoded the body (a proxy or framework parsing and re-serialising it).".into());
    }
    if let Some(w) = &d.secret_warning {
        out.push(format!("The configured secret looks wrong: {w}."));
    }
    if !d.ignored_versions.is_empty() {
        out.push(format!(
            "Signature versions {} were ignored; only v1 is accepted.",
            d.ignored_versions.join(", ")
        ));
    }
    if out.is_empty() && reason == "signature_mismatch" {
        out.push("No configured secret produces this signature: the sender uses a different secret, or the body was changed on the way.".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::signature::sign;

    fn headers(pairs: &[(String, String)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                )
            })
            .collect()
    }

    fn secret(id: i64, secret: &str, expires_at: Option<i64>) -> SecretRecord {
        SecretRecord {
            id,
            secret: secret.into(),
            created_at: 0,
            expires_at,
        }
    }

    #[test]
    fn spots_a_reencoded_body() {
        let config = SchemeConfig::default();
        let sent = br#"{"id":"evt_1","type":"x"}"#;
        let h = headers(&sign(Scheme::Stripe, &config, "whsec_a", sent, 1000, "m"));
        let received = b"{\n  \"id\": \"evt_1\",\n  \"type\": \"x\"\n}";
        let d = diagnose(
            Scheme::Stripe,
            &config,
            &[secret(1, "whsec_a", None)],
            &h,
            received,
            1000,
            &Refusal::SignatureMismatch,
        );
        assert!(d.body_reencoded);
        assert!(!d.matched_expired_secret);
        assert_eq!(d.skew_secs, Some(0));
        assert!(explain("signature_mismatch", &d)[0].contains("re-encoded"));
    }

    #[test]
    fn spots_an_expired_secret_and_a_wrong_format() {
        let config = SchemeConfig::default();
        let body = br#"{"id":"e","type":"t"}"#;
        let h = headers(&sign(Scheme::Stripe, &config, "whsec_old", body, 1000, "m"));
        let secrets = [
            secret(2, "not-a-stripe-secret", None),
            secret(1, "whsec_old", Some(500)),
        ];
        let d = diagnose(
            Scheme::Stripe,
            &config,
            &secrets,
            &h,
            body,
            1000,
            &Refusal::SignatureMismatch,
        );
        assert!(d.matched_expired_secret);
        assert!(d.secret_warning.is_some());
        let text = explain("signature_mismatch", &d).join(" ");
        assert!(
            text.contains("rotated-out") && text.contains("whsec_"),
            "{text}"
        );
    }

    #[test]
    fn explains_skew_and_missing_headers() {
        let d = Diagnosis {
            skew_secs: Some(-420),
            ..Default::default()
        };
        assert!(explain("timestamp_out_of_tolerance", &d)[0].contains("420 s in the future"));
        let d = diagnose(
            Scheme::Github,
            &SchemeConfig::default(),
            &[],
            &HeaderMap::new(),
            b"",
            0,
            &Refusal::MissingHeader {
                header: "x-hub-signature-256".into(),
            },
        );
        assert_eq!(d.missing_header.as_deref(), Some("x-hub-signature-256"));
    }
}
