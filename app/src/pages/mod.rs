//! One module per dashboard page.

mod alerts;
mod audit;
mod endpoint;
mod endpoints;
mod event;
mod event_types;
mod events;
mod failures;
mod login;
mod not_found;
mod overview;
mod payment;
mod payments;
mod source;
mod sources;
mod users;

pub use alerts::Alerts;
pub use audit::Audit;
pub use endpoint::EndpointEditor;
pub use endpoints::Endpoints;
pub use event::Event;
pub use event_types::EventTypes;
pub use events::Events;
pub use failures::Failures;
pub use login::SignIn;
pub use not_found::NotFound;
pub use overview::Overview;
pub use payment::Payment;
pub use payments::Payments;
pub use source::SourceEditor;
pub use sources::Sources;
pub use users::Users;
