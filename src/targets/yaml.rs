//! One value set in a YAML file by editing only its own lines: comments, order, quoting and every other key stay
//! byte for byte. No Rust YAML library keeps a file's formatting, so the edit is made on lines and then proven:
//! the result is parsed and must equal the original with exactly that one value set — otherwise nothing is
//! written and the user is told to edit by hand. Pure.

use anyhow::{bail, Context, Result};
use rust_i18n::t;
use serde_json::Value;

/// A YAML file as data, for the proof (an empty file is an empty mapping). Parsed as YAML's own value first, which
/// refuses a key given twice (JSON's map would keep the last silently, and the proof would miss a second
/// `mirrors:`), then as JSON for comparing.
pub fn parse(text: &str) -> Result<Value> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    let invalid = |e: serde_yaml_ng::Error| {
        let at = e
            .location()
            .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
            .unwrap_or_default();
        anyhow::anyhow!("{}", t!("yaml.invalid", detail = format!("{e}{at}")))
    };
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(invalid)?;
    let v = serde_json::to_value(&yaml)
        .map_err(|e| anyhow::anyhow!("{}", t!("yaml.invalid", detail = e)))?;
    Ok(match v {
        Value::Null => Value::Object(Default::default()),
        v => v,
    })
}

/// A YAML file as the value its reader takes (a `FileChange`'s meaning): flow or block, quoted or not, one value.
pub fn meaning(bytes: &[u8]) -> Option<Value> {
    parse(std::str::from_utf8(bytes).ok()?).ok()
}

/// Anchors, aliases and merge keys make one line stand for others (`<<: *hub` copies a mapping in): an edit by
/// lines cannot keep their meaning, so a file that uses them is refused, naming the line. Quoted text and
/// comments do not count.
fn refuse_references(text: &str) -> Result<()> {
    for (n, line) in text.lines().enumerate() {
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        for (i, c) in line.char_indices() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '#' && (prev == ' ' || i == 0) => break,
                None => {
                    let starts_token = prev == ' '
                        || prev == '-'
                        || prev == '['
                        || prev == '{'
                        || prev == ','
                        || i == 0;
                    let next = line[i + c.len_utf8()..].chars().next().unwrap_or(' ');
                    let reference = (c == '&' || c == '*') && starts_token && next != ' ';
                    let merge = line[i..].starts_with("<<") && starts_token;
                    if reference || merge {
                        bail!("{}", t!("yaml.references", line = n + 1, column = i + 1));
                    }
                }
            }
            prev = c;
        }
    }
    Ok(())
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// The key a `key: …` line opens, unquoted, and the rest after the colon.
fn key_of(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start();
    if t.starts_with("- ") || t.starts_with('#') {
        return None;
    }
    // A quoted key may stand apart from its colon (`"mirrors" :`).
    let (key, rest) = if let Some(q) = t.strip_prefix('"') {
        let end = q.find('"')?;
        (
            q[..end].to_owned(),
            q[end + 1..].trim_start_matches(' ').strip_prefix(':')?,
        )
    } else if let Some(q) = t.strip_prefix('\'') {
        let end = q.find('\'')?;
        (
            q[..end].to_owned(),
            q[end + 1..].trim_start_matches(' ').strip_prefix(':')?,
        )
    } else {
        let colon = t
            .find(": ")
            .or_else(|| t.strip_suffix(':').map(|k| k.len()))?;
        (t[..colon].trim_end().to_owned(), &t[colon + 1..])
    };
    (rest.is_empty() || rest.starts_with(' ')).then_some((key, rest))
}

/// A key as YAML: bare when plain, else double-quoted.
fn key_text(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        key.to_owned()
    } else {
        Value::String(key.to_owned()).to_string()
    }
}

/// The value rendered as the lines after `key:` (or on its line, for a scalar).
fn render(key: &str, value: &Value, at: usize) -> String {
    let pad = " ".repeat(at);
    let key = key_text(key);
    match value {
        Value::Array(items) => {
            let mut s = format!("{pad}{key}:\n");
            for i in items {
                s.push_str(&format!("{pad}  - {i}\n"));
            }
            s
        }
        // JSON's double-quoted strings are YAML's too.
        v => format!("{pad}{key}: {v}\n"),
    }
}

/// Where a block ends: the first line after `start` that is not blank and is indented no deeper than `at` (a
/// sequence at the key's own indentation belongs to the key).
fn block_end(lines: &[&str], start: usize, end: usize, at: usize) -> usize {
    let mut i = start;
    while i < end {
        let l = lines[i];
        if !is_blank(l) && indent(l) <= at && !(indent(l) == at && l.trim_start().starts_with("- "))
        {
            break;
        }
        i += 1;
    }
    // Trailing blank lines and comments stay where they are, outside the block.
    while i > start && is_blank(lines[i - 1]) {
        i -= 1;
    }
    i
}

/// The edit of the value at `path` as a `Rebase`: set again on newer bytes by the same line edit and its proof.
pub fn rebase(path: &[&str], value: Value) -> crate::change::Rebase {
    let keys: Vec<String> = path.iter().map(|k| k.to_string()).collect();
    let (k1, k2, v2) = (keys.clone(), keys.clone(), value.clone());
    let text = |b: Option<&[u8]>| -> Result<String> {
        Ok(std::str::from_utf8(b.unwrap_or_default())?.to_owned())
    };
    crate::change::Rebase {
        what: keys.join("."),
        ours: Some(value),
        read: Box::new(move |b| {
            let v = parse(&text(b).ok()?).ok()?;
            k1.iter().try_fold(&v, |v, k| v.get(k)).cloned()
        }),
        set: Box::new(move |b| {
            let keys: Vec<&str> = k2.iter().map(String::as_str).collect();
            Ok(set(&text(b)?, &keys, &v2)?.into_bytes())
        }),
    }
}

/// Sets the value at `path` (keys of nested block mappings), adding the missing keys at the end of their parent.
pub fn set(text: &str, path: &[&str], value: &Value) -> Result<String> {
    let before = parse(text)?;
    refuse_references(text)?;
    // The file's own line ending, kept on every line (a CRLF file written on Windows stays CRLF).
    let eol = if text.split('\n').next().is_some_and(|l| l.ends_with('\r')) {
        "\r\n"
    } else {
        "\n"
    };
    let lines: Vec<&str> = text.lines().collect();
    let (mut start, mut end, mut at) = (0usize, lines.len(), 0usize);
    let mut replace: Option<(usize, usize, String)> = None;
    for (depth, key) in path.iter().enumerate() {
        let found = (start..end).find(|&i| {
            let l = lines[i];
            !is_blank(l) && indent(l) == at && key_of(l).is_some_and(|(k, _)| k == *key)
        });
        let Some(i) = found else {
            // Add the rest of the path at the end of this block (of the file, before its trailing blank lines).
            let mut s = String::new();
            for (d, k) in path[depth..path.len() - 1].iter().enumerate() {
                s.push_str(&format!("{}{}:\n", " ".repeat(at + 2 * d), key_text(k)));
            }
            s.push_str(&render(
                path[path.len() - 1],
                value,
                at + 2 * (path.len() - 1 - depth),
            ));
            let mut insert = end;
            while depth == 0 && insert > 0 && lines[insert - 1].trim().is_empty() {
                insert -= 1;
            }
            replace = Some((insert, insert, s));
            break;
        };
        let (_, rest) = key_of(lines[i]).expect("matched above");
        let rest = rest.trim();
        let child_end = block_end(&lines, i + 1, end, at);
        if depth == path.len() - 1 {
            replace = Some((i, child_end, render(key, value, at)));
            break;
        }
        if !rest.is_empty() && !rest.starts_with('#') {
            // An empty flow mapping (colima.yaml's own `docker: {}`) holds nothing to keep: it becomes a block
            // holding the rest of the path, its comment kept on the key's line.
            if let Some(comment) = rest.strip_prefix("{}").map(str::trim_start) {
                if comment.is_empty() || comment.starts_with('#') {
                    let pad = |d: usize| " ".repeat(at + 2 * d);
                    let sep = if comment.is_empty() { "" } else { " " };
                    let mut s = format!("{}{}:{sep}{comment}\n", pad(0), key_text(key));
                    for (d, k) in path[depth + 1..path.len() - 1].iter().enumerate() {
                        s.push_str(&format!("{}{}:\n", pad(d + 1), key_text(k)));
                    }
                    s.push_str(&render(
                        path[path.len() - 1],
                        value,
                        at + 2 * (path.len() - 1 - depth),
                    ));
                    replace = Some((i, i + 1, s));
                    break;
                }
            }
            // `mirrors: {a: b}` and other flow forms: not ours to rewrite line by line.
            bail!("{}", t!("yaml.flow", key = key));
        }
        // The children's indentation: the first non-blank line inside, else two more.
        let inner = (i + 1..child_end)
            .find(|&j| !is_blank(lines[j]))
            .map_or(at + 2, |j| indent(lines[j]));
        if inner <= at {
            bail!("{}", t!("yaml.flow", key = key));
        }
        (start, end, at) = (i + 1, child_end, inner);
    }
    let (from, to, new) = replace.expect("the loop always decides");
    let mut out = String::new();
    for l in &lines[..from] {
        out.push_str(l);
        out.push_str(eol);
    }
    out.push_str(&new.replace('\n', eol));
    for l in &lines[to..] {
        out.push_str(l);
        out.push_str(eol);
    }
    // The proof: the original as data, with this one value set, is what the new text says.
    let mut want = before;
    let mut cur = &mut want;
    for key in path {
        // `docker:` with nothing after it is null, and becomes the mapping the edit adds under it.
        if cur.is_null() {
            *cur = Value::Object(Default::default());
        }
        if !cur.is_object() {
            bail!("{}", t!("yaml.not_mapping", key = key));
        }
        cur = cur
            .as_object_mut()
            .expect("checked")
            .entry(key.to_string())
            .or_insert(Value::Object(Default::default()));
    }
    *cur = value.clone();
    let got = parse(&out).context(t!("yaml.edit_failed"))?;
    if got != want {
        bail!("{}", t!("yaml.edit_failed"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const K3S: &str = "# Our registries, see https://docs.k3s.io/installation/private-registry\nmirrors:\n  \"docker.io\":\n    endpoint:\n      - \"https://old.example\"\n  registry.example.com:\n    endpoint: [\"https://r.example\"]\nconfigs:\n  \"r.example\":\n    auth:\n      username: bob # the CI user\n      password: s3cret\n";

    #[test]
    fn a_key_given_twice_a_spaced_quoted_key_and_a_complex_key_never_get_a_second_mirrors() {
        let dup = "mirrors:\n  docker.io:\n    endpoint: []\nmirrors:\n  quay.io: {}\n";
        assert!(
            parse(dup).is_err(),
            "a duplicate key is refused by the proof's parse"
        );
        let spaced =
            "\"mirrors\" :\n  docker.io:\n    endpoint:\n      - \"https://old.example\"\n";
        let out = set(
            spaced,
            &["mirrors", "docker.io", "endpoint"],
            &json!(["https://n.example"]),
        )
        .unwrap();
        assert_eq!(out.matches("mirrors").count(), 1, "{out}");
        assert!(
            out.contains("https://n.example") && !out.contains("old.example"),
            "{out}"
        );
        let complex = "? mirrors\n: docker.io:\n    endpoint: []\n";
        assert!(set(
            complex,
            &["mirrors", "docker.io", "endpoint"],
            &json!(["https://n.example"])
        )
        .is_err());
    }

    #[test]
    fn anchors_aliases_and_merge_keys_are_refused_naming_the_line() {
        let merge = "hub: &hub\n  endpoint:\n    - \"https://a.example\"\n  rewrite:\n    \"^(.*)$\": \"lib/$1\"\nmirrors:\n  docker.io:\n    <<: *hub\n";
        let e = set(
            merge,
            &["mirrors", "docker.io", "endpoint"],
            &json!(["https://n.example"]),
        )
        .unwrap_err();
        assert!(format!("{e}").contains("line 1"), "{e}");
        // An ampersand or star inside quotes or a comment is text.
        let text = "# see *this* & that\nmirrors:\n  docker.io:\n    endpoint:\n      - \"https://a.example/&x*\"\n";
        assert!(set(
            text,
            &["mirrors", "docker.io", "endpoint"],
            &json!(["https://n.example"])
        )
        .is_ok());
    }

    #[test]
    fn a_crlf_file_stays_crlf() {
        let crlf = "# ops\r\nmirrors:\r\n  docker.io:\r\n    endpoint:\r\n      - \"https://old.example\"\r\nconfigs: {}\r\n";
        let out = set(
            crlf,
            &["mirrors", "docker.io", "endpoint"],
            &json!(["https://n.example", "https://m.example"]),
        )
        .unwrap();
        assert_eq!(
            out.matches("\r\n").count(),
            out.matches('\n').count(),
            "{out:?}"
        );
        assert!(
            out.starts_with("# ops\r\nmirrors:\r\n") && out.ends_with("configs: {}\r\n"),
            "{out:?}"
        );
    }

    #[test]
    fn replaces_only_the_lines_of_the_value() {
        let out = set(
            K3S,
            &["mirrors", "docker.io", "endpoint"],
            &json!(["https://a.example", "https://b.example"]),
        )
        .unwrap();
        assert_eq!(
            out,
            K3S.replace(
                "      - \"https://old.example\"\n",
                "      - \"https://a.example\"\n      - \"https://b.example\"\n"
            )
        );
    }

    #[test]
    fn adds_missing_keys_and_creates_a_file() {
        let out = set(
            "",
            &["mirrors", "docker.io", "endpoint"],
            &json!(["http://c:5000"]),
        )
        .unwrap();
        assert_eq!(
            out,
            "mirrors:\n  docker.io:\n    endpoint:\n      - \"http://c:5000\"\n"
        );
        let text = "configs:\n  x:\n    tls:\n      insecure_skip_verify: true\n";
        let out = set(
            text,
            &["mirrors", "docker.io", "endpoint"],
            &json!(["http://c:5000"]),
        )
        .unwrap();
        assert!(out.starts_with(text), "{out}");
        let text = "mirrors:\n  quay.io:\n    endpoint:\n    - \"https://q\"\n# end\n";
        let out = set(
            text,
            &["mirrors", "docker.io", "endpoint"],
            &json!(["http://c"]),
        )
        .unwrap();
        assert_eq!(
            parse(&out).unwrap()["mirrors"]["quay.io"]["endpoint"],
            json!(["https://q"])
        );
        assert!(out.ends_with("# end\n"), "{out}");
    }

    #[test]
    fn a_scalar_in_a_distribution_config() {
        let text = "version: 0.1\nproxy:\n  remoteurl: https://old.example # upstream\n  username: u\nhttp:\n  addr: :5000\n";
        let out = set(text, &["proxy", "remoteurl"], &json!("https://new.example")).unwrap();
        assert_eq!(
            out,
            text.replace("https://old.example # upstream", "\"https://new.example\"")
        );
    }

    #[test]
    fn an_empty_flow_mapping_or_an_empty_key_becomes_a_block() {
        let key = ["docker", "registry-mirrors"];
        let v = json!(["https://a.example/"]);
        let text =
            "cpu: 2\n# dockerd's daemon.json\ndocker: {} # see colima docs\nmountType: sshfs\n";
        assert_eq!(
            set(text, &key, &v).unwrap(),
            "cpu: 2\n# dockerd's daemon.json\ndocker: # see colima docs\n  registry-mirrors:\n    - \"https://a.example/\"\nmountType: sshfs\n"
        );
        let deeper = set("a: {}\n", &["a", "b", "c"], &json!(1)).unwrap();
        assert_eq!(parse(&deeper).unwrap(), json!({"a": {"b": {"c": 1}}}));
        let empty = set("docker:\nmountType: sshfs\n", &key, &v).unwrap();
        assert_eq!(
            empty,
            "docker:\n  registry-mirrors:\n    - \"https://a.example/\"\nmountType: sshfs\n"
        );
        // A flow mapping with something in it is still not ours to rewrite.
        assert!(set("docker: {debug: true}\n", &key, &v).is_err());
    }

    #[test]
    fn what_it_cannot_edit_in_place_is_refused() {
        assert!(set(
            "mirrors: {}\n",
            &["mirrors", "docker.io", "endpoint"],
            &json!([])
        )
        .is_err());
        assert!(set(
            "mirrors: [1, 2]\n",
            &["mirrors", "docker.io", "endpoint"],
            &json!([])
        )
        .is_err());
        let e = set("a: [unclosed\n", &["a"], &json!(1)).unwrap_err();
        assert!(format!("{e:#}").contains("line"), "{e:#}");
        // A value that would need escaping is quoted, and the proof holds.
        let out = set(
            "",
            &["proxy", "remoteurl"],
            &json!("http://h/#not-a-comment: x"),
        )
        .unwrap();
        assert_eq!(
            parse(&out).unwrap()["proxy"]["remoteurl"],
            "http://h/#not-a-comment: x"
        );
    }
}

#[cfg(test)]
mod by_value {
    use crate::change::FileChange;
    use serde_json::json;

    #[test]
    fn registries_yaml_in_flow_or_block_form_is_no_change() {
        let key = ["mirrors", "docker.io", "endpoint"];
        let value = json!(["https://a.example", "https://b.example"]);
        let flow =
            "mirrors:\n  docker.io:\n    endpoint: [\"https://a.example\", 'https://b.example']\n";
        let after = super::set(flow, &key, &value).unwrap();
        assert_ne!(after, flow, "the line edit renders a block sequence");
        let changes = |before: &str, after: &str| {
            FileChange::new("registries.yaml".into(), Some(before.into()), after)
                .by_value(super::meaning)
                .changes()
        };
        assert!(!changes(flow, &after));
        let swapped = super::set(
            flow,
            &key,
            &json!(["https://b.example", "https://a.example"]),
        )
        .unwrap();
        assert!(changes(flow, &swapped));
    }
}
