//! The one way a page waits for its data: a loading line, then the view or a plain error.

use leptos::prelude::*;

/// Shows `loading` until `resource` has loaded, then `render(value)`, or, if loading failed,
/// `failed` followed by the server's sentence. The resource is awaited inside `Suspend`, the
/// pattern Leptos recommends for streaming SSR.
#[component]
pub fn Loaded<T, F, V>(
    resource: Resource<Result<T, ServerFnError>>,
    loading: &'static str,
    failed: &'static str,
    render: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=move || view! { <p class="loading">{loading}</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => render(value).into_any(),
                        Err(err) => {
                            view! {
                                <div class="alert alert-error" role="alert">
                                    <strong>{failed}</strong>
                                    " "
                                    {err.to_string()}
                                </div>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}
