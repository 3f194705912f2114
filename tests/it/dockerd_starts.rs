//! The differential test: every daemon.json of the corpus (tests/fixtures/daemon-json) is started under every real
//! dockerd of the suite (20.10, 26.1, 28.5), and `doctor --json`'s `dockerd_starts` must say what really happened,
//! on every file and engine. `@DATA@` in a file stands for the test's data-root, `@DIR@` for its own directory.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::containerd::Containerd;
use crate::support::engines::{self, Engine};
use crate::support::Sandbox;

/// The corpus, by name; `@DATA@` in a file stands for the test's own data-root.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/daemon-json");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// The flags that keep a dockerd inside `dir`, less those the file sets itself (a key in both is a conflict).
fn sandbox_flags(dir: &Path, containerd: &Path, bytes: &[u8]) -> Vec<String> {
    let keys: Vec<String> = std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| {
            serde_json::Deserializer::from_str(t.trim_start_matches('\u{feff}'))
                .into_iter::<Value>()
                .next()
        })
        .and_then(Result::ok)
        .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect()))
        .unwrap_or_default();
    [
        ("data-root", dir.join("data").display().to_string()),
        ("exec-root", dir.join("exec").display().to_string()),
        ("pidfile", dir.join("dockerd.pid").display().to_string()),
        (
            "host",
            format!("unix://{}", dir.join("docker.sock").display()),
        ),
        ("storage-driver", "vfs".into()),
        ("iptables", "false".into()),
        ("bridge", "none".into()),
        ("containerd", containerd.display().to_string()),
    ]
    .into_iter()
    .filter(|(k, _)| {
        !keys
            .iter()
            .any(|key| key == k || (*k == "host" && key == "hosts"))
    })
    .map(|(k, v)| format!("--{k}={v}"))
    .collect()
}

fn answers_ping(socket: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200")
}

/// Starts the real dockerd on `config` and says whether it came up (its API answered) or exited, with its log.
/// It runs in a mount namespace of its own with a private /etc/docker: Engine 20.10 writes its trust key there.
fn really_starts(
    engine: &Engine,
    dir: &Path,
    containerd: &Path,
    config: &Path,
    bytes: &[u8],
    name: &str,
) -> (bool, String) {
    std::fs::create_dir_all(dir.join("etc-docker")).unwrap();
    let log_path = dir.join("dockerd.log");
    let mut child = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            "mount --bind \"$0\" /etc/docker && exec \"$@\"",
        ])
        .arg(dir.join("etc-docker"))
        .arg(engine.bin("dockerd"))
        .arg("--config-file")
        .arg(config)
        .args(sandbox_flags(dir, containerd, bytes))
        .arg(format!("--containerd-namespace=t-{name}"))
        .arg(format!("--containerd-plugins-namespace=t-{name}-plugins"))
        .env("PATH", engine.path_env())
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let started = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if answers_ping(&dir.join("docker.sock")) {
            break true;
        }
        assert!(
            Instant::now() < deadline,
            "dockerd neither started nor exited in 60 s on {}",
            engine.name
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    if started {
        unsafe_term(&child);
        let _ = child.wait();
    }
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    // dockerd's first fatal line: the one it exits on, else the first error it logged.
    // (20.10 prints a file it cannot use as a bare line, without logrus's `time=` prefix.)
    let fatal = log
        .lines()
        .find(|l| l.contains("level=fatal") || l.starts_with("failed to start daemon"))
        .or_else(|| {
            log.lines()
                .find(|l| !l.trim().is_empty() && !l.starts_with("time="))
        })
        .or_else(|| log.lines().find(|l| l.contains("level=error")))
        .unwrap_or("")
        .to_owned();
    (started, fatal)
}

fn unsafe_term(child: &Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
}

/// `doctor --json` as a user would run it, with this engine's dockerd first on PATH and no daemon running.
fn doctor(sb: &Sandbox, engine: &Engine, config: &Path, name: &str) -> Value {
    let bin = sb.path().join(name).join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let systemctl = bin.join("systemctl");
    std::fs::write(
        &systemctl,
        "#!/bin/sh\n[ \"$1\" = show ] && { echo; exit 0; }\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &systemctl,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut path = bin.into_os_string();
    path.push(":");
    path.push(engine.path_env());
    let out = sb
        .mirrorctl()
        .env("PATH", path)
        .env(
            "DOCKER_HOST",
            format!(
                "unix://{}",
                sb.path().join(name).join("none.sock").display()
            ),
        )
        .env("MIRRORCTL_SYSCONFDIR", sb.path().join(name).join("etc"))
        .env("MIRRORCTL_STATE_DIR", sb.path().join(name).join("state"))
        .args(["doctor", "--json", "--init", "systemd", "--config"])
        .arg(config)
        .args(sb.runtime_places())
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    crate::support::docs::check::<crate::support::docs::DoctorDoc>(&doc);
    doc
}

/// How many dockerds start at once: each has its own data-root, exec-root, pidfile, socket and containerd
/// namespace, so they cannot meet; most files make dockerd exit within a second, so a few at a time pay off.
const PARALLEL: usize = 6;

/// One corpus file on one engine: what really happened and what doctor said, as a report line.
fn one(
    sb: &Sandbox,
    engine: &Engine,
    containerd: &Path,
    name: &str,
    template: &[u8],
) -> (bool, String) {
    let dir = sb.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let text = String::from_utf8_lossy(template);
    let bytes = if text.contains("@DATA@") || text.contains("@DIR@") {
        text.replace("@DATA@", &dir.join("data").display().to_string())
            .replace("@DIR@", &dir.display().to_string())
            .into_bytes()
    } else {
        template.to_vec()
    };
    let config = dir.join("daemon.json");
    std::fs::write(&config, &bytes).unwrap();
    let (real, fatal) = really_starts(engine, &dir, containerd, &config, &bytes, name);
    let doc = doctor(sb, engine, &config, name);
    let predicted = doc["dockerd_starts"]
        .as_bool()
        .expect("dockerd_starts is a bool");
    let verdict = doc["checks"][0]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        std::fs::read(&config).unwrap(),
        bytes,
        "doctor changed {name}"
    );
    (
        real == predicted,
        format!(
            "{} {name}.json on {}: dockerd {} | doctor: {} ({verdict}) | dockerd's first fatal line: {fatal}",
            if real == predicted { "  " } else { "XX" },
            engine.name,
            if real { "started" } else { "refused to start" },
            if predicted { "starts" } else { "refuses" },
        ),
    )
}

#[test]
fn doctor_predicts_whether_each_real_dockerd_starts_on_every_corpus_file() {
    if !crate::support::needs_root("the differential test") {
        return;
    }
    let corpus = corpus();
    assert!(
        corpus.len() >= 130,
        "the corpus has only {} files",
        corpus.len()
    );
    let mut report = Vec::new();
    let mut wrong = 0;
    for engine in engines::all() {
        let sb = Sandbox::new();
        let dir = sb.path().join("containerd");
        let containerd =
            Containerd::start(&engine, &dir, &Containerd::config_text(&dir, false, ""));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let lines = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..PARALLEL {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((name, template)) = corpus.get(i) else {
                        break;
                    };
                    let line = one(&sb, &engine, &containerd.socket, name, template);
                    lines.lock().unwrap().push((i, line));
                });
            }
        });
        let mut lines = lines.into_inner().unwrap();
        lines.sort_by_key(|(i, _)| *i);
        for (_, (right, line)) in lines {
            wrong += usize::from(!right);
            report.push(line);
        }
    }
    assert_eq!(
        wrong,
        0,
        "doctor was wrong {wrong} times:\n{}",
        report
            .iter()
            .filter(|l| l.starts_with("XX"))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("{}", report.join("\n"));
}
