//! The one function that builds the whole HTTP router, used by `hookyard serve` and by tests.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use axum::Router;
use hookyard_app::{shell, App};
use hookyard_core::alerts::AlertSettings;
use hookyard_core::delivery::guard::NetworkPolicy;
use hookyard_core::delivery::worker::Poster;
use hookyard_core::ingest::{IngestConfig, Ingestor};
use hookyard_core::store::SharedStore;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::access::{self, AccessConfig};
use crate::{api, assets, export, health, hooks, live, metrics};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: SharedStore,
    pub ingestor: Arc<Ingestor>,
    pub leptos_options: LeptosOptions,
    /// Sends the dashboard's test events, under the same network policy as deliveries.
    pub poster: Poster,
    /// Session lifetimes, cookie flags and sign-in limits.
    pub access: AccessConfig,
    /// Where alerts go and what raises them (shown on the Alerts page).
    pub alerts: AlertSettings,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// State for a server that keeps its data in `store`, with default tunables.
    pub fn new(store: SharedStore) -> Self {
        let config = IngestConfig {
            writers: match store.backend() {
                hookyard_core::model::Backend::Sqlite => 1,
                hookyard_core::model::Backend::Postgres => 4,
            },
            ..IngestConfig::default()
        };
        Self::with_ingest_config(store, config)
    }

    /// State with explicit inbound tunables. Starts the event writers (needs a runtime).
    pub fn with_ingest_config(store: SharedStore, ingest: IngestConfig) -> Self {
        // Assets are embedded and served by `assets::serve`, so only the names matter here;
        // no LEPTOS_* variables or Cargo.toml metadata are read at run time.
        let leptos_options = LeptosOptions::builder()
            .output_name("hookyard")
            .site_pkg_dir("pkg")
            .build();
        Self {
            ingestor: Arc::new(Ingestor::new(store.clone(), ingest)),
            store,
            leptos_options,
            poster: Poster::new(NetworkPolicy::default())
                .expect("an HTTP client with default settings builds"),
            access: AccessConfig::default(),
            alerts: AlertSettings {
                after_failures: hookyard_core::alerts::DEFAULT_AFTER_FAILURES,
                ..AlertSettings::default()
            },
        }
    }

    /// The Alerts page describes `settings`.
    pub fn with_alerts(mut self, settings: AlertSettings) -> Self {
        self.alerts = settings;
        self
    }

    /// Sessions and sign-in follow `config`.
    pub fn with_access(mut self, config: AccessConfig) -> Self {
        self.access = config;
        self
    }

    /// Test sends from the dashboard obey `policy`, like the delivery worker.
    pub fn with_endpoint_policy(mut self, policy: NetworkPolicy) -> anyhow::Result<Self> {
        self.poster = Poster::new(policy)?;
        Ok(self)
    }
}

/// Every route Hookyard serves.
/// The dashboard's routes, generated once per process.
///
/// Generating them runs the app with resource loading suppressed through a process-wide flag
/// (`leptos_server::SuppressResourceLoad`): a page rendering at that moment on another thread
/// never loads its data and never answers (leptos-rs/leptos#4773). Generating once, before any
/// router exists, means no page can be rendering when the flag is set.
pub fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn build_router(state: AppState) -> Router {
    let routes = route_list();
    let options = state.leptos_options.clone();
    let store = state.store.clone();
    let poster = state.poster.clone();
    let ingestor = state.ingestor.clone();
    let alerts = state.alerts.clone();
    let provide = move || {
        provide_context(alerts.clone());
        provide_context(store.clone());
        provide_context(poster.clone());
        provide_context(ingestor.clone());
    };
    let not_found = leptos_axum::render_app_to_stream_with_context(provide.clone(), {
        let options = options.clone();
        move || shell(options.clone())
    });

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/export/events.ndjson", get(export::events_ndjson))
        .route("/export/events.csv", get(export::events_csv))
        .route("/export/payments.csv", get(export::payments_csv))
        .route("/pkg/{file}", get(assets::serve))
        .route("/live/events", get(live::events))
        .route("/login", post(access::login))
        .route("/logout", post(access::logout))
        .route(
            "/hooks/{source_slug}",
            // Each source has its own limit (at most 25 MiB), enforced while reading.
            post(hooks::receive).layer(DefaultBodyLimit::disable()),
        )
        .merge(api::router())
        .leptos_routes_with_context(&state, routes, provide, move || shell(options.clone()))
        .fallback(not_found)
        // Inside the session layer: the policy check reads the session.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::authorize,
        ))
        .layer(access::session_layer(state.store.clone(), &state.access))
        .layer(
            // One span per request (method, path) at info, so failures name their request;
            // each response is logged at debug (HOOKYARD_LOG=tower_http=debug shows them).
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        )
        .with_state(state)
}
