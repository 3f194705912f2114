//! `report`: the window in one duration (`--days N` is `--since Nd`), where each output goes (`-` is stdout, and
//! only one of them can be), and daemon.json located as for `show`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use rust_i18n::t;

use crate::catalogue::Catalogue;
use crate::cli::ReportArgs;
use crate::ui::errors::Usage;

/// Where one output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Stdout,
    File(PathBuf),
}

impl Output {
    fn of(p: &Path) -> Self {
        if p == Path::new("-") {
            Output::Stdout
        } else {
            Output::File(p.to_owned())
        }
    }
}

pub struct Report {
    pub html: Option<Output>,
    pub svg: Option<Output>,
    pub mirror: Option<String>,
    pub since: Duration,
    pub registry: String,
    pub daemon_json: PathBuf,
    pub catalogue: Catalogue,
    pub json: bool,
}

pub fn report(a: ReportArgs) -> Result<Report> {
    let html = a.html.as_deref().map(Output::of);
    let svg = a.svg.as_deref().map(Output::of);
    let to_stdout = [&html, &svg]
        .iter()
        .filter(|o| o.as_ref() == Some(&Output::Stdout))
        .count();
    if to_stdout > 1 {
        return Err(Usage::new(t!("report.two_on_stdout")).into());
    }
    if to_stdout == 1 && a.json {
        return Err(Usage::new(t!("report.json_and_stdout")).into());
    }
    if let (Some(Output::File(h)), Some(Output::File(s))) = (&html, &svg) {
        if h == s {
            return Err(Usage::new(t!("report.same_file", path = h.display())).into());
        }
    }
    Ok(Report {
        html,
        svg,
        mirror: a.mirror,
        since: a
            .days
            .map_or(a.since, |d| Duration::from_secs(u64::from(d) * 86_400)),
        registry: a.registry,
        daemon_json: crate::sys::host::locate(a.config.as_deref()),
        catalogue: Catalogue::in_use()?,
        json: a.json,
    })
}

#[cfg(test)]
mod tests {
    use crate::cli::Command;

    fn lower(args: &[&str]) -> anyhow::Result<super::Report> {
        match super::super::parsed(args) {
            Command::Report(a) => super::report(a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn days_is_a_window_and_stdout_takes_one_output() {
        let r = lower(&["report", "--html", "-", "--days", "3"]).unwrap();
        assert_eq!(r.since, std::time::Duration::from_secs(3 * 86_400));
        assert_eq!(r.html, Some(super::Output::Stdout));
        let r = lower(&["report", "--svg", "a.svg"]).unwrap();
        assert_eq!(r.since, std::time::Duration::from_secs(7 * 86_400));
        assert!(lower(&["report", "--html", "-", "--svg", "-"]).is_err());
        assert!(lower(&["report", "--html", "-", "--json"]).is_err());
        assert!(lower(&["report", "--html", "x", "--svg", "x"]).is_err());
    }
}
