//! The one place that builds TLS and HTTP clients, once, before any timed window.

use rust_i18n::t;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use rustls::pki_types::CertificateDer;

use crate::registry::route::Route;

/// What the probes share: rustls configs (trust decided once), reqwest clients and the proxy route.
#[derive(Clone)]
pub struct Clients {
    /// HTTP/1.1-only TLS for the hand-made ping connection, whose phases we time ourselves.
    pub ping_tls: Arc<rustls::ClientConfig>,
    pub http: reqwest::Client,
    /// The proxy a pull goes through, if any (see `probe::route`).
    pub route: Option<Arc<Route>>,
    /// dockerd's `certs.d/<host[:port]>/*.crt`: those CAs are trusted for that registry only, as dockerd does.
    by_host: Arc<HashMap<String, (Arc<rustls::ClientConfig>, reqwest::Client)>>,
}

impl Clients {
    /// `certs_dir` is dockerd's `/etc/docker/certs.d`: a mirror with a private CA is trusted when dockerd trusts it.
    pub fn new(certs_dir: &Path, route: Option<Route>) -> Result<Self> {
        install_crypto();
        let route = route.map(Arc::new);
        let system = system_roots();
        let (ping_tls, http) = pair(system.clone(), route.clone())?;
        let mut by_host = HashMap::new();
        for (host, certs) in certs_d(certs_dir) {
            let mut roots = system.clone();
            for cert in certs {
                let _ = roots.add(cert);
            }
            by_host.insert(host, pair(roots, route.clone())?);
        }
        Ok(Self {
            ping_tls,
            http,
            route,
            by_host: Arc::new(by_host),
        })
    }

    /// The clients for one mirror: with its own certs.d CAs when it has some.
    pub fn for_mirror(&self, url: &reqwest::Url) -> Clients {
        let host = url.host_str().unwrap_or_default();
        let key = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        match self.by_host.get(&key) {
            Some((ping_tls, http)) => Clients {
                ping_tls: ping_tls.clone(),
                http: http.clone(),
                ..self.clone()
            },
            None => self.clone(),
        }
    }
}

/// The ping's TLS config and a reqwest client over the same roots and proxy route.
fn pair(
    roots: rustls::RootCertStore,
    route: Option<Arc<Route>>,
) -> Result<(Arc<rustls::ClientConfig>, reqwest::Client)> {
    let roots = Arc::new(roots);
    let config = |alpn: &[&[u8]]| {
        let mut c = rustls::ClientConfig::builder()
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        c.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        c
    };
    let mut builder = reqwest::Client::builder()
        .use_preconfigured_tls(config(&[b"h2", b"http/1.1"]))
        .user_agent(crate::registry::USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        // A CDN redirect is normal for blobs; reqwest drops Authorization when the host changes.
        .redirect(reqwest::redirect::Policy::limited(5))
        .pool_idle_timeout(Duration::from_secs(15))
        // Our route decides, with Go's rules, not reqwest's reading of the environment.
        .no_proxy();
    if let Some(route) = route {
        builder = builder.proxy(reqwest::Proxy::custom(move |url| {
            route.proxy_for(url).cloned()
        }));
    }
    let http = builder.build().context(t!("io.http_client"))?;
    Ok((Arc::new(config(&[b"http/1.1"])), http))
}

/// reqwest panics when a client is built before a rustls provider is installed; main calls this first thing.
/// Installing twice is harmless (the first one stays).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// System roots (what dockerd trusts, and what works behind a TLS-inspecting proxy); the bundled Mozilla roots
/// only when the system has none.
fn system_roots() -> rustls::RootCertStore {
    let mut store = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    store.add_parsable_certificates(native.certs);
    if store.is_empty() {
        store.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    }
    store
}

/// `certs.d/<host[:port]>/*.crt`, by directory name.
fn certs_d(dir: &Path) -> Vec<(String, Vec<CertificateDer<'static>>)> {
    let Ok(hosts) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out = Vec::new();
    for host in hosts.flatten() {
        let Ok(files) = std::fs::read_dir(host.path()) else {
            continue;
        };
        let mut certs = Vec::new();
        for f in files.flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "crt") {
                if let Ok(pem) = std::fs::read(&p) {
                    use rustls::pki_types::pem::PemObject;
                    certs.extend(CertificateDer::pem_slice_iter(&pem).flatten());
                }
            }
        }
        if !certs.is_empty() {
            out.push((host.file_name().to_string_lossy().into_owned(), certs));
        }
    }
    out
}

/// A time limit for a whole exchange, or several: connecting, the answer's head and every byte of its body. One
/// value is handed to every step, so a server that drips its answer a byte at a time cannot keep us past it.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: tokio::time::Instant,
    budget: Duration,
}

impl Deadline {
    /// `budget` from now (a budget too large for the clock is a year).
    pub fn after(budget: Duration) -> Self {
        let now = tokio::time::Instant::now();
        let at = now
            .checked_add(budget)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 86_400));
        Self { at, budget }
    }

    /// `step` (sending a request, say), or `BodyError::Deadline` when the deadline passes first.
    pub async fn run<T>(&self, step: impl std::future::Future<Output = T>) -> Result<T, BodyError> {
        tokio::time::timeout_at(self.at, step)
            .await
            .map_err(|_| BodyError::Deadline {
                secs: self.budget.as_secs(),
            })
    }
}

/// Why a body was not read whole. The messages name no server text: the caller adds what was fetched.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The answer said (Content-Length) or sent more than `limit` bytes; reading stopped there.
    #[error("{}", t!("http.body_too_large", limit = crate::ui::text::bytes(*.limit as f64)))]
    TooLarge { limit: usize },
    #[error("{}", t!("http.body_deadline", secs = .secs))]
    Deadline { secs: u64 },
    #[error(transparent)]
    Read(#[from] reqwest::Error),
}

/// A response's body, at most `limit` bytes of it and by `deadline`: memory and time stay bounded whatever the
/// server does. A Content-Length above the limit is refused before a byte is read; a body that grows past it is
/// dropped there, which closes the connection.
pub async fn read_bounded(
    mut r: reqwest::Response,
    limit: usize,
    deadline: Deadline,
) -> Result<Vec<u8>, BodyError> {
    let promised = r.content_length().unwrap_or(0);
    if promised > limit as u64 {
        return Err(BodyError::TooLarge { limit });
    }
    // What the server promised, when that is within the limit: never more than `limit` up front.
    let mut buf = Vec::with_capacity(usize::try_from(promised).unwrap_or(limit).min(limit));
    while let Some(chunk) = deadline.run(r.chunk()).await?? {
        if chunk.len() > limit - buf.len() {
            return Err(BodyError::TooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}
