//! Hookyard's domain: the data types shared with the dashboard and, behind the `server`
//! feature, storage and the rules that act on it.

pub mod access;
pub mod alerts;
pub mod model;
pub mod money;
pub mod payments;

#[cfg(feature = "server")]
pub mod crypto;
#[cfg(feature = "server")]
pub mod delivery;
#[cfg(feature = "server")]
pub mod ingest;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
pub mod store;
pub mod time;
