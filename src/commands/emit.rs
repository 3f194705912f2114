//! How a command's result reaches the person: one trait for every report (its text, its `--json`, its exit code)
//! and one `emit`, so no command repeats the json-or-text branch.

use std::process::ExitCode;

use rust_i18n::t;
use serde::Serialize;

use super::{cache, doctor, history, list, proxy, show};
use crate::ui::errors::exit;
use crate::ui::output::Printer;

/// A command's result, as people and programs get it.
pub trait Report: Serialize {
    /// The text for people, through `p`: the result on stdout, summaries and details on stderr.
    fn show(&self, p: Printer);
    /// How the process exits once this is printed.
    fn exit(&self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

/// The report's JSON under `--json`, else its text; then its exit code.
pub fn emit<R: Report>(p: Printer, json: bool, report: &R) -> anyhow::Result<ExitCode> {
    if json {
        p.stdout(&(serde_json::to_string_pretty(report)? + "\n"));
    } else {
        report.show(p);
    }
    Ok(report.exit())
}

/// `list`, with whether `--all` was asked (the summary says which).
#[derive(Serialize)]
#[serde(transparent)]
pub struct Listed {
    pub report: list::ListReport,
    #[serde(skip)]
    pub all: bool,
}

impl Report for Listed {
    fn show(&self, p: Printer) {
        let r = &self.report;
        p.table(&list::render(r, p.screen()));
        let updated = crate::catalogue::shown_updated(&r.catalogue_updated);
        p.info_line(t!(
            "list.in_use",
            source = r.catalogue_source,
            updated = updated
        ));
        let key = if self.all {
            "list.summary_all"
        } else {
            "list.summary"
        };
        p.info_line(t!(key, updated = updated, count = r.entries.len()));
    }
}

impl Report for crate::probe::Report {
    fn show(&self, p: Printer) {
        use crate::probe::render;
        p.table(&render::probe_table(self, p.screen()));
        p.detail(&render::probe_details(self));
        let width = p.stderr_width();
        let wrapped: Vec<String> = render::probe_summary(self)
            .lines()
            .map(|l| crate::ui::text::wrap(l, 0, 2, width))
            .collect();
        p.info(&(wrapped.join("\n") + "\n"));
    }

    fn exit(&self) -> ExitCode {
        if self.passed().next().is_some() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(exit::NO_MIRROR_PASSED)
        }
    }
}

/// A probe that Ctrl-C stopped: what finished, then the mirrors that had not (exit 130).
impl Report for super::probe::Probed {
    fn show(&self, p: Printer) {
        self.report.show(p);
        if !self.unfinished.is_empty() {
            p.info_line(super::probe::interrupted_line(&self.unfinished));
        }
    }

    fn exit(&self) -> ExitCode {
        if self.unfinished.is_empty() {
            self.report.exit()
        } else {
            ExitCode::from(exit::INTERRUPTED)
        }
    }
}

/// A change said what it did while it ran; its report is the JSON `changed` document.
impl Report for crate::change::Outcome {
    fn show(&self, _: Printer) {}
}

impl Report for history::HistoryReport {
    fn show(&self, p: Printer) {
        p.stdout(&history::render(self, p.width()));
    }
}

impl Report for cache::status::CacheStatus {
    fn show(&self, p: Printer) {
        p.stdout(&cache::status::render(self));
    }

    fn exit(&self) -> ExitCode {
        if self.healthy() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(exit::ERROR)
        }
    }
}

impl Report for cache::warm::WarmReport {
    fn show(&self, p: Printer) {
        p.stdout(&cache::warm::render(self));
    }
}

impl Report for show::ShowReport {
    fn show(&self, p: Printer) {
        p.stdout(&show::render(self));
    }
}

impl Report for doctor::DoctorReport {
    fn show(&self, p: Printer) {
        doctor::print(&p, self);
    }

    fn exit(&self) -> ExitCode {
        if self.has_errors() {
            ExitCode::from(exit::ERROR)
        } else {
            ExitCode::SUCCESS
        }
    }
}

impl Report for proxy::ProxyReport {
    fn show(&self, p: Printer) {
        p.stdout(&proxy::render(self));
    }
}

impl Report for crate::catalogue::update::UpdateReport {
    fn show(&self, p: Printer) {
        p.stdout(&crate::catalogue::update::render(self));
    }
}

/// `report` wrote its files and says where in `--json`; on a terminal the files are the result.
impl Report for super::report::Written {
    fn show(&self, _: Printer) {}
}
