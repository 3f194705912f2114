//! Secrets never reach a terminal, a log or a file of ours: one place masks them. Credentials seen in URLs (proxy
//! passwords, a token pasted into `--mirror`) are remembered here and the printer masks every occurrence, in any
//! escaping a file may hold them (JSON, systemd, percent-encoded), besides any `scheme://user:pass@` it sees.

use std::sync::Mutex;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The password of `url` (raw and percent-decoded) becomes a secret, and so does a user name without a password
/// (that is how tokens are pasted: `https://TOKEN@host`). Short ones are left to the `user:pass@` rule, as
/// masking every "ab" (or every "docker", a common user name) in the output would garble it.
pub fn remember_url(url: &str) {
    let Some((_, rest)) = url.split_once("://") else {
        return;
    };
    // The userinfo ends at the last '@' before the path: passwords may hold '/', '@', quotes and spaces.
    let authority_end = rest.rfind('@').map_or(0, |at| at);
    if authority_end == 0 {
        return;
    }
    let userinfo = &rest[..authority_end];
    let (secret, shortest) = match userinfo.split_once(':') {
        Some((_, password)) => (password, 4),
        None => (userinfo, 8),
    };
    let decoded = percent_encoding::percent_decode_str(secret)
        .decode_utf8_lossy()
        .into_owned();
    remember(secret, shortest);
    remember(&decoded, shortest);
}

fn remember(secret: &str, shortest: usize) {
    if secret.chars().count() < shortest || secret == "xxxxx" {
        return;
    }
    let mut all = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    if !all.iter().any(|s| s == secret) {
        all.push(secret.to_owned());
        // Longest first, so a secret that contains another is masked whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// A URL as dockerd shows it in `docker info`: any user and password become `xxxxx` (moby's MaskCredentials).
pub fn url(url: &str) -> String {
    remember_url(url);
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("xxxxx");
            let _ = u.set_password(Some("xxxxx"));
            u.to_string().trim_end_matches('/').to_owned()
        }
        _ => text(url),
    }
}

/// `text` with every remembered secret masked, in the forms a file may hold it, and every `scheme://user:pass@`
/// masked as dockerd masks it.
pub fn text(text: &str) -> String {
    let mut out = userinfo(text);
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for secret in &secrets {
        for form in forms(secret) {
            if out.contains(&form) {
                out = out.replace(&form, "xxxxx");
            }
        }
    }
    out
}

/// The ways a file of ours can spell a secret: as is, JSON-escaped, systemd-quoted, percent-encoded.
fn forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_owned();
    let systemd = secret
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%");
    let percent = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let mut v = vec![secret.to_owned(), json, systemd, percent];
    v.dedup();
    v
}

/// Every `scheme://user:password@host` with the credentials masked. A userinfo ends at the last '@' before
/// the next '/' or line end, so a password with quotes or spaces is masked whole.
fn userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let line_end = tail.find('\n').unwrap_or(tail.len());
        let end = tail[..line_end].find('/').unwrap_or(line_end);
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("xxxxx:xxxxx");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// The names of settings whose values are secrets, in every format we write: distribution's
/// `proxy.password`, k3s's `configs.<host>.auth.password` / `auth` / `identity_token`, an htpasswd secret, a
/// JSON `"auth"` of a docker config. Matched on the key's own name, lower-cased, without `-` and `_`.
fn secret_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    k.contains("password")
        || k.contains("passwd")
        || k.contains("secret")
        || k.ends_with("token")
        || k == "auth"
        || k == "credentials"
}

/// A file's text (or a diff of it) with the value of every secret-named key masked — `password: x` (YAML),
/// `password = "x"` (TOML), `"password": "x"` (JSON), `X_PASSWORD=x` (systemd, environment files) — and then
/// everything `text` masks. A value that opens a table or a list (`auth:` then nested lines, `"auth": {`) has
/// no secret on its line; its nested secret lines are masked by their own key.
pub fn config(text_: &str) -> String {
    let masked: Vec<String> = text_.split_inclusive('\n').map(config_line).collect();
    text(&masked.concat())
}

fn config_line(line: &str) -> String {
    // A diff line keeps its mark; the rest is a line of the file.
    let (mark, body) = match line.chars().next() {
        Some(c @ ('+' | '-' | ' ')) if !line.starts_with("+++") && !line.starts_with("---") => {
            line.split_at(c.len_utf8())
        }
        _ => ("", line),
    };
    let mut out = String::with_capacity(line.len());
    out.push_str(mark);
    let mut rest = body;
    // Each `KEY SEP VALUE` on the line, left to right (one-line JSON holds several).
    loop {
        let Some(sep) = rest.find([':', '=']) else {
            out.push_str(rest);
            break;
        };
        let (head, tail) = rest.split_at(sep);
        let key = head
            .trim_end()
            .trim_end_matches(['"', '\''])
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .next()
            .unwrap_or("");
        out.push_str(head);
        out.push_str(&tail[..1]);
        let value = &tail[1..];
        if !secret_key(key) {
            rest = value;
            continue;
        }
        let lead = value.len() - value.trim_start().len();
        let v = &value[lead..];
        out.push_str(&value[..lead]);
        let end_of_line = v.find(['\r', '\n']).unwrap_or(v.len());
        match v.chars().next() {
            None | Some('{' | '[' | '\n' | '\r' | '#' | '&' | '*' | '|' | '>') => {
                rest = v;
                continue;
            }
            Some(q @ ('"' | '\'')) => {
                // A quoted value: up to its closing quote (JSON and TOML escape inner quotes with `\`).
                let body = &v[1..];
                let mut close = None;
                let mut escaped = false;
                for (i, c) in body.char_indices() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        c if c == q && !escaped => {
                            close = Some(i);
                            break;
                        }
                        _ => escaped = false,
                    }
                }
                let close = close.unwrap_or(body.len().min(end_of_line.saturating_sub(1)));
                out.push(q);
                out.push_str("xxxxx");
                rest = &body[close..];
            }
            Some(_) => {
                // A bare value runs to the line's end (or a JSON/flow separator, or a YAML/TOML comment).
                let end = v[..end_of_line]
                    .find([',', '}', ']'])
                    .or_else(|| v[..end_of_line].find(" #"))
                    .unwrap_or(end_of_line);
                out.push_str("xxxxx");
                rest = &v[end..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_masked() {
        let t = "-Environment=\"HTTP_PROXY=http://ops:s3cret@127.0.0.1:3128\"\n+\"https-proxy\": \"http://u:p@h\", \"x\": \"https://plain.example/a@b\"";
        assert_eq!(
            text(t),
            "-Environment=\"HTTP_PROXY=http://xxxxx:xxxxx@127.0.0.1:3128\"\n+\"https-proxy\": \"http://xxxxx:xxxxx@h\", \"x\": \"https://plain.example/a@b\""
        );
    }

    #[test]
    fn a_password_with_quotes_and_spaces_is_masked_in_every_spelling() {
        remember_url("http://ops:pa\"s s'w%rd@proxy.corp:3128");
        for shown in [
            "pa\"s s'w%rd",
            "\"https-proxy\": \"pa\\\"s s'w%rd\"",
            "Environment=\"HTTP_PROXY=pa\\\"s s'w%%rd\"",
            "pa%22s%20s%27w%25rd",
        ] {
            let masked = text(shown);
            assert!(!masked.contains("s'w"), "{shown} -> {masked}");
        }
    }

    #[test]
    fn secret_keys_are_masked_in_every_format_and_nothing_else() {
        let cases = [
            ("+    password: hunter2xyz\n", "+    password: xxxxx\n"),
            ("-  username: ops\n", "-  username: ops\n"),
            (
                "   password: \"hun:ter#2\"  # quoted\n",
                "   password: \"xxxxx\"  # quoted\n",
            ),
            ("+password = 'toml-secret'\n", "+password = 'xxxxx'\n"),
            (
                "{\"auth\": \"dXNlcjpwYXNz\", \"email\": \"a@b\"}\n",
                "{\"auth\": \"xxxxx\", \"email\": \"a@b\"}\n",
            ),
            (
                "+      identity_token: eyJhbGciOi\r\n",
                "+      identity_token: xxxxx\r\n",
            ),
            (
                "Environment=REGISTRY_PROXY_PASSWORD=s3cr3t\n",
                "Environment=REGISTRY_PROXY_PASSWORD=xxxxx\n",
            ),
            ("  auth:\n", "  auth:\n"),
            ("\"registry-auth\": {\n", "\"registry-auth\": {\n"),
            (
                "    remoteurl: https://mirror.example\n",
                "    remoteurl: https://mirror.example\n",
            ),
            ("+    secret: \"a\\\"b\"\n", "+    secret: \"xxxxx\"\n"),
        ];
        // The line rule alone: other tests remember secrets in this process (SECRETS is global).
        for (from, to) in cases {
            assert_eq!(config_line(from), to, "{from:?}");
        }
    }

    #[test]
    fn a_token_as_the_user_name_is_masked() {
        assert_eq!(
            url("https://ghp_TOKEN1234@mirror.example"),
            "https://xxxxx:xxxxx@mirror.example"
        );
        assert!(!text("see https://mirror.example?t=ghp_TOKEN1234").contains("ghp_TOKEN1234"));
    }
}
