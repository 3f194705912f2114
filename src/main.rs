//! mirrorctl: parse, run, map the result to an exit code — nothing else.

mod apply;
mod cache;
mod catalogue;
mod cli;
mod daemon_config;
mod dockerd_flags;
mod doctor;
mod engine;
mod http;
mod output;
mod probe;
mod proxy;
mod registry;
mod render;
mod runtimes;
mod service;
mod show;
mod targets;
mod transaction;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, ProxyCommand};

/// Exit codes scripts can branch on (also listed in `--help`).
pub mod exit {
    pub const ERROR: u8 = 1;
    pub const NO_MIRROR_PASSED: u8 = 3;
    pub const ROLLED_BACK: u8 = 4;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    http::install_crypto();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return output::fail(&anyhow::Error::new(e).context("cannot start the async runtime"))
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => output::fail(&e),
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Probe(args) => {
            let catalogue = probe::command::load_catalogue(&args.opts.source, &args.opts.registry)?;
            let report = probe::command::probe(&args.opts, &catalogue).await?;
            if args.json {
                output::stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                output::stdout(&(render::probe_table(&report, output::terminal_width()) + "\n"));
                output::stderr(&(render::probe_summary(&report) + "\n"));
            }
            Ok(if report.passed().next().is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(exit::NO_MIRROR_PASSED)
            })
        }
        Command::Apply(args) => apply::apply(&args).await.map(|()| ExitCode::SUCCESS),
        Command::Show(args) => {
            let report = show::show(args.config.as_deref(), &args.runtimes).await?;
            if args.json {
                output::stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                output::stdout(&show::render(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor(args) => {
            let facts = doctor::gather(args.config.as_deref(), args.init, &args.runtimes).await;
            let report = doctor::check(&facts, &catalogue::Catalogue::builtin());
            if args.json {
                output::stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                output::stdout(&doctor::render(&report));
            }
            Ok(if report.has_errors() {
                ExitCode::from(exit::ERROR)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Proxy(ProxyCommand::Set(args)) => {
            proxy::set(&args).await.map(|()| ExitCode::SUCCESS)
        }
        Command::Proxy(ProxyCommand::Unset(args)) => {
            proxy::unset(&args).await.map(|()| ExitCode::SUCCESS)
        }
        Command::Proxy(ProxyCommand::Show(args)) => {
            let report = proxy::show(&args).await?;
            if args.json {
                output::stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                output::stdout(&proxy::render(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore(args) => apply::restore(&args).await.map(|()| ExitCode::SUCCESS),
    }
}
