//! The three engine generations every real-daemon test runs on: Debian bookworm's (Engine 20.10, containerd 1.6, the
//! system's packages), trixie's (Engine 26.1, containerd 1.7) and forky's (Engine 28.5, containerd 2.1), the last
//! two extracted under target/engines by scripts/engines.sh without touching the system's packages. A fourth
//! "generation" is forky's engine again on the containerd image store (Engine 29's default for new installs):
//! `Dockerd::start` honours `Engine::store`, so a test body runs on it unchanged (`each_with_store`).

use std::ffi::OsString;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use super::require;

#[derive(Clone)]
pub struct Engine {
    /// For failure messages: which engine a test was running on.
    pub name: &'static str,
    /// A short name for file names (a socket path must stay under 108 bytes): dockerd's version, and the store.
    pub tag: &'static str,
    /// Directories put first on PATH (dockerd, containerd, ctr, docker); empty for the system's own.
    pub bins: Vec<PathBuf>,
    /// Engine 23 and later: `--validate`, daemon.json `proxies`, lenient BOM and empty files.
    pub modern: bool,
    /// The image store dockerd runs on; `Dockerd::start` sets it up (see support/store.rs).
    pub store: ImageStore,
}

/// dockerd's image store: the classic graph drivers, or containerd's snapshotters
/// (`"features": {"containerd-snapshotter": true}`), which resolve registries through `/etc/docker/certs.d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageStore {
    Classic,
    Containerd,
}

impl Engine {
    /// PATH with this engine's binaries first.
    pub fn path_env(&self) -> OsString {
        let mut dirs: Vec<PathBuf> = self.bins.clone();
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        dirs.extend(["/usr/sbin".into(), "/sbin".into()]);
        std::env::join_paths(dirs).unwrap()
    }

    /// One of this engine's binaries (`dockerd`, `containerd`, `ctr`, `docker`).
    pub fn bin(&self, name: &str) -> PathBuf {
        for dir in &self.bins {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
        let package = if name.starts_with("docker") {
            "docker.io"
        } else {
            "containerd"
        };
        require(name, package)
    }
}

/// The `usr` directory of a suite extracted by scripts/engines.sh.
fn extracted(suite: &str) -> PathBuf {
    let usr = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/engines/{suite}/usr"));
    assert!(
        usr.join("sbin/dockerd").is_file() && usr.join("bin/containerd").is_file(),
        "{suite}'s engine is missing under {}: run `bash scripts/engines.sh` (scripts/test.sh and .ci/run do)",
        usr.display()
    );
    usr
}

pub fn all() -> Vec<Engine> {
    let trixie = extracted("trixie");
    let forky = extracted("forky");
    vec![
        Engine {
            name: "bookworm dockerd 20.10 + containerd 1.6",
            tag: "20.10",
            bins: vec![],
            modern: false,
            store: ImageStore::Classic,
        },
        Engine {
            name: "trixie dockerd 26.1 + containerd 1.7",
            tag: "26.1",
            bins: vec![trixie.join("sbin"), trixie.join("bin")],
            modern: true,
            store: ImageStore::Classic,
        },
        Engine {
            name: "forky dockerd 28.5 + containerd 2.1",
            tag: "28.5",
            bins: vec![forky.join("sbin"), forky.join("bin")],
            modern: true,
            store: ImageStore::Classic,
        },
    ]
}

/// Forky's Engine 28.5 on the containerd image store: the store the issue measured by hand, and the one Engine 29
/// turns on for new installs. 20.10 has no such store; 26.1 has it, but a user who meets it runs 28 or later, and
/// one generation on it keeps CI's time in bounds.
pub fn containerd_store() -> Engine {
    let mut engine = all().remove(2);
    engine.name = "forky dockerd 28.5 + containerd 2.1, containerd image store";
    engine.tag = "28.5-containerd-store";
    engine.store = ImageStore::Containerd;
    engine
}

/// Runs `test` on every engine generation; a failure says which engine it happened on.
pub fn each(test: impl Fn(&Engine)) {
    run_on(all(), test);
}

/// `each`, and then once more on 28.5 with the containerd image store: for the tests whose dockerd pulls, reloads
/// or restarts (apply, watch, pulls through a mirror), where the store changes what dockerd does underneath.
pub fn each_with_store(test: impl Fn(&Engine)) {
    let mut engines = all();
    engines.push(containerd_store());
    run_on(engines, test);
}

/// Runs `test` on 20.10 and 28.5 only, for the slow tests where 26.1 adds nothing: 26.1 and 28.5 take the same
/// paths there (lenient reading, `--validate`, daemon.json `proxies`, the same signal in the test), and the
/// differential test holds each engine's own start-up rules.
pub fn oldest_and_newest(test: impl Fn(&Engine)) {
    let mut engines = all();
    engines.remove(1);
    run_on(engines, test);
}

/// `oldest_and_newest`, and 28.5 on the containerd image store: the slow apply and watch tests — mirrorctl's own
/// rollback (a failed restart, a signal mid-restart, a failed reload with docker down) and watch's reordering after
/// a replacement. The store adds what 26.1 does not: dockerd comes back on the old file with its images and
/// containers in containerd's snapshotter, and resolves docker.io through certs.d's fallback to registry-mirrors.
pub fn oldest_newest_and_store(test: impl Fn(&Engine)) {
    let mut engines = all();
    engines.remove(1);
    engines.push(containerd_store());
    run_on(engines, test);
}

fn run_on(engines: Vec<Engine>, test: impl Fn(&Engine)) {
    let name = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_owned();
    if !super::needs_root(&name) {
        return;
    }
    for engine in engines {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| test(&engine))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            match message {
                Some(m) => panic!("on {}: {m}", engine.name),
                None => resume_unwind(panic),
            }
        }
    }
}
