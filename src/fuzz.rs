//! Property tests of the pure core (proptest): whatever the input, a merge refuses or changes only its key, a
//! writer's output parses back to the values it was given, and the parsers never panic.

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::targets::docker::{parse, set_mirrors};
use crate::targets::{containerd, containers, systemd};

/// JSON values of a few levels, keys and strings from a mean alphabet (quotes, escapes, non-ASCII, controls).
fn json_value() -> impl Strategy<Value = Value> {
    let text = "[a-z\"\\\\/ \\u{0}-\\u{1f}é镜🐳-]{0,8}";
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text.prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text, inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A daemon.json as people write it: an object, in one of several layouts.
fn daemon_json() -> impl Strategy<Value = String> {
    (
        prop::collection::btree_map("[a-z-]{1,12}", json_value(), 0..6),
        0..3usize,
    )
        .prop_map(|(m, layout)| {
            let v = Value::Object(m.into_iter().collect());
            match layout {
                0 => serde_json::to_string(&v).unwrap(),
                1 => serde_json::to_string_pretty(&v).unwrap() + "\n",
                _ => {
                    let mut buf = Vec::new();
                    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
                    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
                    serde::Serialize::serialize(&v, &mut ser).unwrap();
                    String::from_utf8(buf).unwrap()
                }
            }
        })
}

fn mirror() -> impl Strategy<Value = String> {
    "(http|https)://[a-z0-9.-]{1,12}(:[0-9]{1,5})?/?".prop_map(|s| s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_merge_changes_only_the_mirrors(text in daemon_json(), mirrors in prop::collection::vec(mirror(), 0..4)) {
        let after = set_mirrors(Some(&text), &mirrors);
        prop_assert!(after.is_ok(), "{:?} on {}", after, text);
        let after = after.unwrap();
        let mut before: Map<String, Value> = serde_json::from_str(&text).unwrap();
        let mut now: Map<String, Value> = serde_json::from_str(&after).unwrap();
        prop_assert_eq!(now.shift_remove("registry-mirrors"), Some(serde_json::json!(mirrors)));
        before.shift_remove("registry-mirrors");
        prop_assert_eq!(before, now);
    }

    #[test]
    fn the_strict_parser_and_the_prediction_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64), text in daemon_json()) {
        let _ = parse(&bytes);
        let _ = crate::dockerd::predict(&bytes, crate::dockerd::Version { major: 26, minor: 1 });
        let _ = crate::dockerd::predict(text.as_bytes(), crate::dockerd::Version { major: 20, minor: 10 });
    }

    #[test]
    fn hosts_toml_holds_exactly_the_mirrors_given(mirrors in prop::collection::vec("[ -~é镜]{1,20}", 0..4)) {
        let mut unique = mirrors.clone();
        unique.dedup();
        let text = containerd::hosts_toml("docker.io", &unique);
        let v: toml::Value = toml::from_str(&text).unwrap();
        let hosts = v.get("host").and_then(|h| h.as_table()).cloned().unwrap_or_default();
        let want: std::collections::BTreeSet<String> = unique.iter().map(|m| m.trim_end_matches('/').to_owned()).collect();
        let got: std::collections::BTreeSet<String> = hosts.keys().cloned().collect();
        prop_assert_eq!(got, want);
        prop_assert!(hosts.values().all(|h| h.as_table().is_some_and(|t| t.len() == 1)));
    }

    #[test]
    fn the_registries_conf_drop_in_holds_one_registry(mirrors in prop::collection::vec("[ -~é]{1,20}", 0..4)) {
        let v: toml::Value = toml::from_str(&containers::dropin("docker.io", &mirrors)).unwrap();
        let regs = v["registry"].as_array().unwrap();
        prop_assert_eq!(regs.len(), 1);
        prop_assert_eq!(regs[0].get("mirror").and_then(|m| m.as_array()).map_or(0, Vec::len), mirrors.len());
    }

    #[test]
    fn systemd_values_round_trip_or_are_refused(value in "[ -~\\n\\r\\t%é]{0,24}") {
        match systemd::environment_line("HTTP_PROXY", &value) {
            Ok(line) => {
                prop_assert_eq!(line.matches('\n').count(), 1);
                let rest = line.trim_end_matches('\n').strip_prefix("Environment=").unwrap();
                prop_assert_eq!(systemd::parse_environment(rest), vec![("HTTP_PROXY".to_owned(), value.clone())]);
            }
            Err(_) => prop_assert!(value.chars().any(char::is_control)),
        }
    }

    #[test]
    fn mirror_urls_that_pass_hold_no_whitespace_or_controls(raw in "[ -~\\t\\n\\u{1b}]{0,30}") {
        if let Ok(url) = crate::catalogue::validate_mirror(&raw) {
            prop_assert!(!url.chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert!(url.starts_with("http://") || url.starts_with("https://"));
            prop_assert!(url.ends_with('/'));
        }
    }

    #[test]
    fn registry_manifest_and_challenge_parsers_never_panic(body in prop::collection::vec(any::<u8>(), 0..256), header in "[ -~]{0,80}") {
        let _ = crate::registry::manifest::parse(Some(&header), &body);
        let _ = crate::registry::manifest::parse(None, &body);
        let _ = crate::registry::auth::parse_challenge(&header);
    }

    /// The YAML edit, on registries.yaml-like text with mean keys, values, comments, CRLF and junk lines: never a
    /// panic, and whatever it writes parses to the original with exactly that value set, in the file's line ending.
    #[test]
    fn the_yaml_edit_changes_only_its_value_or_refuses(
        keys in prop::collection::vec("[a-z\"' :#&*<.-]{1,8}", 0..4),
        junk in "[ -~\t]{0,20}",
        crlf in any::<bool>(),
        endpoints in prop::collection::vec(mirror(), 0..3),
    ) {
        let mut text = String::from("# ops\nmirrors:\n  docker.io:\n    endpoint:\n      - \"https://old.example\"\n");
        for k in &keys {
            text.push_str(&format!("{k}: 1\n"));
        }
        text.push_str(&junk);
        text.push('\n');
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        let value = Value::Array(endpoints.into_iter().map(Value::String).collect());
        let path = ["mirrors", "docker.io", "endpoint"];
        if let Ok(out) = crate::targets::yaml::set(&text, &path, &value) {
            let got = crate::targets::yaml::parse(&out).unwrap();
            prop_assert_eq!(&got["mirrors"]["docker.io"]["endpoint"], &value);
            let mut want = crate::targets::yaml::parse(&text).unwrap();
            want["mirrors"]["docker.io"]["endpoint"] = value.clone();
            prop_assert_eq!(got, want);
            prop_assert_eq!(out.contains("\r\n"), crlf, "line endings kept: {:?}", out);
        }
    }

    /// distribution's config.yml as mirrorctl renders it reads back to what it was given, whatever the upstream.
    #[test]
    fn the_cache_config_reads_back_what_it_was_given(upstream in mirror()) {
        let mut s = crate::targets::distribution::tests_settings();
        s.upstream = upstream.trim_end_matches('/').to_owned();
        let text = crate::targets::distribution::render(&s).unwrap();
        let read = crate::targets::distribution::read(&text).unwrap();
        prop_assert_eq!(read.upstream.as_deref(), Some(s.upstream.as_str()));
        prop_assert!(!read.credentials);
    }
}
