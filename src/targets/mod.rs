//! The formats mirrorctl writes besides daemon.json: containerd (hosts.toml), the containers family (podman,
//! cri-o, skopeo, buildah: registries.conf drop-ins), k3s (registries.yaml), distribution's config.yml (the team
//! cache) and systemd's quoting. Pure renderers and editors; commands write them through the change engine.

pub mod certs_d;
pub mod colima;
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

/// A TOML file (hosts.toml, a registries.conf drop-in, config.toml) as the value its reader takes: comments,
/// spacing and quoting are no change (a `FileChange`'s meaning). Tables keep their order, as `[key, value]` pairs:
/// containerd tries the hosts of hosts.toml in the order the file lists them.
pub fn toml_meaning(bytes: &[u8]) -> Option<serde_json::Value> {
    let doc: toml_edit::DocumentMut = std::str::from_utf8(bytes).ok()?.parse().ok()?;
    Some(toml_table(doc.as_table()))
}

fn toml_table(t: &dyn toml_edit::TableLike) -> serde_json::Value {
    t.iter()
        .map(|(k, v)| serde_json::json!([k, toml_item(v)]))
        .collect()
}

fn toml_item(i: &toml_edit::Item) -> serde_json::Value {
    use toml_edit::Item;
    match i {
        Item::None => serde_json::Value::Null,
        Item::Value(v) => toml_value(v),
        Item::Table(t) => toml_table(t),
        Item::ArrayOfTables(a) => a.iter().map(|t| toml_table(t)).collect(),
    }
}

fn toml_value(v: &toml_edit::Value) -> serde_json::Value {
    use toml_edit::Value;
    match v {
        Value::String(s) => serde_json::json!(s.value()),
        Value::Integer(n) => serde_json::json!(n.value()),
        Value::Float(f) => serde_json::json!(f.value().to_string()),
        Value::Boolean(b) => serde_json::json!(b.value()),
        Value::Datetime(d) => serde_json::json!(d.value().to_string()),
        Value::Array(a) => a.iter().map(toml_value).collect(),
        Value::InlineTable(t) => toml_table(t),
    }
}
