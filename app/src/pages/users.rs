//! Users & tokens: who may sign in and with which role; API tokens for scripts.

use hookyard_core::access::{Role, Token, User};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api_access::{
    list_tokens, list_users, AddUser, ChangeUser, CreateToken, Done, RevokeToken,
};
use crate::components::{use_hydrated, use_viewer, ActionResult, Loaded, SecretOnce, Time};

#[component]
pub fn Users() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let change = ServerAction::<ChangeUser>::new();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let users = Resource::new(
        move || (add.version().get(), change.version().get()),
        |_| list_users(),
    );
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    view! {
        <Title text="Users & tokens" />
        <header class="page-header">
            <h1>"Users & tokens"</h1>
            <p class="subtitle">"Who may sign in, with which role, and the API tokens scripts use. Every change here is in the audit log."</p>
        </header>
        <RoleGuide />
        <section class="card">
            <h2>"Users"</h2>
            <Outcome action=change what="New password" />
            <Loaded resource=users loading="Loading users…" failed="Could not load users." render={move |list: Vec<User>| view! { <UserTable list change /> }} />
            <AddUserForm add />
        </section>
        <section class="card">
            <h2>"API tokens"</h2>
            <p class="muted">"Send as " <code>"Authorization: Bearer hy_…"</code> " to " <code>"/api/v1"</code> ". A token acts with its role; only its hash is stored."</p>
            <ActionResult action=revoke />
            <Loaded resource=tokens loading="Loading tokens…" failed="Could not load tokens." render={move |list: Vec<Token>| view! { <TokenTable list revoke /> }} />
            <CreateTokenForm create />
        </section>
    }
}

/// What each role may do, next to the controls that grant it.
#[component]
fn RoleGuide() -> impl IntoView {
    view! {
        <details class="card role-guide">
            <summary>"What each role may do"</summary>
            <dl>
                {Role::ALL.into_iter().map(|r| view! { <dt><span class="role-badge">{r.as_str()}</span></dt><dd>{r.summary()}</dd> }).collect_view()}
            </dl>
        </details>
    }
}

/// The message of a user or token action, and the password or token it made (once).
#[component]
fn Outcome<A>(action: ServerAction<A>, what: &'static str) -> impl IntoView
where
    A: leptos::server_fn::ServerFn<Output = Done> + Clone + Send + Sync + 'static,
    A::Error: std::fmt::Display + Clone + Send + Sync + 'static,
{
    move || {
        action.value().get().map(|result| match result {
            Ok(done) => {
                let tone = if done.field.is_some() {
                    "alert alert-error"
                } else {
                    "alert alert-ok"
                };
                view! {
                    <div class=tone role="status">{done.message.clone()}</div>
                    {done.secret.map(|secret| view! { <SecretOnce secret what /> })}
                }
                .into_any()
            }
            Err(err) => {
                view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }
                    .into_any()
            }
        })
    }
}

fn role_options(selected: Role) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=r == selected>{r.as_str()}</option> })
        .collect_view()
}

#[component]
fn UserTable(list: Vec<User>, change: ServerAction<ChangeUser>) -> impl IntoView {
    let me = use_viewer().me.map(|me| me.id);
    let ready = use_hydrated();
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead><tr><th>"Email"</th><th>"Role"</th><th>"State"</th><th>"Last sign-in"</th><th>"Actions"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|u| {
                        let own = me == Some(u.id);
                        let disabled = u.disabled_at.is_some();
                        let role_label = format!("Role of {}", u.email);
                        view! {
                            <tr data-user=u.email.clone()>
                                <td>
                                    <strong>{u.email.clone()}</strong>
                                    {own.then(|| view! { <span class="muted">" (you)"</span> })}
                                    <div class="muted">"added " <Time ms=u.created_at /></div>
                                </td>
                                <td>
                                    <ActionForm action=change attr:class="inline-form">
                                        <input type="hidden" name="id" value=u.id />
                                        <input type="hidden" name="change" value="role" />
                                        <select name="role" aria-label=role_label disabled=own>{role_options(u.role)}</select>
                                        {(!own).then(|| view! { <button class="button button-quiet" type="submit">"Change"</button> })}
                                    </ActionForm>
                                </td>
                                <td>
                                    {if disabled {
                                        view! { <span class="badge badge-bad">"disabled"</span> }.into_any()
                                    } else {
                                        view! { <span class="badge badge-ok">"active"</span> }.into_any()
                                    }}
                                </td>
                                <td class="nowrap">{match u.last_login_at {
                                    Some(at) => view! { <Time ms=at /> }.into_any(),
                                    None => view! { <span class="muted">"never"</span> }.into_any(),
                                }}</td>
                                <td class="actions">
                                    {(!own).then(|| view! {
                                        <ActionForm action=change>
                                            <input type="hidden" name="id" value=u.id />
                                            <input type="hidden" name="change" value=if disabled { "enable" } else { "disable" } />
                                            <button class="button button-quiet" type="submit">{if disabled { "Enable" } else { "Disable" }}</button>
                                        </ActionForm>
                                    })}
                                    <ActionForm action=change>
                                        <input type="hidden" name="id" value=u.id />
                                        <input type="hidden" name="change" value="reset_password" />
                                        <button class="button button-quiet" type="submit" disabled=move || !ready.get()>"Reset password"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn AddUserForm(add: ServerAction<AddUser>) -> impl IntoView {
    let ready = use_hydrated();
    view! {
        <h3>"Add a user"</h3>
        <Outcome action=add what="Password" />
        <ActionForm action=add attr:class="filters">
            <label>
                <span>"Email"</span>
                <input name="email" type="email" required placeholder="ana@example.com" />
            </label>
            <label>
                <span>"Role"</span>
                <select name="role">{role_options(Role::Viewer)}</select>
            </label>
            <label class="grow">
                <span>"Password"</span>
                <input name="password" type="password" autocomplete="new-password" placeholder="empty: generate one and show it once" />
            </label>
            <div class="filter-actions">
                <button class="button" type="submit" disabled=move || !ready.get() || add.pending().get()>"Add user"</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn TokenTable(list: Vec<Token>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No tokens yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead><tr><th>"Name"</th><th>"Role"</th><th>"Starts with"</th><th>"Created"</th><th>"Last used"</th><th>"State"</th><th></th></tr></thead>
                <tbody>
                    {list.into_iter().map(|t| view! {
                        <tr data-token=t.name.clone()>
                            <td><strong>{t.name.clone()}</strong></td>
                            <td><span class="role-badge">{t.role.as_str()}</span></td>
                            <td class="mono">{t.hint.clone()}</td>
                            <td class="nowrap"><Time ms=t.created_at /><div class="muted">"by " {t.created_by.clone()}</div></td>
                            <td class="nowrap">{match t.last_used_at {
                                Some(at) => view! { <Time ms=at /> }.into_any(),
                                None => view! { <span class="muted">"never"</span> }.into_any(),
                            }}</td>
                            <td>{match t.revoked_at {
                                Some(at) => view! { <span class="badge badge-bad">"revoked"</span> <div class="muted"><Time ms=at /></div> }.into_any(),
                                None => view! { <span class="badge badge-ok">"active"</span> }.into_any(),
                            }}</td>
                            <td class="actions">
                                {t.revoked_at.is_none().then(|| view! {
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="id" value=t.id />
                                        <button class="button button-quiet" type="submit">"Revoke"</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn CreateTokenForm(create: ServerAction<CreateToken>) -> impl IntoView {
    let ready = use_hydrated();
    view! {
        <h3>"Create a token"</h3>
        <Outcome action=create what="API token" />
        <ActionForm action=create attr:class="filters">
            <label class="grow">
                <span>"What it is for"</span>
                <input name="name" required placeholder="deploy script, BI export, …" />
            </label>
            <label>
                <span>"Role"</span>
                <select name="role">{role_options(Role::Viewer)}</select>
            </label>
            <div class="filter-actions">
                <button class="button" type="submit" disabled=move || !ready.get() || create.pending().get()>"Create token"</button>
            </div>
        </ActionForm>
    }
}
