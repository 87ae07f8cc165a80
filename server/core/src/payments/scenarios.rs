//! Whole payment stories told in Stripe events, folded the way the storage layer folds them.

use std::collections::BTreeMap;

use serde_json::json;

use super::fixtures::*;
use super::fold::tests::{permutations, shuffles};
use super::*;
use crate::money::format_minor;

/// Folds `events` one by one as the live projection does: the table and each event's timeline
/// entry (events that are not about payments have none).
fn live(events: &[PaymentEvent]) -> (BTreeMap<String, Payment>, Vec<TimelineEntry>) {
    let mut table = BTreeMap::new();
    let mut timeline = Vec::new();
    for event in events {
        let Some(change) = map_stripe(event) else {
            continue;
        };
        let (payment, entry) = apply(table.remove(&change.key), &change);
        table.insert(change.key.clone(), payment);
        timeline.push(entry);
    }
    (table, timeline)
}

fn verdicts(timeline: &[TimelineEntry]) -> Vec<Verdict> {
    timeline.iter().map(|e| e.verdict).collect()
}

fn at(offset: i64) -> i64 {
    (CREATED + offset) * 1000
}

/// A PaymentIntent's `payment_intent.payment_failed`: back to `requires_payment_method`,
/// with the decline in `last_payment_error`.
fn failed_intent(pi: &str) -> serde_json::Value {
    with(
        intent_object(pi, "requires_payment_method"),
        json!({"last_payment_error": {"code": "card_declined", "decline_code": "generic_decline",
                "message": "Your card was declined.", "type": "card_error",
                "charge": "ch_declined"}}),
    )
}

/// `charge.refunded` as API versions before 2022-11-15 send it: the running total and the list.
fn refunded_charge(pi: &str, total: i64, refunds: &[serde_json::Value]) -> serde_json::Value {
    let ch = charge_of(pi);
    with(
        charge_object(&ch, Some(pi), "succeeded"),
        json!({"amount_refunded": total, "refunded": total >= 2000,
               "refunds": {"object": "list", "data": refunds, "has_more": false,
                           "total_count": refunds.len(), "url": format!("/v1/charges/{ch}/refunds")}}),
    )
}

#[test]
fn normal_path_created_then_succeeded_with_its_charge() {
    let events = [
        stored(
            1,
            "payment_intent.created",
            0,
            intent_object("pi_1", "requires_payment_method"),
        ),
        stored(
            2,
            "charge.succeeded",
            2,
            charge_object("ch_1", Some("pi_1"), "succeeded"),
        ),
        stored(
            3,
            "payment_intent.succeeded",
            2,
            intent_object("pi_1", "succeeded"),
        ),
    ];
    let (table, timeline) = live(&events);
    assert_eq!(table.len(), 1);
    let p = &table["pi_1"];
    assert_eq!(
        (p.kind, p.status),
        (PaymentKind::PaymentIntent, PaymentStatus::Succeeded)
    );
    assert_eq!(p.provider_status.as_deref(), Some("succeeded"));
    assert_eq!((p.amount, p.currency.as_deref()), (Some(2000), Some("usd")));
    assert_eq!(p.display_amount().as_deref(), Some("20.00 USD"));
    assert_eq!(p.customer.as_deref(), Some(CUSTOMER));
    assert_eq!(p.description.as_deref(), Some("Order #1042"));
    assert_eq!((p.created_at, p.updated_at), (at(0), at(2)));
    assert_eq!(
        (p.amount_refunded, p.amount_disputed, p.dispute),
        (0, 0, None)
    );
    assert_eq!(p.livemode, Some(true));
    assert_eq!(p.failure_message, None);
    assert_eq!(p.event_count(), 3);
    assert_eq!(verdicts(&timeline), vec![Verdict::Applied; 3]);
    assert_eq!(timeline[1].event_id, 2);
    assert_eq!(timeline[1].reported_status, Some(PaymentStatus::Succeeded));
}

#[test]
fn failed_attempts_then_success() {
    let created = stored(
        1,
        "payment_intent.created",
        0,
        intent_object("pi_1", "requires_payment_method"),
    );
    let declined = stored(2, "charge.failed", 5, declined_charge("ch_a", "pi_1"));
    let failed = stored(3, "payment_intent.payment_failed", 5, failed_intent("pi_1"));
    let action = stored(
        4,
        "payment_intent.requires_action",
        40,
        intent_object("pi_1", "requires_action"),
    );
    let paid = stored(
        5,
        "charge.succeeded",
        60,
        charge_object("ch_b", Some("pi_1"), "succeeded"),
    );
    let succeeded = stored(
        6,
        "payment_intent.succeeded",
        60,
        intent_object("pi_1", "succeeded"),
    );

    let (table, _) = live(&[created.clone(), declined.clone(), failed.clone()]);
    let p = &table["pi_1"];
    assert_eq!(p.status, PaymentStatus::Failed);
    assert_eq!(
        p.failure_message.as_deref(),
        Some("Your card was declined.")
    );

    let (table, _) = live(&[
        created.clone(),
        declined.clone(),
        failed.clone(),
        action.clone(),
    ]);
    assert_eq!(table["pi_1"].status, PaymentStatus::RequiresAction);

    let (table, timeline) = live(&[created, declined, failed, action, paid, succeeded]);
    let p = &table["pi_1"];
    assert_eq!(p.status, PaymentStatus::Succeeded);
    assert_eq!(
        p.failure_message.as_deref(),
        Some("Your card was declined.")
    );
    assert_eq!(timeline[1].reported_status, Some(PaymentStatus::Failed));
    assert_eq!(verdicts(&timeline), vec![Verdict::Applied; 6]);
}

#[test]
fn partial_then_full_refund_through_charge_refunded() {
    let re_1 = refund_object("re_1", "pi_1", 500, "succeeded");
    let re_2 = refund_object("re_2", "pi_1", 1500, "succeeded");
    let paid = [
        stored(
            1,
            "payment_intent.succeeded",
            0,
            intent_object("pi_1", "succeeded"),
        ),
        stored(
            2,
            "charge.succeeded",
            0,
            charge_object("ch_1", Some("pi_1"), "succeeded"),
        ),
    ];
    let partial = stored(
        3,
        "charge.refunded",
        600,
        refunded_charge("pi_1", 500, std::slice::from_ref(&re_1)),
    );
    let second = stored(4, "refund.created", 900, re_2.clone());
    let full = stored(
        5,
        "charge.refunded",
        900,
        refunded_charge("pi_1", 2000, &[re_2, re_1]),
    );

    let (table, _) = live(&[paid[0].clone(), paid[1].clone(), partial.clone()]);
    let p = &table["pi_1"];
    assert_eq!(
        (p.status, p.amount_refunded),
        (PaymentStatus::PartiallyRefunded, 500)
    );

    let (table, timeline) = live(&[paid[0].clone(), paid[1].clone(), partial, second, full]);
    let p = &table["pi_1"];
    assert_eq!(
        (p.status, p.amount_refunded),
        (PaymentStatus::Refunded, 2000)
    );
    assert_eq!(timeline[3].amount, Some(1500));
}

#[test]
fn refund_events_count_each_refund_once() {
    // Current API versions: charge.refunded carries the running total but no list.
    let events = [
        stored(
            1,
            "payment_intent.succeeded",
            0,
            intent_object("pi_1", "succeeded"),
        ),
        stored(
            2,
            "refund.created",
            600,
            refund_object("re_1", "pi_1", 500, "pending"),
        ),
        stored(3, "charge.refunded", 600, refunded_charge("pi_1", 500, &[])),
        stored(
            4,
            "refund.updated",
            605,
            refund_object("re_1", "pi_1", 500, "succeeded"),
        ),
        stored(
            5,
            "charge.refund.updated",
            605,
            refund_object("re_1", "pi_1", 500, "succeeded"),
        ),
        stored(
            6,
            "refund.created",
            700,
            refund_object("re_2", "pi_1", 300, "pending"),
        ),
        stored(
            7,
            "refund.failed",
            800,
            refund_object("re_2", "pi_1", 300, "failed"),
        ),
    ];
    let (table, _) = live(&events);
    let p = &table["pi_1"];
    assert_eq!(
        (p.status, p.amount_refunded),
        (PaymentStatus::PartiallyRefunded, 500)
    );
    assert_eq!(project(&events), table);
}

#[test]
fn a_won_dispute_gives_the_funds_back() {
    let events = [
        stored(
            1,
            "payment_intent.succeeded",
            0,
            intent_object("pi_1", "succeeded"),
        ),
        stored(
            2,
            "charge.dispute.created",
            86_400,
            dispute_object("dp_1", "pi_1", "needs_response"),
        ),
        stored(
            3,
            "charge.dispute.funds_withdrawn",
            86_400,
            dispute_object("dp_1", "pi_1", "needs_response"),
        ),
        stored(
            4,
            "charge.dispute.updated",
            2 * 86_400,
            dispute_object("dp_1", "pi_1", "under_review"),
        ),
        stored(
            5,
            "charge.dispute.closed",
            30 * 86_400,
            dispute_object("dp_1", "pi_1", "won"),
        ),
        stored(
            6,
            "charge.dispute.funds_reinstated",
            30 * 86_400,
            dispute_object("dp_1", "pi_1", "won"),
        ),
    ];
    let (table, _) = live(&events[..3]);
    let p = &table["pi_1"];
    assert_eq!(
        (p.dispute, p.amount_disputed),
        (Some(DisputeStatus::NeedsResponse), 2000)
    );
    assert_eq!(p.status, PaymentStatus::Succeeded);

    let (table, timeline) = live(&events);
    let p = &table["pi_1"];
    assert_eq!(
        (p.dispute, p.amount_disputed),
        (Some(DisputeStatus::Won), 0)
    );
    assert_eq!(p.status, PaymentStatus::Succeeded);
    assert_eq!(timeline[4].amount, Some(2000));
}

#[test]
fn a_lost_dispute_keeps_the_funds_and_a_closed_inquiry_never_held_them() {
    let events = [
        stored(
            1,
            "charge.succeeded",
            0,
            charge_object("ch_1", Some("pi_1"), "succeeded"),
        ),
        stored(
            2,
            "charge.dispute.created",
            100,
            dispute_object("dp_1", "pi_1", "needs_response"),
        ),
        stored(
            3,
            "charge.dispute.closed",
            200,
            dispute_object("dp_1", "pi_1", "lost"),
        ),
        stored(
            4,
            "charge.succeeded",
            0,
            charge_object("ch_2", Some("pi_2"), "succeeded"),
        ),
        stored(
            5,
            "charge.dispute.created",
            100,
            dispute_object("dp_2", "pi_2", "warning_needs_response"),
        ),
        stored(
            6,
            "charge.dispute.closed",
            200,
            dispute_object("dp_2", "pi_2", "warning_closed"),
        ),
    ];
    let (table, _) = live(&events);
    let lost = &table["pi_1"];
    assert_eq!(
        (lost.dispute, lost.amount_disputed),
        (Some(DisputeStatus::Lost), 2000)
    );
    let inquiry = &table["pi_2"];
    assert_eq!(
        (inquiry.dispute, inquiry.amount_disputed),
        (Some(DisputeStatus::InquiryClosed), 0)
    );
}

#[test]
fn succeeded_arriving_before_created_is_not_undone() {
    let events = [
        stored(
            2,
            "payment_intent.succeeded",
            3,
            intent_object("pi_1", "succeeded"),
        ),
        stored(
            1,
            "payment_intent.created",
            0,
            intent_object("pi_1", "requires_payment_method"),
        ),
    ];
    let (table, timeline) = live(&events);
    let p = &table["pi_1"];
    assert_eq!(verdicts(&timeline), vec![Verdict::Applied, Verdict::Stale]);
    assert_eq!(p.status, PaymentStatus::Succeeded);
    assert_eq!(p.provider_status.as_deref(), Some("succeeded"));
    assert_eq!((p.created_at, p.updated_at), (at(0), at(3)));
}

#[test]
fn a_stale_payment_failed_after_succeeded_is_flagged_and_does_not_regress() {
    let events = [
        stored(
            3,
            "payment_intent.succeeded",
            10,
            intent_object("pi_1", "succeeded"),
        ),
        stored(2, "payment_intent.payment_failed", 5, failed_intent("pi_1")),
        stored(1, "charge.failed", 5, declined_charge("ch_a", "pi_1")),
    ];
    let (table, timeline) = live(&events);
    let p = &table["pi_1"];
    assert_eq!(
        verdicts(&timeline),
        vec![Verdict::Applied, Verdict::Stale, Verdict::Stale]
    );
    assert_eq!(p.status, PaymentStatus::Succeeded);
    // The earlier attempt really did fail; its reason stays visible.
    assert_eq!(
        p.failure_message.as_deref(),
        Some("Your card was declined.")
    );
    assert_eq!(p.updated_at, at(10));
}

#[test]
fn redelivered_events_never_double_count() {
    let events = [
        stored(
            1,
            "payment_intent.succeeded",
            0,
            intent_object("pi_1", "succeeded"),
        ),
        stored(
            2,
            "refund.created",
            60,
            refund_object("re_1", "pi_1", 700, "succeeded"),
        ),
        stored(
            3,
            "charge.dispute.created",
            90,
            dispute_object("dp_1", "pi_1", "needs_response"),
        ),
    ];
    let mut with_repeats = Vec::new();
    for event in &events {
        with_repeats.push(event.clone());
        // Stripe retries with the same event id; our own stored id may differ.
        let mut again = event.clone();
        again.event_id += 100;
        with_repeats.push(again);
    }
    let (table, timeline) = live(&with_repeats);
    assert_eq!(
        verdicts(&timeline),
        [Verdict::Applied, Verdict::Duplicate].repeat(3)
    );
    let p = &table["pi_1"];
    assert_eq!((p.amount_refunded, p.amount_disputed), (700, 2000));
    assert_eq!(p.event_count(), 3);
    assert_eq!(table, live(&events).0);
}

#[test]
fn a_zero_decimal_currency_is_stored_in_its_own_unit() {
    let yen = |status: &str| {
        with(
            intent_object("pi_jp", status),
            json!({"amount": 5000, "currency": "jpy"}),
        )
    };
    let refund = with(
        refund_object("re_jp", "pi_jp", 2000, "succeeded"),
        json!({"currency": "jpy"}),
    );
    let events = [
        stored(
            1,
            "payment_intent.created",
            0,
            yen("requires_payment_method"),
        ),
        stored(2, "payment_intent.succeeded", 1, yen("succeeded")),
        stored(3, "refund.created", 60, refund),
    ];
    let p = &project(&events)["pi_jp"];
    assert_eq!((p.amount, p.currency.as_deref()), (Some(5000), Some("jpy")));
    assert_eq!(p.display_amount().as_deref(), Some("5,000 JPY"));
    assert_eq!(p.amount_refunded, 2000);
    assert_eq!(format_minor(p.amount_refunded, "jpy"), "2,000 JPY");
    assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
}

#[test]
fn a_subscription_follows_its_newest_event() {
    let day = 86_400;
    let sub = |status: &str| subscription_object("sub_1", status);
    let checkout = with(
        session_object("cs_sub", None, "paid"),
        json!({"mode": "subscription", "subscription": "sub_1", "customer": CUSTOMER}),
    );
    let events = [
        stored(1, "customer.subscription.created", 0, sub("incomplete")),
        stored(2, "checkout.session.completed", 5, checkout),
        stored(3, "customer.subscription.updated", 5, sub("active")),
        stored(
            4,
            "customer.subscription.updated",
            30 * day,
            sub("past_due"),
        ),
        stored(
            5,
            "customer.subscription.updated",
            30 * day + 7200,
            sub("active"),
        ),
    ];
    let (table, _) = live(&events[..4]);
    let p = &table["sub_1"];
    assert_eq!(
        (p.status, p.provider_status.as_deref()),
        (PaymentStatus::Failed, Some("past_due"))
    );

    let (table, _) = live(&events);
    let p = &table["sub_1"];
    assert_eq!(
        (p.kind, p.status),
        (PaymentKind::Subscription, PaymentStatus::Succeeded)
    );
    assert_eq!((p.amount, p.currency.as_deref()), (Some(3600), Some("usd")));
    assert!(!p.kind.moves_money());

    let mut ended = events.to_vec();
    ended.push(stored(
        6,
        "customer.subscription.deleted",
        60 * day,
        sub("canceled"),
    ));
    ended.push(stored(
        7,
        "customer.subscription.updated",
        59 * day,
        sub("past_due"),
    ));
    let (table, timeline) = live(&ended);
    assert_eq!(table["sub_1"].status, PaymentStatus::Canceled);
    assert_eq!(timeline.last().map(|e| e.verdict), Some(Verdict::Stale));
}

#[test]
fn an_invoice_failing_then_paid_is_one_payment_with_its_intent() {
    let pi = |status: &str| with(intent_object("pi_inv", status), json!({"amount": 1500}));
    let failed_pi = with(failed_intent("pi_inv"), json!({"amount": 1500}));
    let inv = |status: &str| invoice_object("in_1", Some("pi_inv"), status);
    let events = [
        stored(
            1,
            "invoice.created",
            0,
            invoice_object("in_1", None, "draft"),
        ),
        stored(2, "invoice.finalized", 3600, inv("open")),
        stored(
            3,
            "payment_intent.created",
            3600,
            pi("requires_payment_method"),
        ),
        stored(4, "payment_intent.payment_failed", 3601, failed_pi),
        stored(5, "invoice.payment_failed", 3601, inv("open")),
        stored(6, "payment_intent.succeeded", 3 * 86_400, pi("succeeded")),
        stored(7, "invoice.paid", 3 * 86_400, inv("paid")),
        stored(8, "invoice.payment_succeeded", 3 * 86_400, inv("paid")),
    ];
    let (table, timeline) = live(&events[..5]);
    assert_eq!(table.keys().collect::<Vec<_>>(), ["pi_inv"]);
    assert_eq!(table["pi_inv"].status, PaymentStatus::Failed);
    assert_eq!(timeline.len(), 4, "the draft is not filed");

    let (table, _) = live(&events);
    let p = &table["pi_inv"];
    assert_eq!(p.status, PaymentStatus::Succeeded);
    assert_eq!(
        (p.amount, p.customer.as_deref()),
        (Some(1500), Some(CUSTOMER))
    );
    assert_eq!(
        p.failure_message.as_deref(),
        Some("Your card was declined.")
    );

    let free = [stored(
        9,
        "invoice.paid",
        0,
        with(
            invoice_object("in_0", None, "paid"),
            json!({"amount_due": 0}),
        ),
    )];
    let p = &project(&free)["in_0"];
    assert_eq!(
        (p.kind, p.status, p.amount),
        (PaymentKind::Invoice, PaymentStatus::Succeeded, Some(0))
    );
}

#[test]
fn checkout_session_completed_joins_its_payment_intent() {
    let guest = |status: &str| with(intent_object("pi_cs", status), json!({"customer": null}));
    let events = [
        stored(
            1,
            "payment_intent.created",
            0,
            guest("requires_payment_method"),
        ),
        stored(
            2,
            "charge.succeeded",
            40,
            with(
                charge_object("ch_cs", Some("pi_cs"), "succeeded"),
                json!({"customer": null}),
            ),
        ),
        stored(3, "payment_intent.succeeded", 40, guest("succeeded")),
        stored(
            4,
            "checkout.session.completed",
            41,
            session_object("cs_1", Some("pi_cs"), "paid"),
        ),
    ];
    let table = project(&events);
    assert_eq!(table.len(), 1);
    let p = &table["pi_cs"];
    assert_eq!(
        (p.kind, p.status, p.amount),
        (
            PaymentKind::PaymentIntent,
            PaymentStatus::Succeeded,
            Some(2000)
        )
    );
    assert_eq!(p.customer.as_deref(), Some("guest@example.com"));
}

#[test]
fn an_async_checkout_payment_settles_later_or_fails() {
    let day = 86_400;
    let events = [
        stored(
            1,
            "checkout.session.completed",
            0,
            session_object("cs_1", Some("pi_ok"), "unpaid"),
        ),
        stored(
            2,
            "checkout.session.async_payment_succeeded",
            3 * day,
            session_object("cs_1", Some("pi_ok"), "paid"),
        ),
        stored(
            3,
            "checkout.session.completed",
            0,
            session_object("cs_2", Some("pi_ko"), "unpaid"),
        ),
        stored(
            4,
            "checkout.session.async_payment_failed",
            3 * day,
            session_object("cs_2", Some("pi_ko"), "unpaid"),
        ),
        stored(
            5,
            "checkout.session.expired",
            day,
            with(
                session_object("cs_3", None, "unpaid"),
                json!({"status": "expired"}),
            ),
        ),
    ];
    let (table, _) = live(&events[..1]);
    assert_eq!(table["pi_ok"].status, PaymentStatus::Processing);

    let table = project(&events);
    assert_eq!(table["pi_ok"].status, PaymentStatus::Succeeded);
    assert_eq!(table["pi_ko"].status, PaymentStatus::Failed);
    let expired = &table["cs_3"];
    assert_eq!(
        (expired.kind, expired.status),
        (PaymentKind::Checkout, PaymentStatus::Canceled)
    );
}

#[test]
fn test_mode_events_stay_in_test_mode() {
    let test = |status: &str| with(intent_object("pi_test", status), json!({"livemode": false}));
    let events = [
        stored(
            1,
            "payment_intent.created",
            0,
            test("requires_payment_method"),
        ),
        stored(2, "payment_intent.succeeded", 1, test("succeeded")),
    ];
    assert_eq!(project(&events)["pi_test"].livemode, Some(false));
}

#[test]
fn events_that_are_not_about_payments_are_skipped() {
    let events = [
        stored(
            1,
            "customer.created",
            0,
            json!({"id": CUSTOMER, "object": "customer"}),
        ),
        stored(
            2,
            "invoice.upcoming",
            0,
            invoice_object("in_9", None, "draft"),
        ),
        stored(
            3,
            "payment_intent.succeeded",
            0,
            intent_object("pi_1", "succeeded"),
        ),
    ];
    assert_eq!(project(&events).keys().collect::<Vec<_>>(), ["pi_1"]);
}

/// One payment's whole life plus a neighbour: two failures, a retry, a refund told twice, a
/// dispute that is lost, and another payment's events mixed in.
fn story() -> Vec<PaymentEvent> {
    let re_1 = refund_object("re_1", "pi_1", 500, "succeeded");
    vec![
        stored(
            1,
            "payment_intent.created",
            0,
            intent_object("pi_1", "requires_payment_method"),
        ),
        stored(2, "charge.failed", 5, declined_charge("ch_a", "pi_1")),
        stored(3, "payment_intent.payment_failed", 5, failed_intent("pi_1")),
        stored(
            4,
            "charge.succeeded",
            60,
            charge_object("ch_1", Some("pi_1"), "succeeded"),
        ),
        stored(
            5,
            "payment_intent.succeeded",
            60,
            intent_object("pi_1", "succeeded"),
        ),
        stored(
            6,
            "charge.refunded",
            600,
            refunded_charge("pi_1", 500, std::slice::from_ref(&re_1)),
        ),
        stored(7, "refund.created", 600, re_1),
        stored(
            8,
            "refund.created",
            700,
            refund_object("re_2", "pi_1", 300, "pending"),
        ),
        stored(
            9,
            "charge.dispute.created",
            900,
            dispute_object("dp_1", "pi_1", "needs_response"),
        ),
        stored(
            10,
            "charge.dispute.closed",
            9000,
            dispute_object("dp_1", "pi_1", "lost"),
        ),
        stored(
            11,
            "payment_intent.created",
            30,
            intent_object("pi_2", "requires_payment_method"),
        ),
        stored(
            12,
            "payment_intent.payment_failed",
            35,
            failed_intent("pi_2"),
        ),
        stored(
            13,
            "customer.created",
            1,
            json!({"id": CUSTOMER, "object": "customer"}),
        ),
    ]
}

#[test]
fn every_order_of_a_payment_story_folds_to_the_same_table() {
    let events = story();
    let in_order = project(&events);

    let p = &in_order["pi_1"];
    assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
    assert_eq!((p.amount_refunded, p.amount_disputed), (800, 2000));
    assert_eq!(p.dispute, Some(DisputeStatus::Lost));
    assert_eq!(
        p.failure_message.as_deref(),
        Some("Your card was declined.")
    );
    assert_eq!((p.created_at, p.updated_at), (at(0), at(9000)));
    assert_eq!(in_order["pi_2"].status, PaymentStatus::Failed);

    // Exhaustively over the first seven events (5,040 orders)...
    let head = &events[..7];
    let expected = project(head);
    for order in permutations(head) {
        assert_eq!(project(&order), expected);
    }
    // ...and over deterministic shuffles of all of them, each with a redelivery.
    for order in shuffles(&events, 300) {
        assert_eq!(project(&order), in_order);
    }
}

#[test]
fn the_live_projection_and_a_rebuild_agree() {
    for order in shuffles(&story(), 50) {
        let (live_table, timeline) = live(&order);
        assert_eq!(live_table, project(&order));
        assert_eq!(live_table, project(&story()));
        assert_eq!(
            timeline
                .iter()
                .filter(|e| e.verdict == Verdict::Duplicate)
                .count(),
            usize::from(map_stripe(&order[0]).is_some())
        );
    }
}
