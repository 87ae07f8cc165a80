//! Alerts: operational notifications. An endpoint starts failing (several attempts in a row
//! failed), is disabled (automatically or by hand) or recovers (a success after a "failing"
//! alert); an expected event type goes quiet for longer than its window, or resumes.
//!
//! Every alert is stored (the dashboard's Alerts page lists them, the audit log records them)
//! and, when an alert URL is configured, sent there as a webhook signed with Standard Webhooks
//! headers, so it can reach Slack or PagerDuty through any relay.

use serde::{Deserialize, Serialize};

#[cfg(feature = "server")]
pub mod monitor;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlertKind {
    EndpointFailing,
    EndpointDisabled,
    EndpointRecovered,
    EventTypeQuiet,
    EventTypeResumed,
}

impl AlertKind {
    pub const ALL: [AlertKind; 5] = [
        AlertKind::EndpointFailing,
        AlertKind::EndpointDisabled,
        AlertKind::EndpointRecovered,
        AlertKind::EventTypeQuiet,
        AlertKind::EventTypeResumed,
    ];

    /// The stored name, also the webhook's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::EndpointFailing => "endpoint.failing",
            AlertKind::EndpointDisabled => "endpoint.disabled",
            AlertKind::EndpointRecovered => "endpoint.recovered",
            AlertKind::EventTypeQuiet => "event_type.quiet",
            AlertKind::EventTypeResumed => "event_type.resumed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Short words for a badge.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::EndpointFailing => "failing",
            AlertKind::EndpointDisabled => "disabled",
            AlertKind::EndpointRecovered => "recovered",
            AlertKind::EventTypeQuiet => "quiet",
            AlertKind::EventTypeResumed => "resumed",
        }
    }

    /// Whether this alert reports trouble (the others report that it ended).
    pub fn is_trouble(self) -> bool {
        matches!(
            self,
            AlertKind::EndpointFailing | AlertKind::EndpointDisabled | AlertKind::EventTypeQuiet
        )
    }
}

/// One stored alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: i64,
    /// `endpoint.failing`, ... (see [`AlertKind::as_str`]).
    pub kind: String,
    /// `endpoint:3` or `event_type:invoice.paid`.
    pub subject: String,
    /// One sentence for people ("Endpoint orders is failing: 3 attempts in a row failed ...").
    pub message: String,
    /// JSON with the particulars (endpoint id and name, last error, window, last seen, ...).
    pub detail: String,
    pub created_at: i64,
    /// `pending`, `sent`, `failed` (gave up) or `unsent` (no alert URL configured).
    pub send_state: String,
    pub send_attempts: i64,
    pub next_send_at: i64,
    pub sent_at: Option<i64>,
    pub last_send_error: Option<String>,
}

impl Alert {
    pub fn kind(&self) -> Option<AlertKind> {
        AlertKind::parse(&self.kind)
    }

    /// The endpoint this alert is about, if any.
    pub fn endpoint_id(&self) -> Option<i64> {
        self.subject.strip_prefix("endpoint:")?.parse().ok()
    }

    /// The event type this alert is about, if any.
    pub fn event_type(&self) -> Option<&str> {
        self.subject.strip_prefix("event_type:")
    }
}

/// Which alerts to list: newest first, older than `before_id` when set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertFilter {
    /// Only this kind (`endpoint.failing`, ...).
    pub kind: Option<String>,
    /// Only alerts about this subject (`endpoint:3`).
    pub subject: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// A watched event type as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietStatus {
    pub event_type: String,
    pub window_ms: i64,
    /// When the newest event of this type was received.
    pub last_seen: Option<i64>,
    /// Set while a "quiet" alert stands: the time the quiet spell is counted from.
    pub quiet_since: Option<i64>,
}

/// An event type that should keep arriving: alert when none came for `window_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietRule {
    pub event_type: String,
    pub window_ms: i64,
}

/// How alerts are raised and where they go, as configured on `hookyard serve`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSettings {
    /// Where alerts are POSTed (None: kept in the dashboard only).
    pub url: Option<String>,
    /// Failed attempts in a row that make an endpoint "failing".
    pub after_failures: i64,
    pub quiet: Vec<QuietRule>,
}

/// Failed attempts in a row before an endpoint counts as failing, unless configured.
pub const DEFAULT_AFTER_FAILURES: i64 = 3;

/// Parses `invoice.paid=6h,charge.succeeded=30m` (units `s`, `m`, `h`, `d`).
pub fn parse_quiet_rules(spec: &str) -> Result<Vec<QuietRule>, String> {
    let mut rules: Vec<QuietRule> = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (event_type, window) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: expected TYPE=WINDOW, e.g. invoice.paid=6h"))?;
        let event_type = event_type.trim();
        if event_type.is_empty() || event_type.contains(char::is_whitespace) {
            return Err(format!("{part:?}: the event type is empty or has spaces"));
        }
        let window_ms = parse_window(window.trim()).map_err(|e| format!("{part:?}: {e}"))?;
        if rules.iter().any(|r| r.event_type == event_type) {
            return Err(format!("{event_type} is listed twice"));
        }
        rules.push(QuietRule {
            event_type: event_type.to_string(),
            window_ms,
        });
    }
    Ok(rules)
}

/// `90s`, `30m`, `6h`, `2d` → milliseconds (at least one minute).
pub fn parse_window(s: &str) -> Result<i64, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30m, 6h or 2d"))?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{s:?}: the unit must be s, m, h or d")),
    };
    let ms = n
        .checked_mul(unit_ms)
        .filter(|ms| *ms <= 366 * 86_400_000)
        .ok_or_else(|| format!("{s:?} is longer than a year"))?;
    if ms < 60_000 {
        return Err(format!("{s:?} is shorter than a minute"));
    }
    Ok(ms)
}

/// `6h`, `90m`, `2d`: a window as people write it.
pub fn format_window(ms: i64) -> String {
    const UNITS: [(i64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    UNITS
        .iter()
        .find(|(unit, _)| ms % unit == 0)
        .map(|(unit, name)| format!("{}{name}", ms / unit))
        .unwrap_or_else(|| format!("{ms}ms"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_rules_parse_and_refuse_clearly() {
        let rules = parse_quiet_rules("invoice.paid=6h, charge.succeeded=30m,").unwrap();
        assert_eq!(
            rules,
            vec![
                QuietRule {
                    event_type: "invoice.paid".into(),
                    window_ms: 6 * 3_600_000
                },
                QuietRule {
                    event_type: "charge.succeeded".into(),
                    window_ms: 30 * 60_000
                },
            ]
        );
        assert_eq!(parse_quiet_rules("").unwrap(), vec![]);
        for (bad, says) in [
            ("invoice.paid", "expected TYPE=WINDOW"),
            ("invoice.paid=6", "unit"),
            ("invoice.paid=h", "not a duration"),
            ("invoice.paid=10s", "shorter than a minute"),
            ("invoice.paid=400d", "longer than a year"),
            ("=1h", "empty"),
            ("a=1h,a=2h", "twice"),
        ] {
            let err = parse_quiet_rules(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn windows_print_as_written() {
        for s in ["6h", "30m", "2d", "90s", "90m"] {
            assert_eq!(format_window(parse_window(s).unwrap()), s);
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in AlertKind::ALL {
            assert_eq!(AlertKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(AlertKind::parse("nope"), None);
    }
}
