//! Whether a given dockerd will start with a daemon.json, judged the way dockerd reads it (moby's
//! `getConflictFreeConfiguration`, `Validate` and the registry's `ValidateMirror`), from the option table. Pure.

use rust_i18n::t;
use serde::Serialize;
use serde_json::Value;

use super::options::{Items, Kind, Rules, Table, Version};

/// Which of dockerd's steps refuses the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Reading the file: encoding, JSON syntax, not an object.
    Document,
    /// "the following directives don't match any configuration option".
    UnknownKey,
    /// Decoding into Go types, then `Validate` and the registry's mirror check.
    Value,
    /// Checks dockerd makes while it starts, after the file read well: runtimes, the bridge, insecure registries,
    /// log options against the log driver. `dockerd --validate` does not run them.
    Startup,
    /// Not a refusal: a flag name dockerd accepts as a key and then ignores (`registry-mirror` for
    /// `registry-mirrors`), so the setting silently does nothing.
    Ignored,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub stage: Stage,
    /// The option at fault, when there is one.
    pub key: Option<String>,
    pub reason: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// What to do instead, for a key popular guides invent (`registry-auth`, `mirrors`): see `INVENTED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

/// Keys that guides and forum answers put in daemon.json although dockerd has no such option, each with the
/// message (locales/app.toml `predict.instead.*`) that says what does the job. Data, not code: add a row.
pub const INVENTED: &[(&str, &str)] = &[
    ("registry-auth", "login"),
    ("registry-auths", "login"),
    ("auths", "login"),
    ("auth", "login"),
    ("credentials", "login"),
    ("credential", "login"),
    ("username", "login"),
    ("password", "login"),
    ("registry-username", "login"),
    ("registry-password", "login"),
    ("token", "login"),
    ("mirrors", "mirrors"),
    ("mirror", "mirrors"),
    ("registry_mirrors", "mirrors"),
    ("registryMirrors", "mirrors"),
    ("registry-mirror-urls", "mirrors"),
    ("docker-mirrors", "mirrors"),
    ("insecure_registries", "insecure"),
    ("insecureRegistries", "insecure"),
    ("proxy", "proxy"),
    ("http_proxy", "proxy"),
    ("https_proxy", "proxy"),
];

/// What to do instead of `key`, when guides are known to invent it.
pub fn instead(key: &str) -> Option<String> {
    INVENTED
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, id)| {
            let message = format!("predict.instead.{id}");
            t!(message.as_str()).into_owned()
        })
}

#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub engine: Version,
    pub starts: bool,
    pub refusals: Vec<Refusal>,
    /// Keys dockerd accepts and ignores: it starts, but not as the user meant.
    pub ignored: Vec<Refusal>,
}

impl std::fmt::Display for Refusal {
    /// `` `key`: reason (line L, column C)``.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let (Stage::Value | Stage::Startup, Some(key)) = (self.stage, &self.key) {
            write!(f, "`{key}`: ")?;
        }
        f.write_str(&self.reason)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " ({})", t!("predict.at", line = line, column = column))?;
        }
        Ok(())
    }
}

/// Judges `bytes` as daemon.json for `engine`. Flag conflicts are not part of it: they depend on the unit.
pub fn predict(bytes: &[u8], engine: Version) -> Prediction {
    let (refusals, ignored) = judge(bytes, engine);
    Prediction {
        engine,
        starts: refusals.is_empty(),
        refusals,
        ignored,
    }
}

fn judge(bytes: &[u8], engine: Version) -> (Vec<Refusal>, Vec<Refusal>) {
    let mut ignored = Vec::new();
    let refusals = refusals(bytes, engine, &mut ignored);
    (refusals, ignored)
}

fn refusals(bytes: &[u8], engine: Version, ignored: &mut Vec<Refusal>) -> Vec<Refusal> {
    let table = Table::get();
    let whole = |reason: String| {
        vec![Refusal {
            stage: Stage::Document,
            key: None,
            reason,
            line: None,
            column: None,
            advice: None,
        }]
    };
    let mut body = bytes;
    if table.lenient(engine) {
        body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    }
    // 23.0 reads through unicode.BOMOverride: a UTF-16 file with its BOM is decoded (20.10 refuses it).
    let utf16 = table
        .lenient(engine)
        .then(|| utf16_with_bom(body))
        .flatten();
    let body = utf16.as_deref().map_or(body, str::as_bytes);
    // 23.0 runs a UTF-8 validator first; 20.10's decoder turns invalid bytes into U+FFFD, as it does lone
    // surrogate escapes (both engines).
    let text = match std::str::from_utf8(body) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) if table.lenient(engine) => return whole(t!("predict.not_utf8").into_owned()),
        Err(_) => String::from_utf8_lossy(body),
    };
    let text = replace_lone_surrogates(&text);
    let text = text.as_str();
    let text_trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if text_trimmed.is_empty() {
        return if table.lenient(engine) {
            vec![]
        } else {
            whole(t!("predict.empty").into_owned())
        };
    }
    let parsed: Result<Value, serde_json::Error> = if table.lenient(engine) {
        serde_json::from_str(text)
    } else {
        // json.Decoder: one value, whatever follows it is never read.
        serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .next()
            .unwrap_or_else(|| serde_json::from_str(""))
    };
    let value = match parsed {
        Ok(v) => v,
        Err(e) => {
            return vec![Refusal {
                stage: Stage::Document,
                key: None,
                reason: t!(
                    "predict.syntax",
                    detail = crate::ui::errors::json_words(&strip_position(&e.to_string()))
                )
                .into_owned(),
                line: Some(e.line()),
                column: Some(e.column()),
                advice: None,
            }]
        }
    };
    let map = match value {
        Value::Object(m) => m,
        Value::Null => return vec![], // Go decodes null into a map as "nothing set"
        other => return whole(t!("predict.not_object", kind = json_kind(&other)).into_owned()),
    };

    let mut out = Vec::new();
    let refuse = |out: &mut Vec<Refusal>, stage: Stage, key: &str, reason: String| {
        let (line, column) = locate_key(text, key).unzip();
        out.push(Refusal {
            stage,
            key: Some(key.to_owned()),
            advice: instead(key),
            reason,
            line,
            column,
        });
    };

    // 1. Every key, after dockerd flattens nested objects, must be an option of this engine.
    // (the key dockerd names, the top-level key the user wrote it under)
    let mut unknown: Vec<(String, String)> = Vec::new();
    for (key, value) in &map {
        match value {
            Value::Object(inner) if !table.flat.iter().any(|f| f == key) => {
                for k in inner.keys() {
                    if table.option(k, engine).is_none() {
                        unknown.push((k.clone(), key.clone()));
                    }
                }
            }
            _ if table.option(key, engine).is_none() => unknown.push((key.clone(), key.clone())),
            _ => {}
        }
    }
    for (key, value) in &map {
        let keys: Vec<&String> = match value {
            Value::Object(inner) if !table.flat.iter().any(|f| f == key) => inner.keys().collect(),
            _ => vec![key],
        };
        for k in keys {
            if table.option(k, engine).is_some_and(|o| o.ignored) {
                let meant =
                    meant(k).filter(|m| table.option(m, engine).is_some_and(|o| !o.ignored));
                let reason = match meant {
                    Some(m) => t!("predict.ignored_meant", key = k, meant = m),
                    None => t!("predict.ignored", key = k),
                };
                let (line, column) = locate_key(text, k).unzip();
                ignored.push(Refusal {
                    stage: Stage::Ignored,
                    key: Some(k.clone()),
                    reason: reason.into_owned(),
                    line,
                    column,
                    advice: None,
                });
            }
        }
    }
    let mut named: Vec<&String> = Vec::new();
    for (inner, outer) in &unknown {
        // dockerd flattens an object it has no option for and names the inner key ("harbor.example.com" of
        // `"registry-auth": {"harbor.example.com": …}`), as it refuses `proxies` on 20.10 as its inner
        // `http-proxy`: name the key the user wrote, once.
        let key = match table.since(outer) {
            Some(since) if since > engine => outer,
            None if table.option(outer, engine).is_none() => outer,
            _ => inner,
        };
        if named.contains(&key) {
            continue;
        }
        named.push(key);
        let reason = match table.since(key) {
            Some(since) if since > engine => {
                t!("predict.too_new", key = key, since = since, engine = engine)
            }
            Some(_) => t!("predict.removed", key = key, engine = engine),
            None if table.option(&key.to_ascii_lowercase(), engine).is_some() => {
                t!(
                    "predict.case",
                    key = key,
                    expected = key.to_ascii_lowercase()
                )
            }
            None if key != inner => t!("predict.unknown_nested", key = key, inner = inner),
            None => t!("predict.unknown", key = key),
        };
        refuse(&mut out, Stage::UnknownKey, key, reason.into_owned());
    }
    if !out.is_empty() {
        return out; // dockerd stops at the unknown keys before decoding any value
    }

    // 2. Each value must decode into the option's Go type, then pass dockerd's value checks.
    let mut rules = Vec::new();
    for (key, value) in &map {
        let Some(known) = table.option(key, engine) else {
            continue; // a flattened object whose keys are all options: Go ignores it when decoding
        };
        if value.is_null() || known.ignored {
            continue; // null leaves a Go field at its default; an ignored key has no field
        }
        match fits(known.kind, value) {
            Err(reason) => refuse(&mut out, Stage::Value, key, reason),
            Ok(()) => {
                if let Err(reason) = obeys(&known.rules, value, engine) {
                    rules.push((key.clone(), reason));
                }
            }
        }
    }
    // Go decodes every value before dockerd checks any: type errors are what it reports first.
    for (key, reason) in rules {
        refuse(&mut out, Stage::Value, &key, reason);
    }
    if !out.is_empty() {
        return out;
    }
    // 3. What dockerd checks while it starts (the file read well): the first that fails stops it.
    for (stage, key, reason) in startup(&map, engine) {
        // Where the one option or item at fault is written, when dockerd's words name it; else the key's.
        let (line, column) = inner(&map, key, &reason)
            .and_then(|needle| locate_after(text, key, &needle))
            .or_else(|| locate_key(text, key))
            .unzip();
        out.push(Refusal {
            stage,
            key: Some(key.to_owned()),
            reason,
            line,
            column,
            advice: None,
        });
    }
    out
}

/// What dockerd checks while it starts (`startup.rs`, from `startup.toml`), and `-b` with `--bip`
/// (`daemon/daemon_unix.go`, the same at every tag read). Each is (stage, key, reason).
fn startup(
    map: &serde_json::Map<String, Value>,
    engine: Version,
) -> Vec<(Stage, &'static str, String)> {
    let mut out: Vec<(Stage, &'static str, String)> = super::startup::check(map, engine)
        .into_iter()
        .map(|(stage, key, said)| {
            let reason = t!(
                "predict.startup_said",
                said = crate::ui::output::outside(&said)
            );
            (stage, key, reason.into_owned())
        })
        .collect();
    let bridge_none = matches!(map.get("bridge"), Some(Value::String(b)) if b == "none");
    if bridge_none
        && map
            .get("bip")
            .is_some_and(|b| b.as_str().is_some_and(|s| !s.is_empty()))
    {
        out.push((Stage::Startup, "bip", t!("predict.bridge_bip").into_owned()));
    }
    out
}

/// Go's encoding/json: does `value` decode into a field of this kind?
fn fits(kind: Kind, value: &Value) -> Result<(), String> {
    let ok = match kind {
        Kind::Any => true,
        Kind::String => value.is_string(),
        Kind::Bool => value.is_boolean(),
        Kind::Int => value.is_i64(),
        Kind::Uint => value.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)),
        Kind::StringList => each(value, Value::is_string),
        Kind::IpList => each(value, |v| v.as_str().is_some_and(is_ip)),
        Kind::Ip => value.as_str().is_some_and(|s| s.is_empty() || is_ip(s)),
        Kind::StringMap => value
            .as_object()
            .is_some_and(|m| m.values().all(|v| v.is_string() || v.is_null())),
        Kind::BoolMap => value
            .as_object()
            .is_some_and(|m| m.values().all(|v| v.is_boolean() || v.is_null())),
        Kind::MemBytes => value.is_u64() || value.as_str().is_some_and(|s| mem_bytes(s).is_some()),
        Kind::Object => value.is_object(),
        Kind::ObjectList => each(value, |v| v.is_object() || v.is_null()),
    };
    if ok {
        Ok(())
    } else {
        Err(t!(
            "predict.wrong_type",
            expected = kind_words(kind),
            found = json_kind(value)
        )
        .into_owned())
    }
}

fn each(value: &Value, item: impl Fn(&Value) -> bool) -> bool {
    value
        .as_array()
        .is_some_and(|a| a.iter().all(|v| v.is_null() || item(v)))
}

fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// docker/go-units RAMInBytes: a number with an optional b/k/m/g/t/p suffix (and an optional trailing b).
pub(super) fn mem_bytes(s: &str) -> Option<f64> {
    let lower = s.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let n: f64 = lower[..digits_end].parse().ok()?;
    let unit = lower[digits_end..].trim();
    matches!(
        unit,
        "" | "b" | "k" | "kb" | "m" | "mb" | "g" | "gb" | "t" | "tb" | "p" | "pb"
    )
    .then_some(n)
}

fn obeys(rules: &Rules, value: &Value, engine: Version) -> Result<(), String> {
    if let Some(n) = value.as_i64() {
        if rules.min.is_some_and(|min| n < min) || rules.max.is_some_and(|max| n > max) {
            return Err(t!(
                "predict.out_of_range",
                value = n,
                min = rules.min.unwrap_or(i64::MIN),
                max = rules.max.unwrap_or(i64::MAX)
            )
            .into_owned());
        }
    }
    if let (Some(allowed), Some(s)) = (&rules.one_of, value.as_str()) {
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) {
            return Err(t!(
                "predict.not_one_of",
                value = s,
                allowed = allowed.join(", ")
            )
            .into_owned());
        }
    }
    if let (Some(items), Some(list)) = (rules.items, value.as_array()) {
        // A null item decodes to "" in a Go []string, which the checks then see.
        for item in list.iter().map(|v| v.as_str().unwrap_or_default()) {
            let checked = match items {
                Items::MirrorUrl => go_mirror(item, true, engine),
                Items::MirrorUrlNoPath => go_mirror(item, false, engine),
                Items::Label => item
                    .contains('=')
                    .then_some(())
                    .ok_or_else(|| t!("predict.label", label = item).into_owned()),
                Items::IpTrimmed => is_ip(item.trim()).then_some(()).ok_or_else(|| {
                    t!(
                        "predict.wrong_type",
                        expected = kind_words(Kind::IpList),
                        found = format!("{item:?}")
                    )
                    .into_owned()
                }),
            };
            checked.map_err(|e| format!("{e} (Engine {engine})"))?;
        }
    }
    Ok(())
}

/// moby's registry.ValidateMirror after Go's url.Parse, as `engine` runs them (`mirror_url`, the one rule).
fn go_mirror(raw: &str, path_allowed: bool, engine: Version) -> Result<(), String> {
    let rules = super::mirror_url::Rules {
        path: path_allowed,
        ..super::mirror_url::Rules::of(engine)
    };
    match super::mirror_url::dockerd(raw, rules) {
        Ok(_) => Ok(()),
        Err(super::mirror_url::MirrorUrlError::Path(_)) => {
            Err(t!("predict.mirror_path", url = raw).into_owned())
        }
        Err(_) => Err(t!("predict.mirror", url = raw.escape_debug().to_string()).into_owned()),
    }
}

/// The daemon.json key a flag name stands for, when it is the plural (`registry-mirror` → `registry-mirrors`).
fn meant(flag: &str) -> Option<String> {
    match flag {
        "add-runtime" => Some("runtimes".into()),
        "feature" => Some("features".into()),
        "containerd-plugins-namespace" => Some("containerd-plugin-namespace".into()),
        "host" => Some("hosts".into()),
        "insecure-registry" => Some("insecure-registries".into()),
        _ => Some(format!("{flag}s")),
    }
}

/// A UTF-16 text after its byte-order mark, as Go's unicode.BOMOverride decodes it.
fn utf16_with_bom(body: &[u8]) -> Option<String> {
    let big = match body.get(..2)? {
        [0xFF, 0xFE] => false,
        [0xFE, 0xFF] => true,
        _ => return None,
    };
    let units: Vec<u16> = body[2..]
        .chunks(2)
        .map(|c| {
            let pair = [c[0], *c.get(1).unwrap_or(&0)];
            if big {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        })
        .collect();
    Some(String::from_utf16_lossy(&units))
}

/// Go's decoder turns an unpaired UTF-16 surrogate escape (`\ud800`) into U+FFFD; serde_json refuses it.
pub fn replace_lone_surrogates(text: &str) -> String {
    let hex = |s: &str| u16::from_str_radix(s, 16).ok();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if bytes[i] == b'\\' && i + 1 < text.len() {
            if bytes[i + 1] == b'u' && i + 6 <= text.len() {
                if let Some(u) = text.get(i + 2..i + 6).and_then(hex) {
                    let low = text
                        .get(i + 6..i + 12)
                        .filter(|s| s.starts_with("\\u"))
                        .and_then(|s| hex(&s[2..]));
                    match u {
                        0xD800..=0xDBFF if low.is_some_and(|l| (0xDC00..=0xDFFF).contains(&l)) => {
                            out.push_str(&text[i..i + 12]);
                            i += 12;
                            continue;
                        }
                        0xD800..=0xDFFF => {
                            out.push_str("\\ufffd");
                            i += 6;
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            // Any other escape: copy both characters so an escaped backslash is never read as a new escape.
            let next = text[i + 1..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + 1 + next]);
            i += 1 + next;
            continue;
        }
        let c = text[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The option (`log-opts`, `runtimes`) or list item (`storage-opts`, `insecure-registries`, `labels`) of `key`
/// that dockerd's words name, quoted as JSON.
fn inner(map: &serde_json::Map<String, Value>, key: &str, said: &str) -> Option<String> {
    let named = |k: &str| {
        said.contains(&format!("'{k}'"))
            || said.contains(&format!("\\\"{k}\\\""))
            || said.contains(&format!("\"{k}\""))
            || said.contains(&format!("runtime {k}:"))
    };
    let found = match map.get(key)? {
        Value::Object(o) => o.keys().find(|k| named(k)).cloned(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|s| {
                let item = s.trim();
                let opt = item.split_once('=').map_or("", |(k, _)| k.trim());
                !item.is_empty()
                    && (said.contains(item)
                        || (!opt.is_empty() && said.contains(&format!(" {opt}"))))
            })
            .map(str::to_owned),
        _ => None,
    }?;
    serde_json::to_string(&found).ok()
}

/// Where `needle` (a quoted JSON string) is first written after `"key":`, as 1-based line and column.
fn locate_after(text: &str, key: &str, needle: &str) -> Option<(usize, usize)> {
    let quoted = serde_json::to_string(key).ok()?;
    let start = text
        .find(&format!("{quoted}:"))
        .or_else(|| text.find(&quoted))?;
    let at = start + text[start..].find(needle)?;
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}

/// Where `"key"` is written (first occurrence as an object key), as 1-based line and column.
fn locate_key(text: &str, key: &str) -> Option<(usize, usize)> {
    let quoted = serde_json::to_string(key).ok()?;
    let mut from = 0;
    while let Some(i) = text[from..].find(&quoted) {
        let at = from + i;
        let after = text[at + quoted.len()..].trim_start();
        if after.starts_with(':') {
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            return Some((line, column));
        }
        from = at + quoted.len();
    }
    None
}

fn strip_position(message: &str) -> String {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(m, _)| m)
        .to_owned()
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn kind_words(kind: Kind) -> &'static str {
    match kind {
        Kind::String => "a string",
        Kind::Bool => "true or false",
        Kind::Int => "an integer",
        Kind::Uint => "a non-negative integer",
        Kind::StringList => "a list of strings",
        Kind::IpList => "a list of IP addresses",
        Kind::Ip => "an IP address",
        Kind::StringMap => "an object of strings",
        Kind::BoolMap => "an object of true/false",
        Kind::MemBytes => "a size such as \"64m\"",
        Kind::Object => "an object",
        Kind::ObjectList => "a list of objects",
        Kind::Any => "any value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(json: &str, engine: &str) -> bool {
        predict(json.as_bytes(), Version::parse(engine).unwrap()).starts
    }

    #[test]
    fn documents_differ_by_engine() {
        assert!(!starts("", "20.10") && starts("", "26.1"));
        assert!(!starts(" \n", "20.10") && starts(" \n", "26.1"));
        assert!(!starts("\u{feff}{}", "20.10") && starts("\u{feff}{}", "26.1"));
        assert!(starts("{} {}", "20.10") && !starts("{} {}", "26.1"));
        assert!(!starts("[]", "26.1") && starts("null", "26.1"));
    }

    #[test]
    fn types_ranges_and_keys() {
        assert!(!starts(
            r#"{"registry-mirrors": "https://a.example"}"#,
            "26.1"
        ));
        assert!(!starts(
            r#"{"registry-mirrors": ["https://a.example", 1]}"#,
            "26.1"
        ));
        assert!(!starts(r#"{"debug": "yes"}"#, "26.1"));
        assert!(!starts(r#"{"max-concurrent-downloads": -1}"#, "20.10"));
        assert!(!starts(r#"{"max-concurrent-downloads": 1.5}"#, "26.1"));
        assert!(!starts(r#"{"Registry-Mirrors": []}"#, "26.1"));
        assert!(!starts(r#"{"registry-auth": {"x": 1}}"#, "26.1"));
        assert!(!starts(
            r#"{"proxies": {"http-proxy": "http://p:3128"}}"#,
            "20.10"
        ));
        assert!(starts(
            r#"{"proxies": {"http-proxy": "http://p:3128"}}"#,
            "26.1"
        ));
        assert!(starts(
            r#"{"log-opts": {"max-size": "10m"}, "debug": null}"#,
            "20.10"
        ));
    }

    #[test]
    fn mirrors_as_dockerd_checks_them() {
        assert!(!starts(
            r#"{"registry-mirrors": ["docker.m.daocloud.io"]}"#,
            "26.1"
        ));
        assert!(!starts(
            r#"{"registry-mirrors": [" https://a.example"]}"#,
            "26.1"
        ));
        assert!(!starts(
            r#"{"registry-mirrors": ["https://a.example/x"]}"#,
            "20.10"
        ));
        assert!(starts(
            r#"{"registry-mirrors": ["https://a.example/x"]}"#,
            "26.1"
        ));
        assert!(!starts(
            r#"{"registry-mirrors": ["https://u:p@a.example"]}"#,
            "26.1"
        ));
    }

    #[test]
    fn what_go_decodes_leniently() {
        assert!(starts(r#"{"labels": ["a=\ud800"]}"#, "26.1"));
        assert!(starts(
            r#"{"labels": ["a=\ud83d\ude00", "b=\\ud800"]}"#,
            "26.1"
        ));
        assert!(!starts(
            r#"{"registry-mirrors": ["https://a.example", null]}"#,
            "26.1"
        ));
        assert!(
            predict(
                b"{\"labels\": [\"a=\xff\"]}",
                Version::parse("20.10").unwrap()
            )
            .starts
        );
        assert!(
            !predict(
                b"{\"labels\": [\"a=\xff\"]}",
                Version::parse("26.1").unwrap()
            )
            .starts
        );
    }

    #[test]
    fn a_flag_name_as_a_key_starts_but_is_ignored() {
        let p = predict(
            br#"{"registry-mirror": ["https://a.example"]}"#,
            Version::parse("26.1").unwrap(),
        );
        assert!(p.starts);
        assert_eq!(p.ignored.len(), 1);
        assert!(
            p.ignored[0].reason.contains("registry-mirrors"),
            "{}",
            p.ignored[0].reason
        );
    }

    #[test]
    fn what_dockerd_checks_while_it_starts() {
        for (json, says) in [
            (
                r#"{"runtimes": {"runc": {"path": "/usr/bin/runc"}}}"#,
                "reserved",
            ),
            (r#"{"default-runtime": "crun"}"#, "crun"),
            (
                r#"{"bridge": "none", "bip": "10.1.0.1/24"}"#,
                "mutually exclusive",
            ),
            (r#"{"insecure-registries": ["svn://10.0.0.5:5000"]}"#, "://"),
            (
                r#"{"log-opts": {"gelf-address": "udp://1.2.3.4:12201"}}"#,
                "gelf-address",
            ),
            (
                r#"{"log-driver": "local", "log-opts": {"tag": "x"}}"#,
                "local",
            ),
        ] {
            for engine in ["20.10.24", "26.1.5", "28.5.2"] {
                let p = predict(json.as_bytes(), Version::parse(engine).unwrap());
                assert!(!p.starts, "{json} on {engine}");
                assert_eq!(p.refusals[0].stage, Stage::Startup, "{json}");
                assert!(
                    p.refusals[0].reason.contains(says),
                    "{json}: {}",
                    p.refusals[0].reason
                );
            }
        }
        for fine in [
            r#"{"runtimes": {"crun": {"path": "/usr/bin/crun"}}, "default-runtime": "crun"}"#,
            r#"{"default-runtime": "runc", "bridge": "none"}"#,
            r#"{"insecure-registries": ["10.0.0.5:5000", "10.0.0.0/8", "http://10.0.0.6:5000"]}"#,
            r#"{"log-opts": {"max-size": "10m", "max-file": "3"}}"#,
            r#"{"log-driver": "gelf", "log-opts": {"gelf-address": "udp://1.2.3.4:12201"}}"#,
        ] {
            assert!(
                predict(fine.as_bytes(), Version::parse("26.1.5").unwrap()).starts,
                "{fine}"
            );
        }
    }

    #[test]
    fn start_up_refusals_point_at_the_option_dockerd_names() {
        let p = predict(
            b"{\n  \"log-driver\": \"gelf\",\n  \"log-opts\": {\n    \"gelf-address\": \"udp://1.2.3.4:12201\",\n    \"max-size\": \"10m\"\n  }\n}",
            Version::parse("28.5").unwrap(),
        );
        assert_eq!(p.refusals[0].key.as_deref(), Some("log-opts"));
        assert_eq!(
            (p.refusals[0].line, p.refusals[0].column),
            (Some(5), Some(5))
        );
        let p = predict(
            b"{\"storage-driver\": \"vfs\",\n \"storage-opts\": [\"size=1G\", \"vfs.nosuch=1\"]}",
            Version::parse("26.1").unwrap(),
        );
        assert_eq!(
            (p.refusals[0].line, p.refusals[0].column),
            (Some(2), Some(30))
        );
    }

    #[test]
    fn refusals_say_where() {
        let p = predict(
            b"{\n  \"debug\": true,\n  \"registry-auth\": {\"a\": 1}\n}",
            Version::parse("26.1").unwrap(),
        );
        assert_eq!(p.refusals.len(), 1);
        assert_eq!(p.refusals[0].key.as_deref(), Some("registry-auth"));
        assert_eq!(
            (p.refusals[0].line, p.refusals[0].column),
            (Some(3), Some(3))
        );
    }

    #[test]
    fn a_nested_unknown_key_is_named_as_written_with_what_to_do_instead() {
        let p = predict(
            br#"{"registry-auth": {"harbor.example.com": {"username": "u"}, "b.example": {}}}"#,
            Version::parse("26.1").unwrap(),
        );
        assert_eq!(p.refusals.len(), 1, "{:?}", p.refusals);
        let r = &p.refusals[0];
        assert_eq!(r.key.as_deref(), Some("registry-auth"));
        assert!(r.reason.contains("`registry-auth`"), "{}", r.reason);
        assert!(r.advice.as_deref().unwrap().contains("docker login"));
        let p = predict(
            br#"{"mirrors": ["https://a.example"]}"#,
            Version::parse("28.5").unwrap(),
        );
        assert!(p.refusals[0]
            .advice
            .as_deref()
            .unwrap()
            .contains("registry-mirrors"));
        // A key no guide invents keeps the spelling advice (none of its own).
        let p = predict(br#"{"debugg": true}"#, Version::parse("26.1").unwrap());
        assert_eq!(p.refusals[0].advice, None);
        // Every row of the list has its message in both languages.
        for (key, _) in INVENTED {
            let said = instead(key).unwrap();
            assert!(!said.starts_with("predict.instead"), "{key}: {said}");
        }
    }
}
