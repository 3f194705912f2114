//! A real containerd for tests, everything under a temp dir (root, state, socket, CNI dirs), managed by a private
//! `systemctl` first on PATH that really starts, stops and restarts it as the `containerd` unit.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::engines::Engine;

const SYSTEMCTL: &str = r#"#!/bin/bash
# A private systemctl for one test containerd. State lives in __STATE__.
S="__STATE__"
export PATH="__PATH__"
echo "$*" >> "$S/systemctl.log"
args=()
for a in "$@"; do case "$a" in --user|--no-pager|-q|--quiet) ;; *) args+=("$a");; esac; done
pid() { cat "$S/main.pid" 2>/dev/null; }
alive() { local p; p=$(pid); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
stop() {
  if alive; then
    local p; p=$(pid); kill -TERM "$p"
    for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$S/main.pid" "$S/containerd.sock"
}
start() {
  setsid containerd --config "$S/config.toml" >> "$S/containerd.log" 2>&1 < /dev/null &
  echo $! > "$S/main.pid"
  for _ in $(seq 1 300); do
    alive || { rm -f "$S/main.pid"; echo "Job for containerd.service failed." >&2; return 1; }
    ctr --address "$S/containerd.sock" version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "containerd did not answer within 30s" >&2; return 1
}
case "${args[0]}" in
  daemon-reload|reset-failed) exit 0 ;;
  start) alive && exit 0; start ;;
  stop) stop ;;
  restart) stop; start ;;
  is-active) if alive; then echo active; else echo inactive; exit 3; fi ;;
  show)
    case "${args[3]}" in
      MainPID) if alive; then pid; else echo 0; fi ;;
      *) echo ;;
    esac ;;
  *) echo "private systemctl: unsupported: $*" >&2; exit 1 ;;
esac
"#;

pub struct Containerd {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub config: PathBuf,
    bin: PathBuf,
}

impl Containerd {
    /// A config.toml that keeps containerd, its CRI plugin and CNI inside `dir`; `extra` is appended.
    pub fn config_text(dir: &Path, cri: bool, extra: &str) -> String {
        let disabled = if cri {
            "[\"io.containerd.internal.v1.opt\"]"
        } else {
            "[\"io.containerd.grpc.v1.cri\", \"io.containerd.internal.v1.opt\"]"
        };
        format!(
            "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\n# only what a test needs: no /opt\ndisabled_plugins = {disabled}\n\n[grpc]\n  address = \"{sock}\"\n\n[plugins.\"io.containerd.grpc.v1.cri\".cni]\n  conf_dir = \"{cni}/net.d\"\n  bin_dir = \"{cni}/bin\"\n{extra}",
            root = dir.join("root").display(),
            state = dir.join("state").display(),
            sock = dir.join("containerd.sock").display(),
            cni = dir.join("cni").display(),
        )
    }

    /// Writes `config` and starts containerd through the private systemctl.
    pub fn start(engine: &Engine, dir: &Path, config: &str) -> Self {
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("config.toml"), config).unwrap();
        super::install_systemctl(dir, SYSTEMCTL, engine);
        let c = Self {
            dir: dir.to_owned(),
            socket: dir.join("containerd.sock"),
            config: dir.join("config.toml"),
            bin: dir.join("bin"),
        };
        let out = c.systemctl(&["start", "containerd"]);
        assert!(
            out.status.success(),
            "containerd did not start: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            c.log()
        );
        c
    }

    /// PATH with the private systemctl first.
    pub fn path_env(&self, engine: &Engine) -> OsString {
        let mut p = OsString::from(&self.bin);
        p.push(":");
        p.push(engine.path_env());
        p
    }

    pub fn systemctl(&self, args: &[&str]) -> Output {
        Command::new(self.bin.join("systemctl"))
            .args(args)
            .output()
            .unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("containerd.log")).unwrap_or_default()
    }

    pub fn systemctl_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("systemctl.log")).unwrap_or_default()
    }

    pub fn main_pid(&self) -> String {
        std::fs::read_to_string(self.dir.join("main.pid"))
            .unwrap_or_default()
            .trim()
            .to_owned()
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let _ = self.systemctl(&["stop", "containerd"]);
    }
}
