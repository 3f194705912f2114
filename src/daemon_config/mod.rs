//! daemon.json: strict parsing with located errors, the pure mirror merge, and the file operations around it.

pub mod files;
mod merge;
mod parse;

pub use merge::{normalize_mirrors, set_mirrors};
pub use parse::{parse, ConfigError};

/// The key dockerd reads mirrors from.
pub const MIRRORS_KEY: &str = "registry-mirrors";
