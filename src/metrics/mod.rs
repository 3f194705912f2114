//! `mirrorctl metrics`: the probe history, watch's decisions and the cache's state in Prometheus's text format —
//! printed, written for node_exporter's textfile collector (`--textfile`), or served (`--listen`).

pub mod collect;
pub mod exposition;
pub mod listen;
pub mod textfile;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Result;
use rust_i18n::t;
use serde::Serialize;

use crate::cli::{CacheStatusArgs, MetricsArgs};
use crate::errors::Usage;
use crate::output::Printer;
use collect::Sources;

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
    let addr: SocketAddr = addr
        .parse()
        .map_err(|_| Usage::new(t!("metrics.bad_listen", value = crate::output::outside(s))))?;
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
        collect::default_registries()
    } else {
        a.registries
    };
    Ok(Metrics {
        sources: Sources {
            registries,
            daemon_json: crate::host::locate(a.daemon_json.as_deref()),
            cache: Some(CacheStatusArgs {
                service: crate::cli::CacheService {
                    config: crate::daemon_config::files::resolve(&a.registry_config),
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

#[derive(Serialize)]
struct Document<'a> {
    families: &'a [exposition::Family],
    /// With --textfile: the file written.
    #[serde(skip_serializing_if = "Option::is_none")]
    textfile: Option<String>,
}

pub async fn run(m: Metrics, p: Printer) -> Result<ExitCode> {
    if let Some(addr) = m.listen {
        listen::serve(addr, m.sources, p).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let families = collect::collect(&m.sources, SystemTime::now()).await;
    let text = exposition::encode(&families);
    let written = match &m.textfile {
        Some(dir) => Some(textfile::write(dir, &text)?),
        None => None,
    };
    if m.json {
        let doc = Document {
            families: &families,
            textfile: written.as_ref().map(|p| p.display().to_string()),
        };
        p.stdout(&(serde_json::to_string_pretty(&doc)? + "\n"));
    } else if let Some(path) = written {
        p.info(&format!(
            "{}\n",
            t!("metrics.written", path = path.display())
        ));
    } else {
        p.stdout(&text);
    }
    Ok(ExitCode::SUCCESS)
}

/// watch's `--metrics-textfile DIR`: the file refreshed after a cycle; a failure is a warning, never the cycle's.
pub async fn refresh(dir: &Path, daemon_json: &Path, cache: crate::cli::CacheService, p: Printer) {
    let sources = Sources {
        registries: collect::default_registries(),
        daemon_json: daemon_json.to_owned(),
        cache: Some(CacheStatusArgs {
            service: cache,
            certs_dir: "/etc/docker/certs.d".into(),
            json: false,
        }),
    };
    let text = exposition::encode(&collect::collect(&sources, SystemTime::now()).await);
    if let Err(e) = textfile::write(dir, &text) {
        p.info(&format!(
            "{}\n",
            t!("metrics.refresh_failed", detail = format!("{e:#}"))
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::parse_listen;

    #[test]
    fn only_loopback_unless_allowed() {
        for ok in [
            "127.0.0.1:9817",
            "[::1]:9817",
            "localhost:9817",
            "127.0.0.2:0",
        ] {
            assert!(parse_listen(ok, false).is_ok(), "{ok}");
        }
        for remote in ["0.0.0.0:9817", "[::]:9817", "10.0.0.5:9817"] {
            let e = parse_listen(remote, false).unwrap_err();
            assert!(
                e.downcast_ref::<crate::errors::Usage>().is_some(),
                "{remote}"
            );
            assert!(parse_listen(remote, true).is_ok(), "{remote}");
        }
        for bad in ["9817", "example.com:80", "127.0.0.1:99999", "", ":9817"] {
            assert!(parse_listen(bad, true).is_err(), "{bad}");
        }
    }
}
