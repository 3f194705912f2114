//! What the metrics say, gathered afresh at each call: each mirror's record from the history through the very
//! types `history --json` prints (`Store::since`, `stats::summarize`), watch's decisions from the same store, and
//! the pull-through cache's state through `cache status`'s own function — which asks only the cache on this
//! machine. Nothing here fails the whole scrape: an unreadable history is a series (`history_readable 0`), a
//! missing or remote cache is no cache series.

use crate::cli::CacheStatusArgs;
use crate::settings::Sources;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::exposition::{Family, Kind};
use crate::history::{stats, Outcome, Store};

/// The longest success window; the other is `stats`'s last 24 hours.
const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);
/// At most this many decisions are counted: 90 days of a 30-minute timer with a few mirrors is ~20 000.
const DECISIONS_READ: usize = 100_000;

fn seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// daemon.json's registry-mirrors as dockerd stores them (as the history records them); none when unreadable.
fn configured(daemon_json: &std::path::Path) -> Vec<String> {
    let Ok(Some(bytes)) = crate::sys::files::read(daemon_json) else {
        return vec![];
    };
    crate::dockerd::parse::parse(&bytes)
        .ok()
        .and_then(|m| {
            crate::targets::docker::normalize_mirrors(&crate::targets::docker::mirrors_of(&m)).ok()
        })
        .unwrap_or_default()
}

/// Every family, in a fixed order (the scrape's order does not change between calls).
pub async fn collect(src: &Sources, now: SystemTime) -> Vec<Family> {
    let configured = configured(&src.daemon_json);
    let mut families = match crate::history::open_trusted() {
        Ok(store) => history(&store, &src.registries, &configured, now),
        Err(_) => vec![readable(false)],
    };
    if let Some(args) = &src.cache {
        families.extend(cache(args).await);
    }
    families
}

fn readable(ok: bool) -> Family {
    let mut f = Family::new(
        "mirrorctl_history_readable",
        Kind::Gauge,
        "1 when mirrorctl could read its probe history (the state directory's history.db).",
    );
    f.push(vec![], f64::from(u8::from(ok)));
    f
}

fn mirror_labels(registry: &str, name: &str, url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("registry", registry.to_owned()),
        ("mirror", name.to_owned()),
        ("url", url.to_owned()),
    ]
}

/// Mirrors and watch, from the history.
fn history(
    store: &Store,
    registries: &[String],
    configured: &[String],
    now: SystemTime,
) -> Vec<Family> {
    use Kind::{Counter, Gauge};
    let mut up = Family::new(
        "mirrorctl_mirror_up",
        Gauge,
        "1 when the mirror's newest probe passed (a real pull), 0 when it failed.",
    );
    let mut is_configured = Family::new(
        "mirrorctl_mirror_configured",
        Gauge,
        "1 for a mirror in daemon.json's registry-mirrors, 0 for one only probed.",
    );
    let mut latency = Family::new(
        "mirrorctl_mirror_latency_seconds",
        Gauge,
        "Median time to the first byte of /v2/ over the passing probes of the last 7 days.",
    );
    let mut throughput = Family::new(
        "mirrorctl_mirror_throughput_bytes_per_second",
        Gauge,
        "Median blob download speed over the passing probes of the last 7 days.",
    );
    let mut ratio = Family::new(
        "mirrorctl_mirror_success_ratio",
        Gauge,
        "Share of probes that passed over the window (24h or 7d), from 0 to 1; absent for a window without probes.",
    );
    let mut probes = Family::new(
        "mirrorctl_mirror_probes",
        Gauge,
        "How many probes the success ratio of the window (24h or 7d) is taken over.",
    );
    let mut stale = Family::new(
        "mirrorctl_mirror_stale",
        Gauge,
        "1 when the newest probe found the mirror serving an outdated digest for the tag.",
    );
    let mut last_probe = Family::new(
        "mirrorctl_mirror_last_probe_timestamp_seconds",
        Gauge,
        "When the mirror was last probed (Unix time).",
    );
    let mut last_failure = Family::new(
        "mirrorctl_mirror_last_failure_timestamp_seconds",
        Gauge,
        "When the mirror last failed a probe within 7 days (Unix time); the class label says how it failed.",
    );
    let week_ago = now.checked_sub(WEEK).unwrap_or(UNIX_EPOCH);
    let mut all_read = true;
    for registry in registries {
        let outcomes = match store.since(registry, week_ago) {
            Ok(o) => o,
            Err(_) => {
                all_read = false;
                continue;
            }
        };
        let newest: HashMap<&str, &Outcome> =
            outcomes.iter().map(|o| (o.row.url.as_str(), o)).collect();
        let summary = stats::summarize(&outcomes, now);
        let hub = registry == "docker.io";
        for m in &summary {
            let labels = || mirror_labels(registry, &m.name, &m.url);
            if let Some(ok) = m.recent.last() {
                up.push(labels(), f64::from(u8::from(*ok)));
            }
            is_configured.push(
                labels(),
                f64::from(u8::from(hub && configured.contains(&m.url))),
            );
            if let Some(ms) = m.median_latency_ms {
                latency.push(labels(), ms / 1000.0);
            }
            if let Some(bps) = m.median_throughput_bps {
                throughput.push(labels(), bps);
            }
            let windows = [
                ("24h", m.last_24h.success_rate, m.last_24h.probes),
                ("7d", Some(m.success_rate), m.probes),
            ];
            for (window, rate, n) in windows {
                let mut l = labels();
                l.push(("window", window.into()));
                probes.push(l.clone(), n as f64);
                if let (Some(rate), true) = (rate, n > 0) {
                    ratio.push(l, rate);
                }
            }
            if let Some(o) = newest.get(m.url.as_str()) {
                stale.push(labels(), f64::from(u8::from(o.row.status == "stale")));
                last_probe.push(labels(), seconds(o.at));
            }
            if let Some(f) = &m.last_failure {
                if let Ok(at) = humantime::parse_rfc3339(&f.at) {
                    let mut l = labels();
                    l.push(("class", f.status.clone()));
                    last_failure.push(l, seconds(at));
                }
            }
        }
        // A configured mirror the history has not seen yet: configured, with no record.
        if hub {
            for url in configured
                .iter()
                .filter(|u| !summary.iter().any(|m| &m.url == *u))
            {
                let name = reqwest::Url::parse(url)
                    .ok()
                    .and_then(|u| u.host_str().map(String::from))
                    .unwrap_or_else(|| url.clone());
                is_configured.push(mirror_labels(registry, &name, url), 1.0);
            }
        }
    }
    let mut decisions = Family::new(
        "mirrorctl_watch_decisions_total",
        Counter,
        "watch's decisions kept in the history (90 days), by action and whether the mirror list changed.",
    );
    let mut last_run = Family::new(
        "mirrorctl_watch_last_run_timestamp_seconds",
        Gauge,
        "When watch last decided (Unix time): every cycle that probed decides at least once per configured mirror.",
    );
    match store.decisions(DECISIONS_READ) {
        Ok(ds) => {
            let mut counts: Vec<((String, bool), u64)> = Vec::new();
            for d in &ds {
                let key = (d.action.clone(), d.changed);
                match counts.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((key, 1)),
                }
            }
            counts.sort();
            for ((action, changed), n) in counts {
                decisions.push(
                    vec![("action", action), ("changed", changed.to_string())],
                    n as f64,
                );
            }
            if let Some(newest) = ds.first() {
                last_run.push(vec![], seconds(newest.at));
            }
        }
        Err(_) => all_read = false,
    }
    vec![
        readable(all_read),
        up,
        is_configured,
        latency,
        throughput,
        ratio,
        probes,
        stale,
        last_probe,
        last_failure,
        decisions,
        last_run,
    ]
}

/// Whether `url`'s host is this machine: loopback, `localhost`, or an address a socket here can bind (the cache
/// listening on the host's own LAN address). Anything else is another machine, which metrics never asks.
fn on_this_machine(url: &str) -> bool {
    use std::net::IpAddr;
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    else {
        return host.eq_ignore_ascii_case("localhost");
    };
    ip.is_loopback() || std::net::UdpSocket::bind((ip, 0)).is_ok()
}

/// The cache, when config.yml is a pull-through cache's and it listens on this machine.
async fn cache(args: &CacheStatusArgs) -> Vec<Family> {
    use crate::targets::distribution::{local_url, read};
    use Kind::{Counter, Gauge};
    let Ok(text) = std::fs::read_to_string(&args.service.config) else {
        return vec![];
    };
    let Ok(c) = read(&text) else { return vec![] };
    let (Some(_), Some(listen)) = (&c.upstream, &c.listen) else {
        return vec![];
    };
    let local = on_this_machine(&local_url(listen, c.tls))
        && c.metrics
            .as_deref()
            .is_none_or(|m| on_this_machine(&local_url(m, false)));
    if !local {
        return vec![];
    }
    let Ok(s) = crate::commands::cache::status::status(args).await else {
        return vec![];
    };
    let cache = s.url.clone().unwrap_or_default();
    let l = || vec![("cache", cache.clone())];
    let mut up = Family::new(
        "mirrorctl_cache_up",
        Gauge,
        "1 when the pull-through cache answers /v2/ (200 or 401), as `mirrorctl cache status` checks it.",
    );
    up.push(l(), f64::from(u8::from(s.healthy())));
    let mut active = Family::new(
        "mirrorctl_cache_service_active",
        Gauge,
        "1 when the cache's unit is active.",
    );
    active.push(l(), f64::from(u8::from(s.active)));
    let mut upstream = Family::new(
        "mirrorctl_cache_upstream_up",
        Gauge,
        "1 when the newest probe of the cache's upstream (proxy.remoteurl) passed, 0 when it failed.",
    );
    if let (Some(u), Some(p)) = (&s.upstream, &s.upstream_last_probe) {
        let mut labels = l();
        labels.push(("upstream", u.clone()));
        upstream.push(labels, f64::from(u8::from(p.ok)));
    }
    let mut storage = Family::new(
        "mirrorctl_cache_storage_bytes",
        Gauge,
        "Bytes the cache keeps on disk.",
    );
    if let Some(b) = s.storage_bytes {
        storage.push(l(), b as f64);
    }
    let mut requests = Family::new(
        "mirrorctl_cache_requests_total",
        Counter,
        "Requests the cache served since it started, by kind (manifest or blob).",
    );
    let mut hits = Family::new(
        "mirrorctl_cache_hits_total",
        Counter,
        "Requests the cache served from its storage since it started, by kind.",
    );
    let mut misses = Family::new(
        "mirrorctl_cache_misses_total",
        Counter,
        "Requests the cache fetched from its upstream since it started, by kind.",
    );
    let mut pulled = Family::new(
        "mirrorctl_cache_pulled_bytes_total",
        Counter,
        "Bytes the cache fetched from its upstream since it started, by kind.",
    );
    let mut served = Family::new(
        "mirrorctl_cache_served_bytes_total",
        Counter,
        "Bytes the cache sent to clients since it started, by kind.",
    );
    if let Some(v) = &s.served {
        for (kind, c) in [("manifest", &v.manifests), ("blob", &v.blobs)] {
            let mut labels = l();
            labels.push(("kind", kind.into()));
            requests.push(labels.clone(), c.requests as f64);
            hits.push(labels.clone(), c.hits as f64);
            misses.push(labels.clone(), c.misses as f64);
            pulled.push(labels.clone(), c.bytes_pulled as f64);
            served.push(labels, c.bytes_pushed as f64);
        }
    }
    vec![
        up, active, upstream, storage, requests, hits, misses, pulled, served,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Decision, Probe, Row};

    fn row(name: &str, ok: bool, status: &str) -> Row {
        Row {
            name: name.into(),
            url: format!("https://{name}/"),
            ok,
            status: status.into(),
            error: None,
            latency_ms: Some(250.0),
            throughput_bps: ok.then_some(2e6),
            score_s: None,
        }
    }

    fn value(
        families: &[Family],
        name: &str,
        label: (&str, &str),
        extra: Option<(&str, &str)>,
    ) -> f64 {
        let f = families.iter().find(|f| f.name == name).unwrap();
        f.samples
            .iter()
            .find(|s| {
                s.labels.iter().any(|(k, v)| *k == label.0 && v == label.1)
                    && extra
                        .is_none_or(|(k, v)| s.labels.iter().any(|(k2, v2)| *k2 == k && v2 == v))
            })
            .unwrap_or_else(|| panic!("no {name} {label:?} {extra:?}"))
            .value
    }

    #[test]
    fn the_numbers_are_the_historys() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        let now = SystemTime::now();
        let day = Duration::from_secs(86_400);
        // a: 3 days ago failed, then 2 passes today, then stale now; b: passes.
        let rounds = [
            (
                now - 3 * day,
                vec![row("a", false, "timeout"), row("b", true, "ok")],
            ),
            (now - Duration::from_secs(60), vec![row("a", true, "ok")]),
            (now - Duration::from_secs(30), vec![row("a", true, "ok")]),
            (now, vec![row("a", false, "stale"), row("b", true, "ok")]),
        ];
        for (at, results) in rounds {
            s.record(&Probe {
                at,
                origin: "watch".into(),
                registry: "docker.io".into(),
                image: "library/alpine:latest".into(),
                results,
            })
            .unwrap();
        }
        for action in ["keep", "keep", "replace"] {
            s.decide(&Decision {
                at: now,
                action: action.into(),
                mirror: Some("https://a/".into()),
                replacement: None,
                reason: "-".into(),
                changed: action == "replace",
            })
            .unwrap();
        }
        let f = history(&s, &["docker.io".into()], &["https://a/".into()], now);
        let a = ("mirror", "a");
        assert_eq!(value(&f, "mirrorctl_mirror_up", a, None), 0.0);
        assert_eq!(value(&f, "mirrorctl_mirror_up", ("mirror", "b"), None), 1.0);
        assert_eq!(value(&f, "mirrorctl_mirror_configured", a, None), 1.0);
        assert_eq!(
            value(&f, "mirrorctl_mirror_configured", ("mirror", "b"), None),
            0.0
        );
        assert_eq!(value(&f, "mirrorctl_mirror_stale", a, None), 1.0);
        // The same numbers as `history --json`'s.
        let st = stats::summarize(&s.since("docker.io", now - WEEK).unwrap(), now);
        let sa = st.iter().find(|m| m.name == "a").unwrap();
        assert_eq!(
            value(
                &f,
                "mirrorctl_mirror_success_ratio",
                a,
                Some(("window", "7d"))
            ),
            sa.success_rate
        );
        assert_eq!(sa.success_rate, 0.5);
        assert_eq!(
            value(
                &f,
                "mirrorctl_mirror_success_ratio",
                a,
                Some(("window", "24h"))
            ),
            2.0 / 3.0
        );
        assert_eq!(value(&f, "mirrorctl_mirror_latency_seconds", a, None), 0.25);
        assert_eq!(
            value(&f, "mirrorctl_mirror_throughput_bytes_per_second", a, None),
            2e6
        );
        assert_eq!(
            value(
                &f,
                "mirrorctl_mirror_last_failure_timestamp_seconds",
                a,
                Some(("class", "stale"))
            ),
            // `history --json` keeps the time to the second.
            seconds(now).trunc()
        );
        assert_eq!(
            value(
                &f,
                "mirrorctl_watch_decisions_total",
                ("action", "keep"),
                None
            ),
            2.0
        );
        assert_eq!(
            value(
                &f,
                "mirrorctl_watch_decisions_total",
                ("action", "replace"),
                Some(("changed", "true"))
            ),
            1.0
        );
        let text = super::super::exposition::encode(&f);
        assert!(text.contains("mirrorctl_history_readable 1\n"), "{text}");
        assert!(
            text.contains("# TYPE mirrorctl_watch_decisions_total counter\n"),
            "{text}"
        );
    }

    #[test]
    fn only_this_machines_addresses_are_asked() {
        assert!(on_this_machine("http://127.0.0.1:5000"));
        assert!(on_this_machine("http://[::1]:5000"));
        assert!(on_this_machine("http://localhost:5000"));
        // TEST-NET-3: never an address of this machine.
        assert!(!on_this_machine("http://203.0.113.9:5000"));
        assert!(!on_this_machine("http://registry.example:5000"));
    }
}
