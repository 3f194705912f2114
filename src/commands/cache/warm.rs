//! `cache warm`: pull images through the cache with the registry v2 client — the index, each platform's
//! manifest, its config and every layer, each digest verified — so the cache holds them before the nodes ask.
//! The guides call this pre-caching popular images.

use rust_i18n::t;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use reqwest::Url;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cli::CacheWarmArgs;
use crate::registry::auth::{parse_challenge, Challenge};
use crate::registry::client::{authorized, fetch_token, get_manifest, parse_manifest};
use crate::registry::http::Clients;
use crate::registry::manifest::{self, Descriptor, Document, Platform};
use crate::registry::{Digest, ImageRef};

/// Blobs downloaded at once.
const BLOB_JOBS: usize = 4;

#[derive(Debug, Serialize)]
pub struct WarmReport {
    pub cache: String,
    pub images: Vec<Warmed>,
    pub blobs: usize,
    pub bytes: u64,
    pub seconds: f64,
    pub bytes_per_sec: f64,
}

#[derive(Debug, Serialize)]
pub struct Warmed {
    pub image: String,
    /// What the tag resolved to.
    pub digest: String,
    pub platforms: Vec<String>,
    pub blobs: usize,
    pub bytes: u64,
}

/// What the platforms flag asks for: this machine's, every one (`all`), or these.
fn wanted(entries: &[Descriptor], asked: &[String]) -> Result<Vec<Descriptor>> {
    if asked.iter().any(|p| p == "all") {
        // Attestation manifests carry `unknown/unknown`: they are not images anyone pulls.
        return Ok(entries
            .iter()
            .filter(|d| d.platform.as_ref().is_some_and(|p| p.os != "unknown"))
            .cloned()
            .collect());
    }
    let platforms = if asked.is_empty() {
        vec![Platform::host()]
    } else {
        asked
            .iter()
            .map(|p| Platform::parse(p))
            .collect::<Result<_>>()?
    };
    platforms
        .iter()
        .map(|p| {
            manifest::select_platform(entries, p)
                .cloned()
                .with_context(|| t!("fail.no_platform", platform = p))
        })
        .collect()
}

/// `/v2/` and, when the cache asks for one, an anonymous token for `image`.
async fn token_for(clients: &Clients, v2: &Url, image: &ImageRef) -> Result<Option<String>> {
    let r = clients
        .http
        .get(v2.clone())
        .send()
        .await
        .with_context(|| t!("warm.unreachable", url = v2))?;
    match r.status().as_u16() {
        200 => Ok(None),
        401 => {
            let challenge = r
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .map(parse_challenge);
            match challenge {
                Some(Challenge::Bearer { realm, service }) => Ok(Some(
                    fetch_token(clients, &realm, service.as_deref(), image, &mut vec![])
                        .await
                        .map_err(|f| anyhow::anyhow!("{}", f.reason))?,
                )),
                _ => bail!("{}", t!("warm.needs_login", url = v2)),
            }
        }
        code => bail!("{}", t!("warm.bad_status", url = v2, code = code)),
    }
}

/// One blob, streamed and hashed, never past the size its manifest gave.
async fn fetch_blob(
    clients: Clients,
    url: Url,
    token: Option<String>,
    blob: Descriptor,
    bar: indicatif::ProgressBar,
) -> Result<u64> {
    let mut r = authorized(clients.http.get(url.clone()), token.as_deref())
        .send()
        .await
        .with_context(|| t!("warm.unreachable", url = url))?;
    if !r.status().is_success() {
        bail!(
            "{}",
            t!("warm.bad_status", url = url, code = r.status().as_u16())
        );
    }
    let mut hasher = Sha256::new();
    let mut got = 0u64;
    while let Some(chunk) = r
        .chunk()
        .await
        .with_context(|| t!("warm.unreachable", url = url))?
    {
        got += chunk.len() as u64;
        if got > blob.size {
            bail!("{}", t!("fail.blob_endless", size = blob.size));
        }
        hasher.update(&chunk);
        bar.inc(chunk.len() as u64);
    }
    let actual = Digest::from_hasher(hasher);
    if got != blob.size || actual != blob.digest {
        bail!(
            "{}",
            t!("fail.blob_digest", digest = blob.digest, actual = actual)
        );
    }
    Ok(got)
}

pub async fn warm(args: &CacheWarmArgs, p: crate::ui::output::Printer) -> Result<WarmReport> {
    let cache = match &args.cache {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let text = std::fs::read_to_string(&args.config)
                .with_context(|| t!("apply.cannot_read", path = args.config.display()))?;
            let c = crate::targets::distribution::read(&text)?;
            let listen = c
                .listen
                .with_context(|| t!("cache.no_listen", path = args.config.display()))?;
            crate::targets::distribution::local_url(&listen, c.tls)
        }
    };
    let v2 =
        Url::parse(&format!("{cache}/v2/")).with_context(|| t!("warm.bad_url", url = cache))?;
    let clients = Clients::new(&args.certs_dir, None)?.for_mirror(&v2);
    let started = Instant::now();
    // Everything to fetch, by digest (images share base layers): the repository, its token and the descriptor.
    let mut blobs: BTreeMap<String, (ImageRef, Option<String>, Descriptor)> = BTreeMap::new();
    let mut images = Vec::new();
    for name in &args.images {
        let image = ImageRef::parse(name)?;
        let token = token_for(&clients, &v2, &image).await?;
        let mut log = vec![];
        let fail = |f: crate::registry::failure::Failure| anyhow::anyhow!("{image}: {}", f.reason);
        let (ct, body) = get_manifest(
            &clients,
            &v2,
            &image.repository,
            &image.reference,
            Digest::parse(&image.reference).ok().as_ref(),
            token.as_deref(),
            &mut log,
        )
        .await
        .map_err(fail)?;
        let digest = Digest::of(&body).to_string();
        let manifests: Vec<(String, Option<Descriptor>, Vec<Descriptor>)> =
            match parse_manifest(ct.as_deref(), &body).map_err(fail)? {
                Document::Image { config, layers } => vec![("-".into(), config, layers)],
                Document::Index(entries) => {
                    let mut v = Vec::new();
                    for d in wanted(&entries, &args.platforms)? {
                        let (ct, body) = get_manifest(
                            &clients,
                            &v2,
                            &image.repository,
                            d.digest.as_str(),
                            Some(&d.digest),
                            token.as_deref(),
                            &mut log,
                        )
                        .await
                        .map_err(fail)?;
                        match parse_manifest(ct.as_deref(), &body).map_err(fail)? {
                            Document::Image { config, layers } => v.push((
                                d.platform.as_ref().map_or("-".into(), |p| p.to_string()),
                                config,
                                layers,
                            )),
                            Document::Index(_) => bail!("{image}: {}", t!("fail.nested_index")),
                        }
                    }
                    v
                }
            };
        let mut warmed = Warmed {
            image: image.to_string(),
            digest,
            platforms: vec![],
            blobs: 0,
            bytes: 0,
        };
        for (platform, config, layers) in manifests {
            warmed.platforms.push(platform);
            for d in config.into_iter().chain(layers) {
                warmed.blobs += 1;
                warmed.bytes += d.size;
                blobs
                    .entry(d.digest.to_string())
                    .or_insert_with(|| (image.clone(), token.clone(), d));
            }
        }
        images.push(warmed);
    }
    let total: u64 = blobs.values().map(|(_, _, d)| d.size).sum();
    let bar = p.progress(total, &t!("warm.progress"));
    let gate = Arc::new(Semaphore::new(BLOB_JOBS));
    let mut jobs = JoinSet::new();
    for (image, token, d) in blobs.values().cloned() {
        let url = v2
            .join(&format!("{}/blobs/{}", image.repository, d.digest))
            .expect("a relative path joins");
        let (clients, bar, gate) = (clients.clone(), bar.clone(), gate.clone());
        jobs.spawn(async move {
            let _slot = gate.acquire_owned().await.expect("never closed");
            fetch_blob(clients, url, token, d, bar).await
        });
    }
    let mut bytes = 0;
    while let Some(done) = jobs.join_next().await {
        bytes += done.context("a download task failed")??;
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    Ok(WarmReport {
        cache,
        images,
        blobs: blobs.len(),
        bytes,
        seconds,
        bytes_per_sec: bytes as f64 / seconds.max(1e-6),
    })
}

pub fn render(r: &WarmReport) -> String {
    let mut s = String::new();
    for i in &r.images {
        s.push_str(&format!(
            "{}\n",
            t!(
                "warm.image",
                image = i.image,
                digest = i.digest,
                platforms = i.platforms.join(", "),
                blobs = i.blobs,
                bytes = crate::ui::text::bytes(i.bytes as f64)
            )
        ));
    }
    s.push_str(&format!(
        "{}\n",
        t!(
            "warm.total",
            cache = r.cache,
            blobs = r.blobs,
            bytes = crate::ui::text::bytes(r.bytes as f64),
            secs = format!("{:.1}", r.seconds),
            rate = crate::ui::text::bytes(r.bytes_per_sec)
        )
    ));
    s
}
