//! Keys set both in daemon.json and as a dockerd flag: dockerd refuses to start with
//! "the following directives are specified both as a flag and in the configuration file".

use rust_i18n::t;
use serde::Serialize;

/// A command line (or an options variable) and where it came from, for the message.
#[derive(Debug, Clone)]
pub struct FlagSource {
    pub origin: String,
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub key: String,
    pub flag: String,
    pub origin: String,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = t!(
            "conflict",
            key = self.key,
            flag = self.flag,
            origin = self.origin
        );
        f.write_str(&text)
    }
}

/// The daemon.json key a dockerd flag sets, when it sets one. Plural keys whose flags are singular are listed;
/// every other long flag maps to the key of the same name.
pub fn flag_key(flag: &str) -> Option<&str> {
    let name = flag.split('=').next().unwrap_or(flag);
    Some(match name {
        "-H" | "--host" => "hosts",
        "-D" | "--debug" => "debug",
        "-l" | "--log-level" => "log-level",
        "-G" | "--group" => "group",
        "-p" | "--pidfile" => "pidfile",
        "-b" | "--bridge" => "bridge",
        "-g" | "--graph" => "data-root",
        "--registry-mirror" => "registry-mirrors",
        "--insecure-registry" => "insecure-registries",
        "--label" => "labels",
        "--log-opt" => "log-opts",
        "--storage-opt" => "storage-opts",
        "--exec-opt" => "exec-opts",
        "--add-runtime" => "runtimes",
        "--authorization-plugin" => "authorization-plugins",
        "--default-ulimit" => "default-ulimits",
        "--node-generic-resource" => "node-generic-resources",
        "--allow-nondistributable-artifacts" => "allow-nondistributable-artifacts",
        "--config-file" | "--validate" | "--version" | "-v" | "--help" | "-h" => return None,
        long if long.starts_with("--") && long.len() > 2 => &long[2..],
        _ => return None,
    })
}

/// Every (key, flag) clash between the file's keys and the sources' flags.
pub fn find<'a>(keys: impl IntoIterator<Item = &'a str>, sources: &[FlagSource]) -> Vec<Conflict> {
    let keys: Vec<&str> = keys.into_iter().collect();
    let mut out = Vec::new();
    for s in sources {
        for arg in s.args.iter().filter(|a| a.starts_with('-')) {
            if let Some(key) = flag_key(arg) {
                if keys.contains(&key)
                    && !out
                        .iter()
                        .any(|c: &Conflict| c.key == key && c.origin == s.origin)
                {
                    out.push(Conflict {
                        key: key.to_owned(),
                        flag: arg.clone(),
                        origin: s.origin.clone(),
                    });
                }
            }
        }
    }
    out
}

/// `DOCKER_OPTS="..."` (Debian's /etc/default/docker) or `OPTIONS='...'` (/etc/sysconfig/docker), uncommented.
pub fn options_variable(file: &str, var: &str) -> Vec<String> {
    let mut args = Vec::new();
    for line in file.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let line = line.strip_prefix("export ").unwrap_or(line);
        if let Some(value) = line.strip_prefix(var).and_then(|r| r.strip_prefix('=')) {
            args.extend(split_words(
                value.trim().trim_matches(|c| c == '"' || c == '\''),
            ));
        }
    }
    args
}

/// Whitespace splitting that keeps quoted parts together — enough for the option lines dockerd is started with.
pub fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(origin: &str, line: &str) -> FlagSource {
        FlagSource {
            origin: origin.into(),
            args: split_words(line),
        }
    }

    #[test]
    fn finds_the_exact_flag_and_where_it_is() {
        let sources = [
            src(
                "the unit's ExecStart",
                "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock",
            ),
            src(
                "/etc/default/docker (DOCKER_OPTS)",
                "--registry-mirror=https://old.example --dns 8.8.8.8",
            ),
        ];
        let c = find(["registry-mirrors", "log-driver", "hosts"], &sources);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].key, "hosts");
        assert_eq!(c[0].flag, "-H");
        assert_eq!(
            c[1],
            Conflict {
                key: "registry-mirrors".into(),
                flag: "--registry-mirror=https://old.example".into(),
                origin: "/etc/default/docker (DOCKER_OPTS)".into()
            }
        );
        assert!(find(["data-root"], &sources).is_empty());
        assert!(find(
            ["config-file"],
            &[src("x", "dockerd --config-file /x.json")]
        )
        .is_empty());
    }

    #[test]
    fn options_files() {
        let debian = "# Use DOCKER_OPTS to modify the daemon startup options.\n#DOCKER_OPTS=\"--dns 8.8.8.8\"\nDOCKER_OPTS=\"--insecure-registry 10.0.0.1:5000 --label 'a=b c'\"\n";
        assert_eq!(
            options_variable(debian, "DOCKER_OPTS"),
            ["--insecure-registry", "10.0.0.1:5000", "--label", "a=b c"]
        );
        assert_eq!(
            options_variable("OPTIONS='--selinux-enabled'", "OPTIONS"),
            ["--selinux-enabled"]
        );
        assert!(options_variable("#DOCKER_OPTS=\"-D\"", "DOCKER_OPTS").is_empty());
    }
}
