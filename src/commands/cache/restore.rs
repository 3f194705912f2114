//! `cache restore`: the registry's previous config.yml back, with the same restart and the same verified pull
//! through the cache as setup — and `--list` of the backups beside it.

use anyhow::Result;

use crate::change::{Activation, Outcome, Plan, Verify};
use crate::settings::CacheRestore;
use crate::sys::service::Service;
use crate::ui::output::Printer;

/// `None`: `--list` printed the backups.
pub async fn restore(args: &CacheRestore, p: Printer) -> Result<Option<Outcome>> {
    let path = &args.registry.config;
    let valid: fn(&[u8]) -> bool =
        |b| std::str::from_utf8(b).is_ok_and(|t| crate::targets::distribution::read(t).is_ok());
    let Some(change) = crate::change::restore_change(
        path,
        args.list,
        args.backup.as_deref(),
        valid,
        args.change.json,
        p,
    )?
    else {
        return Ok(None);
    };
    // Verified as setup verifies: where the restored file says the cache listens, a pull through it.
    let restored = change
        .after
        .as_deref()
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| crate::targets::distribution::read(t).ok());
    // A pull-through cache is proven by a pull; a plain registry (what Debian ships) by its `/v2/`.
    let verify = match restored
        .as_ref()
        .and_then(|c| Some((c.listen.as_deref()?, c)))
    {
        Some((listen, c)) if c.upstream.is_some() => super::pull_through(
            crate::targets::distribution::local_url(listen, c.tls),
            &args.probe,
        ),
        Some((listen, c)) => Verify::Registry(
            crate::targets::distribution::local_url(listen, c.tls),
            args.probe.certs_dir.clone(),
        ),
        None => Verify::Active,
    };
    let plan = Plan {
        target: "cache",
        mirrors: restored.and_then(|c| c.upstream).into_iter().collect(),
        notes: vec![],
        changes: vec![change],
        activation: Activation::Restart(
            Service::detect(args.change.init, false)?.unit(&args.registry.unit),
        ),
        verify,
        preflight: None,
    };
    crate::change::run(vec![plan], &args.change, p)
        .await
        .map(Some)
}
