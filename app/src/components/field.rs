//! A labelled form field with its hint and the server's message about it.

use leptos::prelude::*;

/// One input (or a textarea when `rows` > 1). `error` is the server's message for this field;
/// the field is marked invalid and the message is announced while there is one.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(into)] value: String,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] placeholder: &'static str,
    #[prop(default = 1)] rows: u32,
    #[prop(optional)] required: bool,
    #[prop(default = "text")] kind: &'static str,
) -> impl IntoView {
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described = format!("{hint_id} {error_id}");
    let invalid = move || error.get().is_some().then_some("true");
    let control = if rows > 1 {
        view! {
            <textarea
                id=name
                name=name
                rows=rows
                placeholder=placeholder
                required=required
                aria-invalid=invalid
                aria-describedby=described
            >
                {value}
            </textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=name
                name=name
                type=kind
                value=value
                placeholder=placeholder
                required=required
                aria-invalid=invalid
                aria-describedby=described
            />
        }
        .into_any()
    };
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=name>{label}</label>
            {control}
            {(!hint.is_empty()).then(|| view! { <p class="field-hint" id=hint_id>{hint}</p> })}
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}

/// The secret (or password, or token) an action answered, shown once with a copy button.
#[component]
pub fn SecretOnce(
    secret: String,
    #[prop(optional)] note: &'static str,
    #[prop(default = "Signing secret")] what: &'static str,
) -> impl IntoView {
    view! {
        <div class="secret-once" role="status">
            <p><strong>{what} " — copy it now, it is not shown again."</strong></p>
            <div class="inbound">
                <code data-testid="new-secret">{secret.clone()}</code>
                <crate::components::CopyButton text=secret />
            </div>
            {(!note.is_empty()).then(|| view! { <p class="muted">{note}</p> })}
        </div>
    }
}

/// False on the server and until the page has hydrated, then true. Buttons whose result is
/// shown only once (a new secret) stay disabled until then: a plain form POST before
/// hydration would be carried out and its answer lost.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    ready
}
