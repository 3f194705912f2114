//! `cache restore`: the registry's previous config.yml back, with the same restart and the same verified pull
//! through the cache as setup — and `--list` of the backups beside it.

use anyhow::Result;

use crate::change::Outcome;
use crate::settings::CacheRestore;
use crate::targets::target::{Cache, Target};
use crate::ui::output::Printer;

/// `None`: `--list` printed the backups.
pub async fn restore(args: &CacheRestore, p: Printer) -> Result<Option<Outcome>> {
    let probe = args.probe.clone();
    let cache = Cache {
        path: args.registry.config.clone(),
        unit: args.registry.unit.clone(),
        certs_dir: args.probe.certs_dir.clone(),
        pull: Box::new(move |url| super::pull_through(url, &probe)),
    };
    let Some(change) = crate::change::restore_change(
        &cache.path,
        args.list,
        args.backup.as_deref(),
        &|b| cache.parses(b),
        args.change.json,
        p,
    )?
    else {
        return Ok(None);
    };
    // Verified as setup verifies: where the restored file says the cache listens, a pull through it.
    let plan = cache.restore(change, &args.change)?;
    crate::change::run(vec![plan], &args.change, p)
        .await
        .map(Some)
}
