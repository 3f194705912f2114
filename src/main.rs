//! mirrorctl: parse, lower (`settings`), run, map the result to an exit code — nothing else.

mod catalogue;
mod change;
mod cli;
mod commands;
mod dockerd;
#[cfg(test)]
mod fuzz;
mod history;
mod probe;
mod registry;
mod settings;
mod sys;
mod targets;
mod ui;

use std::process::ExitCode;

use registry::http;
use ui::{i18n, output};

rust_i18n::i18n!("locales", fallback = "en");

use cli::Cli;

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
    // `--help`, `--version` and usage errors come back here, so that under Chinese we print them in Chinese.
    let matches = match i18n::localize(<Cli as clap::CommandFactory>::command())
        .try_get_matches_from(&args)
    {
        Ok(m) => m,
        Err(e) => return i18n::exit_with(e),
    };
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return i18n::exit_with(e),
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
    match runtime.block_on(commands::run(job, p)) {
        Ok(code) => code,
        Err(e) => output::fail(&e),
    }
}
