//! Text for people: tables and units. Pure: strings in, strings out.

use comfy_table::{presets::UTF8_BORDERS_ONLY, Cell, CellAlignment, ContentArrangement, Table};
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

/// The probe table, best first. `width` is the terminal's, if stdout is one.
pub fn probe_table(report: &Report, width: Option<u16>) -> String {
    let mut t = table(width);
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
        let dash = || "-".to_string();
        t.add_row(vec![
            Cell::new(r.rank).set_alignment(CellAlignment::Right),
            Cell::new(&r.name),
            Cell::new(&r.url),
            Cell::new(r.status.as_str()),
            Cell::new(r.latency_ms.map_or_else(dash, millis)).set_alignment(CellAlignment::Right),
            Cell::new(
                r.throughput_bps
                    .map_or_else(dash, |b| format!("{}/s", bytes(b))),
            )
            .set_alignment(CellAlignment::Right),
            Cell::new(r.score_s.map_or_else(dash, |s| format!("{s:.1} s")))
                .set_alignment(CellAlignment::Right),
            Cell::new(r.error.as_deref().unwrap_or("")),
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
    if ok == 0 {
        s.push_str(&format!("\n{}", t!("summary.none")));
    } else {
        s.push_str(&format!("\n{}", t!("summary.next")));
    }
    s
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
    fn units() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0), "3.0 MiB");
        assert_eq!(millis(12.4), "12 ms");
        assert_eq!(millis(12_400.0), "12.4 s");
    }
}
