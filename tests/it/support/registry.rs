//! Real `docker-registry` processes (Debian's distribution 2.8): an upstream holding our image, and a pull-through
//! mirror of it, configured exactly as an operator would configure a mirror.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::image::Image;
use super::require;

pub struct Registry {
    pub port: u16,
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The `GET` request paths this registry answered, from its own access log, in order.
    pub fn gets(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("response completed") && l.contains("http.request.method=GET"))
            .filter_map(|l| {
                let uri = l.split("http.request.uri=\"").nth(1)?;
                Some(uri.split('"').next()?.to_owned())
            })
            .collect()
    }

    /// A plain registry storing under `dir`; with `upstream`, a pull-through cache of it.
    pub fn start(dir: &Path, upstream: Option<&str>) -> Self {
        Self::start_with(dir, upstream, "")
    }

    /// `start`, with `http` lines of its own (`  debug:\n    addr: …\n` for distribution's /debug/vars).
    pub fn start_with(dir: &Path, upstream: Option<&str>, http: &str) -> Self {
        let bin = require("docker-registry", "docker-registry");
        let port = free_port();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let proxy = upstream
            .map(|u| format!("proxy:\n  remoteurl: {u}\n"))
            .unwrap_or_default();
        let config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{http}{proxy}",
            dir.join("data").display()
        );
        let config_path = dir.join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.join("registry.log")).unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let r = Self {
            port,
            child,
            log: dir.join("registry.log"),
        };
        r.wait_ready(dir);
        r
    }

    /// Polls `/v2/` until it answers, or fails with the registry's log after 20 s.
    fn wait_ready(&self, dir: &Path) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: x\r\n\r\n");
                let mut head = [0u8; 12];
                if s.read_exact(&mut head).is_ok() && &head[9..12] == b"200" {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "docker-registry did not come up; log:\n{}",
            std::fs::read_to_string(dir.join("registry.log")).unwrap_or_default()
        );
    }

    /// Pushes the image with skopeo, a real client, from an OCI layout on disk.
    pub fn push(&self, image: &Image, work: &Path) {
        let layout = work.join("oci-layout");
        image.write_oci_layout(&layout);
        let out = super::skopeo(&work.join("skopeo-home"))
            .args([
                "--insecure-policy",
                "copy",
                "--all",
                "--dest-tls-verify=false",
            ])
            .arg(format!("oci:{}:{}", layout.display(), image.tag))
            .arg(format!(
                "docker://127.0.0.1:{}/{}:{}",
                self.port, image.repository, image.tag
            ))
            .output()
            .expect("skopeo runs");
        assert!(
            out.status.success(),
            "skopeo copy failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
