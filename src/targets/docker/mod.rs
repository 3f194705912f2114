//! daemon.json: strict parsing with located errors, the pure mirror merge, and the file operations around it.

mod merge;
pub mod plan;

pub use crate::dockerd::conflicts::{find as find_conflicts, Conflict, FlagSource};
pub use crate::dockerd::parse::parse;
pub use merge::{normalize_mirrors, repeats_a_key, set_key, set_mirrors};

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

/// daemon.json as dockerd takes it: the strict parse, each mirror in dockerd's normalised form (`https://host` and
/// `https://host/` are one mirror). A key given twice counts as a difference, so the edit that leaves one is made.
pub fn meaning(bytes: &[u8]) -> Option<serde_json::Value> {
    let mut map = parse(bytes).ok()?;
    if repeats_a_key(std::str::from_utf8(bytes).ok()?) {
        return None;
    }
    if let Some(serde_json::Value::Array(list)) = map.get_mut(MIRRORS_KEY) {
        for v in list.iter_mut() {
            if let Some(n) = v
                .as_str()
                .and_then(|s| crate::catalogue::validate_mirror(s).ok())
            {
                *v = serde_json::Value::String(n);
            }
        }
    }
    Some(serde_json::Value::Object(map))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::FileChange;

    /// The plan's comparison for daemon.json: `before` as found, `after` as apply would write it.
    fn changes(before: &str, after: &str) -> bool {
        FileChange::new("daemon.json".into(), Some(before.into()), after)
            .by_value(meaning)
            .changes()
    }

    #[test]
    fn the_same_mirrors_in_other_spacing_order_or_spelling_are_no_change() {
        let spaced = "{\n  \"debug\": true,\n  \"registry-mirrors\": [\"https://a.example/\", \"https://b.example/\"]\n}\n";
        for same in [
            "{\"debug\":true,\"registry-mirrors\":[\"https://a.example/\",\"https://b.example/\"]}",
            "{\"registry-mirrors\": [\"https://a.example\", \"https://b.example/\"], \"debug\": true}",
            "{ \"debug\" : true , \"registry-mirrors\" : [ \"https://a.example\" , \"https://b.example\" ] }\n",
        ] {
            assert!(!changes(same, spaced), "{same}");
        }
        // Another order of mirrors, another mirror, another value of any key: a change.
        for other in [
            "{\"debug\":true,\"registry-mirrors\":[\"https://b.example/\",\"https://a.example/\"]}",
            "{\"debug\":true,\"registry-mirrors\":[\"https://a.example/\"]}",
            "{\"debug\":false,\"registry-mirrors\":[\"https://a.example/\",\"https://b.example/\"]}",
            "{\"debug\":true,\"registry-mirrors\":[\"http://a.example/\",\"https://b.example/\"]}",
        ] {
            assert!(changes(other, spaced), "{other}");
        }
        // A key given twice still gets the edit that leaves one; a file dockerd refuses is never "the same".
        let twice = "{\"debug\":true,\"registry-mirrors\":[\"https://x.example/\"],\"registry-mirrors\":[\"https://a.example/\",\"https://b.example/\"]}";
        assert!(changes(twice, spaced));
        assert!(changes("{\"debug\":true,}", "{\"debug\":true}"));
    }

    #[test]
    fn a_proxy_in_other_spacing_is_no_change() {
        let after = "{\n  \"proxies\": {\"http-proxy\": \"http://p:3128\", \"no-proxy\": \"localhost\"}\n}\n";
        assert!(!changes(
            "{\"proxies\":{\"no-proxy\":\"localhost\",\"http-proxy\":\"http://p:3128\"}}",
            after
        ));
        assert!(changes(
            "{\"proxies\":{\"http-proxy\":\"http://q:3128\",\"no-proxy\":\"localhost\"}}",
            after
        ));
    }
}
