//! `hookyard source add | list | rotate-secret`.

use anyhow::{bail, Context};
use hookyard_core::access::CLI_ACTOR;
use hookyard_core::ingest::receive::{valid_slug, MAX_BODY_LIMIT};
use hookyard_core::ingest::scheme::{
    generate_secret, secret_format_warning, Encoding, Scheme, SchemeConfig,
};
use hookyard_core::store::NewSource;
use hookyard_core::time::{format_utc, now_ms, HOUR_MS};

use super::serve::open_store;
use crate::cli::{EncodingArg, RotateArgs, SourceAddArgs};

pub async fn add(args: &SourceAddArgs, database_url: &str) -> anyhow::Result<()> {
    if !valid_slug(&args.slug) {
        bail!(
            "--slug {:?}: use 1-64 lower-case letters, digits, '-' or '_'",
            args.slug
        );
    }
    if !(1..=MAX_BODY_LIMIT).contains(&args.max_body_bytes) {
        bail!("--max-body-bytes must be between 1 and {MAX_BODY_LIMIT} (25 MiB)");
    }
    if !(1..=86_400).contains(&args.tolerance_secs) {
        bail!("--tolerance-secs must be between 1 and 86400");
    }
    let scheme = Scheme::from(args.scheme);
    let secret = args
        .secret
        .clone()
        .unwrap_or_else(|| generate_secret(scheme));
    if let Some(warning) = secret_format_warning(scheme, &secret) {
        eprintln!("warning: {warning}");
    }
    let config = SchemeConfig {
        header: args.hmac_header.to_ascii_lowercase(),
        prefix: args.hmac_prefix.clone(),
        encoding: match args.hmac_encoding {
            EncodingArg::Hex => Encoding::Hex,
            EncodingArg::Base64 => Encoding::Base64,
        },
        id_pointer: args.id_pointer.clone(),
        type_pointer: args.type_pointer.clone(),
        payments: args
            .payment_mapping
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .context("--payment-mapping is not a valid mapping")?,
    };
    let store = open_store(database_url).await?;
    let new = NewSource {
        slug: args.slug.clone(),
        name: args.name.clone().unwrap_or_else(|| args.slug.clone()),
        scheme,
        config,
        secret: secret.clone(),
        tolerance_secs: args.tolerance_secs,
        max_body_bytes: args.max_body_bytes,
    };
    store.create_source(&new, now_ms()).await?;
    let detail = serde_json::json!({ "scheme": scheme.as_str() });
    let target = format!("source:{}", args.slug);
    store
        .access()
        .audit(CLI_ACTOR, "source.created", &target, &detail, now_ms())
        .await?;
    println!("Created source {} (scheme {scheme}).", args.slug);
    println!(
        "Inbound URL:    {}/hooks/{}",
        args.public_url.trim_end_matches('/'),
        args.slug
    );
    println!("Signing secret: {secret}");
    if args.secret.is_none() {
        println!("(generated: paste it into the sender's webhook settings; it is not shown again)");
    }
    Ok(())
}

pub async fn list(database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let sources = store.list_sources(now_ms()).await?;
    if sources.is_empty() {
        println!("No sources yet. Create one: hookyard source add --slug stripe --scheme stripe");
        return Ok(());
    }
    println!(
        "{:<24} {:<9} {:>9} {:>11} {:>8}",
        "SLUG", "SCHEME", "TOLERANCE", "BODY LIMIT", "SECRETS"
    );
    for s in sources {
        println!(
            "{:<24} {:<9} {:>8}s {:>11} {:>8}",
            s.slug, s.scheme, s.tolerance_secs, s.max_body_bytes, s.active_secrets
        );
    }
    Ok(())
}

pub async fn rotate(args: &RotateArgs, database_url: &str) -> anyhow::Result<()> {
    if args.overlap_hours < 0 {
        bail!("--overlap-hours cannot be negative");
    }
    let store = open_store(database_url).await?;
    let source = store.source_by_slug(&args.slug).await?.with_context(|| {
        format!(
            "no source {:?} (hookyard source list shows them)",
            args.slug
        )
    })?;
    let secret = args
        .secret
        .clone()
        .unwrap_or_else(|| generate_secret(source.scheme));
    if let Some(warning) = secret_format_warning(source.scheme, &secret) {
        eprintln!("warning: {warning}");
    }
    let now = now_ms();
    let until = now + args.overlap_hours * HOUR_MS;
    store
        .rotate_source_secret(&args.slug, &secret, until, now)
        .await?;
    let detail = serde_json::json!({ "previous_valid_until": until });
    let target = format!("source:{}", args.slug);
    store
        .access()
        .audit(CLI_ACTOR, "source.secret_rotated", &target, &detail, now)
        .await?;
    println!("New signing secret for {}: {secret}", args.slug);
    println!(
        "The previous secret stays valid for {} hours, until {}.",
        args.overlap_hours,
        format_utc(until)
    );
    Ok(())
}
