//! Pieces shared by several pages.

mod status;
mod theme_toggle;
mod time;

pub use status::{ModeBadge, StatusBadge};
pub use theme_toggle::ThemeToggle;
pub use time::{human_duration, Time};
