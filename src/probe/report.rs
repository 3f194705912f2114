//! The probe report: one type for the table, `--json` and the cache that `apply` reads back.

use serde::{Deserialize, Serialize};

use super::{Phases, Status};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MirrorResult {
    pub rank: usize,
    pub name: String,
    /// dockerd's normalised form, the string that goes into daemon.json.
    pub url: String,
    pub ok: bool,
    pub status: Status,
    pub error: Option<String>,
    /// Time to first byte of `/v2/`.
    pub latency_ms: Option<f64>,
    /// Blob bytes per second, measured over the whole verified blob.
    pub throughput_bps: Option<f64>,
    /// Estimated seconds to pull a 32 MiB image (see `rank::score`); only for working mirrors.
    pub score_s: Option<f64>,
    pub blob_bytes: u64,
    pub total_ms: f64,
    /// The address the probe connected to, so a user can see which IP answered.
    pub address: Option<String>,
    pub phases: Phases,
    /// Each request with its HTTP status, in order (`GET url → 200`).
    #[serde(default)]
    pub requests: Vec<String>,
    /// What the tag resolved to on this mirror (the index's digest, or the manifest's when there is no index).
    #[serde(default)]
    pub digest: Option<String>,
    /// Share of the last probes (this one and up to 9 recorded before it) that worked; only with at least 3.
    #[serde(default)]
    pub success_rate: Option<f64>,
    /// Where the image's config is on this mirror (not kept: it may hold a token).
    #[serde(skip)]
    pub config: Option<ConfigRef>,
    /// When the image this mirror serves was built (its config's `created`), found out for stale mirrors and the
    /// majority they were compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// An image config blob on one mirror, with the token that reads it.
#[derive(Debug, Clone)]
pub struct ConfigRef {
    pub url: reqwest::Url,
    pub digest: crate::registry::Digest,
    pub size: u64,
    pub token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The registry the probed mirrors stand in for.
    #[serde(default = "docker_io")]
    pub registry: String,
    pub image: String,
    pub platform: String,
    /// RFC 3339, UTC.
    pub probed_at: String,
    pub catalogue_updated: String,
    /// Identifies the probed set of mirrors (see `catalogue::fingerprint`).
    pub fingerprint: String,
    pub timeout_s: f64,
    /// `--expect-digest`, when the user gave one (a cached report is reused only for the same).
    #[serde(default)]
    pub expect_digest: Option<String>,
    /// The proxy the probe went through (credentials masked); `None`: direct.
    #[serde(default, skip_deserializing)]
    pub proxy: Option<crate::registry::route::Route>,
    pub results: Vec<MirrorResult>,
}

impl MirrorResult {
    /// A result for unit tests: ok or timed out, with these numbers.
    #[cfg(test)]
    pub fn sample(name: &str, ok: bool, latency_ms: f64, throughput_bps: f64) -> Self {
        Self {
            rank: 0,
            name: name.into(),
            url: format!("https://{name}/"),
            ok,
            status: if ok { Status::Ok } else { Status::Timeout },
            error: None,
            latency_ms: Some(latency_ms),
            throughput_bps: ok.then_some(throughput_bps),
            score_s: None,
            blob_bytes: 0,
            total_ms: 0.0,
            address: None,
            phases: Phases::default(),
            requests: vec![],
            digest: None,
            success_rate: None,
            config: None,
            created: None,
        }
    }
}

impl Report {
    pub fn passed(&self) -> impl Iterator<Item = &MirrorResult> {
        self.results.iter().filter(|r| r.ok)
    }

    /// How a plan names a mirror this probe measured: its name in the catalogue, its speed and its latency
    /// (`daocloud: 5.2 MiB/s, 40 ms`). `None` for a URL the probe did not ask.
    pub fn label(&self, url: &str) -> Option<String> {
        let r = self.results.iter().find(|r| r.url == url)?;
        let dash = || "-".to_owned();
        Some(
            rust_i18n::t!(
                "plan.mirror_label",
                name = crate::ui::output::outside(&r.name),
                speed = r
                    .throughput_bps
                    .map_or_else(dash, |b| format!("{}/s", crate::ui::text::bytes(b))),
                latency = r.latency_ms.map_or_else(dash, crate::ui::text::millis)
            )
            .into_owned(),
        )
    }
}

fn docker_io() -> String {
    "docker.io".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measured_mirror_is_labelled_with_its_name_speed_and_latency() {
        let mut r = MirrorResult::sample("fast", true, 40.0, 5.0 * 1024.0 * 1024.0);
        r.name = "daocloud\u{1b}[2J".into();
        let report = Report {
            registry: "docker.io".into(),
            image: "library/alpine:latest".into(),
            platform: "linux/amd64".into(),
            probed_at: "2026-12-01T00:00:00Z".into(),
            catalogue_updated: "2026-12-01".into(),
            fingerprint: "f".into(),
            timeout_s: 10.0,
            expect_digest: None,
            proxy: None,
            results: vec![r, MirrorResult::sample("dead", false, 3.0, 0.0)],
        };
        let label = report.label("https://fast/").unwrap();
        assert!(label.starts_with("daocloud"), "{label}");
        assert!(
            label.contains("5.0 MiB/s") && label.contains("40 ms"),
            "{label}"
        );
        assert!(
            !label.contains('\u{1b}'),
            "the name is outside text: {label:?}"
        );
        assert!(report.label("https://dead/").unwrap().contains("-,"));
        assert_eq!(report.label("https://unknown/"), None);
    }
}
