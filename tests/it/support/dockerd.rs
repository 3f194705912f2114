//! A real dockerd for tests, run as root with everything under a temp dir (vfs storage, no iptables, no bridge, its
//! own data-root, exec-root and unix socket), and a private `systemctl` first on PATH that really stops, starts and
//! HUPs that dockerd — the way mirrorctl will meet systemd on a server. An engine on the containerd image store
//! runs the same way, inside the mount namespace of support/store.rs, with `native` storage instead of vfs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::engines::{Engine, ImageStore};

pub struct Dockerd {
    pub dir: PathBuf,
    pub socket: PathBuf,
    /// The daemon.json this dockerd reads (`--config-file`).
    pub config: PathBuf,
    /// The bytes it was started with: the user's config plus the key that keeps dockerd's trust key in `dir`.
    pub original: String,
    bin: PathBuf,
    /// The engine generation's binaries, first on PATH for the private systemctl and for mirrorctl.
    engine_path: OsString,
    /// On the containerd image store: what dockerd sees as `/etc/docker/certs.d` (mirrorctl's `--certs-dir`).
    pub certs_d: Option<PathBuf>,
    /// The containerd store's mount namespace: dropped after the daemons are stopped (fields drop after `drop`).
    _namespace: Option<super::store::Namespace>,
}

const SYSTEMCTL: &str = r#"#!/bin/bash
# A private systemctl for one test dockerd. State lives in __STATE__.
S="__STATE__"
export PATH="__PATH__"
export DOCKER_CONFIG="$S/client"
echo "$*" >> "$S/systemctl.log"
args=()
for a in "$@"; do case "$a" in --user|--no-pager|-q|--quiet) ;; *) args+=("$a");; esac; done
pid() { cat "$S/main.pid" 2>/dev/null; }
alive() { local p; p=$(pid); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
stop() {
  if alive; then
    local p; p=$(pid); kill -TERM "$p"
    for _ in $(seq 1 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$S/main.pid"
}
containerd_up() {
  # dockerd's own managed containerd would create /opt/containerd; ours runs with that plugin off, inside $S.
  local p; p=$(cat "$S/containerd.pid" 2>/dev/null)
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null && return 0
  setsid containerd --config "$S/containerd.toml" >> "$S/containerd.log" 2>&1 < /dev/null &
  echo $! > "$S/containerd.pid"
  for _ in $(seq 1 300); do [ -S "$S/containerd.sock" ] && return 0; sleep 0.1; done
  echo "containerd did not start" >&2; return 1
}
# Environment= lines of the unit's drop-ins, as systemd would pass them (mirrorctl proxy writes one).
dropin_env() {
  local f
  for f in "$S"/systemd/docker.service.d/*.conf; do
    [ -e "$f" ] && sed -n 's/^Environment="\(.*\)"$/\1/p' "$f"
  done
}
start() {
  containerd_up || return 1
  mapfile -t denv < <(dropin_env)
  mapfile -t dargs < "$S/dockerd.args"
  # The proxy keeps a fallback to registry-1.docker.io on loopback: no test may reach off this machine.
  env HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost "${denv[@]}" \
    setsid dockerd "${dargs[@]}" >> "$S/dockerd.log" 2>&1 < /dev/null &
  echo $! > "$S/main.pid"
  for _ in $(seq 1 600); do
    if ! alive; then
      rm -f "$S/main.pid"
      echo "Job for docker.service failed because the control process exited with error code." >&2
      return 1
    fi
    docker -H "unix://$S/docker.sock" version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "dockerd did not answer within 60s" >&2
  return 1
}
case "${args[0]}" in
  daemon-reload|reset-failed) exit 0 ;;
  start) alive && exit 0; start ;;
  stop) stop ;;
  stop-all) stop; p=$(cat "$S/containerd.pid" 2>/dev/null); [ -n "$p" ] && kill "$p" 2>/dev/null; for _ in $(seq 1 300); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done ;;
  restart)
    if [ -e "$S/fail-restart" ]; then
      rm -f "$S/fail-restart"; stop
      echo "Job for docker.service failed because the control process exited with error code." >&2
      exit 1
    fi
    if [ -e "$S/hang-restart" ]; then
      rm -f "$S/hang-restart"; stop
      echo "restart hanging" >> "$S/systemctl.log"
      exec sleep 600
    fi
    stop; start ;;
  reload) alive || { echo "docker.service is not active, cannot reload." >&2; exit 1; }; kill -HUP "$(pid)" ;;
  is-active) if alive; then echo active; else echo inactive; exit 3; fi ;;
  show)
    case "${args[3]}" in
      ExecStart) echo "{ path=/usr/sbin/dockerd ; argv[]=/usr/sbin/dockerd $(tr '\n' ' ' < "$S/dockerd.args"); ignore_errors=no ; start_time=[n/a] }" ;;
      MainPID) if alive; then pid; else echo 0; fi ;;
    esac ;;
  *) echo "private systemctl: unsupported: $*" >&2; exit 1 ;;
esac
"#;

impl Dockerd {
    /// Writes `user_config` merged with the keys that keep this dockerd inside `dir`, and starts it through the
    /// private systemctl. `flags` are extra dockerd command-line flags (to provoke flag/file conflicts).
    pub fn start(engine: &Engine, dir: &Path, user_config: &str, flags: &[&str]) -> Self {
        for bin in ["dockerd", "docker", "containerd"] {
            engine.bin(bin);
        }
        // The containerd store: dockerd in its mount namespace (the wrapper first on PATH), the feature in the
        // user's file as a user turns it on, and a snapshotter for a driver (vfs is a graph driver only).
        let (engine, namespace, feature, driver) = match engine.store {
            ImageStore::Classic => (engine.clone(), None, None, "vfs"),
            ImageStore::Containerd => {
                let mut wrapped = engine.clone();
                let (wrap, namespace) = super::store::prepare(dir, engine);
                wrapped.bins.insert(0, wrap);
                (
                    wrapped,
                    Some(namespace),
                    Some(super::store::FEATURE),
                    "native",
                )
            }
        };
        let engine = &engine;
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        let socket = dir.join("docker.sock");
        let config = dir.join("daemon.json");
        // dockerd 20.10 writes its trust key to /etc/docker/key.json unless daemon.json says otherwise (it has no
        // flag for it), so the key goes first into the user's file; tests compare against `original`.
        let key = format!(
            "\"deprecated-key-path\": \"{}\",",
            dir.join("key.json").display()
        );
        let indent = user_config
            .lines()
            .nth(1)
            .map_or("", |l| &l[..l.len() - l.trim_start().len()]);
        let feature = feature.map_or(String::new(), |f| format!("\n{indent}{f}"));
        let original = user_config.replacen('{', &format!("{{\n{indent}{key}{feature}"), 1);
        std::fs::write(&config, &original).unwrap();
        let containerd_config = format!(
            "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.internal.v1.opt\"]\n[grpc]\n  address = \"{sock}\"\n",
            root = dir.join("containerd-root").display(),
            state = dir.join("containerd-state").display(),
            sock = dir.join("containerd.sock").display(),
        );
        std::fs::write(dir.join("containerd.toml"), containerd_config).unwrap();
        let mut args = vec!["--config-file".to_owned(), config.display().to_string()];
        for (flag, value) in [
            ("--data-root", dir.join("data").display().to_string()),
            ("--exec-root", dir.join("exec").display().to_string()),
            ("--pidfile", dir.join("dockerd.pid").display().to_string()),
            ("--host", format!("unix://{}", socket.display())),
            ("--storage-driver", driver.into()),
            ("--iptables", "false".into()),
            ("--bridge", "none".into()),
            (
                "--containerd",
                dir.join("containerd.sock").display().to_string(),
            ),
        ] {
            args.push(format!("{flag}={value}"));
        }
        args.extend(flags.iter().map(|f| f.to_string()));
        std::fs::write(dir.join("dockerd.args"), args.join("\n") + "\n").unwrap();
        super::install_systemctl(dir, SYSTEMCTL, engine);
        let d = Self {
            dir: dir.to_owned(),
            socket,
            config,
            original,
            bin: dir.join("bin"),
            engine_path: engine.path_env(),
            certs_d: (engine.store == ImageStore::Containerd).then(|| super::store::certs_d(dir)),
            _namespace: namespace,
        };
        let out = d.systemctl(&["start", "docker"]);
        assert!(
            out.status.success(),
            "dockerd ({}) did not start: {}\n{}",
            engine.name,
            String::from_utf8_lossy(&out.stderr),
            d.log()
        );
        d.assert_store(engine);
        d
    }

    /// The store `/info` reports (DriverStatus `driver-type`, as mirrorctl reads it) is the one the engine asks
    /// for: a test on the containerd store must not pass on the classic one because the feature was not taken.
    fn assert_store(&self, engine: &Engine) {
        let out = self.docker(&["info", "--format", "{{json .DriverStatus}}"]);
        let status = String::from_utf8_lossy(&out.stdout);
        let snapshotter = status.contains("io.containerd.snapshotter.v1");
        assert!(
            out.status.success() && snapshotter == (engine.store == ImageStore::Containerd),
            "{}: dockerd runs on the wrong image store: DriverStatus {status}{}",
            engine.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default()
    }

    pub fn systemctl_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("systemctl.log")).unwrap_or_default()
    }

    /// PATH with the private systemctl first, then the engine's binaries.
    pub fn path_env(&self) -> OsString {
        let mut p = OsString::from(&self.bin);
        p.push(":");
        p.push(&self.engine_path);
        p
    }

    /// `--certs-dir DIR` on the containerd store, so that mirrorctl reads the certs.d this dockerd reads (apply and
    /// watch check its docker.io hosts.toml there); nothing on the classic store, which never reads one.
    pub fn certs_dir_args(&self) -> Vec<OsString> {
        match &self.certs_d {
            Some(dir) => vec!["--certs-dir".into(), dir.into()],
            None => vec![],
        }
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    pub fn systemctl(&self, args: &[&str]) -> Output {
        Command::new(self.bin.join("systemctl"))
            .args(args)
            .env("PATH", self.path_env())
            .output()
            .unwrap()
    }

    pub fn docker(&self, args: &[&str]) -> Output {
        Command::new("docker")
            .env("PATH", &self.engine_path)
            .env("DOCKER_CONFIG", self.dir.join("client"))
            .arg("-H")
            .arg(self.host())
            .args(args)
            .output()
            .unwrap()
    }

    pub fn is_active(&self) -> bool {
        self.systemctl(&["is-active", "docker"]).status.success()
    }

    /// `docker info`'s mirror list, through the real client.
    pub fn live_mirrors(&self) -> Vec<String> {
        let out = self.docker(&["info", "--format", "{{json .RegistryConfig.Mirrors}}"]);
        assert!(
            out.status.success(),
            "docker info failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Option<Vec<String>>>(&out.stdout)
            .unwrap()
            .unwrap_or_default()
    }

    pub fn main_pid(&self) -> String {
        std::fs::read_to_string(self.dir.join("main.pid"))
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// The next `systemctl restart docker` stops dockerd and fails, as when the new config makes it exit.
    pub fn fail_next_restart(&self) {
        std::fs::write(self.dir.join("fail-restart"), b"").unwrap();
    }
}

impl Dockerd {
    /// Starts a long-running container from a one-file image (Debian's static busybox, `docker import`ed) with no
    /// network, and returns its id.
    pub fn run_busybox(&self) -> String {
        let root = self.dir.join("busybox-rootfs");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::copy(
            super::require("busybox", "busybox-static"),
            root.join("bin/busybox"),
        )
        .unwrap();
        let tar = self.dir.join("busybox.tar");
        let status = Command::new("tar")
            .arg("-C")
            .arg(&root)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .unwrap();
        assert!(status.success());
        let out = self.docker(&[
            "import",
            &tar.display().to_string(),
            "mirrorctl-busybox:test",
        ]);
        assert!(
            out.status.success(),
            "docker import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = self.docker(&[
            "run",
            "-d",
            "--network",
            "none",
            "mirrorctl-busybox:test",
            "/bin/busybox",
            "sleep",
            "3600",
        ]);
        assert!(
            out.status.success(),
            "docker run: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `docker inspect`'s running state and start time of a container.
    pub fn started_at(&self, id: &str) -> (bool, String) {
        let out = self.docker(&[
            "inspect",
            "-f",
            "{{.State.Running}} {{.State.StartedAt}}",
            id,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let (running, at) = text.trim().split_once(' ').unwrap();
        (running == "true", at.to_owned())
    }

    /// The next `systemctl restart docker` stops dockerd and then hangs, as a stuck unit does.
    pub fn hang_next_restart(&self) {
        std::fs::write(self.dir.join("hang-restart"), b"").unwrap();
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let _ = self.systemctl(&["stop-all", "docker"]);
    }
}
