//! Stale tags: a mirror that stopped syncing still answers and every digest it sends is valid, but the tag is last
//! year's image. Passing mirrors are compared on what the tag resolved to. Pure.

use rust_i18n::t;

use super::report::MirrorResult;
use super::Status;

/// Marks passing mirrors whose digest for the tag is not the expected one as `stale` (no longer ok). The expected
/// digest is `expected` when the user knows it; otherwise the one a strict majority of at least two passing mirrors
/// agree on — no majority, no verdict.
pub fn mark_stale(results: &mut [MirrorResult], expected: Option<&str>) {
    let passing: Vec<&str> = results
        .iter()
        .filter(|r| r.ok)
        .filter_map(|r| r.digest.as_deref())
        .collect();
    let (want, because) = match expected {
        Some(e) => (e.to_owned(), t!("stale.expected").into_owned()),
        None => {
            let mut counts: Vec<(&str, usize)> = Vec::new();
            for d in &passing {
                match counts.iter_mut().find(|(x, _)| x == d) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((d, 1)),
                }
            }
            let Some(&(top, n)) = counts.iter().max_by_key(|(_, n)| *n) else {
                return;
            };
            if n < 2 || n * 2 <= passing.len() {
                return;
            }
            (
                top.to_owned(),
                t!("stale.majority", agree = n, total = passing.len()).into_owned(),
            )
        }
    };
    for r in results.iter_mut().filter(|r| r.ok) {
        if let Some(d) = r.digest.as_deref().filter(|d| *d != want) {
            r.ok = false;
            r.status = Status::Stale;
            r.error =
                Some(t!("stale.reason", served = d, want = want, because = because).into_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, ok: bool, digest: &str) -> MirrorResult {
        MirrorResult {
            digest: Some(digest.into()),
            ..MirrorResult::sample(name, ok, 10.0, 1e6)
        }
    }

    fn stale(rs: &[MirrorResult]) -> Vec<&str> {
        rs.iter()
            .filter(|r| r.status == Status::Stale)
            .map(|r| r.name.as_str())
            .collect()
    }

    #[test]
    fn a_strict_majority_of_two_or_more_decides() {
        let mut rs = vec![
            r("a", true, "sha256:new"),
            r("b", true, "sha256:new"),
            r("c", true, "sha256:old"),
        ];
        mark_stale(&mut rs, None);
        assert_eq!(stale(&rs), ["c"]);
        assert!(rs[2].error.as_deref().unwrap().contains("sha256:old"));
        assert!(!rs[2].ok);
    }

    #[test]
    fn no_majority_no_verdict() {
        for mut rs in [
            vec![r("a", true, "sha256:x"), r("b", true, "sha256:y")],
            vec![
                r("a", true, "sha256:x"),
                r("b", true, "sha256:x"),
                r("c", true, "sha256:y"),
                r("d", true, "sha256:y"),
            ],
            vec![r("a", true, "sha256:x")],
            // Failed mirrors do not vote.
            vec![
                r("a", true, "sha256:x"),
                r("b", false, "sha256:y"),
                r("c", false, "sha256:y"),
            ],
        ] {
            mark_stale(&mut rs, None);
            assert!(stale(&rs).is_empty());
        }
    }

    #[test]
    fn an_expected_digest_replaces_the_majority() {
        let mut rs = vec![
            r("a", true, "sha256:old"),
            r("b", true, "sha256:old"),
            r("c", true, "sha256:new"),
        ];
        mark_stale(&mut rs, Some("sha256:new"));
        assert_eq!(stale(&rs), ["a", "b"]);
    }
}
