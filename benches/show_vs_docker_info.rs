//! `mirrorctl show` against `docker info`, side by side in one run, against the same real dockerd.
//!
//! `sudo cargo bench --bench show_vs_docker_info` starts the system's dockerd privately (its own socket, data and
//! exec roots in a temp dir, no bridge, no iptables), then runs the two commands in 9 alternating pairs and prints
//! each one's median wall time and their ratio. `show` reads daemon.json and asks `/info` once; `docker info`
//! asks `/info` (and more) once: the ratio is what mirrorctl adds. Needs root (dockerd does); loopback only.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PAIRS: usize = 9;

fn dockerd(dir: &Path) -> Child {
    let sock = dir.join("docker.sock");
    let child = Command::new("dockerd")
        .arg("-H")
        .arg(format!("unix://{}", sock.display()))
        .arg("--data-root")
        .arg(dir.join("data"))
        .arg("--exec-root")
        .arg(dir.join("exec"))
        .arg("--pidfile")
        .arg(dir.join("dockerd.pid"))
        .args(["--bridge=none", "--iptables=false", "--ip6tables=false"])
        .arg("--config-file")
        .arg(dir.join("daemon.json"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("dockerd.log")).unwrap())
        .spawn()
        .expect("dockerd on PATH (Debian's docker.io)");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !docker_info(&sock) {
        assert!(
            Instant::now() < deadline,
            "dockerd did not answer: see {}/dockerd.log",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

fn docker_info(sock: &Path) -> bool {
    Command::new("docker")
        .arg("-H")
        .arg(format!("unix://{}", sock.display()))
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn time(mut c: Command) -> Duration {
    let start = Instant::now();
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("daemon.json");
    std::fs::write(
        &config,
        "{\n  \"registry-mirrors\": [\"https://a.example/\", \"https://b.example/\"]\n}\n",
    )
    .unwrap();
    let mut daemon = dockerd(dir.path());
    let sock = dir.path().join("docker.sock");
    let host = format!("unix://{}", sock.display());
    let state = dir.path().join("state");
    let (mut show, mut info) = (Vec::new(), Vec::new());
    for _ in 0..PAIRS {
        let mut s = Command::new(env!("CARGO_BIN_EXE_mirrorctl"));
        s.args(["show", "--config"])
            .arg(&config)
            .env("DOCKER_HOST", &host)
            .env("MIRRORCTL_STATE_DIR", &state)
            .env("XDG_CACHE_HOME", dir.path().join("cache"));
        show.push(time(s));
        let mut d = Command::new("docker");
        d.args(["-H", &host, "info"]);
        info.push(time(d));
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
    let (s, d) = (median(show), median(info));
    println!("median of {PAIRS} alternating pairs, against one dockerd:");
    println!("  mirrorctl show  {:>7.1} ms", s.as_secs_f64() * 1e3);
    println!("  docker info     {:>7.1} ms", d.as_secs_f64() * 1e3);
    println!(
        "  ratio           {:>7.2}×",
        s.as_secs_f64() / d.as_secs_f64()
    );
}
