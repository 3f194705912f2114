//! The probe's text for people: the ranked table, `-v` details, and the summary with a cause shared by many
//! mirrors said once. Pure: a report in, strings out.

use comfy_table::{Cell, CellAlignment, ColumnConstraint, Width};
use rust_i18n::t;

use super::report::MirrorResult;
use super::{Report, Status};
use crate::ui::output::outside;
use crate::ui::text::{bytes, millis, table};

/// A failure's reason as short as the table needs it; the whole chain is in `-v`.
pub fn short_reason(r: &MirrorResult) -> String {
    match r.status {
        Status::Dns => t!("short.dns").into_owned(),
        Status::Refused => t!("short.refused").into_owned(),
        _ => outside(r.error.as_deref().unwrap_or_default()),
    }
}

/// The probe table, best first. `width` is the terminal's, if stdout is one; below 110 columns the three numbers
/// share one column with the reason, so that a row fits an 80-column screen.
pub fn probe_table(report: &Report, width: Option<u16>) -> String {
    let compact = width.is_some_and(|w| w < 110);
    let mut t = table(width);
    let dash = || "-".to_string();
    let numbers = |r: &MirrorResult| {
        (
            r.latency_ms.map_or_else(dash, millis),
            r.throughput_bps
                .map_or_else(dash, |b| format!("{}/s", bytes(b))),
            r.score_s.map_or_else(dash, |s| format!("{s:.1} s")),
        )
    };
    if compact {
        t.set_header([
            "#".to_owned(),
            t!("table.mirror").into_owned(),
            t!("table.url").into_owned(),
            t!("table.status").into_owned(),
            t!("table.result").into_owned(),
        ]);
        let url_width = report
            .results
            .iter()
            .map(|r| r.url.chars().count())
            .max()
            .unwrap_or(0)
            .min(32);
        t.set_constraints([
            ColumnConstraint::ContentWidth,
            ColumnConstraint::UpperBoundary(Width::Fixed(14)),
            // +2: comfy-table counts the cell's padding in the boundary.
            ColumnConstraint::LowerBoundary(Width::Fixed(url_width as u16 + 2)),
            ColumnConstraint::ContentWidth,
            ColumnConstraint::LowerBoundary(Width::Fixed(12)),
        ]);
        for r in &report.results {
            let (lat, speed, est) = numbers(r);
            let result = if r.ok {
                format!("{lat} · {speed} · {est}")
            } else {
                short_reason(r)
            };
            t.add_row(vec![
                Cell::new(r.rank).set_alignment(CellAlignment::Right),
                Cell::new(outside(&r.name)),
                Cell::new(outside(&r.url)),
                Cell::new(r.status.as_str()),
                Cell::new(result),
            ]);
        }
        return t.to_string();
    }
    t.set_header([
        "#".to_owned(),
        t!("table.mirror").into_owned(),
        t!("table.url").into_owned(),
        t!("table.status").into_owned(),
        t!("table.latency").into_owned(),
        t!("table.speed").into_owned(),
        t!("table.est_pull").into_owned(),
        t!("table.why").into_owned(),
    ]);
    for r in &report.results {
        let (lat, speed, est) = numbers(r);
        t.add_row(vec![
            Cell::new(r.rank).set_alignment(CellAlignment::Right),
            Cell::new(outside(&r.name)),
            Cell::new(outside(&r.url)),
            Cell::new(r.status.as_str()),
            Cell::new(lat).set_alignment(CellAlignment::Right),
            Cell::new(speed).set_alignment(CellAlignment::Right),
            Cell::new(est).set_alignment(CellAlignment::Right),
            Cell::new(short_reason(r)),
        ]);
    }
    t.to_string()
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
        updated = report.catalogue_updated
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
