//! Folding payment changes into payments: one at a time (the live projection, after each
//! stored event) or a whole sequence at once (`payments rebuild`). Both give the same table.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::change::PaymentChange;
use super::ledger::Ledger;
use super::payment::{Payment, PaymentStatus};

/// How an event relates to the payment it is filed under; shown on the payment's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Folded in, in order.
    Applied,
    /// Folded in, though older than an event already folded in (providers do not promise
    /// order). Its facts count; it never lowers the status.
    Stale,
    /// The provider delivered this event before; nothing changed.
    Duplicate,
}

impl Verdict {
    /// The snake_case name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Applied => "applied",
            Verdict::Stale => "stale",
            Verdict::Duplicate => "duplicate",
        }
    }
}

/// One line of a payment's timeline: an event and how it was taken. The storage layer keeps
/// these keyed by (payment key, event id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The payment's key.
    pub key: String,
    /// Our stored event's id.
    pub event_id: i64,
    pub provider_event_id: String,
    pub event_type: String,
    /// The provider's time for the event, ms since the epoch.
    pub at_ms: i64,
    /// The payment's status as this event reported it, if it did.
    pub reported_status: Option<PaymentStatus>,
    /// The money the event is about, minor units ([`PaymentChange::headline_amount`]).
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub verdict: Verdict,
}

impl TimelineEntry {
    fn new(change: &PaymentChange, verdict: Verdict) -> Self {
        TimelineEntry {
            key: change.key.clone(),
            event_id: change.event_id,
            provider_event_id: change.provider_event_id.clone(),
            event_type: change.event_type.clone(),
            at_ms: change.at_ms,
            reported_status: change.status,
            amount: change.headline_amount(),
            currency: change.currency.clone(),
            verdict,
        }
    }
}

/// Folds one change into the payment stored under `change.key` (`None` if there is none yet).
/// Applying the same provider event twice returns the payment unchanged.
pub fn apply(current: Option<Payment>, change: &PaymentChange) -> (Payment, TimelineEntry) {
    let verdict = verdict(current.as_ref(), change);
    let payment = match current {
        None => Ledger::new(change).into_payment(change.key.clone()),
        Some(payment) if verdict == Verdict::Duplicate => payment,
        Some(Payment {
            key, mut ledger, ..
        }) => {
            ledger.absorb(change);
            ledger.into_payment(key)
        }
    };
    (payment, TimelineEntry::new(change, verdict))
}

/// Folds a whole sequence of changes, in any order and with repeats, into the payments table
/// keyed by payment key.
pub fn fold<C: Borrow<PaymentChange>>(
    changes: impl IntoIterator<Item = C>,
) -> BTreeMap<String, Payment> {
    let mut payments = BTreeMap::new();
    for change in changes {
        let change = change.borrow();
        let current = payments.remove(&change.key);
        let (payment, _) = apply(current, change);
        payments.insert(change.key.clone(), payment);
    }
    payments
}

fn verdict(current: Option<&Payment>, change: &PaymentChange) -> Verdict {
    match current {
        Some(p) if p.has_applied(&change.provider_event_id) => Verdict::Duplicate,
        Some(p) if change.at_ms < p.updated_at => Verdict::Stale,
        _ => Verdict::Applied,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::payments::change::{DisputeFact, RefundFact};
    use crate::payments::payment::{DisputeStatus, PaymentKind, RefundStatus};

    /// Every ordering of `items` (Heap's algorithm).
    pub(in crate::payments) fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
        fn heap<T: Clone>(k: usize, items: &mut Vec<T>, out: &mut Vec<Vec<T>>) {
            if k <= 1 {
                out.push(items.clone());
                return;
            }
            for i in 0..k - 1 {
                heap(k - 1, items, out);
                let j = if k.is_multiple_of(2) { i } else { 0 };
                items.swap(j, k - 1);
            }
            heap(k - 1, items, out);
        }
        let mut out = Vec::new();
        heap(items.len(), &mut items.to_vec(), &mut out);
        out
    }

    /// `count` deterministic shuffles of `items`, each with its first element repeated at the
    /// end (a redelivery), for sequences too long to permute exhaustively.
    pub(in crate::payments) fn shuffles<T: Clone>(items: &[T], count: usize) -> Vec<Vec<T>> {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..count)
            .map(|_| {
                let mut order = items.to_vec();
                for i in (1..order.len()).rev() {
                    order.swap(i, (next() % (i as u64 + 1)) as usize);
                }
                if let Some(first) = order.first().cloned() {
                    order.push(first);
                }
                order
            })
            .collect()
    }

    const T0: i64 = 1_700_000_000_000;

    fn change(event: &str, secs: i64, status: Option<PaymentStatus>) -> PaymentChange {
        PaymentChange {
            key: "pi_1".into(),
            kind: PaymentKind::PaymentIntent,
            provider_event_id: event.into(),
            event_type: "test.event".into(),
            at_ms: T0 + secs * 1000,
            livemode: Some(true),
            status,
            amount: Some(1000),
            currency: Some("usd".into()),
            ..PaymentChange::default()
        }
    }

    fn refund(
        event: &str,
        secs: i64,
        id: &str,
        amount: i64,
        status: RefundStatus,
    ) -> PaymentChange {
        PaymentChange {
            amount: None,
            refunds: vec![RefundFact {
                id: id.into(),
                amount,
                status,
            }],
            ..change(event, secs, None)
        }
    }

    fn dispute(event: &str, secs: i64, amount: i64, status: DisputeStatus) -> PaymentChange {
        PaymentChange {
            amount: None,
            dispute: Some(DisputeFact {
                id: "dp_1".into(),
                amount,
                status,
                reason: Some("fraudulent".into()),
            }),
            ..change(event, secs, None)
        }
    }

    fn fold_one(changes: &[PaymentChange]) -> Payment {
        let mut table = fold(changes);
        assert_eq!(table.len(), 1);
        table.pop_first().map(|(_, p)| p).expect("one payment")
    }

    #[test]
    fn the_first_change_creates_the_payment() {
        let (payment, entry) = apply(None, &change("evt_1", 0, Some(PaymentStatus::Pending)));
        assert_eq!(payment.key, "pi_1");
        assert_eq!(payment.status, PaymentStatus::Pending);
        assert_eq!((payment.created_at, payment.updated_at), (T0, T0));
        assert_eq!(entry.verdict, Verdict::Applied);
        assert_eq!(entry.reported_status, Some(PaymentStatus::Pending));
    }

    #[test]
    fn applying_an_event_again_changes_nothing() {
        let first = change("evt_1", 0, Some(PaymentStatus::Pending));
        let refunded = refund("evt_2", 5, "re_1", 300, RefundStatus::Succeeded);
        let (p, _) = apply(None, &first);
        let (p, _) = apply(Some(p), &refunded);
        let (again, entry) = apply(Some(p.clone()), &refunded);
        assert_eq!(entry.verdict, Verdict::Duplicate);
        assert_eq!(again, p);
        assert_eq!(again.amount_refunded, 300);
        assert_eq!(again.event_count(), 2);
    }

    #[test]
    fn an_older_event_is_stale_and_never_lowers_the_status() {
        let (p, _) = apply(None, &change("evt_ok", 10, Some(PaymentStatus::Succeeded)));
        let (p, entry) = apply(
            Some(p),
            &change("evt_proc", 5, Some(PaymentStatus::Processing)),
        );
        assert_eq!(entry.verdict, Verdict::Stale);
        assert_eq!(p.status, PaymentStatus::Succeeded);
        assert_eq!(p.created_at, T0 + 5000);
        assert_eq!(p.updated_at, T0 + 10_000);
    }

    #[test]
    fn a_retry_newer_than_a_failure_shows_the_retry() {
        let p = fold_one(&[
            change("evt_fail", 0, Some(PaymentStatus::Failed)),
            change("evt_retry", 30, Some(PaymentStatus::Processing)),
        ]);
        assert_eq!(p.status, PaymentStatus::Processing);
    }

    #[test]
    fn a_failure_newer_than_success_keeps_the_success_and_the_message() {
        let failed = PaymentChange {
            failure_message: Some("Your card was declined.".into()),
            ..change("evt_fail", 60, Some(PaymentStatus::Failed))
        };
        let (p, _) = apply(None, &change("evt_ok", 0, Some(PaymentStatus::Succeeded)));
        let (p, entry) = apply(Some(p), &failed);
        assert_eq!(entry.verdict, Verdict::Applied);
        assert_eq!(p.status, PaymentStatus::Succeeded);
        assert_eq!(
            p.failure_message.as_deref(),
            Some("Your card was declined.")
        );
    }

    #[test]
    fn reports_in_the_same_second_rank_by_progress() {
        for order in permutations(&[
            change("evt_b", 0, Some(PaymentStatus::Pending)),
            change("evt_a", 0, Some(PaymentStatus::Processing)),
            change("evt_c", 0, Some(PaymentStatus::RequiresAction)),
        ]) {
            assert_eq!(fold_one(&order).status, PaymentStatus::Processing);
        }
    }

    #[test]
    fn a_subscription_follows_its_newest_event() {
        let sub = |event: &str, secs, status, word: &str| PaymentChange {
            key: "sub_1".into(),
            kind: PaymentKind::Subscription,
            provider_status: Some(word.into()),
            ..change(event, secs, Some(status))
        };
        let events = [
            sub("evt_1", 0, PaymentStatus::Succeeded, "active"),
            sub("evt_2", 100, PaymentStatus::Failed, "past_due"),
        ];
        for order in permutations(&events) {
            let p = fold_one(&order);
            assert_eq!(p.status, PaymentStatus::Failed);
            assert_eq!(p.provider_status.as_deref(), Some("past_due"));
        }
        let p = fold_one(&[
            events[0].clone(),
            events[1].clone(),
            sub("evt_3", 200, PaymentStatus::Succeeded, "active"),
        ]);
        assert_eq!(p.status, PaymentStatus::Succeeded);
    }

    #[test]
    fn refunds_count_once_per_refund_and_failed_ones_not_at_all() {
        let p = fold_one(&[
            change("evt_ok", 0, Some(PaymentStatus::Succeeded)),
            refund("evt_r1", 10, "re_1", 300, RefundStatus::Pending),
            refund("evt_r1b", 20, "re_1", 300, RefundStatus::Succeeded),
            refund("evt_r2", 30, "re_2", 200, RefundStatus::Pending),
            refund("evt_r2b", 40, "re_2", 200, RefundStatus::Failed),
        ]);
        assert_eq!(p.amount_refunded, 300);
        assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
    }

    #[test]
    fn a_charge_running_total_and_refund_objects_do_not_add_up_twice() {
        let charge_total = PaymentChange {
            amount_refunded: Some(1000),
            ..change("evt_charge", 20, Some(PaymentStatus::Succeeded))
        };
        let p = fold_one(&[
            refund("evt_r1", 10, "re_1", 400, RefundStatus::Succeeded),
            charge_total,
            refund("evt_r2", 15, "re_2", 600, RefundStatus::Succeeded),
        ]);
        assert_eq!(p.amount_refunded, 1000);
        assert_eq!(p.status, PaymentStatus::Refunded);
    }

    #[test]
    fn a_refund_alone_proves_the_payment_was_collected() {
        let p = fold_one(&[
            change("evt_created", 0, Some(PaymentStatus::Pending)),
            refund("evt_r1", 10, "re_1", 250, RefundStatus::Succeeded),
        ]);
        assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
        assert_eq!(p.provider_status, None);
    }

    #[test]
    fn disputes_hold_funds_until_won() {
        let open = dispute("evt_d1", 10, 1000, DisputeStatus::NeedsResponse);
        let review = dispute("evt_d2", 20, 1000, DisputeStatus::UnderReview);
        let won = dispute("evt_d3", 30, 1000, DisputeStatus::Won);
        let paid = change("evt_ok", 0, Some(PaymentStatus::Succeeded));

        let p = fold_one(&[paid.clone(), open.clone(), review.clone()]);
        assert_eq!(p.dispute, Some(DisputeStatus::UnderReview));
        assert_eq!(p.amount_disputed, 1000);

        for order in permutations(&[paid, open, review, won]) {
            let p = fold_one(&order);
            assert_eq!(p.dispute, Some(DisputeStatus::Won));
            assert_eq!(p.amount_disputed, 0);
            assert_eq!(p.status, PaymentStatus::Succeeded);
        }
    }

    #[test]
    fn a_closed_dispute_outranks_an_open_report_from_the_same_second() {
        let p = fold_one(&[
            dispute("evt_b", 10, 500, DisputeStatus::Lost),
            dispute("evt_a", 10, 500, DisputeStatus::UnderReview),
        ]);
        assert_eq!(p.dispute, Some(DisputeStatus::Lost));
        assert_eq!(p.amount_disputed, 500);
    }

    #[test]
    fn test_mode_wins_a_disagreement_about_the_mode() {
        let test_mode = PaymentChange {
            livemode: Some(false),
            ..change("evt_2", 1, Some(PaymentStatus::Succeeded))
        };
        let unknown = PaymentChange {
            livemode: None,
            ..change("evt_3", 2, Some(PaymentStatus::Succeeded))
        };
        let events = [
            change("evt_1", 0, Some(PaymentStatus::Pending)),
            test_mode,
            unknown,
        ];
        for order in permutations(&events) {
            assert_eq!(fold_one(&order).livemode, Some(false));
        }
    }

    #[test]
    fn any_order_with_repeats_folds_to_the_same_table() {
        let other = PaymentChange {
            key: "pi_2".into(),
            ..change("evt_other", 3, Some(PaymentStatus::Failed))
        };
        let events = [
            change("evt_1", 0, Some(PaymentStatus::Pending)),
            change("evt_2", 1, Some(PaymentStatus::Failed)),
            change("evt_3", 2, Some(PaymentStatus::Processing)),
            change("evt_4", 2, Some(PaymentStatus::Succeeded)),
            refund("evt_5", 5, "re_1", 100, RefundStatus::Succeeded),
            dispute("evt_6", 9, 900, DisputeStatus::NeedsResponse),
            other,
        ];
        let expected = fold(&events);
        for order in permutations(&events) {
            assert_eq!(fold(&order), expected);
        }
        for order in shuffles(&events, 50) {
            assert_eq!(fold(&order), expected);
        }
        let p = &expected["pi_1"];
        assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
        assert_eq!((p.amount_refunded, p.amount_disputed), (100, 900));
    }
}
