//! Pieces shared by several pages.

mod theme_toggle;

pub use theme_toggle::ThemeToggle;
