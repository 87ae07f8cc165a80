//! Inbound: verify a provider's request, identify the event, store it durably.

pub mod extract;
pub mod scheme;
pub mod signature;
