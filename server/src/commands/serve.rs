//! `hookyard serve` and `hookyard migrate`.

use std::time::Duration;

use anyhow::Context;
use hookyard_core::alerts::monitor::{self, MonitorConfig};
use hookyard_core::alerts::AlertSettings;
use hookyard_core::delivery::guard::NetworkPolicy;
use hookyard_core::delivery::worker::{self, WorkerConfig};
use hookyard_core::ingest::scheme;
use hookyard_core::payments;
use hookyard_core::store::{self, redact_url, SharedStore};

use crate::access::AccessConfig;
use crate::cli::{SecureCookies, ServeArgs};
use crate::{assets, build_router, AppState};

/// Opens and migrates the database, with the master key from `HOOKYARD_SECRET_KEY` or the
/// key file; refuses a key that did not encrypt the stored secrets.
pub async fn open_store(database_url: &str) -> anyhow::Result<SharedStore> {
    let store = store::connect(database_url).await?;
    store.migrate().await?;
    store.check_master_key().await?;
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
    // Signal handlers go in before the URL is printed: a SIGTERM that follows the
    // announcement must shut down gracefully, never hit the default action.
    let stop = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    println!("Hookyard is running at http://{addr}/");
    tracing::info!(%addr, "listening");

    let grace = Duration::from_secs(args.shutdown_grace_secs);
    let policy = NetworkPolicy::parse(&args.endpoint_allow_networks, &args.endpoint_deny_networks)
        .map_err(anyhow::Error::msg)
        .context("HOOKYARD_ENDPOINT_ALLOW_NETWORKS / HOOKYARD_ENDPOINT_DENY_NETWORKS")?;
    let access = access_config(args, addr);
    let alerts = alert_config(args, &policy)?;
    if !store.access().has_admin().await? {
        tracing::warn!(
            "no admin yet: the dashboard asks for one. Create it with \
             `hookyard user add --email you@example.com --role admin`"
        );
    }
    let state = AppState::new(store.clone())
        .with_endpoint_policy(policy.clone())?
        .with_access(access)
        .with_alerts(alerts.settings.clone());
    let sweeper = tokio::spawn(sweep_sessions(store.clone()));
    let retention = store::operations::spawn_retention(store.clone(), args.retention_days);
    let alert_monitor = monitor::spawn(store.clone(), alerts);
    let worker = if args.no_worker {
        None
    } else {
        let config = WorkerConfig {
            max_in_flight: args.max_in_flight.max(1),
            disable_after: Duration::from_secs(args.disable_after_hours * 3600),
            alert_after_failures: args.alert_after_failures,
            policy,
            ..WorkerConfig::default()
        };
        Some(worker::spawn(
            store.clone(),
            config,
            state.ingestor.deliveries_ready.clone(),
        ))
    };
    let projector =
        payments::projector::spawn(store.clone(), state.ingestor.payments_ready.clone());
    let app = build_router(state);
    let server = serve_connections(listener, app, stop.clone());
    // The grace period starts at the signal, not at start-up.
    tokio::select! {
        () = server => {}
        _ = async {
            stopped(stop).await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!("in-flight requests did not finish within {grace:?}; exiting"),
    }
    projector.stop().await;
    sweeper.abort();
    retention.abort();
    alert_monitor.abort();
    if let Some(worker) = worker {
        // Deliveries already sent are recorded; the rest stay leased and are taken up again.
        let _ = tokio::time::timeout(grace, worker.stop()).await;
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Alert settings from the command line; a URL needs a secret to sign with.
fn alert_config(args: &ServeArgs, policy: &NetworkPolicy) -> anyhow::Result<MonitorConfig> {
    let url = args.alert_url.clone().filter(|u| !u.trim().is_empty());
    let secret = args.alert_secret.clone().filter(|s| !s.trim().is_empty());
    if let Some(url) = &url {
        match url::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => anyhow::bail!("HOOKYARD_ALERT_URL {url:?} is not an http(s) URL"),
        }
        if secret.is_none() {
            anyhow::bail!(
                "HOOKYARD_ALERT_URL is set but HOOKYARD_ALERT_SECRET is not: alerts are signed. \
                 Make a secret with `hookyard generate-alert-secret`"
            );
        }
    }
    if let Some(warning) = secret
        .as_deref()
        .and_then(|s| scheme::secret_format_warning(scheme::Scheme::Standard, s))
    {
        anyhow::bail!("HOOKYARD_ALERT_SECRET: {warning}");
    }
    if url.is_none() {
        tracing::info!("no HOOKYARD_ALERT_URL: alerts are shown in the dashboard only");
    }
    Ok(MonitorConfig {
        settings: AlertSettings {
            url,
            after_failures: args.alert_after_failures,
            quiet: args.alert_quiet.0.clone(),
        },
        secret,
        owner: hookyard_core::ingest::samples::random_id("alerts"),
        tick: Duration::from_millis(args.alert_tick_ms.max(100)),
        policy: policy.clone(),
    })
}

/// Session lifetimes and cookie flags from the command line.
fn access_config(args: &ServeArgs, addr: std::net::SocketAddr) -> AccessConfig {
    let public_https = std::env::var("HOOKYARD_PUBLIC_URL")
        .is_ok_and(|url| url.trim().to_ascii_lowercase().starts_with("https://"));
    let secure_cookies = match args.secure_cookies {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => public_https || !addr.ip().is_loopback(),
    };
    if !secure_cookies && !addr.ip().is_loopback() {
        tracing::warn!("session cookies are not marked Secure; serve the dashboard over HTTPS");
    }
    AccessConfig {
        idle: Duration::from_secs(args.session_idle_minutes.max(1) * 60),
        absolute: Duration::from_secs(args.session_max_hours.max(1) * 3600),
        secure_cookies,
        metrics_token: args.metrics_token.clone().filter(|t| !t.trim().is_empty()),
        ..AccessConfig::default()
    }
}

/// Deletes expired sessions every ten minutes (they are refused anyway; this keeps the table
/// small).
async fn sweep_sessions(store: SharedStore) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        match store
            .access()
            .delete_expired_sessions(hookyard_core::time::now_ms())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sessions = n, "expired sessions deleted"),
            Err(err) => tracing::warn!(error = %err, "cannot delete expired sessions"),
        }
    }
}

/// A client gets this long to send a request's line and headers, on a new connection and
/// between requests on a kept-alive one; a slow-loris client trickling its headers is
/// disconnected. Request bodies have their own limit (`hooks::BODY_TIMEOUT`).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves HTTP/1.1 on `listener` until `stop` turns true, then lets open requests finish.
/// Like `axum::serve`, plus the header read timeout it does not set (it has no timer).
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    // Each connection holds a receiver; all dropped = every connection finished.
    let (close_tx, close_rx) = tokio::sync::watch::channel(());
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, typically: wait instead of spinning.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stopped(stop.clone()) => break,
        };
        // The client's address is what sign-in attempts are rate-limited by.
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req
            },
        );
        let service = hyper_util::service::TowerToHyperService::new(service);
        let conn = http
            .serve_connection(hyper_util::rt::TokioIo::new(io), service)
            .with_upgrades();
        let (stop, close_rx) = (stop.clone(), close_rx.clone());
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stopped(stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(close_rx);
        });
    }
    drop(listener);
    drop(close_rx);
    close_tx.closed().await;
}

/// Installs SIGINT and SIGTERM handlers now; the receiver turns true at the first signal.
fn shutdown_signal() -> anyhow::Result<tokio::sync::watch::Receiver<bool>> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
            tracing::info!("shutdown requested; finishing in-flight requests");
            let _ = tx.send(true);
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = tx.send(true);
    });
    Ok(rx)
}

/// Resolves once a shutdown signal has arrived.
async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}
