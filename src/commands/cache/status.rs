//! `cache status`: the upstream and its last probe, whether `/v2/` answers, the storage used, and what the cache
//! served — from distribution's own expvar endpoint (`/debug/vars` on `http.debug.addr`, which setup turns on).

use rust_i18n::t;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use crate::cli::CacheStatusArgs;
use crate::sys::service::Service;

#[derive(Debug, Serialize)]
pub struct CacheStatus {
    pub config: String,
    pub unit: String,
    pub active: bool,
    pub url: Option<String>,
    pub health: Health,
    pub upstream: Option<String>,
    pub upstream_last_probe: Option<UpstreamProbe>,
    pub storage: Option<String>,
    pub storage_bytes: Option<u64>,
    /// `null` when the metrics endpoint is off or does not answer.
    pub served: Option<Served>,
}

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: Option<u16>,
    pub ms: Option<f64>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UpstreamProbe {
    pub at: String,
    pub ok: bool,
    pub status: String,
    pub latency_ms: Option<f64>,
    pub throughput_bps: Option<f64>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Served {
    pub manifests: Counts,
    pub blobs: Counts,
}

/// distribution's proxy counters (registry/proxy/proxymetrics.go): `bytes_pulled` came from the upstream,
/// `bytes_pushed` went to clients.
#[derive(Debug, Serialize, PartialEq)]
pub struct Counts {
    pub requests: u64,
    pub hits: u64,
    pub misses: u64,
    pub bytes_pulled: u64,
    pub bytes_pushed: u64,
}

impl CacheStatus {
    pub fn healthy(&self) -> bool {
        matches!(self.health.status, Some(200 | 401))
    }
}

/// `registry.proxy` of an expvar document.
pub fn served(vars: &Value) -> Option<Served> {
    let proxy = vars.get("registry")?.get("proxy")?;
    let counts = |v: &Value| Counts {
        requests: v["Requests"].as_u64().unwrap_or(0),
        hits: v["Hits"].as_u64().unwrap_or(0),
        misses: v["Misses"].as_u64().unwrap_or(0),
        bytes_pulled: v["BytesPulled"].as_u64().unwrap_or(0),
        bytes_pushed: v["BytesPushed"].as_u64().unwrap_or(0),
    };
    Some(Served {
        manifests: counts(proxy.get("manifests")?),
        blobs: counts(proxy.get("blobs")?),
    })
}

/// Bytes under `dir`, not following links.
fn du(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => du(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

/// distribution's /debug/vars is a few KiB (its expvar counters and memstats): a MiB is room and a bound.
const DEBUG_VARS_LIMIT: usize = 1024 * 1024;

pub async fn status(args: &CacheStatusArgs) -> Result<CacheStatus> {
    let text = std::fs::read_to_string(&args.service.config)
        .with_context(|| t!("apply.cannot_read", path = args.service.config.display()))?;
    let c = crate::targets::distribution::read(&text)?;
    let svc = Service::detect(args.service.init, false).map(|s| s.unit(&args.service.unit));
    let active = match &svc {
        Ok(s) => s.is_active().await,
        Err(_) => false,
    };
    let url = c
        .listen
        .as_deref()
        .map(|l| crate::targets::distribution::local_url(l, c.tls));
    let clients = crate::registry::http::Clients::new(&args.certs_dir, None)?;
    let health = match &url {
        Some(u) => {
            let t = Instant::now();
            let v2 = reqwest::Url::parse(&format!("{u}/v2/"))
                .with_context(|| t!("warm.bad_url", url = u))?;
            match tokio::time::timeout(
                Duration::from_secs(5),
                clients.for_mirror(&v2).http.get(v2).send(),
            )
            .await
            {
                Ok(Ok(r)) => Health {
                    status: Some(r.status().as_u16()),
                    ms: Some(t.elapsed().as_secs_f64() * 1000.0),
                    error: None,
                },
                Ok(Err(e)) => Health {
                    status: None,
                    ms: None,
                    error: Some(
                        crate::registry::failure::from_reqwest(
                            crate::registry::failure::Step::Ping,
                            &e,
                        )
                        .reason,
                    ),
                },
                Err(_) => Health {
                    status: None,
                    ms: None,
                    error: Some(t!("warm.timeout").into()),
                },
            }
        }
        None => Health {
            status: None,
            ms: None,
            error: Some(t!("cache.no_listen", path = args.service.config.display()).into()),
        },
    };
    let served = match &c.metrics {
        Some(m) => {
            let vars = format!(
                "{}/debug/vars",
                crate::targets::distribution::local_url(m, false)
            );
            // Bounded in size and time, head and body alike: a drip cannot hang status, a flood cannot grow it.
            let deadline = crate::registry::http::Deadline::after(Duration::from_secs(5));
            match deadline.run(clients.http.get(vars).send()).await {
                Ok(Ok(r)) if r.status().is_success() => {
                    crate::registry::http::read_bounded(r, DEBUG_VARS_LIMIT, deadline)
                        .await
                        .ok()
                        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                        .as_ref()
                        .and_then(served)
                }
                _ => None,
            }
        }
        None => None,
    };
    let upstream_last_probe = c.upstream.as_deref().and_then(|u| {
        let store = crate::history::open_trusted().ok()?;
        let norm = crate::targets::docker::normalize_mirrors(&[u.to_owned()])
            .ok()?
            .remove(0);
        let o = store
            .recent("docker.io", &norm, 1)
            .ok()?
            .into_iter()
            .next()?;
        Some(UpstreamProbe {
            at: crate::history::timestamp(o.at),
            ok: o.row.ok,
            status: o.row.status,
            latency_ms: o.row.latency_ms,
            throughput_bps: o.row.throughput_bps,
        })
    });
    Ok(CacheStatus {
        config: args.service.config.display().to_string(),
        unit: args.service.unit.clone(),
        active,
        url,
        health,
        upstream: c.upstream,
        upstream_last_probe,
        storage_bytes: c.storage.as_deref().map(|s| du(Path::new(s))),
        storage: c.storage,
        served,
    })
}

pub fn render(s: &CacheStatus) -> String {
    let dash = "-".to_string();
    let mut out = String::new();
    let state = if s.active {
        t!("cache.active")
    } else {
        t!("cache.inactive")
    };
    out.push_str(&format!(
        "{}\n",
        t!(
            "cache.status_cache",
            url = s.url.as_ref().unwrap_or(&dash),
            unit = s.unit,
            state = state
        )
    ));
    out.push_str(&format!(
        "{}\n",
        match (s.health.status, s.health.ms, &s.health.error) {
            (Some(code), Some(ms), _) => t!(
                "cache.status_health",
                code = code,
                time = crate::ui::text::millis(ms)
            ),
            (_, _, e) => t!("cache.status_down", detail = e.as_ref().unwrap_or(&dash)),
        }
    ));
    let probe = s
        .upstream_last_probe
        .as_ref()
        .map_or(t!("cache.never_probed").into_owned(), |p| {
            format!(
                "{} {}{}",
                p.at,
                p.status,
                p.throughput_bps.map_or(String::new(), |b| format!(
                    ", {}/s",
                    crate::ui::text::bytes(b)
                ))
            )
        });
    out.push_str(&format!(
        "{}\n",
        t!(
            "cache.status_upstream",
            upstream = s.upstream.as_ref().unwrap_or(&dash),
            probe = probe
        )
    ));
    out.push_str(&format!(
        "{}\n",
        t!(
            "cache.status_storage",
            path = s.storage.as_ref().unwrap_or(&dash),
            size = s
                .storage_bytes
                .map_or(dash.clone(), |b| crate::ui::text::bytes(b as f64))
        )
    ));
    out.push_str(&format!(
        "{}\n",
        match &s.served {
            Some(v) => t!(
                "cache.status_served",
                manifests = v.manifests.requests,
                mhits = v.manifests.hits,
                blobs = v.blobs.requests,
                bhits = v.blobs.hits,
                pulled = crate::ui::text::bytes(
                    (v.manifests.bytes_pulled + v.blobs.bytes_pulled) as f64
                ),
                pushed = crate::ui::text::bytes(
                    (v.manifests.bytes_pushed + v.blobs.bytes_pushed) as f64
                )
            ),
            None => t!("cache.status_no_metrics"),
        }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_distributions_expvar() {
        // As distribution 2.8 serves it at /debug/vars.
        let vars: Value = serde_json::from_str(r#"{"cmdline":["docker-registry"],"registry":{"cache":{"storage":{"blobdescriptor":{}}},"proxy":{"blobs":{"Requests":3,"Hits":1,"Misses":2,"BytesPulled":900,"BytesPushed":1350},"manifests":{"Requests":4,"Hits":2,"Misses":2,"BytesPulled":10,"BytesPushed":20}}}}"#).unwrap();
        let s = served(&vars).unwrap();
        assert_eq!(s.blobs.hits, 1);
        assert_eq!(s.manifests.requests, 4);
        assert_eq!(s.blobs.bytes_pushed, 1350);
        assert!(served(&serde_json::json!({"cmdline": []})).is_none());
    }
}
