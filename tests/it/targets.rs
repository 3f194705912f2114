//! containerd and the containers family, each proven by its own real client pulling through a real mirror.

use std::process::Command;
use std::sync::Arc;

use crate::support::containerd::Containerd;
use crate::support::engines::{self, Engine};
use crate::support::image::Image;
use crate::support::registry::Registry;
use crate::support::Sandbox;

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
    crate::support::assert_ok(&out);
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

/// `ctr content fetch` of the test image through `hosts_dir`, with no route but the mirror.
fn ctr_fetch(engine: &Engine, c: &Containerd, hosts_dir: &std::path::Path) -> std::process::Output {
    offline(&mut Command::new(engine.bin("ctr")))
        .arg("--address")
        .arg(&c.socket)
        .args(["content", "fetch", "--hosts-dir"])
        .arg(hosts_dir)
        .arg(format!("docker.io/{IMAGE}"))
        .output()
        .unwrap()
}

fn containerd_apply(
    sb: &Sandbox,
    engine: &Engine,
    c: &Containerd,
    mirror: &Registry,
) -> std::process::Output {
    sb.mirrorctl()
        .env("PATH", c.path_env(engine))
        .args([
            "apply",
            "--target",
            "containerd",
            "--yes",
            "--init",
            "systemd",
            "--image",
            IMAGE,
        ])
        .args(["--mirror", &mirror.url(), "--containerd-config"])
        .arg(&c.config)
        .arg("--containerd-hosts-dir")
        .arg(c.dir.join("certs.d"))
        .output()
        .unwrap()
}

#[test]
fn containerd_hosts_toml_works_for_ctr_and_config_toml_is_kept() {
    engines::each(|engine| {
        let sb = Sandbox::new();
        let (_upstream, mirror) = mirror(&sb);
        let d = sb.path().join("containerd");
        let hosts = d.join("certs.d");
        let config_text = Containerd::config_text(
            &d,
            false,
            &format!(
                "\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"{}\"\n",
                hosts.display()
            ),
        );
        let c = Containerd::start(engine, &d, &config_text);
        let pid = c.main_pid();

        let out = containerd_apply(&sb, engine, &c, &mirror);
        crate::support::assert_ok(&out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("no restart is needed"));
        assert_eq!(
            std::fs::read_to_string(&c.config).unwrap(),
            config_text,
            "config_path was set: config.toml untouched"
        );
        assert_eq!(c.main_pid(), pid, "no restart");
        assert!(std::fs::read_to_string(hosts.join("docker.io/hosts.toml"))
            .unwrap()
            .contains(&format!("[host.\"{}\"]", mirror.url())));

        let out = ctr_fetch(engine, &c, &hosts);
        assert!(
            out.status.success(),
            "ctr failed through the mirror: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

#[test]
fn containerd_with_cri_gets_config_path_added_restarts_and_pulls_through_the_mirror() {
    engines::each(|engine| {
        let sb = Sandbox::new();
        let (_upstream, mirror) = mirror(&sb);
        let d = sb.path().join("containerd");
        // The CRI plugin on, as kubeadm and k3s-less clusters run it, and no config_path: hosts.toml is ignored.
        let before = Containerd::config_text(
            &d,
            true,
            "\n# tuned by ops\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"registry.k8s.io/pause:3.9\"\n",
        );
        let c = Containerd::start(engine, &d, &before);
        let pid = c.main_pid();
        // containerd 1.x logs the CRI registry config at start; 2.x logs no images config at all.
        let log = c.log();
        assert!(
            !log.contains("ConfigPath")
                || log.contains("ConfigPath:}")
                || log.contains("ConfigPath: "),
            "no config_path yet"
        );

        let out = containerd_apply(&sb, engine, &c, &mirror);
        assert!(
            out.status.success(),
            "{}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            c.log()
        );
        let after = std::fs::read_to_string(&c.config).unwrap();
        let hosts = c.dir.join("certs.d");
        // Every line of the old file is still there, in order; the only new lines set config_path.
        let mut old = before.lines().peekable();
        let added: Vec<&str> = after
            .lines()
            .filter(|l| {
                let kept = old.peek() == Some(l);
                if kept {
                    old.next();
                }
                !kept && !l.is_empty()
            })
            .collect();
        assert!(old.peek().is_none(), "a line was lost:\n{after}");
        assert_eq!(
            added,
            [
                "[plugins.\"io.containerd.grpc.v1.cri\".registry]".to_owned(),
                format!("config_path = \"{}\"", hosts.display())
            ],
            "{after}"
        );
        assert!(
            c.systemctl_log().contains("restart containerd"),
            "{}",
            c.systemctl_log()
        );
        assert_ne!(c.main_pid(), pid, "containerd was restarted");
        if c.log().contains("ConfigPath") {
            // containerd 1.x: the restarted CRI plugin reports the registry config it runs with.
            assert!(
                c.log().contains(&format!("ConfigPath:{}", hosts.display())),
                "the CRI plugin did not pick up config_path:\n{}",
                c.log()
            );
        } else {
            // containerd 2.x migrates the version 2 file: its images plugin must end up with config_path.
            let dump = std::process::Command::new(engine.bin("containerd"))
                .arg("--config")
                .arg(&c.config)
                .args(["config", "dump"])
                .output()
                .unwrap();
            let dump = String::from_utf8_lossy(&dump.stdout);
            let images = dump
                .split("[plugins.'io.containerd.cri.v1.images'.registry]")
                .nth(1)
                .unwrap_or_default();
            assert!(
                images
                    .trim_start()
                    .starts_with(&format!("config_path = '{}'", hosts.display())),
                "containerd 2 did not migrate config_path into its images plugin:\n{dump}"
            );
        }
        let out = ctr_fetch(engine, &c, &hosts);
        assert!(
            out.status.success(),
            "ctr failed through the mirror: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    });
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
    crate::support::assert_ok(&out);
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
    crate::support::assert_ok(&out);
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

    // With no daemon to say it uses the containerd image store, dockerd cannot mirror ghcr.io: said plainly, as a
    // usage error (exit code 2), nothing written (tests/it/containerd_store.rs has the store that can).
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
    assert_eq!(out.status.code(), Some(2));
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

/// hosts.toml and the registries.conf drop-in, edited by hand into other words (no comment, other quoting, an
/// inline table) that mean the same mirrors in the same order: apply writes and backs up nothing, and says so;
/// the mirrors in another order are a change (containerd and containers/image try them as listed).
#[test]
fn hand_edited_files_that_mean_the_same_mirrors_are_no_change() {
    let sb = Sandbox::new();
    let config = sb.path().join("config.toml");
    let hosts_dir = sb.path().join("certs.d");
    std::fs::write(
        &config,
        format!(
            "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"{}\"\n",
            hosts_dir.display()
        ),
    )
    .unwrap();
    let hosts = hosts_dir.join("docker.io/hosts.toml");
    std::fs::create_dir_all(hosts.parent().unwrap()).unwrap();
    let hosts_by_hand = "server='https://registry-1.docker.io'\n[host]\n'https://a.example' = {capabilities=['pull','resolve']}\n[host.\"https://b.example\"]\ncapabilities = [\"pull\", \"resolve\"]\n";
    std::fs::write(&hosts, hosts_by_hand).unwrap();
    let dir = sb.path().join("registries.conf.d");
    std::fs::create_dir_all(&dir).unwrap();
    let dropin = dir.join("50-mirrorctl.conf");
    let dropin_by_hand = "[[registry]]\nprefix='docker.io'\nlocation='registry-1.docker.io'\n[[registry.mirror]]\nlocation='a.example'\n[[registry.mirror]]\nlocation='b.example'\n";
    std::fs::write(&dropin, dropin_by_hand).unwrap();
    let apply = |target: &str, mirrors: [&str; 2]| {
        let out = sb
            .mirrorctl()
            .args(["apply", "--target", target, "--no-probe", "--yes", "--json"])
            .args(["--mirror", mirrors[0], "--mirror", mirrors[1]])
            .arg("--containerd-config")
            .arg(&config)
            .arg("--containerd-hosts-dir")
            .arg(&hosts_dir)
            .arg("--containers-dir")
            .arg(&dir)
            .output()
            .unwrap();
        crate::support::assert_ok(&out);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        crate::support::docs::check::<crate::support::docs::ChangeDoc>(&doc);
        doc["changed"].clone()
    };
    let same = ["https://a.example", "https://b.example/"];
    assert_eq!(apply("containerd", same), false);
    assert_eq!(apply("containers", same), false);
    assert_eq!(std::fs::read_to_string(&hosts).unwrap(), hosts_by_hand);
    assert_eq!(std::fs::read_to_string(&dropin).unwrap(), dropin_by_hand);
    // Backups of a file in a `.d` directory go to the state directory: count them anywhere in the sandbox.
    fn backups(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| match e.file_type().unwrap().is_dir() {
                true => backups(&e.path()),
                false => usize::from(e.file_name().to_string_lossy().contains(".mirrorctl-")),
            })
            .sum()
    }
    assert_eq!(backups(sb.path()), 0, "no backup for no change");
    let swapped = ["https://b.example", "https://a.example"];
    assert_eq!(apply("containerd", swapped), true);
    assert_eq!(apply("containers", swapped), true);
    assert_eq!(backups(sb.path()), 2, "each change keeps its backup");
}
