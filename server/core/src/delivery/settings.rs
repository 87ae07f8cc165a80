//! An endpoint's settings as people type them (dashboard form, command line), checked field by
//! field so that every mistake is reported next to its field, all at once.

use crate::delivery::pattern;
use crate::model::FieldError;

/// The longest wait between two tries (30 days).
pub const MAX_DELAY_SECS: u64 = 30 * 86_400;

/// What the header-value box shows instead of a stored value, and means "keep it".
pub const KEEP_VALUE: &str = "(unchanged)";

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub struct EndpointDraft {
    pub name: String,
    pub url: String,
    pub description: String,
    /// Patterns separated by commas or new lines.
    pub events: String,
    /// One `Name: value` per line.
    pub headers: String,
    pub timeout_secs: String,
    pub max_in_flight: String,
    /// Comma-separated seconds; empty for the default schedule.
    pub retry_schedule: String,
}

/// The same settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSettings {
    pub name: String,
    pub url: String,
    pub description: String,
    pub patterns: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub timeout_ms: i64,
    pub max_in_flight: i64,
    pub retry_schedule: Option<Vec<u64>>,
}

/// Checks every field; `current_headers` supplies values the form left as [`KEEP_VALUE`].
pub fn validate(
    draft: &EndpointDraft,
    current_headers: &[(String, String)],
) -> Result<EndpointSettings, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            message,
        })
    };

    let name = draft.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        fail(
            "name",
            "Give the endpoint a name of 1 to 100 characters.".into(),
        );
    }

    let url = draft.url.trim().to_string();
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
        Ok(_) => fail("url", "Use an http:// or https:// URL with a host.".into()),
        Err(e) => fail(
            "url",
            format!("Not a URL ({e}); e.g. https://example.com/webhooks."),
        ),
    }

    let patterns: Vec<String> = draft
        .events
        .split([',', '\n'])
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if patterns.is_empty() {
        fail(
            "events",
            "Subscribe to at least one event type, e.g. charge.* or * for all.".into(),
        );
    }
    for p in &patterns {
        if let Err(why) = pattern::validate(p) {
            fail("events", why);
        }
    }

    let mut headers = Vec::new();
    for line in draft
        .headers
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        match line.split_once(':') {
            Some((k, _)) if is_reserved(&k.trim().to_ascii_lowercase()) => fail(
                "headers",
                format!(
                    "{}: Hookyard sets this header itself (signature, framing or routing).",
                    k.trim()
                ),
            ),
            Some((k, v)) if valid_header_name(k.trim()) => {
                let k = k.trim().to_ascii_lowercase();
                let v = v.trim();
                let value = if v == KEEP_VALUE {
                    current_headers
                        .iter()
                        .find(|(name, _)| *name == k)
                        .map(|(_, value)| value.clone())
                } else {
                    Some(v.to_string())
                };
                match value {
                    Some(value) if !value.contains(['\r', '\n']) => headers.push((k, value)),
                    Some(_) => fail("headers", format!("{k}: a value cannot span lines.")),
                    None => fail(
                        "headers",
                        format!("{k}: type the value; none is stored yet."),
                    ),
                }
            }
            _ => fail(
                "headers",
                format!("{line:?}: write one header per line as Name: value."),
            ),
        }
    }

    let timeout_ms = match draft.timeout_secs.trim().parse::<i64>() {
        Ok(secs) if (1..=300).contains(&secs) => secs * 1000,
        _ => {
            fail(
                "timeout_secs",
                "A whole number of seconds from 1 to 300.".into(),
            );
            0
        }
    };
    let max_in_flight = match draft.max_in_flight.trim().parse::<i64>() {
        Ok(n) if (1..=1000).contains(&n) => n,
        _ => {
            fail("max_in_flight", "A whole number from 1 to 1000.".into());
            0
        }
    };
    let retry_schedule = if draft.retry_schedule.trim().is_empty() {
        None
    } else {
        match draft
            .retry_schedule
            .split(',')
            .map(|d| d.trim().parse::<u64>())
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(delays)
                if !delays.is_empty()
                    && delays.len() <= 50
                    && delays.iter().all(|d| (1..=MAX_DELAY_SECS).contains(d)) =>
            {
                Some(delays)
            }
            _ => {
                fail(
                    "retry_schedule",
                    "Comma-separated whole seconds, each from 1 to 2592000 (30 days), at most 50 of them, e.g. 5, 60, 600; empty for the default.".into(),
                );
                None
            }
        }
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(EndpointSettings {
        name,
        url,
        description: draft.description.trim().to_string(),
        patterns,
        headers,
        timeout_ms,
        max_in_flight,
        retry_schedule,
    })
}

/// Checks a draft and its source filter (a source slug; empty for every source) and answers
/// what the store saves (`secret` left empty), or every field to fix.
pub async fn checked_endpoint(
    store: &dyn crate::store::Store,
    draft: &EndpointDraft,
    source: &str,
    current_headers: &[(String, String)],
) -> Result<Result<crate::store::NewEndpoint, Vec<FieldError>>, crate::store::StoreError> {
    let mut errors = Vec::new();
    let settings = validate(draft, current_headers)
        .map_err(|e| errors = e)
        .ok();
    let source_id = match source.trim() {
        "" => None,
        slug => match store.source_by_slug(slug).await? {
            Some(s) => Some(s.id),
            None => {
                errors.push(FieldError {
                    field: "source".into(),
                    message: format!("There is no source {slug:?}."),
                });
                None
            }
        },
    };
    let Some(s) = settings.filter(|_| errors.is_empty()) else {
        return Ok(Err(errors));
    };
    Ok(Ok(crate::store::NewEndpoint {
        name: s.name,
        url: s.url,
        description: s.description,
        patterns: s.patterns,
        source_id,
        secret: String::new(),
        headers: s.headers,
        timeout_ms: s.timeout_ms,
        max_in_flight: s.max_in_flight,
        retry_schedule: s.retry_schedule,
    }))
}

/// Headers a delivery must carry as Hookyard makes them.
fn is_reserved(name: &str) -> bool {
    matches!(
        name,
        "content-length" | "transfer-encoding" | "connection" | "host" | "te" | "upgrade"
    ) || name.starts_with("webhook-")
        || name.starts_with("svix-")
}

/// RFC 9110 token characters.
fn valid_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> EndpointDraft {
        EndpointDraft {
            name: "orders".into(),
            url: "https://shop.example/hooks".into(),
            events: "charge.*, invoice.paid".into(),
            timeout_secs: "15".into(),
            max_in_flight: "10".into(),
            ..Default::default()
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_good_form_becomes_settings() {
        let mut d = draft();
        d.headers = "X-Team: payments\n\nAuthorization: Bearer abc".into();
        d.retry_schedule = "5, 60".into();
        let s = validate(&d, &[]).unwrap();
        assert_eq!(s.patterns, ["charge.*", "invoice.paid"]);
        assert_eq!(s.timeout_ms, 15_000);
        assert_eq!(s.retry_schedule, Some(vec![5, 60]));
        assert_eq!(
            s.headers,
            [
                ("x-team".to_string(), "payments".to_string()),
                ("authorization".to_string(), "Bearer abc".to_string())
            ]
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let d = EndpointDraft {
            name: " ".into(),
            url: "ftp://x".into(),
            events: "charge.**".into(),
            headers: "no colon here".into(),
            timeout_secs: "0".into(),
            max_in_flight: "lots".into(),
            retry_schedule: "5,soon".into(),
            ..Default::default()
        };
        assert_eq!(
            fields(validate(&d, &[]).unwrap_err()),
            [
                "name",
                "url",
                "events",
                "headers",
                "timeout_secs",
                "max_in_flight",
                "retry_schedule"
            ]
        );
    }

    #[test]
    fn an_unchanged_header_keeps_its_stored_value_and_a_new_one_needs_a_value() {
        let mut d = draft();
        d.headers = format!("Authorization: {KEEP_VALUE}");
        let current = [("authorization".to_string(), "Bearer secret".to_string())];
        let s = validate(&d, &current).unwrap();
        assert_eq!(s.headers[0].1, "Bearer secret");
        assert_eq!(fields(validate(&d, &[]).unwrap_err()), ["headers"]);
    }

    #[test]
    fn headers_hookyard_sets_and_absurd_delays_are_refused() {
        let mut d = draft();
        d.headers = "Webhook-Signature: v1,forged\nContent-Length: 1".into();
        let errors = validate(&d, &[]).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        let mut d = draft();
        d.retry_schedule = format!("5, {}", u64::MAX);
        assert_eq!(fields(validate(&d, &[]).unwrap_err()), ["retry_schedule"]);
        d.retry_schedule = "0".into();
        assert_eq!(fields(validate(&d, &[]).unwrap_err()), ["retry_schedule"]);
    }

    #[test]
    fn no_patterns_is_an_error() {
        let mut d = draft();
        d.events = " , ".into();
        assert_eq!(fields(validate(&d, &[]).unwrap_err()), ["events"]);
    }
}
