//! What one provider event says about one payment, whichever provider sent it.

use serde::{Deserialize, Serialize};

use super::payment::{DisputeStatus, PaymentKind, PaymentStatus, RefundStatus};

/// One event's news about the payment filed under `key`. The provider mappings
/// ([`super::map_stripe`], [`super::GenericMapping`]) produce it; [`super::apply`] folds it in.
/// `None` means "this event does not say", never "clear it".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentChange {
    /// The payment's key (see the module doc).
    pub key: String,
    /// The kind of object `key` names.
    pub kind: PaymentKind,
    /// Our stored event's id.
    pub event_id: i64,
    /// The provider's event id: folding the same one twice changes nothing.
    pub provider_event_id: String,
    pub event_type: String,
    /// The provider's time for the event, ms since the epoch; it orders events.
    pub at_ms: i64,
    pub livemode: Option<bool>,
    /// The payment's own status as this event reports it. Refund and dispute events leave
    /// it out: they say nothing about the payment except that it was collected.
    pub status: Option<PaymentStatus>,
    /// The provider's word behind `status`.
    pub provider_status: Option<String>,
    /// The payment's amount, minor units (not a refund's or a dispute's amount).
    pub amount: Option<i64>,
    /// Lower-case ISO 4217 code.
    pub currency: Option<String>,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub failure_message: Option<String>,
    /// A running total of money given back, as a charge reports it (`amount_refunded`).
    pub amount_refunded: Option<i64>,
    /// Refund objects this event shows (a refund event, or a charge's embedded list).
    pub refunds: Vec<RefundFact>,
    /// The dispute this event is about.
    pub dispute: Option<DisputeFact>,
}

impl PaymentChange {
    /// The money this event is about, for its timeline line: its refunds, else its dispute,
    /// else — for a refund report (`charge.refunded`, a provider's `payment.refunded`) — the
    /// money given back so far, else the payment's amount.
    pub fn headline_amount(&self) -> Option<i64> {
        if !self.refunds.is_empty() {
            return Some(self.refunds.iter().map(|r| r.amount).sum());
        }
        if let Some(dispute) = &self.dispute {
            return Some(dispute.amount);
        }
        match self.amount_refunded {
            Some(total) if total > 0 && self.event_type.ends_with(".refunded") => Some(total),
            _ => self.amount,
        }
    }
}

/// A refund object, identified by its provider id so that each is counted once however many
/// events show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundFact {
    pub id: String,
    /// Minor units.
    pub amount: i64,
    pub status: RefundStatus,
}

/// A dispute object, identified by its provider id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeFact {
    pub id: String,
    /// Minor units.
    pub amount: i64,
    pub status: DisputeStatus,
    /// The provider's reason (`fraudulent`, `product_not_received`, …).
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_report_is_about_the_money_given_back() {
        let refunded = PaymentChange {
            event_type: "charge.refunded".into(),
            amount: Some(5000),
            amount_refunded: Some(1500),
            ..PaymentChange::default()
        };
        assert_eq!(refunded.headline_amount(), Some(1500));
        let succeeded = PaymentChange {
            event_type: "charge.succeeded".into(),
            amount_refunded: Some(0),
            ..refunded.clone()
        };
        assert_eq!(succeeded.headline_amount(), Some(5000));
        let listed = PaymentChange {
            refunds: vec![RefundFact {
                id: "re_1".into(),
                amount: 700,
                status: RefundStatus::Succeeded,
            }],
            ..refunded
        };
        assert_eq!(listed.headline_amount(), Some(700));
    }
}
