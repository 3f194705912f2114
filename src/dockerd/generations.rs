//! One daemon.json judged by every engine generation the start-up rules were read for: doctor says so when the
//! verdict depends on the engine ("refused by 20.10, accepted by 26.1 and later"), for `--all-engines` or when no
//! dockerd is installed to ask.

use rust_i18n::t;
use serde::Serialize;

use super::options::Version;

/// The releases judged: the first of each generation whose rules differ, and the newest the start-up rules were
/// read from (startup.toml `read_from`).
const RELEASES: [(u32, u32); 7] = [
    (20, 10),
    (23, 0),
    (24, 0),
    (25, 0),
    (26, 1),
    (27, 5),
    (28, 5),
];

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub engine: String,
    pub starts: bool,
    /// The first refusal, where and why.
    pub reason: Option<String>,
}

pub fn across(bytes: &[u8]) -> Vec<Verdict> {
    RELEASES
        .iter()
        .map(|&(major, minor)| {
            let engine = Version { major, minor };
            let p = super::predict(bytes, engine);
            Verdict {
                engine: engine.to_string(),
                starts: p.starts,
                reason: p.refusals.first().map(ToString::to_string),
            }
        })
        .collect()
}

/// `None` when every release gives the same verdict; else "refused by 20.10 to 25.0, accepted by 26.1 and later".
pub fn summary(verdicts: &[Verdict]) -> Option<String> {
    if verdicts.iter().all(|v| v.starts == verdicts[0].starts) {
        return None;
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < verdicts.len() {
        let mut j = i;
        while j + 1 < verdicts.len() && verdicts[j + 1].starts == verdicts[i].starts {
            j += 1;
        }
        let (from, to) = (&verdicts[i].engine, &verdicts[j].engine);
        let engines = if j + 1 == verdicts.len() && i > 0 {
            t!("doctor.engines.and_later", from = from).into_owned()
        } else if i == j {
            from.clone()
        } else {
            t!("doctor.engines.range", from = from, to = to).into_owned()
        };
        parts.push(if verdicts[i].starts {
            t!("doctor.engines.accepted_by", engines = engines).into_owned()
        } else {
            t!("doctor.engines.refused_by", engines = engines).into_owned()
        });
        i = j + 1;
    }
    Some(parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_that_depends_on_the_engine_says_which() {
        let bom = {
            let mut b = vec![0xFF, 0xFE];
            b.extend(
                "{\"debug\": true}"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            );
            b
        };
        assert_eq!(
            summary(&across(&bom)).as_deref(),
            Some("refused by 20.10, accepted by 23.0 and later")
        );
        assert_eq!(
            summary(&across(br#"{"dns": [" 1.1.1.1 "]}"#)).as_deref(),
            Some("accepted by 20.10 to 24.0, refused by 25.0 and later")
        );
        assert_eq!(
            summary(&across(
                br#"{"log-driver": "fluentd", "log-opts": {"fluentd-async-connect": "true"}}"#
            ))
            .as_deref(),
            Some("accepted by 20.10 to 27.5, refused by 28.5 and later")
        );
        assert_eq!(summary(&across(br#"{"debug": true}"#)), None);
    }
}
