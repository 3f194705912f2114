//! `--pull IMAGE` for `apply` and `doctor`: what dockerd will really try for Docker Hub (the `/info` mirrors, or
//! on the containerd store a certs.d hosts.toml that overrides them; its proxy), then the pull through it and the
//! verdict of `dockerd::proof`.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{bail, Result};
use rust_i18n::t;

use crate::dockerd::proof::{self, Proof, Reference};
use crate::sys::engine::{Engine, ImageStore};
use crate::ui::output::Printer;

/// Pulls `image` through the daemon at `engine` and says which host served it.
pub async fn prove(
    engine: &Engine,
    image: &Reference,
    certs_dir: &Path,
    p: Printer,
) -> Result<Proof> {
    if engine.unix_socket().is_none() {
        // Nothing to ask the daemon: the verdict is that it cannot be proven from here.
        return proof::prove(engine, image, &[], p).await;
    }
    let info = engine.info().await?;
    let mirrors = &info.registry_config.mirrors;
    let hosts = match info.image_store() {
        ImageStore::Containerd => {
            crate::targets::certs_d::read_docker_hub(certs_dir, mirrors).hosts
        }
        ImageStore::Classic => mirrors.clone(),
    };
    let proxies = [info.https_proxy.as_str(), info.http_proxy.as_str()];
    let candidates = proof::candidates(&hosts, &proxies);
    let mut proof = proof::prove(engine, image, &candidates, p).await?;
    if let (Some(digest), proof::Verdict::Mirror) = (proof.digest.clone(), proof.verdict) {
        let mut holds = Vec::new();
        for c in &candidates {
            holds.push(match c {
                proof::Candidate::Mirror(url) => {
                    holds_digest(url, &image.repository, &digest).await
                }
                _ => None,
            });
        }
        proof::cross_check(&mut proof, &candidates, &holds);
    }
    Ok(proof)
}

/// Whether the mirror answers 200 for `HEAD /v2/<repository>/manifests/<digest>` (404 or 5xx: it does not have
/// it; anything else, such as 401, cannot be told). Direct, without the daemon's proxy, within 5 s.
async fn holds_digest(mirror: &str, repository: &str, digest: &str) -> Option<bool> {
    const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
    let url = format!(
        "{}/v2/{repository}/manifests/{digest}",
        mirror.trim_end_matches('/')
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .ok()?;
    let r = client
        .head(url)
        .header("Accept", ACCEPT)
        .send()
        .await
        .ok()?;
    match r.status().as_u16() {
        200 => Some(true),
        404 | 500..=599 => Some(false),
        _ => None,
    }
}

/// apply's verification after `/info` shows the mirrors: the pull, printed; Docker Hub or a failed pull fails it
/// (and the change is rolled back). The proof is kept in `slot` for `--json`.
pub fn check(
    engine: Engine,
    image: Reference,
    certs_dir: PathBuf,
    slot: Rc<RefCell<Option<Proof>>>,
) -> crate::change::Check {
    Box::new(move |p: Printer| {
        let (engine, image, certs_dir, slot) = (
            engine.clone(),
            image.clone(),
            certs_dir.clone(),
            slot.clone(),
        );
        Box::pin(async move {
            let proof = prove(&engine, &image, &certs_dir, p).await?;
            p.say(&proof::render(&proof));
            let failed = proof.failed_verification();
            let reason = proof.reason.clone();
            *slot.borrow_mut() = Some(proof);
            if failed {
                bail!("{}", t!("proof.verification_failed", reason = reason));
            }
            Ok(())
        })
    })
}
