//! `hookyard replay`: the Failures page's bulk replay from the command line.

use anyhow::{bail, Context};
use hookyard_core::access::CLI_ACTOR;
use hookyard_core::model::ReplayFilter;
use hookyard_core::time::{format_utc, now_ms, parse_date, DAY_MS, HOUR_MS};

use super::serve::open_store;
use crate::cli::ReplayArgs;

pub async fn replay(args: &ReplayArgs, database_url: &str) -> anyhow::Result<()> {
    let filter = filter(args, now_ms())?;
    let store = open_store(database_url).await?;
    if let Some(id) = filter.endpoint_id {
        store
            .endpoint(id)
            .await?
            .with_context(|| format!("--endpoint: no endpoint {id} (hookyard endpoint list)"))?;
    }
    let what = describe(&filter);
    let count = store.count_replay(&filter).await?;
    if args.dry_run {
        println!(
            "{count} {} match ({what}). Nothing replayed (--dry-run).",
            plural(count)
        );
        return Ok(());
    }
    if count == 0 {
        println!("No delivery matches ({what}); nothing to replay.");
        return Ok(());
    }
    let job = store
        .start_bulk_replay(&filter, CLI_ACTOR, now_ms())
        .await?;
    println!(
        "Bulk replay {} started: {} {} ({what}) will be sent again as new deliveries.",
        job.id,
        job.total,
        plural(job.total)
    );
    println!(
        "A running `hookyard serve` carries it out in batches; the Failures page shows progress."
    );
    Ok(())
}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        "delivery"
    } else {
        "deliveries"
    }
}

/// The filter the flags describe, or what is wrong with them.
fn filter(args: &ReplayArgs, now: i64) -> anyhow::Result<ReplayFilter> {
    if !matches!(args.status.as_str(), "failed" | "retrying") {
        bail!("--status: failed or retrying, not {:?}", args.status);
    }
    let since = match args.since.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("1h") => Some(now - HOUR_MS),
        Some("24h") => Some(now - DAY_MS),
        Some("7d") => Some(now - 7 * DAY_MS),
        Some("30d") => Some(now - 30 * DAY_MS),
        Some(date) => Some(parse_date(date).with_context(|| {
            format!("--since: 1h, 24h, 7d, 30d or a date like 2026-01-31, not {date:?}")
        })?),
    };
    let until = match args.until.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(date) => Some(
            parse_date(date)
                .with_context(|| format!("--until: a date like 2026-01-31, not {date:?}"))?,
        ),
    };
    if let (Some(from), Some(to)) = (since, until) {
        if from >= to {
            bail!("--since must come before --until");
        }
    }
    Ok(ReplayFilter {
        endpoint_id: args.endpoint,
        event_type: args
            .event_type
            .as_ref()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty()),
        status: Some(args.status.clone()),
        from: since,
        to: until,
    })
}

/// The filter in words, for the answer.
fn describe(f: &ReplayFilter) -> String {
    let mut parts = vec![format!("status {}", f.status.as_deref().unwrap_or("any"))];
    if let Some(id) = f.endpoint_id {
        parts.push(format!("endpoint {id}"));
    }
    if let Some(t) = &f.event_type {
        parts.push(format!("type {t}"));
    }
    if let Some(from) = f.from {
        parts.push(format!("received since {}", format_utc(from)));
    }
    if let Some(to) = f.to {
        parts.push(format!("before {}", format_utc(to)));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(status: &str, since: Option<&str>, until: Option<&str>) -> ReplayArgs {
        ReplayArgs {
            endpoint: Some(3),
            event_type: Some(" charge.refunded ".into()),
            status: status.into(),
            since: since.map(Into::into),
            until: until.map(Into::into),
            dry_run: true,
        }
    }

    #[test]
    fn flags_make_the_filter_or_say_what_is_wrong() {
        let now = 100 * DAY_MS;
        let f = filter(&args("failed", Some("7d"), None), now).unwrap();
        assert_eq!(f.from, Some(93 * DAY_MS));
        assert_eq!(f.event_type.as_deref(), Some("charge.refunded"));
        assert_eq!(f.endpoint_id, Some(3));
        let f = filter(
            &args("retrying", Some("2026-01-01"), Some("2026-02-01")),
            now,
        )
        .unwrap();
        assert_eq!(f.to.unwrap() - f.from.unwrap(), 31 * DAY_MS);
        assert!(filter(&args("succeeded", None, None), now).is_err());
        assert!(filter(&args("failed", Some("yesterday"), None), now).is_err());
        assert!(filter(&args("failed", Some("2026-02-01"), Some("2026-01-01")), now).is_err());
        assert!(describe(&f).contains("status retrying, endpoint 3, type charge.refunded"));
    }
}
