//! Text for people: tables and units. Pure: strings in, strings out.

use comfy_table::{
    presets::UTF8_BORDERS_ONLY, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table,
    Width,
};
use rust_i18n::t;

use crate::probe::Report;

/// `1.5 MiB` style sizes; rates append `/s` at the call site.
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} {}", UNITS[0])
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

pub fn millis(ms: f64) -> String {
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// `text` wrapped to `width` display columns (CJK counts two): the first line starts at column `first`, the
/// others are indented by `indent` spaces. Unwrapped when `width` is `None` (a pipe). A word longer than a line
/// is cut.
pub fn wrap(text: &str, first: usize, indent: usize, width: Option<u16>) -> String {
    use unicode_width::UnicodeWidthStr;
    let Some(width) = width.map(usize::from) else {
        return text.to_owned();
    };
    let room = |start: usize| width.saturating_sub(start).max(20);
    let mut lines: Vec<String> = Vec::new();
    let (mut line, mut line_w, mut avail) = (String::new(), 0, room(first));
    for word in text.split(' ') {
        let mut word = word;
        loop {
            let w = word.width();
            let need = if line.is_empty() { w } else { line_w + 1 + w };
            if need <= avail {
                if !line.is_empty() {
                    line.push(' ');
                    line_w += 1;
                }
                line.push_str(word);
                line_w += w;
                break;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                (line_w, avail) = (0, room(indent));
                continue;
            }
            let (head, tail) = split_at_width(word, avail);
            lines.push(head.to_owned());
            avail = room(indent);
            word = tail;
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.join(&format!("\n{}", " ".repeat(indent)))
}

/// The longest head of `s` at most `cols` wide (at least one character).
fn split_at_width(s: &str, cols: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > cols && i > 0 {
            return s.split_at(i);
        }
        used += w;
    }
    (s, "")
}

/// A failure's reason as short as the table needs it; the whole chain is in `-v`.
pub fn short_reason(r: &crate::probe::report::MirrorResult) -> String {
    use crate::probe::Status;
    match r.status {
        Status::Dns => t!("short.dns").into_owned(),
        Status::Refused => t!("short.refused").into_owned(),
        _ => r.error.clone().unwrap_or_default(),
    }
}

/// An empty table in our style: wrapped to `width` on a terminal, one line per row in a pipe.
pub fn table(width: Option<u16>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY);
    match width {
        Some(w) => t
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(w),
        None => t.set_content_arrangement(ContentArrangement::Disabled),
    };
    t
}

/// The probe table, best first. `width` is the terminal's, if stdout is one; below 110 columns the three numbers
/// share one column with the reason, so that a row fits an 80-column screen.
pub fn probe_table(report: &Report, width: Option<u16>) -> String {
    let compact = width.is_some_and(|w| w < 110);
    let mut t = table(width);
    let dash = || "-".to_string();
    let numbers = |r: &crate::probe::report::MirrorResult| {
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
                Cell::new(&r.name),
                Cell::new(&r.url),
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
            Cell::new(&r.name),
            Cell::new(&r.url),
            Cell::new(r.status.as_str()),
            Cell::new(lat).set_alignment(CellAlignment::Right),
            Cell::new(speed).set_alignment(CellAlignment::Right),
            Cell::new(est).set_alignment(CellAlignment::Right),
            Cell::new(short_reason(r)),
        ]);
    }
    t.to_string()
}

/// `-v`: per mirror, the address, every phase's time and every request with its status.
pub fn probe_details(report: &Report) -> String {
    let mut s = String::new();
    for r in &report.results {
        s.push_str(&format!(
            "{} ({}){}\n",
            r.name,
            r.url,
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
            s.push_str(&format!("  {}: {e}\n", r.status));
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
            s.push_str(&format!("  {req}\n"));
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
    if ok == 0 {
        s.push_str(&format!("\n{}", t!("summary.none")));
    } else {
        s.push_str(&format!("\n{}", t!("summary.next")));
    }
    s
}

/// When many mirrors fail the same way, the cause is this machine, not the mirrors: say it once, with the fix.
pub fn common_cause(report: &Report) -> Option<String> {
    use crate::probe::Status;
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

/// The registry blocks of `docker info`, line for line as docker/cli prints them (cli/command/system/info.go).
/// docker/cli walks IndexConfigs, a Go map, in random order; we sort by name so the output is stable.
pub fn docker_info_registries(rc: &crate::engine::RegistryConfig) -> String {
    let mut s = String::new();
    if !rc.insecure_registry_cidrs.is_empty() || !rc.index_configs.is_empty() {
        s.push_str(" Insecure Registries:\n");
        for index in rc.index_configs.values().filter(|i| !i.secure) {
            s.push_str(&format!("  {}\n", index.name));
        }
        for cidr in &rc.insecure_registry_cidrs {
            s.push_str(&format!("  {cidr}\n"));
        }
    }
    if !rc.mirrors.is_empty() {
        s.push_str(" Registry Mirrors:\n");
        for m in &rc.mirrors {
            s.push_str(&format!("  {m}\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_info_blocks() {
        let info: crate::engine::Info = serde_json::from_str(
            r#"{"RegistryConfig":{"InsecureRegistryCIDRs":["127.0.0.0/8"],
                "IndexConfigs":{"docker.io":{"Name":"docker.io","Secure":true},"reg.lan:5000":{"Name":"reg.lan:5000","Secure":false}},
                "Mirrors":["https://a.example/","http://10.0.0.1:5000/"]}}"#,
        )
        .unwrap();
        assert_eq!(
            docker_info_registries(&info.registry_config),
            " Insecure Registries:\n  reg.lan:5000\n  127.0.0.0/8\n Registry Mirrors:\n  https://a.example/\n  http://10.0.0.1:5000/\n"
        );
        assert_eq!(docker_info_registries(&Default::default()), "");
    }

    #[test]
    fn wrapping_keeps_every_line_within_the_width() {
        use unicode_width::UnicodeWidthStr;
        let text = "dockerd 26.1.5+dfsg1 will refuse this file: `registry-mirrors`: invalid mirror \"https://a-very-long-host-name-that-goes-on-and-on.example.com/with/a/path\" 镜像地址无效，请检查 (line 2, column 3)";
        let out = wrap(text, 30, 30, Some(80));
        for (i, l) in out.lines().enumerate() {
            let start = if i == 0 { 30 } else { 0 };
            assert!(start + l.width() <= 80, "{i}: {l:?}");
        }
        assert_eq!(
            out.split_whitespace().collect::<String>(),
            text.split_whitespace().collect::<String>()
        );
        assert_eq!(wrap(text, 30, 30, None), text);
    }

    #[test]
    fn units() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0), "3.0 MiB");
        assert_eq!(millis(12.4), "12 ms");
        assert_eq!(millis(12_400.0), "12.4 s");
    }
}
