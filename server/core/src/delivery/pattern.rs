//! Event-type subscriptions: `charge.succeeded` (exact), `charge.*` (any type under `charge.`,
//! at any depth), `*` (everything).

/// Whether `pattern` subscribes to `event_type`.
pub fn matches(pattern: &str, event_type: &str) -> bool {
    let pattern = pattern.trim();
    if pattern == "*" {
        return true;
    }
    match pattern.strip_suffix(".*") {
        Some(prefix) => event_type
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1),
        None => pattern == event_type,
    }
}

/// Whether any of `patterns` subscribes to `event_type`.
pub fn any_matches(patterns: &[String], event_type: &str) -> bool {
    patterns.iter().any(|p| matches(p, event_type))
}

/// Checks a pattern as typed by a person; the error says how to write it.
pub fn validate(pattern: &str) -> Result<(), String> {
    let p = pattern.trim();
    if p.is_empty() {
        return Err("an event type pattern cannot be empty".into());
    }
    if p == "*" {
        return Ok(());
    }
    let body = p.strip_suffix(".*").unwrap_or(p);
    let ok_chars = body
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':'));
    if !ok_chars
        || body.is_empty()
        || body.contains('*')
        || body.starts_with('.')
        || body.ends_with('.')
    {
        return Err(format!(
            "{pattern:?} is not a pattern: use an event type (charge.succeeded), a prefix with .* (charge.*), or *"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_prefix_and_everything() {
        assert!(matches("charge.succeeded", "charge.succeeded"));
        assert!(!matches("charge.succeeded", "charge.succeeded.extra"));
        assert!(matches("charge.*", "charge.succeeded"));
        assert!(matches("charge.*", "charge.dispute.created"));
        assert!(!matches("charge.*", "charge"));
        assert!(!matches("charge.*", "chargeback.created"));
        assert!(!matches("charge.*", "payment_intent.succeeded"));
        assert!(matches("*", "anything.at.all"));
        assert!(matches(" invoice.paid ", "invoice.paid"));
        assert!(any_matches(
            &["invoice.paid".into(), "charge.*".into()],
            "charge.refunded"
        ));
        assert!(!any_matches(&[], "charge.refunded"));
    }

    #[test]
    fn validation_explains_bad_patterns() {
        for ok in [
            "*",
            "charge.*",
            "invoice.paid",
            "orders/create",
            "pull_request.opened",
        ] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            " ",
            "char*",
            "*.succeeded",
            "charge.",
            ".charge",
            "a b",
            "charge.**",
        ] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }
}
