//! The formats mirrorctl writes besides daemon.json: containerd (hosts.toml), the containers family (podman,
//! cri-o, skopeo, buildah: registries.conf drop-ins), k3s (registries.yaml), distribution's config.yml (the team
//! cache) and systemd's quoting. Pure renderers and editors; commands write them through the change engine.

pub mod containerd;
pub mod containers;
pub mod distribution;
pub mod docker;
pub mod proxy;
pub mod runtimes;
pub mod systemd;
pub mod target;
pub mod yaml;

/// The registry's own endpoint, which a mirror list falls back to.
pub fn upstream_host(registry: &str) -> &str {
    match registry {
        "docker.io" => "registry-1.docker.io",
        other => other,
    }
}

/// A mirror URL without scheme and trailing slash (`host[:port][/path]`), as registries.conf writes locations.
pub fn location(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.trim_end_matches('/').to_owned()
}
