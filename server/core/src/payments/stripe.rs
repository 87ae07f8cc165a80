//! Stripe's payment events, read into [`PaymentChange`]s.
//!
//! # The key a payment is filed under
//!
//! A customer paying once touches several Stripe objects (a PaymentIntent, its charges, maybe
//! a Checkout Session or an invoice, later refunds and disputes), and the Payments view must
//! show them as one payment. So every event is filed under the object that stands for the
//! *payment*, which is the PaymentIntent whenever there is one:
//!
//! | object | key |
//! |---|---|
//! | PaymentIntent | its id |
//! | Charge | its `payment_intent`, else its own id (legacy Charges API) |
//! | Refund | its `payment_intent`, else its `charge` |
//! | Dispute | its `payment_intent`, else its `charge` |
//! | Invoice | its `payment_intent`, else its own id (invoices of zero, API versions without the field) |
//! | Checkout Session, `payment` mode | its `payment_intent`, else its own id |
//! | Checkout Session, `subscription` mode | its `subscription` (the money comes as invoices) |
//! | Subscription | its id |
//!
//! Not filed at all: draft invoices (no PaymentIntent exists yet, and a draft may still be
//! edited or deleted; the invoice is filed once finalised), `setup`-mode sessions (no money),
//! and sessions in `subscription` mode that never created a subscription.
//!
//! Known limit: from API version `2025-03-31.basil` invoices no longer name their
//! PaymentIntent, so such an invoice and its PaymentIntent become two rows.

use serde_json::Value;

use super::change::{DisputeFact, PaymentChange, RefundFact};
use super::event::{currency, id_ref, int, text, PaymentEvent};
use super::payment::{DisputeStatus, PaymentKind, PaymentStatus, RefundStatus};

/// The Stripe object an event type carries in `data.object`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Object {
    PaymentIntent,
    Charge,
    Refund,
    Dispute,
    Invoice,
    CheckoutSession,
    Subscription,
}

/// The event types the projection reads, and the object each carries.
fn object_of(event_type: &str) -> Option<Object> {
    let object = match event_type {
        "payment_intent.created"
        | "payment_intent.succeeded"
        | "payment_intent.payment_failed"
        | "payment_intent.canceled"
        | "payment_intent.processing"
        | "payment_intent.requires_action"
        | "payment_intent.amount_capturable_updated"
        | "payment_intent.partially_funded" => Object::PaymentIntent,
        "charge.succeeded" | "charge.failed" | "charge.refunded" | "charge.captured"
        | "charge.pending" | "charge.updated" | "charge.expired" => Object::Charge,
        "refund.created" | "refund.updated" | "refund.failed" | "charge.refund.updated" => {
            Object::Refund
        }
        "charge.dispute.created"
        | "charge.dispute.updated"
        | "charge.dispute.closed"
        | "charge.dispute.funds_withdrawn"
        | "charge.dispute.funds_reinstated" => Object::Dispute,
        "invoice.created"
        | "invoice.finalized"
        | "invoice.updated"
        | "invoice.paid"
        | "invoice.payment_succeeded"
        | "invoice.payment_failed"
        | "invoice.payment_action_required"
        | "invoice.voided"
        | "invoice.marked_uncollectible"
        | "invoice.overdue" => Object::Invoice,
        "checkout.session.completed"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.async_payment_failed"
        | "checkout.session.expired" => Object::CheckoutSession,
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted"
        | "customer.subscription.paused"
        | "customer.subscription.resumed"
        | "customer.subscription.trial_will_end" => Object::Subscription,
        _ => return None,
    };
    Some(object)
}

/// Whether the projection reads Stripe events of this type.
pub fn is_payment_event(event_type: &str) -> bool {
    object_of(event_type).is_some()
}

/// What a Stripe event says about a payment; `None` for other events and for objects that
/// are not filed (see the module doc).
pub fn map_stripe(event: &PaymentEvent) -> Option<PaymentChange> {
    let object = event.payload.pointer("/data/object")?;
    match object_of(&event.event_type)? {
        Object::PaymentIntent => payment_intent(event, object),
        Object::Charge => charge(event, object),
        Object::Refund => refund(event, object),
        Object::Dispute => dispute(event, object),
        Object::Invoice => invoice(event, object),
        Object::CheckoutSession => checkout_session(event, object),
        Object::Subscription => subscription(event, object),
    }
}

fn payment_intent(event: &PaymentEvent, pi: &Value) -> Option<PaymentChange> {
    let word = text(pi, "status");
    // After a failed attempt the intent is back to `requires_payment_method`; the event type
    // is what says it failed.
    let status = if event.event_type == "payment_intent.payment_failed" {
        PaymentStatus::Failed
    } else {
        intent_status(word.as_deref())
    };
    Some(PaymentChange {
        kind: PaymentKind::PaymentIntent,
        status: Some(status),
        provider_status: word,
        amount: int(pi, "amount"),
        currency: currency(pi, "currency"),
        customer: customer(pi, &["/receipt_email"]),
        description: text(pi, "description"),
        failure_message: string_at(pi, "/last_payment_error/message"),
        ..event.change_for(text(pi, "id")?)
    })
}

fn intent_status(word: Option<&str>) -> PaymentStatus {
    match word {
        Some("requires_action") => PaymentStatus::RequiresAction,
        Some("processing") => PaymentStatus::Processing,
        Some("requires_capture") => PaymentStatus::Authorized,
        Some("succeeded") => PaymentStatus::Succeeded,
        Some("canceled") => PaymentStatus::Canceled,
        // requires_payment_method, requires_confirmation
        _ => PaymentStatus::Pending,
    }
}

fn charge(event: &PaymentEvent, ch: &Value) -> Option<PaymentChange> {
    let (key, kind) = filed_under(ch, PaymentKind::Charge)?;
    let word = text(ch, "status");
    let captured = ch.get("captured").and_then(Value::as_bool) != Some(false);
    let status = match event.event_type.as_str() {
        "charge.failed" => PaymentStatus::Failed,
        "charge.pending" => PaymentStatus::Processing,
        "charge.expired" => PaymentStatus::Canceled,
        _ => charge_status(word.as_deref(), captured, flag(ch, "refunded")),
    };
    // Releasing an uncaptured authorisation shows as a "refund" of it; no money was given
    // back, so it is not counted as one.
    let (amount_refunded, refunds) = if captured {
        (int(ch, "amount_refunded"), embedded_refunds(ch))
    } else {
        (None, Vec::new())
    };
    Some(PaymentChange {
        kind,
        status: Some(status),
        provider_status: word,
        amount: int(ch, "amount"),
        currency: currency(ch, "currency"),
        customer: customer(ch, &["/billing_details/email", "/receipt_email"]),
        description: text(ch, "description"),
        failure_message: text(ch, "failure_message"),
        amount_refunded,
        refunds,
        ..event.change_for(key)
    })
}

fn charge_status(word: Option<&str>, captured: bool, released: bool) -> PaymentStatus {
    match word {
        Some("succeeded") if !captured && released => PaymentStatus::Canceled,
        Some("succeeded") if !captured => PaymentStatus::Authorized,
        Some("succeeded") => PaymentStatus::Succeeded,
        Some("pending") => PaymentStatus::Processing,
        Some("failed") => PaymentStatus::Failed,
        _ => PaymentStatus::Pending,
    }
}

/// Refunds listed on a charge (`refunds.data`; API versions before 2022-11-15 include it).
fn embedded_refunds(ch: &Value) -> Vec<RefundFact> {
    ch.pointer("/refunds/data")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(refund_fact).collect())
        .unwrap_or_default()
}

fn refund_fact(re: &Value) -> Option<RefundFact> {
    Some(RefundFact {
        id: text(re, "id")?,
        amount: int(re, "amount")?,
        status: RefundStatus::from_stripe(text(re, "status").as_deref().unwrap_or_default()),
    })
}

fn refund(event: &PaymentEvent, re: &Value) -> Option<PaymentChange> {
    let (key, kind) = filed_under_payment_of(re)?;
    Some(PaymentChange {
        kind,
        currency: currency(re, "currency"),
        refunds: vec![refund_fact(re)?],
        ..event.change_for(key)
    })
}

fn dispute(event: &PaymentEvent, dp: &Value) -> Option<PaymentChange> {
    let (key, kind) = filed_under_payment_of(dp)?;
    let fact = DisputeFact {
        id: text(dp, "id")?,
        amount: int(dp, "amount")?,
        status: DisputeStatus::from_stripe(text(dp, "status").as_deref().unwrap_or_default()),
        reason: text(dp, "reason"),
    };
    Some(PaymentChange {
        kind,
        currency: currency(dp, "currency"),
        dispute: Some(fact),
        ..event.change_for(key)
    })
}

fn invoice(event: &PaymentEvent, inv: &Value) -> Option<PaymentChange> {
    let word = text(inv, "status");
    if word.as_deref() == Some("draft") {
        return None;
    }
    let (key, kind) = filed_under(inv, PaymentKind::Invoice)?;
    let status = match event.event_type.as_str() {
        "invoice.paid" | "invoice.payment_succeeded" => PaymentStatus::Succeeded,
        "invoice.payment_failed" | "invoice.marked_uncollectible" => PaymentStatus::Failed,
        "invoice.payment_action_required" => PaymentStatus::RequiresAction,
        "invoice.voided" => PaymentStatus::Canceled,
        _ => invoice_status(word.as_deref()),
    };
    Some(PaymentChange {
        kind,
        status: Some(status),
        provider_status: word,
        amount: int(inv, "amount_due"),
        currency: currency(inv, "currency"),
        customer: customer(inv, &["/customer_email"]),
        description: text(inv, "description"),
        ..event.change_for(key)
    })
}

fn invoice_status(word: Option<&str>) -> PaymentStatus {
    match word {
        Some("paid") => PaymentStatus::Succeeded,
        Some("void") => PaymentStatus::Canceled,
        Some("uncollectible") => PaymentStatus::Failed,
        // open
        _ => PaymentStatus::Pending,
    }
}

fn checkout_session(event: &PaymentEvent, cs: &Value) -> Option<PaymentChange> {
    let mode = text(cs, "mode");
    let for_subscription = match mode.as_deref() {
        Some("setup") => return None,
        Some("subscription") => true,
        _ => false,
    };
    let payment_status = text(cs, "payment_status");
    let status = match event.event_type.as_str() {
        "checkout.session.async_payment_succeeded" => PaymentStatus::Succeeded,
        "checkout.session.async_payment_failed" => PaymentStatus::Failed,
        "checkout.session.expired" => PaymentStatus::Canceled,
        // completed
        _ => match payment_status.as_deref() {
            Some("paid") => PaymentStatus::Succeeded,
            // Nothing to pay: a free order is complete, a subscription is (still) trialing.
            Some("no_payment_required") if for_subscription => PaymentStatus::Pending,
            Some("no_payment_required") => PaymentStatus::Succeeded,
            // unpaid: an asynchronous method (a bank debit) is still on its way
            _ => PaymentStatus::Processing,
        },
    };
    let (key, kind, amount) = if for_subscription {
        (id_ref(cs, "subscription")?, PaymentKind::Subscription, None)
    } else {
        let (key, kind) = filed_under(cs, PaymentKind::Checkout)?;
        (key, kind, int(cs, "amount_total"))
    };
    Some(PaymentChange {
        kind,
        status: Some(status),
        provider_status: payment_status,
        amount,
        currency: currency(cs, "currency"),
        customer: customer(cs, &["/customer_details/email", "/customer_email"]),
        ..event.change_for(key)
    })
}

fn subscription(event: &PaymentEvent, sub: &Value) -> Option<PaymentChange> {
    let word = text(sub, "status");
    Some(PaymentChange {
        kind: PaymentKind::Subscription,
        status: Some(subscription_status(word.as_deref())),
        provider_status: word,
        amount: recurring_amount(sub),
        currency: currency(sub, "currency")
            .or_else(|| string_at(sub, "/items/data/0/price/currency").map(|c| c.to_lowercase())),
        customer: customer(sub, &[]),
        description: text(sub, "description"),
        ..event.change_for(text(sub, "id")?)
    })
}

/// A subscription in good standing counts as paid; one whose invoices fail, as failed.
fn subscription_status(word: Option<&str>) -> PaymentStatus {
    match word {
        Some("active") => PaymentStatus::Succeeded,
        Some("past_due" | "unpaid") => PaymentStatus::Failed,
        Some("canceled" | "incomplete_expired") => PaymentStatus::Canceled,
        // incomplete, trialing, paused
        _ => PaymentStatus::Pending,
    }
}

/// What one billing period costs: each item's unit price times its quantity. `None` when an
/// item has no unit price (tiered or metered prices), since any figure would be wrong.
fn recurring_amount(sub: &Value) -> Option<i64> {
    let items = sub.pointer("/items/data")?.as_array()?;
    if items.is_empty() {
        return None;
    }
    items.iter().try_fold(0_i64, |total, item| {
        let unit = item
            .pointer("/price/unit_amount")
            .or_else(|| item.pointer("/plan/amount"))
            .and_then(Value::as_i64)?;
        let quantity = int(item, "quantity").unwrap_or(1);
        total.checked_add(unit.checked_mul(quantity)?)
    })
}

/// The key of an object that may belong to a PaymentIntent: the intent's id if it names one,
/// else the object's own id, of `own_kind`.
fn filed_under(object: &Value, own_kind: PaymentKind) -> Option<(String, PaymentKind)> {
    match id_ref(object, "payment_intent") {
        Some(pi) => Some((pi, PaymentKind::PaymentIntent)),
        None => Some((text(object, "id")?, own_kind)),
    }
}

/// The key of the payment a refund or a dispute is about: its PaymentIntent, else its charge.
fn filed_under_payment_of(object: &Value) -> Option<(String, PaymentKind)> {
    match id_ref(object, "payment_intent") {
        Some(pi) => Some((pi, PaymentKind::PaymentIntent)),
        None => Some((id_ref(object, "charge")?, PaymentKind::Charge)),
    }
}

/// The customer id, else the first e-mail address found at `email_pointers`.
fn customer(object: &Value, email_pointers: &[&str]) -> Option<String> {
    id_ref(object, "customer").or_else(|| {
        email_pointers
            .iter()
            .find_map(|pointer| string_at(object, pointer))
    })
}

fn string_at(object: &Value, pointer: &str) -> Option<String> {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn flag(object: &Value, field: &str) -> bool {
    object.get(field).and_then(Value::as_bool) == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::fixtures::*;
    use serde_json::json;

    fn mapped(event: &PaymentEvent) -> PaymentChange {
        map_stripe(event).expect("a payment change")
    }

    #[test]
    fn reads_only_payment_event_types() {
        assert!(is_payment_event("payment_intent.succeeded"));
        assert!(is_payment_event("charge.dispute.closed"));
        assert!(is_payment_event("customer.subscription.deleted"));
        assert!(!is_payment_event("customer.created"));
        assert!(!is_payment_event("invoice.upcoming"));
        assert!(!is_payment_event("payment_intent"));
    }

    #[test]
    fn a_payment_intent_is_its_own_key() {
        let change = mapped(&stored(
            1,
            "payment_intent.created",
            0,
            intent_object("pi_1", "requires_payment_method"),
        ));
        assert_eq!(change.key, "pi_1");
        assert_eq!(change.kind, PaymentKind::PaymentIntent);
        assert_eq!(change.status, Some(PaymentStatus::Pending));
        assert_eq!(
            change.provider_status.as_deref(),
            Some("requires_payment_method")
        );
        assert_eq!(
            (change.amount, change.currency.as_deref()),
            (Some(2000), Some("usd"))
        );
        assert_eq!(change.customer.as_deref(), Some("cus_PxL9a2Q"));
        assert_eq!(change.at_ms, CREATED * 1000);
        assert_eq!(change.livemode, Some(true));
    }

    #[test]
    fn a_failed_intent_is_failed_with_its_error_message() {
        let pi = with(
            intent_object("pi_1", "requires_payment_method"),
            json!({"last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds",
                    "message": "Your card has insufficient funds.", "type": "card_error"}}),
        );
        let change = mapped(&stored(1, "payment_intent.payment_failed", 0, pi));
        assert_eq!(change.status, Some(PaymentStatus::Failed));
        assert_eq!(
            change.failure_message.as_deref(),
            Some("Your card has insufficient funds.")
        );
    }

    #[test]
    fn a_charge_is_filed_under_its_payment_intent_else_itself() {
        let change = mapped(&stored(
            1,
            "charge.succeeded",
            0,
            charge_object("ch_1", Some("pi_1"), "succeeded"),
        ));
        assert_eq!(
            (change.key.as_str(), change.kind),
            ("pi_1", PaymentKind::PaymentIntent)
        );
        assert_eq!(change.status, Some(PaymentStatus::Succeeded));

        let legacy = mapped(&stored(
            2,
            "charge.succeeded",
            0,
            charge_object("ch_2", None, "succeeded"),
        ));
        assert_eq!(
            (legacy.key.as_str(), legacy.kind),
            ("ch_2", PaymentKind::Charge)
        );
    }

    #[test]
    fn an_uncaptured_charge_is_authorised_and_its_release_is_no_refund() {
        let auth = with(
            charge_object("ch_1", Some("pi_1"), "succeeded"),
            json!({"captured": false}),
        );
        let change = mapped(&stored(1, "charge.succeeded", 0, auth.clone()));
        assert_eq!(change.status, Some(PaymentStatus::Authorized));

        let released = with(auth, json!({"refunded": true, "amount_refunded": 2000}));
        let change = mapped(&stored(2, "charge.refunded", 10, released));
        assert_eq!(change.status, Some(PaymentStatus::Canceled));
        assert_eq!(change.amount_refunded, None);
    }

    #[test]
    fn a_refund_is_filed_under_the_payment_it_gives_back() {
        let change = mapped(&stored(
            1,
            "refund.created",
            0,
            refund_object("re_1", "pi_1", 500, "succeeded"),
        ));
        assert_eq!(
            (change.key.as_str(), change.kind),
            ("pi_1", PaymentKind::PaymentIntent)
        );
        assert_eq!(change.status, None);
        assert_eq!(change.amount, None);
        assert_eq!(change.refunds[0].amount, 500);

        let legacy = with(
            refund_object("re_2", "pi_1", 500, "succeeded"),
            json!({"payment_intent": null}),
        );
        let change = mapped(&stored(2, "charge.refund.updated", 0, legacy));
        assert_eq!(
            (change.key.as_str(), change.kind),
            ("ch_1", PaymentKind::Charge)
        );
    }

    #[test]
    fn a_dispute_is_filed_under_the_disputed_payment() {
        let change = mapped(&stored(
            1,
            "charge.dispute.created",
            0,
            dispute_object("dp_1", "pi_1", "needs_response"),
        ));
        assert_eq!(change.key, "pi_1");
        let dispute = change.dispute.expect("a dispute");
        assert_eq!(
            (dispute.status, dispute.amount),
            (DisputeStatus::NeedsResponse, 2000)
        );
        assert_eq!(dispute.reason.as_deref(), Some("fraudulent"));
    }

    #[test]
    fn an_invoice_is_filed_under_its_payment_intent_and_drafts_not_at_all() {
        let paid = mapped(&stored(
            1,
            "invoice.paid",
            0,
            invoice_object("in_1", Some("pi_9"), "paid"),
        ));
        assert_eq!(
            (paid.key.as_str(), paid.status),
            ("pi_9", Some(PaymentStatus::Succeeded))
        );
        assert_eq!(paid.amount, Some(1500));

        let free = mapped(&stored(
            2,
            "invoice.paid",
            0,
            invoice_object("in_2", None, "paid"),
        ));
        assert_eq!(
            (free.key.as_str(), free.kind),
            ("in_2", PaymentKind::Invoice)
        );

        assert_eq!(
            map_stripe(&stored(
                3,
                "invoice.created",
                0,
                invoice_object("in_3", None, "draft")
            )),
            None
        );
    }

    #[test]
    fn a_subscription_mode_session_is_filed_under_its_subscription() {
        let cs = with(
            session_object("cs_1", None, "paid"),
            json!({"mode": "subscription", "subscription": "sub_1", "invoice": "in_1"}),
        );
        let change = mapped(&stored(1, "checkout.session.completed", 0, cs));
        assert_eq!(
            (change.key.as_str(), change.kind),
            ("sub_1", PaymentKind::Subscription)
        );
        assert_eq!(change.amount, None);

        let setup = with(
            session_object("cs_2", None, "no_payment_required"),
            json!({"mode": "setup"}),
        );
        assert_eq!(
            map_stripe(&stored(2, "checkout.session.completed", 0, setup)),
            None
        );
    }

    #[test]
    fn a_subscription_costs_its_items_times_quantities() {
        let sub = subscription_object("sub_1", "active");
        let change = mapped(&stored(1, "customer.subscription.created", 0, sub.clone()));
        assert_eq!(
            (change.key.as_str(), change.kind),
            ("sub_1", PaymentKind::Subscription)
        );
        assert_eq!(change.amount, Some(3 * 1200));
        assert_eq!(change.status, Some(PaymentStatus::Succeeded));

        let metered = with(
            sub,
            json!({"items": {"object": "list", "data": [
                {"id": "si_1", "price": {"id": "price_m", "unit_amount": null, "currency": "usd"}, "quantity": 1}
            ]}}),
        );
        assert_eq!(
            mapped(&stored(2, "customer.subscription.updated", 0, metered)).amount,
            None
        );
    }

    #[test]
    fn the_event_time_falls_back_to_the_body_then_to_receipt() {
        let mut event = stored(
            1,
            "payment_intent.created",
            7,
            intent_object("pi_1", "requires_payment_method"),
        );
        event.created_ms = None;
        assert_eq!(mapped(&event).at_ms, (CREATED + 7) * 1000);
        event.payload["created"] = json!(null);
        assert_eq!(mapped(&event).at_ms, event.received_at);
    }

    #[test]
    fn an_event_without_an_object_is_not_a_change() {
        let mut event = stored(
            1,
            "payment_intent.created",
            0,
            intent_object("pi_1", "succeeded"),
        );
        event.payload["data"] = json!({});
        assert_eq!(map_stripe(&event), None);
    }
}
