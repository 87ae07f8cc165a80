//! One event: what arrived, whether its signature held, where it went, and replay.

use hookyard_core::model::{DeliveryDetail, EventDetail};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

use crate::api::{get_event, ReplayEvent, RetryDelivery};
use crate::components::{
    can, human_duration, ActionResult, CopyButton, JsonTree, Loaded, ModeBadge, StatusBadge, Time,
};
use hookyard_core::access::Permission;

#[component]
pub fn Event() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    let replay = ServerAction::<ReplayEvent>::new();
    let retry = ServerAction::<RetryDelivery>::new();
    let event = Resource::new(
        move || (id(), replay.version().get(), retry.version().get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => get_event(id).await,
                None => Ok(None),
            }
        },
    );
    view! {
        <Loaded
            resource=event
            loading="Loading the event…"
            failed="Could not load the event."
            render={move |detail: Option<EventDetail>| match detail {
                    Some(detail) => view! { <EventView detail replay retry /> }.into_any(),
                    None => view! {
                        <Title text="Event not found" />
                        <section class="card empty-state">
                            <h1>"No such event"</h1>
                            <p>"It may have been mistyped, or never stored. The Events page lists every event."</p>
                            <a class="button" href="/events">"All events"</a>
                        </section>
                    }
                        .into_any(),
            }}
        />
    }
}

#[component]
fn EventView(
    detail: EventDetail,
    replay: ServerAction<ReplayEvent>,
    retry: ServerAction<RetryDelivery>,
) -> impl IntoView {
    let r = detail.row.clone();
    let curl = curl_command(&detail);
    let json: Option<Value> = detail
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok());
    let verified = detail
        .verified_secret_id
        .map(|id| format!("valid: matched secret #{id}"));
    let amount = detail.amount.map(|a| match &detail.currency {
        Some(c) => hookyard_core::money::format_minor(a, c),
        None => format!("{a} (minor units, no currency)"),
    });
    view! {
        <Title text=r.event_type.clone() />
        <header class="page-header event-header">
            <div>
                <p class="crumbs"><a href="/events">"Events"</a> " / " {r.id}</p>
                <h1>{r.event_type.clone()} " " <ModeBadge livemode=r.livemode /></h1>
                <p class="subtitle">
                    <span class="mono">{r.provider_event_id.clone()}</span>
                    " from " <strong>{r.source.clone()}</strong> " · received " <Time ms=r.received_at />
                </p>
            </div>
            {can(Permission::Operate).then(|| view! {
            <div class="header-actions">
                <ActionForm action=replay attr:class="replay-form">
                    <input type="hidden" name="event_id" value=r.id />
                    <label class="sr-only" for="replay-endpoint">"Replay to"</label>
                    <select id="replay-endpoint" name="endpoint">
                        <option value="" selected>"All subscribed endpoints"</option>
                        <EndpointOptions />
                    </select>
                    <button class="button" type="submit" disabled=move || replay.pending().get()>
                        {move || if replay.pending().get() { "Replaying…" } else { "Replay" }}
                    </button>
                </ActionForm>
            </div>
            })}
        </header>
        <ActionResult action=replay />
        <ActionResult action=retry />

        <section class="card">
            <h2>"Details"</h2>
            <dl class="facts">
                <dt>"Signature"</dt>
                <dd>{match verified {
                    Some(v) => view! { <span class="badge badge-ok">"✓ " {v}</span> }.into_any(),
                    None => view! { <span class="badge badge-neutral">"not recorded"</span> }.into_any(),
                }}</dd>
                <dt>"Source"</dt><dd>{r.source.clone()} <span class="muted">" (" {detail.scheme.clone()} " scheme)"</span></dd>
                <dt>"Body"</dt><dd>{format!("{} bytes", detail.body_size)}</dd>
                <dt>"Duplicates"</dt>
                <dd>{if r.duplicate_count == 0 {
                    "none".to_string()
                } else {
                    format!("{} repeat deliveries from the sender (answered 200, not stored again)", r.duplicate_count)
                }}</dd>
                {detail.object_id.clone().map(|o| view! { <dt>"Object"</dt><dd class="mono">{o} " " <span class="muted">{detail.object_type.clone()}</span></dd> })}
                {amount.map(|a| view! { <dt>"Amount"</dt><dd>{a}</dd> })}
                {detail.customer.clone().map(|c| view! { <dt>"Customer"</dt><dd class="mono">{c}</dd> })}
                {detail.status.clone().map(|s| view! { <dt>"Status"</dt><dd>{s}</dd> })}
            </dl>
        </section>

        {if detail.payload_withheld {
            view! {
                <section class="card">
                    <h2>"Payload and headers"</h2>
                    <p class="muted" data-testid="payload-withheld">"Not shown: your role (viewer) covers what arrived and how delivery went, not the contents. A developer, operator or admin can open them."</p>
                </section>
            }.into_any()
        } else {
            view! {
        <section class="card">
            <h2>"Payload"</h2>
            {match (&json, &detail.body) {
                (Some(value), _) => view! { <JsonTree value=value.clone() /> }.into_any(),
                (None, Some(_)) => view! { <p class="muted">"The body is not JSON; the raw bytes are below."</p> }.into_any(),
                (None, None) => view! {
                    <p class="muted" data-testid="purged">
                        "The payload and headers were purged by retention"
                        {detail.body_purged_at.map(|at| view! { " on " <Time ms=at /> })}
                        "; what arrived and how it was delivered is kept."
                    </p>
                }.into_any(),
            }}
            {detail.body.clone().map(|body| view! {
                <details class="raw">
                    <summary>"Raw body, exactly as received"</summary>
                    <pre class="code">{body}</pre>
                </details>
            })}
            <details class="raw">
                <summary>"Copy as curl"</summary>
                <CopyButton text=curl.clone() label="Copy command" />
                <pre class="code" data-testid="curl">{curl}</pre>
            </details>
        </section>

        <section class="card">
            <h2>"Headers"</h2>
            <table class="data compact">
                <tbody>
                    {detail.headers.iter().map(|(k, v)| view! {
                        <tr><th class="mono">{k.clone()}</th><td class="mono wrap">{v.clone()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">"Credentials (authorization, cookies, API keys) are masked when stored."</p>
        </section>

            }.into_any()
        }}

        <section class="card">
            <h2>"Deliveries"</h2>
            {if detail.deliveries.is_empty() {
                view! { <p class="muted">"No endpoint subscribed to this event type when it arrived. Create one on the Endpoints page, then replay."</p> }.into_any()
            } else {
                detail.deliveries.into_iter().map(|d| view! { <DeliveryCard d retry /> }).collect_view().into_any()
            }}
        </section>
    }
}

/// Every endpoint that can take a replay, as options of the replay target.
#[component]
fn EndpointOptions() -> impl IntoView {
    let endpoints = Resource::new(|| (), |_| crate::api::list_endpoints());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                endpoints
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|row| row.endpoint.state != "disabled")
                    .map(|row| view! { <option value=row.endpoint.id>{format!("Only {}", row.endpoint.name)}</option> })
                    .collect_view()
            })}
        </Suspense>
    }
}

#[component]
fn DeliveryCard(d: DeliveryDetail, retry: ServerAction<RetryDelivery>) -> impl IntoView {
    let delivery = d.delivery;
    let next = (delivery.status == "retrying").then_some(delivery.next_attempt_at);
    let attempts = d.attempts.into_iter().rev().map(|a| {
        let outcome = match (a.response_status, a.error_kind.clone()) {
            (Some(s), None) => format!("HTTP {s}"),
            (Some(s), Some(_)) => format!("HTTP {s}"),
            (None, Some(kind)) => kind,
            (None, None) => "no answer".into(),
        };
        let ok = a.response_status.is_some_and(|s| (200..300).contains(&s));
        view! {
            <li class=if ok { "attempt ok" } else { "attempt bad" }>
                <div class="attempt-head">
                    <strong>"#" {a.number}</strong>
                    <span class=if ok { "badge badge-ok" } else { "badge badge-bad" }>{outcome}</span>
                    <span class="muted">{a.trigger.clone()} {a.actor.clone().map(|who| format!(" by {who}"))}</span>
                    <Time ms=a.started_at />
                    <span class="muted">{human_duration(a.duration_ms)}</span>
                </div>
                {a.error_message.clone().map(|m| view! { <p class="attempt-error">{m}</p> })}
                {a.response_body.clone().filter(|b| !b.is_empty()).map(|b| view! {
                    <details><summary>"Response body"</summary><pre class="code">{b}</pre></details>
                })}
            </li>
        }
    }).collect_view();
    view! {
        <article class="delivery">
            <header class="delivery-head">
                <div>
                    <strong>{d.endpoint_name}</strong>
                    <span class="muted mono">" " {d.endpoint_url}</span>
                </div>
                <div class="delivery-state">
                    <StatusBadge status=delivery.status.clone() />
                    <span class="muted">{format!("{} attempt{}", delivery.attempts, if delivery.attempts == 1 { "" } else { "s" })}</span>
                    {next.map(|at| view! { <span class="muted">"next try " <Time ms=at /></span> })}
                    {can(Permission::Operate).then(|| view! {
                        <ActionForm action=retry>
                            <input type="hidden" name="delivery_id" value=delivery.id />
                            <button class="button button-quiet" type="submit">"Retry now"</button>
                        </ActionForm>
                    })}
                </div>
            </header>
            <ol class="attempts">{attempts}</ol>
        </article>
    }
}

/// A curl command that sends the stored request again (signed headers included; a timestamped
/// signature will be refused once it is older than the source's tolerance).
fn curl_command(d: &EventDetail) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut cmd = format!("curl -X POST http://127.0.0.1:3000/hooks/{}", d.row.source);
    for (k, v) in &d.headers {
        if matches!(
            k.as_str(),
            "host" | "content-length" | "connection" | "accept-encoding"
        ) {
            continue;
        }
        cmd.push_str(&format!(" \\\n  -H {}", quote(&format!("{k}: {v}"))));
    }
    if let Some(body) = &d.body {
        cmd.push_str(&format!(" \\\n  --data-binary {}", quote(body)));
    }
    cmd
}
