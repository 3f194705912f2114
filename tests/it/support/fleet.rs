//! A fleet for the real `ansible-playbook`: several hosts that are this machine (`ansible_connection=local`), each
//! with its own daemon.json, state dir, unit dir and a private `systemctl` that logs every call, and the playbook
//! run with everything Ansible writes (its home, temp dirs; no retry files) inside a temp dir.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Map, Value};

use super::containerd::Containerd;
use super::dockerd::Dockerd;
use super::engines::Engine;
use super::require;

/// One host's `systemctl`, first on its PATH. Every call is logged; `docker` and `containerd` go to the private
/// systemctl of the host's real dockerd or containerd (which really restarts and HUPs it); mirrorctl's watch timer is enabled on paper; k3s (not
/// packaged for Debian) comes up when restarted; docker-registry runs the real binary on the host's config.yml.
const SYSTEMCTL: &str = r#"#!/bin/bash
S="__STATE__"
echo "$*" >> "$S/systemctl.log"
args=()
for a in "$@"; do case "$a" in --user|--no-pager|-q|--quiet|--now) ;; *) args+=("$a");; esac; done
verb="${args[0]}"
unit="${args[1]:-}"
unit="${unit%.service}"
case "$verb" in daemon-reload|reset-failed) exit 0 ;; esac
registry_alive() { local p; p=$(cat "$S/registry.pid" 2>/dev/null); [ -n "$p" ] && [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; }
registry_stop() {
  local p; p=$(cat "$S/registry.pid" 2>/dev/null)
  if [ -n "$p" ]; then kill -TERM "$p" 2>/dev/null; for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done; fi
  rm -f "$S/registry.pid"
}
case "$unit" in
  docker) exec "__DOCKERD__" "$@" ;;
  containerd) exec "__CONTAINERD__" "$@" ;;
  mirrorctl-watch.timer)
    case "$verb" in
      enable) touch "$S/timer-enabled" ;;
      disable) rm -f "$S/timer-enabled" ;;
      is-active) [ -e "$S/timer-enabled" ] ;;
      *) exit 1 ;;
    esac ;;
  k3s|k3s-agent)
    case "$verb" in
      restart|start) touch "$S/k3s-active" ;;
      is-active) [ -e "$S/k3s-active" ] ;;
      show) exit 0 ;;
      *) exit 1 ;;
    esac ;;
  docker-registry)
    case "$verb" in
      start) registry_alive || { setsid "__REGISTRY__" serve "$S/etc/docker/registry/config.yml" >> "$S/registry.log" 2>&1 < /dev/null & echo $! > "$S/registry.pid"; } ;;
      restart) registry_stop; setsid "__REGISTRY__" serve "$S/etc/docker/registry/config.yml" >> "$S/registry.log" 2>&1 < /dev/null & echo $! > "$S/registry.pid" ;;
      stop) registry_stop ;;
      is-active) registry_alive ;;
      show) exit 0 ;;
      *) exit 1 ;;
    esac ;;
  *) echo "private systemctl: unsupported: $*" >&2; exit 1 ;;
esac
"#;

pub struct Host {
    pub name: String,
    pub dir: PathBuf,
    pub daemon_json: PathBuf,
    pub dockerd: Option<Dockerd>,
    pub containerd: Option<Containerd>,
    path: String,
}

impl Host {
    /// A host with a real dockerd of this engine generation, started on `user_config`.
    pub fn docker(name: &str, dir: &Path, engine: &Engine, user_config: &str) -> Self {
        let d = Dockerd::start(engine, &dir.join("dockerd"), user_config, &[]);
        let path = d.path_env().to_string_lossy().into_owned();
        let systemctl = d.dir.join("bin/systemctl");
        let mut h = Self::make(name, dir, d.config.clone(), &path, (&systemctl, None));
        h.dockerd = Some(d);
        h
    }

    /// A Kubernetes worker: a real containerd (no CRI, no config_path yet) and no dockerd.
    pub fn containerd(name: &str, dir: &Path, engine: &Engine) -> Self {
        let cd = dir.join("containerd");
        let c = Containerd::start(engine, &cd, &Containerd::config_text(&cd, false, ""));
        let path = c.path_env(engine).to_string_lossy().into_owned();
        let file = dir.join("daemon.json");
        let systemctl = c.dir.join("bin/systemctl");
        let mut h = Self::make(
            name,
            dir,
            file,
            &path,
            (Path::new("/bin/false"), Some(&systemctl)),
        );
        h.containerd = Some(c);
        h
    }

    /// A host with no dockerd (a k3s node, the cache, a host whose mirrors are all dead): daemon.json is `text`.
    pub fn bare(name: &str, dir: &Path, daemon_json: &str) -> Self {
        let file = dir.join("daemon.json");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(&file, daemon_json).unwrap();
        let path = std::env::var("PATH").unwrap_or_default();
        Self::make(name, dir, file, &path, (Path::new("/bin/false"), None))
    }

    /// `systemctls`: the private systemctl of the host's dockerd, and of its containerd when it has one.
    fn make(
        name: &str,
        dir: &Path,
        daemon_json: PathBuf,
        path: &str,
        systemctls: (&Path, Option<&Path>),
    ) -> Self {
        let (dockerd, containerd) = systemctls;
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::create_dir_all(dir.join("etc/docker/registry")).unwrap();
        let script = dir.join("bin/systemctl");
        std::fs::write(
            &script,
            SYSTEMCTL
                .replace("__STATE__", &dir.display().to_string())
                .replace("__DOCKERD__", &dockerd.display().to_string())
                .replace(
                    "__CONTAINERD__",
                    &containerd
                        .unwrap_or(Path::new("/bin/false"))
                        .display()
                        .to_string(),
                )
                .replace(
                    "__REGISTRY__",
                    &require("docker-registry", "docker-registry")
                        .display()
                        .to_string(),
                ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        Self {
            name: name.to_owned(),
            dir: dir.to_owned(),
            daemon_json,
            dockerd: None,
            containerd: None,
            path: format!("{}:{path}", dir.join("bin").display()),
        }
    }

    /// Every call the host's systemctl got, one per line.
    pub fn systemctl_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("systemctl.log")).unwrap_or_default()
    }

    pub fn systemd_dir(&self) -> PathBuf {
        self.dir.join("systemd")
    }

    pub fn registry_config(&self) -> PathBuf {
        self.dir.join("etc/docker/registry/config.yml")
    }

    pub fn containerd_hosts_dir(&self) -> PathBuf {
        self.dir.join("containerd/certs.d")
    }

    pub fn k3s_config(&self) -> PathBuf {
        self.dir.join("k3s/registries.yaml")
    }

    /// The inventory's variables for this host: this machine, no sudo, and every path mirrorctl uses inside `dir`.
    pub fn vars(&self, extra: Value) -> Value {
        let d = |p: &str| self.dir.join(p).display().to_string();
        let docker_host = match &self.dockerd {
            Some(d) => d.host(),
            None => format!("unix://{}", self.dir.join("no-docker.sock").display()),
        };
        let mut vars = json!({
            "ansible_connection": "local",
            "ansible_become": false,
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "mirrorctl_bin": env!("CARGO_BIN_EXE_mirrorctl"),
            "mirrorctl_init": "systemd",
            "mirrorctl_daemon_json": self.daemon_json.display().to_string(),
            "mirrorctl_state_dir": d("state"),
            "mirrorctl_systemd_dir": self.systemd_dir().display().to_string(),
            "mirrorctl_registry_config": self.registry_config().display().to_string(),
            "mirrorctl_k3s_config": self.k3s_config().display().to_string(),
            "mirrorctl_containerd_config": d("containerd/config.toml"),
            "mirrorctl_containerd_hosts_dir": self.containerd_hosts_dir().display().to_string(),
            "mirrorctl_environment": {
                "PATH": self.path,
                "DOCKER_HOST": docker_host,
                "HOME": d("home"),
                "XDG_CACHE_HOME": d("cache"),
                "XDG_CONFIG_HOME": d("config"),
                "XDG_STATE_HOME": d("xdg-state"),
                "MIRRORCTL_SYSCONFDIR": d("etc"),
                "MIRRORCTL_DMI_DIR": d("dmi"),
                "LANG": "C.UTF-8",
                "NO_COLOR": "1",
            },
        });
        if let (Some(v), Value::Object(extra)) = (vars.as_object_mut(), extra) {
            v.extend(extra);
        }
        vars
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if self.dir.join("registry.pid").exists() {
            let _ = Command::new(self.dir.join("bin/systemctl"))
                .args(["stop", "docker-registry"])
                .output();
        }
    }
}

/// `ansible-playbook` with its home, temp dirs and config inside `dir`, and the json stdout callback.
pub struct Ansible {
    dir: PathBuf,
    bin: PathBuf,
}

/// One run: ansible-playbook's exit code and the json callback's document.
pub struct Play {
    pub code: i32,
    pub doc: Value,
}

impl Ansible {
    pub fn new(dir: &Path) -> Self {
        let bin = require("ansible-playbook", "ansible");
        std::fs::create_dir_all(dir.join("home")).unwrap();
        // An empty config of our own: no ansible.cfg from the working directory, ~ or /etc/ansible is read.
        std::fs::write(dir.join("ansible.cfg"), "[defaults]\n").unwrap();
        Self {
            dir: dir.to_owned(),
            bin,
        }
    }

    /// Runs `docs/<playbook>` on `inventory` (written as JSON, which Ansible's YAML inventory reads), limited to
    /// `limit` when given.
    pub fn run(&self, playbook: &str, inventory: &Value, limit: Option<&str>) -> Play {
        let file = self.dir.join("inventory.yml");
        std::fs::write(&file, serde_json::to_string_pretty(inventory).unwrap()).unwrap();
        let d = |p: &str| self.dir.join(p);
        let mut c = Command::new(&self.bin);
        c.arg("-i")
            .arg(&file)
            .arg(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("docs")
                    .join(playbook),
            )
            .current_dir(&self.dir)
            .env("ANSIBLE_CONFIG", d("ansible.cfg"))
            .env("HOME", d("home"))
            .env("ANSIBLE_HOME", d("ansible-home"))
            .env("ANSIBLE_LOCAL_TEMP", d("tmp-local"))
            .env("ANSIBLE_REMOTE_TEMP", d("tmp-remote"))
            .env("ANSIBLE_RETRY_FILES_ENABLED", "false")
            .env("ANSIBLE_STDOUT_CALLBACK", "json")
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_FORKS", "10")
            .env("ANSIBLE_INVENTORY_ENABLED", "yaml")
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL");
        for proxy in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            c.env_remove(proxy);
        }
        if let Some(l) = limit {
            c.args(["--limit", l]);
        }
        let out = c.output().expect("ansible-playbook runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "ansible-playbook printed no JSON ({e}): {}\n{stderr}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        // A warning or deprecation from Ansible is something in the playbook to fix, as a lint finding is.
        assert_eq!(stderr, "", "ansible-playbook warned");
        let play = Play {
            code: out.status.code().expect("exited"),
            doc,
        };
        for t in play.tasks() {
            for (host, r) in t["hosts"].as_object().unwrap_or(&Map::new()) {
                for what in ["warnings", "deprecations"] {
                    assert!(
                        r[what].as_array().is_none_or(Vec::is_empty),
                        "{host}: {}: {what}: {}",
                        t["task"]["name"],
                        r[what]
                    );
                }
            }
        }
        play
    }
}

impl Play {
    /// The recap's counts for a host: `ok`, `changed`, `failures`, `skipped`, `unreachable`.
    pub fn stats(&self, host: &str) -> &Value {
        &self.doc["stats"][host]
    }

    /// A host's result of the first task whose name starts with `task`.
    pub fn result(&self, task: &str, host: &str) -> &Value {
        self.tasks()
            .find(|t| {
                t["task"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(task))
            })
            .map(|t| &t["hosts"][host])
            .unwrap_or_else(|| panic!("no task {task:?} in {}", self.doc))
    }

    fn tasks(&self) -> impl Iterator<Item = &Value> {
        self.doc["plays"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["tasks"].as_array().into_iter().flatten())
    }

    /// For a failure message: the recap, and every failed task's message and mirrorctl's stderr.
    pub fn explain(&self) -> String {
        let mut s = format!("exit {}; stats {}\n", self.code, self.doc["stats"]);
        for t in self.tasks() {
            for (host, r) in t["hosts"].as_object().unwrap_or(&Map::new()) {
                if r["failed"] == true {
                    s.push_str(&format!(
                        "{host}: {}: {} {}\n",
                        t["task"]["name"], r["msg"], r["stderr"]
                    ));
                }
            }
        }
        s
    }
}
