//! What this machine is, read once per run and shared: who we are (root, rootless Docker), its init system, where
//! its dockerd reads daemon.json, which dockerd and containerd would be started and their versions. Every command
//! asks here instead of looking again. (The terminal's width is asked each time it prints: a window can be resized
//! during a long probe.)

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::targets::containerd::Major;

#[derive(Debug)]
pub struct Host {
    pub uid: u32,
    /// A non-root user whose own dockerd socket exists runs rootless Docker.
    pub rootless: bool,
    /// `dockerd --version` of the dockerd on PATH (or /usr/sbin): `26.1.5+dfsg1`.
    pub dockerd: Option<String>,
    /// `containerd --version`'s major, when containerd is installed.
    pub containerd: Option<Major>,
    /// The init system that manages services here, when one is recognised.
    pub init: Option<crate::service::Init>,
    /// Where this platform's dockerd reads daemon.json when no `--config` is given.
    pub daemon_json: PathBuf,
}

impl Host {
    /// The facts, read on first use.
    pub fn get() -> &'static Host {
        static HOST: OnceLock<Host> = OnceLock::new();
        HOST.get_or_init(Host::read)
    }

    fn read() -> Host {
        let uid = std::fs::metadata("/proc/self")
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
            .unwrap_or(0);
        let rootless =
            uid != 0 && dirs::runtime_dir().is_some_and(|d| d.join("docker.sock").exists());
        Host {
            uid,
            rootless,
            dockerd: crate::dockerd::installed_version(),
            containerd: version_of("containerd").and_then(|v| Major::from_version_output(&v)),
            init: crate::service::Init::detect(rootless),
            daemon_json: if cfg!(target_os = "macos") {
                dirs::home_dir()
                    .unwrap_or_default()
                    .join(".docker/daemon.json")
            } else if rootless {
                dirs::config_dir()
                    .unwrap_or_default()
                    .join("docker/daemon.json")
            } else {
                crate::dockerd::flags::sysconfdir().join("docker/daemon.json")
            },
        }
    }

    /// The engine version as the option table counts them.
    pub fn dockerd_version(&self) -> Option<crate::dockerd::Version> {
        self.dockerd
            .as_deref()
            .and_then(crate::dockerd::Version::parse)
    }

    /// containerd's generation for a config.toml: its own `version` (2: containerd 1.x, 3: 2.x) says it best, then
    /// the installed binary, then 1.x.
    pub fn containerd_major(&self, config: Option<&str>) -> Major {
        let declared = config
            .and_then(|t| t.parse::<toml::Table>().ok())
            .and_then(|t| t.get("version").and_then(toml::Value::as_integer));
        match declared {
            // Which 2.x the file is for, only the binary knows.
            Some(3) => match self.containerd {
                Some(Major::V2_2) => Major::V2_2,
                _ => Major::V2,
            },
            Some(2) => Major::V1,
            _ => self.containerd.unwrap_or(Major::V1),
        }
    }
}

/// `NAME --version`'s output, for a binary on PATH.
fn version_of(name: &str) -> Option<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let bin: PathBuf = std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())?;
    let out = std::process::Command::new(bin)
        .arg("--version")
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
