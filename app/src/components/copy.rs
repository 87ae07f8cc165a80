//! A button that copies a text to the clipboard and says so.

use leptos::prelude::*;

/// Copies `text`; shows "Copied" for two seconds. Inert until hydration.
#[component]
pub fn CopyButton(text: String, #[prop(default = "Copy")] label: &'static str) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = leptos::prelude::window()
                .navigator()
                .clipboard()
                .write_text(&text);
            set_copied.set(true);
            set_timeout(
                move || set_copied.set(false),
                std::time::Duration::from_secs(2),
            );
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (&text, set_copied);
        }
    };
    view! {
        <button type="button" class="button button-quiet copy" on:click=copy aria-live="polite">
            {move || if copied.get() { "Copied ✓" } else { label }}
        </button>
    }
}
