//! `proxy set|show|unset`: a systemd drop-in against a real dockerd (Engine 20.10 has no daemon.json `proxies`), and
//! daemon.json `proxies` on fixtures. Credentials never show.

use std::process::Output;

use serde_json::Value;

use crate::support::dockerd::Dockerd;
use crate::support::engines;
use crate::support::Sandbox;

const PROXY: &str = "http://ops:s3cret@127.0.0.1:3128";
const MASKED: &str = "http://xxxxx:xxxxx@127.0.0.1:3128";

fn run(sb: &Sandbox, d: &Dockerd, args: &[&str]) -> Output {
    sb.mirrorctl()
        .env("PATH", d.path_env())
        .env("DOCKER_HOST", d.host())
        .env("MIRRORCTL_SYSCONFDIR", sb.path().join("etc"))
        .args(args)
        .arg("--systemd-dir")
        .arg(d.dir.join("systemd"))
        .arg("--config")
        .arg(&d.config)
        .output()
        .unwrap()
}

/// PATH with Engine 26's dockerd installed first: `--method daemon-json` is for an engine that reads `proxies`
/// (the system's own is 20.10, which `proxy set` refuses it for).
fn modern_path() -> std::ffi::OsString {
    engines::all().remove(1).path_env()
}

fn all_text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn proxy_set_shows_in_docker_info_and_unset_removes_it() {
    engines::each(|engine| {
        let sb = Sandbox::new();
        let d = Dockerd::start(
            engine,
            &sb.path().join("dockerd"),
            "{\n  \"debug\": false\n}\n",
            &[],
        );
        let out = run(
            &sb,
            &d,
            &[
                "proxy",
                "set",
                PROXY,
                "--no-proxy",
                "localhost,127.0.0.1",
                "--init",
                "systemd",
                "--yes",
            ],
        );
        assert!(out.status.success(), "{}\n{}", all_text(&out), d.log());
        assert!(
            !all_text(&out).contains("s3cret"),
            "the password was printed:\n{}",
            all_text(&out)
        );
        let dropin = d.dir.join("systemd/docker.service.d/http-proxy.conf");
        let config = std::fs::read_to_string(&d.config).unwrap();
        if engine.modern {
            // Engine 23+: daemon.json `proxies`, which the real dockerd then reports through /info.
            let v: Value = serde_json::from_str(&config).unwrap();
            assert_eq!(v["proxies"]["http-proxy"], PROXY, "{config}");
            assert!(!dropin.exists());
        } else {
            assert!(std::fs::read_to_string(&dropin)
                .unwrap()
                .contains(&format!("Environment=\"HTTP_PROXY={PROXY}\"")));
            assert_eq!(
                config, d.original,
                "Engine 20.10: the drop-in, not daemon.json"
            );
        }
        let info = String::from_utf8(d.docker(&["info"]).stdout).unwrap();
        assert!(
            info.contains(&format!(" HTTP Proxy: {MASKED}\n"))
                && info.contains(" No Proxy: localhost,127.0.0.1\n"),
            "{info}"
        );

        let out = sb
            .mirrorctl()
            .env("DOCKER_HOST", d.host())
            .args(["proxy", "show", "--json", "--systemd-dir"])
            .arg(d.dir.join("systemd"))
            .arg("--config")
            .arg(&d.config)
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let (used, unused) = if engine.modern {
            ("daemon_json", "dropin")
        } else {
            ("dropin", "daemon_json")
        };
        assert_eq!(doc[used]["http"], MASKED, "{doc}");
        assert_eq!(doc["live"]["https"], MASKED);
        assert!(doc[unused].is_null(), "{doc}");
        assert!(!all_text(&out).contains("s3cret"));

        let out = run(&sb, &d, &["proxy", "unset", "--init", "systemd", "--yes"]);
        assert!(out.status.success(), "{}", all_text(&out));
        assert!(!dropin.exists());
        assert!(!std::fs::read_to_string(&d.config)
            .unwrap()
            .contains("proxies"));
        let info = String::from_utf8(d.docker(&["info"]).stdout).unwrap();
        // What is left is the test harness's own dead-end proxy from the unit's environment, not ours.
        assert!(
            !info.contains(MASKED) && info.contains(" HTTP Proxy: http://127.0.0.1:9\n"),
            "{info}"
        );
    });
}

#[test]
fn daemon_json_proxies_keep_the_rest_of_the_file() {
    let sb = Sandbox::new();
    let path = sb.path().join("daemon.json");
    let before =
        "{\n    \"registry-mirrors\": [\"https://m.example/\"],\n    \"log-level\": \"warn\"\n}\n";
    std::fs::write(&path, before).unwrap();
    let set = |extra: &[&str]| {
        sb.mirrorctl()
            .env("PATH", modern_path())
            .args([
                "proxy",
                "set",
                PROXY,
                "--method",
                "daemon-json",
                "--no-restart",
                "--config",
            ])
            .arg(&path)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = set(&["--dry-run"]);
    assert!(out.status.success(), "{}", all_text(&out));
    let plan = all_text(&out);
    assert!(
        plan.contains("+    \"proxies\"") && plan.contains(MASKED) && !plan.contains("s3cret"),
        "{plan}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);

    let out = set(&["--yes"]);
    assert!(out.status.success(), "{}", all_text(&out));
    let after = std::fs::read_to_string(&path).unwrap();
    let v: Value = serde_json::from_str(&after).unwrap();
    assert_eq!(v["proxies"]["https-proxy"], PROXY);
    assert!(after.starts_with("{\n    \"registry-mirrors\": [\"https://m.example/\"],\n    \"log-level\": \"warn\",\n"), "{after}");
    assert!(!all_text(&out).contains("s3cret"));

    // --json: the same proxy again changes nothing and says so; unset changes the file and says so.
    let json = |out: std::process::Output| {
        assert!(out.status.success(), "{}", all_text(&out));
        assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        crate::support::docs::check::<crate::support::docs::ChangeDoc>(&doc);
        doc
    };
    let doc = json(set(&["--yes", "--json"]));
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);
    let doc = json(
        sb.mirrorctl()
            .env("PATH", modern_path())
            .args([
                "proxy",
                "unset",
                "--method",
                "daemon-json",
                "--no-restart",
                "--yes",
                "--json",
                "--config",
            ])
            .arg(&path)
            .output()
            .unwrap(),
    );
    assert_eq!(doc["changed"], true, "{doc}");
    assert_eq!(doc["targets"][0]["activation"], "manual");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);

    // restore --json brings the proxy back and says it changed.
    let out = sb
        .mirrorctl()
        .args(["restore", "--no-restart", "--yes", "--json", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let doc = json(out);
    assert_eq!(doc["changed"], true, "{doc}");
    assert!(std::fs::read_to_string(&path).unwrap().contains("proxies"));
}

/// The proxy already set, in another spelling (a drop-in quoted by hand; `proxies` on one compact line): the same
/// meaning to systemd and dockerd, so `proxy set` writes, backs up and restarts nothing, and says changed: false.
#[test]
fn the_same_proxy_in_another_spelling_changes_nothing() {
    let sb = Sandbox::new();
    let units = sb.path().join("systemd");
    let dropin = units.join("docker.service.d/http-proxy.conf");
    std::fs::create_dir_all(dropin.parent().unwrap()).unwrap();
    let by_hand = format!(
        "[Service]\n# ours, by hand\nEnvironment=HTTP_PROXY={PROXY} 'HTTPS_PROXY={PROXY}'\nEnvironment=\"NO_PROXY=localhost\"\n"
    );
    std::fs::write(&dropin, &by_hand).unwrap();
    let config = sb.path().join("daemon.json");
    let compact = format!(
        "{{\"proxies\":{{\"no-proxy\":\"localhost\",\"https-proxy\":\"{PROXY}\",\"http-proxy\":\"{PROXY}\"}}}}"
    );
    std::fs::write(&config, &compact).unwrap();
    for method in ["systemd", "daemon-json"] {
        let out = sb
            .mirrorctl()
            .env("PATH", modern_path())
            .args([
                "proxy",
                "set",
                PROXY,
                "--no-proxy",
                "localhost",
                "--method",
                method,
            ])
            .args(["--no-restart", "--yes", "--json", "--systemd-dir"])
            .arg(&units)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert!(out.status.success(), "{method}: {}", all_text(&out));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        crate::support::docs::check::<crate::support::docs::ChangeDoc>(&doc);
        assert_eq!(doc["changed"], false, "{method}: {doc}");
    }
    assert_eq!(std::fs::read_to_string(&dropin).unwrap(), by_hand);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), compact);
    // Backups of a drop-in go to the state directory (systemd reads its directory): look everywhere in the sandbox.
    fn backups(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                backups(&e.path(), found);
            } else if e.file_name().to_string_lossy().contains(".mirrorctl-") {
                found.push(e.path());
            }
        }
    }
    let mut left = vec![];
    backups(sb.path(), &mut left);
    assert!(left.is_empty(), "no backup for no change: {left:?}");
}

/// Engine 20.10 (the system's dockerd) does not know daemon.json `proxies`: `--method daemon-json` is refused before
/// anything is written or restarted, with the drop-in as the way, exit 2; `auto` picks the drop-in by itself.
#[test]
fn daemon_json_proxies_are_refused_for_engine_20_10_and_auto_picks_the_drop_in() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    let before = "{\n  \"log-level\": \"warn\"\n}\n";
    std::fs::write(&config, before).unwrap();
    let units = sb.path().join("systemd");
    let old = engines::all().remove(0);
    let set = |method: &str, extra: &[&str]| {
        sb.mirrorctl()
            .env("PATH", old.path_env())
            .args(["proxy", "set", PROXY, "--method", method])
            .args(["--no-restart", "--yes", "--systemd-dir"])
            .arg(&units)
            .arg("--config")
            .arg(&config)
            .args(extra)
            .output()
            .unwrap()
    };
    for extra in [&[][..], &["--dry-run"], &["--json"]] {
        let out = set("daemon-json", extra);
        let text = all_text(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {text}");
        assert!(
            text.contains("20.10")
                && text.contains("`proxies`")
                && text.contains("--method systemd"),
            "{extra:?}: {text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
        assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
        assert!(!units.exists(), "nothing written: {extra:?}");
    }
    // Unset stays possible: removing `proxies` is how a file 20.10 refuses is fixed.
    let out = sb
        .mirrorctl()
        .env("PATH", old.path_env())
        .args([
            "proxy",
            "unset",
            "--method",
            "daemon-json",
            "--no-restart",
            "--yes",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_text(&out));

    let out = set("auto", &[]);
    assert!(out.status.success(), "{}", all_text(&out));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    let dropin = std::fs::read_to_string(units.join("docker.service.d/http-proxy.conf")).unwrap();
    assert!(dropin.contains(&format!("HTTPS_PROXY={PROXY}")), "{dropin}");
}

/// `cmd` on a pseudo-terminal (util-linux `script`), stdout and stderr both on it, as a person runs it: the
/// output with escape sequences left out.
fn on_terminal(cmd: &std::process::Command) -> (bool, String) {
    let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"));
    let mut line = format!("stty rows 40 cols 100 && exec {}", quote(cmd.get_program()));
    for a in cmd.get_args() {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &line, "/dev/null"]).env("TERM", "xterm");
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux `script`");
    let mut text = String::new();
    let mut chars = String::from_utf8_lossy(&out.stdout)
        .into_owned()
        .into_bytes();
    chars.retain(|b| *b != b'\r');
    let raw = String::from_utf8_lossy(&chars).into_owned();
    let mut it = raw.chars();
    while let Some(ch) = it.next() {
        if ch == '\u{1b}' {
            for ch in it.by_ref() {
                if ch.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            text.push(ch);
        }
    }
    (out.status.success(), text)
}

/// A proxy change restarts dockerd: before anything is written it says how many running containers that stops,
/// and while docker restarts and `/info` is polled a progress line says what it waits for (on a terminal).
#[test]
fn proxy_set_notes_the_containers_a_restart_stops_and_shows_progress_while_it_waits() {
    engines::oldest_and_newest(|engine| {
        let sb = Sandbox::new();
        let d = Dockerd::start(
            engine,
            &sb.path().join("dockerd"),
            "{\n  \"debug\": false\n}\n",
            &[],
        );
        d.run_busybox();
        let mut cmd = sb.mirrorctl();
        cmd.env("PATH", d.path_env())
            .env("DOCKER_HOST", d.host())
            .args(["proxy", "set", PROXY, "--init", "systemd", "--yes"])
            .arg("--systemd-dir")
            .arg(d.dir.join("systemd"))
            .arg("--config")
            .arg(&d.config);
        let (ok, text) = on_terminal(&cmd);
        assert!(ok, "{text}\n{}", d.log());
        assert!(
            text.contains("note: restarting docker stops 1 running container(s)"),
            "{text}"
        );
        assert!(
            text.contains("waiting for docker to restart")
                || text.contains("waiting for docker info to show the proxy"),
            "no progress line:\n{text}"
        );
        assert!(text.contains("verified: docker info shows"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
        // In a pipe: the note, and no progress line (the restart stopped the first container: another one).
        d.run_busybox();
        let out = run(&sb, &d, &["proxy", "unset", "--init", "systemd", "--yes"]);
        let piped = all_text(&out);
        assert!(out.status.success(), "{piped}");
        assert!(piped.contains("stops 1 running container(s)"), "{piped}");
        assert!(!piped.contains("waiting for"), "{piped}");
    });
}
