//! `show` against a real dockerd: the same lines as `docker info`, drift, and catalogue annotations.

use serde_json::Value;

use crate::support::dockerd::Dockerd;
use crate::support::engines;
use crate::support::Sandbox;

#[test]
fn show_prints_what_docker_info_prints_and_reports_drift() {
    engines::each(|engine| {
        let sb = Sandbox::new();
        let config = r#"{
  "registry-mirrors": ["https://docker.mirrors.ustc.edu.cn", "http://127.0.0.1:9"],
  "insecure-registries": ["reg.lan:5000", "10.1.0.0/16"]
}
"#;
        let d = Dockerd::start(engine, &sb.path().join("dockerd"), config, &[]);
        let show = |json: bool| {
            let mut c = sb.mirrorctl();
            c.env("DOCKER_HOST", d.host())
                .arg("show")
                .arg("--config")
                .arg(&d.config)
                .args(sb.runtime_places());
            if json {
                c.arg("--json");
            }
            let out = c.output().unwrap();
            crate::support::assert_ok(&out);
            String::from_utf8(out.stdout).unwrap()
        };

        // Byte for byte the blocks of the real `docker info`.
        let info = String::from_utf8(d.docker(&["info"]).stdout).unwrap();
        let start = info
            .find(" Insecure Registries:\n")
            .expect("docker info has the block");
        let end = info.find(" Live Restore Enabled:").unwrap();
        let expected = &info[start..end];
        let doc: Value = serde_json::from_str(&show(true)).unwrap();
        assert_eq!(
            doc["live"]["docker_info"], expected,
            "docker info said:\n{expected}"
        );
        assert!(show(false).contains(expected));
        assert!(doc["differences"].as_array().unwrap().is_empty(), "{doc}");

        // The closed USTC mirror is flagged from the catalogue; the other is unknown to it.
        let ustc = doc["mirrors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["url"] == "https://docker.mirrors.ustc.edu.cn/")
            .unwrap();
        assert_eq!(ustc["catalogue"]["status"], "closed");
        assert!(show(false).contains("CLOSED"));

        // Change the file without restarting: show says so and how to fix it.
        std::fs::write(&d.config, r#"{"registry-mirrors": ["https://docker.m.daocloud.io"], "insecure-registries": ["reg.lan:5000", "10.1.0.0/16"]}"#).unwrap();
        let doc: Value = serde_json::from_str(&show(true)).unwrap();
        let kinds: Vec<&str> = doc["differences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["not-applied", "not-in-file"], "{doc}");
        assert!(show(false).contains("docker was not restarted"));

        // doctor sees the same drift against the live daemon.
        let out = sb
            .mirrorctl()
            .env("DOCKER_HOST", d.host())
            .env("PATH", d.path_env())
            .env("MIRRORCTL_SYSCONFDIR", sb.path().join("etc"))
            .args(["doctor", "--json", "--init", "systemd", "--config"])
            .arg(&d.config)
            .args(sb.runtime_places())
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let drift = doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "live-drift")
            .unwrap();
        assert_eq!(drift["severity"], "warning", "{doc:#}");
    });
}

#[test]
fn show_without_a_daemon_still_reads_the_file() {
    let sb = Sandbox::new();
    let path = sb.path().join("daemon.json");
    std::fs::write(
        &path,
        r#"{"registry-mirrors": ["https://hub-mirror.c.163.com"]}"#,
    )
    .unwrap();
    let out = sb
        .mirrorctl()
        .env(
            "DOCKER_HOST",
            format!("unix://{}", sb.path().join("nothing.sock").display()),
        )
        .args(["show", "--json", "--config"])
        .arg(&path)
        .args(sb.runtime_places())
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["live"]["reachable"], false);
    // Nothing listens on the socket: said plainly, with the socket, and no reqwest chain (issue 22).
    let said = doc["live"]["error"].as_str().unwrap();
    let socket = sb.path().join("nothing.sock");
    assert_eq!(
        said,
        format!(
            "docker is not running (cannot connect to {})",
            socket.display()
        )
    );
    assert_eq!(doc["file"]["mirrors"][0], "https://hub-mirror.c.163.com");
    assert_eq!(doc["mirrors"][0]["catalogue"]["status"], "closed");
}

/// `show` and `doctor --json` against `d`, as a person would run them.
fn show_and_doctor(sb: &Sandbox, d: &Dockerd) -> (Value, Value) {
    let out = sb
        .mirrorctl()
        .env("DOCKER_HOST", d.host())
        .args(["show", "--json", "--config"])
        .arg(&d.config)
        .args(sb.runtime_places())
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let show: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = sb
        .mirrorctl()
        .env("DOCKER_HOST", d.host())
        .env("PATH", d.path_env())
        .env("MIRRORCTL_SYSCONFDIR", sb.path().join("etc"))
        .args(["doctor", "--json", "--init", "systemd", "--config"])
        .arg(&d.config)
        .args(sb.runtime_places())
        .output()
        .unwrap();
    let doctor: Value = serde_json::from_slice(&out.stdout).unwrap();
    (show, doctor)
}

fn check<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {doc:#}"))
}

/// Issue 22: with a file the daemon would refuse, neither show nor doctor advises a reload; they name the key the
/// user wrote (`registry-auth`, not the host inside it) and what to do instead (`docker login`).
#[test]
fn a_file_dockerd_refuses_is_the_fix_not_a_reload() {
    engines::each(|engine| {
        let sb = Sandbox::new();
        let d = Dockerd::start(
            engine,
            &sb.path().join("dockerd"),
            "{\n  \"registry-mirrors\": [\"https://a.example\"]\n}\n",
            &[],
        );
        let refused = "{\n  \"registry-mirrors\": [\"https://b.example\"],\n  \"registry-auth\": {\"harbor.example.com\": {\"username\": \"u\"}}\n}\n";
        std::fs::write(&d.config, refused).unwrap();
        let (show, doctor) = show_and_doctor(&sb, &d);
        let fix = show["differences"][0]["fix"].as_str().unwrap();
        assert!(
            fix.starts_with(&format!("fix {} first", d.config.display()))
                && fix.contains("`registry-auth`")
                && fix.contains("line 3, column 3")
                && !fix.starts_with("sudo systemctl reload"),
            "{}: {fix}",
            engine.name
        );
        let drift = check(&doctor, "live-drift")["fix"].as_str().unwrap();
        assert!(drift.starts_with("fix "), "{drift}");
        let keys = check(&doctor, "unknown-keys");
        let reason = keys["reason"].as_str().unwrap();
        assert!(
            reason.contains("`registry-auth` is not a dockerd option"),
            "{reason}"
        );
        assert!(
            keys["fix"].as_str().unwrap().contains("docker login"),
            "{keys}"
        );
        // The advice is right: this dockerd refuses the file (it says so of the host inside the key).
        if let Some(Err(said)) = dockerd_validate(engine, &d.config) {
            assert!(said.contains("harbor.example.com"), "{said}");
        }
    });
}

/// `dockerd --validate` of the engine on `file`, when it has the flag (23+).
fn dockerd_validate(
    engine: &crate::support::engines::Engine,
    file: &std::path::Path,
) -> Option<Result<(), String>> {
    let bin = engine.bin("dockerd");
    let help = std::process::Command::new(&bin)
        .arg("--help")
        .env("PATH", engine.path_env())
        .output()
        .ok()?;
    if !String::from_utf8_lossy(&help.stdout).contains("--validate") {
        return None;
    }
    let out = std::process::Command::new(&bin)
        .args(["--validate", "--config-file"])
        .arg(file)
        .env("PATH", engine.path_env())
        .output()
        .unwrap();
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

/// Issue 22: every dockerd starts with `HTTP://host` (Go lower-cases the scheme), and `docker info` lists it as
/// written; doctor calls that a warning that says why pulls never use it, not a refusal, and finds no drift.
#[test]
fn an_upper_case_scheme_starts_every_dockerd_and_doctor_warns() {
    engines::each(|engine| {
        let sb = Sandbox::new();
        let d = Dockerd::start(
            engine,
            &sb.path().join("dockerd"),
            "{\n  \"registry-mirrors\": [\"HTTP://127.0.0.1:9\"]\n}\n",
            &[],
        );
        assert_eq!(d.live_mirrors(), ["HTTP://127.0.0.1:9/"], "{}", engine.name);
        let (show, doctor) = show_and_doctor(&sb, &d);
        assert!(
            show["differences"].as_array().unwrap().is_empty(),
            "{show:#}"
        );
        assert_eq!(doctor["dockerd_starts"], true, "{doctor:#}");
        let url = check(&doctor, "mirror-url");
        assert_eq!(url["severity"], "warning", "{url}");
        let reason = url["reason"].as_str().unwrap();
        assert!(
            reason.contains("https://HTTP://127.0.0.1:9/")
                && reason.contains("http://127.0.0.1:9/"),
            "{reason}"
        );
        assert_eq!(check(&doctor, "live-drift")["severity"], "ok", "{doctor:#}");
    });
}
