//! The live daemon, through the Engine API: only `GET /_ping` and `GET /info` are needed, so reqwest over the unix
//! socket does it without an Engine API client crate.

use rust_i18n::t;
#[cfg(unix)]
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// Where the daemon listens: `DOCKER_HOST` (`unix://`, `tcp://`, on Windows `npipe://`), else the docker context's
/// or the desktop product's endpoint, else the default socket.
#[derive(Debug, Clone)]
pub struct Engine {
    client: reqwest::Client,
    base: String,
    /// Windows: the pipe (`\\.\pipe\docker_engine`), spoken to by hyper over tokio's named-pipe client, as
    /// reqwest has no connector for one.
    #[cfg(windows)]
    pipe: Option<String>,
    /// As the user would write it, for messages.
    pub host: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Info {
    #[serde(default, deserialize_with = "nullable")]
    pub registry_config: RegistryConfig,
    #[serde(default, deserialize_with = "nullable")]
    pub containers_running: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub live_restore_enabled: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub server_version: String,
    #[serde(default, deserialize_with = "nullable", rename = "HttpProxy")]
    pub http_proxy: String,
    #[serde(default, deserialize_with = "nullable", rename = "HttpsProxy")]
    pub https_proxy: String,
    #[serde(default, deserialize_with = "nullable", rename = "NoProxy")]
    pub no_proxy: String,
    /// `[["driver-type", "io.containerd.snapshotter.v1"], …]` on the containerd image store; the classic
    /// store's graph driver says other things here (`Backing Filesystem`, …) or nothing.
    #[serde(default, deserialize_with = "nullable")]
    pub driver_status: Vec<Vec<String>>,
}

/// Which image store the daemon keeps images in: it decides how dockerd resolves registries (the containerd
/// store reads `certs.d/<host>/hosts.toml` at each pull, the classic one never does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageStore {
    Classic,
    Containerd,
}

impl ImageStore {
    pub fn name(self) -> &'static str {
        match self {
            Self::Classic => "classic",
            Self::Containerd => "containerd",
        }
    }
}

impl Info {
    /// The store, from `DriverStatus`'s `driver-type` (what `docker info` prints as "driver-type:
    /// io.containerd.snapshotter.v1").
    pub fn image_store(&self) -> ImageStore {
        let containerd = self.driver_status.iter().any(|kv| {
            kv.first().is_some_and(|k| k == "driver-type")
                && kv
                    .get(1)
                    .is_some_and(|v| v.starts_with("io.containerd.snapshotter"))
        });
        if containerd {
            ImageStore::Containerd
        } else {
            ImageStore::Classic
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegistryConfig {
    #[serde(default, deserialize_with = "nullable")]
    pub mirrors: Vec<String>,
    /// As strings (`127.0.0.0/8`): the API marshals Go's net.IPNet that way.
    #[serde(
        default,
        deserialize_with = "nullable",
        rename = "InsecureRegistryCIDRs"
    )]
    pub insecure_registry_cidrs: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub index_configs: std::collections::BTreeMap<String, IndexInfo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexInfo {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub secure: bool,
}

/// Engine 26 sends `null` for every empty list and map (`"Mirrors": null`) where 20.10 sent `[]`: both mean empty.
/// `#[serde(default)]` alone covers a missing field, not a null one.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// How long a pull may take (the client's 30 s is for `/info`).
const PULL: Duration = Duration::from_secs(600);

/// What a pull's stream said.
#[derive(Debug, Clone, Default)]
pub struct Pulled {
    /// `Digest: sha256:…`, as the daemon reported it.
    pub digest: Option<String>,
    /// The last status line (`Status: Downloaded newer image for …`, `Status: Image is up to date for …`).
    pub last_status: Option<String>,
    /// The daemon's error, when the pull failed (its own words: escape them before printing).
    pub error: Option<String>,
}

#[derive(Deserialize)]
struct PullLine {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error: Option<String>,
    /// Before the stream starts, an error answer is `{"message": …}`.
    #[serde(default)]
    message: Option<String>,
}

impl Pulled {
    fn take(&mut self, line: &[u8], status: &(dyn Fn(&str) + Sync)) {
        let Ok(l) = serde_json::from_slice::<PullLine>(line) else {
            return;
        };
        if let Some(e) = l.error.or(l.message) {
            self.error = Some(e);
        }
        if let Some(s) = l.status {
            if let Some(d) = s.strip_prefix("Digest: ") {
                self.digest = Some(d.trim().to_owned());
            }
            status(&s);
            self.last_status = Some(s);
        }
    }
}

/// How long one Engine API request may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The most of `/info` (or `/_ping`) read: a real `/info` is a few KiB.
const INFO_LIMIT: usize = 4 << 20;

/// `npipe:////./pipe/docker_engine` (the docker CLI's form) as the path Windows opens, `\\.\pipe\docker_engine`;
/// `None` for anything that is not a local pipe.
#[cfg_attr(not(windows), allow(dead_code))]
pub fn pipe_path(host: &str) -> Option<String> {
    let rest = host.strip_prefix("npipe://")?;
    let path = rest.replace('/', "\\");
    let name = path.strip_prefix("\\\\.\\pipe\\")?;
    (!name.is_empty() && !name.contains('\\')).then_some(path)
}

/// The named-pipe transport: one HTTP/1.1 request per connection, as the docker CLI's own client makes them.
#[cfg(windows)]
mod pipe {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty, Limited};
    use hyper_util::rt::TokioIo;
    use std::time::Duration;
    use tokio::net::windows::named_pipe::ClientOptions;

    /// Every instance of the pipe is busy serving another client: wait for one, as docker's go-winio does.
    const ERROR_PIPE_BUSY: i32 = 231;

    pub async fn get(
        pipe: &str,
        path: &str,
        limit: usize,
    ) -> std::io::Result<(hyper::StatusCode, Vec<u8>)> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let stream = loop {
            match ClientOptions::new().open(pipe) {
                Ok(client) => break client,
                Err(e)
                    if e.raw_os_error() == Some(ERROR_PIPE_BUSY)
                        && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(e),
            }
        };
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(conn);
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, "docker")
            .body(Empty::<Bytes>::new())
            .map_err(std::io::Error::other)?;
        let response = sender
            .send_request(request)
            .await
            .map_err(std::io::Error::other)?;
        let status = response.status();
        let body = Limited::new(response.into_body(), limit)
            .collect()
            .await
            .map_err(std::io::Error::other)?
            .to_bytes();
        Ok((status, body.to_vec()))
    }
}

/// The daemon's default address: the socket on unix, Docker Desktop's named pipe on Windows.
#[cfg(unix)]
const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
#[cfg(windows)]
const DEFAULT_HOST: &str = "npipe:////./pipe/docker_engine";

impl Engine {
    pub fn from_env() -> Result<Self> {
        let host = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            // On macOS and Windows: the docker context's endpoint, else the product's own socket or pipe.
            .or_else(crate::sys::desktop::engine_host)
            .unwrap_or_else(|| DEFAULT_HOST.into());
        Self::new(&host)
    }

    pub fn new(host: &str) -> Result<Self> {
        let builder = reqwest::Client::builder().timeout(TIMEOUT).no_proxy();
        #[cfg(windows)]
        if host.starts_with("npipe://") {
            let pipe = pipe_path(host).with_context(|| t!("engine.bad_host", host = host))?;
            return Ok(Self {
                client: builder.build()?,
                base: "http://docker".to_owned(),
                pipe: Some(pipe),
                host: host.to_owned(),
            });
        }
        #[cfg(windows)]
        if host.starts_with("unix://") {
            // reqwest has no unix-socket connector on Windows; Docker Desktop listens on a named pipe there.
            bail!("{}", t!("platform.engine_npipe", host = host));
        }
        #[cfg(unix)]
        let unix = host.strip_prefix("unix://");
        #[cfg(windows)]
        let unix: Option<&str> = None;
        let (client, base) = if let Some(path) = unix {
            #[cfg(unix)]
            let client = builder.unix_socket(PathBuf::from(path)).build()?;
            #[cfg(windows)]
            let client = {
                let _ = path;
                builder.build()?
            };
            (client, "http://docker".to_owned())
        } else if let Some(addr) = host.strip_prefix("tcp://") {
            (builder.build()?, format!("http://{addr}"))
        } else {
            bail!("{}", t!("engine.bad_host", host = host));
        };
        Ok(Self {
            client,
            base,
            #[cfg(windows)]
            pipe: None,
            host: host.to_owned(),
        })
    }

    /// `GET path`: its status and body, at most `INFO_LIMIT` bytes, over the socket, TCP or (Windows) the pipe.
    async fn get(&self, path: &str) -> Result<(reqwest::StatusCode, Vec<u8>)> {
        #[cfg(windows)]
        if let Some(pipe) = &self.pipe {
            return match tokio::time::timeout(TIMEOUT, pipe::get(pipe, path, INFO_LIMIT)).await {
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(e)) => Err(self.pipe_unreachable(e)),
                Err(_) => Err(anyhow::anyhow!(
                    "{}",
                    t!("engine.unreachable", host = self.host)
                )),
            };
        }
        let mut r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let mut body = Vec::new();
        while let Some(chunk) = r.chunk().await.map_err(|e| self.unreachable(e))? {
            if body.len() + chunk.len() > INFO_LIMIT {
                bail!("{}", t!("engine.info_unreadable", host = self.host));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((r.status(), body))
    }

    pub async fn info(&self) -> Result<Info> {
        let (status, body) = self.get("/info").await?;
        if !status.is_success() {
            bail!(
                "{}",
                t!("engine.info_status", host = self.host, status = status)
            );
        }
        serde_json::from_slice(&body)
            .with_context(|| t!("engine.info_unreadable", host = self.host))
    }

    /// Waits until the daemon answers `/_ping`, as a restart returns before the API is up on some inits.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.get("/_ping").await {
                Ok((status, _)) if status.is_success() => return Ok(()),
                Ok((status, _)) => anyhow::anyhow!("{}", t!("engine.ping_status", status = status)),
                Err(e) => e,
            };
            if Instant::now() >= deadline {
                return Err(
                    last.context(t!("engine.not_up", secs = timeout.as_secs()).into_owned())
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The daemon's unix socket, when it is reached through one (a pull can be observed only then).
    pub fn unix_socket(&self) -> Option<std::path::PathBuf> {
        self.host
            .strip_prefix("unix://")
            .map(std::path::PathBuf::from)
    }

    /// `POST /images/create?fromImage=…&tag=…`: the daemon pulls, as `docker pull` asks it to. The answer is a
    /// stream of JSON lines (`{"status": …}`, `{"error": …}`), read a chunk at a time and bounded (a line of 64
    /// KiB, 16 MiB in all); the latest status goes to `status` (a progress line on a terminal). The stream's own
    /// error (a pull that failed after the 200) is returned as `Pulled::error`, the daemon's words.
    pub async fn pull(
        &self,
        repository: &str,
        tag: &str,
        status: &(dyn Fn(&str) + Sync),
    ) -> Result<Pulled> {
        const LINE: usize = 64 * 1024;
        const TOTAL: usize = 16 * 1024 * 1024;
        let mut url = reqwest::Url::parse(&format!("{}/images/create", self.base))?;
        url.query_pairs_mut()
            .append_pair("fromImage", repository)
            .append_pair("tag", tag);
        let mut r = self
            .client
            .post(url)
            .timeout(PULL)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let ok = r.status().is_success();
        let code = r.status();
        let (mut pulled, mut line, mut total) = (Pulled::default(), Vec::new(), 0usize);
        while let Some(chunk) = r
            .chunk()
            .await
            .with_context(|| t!("engine.pull_unreadable", host = self.host))?
        {
            total += chunk.len();
            if total > TOTAL {
                bail!("{}", t!("engine.pull_too_long", host = self.host));
            }
            for b in chunk {
                if b != b'\n' {
                    if line.len() >= LINE {
                        bail!("{}", t!("engine.pull_too_long", host = self.host));
                    }
                    line.push(b);
                    continue;
                }
                pulled.take(&std::mem::take(&mut line), status);
            }
        }
        pulled.take(&line, status);
        if !ok && pulled.error.is_none() {
            pulled.error = Some(format!("HTTP {code}"));
        }
        Ok(pulled)
    }

    /// A pipe that is not there is a daemon that is not running (Docker Desktop quit, or its engine stopped).
    #[cfg(windows)]
    fn pipe_unreachable(&self, e: std::io::Error) -> anyhow::Error {
        match e.kind() {
            std::io::ErrorKind::PermissionDenied => {
                anyhow::anyhow!("{}", t!("engine.permission", host = self.host))
            }
            std::io::ErrorKind::NotFound => {
                anyhow::anyhow!("{}", t!("engine.not_running", socket = self.host))
            }
            _ => anyhow::Error::new(e)
                .context(t!("engine.unreachable", host = self.host).into_owned()),
        }
    }

    fn unreachable(&self, e: reqwest::Error) -> anyhow::Error {
        let denied =
            std::iter::successors(Some(&e as &dyn std::error::Error), |s| s.source()).any(|s| {
                s.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
            });
        let refused = e.is_connect()
            || std::iter::successors(Some(&e as &dyn std::error::Error), |s| s.source()).any(|s| {
                s.downcast_ref::<std::io::Error>().is_some_and(|io| {
                    matches!(
                        io.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                    )
                })
            });
        if denied {
            anyhow::anyhow!("{}", t!("engine.permission", host = self.host))
        } else if refused {
            // Nothing listens: say so plainly, not as reqwest's chain ("error sending request for url
            // (http://docker/info): client error (Connect)…"), which names a URL the user never wrote.
            let socket = self
                .host
                .strip_prefix("unix://")
                .or_else(|| self.host.strip_prefix("tcp://"));
            anyhow::anyhow!(
                "{}",
                t!("engine.not_running", socket = socket.unwrap_or(&self.host))
            )
        } else {
            anyhow::Error::new(e).context(t!("engine.unreachable", host = self.host).into_owned())
        }
    }
}

/// `/info` as Engine 20.10 and 26.1 really sent it (captured from the test daemons, paths replaced), read by every
/// consumer: `show`, `doctor`, apply's verification and `proxy show`.
/// The registry blocks of `docker info`, line for line as docker/cli prints them (cli/command/system/info.go).
/// docker/cli walks IndexConfigs, a Go map, in random order; we sort by name so the output is stable.
impl RegistryConfig {
    pub fn as_docker_info(&self) -> String {
        let rc = self;
        let mut s = String::new();
        if !rc.insecure_registry_cidrs.is_empty() || !rc.index_configs.is_empty() {
            s.push_str(" Insecure Registries:\n");
            for index in rc.index_configs.values().filter(|i| !i.secure) {
                s.push_str(&format!("  {}\n", index.name));
            }
            for cidr in &rc.insecure_registry_cidrs {
                s.push_str(&format!("  {cidr}\n"));
            }
        }
        if !rc.mirrors.is_empty() {
            s.push_str(" Registry Mirrors:\n");
            for m in &rc.mirrors {
                s.push_str(&format!("  {m}\n"));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    fn fixture(name: &str) -> Info {
        let path = format!(
            "{}/tests/fixtures/info/engine-{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn a_named_pipe_host_is_the_path_windows_opens() {
        assert_eq!(
            pipe_path("npipe:////./pipe/docker_engine").as_deref(),
            Some(r"\\.\pipe\docker_engine")
        );
        assert_eq!(
            pipe_path("npipe:////./pipe/dockerDesktopLinuxEngine").as_deref(),
            Some(r"\\.\pipe\dockerDesktopLinuxEngine")
        );
        // Another machine's pipe, no name, a path below the pipe, or no pipe at all: refused.
        for bad in [
            "npipe:////server/pipe/docker_engine",
            "npipe:////./pipe/",
            "npipe:////./pipe/a/b",
            "unix:///var/run/docker.sock",
        ] {
            assert_eq!(pipe_path(bad), None, "{bad}");
        }
    }

    /// The pipe transport for real, in-process: a tokio named-pipe server answering `/_ping` and `/info` as
    /// dockerd does (runs in the Windows test binary, e.g. under wine).
    #[cfg(windows)]
    #[tokio::test]
    async fn the_engine_api_is_read_over_a_named_pipe() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::windows::named_pipe::ServerOptions;
        let name = format!(r"\\.\pipe\mirrorctl-test-{}", std::process::id());
        let mut server = ServerOptions::new()
            .first_pipe_instance(true)
            .create(&name)
            .unwrap();
        let serving = name.clone();
        tokio::spawn(async move {
            loop {
                server.connect().await.unwrap();
                // The next instance first, so the next client finds one.
                let mut conn =
                    std::mem::replace(&mut server, ServerOptions::new().create(&serving).unwrap());
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                        let n = conn.read(&mut buf).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        got.extend_from_slice(&buf[..n]);
                    }
                    let request = String::from_utf8_lossy(&got);
                    let body = if request.starts_with("GET /info ") {
                        r#"{"ServerVersion":"28.5.2","RegistryConfig":{"Mirrors":["https://m.example/"]}}"#
                    } else {
                        "OK"
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    conn.write_all(answer.as_bytes()).await.unwrap();
                    let _ = conn.shutdown().await;
                });
            }
        });
        let host = format!("npipe:////./pipe/mirrorctl-test-{}", std::process::id());
        crate::registry::http::install_crypto();
        let engine = Engine::new(&host).unwrap();
        engine.wait_ready(Duration::from_secs(10)).await.unwrap();
        let info = engine.info().await.unwrap();
        assert_eq!(info.server_version, "28.5.2");
        assert_eq!(info.registry_config.mirrors, ["https://m.example/"]);
        // No pipe of that name: the daemon is not running, said as such.
        let gone = Engine::new("npipe:////./pipe/mirrorctl-no-such-pipe").unwrap();
        let e = format!("{:#}", gone.info().await.unwrap_err());
        assert!(e.contains("mirrorctl-no-such-pipe"), "{e}");
    }

    #[test]
    fn image_store_from_driver_status() {
        let info: Info = serde_json::from_str(
            r#"{"Driver":"native","DriverStatus":[["driver-type","io.containerd.snapshotter.v1"]]}"#,
        )
        .unwrap();
        assert_eq!(info.image_store(), ImageStore::Containerd);
        let classic: Info = serde_json::from_str(
            r#"{"Driver":"overlay2","DriverStatus":[["Backing Filesystem","extfs"],["Supports d_type","true"]]}"#,
        )
        .unwrap();
        assert_eq!(classic.image_store(), ImageStore::Classic);
        let null: Info = serde_json::from_str(r#"{"DriverStatus":null}"#).unwrap();
        assert_eq!(null.image_store(), ImageStore::Classic);
    }

    #[test]
    fn docker_info_blocks() {
        let info: Info = serde_json::from_str(
            r#"{"RegistryConfig":{"InsecureRegistryCIDRs":["127.0.0.0/8"],
                "IndexConfigs":{"docker.io":{"Name":"docker.io","Secure":true},"reg.lan:5000":{"Name":"reg.lan:5000","Secure":false}},
                "Mirrors":["https://a.example/","http://10.0.0.1:5000/"]}}"#,
        )
        .unwrap();
        assert_eq!(
            info.registry_config.as_docker_info(),
            " Insecure Registries:\n  reg.lan:5000\n  127.0.0.0/8\n Registry Mirrors:\n  https://a.example/\n  http://10.0.0.1:5000/\n"
        );
        assert_eq!(RegistryConfig::default().as_docker_info(), "");
    }

    #[test]
    fn both_engines_parse_with_and_without_mirrors() {
        for engine in ["20.10", "26.1"] {
            let bare = fixture(engine);
            assert!(bare.registry_config.mirrors.is_empty(), "{engine}");
            assert!(bare.server_version.starts_with(engine), "{engine}");
            let configured = fixture(&format!("{engine}-configured"));
            assert_eq!(
                configured.registry_config.mirrors,
                ["https://docker.1ms.run/", "http://10.0.0.2:5000/"],
                "{engine}"
            );
            assert!(configured
                .registry_config
                .index_configs
                .contains_key("10.0.0.2:5000"));
        }
        // Engine 26 sends null for the empty mirror list; 20.10 sends [].
        let raw = std::fs::read_to_string(format!(
            "{}/tests/fixtures/info/engine-26.1.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert!(raw.contains("\"Mirrors\": null"));
    }

    #[test]
    fn show_reads_both_engines() {
        for engine in ["20.10", "26.1"] {
            let r = crate::commands::show::build(
                "unix:///run/docker.sock",
                Ok(fixture(&format!("{engine}-configured"))),
                crate::commands::show::FileState::default(),
                &Catalogue::builtin(),
                None,
                std::time::SystemTime::now(),
            );
            assert!(r.live.reachable, "{engine}");
            assert!(
                r.live.docker_info.ends_with(
                    " Registry Mirrors:\n  https://docker.1ms.run/\n  http://10.0.0.2:5000/\n"
                ),
                "{engine}: {}",
                r.live.docker_info
            );
            let bare = crate::commands::show::build(
                "unix:///run/docker.sock",
                Ok(fixture(engine)),
                crate::commands::show::FileState::default(),
                &Catalogue::builtin(),
                None,
                std::time::SystemTime::now(),
            );
            assert!(
                !bare.live.docker_info.contains("Registry Mirrors"),
                "{engine}"
            );
        }
    }

    #[test]
    fn doctor_verification_and_proxy_read_both_engines() {
        for engine in ["20.10", "26.1"] {
            let info = fixture(&format!("{engine}-configured"));
            let want = [
                "https://docker.1ms.run/".to_owned(),
                "http://10.0.0.2:5000/".to_owned(),
            ];
            assert!(crate::change::live::mirrors_live(&info, &want), "{engine}");
            assert!(
                crate::change::live::mirrors_live(&fixture(engine), &[]),
                "{engine}"
            );

            let facts = crate::commands::doctor::Facts {
                path: "/etc/docker/daemon.json".into(),
                bytes: Some(Ok(br#"{"registry-mirrors": ["https://docker.1ms.run", "http://10.0.0.2:5000"], "insecure-registries": ["10.0.0.2:5000"]}"#.to_vec())),
                info: Ok(info.clone()),
                sources: vec![],
                unit_result: None,
                unit_environment: None,
                validate: None,
                engine: Some(info.server_version.clone()),
                runtimes: vec![],
                all_engines: false,
                docker_hub_hosts: None,
            };
            let r = crate::commands::doctor::check(&facts, &Catalogue::builtin());
            let sev = |id: &str| r.checks.iter().find(|c| c.id == id).map(|c| c.severity);
            assert_eq!(
                sev("daemon-reachable"),
                Some(crate::commands::doctor::Severity::Ok),
                "{engine}"
            );
            assert_eq!(
                sev("live-drift"),
                Some(crate::commands::doctor::Severity::Ok),
                "{engine}: {r:?}"
            );
            assert!(r.dockerd_starts, "{engine}: {r:?}");
        }
        let p = crate::commands::proxy::live(&fixture("26.1-configured"));
        assert_eq!(
            p.http.as_deref(),
            Some("http://xxxxx:xxxxx@proxy.corp:3128")
        );
        assert_eq!(p.no_proxy.as_deref(), Some("localhost,127.0.0.1"));
        assert_eq!(
            crate::commands::proxy::live(&fixture("20.10")),
            crate::targets::proxy::Proxy::default()
        );
    }
}
