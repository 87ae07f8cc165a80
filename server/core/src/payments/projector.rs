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
pub const BATCH: i64 = 200;

/// How often to look at the queue when nothing wakes the projector (other instances' events).
const POLL: Duration = Duration::from_millis(1000);

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
                // The batch was rolled back and stays queued; try again at the next poll.
                tracing::warn!(error = %err, "folding payment events failed");
                false
            }
        };
        if !more {
            let _ = tokio::time::timeout(POLL, wake.notified()).await;
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
