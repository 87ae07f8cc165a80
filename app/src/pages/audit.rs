//! Audit log: who did what, newest first, with filters in the URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use hookyard_core::access::AuditEntry;

use crate::api_access::{list_audit, AuditPage, AuditQuery};
use crate::components::{with_query, Loaded, Time};

/// The kinds of action, by prefix, for the filter.
const ACTIONS: &[(&str, &str)] = &[
    ("login.", "sign-ins"),
    ("logout", "sign-outs"),
    ("user.", "users"),
    ("token.", "API tokens"),
    ("endpoint.", "endpoints"),
    ("source.", "sources"),
    ("delivery.", "retries and cancels"),
    ("event.", "replays"),
    ("bulk_replay.", "bulk replays"),
    ("secrets.", "master key"),
    ("alert.", "alerts"),
];

fn query_from_url(q: &leptos_router::params::ParamsMap) -> AuditQuery {
    let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
    AuditQuery {
        actor: get("actor"),
        action: get("action"),
        range: get("range"),
        before: get("before").and_then(|b| b.parse().ok()),
    }
}

fn url_with(query: &AuditQuery, before: Option<i64>) -> String {
    let before = before.map(|b| b.to_string());
    with_query(
        "/audit",
        &[
            ("actor", &query.actor),
            ("action", &query.action),
            ("range", &query.range),
            ("before", &before),
        ],
    )
}

#[component]
pub fn Audit() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| query_from_url(&params.read()));
    let page = Resource::new(move || query.get(), list_audit);
    view! {
        <Title text="Audit log" />
        <header class="page-header">
            <h1>"Audit log"</h1>
            <p class="subtitle">"Sign-ins, replays, bulk actions and every change to endpoints, sources, secrets, users and tokens. Append-only. Times in UTC."</p>
        </header>
        <Loaded resource=page loading="Loading the audit log…" failed="Could not load the audit log." render={move |page: AuditPage| {
            let query = query.get_untracked();
            view! { <Filters query=query.clone() actors=page.actors.clone() /> <Entries page query /> }
        }} />
    }
}

#[component]
fn Filters(query: AuditQuery, actors: Vec<String>) -> impl IntoView {
    let actor = query.actor.clone().unwrap_or_default();
    let action = query.action.clone().unwrap_or_default();
    let range = query.range.clone().unwrap_or_default();
    view! {
        <form class="filters card" method="get" action="/audit" role="search">
            <label>
                <span>"Who"</span>
                <select name="actor">
                    <option value="">"anyone"</option>
                    {actors.into_iter().map(|a| {
                        let selected = a == actor;
                        view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span>"What"</span>
                <select name="action">
                    <option value="">"everything"</option>
                    {ACTIONS.iter().map(|(prefix, label)| view! {
                        <option value=*prefix selected=action == *prefix>{*label}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span>"When"</span>
                <select name="range">
                    <option value="" selected=range.is_empty()>"any time"</option>
                    <option value="24h" selected=range == "24h">"last 24 hours"</option>
                    <option value="7d" selected=range == "7d">"last 7 days"</option>
                    <option value="30d" selected=range == "30d">"last 30 days"</option>
                </select>
            </label>
            <div class="filter-actions">
                <button class="button" type="submit">"Filter"</button>
                <a class="button button-quiet" href="/audit">"Clear"</a>
            </div>
        </form>
    }
}

#[component]
fn Entries(page: AuditPage, query: AuditQuery) -> impl IntoView {
    let filtered = query.actor.is_some() || query.action.is_some() || query.range.is_some();
    if page.entries.is_empty() {
        return view! {
            <section class="card empty-state">
                <h2>{if filtered { "Nothing matches these filters" } else { "Nothing recorded yet" }}</h2>
                <p>"Sign-ins and every change made from the dashboard, the API or the command line appear here."</p>
            </section>
        }
        .into_any();
    }
    let next = page.next.map(|id| url_with(&query, Some(id)));
    let first = query.before.is_some().then(|| url_with(&query, None));
    view! {
        <div class="table-wrap card">
            <table class="data audit">
                <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"On"</th><th>"Details"</th></tr></thead>
                <tbody>
                    {page.entries.into_iter().map(|e| view! { <EntryLine e /> }).collect_view()}
                </tbody>
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
fn EntryLine(e: AuditEntry) -> impl IntoView {
    let tone = if e.action.ends_with("failed")
        || e.action.ends_with("rate_limited")
        || e.action.contains("disabled")
    {
        "action-tag bad"
    } else {
        "action-tag"
    };
    view! {
        <tr>
            <td class="nowrap"><Time ms=e.at /></td>
            <td class="mono">{e.actor}</td>
            <td><span class=tone>{e.action}</span></td>
            <td class="mono wrap">{e.target}</td>
            <td class="mono wrap small">{details(&e.detail)}</td>
        </tr>
    }
}

/// The detail JSON as `key: value` pairs, or nothing for `{}`.
fn details(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(map)) => map
            .iter()
            .filter(|(_, v)| !matches!(v, serde_json::Value::String(s) if s.is_empty()))
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                // Times are kept in milliseconds; people read dates.
                serde_json::Value::Number(n) if k.ends_with("_at") || k.ends_with("_until") => {
                    let at = n.as_i64().map(hookyard_core::time::format_utc);
                    format!("{k}: {}", at.unwrap_or_else(|| n.to_string()))
                }
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(" · "),
        Ok(other) => other.to_string(),
        Err(_) => json.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_pairs() {
        assert_eq!(details("{}"), "");
        assert_eq!(
            details(r#"{"ip":"127.0.0.1","count":3}"#),
            "count: 3 · ip: 127.0.0.1"
        );
        assert_eq!(details("not json"), "not json");
        assert_eq!(details(r#"{"reason":""}"#), "");
        assert_eq!(
            details(r#"{"previous_valid_until":0}"#),
            format!(
                "previous_valid_until: {}",
                hookyard_core::time::format_utc(0)
            )
        );
    }
}
