//! A process's TCP connections, as the kernel lists them: `/proc/<pid>/fd` (which socket inodes it holds) and
//! `/proc/<pid>/net/tcp{,6}` (every TCP socket of its network namespace, with the inode of the live ones). Pure
//! parsers, plus the few reads of /proc and the daemon socket's peer credentials that use them.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

/// One line of `/proc/net/tcp` or `tcp6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TcpEntry {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: TcpState,
    /// 0 for a socket no file descriptor holds any more (TIME_WAIT, and a closing socket after `close`).
    pub inode: u64,
    /// `tm->when` in clock ticks: for TIME_WAIT, what is left of its 60 s. A TIME_WAIT whose time grew was made
    /// again (loopback reuses TIME_WAIT tuples, `tcp_tw_reuse` = 2).
    pub timer: u64,
}

/// The kernel's TCP states (include/net/tcp_states.h), as the table's `st` column numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TcpState {
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Closing,
    Other(u8),
}

impl TcpState {
    fn from_code(code: u8) -> Self {
        match code {
            0x01 => Self::Established,
            0x02 => Self::SynSent,
            0x03 => Self::SynRecv,
            0x04 => Self::FinWait1,
            0x05 => Self::FinWait2,
            0x06 => Self::TimeWait,
            0x07 => Self::Close,
            0x08 => Self::CloseWait,
            0x09 => Self::LastAck,
            0x0A => Self::Listen,
            0x0B => Self::Closing,
            other => Self::Other(other),
        }
    }
}

/// The address column: `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6), each 32-bit word printed as
/// the host-order integer of network-order bytes (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c).
fn address(s: &str) -> Option<SocketAddr> {
    let (ip, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        Some(
            u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16)
                .ok()?
                .to_ne_bytes(),
        )
    };
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            let v6 = Ipv6Addr::from(b);
            // A v4 peer of a dual-stack socket (`::ffff:127.0.0.1`) is that v4 address.
            v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// One line of the table (`None` for the heading or a line of another shape).
pub fn parse_line(line: &str) -> Option<TcpEntry> {
    let f: Vec<&str> = line.split_whitespace().collect();
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
    if f.len() < 10 || !f[0].ends_with(':') {
        return None;
    }
    let timer = f[5]
        .split_once(':')
        .and_then(|(_, w)| u64::from_str_radix(w, 16).ok())
        .unwrap_or(0);
    Some(TcpEntry {
        local: address(f[1])?,
        remote: address(f[2])?,
        state: TcpState::from_code(u8::from_str_radix(f[3], 16).ok()?),
        inode: f[9].parse().ok()?,
        timer,
    })
}

pub fn parse_table(text: &str) -> Vec<TcpEntry> {
    text.lines().filter_map(parse_line).collect()
}

/// The inode of an fd link that is a socket: `socket:[12345]`.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The socket inodes among a process's file descriptors (those it holds now).
pub fn socket_inodes(pid: u32) -> std::io::Result<BTreeSet<u64>> {
    let mut out = BTreeSet::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))? {
        // An fd closed between the listing and the readlink is simply gone.
        let Ok(fd) = fd else { continue };
        if let Ok(link) = std::fs::read_link(fd.path()) {
            if let Some(inode) = link.to_str().and_then(socket_inode) {
                out.insert(inode);
            }
        }
    }
    Ok(out)
}

/// Every TCP socket (v4 and v6) of the process's network namespace.
pub fn tcp_table(pid: u32) -> std::io::Result<Vec<TcpEntry>> {
    let mut out = parse_table(&std::fs::read_to_string(format!("/proc/{pid}/net/tcp"))?);
    // A kernel without IPv6 has no tcp6.
    if let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/tcp6")) {
        out.extend(parse_table(&text));
    }
    Ok(out)
}

/// The short name of a process (`/proc/<pid>/comm`).
pub fn comm(pid: u32) -> Option<String> {
    Some(
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .ok()?
            .trim()
            .to_owned(),
    )
}

/// The process behind a unix socket: its peer credentials (SO_PEERCRED) on a connection to it. The kernel
/// records the PID that called `listen` — dockerd's own, rootful or rootless; with socket activation
/// (`-H fd://`, docker.socket) it is the init's, so then the socket's holders are looked up (`holder`).
#[cfg(target_os = "linux")]
pub fn peer_pid(socket: &Path) -> std::io::Result<u32> {
    use std::os::fd::AsRawFd;
    let stream = std::os::unix::net::UnixStream::connect(socket)?;
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: a valid socket fd, and a ucred buffer of the length given.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    u32::try_from(cred.pid)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| std::io::Error::other("no peer pid"))
}

/// The inode of the listening unix socket bound at `path`, from `/proc/net/unix`'s lines
/// (`Num RefCount Protocol Flags Type St Inode Path`).
#[cfg(target_os = "linux")]
pub fn unix_listener_inode(table: &str, path: &Path) -> Option<u64> {
    let want = path.to_str()?;
    table.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        // Flags 00010000 is __SO_ACCEPTCON: the listening socket, not a connection that names the path.
        (f.len() >= 8 && f[7] == want && f[3] == "00010000")
            .then(|| f[6].parse().ok())
            .flatten()
    })
}

/// The process other than init that holds the listening socket at `path` (socket activation hands it to
/// dockerd): the one whose name is `name` if there is one.
#[cfg(target_os = "linux")]
pub fn holder(path: &Path, name: &str) -> Option<u32> {
    let table = std::fs::read_to_string("/proc/net/unix").ok()?;
    let inode = unix_listener_inode(&table, path)?;
    let mut found = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == 1 || !socket_inodes(pid).is_ok_and(|s| s.contains(&inode)) {
            continue;
        }
        if comm(pid).as_deref() == Some(name) {
            return Some(pid);
        }
        found.get_or_insert(pid);
    }
    found
}

/// Peer credentials of this kind are Linux's (other systems have no /proc to look the process up in).
#[cfg(not(target_os = "linux"))]
pub fn peer_pid(_socket: &Path) -> std::io::Result<u32> {
    Err(std::io::Error::other("only on Linux"))
}

#[cfg(not(target_os = "linux"))]
pub fn holder(_path: &Path, _name: &str) -> Option<u32> {
    None
}

#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;

    #[test]
    fn v4_lines_as_the_kernel_prints_them() {
        // Captured on this machine: a listener, then a TIME_WAIT (inode 0, 0x1371 ticks left).
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 640 1 00000000dca845fe 100 0 0 10 0\n   1: 020200C0:9E72 507100CB:0050 06 00000000:00000000 03:00001371 00000000     0        0 0 3 00000000071eb66a\n";
        let t = parse_table(table);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].local, "0.0.0.0:2024".parse().unwrap());
        assert_eq!(t[0].state, TcpState::Listen);
        assert_eq!(t[0].inode, 640);
        assert_eq!(t[1].local, "192.0.2.2:40562".parse().unwrap());
        assert_eq!(t[1].remote, "203.0.113.80:80".parse().unwrap());
        assert_eq!(t[1].state, TcpState::TimeWait);
        assert_eq!((t[1].inode, t[1].timer), (0, 0x1371));
    }

    #[test]
    fn v6_lines_and_v4_mapped_peers() {
        let line = "   1: 00000000000000000000000001000000:8A06 00000000000000000000000001000000:C95F 01 00000000:00000000 00:00000000 00000000     0        0 3006718 2 00000000975d8f72 20 0 0 10 -1";
        let e = parse_line(line).unwrap();
        assert_eq!(e.local, "[::1]:35334".parse().unwrap());
        assert_eq!(e.remote, "[::1]:51551".parse().unwrap());
        assert_eq!((e.state, e.inode), (TcpState::Established, 3006718));
        // ::ffff:127.0.0.1 port 5000, as a dual-stack listener shows a v4 client.
        let mapped = "   2: 0000000000000000FFFF00000100007F:1388 0000000000000000FFFF00000100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 77 1 0 20 0 0 10 -1";
        let e = parse_line(mapped).unwrap();
        assert_eq!(e.local, "127.0.0.1:5000".parse().unwrap());
        assert_eq!(e.remote, "127.0.0.1:54321".parse().unwrap());
        assert!(parse_line("  sl  local_address rem_address st").is_none());
        assert!(parse_line("   3: 0100007F 0100007F:0050 01 0 0 0 0 0 1").is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn fd_links_and_the_unix_listener() {
        assert_eq!(socket_inode("socket:[3006718]"), Some(3006718));
        assert_eq!(socket_inode("pipe:[12]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
        let unix = "Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000003 00000000 00000000 0001 03 41234 /run/docker.sock\n0000000000000000: 00000002 00000000 00010000 0001 01 40001 /run/docker.sock\n";
        assert_eq!(
            unix_listener_inode(unix, Path::new("/run/docker.sock")),
            Some(40001)
        );
        assert_eq!(
            unix_listener_inode(unix, Path::new("/run/other.sock")),
            None
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_peer_of_a_socket_we_listen_on_is_us() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let _l = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert_eq!(peer_pid(&path).unwrap(), std::process::id());
        let table = std::fs::read_to_string("/proc/net/unix").unwrap();
        let inode = unix_listener_inode(&table, &path).unwrap();
        assert!(socket_inodes(std::process::id()).unwrap().contains(&inode));
        assert_eq!(holder(&path, "nothing"), Some(std::process::id()));
    }
}
