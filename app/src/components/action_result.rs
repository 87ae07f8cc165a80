//! The outcome of the last action, stated plainly next to the control.

use leptos::prelude::*;

/// Shows the action's message (success) or error; nothing before it has run.
#[component]
pub fn ActionResult<A>(action: ServerAction<A>) -> impl IntoView
where
    A: leptos::server_fn::ServerFn<Output = String> + Clone + Send + Sync + 'static,
    A::Error: std::fmt::Display + Clone + Send + Sync + 'static,
{
    move || {
        action.value().get().map(|result| match result {
            Ok(message) => {
                view! { <div class="alert alert-ok" role="status">{message}</div> }.into_any()
            }
            Err(err) => {
                view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }
                    .into_any()
            }
        })
    }
}
