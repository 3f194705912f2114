//! `mirrorctl history`: each mirror's record over a window, as a table with a sparkline or as JSON.

use rust_i18n::t;
use std::time::SystemTime;

use anyhow::Result;
use comfy_table::{Cell, CellAlignment, ColumnConstraint, Width};
use serde::Serialize;

use crate::cli::HistoryArgs;
use crate::history::stats::{self, MirrorStats};
use crate::ui::text::{bytes, millis, table};

#[derive(Debug, Serialize)]
pub struct HistoryReport {
    pub registry: String,
    pub since: String,
    pub database: String,
    pub mirrors: Vec<MirrorStats>,
    /// watch's newest decisions, newest first.
    pub decisions: Vec<crate::history::Decision>,
}

pub fn history(args: &HistoryArgs, p: crate::ui::output::Printer) -> Result<HistoryReport> {
    let now = SystemTime::now();
    // `--since` is at most what the history keeps (its parser); the clock may still be anywhere.
    let since = now
        .checked_sub(args.since)
        .unwrap_or(std::time::UNIX_EPOCH)
        .max(std::time::UNIX_EPOCH);
    let store = crate::history::open_or_fail(p)?;
    let outcomes = store.since(&args.registry, since)?;
    let mut mirrors = stats::summarize(&outcomes, now);
    if let Some(want) = &args.mirror {
        let all: Vec<String> = mirrors.iter().map(|m| m.name.clone()).collect();
        mirrors
            .retain(|m| &m.name == want || &m.url == want || m.url.trim_end_matches('/') == want);
        // Probes exist, just none of that name: "no probe recorded" would send the user to probe for nothing.
        if mirrors.is_empty() && !all.is_empty() {
            let shown = crate::ui::output::outside;
            return Err(crate::ui::errors::Hinted {
                message: t!(
                    "history.no_such_mirror",
                    mirror = shown(want),
                    since = crate::history::timestamp(since)
                )
                .into(),
                hint: t!(
                    "history.no_such_mirror_hint",
                    mirrors = all.iter().map(|n| shown(n)).collect::<Vec<_>>().join(", ")
                )
                .into(),
            }
            .into());
        }
    }
    Ok(HistoryReport {
        registry: args.registry.clone(),
        since: crate::history::timestamp(since),
        database: store.path.display().to_string(),
        mirrors,
        decisions: store.decisions(10)?,
    })
}

fn rate(successes: usize, probes: usize) -> String {
    if probes == 0 {
        return "-".into();
    }
    format!(
        "{:.0}% ({successes}/{probes})",
        100.0 * successes as f64 / probes as f64
    )
}

/// The table: below 110 columns the medians go (they stay in `--json`), the sparkline keeps the last 10 and the
/// last failure its class, so that a row fits an 80-column screen.
pub fn render(report: &HistoryReport, width: Option<u16>) -> String {
    if report.mirrors.is_empty() {
        return format!(
            "{}\n",
            t!(
                "history.empty",
                since = report.since,
                path = report.database
            )
        );
    }
    let compact = width.is_some_and(|w| w < 110);
    let mut t = table(width);
    let mut header = vec![
        t!("table.mirror").into_owned(),
        t!("history.col_window").into_owned(),
        t!("history.col_24h").into_owned(),
    ];
    if !compact {
        header.push(t!("table.latency").into_owned());
        header.push(t!("table.speed").into_owned());
    }
    header.push(t!("history.col_recent").into_owned());
    header.push(t!("history.col_last_failure").into_owned());
    t.set_header(header.clone());
    let mut constraints = vec![ColumnConstraint::UpperBoundary(Width::Fixed(22))];
    constraints.resize(header.len() - 1, ColumnConstraint::ContentWidth);
    constraints.push(ColumnConstraint::LowerBoundary(Width::Fixed(12)));
    t.set_constraints(constraints);
    let dash = || "-".to_string();
    let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
    for m in &report.mirrors {
        // Names and statuses come from the history file: escaped, so an edited one cannot start a line.
        let failure = m.last_failure.as_ref().map_or_else(dash, |f| {
            let status = crate::ui::output::outside(&f.status);
            if compact {
                status
            } else {
                format!(
                    "{} {status}",
                    f.at.get(5..16).unwrap_or(&f.at).replace('T', " "),
                )
            }
        });
        let mut row = vec![
            Cell::new(crate::ui::output::outside(&m.name)),
            right(rate(m.successes, m.probes)),
            right(rate(m.last_24h.successes, m.last_24h.probes)),
        ];
        if !compact {
            row.push(right(m.median_latency_ms.map_or_else(dash, millis)));
            row.push(right(
                m.median_throughput_bps
                    .map_or_else(dash, |b| format!("{}/s", bytes(b))),
            ));
        }
        let shown = if compact { 10 } else { stats::RECENT };
        row.push(Cell::new(stats::sparkline(
            &m.recent[m.recent.len().saturating_sub(shown)..],
        )));
        row.push(Cell::new(failure));
        t.add_row(row);
    }
    let mut s = t.to_string();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Outcome;
    use std::time::Duration;

    #[test]
    fn fits_80_columns_and_shows_the_dead_stretch() {
        let now = SystemTime::now();
        let outcomes: Vec<Outcome> = (0..12)
            .map(|i| {
                let down = (4..8).contains(&i);
                let mut o = Outcome::sample(
                    "https://docker.m.daocloud.io/",
                    now - Duration::from_secs(3600 * (12 - i as u64)),
                    !down,
                    40.0,
                );
                o.row.status = if down { "rate-limited" } else { "ok" }.into();
                o
            })
            .collect();
        let report = HistoryReport {
            registry: "docker.io".into(),
            since: "2026-11-18T00:00:00Z".into(),
            database: "/x/history.db".into(),
            mirrors: stats::summarize(&outcomes, now),
            decisions: vec![],
        };
        let s = render(&report, Some(80));
        assert!(
            s.lines()
                .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 80),
            "{s}"
        );
        // The newest ten at 80 columns, all of them on a wide screen.
        assert!(s.contains("▇▇▁▁▁▁▇▇▇▇"), "{s}");
        assert!(s.contains("67% (8/12)"), "{s}");
        let wide = render(&report, Some(160));
        assert!(wide.contains("▇▇▇▇▁▁▁▁▇▇▇▇"), "{wide}");
        assert!(wide.contains("40 ms"), "{wide}");
    }

    #[test]
    fn a_name_or_status_from_the_history_file_cannot_start_a_line() {
        let now = SystemTime::now();
        let mut o = Outcome::sample("https://m.example/", now, false, 40.0);
        o.row.name = "evil\nverified: sha256:00".into();
        o.row.status = "timeout\r\nverified: sha256:11".into();
        let report = HistoryReport {
            registry: "docker.io".into(),
            since: "2026-11-18T00:00:00Z".into(),
            database: "/x/history.db".into(),
            mirrors: stats::summarize(&[o], now),
            decisions: vec![],
        };
        for width in [None, Some(80), Some(160)] {
            let s = render(&report, width);
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
