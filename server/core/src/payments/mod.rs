//! Payments: the projection of stored payment events into one row per payment, for the
//! Payments page. Pure logic, no database: the storage layer calls [`apply`] after each stored
//! event (and keeps the returned [`TimelineEntry`]), and `payments rebuild` calls [`project`].
//!
//! The pipeline is: a stored [`PaymentEvent`] → a provider mapping ([`map_stripe`], or a
//! source's [`GenericMapping`]) → a provider-neutral [`PaymentChange`] → folded into a
//! [`Payment`]. Which Stripe object a payment is filed under is decided in [`stripe`]; how
//! events out of order, repeats and conflicting statuses are reconciled, in [`ledger`]. In
//! short: the provider's event time orders events, `succeeded` is final for one-shot
//! payments, refunds count once per refund object, and the result is the same whatever order
//! the events are folded in.
//!
//! The types are plain data shared with the dashboard; reading JSON payloads (events and the
//! mappings' `map`) needs `serde_json`, which this crate only has with the `server` feature.

mod change;
#[cfg(feature = "server")]
mod event;
mod fold;
mod generic;
pub mod ledger;
mod payment;
#[cfg(feature = "server")]
pub mod projector;
#[cfg(feature = "server")]
pub mod stripe;
mod view;

#[cfg(all(test, feature = "server"))]
mod fixtures;
#[cfg(all(test, feature = "server"))]
mod scenarios;

pub use change::{DisputeFact, PaymentChange, RefundFact};
#[cfg(feature = "server")]
pub use event::PaymentEvent;
pub use fold::{apply, fold, TimelineEntry, Verdict};
#[cfg(feature = "server")]
pub use generic::status_from_word;
pub use generic::{AmountUnit, GenericMapping};
pub use ledger::Ledger;
pub use payment::{DisputeStatus, Payment, PaymentKind, PaymentStatus, RefundStatus};
#[cfg(feature = "server")]
pub use stripe::{is_payment_event, map_stripe};
pub use view::{
    AmountBound, CurrencyTotals, DayTotals, PaymentDetail, PaymentFilter, PaymentReset, PaymentRow,
    TimelineRow,
};

use serde::{Deserialize, Serialize};

/// How a source's events become payments: Stripe's objects, or pointers into another
/// provider's payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "snake_case")]
pub enum PaymentMapping {
    Stripe,
    Generic(GenericMapping),
}

#[cfg(feature = "server")]
impl PaymentMapping {
    /// How a source's events become payments: the mapping configured on the source, else
    /// Stripe's for the Stripe scheme; `None` when the source's events are not payments.
    pub fn for_source(
        scheme: crate::ingest::scheme::Scheme,
        config: &crate::ingest::scheme::SchemeConfig,
    ) -> Option<Self> {
        match (&config.payments, scheme) {
            (Some(mapping), _) => Some(PaymentMapping::Generic(mapping.clone())),
            (None, crate::ingest::scheme::Scheme::Stripe) => Some(PaymentMapping::Stripe),
            (None, _) => None,
        }
    }

    /// Whether events of this type may be about a payment (and so are queued for the
    /// projection). A generic mapping reads every event and skips those without a payment id.
    pub fn reads(&self, event_type: &str) -> bool {
        match self {
            PaymentMapping::Stripe => is_payment_event(event_type),
            PaymentMapping::Generic(_) => true,
        }
    }

    /// What the event says about a payment, if anything.
    pub fn map(&self, event: &PaymentEvent) -> Option<PaymentChange> {
        match self {
            PaymentMapping::Stripe => map_stripe(event),
            PaymentMapping::Generic(mapping) => mapping.map(event),
        }
    }
}

/// The payments table from a source's stored events, in any order, through `mapping`; events
/// that are not about payments are skipped.
#[cfg(feature = "server")]
pub fn project_with<'a>(
    mapping: &PaymentMapping,
    events: impl IntoIterator<Item = &'a PaymentEvent>,
) -> std::collections::BTreeMap<String, Payment> {
    fold(events.into_iter().filter_map(|e| mapping.map(e)))
}

/// The payments table from stored Stripe events, in any order and with repeats.
#[cfg(feature = "server")]
pub fn project<'a>(
    events: impl IntoIterator<Item = &'a PaymentEvent>,
) -> std::collections::BTreeMap<String, Payment> {
    project_with(&PaymentMapping::Stripe, events)
}
