//! One source: create it, change its limits, rotate its signing secret.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api_manage::{
    source_form, CreateSource, RotateSourceSecret, Saved, SourceFields, UpdateSource,
};
use crate::components::{use_hydrated, CopyButton, Field, Loaded, SecretOnce, Time};

/// `/sources/new` and `/sources/:slug`.
#[component]
pub fn SourceEditor() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").filter(|s| s != "new");
    let data = Resource::new(slug, source_form);
    view! {
        <Loaded
            resource=data
            loading="Loading the source…"
            failed="Could not load the source."
            render={move |fields: SourceFields| {
                if fields.exists {
                    view! { <EditSource fields /> }.into_any()
                } else {
                    view! { <NewSource fields /> }.into_any()
                }
            }}
        />
    }
}

/// A field's error from the last answer of a form's action.
fn field_error<A>(action: ServerAction<A>, field: &'static str) -> Signal<Option<String>>
where
    A: leptos::server_fn::ServerFn<Output = Saved> + Clone + Send + Sync + 'static,
    A::Error: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(Result::ok)
            .and_then(|s| s.error_for(field))
    })
}

/// What a save did, in a sentence; the secret once if one was made.
fn outcome<A>(action: ServerAction<A>, secret_note: &'static str) -> impl IntoView
where
    A: leptos::server_fn::ServerFn<Output = Saved> + Clone + Send + Sync + 'static,
    A::Error: std::fmt::Display + Clone + Send + Sync + 'static,
{
    move || {
        action.value().get().map(|result| match result {
            Ok(saved) if saved.errors.is_empty() => view! {
                <div class="alert alert-ok" role="status">{saved.message.clone()}</div>
                {saved.secret.clone().map(|secret| view! { <SecretOnce secret note=secret_note /> })}
            }
            .into_any(),
            Ok(saved) => view! {
                <div class="alert alert-error" role="alert">
                    {format!(
                        "Nothing was saved: {} field{} to fix, marked above.",
                        saved.errors.len(),
                        if saved.errors.len() == 1 { "" } else { "s" }
                    )}
                </div>
            }
            .into_any(),
            Err(err) => {
                view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }
                    .into_any()
            }
        })
    }
}

#[component]
fn NewSource(fields: SourceFields) -> impl IntoView {
    let create = ServerAction::<CreateSource>::new();
    let ready = use_hydrated();
    let error = move |field| field_error(create, field);
    let scheme = RwSignal::new(fields.scheme.clone());
    let created_slug = move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .filter(|s| s.errors.is_empty() && s.id.is_some())
    };
    view! {
        <Title text="New source" />
        <header class="page-header">
            <p class="crumbs"><a href="/sources">"Sources"</a> " / new"</p>
            <h1>"New source"</h1>
            <p class="subtitle">"One source per provider account: it gets its own URL and signing secret."</p>
        </header>
        <section class="card">
            <ActionForm action=create>
                <div class="form-grid">
                    <Field label="Slug" name="slug" value="" error=error("slug") required=true placeholder="stripe"
                        hint="Lower-case letters, digits, - or _. The URL becomes /hooks/<slug>." />
                    <Field label="Name" name="name" value="" error=error("name") placeholder="Stripe (live account)" />
                    <div class="field" class:invalid=move || error("scheme").get().is_some()>
                        <label for="scheme">"Signature scheme"</label>
                        <select id="scheme" name="scheme" on:change=move |ev| scheme.set(event_target_value(&ev))>
                            {[("stripe", "Stripe"), ("standard", "Standard Webhooks / Svix"), ("github", "GitHub"),
                              ("shopify", "Shopify"), ("hmac", "Generic HMAC-SHA256")]
                                .into_iter()
                                .map(|(value, label)| view! {
                                    <option value=value selected=fields.scheme == value>{label}</option>
                                })
                                .collect_view()}
                        </select>
                        <p class="field-error" role="alert">{move || error("scheme").get()}</p>
                    </div>
                    <Field label="Signing secret" name="secret" value="" error=error("secret")
                        placeholder="whsec_… (empty: generate one)"
                        hint="Stripe: paste the endpoint's secret from the Stripe dashboard. Others: paste theirs, or leave empty to generate one to give them." />
                    <Field label="Timestamp tolerance (seconds)" name="tolerance_secs" value=fields.tolerance_secs.clone()
                        error=error("tolerance_secs") kind="number" hint="Signed timestamps older or newer than this are refused." />
                    <Field label="Body limit (KiB)" name="max_body_kib" value=fields.max_body_kib.clone()
                        error=error("max_body_kib") kind="number" hint="Larger requests are refused with 413 (at most 25600)." />
                    // Always in the form (the server ignores them for other schemes), shown for HMAC.
                    <div class="wide form-grid" hidden=move || scheme.get() != "hmac">
                        <Field label="Signature header" name="hmac_header" value="x-signature" error=error("hmac_header")
                            hint="The header your sender puts the HMAC in." />
                        <div class="field">
                            <label for="hmac_encoding">"Signature encoding"</label>
                            <select id="hmac_encoding" name="hmac_encoding">
                                <option value="hex">"hex"</option>
                                <option value="base64">"base64"</option>
                            </select>
                        </div>
                    </div>
                </div>
                <div class="form-actions">
                    <button class="button" type="submit"
                        disabled=move || !ready.get() || create.pending().get() || created_slug().is_some()>
                        {move || match (create.pending().get(), created_slug().is_some()) {
                            (_, true) => "Created",
                            (true, _) => "Creating…",
                            _ => "Create source",
                        }}
                    </button>
                    <a href="/sources">"Back to sources"</a>
                </div>
            </ActionForm>
            {outcome(create, "If Hookyard generated it, give it to the sender now.")}
            {move || created_slug().map(|_| view! {
                <p><a class="button button-quiet" href="/sources">"See it with its inbound URL"</a></p>
            })}
        </section>
    }
}

#[component]
fn EditSource(fields: SourceFields) -> impl IntoView {
    let update = ServerAction::<UpdateSource>::new();
    let rotate = ServerAction::<RotateSourceSecret>::new();
    let ready = use_hydrated();
    // The secrets list reloads after a rotation; the rest of the page (and the new secret,
    // shown once) stays.
    let listed = fields.slug.clone();
    let secrets = Resource::new(
        move || rotate.version().get(),
        move |_| source_form(Some(listed.clone())),
    );
    let error = move |field| field_error(update, field);
    let rotate_error = move |field| field_error(rotate, field);
    let (slug, rotate_slug) = (fields.slug.clone(), fields.slug.clone());
    let rotate_hint = if fields.scheme == "stripe" {
        "Roll the secret in the Stripe dashboard first, then paste the new one here."
    } else {
        "Paste the sender's new secret, or leave empty to generate one and give it to them."
    };
    let tolerance_hint = if matches!(fields.scheme.as_str(), "stripe" | "standard") {
        "Signed timestamps further than this from now are refused."
    } else {
        "Not used: this scheme signs no timestamp."
    };
    view! {
        <Title text=fields.name.clone() />
        <header class="page-header">
            <p class="crumbs"><a href="/sources">"Sources"</a> " / " {fields.slug.clone()}</p>
            <h1>{fields.name.clone()} " " <span class="badge badge-neutral">{fields.scheme.clone()}</span></h1>
            <div class="inbound">
                <span class="muted">"Inbound URL"</span>
                <code data-testid="inbound-url">{fields.inbound_url.clone()}</code>
                <CopyButton text=fields.inbound_url.clone() />
            </div>
        </header>
        <div class="editor-columns">
            <section class="card">
                <h2>"Settings"</h2>
                <ActionForm action=update>
                    <input type="hidden" name="slug" value=slug />
                    <div class="form-grid">
                        <div class="wide">
                            <Field label="Name" name="name" value=fields.name.clone() error=error("name") />
                        </div>
                        <Field label="Timestamp tolerance (seconds)" name="tolerance_secs" value=fields.tolerance_secs.clone()
                            error=error("tolerance_secs") kind="number" hint=tolerance_hint />
                        <Field label="Body limit (KiB)" name="max_body_kib" value=fields.max_body_kib.clone()
                            error=error("max_body_kib") kind="number" />
                    </div>
                    <div class="form-actions">
                        <button class="button" type="submit" disabled=move || !ready.get() || update.pending().get()>
                            {move || if update.pending().get() { "Saving…" } else { "Save changes" }}
                        </button>
                        <a href="/sources">"Back to sources"</a>
                    </div>
                </ActionForm>
                {outcome(update, "")}
            </section>
            <section class="card">
                <h2>"Signing secrets"</h2>
                <Loaded resource=secrets loading="Loading secrets…" failed="Could not list the secrets."
                    render={|latest: SourceFields| view! { <SecretList secrets=latest.secrets /> }} />
                <ActionForm action=rotate>
                    <input type="hidden" name="slug" value=rotate_slug />
                    <Field label="New secret" name="secret" value="" error=rotate_error("secret")
                        placeholder="Paste the provider's new secret, or leave empty to generate"
                        hint=rotate_hint />
                    <Field label="Keep the previous secret for (hours)" name="overlap_hours" value="24"
                        error=rotate_error("overlap_hours") kind="number"
                        hint="Requests signed with either secret are accepted meanwhile, so nothing is refused during the switch." />
                    <button class="button button-quiet" type="submit" disabled=move || !ready.get() || rotate.pending().get()>
                        {move || if rotate.pending().get() { "Rotating…" } else { "Rotate secret" }}
                    </button>
                </ActionForm>
                {outcome(rotate, "If Hookyard generated it, give it to the sender now.")}
            </section>
        </div>
    }
}

/// Secrets a source accepts now, as masked hints, newest first.
#[component]
fn SecretList(secrets: Vec<(String, Option<i64>)>) -> impl IntoView {
    view! {
        <ul class="secret-list">
            {secrets.into_iter().map(|(hint, until)| view! {
                <li>
                    <code>{hint}</code> " "
                    {match until {
                        None => view! { <span class="badge badge-ok">"current"</span> }.into_any(),
                        Some(at) => view! { <span class="badge badge-warn">"previous, until " <Time ms=at /></span> }.into_any(),
                    }}
                </li>
            }).collect_view()}
        </ul>
    }
}
