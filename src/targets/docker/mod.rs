//! daemon.json: strict parsing with located errors, the pure mirror merge, and the file operations around it.

mod merge;
pub mod plan;

pub use crate::dockerd::conflicts::{find as find_conflicts, Conflict, FlagSource};
pub use crate::dockerd::parse::parse;
pub use merge::{normalize_mirrors, set_key, set_mirrors};

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
        crate::ui::errors::Hinted {
            message: t!("apply.invalid_file", path = path.display(), detail = e).into(),
            hint: e.hint().replace("FILE", &path.display().to_string()),
        }
        .into()
    })
}

/// The daemon.json edit of one key (`None`: its removal) as a `Rebase`: the same key set again on newer bytes,
/// every other byte kept, strict parse first (dockerd rejects what serde_json rejects).
pub fn rebase(key: &str, value: Option<serde_json::Value>) -> crate::change::Rebase {
    let (k1, k2, v2) = (key.to_owned(), key.to_owned(), value.clone());
    crate::change::Rebase {
        what: key.to_owned(),
        ours: value,
        read: Box::new(move |b| {
            b.and_then(|b| parse(b).ok())
                .and_then(|m| m.get(&k1).cloned())
        }),
        set: Box::new(move |b| {
            let text = match b {
                Some(b) => {
                    parse(b).map_err(|e| anyhow::anyhow!("{e}"))?;
                    Some(std::str::from_utf8(b)?.to_owned())
                }
                None => None,
            };
            Ok(set_key(text.as_deref(), &k2, v2.as_ref())?.into_bytes())
        }),
    }
}
