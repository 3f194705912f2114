//! daemon.json: strict parsing with located errors, the pure mirror merge, and the file operations around it.

mod conflicts;
pub mod files;
mod merge;
mod parse;

pub use conflicts::{find as find_conflicts, options_variable, split_words, Conflict, FlagSource};
pub use merge::{normalize_mirrors, set_mirrors};
pub use parse::parse;

/// The key dockerd reads mirrors from.
pub const MIRRORS_KEY: &str = "registry-mirrors";
