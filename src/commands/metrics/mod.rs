//! `mirrorctl metrics`: the probe history, watch's decisions and the cache's state in Prometheus's text format —
//! printed, written for node_exporter's textfile collector (`--textfile`), or served (`--listen`).

pub mod collect;
pub mod exposition;
pub mod listen;

use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Result;
use rust_i18n::t;
use serde::Serialize;

use crate::cli::CacheStatusArgs;
use crate::settings::Metrics;
use crate::sys::textfile;
use crate::ui::output::Printer;

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
    let sources = crate::settings::Sources {
        registries: crate::settings::metrics::default_registries(),
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
    use crate::settings::metrics::parse_listen;

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
                e.downcast_ref::<crate::ui::errors::Usage>().is_some(),
                "{remote}"
            );
            assert!(parse_listen(remote, true).is_ok(), "{remote}");
        }
        for bad in ["9817", "example.com:80", "127.0.0.1:99999", "", ":9817"] {
            assert!(parse_listen(bad, true).is_err(), "{bad}");
        }
    }
}
