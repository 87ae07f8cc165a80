//! Outbound: endpoints, fan-out, the delivery worker, retries and manual reprocessing.

pub mod guard;
pub mod pattern;
pub mod retry;
pub mod worker;
