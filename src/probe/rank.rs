//! Ranking: pure, from results to order. A mirror that works beats one that does not; among working mirrors the
//! record comes next — the share of the last probes that worked, once there are at least three — and then the
//! score, the time a typical pull would take, so being faster in both latency and throughput always wins.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::MirrorResult;

/// Requests a `docker pull` of a small image makes in sequence (ping, token, index, manifest, config, layers).
pub const ROUND_TRIPS: f64 = 8.0;
/// The size of a typical small image a user pulls (debian-slim, node-alpine layers are in this range).
pub const REFERENCE_BYTES: f64 = 32.0 * 1024.0 * 1024.0;

/// Estimated seconds to pull the reference image: `ROUND_TRIPS × latency + REFERENCE_BYTES / throughput`.
/// Strictly increasing in latency and strictly decreasing in throughput, which is what makes dominance hold.
pub fn score(latency_ms: f64, throughput_bps: f64) -> f64 {
    ROUND_TRIPS * latency_ms / 1000.0 + REFERENCE_BYTES / throughput_bps.max(1.0)
}

/// How many recent probes the success rate is taken over, and how many a mirror needs before it counts. Ranking
/// owns them; the history only keeps enough probes to fill the window.
pub const WINDOW: usize = 10;
pub const MIN_PROBES: usize = 3;

/// The share of `now` and the `previous` outcomes (newest first) that worked, over the last `WINDOW`; `None`
/// below `MIN_PROBES`, where one bad day would decide too much.
pub fn success_rate(now: bool, previous: &[bool]) -> Option<f64> {
    let window: Vec<bool> = std::iter::once(now)
        .chain(previous.iter().copied())
        .take(WINDOW)
        .collect();
    (window.len() >= MIN_PROBES)
        .then(|| window.iter().filter(|&&ok| ok).count() as f64 / window.len() as f64)
}

/// Sorts best first and numbers the results from 1; sets each working mirror's score and each mirror's success
/// rate from `previous` (by URL, newest first; empty without history).
pub fn rank(results: &mut [MirrorResult], previous: &HashMap<String, Vec<bool>>) {
    for r in results.iter_mut() {
        r.score_s = match (r.ok, r.latency_ms, r.throughput_bps) {
            (true, Some(l), Some(t)) => Some(score(l, t)),
            _ => None,
        };
        r.success_rate = success_rate(r.ok, previous.get(&r.url).map_or(&[], |v| v));
    }
    // A mirror without enough history is judged by this probe alone.
    let record = |r: &MirrorResult| r.success_rate.unwrap_or(if r.ok { 1.0 } else { 0.0 });
    results.sort_by(|a, b| {
        b.ok.cmp(&a.ok)
            .then_with(|| record(b).total_cmp(&record(a)))
            .then_with(|| match (a.score_s, b.score_s) {
                (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                _ => Ordering::Equal,
            })
            .then_with(|| a.name.cmp(&b.name))
    });
    for (i, r) in results.iter_mut().enumerate() {
        r.rank = i + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, ok: bool, latency: f64, tput: f64) -> MirrorResult {
        MirrorResult::sample(name, ok, latency, tput)
    }

    #[test]
    fn working_before_failed_and_dominance_wins() {
        let mut v = vec![
            r("dead-but-fast", false, 1.0, 0.0),
            r("slow", true, 300.0, 1e6),
            r("fast", true, 20.0, 50e6),
            r("mid", true, 100.0, 10e6),
        ];
        rank(&mut v, &HashMap::new());
        let names: Vec<_> = v.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["fast", "mid", "slow", "dead-but-fast"]);
        assert_eq!(v.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert!(v[3].score_s.is_none());
    }

    #[test]
    fn dominance_holds_over_a_grid() {
        let values = [1.0, 5.0, 30.0, 120.0, 900.0];
        let speeds = [1e4, 1e5, 1e6, 1e7, 1e8];
        for &l1 in &values {
            for &l2 in values.iter().filter(|&&l| l >= l1) {
                for &t1 in &speeds {
                    for &t2 in speeds.iter().filter(|&&t| t <= t1) {
                        if l1 == l2 && t1 == t2 {
                            continue;
                        }
                        assert!(
                            score(l1, t1) < score(l2, t2),
                            "({l1},{t1}) must beat ({l2},{t2})"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_mirror_that_failed_8_of_the_last_10_is_not_at_the_top_even_when_fastest() {
        let mut v = vec![
            r("flaky-fast", true, 5.0, 100e6),
            r("steady", true, 80.0, 5e6),
            r("new", true, 60.0, 5e6),
        ];
        let mut previous = HashMap::new();
        // Newest first: this probe passed, the 9 before it 1 passed and 8 failed.
        previous.insert(
            "https://flaky-fast/".to_string(),
            [vec![true], vec![false; 8]].concat(),
        );
        previous.insert("https://steady/".to_string(), vec![true; 9]);
        previous.insert("https://new/".to_string(), vec![true]);
        rank(&mut v, &previous);
        let names: Vec<_> = v.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["new", "steady", "flaky-fast"]);
        assert_eq!(v[2].success_rate, Some(0.2));
        assert_eq!(v[1].success_rate, Some(1.0));
        // Two probes are not a record yet.
        assert_eq!(v[0].success_rate, None);
    }

    #[test]
    fn the_rate_is_taken_over_the_last_ten_only() {
        assert_eq!(success_rate(true, &[true; 20]), Some(1.0));
        let old_failures = [vec![true; 9], vec![false; 20]].concat();
        assert_eq!(success_rate(true, &old_failures), Some(1.0));
        assert_eq!(success_rate(false, &[true, true]), Some(2.0 / 3.0));
    }

    #[test]
    fn tradeoff_is_decided_by_the_estimated_pull_time() {
        // A close mirror with a thin pipe loses to a farther one with a fat pipe for a 32 MiB pull.
        let mut v = vec![
            r("near-thin", true, 10.0, 200e3),
            r("far-fat", true, 200.0, 20e6),
        ];
        rank(&mut v, &HashMap::new());
        assert_eq!(v[0].name, "far-fat");
    }
}
