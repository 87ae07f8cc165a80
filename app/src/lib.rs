//! The Hookyard dashboard: Leptos pages and components, rendered on the server and hydrated in
//! the browser, and the server functions they call.
//!
//! Domain logic and SQL are not here: under the `ssr` feature, server functions reach the
//! storage layer of `hookyard-core` through the context the server provides.

pub mod api;
pub mod api_access;
pub mod api_alerts;
pub mod api_manage;
pub mod api_payments;
mod components;
mod pages;
mod shell;

pub use shell::{shell, App};
