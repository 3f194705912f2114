pub mod containerd;
pub mod dockerd;
pub mod docs;
pub mod engines;
pub mod fake_hub;
pub mod fake_registry;
pub mod fault_server;
pub mod files_server;
pub mod fleet;
pub mod image;
pub mod prometheus;
pub mod registry;
pub mod status_server;
pub mod store;
pub mod tinyproxy;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A directory that holds everything one test writes: cache, config, catalogue.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The binary, with HOME and the XDG dirs inside the sandbox, so no test reads or writes the real ones.
    pub fn mirrorctl(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mirrorctl"));
        c.env("HOME", self.path().join("home"))
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            // No daemon and no /etc of the machine's unless a test asks: the probe follows dockerd's proxy.
            .env(
                "DOCKER_HOST",
                format!("unix://{}", self.path().join("no-docker.sock").display()),
            )
            .env("MIRRORCTL_SYSCONFDIR", self.path().join("etc"))
            .env("MIRRORCTL_STATE_DIR", self.path().join("state"))
            .env("MIRRORCTL_DMI_DIR", self.path().join("dmi"))
            // The unit files doctor reads when systemctl cannot answer: none of the machine's.
            .env("SYSTEMD_UNIT_PATH", self.path().join("systemd-units"))
            // English unless a test asks for another language with --lang.
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "C.UTF-8")
            .env("NO_COLOR", "1");
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
        c
    }

    /// mirrorctl whose name lookups never leave the machine: in a mount namespace of its own, /etc/resolv.conf
    /// names 127.0.0.1, where nothing answers, so a name that /etc/hosts does not know fails at once — as on a
    /// machine without DNS — instead of asking the network.
    pub fn mirrorctl_no_dns(&self) -> Command {
        let resolv = self.path().join("resolv.conf");
        std::fs::write(
            &resolv,
            "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
        )
        .unwrap();
        let mut outer = Command::new("unshare");
        outer
            .args(private_mounts())
            .args(["sh", "-c"])
            .arg("mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"")
            .arg(&resolv);
        inside(outer, &self.mirrorctl())
    }

    /// `apply --mirror URL --no-probe --yes --no-restart --config PATH`: the file side of apply, no daemon involved.
    pub fn apply_file(&self, path: &Path, url: &str) -> Command {
        let mut c = self.mirrorctl();
        c.args([
            "apply",
            "--mirror",
            url,
            "--no-probe",
            "--yes",
            "--no-restart",
            "--config",
        ])
        .arg(path);
        c
    }

    /// Flags that point `show` and `doctor` at this sandbox's containerd and containers files, never the machine's.
    pub fn runtime_places(&self) -> Vec<std::ffi::OsString> {
        let p = self.path().join("runtimes");
        [
            ("--containerd-config", p.join("containerd/config.toml")),
            ("--containerd-hosts-dir", p.join("containerd/certs.d")),
            ("--containers-conf", p.join("containers/registries.conf")),
            ("--containers-dir", p.join("containers/registries.conf.d")),
        ]
        .into_iter()
        .flat_map(|(flag, path)| [flag.into(), path.into_os_string()])
        .collect()
    }

    /// Runs mirrorctl with these arguments and fails the test, showing stderr, unless it succeeds.
    pub fn run_ok<I, A>(&self, args: I) -> std::process::Output
    where
        I: IntoIterator<Item = A>,
        A: AsRef<std::ffi::OsStr>,
    {
        let out = self
            .mirrorctl()
            .args(args)
            .output()
            .expect("mirrorctl runs");
        assert_ok(&out);
        out
    }

    /// Writes a catalogue whose mirrors are `(name, url)`, all active.
    pub fn catalogue(&self, mirrors: &[(&str, String)]) -> PathBuf {
        let mut text = String::from("[catalogue]\nupdated = \"2026-11-24\"\n");
        for (name, url) in mirrors {
            text.push_str(&format!(
                "\n[[mirror]]\nname = \"{name}\"\nurl = \"{url}\"\nstatus = \"active\"\n"
            ));
        }
        let path = self.path().join("catalogue.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs `probe --json` on a catalogue and returns the document and the exit code.
    pub fn probe(&self, mirrors: &[(&str, String)], extra: &[&str]) -> (Value, i32) {
        let catalogue = self.catalogue(mirrors);
        let out = self
            .mirrorctl_no_dns()
            .args(["probe", "--json", "--catalogue"])
            .arg(&catalogue)
            .args(extra)
            .output()
            .expect("mirrorctl runs");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "probe --json printed no JSON ({e}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        docs::check::<docs::ProbeDoc>(&doc);
        (doc, out.status.code().expect("exited"))
    }
}

/// The result for one mirror in a probe document.
pub fn result<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {doc}"))
}

/// Writes a private `systemctl` (from `template`, with `__STATE__` and `__PATH__` filled in) to `dir/bin`, for one
/// test daemon; tests put `dir/bin` first on PATH.
pub fn install_systemctl(dir: &Path, template: &str, engine: &engines::Engine) {
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    let script = dir.join("bin/systemctl");
    std::fs::write(
        &script,
        template
            .replace("__STATE__", &dir.display().to_string())
            .replace("__PATH__", &engine.path_env().to_string_lossy()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// `outer` (say `unshare … sh -c …`) running `inner` with `inner`'s arguments and environment.
pub fn inside(mut outer: Command, inner: &Command) -> Command {
    outer.arg(inner.get_program()).args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => outer.env(k, v),
            None => outer.env_remove(k),
        };
    }
    outer
}

/// Fails the test, showing stderr, unless the command succeeded.
pub fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether the tests run as root, as CI does.
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

/// Tests that start real daemons (dockerd, containerd) or bind-mount over /etc in a private mount namespace need
/// root, as CI has. Run as another user they say so in one line and stop, instead of failing half-way.
pub fn needs_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    // CI runs as root: there a test that cannot run fails rather than passing without having run.
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test} needs root, and CI is not root"
    );
    eprintln!("skipped {test}: needs root (real dockerd/containerd, private mounts); `bash .ci/run` runs it as root");
    false
}

/// `unshare` arguments for a private mount namespace: as root directly, as another user inside a user namespace
/// of its own (where it is root).
pub fn private_mounts() -> Vec<&'static str> {
    if is_root() {
        vec!["--mount", "--propagation", "private"]
    } else {
        vec![
            "--user",
            "--map-root-user",
            "--mount",
            "--propagation",
            "private",
        ]
    }
}

/// A required system binary, or a failure naming the Debian package that provides it.
pub fn require(binary: &str, package: &str) -> PathBuf {
    for dir in std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
    {
        let p = Path::new(dir).join(binary);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{binary}` is not installed: run `apt-get install -y {package}` (or `bash .ci/run`, which does)");
}

/// skopeo as an unprivileged user in a user namespace of its own, with HOME and XDG dirs under `home`: as root it
/// would keep a blob-info cache in /var/lib/containers, and no test may write outside its temp dir.
pub fn skopeo(home: &Path) -> Command {
    let bin = require("skopeo", "skopeo");
    std::fs::create_dir_all(home).unwrap();
    let mut c = Command::new("unshare");
    c.arg("--user")
        .arg(bin)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_RUNTIME_DIR", home.join("run"));
    c
}

/// A `systemctl` in `dir/yes-bin` that answers yes to everything (restarts nothing): for changes whose service
/// side a test does not look at. Returns the directory to put first on PATH.
pub fn yes_systemctl(dir: &Path) -> PathBuf {
    let bin = dir.join("yes-bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("systemctl"), "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(
        bin.join("systemctl"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    bin
}
