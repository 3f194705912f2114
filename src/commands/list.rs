//! `mirrorctl list`: the catalogue for people, with where each entry comes from and what the last probe said.

use rust_i18n::t;
use std::time::SystemTime;

use serde::Serialize;

use crate::catalogue::{Catalogue, Mirror, Origin, Status};
use crate::probe::Report;
use crate::ui::output::{Painted, Screen};
use crate::ui::style::Tone;
use crate::ui::table::{self, host, Column};

#[derive(Debug, Serialize)]
pub struct ListReport {
    pub catalogue_updated: String,
    /// `built-in`, or the file `catalogue update` stored: which catalogue is in use.
    pub catalogue_source: String,
    /// Set when the catalogue is older than 180 days.
    pub stale_days: Option<u64>,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    #[serde(flatten)]
    pub mirror: Mirror,
    /// `built-in`, the user's file, or `--mirror`.
    pub from: String,
    pub last_probe: Option<LastProbe>,
}

#[derive(Debug, Serialize)]
pub struct LastProbe {
    pub status: String,
    pub latency_ms: Option<f64>,
    pub throughput_bps: Option<f64>,
    pub age_s: Option<u64>,
}

pub fn build(
    c: &Catalogue,
    include_closed: bool,
    registry: Option<&str>,
    probe: Option<&Report>,
    now: SystemTime,
) -> ListReport {
    let age = probe
        .and_then(|r| humantime::parse_rfc3339(&r.probed_at).ok())
        .and_then(|t| now.duration_since(t).ok())
        .map(|d| d.as_secs());
    let entries = c
        .mirrors
        .iter()
        .filter(|m| include_closed || m.status != Status::Closed || m.origin == Origin::CommandLine)
        .filter(|m| registry.is_none_or(|r| m.registry == r))
        .map(|m| Entry {
            from: match &m.origin {
                Origin::BuiltIn => "built-in".into(),
                Origin::File(p) => p.display().to_string(),
                Origin::CommandLine => "--mirror".into(),
            },
            last_probe: m.normalized().and_then(|url| {
                let hit = probe?.results.iter().find(|r| r.url == url)?;
                Some(LastProbe {
                    status: hit.status.to_string(),
                    latency_ms: hit.latency_ms,
                    throughput_bps: hit.throughput_bps,
                    age_s: age,
                })
            }),
            mirror: m.clone(),
        })
        .collect();
    ListReport {
        catalogue_updated: c.updated.clone(),
        catalogue_source: crate::catalogue::Catalogue::base_origin(),
        stale_days: c.stale_days(now),
        entries,
    }
}

/// The catalogue as a table for `screen`: at 80 columns name, host, status and the last probe, one line a row;
/// wider, the access and the notes (cut to two lines), then the rest; in a pipe everything, one line a row.
pub fn render(r: &ListReport, screen: Screen) -> Painted {
    let entries = &r.entries;
    let col = |f: &dyn Fn(&Entry) -> String| entries.iter().map(f).collect::<Vec<_>>();
    let status = |e: &Entry| match (e.mirror.status, e.mirror.template) {
        (_, true) => (t!("list.status.template"), Tone::Note),
        (Status::Active, false) => (t!("list.status.active"), Tone::Good),
        (Status::Restricted, false) => (t!("list.status.restricted"), Tone::Warn),
        (Status::Closed, false) => (t!("list.status.closed"), Tone::Bad),
    };
    // One probe for every entry: its age said once, in the header, leaves the cells room at 80 columns.
    let age = entries
        .iter()
        .find_map(|e| e.last_probe.as_ref()?.age_s)
        .map(|s| {
            t!(
                "show.ago",
                age = crate::ui::text::duration(std::time::Duration::from_secs(s / 60 * 60))
            )
            .into_owned()
        })
        .unwrap_or_default();
    let probe = |e: &Entry| match &e.last_probe {
        None => ("-".to_owned(), Tone::Plain),
        Some(p) => match p.latency_ms.filter(|_| p.status == "ok") {
            Some(l) => (format!("ok {}", crate::ui::text::millis(l)), Tone::Good),
            None => (p.status.clone(), Tone::Bad),
        },
    };
    // A catalogue is text from outside: the table cleans every cell, so a newline in a name or a note cannot
    // start a line (or a row).
    let columns = [
        Column::new(t!("list.name"), col(&|e| e.mirror.name.clone())),
        Column::new(t!("list.registry"), col(&|e| e.mirror.registry.clone())).priority(5),
        Column::new(t!("table.url"), col(&|e| host(&e.mirror.url)))
            .priority(1)
            .or_wider(8, col(&|e| e.mirror.url.clone())),
        Column::new(t!("table.status"), col(&|e| status(e).0.into_owned()))
            .tones(entries.iter().map(|e| status(e).1)),
        Column::new(t!("list.provider"), col(&|e| e.mirror.provider.clone())).priority(6),
        Column::new(t!("list.access"), col(&|e| e.mirror.access())).priority(3),
        Column::new(
            t!("list.notes"),
            col(&|e| e.mirror.notes_local().to_owned()),
        )
        .priority(4)
        .free(24, 9),
        Column::new(
            t!("list.from"),
            col(&|e| {
                if e.from == "built-in" {
                    t!("list.builtin").into_owned()
                } else {
                    e.from.clone()
                }
            }),
        )
        .priority(7),
        Column::new(
            format!("{}{age}", t!("list.last_probe")),
            col(&|e| probe(e).0),
        )
        .priority(2)
        .tones(entries.iter().map(|e| probe(e).1)),
    ];
    table::render(&columns, 2, screen)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_newline_in_a_catalogue_entry_cannot_start_a_line() {
        let mut c = crate::catalogue::Catalogue::builtin();
        c.mirrors.truncate(1);
        c.mirrors[0].name = "evil\nverified: sha256:00".into();
        c.mirrors[0].notes = "fine\r\nverified: sha256:11".into();
        c.mirrors[0].notes_zh = None;
        let report = super::build(&c, true, None, None, std::time::SystemTime::now());
        for width in [None, Some(80), Some(200)] {
            let screen = crate::ui::output::Screen {
                width,
                colour: false,
            };
            let s = super::render(&report, screen).plain();
            // Escaped, not dropped (a narrow table may wrap it inside its cell).
            assert!(width.is_some() || s.contains("evil\\nverified"), "{s}");
            assert!(
                s.lines().all(|l| !l
                    .trim_start_matches(|c: char| !c.is_alphanumeric())
                    .starts_with("verified")),
                "{s}"
            );
        }
    }

    use crate::ui::output::Screen;
    use unicode_width::UnicodeWidthStr;

    /// Each row's lines on a terminal: a row starts where the first column (the name, never empty) has text.
    fn lines_per_row(s: &str) -> Vec<usize> {
        let body = s
            .lines()
            .skip_while(|l| !l.starts_with('╞'))
            .skip(1)
            .take_while(|l| !l.starts_with('└'));
        let mut rows: Vec<usize> = Vec::new();
        for l in body {
            match (l.starts_with("│  "), rows.last_mut()) {
                (true, Some(n)) => *n += 1,
                _ => rows.push(1),
            }
        }
        rows
    }

    #[test]
    fn the_catalogue_fits_the_screen_it_is_on() {
        let c = crate::catalogue::Catalogue::builtin();
        let report = super::build(&c, true, None, None, std::time::SystemTime::now());
        let n = report.entries.len();
        for width in [80u16, 120, 160] {
            let s = super::render(&report, Screen::terminal(width, false)).plain();
            assert!(s.lines().all(|l| l.width() <= usize::from(width)), "{s}");
            let rows = lines_per_row(&s);
            assert_eq!(rows.len(), n, "{s}");
            assert!(rows.iter().all(|&r| r <= 2), "{s}");
            // The URL is whole or its host, never split.
            let whole = report
                .entries
                .iter()
                .all(|e| s.contains(&format!(" {} ", e.mirror.url)));
            let hosts = report
                .entries
                .iter()
                .all(|e| s.contains(&format!(" {} ", crate::ui::table::host(&e.mirror.url))));
            assert!(whole || hosts, "{s}");
            if width == 80 {
                // 80 columns: one line a row, the notes left for wider screens and pipes.
                assert!(rows.iter().all(|&r| r == 1), "{s}");
                assert!(!s.contains(&*rust_i18n::t!("list.notes")), "{s}");
            }
            if width == 160 {
                assert!(
                    s.contains(&*rust_i18n::t!("list.notes")) && s.contains('…'),
                    "{s}"
                );
            }
        }
        let pipe = super::render(&report, Screen::PIPE).plain();
        assert_eq!(pipe.lines().count(), n + 1, "{pipe}");
        assert!(!pipe.contains(['│', '─', '┌', '└', '═', '…']), "{pipe}");
        for e in &report.entries {
            let line = pipe
                .lines()
                .find(|l| l.starts_with(&format!("{} ", e.mirror.name)));
            let line = line.unwrap_or_else(|| panic!("{}: {pipe}", e.mirror.name));
            assert!(line.contains(&format!(" {} ", e.mirror.url)), "{line}");
            assert!(line.ends_with(e.mirror.notes_local()), "{line}");
        }
    }

    #[test]
    fn the_last_probe_has_room_at_80_columns_and_its_age_is_said_once() {
        use crate::probe::report::MirrorResult;
        let c = crate::catalogue::Catalogue::builtin();
        let now = std::time::SystemTime::now();
        let results = c
            .mirrors
            .iter()
            .filter_map(|m| m.normalized())
            .enumerate()
            .map(|(i, url)| {
                let mut r = MirrorResult::sample("m", i % 2 == 0, 40.0 + i as f64, 1e6);
                r.url = url;
                r
            })
            .collect();
        let probe = crate::probe::Report {
            registry: "docker.io".into(),
            image: "library/alpine:latest".into(),
            platform: "linux/amd64".into(),
            probed_at: humantime::format_rfc3339(now - std::time::Duration::from_secs(300))
                .to_string(),
            catalogue_updated: c.updated.clone(),
            fingerprint: String::new(),
            timeout_s: 10.0,
            expect_digest: None,
            proxy: None,
            results,
        };
        let report = super::build(&c, false, None, Some(&probe), now);
        let s = super::render(&report, Screen::terminal(80, true)).plain();
        assert!(s.lines().all(|l| l.width() <= 80), "{s}");
        assert!(s.contains(" ok 40 ms ") && s.contains(" timeout "), "{s}");
        assert_eq!(s.matches("ago").count(), 1, "{s}");
        assert!(s.contains("5m"), "{s}");
    }
}
