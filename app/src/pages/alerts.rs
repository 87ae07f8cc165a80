//! Alerts: what went wrong (or right again) with endpoints and watched event types, whether
//! each alert reached the alert URL, and how alerting is set up.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use hookyard_core::access::Permission;
use hookyard_core::alerts::{format_window, Alert, AlertKind, QuietStatus};

use crate::api_alerts::{list_alerts, AlertQuery, AlertsPage};
use crate::components::{can, with_query, Loaded, Time};

fn query_from_url(q: &leptos_router::params::ParamsMap) -> AlertQuery {
    AlertQuery {
        kind: q.get("kind").filter(|v| !v.is_empty()),
        before: q.get("before").and_then(|b| b.parse().ok()),
    }
}

fn url_with(query: &AlertQuery, before: Option<i64>) -> String {
    let before = before.map(|b| b.to_string());
    with_query("/alerts", &[("kind", &query.kind), ("before", &before)])
}

#[component]
pub fn Alerts() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| query_from_url(&params.read()));
    let page = Resource::new(move || query.get(), list_alerts);
    view! {
        <Title text="Alerts" />
        <header class="page-header">
            <h1>"Alerts"</h1>
            <p class="subtitle">"Endpoints that start failing, are disabled or recover, and expected event types that go quiet. Each alert is kept here and sent as a signed webhook when an alert URL is set."</p>
        </header>
        <Loaded resource=page loading="Loading alerts…" failed="Could not load alerts." render={move |page: AlertsPage| {
            let query = query.get_untracked();
            view! {
                <Setup page=page.clone() />
                <Kinds query=query.clone() />
                <List page query />
            }
        }} />
    }
}

/// Where alerts go and what raises them.
#[component]
fn Setup(page: AlertsPage) -> impl IntoView {
    let destination = match page.destination {
        Some(url) => view! {
            <span class="mono">{url}</span>
            " "
            <span class="muted">"(signed with Standard Webhooks headers; body fields "<code>"type"</code>", "<code>"text"</code>", "<code>"data"</code>")"</span>
        }
        .into_any(),
        None => view! {
            <span>"Nowhere: alerts are kept on this page only. Set "<code>"HOOKYARD_ALERT_URL"</code>" and "<code>"HOOKYARD_ALERT_SECRET"</code>" ("<code>"hookyard generate-alert-secret"</code>") on "<code>"hookyard serve"</code>" to send them."</span>
        }
        .into_any(),
    };
    let watched = if page.quiet.is_empty() {
        view! {
            <p class="muted">"No event types are watched. "<code>"HOOKYARD_ALERT_QUIET=invoice.paid=6h,charge.succeeded=30m"</code>" raises an alert when one of them stops arriving for that long."</p>
        }
        .into_any()
    } else {
        view! {
            <div class="table-wrap"><table class="data">
                <thead><tr><th>"Event type"</th><th>"Alert after"</th><th>"Last received"</th><th>"Now"</th></tr></thead>
                <tbody>{page.quiet.into_iter().map(|q| view! { <QuietLine q /> }).collect_view()}</tbody>
            </table></div>
        }
        .into_any()
    };
    view! {
        <section class="card">
            <h2>"How alerting is set up"</h2>
            <dl class="facts">
                <dt>"Sent to"</dt>
                <dd>{destination}</dd>
                <dt>"Endpoint failing"</dt>
                <dd>{format!("after {} in a row; \u{201c}recovered\u{201d} at the next success", if page.after_failures == 1 { "1 failed attempt".to_string() } else { format!("{} failed attempts", page.after_failures) })}</dd>
                <dt>"Endpoint disabled"</dt>
                <dd>"whenever an endpoint is disabled, automatically or by a person"</dd>
            </dl>
            <h3>"Watched event types"</h3>
            {watched}
        </section>
    }
}

#[component]
fn QuietLine(q: QuietStatus) -> impl IntoView {
    let now = match q.quiet_since {
        Some(_) => view! { <span class="badge badge-bad">"quiet"</span> }.into_any(),
        None => view! { <span class="badge badge-ok">"arriving"</span> }.into_any(),
    };
    view! {
        <tr>
            <td><a class="mono" href=with_query("/events", &[("type", &Some(q.event_type.clone()))])>{q.event_type.clone()}</a></td>
            <td>{format!("{} without one", format_window(q.window_ms))}</td>
            <td>{match q.last_seen {
                Some(ms) => view! { <Time ms /> }.into_any(),
                None => view! { <span class="muted">"never"</span> }.into_any(),
            }}</td>
            <td>{now}</td>
        </tr>
    }
}

/// Filter by kind, as links.
#[component]
fn Kinds(query: AlertQuery) -> impl IntoView {
    let current = query.kind.clone().unwrap_or_default();
    let link = move |kind: Option<AlertKind>, label: &'static str| {
        let value = kind.map(|k| k.as_str().to_string());
        let selected = value.clone().unwrap_or_default() == current;
        let href = with_query("/alerts", &[("kind", &value)]);
        view! {
            <a class=if selected { "chip chip-on" } else { "chip" } href=href aria-current=selected.then_some("page")>{label}</a>
        }
    };
    view! {
        <nav class="chips" aria-label="Kinds of alert">
            {link(None, "all")}
            {AlertKind::ALL.into_iter().map(|k| link(Some(k), k.label())).collect_view()}
        </nav>
    }
}

#[component]
fn List(page: AlertsPage, query: AlertQuery) -> impl IntoView {
    if page.alerts.is_empty() {
        let filtered = query.kind.is_some() || query.before.is_some();
        return view! {
            <section class="card empty-state">
                <h2>{if filtered { "No alerts of this kind" } else { "No alerts yet" }}</h2>
                <p>{format!("Nothing has gone wrong that alerting watches. An endpoint that fails {} times in a row, an endpoint that gets disabled, or a watched event type that goes quiet shows up here.", page.after_failures)}</p>
            </section>
        }
        .into_any();
    }
    let next = page.next.map(|id| url_with(&query, Some(id)));
    let first = query.before.is_some().then(|| url_with(&query, None));
    view! {
        <div class="table-wrap card">
            <table class="data alerts">
                <thead><tr><th>"When"</th><th>"What"</th><th>"About"</th><th>"Alert"</th><th>"Sent"</th></tr></thead>
                <tbody>{page.alerts.into_iter().map(|a| view! { <AlertLine a /> }).collect_view()}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            {first.map(|href| view! { <a class="button button-quiet" href=href>"Newest"</a> })}
            {next.map(|href| view! { <a class="button button-quiet" href=href>"Older"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn AlertLine(a: Alert) -> impl IntoView {
    let kind = a.kind();
    let badge = match kind {
        Some(k) if k.is_trouble() => "badge badge-bad",
        Some(_) => "badge badge-ok",
        None => "badge badge-neutral",
    };
    let label = kind.map(|k| k.label()).unwrap_or("other");
    let about = about(&a);
    let sent = sent(&a);
    view! {
        <tr>
            <td class="nowrap"><Time ms=a.created_at /></td>
            <td><span class=badge title=a.kind.clone()>{label}</span></td>
            <td>{about}</td>
            <td class="wrap">{a.message.clone()}</td>
            <td class="small">{sent}</td>
        </tr>
    }
}

/// A link to what the alert is about.
fn about(a: &Alert) -> AnyView {
    if let Some(id) = a.endpoint_id() {
        let name = serde_json::from_str::<serde_json::Value>(&a.detail)
            .ok()
            .and_then(|d| d["endpoint"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("endpoint {id}"));
        let href = if can(Permission::Administer) {
            format!("/endpoints/{id}")
        } else {
            "/endpoints".to_string()
        };
        return view! { <a href=href>{name}</a> }.into_any();
    }
    if let Some(t) = a.event_type() {
        let href = with_query("/events", &[("type", &Some(t.to_string()))]);
        return view! { <a class="mono" href=href>{t.to_string()}</a> }.into_any();
    }
    view! { <span class="mono">{a.subject.clone()}</span> }.into_any()
}

/// Whether the alert reached the alert URL, in words.
fn sent(a: &Alert) -> AnyView {
    let error = a.last_send_error.clone().unwrap_or_default();
    match a.send_state.as_str() {
        "sent" => view! {
            <span class="badge badge-ok">"sent"</span>
            {a.sent_at.map(|ms| view! { " " <Time ms /> })}
        }
        .into_any(),
        "pending" if a.send_attempts == 0 => view! { <span class="badge badge-neutral">"sending…"</span> }.into_any(),
        "pending" => view! {
            <span class="badge badge-warn">"retrying"</span>
            <div class="muted">{format!("{} failed tries; next ", a.send_attempts)}<Time ms=a.next_send_at /></div>
            <div class="muted wrap">{error}</div>
        }
        .into_any(),
        "failed" => view! {
            <span class="badge badge-bad">"not delivered"</span>
            <div class="muted">{format!("gave up after {} tries", a.send_attempts)}</div>
            <div class="muted wrap">{error}</div>
        }
        .into_any(),
        _ => view! { <span class="muted" title="No alert URL was configured when it was raised">"not sent (no alert URL)"</span> }.into_any(),
    }
}
