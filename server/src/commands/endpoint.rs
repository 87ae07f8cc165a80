//! `hookyard endpoint add | list | pause | resume | disable | enable | rotate-secret`.

use anyhow::{bail, Context};
use hookyard_core::access::CLI_ACTOR;
use hookyard_core::delivery::settings;
use hookyard_core::ingest::scheme::{generate_secret, secret_format_warning, Scheme};
use hookyard_core::store::NewEndpoint;
use hookyard_core::time::now_ms;

use super::serve::open_store;
use crate::cli::{EndpointAddArgs, EndpointStateArgs};

pub async fn add(args: &EndpointAddArgs, database_url: &str) -> anyhow::Result<()> {
    // The same checks as the dashboard's form, with flag names in the messages.
    let draft = settings::EndpointDraft {
        name: args.name.clone(),
        url: args.url.clone(),
        description: args.description.clone(),
        events: args.events.clone(),
        headers: args.headers.join("\n"),
        timeout_secs: args.timeout_secs.to_string(),
        max_in_flight: args.max_in_flight.to_string(),
        retry_schedule: args.retry_schedule.clone().unwrap_or_default(),
    };
    let valid = settings::validate(&draft, &[]).map_err(|errors| {
        anyhow::anyhow!(errors
            .iter()
            .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))
            .collect::<Vec<_>>()
            .join("\n"))
    })?;
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
                name: valid.name.clone(),
                url: valid.url.clone(),
                description: valid.description,
                patterns: valid.patterns,
                source_id,
                secret: secret.clone(),
                headers: valid.headers,
                timeout_ms: valid.timeout_ms,
                max_in_flight: valid.max_in_flight,
                retry_schedule: valid.retry_schedule,
            },
            now_ms(),
        )
        .await?;
    let detail = serde_json::json!({ "name": valid.name, "url": valid.url });
    store
        .access()
        .audit(
            CLI_ACTOR,
            "endpoint.created",
            &format!("endpoint:{id}"),
            &detail,
            now_ms(),
        )
        .await?;
    println!("Created endpoint {id} ({}) -> {}", valid.name, valid.url);
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
