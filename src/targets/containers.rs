//! The containers family (podman, cri-o, skopeo, buildah): a registries.conf v2 drop-in, never the user's main file.

use super::{location, upstream_host};

/// The drop-in's name: late in the order so it wins over distribution defaults for the same prefix.
pub const DROPIN: &str = "50-mirrorctl.conf";

/// One `[[registry]]` for the prefix with a `[[registry.mirror]]` per mirror, in rank order; plain-http mirrors are
/// marked insecure, as containers/image requires.
pub fn dropin(registry: &str, mirrors: &[String]) -> String {
    let mut s = format!(
        "# Written by mirrorctl. Mirrors are tried in order, then the registry itself.\n[[registry]]\nprefix = \"{registry}\"\nlocation = \"{}\"\n",
        upstream_host(registry)
    );
    for m in mirrors {
        s.push_str(&format!(
            "\n[[registry.mirror]]\nlocation = \"{}\"\n",
            location(m)
        ));
        if m.starts_with("http://") {
            s.push_str("insecure = true\n");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_conf_v2() {
        let s = dropin(
            "docker.io",
            &["https://a.example/".into(), "http://127.0.0.1:5000/".into()],
        );
        let v: toml::Value = toml::from_str(&s).unwrap();
        let r = &v["registry"][0];
        assert_eq!(r["prefix"].as_str(), Some("docker.io"));
        assert_eq!(r["location"].as_str(), Some("registry-1.docker.io"));
        assert_eq!(r["mirror"][0]["location"].as_str(), Some("a.example"));
        assert!(r["mirror"][0].get("insecure").is_none());
        assert_eq!(r["mirror"][1]["location"].as_str(), Some("127.0.0.1:5000"));
        assert_eq!(r["mirror"][1]["insecure"].as_bool(), Some(true));
    }
}
