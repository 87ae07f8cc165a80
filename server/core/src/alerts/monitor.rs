//! The alert monitor, one per `hookyard serve`: checks the watched event types for quiet
//! spells, and sends stored alerts to the alert URL (leased, so with several instances each
//! alert goes out once), retrying on a schedule, then giving up and saying so.

use std::time::Duration;

use super::AlertSettings;
use crate::delivery::guard::NetworkPolicy;
use crate::delivery::worker::Poster;
use crate::store::SharedStore;
use crate::time::{format_rfc3339, now_ms};

/// Seconds before each retry of a failed send; after the last, the alert is `failed`.
pub const RETRY_SECS: [i64; 7] = [10, 60, 300, 1_800, 7_200, 21_600, 43_200];

/// How long a claimed alert stays leased to this instance.
const LEASE_MS: i64 = 60_000;

#[derive(Clone, Debug)]
pub struct MonitorConfig {
    pub settings: AlertSettings,
    /// The Standard Webhooks secret (`whsec_…`) alerts are signed with; needed with a URL.
    pub secret: Option<String>,
    /// Identifies this process in leases.
    pub owner: String,
    /// How often to check and send.
    pub tick: Duration,
    pub policy: NetworkPolicy,
}

/// Starts the monitor; it runs until the process ends.
pub fn spawn(store: SharedStore, config: MonitorConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let poster = match Poster::new(config.policy.clone()) {
            Ok(poster) => poster,
            Err(err) => {
                tracing::error!(error = %err, "cannot build the HTTP client; alerts are not sent");
                return;
            }
        };
        let mut tick = tokio::time::interval(config.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            run_once(&store, &config, &poster).await;
        }
    })
}

/// One round: quiet checks, then sending what is due.
pub async fn run_once(store: &SharedStore, config: &MonitorConfig, poster: &Poster) {
    for rule in &config.settings.quiet {
        if let Err(err) = store.alerts().check_quiet(rule, now_ms()).await {
            tracing::warn!(error = %err, event_type = %rule.event_type, "quiet check failed");
        }
    }
    let (Some(url), Some(secret)) = (&config.settings.url, &config.secret) else {
        if let Err(err) = store.alerts().keep_unsent().await {
            tracing::warn!(error = %err, "could not mark alerts unsent");
        }
        return;
    };
    let due = match store
        .alerts()
        .claim_unsent(&config.owner, now_ms(), LEASE_MS, 20)
        .await
    {
        Ok(due) => due,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the alerts to send");
            return;
        }
    };
    for alert in due {
        let sent = poster
            .send_alert(
                url,
                secret,
                webhook_body(&alert),
                &format!("alert_{}", alert.id),
            )
            .await;
        let recorded = match sent {
            Ok(_) => {
                tracing::info!(alert = alert.id, kind = %alert.kind, "alert sent");
                store
                    .alerts()
                    .alert_sent(alert.id, &config.owner, now_ms())
                    .await
            }
            Err(why) => {
                let retry_at = RETRY_SECS
                    .get(alert.send_attempts as usize)
                    .map(|secs| now_ms() + secs * 1000);
                tracing::warn!(alert = alert.id, error = %why, gave_up = retry_at.is_none(), "alert not sent");
                store
                    .alerts()
                    .alert_send_failed(alert.id, &config.owner, &why, retry_at)
                    .await
            }
        };
        if let Err(err) = recorded {
            tracing::warn!(error = %err, alert = alert.id, "alert outcome not recorded; it is sent again when its lease expires");
        }
    }
}

/// The JSON an alert is sent as. `text` is one sentence, so a chat relay (or a Slack incoming
/// webhook, which reads `text`) can show it as it is.
pub fn webhook_body(alert: &super::Alert) -> Vec<u8> {
    let data: serde_json::Value =
        serde_json::from_str(&alert.detail).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "type": alert.kind,
        "id": format!("alert_{}", alert.id),
        "created_at": format_rfc3339(alert.created_at),
        "subject": alert.subject,
        "text": alert.message,
        "data": data,
    })
    .to_string()
    .into_bytes()
}
