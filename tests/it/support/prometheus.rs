//! Debian's real Prometheus and node_exporter, each on a free loopback port with its data and config in the test's
//! temp dir, killed when dropped; and a small HTTP/1.0 client for their APIs (and mirrorctl's listener).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::registry::free_port;
use super::require;

/// A child process killed (and reaped) when the test ends, however it ends.
pub struct Running {
    pub port: u16,
    child: Child,
    log: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn spawn(mut c: Command, log: &Path, port: u16) -> Running {
    let f = std::fs::File::create(log).unwrap();
    let child = c
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .stdin(Stdio::null())
        .spawn()
        .expect("starts");
    Running {
        port,
        child,
        log: log.to_owned(),
    }
}

/// `(status, body)` of a request: the whole answer read to its end (the servers here close or send a length).
pub fn request(port: u16, raw: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // A server may stop reading a request it refuses: its answer is what counts.
    let _ = s.write_all(raw);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

pub fn get(port: u16, path: &str) -> (u16, String) {
    request(
        port,
        format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes(),
    )
}

/// Waits until `GET path` answers 200, or fails with the log.
fn wait_ready(r: &Running, path: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", r.port)).is_ok() && get(r.port, path).0 == 200 {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not come up; log:\n{}", r.log());
}

/// node_exporter with only its textfile collector, reading `dir`.
pub fn node_exporter(dir: &Path, textfiles: &Path) -> Running {
    let bin = require("prometheus-node-exporter", "prometheus-node-exporter");
    let port = free_port();
    let mut c = Command::new(bin);
    c.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--collector.disable-defaults")
        .arg("--collector.textfile")
        .arg(format!(
            "--collector.textfile.directory={}",
            textfiles.display()
        ));
    let r = spawn(c, &dir.join("node-exporter.log"), port);
    wait_ready(&r, "/metrics", "node_exporter");
    r
}

/// Prometheus scraping `targets` (`(job, port)`) every second, loading `rules`.
pub fn prometheus(dir: &Path, targets: &[(&str, u16)], rules: &[&Path]) -> Running {
    let bin = require("prometheus", "prometheus");
    let port = free_port();
    let mut config = String::from(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nrule_files:\n",
    );
    for r in rules {
        config.push_str(&format!("  - {}\n", r.display()));
    }
    config.push_str("scrape_configs:\n");
    for (job, p) in targets {
        config.push_str(&format!(
            "  - job_name: {job}\n    static_configs:\n      - targets: ['127.0.0.1:{p}']\n"
        ));
    }
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let mut c = Command::new(bin);
    c.arg(format!(
        "--config.file={}",
        dir.join("prometheus.yml").display()
    ))
    .arg(format!(
        "--storage.tsdb.path={}",
        dir.join("prometheus-data").display()
    ))
    .arg(format!("--web.listen-address=127.0.0.1:{port}"));
    let r = spawn(c, &dir.join("prometheus.log"), port);
    wait_ready(&r, "/-/ready", "prometheus");
    r
}

/// The result vector of an instant query.
pub fn query(prom: &Running, q: &str) -> Vec<Value> {
    let enc = percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC);
    let (status, body) = get(prom.port, &format!("/api/v1/query?query={enc}"));
    assert_eq!(status, 200, "{q}: {body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    doc["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Polls the query until `ok` holds for its result, or fails after 60 s with the last result and the log.
pub fn wait_for(prom: &Running, q: &str, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = vec![];
    while Instant::now() < deadline {
        last = query(prom, q);
        if ok(&last) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "{q} never held; last: {last:?}\nprometheus log:\n{}",
        prom.log()
    );
}

/// A sample's value.
pub fn value(sample: &Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}
