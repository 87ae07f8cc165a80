use leptos::prelude::*;
use leptos_meta::Title;

/// Any path the router does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <section class="empty-state">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. The navigation lists every page Hookyard has."</p>
            <a class="button" href="/">"Go to the Overview"</a>
        </section>
    }
}
