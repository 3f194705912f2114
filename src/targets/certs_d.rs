//! dockerd's own hosts directory on the containerd image store: `/etc/docker/certs.d/<host>/hosts.toml`, read by
//! containerd's resolver at each pull (moby v28.5.2 `daemon/hosts.go`: `RegistryHosts` →
//! `ConfigureHosts(HostDirFromRoot(registry.CertsDir()))`, then `mergeLegacyConfig`). The classic store never
//! reads it. Pure: the one reader is `docker_hub`.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// dockerd's certs.d (`registry.CertsDir()` for a rootful daemon).
pub const DEFAULT_ROOT: &str = "/etc/docker/certs.d";

/// The directory containerd's `HostDirFromRoot` takes for a host: `host_port_` first for `host:port`, then the
/// host's own name, then `_default` (vendor/…/remotes/docker/config/config_unix.go `hostPaths`).
pub fn host_dir(root: &Path, host: &str) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some((name, port)) = host.rsplit_once(':').filter(|(n, _)| !n.is_empty()) {
        candidates.push(root.join(format!("{name}_{port}_")));
    }
    candidates.push(root.join(host));
    candidates.push(root.join("_default"));
    candidates.into_iter().find(|p| p.is_dir())
}

/// What dockerd's resolver will really use for Docker Hub on the containerd store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DockerHubHosts {
    /// The hosts.toml that decides, when it lists a host (then registry-mirrors are ignored).
    pub file: Option<String>,
    /// The hosts tried in order, the last being the registry itself.
    pub hosts: Vec<String>,
    /// daemon.json's mirrors that the file makes dockerd ignore (`docker info` still lists them).
    pub ignored: Vec<String>,
}

/// The hosts of a hosts.toml, as URLs (containerd takes a scheme-less host as https), and its `server`.
pub fn hosts_of(text: &str) -> Option<(Vec<String>, Option<String>)> {
    let doc: toml::Table = text.parse().ok()?;
    let hosts = super::runtimes::hosts_toml_mirrors(text)
        .into_iter()
        .map(|h| with_scheme(&h))
        .collect();
    let server = doc
        .get("server")
        .and_then(toml::Value::as_str)
        .map(with_scheme);
    Some((hosts, server))
}

fn with_scheme(h: &str) -> String {
    let h = h.trim_end_matches('/');
    if h.contains("://") {
        format!("{h}/")
    } else {
        format!("https://{h}/")
    }
}

/// `mergeLegacyConfig`: when hosts.toml yields more than one host (any `[host]` plus the server), daemon.json's
/// mirrors are not merged; otherwise they come first, then the one host (the server, by default Docker Hub).
/// `file`: the decisive directory's hosts.toml and its text, if any; `live`: the mirrors `/info` lists.
pub fn docker_hub(file: Option<(PathBuf, String)>, live: &[String]) -> DockerHubHosts {
    let parsed = file
        .as_ref()
        .and_then(|(p, t)| Some((p.clone(), hosts_of(t)?)));
    let (listed, server, path) = match parsed {
        Some((p, (hosts, server))) => (hosts, server, Some(p)),
        // A hosts.toml containerd cannot decode is skipped (it logs an error and uses the directory's certs).
        None => (vec![], None, None),
    };
    let server = server.unwrap_or_else(|| "https://registry-1.docker.io/".into());
    if listed.is_empty() {
        let mut hosts = live.to_vec();
        hosts.push(server);
        return DockerHubHosts {
            file: None,
            hosts,
            ignored: vec![],
        };
    }
    let mut hosts = listed;
    hosts.push(server);
    DockerHubHosts {
        file: path.map(|p| p.display().to_string()),
        hosts,
        ignored: live.to_vec(),
    }
}

/// Reads certs.d for Docker Hub (no file, or an unreadable one, is no override).
pub fn read_docker_hub(root: &Path, live: &[String]) -> DockerHubHosts {
    let file = host_dir(root, "docker.io").and_then(|d| {
        let f = d.join("hosts.toml");
        let bytes = crate::sys::files::read(&f).ok()??;
        Some((f, String::from_utf8(bytes).ok()?))
    });
    docker_hub(file, live)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_host_overrides_registry_mirrors() {
        let text = "server = \"https://registry-1.docker.io\"\n[host.\"http://127.0.0.1:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n";
        let live = ["https://a.example/".to_owned()];
        let h = docker_hub(Some(("/c/docker.io/hosts.toml".into(), text.into())), &live);
        assert_eq!(h.file.as_deref(), Some("/c/docker.io/hosts.toml"));
        assert_eq!(
            h.hosts,
            ["http://127.0.0.1:5000/", "https://registry-1.docker.io/"]
        );
        assert_eq!(h.ignored, live);
    }

    #[test]
    fn no_host_listed_keeps_registry_mirrors_before_the_server() {
        let live = ["https://a.example/".to_owned()];
        let only_server = "server = \"https://hub.lan\"\n";
        let h = docker_hub(Some(("/c/x".into(), only_server.into())), &live);
        assert_eq!(h.file, None);
        assert_eq!(h.hosts, ["https://a.example/", "https://hub.lan/"]);
        let none = docker_hub(None, &live);
        assert_eq!(
            none.hosts,
            ["https://a.example/", "https://registry-1.docker.io/"]
        );
        // Not TOML: containerd skips it.
        let broken = docker_hub(Some(("/c/x".into(), "[host.".into())), &live);
        assert!(broken.file.is_none() && broken.ignored.is_empty());
    }

    #[test]
    fn host_dir_follows_containerds_order() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(host_dir(d.path(), "docker.io"), None);
        std::fs::create_dir(d.path().join("_default")).unwrap();
        assert_eq!(
            host_dir(d.path(), "docker.io"),
            Some(d.path().join("_default"))
        );
        std::fs::create_dir(d.path().join("reg.lan:5000")).unwrap();
        assert_eq!(
            host_dir(d.path(), "reg.lan:5000"),
            Some(d.path().join("reg.lan:5000"))
        );
        std::fs::create_dir(d.path().join("reg.lan_5000_")).unwrap();
        assert_eq!(
            host_dir(d.path(), "reg.lan:5000"),
            Some(d.path().join("reg.lan_5000_"))
        );
    }
}
