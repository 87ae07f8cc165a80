//! Status badges: colour plus words, never colour alone.

use leptos::prelude::*;

/// The badge class for a delivery or endpoint state.
pub fn tone(status: &str) -> &'static str {
    match status {
        "succeeded" | "enabled" | "accepted" => "badge badge-ok",
        "retrying" | "pending" | "in_flight" | "held" | "paused" => "badge badge-warn",
        // Payments: waiting on someone, or money given back.
        "requires_action" | "processing" | "authorized" | "partially_refunded" | "refunded" => {
            "badge badge-warn"
        }
        "failed" | "disabled" => "badge badge-bad",
        _ => "badge badge-neutral",
    }
}

#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let label = status.replace('_', " ");
    view! { <span class=tone(&status)>{label}</span> }
}

/// Test or live mode, when the provider says.
#[component]
pub fn ModeBadge(livemode: Option<bool>) -> impl IntoView {
    livemode.map(|live| {
        if live {
            view! { <span class="badge badge-live" title="Live mode">"live"</span> }
        } else {
            view! { <span class="badge badge-test" title="Test mode">"test"</span> }
        }
    })
}
