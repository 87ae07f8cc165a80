//! What Hookyard reads out of a verified request: the provider's event id and type (per
//! scheme), and fields kept for search and the payments view.

use http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::scheme::{Scheme, SchemeConfig};

/// The event's identity at its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub provider_event_id: String,
    pub event_type: String,
}

/// Why a verified request still cannot be stored as an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Unidentified {
    /// The scheme needs JSON and the body is not.
    InvalidJson { problem: String },
    /// No event id where the scheme says it is.
    MissingEventId { hint: String },
    /// No event type where the scheme says it is.
    MissingEventType { hint: String },
}

impl Unidentified {
    pub fn code(&self) -> &'static str {
        match self {
            Unidentified::InvalidJson { .. } => "invalid_json",
            Unidentified::MissingEventId { .. } => "missing_event_id",
            Unidentified::MissingEventType { .. } => "missing_event_type",
        }
    }
}

/// Longest id or type we store; longer values are refused rather than truncated silently.
const MAX_IDENTITY_LEN: usize = 255;

/// The body as JSON, where the scheme requires JSON (and, for the others, when it happens to be).
pub fn parse_body(scheme: Scheme, body: &[u8]) -> Result<Option<Value>, Unidentified> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => Ok(Some(value)),
        Err(err) if scheme.requires_json() => Err(Unidentified::InvalidJson {
            problem: err.to_string(),
        }),
        Err(_) => Ok(None),
    }
}

/// The provider's id and type for this event.
pub fn identify(
    scheme: Scheme,
    config: &SchemeConfig,
    headers: &HeaderMap,
    body: &[u8],
    json: Option<&Value>,
) -> Result<Identity, Unidentified> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let pointer = |ptr: &str| json.and_then(|j| j.pointer(ptr)).and_then(scalar_text);
    let body_hash = || format!("sha256:{}", hex::encode(Sha256::digest(body)));
    let missing_id = |hint: &str| Unidentified::MissingEventId { hint: hint.into() };
    let missing_type = |hint: &str| Unidentified::MissingEventType { hint: hint.into() };

    let (id, event_type) = match scheme {
        Scheme::Stripe => (
            pointer("/id").ok_or_else(|| missing_id("Stripe events carry \"id\" in the body"))?,
            pointer("/type")
                .ok_or_else(|| missing_type("Stripe events carry \"type\" in the body"))?,
        ),
        Scheme::Standard => (
            header("webhook-id")
                .or_else(|| header("svix-id"))
                .ok_or_else(|| missing_id("the webhook-id header"))?,
            pointer("/type")
                .ok_or_else(|| missing_type("Standard Webhooks payloads carry \"type\""))?,
        ),
        Scheme::Github => {
            let event = header("x-github-event")
                .ok_or_else(|| missing_type("the X-GitHub-Event header"))?;
            let event_type = match pointer("/action") {
                Some(action) => format!("{event}.{action}"),
                None => event,
            };
            (
                header("x-github-delivery").unwrap_or_else(body_hash),
                event_type,
            )
        }
        Scheme::Shopify => (
            header("x-shopify-webhook-id")
                .or_else(|| header("x-shopify-event-id"))
                .unwrap_or_else(body_hash),
            header("x-shopify-topic").ok_or_else(|| missing_type("the X-Shopify-Topic header"))?,
        ),
        Scheme::Hmac => (
            pointer(&config.id_pointer).unwrap_or_else(body_hash),
            pointer(&config.type_pointer).unwrap_or_else(|| "unknown".into()),
        ),
    };
    if id.len() > MAX_IDENTITY_LEN {
        return Err(missing_id("the event id is longer than 255 characters"));
    }
    if event_type.len() > MAX_IDENTITY_LEN {
        return Err(missing_type("the event type is longer than 255 characters"));
    }
    Ok(Identity {
        provider_event_id: id,
        event_type,
    })
}

/// A JSON string or number as text; anything else is not an identifier.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Fields kept beside each event for search, filters and the payments view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    pub livemode: Option<bool>,
    pub object_id: Option<String>,
    pub object_type: Option<String>,
    pub api_version: Option<String>,
    /// In the currency's minor unit, as the provider sends it (never a float).
    pub amount: Option<i64>,
    /// Lower-case ISO 4217 code.
    pub currency: Option<String>,
    pub customer: Option<String>,
    pub status: Option<String>,
    /// When the provider created the event, ms since the epoch.
    pub provider_created_at: Option<i64>,
}

/// Reads the searchable fields. Stripe's shape (`data.object`) is understood precisely; for
/// other providers the same well-known names are tried, and whatever is absent stays empty.
pub fn extract(json: Option<&Value>) -> Extracted {
    let Some(json) = json else {
        return Extracted::default();
    };
    let object = json.pointer("/data/object").or_else(|| json.get("data"));
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let in_object = |key: &str| object.and_then(|o| o.get(key));
    // The amount that matters differs by object type; take the first that exists.
    let amount = [
        "amount",
        "amount_total",
        "amount_paid",
        "amount_due",
        "amount_received",
    ]
    .iter()
    .find_map(|k| in_object(k).and_then(Value::as_i64));
    let customer = in_object("customer").and_then(|c| match c {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    });
    Extracted {
        livemode: json.get("livemode").and_then(Value::as_bool),
        object_id: text(in_object("id")),
        object_type: text(in_object("object")),
        api_version: text(json.get("api_version")),
        amount,
        currency: text(in_object("currency")).map(|c| c.to_ascii_lowercase()),
        customer,
        status: text(in_object("status")),
        provider_created_at: json
            .get("created")
            .and_then(Value::as_i64)
            .and_then(|secs| secs.checked_mul(1000)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stripe_identity_and_fields_come_from_the_body() {
        let body = json!({
            "id": "evt_1", "type": "payment_intent.succeeded", "livemode": false,
            "api_version": "2024-06-20", "created": 1_700_000_000,
            "data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 2000,
                                "currency": "USD", "customer": "cus_9", "status": "succeeded"}}
        });
        let raw = serde_json::to_vec(&body).unwrap();
        let id = identify(
            Scheme::Stripe,
            &SchemeConfig::default(),
            &HeaderMap::new(),
            &raw,
            Some(&body),
        )
        .unwrap();
        assert_eq!(id.provider_event_id, "evt_1");
        assert_eq!(id.event_type, "payment_intent.succeeded");
        let x = extract(Some(&body));
        assert_eq!(x.object_id.as_deref(), Some("pi_1"));
        assert_eq!(x.amount, Some(2000));
        assert_eq!(x.currency.as_deref(), Some("usd"));
        assert_eq!(x.customer.as_deref(), Some("cus_9"));
        assert_eq!(x.livemode, Some(false));
        assert_eq!(x.provider_created_at, Some(1_700_000_000_000));
    }

    #[test]
    fn github_type_includes_the_action_and_id_comes_from_the_header() {
        let mut h = HeaderMap::new();
        h.insert("x-github-event", "pull_request".parse().unwrap());
        h.insert("x-github-delivery", "72d3162e".parse().unwrap());
        let body = json!({"action": "opened"});
        let id = identify(
            Scheme::Github,
            &SchemeConfig::default(),
            &h,
            b"{}",
            Some(&body),
        )
        .unwrap();
        assert_eq!(id.event_type, "pull_request.opened");
        assert_eq!(id.provider_event_id, "72d3162e");
    }

    #[test]
    fn generic_hmac_without_an_id_uses_the_body_hash() {
        let a = identify(
            Scheme::Hmac,
            &SchemeConfig::default(),
            &HeaderMap::new(),
            b"one",
            None,
        )
        .unwrap();
        let b = identify(
            Scheme::Hmac,
            &SchemeConfig::default(),
            &HeaderMap::new(),
            b"two",
            None,
        )
        .unwrap();
        assert!(a.provider_event_id.starts_with("sha256:"));
        assert_ne!(a.provider_event_id, b.provider_event_id);
        assert_eq!(a.event_type, "unknown");
    }

    #[test]
    fn json_schemes_refuse_broken_json_and_missing_fields() {
        assert!(matches!(
            parse_body(Scheme::Stripe, b"{not json"),
            Err(Unidentified::InvalidJson { .. })
        ));
        assert_eq!(parse_body(Scheme::Github, b"a=1&b=2"), Ok(None));
        let body = json!({"type": "x"});
        let err = identify(
            Scheme::Stripe,
            &SchemeConfig::default(),
            &HeaderMap::new(),
            b"",
            Some(&body),
        )
        .unwrap_err();
        assert_eq!(err.code(), "missing_event_id");
    }

    #[test]
    fn extraction_of_hostile_shapes_never_panics() {
        for v in [
            json!(null),
            json!([]),
            json!("s"),
            json!({"data": 5}),
            json!({"data": {"object": []}}),
            json!({"created": i64::MAX}),
            json!({"data": {"object": {"amount": 1.5, "customer": 3}}}),
        ] {
            let _ = extract(Some(&v));
        }
        assert_eq!(
            extract(Some(&json!({"created": i64::MAX}))).provider_created_at,
            None
        );
    }
}
