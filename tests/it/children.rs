//! Commands that need no engine start no engine: `list`, `history` and `probe` never fork `dockerd --version` or
//! `containerd --version` (90 ms and a 65 MiB child each, before any work, when the Host asked eagerly). Every
//! program mirrorctl might start is put first on PATH as a recorder that notes its name and fails.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::Sandbox;

const RECORDED: &[&str] = &[
    "dockerd",
    "containerd",
    "docker",
    "ctr",
    "systemctl",
    "service",
    "rc-service",
];

/// A PATH whose first directory holds a recorder for each of `RECORDED`, and the log they write to.
fn recorders(sb: &Sandbox) -> (std::ffi::OsString, std::path::PathBuf) {
    let bin = sb.path().join("recorders");
    std::fs::create_dir_all(&bin).unwrap();
    let log = sb.path().join("started.log");
    for name in RECORDED {
        let p = bin.join(name);
        std::fs::write(
            &p,
            format!(
                "#!/bin/sh\necho \"{name} $*\" >> '{}'\nexit 1\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    (path, log)
}

fn started(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

#[test]
fn list_history_and_probe_start_no_engine() {
    let sb = Sandbox::new();
    let (path, log) = recorders(&sb);
    let closed = format!("http://127.0.0.1:{}", crate::support::registry::free_port());
    let run = |args: &[&str]| {
        let out = sb
            .mirrorctl()
            .env("PATH", &path)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    run(&["list"]);
    run(&["list", "--json"]);
    assert_eq!(started(&log), "", "list started a program");

    // A probe of a closed port (it fails fast), recorded in the history; then the history read back.
    run(&[
        "probe",
        "--mirror",
        &closed,
        "--no-daemon-proxy",
        "--timeout",
        "5",
    ]);
    run(&["history"]);
    run(&["history", "--json"]);
    assert_eq!(started(&log), "", "probe or history started a program");

    // The default probe follows dockerd's own proxy, which only the init system can tell (`systemctl show docker
    // -p Environment`): that question is allowed, an engine is not.
    run(&["probe", "--mirror", &closed, "--timeout", "5"]);
    let log = started(&log);
    for engine in ["dockerd", "containerd", "docker ", "ctr"] {
        assert!(
            !log.lines().any(|l| l.starts_with(engine)),
            "probe started {engine}: {log}"
        );
    }

    // The recorders do record: doctor needs the engine's version, and asks.
    let sb2 = Sandbox::new();
    let (path2, log2) = recorders(&sb2);
    sb2.mirrorctl()
        .env("PATH", &path2)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    assert!(
        started(&log2).contains("dockerd --version"),
        "{}",
        started(&log2)
    );
}
