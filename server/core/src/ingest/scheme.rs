//! Provider signature schemes and their per-source settings.

use serde::{Deserialize, Serialize};

/// How a source's senders sign their requests (see PRODUCT.md, "Inbound").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// `Stripe-Signature: t=..,v1=..`, hex HMAC of `{t}.{body}` keyed by the whole `whsec_` string.
    Stripe,
    /// Standard Webhooks / Svix: base64 HMAC of `{id}.{ts}.{body}` keyed by the decoded secret.
    Standard,
    /// GitHub: `X-Hub-Signature-256: sha256=<hex>` of the body.
    Github,
    /// Shopify: `X-Shopify-Hmac-Sha256: <base64>` of the body.
    Shopify,
    /// Any sender that signs the body with HMAC-SHA256 in a header of its choosing.
    Hmac,
}

impl Scheme {
    pub const ALL: [Scheme; 5] = [
        Scheme::Stripe,
        Scheme::Standard,
        Scheme::Github,
        Scheme::Shopify,
        Scheme::Hmac,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Stripe => "stripe",
            Scheme::Standard => "standard",
            Scheme::Github => "github",
            Scheme::Shopify => "shopify",
            Scheme::Hmac => "hmac",
        }
    }

    /// Whether the scheme's bodies must be JSON (GitHub, Shopify and generic senders may
    /// send JSON too, but a non-JSON body is still a valid delivery for them).
    pub fn requires_json(self) -> bool {
        matches!(self, Scheme::Stripe | Scheme::Standard)
    }

    /// Whether requests carry a signed timestamp checked against the tolerance.
    pub fn is_timestamped(self) -> bool {
        matches!(self, Scheme::Stripe | Scheme::Standard)
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .into_iter()
            .find(|scheme| scheme.as_str() == s)
            .ok_or_else(|| {
                format!("unknown scheme {s:?}: use stripe, standard, github, shopify or hmac")
            })
    }
}

/// How the generic `hmac` scheme's signature is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    #[default]
    Hex,
    Base64,
}

/// Settings of a source beyond its scheme; only the generic `hmac` scheme uses them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchemeConfig {
    /// The header carrying the signature (hmac scheme).
    pub header: String,
    /// Text before the signature in that header, e.g. `sha256=`.
    pub prefix: String,
    pub encoding: Encoding,
    /// JSON pointer to the event id; no id found -> SHA-256 of the body.
    pub id_pointer: String,
    /// JSON pointer to the event type.
    pub type_pointer: String,
    /// How this source's events become payments, for providers other than Stripe (Stripe
    /// sources use Stripe's mapping without configuration). `None`: no payments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payments: Option<crate::payments::GenericMapping>,
}

impl Default for SchemeConfig {
    fn default() -> Self {
        Self {
            header: "x-signature".into(),
            prefix: String::new(),
            encoding: Encoding::Hex,
            id_pointer: "/id".into(),
            type_pointer: "/type".into(),
            payments: None,
        }
    }
}

/// A new random signing secret in the scheme's native format.
pub fn generate_secret(scheme: Scheme) -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    match scheme {
        // Stripe secrets are `whsec_` + opaque text, used as-is as the key.
        Scheme::Stripe => format!("whsec_{}", hex::encode(bytes)),
        // Standard Webhooks: `whsec_` + base64 of 24-64 random bytes.
        Scheme::Standard => format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(&bytes[..24])
        ),
        Scheme::Github | Scheme::Shopify | Scheme::Hmac => hex::encode(bytes),
    }
}

/// A warning when a secret looks like it belongs to another scheme, for the rejection
/// explanation and for `source add` (a common misconfiguration, never a hard error).
pub fn secret_format_warning(scheme: Scheme, secret: &str) -> Option<String> {
    match scheme {
        Scheme::Stripe if !secret.starts_with("whsec_") => Some(
            "Stripe signing secrets start with whsec_; this one does not (copied from the wrong place?)"
                .into(),
        ),
        Scheme::Standard => {
            use base64::Engine;
            let body = secret.strip_prefix("whsec_").unwrap_or(secret);
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .is_err()
                .then(|| {
                    "Standard Webhooks secrets are whsec_ followed by base64; this one does not decode \
                     (a Stripe secret? Stripe uses the whole string, not base64)"
                        .into()
                })
        }
        Scheme::Github | Scheme::Shopify | Scheme::Hmac if secret.starts_with("whsec_") => Some(format!(
            "this looks like a Stripe or Standard Webhooks secret (whsec_…) but the source uses the {scheme} scheme"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_in_native_format_and_pass_their_own_check() {
        for scheme in Scheme::ALL {
            let secret = generate_secret(scheme);
            assert_eq!(
                secret_format_warning(scheme, &secret),
                None,
                "{scheme}: {secret}"
            );
            assert_ne!(secret, generate_secret(scheme), "{scheme}: not random");
        }
        assert!(generate_secret(Scheme::Stripe).starts_with("whsec_"));
        assert!(generate_secret(Scheme::Standard).starts_with("whsec_"));
    }

    #[test]
    fn wrong_format_secrets_are_flagged() {
        assert!(secret_format_warning(Scheme::Stripe, "abc").is_some());
        assert!(secret_format_warning(Scheme::Standard, "whsec_not base64!").is_some());
        assert!(secret_format_warning(Scheme::Github, "whsec_abc").is_some());
        assert!(secret_format_warning(Scheme::Github, "plain").is_none());
    }

    #[test]
    fn scheme_names_round_trip() {
        for scheme in Scheme::ALL {
            assert_eq!(scheme.as_str().parse::<Scheme>(), Ok(scheme));
        }
        assert!("paypal".parse::<Scheme>().is_err());
    }
}
