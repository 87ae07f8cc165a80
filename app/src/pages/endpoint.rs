//! One endpoint: create or edit its settings, rotate its secret, send it a test event,
//! pause or resume it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::SetEndpointState;
use crate::api_manage::{
    endpoint_form, EndpointFormData, RotateEndpointSecret, SaveEndpoint, SendTestEvent,
};
use crate::components::{use_hydrated, ActionResult, Field, Loaded, SecretOnce, StatusBadge};

/// `/endpoints/new` and `/endpoints/:id`.
#[component]
pub fn EndpointEditor() -> impl IntoView {
    let params = use_params_map();
    // `new`, or an id; anything else is an id that cannot exist.
    let id = move || {
        params.read().get("id").and_then(|v| match v.as_str() {
            "new" => None,
            other => Some(other.parse::<i64>().unwrap_or(-1)),
        })
    };
    let data = Resource::new(id, endpoint_form);
    view! {
        <Loaded
            resource=data
            loading="Loading the endpoint…"
            failed="Could not load the endpoint."
            render={|data: EndpointFormData| view! { <Editor data /> }}
        />
    }
}

#[component]
fn Editor(data: EndpointFormData) -> impl IntoView {
    let save = ServerAction::<SaveEndpoint>::new();
    let ready = use_hydrated();
    // A new endpoint is created once; the form then stays closed (a second click would make
    // a second endpoint with another secret).
    let created = move || {
        !data.exists
            && save
                .value()
                .get()
                .is_some_and(|r| r.is_ok_and(|s| s.errors.is_empty()))
    };
    let error = move |field: &'static str| {
        Signal::derive(move || {
            save.value()
                .get()
                .and_then(Result::ok)
                .and_then(|s| s.error_for(field))
        })
    };
    let f = data.form;
    let exists = data.exists;
    let title = if exists {
        f.name.clone()
    } else {
        "New endpoint".to_string()
    };
    let events = RwSignal::new(f.events.clone());
    let suggestions = data.known_types;
    let add_type = move |t: String| {
        events.update(|e| {
            let trimmed = e.trim().trim_end_matches(',').trim();
            *e = if trimmed.is_empty() || trimmed == "*" {
                t
            } else {
                format!("{trimmed}, {t}")
            };
        })
    };
    let current_source = f.source.clone();
    // The state shown in the heading and the state card, kept in step by the state actions
    // (the form is not reloaded, so unsaved edits and results stay).
    let state = RwSignal::new(f.state.clone());
    view! {
        <Title text=title.clone() />
        <header class="page-header">
            <p class="crumbs"><a href="/endpoints">"Endpoints"</a> " / " {title.clone()}</p>
            <h1>
                {title} " "
                {exists.then_some(move || view! { <StatusBadge status=state.get() /> })}
            </h1>
            {(!f.state_reason.is_empty()).then(|| view! { <p class="subtitle">{f.state_reason.clone()}</p> })}
        </header>
        <div class="editor-columns">
            <section class="card">
                <h2>"Settings"</h2>
                <ActionForm action=save>
                    {f.id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
                    <div class="form-grid">
                        <Field label="Name" name="name" value=f.name.clone() error=error("name") required=true
                            placeholder="orders-service" />
                        <Field label="URL" name="url" value=f.url.clone() error=error("url") required=true
                            kind="url" placeholder="https://example.com/webhooks"
                            hint="Hookyard POSTs each event here, signed with Standard Webhooks headers." />
                        <div class="field wide" class:invalid=move || error("events").get().is_some()>
                            <label for="events">"Event types"</label>
                            <textarea id="events" name="events" rows="2" required=true
                                aria-describedby="events-hint events-error"
                                aria-invalid=move || error("events").get().is_some().then_some("true")
                                prop:value=move || events.get()
                                on:input=move |ev| events.set(event_target_value(&ev))
                            >{f.events.clone()}</textarea>
                            <p class="field-hint" id="events-hint">
                                "Comma-separated: exact types (invoice.paid), prefixes (charge.*) or * for everything."
                            </p>
                            <p class="field-error" id="events-error" role="alert">{move || error("events").get()}</p>
                        </div>
                        {(!suggestions.is_empty()).then(|| view! {
                            <div class="suggestions wide" aria-label="Event types seen so far">
                                <span class="muted">"Seen so far:"</span>
                                {suggestions.into_iter().take(24).map(|t| {
                                    let label = t.clone();
                                    view! {
                                        <button type="button" class="chip" on:click=move |_| add_type(t.clone())>
                                            "+ " {label}
                                        </button>
                                    }
                                }).collect_view()}
                            </div>
                        })}
                        <div class="field" class:invalid=move || error("source").get().is_some()>
                            <label for="source">"Only from source"</label>
                            <select id="source" name="source">
                                <option value="" selected=current_source.is_empty()>"Any source"</option>
                                {data.sources.into_iter().map(|(slug, name)| {
                                    let selected = slug == current_source;
                                    let label = format!("{name} ({slug})");
                                    view! { <option value=slug selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                            <p class="field-error" role="alert">{move || error("source").get()}</p>
                        </div>
                        <Field label="Timeout (seconds)" name="timeout_secs" value=f.timeout_secs.clone()
                            error=error("timeout_secs") kind="number" hint="1 to 300; a slower answer counts as a failure." />
                        <Field label="Deliveries in flight at most" name="max_in_flight" value=f.max_in_flight.clone()
                            error=error("max_in_flight") kind="number" hint="1 to 1000 at once to this endpoint." />
                        <Field label="Retry schedule (seconds)" name="retry_schedule" value=f.retry_schedule.clone()
                            error=error("retry_schedule") placeholder="default: 5, 300, 1800, …"
                            hint="Waits between tries. Empty: the default, 8 tries over about 28 hours." />
                        <div class="wide">
                            <Field label="Extra headers" name="headers" value=f.headers.clone() error=error("headers")
                                rows=3 placeholder="Authorization: Bearer …"
                                hint="One per line, Name: value. Stored values are not shown; (unchanged) keeps one." />
                        </div>
                        <div class="wide">
                            <Field label="Description" name="description" value=f.description.clone()
                                error=error("description") placeholder="What this handler does, who owns it" />
                        </div>
                    </div>
                    <div class="form-actions">
                        <button class="button" type="submit"
                            disabled=move || !ready.get() || save.pending().get() || created()>
                            {move || match (save.pending().get(), exists) {
                                _ if created() => "Created",
                                (true, _) => "Saving…",
                                (false, true) => "Save changes",
                                (false, false) => "Create endpoint",
                            }}
                        </button>
                        <a href="/endpoints">"Back to endpoints"</a>
                    </div>
                </ActionForm>
                {move || save.value().get().map(|result| match result {
                    Ok(saved) if saved.errors.is_empty() => view! {
                        <div class="alert alert-ok" role="status">{saved.message.clone()}</div>
                        {saved.secret.clone().map(|secret| view! {
                            <SecretOnce secret note="Your handler verifies deliveries with it (any Standard Webhooks library)." />
                        })}
                        {(!exists).then(|| saved.id.map(|id| view! {
                            <p><a class="button button-quiet" href=format!("/endpoints/{id}")>"Open the endpoint"</a></p>
                        }))}
                    }.into_any(),
                    Ok(saved) => view! {
                        <div class="alert alert-error" role="alert">
                            {format!("Nothing was saved: {} field{} to fix, marked above.",
                                saved.errors.len(), if saved.errors.len() == 1 { "" } else { "s" })}
                        </div>
                    }.into_any(),
                    Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                })}
            </section>
            {f.id.map(|id| view! {
                <div>
                    <StateCard id state />
                    <TestCard id />
                    <SecretCard id />
                </div>
            })}
        </div>
    }
}

#[component]
fn StateCard(id: i64, state: RwSignal<String>) -> impl IntoView {
    let set_state = ServerAction::<SetEndpointState>::new();
    let ready = use_hydrated();
    // The state asked for; it becomes the shown state when the server says it is done.
    let asked = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = set_state.value().get() {
            state.set(asked.get_untracked());
        }
    });
    let choices = move || -> &'static [(&'static str, &'static str)] {
        match state.get().as_str() {
            "enabled" => &[("paused", "Pause"), ("disabled", "Disable")],
            "paused" => &[("enabled", "Resume"), ("disabled", "Disable")],
            _ => &[("enabled", "Enable")],
        }
    };
    view! {
        <section class="card">
            <h2>"State"</h2>
            <p class="muted">
                "Paused: deliveries are held and sent in order on resume. Disabled: no new deliveries."
            </p>
            <div class="actions">
                {move || choices().iter().map(|(target, label)| view! {
                    <ActionForm action=set_state>
                        <input type="hidden" name="id" value=id />
                        <input type="hidden" name="state" value=*target />
                        <button class="button button-quiet" type="submit"
                            disabled=move || !ready.get() || set_state.pending().get()
                            on:click=move |_| asked.set(target.to_string())>
                            {*label}
                        </button>
                    </ActionForm>
                }).collect_view()}
            </div>
            <ActionResult action=set_state />
        </section>
    }
}

#[component]
fn TestCard(id: i64) -> impl IntoView {
    let send = ServerAction::<SendTestEvent>::new();
    let ready = use_hydrated();
    view! {
        <section class="card">
            <h2>"Send a test event"</h2>
            <p class="muted">"Posts a signed hookyard.test event now and shows the answer. Nothing is stored."</p>
            <ActionForm action=send>
                <input type="hidden" name="id" value=id />
                <button class="button button-quiet" type="submit" disabled=move || !ready.get() || send.pending().get()>
                    {move || if send.pending().get() { "Sending…" } else { "Send test event" }}
                </button>
            </ActionForm>
            {move || send.value().get().map(|result| match result {
                Ok(test) => view! {
                    <div class="test-result" data-testid="test-result">
                        <div class=if test.ok { "alert alert-ok" } else { "alert alert-error" } role="status">
                            {test.summary.clone()}
                        </div>
                        {(!test.response_body.is_empty()).then(|| view! {
                            <p class="muted">"Response body"</p>
                            <pre class="raw">{test.response_body.clone()}</pre>
                        })}
                    </div>
                }.into_any(),
                Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn SecretCard(id: i64) -> impl IntoView {
    let rotate = ServerAction::<RotateEndpointSecret>::new();
    let ready = use_hydrated();
    view! {
        <section class="card">
            <h2>"Signing secret"</h2>
            <p class="muted">
                "Rotating replaces the secret at once: deliveries signed after it only verify with the new one."
            </p>
            <ActionForm action=rotate>
                <input type="hidden" name="id" value=id />
                <button class="button button-quiet" type="submit" disabled=move || !ready.get() || rotate.pending().get()>
                    {move || if rotate.pending().get() { "Rotating…" } else { "Rotate secret" }}
                </button>
            </ActionForm>
            {move || rotate.value().get().map(|result| match result {
                Ok(secret) => view! { <SecretOnce secret note="The previous secret no longer signs deliveries." /> }.into_any(),
                Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
            })}
        </section>
    }
}
