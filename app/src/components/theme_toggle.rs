//! Light/dark switch. The choice is kept in `localStorage` and applied before first paint by
//! the shell's boot script; with no choice saved, the system preference rules.

use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Theme {
    Light,
    Dark,
}

impl Theme {
    fn other(self) -> Self {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// The button in the top bar. It is inert until hydration (then `data-ready` is set).
#[component]
pub fn ThemeToggle() -> impl IntoView {
    // None until the browser has told us which theme is showing.
    let (theme, set_theme) = signal(None::<Theme>);
    Effect::new(move |_| set_theme.set(Some(browser::current())));

    let toggle = move |_| {
        if let Some(current) = theme.get_untracked() {
            let next = current.other();
            browser::apply(next);
            set_theme.set(Some(next));
        }
    };
    let label = move || match theme.get() {
        Some(t) => format!("Switch to {} theme", t.other().as_str()),
        None => "Switch theme".to_string(),
    };

    view! {
        <button
            type="button"
            class="theme-toggle"
            data-ready=move || theme.get().map(|_| "true")
            aria-label=label
            title=label
            on:click=toggle
        >
            <span class="theme-icon theme-icon-dark" aria-hidden="true">"☾"</span>
            <span class="theme-icon theme-icon-light" aria-hidden="true">"☀"</span>
        </button>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::Theme;

    const KEY: &str = "hookyard-theme";

    /// The theme the page shows now: the saved choice, else the system preference.
    pub fn current() -> Theme {
        let root = leptos::prelude::document().document_element();
        match root
            .and_then(|el| el.get_attribute("data-theme"))
            .as_deref()
        {
            Some("dark") => Theme::Dark,
            Some("light") => Theme::Light,
            _ => {
                let prefers_dark = leptos::prelude::window()
                    .match_media("(prefers-color-scheme: dark)")
                    .ok()
                    .flatten()
                    .is_some_and(|mq| mq.matches());
                if prefers_dark {
                    Theme::Dark
                } else {
                    Theme::Light
                }
            }
        }
    }

    /// Shows `theme` now and remembers it for the next visit.
    pub fn apply(theme: Theme) {
        if let Some(root) = leptos::prelude::document().document_element() {
            let _ = root.set_attribute("data-theme", theme.as_str());
        }
        if let Ok(Some(storage)) = leptos::prelude::window().local_storage() {
            let _ = storage.set_item(KEY, theme.as_str());
        }
    }
}

/// On the server there is no browser: effects never run, so these are never called.
#[cfg(not(feature = "hydrate"))]
mod browser {
    use super::Theme;

    pub fn current() -> Theme {
        Theme::Light
    }

    pub fn apply(_: Theme) {}
}
