//! The conventions around the commands: list, completions, man pages, -q and -v.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::support::fake_registry::{Behavior, FakeRegistry};
use crate::support::image::Image;
use crate::support::Sandbox;

#[test]
fn list_merges_the_users_catalogue_and_shows_the_last_probe() {
    let sb = Sandbox::new();
    let user = sb.path().join("config/mirrorctl/mirrors.toml");
    std::fs::create_dir_all(user.parent().unwrap()).unwrap();
    std::fs::write(
        &user,
        "[[mirror]]\nname = \"ustc\"\nurl = \"https://docker.mirrors.ustc.edu.cn\"\nstatus = \"active\"\nnotes = \"our campus still has it\"\n\n[[mirror]]\nname = \"office\"\nurl = \"https://hub.office.lan\"\nstatus = \"active\"\n",
    )
    .unwrap();
    let out = sb.mirrorctl().args(["list", "--json"]).output().unwrap();
    crate::support::assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = |name: &str| {
        doc["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .cloned()
    };
    assert_eq!(entry("ustc").unwrap()["from"], user.display().to_string());
    assert_eq!(
        entry("ustc").unwrap()["status"],
        "active",
        "the user's file overrides the built-in status"
    );
    assert_eq!(entry("office").unwrap()["from"], user.display().to_string());
    assert_eq!(entry("1ms").unwrap()["from"], "built-in");
    assert!(entry("163").is_none(), "closed entries only with --all");
    let all: Value = serde_json::from_slice(
        &sb.mirrorctl()
            .args(["list", "--all", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "163" && e["status"] == "closed"));

    // After a probe, list shows each mirror's result.
    let server = FakeRegistry::start(
        Arc::new(Image::new("library/alpine", "latest", 4096)),
        Behavior::default(),
    );
    let catalogue = sb.catalogue(&[("local", server.url())]);
    sb.run_ok([
        std::ffi::OsStr::new("probe"),
        "-q".as_ref(),
        "--catalogue".as_ref(),
        catalogue.as_os_str(),
    ]);
    let out = sb
        .mirrorctl()
        .args(["list", "--json", "--catalogue"])
        .arg(&catalogue)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["entries"][0]["last_probe"]["status"], "ok", "{doc:#}");
    let text = String::from_utf8(
        sb.mirrorctl()
            .args(["list", "--catalogue"])
            .arg(&catalogue)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.contains("local") && text.contains("ok "), "{text}");
}

#[test]
fn quiet_and_verbose() {
    let sb = Sandbox::new();
    let server = FakeRegistry::start(
        Arc::new(Image::new("library/alpine", "latest", 4096)),
        Behavior::default(),
    );
    let catalogue = sb.catalogue(&[("local", server.url())]);
    let run = |flag: &str| {
        sb.mirrorctl()
            .args(["probe", flag, "--catalogue"])
            .arg(&catalogue)
            .output()
            .unwrap()
    };
    let quiet = run("-q");
    assert!(quiet.status.success());
    assert_eq!(
        String::from_utf8_lossy(&quiet.stderr),
        "",
        "-q: nothing on stderr"
    );
    assert!(
        String::from_utf8_lossy(&quiet.stdout).contains("local"),
        "the table still prints"
    );
    let verbose = String::from_utf8(run("-v").stderr).unwrap();
    assert!(
        verbose.contains("phases: dns")
            && verbose.contains("GET http://")
            && verbose.contains("/v2/ → 200"),
        "{verbose}"
    );
    assert!(
        verbose.contains("/blobs/sha256:") && verbose.contains("→ 200"),
        "{verbose}"
    );
}

#[test]
fn completions_and_man_pages() {
    let sb = Sandbox::new();
    let shipped = |rel: &str| {
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    for (shell, file) in [
        ("bash", Some("completions/mirrorctl.bash")),
        ("zsh", Some("completions/_mirrorctl")),
        ("fish", Some("completions/mirrorctl.fish")),
        ("powershell", None),
        ("elvish", None),
    ] {
        let out = sb
            .mirrorctl()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success() && out.stdout.len() > 500, "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("probe"),
            "{shell}"
        );
        // The packages, the tarball and the wheel ship these files: regenerate them when the CLI changes.
        if let Some(file) = file {
            assert!(
                shipped(file) == out.stdout,
                "{file} is out of date: run `cargo run -q -- completions {shell} > {file}`"
            );
        }
    }

    let top = String::from_utf8(sb.mirrorctl().arg("man").output().unwrap().stdout).unwrap();
    assert!(
        top.contains(".TH mirrorctl 1") && top.contains("mirrorctl\\-probe(1)"),
        "{top}"
    );
    let probe = sb.mirrorctl().args(["man", "probe"]).output().unwrap();
    assert!(String::from_utf8_lossy(&probe.stdout).contains(".TH mirrorctl-probe 1"));
    let nested = sb
        .mirrorctl()
        .args(["man", "proxy", "set"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&nested.stdout).contains(".TH mirrorctl-proxy-set 1"));
    let missing = sb.mirrorctl().args(["man", "nope"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("mirrorctl-probe"));

    // Every page, written by `man --dir`, is the one in man/ (shipped by every package): none missing, none extra.
    let dir = sb.path().join("man");
    let out = sb
        .mirrorctl()
        .args(["man", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".1"))
            .collect();
        v.sort();
        v
    };
    let made = names(&dir);
    let committed = names(&Path::new(env!("CARGO_MANIFEST_DIR")).join("man"));
    assert_eq!(
        made, committed,
        "man/ is out of date: run `cargo run -q -- man --dir man`"
    );
    assert!(
        made.len() >= 20 && made.contains(&"mirrorctl-cache-warm.1".to_string()),
        "{made:?}"
    );
    for n in &made {
        assert!(
            std::fs::read(dir.join(n)).unwrap() == shipped(&format!("man/{n}")),
            "man/{n} is out of date: run `cargo run -q -- man --dir man`"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("mirrorctl.1")).unwrap(),
        top
    );
}

/// Runs `cmd` on a pseudo-terminal `cols` wide (util-linux `script`) and returns what the terminal showed.
fn on_terminal(cmd: &std::process::Command, cols: u16) -> String {
    shown(&on_terminal_raw(cmd, cols))
}

/// Every byte written to the terminal, redraws and escapes included.
fn on_terminal_raw(cmd: &std::process::Command, cols: u16) -> String {
    let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"));
    let line = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = std::process::Command::new("script");
    script
        .args([
            "-qec",
            &format!("stty cols {cols} rows 40; {line}"),
            "/dev/null",
        ])
        .stdin(std::process::Stdio::null());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    // A terminal emulator says what it is; without TERM, progress bars take the terminal for a dumb one.
    script.env("TERM", "xterm-256color").env_remove("NO_COLOR");
    let out = script.output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the screen shows: per line, what follows the last carriage return (a progress line redraws itself),
/// without escape sequences (the progress line's "clear line").
fn shown(raw: &str) -> String {
    raw.split('\n')
        .map(|l| {
            let shown = l.rsplit('\r').find(|seg| !seg.is_empty()).unwrap_or("");
            let mut plain = String::new();
            let mut chars = shown.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\u{1b}' {
                    // CSI: ESC [ parameters final-byte
                    if chars.peek() == Some(&'[') {
                        chars.next();
                        for c in chars.by_ref() {
                            if c.is_ascii_alphabetic() {
                                break;
                            }
                        }
                    }
                } else {
                    plain.push(c);
                }
            }
            plain
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ten_mirrors_failing_on_dns_fit_an_80_column_screen_and_say_why_once() {
    use unicode_width::UnicodeWidthStr;
    let sb = Sandbox::new();
    let mirrors: Vec<(String, String)> = (0..10)
        .map(|i| {
            (
                format!("mirror-{i}"),
                format!("https://mirror-{i}.example.test"),
            )
        })
        .collect();
    let refs: Vec<(&str, String)> = mirrors
        .iter()
        .map(|(n, u)| (n.as_str(), u.clone()))
        .collect();
    let catalogue = sb.catalogue(&refs);
    let mut cmd = sb.mirrorctl_no_dns();
    cmd.args(["probe", "--catalogue"]).arg(&catalogue);
    let screen = on_terminal(&cmd, 80);
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    for l in &lines {
        assert!(l.width() <= 80, "{} columns: {l}\n{screen}", l.width());
    }
    assert!(lines.len() <= 40, "{} lines:\n{screen}", lines.len());
    let words = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        words.matches("cannot resolve host names").count(),
        1,
        "said once: {screen}"
    );
    assert_eq!(
        screen.matches("host name does not").count(),
        10,
        "a short reason per row: {screen}"
    );
}

#[test]
fn doctor_fits_an_80_column_terminal() {
    use unicode_width::UnicodeWidthStr;
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    std::fs::write(
        &config,
        "{\n  \"registry-mirrors\": [\"docker.m.daocloud.io\", \"https://docker.mirrors.ustc.edu.cn\"],\n  \"debug\": \"yes\"\n}\n",
    )
    .unwrap();
    let mut cmd = sb.mirrorctl();
    cmd.args(["doctor", "--init", "sysv", "--config"])
        .arg(&config)
        .args(sb.runtime_places());
    let screen = on_terminal(&cmd, 80);
    assert!(screen.contains("dockerd-starts"), "{screen}");
    for l in screen.lines() {
        assert!(l.width() <= 80, "{} columns: {l}\n{screen}", l.width());
    }
}

#[test]
fn quiet_hides_the_progress_line_on_a_terminal() {
    use crate::support::fake_registry::{Behavior, FakeRegistry};
    let sb = Sandbox::new();
    // Slow enough (a few 300 ms answers) for the progress line to be drawn.
    let slow = FakeRegistry::start(
        std::sync::Arc::new(crate::support::image::Image::new(
            "library/alpine",
            "latest",
            1024,
        )),
        Behavior {
            latency: std::time::Duration::from_millis(300),
            ..Default::default()
        },
    );
    let catalogue = sb.catalogue(&[("m", slow.url())]);
    let mut loud = sb.mirrorctl_no_dns();
    loud.args(["probe", "--catalogue"]).arg(&catalogue);
    let raw = on_terminal_raw(&loud, 100);
    assert!(
        raw.contains("probing"),
        "the progress line shows without -q: {raw:?}"
    );
    let mut quiet = sb.mirrorctl_no_dns();
    quiet.args(["probe", "-q", "--catalogue"]).arg(&catalogue);
    let screen = on_terminal_raw(&quiet, 100);
    assert!(!screen.contains("probing"), "{screen}");
    assert!(screen.contains(&slow.url()), "results still show: {screen}");
}

/// Flags that cannot work together, or a value that does not hold here, are found when the command line is
/// lowered: exit code 2, as for clap's own errors, before any request or write.
#[test]
fn what_the_flags_mean_is_checked_before_anything_runs() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    let before = "{\n  \"debug\": true\n}\n";
    std::fs::write(&config, before).unwrap();
    // A mirror that would count any request made to it.
    let server = FakeRegistry::start(
        Arc::new(Image::new("library/alpine", "latest", 4096)),
        Behavior::default(),
    );
    let cases: [&[&str]; 6] = [
        // Not Docker Hub, and no image named in it.
        &["probe", "--registry", "ghcr.io", "--mirror", &server.url()],
        // dockerd's registry-mirrors serve Docker Hub only.
        &[
            "apply",
            "--registry",
            "quay.io",
            "--image",
            "a/b:1",
            "--mirror",
            &server.url(),
        ],
        // An image of another registry than --registry.
        &[
            "probe",
            "--image",
            "ghcr.io/a/b:1",
            "--mirror",
            &server.url(),
        ],
        &["probe", "--platform", "linux/", "--mirror", &server.url()],
        // Neither can watch keep them there.
        &[
            "watch",
            "--once",
            "--registry",
            "quay.io",
            "--image",
            "a/b:1",
            "--mirror",
            &server.url(),
        ],
        // dockerd reads its proxy only at start.
        &["proxy", "set", "http://127.0.0.1:3128", "--reload", "--yes"],
    ];
    for args in cases {
        let out = sb
            .mirrorctl()
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains("hint: "), "{args:?}: {err}");
    }
    assert_eq!(server.requests(), 0, "{:?}", server.served());
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
}

/// `--no-probe` needs no image to probe with: mirrors of another registry are written as given.
#[test]
fn mirrors_written_without_a_probe_need_no_image() {
    let sb = Sandbox::new();
    let dir = sb.path().join("registries.conf.d");
    let out = sb
        .mirrorctl()
        .args(["apply", "--target", "containers", "--registry", "ghcr.io"])
        .args([
            "--mirror",
            "https://m.example",
            "--no-probe",
            "--yes",
            "--json",
        ])
        .arg("--containers-dir")
        .arg(&dir)
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::support::docs::check::<crate::support::docs::ChangeDoc>(&doc);
    assert_eq!(doc["changed"], true, "{doc}");
    // The backup record of a file that did not exist sits beside it: the drop-in is read by its name.
    let text = std::fs::read_to_string(dir.join("50-mirrorctl.conf")).unwrap();
    assert!(text.contains("location = \"m.example\""), "{text}");
}

/// The engines' `--version` are child processes of 65 MiB (dockerd) that cost ~90 ms before any work: commands
/// that never use an engine version must not start them. Stand-ins first on PATH record every start.
#[test]
fn list_history_and_probe_start_no_child_process_and_doctor_does() {
    let sb = Sandbox::new();
    let bin = sb.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = sb.path().join("started");
    for name in [
        "dockerd",
        "containerd",
        "systemctl",
        "docker",
        "service",
        "rc-service",
    ] {
        let script = bin.join(name);
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho {name} >> '{}'\nexit 1\n", log.display()),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let image = Arc::new(Image::new("library/alpine", "latest", 16 * 1024));
    let mirror = FakeRegistry::start(image, Behavior::default());
    for args in [
        vec!["list".to_string()],
        vec!["list".into(), "--json".into()],
        vec!["history".into()],
        vec![
            "probe".into(),
            "--no-daemon-proxy".into(),
            "--mirror".into(),
            mirror.url(),
        ],
    ] {
        let out = sb
            .mirrorctl()
            .args(&args)
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let started = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            started.is_empty(),
            "`mirrorctl {}` started: {started}",
            args.join(" ")
        );
    }
    // The stand-ins are really found: doctor asks the engine's version.
    sb.mirrorctl()
        .arg("doctor")
        .env("PATH", &path)
        .output()
        .unwrap();
    let started = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(started.contains("dockerd"), "doctor started: {started:?}");
}
