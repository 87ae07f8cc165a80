//! `hookyard serve` and `hookyard migrate`.

use std::time::Duration;

use anyhow::Context;
use hookyard_core::delivery::guard::NetworkPolicy;
use hookyard_core::delivery::worker::{self, WorkerConfig};
use hookyard_core::store::{self, redact_url, SharedStore};

use crate::cli::ServeArgs;
use crate::{assets, build_router, AppState};

/// Opens and migrates the database.
pub async fn open_store(database_url: &str) -> anyhow::Result<SharedStore> {
    let store = store::connect(database_url).await?;
    store.migrate().await?;
    Ok(store)
}

/// `hookyard migrate`.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    println!(
        "Database {} ({}) is up to date.",
        redact_url(database_url),
        store.backend()
    );
    Ok(())
}

/// `hookyard serve`: runs until SIGTERM or SIGINT, then lets in-flight requests finish.
pub async fn serve(args: &ServeArgs, database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    tracing::info!(database = %redact_url(database_url), backend = %store.backend(), "database ready");
    if !assets::WASM_BUILT {
        tracing::warn!(
            "this binary was built without the browser bundle: pages render but are not \
             interactive. Build with scripts/build-site.sh"
        );
    }
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    println!("Hookyard is running at http://{addr}/");
    tracing::info!(%addr, "listening");

    let grace = Duration::from_secs(args.shutdown_grace_secs);
    let state = AppState::new(store.clone());
    let worker = if args.no_worker {
        None
    } else {
        let config = WorkerConfig {
            max_in_flight: args.max_in_flight.max(1),
            disable_after: Duration::from_secs(args.disable_after_hours * 3600),
            policy: NetworkPolicy::parse(
                &args.endpoint_allow_networks,
                &args.endpoint_deny_networks,
            )
            .map_err(anyhow::Error::msg)
            .context("HOOKYARD_ENDPOINT_ALLOW_NETWORKS / HOOKYARD_ENDPOINT_DENY_NETWORKS")?,
            ..WorkerConfig::default()
        };
        Some(worker::spawn(
            store.clone(),
            config,
            state.ingestor.deliveries_ready.clone(),
        ))
    };
    let app = build_router(state);
    let server = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal());
    // The grace period starts at the signal, not at start-up.
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::select! {
        result = server => result.context("server error")?,
        _ = async {
            let _ = signalled_rx.await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!("in-flight requests did not finish within {grace:?}; exiting"),
        _ = forward_signal(signalled_tx) => {}
    }
    if let Some(worker) = worker {
        // Deliveries already sent are recorded; the rest stay leased and are taken up again.
        let _ = tokio::time::timeout(grace, worker.stop()).await;
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// Tells the grace timer that a signal came; never resolves itself.
async fn forward_signal(tx: tokio::sync::oneshot::Sender<()>) {
    shutdown_signal().await;
    let _ = tx.send(());
    std::future::pending::<()>().await
}
