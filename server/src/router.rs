//! The one function that builds the whole HTTP router, used by `hookyard serve` and by tests.

use axum::extract::FromRef;
use axum::routing::get;
use axum::Router;
use hookyard_app::{shell, App};
use hookyard_core::store::SharedStore;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

use crate::{assets, health};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: SharedStore,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// State for a server that keeps its data in `store`.
    pub fn new(store: SharedStore) -> Self {
        // Assets are embedded and served by `assets::serve`, so only the names matter here;
        // no LEPTOS_* variables or Cargo.toml metadata are read at run time.
        let leptos_options = LeptosOptions::builder()
            .output_name("hookyard")
            .site_pkg_dir("pkg")
            .build();
        Self {
            store,
            leptos_options,
        }
    }
}

/// Every route Hookyard serves.
pub fn build_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let store = state.store.clone();
    let provide = move || provide_context(store.clone());
    let not_found = leptos_axum::render_app_to_stream_with_context(provide.clone(), {
        let options = options.clone();
        move || shell(options.clone())
    });

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/pkg/{file}", get(assets::serve))
        .leptos_routes_with_context(&state, routes, provide, move || shell(options.clone()))
        .fallback(move |req| not_found(req))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
