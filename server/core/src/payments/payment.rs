//! A row of the Payments view and the vocabulary it is described in.

use serde::{Deserialize, Serialize};

use super::ledger::Ledger;
use crate::money::format_minor;

/// Which provider object the payment's key names.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// A Stripe PaymentIntent (`pi_…`); its charges, refunds and disputes are filed under it.
    PaymentIntent,
    /// A Stripe Charge made without a PaymentIntent (`ch_…`, the legacy Charges API).
    Charge,
    /// A Stripe Invoice that has no PaymentIntent (`in_…`, e.g. an invoice of zero).
    Invoice,
    /// A Stripe Checkout Session that has no PaymentIntent (`cs_…`).
    Checkout,
    /// A Stripe Subscription (`sub_…`): a standing agreement, not a movement of money.
    Subscription,
    /// A payment from another provider, read through a [`super::GenericMapping`].
    #[default]
    Generic,
}

impl PaymentKind {
    /// The snake_case name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::PaymentIntent => "payment_intent",
            PaymentKind::Charge => "charge",
            PaymentKind::Invoice => "invoice",
            PaymentKind::Checkout => "checkout",
            PaymentKind::Subscription => "subscription",
            PaymentKind::Generic => "generic",
        }
    }

    /// The kind named by [`PaymentKind::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [
            PaymentKind::PaymentIntent,
            PaymentKind::Charge,
            PaymentKind::Invoice,
            PaymentKind::Checkout,
            PaymentKind::Subscription,
            PaymentKind::Generic,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }

    /// Whether money totals count this payment. A subscription's money arrives as its
    /// invoices, so counting the subscription too would count it twice.
    pub fn moves_money(self) -> bool {
        self != PaymentKind::Subscription
    }

    /// Whether `succeeded` is final. A paid PaymentIntent, charge, invoice or session stays
    /// paid whatever comes later; a subscription's standing goes back and forth
    /// (active → past_due → active), so there the newest event decides.
    pub fn success_is_final(self) -> bool {
        self != PaymentKind::Subscription
    }
}

/// Where a payment stands, as the Payments view shows it.
///
/// The variants are listed in progress order (`Pending` < … < `Refunded`); see
/// [`super::ledger`] for how events are ranked against each other.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Created, waiting for a payment method or confirmation (also: a trialing subscription,
    /// an open invoice, a status word we do not know).
    #[default]
    Pending,
    /// The customer must act (3-D Secure, a bank redirect).
    RequiresAction,
    /// The provider is working on it (bank debits, async methods).
    Processing,
    /// Authorised, not yet captured.
    Authorized,
    /// The latest attempt failed; the payment may still be retried.
    Failed,
    /// Given up: cancelled, expired, voided.
    Canceled,
    /// The money was collected.
    Succeeded,
    /// Collected, and part of it given back.
    PartiallyRefunded,
    /// Collected, and all of it given back.
    Refunded,
}

impl PaymentStatus {
    /// The snake_case name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Processing => "processing",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Canceled => "canceled",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
        }
    }

    /// The status named by [`PaymentStatus::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [
            PaymentStatus::Pending,
            PaymentStatus::RequiresAction,
            PaymentStatus::Processing,
            PaymentStatus::Authorized,
            PaymentStatus::Failed,
            PaymentStatus::Canceled,
            PaymentStatus::Succeeded,
            PaymentStatus::PartiallyRefunded,
            PaymentStatus::Refunded,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// Whether money was collected (whatever was given back since).
    pub fn is_collected(self) -> bool {
        self >= PaymentStatus::Succeeded
    }
}

/// Where a dispute (or a pre-dispute inquiry) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    /// An inquiry (Stripe `warning_needs_response` / `warning_under_review`): no funds held yet.
    Inquiry,
    /// A dispute waiting for evidence; the funds are withdrawn.
    NeedsResponse,
    /// Evidence submitted; the funds are withdrawn.
    UnderReview,
    /// The inquiry ended without becoming a dispute (Stripe `warning_closed`).
    InquiryClosed,
    /// Decided for the merchant; the funds are reinstated.
    Won,
    /// Decided for the cardholder; the funds are gone.
    Lost,
}

impl DisputeStatus {
    /// Stripe's dispute `status`. An unknown word is taken as an open dispute, which is the
    /// cautious reading for a merchant.
    pub fn from_stripe(status: &str) -> Self {
        match status {
            "warning_needs_response" | "warning_under_review" => DisputeStatus::Inquiry,
            "warning_closed" => DisputeStatus::InquiryClosed,
            "under_review" => DisputeStatus::UnderReview,
            "won" => DisputeStatus::Won,
            "lost" => DisputeStatus::Lost,
            _ => DisputeStatus::NeedsResponse,
        }
    }

    /// The snake_case name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeStatus::Inquiry => "inquiry",
            DisputeStatus::NeedsResponse => "needs_response",
            DisputeStatus::UnderReview => "under_review",
            DisputeStatus::InquiryClosed => "inquiry_closed",
            DisputeStatus::Won => "won",
            DisputeStatus::Lost => "lost",
        }
    }

    /// Whether the dispute is decided (a later update can still change the decision).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            DisputeStatus::InquiryClosed | DisputeStatus::Won | DisputeStatus::Lost
        )
    }

    /// Whether the disputed money is out of the merchant's hands: held while the dispute is
    /// open, gone when it is lost. Inquiries hold nothing and won disputes give it back.
    pub fn holds_funds(self) -> bool {
        matches!(
            self,
            DisputeStatus::NeedsResponse | DisputeStatus::UnderReview | DisputeStatus::Lost
        )
    }
}

/// Where a refund stands (Stripe's refund `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
}

impl RefundStatus {
    /// Stripe's refund `status`; an unknown word is taken as pending.
    pub fn from_stripe(status: &str) -> Self {
        match status {
            "requires_action" => RefundStatus::RequiresAction,
            "succeeded" => RefundStatus::Succeeded,
            "failed" => RefundStatus::Failed,
            "canceled" => RefundStatus::Canceled,
            _ => RefundStatus::Pending,
        }
    }

    /// Whether the refund counts as money given back. Stripe counts pending refunds in a
    /// charge's `amount_refunded` too, so we do the same; failed and cancelled ones do not count.
    pub fn counts(self) -> bool {
        !matches!(self, RefundStatus::Failed | RefundStatus::Canceled)
    }

    /// Whether the refund reached an end state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RefundStatus::Succeeded | RefundStatus::Failed | RefundStatus::Canceled
        )
    }
}

/// One payment as the Payments view shows it: the fold of every payment event filed under
/// its key. Every field but `key` and `ledger` is derived from `ledger`, which is what the
/// fold keeps between events; store both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// The provider object id the payment is filed under (the module doc says which).
    pub key: String,
    pub kind: PaymentKind,
    /// `Some(false)` in test mode. If events disagree, test mode wins, so that test money
    /// never reaches live totals.
    pub livemode: Option<bool>,
    /// In the currency's minor unit; `None` until an event states it (a refund alone doesn't).
    pub amount: Option<i64>,
    /// Lower-case ISO 4217 code.
    pub currency: Option<String>,
    /// The provider's customer id, else the customer's e-mail address.
    pub customer: Option<String>,
    pub description: Option<String>,
    pub status: PaymentStatus,
    /// The provider's own word for the status (`past_due`, `requires_payment_method`, …),
    /// from the event that decided `status`.
    pub provider_status: Option<String>,
    /// Money given back, minor units.
    pub amount_refunded: i64,
    /// Money held by open disputes or lost to disputes, minor units.
    pub amount_disputed: i64,
    /// The most recently active dispute's status, if there ever was one.
    pub dispute: Option<DisputeStatus>,
    /// Why the latest failed attempt failed, kept after a later success.
    pub failure_message: Option<String>,
    /// The provider time of the earliest event, ms since the epoch.
    pub created_at: i64,
    /// The provider time of the newest event, ms since the epoch.
    pub updated_at: i64,
    /// What the fold knows, with when and from which event it learnt each fact.
    pub ledger: Ledger,
}

impl Payment {
    /// The amount for people: `50.00 USD`, `5,000 JPY`.
    pub fn display_amount(&self) -> Option<String> {
        Some(format_minor(self.amount?, self.currency.as_deref()?))
    }

    /// How many distinct provider events were folded in.
    pub fn event_count(&self) -> usize {
        self.ledger.event_count()
    }

    /// Whether the provider event was already folded in.
    pub fn has_applied(&self, provider_event_id: &str) -> bool {
        self.ledger.has_applied(provider_event_id)
    }
}
