//! `mirrorctl proxy set|show|unset`: the HTTP proxy dockerd (or containerd) pulls through, as daemon.json `proxies`
//! (Engine 23+) or a systemd drop-in, with the same transaction as `apply`. Passwords are never printed.

use rust_i18n::t;

use crate::output::Printer;
use std::path::PathBuf;

use anyhow::{bail, Result};
use serde::Serialize;
use serde_json::Value;

use crate::change::{FileChange, Plan, Verify};
use crate::cli::{
    ProxyMethod, ProxyPlace, ProxySetArgs, ProxyShowArgs, ProxyUnit, ProxyUnsetArgs, Target,
};
use crate::daemon_config::{self, files};
use crate::engine::Engine;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Proxy {
    pub http: Option<String>,
    pub https: Option<String>,
    pub no_proxy: Option<String>,
}

impl Proxy {
    fn masked(&self) -> Self {
        Self {
            http: self.http.as_deref().map(mask),
            https: self.https.as_deref().map(mask),
            no_proxy: self.no_proxy.clone(),
        }
    }

    fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none() && self.no_proxy.is_none()
    }
}

/// A proxy URL as dockerd shows it in `docker info` (see `redact::url`).
pub fn mask(url: &str) -> String {
    crate::redact::url(url)
}

fn validate(url: &str) -> Result<()> {
    crate::redact::remember_url(url);
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

fn json_value(p: &Proxy) -> Value {
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
        crate::redact::remember_url(url);
    }
    p
}

fn unit_name(unit: ProxyUnit) -> &'static str {
    match unit {
        ProxyUnit::Docker => "docker",
        ProxyUnit::Containerd => "containerd",
    }
}

fn dropin_path(place: &ProxyPlace, rootless: bool) -> PathBuf {
    let dir = place.systemd_dir.clone().unwrap_or_else(|| {
        if rootless {
            dirs::config_dir().unwrap_or_default().join("systemd/user")
        } else {
            PathBuf::from("/etc/systemd/system")
        }
    });
    dir.join(format!(
        "{}.service.d/http-proxy.conf",
        unit_name(place.unit)
    ))
}

/// daemon.json `proxies` needs Engine 23+ and only exists for dockerd; everything else is a drop-in.
fn use_daemon_json(place: &ProxyPlace) -> bool {
    match (place.method, place.unit) {
        (_, ProxyUnit::Containerd) => false,
        (ProxyMethod::DaemonJson, _) => true,
        (ProxyMethod::Systemd, _) => false,
        (ProxyMethod::Auto, _) => crate::host::Host::get()
            .dockerd_version()
            .is_some_and(|v| v.major >= 23),
    }
}

fn read_daemon_json(target: &Target) -> Result<(PathBuf, Option<Vec<u8>>)> {
    let path = files::locate(target.config.as_deref());
    let bytes = files::read(&path)?;
    if let Some(b) = &bytes {
        daemon_config::parse_or_explain(&path, b)?;
    }
    Ok((path, bytes))
}

/// `removed`: for unset, the proxy that was set (the check is that docker no longer uses it).
fn plan(
    target: &Target,
    place: &ProxyPlace,
    proxy: &Proxy,
    removed: Option<&Proxy>,
    changes: Vec<FileChange>,
    daemon_json: bool,
) -> Result<Plan> {
    if target.reload {
        bail!("{}", t!("proxy.no_reload"));
    }
    let unit = unit_name(place.unit);
    let activation = crate::change::activation(target, changes[0].path.as_path(), unit)?;
    let verify = match (place.unit, removed) {
        (ProxyUnit::Docker, None) => {
            let m = proxy.masked();
            Verify::DockerProxy(
                Engine::from_env()?,
                m.http.unwrap_or_default(),
                m.https.unwrap_or_default(),
            )
        }
        (ProxyUnit::Docker, Some(old)) => {
            let old = old.masked();
            Verify::DockerProxyGone(
                Engine::from_env()?,
                old.https.or(old.http).unwrap_or_default(),
            )
        }
        (ProxyUnit::Containerd, _) => Verify::Active,
    };
    let m = proxy.masked();
    let notes = if proxy.is_empty() {
        vec![t!("proxy.plan_none").into_owned()]
    } else {
        vec![t!(
            "proxy.plan",
            http = m.http.as_deref().unwrap_or("-"),
            https = m.https.as_deref().unwrap_or("-"),
            no_proxy = m.no_proxy.as_deref().unwrap_or("-")
        )
        .into_owned()]
    };
    Ok(Plan {
        target: unit_name(place.unit),
        mirrors: vec![],
        notes,
        changes,
        activation,
        verify,
        daemon_json,
    })
}

pub async fn set(args: &ProxySetArgs, p: Printer) -> Result<crate::change::Outcome> {
    validate(&args.url)?;
    let proxy = Proxy {
        http: Some(args.url.clone()),
        https: Some(args.url.clone()),
        no_proxy: args.no_proxy.clone(),
    };
    let rootless = crate::host::Host::get().rootless;
    let (changes, daemon_json) = if use_daemon_json(&args.place) {
        let (path, before) = read_daemon_json(&args.target)?;
        let text = before
            .as_deref()
            .map(|b| std::str::from_utf8(b).expect("parsed as UTF-8"));
        let after = daemon_config::set_key(text, "proxies", Some(&json_value(&proxy)))?;
        let change =
            FileChange::new(path, before, after).merged("proxies", Some(json_value(&proxy)));
        (vec![change], true)
    } else {
        let path = dropin_path(&args.place, rootless);
        let before = files::read(&path)?;
        (
            vec![FileChange::new(path, before, dropin_text(&proxy)?)],
            false,
        )
    };
    crate::change::run(
        vec![plan(
            &args.target,
            &args.place,
            &proxy,
            None,
            changes,
            daemon_json,
        )?],
        &args.target,
        p,
    )
    .await
}

/// Removes the proxy from both places it can be, whichever exist.
pub async fn unset(args: &ProxyUnsetArgs, p: Printer) -> Result<crate::change::Outcome> {
    let rootless = crate::host::Host::get().rootless;
    let mut changes = Vec::new();
    let dropin = dropin_path(&args.place, rootless);
    let dropin_before = files::read(&dropin)?;
    let mut daemon_json = false;
    let mut removed = dropin_before
        .as_ref()
        .map(|b| parse_dropin(&String::from_utf8_lossy(b)))
        .unwrap_or_default();
    if args.place.unit == ProxyUnit::Docker {
        let (path, before) = read_daemon_json(&args.target)?;
        if let Some(b) = &before {
            let map = daemon_config::parse(b)?;
            if map.contains_key("proxies") {
                if removed.is_empty() {
                    removed = from_json(&map);
                }
                let after = daemon_config::set_key(Some(std::str::from_utf8(b)?), "proxies", None)?;
                changes.push(FileChange::new(path, before.clone(), after).merged("proxies", None));
                daemon_json = true;
            }
        }
    }
    if dropin_before.is_some() {
        changes.push(FileChange::remove(dropin, dropin_before));
    }
    if changes.is_empty() {
        p.json(args.target.json)
            .say(&format!("{}\n", t!("proxy.nothing_to_unset")));
        return Ok(crate::change::Outcome::default());
    }
    let plan = plan(
        &args.target,
        &args.place,
        &Proxy::default(),
        Some(&removed),
        changes,
        daemon_json,
    )?;
    crate::change::run(vec![plan], &args.target, p).await
}

#[derive(Debug, Serialize)]
pub struct ProxyReport {
    pub daemon_json: Option<Proxy>,
    pub daemon_json_path: String,
    pub dropin: Option<Proxy>,
    pub dropin_path: String,
    /// What the running daemon reports (`docker info`), when it answers.
    pub live: Option<Proxy>,
}

/// The proxy the running daemon reports (`docker info`'s HTTP Proxy / HTTPS Proxy / No Proxy).
pub fn live(i: &crate::engine::Info) -> Proxy {
    let some = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    Proxy {
        http: some(&i.http_proxy),
        https: some(&i.https_proxy),
        no_proxy: some(&i.no_proxy),
    }
}

pub async fn show(args: &ProxyShowArgs) -> Result<ProxyReport> {
    let path = files::locate(args.config.as_deref());
    let rootless = crate::host::Host::get().rootless;
    let daemon_json = match files::read(&path)? {
        Some(b) => daemon_config::parse(&b)
            .ok()
            .map(|m| from_json(&m))
            .filter(|p| !p.is_empty()),
        None => None,
    };
    let dropin = dropin_path(&args.place, rootless);
    let from_dropin = files::read(&dropin)?
        .map(|b| parse_dropin(&String::from_utf8_lossy(&b)))
        .filter(|p| !p.is_empty());
    let live = match (args.place.unit, Engine::from_env()) {
        (ProxyUnit::Docker, Ok(e)) => e.info().await.ok().map(|i| live(&i)),
        _ => None,
    };
    Ok(ProxyReport {
        daemon_json: daemon_json.map(|p| p.masked()),
        daemon_json_path: path.display().to_string(),
        dropin: from_dropin.map(|p| p.masked()),
        dropin_path: dropin.display().to_string(),
        live: live.map(|p| p.masked()),
    })
}

pub fn render(r: &ProxyReport) -> String {
    let line = |p: &Option<Proxy>| match p {
        Some(p) if !p.is_empty() => format!(
            "HTTP {} / HTTPS {} / no-proxy {}",
            p.http.as_deref().unwrap_or("-"),
            p.https.as_deref().unwrap_or("-"),
            p.no_proxy.as_deref().unwrap_or("-")
        ),
        _ => t!("proxy.none").into_owned(),
    };
    let live = match &r.live {
        Some(_) => line(&r.live),
        None => t!("proxy.unreachable").into_owned(),
    };
    format!(
        "{}\n",
        t!(
            "proxy.show",
            json_path = r.daemon_json_path,
            json = line(&r.daemon_json),
            dropin_path = r.dropin_path,
            dropin = line(&r.dropin),
            live = live
        )
    )
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
