//! What the fold remembers about one payment, and the one place that decides which of two
//! reports about it wins.
//!
//! Every fact is kept with the provider time and the provider event id that reported it
//! ([`Stamped`]). Merging a new report keeps the greater of the two by a fixed order:
//! precedence first (for facts that have one), then provider time, then a tie-break on the
//! ranking within the same instant, and finally the event id. The greatest element of a set
//! does not depend on the order the set was built in, nor on repeats, so the ledger — and the
//! [`Payment`] derived from it — is the same whatever order the events arrive in and however
//! often one is delivered. Amounts are combined the same way: a charge's running total of
//! refunds by maximum, refund and dispute objects one per provider id.
//!
//! # Status precedence
//!
//! Each report of the payment's own status is ranked by (tier, time, progress, event id):
//!
//! - tier 2: `succeeded`, for one-shot payments ([`PaymentKind::success_is_final`]). Stripe
//!   never un-pays a PaymentIntent, charge, invoice or session, so nothing outranks it.
//! - tier 1: `canceled` — cancelled, expired and voided objects stay that way.
//! - tier 0: everything else (`pending` < `requires_action` < `processing` < `authorized` <
//!   `failed`), and every status of a subscription: the newest report wins. A failed attempt
//!   followed by a newer retry therefore shows the retry (`processing`, `requires_action`), and
//!   a subscription can go from `active` to `past_due` and back.
//!
//! Progress order (the derived order of [`PaymentStatus`]) only breaks ties between reports
//! made in the same millisecond — Stripe's times have whole seconds, and `created` and
//! `succeeded` often share one.
//!
//! Consequences: an event older than the newest one folded in (a *stale* event) never lowers
//! the status. Within tier 0 the newest report already holds the newest time, and every Stripe
//! event without a status report (a refund, a dispute) proves the payment was collected, which
//! is tier 2. A stale event can only raise the tier, as when `succeeded` arrives after a newer
//! `failed`. (A generic provider's event may carry no status at all; a stale report can then
//! still be the newest *status* report and take over — exactly what folding in order gives.)
//! A `failed` report newer than `succeeded` on a one-shot payment — a declined extra attempt —
//! is kept on the timeline and its message in `failure_message`, but the payment stays
//! `succeeded`: money that was collected stays collected.
//!
//! Refunds are then applied on top: a collected payment with money given back is
//! `partially_refunded`, or `refunded` once the refunds reach its amount. Disputes do not
//! change the status; they have their own field.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::change::{DisputeFact, PaymentChange, RefundFact};
use super::payment::{DisputeStatus, Payment, PaymentKind, PaymentStatus};

/// A value with the provider time and the provider event that reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamped<T> {
    pub value: T,
    pub at_ms: i64,
    pub event: String,
}

/// A report of the payment's own status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedStatus {
    pub status: PaymentStatus,
    pub provider_status: Option<String>,
}

/// Everything learnt about one payment, each fact with its stamp. The fields are private so
/// that only [`Ledger::absorb`] changes them and the merge rules above always hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    kind: PaymentKind,
    /// Provider event ids folded in.
    events: BTreeSet<String>,
    first_at: i64,
    last_at: i64,
    livemode: Option<bool>,
    status: Option<Stamped<ObservedStatus>>,
    amount: Option<Stamped<i64>>,
    currency: Option<Stamped<String>>,
    customer: Option<Stamped<String>>,
    description: Option<Stamped<String>>,
    failure_message: Option<Stamped<String>>,
    /// The highest running total of refunds any charge reported.
    charge_refunded: i64,
    refunds: BTreeMap<String, Stamped<RefundFact>>,
    disputes: BTreeMap<String, Stamped<DisputeFact>>,
}

impl Ledger {
    /// A ledger that knows only `change`.
    pub(super) fn new(change: &PaymentChange) -> Self {
        let mut ledger = Ledger {
            kind: change.kind,
            events: BTreeSet::new(),
            first_at: change.at_ms,
            last_at: change.at_ms,
            livemode: None,
            status: None,
            amount: None,
            currency: None,
            customer: None,
            description: None,
            failure_message: None,
            charge_refunded: 0,
            refunds: BTreeMap::new(),
            disputes: BTreeMap::new(),
        };
        ledger.absorb(change);
        ledger
    }

    /// Merges `change` in. Absorbing the same change again changes nothing.
    pub(super) fn absorb(&mut self, change: &PaymentChange) {
        self.events.insert(change.provider_event_id.clone());
        self.first_at = self.first_at.min(change.at_ms);
        self.last_at = self.last_at.max(change.at_ms);
        // Every event under one key names the same kind of object; taking the greater only
        // keeps a disagreement from depending on arrival order.
        self.kind = self.kind.max(change.kind);
        self.livemode = merge_mode(self.livemode, change.livemode);

        let observed = change.status.map(|status| {
            let provider_status = change.provider_status.clone();
            stamp(
                change,
                ObservedStatus {
                    status,
                    provider_status,
                },
            )
        });
        let kind = self.kind;
        keep_best(&mut self.status, observed, |o| status_rank(kind, o.status));
        keep_best(
            &mut self.amount,
            change.amount.map(|v| stamp(change, v)),
            newest,
        );
        for (slot, value) in [
            (&mut self.currency, &change.currency),
            (&mut self.customer, &change.customer),
            (&mut self.description, &change.description),
            (&mut self.failure_message, &change.failure_message),
        ] {
            keep_best(slot, value.clone().map(|v| stamp(change, v)), newest);
        }
        if let Some(total) = change.amount_refunded {
            self.charge_refunded = self.charge_refunded.max(total);
        }
        for refund in &change.refunds {
            let new = stamp(change, refund.clone());
            keep_best_by_id(&mut self.refunds, &refund.id, new, |r| {
                (u8::from(r.status.is_final()), r.status as u8)
            });
        }
        if let Some(dispute) = &change.dispute {
            let new = stamp(change, dispute.clone());
            keep_best_by_id(&mut self.disputes, &dispute.id, new, |d| {
                (u8::from(d.status.is_closed()), d.status as u8)
            });
        }
    }

    /// The payment as the Payments view shows it (also how a stored ledger is read back).
    pub fn into_payment(self, key: String) -> Payment {
        let amount = self.amount.as_ref().map(|s| s.value);
        let amount_refunded = self.amount_refunded();
        let (base, provider_status) = self.base_status();
        Payment {
            key,
            kind: self.kind,
            livemode: self.livemode,
            amount,
            currency: value_of(&self.currency),
            customer: value_of(&self.customer),
            description: value_of(&self.description),
            status: with_refunds(base, amount, amount_refunded),
            provider_status,
            amount_refunded,
            amount_disputed: self.amount_disputed(),
            dispute: self.latest_dispute(),
            failure_message: value_of(&self.failure_message),
            created_at: self.first_at,
            updated_at: self.last_at,
            ledger: self,
        }
    }

    /// How many distinct provider events were folded in.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// Whether the provider event was already folded in.
    pub fn has_applied(&self, provider_event_id: &str) -> bool {
        self.events.contains(provider_event_id)
    }

    /// The winning status report, raised to `succeeded` when a refund or a dispute proves the
    /// money was collected even though no event said so (yet).
    fn base_status(&self) -> (PaymentStatus, Option<String>) {
        let observed = self.status.as_ref().map(|s| &s.value);
        let proven_collected = !self.refunds.is_empty() || !self.disputes.is_empty();
        match observed {
            Some(o) if o.status.is_collected() || !proven_collected => {
                (o.status, o.provider_status.clone())
            }
            _ if proven_collected => (PaymentStatus::Succeeded, None),
            _ => (PaymentStatus::Pending, None),
        }
    }

    /// Charges report a running total and refund objects report themselves; either may be
    /// missing or late, and neither double counts, so the larger of the two is right. Known
    /// limit: a refund that fails after a charge counted it in its running total stays counted
    /// (the running total is taken at its highest, so that late events cannot lower it).
    fn amount_refunded(&self) -> i64 {
        let from_refunds = self
            .refunds
            .values()
            .filter(|r| r.value.status.counts())
            .fold(0_i64, |sum, r| sum.saturating_add(r.value.amount));
        self.charge_refunded.max(from_refunds)
    }

    fn amount_disputed(&self) -> i64 {
        self.disputes
            .values()
            .filter(|d| d.value.status.holds_funds())
            .fold(0_i64, |sum, d| sum.saturating_add(d.value.amount))
    }

    /// A payment rarely has more than one dispute; when it does, the one with the newest news
    /// is the one to show.
    fn latest_dispute(&self) -> Option<DisputeStatus> {
        self.disputes
            .values()
            .max_by(|a, b| (a.at_ms, &a.event).cmp(&(b.at_ms, &b.event)))
            .map(|d| d.value.status)
    }
}

/// (tier, progress) of a status report; see the module doc.
fn status_rank(kind: PaymentKind, status: PaymentStatus) -> (u8, u8) {
    let tier = match status {
        PaymentStatus::Succeeded if kind.success_is_final() => 2,
        PaymentStatus::Canceled => 1,
        _ => 0,
    };
    (tier, status as u8)
}

/// For facts without a precedence: the newest report wins.
fn newest<T>(_: &T) -> (u8, u8) {
    (0, 0)
}

/// Keeps whichever of the current and the new report ranks higher by (precedence, time,
/// progress, event id). `rank` gives (precedence, progress).
fn keep_best<T>(
    slot: &mut Option<Stamped<T>>,
    new: Option<Stamped<T>>,
    rank: impl Fn(&T) -> (u8, u8),
) {
    let Some(new) = new else { return };
    let wins = match slot.as_ref() {
        None => true,
        Some(old) => {
            let (new_tier, new_progress) = rank(&new.value);
            let (old_tier, old_progress) = rank(&old.value);
            (new_tier, new.at_ms, new_progress, new.event.as_str())
                > (old_tier, old.at_ms, old_progress, old.event.as_str())
        }
    };
    if wins {
        *slot = Some(new);
    }
}

fn stamp<T>(change: &PaymentChange, value: T) -> Stamped<T> {
    Stamped {
        value,
        at_ms: change.at_ms,
        event: change.provider_event_id.clone(),
    }
}

fn value_of(slot: &Option<Stamped<String>>) -> Option<String> {
    slot.as_ref().map(|s| s.value.clone())
}

/// Test mode wins a disagreement, so test money can never be counted as live.
fn merge_mode(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a && b),
        (a, b) => a.or(b),
    }
}

/// A collected payment with money given back is partially or fully refunded.
fn with_refunds(base: PaymentStatus, amount: Option<i64>, refunded: i64) -> PaymentStatus {
    if base != PaymentStatus::Succeeded || refunded <= 0 {
        return base;
    }
    match amount {
        Some(amount) if refunded >= amount => PaymentStatus::Refunded,
        _ => PaymentStatus::PartiallyRefunded,
    }
}

/// [`keep_best`] for one object among several, by provider id.
fn keep_best_by_id<T>(
    map: &mut BTreeMap<String, Stamped<T>>,
    id: &str,
    new: Stamped<T>,
    rank: impl Fn(&T) -> (u8, u8),
) {
    let mut slot = map.remove(id);
    keep_best(&mut slot, Some(new), rank);
    if let Some(best) = slot {
        map.insert(id.to_string(), best);
    }
}
