//! Probing: one honest pull per mirror (ping → token → manifest → blob, sha256 verified), all mirrors at once,
//! each under one deadline.

pub mod age;
pub mod consensus;
pub mod rank;
pub mod render;
pub mod report;

use rust_i18n::t;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use sha2::{Digest as _, Sha256};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::registry::client::{
    authorized, check, fetch_token, get_manifest, is_html, looks_like_registry, not_a_registry,
    parse_manifest, retry_after, send,
};
use crate::registry::failure;
pub use crate::registry::failure::{Failure, Status, Step};
pub use crate::registry::ping::Phases;
use crate::registry::ping::{self, ms};
pub use report::{MirrorResult, Report};

use crate::catalogue::Mirror;
use crate::registry::auth::{parse_challenge, Challenge};
use crate::registry::http::Clients;
use crate::registry::manifest::{self, Document, Platform};
use crate::registry::{Digest, ImageRef};

#[derive(Debug, Clone)]
pub struct Settings {
    pub image: ImageRef,
    pub platform: Platform,
    pub timeout: Duration,
    /// Mirrors probed at once. Steps within one mirror always run in sequence: some mirrors allow ~20 req/min.
    pub jobs: usize,
    /// The largest layer we agree to download; a bigger smallest layer means the image is a poor probe.
    pub max_blob: u64,
    /// Blob downloads at once. They share the user's link, so fewer at a time means each measures the link rather
    /// than a share of it; the wait for a slot is not charged to the mirror's deadline.
    pub blob_jobs: usize,
}

/// A mirror whose probe had not finished when the run was stopped (Ctrl-C): it says nothing about the mirror, so it
/// is shown as interrupted and never recorded as a failure.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unfinished {
    pub name: String,
    pub url: String,
}

/// Probes every mirror concurrently; `on_done` is called as each finishes (for a progress display). When `stop`
/// resolves first, the probes under way are dropped and the finished results kept: `(finished, unfinished)`.
pub async fn run(
    mirrors: &[&Mirror],
    settings: &Settings,
    clients: &Clients,
    on_done: impl Fn(&MirrorResult),
    stop: impl std::future::Future<Output = ()>,
) -> (Vec<MirrorResult>, Vec<Unfinished>) {
    let gate = Arc::new(Semaphore::new(settings.jobs.max(1)));
    let blob_gate = Arc::new(Semaphore::new(settings.blob_jobs.max(1)));
    let mut set = JoinSet::new();
    for (i, m) in mirrors.iter().enumerate() {
        let (gate, blob_gate, settings, clients) = (
            gate.clone(),
            blob_gate.clone(),
            settings.clone(),
            clients.clone(),
        );
        let (name, url) = (
            m.name.clone(),
            m.normalized().unwrap_or_else(|| m.url.clone()),
        );
        set.spawn(async move {
            let _permit = gate
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            (
                i,
                probe_one(&name, &url, &settings, &clients, &blob_gate).await,
            )
        });
    }
    let mut results = Vec::with_capacity(mirrors.len());
    tokio::pin!(stop);
    loop {
        tokio::select! {
            biased;
            () = &mut stop => break,
            joined = set.join_next() => {
                let Some(joined) = joined else { break };
                let (i, r) = joined.expect("a probe task never panics");
                on_done(&r);
                results.push((i, r));
            }
        }
    }
    set.abort_all();
    results.sort_by_key(|(i, _)| *i);
    let unfinished = mirrors
        .iter()
        .enumerate()
        .filter(|(i, _)| !results.iter().any(|(j, _)| j == i))
        .map(|(_, m)| Unfinished {
            name: m.name.clone(),
            url: m.normalized().unwrap_or_else(|| m.url.clone()),
        })
        .collect();
    (results.into_iter().map(|(_, r)| r).collect(), unfinished)
}

/// What a probe has done so far; read after the deadline to say how far it got.
#[derive(Default)]
struct Progress {
    step: Step,
    /// `GET url → status` for each request, for `-v` and `--json`.
    requests: Vec<String>,
    phases: Phases,
    address: Option<SocketAddr>,
    blob_size: u64,
    blob_bytes: u64,
    blob_started: Option<Instant>,
    throughput_bps: Option<f64>,
    /// The digest of what the tag resolved to (the index, or the manifest when there is none).
    digest: Option<String>,
    /// Where this mirror's image config is, fetched only to date a stale image.
    config: Option<report::ConfigRef>,
}

pub async fn probe_one(
    name: &str,
    url: &str,
    settings: &Settings,
    clients: &Clients,
    blob_gate: &Semaphore,
) -> MirrorResult {
    let mut p = Progress::default();
    let started = Instant::now();
    let mut queued = Duration::ZERO;
    let outcome = match Url::parse(url) {
        Ok(base) => {
            let clients = clients.for_mirror(&base);
            pull(&base, settings, &clients, blob_gate, &mut p, &mut queued).await
        }
        Err(e) => Err(Failure::new(
            Status::BadResponse,
            t!("fail.invalid_url", detail = e),
        )),
    };
    let (status, error) = match outcome {
        Ok(()) => (Status::Ok, None),
        Err(f) => (f.status, Some(f.reason)),
    };
    MirrorResult {
        rank: 0,
        name: name.to_owned(),
        url: url.to_owned(),
        ok: status == Status::Ok,
        status,
        error,
        latency_ms: p.phases.ttfb_ms,
        throughput_bps: p.throughput_bps,
        score_s: None,
        blob_bytes: p.blob_bytes,
        total_ms: ms(started) - queued.as_secs_f64() * 1000.0,
        address: p.address.map(|a| a.to_string()),
        phases: p.phases,
        requests: p.requests,
        digest: p.digest,
        success_rate: None,
        config: p.config,
        created: None,
    }
}

fn deadline_failure(p: &Progress, timeout: Duration) -> Failure {
    let secs = timeout.as_secs_f64();
    match (p.step, p.blob_started) {
        (Step::Blob, Some(t)) if p.blob_bytes > 0 => {
            let rate = p.blob_bytes as f64 / t.elapsed().as_secs_f64().max(1e-3);
            Failure::new(
                Status::TooSlow,
                t!(
                    "fail.too_slow",
                    got = crate::ui::text::bytes(p.blob_bytes as f64),
                    size = crate::ui::text::bytes(p.blob_size as f64),
                    secs = secs,
                    rate = crate::ui::text::bytes(rate)
                ),
            )
        }
        (step, _) => Failure::new(
            Status::Timeout,
            t!("fail.deadline", step = step.as_str(), secs = secs),
        ),
    }
}

/// One pull under one deadline: everything up to the blob's headers, then the body in a download slot. The wait
/// for the slot is ours, not the mirror's, so it is left out of the deadline and reported as `queued`.
async fn pull(
    base: &Url,
    settings: &Settings,
    clients: &Clients,
    blob_gate: &Semaphore,
    p: &mut Progress,
    queued: &mut Duration,
) -> Result<(), Failure> {
    let started = Instant::now();
    let over = |p: &Progress| deadline_failure(p, settings.timeout);
    let plan =
        match tokio::time::timeout(settings.timeout, prepare(base, settings, clients, p)).await {
            Ok(r) => r?,
            Err(_) => return Err(over(p)),
        };
    let left = settings.timeout.saturating_sub(started.elapsed());
    let t = Instant::now();
    let response = match tokio::time::timeout(left, request_blob(&plan, clients, p)).await {
        Ok(r) => r?,
        Err(_) => return Err(over(p)),
    };
    let left = left.saturating_sub(t.elapsed());
    let wait = Instant::now();
    let _slot = blob_gate
        .acquire()
        .await
        .expect("the semaphore is never closed");
    *queued = wait.elapsed();
    p.phases.queued_ms = Some(ms(wait));
    let body = tokio::time::timeout(
        left,
        stream_blob(response, &plan.layer.digest, plan.layer.size, p),
    )
    .await;
    p.phases.blob_ms = Some(ms(t) - queued.as_secs_f64() * 1000.0);
    body.unwrap_or_else(|_| Err(over(p)))
}

/// What the blob download needs, decided by the steps before it.
struct BlobPlan {
    v2: Url,
    repository: String,
    layer: manifest::Descriptor,
    token: Option<String>,
}

/// The pull up to the blob: ping, token, manifests, the layer to fetch. Every body read is bounded; every digest
/// is checked.
async fn prepare(
    base: &Url,
    s: &Settings,
    clients: &Clients,
    p: &mut Progress,
) -> Result<BlobPlan, Failure> {
    let v2 = base
        .join("v2/")
        .map_err(|e| Failure::new(Status::BadResponse, e.to_string()))?;

    p.step = Step::Ping;
    let pong = ping::ping(
        clients.ping_tls.clone(),
        clients.route.as_deref(),
        &v2,
        &mut p.phases,
        &mut p.address,
    )
    .await?;
    p.requests.push(format!("GET {v2} → {}", pong.status));
    let token = match pong.status {
        200 => {
            if !looks_like_registry(&pong.headers, &pong.body) {
                return Err(not_a_registry(&pong.headers, &pong.body));
            }
            None
        }
        401 => match pong
            .headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(parse_challenge)
        {
            Some(Challenge::Bearer { realm, service }) => {
                p.step = Step::Token;
                let t = Instant::now();
                let token = fetch_token(
                    clients,
                    &realm,
                    service.as_deref(),
                    &s.image,
                    &mut p.requests,
                )
                .await?;
                p.phases.token_ms = Some(ms(t));
                Some(token)
            }
            Some(Challenge::Basic { .. }) => {
                return Err(Failure::new(Status::Auth, t!("fail.basic_auth")))
            }
            Some(Challenge::Other(c)) => {
                return Err(Failure::new(Status::Auth, t!("fail.challenge", detail = c)))
            }
            None => return Err(Failure::new(Status::Auth, t!("fail.no_challenge"))),
        },
        code => {
            return Err(failure::from_status(
                Step::Ping,
                code,
                retry_after(&pong.headers).as_deref(),
            ))
        }
    };

    p.step = Step::Manifest;
    let t = Instant::now();
    let repo = &s.image.repository;
    let wanted = Digest::parse(&s.image.reference).ok();
    let (ct, body) = get_manifest(
        clients,
        &v2,
        repo,
        &s.image.reference,
        wanted.as_ref(),
        token.as_deref(),
        &mut p.requests,
    )
    .await?;
    p.digest = Some(Digest::of(&body).to_string());
    let (config, layers) = match parse_manifest(ct.as_deref(), &body)? {
        Document::Image { config, layers } => (config, layers),
        Document::Index(entries) => {
            let Some(d) = manifest::select_platform(&entries, &s.platform) else {
                return Err(Failure::new(
                    Status::NotFound,
                    t!("fail.no_platform", platform = s.platform),
                ));
            };
            let (ct, body) = get_manifest(
                clients,
                &v2,
                repo,
                d.digest.as_str(),
                Some(&d.digest),
                token.as_deref(),
                &mut p.requests,
            )
            .await?;
            match parse_manifest(ct.as_deref(), &body)? {
                Document::Image { config, layers } => (config, layers),
                Document::Index(_) => {
                    return Err(Failure::new(Status::BadResponse, t!("fail.nested_index")))
                }
            }
        }
    };
    p.phases.manifest_ms = Some(ms(t));
    p.config = config.map(|c| report::ConfigRef {
        url: v2
            .join(&format!("{repo}/blobs/{}", c.digest))
            .expect("a relative path joins"),
        digest: c.digest,
        size: c.size,
        token: token.clone(),
    });

    let Some(layer) = manifest::smallest_layer(&layers) else {
        return Err(Failure::new(Status::BadResponse, t!("fail.no_layers")));
    };
    if layer.size > s.max_blob {
        return Err(Failure::new(
            Status::BadResponse,
            t!(
                "fail.layer_too_big",
                size = crate::ui::text::bytes(layer.size as f64)
            ),
        ));
    }
    Ok(BlobPlan {
        v2,
        repository: repo.clone(),
        layer: layer.clone(),
        token,
    })
}

/// The blob request, up to its response headers: latency, redirects and status, outside any download slot.
async fn request_blob(
    plan: &BlobPlan,
    clients: &Clients,
    p: &mut Progress,
) -> Result<reqwest::Response, Failure> {
    p.step = Step::Blob;
    p.blob_size = plan.layer.size;
    let digest = &plan.layer.digest;
    let url = plan
        .v2
        .join(&format!("{}/blobs/{digest}", plan.repository))
        .expect("a relative path joins");
    let r = send(authorized(clients.http.get(url), plan.token.as_deref()))
        .await
        .map_err(|e| failure::from_reqwest(Step::Blob, &e))?;
    p.requests
        .push(format!("GET …/blobs/{digest} → {}", r.status().as_u16()));
    check(Step::Blob, &r)?;
    if is_html(r.headers(), b"") {
        return Err(not_a_registry(r.headers(), b""));
    }
    Ok(r)
}

/// Downloads one whole blob, hashing as it streams, never holding more than one chunk, and stopping at the first
/// byte past the size the manifest promised (an endless body costs nothing).
async fn stream_blob(
    mut r: reqwest::Response,
    digest: &Digest,
    size: u64,
    p: &mut Progress,
) -> Result<(), Failure> {
    let start = Instant::now();
    p.blob_started = Some(start);
    let mut hasher = Sha256::new();
    while let Some(chunk) = r
        .chunk()
        .await
        .map_err(|e| failure::from_reqwest(Step::Blob, &e))?
    {
        p.blob_bytes += chunk.len() as u64;
        if p.blob_bytes > size {
            return Err(Failure::new(
                Status::DigestMismatch,
                t!("fail.blob_endless", size = size),
            ));
        }
        hasher.update(&chunk);
    }
    if p.blob_bytes < size {
        return Err(Failure::new(
            Status::DigestMismatch,
            t!("fail.blob_short", got = p.blob_bytes, size = size),
        ));
    }
    let actual = Digest::from_hasher(hasher);
    if &actual != digest {
        return Err(Failure::new(
            Status::DigestMismatch,
            t!("fail.blob_digest", digest = digest, actual = actual),
        ));
    }
    p.throughput_bps = Some(size as f64 / start.elapsed().as_secs_f64().max(1e-6));
    Ok(())
}
