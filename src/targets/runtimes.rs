//! The mirrors other runtimes are configured with: containerd's hosts.toml files and the containers family's
//! registries.conf (+ drop-ins). Read for `show` and `doctor`; pure parsers, one thin reader.

use rust_i18n::t;
use std::path::{Path, PathBuf};

use serde::Serialize;
use toml_edit::{DocumentMut, Item};

/// Where containerd's files are (apply, restore and watch edit them; show and doctor read them).
#[derive(Debug, Clone, clap::Args)]
pub struct ContainerdPlaces {
    /// containerd's config.toml (its CRI `config_path` says where hosts.toml files live).
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/etc/containerd/config.toml"
    )]
    pub containerd_config: PathBuf,
    /// Where containerd's hosts.toml files live when config.toml does not say.
    #[arg(long, value_name = "DIR", default_value = "/etc/containerd/certs.d")]
    pub containerd_hosts_dir: PathBuf,
}

/// containerd's files for one registry: config.toml as read, what it says (or must be made to say) about
/// `config_path`, and the registry's hosts.toml there.
pub struct ContainerdFiles {
    pub config: PathBuf,
    pub config_before: Option<Vec<u8>>,
    pub check: crate::targets::containerd::ConfigCheck,
    pub hosts: PathBuf,
}

impl ContainerdPlaces {
    pub fn files(&self, registry: &str) -> anyhow::Result<ContainerdFiles> {
        use crate::targets::containerd;
        use anyhow::Context;
        let config = crate::sys::files::resolve(&self.containerd_config);
        let config_before = crate::sys::files::read(&config)?;
        let text = config_before
            .as_deref()
            .map(std::str::from_utf8)
            .transpose()
            .with_context(|| t!("apply.not_utf8", path = config.display()))?;
        let ours = self.containerd_hosts_dir.display().to_string();
        let check = containerd::ensure_config_path(text, containerd::major(text), &ours)
            .with_context(|| t!("apply.cannot_use", path = config.display()))?;
        let hosts = containerd::hosts_file(&check.hosts_dir, registry)?;
        Ok(ContainerdFiles {
            config,
            config_before,
            check,
            hosts,
        })
    }
}

/// Where to look; `show` and `doctor` take these as flags so tests can point them at temp dirs.
#[derive(Debug, Clone, clap::Args)]
pub struct Places {
    #[command(flatten)]
    pub containerd: ContainerdPlaces,
    /// The containers family's main registries.conf (read by show and doctor; apply never edits it).
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/etc/containers/registries.conf"
    )]
    pub containers_conf: PathBuf,
    /// The registries.conf.d directory for podman/cri-o/skopeo (default: /etc/containers/registries.conf.d, or
    /// ~/.config/containers/registries.conf.d when not root).
    #[arg(long, value_name = "DIR")]
    pub containers_dir: Option<PathBuf>,
    /// k3s's registries.yaml (read by k3s when it starts).
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/etc/rancher/k3s/registries.yaml"
    )]
    pub k3s_config: PathBuf,
    /// The k3s unit to restart (default: k3s-agent on an agent node, else k3s).
    #[arg(long, value_name = "UNIT")]
    pub k3s_unit: Option<String>,
}

impl Places {
    /// `k3s-agent` where only the agent is installed, else `k3s` (what the k3s install script names them).
    pub fn k3s_unit(&self) -> String {
        self.k3s_unit.clone().unwrap_or_else(|| {
            let has = |u: &str| {
                [
                    "/etc/systemd/system",
                    "/lib/systemd/system",
                    "/usr/lib/systemd/system",
                ]
                .iter()
                .any(|d| Path::new(d).join(u).exists())
            };
            if has("k3s-agent.service") && !has("k3s.service") {
                "k3s-agent".into()
            } else {
                "k3s".into()
            }
        })
    }

    pub fn containers_dir(&self) -> PathBuf {
        self.containers_dir.clone().unwrap_or_else(|| {
            if crate::sys::host::Host::get().uid == 0 {
                PathBuf::from("/etc/containers/registries.conf.d")
            } else {
                dirs::config_dir()
                    .unwrap_or_default()
                    .join("containers/registries.conf.d")
            }
        })
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RuntimeMirrors {
    /// `containerd` or `containers`.
    pub runtime: &'static str,
    pub file: String,
    pub registry: String,
    /// Mirror URLs in the order the runtime tries them (containers' locations get an https:// or http:// scheme).
    pub mirrors: Vec<String>,
    /// Something the runtime will not do as the file suggests, in plain words.
    pub problem: Option<String>,
}

/// The `[host."URL"]` keys of a hosts.toml, in file order.
pub fn hosts_toml_mirrors(text: &str) -> Vec<String> {
    let Ok(doc) = text.parse::<DocumentMut>() else {
        return vec![];
    };
    doc.get("host")
        .and_then(Item::as_table_like)
        .map(|t| t.iter().map(|(k, _)| k.to_owned()).collect())
        .unwrap_or_default()
}

/// `[[registry]]` entries with mirrors: (prefix or location, mirror URLs).
pub fn registries_conf_mirrors(text: &str) -> Vec<(String, Vec<String>)> {
    let Ok(doc) = text.parse::<DocumentMut>() else {
        return vec![];
    };
    let Some(regs) = doc.get("registry").and_then(Item::as_array_of_tables) else {
        return vec![];
    };
    regs.iter()
        .filter_map(|r| {
            let name = r
                .get("prefix")
                .or_else(|| r.get("location"))
                .and_then(Item::as_str)?
                .to_owned();
            let mirrors: Vec<String> = r
                .get("mirror")
                .and_then(Item::as_array_of_tables)
                .map(|ms| {
                    ms.iter()
                        .filter_map(|m| {
                            let loc = m.get("location").and_then(Item::as_str)?;
                            let insecure =
                                m.get("insecure").and_then(Item::as_bool).unwrap_or(false);
                            Some(format!(
                                "{}://{loc}",
                                if insecure { "http" } else { "https" }
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (!mirrors.is_empty()).then_some((name, mirrors))
        })
        .collect()
}

/// Everything configured, for every runtime whose files exist.
pub fn read(p: &Places) -> Vec<RuntimeMirrors> {
    let mut out = Vec::new();
    let config = std::fs::read_to_string(&p.containerd.containerd_config).ok();
    let check = config.as_deref().map(|t| {
        let major = crate::targets::containerd::major(Some(t));
        crate::targets::containerd::ensure_config_path(
            Some(t),
            major,
            &p.containerd.containerd_hosts_dir.display().to_string(),
        )
    });
    let (hosts_dir, problem) = match &check {
        Some(Ok(c)) if c.after.is_none() => (PathBuf::from(&c.hosts_dir), None),
        Some(Err(e)) => (
            p.containerd.containerd_hosts_dir.clone(),
            Some(format!("{e:#}")),
        ),
        _ => (
            p.containerd.containerd_hosts_dir.clone(),
            Some(
                t!(
                    "containerd.no_config_path",
                    path = p.containerd.containerd_config.display()
                )
                .into_owned(),
            ),
        ),
    };
    for (registry, file) in dir_entries(&hosts_dir).into_iter().map(|d| {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (name, d.join("hosts.toml"))
    }) {
        if let Ok(text) = std::fs::read_to_string(&file) {
            out.push(RuntimeMirrors {
                runtime: "containerd",
                file: file.display().to_string(),
                registry,
                mirrors: hosts_toml_mirrors(&text),
                problem: problem.clone(),
            });
        }
    }
    let mut conf_files = vec![p.containers_conf.clone()];
    let mut dropins: Vec<PathBuf> = dir_entries(&p.containers_dir())
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "conf"))
        .collect();
    dropins.sort();
    conf_files.extend(dropins);
    for file in conf_files {
        if let Ok(text) = std::fs::read_to_string(&file) {
            for (registry, mirrors) in registries_conf_mirrors(&text) {
                out.push(RuntimeMirrors {
                    runtime: "containers",
                    file: file.display().to_string(),
                    registry,
                    mirrors,
                    problem: None,
                });
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(&p.k3s_config) {
        for (registry, mirrors) in k3s_mirrors(&text) {
            out.push(RuntimeMirrors {
                runtime: "k3s",
                file: p.k3s_config.display().to_string(),
                registry,
                mirrors,
                problem: None,
            });
        }
    }
    out
}

/// `mirrors.<registry>.endpoint` of a k3s registries.yaml.
pub fn k3s_mirrors(text: &str) -> Vec<(String, Vec<String>)> {
    let Ok(doc) = crate::targets::yaml::parse(text) else {
        return vec![];
    };
    doc.get("mirrors")
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .map(|(registry, v)| {
                    let list = v
                        .get("endpoint")
                        .and_then(|e| e.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|u| u.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default();
                    (registry.clone(), list)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn dir_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_apply_writes() {
        let mirrors = vec![
            "https://a.example/".to_owned(),
            "http://127.0.0.1:5000/".to_owned(),
        ];
        let hosts = crate::targets::containerd::hosts_toml("docker.io", &mirrors);
        assert_eq!(
            hosts_toml_mirrors(&hosts),
            ["https://a.example", "http://127.0.0.1:5000"]
        );
        let conf = crate::targets::containers::dropin("docker.io", &mirrors);
        assert_eq!(
            registries_conf_mirrors(&conf),
            [(
                "docker.io".to_owned(),
                vec![
                    "https://a.example".to_owned(),
                    "http://127.0.0.1:5000".to_owned()
                ]
            )]
        );
    }
}
