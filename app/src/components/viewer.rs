//! Who is looking at the page. The server's access layer decides (and enforces) what each
//! role may do; the page gets the same answer, rendered into a meta tag, so the navigation
//! and the buttons show only what the role can use.

use hookyard_core::access::{Permission, Viewer};
use leptos::prelude::*;

/// The meta tag's name.
pub const VIEWER_META: &str = "hookyard-viewer";

/// The viewer of this request (server) or of this page (browser).
pub fn current_viewer() -> Viewer {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Viewer>().cloned())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let content = document()
            .query_selector(&format!("meta[name={VIEWER_META}]"))
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"));
        content
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default()
    }
}

/// The viewer the App provided.
pub fn use_viewer() -> Viewer {
    use_context::<Viewer>().unwrap_or_default()
}

/// Whether the viewer's role has `permission` (to show or hide an action).
pub fn can(permission: Permission) -> bool {
    use_viewer().can(permission)
}
