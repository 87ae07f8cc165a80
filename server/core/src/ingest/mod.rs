//! Inbound: verify a provider's request, identify the event, store it durably.

pub mod diagnose;
pub mod extract;
pub mod receive;
pub mod samples;
pub mod scheme;
pub mod signature;
pub mod source_settings;
pub mod writer;

pub use receive::{Accepted, IngestConfig, Ingestor, Refused};
