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
    /// `serving`: the CA dockerd trusts (SSL_CERT_FILE) and the real registry behind the name.
    ca: Option<PathBuf>,
    registry: Option<std::process::Child>,
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        if let Some(c) = &mut self.registry {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

const WRAPPER: &str = r#"#!/bin/sh
# dockerd in a mount namespace whose /etc/hosts maps Docker Hub to a listener of the test's (support/fake_hub.rs).
exec unshare --mount --propagation private sh -c '
set -e
mount --bind "$0" /etc/hosts
mount --bind "$1" /etc/resolv.conf
real="$2"; shift 3
exec env -u HTTP_PROXY -u HTTPS_PROXY -u NO_PROXY __CA__ "$real" "$@"
' "__HOSTS__" "__RESOLV__" "__REAL__" -- "$@"
"#;

impl FakeHub {
    /// A loopback address of its own (tests run in parallel) whose port 443 is free.
    fn address() -> (TcpListener, Ipv4Addr) {
        (1..200u8)
            .find_map(|i| {
                let ip = Ipv4Addr::new(127, 43, (std::process::id() % 250) as u8, i);
                TcpListener::bind((ip, 443)).ok().map(|l| (l, ip))
            })
            .expect("a loopback address with port 443 free")
    }

    /// A listener on 127.x.y.z:443 that closes every connection, and the files that map Docker Hub to it.
    pub fn start(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let (listener, ip) = Self::address();
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
        Self::files(dir, ip, connections)
    }

    /// A real docker-registry with TLS at 127.x.y.z:443 holding `image`, under the name registry-1.docker.io and
    /// a certificate for it from a CA of ours that dockerd trusts (SSL_CERT_FILE, read by Go's certificate pool):
    /// a pull that falls back to Docker Hub works, and comes from here.
    pub fn serving(dir: &Path, image: &super::image::Image) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let (listener, ip) = Self::address();
        drop(listener);
        let (ca, leaf, key) = ca_and_leaf("registry-1.docker.io");
        let (ca_path, cert, key_path) = (
            dir.join("ca.pem"),
            dir.join("cert.pem"),
            dir.join("key.pem"),
        );
        std::fs::write(&ca_path, ca.pem()).unwrap();
        std::fs::write(&cert, leaf.pem() + &ca.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {ip}:443\n  tls:\n    certificate: {}\n    key: {}\n",
            dir.join("data").display(),
            cert.display(),
            key_path.display()
        );
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let log = std::fs::File::create(dir.join("registry.log")).unwrap();
        let child = Command::new(super::require("docker-registry", "docker-registry"))
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect((ip, 443)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the TLS registry did not come up"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let layout = dir.join("oci-layout");
        image.write_oci_layout(&layout);
        let out = super::skopeo(&dir.join("skopeo-home"))
            .args(["--insecure-policy", "copy", "--dest-tls-verify=false"])
            .arg(format!("oci:{}:{}", layout.display(), image.tag))
            .arg(format!(
                "docker://{ip}:443/{}:{}",
                image.repository, image.tag
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut hub = Self::files(dir, ip, Arc::new(AtomicUsize::new(0)));
        hub.ca = Some(ca_path);
        hub.registry = Some(child);
        hub
    }

    fn files(dir: &Path, ip: Ipv4Addr, connections: Arc<AtomicUsize>) -> Self {
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
            ca: None,
            registry: None,
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
            .replace("__REAL__", &engine.bin("dockerd").display().to_string())
            .replace(
                "__CA__",
                &self
                    .ca
                    .as_ref()
                    .map(|c| format!("SSL_CERT_FILE={}", c.display()))
                    .unwrap_or_default(),
            );
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
            tag: engine.tag,
            store: engine.store,
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

/// A CA, and a certificate for `name` it signed with its key.
fn ca_and_leaf(name: &str) -> (rcgen::Certificate, rcgen::Certificate, rcgen::KeyPair) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "mirrorctl test Docker Hub CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![name.to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    (ca_cert, leaf, leaf_key)
}
