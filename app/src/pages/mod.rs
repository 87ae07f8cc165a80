//! One module per dashboard page.

mod not_found;
mod overview;
mod upcoming;

pub use not_found::NotFound;
pub use overview::Overview;
pub use upcoming::Upcoming;
