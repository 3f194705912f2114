//! The one place that builds TLS and HTTP clients, once, before any timed window.

use rust_i18n::t;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use rustls::pki_types::CertificateDer;

/// What the probes share: one rustls config (trust decided once) and one reqwest client.
#[derive(Clone)]
pub struct Clients {
    /// HTTP/1.1-only TLS for the hand-made ping connection, whose phases we time ourselves.
    pub ping_tls: Arc<rustls::ClientConfig>,
    pub http: reqwest::Client,
}

impl Clients {
    /// `certs_dir` is dockerd's `/etc/docker/certs.d`: a mirror with a private CA is trusted when dockerd trusts it.
    pub fn new(certs_dir: &Path) -> Result<Self> {
        install_crypto();
        let roots = Arc::new(root_store(certs_dir));
        let config = |alpn: &[&[u8]]| {
            let mut c = rustls::ClientConfig::builder()
                .with_root_certificates(roots.clone())
                .with_no_client_auth();
            c.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
            c
        };
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(config(&[b"h2", b"http/1.1"]))
            .user_agent(crate::registry::USER_AGENT)
            .connect_timeout(Duration::from_secs(10))
            // A CDN redirect is normal for blobs; reqwest drops Authorization when the host changes.
            .redirect(reqwest::redirect::Policy::limited(5))
            .pool_idle_timeout(Duration::from_secs(15))
            .build()
            .context(t!("io.http_client"))?;
        Ok(Self {
            ping_tls: Arc::new(config(&[b"http/1.1"])),
            http,
        })
    }
}

/// reqwest panics when a client is built before a rustls provider is installed; main calls this first thing.
/// Installing twice is harmless (the first one stays).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// System roots first (what dockerd trusts, and what works behind a TLS-inspecting proxy), plus dockerd's
/// per-registry CAs; the bundled Mozilla roots only when the system has none.
fn root_store(certs_dir: &Path) -> rustls::RootCertStore {
    let mut store = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    store.add_parsable_certificates(native.certs);
    if store.is_empty() {
        store.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    }
    // dockerd scopes certs.d/<host>/*.crt to that host; rustls has one store per config, so we trust them for
    // every host. That can only make a probe more lenient than dockerd for a host that has no CA there.
    for cert in certs_d(certs_dir) {
        let _ = store.add(cert);
    }
    store
}

fn certs_d(dir: &Path) -> Vec<CertificateDer<'static>> {
    let Ok(hosts) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out = Vec::new();
    for host in hosts.flatten() {
        let Ok(files) = std::fs::read_dir(host.path()) else {
            continue;
        };
        for f in files.flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "crt") {
                if let Ok(pem) = std::fs::read(&p) {
                    use rustls::pki_types::pem::PemObject;
                    out.extend(CertificateDer::pem_slice_iter(&pem).flatten());
                }
            }
        }
    }
    out
}
