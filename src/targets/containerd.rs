//! containerd: `certs.d/<registry>/hosts.toml`, and the `config_path` setting in config.toml that makes the CRI
//! plugin read it. Edits to hosts.toml need no restart; adding `config_path` does.

use anyhow::{bail, Context, Result};
use rust_i18n::t;
use toml_edit::{value, DocumentMut, Item, Table};

use super::upstream_host;

/// containerd's major version decides where the CRI registry settings live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Major {
    /// 1.x, config `version = 2`: `plugins."io.containerd.grpc.v1.cri".registry`.
    V1,
    /// 2.0 and 2.1, config `version = 3`: `plugins."io.containerd.cri.v1.images".registry`.
    V2,
    /// 2.2 and later: as 2.0, and `config_path` defaults to two directories (see `DEFAULT_CONFIG_PATH`).
    V2_2,
}

/// containerd 2.2's default `config_path` (internal/cri/config/config_unix.go at v2.2.0): hosts.toml written in the
/// first directory is read with no edit of config.toml and no restart.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/containerd/certs.d:/etc/docker/certs.d";

impl Major {
    /// From `containerd --version` (`containerd github.com/containerd/containerd v1.7.24 …`).
    pub fn from_version_output(s: &str) -> Option<Self> {
        let v = s.split_whitespace().find(|w| {
            w.trim_start_matches('v')
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })?;
        let mut parts = v.trim_start_matches('v').split('.');
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts
            .next()
            .and_then(|m| m.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
            .unwrap_or(0);
        match (major, minor) {
            (0, _) => None,
            (1, _) => Some(Major::V1),
            (2, 0 | 1) => Some(Major::V2),
            _ => Some(Major::V2_2),
        }
    }

    fn plugin(self) -> &'static str {
        match self {
            Major::V1 => "io.containerd.grpc.v1.cri",
            Major::V2 | Major::V2_2 => "io.containerd.cri.v1.images",
        }
    }

    fn config_version(self) -> i64 {
        match self {
            Major::V1 => 2,
            Major::V2 | Major::V2_2 => 3,
        }
    }

    /// The `config_path` containerd uses when config.toml sets none.
    fn default_config_path(self) -> Option<&'static str> {
        (self == Major::V2_2).then_some(DEFAULT_CONFIG_PATH)
    }
}

/// containerd's generation for a config.toml: its own `version` (2: containerd 1.x, 3: 2.x) says it best, then
/// the installed binary, then 1.x.
pub fn major(config: Option<&str>) -> Major {
    // Asked only when the file does not settle it: `containerd --version` is a fork and a 65 MiB child.
    let installed = || {
        crate::sys::host::Host::get()
            .containerd()
            .and_then(Major::from_version_output)
    };
    let declared = config
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| t.get("version").and_then(toml::Value::as_integer));
    match declared {
        // Which 2.x the file is for, only the binary knows.
        Some(3) => match installed() {
            Some(Major::V2_2) => Major::V2_2,
            _ => Major::V2,
        },
        Some(2) => Major::V1,
        _ => installed().unwrap_or(Major::V1),
    }
}

/// `hosts.toml` for one registry: the mirrors in rank order, then the registry itself. Built through toml_edit,
/// so a value can never close its string and start a table of its own.
pub fn hosts_toml(registry: &str, mirrors: &[String]) -> String {
    let mut doc = DocumentMut::new();
    doc.decor_mut().set_prefix(
        "# Written by mirrorctl. containerd tries each host in order, then the server.\n",
    );
    doc["server"] = value(format!("https://{}", upstream_host(registry)));
    let mut hosts = Table::new();
    hosts.set_implicit(true);
    for m in mirrors {
        let mut host = Table::new();
        host["capabilities"] = value(toml_edit::Array::from_iter(["pull", "resolve"]));
        hosts.insert(m.trim_end_matches('/'), Item::Table(host));
    }
    doc["host"] = Item::Table(hosts);
    doc.to_string()
}

/// `<hosts_dir>/<registry>/hosts.toml`, proven to stay inside `hosts_dir`: the registry name is checked again here,
/// where it becomes a path, whatever validated it before.
pub fn hosts_file(hosts_dir: &str, registry: &str) -> Result<std::path::PathBuf> {
    crate::catalogue::validate_registry(registry).map_err(anyhow::Error::msg)?;
    let dir = std::path::Path::new(hosts_dir);
    let file = dir.join(registry).join("hosts.toml");
    let inside = file.strip_prefix(dir).is_ok_and(|rest| {
        rest.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
    });
    if !inside {
        bail!(
            "{}",
            t!(
                "url.bad_registry",
                registry = registry.escape_debug().to_string()
            )
        );
    }
    Ok(file)
}

/// What config.toml needs for hosts.toml to take effect.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigCheck {
    /// The new config.toml, or `None` when it already points at a hosts directory.
    pub after: Option<String>,
    /// The directory containerd reads hosts.toml from (the configured one wins over ours).
    pub hosts_dir: String,
}

/// Makes sure the CRI plugin's `config_path` is set, changing nothing else in the file (toml_edit keeps comments,
/// order and spacing). Refuses when the legacy `registry.mirrors` table is set: containerd rejects both together.
pub fn ensure_config_path(
    text: Option<&str>,
    major: Major,
    hosts_dir: &str,
) -> Result<ConfigCheck> {
    let mut doc: DocumentMut = match text {
        Some(t) => t.parse().context(t!("containerd.bad_toml"))?,
        None => {
            let mut d = DocumentMut::new();
            d["version"] = value(major.config_version());
            d
        }
    };
    let plugin = major.plugin();
    let registry = doc
        .get("plugins")
        .and_then(|p| p.get(plugin))
        .and_then(|c| c.get("registry"));
    if registry.and_then(|r| r.get("mirrors")).is_some() {
        bail!("{}", t!("containerd.legacy", plugin = plugin));
    }
    if let Some(existing) = registry
        .and_then(|r| r.get("config_path"))
        .and_then(Item::as_str)
        .filter(|s| !s.is_empty())
    {
        // containerd accepts a ':'-separated list; the first directory is where we write.
        let first = existing.split(':').next().unwrap_or(existing).to_owned();
        if !first.starts_with('/') {
            // containerd would resolve it against its own working directory, which is not ours to guess.
            bail!(
                "{}",
                t!(
                    "containerd.relative",
                    path = first.escape_debug().to_string()
                )
            );
        }
        return Ok(ConfigCheck {
            after: None,
            hosts_dir: first,
        });
    }
    // containerd 2.2 already reads our directory when the file names none: nothing to add, nothing to restart.
    if let Some(default) = major.default_config_path() {
        if default.split(':').next() == Some(hosts_dir) {
            return Ok(ConfigCheck {
                after: None,
                hosts_dir: hosts_dir.to_owned(),
            });
        }
    }
    let plugins = implicit(doc.as_table_mut(), "plugins")?;
    let cri = implicit(plugins, plugin)?;
    let reg = cri
        .entry("registry")
        .or_insert_with(|| Item::Table(Table::new()));
    let reg = reg
        .as_table_like_mut()
        .context(t!("containerd.not_table", key = "plugins.*.registry"))?;
    reg.insert("config_path", value(hosts_dir));
    Ok(ConfigCheck {
        after: Some(doc.to_string()),
        hosts_dir: hosts_dir.to_owned(),
    })
}

/// A table that exists only to hold sub-tables, so the file gets `[plugins."x".registry]` and not empty headers.
fn implicit<'a>(parent: &'a mut Table, key: &str) -> Result<&'a mut Table> {
    let item = parent.entry(key).or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    item.as_table_mut()
        .with_context(|| t!("containerd.not_table", key = key))
}

#[cfg(test)]
mod tests {
    #[test]
    fn containerd_2_2_reads_the_default_directories_without_an_edit() {
        use super::*;
        assert_eq!(
            Major::from_version_output("containerd containerd.io v2.2.0 abc"),
            Some(Major::V2_2)
        );
        assert_eq!(
            Major::from_version_output("containerd github.com/containerd/containerd/v2 v2.1.4 x"),
            Some(Major::V2)
        );
        assert_eq!(
            Major::from_version_output("containerd github.com/containerd/containerd v1.7.24 x"),
            Some(Major::V1)
        );
        let text = "version = 3\n";
        let c = ensure_config_path(Some(text), Major::V2_2, "/etc/containerd/certs.d").unwrap();
        assert_eq!(
            (c.after, c.hosts_dir.as_str()),
            (None, "/etc/containerd/certs.d")
        );
        // 2.0 has no default: the key is added under the 2.x plugin.
        let c = ensure_config_path(Some(text), Major::V2, "/etc/containerd/certs.d").unwrap();
        assert!(c
            .after
            .unwrap()
            .contains("[plugins.\"io.containerd.cri.v1.images\".registry]"));
        // Another directory than the default's first still needs the key.
        let c = ensure_config_path(Some(text), Major::V2_2, "/srv/certs.d").unwrap();
        assert!(c.after.is_some());
        // The default's two directories written out by the user: the first is ours.
        let t = format!("version = 3\n[plugins.\"io.containerd.cri.v1.images\".registry]\nconfig_path = \"{DEFAULT_CONFIG_PATH}\"\n");
        let c = ensure_config_path(Some(&t), Major::V2_2, "/srv/certs.d").unwrap();
        assert_eq!(
            (c.after, c.hosts_dir.as_str()),
            (None, "/etc/containerd/certs.d")
        );
    }

    use super::*;

    #[test]
    fn hosts_file_in_rank_order() {
        let s = hosts_toml(
            "docker.io",
            &["https://a.example/".into(), "http://127.0.0.1:5000/".into()],
        );
        assert_eq!(
            s,
            "# Written by mirrorctl. containerd tries each host in order, then the server.\nserver = \"https://registry-1.docker.io\"\n\n[host.\"https://a.example\"]\ncapabilities = [\"pull\", \"resolve\"]\n\n[host.\"http://127.0.0.1:5000\"]\ncapabilities = [\"pull\", \"resolve\"]\n"
        );
        let parsed: toml::Value = toml::from_str(&s).unwrap();
        assert_eq!(
            parsed["host"]["https://a.example"]["capabilities"][0].as_str(),
            Some("pull")
        );
        assert!(hosts_toml("ghcr.io", &[]).contains("server = \"https://ghcr.io\""));
    }

    #[test]
    fn hosts_files_stay_in_their_directory() {
        assert_eq!(
            hosts_file("/etc/containerd/certs.d", "reg.lan:5000").unwrap(),
            std::path::Path::new("/etc/containerd/certs.d/reg.lan:5000/hosts.toml")
        );
        for evil in ["../../escape", "/etc", "a/../..", ".."] {
            assert!(
                hosts_file("/etc/containerd/certs.d", evil).is_err(),
                "{evil}"
            );
        }
    }

    #[test]
    fn a_relative_config_path_is_refused() {
        let text = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"certs.d\"\n";
        assert!(ensure_config_path(Some(text), Major::V1, "/etc/containerd/certs.d").is_err());
    }

    #[test]
    fn a_hostile_mirror_cannot_add_a_host_or_a_setting() {
        let evil = "https://a.example/\"]\n[host.\"https://evil.example\"]\nskip_verify = true\n#"
            .to_owned();
        let s = hosts_toml("docker.io", std::slice::from_ref(&evil));
        let parsed: toml::Value = toml::from_str(&s).unwrap();
        let hosts = parsed["host"].as_table().unwrap();
        assert_eq!(hosts.len(), 1, "{s}");
        let (key, host) = hosts.iter().next().unwrap();
        assert_eq!(key, evil.trim_end_matches('/'));
        assert!(host.get("skip_verify").is_none(), "{s}");
    }

    #[test]
    fn adds_config_path_and_keeps_every_other_byte() {
        let before = "version = 2\n\n# my tuning\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"registry.k8s.io/pause:3.9\"  # pinned\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  snapshotter = \"overlayfs\"\n";
        let c = ensure_config_path(Some(before), Major::V1, "/etc/containerd/certs.d").unwrap();
        let after = c.after.unwrap();
        assert!(
            after.starts_with(before),
            "the original bytes come first, unchanged:\n{after}"
        );
        let v: toml::Value = toml::from_str(&after).unwrap();
        assert_eq!(
            v["plugins"]["io.containerd.grpc.v1.cri"]["registry"]["config_path"].as_str(),
            Some("/etc/containerd/certs.d")
        );
    }

    #[test]
    fn an_existing_config_path_wins_and_needs_no_edit() {
        let t = "version = 3\n[plugins.\"io.containerd.cri.v1.images\".registry]\n  config_path = \"/srv/certs.d:/etc/docker/certs.d\"\n";
        let c = ensure_config_path(Some(t), Major::V2, "/etc/containerd/certs.d").unwrap();
        assert_eq!(
            c,
            ConfigCheck {
                after: None,
                hosts_dir: "/srv/certs.d".into()
            }
        );
    }

    #[test]
    fn a_missing_file_gets_the_right_version_and_table() {
        let after = ensure_config_path(None, Major::V2, "/etc/containerd/certs.d")
            .unwrap()
            .after
            .unwrap();
        assert_eq!(after, "version = 3\n\n[plugins.\"io.containerd.cri.v1.images\".registry]\nconfig_path = \"/etc/containerd/certs.d\"\n");
    }

    #[test]
    fn legacy_mirrors_are_refused() {
        let t = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://m.example\"]\n";
        let e = ensure_config_path(Some(t), Major::V1, "/etc/containerd/certs.d")
            .unwrap_err()
            .to_string();
        assert!(e.contains("legacy") && e.contains("hosts.toml"), "{e}");
    }

    #[test]
    fn versions() {
        assert_eq!(
            Major::from_version_output(
                "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1"
            ),
            Some(Major::V1)
        );
        assert_eq!(
            Major::from_version_output(
                "containerd containerd.io v2.0.4 1a43cb6a1035441f9aca8f5666a9b3ef9e70ab20"
            ),
            Some(Major::V2)
        );
    }
}

#[cfg(test)]
mod by_value {
    use crate::change::FileChange;

    fn changes(before: &str, after: String) -> bool {
        FileChange::new("hosts.toml".into(), Some(before.into()), after)
            .by_value(crate::targets::toml_meaning)
            .changes()
    }

    #[test]
    fn a_hosts_toml_that_says_the_same_in_other_words_is_no_change() {
        let m = [
            "https://a.example/".to_owned(),
            "http://b.example:5000/".to_owned(),
        ];
        let ours = super::hosts_toml("docker.io", &m);
        assert!(!changes(&ours, ours.clone()));
        // Edited by hand: no comment, other quoting and spacing, an inline table, the same hosts in the same order.
        let by_hand = "server='https://registry-1.docker.io'\n[host]\n\"https://a.example\" = { capabilities = [ 'pull', 'resolve' ] }\n[host.\"http://b.example:5000\"]\ncapabilities=[\"pull\",\"resolve\"]\n";
        assert!(!changes(by_hand, ours.clone()));
        // The hosts in another order (containerd tries them as listed), a host fewer, another capability: a change.
        let swapped = super::hosts_toml("docker.io", &[m[1].clone(), m[0].clone()]);
        assert!(changes(&swapped, ours.clone()));
        let fewer = super::hosts_toml("docker.io", &m[..1]);
        assert!(changes(&fewer, ours.clone()));
        let push = ours.replacen("\"resolve\"", "\"push\"", 1);
        assert!(changes(&push, ours));
    }
}
