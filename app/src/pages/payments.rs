//! Payments: money per currency (today, 7 days, this month, a custom range), a daily chart,
//! and every payment with filters that live in the URL. Live mode unless asked for test mode.

use std::collections::BTreeMap;

use hookyard_core::money::format_minor;
use hookyard_core::payments::{CurrencyTotals, DayTotals, PaymentRow, PaymentStatus};
use hookyard_core::time::DAY_MS;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api_payments::{get_payments, DailyChart, PaymentQuery, PaymentsPage, Period};
use crate::components::{Loaded, ModeBadge, StatusBadge, Time};

/// Every status, in the order the filter lists them.
const STATUSES: [PaymentStatus; 9] = [
    PaymentStatus::Succeeded,
    PaymentStatus::Failed,
    PaymentStatus::PartiallyRefunded,
    PaymentStatus::Refunded,
    PaymentStatus::Pending,
    PaymentStatus::RequiresAction,
    PaymentStatus::Processing,
    PaymentStatus::Authorized,
    PaymentStatus::Canceled,
];

/// The filters of the current URL.
fn query_from_url(q: &leptos_router::params::ParamsMap) -> PaymentQuery {
    let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
    PaymentQuery {
        mode: get("mode"),
        status: get("status"),
        currency: get("currency"),
        customer: get("customer"),
        min: get("min"),
        max: get("max"),
        q: get("q"),
        from: get("from"),
        to: get("to"),
        before: get("before"),
    }
}

/// The URL of `query` (with the cursor `before`).
fn url_with(query: &PaymentQuery, before: Option<String>) -> String {
    filtered("/payments", query, before)
}

/// `path` with the filters of `query` (and a cursor).
fn filtered(path: &str, query: &PaymentQuery, before: Option<String>) -> String {
    let pairs = [
        ("mode", &query.mode),
        ("status", &query.status),
        ("currency", &query.currency),
        ("customer", &query.customer),
        ("min", &query.min),
        ("max", &query.max),
        ("q", &query.q),
        ("from", &query.from),
        ("to", &query.to),
        ("before", &before),
    ];
    crate::components::with_query(path, &pairs)
}

/// An amount in its currency, or a dash when there is none.
pub(crate) fn money(amount: Option<i64>, currency: Option<&str>) -> String {
    match (amount, currency) {
        (Some(a), Some(c)) => format_minor(a, c),
        (Some(a), None) => format!("{a} (minor units)"),
        _ => "—".into(),
    }
}

#[component]
pub fn Payments() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| query_from_url(&params.read()));
    let page = Resource::new(move || query.get(), get_payments);
    view! {
        <Title text="Payments" />
        <header class="page-header payments-header">
            <div>
                <h1>"Payments"</h1>
                <p class="subtitle">
                    {move || if query.get().is_test() {
                        "Test mode: only test payments are counted and listed."
                    } else {
                        "Live mode: test payments are never counted here."
                    }}
                    " Days in UTC; a payment counts on the day it was created."
                </p>
            </div>
            <ModeSwitch query=query />
        </header>
        <Loaded
            resource=page
            loading="Loading payments…"
            failed="Could not load payments."
            render={move |page: PaymentsPage| {
                let query = query.get_untracked();
                view! { <PaymentsView page query /> }
            }}
        />
    }
}

/// Live / test, as two links that keep the other filters.
#[component]
fn ModeSwitch(query: Memo<PaymentQuery>) -> impl IntoView {
    let href = move |mode: Option<&str>| {
        let q = PaymentQuery {
            mode: mode.map(str::to_string),
            before: None,
            ..query.get()
        };
        url_with(&q, None)
    };
    let current = move |test: bool| {
        if query.get().is_test() == test {
            Some("page")
        } else {
            None
        }
    };
    view! {
        <nav class="mode-switch" aria-label="Mode">
            <a href=move || href(None) aria-current=move || current(false)>"Live"</a>
            <a href=move || href(Some("test")) aria-current=move || current(true)>"Test"</a>
        </nav>
    }
}

#[component]
fn PaymentsView(page: PaymentsPage, query: PaymentQuery) -> impl IntoView {
    let queued = (page.queued > 0).then(|| {
        view! {
            <p class="muted">
                {format!("{} payment events are still being added to the figures; reload in a moment.", page.queued)}
            </p>
        }
    });
    let problems = (!page.problems.is_empty()).then(|| {
        view! {
            <div class="alert alert-error" role="alert">
                <strong>"Some filters were ignored: "</strong>
                {page.problems.join("; ")}
                "."
            </div>
        }
    });
    let mode = if page.live { "live" } else { "test" };
    view! {
        {problems}
        {queued}
        <Glance periods=page.periods.clone() mode=mode />
        <TotalsTable periods=page.periods mode=mode />
        <section class="card">
            <h2>{format!("Collected per day, {}", page.chart.title)}</h2>
            <DailyCharts chart=page.chart />
        </section>
        <FilterForm query=query.clone() />
        <PaymentTable rows=page.rows next=page.next query />
    }
}

/// One card per currency: this month's collected money, with today and 7 days beneath.
#[component]
fn Glance(periods: Vec<Period>, mode: &'static str) -> impl IntoView {
    let find = |label: &str, currency: &str| {
        periods
            .iter()
            .find(|p| p.label == label)
            .and_then(|p| p.totals.iter().find(|t| t.currency == currency))
            .cloned()
            .unwrap_or_default()
    };
    let currencies = currencies_of(&periods);
    if currencies.is_empty() {
        return view! {
            <section class="card empty-state">
                <h2>{format!("No {mode} payments this month")}</h2>
                <p>
                    "Payments appear here when a Stripe source receives payment events (payment_intent.*, charge.*, refund.*, invoice.*, …). Try: "
                    <code>"hookyard send --source stripe --type payment_intent.succeeded"</code>
                </p>
            </section>
        }
            .into_any();
    }
    let cards = currencies
        .into_iter()
        .map(|c| {
            let month = find("This month", &c);
            let today = find("Today", &c);
            let week = find("7 days", &c);
            let code = c.to_ascii_uppercase();
            let failed = (month.failed_count > 0).then(|| {
                view! { <div class="stat-note stat-failed">{format!("{} failed this month", month.failed_count)}</div> }
            });
            view! {
                <div class="stat money-stat" data-currency=c.clone()>
                    <div class="stat-label">{format!("{code} collected this month")}</div>
                    <div class="stat-value">{format_minor(month.succeeded_amount, &c)}</div>
                    <div class="stat-note">
                        {format!("Today {} · 7 days {}", format_minor(today.succeeded_amount, &c), format_minor(week.succeeded_amount, &c))}
                    </div>
                    {failed}
                </div>
            }
        })
        .collect_view();
    view! { <section class="stat-grid" aria-label="Money collected per currency">{cards}</section> }
        .into_any()
}

/// Every currency that has money in any period, alphabetically.
fn currencies_of(periods: &[Period]) -> Vec<String> {
    let mut all: Vec<String> = periods
        .iter()
        .flat_map(|p| p.totals.iter().map(|t| t.currency.clone()))
        .collect();
    all.sort();
    all.dedup();
    all
}

/// Per currency and period: collected, refunded, disputed, failed, net.
#[component]
fn TotalsTable(periods: Vec<Period>, mode: &'static str) -> impl IntoView {
    let currencies = currencies_of(&periods);
    if currencies.is_empty() {
        return ().into_any();
    }
    let rows = currencies
        .into_iter()
        .flat_map(|c| {
            let periods = periods.clone();
            periods.into_iter().enumerate().map(move |(i, p)| {
                let t = p
                    .totals
                    .iter()
                    .find(|t| t.currency == c)
                    .cloned()
                    .unwrap_or_else(|| CurrencyTotals {
                        currency: c.clone(),
                        ..CurrencyTotals::default()
                    });
                let amount = |a: i64| format_minor(a, &c);
                let quiet = |a: i64| if a == 0 { "num muted" } else { "num" };
                let failed = if t.failed_count == 0 {
                    "—".to_string()
                } else {
                    format!("{} · {}", t.failed_count, amount(t.failed_amount))
                };
                view! {
                    <tr class={if i == 0 { "currency-first" } else { "" }}>
                        <th scope="row">{(i == 0).then(|| c.to_ascii_uppercase())}</th>
                        <td class="nowrap period" data-code=format!("{} · ", c.to_ascii_uppercase())>{p.label}</td>
                        <td class="num" data-label="Collected">{amount(t.succeeded_amount)} <span class="muted count">{format!(" ({})", t.succeeded_count)}</span></td>
                        <td class=quiet(t.refunded_amount) data-label="Refunded">{amount(t.refunded_amount)}</td>
                        <td class=quiet(t.disputed_amount) data-label="Disputed">{amount(t.disputed_amount)}</td>
                        <td class={if t.failed_count > 0 { "num failed-cell" } else { "num muted" }} data-label="Failed">{failed}</td>
                        <td class="num strong" data-label="Net">{amount(t.net_amount())}</td>
                    </tr>
                }
            })
        })
        .collect_view();
    view! {
        <section class="card table-wrap totals">
            <table class="data totals-table" aria-label=format!("Totals per currency, {mode} mode")>
                <thead>
                    <tr>
                        <th>"Currency"</th>
                        <th>"Period"</th>
                        <th class="num" title="Payments that succeeded, refunded ones included (how many)">"Collected"</th>
                        <th class="num">"Refunded"</th>
                        <th class="num" title="Held by open disputes or lost to them">"Disputed"</th>
                        <th class="num" title="Payments whose latest attempt failed: how many · their amount">"Failed"</th>
                        <th class="num" title="Collected less refunded and disputed">"Net"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
    .into_any()
}

/// One small bar chart per currency (amounts of different currencies share no axis).
#[component]
fn DailyCharts(chart: DailyChart) -> impl IntoView {
    let mut by_currency: BTreeMap<String, Vec<DayTotals>> = BTreeMap::new();
    for day in chart.daily {
        by_currency
            .entry(day.totals.currency.clone())
            .or_default()
            .push(day);
    }
    if by_currency.is_empty() {
        return view! { <p class="muted">"No payments in this period."</p> }.into_any();
    }
    let first = chart.first_day_ms;
    let days = chart.days.max(1);
    let charts = by_currency
        .into_iter()
        .map(|(currency, list)| view! { <CurrencyChart currency list first days /> })
        .collect_view();
    view! {
        {charts}
        <p class="legend-row">
            <span class="legend legend-collected">"Collected"</span>
            <span class="legend legend-refunded">"Refunded"</span>
        </p>
    }
    .into_any()
}

#[component]
fn CurrencyChart(currency: String, list: Vec<DayTotals>, first: i64, days: i64) -> impl IntoView {
    const W: f64 = 720.0;
    const H: f64 = 120.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 20.0;
    let at = |i: i64| list.iter().find(|d| d.day_ms == first + i * DAY_MS);
    let max = list
        .iter()
        .map(|d| d.totals.succeeded_amount.max(d.totals.refunded_amount))
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = W / days as f64;
    let scale = (H - TOP - BOTTOM) / max as f64;
    let base = H - BOTTOM;
    let total: i64 = list.iter().map(|d| d.totals.succeeded_amount).sum();
    let refunded: i64 = list.iter().map(|d| d.totals.refunded_amount).sum();
    let summary = format!(
        "{} collected, {} refunded over {days} days; best day {}.",
        format_minor(total, &currency),
        format_minor(refunded, &currency),
        format_minor(max, &currency)
    );
    let label_every = (days / 6).max(1);
    let bars = (0..days)
        .map(|i| {
            let day = first + i * DAY_MS;
            let t = at(i).map(|d| d.totals.clone()).unwrap_or_default();
            let x = i as f64 * slot;
            let w = (slot * 0.7).max(1.0);
            let ch = t.succeeded_amount as f64 * scale;
            let rh = t.refunded_amount as f64 * scale;
            let date = hookyard_core::time::format_date(day);
            let tip = format!(
                "{date}: {} collected ({} payments), {} refunded, {} failed",
                format_minor(t.succeeded_amount, &currency),
                t.succeeded_count,
                format_minor(t.refunded_amount, &currency),
                t.failed_count
            );
            let label = (i % label_every == 0).then(|| {
                view! {
                    <text class="axis" x=x + slot / 2.0 y=H - 5.0 text-anchor="middle">{date[5..].to_string()}</text>
                }
            });
            view! {
                <g>
                    <title>{tip}</title>
                    <rect class="bar-hit" x=x y=TOP width=slot height=base - TOP />
                    <rect class="bar-collected" x=x + slot * 0.15 y=base - ch width=w height=ch rx=1.5 />
                    <rect class="bar-refunded" x=x + slot * 0.15 + w * 0.5 y=base - rh width=w * 0.5 height=rh rx=1.5 />
                    {label}
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart payment-chart">
            <figcaption class="chart-title"><strong>{currency.to_ascii_uppercase()}</strong> " " <span class="muted">{summary.clone()}</span></figcaption>
            <div class="chart-scroll">
                <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=format!("{}: {summary}", currency.to_ascii_uppercase())>
                    <line class="baseline" x1=0 x2=W y1=base y2=base />
                    <text class="axis" x=2 y=TOP - 2.0>{format_minor(max, &currency)}</text>
                    {bars}
                </svg>
            </div>
        </figure>
    }
}

/// A plain GET form: works before hydration, and every filter ends up in the URL.
#[component]
fn FilterForm(query: PaymentQuery) -> impl IntoView {
    let v = |f: &Option<String>| f.clone().unwrap_or_default();
    let status = query.status.clone().unwrap_or_default();
    let options = STATUSES
        .iter()
        .map(|s| {
            let name = s.as_str();
            view! { <option value=name selected=status == name>{name.replace('_', " ")}</option> }
        })
        .collect_view();
    view! {
        <form class="filters card" method="get" action="/payments" role="search" aria-label="Filter payments">
            {query.is_test().then(|| view! { <input type="hidden" name="mode" value="test" /> })}
            <label>
                <span>"Status"</span>
                <select name="status">
                    <option value="">"any"</option>
                    {options}
                </select>
            </label>
            <label>
                <span>"Currency"</span>
                <input name="currency" size="5" placeholder="usd" value=v(&query.currency) />
            </label>
            <label>
                <span>"Customer"</span>
                <input name="customer" placeholder="cus_… or e-mail" value=v(&query.customer) />
            </label>
            <label>
                <span>"Amount from"</span>
                <input name="min" size="7" inputmode="decimal" placeholder="10.00" value=v(&query.min) />
            </label>
            <label>
                <span>"to"</span>
                <input name="max" size="7" inputmode="decimal" placeholder="500" value=v(&query.max) />
            </label>
            <label class="grow">
                <span>"Search"</span>
                <input name="q" type="search" placeholder="pi_…, customer, description" value=v(&query.q) />
            </label>
            <label>
                <span>"Created from"</span>
                <input name="from" type="date" value=v(&query.from) />
            </label>
            <label>
                <span>"until"</span>
                <input name="to" type="date" value=v(&query.to) />
            </label>
            <div class="filter-actions">
                <button class="button" type="submit">"Filter"</button>
                <a class="button button-quiet" href={if query.is_test() { "/payments?mode=test" } else { "/payments" }}>"Clear"</a>
            </div>
            <div class="export-links">
                <span class="muted">"Export these payments for accounting:"</span>
                <a href=filtered("/export/payments.csv", &query, None) download>"CSV"</a>
            </div>
        </form>
    }
}

#[component]
fn PaymentTable(
    rows: Vec<PaymentRow>,
    next: Option<(i64, i64)>,
    query: PaymentQuery,
) -> impl IntoView {
    let filtered = PaymentQuery {
        mode: None,
        before: None,
        ..query.clone()
    } != PaymentQuery::default();
    if rows.is_empty() {
        return view! {
            <section class="card empty-state">
                <h2>{if filtered { "No payments match these filters" } else { "No payments yet" }}</h2>
                <p>{if filtered { "Loosen a filter or clear them all." } else { "Payments are listed here as their events arrive." }}</p>
            </section>
        }
            .into_any();
    }
    let next = next.map(|(at, id)| url_with(&query, Some(format!("{at}_{id}"))));
    let first = query.before.is_some().then(|| url_with(&query, None));
    let rows = rows
        .into_iter()
        .map(|p| {
            let href = format!("/payments/{}", p.id);
            let amount = money(p.amount, p.currency.as_deref());
            let refunded = (p.amount_refunded > 0).then(|| {
                let text = money(Some(p.amount_refunded), p.currency.as_deref());
                view! { <div class="muted small">{format!("{text} refunded")}</div> }
            });
            let disputed = (p.amount_disputed > 0).then(|| {
                view! { " " <span class="badge badge-bad">"disputed"</span> }
            });
            let failure = p.failure_message.clone().filter(|_| p.status == PaymentStatus::Failed).map(|m| {
                view! { <div class="muted small ellipsis" title=m.clone()>{m.clone()}</div> }
            });
            view! {
                <tr>
                    <td class="nowrap"><a href=href.clone()><Time ms=p.created_at /></a></td>
                    <td class="num nowrap"><a href=href.clone() class="amount">{amount}</a>{refunded}</td>
                    <td>
                        <span class="nowrap">
                            <StatusBadge status=p.status.as_str().to_string() />
                            {disputed}
                            " " <ModeBadge livemode=p.livemode />
                        </span>
                        {failure}
                    </td>
                    <td class="ellipsis" title=p.customer.clone().unwrap_or_default()>{p.customer.clone().unwrap_or_else(|| "—".into())}</td>
                    <td class="mono ellipsis" title=p.key.clone()><a href=href>{p.key.clone()}</a></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap card">
            <table class="data payments-table">
                <thead>
                    <tr>
                        <th>"Created"</th>
                        <th class="num">"Amount"</th>
                        <th>"Status"</th>
                        <th>"Customer"</th>
                        <th>"Provider id"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            {first.map(|href| view! { <a class="button button-quiet" href=href>"← Newest"</a> })}
            {next.map(|href| view! { <a class="button button-quiet" href=href>"Older →"</a> })}
        </nav>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_filters_and_encode_values() {
        let q = PaymentQuery {
            mode: Some("test".into()),
            status: Some("failed".into()),
            q: Some("a b&c".into()),
            ..Default::default()
        };
        assert_eq!(
            url_with(&q, None),
            "/payments?mode=test&status=failed&q=a%20b%26c"
        );
        assert_eq!(
            url_with(&q, Some("5_7".into())),
            "/payments?mode=test&status=failed&q=a%20b%26c&before=5_7"
        );
        assert_eq!(url_with(&PaymentQuery::default(), None), "/payments");
    }
}
