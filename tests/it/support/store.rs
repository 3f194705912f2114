//! A real dockerd on the containerd image store (`"features": {"containerd-snapshotter": true}`, storage driver
//! `native`), in a mount namespace of its own whose `/etc/docker` is a temp dir: dockerd reads
//! `/etc/docker/certs.d/<host>/hosts.toml` at each pull, and no test may write the machine's /etc.
//!
//! It is `Dockerd` (the private systemctl, the socket and data under the test's dir) with one more directory first
//! on the engine's PATH: a `dockerd` that enters the namespace and execs the real one (`unshare` without `--fork`
//! execs, so the PID the systemctl tracks and HUPs is dockerd's own).

use std::path::{Path, PathBuf};

use super::dockerd::Dockerd;
use super::engines::{self, Engine};

pub struct StoreDockerd {
    pub d: Dockerd,
    /// What dockerd sees as `/etc/docker/certs.d` (give mirrorctl `--certs-dir` this).
    pub certs_d: PathBuf,
}

/// forky's Engine 28.5: the generation whose containerd store the issue measured (Engine 29's default store).
pub fn engine_28() -> Engine {
    engines::all()
        .into_iter()
        .find(|e| e.name.contains("28.5"))
        .expect("forky's engine in the suite")
}

/// The mount namespace: `/etc/docker` bound to `etc_docker` when the machine has that directory; otherwise an
/// overlay of /etc whose upper layer is a tmpfs of the namespace (a mount point needs a directory, and creating
/// /etc/docker would write the machine's /etc).
const WRAPPER: &str = r#"#!/bin/sh
# dockerd in a private mount namespace whose /etc/docker is __ETC_DOCKER__ (written by tests/it/support/store.rs).
exec unshare --mount --propagation private sh -c '
set -e
if [ -d /etc/docker ]; then
  mount --bind "$0" /etc/docker
else
  t="$0.ovl"; mkdir -p "$t"; mount -t tmpfs tmpfs "$t"; mkdir -p "$t/up/docker" "$t/work"
  mount -t overlay overlay -o "lowerdir=/etc,upperdir=$t/up,workdir=$t/work" /etc
  mount --bind "$0" /etc/docker
fi
real="$1"; shift
# The classic driver Dockerd passes (vfs) is no snapshotter: the containerd store takes native here.
for a in "$@"; do
  shift
  case "$a" in --storage-driver=vfs) set -- "$@" --storage-driver=native ;; *) set -- "$@" "$a" ;; esac
done
exec "$real" "$@"
' "__ETC_DOCKER__" "__REAL__" "$@"
"#;

impl StoreDockerd {
    /// `user_config` is a JSON object; the containerd store's feature is added to it.
    pub fn start(dir: &Path, user_config: &str) -> Self {
        let engine = engine_28();
        let etc_docker = dir.join("etc-docker");
        let certs_d = etc_docker.join("certs.d");
        std::fs::create_dir_all(&certs_d).unwrap();
        let wrap = dir.join("store-bin");
        std::fs::create_dir_all(&wrap).unwrap();
        let script = WRAPPER
            .replace("__ETC_DOCKER__", &etc_docker.display().to_string())
            .replace("__REAL__", &engine.bin("dockerd").display().to_string());
        std::fs::write(wrap.join("dockerd"), script).unwrap();
        std::fs::set_permissions(
            wrap.join("dockerd"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let mut bins = vec![wrap];
        bins.extend(engine.bins.iter().cloned());
        let store = Engine {
            name: "forky dockerd 28.5 + containerd 2.1, containerd image store",
            bins,
            modern: true,
        };
        let config = user_config.replacen(
            '{',
            "{\n    \"features\": {\"containerd-snapshotter\": true},",
            1,
        );
        let d = Dockerd::start(&store, &dir.join("dockerd"), &config, &[]);
        Self { d, certs_d }
    }
}
