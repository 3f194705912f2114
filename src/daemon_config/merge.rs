//! The pure merge: set `registry-mirrors` and change nothing else — not a key, not a value, not an indent elsewhere.

use anyhow::{bail, Context, Result};
use jsonc_parser::cst::{CstInputValue, CstRootNode};
use jsonc_parser::ParseOptions;
use rust_i18n::t;
use serde_json::{Map, Value};

use super::MIRRORS_KEY;
use crate::catalogue::validate_mirror;

/// dockerd's normalised form of each URL (`https://host/`), duplicates dropped, order kept.
pub fn normalize_mirrors<S: AsRef<str>>(urls: &[S]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(urls.len());
    for u in urls {
        let n = validate_mirror(u.as_ref())?;
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

/// Returns `text` (a daemon.json that already parsed strictly, or `None` for a missing file) with
/// `registry-mirrors` set to `mirrors`. Only that value's bytes change; a missing key is appended at the end.
pub fn set_mirrors(text: Option<&str>, mirrors: &[String]) -> Result<String> {
    set_key(text, MIRRORS_KEY, Some(&serde_json::json!(mirrors)))
}

/// Sets (or, with `None`, removes) one top-level key and changes nothing else.
pub fn set_key(text: Option<&str>, key: &str, value: Option<&Value>) -> Result<String> {
    // A whitespace-only file means "no options" to Engine 23+ (and is fatal to 20.10): either way, start afresh.
    let source = text.filter(|t| !t.trim().is_empty()).unwrap_or("{}\n");
    let root = CstRootNode::parse(source, &ParseOptions::default())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context(t!("merge.cannot_edit"))?;
    let obj = root.object_value_or_set();
    match (obj.get(key), value) {
        (Some(prop), Some(v)) => prop.set_value(cst(v)),
        (None, Some(v)) => {
            obj.append(key, cst(v));
        }
        (Some(prop), None) => prop.remove(),
        (None, None) => {}
    }
    let out = root.to_string();
    check_only_key_changed(source, &out, key, value)?;
    Ok(out)
}

fn cst(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(a) => CstInputValue::Array(a.iter().map(cst).collect()),
        Value::Object(o) => {
            CstInputValue::Object(o.iter().map(|(k, v)| (k.clone(), cst(v))).collect())
        }
    }
}

/// The merge's promise, checked on every run rather than trusted: same keys, same order, same values, but `key`.
fn check_only_key_changed(
    before: &str,
    after: &str,
    key: &str,
    value: Option<&Value>,
) -> Result<()> {
    let mut old: Map<String, Value> = serde_json::from_str(before)?;
    let mut new: Map<String, Value> =
        serde_json::from_str(after).context(t!("merge.not_strict"))?;
    let set = new.shift_remove(key);
    old.shift_remove(key);
    if set.as_ref() != value || old != new || !old.keys().eq(new.keys()) {
        bail!("{}", t!("merge.too_much", key = key));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Every line but the mirrors line is byte-identical.
    fn only_mirror_lines_differ(before: &str, after: &str) {
        let keep = |s: &str| {
            s.lines()
                .filter(|l| !l.contains(MIRRORS_KEY))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(keep(before), keep(after));
    }

    #[test]
    fn replaces_the_value_and_keeps_every_other_byte() {
        let before = "{\n    \"data-root\": \"/srv/docker\",\n    \"registry-mirrors\": [\"https://old.example/\"],\n    \"log-opts\": {\"max-size\": \"10m\", \"max-file\": \"3\"},\n    \"labels\": [\"名字=值\", \"emoji=🐳\"]\n}\n";
        let after = set_mirrors(
            Some(before),
            &m(&["https://a.example/", "https://b.example/"]),
        )
        .unwrap();
        only_mirror_lines_differ(before, &after);
        assert!(
            after.contains(
                r#"    "registry-mirrors": ["https://a.example/", "https://b.example/"],"#
            ),
            "{after}"
        );
    }

    #[test]
    fn appends_with_the_files_own_indent() {
        for (before, indent) in [
            ("{\n\t\"debug\": true\n}\n", "\t"),
            ("{\n    \"debug\": true\n}\n", "    "),
        ] {
            let after = set_mirrors(Some(before), &m(&["https://a.example/"])).unwrap();
            assert!(
                after.starts_with(&format!(
                    "{{\n{indent}\"debug\": true,\n{indent}\"registry-mirrors\""
                )),
                "{after:?}"
            );
            assert!(after.ends_with("}\n"), "the final newline stays: {after:?}");
        }
    }

    #[test]
    fn nested_objects_order_and_multiline_arrays_survive() {
        let before = r#"{
  "z-last-alphabetically": 1,
  "default-address-pools": [
    {"base": "172.30.0.0/16", "size": 24}
  ],
  "registry-mirrors": [
    "https://one.example/",
    "https://two.example/"
  ],
  "a": {"b": {"c": [1, 2, {"d": null}]}}
}"#;
        let after = set_mirrors(Some(before), &m(&["https://x.example/"])).unwrap();
        let v: serde_json::Value = serde_json::from_str(&after).unwrap();
        assert_eq!(
            v["registry-mirrors"],
            serde_json::json!(["https://x.example/"])
        );
        assert!(after.starts_with("{\n  \"z-last-alphabetically\": 1,\n  \"default-address-pools\": [\n    {\"base\": \"172.30.0.0/16\", \"size\": 24}\n  ],\n"));
        assert!(
            after.ends_with("  \"a\": {\"b\": {\"c\": [1, 2, {\"d\": null}]}}\n}"),
            "{after}"
        );
    }

    #[test]
    fn empty_list_is_written_not_removed() {
        // Removing the key on reload would leave the live mirrors in place: dockerd needs [] to clear them.
        let after = set_mirrors(Some("{\"registry-mirrors\": [\"https://a/\"]}"), &[]).unwrap();
        assert_eq!(after, "{\"registry-mirrors\": []}");
    }

    #[test]
    fn other_keys_can_be_set_and_removed() {
        let before = "{\n  \"debug\": true,\n  \"proxies\": {\"http-proxy\": \"http://old:3128\"},\n  \"log-level\": \"warn\"\n}\n";
        let v = serde_json::json!({"http-proxy": "http://p:3128", "no-proxy": "localhost"});
        let after = set_key(Some(before), "proxies", Some(&v)).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&after).unwrap()["proxies"], v);
        let removed = set_key(Some(&after), "proxies", None).unwrap();
        assert_eq!(
            removed,
            "{\n  \"debug\": true,\n  \"log-level\": \"warn\"\n}\n"
        );
    }

    #[test]
    fn a_missing_file_becomes_a_minimal_object() {
        let after = set_mirrors(None, &m(&["https://a.example/"])).unwrap();
        let v: serde_json::Value = serde_json::from_str(&after).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"registry-mirrors": ["https://a.example/"]})
        );
    }

    #[test]
    fn huge_files_are_fine() {
        let mut before = String::from("{\n");
        for i in 0..20_000 {
            before.push_str(&format!("  \"label-{i}\": \"{}\",\n", "v".repeat(40)));
        }
        before.push_str("  \"debug\": false\n}\n");
        let after = set_mirrors(Some(&before), &m(&["https://a.example/"])).unwrap();
        assert_eq!(
            after.len(),
            before.len() + "  \"registry-mirrors\": [\"https://a.example/\"]\n".len() + 1
        );
        only_mirror_lines_differ(
            &before,
            &after.replace("\"debug\": false,", "\"debug\": false"),
        );
    }

    #[test]
    fn normalization_is_dockerds() {
        let n = normalize_mirrors(&[
            "https://a.example",
            "https://a.example/",
            "http://127.0.0.1:5000",
        ])
        .unwrap();
        assert_eq!(n, ["https://a.example/", "http://127.0.0.1:5000/"]);
        assert!(normalize_mirrors(&["a.example"]).is_err());
    }
}
