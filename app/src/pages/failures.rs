//! Failures: what is failing, where and why, with retry at hand.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_failures, RetryDelivery};
use crate::components::{ActionResult, StatusBadge, Time};

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
        <Suspense fallback=|| view! { <p class="loading">"Loading failures…"</p> }>
            {move || groups.get().map(|result| match result {
                Ok(groups) if groups.is_empty() => view! {
                    <section class="card empty-state">
                        <h2>"Nothing is failing"</h2>
                        <p>"Every delivery has succeeded or is on its first try."</p>
                    </section>
                }.into_any(),
                Ok(groups) => view! {
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
                                            <ActionForm action=retry>
                                                <input type="hidden" name="delivery_id" value=g.latest_delivery_id />
                                                <button class="button button-quiet" type="submit">"Retry latest now"</button>
                                            </ActionForm>
                                            <a href=format!("/events/{}", g.latest_event_id)>"Latest event"</a>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
                Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
            })}
        </Suspense>
    }
}
