//! A real HTTP proxy (Debian's tinyproxy) on loopback. It runs in a mount namespace of its own whose /etc/hosts
//! names test hosts (`mirror.test`) that only the proxy can resolve: a probe that reaches them went through it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::require;

pub struct Tinyproxy {
    pub port: u16,
    log: PathBuf,
    child: Child,
}

impl Tinyproxy {
    /// `names` resolve to 127.0.0.1 for the proxy alone.
    pub fn start(dir: &Path, names: &[&str]) -> Self {
        let bin = require("tinyproxy", "tinyproxy");
        std::fs::create_dir_all(dir).unwrap();
        let port = super::registry::free_port();
        let mut hosts = String::from("127.0.0.1 localhost\n");
        for n in names {
            hosts.push_str(&format!("127.0.0.1 {n}\n"));
        }
        std::fs::write(dir.join("hosts"), hosts).unwrap();
        let config = dir.join("tinyproxy.conf");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nLogLevel Connect\nMaxClients 100\nPidFile \"{}\"\n",
                dir.join("tinyproxy.pid").display()
            ),
        )
        .unwrap();
        let log = dir.join("tinyproxy.log");
        let child = Command::new("unshare")
            .args(super::private_mounts())
            .args(["sh", "-c"])
            .arg("mount --bind \"$0\" /etc/hosts && exec \"$1\" -d -c \"$2\"")
            .arg(dir.join("hosts"))
            .arg(bin)
            .arg(&config)
            // In the foreground (-d) tinyproxy logs to stdout.
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tinyproxy did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { port, log, child }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What tinyproxy logged: one `Request` line per request it carried.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
