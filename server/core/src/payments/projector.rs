//! The projector: folds queued payment events into the payments table, in the background of
//! `hookyard serve` (woken by ingest) and to completion for `hookyard payments rebuild`.
//! Ingest queues the events in its own transaction, so a crash loses nothing: whatever was
//! queued and not folded in is folded in after the restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::store::{SharedStore, StoreError};

/// Queued events folded in per transaction: small enough to keep transactions short next to
/// ingest, large enough to keep up with it.
pub const BATCH: i64 = 500;

/// How often to look at the queue when nothing wakes the projector (other instances' events).
const POLL: Duration = Duration::from_millis(1000);

/// After a wake-up, how long to let the queue fill before folding. Ingest wakes the projector
/// after every commit; folding each commit's few events at once would add a write transaction
/// (and, on SQLite, an fsync under the one write lock) per ingest batch.
const GATHER: Duration = Duration::from_millis(250);

/// A running projector; `stop` stops it.
pub struct ProjectorHandle {
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl ProjectorHandle {
    /// Finishes the batch in hand and stops.
    pub async fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let _ = self.task.await;
    }
}

/// Starts the projector. `wake` is notified by ingest when payment events were queued.
pub fn spawn(store: SharedStore, wake: Arc<Notify>) -> ProjectorHandle {
    let stop = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(run(store, wake.clone(), stop.clone()));
    ProjectorHandle { stop, wake, task }
}

async fn run(store: SharedStore, wake: Arc<Notify>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        let more = match store.project_payments(BATCH).await {
            Ok(taken) => taken == BATCH,
            Err(err) => {
                // The batch was rolled back and stays queued. One event that can never be
                // folded in must not stop all the others: fold the oldest alone, and if that
                // fails too, take it out of the queue and say so.
                tracing::warn!(error = %err, "folding payment events failed");
                skip_if_poisoned(&store).await
            }
        };
        if !more {
            let _ = tokio::time::timeout(POLL, wake.notified()).await;
            if !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(GATHER).await;
            }
        }
    }
}

/// After a failed batch: folds the oldest queued event alone; if it fails again (while the
/// database answers), drops it from the queue. Returns whether to go on at once.
async fn skip_if_poisoned(store: &SharedStore) -> bool {
    match store.project_payments(1).await {
        Ok(_) => true,
        Err(err) => {
            if store.ping().await.is_err() {
                return false; // the database is away: nothing to blame on the event
            }
            match store.skip_queued_payment().await {
                Ok(Some(event_id)) => {
                    tracing::error!(
                        event_id,
                        error = %err,
                        "a payment event cannot be folded in and was left out of the Payments \
                         view; after fixing the cause, `hookyard payments rebuild` retries it"
                    );
                    true
                }
                _ => false,
            }
        }
    }
}

/// Folds in every queued payment event; returns how many there were.
pub async fn drain(store: &SharedStore) -> Result<i64, StoreError> {
    let mut total = 0;
    loop {
        let taken = store.project_payments(BATCH).await?;
        total += taken;
        if taken == 0 {
            return Ok(total);
        }
    }
}
