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
                PathBuf::from(SYSTEM_DIR)
            } else {
                // containers/image joins the home directory with `.config`, whatever XDG_CONFIG_HOME says.
                user_dir(&dirs::home_dir().unwrap_or_default())
            }
        })
    }
}

/// The system's registries.conf and its drop-in directory, where containers/image looks by default.
pub const SYSTEM_CONF: &str = "/etc/containers/registries.conf";
pub const SYSTEM_DIR: &str = "/etc/containers/registries.conf.d";

/// A user's own registries.conf under `home` (containers/image: `homedir.Get()` + `.config/containers/...`).
pub fn user_conf(home: &Path) -> PathBuf {
    home.join(".config/containers/registries.conf")
}

/// The drop-in directory containers/image reads beside a user's own registries.conf.
pub fn user_dir(home: &Path) -> PathBuf {
    home.join(".config/containers/registries.conf.d")
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// The user's registries.conf that makes podman, skopeo and buildah (run by the user whose home is `home`) skip the
/// drop-ins in `dir`. containers/image (sysregistriesv2 `newConfigWrapperWithHomeDir`, v5.24 to v5.36): when
/// `~/.config/containers/registries.conf` exists it is read *instead of* the system file, and the only drop-in
/// directory read with it is `~/.config/containers/registries.conf.d` — the system's registries.conf.d is not.
pub fn hidden_by(dir: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let home = home?;
    let file = user_conf(home);
    (file.is_file() && !same_dir(dir, &user_dir(home))).then_some(file)
}

/// The main registries.conf that containers/image reads together with the drop-ins of `dir`: the user's own file
/// when it exists; else the file whose `.d` directory `dir` is; for the user's directory alone, the system's file.
pub fn main_conf(dir: &Path, home: Option<&Path>) -> PathBuf {
    if let Some(file) = home.map(user_conf).filter(|f| f.is_file()) {
        return file;
    }
    if home.is_some_and(|h| same_dir(dir, &user_dir(h))) {
        return PathBuf::from(SYSTEM_CONF);
    }
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    match name.as_deref().and_then(|n| n.strip_suffix(".d")) {
        Some(main) if !main.is_empty() => dir.with_file_name(main),
        _ => PathBuf::from(SYSTEM_CONF),
    }
}

/// Where a registries.conf uses the v1 format: its `[registries.search]`, `[registries.insecure]` or
/// `[registries.block]` table (1-based line and column), which containers/image 5.40 (Podman 6) no longer reads.
#[derive(Debug, PartialEq, Eq)]
pub struct V1Table {
    pub table: String,
    pub line: usize,
    pub column: usize,
}

pub fn v1_table(text: &str) -> Option<V1Table> {
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let regs = doc.get("registries")?.as_table_like()?;
    let (key, item) = ["search", "insecure", "block"]
        .into_iter()
        .find_map(|k| regs.get(k).map(|i| (k, i)))?;
    let at = item
        .as_table()
        .and_then(toml_edit::Table::span)
        .or_else(|| regs.key(key).and_then(toml_edit::Key::span))
        .or_else(|| doc.get("registries").and_then(Item::span))
        .map_or(0, |r| r.start);
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some(V1Table {
        table: format!("registries.{key}"),
        line,
        column,
    })
}

/// The v1 refusal for `file`, with the rewrite to the v2 format, when it is in the v1 format.
pub fn v1_problem(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let v1 = v1_table(&text)?;
    Some(
        t!(
            "containers.v1_format",
            path = file.display(),
            line = v1.line,
            column = v1.column,
            table = v1.table
        )
        .into_owned(),
    )
}

/// The warning for drop-ins in `dir` that this user's own registries.conf hides, when it does.
pub fn hidden_problem(dir: &Path, home: Option<&Path>) -> Option<String> {
    let file = hidden_by(dir, home)?;
    let home = home?;
    Some(
        t!(
            "containers.user_conf_hides",
            file = file.display(),
            dir = dir.display(),
            user_dir = user_dir(home).display()
        )
        .into_owned(),
    )
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
    let home = dirs::home_dir();
    let dir = p.containers_dir();
    // What podman will not do as the files suggest: a v1 main file (Podman 6 refuses it), or drop-ins this user's
    // own registries.conf hides.
    let v1 =
        v1_problem(&p.containers_conf).or_else(|| v1_problem(&main_conf(&dir, home.as_deref())));
    let hidden = hidden_problem(&dir, home.as_deref());
    for file in conf_files {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let problem = if file == p.containers_conf {
                v1.clone()
            } else {
                hidden.clone().or_else(|| v1.clone())
            };
            for (registry, mirrors) in registries_conf_mirrors(&text) {
                out.push(RuntimeMirrors {
                    runtime: "containers",
                    file: file.display().to_string(),
                    registry,
                    mirrors,
                    problem: problem.clone(),
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
    fn v1_tables_are_found_with_their_line_and_column() {
        let v1 = "# distribution default\n\n[registries.search]\nregistries = ['docker.io']\n\n[registries.insecure]\nregistries = []\n";
        assert_eq!(
            v1_table(v1),
            Some(V1Table {
                table: "registries.search".into(),
                line: 3,
                column: 1
            })
        );
        let only_insecure = "unqualified-search-registries = []\n  [registries.insecure]\nregistries = ['a:5000']\n";
        assert_eq!(
            v1_table(only_insecure).map(|v| (v.table, v.line, v.column)),
            Some(("registries.insecure".into(), 2, 3))
        );
        let dotted = "registries.block.registries = ['evil.example']\n";
        assert_eq!(
            v1_table(dotted).map(|v| (v.table, v.line)),
            Some(("registries.block".into(), 1))
        );
        let inline = "[registries]\nsearch = { registries = ['docker.io'] }\n";
        assert_eq!(v1_table(inline).map(|v| v.line), Some(2));
        // v2, ours, a table merely named like v1's, and a broken file are not v1.
        for not_v1 in [
            "unqualified-search-registries = ['docker.io']\n[[registry]]\nlocation = 'a.example'\n",
            &crate::targets::containers::dropin("docker.io", &["https://a.example/".into()]),
            "[registries-search]\nx = 1\n",
            "[registries.search\n",
            "",
        ] {
            assert_eq!(v1_table(not_v1), None, "{not_v1}");
        }
    }

    #[test]
    fn a_user_registries_conf_hides_the_system_drop_ins_only() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        let system = t.path().join("etc/containers/registries.conf.d");
        std::fs::create_dir_all(&system).unwrap();
        // No user file: the system's drop-ins are read, with the file they are the `.d` of.
        assert_eq!(hidden_by(&system, Some(&home)), None);
        assert_eq!(
            main_conf(&system, Some(&home)),
            t.path().join("etc/containers/registries.conf")
        );
        assert_eq!(
            main_conf(&user_dir(&home), Some(&home)),
            PathBuf::from(SYSTEM_CONF)
        );
        // A user file: it replaces the system file, and only the user's own drop-in directory is read beside it.
        std::fs::create_dir_all(user_dir(&home)).unwrap();
        std::fs::write(user_conf(&home), "unqualified-search-registries = []\n").unwrap();
        assert_eq!(hidden_by(&system, Some(&home)), Some(user_conf(&home)));
        assert_eq!(hidden_by(&user_dir(&home), Some(&home)), None);
        let via_dots = home.join(".config/containers/../containers/registries.conf.d");
        assert_eq!(hidden_by(&via_dots, Some(&home)), None);
        assert_eq!(main_conf(&system, Some(&home)), user_conf(&home));
        assert_eq!(hidden_by(&system, None), None);
        let why = hidden_problem(&system, Some(&home)).unwrap();
        assert!(
            why.contains(&user_conf(&home).display().to_string()),
            "{why}"
        );
        assert!(
            why.contains(&format!("--containers-dir {}", user_dir(&home).display())),
            "{why}"
        );
    }

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
