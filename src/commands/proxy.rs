//! `mirrorctl proxy set|show|unset`: the HTTP proxy dockerd (or containerd) pulls through, as daemon.json `proxies`
//! (Engine 23+) or a systemd drop-in, with the same transaction as `apply`. Passwords are never printed.

use rust_i18n::t;

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::change::{FileChange, Plan, Verify};
use crate::cli::ProxyUnit;
use crate::settings::{Change, ProxyChange, ProxyPlace, ProxyShow};
use crate::sys::engine::Engine;
use crate::sys::files;
use crate::targets::docker;
use crate::targets::proxy::{dropin_text, from_json, json_value, parse_dropin, Proxy};
use crate::ui::output::Printer;

fn read_daemon_json(target: &Change) -> Result<(PathBuf, Option<Vec<u8>>)> {
    let path = target.daemon_json.clone();
    let bytes = files::read(&path)?;
    if let Some(b) = &bytes {
        docker::parse_or_explain(&path, b)?;
    }
    Ok((path, bytes))
}

/// `removed`: for unset, the proxy that was set (the check is that docker no longer uses it).
fn plan(
    target: &Change,
    place: &ProxyPlace,
    proxy: &Proxy,
    removed: Option<&Proxy>,
    changes: Vec<FileChange>,
    daemon_json: bool,
) -> Result<Plan> {
    let unit = place.service;
    let activation = target.activation(changes[0].path.as_path(), unit)?;
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
        target: if place.service == "containerd" {
            crate::change::Subject::Containerd
        } else {
            crate::change::Subject::Docker
        },
        mirrors: vec![],
        labels: vec![],
        notes,
        changes,
        activation,
        verify,
        preflight: daemon_json.then_some(crate::targets::docker::plan::check_flags),
    })
}

pub async fn set(s: &ProxyChange, p: Printer) -> Result<crate::change::Outcome> {
    let proxy = s.proxy.clone().unwrap_or_default();
    let (changes, daemon_json) = if s.place.in_daemon_json {
        let (path, before) = read_daemon_json(&s.change)?;
        let text = before
            .as_deref()
            .map(|b| std::str::from_utf8(b).expect("parsed as UTF-8"));
        let after = docker::set_key(text, "proxies", Some(&json_value(&proxy)))?;
        let change = FileChange::new(path, before, after)
            .rebased(crate::targets::docker::rebase(
                "proxies",
                Some(json_value(&proxy)),
            ))
            .by_value(docker::meaning);
        (vec![change], true)
    } else {
        let path = s.place.dropin.clone();
        let before = files::read(&path)?;
        (
            vec![FileChange::new(path, before, dropin_text(&proxy)?)
                .by_value(crate::targets::systemd::meaning)],
            false,
        )
    };
    let plan = plan(&s.change, &s.place, &proxy, None, changes, daemon_json)?;
    crate::change::run(vec![plan], &s.change, p).await
}

/// Removes the proxy from both places it can be, whichever exist.
pub async fn unset(s: &ProxyChange, p: Printer) -> Result<crate::change::Outcome> {
    let mut changes = Vec::new();
    let dropin = s.place.dropin.clone();
    let dropin_before = files::read(&dropin)?;
    let mut daemon_json = false;
    let mut removed = dropin_before
        .as_ref()
        .map(|b| parse_dropin(&String::from_utf8_lossy(b)))
        .unwrap_or_default();
    if s.place.unit == ProxyUnit::Docker {
        let (path, before) = read_daemon_json(&s.change)?;
        if let Some(b) = &before {
            let map = docker::parse(b)?;
            if map.contains_key("proxies") {
                if removed.is_empty() {
                    removed = from_json(&map);
                }
                let after = docker::set_key(Some(std::str::from_utf8(b)?), "proxies", None)?;
                changes.push(
                    FileChange::new(path, before.clone(), after)
                        .rebased(crate::targets::docker::rebase("proxies", None)),
                );
                daemon_json = true;
            }
        }
    }
    if dropin_before.is_some() {
        changes.push(FileChange::remove(dropin, dropin_before));
    }
    if changes.is_empty() {
        p.json(s.change.json).say_line(t!("proxy.nothing_to_unset"));
        return Ok(crate::change::Outcome::default());
    }
    let plan = plan(
        &s.change,
        &s.place,
        &Proxy::default(),
        Some(&removed),
        changes,
        daemon_json,
    )?;
    crate::change::run(vec![plan], &s.change, p).await
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
pub fn live(i: &crate::sys::engine::Info) -> Proxy {
    let some = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    Proxy {
        http: some(&i.http_proxy),
        https: some(&i.https_proxy),
        no_proxy: some(&i.no_proxy),
    }
}

pub async fn show(args: &ProxyShow) -> Result<ProxyReport> {
    let path = &args.daemon_json;
    let daemon_json = match files::read(path)? {
        Some(b) => docker::parse(&b)
            .ok()
            .map(|m| from_json(&m))
            .filter(|p| !p.is_empty()),
        None => None,
    };
    let dropin = &args.place.dropin;
    let from_dropin = files::read(dropin)?
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
