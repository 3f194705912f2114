//! Why each mirror stands where it does in the ranking: said against the mirror just above it, in the terms the
//! ranking uses (`history::stats::summarize`: success rate over the window, then median latency, then name).
//! Pure; the words are the page's language.

use rust_i18n::t;

use crate::history::stats::MirrorStats;
use crate::ui::text::millis;

fn pct(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

/// One reason per mirror, in the ranking's order.
pub fn reasons(ranked: &[MirrorStats]) -> Vec<String> {
    ranked
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let Some(above) = i.checked_sub(1).map(|j| &ranked[j]) else {
                return t!("report.reason.first", ok = m.successes, probes = m.probes).into_owned();
            };
            if m.success_rate < above.success_rate {
                return t!(
                    "report.reason.less_often",
                    above = above.name,
                    rate = pct(m.success_rate),
                    other = pct(above.success_rate)
                )
                .into_owned();
            }
            match (m.median_latency_ms, above.median_latency_ms) {
                (Some(mine), Some(theirs)) if mine > theirs => t!(
                    "report.reason.slower",
                    above = above.name,
                    latency = millis(mine),
                    other = millis(theirs)
                )
                .into_owned(),
                (None, Some(_)) => t!("report.reason.untimed", above = above.name).into_owned(),
                _ => t!("report.reason.tie", above = above.name).into_owned(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{stats, Outcome};
    use std::time::{Duration, SystemTime};

    #[test]
    fn each_reason_names_what_put_it_below_the_one_above() {
        let now = SystemTime::now();
        let at = |s| now - Duration::from_secs(s);
        let v = vec![
            Outcome::sample("https://fast/", at(30), true, 20.0),
            Outcome::sample("https://slow/", at(30), true, 80.0),
            Outcome::sample("https://flaky/", at(30), true, 5.0),
            Outcome::sample("https://flaky/", at(20), false, 5.0),
            Outcome::sample("https://dead/", at(20), false, 5.0),
            Outcome::sample("https://twin/", at(30), true, 80.0),
        ];
        let ranked = stats::summarize(&v, now);
        let names: Vec<&str> = ranked.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["fast", "slow", "twin", "flaky", "dead"]);
        let r = reasons(&ranked);
        assert_eq!(r[0], "best record: worked in 1 of 1 probes");
        assert_eq!(
            r[1],
            "as reliable as fast, slower: median latency 80 ms against 20 ms"
        );
        assert_eq!(r[2], "the same record as slow; then by name");
        assert_eq!(r[3], "worked less often than twin: 50% against 100%");
        assert_eq!(r[4], "worked less often than flaky: 0% against 50%");
    }
}
