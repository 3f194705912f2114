//! A static file server on loopback: exactly these paths, 404 for the rest (signed catalogues, release downloads).
//! It records every path asked for, and can cut a body short after promising all of it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct FilesServer {
    pub addr: SocketAddr,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    cut: Arc<Mutex<HashMap<String, usize>>>,
    asked: Arc<Mutex<Vec<String>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl FilesServer {
    pub fn start() -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let files: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let served = files.clone();
        let cut: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let cuts = cut.clone();
        let asked: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = asked.clone();
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        super::fake_registry::runtime().spawn(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    accepted = listener.accept() => {
                        let Ok((mut s, _)) = accepted else { continue };
                        let files = served.clone();
                        let cuts = cuts.clone();
                        let log = log.clone();
                        tokio::spawn(async move {
                            let mut buf = vec![0u8; 8192];
                            let n = s.read(&mut buf).await.unwrap_or(0);
                            let head = String::from_utf8_lossy(&buf[..n]);
                            let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                            log.lock().unwrap().push(path.clone());
                            let body = files.lock().unwrap().get(&path).cloned();
                            let cut = cuts.lock().unwrap().get(&path).copied();
                            let (status, body) = match body {
                                Some(b) => ("200 OK", b),
                                None => ("404 Not Found", b"not found".to_vec()),
                            };
                            let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                            let _ = s.write_all(head.as_bytes()).await;
                            let _ = s.write_all(&body[..cut.unwrap_or(body.len()).min(body.len())]).await;
                        });
                    }
                }
            }
        });
        Self {
            addr,
            files,
            cut,
            asked,
            _stop: stop,
        }
    }

    pub fn put(&self, path: &str, bytes: &[u8]) {
        self.files
            .lock()
            .unwrap()
            .insert(path.to_owned(), bytes.to_vec());
    }

    /// Serve `path` with a Content-Length for all of `bytes`, then close after the first `at` of them.
    pub fn put_cut(&self, path: &str, bytes: &[u8], at: usize) {
        self.put(path, bytes);
        self.cut.lock().unwrap().insert(path.to_owned(), at);
    }

    /// Every path asked for so far, in order.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}
