//! The team cache: the real docker-registry (distribution 2.8) set up by mirrorctl through a private service
//! manager, its upstreams real docker-registry mirrors of a test image, a real dockerd pulling through it, and
//! the ways a setup breaks.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use serde_json::Value;

use crate::support::dockerd::Dockerd;
use crate::support::image::Image;
use crate::support::registry::{free_port, Registry};
use crate::support::{assert_ok, docs, engines, require, Sandbox};

/// A private systemctl for one docker-registry unit, serving CONFIG as Debian's unit does: `start` forks and
/// returns at once, as systemd does for a simple service; `is-active` is whether the process still runs.
const SYSTEMCTL: &str = r#"#!/bin/bash
S="__STATE__"
CONFIG="__CONFIG__"
echo "$*" >> "$S/systemctl.log"
args=()
for a in "$@"; do case "$a" in --user|--no-pager|-q|--quiet) ;; *) args+=("$a");; esac; done
pid() { cat "$S/registry.pid" 2>/dev/null; }
# Running, and not a zombie waiting for a parent that does not reap it.
alive() { local p; p=$(pid); [ -n "$p" ] && [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; }
stop() {
  local p; p=$(pid)
  if [ -n "$p" ]; then kill -TERM "$p" 2>/dev/null; for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done; fi
  rm -f "$S/registry.pid"
}
start() {
  setsid __BIN__ serve "$CONFIG" >> "$S/registry.log" 2>&1 < /dev/null &
  echo $! > "$S/registry.pid"
}
case "${args[0]}" in
  daemon-reload|reset-failed) exit 0 ;;
  start) alive || start ;;
  stop) stop ;;
  restart) stop; start ;;
  is-active) alive ;;
  show) exit 0 ;;
  *) echo "private systemctl: unsupported: $*" >&2; exit 1 ;;
esac
"#;

struct Unit {
    dir: PathBuf,
    config: PathBuf,
}

impl Unit {
    fn new(sb: &Sandbox) -> Self {
        let dir = sb.path().join("unit");
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        let config = sb.path().join("etc/docker/registry/config.yml");
        std::fs::create_dir_all(config.parent().unwrap()).unwrap();
        let script = SYSTEMCTL
            .replace("__STATE__", &dir.display().to_string())
            .replace("__CONFIG__", &config.display().to_string())
            .replace(
                "__BIN__",
                &require("docker-registry", "docker-registry")
                    .display()
                    .to_string(),
            );
        std::fs::write(dir.join("bin/systemctl"), script).unwrap();
        std::fs::set_permissions(
            dir.join("bin/systemctl"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        Self { dir, config }
    }

    fn path_env(&self) -> String {
        format!(
            "{}:{}",
            self.dir.join("bin").display(),
            std::env::var("PATH").unwrap()
        )
    }

    fn systemctl(&self, args: &[&str]) -> Output {
        std::process::Command::new(self.dir.join("bin/systemctl"))
            .args(args)
            .output()
            .unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }

    /// Whether anything accepts a connection on this port right now.
    fn listening(&self, port: u16) -> bool {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    }

    /// Whether `/v2/` answers 200 on this port, polled until it does or 20 s pass.
    fn answers(&self, port: u16) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::{Read, Write};
                let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
                let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: x\r\n\r\n");
                let mut head = [0u8; 12];
                if s.read_exact(&mut head).is_ok() && &head[9..12] == b"200" {
                    return true;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        let _ = self.systemctl(&["stop", "docker-registry"]);
    }
}

fn mirrorctl(sb: &Sandbox, unit: &Unit, args: &[&str]) -> Output {
    sb.mirrorctl()
        .env("PATH", unit.path_env())
        .args(args)
        .arg("--registry-config")
        .arg(&unit.config)
        .output()
        .unwrap()
}

/// `cache setup` with metrics on a port of their own; the verification pulls `image`.
fn setup(
    sb: &Sandbox,
    unit: &Unit,
    listen: &str,
    storage: &Path,
    image: &str,
    extra: &[&str],
) -> Output {
    let storage = storage.display().to_string();
    let metrics = format!("127.0.0.1:{}", free_port());
    let mut args = vec![
        "cache",
        "setup",
        "--init",
        "systemd",
        "--yes",
        "--listen",
        listen,
        "--storage",
    ];
    args.extend([storage.as_str(), "--metrics", &metrics, "--image", image]);
    args.extend(extra);
    mirrorctl(sb, unit, &args)
}

const IMAGE: &str = "library/mirrorctl-cached:latest";

/// On each engine, and on 28.5's containerd image store, a real dockerd whose one mirror is the cache — with no
/// other route (its proxy is a closed loopback port) — pulls the test image.
fn pulls_through(sb: &Sandbox, name: &str, port: u16) {
    engines::each_with_store(|engine| {
        let d = Dockerd::start(
            engine,
            &sb.path().join(format!("{name}-{}", engine.tag)),
            &format!("{{\n    \"registry-mirrors\": [\"http://127.0.0.1:{port}\"]\n}}\n"),
            &[],
        );
        let pull = d.docker(&["pull", "mirrorctl-cached:latest"]);
        assert!(
            pull.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&pull.stderr),
            d.log()
        );
    });
}

/// Waits (20 s at most) until the cache's filesystem storage holds every blob of these request paths.
fn wait_stored(storage: &Path, paths: &[String]) {
    let stored = |p: &String| {
        let hex = p.rsplit("sha256:").next().unwrap_or_default();
        hex.len() == 64
            && storage
                .join(format!(
                    "docker/registry/v2/blobs/sha256/{}/{hex}/data",
                    &hex[..2]
                ))
                .is_file()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !paths.iter().all(stored) {
        assert!(
            std::time::Instant::now() < deadline,
            "the cache did not store {paths:#?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A registry holding `image`: what a mirror of Docker Hub looks like to the cache.
fn upstream(sb: &Sandbox, name: &str, images: &[&Image]) -> Registry {
    let r = Registry::start(&sb.path().join(name), None);
    for i in images {
        r.push(i, &sb.path().join(format!("{name}-work")));
    }
    r
}

/// The configuration the machine had before: a plain registry on its own port.
fn previous(unit: &Unit, sb: &Sandbox) -> (String, u16) {
    let port = free_port();
    let text = format!(
        "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
        sb.path().join("old-storage").display()
    );
    std::fs::write(&unit.config, &text).unwrap();
    assert!(unit
        .systemctl(&["start", "docker-registry"])
        .status
        .success());
    assert!(unit.answers(port), "{}", unit.log());
    (text, port)
}

#[test]
fn a_cache_is_set_up_pulled_through_by_dockerd_survives_its_upstream_and_is_repointed_by_watch() {
    if !crate::support::needs_root("cache") {
        return;
    }
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/mirrorctl-cached", "latest", 256 * 1024));
    let up1 = upstream(&sb, "up1", &[&image]);
    let up2 = upstream(&sb, "up2", &[&image]);
    let unit = Unit::new(&sb);
    let (_, old_port) = previous(&unit, &sb);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    // --probe (the default) chooses among the catalogue: up1 works, the other refuses connections.
    let catalogue = sb.catalogue(&[("up1", up1.url()), ("dead", "http://127.0.0.1:9".into())]);
    let out = setup(
        &sb,
        &unit,
        &listen,
        &sb.path().join("storage"),
        IMAGE,
        &["--json", "--catalogue", &catalogue.display().to_string()],
    );
    assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    docs::check::<docs::ChangeDoc>(&doc);
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["targets"][0]["activation"], "restart docker-registry");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("mirrorctl apply --mirror http://127.0.0.1:{port}")),
        "{err}"
    );
    let config = std::fs::read_to_string(&unit.config).unwrap();
    assert!(
        config.contains(&format!("remoteurl: \"{}\"", up1.url())),
        "{config}"
    );
    assert!(!unit.listening(old_port), "the old registry is gone");

    let status = mirrorctl(
        &sb,
        &unit,
        &["cache", "status", "--json", "--init", "systemd"],
    );
    assert_ok(&status);
    let s: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(s["health"]["status"], 200, "{s}");
    assert_eq!(s["upstream"], up1.url());
    assert_eq!(s["active"], true);
    assert!(
        s["storage_bytes"].as_u64().unwrap() > 0,
        "setup's own pull is stored: {s}"
    );

    pulls_through(&sb, "dockerd", port);

    // The upstream dies — once the cache has stored what it served (distribution stores in the background) —
    // and what the cache holds still pulls.
    let served: Vec<String> = up1
        .gets()
        .into_iter()
        .filter(|g| g.contains("/blobs/"))
        .collect();
    assert!(!served.is_empty());
    wait_stored(&sb.path().join("storage"), &served);
    let up1_url = up1.url();
    drop(up1);
    pulls_through(&sb, "dockerd2", port);

    // watch on the cache host: the dead upstream is replaced by the next working mirror, and the cache restarts.
    // The catalogue offers up2; the configured upstream (up1, now dead) is probed because it is configured.
    let catalogue = sb.catalogue(&[("up2", up2.url())]);
    let out = mirrorctl(
        &sb,
        &unit,
        &[
            "watch",
            "--once",
            "--cache",
            "--fail-after",
            "1",
            "--init",
            "systemd",
            "--yes",
            "--json",
            "--image",
            IMAGE,
            "--catalogue",
            &catalogue.display().to_string(),
        ],
    );
    assert_ok(&out);
    let w: Value = serde_json::from_slice(&out.stdout).unwrap();
    docs::check::<docs::WatchDoc>(&w);
    assert_eq!(w["changed"], true, "{w}");
    assert_eq!(w["after"], serde_json::json!([format!("{}/", up2.url())]));
    let after = std::fs::read_to_string(&unit.config).unwrap();
    // Only the upstream's line changed.
    assert_eq!(
        after,
        config.replace(
            &format!("remoteurl: \"{}\"", up1_url),
            &format!("remoteurl: \"{}\"", up2.url())
        )
    );
    assert!(unit.answers(port));
}

#[test]
fn warm_fills_the_cache_and_a_second_warm_costs_the_upstream_nothing() {
    if !crate::support::needs_root("cache warm") {
        return;
    }
    let sb = Sandbox::new();
    let a = Image::new("library/mirrorctl-warm-a", "latest", 128 * 1024);
    let b = Image::new("library/mirrorctl-warm-b", "1.0", 64 * 1024);
    let up = upstream(&sb, "up", &[&a, &b]);
    let unit = Unit::new(&sb);
    let (old, old_port) = previous(&unit, &sb);
    let port = free_port();
    let storage = sb.path().join("storage");
    let out = setup(
        &sb,
        &unit,
        &format!("127.0.0.1:{port}"),
        &storage,
        "library/mirrorctl-warm-a:latest",
        &["--upstream", &up.url()],
    );
    assert_ok(&out);
    let before: Vec<String> = up
        .gets()
        .into_iter()
        .filter(|g| g.contains("/blobs/"))
        .collect();
    let warm = |extra: &[&str]| {
        let mut args = vec![
            "cache",
            "warm",
            "mirrorctl-warm-a",
            "mirrorctl-warm-b:1.0",
            "--json",
        ];
        args.extend(extra);
        let out = mirrorctl(&sb, &unit, &args);
        assert_ok(&out);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc
    };
    let blob_gets = || -> Vec<String> {
        up.gets()
            .into_iter()
            .filter(|g| g.contains("/blobs/"))
            .collect()
    };
    let doc = warm(&[]);
    assert_eq!(doc["images"].as_array().unwrap().len(), 2, "{doc}");
    assert!(doc["bytes"].as_u64().unwrap() > 190 * 1024, "{doc}");
    // a's layer came with setup's own pull; a's config, b's config and b's layer are new. distribution 2.8 reads a
    // missed blob from its upstream twice — once to answer, once in the background to store it. Wait until the
    // three are stored (their files exist in the cache's storage), then warm again.
    let digests = || -> Vec<String> {
        let mut d: Vec<String> = blob_gets()
            .into_iter()
            .skip(before.len())
            .filter_map(|g| g.rsplit('/').next().map(String::from))
            .collect();
        d.sort();
        d.dedup();
        d
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while digests().len() < 3 {
        assert!(std::time::Instant::now() < deadline, "{:#?}", digests());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(digests().len(), 3, "{:#?}", digests());
    wait_stored(&storage, &digests());
    let fetched: Vec<String> = blob_gets().into_iter().skip(before.len()).collect();
    for d in digests() {
        let n = fetched.iter().filter(|g| g.ends_with(&d)).count();
        assert!(n <= 2, "{d} fetched {n} times: {fetched:#?}");
    }
    // Again, every platform: all of it comes from the cache, nothing from the upstream.
    let seen = blob_gets().len();
    warm(&["--platform", "all"]);
    assert_eq!(blob_gets().len(), seen, "{:#?}", &blob_gets()[seen..]);
    let status = mirrorctl(
        &sb,
        &unit,
        &["cache", "status", "--json", "--init", "systemd"],
    );
    let s: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_ok(&status);
    let blobs = &s["served"]["blobs"];
    assert!(
        blobs["hits"].as_u64().unwrap() >= 4,
        "the second warm was served from the cache: {s}"
    );

    // And back: the previous config.yml, the previous registry answering on its port.
    let list = mirrorctl(&sb, &unit, &["cache", "restore", "--list", "--json"]);
    assert_ok(&list);
    let backups: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(backups.as_array().unwrap().len(), 1, "{backups}");
    let out = mirrorctl(
        &sb,
        &unit,
        &["cache", "restore", "--init", "systemd", "--yes", "--json"],
    );
    assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    docs::check::<docs::ChangeDoc>(&doc);
    assert_eq!(doc["changed"], true);
    assert_eq!(std::fs::read_to_string(&unit.config).unwrap(), old);
    assert!(unit.answers(old_port), "{}", unit.log());
}

#[test]
fn a_broken_setup_rolls_back_and_leaves_the_registry_running_as_before() {
    if !crate::support::needs_root("cache setup rollback") {
        return;
    }
    let sb = Sandbox::new();
    let image = Image::new("library/mirrorctl-cached", "latest", 32 * 1024);
    let up = upstream(&sb, "up", &[&image]);
    let unit = Unit::new(&sb);
    let (old, old_port) = previous(&unit, &sb);

    // The port is taken: the new registry cannot listen and exits; the old file and the old registry come back.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let out = setup(
        &sb,
        &unit,
        &listen,
        &sb.path().join("storage"),
        IMAGE,
        &["--upstream", &up.url()],
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stopped after its restart"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&unit.config).unwrap(),
        old,
        "byte for byte"
    );
    assert!(
        unit.answers(old_port),
        "the previous registry runs again\n{}",
        unit.log()
    );

    // The storage cannot be written: refused before anything is touched.
    let file = sb.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let restarts = std::fs::read_to_string(unit.dir.join("systemctl.log"))
        .unwrap()
        .matches("restart")
        .count();
    let out = setup(
        &sb,
        &unit,
        // Never bound: refused before the restart, or a dry run (port 0 itself is no address a node can use).
        "127.0.0.1:5000",
        &file.join("storage"),
        IMAGE,
        &["--upstream", &up.url()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot use") && err.contains("--storage"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&unit.config).unwrap(), old);
    assert_eq!(
        std::fs::read_to_string(unit.dir.join("systemctl.log"))
            .unwrap()
            .matches("restart")
            .count(),
        restarts
    );
    assert!(unit.answers(old_port));

    // A dry run shows the new file and touches nothing, not even the storage directory.
    let dry = sb.path().join("dry-storage");
    let out = setup(
        &sb,
        &unit,
        // Never bound: refused before the restart, or a dry run (port 0 itself is no address a node can use).
        "127.0.0.1:5000",
        &dry,
        IMAGE,
        &["--upstream", &up.url(), "--dry-run"],
    );
    assert_ok(&out);
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan.contains(&format!("+  remoteurl: \"{}\"", up.url())),
        "{plan}"
    );
    assert_eq!(std::fs::read_to_string(&unit.config).unwrap(), old);
    assert!(!dry.exists());
}

#[test]
fn a_cache_with_tls_is_verified_over_https_with_its_ca_in_certs_d() {
    if !crate::support::needs_root("cache tls") {
        return;
    }
    let sb = Sandbox::new();
    let image = Image::new("library/mirrorctl-cached", "latest", 32 * 1024);
    let up = upstream(&sb, "up", &[&image]);
    let unit = Unit::new(&sb);
    previous(&unit, &sb);
    let (cert, key, ca) = crate::support::fake_registry::pem_for("127.0.0.1");
    let tls = sb.path().join("tls");
    std::fs::create_dir_all(&tls).unwrap();
    std::fs::write(tls.join("cert.pem"), cert).unwrap();
    std::fs::write(tls.join("key.pem"), key).unwrap();
    let port = free_port();
    // dockerd's layout: the CA for this host:port only.
    let certs = sb.path().join("certs.d");
    std::fs::create_dir_all(certs.join(format!("127.0.0.1:{port}"))).unwrap();
    std::fs::write(certs.join(format!("127.0.0.1:{port}/ca.crt")), ca).unwrap();
    let (cert, key, certs) = (
        tls.join("cert.pem").display().to_string(),
        tls.join("key.pem").display().to_string(),
        certs.display().to_string(),
    );
    let out = setup(
        &sb,
        &unit,
        &format!("127.0.0.1:{port}"),
        &sb.path().join("storage"),
        IMAGE,
        &[
            "--upstream",
            &up.url(),
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--certs-dir",
            &certs,
        ],
    );
    assert_ok(&out);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!(
            "mirrorctl apply --mirror https://127.0.0.1:{port}"
        )),
        "{said}"
    );
    let config = std::fs::read_to_string(&unit.config).unwrap();
    assert!(
        config.contains("  tls:\n    certificate: ") && config.contains(&key),
        "{config}"
    );
    let status = |certs: &str| {
        let args = [
            "cache",
            "status",
            "--json",
            "--init",
            "systemd",
            "--certs-dir",
            certs,
        ];
        mirrorctl(&sb, &unit, &args)
    };
    let status_with_ca = status(&certs);
    assert_ok(&status_with_ca);
    let s: Value = serde_json::from_slice(&status_with_ca.stdout).unwrap();
    assert_eq!(s["url"], format!("https://127.0.0.1:{port}"));
    assert_eq!(s["health"]["status"], 200, "{s}");
    // Without the CA, the cache is not trusted, and status says so with exit code 1.
    assert_eq!(status("/nonexistent").status.code(), Some(1));
}

/// distribution sends proxy.username/password to whatever remoteurl names: watch never re-points a cache whose
/// credentials belong to its old upstream's host, and says why; the file and the registry stay as they were.
#[test]
fn watch_never_carries_a_caches_credentials_to_another_host() {
    let sb = Sandbox::new();
    let unit = Unit::new(&sb);
    let secret = "dckr_pat_Hub-only-9f3a";
    let text = format!(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{}\nproxy:\n  remoteurl: http://127.0.0.1:9\n  username: ops\n  password: {secret}\n",
        sb.path().join("storage").display(),
        free_port()
    );
    std::fs::write(&unit.config, &text).unwrap();
    let image = Arc::new(crate::support::image::Image::new(
        "library/mirrorctl-cached",
        "latest",
        4096,
    ));
    let other = crate::support::fake_registry::FakeRegistry::start(image, Default::default());
    let catalogue = sb.catalogue(&[("other", other.url())]);
    let out = mirrorctl(
        &sb,
        &unit,
        &[
            "watch",
            "--once",
            "--cache",
            "--fail-after",
            "1",
            "--init",
            "systemd",
            "--yes",
            "--image",
            IMAGE,
            "--catalogue",
            &catalogue.display().to_string(),
        ],
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("would send them there") && said.contains("hint:"),
        "{said}"
    );
    assert!(!said.contains(secret), "{said}");
    assert_eq!(
        std::fs::read_to_string(&unit.config).unwrap(),
        text,
        "nothing changed"
    );
    let log = std::fs::read_to_string(unit.dir.join("systemctl.log")).unwrap_or_default();
    assert!(!log.contains("restart"), "{log}");
}

/// The storage is the one path meant to be another user's (the unit's `User=`): setup refuses, before any probe,
/// write or restart, a storage that user cannot reach and a symlink planted where the storage should be — and
/// makes nothing, chowns nothing; a dry run names the directory it would make, for whom, and makes none.
#[test]
fn the_storage_is_made_only_by_the_change_for_the_units_user_and_never_through_a_symlink() {
    if !crate::support::needs_root("the_storage_is_made_only_by_the_change") {
        return;
    }
    let sb = Sandbox::new();
    std::fs::set_permissions(
        sb.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let bin = sb.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = sb.path().join("systemctl.log");
    std::fs::write(
        bin.join("systemctl"),
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\ncase \"$*\" in *'-p User'*) echo nobody ;; esac\nexit 0\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.join("systemctl"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let config = sb.path().join("config.yml");
    let setup = |storage: &Path, extra: &[&str]| {
        sb.mirrorctl()
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .args([
                "cache",
                "setup",
                "--init",
                "systemd",
                "--yes",
                "--listen",
                "127.0.0.1:5999",
            ])
            .args(["--upstream", "http://127.0.0.1:9", "--registry-config"])
            .arg(&config)
            .arg("--storage")
            .arg(storage)
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = |out: &Output, says: &str| {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(says), "wanted {says:?}: {err}");
        assert!(!config.exists(), "no config.yml written");
        let calls = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(!calls.contains("restart"), "{calls}");
    };

    // Under a directory only root can enter: the registry (nobody) could never write there.
    let private = sb.path().join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(
        &private,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    refused(
        &setup(&private.join("storage"), &[]),
        "cannot reach or write it",
    );
    assert!(!private.join("storage").exists());

    // A symlink planted in a sticky, world-writable directory, pointing at a root-owned directory.
    let sticky = sb.path().join("sticky");
    std::fs::create_dir(&sticky).unwrap();
    std::fs::set_permissions(
        &sticky,
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .unwrap();
    let victim = sb.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::os::unix::fs::symlink(&victim, sticky.join("storage")).unwrap();
    std::os::unix::fs::lchown(sticky.join("storage"), Some(65534), Some(65534)).unwrap();
    refused(&setup(&sticky.join("storage"), &[]), "not a directory");
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&victim).unwrap()),
        0,
        "not handed over"
    );

    // A dry run: the plan names the directory and its owner, and nothing is made.
    let fine = sb.path().join("fine/storage");
    let out = setup(&fine, &["--dry-run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan.contains("(will be created, owned by 65534:65534)"),
        "{plan}"
    );
    assert!(!fine.exists() && !sb.path().join("fine").exists());
}

/// `cache status` reads the registry's debug endpoint bounded in time and size: a drip cannot hang it, a flood
/// cannot grow it (the fault server counts what it got out before the client hung up).
#[test]
fn cache_status_reads_the_debug_endpoint_bounded_in_time_and_size() {
    use crate::support::fault_server::{Fault, FaultServer};
    use std::time::Duration;
    let sb = Sandbox::new();
    let config = sb.path().join("config.yml");
    let status = |debug: &str| {
        std::fs::write(
            &config,
            format!("version: 0.1\nhttp:\n  addr: 127.0.0.1:9\n  debug:\n    addr: {debug}\nproxy:\n  remoteurl: http://127.0.0.1:9\n"),
        )
        .unwrap();
        let started = std::time::Instant::now();
        let out = sb
            .mirrorctl()
            .args([
                "cache",
                "status",
                "--json",
                "--init",
                "sysv",
                "--registry-config",
            ])
            .arg(&config)
            .output()
            .unwrap();
        (out, started.elapsed())
    };
    let drip = FaultServer::start(Fault::DripAll {
        every: Duration::from_millis(200),
    });
    let (out, took) = status(&drip.addr.to_string());
    assert!(
        took < Duration::from_secs(30),
        "a drip is cut at the deadline: {took:?}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(doc["served"].is_null(), "{doc}");
    let flood = FaultServer::start(Fault::Endless { promised: None });
    let (out, _) = status(&flood.addr.to_string());
    assert!(!out.stdout.is_empty());
    let sent = flood.next_sent();
    assert!(
        sent < 64 * 1024 * 1024,
        "read stopped near the limit, not at {sent} bytes"
    );
}
