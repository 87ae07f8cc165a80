//! Stripe events for the tests, shaped like the real API objects (API version 2024-06-20),
//! trimmed of fields no test needs to vary.

use serde_json::{json, Value};

use super::event::PaymentEvent;

/// 2024-06-10 06:13:20 UTC, in seconds: when every fixture object was created.
pub const CREATED: i64 = 1_718_000_000;

/// The customer every fixture belongs to.
pub const CUSTOMER: &str = "cus_PxL9a2Q";

/// A stored Stripe event of `event_type` carrying `object`, created `offset` seconds after
/// [`CREATED`]. Its provider id derives from `event_id`, so the same `event_id` twice is the
/// same provider event.
pub fn stored(event_id: i64, event_type: &str, offset: i64, object: Value) -> PaymentEvent {
    let created = CREATED + offset;
    let provider_event_id = format!("evt_3PqRb2LkdIwHu7ix{event_id:06}");
    let livemode = object
        .get("livemode")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    PaymentEvent {
        event_id,
        provider_event_id: provider_event_id.clone(),
        event_type: event_type.into(),
        created_ms: Some(created * 1000),
        received_at: (created + 1) * 1000 + 250,
        livemode: Some(livemode),
        payload: json!({
            "id": provider_event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": created,
            "data": {"object": object},
            "livemode": livemode,
            "pending_webhooks": 1,
            "request": {"id": "req_8gWqLkQ1fZ3y2T", "idempotency_key": "3c1f0e5a-8d7b-4c2e"},
            "type": event_type,
        }),
    }
}

/// `base` with the top-level fields of `patch` replaced.
pub fn with(mut base: Value, patch: Value) -> Value {
    if let (Some(base), Value::Object(patch)) = (base.as_object_mut(), patch) {
        base.extend(patch);
    }
    base
}

/// The charge id the fixtures give the PaymentIntent `pi` (`pi_1` → `ch_1`).
pub fn charge_of(pi: &str) -> String {
    pi.replacen("pi_", "ch_", 1)
}

/// A PaymentIntent for 20.00 USD.
pub fn intent_object(id: &str, status: &str) -> Value {
    let succeeded = status == "succeeded";
    json!({
        "id": id,
        "object": "payment_intent",
        "amount": 2000,
        "amount_capturable": 0,
        "amount_received": if succeeded { 2000 } else { 0 },
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": true},
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": "automatic_async",
        "client_secret": format!("{id}_secret_Xk2Lm9"),
        "confirmation_method": "automatic",
        "created": CREATED,
        "currency": "usd",
        "customer": CUSTOMER,
        "description": "Order #1042",
        "invoice": null,
        "last_payment_error": null,
        "latest_charge": if succeeded { Value::from(charge_of(id)) } else { Value::Null },
        "livemode": true,
        "metadata": {"order_id": "1042"},
        "next_action": null,
        "payment_method": "pm_1PqRb2LkdIwHu7ixQx",
        "payment_method_types": ["card"],
        "receipt_email": null,
        "setup_future_usage": null,
        "shipping": null,
        "statement_descriptor": null,
        "status": status,
    })
}

/// A card charge for 20.00 USD, of the PaymentIntent `pi` if given.
pub fn charge_object(id: &str, pi: Option<&str>, status: &str) -> Value {
    let succeeded = status == "succeeded";
    json!({
        "id": id,
        "object": "charge",
        "amount": 2000,
        "amount_captured": if succeeded { 2000 } else { 0 },
        "amount_refunded": 0,
        "balance_transaction": if succeeded { Value::from("txn_3PqRb2LkdIwHu7ix") } else { Value::Null },
        "billing_details": {
            "address": {"city": null, "country": "US", "line1": null, "line2": null,
                        "postal_code": "94103", "state": null},
            "email": "jenny.rosen@example.com",
            "name": "Jenny Rosen",
            "phone": null
        },
        "captured": succeeded,
        "created": CREATED,
        "currency": "usd",
        "customer": CUSTOMER,
        "description": "Order #1042",
        "disputed": false,
        "failure_code": null,
        "failure_message": null,
        "livemode": true,
        "metadata": {"order_id": "1042"},
        "outcome": {"network_status": "approved_by_network", "reason": null,
                    "risk_level": "normal", "seller_message": "Payment complete.",
                    "type": "authorized"},
        "paid": succeeded,
        "payment_intent": pi,
        "payment_method": "pm_1PqRb2LkdIwHu7ixQx",
        "payment_method_details": {"card": {"brand": "visa", "country": "US", "exp_month": 8,
                                            "exp_year": 2027, "funding": "credit",
                                            "last4": "4242"},
                                   "type": "card"},
        "receipt_email": null,
        "refunded": false,
        "status": status,
    })
}

/// A declined card charge, with Stripe's message.
pub fn declined_charge(id: &str, pi: &str) -> Value {
    with(
        charge_object(id, Some(pi), "failed"),
        json!({
            "failure_code": "card_declined",
            "failure_message": "Your card was declined.",
            "outcome": {"network_status": "declined_by_network", "reason": "generic_decline",
                        "risk_level": "normal", "seller_message": "The bank did not return any further details with this decline.",
                        "type": "issuer_declined"},
        }),
    )
}

/// A refund of `amount` from the PaymentIntent `pi` (and its charge, [`charge_of`]).
pub fn refund_object(id: &str, pi: &str, amount: i64, status: &str) -> Value {
    json!({
        "id": id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": "txn_3PqRc9LkdIwHu7ix",
        "charge": charge_of(pi),
        "created": CREATED,
        "currency": "usd",
        "destination_details": {"card": {"reference_status": "pending",
                                         "reference_type": "acquirer_reference_number",
                                         "type": "refund"},
                                "type": "card"},
        "metadata": {},
        "payment_intent": pi,
        "reason": "requested_by_customer",
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": status,
        "transfer_reversal": null,
    })
}

/// A dispute of the whole 20.00 USD of `pi`'s charge.
pub fn dispute_object(id: &str, pi: &str, status: &str) -> Value {
    json!({
        "id": id,
        "object": "dispute",
        "amount": 2000,
        "balance_transactions": [],
        "charge": charge_of(pi),
        "created": CREATED,
        "currency": "usd",
        "evidence": {"customer_email_address": null, "product_description": null,
                     "uncategorized_text": null},
        "evidence_details": {"due_by": CREATED + 8 * 86_400, "has_evidence": false,
                             "past_due": false, "submission_count": 0},
        "is_charge_refundable": false,
        "livemode": true,
        "metadata": {},
        "payment_intent": pi,
        "reason": "fraudulent",
        "status": status,
    })
}

/// A subscription-cycle invoice for 15.00 USD.
pub fn invoice_object(id: &str, pi: Option<&str>, status: &str) -> Value {
    let paid = status == "paid";
    json!({
        "id": id,
        "object": "invoice",
        "account_country": "US",
        "amount_due": 1500,
        "amount_paid": if paid { 1500 } else { 0 },
        "amount_remaining": if paid { 0 } else { 1500 },
        "attempt_count": 1,
        "attempted": status != "draft",
        "billing_reason": "subscription_cycle",
        "charge": null,
        "collection_method": "charge_automatically",
        "created": CREATED,
        "currency": "usd",
        "customer": CUSTOMER,
        "customer_email": "jenny.rosen@example.com",
        "description": null,
        "hosted_invoice_url": format!("https://invoice.stripe.com/i/acct_1Pq/{id}"),
        "lines": {"object": "list", "data": [], "has_more": false, "total_count": 0,
                  "url": format!("/v1/invoices/{id}/lines")},
        "livemode": true,
        "number": "A1B2C3D4-0007",
        "paid": paid,
        "payment_intent": pi,
        "period_end": CREATED,
        "period_start": CREATED - 30 * 86_400,
        "status": status,
        "subscription": "sub_1PqRb2LkdIwHu7ix",
        "total": 1500,
    })
}

/// A Checkout Session in `payment` mode for 20.00 USD, for a guest (no customer object).
pub fn session_object(id: &str, pi: Option<&str>, payment_status: &str) -> Value {
    json!({
        "id": id,
        "object": "checkout.session",
        "amount_subtotal": 2000,
        "amount_total": 2000,
        "cancel_url": "https://shop.example.com/cart",
        "client_reference_id": null,
        "created": CREATED,
        "currency": "usd",
        "customer": null,
        "customer_details": {"address": {"country": "US", "postal_code": "94103"},
                             "email": "guest@example.com", "name": "Sam Guest",
                             "phone": null, "tax_exempt": "none", "tax_ids": []},
        "customer_email": null,
        "expires_at": CREATED + 86_400,
        "invoice": null,
        "livemode": true,
        "metadata": {},
        "mode": "payment",
        "payment_intent": pi,
        "payment_method_types": ["card", "us_bank_account"],
        "payment_status": payment_status,
        "status": "complete",
        "subscription": null,
        "success_url": "https://shop.example.com/thanks",
        "url": null,
    })
}

/// A monthly subscription: 3 seats at 12.00 USD.
pub fn subscription_object(id: &str, status: &str) -> Value {
    json!({
        "id": id,
        "object": "subscription",
        "billing_cycle_anchor": CREATED,
        "cancel_at": null,
        "cancel_at_period_end": false,
        "canceled_at": if status == "canceled" { Value::from(CREATED) } else { Value::Null },
        "collection_method": "charge_automatically",
        "created": CREATED,
        "currency": "usd",
        "current_period_end": CREATED + 30 * 86_400,
        "current_period_start": CREATED,
        "customer": CUSTOMER,
        "default_payment_method": "pm_1PqRb2LkdIwHu7ixQx",
        "description": null,
        "items": {
            "object": "list",
            "data": [{
                "id": "si_QhRb2LkdIwHu7i",
                "object": "subscription_item",
                "created": CREATED,
                "price": {"id": "price_1PqSeat", "object": "price", "active": true,
                          "currency": "usd", "product": "prod_QhSeat",
                          "recurring": {"interval": "month", "interval_count": 1,
                                        "usage_type": "licensed"},
                          "type": "recurring", "unit_amount": 1200},
                "quantity": 3,
                "subscription": id
            }],
            "has_more": false,
            "total_count": 1,
            "url": format!("/v1/subscription_items?subscription={id}")
        },
        "latest_invoice": "in_1PqRb2LkdIwHu7ix",
        "livemode": true,
        "metadata": {},
        "status": status,
        "trial_end": null,
        "trial_start": null,
    })
}
