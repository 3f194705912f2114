//! The `--json` documents the tests read, as types with `deny_unknown_fields`: a field renamed, added or dropped
//! in mirrorctl fails here, where a test reading `serde_json::Value` would quietly see `null`.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read by serde to check the shape; tests use `Value` for what they assert
pub struct ProbeDoc {
    pub registry: String,
    pub image: String,
    pub platform: String,
    pub probed_at: String,
    pub catalogue_updated: String,
    pub fingerprint: String,
    pub timeout_s: f64,
    pub expect_digest: Option<String>,
    pub proxy: Option<ProxyDoc>,
    pub results: Vec<MirrorDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ProxyDoc {
    pub http: Option<String>,
    pub https: Option<String>,
    pub no_proxy: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct MirrorDoc {
    pub rank: usize,
    pub name: String,
    pub url: String,
    pub ok: bool,
    pub status: String,
    pub error: Option<String>,
    pub latency_ms: Option<f64>,
    pub throughput_bps: Option<f64>,
    pub score_s: Option<f64>,
    pub blob_bytes: u64,
    pub total_ms: f64,
    pub address: Option<String>,
    pub phases: PhasesDoc,
    pub requests: Vec<String>,
    pub digest: Option<String>,
    pub success_rate: Option<f64>,
    pub created: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PhasesDoc {
    pub dns_ms: Option<f64>,
    pub connect_ms: Option<f64>,
    pub tls_ms: Option<f64>,
    pub ttfb_ms: Option<f64>,
    pub token_ms: Option<f64>,
    pub manifest_ms: Option<f64>,
    pub blob_ms: Option<f64>,
    pub queued_ms: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct DoctorDoc {
    pub config: String,
    pub engine: Option<String>,
    pub dockerd_starts: bool,
    pub checks: Vec<FindingDoc>,
    /// `--all-engines` only.
    #[serde(default)]
    pub engines: Vec<EngineVerdictDoc>,
    /// `classic` or `containerd`; null when the daemon did not answer.
    pub image_store: Option<String>,
    /// `--pull` only.
    #[serde(default)]
    pub pull: Option<ProofDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct SeenHostDoc {
    pub host: String,
    pub how: Vec<String>,
}

/// `--pull`'s proof (doctor and apply).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ProofDoc {
    pub image: String,
    pub verdict: String,
    pub digest: Option<String>,
    pub served_by: Vec<String>,
    pub failed: Vec<String>,
    pub upstream: bool,
    pub other_addresses: Vec<String>,
    pub seen: Vec<SeenHostDoc>,
    pub error: Option<String>,
    pub reason: String,
    pub daemon_pid: Option<u32>,
    pub duration_ms: u64,
    pub polls: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EngineVerdictDoc {
    pub engine: String,
    pub starts: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct FindingDoc {
    pub id: String,
    pub severity: String,
    pub reason: String,
    pub fix: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct BackupDoc {
    pub name: String,
    pub kind: String,
    pub time: String,
    pub bytes: Option<u64>,
    pub valid: bool,
    pub original: bool,
    pub command: Option<String>,
    pub outcome: Option<String>,
    pub mirrors_before: Option<Vec<String>>,
    pub mirrors_after: Option<Vec<String>>,
    pub proxy_before: Option<serde_json::Value>,
    pub proxy_after: Option<serde_json::Value>,
}

/// `--json` of apply, restore, proxy set/unset and watch --install.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ChangeDoc {
    pub changed: bool,
    pub dry_run: bool,
    pub targets: Vec<TargetDoc>,
    /// apply `--pull` only.
    #[serde(default)]
    pub pull: Option<ProofDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TargetDoc {
    pub target: String,
    pub changed: bool,
    pub files: Vec<String>,
    pub mirrors: Vec<String>,
    pub activation: String,
}

/// `mirrorctl history --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct HistoryDoc {
    pub registry: String,
    pub since: String,
    pub database: String,
    pub mirrors: Vec<HistoryMirrorDoc>,
    pub decisions: Vec<DecisionDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct HistoryMirrorDoc {
    pub name: String,
    pub url: String,
    pub probes: usize,
    pub successes: usize,
    pub success_rate: f64,
    pub median_latency_ms: Option<f64>,
    pub median_throughput_bps: Option<f64>,
    pub last_failure: Option<serde_json::Value>,
    pub last_24h: serde_json::Value,
    pub recent: Vec<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct DecisionDoc {
    pub at: String,
    pub action: String,
    pub mirror: Option<String>,
    pub replacement: Option<String>,
    pub reason: String,
    pub changed: bool,
}

/// `mirrorctl watch --once --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct WatchDoc {
    pub changed: bool,
    pub before: Vec<String>,
    pub after: Vec<String>,
    pub decisions: Vec<serde_json::Value>,
    pub restart_needed: bool,
    pub passing: usize,
    pub resting: Vec<RestingDoc>,
    pub outcome: Option<ChangeDoc>,
}

/// A mirror watch left alone this cycle (it answered 429 within the hour).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RestingDoc {
    pub mirror: String,
    pub limited_at: String,
    pub until: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct MetricsDoc {
    pub families: Vec<FamilyDoc>,
    pub textfile: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct FamilyDoc {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub help: String,
    pub samples: Vec<SampleDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct SampleDoc {
    pub labels: std::collections::BTreeMap<String, String>,
    pub value: f64,
}

/// Fails the test unless `doc` has exactly the shape of `T`.
pub fn check<T: serde::de::DeserializeOwned>(doc: &serde_json::Value) {
    if let Err(e) = serde_json::from_value::<T>(doc.clone()) {
        panic!("the --json document does not have the documented shape: {e}\n{doc:#}");
    }
}
