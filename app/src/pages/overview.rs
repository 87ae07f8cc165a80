//! Overview: is anything arriving, is anything failing, right now.

use hookyard_core::model::Overview as Figures;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::get_overview;
use crate::components::{Loaded, Time};

const HOUR_MS: i64 = 3_600_000;

#[component]
pub fn Overview() -> impl IntoView {
    let figures = Resource::new(|| (), |_| get_overview());
    view! {
        <Title text="Overview" />
        <header class="page-header">
            <h1>"Overview"</h1>
            <p class="subtitle">"The last 24 hours. Times in UTC."</p>
        </header>
        <Loaded
            resource=figures
            loading="Loading figures…"
            failed="Could not load the overview."
            render={|figures: Figures| view! { <Figures figures /> }}
        />
        <MoneySection />
    }
}

/// Live money per currency, today and this month (the Payments page has the rest).
#[component]
fn MoneySection() -> impl IntoView {
    use crate::api_payments::{get_money_overview, MoneyOverview};
    let money = Resource::new(|| (), |_| get_money_overview());
    view! {
        <Loaded
            resource=money
            loading="Loading payments…"
            failed="Could not load payment totals."
            render={|money: MoneyOverview| view! { <Money money /> }}
        />
    }
}

#[component]
fn Money(money: crate::api_payments::MoneyOverview) -> impl IntoView {
    use hookyard_core::money::format_minor;
    let mut currencies: Vec<String> = money
        .month
        .iter()
        .chain(&money.today)
        .map(|t| t.currency.clone())
        .collect();
    currencies.sort();
    currencies.dedup();
    let rows = currencies
        .into_iter()
        .map(|c| {
            let pick = |list: &[hookyard_core::payments::CurrencyTotals]| {
                list.iter()
                    .find(|t| t.currency == c)
                    .cloned()
                    .unwrap_or_default()
            };
            let (today, month) = (pick(&money.today), pick(&money.month));
            let failed = |n: i64| {
                if n == 0 {
                    "—".to_string()
                } else {
                    n.to_string()
                }
            };
            view! {
                <tr>
                    <th scope="row">{c.to_ascii_uppercase()}</th>
                    <td class="num">{format_minor(today.succeeded_amount, &c)}</td>
                    <td class="num">{failed(today.failed_count)}</td>
                    <td class="num">{format_minor(month.succeeded_amount, &c)}</td>
                    <td class="num">{format_minor(month.refunded_amount, &c)}</td>
                    <td class="num">{failed(month.failed_count)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card money-overview">
            <h2>"Payments, live mode" <a class="card-link" href="/payments">"All payments →"</a></h2>
            {if money.month.is_empty() && money.today.is_empty() {
                view! { <p class="muted">"No live payments this month. Test payments are not counted here."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data">
                            <thead>
                                <tr>
                                    <th>"Currency"</th>
                                    <th class="num">"Collected today"</th>
                                    <th class="num">"Failed today"</th>
                                    <th class="num">"Collected this month"</th>
                                    <th class="num">"Refunded this month"</th>
                                    <th class="num">"Failed this month"</th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn Figures(figures: Figures) -> impl IntoView {
    let empty = figures.events_total == 0 && figures.rejections_24h == 0;
    view! {
        <section class="stat-grid" aria-label="Key figures">
            <Stat label="Events, 24 h" value=figures.events_24h />
            <Stat
                label="Rejected, 24 h"
                value=figures.rejections_24h
                tone={ if figures.rejections_24h > 0 { "warn" } else { "" } }
            />
            <Stat label="Events stored" value=figures.events_total />
            <Stat label="Sources" value=figures.sources />
        </section>
        <DeliveryHealth figures=figures.clone() />
        {if empty {
            view! { <GettingStarted has_sources={ figures.sources > 0 } /> }.into_any()
        } else {
            view! {
                <section class="card">
                    <h2>"Events per hour"</h2>
                    <HourlyChart
                        hours=figures.hourly.iter().map(|b| b.start_ms).collect()
                        series=vec![
                            Series { label: "Accepted", class: "bar-events", values: figures.hourly.iter().map(|b| b.events).collect() },
                            Series { label: "Rejected", class: "bar-rejections", values: figures.hourly.iter().map(|b| b.rejections).collect() },
                        ]
                        what="requests"
                    />
                </section>
                <section class="card">
                    <h2>"Failed delivery attempts per hour"</h2>
                    <HourlyChart
                        hours=figures.hourly.iter().map(|b| b.start_ms).collect()
                        series=vec![
                            Series { label: "Failed attempts", class: "bar-failures", values: figures.hourly.iter().map(|b| b.failed_attempts).collect() },
                        ]
                        what="failures"
                    />
                </section>
            }
                .into_any()
        }}
    }
}

#[component]
fn Stat(
    label: &'static str,
    value: i64,
    #[prop(optional)] tone: &'static str,
    #[prop(optional, into)] text: Option<String>,
    #[prop(optional, into)] note: Option<String>,
) -> impl IntoView {
    let shown = text.unwrap_or_else(|| hookyard_core::money::group_thousands(value.max(0) as u64));
    view! {
        <div class=format!("stat {tone}")>
            <div class="stat-label">{label}</div>
            <div class="stat-value">{shown}</div>
            {note.map(|n| view! { <div class="stat-note">{n}</div> })}
        </div>
    }
}

/// Delivery health: failure rate, retries, exhausted deliveries, failing endpoints.
#[component]
fn DeliveryHealth(figures: Figures) -> impl IntoView {
    let rate = (figures.attempts_24h > 0).then(|| {
        format!(
            "{:.1} %",
            figures.failed_attempts_24h as f64 * 100.0 / figures.attempts_24h as f64
        )
    });
    let warn = |n: i64, tone: &'static str| if n > 0 { tone } else { "" };
    let recent = figures.recent_failures.clone();
    view! {
        <section class="stat-grid" aria-label="Deliveries">
            <Stat
                label="Failed attempts, 24 h"
                value=figures.failed_attempts_24h
                text=rate.unwrap_or_else(|| "no attempts".into())
                note=format!("{} of {} attempts", figures.failed_attempts_24h, figures.attempts_24h)
                tone=warn(figures.failed_attempts_24h, "warn")
            />
            <Stat label="Retrying" value=figures.retrying tone=warn(figures.retrying, "warn") />
            <Stat label="Failed deliveries" value=figures.failed tone=warn(figures.failed, "bad") />
            <Stat label="Failing endpoints" value=figures.failing_endpoints tone=warn(figures.failing_endpoints, "bad") />
        </section>
        {(!recent.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Recent failures" <a class="card-link" href="/failures">"All failures →"</a></h2>
                <ul class="recent-failures">
                    {recent.into_iter().map(|f| view! {
                        <li>
                            <Time ms=f.at />
                            " " <strong>{f.endpoint}</strong> ": " <span class="muted">{f.error}</span>
                            " " <a href=format!("/events/{}", f.event_id)>"event"</a>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

/// What a new user does next, in the order they need it.
#[component]
fn GettingStarted(has_sources: bool) -> impl IntoView {
    view! {
        <section class="card empty-state">
            <h2>"No events yet"</h2>
            <p>
                {if has_sources {
                    "A source is set up but nothing has arrived. Point your provider at its inbound URL, or send a signed sample:"
                } else {
                    "Hookyard has not received anything. Three steps to your first event:"
                }}
            </p>
            <ol class="steps">
                <li>
                    "Create a source for your provider: "
                    <code>"hookyard source add --slug stripe --scheme stripe"</code>
                </li>
                <li>
                    "Paste the inbound URL it prints ("<code>"http://HOST/hooks/stripe"</code>
                    ") and the signing secret into the provider's webhook settings."
                </li>
                <li>
                    "Or try it now with a signed sample: "
                    <code>"hookyard send --source stripe --type payment_intent.succeeded"</code>
                </li>
            </ol>
        </section>
    }
}

/// Bars per hour: accepted events, with refused requests stacked on top in the alert colour.
/// One stacked series of an hourly bar chart.
struct Series {
    label: &'static str,
    /// CSS class of its bars and legend swatch.
    class: &'static str,
    values: Vec<i64>,
}

/// Stacked bars, one per hour (oldest first), drawn as SVG by the app; `what` names the unit
/// in the summary people (and screen readers) get.
#[component]
fn HourlyChart(hours: Vec<i64>, series: Vec<Series>, what: &'static str) -> impl IntoView {
    const W: f64 = 720.0;
    const H: f64 = 160.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 22.0;
    let stack = |i: usize| series.iter().map(|s| s.values[i]).sum::<i64>();
    let max = (0..hours.len()).map(stack).max().unwrap_or(0).max(1);
    let slot = W / hours.len().max(1) as f64;
    let scale = (H - TOP - BOTTOM) / max as f64;
    let totals: Vec<String> = series
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s.values.iter().sum::<i64>(),
                s.label.to_lowercase()
            )
        })
        .collect();
    let peak = (0..hours.len()).map(stack).max().unwrap_or(0);
    let summary = if peak == 0 {
        format!("No {what} in the last 24 hours.")
    } else {
        format!(
            "{} in the last 24 hours; busiest hour {peak} {what}.",
            totals.join(", ")
        )
    };
    let bars = hours
        .iter()
        .enumerate()
        .map(|(i, start)| {
            let x = i as f64 * slot + slot * 0.15;
            let w = slot * 0.7;
            let hour = start.div_euclid(HOUR_MS).rem_euclid(24);
            let tip = format!(
                "{hour:02}:00 UTC — {}",
                series
                    .iter()
                    .map(|s| format!("{} {}", s.values[i], s.label.to_lowercase()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut top = H - BOTTOM;
            let rects = series
                .iter()
                .map(|s| {
                    let h = s.values[i] as f64 * scale;
                    top -= h;
                    view! { <rect class=s.class x=x y=top width=w height=h rx=2 /> }
                })
                .collect_view();
            let label = (i % 6 == 0).then(|| {
                view! {
                    <text class="axis" x=x + w / 2.0 y=H - 6.0 text-anchor="middle">
                        {format!("{hour:02}:00")}
                    </text>
                }
            });
            view! {
                <g>
                    <title>{tip}</title>
                    <rect class="bar-hit" x=i as f64 * slot y=TOP width=slot height=H - TOP - BOTTOM />
                    {rects}
                    {label}
                </g>
            }
        })
        .collect_view();
    let legend = series
        .iter()
        .map(|s| view! { <span class=format!("legend legend-{}", s.class)>{s.label}</span> })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary.clone()>
                <line class="baseline" x1=0 x2=W y1=H - BOTTOM y2=H - BOTTOM />
                <text class="axis" x=2 y=TOP - 2.0>{format!("{max}")}</text>
                {bars}
            </svg>
            <figcaption>
                {legend}
                <span class="muted">{summary}</span>
            </figcaption>
        </figure>
    }
}
