//! Pieces shared by several pages.

mod action_result;
mod copy;
mod field;
mod json_tree;
mod loaded;
mod status;
mod theme_toggle;
mod time;
mod url;
mod viewer;

pub use action_result::ActionResult;
pub use copy::CopyButton;
pub use field::{use_hydrated, Field, SecretOnce};
pub use json_tree::JsonTree;
pub use loaded::Loaded;
pub use status::{ModeBadge, StatusBadge};
pub use theme_toggle::ThemeToggle;
pub use time::{human_duration, Time};
pub use url::with_query;
pub use viewer::{can, current_viewer, use_viewer, VIEWER_META};
