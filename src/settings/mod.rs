//! The one lowering step, as ripgrep lowers its flags to `HiArgs`: what the user typed (`cli.rs`, clap's view)
//! becomes what it means on this host before any command runs — daemon.json located, defaults that depend on root
//! or rootless filled in, `--target auto` expanded to what is installed, rules between flags checked, the
//! catalogue loaded once. Commands read only these values. A flag that cannot work here is a usage error (exit
//! code 2, as clap's own), a broken catalogue file an error as anywhere else; either way nothing has been fetched,
//! written or restarted. Flags that need no lowering (checked by their clap parsers) pass through as clap gave
//! them.

mod apply;
mod cache;
pub mod change;
pub mod metrics;
pub mod probe;
mod proxy;
mod report;
mod watch;

use std::path::PathBuf;

use anyhow::Result;
use rust_i18n::t;

pub use crate::change::{Change, MakeLive};
pub use apply::{Apply, Mirrors, Restore};
pub use cache::{CacheRestore, CacheSetup, Upstream};
pub use metrics::{Metrics, Sources};
pub use probe::Probe;
pub use proxy::{ProxyChange, ProxyPlace, ProxyShow};
pub use report::{Output, Report};
pub use watch::{Keep, Watch, WatchMode};

use crate::catalogue::Catalogue;
use crate::cli::{self, Cli, Command, TargetKind};
use crate::sys::service::InitChoice;
use crate::targets::runtimes::Places;
use crate::ui::errors::Usage;
use crate::ui::output::Printer;

/// A lowered command line: how to print, and the job.
pub struct Run {
    pub p: Printer,
    pub job: Job,
}

pub enum Job {
    List(List),
    Probe(ProbeJob),
    Apply(Apply),
    Restore(Restore),
    Show(Look),
    Doctor(Look),
    History(cli::HistoryArgs),
    Report(Report),
    Watch(Watch),
    CacheSetup(CacheSetup),
    CacheRestore(CacheRestore),
    CacheStatus(cli::CacheStatusArgs),
    CacheWarm(cli::CacheWarmArgs),
    ProxySet(ProxyChange),
    ProxyUnset(ProxyChange),
    ProxyShow(ProxyShow),
    CatalogueUpdate(cli::CatalogueUpdateArgs),
    Completions(clap_complete::Shell),
    Man(cli::ManArgs),
    Metrics(Metrics),
}

pub struct List {
    pub catalogue: Catalogue,
    pub all: bool,
    pub registry: Option<String>,
    pub json: bool,
}

pub struct ProbeJob {
    pub probe: Probe,
    pub catalogue: Catalogue,
    pub json: bool,
}

/// `show` and `doctor`: what they read.
pub struct Look {
    pub daemon_json: PathBuf,
    pub places: Places,
    pub init: InitChoice,
    /// Built-in, updated and the user's own file: a mirror the user marked active is not called closed.
    pub catalogue: Catalogue,
    pub json: bool,
    /// doctor `--all-engines`.
    pub all_engines: bool,
    /// dockerd's certs.d (hosts.toml files on the containerd image store).
    pub certs_dir: PathBuf,
    /// doctor `--pull`: the image to pull through the daemon.
    pub pull: Option<crate::dockerd::proof::Reference>,
}

/// Lowers the command line. Sets the state directory first: the catalogue a `catalogue update` stored is there.
pub fn lower(cli: Cli) -> Result<Run> {
    let p = Printer::new(cli.quiet, cli.verbose);
    if let Some(dir) = cli.state_dir.clone().filter(|d| !d.as_os_str().is_empty()) {
        crate::sys::state::set_state_dir(dir);
    }
    let job = match cli.command {
        Command::List(a) => {
            let registry = a.registry.clone().unwrap_or_else(|| "docker.io".into());
            Job::List(List {
                catalogue: probe::catalogue(&a.source, &registry, p)?,
                all: a.source.all,
                registry: a.registry,
                json: a.json,
            })
        }
        Command::Probe(a) => {
            let daemon_json = crate::sys::host::locate(a.config.as_deref());
            Job::Probe(ProbeJob {
                probe: usage(Probe::lower(&a.opts, &daemon_json))?,
                catalogue: probe::catalogue(&a.opts.source, &a.opts.registry, p)?,
                json: a.json,
            })
        }
        Command::Apply(a) => Job::Apply(apply::apply(a, p)?),
        Command::Restore(a) => {
            if a.kind == TargetKind::Auto {
                return Err(Usage::new(t!("restore.one_target")).into());
            }
            Job::Restore(Restore {
                kind: a.kind,
                registry: a.registry,
                list: a.list,
                backup: a.backup,
                places: a.places,
                certs_dir: a.certs_dir,
                change: Change::lower(&a.target),
            })
        }
        Command::Show(a) => Job::Show(Look {
            daemon_json: crate::sys::host::locate(a.config.as_deref()),
            places: a.runtimes,
            init: InitChoice::Auto,
            catalogue: Catalogue::in_use()?,
            json: a.json,
            all_engines: false,
            certs_dir: a.certs_dir,
            pull: None,
        }),
        Command::Doctor(a) => Job::Doctor(Look {
            daemon_json: crate::sys::host::locate(a.config.as_deref()),
            places: a.runtimes,
            init: a.init,
            catalogue: Catalogue::in_use()?,
            json: a.json,
            all_engines: a.all_engines,
            certs_dir: a.certs_dir,
            pull: usage(
                a.pull
                    .as_deref()
                    .map(crate::dockerd::proof::Reference::parse)
                    .transpose(),
            )?,
        }),
        Command::History(a) => Job::History(a),
        Command::Report(a) => Job::Report(report::report(a)?),
        Command::Watch(a) => Job::Watch(watch::watch(a, p)?),
        Command::Cache(cli::CacheCommand::Setup(a)) => Job::CacheSetup(cache::cache_setup(*a, p)?),
        Command::Cache(cli::CacheCommand::Restore(a)) => Job::CacheRestore(CacheRestore {
            probe: usage(Probe::lower(&a.opts, &crate::sys::host::locate(None)))?,
            registry: cache::registry(&a.service),
            list: a.list,
            backup: a.backup,
            change: Change::owned(a.dry_run, a.yes, a.service.init, a.json),
        }),
        Command::Cache(cli::CacheCommand::Status(a)) => Job::CacheStatus(a),
        Command::Cache(cli::CacheCommand::Warm(a)) => Job::CacheWarm(a),
        Command::Proxy(cli::ProxyCommand::Set(a)) => Job::ProxySet(proxy::set(a)?),
        Command::Proxy(cli::ProxyCommand::Unset(a)) => Job::ProxyUnset(proxy::unset(a)?),
        Command::Proxy(cli::ProxyCommand::Show(a)) => Job::ProxyShow(proxy::show(a)),
        Command::Catalogue(cli::CatalogueCommand::Update(a)) => Job::CatalogueUpdate(a),
        Command::Completions { shell } => Job::Completions(shell),
        Command::Man(a) => Job::Man(a),
        Command::Metrics(a) => Job::Metrics(metrics::lower(a)?),
    };
    if job.takes_the_lock() {
        crate::sys::lock::check_wait()?;
    }
    Ok(Run { p, job })
}

impl Job {
    /// Whether it changes files, and so waits for another mirrorctl that does (`MIRRORCTL_LOCK_WAIT_SECS`).
    fn takes_the_lock(&self) -> bool {
        matches!(
            self,
            Job::Apply(_)
                | Job::Restore(_)
                | Job::Watch(_)
                | Job::CacheSetup(_)
                | Job::CacheRestore(_)
                | Job::ProxySet(_)
                | Job::ProxyUnset(_)
                | Job::CatalogueUpdate(_)
        )
    }
}

/// dockerd's `registry-mirrors` serve Docker Hub only: another registry's mirrors are for containerd.
fn docker_only_hub(registry: &str) -> anyhow::Error {
    Usage {
        message: t!("apply.docker_only_hub", registry = registry).into(),
        hint: Some(t!("apply.docker_only_hub_hint").into()),
    }
    .into()
}

/// A flag's value that does not hold here (an image outside `--registry`, a platform dockerd would not name).
pub(super) fn usage<T>(r: Result<T>) -> Result<T> {
    r.map_err(|e| Usage::new(format!("{e:#}")).into())
}

/// A path as given, from the working directory: config files and timers keep absolute ones.
pub(super) fn absolute(p: &std::path::Path) -> Result<String> {
    let p = if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir()?.join(p)
    };
    Ok(p.display().to_string())
}

/// The command line as clap parses it, for tests of the lowering.
#[cfg(test)]
pub(crate) fn parsed(args: &[&str]) -> Command {
    <Cli as clap::Parser>::try_parse_from(std::iter::once("mirrorctl").chain(args.iter().copied()))
        .unwrap()
        .command
}
