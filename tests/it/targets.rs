//! containerd and the containers family, each proven by its own real client pulling through a real mirror.

use std::process::Command;
use std::sync::Arc;

use crate::support::image::Image;
use crate::support::registry::Registry;
use crate::support::{require, Sandbox};

const IMAGE: &str = "library/mirrorctl-only-here:latest";

/// An upstream with an image Docker Hub does not have, and one real pull-through mirror of it.
fn mirror(sb: &Sandbox) -> (Registry, Registry) {
    mirror_of(sb, "library/mirrorctl-only-here", "latest")
}

fn mirror_of(sb: &Sandbox, repository: &str, tag: &str) -> (Registry, Registry) {
    let image = Arc::new(Image::new(repository, tag, 100 * 1024));
    let upstream = Registry::start(&sb.path().join("upstream"), None);
    upstream.push(&image, sb.path());
    let mirror = Registry::start(&sb.path().join("mirror"), Some(&upstream.url()));
    (upstream, mirror)
}

/// Clients that fall back to the real registry are pointed at a dead proxy on loopback: nothing leaves the machine.
fn offline(c: &mut Command) -> &mut Command {
    c.env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "127.0.0.1,localhost")
}

#[test]
fn containers_drop_in_works_for_skopeo() {
    let sb = Sandbox::new();
    let (_upstream, mirror) = mirror(&sb);
    let dir = sb.path().join("registries.conf.d");
    let out = sb
        .mirrorctl()
        .args([
            "apply",
            "--target",
            "containers",
            "--yes",
            "--image",
            IMAGE,
            "--mirror",
            &mirror.url(),
            "--containers-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dropin = dir.join("50-mirrorctl.conf");
    assert!(std::fs::read_to_string(&dropin)
        .unwrap()
        .contains("prefix = \"docker.io\""));

    // The generated file is the only registries config skopeo sees; docker.io has no route but the mirror.
    let out = offline(&mut crate::support::skopeo(&sb.path().join("skopeo-home")))
        .arg("--registries-conf")
        .arg(&dropin)
        .args([
            "inspect",
            "--raw",
            "docker://docker.io/library/mirrorctl-only-here:latest",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo failed through the mirror: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(index["manifests"].is_array(), "{index}");
}

#[test]
fn containerd_hosts_toml_works_for_ctr_and_config_toml_is_kept() {
    let containerd = require("containerd", "containerd");
    let ctr = require("ctr", "containerd");
    let sb = Sandbox::new();
    let (_upstream, mirror) = mirror(&sb);
    let d = sb.path().join("containerd");
    std::fs::create_dir_all(&d).unwrap();
    let socket = d.join("c.sock");
    let config = d.join("config.toml");
    let config_text = format!(
        "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\n# only what this test needs: no CRI, no /opt\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.internal.v1.opt\"]\n\n[grpc]\n  address = \"{sock}\"\n\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"{hosts}\"\n",
        root = d.join("root").display(),
        state = d.join("state").display(),
        sock = socket.display(),
        hosts = d.join("certs.d").display(),
    );
    std::fs::write(&config, &config_text).unwrap();
    let log = std::fs::File::create(d.join("containerd.log")).unwrap();
    let mut daemon = Command::new(containerd)
        .arg("--config")
        .arg(&config)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();

    let out = sb
        .mirrorctl()
        .args([
            "apply",
            "--target",
            "containerd",
            "--yes",
            "--init",
            "systemd",
            "--image",
            IMAGE,
            "--mirror",
            &mirror.url(),
            "--containerd-config",
        ])
        .arg(&config)
        .arg("--containerd-hosts-dir")
        .arg(d.join("not-used"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("no restart is needed"));
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        config_text,
        "config_path was set: config.toml untouched"
    );
    let hosts = d.join("certs.d/docker.io/hosts.toml");
    assert!(std::fs::read_to_string(&hosts)
        .unwrap()
        .contains(&format!("[host.\"{}\"]", mirror.url())));

    // Wait for containerd's socket (it was started before the apply, so this is normally immediate).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !socket.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "containerd did not start: {}",
            std::fs::read_to_string(d.join("containerd.log")).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = offline(&mut Command::new(ctr))
        .arg("--address")
        .arg(&socket)
        .args(["content", "fetch", "--hosts-dir"])
        .arg(d.join("certs.d"))
        .arg("docker.io/library/mirrorctl-only-here:latest")
        .output()
        .unwrap();
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert!(
        out.status.success(),
        "ctr failed through the mirror: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn containerd_without_config_path_gets_it_added_and_a_restart_planned() {
    let sb = Sandbox::new();
    let config = sb.path().join("config.toml");
    let before = "version = 2\n\n# tuned by ops\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"registry.k8s.io/pause:3.9\"\n";
    std::fs::write(&config, before).unwrap();
    let containerd_apply = |flag: &str| {
        sb.mirrorctl()
            .args([
                "apply",
                "--target",
                "containerd",
                flag,
                "--init",
                "systemd",
                "--no-probe",
            ])
            .args(["--mirror", "https://m.example", "--containerd-config"])
            .arg(&config)
            .arg("--containerd-hosts-dir")
            .arg(sb.path().join("certs.d"))
            .output()
            .unwrap()
    };
    let out = containerd_apply("--dry-run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = String::from_utf8(out.stdout).unwrap();
    assert!(
        plan.contains("+[plugins.\"io.containerd.grpc.v1.cri\".registry]")
            && plan.contains("systemctl restart containerd"),
        "{plan}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before, "dry run");

    // The legacy mirrors table is refused, nothing written.
    let legacy = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://old.example\"]\n";
    std::fs::write(&config, legacy).unwrap();
    let out = containerd_apply("--yes");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("legacy"));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), legacy);
    assert!(!sb.path().join("certs.d").exists());
}

#[test]
fn mirrors_for_another_registry_go_to_containers_not_dockerd() {
    let sb = Sandbox::new();
    let (_upstream, mirror) = mirror_of(&sb, "owner/tool", "v1");
    let dir = sb.path().join("registries.conf.d");
    let out = sb
        .mirrorctl()
        .args([
            "apply",
            "--target",
            "containers",
            "--registry",
            "ghcr.io",
            "--image",
            "ghcr.io/owner/tool:v1",
            "--yes",
        ])
        .args(["--mirror", &mirror.url(), "--containers-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dropin = dir.join("50-mirrorctl.conf");
    let text = std::fs::read_to_string(&dropin).unwrap();
    assert!(
        text.contains("prefix = \"ghcr.io\"") && text.contains("location = \"ghcr.io\""),
        "{text}"
    );
    let out = offline(&mut crate::support::skopeo(&sb.path().join("skopeo-home")))
        .arg("--registries-conf")
        .arg(&dropin)
        .args(["inspect", "--raw", "docker://ghcr.io/owner/tool:v1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo failed through the ghcr.io mirror: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // dockerd cannot mirror ghcr.io: said plainly, nothing written.
    let config = sb.path().join("daemon.json");
    let out = sb
        .mirrorctl()
        .args([
            "apply",
            "--registry",
            "ghcr.io",
            "--no-probe",
            "--yes",
            "--no-restart",
            "--mirror",
            &mirror.url(),
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("only apply to Docker Hub") && err.contains("--target containerd"),
        "{err}"
    );
    assert!(!config.exists());
}

#[test]
fn restore_puts_back_the_previous_drop_in() {
    let sb = Sandbox::new();
    let dir = sb.path().join("registries.conf.d");
    let apply = |mirror: &str| {
        let args = [
            "apply",
            "--target",
            "containers",
            "--yes",
            "--no-probe",
            "--mirror",
            mirror,
            "--containers-dir",
        ];
        sb.run_ok(
            args.iter()
                .map(std::ffi::OsStr::new)
                .chain([dir.as_os_str()]),
        );
    };
    apply("https://first.example");
    let first = std::fs::read_to_string(dir.join("50-mirrorctl.conf")).unwrap();
    apply("https://second.example");
    assert!(std::fs::read_to_string(dir.join("50-mirrorctl.conf"))
        .unwrap()
        .contains("second.example"));
    let restore = [
        "restore",
        "--target",
        "containers",
        "--yes",
        "--containers-dir",
    ];
    sb.run_ok(
        restore
            .iter()
            .map(std::ffi::OsStr::new)
            .chain([dir.as_os_str()]),
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("50-mirrorctl.conf")).unwrap(),
        first
    );
}
