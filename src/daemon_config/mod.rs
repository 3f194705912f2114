//! daemon.json: strict parsing with located errors, the pure mirror merge, and the file operations around it.

mod conflicts;
pub mod files;
mod merge;
mod parse;

pub use conflicts::{find as find_conflicts, options_variable, split_words, Conflict, FlagSource};
pub use merge::{normalize_mirrors, set_key, set_mirrors};
pub use parse::parse;

/// The key dockerd reads mirrors from.
pub const MIRRORS_KEY: &str = "registry-mirrors";

/// The `registry-mirrors` strings of a parsed file, as written (non-strings are skipped; doctor reports them).
pub fn mirrors_of(map: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    match map.get(MIRRORS_KEY) {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

/// Parses as dockerd does, or an error that says where and what to do (`hint:`), for any command about to edit.
pub fn parse_or_explain(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use rust_i18n::t;
    parse(bytes).map(|_| ()).map_err(|e| {
        crate::errors::Hinted {
            message: t!("apply.invalid_file", path = path.display(), detail = e).into(),
            hint: e.hint().replace("FILE", &path.display().to_string()),
        }
        .into()
    })
}
