//! What one watch cycle decides, from the configured mirrors, this probe's ranking and the recorded outcomes.
//! Pure. Hysteresis both ways, so a blip never flaps the config: a configured mirror goes only after K failed
//! probes in a row, and a candidate comes in over a working one only after it beat it by the margin K times in a
//! row.

use std::time::{Duration, SystemTime};

use serde::Serialize;

/// How long a mirror that answered 429 is left alone by the timer. The stated quotas are per hour (Xuanyuan:
/// 100/h), so by then it has refilled; a probe inside the window would only spend it again, and a mirror that
/// keeps being asked while limited may keep the limit longer.
pub const REST: Duration = Duration::from_secs(3600);

/// Until when a mirror rests, from its newest recorded outcome (`status` as the history keeps it).
pub fn rests_until(status: &str, at: SystemTime, now: SystemTime) -> Option<SystemTime> {
    let limited = crate::registry::failure::Status::RateLimited.as_str();
    Some(at + REST).filter(|until| status == limited && *until > now)
}

/// One mirror's result in one recorded probe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seen {
    /// Which probe: a win counts only against the same probe's result.
    pub probe: i64,
    pub ok: bool,
    pub score_s: Option<f64>,
}

/// What the cycle knows.
pub struct Input<'a> {
    /// The mirrors daemon.json lists now, in order (dockerd's form).
    pub configured: &'a [String],
    /// This probe's passing mirrors, best first.
    pub ranked_passing: &'a [String],
    /// For a URL, its results in the newest K probes that included it, newest first, this cycle's included.
    pub recent: &'a dyn Fn(&str) -> Vec<Seen>,
    pub top: usize,
    pub k: usize,
    /// 0.3 for 30 %.
    pub margin: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Stays.
    Keep,
    /// Out, `replacement` in its place.
    Replace,
    /// In, to fill up to `--top`.
    Add,
    /// Would go, but nothing working can take its place.
    Hold,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub action: Action,
    pub mirror: String,
    pub replacement: Option<String>,
    pub reason: Reason,
}

/// Why, as data; the words are the printer's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reason {
    /// Passed this time, or has not failed K in a row.
    Healthy { failures_in_a_row: usize },
    /// Failed the last K probes.
    Dead { failures_in_a_row: usize },
    /// The candidate was faster by more than the margin in each of the last K probes.
    Beaten { by: String, times: usize },
    /// The list held fewer than `--top`.
    Fill,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// The mirrors to write, in order: the configured ones with replacements in their places, then additions.
    pub mirrors: Vec<String>,
}

fn failures_in_a_row(seen: &[Seen]) -> usize {
    seen.iter().take_while(|s| !s.ok).count()
}

/// `c` beat `w` in one probe: `c` worked and `w` did not, or `c`'s pull is estimated faster by the margin.
fn beat(c: Seen, w: Seen, margin: f64) -> bool {
    c.probe == w.probe
        && c.ok
        && (!w.ok
            || matches!((c.score_s, w.score_s), (Some(cs), Some(ws)) if cs * (1.0 + margin) < ws))
}

pub fn decide(input: &Input<'_>) -> Plan {
    let mut mirrors: Vec<String> = input.configured.to_vec();
    let mut steps = Vec::new();
    let mut candidates = input
        .ranked_passing
        .iter()
        .filter(|m| !input.configured.contains(m));
    let mut changed = false;
    for (i, m) in input.configured.iter().enumerate() {
        let seen = (input.recent)(m);
        let fails = failures_in_a_row(&seen);
        // K probes recorded and every one of them failed.
        if fails >= input.k {
            let reason = Reason::Dead {
                failures_in_a_row: fails,
            };
            match candidates.next() {
                Some(c) => {
                    mirrors[i] = c.clone();
                    changed = true;
                    steps.push(Step {
                        action: Action::Replace,
                        mirror: m.clone(),
                        replacement: Some(c.clone()),
                        reason,
                    });
                }
                None => steps.push(Step {
                    action: Action::Hold,
                    mirror: m.clone(),
                    replacement: None,
                    reason,
                }),
            }
        } else {
            steps.push(Step {
                action: Action::Keep,
                mirror: m.clone(),
                replacement: None,
                reason: Reason::Healthy {
                    failures_in_a_row: fails,
                },
            });
        }
    }
    // Fill up to --top with the best passing mirrors not yet listed.
    while mirrors.len() < input.top {
        let Some(c) = candidates.next() else { break };
        mirrors.push(c.clone());
        changed = true;
        steps.push(Step {
            action: Action::Add,
            mirror: c.clone(),
            replacement: None,
            reason: Reason::Fill,
        });
    }
    // No dead mirror this time: the best candidate may take the place of the worst kept mirror, once it beat it
    // in each of the last K probes.
    if !changed {
        if let Some(c) = candidates.next() {
            let c_seen = (input.recent)(c);
            let worst = input.configured.iter().enumerate().rev().find(|(_, w)| {
                let w_seen = (input.recent)(w);
                c_seen.len() >= input.k
                    && w_seen.len() >= input.k
                    && (0..input.k).all(|j| beat(c_seen[j], w_seen[j], input.margin))
            });
            if let Some((i, w)) = worst {
                mirrors[i] = c.clone();
                changed = true;
                let step = steps
                    .iter_mut()
                    .find(|s| &s.mirror == w)
                    .expect("every configured mirror has a step");
                *step = Step {
                    action: Action::Replace,
                    mirror: w.clone(),
                    replacement: Some(c.clone()),
                    reason: Reason::Beaten {
                        by: c.clone(),
                        times: input.k,
                    },
                };
            }
        }
    }
    if changed {
        by_rank(&mut mirrors, input.ranked_passing);
    }
    Plan { steps, mirrors }
}

/// dockerd tries its mirrors in order, so once the list changes anyway the best live one goes first: the mirrors
/// that passed this probe in its ranking, then the others (kept while failing fewer than K times, or held) in the
/// order they had. An unchanged list is left as it is: reordering alone is no reason to touch the daemon.
fn by_rank(mirrors: &mut [String], ranked_passing: &[String]) {
    let place = |m: &String| {
        ranked_passing
            .iter()
            .position(|r| r == m)
            .unwrap_or(usize::MAX)
    };
    // A stable sort: the mirrors that did not pass keep their order among themselves.
    mirrors.sort_by_key(place);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limited_mirror_rests_for_an_hour_and_nothing_else_does() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let min = Duration::from_secs(60);
        assert_eq!(
            rests_until("rate-limited", at, at + 59 * min),
            Some(at + REST)
        );
        assert_eq!(rests_until("rate-limited", at, at + 60 * min), None);
        assert_eq!(rests_until("timeout", at, at + min), None);
        assert_eq!(rests_until("ok", at, at), None);
    }
    use std::collections::HashMap;

    fn s(ok: bool, score: f64) -> Seen {
        Seen {
            probe: 0,
            ok,
            score_s: ok.then_some(score),
        }
    }

    fn run(
        configured: &[&str],
        passing: &[&str],
        recent: HashMap<&str, Vec<Seen>>,
        top: usize,
    ) -> Plan {
        let configured: Vec<String> = configured.iter().map(|s| s.to_string()).collect();
        let passing: Vec<String> = passing.iter().map(|s| s.to_string()).collect();
        // Newest first, numbered as the probes they came from.
        let lookup = move |u: &str| {
            let mut v = recent.get(u).cloned().unwrap_or_default();
            for (i, s) in v.iter_mut().enumerate() {
                s.probe = 100 - i as i64;
            }
            v
        };
        decide(&Input {
            configured: &configured,
            ranked_passing: &passing,
            recent: &lookup,
            top,
            k: 3,
            margin: 0.3,
        })
    }

    #[test]
    fn a_mirror_goes_exactly_at_the_kth_failure_in_a_row() {
        for (fails, replaced) in [(1, false), (2, false), (3, true)] {
            let mut a: Vec<Seen> = vec![s(false, 0.0); fails];
            a.extend([s(true, 1.0); 5]);
            let p = run(
                &["a"],
                &["b"],
                HashMap::from([("a", a), ("b", vec![s(true, 1.0); 8])]),
                1,
            );
            assert_eq!(
                p.mirrors == ["b"],
                replaced,
                "after {fails} failures: {p:?}"
            );
        }
    }

    #[test]
    fn failures_with_a_pass_between_are_not_in_a_row() {
        let a = vec![s(false, 0.0), s(false, 0.0), s(true, 1.0), s(false, 0.0)];
        let p = run(&["a"], &["b"], HashMap::from([("a", a)]), 1);
        assert_eq!(p.mirrors, ["a"]);
        assert_eq!(
            p.steps[0].reason,
            Reason::Healthy {
                failures_in_a_row: 2
            }
        );
    }

    #[test]
    fn a_dead_mirror_with_nothing_to_replace_it_is_held() {
        let p = run(
            &["a"],
            &[],
            HashMap::from([("a", vec![s(false, 0.0); 3])]),
            1,
        );
        assert_eq!(p.mirrors, ["a"]);
        assert_eq!(p.steps[0].action, Action::Hold);
    }

    #[test]
    fn a_faster_candidate_needs_k_wins_by_the_margin() {
        let worse = vec![s(true, 10.0); 3];
        // Two wins by 50 %, one by 10 %: not enough.
        let c = vec![s(true, 5.0), s(true, 5.0), s(true, 9.0)];
        let p = run(
            &["a", "w"],
            &["c", "a", "w"],
            HashMap::from([("w", worse.clone()), ("a", vec![s(true, 1.0); 3]), ("c", c)]),
            2,
        );
        assert_eq!(p.mirrors, ["a", "w"]);
        // Three wins: the worst kept mirror is replaced…
        let c = vec![s(true, 5.0); 3];
        let p = run(
            &["a", "w"],
            &["c", "a", "w"],
            HashMap::from([("w", worse), ("a", vec![s(true, 1.0); 3]), ("c", c)]),
            2,
        );
        // …and, the list changing anyway, in the probe's order: `c` ranked first (issue 22: best live first).
        assert_eq!(p.mirrors, ["c", "a"]);
        assert!(matches!(p.steps[1].reason, Reason::Beaten { .. }));
    }

    #[test]
    fn one_good_probe_after_a_switch_does_not_switch_back() {
        // `old` was replaced by `new`; it works again once, and is even faster.
        let p = run(
            &["new"],
            &["old", "new"],
            HashMap::from([
                ("new", vec![s(true, 10.0); 5]),
                ("old", vec![s(true, 1.0), s(false, 0.0), s(false, 0.0)]),
            ]),
            1,
        );
        assert_eq!(p.mirrors, ["new"]);
        assert!(p.steps.iter().all(|s| s.action == Action::Keep));
    }

    #[test]
    fn fills_up_to_top_with_the_best_passing() {
        let p = run(&["a"], &["a", "b", "c", "d"], HashMap::new(), 3);
        assert_eq!(p.mirrors, ["a", "b", "c"]);
        assert_eq!(
            p.steps.iter().filter(|s| s.action == Action::Add).count(),
            2
        );
    }

    #[test]
    fn a_replacement_slower_than_the_mirror_behind_it_goes_behind_it() {
        // `a` died; `c` replaces it but is slower than `b`, which the probe ranked first: `b` goes first.
        let p = run(
            &["a", "b"],
            &["b", "c"],
            HashMap::from([("a", vec![s(false, 0.0); 3]), ("b", vec![s(true, 1.0); 3])]),
            2,
        );
        assert_eq!(p.mirrors, ["b", "c"]);
        assert_eq!(p.steps[0].action, Action::Replace);
    }

    #[test]
    fn after_any_change_the_passing_mirrors_come_in_rank_order_then_the_failing_ones() {
        // `x` failed once (kept), `y` passed; `z` is added to fill up: the order is the probe's, `x` last.
        let p = run(
            &["x", "y"],
            &["z", "y"],
            HashMap::from([("x", vec![s(false, 0.0)]), ("y", vec![s(true, 2.0); 3])]),
            3,
        );
        assert_eq!(p.mirrors, ["z", "y", "x"]);
        // A held dead mirror and a kept failing one keep their order among themselves, behind the passing.
        let p = run(
            &["d", "f", "a"],
            &["a", "n"],
            HashMap::from([
                ("d", vec![s(false, 0.0); 3]),
                ("f", vec![s(false, 0.0)]),
                ("a", vec![s(true, 1.0); 3]),
            ]),
            3,
        );
        assert_eq!(p.mirrors, ["a", "n", "f"], "{p:?}");
        // A beaten mirror's replacement is ranked too.
        let p = run(
            &["a", "w"],
            &["c", "a", "w"],
            HashMap::from([
                ("w", vec![s(true, 10.0); 3]),
                ("a", vec![s(true, 6.0); 3]),
                ("c", vec![s(true, 5.0); 3]),
            ]),
            2,
        );
        assert_eq!(p.mirrors, ["c", "a"]);
    }

    #[test]
    fn no_change_leaves_the_order_alone_even_when_the_probe_ranks_otherwise() {
        let p = run(
            &["a", "b"],
            &["b", "a"],
            HashMap::from([("a", vec![s(true, 3.0); 3]), ("b", vec![s(true, 2.0); 3])]),
            2,
        );
        assert_eq!(p.mirrors, ["a", "b"]);
        assert!(p.steps.iter().all(|s| s.action == Action::Keep));
    }
}
