//! From stored outcomes to what a person asks of a mirror: how often it worked, how fast it usually is, when it last
//! failed and why. Pure.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::Outcome;

/// How many recent results the sparkline (and `recent` in JSON) shows.
pub const RECENT: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct MirrorStats {
    pub name: String,
    pub url: String,
    /// Over the whole window (`--since`).
    pub probes: usize,
    pub successes: usize,
    pub success_rate: f64,
    pub median_latency_ms: Option<f64>,
    pub median_throughput_bps: Option<f64>,
    pub last_failure: Option<LastFailure>,
    /// The same counts over the last 24 hours.
    pub last_24h: Counts,
    /// The newest results, oldest first (true: it worked).
    pub recent: Vec<bool>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Counts {
    pub probes: usize,
    pub successes: usize,
    pub success_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LastFailure {
    pub at: String,
    pub status: String,
    pub reason: Option<String>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn counts<'a>(it: impl Iterator<Item = &'a Outcome>) -> Counts {
    let (probes, successes) = it.fold((0, 0), |(p, s), o| (p + 1, s + usize::from(o.row.ok)));
    Counts {
        probes,
        successes,
        success_rate: (probes > 0).then(|| successes as f64 / probes as f64),
    }
}

/// One entry per mirror (by URL, named as it was last), best record first. `outcomes` are oldest first.
pub fn summarize(outcomes: &[Outcome], now: SystemTime) -> Vec<MirrorStats> {
    let mut urls: Vec<&str> = Vec::new();
    for o in outcomes {
        if !urls.contains(&o.row.url.as_str()) {
            urls.push(&o.row.url);
        }
    }
    let day_ago = now
        .checked_sub(Duration::from_secs(24 * 3600))
        .unwrap_or(std::time::UNIX_EPOCH);
    let mut out: Vec<MirrorStats> = urls
        .into_iter()
        .map(|url| {
            let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.row.url == url).collect();
            let all = counts(mine.iter().copied());
            let ok = || mine.iter().filter(|o| o.row.ok);
            let last = mine.last().expect("at least one outcome per url");
            MirrorStats {
                name: last.row.name.clone(),
                url: url.to_owned(),
                probes: all.probes,
                successes: all.successes,
                success_rate: all.success_rate.unwrap_or(0.0),
                median_latency_ms: median(ok().filter_map(|o| o.row.latency_ms).collect()),
                median_throughput_bps: median(ok().filter_map(|o| o.row.throughput_bps).collect()),
                last_failure: mine.iter().rev().find(|o| !o.row.ok).map(|o| LastFailure {
                    at: super::timestamp(o.at),
                    status: o.row.status.clone(),
                    reason: o.row.error.clone(),
                }),
                last_24h: counts(mine.iter().copied().filter(|o| o.at >= day_ago)),
                recent: mine
                    .iter()
                    .skip(mine.len().saturating_sub(RECENT))
                    .map(|o| o.row.ok)
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.success_rate
            .total_cmp(&a.success_rate)
            .then_with(|| {
                a.median_latency_ms
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.median_latency_ms.unwrap_or(f64::INFINITY))
            })
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// `▇` for a probe that worked, `▁` for one that failed: a dead stretch reads at a glance.
pub fn sparkline(recent: &[bool]) -> String {
    recent
        .iter()
        .map(|&ok| if ok { '▇' } else { '▁' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(url: &str, secs_ago: u64, ok: bool, latency: f64, now: SystemTime) -> Outcome {
        Outcome::sample(url, now - Duration::from_secs(secs_ago), ok, latency)
    }

    #[test]
    fn rates_medians_the_last_failure_and_the_last_day() {
        let now = SystemTime::now();
        let day = 24 * 3600;
        let v = vec![
            o("https://a/", 3 * day, false, 900.0, now),
            o("https://b/", 3 * day, true, 50.0, now),
            o("https://a/", 2 * day, true, 30.0, now),
            o("https://a/", 60, true, 10.0, now),
            o("https://a/", 30, true, 20.0, now),
        ];
        let s = summarize(&v, now);
        // b: one success of one; a: three of four. b first.
        assert_eq!(s[0].url, "https://b/");
        let a = &s[1];
        assert_eq!((a.probes, a.successes), (4, 3));
        assert_eq!(a.success_rate, 0.75);
        // The failure's latency is not a pull's latency.
        assert_eq!(a.median_latency_ms, Some(20.0));
        assert_eq!(a.last_failure.as_ref().unwrap().status, "timeout");
        assert_eq!(
            a.last_24h,
            Counts {
                probes: 2,
                successes: 2,
                success_rate: Some(1.0)
            }
        );
        assert_eq!(a.recent, [false, true, true, true]);
        assert_eq!(sparkline(&a.recent), "▁▇▇▇");
    }

    #[test]
    fn medians_of_even_and_odd_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
