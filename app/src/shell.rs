//! The HTML document, the router and the layout every page shares.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Outlet, ParentRoute, Route, Router, Routes, A},
    path, SsrMode,
};

use hookyard_core::access::Permission;

use crate::components::{current_viewer, use_viewer, ThemeToggle, VIEWER_META};
use crate::pages::{
    Alerts, Audit, EndpointEditor, Endpoints, Event, EventTypes, Events, Failures, NotFound,
    Overview, Payment, Payments, SignIn, SourceEditor, Sources, Users,
};

/// Applies the saved theme before the first paint, so a dark-theme user never sees a flash of
/// light. Runs before hydration; the toggle keeps `localStorage` and this attribute in step.
const THEME_BOOT: &str = "try{var t=localStorage.getItem('hookyard-theme');\
if(t==='dark'||t==='light'){document.documentElement.setAttribute('data-theme',t)}}catch(e){}";

/// The brand mark as an inline SVG icon, so no request is needed for it.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E\
%3Crect width='32' height='32' rx='7' fill='%233a5ccc'/%3E%3Cpath d='M16 7v16m-7-5a7 7 0 0 0 14 0' \
stroke='white' stroke-width='2.6' fill='none' stroke-linecap='round'/%3E%3Ccircle cx='16' cy='8' r='2.4' \
fill='none' stroke='white' stroke-width='2'/%3E%3C/svg%3E";

/// The whole HTML document, rendered on the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href=FAVICON />
                <script inner_html=THEME_BOOT></script>
                <meta name=VIEWER_META content=viewer_json() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The viewer, for the browser to read (see `components::viewer`).
fn viewer_json() -> String {
    serde_json::to_string(&current_viewer()).unwrap_or_default()
}

/// One entry of the navigation.
struct NavItem {
    href: &'static str,
    label: &'static str,
    icon: &'static str,
    /// Shown to roles with this permission (the same the page's policy entry asks).
    need: Permission,
}

/// The navigation, in the order of PRODUCT.md's pages.
const NAV: &[NavItem] = &[
    NavItem {
        href: "/",
        label: "Overview",
        icon: "◎",
        need: Permission::Read,
    },
    NavItem {
        href: "/events",
        label: "Events",
        icon: "≡",
        need: Permission::Read,
    },
    NavItem {
        href: "/failures",
        label: "Failures",
        icon: "⚠",
        need: Permission::Read,
    },
    NavItem {
        href: "/endpoints",
        label: "Endpoints",
        icon: "⇢",
        need: Permission::Read,
    },
    NavItem {
        href: "/event-types",
        label: "Event types",
        icon: "#",
        need: Permission::Read,
    },
    NavItem {
        href: "/sources",
        label: "Sources",
        icon: "⇠",
        need: Permission::ReadPayloads,
    },
    NavItem {
        href: "/payments",
        label: "Payments",
        icon: "¤",
        need: Permission::Read,
    },
    NavItem {
        href: "/alerts",
        label: "Alerts",
        icon: "!",
        need: Permission::Read,
    },
    NavItem {
        href: "/audit",
        label: "Audit log",
        icon: "✎",
        need: Permission::Administer,
    },
    NavItem {
        href: "/users",
        label: "Users & tokens",
        icon: "☺",
        need: Permission::Administer,
    },
];

/// The application: the sign-in page, and the pages inside the dashboard's frame.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(current_viewer());
    view! {
        <Stylesheet id="leptos" href="/pkg/hookyard.css" />
        <Title formatter=|page: String| format!("{page} · Hookyard") />
        <Router>
            <Routes fallback=|| view! { <Frame><NotFound /></Frame> }>
                <Route path=path!("/login") ssr=SsrMode::Async view=SignIn />
                <ParentRoute path=path!("") view=|| view! { <Frame><Outlet /></Frame> }>
                    <Route path=path!("/") ssr=SsrMode::Async view=Overview />
                    <Route path=path!("/events") ssr=SsrMode::Async view=Events />
                    <Route path=path!("/events/:id") ssr=SsrMode::Async view=Event />
                    <Route path=path!("/failures") ssr=SsrMode::Async view=Failures />
                    <Route path=path!("/endpoints") ssr=SsrMode::Async view=Endpoints />
                    <Route path=path!("/endpoints/new") ssr=SsrMode::Async view=EndpointEditor />
                    <Route path=path!("/endpoints/:id") ssr=SsrMode::Async view=EndpointEditor />
                    <Route path=path!("/event-types") ssr=SsrMode::Async view=EventTypes />
                    <Route path=path!("/sources") ssr=SsrMode::Async view=Sources />
                    <Route path=path!("/sources/:slug") ssr=SsrMode::Async view=SourceEditor />
                    <Route path=path!("/payments") ssr=SsrMode::Async view=Payments />
                    <Route path=path!("/payments/:id") ssr=SsrMode::Async view=Payment />
                    <Route path=path!("/alerts") ssr=SsrMode::Async view=Alerts />
                    <Route path=path!("/audit") ssr=SsrMode::Async view=Audit />
                    <Route path=path!("/users") ssr=SsrMode::Async view=Users />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The signed-in frame: top bar with the user, navigation for the role, the page.
#[component]
fn Frame(children: Children) -> impl IntoView {
    let me = use_viewer().me;
    let nav = NAV
        .iter()
        .filter(|item| me.as_ref().is_some_and(|me| me.can(item.need)))
        .map(|item| {
            view! {
                <li>
                    <A href=item.href exact={item.href == "/"}>
                        <span class="nav-icon" aria-hidden="true">{item.icon}</span>
                        <span>{item.label}</span>
                    </A>
                </li>
            }
        })
        .collect_view();
    let who = me.map(|me| {
        view! {
            <span class="whoami" title=format!("Signed in as {} ({})", me.name, me.role)>
                <span class="whoami-name">{me.name.clone()}</span>
                <span class="role-badge">{me.role.as_str()}</span>
            </span>
            <form method="post" action="/logout" class="signout">
                <button class="button button-quiet" type="submit">"Sign out"</button>
            </form>
        }
    });
    view! {
        <div class="layout">
            <header class="topbar">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"⚓"</span>
                    <span>"Hookyard"</span>
                </a>
                <div class="topbar-actions">{who} <ThemeToggle /></div>
            </header>
            <nav class="sidebar" aria-label="Main">
                <ul>{nav}</ul>
            </nav>
            <main class="content" id="main">{children()}</main>
        </div>
    }
}
