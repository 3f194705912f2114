//! One shape for every runtime whose mirrors mirrorctl keeps: read what it is configured with, plan the change
//! that makes a list of mirrors its mirrors, and plan putting a backup back. `apply`, `restore` and `watch` hold
//! a `Box<dyn Target>` and never build a runtime's plan themselves; each format's own rules (its rebase under the
//! lock, its check, how it goes live) stay in its file here.

use std::path::PathBuf;

use anyhow::{Context, Result};
use rust_i18n::t;

use crate::change::{Activation, Change, FileChange, MakeLive, Plan, Subject, Verify};
use crate::sys::engine::Engine;
use crate::sys::files;
use crate::sys::service::Service;
use crate::targets::runtimes::ContainerdPlaces;
use crate::targets::{containerd, containers, docker, yaml};

/// What a target's file says now: its bytes as read (what the plan is made against) and the mirrors it lists.
pub struct Configured {
    pub path: PathBuf,
    pub before: Option<Vec<u8>>,
    pub mirrors: Vec<String>,
    /// containerd's config.toml when `config_path` must be added first (apply does it; watch refuses).
    pub also: Option<FileChange>,
}

pub trait Target {
    /// For headings, messages and `--json`: `docker`, `containerd`, `containers`, `k3s`, `cache`.
    fn name(&self) -> Subject;
    /// Reads the target's file, refusing one it could not edit (located), and the mirrors it lists.
    fn read(&self) -> Result<Configured>;
    /// The change that makes `mirrors` (best first) the target's mirrors.
    fn plan(&self, now: Configured, mirrors: &[String], change: &Change) -> Result<Plan>;
    /// The file whose backups `restore` chooses from (found without reading it: it may be broken).
    fn path(&self) -> Result<PathBuf>;
    /// Whether these bytes are a file of this format (a backup that is not is never put back).
    fn parses(&self, bytes: &[u8]) -> bool;
    /// The plan that puts `file` (a backup chosen by restore) back and makes it live.
    fn restore(&self, file: FileChange, change: &Change) -> Result<Plan>;
}

/// dockerd's `registry-mirrors` in daemon.json.
pub struct Docker {
    pub path: PathBuf,
}

impl Target for Docker {
    fn name(&self) -> Subject {
        Subject::Docker
    }

    fn read(&self) -> Result<Configured> {
        let before = files::read(&self.path)?;
        let mirrors = match before.as_ref().filter(|b| !b.trim_ascii().is_empty()) {
            Some(b) => {
                docker::parse_or_explain(&self.path, b)?;
                // A mirror dockerd would refuse is not one it uses: the list is what a new one replaces (apply
                // fixes a broken list rather than refusing it).
                docker::mirrors_of(&docker::parse(b)?)
                    .into_iter()
                    .filter_map(|m| docker::normalize_mirrors(&[m]).ok())
                    .flatten()
                    .collect()
            }
            None => vec![],
        };
        Ok(Configured {
            path: self.path.clone(),
            before,
            mirrors,
            also: None,
        })
    }

    fn plan(&self, now: Configured, mirrors: &[String], change: &Change) -> Result<Plan> {
        super::docker::plan::mirrors_plan(change, now.path, now.before, mirrors)
    }

    fn path(&self) -> Result<PathBuf> {
        Ok(self.path.clone())
    }

    fn parses(&self, bytes: &[u8]) -> bool {
        docker::parse(bytes).is_ok()
    }

    fn restore(&self, file: FileChange, change: &Change) -> Result<Plan> {
        if change.live == MakeLive::Reload {
            reload_can_apply(&file)?;
        }
        let mirrors = match &file.after {
            Some(b) => docker::normalize_mirrors(&docker::mirrors_of(&docker::parse(b)?))?,
            None => vec![],
        };
        Ok(Plan {
            target: self.name(),
            notes: vec![],
            preflight: Some(super::docker::plan::check_flags),
            activation: change.activation(&self.path, "docker")?,
            verify: Verify::DockerMirrors(Engine::from_env()?, mirrors.clone()),
            changes: vec![file],
            mirrors,
            labels: vec![],
        })
    }
}

/// A reload (SIGHUP) makes dockerd re-read its mirrors, not the rest of daemon.json (`proxy set --reload` is
/// refused for that reason): a restore whose difference from the current file is anything but `registry-mirrors`
/// would report a success that is not live. Refused before anything is written, naming the keys, with the way
/// that does apply them.
fn reload_can_apply(file: &FileChange) -> Result<()> {
    let object = |b: Option<&[u8]>| match b {
        None => Some(serde_json::Map::new()),
        Some(b) if b.trim_ascii().is_empty() => Some(serde_json::Map::new()),
        Some(b) => docker::parse(b).ok(),
    };
    let keys = match (
        object(file.before.as_deref()),
        object(file.after.as_deref()),
    ) {
        (Some(now), Some(then)) => {
            let mut keys: Vec<&String> = now
                .keys()
                .chain(then.keys())
                .filter(|k| k.as_str() != docker::MIRRORS_KEY && now.get(*k) != then.get(*k))
                .collect();
            keys.sort();
            keys.dedup();
            keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>()
        }
        _ => vec![t!("restore.reload_unreadable").into_owned()],
    };
    if keys.is_empty() {
        return Ok(());
    }
    Err(crate::ui::errors::Usage {
        message: t!(
            "restore.no_reload",
            path = file.path.display(),
            keys = keys.join(", ")
        )
        .into(),
        hint: Some(t!("restore.no_reload_hint").into()),
    }
    .into())
}

/// containerd's hosts.toml for one registry, where its config.toml says.
pub struct Containerd {
    pub places: ContainerdPlaces,
    pub registry: String,
    /// Whether a config.toml without `config_path` may be given one (a restart). `watch` keeps mirrors without
    /// restarting anything, so it refuses instead and leaves that to `apply`.
    pub may_add_config_path: bool,
}

impl Target for Containerd {
    fn name(&self) -> Subject {
        Subject::Containerd
    }

    fn read(&self) -> Result<Configured> {
        let found = self.places.files(&self.registry)?;
        let also = match found.check.after {
            Some(_) if !self.may_add_config_path => {
                return Err(crate::ui::errors::Hinted {
                    message: t!(
                        "watch.containerd_no_config_path",
                        path = found.config.display()
                    )
                    .into(),
                    hint: t!(
                        "watch.containerd_no_config_path_hint",
                        registry = self.registry
                    )
                    .into(),
                }
                .into())
            }
            Some(after) => Some(
                FileChange::new(found.config, found.config_before, after)
                    .by_value(super::toml_meaning),
            ),
            None => None,
        };
        let before = files::read(&found.hosts)?;
        let mirrors = match &before {
            Some(b) => docker::normalize_mirrors(&super::runtimes::hosts_toml_mirrors(
                &String::from_utf8_lossy(b),
            ))?,
            None => vec![],
        };
        Ok(Configured {
            path: found.hosts,
            before,
            mirrors,
            also,
        })
    }

    fn plan(&self, now: Configured, mirrors: &[String], change: &Change) -> Result<Plan> {
        let mut changes = vec![FileChange::new(
            now.path,
            now.before,
            containerd::hosts_toml(&self.registry, mirrors),
        )
        .by_value(super::toml_meaning)];
        // containerd reads hosts.toml at each pull; only adding `config_path` to config.toml takes a restart.
        let (activation, verify) = match now.also {
            Some(config) => {
                changes.push(config);
                let svc = Service::detect(change.init, false)?.unit("containerd");
                if change.live == MakeLive::Manual {
                    (
                        Activation::Manual(
                            t!("apply.config_path_added", how = svc.describe_restart(false)).into(),
                        ),
                        Verify::Nothing,
                    )
                } else {
                    (Activation::Restart(svc), Verify::Active)
                }
            }
            None => (
                Activation::Automatic(t!("apply.containerd_no_restart").into()),
                Verify::Nothing,
            ),
        };
        Ok(Plan {
            target: self.name(),
            notes: vec![],
            preflight: None,
            mirrors: mirrors.to_vec(),
            labels: vec![],
            changes,
            activation,
            verify,
        })
    }

    fn path(&self) -> Result<PathBuf> {
        Ok(self.places.files(&self.registry)?.hosts)
    }

    fn parses(&self, bytes: &[u8]) -> bool {
        toml_parses(bytes)
    }

    fn restore(&self, file: FileChange, _: &Change) -> Result<Plan> {
        Ok(automatic(
            self.name(),
            file,
            t!("apply.containerd_no_restart").into(),
        ))
    }
}

/// The containers family's registries.conf drop-in (podman, cri-o, skopeo, buildah read it at each run).
pub struct Containers {
    pub dir: PathBuf,
    pub registry: String,
}

impl Target for Containers {
    fn name(&self) -> Subject {
        Subject::Containers
    }

    fn read(&self) -> Result<Configured> {
        let path = self.dir.join(containers::DROPIN);
        let before = files::read(&path)?;
        let mirrors = before
            .as_deref()
            .map(|b| super::runtimes::registries_conf_mirrors(&String::from_utf8_lossy(b)))
            .unwrap_or_default()
            .into_iter()
            .find(|(r, _)| *r == self.registry)
            .map(|(_, m)| m)
            .unwrap_or_default();
        Ok(Configured {
            path,
            before,
            mirrors,
            also: None,
        })
    }

    fn plan(&self, now: Configured, mirrors: &[String], _: &Change) -> Result<Plan> {
        let file = FileChange::new(
            now.path,
            now.before,
            containers::dropin(&self.registry, mirrors),
        )
        .by_value(super::toml_meaning);
        let home = dirs::home_dir();
        if file.changes() {
            // The main file is read with every drop-in: in the v1 format Podman 6 refuses it, and us with it.
            let main = super::runtimes::main_conf(&self.dir, home.as_deref());
            if let Some(why) = super::runtimes::v1_problem(&main) {
                anyhow::bail!("{why}");
            }
        }
        let mut plan = automatic(self.name(), file, t!("apply.containers_next_run").into());
        plan.notes
            .extend(super::runtimes::hidden_problem(&self.dir, home.as_deref()));
        plan.mirrors = mirrors.to_vec();
        Ok(plan)
    }

    fn path(&self) -> Result<PathBuf> {
        Ok(self.dir.join(containers::DROPIN))
    }

    fn parses(&self, bytes: &[u8]) -> bool {
        toml_parses(bytes)
    }

    fn restore(&self, file: FileChange, _: &Change) -> Result<Plan> {
        Ok(automatic(
            self.name(),
            file,
            t!("apply.containers_next_run").into(),
        ))
    }
}

/// k3s's registries.yaml: read only when k3s starts, so every change is a restart of k3s or k3s-agent.
pub struct K3s {
    pub path: PathBuf,
    pub unit: String,
    pub registry: String,
}

impl K3s {
    fn key(&self) -> [&str; 3] {
        ["mirrors", self.registry.as_str(), "endpoint"]
    }

    fn live(&self, file: FileChange, mirrors: &[String], change: &Change) -> Result<Plan> {
        let svc = Service::detect(change.init, false)?.unit(&self.unit);
        let (activation, verify) = if change.live == MakeLive::Manual {
            (
                Activation::Manual(t!("apply.manual", how = svc.describe_restart(false)).into()),
                Verify::Nothing,
            )
        } else {
            (Activation::Restart(svc), Verify::Active)
        };
        Ok(Plan {
            target: self.name(),
            notes: vec![],
            preflight: None,
            mirrors: mirrors.to_vec(),
            labels: vec![],
            changes: vec![file],
            activation,
            verify,
        })
    }
}

impl Target for K3s {
    fn name(&self) -> Subject {
        Subject::K3s
    }

    fn read(&self) -> Result<Configured> {
        let path = files::resolve(&self.path);
        let before = files::read(&path)?;
        let text = match &before {
            Some(b) => std::str::from_utf8(b)
                .with_context(|| t!("apply.not_utf8", path = path.display()))?,
            None => "",
        };
        let mirrors = super::runtimes::k3s_mirrors(text)
            .into_iter()
            .find(|(r, _)| *r == self.registry)
            .map(|(_, m)| m)
            .unwrap_or_default();
        Ok(Configured {
            path,
            before,
            mirrors,
            also: None,
        })
    }

    fn plan(&self, now: Configured, mirrors: &[String], change: &Change) -> Result<Plan> {
        let text = now
            .before
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let endpoints: Vec<serde_json::Value> = mirrors
            .iter()
            .map(|m| serde_json::Value::String(m.trim_end_matches('/').to_owned()))
            .collect();
        let value = serde_json::Value::Array(endpoints);
        let after = yaml::set(&text, &self.key(), &value)
            .with_context(|| t!("apply.cannot_use", path = now.path.display()))?;
        // registries.yaml is also the admin's (credentials, other registries): an edit made meanwhile is merged.
        let file = FileChange::new(now.path, now.before, after)
            .rebased(yaml::rebase(&self.key(), value))
            .by_value(yaml::meaning);
        self.live(file, mirrors, change)
    }

    fn path(&self) -> Result<PathBuf> {
        Ok(files::resolve(&self.path))
    }

    fn parses(&self, bytes: &[u8]) -> bool {
        std::str::from_utf8(bytes).is_ok_and(|t| yaml::parse(t).is_ok())
    }

    fn restore(&self, file: FileChange, change: &Change) -> Result<Plan> {
        self.live(file, &[], change)
    }
}

fn toml_parses(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| t.parse::<toml_edit::DocumentMut>().is_ok())
}

/// A plan for a runtime that reads its file by itself: nothing to restart, nothing to verify.
fn automatic(target: Subject, file: FileChange, when: String) -> Plan {
    Plan {
        target,
        notes: vec![],
        preflight: None,
        mirrors: vec![],
        labels: vec![],
        changes: vec![file],
        activation: Activation::Automatic(when),
        verify: Verify::Nothing,
    }
}

/// The team cache's one upstream in distribution's config.yml: read when the registry starts, so a change is a
/// restart (which stops no container anywhere), proven as the layer above says (`pull`: a pull through it).
pub struct Cache {
    pub path: PathBuf,
    pub unit: String,
    /// CAs for the cache's own `/v2/` (dockerd's certs.d).
    pub certs_dir: PathBuf,
    /// How a change of a pull-through cache at this URL is proven.
    pub pull: Box<dyn Fn(String) -> Verify>,
}

impl Cache {
    fn config(bytes: Option<&[u8]>) -> Option<super::distribution::Current> {
        bytes
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| super::distribution::read(t).ok())
    }

    fn live(&self, file: FileChange, mirrors: Vec<String>, change: &Change) -> Result<Plan> {
        let config = Self::config(file.after.as_deref());
        // A pull-through cache is proven by a pull; a plain registry (what Debian ships) by its `/v2/`.
        let verify = match config
            .as_ref()
            .and_then(|c| Some((c.listen.as_deref()?, c)))
        {
            Some((listen, c)) if c.upstream.is_some() => {
                (self.pull)(super::distribution::local_url(listen, c.tls))
            }
            Some((listen, c)) => Verify::Registry(
                super::distribution::local_url(listen, c.tls),
                self.certs_dir.clone(),
            ),
            None => Verify::Active,
        };
        Ok(Plan {
            target: self.name(),
            mirrors,
            labels: vec![],
            notes: vec![],
            changes: vec![file],
            activation: Activation::Restart(Service::detect(change.init, false)?.unit(&self.unit)),
            verify,
            preflight: None,
        })
    }
}

impl Target for Cache {
    fn name(&self) -> Subject {
        Subject::Cache
    }

    fn read(&self) -> Result<Configured> {
        let path = self.path.clone();
        let bytes =
            files::read(&path)?.with_context(|| t!("apply.cannot_read", path = path.display()))?;
        let text = std::str::from_utf8(&bytes)
            .with_context(|| t!("apply.not_utf8", path = path.display()))?;
        let c = super::distribution::read(text)?;
        let upstream = c
            .upstream
            .with_context(|| t!("cache.no_upstream", path = path.display()))?;
        c.listen
            .as_ref()
            .with_context(|| t!("cache.no_listen", path = path.display()))?;
        Ok(Configured {
            path,
            mirrors: docker::normalize_mirrors(&[upstream])?,
            before: Some(bytes),
            also: None,
        })
    }

    fn plan(&self, now: Configured, mirrors: &[String], change: &Change) -> Result<Plan> {
        let upstream = mirrors
            .first()
            .ok_or(crate::ui::errors::NoMirrorPassed)?
            .trim_end_matches('/')
            .to_owned();
        let text = String::from_utf8_lossy(now.before.as_deref().unwrap_or_default()).into_owned();
        let current = super::distribution::read(&text)?;
        if let Some((old, new)) = super::distribution::credentials_move_host(&current, &upstream) {
            return Err(crate::ui::errors::Hinted {
                message: t!(
                    "watch.cache_credentials",
                    path = now.path.display(),
                    old = old,
                    new = new
                )
                .into(),
                hint: t!("watch.cache_credentials_hint", path = now.path.display()).into(),
            }
            .into());
        }
        let key = ["proxy", "remoteurl"];
        let value = serde_json::Value::String(upstream.clone());
        let after = yaml::set(&text, &key, &value)?;
        let file = FileChange::new(now.path, now.before, after)
            .rebased(yaml::rebase(&key, value))
            .by_value(yaml::meaning);
        self.live(file, vec![upstream], change)
    }

    fn path(&self) -> Result<PathBuf> {
        Ok(self.path.clone())
    }

    fn parses(&self, bytes: &[u8]) -> bool {
        Self::config(Some(bytes)).is_some()
    }

    fn restore(&self, file: FileChange, change: &Change) -> Result<Plan> {
        let upstream = Self::config(file.after.as_deref()).and_then(|c| c.upstream);
        self.live(file, upstream.into_iter().collect(), change)
    }
}

/// dockerd's per-registry mirrors on the containerd image store: `certs.d/<registry>/hosts.toml`, in containerd's
/// format (the same writer as containerd's), read by dockerd at each pull — no restart, no reload. The classic
/// store never reads it: `apply` checks the store before choosing this target.
pub struct DockerCertsD {
    /// dockerd's certs.d (`/etc/docker/certs.d`; `--certs-dir`).
    pub root: PathBuf,
    pub registry: String,
}

impl DockerCertsD {
    fn file(&self) -> Result<PathBuf> {
        containerd::hosts_file(&self.root.display().to_string(), &self.registry)
    }
}

impl Target for DockerCertsD {
    fn name(&self) -> Subject {
        Subject::Docker
    }

    fn read(&self) -> Result<Configured> {
        let path = self.file()?;
        let before = files::read(&path)?;
        let mirrors = before
            .as_deref()
            .map(|b| super::runtimes::hosts_toml_mirrors(&String::from_utf8_lossy(b)))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| docker::normalize_mirrors(&[m]).ok())
            .flatten()
            .collect();
        Ok(Configured {
            path,
            before,
            mirrors,
            also: None,
        })
    }

    fn plan(&self, now: Configured, mirrors: &[String], _: &Change) -> Result<Plan> {
        let file = FileChange::new(
            now.path,
            now.before,
            containerd::hosts_toml(&self.registry, mirrors),
        )
        .by_value(super::toml_meaning);
        let mut plan = automatic(self.name(), file, t!("apply.certs_d_no_restart").into());
        plan.mirrors = mirrors.to_vec();
        Ok(plan)
    }

    fn path(&self) -> Result<PathBuf> {
        self.file()
    }

    fn parses(&self, bytes: &[u8]) -> bool {
        toml_parses(bytes)
    }

    fn restore(&self, file: FileChange, _: &Change) -> Result<Plan> {
        Ok(automatic(
            self.name(),
            file,
            t!("apply.certs_d_no_restart").into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restoring(now: &str, then: &str) -> FileChange {
        FileChange::new("daemon.json".into(), Some(now.into()), then)
    }

    /// A reload applies a restore that only moves the mirrors (whatever the whitespace), and nothing else.
    #[test]
    fn a_reload_restores_mirrors_only() {
        let now = "{\"debug\": true, \"registry-mirrors\": [\"https://b.example/\"]}";
        let then = "{\n  \"debug\": true,\n  \"registry-mirrors\": [\"https://a.example/\"]\n}\n";
        assert!(reload_can_apply(&restoring(now, then)).is_ok());
        let proxied = "{\"debug\": true, \"proxies\": {\"http-proxy\": \"http://p:3128\"}}";
        let e = format!(
            "{:#}",
            reload_can_apply(&restoring(proxied, then)).unwrap_err()
        );
        assert!(e.contains("`proxies`") && !e.contains("`debug`"), "{e}");
        assert!(reload_can_apply(&restoring("{ broken", then)).is_err());
        // Removing a file the change created: whatever it set besides the mirrors goes too.
        let mut removal = restoring(proxied, "");
        removal.after = None;
        assert!(reload_can_apply(&removal).is_err());
        let mut mirrors_only = restoring(now, "");
        mirrors_only.after = None;
        assert!(reload_can_apply(&mirrors_only).is_err(), "`debug` goes");
        let mut created = restoring("{\"registry-mirrors\": [\"https://a.example/\"]}", "");
        created.after = None;
        assert!(reload_can_apply(&created).is_ok());
    }
}
