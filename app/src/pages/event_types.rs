//! Event types: every type seen, how often and when, and who receives it.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::list_event_types;
use hookyard_core::model::EventTypeSummary;

use crate::components::{Loaded, Time};

#[component]
pub fn EventTypes() -> impl IntoView {
    let types = Resource::new(|| (), |_| list_event_types());
    view! {
        <Title text="Event types" />
        <header class="page-header">
            <h1>"Event types"</h1>
            <p class="subtitle">"Every type received, most recent first, and the endpoints subscribed to it."</p>
        </header>
        <Loaded resource=types loading="Loading event types…" failed="Could not load event types." render={|list: Vec<EventTypeSummary>| match list {
                list if list.is_empty() => view! {
                    <section class="card empty-state">
                        <h2>"No events yet"</h2>
                        <p>"Types appear here as events arrive. Try: hookyard send --source stripe --type invoice.paid"</p>
                    </section>
                }.into_any(),
                list => view! {
                    <div class="table-wrap card">
                        <table class="data">
                            <thead><tr>
                                <th>"Type"</th><th class="num">"Events"</th><th>"Last seen"</th>
                                <th>"Sample"</th><th>"Subscribed endpoints"</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let filter = format!("/events?type={}", t.event_type);
                                    view! {
                                        <tr>
                                            <td><a class="event-type" href=filter>{t.event_type}</a></td>
                                            <td class="num">{hookyard_core::money::group_thousands(t.count.max(0) as u64)}</td>
                                            <td class="nowrap"><Time ms=t.last_seen /></td>
                                            <td><a href=format!("/events/{}", t.sample_event_id)>"newest event"</a></td>
                                            <td>{if t.subscribers.is_empty() {
                                                view! { <span class="badge badge-warn">"none: not delivered"</span> }.into_any()
                                            } else {
                                                view! { <span>{t.subscribers.join(", ")}</span> }.into_any()
                                            }}</td>
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
