//! `GET /v2/` on a connection of our own, so DNS, TCP connect, TLS and time-to-first-byte are timed separately
//! (reqwest cannot split them) and the first failure is classified from a typed error, not a message.

use rust_i18n::t;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::{HeaderMap, HOST, USER_AGENT};
use hyper_util::rt::TokioIo;
use reqwest::Url;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::failure::{Failure, Status};
use super::Phases;

/// What `/v2/` answered.
pub struct Pong {
    pub status: u16,
    pub headers: HeaderMap,
    /// At most `BODY_LIMIT` bytes: enough to tell `{}` from an HTML page.
    pub body: Vec<u8>,
}

const BODY_LIMIT: usize = 64 * 1024;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub async fn ping(
    tls: Arc<rustls::ClientConfig>,
    v2: &Url,
    phases: &mut Phases,
    address: &mut Option<SocketAddr>,
) -> Result<Pong, Failure> {
    let host = v2
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = v2.port_or_known_default().unwrap_or(443);

    let t = Instant::now();
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| Failure::new(Status::Dns, t!("fail.dns", host = host, detail = e)))?
        .collect();
    phases.dns_ms = Some(ms(t));
    if addrs.is_empty() {
        return Err(Failure::new(
            Status::Dns,
            t!("fail.no_address", host = host),
        ));
    }

    let t = Instant::now();
    let mut last_err = None;
    let mut tcp = None;
    for a in &addrs {
        match TcpStream::connect(a).await {
            Ok(s) => {
                *address = Some(*a);
                tcp = Some(s);
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    let Some(tcp) = tcp else {
        let e = last_err.expect("at least one address was tried");
        let status = if e.kind() == std::io::ErrorKind::ConnectionRefused {
            Status::Refused
        } else {
            Status::Network
        };
        return Err(Failure::new(
            status,
            t!("fail.connect", host = host, port = port, detail = e),
        ));
    };
    let _ = tcp.set_nodelay(true);
    phases.connect_ms = Some(ms(t));

    let stream: Box<dyn Io> = if v2.scheme() == "https" {
        let t = Instant::now();
        let name = ServerName::try_from(host.clone())
            .map_err(|e| Failure::new(Status::Tls, t!("fail.tls_name", host = host, detail = e)))?;
        let s = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(|e| {
                let detail = e
                    .get_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| e.to_string());
                Failure::new(
                    Status::Tls,
                    t!("fail.tls_handshake", host = host, detail = detail),
                )
            })?;
        phases.tls_ms = Some(ms(t));
        Box::new(s)
    } else {
        Box::new(tcp)
    };

    let broke = |e: hyper::Error| {
        Failure::new(
            Status::Network,
            t!("fail.broke_ping", host = host, detail = e),
        )
    };
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(broke)?;
    tokio::spawn(conn);
    let authority = match v2.port() {
        Some(p) => format!("{}:{p}", v2.host_str().unwrap_or_default()),
        None => v2.host_str().unwrap_or_default().to_owned(),
    };
    let request = hyper::Request::get(v2.path())
        .header(HOST, authority)
        .header(USER_AGENT, crate::registry::USER_AGENT)
        .body(Empty::<Bytes>::new())
        .expect("a GET with valid headers");
    let t = Instant::now();
    let response = sender.send_request(request).await.map_err(broke)?;
    phases.ttfb_ms = Some(ms(t));

    let (parts, mut body) = response.into_parts();
    let mut buf = Vec::new();
    while buf.len() < BODY_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    buf.extend_from_slice(&data[..data.len().min(BODY_LIMIT - buf.len())]);
                }
            }
            Some(Err(e)) => return Err(broke(e)),
            None => break,
        }
    }
    Ok(Pong {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: buf,
    })
}

pub fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
