//! Events: every accepted webhook, newest first, with filters that live in the URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use hookyard_core::model::EventRow;

use crate::api::{list_events, EventPage, EventQuery};
use crate::components::{can, Loaded, ModeBadge, Time};
use hookyard_core::access::Permission;

/// The filters of the current URL.
fn query_from_url(q: &leptos_router::params::ParamsMap) -> EventQuery {
    let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
    EventQuery {
        source: get("source"),
        event_type: get("type"),
        status: get("status"),
        id: get("id"),
        q: get("q"),
        range: get("range"),
        before: get("before"),
    }
}

/// The URL of the same filters, on another page (or the first, with `before: None`).
fn url_with(query: &EventQuery, before: Option<String>) -> String {
    filtered("/events", query, before)
}

/// `path` with the filters of `query` (and a cursor).
fn filtered(path: &str, query: &EventQuery, before: Option<String>) -> String {
    let pairs = [
        ("source", &query.source),
        ("type", &query.event_type),
        ("status", &query.status),
        ("id", &query.id),
        ("q", &query.q),
        ("range", &query.range),
        ("before", &before),
    ];
    crate::components::with_query(path, &pairs)
}

#[component]
pub fn Events() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| query_from_url(&params.read()));
    let page = Resource::new(move || query.get(), list_events);
    view! {
        <Title text="Events" />
        <header class="page-header">
            <h1>"Events"</h1>
            <p class="subtitle">"Every accepted webhook, newest first. Times in UTC."</p>
        </header>
        <FilterForm query=query />
        <LiveTail query=query />
        <Loaded
            resource=page
            loading="Loading events…"
            failed="Could not load events."
            render={move |page: EventPage| view! { <EventTable page query=query.get_untracked() /> }}
        />
    }
}

/// A plain GET form: works before hydration, and every filter ends up in the URL.
#[component]
fn FilterForm(query: Memo<EventQuery>) -> impl IntoView {
    let value = move |f: fn(&EventQuery) -> &Option<String>| {
        move || f(&query.get()).clone().unwrap_or_default()
    };
    let selected =
        move |option: &'static str| move || query.get().status.as_deref() == Some(option);
    let range_is =
        move |option: &'static str| move || query.get().range.as_deref().unwrap_or("") == option;
    view! {
        <form class="filters card" method="get" action="/events" role="search">
            <label>
                <span>"Type"</span>
                <input name="type" list="known-types" placeholder="charge.* or invoice.paid" value=value(|q| &q.event_type) />
                <TypeSuggestions />
            </label>
            <label>
                <span>"Source"</span>
                <input name="source" placeholder="stripe" value=value(|q| &q.source) />
            </label>
            <label>
                <span>"Provider or object id"</span>
                <input name="id" placeholder="evt_… or pi_…" value=value(|q| &q.id) />
            </label>
            {can(Permission::ReadPayloads).then(|| view! {
                <label class="grow">
                    <span>"Search in payloads"</span>
                    <input name="q" type="search" placeholder="any value, e.g. cus_9Yx or order-6735" value=value(|q| &q.q) />
                </label>
            })}
            <label>
                <span>"Deliveries"</span>
                <select name="status">
                    <option value="">"any"</option>
                    <option value="failed" selected=selected("failed")>"failed"</option>
                    <option value="retrying" selected=selected("retrying")>"retrying"</option>
                    <option value="pending" selected=selected("pending")>"pending"</option>
                    <option value="held" selected=selected("held")>"held"</option>
                    <option value="succeeded" selected=selected("succeeded")>"succeeded"</option>
                </select>
            </label>
            <label>
                <span>"Received"</span>
                <select name="range">
                    <option value="" selected=range_is("")>"any time"</option>
                    <option value="1h" selected=range_is("1h")>"last hour"</option>
                    <option value="24h" selected=range_is("24h")>"last 24 hours"</option>
                    <option value="7d" selected=range_is("7d")>"last 7 days"</option>
                    <option value="30d" selected=range_is("30d")>"last 30 days"</option>
                </select>
            </label>
            <div class="filter-actions">
                <button class="button" type="submit">"Filter"</button>
                <a class="button button-quiet" href="/events">"Clear"</a>
            </div>
            <div class="export-links">
                <span class="muted">"Export these events:"</span>
                <a href=move || filtered("/export/events.csv", &query.get(), None) download>"CSV"</a>
                {can(Permission::ReadPayloads).then(|| view! {
                    <a href=move || filtered("/export/events.ndjson", &query.get(), None) download>"NDJSON with payloads"</a>
                })}
            </div>
        </form>
    }
}

#[component]
fn EventTable(page: EventPage, query: EventQuery) -> impl IntoView {
    let filtered = query != EventQuery::default();
    let next = page
        .next
        .map(|(at, id)| url_with(&query, Some(format!("{at}_{id}"))));
    let first = query.before.is_some().then(|| url_with(&query, None));
    let note = page.search_window.map(|w| {
        view! { <p class="muted">"Payload search looks at " {w} "; choose a time range to search further back."</p> }
    });
    if page.rows.is_empty() {
        return view! {
            {note}
            <section class="card empty-state">
                <h2>{if filtered { "No events match these filters" } else { "No events yet" }}</h2>
                <p>
                    {if filtered {
                        "Loosen a filter or clear them all."
                    } else {
                        "Events appear here as soon as a provider sends one. Try: hookyard send --source stripe"
                    }}
                </p>
            </section>
        }
            .into_any();
    }
    let rows = page
        .rows
        .into_iter()
        .map(|row| view! { <EventLine row /> })
        .collect_view();
    view! {
        {note}
        <div class="table-wrap card">
            <table class="data">
                <thead>
                    <tr>
                        <th>"Received"</th>
                        <th>"Source"</th>
                        <th>"Type"</th>
                        <th>"Provider id"</th>
                        <th>"Deliveries"</th>
                        <th class="num" title="Repeated deliveries of the same event, answered 200 and not stored again">"Dupes"</th>
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

/// The event types seen so far, and their prefixes (`charge.*`), as the Type field's suggestions.
#[component]
fn TypeSuggestions() -> impl IntoView {
    let types = Resource::new(|| (), |_| crate::api::known_event_types());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let types: Vec<String> = types.await.unwrap_or_default();
                let mut prefixes: Vec<String> = types
                    .iter()
                    .filter_map(|t| t.rsplit_once('.').map(|(p, _)| format!("{p}.*")))
                    .collect();
                prefixes.sort();
                prefixes.dedup();
                view! {
                    <datalist id="known-types">
                        {types.into_iter().chain(prefixes).map(|t| view! { <option value=t /> }).collect_view()}
                    </datalist>
                }
            })}
        </Suspense>
    }
}

/// One event as a table row.
#[component]
fn EventLine(row: EventRow) -> impl IntoView {
    let r = row;
    let href = format!("/events/{}", r.id);
    view! {
        <tr>
            <td class="nowrap"><a href=href.clone()><Time ms=r.received_at /></a></td>
            <td>{r.source}</td>
            <td><a href=href class="event-type">{r.event_type}</a> " " <ModeBadge livemode=r.livemode /></td>
            <td class="mono ellipsis" title=r.provider_event_id.clone()>{r.provider_event_id.clone()}</td>
            <td><DeliverySummary total=r.deliveries_total ok=r.deliveries_succeeded failing=r.deliveries_failing waiting=r.deliveries_pending /></td>
            <td class="num">{(r.duplicate_count > 0).then(|| r.duplicate_count.to_string())}</td>
        </tr>
    }
}

/// A toggle that streams events arriving while the page is open (server-sent events from
/// `/live/events`, with the page's filters) into a table above the others.
#[component]
fn LiveTail(query: Memo<EventQuery>) -> impl IntoView {
    let (on, set_on) = signal(false);
    let (connected, set_connected) = signal(false);
    let (gap, set_gap) = signal(false);
    let rows = RwSignal::new(Vec::<EventRow>::new());
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::{closure::Closure, JsCast};
        use leptos::web_sys::{EventSource, MessageEvent};
        let source = StoredValue::new_local(None::<EventSource>);
        let close = move || {
            if let Some(es) = source.get_value() {
                es.close();
            }
            source.set_value(None);
        };
        Effect::new(move |_| {
            let q = query.get();
            close();
            set_connected.set(false);
            rows.set(Vec::new());
            if !on.get() {
                return;
            }
            let mut url = url_with(
                &EventQuery {
                    before: None,
                    range: None,
                    ..q
                },
                None,
            );
            url.replace_range(..("/events".len()), "/live/events");
            // From when this page was loaded, so nothing between its rendering and the toggle
            // is missed (rows also in the table below are shown again: harmless).
            if let Some(loaded) = leptos::prelude::window()
                .performance()
                .map(|p| p.time_origin() as i64)
            {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&format!("since={}", loaded - 1_000));
            }
            set_gap.set(false);
            let Ok(es) = EventSource::new(&url) else {
                return;
            };
            let on_event = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                if let Some(row) = ev
                    .data()
                    .as_string()
                    .and_then(|text| serde_json::from_str::<EventRow>(&text).ok())
                {
                    rows.update(|r| {
                        // A reconnect can send an event again.
                        if !r.iter().any(|seen| seen.id == row.id) {
                            r.insert(0, row);
                            r.truncate(200);
                        }
                    });
                }
            });
            let on_ready = Closure::<dyn FnMut()>::new(move || set_connected.set(true));
            let on_gap = Closure::<dyn FnMut()>::new(move || set_gap.set(true));
            let on_error = Closure::<dyn FnMut()>::new(move || set_connected.set(false));
            let _ = es.add_event_listener_with_callback("event", on_event.as_ref().unchecked_ref());
            let _ = es.add_event_listener_with_callback("ready", on_ready.as_ref().unchecked_ref());
            let _ = es.add_event_listener_with_callback("gap", on_gap.as_ref().unchecked_ref());
            es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            // The browser owns the listeners from here; they go with the EventSource.
            on_event.forget();
            on_ready.forget();
            on_gap.forget();
            on_error.forget();
            source.set_value(Some(es));
        });
        on_cleanup(close);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (query, set_connected, set_gap);
    let status = move || match (on.get(), connected.get()) {
        (false, _) => "Off: turn it on to see new events as they arrive.",
        (true, false) => "Connecting…",
        (true, true) => "Watching: new events matching these filters appear here.",
    };
    view! {
        <div class="live-bar">
            <button
                type="button"
                class="button button-quiet"
                class:live-on=move || on.get()
                aria-pressed=move || if on.get() { "true" } else { "false" }
                on:click=move |_| set_on.update(|v| *v = !*v)
            >
                {move || if on.get() { "● Live tail on" } else { "Live tail" }}
            </button>
            <span class="muted" role="status" data-testid="live-status">{status}</span>
        </div>
        {move || gap.get().then(|| view! {
            <div class="alert alert-warn" role="status">
                "Events are arriving faster than the live tail shows them. "
                <a href="">"Reload"</a> " for the complete list."
            </div>
        })}
        {move || {
            let new = rows.get();
            (!new.is_empty()).then(|| view! {
                <div class="table-wrap card live-rows">
                    <table class="data" data-testid="live-rows">
                        <caption>{format!("{} new since the live tail started", new.len())}</caption>
                        <tbody>{new.into_iter().map(|row| view! { <EventLine row /> }).collect_view()}</tbody>
                    </table>
                </div>
            })
        }}
    }
}

/// "2/3 delivered · 1 failing", in words and colours.
#[component]
fn DeliverySummary(total: i64, ok: i64, failing: i64, waiting: i64) -> impl IntoView {
    if total == 0 {
        return view! { <span class="muted">"no endpoint"</span> }.into_any();
    }
    view! {
        <span class="delivery-summary">
            <span class=if ok == total { "badge badge-ok" } else { "badge badge-neutral" }>{format!("{ok}/{total} delivered")}</span>
            {(failing > 0).then(|| view! { " " <span class="badge badge-bad">{format!("{failing} failing")}</span> })}
            {(waiting > 0).then(|| view! { " " <span class="badge badge-warn">{format!("{waiting} waiting")}</span> })}
        </span>
    }
        .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_filters_and_encode_values() {
        let q = EventQuery {
            event_type: Some("charge.*".into()),
            q: Some("a b&c".into()),
            ..Default::default()
        };
        assert_eq!(url_with(&q, None), "/events?type=charge.*&q=a%20b%26c");
        assert_eq!(
            url_with(&q, Some("5_7".into())),
            "/events?type=charge.*&q=a%20b%26c&before=5_7"
        );
        assert_eq!(url_with(&EventQuery::default(), None), "/events");
    }
}
