//! Docker Hub on this machine: a mount namespace whose /etc/hosts maps registry-1.docker.io (and its auth and CDN
//! hosts) to a loopback address of ours, where a listener on port 443 takes each connection and closes it — so a
//! pull that falls back upstream really connects, and that connection is seen, with no packet leaving the machine.
//! /etc/resolv.conf names 127.0.0.1 there (nothing answers): no other name is looked up on the network.
//!
//! dockerd runs inside through a `dockerd` first on the engine's PATH (as support/store.rs does) that also drops
//! the proxy the private systemctl gives every test daemon; mirrorctl runs inside through `mirrorctl`, so both
//! resolve Docker Hub to the same address.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::engines::Engine;

pub struct FakeHub {
    hosts: PathBuf,
    resolv: PathBuf,
    connections: Arc<AtomicUsize>,
}

const WRAPPER: &str = r#"#!/bin/sh
# dockerd in a mount namespace whose /etc/hosts maps Docker Hub to a listener of the test's (support/fake_hub.rs).
exec unshare --mount --propagation private sh -c '
set -e
mount --bind "$0" /etc/hosts
mount --bind "$1" /etc/resolv.conf
real="$2"; shift 3
exec env -u HTTP_PROXY -u HTTPS_PROXY -u NO_PROXY "$real" "$@"
' "__HOSTS__" "__RESOLV__" "__REAL__" -- "$@"
"#;

impl FakeHub {
    /// A listener on 127.x.y.z:443 (an address of its own: tests run in parallel) and the files that map to it.
    pub fn start(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let (listener, ip) = (1..200u8)
            .find_map(|i| {
                let ip = Ipv4Addr::new(127, 43, (std::process::id() % 250) as u8, i);
                TcpListener::bind((ip, 443)).ok().map(|l| (l, ip))
            })
            .expect("a loopback address with port 443 free");
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        std::thread::spawn(move || {
            for c in listener.incoming() {
                let Ok(mut c) = c else { continue };
                seen.fetch_add(1, Ordering::SeqCst);
                // Not a TLS server: the client's handshake ends with EOF, a failure dockerd names the host in. Its
                // hello is read first and the close is a FIN, not the RST of a close with unread data.
                std::thread::spawn(move || {
                    use std::io::Read;
                    let _ = c.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                    let mut buf = [0u8; 4096];
                    let _ = c.read(&mut buf);
                    let _ = c.shutdown(std::net::Shutdown::Write);
                    while matches!(c.read(&mut buf), Ok(n) if n > 0) {}
                });
            }
        });
        let hosts = dir.join("hosts");
        std::fs::write(
            &hosts,
            format!(
                "127.0.0.1 localhost\n{ip} registry-1.docker.io auth.docker.io production.cloudflare.docker.com\n"
            ),
        )
        .unwrap();
        let resolv = dir.join("resolv.conf");
        std::fs::write(
            &resolv,
            "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
        )
        .unwrap();
        Self {
            hosts,
            resolv,
            connections,
        }
    }

    /// How many connections reached "Docker Hub".
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// `engine` with a `dockerd` first on its PATH that runs the real one in the namespace.
    pub fn engine(&self, engine: &Engine, dir: &Path) -> Engine {
        let wrap = dir.join("hub-bin");
        std::fs::create_dir_all(&wrap).unwrap();
        let script = WRAPPER
            .replace("__HOSTS__", &self.hosts.display().to_string())
            .replace("__RESOLV__", &self.resolv.display().to_string())
            .replace("__REAL__", &engine.bin("dockerd").display().to_string());
        std::fs::write(wrap.join("dockerd"), script).unwrap();
        std::fs::set_permissions(
            wrap.join("dockerd"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let mut bins = vec![wrap];
        bins.extend(engine.bins.iter().cloned());
        Engine {
            name: engine.name,
            bins,
            modern: engine.modern,
        }
    }

    /// `inner` (mirrorctl) run in the same kind of namespace.
    pub fn inside(&self, inner: &Command) -> Command {
        let mut outer = Command::new("unshare");
        outer
            .args(super::private_mounts())
            .args(["sh", "-c"])
            .arg("mount --bind \"$0\" /etc/hosts && mount --bind \"$1\" /etc/resolv.conf && shift && exec \"$@\"")
            .arg(&self.hosts)
            .arg(&self.resolv);
        super::inside(outer, inner)
    }
}
