//! The pure merge: set `registry-mirrors` and change nothing else — not a key, not a value, not an indent elsewhere.

use anyhow::{bail, Context, Result};
use jsonc_parser::cst::{CstInputValue, CstRootNode};
use jsonc_parser::ParseOptions;
use rust_i18n::t;
use serde_json::{Map, Value};

use super::MIRRORS_KEY;
use crate::dockerd::mirror_url::validate_mirror;

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

/// Sets (or, with `None`, removes) one top-level key and changes nothing else. When the key is there more than
/// once, dockerd uses the last: the earlier ones go and the last is set.
pub fn set_key(text: Option<&str>, key: &str, value: Option<&Value>) -> Result<String> {
    // Already so: the file stays byte for byte, so a second apply plans no change and restarts nothing (re-rendering
    // `["a","b"]` as `["a", "b"]` is a change of bytes, not of meaning).
    if let Some(t) = text.filter(|t| already(t, key, value)) {
        return Ok(t.to_owned());
    }
    // A whitespace-only file means "no options" to Engine 23+ (and is fatal to 20.10): either way, start afresh.
    let source = text.filter(|t| !t.trim().is_empty()).unwrap_or("{}\n");
    if let Some(one_line) = append_on_one_line(source, key, value) {
        check_only_key_changed(source, &one_line, key, value)?;
        return Ok(one_line);
    }
    // The tree editor refuses an unpaired surrogate escape that dockerd accepts: stand in for each one with a
    // private-use escape the file does not hold, and put the original text back after the edit.
    let (stand_in, swaps) = stand_in_for_lone_surrogates(source);
    let root = CstRootNode::parse(&stand_in, &ParseOptions::default())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context(t!("merge.cannot_edit"))?;
    let obj = root.object_value_or_set();
    let named = |p: &jsonc_parser::cst::CstObjectProp| {
        p.name().and_then(|n| n.decoded_value().ok()).as_deref() == Some(key)
    };
    let mut same: Vec<_> = obj.properties().into_iter().filter(named).collect();
    let last = same.pop();
    for earlier in same {
        earlier.remove();
    }
    match (last, value) {
        (Some(prop), Some(v)) => prop.set_value(cst(v)),
        (None, Some(v)) => {
            obj.append(key, cst(v));
        }
        (Some(prop), None) => prop.remove(),
        (None, None) => {}
    }
    let mut out = root.to_string();
    for (marker, original) in swaps {
        out = out.replacen(&marker, &original, 1);
    }
    check_only_key_changed(source, &out, key, value)?;
    Ok(out)
}

/// Whether `text` already says `key: value` (or, for `None`, has no `key`) exactly once — dockerd uses the last of a
/// key given twice, so a repeated key still needs the edit that leaves one.
fn already(text: &str, key: &str, value: Option<&Value>) -> bool {
    let Ok(map) = super::parse(text.as_bytes()) else {
        return false;
    };
    if map.get(key) != value {
        return false;
    }
    top_level_keys(text).is_some_and(|keys| keys.iter().filter(|k| *k == key).count() <= 1)
}

/// The top-level keys as written, repeats included (`None`: the editor cannot read the text).
fn top_level_keys(text: &str) -> Option<Vec<String>> {
    let root = CstRootNode::parse(text, &ParseOptions::default()).ok()?;
    Some(root.object_value().map_or(vec![], |o| {
        o.properties()
            .into_iter()
            .filter_map(|p| p.name().and_then(|n| n.decoded_value().ok()))
            .collect()
    }))
}

/// Whether a top-level key is given more than once (dockerd reads the last; the edit that leaves one is a change).
pub fn repeats_a_key(text: &str) -> bool {
    let Some(mut keys) = top_level_keys(text) else {
        return false;
    };
    let n = keys.len();
    keys.sort();
    keys.dedup();
    keys.len() != n
}

/// `source` with each unpaired surrogate escape replaced by a unique `\uE0xx` marker, and the swaps to undo.
fn stand_in_for_lone_surrogates(source: &str) -> (String, Vec<(String, String)>) {
    let fixed = crate::dockerd::replace_lone_surrogates(source);
    if fixed == source {
        return (source.to_owned(), vec![]);
    }
    // Walk both texts: where they differ, the source has a 6-byte lone escape and `fixed` has `\ufffd`.
    let mut out = String::with_capacity(source.len());
    let mut swaps = Vec::new();
    let (mut i, mut j) = (0, 0);
    let (a, b) = (source.as_bytes(), fixed.as_bytes());
    while i < a.len() {
        if a[i..].starts_with(b"\\u")
            && b[j..].starts_with(b"\\ufffd")
            && !a[i..].starts_with(b"\\ufffd")
        {
            let marker = (0xE000..0xF8FF)
                .map(|n| format!("\\u{n:04x}"))
                .find(|m| {
                    !source.to_ascii_lowercase().contains(m)
                        && !swaps.iter().any(|(s, _): &(String, String)| s == m)
                })
                .expect("a free private-use code point");
            swaps.push((marker.clone(), source[i..i + 6].to_owned()));
            out.push_str(&marker);
            i += 6;
            j += 6;
        } else {
            let c = source[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
            j += c.len_utf8();
        }
    }
    (out, swaps)
}

/// A file written on one line stays on one line: the new key goes before the closing brace, in the file's own
/// spacing after commas (the tree editor would re-indent the whole object).
fn append_on_one_line(source: &str, key: &str, value: Option<&Value>) -> Option<String> {
    let value = value?;
    let body = source.trim_end();
    if body.contains('\n') || !body.trim_start().starts_with('{') || !body.ends_with('}') {
        return None;
    }
    let map: Map<String, Value> = serde_json::from_str(body).ok()?;
    if map.contains_key(key) {
        return None; // replacing a value in place keeps the line as it is already
    }
    let close = body.len() - 1;
    let before_close = body[..close].trim_end();
    // The file's own spacing after ':' and ',' when it shows one; a space otherwise.
    let colon = if body.contains("\": ") || !body.contains("\":") {
        ": "
    } else {
        ":"
    };
    let pair = format!(
        "{}{colon}{}",
        serde_json::to_string(key).ok()?,
        serde_json::to_string(value).ok()?
    );
    let glue = if map.is_empty() {
        ""
    } else if body.contains(",\"") {
        ","
    } else {
        ", "
    };
    let trailing = &source[body.len()..];
    Some(format!("{before_close}{glue}{pair}}}{trailing}"))
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
    let lenient = crate::dockerd::replace_lone_surrogates;
    let mut old: Map<String, Value> = serde_json::from_str(&lenient(before))?;
    let mut new: Map<String, Value> =
        serde_json::from_str(&lenient(after)).context(t!("merge.not_strict"))?;
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

    /// The second apply of the same mirrors: byte for byte the same file, however the first one spelled them.
    #[test]
    fn mirrors_already_set_leave_the_file_as_it_is() {
        let mirrors = m(&[
            "https://a.example/",
            "https://b.example/",
            "https://c.example/",
        ]);
        for text in [
            "{\"registry-mirrors\":[\"https://a.example/\",\"https://b.example/\",\"https://c.example/\"]}",
            "{\"debug\": true, \"registry-mirrors\": [\"https://a.example/\", \"https://b.example/\", \"https://c.example/\"]}\n",
            "{\n  \"registry-mirrors\": [\n    \"https://a.example/\",\n    \"https://b.example/\",\n    \"https://c.example/\"\n  ]\n}\n",
        ] {
            assert_eq!(set_mirrors(Some(text), &mirrors).unwrap(), text);
            // and it was not already so for the first apply: from another list it is a change.
            assert_ne!(set_mirrors(Some(text), &m(&["https://z.example/"])).unwrap(), text);
        }
        // Given twice, the key still needs the edit that leaves one (dockerd reads the last).
        let twice = "{\"registry-mirrors\": [\"https://x.example/\"], \"registry-mirrors\": [\"https://a.example/\"]}";
        assert_ne!(
            set_mirrors(Some(twice), &m(&["https://a.example/"])).unwrap(),
            twice
        );
        // Removing a key that is not there changes nothing.
        assert_eq!(
            set_key(Some("{\"debug\":true}"), "proxies", None).unwrap(),
            "{\"debug\":true}"
        );
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
    fn an_unpaired_surrogate_that_dockerd_accepts_is_kept_byte_for_byte() {
        let before = "{\n  \"labels\": [\"a=\\ud800\", \"b=\\udc00x\"],\n  \"debug\": true\n}\n";
        let after = set_mirrors(Some(before), &m(&["https://a.example/"])).unwrap();
        assert!(
            after.starts_with(
                "{\n  \"labels\": [\"a=\\ud800\", \"b=\\udc00x\"],\n  \"debug\": true,\n"
            ),
            "{after}"
        );
        assert!(
            after.contains("\"registry-mirrors\": [\"https://a.example/\"]"),
            "{after}"
        );
    }

    #[test]
    fn a_one_line_file_stays_on_one_line() {
        for (before, after) in [
            (
                "{\"debug\":true}\n",
                "{\"debug\":true, \"registry-mirrors\":[\"https://a.example/\"]}\n",
            ),
            (
                "{\"debug\": true, \"x\": 1}",
                "{\"debug\": true, \"x\": 1, \"registry-mirrors\": [\"https://a.example/\"]}",
            ),
            ("{}\n", "{\"registry-mirrors\": [\"https://a.example/\"]}\n"),
            (
                "{\"registry-mirrors\": [\"https://old.example/\"], \"debug\": true}\n",
                "{\"registry-mirrors\": [\"https://a.example/\"], \"debug\": true}\n",
            ),
        ] {
            assert_eq!(
                set_mirrors(Some(before), &m(&["https://a.example/"])).unwrap(),
                after
            );
        }
    }

    #[test]
    fn a_duplicated_key_is_set_where_dockerd_reads_it_the_last() {
        let before = "{\n  \"registry-mirrors\": [\"docker.m.daocloud.io\"],\n  \"debug\": true,\n  \"registry-mirrors\": [\"https://b.example/\"]\n}\n";
        let after = set_mirrors(Some(before), &m(&["https://a.example/"])).unwrap();
        let v: Value = serde_json::from_str(&after).unwrap();
        assert_eq!(
            v["registry-mirrors"],
            serde_json::json!(["https://a.example/"])
        );
        assert_eq!(after.matches("registry-mirrors").count(), 1, "{after}");
        assert!(after.contains("\"debug\": true"), "{after}");
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
