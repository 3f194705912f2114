//! `apply` and `restore` against a real dockerd, real pull-through registries and a private systemctl.

use std::process::Output;
use std::sync::Arc;

use crate::support::dockerd::Dockerd;
use crate::support::engines;
use crate::support::image::Image;
use crate::support::registry::Registry;
use crate::support::Sandbox;

/// The user's file: keys mirrorctl must keep byte for byte, unicode, nesting, 4-space indent.
const USER_CONFIG: &str = r#"{
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "3"},
    "labels": ["owner=运维组", "purpose=mirrorctl test"],
    "max-concurrent-downloads": 4,
    "debug": false
}
"#;

const IMAGE: &str = "library/mirrorctl-only-here:latest";

/// An upstream registry holding an image Docker Hub does not have, and `n` real pull-through mirrors of it.
struct Farm {
    _upstream: Registry,
    mirrors: Vec<Registry>,
}

fn farm(sb: &Sandbox, n: usize) -> Farm {
    let image = Arc::new(Image::new(
        "library/mirrorctl-only-here",
        "latest",
        200 * 1024,
    ));
    let upstream = Registry::start(&sb.path().join("upstream"), None);
    upstream.push(&image, sb.path());
    let mirrors = (0..n)
        .map(|i| Registry::start(&sb.path().join(format!("mirror{i}")), Some(&upstream.url())))
        .collect();
    Farm {
        _upstream: upstream,
        mirrors,
    }
}

fn apply(sb: &Sandbox, d: &Dockerd, args: &[&str]) -> Output {
    sb.mirrorctl()
        .env("PATH", d.path_env())
        .env("DOCKER_HOST", d.host())
        .env("MIRRORCTL_SYSCONFDIR", sb.path().join("etc"))
        .args(args)
        .args(d.certs_dir_args())
        .args(["--init", "systemd", "--yes", "--config"])
        .arg(&d.config)
        .output()
        .unwrap()
}

/// `apply --mirror URL --no-probe --config PATH` plus `flags`: the file side of apply, with no daemon involved.
fn write_only(
    sb: &Sandbox,
    path: &std::path::Path,
    url: &str,
    flags: &[&str],
) -> std::process::Command {
    let mut c = sb.mirrorctl();
    c.args(["apply", "--mirror", url, "--no-probe"])
        .args(flags)
        .arg("--config")
        .arg(path);
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn backups(d: &Dockerd) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(&d.dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("daemon.json.mirrorctl-")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn apply_top_3_restarts_dockerd_and_docker_pulls_through_the_mirror() {
    engines::each_with_store(|engine| {
        let sb = Sandbox::new();
        let farm = farm(&sb, 3);
        let d = Dockerd::start(engine, &sb.path().join("dockerd"), USER_CONFIG, &[]);
        let pid_before = d.main_pid();
        let mirrors: Vec<(String, String)> = farm
            .mirrors
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("m{i}"), m.url()))
            .collect();
        let named: Vec<(&str, String)> = mirrors
            .iter()
            .map(|(n, u)| (n.as_str(), u.clone()))
            .collect();
        let catalogue = sb.catalogue(&named);

        let out = apply(
            &sb,
            &d,
            &[
                "apply",
                "--top",
                "3",
                "--image",
                IMAGE,
                "--catalogue",
                catalogue.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "apply failed: {}\n{}\n{}",
            text(&out.stderr),
            text(&out.stdout),
            d.log()
        );

        // The file: three mirrors, every other line untouched.
        let after = std::fs::read_to_string(&d.config).unwrap();
        let v: serde_json::Value = serde_json::from_str(&after).unwrap();
        let written: Vec<String> = serde_json::from_value(v["registry-mirrors"].clone()).unwrap();
        let mut expected: Vec<String> = farm
            .mirrors
            .iter()
            .map(|m| format!("{}/", m.url()))
            .collect();
        let mut sorted = written.clone();
        sorted.sort();
        expected.sort();
        assert_eq!(sorted, expected);
        let without = |s: &str| {
            s.lines()
                .filter(|l| !l.contains("registry-mirrors"))
                .map(|l| l.trim_end_matches(',').to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(without(&after), without(&d.original));

        // A byte-exact backup beside it.
        let b = backups(&d);
        assert_eq!(b.len(), 1);
        assert_eq!(std::fs::read(&b[0]).unwrap(), d.original.as_bytes());

        // dockerd really restarted and runs with them, as `docker info` prints them.
        assert_ne!(
            d.main_pid(),
            pid_before,
            "a restart means a new dockerd process"
        );
        assert_eq!(
            d.live_mirrors(),
            written,
            "docker info lists the written mirrors in order"
        );
        let info = text(&d.docker(&["info"]).stdout);
        let block: String = written.iter().map(|m| format!("  {m}\n")).collect();
        assert!(
            info.contains(&format!(" Registry Mirrors:\n{block}")),
            "{info}"
        );
        assert!(
            d.systemctl_log().contains("daemon-reload\nrestart docker"),
            "{}",
            d.systemctl_log()
        );

        // And a real pull of an image that only the mirrors have works.
        let pull = d.docker(&["pull", "mirrorctl-only-here:latest"]);
        assert!(
            pull.status.success(),
            "docker pull failed: {}\n{}",
            text(&pull.stderr),
            d.log()
        );
    });
}

#[test]
fn reload_applies_without_restarting_and_restore_puts_the_old_file_back() {
    engines::each_with_store(|engine| {
        let sb = Sandbox::new();
        let farm = farm(&sb, 1);
        let d = Dockerd::start(engine, &sb.path().join("dockerd"), USER_CONFIG, &[]);
        let pid = d.main_pid();
        let url = farm.mirrors[0].url();

        let out = apply(
            &sb,
            &d,
            &["apply", "--reload", "--mirror", &url, "--image", IMAGE],
        );
        assert!(out.status.success(), "{}\n{}", text(&out.stderr), d.log());
        assert_eq!(d.main_pid(), pid, "reload must not restart dockerd");
        assert_eq!(d.live_mirrors(), [format!("{url}/")]);
        assert!(d.systemctl_log().contains("reload docker"));
        // Not only `docker info`: a pull uses the reloaded list (on the containerd store, through certs.d's
        // fallback to registry-mirrors), and the image exists nowhere but behind the mirror.
        let pull = d.docker(&["pull", "mirrorctl-only-here:latest"]);
        assert!(
            pull.status.success(),
            "docker pull after the reload: {}\n{}",
            text(&pull.stderr),
            d.log()
        );

        let out = apply(&sb, &d, &["restore"]);
        assert!(out.status.success(), "{}\n{}", text(&out.stderr), d.log());
        assert_eq!(
            std::fs::read_to_string(&d.config).unwrap(),
            d.original,
            "restore brings back the exact bytes"
        );
        assert!(
            d.live_mirrors().is_empty(),
            "and dockerd runs with them again"
        );
        // And pulls go without the mirror again: to Docker Hub, which this dockerd cannot reach.
        let pull = d.docker(&["pull", "mirrorctl-only-here:latest"]);
        assert!(
            !pull.status.success(),
            "a pull after the restore still found the mirror"
        );
    });
}

#[test]
fn a_flag_conflict_is_refused_before_anything_is_touched() {
    engines::each_with_store(|engine| {
        let sb = Sandbox::new();
        let d = Dockerd::start(
            engine,
            &sb.path().join("dockerd"),
            USER_CONFIG,
            &["--registry-mirror=http://127.0.0.1:9/"],
        );
        let out = apply(
            &sb,
            &d,
            &["apply", "--mirror", "https://m.example", "--no-probe"],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(
            err.contains("registry-mirrors")
                && err.contains("--registry-mirror=http://127.0.0.1:9/")
                && err.contains("ExecStart"),
            "{err}"
        );
        assert!(err.contains("hint:"), "{err}");
        assert_eq!(std::fs::read_to_string(&d.config).unwrap(), d.original);
        assert!(backups(&d).is_empty());
        assert!(d.is_active());
        assert!(
            !d.systemctl_log().contains("restart"),
            "{}",
            d.systemctl_log()
        );
    });
}

#[test]
fn a_failed_restart_rolls_back_to_the_old_file_and_a_running_docker() {
    engines::oldest_newest_and_store(|engine| {
        let sb = Sandbox::new();
        let farm = farm(&sb, 1);
        let d = Dockerd::start(engine, &sb.path().join("dockerd"), USER_CONFIG, &[]);
        d.fail_next_restart();
        let out = apply(
            &sb,
            &d,
            &[
                "apply",
                "--mirror",
                &farm.mirrors[0].url(),
                "--image",
                IMAGE,
            ],
        );
        assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("rolled back") && err.contains("docker is running"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&d.config).unwrap(),
            d.original,
            "the old bytes are back"
        );
        assert!(d.is_active(), "docker runs again:\n{}", d.systemctl_log());
        assert!(d.live_mirrors().is_empty());
        assert!(d.systemctl_log().contains("reset-failed docker"));
    });
}

#[test]
fn a_signal_during_the_restart_rolls_back() {
    engines::oldest_newest_and_store(|engine| {
        // SIGHUP (an SSH session that drops) on one engine, Ctrl-C on the other.
        let (signal, said) = if engine.modern {
            ("-INT", "interrupted")
        } else {
            ("-HUP", "hung up")
        };
        let sb = Sandbox::new();
        let farm = farm(&sb, 1);
        let d = Dockerd::start(engine, &sb.path().join("dockerd"), USER_CONFIG, &[]);
        d.hang_next_restart();
        let child = sb
            .mirrorctl()
            .env("PATH", d.path_env())
            .env("DOCKER_HOST", d.host())
            .env("MIRRORCTL_SYSCONFDIR", sb.path().join("etc"))
            .args([
                "apply",
                "--mirror",
                &farm.mirrors[0].url(),
                "--image",
                IMAGE,
                "--init",
                "systemd",
                "--yes",
                "--config",
            ])
            .arg(&d.config)
            .args(d.certs_dir_args())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the condition, not for a time: the restart is under way once the private systemctl logged it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !d.systemctl_log().contains("restart hanging") {
            assert!(
                std::time::Instant::now() < deadline,
                "apply never reached the restart:\n{}",
                d.systemctl_log()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_ne!(
            std::fs::read_to_string(&d.config).unwrap(),
            d.original,
            "the new file is in place mid-restart"
        );
        let status = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(said), "{}", text(&out.stderr));
        assert_eq!(std::fs::read_to_string(&d.config).unwrap(), d.original);
        assert!(d.is_active(), "{}", d.systemctl_log());
    });
}

#[test]
fn a_broken_file_is_located_and_left_alone() {
    let sb = Sandbox::new();
    let broken = "{\n    \"debug\": true,\n    // added by a blog post\n    \"registry-mirrors\": [\"https://hub-mirror.c.163.com\"],\n}\n";
    let path = sb.path().join("daemon.json");
    std::fs::write(&path, broken).unwrap();
    let out = write_only(&sb, &path, "https://m.example", &["--yes", "--no-restart"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("daemon.json")
            && err.contains("line 3, column 5")
            && err.contains("hint: remove the comment"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    assert_eq!(
        std::fs::read_dir(sb.path())
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "bak"))
            .count(),
        0
    );
}

#[test]
fn dry_run_shows_the_diff_and_changes_nothing() {
    let sb = Sandbox::new();
    let path = sb.path().join("daemon.json");
    std::fs::write(&path, USER_CONFIG).unwrap();
    let out = write_only(
        &sb,
        &path,
        "https://m.example",
        &["--dry-run", "--no-restart"],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("+    \"registry-mirrors\": [\"https://m.example/\"]")
            && stdout.contains("-    \"debug\": false"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), USER_CONFIG);

    // Without --yes and without a terminal, apply refuses rather than guess.
    let out = write_only(&sb, &path, "https://m.example", &["--no-restart"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--yes"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), USER_CONFIG);
}

#[test]
fn a_missing_file_and_directory_are_created() {
    let sb = Sandbox::new();
    let path = sb.path().join("etc/docker/daemon.json");
    let out = write_only(&sb, &path, "https://m.example", &["--yes", "--no-restart"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"registry-mirrors": ["https://m.example/"]})
    );
    assert!(
        text(&out.stdout).contains("restart"),
        "tells how to apply it: {}",
        text(&out.stdout)
    );
    // Applying the same list again changes nothing.
    let again = write_only(&sb, &path, "https://m.example/", &["--yes", "--no-restart"])
        .output()
        .unwrap();
    assert!(
        text(&again.stdout).contains("nothing to write"),
        "{}",
        text(&again.stdout)
    );
}

#[test]
fn kill_9_during_the_write_leaves_the_old_or_the_new_file_never_a_mix() {
    let sb = Sandbox::new();
    let path = sb.path().join("daemon.json");
    // A large file makes the write window wide enough to land kills inside it.
    let mut old = String::from("{\n  \"labels\": [\n");
    for i in 0..10_000 {
        old.push_str(&format!("    \"label-{i}={}\",\n", "x".repeat(60)));
    }
    old.push_str("    \"last=1\"\n  ],\n  \"debug\": false\n}\n");
    std::fs::write(&path, &old).unwrap();
    let run = || {
        write_only(&sb, &path, "https://m.example", &["--yes", "--no-restart"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // One run to completion tells how long a whole apply takes on this machine; kill points spread over it.
    let started = std::time::Instant::now();
    assert!(run().wait().unwrap().success());
    let whole = started.elapsed();
    let new = std::fs::read_to_string(&path).unwrap();
    let mut outcomes = (0, 0);
    for step in 0..30u32 {
        std::fs::write(&path, &old).unwrap();
        let mut child = run();
        std::thread::sleep(whole * step / 15);
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read_to_string(&path).unwrap();
        if now == old {
            outcomes.0 += 1;
        } else {
            assert!(
                now == new,
                "kill at step {step} left a file that is neither the old nor the new one"
            );
            outcomes.1 += 1;
        }
    }
    let v: serde_json::Value = serde_json::from_str(&new).unwrap();
    assert_eq!(
        v["registry-mirrors"],
        serde_json::json!(["https://m.example/"])
    );
    assert!(
        outcomes.0 > 0,
        "early kills must leave the old file: {outcomes:?}"
    );
    let new_seen = (outcomes.1 > 0).then_some(());
    assert!(
        new_seen.is_some(),
        "late kills must find the new file: {outcomes:?}"
    );
}

#[test]
fn permission_denied_says_to_use_sudo_and_changes_nothing() {
    let sb = Sandbox::new();
    let dir = sb.path().join("etc-docker");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("daemon.json");
    std::fs::write(&path, USER_CONFIG).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o555)).unwrap();
    // As root the directory's mode would not stop us: run unprivileged in a user namespace of our own.
    let mut outer = std::process::Command::new("unshare");
    outer.arg("--user");
    let out = crate::support::inside(
        outer,
        sb.mirrorctl()
            .args([
                "apply",
                "--mirror",
                "https://m.example",
                "--no-probe",
                "--yes",
                "--no-restart",
                "--config",
            ])
            .arg(&path),
    )
    .output()
    .unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("Permission denied") && err.contains("hint: run it with sudo"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), USER_CONFIG);
}

#[test]
fn apply_reuses_a_fresh_probe_and_refuses_when_none_passed() {
    use crate::support::fake_registry::{Behavior, FakeRegistry, Fault};
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/alpine", "latest", 4096));
    let good = FakeRegistry::start(image.clone(), Behavior::default());
    let portal = FakeRegistry::start(
        image,
        Behavior {
            fault: Fault::CaptivePortal,
            ..Default::default()
        },
    );
    let path = sb.path().join("daemon.json");
    std::fs::write(&path, USER_CONFIG).unwrap();
    let apply_with = |catalogue: &std::path::Path| {
        sb.mirrorctl()
            .args(["apply", "--dry-run", "--no-restart", "--catalogue"])
            .arg(catalogue)
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap()
    };

    // A probe of the same catalogue a moment ago is used, and said so.
    let catalogue = sb.catalogue(&[("good", good.url()), ("portal", portal.url())]);
    sb.run_ok([
        std::ffi::OsStr::new("probe"),
        "-q".as_ref(),
        "--catalogue".as_ref(),
        catalogue.as_os_str(),
    ]);
    let requests_after_probe = good.requests();
    let out = apply_with(&catalogue);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("using the probe from"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        good.requests(),
        requests_after_probe,
        "the cached probe was used, not a new one"
    );
    assert!(
        text(&out.stdout).contains(&format!("\"registry-mirrors\": [\"{}/\"]", good.url())),
        "{}",
        text(&out.stdout)
    );

    // Another catalogue where nothing passes: exit 3, nothing written.
    let bad = sb.path().join("bad.toml");
    std::fs::write(&bad, format!("[catalogue]\nupdated = \"2026-11-24\"\n[[mirror]]\nname = \"portal\"\nurl = \"{}\"\nstatus = \"active\"\n", portal.url())).unwrap();
    let out = apply_with(&bad);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no mirror passed"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), USER_CONFIG);
}

#[test]
fn apply_refuses_a_file_the_installed_dockerd_would_still_refuse_and_fixes_a_broken_mirror_list() {
    // Not on the containerd store too: no daemon runs here, only each engine's own reading of the file, which the
    // store does not change (28.5's rules are 28.5's on either store).
    engines::each(|engine| {
        let sb = Sandbox::new();
        let path = sb.path().join("daemon.json");
        let run = |flags: &[&str]| {
            write_only(&sb, &path, "https://m.example", flags)
                .env("PATH", engine.path_env())
                .output()
                .unwrap()
        };
        // A value of the wrong type elsewhere in the file: apply does not touch it, so it must not write.
        let broken =
            "{\n  \"registry-mirrors\": [\"docker.m.daocloud.io\"],\n  \"debug\": \"yes\"\n}\n";
        std::fs::write(&path, broken).unwrap();
        let out = run(&["--yes", "--no-restart"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(
            err.contains("would refuse")
                && err.contains("`debug`")
                && err.contains("line 3, column 3")
                && err.contains("hint:"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            broken,
            "nothing written"
        );

        // Only the mirror list is broken (no scheme: dockerd will not start): apply replaces it, which fixes it.
        let fixable =
            "{\n  \"registry-mirrors\": [\"docker.m.daocloud.io\"],\n  \"debug\": true\n}\n";
        std::fs::write(&path, fixable).unwrap();
        let out = run(&["--yes", "--no-restart"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n  \"registry-mirrors\": [\"https://m.example/\"],\n  \"debug\": true\n}\n"
        );
    });
}

/// `apply --reload` while dockerd is down: the reload fails (no daemon to signal), and the rollback starts docker on
/// the old file instead of calling `reload` again.
#[test]
fn a_failed_reload_with_docker_down_starts_docker_on_the_old_file() {
    engines::oldest_newest_and_store(|engine| {
        let sb = Sandbox::new();
        let d = Dockerd::start(engine, &sb.path().join("dockerd"), USER_CONFIG, &[]);
        assert!(d.systemctl(&["stop", "docker"]).status.success());
        assert!(!d.is_active());
        let out = apply(
            &sb,
            &d,
            &[
                "apply",
                "--reload",
                "--mirror",
                "https://m.example",
                "--no-probe",
            ],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{err}");
        assert!(
            err.contains("starting it on the old file") && err.contains("docker is running"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&d.config).unwrap(), d.original);
        assert!(d.is_active(), "docker runs again:\n{}", d.systemctl_log());
        assert!(d.live_mirrors().is_empty(), "on the old file");
        let log = d.systemctl_log();
        let after_stop = &log[log.rfind("stop docker").unwrap()..];
        assert_eq!(after_stop.matches("reload docker").count(), 1, "{log}");
        assert!(
            after_stop.find("reload docker") < after_stop.find("restart docker"),
            "{log}"
        );
    });
}

/// The plan names each mirror it will write and says how fast the probe found it, not a bare URL.
#[test]
fn the_plan_names_each_mirror_with_its_measured_speed() {
    use crate::support::fake_registry::{Behavior, FakeRegistry};
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/alpine", "latest", 64 * 1024));
    let fast = FakeRegistry::start(image.clone(), Behavior::default());
    let slow = FakeRegistry::start(
        image,
        Behavior {
            bandwidth: Some(256 * 1024),
            ..Default::default()
        },
    );
    let path = sb.path().join("daemon.json");
    std::fs::write(&path, USER_CONFIG).unwrap();
    let catalogue = sb.catalogue(&[("slow-one", slow.url()), ("fast-one", fast.url())]);
    let out = sb
        .mirrorctl()
        .args([
            "apply",
            "--dry-run",
            "--no-restart",
            "--top",
            "2",
            "--catalogue",
        ])
        .arg(&catalogue)
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    let plan = text(&out.stdout);
    assert!(out.status.success(), "{plan}{}", text(&out.stderr));
    let line = |n: usize| {
        plan.lines()
            .find(|l| l.starts_with(&format!("  {n}. ")))
            .unwrap_or_else(|| panic!("no mirror {n} in the plan:\n{plan}"))
            .to_owned()
    };
    let (first, second) = (line(1), line(2));
    assert!(
        first.contains(&format!("{}/", fast.url())) && first.contains("(fast-one: "),
        "{plan}"
    );
    assert!(
        second.contains("(slow-one: ") && second.contains("KiB/s"),
        "{plan}"
    );
    assert!(first.contains(" ms)"), "latency too: {first}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), USER_CONFIG);
}
