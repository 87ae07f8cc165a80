//! Payments from providers other than Stripe, read through JSON pointers a source configures.

use serde::{Deserialize, Serialize};

/// Where a provider's payload keeps a payment's fields, as JSON pointers (RFC 6901; a missing
/// leading `/` is added). The defaults fit the common envelope `{"id", "type", "data": {…}}`
/// (Standard Webhooks and most others): the event at the top, the payment in `data`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenericMapping {
    /// The payment's id, which becomes its key (a string or a number).
    pub id: String,
    /// The payment's amount, in the unit `amount_unit` says.
    pub amount: String,
    /// ISO 4217 code, any case.
    pub currency: String,
    /// The provider's status word; see [`status_from_word`] for the words understood.
    pub status: String,
    pub customer: Option<String>,
    /// When the event happened (seconds or ms since the epoch, or RFC 3339 text). Without it
    /// the stored event's own provider time orders events.
    pub created: Option<String>,
    /// A running total of money given back, in the same unit as `amount`.
    pub amount_refunded: Option<String>,
    pub failure_message: Option<String>,
    pub amount_unit: AmountUnit,
}

impl Default for GenericMapping {
    fn default() -> Self {
        GenericMapping {
            id: "/data/id".into(),
            amount: "/data/amount".into(),
            currency: "/data/currency".into(),
            status: "/data/status".into(),
            customer: Some("/data/customer".into()),
            created: None,
            amount_refunded: None,
            failure_message: None,
            amount_unit: AmountUnit::Minor,
        }
    }
}

/// How a provider writes amounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountUnit {
    /// Whole minor units, like Stripe: `2000` is 20.00 USD, `5000` is 5,000 JPY.
    #[default]
    Minor,
    /// Decimal major units, often as text (Shopify's `"19.99"`). Converted exactly by the
    /// currency's number of decimals; a value finer than the minor unit is refused.
    Major,
}

#[cfg(feature = "server")]
pub use reading::status_from_word;

#[cfg(feature = "server")]
mod reading {
    use serde_json::Value;

    use super::{AmountUnit, GenericMapping};
    use crate::money::decimals;
    use crate::payments::change::PaymentChange;
    use crate::payments::event::PaymentEvent;
    use crate::payments::payment::{PaymentKind, PaymentStatus};

    impl GenericMapping {
        /// What the event says about a payment; `None` if it names no payment id.
        pub fn map(&self, event: &PaymentEvent) -> Option<PaymentChange> {
            let payload = &event.payload;
            let key = at(payload, &self.id).and_then(scalar_text)?;
            let currency = at(payload, &self.currency)
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_ascii_lowercase);
            let amount_at = |pointer: &str| self.amount_at(payload, pointer, currency.as_deref());
            let amount = amount_at(&self.amount);
            let word = at(payload, &self.status).and_then(scalar_text);
            let (status, fully_refunded) = match word.as_deref() {
                Some(word) => {
                    let (status, refunded) = status_from_word(word);
                    (Some(status), refunded)
                }
                None => (None, false),
            };
            let amount_refunded = self
                .amount_refunded
                .as_deref()
                .and_then(amount_at)
                .or(if fully_refunded { amount } else { None });
            let read_text = |pointer: &Option<String>| {
                pointer
                    .as_deref()
                    .and_then(|p| at(payload, p))
                    .and_then(scalar_text)
            };
            let mut change = event.change_for(key);
            if let Some(at_ms) = self
                .created
                .as_deref()
                .and_then(|p| at(payload, p))
                .and_then(time_ms)
            {
                change.at_ms = at_ms;
            }
            Some(PaymentChange {
                kind: PaymentKind::Generic,
                status,
                provider_status: word,
                amount,
                currency,
                customer: read_text(&self.customer),
                failure_message: read_text(&self.failure_message),
                amount_refunded,
                ..change
            })
        }

        fn amount_at(&self, payload: &Value, pointer: &str, currency: Option<&str>) -> Option<i64> {
            let value = at(payload, pointer)?;
            match self.amount_unit {
                AmountUnit::Minor => value
                    .as_i64()
                    .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok())),
                AmountUnit::Major => parse_major(&scalar_text(value)?, decimals(currency?)),
            }
        }
    }

    /// The provider's status word (any case; `-` and spaces read as `_`) as a status, and
    /// whether it says the payment was given back in full. Unknown words read as `pending`:
    /// something happened, we cannot tell what, and `pending` never hides a collection.
    pub fn status_from_word(word: &str) -> (PaymentStatus, bool) {
        let word = word.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let status = match word.as_str() {
            "succeeded" | "success" | "successful" | "paid" | "complete" | "completed"
            | "captured" | "settled" | "approved" | "active" | "partially_refunded"
            | "refunded" | "fully_refunded" => PaymentStatus::Succeeded,
            "failed" | "failure" | "declined" | "error" | "errored" | "rejected" | "past_due" => {
                PaymentStatus::Failed
            }
            "canceled" | "cancelled" | "voided" | "void" | "expired" | "abandoned" => {
                PaymentStatus::Canceled
            }
            "processing" | "in_progress" | "submitted" => PaymentStatus::Processing,
            "requires_action" | "action_required" => PaymentStatus::RequiresAction,
            "authorized" | "authorised" | "requires_capture" => PaymentStatus::Authorized,
            _ => PaymentStatus::Pending,
        };
        (
            status,
            matches!(word.as_str(), "refunded" | "fully_refunded"),
        )
    }

    /// The value at `pointer`, which may lack its leading `/`.
    fn at<'a>(payload: &'a Value, pointer: &str) -> Option<&'a Value> {
        match pointer {
            "" => None,
            p if p.starts_with('/') => payload.pointer(p),
            p => payload.pointer(&format!("/{p}")),
        }
    }

    /// A JSON string or number as text.
    fn scalar_text(value: &Value) -> Option<String> {
        match value {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// `"19.99"` with 2 decimals → 1999, with integers only. `None` for anything that is not
    /// a plain decimal, or that has more precision than the currency's minor unit.
    pub(super) fn parse_major(text: &str, decimals: u32) -> Option<i64> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let fraction = fraction.trim_end_matches('0');
        let places = u32::try_from(fraction.len()).ok()?;
        if places > decimals {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().ok()?
        };
        let minor = whole
            .checked_mul(10_i64.checked_pow(decimals)?)?
            .checked_add(fraction.checked_mul(10_i64.checked_pow(decimals - places)?)?)?;
        Some(if negative { -minor } else { minor })
    }

    /// Seconds or ms since the epoch (a number, or digits as text), or RFC 3339 text, in ms.
    pub(super) fn time_ms(value: &Value) -> Option<i64> {
        let number = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok()
            }
            Value::String(s) => return parse_rfc3339_ms(s),
            _ => None,
        }?;
        // Seconds since the epoch stay below 10^11 until the year 5138.
        if number.abs() < 100_000_000_000 {
            number.checked_mul(1000)
        } else {
            Some(number)
        }
    }

    /// `2024-06-10T12:34:56.789+02:00` (also `Z`, a space for `T`, no offset = UTC) in ms.
    pub(super) fn parse_rfc3339_ms(text: &str) -> Option<i64> {
        let field = |from: usize, to: usize| -> Option<i64> {
            let part = text.get(from..to)?;
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let separators_ok = text.get(4..5) == Some("-")
            && text.get(7..8) == Some("-")
            && matches!(text.get(10..11), Some("T" | "t" | " "))
            && text.get(13..14) == Some(":")
            && text.get(16..17) == Some(":");
        if !separators_ok {
            return None;
        }
        let (year, month, day) = (field(0, 4)?, field(5, 7)?, field(8, 10)?);
        let (hour, minute, second) = (field(11, 13)?, field(14, 16)?, field(17, 19)?);
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut rest = text.get(19..)?;
        let mut millis = 0;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let first3 = format!("{:0<3}", &fraction[..digits.min(3)]);
            millis = first3.parse::<i64>().ok()?;
            rest = &fraction[digits..];
        }
        let offset_secs = match rest {
            "" | "Z" | "z" => 0,
            _ => {
                let sign = match rest.get(0..1)? {
                    "+" => 1,
                    "-" => -1,
                    _ => return None,
                };
                if rest.len() != 6 || rest.get(3..4) != Some(":") {
                    return None;
                }
                let hours: i64 = rest.get(1..3)?.parse().ok()?;
                let minutes: i64 = rest.get(4..6)?.parse().ok()?;
                sign * (hours * 3600 + minutes * 60)
            }
        };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
        secs.checked_mul(1000)?.checked_add(millis)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; the
    /// inverse of [`crate::time::civil_from_days`]).
    fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
        let year = if month <= 2 { year - 1 } else { year };
        let era = year.div_euclid(400);
        let yoe = year - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::reading::{parse_major, parse_rfc3339_ms, time_ms};
    use super::*;
    use crate::payments::event::PaymentEvent;
    use crate::payments::fold::fold;
    use crate::payments::payment::{PaymentKind, PaymentStatus};
    use crate::time::format_utc;
    use serde_json::{json, Value};

    fn stored(event_id: i64, payload: Value) -> PaymentEvent {
        PaymentEvent {
            event_id,
            provider_event_id: format!("msg_{event_id}"),
            event_type: "payment.updated".into(),
            created_ms: None,
            received_at: 1_718_000_000_000 + event_id,
            livemode: Some(true),
            payload,
        }
    }

    #[test]
    fn defaults_read_the_payment_from_data() {
        let event = stored(
            1,
            json!({"id": "msg_1", "type": "payment.succeeded", "timestamp": "2024-06-10T06:13:20Z",
                   "data": {"id": "pay_42", "amount": 1999, "currency": "EUR",
                            "status": "succeeded", "customer": "cust_7"}}),
        );
        let change = GenericMapping::default().map(&event).expect("a change");
        assert_eq!(
            (change.key.as_str(), change.kind),
            ("pay_42", PaymentKind::Generic)
        );
        assert_eq!(
            (change.amount, change.currency.as_deref()),
            (Some(1999), Some("eur"))
        );
        assert_eq!(change.status, Some(PaymentStatus::Succeeded));
        assert_eq!(change.customer.as_deref(), Some("cust_7"));
        assert_eq!(change.at_ms, event.received_at);
    }

    #[test]
    fn a_configured_mapping_reads_major_units_and_its_own_time() {
        // A Shopify-style order: top-level fields, major units as text, RFC 3339 times.
        let mapping: GenericMapping = serde_json::from_value(json!({
            "id": "id", "amount": "/total_price", "currency": "/currency",
            "status": "/financial_status", "customer": "/customer/id",
            "created": "/updated_at", "amount_unit": "major"
        }))
        .expect("a mapping");
        let order = |n: i64, status: &str, at: &str| {
            stored(
                n,
                json!({"id": 820_982_911, "total_price": "5000", "currency": "JPY",
                              "financial_status": status, "updated_at": at,
                              "customer": {"id": 115_310_627}}),
            )
        };
        let change = mapping
            .map(&order(1, "paid", "2024-06-10T15:13:20+09:00"))
            .expect("a change");
        assert_eq!(change.key, "820982911");
        assert_eq!(
            (change.amount, change.currency.as_deref()),
            (Some(5000), Some("jpy"))
        );
        assert_eq!(change.customer.as_deref(), Some("115310627"));
        assert_eq!(change.at_ms, 1_718_000_000_000);

        let table = fold([
            mapping
                .map(&order(2, "refunded", "2024-06-11T00:00:00Z"))
                .expect("a change"),
            mapping
                .map(&order(1, "paid", "2024-06-10T15:13:20+09:00"))
                .expect("a change"),
        ]);
        let payment = &table["820982911"];
        assert_eq!(payment.status, PaymentStatus::Refunded);
        assert_eq!(payment.amount_refunded, 5000);
        assert_eq!(payment.display_amount().as_deref(), Some("5,000 JPY"));
    }

    #[test]
    fn an_event_without_a_payment_id_is_not_a_change() {
        let event = stored(1, json!({"type": "ping", "data": {}}));
        assert_eq!(GenericMapping::default().map(&event), None);
    }

    #[test]
    fn a_missing_status_reports_none_and_an_unknown_one_pending() {
        let mapping = GenericMapping::default();
        let event = stored(
            1,
            json!({"data": {"id": "p1", "amount": 100, "currency": "usd"}}),
        );
        assert_eq!(mapping.map(&event).expect("a change").status, None);
        let event = stored(2, json!({"data": {"id": "p1", "status": "on_hold"}}));
        let change = mapping.map(&event).expect("a change");
        assert_eq!(change.status, Some(PaymentStatus::Pending));
        assert_eq!(change.provider_status.as_deref(), Some("on_hold"));
    }

    #[test]
    fn status_words_are_read_loosely() {
        assert_eq!(
            status_from_word("Cancelled"),
            (PaymentStatus::Canceled, false)
        );
        assert_eq!(
            status_from_word("in-progress"),
            (PaymentStatus::Processing, false)
        );
        assert_eq!(
            status_from_word("REFUNDED"),
            (PaymentStatus::Succeeded, true)
        );
        assert_eq!(
            status_from_word("partially refunded"),
            (PaymentStatus::Succeeded, false)
        );
        assert_eq!(status_from_word("declined"), (PaymentStatus::Failed, false));
    }

    #[test]
    fn major_amounts_convert_exactly_or_not_at_all() {
        assert_eq!(parse_major("19.99", 2), Some(1999));
        assert_eq!(parse_major("19.9", 2), Some(1990));
        assert_eq!(parse_major("19.990", 2), Some(1999));
        assert_eq!(parse_major("-2.5", 2), Some(-250));
        assert_eq!(parse_major("5000", 0), Some(5000));
        assert_eq!(parse_major("1.234", 3), Some(1234));
        assert_eq!(parse_major("19.999", 2), None);
        assert_eq!(parse_major("1e3", 2), None);
        assert_eq!(parse_major(".5", 2), None);
        assert_eq!(parse_major("99999999999999999999", 2), None);
    }

    #[test]
    fn times_read_as_seconds_ms_or_rfc3339() {
        assert_eq!(time_ms(&json!(1_718_000_000)), Some(1_718_000_000_000));
        assert_eq!(
            time_ms(&json!(1_718_000_000_123_i64)),
            Some(1_718_000_000_123)
        );
        assert_eq!(time_ms(&json!("1718000000")), Some(1_718_000_000_000));
        let ms = parse_rfc3339_ms("2024-06-10T06:13:20.5Z").expect("a time");
        assert_eq!(ms, 1_718_000_000_500);
        assert_eq!(format_utc(ms), "2024-06-10 06:13:20 UTC");
        assert_eq!(
            parse_rfc3339_ms("2000-02-29 00:00:00-01:30"),
            Some(951_787_800_000)
        );
        assert_eq!(parse_rfc3339_ms("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_ms("2024-06-10T06:13:20+0200"), None);
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
    }

    #[test]
    fn a_mapping_round_trips_through_json_with_defaults() {
        let mapping: GenericMapping =
            serde_json::from_value(json!({"status": "/state"})).expect("a mapping");
        assert_eq!(mapping.status, "/state");
        assert_eq!(mapping.id, "/data/id");
        let back: GenericMapping =
            serde_json::from_value(serde_json::to_value(&mapping).expect("json")).expect("back");
        assert_eq!(back, mapping);
    }
}
