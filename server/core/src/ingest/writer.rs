//! Group commit: concurrent requests hand their event to a writer task, which stores whatever
//! has queued up in one transaction and one fsync, then answers each request with its own
//! result. A request is answered only after the commit that holds its row; a failed commit
//! fails every request of that batch and stores none of it.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use crate::store::{NewEvent, SharedStore, StoreError, Stored};

/// Most events one transaction takes.
pub const MAX_BATCH: usize = 512;

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the event writer has stopped")]
    Stopped,
}

struct Job {
    event: NewEvent,
    reply: oneshot::Sender<Result<Stored, Arc<StoreError>>>,
}

/// The handle requests use; cheap to clone.
#[derive(Clone)]
pub struct EventWriter {
    jobs: mpsc::Sender<Job>,
}

impl EventWriter {
    /// Starts `writers` tasks sharing one queue (1 for SQLite, which has one writer anyway;
    /// a few for PostgreSQL, whose commits can overlap).
    pub fn spawn(store: SharedStore, writers: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>(MAX_BATCH * 8);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..writers.max(1) {
            tokio::spawn(run(store.clone(), queue.clone()));
        }
        Self { jobs }
    }

    /// Stores `event`; returns once it is committed (or the commit failed).
    pub async fn write(&self, event: NewEvent) -> Result<Stored, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { event, reply })
            .await
            .map_err(|_| WriteError::Stopped)?;
        match answer.await {
            Ok(Ok(stored)) => Ok(stored),
            Ok(Err(err)) => Err(WriteError::Store(StoreError::Shared(err))),
            Err(_) => Err(WriteError::Stopped),
        }
    }
}

async fn run(store: SharedStore, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let batch = {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        let events: Vec<&NewEvent> = batch.iter().map(|job| &job.event).collect();
        let result = store.insert_events(&events).await;
        if result.is_ok() {
            crate::metrics::commit_batch(events.len());
        }
        match result {
            Ok(stored) => {
                for (job, stored) in batch.into_iter().zip(stored) {
                    let _ = job.reply.send(Ok(stored));
                }
            }
            Err(err) => {
                tracing::error!(error = %err, events = events.len(), "event batch not stored");
                let err = Arc::new(err);
                for job in batch {
                    let _ = job.reply.send(Err(err.clone()));
                }
            }
        }
    }
}
