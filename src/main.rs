//! mirrorctl: parse, run, map the result to an exit code — nothing else.

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
mod output;
mod probe;
mod proxy;
mod redact;
mod registry;
mod render;
mod runtimes;
mod service;
mod show;
mod targets;
mod watch;

use rust_i18n::t;
use std::process::ExitCode;

rust_i18n::i18n!("locales", fallback = "en");

use cli::{CacheCommand, CatalogueCommand, Cli, Command, ProxyCommand};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    rust_i18n::set_locale(i18n::choose(i18n::flag_from_args(&args), |k| {
        std::env::var(k).ok()
    }));
    let matches = i18n::localize(<Cli as clap::CommandFactory>::command()).get_matches_from(&args);
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    http::install_crypto();
    let printer = output::Printer::new(cli.quiet, cli.verbose);
    if let Some(dir) = cli.state_dir.clone().filter(|d| !d.as_os_str().is_empty()) {
        lock::set_state_dir(dir);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return output::fail(&anyhow::Error::new(e).context("cannot start the async runtime"))
        }
    };
    match runtime.block_on(run(cli, printer)) {
        Ok(code) => code,
        Err(e) => output::fail(&e),
    }
}

async fn run(cli: Cli, p: output::Printer) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::List(args) => {
            let registry = args.registry.clone().unwrap_or_else(|| "docker.io".into());
            let catalogue = probe::command::load_catalogue(&args.source, &registry, p)?;
            let report = list::build(
                &catalogue,
                args.source.all,
                args.registry.as_deref(),
                last_probe::load().as_ref(),
                std::time::SystemTime::now(),
            );
            if args.json {
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
                let key = if args.source.all {
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
        Command::Completions { shell } => {
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
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
            p.stdout(&String::from_utf8_lossy(&out));
            Ok(ExitCode::SUCCESS)
        }
        Command::Probe(args) => {
            let catalogue =
                probe::command::load_catalogue(&args.opts.source, &args.opts.registry, p)?;
            let opts = cli::ProbeOptions {
                daemon_config: args.config.clone(),
                ..args.opts.clone()
            };
            let report = probe::command::probe(&opts, &catalogue, "probe", p).await?;
            if args.json {
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
        Command::Apply(args) => {
            let outcome = apply::apply(&args, p).await?;
            changed(p, &outcome, args.target.json)
        }
        Command::History(args) => {
            let report = history::command::history(&args, p)?;
            if args.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                p.stdout(&history::command::render(&report, p.width()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch(args) => watch::watch(&args, p).await,
        Command::Cache(CacheCommand::Setup(args)) => {
            changed(p, &cache::setup::setup(&args, p).await?, args.json)
        }
        Command::Cache(CacheCommand::Restore(args)) => {
            match cache::restore::restore(&args, p).await? {
                Some(outcome) => changed(p, &outcome, args.json),
                None => Ok(ExitCode::SUCCESS),
            }
        }
        Command::Cache(CacheCommand::Status(args)) => {
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
        Command::Cache(CacheCommand::Warm(args)) => {
            let report = cache::warm::warm(&args, p).await?;
            if args.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                p.stdout(&cache::warm::render(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show(args) => {
            let report = show::show(args.config.as_deref(), &args.runtimes).await?;
            if args.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                p.stdout(&show::render(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor(args) => {
            let facts = doctor::gather(args.config.as_deref(), args.init, &args.runtimes).await;
            let report = doctor::check(&facts, &catalogue::Catalogue::in_use()?);
            if args.json {
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
        Command::Proxy(ProxyCommand::Set(args)) => {
            changed(p, &proxy::set(&args, p).await?, args.target.json)
        }
        Command::Proxy(ProxyCommand::Unset(args)) => {
            changed(p, &proxy::unset(&args, p).await?, args.target.json)
        }
        Command::Catalogue(CatalogueCommand::Update(args)) => {
            let report = catalogue_update::update(&args, p).await?;
            if args.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                p.stdout(&catalogue_update::render(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Proxy(ProxyCommand::Show(args)) => {
            let report = proxy::show(&args).await?;
            if args.json {
                p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                p.stdout(&proxy::render(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore(args) => match apply::restore(&args, p).await? {
            Some(outcome) => changed(p, &outcome, args.target.json),
            None => Ok(ExitCode::SUCCESS),
        },
    }
}

/// A change's `--json`: what changed, for fleets (`changed_when`).
fn changed(p: output::Printer, outcome: &change::Outcome, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        p.stdout(&(serde_json::to_string_pretty(outcome)? + "\n"));
    }
    Ok(ExitCode::SUCCESS)
}
