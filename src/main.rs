//! mirrorctl: parse, lower (`settings`), run, map the result to an exit code — nothing else.

mod apply;
mod cache;
mod catalogue;
mod catalogue_update;
mod change;
mod cli;
mod cloud;
mod daemon_config;
mod dockerd;
mod doctor;
mod engine;
mod errors;
#[cfg(test)]
mod fuzz;
mod history;
mod host;
mod http;
mod i18n;
mod last_probe;
mod list;
mod lock;
mod man;
mod output;
mod probe;
mod proxy;
mod redact;
mod registry;
mod render;
mod report;
mod runtimes;
mod service;
mod settings;
mod show;
mod state;
mod targets;
mod watch;

use rust_i18n::t;
use std::process::ExitCode;

rust_i18n::i18n!("locales", fallback = "en");

use cli::Cli;
use settings::Job;

fn main() -> ExitCode {
    // `std::env::args` panics on an argument that is not UTF-8: read them as they are, choose the language (from
    // what can be read of them), then refuse the one that is not text.
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let lossy: Vec<String> = raw
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    rust_i18n::set_locale(i18n::choose(i18n::flag_from_args(&lossy), |k| {
        std::env::var(k).ok()
    }));
    let args = match cli::utf8_args(raw) {
        Ok(args) => args,
        Err(e) => return output::fail(&e.into()),
    };
    let matches = i18n::localize(<Cli as clap::CommandFactory>::command()).get_matches_from(&args);
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    http::install_crypto();
    let settings::Run { p, job } = match settings::lower(cli) {
        Ok(run) => run,
        Err(e) => return output::fail(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return output::fail(&anyhow::Error::new(e).context("cannot start the async runtime"))
        }
    };
    match runtime.block_on(run(job, p)) {
        Ok(code) => code,
        Err(e) => output::fail(&e),
    }
}

async fn run(job: Job, p: output::Printer) -> anyhow::Result<ExitCode> {
    match job {
        Job::List(s) => {
            let report = list::build(
                &s.catalogue,
                s.all,
                s.registry.as_deref(),
                last_probe::load().as_ref(),
                std::time::SystemTime::now(),
            );
            if s.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                p.stdout(&list::render(&report, p.width()));
                p.info(&format!(
                    "{}\n",
                    t!(
                        "list.in_use",
                        source = report.catalogue_source,
                        updated = report.catalogue_updated
                    )
                ));
                let key = if s.all {
                    "list.summary_all"
                } else {
                    "list.summary"
                };
                p.info(&format!(
                    "{}\n",
                    t!(
                        key,
                        updated = report.catalogue_updated,
                        count = report.entries.len()
                    )
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
        Job::Probe(s) => {
            let report = probe::command::probe(&s.probe, &s.catalogue, "probe", p).await?;
            if s.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                p.stdout(&(probe::render::probe_table(&report, p.width()) + "\n"));
                p.detail(&probe::render::probe_details(&report));
                let summary = probe::render::probe_summary(&report);
                let width = p.stderr_width();
                let wrapped: Vec<String> = summary
                    .lines()
                    .map(|l| render::wrap(l, 0, 2, width))
                    .collect();
                p.info(&(wrapped.join("\n") + "\n"));
            }
            Ok(if report.passed().next().is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(errors::exit::NO_MIRROR_PASSED)
            })
        }
        Job::Apply(s) => changed(p, &apply::apply(&s, p).await?, s.change.json),
        Job::Restore(s) => match apply::restore(&s, p).await? {
            Some(outcome) => changed(p, &outcome, s.change.json),
            None => Ok(ExitCode::SUCCESS),
        },
        Job::History(args) => {
            let report = history::command::history(&args, p)?;
            emit(p, args.json, &report, || {
                history::command::render(&report, p.width())
            })
        }
        Job::Report(r) => {
            let written = report::report(&r, p).await?;
            emit(p, r.json, &written, String::new)
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
                ExitCode::from(errors::exit::ERROR)
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
                p.stdout(&doctor::render(&report, p.width()));
            }
            Ok(if report.has_errors() {
                ExitCode::from(errors::exit::ERROR)
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
            let report = catalogue_update::update(&args, p).await?;
            emit(p, args.json, &report, || catalogue_update::render(&report))
        }
    }
}

/// A report: its JSON under `--json`, else its text for people — the one place a command's result is printed.
fn emit<T: serde::Serialize>(
    p: output::Printer,
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
fn changed(p: output::Printer, outcome: &change::Outcome, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        p.stdout(&(serde_json::to_string_pretty(outcome)? + "\n"));
    }
    Ok(ExitCode::SUCCESS)
}
