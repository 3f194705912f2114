//! A registry of our own on loopback that serves one `Image` and misbehaves on request: latency, thin bandwidth,
//! corrupt, truncated or endless bodies, hangs, error codes, captive-portal HTML, Basic or Bearer auth.
//! Raw HTTP/1.1 on tokio with `Connection: close`, so every fault is byte-exact and nothing hides it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A plain or TLS connection.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

use super::image::{sha, Image, OCI_INDEX, OCI_MANIFEST};

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Fault {
    #[default]
    None,
    /// Answer this status to every request whose path contains the text.
    Status(&'static str, u16),
    /// Accept the request whose path contains the text and never answer.
    Hang(&'static str),
    /// Serve the blob with one byte flipped.
    CorruptBlob,
    /// Serve the blob and then keep sending, with no Content-Length.
    EndlessBlob,
    /// Close the connection halfway through the blob.
    TruncatedBlob,
    /// Send an endless manifest body.
    EndlessManifest,
    /// Answer everything with 200 and an HTML login page, as hotel and airport Wi-Fi does.
    CaptivePortal,
    /// Ask for a username and password at /v2/.
    BasicAuth,
    /// Send a `Docker-Content-Digest` that is not the hash of the manifest bytes.
    WrongManifestDigest,
    /// A manifest whose media type is a terminal escape (retitle the window, clear the screen).
    HostileManifest,
    /// A manifest whose media type is this text (a newline and a line of mirrorctl's own, say).
    ManifestMediaType(&'static str),
}

#[derive(Clone, Debug, Default)]
pub struct Behavior {
    /// Waited before every response's headers.
    pub latency: Duration,
    /// Blob bytes per second; unlimited when absent.
    pub bandwidth: Option<u64>,
    pub fault: Fault,
    /// When set, `/v2/` answers 401 with a Bearer challenge pointing at this realm, and every other request needs
    /// the token that any fake registry's `/token` hands out.
    pub token_realm: Option<String>,
    /// Serve HTTPS with this configuration (see `tls_for_localhost`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// While it holds true, every request gets a 503: a mirror that died, and may come back.
    pub down: Option<Arc<std::sync::atomic::AtomicBool>>,
}

/// A CA and a `localhost` certificate it signed: the server config, and the CA in PEM for the client to trust.
pub fn tls_for_localhost() -> (Arc<rustls::ServerConfig>, String) {
    tls_for("localhost")
}

/// A CA, and a certificate for `name` it signed with its key.
fn ca_and_leaf(name: &str) -> (rcgen::Certificate, rcgen::Certificate, rcgen::KeyPair) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "mirrorctl test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![name.to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    (ca_cert, leaf, leaf_key)
}

/// A CA and a certificate for `name` it signed: the server config, and the CA in PEM for the client to trust.
pub fn tls_for(name: &str) -> (Arc<rustls::ServerConfig>, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (ca_cert, leaf, leaf_key) = ca_and_leaf(name);
    let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca_cert.der().clone()], key)
        .unwrap();
    (Arc::new(config), ca_cert.pem())
}

/// For servers of others (distribution's `http.tls`): a certificate for `name` and its key, in PEM, and the CA
/// that signed it.
pub fn pem_for(name: &str) -> (String, String, String) {
    let (ca_cert, leaf, leaf_key) = ca_and_leaf(name);
    (leaf.pem(), leaf_key.serialize_pem(), ca_cert.pem())
}

pub struct FakeRegistry {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicUsize>,
    /// The path of every request served, in order, so a test can assert which were made.
    served: Arc<std::sync::Mutex<Vec<String>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

const TOKEN: &str = "mirrorctl-test-token";

/// All fake servers share one runtime, so a farm of hundreds costs two threads.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

impl FakeRegistry {
    pub fn start(image: Arc<Image>, behavior: Behavior) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let served = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = served.clone();
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let behavior = Arc::new(behavior);
        let counter = hits.clone();
        runtime().spawn(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        counter.fetch_add(1, Ordering::SeqCst);
                        let (image, behavior, log) = (image.clone(), behavior.clone(), log.clone());
                        tokio::spawn(async move {
                            match behavior.tls.clone() {
                                Some(cfg) => {
                                    if let Ok(tls) = tokio_rustls::TlsAcceptor::from(cfg).accept(stream).await {
                                        serve(tls, image, behavior, log).await;
                                    }
                                }
                                None => serve(stream, image, behavior, log).await,
                            }
                        });
                    }
                }
            }
        });
        Self {
            addr,
            hits,
            served,
            _stop: stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The paths served so far, in order (query strings included).
    pub fn served(&self) -> Vec<String> {
        self.served.lock().unwrap().clone()
    }
}

struct Request {
    path: String,
    authorization: Option<String>,
}

async fn read_request<S: Io>(stream: &mut S) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if !buf[0].is_ascii_uppercase() {
            // Not HTTP (a TLS ClientHello, say): answer as Go's net/http does, in plain text, and hang up.
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                .await;
            return None;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim().to_owned());
    Some(Request {
        path,
        authorization,
    })
}

async fn serve<S: Io>(
    mut stream: S,
    image: Arc<Image>,
    b: Arc<Behavior>,
    log: Arc<std::sync::Mutex<Vec<String>>>,
) {
    let Some(req) = read_request(&mut stream).await else {
        return;
    };
    log.lock().unwrap().push(req.path.clone());
    if b.down.as_ref().is_some_and(|d| d.load(Ordering::SeqCst)) {
        return respond(&mut stream, 503, "text/plain", &[], b"down for maintenance").await;
    }
    if let Fault::Hang(p) = &b.fault {
        if req.path.contains(p) {
            // Hold the connection open without a byte; the client's deadline must end it.
            std::future::pending::<()>().await;
        }
    }
    tokio::time::sleep(b.latency).await;
    let path = req.path.split('?').next().unwrap_or("").to_owned();
    if path == "/token" {
        return respond(
            &mut stream,
            200,
            "application/json",
            &[],
            format!(r#"{{"token":"{TOKEN}"}}"#).as_bytes(),
        )
        .await;
    }
    match &b.fault {
        Fault::Status(p, code) if req.path.contains(p) => {
            let extra: &[(&str, String)] = if *code == 429 {
                &[("Retry-After", "30".into())]
            } else {
                &[]
            };
            return respond(
                &mut stream,
                *code,
                "application/json",
                extra,
                b"{\"errors\":[]}",
            )
            .await;
        }
        Fault::CaptivePortal => {
            let page =
                b"<!DOCTYPE html><html><body><form>Please log in to the Wi-Fi</form></body></html>";
            return respond(&mut stream, 200, "text/html; charset=utf-8", &[], page).await;
        }
        Fault::HostileManifest if path.contains("/manifests/") => {
            let body = "{\"schemaVersion\": 2, \"mediaType\": \"\u{1b}]0;pwned\u{7}\u{1b}[2J\"}";
            return respond(&mut stream, 200, "application/json", &[], body.as_bytes()).await;
        }
        Fault::ManifestMediaType(media_type) if path.contains("/manifests/") => {
            let body = serde_json::json!({"schemaVersion": 2, "mediaType": media_type}).to_string();
            return respond(&mut stream, 200, "application/json", &[], body.as_bytes()).await;
        }
        Fault::BasicAuth if path == "/v2/" => {
            let h = [(
                "WWW-Authenticate",
                r#"Basic realm="Registry Realm""#.to_owned(),
            )];
            return respond(&mut stream, 401, "application/json", &h, b"{}").await;
        }
        _ => {}
    }
    let api = ("Docker-Distribution-API-Version", "registry/2.0".to_owned());
    if let Some(realm) = &b.token_realm {
        if req.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
            let challenge = format!(r#"Bearer realm="{realm}",service="fake-registry""#);
            return respond(
                &mut stream,
                401,
                "application/json",
                &[api, ("WWW-Authenticate", challenge)],
                b"{}",
            )
            .await;
        }
    }
    if path == "/v2/" {
        return respond(&mut stream, 200, "application/json", &[api], b"{}").await;
    }
    let prefix = format!("/v2/{}/", image.repository);
    let Some(rest) = path.strip_prefix(&prefix) else {
        return respond(
            &mut stream,
            404,
            "application/json",
            &[],
            b"{\"errors\":[{\"code\":\"NAME_UNKNOWN\"}]}",
        )
        .await;
    };
    if let Some(reference) = rest.strip_prefix("manifests/") {
        let (body, media_type) = if reference == image.tag || reference == sha(&image.index) {
            (&image.index, OCI_INDEX)
        } else if reference == sha(&image.manifest) {
            (&image.manifest, OCI_MANIFEST)
        } else {
            return respond(
                &mut stream,
                404,
                "application/json",
                &[],
                b"{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}",
            )
            .await;
        };
        if b.fault == Fault::EndlessManifest {
            return endless(&mut stream, media_type).await;
        }
        let claimed = if b.fault == Fault::WrongManifestDigest {
            sha(b"something else")
        } else {
            sha(body)
        };
        return respond(
            &mut stream,
            200,
            media_type,
            &[("Docker-Content-Digest", claimed)],
            body,
        )
        .await;
    }
    if let Some(digest) = rest.strip_prefix("blobs/") {
        let blob = if digest == sha(&image.layer) {
            &image.layer
        } else if digest == sha(&image.config) {
            &image.config
        } else {
            return respond(
                &mut stream,
                404,
                "application/json",
                &[],
                b"{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}",
            )
            .await;
        };
        return send_blob(&mut stream, blob, &b).await;
    }
    respond(&mut stream, 404, "application/json", &[], b"{}").await
}

async fn respond<S: Io>(
    stream: &mut S,
    code: u16,
    content_type: &str,
    headers: &[(&str, String)],
    body: &[u8],
) {
    let mut head = format!(
        "HTTP/1.1 {code} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

async fn endless<S: Io>(stream: &mut S, content_type: &str) {
    let head =
        format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let junk = vec![b' '; 64 * 1024];
    // Bounded so a broken client cannot make this loop forever: 4 GiB, far past any limit we set.
    for _ in 0..65_536 {
        if stream.write_all(&junk).await.is_err() {
            return;
        }
    }
}

async fn send_blob<S: Io>(stream: &mut S, blob: &[u8], b: &Behavior) {
    let mut body = blob.to_vec();
    match b.fault {
        Fault::CorruptBlob => body[blob.len() / 2] ^= 0xff,
        Fault::EndlessBlob => return endless(stream, "application/octet-stream").await,
        _ => {}
    }
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nDocker-Content-Digest: {}\r\nConnection: close\r\n\r\n",
        body.len(),
        sha(blob)
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    if b.fault == Fault::TruncatedBlob {
        let _ = stream.write_all(&body[..body.len() / 2]).await;
        return; // dropping the stream closes it mid-body
    }
    match b.bandwidth {
        None => {
            let _ = stream.write_all(&body).await;
        }
        Some(rate) => {
            // Pace in 20 slices a second: the rate is what the client sees, within one slice.
            let slice = (rate / 20).max(1) as usize;
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            for part in body.chunks(slice) {
                tick.tick().await;
                if stream.write_all(part).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = stream.shutdown().await;
}
