//! Sources: the inbound URLs to paste into providers, and why requests were refused.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_sources, SourcesPage};
use crate::components::{can, CopyButton, Loaded, Time};
use hookyard_core::access::Permission;

#[component]
pub fn Sources() -> impl IntoView {
    let page = Resource::new(|| (), |_| list_sources());
    view! {
        <Title text="Sources" />
        <header class="page-header event-header">
            <div>
                <h1>"Sources"</h1>
                <p class="subtitle">"Where providers send webhooks, and the requests Hookyard refused."</p>
            </div>
            {can(Permission::Administer).then(|| view! {
                <div class="header-actions">
                    <a class="button" href="/sources/new">"New source"</a>
                </div>
            })}
        </header>
        <Loaded resource=page loading="Loading sources…" failed="Could not load sources." render={|page: SourcesPage| {
                    let base = page.base_url.clone();
                    let sources = if page.sources.is_empty() {
                        view! {
                            <section class="card empty-state">
                                <h2>"No sources yet"</h2>
                                <p>"Create one for each provider; it prints the URL and secret to paste there:"</p>
                                {can(Permission::Administer).then(|| view! {
                                    <p><a class="button" href="/sources/new">"Create the first source"</a></p>
                                })}
                            </section>
                        }.into_any()
                    } else {
                        page.sources.into_iter().map(|s| {
                            let url = format!("{base}/hooks/{}", s.slug);
                            view! {
                                <section class="card source">
                                    <h2>
                                        {s.name.clone()} " " <span class="badge badge-neutral">{s.scheme.clone()}</span> " "
                                        {can(Permission::Administer).then(|| view! {
                                            <a class="button button-quiet" href=format!("/sources/{}", s.slug)>"Edit or rotate secret"</a>
                                        })}
                                    </h2>
                                    <div class="inbound">
                                        <span class="muted">"Inbound URL"</span>
                                        <code data-testid="inbound-url">{url.clone()}</code>
                                        <CopyButton text=url />
                                    </div>
                                    <p class="muted">
                                        {format!("{} active signing secret{} · timestamp tolerance {} s · body limit {} KiB",
                                            s.active_secrets, if s.active_secrets == 1 { "" } else { "s" },
                                            s.tolerance_secs, s.max_body_bytes / 1024)}
                                    </p>
                                </section>
                            }
                        }).collect_view().into_any()
                    };
                    let rejections = if page.rejections.is_empty() {
                        view! { <p class="muted">"No refused requests. Misconfigured senders show up here with the reason."</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap">
                                <table class="data">
                                    <thead><tr><th>"Received"</th><th>"Source"</th><th>"Reason"</th><th>"What it means"</th></tr></thead>
                                    <tbody>
                                        {page.rejections.into_iter().map(|r| view! {
                                            <tr>
                                                <td class="nowrap"><Time ms=r.received_at /></td>
                                                <td>{r.source}</td>
                                                <td><span class="badge badge-bad mono">{r.reason}</span></td>
                                                <td class="wrap">{r.explanation.into_iter().map(|e| view! { <p class="explain">{e}</p> }).collect_view()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    };
                    view! {
                        {sources}
                        <section class="card">
                            <h2>"Recent rejections"</h2>
                            {rejections}
                        </section>
                    }.into_any()
        }} />
    }
}
