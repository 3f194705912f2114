//! Ranking: pure, from results to order. A mirror that works beats one that does not; among working mirrors the
//! score is the time a typical pull would take, so being faster in both latency and throughput always wins.

use std::cmp::Ordering;

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

/// Sorts best first and numbers the results from 1; sets each working mirror's score.
pub fn rank(results: &mut [MirrorResult]) {
    for r in results.iter_mut() {
        r.score_s = match (r.ok, r.latency_ms, r.throughput_bps) {
            (true, Some(l), Some(t)) => Some(score(l, t)),
            _ => None,
        };
    }
    results.sort_by(|a, b| {
        b.ok.cmp(&a.ok)
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
        rank(&mut v);
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
    fn tradeoff_is_decided_by_the_estimated_pull_time() {
        // A close mirror with a thin pipe loses to a farther one with a fat pipe for a 32 MiB pull.
        let mut v = vec![
            r("near-thin", true, 10.0, 200e3),
            r("far-fat", true, 200.0, 20e6),
        ];
        rank(&mut v);
        assert_eq!(v[0].name, "far-fat");
    }
}
