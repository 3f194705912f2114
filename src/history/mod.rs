//! Probe history: every probe's results kept on disk, so that a mirror is judged by its record (how often it
//! worked over the last probes), not by one lucky answer — and so that `watch` can tell a dying mirror from a
//! blip.

pub mod command;
pub mod stats;
pub mod store;

use rust_i18n::t;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

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
    s.serialize_str(&timestamp(*t))
}

/// A time as RFC 3339, for any time a history file or the clock can hold: humantime panics before 1970 and after
/// 9999, so such a time (a clock set wrong, a record from an edited database) is shown as the nearest it can say.
pub fn timestamp(t: SystemTime) -> String {
    // 9999-12-31T23:59:59Z, the last second RFC 3339 can write.
    let last = UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799);
    humantime::format_rfc3339_seconds(t.clamp(UNIX_EPOCH, last)).to_string()
}

/// The history in the state directory; a corrupt file moved aside is said.
pub fn open_or_fail(p: Printer) -> anyhow::Result<Store> {
    let store = Store::open(&crate::lock::state_dir())?;
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn any_time_a_record_can_hold_is_shown_without_a_panic() {
        assert_eq!(
            super::timestamp(UNIX_EPOCH + Duration::from_secs(86_400)),
            "1970-01-02T00:00:00Z"
        );
        // What store.rs can read back from an edited database: up to i64::MAX milliseconds.
        let far = UNIX_EPOCH + Duration::from_millis(i64::MAX as u64);
        assert_eq!(super::timestamp(far), "9999-12-31T23:59:59Z");
        let before = UNIX_EPOCH - Duration::from_secs(57 * 365 * 86_400);
        assert_eq!(super::timestamp(before), "1970-01-01T00:00:00Z");
    }
}
