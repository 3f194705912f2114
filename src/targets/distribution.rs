//! distribution's config.yml for a pull-through cache: written whole by `setup`, read back by `status`, `warm`
//! and `watch`. Pure.

use anyhow::{bail, Result};
use rust_i18n::t;
use serde_json::Value;

/// Where Debian's docker-registry reads its configuration (its unit runs `docker-registry serve` on it).
pub const DEFAULT_CONFIG: &str = "/etc/docker/registry/config.yml";

/// What `setup` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `http.addr`, e.g. `:5000` or `10.0.0.5:5000`.
    pub listen: String,
    /// `storage.filesystem.rootdirectory`.
    pub storage: String,
    /// `proxy.remoteurl`: the one upstream distribution pulls through.
    pub upstream: String,
    /// `http.tls.certificate` and `.key`.
    pub tls: Option<(String, String)>,
    /// `http.debug.addr`: expvar (`/debug/vars`, the proxy's hit and miss counts) and Prometheus `/metrics`.
    pub metrics: String,
}

/// A string as YAML: JSON's double-quoted form is valid YAML and escapes everything; control characters are
/// refused outright (a newline in a value is someone trying to add a key).
fn quoted(what: &str, s: &str) -> Result<String> {
    if s.chars().any(char::is_control) {
        bail!("{}", t!("cache.control", what = what));
    }
    Ok(Value::String(s.to_owned()).to_string())
}

pub fn render(s: &Settings) -> Result<String> {
    let tls = match &s.tls {
        Some((cert, key)) => format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            quoted("--tls-cert", cert)?,
            quoted("--tls-key", key)?
        ),
        None => String::new(),
    };
    Ok(format!(
        "# Written by `mirrorctl cache setup`: a pull-through cache in front of {upstream_shown}.\n\
         # `mirrorctl watch --cache` re-points proxy.remoteurl when that mirror dies; `mirrorctl cache status` reads it.\n\
         # No login: serve it on a trusted network (Debian's shipped htpasswd section pointed at a directory and\n\
         # refused every request). distribution keeps proxied content 7 days.\n\
         version: 0.1\n\
         log:\n  fields:\n    service: registry\n\
         storage:\n  cache:\n    blobdescriptor: inmemory\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
         http:\n  addr: {listen}\n  headers:\n    X-Content-Type-Options: [nosniff]\n{tls}  debug:\n    addr: {metrics}\n    prometheus:\n      enabled: true\n      path: /metrics\n\
         proxy:\n  remoteurl: {upstream}\n\
         health:\n  storagedriver:\n    enabled: true\n    interval: 10s\n    threshold: 3\n",
        upstream_shown = s.upstream.replace(|c: char| c.is_control(), ""),
        storage = quoted("--storage", &s.storage)?,
        listen = quoted("--listen", &s.listen)?,
        metrics = quoted("--metrics", &s.metrics)?,
        upstream = quoted("--upstream", &s.upstream)?,
    ))
}

/// What a config.yml says that mirrorctl uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub upstream: Option<String>,
    pub listen: Option<String>,
    pub storage: Option<String>,
    pub metrics: Option<String>,
    pub tls: bool,
    /// `proxy.username` / `proxy.password` are set: credentials for `upstream`'s host only.
    pub credentials: bool,
}

pub fn read(text: &str) -> Result<Current> {
    let v = crate::targets::yaml::parse(text)?;
    let s = |path: &[&str]| {
        path.iter()
            .try_fold(&v, |v, k| v.get(*k))
            .and_then(Value::as_str)
            .map(String::from)
    };
    Ok(Current {
        upstream: s(&["proxy", "remoteurl"]),
        listen: s(&["http", "addr"]),
        storage: s(&["storage", "filesystem", "rootdirectory"]),
        metrics: s(&["http", "debug", "addr"]),
        tls: v.get("http").and_then(|h| h.get("tls")).is_some(),
        credentials: ["username", "password"]
            .iter()
            .any(|k| s(&["proxy", k]).is_some_and(|v| !v.is_empty())),
    })
}

/// distribution sends `proxy.username`/`password` to whatever `remoteurl` names (Basic auth to its token realm):
/// a new upstream on another host must not inherit them. The hosts as `host[:port]`, compared case-blind.
pub fn credentials_move_host(current: &Current, new_upstream: &str) -> Option<(String, String)> {
    let host = |u: &str| {
        reqwest::Url::parse(u).ok().and_then(|u| {
            let h = u.host_str()?.to_ascii_lowercase();
            Some(match u.port_or_known_default() {
                Some(p) => format!("{h}:{p}"),
                None => h,
            })
        })
    };
    let old = current.upstream.as_deref().and_then(host)?;
    let new = host(new_upstream)?;
    (current.credentials && old != new).then_some((old, new))
}

/// The URL a client on this machine reaches the cache at: `:5000` and `0.0.0.0:5000` are loopback here.
pub fn local_url(listen: &str, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let (host, port) = listen.rsplit_once(':').unwrap_or(("", listen));
    let host = match host {
        "" | "0.0.0.0" | "[::]" => "127.0.0.1",
        h => h,
    };
    format!("{scheme}://{host}:{port}")
}

/// The URL the nodes use: the listen address, or this machine's name when it listens on every address.
pub fn node_url(listen: &str, tls: bool, hostname: &str) -> String {
    let scheme = if tls { "https" } else { "http" };
    let (host, port) = listen.rsplit_once(':').unwrap_or(("", listen));
    let host = match host {
        "" | "0.0.0.0" | "[::]" => hostname,
        h => h,
    };
    format!("{scheme}://{host}:{port}")
}

/// Settings as the tests (and the property tests in fuzz.rs) start from.
#[cfg(test)]
pub fn tests_settings() -> Settings {
    tests::settings()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn settings() -> Settings {
        Settings {
            listen: ":5000".into(),
            storage: "/var/lib/docker-registry".into(),
            upstream: "https://docker.m.daocloud.io".into(),
            tls: None,
            metrics: "127.0.0.1:5001".into(),
        }
    }

    #[test]
    fn renders_what_it_reads_back() {
        let text = render(&settings()).unwrap();
        let c = read(&text).unwrap();
        assert_eq!(c.upstream.as_deref(), Some("https://docker.m.daocloud.io"));
        assert_eq!(c.listen.as_deref(), Some(":5000"));
        assert_eq!(c.storage.as_deref(), Some("/var/lib/docker-registry"));
        assert_eq!(c.metrics.as_deref(), Some("127.0.0.1:5001"));
        assert!(!c.tls);
        let tls = render(&Settings {
            tls: Some(("/etc/c.pem".into(), "/etc/k.pem".into())),
            ..settings()
        })
        .unwrap();
        assert!(read(&tls).unwrap().tls);
        // Debian's shipped config turns on htpasswd auth at a directory; ours has no auth section at all.
        assert!(!text.contains("auth:"));
    }

    #[test]
    fn credentials_stay_with_their_host() {
        let with = "proxy:\n  remoteurl: https://registry-1.docker.io\n  username: ops\n  password: hunter2\n";
        let c = read(with).unwrap();
        assert!(c.credentials);
        assert_eq!(
            credentials_move_host(&c, "https://mirror.example/"),
            Some((
                "registry-1.docker.io:443".into(),
                "mirror.example:443".into()
            ))
        );
        assert_eq!(
            credentials_move_host(&c, "https://REGISTRY-1.docker.io:443/"),
            None
        );
        let without = read("proxy:\n  remoteurl: https://a.example\n").unwrap();
        assert_eq!(credentials_move_host(&without, "https://b.example"), None);
    }

    #[test]
    fn a_value_cannot_add_a_key() {
        let evil = Settings {
            storage: "/srv\nauth:\n  htpasswd: {}".into(),
            ..settings()
        };
        assert!(render(&evil).is_err());
        let odd = Settings {
            storage: "/srv/a: b # c \"d\"".into(),
            ..settings()
        };
        assert_eq!(
            read(&render(&odd).unwrap()).unwrap().storage.as_deref(),
            Some("/srv/a: b # c \"d\"")
        );
    }

    #[test]
    fn urls_for_here_and_for_the_nodes() {
        assert_eq!(local_url(":5000", false), "http://127.0.0.1:5000");
        assert_eq!(local_url("10.0.0.5:443", true), "https://10.0.0.5:443");
        assert_eq!(node_url(":5000", false, "cache1"), "http://cache1:5000");
        assert_eq!(
            node_url("10.0.0.5:5000", false, "cache1"),
            "http://10.0.0.5:5000"
        );
    }
}

#[cfg(test)]
mod by_value {
    use crate::change::FileChange;

    #[test]
    fn a_config_yml_that_says_the_same_without_our_comments_is_no_change() {
        let ours = super::render(&super::tests_settings()).unwrap();
        let changes = |before: &str, after: &str| {
            FileChange::new("config.yml".into(), Some(before.into()), after)
                .by_value(crate::targets::yaml::meaning)
                .changes()
        };
        let plain: String = ours
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(!changes(&plain, &ours));
        let moved = ours.replace("https://docker.m.daocloud.io", "https://other.example");
        assert!(changes(&plain, &moved));
    }
}
