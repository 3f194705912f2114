//! What this machine is, read once per run and shared: who we are (root, rootless Docker), its init system, where
//! its dockerd reads daemon.json, which dockerd and containerd would be started and their versions. Every command
//! asks here instead of looking again. The engines' versions cost a child process each (`dockerd --version` is a
//! 65 MiB process and ~90 ms here), so they are read when first asked, by the commands that need them only. (The terminal's width is asked each time it prints: a window can be resized
//! during a long probe.)

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[derive(Debug)]
pub struct Host {
    pub uid: u32,
    /// A non-root user whose own dockerd socket exists runs rootless Docker.
    pub rootless: bool,
    /// `dockerd --version` of the dockerd on PATH (or /usr/sbin), read on first use: see `dockerd()`.
    dockerd: OnceLock<Option<String>>,
    /// `containerd --version`, read on first use: see `containerd()`.
    containerd: OnceLock<Option<String>>,
    /// The init system that manages services here, when one is recognised.
    pub init: Option<Init>,
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
        #[cfg(unix)]
        let uid = std::fs::metadata("/proc/self")
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
            .unwrap_or(0);
        // Windows has no uid: never 0, so no rule meant for root applies (state.rs says why none is needed).
        #[cfg(windows)]
        let uid = u32::MAX;
        let rootless =
            uid != 0 && dirs::runtime_dir().is_some_and(|d| d.join("docker.sock").exists());
        Host {
            uid,
            rootless,
            dockerd: OnceLock::new(),
            containerd: OnceLock::new(),
            init: Init::detect(rootless),
            // macOS and Windows: the JSON file of the product the docker CLI uses (OrbStack's docker.json, Windows
            // containers' machine-wide file), so that show and doctor read what that engine reads; else Docker
            // Desktop's, joined a part at a time so Windows shows one separator (C:\Users\me\.docker\daemon.json).
            daemon_json: if let Some(d) = crate::sys::desktop::detect()
                .filter(|d| d.format == crate::sys::desktop::Format::Json)
            {
                d.config
            } else if cfg!(any(target_os = "macos", windows)) {
                dirs::home_dir()
                    .unwrap_or_default()
                    .join(".docker")
                    .join("daemon.json")
            } else if rootless {
                dirs::config_dir()
                    .unwrap_or_default()
                    .join("docker/daemon.json")
            } else {
                sysconfdir().join("docker/daemon.json")
            },
        }
    }

    /// `dockerd --version`'s version, `26.1.5+dfsg1`, when a dockerd is installed (asked once, when first needed).
    pub fn dockerd(&self) -> Option<&str> {
        self.dockerd.get_or_init(installed_version).as_deref()
    }

    /// `containerd --version`'s output, when containerd is installed (`targets::containerd::major` reads its
    /// generation; asked once, when first needed).
    pub fn containerd(&self) -> Option<&str> {
        self.containerd
            .get_or_init(|| version_of("containerd"))
            .as_deref()
    }
}

/// `dockerd --version` of the dockerd on PATH (or /usr/sbin), the one that systemd or an init script would start:
/// `26.1.5+dfsg1`.
fn installed_version() -> Option<String> {
    let out = std::process::Command::new(dockerd_binary()?)
        .arg("--version")
        .output()
        .ok()?;
    version_text(&String::from_utf8_lossy(&out.stdout))
}

/// `26.1.5+dfsg1` from `Docker version 26.1.5+dfsg1, build 411e817`.
pub fn version_text(output: &str) -> Option<String> {
    let v = output.split("version").nth(1)?.trim_start();
    let v = v.split([',', ' ']).next()?.to_owned();
    // The option table decides what counts as a version (`dockerd::Version`); here, only that it is one.
    v.starts_with(|c: char| c.is_ascii_digit()).then_some(v)
}

pub fn dockerd_binary() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|d| d.join("dockerd"))
        .find(|p| p.is_file())
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

/// `--config`, else where this platform's dockerd reads daemon.json (rootless Docker's own when it runs one),
/// symlinks followed.
pub fn locate(config: Option<&Path>) -> PathBuf {
    crate::sys::files::resolve(config.unwrap_or(&Host::get().daemon_json))
}

/// `/etc`, or `MIRRORCTL_SYSCONFDIR` (tests point it at a temp dir so they never read the machine's own files).
pub fn sysconfdir() -> PathBuf {
    PathBuf::from(std::env::var_os("MIRRORCTL_SYSCONFDIR").unwrap_or_else(|| "/etc".into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    Systemd { user: bool },
    Sysv,
    OpenRc,
}

impl Init {
    /// What manages services on this machine: systemd when it runs (`/run/systemd/system`), else OpenRC or SysV
    /// by their tools.
    pub fn detect(rootless: bool) -> Option<Self> {
        if Path::new("/run/systemd/system").is_dir() {
            Some(Init::Systemd { user: rootless })
        } else if which("rc-service") {
            Some(Init::OpenRc)
        } else if which("service") {
            Some(Init::Sysv)
        } else {
            None
        }
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}
