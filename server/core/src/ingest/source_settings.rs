//! A source's settings as people give them (dashboard form, JSON API), checked field by field
//! so that every mistake is reported next to its field, all at once.

use crate::ingest::receive::{valid_slug, MAX_BODY_LIMIT};
use crate::ingest::scheme::{
    generate_secret, secret_format_warning, Encoding, Scheme, SchemeConfig,
};
use crate::model::FieldError;
use crate::store::{NewSource, SourceChange};

/// A new source as typed.
#[derive(Debug, Clone, Default)]
pub struct SourceDraft {
    pub slug: String,
    pub name: String,
    pub scheme: String,
    /// Empty: one is generated in the scheme's format.
    pub secret: String,
    pub tolerance_secs: String,
    pub max_body_kib: String,
    /// The signature header and its encoding (`hex` or `base64`), for the `hmac` scheme.
    pub hmac_header: String,
    pub hmac_encoding: String,
}

/// A checked new source, and a warning when its secret does not look like the provider's.
#[derive(Debug, Clone)]
pub struct CheckedSource {
    pub source: NewSource,
    pub warning: Option<String>,
}

fn field(errors: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    errors.push(FieldError {
        field: field.into(),
        message: message.into(),
    });
}

/// Checks a source's name and limits (`max_body_kib` in KiB); the change to save, or every
/// field to fix.
pub fn check_limits(
    name: &str,
    tolerance_secs: &str,
    max_body_kib: &str,
) -> Result<SourceChange, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = name.trim().to_string();
    if name.chars().count() > 100 {
        field(&mut errors, "name", "At most 100 characters.");
    }
    let tolerance = match tolerance_secs.trim().parse::<i64>() {
        Ok(t) if (1..=86_400).contains(&t) => t,
        _ => {
            field(
                &mut errors,
                "tolerance_secs",
                "A whole number of seconds from 1 to 86400.",
            );
            0
        }
    };
    let max_kib = MAX_BODY_LIMIT / 1024;
    let max_body = match max_body_kib.trim().parse::<i64>() {
        Ok(k) if (1..=max_kib).contains(&k) => k * 1024,
        _ => {
            field(
                &mut errors,
                "max_body_kib",
                format!("A whole number of KiB from 1 to {max_kib} (25 MiB)."),
            );
            0
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(SourceChange {
        name: (!name.is_empty()).then_some(name),
        tolerance_secs: Some(tolerance),
        max_body_bytes: Some(max_body),
    })
}

/// Checks a new source; an empty secret is generated in the scheme's format.
pub fn check_new(draft: &SourceDraft) -> Result<CheckedSource, Vec<FieldError>> {
    let mut errors = Vec::new();
    let slug = draft.slug.trim().to_string();
    if slug == "new" {
        field(
            &mut errors,
            "slug",
            "“new” is reserved (it is the address of this form); choose another.",
        );
    } else if !valid_slug(&slug) {
        field(
            &mut errors,
            "slug",
            "1 to 64 lower-case letters, digits, - or _; it becomes the URL /hooks/<slug>.",
        );
    }
    let parsed: Result<Scheme, String> = draft.scheme.parse();
    if parsed.is_err() {
        field(
            &mut errors,
            "scheme",
            "Choose how the sender signs its requests.",
        );
    }
    let limits = check_limits(&draft.name, &draft.tolerance_secs, &draft.max_body_kib)
        .map_err(|e| errors.extend(e))
        .ok();
    let mut config = SchemeConfig::default();
    if parsed == Ok(Scheme::Hmac) {
        let header = draft.hmac_header.trim().to_ascii_lowercase();
        if header.is_empty() || header.contains(char::is_whitespace) {
            field(
                &mut errors,
                "hmac_header",
                "Name the header that carries the signature, e.g. X-Signature.",
            );
        }
        config.header = header;
        config.encoding = if draft.hmac_encoding == "base64" {
            Encoding::Base64
        } else {
            Encoding::Hex
        };
    }
    let (Ok(scheme), Some(limits), true) = (parsed, limits, errors.is_empty()) else {
        return Err(errors);
    };
    let secret = match draft.secret.trim() {
        "" => generate_secret(scheme),
        s => s.to_string(),
    };
    Ok(CheckedSource {
        warning: secret_format_warning(scheme, &secret),
        source: NewSource {
            name: limits.name.unwrap_or_else(|| slug.clone()),
            slug,
            scheme,
            config,
            secret,
            tolerance_secs: limits.tolerance_secs.unwrap_or_default(),
            max_body_bytes: limits.max_body_bytes.unwrap_or_default(),
        },
    })
}

/// The secret a rotation makes current (pasted, or generated when empty) and how many hours
/// the previous one keeps working, or the field to fix.
pub fn check_rotation(
    scheme: Scheme,
    secret: &str,
    overlap_hours: &str,
) -> Result<(String, i64), FieldError> {
    let overlap = match overlap_hours.trim().parse::<i64>() {
        Ok(h) if (0..=720).contains(&h) => h,
        _ => {
            return Err(FieldError {
                field: "overlap_hours".into(),
                message: "A whole number of hours from 0 to 720.".into(),
            })
        }
    };
    let secret = match secret.trim() {
        // These providers make the secret; one made here would never match their signatures.
        "" if matches!(scheme, Scheme::Stripe | Scheme::Shopify) => {
            return Err(FieldError {
                field: "secret".into(),
                message: format!(
                    "Paste the new secret from the {scheme} dashboard; {scheme} makes it, not Hookyard."
                ),
            })
        }
        "" => generate_secret(scheme),
        s => s.to_string(),
    };
    Ok((secret, overlap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> SourceDraft {
        SourceDraft {
            slug: "gh".into(),
            scheme: "github".into(),
            tolerance_secs: "300".into(),
            max_body_kib: "2048".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_source_passes_with_a_generated_secret() {
        let checked = check_new(&draft()).expect("valid");
        assert_eq!(checked.source.name, "gh");
        assert_eq!(checked.source.max_body_bytes, 2048 * 1024);
        assert!(!checked.source.secret.is_empty());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = SourceDraft {
            slug: "Not A Slug".into(),
            scheme: "nope".into(),
            tolerance_secs: "0".into(),
            max_body_kib: "999999".into(),
            ..Default::default()
        };
        let fields: Vec<String> = check_new(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["slug", "scheme", "tolerance_secs", "max_body_kib"]);
        let hmac = SourceDraft {
            scheme: "hmac".into(),
            ..draft()
        };
        assert_eq!(check_new(&hmac).unwrap_err()[0].field, "hmac_header");
    }

    #[test]
    fn rotation_needs_the_providers_secret_for_stripe() {
        assert_eq!(
            check_rotation(Scheme::Stripe, "", "24").unwrap_err().field,
            "secret"
        );
        assert_eq!(
            check_rotation(Scheme::Github, "", "721").unwrap_err().field,
            "overlap_hours"
        );
        let (secret, hours) = check_rotation(Scheme::Github, "", "0").expect("generated");
        assert!(!secret.is_empty());
        assert_eq!(hours, 0);
    }
}
