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
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::failure::{Failure, Status};
use crate::registry::route::Route;

/// How long each step took, in milliseconds; absent when the step did not run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Phases {
    pub dns_ms: Option<f64>,
    pub connect_ms: Option<f64>,
    pub tls_ms: Option<f64>,
    /// Time to first byte of `/v2/` on an open connection: the round trip a pull pays per request.
    pub ttfb_ms: Option<f64>,
    pub token_ms: Option<f64>,
    pub manifest_ms: Option<f64>,
    pub blob_ms: Option<f64>,
    /// Time spent waiting for a download slot (`--blob-jobs`); not charged to the mirror.
    #[serde(default)]
    pub queued_ms: Option<f64>,
}

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
    route: Option<&Route>,
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
    // Through a proxy, DNS and connect are the proxy's; the mirror's name is resolved by the proxy.
    let proxy = route.and_then(|r| r.proxy_for(v2).map(|p| (p, r.source.as_str())));
    let proxy_failure = |detail: String| {
        let (p, source) = proxy.expect("only called with a proxy");
        Failure::new(
            Status::Proxy,
            t!(
                "fail.proxy",
                proxy = crate::ui::redact::url(p.as_str()),
                source = source,
                detail = detail
            ),
        )
    };
    if let Some((p, _)) = proxy.filter(|(p, _)| p.scheme() != "http") {
        return Err(proxy_failure(
            t!("fail.proxy_scheme", scheme = p.scheme()).into_owned(),
        ));
    }
    let (dial_host, dial_port) = match proxy {
        Some((p, _)) => (
            p.host_str()
                .unwrap_or_default()
                .trim_matches(['[', ']'])
                .to_owned(),
            p.port_or_known_default().unwrap_or(80),
        ),
        None => (host.clone(), port),
    };

    let t = Instant::now();
    let addrs: Vec<SocketAddr> =
        match tokio::net::lookup_host((dial_host.as_str(), dial_port)).await {
            Ok(a) => a.collect(),
            Err(e) if proxy.is_some() => return Err(proxy_failure(e.to_string())),
            Err(e) => {
                return Err(Failure::new(
                    Status::Dns,
                    t!("fail.dns", host = host, detail = e),
                ))
            }
        };
    phases.dns_ms = Some(ms(t));
    if addrs.is_empty() {
        return Err(Failure::new(
            Status::Dns,
            t!("fail.no_address", host = dial_host),
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
    let Some(mut tcp) = tcp else {
        let e = last_err.expect("at least one address was tried");
        if proxy.is_some() {
            return Err(proxy_failure(e.to_string()));
        }
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
    if let (Some((p, _)), "https") = (proxy, v2.scheme()) {
        connect_tunnel(&mut tcp, p, &host, port)
            .await
            .map_err(proxy_failure)?;
    }
    phases.connect_ms = Some(ms(t));

    let stream: Box<dyn Io> = if v2.scheme() == "https" {
        let t = Instant::now();
        let name = ServerName::try_from(host.clone())
            .map_err(|e| Failure::new(Status::Tls, t!("fail.tls_name", host = host, detail = e)))?;
        let s = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(|e| {
                let detail = match e.get_ref() {
                    Some(inner) => match inner.downcast_ref::<rustls::Error>() {
                        Some(tls) => super::failure::tls_words(tls),
                        None => inner.to_string(),
                    },
                    None => e.to_string(),
                };
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
    // A plain-HTTP request through a proxy names the whole URL (absolute form) and carries the proxy's login.
    let (target, login) = match proxy {
        Some((p, _)) if v2.scheme() == "http" => (v2.as_str().to_owned(), basic_login(p)),
        _ => (v2.path().to_owned(), None),
    };
    let mut request = hyper::Request::get(target);
    if let Some(login) = login {
        request = request.header(hyper::header::PROXY_AUTHORIZATION, login);
    }
    let request = request
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

/// `CONNECT host:port` on the proxy connection; anything but 200 is the proxy's refusal, in its words.
async fn connect_tunnel(
    tcp: &mut TcpStream,
    proxy: &Url,
    host: &str,
    port: u16,
) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut head = format!(
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {}\r\n",
        crate::registry::USER_AGENT
    );
    if let Some(login) = basic_login(proxy) {
        head.push_str(&format!("Proxy-Authorization: {login}\r\n"));
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    // Read the answer's head byte by byte: nothing of the tunnel (the TLS handshake) may be read past it.
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= 8192 {
            return Err(t!("fail.proxy_answer_long").into_owned());
        }
        let mut byte = [0u8];
        match tcp.read(&mut byte).await {
            Ok(0) => return Err(t!("fail.proxy_closed").into_owned()),
            Ok(_) => answer.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    let status_line = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let code = status_line.split_whitespace().nth(1).unwrap_or_default();
    if code == "200" {
        Ok(())
    } else {
        Err(t!(
            "fail.proxy_refused",
            target = authority,
            answer = status_line.escape_debug().to_string()
        )
        .into_owned())
    }
}

/// `Basic …` from the proxy URL's user and password, percent-decoded as Go does.
fn basic_login(proxy: &Url) -> Option<String> {
    use base64::Engine as _;
    if proxy.username().is_empty() {
        return None;
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let pair = format!(
        "{}:{}",
        decode(proxy.username()),
        decode(proxy.password().unwrap_or_default())
    );
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

pub fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
