//! A stored event as the payment mappings read it, and small readers for its JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::change::PaymentChange;

/// One stored event, with what the projection needs from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentEvent {
    /// Our stored event's id.
    pub event_id: i64,
    pub provider_event_id: String,
    pub event_type: String,
    /// When the provider created the event, ms since the epoch (Stripe's `created`).
    pub created_ms: Option<i64>,
    /// When we received it, ms since the epoch.
    pub received_at: i64,
    pub livemode: Option<bool>,
    /// The parsed body.
    pub payload: Value,
}

impl PaymentEvent {
    /// The time that orders this event among the payment's others: the provider's, else
    /// the top-level `created` (seconds) of the body, else when we received it.
    pub fn at_ms(&self) -> i64 {
        self.created_ms
            .or_else(|| self.payload.get("created").and_then(seconds_to_ms))
            .unwrap_or(self.received_at)
    }

    /// A change filed under `key` that carries this event's identity, time and mode; the
    /// mapping fills in what the event says.
    pub(super) fn change_for(&self, key: String) -> PaymentChange {
        PaymentChange {
            key,
            event_id: self.event_id,
            provider_event_id: self.provider_event_id.clone(),
            event_type: self.event_type.clone(),
            at_ms: self.at_ms(),
            livemode: self
                .livemode
                .or_else(|| self.payload.get("livemode").and_then(Value::as_bool)),
            ..PaymentChange::default()
        }
    }
}

/// A JSON integer of seconds since the epoch, in ms.
pub(super) fn seconds_to_ms(value: &Value) -> Option<i64> {
    value.as_i64()?.checked_mul(1000)
}

/// A non-empty string field.
pub(super) fn text(object: &Value, field: &str) -> Option<String> {
    object
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A reference to another object: its id, whether the field holds the id or (expanded) the
/// object itself.
pub(super) fn id_ref(object: &Value, field: &str) -> Option<String> {
    match object.get(field)? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        expanded @ Value::Object(_) => text(expanded, "id"),
        _ => None,
    }
}

/// An integer field (amounts are whole minor units; a float is not an amount).
pub(super) fn int(object: &Value, field: &str) -> Option<i64> {
    object.get(field).and_then(Value::as_i64)
}

/// A currency code, lower-cased.
pub(super) fn currency(object: &Value, field: &str) -> Option<String> {
    text(object, field).map(|c| c.to_ascii_lowercase())
}
