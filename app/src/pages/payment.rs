//! One payment: where it stands, and the timeline of the events it was folded from, each
//! linking to the raw event.

use hookyard_core::payments::{PaymentDetail, TimelineRow, Verdict};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::payments::money;
use crate::api_payments::get_payment;
use crate::components::{Loaded, ModeBadge, StatusBadge, Time};

#[component]
pub fn Payment() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    let payment = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_payment(id).await,
            None => Ok(None),
        }
    });
    view! {
        <Loaded
            resource=payment
            loading="Loading the payment…"
            failed="Could not load the payment."
            render={move |detail: Option<PaymentDetail>| match detail {
                Some(detail) => view! { <PaymentView detail /> }.into_any(),
                None => view! {
                    <Title text="Payment not found" />
                    <section class="card empty-state">
                        <h1>"No such payment"</h1>
                        <p>"It may have been mistyped, or its events have not arrived. The Payments page lists every payment."</p>
                        <a class="button" href="/payments">"All payments"</a>
                    </section>
                }
                    .into_any(),
            }}
        />
    }
}

#[component]
fn PaymentView(detail: PaymentDetail) -> impl IntoView {
    let p = detail.row;
    let currency = p.currency.clone();
    let amount = money(p.amount, currency.as_deref());
    let fact = |label: &'static str, value: Option<String>| {
        value.map(|v| view! { <dt>{label}</dt> <dd>{v}</dd> })
    };
    let refunded =
        (p.amount_refunded > 0).then(|| money(Some(p.amount_refunded), currency.as_deref()));
    let disputed = p.dispute.map(|d| {
        format!(
            "{} ({})",
            money(Some(p.amount_disputed), currency.as_deref()),
            d.as_str().replace('_', " ")
        )
    });
    let stale = detail
        .timeline
        .iter()
        .filter(|t| t.verdict == Verdict::Stale)
        .count();
    view! {
        <Title text=format!("Payment {}", p.key) />
        <header class="page-header">
            <p class="crumbs"><a href="/payments">"Payments"</a> " / " {p.key.clone()}</p>
            <h1 class="payment-title">
                <span>{amount}</span> " "
                <StatusBadge status=p.status.as_str().to_string() /> " "
                <ModeBadge livemode=p.livemode />
            </h1>
            <p class="subtitle">
                <span class="mono">{p.key.clone()}</span>
                " from " <strong>{p.source.clone()}</strong>
                " · created " <Time ms=p.created_at />
                " · last event " <Time ms=p.updated_at />
            </p>
        </header>
        <section class="card">
            <dl class="facts">
                {fact("Customer", p.customer.clone())}
                {fact("Description", p.description.clone())}
                {fact("Provider status", p.provider_status.clone())}
                {fact("Refunded", refunded)}
                {fact("Disputed", disputed)}
                {fact("Failure", p.failure_message.clone())}
                {fact("Kind", Some(p.kind.as_str().replace('_', " ")))}
                {fact("Events", Some(p.event_count.to_string()))}
            </dl>
        </section>
        <section class="card">
            <h2>"Timeline"</h2>
            <p class="muted">
                "Ordered by the provider's event time. "
                {(stale > 0).then(|| format!(
                    "{stale} event{} arrived after a newer one (stale): counted, but never allowed to move the status backwards.",
                    if stale == 1 { "" } else { "s" }
                ))}
            </p>
            <div class="table-wrap">
                <table class="data timeline">
                    <thead>
                        <tr>
                            <th>"Provider time"</th>
                            <th>"Event"</th>
                            <th>"Reported status"</th>
                            <th class="num">"Amount"</th>
                            <th>"Taken as"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {detail.timeline.into_iter().map(|t| view! { <TimelineLine t currency=currency.clone() /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn TimelineLine(t: TimelineRow, currency: Option<String>) -> impl IntoView {
    let href = format!("/events/{}", t.event_id);
    let (verdict_class, verdict_text, verdict_tip) = match t.verdict {
        Verdict::Applied => ("badge badge-ok", "applied", "Folded in, in order"),
        Verdict::Stale => (
            "badge badge-warn",
            "stale",
            "Older than an event already folded in: its facts count, but it did not move the status backwards",
        ),
        Verdict::Duplicate => (
            "badge badge-neutral",
            "duplicate",
            "The provider sent this event before: nothing changed",
        ),
    };
    let repeats = (t.repeats > 0).then(|| {
        view! {
            <div class="muted small">
                {format!("delivered {} more time{}, counted once", t.repeats, if t.repeats == 1 { "" } else { "s" })}
            </div>
        }
    });
    view! {
        <tr class=format!("verdict-{}", t.verdict.as_str())>
            <td class="nowrap"><Time ms=t.at_ms /></td>
            <td>
                <a href=href.clone() class="event-type">{t.event_type.clone()}</a>
                <div class="mono muted small"><a href=href>{t.provider_event_id.clone()}</a></div>
            </td>
            <td>{t.reported_status.map(|s| view! { <StatusBadge status=s.as_str().to_string() /> })}</td>
            <td class="num nowrap">{t.amount.map(|a| money(Some(a), t.currency.as_deref().or(currency.as_deref())))}</td>
            <td><span class=verdict_class title=verdict_tip>{verdict_text}</span>{repeats}</td>
        </tr>
    }
}
