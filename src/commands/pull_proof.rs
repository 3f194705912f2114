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
    proof::prove(engine, image, &candidates, p).await
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
