//! A server on loopback that misbehaves on purpose, the same way for every path: a body without end, a body
//! promised far larger than anything should be read, an answer dripped a byte at a time. For each connection it
//! reports how many bytes it managed to send before the client hung up.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// 200, then zeros, 64 KiB at a time, until the client hangs up (or `CAP` bytes): with a Content-Length of
    /// `promised`, or none at all (the body ends when the connection does).
    Endless { promised: Option<u64> },
    /// The head at once, then the body one byte per `every`.
    DripBody { every: Duration },
    /// Head and body alike one byte per `every`: not even the status line comes in time.
    DripAll { every: Duration },
}

/// Where `Endless` stops by itself: far more than a client with a bounded read takes.
pub const CAP: u64 = 512 * 1024 * 1024;

pub struct FaultServer {
    pub addr: SocketAddr,
    sent: mpsc::Receiver<u64>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl FaultServer {
    pub fn start(fault: Fault) -> Self {
        let (done, sent) = mpsc::channel();
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let rt = super::fake_registry::runtime();
        let listener = rt.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            // A small send buffer: what "sent" counts is then close to what the client really took.
            socket.set_send_buffer_size(64 * 1024).unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            socket.listen(16).unwrap()
        });
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    accepted = listener.accept() => {
                        let Ok((s, _)) = accepted else { continue };
                        let done = done.clone();
                        tokio::spawn(async move {
                            let _ = done.send(serve(s, fault).await);
                        });
                    }
                }
            }
        });
        Self {
            addr,
            sent,
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The bytes sent on the next connection to end, once it has ended (a minute at most).
    pub fn next_sent(&self) -> u64 {
        self.sent
            .recv_timeout(Duration::from_secs(60))
            .expect("a connection that ended")
    }
}

/// Answers one request as `fault` says; returns the bytes written before the client hung up.
async fn serve(mut s: tokio::net::TcpStream, fault: Fault) -> u64 {
    let mut buf = vec![0u8; 8192];
    let _ = s.read(&mut buf).await;
    let mut sent = 0u64;
    match fault {
        Fault::Endless { promised } => {
            let head = match promised {
                Some(n) => {
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n")
                }
                None => "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_owned(),
            };
            if s.write_all(head.as_bytes()).await.is_err() {
                return sent;
            }
            let zeros = vec![0u8; 64 * 1024];
            while sent < CAP {
                if s.write_all(&zeros).await.is_err() {
                    break;
                }
                sent += zeros.len() as u64;
            }
        }
        Fault::DripBody { every } | Fault::DripAll { every } => {
            let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\nConnection: close\r\n\r\n";
            if matches!(fault, Fault::DripBody { .. }) {
                if s.write_all(head).await.is_err() {
                    return sent;
                }
            } else {
                for b in head {
                    tokio::time::sleep(every).await;
                    if s.write_all(&[*b]).await.is_err() || s.flush().await.is_err() {
                        return sent;
                    }
                    sent += 1;
                }
            }
            // Ten minutes of drip at most, far past any deadline a test sets.
            for _ in 0..(600_000 / every.as_millis().max(1)) {
                tokio::time::sleep(every).await;
                if s.write_all(b"x").await.is_err() || s.flush().await.is_err() {
                    break;
                }
                sent += 1;
            }
        }
    }
    sent
}
