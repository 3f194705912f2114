//! The containers family (podman, cri-o, skopeo, buildah): a registries.conf v2 drop-in, never the user's main file.

use toml_edit::{value, ArrayOfTables, DocumentMut, Item, Table};

use super::{location, upstream_host};

/// The drop-in's name: late in the order so it wins over distribution defaults for the same prefix.
pub const DROPIN: &str = "50-mirrorctl.conf";

/// One `[[registry]]` for the prefix with a `[[registry.mirror]]` per mirror, in rank order; plain-http mirrors are
/// marked insecure, as containers/image requires. Built through toml_edit: values are encoded, never spliced.
pub fn dropin(registry: &str, mirrors: &[String]) -> String {
    let mut entry = Table::new();
    entry["prefix"] = value(registry);
    entry["location"] = value(upstream_host(registry));
    let mut list = ArrayOfTables::new();
    for m in mirrors {
        let mut mirror = Table::new();
        mirror["location"] = value(location(m));
        if m.starts_with("http://") {
            mirror["insecure"] = value(true);
        }
        list.push(mirror);
    }
    entry.insert("mirror", Item::ArrayOfTables(list));
    let mut registries = ArrayOfTables::new();
    registries.push(entry);
    let mut doc = DocumentMut::new();
    doc.decor_mut().set_prefix(
        "# Written by mirrorctl. Mirrors are tried in order, then the registry itself.\n",
    );
    doc.insert("registry", Item::ArrayOfTables(registries));
    doc.to_string()
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
        assert!(s.starts_with("# Written by mirrorctl."), "{s}");
    }

    #[test]
    fn a_hostile_mirror_cannot_add_a_registry() {
        let evil = "https://a.example/\"\n[[registry]]\nprefix = \"quay.io\"\nlocation = \"evil.example\"\n#";
        let v: toml::Value = toml::from_str(&dropin("docker.io", &[evil.into()])).unwrap();
        let registries = v["registry"].as_array().unwrap();
        assert_eq!(registries.len(), 1);
        assert_eq!(registries[0]["mirror"].as_array().unwrap().len(), 1);
    }
}

#[cfg(test)]
mod by_value {
    use crate::change::FileChange;

    #[test]
    fn a_drop_in_that_says_the_same_in_other_words_is_no_change() {
        let m = [
            "https://a.example/".to_owned(),
            "http://b.example:5000/".to_owned(),
        ];
        let ours = super::dropin("docker.io", &m);
        let changes = |before: &str| {
            FileChange::new(
                "50-mirrorctl.conf".into(),
                Some(before.into()),
                ours.clone(),
            )
            .by_value(crate::targets::toml_meaning)
            .changes()
        };
        let by_hand = "[[registry]]\nprefix='docker.io'\nlocation = 'registry-1.docker.io'\n[[registry.mirror]]\nlocation = \"a.example\"\n[[registry.mirror]]\nlocation = \"b.example:5000\"\ninsecure = true\n";
        assert!(!changes(by_hand));
        assert!(changes(&super::dropin(
            "docker.io",
            &[m[1].clone(), m[0].clone()]
        )));
        assert!(changes(
            &by_hand.replace("insecure = true", "insecure = false")
        ));
    }
}
