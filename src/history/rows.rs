//! The rows the history stores and reads back, apart from how they are stored: the store (`store.rs`) and its
//! benchmark (`benches/history_prune.rs`, which compiles store.rs beside this file) share them.

use std::time::SystemTime;

use serde::Serialize;

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
    let last = std::time::UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799);
    humantime::format_rfc3339_seconds(t.clamp(std::time::UNIX_EPOCH, last)).to_string()
}
