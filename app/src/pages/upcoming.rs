//! Placeholder for pages whose issue has not landed yet: it says plainly what the page will do,
//! rather than pretending with fake data.

use leptos::prelude::*;
use leptos_meta::Title;

struct Plan {
    href: &'static str,
    title: &'static str,
    what: &'static str,
}

const PLANS: &[Plan] = &[
    Plan {
        href: "/audit",
        title: "Audit log",
        what: "Who did what: logins, replays, bulk actions and configuration changes.",
    },
    Plan {
        href: "/users",
        title: "Users & tokens",
        what: "People who may sign in, their roles, and API tokens.",
    },
];

/// The page at `href`, announced but not built yet.
#[component]
pub fn Upcoming(href: &'static str) -> impl IntoView {
    let plan = PLANS.iter().find(|p| p.href == href);
    let title = plan.map_or("Coming soon", |p| p.title);
    let what = plan.map_or("", |p| p.what);
    view! {
        <Title text=title />
        <header class="page-header">
            <h1>{title}</h1>
        </header>
        <section class="empty-state">
            <span class="badge badge-neutral">"Coming soon"</span>
            <h2>"This page is not built yet"</h2>
            <p>{what}</p>
        </section>
    }
}
