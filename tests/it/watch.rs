//! `watch`: a farm whose mirrors die and recover between cycles, a real dockerd that is reloaded (never restarted)
//! with a container running through it all, and the timer units checked by systemd's own verifier.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::Value;

use crate::support::dockerd::Dockerd;
use crate::support::fake_registry::{Behavior, FakeRegistry};
use crate::support::image::Image;
use crate::support::{assert_ok, docs, engines, require, Sandbox};

struct Switchable {
    server: FakeRegistry,
    down: Arc<AtomicBool>,
}

fn switchable(image: &Arc<Image>) -> Switchable {
    let down = Arc::new(AtomicBool::new(false));
    let server = FakeRegistry::start(
        image.clone(),
        Behavior {
            down: Some(down.clone()),
            ..Default::default()
        },
    );
    Switchable { server, down }
}

fn watch(sb: &Sandbox, d: &Dockerd, catalogue: &std::path::Path) -> (Value, Output) {
    let out = sb
        .mirrorctl()
        .env("PATH", d.path_env())
        .env("DOCKER_HOST", d.host())
        .args([
            "watch",
            "--once",
            "--json",
            "--top",
            "1",
            "--fail-after",
            "3",
        ])
        // Loopback speeds are noise: only deaths decide here (the margin rule has unit tests).
        .args([
            "--margin",
            "1000",
            "--init",
            "systemd",
            "--yes",
            "--catalogue",
        ])
        .arg(catalogue)
        .arg("--config")
        .arg(&d.config)
        .args(d.certs_dir_args())
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "watch --json printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            d.log()
        )
    });
    docs::check::<docs::WatchDoc>(&doc);
    (doc, out)
}

#[test]
fn a_dying_mirror_is_replaced_at_the_kth_failure_by_a_reload_and_no_container_stops() {
    engines::each_with_store(|engine| {
        let sb = Sandbox::new();
        let image = Arc::new(Image::new("library/alpine", "latest", 32 * 1024));
        let a = switchable(&image);
        let b = switchable(&image);
        let (url_a, url_b) = (
            format!("{}/", a.server.url()),
            format!("{}/", b.server.url()),
        );
        let config =
            format!("{{\n    \"registry-mirrors\": [\"{url_a}\"],\n    \"debug\": false\n}}\n");
        let d = Dockerd::start(engine, &sb.path().join("dockerd"), &config, &[]);
        let container = d.run_busybox();
        let started = d.started_at(&container);
        assert!(started.0);
        let pid = d.main_pid();
        let catalogue = sb.catalogue(&[("a", a.server.url()), ("b", b.server.url())]);

        // Healthy: nothing changes, nothing is reloaded.
        let (doc, out) = watch(&sb, &d, &catalogue);
        assert_ok(&out);
        assert_eq!(doc["changed"], false, "{doc}");
        assert_eq!(doc["decisions"][0]["action"], "keep");

        // a dies. Two failures in a row are not enough.
        a.down.store(true, Ordering::SeqCst);
        for n in 1..=2 {
            let (doc, out) = watch(&sb, &d, &catalogue);
            assert_ok(&out);
            assert_eq!(doc["changed"], false, "after {n} failures: {doc}");
            assert_eq!(doc["decisions"][0]["action"], "keep");
            assert!(
                doc["decisions"][0]["line"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("failed {n} probe")),
                "{doc}"
            );
            assert_eq!(d.live_mirrors(), std::slice::from_ref(&url_a));
        }
        // The third: replaced, by a reload.
        let (doc, out) = watch(&sb, &d, &catalogue);
        assert_ok(&out);
        assert_eq!(doc["changed"], true, "{doc}");
        assert_eq!(doc["decisions"][0]["action"], "replace");
        assert_eq!(doc["decisions"][0]["replacement"], url_b.as_str());
        assert_eq!(doc["after"], serde_json::json!([url_b]));
        assert_eq!(doc["outcome"]["targets"][0]["activation"], "reload docker");
        let journal_line = String::from_utf8_lossy(&out.stderr);
        assert!(
            journal_line.contains(&format!(
                "watch: replace {url_a} with {url_b}: it failed the last 3 probes"
            )),
            "{journal_line}"
        );
        assert_eq!(
            d.live_mirrors(),
            std::slice::from_ref(&url_b),
            "dockerd uses the new mirror"
        );
        assert_eq!(d.main_pid(), pid, "reloaded, not restarted");
        assert!(
            !d.systemctl_log().contains("restart"),
            "{}",
            d.systemctl_log()
        );
        assert_eq!(
            d.started_at(&container),
            started,
            "the container never stopped"
        );

        // a comes back: one good probe does not switch back.
        a.down.store(false, Ordering::SeqCst);
        let (doc, out) = watch(&sb, &d, &catalogue);
        assert_ok(&out);
        assert_eq!(doc["changed"], false, "{doc}");
        assert_eq!(d.live_mirrors(), std::slice::from_ref(&url_b));

        // The history shows the dead stretch, and the decision next to it.
        let out = sb.run_ok(["history", "--json"]);
        let h: Value = serde_json::from_slice(&out.stdout).unwrap();
        let rec = h["mirrors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["url"] == url_a.as_str())
            .unwrap();
        assert_eq!(rec["probes"], 5);
        assert_eq!(rec["successes"], 2);
        assert_eq!(rec["success_rate"], 0.4);
        assert!(h["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["action"] == "replace" && d["changed"] == true));
        assert_eq!(d.started_at(&container), started);

        // Everything down: nothing changes, and the exit code says so (a timer's unit shows as failed).
        a.down.store(true, Ordering::SeqCst);
        b.down.store(true, Ordering::SeqCst);
        let (doc, out) = watch(&sb, &d, &catalogue);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(doc["passing"], 0);
        assert_eq!(doc["changed"], false);
        assert_eq!(d.live_mirrors(), std::slice::from_ref(&url_b));
    });
}

#[test]
fn apply_twice_changes_and_restarts_nothing_the_second_time() {
    engines::each_with_store(|engine| {
        let sb = Sandbox::new();
        let image = Arc::new(Image::new("library/alpine", "latest", 32 * 1024));
        let a = switchable(&image);
        let d = Dockerd::start(
            engine,
            &sb.path().join("dockerd"),
            "{\n    \"debug\": false\n}\n",
            &[],
        );
        let run = || {
            let out = sb
                .mirrorctl()
                .env("PATH", d.path_env())
                .env("DOCKER_HOST", d.host())
                .args([
                    "apply",
                    "--json",
                    "--mirror",
                    &a.server.url(),
                    "--init",
                    "systemd",
                    "--yes",
                    "--config",
                ])
                .arg(&d.config)
                .args(d.certs_dir_args())
                .output()
                .unwrap();
            assert_ok(&out);
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            docs::check::<docs::ChangeDoc>(&doc);
            doc
        };
        let first = run();
        assert_eq!(first["changed"], true, "{first}");
        assert_eq!(first["targets"][0]["activation"], "restart docker");
        let log = d.systemctl_log();
        let pid = d.main_pid();
        let bytes = std::fs::read(&d.config).unwrap();
        let second = run();
        assert_eq!(second["changed"], false, "{second}");
        assert_eq!(second["targets"][0]["files"], serde_json::json!([]));
        assert_eq!(d.systemctl_log(), log, "no systemctl call the second time");
        assert_eq!(d.main_pid(), pid);
        assert_eq!(std::fs::read(&d.config).unwrap(), bytes);
    });
}

/// What `--install` writes, read back by `systemd-analyze verify` (Debian's systemd), enabled through the
/// private systemctl, and removed again by `--uninstall`.
#[test]
fn install_writes_units_systemd_accepts_and_uninstall_removes_them() {
    let sb = Sandbox::new();
    let analyze = require("systemd-analyze", "systemd");
    let units = sb.path().join("units");
    let bin = sb.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // A systemctl that logs and succeeds: enable/disable are systemd's own business, tested by systemd.
    std::fs::write(
        bin.join("systemctl"),
        format!(
            "#!/bin/sh\necho \"$*\" >> {log}\ncase \"$*\" in *is-active*) [ -e {units}/mirrorctl-watch.timer ] ;; esac\n",
            log = sb.path().join("systemctl.log").display(),
            units = units.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.join("systemctl"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let run = |args: &[&str]| {
        let out = sb
            .mirrorctl()
            .env("PATH", &path)
            .args([
                "watch",
                "--init",
                "systemd",
                "--yes",
                "--json",
                "--systemd-dir",
            ])
            .arg(&units)
            .args(args)
            .output()
            .unwrap();
        assert_ok(&out);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        docs::check::<docs::ChangeDoc>(&doc);
        doc
    };
    let doc = run(&[
        "--install",
        "--every",
        "2h",
        "--config",
        "/etc/docker/my daemon.json",
    ]);
    assert_eq!(doc["changed"], true, "{doc}");
    let service = std::fs::read_to_string(units.join("mirrorctl-watch.service")).unwrap();
    let timer = std::fs::read_to_string(units.join("mirrorctl-watch.timer")).unwrap();
    assert!(
        service.contains("\"watch\" \"--once\" \"--yes\""),
        "{service}"
    );
    assert!(
        service.contains("\"--config=/etc/docker/my daemon.json\""),
        "{service}"
    );
    assert!(timer.contains("OnUnitActiveSec=2h"), "{timer}");
    // As another user than root the units are the user's: the same calls with --user.
    let log = std::fs::read_to_string(sb.path().join("systemctl.log"))
        .unwrap()
        .replace("--user ", "");
    assert!(
        log.contains("daemon-reload\nenable --now mirrorctl-watch.timer"),
        "{log}"
    );

    let verify = Command::new(&analyze)
        .arg("verify")
        // The man page is the package's; this checkout has not installed it.
        .arg("--man=no")
        .arg(units.join("mirrorctl-watch.service"))
        .arg(units.join("mirrorctl-watch.timer"))
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success(), "{said}");
    // systemd-analyze also warns about units of this machine it meets on the way; none may be ours.
    assert!(!said.contains("mirrorctl-watch"), "{said}");

    // Same settings again: nothing to do.
    let doc = run(&[
        "--install",
        "--every",
        "2h",
        "--config",
        "/etc/docker/my daemon.json",
    ]);
    assert_eq!(doc["changed"], false, "{doc}");

    let doc = run(&["--uninstall"]);
    assert_eq!(doc["changed"], true);
    assert!(!units.join("mirrorctl-watch.service").exists());
    assert!(!units.join("mirrorctl-watch.timer").exists());
    let log = std::fs::read_to_string(sb.path().join("systemctl.log"))
        .unwrap()
        .replace("--user ", "");
    assert!(
        log.contains("disable --now mirrorctl-watch.timer\ndaemon-reload"),
        "{log}"
    );
    let doc = run(&["--uninstall"]);
    assert_eq!(doc["changed"], false);
}

#[test]
fn without_systemd_install_writes_a_cron_entry() {
    let sb = Sandbox::new();
    let cron = sb.path().join("cron.d");
    std::fs::create_dir_all(&cron).unwrap();
    let out = sb
        .mirrorctl()
        .args([
            "watch",
            "--install",
            "--init",
            "sysv",
            "--yes",
            "--every",
            "6h",
            "--cron-dir",
        ])
        .arg(&cron)
        .output()
        .unwrap();
    assert_ok(&out);
    let entry = std::fs::read_to_string(cron.join("mirrorctl-watch")).unwrap();
    assert!(entry.contains("0 */6 * * * root '"), "{entry}");
    assert!(entry.contains("'watch' '--once' '--yes'"), "{entry}");
}

#[test]
fn a_timer_faster_than_a_mirrors_quota_is_refused() {
    let sb = Sandbox::new();
    let units = sb.path().join("units");
    let out = sb
        .mirrorctl()
        .args([
            "watch",
            "--install",
            "--every",
            "1min",
            "--init",
            "systemd",
            "--yes",
            "--systemd-dir",
        ])
        .arg(&units)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    // The built-in catalogue's Xuanyuan states 100 requests an hour: one probe a minute is 360.
    assert!(err.contains("100/h") && err.contains("--every 4m"), "{err}");
    assert!(!units.exists(), "nothing written");
}

/// A mirror that answered 429 is not asked again within the hour: each probe of a rate-limited mirror spends the
/// quota it is waiting for (Xuanyuan's 100 an hour), and a timer would keep it limited. The one it works
/// through is kept, and the cycle says which mirror rests until when.
#[test]
fn a_rate_limited_mirror_rests_for_an_hour_between_cycles() {
    use crate::support::fake_registry::Fault;
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/alpine", "latest", 4096));
    let good = FakeRegistry::start(image.clone(), Behavior::default());
    let limited = FakeRegistry::start(
        image,
        Behavior {
            fault: Fault::Status("/v2/", 429),
            ..Default::default()
        },
    );
    let catalogue = sb.catalogue(&[("good", good.url()), ("limited", limited.url())]);
    let config = sb.path().join("daemon.json");
    let before = format!("{{\n  \"registry-mirrors\": [\"{}\"]\n}}\n", good.url());
    std::fs::write(&config, &before).unwrap();
    let cycle = || {
        let out = sb
            .mirrorctl()
            .args([
                "watch", "--once", "--json", "--top", "1", "--init", "systemd", "--yes",
            ])
            .arg("--catalogue")
            .arg(&catalogue)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert_ok(&out);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        docs::check::<docs::WatchDoc>(&doc);
        (doc, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (doc, _) = cycle();
    assert_eq!(doc["resting"], serde_json::json!([]), "{doc}");
    let asked = limited.requests();
    assert!(asked > 0, "the first cycle asks every mirror");

    let (doc, said) = cycle();
    assert_eq!(
        limited.requests(),
        asked,
        "asked again within the hour: {:?}",
        limited.served()
    );
    let resting = doc["resting"].as_array().unwrap();
    assert_eq!(resting.len(), 1, "{doc}");
    assert_eq!(resting[0]["mirror"], format!("{}/", limited.url()), "{doc}");
    assert!(
        said.contains("429") && said.contains(resting[0]["until"].as_str().unwrap()),
        "{said}"
    );
    // The mirror it pulls through is probed and kept; nothing changed.
    assert_eq!(doc["passing"], 1, "{doc}");
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
}

/// On a containerd node (a Kubernetes worker), watch keeps the registry's hosts.toml: containerd reads it at each
/// pull, so the dying mirror is replaced with no restart at all — and only after K failures in a row.
#[test]
fn watch_keeps_containerds_hosts_toml_with_no_restart() {
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/alpine", "latest", 4096));
    let (a, b) = (switchable(&image), switchable(&image));
    let catalogue = sb.catalogue(&[("a", a.server.url()), ("b", b.server.url())]);
    let dir = sb.path().join("containerd");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let hosts_dir = dir.join("certs.d");
    let config_text = format!(
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"{}\"\n",
        hosts_dir.display()
    );
    std::fs::write(&config, &config_text).unwrap();
    let places = |cmd: &mut Command| {
        cmd.arg("--containerd-config")
            .arg(&config)
            .arg("--containerd-hosts-dir")
            .arg(&hosts_dir);
    };
    let mut apply = sb.mirrorctl();
    apply.args([
        "apply",
        "--target",
        "containerd",
        "--mirror",
        &a.server.url(),
    ]);
    apply.args(["--no-probe", "--yes"]);
    places(&mut apply);
    assert_ok(&apply.output().unwrap());
    let hosts = hosts_dir.join("docker.io/hosts.toml");
    let host = |s: &FakeRegistry| s.url().trim_start_matches("http://").to_owned();
    assert!(std::fs::read_to_string(&hosts)
        .unwrap()
        .contains(&host(&a.server)));

    let cycle = || {
        let mut cmd = sb.mirrorctl();
        // No systemctl on PATH: any restart would fail the cycle.
        cmd.env("PATH", "/nonexistent")
            .args([
                "watch",
                "--once",
                "--json",
                "--target",
                "containerd",
                "--top",
                "1",
            ])
            .args(["--margin", "1000", "--yes", "--catalogue"])
            .arg(&catalogue);
        places(&mut cmd);
        let out = cmd.output().unwrap();
        assert_ok(&out);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        docs::check::<docs::WatchDoc>(&doc);
        doc
    };
    a.down.store(true, Ordering::SeqCst);
    for n in 1..=2 {
        let doc = cycle();
        assert_eq!(doc["changed"], false, "failure {n} of 3: {doc}");
        assert!(std::fs::read_to_string(&hosts)
            .unwrap()
            .contains(&host(&a.server)));
    }
    let doc = cycle();
    assert_eq!(doc["changed"], true, "{doc}");
    assert_eq!(
        doc["after"],
        serde_json::json!([format!("{}/", b.server.url())]),
        "{doc}"
    );
    let text = std::fs::read_to_string(&hosts).unwrap();
    assert!(
        text.contains(&host(&b.server)) && !text.contains(&host(&a.server)),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        config_text,
        "config.toml untouched"
    );

    // Without config_path, containerd would not read the file: watch says to run apply once, and writes nothing.
    std::fs::write(&config, "version = 2\n").unwrap();
    std::fs::remove_dir_all(&hosts_dir).unwrap();
    let mut cmd = sb.mirrorctl();
    cmd.args([
        "watch",
        "--once",
        "--target",
        "containerd",
        "--yes",
        "--catalogue",
    ])
    .arg(&catalogue);
    places(&mut cmd);
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("config_path") && err.contains("apply --target containerd"),
        "{err}"
    );
    assert!(!hosts_dir.exists());
}

/// cronie runs every file in /etc/cron.d but dot-names, `~` and `.rpm*` ones: a backup of the entry left there is
/// a complete root cron entry. Backups of files in live config directories go to the state directory, and
/// restore still finds them there.
#[test]
fn no_backup_is_left_where_cron_or_systemd_would_run_it() {
    let sb = Sandbox::new();
    let cron = sb.path().join("cron.d");
    let units = sb.path().join("systemd/system");
    std::fs::create_dir_all(&cron).unwrap();
    let watch = |args: &[&str]| {
        let out = sb
            .mirrorctl()
            .args(["watch", "--init", "sysv", "--yes", "--cron-dir"])
            .arg(&cron)
            .args(args)
            .output()
            .unwrap();
        assert_ok(&out);
    };
    watch(&["--install", "--every", "6h"]);
    watch(&["--install", "--every", "12h"]);
    watch(&["--uninstall"]);
    let left: Vec<String> = std::fs::read_dir(&cron)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.is_empty(),
        "only the entry itself ever lived in cron.d: {left:?}"
    );
    let kept = sb.path().join("state/backups");
    let all: Vec<_> = std::fs::read_dir(&kept).unwrap().flatten().collect();
    assert_eq!(all.len(), 1, "one directory naming where they belong");
    let name = all[0].file_name().to_string_lossy().into_owned();
    assert!(name.contains("cron%2Ed"), "{name}");
    let backups = std::fs::read_dir(all[0].path()).unwrap().count();
    assert!(backups >= 2, "{backups}");

    // systemd's units as well.
    let path = format!(
        "{}:{}",
        crate::support::yes_systemctl(sb.path()).display(),
        std::env::var("PATH").unwrap()
    );
    for what in ["--install", "--uninstall"] {
        let out = sb
            .mirrorctl()
            .args(["watch", what, "--init", "systemd", "--yes", "--systemd-dir"])
            .arg(&units)
            .env("PATH", &path)
            .output()
            .unwrap();
        assert_ok(&out);
    }
    let left: Vec<String> = std::fs::read_dir(&units)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.iter().all(|n| !n.contains(".mirrorctl-")), "{left:?}");
}

/// dockerd tries its mirrors in order: when watch replaces a dead mirror and the replacement is slower than the
/// mirror behind it, the faster one goes first — in the file and in the live daemon after the reload.
#[test]
fn after_a_replacement_the_best_live_mirror_comes_first() {
    engines::oldest_newest_and_store(|engine| {
        let sb = Sandbox::new();
        let image = Arc::new(Image::new("library/alpine", "latest", 64 * 1024));
        let dead = switchable(&image);
        let fast = FakeRegistry::start(image.clone(), Behavior::default());
        let slow = FakeRegistry::start(
            image.clone(),
            Behavior {
                bandwidth: Some(128 * 1024),
                ..Default::default()
            },
        );
        let (url_dead, url_fast, url_slow) = (
            format!("{}/", dead.server.url()),
            format!("{}/", fast.url()),
            format!("{}/", slow.url()),
        );
        let config = format!(
            "{{\n    \"registry-mirrors\": [\"{url_dead}\", \"{url_fast}\"],\n    \"debug\": false\n}}\n"
        );
        let d = Dockerd::start(engine, &sb.path().join("dockerd"), &config, &[]);
        let catalogue = sb.catalogue(&[
            ("dead", dead.server.url()),
            ("fast", fast.url()),
            ("slow", slow.url()),
        ]);
        dead.down.store(true, Ordering::SeqCst);
        let out = sb
            .mirrorctl()
            .env("PATH", d.path_env())
            .env("DOCKER_HOST", d.host())
            .args([
                "watch",
                "--once",
                "--json",
                "--top",
                "2",
                "--fail-after",
                "1",
            ])
            .args([
                "--margin",
                "1000",
                "--init",
                "systemd",
                "--yes",
                "--catalogue",
            ])
            .arg(&catalogue)
            .arg("--config")
            .arg(&d.config)
            .args(d.certs_dir_args())
            .output()
            .unwrap();
        assert_ok(&out);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["changed"], true, "{doc}");
        assert_eq!(doc["decisions"][0]["action"], "replace", "{doc}");
        assert_eq!(doc["decisions"][0]["replacement"], url_slow.as_str());
        assert_eq!(
            doc["after"],
            serde_json::json!([url_fast, url_slow]),
            "{doc}"
        );
        assert_eq!(d.live_mirrors(), [url_fast.clone(), url_slow.clone()]);
    });
}
