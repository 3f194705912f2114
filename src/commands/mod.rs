//! One home per subcommand: each takes its lowered settings and a printer, and returns what it found or did.

pub mod apply;
pub mod cache;
pub mod doctor;
pub mod history;
pub mod list;
pub mod man;
pub mod metrics;
pub mod probe;
pub mod proxy;
pub mod report;
pub mod show;
pub mod watch;

use rust_i18n::t;
use std::process::ExitCode;

use crate::cli::Cli;
use crate::settings::Job;
use crate::ui::output::Printer;

/// Runs the job the settings lowered, and says how the process should exit.
pub async fn run(job: Job, p: Printer) -> anyhow::Result<ExitCode> {
    match job {
        Job::List(s) => {
            let report = list::build(
                &s.catalogue,
                s.all,
                s.registry.as_deref(),
                crate::history::last_probe::load().as_ref(),
                std::time::SystemTime::now(),
            );
            if s.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                p.table(&list::render(&report, p.screen()));
                p.info_line(t!(
                    "list.in_use",
                    source = report.catalogue_source,
                    updated = crate::catalogue::shown_updated(&report.catalogue_updated)
                ));
                let key = if s.all {
                    "list.summary_all"
                } else {
                    "list.summary"
                };
                p.info_line(t!(
                    key,
                    updated = crate::catalogue::shown_updated(&report.catalogue_updated),
                    count = report.entries.len()
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        Job::Completions(shell) => {
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "mirrorctl",
                &mut out,
            );
            p.stdout(&String::from_utf8_lossy(&out));
            Ok(ExitCode::SUCCESS)
        }
        Job::Man(a) => man::run(a, p),
        Job::Report(r) => {
            let written = report::report(&r, p).await?;
            emit(p, r.json, &written, String::new)
        }
        Job::Metrics(m) => metrics::run(m, p).await,
        Job::Probe(s) => {
            let report = probe::probe(&s.probe, &s.catalogue, "probe", p).await?;
            if s.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                p.table(&crate::probe::render::probe_table(&report, p.screen()));
                p.detail(&crate::probe::render::probe_details(&report));
                let summary = crate::probe::render::probe_summary(&report);
                let width = p.stderr_width();
                let wrapped: Vec<String> = summary
                    .lines()
                    .map(|l| crate::ui::text::wrap(l, 0, 2, width))
                    .collect();
                p.info(&(wrapped.join("\n") + "\n"));
            }
            Ok(if report.passed().next().is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(crate::ui::errors::exit::NO_MIRROR_PASSED)
            })
        }
        Job::Apply(s) => changed(p, &apply::apply(&s, p).await?, s.change.json),
        Job::Restore(s) => match apply::restore(&s, p).await? {
            Some(outcome) => changed(p, &outcome, s.change.json),
            None => Ok(ExitCode::SUCCESS),
        },
        Job::History(args) => {
            let report = history::history(&args, p)?;
            emit(p, args.json, &report, || {
                history::render(&report, p.width())
            })
        }
        Job::Watch(s) => watch::watch(&s, p).await,
        Job::CacheSetup(s) => changed(p, &cache::setup::setup(&s, p).await?, s.change.json),
        Job::CacheRestore(s) => match cache::restore::restore(&s, p).await? {
            Some(outcome) => changed(p, &outcome, s.change.json),
            None => Ok(ExitCode::SUCCESS),
        },
        Job::CacheStatus(args) => {
            let report = cache::status::status(&args).await?;
            if args.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                p.stdout(&cache::status::render(&report));
            }
            Ok(if report.healthy() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(crate::ui::errors::exit::ERROR)
            })
        }
        Job::CacheWarm(args) => {
            let report = cache::warm::warm(&args, p).await?;
            emit(p, args.json, &report, || cache::warm::render(&report))
        }
        Job::Show(s) => {
            let report = show::show(&s).await?;
            emit(p, s.json, &report, || show::render(&report))
        }
        Job::Doctor(s) => {
            let facts = doctor::gather(&s).await;
            let report = doctor::check(&facts, &s.catalogue);
            if s.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                doctor::print(&p, &report);
            }
            Ok(if report.has_errors() {
                ExitCode::from(crate::ui::errors::exit::ERROR)
            } else {
                ExitCode::SUCCESS
            })
        }
        Job::ProxySet(s) => changed(p, &proxy::set(&s, p).await?, s.change.json),
        Job::ProxyUnset(s) => changed(p, &proxy::unset(&s, p).await?, s.change.json),
        Job::ProxyShow(s) => {
            let report = proxy::show(&s).await?;
            emit(p, s.json, &report, || proxy::render(&report))
        }
        Job::CatalogueUpdate(args) => {
            let report =
                crate::catalogue::update::update(args.from.clone(), args.trust_key.clone(), p)
                    .await?;
            emit(p, args.json, &report, || {
                crate::catalogue::update::render(&report)
            })
        }
    }
}

/// A report: its JSON under `--json`, else its text for people — the one place a command's result is printed.
fn emit<T: serde::Serialize>(
    p: Printer,
    json: bool,
    report: &T,
    text: impl FnOnce() -> String,
) -> anyhow::Result<ExitCode> {
    if json {
        p.stdout(&(serde_json::to_string_pretty(report)? + "\n"));
    } else {
        p.stdout(&text());
    }
    Ok(ExitCode::SUCCESS)
}

/// A change's `--json`: what changed, for fleets (`changed_when`).
fn changed(p: Printer, outcome: &crate::change::Outcome, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        p.stdout(&(serde_json::to_string_pretty(outcome)? + "\n"));
    }
    Ok(ExitCode::SUCCESS)
}
