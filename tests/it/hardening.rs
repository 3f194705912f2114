//! What a careless or hostile user or mirror hands mirrorctl never becomes a directive, a path or a lost edit:
//! each case as a user would type it, with the file system checked afterwards.

use std::path::Path;
use std::process::Output;

use crate::support::Sandbox;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every file under `dir`, for "nothing was written" checks.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn proxy_set(sb: &Sandbox, url: &str, no_proxy: &str) -> Output {
    sb.mirrorctl()
        .args([
            "proxy",
            "set",
            url,
            "--no-proxy",
            no_proxy,
            "--method",
            "systemd",
            "--init",
            "systemd",
        ])
        .args(["--yes", "--no-restart", "--systemd-dir"])
        .arg(sb.path().join("systemd"))
        .output()
        .unwrap()
}

#[test]
fn a_newline_in_no_proxy_or_the_proxy_url_cannot_add_a_systemd_directive() {
    let sb = Sandbox::new();
    let evil = "localhost\"\nExecStartPre=/bin/touch /tmp/PWNED\nEnvironment=\"A=b";
    let out = proxy_set(&sb, "http://127.0.0.1:3128", evil);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("control character"), "{}", text(&out));
    let out = proxy_set(
        &sb,
        "http://127.0.0.1:3128\nExecStartPre=/bin/true",
        "localhost",
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        files(&sb.path().join("systemd")).is_empty(),
        "nothing written"
    );
}

#[test]
fn a_password_with_quotes_and_spaces_is_quoted_by_systemds_rules_and_never_printed() {
    let sb = Sandbox::new();
    let url = "http://ops:p%22a's%20s%25w@127.0.0.1:3128";
    let out = proxy_set(&sb, url, "localhost,127.0.0.1");
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("p%22a"), "{}", text(&out));
    let dropin =
        std::fs::read_to_string(sb.path().join("systemd/docker.service.d/http-proxy.conf"))
            .unwrap();
    // `%` doubled for systemd's specifiers; one directive per line.
    assert!(
        dropin
            .contains("Environment=\"HTTP_PROXY=http://ops:p%%22a's%%20s%%25w@127.0.0.1:3128\"\n"),
        "{dropin}"
    );
    assert_eq!(
        dropin
            .lines()
            .filter(|l| l.starts_with("Environment="))
            .count(),
        3,
        "{dropin}"
    );
}

#[test]
fn a_registry_name_cannot_escape_the_hosts_directory() {
    let sb = Sandbox::new();
    for registry in ["../../escape", "/etc", "a\"b"] {
        let out = sb
            .mirrorctl()
            .args([
                "apply",
                "--target",
                "containerd",
                "--registry",
                registry,
                "--image",
                "x/y:1",
            ])
            .args([
                "--mirror",
                "https://m.example",
                "--no-probe",
                "--yes",
                "--containerd-config",
            ])
            .arg(sb.path().join("containerd/config.toml"))
            .arg("--containerd-hosts-dir")
            .arg(sb.path().join("containerd/certs.d"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{registry}: {}", text(&out));
        assert!(text(&out).contains("not a registry name"), "{}", text(&out));
    }
    assert!(
        files(sb.path()).iter().all(|f| !f.contains("hosts.toml")),
        "{:?}",
        files(sb.path())
    );
}

#[test]
fn a_mirror_url_with_control_characters_is_refused_and_the_file_kept() {
    let sb = Sandbox::new();
    let path = sb.path().join("daemon.json");
    let before = "{\n  \"debug\": true\n}\n";
    std::fs::write(&path, before).unwrap();
    for url in [
        "https://a.example\n",
        "https://a.example/\u{1b}]0;pwned\u{7}",
        " https://a.example",
    ] {
        let out = sb.apply_file(&path, url).output().unwrap();
        assert_ne!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            !text(&out).contains('\u{1b}'),
            "a raw escape reached the terminal: {:?}",
            text(&out)
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    }
}

#[test]
fn a_hostile_mirror_url_cannot_add_a_host_to_hosts_toml() {
    let sb = Sandbox::new();
    let config = sb.path().join("containerd/config.toml");
    let hosts_dir = sb.path().join("containerd/certs.d");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"{}\"\n", hosts_dir.display()),
    )
    .unwrap();
    let evil = "https://a.example/\"]skip_verify=true";
    let out = sb
        .mirrorctl()
        .args([
            "apply",
            "--target",
            "containerd",
            "--mirror",
            evil,
            "--no-probe",
            "--yes",
            "--containerd-config",
        ])
        .arg(&config)
        .arg("--containerd-hosts-dir")
        .arg(&hosts_dir)
        .output()
        .unwrap();
    if out.status.success() {
        let written = std::fs::read_to_string(hosts_dir.join("docker.io/hosts.toml")).unwrap();
        let v: toml::Value = toml::from_str(&written).unwrap();
        let hosts = v["host"].as_table().unwrap();
        assert_eq!(hosts.len(), 1, "{written}");
        assert!(
            hosts.values().all(|h| h.get("skip_verify").is_none()),
            "{written}"
        );
    }
}

#[test]
fn text_a_mirror_or_a_catalogue_sends_is_printed_escaped_never_interpreted() {
    use crate::support::fake_registry::{Behavior, FakeRegistry, Fault};
    let sb = Sandbox::new();
    let server = FakeRegistry::start(
        std::sync::Arc::new(crate::support::image::Image::new(
            "library/alpine",
            "latest",
            1024,
        )),
        Behavior {
            fault: Fault::HostileManifest,
            ..Default::default()
        },
    );
    // A catalogue whose name and notes carry escapes too.
    let catalogue = sb.path().join("c.toml");
    std::fs::write(
        &catalogue,
        format!(
            "[catalogue]\nupdated = \"2026-11-24\"\n\n[[mirror]]\nname = \"evil\\u001b[2J\"\nurl = \"{}\"\nstatus = \"active\"\nnotes = \"\\u001b]0;title\\u0007\"\n",
            server.url()
        ),
    )
    .unwrap();
    for args in [vec!["probe", "-v"], vec!["list"]] {
        let out = sb
            .mirrorctl()
            .args(&args)
            .arg("--catalogue")
            .arg(&catalogue)
            .output()
            .unwrap();
        let all = text(&out);
        assert!(
            !all.contains('\u{1b}') && !all.contains('\u{7}'),
            "{args:?}: {all:?}"
        );
        assert!(
            all.contains("\\u{1b}"),
            "{args:?}: the escape is shown, not dropped: {all}"
        );
    }
}

#[test]
fn a_proxy_password_with_quotes_and_spaces_never_shows_in_a_plan() {
    let sb = Sandbox::new();
    let path = sb.path().join("daemon.json");
    std::fs::write(&path, "{\n  \"debug\": true\n}\n").unwrap();
    // Quotes and a space, percent-encoded as a URL must carry them.
    let url = "http://ops:p%22a's%20w0rd@127.0.0.1:3128";
    // Engine 26's dockerd first on PATH: `proxies` is for an engine that reads it (20.10 is refused before writing).
    let modern = crate::support::engines::all().remove(1).path_env();
    let run = |args: &[&str]| {
        sb.mirrorctl()
            .env("PATH", &modern)
            .args(args)
            .args([
                "--method",
                "daemon-json",
                "--init",
                "systemd",
                "--no-restart",
                "--config",
            ])
            .arg(&path)
            .output()
            .unwrap()
    };
    for args in [
        vec!["proxy", "set", url, "--dry-run"],
        vec!["proxy", "set", url, "--yes"],
        vec!["proxy", "unset", "--dry-run"],
    ] {
        let out = run(&args);
        let all = text(&out);
        assert!(out.status.success(), "{args:?}: {all}");
        assert!(!all.contains("w0rd"), "{args:?}: {all}");
    }
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.contains("p%22a's%20w0rd"),
        "the file has the real password: {written}"
    );
    let out = sb
        .mirrorctl()
        .args(["proxy", "show", "--json", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success() && !text(&out).contains("w0rd"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_token_in_a_mirror_url_is_not_echoed() {
    let sb = Sandbox::new();
    let out = sb
        .mirrorctl()
        .args(["probe", "--mirror", "https://ghp_s3cr3tT0ken@m.example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out).contains("ghp_s3cr3tT0ken"), "{}", text(&out));
}

#[test]
fn a_bind_mounted_file_gets_an_error_that_says_so_and_stays_as_it_was() {
    let sb = Sandbox::new();
    let path = sb.path().join("daemon.json");
    let before = "{\n  \"debug\": true\n}\n";
    std::fs::write(&path, before).unwrap();
    // As in a container or Docker Desktop: the file is a mount point, which rename(2) cannot replace.
    let mut outer = std::process::Command::new("unshare");
    outer
        .args(crate::support::private_mounts())
        .args(["sh", "-c", "mount --bind \"$0\" \"$0\" && exec \"$@\""])
        .arg(&path);
    let out = crate::support::inside(outer, &sb.apply_file(&path, "https://m.example"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("bind mount"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

/// `std::env::args` panics on such an argument (exit 101, or 134 in a release build); it is a usage error.
#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error_naming_it_not_an_abort() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new();
    let bad = std::ffi::OsStr::from_bytes(b"\xff");
    for lang in ["en", "zh"] {
        let out = sb
            .mirrorctl()
            .args(["probe", "--lang", lang, "--mirror"])
            .arg(bad)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.starts_with("error: ") || err.starts_with("错误"),
            "{err}"
        );
        assert!(
            err.contains("--mirror") && err.contains("\"\\xFF\""),
            "{err}"
        );
        assert!(
            err.lines()
                .any(|l| l.starts_with("hint: ") || l.starts_with("提示")),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// `Instant + u64::MAX seconds` overflowed and aborted; now the value is checked before anything runs.
#[test]
fn a_lock_wait_beyond_a_day_is_a_usage_error_and_nothing_is_written() {
    let sb = Sandbox::new();
    let path = sb.path().join("daemon.json");
    let before = "{\n  \"debug\": true\n}\n";
    std::fs::write(&path, before).unwrap();
    for wait in ["18446744073709551615", "86401", "soon"] {
        let out = sb
            .apply_file(&path, "https://m.example")
            .env("MIRRORCTL_LOCK_WAIT_SECS", wait)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{wait}: {err}");
        assert!(
            err.contains("from 0 to 86400") && err.lines().any(|l| l.starts_with("hint: ")),
            "{wait}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    }
    let out = sb
        .apply_file(&path, "https://m.example")
        .env("MIRRORCTL_LOCK_WAIT_SECS", "86400")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// `SystemTime::now() - 57 years` is before 1970 and its formatting panicked (exit 101, 134 in a release build).
#[test]
fn a_history_window_beyond_the_keep_is_a_usage_error_not_an_abort() {
    let sb = Sandbox::new();
    for since in ["57y", "91d", "5000000000000y"] {
        let out = sb
            .mirrorctl()
            .args(["history", "--since", since])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{since}: {err}");
        assert!(
            err.contains("--since") && err.contains("1s to 90d"),
            "{since}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = sb
        .mirrorctl()
        .args(["history", "--json", "--since", "90d"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// What `watch --install` writes is only what a run can parse back: a value that begins with `-` goes with its
/// flag (`--margin=0`), a unit name that is a flag is refused, a period cron or systemd would not keep exactly
/// is refused — each before anything is written. The cron entry is then run as cron would run it (`sh -c`, a
/// dry run against a loopback mirror) and must work.
#[test]
fn a_timer_is_installed_only_with_values_its_runs_can_parse() {
    use crate::support::fake_registry::{Behavior, FakeRegistry};
    let sb = Sandbox::new();
    let cron = sb.path().join("cron.d");
    std::fs::create_dir_all(&cron).unwrap();
    let install = |extra: &[&str]| {
        sb.mirrorctl()
            .args([
                "watch",
                "--install",
                "--init",
                "sysv",
                "--yes",
                "--cron-dir",
            ])
            .arg(&cron)
            .args(extra)
            .output()
            .unwrap()
    };
    for (extra, why) in [
        (
            &["--cache", "--registry-unit=--allow-restart"][..],
            "not a service name",
        ),
        (
            &["--cache", "--registry-unit", "-x.service"][..],
            "unexpected argument",
        ),
        (&["--every", "1min 1ns"][..], "below a whole minute"),
        (
            &["--every", "90min"][..],
            "cron cannot run every 1h 30min exactly",
        ),
        (&["--every", "2d"][..], "exactly"),
    ] {
        let out = install(extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", text(&out));
        assert!(text(&out).contains(why), "{extra:?}: {}", text(&out));
        assert!(files(&cron).is_empty(), "{extra:?}: nothing written");
    }

    let server = FakeRegistry::start(
        std::sync::Arc::new(crate::support::image::Image::new(
            "library/alpine",
            "latest",
            1024,
        )),
        Behavior::default(),
    );
    let catalogue = sb.catalogue(&[("local", server.url())]);
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{}\n").unwrap();
    let out = sb
        .mirrorctl()
        .args([
            "watch",
            "--install",
            "--init",
            "sysv",
            "--yes",
            "--every",
            "30min",
        ])
        .args(["--margin=-0", "--no-daemon-proxy", "--cron-dir"])
        .arg(&cron)
        .arg("--catalogue")
        .arg(&catalogue)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let entry = std::fs::read_to_string(cron.join("mirrorctl-watch")).unwrap();
    assert!(entry.contains("\n*/30 * * * * root '"), "{entry}");
    assert!(entry.contains(" '--margin=0' "), "{entry}");
    let line = entry.lines().find(|l| l.starts_with("*/30")).unwrap();
    let command = line
        .strip_prefix("*/30 * * * * root ")
        .and_then(|l| l.strip_suffix(" >/dev/null 2>&1"))
        .unwrap();
    // As cron runs it (sh, cron's PATH), but a dry run, with the sandbox's HOME and XDG dirs.
    let sandbox_env: Vec<_> = sb
        .mirrorctl()
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{command} --dry-run"))
        .env_clear()
        .envs(sandbox_env)
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{command}: {}", text(&out));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "{}\n");
}

/// A mirror's text is one piece of one of our lines: a newline inside a manifest's mediaType cannot start a line
/// of its own, so a mirror cannot print a forged `verified: …` under `probe -v` or in apply's error.
#[test]
fn a_newline_a_mirror_sends_cannot_start_a_line_of_ours() {
    use crate::support::fake_registry::{Behavior, FakeRegistry, Fault};
    const FORGED: &str =
        "verified: sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let sb = Sandbox::new();
    let server = FakeRegistry::start(
        std::sync::Arc::new(crate::support::image::Image::new(
            "library/alpine",
            "latest",
            1024,
        )),
        Behavior {
            fault: Fault::ManifestMediaType(
                "application/x\nverified: sha256:0000000000000000000000000000000000000000000000000000000000000000\r\n",
            ),
            ..Default::default()
        },
    );
    let catalogue = sb.catalogue(&[("forger", server.url())]);
    let config = sb.path().join("daemon.json");
    let before = "{\n  \"debug\": true\n}\n";
    std::fs::write(&config, before).unwrap();
    let probe = sb
        .mirrorctl()
        .args(["probe", "-v", "--no-daemon-proxy", "--catalogue"])
        .arg(&catalogue)
        .output()
        .unwrap();
    let apply = sb
        .mirrorctl()
        .args([
            "apply",
            "--no-daemon-proxy",
            "--yes",
            "--no-restart",
            "--mirror",
        ])
        .arg(server.url())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    for (what, out, code) in [("probe -v", &probe, 3), ("apply", &apply, 1)] {
        let all = text(out);
        assert_eq!(out.status.code(), Some(code), "{what}: {all}");
        // The failure is there, escaped, on the line that names the media type …
        assert!(
            all.lines()
                .any(|l| l.contains("application/x\\nverified: sha256:") && l.contains("\\r\\n")),
            "{what}: {all}"
        );
        // … and no line of the output begins with the mirror's text.
        assert!(
            all.lines()
                .all(|l| !l.trim_start().starts_with(FORGED)
                    && !l.trim_start().starts_with("verified:")),
            "{what}: {all}"
        );
        assert!(!all.contains('\r'), "{what}: {all:?}");
    }
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
}
