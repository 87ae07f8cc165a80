//! Server functions: the dashboard's calls into the server. Each runs on the server only and
//! reaches the store through Leptos context (provided by `hookyard_server::router`).

use hookyard_core::model::Overview;
use leptos::prelude::*;

/// The figures on the Overview page.
#[server]
pub async fn get_overview() -> Result<Overview, ServerFnError> {
    let store = expect_context::<hookyard_core::store::SharedStore>();
    store
        .overview(hookyard_core::time::now_ms())
        .await
        .map_err(|err| {
            // Internal detail goes to the log, never to the browser.
            tracing::error!(error = %err, "overview query failed");
            ServerFnError::new("The database is not answering; the figures cannot be shown.")
        })
}
