//! Proof of use: the daemon pulls an image, and the daemon's own TCP connections during that pull say which host
//! served it — not `docker info`, which lists mirrors dockerd may never use (a certs.d hosts.toml, a mirror that
//! fails, a proxy).
//!
//! Evidence, strongest first (see `Seen`): sockets the daemon's fd table holds (polled every `POLL` on a thread
//! of its own); then sockets of its network namespace that were made during the pull and are closing or closed
//! (TIME_WAIT and the FIN states keep their addresses for up to 60 s after the fd is gone, so a connection that
//! opened and closed between two polls is still seen — on a loopback mirror always, as one end of it stays in
//! TIME_WAIT). A pull error that names registry-1.docker.io went upstream whatever was seen.

use rust_i18n::t;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde::Serialize;

use crate::sys::engine::Engine;
use crate::sys::sockets::{self, TcpEntry, TcpState};
use crate::ui::output::{outside, Printer};

/// How often the daemon's fd table and its namespace's TCP table are read during a pull.
const POLL: Duration = Duration::from_millis(2);

/// Docker Hub's hosts: the registry, its token service and the CDN its blobs are redirected to.
pub const DOCKER_HUB: &[&str] = &[
    "registry-1.docker.io",
    "auth.docker.io",
    "production.cloudflare.docker.com",
];

/// An image on Docker Hub, as `docker pull` takes it: `busybox`, `library/busybox:1.36`, `user/app@sha256:…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// As the Engine API's `fromImage` takes it (`library/busybox`).
    pub repository: String,
    /// A tag or a digest (`sha256:…`).
    pub tag: String,
}

impl Reference {
    pub fn parse(image: &str) -> Result<Self> {
        let bad = || anyhow::anyhow!("{}", t!("proof.bad_image", image = outside(image)));
        let (name, tag) = match image.split_once('@') {
            Some((n, d)) => (n, d.to_owned()),
            None => match image.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
                Some((n, t)) => (n, t.to_owned()),
                None => (image, "latest".to_owned()),
            },
        };
        let mut parts: Vec<&str> = name.split('/').collect();
        // A first part with a dot, a port or `localhost` is a registry: mirrors serve Docker Hub only.
        if parts.len() > 1 {
            let first = parts[0];
            if first == "docker.io" || first == "index.docker.io" {
                parts.remove(0);
            } else if first.contains('.') || first.contains(':') || first == "localhost" {
                bail!("{}", t!("proof.not_docker_hub", image = outside(image)));
            }
        }
        if parts.len() == 1 {
            parts.insert(0, "library");
        }
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        };
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c));
        if !parts.iter().all(|p| ok(p)) || !tag_ok {
            return Err(bad());
        }
        Ok(Self {
            repository: parts.join("/"),
            tag,
        })
    }

    pub fn display(&self) -> String {
        let sep = if self.tag.starts_with("sha256:") {
            '@'
        } else {
            ':'
        };
        format!("{}{sep}{}", self.repository, self.tag)
    }
}

/// The resolved addresses of each candidate (by its index in the candidates).
pub type Addresses = Vec<(Vec<SocketAddr>, usize)>;

/// A host the pull may go to.
#[derive(Debug, Clone)]
pub enum Candidate {
    /// A mirror as `/info` or hosts.toml lists it, in the order dockerd tries them.
    Mirror(String),
    DockerHub,
    /// The daemon's proxy (as `/info` shows it, masked): behind it, TCP cannot tell the host.
    Proxy(String),
}

/// The verdict of one pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A mirror served it.
    Mirror,
    /// Docker Hub served it (or the failed pull went there): the mirrors were not used.
    DockerHub,
    /// The pull failed.
    Failed,
    /// The image came, but what served it cannot be told (a proxy, another address, nothing seen, no access).
    Unproven,
}

#[derive(Debug, Clone, Serialize)]
pub struct Proof {
    pub image: String,
    pub verdict: Verdict,
    pub digest: Option<String>,
    /// Mirror URLs, "Docker Hub", or addresses: what served the image.
    pub served_by: Vec<String>,
    /// Mirrors the daemon connected to before the one that served (dockerd moves on when one fails).
    pub failed: Vec<String>,
    /// Whether the pull went to Docker Hub (seen, or named by the daemon's error).
    pub upstream: bool,
    /// Connections of the daemon to addresses that are none of the hosts above.
    pub other_addresses: Vec<String>,
    /// Each host seen and how: `daemon-socket` (a socket in the daemon's fd table), `closed-connection` (a
    /// closing or TIME_WAIT socket of its network namespace to that host, made during the pull), `server-end` (a
    /// host on this machine: the server's end of such a loopback connection).
    pub seen: Vec<SeenHost>,
    /// The daemon's error, escaped.
    pub error: Option<String>,
    /// Why the verdict is what it is, for people.
    pub reason: String,
    pub daemon_pid: Option<u32>,
    /// The candidate that served (its index), for `cross_check`.
    #[serde(skip)]
    pub served: Option<usize>,
    pub duration_ms: u64,
    /// How many times the tables were read during the pull.
    pub polls: u64,
}

impl Proof {
    /// A failed verification: the image did not come through a mirror for sure.
    pub fn failed_verification(&self) -> bool {
        matches!(self.verdict, Verdict::DockerHub | Verdict::Failed)
    }

    fn unproven(image: &Reference, reason: String) -> Self {
        Self {
            image: image.display(),
            verdict: Verdict::Unproven,
            digest: None,
            served_by: vec![],
            failed: vec![],
            upstream: false,
            other_addresses: vec![],
            seen: vec![],
            error: None,
            reason,
            daemon_pid: None,
            served: None,
            duration_ms: 0,
            polls: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SeenHost {
    pub host: String,
    /// Every kind of evidence of it, strongest first.
    pub how: Vec<&'static str>,
}

/// What the watcher saw: remote endpoints of the daemon's own sockets, and closing sockets new in the window,
/// each with when it was first seen (the order dockerd tried its hosts).
#[derive(Debug, Default)]
pub struct Seen {
    pub owned: BTreeMap<SocketAddr, Instant>,
    /// Owned sockets that were there before the pull (a connection of the daemon's for something else).
    pub owned_before: BTreeSet<SocketAddr>,
    /// Closing entries new in the window: (local, remote) and when first seen.
    pub closing: BTreeMap<(SocketAddr, SocketAddr), Instant>,
    pub polls: u64,
    /// Socket inodes met so far, and whether the daemon holds each.
    pub inodes: std::collections::HashMap<u64, bool>,
}

fn closing(s: TcpState) -> bool {
    matches!(
        s,
        TcpState::TimeWait
            | TcpState::FinWait1
            | TcpState::FinWait2
            | TcpState::Closing
            | TcpState::LastAck
            | TcpState::CloseWait
    )
}

/// One read of the namespace's table into `seen`; `before` is that table when the pull began. The daemon's fd
/// table is read only when a socket inode not met yet appears: a socket is in its owner's fd table before it is
/// in the TCP table (socket, then connect), and an inode is never another process's later — so each poll costs
/// one read of the TCP table, not a readlink of every fd.
fn poll(pid: u32, before: &BTreeMap<(SocketAddr, SocketAddr), TcpEntry>, seen: &mut Seen) {
    let Ok(table) = sockets::tcp_table(pid) else {
        return;
    };
    if table
        .iter()
        .any(|e| e.inode != 0 && !seen.inodes.contains_key(&e.inode))
    {
        let Ok(owned) = sockets::socket_inodes(pid) else {
            return;
        };
        for e in table.iter().filter(|e| e.inode != 0) {
            seen.inodes
                .entry(e.inode)
                .or_insert_with(|| owned.contains(&e.inode));
        }
    }
    let now = Instant::now();
    seen.polls += 1;
    for e in table {
        if e.state == TcpState::Listen {
            continue;
        }
        if e.inode != 0 && seen.inodes.get(&e.inode) == Some(&true) {
            seen.owned.entry(e.remote).or_insert(now);
            continue;
        }
        if !closing(e.state) {
            continue;
        }
        // New in the window: not there before, or a TIME_WAIT made again (its time left grew).
        let new = before
            .get(&(e.local, e.remote))
            .is_none_or(|b| b.state != e.state || e.timer > b.timer);
        if new {
            seen.closing.entry((e.local, e.remote)).or_insert(now);
        }
    }
}

fn table_map(pid: u32) -> BTreeMap<(SocketAddr, SocketAddr), TcpEntry> {
    sockets::tcp_table(pid)
        .unwrap_or_default()
        .into_iter()
        .map(|e| ((e.local, e.remote), e))
        .collect()
}

/// The host and port of a URL (`https://m.example/` → `m.example:443`).
fn host_port(url: &str) -> Option<(String, u16)> {
    let u = reqwest::Url::parse(url).ok()?;
    Some((
        u.host_str()?.trim_matches(['[', ']']).to_owned(),
        u.port_or_known_default()?,
    ))
}

async fn resolve(host: &str, port: u16) -> Vec<SocketAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return vec![SocketAddr::new(ip, port)];
    }
    match tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::lookup_host((host, port)),
    )
    .await
    {
        Ok(Ok(a)) => a.collect(),
        _ => vec![],
    }
}

/// The pid of the daemon behind `socket`: its peer credentials, or, with socket activation (the peer is init),
/// the dockerd that holds the listener.
fn daemon_pid(socket: &std::path::Path) -> Result<u32, String> {
    let pid = sockets::peer_pid(socket).map_err(|e| e.to_string())?;
    if pid != 1 && sockets::comm(pid).as_deref() != Some("systemd") {
        return Ok(pid);
    }
    sockets::holder(socket, "dockerd").ok_or_else(|| t!("proof.no_holder").into_owned())
}

/// Pulls `image` through the daemon and says which of `candidates` served it.
pub async fn prove(
    engine: &Engine,
    image: &Reference,
    candidates: &[Candidate],
    p: Printer,
) -> Result<Proof> {
    let Some(socket) = engine.unix_socket() else {
        return Ok(Proof::unproven(
            image,
            t!("proof.not_unix", host = outside(&engine.host)).into_owned(),
        ));
    };
    let pid = match daemon_pid(&socket) {
        Ok(pid) => pid,
        Err(e) => {
            return Ok(Proof::unproven(
                image,
                t!(
                    "proof.no_pid",
                    socket = socket.display(),
                    error = outside(&e)
                )
                .into_owned(),
            ))
        }
    };
    if let Err(e) = sockets::socket_inodes(pid).and_then(|_| sockets::tcp_table(pid)) {
        let mut proof = Proof::unproven(
            image,
            t!("proof.no_access", pid = pid, error = e.to_string()).into_owned(),
        );
        proof.daemon_pid = Some(pid);
        return Ok(proof);
    }
    let mut addresses: Addresses = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let urls: Vec<String> = match c {
            Candidate::Mirror(u) | Candidate::Proxy(u) => vec![u.clone()],
            Candidate::DockerHub => DOCKER_HUB.iter().map(|h| format!("https://{h}/")).collect(),
        };
        for u in urls {
            if let Some((h, port)) = host_port(&u) {
                addresses.push((resolve(&h, port).await, i));
            }
        }
    }

    let before = table_map(pid);
    let mut first = Seen::default();
    poll(pid, &BTreeMap::new(), &mut first);
    let owned_before: BTreeSet<SocketAddr> = first.owned.keys().copied().collect();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, before) = (stop.clone(), before.clone());
        std::thread::spawn(move || {
            let mut seen = Seen {
                inodes: first.inodes,
                ..Seen::default()
            };
            while !stop.load(Ordering::Relaxed) {
                poll(pid, &before, &mut seen);
                std::thread::sleep(POLL);
            }
            // Once more after the stream ended: the TIME_WAITs of the last requests.
            poll(pid, &before, &mut seen);
            seen
        })
    };
    let started = Instant::now();
    let bar = p.progress(0, "{spinner} {msg} {elapsed}");
    bar.set_message(crate::ui::output::clean(&t!(
        "proof.pulling",
        image = image.display()
    )));
    let status = |s: &str| bar.set_message(outside(s));
    let pulled = engine.pull(&image.repository, &image.tag, &status).await;
    bar.finish_and_clear();
    let duration = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut seen = watcher.join().unwrap_or_default();
    seen.owned_before = owned_before;
    let pulled = pulled?;
    let mut proof = judge(
        image,
        candidates,
        &addresses,
        &seen,
        pulled.error.as_deref(),
    );
    proof.digest = pulled.digest;
    proof.daemon_pid = Some(pid);
    proof.duration_ms = duration.as_millis() as u64;
    Ok(proof)
}

/// The verdict from what was seen (pure: the tests give it tables).
pub fn judge(
    image: &Reference,
    candidates: &[Candidate],
    addresses: &[(Vec<SocketAddr>, usize)],
    seen: &Seen,
    error: Option<&str>,
) -> Proof {
    let which = |a: &SocketAddr| {
        addresses
            .iter()
            .find(|(list, _)| list.contains(a))
            .map(|(_, i)| *i)
    };
    // Candidate index → when first contacted.
    let mut contacted: BTreeMap<usize, Instant> = BTreeMap::new();
    let mut how: BTreeMap<usize, BTreeSet<(u8, &'static str)>> = BTreeMap::new();
    let mut note = |i: usize, at: Instant, by: &'static str| {
        let e = contacted.entry(i).or_insert(at);
        *e = (*e).min(at);
        let rank = match by {
            "daemon-socket" => 0,
            "closed-connection" => 1,
            _ => 2,
        };
        how.entry(i).or_default().insert((rank, by));
    };
    let mut other = BTreeSet::new();
    for (remote, at) in &seen.owned {
        match which(remote) {
            Some(i) => note(i, *at, "daemon-socket"),
            None if !seen.owned_before.contains(remote) => {
                other.insert(remote.to_string());
            }
            None => {}
        }
    }
    for ((local, remote), at) in &seen.closing {
        if let Some(i) = which(remote) {
            note(i, *at, "closed-connection");
        } else if remote.ip().is_loopback() {
            // The server's end of a loopback connection: the host on this machine was connected to.
            if let Some(i) = which(local) {
                note(i, *at, "server-end");
            }
        }
    }
    let name = |i: usize| match &candidates[i] {
        Candidate::Mirror(u) => outside(u),
        Candidate::DockerHub => "Docker Hub".to_owned(),
        Candidate::Proxy(u) => outside(u),
    };
    let is_hub = |i: usize| matches!(candidates[i], Candidate::DockerHub);
    let is_proxy = |i: usize| matches!(candidates[i], Candidate::Proxy(_));
    let mirrors: Vec<usize> = contacted
        .keys()
        .copied()
        .filter(|i| matches!(candidates[*i], Candidate::Mirror(_)))
        .collect();
    let hub_seen = contacted.keys().any(|i| is_hub(*i));
    let proxy_seen = contacted.keys().find(|i| is_proxy(**i)).copied();
    let names_hub = error.is_some_and(|e| e.contains("registry-1.docker.io"));
    let mut proof = Proof::unproven(image, String::new());
    proof.polls = seen.polls;
    proof.seen = how
        .iter()
        .map(|(i, by)| SeenHost {
            host: name(*i),
            how: by.iter().map(|(_, b)| *b).collect(),
        })
        .collect();
    proof.other_addresses = other.into_iter().collect();
    proof.upstream = hub_seen || names_hub;
    if let Some(e) = error {
        proof.verdict = Verdict::Failed;
        proof.error = Some(outside(e));
        proof.failed = mirrors.iter().map(|i| name(*i)).collect();
        proof.reason = if proof.upstream {
            t!("proof.reason_failed_upstream").into_owned()
        } else {
            t!("proof.reason_failed").into_owned()
        };
        return proof;
    }
    // dockerd tries its hosts in order and stops at the first that serves: the last one contacted served.
    let last = contacted.keys().copied().filter(|i| !is_proxy(*i)).max();
    match last {
        Some(i) if is_hub(i) => {
            proof.verdict = Verdict::DockerHub;
            proof.served_by = vec![name(i)];
            proof.failed = mirrors.iter().map(|m| name(*m)).collect();
            proof.reason = t!("proof.reason_hub").into_owned();
        }
        Some(i) => {
            proof.verdict = Verdict::Mirror;
            proof.served = Some(i);
            proof.served_by = vec![name(i)];
            proof.failed = mirrors
                .iter()
                .filter(|m| **m < i)
                .map(|m| name(*m))
                .collect();
            proof.reason = t!("proof.reason_mirror", mirror = name(i)).into_owned();
        }
        None => {
            if let Some(px) = proxy_seen {
                proof.served_by = vec![name(px)];
                proof.reason = t!("proof.reason_proxy", proxy = name(px)).into_owned();
            } else if !proof.other_addresses.is_empty() {
                proof.served_by = proof.other_addresses.clone();
                proof.reason = t!(
                    "proof.reason_other",
                    addresses = proof.other_addresses.join(", ")
                )
                .into_owned();
            } else {
                proof.reason = t!("proof.reason_nothing").into_owned();
            }
        }
    }
    proof
}

/// After a pull that worked, the mirror the connections point to is checked against what it holds: `holds[i]` says
/// whether candidate `i` answers 200 for the pulled digest (`None`: not a mirror, or it could not be told). A
/// connection can end unseen — a TLS connection that its client closes with the server's session tickets unread
/// ends in a reset, which leaves no TIME_WAIT, and a loopback one can open and close between two polls — so "the
/// last host contacted served" is trusted only when that mirror has the image. When it does not, it failed: the
/// image came from the next mirror that has it, else from Docker Hub, dockerd's only other source.
pub fn cross_check(proof: &mut Proof, candidates: &[Candidate], holds: &[Option<bool>]) {
    let Some(j) = proof.served.filter(|_| proof.verdict == Verdict::Mirror) else {
        return;
    };
    if holds.get(j).copied().flatten() != Some(false) {
        return;
    }
    let name = |i: usize| match &candidates[i] {
        Candidate::Mirror(u) | Candidate::Proxy(u) => outside(u),
        Candidate::DockerHub => "Docker Hub".to_owned(),
    };
    proof.failed.push(name(j));
    let next = (j + 1..candidates.len()).find(|k| {
        matches!(candidates[*k], Candidate::Mirror(_))
            && holds.get(*k).copied().flatten() == Some(true)
    });
    match next {
        Some(k) => {
            proof.served = Some(k);
            proof.served_by = vec![name(k)];
            proof.reason = t!(
                "proof.reason_mirror_held",
                mirror = name(k),
                failed = name(j)
            )
            .into_owned();
        }
        None => {
            proof.verdict = Verdict::DockerHub;
            proof.served = None;
            proof.upstream = true;
            proof.served_by = vec!["Docker Hub".to_owned()];
            proof.reason = t!("proof.reason_hub_inferred", failed = name(j)).into_owned();
        }
    }
}

/// The candidates dockerd will try for Docker Hub, in order: `hosts` (what it really uses: `/info`'s mirrors, or a
/// certs.d hosts.toml's hosts with the server last) and the daemon's proxies.
pub fn candidates(hosts: &[String], proxies: &[&str]) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = hosts
        .iter()
        .filter(|h| !DOCKER_HUB.iter().any(|d| h.contains(&format!("//{d}"))))
        .map(|h| Candidate::Mirror(h.clone()))
        .collect();
    out.push(Candidate::DockerHub);
    for p in proxies.iter().filter(|p| !p.is_empty()) {
        out.push(Candidate::Proxy((*p).to_owned()));
    }
    out
}

/// The report for people.
pub fn render(proof: &Proof) -> String {
    let mut s = t!("proof.heading", image = proof.image).into_owned() + "\n";
    let verdict = match proof.verdict {
        Verdict::Mirror => t!("proof.verdict_mirror"),
        Verdict::DockerHub => t!("proof.verdict_hub"),
        Verdict::Failed => t!("proof.verdict_failed"),
        Verdict::Unproven => t!("proof.verdict_unproven"),
    };
    s.push_str(&format!("  {verdict}: {}\n", proof.reason));
    if !proof.served_by.is_empty() {
        s.push_str(&format!(
            "  {}\n",
            t!("proof.served_by", hosts = proof.served_by.join(", "))
        ));
    }
    if !proof.failed.is_empty() {
        s.push_str(&format!(
            "  {}\n",
            t!("proof.tried_failed", hosts = proof.failed.join(", "))
        ));
    }
    if let Some(d) = &proof.digest {
        s.push_str(&format!("  {}\n", t!("proof.digest", digest = outside(d))));
    }
    if let Some(e) = &proof.error {
        s.push_str(&format!("  {}\n", t!("proof.error", error = e)));
    }
    if proof.daemon_pid.is_some() {
        s.push_str(&format!(
            "  {}\n",
            t!(
                "proof.took",
                ms = proof.duration_ms,
                polls = proof.polls,
                pid = proof.daemon_pid.unwrap_or_default()
            )
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Result<Reference> {
        Reference::parse(s)
    }

    #[test]
    fn references_as_docker_pull_takes_them() {
        let x = r("busybox").unwrap();
        assert_eq!(
            (x.repository.as_str(), x.tag.as_str()),
            ("library/busybox", "latest")
        );
        let x = r("docker.io/user/app:1.2").unwrap();
        assert_eq!((x.repository.as_str(), x.tag.as_str()), ("user/app", "1.2"));
        let d = format!("sha256:{}", "a".repeat(64));
        let x = r(&format!("alpine@{d}")).unwrap();
        assert_eq!(x.tag, d);
        assert_eq!(x.display(), format!("library/alpine@{d}"));
        assert!(r("ghcr.io/o/app:1").is_err());
        assert!(r("localhost:5000/app").is_err());
        assert!(r("Busybox").is_err());
        assert!(r("busybox:").is_err());
        assert!(r("a b").is_err());
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn setup() -> (Reference, Vec<Candidate>, Addresses) {
        let c = candidates(
            &[
                "http://127.0.0.1:5001/".into(),
                "http://127.0.0.1:5002/".into(),
                "https://registry-1.docker.io/".into(),
            ],
            &["http://127.0.0.1:9"],
        );
        let a = vec![
            (vec![addr("127.0.0.1:5001")], 0),
            (vec![addr("127.0.0.1:5002")], 1),
            (vec![addr("198.51.100.7:443")], 2),
            (vec![addr("127.0.0.1:9")], 3),
        ];
        (r("busybox").unwrap(), c, a)
    }

    #[test]
    fn the_last_host_contacted_served_and_the_earlier_mirrors_failed() {
        let (img, c, a) = setup();
        assert_eq!(c.len(), 4, "the server is Docker Hub, not a mirror: {c:?}");
        let t0 = Instant::now();
        let mut seen = Seen::default();
        // The first mirror only as the server end of a loopback TIME_WAIT; the second as the daemon's socket.
        seen.closing
            .insert((addr("127.0.0.1:5001"), addr("127.0.0.1:40000")), t0);
        seen.owned
            .insert(addr("127.0.0.1:5002"), t0 + Duration::from_millis(5));
        seen.owned.insert(addr("10.9.9.9:80"), t0);
        let p = judge(&img, &c, &a, &seen, None);
        assert_eq!(p.verdict, Verdict::Mirror);
        assert_eq!(p.served_by, ["http://127.0.0.1:5002/"]);
        assert_eq!(p.failed, ["http://127.0.0.1:5001/"]);
        assert_eq!(p.other_addresses, ["10.9.9.9:80"]);
        assert!(!p.failed_verification() && !p.upstream);
    }

    #[test]
    fn a_poll_sees_our_own_sockets_and_the_closed_connection_they_leave() {
        use std::net::{TcpListener, TcpStream};
        let pid = std::process::id();
        let before = table_map(pid);
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let at = l.local_addr().unwrap();
        let client = TcpStream::connect(at).unwrap();
        let (server, _) = l.accept().unwrap();
        let mut seen = Seen::default();
        poll(pid, &before, &mut seen);
        assert!(seen.owned.contains_key(&at), "{seen:?}");
        // The client closes first: its end stays in FIN_WAIT or TIME_WAIT, with no fd, for a minute.
        let mine = client.local_addr().unwrap();
        drop(client);
        drop(server);
        let mut after = Seen::default();
        poll(pid, &before, &mut after);
        assert!(after.closing.contains_key(&(mine, at)), "{after:?}");
    }

    #[test]
    fn a_mirror_that_lacks_the_image_did_not_serve_it() {
        let (img, c, a) = setup();
        let mut seen = Seen::default();
        // Only the first mirror's connection was seen (the rest ended unseen).
        seen.owned.insert(addr("127.0.0.1:5001"), Instant::now());
        let p = judge(&img, &c, &a, &seen, None);
        assert_eq!((p.verdict, p.served), (Verdict::Mirror, Some(0)));
        // It answers 500 for the digest; the second mirror has it: the second served.
        let mut q = p.clone();
        cross_check(&mut q, &c, &[Some(false), Some(true), None, None]);
        assert_eq!(q.verdict, Verdict::Mirror);
        assert_eq!(q.served_by, ["http://127.0.0.1:5002/"]);
        assert_eq!(q.failed, ["http://127.0.0.1:5001/"]);
        // No mirror has it: Docker Hub, dockerd's only other source, served.
        let mut q = p.clone();
        cross_check(&mut q, &c, &[Some(false), Some(false), None, None]);
        assert_eq!((q.verdict, q.upstream), (Verdict::DockerHub, true));
        assert_eq!(q.served_by, ["Docker Hub"]);
        assert!(q.failed_verification());
        // It has it, or cannot be asked: the connections stand.
        for holds in [
            [Some(true), None, None, None],
            [None, Some(true), None, None],
        ] {
            let mut q = p.clone();
            cross_check(&mut q, &c, &holds);
            assert_eq!(q.served_by, ["http://127.0.0.1:5001/"]);
        }
    }

    #[test]
    fn docker_hub_is_a_failed_verification_seen_or_named() {
        let (img, c, a) = setup();
        let mut seen = Seen::default();
        seen.owned.insert(addr("198.51.100.7:443"), Instant::now());
        let p = judge(&img, &c, &a, &seen, None);
        assert_eq!(p.verdict, Verdict::DockerHub);
        assert!(p.failed_verification() && p.upstream);
        assert_eq!(p.served_by, ["Docker Hub"]);
        // Nothing seen but the proxy; the daemon's error names Docker Hub.
        let mut seen = Seen::default();
        seen.owned.insert(addr("127.0.0.1:9"), Instant::now());
        let e = "Get \"https://registry-1.docker.io/v2/\": proxyconnect tcp: dial tcp 127.0.0.1:9: connect: connection refused\n\x1b[2J";
        let p = judge(&img, &c, &a, &seen, Some(e));
        assert_eq!(p.verdict, Verdict::Failed);
        assert!(p.upstream && p.failed_verification());
        assert!(!p.error.as_deref().unwrap().contains('\x1b'));
        // A pre-existing connection of the daemon's is not counted; nothing seen is unproven.
        let mut seen = Seen::default();
        seen.owned.insert(addr("10.9.9.9:80"), Instant::now());
        seen.owned_before.insert(addr("10.9.9.9:80"));
        let p = judge(&img, &c, &a, &seen, None);
        assert_eq!(p.verdict, Verdict::Unproven);
        assert!(p.other_addresses.is_empty() && !p.failed_verification());
    }
}
