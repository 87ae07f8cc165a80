//! `hookyard payments rebuild`.

use hookyard_core::payments::projector;

use super::serve::open_store;

/// Empties the payments table, queues every stored payment event again and folds them in,
/// exactly as the live projection does. A running `serve` keeps working meanwhile (its
/// projector takes part in folding the queue in).
pub async fn rebuild(database_url: &str) -> anyhow::Result<()> {
    let store = open_store(database_url).await?;
    let reset = store.reset_payments().await?;
    println!(
        "Cleared {} payments; folding in {} stored payment events again.",
        reset.payments_deleted, reset.events_queued
    );
    if reset.events_purged > 0 {
        println!(
            "{} payment events were left out: their bodies are no longer stored (retention).",
            reset.events_purged
        );
    }
    let folded = projector::drain(&store).await?;
    if folded < reset.events_queued {
        // A running server's projector took the others.
        println!(
            "Rebuilt the payments table ({folded} events folded in here, {} by a running server).",
            reset.events_queued - folded
        );
    } else {
        println!("Rebuilt the payments table from {folded} events.");
    }
    Ok(())
}
