//! An HTTP proxy in the two places dockerd reads one: daemon.json `proxies` (Engine 23+) and a systemd drop-in's
//! `Environment=` lines, read and written; URLs checked before they are written and masked wherever shown. Pure.

use anyhow::{bail, Result};
use rust_i18n::t;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Proxy {
    pub http: Option<String>,
    pub https: Option<String>,
    pub no_proxy: Option<String>,
}

impl Proxy {
    pub fn masked(&self) -> Self {
        Self {
            http: self.http.as_deref().map(mask),
            https: self.https.as_deref().map(mask),
            no_proxy: self.no_proxy.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none() && self.no_proxy.is_none()
    }
}

/// A proxy URL as dockerd shows it in `docker info` (see `redact::url`).
pub fn mask(url: &str) -> String {
    crate::ui::redact::url(url)
}

pub fn validate(url: &str) -> Result<()> {
    crate::ui::redact::remember_url(url);
    // The URL parser drops tabs and newlines silently; the raw string is what would be written.
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        bail!(
            "{}",
            t!("proxy.bad_url", url = mask(url).escape_debug().to_string())
        );
    }
    let u = reqwest::Url::parse(url)
        .map_err(|_| anyhow::anyhow!("{}", t!("proxy.not_url", url = mask(url))))?;
    if !["http", "https", "socks5", "socks5h"].contains(&u.scheme()) || u.host_str().is_none() {
        bail!("{}", t!("proxy.bad_url", url = mask(url)));
    }
    Ok(())
}

/// The systemd drop-in: one `Environment=` per variable, as Docker's documentation writes it, quoted by systemd's
/// rules (see `targets::systemd`).
pub fn dropin_text(p: &Proxy) -> Result<String> {
    let mut s = String::from("# Written by mirrorctl (mirrorctl proxy set).\n[Service]\n");
    for (k, v) in [
        ("HTTP_PROXY", &p.http),
        ("HTTPS_PROXY", &p.https),
        ("NO_PROXY", &p.no_proxy),
    ] {
        if let Some(v) = v {
            s.push_str(&crate::targets::systemd::environment_line(k, v)?);
        }
    }
    Ok(s)
}

/// Reads `Environment=` assignments (quoted or not, several per line) from a unit drop-in.
pub fn parse_dropin(text: &str) -> Proxy {
    let mut p = Proxy::default();
    for line in text.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("Environment=") else {
            continue;
        };
        for (k, v) in crate::targets::systemd::parse_environment(rest) {
            let slot = match k.to_ascii_uppercase().as_str() {
                "HTTP_PROXY" => &mut p.http,
                "HTTPS_PROXY" => &mut p.https,
                "NO_PROXY" => &mut p.no_proxy,
                _ => continue,
            };
            *slot = Some(v);
        }
    }
    remembered(p)
}

pub fn json_value(p: &Proxy) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("http-proxy", &p.http),
        ("https-proxy", &p.https),
        ("no-proxy", &p.no_proxy),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), Value::String(v.clone()));
        }
    }
    Value::Object(m)
}

pub fn from_json(map: &serde_json::Map<String, Value>) -> Proxy {
    let get = |k: &str| {
        map.get("proxies")
            .and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    remembered(Proxy {
        http: get("http-proxy"),
        https: get("https-proxy"),
        no_proxy: get("no-proxy"),
    })
}

/// Proxy URLs read from a file hold credentials the printer must mask wherever they show up.
fn remembered(p: Proxy) -> Proxy {
    for url in [&p.http, &p.https].into_iter().flatten() {
        crate::ui::redact::remember_url(url);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_matches_docker_info() {
        assert_eq!(
            mask("http://user:s3cret@proxy.corp:3128"),
            "http://xxxxx:xxxxx@proxy.corp:3128"
        );
        assert_eq!(mask("http://proxy.corp:3128"), "http://proxy.corp:3128");
    }

    #[test]
    fn dropin_round_trip() {
        let p = Proxy {
            http: Some("http://p:3128".into()),
            https: Some("http://p:3128".into()),
            no_proxy: Some("localhost,127.0.0.1".into()),
        };
        let text = dropin_text(&p).unwrap();
        assert_eq!(text, "# Written by mirrorctl (mirrorctl proxy set).\n[Service]\nEnvironment=\"HTTP_PROXY=http://p:3128\"\nEnvironment=\"HTTPS_PROXY=http://p:3128\"\nEnvironment=\"NO_PROXY=localhost,127.0.0.1\"\n");
        assert_eq!(parse_dropin(&text), p);
        assert_eq!(
            parse_dropin("[Service]\nEnvironment=\"http_proxy=http://a:1\" \"NO_PROXY=x\"\n")
                .no_proxy
                .as_deref(),
            Some("x")
        );
    }

    #[test]
    fn bad_proxies_are_refused_without_showing_the_password() {
        let e = validate("ftp://u:pw@x").unwrap_err().to_string();
        assert!(!e.contains("pw"), "{e}");
        assert!(validate("proxy.corp:3128").is_err());
        assert!(validate("socks5://127.0.0.1:1080").is_ok());
    }
}

#[cfg(test)]
mod by_value {
    use crate::change::FileChange;

    #[test]
    fn a_drop_in_that_says_the_same_in_other_quoting_is_no_change() {
        let p = super::Proxy {
            http: Some("http://p:3128".into()),
            https: None,
            no_proxy: Some("localhost,.corp".into()),
        };
        let ours = super::dropin_text(&p).unwrap();
        let changes = |before: &str| {
            FileChange::new("http-proxy.conf".into(), Some(before.into()), ours.clone())
                .by_value(crate::targets::systemd::meaning)
                .changes()
        };
        assert!(!changes("[Service]\n\nEnvironment=HTTP_PROXY=http://p:3128\nEnvironment='NO_PROXY=localhost,.corp'\n"));
        assert!(changes("[Service]\nEnvironment=HTTP_PROXY=http://q:3128\nEnvironment=NO_PROXY=localhost,.corp\n"));
        assert!(changes("[Service]\nEnvironment=HTTP_PROXY=http://p:3128\n"));
        assert!(changes(
            "[Unit]\nEnvironment=HTTP_PROXY=http://p:3128 NO_PROXY=localhost,.corp\n"
        ));
    }
}
