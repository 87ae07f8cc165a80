//! `hookyard send`: a correctly signed sample event, for trying Hookyard in a minute.

use anyhow::{bail, Context};
use hookyard_core::ingest::samples::{random_id, sample_event, SAMPLE_TYPES};
use hookyard_core::ingest::scheme::Scheme;
use hookyard_core::ingest::signature::sign;
use hookyard_core::time::now_ms;

use super::serve::open_store;
use crate::cli::SendArgs;

pub async fn send(args: &SendArgs, database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let source = store.source_by_slug(&args.source).await?.with_context(|| {
        format!(
            "no source {:?} (hookyard source list shows them)",
            args.source
        )
    })?;
    let secret = source
        .secrets
        .iter()
        .find(|s| s.expires_at.is_none())
        .context("the source has no current secret")?;
    let now_secs = now_ms() / 1000;
    let (body, event_type) = match &args.data {
        Some(data) => {
            let text = match data.strip_prefix('@') {
                Some(path) => std::fs::read(path).with_context(|| format!("cannot read {path}"))?,
                None => data.clone().into_bytes(),
            };
            let event_type = args.event_type.clone().unwrap_or_else(|| {
                serde_json::from_slice::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
                    .unwrap_or_else(|| "unknown".into())
            });
            (text, event_type)
        }
        None => {
            let event_type = args.event_type.as_deref().unwrap_or(SAMPLE_TYPES[0]);
            let sample = sample_event(event_type, now_secs).with_context(|| {
                format!(
                    "no sample {event_type:?}; samples: {}",
                    SAMPLE_TYPES.join(", ")
                )
            })?;
            (serde_json::to_vec(&sample)?, event_type.to_string())
        }
    };
    let message_id = random_id("msg");
    let mut headers = sign(
        source.scheme,
        &source.config,
        &secret.secret,
        &body,
        now_secs,
        &message_id,
    );
    match source.scheme {
        Scheme::Github => headers.push(("x-github-event".into(), event_type.clone())),
        Scheme::Shopify => headers.push(("x-shopify-topic".into(), event_type.clone())),
        _ => {}
    }
    let url = format!("{}/hooks/{}", args.url.trim_end_matches('/'), source.slug);
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let mut request = client
        .post(&url)
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("cannot reach {url} (is `hookyard serve` running there?)"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("{url} answered {status}: {text}");
    }
    println!("Sent {event_type} to {url}: {status} {text}");
    Ok(())
}
