//! Sign in. A plain form posted to `/login` (it works before the page's script has loaded);
//! the server answers with a redirect, and any refusal comes back here as a short code.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{use_viewer, ThemeToggle};

#[component]
pub fn SignIn() -> impl IntoView {
    let params = use_query_map();
    let get = move |k: &str| params.read_untracked().get(k).unwrap_or_default();
    let message = match get("error").as_str() {
        "invalid" => Some((
            "alert alert-error",
            "That email and password do not match an active account.".to_string(),
        )),
        "limited" => {
            let wait = get("wait").parse::<i64>().unwrap_or(15).max(1);
            Some((
                "alert alert-error",
                format!(
                    "Too many failed sign-ins. Wait {wait} minute{} and try again, or ask an admin to reset your password.",
                    if wait == 1 { "" } else { "s" }
                ),
            ))
        }
        _ if !get("signed_out").is_empty() => {
            Some(("alert alert-ok", "You are signed out.".to_string()))
        }
        _ => None,
    };
    let needs_admin = use_viewer().needs_admin;
    view! {
        <Title text="Sign in" />
        <div class="signin-page">
            <header class="signin-top">
                <span class="brand">
                    <span class="brand-mark" aria-hidden="true">"⚓"</span>
                    <span>"Hookyard"</span>
                </span>
                <ThemeToggle />
            </header>
            <main class="signin-card card" id="main">
                {if needs_admin {
                    view! {
                        <h1>"Create the first admin"</h1>
                        <p>"No one can sign in yet. On the machine that runs Hookyard, with the same database settings, run:"</p>
                        <pre class="command">"hookyard user add --email you@example.com --role admin"</pre>
                        <p class="muted">"It asks for a password (at least 10 characters). Then reload this page and sign in."</p>
                    }.into_any()
                } else {
                    view! {
                        <h1>"Sign in"</h1>
                        <p class="muted">"Webhook inbox, deliveries and payments."</p>
                        {message.map(|(class, text)| view! { <div class=class role="alert">{text}</div> })}
                        <form method="post" action="/login" class="stack">
                            <input type="hidden" name="next" value=get("next") />
                            <label class="field">
                                <span>"Email"</span>
                                <input name="email" type="email" autocomplete="username" required autofocus value=get("email") />
                            </label>
                            <label class="field">
                                <span>"Password"</span>
                                <input name="password" type="password" autocomplete="current-password" required />
                            </label>
                            <button class="button" type="submit">"Sign in"</button>
                        </form>
                        <p class="muted small">"Forgot your password? An admin can set a new one on Users & tokens, or with "<code>"hookyard user reset-password"</code>"."</p>
                    }.into_any()
                }}
            </main>
        </div>
    }
}
