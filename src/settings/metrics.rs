//! `metrics`, lowered: what to read (the history's registries, daemon.json, the cache) and where the text goes.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use rust_i18n::t;

use crate::cli::{CacheStatusArgs, MetricsArgs};
use crate::ui::errors::Usage;

/// What to read.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The registries whose mirrors to report (default: every registry of the catalogue in use).
    pub registries: Vec<String>,
    /// daemon.json, for which mirrors are configured.
    pub daemon_json: PathBuf,
    /// The cache's config.yml and unit; `None`, or a file that is missing or not a pull-through cache: no cache
    /// series.
    pub cache: Option<CacheStatusArgs>,
}

/// The registries of the catalogue in use, docker.io first; docker.io alone when the catalogue cannot be read.
pub fn default_registries() -> Vec<String> {
    let mut out = vec!["docker.io".to_string()];
    if let Ok(c) = crate::catalogue::Catalogue::in_use() {
        for m in c.mirrors {
            if !out.contains(&m.registry) {
                out.push(m.registry);
            }
        }
    }
    out
}

/// `metrics`, lowered.
pub struct Metrics {
    pub sources: Sources,
    pub textfile: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub json: bool,
}

/// A listen address: `IP:PORT` or `localhost:PORT`; anything but loopback only with `--allow-remote` (the page
/// names every mirror and the cache, and has no TLS or login of its own).
pub fn parse_listen(s: &str, allow_remote: bool) -> Result<SocketAddr> {
    let addr = match s.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}"),
        None => s.to_owned(),
    };
    let addr: SocketAddr = addr.parse().map_err(|_| {
        Usage::new(t!(
            "metrics.bad_listen",
            value = crate::ui::output::outside(s)
        ))
    })?;
    if !addr.ip().is_loopback() && !allow_remote {
        return Err(Usage {
            message: t!("metrics.not_loopback", addr = addr).into(),
            hint: Some(t!("metrics.not_loopback_hint", addr = addr).into()),
        }
        .into());
    }
    Ok(addr)
}

pub fn lower(a: MetricsArgs) -> Result<Metrics> {
    let listen = a
        .listen
        .as_deref()
        .map(|l| parse_listen(l, a.allow_remote))
        .transpose()?;
    let registries = if a.registries.is_empty() {
        default_registries()
    } else {
        a.registries
    };
    Ok(Metrics {
        sources: Sources {
            registries,
            daemon_json: crate::sys::host::locate(a.daemon_json.as_deref()),
            cache: Some(CacheStatusArgs {
                service: crate::cli::CacheService {
                    config: crate::sys::files::resolve(&a.registry_config),
                    unit: a.registry_unit,
                    init: a.init,
                },
                certs_dir: a.certs_dir,
                json: false,
            }),
        },
        textfile: a.textfile,
        listen,
        json: a.json,
    })
}
