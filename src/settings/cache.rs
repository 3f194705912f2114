//! `cache setup` and `cache restore`: which docker-registry, its upstream, what its config.yml says.

use std::path::PathBuf;

use anyhow::Result;

use super::{absolute, probe, usage, Change, Probe};
use crate::catalogue::Catalogue;
use crate::cli;
use crate::ui::output::Printer;

/// Which docker-registry: its configuration file (symlinks followed) and its unit.
pub struct Registry {
    pub config: PathBuf,
    pub unit: String,
}

pub enum Upstream {
    Given(String),
    Best(Catalogue),
}

pub struct CacheSetup {
    pub probe: Probe,
    pub upstream: Upstream,
    pub registry: Registry,
    pub settings: crate::targets::distribution::Settings,
    /// As given, for creating it (the config file holds the absolute form).
    pub storage: PathBuf,
    pub change: Change,
}

pub struct CacheRestore {
    pub probe: Probe,
    pub registry: Registry,
    pub list: bool,
    pub backup: Option<String>,
    pub change: Change,
}

pub(super) fn registry(s: &cli::CacheService) -> Registry {
    Registry {
        config: crate::sys::files::resolve(&s.config),
        unit: s.unit.clone(),
    }
}

pub(super) fn cache_setup(a: cli::CacheSetupArgs, p: Printer) -> Result<CacheSetup> {
    let upstream = match &a.upstream {
        Some(u) => Upstream::Given(
            crate::targets::docker::normalize_mirrors(std::slice::from_ref(u))?
                .remove(0)
                .trim_end_matches('/')
                .to_owned(),
        ),
        None => Upstream::Best(probe::catalogue(&a.opts.source, &a.opts.registry, p)?),
    };
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => Some((absolute(c)?, absolute(k)?)),
        _ => None,
    };
    Ok(CacheSetup {
        probe: usage(Probe::lower(&a.opts, &crate::sys::host::locate(None)))?,
        upstream,
        registry: registry(&a.service),
        settings: crate::targets::distribution::Settings {
            listen: a.listen,
            storage: absolute(&a.storage)?,
            upstream: String::new(), // chosen when the command runs
            tls,
            metrics: a.metrics,
        },
        storage: a.storage,
        change: Change::owned(a.dry_run, a.yes, a.service.init, a.json),
    })
}
