//! How old a stale mirror's image is: its config's `created`, next to the current image's. Two small requests, and
//! only when a probe found a stale mirror — a user reads "built 2025-03-14, the current one 2026-11-02" instead of
//! two digests.

use rust_i18n::t;
use std::time::Duration;

use super::report::{ConfigRef, MirrorResult};
use super::Status;
use crate::registry::client::authorized;
use crate::registry::http::Clients;
use crate::registry::Digest;

/// An image config is a few KiB; anything past this is not one.
const CONFIG_LIMIT: u64 = 1024 * 1024;

/// The config's `created`, read and verified against its digest; `None` on any doubt.
async fn created(c: &ConfigRef, clients: &Clients, timeout: Duration) -> Option<String> {
    if c.size > CONFIG_LIMIT {
        return None;
    }
    let clients = clients.for_mirror(&c.url);
    let get = async {
        let r = authorized(clients.http.get(c.url.clone()), c.token.as_deref())
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        crate::registry::client::read_bounded(
            crate::registry::failure::Step::Blob,
            r,
            CONFIG_LIMIT as usize,
        )
        .await
        .ok()
    };
    let body = tokio::time::timeout(timeout, get).await.ok()??;
    if Digest::of(&body) != c.digest {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&body).ok()?;
    let created = v.get("created")?.as_str()?;
    // RFC 3339 from a server: kept only when it reads as one (it is printed).
    humantime::parse_rfc3339_weak(created.get(..19)?).ok()?;
    Some(created.to_owned())
}

fn day(created: &str) -> &str {
    created.get(..10).unwrap_or(created)
}

/// Adds the build dates to every stale mirror's reason (and to the passing mirror it was compared with).
pub async fn date_stale(results: &mut [MirrorResult], clients: &Clients, timeout: Duration) {
    if !results.iter().any(|r| r.status == Status::Stale) {
        return;
    }
    let mut current = None;
    if let Some(r) = results.iter_mut().find(|r| r.ok && r.config.is_some()) {
        r.created = created(r.config.as_ref().expect("checked"), clients, timeout).await;
        current = r.created.clone();
    }
    for r in results.iter_mut().filter(|r| r.status == Status::Stale) {
        let Some(c) = r.config.clone() else { continue };
        let Some(built) = created(&c, clients, timeout).await else {
            continue;
        };
        let note = match &current {
            Some(now) => t!("stale.built", built = day(&built), current = day(now)),
            None => t!("stale.built_alone", built = day(&built)),
        };
        if let Some(e) = r.error.as_mut() {
            e.push_str(&format!(" ({note})"));
        }
        r.created = Some(built);
    }
}
