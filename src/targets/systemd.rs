//! systemd unit drop-ins: `Environment="KEY=value"` written and read by systemd's own quoting rules, so a value
//! can never end its line and start a directive (`ExecStartPre=`) of its own.

use anyhow::{bail, Result};
use rust_i18n::t;

/// One `Environment=` line. Refuses control characters (a newline would start a new directive); inside the double
/// quotes, `\` and `"` are backslash-escaped (systemd unquotes C-style) and `%` is doubled (systemd expands
/// specifiers like `%h` in Environment=).
pub fn environment_line(key: &str, value: &str) -> Result<String> {
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!(
            "{}",
            t!("systemd.bad_key", key = key.escape_debug().to_string())
        );
    }
    if value.chars().any(char::is_control) {
        bail!("{}", t!("systemd.control", key = key));
    }
    let mut quoted = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '%' => quoted.push_str("%%"),
            c => quoted.push(c),
        }
    }
    Ok(format!("Environment=\"{key}={quoted}\"\n"))
}

/// One word of an `ExecStart=` line, double-quoted by systemd's rules: `\` and `"` escaped, `%` doubled (a
/// specifier) and `$` doubled (a variable). Control characters are refused: a newline would start a directive.
pub fn exec_word(word: &str) -> Result<String> {
    if word.chars().any(char::is_control) {
        bail!("{}", t!("systemd.control", key = "ExecStart"));
    }
    let mut quoted = String::with_capacity(word.len() + 2);
    quoted.push('"');
    for c in word.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '%' => quoted.push_str("%%"),
            '$' => quoted.push_str("$$"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    Ok(quoted)
}

/// The assignments of one `Environment=` value (what follows `Environment=`), several per line, quoted or not,
/// unescaped as systemd does.
pub fn parse_environment(rest: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                started = true;
                match chars.next() {
                    Some('n') => cur.push('\n'),
                    Some('t') => cur.push('\t'),
                    Some(other) => cur.push(other),
                    None => {}
                }
            }
            (_, '%') if chars.peek() == Some(&'%') => {
                chars.next();
                cur.push('%');
                started = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (_, c) => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(cur);
    }
    words
        .into_iter()
        .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

/// A unit file or drop-in as systemd takes it: its sections' assignments in order, `Environment=` split into
/// its variables; comments, blank lines and quoting are no change (a `FileChange`'s meaning).
pub fn meaning(bytes: &[u8]) -> Option<serde_json::Value> {
    let mut out = Vec::new();
    let mut section = String::new();
    for line in std::str::from_utf8(bytes).ok()?.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let (key, value) = line.split_once('=')?;
        let (key, value) = (key.trim(), value.trim());
        if key == "Environment" {
            for (k, v) in parse_environment(value) {
                out.push(serde_json::json!([section, key, k, v]));
            }
        } else {
            out.push(serde_json::json!([section, key, value]));
        }
    }
    Some(serde_json::Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_whatever_they_hold() {
        for v in [
            "http://127.0.0.1:3128",
            "http://ops:p\"a's s%h\\w@proxy.corp:3128",
            "localhost,127.0.0.1, .corp",
            "100%",
            "",
        ] {
            let line = environment_line("HTTP_PROXY", v).unwrap();
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            let rest = line.trim_end().strip_prefix("Environment=").unwrap();
            assert_eq!(
                parse_environment(rest),
                [("HTTP_PROXY".to_owned(), v.to_owned())],
                "{line}"
            );
        }
    }

    #[test]
    fn a_newline_cannot_start_a_directive() {
        let evil = "localhost\"\nExecStartPre=/bin/touch /tmp/PWNED\nEnvironment=\"A=b";
        assert!(environment_line("NO_PROXY", evil).is_err());
        assert!(environment_line("NO_PROXY", "a\rb").is_err());
        assert!(environment_line("NO_PROXY", "a\u{1b}[2Jb").is_err());
        assert!(environment_line("A\nB", "x").is_err());
    }

    #[test]
    fn several_assignments_on_one_line() {
        assert_eq!(
            parse_environment("HTTP_PROXY=http://p:1 \"NO_PROXY=a b\" 'X=y'"),
            [
                ("HTTP_PROXY".to_owned(), "http://p:1".to_owned()),
                ("NO_PROXY".to_owned(), "a b".to_owned()),
                ("X".to_owned(), "y".to_owned())
            ]
        );
    }
}
