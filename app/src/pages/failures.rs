//! Failures: what is failing, where and why, with retry at hand.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    bulk_replay_status, list_failures, CancelBulkReplay, PreviewBulkReplay, RetryDelivery,
    StartBulkReplay,
};
use hookyard_core::model::FailureGroup;

use crate::components::{can, ActionResult, Loaded, StatusBadge, Time};
use hookyard_core::access::Permission;

#[component]
pub fn Failures() -> impl IntoView {
    let retry = ServerAction::<RetryDelivery>::new();
    let groups = Resource::new(move || retry.version().get(), |_| list_failures());
    view! {
        <Title text="Failures" />
        <header class="page-header">
            <h1>"Failures"</h1>
            <p class="subtitle">"Deliveries that are retrying or have failed, grouped by endpoint and error."</p>
        </header>
        <ActionResult action=retry />
        <Loaded resource=groups loading="Loading failures…" failed="Could not load failures." render={move |groups: Vec<FailureGroup>| match groups {
                groups if groups.is_empty() => view! {
                    <section class="card empty-state">
                        <h2>"Nothing is failing"</h2>
                        <p>"Every delivery has succeeded or is on its first try."</p>
                    </section>
                }.into_any(),
                groups => view! {
                    {can(Permission::Operate).then(|| view! {
                        <BulkReplayPanel endpoints=groups.iter().map(|g| (g.endpoint_id, g.endpoint_name.clone())).collect() />
                    })}
                    <div class="table-wrap card">
                        <table class="data">
                            <thead><tr>
                                <th>"Endpoint"</th><th>"Error"</th><th class="num">"Retrying"</th>
                                <th class="num">"Failed"</th><th>"Next retry"</th><th>"Actions"</th>
                            </tr></thead>
                            <tbody>
                                {groups.into_iter().map(|g| view! {
                                    <tr>
                                        <td><strong>{g.endpoint_name}</strong> " " <StatusBadge status=g.endpoint_state /></td>
                                        <td class="wrap">{g.error}</td>
                                        <td class="num">{g.retrying}</td>
                                        <td class="num">{g.failed}</td>
                                        <td class="nowrap">{g.next_attempt_at.map(|at| view! { <Time ms=at /> })}</td>
                                        <td class="actions">
                                            {can(Permission::Operate).then(|| view! {
                                                <ActionForm action=retry>
                                                    <input type="hidden" name="delivery_id" value=g.latest_delivery_id />
                                                    <button class="button button-quiet" type="submit">"Retry latest now"</button>
                                                </ActionForm>
                                            })}
                                            <a href=format!("/events/{}", g.latest_event_id)>"Latest event"</a>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
            }} />
    }
}

/// Replays every failed (or retrying) delivery of one endpoint or all: preview the count,
/// confirm, watch progress, cancel.
#[component]
fn BulkReplayPanel(endpoints: Vec<(i64, String)>) -> impl IntoView {
    let mut endpoints = endpoints;
    endpoints.sort();
    endpoints.dedup();
    let (endpoint, set_endpoint) = signal(None::<i64>);
    let (status, set_status) = signal("failed".to_string());
    let preview = ServerAction::<PreviewBulkReplay>::new();
    let start = ServerAction::<StartBulkReplay>::new();
    let cancel = ServerAction::<CancelBulkReplay>::new();
    let (tick, set_tick) = signal(0u32);
    let job_id = move || start.value().get().and_then(|r| r.ok()).map(|job| job.id);
    let progress = Resource::new(
        move || (job_id(), tick.get(), cancel.version().get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => bulk_replay_status(id).await.ok().flatten(),
                None => None,
            }
        },
    );
    // Progress refreshes every second while a replay runs (in the browser only).
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || set_tick.update(|t| *t += 1),
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let changed = move || {
        preview.value().set(None);
    };
    let args = move || (endpoint.get_untracked(), status.get_untracked());
    view! {
        <section class="card bulk">
            <h2>"Bulk replay"</h2>
            <div class="filters">
                <label>
                    <span>"Endpoint"</span>
                    <select on:change=move |ev| { set_endpoint.set(event_target_value(&ev).parse().ok()); changed(); }>
                        <option value="">"all endpoints"</option>
                        {endpoints.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    <span>"Deliveries"</span>
                    <select on:change=move |ev| { set_status.set(event_target_value(&ev)); changed(); }>
                        <option value="failed">"failed (attempts exhausted)"</option>
                        <option value="retrying">"retrying"</option>
                    </select>
                </label>
                <div class="filter-actions">
                    <button class="button button-quiet" type="button"
                        on:click=move |_| { let (e, s) = args(); preview.dispatch(PreviewBulkReplay { endpoint_id: e, status: s }); }>
                        "Preview"
                    </button>
                </div>
            </div>
            {move || preview.value().get().map(|r| match r {
                Ok(0) => view! { <p class="muted">"Nothing matches: no delivery would be replayed."</p> }.into_any(),
                Ok(n) => view! {
                    <p class="bulk-confirm">
                        {format!("{n} deliver{} would be sent again, as new deliveries. ", if n == 1 { "y" } else { "ies" })}
                        <button class="button" type="button"
                            on:click=move |_| { let (e, s) = args(); start.dispatch(StartBulkReplay { endpoint_id: e, status: s }); }>
                            {format!("Replay {n}")}
                        </button>
                    </p>
                }.into_any(),
                Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
            })}
            {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
            <Transition>
                {move || progress.get().flatten().map(|job| {
                    let running = job.state == "running";
                    let id = job.id;
                    view! {
                        <div class="alert alert-ok" role="status" data-testid="bulk-progress">
                            {format!("Bulk replay {}: {} of {} replayed, {}.", job.id, job.done, job.total, job.state)}
                            {running.then(|| view! {
                                " " <button class="button button-quiet" type="button"
                                    on:click=move |_| { cancel.dispatch(CancelBulkReplay { id }); }>"Cancel"</button>
                            })}
                        </div>
                    }
                })}
            </Transition>
        </section>
    }
}
