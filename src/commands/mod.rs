//! One home per subcommand: each takes its lowered settings and a printer, and returns what it found or did.

pub mod apply;
pub mod cache;
pub mod doctor;
pub mod emit;
pub mod history;
pub mod list;
pub mod man;
pub mod metrics;
pub mod probe;
pub mod proxy;
pub mod pull_proof;
pub mod report;
pub mod show;
pub mod watch;

use std::process::ExitCode;

use crate::cli::Cli;
use crate::settings::Job;
use crate::ui::output::Printer;
use emit::emit;

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
            let listed = emit::Listed { report, all: s.all };
            emit(p, s.json, &listed)
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
        Job::Report(r) => emit(p, r.json, &report::report(&r, p).await?),
        Job::Metrics(m) => metrics::run(m, p).await,
        Job::Probe(s) => {
            let probed = probe::probe_until_interrupted(&s.probe, &s.catalogue, "probe", p).await?;
            emit(p, s.json, &probed)
        }
        Job::Apply(s) => emit(p, s.change.json, &apply::apply(&s, p).await?),
        Job::Restore(s) => match apply::restore(&s, p).await? {
            Some(outcome) => emit(p, s.change.json, &outcome),
            None => Ok(ExitCode::SUCCESS),
        },
        Job::History(args) => emit(p, args.json, &history::history(&args, p)?),
        Job::Watch(s) => watch::watch(&s, p).await,
        Job::CacheSetup(s) => emit(p, s.change.json, &cache::setup::setup(&s, p).await?),
        Job::CacheRestore(s) => match cache::restore::restore(&s, p).await? {
            Some(outcome) => emit(p, s.change.json, &outcome),
            None => Ok(ExitCode::SUCCESS),
        },
        Job::CacheStatus(args) => emit(p, args.json, &cache::status::status(&args).await?),
        Job::CacheWarm(args) => emit(p, args.json, &cache::warm::warm(&args, p).await?),
        Job::Show(s) => emit(p, s.json, &show::show(&s).await?),
        Job::Doctor(s) => {
            let facts = doctor::gather(&s).await;
            let mut report = doctor::check(&facts, &s.catalogue);
            if let Some(image) = &s.pull {
                let pull = match crate::sys::engine::Engine::from_env() {
                    Ok(e) => pull_proof::prove(&e, image, &s.certs_dir, p).await,
                    Err(e) => Err(e),
                };
                doctor::add_pull(&mut report, pull.map_err(|e| format!("{e:#}")));
            }
            emit(p, s.json, &report)
        }
        Job::ProxySet(s) => emit(p, s.change.json, &proxy::set(&s, p).await?),
        Job::ProxyUnset(s) => emit(p, s.change.json, &proxy::unset(&s, p).await?),
        Job::ProxyShow(s) => emit(p, s.json, &proxy::show(&s).await?),
        Job::CatalogueUpdate(args) => {
            let from = (args.from.clone(), args.trust_key.clone());
            emit(
                p,
                args.json,
                &crate::catalogue::update::update(from.0, from.1, p).await?,
            )
        }
    }
}
