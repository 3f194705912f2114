//! The pure merge: set `registry-mirrors` and change nothing else — not a key, not a value, not an indent elsewhere.

use anyhow::{bail, Context, Result};
use jsonc_parser::cst::{CstInputValue, CstRootNode};
use jsonc_parser::ParseOptions;

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
    let value = CstInputValue::Array(
        mirrors
            .iter()
            .map(|m| CstInputValue::String(m.clone()))
            .collect(),
    );
    let Some(text) = text else {
        let root =
            CstRootNode::parse("{}\n", &ParseOptions::default()).expect("a literal object parses");
        root.object_value_or_set().append(MIRRORS_KEY, value);
        return Ok(root.to_string());
    };
    let root = CstRootNode::parse(text, &ParseOptions::default())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot edit the file")?;
    let obj = root.object_value_or_set();
    match obj.get(MIRRORS_KEY) {
        Some(prop) => prop.set_value(value),
        None => {
            obj.append(MIRRORS_KEY, value);
        }
    }
    let out = root.to_string();
    check_only_mirrors_changed(text, &out, mirrors)?;
    Ok(out)
}

/// The merge's promise, checked on every run rather than trusted: same keys, same order, same values, but mirrors.
fn check_only_mirrors_changed(before: &str, after: &str, mirrors: &[String]) -> Result<()> {
    let mut old: serde_json::Map<String, serde_json::Value> = serde_json::from_str(before)?;
    let mut new: serde_json::Map<String, serde_json::Value> = serde_json::from_str(after)
        .context("the edited file is not strict JSON (a bug in mirrorctl: nothing was written)")?;
    let set = new.shift_remove(MIRRORS_KEY);
    old.shift_remove(MIRRORS_KEY);
    if set != Some(serde_json::json!(mirrors)) || old != new || !old.keys().eq(new.keys()) {
        bail!("the edit would change more than {MIRRORS_KEY} (a bug in mirrorctl: nothing was written)");
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
