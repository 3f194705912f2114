//! Runtimes other than dockerd that can use the same mirrors: containerd (hosts.toml), the containers family
//! (podman, cri-o, skopeo, buildah: registries.conf drop-ins) and k3s (registries.yaml). Pure renderers and
//! editors; `apply` writes them.

pub mod containerd;
pub mod containers;
pub mod systemd;
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
