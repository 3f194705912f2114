//! Parsing daemon.json exactly as strictly as dockerd does (Go's encoding/json: no comments, no trailing commas, no
//! BOM), with errors that say where and what to do.

use serde_json::{Map, Value};

use crate::ui::errors::ConfigError;

/// Parses daemon.json bytes into an order-preserving map.
pub fn parse(bytes: &[u8]) -> Result<Map<String, Value>, ConfigError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(ConfigError::Bom);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8)?;
    if text.trim().is_empty() {
        return Err(ConfigError::Empty);
    }
    // Go reads an unpaired surrogate escape (`\ud800`) as U+FFFD; so does dockerd, so do we.
    let text = &crate::dockerd::replace_lone_surrogates(text);
    let value: Value = serde_json::from_str(text).map_err(|e| ConfigError::Syntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
        comment: starts_comment(text, e.line(), e.column()),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        Value::Array(_) => Err(ConfigError::NotAnObject("array")),
        Value::String(_) => Err(ConfigError::NotAnObject("string")),
        Value::Number(_) => Err(ConfigError::NotAnObject("number")),
        Value::Bool(_) => Err(ConfigError::NotAnObject("boolean")),
        Value::Null => Err(ConfigError::NotAnObject("null")),
    }
}

/// Whether the error position is the start of a `//` or `/*` comment (serde_json calls it "key must be a string").
fn starts_comment(text: &str, line: usize, column: usize) -> bool {
    let Some(l) = text.lines().nth(line.saturating_sub(1)) else {
        return false;
    };
    let rest = l
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or("", |(i, _)| &l[i..]);
    rest.starts_with("//") || rest.starts_with("/*")
}

/// serde_json appends " at line L column C"; we say that ourselves, once.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &[u8]) -> ConfigError {
        parse(text).unwrap_err()
    }

    #[test]
    fn located_errors_for_what_dockerd_rejects() {
        let e = err(b"{\n  \"debug\": true,\n}\n");
        assert!(
            matches!(
                e,
                ConfigError::Syntax {
                    line: 3,
                    column: 1,
                    comment: false,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.hint().contains("trailing comma"));
        let e = err(b"{\n  // my mirrors\n  \"debug\": true\n}");
        assert!(
            matches!(
                e,
                ConfigError::Syntax {
                    line: 2,
                    comment: true,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.hint().contains("comment"), "{}", e.hint());
        assert_eq!(err(b"\xEF\xBB\xBF{}"), ConfigError::Bom);
        assert_eq!(err(b"  \n"), ConfigError::Empty);
        assert_eq!(err(b"[]"), ConfigError::NotAnObject("array"));
        assert_eq!(err(b"{\"a\": \"\xff\"}"), ConfigError::NotUtf8);
        assert!(
            !e.to_string().contains("at line 2 column"),
            "position said once: {e}"
        );
    }

    #[test]
    fn keeps_key_order() {
        let m = parse(br#"{"z": 1, "a": {"y": 2, "b": 3}, "m": []}"#).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["z", "a", "m"]);
    }
}
