//! The `hookyard` server: configuration, the HTTP router and the commands of the binary.
//! `main.rs` only parses the command line and calls in here, so tests build exactly the
//! router the binary serves.

pub mod access;
pub mod api;
pub mod assets;
pub mod cli;
pub mod commands;
pub mod export;
pub mod health;
pub mod hooks;
pub mod live;
pub mod metrics;
pub mod router;
pub mod telemetry;

pub use router::{build_router, AppState};
