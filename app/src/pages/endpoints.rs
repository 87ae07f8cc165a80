//! Endpoints: where events go, how each has fared over the last day, and its state.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_endpoints, EndpointRow, SetEndpointState};
use crate::components::{can, ActionResult, Loaded, StatusBadge, Time};
use hookyard_core::access::Permission;

#[component]
pub fn Endpoints() -> impl IntoView {
    let set_state = ServerAction::<SetEndpointState>::new();
    let endpoints = Resource::new(move || set_state.version().get(), |_| list_endpoints());
    view! {
        <Title text="Endpoints" />
        <header class="page-header event-header">
            <div>
                <h1>"Endpoints"</h1>
                <p class="subtitle">"Your handlers: what each receives, how it fared in the last 24 hours, its state."</p>
            </div>
            {can(Permission::Administer).then(|| view! {
                <div class="header-actions">
                    <a class="button" href="/endpoints/new">"New endpoint"</a>
                </div>
            })}
        </header>
        <ActionResult action=set_state />
        <Loaded resource=endpoints loading="Loading endpoints…" failed="Could not load endpoints." render={move |list: Vec<EndpointRow>| match list {
            list if list.is_empty() => view! {
                <section class="card empty-state">
                    <h2>"No endpoints yet"</h2>
                    <p>"An endpoint is a handler URL that receives the event types it subscribes to."</p>
                    {can(Permission::Administer).then(|| view! {
                        <p><a class="button" href="/endpoints/new">"Create the first endpoint"</a></p>
                    })}
                </section>
            }.into_any(),
            list => view! {
                <div class="table-wrap card">
                    <table class="data">
                        <thead><tr>
                            <th>"Endpoint"</th><th>"Event types"</th><th>"State"</th>
                            <th class="num">"Success, 24 h"</th><th>"Last error"</th><th>"Actions"</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|row| view! { <EndpointLine row set_state /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any(),
        }} />
    }
}

#[component]
fn EndpointLine(row: EndpointRow, set_state: ServerAction<SetEndpointState>) -> impl IntoView {
    let e = row.endpoint;
    let h = row.health;
    let admin = can(Permission::Administer);
    let (label, target) = if e.state == "enabled" {
        ("Pause", "paused")
    } else {
        ("Resume", "enabled")
    };
    let rate = (h.attempts > 0).then(|| h.succeeded * 100 / h.attempts);
    let tone = match rate {
        Some(100) => "health-bar ok-text",
        Some(r) if r >= 90 => "health-bar warn-text",
        Some(_) => "health-bar bad-text",
        None => "health-bar muted",
    };
    view! {
        <tr>
            <td>
                {if admin {
                    view! { <a href=format!("/endpoints/{}", e.id)><strong>{e.name.clone()}</strong></a> }.into_any()
                } else {
                    view! { <strong>{e.name.clone()}</strong> }.into_any()
                }}
                <div class="muted mono ellipsis">{e.url.clone()}</div>
            </td>
            <td class="mono wrap">{e.patterns.join(", ")}</td>
            <td>
                <StatusBadge status=e.state.clone() />
                {(!e.state_reason.is_empty()).then(|| view! { <div class="muted">{e.state_reason.clone()}</div> })}
                {e.failing_since.map(|at| view! { <div class="muted">"failing since " <Time ms=at /></div> })}
            </td>
            <td class="num nowrap">
                <span class=tone>{rate.map(|r| format!("{r} %")).unwrap_or_else(|| "—".into())}</span>
                <div class="muted">{format!("{} of {} tries", h.succeeded, h.attempts)}</div>
            </td>
            <td class="wrap">
                {match (h.last_error, h.last_error_at) {
                    (Some(err), Some(at)) => view! { <span>{err}</span> <div class="muted"><Time ms=at /></div> }.into_any(),
                    _ => view! { <span class="muted">"none"</span> }.into_any(),
                }}
            </td>
            <td class="actions">
                {admin.then(|| view! { <a class="button button-quiet" href=format!("/endpoints/{}", e.id)>"Edit"</a> })}
                {(e.state != "disabled" && can(Permission::Operate)).then(|| view! {
                    <ActionForm action=set_state>
                        <input type="hidden" name="id" value=e.id />
                        <input type="hidden" name="state" value=target />
                        <button class="button button-quiet" type="submit">{label}</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
