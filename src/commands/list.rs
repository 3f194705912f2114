//! `mirrorctl list`: the catalogue for people, with where each entry comes from and what the last probe said.

use rust_i18n::t;
use std::time::SystemTime;

use serde::Serialize;

use crate::catalogue::{Catalogue, Mirror, Origin, Status};
use crate::probe::Report;

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

pub fn render(r: &ListReport, width: Option<u16>) -> String {
    let mut t = crate::ui::text::table(width);
    t.set_header([
        t!("list.name").into_owned(),
        t!("list.registry").into_owned(),
        t!("table.url").into_owned(),
        t!("table.status").into_owned(),
        t!("list.provider").into_owned(),
        t!("list.access").into_owned(),
        t!("list.notes").into_owned(),
        t!("list.from").into_owned(),
        t!("list.last_probe").into_owned(),
    ]);
    for e in &r.entries {
        let m = &e.mirror;
        let status = match (m.status, m.template) {
            (_, true) => t!("list.status.template").into_owned(),
            (Status::Active, false) => t!("list.status.active").into_owned(),
            (Status::Restricted, false) => t!("list.status.restricted").into_owned(),
            (Status::Closed, false) => t!("list.status.closed").into_owned(),
        };
        let probe = e.last_probe.as_ref().map_or("-".to_owned(), |p| {
            let age = p
                .age_s
                .map(|s| {
                    t!(
                        "show.ago",
                        age =
                            crate::ui::text::duration(std::time::Duration::from_secs(s / 60 * 60))
                    )
                    .into_owned()
                })
                .unwrap_or_default();
            match p.latency_ms.filter(|_| p.status == "ok") {
                Some(l) => format!("ok {}{age}", crate::ui::text::millis(l)),
                None => format!("{}{age}", p.status),
            }
        });
        // A catalogue is text from outside: a newline in a name or a note cannot start a line (or a row).
        let cells = [
            &m.name,
            &m.registry,
            &m.url,
            &status,
            &m.provider,
            &m.access(),
            &m.notes_local().to_owned(),
            &(if e.from == "built-in" {
                t!("list.builtin").into_owned()
            } else {
                e.from.clone()
            }),
            &probe,
        ];
        t.add_row(cells.map(|c| crate::ui::output::outside(c)));
    }
    let mut s = t.to_string();
    s.push('\n');
    s
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
            let s = super::render(&report, width);
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
}
