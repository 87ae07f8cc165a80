//! What the Payments page reads from the stored projection: filters, rows, totals. Plain data
//! shared with the dashboard (it compiles to wasm).

use serde::{Deserialize, Serialize};

use super::fold::Verdict;
use super::payment::{DisputeStatus, PaymentKind, PaymentStatus};

/// Which payments the table lists. Empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFilter {
    /// `Some(true)`: live mode (and payments whose provider has no modes); `Some(false)`:
    /// test mode; `None`: both.
    pub livemode: Option<bool>,
    pub status: Option<PaymentStatus>,
    /// Lower-case ISO 4217 code.
    pub currency: Option<String>,
    /// Exact customer id or e-mail address.
    pub customer: Option<String>,
    /// Smallest and largest amount, each in minor units for every currency exponent
    /// ([`AmountBound`]), so that one bound works across currencies.
    pub min_amount: Option<AmountBound>,
    pub max_amount: Option<AmountBound>,
    /// Text found in the provider id, the customer or the description.
    pub search: Option<String>,
    /// Created at or after (ms).
    pub from: Option<i64>,
    /// Created before (ms).
    pub to: Option<i64>,
    /// Keyset cursor: continue after this (created_at, id), newest first.
    pub before: Option<(i64, i64)>,
}

/// An amount people typed in major units (`20`, `19.99`), in the minor units of currencies
/// with 0, 2 and 3 decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountBound {
    pub zero_decimals: i64,
    pub two_decimals: i64,
    pub three_decimals: i64,
}

impl AmountBound {
    /// `"19.99"` as a bound; `None` if it is not a plain non-negative decimal. Precision finer
    /// than a currency's minor unit is rounded down for that currency.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
            return None;
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let minor = |places: usize| -> Option<i64> {
            let padded: String = fraction
                .chars()
                .chain(std::iter::repeat('0'))
                .take(places)
                .collect();
            let part: i64 = if places == 0 { 0 } else { padded.parse().ok()? };
            whole
                .checked_mul(10_i64.pow(places as u32))?
                .checked_add(part)
        };
        Some(AmountBound {
            zero_decimals: minor(0)?,
            two_decimals: minor(2)?,
            three_decimals: minor(3)?,
        })
    }
}

/// One row of the Payments table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentRow {
    pub id: i64,
    pub source: String,
    /// The provider object id the payment is filed under.
    pub key: String,
    pub kind: PaymentKind,
    pub livemode: Option<bool>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub status: PaymentStatus,
    pub provider_status: Option<String>,
    pub amount_refunded: i64,
    pub amount_disputed: i64,
    pub dispute: Option<DisputeStatus>,
    pub failure_message: Option<String>,
    pub event_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One line of a payment's timeline, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineRow {
    /// Our stored event's id (its page is `/events/{event_id}`).
    pub event_id: i64,
    pub provider_event_id: String,
    pub event_type: String,
    pub at_ms: i64,
    pub verdict: Verdict,
    pub reported_status: Option<PaymentStatus>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    /// How often the provider delivered the event again (answered, never counted).
    pub repeats: i64,
}

/// A payment with its timeline, oldest event first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentDetail {
    pub row: PaymentRow,
    pub timeline: Vec<TimelineRow>,
}

/// Money of one currency over a period. Amounts are minor units of `currency`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyTotals {
    pub currency: String,
    /// Collected: payments that succeeded (refunded ones included), and how many.
    pub succeeded_amount: i64,
    pub succeeded_count: i64,
    /// Given back.
    pub refunded_amount: i64,
    /// Held by open disputes or lost to them.
    pub disputed_amount: i64,
    /// Payments whose latest attempt failed, and their amount.
    pub failed_count: i64,
    pub failed_amount: i64,
}

impl CurrencyTotals {
    /// What stays with the merchant: collected, less refunds and disputed money.
    pub fn net_amount(&self) -> i64 {
        self.succeeded_amount
            .saturating_sub(self.refunded_amount)
            .saturating_sub(self.disputed_amount)
    }
}

/// One UTC day of one currency, for the daily chart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTotals {
    /// Start of the day, ms since the epoch.
    pub day_ms: i64,
    pub totals: CurrencyTotals,
}

/// What `payments rebuild` reset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReset {
    /// Payments deleted.
    pub payments_deleted: i64,
    /// Stored payment events queued to be folded in again.
    pub events_queued: i64,
    /// Payment events whose body retention already purged: they cannot be folded in again.
    pub events_purged: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_bounds_cover_every_exponent() {
        let b = AmountBound::parse("19.99").expect("a bound");
        assert_eq!(
            (b.zero_decimals, b.two_decimals, b.three_decimals),
            (19, 1999, 19990)
        );
        let b = AmountBound::parse(" 5000 ").expect("a bound");
        assert_eq!((b.zero_decimals, b.two_decimals), (5000, 500_000));
        let b = AmountBound::parse(".5").expect("a bound");
        assert_eq!((b.zero_decimals, b.two_decimals), (0, 50));
        for bad in ["", ".", "-1", "1,5", "abc", "1.2.3", "99999999999999999999"] {
            assert_eq!(AmountBound::parse(bad), None, "{bad:?}");
        }
    }
}
