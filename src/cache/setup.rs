//! `cache setup`: Debian's docker-registry (distribution 2.8) as a pull-through cache, through the same change
//! engine as every other file: plan, diff, backup, atomic write, restart, then a real pull through the cache —
//! and the previous config.yml back, with the registry running on it, when any of that fails.

use rust_i18n::t;
use std::path::Path;

use anyhow::Result;

use crate::catalogue::Catalogue;
use crate::change::{Activation, FileChange, Outcome, Plan, Verify};
use crate::daemon_config::files;
use crate::errors::{Hinted, NoMirrorPassed};
use crate::output::Printer;
use crate::service::Service;
use crate::settings::{CacheSetup, Upstream};
use crate::targets::distribution::{self as config, Settings};

pub async fn setup(s: &CacheSetup, p: Printer) -> Result<Outcome> {
    let path = &s.registry.config;
    let before = files::read(path)?;
    let svc = Service::detect(s.change.init, false)?.unit(&s.registry.unit);
    refuse_other_config(&svc, path).await?;
    // The storage is made during the change (after the prompt, under the lock), for the unit's `User=`; what can
    // be known now — a path root may trust, reachable by that user — is refused now, before any probe.
    let storage = crate::change::dirs::NewDir {
        path: s.storage.clone(),
        owner: match svc.property("User").await.map(|u| u.trim().to_owned()) {
            Some(user) => passwd_ids(&user),
            None => None,
        },
    };
    crate::change::dirs::check(&storage)?;
    let upstream = match &s.upstream {
        Upstream::Given(u) => u.clone(),
        Upstream::Best(catalogue) => best_mirror(s, catalogue, p).await?,
    };
    let settings = Settings {
        upstream: upstream.clone(),
        ..s.settings.clone()
    };
    let after = config::render(&settings)?;
    let url = config::local_url(&settings.listen, settings.tls.is_some());
    let plan = Plan {
        target: "cache",
        mirrors: vec![upstream],
        notes: vec![t!("cache.plan_note", url = url).into_owned()],
        changes: vec![FileChange::new(path.clone(), before, after).needs_dir(storage)],
        activation: Activation::Restart(svc),
        verify: Verify::Cache(url, Box::new(s.probe.clone())),
        daemon_json: false,
    };
    let outcome = crate::change::run(vec![plan], &s.change, p).await?;
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "THIS-HOST".into());
    let node = config::node_url(&settings.listen, settings.tls.is_some(), &hostname);
    // dockerd's registry-mirrors serve Docker Hub only; a cache of another registry is for containerd and k3s.
    let command = match s.probe.registry.as_str() {
        "docker.io" => format!("mirrorctl apply --mirror {node} --yes"),
        r => format!("mirrorctl apply --target containerd --registry {r} --mirror {node} --yes"),
    };
    p.json(s.change.json).say(&format!(
        "{}\n",
        t!("cache.on_each_node", command = command)
    ));
    Ok(outcome)
}

/// Debian's unit serves /etc/docker/registry/config.yml: writing another file would change nothing it runs.
async fn refuse_other_config(svc: &Service, path: &Path) -> Result<()> {
    let Some(exec) = svc.exec_start().await.filter(|e| !e.trim().is_empty()) else {
        return Ok(());
    };
    if exec.contains(&path.display().to_string()) {
        return Ok(());
    }
    Err(Hinted {
        message: t!(
            "cache.other_config",
            unit = svc.unit,
            exec = exec.trim(),
            path = path.display()
        )
        .into(),
        hint: t!("cache.other_config_hint").into(),
    }
    .into())
}

/// A user's uid and gid from /etc/passwd (no NSS lookup needed for a system account).
fn passwd_ids(user: &str) -> Option<(u32, u32)> {
    if user.is_empty() {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 3 && f[0] == user).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}

/// The upstream: the best mirror a probe finds right now.
async fn best_mirror(s: &CacheSetup, catalogue: &Catalogue, p: Printer) -> Result<String> {
    p.info(&format!("{}\n", t!("cache.probing")));
    let report = crate::probe::command::probe(&s.probe, catalogue, "cache", p).await?;
    p.info(&(crate::probe::render::probe_table(&report, None) + "\n"));
    let best = report
        .passed()
        .next()
        .map(|r| r.url.trim_end_matches('/').to_owned());
    best.ok_or_else(|| NoMirrorPassed.into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwd_lookup() {
        // root is in every /etc/passwd.
        assert_eq!(super::passwd_ids("root"), Some((0, 0)));
        assert_eq!(super::passwd_ids("no-such-user-here"), None);
        assert_eq!(super::passwd_ids(""), None);
    }
}
