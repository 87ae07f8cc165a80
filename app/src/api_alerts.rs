//! Server function of the Alerts page: the alerts raised, how watched event types stand, and
//! where alerts go.

use hookyard_core::alerts::{Alert, QuietStatus};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::api::{store, unavailable};

/// The Alerts page's filters, from its URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertQuery {
    /// `endpoint.failing`, ... or every kind.
    pub kind: Option<String>,
    /// Alerts older than this id.
    pub before: Option<i64>,
}

/// One page of alerts, with the settings that raise and send them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertsPage {
    pub alerts: Vec<Alert>,
    /// The `before` of the next page, if there is one.
    pub next: Option<i64>,
    /// Where alerts are sent: scheme and host only (the path of a chat webhook URL is a
    /// credential). None: the dashboard only.
    pub destination: Option<String>,
    pub after_failures: i64,
    pub quiet: Vec<QuietStatus>,
}

/// Alerts per page.
pub const ALERTS_PER_PAGE: i64 = 50;

/// `https://hooks.slack.com/…`: enough to recognise the destination, nothing to reuse.
pub fn destination_label(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            // user:password@ never shows.
            let host = authority.rsplit('@').next().unwrap_or(authority);
            let more = if rest.len() > authority.len() {
                "/…"
            } else {
                ""
            };
            format!("{scheme}://{host}{more}")
        }
        None => "(not a URL)".into(),
    }
}

#[server(endpoint = "list_alerts", input = leptos::server_fn::codec::Json)]
pub async fn list_alerts(query: AlertQuery) -> Result<AlertsPage, ServerFnError> {
    use hookyard_core::alerts::{AlertFilter, AlertSettings};
    let settings = use_context::<AlertSettings>().unwrap_or_default();
    let store = store();
    let kind = query.kind.filter(|k| !k.is_empty());
    let mut alerts = store
        .alerts()
        .alerts(&AlertFilter {
            kind,
            subject: None,
            before_id: query.before,
            limit: ALERTS_PER_PAGE + 1,
        })
        .await
        .map_err(unavailable("reading alerts"))?;
    let next = if alerts.len() as i64 > ALERTS_PER_PAGE {
        alerts.truncate(ALERTS_PER_PAGE as usize);
        alerts.last().map(|a| a.id)
    } else {
        None
    };
    let quiet = store
        .alerts()
        .quiet_status(&settings.quiet)
        .await
        .map_err(unavailable("reading watched event types"))?;
    Ok(AlertsPage {
        alerts,
        next,
        destination: settings.url.as_deref().map(destination_label),
        after_failures: settings.after_failures,
        quiet,
    })
}

#[cfg(test)]
mod tests {
    use super::destination_label;

    #[test]
    fn destinations_never_show_paths_or_credentials() {
        assert_eq!(
            destination_label("https://hooks.slack.com/services/T0/B0/XXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            destination_label("http://user:pw@relay.internal:8080"),
            "http://relay.internal:8080"
        );
        assert_eq!(destination_label("nonsense"), "(not a URL)");
    }
}
