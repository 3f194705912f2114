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

/// A systemctl that cannot answer anything, as in a chroot or a container without systemd running.
fn silent_systemctl(sb: &Sandbox) -> std::ffi::OsString {
    let bin = sb.path().join("silent-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join("systemctl");
    std::fs::write(
        &path,
        "#!/bin/sh\necho 'System has not been booted with systemd' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut p = bin.into_os_string();
    p.push(":");
    p.push(std::env::var_os("PATH").unwrap_or_default());
    p
}

fn check<'a>(doc: &'a Value, id: &str) -> Option<&'a Value> {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id && c["severity"] != "ok")
}

#[test]
fn hosts_in_the_file_meets_the_units_minus_h_read_from_disk_when_systemctl_cannot_answer() {
    let sb = Sandbox::new();
    let path = silent_systemctl(&sb);
    // Sandbox::mirrorctl points SYSTEMD_UNIT_PATH here: the stock Debian unit, and no drop-in yet.
    let units = sb.path().join("systemd-units");
    std::fs::create_dir_all(units.join("docker.service.d")).unwrap();
    std::fs::write(
        units.join("docker.service"),
        "[Unit]\nDescription=Docker Application Container Engine\n\n[Service]\nType=notify\nExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS\n",
    )
    .unwrap();
    let config = "{\n  \"hosts\": [\"unix:///var/run/docker.sock\", \"tcp://127.0.0.1:2375\"]\n}\n";
    let (doc, code, text) = doctor(&sb, config, &path);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["dockerd_starts"], false, "{doc:#}");
    let verdict = doc["checks"][0]["reason"].as_str().unwrap();
    assert!(verdict.contains("hosts"), "{verdict}");
    assert!(
        text.contains(&units.join("docker.service").display().to_string()),
        "the unit file is named:\n{text}"
    );
    assert_eq!(
        std::fs::read_to_string(sb.path().join("daemon.json")).unwrap(),
        config
    );

    // The usual fix, a drop-in that starts dockerd without -H: the same file is then fine.
    std::fs::write(
        units.join("docker.service.d/hosts.conf"),
        "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock\n",
    )
    .unwrap();
    let (doc, _, _) = doctor(&sb, config, &path);
    assert_eq!(doc["dockerd_starts"], true, "{doc:#}");
}

fn doctor_all_engines(sb: &Sandbox, bytes: &[u8], hide_dockerd: bool) -> Value {
    let file = sb.path().join("daemon.json");
    std::fs::write(&file, bytes).unwrap();
    let mut inner = sb.mirrorctl();
    inner
        .env("PATH", stub_systemctl(sb, &[("MainPID", "0")]))
        .args(["doctor", "--json", "--init", "systemd", "--config"])
        .arg(&file)
        .args(sb.runtime_places());
    if !hide_dockerd {
        inner.arg("--all-engines");
    }
    let out = if hide_dockerd {
        // No dockerd on this machine: /usr/sbin/dockerd hidden in a mount namespace of doctor's own, and a PATH
        // that has none.
        let mut c = std::process::Command::new("unshare");
        c.args(crate::support::private_mounts())
            .args([
                "sh",
                "-c",
                "mount --bind /dev/null /usr/sbin/dockerd && p=$1 && shift && PATH=$p exec \"$@\"",
                "sh",
            ])
            .arg(sb.path().join("bin"))
            .arg(inner.get_program())
            .args(inner.get_args())
            .envs(
                inner
                    .get_envs()
                    .filter(|(k, _)| *k != "PATH")
                    .filter_map(|(k, v)| v.map(|v| (k, v))),
            );
        c.output().unwrap()
    } else {
        inner.output().unwrap()
    };
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    crate::support::docs::check::<crate::support::docs::DoctorDoc>(&doc);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        bytes,
        "doctor never changes the file"
    );
    doc
}

#[test]
fn all_engines_says_when_the_verdict_depends_on_the_engine() {
    let sb = Sandbox::new();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        "{\"debug\": true}\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let doc = doctor_all_engines(&sb, &utf16, false);
    let found = check(&doc, "engine-dependent").expect("an engine-dependent finding");
    let reason = found["reason"].as_str().unwrap();
    assert!(
        reason.contains("refused by 20.10, accepted by 23.0 and later"),
        "{reason}"
    );
    assert!(found["fix"].as_str().is_some());
    let engines = doc["engines"].as_array().unwrap();
    assert_eq!(engines.len(), 7);
    assert_eq!(
        (
            engines[0]["engine"].as_str(),
            engines[0]["starts"].as_bool()
        ),
        (Some("20.10"), Some(false))
    );
    assert_eq!(engines[6]["starts"], true);

    // The other way round: spaces around a dns address, which 20.10 to 24.0 trim.
    let doc = doctor_all_engines(&sb, b"{\n  \"dns\": [\" 1.1.1.1 \"]\n}\n", false);
    let reason = check(&doc, "engine-dependent").unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reason.contains("accepted by 20.10 to 24.0, refused by 25.0 and later"),
        "{reason}"
    );
    assert!(
        reason.contains("line 2, column 3"),
        "key, line and column: {reason}"
    );

    // A file every engine takes the same way says so.
    let doc = doctor_all_engines(&sb, br#"{"debug": true}"#, false);
    assert!(check(&doc, "engine-dependent").is_none(), "{doc:#}");
}

#[test]
fn with_no_dockerd_installed_doctor_says_which_engines_refuse() {
    if !crate::support::needs_root("hiding /usr/sbin/dockerd in a mount namespace") {
        return;
    }
    let sb = Sandbox::new();
    let config = br#"{"log-driver": "fluentd", "log-opts": {"fluentd-address": "127.0.0.1:24224", "fluentd-async-connect": "true"}}"#;
    let doc = doctor_all_engines(&sb, config, true);
    assert_eq!(doc["engine"], Value::Null, "{doc:#}");
    let reason = check(&doc, "engine-dependent").expect("said without --all-engines")["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reason.contains("accepted by 20.10 to 27.5, refused by 28.5 and later"),
        "{reason}"
    );
    assert!(reason.contains("fluentd-async-connect"), "{reason}");
    assert!(
        doc.get("engines").is_none(),
        "the list only with --all-engines"
    );
}
