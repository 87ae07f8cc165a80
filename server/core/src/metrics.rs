//! Process metrics for `/metrics` (Prometheus text format): counters and histograms kept in
//! memory by this process (each instance reports its own, as Prometheus expects), plus gauges
//! read from the database at scrape time (shared by every instance).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};

/// Upper bounds (seconds) of the attempt latency histogram.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Upper bounds of the ingest commit batch size histogram.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

#[derive(Clone, Debug, Default)]
struct Histogram {
    /// One count per bucket (not cumulative), then +Inf.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; bounds.len() + 1];
        }
        let i = bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(bounds.len());
        self.counts[i] += 1;
        self.sum += value;
        self.count += 1;
    }
}

#[derive(Default)]
struct Registry {
    /// (source, outcome: new | duplicate)
    received: BTreeMap<(String, &'static str), u64>,
    /// reason
    rejected: BTreeMap<String, u64>,
    /// outcome: succeeded | retrying | failed
    deliveries: BTreeMap<String, u64>,
    /// endpoint id → failed attempts
    endpoint_failures: BTreeMap<i64, u64>,
    attempt_seconds: Histogram,
    commit_batch: Histogram,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn with<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    let mut guard = registry()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&mut guard)
}

/// An event was accepted for `source`: new, or a duplicate of one stored.
pub fn event_received(source: &str, duplicate: bool) {
    let outcome = if duplicate { "duplicate" } else { "new" };
    with(|r| *r.received.entry((source.to_string(), outcome)).or_default() += 1);
}

/// A request to `/hooks` was refused for `reason`.
pub fn event_rejected(reason: &str) {
    with(|r| *r.rejected.entry(reason.to_string()).or_default() += 1);
}

/// A delivery attempt finished and was recorded.
pub fn attempt_recorded(endpoint_id: i64, new_status: &str, failed: bool, duration_ms: i64) {
    with(|r| {
        *r.deliveries.entry(new_status.to_string()).or_default() += 1;
        if failed {
            *r.endpoint_failures.entry(endpoint_id).or_default() += 1;
        }
        r.attempt_seconds
            .observe(LATENCY_BUCKETS, duration_ms.max(0) as f64 / 1000.0);
    });
}

/// The ingest writer committed `size` events in one transaction.
pub fn commit_batch(size: usize) {
    with(|r| r.commit_batch.observe(BATCH_BUCKETS, size as f64));
}

/// What the database says at scrape time.
#[derive(Clone, Debug, Default)]
pub struct Gauges {
    /// Deliveries waiting: pending or retrying.
    pub queue_depth: i64,
    /// Seconds the oldest due delivery has waited past its time (0: none due).
    pub oldest_due_age_secs: f64,
    /// Endpoint id → name, for labels.
    pub endpoint_names: BTreeMap<i64, String>,
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn histogram(out: &mut String, name: &str, bounds: &[f64], h: &Histogram) {
    let mut cumulative = 0;
    for (i, bound) in bounds.iter().enumerate() {
        cumulative += h.counts.get(i).copied().unwrap_or(0);
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum {}", h.sum);
    let _ = writeln!(out, "{name}_count {}", h.count);
}

/// Everything, in the Prometheus text exposition format (version 0.0.4).
pub fn render(gauges: &Gauges) -> String {
    let mut out = String::new();
    with(|r| {
        header(
            &mut out,
            "hookyard_events_received_total",
            "counter",
            "Events accepted at /hooks, by source and outcome (new or duplicate).",
        );
        for ((source, outcome), n) in &r.received {
            let _ = writeln!(
                out,
                "hookyard_events_received_total{{source=\"{}\",outcome=\"{outcome}\"}} {n}",
                escape(source)
            );
        }
        header(
            &mut out,
            "hookyard_events_rejected_total",
            "counter",
            "Requests to /hooks refused, by reason.",
        );
        for (reason, n) in &r.rejected {
            let _ = writeln!(
                out,
                "hookyard_events_rejected_total{{reason=\"{}\"}} {n}",
                escape(reason)
            );
        }
        header(
            &mut out,
            "hookyard_deliveries_total",
            "counter",
            "Delivery attempts recorded, by the delivery's outcome (succeeded, retrying, failed).",
        );
        for (outcome, n) in &r.deliveries {
            let _ = writeln!(
                out,
                "hookyard_deliveries_total{{outcome=\"{}\"}} {n}",
                escape(outcome)
            );
        }
        header(
            &mut out,
            "hookyard_endpoint_failed_attempts_total",
            "counter",
            "Failed delivery attempts per endpoint.",
        );
        for (id, n) in &r.endpoint_failures {
            let name = gauges.endpoint_names.get(id).map_or("", String::as_str);
            let _ = writeln!(out, "hookyard_endpoint_failed_attempts_total{{endpoint_id=\"{id}\",endpoint=\"{}\"}} {n}", escape(name));
        }
        header(
            &mut out,
            "hookyard_attempt_duration_seconds",
            "histogram",
            "Time from sending a delivery to its answer (or failure).",
        );
        histogram(
            &mut out,
            "hookyard_attempt_duration_seconds",
            LATENCY_BUCKETS,
            &r.attempt_seconds,
        );
        header(
            &mut out,
            "hookyard_ingest_commit_batch_size",
            "histogram",
            "Events stored per ingest transaction (group commit).",
        );
        histogram(
            &mut out,
            "hookyard_ingest_commit_batch_size",
            BATCH_BUCKETS,
            &r.commit_batch,
        );
    });
    header(
        &mut out,
        "hookyard_delivery_queue_depth",
        "gauge",
        "Deliveries waiting (pending or retrying), all instances.",
    );
    let _ = writeln!(out, "hookyard_delivery_queue_depth {}", gauges.queue_depth);
    header(
        &mut out,
        "hookyard_delivery_oldest_due_age_seconds",
        "gauge",
        "How long the oldest due delivery has waited past its time.",
    );
    let _ = writeln!(
        out,
        "hookyard_delivery_oldest_due_age_seconds {}",
        gauges.oldest_due_age_secs
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let mut h = Histogram::default();
        for v in [0.001, 0.02, 0.02, 50.0] {
            h.observe(LATENCY_BUCKETS, v);
        }
        let mut out = String::new();
        histogram(&mut out, "x", LATENCY_BUCKETS, &h);
        assert!(out.contains("x_bucket{le=\"0.005\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"0.025\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"30\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 4\n"), "{out}");
        assert!(out.contains("x_count 4\n"), "{out}");
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
