//! `hookyard endpoint add | list | pause | resume | disable | enable | rotate-secret`.

use anyhow::{bail, Context};
use hookyard_core::delivery::pattern;
use hookyard_core::ingest::scheme::{generate_secret, secret_format_warning, Scheme};
use hookyard_core::store::NewEndpoint;
use hookyard_core::time::now_ms;

use super::serve::open_store;
use crate::cli::{EndpointAddArgs, EndpointStateArgs};

/// Who the audit log names for changes made from the command line.
const CLI_ACTOR: &str = "cli";

pub async fn add(args: &EndpointAddArgs, database_url: &str) -> anyhow::Result<()> {
    let patterns: Vec<String> = args
        .events
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if patterns.is_empty() {
        bail!(
            "--events needs at least one event type pattern, e.g. 'charge.*,invoice.paid' or '*'"
        );
    }
    for p in &patterns {
        pattern::validate(p).map_err(anyhow::Error::msg)?;
    }
    let url =
        url::Url::parse(&args.url).with_context(|| format!("--url {:?} is not a URL", args.url))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("--url must be http:// or https://");
    }
    let headers = args
        .headers
        .iter()
        .map(|h| {
            h.split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                .with_context(|| format!("--header {h:?}: use 'Name: value'"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let retry_schedule = args
        .retry_schedule
        .as_deref()
        .map(|s| {
            s.split(',')
                .map(|d| d.trim().parse::<u64>())
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
        .context("--retry-schedule: comma-separated whole seconds, e.g. 5,60,600")?;
    if !(1..=1000).contains(&args.max_in_flight) {
        bail!("--max-in-flight must be between 1 and 1000");
    }
    if !(1..=300).contains(&args.timeout_secs) {
        bail!("--timeout-secs must be between 1 and 300");
    }
    let secret = args
        .secret
        .clone()
        .unwrap_or_else(|| generate_secret(Scheme::Standard));
    if let Some(w) = secret_format_warning(Scheme::Standard, &secret) {
        bail!("--secret: {w}");
    }
    let store = open_store(database_url).await?;
    let source_id = match &args.source {
        Some(slug) => Some(
            store
                .source_by_slug(slug)
                .await?
                .with_context(|| format!("no source {slug:?}"))?
                .id,
        ),
        None => None,
    };
    let id = store
        .create_endpoint(
            &NewEndpoint {
                name: args.name.clone(),
                url: url.to_string(),
                description: args.description.clone(),
                patterns,
                source_id,
                secret: secret.clone(),
                headers,
                timeout_ms: (args.timeout_secs * 1000) as i64,
                max_in_flight: args.max_in_flight,
                retry_schedule,
            },
            now_ms(),
        )
        .await?;
    println!("Created endpoint {id} ({}) -> {url}", args.name);
    println!("Signing secret: {secret}");
    println!("Verify deliveries with any Standard Webhooks library using this secret.");
    Ok(())
}

pub async fn list(database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let endpoints = store.endpoints().await?;
    if endpoints.is_empty() {
        println!("No endpoints yet. Create one: hookyard endpoint add --name orders --url http://localhost:8080/hooks --events '*'");
        return Ok(());
    }
    println!(
        "{:>4}  {:<20} {:<9} {:<30} URL",
        "ID", "NAME", "STATE", "EVENTS"
    );
    for r in endpoints {
        let e = r.endpoint;
        let state = if e.state_reason.is_empty() {
            e.state
        } else {
            format!("{} ({})", e.state, e.state_reason)
        };
        println!(
            "{:>4}  {:<20} {:<9} {:<30} {}",
            e.id,
            e.name,
            state,
            e.patterns.join(","),
            e.url
        );
    }
    Ok(())
}

pub async fn set_state(
    args: &EndpointStateArgs,
    state: &str,
    database_url: &str,
) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let reason = if args.reason.is_empty() && state != "enabled" {
        format!("{state} from the command line")
    } else {
        args.reason.clone()
    };
    store
        .set_endpoint_state(args.id, state, &reason, CLI_ACTOR, now_ms())
        .await?;
    println!("Endpoint {} is now {state}.", args.id);
    Ok(())
}

pub async fn rotate(args: &EndpointStateArgs, database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let secret = generate_secret(Scheme::Standard);
    store
        .rotate_endpoint_secret(args.id, &secret, CLI_ACTOR, now_ms())
        .await?;
    println!("New signing secret for endpoint {}: {secret}", args.id);
    println!("Deliveries are signed with it from now on; update the handler.");
    Ok(())
}
