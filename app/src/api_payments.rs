//! Server functions of the Payments pages and the Overview's money figures. Money is read from
//! the payments projection (see `hookyard_core::payments`); periods are UTC days, and a
//! payment belongs to the day its first event happened at the provider.

use hookyard_core::payments::{CurrencyTotals, DayTotals, PaymentDetail, PaymentRow};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::api::{store, unavailable};

/// Rows shown per page of payments.
pub const PAYMENTS_PER_PAGE: i64 = 50;

/// The longest custom range the daily chart draws.
pub const CHART_MAX_DAYS: i64 = 93;

/// The Payments page's filters as they appear in the URL
/// (`?mode=&status=&currency=&customer=&min=&max=&q=&from=&to=&before=`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaymentQuery {
    /// `test` for test mode; anything else: live mode.
    pub mode: Option<String>,
    pub status: Option<String>,
    pub currency: Option<String>,
    pub customer: Option<String>,
    /// Amount bounds in major units (`19.99`, `5000` for JPY).
    pub min: Option<String>,
    pub max: Option<String>,
    pub q: Option<String>,
    /// Custom range, UTC dates `YYYY-MM-DD`, both included.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Cursor `created_at_id`.
    pub before: Option<String>,
}

impl PaymentQuery {
    /// Whether the page shows test mode (live mode is the default).
    pub fn is_test(&self) -> bool {
        self.mode.as_deref() == Some("test")
    }
}

/// Totals per currency over one period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// `Today`, `7 days`, `This month`, or the custom range's dates.
    pub label: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub totals: Vec<CurrencyTotals>,
}

/// The daily chart's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyChart {
    /// What the chart covers, e.g. `this month`.
    pub title: String,
    pub first_day_ms: i64,
    pub days: i64,
    pub daily: Vec<DayTotals>,
}

/// Everything the Payments page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentsPage {
    pub live: bool,
    pub periods: Vec<Period>,
    pub chart: DailyChart,
    pub rows: Vec<PaymentRow>,
    /// Cursor for the next (older) page, if there is one.
    pub next: Option<(i64, i64)>,
    /// Payment events stored but not folded in yet.
    pub queued: i64,
    /// Filter values that could not be read (and were ignored), in words.
    pub problems: Vec<String>,
}

/// The Payments page's filter for a query (shared with the CSV export), the custom date range
/// if one was asked for, and what could not be understood.
#[cfg(feature = "ssr")]
pub fn payment_filter(
    query: &PaymentQuery,
    now: i64,
) -> (
    hookyard_core::payments::PaymentFilter,
    Option<(i64, i64)>,
    Vec<String>,
) {
    use hookyard_core::payments::{AmountBound, PaymentFilter, PaymentStatus};
    use hookyard_core::time::{parse_date, start_of_day, DAY_MS};
    let nonempty = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut problems = Vec::new();
    let live = !query.is_test();
    let today = start_of_day(now);
    let tomorrow = today + DAY_MS;
    let mut date = |name: &str, value: &Option<String>| {
        let text = nonempty(value)?;
        let parsed = parse_date(&text);
        if parsed.is_none() {
            problems.push(format!("{name} {text:?} is not a date like 2026-01-31"));
        }
        parsed
    };
    let from = date("From", &query.from);
    let to = date("To", &query.to).map(|day| day + DAY_MS);
    let custom = match (from, to) {
        (None, None) => None,
        (from, to) => {
            let to = to.unwrap_or(tomorrow);
            let from = from.unwrap_or(to - 30 * DAY_MS);
            if from < to {
                Some((from, to))
            } else {
                problems.push("the custom range ends before it starts".into());
                None
            }
        }
    };
    let mut amount = |name: &str, value: &Option<String>| {
        let text = nonempty(value)?;
        let bound = AmountBound::parse(&text);
        if bound.is_none() {
            problems.push(format!("{name} {text:?} is not an amount like 19.99"));
        }
        bound
    };
    let min_amount = amount("Minimum amount", &query.min);
    let max_amount = amount("Maximum amount", &query.max);
    let status = nonempty(&query.status).and_then(|s| {
        let parsed = PaymentStatus::parse(&s);
        if parsed.is_none() {
            problems.push(format!("there is no payment status {s:?}"));
        }
        parsed
    });

    let filter = PaymentFilter {
        livemode: Some(live),
        status,
        currency: nonempty(&query.currency).map(|c| c.to_ascii_lowercase()),
        customer: nonempty(&query.customer),
        min_amount,
        max_amount,
        search: nonempty(&query.q),
        from: custom.map(|(from, _)| from),
        to: custom.map(|(_, to)| to),
        before: query
            .before
            .as_deref()
            .and_then(hookyard_core::model::parse_cursor),
    };
    (filter, custom, problems)
}

/// The Payments page for a filter: totals for today, 7 days, this month (and the custom
/// range), the daily chart, and one page of the table.
#[server(endpoint = "get_payments")]
pub async fn get_payments(
    // The query string of a filterless page encodes nothing at all.
    #[server(default)] query: PaymentQuery,
) -> Result<PaymentsPage, ServerFnError> {
    use hookyard_core::time::{format_date, now_ms, start_of_day, start_of_month, DAY_MS};
    let now = now_ms();
    let (filter, custom, problems) = payment_filter(&query, now);
    let live = !query.is_test();
    let today = start_of_day(now);
    let tomorrow = today + DAY_MS;
    let store = store();
    let mut ranges = vec![
        ("Today".to_string(), today, tomorrow),
        ("7 days".to_string(), today - 6 * DAY_MS, tomorrow),
        ("This month".to_string(), start_of_month(now), tomorrow),
    ];
    if let Some((from, to)) = custom {
        let label = format!("{} – {}", format_date(from), format_date(to - DAY_MS));
        ranges.push((label, from, to));
    }
    let mut periods = Vec::with_capacity(ranges.len());
    for (label, from_ms, to_ms) in ranges {
        let totals = store
            .payment_totals(live, from_ms, to_ms)
            .await
            .map_err(unavailable("reading payment totals"))?;
        periods.push(Period {
            label,
            from_ms,
            to_ms,
            totals,
        });
    }

    let (title, chart_from, chart_to) = match custom {
        Some((from, to)) => {
            let from = from.max(to - CHART_MAX_DAYS * DAY_MS);
            let title = format!("{} to {}", format_date(from), format_date(to - DAY_MS));
            (title, from, to)
        }
        None => ("this month".to_string(), start_of_month(now), tomorrow),
    };
    let daily = store
        .payment_daily(live, chart_from, chart_to)
        .await
        .map_err(unavailable("reading daily payment totals"))?;
    let chart = DailyChart {
        title,
        first_day_ms: chart_from,
        days: (chart_to - chart_from) / DAY_MS,
        daily,
    };

    let (rows, next) = hookyard_core::store::page_of_payments(&*store, &filter, PAYMENTS_PER_PAGE)
        .await
        .map_err(unavailable("listing payments"))?;
    let queued = store
        .payment_queue_len()
        .await
        .map_err(unavailable("reading the payments queue"))?;
    Ok(PaymentsPage {
        live,
        periods,
        chart,
        rows,
        next,
        queued,
        problems,
    })
}

/// One payment with its timeline; `None` if there is no such payment.
#[server(endpoint = "get_payment")]
pub async fn get_payment(id: i64) -> Result<Option<PaymentDetail>, ServerFnError> {
    store()
        .payment_detail(id)
        .await
        .map_err(unavailable("reading the payment"))
}

/// The Overview's money: live totals per currency today and this month.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MoneyOverview {
    pub today: Vec<CurrencyTotals>,
    pub month: Vec<CurrencyTotals>,
}

/// Live-mode totals for the Overview.
#[server(endpoint = "get_money_overview")]
pub async fn get_money_overview() -> Result<MoneyOverview, ServerFnError> {
    use hookyard_core::time::{now_ms, start_of_day, start_of_month, DAY_MS};
    let now = now_ms();
    let tomorrow = start_of_day(now) + DAY_MS;
    let store = store();
    let today = store
        .payment_totals(true, start_of_day(now), tomorrow)
        .await
        .map_err(unavailable("reading payment totals"))?;
    let month = store
        .payment_totals(true, start_of_month(now), tomorrow)
        .await
        .map_err(unavailable("reading payment totals"))?;
    Ok(MoneyOverview { today, month })
}
