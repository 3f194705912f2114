//! `metrics --listen ADDR`: `GET /metrics` (and `HEAD`), gathered afresh per request; every other path is 404,
//! every other method 405. One request per connection (`Connection: close`; Prometheus scrapes that way just as
//! well), its head read to at most `HEAD_LIMIT` bytes within `HEAD_DEADLINE`, and at most `CONNECTIONS` at once:
//! a client that drips or floods costs a bounded buffer and a few seconds, and never reaches the history.
//! The server is a few lines over tokio's TcpListener rather than hyper's server (a feature we do not build) or a
//! web framework: one read-only path needs no router, and the bounds are ours to see.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use rust_i18n::t;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::collect::collect;
use crate::settings::Sources;
use crate::ui::output::Printer;

/// A scraper's request head is a few hundred bytes.
const HEAD_LIMIT: usize = 8 * 1024;
const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// Writing the answer: a client that stops reading is dropped.
const WRITE_DEADLINE: Duration = Duration::from_secs(10);
const CONNECTIONS: usize = 16;
/// The lingering close's bounds.
const DRAIN_LIMIT: usize = 1024 * 1024;
const DRAIN_DEADLINE: Duration = Duration::from_secs(1);

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a request head asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Ask {
    Metrics { head: bool },
    NotFound { head: bool },
    WrongMethod,
    Bad,
}

/// The request line of a head (`GET /metrics?x HTTP/1.1`); the query is ignored, as Prometheus sends none.
pub fn ask(head: &[u8]) -> Ask {
    let Some(line) = head
        .split(|&b| b == b'\n')
        .next()
        .and_then(|l| std::str::from_utf8(l).ok())
    else {
        return Ask::Bad;
    };
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ask::Bad;
    };
    if !version.starts_with("HTTP/1.") {
        return Ask::Bad;
    }
    let head = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Ask::WrongMethod,
    };
    let path = target.split('?').next().unwrap_or(target);
    if path == "/metrics" {
        Ask::Metrics { head }
    } else {
        Ask::NotFound { head }
    }
}

fn response(status: &str, content_type: &str, body: &str, head: bool, extra: &str) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

/// Reads the head: up to the blank line, `HEAD_LIMIT` at most. `None` when it is too long or never ends.
async fn read_head(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        loop {
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
                return Some(());
            }
            if buf.len() > HEAD_LIMIT {
                return None;
            }
        }
    };
    tokio::time::timeout(HEAD_DEADLINE, read).await.ok()??;
    Some(buf)
}

async fn serve_one(mut s: TcpStream, sources: Arc<Sources>) {
    let answer = match read_head(&mut s).await.as_deref().map(ask) {
        Some(Ask::Metrics { head }) => {
            let text = super::exposition::encode(&collect(&sources, SystemTime::now()).await);
            response("200 OK", CONTENT_TYPE, &text, head, "")
        }
        Some(Ask::NotFound { head }) => response(
            "404 Not Found",
            "text/plain; charset=utf-8",
            "only /metrics is served here\n",
            head,
            "",
        ),
        Some(Ask::WrongMethod) => response(
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET and HEAD\n",
            false,
            "Allow: GET, HEAD\r\n",
        ),
        Some(Ask::Bad) | None => response(
            "400 Bad Request",
            "text/plain; charset=utf-8",
            "bad request\n",
            false,
            "",
        ),
    };
    let write = async {
        s.write_all(&answer).await?;
        s.shutdown().await
    };
    if tokio::time::timeout(WRITE_DEADLINE, write).await.is_err() {
        return;
    }
    // A lingering close: what the client still sends (the rest of a head too long to read) is read and dropped
    // for a moment, so that closing does not reset the connection before the client has read the answer.
    let drain = async {
        let mut chunk = [0u8; 4096];
        let mut left = DRAIN_LIMIT;
        while let Ok(n @ 1..) = s.read(&mut chunk).await {
            left = left.saturating_sub(n);
            if left == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_DEADLINE, drain).await;
}

/// Serves until interrupted (SIGINT or SIGTERM).
pub async fn serve(addr: SocketAddr, sources: Sources, p: Printer) -> Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| t!("metrics.cannot_listen", addr = addr))?;
    let bound = listener.local_addr()?;
    // The address actually bound (`:0` picks a port): a supervisor or a test reads it here.
    p.info(&format!(
        "{}\n",
        t!("metrics.listening", url = format!("http://{bound}/metrics"))
    ));
    let sources = Arc::new(sources);
    let slots = Arc::new(tokio::sync::Semaphore::new(CONNECTIONS));
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    // Windows has no SIGTERM: a service manager sends Ctrl-Break.
    #[cfg(windows)]
    let mut term = tokio::signal::windows::ctrl_break()?;
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors or a connection reset before accept: the next one may do.
                Err(_) => continue,
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
        };
        let sources = sources.clone();
        tokio::spawn(async move {
            serve_one(stream, sources).await;
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_get_or_head_of_metrics_is_served() {
        assert_eq!(
            ask(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Ask::Metrics { head: false }
        );
        assert_eq!(
            ask(b"HEAD /metrics?x=1 HTTP/1.0\r\n\r\n"),
            Ask::Metrics { head: true }
        );
        assert_eq!(
            ask(b"GET /metrics/../etc HTTP/1.1\r\n\r\n"),
            Ask::NotFound { head: false }
        );
        assert_eq!(
            ask(b"GET / HTTP/1.1\r\n\r\n"),
            Ask::NotFound { head: false }
        );
        assert_eq!(ask(b"POST /metrics HTTP/1.1\r\n\r\n"), Ask::WrongMethod);
        assert_eq!(ask(b"DELETE /metrics HTTP/1.1\r\n\r\n"), Ask::WrongMethod);
        assert_eq!(ask(b"GET /metrics\r\n\r\n"), Ask::Bad);
        assert_eq!(ask(b"GET /metrics SPDY/3\r\n\r\n"), Ask::Bad);
        assert_eq!(ask(b"\xff\xfe\r\n\r\n"), Ask::Bad);
    }

    #[test]
    fn a_head_answer_has_the_length_and_no_body() {
        let r = String::from_utf8(response("200 OK", CONTENT_TYPE, "a 1\n", true, "")).unwrap();
        assert!(r.contains("Content-Length: 4\r\n"), "{r}");
        assert!(r.ends_with("\r\n\r\n"), "{r}");
    }
}
