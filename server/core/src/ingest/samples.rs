//! Stripe-shaped sample events, for `hookyard send`, the benchmark and tests (like
//! `stripe trigger`). Each call makes fresh ids, so samples never collide as duplicates.

use serde_json::{json, Value};

/// The event types `hookyard send --type` knows.
pub const SAMPLE_TYPES: &[&str] = &[
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
    "invoice.paid",
    "customer.subscription.deleted",
];

/// A random id with a Stripe-style prefix, e.g. `evt_3Nq...`.
pub fn random_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    let tail: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("{prefix}_{tail}")
}

/// A sample event of `event_type` created at `created_secs`; `None` for an unknown type.
pub fn sample_event(event_type: &str, created_secs: i64) -> Option<Value> {
    let customer = random_id("cus");
    let object = match event_type {
        "payment_intent.succeeded" | "payment_intent.payment_failed" => {
            let failed = event_type.ends_with("failed");
            json!({
                "id": random_id("pi"), "object": "payment_intent", "amount": 2000,
                "amount_received": if failed { 0 } else { 2000 }, "currency": "usd",
                "customer": customer, "description": "Hookyard sample payment",
                "status": if failed { "requires_payment_method" } else { "succeeded" },
                "last_payment_error": if failed {
                    json!({"code": "card_declined", "decline_code": "insufficient_funds",
                           "message": "Your card has insufficient funds."})
                } else { Value::Null },
                "metadata": {"order_id": "6735"}, "created": created_secs
            })
        }
        "charge.refunded" => json!({
            "id": random_id("ch"), "object": "charge", "amount": 2000, "amount_refunded": 2000,
            "currency": "usd", "customer": customer, "payment_intent": random_id("pi"),
            "refunded": true, "status": "succeeded", "created": created_secs
        }),
        "charge.dispute.created" => json!({
            "id": random_id("dp"), "object": "dispute", "amount": 2000, "currency": "usd",
            "charge": random_id("ch"), "payment_intent": random_id("pi"),
            "reason": "fraudulent", "status": "needs_response", "created": created_secs
        }),
        "invoice.paid" => json!({
            "id": random_id("in"), "object": "invoice", "amount_due": 4900, "amount_paid": 4900,
            "currency": "eur", "customer": customer, "subscription": random_id("sub"),
            "status": "paid", "created": created_secs
        }),
        "customer.subscription.deleted" => json!({
            "id": random_id("sub"), "object": "subscription", "customer": customer,
            "currency": "eur", "status": "canceled", "canceled_at": created_secs,
            "items": {"object": "list", "data": [{"price": {"id": "price_basic", "unit_amount": 4900}}]}
        }),
        _ => return None,
    };
    Some(json!({
        "id": random_id("evt"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": created_secs,
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": event_type
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_type_has_a_sample_of_that_type_with_fresh_ids() {
        for t in SAMPLE_TYPES {
            let a = sample_event(t, 1).expect("sample");
            let b = sample_event(t, 1).expect("sample");
            assert_eq!(a["type"], *t);
            assert_ne!(a["id"], b["id"]);
            assert!(a["data"]["object"]["id"].is_string());
        }
        assert!(sample_event("nope", 1).is_none());
    }
}
