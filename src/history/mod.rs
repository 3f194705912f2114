//! Probe history: every probe's results kept on disk, so that a mirror is judged by its record (how often it
//! worked over the last probes), not by one lucky answer — and so that `watch` can tell a dying mirror from a
//! blip.

pub mod command;
pub mod stats;
pub mod store;

use rust_i18n::t;
use std::collections::HashMap;
use std::time::SystemTime;

use serde::Serialize;

use crate::output::Printer;
use crate::probe::{MirrorResult, Report};
pub use store::Store;

/// How many recent probes the success rate is taken over, and how many a mirror needs before it counts.
pub const WINDOW: usize = 10;
pub const MIN_PROBES: usize = 3;

/// One probe as stored.
pub struct Probe {
    pub at: SystemTime,
    /// What ran it: `probe`, `apply` or `watch`.
    pub origin: String,
    pub registry: String,
    pub image: String,
    pub results: Vec<Row>,
}

/// One mirror's result as stored.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub url: String,
    pub ok: bool,
    pub status: String,
    pub error: Option<String>,
    pub latency_ms: Option<f64>,
    pub throughput_bps: Option<f64>,
    pub score_s: Option<f64>,
}

impl From<MirrorResult> for Row {
    fn from(r: MirrorResult) -> Self {
        Self {
            name: r.name,
            url: r.url,
            ok: r.ok,
            status: r.status.as_str().into(),
            error: r.error,
            latency_ms: r.latency_ms,
            throughput_bps: r.throughput_bps,
            score_s: r.score_s,
        }
    }
}

/// One mirror's result read back, with the probe it came from.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub probe: i64,
    pub at: SystemTime,
    pub row: Row,
}

impl Outcome {
    /// An outcome for unit tests: ok (1 MB/s) or timed out, at `at`, with this latency.
    #[cfg(test)]
    pub fn sample(url: &str, at: SystemTime, ok: bool, latency_ms: f64) -> Self {
        Self {
            probe: 0,
            at,
            row: Row {
                name: url
                    .trim_start_matches("https://")
                    .trim_end_matches('/')
                    .into(),
                url: url.into(),
                ok,
                status: if ok { "ok" } else { "timeout" }.into(),
                error: (!ok).then(|| "no answer within 10 s".into()),
                latency_ms: Some(latency_ms),
                throughput_bps: ok.then_some(1e6),
                score_s: None,
            },
        }
    }
}

/// Something `watch` decided, and why; kept next to the probes it was decided from.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
    /// `keep`, `replace`, `add` or `hold`.
    pub action: String,
    pub mirror: Option<String>,
    pub replacement: Option<String>,
    pub reason: String,
    pub changed: bool,
}

fn rfc3339<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_rfc3339_seconds(*t).to_string())
}

/// The history in the state directory; a corrupt file moved aside is said.
pub fn open_or_fail(p: Printer) -> anyhow::Result<Store> {
    let store = open_trusted()?;
    if let Some(aside) = &store.moved_aside {
        p.info(&format!(
            "{}\n",
            t!(
                "history.corrupt",
                path = store.path.display(),
                aside = aside.display()
            )
        ));
    }
    Ok(store)
}

/// The history in the state directory, under the trust rule (`state`): the directory is one root may use, and
/// history.db is a file of ours, not a symlink to another program's database.
pub fn open_trusted() -> anyhow::Result<Store> {
    let dir = crate::lock::state_dir();
    crate::state::ensure(&dir)?;
    let db = store::path_in(&dir);
    if std::fs::symlink_metadata(&db).is_ok_and(|m| !m.file_type().is_file()) {
        return Err(crate::errors::Hinted {
            message: t!("state.not_a_file", path = db.display()).into(),
            hint: t!("state.not_a_file_hint", path = db.display()).into(),
        }
        .into());
    }
    Store::open(&dir)
}

/// The history in the state directory, or `None` with a warning: history never stops a probe.
pub fn open(p: Printer) -> Option<Store> {
    match open_or_fail(p) {
        Ok(s) => Some(s),
        Err(e) => {
            p.info(&format!(
                "{}\n",
                t!("history.unavailable", detail = format!("{e:#}"))
            ));
            None
        }
    }
}

/// Each mirror's previous outcomes (newest first, at most `WINDOW - 1`), for ranking a probe under way.
pub fn previous(store: &Store, registry: &str, urls: &[&str]) -> HashMap<String, Vec<bool>> {
    urls.iter()
        .filter_map(|u| {
            let v = store.recent(registry, u, WINDOW - 1).ok()?;
            Some((u.to_string(), v.iter().map(|o| o.row.ok).collect()))
        })
        .collect()
}

/// Stores a finished report; a failure is a warning.
pub fn record(store: &mut Store, report: &Report, origin: &str, p: Printer) -> Option<i64> {
    let probe = Probe {
        at: humantime::parse_rfc3339(&report.probed_at).unwrap_or_else(|_| SystemTime::now()),
        origin: origin.into(),
        registry: report.registry.clone(),
        image: report.image.clone(),
        results: report.results.iter().cloned().map(Row::from).collect(),
    };
    match store.record(&probe) {
        Ok(id) => Some(id),
        Err(e) => {
            p.info(&format!(
                "{}\n",
                t!("history.unavailable", detail = format!("{e:#}"))
            ));
            None
        }
    }
}
