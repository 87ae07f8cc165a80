//! Hookyard's own benchmark: drives a real `hookyard serve` process over HTTP and prints each
//! figure next to its PRODUCT.md target. See the README's benchmark section.
//!
//!   hookyard-bench ingest [--database-url URL] [--clients 64] [--seconds 60] [--rate N]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use hookyard_core::ingest::samples::random_id;
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;

#[derive(Parser)]
#[command(
    name = "hookyard-bench",
    about = "Measure Hookyard against its PRODUCT.md targets"
)]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Signed ~1 KiB Stripe events from concurrent clients to a fresh server; checks afterwards
    /// that exactly the acknowledged events are stored.
    Ingest(IngestArgs),
    /// Deliveries to a local handler answering 200: N events are stored first, then a server
    /// with the delivery worker starts and the clock runs until every delivery succeeded.
    Deliver(DeliverArgs),
    /// The Events page and payload search over a large store: seeds N events (1,000,000 by
    /// default) straight into the database, starts a server and times page requests per filter.
    Pages(PagesArgs),
    /// How many write+fdatasync cycles per second this disk does (the ceiling for durable commits).
    Fsync {
        #[arg(long, default_value = "data")]
        dir: PathBuf,
    },
}

#[derive(clap::Args)]
struct DeliverArgs {
    /// Database (fresh SQLite under /tmp by default; a PostgreSQL database should be empty).
    #[arg(long)]
    database_url: Option<String>,
    /// Events to deliver.
    #[arg(long, default_value_t = 50_000)]
    events: usize,
    /// The endpoint's in-flight limit.
    #[arg(long, default_value_t = 256)]
    max_in_flight: usize,
    /// The hookyard binary to start (default: beside this one).
    #[arg(long)]
    hookyard: Option<PathBuf>,
}

#[derive(clap::Args)]
struct PagesArgs {
    /// Database (fresh SQLite under /tmp by default; a PostgreSQL database should be empty).
    #[arg(long)]
    database_url: Option<String>,
    /// Events to store before measuring.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Timed requests per page.
    #[arg(long, default_value_t = 100)]
    requests: usize,
    /// The hookyard binary to start (default: beside this one).
    #[arg(long)]
    hookyard: Option<PathBuf>,
}

#[derive(clap::Args)]
struct IngestArgs {
    /// Database for the server under test; a fresh SQLite file under /tmp by default.
    /// A PostgreSQL database should be empty (it is migrated, then written to).
    #[arg(long)]
    database_url: Option<String>,
    /// Concurrent clients (each one keep-alive connection).
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// How long to send.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Total request rate to hold (open loop); unset = as fast as the server answers.
    #[arg(long)]
    rate: Option<f64>,
    /// The type of every event sent; a payment type (the default) also queues each event for
    /// the payments projection, any other type measures ingest alone.
    #[arg(long, default_value = "payment_intent.succeeded")]
    event_type: String,
    /// The hookyard binary to start (default: beside this one).
    #[arg(long)]
    hookyard: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.what {
        What::Ingest(args) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1) // the server gets the other core
            .enable_all()
            .build()?
            .block_on(ingest(args)),
        What::Deliver(args) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?
            .block_on(deliver(args)),
        What::Pages(args) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?
            .block_on(pages(args)),
        What::Fsync { dir } => {
            let per_sec = fsync_rate(&dir)?;
            println!(
                "fsync baseline ({}): {per_sec:.0} write+fdatasync/s",
                dir.display()
            );
            Ok(())
        }
    }
}

/// Kills the server when dropped, so a failed run leaves nothing behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The hookyard binary: given, or beside this one.
fn hookyard_bin(given: &Option<PathBuf>) -> PathBuf {
    given.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("hookyard")))
            .unwrap_or_else(|| PathBuf::from("hookyard"))
    })
}

const BENCH_SECRET: &str = "whsec_bench_0123456789abcdef";

/// A fresh database (unless given) with a Stripe source; returns (db URL, slug, temp dir).
fn prepare_db(bin: &PathBuf, given: &Option<String>) -> anyhow::Result<(String, String, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("hookyard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = given
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.display()));
    let slug = format!("bench{}", std::process::id());
    let status = Command::new(bin)
        .args([
            "source",
            "add",
            "--slug",
            &slug,
            "--scheme",
            "stripe",
            "--secret",
            BENCH_SECRET,
        ])
        .env("DATABASE_URL", &db)
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !status.success() {
        bail!("hookyard source add failed");
    }
    Ok((db, slug, dir))
}

/// Starts `hookyard serve` on a free port with extra arguments.
async fn start_server(
    bin: &PathBuf,
    db: &str,
    extra: &[&str],
    client: &reqwest::Client,
) -> anyhow::Result<(Server, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let server = Server(
        Command::new(bin)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(extra)
            .env("DATABASE_URL", db)
            .env("HOOKYARD_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?,
    );
    wait_ready(client, port).await?;
    Ok((server, port))
}

async fn ingest(args: IngestArgs) -> anyhow::Result<()> {
    let bin = hookyard_bin(&args.hookyard);
    let (db, slug, dir) = prepare_db(&bin, &args.database_url)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .timeout(Duration::from_secs(30))
        .build()?;
    let (server, port) = start_server(&bin, &db, &["--no-worker"], &client).await?;
    let url = format!("http://127.0.0.1:{port}/hooks/{slug}");

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let interval = args
        .rate
        .map(|r| Duration::from_secs_f64(args.clients as f64 / r));
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let (client, url, stop) = (client.clone(), url.clone(), stop.clone());
        let event_type = args.event_type.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies_us = Vec::with_capacity(1 << 16);
            let (mut acked, mut errors) = (0u64, 0u64);
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                if interval.is_some() {
                    tokio::time::sleep_until(next.into()).await;
                }
                // Latency counts from the scheduled send time (no coordinated omission).
                let sent = if interval.is_some() {
                    next
                } else {
                    Instant::now()
                };
                let req = signed_post(&client, &url, &event_type);
                match req.send().await {
                    Ok(res) if res.status().is_success() => {
                        let _ = res.bytes().await;
                        acked += 1;
                        latencies_us.push(sent.elapsed().as_micros() as u32);
                    }
                    _ => errors += 1,
                }
                if let Some(every) = interval {
                    next += every;
                }
            }
            (acked, errors, latencies_us)
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut acked, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
    for t in tasks {
        let (a, e, l) = t.await?;
        acked += a;
        errors += e;
        latencies.extend(l);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rss = peak_rss_kib(server.0.id());
    drop(server);
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |us| *us as f64 / 1000.0)
    };
    let store = hookyard_core::store::connect(&db).await?;
    let stored = store.count_events().await?;

    let backend = if db.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let mode = args.rate.map_or("as fast as possible".to_string(), |r| {
        format!("held at {r:.0}/s")
    });
    println!(
        "ingest: {backend}, {} clients, {} s, {mode}",
        args.clients, args.seconds
    );
    println!(
        "  acknowledged (2xx)  {acked} ({:.0} events/s)",
        acked as f64 / elapsed
    );
    println!("  errors              {errors}");
    println!(
        "  latency             p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "  server peak RSS     {:.1} MB",
        rss.unwrap_or(0) as f64 / 1024.0
    );
    let exact = stored == acked as i64;
    println!(
        "  stored events       {stored} ({})",
        if exact { "= acknowledged" } else { "MISMATCH" }
    );
    let _ = std::io::stdout().flush();
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if !exact {
        bail!("stored {stored} events but {acked} were acknowledged");
    }
    Ok(())
}

async fn deliver(args: DeliverArgs) -> anyhow::Result<()> {
    use axum::routing::post;
    let bin = hookyard_bin(&args.hookyard);
    let (db, slug, dir) = prepare_db(&bin, &args.database_url)?;
    // The handler: answers 200 at once and counts.
    let received = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = received.clone();
    let handler = axum::Router::new().route(
        "/hook",
        post(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async { "ok" }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let handler_addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, handler).await });
    let status = Command::new(&bin)
        .args([
            "endpoint",
            "add",
            "--name",
            "bench",
            "--url",
            &format!("http://{handler_addr}/hook"),
            "--events",
            "*",
        ])
        .args(["--max-in-flight", &args.max_in_flight.to_string()])
        .env("DATABASE_URL", &db)
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("hookyard endpoint add failed");
    }
    // Phase 1: store the events (and their deliveries) with the worker off.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let (server, port) = start_server(&bin, &db, &["--no-worker"], &client).await?;
    let url = format!("http://127.0.0.1:{port}/hooks/{slug}");
    let per_task = args.events.div_ceil(32);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_task {
                let req = signed_post(&client, &url, "payment_intent.succeeded");
                let _ = req.send().await;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    drop(server);
    let store = hookyard_core::store::connect(&db).await?;
    let total = store.count_deliveries(None).await?;
    // Phase 2: a server with the worker delivers them all.
    let started = Instant::now();
    let (server, _) = start_server(
        &bin,
        &db,
        &["--max-in-flight", &args.max_in_flight.to_string()],
        &client,
    )
    .await?;
    loop {
        let done = store.count_deliveries(Some("succeeded")).await?;
        if done >= total {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("only {done} of {total} deliveries succeeded in 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rss = peak_rss_kib(server.0.id());
    drop(server);
    let backend = if db.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    println!(
        "deliver: {backend}, {total} deliveries, endpoint max in flight {}",
        args.max_in_flight
    );
    println!(
        "  succeeded           {total} in {elapsed:.1} s ({:.0} deliveries/s, attempts recorded)",
        total as f64 / elapsed
    );
    println!("  handler received    {}", received.load(Ordering::Relaxed));
    println!(
        "  server peak RSS     {:.1} MB",
        rss.unwrap_or(0) as f64 / 1024.0
    );
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// A POST of a fresh ~1 KiB event, signed as Stripe signs it.
/// Event types the seeded store cycles through.
const SEED_TYPES: [&str; 10] = [
    "payment_intent.succeeded",
    "payment_intent.created",
    "charge.succeeded",
    "charge.refunded",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.updated",
    "checkout.session.completed",
    "charge.dispute.created",
    "refund.created",
];

async fn pages(args: PagesArgs) -> anyhow::Result<()> {
    use hookyard_core::ingest::extract::Extracted;
    use hookyard_core::store::NewEvent;
    let bin = hookyard_bin(&args.hookyard);
    let (db, slug, dir) = prepare_db(&bin, &args.database_url)?;
    let store = hookyard_core::store::connect(&db).await?;
    let source = store
        .source_by_slug(&slug)
        .await?
        .context("the bench source")?;
    // Spread over the last 30 days, newest last; about 1 KiB each, with a unique order number
    // inside the payload for the search to find.
    let now = hookyard_core::time::now_ms();
    let span = 30 * hookyard_core::time::DAY_MS;
    let n = args.events as i64;
    let started = Instant::now();
    let padding = "x".repeat(700);
    for chunk in (0..n).collect::<Vec<_>>().chunks(2_000) {
        let batch: Vec<NewEvent> = chunk
            .iter()
            .map(|&i| {
                let event_type = SEED_TYPES[i as usize % SEED_TYPES.len()];
                let created = now - span + span * i / n.max(1);
                let body = format!(
                    r#"{{"id":"evt_seed_{i}","object":"event","type":"{event_type}","created":{},"livemode":{},"data":{{"object":{{"id":"pi_seed_{i}","object":"payment_intent","amount":{},"currency":"usd","customer":"cus_{}","metadata":{{"order":"order-{i}","note":"{padding}"}}}}}}}}"#,
                    created / 1000,
                    i % 5 != 0,
                    100 + i % 9_900,
                    i % 5_000
                );
                NewEvent {
                    source_id: source.id,
                    provider_event_id: format!("evt_seed_{i}"),
                    event_type: event_type.to_string(),
                    received_at: created,
                    body: body.into_bytes().into(),
                    headers: "[]".into(),
                    verified_secret_id: None,
                    extracted: Extracted {
                        livemode: Some(i % 5 != 0),
                        object_id: Some(format!("pi_seed_{i}")),
                        object_type: Some("payment_intent".into()),
                        amount: Some(100 + i % 9_900),
                        currency: Some("usd".into()),
                        customer: Some(format!("cus_{}", i % 5_000)),
                        provider_created_at: Some(created),
                        ..Default::default()
                    },
                    fanout: Vec::new(),
                    payment: false,
                }
            })
            .collect();
        let refs: Vec<&NewEvent> = batch.iter().collect();
        store.insert_events(&refs).await?;
        if chunk[0] % 100_000 == 0 {
            eprint!("\rseeding: {} events", chunk[0]);
        }
    }
    eprintln!(
        "\rseeded {} events in {:.0} s",
        n,
        started.elapsed().as_secs_f64()
    );
    // Statistics as autovacuum (PostgreSQL) or `PRAGMA optimize` would have them on a store
    // that grew to this size; measured without, the first minutes after a bulk load plan badly.
    store.analyze().await?;
    // Pages are measured as a developer sees them (payload search included), signed in with
    // an API token; redirects are not followed, so a refused request fails the run.
    let token = hookyard_core::access::token::generate();
    store
        .access()
        .create_token(
            "benchmark",
            hookyard_core::access::Role::Developer,
            &hookyard_core::access::token::digest(&token),
            &hookyard_core::access::token::hint(&token),
            "hookyard-bench",
            now,
        )
        .await?;
    store.close().await;

    let mut auth = reqwest::header::HeaderMap::new();
    auth.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(auth)
        .build()?;
    let (server, port) = start_server(&bin, &db, &["--no-worker"], &client).await?;
    let middle = now - span / 2;
    let cases: Vec<(String, String, u128)> = vec![
        ("newest page, no filter".into(), "/events".into(), 20),
        (
            "type = charge.succeeded".into(),
            "/events?type=charge.succeeded".into(),
            20,
        ),
        (
            "type prefix invoice.*".into(),
            "/events?type=invoice.*".into(),
            20,
        ),
        ("source".into(), format!("/events?source={slug}"), 20),
        (
            "provider id (exact)".into(),
            format!("/events?id=evt_seed_{}", n / 2),
            20,
        ),
        (
            "object id (exact)".into(),
            format!("/events?id=pi_seed_{}", n / 3),
            20,
        ),
        ("last hour".into(), "/events?range=1h".into(), 20),
        // The seed has no deliveries, so this reads every event: the worst case.
        (
            "delivery status, no match".into(),
            "/events?status=failed".into(),
            20,
        ),
        (
            "a page 15 days back (cursor)".into(),
            format!("/events?before={middle}_{}", n / 2),
            20,
        ),
        (
            "type + cursor".into(),
            format!("/events?type=charge.refunded&before={middle}_{}", n / 2),
            20,
        ),
        (
            "payload search, 24 h window".into(),
            format!("/events?q=order-{}", n - 7),
            200,
        ),
        (
            "payload search, 7 days".into(),
            format!("/events?q=order-{}&range=7d", n - n / 10),
            200,
        ),
        (
            "payload search, no match, 24 h".into(),
            "/events?q=no-such-value".into(),
            200,
        ),
    ];
    println!(
        "Events page over {} stored events ({}), {} requests each, server time incl. rendering:",
        n,
        if db.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        args.requests
    );
    for (label, path, target) in cases {
        let url = format!("http://127.0.0.1:{port}{path}");
        for _ in 0..3 {
            client.get(&url).send().await?.bytes().await?;
        }
        let mut times = Vec::with_capacity(args.requests);
        for _ in 0..args.requests {
            let t = Instant::now();
            let res = client.get(&url).send().await?;
            if !res.status().is_success() {
                bail!("{path}: HTTP {}", res.status());
            }
            res.bytes().await?;
            times.push(t.elapsed().as_micros());
        }
        times.sort_unstable();
        let pct = |p: f64| {
            times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1] as f64
                / 1000.0
        };
        let p99 = pct(0.99);
        println!(
            "  {label:<32} p50 {:>7.1} ms  p99 {:>7.1} ms   target p99 <= {target} ms  {}",
            pct(0.5),
            p99,
            if p99 <= target as f64 {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    drop(server);
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

fn signed_post(client: &reqwest::Client, url: &str, event_type: &str) -> reqwest::RequestBuilder {
    let body = event_body(event_type);
    let now = hookyard_core::time::now_ms() / 1000;
    let mut req = client.post(url).header("content-type", "application/json");
    for (k, v) in sign(
        Scheme::Stripe,
        &SchemeConfig::default(),
        BENCH_SECRET,
        &body,
        now,
        "",
    ) {
        req = req.header(k, v);
    }
    req.body(body)
}

/// A Stripe-shaped event of about 1 KiB with a fresh id, of type `event_type`.
fn event_body(event_type: &str) -> Vec<u8> {
    let mut event = hookyard_core::ingest::samples::sample_event(
        "payment_intent.succeeded",
        hookyard_core::time::now_ms() / 1000,
    )
    .expect("known sample");
    event["data"]["object"]["metadata"]["padding"] = random_id("pad").repeat(12).into();
    event["type"] = event_type.into();
    serde_json::to_vec(&event).expect("serialisable")
}

async fn wait_ready(client: &reqwest::Client, port: u16) -> anyhow::Result<()> {
    for _ in 0..100 {
        if let Ok(res) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            if res.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready")
}

/// The process's peak resident set (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn fsync_rate(dir: &std::path::Path) -> anyhow::Result<f64> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(".fsync-probe");
    let mut file = std::fs::File::create(&path)?;
    let block = [0u8; 4096];
    let started = Instant::now();
    let mut n = 0u32;
    while started.elapsed() < Duration::from_secs(2) {
        file.write_all(&block)?;
        file.sync_data()?;
        n += 1;
    }
    let rate = f64::from(n) / started.elapsed().as_secs_f64();
    drop(file);
    let _ = std::fs::remove_file(path);
    Ok(rate)
}
