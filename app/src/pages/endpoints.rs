//! Endpoints: where events go, whether they are healthy, and pause/resume.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_endpoints, SetEndpointState};
use hookyard_core::model::Endpoint;

use crate::components::{ActionResult, Loaded, StatusBadge, Time};

#[component]
pub fn Endpoints() -> impl IntoView {
    let set_state = ServerAction::<SetEndpointState>::new();
    let endpoints = Resource::new(move || set_state.version().get(), |_| list_endpoints());
    view! {
        <Title text="Endpoints" />
        <header class="page-header">
            <h1>"Endpoints"</h1>
            <p class="subtitle">"Your handlers: the event types each receives, and its state."</p>
        </header>
        <ActionResult action=set_state />
        <Loaded resource=endpoints loading="Loading endpoints…" failed="Could not load endpoints." render={move |list: Vec<Endpoint>| match list {
                list if list.is_empty() => view! {
                    <section class="card empty-state">
                        <h2>"No endpoints yet"</h2>
                        <p>"Create one to start delivering events:"</p>
                        <p><code>"hookyard endpoint add --name orders --url http://localhost:8080/webhooks --events 'charge.*,invoice.paid'"</code></p>
                    </section>
                }.into_any(),
                list => view! {
                    <div class="table-wrap card">
                        <table class="data">
                            <thead><tr>
                                <th>"Endpoint"</th><th>"Event types"</th><th>"State"</th>
                                <th>"Failing since"</th><th>"Limits"</th><th>"Actions"</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|e| {
                                    let (label, target) = if e.state == "enabled" { ("Pause", "paused") } else { ("Resume", "enabled") };
                                    view! {
                                        <tr>
                                            <td><strong>{e.name}</strong><div class="muted mono ellipsis">{e.url}</div></td>
                                            <td class="mono wrap">{e.patterns.join(", ")}</td>
                                            <td>
                                                <StatusBadge status=e.state.clone() />
                                                {(!e.state_reason.is_empty()).then(|| view! { <div class="muted">{e.state_reason.clone()}</div> })}
                                            </td>
                                            <td class="nowrap">{e.failing_since.map(|at| view! { <Time ms=at /> })}</td>
                                            <td class="muted nowrap">{format!("{} s timeout · {} in flight", e.timeout_ms / 1000, e.max_in_flight)}</td>
                                            <td class="actions">
                                                <ActionForm action=set_state>
                                                    <input type="hidden" name="id" value=e.id />
                                                    <input type="hidden" name="state" value=target />
                                                    <button class="button button-quiet" type="submit">{label}</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
            }} />
    }
}
