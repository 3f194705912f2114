//! The probe's text for people: the ranked table, `-v` details, and the summary with a cause shared by many
//! mirrors said once. Pure: a report in, strings out.

use rust_i18n::t;

use super::report::MirrorResult;
use super::{Report, Status};
use crate::ui::output::{outside, Painted, Screen};
use crate::ui::style::Tone;
use crate::ui::table::{self, host, Column};
use crate::ui::text::{bytes, millis};

/// A failure's reason as short as the table needs it; the whole chain is in `-v`.
pub fn short_reason(r: &MirrorResult) -> String {
    match r.status {
        Status::Dns => t!("short.dns").into_owned(),
        Status::Refused => t!("short.refused").into_owned(),
        _ => outside(r.error.as_deref().unwrap_or_default()),
    }
}

/// The probe table for `screen`, best first. On a terminal the columns the width has room for, by priority: rank,
/// mirror, status and the reason (cut to one line) always, then the estimated pull, the URL's host, the speed,
/// the room for the whole reason, the latency, the whole URL; in a pipe all of them, one line a row. Each number
/// has its column; one that is a dash in every row is left out.
pub fn probe_table(report: &Report, screen: Screen) -> Painted {
    let rs = &report.results;
    let col = |f: &dyn Fn(&MirrorResult) -> String| rs.iter().map(f).collect::<Vec<_>>();
    let dash = || "-".to_string();
    let mut columns = vec![
        Column::new("#", col(&|r| r.rank.to_string())).right(),
        Column::new(t!("table.mirror"), col(&|r| r.name.clone())),
        Column::new(t!("table.url"), col(&|r| host(&r.url)))
            .priority(2)
            .or_wider(6, col(&|r| r.url.clone())),
        Column::new(t!("table.status"), col(&|r| r.status.as_str().to_owned()))
            .tones(rs.iter().map(|r| tone(r.status))),
        Column::new(
            t!("table.latency"),
            col(&|r| r.latency_ms.map_or_else(dash, millis)),
        )
        .priority(5)
        .right(),
        Column::new(
            t!("table.speed"),
            col(&|r| {
                r.throughput_bps
                    .map_or_else(dash, |b| format!("{}/s", bytes(b)))
            }),
        )
        .priority(3)
        .right(),
        Column::new(
            t!("table.est_pull"),
            col(&|r| r.score_s.map_or_else(dash, |s| format!("{s:.1} s"))),
        )
        .priority(1)
        .right(),
    ];
    // No reason column when every mirror passed.
    if rs.iter().any(|r| !r.ok) {
        columns.push(Column::new(t!("table.why"), col(&short_reason)).free(20, 4));
    }
    table::render(&columns, 1, screen)
}

/// The colour of a probe's status: it worked, it worked with an old image, or it failed.
fn tone(s: Status) -> Tone {
    match s {
        Status::Ok => Tone::Good,
        Status::Stale => Tone::Warn,
        _ => Tone::Bad,
    }
}

/// `-v`: per mirror, the address, every phase's time and every request with its status. The catalogue's and the
/// mirror's text (name, URL, reason, requests) is escaped: a newline in it cannot start a line of its own.
pub fn probe_details(report: &Report) -> String {
    let mut s = String::new();
    for r in &report.results {
        s.push_str(&format!(
            "{} ({}){}\n",
            outside(&r.name),
            outside(&r.url),
            r.address
                .as_deref()
                .map(|a| t!("details.at", address = a).into_owned())
                .unwrap_or_default()
        ));
        let p = &r.phases;
        let phases: Vec<String> = [
            (t!("phase.dns"), p.dns_ms),
            (t!("phase.connect"), p.connect_ms),
            (t!("phase.tls"), p.tls_ms),
            (t!("phase.ttfb"), p.ttfb_ms),
            (t!("phase.token"), p.token_ms),
            (t!("phase.manifest"), p.manifest_ms),
            (t!("phase.queued"), p.queued_ms),
            (t!("phase.blob"), p.blob_ms),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.map(|ms| format!("{n} {}", millis(ms))))
        .collect();
        if let Some(e) = &r.error {
            s.push_str(&format!("  {}: {}\n", r.status, outside(e)));
        }
        s.push_str(&format!(
            "  {}: {}\n",
            t!("details.phases"),
            if phases.is_empty() {
                "-".into()
            } else {
                phases.join(", ")
            }
        ));
        for req in &r.requests {
            s.push_str(&format!("  {}\n", outside(req)));
        }
    }
    s
}

/// The line under the table: what was probed and how it went.
pub fn probe_summary(report: &Report) -> String {
    let ok = report.passed().count();
    let mut s = t!(
        "summary.passed",
        ok = ok,
        total = report.results.len(),
        image = report.image,
        platform = report.platform,
        updated = crate::catalogue::shown_updated(&report.catalogue_updated)
    )
    .into_owned();
    if let Some(cause) = common_cause(report) {
        s.push_str(&format!("\n{cause}"));
    }
    // A passing mirror ranked below slower ones because of its record: say why, once each.
    let flaky: Vec<String> = report
        .passed()
        .filter_map(|r| {
            let rate = r.success_rate.filter(|&x| x < 1.0)?;
            Some(format!("{} {:.0}%", r.name, rate * 100.0))
        })
        .collect();
    if !flaky.is_empty() {
        s.push_str(&format!(
            "\n{}",
            t!("summary.record", list = flaky.join(", "))
        ));
    }
    if ok == 0 {
        s.push_str(&format!("\n{}", t!("summary.none")));
    } else {
        s.push_str(&format!("\n{}", t!("summary.next")));
    }
    s
}

/// When many mirrors fail the same way, the cause is this machine, not the mirrors: say it once, with the fix.
pub fn common_cause(report: &Report) -> Option<String> {
    let failed: Vec<_> = report.results.iter().filter(|r| !r.ok).collect();
    let ok = report.results.len() - failed.len();
    let count = |s: Status| failed.iter().filter(|r| r.status == s).count();
    let dns = count(Status::Dns);
    if dns >= 3 || (ok == 0 && dns >= 2 && dns == failed.len()) {
        return Some(t!("cause.dns", count = dns).into_owned());
    }
    let unreachable = count(Status::Refused) + count(Status::Network) + count(Status::Timeout);
    if ok == 0 && failed.len() >= 2 && unreachable == failed.len() {
        return Some(t!("cause.unreachable", count = unreachable).into_owned());
    }
    let issuer = failed
        .iter()
        .filter(|r| r.status == Status::Tls)
        .filter(|r| {
            r.error
                .as_deref()
                .is_some_and(|e| e.contains("UnknownIssuer"))
        })
        .count();
    if issuer >= 2 {
        return Some(t!("cause.tls_issuer", count = issuer).into_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::output::Screen;
    use unicode_width::UnicodeWidthStr;

    /// 18 of the built-in catalogue's Docker Hub mirrors (as many as the probe) as one probe might find
    /// them: a few fast, the rest failing the ways the issue saw, some with a reason dozens of words long.
    fn report() -> Report {
        let c = crate::catalogue::Catalogue::builtin();
        let mirrors: Vec<_> = c
            .mirrors
            .iter()
            .filter(|m| m.registry == "docker.io" && !m.template)
            .take(18)
            .collect();
        let long = "sha256 of the blob is sha256:3f5c0a0bdbb4b1a0f7e4a8e1c3c5d2b77a3b9c0e0d3f1a2b4c5d6e7f8a9b0c1d, not the sha256:0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d that the manifest names: the mirror serves a broken or truncated copy of the layer, so a pull through it would fail with the same error, and retrying does not help until the mirror's cache is repaired";
        let results = mirrors
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let ok = i % 3 == 0;
                let mut r = MirrorResult::sample(&m.name, ok, 40.0 + i as f64 * 97.0, 1.5e6 * (i + 1) as f64);
                r.rank = i + 1;
                r.url = m.url.clone();
                if ok {
                    r.score_s = Some(2.5 + i as f64 * 3.3);
                } else {
                    (r.status, r.error) = match i % 4 {
                        0 => (Status::DigestMismatch, Some(long.to_owned())),
                        1 => (Status::Tls, Some("invalid peer certificate: the certificate was issued for another name (docker.example.com)".into())),
                        2 => (Status::Dns, None),
                        _ => (Status::Timeout, Some("no answer within 10 s".into())),
                    };
                }
                r
            })
            .collect();
        Report {
            registry: "docker.io".into(),
            image: "library/alpine:latest".into(),
            platform: "linux/amd64".into(),
            probed_at: "2026-12-01T00:00:00Z".into(),
            catalogue_updated: c.updated.clone(),
            fingerprint: String::new(),
            timeout_s: 10.0,
            expect_digest: None,
            proxy: None,
            results,
        }
    }

    /// The table's data lines: between the header's rule and the bottom edge on a terminal, after the header line
    /// in a pipe.
    fn rows(s: &str, framed: bool) -> Vec<&str> {
        if framed {
            s.lines()
                .skip_while(|l| !l.starts_with('╞'))
                .skip(1)
                .take_while(|l| !l.starts_with('└'))
                .collect()
        } else {
            s.lines().skip(1).collect()
        }
    }

    #[test]
    fn the_builtin_catalogues_probe_fits_a_40_line_screen_at_80_columns() {
        let r = report();
        assert_eq!(r.results.len(), 18);
        for width in [80, 120] {
            let s = probe_table(&r, Screen::terminal(width, false)).plain();
            assert!(s.lines().all(|l| l.width() <= usize::from(width)), "{s}");
            // One line a row: the long reason is cut, with the mark that says so.
            assert_eq!(rows(&s, true).len(), r.results.len(), "{s}");
            assert!(s.contains('…') && !s.contains("cache is repaired"), "{s}");
            // With the summary's lines under it, the whole probe fits one 40-line screen.
            assert!(s.lines().count() + 4 <= 40, "{}", s.lines().count());
            // A URL is whole or its host, never split; at 80 columns the reason has the room instead.
            let header = s.lines().nth(1).unwrap();
            let urls = header.contains(&*t!("table.url"));
            assert_eq!(urls, width == 120, "{s}");
            for m in &r.results {
                let whole = s.contains(m.url.as_str());
                let host = s.contains(&format!(" {} ", crate::ui::table::host(&m.url)));
                assert!(whole || host || !urls, "{} in\n{s}", m.url);
            }
            assert!(urls || !s.contains("://"), "{s}");
            // The estimated pull has its own column, and the others join it when there is room.
            assert!(header.contains("est."), "{s}");
            if width == 120 {
                assert!(s.contains(&*t!("table.speed")), "{s}");
            }
        }
    }

    #[test]
    fn a_pipe_gets_one_line_a_row_with_every_column_and_no_box() {
        let r = report();
        let s = probe_table(&r, Screen::PIPE).plain();
        assert_eq!(rows(&s, false).len(), r.results.len(), "{s}");
        assert!(!s.contains(['│', '─', '┌', '└', '═', '…']), "{s}");
        for m in &r.results {
            assert!(s.contains(m.url.as_str()), "{}", m.url);
        }
        // The whole reason, on its row.
        assert!(
            s.lines()
                .any(|l| l.contains("digest-mismatch") && l.ends_with("cache is repaired")),
            "{s}"
        );
        for h in [
            "table.latency",
            "table.speed",
            "table.est_pull",
            "table.why",
        ] {
            assert!(s.lines().next().unwrap().contains(&*t!(h)), "{h}: {s}");
        }
    }

    #[test]
    fn status_words_are_coloured_on_a_terminal_only() {
        let r = report();
        let plain = probe_table(&r, Screen::terminal(80, false));
        let coloured = probe_table(&r, Screen::terminal(80, true));
        assert_eq!(plain.plain(), coloured.plain());
        assert!(!format!("{plain:?}").contains("\\u{1b}["));
        // Green for ok, red for a failure.
        let debug = format!("{coloured:?}");
        assert!(debug.contains("\\u{1b}[38;5;10mok\\u{1b}[39m"), "{debug}");
        assert!(debug.contains("\\u{1b}[38;5;9mdns\\u{1b}[39m"), "{debug}");
    }
}
