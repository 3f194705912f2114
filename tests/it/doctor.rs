//! `doctor` on fixtures: a stub systemctl for the unit's properties, an options file in a private /etc, and
//! daemon.json files that each break something.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::Sandbox;

/// A systemctl that only answers `show` with the given properties, as a broken server's would.
fn stub_systemctl(sb: &Sandbox, props: &[(&str, &str)]) -> std::ffi::OsString {
    let bin = sb.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mut script = String::from("#!/bin/bash\n[ \"$1\" = show ] || exit 1\ncase \"$4\" in\n");
    for (k, v) in props {
        script.push_str(&format!("  {k}) echo '{v}' ;;\n"));
    }
    script.push_str("  *) echo ;;\nesac\n");
    let path = bin.join("systemctl");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut p = bin.into_os_string();
    p.push(":");
    p.push(std::env::var_os("PATH").unwrap_or_default());
    p
}

fn doctor(sb: &Sandbox, config: &str, path_env: &std::ffi::OsString) -> (Value, i32, String) {
    let file = sb.path().join("daemon.json");
    std::fs::write(&file, config).unwrap();
    let run = |json: bool| {
        let mut c = sb.mirrorctl();
        c.env("PATH", path_env)
            .env(
                "DOCKER_HOST",
                format!("unix://{}", sb.path().join("no-daemon.sock").display()),
            )
            .env("MIRRORCTL_SYSCONFDIR", sb.path().join("etc"))
            .args(["doctor", "--init", "systemd", "--config"])
            .arg(&file)
            .args(sb.runtime_places());
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let (out, text) = (run(true), run(false));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::support::docs::check::<crate::support::docs::DoctorDoc>(&doc);
    (
        doc,
        out.status.code().unwrap(),
        String::from_utf8(text.stdout).unwrap(),
    )
}

/// The worst severity reported for each check id.
fn severities(doc: &Value) -> BTreeMap<String, String> {
    let rank = |s: &str| {
        ["ok", "warning", "error"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    let mut m: BTreeMap<String, String> = BTreeMap::new();
    for c in doc["checks"].as_array().unwrap() {
        let (id, sev) = (
            c["id"].as_str().unwrap().to_owned(),
            c["severity"].as_str().unwrap().to_owned(),
        );
        let worse = m.get(&id).is_none_or(|old| rank(&sev) > rank(old));
        if worse {
            m.insert(id, sev);
        }
    }
    m
}

#[test]
fn every_check_fires_on_its_fixture() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.path().join("etc/default")).unwrap();
    std::fs::write(
        sb.path().join("etc/default/docker"),
        "#DOCKER_OPTS=\"-D\"\nDOCKER_OPTS=\"--insecure-registry 10.0.0.1:5000\"\n",
    )
    .unwrap();
    let path = stub_systemctl(
        &sb,
        &[
            ("ExecStart", "{ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd -H fd:// --registry-mirror=https://flag.example ; ignore_errors=no }"),
            ("Result", "start-limit-hit"),
            ("Environment", "HTTPS_PROXY=http://proxy.corp:3128 NO_PROXY=localhost"),
            ("MainPID", "0"),
        ],
    );
    let config = r#"{
  "registry-mirrors": [
    "https://docker.mirrors.ustc.edu.cn",
    "docker.example.com",
    "https://mirror.ccs.tencentyun.com",
    "https://mirror.ccs.tencentyun.com/",
    "http://10.0.0.2:5000"
  ],
  "insecure-registries": ["10.0.0.1:5000"],
  "registry-mirror": [],
  "registry-auth": "from a blog post"
}"#;
    let (doc, code, text) = doctor(&sb, config, &path);
    assert_eq!(code, 1, "errors mean a non-zero exit");
    let got = severities(&doc);
    let want: BTreeMap<String, String> = [
        ("dockerd-starts", "error"),
        ("config-parse", "ok"),
        ("unknown-keys", "error"),
        ("ignored-key", "warning"),
        ("option-value", "ok"),
        ("flag-conflict", "error"),
        ("mirror-url", "error"),
        ("mirror-closed", "error"),
        ("mirror-restricted", "warning"),
        ("mirror-duplicate", "warning"),
        ("insecure-http-mirror", "warning"),
        ("proxy", "warning"),
        ("daemon-reachable", "warning"),
        ("start-limit", "error"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(got, want, "{doc:#}");
    let conflicts: Vec<&str> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "flag-conflict")
        .map(|c| c["reason"].as_str().unwrap())
        .collect();
    assert!(
        conflicts.iter().any(
            |r| r.contains("--registry-mirror=https://flag.example") && r.contains("ExecStart")
        ),
        "{conflicts:?}"
    );
    assert!(
        conflicts
            .iter()
            .any(|r| r.contains("insecure-registries") && r.contains("DOCKER_OPTS")),
        "{conflicts:?}"
    );
    assert!(
        text.contains("[FAIL] start-limit") && text.contains("reset-failed docker"),
        "{text}"
    );
}

#[test]
fn a_broken_file_and_a_clean_one() {
    let sb = Sandbox::new();
    let path = stub_systemctl(&sb, &[("Result", "success"), ("MainPID", "0")]);
    let (doc, code, _) = doctor(&sb, "{\n  \"debug\": true,\n}\n", &path);
    assert_eq!(code, 1);
    assert_eq!(doc["dockerd_starts"], false, "{doc:#}");
    let parse = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "config-parse")
        .unwrap();
    assert_eq!(
        (parse["id"].as_str(), parse["severity"].as_str()),
        (Some("config-parse"), Some("error"))
    );
    assert!(
        parse["reason"]
            .as_str()
            .unwrap()
            .contains("line 3, column 1"),
        "{parse}"
    );

    let (doc, code, _) = doctor(
        &sb,
        r#"{"registry-mirrors": ["https://docker.1ms.run"], "log-level": "warn"}"#,
        &path,
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["dockerd_starts"], true, "{doc:#}");
    let got = severities(&doc);
    assert!(
        got.iter()
            .all(|(id, s)| s == "ok" || id == "daemon-reachable"),
        "{got:?}"
    );
}

#[test]
fn containerd_and_containers_mirrors_are_checked_too() {
    let sb = Sandbox::new();
    let path = stub_systemctl(&sb, &[("Result", "success"), ("MainPID", "0")]);
    let rt = sb.path().join("runtimes");
    std::fs::create_dir_all(rt.join("containerd/certs.d/docker.io")).unwrap();
    std::fs::create_dir_all(rt.join("containers/registries.conf.d")).unwrap();
    // config.toml without config_path: the CRI plugin will not read hosts.toml.
    std::fs::write(rt.join("containerd/config.toml"), "version = 2\n").unwrap();
    std::fs::write(
        rt.join("containerd/certs.d/docker.io/hosts.toml"),
        "server = \"https://registry-1.docker.io\"\n[host.\"https://docker.mirrors.ustc.edu.cn\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
    )
    .unwrap();
    std::fs::write(
        rt.join("containers/registries.conf.d/10-old.conf"),
        "[[registry]]\nprefix = \"docker.io\"\nlocation = \"registry-1.docker.io\"\n[[registry.mirror]]\nlocation = \"hub-mirror.c.163.com\"\n",
    )
    .unwrap();
    let (doc, code, _) = doctor(&sb, "{}", &path);
    assert_eq!(code, 1);
    let checks = doc["checks"].as_array().unwrap();
    let closed: Vec<&str> = checks
        .iter()
        .filter(|c| c["id"] == "mirror-closed" && c["severity"] == "error")
        .map(|c| c["reason"].as_str().unwrap())
        .collect();
    assert!(
        closed
            .iter()
            .any(|r| r.contains("containerd") && r.contains("ustc")),
        "{closed:?}"
    );
    assert!(
        closed
            .iter()
            .any(|r| r.contains("containers") && r.contains("163")),
        "{closed:?}"
    );
    assert!(
        checks
            .iter()
            .any(|c| c["id"] == "containerd-config-path" && c["severity"] == "warning"),
        "{doc:#}"
    );

    let out = sb
        .mirrorctl()
        .env(
            "DOCKER_HOST",
            format!("unix://{}", sb.path().join("no.sock").display()),
        )
        .args(["show", "--json", "--config"])
        .arg(sb.path().join("daemon.json"))
        .args(sb.runtime_places())
        .output()
        .unwrap();
    let show: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runtimes = show["runtimes"].as_array().unwrap();
    assert_eq!(runtimes.len(), 2, "{show:#}");
    assert_eq!(runtimes[0]["runtime"], "containerd");
    assert_eq!(
        runtimes[0]["mirrors"][0],
        "https://docker.mirrors.ustc.edu.cn"
    );
    assert_eq!(runtimes[1]["mirrors"][0], "https://hub-mirror.c.163.com");
}

#[test]
fn the_users_catalogue_counts_in_doctor_and_show() {
    let sb = Sandbox::new();
    let path = stub_systemctl(&sb, &[("Result", "success"), ("MainPID", "0")]);
    let config = r#"{"registry-mirrors": ["https://docker.mirrors.ustc.edu.cn"]}"#;
    let (doc, _, _) = doctor(&sb, config, &path);
    assert_eq!(
        severities(&doc)["mirror-closed"],
        "error",
        "the built-in catalogue says closed"
    );
    // A user on the campus network knows better.
    let user = sb.path().join("config/mirrorctl");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(
        user.join("mirrors.toml"),
        "[[mirror]]\nname = \"ustc\"\nurl = \"https://docker.mirrors.ustc.edu.cn\"\nstatus = \"active\"\nnotes = \"still works on our campus\"\n",
    )
    .unwrap();
    let (doc, _, _) = doctor(&sb, config, &path);
    assert_eq!(severities(&doc)["mirror-closed"], "ok", "{doc:#}");
    let file = sb.path().join("daemon.json");
    let out = sb
        .mirrorctl()
        .args(["show", "--json", "--config"])
        .arg(&file)
        .args(sb.runtime_places())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("\"closed\""), "{text}");
}
