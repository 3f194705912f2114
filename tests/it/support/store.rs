//! A real dockerd on the containerd image store (`"features": {"containerd-snapshotter": true}`, storage driver
//! `native`), in a mount namespace of its own whose `/etc/docker` is a temp dir: dockerd reads
//! `/etc/docker/certs.d/<host>/hosts.toml` at each pull, and no test may write the machine's /etc.
//!
//! `Dockerd::start` does this for an `Engine` whose store is `ImageStore::Containerd` (engines::containerd_store):
//! the private systemctl, the socket and data under the test's dir as for every engine, with one more directory
//! first on the engine's PATH: a `dockerd` that enters the namespace and execs the real one (`unshare` without
//! `--fork` execs, so the PID the systemctl tracks and HUPs is dockerd's own).

use std::path::{Path, PathBuf};

use super::dockerd::Dockerd;
use super::engines::{self, Engine};

pub struct StoreDockerd {
    pub d: Dockerd,
    /// What dockerd sees as `/etc/docker/certs.d` (give mirrorctl `--certs-dir` this).
    pub certs_d: PathBuf,
}

/// forky's Engine 28.5 (on the classic store): the generation whose containerd store the issue measured.
pub fn engine_28() -> Engine {
    engines::all().remove(2)
}

/// The mount namespace's holder: `/etc/docker` bound to `etc_docker` when the machine has that directory;
/// otherwise an overlay of /etc whose upper layer is a tmpfs of the namespace (a mount point needs a directory, and
/// creating /etc/docker would write the machine's /etc). It says `ready` and then lives as long as its stdin is
/// open: the test holds the pipe, so even a killed test leaves no process behind.
const HOLDER: &str = r#"
set -e
if [ -d /etc/docker ]; then
  mount --bind "$0" /etc/docker
else
  t="$0.ovl"; mkdir -p "$t"; mount -t tmpfs tmpfs "$t"; mkdir -p "$t/up/docker" "$t/work"
  mount -t overlay overlay -o "lowerdir=/etc,upperdir=$t/up,workdir=$t/work" /etc
  mount --bind "$0" /etc/docker
fi
echo ready
exec cat >/dev/null
"#;

/// `dockerd` and `containerd` first on PATH: the real one in the holder's namespace. Both must be in it: on the
/// containerd store dockerd itself mounts each container's rootfs (a bind mount of the native snapshot), and runc,
/// a child of containerd's shim, must see that mount (in a namespace of dockerd's own, runc found an empty rootfs).
/// nsenter without `--fork` execs, so the PID the private systemctl tracks and HUPs is the daemon's own.
const WRAPPER: &str = r#"#!/bin/sh
# __REAL__ in the mount namespace of a test dockerd on the containerd store (tests/it/support/store.rs).
exec nsenter --mount=/proc/__PID__/ns/mnt -- "__REAL__" "$@"
"#;

/// The namespace both daemons run in, kept while the `Dockerd` lives (its pipe closed on drop ends the holder; the
/// namespace itself goes with the last daemon in it).
pub struct Namespace {
    holder: std::process::Child,
}

impl Drop for Namespace {
    fn drop(&mut self) {
        drop(self.holder.stdin.take());
        let _ = self.holder.wait();
    }
}

/// What a containerd-store dockerd needs in its `dir`: the namespace, the wrappers (their directory goes first on
/// PATH) and its `/etc/docker`, whose certs.d (`certs_d(dir)`) is empty, so dockerd uses registry-mirrors for
/// docker.io.
pub fn prepare(dir: &Path, engine: &Engine) -> (PathBuf, Namespace) {
    use std::io::BufRead;
    let etc_docker = dir.join("etc-docker");
    std::fs::create_dir_all(certs_d(dir)).unwrap();
    let mut holder = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", HOLDER])
        .arg(&etc_docker)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("unshare (util-linux)");
    let mut said = String::new();
    let _ = std::io::BufReader::new(holder.stdout.take().unwrap()).read_line(&mut said);
    let ns = Namespace { holder };
    assert_eq!(said, "ready\n", "the mount namespace for {}", engine.name);
    let wrap = dir.join("store-bin");
    std::fs::create_dir_all(&wrap).unwrap();
    for name in ["dockerd", "containerd"] {
        let script = WRAPPER
            .replace("__PID__", &ns.holder.id().to_string())
            .replace("__REAL__", &engine.bin(name).display().to_string());
        std::fs::write(wrap.join(name), script).unwrap();
        std::fs::set_permissions(
            wrap.join(name),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
    }
    (wrap, ns)
}

/// What the dockerd of `dir` sees as `/etc/docker/certs.d`.
pub fn certs_d(dir: &Path) -> PathBuf {
    dir.join("etc-docker/certs.d")
}

/// The daemon.json key that turns the store on, as a user writes it.
pub const FEATURE: &str = "\"features\": {\"containerd-snapshotter\": true},";

impl StoreDockerd {
    /// `user_config` is a JSON object; the containerd store's feature is added to it.
    pub fn start(dir: &Path, user_config: &str) -> Self {
        let dir = dir.join("dockerd");
        let d = Dockerd::start(&engines::containerd_store(), &dir, user_config, &[]);
        let certs_d = d
            .certs_d
            .clone()
            .expect("a containerd-store dockerd has a certs.d");
        Self { d, certs_d }
    }
}
