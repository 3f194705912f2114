//! `cache setup`: Debian's docker-registry (distribution 2.8) as a pull-through cache, through the same change
//! engine as every other file: plan, diff, backup, atomic write, restart, then a real pull through the cache —
//! and the previous config.yml back, with the registry running on it, when any of that fails.

use rust_i18n::t;
use std::path::Path;

use anyhow::Result;

use crate::catalogue::Catalogue;
use crate::change::{Activation, FileChange, Outcome, Plan};
use crate::settings::{CacheSetup, Upstream};
use crate::sys::files;
use crate::sys::service::Service;
use crate::targets::distribution::{self as config, Settings};
use crate::ui::errors::{Hinted, NoMirrorPassed};
use crate::ui::output::Printer;

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
        target: crate::change::Subject::Cache,
        mirrors: vec![upstream],
        labels: vec![],
        notes: vec![t!("cache.plan_note", url = url).into_owned()],
        changes: vec![FileChange::new(path.clone(), before, after)
            .needs_dir(storage)
            .by_value(crate::targets::yaml::meaning)],
        activation: Activation::Restart(svc),
        verify: super::pull_through(url, &s.probe),
        preflight: None,
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
    p.json(s.change.json)
        .say_line(t!("cache.on_each_node", command = command));
    Ok(outcome)
}

/// Debian's unit serves /etc/docker/registry/config.yml: writing another file would change nothing it runs.
async fn refuse_other_config(svc: &Service, path: &Path) -> Result<()> {
    let Some(exec) = svc.exec_start().await.filter(|e| !e.trim().is_empty()) else {
        return Ok(());
    };
    if serves(&exec, path) {
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

/// Whether the unit's command line has `path` as one whole argument (`serve /etc/docker/registry/config.yml`, or a
/// flag's `--config=…`), as written or through a symlink to it. A substring is not enough:
/// `config.yml.dpkg-dist` or `/old/etc/docker/registry/config.yml` contain the path and serve another file.
/// (`systemctl show` joins the argv with spaces, so a path with spaces is matched as a run of whole words.)
fn serves(exec: &str, path: &Path) -> bool {
    let want = path.display().to_string();
    let whole = !want.is_empty()
        && exec.match_indices(&want).any(|(i, _)| {
            let before = exec[..i].chars().next_back();
            let after = exec[i + want.len()..].chars().next();
            let starts = match before {
                None => true,
                Some(c) if c.is_whitespace() => true,
                // `--config=PATH`: the word is a flag.
                Some('=') => exec[..i]
                    .rsplit(char::is_whitespace)
                    .next()
                    .is_some_and(|w| w.starts_with('-')),
                Some(_) => false,
            };
            starts && after.is_none_or(char::is_whitespace)
        });
    whole
        || exec.split_whitespace().any(|w| {
            let w = match w.split_once('=') {
                Some((flag, value)) if flag.starts_with('-') => value,
                _ => w,
            };
            w.starts_with('/') && files::resolve(Path::new(w)) == path
        })
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
    p.info_line(t!("cache.probing"));
    let report = crate::commands::probe::probe(&s.probe, catalogue, "cache", p).await?;
    p.info_table(&crate::probe::render::probe_table(
        &report,
        p.stderr_screen(),
    ));
    let best = report
        .passed()
        .next()
        .map(|r| r.url.trim_end_matches('/').to_owned());
    best.ok_or_else(|| NoMirrorPassed.into())
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    use std::path::Path;

    #[test]
    #[cfg(unix)] // unix permissions and symlinks
    fn a_unit_serves_the_config_only_when_an_argument_is_that_file() {
        let path = Path::new("/etc/docker/registry/config.yml");
        let serves = |exec: &str| super::serves(exec, path);
        assert!(serves(
            "/usr/bin/docker-registry serve /etc/docker/registry/config.yml"
        ));
        assert!(serves(
            "/usr/bin/registry serve --config=/etc/docker/registry/config.yml -v"
        ));
        assert!(serves("/etc/docker/registry/config.yml"));
        for other in [
            "/usr/bin/docker-registry serve /etc/docker/registry/config.yml.dpkg-dist",
            "/usr/bin/docker-registry serve /old/etc/docker/registry/config.yml",
            "/usr/bin/docker-registry serve /etc/docker/registry/config.yml~",
            "/usr/bin/docker-registry serve X=/etc/docker/registry/config.yml",
            "/usr/bin/docker-registry serve /etc/docker/registry/config.yml.new --x",
            "",
        ] {
            assert!(!serves(other), "{other}");
        }
        let spaced = Path::new("/srv/my registry/config.yml");
        assert!(super::serves(
            "/usr/bin/registry serve /srv/my registry/config.yml",
            spaced
        ));
        assert!(!super::serves(
            "/usr/bin/registry serve /srv/my registry/config.yml.bak",
            spaced
        ));

        // The unit names a symlink; the file mirrorctl writes is what it points to.
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yml");
        std::fs::write(&real, "version: 0.1\n").unwrap();
        let link = dir.path().join("config.yml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let resolved = crate::sys::files::resolve(&link);
        let exec = format!("/usr/bin/docker-registry serve {}", link.display());
        assert!(super::serves(&exec, &resolved));
        let exec = format!(
            "/usr/bin/docker-registry serve {}.dpkg-dist",
            link.display()
        );
        assert!(!super::serves(&exec, &resolved));
    }

    #[test]
    fn passwd_lookup() {
        // root is in every /etc/passwd.
        assert_eq!(super::passwd_ids("root"), Some((0, 0)));
        assert_eq!(super::passwd_ids("no-such-user-here"), None);
        assert_eq!(super::passwd_ids(""), None);
    }
}
